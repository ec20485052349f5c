"""Shared fixtures: a private data cache, a tiny config, throwaway plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from multis2s.plugins import hookimpl

TINY = {
    "seed": 3,
    "device": "cpu",
    "data": {
        "dataset": {"type": "symbols", "task": "copy", "vocabulary": 6, "min_length": 2, "max_length": 5,
                    "train_size": 120, "dev_size": 12, "test_size": 12, "seed": 2},
        "batch_size": 16,
    },
    "model": {
        "encoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 8, "dropout": 0.1},
        "decoder": {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                    "attention": {"type": "additive", "dim": 8}, "dropout": 0.1},
    },
    "train": {"lr": 0.01, "max_steps": 12, "validate_every": 6, "log_every": 3, "progress": False},
    "eval": {"metrics": ["exact_match", "token_accuracy"], "batch_size": 8},
}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Generated corpora go to a temporary cache shared by the session's tests; runs/ to a temp folder."""
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.chdir(tmp_path_factory.mktemp("work"))


@pytest.fixture
def one_thread():
    """Torch on one thread for the test (tiny models run faster and alike everywhere), restored after."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    """A tiny copy-task config file; tests override keys on the command line."""
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


class ThrowawayPlugin:
    """A plugin object registering one encoder named ``throwaway``."""

    def __init__(self, name: str = "throwaway") -> None:
        self.name = name

    @hookimpl
    def register_encoders(self, register):
        from multis2s_text.encoders import RNNEncoder

        register(self.name, RNNEncoder, modality="text", help="test encoder")


@pytest.fixture
def throwaway_manager():
    """A plugin manager with the installed plugins plus a throwaway one, unregistered afterwards."""
    from multis2s.plugins import create_manager

    manager = create_manager()
    plugin = ThrowawayPlugin()
    manager.register(plugin, name="throwaway-plugin")
    yield manager
    manager.unregister(plugin)
