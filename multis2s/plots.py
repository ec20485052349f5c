"""Attention maps drawn as heat maps: target tokens × source positions."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


def plot_attention(
    weights: torch.Tensor, target_labels: list[str], source_labels: list[str] | None, out: Path, title: str = ""
) -> None:
    """weights (T, S) → a PNG heat map with target tokens as rows and source positions as columns."""
    steps, positions = weights.shape
    width = min(24.0, 2.0 + 0.28 * positions)
    height = min(24.0, 1.5 + 0.28 * steps)
    figure, axis = plt.subplots(figsize=(max(4.0, width), max(3.0, height)))
    axis.imshow(weights.float().numpy(), aspect="auto", cmap="viridis", vmin=0.0, interpolation="nearest")
    axis.set_yticks(range(steps), labels=target_labels[:steps])
    if source_labels is not None and len(source_labels) == positions:
        axis.set_xticks(range(positions), labels=source_labels, rotation=90)
    else:
        axis.set_xlabel("source position")
    axis.set_ylabel("output token")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def plot_accuracy_by_length(rows: dict[str, dict[int, float]], out: Path, title: str) -> None:
    """rows: model name → {source length: accuracy %} → one line per model."""
    figure, axis = plt.subplots(figsize=(6.5, 4.0))
    for name, by_length in rows.items():
        lengths = sorted(by_length)
        axis.plot(lengths, [by_length[n] for n in lengths], marker="o", label=name)
    axis.set_xlabel("source length (tokens)")
    axis.set_ylabel("sequence accuracy (%)")
    axis.set_ylim(0, 101)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
