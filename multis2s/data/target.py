"""Target text ↔ token ids: a tokenizer plus a vocabulary built on the training targets."""

from __future__ import annotations

import re
from typing import Any, Iterable, Protocol, Sequence

from multis2s.data.vocabulary import UNK_ID, Vocabulary
from multis2s.errors import ConfigError
from multis2s.normalise import normalise_text

TARGET_TOKENIZER = "data.target.tokenizer"
"""The config key of the target tokenizer, which errors from its training name."""
_OPTION = re.compile(r"[a-z_][a-z0-9_]*: ")


class Tokenizer(Protocol):
    """What a tokenizer plugin's factory returns: :meth:`tokenize` and :meth:`detokenize`.

    A tokenizer that learns from the training text (subword units) also has the optional step
    ``fit`` / ``state`` / ``load_state``, like a source pipeline: ``fit(texts)`` once, when a run
    starts, on the training split's texts of its side (after ``data.target.normalise`` or
    ``data.source.lowercase``), before the vocabulary is built from its tokens; ``state()`` gives
    plain data (lists, numbers, strings, bytes) saved in the checkpoint with the vocabulary, and
    ``load_state(state)`` restores it (``predict``, ``--resume``). ``fit`` raises ValueError with a
    one-line message starting with the option it is about (``vocab_size: …``). A tokenizer with
    none of the three (``word``, ``char``) works unchanged; with one it has all three.

    Optional too: ``bind(streams)``, called with the model's source streams when the target field
    is built, before anything is fitted — a target tokenizer that uses a source stream's tokenizer
    (``shared``) takes it there and raises ValueError when it cannot.
    """

    def tokenize(self, text: str) -> list[str]:
        """Text → tokens."""

    def detokenize(self, tokens: list[str]) -> str:
        """Tokens → text (the inverse of :meth:`tokenize` on normalised text)."""


def learns(tokenizer: Tokenizer) -> bool:
    """Whether ``tokenizer`` has the optional fit / state / load_state step."""
    return all(callable(getattr(tokenizer, name, None)) for name in ("fit", "state", "load_state"))


def fit_tokenizer(tokenizer: Tokenizer, texts: Iterable[str], where: str) -> None:
    """``tokenizer.fit(texts)`` where it learns; its ValueError becomes a ConfigError at ``where``."""
    if not learns(tokenizer):
        return
    try:
        tokenizer.fit(texts)  # type: ignore[attr-defined]
    except ValueError as exc:
        text = str(exc)
        raise ConfigError(f"{where}.{text}" if _OPTION.match(text) else f"{where}: {text}") from None


def tokenizer_state(tokenizer: Tokenizer) -> dict[str, Any]:
    """``{"tokenizer": its state}`` for a tokenizer that learns, else ``{}`` (a word or char checkpoint
    keeps its format)."""
    return {"tokenizer": tokenizer.state()} if learns(tokenizer) else {}  # type: ignore[attr-defined]


def load_tokenizer_state(tokenizer: Tokenizer, state: dict[str, Any], where: str) -> None:
    """Restore what :func:`tokenizer_state` saved in ``state``; a learning tokenizer without it is a ConfigError."""
    if not learns(tokenizer):
        return
    if "tokenizer" not in state:
        raise ConfigError(f"{where}: the checkpoint holds no trained tokenizer (it was saved with one that "
                          "learns nothing)")
    tokenizer.load_state(state["tokenizer"])  # type: ignore[attr-defined]


class TargetField:
    """Encodes targets as ``BOS … EOS`` ids and decodes ids back to text.

    With ``normalise``, target text passes through :func:`normalise_text` before tokenizing.
    ``copy_stream``: the source stream a copy model copies from (``model.copy``), else None; then
    ``oovs``, a row's source words outside the vocabulary, extend the ids (see
    :mod:`multis2s.data.copy_source`).
    """

    def __init__(self, tokenizer: Tokenizer, vocabulary: Vocabulary, *, normalise: bool = False,
                 copy_stream: str | None = None) -> None:
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.normalise = normalise
        self.copy_stream = copy_stream

    def fit(self, targets: list[str], *, min_freq: int, max_size: int | None) -> None:
        """Train the tokenizer (when it learns) on the training targets, then build the vocabulary from
        their tokens."""
        fit_tokenizer(self.tokenizer, (self.prepare(t) for t in targets), TARGET_TOKENIZER)
        self.vocabulary = Vocabulary.build((self.tokenize(t) for t in targets), min_freq=min_freq, max_size=max_size)

    def state(self) -> dict[str, Any]:
        """Plain data for the checkpoint: the vocabulary, and the tokenizer's state when it learns."""
        return {"vocabulary": self.vocabulary.state(), **tokenizer_state(self.tokenizer)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.vocabulary = Vocabulary.from_state(state["vocabulary"])
        load_tokenizer_state(self.tokenizer, state, TARGET_TOKENIZER)

    def prepare(self, text: str) -> str:
        """The text the tokenizer sees: normalised with ``normalise``."""
        return normalise_text(text) if self.normalise else text

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(self.prepare(text))

    def encode(self, text: str, oovs: Sequence[str] = ()) -> list[int]:
        """``BOS … EOS`` ids; a token outside the vocabulary that is the k-th of ``oovs`` is ``V + k``."""
        tokens = self.tokenize(text)
        ids = self.vocabulary.encode(tokens, bos=True, eos=True)
        if oovs:
            extended = {word: len(self.vocabulary) + k for k, word in enumerate(oovs)}
            ids[1:-1] = [extended.get(token, i) if i == UNK_ID else i for token, i in zip(tokens, ids[1:-1])]
        return ids

    def decode(self, ids: list[int], oovs: Sequence[str] = ()) -> str:
        return self.tokenizer.detokenize(self.vocabulary.decode(ids, oovs))

    def tokens(self, ids: list[int], oovs: Sequence[str] = ()) -> list[str]:
        """Token strings of ``ids`` (for attention plot labels)."""
        return self.vocabulary.decode(ids, oovs)
