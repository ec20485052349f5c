"""User-facing errors: each carries one line that the CLI prints as it is.

Anything raised that is not a :class:`Multis2sError` is a bug and keeps its traceback.
"""

from __future__ import annotations


class Multis2sError(Exception):
    """Base class of every error caused by the user's config, data, plugins or paths."""


class ConfigError(Multis2sError):
    """A config file or override that cannot be read, or a value that does not fit."""


class PluginError(Multis2sError):
    """A plugin that fails to load, a name clash, or an unknown component name."""


class DataError(Multis2sError):
    """A data file or item that cannot be read; the message names the file and line."""


class CheckpointError(Multis2sError):
    """A run folder or checkpoint that is missing or unreadable."""


class TrainingError(Multis2sError):
    """Training that cannot go on (e.g. the loss stayed non-finite); the run folder keeps its last good state."""


class ExportError(Multis2sError):
    """A trained run that cannot be written as graphs, or whose graphs would compute something else."""
