"""A bidirectional LSTM layer's directions run at once (csrc/lstm_directions.cpp) give torch.lstm's values.

With one thread per direction (2 threads), outputs, final states and every gradient equal those of
``torch.lstm`` run one direction after the other to the last bit; with batch parts too (4 threads)
they agree to rounding. Where it cannot run, :func:`usable` says so and ``torch.lstm`` does the work.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
import torch
from torch import nn

from multis2s.model import lstm_directions, native
from multis2s.model.padded_recurrence import run_padded

LENGTHS = torch.tensor([7, 2, 5, 1, 7, 6, 3])

pytestmark = pytest.mark.skipif(native.compiled("lstm_directions") is None or not torch.backends.mkldnn.is_available(),
                                reason="the LSTM directions kernel cannot be built here, or PyTorch has no oneDNN")


@contextlib.contextmanager
def threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def outputs_and_gradients(rnn: nn.LSTM, inputs: torch.Tensor, together: bool, monkeypatch) -> list[torch.Tensor]:
    """run_padded's outputs and final states, and the gradients of a probe sum wrt the inputs and every weight."""
    with monkeypatch.context() as patch:
        if not together:
            patch.setattr(lstm_directions, "usable", lambda rnn, inputs: False)
        assert lstm_directions.usable(rnn, inputs) == together
        outputs, finals = run_padded(rnn, inputs, LENGTHS)
    torch.manual_seed(1)
    loss = (outputs * torch.randn_like(outputs)).sum() + (finals * torch.randn_like(finals)).sum()
    return [outputs, finals, *torch.autograd.grad(loss, [inputs, *rnn.parameters()])]


def layer(num_layers: int) -> tuple[nn.LSTM, torch.Tensor]:
    torch.manual_seed(0)
    rnn = nn.LSTM(5, 8, num_layers=num_layers, batch_first=True, bidirectional=True)
    return rnn, torch.randn(len(LENGTHS), int(LENGTHS.max()), 5, requires_grad=True)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_one_thread_per_direction_gives_torch_lstms_values_to_the_last_bit(num_layers, monkeypatch):
    rnn, inputs = layer(num_layers)
    with threads(2):
        expected = outputs_and_gradients(rnn, inputs, False, monkeypatch)
        got = outputs_and_gradients(rnn, inputs, True, monkeypatch)
    for value, reference in zip(got, expected, strict=True):
        assert torch.equal(value, reference)
    assert got[0][1, 2:].abs().sum() == 0  # beyond a row's length: zeros


def test_batch_parts_with_more_threads_than_directions_agree_to_rounding(monkeypatch):
    rnn, inputs = layer(2)
    with threads(4):
        expected = outputs_and_gradients(rnn, inputs, False, monkeypatch)
        got = outputs_and_gradients(rnn, inputs, True, monkeypatch)
    for value, reference in zip(got, expected, strict=True):
        torch.testing.assert_close(value, reference, rtol=1e-5, atol=1e-6)


def test_without_gradients_the_outputs_are_the_same(monkeypatch):
    rnn, inputs = layer(1)
    with threads(2), torch.no_grad():
        with monkeypatch.context() as patch:
            patch.setattr(lstm_directions, "usable", lambda rnn, inputs: False)
            expected = run_padded(rnn, inputs, LENGTHS)
        got = run_padded(rnn, inputs, LENGTHS)
    for value, reference in zip(got, expected, strict=True):
        assert torch.equal(value, reference)


def test_an_output_without_a_gradient_gets_zeros():
    rnn, inputs = layer(1)
    with threads(2):
        forward, backward = lstm_directions.run_directions(rnn, 0, [inputs, inputs.flip(1)])
        (gradient,) = torch.autograd.grad(forward.sum(), [inputs])
        (expected,) = torch.autograd.grad(torch.lstm(inputs, (inputs.new_zeros(1, 7, 8),) * 2,
                                                     [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0,
                                                      rnn.bias_hh_l0], True, 1, 0.0, True, False, True)[0].sum(),
                                          [inputs])
    assert torch.equal(gradient, expected)


@pytest.mark.parametrize("case", ["one thread", "unidirectional", "gru", "float64", "no biases", "oneDNN off",
                                  "autocast"])
def test_where_it_does_not_apply_torch_lstm_does_the_work(case, monkeypatch):
    rnn, inputs = layer(1)
    count = 2
    if case == "one thread":
        count = 1
    elif case == "unidirectional":
        rnn = nn.LSTM(5, 8, batch_first=True)
    elif case == "gru":
        rnn = nn.GRU(5, 8, batch_first=True, bidirectional=True)
    elif case == "float64":
        rnn, inputs = rnn.double(), inputs.double()
    elif case == "no biases":
        rnn = nn.LSTM(5, 8, batch_first=True, bidirectional=True, bias=False)
    elif case == "oneDNN off":
        monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=case == "autocast")
    with threads(count), autocast:
        assert not lstm_directions.usable(rnn, inputs)
        assert lstm_directions.usable(*layer(1)) == (case in ("unidirectional", "gru", "float64", "no biases"))


def test_multis2s_native_0_turns_it_off(monkeypatch):
    rnn, inputs = layer(1)
    monkeypatch.setenv(native.SWITCH, "0")
    with threads(2):
        assert not lstm_directions.usable(rnn, inputs)
