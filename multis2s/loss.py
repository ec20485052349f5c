"""Negative log-likelihood over the non-pad target positions, with optional label smoothing."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sequence_loss(
    log_probs: torch.Tensor, targets: torch.Tensor, *, pad_id: int, label_smoothing: float = 0.0,
    vocab_size: int | None = None,
) -> tuple[torch.Tensor, int]:
    """log_probs (B, T, V), targets (B, T) → (summed loss over real tokens, number of real tokens).

    With label smoothing ε the loss of a token is (1 − ε)·NLL + ε·mean over the vocabulary of
    −log p (what ``torch.nn.functional.cross_entropy`` computes from logits); ``vocab_size``: the
    first columns that are the vocabulary (a copy model's extended columns are not smoothed).
    """
    flat = log_probs.reshape(-1, log_probs.size(-1))  # (B·T, V)
    gold = targets.reshape(-1)  # (B·T,)
    loss = F.nll_loss(flat, gold, ignore_index=pad_id, reduction="sum")
    if label_smoothing > 0:
        vocabulary = flat[:, :vocab_size]
        smooth = (-vocabulary.sum(dim=-1)).masked_fill(gold == pad_id, 0.0).sum()
        loss = (1 - label_smoothing) * loss + smooth * (label_smoothing / vocabulary.size(-1))
    return loss, int((targets != pad_id).sum())
