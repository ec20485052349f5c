"""The RNN attention decoder (Luong-style attentional vector; the attention kind is a registered part).

At each step: the RNN reads the previous token's embedding (and, with input feeding, the previous
attentional vector), attention over every stream's memory turns its output into a context (fused
across streams when there are several, :mod:`multis2s.model.streams`), and
``tanh(W [output; context])`` is the attentional vector that the output layer projects to
log-probabilities. A teacher-forced target takes one of three paths, which compute the same
function: without input feeding and with an attention that does not need the previous step's
weights, all steps run in one RNN call; with input feeding, one LSTM layer and additive attention
over one stream, the step loop is one autograd op (:mod:`multis2s.model.fused_attention_lstm`);
anything else steps the recurrence from the module's weights (:mod:`multis2s.model.recurrent_step`),
as search does. A search step of the fused configuration on the CPU is one call of the compiled
step (:mod:`multis2s.model.native`), where it is built.

Shapes: B batch, T target steps, S_i source steps of stream i, E embedding, H hidden, L layers,
Ds encoder final-state size, V vocabulary.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Annotated, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.model import native
from multis2s.model.attention import AdditiveAttention
from multis2s.model.decoder import Attention, Decoder
from multis2s.model.dropout import Dropout
from multis2s.model.fused_attention_lstm import FusedAttentionLSTM
from multis2s.model.recurrent_step import RecurrentSteps
from multis2s.model.streams import AttentionFactory, FusionKind, Memories, Streams, StreamAttention
from multis2s.options import Nested
from multis2s.ranges import DROPOUT, Range

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
        embedding_dim: Annotated[int, Range(ge=1)] = 128,
        hidden_dim: Annotated[int, Range(ge=1)] = 256,
        layers: Annotated[int, Range(ge=1)] = 1,
        dropout: Annotated[float, DROPOUT] = 0.1,
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
        self.value_dims = dict(memory_dims)
        self.input_feeding = input_feeding
        rnn_input = embedding_dim + (hidden_dim if input_feeding else 0)
        self.rnn = CELLS[cell](rnn_input, hidden_dim, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.attention = StreamAttention(attention=attention, fusion=fusion, query_dim=hidden_dim,
                                         memory_dims=memory_dims)
        self.combine = nn.Linear(hidden_dim + self.attention.output_dim, hidden_dim)
        self.dropout = Dropout(dropout)
        self.attach_output(hidden_dim=hidden_dim, tie_embeddings=tie_embeddings)
        self.bridge_hidden = Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge)
        self.bridge_cell = (Bridge(state_dim=state_dim, layers=layers, hidden_dim=hidden_dim, enabled=bridge)
                            if cell == "lstm" else None)

    def prepare(self, streams: Streams) -> Memories:
        """The memories, and in search the input table (:attr:`Memories.input_table`): every target
        token's first-layer gate input (V, G), made once per batch where that costs no more than
        projecting one step's rows (V ≤ B). Each step then looks its tokens up instead of the
        (B, E)·(E, G) product: greedy and beam-5 search of the anchor model ran about 1.1× faster on
        one thread (BENCHMARKS.md, issue 10)."""
        memory = self.attention.prepare(streams)
        if self.training or torch.is_grad_enabled() or self.embedding.num_embeddings > memory.batch_size:
            return memory
        table = RecurrentSteps(self.rnn, self.embedding.embedding_dim).project_inputs(self.embedding.weight)
        return dataclasses.replace(memory, input_table=table)

    def initial_state(self, streams: Streams) -> RNNState:
        alignment = streams.uniform_weights()  # per stream (B, S_i)
        like = next(iter(alignment.values()))  # (B, S_0) float, for dtype and device
        batch = like.size(0)
        hidden = self.bridge_hidden(streams.final_state, batch, like)
        cell = self.bridge_cell(streams.final_state, batch, like) if self.bridge_cell else None
        feed = like.new_zeros(batch, self.combine.out_features)
        return RNNState(hidden, cell, feed, alignment)

    def _whole_sequence(self, embedded: torch.Tensor, memory: Memories, state: RNNState
                        ) -> tuple[torch.Tensor, Attention]:
        """All steps in one RNN call (no input feeding, no previous weights needed):
        embedded (B, T, E) → attentional vectors (B, T, H), weights per stream (B, T, S_i)."""
        hx = state.hidden.transpose(0, 1).contiguous()  # (L, B, H)
        if state.cell is not None:
            hx = (hx, state.cell.transpose(0, 1).contiguous())
        outputs, _ = self.rnn(embedded, hx)  # (B, T, H)
        context, weights = self.attention(outputs, memory)  # (B, T, Dc), per stream (B, T, S_i)
        return torch.tanh(self.combine(torch.cat([outputs, context], dim=-1))), weights

    def _advance(self, steps: RecurrentSteps, projected: torch.Tensor, memory: Memories, state: RNNState
                 ) -> tuple[torch.Tensor, Attention, RNNState]:
        """One step from the embedding's gate contribution ``projected`` (B, G) → attentional
        vector (B, H), weights per stream (B, S_i), the next state."""
        feed = state.feed if self.input_feeding else None
        hidden, cell = steps.step(projected, feed, state.hidden, state.cell)  # (B, L, H) each
        output = hidden.narrow(1, hidden.size(1) - 1, 1)  # (B, 1, H) the top layer
        previous = state.alignment if self.attention.needs_previous else None
        context, weights = self.attention(output, memory, previous)  # (B, 1, Dc), per stream (B, 1, S_i)
        attentional = torch.tanh(self.combine(torch.cat([output, context], dim=-1))).squeeze(1)  # (B, H)
        weights = {name: w.squeeze(1) for name, w in weights.items()}
        return attentional, weights, RNNState(hidden, cell, attentional, weights)

    def step(self, tokens: torch.Tensor, memory: Memories, state: RNNState) -> tuple[torch.Tensor, Attention, RNNState]:
        steps = None
        if memory.input_table is not None:
            projected = F.embedding(tokens, memory.input_table)  # (B, G)
        else:
            steps = RecurrentSteps(self.rnn, self.embedding.embedding_dim)
            projected = steps.project_inputs(self.dropout(self.embedding(tokens)))  # (B, G)
        compiled = self._compiled_step(projected, memory)
        if compiled is not None:
            attentional, weights, state = self._advance_compiled(compiled, projected, memory, state)
        else:
            steps = steps or RecurrentSteps(self.rnn, self.embedding.embedding_dim)
            attentional, weights, state = self._advance(steps, projected, memory, state)
        return self.dropout(attentional), weights, state

    def _compiled_step(self, projected: torch.Tensor, memory: Memories) -> ModuleType | None:
        """The compiled loops (:mod:`multis2s.model.native`) where a search step of the fused
        configuration may take them: no gradient wanted, the CPU, float32 or float64, not traced
        for export."""
        if (torch.is_grad_enabled() or projected.device.type != "cpu" or torch.jit.is_tracing()
                or projected.dtype not in (torch.float32, torch.float64) or not self.fusable(memory)):
            return None
        return native.compiled("attention_lstm")

    def _advance_compiled(self, compiled: ModuleType, projected: torch.Tensor, memory: Memories, state: RNNState
                          ) -> tuple[torch.Tensor, Attention, RNNState]:
        """What :meth:`_advance` computes, as one call of the compiled step."""
        (name, stream), = memory.streams.items()
        attention = self.attention.attentions[name]
        shared = stream.per_item or stream  # a search's beams read their item's memory once
        attentional, hidden, cell, weights = compiled.step(
            projected, state.hidden[:, 0], state.cell[:, 0], state.feed, shared.mask,
            (self.rnn.weight_ih_l0[:, self.embedding.embedding_dim:], self.rnn.weight_hh_l0, shared.keys[0],
             shared.values, attention.query.weight, attention.query.bias, attention.energy.weight.view(-1),
             self.combine.weight, self.combine.bias))  # (B, H) × 3, (B, S)
        return attentional, {name: weights}, RNNState(hidden.unsqueeze(1), cell.unsqueeze(1), attentional,
                                                      {name: weights})

    def fusable(self, memory: Memories) -> bool:
        """Whether the teacher-forced loop runs as :class:`FusedAttentionLSTM` (one LSTM layer,
        input feeding, additive attention over one stream present in every row, no autocast)."""
        (attention, *others), stream = self.attention.attentions.values(), next(iter(memory.streams.values()))
        return (self.rnn.mode == "LSTM" and self.rnn.num_layers == 1 and self.input_feeding and not others
                and type(attention) is AdditiveAttention and stream.complete
                and not torch.is_autocast_enabled(stream.values.device.type))

    def teacher_forced(self, targets_in: torch.Tensor, memory: Memories, state: RNNState
                       ) -> tuple[torch.Tensor, Attention]:
        embedded = self.dropout(self.embedding(targets_in))  # (B, T, E)
        if not self.input_feeding and not self.attention.needs_previous:
            attentional, weights = self._whole_sequence(embedded, memory, state)
        elif self.fusable(memory):
            attentional, weights = self._fused(embedded, memory, state)
        else:
            attentional, weights = self.stepped(embedded, memory, state)
        return self.dropout(attentional), weights

    def stepped(self, embedded: torch.Tensor, memory: Memories, state: RNNState) -> tuple[torch.Tensor, Attention]:
        """The step loop, recorded op by op: embedded (B, T, E) → attentional vectors (B, T, H),
        weights per stream (B, T, S_i)."""
        steps = RecurrentSteps(self.rnn, self.embedding.embedding_dim)
        attentionals, all_weights = [], []
        for projected in steps.project_inputs(embedded).unbind(1):  # T × (B, G)
            attentional, weights, state = self._advance(steps, projected, memory, state)
            attentionals.append(attentional)
            all_weights.append(weights)
        return torch.stack(attentionals, dim=1), {
            name: torch.stack([w[name] for w in all_weights], dim=1) for name in all_weights[0]}

    def _fused(self, embedded: torch.Tensor, memory: Memories, state: RNNState) -> tuple[torch.Tensor, Attention]:
        """What :meth:`stepped` computes, as one autograd op (see :mod:`multis2s.model.fused_attention_lstm`)."""
        steps = RecurrentSteps(self.rnn, self.embedding.embedding_dim)
        (name, stream), = memory.streams.items()
        attention = self.attention.attentions[name]
        weights = steps.layers[0]
        attentional, alignment = FusedAttentionLSTM.apply(
            steps.project_inputs(embedded).transpose(0, 1), state.hidden[:, 0], state.cell[:, 0], state.feed,
            weights.extra, weights.hidden, stream.keys[0], stream.values, stream.mask, attention.query.weight,
            attention.query.bias, attention.energy.weight.view(-1), self.combine.weight, self.combine.bias)
        return attentional.transpose(0, 1), {name: alignment.transpose(0, 1)}  # (B, T, H), (B, T, S)
