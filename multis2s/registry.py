"""The registry of components that plugins register: one table per kind, filled through hooks."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable

from multis2s.errors import PluginError

KINDS = ("encoders", "decoders", "attentions", "searches", "modalities", "datasets", "tokenizers", "metrics")
SINGULAR = {"encoders": "encoder", "decoders": "decoder", "attentions": "attention", "searches": "search",
            "modalities": "modality", "datasets": "dataset", "tokenizers": "tokenizer", "metrics": "metric"}
MODALITY_NAME = re.compile(r"[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")
"""A modality is any lower-case name (a new modality needs no core change); ``any`` matches every
modality, and a data set that gives several joins them with ``+`` (``audio+video``)."""


@dataclass(frozen=True)
class Component:
    """One registered component: what a config's ``type:`` names."""

    kind: str
    name: str
    factory: Callable
    modality: str
    help: str
    plugin: str


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
        """The ``register(name, factory, *, modality, help)`` callback for one plugin and kind."""

        def register(name: str, factory: Callable, *, modality: str = "any", help: str = "") -> None:
            self._add(Component(kind, name, factory, modality, help, plugin))

        return register

    def _add(self, component: Component) -> None:
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
        for component in self._tables[kind].values():
            if component.factory is factory:
                return component.name
        raise PluginError(f"{getattr(factory, '__name__', factory)!r} is not a registered {SINGULAR[kind]}")

    def components(self) -> list[Component]:
        """Every component, sorted by kind then name."""
        return [c for kind in KINDS for c in sorted(self._tables[kind].values(), key=lambda c: c.name)]
