"""YAML config → typed, checked config objects.

Sections: ``data``, ``model``, ``train``, ``eval`` (plus ``plugins``, ``seed``, ``device``,
``threads``). Unknown keys are errors that name the file and the key path. Component sections
(``data.dataset``, each ``model.encoders.<stream>``, ``model.decoder``, ``eval.search``,
``data.target.tokenizer``) hold a ``type`` plus that component's own options, which are checked
against the component's signature when the run resolves them (still before any training starts).
``data.source.<stream>`` holds the options of that stream's source pipeline.

``model.encoder: {...}`` is shorthand for ``model.encoders: {source: {...}}``, and then
``data.source`` holds the one stream's pipeline options directly. A relative path in a component's
options is relative to the config file's folder, or to the working directory when it was given on
the command line (``key.path=value``).

Every number's allowed range is declared on its field (``Annotated[int, Range(ge=1)]``,
:mod:`multis2s.ranges`) and checked at load time; the file is read within bounds
(:mod:`multis2s.safe_yaml`).
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from multis2s import safe_yaml
from multis2s.errors import ConfigError
from multis2s.options import coerce, is_name, key_text, plain, shown, unknown_key_error
from multis2s.ranges import DROPOUT, PROBABILITY, Range

SHORTHAND_STREAM = "source"
"""The name of the one stream of ``model.encoder``."""
OVERRIDE_PARTS = 20
"""The most parts of an override's key path (``data.source.tokenizer.type`` has 4)."""


@dataclass(frozen=True)
class ComponentSpec:
    """A ``type:`` naming a registered component (None for a stream's pipeline, whose type is its
    encoder's modality), that component's options, and where they were written."""

    type: str | None
    options: dict[str, Any]
    where: str
    folder: Path | None = None
    """The config file's folder, which relative paths in ``options`` are relative to."""
    overridden: frozenset[str] = frozenset()
    """Option keys given on the command line (relative to the working directory); ``""``: all."""

    def base(self, key: str) -> Path:
        """The folder a relative path in option ``key`` is relative to."""
        if self.folder is None or key in self.overridden or "" in self.overridden:
            return Path.cwd()
        return self.folder

    def with_options(self, options: dict[str, Any]) -> "ComponentSpec":
        """The same component with ``options`` (complete, resolved) instead."""
        return dataclasses.replace(self, options=options)


def _spec(name: str, where: str) -> ComponentSpec:
    return ComponentSpec(name, {}, where)


@dataclass(frozen=True)
class TargetConfig:
    """How target text becomes token ids."""

    tokenizer: ComponentSpec = field(default_factory=lambda: _spec("word", "data.target.tokenizer"))
    normalise: bool = False
    min_freq: Annotated[int, Range(ge=1)] = 1
    max_vocab: Annotated[int, Range(ge=1)] | None = None


@dataclass(frozen=True)
class CarveConfig:
    """Dev and test examples carved out of the training split: a fraction in (0, 1) or a count."""

    dev: Annotated[int, Range(ge=1)] | Annotated[float, Range(gt=0, lt=1)] | None = None
    test: Annotated[int, Range(ge=1)] | Annotated[float, Range(gt=0, lt=1)] | None = None
    seed: int = 1


@dataclass(frozen=True)
class DataConfig:
    """Where examples come from, how each stream reads them, and how they are batched."""

    dataset: ComponentSpec
    source: dict[str, ComponentSpec] = field(default_factory=dict)
    target: TargetConfig = TargetConfig()
    carve: CarveConfig = CarveConfig()
    batch_size: Annotated[int, Range(ge=1)] = 64
    batch_unit: Literal["examples", "tokens"] = "examples"
    skip_bad: bool = False
    num_workers: Annotated[int, Range(ge=0)] = 0


