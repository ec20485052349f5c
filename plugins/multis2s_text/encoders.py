"""Text encoders: a (bi)directional RNN, and a Transformer.

Shapes: B batch, S source tokens, E embedding, H hidden per direction, D output size.
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

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RNNEncoder(nn.Module):
    """Embedding → RNN/LSTM/GRU (padding never enters the recurrence: :mod:`multis2s.model.padded_recurrence`).

    ``output_dim`` = H·directions; ``final_state`` (B, H·directions) is the last layer's final
    hidden state of each direction.
    """

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        cell: Literal["lstm", "gru", "rnn"] = "lstm",
        embedding_dim: Annotated[int, Range(ge=1)] = 128,
        hidden_dim: Annotated[int, Range(ge=1)] = 256,
        layers: Annotated[int, Range(ge=1)] = 1,
        bidirectional: bool = True,
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell {cell!r} is not one of {', '.join(CELLS)}")
        directions = 2 if bidirectional else 1
        self.output_dim = self.state_dim = hidden_dim * directions
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.dropout = Dropout(dropout)
        self.rnn = CELLS[cell](embedding_dim, hidden_dim, num_layers=layers, batch_first=True,
                               bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
        self.directions = directions

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S) ids, lengths (B,) → memory (B, S, D), mask (B, S), final_state (B, D)."""
        embedded = self.dropout(self.embedding(inputs))  # (B, S, E)
        memory, hidden = run_padded(self.rnn, embedded, lengths)  # (B, S, D), (L·dirs, B, H)
        last = hidden[-self.directions:]  # (dirs, B, H)
        final_state = last.transpose(0, 1).reshape(inputs.size(0), -1)  # (B, H·dirs)
        return EncoderOutput(self.dropout(memory), lengths_to_mask(lengths, inputs.size(1)), final_state)


class TransformerTextEncoder(nn.Module):
    """Embedding → pre-norm Transformer encoder. ``output_dim`` = model_dim; no final state."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        model_dim: Annotated[int, Range(ge=1)] = 256,
        heads: Annotated[int, Range(ge=1)] = 4,
        layers: Annotated[int, Range(ge=1)] = 3,
        ff_dim: Annotated[int, Range(ge=1)] = 1024,
        dropout: Annotated[float, DROPOUT] = 0.1,
    ) -> None:
        super().__init__()
        self.output_dim, self.state_dim = model_dim, 0
        self.embedding = nn.Embedding(vocab_size, model_dim, padding_idx=pad_id)
        self.stack = TransformerEncoderStack(model_dim=model_dim, heads=heads, layers=layers, ff_dim=ff_dim,
                                             dropout=dropout)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, S) ids, lengths (B,) → memory (B, S, D), mask (B, S)."""
        mask = lengths_to_mask(lengths, inputs.size(1))  # (B, S)
        return EncoderOutput(self.stack(self.embedding(inputs), mask), mask, None)
