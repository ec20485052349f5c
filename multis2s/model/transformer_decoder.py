"""The Transformer decoder: masked self-attention, cross-attention, sinusoidal positions.

Pre-norm residual layers (LayerNorm before each sub-layer, a final LayerNorm). For step-wise
search the self-attention keys/values of earlier steps travel in the decoder state (never on the
module). The returned attention is the last layer's cross-attention averaged over heads. With
several encoders every layer cross-attends each stream's memory and fuses the results
(:class:`~multis2s.model.fusion.ContextFusion`); the attention returned is then the streams'
weights side by side.

Shapes: B batch, T target steps, S source steps, D model size, H heads, V vocabulary.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from multis2s.model.decoder import Decoder, mix_predictions
from multis2s.model.encoder import Encoded, EncoderOutput, Memories, Memory, stream_memories
from multis2s.model.fusion import ContextFusion, FusionKind, presence
from multis2s.model.masks import causal_mask
from multis2s.model.multihead import MultiHeadAttention
from multis2s.model.positions import sinusoidal_positions


class TransformerState(NamedTuple):
    """keys, values: per layer (B, H, t, D/H) of the t steps decoded so far; steps: (B,) = t."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]
    steps: torch.Tensor


class DecoderLayer(nn.Module):
    """Self-attention, cross-attention (one per stream, fused) and feed-forward, each as x + f(norm(x))."""

    def __init__(self, *, model_dim: int, heads: int, ff_dim: int, dropout: float, streams: int,
                 fusion: str) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(query_dim=model_dim, memory_dim=model_dim, model_dim=model_dim,
                                                 heads=heads, dropout=dropout)
        self.cross_attentions = nn.ModuleList(
            MultiHeadAttention(query_dim=model_dim, memory_dim=model_dim, model_dim=model_dim, heads=heads,
                               dropout=dropout)
            for _ in range(streams)
        )
        self.fusion = (ContextFusion(kind=fusion, context_dims=(model_dim,) * streams, query_dim=model_dim,
                                     output_dim=model_dim) if streams > 1 else None)
        self.feed_forward = nn.Sequential(nn.Linear(model_dim, ff_dim), nn.ReLU(), nn.Dropout(dropout),
                                          nn.Linear(ff_dim, model_dim))
        self.norms = nn.ModuleList(nn.LayerNorm(model_dim) for _ in range(3))
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        past: tuple[torch.Tensor, torch.Tensor] | None,
        self_mask: torch.Tensor,
        crosses: list[tuple[torch.Tensor, torch.Tensor]],
        memories: tuple[Memory, ...],
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, D); past keys/values (B, H, t, D/H) or None; self_mask (B, T, t+T); per stream the
        cross keys/values (B, H, S_i, D/H) and its memory (for the mask).

        Returns x (B, T, D), cross-attention weights (B, H, T, ΣS_i), keys/values incl. this call's.
        """
        normed = self.norms[0](x)
        keys, values = self.self_attention.project(normed)  # (B, H, T, D/H)
        if past is not None:
            keys, values = torch.cat([past[0], keys], dim=2), torch.cat([past[1], values], dim=2)
        attended, _ = self.self_attention(normed, keys, values, self_mask)
        x = x + self.dropout(attended)
        normed = self.norms[1](x)
        attended, weights = [], []
        for attention, (keys_i, values_i), memory in zip(self.cross_attentions, crosses, memories):
            stream_attended, stream_weights = attention(normed, keys_i, values_i, memory.mask)
            here = presence(memory).to(stream_weights.dtype)[:, None, None, None]
            attended.append(stream_attended)
            weights.append(stream_weights * here)
        if self.fusion is None:
            fused = attended[0]
        else:
            fused = self.fusion(normed, attended, [presence(m) for m in memories])
        x = x + self.dropout(fused)
        x = x + self.dropout(self.feed_forward(self.norms[2](x)))
        return x, torch.cat(weights, dim=-1), (keys, values)


class TransformerDecoder(Decoder):
    """A stack of pre-norm Transformer decoder layers over a projected memory."""

    def __init__(
        self,
        *,
        vocab_size: int,
        pad_id: int,
        memory_dim: int | tuple[int, ...],
        state_dim: int,
        model_dim: int = 256,
        heads: int = 4,
        layers: int = 3,
        ff_dim: int = 1024,
        dropout: float = 0.1,
        fusion: FusionKind = "concat",
        tie_embeddings: bool = False,
    ) -> None:
        super().__init__()
        if model_dim % 2:
            raise ValueError(f"model_dim must be even for sinusoidal positions, got {model_dim}")
        self.vocab_size = vocab_size
        self.model_dim = model_dim
        self.embedding = nn.Embedding(vocab_size, model_dim, padding_idx=pad_id)
        memory_dims = memory_dim if isinstance(memory_dim, tuple) else (memory_dim,)
        self.memory_projections = nn.ModuleList(
            nn.Linear(d, model_dim) if d != model_dim else nn.Identity() for d in memory_dims
        )
        self.layers = nn.ModuleList(
            DecoderLayer(model_dim=model_dim, heads=heads, ff_dim=ff_dim, dropout=dropout,
                         streams=len(memory_dims), fusion=fusion)
            for _ in range(layers)
        )
        self.final_norm = nn.LayerNorm(model_dim)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(model_dim, vocab_size)
        if tie_embeddings:
            self.output.weight = self.embedding.weight

    def prepare(self, encoded: Encoded) -> Memory | Memories:
        """Per stream: the memory projected to D (B, S_i, D), and each layer's cross keys/values."""
        outputs = (encoded,) if isinstance(encoded, EncoderOutput) else encoded.streams
        memories = []
        for index, (projection, output) in enumerate(zip(self.memory_projections, outputs)):
            values = projection(output.memory)  # (B, S_i, D)
            keys = tuple(t for layer in self.layers for t in layer.cross_attentions[index].project(values))
            memories.append(Memory(values, output.memory_mask, keys))
        return memories[0] if isinstance(encoded, EncoderOutput) else Memories(tuple(memories))

    def initial_state(self, encoded: Encoded) -> TransformerState:
        mask = encoded.memory_mask
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

    def _layers(self, x, memory: Memory, self_mask, pasts):
        """Run every layer; returns logits (B, T, V), last cross weights (B, T, S), new keys/values."""
        new_keys, new_values = [], []
        memories = stream_memories(memory)
        for index, layer in enumerate(self.layers):
            crosses = [(m.keys[2 * index], m.keys[2 * index + 1]) for m in memories]
            x, weights, (keys, values) = layer(x, pasts[index] if pasts else None, self_mask, crosses, memories)
            new_keys.append(keys)
            new_values.append(values)
        logits = self.output(self.final_norm(x))
        return logits, weights.mean(dim=1), tuple(new_keys), tuple(new_values)

    def _teacher_forced(self, targets_in: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        steps = targets_in.size(1)
        self_mask = causal_mask(steps, targets_in.device).expand(targets_in.size(0), -1, -1)  # (B, T, T)
        logits, weights, _, _ = self._layers(self._embed(targets_in, 0), memory, self_mask, None)
        return logits, weights

    def forward(
        self, targets_in: torch.Tensor, memory: Memory, state: TransformerState, teacher_forcing: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing below 1 uses two passes (scheduled sampling for parallel decoders):
        the first pass's predictions replace reference inputs with probability 1 - ratio."""
        if teacher_forcing < 1.0:
            with torch.no_grad():
                predicted = self._teacher_forced(targets_in, memory)[0].argmax(dim=-1)  # (B, T)
            mixed = mix_predictions(targets_in[:, 1:], predicted[:, :-1], teacher_forcing)
            targets_in = torch.cat([targets_in[:, :1], mixed], dim=1)
        return self._teacher_forced(targets_in, memory)

    def step(self, tokens: torch.Tensor, memory: Memory, state: TransformerState):
        start = int(state.steps[0])
        x = self._embed(tokens.unsqueeze(1), start)  # (B, 1, D)
        self_mask = torch.ones(tokens.size(0), 1, start + 1, dtype=torch.bool, device=tokens.device)
        pasts = list(zip(state.keys, state.values))
        logits, weights, keys, values = self._layers(x, memory, self_mask, pasts)
        return logits.squeeze(1), weights.squeeze(1), TransformerState(keys, values, state.steps + 1)
