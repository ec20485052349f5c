"""Crash-proof runs: non-finite updates skipped and counted, saves independent of validation, a
refused resume touches nothing, leftovers of killed writes cleaned, a torn log line survived,
one corpus made once by concurrent processes."""

from __future__ import annotations

import json
import multiprocessing
import time

import pytest
import torch

from multis2s.checkpoint import Checkpoint
from multis2s.cli import main
from multis2s.data.cache import ensure_corpus
from multis2s.train import trainer


def _train_records(run) -> list[dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if r["split"] == "train"]


def _poison_updates(monkeypatch, bad: set[int]) -> None:
    """Make the training loss NaN on the given (1-based) updates."""
    loss, calls = trainer.sequence_loss, {"n": 0}

    def poisoned(*args, **kwargs):
        total, tokens = loss(*args, **kwargs)
        if torch.is_grad_enabled():
            calls["n"] += 1
            if calls["n"] in bad:
                total = total * float("nan")
        return total, tokens

    monkeypatch.setattr(trainer, "sequence_loss", poisoned)


def _finite(weights: dict[str, torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(w).all()) for w in weights.values())


def test_a_non_finite_update_is_skipped_and_counted(tiny_config, tmp_path, monkeypatch):
    _poison_updates(monkeypatch, {4, 5})
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=12"]) == 0
    skipped = {r["step"]: r["skipped_updates"] for r in _train_records(run)}
    assert skipped == {3: 0, 6: 2, 9: 0, 12: 0}
    assert all(r["loss"] == r["loss"] for r in _train_records(run) if r["step"] != 6)
    for name in ("last", "best"):
        assert _finite(Checkpoint.load(run / "checkpoints" / f"{name}.pt").model)


def test_training_stops_in_one_line_after_max_bad_steps_in_a_row(tiny_config, tmp_path, monkeypatch, capsys):
    _poison_updates(monkeypatch, set(range(3, 100)))
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=50", "train.max_bad_steps=4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "step 6: the gradients were not finite for 4 updates in a row" in err[0]
    saved = Checkpoint.load(run / "checkpoints" / "last.pt")
    assert _finite(saved.model) and saved.progress["step"] == 0


def test_last_is_saved_every_n_steps_and_every_so_many_minutes(tiny_config, tmp_path, monkeypatch):
    steps, save = [], trainer.Trainer.save_last

    def recording(self):
        steps.append(self.progress.step)
        save(self)

    monkeypatch.setattr(trainer.Trainer, "save_last", recording)
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "a"), "train.max_steps=10", "train.save_every=4",
                 "train.validate_every=100", "train.save_every_minutes=null"]) == 0
    assert steps == [0, 4, 8, 10]
    steps.clear()
    monkeypatch.setattr(trainer.time, "monotonic", lambda clock=iter(range(0, 10**6, 61)): next(clock))
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "b"), "train.max_steps=5",
                 "train.validate_every=100", "train.save_every_minutes=1"]) == 0
    assert steps == [0, 1, 2, 3, 4, 5], "each update takes a minute on this clock"


def test_a_refused_resume_changes_nothing_in_the_run_folder(tiny_config, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=3"]) == 0
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "data.dataset.train_size=90"]) == 2
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "model.decoder.hidden_dim=12"]) == 2
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_start_removes_what_killed_writes_left_and_survives_a_torn_log_line(tiny_config, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=6"]) == 0
    (run / "checkpoints" / ".last.pt-k1l2").write_bytes(b"half a checkpoint")
    (run / ".metrics.jsonl-x9").write_text("{")
    with open(run / "metrics.jsonl", "a") as log:
        log.write('{"step": 7, "spl')  # the process died mid-append
    assert main(["train", str(tiny_config), "-o", str(run), "--resume", "train.max_steps=9"]) == 0
    assert [p.name for p in run.rglob(".*")] == []
    steps = [r["step"] for r in _train_records(run)]
    assert steps == [3, 6, 9]


def test_run_folder_files_are_private_to_their_owner(tiny_config, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=3"]) == 0
    for path in [run / "config.yaml", run / "metrics.jsonl", *(run / "checkpoints").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, path


def _write_slowly(folder) -> None:
    time.sleep(1.0)
    (folder / "data.txt").write_text("made once")
    with open(folder.parent / "writes.log", "a") as log:
        log.write("write\n")


def _make_corpus(root: str, results) -> None:
    import os

    os.environ["MULTIS2S_CACHE"] = root
    results.put(str(ensure_corpus("slow", {"n": 1}, _write_slowly)))


@pytest.mark.parametrize("processes", [3])
def test_concurrent_processes_make_one_corpus_once(tmp_path, processes):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_make_corpus, args=(str(tmp_path), results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(worker.exitcode == 0 for worker in workers)
    folders = {results.get(timeout=5) for _ in workers}
    assert len(folders) == 1 and (tmp_path / "writes.log").read_text() == "write\n"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "slow-" + folders.pop().rsplit("-", 1)[1], "writes.log"]


def _fail_loading(monkeypatch, every: int) -> None:
    """Examples whose source has a length divisible by ``every`` fail to load in training."""
    from multis2s.data.streams import SourceStreams
    from multis2s.errors import DataError

    load = SourceStreams.load

    def failing(self, example, *, train):
        if train and len(str(example.source).split()) % every == 0:
            raise DataError(f"{example.origin}: unreadable (test)")
        return load(self, example, train=train)

    monkeypatch.setattr(SourceStreams, "load", failing)


def test_with_skip_bad_training_leaves_out_and_counts_what_fails_to_load(tiny_config, tmp_path, monkeypatch,
                                                                         capsys):
    _fail_loading(monkeypatch, every=2)
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "data.skip_bad=true", "data.batch_size=1",
                 "train.max_steps=24"]) == 0
    skipped = sum(r["skipped_items"] for r in _train_records(run))
    assert 0 < skipped < 24, "whole batches failed and were passed over, the others trained"
    assert sum(r["tokens"] for r in _train_records(run)) > 0
    assert capsys.readouterr().err.count("unreadable (test)") == 1, "the first reason is printed once"
    assert Checkpoint.load(run / "checkpoints" / "last.pt").progress["step"] == 24
    assert main(["train", str(tiny_config), "-o", str(tmp_path / "strict"), "train.max_steps=24"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "unreadable (test)" in err[0]
