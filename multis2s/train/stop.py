"""Stopping training from outside: Ctrl-C and SIGTERM become a flag the training loop reads between updates."""

from __future__ import annotations

import signal
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C, and what schedulers and ``torchrun`` send to end a job."""


class StopRequest:
    """Turns the first SIGINT or SIGTERM into a flag checked between updates; the second interrupts,
    unless ``repeat_interrupts`` is False (under ``torchrun``, which forwards the signal a process
    already got from the terminal, and kills the processes itself if they take too long)."""

    def __init__(self, repeat_interrupts: bool = True) -> None:
        self.requested = False
        self.repeat_interrupts = repeat_interrupts
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopRequest":
        for number in STOP_SIGNALS:
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                break
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested and self.repeat_interrupts:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
