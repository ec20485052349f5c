"""Execution accuracy: run hypothesis and reference in :mod:`multis2s_text.safe_eval`, compare values."""

from __future__ import annotations

from typing import Any

from multis2s_text.safe_eval import InvalidProgram, Limits, safe_eval

_FAILED = object()


def values_equal(a: Any, b: Any) -> bool:
    """Python equality, except that a bool is not a number and a list is not a tuple."""
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def run_program(program: str, limits: Limits = Limits()) -> Any:
    """The program's value, or the ``_FAILED`` marker when it is invalid or fails (never raises)."""
    try:
        return safe_eval(program, limits)
    except InvalidProgram:
        return _FAILED
    except Exception:              # an evaluator bug must not stop an evaluation; the item is wrong
        return _FAILED


class ExecutionAccuracy:
    """Percentage of hypotheses whose value equals one reference's value (both run in ``safe_eval``).

    An invalid or failing hypothesis — not allowed, over a limit, a runtime error — counts as wrong
    and the evaluation goes on; so does an item none of whose references runs.
    """

    higher_is_better = True
    limits = Limits()

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        hits = 0
        for hypothesis, refs in zip(hypotheses, references):
            value = run_program(hypothesis, self.limits)
            if value is _FAILED:
                continue
            hits += any(values_equal(value, expected) for expected in (run_program(r, self.limits) for r in refs)
                        if expected is not _FAILED)
        return 100.0 * hits / max(1, len(hypotheses))
