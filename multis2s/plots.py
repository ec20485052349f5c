"""Attention maps drawn as heat maps: target tokens × source positions."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


def plot_attention(
    weights: torch.Tensor,
    target_labels: list[str],
    source_labels: list[str] | None,
    out: Path,
    title: str = "",
    source_features: torch.Tensor | None = None,
    source_image: torch.Tensor | None = None,
) -> None:
    """weights (T, S) → a PNG heat map, output tokens as rows, source positions as columns.

    With ``source_features`` (S_in, F), e.g. a spectrogram, the features are drawn above the map
    on a shared time axis (S encoded steps stretched over the S_in input frames). With
    ``source_image`` (H, W[, 3]) uint8, e.g. a video's frames side by side, the picture is drawn
    above the map across the S positions.
    """
    steps, positions = weights.shape
    frames = positions if source_features is None else source_features.size(0)
    width = max(5.0, min(24.0, 2.0 + 0.28 * positions))
    height = max(3.0, min(24.0, 1.5 + 0.28 * steps))
    if source_features is None and source_image is None:
        figure, axis = plt.subplots(figsize=(width, height))
    else:
        figure, (top, axis) = plt.subplots(2, 1, figsize=(width, height + 2.5), sharex=True,
                                           gridspec_kw={"height_ratios": [1, 2]})
        if source_image is not None:
            top.imshow(source_image.numpy(), cmap="gray", aspect="auto", extent=(0, positions, 0, 1))
            top.set_yticks([])
        else:
            top.imshow(source_features.float().T.numpy(), aspect="auto", origin="lower", cmap="magma",
                       extent=(0, frames, 0, source_features.size(1)), interpolation="nearest")
            top.set_ylabel("feature")
    axis.imshow(weights.float().numpy(), aspect="auto", cmap="viridis", vmin=0.0, interpolation="nearest",
                extent=(0, frames, steps - 0.5, -0.5))
    axis.set_yticks(range(steps), labels=target_labels[:steps])
    if source_labels is not None and len(source_labels) == positions:
        axis.set_xticks([i + 0.5 for i in range(positions)], labels=source_labels, rotation=90)
    else:
        axis.set_xlabel("source position" if source_features is None and source_image is None else "source frame")
    axis.set_ylabel("output token")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def plot_accuracy_by_length(rows: dict[str, dict[int, float]], out: Path, title: str) -> None:
    """rows: series name → {source length: accuracy %} → one line per series."""
    figure, axis = plt.subplots(figsize=(6.5, 4.0))
    for name, by_length in rows.items():
        lengths = sorted(by_length)
        axis.plot(lengths, [by_length[n] for n in lengths], marker="o", label=name)
    axis.set_xlabel("source length (tokens)")
    axis.set_ylabel("accuracy (%)")
    axis.set_ylim(0, 101)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
