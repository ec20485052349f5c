"""Attention of the RNN decoder: one query per target step over the encoder memory.

Kinds (``model.decoder.attention``):
- ``none``: no alignment; every step reads the same single context vector (the mean of the
  memory), the fixed-size bottleneck of classic sequence-to-sequence models.
- ``dot`` (Luong): score = q·m; needs the query size to equal the memory size.
- ``general`` (Luong): score = q·W m.
- ``additive`` (Bahdanau): score = v·tanh(W q + U m).
- ``multihead``: scaled dot-product attention with ``heads`` heads; weights averaged over heads.
- ``location`` (Chorowski et al., 2015): additive scoring plus features of the previous step's
  weights (a 1-D convolution over them), which favours monotonic alignments as in speech. It
  needs the previous weights, so the decoder runs it one step at a time.

Shapes: query (B, T, Dq), memory (B, S, Dm), mask (B, S); context (B, T, Dm), weights (B, T, S).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from multis2s.model.encoder import Memory
from multis2s.model.masks import masked_fill_min
from multis2s.model.multihead import MultiHeadAttention

AttentionKind = Literal["none", "dot", "general", "additive", "multihead", "location"]
ATTENTION_KINDS: tuple[str, ...] = ("none", "dot", "general", "additive", "multihead", "location")


class Attention(nn.Module):
    """Scores queries against a memory and returns the context and the weights."""

    def __init__(
        self,
        *,
        kind: str,
        query_dim: int,
        memory_dim: int,
        hidden_dim: int,
        heads: int,
        location_channels: int = 10,
        location_kernel: int = 31,
    ) -> None:
        super().__init__()
        if kind not in ATTENTION_KINDS:
            raise ValueError(f"attention {kind!r} is not one of {', '.join(ATTENTION_KINDS)}")
        if kind == "dot" and query_dim != memory_dim:
            raise ValueError(
                f"dot attention needs the decoder hidden size ({query_dim}) to equal the encoder "
                f"output_dim ({memory_dim}); use 'general' or change a size"
            )
        if kind == "location" and location_kernel % 2 == 0:
            raise ValueError(f"location_kernel must be odd, got {location_kernel}")
        self.kind = kind
        self.needs_previous = kind == "location"
        if kind == "location":
            self.location_conv = nn.Conv1d(1, location_channels, location_kernel, padding=location_kernel // 2,
                                           bias=False)
            self.location = nn.Linear(location_channels, hidden_dim, bias=False)
        if kind == "general":
            self.key = nn.Linear(memory_dim, query_dim, bias=False)
        elif kind in ("additive", "location"):
            self.key = nn.Linear(memory_dim, hidden_dim, bias=False)
            self.query = nn.Linear(query_dim, hidden_dim)
            self.energy = nn.Linear(hidden_dim, 1, bias=False)
        elif kind == "multihead":
            self.multihead = MultiHeadAttention(
                query_dim=query_dim, memory_dim=memory_dim, model_dim=memory_dim, heads=heads
            )

    def project(self, memory: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The per-memory projections (computed once per batch): memory (B, S, Dm) → keys."""
        if self.kind in ("general", "additive", "location"):
            return (self.key(memory),)  # (B, S, Dq | A)
        if self.kind == "multihead":
            return self.multihead.project(memory)  # 2 × (B, H, S, Dm/H)
        return ()

    def forward(
        self, query: torch.Tensor, memory: Memory, previous: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq) → context (B, T, Dm), weights (B, T, S).

        ``previous`` (B, S): the last step's weights, required by ``location`` (then T must be 1).
        """
        mask = memory.mask.unsqueeze(1)  # (B, 1, S)
        if self.kind == "multihead":
            keys, values = memory.keys
            context, weights = self.multihead(query, keys, values, memory.mask)
            return context, weights.mean(dim=1)  # (B, T, Dm), (B, T, S)
        if self.kind == "none":
            uniform = mask.to(memory.values.dtype) / mask.sum(dim=-1, keepdim=True)  # (B, 1, S)
            weights = uniform.expand(-1, query.size(1), -1)  # (B, T, S)
        else:
            weights = masked_fill_min(self._scores(query, memory, previous), mask).softmax(dim=-1)
        return weights @ memory.values, weights

    def _scores(self, query: torch.Tensor, memory: Memory, previous: torch.Tensor | None) -> torch.Tensor:
        """(B, T, S) unnormalised scores."""
        if self.kind == "dot":
            return query @ memory.values.transpose(1, 2)
        (keys,) = memory.keys
        if self.kind == "general":
            return query @ keys.transpose(1, 2)
        if self.kind == "location":
            if previous is None or query.size(1) != 1:
                raise ValueError("location attention runs one step at a time with the previous weights")
            features = self.location_conv(previous.unsqueeze(1)).transpose(1, 2)  # (B, S, channels)
            keys = keys + self.location(features)  # (B, S, A)
        hidden = torch.tanh(self.query(query).unsqueeze(2) + keys.unsqueeze(1))  # (B, T, S, A)
        return self.energy(hidden).squeeze(-1)
