"""Batched beam search: every item of the batch at once, as B·K decoder rows.

Nothing is copied per step but the decoder state (reordered once) and the rows' tokens: each
step keeps, per row, its token and the row of the previous step it extends, and hypotheses are
read back along these pointers once, at the end. An item whose search is over leaves the batch
(its rows are dropped in the same reorder), so the remaining items' steps cost less. The first
step, where an item's K hypotheses are still one, runs one row per item. The memory repeated for
the beams keeps one copy per item (``Memory.per_item``), which the fused RNN decoder's compiled
step reads instead of the K copies.

Shapes: B batch, K beam, N live decoder rows (K per live item), S_i source steps of stream i,
V vocabulary (the batch's extended vocabulary with copying: a row's copy ids follow its memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.errors import ConfigError
from multis2s.model.ctc import BLANK_ID, CTCOutput, CTCPrefixScorer
from multis2s.model.encoder import map_tensors
from multis2s.model.seq2seq import Seq2Seq
from multis2s.model.streams import Memories
from multis2s.ranges import Range
from multis2s.search.hypothesis import Hypothesis, MaxLength, force_eos, real_attention


def length_penalty(length: int, alpha: float) -> float:
    """GNMT's ((5 + length) / 6) ** alpha; 1 when alpha is 0."""
    return ((5.0 + length) / 6.0) ** alpha


@dataclass
class Finished:
    """A hypothesis that emitted EOS at ``step`` from live row ``row`` (numbered as at that step)."""

    score: float
    step: int
    row: int


class Trail:
    """Per step: every live row's input token, the row of the previous step it extends, and the
    attention it produced; hypotheses are read back from it."""

    def __init__(self) -> None:
        self.tokens: list[torch.Tensor] = []  # step s: (N_s,) the input token of each row
        self.parents: list[torch.Tensor] = []  # step s ≥ 1: (N_s,) the row at step s − 1
        self.weights: list[dict[str, torch.Tensor]] = []  # step s: per stream (N_s, S_i)

    def read(self, finished: Finished) -> tuple[list[int], dict[str, torch.Tensor]]:
        """The tokens (no BOS, no EOS) and per-stream weights (steps, S_i) of a finished hypothesis."""
        rows = [finished.row]
        for step in range(finished.step, 0, -1):
            rows.append(self.parents[step - 1][rows[-1]])
        rows.reverse()  # rows[s]: the hypothesis' row at step s
        tokens = [self.tokens[s][rows[s]] for s in range(1, finished.step + 1)]
        weights = {name: torch.stack([self.weights[s][name][rows[s]] for s in range(finished.step + 1)])
                   for name in self.weights[0]}
        return tokens, weights

    def on_host(self) -> None:
        """Tokens and parents as Python lists (one copy per step, at the end)."""
        self.tokens = [t.tolist() for t in self.tokens]
        self.parents = [p.tolist() for p in self.parents]


