"""The RNN decoder's three teacher-forced paths compute one function: whole-sequence, fused, stepped.

The stepped loop (autograd op by op) is the reference; the recurrence it steps is checked against
PyTorch's own modules, and the fused op against it in float64, values and every gradient.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from multis2s.model.encoder import EncoderOutput
from multis2s.model.recurrent_step import RecurrentSteps
from multis2s.model.streams import Streams
from tests.core.tiny import VOCAB, attention, batch, decoder, model


@pytest.mark.parametrize("kind", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_steps_equal_the_whole_sequence_module(kind):
    torch.manual_seed(0)
    rnn = kind(7, 5, num_layers=2, batch_first=True).double()
    known, extra = torch.randn(3, 4, 4, dtype=torch.float64), torch.randn(3, 4, 3, dtype=torch.float64)
    expected, _ = rnn(torch.cat([known, extra], dim=-1))  # (B, T, H)
    steps = RecurrentSteps(rnn, known_size=4)
    hidden = torch.zeros(3, 2, 5, dtype=torch.float64)
    cell = torch.zeros_like(hidden) if kind is nn.LSTM else None
    for t, projected in enumerate(steps.project_inputs(known).unbind(1)):
        hidden, cell = steps.step(projected, extra[:, t], hidden, cell)
        torch.testing.assert_close(hidden[:, -1], expected[:, t])


def memory_of(net, dtype=torch.float64):
    """A random one-stream memory with a padded row, as the decoder prepares it, and its initial state."""
    torch.manual_seed(1)
    values = torch.randn(3, 5, 6, dtype=dtype, requires_grad=True)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False], [True, False, False, False, False]])
    final = torch.randn(3, 6, dtype=dtype)
    streams = Streams({"source": EncoderOutput(values, mask, final)}, final)
    return values, net.prepare(streams), net.initial_state(streams)


def gradients(net, path, tokens):
    """The outputs of ``path`` and the gradients of a loss over both of them, for every parameter and the memory."""
    net.zero_grad()
    values, memory, state = memory_of(net)
    attentional, weights = path(net.embedding(tokens), memory, state)
    probe = torch.linspace(-1, 1, attentional.numel(), dtype=attentional.dtype).view_as(attentional)
    ((attentional * probe).sum() + (weights["source"] ** 2).sum()).backward()
    grads = {name: p.grad.clone() for name, p in net.named_parameters() if p.grad is not None}
    return attentional.detach(), weights["source"].detach(), grads, values.grad


def test_fused_loop_equals_the_stepped_loop_in_values_and_gradients():
    net = decoder("rnn", {"source": 6}, 6, hidden_dim=7).double()
    tokens = torch.randint(1, 11, (3, 4))
    _, memory, _ = memory_of(net)
    assert net.fusable(memory)
    stepped, fused = gradients(net, net.stepped, tokens), gradients(net, net._fused, tokens)
    for expected, got in zip(stepped[:2], fused[:2]):
        torch.testing.assert_close(got, expected)
    assert stepped[2].keys() == fused[2].keys()
    for name in stepped[2]:
        torch.testing.assert_close(fused[2][name], stepped[2][name], msg=name)
    torch.testing.assert_close(fused[3], stepped[3])


@pytest.mark.parametrize("options", [dict(cell="gru"), dict(layers=2), dict(attention="location"),
                                     dict(attention="general"), dict(input_feeding=False)])
def test_other_configurations_take_the_stepped_or_whole_sequence_path(options):
    net = decoder("rnn", {"source": 6}, 6, **options)
    _, memory, _ = memory_of(net, torch.float32)
    assert not net.fusable(memory)


def streams_of(rows: int) -> Streams:
    """A random one-stream encoder output of ``rows`` rows, every other row padded."""
    torch.manual_seed(2)
    mask = torch.ones(rows, 5, dtype=torch.bool)
    mask[1::2, 3:] = False
    return Streams({"source": EncoderOutput(torch.randn(rows, 5, 6), mask, torch.randn(rows, 6))},
                   torch.randn(rows, 6))


@pytest.mark.parametrize("options", [dict(), dict(cell="gru", layers=2), dict(attention="location")])
def test_a_search_step_looks_its_tokens_input_up_in_the_table_and_steps_as_from_the_embedding(options):
    net = decoder("rnn", {"source": 6}, 6, **options).eval()
    streams = streams_of(VOCAB)
    tokens = torch.arange(VOCAB).roll(3)
    with torch.no_grad():
        memory, state = net.prepare(streams), net.initial_state(streams)
        assert memory.input_table.shape == (VOCAB, net.rnn.weight_ih_l0.size(0))
        assert memory.repeat(2).input_table is memory.input_table
        assert memory.select(torch.tensor([1, 0])).input_table is memory.input_table
        looked_up = net.step(tokens, memory, state)
        computed = net.step(tokens, dataclasses.replace(memory, input_table=None), state)
    torch.testing.assert_close(looked_up[0], computed[0])
    torch.testing.assert_close(looked_up[1]["source"], computed[1]["source"])
    torch.testing.assert_close(looked_up[2].hidden, computed[2].hidden)


def test_the_input_table_is_made_in_search_only_and_where_the_vocabulary_is_no_larger_than_the_batch():
    net = decoder("rnn", {"source": 6}, 6).eval()
    with torch.no_grad():
        assert net.prepare(streams_of(VOCAB)).input_table is not None
        assert net.prepare(streams_of(VOCAB - 1)).input_table is None
    assert net.prepare(streams_of(VOCAB)).input_table is None  # gradients wanted: training
    with torch.no_grad():
        assert net.train().prepare(streams_of(VOCAB)).input_table is None  # dropout on the embedding


def test_two_streams_are_not_fused():
    net = model(streams=("first", "second"), input_feeding=True).decoder
    assert not net.fusable(net.prepare(Streams({
        name: EncoderOutput(torch.randn(2, 3, dim), torch.ones(2, 3, dtype=torch.bool), None)
        for name, dim in (("first", 6), ("second", 12))})))


def test_additive_scores_equal_the_tanh_formula():
    torch.manual_seed(0)
    additive = attention("additive")(query_dim=4, memory_dim=6).double()
    query, memory = torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(2, 5, 6, dtype=torch.float64)
    (doubled,) = additive.project(memory)
    expected = additive.energy(torch.tanh(additive.query(query).unsqueeze(2) + additive.key(memory).unsqueeze(1)))
    torch.testing.assert_close(additive.score_keys(query, doubled), expected.squeeze(-1))


def test_training_gradients_of_the_anchor_shaped_model_match_stepping():
    """The whole model (BiGRU encoder, LSTM decoder, additive attention, input feeding) trains the
    same through the fused op as through the stepped loop."""
    net = model(input_feeding=True).double().train()
    sources, lengths, targets_in = batch()
    log_probs = net(sources, lengths, targets_in).log_probs
    log_probs.sum().backward()
    fused = {name: p.grad.clone() for name, p in net.named_parameters()}
    net.zero_grad()
    streams = net.encode(sources, lengths)
    memory, state = net.decoder.prepare(streams), net.decoder.initial_state(streams)
    attentional, _ = net.decoder.stepped(net.decoder.embedding(targets_in), memory, state)
    net.decoder.output(attentional).sum().backward()
    for name, p in net.named_parameters():
        torch.testing.assert_close(p.grad, fused[name], msg=name)


def test_under_autocast_the_decoder_steps_aside_from_the_fused_loop_and_returns_float32():
    """bf16 autocast (what ``train.amp`` turns on on CUDA) exercised on the CPU."""
    net = model(input_feeding=True)
    sources, lengths, targets_in = batch()
    streams = net.encode(sources, lengths)
    memory = net.decoder.prepare(streams)
    assert net.decoder.fusable(memory)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not net.decoder.fusable(memory)
        log_probs, attention = net(sources, lengths, targets_in)[:2]
    reference = net(sources, lengths, targets_in).log_probs
    assert log_probs.dtype == torch.float32
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 4))
    assert (log_probs - reference).abs().max() < 0.1  # bf16 products, the same model
