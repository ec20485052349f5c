"""The registry of components that plugins register: one table per kind, filled through hooks."""

from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass
from typing import Callable

from multis2s.errors import PluginError

KINDS = ("encoders", "decoders", "attentions", "searches", "modalities", "datasets", "tokenizers", "metrics")
SINGULAR = {"encoders": "encoder", "decoders": "decoder", "attentions": "attention", "searches": "search",
            "modalities": "modality", "datasets": "dataset", "tokenizers": "tokenizer", "metrics": "metric"}
REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
"""Where a factory lives, ``"package.module:Name"``: registering one imports nothing until it is used."""
MODALITY_NAME = re.compile(r"[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")
"""A modality is any lower-case name (a new modality needs no core change); ``any`` matches every
modality, and a data set that gives several joins them with ``+`` (``audio+video``)."""


@dataclass(frozen=True)
class Component:
    """One registered component: what a config's ``type:`` names."""

    kind: str
    name: str
    target: Callable | str
    """The factory, or its ``"module:attribute"`` reference (imported on first use of :attr:`factory`,
    so listing the components imports no model code and no optional library)."""
    modality: str
    help: str
    plugin: str

    @property
    def factory(self) -> Callable:
        """The callable that builds the component."""
        if not isinstance(self.target, str):
            return self.target
        module, _, attribute = self.target.partition(":")
        try:
            found = importlib.import_module(module)
            for part in attribute.split("."):
                found = getattr(found, part)
        except Exception as exc:  # whatever the plugin's module raises on import is the plugin's error
            raise PluginError(f'Error loading plugin "{self.plugin}": {SINGULAR[self.kind]} "{self.name}" '
                              f"({self.target}): {type(exc).__name__}: {exc}") from exc
        return found


@dataclass(frozen=True)
class UnavailablePlugin:
    """An installed plugin that could not be imported, and why (its components are missing)."""

    name: str
    distribution: str
    error: str


class Registry:
    """Components by kind and name. Plugins only see the ``register`` callbacks it hands out."""

    def __init__(self, unavailable: tuple[UnavailablePlugin, ...] = ()) -> None:
        self._tables: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
        self.unavailable = unavailable

    def callback(self, kind: str, plugin: str) -> Callable[..., None]:
        """The ``register(name, factory, *, modality, help)`` callback for one plugin and kind; ``factory``
        is the callable or its ``"module:attribute"`` reference."""

        def register(name: str, factory: Callable | str, *, modality: str = "any", help: str = "") -> None:
            self._add(Component(kind, name, factory, modality, help, plugin))

        return register

    def _add(self, component: Component) -> None:
        if isinstance(component.target, str) and not REFERENCE.fullmatch(component.target):
            raise PluginError(f'Error loading plugin "{component.plugin}": {SINGULAR[component.kind]} '
                              f'"{component.name}": factory reference {component.target!r} is not "module:attribute"')
        if not MODALITY_NAME.fullmatch(component.modality):
            raise PluginError(
                f'Error loading plugin "{component.plugin}": {SINGULAR[component.kind]} '
                f'"{component.name}" has modality "{component.modality}", expected a lower-case name '
                "(several joined with '+')"
            )
        table = self._tables[component.kind]
        existing = table.get(component.name)
        if existing is not None:
            raise PluginError(
                f'{SINGULAR[component.kind]} "{component.name}" is registered twice: by plugin '
                f'"{existing.plugin}" and by plugin "{component.plugin}"'
            )
        table[component.name] = component

    def get(self, kind: str, name: str) -> Component:
        """The component ``name`` of ``kind``; an unknown name lists the closest known ones (and any
        plugin that failed to load, which may have been the one to provide it)."""
        table = self._tables[kind]
        if name in table:
            return table[name]
        close = difflib.get_close_matches(name, table, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        known = ", ".join(f"{c.name} ({c.plugin})" for c in sorted(table.values(), key=lambda c: c.name))
        missing = "".join(f'; plugin "{p.name}" ({p.distribution}) is unavailable: {p.error}' for p in self.unavailable)
        raise PluginError(f'unknown {SINGULAR[kind]} "{name}": {hint}known {kind}: {known or "none"}{missing}')

    def names(self, kind: str) -> list[str]:
        """The registered names of ``kind``, sorted."""
        return sorted(self._tables[kind])

    def name_of(self, kind: str, factory: Callable) -> str:
        """The name under which ``factory`` is registered as a ``kind`` component."""
        reference = f"{getattr(factory, '__module__', '')}:{getattr(factory, '__qualname__', '')}"
        for component in self._tables[kind].values():
            if component.target is factory or component.target == reference:
                return component.name
        for component in self._tables[kind].values():  # a reference to a re-exported name
            if isinstance(component.target, str) and component.factory is factory:
                return component.name
        raise PluginError(f"{getattr(factory, '__name__', factory)!r} is not a registered {SINGULAR[kind]}")

    def components(self) -> list[Component]:
        """Every component, sorted by kind then name."""
        return [c for kind in KINDS for c in sorted(self._tables[kind].values(), key=lambda c: c.name)]
