"""TensorBoard: a trained run's event files hold the training curves, every dev metric and attention pictures."""

from __future__ import annotations

import pytest
import torch
import yaml

from multis2s.cli import main
from multis2s.train.tensorboard import PICTURES, attention_picture
from tests.conftest import TINY

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _events(folder):
    events = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def _train(tmp_path, *overrides: str):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(config), "-o", str(tmp_path / "run"), *overrides]) == 0
    return tmp_path / "run"


def test_events_hold_curves_metrics_and_attention(tmp_path, one_thread):
    events = _events(_train(tmp_path) / "tensorboard")
    tags = events.Tags()
    assert {"train/loss", "train/lr", "train/tokens_per_s", "train/examples_per_s", "train/data_wait",
            "dev/loss", "dev/exact_match", "dev/token_accuracy"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("dev/loss")] == [6, 12]
    assert [e.step for e in events.Scalars("train/loss")] == [3, 6, 9, 12]
    metrics = [line for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines() if '"dev"' in line]
    logged = [yaml.safe_load(line)["exact_match"] for line in metrics]
    assert [e.value for e in events.Scalars("dev/exact_match")] == pytest.approx(logged)
    pictures = [tag for tag in tags["images"] if tag.startswith("attention/")]
    assert sorted(pictures) == [f"attention/{n}/source" for n in range(PICTURES)]
    assert [e.step for e in events.Images("attention/0/source")] == [6, 12]


def test_resume_drops_the_events_after_the_resumed_step(tmp_path, one_thread):
    run = _train(tmp_path, "train.max_steps=6")
    config = tmp_path / "tiny.yaml"
    assert main(["train", str(config), "-o", str(run), "--resume", "train.max_steps=12"]) == 0
    assert [e.step for e in _events(run / "tensorboard").Scalars("dev/loss")] == [6, 12]


def test_switched_off_writes_nothing(tmp_path, one_thread):
    assert not (_train(tmp_path, "train.tensorboard=false") / "tensorboard").exists()


def test_attention_picture_is_enlarged_and_scaled_to_one():
    weights = torch.tensor([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    picture = attention_picture(weights)
    assert picture.shape == (3 * 85, 2 * 85)
    assert picture.max() == 1.0 and picture[0, 0] == pytest.approx(0.2) and picture[-1, -1] == 0.0
