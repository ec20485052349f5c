"""Batched beam search: every item of the batch at once, as B·K decoder rows.

Shapes: B batch, K beam, S_i source steps of stream i, V vocabulary, t steps so far.
"""

from __future__ import annotations

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq
from multis2s.search.hypothesis import Hypothesis, MaxLength, force_eos, real_attention


def length_penalty(length: int, alpha: float) -> float:
    """GNMT's ((5 + length) / 6) ** alpha; 1 when alpha is 0."""
    return ((5.0 + length) / 6.0) ** alpha


class BeamSearch:
    """The ``n_best`` best of ``beam`` hypotheses per item, scored by length-normalised log-probability.

    Each step scores the K·V continuations of every item, keeps the 2K best: those ending in EOS
    among the first K become finished hypotheses, the first K others live on. An item stops when
    its K best finished hypotheses all score at least the best that a live beam could still reach
    (log-probabilities only fall as a hypothesis grows; the length penalty is at most that of the
    item's maximum length); its ``n_best`` best by normalised score are returned.
    """

    def __init__(self, *, beam: int = 4, n_best: int = 1, length_penalty: float = 0.0) -> None:
        """beam: hypotheses kept per item. n_best: how many are returned (at most ``beam``).
        length_penalty: GNMT's alpha; scores are divided by ((5 + length) / 6) ** alpha."""
        if beam < 1:
            raise ValueError(f"beam must be >= 1, got {beam}")
        if not 1 <= n_best <= beam:
            raise ValueError(f"n_best ({n_best}) must be between 1 and the beam size ({beam})")
        self.beam, self.n_best, self.alpha = beam, n_best, length_penalty

    @torch.no_grad()
    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        beam, alpha = self.beam, self.alpha
        decoder = model.decoder
        streams = model.encode(sources, lengths)
        first = decoder.prepare(streams)
        batch = first.batch_size
        memory = first.repeat(beam)
        state = map_tensors(decoder.initial_state(streams), lambda t: t.repeat_interleave(beam, dim=0))
        device = memory.device
        limits = max_length.limits(memory)  # (B·K,)
        tokens = torch.full((batch * beam,), BOS_ID, dtype=torch.long, device=device)
        scores = torch.full((batch, beam), float("-inf"), device=device)
        scores[:, 0] = 0.0
        history = torch.zeros(batch * beam, 0, dtype=torch.long, device=device)  # (B·K, t)
        attention = {name: torch.zeros(batch * beam, 0, m.mask.size(1), device=device)  # (B·K, t, S_i)
                     for name, m in memory.streams.items()}
        finished: list[list[tuple[float, list[int], dict[str, torch.Tensor]]]] = [[] for _ in range(batch)]
        done = [False] * batch
        vocab = decoder.vocab_size
        masks = first.masks()  # per stream (B, S_i)
        for step in range(int(limits.max())):
            hidden, weights, state = decoder.step(tokens, memory, state)
            log_probs = force_eos(decoder.output(hidden), step + 1 >= limits)  # (B·K, V)
            candidates = (scores.view(-1, 1) + log_probs).view(batch, beam * vocab)  # (B, K·V)
            top_scores, top_index = candidates.topk(2 * beam, dim=1)  # (B, 2K)
            origin = top_index // vocab  # (B, 2K) beam each candidate extends
            token = top_index % vocab
            is_eos = token == EOS_ID
            rows = (origin + torch.arange(batch, device=device).unsqueeze(1) * beam)  # (B, 2K) flat rows
            new_attention = {name: torch.cat([attention[name], w.unsqueeze(1)], dim=1)  # (B·K, t+1, S_i)
                             for name, w in weights.items()}
            for b, rank in (is_eos[:, :beam] & torch.isfinite(top_scores[:, :beam])).nonzero().tolist():
                if done[b]:
                    continue
                row = int(rows[b, rank])
                out = history[row].tolist()
                normalised = float(top_scores[b, rank]) / length_penalty(len(out) + 1, alpha)
                item_weights = {name: w[row] for name, w in new_attention.items()}
                item_masks = {name: m[b] for name, m in masks.items()}
                finished[b].append((normalised, out, real_attention(item_weights, item_masks, len(out) + 1)))
            rank_key = is_eos.float() * (2 * beam) + torch.arange(2 * beam, device=device)  # EOS last
            keep = rank_key.argsort(dim=1)[:, :beam]  # (B, K) first K non-EOS candidates
            chosen_rows = rows.gather(1, keep).view(-1)  # (B·K,)
            scores = top_scores.gather(1, keep)
            tokens = token.gather(1, keep).view(-1)
            history = torch.cat([history[chosen_rows], tokens.unsqueeze(1)], dim=1)
            attention = {name: w[chosen_rows] for name, w in new_attention.items()}
            state = map_tensors(state, lambda t: t.index_select(0, chosen_rows))
            best_live = scores.max(dim=1).values.tolist()  # (B,)
            for b in range(batch):
                if done[b] or len(finished[b]) < beam:
                    continue
                finished[b] = sorted(finished[b], key=lambda item: -item[0])[:beam]
                reachable = best_live[b] / length_penalty(int(limits[b * beam]), alpha)
                done[b] = finished[b][-1][0] >= reachable
            if all(done):
                break
        results = []
        for b in range(batch):
            ranked = sorted(finished[b], key=lambda item: -item[0])[: self.n_best]
            results.append([Hypothesis(out, score, att) for score, out, att in ranked])
        return results
