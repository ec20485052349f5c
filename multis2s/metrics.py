"""Built-in metrics: exact match, token accuracy, BLEU and chrF (sacrebleu), WER and CER (jiwer).

Every metric scores a corpus: ``score(hypotheses, references)`` where ``references[i]`` lists
every acceptable reference of item i. All figures are percentages.
"""

from __future__ import annotations

from typing import Protocol

import jiwer
import sacrebleu


class Metric(Protocol):
    """What a metric plugin's factory returns."""

    higher_is_better: bool

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        """Corpus score (a percentage) of ``hypotheses`` against their ``references``."""


def _by_position(references: list[list[str]]) -> list[list[str]]:
    """Per-item reference lists → sacrebleu's reference streams (padded with the first reference)."""
    width = max(len(r) for r in references)
    return [[refs[k] if k < len(refs) else refs[0] for refs in references] for k in range(width)]


class ExactMatch:
    """Percentage of hypotheses equal to one of their references (white space normalised)."""

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        normal = lambda s: " ".join(s.split())  # noqa: E731
        hits = sum(normal(h) in {normal(r) for r in refs} for h, refs in zip(hypotheses, references))
        return 100.0 * hits / max(1, len(hypotheses))


class TokenAccuracy:
    """Percentage of reference tokens matched at the same position by the hypothesis (first reference)."""

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        correct = total = 0
        for hypothesis, refs in zip(hypotheses, references):
            hyp, ref = hypothesis.split(), refs[0].split()
            correct += sum(h == r for h, r in zip(hyp, ref))
            total += max(len(ref), len(hyp))
        return 100.0 * correct / max(1, total)


class Bleu:
    """Corpus BLEU-4 (sacrebleu, 13a tokenisation), with every reference of each item."""

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        return float(sacrebleu.corpus_bleu(hypotheses, _by_position(references)).score)


class Chrf:
    """Corpus chrF (sacrebleu)."""

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        return float(sacrebleu.corpus_chrf(hypotheses, _by_position(references)).score)


def _nonempty(texts: list[str]) -> list[str]:
    """jiwer rejects empty references; an empty string is scored as a lone space-free token list."""
    return [t if t.strip() else "<empty>" for t in texts]


class WordErrorRate:
    """Corpus WER (jiwer): (substitutions + deletions + insertions) / reference words."""

    higher_is_better = False

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        return 100.0 * jiwer.wer(_nonempty([r[0] for r in references]), _nonempty(hypotheses))


class CharErrorRate:
    """Corpus CER (jiwer)."""

    higher_is_better = False

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        return 100.0 * jiwer.cer(_nonempty([r[0] for r in references]), _nonempty(hypotheses))


def word_error_counts(hypotheses: list[str], references: list[list[str]]) -> dict[str, int]:
    """Hits, substitutions, deletions and insertions of the hypotheses against first references."""
    output = jiwer.process_words(_nonempty([r[0] for r in references]), _nonempty(hypotheses))
    return {"hits": output.hits, "substitutions": output.substitutions, "deletions": output.deletions,
            "insertions": output.insertions}


def worst_alignments(hypotheses: list[str], references: list[list[str]], count: int) -> list[str]:
    """jiwer's aligned view of the ``count`` items with the most word errors, worst first."""
    scored = []
    for index, (hypothesis, refs) in enumerate(zip(hypotheses, references)):
        output = jiwer.process_words(_nonempty([refs[0]]), _nonempty([hypothesis]))
        errors = output.substitutions + output.deletions + output.insertions
        if errors:
            scored.append((errors, output.wer, index, output))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    views = []
    for errors, wer, index, output in scored[:count]:
        view = jiwer.visualize_alignment(output, show_measures=False, skip_correct=False)
        body = view.split("\n", 2)[-1].strip("\n")
        views.append(f"item {index + 1}: {errors} word errors (WER {100 * wer:.1f}%)\n{body}")
    return views