class JointCTC:
    """Joint CTC + attention scores of every continuation (Watanabe et al. 2017): (1 − w) · the
    attention log-probability of the hypothesis + w · its CTC prefix log-probability, the latter
    computed for the ``2K`` continuations the attention ranks first, and EOS. PAD (CTC's blank)
    and BOS are never continuations."""

    def __init__(self, weight: float, output: CTCOutput, beam: int) -> None:
        self.weight, self.beam = weight, beam
        self.scorer = CTCPrefixScorer(CTCOutput(output.log_probs.repeat_interleave(beam, dim=0),
                                                output.lengths.repeat_interleave(beam, dim=0)))
        self.attention = torch.full((output.lengths.numel(), beam), float("-inf"), device=output.lengths.device)
        self.attention[:, 0] = 0.0  # (L, K) each live hypothesis' attention log-probability
        self._columns: torch.Tensor | None = None

    def scores(self, log_probs: torch.Tensor) -> torch.Tensor:
        """log_probs (N, V) of the attention decoder → joint scores of every continuation (N, V)."""
        log_probs = log_probs.index_fill(1, torch.tensor([BLANK_ID, BOS_ID], device=log_probs.device), float("-inf"))
        candidates = torch.cat([log_probs.topk(min(2 * self.beam, log_probs.size(1)), dim=1).indices,
                                torch.full_like(log_probs[:, :1], EOS_ID, dtype=torch.long)], dim=1)  # (N, C)
        self._attention_total = self.attention.view(-1, 1) + log_probs  # (N, V)
        prefix = self.scorer.score(candidates)  # (N, C)
        joint = torch.full_like(log_probs, float("-inf"))
        mixed = (1 - self.weight) * self._attention_total.gather(1, candidates) + self.weight * prefix
        joint.scatter_(1, candidates, mixed)
        self._prefix = torch.full_like(log_probs, float("-inf")).scatter_(1, candidates, prefix)
        columns = torch.arange(candidates.size(1), device=log_probs.device).expand_as(candidates)
        self._columns = torch.zeros_like(log_probs, dtype=torch.long).scatter_(1, candidates, columns)
        return joint

    def keep(self, rows: torch.Tensor, tokens: torch.Tensor, live: int) -> None:
        """The chosen continuations: rows and tokens (L', K) of the last :meth:`scores`."""
        flat_rows, flat_tokens = rows.reshape(-1), tokens.reshape(-1)
        self.attention = self._attention_total[flat_rows, flat_tokens].view(live, self.beam)
        self.scorer.select(flat_rows, self._columns[flat_rows, flat_tokens], self._prefix[flat_rows, flat_tokens])