@dataclass(frozen=True)
class InitConfig:
    """Weights of earlier runs (a run folder or a checkpoint file) that start a new training:
    ``model`` the whole model, ``encoders`` a stream's encoder; see :mod:`multis2s.initial_weights`."""

    model: Path | None = None
    encoders: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    """The encoder of each named stream, and the decoder.

    ``stream_dropout`` is the chance, per training example, that one of its streams is hidden from
    the decoder (several streams only). ``stream_loss_weight`` w > 0 also trains the decoder on each
    stream alone, the others hidden (several streams only): (1 − w) · loss + w · the mean over
    streams of the loss with that stream alone, so no stream is left to lean on the others.
    ``ctc_weight`` > 0 adds a CTC head on the memory of
    ``ctc_stream`` (default: the first stream), trained jointly: (1 − w) · attention loss + w · CTC loss;
    with ``ctc_ramp_steps`` n, w grows linearly from 0 to ``ctc_weight`` over the first n updates (at
    initialisation the CTC loss pulls on the encoder over 30 times harder than the attention loss; at
    ``make demo``'s size a 300-update ramp did not change the end result: BENCHMARKS.md).
    ``copy`` adds the copy mechanism (pointer-generator) over the source tokens of ``copy_stream``
    (default: the first stream; a text stream), see :mod:`multis2s.model.copy`. ``init``: weights of
    earlier runs to start from (:class:`InitConfig`, :mod:`multis2s.initial_weights`).
    """

    encoders: dict[str, ComponentSpec]
    decoder: ComponentSpec
    stream_dropout: Annotated[float, DROPOUT] = 0.0
    stream_loss_weight: Annotated[float, Range(ge=0, lt=1)] = 0.0
    ctc_weight: Annotated[float, Range(ge=0, lt=1)] = 0.0
    ctc_ramp_steps: Annotated[int, Range(ge=0)] = 0
    ctc_stream: str | None = None
    copy: bool = False
    copy_stream: str | None = None
    init: InitConfig = InitConfig()

    @property
    def copied_stream(self) -> str | None:
        """The stream the copy mechanism copies from, or None without ``copy``."""
        return (self.copy_stream or next(iter(self.encoders))) if self.copy else None


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, schedules, validation and stopping. ``clip_grad_norm``, ``save_every`` and
    ``save_every_minutes``: 0 or None is off."""

    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    lr: Annotated[float, Range(gt=0)] = 1e-3
    weight_decay: Annotated[float, Range(ge=0)] = 0.0
    betas: Annotated[tuple[float, float], Range(ge=0, lt=1)] = (0.9, 0.999)
    schedule: Literal["constant", "inverse_sqrt", "linear", "cosine"] = "constant"
    warmup_steps: Annotated[int, Range(ge=0)] = 0
    min_lr: Annotated[float, Range(ge=0)] = 0.0
    max_steps: Annotated[int, Range(ge=1)] | None = None
    max_epochs: Annotated[int, Range(ge=1)] = 10
    clip_grad_norm: Annotated[float, Range(ge=0)] | None = 1.0
    label_smoothing: Annotated[float, Range(ge=0, lt=1)] = 0.0
    teacher_forcing: Annotated[float, PROBABILITY] = 1.0
    teacher_forcing_end: Annotated[float, PROBABILITY] | None = None
    teacher_forcing_steps: Annotated[int, Range(ge=0)] = 0
    validate_every: Annotated[int, Range(ge=1)] = 500
    validation_examples: Annotated[int, Range(ge=1)] | None = None
    best_metric: str | None = None
    early_stopping_patience: Annotated[int, Range(ge=1)] | None = None
    log_every: Annotated[int, Range(ge=1)] = 50
    save_every: Annotated[int, Range(ge=0)] | None = None
    save_every_minutes: Annotated[float, Range(ge=0)] | None = 10.0
    max_bad_steps: Annotated[int, Range(ge=1)] = 20
    keep_checkpoints: Annotated[int, Range(ge=1)] | None = None
    amp: bool = True
    cpu_bf16: bool = False
    compile: bool = False
    progress: bool = True
    tensorboard: bool = True


@dataclass(frozen=True)
class EvalConfig:
    """Metrics and search settings for ``evaluate``, ``predict`` and ``run`` (validation is greedy)."""

    metrics: list[str] = field(default_factory=lambda: ["exact_match"])
    search: ComponentSpec = field(default_factory=lambda: _spec("greedy", "eval.search"))
    max_length_ratio: Annotated[float, Range(ge=0, le=1000)] = 2.0
    max_length_offset: Annotated[int, Range(ge=0, le=100_000)] = 10
    batch_size: Annotated[int, Range(ge=1)] = 128
    parallel_batches: Annotated[int, Range(ge=1)] | None = None
    normalise: bool = False


@dataclass(frozen=True)
class Config:
    """A whole run: what :func:`load_config` returns."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig = TrainConfig()
    eval: EvalConfig = EvalConfig()
    plugins: list[str] = field(default_factory=list)
    seed: Annotated[int, Range(ge=0, lt=2 ** 32)] = 1
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: Annotated[int, Range(ge=1)] | None = None


