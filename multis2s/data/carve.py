"""Dev and test splits carved out of a training split, by a seeded fraction or count (``data.carve``).

Examples are grouped by source before carving, so every caption of an image (every translation of
a sentence) lands on the same side. A carved evaluation example holds its group's targets as its
references; the training side keeps one example per target.
"""

from __future__ import annotations

import random
from typing import Hashable, Mapping

from multis2s.data.example import Example
from multis2s.errors import DataError


def _key(example: Example) -> Hashable:
    source = example.source
    return tuple(sorted(source.items())) if isinstance(source, Mapping) else source


def _size(amount: int | float | None, total: int) -> int:
    """A count as it is; a fraction of ``total`` groups, at least one."""
    if amount is None:
        return 0
    return int(amount) if isinstance(amount, int) else max(1, round(amount * total))


def _merged(group: list[Example]) -> Example:
    """One evaluation example for a group of examples with the same source."""
    if len(group) == 1:
        return group[0]
    first = group[0]
    references = tuple(dict.fromkeys(r for e in group for r in e.all_references()))
    return Example(first.source, first.target, first.origin, dict(first.tags), references)


def carve(examples: list[Example], *, dev: int | float | None, test: int | float | None, seed: int
          ) -> dict[str, list[Example]]:
    """``{"train": …, "dev": …, "test": …}``: ``dev`` and ``test`` sources drawn by ``seed`` from
    ``examples``, the rest kept for training in their order."""
    groups: dict[Hashable, list[Example]] = {}
    for example in examples:
        groups.setdefault(_key(example), []).append(example)
    order = list(groups)
    random.Random(seed).shuffle(order)
    dev_size, test_size = _size(dev, len(order)), _size(test, len(order))
    if dev_size + test_size >= len(order):
        raise DataError(f"data.carve: {dev_size} dev + {test_size} test sources leave none of the training "
                        f"split's {len(order)} distinct sources for training")
    held = {"dev": order[:dev_size], "test": order[dev_size:dev_size + test_size]}
    taken = set(held["dev"]) | set(held["test"])
    carved = {name: [_merged(groups[key]) for key in keys] for name, keys in held.items()}
    carved["train"] = [e for e in examples if _key(e) not in taken]
    return carved
