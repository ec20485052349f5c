"""Token ↔ id tables with the four special symbols at fixed ids."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)


class Vocabulary:
    """An ordered token list; ids 0–3 are ``<pad> <unk> <bos> <eos>``."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.tokens = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, sequences: Iterable[list[str]], *, min_freq: int = 1, max_size: int | None = None) -> "Vocabulary":
        """The tokens seen at least ``min_freq`` times, most frequent first (ties alphabetical)."""
        counts = Counter(token for seq in sequences for token in seq)
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        return cls(ranked[:max_size] if max_size is not None else ranked)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: list[str], *, bos: bool = False, eos: bool = False) -> list[int]:
        """Ids of ``tokens`` (unknown → ``<unk>``), optionally framed by BOS / EOS."""
        ids = [self.index.get(t, UNK_ID) for t in tokens]
        return ([BOS_ID] if bos else []) + ids + ([EOS_ID] if eos else [])

    def decode(self, ids: Iterable[int], extra: Sequence[str] = ()) -> list[str]:
        """Tokens of ``ids``, stopping at the first EOS and dropping PAD and BOS; ids from ``len(self)``
        on are the ``extra`` words (a copy model's source words outside the vocabulary)."""
        out = []
        for i in ids:
            if i == EOS_ID:
                break
            if i in (PAD_ID, BOS_ID):
                continue
            out.append(self.tokens[i] if i < len(self.tokens) else extra[i - len(self.tokens)])
        return out

    def state(self) -> list[str]:
        """Plain data for checkpoints."""
        return list(self.tokens)

    @classmethod
    def from_state(cls, tokens: list[str]) -> "Vocabulary":
        return cls(tokens[len(SPECIALS):])
