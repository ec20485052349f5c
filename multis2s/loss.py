"""Cross-entropy over the non-pad target positions, with optional label smoothing."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sequence_loss(
    logits: torch.Tensor, targets: torch.Tensor, *, pad_id: int, label_smoothing: float = 0.0
) -> tuple[torch.Tensor, int]:
    """logits (B, T, V), targets (B, T) → (summed loss over real tokens, number of real tokens)."""
    loss = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)).float(),  # (B·T, V)
        targets.reshape(-1),  # (B·T,)
        ignore_index=pad_id,
        label_smoothing=label_smoothing,
        reduction="sum",
    )
    return loss, int((targets != pad_id).sum())
