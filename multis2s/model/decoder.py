"""The interface every decoder implements; search and training rely on nothing else.

A decoder reads a :class:`~multis2s.model.encoder.Memory` made once per batch by
:meth:`Decoder.prepare`, starts from :meth:`Decoder.initial_state`, and either decodes a whole
teacher-forced target (:meth:`Decoder.forward`) or one step at a time (:meth:`Decoder.step`).
Every tensor in a decoder state has the batch first, so beam search can reorder any decoder's
state with :func:`~multis2s.model.encoder.map_tensors`. Decoders keep no state between calls.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from multis2s.model.encoder import EncoderOutput, Memory


class Decoder(nn.Module):
    """Base class of decoders (shape legend: see :mod:`multis2s.model`)."""

    vocab_size: int

    def prepare(self, encoded: EncoderOutput) -> Memory:
        """The memory as this decoder reads it (projections computed once)."""
        raise NotImplementedError

    def initial_state(self, encoded: EncoderOutput) -> Any:
        """The state before the first target step (from ``final_state`` where it is used)."""
        raise NotImplementedError

    def forward(
        self, targets_in: torch.Tensor, memory: Memory, state: Any, teacher_forcing: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """targets_in (B, T) starting with BOS → logits (B, T, V), attention (B, T, S).

        ``teacher_forcing`` is the probability of feeding the reference token rather than the
        model's own previous prediction (1 = teacher forcing, 0 = free running).
        """
        raise NotImplementedError

    def step(self, tokens: torch.Tensor, memory: Memory, state: Any) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """tokens (B,) → logits (B, V), attention (B, S), the next state."""
        raise NotImplementedError


def mix_predictions(gold: torch.Tensor, predicted: torch.Tensor, teacher_forcing: float) -> torch.Tensor:
    """Each row's next input: the gold token with probability ``teacher_forcing``, else the prediction.

    gold, predicted: (B,) token ids → (B,).
    """
    keep = torch.rand(gold.shape, device=gold.device) < teacher_forcing
    return torch.where(keep, gold, predicted)


class Bridge(nn.Module):
    """Encoder ``final_state`` (B, Ds) → the decoder's initial hidden (B, L, H), zeros without one."""

    def __init__(self, *, state_dim: int, layers: int, hidden_dim: int, enabled: bool) -> None:
        super().__init__()
        self.layers, self.hidden_dim = layers, hidden_dim
        self.project = nn.Linear(state_dim, layers * hidden_dim) if enabled and state_dim > 0 else None

    def forward(self, final_state: torch.Tensor | None, batch: int, like: torch.Tensor) -> torch.Tensor:
        """(B, Ds) or None → (B, L, H)."""
        if self.project is None or final_state is None:
            return like.new_zeros(batch, self.layers, self.hidden_dim)
        return torch.tanh(self.project(final_state)).view(batch, self.layers, self.hidden_dim)
