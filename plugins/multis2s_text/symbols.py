"""Copy and reverse tasks over random symbol strings (the classic seq2seq sanity tasks)."""

from __future__ import annotations

import random


def check_symbol_options(*, task: str, min_length: int, max_length: int) -> None:
    """ValueError unless ``task`` is copy or reverse and 1 <= min_length <= max_length."""
    if task not in ("copy", "reverse"):
        raise ValueError(f"task {task!r} is not one of copy, reverse")
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length, got {min_length}, {max_length}")


def symbol_pairs(
    *, task: str, count: int, vocabulary: int, min_length: int, max_length: int, rng: random.Random
) -> list[tuple[str, str]]:
    """``count`` (source, target) pairs of space-separated symbols ``s0 … s{vocabulary-1}``.

    ``task`` is ``copy`` (target = source) or ``reverse`` (target = source reversed).
    """
    check_symbol_options(task=task, min_length=min_length, max_length=max_length)
    pairs = []
    for _ in range(count):
        symbols = [f"s{rng.randrange(vocabulary)}" for _ in range(rng.randint(min_length, max_length))]
        target = symbols if task == "copy" else symbols[::-1]
        pairs.append((" ".join(symbols), " ".join(target)))
    return pairs
