"""The compiled step loops (csrc/attention_lstm.cpp) compute what the Python loops compute.

The Python loops of :mod:`multis2s.model.fused_attention_lstm` are the reference: the compiled
forward and backward loops give the same outputs and gradients on one thread and on two (where
the batch rows are split into one part per thread, and the attention runs in chunks of rows);
the compiled search step gives what the decoder's own step gives; and where the loops cannot be
built, one warning says why and the Python loops do the work.
"""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch
from torch.utils import cpp_extension

from multis2s.model import native
from multis2s.model.encoder import EncoderOutput, map_tensors
from multis2s.model.fused_attention_lstm import FusedAttentionLSTM
from multis2s.model.streams import Memories, Streams
from multis2s.search.beam import BeamSearch
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import MaxLength
from tests.core.test_decoder_paths import memory_of
from tests.core.tiny import batch, decoder, model

def fused_inputs(dtype: torch.dtype) -> list[torch.Tensor]:
    """Inputs of :class:`FusedAttentionLSTM` with padded rows: 40 rows, so two threads make two
    parts of 20, and S·A large enough that the attention runs in chunks of 16 rows."""
    torch.manual_seed(0)
    steps, rows, source, hidden, attention, memory = 3, 40, 16, 6, 512, 5

    def leaf(*shape):
        return (torch.randn(*shape, dtype=dtype) * 0.5).requires_grad_()

    mask = torch.ones(rows, source, dtype=torch.bool)
    mask[::3, 9:] = False
    return [leaf(steps, rows, 4 * hidden), leaf(rows, hidden), leaf(rows, hidden), leaf(rows, hidden),
            leaf(4 * hidden, hidden), leaf(4 * hidden, hidden), leaf(rows, source, attention),
            leaf(rows, source, memory), mask, leaf(attention, hidden), leaf(attention), leaf(attention),
            leaf(hidden, hidden + memory), leaf(hidden)]


