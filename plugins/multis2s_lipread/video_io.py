"""Reading videos: ``.npy`` frame arrays, folders of frame images, and video files (PyAV).

Every reader returns uint8 frames (T, H, W, C) with C = 1 (grayscale) or 3 (RGB). A missing,
unreadable or empty video is a :class:`DataError` naming the file (and the manifest line).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from multis2s.errors import DataError

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg")
ColourMode = Literal["gray", "rgb"]
REASON_CHARS = 200


def _where(path: Path, origin: str) -> str:
    return f"{origin}: {path}" if origin else str(path)


def _reason(exc: Exception) -> str:
    """A library's error message, cut short (a .npy header parse error quotes the header)."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= REASON_CHARS else f"{text[:REASON_CHARS]}…"


@dataclass(frozen=True)
class FrameLimits:
    """The largest video decoded: ``max_frames`` frames and ``max_pixels`` = frames × height ×
    width (None: no limit). Checked from the file's header before decoding where the format has
    one (``.npy``, frame images, a container that states its frame count), else while decoding."""

    max_frames: int | None = None
    max_pixels: int | None = None

    def check(self, frames: int, height: int, width: int, where: str) -> None:
        """A DataError naming ``where`` when a video of this size is over a limit."""
        if self.max_frames is not None and frames > self.max_frames:
            raise DataError(f"{where}: video of {frames} frames is longer than max_frames={self.max_frames}")
        if self.max_pixels is not None and frames * height * width > self.max_pixels:
            raise DataError(f"{where}: video of {frames} frames of {height}x{width} pixels is larger than "
                            f"max_pixels={self.max_pixels}")


NO_LIMITS = FrameLimits()


def _check_layout(shape: tuple[int, ...], dtype: np.dtype, path: Path, origin: str) -> None:
    """uint8 frames (T, H, W) or (T, H, W, 1|3); else a DataError."""
    if dtype != np.uint8 or len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3)):
        raise DataError(f"{_where(path, origin)}: expected uint8 frames (T, H, W) or (T, H, W, 1|3), "
                        f"got {dtype} {tuple(shape)}")


def _from_array(frames: np.ndarray, path: Path, origin: str) -> np.ndarray:
    """(T, H, W) or (T, H, W, C) uint8 → (T, H, W, C)."""
    _check_layout(frames.shape, frames.dtype, path, origin)
    return frames[..., None] if frames.ndim == 3 else frames


def npy_header(path: Path, origin: str = "") -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of a ``.npy`` file from its header alone; a file too short for the data its
    header announces, or no ``.npy`` file, is a DataError."""
    try:
        with open(path, "rb") as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
            offset = stream.tell()
        size = path.stat().st_size
    except (ValueError, TypeError, SyntaxError, OSError, EOFError) as exc:
        raise DataError(f"{_where(path, origin)}: not a readable .npy video ({_reason(exc)})") from None
    if offset + math.prod(shape) * dtype.itemsize > size:
        raise DataError(f"{_where(path, origin)}: not a readable .npy video (its header announces "
                        f"{dtype} {tuple(shape)}, more data than the file holds)")
    return tuple(shape), dtype


def _read_npy(path: Path, origin: str, limits: FrameLimits) -> np.ndarray:
    shape, dtype = npy_header(path, origin)
    _check_layout(shape, dtype, path, origin)
    limits.check(shape[0], shape[1], shape[2], _where(path, origin))
    try:
        frames = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{_where(path, origin)}: not a readable .npy video ({_reason(exc)})") from None
    return _from_array(frames, path, origin)


def _open_frame(file: Path, origin: str) -> Image.Image:
    """A frame image opened lazily (its header read, no pixel decoded); else a DataError."""
    try:
        with warnings.catch_warnings():  # the size is checked against FrameLimits instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(file)
    except Image.DecompressionBombError:
        raise DataError(f"{_where(file, origin)}: frame image too large to decode") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise DataError(f"{_where(file, origin)}: not a readable frame image ({_reason(exc)})") from None


def _read_frame_folder(path: Path, origin: str, mode: ColourMode, limits: FrameLimits) -> np.ndarray:
    files = sorted(f for f in path.iterdir() if f.suffix.lower() in FRAME_SUFFIXES)
    frames, size = [], None
    for file in files:
        with _open_frame(file, origin) as image:
            if size is None:
                size = image.size
                limits.check(len(files), size[1], size[0], _where(path, origin))
            if image.size != size:
                raise DataError(f"{_where(path, origin)}: frames of different sizes")
            try:
                frames.append(np.asarray(image.convert("L" if mode == "gray" else "RGB")))
            except (OSError, ValueError, SyntaxError, EOFError) as exc:
                raise DataError(f"{_where(file, origin)}: not a readable frame image ({_reason(exc)})") from None
    return _from_array(np.stack(frames), path, origin) if frames else np.zeros((0, 1, 1, 1), np.uint8)


def _read_video_file(path: Path, origin: str, mode: ColourMode, limits: FrameLimits) -> np.ndarray:
    import av  # PyAV: imported on first use, only video files need it

    frames, where = [], _where(path, origin)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.frames > 0:
                limits.check(stream.frames, stream.codec_context.height, stream.codec_context.width, where)
            for frame in container.decode(stream):
                limits.check(len(frames) + 1, frame.height, frame.width, where)
                frames.append(frame.to_ndarray(format="gray" if mode == "gray" else "rgb24"))
                if frames[-1].shape != frames[0].shape:
                    raise DataError(f"{where}: frames of different sizes")
    except (av.error.FFmpegError, IndexError, ValueError) as exc:
        raise DataError(f"{where}: not a readable video ({_reason(exc)})") from None
    return _from_array(np.stack(frames), path, origin) if frames else np.zeros((0, 1, 1, 1), np.uint8)


def read_frames(path: str | Path, *, mode: ColourMode, origin: str = "",
                limits: FrameLimits = NO_LIMITS) -> torch.Tensor:
    """uint8 frames (T, H, W, C) of a ``.npy`` array, a folder of frame images or a video file.

    C is 1 for ``gray`` and 3 for ``rgb`` (a grey ``.npy`` video read as ``rgb`` is repeated). A
    video over ``limits`` is a DataError, found before it is decoded where the format allows.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{_where(path, origin)}: video not found")
    if path.is_dir():
        frames = _read_frame_folder(path, origin, mode, limits)
    elif path.suffix.lower() == ".npy":
        frames = _read_npy(path, origin, limits)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        frames = _read_video_file(path, origin, mode, limits)
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
    """The number of frames, cheaply where the format allows (``.npy`` header, folder listing, a
    container's stated count); else the video is decoded one frame at a time and counted."""
    path = Path(path)
    if path.suffix.lower() == ".npy" and path.is_file():
        shape, _ = npy_header(path, origin)
        return int(shape[0]) if shape else 0
    if path.is_dir():
        return sum(1 for f in path.iterdir() if f.suffix.lower() in FRAME_SUFFIXES)
    if path.suffix.lower() in VIDEO_SUFFIXES and path.is_file():
        import av

        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                return stream.frames if stream.frames > 0 else sum(1 for _ in container.decode(stream))
        except (av.error.FFmpegError, IndexError, ValueError) as exc:
            raise DataError(f"{_where(path, origin)}: not a readable video ({_reason(exc)})") from None
    return len(read_frames(path, mode="gray", origin=origin))
