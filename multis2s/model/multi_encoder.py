"""Several encoders side by side (``model.encoders``): one stream each, read by one decoder.

Each stream's encoder reads its own modality (audio frames, video frames, …) with its own lengths.
A stream can be absent from some rows (length 0: a missing file) or from the whole batch (not in
the inputs at all); its mask is then False on those rows and the decoder ignores it there. In
training, ``stream_dropout`` hides one randomly chosen stream of a row with that probability, so
the model learns to decode from the remaining streams alone.

Shapes: B batch, S_in_i input steps of stream i, S_i encoded steps, D_i its output size, Ds_i its
final-state size.
"""

from __future__ import annotations

import torch
from torch import nn

from multis2s.model.encoder import EncoderOutput, StreamOutputs


class MultiEncoder(nn.Module):
    """Named encoders run on their own inputs; their outputs travel side by side."""

    def __init__(self, *, encoders: dict[str, nn.Module], stream_dropout: float = 0.0) -> None:
        super().__init__()
        if len(encoders) < 2:
            raise ValueError("several encoders need at least two streams")
        if not 0.0 <= stream_dropout < 1.0:
            raise ValueError(f"stream_dropout must be in [0, 1), got {stream_dropout}")
        self.encoders = nn.ModuleDict(encoders)
        self.stream_dropout = stream_dropout
        self.output_dim = tuple(int(e.output_dim) for e in encoders.values())
        self.state_dim = sum(int(e.state_dim) for e in encoders.values())

    @property
    def names(self) -> list[str]:
        """The stream names, in config order."""
        return list(self.encoders.keys())

    def forward(self, inputs: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor]) -> StreamOutputs:
        """inputs: stream → (B, S_in_i, …); lengths: stream → (B,) with 0 where a row lacks it.

        A stream missing from ``inputs`` is absent from every row.
        """
        if not inputs:
            raise ValueError("no stream has any input")
        any_lengths = next(iter(lengths.values()))  # (B,)
        batch = any_lengths.size(0)
        outputs = []
        for name, encoder in self.encoders.items():
            if name in inputs:
                outputs.append(self._encode(encoder, inputs[name], lengths[name]))
            else:
                outputs.append(self._absent(encoder, batch, any_lengths.device))
        if self.training and self.stream_dropout > 0:
            outputs = self._drop_streams(outputs)
        states = [o.final_state if o.final_state is not None else o.memory.new_zeros(batch, e.state_dim)
                  for o, e in zip(outputs, self.encoders.values())]
        final = torch.cat(states, dim=1) if self.state_dim else None  # (B, ΣDs_i)
        return StreamOutputs(tuple(outputs), final)

    @staticmethod
    def _encode(encoder: nn.Module, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """Rows of length 0 are encoded over the whole padded input, then masked out entirely."""
        present = lengths > 0  # (B,)
        encoded = encoder(inputs, torch.where(present, lengths, lengths.max().clamp(min=1)))
        return _hide(encoded, present)

    @staticmethod
    def _absent(encoder: nn.Module, batch: int, device: torch.device) -> EncoderOutput:
        """A stream no row has: one masked zero position per row."""
        memory = torch.zeros(batch, 1, int(encoder.output_dim), device=device)  # (B, 1, D_i)
        mask = torch.zeros(batch, 1, dtype=torch.bool, device=device)
        return EncoderOutput(memory, mask, None)

    def _drop_streams(self, outputs: list[EncoderOutput]) -> list[EncoderOutput]:
        """With probability ``stream_dropout`` per row that has every stream, hide one chosen uniformly."""
        batch = outputs[0].memory_mask.size(0)
        device = outputs[0].memory_mask.device
        complete = torch.stack([o.memory_mask.any(dim=1) for o in outputs]).all(dim=0)  # (B,)
        dropped = complete & (torch.rand(batch, device=device) < self.stream_dropout)  # (B,)
        which = torch.randint(len(outputs), (batch,), device=device)  # (B,)
        return [_hide(o, ~(dropped & (which == i))) for i, o in enumerate(outputs)]


def _hide(encoded: EncoderOutput, keep: torch.Tensor) -> EncoderOutput:
    """The output with rows where ``keep`` (B,) is False masked out and their final state zeroed."""
    mask = encoded.memory_mask & keep.unsqueeze(1)  # (B, S)
    state = encoded.final_state
    if state is not None:
        state = state * keep.to(state.dtype).unsqueeze(1)
    return EncoderOutput(encoded.memory, mask, state)
