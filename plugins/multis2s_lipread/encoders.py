"""The lip-reading encoder: a 3-D convolutional frontend, a per-frame 2-D ResNet trunk and a BiGRU.

As in LipNet and its successors (Stafylakis & Tzimiropoulos, 2017): the 3-D convolution sees a
few neighbouring frames (lip motion), the 2-D trunk turns each frame into a vector, and the
bidirectional GRU models the sequence. The time axis is never subsampled: memory step t is frame t.

Padding never leaks: padded frames are zeros going into the 3-D convolution (so a short video in
a padded batch sees the same zeros as its own zero padding) and are dropped before the trunk, whose
batch normalisation therefore only ever sees real frames.

Shapes: B batch, T frames, C input channels, H × W frame size, F frontend channels, D = 2·hidden.
"""

from __future__ import annotations

from typing import Annotated

import torch
from torch import nn

from multis2s.model.dropout import Dropout
from multis2s.model.encoder import EncoderOutput
from multis2s.model.masks import lengths_to_mask
from multis2s.model.padded_recurrence import run_padded
from multis2s.ranges import DROPOUT, Range


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with batch norm and a residual connection (ResNet's basic block)."""

    def __init__(self, *, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        )
        self.shortcut = (nn.Identity() if stride == 1 and in_channels == out_channels else nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) → (N, C_out, H / stride, W / stride)."""
        return torch.relu(self.body(x) + self.shortcut(x))


class LipReadingEncoder(nn.Module):
    """Video frames (B, T, C, H, W) → memory (B, T, 2·hidden_dim), one step per frame."""

    def __init__(
        self,
        *,
        input_channels: int,
        frontend_channels: Annotated[int, Range(ge=1)] = 32,
        temporal_kernel: Annotated[int, Range(ge=1)] = 5,
        trunk_channels: Annotated[tuple[int, ...], Range(ge=1)] = (32, 64, 128),
        hidden_dim: Annotated[int, Range(ge=1)] = 128,
        layers: Annotated[int, Range(ge=1)] = 2,
        dropout: Annotated[float, DROPOUT] = 0.2,
    ) -> None:
        super().__init__()
        if temporal_kernel % 2 == 0 or temporal_kernel < 1:
            raise ValueError(f"temporal_kernel must be odd and positive, got {temporal_kernel}")
        if not trunk_channels:
            raise ValueError("trunk_channels needs at least one stage")
        self.frontend = nn.Conv3d(input_channels, frontend_channels, (temporal_kernel, 5, 5), stride=(1, 2, 2),
                                  padding=(temporal_kernel // 2, 2, 2), bias=False)
        self.frontend_norm = nn.Sequential(nn.BatchNorm2d(frontend_channels), nn.ReLU(inplace=True))
        stages, previous = [], frontend_channels
        for channels in trunk_channels:
            stages.append(BasicBlock(in_channels=previous, out_channels=channels, stride=2))
            previous = channels
        self.trunk = nn.Sequential(*stages, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dropout = Dropout(dropout)
        self.rnn = nn.GRU(previous, hidden_dim, num_layers=layers, batch_first=True, bidirectional=True,
                          dropout=dropout if layers > 1 else 0.0)
        self.output_dim = 2 * hidden_dim
        self.state_dim = 2 * hidden_dim

    def frame_features(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """frames (B, T, C, H, W), mask (B, T) → per-frame vectors (B, T, trunk_channels[-1]), zero on padding."""
        x = frames * mask[:, :, None, None, None].to(frames.dtype)  # padded frames are exact zeros
        x = self.frontend(x.transpose(1, 2)).transpose(1, 2)  # (B, T, F, H/2, W/2)
        real = x[mask]  # (N real frames, F, H/2, W/2); each trunk stage halves the frame again
        vectors = self.trunk(self.frontend_norm(real))  # (N, C_last)
        out = vectors.new_zeros(*mask.shape, vectors.size(1))  # (B, T, C_last)
        out[mask] = vectors
        return out

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """inputs (B, T, C, H, W), lengths (B,) → memory (B, T, 2·hidden), mask (B, T), state (B, 2·hidden)."""
        mask = lengths_to_mask(lengths, inputs.size(1))  # (B, T)
        features = self.dropout(self.frame_features(inputs, mask))
        memory, hidden = run_padded(self.rnn, features, lengths)  # (B, T, D), (L·2, B, H)
        final = torch.cat([hidden[-2], hidden[-1]], dim=1)  # (B, D): last layer, both directions
        return EncoderOutput(self.dropout(memory), mask, final)
