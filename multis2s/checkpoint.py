"""Checkpoints: the one module that names what a checkpoint file holds.

A :class:`Checkpoint` holds the resolved config, the model's weights, each stream's source
pipeline state, the target vocabulary, the training progress and, for resuming, the optimizer,
scheduler and every random generator (:class:`TrainingState`). Files are loaded with
``torch.load(..., weights_only=True)``, so loading never runs code. Writes are atomic: a
temporary file in the same folder is written, flushed to disk and renamed over the target, so a
crash mid-write never leaves a truncated checkpoint.

A file is a header line, ``torch.save``'s bytes and a trailer with their SHA-256, which loading
checks before it reads anything, so a damaged or altered file is one line, never a half-read state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch

from multis2s.errors import CheckpointError
from multis2s.files import write_atomically

FORMAT = 3
"""The checkpoint format this version writes and reads."""

HEADER = b"multis2s checkpoint\n"
TRAILER = b"\nsha256 "
DIGEST_SIZE = 64
"""Hex digits of the SHA-256 that ends the file."""


class _HashingWriter:
    """A write-only stream that passes bytes on and hashes them."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.hash = stream, hashlib.sha256()

    def write(self, data) -> int:
        self.hash.update(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


def _write(payload: dict[str, Any], stream: BinaryIO) -> None:
    stream.write(HEADER)
    hashing = _HashingWriter(stream)
    torch.save(payload, hashing)
    stream.write(TRAILER + hashing.hash.hexdigest().encode())


def _checked_body(path: Path) -> bytes:
    """The ``torch.save`` bytes of a checkpoint file, after checking its SHA-256."""
    with open(path, "rb") as handle:
        data = handle.read()
    end = len(data) - len(TRAILER) - DIGEST_SIZE
    if end < len(HEADER) or data[end:end + len(TRAILER)] != TRAILER:
        raise CheckpointError(f"{path}: damaged checkpoint (its checksum is missing: truncated?)")
    body = data[len(HEADER):end]
    if hashlib.sha256(body).hexdigest().encode() != data[end + len(TRAILER):]:
        raise CheckpointError(f"{path}: damaged checkpoint (checksum mismatch: the file changed after it was "
                              "written)")
    return body


@dataclass
class TrainingState:
    """What resuming needs besides the weights: optimizer, scheduler and random generators."""

    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: list[dict[str, Any]]
    """Each training process's generators (``torch``, ``python``, ``cuda``), by rank."""


@dataclass
class Checkpoint:
    """One checkpoint file's contents."""

    config: dict[str, Any]
    model: dict[str, torch.Tensor]
    sources: dict[str, dict[str, Any]]
    """Each stream's source pipeline state, by stream name."""
    target: dict[str, Any]
    """The target field's state (its vocabulary)."""
    progress: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    """The validation results when this checkpoint was written (best checkpoints)."""
    training: TrainingState | None = None

    def save(self, path: Path) -> None:
        """Write the checkpoint to ``path`` atomically (temporary file, fsync, rename), with its checksum."""
        payload = {"format": FORMAT, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}
        if self.training is not None:
            payload["training"] = dataclasses.asdict(self.training)
        write_atomically(path, lambda stream: _write(payload, stream))

    @classmethod
    def load(cls, path: Path) -> "Checkpoint":
        """The checkpoint at ``path``, on the CPU; a missing, damaged, unreadable or other-format
        file is a one-line CheckpointError."""
        if not path.is_file():
            raise CheckpointError(f"{path}: checkpoint not found")
        with open(path, "rb") as handle:
            ours = handle.read(len(HEADER)) == HEADER
        try:  # an older format is a bare torch.save file: read it only to name its format
            payload = torch.load(io.BytesIO(_checked_body(path)) if ours else path, map_location="cpu",
                                 weights_only=True)
        except CheckpointError:
            raise
        except Exception as exc:  # torch raises many kinds for a damaged or foreign file
            raise CheckpointError(f"{path}: not a readable multis2s checkpoint ({type(exc).__name__})") from None
        version = payload.get("format") if isinstance(payload, dict) else None
        if not isinstance(version, int):
            raise CheckpointError(f"{path}: not a multis2s checkpoint")
        if version != FORMAT:
            raise CheckpointError(f"{path}: written by format {version}; this version reads format {FORMAT}")
        names = [f.name for f in dataclasses.fields(cls)]
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING]
        missing = [name for name in required if name not in payload]
        if missing:
            raise CheckpointError(f"{path}: damaged checkpoint, missing {', '.join(missing)}")
        values = {name: payload[name] for name in names if name in payload}
        if values.get("training") is not None:
            values["training"] = TrainingState(**values["training"])
        return cls(**values)

