"""A pre-norm Transformer encoder stack over (B, S, D) inputs, for encoder plugins to wrap.

Shapes: B batch, S steps, D model size, H heads.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from multis2s.model.dropout import Dropout
from multis2s.model.multihead import MultiHeadAttention
from multis2s.model.positions import sinusoidal_positions


class EncoderLayer(nn.Module):
    """Self-attention and feed-forward, each as x + f(norm(x)); padded keys are never attended."""

    def __init__(self, *, model_dim: int, heads: int, ff_dim: int, dropout: float) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(query_dim=model_dim, memory_dim=model_dim, model_dim=model_dim,
                                            heads=heads, dropout=dropout)
        self.feed_forward = nn.Sequential(nn.Linear(model_dim, ff_dim), nn.ReLU(), Dropout(dropout),
                                          nn.Linear(ff_dim, model_dim))
        self.norms = nn.ModuleList(nn.LayerNorm(model_dim) for _ in range(2))
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, S, D), mask (B, S) True on real positions → (B, S, D)."""
        normed = self.norms[0](x)
        keys, values = self.attention.project(normed)
        attended, _ = self.attention(normed, keys, values, mask)
        x = x + self.dropout(attended)
        return x + self.dropout(self.feed_forward(self.norms[1](x)))


class TransformerEncoderStack(nn.Module):
    """Scaled inputs + sinusoidal positions → ``layers`` encoder layers → LayerNorm."""

    def __init__(self, *, model_dim: int, heads: int, layers: int, ff_dim: int, dropout: float) -> None:
        super().__init__()
        if model_dim % 2:
            raise ValueError(f"model_dim must be even for sinusoidal positions, got {model_dim}")
        self.model_dim = model_dim
        self.layers = nn.ModuleList(
            EncoderLayer(model_dim=model_dim, heads=heads, ff_dim=ff_dim, dropout=dropout) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(model_dim)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, S, D) embedded inputs, mask (B, S) → (B, S, D), zero at padded positions."""
        positions = sinusoidal_positions(torch.arange(x.size(1), device=x.device), self.model_dim)
        x = self.dropout(x * math.sqrt(self.model_dim) + positions.to(x.dtype))
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x) * mask.unsqueeze(-1)
