"""The source pipeline contract (one per modality, provided by that modality's plugin)."""

from __future__ import annotations

from typing import Any, Protocol

import torch

from multis2s.data.example import Example


class SourcePipeline(Protocol):
    """How one modality's source items become padded tensors; a model has one per stream.

    Lifecycle: built from the stream's ``data.source`` options; :meth:`fit` once on the training
    examples (a vocabulary, global feature statistics, …), whose result :meth:`state` saves in the
    checkpoint and :meth:`load_state` restores; then :meth:`load` per item and :meth:`collate`
    per batch. The examples a pipeline sees have the stream's own item as their ``source``.

    ``reads_files``: True when an item is a file path (audio, images, video), False when it is the
    text itself; ``predict`` refuses a path for a pipeline that reads text.

    Optional: ``plot_attention(example, weights (T, S), target_labels, out, title)``. A pipeline
    that has it draws ``multis2s attention`` itself (images: one panel per word over the image);
    otherwise the CLI draws a heat map over :meth:`labels`, or over the loaded features when
    :meth:`labels` returns None (audio: the spectrogram).

    Optional: ``seeded = True`` and ``load(example, *, train, seed)``: the trainer passes each
    training example's seed (from the run seed, the epoch and the example's index), so the
    pipeline's augmentation of a clip does not depend on the data-loader workers; and
    ``training_examples(examples)``, called before training (also on resume) with the training
    examples the pipeline may draw on (audio babble); and ``training_length(example, seed)`` with
    ``varies_length = True``: the length of the clip as the seed augments it (audio speed
    perturbation), which training then buckets by, epoch by epoch, instead of :meth:`length`.

    Optional: ``cache``, a dict of loaded sources keyed by path, or None; a pipeline that has one
    must stop caching when it is set to None (``multis2s serve`` does: upload paths are reused).
    """

    modality: str
    reads_files: bool

    def fit(self, examples: list[Example]) -> None:
        """Learn what the pipeline needs from the training examples."""

    def state(self) -> dict[str, Any]:
        """Plain data (lists, numbers, strings, tensors) for the checkpoint."""

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`fit` learned."""

    def encoder_inputs(self) -> dict[str, Any]:
        """Values the stream's encoder factory may declare (e.g. ``vocab_size``, ``pad_id``,
        ``input_dim``); their names are the encoder arguments that are not config keys. The names
        must not depend on :meth:`fit` (the values may)."""

    def length(self, example: Example) -> int:
        """A cheap length estimate of the source, for bucketing."""

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """One source as a tensor (S, …); augmentation only when ``train``. Raises DataError."""

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Tensors (S_i, …) → padded batch (B, S, …) and lengths (B,)."""

    def labels(self, example: Example) -> list[str] | None:
        """Per-position labels of the source for attention plots, or None to draw the tensor."""
