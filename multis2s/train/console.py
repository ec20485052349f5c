"""What training says: one line per validation, why it stopped, notes; on the console and in ``train.log``.

Lines go to standard error (above the progress bar when there is one) and, without the progress
bar's frames, to the plain-text ``RUN_DIR/train.log``. Under ``torchrun`` only rank 0 speaks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm


def validation_line(step: int, results: dict[str, float], *, best: bool, lr: float) -> str:
    """``step 500  dev loss 1.234  exact_match 97.20  lr 1.0e-03  best``."""
    metrics = "  ".join(f"{name} {value:.2f}" for name, value in results.items() if name != "loss")
    return f"step {step}  dev loss {results['loss']:.4f}  {metrics}  lr {lr:.2e}" + ("  best" if best else "")


class Console:
    """Writes training's lines to the terminal and appends them to ``log_file`` (None: the terminal only)."""

    def __init__(self, log_file: Path | None, *, speaks: bool = True) -> None:
        self.log_file, self.speaks = log_file, speaks

    def say(self, line: str) -> None:
        if not self.speaks:
            return
        tqdm.write(line, file=sys.stderr)
        if self.log_file is not None:
            with open(self.log_file, "a", encoding="utf-8") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  {line}\n")


def shows_progress_bar(asked: bool) -> bool:
    """The progress bar only when asked for and standard error is a terminal (no frames in redirected output)."""
    return asked and sys.stderr.isatty()
