"""CIDEr-D caption metric (Vedantam et al., 2015) in pure Python.

This follows the CIDEr-D computation of the COCO caption evaluation code:

* each sentence becomes, for every order k = 1..n, a vector of k-gram TF-IDF
  weights ``count(g) * (log(N) - log(max(1, df(g))))``, where N is the number
  of items in the evaluated corpus and ``df(g)`` the number of items whose
  reference set contains g;
* per order, the hypothesis and a reference are compared by a cosine
  similarity in which each hypothesis weight is clipped to the reference
  weight, then multiplied by the Gaussian length penalty
  ``exp(-(l_hyp - l_ref)**2 / (2 * sigma**2))``;
* an item's score is 10 times the mean over orders and references; the
  corpus score is the mean over items.

Lengths are counted in bigrams, as in the COCO code, so they differ from word
counts only for sentences shorter than two words, and with ``n=1`` no length
penalty applies.  The IDF term vanishes for a corpus of one item, whose score
is therefore always 0.  Sentences are split on whitespace; callers normalise
case and punctuation.
"""

from collections import Counter
from dataclasses import dataclass
from math import exp, log, sqrt

Ngram = tuple[str, ...]

_SCALE = 10.0


@dataclass(frozen=True)
class _WeightedSentence:
    """A sentence as per-order TF-IDF weights, their Euclidean norms and its length in bigrams."""

    weights: tuple[dict[Ngram, float], ...]
    norms: tuple[float, ...]
    length: int


def cider_d(
    hypotheses: list[str], references: list[list[str]], *, n: int = 4, sigma: float = 6.0
) -> float:
    """Return the corpus CIDEr-D score: the mean of ``cider_d_per_item``.

    Raises:
        ValueError: see ``cider_d_per_item``.
    """
    scores = cider_d_per_item(hypotheses, references, n=n, sigma=sigma)
    return sum(scores) / len(scores)


def cider_d_per_item(
    hypotheses: list[str], references: list[list[str]], *, n: int = 4, sigma: float = 6.0
) -> list[float]:
    """Return the CIDEr-D score of each hypothesis against its references.

    ``references[i]`` holds the reference sentences of ``hypotheses[i]``.
    Document frequencies come from the reference sets of this corpus, so an
    item's score depends on the other items too.

    Raises:
        ValueError: the corpus is empty, the two lists differ in length, an
            item has no references, ``n`` is not a positive int or ``sigma``
            is not a positive number.
    """
    _check_arguments(hypotheses, references, n, sigma)
    hypothesis_counts = [_ngram_counts(sentence, n) for sentence in hypotheses]
    reference_counts = [[_ngram_counts(sentence, n) for sentence in item] for item in references]
    frequencies = _document_frequencies(reference_counts)
    log_corpus_size = log(len(hypotheses))
    scores = []
    for hypothesis, item_references in zip(hypothesis_counts, reference_counts):
        weighted_hypothesis = _weigh(hypothesis, frequencies, log_corpus_size, n)
        weighted_references = [
            _weigh(reference, frequencies, log_corpus_size, n) for reference in item_references
        ]
        total = sum(
            _similarity(weighted_hypothesis, reference, sigma) for reference in weighted_references
        )
        scores.append(_SCALE * total / len(item_references))
    return scores


def _check_arguments(
    hypotheses: list[str], references: list[list[str]], n: int, sigma: float
) -> None:
    """Raise ValueError unless the arguments describe a scorable corpus."""
    if not hypotheses:
        raise ValueError("cannot score an empty corpus")
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")
    if any(isinstance(item, str) or len(item) == 0 for item in references):
        raise ValueError("every item needs a non-empty list of reference sentences")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not isinstance(sigma, int | float) or isinstance(sigma, bool) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")


def _ngram_counts(sentence: str, n: int) -> Counter[Ngram]:
    """Count the 1..n-grams of a whitespace-split sentence."""
    words = sentence.split()
    return Counter(
        tuple(words[start : start + order])
        for order in range(1, n + 1)
        for start in range(len(words) - order + 1)
    )


def _document_frequencies(reference_counts: list[list[Counter[Ngram]]]) -> Counter[Ngram]:
    """Count, for each n-gram, the items whose reference set contains it."""
    frequencies: Counter[Ngram] = Counter()
    for item in reference_counts:
        frequencies.update(set().union(*item))
    return frequencies


def _weigh(
    counts: Counter[Ngram], frequencies: Counter[Ngram], log_corpus_size: float, n: int
) -> _WeightedSentence:
    """Turn n-gram counts into per-order TF-IDF weights."""
    weights: tuple[dict[Ngram, float], ...] = tuple({} for _ in range(n))
    for ngram, count in counts.items():
        weights[len(ngram) - 1][ngram] = count * (log_corpus_size - log(max(1, frequencies[ngram])))
    norms = tuple(sqrt(sum(value * value for value in order.values())) for order in weights)
    length = sum(count for ngram, count in counts.items() if len(ngram) == 2)
    return _WeightedSentence(weights, norms, length)


def _similarity(hypothesis: _WeightedSentence, reference: _WeightedSentence, sigma: float) -> float:
    """Return the length-penalised clipped cosine similarity, averaged over n-gram orders."""
    penalty = exp(-((hypothesis.length - reference.length) ** 2) / (2 * sigma**2))
    total = 0.0
    for hyp_weights, ref_weights, hyp_norm, ref_norm in zip(
        hypothesis.weights, reference.weights, hypothesis.norms, reference.norms
    ):
        if hyp_norm == 0 or ref_norm == 0:
            continue
        overlap = sum(
            min(value, ref_weights[ngram]) * ref_weights[ngram]
            for ngram, value in hyp_weights.items()
            if ngram in ref_weights
        )
        total += overlap / (hyp_norm * ref_norm)
    return penalty * total / len(hypothesis.weights)


class CiderD:
    """Corpus CIDEr-D (Vedantam et al., 2015) over lowercased, white-space separated tokens.

    On CIDEr-D's own scale (0 to 10, where 10 is a hypothesis equal to all of its references),
    not a percentage like the other metrics. A one-item corpus always scores 0 (no IDF).
    """

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        normal = lambda text: " ".join(text.lower().split())  # noqa: E731
        return cider_d([normal(h) for h in hypotheses], [[normal(r) for r in refs] for refs in references])
