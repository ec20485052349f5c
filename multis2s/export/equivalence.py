"""The same batches decoded greedily by the PyTorch model and by an export: identical outputs and time.

The examples are read and collated once, as evaluation batches them (similar lengths together,
``eval.batch_size``), so neither side's time includes preprocessing; each side's time is the
encoder and every decoder step over all batches.

Shapes: B batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from multis2s.data.batching import bucketed_batches
from multis2s.data.example import Example
from multis2s.data.loader import ExampleTensors, make_loader
from multis2s.export.runner import ExportedModel, Output
from multis2s.search.greedy import GreedySearch
from multis2s.search.hypothesis import Hypothesis, MaxLength


@dataclass
class Comparison:
    """identical: examples whose token outputs are the same; score_difference: the largest absolute
    difference of the two scores (log-probabilities) over those; seconds: each side's decoding time."""

    examples: int
    identical: int
    score_difference: float
    pytorch_seconds: float
    exported_seconds: float


def batches_of(run, examples: list[Example], batch_size: int) -> list:
    """``examples`` read and collated in evaluation's batches (:class:`~multis2s.data.loader.Batch`)."""
    lengths = [run.streams.length(e) for e in examples]
    batches = bucketed_batches(lengths, batch_size=batch_size, unit="examples", seed=0, shuffle=False)
    return list(make_loader(ExampleTensors(examples, run.streams, run.target, train=False), batches, num_workers=0,
                            pin_memory=False))


def decode_pytorch(run, batches: list) -> tuple[dict[int, Hypothesis], float]:
    """Greedy hypotheses of the run's model by example index, and the seconds they took."""
    settings, search, model = run.config.eval, GreedySearch(), run.model.cpu().eval()
    limit = MaxLength(settings.max_length_ratio, settings.max_length_offset)
    results, start = {}, time.perf_counter()
    for batch in batches:
        found = search(model, batch.sources, batch.source_lengths, max_length=limit)
        results.update((i, h[0]) for i, h in zip(batch.indices, found))
    return results, time.perf_counter() - start


def decode_exported(exported: ExportedModel, batches: list) -> tuple[dict[int, Output], float]:
    """The export's greedy outputs by example index, and the seconds they took."""
    arrays = [({k: v.numpy() for k, v in b.sources.items()}, {k: v.numpy() for k, v in b.source_lengths.items()},
               b.indices) for b in batches]
    results, start = {}, time.perf_counter()
    for sources, lengths, indices in arrays:
        results.update(zip(indices, exported.greedy(sources, lengths)))
    return results, time.perf_counter() - start


@torch.no_grad()
def compare(run, exported: ExportedModel, examples: list[Example], *, batch_size: int) -> Comparison:
    """Decode ``examples`` both ways (the same batches) and count the identical outputs."""
    batches = batches_of(run, examples, batch_size)
    ours, pytorch_seconds = decode_pytorch(run, batches)
    theirs, exported_seconds = decode_exported(exported, batches)
    same = [i for i in ours if ours[i].tokens == theirs[i].tokens]
    difference = max((abs(ours[i].score - theirs[i].score) for i in same), default=float("nan"))
    return Comparison(len(ours), len(same), difference, pytorch_seconds, exported_seconds)
