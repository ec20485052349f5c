"""The plugin authoring kit: ``multis2s new-plugin`` writes a package of each kind that registers,
works and passes its own tests; bad names are one-line errors; the example package passes its
tests from here too; and (slow) the new user's path: pip install -e, ``multis2s plugins``, train."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from multis2s.cli import main
from multis2s.data.example import Example
from multis2s.plugins import load_registry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "encoder-plugin"


def _new(name: str, kind: str, out: Path, monkeypatch) -> Path:
    """``multis2s new-plugin name --kind kind -o out``, its folder put on sys.path."""
    assert main(["new-plugin", name, "--kind", kind, "-o", str(out)]) == 0
    monkeypatch.syspath_prepend(str(out / name))
    return out / name


def _run_own_tests(path: Path, tmp_path: Path, monkeypatch, capsys) -> list[str]:
    """Run every ``test_*`` function of the test module at ``path`` (each in its own folder), as
    ``pytest`` in the package's folder would; returns their names."""
    spec = importlib.util.spec_from_file_location(f"own_tests_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = [name for name, value in vars(module).items() if name.startswith("test_") and inspect.isfunction(value)]
    for name in names:
        folder = tmp_path / name
        folder.mkdir()
        fixtures = {"tmp_path": folder, "monkeypatch": monkeypatch, "capsys": capsys}
        test = getattr(module, name)
        with monkeypatch.context() as patch:
            test(**{p: fixtures[p] if p != "monkeypatch" else patch for p in inspect.signature(test).parameters})
    return names


def test_an_encoder_plugin_registers_honours_padding_trains_and_passes_its_tests(tmp_path, tiny_config,
                                                                                 monkeypatch, capsys):
    folder = _new("kit_encoder", "encoder", tmp_path / "out", monkeypatch)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "kit_encoder/__init__.py", "kit_encoder/encoder.py", "pyproject.toml",
        "tests/test_kit_encoder.py"]
    assert 'kit_encoder = "kit_encoder"' in (folder / "pyproject.toml").read_text()
    component = load_registry(["kit_encoder"]).get("encoders", "kit_encoder")
    assert (component.plugin, component.modality) == ("kit_encoder", "text")
    encoder = component.factory(vocab_size=7, pad_id=0, hidden_dim=8).eval()
    padded = encoder(torch.tensor([[2, 3, 0], [2, 3, 4]]), torch.tensor([2, 3]))
    torch.testing.assert_close(padded.memory[0, :2], encoder(torch.tensor([[2, 3]]), torch.tensor([2])).memory[0])
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "plugins=[kit_encoder]",
                 "model.encoder={type: kit_encoder, hidden_dim: 16}", "train.max_steps=3"]) == 0
    assert (run / "checkpoints" / "best.pt").exists()
    assert _run_own_tests(folder / "tests" / "test_kit_encoder.py", tmp_path, monkeypatch, capsys) == [
        "test_register_encoders_registers_it", "test_a_sequence_alone_equals_it_inside_a_padded_batch",
        "test_an_out_of_range_option_is_one_config_line", "test_trains_a_tiny_config"]


def test_a_dataset_plugin_yields_examples_and_passes_its_tests(tmp_path, monkeypatch, capsys):
    folder = _new("kit_dataset", "dataset", tmp_path / "out", monkeypatch)
    component = load_registry(["kit_dataset"]).get("datasets", "kit_dataset")
    train = component.factory(train_size=20).split("train")
    assert len(train) == 20 and all(isinstance(e, Example) and e.source and e.target for e in train)
    assert len(_run_own_tests(folder / "tests" / "test_kit_dataset.py", tmp_path, monkeypatch, capsys)) == 4


def test_a_metric_plugin_scores_and_passes_its_tests(tmp_path, monkeypatch, capsys):
    folder = _new("kit_metric", "metric", tmp_path / "out", monkeypatch)
    metric = load_registry(["kit_metric"]).get("metrics", "kit_metric").factory()
    assert metric.score(["a b", "c"], [["a b"], ["d"]]) == 50.0 and metric.higher_is_better
    assert len(_run_own_tests(folder / "tests" / "test_kit_metric.py", tmp_path, monkeypatch, capsys)) == 3


def test_a_modality_plugin_loads_items_and_passes_its_tests(tmp_path, monkeypatch, capsys):
    folder = _new("kit_modality", "modality", tmp_path / "out", monkeypatch)
    component = load_registry(["kit_modality"]).get("modalities", "kit_modality")
    assert component.modality == "kit_modality"
    pipeline = component.factory()
    pipeline.fit([Example("1 2 3", "x")])
    assert pipeline.load(Example("4 5", "y"), train=False).shape == (2, 1)
    assert len(_run_own_tests(folder / "tests" / "test_kit_modality.py", tmp_path, monkeypatch, capsys)) == 3


@pytest.mark.parametrize("name, expected", [
    ("My-Enc", "expected a lower-case Python package name (a letter, then letters, digits or _; at most 50) "
               "(try 'my_enc')"),
    ("9lives", "expected a lower-case Python package name"),
    ("class", "expected a lower-case Python package name"),
    ("a" * 51, "expected a lower-case Python package name"),
    ("json", "a module of that name exists already"),
    ("multis2s_text", "a module of that name exists already"),
])
def test_a_bad_name_is_one_line(name, expected, tmp_path, capsys):
    assert main(["new-plugin", name, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep")
    assert main(["new-plugin", "taken", "-o", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["mine.txt"]


def test_an_unwritable_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["new-plugin", "kit_nowhere", "-o", str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err


def test_the_example_encoder_plugin_passes_its_own_tests(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    names = _run_own_tests(EXAMPLE / "tests" / "test_conv_encoder.py", tmp_path, monkeypatch, capsys)
    assert "test_a_sequence_alone_equals_it_inside_a_padded_batch" in names and "test_trains_a_tiny_config" in names
    assert 'conv_encoder = "conv_encoder"' in (EXAMPLE / "pyproject.toml").read_text()


@pytest.mark.slow
def test_a_new_user_writes_installs_lists_and_trains_a_plugin(tmp_path, tiny_config):
    """``multis2s new-plugin myenc && pip install -e myenc``, then ``multis2s plugins`` and a train
    naming it, in fresh processes, with no other step; uninstalled afterwards."""
    command = Path(sys.executable).parent / "multis2s"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([str(command), "new-plugin", "myenc", "-o", str(tmp_path)], check=True, capture_output=True)
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(tmp_path / "myenc")],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "MULTIS2S_DISABLE_PLUGIN_AUTOLOAD"}
    try:
        listed = subprocess.run([str(command), "plugins"], capture_output=True, text=True, env=env, check=True)
        rows = [line.split() for line in listed.stdout.splitlines()]
        assert ["encoder", "myenc", "myenc", "text"] in [row[:4] for row in rows], listed.stdout
        trained = subprocess.run([str(command), "train", str(tiny_config), "-o", str(tmp_path / "run"),
                                  "model.encoder={type: myenc, hidden_dim: 16}", "train.max_steps=3"],
                                 capture_output=True, text=True, env=env)
        assert trained.returncode == 0, trained.stderr
        assert (tmp_path / "run" / "checkpoints" / "best.pt").exists()
    finally:
        subprocess.run([*pip, "uninstall", "-y", "myenc"], check=True, capture_output=True)
