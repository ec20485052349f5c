"""Encoder streams: one path for one encoder or several, keyed by stream name.

A model reads one or more named streams (``model.encoders``; ``model.encoder`` is the one stream
``source``). Each stream has its own encoder, its own attention in the decoder, and its own
inputs with their own lengths. This module is the only place that knows there may be more than
one: with one stream there is no fusion layer and nothing is masked beyond the encoder's own mask.

A stream can be absent from some rows (length 0: a missing file) or from the whole batch (not in
the inputs at all); its mask is then False on those rows and the decoder ignores it there. In
training, ``stream_dropout`` hides one randomly chosen stream of a row that has every stream.

Fusion kinds (``model.decoder.fusion``, several streams only):
- ``concat``: the streams' contexts side by side (then projected where the decoder needs one size).
- ``gate``: each context projected to a common size and weighted by a learned softmax gate over the
  streams, scored from the query and that context: the decoder learns which stream to trust.

Shapes: B batch, T target steps, S_in_i input steps of stream i, S_i its encoded steps, D_i its
memory size, Ds_i its final-state size, Dq query size, Dc fused context size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import torch
from torch import nn

from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import masked_fill_min

FusionKind = Literal["concat", "gate"]
FUSION_KINDS: tuple[str, ...] = ("concat", "gate")


@dataclass
class Streams:
    """The encoder outputs of one batch, by stream name in config order.

    outputs: one :class:`EncoderOutput` per stream; a stream absent from a row has a mask that is
    False on all of that row's positions. final_state: (B, ΣDs_i) the streams' final states side
    by side (zeros where a stream is absent or has none), or None when no encoder has one.
    copy_ids: (B, S) the copy stream's extended source ids with ``model.copy``
    (:mod:`multis2s.model.copy`), else None.
    """

    outputs: dict[str, EncoderOutput]
    final_state: torch.Tensor | None = None
    copy_ids: torch.Tensor | None = None

    def uniform_weights(self) -> dict[str, torch.Tensor]:
        """Per stream (B, S_i): weights spread evenly over the real positions (zeros where absent)."""
        weights = {}
        for name, output in self.outputs.items():
            mask = output.memory_mask.to(output.memory.dtype)  # (B, S_i)
            weights[name] = mask / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return weights

    @property
    def mask(self) -> torch.Tensor:
        """(B, S_0) the first stream's mask (for sizes and devices)."""
        return next(iter(self.outputs.values())).memory_mask


