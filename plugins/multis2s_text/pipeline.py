"""The text source pipeline: a string → token ids through a vocabulary built on the training data."""

from __future__ import annotations

from typing import Annotated, Any, Callable

import torch
from torch.nn.utils.rnn import pad_sequence

from multis2s.data.example import Example
from multis2s.data.target import Tokenizer, fit_tokenizer, load_tokenizer_state, tokenizer_state
from multis2s.data.vocabulary import PAD_ID, UNK_ID, Vocabulary
from multis2s.options import Nested
from multis2s_text.tokenizers import WordTokenizer

SOURCE_TOKENIZER = "data.source.tokenizer"
"""The config key of a text stream's tokenizer (``data.source.<stream>.tokenizer`` with several streams)."""


class TextPipeline:
    """Options (``data.source``): tokenizer, lowercase, min_freq, max_vocab.

    tokenizer: a registered tokenizer (``word``, ``char``, ``sentencepiece``, …); one that learns
    (``sentencepiece``) is trained on the training sources first — on the sources and the targets
    when the targets share it (``data.target.tokenizer: shared``) — and saved in the checkpoint.
    lowercase: fold case before tokenizing. min_freq, max_vocab: limits of the source vocabulary
    built on the training data.
    """

    modality = "text"
    reads_files = False

    def __init__(
        self,
        *,
        tokenizer: Annotated[Callable[[], Tokenizer], Nested("tokenizers")] = WordTokenizer,
        lowercase: bool = False,
        min_freq: int = 1,
        max_vocab: int | None = None,
    ) -> None:
        self.tokenizer = tokenizer()
        self.lowercase = lowercase
        self.min_freq, self.max_vocab = min_freq, max_vocab
        self.vocabulary = Vocabulary([])
        self.shared = False

    def share_tokenizer(self) -> Tokenizer:
        """This stream's tokenizer, for the targets too: :meth:`fit` then trains it on the targets as well."""
        self.shared = True
        return self.tokenizer

    def prepare(self, text: str) -> str:
        """The text the tokenizer sees: lower-cased with ``lowercase``."""
        return text.lower() if self.lowercase else text

    def tokens(self, text: str) -> list[str]:
        """The source tokens of ``text``."""
        return self.tokenizer.tokenize(self.prepare(text))

    def fit(self, examples: list[Example]) -> None:
        """Train the tokenizer (when it learns), then build the vocabulary from the sources' tokens."""
        texts = [self.prepare(e.source) for e in examples]
        if self.shared:
            texts += [e.target for e in examples]
        fit_tokenizer(self.tokenizer, texts, SOURCE_TOKENIZER)
        sequences = (self.tokens(e.source) for e in examples)
        self.vocabulary = Vocabulary.build(sequences, min_freq=self.min_freq, max_size=self.max_vocab)

    def state(self) -> dict[str, Any]:
        """The vocabulary, and the tokenizer's state when it learns."""
        return {"vocabulary": self.vocabulary.state(), **tokenizer_state(self.tokenizer)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.vocabulary = Vocabulary.from_state(state["vocabulary"])
        load_tokenizer_state(self.tokenizer, state, SOURCE_TOKENIZER)

    def encoder_inputs(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary), "pad_id": PAD_ID}

    def length(self, example: Example) -> int:
        return max(1, len(self.tokens(example.source)))

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """(S,) token ids; an empty source becomes a single ``<unk>`` so lengths stay >= 1."""
        ids = self.vocabulary.encode(self.tokens(example.source))
        return torch.tensor(ids or [UNK_ID], dtype=torch.long)

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([t.shape[0] for t in items], dtype=torch.long)
        return pad_sequence(items, batch_first=True, padding_value=PAD_ID), lengths  # (B, S), (B,)

    def labels(self, example: Example) -> list[str]:
        return self.tokens(example.source) or ["<unk>"]
