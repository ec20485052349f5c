"""Sources by stream: each stream's source pipeline, and one example read into every stream's tensor.

An example's source is one item for a one-stream model, or a mapping stream name → item (e.g.
``{"audio": "a.wav", "video": "a.npy"}``, or ``{"cam_left": "l.mp4", "cam_right": "r.mp4"}``).
A stream missing from the mapping is absent from that example: its length is 0 and the decoder
ignores it there. On the command line several streams are written ``audio=a.wav,video=a.npy``.
This module is the data side's only place that knows there may be more than one stream.

Batches are ``(sources, lengths)`` with ``sources``: stream → (B, S_i, …) and ``lengths``:
stream → (B,). A stream that no example of a batch has is left out of both mappings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Collection, Mapping

import torch

from multis2s.data.example import Example
from multis2s.data.pipeline import SourcePipeline
from multis2s.errors import DataError


def parse_sources(text: str, origin: str) -> dict[str, str]:
    """``"audio=a.wav,video=a.npy"`` → ``{"audio": "a.wav", "video": "a.npy"}``."""
    items = {}
    for part in text.split(","):
        stream, sep, item = part.partition("=")
        if not sep or not stream.strip() or not item.strip():
            raise DataError(f"{origin}: expected stream=item pairs separated by commas "
                            f"(e.g. audio=a.wav,video=a.npy), got {text!r}")
        items[stream.strip()] = item.strip()
    return items


def stream_files(out: Path, names: list[str]) -> dict[str, tuple[Path, str]]:
    """One output file per stream and a label for its title: ``out`` itself (no label) for one
    stream, else ``out.<stream>.suffix`` labelled ``[stream]``."""
    if len(names) == 1:
        return {names[0]: (out, "")}
    return {name: (out.with_name(f"{out.stem}.{name}{out.suffix}"), f"  [{name}]") for name in names}


class SourceStreams:
    """The source pipelines of a model's streams, by stream name in config order."""

    def __init__(self, pipelines: dict[str, SourcePipeline]) -> None:
        if not pipelines:
            raise ValueError("a model reads at least one stream")
        self.pipelines = pipelines

    @property
    def names(self) -> list[str]:
        return list(self.pipelines)

    def items(self, example: Example) -> dict[str, Any]:
        """stream → the example's item for it (streams the example lacks are left out)."""
        source = example.source
        if isinstance(source, Mapping):
            unknown = [name for name in source if name not in self.pipelines]
            if unknown:
                raise DataError(f"{example.origin or 'input'}: unknown stream(s) {', '.join(map(repr, unknown))}; "
                                f"this model reads {', '.join(self.names)}")
            return dict(source)
        if len(self.pipelines) == 1:
            return {self.names[0]: source}
        raise DataError(f"{example.origin or 'input'}: this model reads the streams {', '.join(self.names)}: "
                        f"give stream=item pairs separated by commas, got {source!r}")

    def parse_input(self, text: str, origin: str) -> Any:
        """A command-line input as an example source: the item itself for one stream, else
        ``stream=item,…`` pairs."""
        return text if len(self.pipelines) == 1 else parse_sources(text, origin)

    def views(self, example: Example) -> dict[str, Example | None]:
        """stream → the example as that stream sees it (its own item as the source), or None when
        absent; an example with no stream at all is a DataError."""
        items = self.items(example)
        views: dict[str, Example | None] = {}
        for name in self.pipelines:
            item = items.get(name)
            if item is None:
                views[name] = None
            elif item is example.source:  # a one-stream example is its own view
                views[name] = example
            else:
                views[name] = dataclasses.replace(example, source=item)
        if all(v is None for v in views.values()):
            raise DataError(f"{example.origin or 'input'}: the example has none of the streams "
                            f"{', '.join(self.names)}")
        return views

    def fit(self, examples: list[Example], *, skip: Collection[str] = ()) -> None:
        """Each pipeline but those of ``skip`` learns from the training examples that have its stream."""
        views = [self.views(e) for e in examples]
        for name, pipeline in self.pipelines.items():
            if name not in skip:
                pipeline.fit([v[name] for v in views if v[name] is not None])

    def state(self) -> dict[str, Any]:
        return {name: pipeline.state() for name, pipeline in self.pipelines.items()}

    def load_state(self, state: dict[str, Any]) -> None:
        for name, pipeline in self.pipelines.items():
            pipeline.load_state(state[name])

    def _leading(self, example: Example) -> tuple[SourcePipeline, Example]:
        """The pipeline and view of the first stream the example has (the streams run in parallel in time)."""
        name, view = next((n, v) for n, v in self.views(example).items() if v is not None)
        return self.pipelines[name], view

    def length(self, example: Example) -> int:
        """The length of the first stream the example has."""
        pipeline, view = self._leading(example)
        return pipeline.length(view)

    def training_length(self, example: Example, seed: int) -> int:
        """:meth:`length` of the example as its training seed augments it (a pipeline's optional
        ``training_length``: speed perturbation changes the length)."""
        pipeline, view = self._leading(example)
        if getattr(pipeline, "varies_length", False):
            return pipeline.training_length(view, seed)  # type: ignore[attr-defined]
        return pipeline.length(view)

    @property
    def varies_length(self) -> bool:
        """Whether a pipeline's training augmentation changes its clips' lengths, seed by seed."""
        return self.seeded and any(getattr(p, "varies_length", False) for p in self.pipelines.values())

    @property
    def seeded(self) -> bool:
        """Whether a pipeline takes each example's augmentation seed (``seeded``)."""
        return any(getattr(pipeline, "seeded", False) for pipeline in self.pipelines.values())

    def training_examples(self, examples: list[Example]) -> None:
        """Hand the training examples to each pipeline that draws on them while training (its
        optional ``training_examples``, e.g. audio babble made of other training clips)."""
        views = [self.views(e) for e in examples]
        for name, pipeline in self.pipelines.items():
            if hasattr(pipeline, "training_examples"):
                pipeline.training_examples([v[name] for v in views if v[name] is not None])

    def load(self, example: Example, *, train: bool, seed: int | None = None) -> dict[str, torch.Tensor | None]:
        """stream → the stream's tensor (S_i, …), or None when the example lacks it. ``seed``: the
        example's augmentation seed, passed to the pipelines that take one (``seeded``)."""
        return {name: None if view is None else self._load(self.pipelines[name], view, train, seed)
                for name, view in self.views(example).items()}

    @staticmethod
    def _load(pipeline: SourcePipeline, view: Example, train: bool, seed: int | None) -> torch.Tensor:
        if getattr(pipeline, "seeded", False):
            return pipeline.load(view, train=train, seed=seed)  # type: ignore[call-arg]
        return pipeline.load(view, train=train)

    def collate(self, items: list[dict[str, torch.Tensor | None]]
                ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Per stream: the present items padded by the stream's pipeline, absent rows zeros of length 0."""
        sources, lengths = {}, {}
        for name, pipeline in self.pipelines.items():
            rows = [i for i, item in enumerate(items) if item[name] is not None]
            if not rows:
                continue
            padded, present_lengths = pipeline.collate([items[i][name] for i in rows])  # (B_present, S, …)
            if len(rows) < len(items):
                full = padded.new_zeros(len(items), *padded.shape[1:])  # (B, S, …)
                full[rows] = padded
                all_lengths = present_lengths.new_zeros(len(items))
                all_lengths[rows] = present_lengths
                padded, present_lengths = full, all_lengths
            sources[name], lengths[name] = padded, present_lengths
        return sources, lengths
