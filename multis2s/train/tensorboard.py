"""TensorBoard event files in ``RUN_DIR/tensorboard/``: what ``metrics.jsonl`` records, as curves and pictures.

Training lines give ``train/loss``, ``train/lr``, ``train/tokens_per_s``, ``train/examples_per_s``
and ``train/data_wait``; each validation gives ``dev/<metric>`` for the dev loss and every metric,
and the greedy attention of the first few dev examples as images ``attention/<n>/<stream>``
(target steps down, source steps across). On ``--resume`` the events after the resumed step are
dropped, as ``metrics.jsonl`` is cut back. ``tensorboard --logdir runs/`` reads every run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from multis2s.evaluation import Decoded

PICTURES = 3
"""How many dev examples' attention is drawn at each validation."""
TRAINING_CURVES = ("loss", "lr", "tokens_per_s", "examples_per_s", "data_wait")
PICTURE_PIXELS = 256
"""Attention cells are enlarged (nearest neighbour) until the longer side reaches about this size."""


class TensorBoardLog:
    """Writes one run's events (rank 0 only)."""

    def __init__(self, folder: Path, *, resumed_step: int) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(folder), purge_step=resumed_step + 1 if resumed_step else None)

    def training(self, record: dict[str, float]) -> None:
        """One ``metrics.jsonl`` training line."""
        for name in TRAINING_CURVES:
            self.writer.add_scalar(f"train/{name}", record[name], record["step"])

    def validation(self, step: int, results: dict[str, float], decoded: list[Decoded]) -> None:
        """The dev loss and metrics, and the attention pictures of the first :data:`PICTURES` examples."""
        for name, value in results.items():
            self.writer.add_scalar(f"dev/{name}", value, step)
        for number, item in enumerate(decoded[:PICTURES]):
            for stream, weights in item.hypotheses[0].attention.items():
                if weights.numel():
                    self.writer.add_image(f"attention/{number}/{stream}", attention_picture(weights), step,
                                          dataformats="HW")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def attention_picture(weights: torch.Tensor) -> torch.Tensor:
    """weights (T, S) → a (T·k, S·k) grey image in [0, 1], brightest where attention is highest."""
    weights = weights.detach().float().cpu()
    scale = max(1, PICTURE_PIXELS // max(weights.shape))
    picture = weights / weights.max().clamp_min(1e-12)
    return picture.repeat_interleave(scale, dim=0).repeat_interleave(scale, dim=1)


def open_tensorboard(folder: Path, *, wanted: bool, resumed_step: int, say) -> TensorBoardLog | None:
    """The run's event writer when ``train.tensorboard`` is on and the package is installed (else a note)."""
    if not wanted:
        return None
    if importlib.util.find_spec("tensorboard") is None:
        say("note: no TensorBoard events: pip install 'multis2s[tensorboard]' (or set train.tensorboard: false)")
        return None
    return TensorBoardLog(folder, resumed_step=resumed_step)
