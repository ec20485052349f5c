"""Boolean masks that are True on real positions."""

from __future__ import annotations

import torch


def lengths_to_mask(lengths: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
    """``lengths`` (B,) → mask (B, S) with ``mask[b, s] = s < lengths[b]``."""
    size = int(lengths.max()) if max_length is None else max_length
    steps = torch.arange(size, device=lengths.device)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)


def masked_fill_min(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``scores`` with positions where ``mask`` is False set to the dtype's lowest value."""
    return scores.masked_fill(~mask, torch.finfo(scores.dtype).min)


def causal_mask(size: int, device: torch.device) -> torch.Tensor:
    """(T, T) mask, True where target step t may attend to step u (u <= t)."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril()
