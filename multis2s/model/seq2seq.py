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
    alone: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None
    """In training with per-stream losses: per stream, the decoder's log-probabilities (R, T, V)
    with that stream alone, over the rows (R,) that have it."""


class Seq2Seq(nn.Module):
    """``encoder(sources, lengths)`` → streams → ``decoder`` (and the optional CTC head on one stream).
    Parts are built outside and passed in. ``stream_losses``: in training, also decode the target
    from each stream alone (``model.stream_loss_weight``)."""

    def __init__(self, *, encoder: StreamEncoders, decoder: Decoder, ctc: CTCHead | None = None,
                 ctc_stream: str | None = None, stream_losses: bool = False) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.ctc = ctc
        self.ctc_stream = ctc_stream
        self.stream_losses = stream_losses

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
        log_probs, attention = self._decode(streams, targets_in, teacher_forcing)
        ctc = self.ctc_output(streams) if self.ctc is not None else None
        alone = None
        if self.training and self.stream_losses:
            alone = {}
            for name in streams.outputs:
                single, rows = self.encoder.alone(streams, name)
                if rows.numel():
                    alone[name] = (self._decode(single, targets_in.index_select(0, rows), teacher_forcing)[0],
                                   rows)
        return Prediction(log_probs, attention, ctc, alone)

    def _decode(self, streams: Streams, targets_in: torch.Tensor, teacher_forcing: float
                ) -> tuple[torch.Tensor, Attention]:
        """The decoder over ``streams``: log-probabilities (B, T, V) and attention per stream (B, T, S_i)."""
        memory = self.decoder.prepare(streams)
        state = self.decoder.initial_state(streams)
        hidden, attention = self.decoder(targets_in, memory, state, teacher_forcing)
        return self.decoder.log_probs(hidden, targets_in, attention, memory), attention
