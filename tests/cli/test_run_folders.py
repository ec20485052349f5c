"""Run folders that do not depend on the working directory, carved splits, and inputs that are files."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import yaml

from multis2s.cli import main
from tests.conftest import TINY


def _pairs(count: int, seed: int = 0) -> str:
    """``count`` copy-task TSV lines with distinct sources."""
    rng, seen = random.Random(seed), set()
    while len(seen) < count:
        seen.add(" ".join(f"s{rng.randrange(6)}" for _ in range(rng.randint(3, 6))))
    return "".join(f"{symbols}\t{symbols}\n" for symbols in sorted(seen))


def _own_data_config(folder, dataset: dict, **data) -> str:
    """A tiny config in ``folder`` reading the user's files given by paths relative to that folder."""
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["data"]["dataset"] = dataset
    config["data"].update(data)
    config["train"]["max_steps"] = 4
    path = folder / "mine.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_run_with_relative_data_paths_evaluates_from_any_folder(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "train.tsv").write_text(_pairs(60))
    (project / "data" / "dev.tsv").write_text(_pairs(8, 100))
    (project / "data" / "test.tsv").write_text(_pairs(6, 200))
    config = _own_data_config(project, {"type": "parallel", "train": "data/train.tsv", "dev": "data/dev.tsv",
                                        "test": "data/test.tsv"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["train", config, "-o", str(tmp_path / "run")]) == 0
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["data"]["dataset"]["train"] == str(project / "data" / "train.tsv")
    assert saved["data"]["dataset"]["format"] == "auto", "defaults are saved too"
    another = tmp_path / "another"
    another.mkdir()
    monkeypatch.chdir(another)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "run"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_examples"] == 6


def test_a_relative_path_given_on_the_command_line_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "train.tsv").write_text(_pairs(60))
    config = _own_data_config(tmp_path / "configs", {"type": "parallel", "train": "missing.tsv"},
                              carve={"dev": 0.1})
    monkeypatch.chdir(tmp_path / "work")
    assert main(["train", config, "-o", str(tmp_path / "run"), "data.dataset.train=train.tsv"]) == 0
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["data"]["dataset"]["train"] == str(tmp_path / "work" / "train.tsv")


def test_dev_and_test_are_carved_out_of_a_training_file(tmp_path, capsys):
    (tmp_path / "train.tsv").write_text(_pairs(60) + "s1 s2\ts1 s2\ns1 s2\ts2 s1\n")
    config = _own_data_config(tmp_path, {"type": "parallel", "train": "train.tsv"},
                              carve={"dev": 0.1, "test": 5, "seed": 4})
    assert main(["run", config, "-o", str(tmp_path / "run")]) == 0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["num_examples"] == 5
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "run"), "--split", "dev", "--json"]) == 0
    dev = json.loads(capsys.readouterr().out)
    assert dev["num_examples"] == 6, "10 % of the 61 distinct sources"
    assert main(["train", config, "-o", str(tmp_path / "none"), "data.carve.dev=null"]) == 2
    assert "no 'dev' split: set data.dataset.dev to a file, or carve it out" in capsys.readouterr().err


def test_predict_on_a_text_model_refuses_a_file_path(tmp_path, capsys):
    run = tmp_path / "run"
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "max_steps": 2}}))
    assert main(["train", str(config), "-o", str(run)]) == 0
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("s1 s2\n")
    capsys.readouterr()
    assert main(["predict", str(run), str(sentences)]) == 2
    message = capsys.readouterr().err
    assert f"{sentences} is a file, but stream 'source' reads text itself" in message and "- <" in message


def test_python_dash_m_runs_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "multis2s", "plugins"], capture_output=True, text=True,
                          env={**os.environ, "MULTIS2S_DISABLE_PLUGIN_AUTOLOAD": "1"}, timeout=120)
    assert done.returncode == 0 and "decoder" in done.stdout and "search" in done.stdout


def test_predict_reads_standard_input_split_on_newlines_only(tiny_config, tmp_path, monkeypatch, capsys):
    import io
    import types

    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "train.max_steps=2"]) == 0
    capsys.readouterr()
    text = "s1 s2\u2028s3\r\ns4\x0bs5\n".encode()  # two lines: U+2028 and \x0b stay inside theirs
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(text)))
    assert main(["predict", str(run), "-"]) == 0
    assert capsys.readouterr().out.count("\n") == 2
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(b"s1 " * 200_000)))
    assert main(["predict", str(run), "-"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: standard input, line 1: longer than 100000 characters"]
