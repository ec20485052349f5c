"""Checkpoints: one dataclass owns the format; writes are atomic; an older format is one clear line."""

from __future__ import annotations

import os

import pytest
import torch

from multis2s.checkpoint import FORMAT, Checkpoint, TrainingState
from multis2s.cli import main
from multis2s.errors import CheckpointError


def checkpoint(**changes) -> Checkpoint:
    values = dict(config={"seed": 1}, model={"w": torch.arange(3.0)}, sources={"source": {"vocabulary": ["a"]}},
                  target={"vocabulary": ["<pad>"]}, progress={"step": 4}, metrics={"loss": 1.5},
                  training=TrainingState({"state": {}}, {"last_epoch": 4}, [{"torch": torch.get_rng_state()}]))
    values.update(changes)
    return Checkpoint(**values)


def test_a_checkpoint_round_trips(tmp_path):
    path = tmp_path / "checkpoints" / "last.pt"
    checkpoint().save(path)
    loaded = Checkpoint.load(path)
    assert loaded.config == {"seed": 1} and loaded.progress == {"step": 4} and loaded.metrics == {"loss": 1.5}
    assert torch.equal(loaded.model["w"], torch.arange(3.0))
    assert loaded.training.scheduler == {"last_epoch": 4}
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"], "no temporary file is left behind"
    checkpoint(training=None).save(path)
    assert Checkpoint.load(path).training is None


def test_an_older_format_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"format": 1, "config": {}, "model": {}, "pipeline": {}, "target_vocabulary": []}, path)
    with pytest.raises(CheckpointError, match=f"written by format 1; this version reads format {FORMAT}"):
        Checkpoint.load(path)
    torch.save({"weights": 1}, path)
    with pytest.raises(CheckpointError, match="not a multis2s checkpoint"):
        Checkpoint.load(path)
    path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable multis2s checkpoint"):
        Checkpoint.load(path)


def test_an_older_run_folder_fails_with_one_line_on_the_command_line(tmp_path, capsys):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    torch.save({"format": 1, "config": {}}, tmp_path / "run" / "checkpoints" / "best.pt")
    assert main(["evaluate", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"written by format 1; this version reads format {FORMAT}" in err[0]


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    checkpoint().save(path)

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        checkpoint(progress={"step": 99}).save(path)
    monkeypatch.undo()
    assert Checkpoint.load(path).progress == {"step": 4}
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_a_damaged_or_cut_checkpoint_fails_its_checksum_in_one_line(tmp_path):
    path = tmp_path / "last.pt"
    checkpoint().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:])
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        Checkpoint.load(path)
    path.write_bytes(data[:-10])
    with pytest.raises(CheckpointError, match="checksum is missing"):
        Checkpoint.load(path)
