"""The compiled step loops of the fused LSTM decoder (``csrc/attention_lstm.cpp``), built once.

PyTorch's C++ extension tools compile the source with the machine's C++ compiler and ninja the
first time it is needed (about a minute; ``make install`` does it ahead), into a folder under
``$TORCH_EXTENSIONS_DIR`` (else ``~/.cache/torch_extensions``) named after the source's hash and
the PyTorch version; afterwards the library there is imported directly. Where it
cannot be built (no compiler), one warning says why and the Python loops, which compute the same,
are used. ``MULTIS2S_NATIVE=0`` turns the compiled loops off.

``python -m multis2s.model.native_loops`` builds them and says where they are.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Iterator

import torch

SOURCE = Path(__file__).with_name("csrc") / "attention_lstm.cpp"
NAME = "multis2s_attention_lstm"
SWITCH = "MULTIS2S_NATIVE"


def build_directory() -> Path:
    """Where the compiled loops of this source and PyTorch version live: under
    ``$TORCH_EXTENSIONS_DIR``, else ``$XDG_CACHE_HOME/torch_extensions`` (``~/.cache`` without it)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = Path(os.environ.get("TORCH_EXTENSIONS_DIR") or cache / "torch_extensions")
    source = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    return root / f"{NAME}-{source}-torch{torch.__version__.replace('+', '_')}"


def native_loops() -> ModuleType | None:
    """The compiled module, or None where ``MULTIS2S_NATIVE=0`` or it cannot be built."""
    if os.environ.get(SWITCH, "1") == "0":
        return None
    return _built()


@functools.cache
def _built() -> ModuleType | None:
    folder = build_directory()
    library = folder / f"{NAME}.so"
    if library.exists():  # built before: imported without PyTorch's build tools, whose import (setuptools
        try:              # and all) costs a second and leaves every later garbage collection more to scan
            return _imported(library)
        except ImportError:
            pass  # a build cut short: build again
    try:
        with _quiet_cuda_notice():
            from torch.utils.cpp_extension import load
        print(f"multis2s: compiling the decoder's step loops into {folder} (once, about a minute)",
              file=sys.stderr, flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        return load(NAME, [str(SOURCE)], build_directory=str(folder), extra_cflags=["-O3", "-fopenmp"],
                    extra_ldflags=["-fopenmp"])
    except Exception as exc:  # no compiler, no ninja, a failed build: the Python loops do the same work
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.warn(f"multis2s: the compiled decoder loops are not available ({reason}); "
                      f"using the Python loops (the same computation, slower on the CPU)", stacklevel=2)
        return None


def _imported(library: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(NAME, library)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {library}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _quiet_cuda_notice() -> Iterator[None]:
    """Importing PyTorch's extension tools logs a warning on a machine with a CUDA toolkit folder but
    no GPU runtime; it says nothing about a CPU build, so it is held back."""
    logger = logging.getLogger("torch.utils.cpp_extension")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


if __name__ == "__main__":
    built = native_loops()
    print(f"compiled decoder loops: {build_directory()}" if built else "compiled decoder loops: not available")
    sys.exit(0 if built else 1)
