"""The exported graphs: a model's encoders and one decoder step as modules over flat tuples of tensors.

:class:`EncoderGraph` runs every stream's encoder and the decoder's ``prepare`` and
``initial_state``: per stream its source (B, S_in_i, …) and lengths (B,) → the memory tensors
and the initial state tensors. :class:`StepGraph` is one decoder step: previous tokens (N,), the
memory tensors and the state tensors → log-probabilities (N, V), attention per stream (N, S_i)
and the next state tensors. A :class:`Layout` names every tensor of both, in order
(``memory.<stream>.values``, ``state.hidden``, …), for the manifest and the ONNX graphs.

A decoder state is any nest of named tuples, tuples, lists and dicts of tensors (None stands for
a part a configuration lacks); it is flattened in the order
:func:`~multis2s.model.encoder.map_tensors` visits it. Every memory and state tensor has the batch
first, so a runner drops the finished rows of all of them alike.

In the step graph every stream's memory counts as possibly absent from some rows (its weights
and context are multiplied by the row's presence, 1 or 0): the eager model skips that product
when a whole batch has the stream, which gives the same values.

Shapes: B batch, N live decoder rows, S_i encoded steps of stream i, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import torch
from torch import nn

from multis2s.errors import ExportError
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.streams import Memories, Memory


def named_tensors(nest: Any, prefix: str) -> list[tuple[str, torch.Tensor]]:
    """The tensors of a nest with dotted names (``state.alignment.source``), in :func:`map_tensors` order.

    A leaf that is neither a tensor nor None cannot travel through a graph: an ExportError names it.
    """
    if isinstance(nest, torch.Tensor):
        return [(prefix, nest)]
    if nest is None:
        return []
    if isinstance(nest, tuple) and hasattr(nest, "_fields"):
        items = zip(nest._fields, nest)
    elif isinstance(nest, (tuple, list)):
        items = enumerate(nest)
    elif isinstance(nest, dict):
        items = nest.items()
    else:
        raise ExportError(f"the decoder state holds {prefix} = {type(nest).__name__}, not a tensor: "
                          "only tensors can be inputs and outputs of a graph")
    return [pair for key, value in items for pair in named_tensors(value, f"{prefix}.{key}")]


def rebuilt(template: Any, tensors: Iterator[torch.Tensor]) -> Any:
    """The nest ``template`` with its tensors replaced, in order, by the next ones of ``tensors``."""
    return map_tensors(template, lambda _: next(tensors))


def memory_tensors(memory: Memories) -> list[torch.Tensor]:
    """Per stream, in order: values (B, S_i, D), mask (B, S_i), then the decoder's keys."""
    return [t for m in memory.streams.values() for t in (m.values, m.mask, *m.keys)]


@dataclass(frozen=True)
class Layout:
    """The names of the graphs' tensors, in order.

    streams: the stream names; key_counts: how many keys each stream's memory holds; memory:
    per stream ``memory.<s>.values``, ``memory.<s>.mask``, ``memory.<s>.key<i>``; state: the
    decoder state's tensors (``state.…``).
    """

    streams: tuple[str, ...]
    key_counts: tuple[int, ...]
    state: tuple[str, ...]

    @classmethod
    def of(cls, memory: Memories, state: Any) -> "Layout":
        return cls(tuple(memory.streams), tuple(len(m.keys) for m in memory.streams.values()),
                   tuple(name for name, _ in named_tensors(state, "state")))

    @property
    def memory(self) -> tuple[str, ...]:
        return tuple(name for stream, keys in zip(self.streams, self.key_counts)
                     for name in (f"memory.{stream}.values", f"memory.{stream}.mask",
                                  *(f"memory.{stream}.key{i}" for i in range(keys))))

    @property
    def encoder_inputs(self) -> tuple[str, ...]:
        return tuple(name for stream in self.streams for name in (stream, f"{stream}.lengths"))

    @property
    def encoder_outputs(self) -> tuple[str, ...]:
        return self.memory + self.state

    @property
    def step_inputs(self) -> tuple[str, ...]:
        return ("tokens", *self.memory, *self.state)

    @property
    def step_outputs(self) -> tuple[str, ...]:
        return ("log_probs", *(f"attention.{s}" for s in self.streams),
                *(f"next_{name}" for name in self.state))

    def memories(self, tensors: tuple[torch.Tensor, ...]) -> Memories:
        """The memory tensors back as :class:`Memories`, each stream counted as possibly absent."""
        streams, start = {}, 0
        for stream, keys in zip(self.streams, self.key_counts):
            values, mask, *rest = tensors[start:start + 2 + keys]
            streams[stream] = Memory(values, mask, tuple(rest), mask.any(dim=1), complete=False)
            start += 2 + keys
        return Memories(streams)


class EncoderGraph(nn.Module):
    """Sources and lengths per stream → the decoder's memory tensors and initial state tensors."""

    def __init__(self, model: Seq2Seq, layout: Layout) -> None:
        super().__init__()
        self.model, self.layout = model, layout

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Per stream in order its source (B, S_in_i, …) and lengths (B,) → memory then state tensors."""
        streams = self.layout.streams
        sources = {name: inputs[2 * i] for i, name in enumerate(streams)}
        lengths = {name: inputs[2 * i + 1] for i, name in enumerate(streams)}
        encoded = self.model.encode(sources, lengths)
        decoder = self.model.decoder
        state = decoder.initial_state(encoded)
        return (*memory_tensors(decoder.prepare(encoded)), *(t for _, t in named_tensors(state, "state")))


class StepGraph(nn.Module):
    """One decoder step over flat tensors: tokens, memory, state → log-probs, attention, next state."""

    def __init__(self, model: Seq2Seq, layout: Layout, state: Any) -> None:
        """``state``: a decoder state of the model (its structure is what the flat state tensors rebuild)."""
        super().__init__()
        self.decoder, self.layout = model.decoder, layout
        self.template = map_tensors(state, lambda t: torch.empty(0))

    def forward(self, tokens: torch.Tensor, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """tokens (N,), the memory then the state tensors → log_probs (N, V), attention per stream
        (N, S_i), the next state tensors."""
        count = len(self.layout.memory)
        memory = self.layout.memories(tensors[:count])
        state = rebuilt(self.template, iter(tensors[count:]))
        hidden, weights, state = self.decoder.step(tokens, memory, state)
        return (self.decoder.output(hidden), *(weights[s] for s in self.layout.streams),
                *(t for _, t in named_tensors(state, "state")))
