"""The training window behind each ``metrics.jsonl`` training line: loss, throughput, waiting, padding, skips."""

from __future__ import annotations

import time

import torch

from multis2s.data.loader import Batch
from multis2s.distributed import Processes


class LogWindow:
    """Loss, target tokens and examples since the last ``metrics.jsonl`` line, and their time; how
    much of that time went to waiting for batches, and how much of the batches was padding."""

    def __init__(self) -> None:
        self.loss, self.tokens, self.examples, self.start = 0.0, 0, 0, time.perf_counter()
        self.waited = 0.0
        self.skipped_updates = 0
        self.skipped_items = 0
        self.cells = {"source": [0, 0], "target": [0, 0]}  # real, padded positions

    def add(self, loss_sum: float, tokens: int, batch: Batch, waited: float) -> None:
        if batch.empty:
            return
        self.loss, self.tokens = self.loss + loss_sum, self.tokens + tokens
        self.examples += len(batch.indices)
        self.waited += waited
        for lengths in batch.source_lengths.values():
            self._count("source", int(lengths.sum()), lengths.numel() * int(lengths.max()))
        self._count("target", tokens, batch.targets_out.numel())

    def _count(self, side: str, real: int, padded: int) -> None:
        self.cells[side][0] += real
        self.cells[side][1] += padded

    def summary(self, processes: Processes, device: torch.device) -> dict[str, float]:
        """Mean loss per token, tokens/s and examples/s over the window (all processes together),
        with its tokens and seconds, the share of the time spent waiting for data, the padding
        share of sources and targets (this process's batches), the updates skipped and the examples
        left out because they failed to load (``data.skip_bad``)."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        loss, tokens, examples, items = processes.sum([self.loss, self.tokens, self.examples, self.skipped_items],
                                                      device)
        tokens, examples = int(tokens), int(examples)
        padding = {f"{side}_padding": 1 - real / max(1, padded) for side, (real, padded) in self.cells.items()}
        return {"loss": loss / max(1, tokens), "tokens_per_s": tokens / elapsed,
                "examples_per_s": examples / elapsed, "tokens": tokens, "seconds": elapsed,
                "data_wait": self.waited / elapsed, **padding, "skipped_updates": self.skipped_updates,
                "skipped_items": int(items)}
