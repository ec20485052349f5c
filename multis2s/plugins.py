"""The plugin manager: loads plugins once, lazily, and fills a :class:`Registry` from their hooks.

Built-in components are plugins like any other: they are found through the ``multis2s``
entry-point group of the installed distributions. Set ``MULTIS2S_DISABLE_PLUGIN_AUTOLOAD=1`` to
load only the built-in plugins (those shipped in the ``multis2s`` distribution) and the modules a
config names. An installed plugin whose import fails (e.g. a missing optional dependency) does
not stop the others: it is listed as unavailable, with its distribution and the error, and only
a config that names one of its components fails. A module a config names must import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from typing import Iterable

import pluggy

from multis2s import hookspecs
from multis2s.errors import PluginError
from multis2s.registry import KINDS, Registry, UnavailablePlugin

PROJECT = "multis2s"
DISABLE_AUTOLOAD_ENV = "MULTIS2S_DISABLE_PLUGIN_AUTOLOAD"
hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus the installed plugins that could not be imported."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.unavailable: list[UnavailablePlugin] = []


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    """The ``multis2s`` entry points, only the built-in distribution's when autoload is off."""
    points = list(importlib.metadata.entry_points(group=PROJECT))
    if os.environ.get(DISABLE_AUTOLOAD_ENV):
        points = [p for p in points if p.dist is not None and p.dist.name == PROJECT]
    return points


def _import(name: str, load) -> object:
    try:
        return load()
    except Exception as exc:  # any failure inside a plugin's import is the plugin's error
        raise PluginError(f'Error loading plugin "{name}": {type(exc).__name__}: {exc}') from exc


def create_manager(extra_modules: Iterable[str] = ()) -> PluginManager:
    """A plugin manager with the hook specs, every importable entry-point plugin and ``extra_modules``."""
    manager = PluginManager()
    manager.add_hookspecs(hookspecs)
    for point in _entry_points():
        if manager.has_plugin(point.name):
            continue
        try:
            module = point.load()
        except Exception as exc:  # an installed plugin that cannot load is reported, not fatal
            distribution = point.dist.name if point.dist is not None else "unknown distribution"
            manager.unavailable.append(UnavailablePlugin(point.name, distribution, f"{type(exc).__name__}: {exc}"))
            continue
        manager.register(module, name=point.name)
    for module_name in extra_modules:
        if manager.has_plugin(module_name):
            continue
        module = _import(module_name, lambda: importlib.import_module(module_name))
        manager.register(module, name=module_name)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f'Error loading plugin "{manager.get_name(exc.plugin)}": {exc}') from exc
    return manager


def fill_registry(manager: PluginManager) -> Registry:
    """Call every ``register_<kind>`` hook of every plugin, each with its own callback."""
    registry = Registry(tuple(manager.unavailable))
    for kind in KINDS:
        caller = getattr(manager.hook, f"register_{kind}")
        for impl in reversed(caller.get_hookimpls()):
            try:
                impl.function(register=registry.callback(kind, impl.plugin_name))
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f'Error loading plugin "{impl.plugin_name}": register_{kind} failed: '
                    f"{type(exc).__name__}: {exc}"
                ) from exc
    return registry


def load_registry(extra_modules: Iterable[str] = ()) -> Registry:
    """Load the plugins (entry points plus ``extra_modules``) and return their registry."""
    return fill_registry(create_manager(extra_modules))
