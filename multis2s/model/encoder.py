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
