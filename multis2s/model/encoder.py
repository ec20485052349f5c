"""The encoder contract: what every encoder plugin returns to the core.

Shapes: B batch, S encoded steps (after any subsampling), D memory size, Ds final-state size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass
class EncoderOutput:
    """What ``encoder(inputs, lengths)`` returns.

    memory: (B, S, D) encoded source, S after any subsampling.
    memory_mask: (B, S) bool, True on real positions.
    final_state: (B, Ds) summary for the decoder's initial state, or None.
    """

    memory: torch.Tensor
    memory_mask: torch.Tensor
    final_state: torch.Tensor | None = None


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
