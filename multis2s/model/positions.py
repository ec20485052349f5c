"""Sinusoidal position encodings (Vaswani et al., 2017)."""

from __future__ import annotations

import math

import torch


def sinusoidal_positions(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """positions (T,) → (T, D) sine (even dims) and cosine (odd dims) encodings; D even."""
    half = torch.arange(0, dim, 2, device=positions.device, dtype=torch.float32)
    rates = torch.exp(-math.log(10000.0) * half / dim)  # (D/2,)
    angles = positions.float().unsqueeze(1) * rates  # (T, D/2)
    table = torch.zeros(positions.numel(), dim, device=positions.device)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table
