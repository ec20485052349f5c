"""CTC-only greedy decoding: the most probable label of every encoded step, repeats merged, blanks dropped.

It reads the CTC head alone (the model must be trained with ``model.ctc_weight``), so it costs one
pass of the encoder and never runs the attention decoder; a hypothesis' attention is that of the
CTC stream's alignment: each output token attends evenly to the steps that emitted it (no EOS step).

Shapes: B batch, S encoded steps, V vocabulary.
"""

from __future__ import annotations

import torch

from multis2s.data.vocabulary import BOS_ID, EOS_ID
from multis2s.errors import ConfigError
from multis2s.model.ctc import BLANK_ID
from multis2s.model.seq2seq import Seq2Seq
from multis2s.search.hypothesis import Hypothesis, MaxLength


class CTCGreedySearch:
    """One hypothesis per item from the CTC head: best path, collapsed."""

    @torch.no_grad()
    def __call__(self, model: Seq2Seq, sources: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor], *,
                 max_length: MaxLength) -> list[list[Hypothesis]]:
        if model.ctc is None:
            raise ConfigError("eval.search: ctc_greedy needs a model with a CTC head (train it with "
                              "model.ctc_weight)")
        output = model.ctc_output(model.encode(sources, lengths))
        best, labels = output.log_probs.max(dim=2)  # (B, S)
        results = []
        for row, length in enumerate(output.lengths.tolist()):
            path = labels[row, :length].tolist()
            tokens, steps, previous = [], [], None
            for step, label in enumerate(path):
                real = label not in (BLANK_ID, BOS_ID, EOS_ID)
                if real and label != previous:
                    tokens.append(label)
                    steps.append([step])
                elif real:
                    steps[-1].append(step)
                previous = label
            attention = torch.zeros(len(tokens), length)
            for position, emitted in enumerate(steps):
                attention[position, emitted] = 1.0 / len(emitted)
            score = float(best[row, :length].sum())
            results.append([Hypothesis(tokens, score, {model.ctc_stream: attention})])
        return results
