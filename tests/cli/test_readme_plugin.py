"""The README's "write your own encoder plugin" example registers, trains and decodes."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from multis2s.cli import main
from multis2s.plugins import load_registry

README = Path(__file__).resolve().parents[2] / "README.md"


def _example_source() -> str:
    section = README.read_text().split("## Write your own encoder plugin", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_plugin_registers_and_trains(tiny_config, tmp_path, monkeypatch):
    (tmp_path / "my_encoders.py").write_text(_example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    component = load_registry(["my_encoders"]).get("encoders", "conv")
    assert component.plugin == "my_encoders" and component.modality == "text"
    run = tmp_path / "run"
    code = main(["run", str(tiny_config), "-o", str(run), "plugins=[my_encoders]",
                 "model.encoder={type: conv, channels: 16, layers: 2}", "train.max_steps=6"])
    assert code == 0
    assert (run / "results.json").exists()


def test_a_run_folder_imports_its_plugin_modules_only_when_trusted(tiny_config, tmp_path, monkeypatch, capsys):
    (tmp_path / "my_encoders.py").write_text(_example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "-o", str(run), "plugins=[my_encoders]",
                 "model.encoder={type: conv, channels: 16, layers: 2}", "train.max_steps=3"]) == 0
    capsys.readouterr()
    assert main(["predict", str(run), "a b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "imports the plugin module(s) ['my_encoders']" in err[0] and "--trust-plugins" in err[0]
    assert main(["predict", str(run), "a b", "--trust-plugins"]) == 0


def test_readme_plugin_honours_padding(tmp_path, monkeypatch):
    (tmp_path / "my_encoders.py").write_text(_example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_encoders

    encoder = my_encoders.ConvTextEncoder(vocab_size=9, pad_id=0, channels=8).eval()
    inputs = torch.tensor([[3, 4, 5, 0], [3, 4, 5, 6]])
    padded = encoder(inputs, torch.tensor([3, 4]))
    alone = encoder(inputs[:1, :3], torch.tensor([3]))
    torch.testing.assert_close(padded.memory[0, :3], alone.memory[0])
    torch.testing.assert_close(padded.final_state[0], alone.final_state[0])
