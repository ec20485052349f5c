"""Checkpoints: weights as state dicts plus plain data, loaded with ``weights_only=True``.

A checkpoint never runs code when loaded. Writes are atomic: a temporary file in the same folder
is renamed over the target, so a crash mid-write never leaves a truncated ``last.pt``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from multis2s.errors import CheckpointError

FORMAT = 1


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` (plus the format version) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(handle)
    try:
        torch.save({"format": FORMAT, **payload}, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """The payload at ``path``, on the CPU; a missing or unreadable file is a CheckpointError."""
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        raise CheckpointError(f"{path}: not a readable multis2s checkpoint ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a multis2s checkpoint (format {FORMAT})")
    return payload
