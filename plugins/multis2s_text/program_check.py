"""The static check of :mod:`multis2s_text.safe_eval`: which programs may run at all, decided before any runs.

A program is parsed with ``ast`` and every node is checked: allowed node kinds only, names bound
by comprehensions only, calls of :data:`BUILTINS` by name with their allowed keywords, and the
size limits of :class:`Limits` on source, nodes, nesting and string constants. A refusal is an
:class:`InvalidProgram` naming the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


class InvalidProgram(ValueError):
    """A program refused (not allowed, over a limit) or failed; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """Bounds on one evaluation (defaults in brackets)."""

    max_source_chars: int = 2_000     # program text [2,000]
    max_nodes: int = 400              # AST nodes [400]
    max_depth: int = 40               # AST nesting [40]
    max_steps: int = 100_000          # nodes evaluated plus elements touched by built-ins [100,000]
    max_seconds: float = 1.0          # wall time [1 s]
    max_int_bits: int = 1_024         # |integer| < 2**1024 [≈ 1e308]
    max_exponent: int = 1_024         # |b| in a ** b [1,024]
    max_sequence: int = 10_000        # elements of one list, tuple or range [10,000]
    max_elements: int = 100_000       # elements of one value, nested lists counted [100,000]
    max_string_chars: int = 1_000     # one string [1,000]


NUMBER = (int, float)          # bool is an int
COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
ALLOWED_NODES = (ast.Expression, ast.Constant, ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp, ast.BoolOp,
                  ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Store, ast.ListComp,
                  ast.GeneratorExp, ast.comprehension, ast.Subscript, ast.Slice, ast.keyword, ast.And, ast.Or,
                  ast.Not, ast.USub, ast.UAdd, *ARITHMETIC, *COMPARE)
# Built-ins by name → the keyword arguments each accepts.
BUILTINS: dict[str, tuple[str, ...]] = {
    "abs": (), "all": (), "any": (), "float": (), "int": (), "len": (), "list": (), "max": (), "min": (),
    "range": (), "reversed": (), "round": (), "sorted": ("reverse",), "sum": (), "tuple": (),
}


def check_program(source: str, limits: Limits = Limits()) -> ast.Expression:
    """The parsed program, or :class:`InvalidProgram` before anything of it runs."""
    if not isinstance(source, str):
        raise InvalidProgram(f"a program is text, not {type(source).__name__}")
    if len(source) > limits.max_source_chars:
        raise InvalidProgram(f"program of {len(source)} characters (limit {limits.max_source_chars})")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise InvalidProgram(f"not a Python expression: {type(exc).__name__}: {exc}") from None
    _Checker(limits).visit_tree(tree)
    return tree


class _Checker:
    """The static check: node kinds, names bound by comprehensions only, calls of built-ins by name."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.nodes = limits, 0

    def visit_tree(self, tree: ast.Expression) -> None:
        self.visit(tree, depth=0, bound=frozenset())

    def visit(self, node: ast.AST, *, depth: int, bound: frozenset[str]) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise InvalidProgram(f"program of more than {self.limits.max_nodes} syntax nodes")
        if depth > self.limits.max_depth:
            raise InvalidProgram(f"program nested deeper than {self.limits.max_depth}")
        if not isinstance(node, ALLOWED_NODES):
            raise InvalidProgram(f"{_describe(node)} is not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (*NUMBER, str, type(None))):
            raise InvalidProgram(f"constant of type {type(node.value).__name__} is not allowed")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                len(node.value) > self.limits.max_string_chars:
            raise InvalidProgram(f"string of {len(node.value)} characters (limit {self.limits.max_string_chars})")
        if isinstance(node, ast.Name) and node.id not in bound:
            raise InvalidProgram(f"name {node.id!r} is not allowed (only comprehension variables)")
        if isinstance(node, ast.Call):
            self._check_call(node)
            for argument in node.args:
                self.visit(argument, depth=depth + 1, bound=bound)
            for keyword in node.keywords:
                self.visit(keyword.value, depth=depth + 1, bound=bound)
            return
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            self._visit_comprehension(node, depth=depth, bound=bound)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, depth=depth + 1, bound=bound)

    def _check_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise InvalidProgram(f"call of {_describe(node.func)} is not allowed (only built-ins by name)")
        name = node.func.id
        if name not in BUILTINS:
            raise InvalidProgram(f"call of {name!r} is not allowed; allowed: {', '.join(BUILTINS)}")
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise InvalidProgram("starred arguments are not allowed")
        for keyword in node.keywords:
            if keyword.arg not in BUILTINS[name]:
                raise InvalidProgram(f"{name}() takes no keyword {keyword.arg or '**'!r}")

    def _visit_comprehension(self, node: ast.ListComp | ast.GeneratorExp, *, depth: int,
                             bound: frozenset[str]) -> None:
        if len(node.generators) > 2:
            raise InvalidProgram("a comprehension has at most two 'for' clauses")
        inner = bound
        for generator in node.generators:
            self.nodes += 1
            if generator.is_async:
                raise InvalidProgram("async comprehensions are not allowed")
            if not isinstance(generator.target, ast.Name):
                raise InvalidProgram("a comprehension variable is a plain name")
            if generator.target.id in BUILTINS:
                raise InvalidProgram(f"comprehension variable {generator.target.id!r} shadows a built-in")
            self.visit(generator.iter, depth=depth + 1, bound=inner)
            inner = inner | {generator.target.id}
            for condition in generator.ifs:
                self.visit(condition, depth=depth + 1, bound=inner)
        self.visit(node.elt, depth=depth + 1, bound=inner)


def _describe(node: ast.AST) -> str:
    names = {ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.JoinedStr: "f-string",
             ast.FormattedValue: "f-string", ast.NamedExpr: "assignment expression (:=)", ast.Set: "set",
             ast.Dict: "dict", ast.SetComp: "set comprehension", ast.DictComp: "dict comprehension",
             ast.Starred: "starred expression", ast.Await: "await", ast.Yield: "yield",
             ast.YieldFrom: "yield"}
    return names.get(type(node), f"{type(node).__name__} syntax")
