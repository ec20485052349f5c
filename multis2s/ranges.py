"""Allowed ranges of numeric options, declared where the option is declared.

A :class:`Range` goes in the option's annotation, in a config dataclass field or a component
factory's signature::

    hidden_dim: Annotated[int, Range(ge=1)] = 256
    dropout: Annotated[float, DROPOUT] = 0.1
    max_vocab: Annotated[int, Range(ge=1)] | None = None          # null is allowed besides
    betas: Annotated[tuple[float, float], Range(ge=0, lt=1)] = ...  # each value in [0, 1)

:func:`multis2s.options.coerce` checks it when the config is loaded and resolved, before anything
is built, and the error names the key and the range (``data.batch_size: must be >= 1, got 0``);
``multis2s plugins`` shows it beside the option's type (``int >= 1``).

Every option also follows two generic rules: a float must be finite (``.nan``, ``.inf``) and an int
must fit in 64 bits. A component option without a declared range gets one from its name when its
default (if any) satisfies it (:func:`implied_range`): ``dropout`` and ``*_dropout`` in [0, 1);
``dim``, ``*_dim``, ``*_length``, ``num_*``, ``heads``, ``layers``, ``beam``, ``vocabulary``, ``fps`` and
``sample_rate`` at least 1; ``*_size`` and ``*_count`` at least 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

INT64 = 2 ** 63
"""Ints must lie in [-INT64, INT64): what a tensor size or a seed can hold."""


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


@dataclass(frozen=True)
class Range:
    """Numbers ``ge`` <= (or ``gt`` <) value <= (or < ``lt``) ``le``; a bound left None is open."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def __post_init__(self) -> None:
        if (self.ge is not None and self.gt is not None) or (self.le is not None and self.lt is not None):
            raise TypeError("a Range takes at most one lower bound (ge or gt) and one upper bound (le or lt)")

    def __contains__(self, value: float) -> bool:
        return not ((self.ge is not None and value < self.ge) or (self.gt is not None and value <= self.gt)
                    or (self.le is not None and value > self.le) or (self.lt is not None and value >= self.lt))

    def __str__(self) -> str:
        """``>= 1``, ``> 0``, ``<= 5`` or ``in [0, 1)``."""
        low = ("[", self.ge) if self.ge is not None else ("(", self.gt) if self.gt is not None else None
        high = ("]", self.le) if self.le is not None else (")", self.lt) if self.lt is not None else None
        if low and high:
            return f"in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
        if low:
            return f"{'>=' if low[0] == '[' else '>'} {_number(low[1])}"
        if high:
            return f"{'<=' if high[0] == ']' else '<'} {_number(high[1])}"
        return "any number"


DROPOUT = Range(ge=0, lt=1)
"""A dropout probability: 1 would drop everything."""
PROBABILITY = Range(ge=0, le=1)


def is_number(value: Any) -> bool:
    """An int or a float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def generic_problem(value: Any) -> str | None:
    """What a number breaks of the generic rules (finite floats, 64-bit ints), as the words after
    "must be", or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "a finite number"
    if is_number(value) and isinstance(value, int) and not -INT64 <= value < INT64:
        return "a 64-bit integer (-2**63 to 2**63 - 1)"
    return None


SIZE_NAMES = frozenset({"dim", "heads", "layers", "beam", "vocabulary", "fps", "sample_rate"})
"""Integer options that count something there must be at least one of (besides ``*_dim``,
``*_length``, ``num_*``)."""
COUNT_SUFFIXES = ("_size", "_count")
"""Integer options that count something there may be none of (``dev_size: 0``)."""


def implied_range(name: str, base: Any, default: Any) -> Range | None:
    """The range a component option gets from its name (see the module docstring), or None.

    ``base`` is the option's type without ``Annotated`` or ``None``; the rule applies only when the
    declared ``default`` (``inspect.Parameter.empty`` for none) satisfies it.
    """
    implied = None
    if base is float and (name == "dropout" or name.endswith("_dropout")):
        implied = DROPOUT
    elif base is int and (name in SIZE_NAMES or name.endswith(("_dim", "_length")) or name.startswith("num_")):
        implied = Range(ge=1)
    elif base is int and name.endswith(COUNT_SUFFIXES):
        implied = Range(ge=0)
    if implied is not None and is_number(default) and default not in implied:
        return None
    return implied
