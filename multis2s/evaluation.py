"""Decode examples with a trained model and score the outputs with registered metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm import tqdm

from multis2s.data.batching import bucketed_batches
from multis2s.data.example import Example
from multis2s.data.loader import Batch, ExampleTensors, make_loader
from multis2s.data.streams import SourceStreams
from multis2s.data.target import TargetField
from multis2s.errors import ConfigError
from multis2s.metrics import word_error_counts, worst_alignments
from multis2s.model.seq2seq import Seq2Seq
from multis2s.normalise import normalise_text
from multis2s.parallel_decoding import decoding_workers, in_parallel
from multis2s.registry import Registry
from multis2s.search.hypothesis import Hypothesis, MaxLength, Search


@dataclass
class Decoded:
    """One example's hypotheses (best first) and the best one as text; oovs: with copying, the
    example's source words outside the target vocabulary (what extended ids in the tokens stand for)."""

    example: Example
    hypotheses: list[Hypothesis]
    text: str
    oovs: tuple[str, ...] = ()


def decode(
    model: Seq2Seq,
    streams: SourceStreams,
    target: TargetField,
    examples: list[Example],
    *,
    search: Search,
    max_length: MaxLength,
    batch_size: int,
    device: torch.device,
    parallel_batches: int | None = None,
    progress: bool = False,
) -> list[Decoded]:
    """Decode every example (in batches of similar length), returned in the input order.

    parallel_batches: how many batches decode at once on the CPU (None: one per thread), see
    :mod:`multis2s.parallel_decoding`."""
    lengths = [streams.length(e) for e in examples]
    batches = bucketed_batches(lengths, batch_size=batch_size, unit="examples", seed=0, shuffle=False)
    loader = make_loader(ExampleTensors(examples, streams, target, train=False), batches, num_workers=0,
                         pin_memory=False)
    results: dict[int, list[Hypothesis]] = {}
    oovs: dict[int, tuple[str, ...]] = {}
    model.eval()

    def search_batch(batch: Batch) -> tuple[Batch, list[list[Hypothesis]]]:
        batch = batch.to(device)
        return batch, search(model, batch.sources, batch.source_lengths, max_length=max_length)

    searched = in_parallel(search_batch, loader, decoding_workers(parallel_batches, device, len(batches)))
    for batch, hypotheses in tqdm(searched, total=len(batches), desc="decoding", disable=not progress, leave=False,
                                  unit="batch"):
        results.update(zip(batch.indices, hypotheses))
        oovs.update(zip(batch.indices, batch.oovs))
    return [Decoded(e, results[i], target.decode(results[i][0].tokens, oovs.get(i, ())), oovs.get(i, ()))
            for i, e in enumerate(examples)]


def texts(decoded: list[Decoded], *, normalise: bool) -> tuple[list[str], list[list[str]]]:
    """Hypotheses and reference lists, normalised alike when asked."""
    clean = normalise_text if normalise else (lambda text: text)
    return [clean(d.text) for d in decoded], [[clean(r) for r in d.example.all_references()] for d in decoded]


def score(registry: Registry, names: list[str], decoded: list[Decoded], *, normalise: bool = False) -> dict[str, float]:
    """Each named metric over the decoded outputs and every reference of each example.

    With ``normalise``, hypotheses and references alike pass through :func:`normalise_text`.
    """
    hypotheses, references = texts(decoded, normalise=normalise)
    return {name: registry.get("metrics", name).factory().score(hypotheses, references) for name in names}


def tag_subsets(decoded: list[Decoded]) -> dict[str, list[Decoded]]:
    """For each boolean tag that is true on some examples and false on others: ``tag`` → those examples."""
    subsets = {}
    keys = {k for d in decoded for k, v in d.example.tags.items() if isinstance(v, bool)}
    for key in sorted(keys):
        chosen = [d for d in decoded if d.example.tags.get(key) is True]
        if 0 < len(chosen) < len(decoded):
            subsets[key] = chosen
    return subsets


@dataclass
class Results:
    """What evaluating a set of examples gives; :meth:`to_dict` is ``results.json`` and ``--json``."""

    split: str
    num_examples: int
    metrics: dict[str, float]
    subsets: dict[str, dict[str, Any]] = field(default_factory=dict)
    word_errors: dict[str, int] | None = None
    worst: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    decoded: list[Decoded] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"split", "num_examples", "metrics"}`` plus ``subsets``, ``word_errors``, ``worst`` and
        ``samples`` where there are any."""
        data: dict[str, Any] = {"split": self.split, "num_examples": self.num_examples, "metrics": self.metrics}
        for key in ("subsets", "word_errors", "worst", "samples"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


def results_of(decoded: list[Decoded], *, registry: Registry, metrics: list[str], normalise: bool, split: str,
               errors: int = 0, samples: int = 0) -> Results:
    """Scores of ``decoded`` (by boolean-tag subset too), word error counts with WER, the ``errors``
    worst items aligned, and the first ``samples`` outputs beside their references."""
    results = Results(split, len(decoded), score(registry, metrics, decoded, normalise=normalise), decoded=decoded)
    results.subsets = {name: {"num_examples": len(items), "metrics": score(registry, metrics, items,
                                                                            normalise=normalise)}
                       for name, items in tag_subsets(decoded).items()}
    hypotheses, references = texts(decoded, normalise=normalise)
    if "wer" in results.metrics:
        results.word_errors = word_error_counts(hypotheses, references)
    if errors:
        results.worst = worst_alignments(hypotheses, references, errors)
    results.samples = [{"source": d.example.source, "reference": d.example.target, "output": d.text}
                       for d in decoded[:samples]]
    return results


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
