"""YAML config → typed, checked config objects.

Sections: ``data``, ``model``, ``train``, ``eval`` (plus ``plugins``, ``seed``, ``device``).
Unknown keys are errors that name the file and the key path. Component sections
(``data.dataset``, ``model.encoder``, ``model.decoder``) hold a ``type`` plus that component's own
options, which are checked against the component's signature when it is built (still before any
training starts).
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from multis2s.errors import ConfigError
from multis2s.options import coerce, unknown_key_error


@dataclass(frozen=True)
class ComponentSpec:
    """A ``type:`` naming a registered component, and that component's options."""

    type: str
    options: dict[str, Any]
    where: str


@dataclass(frozen=True)
class TargetConfig:
    """How target text becomes token ids."""

    tokenizer: str = "word"
    normalise: bool = False
    min_freq: int = 1
    max_vocab: int | None = None


@dataclass(frozen=True)
class DataConfig:
    """Where examples come from and how they are batched."""

    dataset: ComponentSpec
    source: dict[str, Any] = field(default_factory=dict)
    target: TargetConfig = TargetConfig()
    batch_size: int = 64
    batch_unit: Literal["examples", "tokens"] = "examples"
    skip_bad: bool = False
    num_workers: int = 0


@dataclass(frozen=True)
class ModelConfig:
    """The encoder (or several named encoders, one per stream) and the decoder components.

    Exactly one of ``encoder`` and ``encoders`` is given. With ``encoders``, ``data.source`` holds
    each stream's pipeline options under the stream's name, and ``stream_dropout`` is the chance,
    per training example, that one of its streams is hidden from the decoder.
    """

    decoder: ComponentSpec
    encoder: ComponentSpec | None = None
    encoders: dict[str, ComponentSpec] | None = None
    stream_dropout: float = 0.0

    def streams(self) -> dict[str, ComponentSpec]:
        """Stream name → encoder spec; a single encoder is the one stream ``source``."""
        return dict(self.encoders) if self.encoders is not None else {"source": self.encoder}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, schedules, validation and stopping."""

    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: Literal["constant", "inverse_sqrt", "linear", "cosine"] = "constant"
    warmup_steps: int = 0
    min_lr: float = 0.0
    max_steps: int | None = None
    max_epochs: int = 10
    clip_grad_norm: float | None = 1.0
    label_smoothing: float = 0.0
    teacher_forcing: float = 1.0
    teacher_forcing_end: float | None = None
    teacher_forcing_steps: int = 0
    validate_every: int = 500
    validation_examples: int | None = None
    best_metric: str | None = None
    early_stopping_patience: int | None = None
    log_every: int = 50
    amp: bool = True
    progress: bool = True


@dataclass(frozen=True)
class EvalConfig:
    """Metrics and search settings for validation, ``evaluate`` and ``predict``."""

    metrics: list[str] = field(default_factory=lambda: ["exact_match"])
    beam: int = 1
    length_penalty: float = 0.0
    max_length_ratio: float = 2.0
    max_length_offset: int = 10
    n_best: int = 1
    batch_size: int = 128
    normalise: bool = False


@dataclass(frozen=True)
class Config:
    """A whole run: what :func:`load_config` returns."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig = TrainConfig()
    eval: EvalConfig = EvalConfig()
    plugins: list[str] = field(default_factory=list)
    seed: int = 1
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None


def _component(value: Any, where: str) -> ComponentSpec:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping with a 'type' key, got {value!r}")
    if "type" not in value:
        raise ConfigError(f"{where}: missing required key 'type'")
    options = {k: v for k, v in value.items() if k != "type"}
    return ComponentSpec(type=str(value["type"]), options=options, where=where)


def _components(value: Any, where: str) -> dict[str, ComponentSpec]:
    """``{name: {type: …, …}, …}`` → name → spec, for several named components."""
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: expected a mapping of names to components, got {value!r}")
    return {str(name): _component(item, f"{where}.{name}") for name, item in value.items()}


def _check_model(model: ModelConfig, data: DataConfig) -> None:
    """One of ``model.encoder`` / ``model.encoders``; with several, ``data.source`` per stream."""
    if (model.encoder is None) == (model.encoders is None):
        raise ConfigError("model: give either 'encoder' (one) or 'encoders' (several, by stream name)")
    if model.encoders is None:
        return
    if len(model.encoders) < 2:
        raise ConfigError("model.encoders: name at least two streams (use model.encoder for one)")
    if not 0.0 <= model.stream_dropout < 1.0:
        raise ConfigError(f"model.stream_dropout: must be in [0, 1), got {model.stream_dropout}")
    for name, options in data.source.items():
        if name not in model.encoders:
            raise unknown_key_error(str(name), list(model.encoders), f"data.source.{name}")
        if not isinstance(options, dict):
            raise ConfigError(f"data.source.{name}: expected the options of stream {name!r}, got {options!r}")


def _section(cls: type, value: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a mapping, checking every key."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {value!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    known = [n for n in fields]
    kwargs = {}
    for key, item in value.items():
        path = f"{where}.{key}" if where.rstrip(":") else key
        if key not in fields:
            raise unknown_key_error(str(key), known, path)
        annotation = hints[key]
        if item is None and annotation in (ComponentSpec | None, dict[str, ComponentSpec] | None):
            kwargs[key] = None
        elif annotation in (ComponentSpec, ComponentSpec | None):
            kwargs[key] = _component(item, path)
        elif annotation == dict[str, ComponentSpec] | None:
            kwargs[key] = _components(item, path)
        elif dataclasses.is_dataclass(annotation):
            kwargs[key] = _section(annotation, item if item is not None else {}, path)
        else:
            kwargs[key] = coerce(item, annotation, path)
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where + '.' if where else ''}{name}: missing required section")
    return cls(**kwargs)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.lr=0.01"`` → ``(["train", "lr"], 0.01)``; the value is read as YAML."""
    if "=" not in text:
        raise ConfigError(f"override {text!r}: expected key.path=value")
    key, raw = text.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override {text!r}: empty key in {key!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {text!r}: value is not valid YAML ({exc})") from exc
    return parts, value


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """A copy of ``raw`` with each ``key.path=value`` set (intermediate mappings are created)."""
    result = copy.deepcopy(raw)
    for text in overrides:
        parts, value = parse_override(text)
        node = result
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"override {text!r}: {part!r} is not a section")
            node = child
        node[parts[-1]] = value
    return result


def read_yaml(path: Path) -> dict:
    """The mapping in a YAML file; syntax errors are reported as ``file:line: message``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{line}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_config(raw: dict, source: str) -> Config:
    """Check a raw mapping and turn it into a :class:`Config`; errors start with ``source``."""
    try:
        config = _section(Config, raw, "")
        _check_model(config.model, config.data)
        return config
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: Path, overrides: list[str] = ()) -> tuple[Config, dict]:
    """The typed config of a YAML file with overrides applied, and the raw mapping behind it."""
    raw = apply_overrides(read_yaml(path), list(overrides))
    return parse_config(raw, str(path)), raw


def config_to_dict(config: Config) -> dict:
    """The fully resolved config (defaults filled in) as plain YAML-ready data."""

    def plain(value: Any) -> Any:
        if isinstance(value, ComponentSpec):
            return {"type": value.type, **value.options}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return plain(config)
