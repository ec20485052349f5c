"""Optional dependencies: a plugin that needs an extra says which, and the line that installs it.

A plugin's entry-point module calls :func:`require` first; when a library is missing its import
fails with :class:`MissingExtra`, the plugin manager lists the plugin as unavailable with that
message, and every other plugin loads as usual.
"""

from __future__ import annotations

import importlib.util


class MissingExtra(ImportError):
    """A plugin's optional libraries are not installed."""


def require(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` naming ``pip install 'multis2s[extra]'`` when a module is not installed
    (found without importing it)."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(f"needs {', '.join(missing)} (not installed): pip install 'multis2s[{extra}]'")
