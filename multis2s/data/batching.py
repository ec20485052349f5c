"""Length-bucketed batches, sized by examples or by tokens, in a reproducible order per epoch."""

from __future__ import annotations

import random
from typing import Literal, Sequence


def bucketed_batches(
    lengths: Sequence[int],
    *,
    batch_size: int,
    unit: Literal["examples", "tokens"],
    seed: int,
    shuffle: bool = True,
    pool_batches: int = 50,
) -> list[list[int]]:
    """Index batches of similar length.

    Indices are shuffled (by ``seed``), cut into pools of about ``pool_batches`` batches, sorted
    by length inside each pool and cut into batches; the batch order is shuffled again. With
    ``unit="tokens"`` a batch holds as many examples as fit ``batch_size`` padded tokens
    (at least one). The same ``seed`` always gives the same batches, which is what lets
    ``--resume`` skip exactly the batches an interrupted epoch had consumed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    typical = batch_size if unit == "examples" else max(1, batch_size // max(1, _mean(lengths)))
    pool_size = max(1, typical * pool_batches)
    batches: list[list[int]] = []
    for start in range(0, len(order), pool_size):
        pool = sorted(order[start:start + pool_size], key=lambda i: lengths[i])
        batches.extend(_cut(pool, lengths, batch_size, unit))
    if shuffle:
        rng.shuffle(batches)
    return batches


def _mean(lengths: Sequence[int]) -> int:
    return int(sum(lengths) / len(lengths)) if lengths else 1


def _cut(pool: list[int], lengths: Sequence[int], batch_size: int, unit: str) -> list[list[int]]:
    if unit == "examples":
        return [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
    batches, current, longest = [], [], 0
    for index in pool:
        longest_if_added = max(longest, lengths[index])
        if current and longest_if_added * (len(current) + 1) > batch_size:
            batches.append(current)
            current, longest_if_added = [], lengths[index]
        current.append(index)
        longest = longest_if_added
    if current:
        batches.append(current)
    return batches
