"""Target text ↔ token ids: a tokenizer plus a vocabulary built on the training targets."""

from __future__ import annotations

from typing import Any, Protocol

from multis2s.data.vocabulary import Vocabulary
from multis2s.normalise import normalise_text


class Tokenizer(Protocol):
    """What a tokenizer plugin's factory returns."""

    def tokenize(self, text: str) -> list[str]:
        """Text → tokens."""

    def detokenize(self, tokens: list[str]) -> str:
        """Tokens → text (the inverse of :meth:`tokenize` on normalised text)."""


class TargetField:
    """Encodes targets as ``BOS … EOS`` ids and decodes ids back to text.

    With ``normalise``, target text passes through :func:`normalise_text` before tokenizing.
    """

    def __init__(self, tokenizer: Tokenizer, vocabulary: Vocabulary, *, normalise: bool = False) -> None:
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.normalise = normalise

    def fit(self, targets: list[str], *, min_freq: int, max_size: int | None) -> None:
        """Build the vocabulary from the training targets."""
        self.vocabulary = Vocabulary.build((self.tokenize(t) for t in targets), min_freq=min_freq, max_size=max_size)

    def state(self) -> dict[str, Any]:
        """Plain data for the checkpoint."""
        return {"vocabulary": self.vocabulary.state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.vocabulary = Vocabulary.from_state(state["vocabulary"])

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(normalise_text(text) if self.normalise else text)

    def encode(self, text: str) -> list[int]:
        return self.vocabulary.encode(self.tokenize(text), bos=True, eos=True)

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.detokenize(self.vocabulary.decode(ids))

    def tokens(self, ids: list[int]) -> list[str]:
        """Token strings of ``ids`` (for attention plot labels)."""
        return self.vocabulary.decode(ids)
