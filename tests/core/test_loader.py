"""Training loaders: workers live across epochs (pipeline state such as feature caches survives) and are
seeded; an example that fails to load is skipped and counted with skip-bad, else one error line."""

from __future__ import annotations

import pytest
import torch

from multis2s.data.example import Example
from multis2s.data.loader import EpochBatches, ExampleTensors, make_loader
from multis2s.errors import DataError


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


class FailingStreams(CountingStreams):
    """Loads fail (a DataError, as a source pipeline raises) for the examples whose source is "bad"."""

    def load(self, example: Example, *, train: bool) -> dict[str, torch.Tensor]:
        if example.source == "bad":
            raise DataError(f"{example.origin}: bad.wav: cannot read audio file (truncated)")
        return super().load(example, train=train)


def failing_tensors(skip_bad: bool) -> ExampleTensors:
    examples = [Example("good", "t", "m:1"), Example("bad", "t", "m:2"), Example("bad", "t", "m:3")]
    return ExampleTensors(examples, FailingStreams(), FixedTarget(), train=True, skip_bad=skip_bad)


@pytest.mark.parametrize("workers", [0, 1])
def test_with_skip_bad_an_example_that_fails_to_load_is_left_out_and_counted(workers):
    loader = make_loader(failing_tensors(skip_bad=True), [[0, 1], [1, 2]], num_workers=workers, pin_memory=False)
    mixed, all_bad = list(loader)
    assert (mixed.indices, mixed.skipped, mixed.empty) == ([0], 1, False)
    assert mixed.sources["source"].shape == (1, 2) and mixed.targets.shape == (1, 2)
    assert mixed.skip_reasons == ("m:2: bad.wav: cannot read audio file (truncated)",)
    assert (all_bad.indices, all_bad.skipped, all_bad.empty) == ([], 2, True)
    assert all_bad.sources == {} and all_bad.targets.shape == (0, 2)
    assert all_bad.to(torch.device("cpu")).skipped == 2


@pytest.mark.parametrize("workers", [0, 1])
def test_without_skip_bad_the_loader_raises_the_one_line_data_error(workers):
    loader = make_loader(failing_tensors(skip_bad=False), [[0], [0, 1]], num_workers=workers, pin_memory=False)
    batches = iter(loader)
    assert next(batches).indices == [0]
    with pytest.raises(DataError) as caught:
        next(batches)
    assert str(caught.value) == "m:2: bad.wav: cannot read audio file (truncated)"  # no worker traceback
