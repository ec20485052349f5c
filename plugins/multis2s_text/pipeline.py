"""The text source pipeline: a string → token ids through a vocabulary built on the training data."""

from __future__ import annotations

from typing import Any, Literal

import torch

from multis2s.data.example import Example
from multis2s.data.vocabulary import PAD_ID, Vocabulary
from multis2s_text.tokenizers import CharTokenizer, WordTokenizer

TOKENIZERS = {"word": WordTokenizer, "char": CharTokenizer}


class TextPipeline:
    """Options (``data.source``): tokenizer, lowercase, min_freq, max_vocab."""

    modality = "text"

    def __init__(
        self,
        *,
        tokenizer: Literal["word", "char"] = "word",
        lowercase: bool = False,
        min_freq: int = 1,
        max_vocab: int | None = None,
    ) -> None:
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer {tokenizer!r} is not one of {', '.join(TOKENIZERS)}")
        self.tokenizer = TOKENIZERS[tokenizer](lowercase=lowercase)
        self.min_freq, self.max_vocab = min_freq, max_vocab
        self.vocabulary = Vocabulary([])

    def fit(self, examples: list[Example]) -> None:
        sequences = (self.tokenizer.tokenize(e.source) for e in examples)
        self.vocabulary = Vocabulary.build(sequences, min_freq=self.min_freq, max_size=self.max_vocab)

    def state(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary.state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.vocabulary = Vocabulary.from_state(state["vocabulary"])

    def encoder_inputs(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary), "pad_id": PAD_ID}

    def length(self, example: Example) -> int:
        return max(1, len(self.tokenizer.tokenize(example.source)))

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """(S,) token ids; an empty source becomes a single ``<unk>`` so lengths stay >= 1."""
        ids = self.vocabulary.encode(self.tokenizer.tokenize(example.source))
        return torch.tensor(ids or [1], dtype=torch.long)

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([len(t) for t in items], dtype=torch.long)
        batch = torch.full((len(items), int(lengths.max())), PAD_ID, dtype=torch.long)
        for row, item in enumerate(items):
            batch[row, : len(item)] = item
        return batch, lengths  # (B, S), (B,)

    def labels(self, example: Example) -> list[str]:
        return self.tokenizer.tokenize(example.source) or ["<unk>"]
