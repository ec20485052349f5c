"""A small, bounded evaluator of Python expressions over Python's ``ast`` — never ``eval``/``exec``.

Allowed: literals (int, float, bool, None, short strings, lists, tuples); arithmetic ``+ - * / //
% **`` and unary ``- + not``; comparisons (``== != < <= > >= in not in``); ``and``/``or``;
conditional expressions; indexing and slicing of sequences by integers; list comprehensions and
generator expressions over sequences, with ``if`` filters and their own variable scope; calls of
the built-ins of :data:`~multis2s_text.program_check.BUILTINS` by name (``sorted`` takes
``reverse=``; no ``*args`` or other keywords).

Everything else — any other name, attribute access, other calls (``__import__``), lambdas,
f-strings, sets, dicts, walrus, starred arguments, bit operations — is refused by a static check
*before anything runs* (:mod:`multis2s_text.program_check`), with :class:`InvalidProgram` and a
reason. The run itself is bounded (:class:`Limits`): nodes evaluated, wall time, integer size,
power size (checked before computing, so ``9 ** 9 ** 9`` is refused at once), sequence length and
the total elements of a value (checked before allocating, so ``[0] * 10 ** 8`` and
``range(10 ** 8)`` are refused), string length, AST size and depth, source length. Runtime
failures (``1 / 0``, ``max([])``) are ``InvalidProgram`` too.

Run ``python -m multis2s_text.safe_eval PROGRAM …`` to see each program's value or refusal.
"""

from __future__ import annotations

import ast
import math
import sys
import time
from typing import Any, Callable

from multis2s_text.program_check import COMPARE, NUMBER, InvalidProgram, Limits, check_program

_SEQUENCE = (list, tuple)


def safe_eval(source: str, limits: Limits = Limits()) -> Any:
    """The value of expression ``source``, or :class:`InvalidProgram` (see the module docstring)."""
    tree = check_program(source, limits)
    return _Evaluator(limits).run(tree)


