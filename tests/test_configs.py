"""Every shipped config loads, and its components build."""

from __future__ import annotations

from pathlib import Path

import pytest

from multis2s.assembly import build_model, build_pipeline, build_target
from multis2s.config import load_config
from multis2s.data.example import Example
from multis2s.data.streams import StreamPipelines
from multis2s.plugins import load_registry

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_loads_and_builds(path):
    config, _ = load_config(path)
    registry = load_registry(config.plugins)
    registry.get("datasets", config.data.dataset.type)
    pipeline = build_pipeline(config, registry, str(path))
    sources = ["a b c", "c d"]
    if isinstance(pipeline, StreamPipelines):  # several encoders read a mapping modality → item
        sources = [{p.modality: text for p in pipeline.pipelines.values()} for text in sources]
    examples = [Example(sources[0], "x y"), Example(sources[1], "z")]
    pipeline.fit(examples)
    target = build_target(config, registry, str(path), None, examples)
    model = build_model(config, registry, str(path), pipeline, target)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_every_shipped_config_value_is_commented():
    for path in CONFIGS:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            content = line.split("#", 1)[0].strip()
            if content and not content.endswith(":"):
                assert "#" in line, f"{path.name}:{number} has no comment: {line}"
