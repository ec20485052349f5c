"""The project's compiled CPU kernels (``csrc/<kernel>.cpp``), each built once.

- ``attention_lstm``: the fused LSTM decoder's step loops (:mod:`multis2s.model.fused_attention_lstm`);
- ``hashed_dropout``: dropout with hashed masks (:mod:`multis2s.model.dropout`);
- ``lstm_directions``: a bidirectional LSTM layer's directions at once (:mod:`multis2s.model.lstm_directions`).

PyTorch's C++ extension tools compile a source with the machine's C++ compiler and ninja the
first time it is needed (about a minute each; ``make install`` does it ahead), into a folder
under ``$TORCH_EXTENSIONS_DIR`` (else ``~/.cache/torch_extensions``) named after the source's hash
and the PyTorch version; afterwards the library there is imported directly. Where a kernel
cannot be built (no compiler), one warning says why and its Python version, which computes the
same, is used. ``MULTIS2S_NATIVE=0`` turns every compiled kernel off.

``python -m multis2s.model.native`` builds them all and says where they are.
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

SOURCES = Path(__file__).with_name("csrc")
KERNELS = {"attention_lstm": "the decoder's step loops", "hashed_dropout": "the dropout kernel",
           "lstm_directions": "the LSTM directions kernel"}
SWITCH = "MULTIS2S_NATIVE"


def module_name(kernel: str) -> str:
    """The Python module name a kernel is built and imported under."""
    return f"multis2s_{kernel}"


def source(kernel: str) -> Path:
    """The C++ source of a kernel."""
    if kernel not in KERNELS:
        raise ValueError(f"no compiled kernel named {kernel!r}; there are {', '.join(KERNELS)}")
    return SOURCES / f"{kernel}.cpp"


def build_directory(kernel: str) -> Path:
    """Where a kernel of this source and PyTorch version lives: under ``$TORCH_EXTENSIONS_DIR``, else
    ``$XDG_CACHE_HOME/torch_extensions`` (``~/.cache`` without it)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = Path(os.environ.get("TORCH_EXTENSIONS_DIR") or cache / "torch_extensions")
    digest = hashlib.sha256(source(kernel).read_bytes()).hexdigest()[:12]
    return root / f"{module_name(kernel)}-{digest}-torch{torch.__version__.replace('+', '_')}"


def compiled(kernel: str) -> ModuleType | None:
    """A kernel's compiled module, or None where ``MULTIS2S_NATIVE=0`` or it cannot be built."""
    if os.environ.get(SWITCH, "1") == "0":
        return None
    return _built(kernel)


@functools.cache
def _built(kernel: str) -> ModuleType | None:
    folder, name = build_directory(kernel), module_name(kernel)
    library = folder / f"{name}.so"
    if library.exists():  # built before: imported without PyTorch's build tools, whose import (setuptools
        try:              # and all) costs a second and leaves every later garbage collection more to scan
            return _imported(name, library)
        except ImportError:
            pass  # a build cut short: build again
    try:
        with _quiet_cuda_notice():
            from torch.utils.cpp_extension import load
        print(f"multis2s: compiling {KERNELS[kernel]} into {folder} (once, about a minute)",
              file=sys.stderr, flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        return load(name, [str(source(kernel))], build_directory=str(folder), extra_cflags=["-O3", "-fopenmp"],
                    extra_ldflags=["-fopenmp"])
    except Exception as exc:  # no compiler, no ninja, a failed build: the Python version does the same work
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.warn(f"multis2s: {KERNELS[kernel]} cannot be compiled ({reason}); using its Python version "
                      f"(the same computation, slower on the CPU)", stacklevel=2)
        return None


def _imported(name: str, library: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, library)
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
    missing = []
    for each in KERNELS:
        built = compiled(each)
        print(f"{KERNELS[each]} ({each}): {build_directory(each) if built else 'not available'}")
        if built is None:
            missing.append(each)
    sys.exit(1 if missing else 0)
