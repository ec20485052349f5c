"""The Transformer decoder: masked self-attention, cross-attention per stream, sinusoidal positions.

Pre-norm residual layers (LayerNorm before each sub-layer, a final LayerNorm). For step-wise
search the self-attention keys/values of earlier steps travel in the decoder state (never on the
module). Every layer cross-attends each stream's memory; with several streams the results are
fused (:class:`~multis2s.model.streams.ContextFusion`). The attention returned is the last
layer's cross-attention of each stream, averaged over heads (what the copy mechanism points with).

Shapes: B batch, T target steps, t steps decoded so far, S_i source steps of stream i, D model
size, H heads, V vocabulary.
"""

from __future__ import annotations

import math
from typing import Annotated, NamedTuple

import torch
from torch import nn

from multis2s.model.decoder import Attention, Decoder
from multis2s.model.dropout import Dropout
from multis2s.model.masks import causal_mask
from multis2s.model.multihead import MultiHeadAttention
from multis2s.model.positions import sinusoidal_positions
from multis2s.model.streams import ContextFusion, FusionKind, Memories, Memory, Streams
from multis2s.ranges import DROPOUT, Range


class TransformerState(NamedTuple):
    """keys, values: per layer (B, H, t, D/H) of the t steps decoded so far; steps: (B,) = t."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]
    steps: torch.Tensor


class DecoderLayer(nn.Module):
    """Self-attention, cross-attention (one per stream, fused) and feed-forward, each as x + f(norm(x))."""

    def __init__(self, *, model_dim: int, heads: int, ff_dim: int, dropout: float, streams: tuple[str, ...],
                 fusion: FusionKind | None) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(query_dim=model_dim, memory_dim=model_dim, model_dim=model_dim,
                                                 heads=heads, dropout=dropout)
        self.cross_attentions = nn.ModuleDict({
            name: MultiHeadAttention(query_dim=model_dim, memory_dim=model_dim, model_dim=model_dim, heads=heads,
                                     dropout=dropout)
            for name in streams
        })
        self.fusion = ContextFusion(kind=fusion, context_dims=(model_dim,) * len(streams), query_dim=model_dim,
                                    output_dim=model_dim)
        self.feed_forward = nn.Sequential(nn.Linear(model_dim, ff_dim), nn.ReLU(), Dropout(dropout),
                                          nn.Linear(ff_dim, model_dim))
        self.norms = nn.ModuleList(nn.LayerNorm(model_dim) for _ in range(3))
        self.dropout = Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        past: tuple[torch.Tensor, torch.Tensor] | None,
        self_mask: torch.Tensor,
        memories: Memories,
        index: int,
    ) -> tuple[torch.Tensor, Attention, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, D); past keys/values (B, H, t, D/H) or None; self_mask (B, T, t+T); ``index``: this
        layer's place in the stack (its cross keys/values in each memory).

        Returns x (B, T, D), cross-attention weights per stream (B, H, T, S_i), keys/values incl. this call's.
        """
        normed = self.norms[0](x)
        keys, values = self.self_attention.project(normed)  # (B, H, T, D/H)
        if past is not None:
            keys, values = torch.cat([past[0], keys], dim=2), torch.cat([past[1], values], dim=2)
        attended, _ = self.self_attention(normed, keys, values, self_mask)
        x = x + self.dropout(attended)
        normed = self.norms[1](x)
        contexts, weights = [], {}
        for name, memory in memories.streams.items():
            cross_keys, cross_values = memory.keys[2 * index], memory.keys[2 * index + 1]
            context, stream_weights = self.cross_attentions[name](normed, cross_keys, cross_values, memory.mask)
            contexts.append(context)
            weights[name] = memory.hide_absent(stream_weights)
        x = x + self.dropout(self.fusion(normed, contexts, list(memories.streams.values())))
        x = x + self.dropout(self.feed_forward(self.norms[2](x)))
        return x, weights, (keys, values)


