"""Greedy search: the most probable token at every step, for the whole batch at once.

Shapes: B batch, S_i source steps of stream i, V vocabulary.
"""

from __future__ import annotations

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.model.seq2seq import Seq2Seq
from multis2s.search.hypothesis import Hypothesis, MaxLength, force_eos, real_attention


class GreedySearch:
    """One hypothesis per item: the argmax at every step, until EOS or the length limit."""

    @torch.no_grad()
    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        decoder = model.decoder
        streams = model.encode(sources, lengths)
        memory, state = decoder.prepare(streams), decoder.initial_state(streams)
        limits = max_length.limits(memory)  # (B,)
        batch = limits.size(0)
        tokens = torch.full((batch,), BOS_ID, dtype=torch.long, device=limits.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=limits.device)
        scores = torch.zeros(batch, device=limits.device)
        emitted, weights_per_step = [], []
        for step in range(int(limits.max())):
            hidden, weights, state = decoder.step(tokens, memory, state)
            log_probs = force_eos(decoder.output(hidden), step + 1 >= limits)  # (B, V)
            best, tokens = log_probs.max(dim=-1)
            scores += torch.where(finished, torch.zeros_like(best), best)
            emitted.append(tokens)
            weights_per_step.append(weights)
            finished |= tokens == EOS_ID
            if bool(finished.all()):
                break
        ids = torch.stack(emitted, dim=1).tolist()  # (B, steps)
        attention = {name: torch.stack([w[name] for w in weights_per_step], dim=1)  # (B, steps, S_i)
                     for name in weights_per_step[0]}
        masks = memory.masks()
        results = []
        for row in range(batch):
            out = ids[row][: ids[row].index(EOS_ID)] if EOS_ID in ids[row] else ids[row]
            steps = min(len(out) + 1, len(ids[row]))
            row_weights = {name: w[row] for name, w in attention.items()}
            row_masks = {name: m[row] for name, m in masks.items()}
            results.append([Hypothesis(out, float(scores[row]), real_attention(row_weights, row_masks, steps))])
        return results
