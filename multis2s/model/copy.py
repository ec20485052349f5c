"""The copy mechanism (pointer-generator, See et al. 2017), mixed in at the output layer.

A learned switch ``p_gen = σ(w · [context; hidden; input embedding])`` mixes the vocabulary
distribution with the decoder's attention over the source tokens of one text stream (the copy
stream):

    P(w) = p_gen · P_vocab(w) + (1 − p_gen) · Σ_{i: x_i = w} a_i

over an *extended* vocabulary: per batch row, the source words the target vocabulary lacks get
the ids V, V+1, … in their order of first appearance (:mod:`multis2s.data.copy_source` builds
them), so a word never seen in training can be produced by copying it. The context is the
attention-weighted sum of the copy stream's memory. Everything is computed in float32 log space
(``logaddexp`` of the two terms); columns no row can produce are −inf.

The batch's extended ids of the copy stream's source positions travel in the sources mapping
under :data:`COPY_SOURCE` (so every search and the loss get them with no new argument), then on
the decoder's :class:`~multis2s.model.streams.Memories` (reordered with the beams).

Shapes: B batch (or decoder rows), T target steps (absent for one step), S source steps of the
copy stream, D its memory size, H hidden, E embedding, V vocabulary, O source words the
vocabulary lacks (the most of any row of the batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.errors import ConfigError

COPY_SOURCE = "<copy>"
"""The key of the copy stream's extended source ids (B, S) in a batch's sources (not a stream name)."""

ABSENT = -1e9
"""A finite log-probability for "no mass" inside the mix (exp underflows to exactly 0; gradients stay finite)."""


def copy_log_probs(log_vocab: torch.Tensor, switch: torch.Tensor, attention: torch.Tensor, copy_ids: torch.Tensor,
                   mask: torch.Tensor) -> torch.Tensor:
    """The mixed distribution over the extended vocabulary, as log-probabilities.

    log_vocab (B, T, V): the vocabulary's log-probabilities; switch (B, T): the logit of p_gen;
    attention (B, T, S) over the copy stream; copy_ids (B, S) extended ids of its source tokens;
    mask (B, S) True on real positions (padding gets no copy mass). A row without the stream (mask
    all False) keeps the vocabulary distribution. → (B, T, V + O), −inf on the extended ids that
    are not among the row's source words.
    """
    batch, steps, vocab = log_vocab.shape
    if copy_ids.size(1) != attention.size(-1):
        raise ConfigError(f"model.copy: the copy stream's encoder returned {attention.size(-1)} memory steps for "
                          f"{copy_ids.size(1)} source tokens; copying needs one step per token")
    extended = max(vocab, int(copy_ids.max()) + 1) if copy_ids.numel() else vocab
    real = mask.to(torch.float32)  # (B, S)
    weights = attention.float() * real.unsqueeze(1)  # (B, T, S)
    mass = weights.new_zeros(batch, steps, extended).scatter_add_(2, copy_ids.unsqueeze(1).expand_as(weights),
                                                                    weights)  # (B, T, V+O)
    known = real.new_zeros(batch, extended).scatter_add_(1, copy_ids, real) > 0  # (B, V+O)
    valid = known | (torch.arange(extended, device=known.device) < vocab)  # (B, V+O)
    present = mask.any(dim=1).unsqueeze(1)  # (B, 1)
    switch = switch.float()
    log_generate = torch.where(present, F.logsigmoid(switch), 0.0).unsqueeze(-1)  # (B, T, 1)
    log_point = torch.where(present, F.logsigmoid(-switch), ABSENT).unsqueeze(-1)
    log_mass = torch.where(mass > 0, mass.clamp_min(torch.finfo(torch.float32).tiny).log(), ABSENT)
    generated = F.pad(log_vocab.float(), (0, extended - vocab), value=ABSENT)
    mixed = torch.logaddexp(log_generate + generated, log_point + log_mass)
    return mixed.masked_fill(~valid.unsqueeze(1), float("-inf"))


class PointerGenerator(nn.Module):
    """The switch p_gen and the mix of :func:`copy_log_probs` over the attention of stream ``stream``."""

    def __init__(self, *, stream: str, hidden_dim: int, embedding_dim: int, context_dim: int) -> None:
        super().__init__()
        self.stream = stream
        self.switch = nn.Linear(context_dim + hidden_dim + embedding_dim, 1)

    def forward(self, log_vocab: torch.Tensor, hidden: torch.Tensor, embedded: torch.Tensor,
                attention: dict[str, torch.Tensor], memory) -> torch.Tensor:
        """log_vocab (B, [T,] V), hidden (B, [T,] H), embedded (B, [T,] E) of the steps' input tokens,
        attention per stream (B, [T,] S_i), memory: the decoder's Memories → (B, [T,] V + O)."""
        if memory.copy_ids is None:
            raise ConfigError(f"model.copy: the batch has no copy source ids ({COPY_SOURCE!r} in its sources); "
                              "batches built by multis2s's loader have them")
        one_step = log_vocab.dim() == 2
        if one_step:
            log_vocab, hidden, embedded = log_vocab.unsqueeze(1), hidden.unsqueeze(1), embedded.unsqueeze(1)
        weights = attention[self.stream]
        weights = weights.unsqueeze(1) if one_step else weights  # (B, T, S)
        stream = memory.streams[self.stream]
        context = weights.to(stream.values.dtype) @ stream.values  # (B, T, D)
        switch = self.switch(torch.cat([context, hidden, embedded.to(hidden.dtype)], dim=-1)).squeeze(-1)  # (B, T)
        mixed = copy_log_probs(log_vocab, switch, weights, memory.copy_ids, stream.mask)
        return mixed.squeeze(1) if one_step else mixed
