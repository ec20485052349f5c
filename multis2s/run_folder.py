"""Run folders: the one module that knows their layout.

``RUN_DIR/config.yaml`` (the resolved config: every option, defaults included, paths absolute),
``RUN_DIR/checkpoints/{last,best}.pt``, ``RUN_DIR/metrics.jsonl`` (one JSON record per line:
training windows and validations), ``RUN_DIR/train.log`` (what training printed) and, after ``run``,
``RUN_DIR/results.json``. Every file is
written by :mod:`multis2s.files`, readable by its owner only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml

from multis2s.errors import CheckpointError
from multis2s.files import write_text_atomically
from multis2s.options import shown

CheckpointName = Literal["best", "last"]
"""The two checkpoints training keeps up to date; step-named ones (``step-0000500.pt``) are kept
with ``train.keep_checkpoints``."""


class MetricsLog:
    """``metrics.jsonl``: appended during training; a fresh start empties it, a resume drops the
    records written after the checkpoint it resumes from."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        """The records, less a last line cut short by a crash mid-append."""
        if not self.path.exists():
            return []
        lines = [line for line in self.path.read_text(encoding="utf-8").split("\n") if line.strip()]
        records = []
        for number, line in enumerate(lines, start=1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if number < len(lines):
                    raise CheckpointError(f"{self.path}:{number}: not a JSON record") from None
        return records

    def start(self, *, resume_step: int | None) -> None:
        """Empty the log (``resume_step`` None) or keep only the records up to ``resume_step``."""
        kept = [] if resume_step is None else [r for r in self.records() if r.get("step", 0) <= resume_step]
        write_text_atomically(self.path, "".join(json.dumps(r) + "\n" for r in kept))

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class RunFolder:
    """One run's folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.metrics = MetricsLog(self.path / "metrics.jsonl")

    @property
    def config_file(self) -> Path:
        return self.path / "config.yaml"

    @property
    def log_file(self) -> Path:
        """``train.log``: what training printed, in plain text (appended by every resume)."""
        return self.path / "train.log"

    @property
    def tensorboard(self) -> Path:
        """``tensorboard/``: the TensorBoard event files (``train.tensorboard``)."""
        return self.path / "tensorboard"

    @property
    def results_file(self) -> Path:
        return self.path / "results.json"

    def checkpoint(self, name: str) -> Path:
        """``checkpoints/NAME.pt``: ``best``, ``last``, ``average`` or ``step-0000500``."""
        return self.path / "checkpoints" / f"{name}.pt"

    def step_checkpoint(self, step: int) -> Path:
        return self.checkpoint(f"step-{step:07d}")

    def step_checkpoints(self) -> list[Path]:
        """The step-named checkpoints, oldest first."""
        return sorted((self.path / "checkpoints").glob("step-*.pt"))

    def remove_temporaries(self) -> None:
        """Delete what an atomic write killed midway left behind (``.NAME-…`` beside each file)."""
        for folder in (self.path, self.path / "checkpoints"):
            for name in ("config.yaml", "metrics.jsonl", "results.json", "last.pt", "best.pt"):
                for leftover in folder.glob(f".{name}-*"):
                    leftover.unlink(missing_ok=True)

    def has_checkpoint(self) -> bool:
        """True once training has saved anything here."""
        return self.checkpoint("last").exists()

    def trained_checkpoint(self, name: str) -> Path:
        """The checkpoint to load for ``name``: ``best`` (falling back to ``last``), ``last``, another
        checkpoint of the folder by name (``average``, ``step-0000500``), or a file path."""
        if not self.path.is_dir():
            raise CheckpointError(f"{self.path}: run folder not found")
        path = self.checkpoint(name)
        if name in ("best", "last"):
            return path if path.exists() else self.checkpoint("last")
        if path.exists():
            return path
        if Path(name).is_file():
            return Path(name)
        raise CheckpointError(f"{self.path}: no checkpoint {shown(name)} (best, last, a name in checkpoints/ or "
                              "a file)")

    def write_config(self, config: dict[str, Any]) -> None:
        write_text_atomically(self.config_file, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))

    def write_results(self, results: dict[str, Any]) -> None:
        write_text_atomically(self.results_file, json.dumps(results, indent=2) + "\n")