class BeamSearch:
    """The ``n_best`` best of ``beam`` hypotheses per item, scored by length-normalised log-probability.

    Each step scores the K·V continuations of every live item, keeps the 2K best: those ending in
    EOS among the first K become finished hypotheses, the first K others live on. An item stops
    when its K best finished hypotheses all score at least the best that a live beam could still
    reach (log-probabilities only fall as a hypothesis grows; the length penalty is at most that
    of the item's maximum length); its ``n_best`` best by normalised score are returned. With
    ``ctc_weight`` the scores are those of :class:`JointCTC` (the model needs a CTC head), which
    also only fall as a hypothesis grows.
    """

    def __init__(self, *, beam: Annotated[int, Range(ge=1)] = 4, n_best: Annotated[int, Range(ge=1)] = 1,
                 length_penalty: Annotated[float, Range(ge=0)] = 0.0,
                 ctc_weight: Annotated[float, Range(ge=0, lt=1)] = 0.0) -> None:
        """beam: hypotheses kept per item. n_best: how many are returned (at most ``beam``).
        length_penalty: GNMT's alpha; scores are divided by ((5 + length) / 6) ** alpha.
        ctc_weight: the share of the CTC prefix score in each hypothesis' score (0: attention only;
        CTC alone is the ``ctc_greedy`` search)."""
        if beam < 1:
            raise ValueError(f"beam must be >= 1, got {beam}")
        if not 1 <= n_best <= beam:
            raise ValueError(f"n_best ({n_best}) must be between 1 and the beam size ({beam})")
        self.beam, self.n_best, self.alpha, self.ctc_weight = beam, n_best, length_penalty, ctc_weight

    @torch.no_grad()
    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        beam, alpha = self.beam, self.alpha
        decoder = model.decoder
        streams = model.encode(sources, lengths)
        joint = None
        if self.ctc_weight:
            if model.ctc is None:
                raise ConfigError("eval.search.ctc_weight: this model has no CTC head (train it with model.ctc_weight)")
            joint = JointCTC(self.ctc_weight, model.ctc_output(streams), beam)
        first = decoder.prepare(streams)
        batch, device, masks = first.batch_size, first.device, first.masks()
        # An item's K hypotheses are one at the first step, which therefore runs one row per item
        # (K with joint CTC, whose scorer holds K rows per item from the start): W rows per item.
        width = beam if joint is not None else 1
        memory: Memories = first.repeat(width)
        state = map_tensors(decoder.initial_state(streams), lambda t: t.repeat_interleave(width, dim=0))
        item_limits = max_length.limits(first).tolist()  # (B,)
        limits = max_length.limits(memory)  # (N,)
        live_items = list(range(batch))  # the batch item of each live item
        tokens = torch.full((batch * width,), BOS_ID, dtype=torch.long, device=device)
        scores = torch.full((batch, width), float("-inf"), device=device)
        scores[:, 0] = 0.0
        finished: list[list[Finished]] = [[] for _ in range(batch)]
        trail = Trail()
        for step in range(max(item_limits)):
            hidden, weights, state = decoder.step(decoder.inputs(tokens), memory, state)
            trail.tokens.append(tokens)
            trail.weights.append(weights)
            count = len(live_items)
            log_probs = force_eos(decoder.log_probs(hidden, tokens, weights, memory), step + 1 >= limits)  # (N, V)
            vocab = log_probs.size(1)  # V, or V' with copying
            totals = scores.view(-1, 1) + log_probs if joint is None else joint.scores(log_probs)  # (N, V)
            candidates = totals.view(count, width * vocab)  # (L, W·V)
            if width < beam:  # the first step: as if the item's other K − W rows scored −inf
                candidates = torch.nn.functional.pad(candidates, (0, (beam - width) * vocab), value=float("-inf"))
            top_scores, top_index = candidates.topk(2 * beam, dim=1)  # (L, 2K)
            rows = ((top_index // vocab).clamp(max=width - 1)
                    + torch.arange(count, device=device).unsqueeze(1) * width)  # (L, 2K) live rows
            token = top_index % vocab
            is_eos = token == EOS_ID
            ended = is_eos[:, :beam] & torch.isfinite(top_scores[:, :beam])  # (L, K)
            if bool(ended.any()):
                for position, rank in ended.nonzero().tolist():
                    item = live_items[position]
                    normalised = float(top_scores[position, rank]) / length_penalty(step + 1, alpha)
                    finished[item].append(Finished(normalised, step, int(rows[position, rank])))
            keep = (is_eos.float() * (2 * beam) + torch.arange(2 * beam, device=device)).argsort(dim=1)[:, :beam]
            scores = top_scores.gather(1, keep)  # (L, K) the first K non-EOS candidates
            best_live = scores.max(dim=1).values.tolist()  # (L,)
            staying = [position for position, item in enumerate(live_items)
                       if not self._done(finished[item], best_live[position], item_limits[item])]
            if not staying:
                break
            chosen = rows.gather(1, keep)  # (L, K)
            tokens = token.gather(1, keep)
            if width < beam:
                width, memory = beam, first.repeat(beam)
                limits = max_length.limits(memory)
            if len(staying) < count:
                kept = torch.tensor(staying, device=device)
                chosen, tokens, scores = chosen[kept], tokens[kept], scores[kept]
                live_items = [live_items[p] for p in staying]
                kept_rows = (kept.unsqueeze(1) * beam + torch.arange(beam, device=device)).view(-1)  # (N',)
                memory, limits = memory.select(kept_rows), limits[kept_rows]
            if joint is not None:
                joint.keep(chosen, tokens, len(live_items))
            chosen, tokens = chosen.view(-1), tokens.view(-1)
            trail.parents.append(chosen)
            state = map_tensors(state, lambda t: t.index_select(0, chosen))
        trail.on_host()
        results = []
        for item in range(batch):
            ranked = sorted(finished[item], key=lambda f: -f.score)[: self.n_best]
            hypotheses = []
            for hypothesis in ranked:
                out, weights = trail.read(hypothesis)
                item_masks = {name: m[item] for name, m in masks.items()}
                hypotheses.append(Hypothesis(out, hypothesis.score, real_attention(weights, item_masks, len(out) + 1)))
            results.append(hypotheses)
        return results

    def _done(self, finished: list[Finished], best_live: float, limit: int) -> bool:
        """Whether an item's ``n_best`` best finished hypotheses all beat what its live beams could
        reach: no hypothesis found later could then be among those returned."""
        if len(finished) < self.n_best:
            return False
        finished.sort(key=lambda f: -f.score)
        del finished[self.beam:]
        return finished[self.n_best - 1].score >= best_live / length_penalty(limit, self.alpha)
