"""The one text normaliser, applied alike to targets, references and hypotheses when asked."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION = re.compile(r"[^\w\s']|_")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Lower case, Unicode NFKC, punctuation removed (apostrophes kept), single spaces.

    >>> normalise_text("  Bin BLUE, at F-2... now!  ")
    'bin blue at f 2 now'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()
