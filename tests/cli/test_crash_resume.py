"""SIGKILL at random moments, and once in the middle of a checkpoint write: every resume continues
exactly, and the run ends with the weights and the metrics log of an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from multis2s.checkpoint import Checkpoint
from multis2s.cli import main

STEPS = 36
OPTIONS = [f"train.max_steps={STEPS}", "train.save_every=3", "train.log_every=1", "train.validate_every=12",
           "threads=1"]

DIE_IN_A_CHECKPOINT_WRITE = """
import os, signal, sys
import multis2s.checkpoint as checkpoint

write = checkpoint._write
def write_then_die(payload, stream):
    if payload["progress"]["step"] > {after}:
        stream.write(b"the first bytes of a checkpoint")
        stream.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    write(payload, stream)
checkpoint._write = write_then_die
from multis2s.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _last_step(run: Path) -> int:
    log = run / "metrics.jsonl"
    if not log.exists():
        return -1
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines() if line.endswith("}")]
    return max(steps, default=-1)


def _train_and_kill(arguments: list[str], run: Path, kill_after_step: int, script: str | None = None) -> None:
    """Start training in a child process and SIGKILL it once the log passes ``kill_after_step``."""
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "multis2s"]
    child = subprocess.Popen([*command, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while child.poll() is None and _last_step(run) < kill_after_step and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]


def _records(run: Path, split: str) -> list[tuple[int, float]]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["loss"]) for r in records if r["split"] == split]


def test_sigkill_anywhere_then_resume_equals_an_uninterrupted_run(tiny_config, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert main(["train", str(tiny_config), "-o", str(straight), *OPTIONS]) == 0
    train = ["train", str(tiny_config), "-o", str(killed), *OPTIONS]
    moments = sorted(random.Random(7).sample(range(2, STEPS - 6), 3))
    _train_and_kill(train, killed, moments[0])
    for moment in moments[1:]:
        _train_and_kill([*train, "--resume"], killed, moment)
    resumed_at = Checkpoint.load(killed / "checkpoints" / "last.pt").progress["step"]
    script = DIE_IN_A_CHECKPOINT_WRITE.replace("{after}", str(resumed_at))
    _train_and_kill([*train, "--resume"], killed, STEPS, script=script)
    leftovers = [p.name for p in (killed / "checkpoints").iterdir() if p.name.startswith(".")]
    assert leftovers, "the killed write left its temporary file"
    assert Checkpoint.load(killed / "checkpoints" / "last.pt").progress["step"] == resumed_at, "the old one stays"

    assert main([*train, "--resume"]) == 0
    a, b = Checkpoint.load(straight / "checkpoints" / "last.pt").model, Checkpoint.load(
        killed / "checkpoints" / "last.pt").model
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    assert _records(killed, "train") == _records(straight, "train"), "a clean log: every step once, same losses"
    assert _records(killed, "dev") == _records(straight, "dev")
    assert not [p.name for p in (killed / "checkpoints").iterdir() if p.name.startswith(".")]


def test_sigterm_saves_and_stops_like_ctrl_c(tiny_config, tmp_path):
    run = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-m", "multis2s", "train", str(tiny_config), "-o", str(run),
                              "train.max_steps=100000", "train.log_every=1", "threads=1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _last_step(run) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGTERM)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err.decode()[-2000:]
    assert "continue with --resume" in err.decode()
    saved = Checkpoint.load(run / "checkpoints" / "last.pt").progress["step"]
    assert saved >= 5 and saved == _last_step(run)
