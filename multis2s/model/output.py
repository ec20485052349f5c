"""The output layer (generator): decoder hidden vectors → log-probabilities over the target vocabulary.

This is the seam where anything that changes the output distribution mixes in (a copy/pointer
mechanism, a language model): the loss and every search read log-probabilities from here only.

Shapes: B batch, T target steps, H hidden size, V vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn


class OutputLayer(nn.Module):
    """A linear projection to the vocabulary followed by a float32 log-softmax."""

    def __init__(self, *, hidden_dim: int, vocab_size: int) -> None:
        super().__init__()
        self.project = nn.Linear(hidden_dim, vocab_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """hidden (…, H) → log-probabilities (…, V), in float32 even under autocast."""
        return self.project(hidden).float().log_softmax(dim=-1)
