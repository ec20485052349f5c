"""Frame-rate reduction for audio encoders: strided 2-D convolutions, and frame-pair stacking.

Shapes: B batch, S frames in, S' frames out, F features per frame, C channels, D size.
Both keep padding out of real positions: padded frames are zeroed before every convolution, and
lengths are updated with the exact output-size formula.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multis2s.model.masks import lengths_to_mask

KERNEL, STRIDE, PADDING = 3, 2, 1
SUBSAMPLING_FACTORS = (4, 8)
"""Time reductions the convolutions offer: two or three stride-2 layers."""


def conv_output_size(size: torch.Tensor | int) -> torch.Tensor | int:
    """Frames (or bins) after one convolution: ``(size + 2·padding - kernel) // stride + 1``."""
    return (size + 2 * PADDING - KERNEL) // STRIDE + 1


def zero_padding(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B, S, …) with every step at or beyond ``lengths`` (B,) set to zero."""
    mask = lengths_to_mask(lengths, x.size(1))  # (B, S)
    return x.masked_fill(~mask.view(*mask.shape, *([1] * (x.dim() - 2))), 0.0)


class ConvSubsampling(nn.Module):
    """Conv2d(3×3, stride 2) + ReLU layers over (time, feature), log2(``factor``) of them: with the
    default factor 4, S' = ⌈⌈S/2⌉/2⌉ (≈ S/4); with 8, one more halving (≈ S/8).

    ``output_dim`` = C·F'' with F'' the feature bins left after the convolutions.
    """

    def __init__(self, *, input_dim: int, channels: int, factor: int = 4) -> None:
        super().__init__()
        if input_dim < 1 or channels < 1:
            raise ValueError(f"input_dim and channels must be positive, got {input_dim} and {channels}")
        if factor not in SUBSAMPLING_FACTORS:
            raise ValueError(f"subsampling must be one of {', '.join(map(str, SUBSAMPLING_FACTORS))}, got {factor}")
        layers = factor.bit_length() - 1
        self.convs = nn.ModuleList(
            nn.Conv2d(1 if layer == 0 else channels, channels, KERNEL, stride=STRIDE, padding=PADDING)
            for layer in range(layers))
        bins = input_dim
        for _ in range(layers):
            bins = conv_output_size(bins)
        self.output_dim = channels * bins

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, S, F), lengths (B,) → (B, S', C·F'') zero beyond the new lengths, lengths (B,)."""
        hidden = x.unsqueeze(1)  # (B, 1, S, F)
        for conv in self.convs:
            hidden = zero_padding(hidden.transpose(1, 2), lengths).transpose(1, 2)  # (B, C, S, F)
            hidden = torch.relu(conv(hidden))  # (B, C, S', F')
            lengths = conv_output_size(lengths)
        batch, channels, steps, bins = hidden.shape
        hidden = hidden.permute(0, 2, 1, 3).reshape(batch, steps, channels * bins)  # (B, S', C·F'')
        return zero_padding(hidden, lengths), lengths


def stack_frame_pairs(x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x (B, S, D) → (B, ⌈S/2⌉, 2D) with frames 2s and 2s+1 side by side, lengths ⌈lengths/2⌉.

    Steps beyond ``lengths`` are zeroed first, so an odd final frame is paired with zeros.
    """
    x = F.pad(zero_padding(x, lengths), (0, 0, 0, x.size(1) % 2))  # (B, S rounded up to even, D); no branch
    batch, steps, size = x.shape
    return x.reshape(batch, steps // 2, 2 * size), (lengths + 1) // 2  # (B, S/2, 2D), (B,)
