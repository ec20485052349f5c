"""Config YAML read within bounds, with YAML 1.2 floats.

PyYAML reads YAML 1.1, where ``1e-3`` is a string. :class:`ConfigLoader` is a ``SafeLoader``
subclass (nothing global changes) that also reads the YAML 1.2 forms ``1e-3``, ``1.0e6``,
``-2E+3`` and ``.5e1`` as floats, and that refuses, with the line they are on:

- nesting deeper than :data:`MAX_DEPTH` levels (an alias counts at the depth it expands to);
- aliases that expand to more than :data:`MAX_ALIAS_NODES` nodes in all (a "billion laughs" bomb
  is a 1 KB file that expands to 10⁹ nodes), and an alias inside the collection it names;
- integers of more than :data:`MAX_INT_DIGITS` digits, and values their tag cannot hold
  (``2001-13-45``, ``!!float abc``).

:func:`read_text` reads a file of at most :data:`MAX_BYTES` bytes as UTF-8, and :func:`check_size`
bounds config data that did not come through this loader (a checkpoint's saved config). Every
problem is a :class:`~multis2s.errors.ConfigError` of one bounded line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from multis2s.errors import ConfigError
from multis2s.options import cut, shown

MAX_BYTES = 1_000_000
MAX_DEPTH = 100
MAX_ALIAS_NODES = 10_000
MAX_INT_DIGITS = 100
MAX_VALUES = 1_000_000
"""The most values (shared ones counted each time) of config data: more than any file read here holds."""
PROBLEM_CHARACTERS = 200

FLOAT_TAG = "tag:yaml.org,2002:float"
FLOAT = re.compile(r"""^(?:
    [-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?   # 1.5, 1., .5, 1.0e6, .5e1
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+                                     # 1e-3, -2E+3
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*                          # 190:20:30.15 (YAML 1.1)
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


class BoundError(yaml.MarkedYAMLError):
    """A document past one of this module's limits, or a value its tag cannot hold."""


class ConfigLoader(yaml.SafeLoader):
    """``SafeLoader`` with YAML 1.2 floats and the limits of this module."""

    yaml_implicit_resolvers = {
        first: [(tag, FLOAT if tag == FLOAT_TAG else regexp) for tag, regexp in resolvers]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._alias_nodes = 0
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) → (nodes, height) of a finished node

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is None:
                raise BoundError(None, None, f"undefined alias *{cut(str(event.anchor))}", event.start_mark)
            if id(target) not in self._sizes:
                raise BoundError(None, None, f"alias *{cut(str(event.anchor))} is inside the collection it names",
                                 event.start_mark)
            nodes, height = self._sizes[id(target)]
            self._alias_nodes += nodes
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise BoundError(None, None, f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                                 event.start_mark)
            if self._depth + height > MAX_DEPTH:
                raise BoundError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise BoundError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = self._size(node)
        return node

    def _size(self, node: Node) -> tuple[int, int]:
        """(nodes, height) of a node whose children are finished, aliases expanded."""
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            return 1, 1
        sizes = [self._sizes[id(child)] for child in children]
        return 1 + sum(n for n, _ in sizes), 1 + max((h for _, h in sizes), default=0)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
            kind = node.tag.rsplit(":", 1)[-1]
            text = shown(node.value) if isinstance(node, ScalarNode) else "the value"
            raise BoundError(None, None, f"cannot read {text} as {kind}", node.start_mark) from None

    def construct_yaml_int(self, node: ScalarNode) -> int:
        if len(str(node.value)) > MAX_INT_DIGITS:
            raise BoundError(None, None, f"an integer of {len(node.value)} characters (at most {MAX_INT_DIGITS})",
                             node.start_mark)
        return super().construct_yaml_int(node)


ConfigLoader.add_constructor("tag:yaml.org,2002:int", ConfigLoader.construct_yaml_int)


def _problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(``:line`` or ``""``, the problem in words) of a YAML error."""
    mark = getattr(exc, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        problem = f"{problem} ({context})"
    problem = cut(problem, PROBLEM_CHARACTERS)
    if isinstance(exc, BoundError):
        return line, problem
    if isinstance(exc, yaml.constructor.ConstructorError):
        return line, f"YAML error: {problem}"
    return line, f"YAML syntax error: {problem}"


def load(text: str, source: str) -> Any:
    """The data of one YAML document; errors are ``<source>:<line>: <problem>``."""
    loader = None
    try:
        loader = ConfigLoader(text)  # reading starts here: a NUL character fails already
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        line, problem = _problem(exc)
        raise ConfigError(f"{source}{line}: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path: Path) -> str:
    """A config file's text: at most :data:`MAX_BYTES` bytes of UTF-8."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: config file larger than {MAX_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def check_size(data: Any) -> None:
    """Config data nested at most :data:`MAX_DEPTH` deep, with at most :data:`MAX_VALUES` values
    (a part shared by reference counted each time, as it would be expanded); else a ConfigError."""
    seen, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError(f"config data holds more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise ConfigError(f"config data nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((part, depth + 1) for pair in value.items() for part in pair)
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1) for item in value)
