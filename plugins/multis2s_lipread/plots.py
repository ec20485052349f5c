"""Attention over a video: the frames in a row, each output token's weights on the same time axis."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def draw_over_frames(strip: np.ndarray, weights: torch.Tensor, target_labels: list[str], out: Path,
                     title: str) -> None:
    """strip (H, T·W, C) uint8: the T frames side by side; weights (T_out, T) → PNG at ``out``.

    The encoder keeps one memory step per frame, so column t of the map is frame t.
    """
    steps, positions = weights.shape
    width = max(6.0, min(30.0, 0.25 * positions))
    height = 1.2 + 0.3 * steps
    figure, (top, axis) = plt.subplots(2, 1, figsize=(width, height + 1.2), sharex=True,
                                       gridspec_kw={"height_ratios": [1.0, max(1.0, 0.3 * steps)]})
    image = strip[..., 0] if strip.shape[2] == 1 else strip
    top.imshow(image, cmap="gray", aspect="auto", extent=(0, positions, 0, 1))
    top.set_yticks([])
    top.set_ylabel("frames")
    axis.imshow(weights.float().numpy(), aspect="auto", cmap="viridis", vmin=0.0, interpolation="nearest",
                extent=(0, positions, steps - 0.5, -0.5))
    axis.set_yticks(range(steps), labels=target_labels[:steps])
    axis.set_xlabel("frame")
    axis.set_ylabel("output token")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
