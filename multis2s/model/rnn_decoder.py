"""The RNN attention decoder (Luong-style attentional vector; the attention kind is a registered part).

At each step: the RNN reads the previous token's embedding (and, with input feeding, the previous
attentional vector), attention over every stream's memory turns its output into a context (fused
across streams when there are several, :mod:`multis2s.model.streams`), and
``tanh(W [output; context])`` is the attentional vector that the output layer projects to
log-probabilities. Without input feeding and with an attention that does not need the previous
step's weights, all teacher-forced steps run in one RNN call.

Shapes: B batch, T target steps, S_i source steps of stream i, E embedding, H hidden, L layers,
Ds encoder final-state size, V vocabulary.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

import torch
from torch import nn

from multis2s.model.attention import AdditiveAttention
from multis2s.model.decoder import Attention, Decoder
from multis2s.model.streams import AttentionFactory, FusionKind, Memories, Streams, StreamAttention
from multis2s.options import Nested

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RNNState(NamedTuple):
    """hidden, cell: (B, L, H) (cell is None for GRU / RNN); feed: (B, H) last attentional vector;
    alignment: per stream (B, S_i) the last attention weights (uniform over each stream's real
    positions before the first step)."""

    hidden: torch.Tensor
    cell: torch.Tensor | None
    feed: torch.Tensor
    alignment: dict[str, torch.Tensor]


class Bridge(nn.Module):
    """Encoder final state (B, Ds) → the decoder's initial hidden (B, L, H), zeros without one."""

    def __init__(self, *, state_dim: int, layers: int, hidden_dim: int, enabled: bool) -> None:
        super().__init__()
        self.layers, self.hidden_dim = layers, hidden_dim
        self.project = nn.Linear(state_dim, layers * hidden_dim) if enabled and state_dim > 0 else None

    def forward(self, final_state: torch.Tensor | None, batch: int, like: torch.Tensor) -> torch.Tensor:
        """(B, Ds) or None → (B, L, H)."""
        if self.project is None or final_state is None:
            return like.new_zeros(batch, self.layers, self.hidden_dim)
        return torch.tanh(self.project(final_state)).view(batch, self.layers, self.hidden_dim)


class RNNDecoder(Decoder):
    """RNN / LSTM / GRU decoder with one attention per encoder stream."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        memory_dims: dict[str, int],
        state_dim: int,
        cell: Literal["lstm", "gru", "rnn"] = "lstm",
        embedding_dim: int = 128,
        hidden_dim: int = 256,
        layers: int = 1,
        dropout: float = 0.1,
        attention: Annotated[AttentionFactory, Nested("attentions", ("query_dim", "memory_dim"))] = AdditiveAttention,
        fusion: FusionKind | None = None,
        input_feeding: bool = True,
        bridge: bool = True,
        tie_embeddings: bool = False,
    ) -> None:
        """cell: recurrent unit. embedding_dim, hidden_dim, layers, dropout: sizes and dropout.
        attention: attention kind with its own options, e.g. ``additive`` or ``{type: location, dim: 128}``.
        fusion: how several streams' contexts are fused, ``concat`` (the default) or ``gate``; not
        for one stream. input_feeding: feed the previous attentional vector back into the RNN.
        bridge: start from a projection of the encoders' final state (else zeros).
        tie_embeddings: share the target embedding with the output layer (embedding_dim = hidden_dim)."""
        if cell not in CELLS:
            raise ValueError(f"cell {cell!r} is not one of {', '.join(CELLS)}")
        super().__init__(vocab_size=vocab_size, pad_id=pad_id, embedding_dim=embedding_dim)
        self.input_feeding = input_feeding
        rnn_input = embedding_dim + (hidden_dim if input_feeding else 0)
        self.rnn = CELLS[cell](rnn_input, hidden_dim, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.attention = StreamAttention(attention=attention, fusion=fusion, query_dim=hidden_dim,
                                         memory_dims=memory_dims)
        self.combine = nn.Linear(hidden_dim + self.attention.output_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.attach_output(hidden_dim=hidden_dim, tie_embeddings=tie_embeddings)
        self.bridge_hidden = Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge)
        self.bridge_cell = (Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge)
                            if cell == "lstm" else None)

    def prepare(self, streams: Streams) -> Memories:
        return self.attention.prepare(streams)

    def initial_state(self, streams: Streams) -> RNNState:
        alignment = streams.uniform_weights()  # per stream (B, S_i)
        like = next(iter(alignment.values()))  # (B, S_0) float, for dtype and device
        batch = like.size(0)
        hidden = self.bridge_hidden(streams.final_state, batch, like)
        cell = self.bridge_cell(streams.final_state, batch, like) if self.bridge_cell else None
        feed = like.new_zeros(batch, self.combine.out_features)
        return RNNState(hidden, cell, feed, alignment)

    def _run(self, inputs: torch.Tensor, memory: Memories, state: RNNState
             ) -> tuple[torch.Tensor, Attention, RNNState]:
        """inputs (B, T, E [+H]) → attentional vectors (B, T, H), weights per stream (B, T, S_i), state."""
        hx = state.hidden.transpose(0, 1).contiguous()  # (L, B, H)
        if state.cell is not None:
            hx = (hx, state.cell.transpose(0, 1).contiguous())
        outputs, hx = self.rnn(inputs, hx)  # (B, T, H)
        previous = state.alignment if self.attention.needs_previous else None
        context, weights = self.attention(outputs, memory, previous)  # (B, T, Dc), per stream (B, T, S_i)
        attentional = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))  # (B, T, H)
        hidden, cell = (hx if isinstance(hx, tuple) else (hx, None))
        new_state = RNNState(hidden.transpose(0, 1), cell.transpose(0, 1) if cell is not None else None,
                             attentional[:, -1], {name: w[:, -1] for name, w in weights.items()})
        return attentional, weights, new_state

    def _attend_step(self, tokens: torch.Tensor, memory: Memories, state: RNNState):
        """tokens (B,) → attentional vector (B, 1, H), weights per stream (B, 1, S_i), next state."""
        inputs = self.dropout(self.embedding(tokens)).unsqueeze(1)  # (B, 1, E)
        if self.input_feeding:
            inputs = torch.cat([inputs, state.feed.unsqueeze(1)], dim=-1)  # (B, 1, E+H)
        return self._run(inputs, memory, state)

    def step(self, tokens: torch.Tensor, memory: Memories, state: RNNState) -> tuple[torch.Tensor, Attention, RNNState]:
        attentional, weights, state = self._attend_step(tokens, memory, state)
        return self.dropout(attentional).squeeze(1), {name: w.squeeze(1) for name, w in weights.items()}, state

    def teacher_forced(self, targets_in: torch.Tensor, memory: Memories, state: RNNState
                       ) -> tuple[torch.Tensor, Attention]:
        if not self.input_feeding and not self.attention.needs_previous:
            inputs = self.dropout(self.embedding(targets_in))  # (B, T, E)
            attentional, weights, _ = self._run(inputs, memory, state)
            return self.dropout(attentional), weights
        attentionals, all_weights = [], []
        for t in range(targets_in.size(1)):
            attentional, weights, state = self._attend_step(targets_in[:, t], memory, state)
            attentionals.append(attentional)
            all_weights.append(weights)
        attentional = torch.cat(attentionals, dim=1)  # (B, T, H)
        return self.dropout(attentional), {name: torch.cat([w[name] for w in all_weights], dim=1)
                                           for name in all_weights[0]}
