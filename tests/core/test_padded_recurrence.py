"""A recurrence over a padded batch without packing computes what the packed module computes."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from multis2s.model.padded_recurrence import run_padded

LENGTHS = torch.tensor([6, 2, 5, 1, 6])


def packed(rnn: nn.RNNBase, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference: the module over a packed sequence → outputs (B, S, H·dirs), h_n (L·dirs, B, H)."""
    outputs, final = rnn(pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False))
    outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=inputs.size(1))
    return outputs, final[0] if isinstance(final, tuple) else final


@pytest.mark.parametrize("kind, options", [
    (nn.LSTM, dict(num_layers=1, bidirectional=True)), (nn.LSTM, dict(num_layers=2, bidirectional=True)),
    (nn.GRU, dict(num_layers=2, bidirectional=False)), (nn.RNN, dict(num_layers=1, bidirectional=True)),
    (nn.RNN, dict(num_layers=2, bidirectional=True, nonlinearity="relu", bias=False))])
def test_outputs_final_states_and_gradients_equal_the_packed_modules(kind, options):
    torch.manual_seed(0)
    rnn = kind(4, 3, batch_first=True, **options).double().eval()
    inputs = torch.randn(5, 6, 4, dtype=torch.float64, requires_grad=True)
    expected, got = packed(rnn, inputs, LENGTHS), run_padded(rnn, inputs, LENGTHS)
    for reference, value in zip(expected, got):
        torch.testing.assert_close(value, reference)
    assert got[0][1, 2:].abs().sum() == 0  # beyond a row's length: zeros
    probe = torch.randn_like(expected[0])
    wrt = [inputs, *rnn.parameters()]
    reference = torch.autograd.grad((expected[0] * probe).sum() + expected[1].sum(), wrt)
    gradients = torch.autograd.grad((got[0] * probe).sum() + got[1].sum(), wrt)
    for value, expected_gradient in zip(gradients, reference):
        torch.testing.assert_close(value, expected_gradient)


def test_a_row_alone_equals_the_same_row_in_a_padded_batch():
    torch.manual_seed(0)
    rnn = nn.LSTM(4, 3, batch_first=True, bidirectional=True).eval()
    inputs = torch.randn(5, 6, 4)
    together, final = run_padded(rnn, inputs, LENGTHS)
    alone, alone_final = run_padded(rnn, inputs[2:3, :5], LENGTHS[2:3])
    torch.testing.assert_close(together[2:3, :5], alone)
    torch.testing.assert_close(final[:, 2:3], alone_final)


def test_dropout_between_layers_reaches_only_real_steps_in_training():
    torch.manual_seed(0)
    rnn = nn.GRU(4, 3, num_layers=2, batch_first=True, bidirectional=True, dropout=0.5).train()
    inputs = torch.randn(5, 6, 4)
    outputs, _ = run_padded(rnn, inputs, LENGTHS)
    assert outputs[3, 1:].abs().sum() == 0
    torch.manual_seed(1)
    assert not torch.equal(run_padded(rnn, inputs, LENGTHS)[0], outputs)  # a new mask each call


def test_a_projected_lstm_is_refused():
    with pytest.raises(ValueError, match="without projections"):
        run_padded(nn.LSTM(4, 3, batch_first=True, proj_size=2), torch.randn(2, 3, 4), torch.tensor([3, 2]))