@dataclass(frozen=True)
class _Origin:
    """Where a config came from: its folder and the key paths set on the command line."""

    folder: Path | None
    overridden: frozenset[tuple[str, ...]]

    def keys_under(self, path: tuple[str, ...]) -> frozenset[str]:
        """The option keys under ``path`` that were overridden (``""`` when ``path`` itself or a parent was)."""
        keys = set()
        for key in self.overridden:
            if path[:len(key)] == key:
                keys.add("")
            elif key[:len(path)] == path and len(key) > len(path):
                keys.add(key[len(path)])
        return frozenset(keys)


def _component(value: Any, where: str, path: tuple[str, ...], origin: _Origin, *, typed: bool = True
               ) -> ComponentSpec:
    """A component written as ``name`` or ``{type: name, option: value, …}`` (untyped: options only)."""
    if typed and isinstance(value, str):
        value = {"type": value}
    if value is None and not typed:
        value = {}
    if not isinstance(value, dict):
        expected = "a mapping with a 'type' key" if typed else "a mapping of options"
        raise ConfigError(f"{where}: expected {expected}, got {shown(value)}")
    if typed and "type" not in value:
        raise ConfigError(f"{where}: missing required key 'type'")
    name = value.get("type") if typed else None
    if typed and not is_name(name):
        raise ConfigError(f"{where}.type: expected the name of a registered component, got {shown(name)}")
    options = {str(k): v for k, v in value.items() if not (typed and k == "type")}
    return ComponentSpec(name, options, where, origin.folder, origin.keys_under(path))


