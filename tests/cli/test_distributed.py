"""``torchrun``: two gloo processes sharing each global batch train what one process trains, and a
SIGKILL'd two-process run resumes under torchrun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from multis2s.checkpoint import Checkpoint
from multis2s.cli import main

NO_DROPOUT = ["model.encoder.dropout=0", "model.decoder.dropout=0", "train.log_every=1", "threads=1"]


def _torchrun(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "multis2s", *arguments]


def _losses(run: Path, split: str) -> dict[int, float]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in records if r["split"] == split}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return Checkpoint.load(run / "checkpoints" / "last.pt").model


def test_two_processes_follow_the_loss_curve_of_one(tiny_config, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(tiny_config), "-o", str(one), "train.max_steps=12", *NO_DROPOUT]) == 0
    done = subprocess.run(_torchrun("train", str(tiny_config), "-o", str(two), "train.max_steps=12", *NO_DROPOUT),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("trained:") == 1, "rank 0 alone speaks"
    single, double = _losses(one, "train"), _losses(two, "train")
    assert single.keys() == double.keys() == set(range(1, 13))
    for step in single:
        assert double[step] == pytest.approx(single[step], rel=1e-5), step
    assert _losses(two, "dev").keys() == {6, 12}
    a, b = _weights(one), _weights(two)
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.slow
def test_a_sigkilled_two_process_run_resumes_under_torchrun(tiny_config, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    train = ["train", str(tiny_config), "train.max_steps=30", "train.save_every=4", *NO_DROPOUT]
    done = subprocess.run(_torchrun(*train, "-o", str(straight)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    child = subprocess.Popen(_torchrun(*train, "-o", str(killed)), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    log = killed / "metrics.jsonl"
    while not (log.exists() and max(_losses(killed, "train"), default=0) >= 13) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    saved = Checkpoint.load(killed / "checkpoints" / "last.pt").progress["step"]
    assert 12 <= saved < 30
    done = subprocess.run(_torchrun(*train, "-o", str(killed), "--resume"), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = _weights(straight), _weights(killed)
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=0, msg=name)
    assert _losses(killed, "train") == _losses(straight, "train")


@pytest.mark.slow
def test_ctrl_c_under_torchrun_saves_every_process_at_the_same_update(tiny_config, tmp_path):
    run = tmp_path / "run"
    child = subprocess.Popen(_torchrun("train", str(tiny_config), "-o", str(run), "train.max_steps=100000",
                                       *NO_DROPOUT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 300
    while not ((run / "metrics.jsonl").exists() and max(_losses(run, "train"), default=0) >= 6) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGINT)  # what a terminal sends to the whole group
    child.wait(timeout=120)
    saved = Checkpoint.load(run / "checkpoints" / "last.pt")
    assert saved.progress["step"] == max(_losses(run, "train")) >= 6
    assert len(saved.training.rng) == 2
