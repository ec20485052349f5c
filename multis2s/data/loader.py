"""Examples → batches of padded tensors, through each stream's source pipeline.

An example whose source fails to load (a DataError: a file that became unreadable, or over a
limit found only when it is decoded) is dropped from its batch and counted in ``Batch.skipped``
when bad items are skipped (``data.skip_bad``); otherwise the loader raises that DataError, in the
main process, as the one line it was (a worker's error would otherwise carry its traceback).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from multis2s.data.copy_source import CopyTokens, collate_copy_ids, copy_tokens
from multis2s.data.example import Example
from multis2s.data.streams import SourceStreams
from multis2s.data.target import TargetField
from multis2s.data.vocabulary import PAD_ID
from multis2s.errors import DataError
from multis2s.model.copy import COPY_SOURCE
from multis2s.model.encoder import map_tensors


@dataclass
class Batch:
    """sources: stream → (B, S_i, …); source_lengths: stream → (B,), 0 where a row lacks the stream;
    targets (B, T+1) with BOS … EOS and PAD; indices (B,) of the examples.

    With copying (``model.copy``), sources also hold the copy stream's extended source ids (B, S)
    under :data:`~multis2s.model.copy.COPY_SOURCE`, targets may hold extended ids, and oovs gives
    each row's source words outside the target vocabulary (the words of ids V, V+1, …); else
    oovs is empty.

    skipped: how many examples of the index batch failed to load and were left out (only with
    skip-bad on), and skip_reasons their DataError lines. When every one failed the batch is
    :attr:`empty`: B = 0, no sources, targets of shape (0, 2); skip it.
    """

    sources: dict[str, torch.Tensor]
    source_lengths: dict[str, torch.Tensor]
    targets: torch.Tensor
    indices: list[int]
    skipped: int = 0
    skip_reasons: tuple[str, ...] = field(default=(), repr=False)
    oovs: tuple[tuple[str, ...], ...] = ()

    @property
    def empty(self) -> bool:
        """True when no example of the batch could be loaded (B = 0)."""
        return not self.indices

    def _map(self, apply) -> "Batch":
        return Batch(map_tensors(self.sources, apply), map_tensors(self.source_lengths, apply), apply(self.targets),
                     self.indices, self.skipped, self.skip_reasons, self.oovs)

    def to(self, device: torch.device) -> "Batch":
        """The batch on ``device`` (non-blocking copies from pinned memory on CUDA)."""
        return self._map(lambda t: t.to(device, non_blocking=True))

    def pin_memory(self) -> "Batch":
        """The batch in page-locked memory (called by the DataLoader when ``pin_memory`` is on)."""
        return self._map(lambda t: t.pin_memory())

    @property
    def targets_in(self) -> torch.Tensor:
        """(B, T) decoder inputs: BOS … last token."""
        return self.targets[:, :-1]

    @property
    def targets_out(self) -> torch.Tensor:
        """(B, T) what each decoder step must predict: first token … EOS."""
        return self.targets[:, 1:]


@dataclass(frozen=True)
class Unloadable:
    """An example whose source failed to load: its index and the DataError's line."""

    index: int
    reason: str


Loaded = tuple[int, dict[str, torch.Tensor | None], list[int], CopyTokens | None]
"""(index, per-stream source tensors, target ids, the copy stream's extended ids with copying)."""


