"""The example plugin, tested as a plugin: registered through the plugin manager, padding
honoured, options checked, and a tiny config trained with it (``pytest`` in this folder; the
multis2s test suite runs these too, from tests/cli/test_new_plugin.py)."""

import pytest
import torch
import yaml

from conv_encoder.encoder import ConvTextEncoder
from multis2s.cli import main
from multis2s.plugins import load_registry

TINY = {  # a copy task small enough to train in a few seconds on a CPU
    "seed": 3,
    "device": "cpu",
    "plugins": ["conv_encoder"],  # not needed once installed (the entry point loads it); harmless then
    "data": {"dataset": {"type": "symbols", "task": "copy", "vocabulary": 6, "min_length": 2, "max_length": 5,
                         "train_size": 60, "dev_size": 8, "test_size": 8, "seed": 2},
             "batch_size": 16},
    "model": {"encoder": {"type": "conv_text", "embedding_dim": 8, "channels": 16, "layers": 2},
              "decoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                          "attention": {"type": "additive", "dim": 8}}},
    "train": {"lr": 0.01, "max_steps": 4, "validate_every": 4, "progress": False},
    "eval": {"metrics": ["exact_match"], "batch_size": 8},
}


def _config(tmp_path, monkeypatch, **encoder) -> str:
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path / "cache"))  # the generated corpus stays in tmp_path
    config = {**TINY, "model": {**TINY["model"], "encoder": {**TINY["model"]["encoder"], **encoder}}}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_register_encoders_registers_conv_text():
    component = load_registry(["conv_encoder"]).get("encoders", "conv_text")
    assert component.plugin == "conv_encoder" and component.modality == "text"


def test_a_sequence_alone_equals_it_inside_a_padded_batch():
    encoder = ConvTextEncoder(vocab_size=9, pad_id=0, embedding_dim=8, channels=8).eval()
    inputs = torch.tensor([[3, 4, 5, 0, 0], [3, 4, 5, 6, 7]])  # (B, S), row 0 padded
    padded = encoder(inputs, torch.tensor([3, 5]))
    alone = encoder(inputs[:1, :3], torch.tensor([3]))
    torch.testing.assert_close(padded.memory[0, :3], alone.memory[0])
    torch.testing.assert_close(padded.final_state[0], alone.final_state[0])
    assert not padded.memory[0, 3:].any() and padded.memory_mask.tolist()[0] == [True] * 3 + [False] * 2


def test_an_even_kernel_size_raises_value_error():
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ConvTextEncoder(vocab_size=9, pad_id=0, kernel_size=2)


def test_out_of_range_and_cross_option_errors_are_one_config_line(tmp_path, monkeypatch, capsys):
    assert main(["train", _config(tmp_path, monkeypatch, channels=0), "-o", str(tmp_path / "run")]) == 2
    assert "model.encoder.channels: must be >= 1, got 0" in capsys.readouterr().err
    assert main(["train", _config(tmp_path, monkeypatch, kernel_size=4), "-o", str(tmp_path / "run")]) == 2
    assert "kernel_size must be odd" in capsys.readouterr().err


def test_trains_a_tiny_config(tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert main(["train", _config(tmp_path, monkeypatch), "-o", str(run)]) == 0
    assert (run / "checkpoints" / "best.pt").exists()
