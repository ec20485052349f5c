"""The reference ceiling of a captioning test set: one reference scored against the others.

A caption model cannot be expected to agree with the references more than they agree with each
other. For each position k below the smallest number of references per image, reference k of
every image is the hypothesis and that image's other references are its references; the scores
are averaged over k. The metrics are the ones evaluation uses (sacrebleu BLEU-4 with every
reference, CIDEr-D).

``python -m multis2s_vision.ceiling [option=value ...]`` scores the shapes test split, made with
the ``shapes`` dataset's options (e.g. ``train_size=8000 seed=1``; defaults otherwise);
``python -m multis2s_vision.ceiling CAPTIONS.json`` scores a COCO caption file. Images with a
true boolean tag (``unseen_combination``) are also scored on their own.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.metrics import Bleu
from multis2s_vision.cider import CiderD
from multis2s_vision.datasets import read_coco, shapes_dataset

METRICS = {"bleu": Bleu, "cider_d": CiderD}


def reference_ceiling(references: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mean score of each image's reference k against its other references, over k.

    ``references`` holds the captions of each image, at least two per image.

    Raises:
        ValueError: no images, or an image with fewer than two references.
    """
    if not references:
        raise ValueError("no images to score")
    positions = min(len(captions) for captions in references)
    if positions < 2:
        raise ValueError("every image needs at least two references")
    totals = dict.fromkeys(METRICS, 0.0)
    for k in range(positions):
        hypotheses = [captions[k] for captions in references]
        others = [[caption for j, caption in enumerate(captions) if j != k] for captions in references]
        for name, metric in METRICS.items():
            totals[name] += metric().score(hypotheses, others)
    return {name: total / positions for name, total in totals.items()}


def _test_examples(argv: Sequence[str]) -> list[Example]:
    """The examples ``main``'s arguments name: a COCO caption file, or the shapes test split."""
    if len(argv) == 1 and argv[0].endswith(".json"):
        return read_coco(argv[0], split_kind="eval")
    options = {}
    for argument in argv:
        name, equals, value = argument.partition("=")
        if not equals or not value.isdigit():
            raise ValueError(f"expected CAPTIONS.json or option=integer, got {argument!r}")
        options[name] = int(value)
    try:
        return shapes_dataset(**options).split("test")
    except TypeError as exc:
        raise ValueError(f"bad shapes option: {exc}") from None


def main(argv: Sequence[str]) -> int:
    """Print the ceiling of every image, and of each tagged subset, of the chosen captions."""
    try:
        examples = _test_examples(argv)
    except (ValueError, DataError) as exc:
        print(exc, file=sys.stderr)
        return 2
    tags = sorted({tag for example in examples for tag, value in example.tags.items() if value is True})
    subsets = {"all": examples} | {tag: [ex for ex in examples if ex.tags.get(tag) is True] for tag in tags}
    for name, subset in subsets.items():
        scores = reference_ceiling([example.references for example in subset])
        figures = "  ".join(f"{metric} {value:.2f}" for metric, value in scores.items())
        print(f"{name} ({len(subset)} images): {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
