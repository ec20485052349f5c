"""What every search returns and the rules every search shares: output-length limits, forced EOS.

A :class:`Hypothesis` holds the token ids (no BOS, no EOS), the log-probability score (length
normalised for beams) and, per stream, the attention weights of every emitted step, EOS included,
over that stream's real source positions. The maximum output length of an item is
``ceil(ratio · S) + offset``, S being its encoded source length (all streams' real positions).

Shapes: B batch, N decoder rows (B, or B·K for beams), S_i source steps of stream i, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from multis2s.data.vocabulary import EOS_ID
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.streams import Memories


@dataclass
class Hypothesis:
    """tokens: ids without BOS/EOS; score: log-probability (normalised for beams);
    attention: per stream (steps, real S_i), steps = emitted tokens + EOS (when it was emitted)."""

    tokens: list[int]
    score: float
    attention: dict[str, torch.Tensor]


@dataclass(frozen=True)
class MaxLength:
    """The longest output of an item: ``ceil(ratio · S) + offset`` steps, EOS included."""

    ratio: float
    offset: int

    def limits(self, memory: Memories) -> torch.Tensor:
        """(N,) maximum output steps of each decoder row."""
        return (memory.real_lengths().float() * self.ratio).ceil().long() + self.offset


class Search(Protocol):
    """What a search plugin's factory returns."""

    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        """Every batch item's hypotheses, best first."""


def force_eos(log_probs: torch.Tensor, at_limit: torch.Tensor) -> torch.Tensor:
    """log_probs (N, V): rows where ``at_limit`` (N,) is True may only emit EOS."""
    forced = torch.full_like(log_probs, float("-inf"))
    forced[:, EOS_ID] = 0.0
    return torch.where(at_limit.unsqueeze(1), forced, log_probs)


def real_attention(weights: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], steps: int
                   ) -> dict[str, torch.Tensor]:
    """One item's weights per stream (t, S_i) → the first ``steps`` steps over its real positions.

    masks: per stream (S_i,) bool, True on the item's real positions.
    """
    return {name: w[:steps][:, masks[name]].cpu() for name, w in weights.items()}