def _section(cls: type, value: Any, where: str, path: tuple[str, ...], origin: _Origin,
             special: dict[str, Any] | None = None) -> Any:
    """Build dataclass ``cls`` from a mapping, checking every key; ``special`` gives fields built elsewhere."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {shown(value)}")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = dict(special or {})
    for key, item in value.items():
        key_path = f"{where}.{key_text(key)}" if where else key_text(key)
        if key not in fields:
            raise unknown_key_error(key_text(key), list(fields), key_path)
        if key in kwargs:
            continue
        annotation = hints[key]
        if annotation is ComponentSpec:
            kwargs[key] = _component(item, key_path, (*path, key), origin)
        elif dataclasses.is_dataclass(annotation):
            kwargs[key] = _section(annotation, item if item is not None else {}, key_path, (*path, key), origin)
        else:
            kwargs[key] = coerce(item, annotation, key_path)
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where + '.' if where else ''}{name}: missing required section")
    return cls(**kwargs)


def _streams(model: Any, origin: _Origin) -> tuple[dict[str, ComponentSpec], bool]:
    """The encoders by stream name, and whether they were written as the ``model.encoder`` shorthand."""
    if not isinstance(model, dict):
        raise ConfigError(f"model: expected a mapping, got {shown(model)}")
    if (model.get("encoder") is None) == (model.get("encoders") is None):
        raise ConfigError("model: give either 'encoder' (one) or 'encoders' (several, by stream name)")
    if model.get("encoder") is not None:
        return {SHORTHAND_STREAM: _component(model["encoder"], "model.encoder", ("model", "encoder"), origin)}, True
    encoders = model["encoders"]
    if not isinstance(encoders, dict) or not encoders:
        raise ConfigError(f"model.encoders: expected a mapping of stream names to encoders, got {shown(encoders)}")
    return {str(name): _component(item, f"model.encoders.{key_text(name)}", ("model", "encoders", str(name)),
                                  origin) for name, item in encoders.items()}, False


def _absolute_init(init: InitConfig, origin: _Origin) -> InitConfig:
    """``model.init`` with its paths absolute: relative to the config file's folder, or to the working
    directory when given on the command line."""

    def absolute(path: Any, *key: str) -> Path:
        overridden = origin.folder is None or any(key[:len(k)] == k for k in origin.overridden)
        return (Path.cwd() if overridden else origin.folder) / coerce(path, Path, ".".join(key))

    return InitConfig(model=None if init.model is None else absolute(init.model, "model", "init", "model"),
                      encoders={str(name): absolute(path, "model", "init", "encoders", str(name))
                                for name, path in init.encoders.items()})


def _sources(data: dict, streams: dict[str, ComponentSpec], shorthand: bool, origin: _Origin
             ) -> dict[str, ComponentSpec]:
    """``data.source`` per stream: the options of each stream's source pipeline."""
    value = data.get("source")
    if shorthand:
        (name,) = streams
        return {name: _component(value, "data.source", ("data", "source"), origin, typed=False)}
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise ConfigError(f"data.source: expected one mapping of options per stream, got {shown(value)}")
    for name in value:
        if name not in streams:
            raise unknown_key_error(key_text(name), list(streams), f"data.source.{key_text(name)}")
    return {name: _component(value.get(name), f"data.source.{name}", ("data", "source", name), origin, typed=False)
            for name in streams}


def _check(config: Config) -> None:
    """Checks that span keys (each number's own range is checked as it is read)."""
    model, train, settings = config.model, config.train, config.eval
    if model.stream_dropout > 0 and len(model.encoders) < 2:
        raise ConfigError("model.stream_dropout: needs at least two streams in model.encoders")
    if model.stream_loss_weight > 0 and len(model.encoders) < 2:
        raise ConfigError("model.stream_loss_weight: needs at least two streams in model.encoders")
    if model.ctc_ramp_steps and not model.ctc_weight:
        raise ConfigError("model.ctc_ramp_steps: ramps the CTC loss's weight up; set model.ctc_weight > 0 too")
    if model.ctc_stream is not None and model.ctc_stream not in model.encoders:
        raise ConfigError(f"model.ctc_stream: {shown(model.ctc_stream)} is not a stream; the streams are "
                          f"{', '.join(model.encoders)}")
    if model.copy_stream is not None and model.copy_stream not in model.encoders:
        raise ConfigError(f"model.copy_stream: {shown(model.copy_stream)} is not a stream; the streams are "
                          f"{', '.join(model.encoders)}")
    unknown = [name for name in model.init.encoders if name not in model.encoders]
    if unknown:
        raise ConfigError(f"model.init.encoders: {shown(unknown[0])} is not a stream; the streams are "
                          f"{', '.join(model.encoders)}")
    if model.copy_stream is not None and not model.copy:
        raise ConfigError("model.copy_stream: names the stream to copy from; set model.copy: true to copy")
    if model.copy and model.ctc_weight:
        raise ConfigError("model.copy: not with model.ctc_weight (joint CTC scores a fixed vocabulary; copying "
                          "extends it per example)")
    if train.min_lr > train.lr:
        raise ConfigError(f"train.min_lr: must be <= train.lr ({train.lr}), got {train.min_lr}")
    if settings.max_length_ratio == 0 and settings.max_length_offset == 0:
        raise ConfigError("eval.max_length_offset: must be >= 1 when eval.max_length_ratio is 0 "
                          "(outputs could have no tokens)")
    names = [*((f"plugins[{i}]", name) for i, name in enumerate(config.plugins)),
             *((f"eval.metrics[{i}]", name) for i, name in enumerate(settings.metrics)),
             *([("train.best_metric", train.best_metric)] if train.best_metric is not None else [])]
    for key, name in names:
        if not is_name(name):
            raise ConfigError(f"{key}: expected a name, got {shown(name)}")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.lr=0.01"`` → ``(["train", "lr"], 0.01)``; the value is read as YAML (with its limits)."""
    if "=" not in text:
        raise ConfigError(f"override {shown(text)}: expected key.path=value")
    key, raw = text.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override {shown(text)}: empty key in {shown(key)}")
    if len(parts) > OVERRIDE_PARTS:
        raise ConfigError(f"override {shown(text)}: a key path of more than {OVERRIDE_PARTS} parts")
    value = safe_yaml.load(raw, f"override {shown(text)}: value") if raw.strip() else None
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
                raise ConfigError(f"override {shown(text)}: {shown(part)} is not a section")
            node = child
        node[parts[-1]] = value
    return result


