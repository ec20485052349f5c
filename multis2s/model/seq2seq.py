"""The encoder–decoder model: the encoder streams, one decoder, joined by the decoder's own ``prepare``.

Shapes: B batch, S_in_i input steps of stream i, T target steps, S_i encoded steps, V vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn

from multis2s.model.decoder import Attention, Decoder
from multis2s.model.streams import StreamEncoders, Streams


class Seq2Seq(nn.Module):
    """``encoder(sources, lengths)`` → streams → ``decoder``. Parts are built outside and passed in."""

    def __init__(self, *, encoder: StreamEncoders, decoder: Decoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor]) -> Streams:
        """sources: stream → (B, S_in_i, …), lengths: stream → (B,) → the streams' encoder outputs."""
        return self.encoder(sources, lengths)

    def forward(self, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], targets_in: torch.Tensor,
                teacher_forcing: float = 1.0) -> tuple[torch.Tensor, Attention]:
        """targets_in (B, T) starting with BOS → log-probabilities (B, T, V), attention per stream (B, T, S_i)."""
        streams = self.encode(sources, lengths)
        memory = self.decoder.prepare(streams)
        state = self.decoder.initial_state(streams)
        hidden, attention = self.decoder(targets_in, memory, state, teacher_forcing)
        return self.decoder.output(hidden), attention
