"""The data side of the copy mechanism: each example's source tokens in the extended target vocabulary.

With ``model.copy`` the copy stream's source tokens (its pipeline's per-position ``labels``: one
per encoder step for text) are looked up in the *target* vocabulary; a token it lacks becomes a
source OOV with the id ``V + k``, k its place among the example's distinct such tokens in order of
first appearance. The reference then maps a word outside the vocabulary that the source holds to
that id (:meth:`~multis2s.data.target.TargetField.encode`), so the loss rewards copying it, and a
decoded extended id is turned back into the source word (:meth:`~multis2s.data.target.TargetField.decode`).

Shapes: B batch, S the copy stream's padded source steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from multis2s.data.example import Example
from multis2s.data.streams import SourceStreams
from multis2s.data.vocabulary import PAD_ID, Vocabulary


@dataclass(frozen=True)
class CopyTokens:
    """One example's copy-stream positions as extended ids (S,), and its source OOVs (the words of V, V+1, …)."""

    ids: torch.Tensor
    oovs: tuple[str, ...]


def extend(tokens: list[str], vocabulary: Vocabulary) -> CopyTokens:
    """Source tokens → their ids in ``vocabulary``, each token it lacks numbered from ``len(vocabulary)`` on."""
    oovs: dict[str, int] = {}
    ids = []
    for token in tokens:
        known = vocabulary.index.get(token)
        if known is None:
            known = oovs.setdefault(token, len(vocabulary) + len(oovs))
        ids.append(known)
    return CopyTokens(torch.tensor(ids, dtype=torch.long), tuple(oovs))


def copy_tokens(streams: SourceStreams, stream: str, example: Example, vocabulary: Vocabulary) -> CopyTokens | None:
    """The example's copy tokens over the target ``vocabulary``, or None when it lacks the stream."""
    view = streams.views(example)[stream]
    if view is None:
        return None
    return extend(list(streams.pipelines[stream].labels(view)), vocabulary)


def collate_copy_ids(items: list[CopyTokens | None], width: int) -> torch.Tensor:
    """Per row the extended ids padded with PAD to ``width`` (the stream's padded length; all PAD where
    a row lacks the stream) → (B, S)."""
    out = torch.full((len(items), width), PAD_ID, dtype=torch.long)
    for row, item in enumerate(items):
        if item is not None:
            out[row, : len(item.ids)] = item.ids
    return out
