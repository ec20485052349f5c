"""Checkpoint averaging: the mean of the weights of a run's last N step-named checkpoints.

Floating-point weights are averaged in float64 and cast back; any other tensor (an integer
buffer) is taken from the newest checkpoint, as are the config, pipeline states and progress.
The result is an ordinary checkpoint, scored like any other (``evaluate --checkpoint average``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from multis2s.checkpoint import Checkpoint
from multis2s.errors import CheckpointError
from multis2s.run_folder import RunFolder


def average_checkpoints(paths: list[Path]) -> Checkpoint:
    """The checkpoint whose weights are the mean of those in ``paths`` (the newest last)."""
    checkpoints = [Checkpoint.load(path) for path in paths]
    newest = checkpoints[-1]
    for path, checkpoint in zip(paths, checkpoints):
        if checkpoint.model.keys() != newest.model.keys() or checkpoint.config != newest.config:
            raise CheckpointError(f"{path}: not a checkpoint of the same run as {paths[-1]}")
    weights = {}
    for name, tensor in newest.model.items():
        if tensor.is_floating_point():
            total = sum(c.model[name].to(torch.float64) for c in checkpoints)
            weights[name] = (total / len(checkpoints)).to(tensor.dtype)
        else:
            weights[name] = tensor
    steps = [c.progress.get("step") for c in checkpoints]
    return Checkpoint(config=newest.config, model=weights, sources=newest.sources, target=newest.target,
                      progress={**newest.progress, "averaged_steps": steps})


def average_run(folder: RunFolder, last: int, out: Path | None = None) -> Path:
    """Average the run's ``last`` newest step checkpoints into ``out`` (default ``checkpoints/average.pt``)."""
    available = folder.step_checkpoints()
    if last < 1 or last > len(available):
        raise CheckpointError(f"{folder.path}: --last {last}, but the run keeps {len(available)} step checkpoint(s) "
                              "(train.keep_checkpoints)")
    out = out or folder.checkpoint("average")
    average_checkpoints(available[-last:]).save(out)
    return out
