"""Run folders: train a config into one, and load a trained one back for evaluation or prediction.

Layout: ``RUN_DIR/config.yaml`` (the resolved config), ``RUN_DIR/checkpoints/{last,best}.pt``,
``RUN_DIR/metrics.jsonl``, and after ``run``, ``RUN_DIR/results.json``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from multis2s.assembly import Parts, build_dataset, build_model, build_pipeline, build_target, check_shapes
from multis2s.checkpoint import load_checkpoint
from multis2s.config import Config, config_to_dict, load_config, parse_config
from multis2s.data.example import Dataset
from multis2s.data.loader import ExampleTensors, make_loader
from multis2s.data.vocabulary import Vocabulary
from multis2s.device import resolve_device
from multis2s.errors import CheckpointError, ConfigError, DataError
from multis2s.evaluation import check_metrics
from multis2s.plugins import load_registry
from multis2s.train.schedule import check_schedule
from multis2s.train.trainer import Trainer


def _apply_runtime(config: Config) -> torch.device:
    if config.threads:
        torch.set_num_threads(config.threads)
    return resolve_device(config.device)


def _split(dataset: Dataset, name: str) -> list:
    examples = dataset.split(name)
    if not examples:
        raise DataError(f"split {name!r} has no examples")
    return examples


def train_config(config_path: Path, overrides: list[str], run_dir: Path, *, resume: bool) -> bool:
    """Train ``config_path`` (with overrides) into ``run_dir``; False when interrupted by Ctrl-C."""
    config, _ = load_config(config_path, overrides)
    origin = str(config_path)
    check_schedule(config.train, origin)
    device = _apply_runtime(config)
    registry = load_registry(config.plugins)
    check_metrics(registry, list(config.eval.metrics), origin)
    last = run_dir / "checkpoints" / "last.pt"
    if not resume and last.exists():
        raise ConfigError(f"{run_dir}: already holds a trained run; pass --resume to continue it or choose "
                          "another folder with -o")
    payload = load_checkpoint(last) if resume else None
    dataset = build_dataset(config, registry, origin)
    pipeline = build_pipeline(config, registry, origin)
    train, dev = _split(dataset, "train"), _split(dataset, "dev")
    if payload is not None:
        pipeline.load_state(payload["pipeline"])
        target = build_target(config, registry, origin, Vocabulary.from_state(payload["target_vocabulary"]), None)
    else:
        pipeline.fit(train)
        target = build_target(config, registry, origin, None, train)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    model = build_model(config, registry, origin, pipeline, target).to(device)
    first = [list(range(min(2, len(train))))]
    probe = next(iter(make_loader(ExampleTensors(train, pipeline, target, train=False), first,
                                  num_workers=0, pin_memory=False)))
    check_shapes(model, probe.to(device), config, origin)
    parts = Parts(config, registry, dataset, pipeline, target, model)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False, allow_unicode=True))
    trainer = Trainer(parts, train=train, dev=dev, run_dir=run_dir, device=device)
    if payload is not None:
        try:
            trainer.restore(payload)
        except RuntimeError as exc:
            raise CheckpointError(f"{last}: does not match the config's model ({str(exc).splitlines()[0]})") from None
    return trainer.fit()


@dataclass
class TrainedRun:
    """A trained model with everything needed to decode and score with it."""

    parts: Parts
    device: torch.device
    checkpoint: Path


def load_run(run_dir: Path, which: str = "best") -> TrainedRun:
    """Rebuild the model of ``run_dir`` from its checkpoint (``best``, falling back to ``last``)."""
    if not run_dir.is_dir():
        raise CheckpointError(f"{run_dir}: run folder not found")
    path = run_dir / "checkpoints" / f"{which}.pt"
    if not path.exists():
        path = run_dir / "checkpoints" / "last.pt"
    payload = load_checkpoint(path)
    origin = str(run_dir / "config.yaml")
    config = parse_config(payload["config"], origin)
    device = _apply_runtime(config)
    registry = load_registry(config.plugins)
    pipeline = build_pipeline(config, registry, origin)
    pipeline.load_state(payload["pipeline"])
    target = build_target(config, registry, origin, Vocabulary.from_state(payload["target_vocabulary"]), None)
    model = build_model(config, registry, origin, pipeline, target)
    model.load_state_dict(payload["model"])
    model.to(device).eval()
    parts = Parts(config, registry, None, pipeline, target, model)
    return TrainedRun(parts, device, path)


def dataset_of(run: TrainedRun) -> Dataset:
    """The run's dataset, built on first use (evaluation of a split)."""
    if run.parts.dataset is None:
        run.parts.dataset = build_dataset(run.parts.config, run.parts.registry, str(run.checkpoint))
    return run.parts.dataset
