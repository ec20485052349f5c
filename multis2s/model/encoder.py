"""The encoder contract: what every encoder plugin returns, and what the decoder reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass
class EncoderOutput:
    """What ``encoder(inputs, lengths)`` returns.

    memory: (B, S, D) encoded source, S after any subsampling.
    memory_mask: (B, S) bool, True on real positions.
    final_state: (B, state_dim) summary for the decoder's initial state, or None.
    """

    memory: torch.Tensor
    memory_mask: torch.Tensor
    final_state: torch.Tensor | None = None


@dataclass
class StreamOutputs:
    """What several encoders return together (:class:`~multis2s.model.multi_encoder.MultiEncoder`).

    streams: one :class:`EncoderOutput` per stream, in config order; a stream absent from a row has
    a mask that is False on all of that row's positions.
    final_state: (B, ΣDs) the streams' final states side by side (zeros where absent), or None.
    """

    streams: tuple[EncoderOutput, ...]
    final_state: torch.Tensor | None = None

    @property
    def memory_mask(self) -> torch.Tensor:
        """(B, ΣS) the streams' masks side by side."""
        return torch.cat([s.memory_mask for s in self.streams], dim=1)


Encoded = EncoderOutput | StreamOutputs
"""What a decoder reads: one encoder's output, or several side by side."""


def uniform_weights(encoded: Encoded) -> torch.Tensor:
    """(B, ΣS) attention weights spread evenly over each stream's real positions (zeros where absent)."""
    streams = encoded.streams if isinstance(encoded, StreamOutputs) else (encoded,)
    weights = []
    for stream in streams:
        mask = stream.memory_mask.float()  # (B, S)
        weights.append(mask / mask.sum(dim=1, keepdim=True).clamp(min=1.0))
    return torch.cat(weights, dim=1)


@dataclass
class Memory:
    """The encoder output as a decoder reads it, with projections computed once per batch.

    values: (B, S, D) the memory; mask: (B, S) bool, True on real positions;
    keys: decoder-specific tensors derived from ``values`` (each with batch first), or ().
    """

    values: torch.Tensor
    mask: torch.Tensor
    keys: tuple[torch.Tensor, ...] = ()

    def repeat(self, times: int) -> "Memory":
        """Each batch row repeated ``times`` times in a row: (B, …) → (B·times, …), for beams."""
        expand: Callable[[torch.Tensor], torch.Tensor] = lambda t: t.repeat_interleave(times, dim=0)
        return Memory(expand(self.values), expand(self.mask), tuple(expand(k) for k in self.keys))


@dataclass
class Memories:
    """Several streams' memories, each prepared by the decoder; what it attends over one by one."""

    streams: tuple[Memory, ...]

    @property
    def mask(self) -> torch.Tensor:
        """(B, ΣS) the streams' masks side by side: the columns of the returned attention."""
        return torch.cat([m.mask for m in self.streams], dim=1)

    def repeat(self, times: int) -> "Memories":
        """Every stream's rows repeated ``times`` times in a row, for beams."""
        return Memories(tuple(m.repeat(times) for m in self.streams))


def stream_memories(memory: Memory | Memories) -> tuple[Memory, ...]:
    """The streams of a prepared memory: one for a single encoder."""
    return memory.streams if isinstance(memory, Memories) else (memory,)


def map_tensors(state: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor in a nest of tuples, lists and dicts (used to reorder beams)."""
    if isinstance(state, torch.Tensor):
        return fn(state)
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(map_tensors(s, fn) for s in state))
    if isinstance(state, (tuple, list)):
        return type(state)(map_tensors(s, fn) for s in state)
    if isinstance(state, dict):
        return {k: map_tensors(v, fn) for k, v in state.items()}
    return state
