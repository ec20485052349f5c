"""The mean power of a waveform, and a waveform scaled to another's power.

Shapes: N samples (mono float32).
"""

from __future__ import annotations

import torch

POWER_FLOOR = 1e-12
"""Mean powers below this are taken as this when divided by (silence)."""
SCALED_POWER_FLOOR = 1e-20
"""The floor of a signal's power in :func:`at_power_of`: only an all-zero signal meets it."""


def mean_power(waveform: torch.Tensor) -> float:
    """Mean square of a waveform (N,), in float64."""
    return float(waveform.double().square().mean()) if waveform.numel() else 0.0


def at_power_of(signal: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``signal`` (N,) scaled to the mean power of ``reference`` (M,), as float32."""
    power = reference.double().square().mean()
    signal_power = signal.double().square().mean().clamp_min(SCALED_POWER_FLOOR)
    return (signal * (power / signal_power).sqrt()).float()
