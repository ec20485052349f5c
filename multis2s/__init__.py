"""multis2s: sequence-to-sequence learning across modalities.

Plugins import :data:`hookimpl` from here to mark their ``register_<things>`` hooks.
"""

from multis2s.plugins import hookimpl

__all__ = ["hookimpl"]
__version__ = "0.1.0"
