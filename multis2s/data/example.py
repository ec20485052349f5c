"""One training or test item, and the protocol every data source implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol


@dataclass(frozen=True)
class Example:
    """A source and its target text.

    ``source`` is one item (text, or a path to a wav / image / video file) for a one-stream model,
    or a mapping stream name → item (e.g. ``{"audio": "a.wav", "video": "a.npy"}``, see
    :mod:`multis2s.data.streams`). ``origin`` is ``"file:line"`` (or an id) for error messages;
    ``tags`` hold extra facts used to report subsets (e.g. ``{"unseen_combination": True}``);
    ``references`` every acceptable target when there are several.
    """

    source: str | Mapping[str, str]
    target: str
    origin: str = ""
    tags: dict[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()

    def all_references(self) -> list[str]:
        """Every acceptable target: ``references`` when given, else the single ``target``."""
        return list(self.references) if self.references else [self.target]


class Dataset(Protocol):
    """What a dataset plugin's factory returns."""

    def split(self, name: str) -> list[Example]:
        """The examples of split ``name`` (``train``, ``dev``, ``test``, …)."""

    def read(self, path: Path) -> list[Example]:
        """Examples from a user's file in this dataset's format (``evaluate --data``)."""
