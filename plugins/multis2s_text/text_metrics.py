"""Metrics for generated text: ROUGE (``rouge-score``) and the share of names and numbers kept.

Both score a corpus as the built-ins do (:class:`multis2s.metrics.Metric`): ``score(hypotheses,
references)``, ``references[i]`` every acceptable reference of item i, a percentage.
"""

from __future__ import annotations

import re
from typing import Literal

ENTITY = re.compile(r"\b(?:[A-Z][\w'-]*|\d+(?:[.,]\d+)*)\b")
"""A name (a capitalised word) or a number (digits, with inner ``.`` or ``,`` groups)."""


class Rouge:
    """Mean over items of the ROUGE F-measure (Lin 2004) against the best of each item's references.

    ``rouge-score``'s tokeniser: lower case, every run of non-alphanumeric characters a separator,
    no stemming. ``rouge1`` / ``rouge2``: unigram / bigram overlap; ``rougeL``: longest common
    subsequence.

    Args:
        variant: ``rouge1``, ``rouge2`` or ``rougeL``.
    """

    higher_is_better = True

    def __init__(self, *, variant: Literal["rouge1", "rouge2", "rougeL"] = "rouge1") -> None:
        from rouge_score import rouge_scorer      # imported here: it loads nltk, slow for `multis2s plugins`

        self.variant = variant
        self.scorer = rouge_scorer.RougeScorer([variant], use_stemmer=False)

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference lists")
        total = sum(max(self.scorer.score(r, h)[self.variant].fmeasure for r in refs)
                    for h, refs in zip(hypotheses, references))
        return 100.0 * total / max(1, len(hypotheses))


def rouge_1() -> Rouge:
    """ROUGE-1: unigram overlap."""
    return Rouge(variant="rouge1")


def rouge_2() -> Rouge:
    """ROUGE-2: bigram overlap."""
    return Rouge(variant="rouge2")


def rouge_l() -> Rouge:
    """ROUGE-L: longest common subsequence."""
    return Rouge(variant="rougeL")


def entities(text: str) -> list[str]:
    """The names and numbers of ``text``, in order, repeats kept."""
    return ENTITY.findall(text)


class NamesNumbersKept:
    """Percentage of the reference's names and numbers that the hypothesis holds, over the corpus.

    A name is a capitalised word, a number a run of digits (:data:`ENTITY`); in the generated
    chatbot, summarization and style-transfer data, every other word is lower case, so this counts
    how much of the content that must pass through does. Each occurrence counts once: a reference
    naming ``Kelo`` twice needs it twice in the hypothesis. Scored against each item's first
    reference; items whose reference has none are left out (100 when no item has any).
    """

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        kept = wanted = 0
        for hypothesis, refs in zip(hypotheses, references):
            found = entities(hypothesis)
            for entity in entities(refs[0]):
                wanted += 1
                if entity in found:
                    found.remove(entity)
                    kept += 1
        return 100.0 * kept / wanted if wanted else 100.0
