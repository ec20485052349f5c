"""What the generated dialogue, report and register corpora hold out of training.

Each corpus fills templates with names and numbers. :func:`split_pools` draws, by seed, two
disjoint pools of each — one for training, one for dev and test — so every name and number of a
held-out example is one training never saw. :func:`held_out_template` picks, by seed, one template
of each group of alternative phrasings as held out: training never uses it, dev and test use it
half of the time. :func:`assemble_splits` draws the examples and keeps every source in one split.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Callable

MIN_TEMPLATES_TO_HOLD_OUT = 3  # a group of templates this large has one held out of training
HELD_OUT_SHARE = 0.25         # of the names and numbers
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "br", "tr")
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "", "", "n", "l", "r", "s")
NUMBER_RANGE = (10, 999)


@dataclass(frozen=True)
class Pool:
    """The names, towns and numbers one side (training, or dev and test) draws from."""

    names: tuple[str, ...]
    towns: tuple[str, ...]
    numbers: tuple[int, ...]


def invented_words(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct capitalised words of two or three syllables ("Kelomar", "Brisa")."""
    syllables = [o + v for o, v in itertools.product(_ONSETS, _VOWELS)]
    words: set[str] = set()
    while len(words) < count:
        body = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3))))
        words.add((body + rng.choice(_CODAS)).capitalize())
    return sorted(words)


def split_pools(seed: int, *, names: int = 400, towns: int = 120) -> tuple[Pool, Pool]:
    """(training pool, held-out pool): disjoint names, towns and numbers, drawn by ``seed``."""
    rng = random.Random(f"pools-{seed}")
    words = invented_words(names + towns, rng)
    rng.shuffle(words)
    people, places = words[:names], words[names:]
    numbers = list(range(NUMBER_RANGE[0], NUMBER_RANGE[1] + 1))
    rng.shuffle(numbers)

    def cut(items: list) -> tuple[tuple, tuple]:
        held = round(len(items) * HELD_OUT_SHARE)
        return tuple(sorted(items[held:])), tuple(sorted(items[:held]))

    (train_names, held_names), (train_towns, held_towns), (train_numbers, held_numbers) = map(
        cut, (people, places, numbers))
    return Pool(train_names, train_towns, train_numbers), Pool(held_names, held_towns, held_numbers)


def held_out_template(group: str, count: int, seed: int) -> int | None:
    """The index of the one template of ``group`` (of ``count``) that never occurs in training,
    drawn by seed; None for a group of fewer than :data:`MIN_TEMPLATES_TO_HOLD_OUT`."""
    if count < MIN_TEMPLATES_TO_HOLD_OUT:
        return None
    return random.Random(f"template-{seed}-{group}").randrange(count)


def pick_template(rng: random.Random, group: str, templates: tuple[str, ...], seed: int, *, held_out: bool) -> str:
    """A template of ``group``: training never gets the held-out one; held-out examples get it
    half of the time, any other the rest."""
    hidden = held_out_template(group, len(templates), seed)
    if held_out and hidden is not None and rng.random() < 0.5:
        return templates[hidden]
    return rng.choice([t for i, t in enumerate(templates) if i != hidden])


Maker = Callable[[random.Random, Pool, bool], tuple[str, str]]
"""``make(rng, pool, held_out)`` → one (source, target) pair drawn from ``pool``."""


def assemble_splits(make: Maker, train_size: int, dev_size: int, test_size: int,
                    seed: int) -> dict[str, list[tuple[str, str]]]:
    """``{"train", "dev", "test"}`` → pairs; dev and test from the held-out pool; no source twice."""
    rng = random.Random(seed)
    train_pool, held_pool = split_pools(seed)
    sources: set[str] = set()
    splits: dict[str, list[tuple[str, str]]] = {}
    for name, size, pool in (("train", train_size, train_pool), ("dev", dev_size, held_pool),
                             ("test", test_size, held_pool)):
        pairs: list[tuple[str, str]] = []
        for _ in range(20 * size + 100):
            if len(pairs) >= size:
                break
            source, target = make(rng, pool, name != "train")
            if source not in sources:
                sources.add(source)
                pairs.append((source, target))
        if len(pairs) < size:
            raise ValueError(f"the grammar gave {len(pairs)} distinct {name} examples; asked for {size}")
        splits[name] = pairs
    return splits
