"""Optional dependencies: a plugin that needs an extra says which, and the line that installs it.

A plugin's entry-point module calls :func:`require` first; when a library is missing its import
fails with :class:`MissingExtra`, the plugin manager lists the plugin as unavailable with that
message, and every other plugin loads as usual. A command that needs an extra (``serve``) calls it
too.
"""

from __future__ import annotations

import importlib.util

from multis2s.errors import Multis2sError


class MissingExtra(Multis2sError, ImportError):
    """Optional libraries (of a plugin, or of a command such as ``serve``) are not installed; the
    command line prints it as one error line."""


def require(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` naming ``pip install 'multis2s[extra]'`` when a module is not installed
    (found without importing it)."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(f"needs {', '.join(missing)} (not installed): pip install 'multis2s[{extra}]'")
