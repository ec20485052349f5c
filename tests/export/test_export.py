"""``multis2s export`` on tiny text runs: the exported graphs decode as the PyTorch model does, and
what cannot be exported fails with one line."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from multis2s.cli import main
from multis2s.errors import ExportError
from multis2s.export.equivalence import compare
from multis2s.export.graphs import named_tensors
from multis2s.export.runner import ExportedModel
from multis2s.run import Run
from tests.conftest import TINY

TRANSFORMER = {"type": "transformer", "model_dim": 16, "heads": 2, "layers": 2, "ff_dim": 32, "dropout": 0.1}


def train(folder: Path, config: dict, *overrides: str) -> Path:
    """A run of ``config`` trained into ``folder/run``."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path), "-o", str(folder / "run"), "threads=1", *overrides]) == 0
    return folder / "run"


@pytest.fixture(scope="module")
def rnn_run(tmp_path_factory) -> Path:
    """GRU encoder, GRU decoder with Bahdanau (additive) attention and input feeding."""
    return train(tmp_path_factory.mktemp("rnn"), TINY, "train.max_steps=30", "train.validate_every=30")


@pytest.fixture(scope="module")
def transformer_run(tmp_path_factory) -> Path:
    config = copy.deepcopy(TINY)
    config["model"]["decoder"] = TRANSFORMER
    return train(tmp_path_factory.mktemp("transformer"), config, "train.max_steps=30", "train.validate_every=30")


def exported(run_dir: Path, format: str, out: Path, *options: str) -> ExportedModel:
    assert main(["export", str(run_dir), "--format", format, "--out", str(out), *options]) == 0
    return ExportedModel.load(out, threads=1)


@pytest.mark.parametrize("format", ["torchscript", "onnx"])
@pytest.mark.parametrize("kind", ["rnn", "transformer"])
def test_exported_text_model_decodes_like_pytorch(request, kind, format, tmp_path, one_thread):
    run_dir = request.getfixturevalue(f"{kind}_run")
    model = exported(run_dir, format, tmp_path / "out")
    run = Run.from_folder(run_dir)
    examples = run.examples("test") + run.examples("dev")
    result = compare(run, model, examples, batch_size=5)
    assert result.examples == 24 and result.identical == 24
    assert result.score_difference < 1e-4
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["manifest.json", "runner.py", *model.manifest["files"].values()])


def test_manifest_says_what_the_runner_needs(rnn_run, tmp_path, capsys, one_thread):
    model = exported(rnn_run, "torchscript", tmp_path / "out")
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'out'}: torchscript graphs")
    manifest, run = model.manifest, Run.from_folder(rnn_run)
    assert manifest["target"]["vocabulary"] == run.target.vocabulary.tokens
    assert manifest["target"]["special_ids"] == {"pad": 0, "unk": 1, "bos": 2, "eos": 3}
    assert manifest["max_length"]["ratio"] == 2.0 and manifest["max_length"]["offset"] == 10
    (stream,) = manifest["streams"]
    assert stream["name"] == "source" and stream["modality"] == "text" and stream["encoder"] == "rnn"
    assert stream["input"] == {"dtype": "int64", "shape": ["batch", "steps"]}
    assert stream["preprocessing"]["state"]["vocabulary"] == run.streams.pipelines["source"].vocabulary.tokens
    assert manifest["names"]["state"] == ["state.hidden", "state.feed", "state.alignment.source"]
    assert manifest["names"]["memory"] == ["memory.source.values", "memory.source.mask", "memory.source.key0"]
    ids = torch.tensor([[run.streams.pipelines["source"].vocabulary.index[t] for t in "s1 s2 s3".split()]])
    (output,) = model.greedy({"source": ids.numpy()}, {"source": ids.new_tensor([3]).numpy()})
    (decoded,) = run.predict(["s1 s2 s3"], search=run.search(beam=1))
    assert model.text(output.tokens) == decoded.text and output.tokens == decoded.hypotheses[0].tokens
    assert output.attention["source"].shape == (len(output.tokens) + 1, 3)


def test_a_second_export_replaces_the_first_but_not_another_folder(rnn_run, tmp_path, capsys):
    out = tmp_path / "out"
    exported(rnn_run, "torchscript", out)
    exported(rnn_run, "torchscript", out)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert main(["export", str(rnn_run), "--format", "torchscript", "--out", str(other)]) == 2
    assert "exists and is not an export folder" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me" and not list(tmp_path.glob(".*"))


def test_an_encoder_that_branches_on_tensor_values_fails_in_one_line(tmp_path, capsys):
    config = copy.deepcopy(TINY)
    config["plugins"] = ["tests.export.branching_plugin"]
    config["model"]["encoder"]["type"] = "length_branching"
    run_dir = train(tmp_path, config, "train.max_steps=2", "train.validate_every=2")
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["export", str(run_dir), "--format", "torchscript", "--out", str(out), "--trust-plugins"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: cannot export the encoder(s) to torchscript: traced on")
    assert "memory.source.values differs" in error and not out.exists()


def test_a_run_with_the_copy_mechanism_is_refused_in_one_line(tmp_path, capsys):
    run_dir = train(tmp_path, {**TINY, "model": {**TINY["model"], "copy": True}}, "train.max_steps=2",
                    "train.validate_every=2")
    capsys.readouterr()
    assert main(["export", str(run_dir), "--format", "torchscript", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: model.copy: a run with the copy mechanism does not")
    assert not (tmp_path / "out").exists()


def test_a_decoder_state_that_is_not_tensors_is_named():
    state = {"hidden": torch.zeros(2, 3), "steps": 4}
    with pytest.raises(ExportError, match=r"state\.steps = int, not a tensor"):
        named_tensors(state, "state")
    assert [n for n, _ in named_tensors((torch.zeros(1), None, [torch.zeros(1)]), "state")] == ["state.0", "state.2.0"]


def test_onnx_without_onnxruntime_names_the_extra(rnn_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    assert main(["export", str(rnn_run), "--format", "onnx", "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'multis2s[export]'" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_copied_runner_decodes_an_onnx_export_without_torch_or_multis2s(rnn_run, tmp_path, one_thread):
    model = exported(rnn_run, "onnx", tmp_path / "out")
    run = Run.from_folder(rnn_run)
    ids = [run.streams.pipelines["source"].vocabulary.index[t] for t in "s3 s1 s4".split()]
    code = ("import sys, numpy; sys.path.insert(0, sys.argv[1]); from runner import ExportedModel; "
            "model = ExportedModel.load(sys.argv[1], threads=1); "
            f"(out,) = model.greedy({{'source': numpy.array([{ids}])}}, {{'source': numpy.array([3])}}); "
            "print(model.text(out.tokens)); print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'multis2s')))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    text, modules = done.stdout.splitlines()
    (decoded,) = run.predict(["s3 s1 s4"], search=run.search(beam=1))
    assert text == decoded.text and modules == "[]"
    assert model.manifest["format"] == "onnx"
