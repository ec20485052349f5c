"""The source pipeline of several encoders: one modality pipeline per stream, batched side by side.

An example for several streams holds a mapping ``modality → item`` as its source (e.g.
``{"audio": "a.wav", "video": "a.npy"}``); each stream reads the item of its encoder's modality.
On the command line such a source is written ``audio=a.wav,video=a.npy``. A modality missing from
an example is a stream absent from that row: its length is 0 and the decoder ignores it there.

Batches are ``(sources, lengths)`` with ``sources``: stream → (B, S_i, …) and ``lengths``:
stream → (B,). A stream that no example of a batch has is left out of both mappings.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import torch

from multis2s.data.example import Example
from multis2s.data.pipeline import SourcePipeline
from multis2s.errors import DataError


def parse_sources(text: str, origin: str) -> dict[str, str]:
    """``"audio=a.wav,video=a.npy"`` → ``{"audio": "a.wav", "video": "a.npy"}``."""
    items = {}
    for part in text.split(","):
        modality, sep, item = part.partition("=")
        if not sep or not modality.strip() or not item.strip():
            raise DataError(f"{origin}: expected modality=path items separated by commas "
                            f"(e.g. audio=a.wav,video=a.npy), got {text!r}")
        items[modality.strip()] = item.strip()
    return items


class StreamPipelines:
    """Named pipelines, each reading one modality of a multi-modal example (a SourcePipeline)."""

    def __init__(self, pipelines: dict[str, SourcePipeline]) -> None:
        self.pipelines = pipelines
        self.modality = "+".join(p.modality for p in pipelines.values())

    def _items(self, example: Example) -> Mapping[str, Any]:
        if isinstance(example.source, Mapping):
            return example.source
        return parse_sources(example.source, example.origin or "input")

    def view(self, example: Example, pipeline: SourcePipeline) -> Example | None:
        """The example as one stream sees it (its own item as the source), or None when absent."""
        item = self._items(example).get(pipeline.modality)
        return None if item is None else dataclasses.replace(example, source=item)

    def fit(self, examples: list[Example]) -> None:
        for pipeline in self.pipelines.values():
            views = [self.view(e, pipeline) for e in examples]
            pipeline.fit([v for v in views if v is not None])

    def state(self) -> dict[str, Any]:
        return {name: pipeline.state() for name, pipeline in self.pipelines.items()}

    def load_state(self, state: dict[str, Any]) -> None:
        for name, pipeline in self.pipelines.items():
            pipeline.load_state(state[name])

    def encoder_inputs(self) -> dict[str, Any]:
        """Per-stream values are handed to each stream's encoder by the assembly, not from here."""
        return {}

    def _views(self, example: Example) -> dict[str, Example | None]:
        """stream → the example as that stream sees it, or None; an example with no stream at all is a DataError."""
        views = {name: self.view(example, pipeline) for name, pipeline in self.pipelines.items()}
        if all(v is None for v in views.values()):
            raise DataError(f"{example.origin}: the example has none of the modalities "
                            f"{', '.join(p.modality for p in self.pipelines.values())}")
        return views

    def length(self, example: Example) -> int:
        """The length of the first stream the example has (the streams run in parallel in time)."""
        name, view = next((n, v) for n, v in self._views(example).items() if v is not None)
        return self.pipelines[name].length(view)

    def load(self, example: Example, *, train: bool) -> dict[str, torch.Tensor | None]:
        """stream → the stream's tensor (S_i, …), or None when the example lacks its modality."""
        return {name: None if view is None else self.pipelines[name].load(view, train=train)
                for name, view in self._views(example).items()}

    def collate(self, items: list[dict[str, torch.Tensor | None]]) -> tuple[dict[str, torch.Tensor],
                                                                             dict[str, torch.Tensor]]:
        """Per stream: the present items padded by the stream's pipeline, absent rows zeros of length 0."""
        sources, lengths = {}, {}
        for name, pipeline in self.pipelines.items():
            rows = [i for i, item in enumerate(items) if item[name] is not None]
            if not rows:
                continue
            padded, present_lengths = pipeline.collate([items[i][name] for i in rows])  # (B_present, S, …)
            full = padded.new_zeros(len(items), *padded.shape[1:])  # (B, S, …)
            full[rows] = padded
            stream_lengths = present_lengths.new_zeros(len(items))
            stream_lengths[rows] = present_lengths
            sources[name], lengths[name] = full, stream_lengths
        return sources, lengths

    def labels(self, example: Example) -> list[str] | None:
        """Several streams have no single row of labels: the attention is drawn over positions."""
        return None