class TransformerDecoder(Decoder):
    """A stack of pre-norm Transformer decoder layers over each stream's projected memory."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        memory_dims: dict[str, int],
        state_dim: int,
        model_dim: Annotated[int, Range(ge=1)] = 256,
        heads: Annotated[int, Range(ge=1)] = 4,
        layers: Annotated[int, Range(ge=1)] = 3,
        ff_dim: Annotated[int, Range(ge=1)] = 1024,
        dropout: Annotated[float, DROPOUT] = 0.1,
        fusion: FusionKind | None = None,
        tie_embeddings: bool = False,
    ) -> None:
        """model_dim, heads, layers, ff_dim, dropout: sizes of the stack. fusion: how several streams'
        cross-attention outputs are fused, ``concat`` (the default) or ``gate``; not for one stream.
        tie_embeddings: share the target embedding with the output layer."""
        if model_dim % 2:
            raise ValueError(f"model_dim must be even for sinusoidal positions, got {model_dim}")
        super().__init__(vocab_size=vocab_size, pad_id=pad_id, embedding_dim=model_dim)
        self.model_dim = model_dim
        self.value_dims = {name: model_dim for name in memory_dims}
        self.memory_projections = nn.ModuleDict(
            {name: nn.Linear(d, model_dim) if d != model_dim else nn.Identity() for name, d in memory_dims.items()}
        )
        self.layers = nn.ModuleList(
            DecoderLayer(model_dim=model_dim, heads=heads, ff_dim=ff_dim, dropout=dropout,
                         streams=tuple(memory_dims), fusion=fusion)
            for _ in range(layers)
        )
        self.final_norm = nn.LayerNorm(model_dim)
        self.dropout = Dropout(dropout)
        self.attach_output(hidden_dim=model_dim, tie_embeddings=tie_embeddings)

    def prepare(self, streams: Streams) -> Memories:
        """Per stream: the memory projected to D (B, S_i, D), and each layer's cross keys/values."""
        memories = {}
        for name, output in streams.outputs.items():
            values = self.memory_projections[name](output.memory)  # (B, S_i, D)
            keys = tuple(t for layer in self.layers for t in layer.cross_attentions[name].project(values))
            memories[name] = Memory.of(values, output.memory_mask, keys)
        return Memories(memories, streams.copy_ids)

    def initial_state(self, streams: Streams) -> TransformerState:
        mask = streams.mask
        batch = mask.size(0)
        first = self.layers[0].self_attention
        empty = torch.zeros(batch, first.heads, 0, first.head_dim, device=mask.device)
        count = len(self.layers)
        steps = torch.zeros(batch, dtype=torch.long, device=mask.device)
        return TransformerState((empty,) * count, (empty,) * count, steps)

    def _embed(self, tokens: torch.Tensor, start: int) -> torch.Tensor:
        """tokens (B, T) at positions start… → (B, T, D)."""
        positions = torch.arange(start, start + tokens.size(1), device=tokens.device)
        scaled = self.embedding(tokens) * math.sqrt(self.model_dim)
        return self.dropout(scaled + sinusoidal_positions(positions, self.model_dim).to(scaled.dtype))

    def _layers(self, x: torch.Tensor, memory: Memories, self_mask: torch.Tensor, pasts):
        """Run every layer → hidden (B, T, D), the last layer's weights per stream (B, T, S_i), new keys/values."""
        new_keys, new_values = [], []
        for index, layer in enumerate(self.layers):
            x, weights, (keys, values) = layer(x, pasts[index] if pasts else None, self_mask, memory, index)
            new_keys.append(keys)
            new_values.append(values)
        heads_mean = {name: w.mean(dim=1) for name, w in weights.items()}
        return self.final_norm(x), heads_mean, tuple(new_keys), tuple(new_values)

    def teacher_forced(self, targets_in: torch.Tensor, memory: Memories, state: TransformerState
                       ) -> tuple[torch.Tensor, Attention]:
        steps = targets_in.size(1)
        self_mask = causal_mask(steps, targets_in.device).expand(targets_in.size(0), -1, -1)  # (B, T, T)
        hidden, weights, _, _ = self._layers(self._embed(targets_in, 0), memory, self_mask, None)
        return hidden, weights

    def step(self, tokens: torch.Tensor, memory: Memories, state: TransformerState
             ) -> tuple[torch.Tensor, Attention, TransformerState]:
        start = state.keys[0].size(2)  # steps decoded so far: a size, so a traced graph keeps it symbolic
        x = self._embed(tokens.unsqueeze(1), start)  # (B, 1, D)
        self_mask = torch.ones(tokens.size(0), 1, start + 1, dtype=torch.bool, device=tokens.device)
        pasts = list(zip(state.keys, state.values))
        hidden, weights, keys, values = self._layers(x, memory, self_mask, pasts)
        next_state = TransformerState(keys, values, state.steps + 1)
        return hidden.squeeze(1), {name: w.squeeze(1) for name, w in weights.items()}, next_state
