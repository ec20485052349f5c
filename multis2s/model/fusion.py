"""Several encoder streams into one decoder: attend over each memory, then fuse the contexts.

Fusion kinds (``model.decoder.fusion``):
- ``concat``: the streams' contexts side by side (then projected where the decoder needs one size).
- ``gate``: each context projected to a common size and weighted by a learned softmax gate over the
  streams, scored from the query and that context: the decoder learns which stream to trust.

A stream absent from a row (its mask False everywhere, e.g. a missing video) contributes a zero
context and, with the gate, no weight, so the model decodes from the other streams.

Shapes: B batch, T target steps, S_i source steps of stream i, Dq query size, D_i memory size of
stream i, Dc fused context size.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from multis2s.model.attention import Attention
from multis2s.model.encoder import Memories, Memory
from multis2s.model.masks import masked_fill_min

FusionKind = Literal["concat", "gate"]
FUSION_KINDS: tuple[str, ...] = ("concat", "gate")


def presence(memory: Memory) -> torch.Tensor:
    """(B,) True for the rows in which the stream has at least one real position."""
    return memory.mask.any(dim=1)


class ContextFusion(nn.Module):
    """Per-stream contexts (B, T, D_i) → one context (B, T, Dc)."""

    def __init__(self, *, kind: str, context_dims: tuple[int, ...], query_dim: int, output_dim: int | None) -> None:
        """``output_dim`` None keeps ``concat``'s ΣD_i; ``gate`` needs a size (its common size)."""
        super().__init__()
        if kind not in FUSION_KINDS:
            raise ValueError(f"fusion {kind!r} is not one of {', '.join(FUSION_KINDS)}")
        self.kind = kind
        total = sum(context_dims)
        if kind == "concat":
            self.output_dim = output_dim or total
            self.project = nn.Linear(total, self.output_dim) if self.output_dim != total else nn.Identity()
        else:
            self.output_dim = output_dim or max(context_dims)
            self.projections = nn.ModuleList(
                nn.Linear(d, self.output_dim) if d != self.output_dim else nn.Identity() for d in context_dims
            )
            self.gate_scores = nn.ModuleList(nn.Linear(query_dim + self.output_dim, 1) for _ in context_dims)

    def forward(self, query: torch.Tensor, contexts: list[torch.Tensor], present: list[torch.Tensor]) -> torch.Tensor:
        """query (B, T, Dq); contexts: per stream (B, T, D_i); present: per stream (B,) → (B, T, Dc)."""
        kept = [c * p.to(c.dtype)[:, None, None] for c, p in zip(contexts, present)]
        if self.kind == "concat":
            return self.project(torch.cat(kept, dim=-1))
        projected = [project(c) for project, c in zip(self.projections, kept)]  # each (B, T, Dc)
        scores = torch.cat([score(torch.cat([query, c], dim=-1)) for score, c in zip(self.gate_scores, projected)],
                           dim=-1)  # (B, T, N streams)
        available = torch.stack(present, dim=-1).unsqueeze(1)  # (B, 1, N)
        gates = masked_fill_min(scores, available).softmax(dim=-1)  # (B, T, N)
        return (torch.stack(projected, dim=-1) * gates.unsqueeze(2)).sum(dim=-1)  # (B, T, Dc)


class StreamAttention(nn.Module):
    """One :class:`Attention` per stream plus a :class:`ContextFusion`, with Attention's interface.

    The weights it returns are the streams' weights side by side, (B, T, ΣS_i), each stream's
    summing to one on the rows where it is present.
    """

    def __init__(
        self,
        *,
        kind: str,
        fusion: str,
        query_dim: int,
        memory_dims: tuple[int, ...],
        hidden_dim: int,
        heads: int,
        location_channels: int,
        location_kernel: int,
    ) -> None:
        super().__init__()
        self.streams = nn.ModuleList(
            Attention(kind=kind, query_dim=query_dim, memory_dim=d, hidden_dim=hidden_dim, heads=heads,
                      location_channels=location_channels, location_kernel=location_kernel)
            for d in memory_dims
        )
        self.needs_previous = kind == "location"
        self.fusion = ContextFusion(kind=fusion, context_dims=memory_dims, query_dim=query_dim,
                                    output_dim=query_dim if fusion == "gate" else None)
        self.output_dim = self.fusion.output_dim

    def prepare(self, values: list[torch.Tensor], masks: list[torch.Tensor]) -> Memories:
        """Per stream (B, S_i, D_i) memory and (B, S_i) mask → the memories with their projections."""
        return Memories(tuple(Memory(v, m, attention.project(v)) for attention, v, m in zip(self.streams, values, masks)))

    def forward(
        self, query: torch.Tensor, memory: Memories, previous: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, Dq); ``previous`` (B, ΣS_i) → context (B, T, Dc), weights (B, T, ΣS_i)."""
        sizes = [m.mask.size(1) for m in memory.streams]
        previous_parts = previous.split(sizes, dim=1) if previous is not None else [None] * len(sizes)
        contexts, weights, present = [], [], []
        for attention, stream, before in zip(self.streams, memory.streams, previous_parts):
            context, stream_weights = attention(query, stream, before)
            here = presence(stream)
            contexts.append(context)
            weights.append(stream_weights * here.to(stream_weights.dtype)[:, None, None])
            present.append(here)
        return self.fusion(query, contexts, present), torch.cat(weights, dim=-1)