def read_yaml(path: Path) -> dict:
    """The mapping in a YAML file (bounded: :mod:`multis2s.safe_yaml`); errors are ``file:line: message``."""
    data = safe_yaml.load(safe_yaml.read_text(path), str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def parse_config(raw: dict, source: str, *, folder: Path | None = None, overridden: list[str] = ()) -> Config:
    """Check a raw mapping and turn it into a :class:`Config`; errors start with ``source``.

    ``folder``: what relative paths are relative to; ``overridden``: the command-line overrides
    applied to ``raw`` (their relative paths are relative to the working directory).
    """
    keys = frozenset(tuple(parse_override(text)[0]) for text in overridden)
    origin = _Origin(folder, keys)
    try:
        safe_yaml.check_size(raw)
        if "model" not in raw:
            raise ConfigError("model: missing required section")
        if "data" not in raw:
            raise ConfigError("data: missing required section")
        encoders, shorthand = _streams(raw["model"], origin)
        model_raw = {k: v for k, v in raw["model"].items() if k not in ("encoder", "encoders")}
        model = _section(ModelConfig, model_raw, "model", ("model",), origin, {"encoders": encoders})
        model = dataclasses.replace(model, init=_absolute_init(model.init, origin))
        if not isinstance(raw["data"], dict):
            raise ConfigError(f"data: expected a mapping, got {shown(raw['data'])}")
        data = _section(DataConfig, raw["data"], "data", ("data",), origin,
                        {"source": _sources(raw["data"], encoders, shorthand, origin)})
        rest = {k: v for k, v in raw.items() if k not in ("model", "data")}
        config = _section(Config, rest, "", (), origin, {"model": model, "data": data})
        _check(config)
        return config
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: Path, overrides: list[str] = ()) -> Config:
    """The typed config of a YAML file with ``key.path=value`` overrides applied."""
    raw = apply_overrides(read_yaml(path), list(overrides))
    return parse_config(raw, str(path), folder=Path(path).resolve().parent, overridden=list(overrides))


def config_to_dict(config: Config) -> dict:
    """The config as plain YAML-ready data (a resolved config lists every option)."""

    def convert(value: Any) -> Any:
        if isinstance(value, ComponentSpec):
            options = {k: convert(v) for k, v in value.options.items()}
            return options if value.type is None else {"type": value.type, **options}
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return plain(value)

    return convert(config)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings → ``{"a.b.c": value}`` (lists are values)."""
    if not isinstance(data, dict) or not data:
        return {prefix: data} if prefix else {}
    flat = {}
    for key, value in data.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat
