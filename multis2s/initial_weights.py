"""``model.init``: weights of earlier runs that start a new training.

A whole model (``model.init.model``) brings its run's source pipeline states and target vocabulary,
so the weights meet the features and token ids they were trained on; an encoder
(``model.init.encoders.<stream>``) brings its stream's pipeline state. The borrowed states are loaded
instead of fitting those streams (and the target) on the new run's data, and after the model is
built :meth:`InitialWeights.load_into` copies the tensors in. Names and shapes must match exactly: a part
that does not fit is a one-line ConfigError naming the key, the file and the first mismatches.

Each path is a run folder (its best checkpoint, else its last) or a checkpoint file, always local.
Only a new training starts from them: a resumed run keeps its own weights. Target words the borrowed
vocabulary lacks become ``<unk>``. An encoder comes from the earlier run's stream of the same name,
or from its only stream; encoders apply after the whole model. Encoder parameters live under
``encoder.encoders.<stream>.`` in every model (one encoder's stream is ``source``), so an
audio-only run's encoder can start the audio stream of an audio-visual model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from multis2s.checkpoint import Checkpoint
from multis2s.config import InitConfig
from multis2s.errors import CheckpointError, ConfigError
from multis2s.options import shown
from multis2s.run_folder import RunFolder

SHOWN_MISMATCHES = 3
"""Mismatching parameter names an error lists."""


def encoder_prefix(stream: str) -> str:
    """The parameter-name prefix of a stream's encoder."""
    return f"encoder.encoders.{stream}."


@dataclass
class Part:
    """One ``model.init`` key: the tensors it fills (names of this model) and where they come from."""

    key: str
    path: Path
    prefix: str
    """The parameter-name prefix it fills; "" for the whole model."""
    tensors: dict[str, torch.Tensor]


@dataclass
class InitialWeights:
    """What ``model.init`` takes from earlier runs: the parts in the order they apply, pipeline states
    by stream, and the target field's state (with ``model.init.model``)."""

    parts: list[Part] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    target: dict[str, Any] | None = None

    def load_into(self, model: nn.Module) -> list[str]:
        """Copy every part into ``model`` (after it is built), later parts over earlier ones; one line
        per part for the log."""
        own = model.state_dict()
        for part in self.parts:
            _check_fit(own, part)
        with torch.no_grad():
            for part in self.parts:
                for name, tensor in part.tensors.items():
                    own[name].copy_(tensor)
        return [f"{part.key}: {len(part.tensors)} tensors from {part.path}" for part in self.parts]


def read_initial_weights(init: InitConfig, streams: list[str]) -> InitialWeights | None:
    """The weights ``init`` names (None when it names none); ``streams``: this model's stream names."""
    if init.model is None and not init.encoders:
        return None
    weights = InitialWeights()
    if init.model is not None:
        key = "model.init.model"
        file, saved = _checkpoint(init.model, key)
        if sorted(saved.sources) != sorted(streams):
            raise ConfigError(f"{key}: {file} has the streams {', '.join(saved.sources)}; this model has "
                              f"{', '.join(streams)} (model.init.encoders takes encoders one by one)")
        weights.parts.append(Part(key, file, "", dict(saved.model)))
        weights.sources.update(saved.sources)
        weights.target = saved.target
    for stream, path in init.encoders.items():
        key = f"model.init.encoders.{stream}"
        file, saved = _checkpoint(path, key)
        origin = _stream_of(saved, stream, file, key)
        source, prefix = encoder_prefix(origin), encoder_prefix(stream)
        tensors = {prefix + n[len(source):]: t for n, t in saved.model.items() if n.startswith(source)}
        weights.parts.append(Part(key, file, prefix, tensors))
        weights.sources[stream] = saved.sources[origin]
    return weights


def _checkpoint_file(path: Path, key: str) -> Path:
    """A run folder's best checkpoint (falling back to its last), or the file itself."""
    if path.is_dir():
        return RunFolder(path).trained_checkpoint("best")
    if not path.exists():
        raise ConfigError(f"{key}: {path} is neither a run folder nor a checkpoint file")
    return path


def _checkpoint(path: Path, key: str) -> tuple[Path, Checkpoint]:
    """The checkpoint file ``path`` names, and its contents."""
    file = _checkpoint_file(path, key)
    try:
        return file, Checkpoint.load(file)
    except CheckpointError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _stream_of(saved: Checkpoint, stream: str, path: Path, key: str) -> str:
    """The stream of ``saved`` whose encoder starts ``stream``: the same name, or its only stream."""
    if stream in saved.sources:
        return stream
    if len(saved.sources) == 1:
        return next(iter(saved.sources))
    raise ConfigError(f"{key}: {path} has the streams {', '.join(saved.sources)} and none is {shown(stream)}")


def _check_fit(own: dict[str, torch.Tensor], part: Part) -> None:
    """``part`` fills exactly the parameters of ``own`` under its prefix, shape for shape."""
    given = part.tensors
    wanted = {n for n in own if n.startswith(part.prefix)}
    missing, extra = sorted(wanted - given.keys()), sorted(given.keys() - wanted)
    shapes = [f"{n} {tuple(given[n].shape)} where this model has {tuple(own[n].shape)}"
              for n in sorted(wanted & given.keys()) if given[n].shape != own[n].shape]
    problems = ([f"lacks {_some(missing)}"] if missing else []) + \
        ([f"has {_some(extra)} that this model has not"] if extra else []) + \
        ([f"{_some(shapes)} (shapes)"] if shapes else [])
    if problems:
        raise ConfigError(f"{part.key}: {part.path} does not fit this model: {'; '.join(problems)}")


def _some(items: list[str]) -> str:
    """The first :data:`SHOWN_MISMATCHES` items, and how many more there are."""
    more = len(items) - SHOWN_MISMATCHES
    return ", ".join(items[:SHOWN_MISMATCHES]) + (f" and {more} more" if more > 0 else "")