def example_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of example ``index`` in ``epoch`` of a run seeded ``seed`` (63 bits)."""
    digest = hashlib.blake2b(f"{seed}:{epoch}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


class ExampleTensors(TorchDataset):
    """Index → (index, per-stream source tensors, target ids, copy tokens) through the pipelines, or
    an :class:`Unloadable` when loading raised a DataError; ``skip_bad``: the loader then leaves the
    example out of its batch and counts it, instead of raising the error. With the target's
    ``copy_stream`` set, the target ids are extended by the example's source OOVs.

    An index may come as ``(epoch, index)`` (:class:`EpochBatches` with an epoch): with a ``seed``,
    when a pipeline takes one (``streams.seeded``), the pipelines get :func:`example_seed` for it.
    """

    def __init__(self, examples: list[Example], streams: SourceStreams, target: TargetField, *, train: bool,
                 skip_bad: bool = False, seed: int | None = None) -> None:
        self.examples, self.streams, self.target, self.train = examples, streams, target, train
        self.skip_bad, self.seed = skip_bad, seed
        self.copy_stream: str | None = getattr(target, "copy_stream", None)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, key: int | tuple[int, int]) -> Loaded | Unloadable:
        epoch, index = key if isinstance(key, tuple) else (None, key)
        seeded = epoch is not None and self.seed is not None and getattr(self.streams, "seeded", False)
        seed = example_seed(self.seed, epoch, index) if seeded else None
        example = self.examples[index]
        try:
            sources = (self.streams.load(example, train=self.train) if seed is None
                       else self.streams.load(example, train=self.train, seed=seed))
            if self.copy_stream is None:
                return index, sources, self.target.encode(example.target), None
            copied = copy_tokens(self.streams, self.copy_stream, example, self.target.vocabulary)
            return index, sources, self.target.encode(example.target, copied.oovs if copied else ()), copied
        except DataError as error:
            return Unloadable(index, str(error))


def pad_ids(sequences: list[list[int]]) -> torch.Tensor:
    """Id lists → (B, T_max) long tensor padded with PAD ((0, 2) when there are none)."""
    if not sequences:
        return torch.full((0, 2), PAD_ID, dtype=torch.long)
    width = max(len(s) for s in sequences)
    return torch.tensor([s + [PAD_ID] * (width - len(s)) for s in sequences], dtype=torch.long)


class EpochBatches:
    """The batch sampler of a training loader that lives across epochs: it yields whatever index
    batches were set last (the epoch's remaining batches), so worker processes, and the
    per-worker state of the source pipelines (feature caches), survive from one epoch to the next.
    With ``epoch`` set, each index goes out as ``(epoch, index)``, the key of its augmentation seed."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.epoch: int | None = None

    def __iter__(self):
        if self.epoch is None:
            return iter(self.batches)
        return iter([[(self.epoch, index) for index in batch] for batch in self.batches])

    def __len__(self) -> int:
        return len(self.batches)


@dataclass(frozen=True)
class _Failed:
    """What the collate hands the main process when an example failed and bad items are not skipped."""

    reason: str


class BatchLoader(DataLoader):
    """A DataLoader of :class:`Batch` objects that raises a failed example's DataError as its one line."""

    def __iter__(self):
        for batch in super().__iter__():
            if isinstance(batch, _Failed):
                raise DataError(batch.reason)
            yield batch


def make_loader(
    tensors: ExampleTensors, batches: list[list[int]] | EpochBatches, *, num_workers: int, pin_memory: bool,
    seed: int = 0,
) -> BatchLoader:
    """A loader that yields :class:`Batch` objects for the given index batches, in order.

    Worker processes (``num_workers`` > 0) are kept between iterations and seeded from ``seed``
    (each worker's torch, Python and NumPy generators), so augmentation in workers is
    reproducible and differs from epoch to epoch (a pipeline that takes each example's seed, see
    :class:`ExampleTensors`, draws from that instead, whatever the workers). Examples that fail to load are left out and
    counted with ``tensors.skip_bad``, else raised (see the module's notes).
    """

    def collate(items: list[Loaded | Unloadable]) -> Batch | _Failed:
        failed = [item.reason for item in items if isinstance(item, Unloadable)]
        if failed and not tensors.skip_bad:
            return _Failed(failed[0])
        loaded = [item for item in items if not isinstance(item, Unloadable)]
        sources, lengths = tensors.streams.collate([s for _, s, _, _ in loaded]) if loaded else ({}, {})
        oovs: tuple[tuple[str, ...], ...] = ()
        if tensors.copy_stream is not None and loaded:
            copied = [c for _, _, _, c in loaded]
            width = sources[tensors.copy_stream].size(1) if tensors.copy_stream in sources else 1
            sources[COPY_SOURCE] = collate_copy_ids(copied, width)
            oovs = tuple(c.oovs if c else () for c in copied)
        return Batch(sources, lengths, pad_ids([t for _, _, t, _ in loaded]), [i for i, _, _, _ in loaded],
                     len(failed), tuple(failed), oovs)

    # A private generator: creating an iterator must not draw from the global RNG (exact resume).
    generator = torch.Generator()
    generator.manual_seed(seed)
    return BatchLoader(tensors, batch_sampler=batches, collate_fn=collate, num_workers=num_workers,
                       pin_memory=pin_memory, generator=generator, persistent_workers=num_workers > 0)
