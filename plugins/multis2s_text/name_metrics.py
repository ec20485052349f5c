"""Name recall: how many of the references' proper names a translation reproduces."""

from __future__ import annotations

import re
from collections import Counter

_NAME = re.compile(r"(?:^|(?<=\s)|(?<='))([A-Z][\w-]*)")


def proper_names(text: str) -> Counter[str]:
    """The capitalised words of a text, elided prefixes removed (``d'Ana`` → ``Ana``), with their counts."""
    return Counter(_NAME.findall(text))


class NameRecall:
    """Percentage of the capitalised words of each item's first reference found in its hypothesis.

    Meant for corpora that are lower case but for proper names (the ``en_fr`` grammar), where it
    measures how often names — many never seen in training — are copied through.
    """

    higher_is_better = True

    def score(self, hypotheses: list[str], references: list[list[str]]) -> float:
        found = total = 0
        for hypothesis, refs in zip(hypotheses, references):
            wanted, got = proper_names(refs[0]), proper_names(hypothesis)
            found += sum(min(count, got[name]) for name, count in wanted.items())
            total += sum(wanted.values())
        return 100.0 * found / max(1, total)