def outputs_and_gradients(inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    for tensor in inputs:
        tensor.grad = None
    attentional, weights = FusedAttentionLSTM.apply(*inputs)
    probe = torch.linspace(-1, 1, attentional.numel(), dtype=attentional.dtype).view_as(attentional)
    ((attentional * probe).sum() + (weights ** 2).sum()).backward()
    return [attentional.detach(), weights.detach()] + [t.grad for t in inputs if t.dtype != torch.bool]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_loops_give_the_outputs_and_gradients_of_the_python_loops(threads, dtype, monkeypatch):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        inputs = fused_inputs(dtype)
        monkeypatch.setenv(native.SWITCH, "0")
        expected = outputs_and_gradients(inputs)
        monkeypatch.setenv(native.SWITCH, "1")
        got = outputs_and_gradients(inputs)
    finally:
        torch.set_num_threads(previous)
    tolerance = dict(rtol=1e-12, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
    for number, (value, reference) in enumerate(zip(got, expected)):
        torch.testing.assert_close(value, reference, **tolerance, msg=f"output or gradient {number}")


def test_the_compiled_search_step_equals_the_decoders_own_step(monkeypatch):
    net = decoder("rnn", {"source": 6}, 6, hidden_dim=7).eval()
    _, memory, state = memory_of(net, torch.float32)
    assert net.fusable(memory)
    tokens = torch.tensor([4, 5, 6])
    runs = {}
    with torch.no_grad():
        for switch in ("0", "1"):
            monkeypatch.setenv(native.SWITCH, switch)
            assert (net._compiled_step(torch.zeros(1), memory) is None) == (switch == "0")
            current, steps = state, []
            for _ in range(3):
                hidden, weights, current = net.step(tokens, memory, current)
                steps.append((hidden, weights["source"], current.hidden, current.cell, current.feed))
            runs[switch] = steps
    for expected, got in zip(runs["0"], runs["1"]):
        for reference, value in zip(expected, got):
            torch.testing.assert_close(value, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2])
def test_beams_reading_their_items_memory_once_step_as_on_a_copy_per_beam(threads, monkeypatch):
    """A memory repeated for 4 beams keeps its items' memory (``per_item``), which the compiled step
    reads instead of the copies: 6 items, so two threads split them 3 and 3. Selecting whole items'
    rows selects those items' memory."""
    net = decoder("rnn", {"source": 6}, 6, hidden_dim=7).eval()
    torch.manual_seed(2)
    values = torch.randn(6, 5, 6)
    mask = torch.ones(6, 5, dtype=torch.bool)
    mask[1, 3:] = mask[4, 1:] = False
    streams = Streams({"source": EncoderOutput(values, mask, torch.randn(6, 6))}, torch.randn(6, 6))
    memory = net.prepare(streams).repeat(4)
    assert memory.streams["source"].per_item is not None
    copies = Memories({"source": dataclasses.replace(memory.streams["source"], per_item=None)})
    state = map_tensors(net.initial_state(streams), lambda t: t.repeat_interleave(4, dim=0))
    tokens = torch.arange(24) % 5 + 4
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            outputs = {}
            for switch, shared in (("0", copies), ("1", copies), ("1", memory)):
                monkeypatch.setenv(native.SWITCH, switch)
                hidden, weights, current = net.step(tokens, shared, state)
                outputs[switch, shared is memory] = (hidden, weights["source"], current.hidden, current.cell)
    finally:
        torch.set_num_threads(previous)
    for key in (("1", False), ("1", True)):
        for value, reference in zip(outputs[key], outputs["0", False]):
            torch.testing.assert_close(value, reference, rtol=1e-5, atol=1e-6)
    picked = memory.select(torch.tensor([8, 9, 10, 11, 0, 1, 2, 3]))
    torch.testing.assert_close(picked.streams["source"].per_item.values, values[[2, 0]])
    torch.testing.assert_close(picked.streams["source"].values, values[[2, 2, 2, 2, 0, 0, 0, 0]])


def test_searches_find_the_same_hypotheses_with_and_without_the_compiled_step(monkeypatch):
    net = model("rnn", "rnn")
    sources, lengths, _ = batch()
    found = {}
    for switch in ("0", "1"):
        monkeypatch.setenv(native.SWITCH, switch)
        found[switch] = [search(net, sources, lengths, max_length=MaxLength(2.0, 3))
                         for search in (GreedySearch(), BeamSearch(beam=3, n_best=2))]
    for expected, got in zip(found["0"], found["1"]):
        for hypotheses, others in zip(expected, got):
            assert [h.tokens for h in hypotheses] == [h.tokens for h in others]
            assert [h.score for h in hypotheses] == pytest.approx([h.score for h in others], abs=1e-5)


def test_the_compiled_step_is_left_out_where_gradients_are_wanted_or_tensors_are_not_float():
    net = decoder("rnn", {"source": 6}, 6, hidden_dim=7)
    _, memory, _ = memory_of(net, torch.float32)
    assert net._compiled_step(torch.zeros(1), memory) is None  # gradients on
    with torch.no_grad():
        assert net._compiled_step(torch.zeros(1), memory) is not None
        assert net._compiled_step(torch.zeros(1, dtype=torch.bfloat16), memory) is None


def test_where_the_loops_cannot_be_built_one_warning_names_the_reason_and_python_does_the_work(
        monkeypatch, tmp_path):
    def no_compiler(*args, **kwargs):
        raise RuntimeError("Error building extension 'multis2s_attention_lstm': c++: not found")

    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))  # nothing built there yet
    monkeypatch.setattr(cpp_extension, "load", no_compiler)
    native._built.cache_clear()
    try:
        with pytest.warns(UserWarning, match=r"the decoder's step loops cannot be compiled \(Error building "
                                             r"extension .*c\+\+: not found\); using its Python version"):
            assert native.compiled("attention_lstm") is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # said once
            assert native.compiled("attention_lstm") is None
            outputs_and_gradients(fused_inputs(torch.float64))
    finally:
        native._built.cache_clear()


def test_loops_built_before_are_imported_without_pytorchs_build_tools(monkeypatch):
    native.compiled("attention_lstm")
    monkeypatch.setattr(cpp_extension, "load", None)  # would fail if called
    native._built.cache_clear()
    try:
        assert native.compiled("attention_lstm").__file__ == str(
            native.build_directory("attention_lstm") / "multis2s_attention_lstm.so")
    finally:
        native._built.cache_clear()


def test_multis2s_native_0_turns_the_compiled_loops_off(monkeypatch):
    monkeypatch.setenv(native.SWITCH, "0")
    assert native.compiled("attention_lstm") is None
    monkeypatch.setenv(native.SWITCH, "1")
    assert native.compiled("attention_lstm") is not None
