"""Greedy search: the most probable token at every step, for the whole batch at once.

Shapes: B batch, S_i source steps of stream i, V vocabulary.
"""

from __future__ import annotations

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq
from multis2s.search.hypothesis import Hypothesis, MaxLength, force_eos, real_attention


class GreedySearch:
    """One hypothesis per item: the argmax at every step, until EOS or the length limit.

    A row that has emitted EOS leaves the batch (its memory and state rows are dropped), so the
    steps of the remaining rows cost less.
    """

    @torch.no_grad()
    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        decoder = model.decoder
        streams = model.encode(sources, lengths)
        memory, state = decoder.prepare(streams), decoder.initial_state(streams)
        masks = memory.masks()
        limits = max_length.limits(memory)  # (N,) of the live rows
        batch, device = limits.size(0), limits.device
        rows = torch.arange(batch, device=device)  # (N,) the batch row of each live row
        tokens = torch.full((batch,), BOS_ID, dtype=torch.long, device=device)
        scores = torch.zeros(batch, device=device)
        emitted, weights_per_step = [], []
        for step in range(int(limits.max())):
            hidden, weights, state = decoder.step(decoder.inputs(tokens), memory, state)
            log_probs = force_eos(decoder.log_probs(hidden, tokens, weights, memory), step + 1 >= limits)  # (N, V)
            best, tokens = log_probs.max(dim=-1)
            scores.index_add_(0, rows, best)
            emitted.append(torch.full((batch,), EOS_ID, dtype=torch.long, device=device).index_copy_(0, rows, tokens))
            weights_per_step.append({name: w.new_zeros(batch, w.size(1)).index_copy_(0, rows, w)
                                     for name, w in weights.items()})
            going = tokens != EOS_ID  # (N,)
            if not bool(going.all()):
                if not bool(going.any()):
                    break
                kept = going.nonzero().squeeze(1)
                rows, tokens, limits = rows[kept], tokens[kept], limits[kept]
                memory, state = memory.select(kept), map_tensors(state, lambda t: t.index_select(0, kept))
        ids = torch.stack(emitted, dim=1).tolist()  # (B, steps)
        attention = {name: torch.stack([w[name] for w in weights_per_step], dim=1)  # (B, steps, S_i)
                     for name in weights_per_step[0]}
        results = []
        for row in range(batch):
            out = ids[row][: ids[row].index(EOS_ID)] if EOS_ID in ids[row] else ids[row]
            steps = min(len(out) + 1, len(ids[row]))
            row_weights = {name: w[row] for name, w in attention.items()}
            row_masks = {name: m[row] for name, m in masks.items()}
            results.append([Hypothesis(out, float(scores[row]), real_attention(row_weights, row_masks, steps))])
        return results
