"""Greedy and batched beam search over any decoder's ``step``.

Both return, for every batch item, a list of :class:`Hypothesis` (best first) with the token ids
(no BOS, no EOS), the log-probability score (length-normalised for beams) and the attention
weights of every emitted step, EOS included, over the real source positions (with several
encoder streams, each stream's real positions in turn). The maximum output length of an item is
``ceil(max_length_ratio · S) + max_length_offset``, S being its encoded source length.

Shapes: B batch, K beam, S source steps, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq

@dataclass
class Hypothesis:
    """tokens: ids without BOS/EOS; score: log-probability (normalised); attention: (steps, S)."""

    tokens: list[int]
    score: float
    attention: torch.Tensor

def length_penalty(length: int, alpha: float) -> float:
    """GNMT's ((5 + length) / 6) ** alpha; 1 when alpha is 0."""
    return ((5.0 + length) / 6.0) ** alpha

def _limits(mask: torch.Tensor, ratio: float, offset: int) -> torch.Tensor:
    """mask (B, S) → (B,) maximum output steps, EOS included."""
    return (mask.sum(dim=1).float() * ratio).ceil().long() + offset

def _force_eos(log_probs: torch.Tensor, at_limit: torch.Tensor) -> torch.Tensor:
    """log_probs (N, V): rows where ``at_limit`` is True may only emit EOS."""
    forced = torch.full_like(log_probs, float("-inf"))
    forced[:, EOS_ID] = 0.0
    return torch.where(at_limit.unsqueeze(1), forced, log_probs)

@torch.no_grad()
def greedy_search(
    model: Seq2Seq, sources: torch.Tensor, lengths: torch.Tensor, *, max_length_ratio: float, max_length_offset: int
) -> list[list[Hypothesis]]:
    """The most probable token at every step, for the whole batch at once."""
    decoder = model.decoder
    encoded = model.encode(sources, lengths)
    memory, state = decoder.prepare(encoded), decoder.initial_state(encoded)
    limits = _limits(memory.mask, max_length_ratio, max_length_offset)  # (B,)
    batch = limits.size(0)
    tokens = torch.full((batch,), BOS_ID, dtype=torch.long, device=limits.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=limits.device)
    scores = torch.zeros(batch, device=limits.device)
    emitted, weights_per_step = [], []
    for step in range(int(limits.max())):
        logits, weights, state = decoder.step(tokens, memory, state)
        log_probs = _force_eos(logits.float().log_softmax(dim=-1), step + 1 >= limits)  # (B, V)
        best, tokens = log_probs.max(dim=-1)
        scores += torch.where(finished, torch.zeros_like(best), best)
        emitted.append(tokens)
        weights_per_step.append(weights)
        finished |= tokens == EOS_ID
        if bool(finished.all()):
            break
    ids = torch.stack(emitted, dim=1).tolist()  # (B, steps)
    attention = torch.stack(weights_per_step, dim=1)  # (B, steps, S)
    real_positions = memory.mask  # (B, S)
    results = []
    for row in range(batch):
        out = ids[row][: ids[row].index(EOS_ID)] if EOS_ID in ids[row] else ids[row]
        steps = min(len(out) + 1, len(ids[row]))
        real = attention[row, :steps][:, real_positions[row]]  # (steps, real positions)
        results.append([Hypothesis(out, float(scores[row]), real.cpu())])
    return results

