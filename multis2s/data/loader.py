"""Examples → batches of padded tensors, through each stream's source pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from multis2s.data.example import Example
from multis2s.data.streams import SourceStreams
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import PAD_ID
from multis2s.model.encoder import map_tensors


@dataclass
class Batch:
    """sources: stream → (B, S_i, …); source_lengths: stream → (B,), 0 where a row lacks the stream;
    targets (B, T+1) with BOS … EOS and PAD; indices (B,) of the examples."""

    sources: dict[str, torch.Tensor]
    source_lengths: dict[str, torch.Tensor]
    targets: torch.Tensor
    indices: list[int]

    def to(self, device: torch.device) -> "Batch":
        """The batch on ``device`` (non-blocking copies from pinned memory on CUDA)."""
        move = lambda t: t.to(device, non_blocking=True)  # noqa: E731
        return Batch(map_tensors(self.sources, move), map_tensors(self.source_lengths, move), move(self.targets),
                     self.indices)

    def pin_memory(self) -> "Batch":
        """The batch in page-locked memory (called by the DataLoader when ``pin_memory`` is on)."""
        pin = lambda t: t.pin_memory()  # noqa: E731
        return Batch(map_tensors(self.sources, pin), map_tensors(self.source_lengths, pin), pin(self.targets),
                     self.indices)

    @property
    def targets_in(self) -> torch.Tensor:
        """(B, T) decoder inputs: BOS … last token."""
        return self.targets[:, :-1]

    @property
    def targets_out(self) -> torch.Tensor:
        """(B, T) what each decoder step must predict: first token … EOS."""
        return self.targets[:, 1:]


class ExampleTensors(TorchDataset):
    """Index → (index, per-stream source tensors, target ids) through the pipelines."""

    def __init__(self, examples: list[Example], streams: SourceStreams, target: TargetField, *, train: bool) -> None:
        self.examples, self.streams, self.target, self.train = examples, streams, target, train

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> tuple[int, dict[str, torch.Tensor | None], list[int]]:
        example = self.examples[index]
        return index, self.streams.load(example, train=self.train), self.target.encode(example.target)


def pad_ids(sequences: list[list[int]]) -> torch.Tensor:
    """Id lists → (B, T_max) long tensor padded with PAD."""
    out = torch.full((len(sequences), max(len(s) for s in sequences)), PAD_ID, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out


class EpochBatches:
    """The batch sampler of a training loader that lives across epochs: it yields whatever index
    batches were set last (the epoch's remaining batches), so worker processes, and the
    per-worker state of the source pipelines (feature caches), survive from one epoch to the next."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def make_loader(
    tensors: ExampleTensors, batches: list[list[int]] | EpochBatches, *, num_workers: int, pin_memory: bool,
    seed: int = 0,
) -> DataLoader:
    """A loader that yields :class:`Batch` objects for the given index batches, in order.

    Worker processes (``num_workers`` > 0) are kept between iterations and seeded from ``seed``
    (each worker's torch, Python and NumPy generators), so augmentation in workers is
    reproducible and differs from epoch to epoch.
    """

    def collate(items: list[tuple[int, dict[str, torch.Tensor | None], list[int]]]) -> Batch:
        indices = [i for i, _, _ in items]
        sources, lengths = tensors.streams.collate([s for _, s, _ in items])
        return Batch(sources, lengths, pad_ids([t for _, _, t in items]), indices)

    # A private generator: creating an iterator must not draw from the global RNG (exact resume).
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(tensors, batch_sampler=batches, collate_fn=collate, num_workers=num_workers,
                      pin_memory=pin_memory, generator=generator, persistent_workers=num_workers > 0)
