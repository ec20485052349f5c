"""Decode examples with a trained model and score the outputs with registered metrics."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm import tqdm

from multis2s.config import EvalConfig
from multis2s.data.batching import bucketed_batches
from multis2s.data.example import Example
from multis2s.data.loader import ExampleTensors, make_loader
from multis2s.data.pipeline import SourcePipeline
from multis2s.data.streams import StreamPipelines
from multis2s.data.target import TargetField
from multis2s.errors import ConfigError
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq
from multis2s.normalise import normalise_text
from multis2s.registry import Registry
from multis2s.search import Hypothesis, search


@dataclass
class Decoded:
    """One example's n-best hypotheses and the best one as text."""

    example: Example
    hypotheses: list[Hypothesis]
    text: str


def decode(
    model: Seq2Seq,
    pipeline: SourcePipeline,
    target: TargetField,
    examples: list[Example],
    *,
    settings: EvalConfig,
    device: torch.device,
    beam: int | None = None,
    progress: bool = False,
) -> list[Decoded]:
    """Decode every example (in batches of similar length), returned in the input order."""
    beam = settings.beam if beam is None else beam
    lengths = [pipeline.length(e) for e in examples]
    batches = bucketed_batches(lengths, batch_size=settings.batch_size, unit="examples", seed=0, shuffle=False)
    loader = make_loader(ExampleTensors(examples, pipeline, target, train=False), batches, num_workers=0,
                         pin_memory=False)
    results: dict[int, list[Hypothesis]] = {}
    model.eval()
    for batch in tqdm(loader, desc="decoding", disable=not progress, leave=False, unit="batch"):
        batch = batch.to(device)
        found = search(model, batch.sources, batch.source_lengths, beam=beam,
                       length_penalty_alpha=settings.length_penalty, n_best=min(settings.n_best, beam),
                       max_length_ratio=settings.max_length_ratio, max_length_offset=settings.max_length_offset)
        results.update(zip(batch.indices, found))
    return [Decoded(e, results[i], target.decode(results[i][0].tokens)) for i, e in enumerate(examples)]


@torch.no_grad()
def stream_attention(model: Seq2Seq, pipeline: StreamPipelines, example: Example, attention: torch.Tensor,
                     device: torch.device) -> list[tuple[str, Example, torch.Tensor]]:
    """A several-stream hypothesis's attention (steps, ΣS_i real positions) split by stream.

    Returns, for each stream the example has, its name, the example as that stream sees it, and
    the weights over its own encoded positions (steps, S_i).
    """
    sources, lengths = pipeline.collate([pipeline.load(example, train=False)])
    move = lambda t: t.to(device)  # noqa: E731
    encoded = model.encode(map_tensors(sources, move), map_tensors(lengths, move))
    sizes = [int(stream.memory_mask.sum()) for stream in encoded.streams]
    parts = []
    for (name, stream_pipeline), weights in zip(pipeline.pipelines.items(), attention.split(sizes, dim=1)):
        view = pipeline.view(example, stream_pipeline)
        if view is not None:
            parts.append((name, view, weights))
    return parts


def score(registry: Registry, names: list[str], decoded: list[Decoded], *, normalise: bool = False) -> dict[str, float]:
    """Each named metric over the decoded outputs and every reference of each example.

    With ``normalise``, hypotheses and references alike pass through :func:`normalise_text`.
    """
    hypotheses, references = texts(decoded, normalise=normalise)
    return {name: registry.get("metrics", name).factory().score(hypotheses, references) for name in names}


def texts(decoded: list[Decoded], *, normalise: bool) -> tuple[list[str], list[list[str]]]:
    """Hypotheses and reference lists, normalised alike when asked."""
    clean = normalise_text if normalise else (lambda text: text)
    return [clean(d.text) for d in decoded], [[clean(r) for r in d.example.all_references()] for d in decoded]


def tag_subsets(decoded: list[Decoded]) -> dict[str, list[Decoded]]:
    """For each boolean tag that is true on some examples and false on others: ``tag`` → those examples."""
    subsets = {}
    keys = {k for d in decoded for k, v in d.example.tags.items() if isinstance(v, bool)}
    for key in sorted(keys):
        chosen = [d for d in decoded if d.example.tags.get(key) is True]
        if 0 < len(chosen) < len(decoded):
            subsets[key] = chosen
    return subsets


def check_metrics(registry: Registry, names: list[str], origin: str) -> None:
    """Every metric name in ``eval.metrics`` is registered."""
    for name in names:
        try:
            registry.get("metrics", name)
        except Exception as exc:
            raise ConfigError(f"{origin}: eval.metrics: {exc}") from None


def metric_direction(registry: Registry, name: str) -> bool:
    """True when a higher value of metric ``name`` is better (``loss`` is lower-better)."""
    if name == "loss":
        return False
    return bool(registry.get("metrics", name).factory().higher_is_better)