class StreamEncoders(nn.Module):
    """Named encoders, each run on its own stream's inputs; their outputs travel side by side."""

    def __init__(self, *, encoders: dict[str, nn.Module], stream_dropout: float = 0.0) -> None:
        super().__init__()
        if not encoders:
            raise ValueError("a model needs at least one encoder stream")
        if not 0.0 <= stream_dropout < 1.0:
            raise ValueError(f"stream_dropout must be in [0, 1), got {stream_dropout}")
        if stream_dropout > 0 and len(encoders) < 2:
            raise ValueError("stream_dropout needs at least two encoder streams")
        self.encoders = nn.ModuleDict(encoders)
        self.stream_dropout = stream_dropout
        self.output_dims = {name: int(e.output_dim) for name, e in encoders.items()}
        self.state_dim = sum(int(e.state_dim) for e in encoders.values())

    def forward(self, inputs: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor]) -> Streams:
        """inputs: stream → (B, S_in_i, …); lengths: stream → (B,) with 0 where a row lacks it.

        A stream missing from ``inputs`` is absent from every row.
        """
        if not inputs:
            raise ValueError("no stream has any input")
        any_lengths = next(iter(lengths.values()))  # (B,)
        batch = any_lengths.size(0)
        outputs = {}
        for name, encoder in self.encoders.items():
            if name in inputs:
                outputs[name] = _encode(encoder, inputs[name], lengths[name])
            else:
                outputs[name] = _absent(encoder, batch, any_lengths.device)
        if self.training and self.stream_dropout > 0:
            outputs = self._drop_streams(outputs)
        return self._join(outputs)

    def alone(self, streams: Streams, name: str) -> tuple[Streams, torch.Tensor]:
        """The rows that have stream ``name``, with every other stream hidden (what the decoder
        sees of that stream alone, for per-stream training losses), and those rows (R,)."""
        rows = streams.outputs[name].memory_mask.any(dim=1).nonzero().squeeze(1)  # (R,)
        hidden = torch.zeros(rows.numel(), dtype=torch.bool, device=rows.device)
        outputs = {}
        for other, output in streams.outputs.items():
            picked = EncoderOutput(output.memory.index_select(0, rows), output.memory_mask.index_select(0, rows),
                                   None if output.final_state is None else output.final_state.index_select(0, rows))
            outputs[other] = picked if other == name else _hide(picked, hidden)
        copy_ids = None if streams.copy_ids is None else streams.copy_ids.index_select(0, rows)
        return self._join(outputs, copy_ids), rows

    def _join(self, outputs: dict[str, EncoderOutput], copy_ids: torch.Tensor | None = None) -> Streams:
        """The streams' outputs with their final states side by side (zeros for an encoder without one)."""
        batch = next(iter(outputs.values())).memory_mask.size(0)
        states = [o.final_state if o.final_state is not None else o.memory.new_zeros(batch, e.state_dim)
                  for o, e in zip(outputs.values(), self.encoders.values())]
        final = torch.cat(states, dim=1) if self.state_dim else None  # (B, ΣDs_i)
        return Streams(outputs, final, copy_ids)

    def _drop_streams(self, outputs: dict[str, EncoderOutput]) -> dict[str, EncoderOutput]:
        """With probability ``stream_dropout`` per row that has every stream, hide one chosen uniformly."""
        first = next(iter(outputs.values())).memory_mask
        batch, device = first.size(0), first.device
        complete = torch.stack([o.memory_mask.any(dim=1) for o in outputs.values()]).all(dim=0)  # (B,)
        dropped = complete & (torch.rand(batch, device=device) < self.stream_dropout)  # (B,)
        which = torch.randint(len(outputs), (batch,), device=device)  # (B,)
        return {name: _hide(o, ~(dropped & (which == i))) for i, (name, o) in enumerate(outputs.items())}


