"""What ``multis2s new-plugin`` needs from each kind of plugin it writes (one module per kind)."""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLS = ('{"type": "symbols", "task": "copy", "vocabulary": 6, "min_length": 2, "max_length": 5,\n'
           '                         "train_size": 60, "dev_size": 8, "test_size": 8, "seed": 2}')
RNN = '{"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 8}'


def tiny_config(*, dataset: str = SYMBOLS, encoder: str = RNN, metrics: str = '["exact_match"]') -> str:
    """The ``TINY`` config of a generated test (Python source): a model that trains in seconds on a
    CPU, with the given ``data.dataset``, ``model.encoder`` and ``eval.metrics``."""
    return f'''\
TINY = {{  # a model small enough to train in seconds on a CPU
    "seed": 3,
    "device": "cpu",
    "plugins": ["$package"],  # not needed once installed (the entry point loads it); harmless then
    "data": {{"dataset": {dataset},
             "batch_size": 16}},
    "model": {{"encoder": {encoder},
              "decoder": {{"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
                          "attention": {{"type": "additive", "dim": 8}}}}}},
    "train": {{"lr": 0.01, "max_steps": 4, "validate_every": 4, "progress": False}},
    "eval": {{"metrics": {metrics}, "batch_size": 8}},
}}
'''


@dataclass(frozen=True)
class Template:
    """One kind's files, as :class:`string.Template` text.

    Placeholders: ``$package`` (the package, its entry point and the component's registered name)
    and ``$cls`` (the component's class name).
    """

    hook: str
    """The hook the package implements, e.g. ``register_encoders``."""
    module: str
    """The component's module inside the package, e.g. ``encoder``."""
    suffix: str
    """Appended to the package's CamelCase name to make ``$cls``, e.g. ``Encoder``."""
    modality: str
    """The modality it is registered with (``$package`` allowed: a new modality named after it)."""
    help: str
    """The help line ``multis2s plugins`` shows."""
    component: str
    """The component's module: a working minimal component of the kind."""
    test: str
    """The package's test module."""
    usage: str
    """README text: how a config uses it."""
