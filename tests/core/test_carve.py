"""Dev and test splits carved out of a training split."""

from __future__ import annotations

import pytest

from multis2s.data.carve import carve
from multis2s.data.example import Example
from multis2s.errors import DataError


def examples() -> list[Example]:
    items = [Example(f"s{i}", f"t{i}", f"train:{i}") for i in range(20)]
    return items + [Example("s3", "t3 again", "train:21"), Example("s3", "t3 once more", "train:22")]


def test_carving_is_seeded_and_keeps_every_source_on_one_side():
    first = carve(examples(), dev=0.25, test=2, seed=7)
    assert first == carve(examples(), dev=0.25, test=2, seed=7)
    assert first != carve(examples(), dev=0.25, test=2, seed=8)
    assert len(first["dev"]) == 5 and len(first["test"]) == 2
    held = {e.source for e in first["dev"] + first["test"]}
    assert not held & {e.source for e in first["train"]}
    assert len(first["train"]) + sum(3 if e.source == "s3" else 1 for e in first["dev"] + first["test"]) == 22


def test_a_carved_source_with_several_targets_is_one_example_with_every_reference():
    for seed in range(20):
        carved = carve(examples(), dev=10, test=None, seed=seed)
        if any(e.source == "s3" for e in carved["dev"]):
            (s3,) = [e for e in carved["dev"] if e.source == "s3"]
            assert s3.all_references() == ["t3", "t3 again", "t3 once more"]
            return
    pytest.fail("s3 was never carved")


def test_carving_everything_is_an_error():
    with pytest.raises(DataError, match="leave none of the training split's 20 distinct sources"):
        carve(examples(), dev=15, test=6, seed=1)
