"""The RNN attention decoder (Luong-style attentional vector; Bahdanau scoring by choice).

At each step: the RNN reads the previous token's embedding (and, with input feeding, the previous
attentional vector), attention turns its output into a context over the memory, and
``tanh(W [output; context])`` is the attentional vector that the output layer projects to logits.
Without input feeding, with full teacher forcing and an attention that does not need the previous
step's weights, all target steps run in one RNN call. With several encoders the decoder attends
over each stream's memory and fuses the contexts (:mod:`multis2s.model.fusion`).

Shapes: B batch, T target steps, S source steps, E embedding, H hidden, L layers, V vocabulary.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import nn

from multis2s.model.attention import Attention, AttentionKind
from multis2s.model.decoder import Bridge, Decoder, mix_predictions
from multis2s.model.encoder import Encoded, EncoderOutput, Memories, Memory, uniform_weights
from multis2s.model.fusion import FusionKind, StreamAttention

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RNNState(NamedTuple):
    """hidden, cell: (B, L, H) (cell is None for GRU / RNN); feed: (B, H) last attentional vector;
    alignment: (B, S) last attention weights (uniform over the source before the first step; with
    several streams (B, ΣS), each stream's part uniform over its own positions)."""

    hidden: torch.Tensor
    cell: torch.Tensor | None
    feed: torch.Tensor
    alignment: torch.Tensor


class RNNDecoder(Decoder):
    """RNN / LSTM / GRU decoder with attention ``none | dot | general | additive | multihead | location``."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        memory_dim: int | tuple[int, ...],
        state_dim: int,
        cell: Literal["lstm", "gru", "rnn"] = "lstm",
        embedding_dim: int = 128,
        hidden_dim: int = 256,
        layers: int = 1,
        dropout: float = 0.1,
        attention: AttentionKind = "additive",
        attention_dim: int = 256,
        heads: int = 4,
        location_channels: int = 10,
        location_kernel: int = 31,
        fusion: FusionKind = "concat",
        input_feeding: bool = True,
        bridge: bool = True,
        tie_embeddings: bool = False,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell {cell!r} is not one of {', '.join(CELLS)}")
        if tie_embeddings and embedding_dim != hidden_dim:
            raise ValueError(f"tie_embeddings needs embedding_dim ({embedding_dim}) == hidden_dim ({hidden_dim})")
        self.vocab_size = vocab_size
        self.input_feeding = input_feeding
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        rnn_input = embedding_dim + (hidden_dim if input_feeding else 0)
        self.rnn = CELLS[cell](rnn_input, hidden_dim, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        attention_options = dict(kind=attention, query_dim=hidden_dim, hidden_dim=attention_dim, heads=heads,
                                 location_channels=location_channels, location_kernel=location_kernel)
        if isinstance(memory_dim, tuple):
            self.attention = StreamAttention(**attention_options, fusion=fusion, memory_dims=memory_dim)
            context_dim = self.attention.output_dim
        else:
            self.attention = Attention(**attention_options, memory_dim=memory_dim)
            context_dim = memory_dim
        self.combine = nn.Linear(hidden_dim + context_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_dim, vocab_size)
        if tie_embeddings:
            self.output.weight = self.embedding.weight
        self.bridge_hidden = Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge)
        self.bridge_cell = (
            Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge) if cell == "lstm" else None
        )

    def prepare(self, encoded: Encoded) -> Memory | Memories:
        if isinstance(encoded, EncoderOutput):
            return Memory(encoded.memory, encoded.memory_mask, self.attention.project(encoded.memory))
        return self.attention.prepare([s.memory for s in encoded.streams], [s.memory_mask for s in encoded.streams])

    def initial_state(self, encoded: Encoded) -> RNNState:
        alignment = uniform_weights(encoded)  # (B, S)
        batch = alignment.size(0)
        hidden = self.bridge_hidden(encoded.final_state, batch, alignment)
        cell = self.bridge_cell(encoded.final_state, batch, alignment) if self.bridge_cell else None
        feed = alignment.new_zeros(batch, self.combine.out_features)
        return RNNState(hidden, cell, feed, alignment)

    def _run(self, inputs: torch.Tensor, memory: Memory, state: RNNState) -> tuple[torch.Tensor, torch.Tensor, RNNState]:
        """inputs (B, T, E [+H]) → attentional vectors (B, T, H), weights (B, T, S), state."""
        hx = state.hidden.transpose(0, 1).contiguous()  # (L, B, H)
        if state.cell is not None:
            hx = (hx, state.cell.transpose(0, 1).contiguous())
        outputs, hx = self.rnn(inputs, hx)  # (B, T, H)
        previous = state.alignment if self.attention.needs_previous else None
        context, weights = self.attention(outputs, memory, previous)  # (B, T, Dm), (B, T, S)
        attentional = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))  # (B, T, H)
        hidden, cell = (hx if isinstance(hx, tuple) else (hx, None))
        new_state = RNNState(hidden.transpose(0, 1), cell.transpose(0, 1) if cell is not None else None,
                             attentional[:, -1], weights[:, -1])
        return attentional, weights, new_state

    def _attend_step(self, tokens: torch.Tensor, memory: Memory, state: RNNState):
        """tokens (B,) → attentional vector (B, 1, H), weights (B, 1, S), next state."""
        inputs = self.dropout(self.embedding(tokens)).unsqueeze(1)  # (B, 1, E)
        if self.input_feeding:
            inputs = torch.cat([inputs, state.feed.unsqueeze(1)], dim=-1)  # (B, 1, E+H)
        return self._run(inputs, memory, state)

    def step(self, tokens: torch.Tensor, memory: Memory, state: RNNState) -> tuple[torch.Tensor, torch.Tensor, RNNState]:
        attentional, weights, state = self._attend_step(tokens, memory, state)
        logits = self.output(self.dropout(attentional)).squeeze(1)  # (B, V)
        return logits, weights.squeeze(1), state

    def forward(
        self, targets_in: torch.Tensor, memory: Memory, state: RNNState, teacher_forcing: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.input_feeding and teacher_forcing >= 1.0 and not self.attention.needs_previous:
            inputs = self.dropout(self.embedding(targets_in))  # (B, T, E)
            attentional, weights, _ = self._run(inputs, memory, state)
            return self.output(self.dropout(attentional)), weights
        attentionals, all_weights = [], []
        tokens = targets_in[:, 0]
        for t in range(targets_in.size(1)):
            if t > 0 and teacher_forcing < 1.0:
                previous = self.output(attentionals[-1].squeeze(1)).argmax(dim=-1)  # (B,)
                tokens = mix_predictions(targets_in[:, t], previous, teacher_forcing)
            elif t > 0:
                tokens = targets_in[:, t]
            attentional, weights, state = self._attend_step(tokens, memory, state)
            attentionals.append(attentional)
            all_weights.append(weights)
        attentional = torch.cat(attentionals, dim=1)  # (B, T, H)
        return self.output(self.dropout(attentional)), torch.cat(all_weights, dim=1)  # (B, T, V), (B, T, S)
