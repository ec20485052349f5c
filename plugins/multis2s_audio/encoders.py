"""Audio encoders over feature frames: conv + BiLSTM, pyramidal BiLSTM (LAS), conv + Transformer.

Shapes: B batch, S input frames, S' frames after subsampling, F features per frame, C channels,
H hidden size per direction, D output size.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from torch import nn

from multis2s.model.dropout import Dropout
from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import lengths_to_mask
from multis2s.model.padded_recurrence import run_padded
from multis2s.model.transformer_encoder import TransformerEncoderStack
from multis2s.ranges import DROPOUT, Range
from multis2s_audio.subsampling import ConvSubsampling, stack_frame_pairs


def run_bidirectional(lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A bidirectional ``lstm`` over x (B, S, D_in) whose rows have ``lengths`` (B,) real frames.

    Returns outputs (B, S, 2H), zero beyond the lengths, and the last layer's final forward and
    backward hidden states side by side (B, 2H).
    """
    outputs, hidden = run_padded(lstm, x, lengths)  # (B, S, 2H), (L·2, B, H)
    final = hidden[-2:].transpose(0, 1).reshape(x.size(0), -1)  # (2, B, H) → (B, 2H)
    return outputs, final


def _check_positive(values: dict[str, int]) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be positive, got {value}")


def _check_dropout(dropout: float) -> None:
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


class ConvLSTMEncoder(nn.Module):
    """Conv subsampling (×``subsampling`` in time, 4 or 8) → BiLSTM. ``output_dim`` = ``state_dim`` = 2H.

    At 8 the BiLSTM reads half the frames of 4, and most of the encoder's time is the BiLSTM.

    ``final_state`` (B, 2H) is the last layer's final forward and backward hidden state.
    """

    def __init__(
        self,
        *,
        input_dim: int,
        channels: Annotated[int, Range(ge=1)] = 32,
        hidden_dim: Annotated[int, Range(ge=1)] = 256,
        layers: Annotated[int, Range(ge=1)] = 3,
        dropout: Annotated[float, DROPOUT] = 0.1,
        subsampling: Literal[4, 8] = 4,
    ) -> None:
        super().__init__()
        _check_positive(dict(channels=channels, hidden_dim=hidden_dim, layers=layers))
        _check_dropout(dropout)
        self.subsampling = ConvSubsampling(input_dim=input_dim, channels=channels, factor=subsampling)
        self.dropout = Dropout(dropout)
        self.lstm = nn.LSTM(self.subsampling.output_dim, hidden_dim, num_layers=layers, batch_first=True,
                            bidirectional=True, dropout=dropout if layers > 1 else 0.0)
        self.output_dim = self.state_dim = 2 * hidden_dim

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S, F), lengths (B,) → memory (B, S', 2H), mask (B, S'), final_state (B, 2H)."""
        frames, lengths = self.subsampling(inputs, lengths)  # (B, S', C·F''), (B,)
        memory, final = run_bidirectional(self.lstm, self.dropout(frames), lengths)  # (B, S', 2H), (B, 2H)
        return EncoderOutput(self.dropout(memory), lengths_to_mask(lengths, memory.size(1)), final)


class PyramidalLSTMEncoder(nn.Module):
    """Listen, Attend and Spell's listener: a BiLSTM, then ``levels`` pyramidal BiLSTMs.

    Each pyramidal level reads adjacent frame pairs side by side (B, S, 2H) → (B, ⌈S/2⌉, 4H), so
    S' = S / 2^levels (rounded up per level). ``output_dim`` = ``state_dim`` = 2H; ``final_state``
    is the top level's final forward and backward hidden state.
    """

    def __init__(
        self,
        *,
        input_dim: int,
        hidden_dim: Annotated[int, Range(ge=1)] = 256,
        levels: Annotated[int, Range(ge=0)] = 3,
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        _check_positive(dict(input_dim=input_dim, hidden_dim=hidden_dim))
        if levels < 0:
            raise ValueError(f"levels must be >= 0, got {levels}")
        _check_dropout(dropout)
        self.bottom = nn.LSTM(input_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.pyramid = nn.ModuleList(
            nn.LSTM(4 * hidden_dim, hidden_dim, batch_first=True, bidirectional=True) for _ in range(levels)
        )
        self.dropout = Dropout(dropout)
        self.output_dim = self.state_dim = 2 * hidden_dim

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S, F), lengths (B,) → memory (B, S', 2H), mask (B, S'), final_state (B, 2H)."""
        hidden, final = run_bidirectional(self.bottom, inputs, lengths)  # (B, S, 2H), (B, 2H)
        for lstm in self.pyramid:
            pairs, lengths = stack_frame_pairs(self.dropout(hidden), lengths)  # (B, ⌈S/2⌉, 4H)
            hidden, final = run_bidirectional(lstm, pairs, lengths)  # (B, ⌈S/2⌉, 2H), (B, 2H)
        return EncoderOutput(self.dropout(hidden), lengths_to_mask(lengths, hidden.size(1)), final)


class ConvTransformerEncoder(nn.Module):
    """Conv subsampling (×4 in time) → Linear to model_dim → pre-norm Transformer encoder.

    ``output_dim`` = model_dim; no final state (``state_dim`` = 0).
    """

    def __init__(
        self,
        *,
        input_dim: int,
        channels: Annotated[int, Range(ge=1)] = 32,
        model_dim: Annotated[int, Range(ge=1)] = 256,
        heads: Annotated[int, Range(ge=1)] = 4,
        layers: Annotated[int, Range(ge=1)] = 6,
        ff_dim: Annotated[int, Range(ge=1)] = 1024,
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        _check_positive(dict(channels=channels, model_dim=model_dim, heads=heads, layers=layers, ff_dim=ff_dim))
        _check_dropout(dropout)
        self.subsampling = ConvSubsampling(input_dim=input_dim, channels=channels)
        self.projection = nn.Linear(self.subsampling.output_dim, model_dim)
        self.stack = TransformerEncoderStack(model_dim=model_dim, heads=heads, layers=layers, ff_dim=ff_dim,
                                             dropout=dropout)
        self.output_dim, self.state_dim = model_dim, 0

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S, F), lengths (B,) → memory (B, S', D), mask (B, S')."""
        frames, lengths = self.subsampling(inputs, lengths)  # (B, S', C·F''), (B,)
        mask = lengths_to_mask(lengths, frames.size(1))  # (B, S')
        return EncoderOutput(self.stack(self.projection(frames), mask), mask, None)
