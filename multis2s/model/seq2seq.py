"""The encoder–decoder model: the encoder streams, one decoder, joined by the decoder's own ``prepare``.

Shapes: B batch, S_in_i input steps of stream i, T target steps, S_i encoded steps, V vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from multis2s.model.copy import COPY_SOURCE
from multis2s.model.ctc import CTCHead, CTCOutput
from multis2s.model.decoder import Attention, Decoder
from multis2s.model.streams import StreamEncoders, Streams


class Prediction(NamedTuple):
    """What the model computes for a teacher-forced target."""

    log_probs: torch.Tensor
    """(B, T, V) the decoder's log-probabilities ((B, T, V') over the extended vocabulary with copying)."""
    attention: Attention
    """per stream (B, T, S_i)."""
    ctc: CTCOutput | None
    """The CTC head's output over its stream's memory, when the model has one."""


class Seq2Seq(nn.Module):
    """``encoder(sources, lengths)`` → streams → ``decoder`` (and the optional CTC head on one stream).
    Parts are built outside and passed in."""

    def __init__(self, *, encoder: StreamEncoders, decoder: Decoder, ctc: CTCHead | None = None,
                 ctc_stream: str | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.ctc = ctc
        self.ctc_stream = ctc_stream

    def encode(self, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor]) -> Streams:
        """sources: stream → (B, S_in_i, …), lengths: stream → (B,) → the streams' encoder outputs.

        With copying, ``sources`` also holds the copy stream's extended ids under
        :data:`~multis2s.model.copy.COPY_SOURCE`; they travel on the streams.
        """
        if COPY_SOURCE not in sources:
            return self.encoder(sources, lengths)
        streams = self.encoder({name: t for name, t in sources.items() if name != COPY_SOURCE}, lengths)
        streams.copy_ids = sources[COPY_SOURCE]
        return streams

    def ctc_output(self, streams: Streams) -> CTCOutput:
        """The CTC head over its stream's memory (the model must have a head)."""
        output = streams.outputs[self.ctc_stream]
        return self.ctc(output.memory, output.memory_mask)

    def forward(self, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], targets_in: torch.Tensor,
                teacher_forcing: float = 1.0) -> Prediction:
        """targets_in (B, T) starting with BOS → log-probabilities (B, T, V), attention per stream
        (B, T, S_i) and the CTC head's output. With copying and scheduled sampling, the copy switch
        reads the embedding of the reference token at every step (not of a sampled one)."""
        streams = self.encode(sources, lengths)
        memory = self.decoder.prepare(streams)
        state = self.decoder.initial_state(streams)
        hidden, attention = self.decoder(targets_in, memory, state, teacher_forcing)
        ctc = self.ctc_output(streams) if self.ctc is not None else None
        return Prediction(self.decoder.log_probs(hidden, targets_in, attention, memory), attention, ctc)
