"""The folder where embedded data generators write their corpora once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout

CACHE_ENV = "MULTIS2S_CACHE"


def cache_root() -> Path:
    """``$MULTIS2S_CACHE``, else ``~/.cache/multis2s``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "multis2s")


def corpus_dir(generator: str, options: dict[str, Any]) -> Path:
    """A folder keyed by the generator's name and every option, so a changed option never reuses data."""
    key = json.dumps(options, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_root() / f"{generator}-{digest}"


def ensure_corpus(generator: str, options: dict[str, Any], write: Callable[[Path], None]) -> Path:
    """The corpus folder of ``generator`` with ``options``, written by ``write(folder)`` if absent.

    ``write`` fills a temporary sibling folder that is renamed into place when it returns, so an
    interrupted generation never leaves a folder that looks complete. A lock file beside the folder
    makes a second process (another run, or another ``torchrun`` rank) wait for the first and reuse
    its corpus; whoever holds the lock first deletes what a killed generation left behind.
    """
    folder = corpus_dir(generator, options)
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder.parent / f".{folder.name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"waiting for another process to finish writing {folder}", file=sys.stderr)
        lock.acquire()
    try:
        if folder.is_dir():
            return folder
        for leftover in folder.parent.glob(f".{folder.name}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            write(temporary)
            (temporary / "options.json").write_text(json.dumps(options, sort_keys=True, default=str))
            os.replace(temporary, folder)
        finally:
            if temporary.exists():
                shutil.rmtree(temporary, ignore_errors=True)
        return folder
    finally:
        lock.release()
