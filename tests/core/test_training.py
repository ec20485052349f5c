"""Training: it learns, resume equals an uninterrupted run, Ctrl-C saves, schedules behave."""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest
import torch
from torch.nn.modules.module import register_module_forward_hook

from multis2s import device
from multis2s.checkpoint import Checkpoint
from multis2s.cli import main
from multis2s.config import TrainConfig
from multis2s.train.schedule import lr_factor, teacher_forcing_ratio


def _weights(run_dir):
    return Checkpoint.load(run_dir / "checkpoints" / "last.pt").model


def _dev_losses(run_dir) -> dict[int, float]:
    records = map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())
    return {r["step"]: r["loss"] for r in records if r["split"] == "dev"}


def test_resume_equals_uninterrupted_run(tiny_config, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(["train", str(tiny_config), "-o", str(straight), "train.max_steps=18"]) == 0
    assert main(["train", str(tiny_config), "-o", str(split), "train.max_steps=9"]) == 0
    assert main(["train", str(tiny_config), "-o", str(split), "--resume", "train.max_steps=18"]) == 0
    a, b = _weights(straight), _weights(split)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    straight_dev, split_dev = _dev_losses(straight), _dev_losses(split)
    assert straight_dev.keys() == {6, 12, 18} and split_dev.keys() == {6, 9, 12, 18}
    assert all(straight_dev[step] == split_dev[step] for step in straight_dev)
    train_steps = [json.loads(line)["step"] for line in (split / "metrics.jsonl").read_text().splitlines()
                   if json.loads(line)["split"] == "train"]
    assert train_steps == sorted(set(train_steps)), "a resume never repeats a metrics.jsonl step"


def test_resume_with_a_changed_config_is_refused_with_the_keys_named(tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=3"]) == 0
    saved = (run / "config.yaml").read_text()
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "train.lr=0.5", "data.batch_size=8"]) == 2
    message = capsys.readouterr().err
    assert "train.lr (saved 0.01, given 0.5)" in message and "data.batch_size (saved 16, given 8)" in message
    assert "--force" in message and (run / "config.yaml").read_text() == saved
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "--force", "train.lr=0.5",
                 "train.max_steps=6"]) == 0
    assert "lr: 0.5" in (run / "config.yaml").read_text()


def test_a_fresh_run_starts_a_new_metrics_log(tiny_config, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 999, "split": "train", "loss": 1.0}\n')
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=3"]) == 0
    assert all(json.loads(line)["step"] <= 3 for line in (run / "metrics.jsonl").read_text().splitlines())