class _Evaluator:
    """Walks a checked tree; counts steps, watches the clock and the size of every value it makes."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.steps = limits, 0
        self.deadline = time.monotonic() + limits.max_seconds
        self._weights: dict[int, tuple[Any, int]] = {}    # id → (value kept alive, elements inside)

    def run(self, tree: ast.Expression) -> Any:
        try:
            return self.eval(tree.body, {})
        except InvalidProgram:
            raise
        except (ArithmeticError, TypeError, ValueError, IndexError, RecursionError, MemoryError) as exc:
            raise InvalidProgram(f"failed: {type(exc).__name__}: {exc}") from None

    # --- budgets -------------------------------------------------------------------------------
    def charge(self, steps: int) -> None:
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise InvalidProgram(f"more than {self.limits.max_steps} evaluation steps")
        if time.monotonic() > self.deadline:
            raise InvalidProgram(f"ran longer than {self.limits.max_seconds} s")

    def weight(self, value: Any) -> int:
        """Elements inside ``value`` (1 for a scalar; strings by length), cached per sequence made."""
        if isinstance(value, str):
            return 1 + len(value) // 16
        if not isinstance(value, _SEQUENCE):
            return 1
        known = self._weights.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        return self.sequence(value)[1]

    def sequence(self, value: list | tuple) -> tuple[list | tuple, int]:
        """Checks a sequence just made (length, total elements) and remembers its weight."""
        if len(value) > self.limits.max_sequence:
            raise InvalidProgram(f"sequence of {len(value)} elements (limit {self.limits.max_sequence})")
        total = 1
        for item in value:
            total += self.weight(item)
            if total > self.limits.max_elements:
                raise InvalidProgram(f"value of more than {self.limits.max_elements} elements")
        self._weights[id(value)] = (value, total)
        return value, total

    def made(self, value: Any) -> Any:
        """Every value the evaluator makes passes here: its type and size are checked."""
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            if value.bit_length() > self.limits.max_int_bits:
                raise InvalidProgram(f"integer of more than {self.limits.max_int_bits} bits")
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, str):
            if len(value) > self.limits.max_string_chars:
                raise InvalidProgram(f"string of {len(value)} characters (limit {self.limits.max_string_chars})")
            return value
        if isinstance(value, _SEQUENCE):
            return self.sequence(value)[0]
        raise InvalidProgram(f"a value of type {type(value).__name__} is not allowed")

    def expect_size(self, length: int, each: int = 1) -> None:
        """Refuses a sequence of ``length`` elements of weight ``each`` before it is allocated."""
        if length > self.limits.max_sequence:
            raise InvalidProgram(f"sequence of {length} elements (limit {self.limits.max_sequence})")
        if length * each > self.limits.max_elements:
            raise InvalidProgram(f"value of more than {self.limits.max_elements} elements")
        self.charge(max(length, 0))

    # --- nodes ---------------------------------------------------------------------------------
    def eval(self, node: ast.AST, scope: dict[str, Any]) -> Any:
        self.charge(1)
        method: Callable[[Any, dict[str, Any]], Any] = getattr(self, f"eval_{type(node).__name__}")
        return method(node, scope)

    def eval_Constant(self, node: ast.Constant, scope: dict[str, Any]) -> Any:
        return self.made(node.value)

    def eval_Name(self, node: ast.Name, scope: dict[str, Any]) -> Any:
        return scope[node.id]

    def eval_List(self, node: ast.List, scope: dict[str, Any]) -> list:
        return self.made([self.eval(e, scope) for e in node.elts])

    def eval_Tuple(self, node: ast.Tuple, scope: dict[str, Any]) -> tuple:
        return self.made(tuple(self.eval(e, scope) for e in node.elts))

    def eval_UnaryOp(self, node: ast.UnaryOp, scope: dict[str, Any]) -> Any:
        operand = self.eval(node.operand, scope)
        if isinstance(node.op, ast.Not):
            return not operand
        _numbers(operand)
        return self.made(-operand if isinstance(node.op, ast.USub) else +operand)

    def eval_BoolOp(self, node: ast.BoolOp, scope: dict[str, Any]) -> Any:
        value = None
        for operand in node.values:
            value = self.eval(operand, scope)
            if bool(value) is isinstance(node.op, ast.Or):
                return value
        return value

    def eval_IfExp(self, node: ast.IfExp, scope: dict[str, Any]) -> Any:
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def eval_Compare(self, node: ast.Compare, scope: dict[str, Any]) -> bool:
        left = self.eval(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node, scope)
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, str) != isinstance(left, str):
                raise InvalidProgram("'in' mixes a string and a non-string")
            self.charge(min(self.weight(left), self.weight(right)) + (self.weight(right) if
                        isinstance(op, (ast.In, ast.NotIn)) else 0))
            if not COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def eval_BinOp(self, node: ast.BinOp, scope: dict[str, Any]) -> Any:
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        op = node.op
        if isinstance(op, ast.Add) and isinstance(left, _SEQUENCE + (str,)) and type(left) is type(right):
            self.expect_size(0 if isinstance(left, str) else len(left) + len(right))
            if isinstance(left, str) and len(left) + len(right) > self.limits.max_string_chars:
                raise InvalidProgram(f"string longer than {self.limits.max_string_chars} characters")
            return self.made(left + right)
        if isinstance(op, ast.Mult) and (isinstance(left, _SEQUENCE + (str,)) or
                                         isinstance(right, _SEQUENCE + (str,))):
            return self.repeat(left, right)
        _numbers(left, right)
        if isinstance(op, ast.Pow):
            self.check_power(left, right)
            result = left ** right
            if isinstance(result, complex):
                raise InvalidProgram("a complex result is not allowed")
            return self.made(result)
        if isinstance(op, ast.Mult) and isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > self.limits.max_int_bits + 1:
            raise InvalidProgram(f"integer of more than {self.limits.max_int_bits} bits")
        operations = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
                      ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}
        return self.made(operations[type(op)](left, right))

    def repeat(self, left: Any, right: Any) -> Any:
        sequence, count = (left, right) if isinstance(left, _SEQUENCE + (str,)) else (right, left)
        if not isinstance(count, int) or isinstance(count, bool):
            raise InvalidProgram("a sequence is repeated by an integer only")
        if isinstance(sequence, str):
            if len(sequence) * max(count, 0) > self.limits.max_string_chars:
                raise InvalidProgram(f"string longer than {self.limits.max_string_chars} characters")
            return self.made(sequence * count)
        self.expect_size(len(sequence) * max(count, 0), max(1, self.weight(sequence) // max(1, len(sequence))))
        return self.made(sequence * count)

    def check_power(self, base: Any, exponent: Any) -> None:
        """Refuses ``base ** exponent`` before computing it when it could be over the limits."""
        if abs(exponent) > self.limits.max_exponent:
            raise InvalidProgram(f"exponent {exponent} is over {self.limits.max_exponent}")
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and \
                max(base.bit_length() - 1, 0) * exponent > self.limits.max_int_bits:
            raise InvalidProgram(f"power with more than {self.limits.max_int_bits} bits")

    def eval_Subscript(self, node: ast.Subscript, scope: dict[str, Any]) -> Any:
        value = self.eval(node.value, scope)
        if not isinstance(value, _SEQUENCE + (str,)):
            raise InvalidProgram(f"only lists, tuples and strings are indexed, not {type(value).__name__}")
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else self.eval(p, scope) for p in (node.slice.lower, node.slice.upper,
                                                                           node.slice.step)]
            if any(p is not None and (not isinstance(p, int) or isinstance(p, bool)) for p in parts):
                raise InvalidProgram("slice bounds are integers")
            self.charge(len(value))
            return self.made(value[slice(*parts)])
        index = self.eval(node.slice, scope)
        if not isinstance(index, int) or isinstance(index, bool):
            raise InvalidProgram("an index is an integer")
        return value[index]

    def eval_ListComp(self, node: ast.ListComp | ast.GeneratorExp, scope: dict[str, Any]) -> list:
        results: list[Any] = []
        self._comprehend(node, 0, dict(scope), results)
        return self.made(results)

    eval_GeneratorExp = eval_ListComp

    def _comprehend(self, node: ast.ListComp | ast.GeneratorExp, level: int, scope: dict[str, Any],
                    results: list[Any]) -> None:
        generator = node.generators[level]
        iterable = self.eval(generator.iter, scope)
        if not isinstance(iterable, _SEQUENCE + (str,)):
            raise InvalidProgram(f"a comprehension runs over a list, tuple or string, not {type(iterable).__name__}")
        for item in iterable:
            scope[generator.target.id] = item       # the comprehension's own scope (a copy of the outer)
            if all(self.eval(condition, scope) for condition in generator.ifs):
                if level + 1 < len(node.generators):
                    self._comprehend(node, level + 1, scope, results)
                else:
                    results.append(self.eval(node.elt, scope))
                    if len(results) > self.limits.max_sequence:
                        raise InvalidProgram(f"sequence of more than {self.limits.max_sequence} elements")

    def eval_Call(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        name = node.func.id                                        # checked: a name in BUILTINS
        args = [self.eval(a, scope) for a in node.args]
        keywords = {k.arg: self.eval(k.value, scope) for k in node.keywords}
        for argument in args:
            self.charge(self.weight(argument))
        return self.made(getattr(self, f"call_{name}")(*args, **keywords))

    # --- built-ins -----------------------------------------------------------------------------
    def call_abs(self, x: Any) -> Any:
        return abs(_numbers(x))

    def call_all(self, xs: Any) -> bool:
        return all(_sequence(xs))

    def call_any(self, xs: Any) -> bool:
        return any(_sequence(xs))

    def call_float(self, x: Any = 0.0) -> float:
        return float(_numbers(x))

    def call_int(self, x: Any = 0) -> int:
        if isinstance(_numbers(x), float) and not math.isfinite(x):
            raise InvalidProgram("int() of an infinite or NaN float")
        return int(x)

    def call_len(self, xs: Any) -> int:
        if not isinstance(xs, _SEQUENCE + (str,)):
            raise InvalidProgram(f"len() of {type(xs).__name__}")
        return len(xs)

    def call_list(self, xs: Any = ()) -> list:
        return list(_sequence(xs, strings=True))

    def call_tuple(self, xs: Any = ()) -> tuple:
        return tuple(_sequence(xs, strings=True))

    def call_max(self, *args: Any) -> Any:
        return max(self._extremum_arguments("max", args))

    def call_min(self, *args: Any) -> Any:
        return min(self._extremum_arguments("min", args))

    def _extremum_arguments(self, name: str, args: tuple) -> Any:
        if not args:
            raise InvalidProgram(f"{name}() needs an argument")
        items = _sequence(args[0], strings=True) if len(args) == 1 else args
        self.charge(sum(self.weight(i) for i in items))
        return items

    def call_range(self, *args: Any) -> list:
        if not 1 <= len(args) <= 3 or any(not isinstance(a, int) or isinstance(a, bool) for a in args):
            raise InvalidProgram("range() takes one to three integers")
        numbers = range(*args)                    # lazy: its length is known before anything is made
        self.expect_size(len(numbers))
        return list(numbers)

    def call_reversed(self, xs: Any) -> list:
        return list(reversed(_sequence(xs, strings=True)))

    def call_round(self, x: Any, digits: Any = None) -> Any:
        if digits is not None and (not isinstance(digits, int) or abs(digits) > 20):
            raise InvalidProgram("round() takes at most 20 digits")
        return round(_numbers(x), digits)

    def call_sorted(self, xs: Any, reverse: Any = False) -> list:
        items = _sequence(xs, strings=True)
        self.charge(sum(self.weight(i) for i in items) * max(1, math.ceil(math.log2(len(items) + 1))))
        return sorted(items, reverse=bool(reverse))

    def call_sum(self, xs: Any, start: Any = 0) -> Any:
        items = _sequence(xs)
        _numbers(start, *items)
        total = start
        for item in items:
            total = self.made(total + item)
        return total


def _numbers(*values: Any) -> Any:
    for value in values:
        if not isinstance(value, NUMBER):
            raise InvalidProgram(f"expected a number, found {type(value).__name__}")
    return values[0] if values else None


def _sequence(value: Any, *, strings: bool = False) -> list | tuple | str:
    if isinstance(value, _SEQUENCE) or (strings and isinstance(value, str)):
        return value
    raise InvalidProgram(f"expected a list or tuple, found {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    """``python -m multis2s_text.safe_eval PROGRAM …``: one line per program, its value or why refused."""
    programs = sys.argv[1:] if argv is None else argv
    for program in programs:
        try:
            print(f"{program!r} = {safe_eval(program)!r}")
        except InvalidProgram as exc:
            print(f"{program!r}: invalid: {exc.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
