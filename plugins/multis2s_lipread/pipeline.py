"""The video source pipeline: a video path → normalised frames (T, C, H, W), augmented in training.

Shapes: B batch, T frames, C channels (1 gray or 3 RGB), H × W frame size after crop and resize.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.plots import plot_attention
from multis2s_lipread.video_io import ColourMode, FrameLimits, frame_count, read_frames

MAX_PIXELS = 25_000_000  # the default largest video, frames × height × width: 25 MB of gray uint8


class VideoPipeline:
    """Options (``data.source``).

    crop: ``[top, left, height, width]`` of the region to keep (the mouth), or null for the whole
    frame. frame_size: ``[height, width]`` to resize to after cropping, or null to keep it.
    channels: ``gray`` | ``rgb``. normalise: ``video`` (each video to zero mean and unit variance,
    which removes lighting and skin tone) or ``fixed`` (``(x - mean) / std`` on the 0–1 scale).
    augment (training only): a random shift of up to ``max_shift`` pixels, a horizontal flip with
    probability ``flip``, brightness/contrast jitter of ±``jitter``, and ``time_masks`` spans of
    up to ``time_mask_frames`` frames set to the mean. cache_frames: keep decoded, cropped frames
    in memory (uint8, H·W·C bytes per frame). max_frames: longer videos are a data error.
    max_pixels: videos of more frames × height × width (as stored, before the crop) are a data
    error; both limits are checked from the file's header before decoding (the ``.npy`` header,
    each frame image's header, a container's frame count) or else while decoding. At the limit a
    video takes about 4·C bytes per pixel once normalised.
    """

    modality = "video"
    reads_files = True

    def __init__(
        self,
        *,
        crop: tuple[int, int, int, int] | None = None,
        frame_size: tuple[int, int] | None = None,
        channels: ColourMode = "gray",
        normalise: Literal["video", "fixed"] = "video",
        mean: float = 0.5,
        std: float = 0.25,
        augment: bool = False,
        max_shift: int = 2,
        flip: float = 0.5,
        jitter: float = 0.1,
        time_masks: int = 1,
        time_mask_frames: int = 4,
        cache_frames: bool = True,
        max_frames: int | None = None,
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if channels not in ("gray", "rgb"):
            raise ValueError(f"channels {channels!r} is not one of 'gray', 'rgb'")
        if normalise not in ("video", "fixed"):
            raise ValueError(f"normalise {normalise!r} is not one of 'video', 'fixed'")
        if crop is not None and (min(crop[2:]) <= 0 or min(crop[:2]) < 0):
            raise ValueError(f"crop must be [top, left, height, width] with a positive size, got {list(crop)}")
        if frame_size is not None and min(frame_size) <= 0:
            raise ValueError(f"frame_size must be positive, got {list(frame_size)}")
        if std <= 0:
            raise ValueError(f"std must be positive, got {std}")
        if not 0.0 <= flip <= 1.0:
            raise ValueError(f"flip is a probability, got {flip}")
        if (max_frames is not None and max_frames < 1) or max_pixels < 1:
            raise ValueError(f"max_frames and max_pixels must be positive, got {max_frames}, {max_pixels}")
        self.crop, self.frame_size, self.mode = crop, frame_size, channels
        self.normalise, self.mean, self.std = normalise, mean, std
        self.augment, self.max_shift, self.flip, self.jitter = augment, max_shift, flip, jitter
        self.time_masks, self.time_mask_frames = time_masks, time_mask_frames
        self.limits = FrameLimits(max_frames=max_frames, max_pixels=max_pixels)
        self.cache: dict[str, torch.Tensor] | None = {} if cache_frames else None

    def fit(self, examples: list[Example]) -> None:
        """Nothing to learn: normalisation is per video or fixed."""

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        """No learned state."""

    def encoder_inputs(self) -> dict[str, Any]:
        return {"input_channels": 1 if self.mode == "gray" else 3}

    def length(self, example: Example) -> int:
        """Frames, from the ``frames`` tag or else the file."""
        frames = example.tags.get("frames")
        return max(1, int(frames) if frames is not None else frame_count(example.source, origin=example.origin))

    def _frames(self, example: Example) -> torch.Tensor:
        """uint8 (T, C, H, W), cropped and resized, from the cache when it has them."""
        if self.cache is not None and example.source in self.cache:
            return self.cache[example.source]
        frames = read_frames(example.source, mode=self.mode, origin=example.origin, limits=self.limits)
        frames = frames.permute(0, 3, 1, 2)  # (T, H, W, C) → (T, C, H, W)
        where = f"{example.origin}: {example.source}" if example.origin else example.source
        if self.crop is not None:
            top, left, height, width = self.crop
            if top + height > frames.size(2) or left + width > frames.size(3):
                raise DataError(f"{where}: crop {list(self.crop)} does not fit frames of "
                                f"{frames.size(2)}x{frames.size(3)}")
            frames = frames[:, :, top:top + height, left:left + width]
        if self.frame_size is not None and tuple(frames.shape[2:]) != tuple(self.frame_size):
            resized = F.interpolate(frames.float(), size=tuple(self.frame_size), mode="bilinear", antialias=True,
                                    align_corners=False)
            frames = resized.round().clamp(0, 255).to(torch.uint8)
        frames = frames.contiguous()
        if self.cache is not None:
            self.cache[example.source] = frames
        return frames

    def _normalised(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 (T, C, H, W) → float, by video statistics or the fixed mean and std."""
        x = frames.float() / 255.0
        if self.normalise == "video":
            return (x - x.mean()) / x.std().clamp(min=1e-3)
        return (x - self.mean) / self.std

    def _augmented(self, x: torch.Tensor) -> torch.Tensor:
        """Training-only shift, flip, brightness/contrast jitter and time masks of (T, C, H, W)."""
        if self.max_shift > 0:
            dy, dx = (random.randint(-self.max_shift, self.max_shift) for _ in range(2))
            pad = self.max_shift
            padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
            x = padded[:, :, pad + dy:pad + dy + x.size(2), pad + dx:pad + dx + x.size(3)]
        if random.random() < self.flip:
            x = x.flip(3)
        if self.jitter > 0:
            x = x * (1 + random.uniform(-self.jitter, self.jitter)) + random.uniform(-self.jitter, self.jitter)
        x = x.clone()
        for _ in range(self.time_masks):
            width = random.randint(0, min(self.time_mask_frames, len(x) // 4))
            start = random.randint(0, len(x) - width)
            x[start:start + width] = x.mean()
        return x

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """(T, C, H, W) normalised frames; augmentation only when ``train`` and ``augment``."""
        x = self._normalised(self._frames(example))
        return self._augmented(x) if train and self.augment else x

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames (T_i, C, H, W) → zero-padded (B, T, C, H, W) and lengths (B,)."""
        lengths = torch.tensor([len(t) for t in items], dtype=torch.long)
        batch = items[0].new_zeros(len(items), int(lengths.max()), *items[0].shape[1:])
        for row, item in enumerate(items):
            batch[row, : len(item)] = item
        return batch, lengths  # (B, T, C, H, W), (B,)

    def labels(self, example: Example) -> None:
        """No text labels: :meth:`plot_attention` draws the frames themselves."""
        return None

    def plot_attention(self, example: Example, weights: torch.Tensor, target_labels: list[str], out: Path,
                       title: str) -> None:
        """weights (T_out, T) → a PNG: the frames side by side above the map (memory step t is frame t)."""
        frames = self._frames(example)  # (T, C, H, W) uint8
        strip = torch.cat(list(frames.permute(0, 2, 3, 1)), dim=1)  # (H, T·W, C)
        plot_attention(weights, target_labels, None, out, title=title,
                       source_image=strip[..., 0] if strip.size(2) == 1 else strip)
