"""Attention kinds of the RNN decoder: one query per target step over one stream's memory.

Each kind is a small class holding only its own options, registered by name through the
``register_attentions`` hook (the core registers these). The decoder builds one per encoder
stream and supplies ``query_dim`` (its hidden size) and ``memory_dim`` (that stream's size).

- ``none``: no alignment; every step reads the same single context vector (the mean of the
  memory), the fixed-size bottleneck of classic sequence-to-sequence models.
- ``dot`` (Luong): score = q·m; needs the query size to equal the memory size.
- ``general`` (Luong): score = q·W m.
- ``additive`` (Bahdanau): score = v·tanh(W q + U m), with a hidden layer of size ``dim``.
- ``location`` (Chorowski et al., 2015): additive scoring plus features of the previous step's
  weights (a 1-D convolution with ``channels`` filters of width ``kernel``), which favours
  monotonic alignments as in speech. It needs the previous weights, so the decoder runs it one
  step at a time.
- ``multihead``: scaled dot-product attention with ``heads`` heads; weights averaged over heads.

Shapes: query (B, T, Dq), memory (B, S, Dm), mask (B, S); context (B, T, Dm), weights (B, T, S);
A the additive hidden size.
"""

from __future__ import annotations

from typing import Annotated

import torch
from torch import nn

from multis2s.model.masks import masked_fill_min
from multis2s.model.multihead import MultiHeadAttention
from multis2s.model.streams import Memory
from multis2s.ranges import Range


class Attention(nn.Module):
    """Base of the attention kinds: scores queries against one memory."""

    needs_previous = False
    """True when :meth:`forward` needs the previous step's weights (then T must be 1)."""

    def project(self, memory: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The per-memory projections (computed once per batch): memory (B, S, Dm) → keys."""
        return ()

    def forward(self, query: torch.Tensor, memory: Memory, previous: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq) → context (B, T, Dm), weights (B, T, S); ``previous`` (B, S) or None."""
        scores = self.scores(query, memory, previous)  # (B, T, S)
        weights = masked_fill_min(scores, memory.mask.unsqueeze(1)).softmax(dim=-1)
        return weights @ memory.values, weights

    def scores(self, query: torch.Tensor, memory: Memory, previous: torch.Tensor | None) -> torch.Tensor:
        """(B, T, S) unnormalised scores."""
        raise NotImplementedError


class NoAttention(Attention):
    """Uniform weights over the real positions: every step reads the mean of the memory."""

    def __init__(self, *, query_dim: int, memory_dim: int) -> None:
        super().__init__()

    def forward(self, query: torch.Tensor, memory: Memory, previous: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        mask = memory.mask.unsqueeze(1)  # (B, 1, S)
        uniform = mask.to(memory.values.dtype) / mask.sum(dim=-1, keepdim=True)  # (B, 1, S)
        weights = uniform.expand(-1, query.size(1), -1)  # (B, T, S)
        return weights @ memory.values, weights


class DotAttention(Attention):
    """Luong's dot score q·m."""

    def __init__(self, *, query_dim: int, memory_dim: int) -> None:
        super().__init__()
        if query_dim != memory_dim:
            raise ValueError(
                f"dot attention needs the decoder hidden size ({query_dim}) to equal the encoder "
                f"output_dim ({memory_dim}); use 'general' or change a size"
            )

    def scores(self, query, memory, previous):
        return query @ memory.values.transpose(1, 2)


class GeneralAttention(Attention):
    """Luong's general score q·W m (W projects the memory to the query size)."""

    def __init__(self, *, query_dim: int, memory_dim: int) -> None:
        super().__init__()
        self.key = nn.Linear(memory_dim, query_dim, bias=False)

    def project(self, memory):
        return (self.key(memory),)  # (B, S, Dq)

    def scores(self, query, memory, previous):
        (keys,) = memory.keys
        return query @ keys.transpose(1, 2)


class AdditiveAttention(Attention):
    """Bahdanau's score v·tanh(W q + U m).

    Computed as 2·v·σ(2W q + 2U m) − Σv, the same function: on the CPU ``torch.tanh`` costs three to
    four times ``torch.sigmoid`` over the (B, T, S, A) energies, the largest elementwise tensor of
    an RNN decoder step, and the doubling and the affine map fold into the keys (doubled once per
    batch), the query and the energy weights. The values differ from ``tanh``'s by float rounding.
    """

    def __init__(self, *, query_dim: int, memory_dim: int, dim: Annotated[int, Range(ge=1)] = 256) -> None:
        """dim: size of the hidden layer between the query/memory projections and the score."""
        super().__init__()
        self.key = nn.Linear(memory_dim, dim, bias=False)
        self.query = nn.Linear(query_dim, dim)
        self.energy = nn.Linear(dim, 1, bias=False)

    def project(self, memory):
        return (self.key(memory) * 2,)  # (B, S, A): 2 U m

    def scores(self, query, memory, previous):
        (keys,) = memory.keys
        return self.score_keys(query, keys)

    def score_keys(self, query: torch.Tensor, doubled_keys: torch.Tensor) -> torch.Tensor:
        """v·tanh(W q + keys): query (B, T, Dq), doubled keys 2·keys (B, S, A) → (B, T, S)."""
        doubled_query = self.query(query) * 2  # (B, T, A)
        gates = torch.sigmoid(doubled_query.unsqueeze(2) + doubled_keys.unsqueeze(1))  # (B, T, S, A)
        energy = self.energy.weight.view(-1)  # (A,)
        return (gates @ energy) * 2 - energy.sum()


class LocationAttention(Attention):
    """Additive scoring whose keys also see a convolution over the previous step's weights
    (Chorowski et al., 2015)."""

    needs_previous = True

    def __init__(self, *, query_dim: int, memory_dim: int, dim: Annotated[int, Range(ge=1)] = 256,
                 channels: Annotated[int, Range(ge=1)] = 10, kernel: Annotated[int, Range(ge=1)] = 31) -> None:
        """dim: additive hidden size; channels, kernel: filters over the previous weights (kernel odd)."""
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"location attention's kernel must be odd, got {kernel}")
        self.location_conv = nn.Conv1d(1, channels, kernel, padding=kernel // 2, bias=False)
        self.location = nn.Linear(channels, dim, bias=False)
        self.additive = AdditiveAttention(query_dim=query_dim, memory_dim=memory_dim, dim=dim)

    def project(self, memory):
        return self.additive.project(memory)  # (B, S, A)

    def scores(self, query, memory, previous):
        if previous is None or query.size(1) != 1:
            raise ValueError("location attention runs one step at a time with the previous weights")
        (keys,) = memory.keys
        features = self.location_conv(previous.unsqueeze(1)).transpose(1, 2)  # (B, S, channels)
        return self.additive.score_keys(query, keys + self.location(features) * 2)


class MultiheadAttention(Attention):
    """Scaled dot-product attention with several heads; the weights returned are their mean."""

    def __init__(self, *, query_dim: int, memory_dim: int, heads: Annotated[int, Range(ge=1)] = 4) -> None:
        """heads: attention heads; the memory size must be divisible by it."""
        super().__init__()
        self.multihead = MultiHeadAttention(query_dim=query_dim, memory_dim=memory_dim, model_dim=memory_dim,
                                            heads=heads)

    def project(self, memory):
        return self.multihead.project(memory)  # 2 × (B, H, S, Dm/H)

    def forward(self, query, memory, previous=None):
        keys, values = memory.keys
        context, weights = self.multihead(query, keys, values, memory.mask)
        return context, weights.mean(dim=1)  # (B, T, Dm), (B, T, S)

