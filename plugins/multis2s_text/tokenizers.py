"""Word and character tokenizers (for targets of any modality, and for text sources)."""

from __future__ import annotations

SPACE = "▁"


class WordTokenizer:
    """Splits on white space."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens)


class CharTokenizer:
    """One token per character; runs of white space become one ``▁`` token."""

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for index, word in enumerate(text.split()):
            if index:
                tokens.append(SPACE)
            tokens.extend(word)
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(" " if t == SPACE else t for t in tokens)
