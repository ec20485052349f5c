"""Reading videos: ``.npy`` frame arrays, folders of frame images, and video files (PyAV).

Every reader returns uint8 frames (T, H, W, C) with C = 1 (grayscale) or 3 (RGB). A missing,
unreadable or empty video is a :class:`DataError` naming the file (and the manifest line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from multis2s.errors import DataError

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg")
ColourMode = Literal["gray", "rgb"]


def _where(path: Path, origin: str) -> str:
    return f"{origin}: {path}" if origin else str(path)


def _from_array(frames: np.ndarray, path: Path, origin: str) -> np.ndarray:
    """(T, H, W) or (T, H, W, C) uint8 → (T, H, W, C)."""
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[3] not in (1, 3)):
        raise DataError(f"{_where(path, origin)}: expected uint8 frames (T, H, W) or (T, H, W, 1|3), "
                        f"got {frames.dtype} {frames.shape}")
    return frames[..., None] if frames.ndim == 3 else frames


def _read_npy(path: Path, origin: str) -> np.ndarray:
    try:
        frames = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{_where(path, origin)}: not a readable .npy video ({exc})") from None
    return _from_array(frames, path, origin)


def _read_frame_folder(path: Path, origin: str, mode: ColourMode) -> np.ndarray:
    files = sorted(f for f in path.iterdir() if f.suffix.lower() in FRAME_SUFFIXES)
    frames = []
    for file in files:
        try:
            with Image.open(file) as image:
                frames.append(np.asarray(image.convert("L" if mode == "gray" else "RGB")))
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"{_where(file, origin)}: not a readable frame image ({exc})") from None
    if frames and len({f.shape for f in frames}) > 1:
        raise DataError(f"{_where(path, origin)}: frames of different sizes")
    return _from_array(np.stack(frames), path, origin) if frames else np.zeros((0, 1, 1, 1), np.uint8)


def _read_video_file(path: Path, origin: str, mode: ColourMode) -> np.ndarray:
    import av  # PyAV: imported on first use, only video files need it

    try:
        with av.open(str(path)) as container:
            frames = [frame.to_ndarray(format="gray" if mode == "gray" else "rgb24")
                      for frame in container.decode(video=0)]
    except (av.error.FFmpegError, IndexError, ValueError) as exc:
        raise DataError(f"{_where(path, origin)}: not a readable video ({exc})") from None
    return _from_array(np.stack(frames), path, origin) if frames else np.zeros((0, 1, 1, 1), np.uint8)


def read_frames(path: str | Path, *, mode: ColourMode, origin: str = "") -> torch.Tensor:
    """uint8 frames (T, H, W, C) of a ``.npy`` array, a folder of frame images or a video file.

    C is 1 for ``gray`` and 3 for ``rgb`` (a grey ``.npy`` video read as ``rgb`` is repeated).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{_where(path, origin)}: video not found")
    if path.is_dir():
        frames = _read_frame_folder(path, origin, mode)
    elif path.suffix.lower() == ".npy":
        frames = _read_npy(path, origin)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        frames = _read_video_file(path, origin, mode)
    else:
        raise DataError(f"{_where(path, origin)}: unknown video format (expected a .npy array, a folder of "
                        f"frames or one of {', '.join(VIDEO_SUFFIXES)})")
    if len(frames) == 0:
        raise DataError(f"{_where(path, origin)}: video has no frames")
    tensor = torch.from_numpy(np.ascontiguousarray(frames))  # (T, H, W, C)
    if mode == "gray" and tensor.size(3) == 3:
        tensor = (tensor.float() @ torch.tensor([0.299, 0.587, 0.114])).round().to(torch.uint8).unsqueeze(3)
    elif mode == "rgb" and tensor.size(3) == 1:
        tensor = tensor.expand(-1, -1, -1, 3)
    return tensor


def frame_count(path: str | Path, *, origin: str = "") -> int:
    """The number of frames, cheaply where the format allows (``.npy`` header, folder listing)."""
    path = Path(path)
    if path.suffix.lower() == ".npy" and path.is_file():
        try:
            shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"{_where(path, origin)}: not a readable .npy video ({exc})") from None
        return int(shape[0]) if shape else 0
    if path.is_dir():
        return sum(1 for f in path.iterdir() if f.suffix.lower() in FRAME_SUFFIXES)
    return len(read_frames(path, mode="gray", origin=origin))
