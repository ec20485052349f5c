"""The encoder–decoder model: any encoder, one decoder, joined by the decoder's own ``prepare``."""

from __future__ import annotations

import torch
from torch import nn

from multis2s.model.decoder import Decoder
from multis2s.model.encoder import EncoderOutput


class Seq2Seq(nn.Module):
    """``encoder(inputs, lengths)`` → memory → ``decoder``. Parts are built outside and passed in."""

    def __init__(self, *, encoder: nn.Module, decoder: Decoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, sources: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """sources (B, S_in, …), lengths (B,) → EncoderOutput with memory (B, S, D)."""
        return self.encoder(sources, lengths)

    def forward(
        self, sources: torch.Tensor, lengths: torch.Tensor, targets_in: torch.Tensor, teacher_forcing: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """targets_in (B, T) starting with BOS → logits (B, T, V), attention (B, T, S)."""
        encoded = self.encode(sources, lengths)
        memory = self.decoder.prepare(encoded)
        state = self.decoder.initial_state(encoded)
        return self.decoder(targets_in, memory, state, teacher_forcing)
