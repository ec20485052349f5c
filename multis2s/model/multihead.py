"""Scaled dot-product multi-head attention that returns its weights (B, H, T, S)."""

from __future__ import annotations

import math

import torch
from torch import nn

from multis2s.model.dropout import Dropout
from multis2s.model.masks import masked_fill_min


class MultiHeadAttention(nn.Module):
    """Multi-head attention from queries of size ``query_dim`` over keys/values of ``memory_dim``.

    The output has size ``model_dim``. Keys and values are projected by :meth:`project` once per
    memory, so a decoder stepping through time never recomputes them.
    """

    def __init__(self, *, query_dim: int, memory_dim: int, model_dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if model_dim % heads:
            raise ValueError(f"model size {model_dim} is not divisible by {heads} heads")
        self.heads = heads
        self.head_dim = model_dim // heads
        self.query = nn.Linear(query_dim, model_dim)
        self.key = nn.Linear(memory_dim, model_dim)
        self.value = nn.Linear(memory_dim, model_dim)
        self.out = nn.Linear(model_dim, model_dim)
        self.dropout = Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        return x.view(batch, steps, self.heads, self.head_dim).transpose(1, 2)  # (B, H, S, D/H)

    def project(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """memory (B, S, Dm) → keys, values (B, H, S, D/H)."""
        return self._split(self.key(memory)), self._split(self.value(memory))

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq); keys, values (B, H, S, D/H); mask (B, S) or (B, T, S), True = attend.

        Returns output (B, T, D) and weights (B, H, T, S).
        """
        q = self._split(self.query(query))  # (B, H, T, D/H)
        scores = q @ keys.transpose(-1, -2) / math.sqrt(self.head_dim)  # (B, H, T, S)
        mask = mask.unsqueeze(1) if mask.dim() == 3 else mask[:, None, None, :]  # (B, 1, T|1, S)
        weights = masked_fill_min(scores, mask).softmax(dim=-1)
        context = self.dropout(weights) @ values  # (B, H, T, D/H)
        batch, _, steps, _ = context.shape
        merged = context.transpose(1, 2).reshape(batch, steps, -1)  # (B, T, D)
        return self.out(merged), weights
