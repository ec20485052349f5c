"""Property: any YAML text, raw mapping, override or component options gives a config or a ConfigError.

Never another exception, and every error is one line of bounded length.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multis2s.config import apply_overrides, config_to_dict, parse_config, parse_override, read_yaml
from multis2s.errors import ConfigError
from multis2s.options import resolve
from tests.conftest import TINY

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONGEST_ERROR = 1000

TOKENS = ["data:", "model:", "train:", "eval:", "encoder:", "decoder:", "dataset:", "type:", "lr:", "batch_size:",
          "rnn", "symbols", "\n", "\n  ", "\n    ", "- ", ": ", ", ", "[", "]", "{", "}", "&a ", "&b ", "*a", "*b",
          "<<: ", "? ", "'", '"', "|\n", ">-\n", "# c\n", "---\n", "...\n", "%YAML 1.2\n", "!!int ", "!!float ",
          "!!bool ", "!!timestamp ", "!!binary ", "!!set ", "!!python/object:os.system ", "!x ", "~", "null",
          "true", "yes", "1", "-1", "0", "1e-3", ".5e1", "-2E+3", "1.0e6", ".nan", ".inf", "-.inf", "0x1F", "0o17",
          "1_000", "12:30:45", "2001-12-14", "2001-13-45", "9" * 120, "\t", "\x00", "\ufeff", "\u2028", "\\",
          "é", "x" * 70]
yaml_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join) | st.text(max_size=80)

KEYS = ["data", "model", "train", "eval", "plugins", "seed", "device", "threads", "dataset", "source", "target",
        "carve", "batch_size", "batch_unit", "encoder", "encoders", "decoder", "type", "lr", "betas", "max_steps",
        "metrics", "search", "beam", "tokenizer", "dev", "test", "stream_dropout", "hidden_dim", "attention"]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2 ** 60, max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(KEYS + ["rnn", "symbols", "greedy"])
           | st.text(max_size=20) | st.just("k" * 5000))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(KEYS) | scalars.filter(lambda v: v is None or
                                                                                 isinstance(v, (str, int))),
                                        inner, max_size=4), max_leaves=20)


def _paths(data: dict, prefix: tuple = ()) -> list[tuple]:
    paths = []
    for key, value in data.items():
        paths.append((*prefix, key))
        if isinstance(value, dict):
            paths.extend(_paths(value, (*prefix, key)))
    return paths


TINY_PATHS = _paths(TINY) + [("train", key) for key in ("betas", "warmup_steps", "clip_grad_norm", "label_smoothing",
                                                        "teacher_forcing", "min_lr", "early_stopping_patience")]


def _is_bounded_line(exc: ConfigError) -> bool:
    text = str(exc)
    return "\n" not in text and len(text) <= LONGEST_ERROR


def _config_or_error(raw: dict, overrides: list[str] = ()) -> None:
    try:
        config = parse_config(raw, "fuzz.yaml", overridden=list(overrides))
    except ConfigError as exc:
        assert _is_bounded_line(exc), str(exc)[:2000]
        return
    config_to_dict(config)


@FUZZ
@given(text=yaml_text)
def test_any_yaml_text_gives_a_mapping_or_a_config_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            raw = read_yaml(path)
        except ConfigError as exc:
            assert _is_bounded_line(exc), str(exc)[:2000]
            return
    assert isinstance(raw, dict)
    _config_or_error(raw)


@FUZZ
@given(data=st.binary(max_size=200))
def test_any_bytes_give_a_mapping_or_a_config_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        try:
            assert isinstance(read_yaml(path), dict)
        except ConfigError as exc:
            assert _is_bounded_line(exc)


@FUZZ
@given(raw=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=6))
def test_any_raw_mapping_gives_a_config_or_a_config_error(raw):
    _config_or_error(raw)


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(TINY_PATHS), values), min_size=1, max_size=3))
def test_any_value_at_a_real_key_gives_a_config_or_a_config_error(changes):
    raw = copy.deepcopy(TINY)
    for path, value in changes:
        node = raw
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = value
    _config_or_error(raw)


override_key = st.sampled_from([".".join(p) for p in TINY_PATHS]) | st.text(max_size=15)
override = st.tuples(override_key, yaml_text).map("=".join) | st.text(max_size=40)


@FUZZ
@given(overrides=st.lists(override, max_size=3))
def test_any_overrides_give_a_config_or_a_config_error(overrides):
    try:
        for text in overrides:
            parse_override(text)
        raw = apply_overrides(TINY, overrides)
    except ConfigError as exc:
        assert _is_bounded_line(exc), str(exc)[:2000]
        return
    _config_or_error(raw, overrides)


@pytest.fixture(scope="module")
def registry():
    from multis2s.plugins import load_registry

    return load_registry()


OPTION_NAMES = ["hidden_dim", "embedding_dim", "layers", "dropout", "heads", "model_dim", "ff_dim", "cell",
                "attention", "fusion", "beam", "n_best", "length_penalty", "dim", "channels", "kernel", "levels",
                "output_dim", "trunk_channels", "bidirectional", "bogus"]


@FUZZ
@given(data=st.data())
def test_any_component_options_resolve_or_give_a_config_error(registry, data):
    from multis2s.assembly import supplied_names

    components = [c for kind in ("encoders", "decoders", "attentions", "searches") for c in registry.components()
                  if c.kind == kind]
    component = data.draw(st.sampled_from(components))
    options = data.draw(st.dictionaries(st.sampled_from(OPTION_NAMES), values, max_size=4))
    try:
        resolve(component.factory, options, where="fuzz.yaml: x", supplied=supplied_names(registry, component),
                registry=registry, base=lambda key: Path.cwd())
    except ConfigError as exc:
        assert _is_bounded_line(exc), str(exc)[:2000]
