"""Every shipped config loads, resolves against the registry, and its model builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from multis2s.assembly import build_model, build_target, resolve
from multis2s.config import config_to_dict, load_config, parse_config
from multis2s.data.example import Example
from multis2s.plugins import load_registry

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


def small_subword_vocabularies(path: Path) -> list[str]:
    """Overrides shrinking each learned subword vocabulary to what the test's two short texts hold."""
    config = load_config(path)
    tokenizers = {f"{spec.where}.tokenizer": spec.options.get("tokenizer") for spec in config.data.source.values()}
    tokenizers["data.target.tokenizer"] = {"type": config.data.target.tokenizer.type}
    return [f"{key}.vocab_size=6" for key, value in tokenizers.items()
            if isinstance(value, dict) and value.get("type") == "sentencepiece"]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_loads_resolves_and_builds(path):
    config = load_config(path, small_subword_vocabularies(path))
    registry = load_registry(config.plugins)
    config, streams = resolve(config, registry, str(path))
    again, _ = resolve(parse_config(config_to_dict(config), "saved"), registry, "saved")
    assert config_to_dict(again) == config_to_dict(config), "resolving a resolved config changes nothing"
    names = streams.names
    sources = ["a b c", "c d"] if len(names) == 1 else [{name: text for name in names} for text in ("a b c", "c d")]
    examples = [Example(sources[0], "a b c"), Example(sources[1], "c d")]
    if all(not getattr(p, "reads_files", True) for p in streams.pipelines.values()):
        streams.fit(examples)
    target = build_target(config, registry, str(path))
    target.fit([e.target for e in examples], min_freq=1, max_size=None)
    model = build_model(config, registry, str(path), streams, target)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_every_shipped_config_value_is_commented():
    for path in CONFIGS:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            content = line.split("#", 1)[0].strip()
            if content and not content.endswith(":"):
                assert "#" in line, f"{path.name}:{number} has no comment: {line}"
