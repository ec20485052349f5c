"""Learning-rate, teacher-forcing and CTC-weight schedules as functions of the update step."""

from __future__ import annotations

import math

from multis2s.config import ModelConfig, TrainConfig
from multis2s.errors import ConfigError


def lr_factor(step: int, train: TrainConfig) -> float:
    """Multiplier of ``train.lr`` at update ``step`` (0-based): linear warm-up, then the schedule.

    ``constant`` keeps 1; ``inverse_sqrt`` decays as sqrt(warmup / step); ``linear`` and
    ``cosine`` decay to ``min_lr / lr`` at ``max_steps``.
    """
    warmup = max(0, train.warmup_steps)
    current = step + 1
    if current <= warmup:
        return current / warmup
    if train.schedule == "constant":
        return 1.0
    if train.schedule == "inverse_sqrt":
        return math.sqrt(max(1, warmup) / current)
    floor = train.min_lr / train.lr if train.lr > 0 else 0.0
    progress = min(1.0, (current - warmup) / max(1, (train.max_steps or 1) - warmup))
    if train.schedule == "linear":
        return floor + (1.0 - floor) * (1.0 - progress)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def check_schedule(train: TrainConfig, origin: str) -> None:
    """Schedules that decay to an end need ``max_steps``."""
    if train.schedule in ("linear", "cosine") and not train.max_steps:
        raise ConfigError(f"{origin}: train.schedule: {train.schedule!r} needs train.max_steps")


def teacher_forcing_ratio(step: int, train: TrainConfig) -> float:
    """``teacher_forcing`` moving linearly to ``teacher_forcing_end`` over ``teacher_forcing_steps``."""
    if train.teacher_forcing_end is None or train.teacher_forcing_steps <= 0:
        return train.teacher_forcing
    progress = min(1.0, step / train.teacher_forcing_steps)
    return train.teacher_forcing + (train.teacher_forcing_end - train.teacher_forcing) * progress


def ctc_mix(model: ModelConfig, step: int) -> float:
    """The CTC loss's share at update ``step`` (0-based): ``ctc_weight``, reached linearly over
    ``ctc_ramp_steps`` updates from 0."""
    if model.ctc_ramp_steps <= 0:
        return model.ctc_weight
    return model.ctc_weight * min(1.0, step / model.ctc_ramp_steps)
