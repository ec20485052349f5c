"""Connectionist temporal classification beside the attention decoder (Kim et al. 2017; Watanabe et al. 2017).

:class:`CTCHead` reads one stream's encoder memory and predicts, per encoded step, a distribution
over the target vocabulary in which the PAD id serves as CTC's blank (no target ever holds PAD).
Training mixes its loss into the decoder's (``model.ctc_weight``); beam search mixes its prefix
score into the attention score (``eval.search: {type: beam, ctc_weight: …}``, see
:class:`CTCPrefixScorer`); ``ctc_greedy`` decodes from it alone.

Shapes: B batch, N decoder rows, S encoded steps, C candidate tokens, T target steps, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.data.vocabulary import EOS_ID, PAD_ID

BLANK_ID = PAD_ID
"""CTC's blank: the padding id, which no target contains."""


@dataclass
class CTCOutput:
    """log_probs (B, S, V) float32 per encoded step; lengths (B,) real steps of each row."""

    log_probs: torch.Tensor
    lengths: torch.Tensor


class CTCHead(nn.Module):
    """A linear layer and a float32 log-softmax over one stream's memory."""

    def __init__(self, *, memory_dim: int, vocab_size: int) -> None:
        super().__init__()
        self.project = nn.Linear(memory_dim, vocab_size)

    def forward(self, memory: torch.Tensor, memory_mask: torch.Tensor) -> CTCOutput:
        """memory (B, S, D), memory_mask (B, S) True on real steps → :class:`CTCOutput`."""
        return CTCOutput(self.project(memory).float().log_softmax(dim=-1), memory_mask.sum(dim=1))


def ctc_loss_sum(output: CTCOutput, targets_out: torch.Tensor) -> torch.Tensor:
    """The CTC loss summed over the batch. targets_out (B, T): first token … EOS, then PAD; the
    labels are the tokens before EOS. An impossible alignment (more labels than steps) counts 0."""
    labels = targets_out.masked_fill(targets_out == EOS_ID, PAD_ID)
    label_lengths = (labels != PAD_ID).sum(dim=1)
    return F.ctc_loss(output.log_probs.transpose(0, 1), labels, output.lengths, label_lengths, blank=BLANK_ID,
                      reduction="sum", zero_infinity=True)


class CTCPrefixScorer:
    """The CTC prefix probability of every live hypothesis, extended token by token.

    For a prefix h the state holds, per encoded step t, log r_t^n(h) and log r_t^b(h): the
    probability of the frames up to t having been read as h with the last frame on h's last label
    (n) or on a blank (b). ``score(candidates)`` gives log ψ(h·c) for each candidate c (the
    probability that the output begins with h·c) and, for EOS, log p(h | x) (it is exactly h);
    ``select`` keeps the chosen extensions (Watanabe et al. 2017, Algorithm 2).
    """

    def __init__(self, output: CTCOutput) -> None:
        log_probs, lengths = output.log_probs, output.lengths
        rows, steps, _ = log_probs.shape
        real = torch.arange(steps, device=log_probs.device).unsqueeze(0) < lengths.unsqueeze(1)  # (N, S)
        self.log_probs = log_probs.masked_fill(~real.unsqueeze(2), float("-inf"))  # no mass beyond a row's end
        self.lengths = lengths
        self.blank = self.log_probs[:, :, BLANK_ID]  # (N, S)
        self.r_n = torch.full((rows, steps), float("-inf"), device=log_probs.device)
        self.r_b = self.blank.cumsum(dim=1)  # the empty prefix: blanks only
        self.last = torch.full((rows,), -1, dtype=torch.long, device=log_probs.device)
        self.prefix = torch.zeros(rows, device=log_probs.device)  # log ψ(h); the empty prefix is certain
        self._pending: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def score(self, candidates: torch.Tensor) -> torch.Tensor:
        """candidates (N, C) token ids → log ψ(h·c) (N, C)."""
        rows, steps = self.r_n.shape
        emit = self.log_probs.gather(2, candidates.unsqueeze(1).expand(rows, steps, -1))  # (N, S, C)
        total = torch.logaddexp(self.r_n, self.r_b).unsqueeze(2)  # (N, S, 1)
        repeat = (candidates == self.last.unsqueeze(1)).unsqueeze(1)  # (N, 1, C): c repeats h's last label
        phi = torch.where(repeat, self.r_b.unsqueeze(2), total)  # (N, S, C)
        r_n = torch.full_like(emit, float("-inf"))
        r_b = torch.full_like(emit, float("-inf"))
        empty = (self.last < 0).view(rows, 1)
        r_n[:, 0] = torch.where(empty, emit[:, 0], torch.full_like(emit[:, 0], float("-inf")))
        for t in range(1, steps):
            r_n[:, t] = torch.logaddexp(r_n[:, t - 1], phi[:, t - 1]) + emit[:, t]
            r_b[:, t] = torch.logaddexp(r_b[:, t - 1], r_n[:, t - 1]) + self.blank[:, t].unsqueeze(1)
        start = torch.where(empty, emit[:, 0], torch.full_like(emit[:, 0], float("-inf")))  # (N, C)
        psi = torch.logsumexp(torch.cat([start.unsqueeze(1), phi[:, :-1] + emit[:, 1:]], dim=1), dim=1)
        end = (self.lengths - 1).clamp(min=0).view(rows, 1)
        whole = torch.logaddexp(self.r_n.gather(1, end), self.r_b.gather(1, end))  # (N, 1) log p(h | x)
        psi = torch.where(candidates == EOS_ID, whole.expand_as(psi), psi)
        self._pending = (candidates, r_n, r_b)
        return psi

    def select(self, rows: torch.Tensor, columns: torch.Tensor, scores: torch.Tensor) -> None:
        """Keep, as the new live hypotheses, extension ``columns`` (M,) of the last :meth:`score`'s
        candidates of ``rows`` (M,), whose prefix scores are ``scores`` (M,)."""
        candidates, r_n, r_b = self._pending
        self.r_n, self.r_b = r_n[rows, :, columns], r_b[rows, :, columns]
        self.last = candidates[rows, columns]
        self.log_probs, self.blank, self.lengths = self.log_probs[rows], self.blank[rows], self.lengths[rows]
        self.prefix = scores
        self._pending = None
