"""Finite sets of grammar items that can be counted and sampled uniformly or by weight."""

import random
from collections.abc import Callable, Sequence
from typing import Any


class Space:
    """A finite set of grammar items that can be counted and sampled."""

    size: int

    def sample(self, rng: random.Random) -> Any:
        """Draw one item."""
        raise NotImplementedError


class Choice(Space):
    """A uniform choice among fixed options."""

    def __init__(self, options: Sequence[Any]) -> None:
        self.options = tuple(options)
        self.size = len(self.options)

    def sample(self, rng: random.Random) -> Any:
        return rng.choice(self.options)


class Product(Space):
    """Every combination of one item per part, assembled by ``build``."""

    def __init__(self, parts: Sequence[Space], build: Callable[..., Any]) -> None:
        self.parts = tuple(parts)
        self.build = build
        self.size = 1
        for part in self.parts:
            self.size *= part.size

    def sample(self, rng: random.Random) -> Any:
        return self.build(*(part.sample(rng) for part in self.parts))


class Union(Space):
    """Disjoint alternatives, drawn by weight (by default uniformly over all items)."""

    def __init__(self, parts: Sequence[Space], weights: Sequence[float] | None = None) -> None:
        weighted = zip(parts, weights or [part.size for part in parts], strict=True)
        kept = [(part, weight) for part, weight in weighted if part.size]
        self.parts = tuple(part for part, _ in kept)
        self.weights = tuple(weight for _, weight in kept)
        self.size = sum(part.size for part in self.parts)

    def sample(self, rng: random.Random) -> Any:
        return rng.choices(self.parts, weights=self.weights)[0].sample(rng)


def evenly(parts: Sequence[Space]) -> Union:
    """Draw each alternative equally often, whatever its size."""
    return Union(parts, [1] * len(parts))