def _encode(encoder: nn.Module, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
    """Rows of length 0 are encoded over the whole padded input, then masked out entirely."""
    present = lengths > 0  # (B,)
    encoded = encoder(inputs, torch.where(present, lengths, lengths.max().clamp(min=1)))
    return _hide(encoded, present)


def _absent(encoder: nn.Module, batch: int, device: torch.device) -> EncoderOutput:
    """A stream no row has: one masked zero position per row."""
    memory = torch.zeros(batch, 1, int(encoder.output_dim), device=device)  # (B, 1, D_i)
    mask = torch.zeros(batch, 1, dtype=torch.bool, device=device)
    return EncoderOutput(memory, mask, None)


def _hide(encoded: EncoderOutput, keep: torch.Tensor) -> EncoderOutput:
    """The output with rows where ``keep`` (B,) is False masked out and their final state zeroed."""
    mask = encoded.memory_mask & keep.unsqueeze(1)  # (B, S)
    state = encoded.final_state
    if state is not None:
        state = state * keep.to(state.dtype).unsqueeze(1)
    return EncoderOutput(encoded.memory, mask, state)


@dataclass
class Memory:
    """One stream's encoder output as a decoder reads it, with projections computed once per batch.

    values: (B, S, D) the memory; mask: (B, S) bool, True on real positions; keys: decoder-specific
    tensors derived from ``values`` (each with batch first), or (); present: (B,) True for the rows
    in which the stream has at least one real position; complete: every row has it; per_item: for
    a memory repeated for beams (:meth:`repeat`), the memory once per item (B / K rows), which a
    step that attends from an item's K rows at once reads instead of the K copies.
    """

    values: torch.Tensor
    mask: torch.Tensor
    keys: tuple[torch.Tensor, ...] = ()
    present: torch.Tensor | None = None
    complete: bool = True
    per_item: "Memory | None" = None

    @classmethod
    def of(cls, values: torch.Tensor, mask: torch.Tensor, keys: tuple[torch.Tensor, ...] = ()) -> "Memory":
        """A memory with its presence computed from ``mask``."""
        present = mask.any(dim=1)  # (B,)
        return cls(values, mask, keys, present, bool(present.all()))

    def repeat(self, times: int) -> "Memory":
        """Each batch row repeated ``times`` times in a row: (B, …) → (B·times, …), for beams; itself once."""
        if times == 1:
            return self
        expand: Callable[[torch.Tensor], torch.Tensor] = lambda t: t.repeat_interleave(times, dim=0)  # noqa: E731
        return Memory(expand(self.values), expand(self.mask), tuple(expand(k) for k in self.keys),
                      expand(self.present), self.complete, self)

    def select(self, rows: torch.Tensor) -> "Memory":
        """The memory of the given rows (R,), in that order; of a repeated memory, whole items'
        rows (each item's K rows in a row)."""
        pick: Callable[[torch.Tensor], torch.Tensor] = lambda t: t.index_select(0, rows)  # noqa: E731
        per_item = None
        if self.per_item is not None:
            beams = self.mask.size(0) // self.per_item.mask.size(0)
            per_item = self.per_item.select(rows[::beams] // beams)
        return Memory(pick(self.values), pick(self.mask), tuple(pick(k) for k in self.keys), pick(self.present),
                      self.complete, per_item)

    def hide_absent(self, weights: torch.Tensor) -> torch.Tensor:
        """weights (B, …) zeroed on the rows where the stream is absent."""
        if self.complete:
            return weights
        return weights * self.present.to(weights.dtype).view(-1, *([1] * (weights.dim() - 1)))


@dataclass
class Memories:
    """Every stream's prepared memory, by stream name: what a decoder attends over; copy_ids (B, S):
    the copy stream's extended source ids with ``model.copy`` (they follow the rows), else None;
    input_table (V, G): what a decoder's search step looks a token's input up in instead of
    computing it (the RNN decoder's first-layer gate input per target token), or None. It has no
    rows, so it stays as it is when the rows are repeated or selected."""

    streams: dict[str, Memory]
    copy_ids: torch.Tensor | None = None
    input_table: torch.Tensor | None = None

    def repeat(self, times: int) -> "Memories":
        """Every stream's rows repeated ``times`` times in a row, for beams; itself once."""
        if times == 1:
            return self
        copy_ids = None if self.copy_ids is None else self.copy_ids.repeat_interleave(times, dim=0)
        return Memories({name: m.repeat(times) for name, m in self.streams.items()}, copy_ids, self.input_table)

    def select(self, rows: torch.Tensor) -> "Memories":
        """Every stream's memory of the given rows (R,), in that order (a search dropping finished items)."""
        copy_ids = None if self.copy_ids is None else self.copy_ids.index_select(0, rows)
        return Memories({name: m.select(rows) for name, m in self.streams.items()}, copy_ids, self.input_table)

    def real_lengths(self) -> torch.Tensor:
        """(B,) real positions over all streams (what output-length limits are relative to)."""
        return sum(m.mask.sum(dim=1) for m in self.streams.values())

    def masks(self) -> dict[str, torch.Tensor]:
        """Per stream (B, S_i) masks."""
        return {name: m.mask for name, m in self.streams.items()}

    @property
    def batch_size(self) -> int:
        return next(iter(self.streams.values())).mask.size(0)

    @property
    def device(self) -> torch.device:
        return next(iter(self.streams.values())).mask.device


class ContextFusion(nn.Module):
    """Per-stream contexts (B, T, D_i) → one context (B, T, Dc); one stream passes through unchanged."""

    def __init__(self, *, kind: FusionKind | None, context_dims: tuple[int, ...], query_dim: int,
                 output_dim: int | None) -> None:
        """``kind`` None means ``concat`` for several streams; ``output_dim`` None keeps ``concat``'s
        ΣD_i; ``gate`` without one uses the largest D_i. One stream has no fusion layer at all."""
        super().__init__()
        if kind is not None and kind not in FUSION_KINDS:
            raise ValueError(f"fusion {kind!r} is not one of {', '.join(FUSION_KINDS)}")
        if len(context_dims) == 1:
            if kind is not None:
                raise ValueError("fusion applies to several encoder streams; this model has one")
            self.kind, self.output_dim = None, context_dims[0]
            return
        self.kind = kind or "concat"
        total = sum(context_dims)
        if self.kind == "concat":
            self.output_dim = output_dim or total
            self.project = nn.Linear(total, self.output_dim) if self.output_dim != total else nn.Identity()
        else:
            self.output_dim = output_dim or max(context_dims)
            self.projections = nn.ModuleList(
                nn.Linear(d, self.output_dim) if d != self.output_dim else nn.Identity() for d in context_dims
            )
            self.gate_scores = nn.ModuleList(nn.Linear(query_dim + self.output_dim, 1) for _ in context_dims)

    def forward(self, query: torch.Tensor, contexts: list[torch.Tensor], memories: list[Memory]) -> torch.Tensor:
        """query (B, T, Dq); contexts: per stream (B, T, D_i); memories: per stream → (B, T, Dc)."""
        if self.kind is None:
            return contexts[0]
        kept = [m.hide_absent(c) for c, m in zip(contexts, memories)]
        if self.kind == "concat":
            return self.project(torch.cat(kept, dim=-1))
        projected = [project(c) for project, c in zip(self.projections, kept)]  # each (B, T, Dc)
        scores = torch.cat([score(torch.cat([query, c], dim=-1)) for score, c in zip(self.gate_scores, projected)],
                           dim=-1)  # (B, T, N streams)
        available = torch.stack([m.present for m in memories], dim=-1).unsqueeze(1)  # (B, 1, N)
        gates = masked_fill_min(scores, available).softmax(dim=-1)  # (B, T, N)
        return (torch.stack(projected, dim=-1) * gates.unsqueeze(2)).sum(dim=-1)  # (B, T, Dc)


AttentionFactory = Callable[..., nn.Module]
"""Builds one attention module: ``factory(query_dim=…, memory_dim=…)`` (see :mod:`multis2s.model.attention`)."""


class StreamAttention(nn.Module):
    """One attention per stream plus a :class:`ContextFusion`: what the RNN decoder attends with.

    The weights it returns are per stream, (B, T, S_i), each summing to one on the rows where the
    stream is present and zero elsewhere.
    """

    def __init__(self, *, attention: AttentionFactory, fusion: FusionKind | None, query_dim: int,
                 memory_dims: dict[str, int]) -> None:
        super().__init__()
        self.attentions = nn.ModuleDict(
            {name: attention(query_dim=query_dim, memory_dim=dim) for name, dim in memory_dims.items()})
        self.needs_previous = any(a.needs_previous for a in self.attentions.values())
        gate = fusion == "gate" and len(memory_dims) > 1
        self.fusion = ContextFusion(kind=fusion, context_dims=tuple(memory_dims.values()), query_dim=query_dim,
                                    output_dim=query_dim if gate else None)
        self.output_dim = self.fusion.output_dim

    def prepare(self, streams: Streams) -> Memories:
        """Each stream's memory with its attention's projections."""
        return Memories({name: Memory.of(o.memory, o.memory_mask, self.attentions[name].project(o.memory))
                         for name, o in streams.outputs.items()}, streams.copy_ids)

    def forward(self, query: torch.Tensor, memories: Memories, previous: dict[str, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """query (B, T, Dq); ``previous``: per stream (B, S_i) → context (B, T, Dc), weights per stream (B, T, S_i)."""
        contexts, weights = [], {}
        for name, memory in memories.streams.items():
            context, stream_weights = self.attentions[name](query, memory, None if previous is None else previous[name])
            contexts.append(context)
            weights[name] = memory.hide_absent(stream_weights)
        return self.fusion(query, contexts, list(memories.streams.values())), weights
