"""Training loaders: workers live across epochs (pipeline state such as feature caches survives) and are seeded."""

from __future__ import annotations

import torch

from multis2s.data.example import Example
from multis2s.data.loader import EpochBatches, ExampleTensors, make_loader


class CountingStreams:
    """A source pipeline stand-in: each load returns how many loads this process's copy has made, and a random draw."""

    def __init__(self) -> None:
        self.loads = 0

    def load(self, example: Example, *, train: bool) -> dict[str, torch.Tensor]:
        self.loads += 1
        return {"source": torch.tensor([float(self.loads), float(torch.rand(()))])}

    def collate(self, items):
        lengths = torch.ones(len(items), dtype=torch.long)
        return {"source": torch.stack([i["source"] for i in items])}, {"source": lengths}


class FixedTarget:
    def encode(self, text: str) -> list[int]:
        return [1, 2]


def epochs(seed: int, count: int = 2) -> list[torch.Tensor]:
    """The loaded sources of ``count`` epochs through one loader with one worker."""
    tensors = ExampleTensors([Example(str(i), "t") for i in range(4)], CountingStreams(), FixedTarget(), train=True)
    batches = EpochBatches()
    loader = make_loader(tensors, batches, num_workers=1, pin_memory=False, seed=seed)
    seen = []
    for _ in range(count):
        batches.batches = [[0, 1], [2, 3]]
        seen.append(torch.cat([batch.sources["source"] for batch in loader]))  # (4, 2): loads, draws
    return seen


def test_workers_keep_their_state_from_one_epoch_to_the_next():
    first, second = epochs(seed=7)
    assert first[:, 0].tolist() == [1, 2, 3, 4]
    assert second[:, 0].tolist() == [5, 6, 7, 8]  # the same worker process, its pipeline state kept


def test_worker_randomness_follows_the_seed_and_differs_between_epochs():
    first, second = epochs(seed=7)
    again = epochs(seed=7, count=1)[0]
    other = epochs(seed=8, count=1)[0]
    assert torch.equal(first, again)
    assert not torch.equal(first[:, 1], second[:, 1])
    assert not torch.equal(first[:, 1], other[:, 1])