def test_training_learns_and_writes_the_run_folder(tiny_config, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=60", "train.validate_every=30"]) == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train_losses = [r["loss"] for r in records if r["split"] == "train"]
    assert train_losses[-1] < train_losses[0] * 0.8
    assert {"tokens_per_s", "examples_per_s", "lr", "step"} <= records[0].keys()
    assert (run / "checkpoints" / "best.pt").exists() and (run / "config.yaml").exists()
    assert Checkpoint.load(run / "checkpoints" / "last.pt").progress["step"] == 60


def test_second_train_into_a_used_folder_needs_resume(tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=3"]) == 0
    assert main(["train", str(tiny_config), "-o", str(run)]) == 2
    assert "pass --resume" in capsys.readouterr().err


def test_ctrl_c_saves_last_checkpoint_and_exits_cleanly(tiny_config, tmp_path, monkeypatch):
    from multis2s.train import trainer

    run = tmp_path / "run"
    original = trainer.Trainer._update
    calls = {"n": 0}

    def update_then_interrupt(self, *args):
        calls["n"] += 1
        if calls["n"] == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args)

    monkeypatch.setattr(trainer.Trainer, "_update", update_then_interrupt)
    assert threading.current_thread() is threading.main_thread()
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=1000"]) == 130
    assert Checkpoint.load(run / "checkpoints" / "last.pt").progress["step"] == 5


def test_warmup_then_schedules():
    base = dict(lr=1.0, warmup_steps=4, max_steps=14, min_lr=0.1)
    assert [lr_factor(s, TrainConfig(**base)) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_factor(13, TrainConfig(schedule="linear", **base)) == pytest.approx(0.1)
    assert lr_factor(13, TrainConfig(schedule="cosine", **base)) == pytest.approx(0.1)
    assert lr_factor(15, TrainConfig(schedule="inverse_sqrt", **base)) == pytest.approx(0.5)
    assert lr_factor(100, TrainConfig(schedule="constant", **base)) == 1.0


def test_teacher_forcing_schedule_moves_linearly():
    config = TrainConfig(teacher_forcing=1.0, teacher_forcing_end=0.0, teacher_forcing_steps=10)
    assert [teacher_forcing_ratio(s, config) for s in (0, 5, 10, 20)] == [1.0, 0.5, 0.0, 0.0]


def test_best_checkpoint_ties_go_to_lower_dev_loss():
    from multis2s.train.trainer import is_better

    assert is_better(0.0, 2.0, None, float("inf"), True)
    assert is_better(0.0, 1.5, 0.0, 2.0, True)
    assert not is_better(0.0, 2.5, 0.0, 2.0, True)
    assert is_better(50.0, 9.0, 40.0, 1.0, True)
    assert is_better(10.0, 9.0, 12.0, 1.0, False) and not is_better(14.0, 0.1, 12.0, 1.0, False)


def test_the_console_says_each_validation_and_why_training_stopped(tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=12", "train.progress=true"]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("step ")]
    assert len(lines) == 2 and lines[0].startswith("step 6  dev loss ") and "exact_match " in lines[0]
    assert "token_accuracy " in lines[0] and " lr 1.00e-02" in lines[0] and lines[0].endswith("  best")
    assert "stopped at step 12 (epoch 1): train.max_steps (12) reached" in err
    assert "training:" not in err and "\r" not in err, "no progress-bar frames when stderr is not a terminal"
    log = (run / "train.log").read_text().splitlines()
    assert [line.split("  ", 1)[1] for line in log] == [*lines, "stopped at step 12 (epoch 1): train.max_steps (12) "
                                                                  "reached"]
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "train.max_steps=null",
                 "train.max_epochs=3", "train.early_stopping_patience=1"]) == 0
    err = capsys.readouterr().err
    assert "resumed from step 12" in err
    assert ("validations without a better exact_match (train.early_stopping_patience)" in err
            or "train.max_epochs (3) reached" in err)
    assert "resumed from step 12" in (run / "train.log").read_text()


def test_step_checkpoints_are_kept_and_the_last_ones_average_into_one_that_evaluates(tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=12", "train.validate_every=3",
                 "train.keep_checkpoints=2"]) == 0
    kept = sorted(p.name for p in (run / "checkpoints").glob("step-*.pt"))
    assert kept == ["step-0000009.pt", "step-0000012.pt"]
    assert main(["average", str(run), "--last", "3"]) == 2
    assert "--last 3, but the run keeps 2 step checkpoint(s)" in capsys.readouterr().err
    assert main(["average", str(run), "--last", "2"]) == 0
    average = Checkpoint.load(run / "checkpoints" / "average.pt")
    nine, twelve = (Checkpoint.load(run / "checkpoints" / name).model for name in kept)
    for name, weight in average.model.items():
        torch.testing.assert_close(weight, (nine[name].double() + twelve[name].double()).div(2).float(), msg=name)
    assert average.progress["averaged_steps"] == [9, 12]
    capsys.readouterr()
    assert main(["evaluate", str(run), "--checkpoint", "average", "--json"]) == 0
    assert "exact_match" in json.loads(capsys.readouterr().out)["metrics"]
    assert main(["evaluate", str(run), "--checkpoint", "nothing"]) == 2
    assert "no checkpoint 'nothing'" in capsys.readouterr().err


@pytest.mark.parametrize("cpu_bf16", [False, True])
def test_cpu_bf16_runs_the_training_layers_in_bf16_and_keeps_the_weights_float32(tiny_config, tmp_path, cpu_bf16):
    """``train.cpu_bf16``: the training forward's linear layers run in bf16 (off: float32); weights and
    the learning stay float32 and the loss falls as in float32."""
    if cpu_bf16 and not device.cpu_has_native_bf16():
        pytest.skip("this CPU has neither AVX512-BF16 nor AMX")
    seen = set()

    def record_linear_outputs(module, inputs, output):
        if isinstance(module, torch.nn.Linear) and module.training and torch.is_grad_enabled():
            seen.add(output.dtype)

    run = tmp_path / "run"
    handle = register_module_forward_hook(record_linear_outputs)
    try:
        assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=60", "train.validate_every=30",
                     f"train.cpu_bf16={str(cpu_bf16).lower()}"]) == 0
    finally:
        handle.remove()
    assert seen == {torch.bfloat16 if cpu_bf16 else torch.float32}
    assert {weights.dtype for weights in _weights(run).values() if weights.is_floating_point()} == {torch.float32}
    train_losses = [r["loss"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
                    if r["split"] == "train"]
    assert train_losses[-1] < train_losses[0] * 0.8


def test_cpu_bf16_on_a_cpu_without_native_bf16_is_a_config_error(tiny_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "run"), "train.cpu_bf16=true"]) == 2
    assert "train.cpu_bf16: this CPU has neither AVX512-BF16 nor AMX" in capsys.readouterr().err