@torch.no_grad()
def beam_search(
    model: Seq2Seq,
    sources: torch.Tensor,
    lengths: torch.Tensor,
    *,
    beam: int,
    length_penalty_alpha: float = 0.0,
    n_best: int = 1,
    max_length_ratio: float,
    max_length_offset: int,
) -> list[list[Hypothesis]]:
    """Beam search over all items of the batch at once (B·K decoder rows).

    Each step scores the K·V continuations of every item, keeps the 2K best: those ending in EOS
    among the first K become finished hypotheses, the first K others live on. An item stops when
    its K best finished hypotheses all score at least the best that a live beam could still reach
    (log-probabilities only fall as a hypothesis grows; the length penalty is at most that of the
    item's maximum length); its ``n_best`` best by normalised score are returned.
    """
    if n_best > beam:
        raise ValueError(f"n_best ({n_best}) cannot exceed the beam size ({beam})")
    decoder = model.decoder
    encoded = model.encode(sources, lengths)
    batch = encoded.memory_mask.size(0)
    memory = decoder.prepare(encoded).repeat(beam)
    state = map_tensors(decoder.initial_state(encoded), lambda t: t.repeat_interleave(beam, dim=0))
    device = memory.mask.device
    limits = _limits(memory.mask, max_length_ratio, max_length_offset)  # (B·K,)
    tokens = torch.full((batch * beam,), BOS_ID, dtype=torch.long, device=device)
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0
    history = torch.zeros(batch * beam, 0, dtype=torch.long, device=device)  # (B·K, t)
    attention = torch.zeros(batch * beam, 0, memory.mask.size(1), device=device)  # (B·K, t, S)
    finished: list[list[tuple[float, list[int], torch.Tensor]]] = [[] for _ in range(batch)]
    done = [False] * batch
    vocab = decoder.vocab_size
    real_positions = memory.mask[::beam]  # (B, S)
    for step in range(int(limits.max())):
        logits, weights, state = decoder.step(tokens, memory, state)
        log_probs = _force_eos(logits.float().log_softmax(dim=-1), step + 1 >= limits)  # (B·K, V)
        candidates = (scores.view(-1, 1) + log_probs).view(batch, beam * vocab)  # (B, K·V)
        top_scores, top_index = candidates.topk(2 * beam, dim=1)  # (B, 2K)
        origin = top_index // vocab  # (B, 2K) beam each candidate extends
        token = top_index % vocab
        is_eos = token == EOS_ID
        rows = (origin + torch.arange(batch, device=device).unsqueeze(1) * beam)  # (B, 2K) flat rows
        new_attention = torch.cat([attention, weights.unsqueeze(1)], dim=1)  # (B·K, t+1, S)
        for b, rank in (is_eos[:, :beam] & torch.isfinite(top_scores[:, :beam])).nonzero().tolist():
            if done[b]:
                continue
            row = int(rows[b, rank])
            out = history[row].tolist()
            normalised = float(top_scores[b, rank]) / length_penalty(len(out) + 1, length_penalty_alpha)
            finished[b].append((normalised, out, new_attention[row][:, real_positions[b]].cpu()))
        rank_key = is_eos.float() * (2 * beam) + torch.arange(2 * beam, device=device)  # EOS last
        keep = rank_key.argsort(dim=1)[:, :beam]  # (B, K) first K non-EOS candidates
        chosen_rows = rows.gather(1, keep).view(-1)  # (B·K,)
        scores = top_scores.gather(1, keep)
        tokens = token.gather(1, keep).view(-1)
        history = torch.cat([history[chosen_rows], tokens.unsqueeze(1)], dim=1)
        attention = new_attention[chosen_rows]
        state = map_tensors(state, lambda t: t.index_select(0, chosen_rows))
        best_live = scores.max(dim=1).values.tolist()  # (B,)
        for b in range(batch):
            if done[b] or len(finished[b]) < beam:
                continue
            finished[b] = sorted(finished[b], key=lambda item: -item[0])[:beam]
            reachable = best_live[b] / length_penalty(int(limits[b * beam]), length_penalty_alpha)
            done[b] = finished[b][-1][0] >= reachable
        if all(done):
            break
    results = []
    for b in range(batch):
        ranked = sorted(finished[b], key=lambda item: -item[0])[:n_best]
        results.append([Hypothesis(out, score, att) for score, out, att in ranked])
    return results

def search(
    model: Seq2Seq,
    sources: torch.Tensor,
    lengths: torch.Tensor,
    *,
    beam: int = 1,
    length_penalty_alpha: float = 0.0,
    n_best: int = 1,
    max_length_ratio: float = 2.0,
    max_length_offset: int = 10,
) -> list[list[Hypothesis]]:
    """Greedy search for ``beam == 1`` and ``n_best == 1``, beam search otherwise."""
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    if beam == 1 and n_best == 1:
        return greedy_search(model, sources, lengths, max_length_ratio=max_length_ratio,
                             max_length_offset=max_length_offset)
    return beam_search(model, sources, lengths, beam=beam, length_penalty_alpha=length_penalty_alpha,
                       n_best=n_best, max_length_ratio=max_length_ratio, max_length_offset=max_length_offset)

