"""Reading audio files (wav, flac, ogg) as mono float32 waveforms at one sample rate.

Shapes: N samples, C channels. Every failure is a :class:`DataError` naming the file, and the
manifest line when the caller passes it as ``origin``.
"""

from __future__ import annotations

from pathlib import Path

import soundfile
import torch
import torchaudio

from multis2s.errors import DataError


def _where(path: Path | str, origin: str) -> str:
    return f"{origin}: {path}" if origin else str(path)


def _reason(exc: Exception) -> str:
    return getattr(exc, "error_string", None) or str(exc)


def audio_duration(path: Path | str, *, origin: str = "") -> float:
    """The duration in seconds of an audio file, from its header (the samples are not decoded).

    Raises DataError when the file is missing, unreadable or holds no samples.
    """
    if not Path(path).is_file():
        raise DataError(f"{_where(path, origin)}: audio file not found")
    try:
        info = soundfile.info(str(path))
    except (soundfile.SoundFileError, RuntimeError, OSError) as exc:
        raise DataError(f"{_where(path, origin)}: cannot read audio file ({_reason(exc)})") from None
    if info.frames <= 0:
        raise DataError(f"{_where(path, origin)}: audio file is empty")
    return info.frames / info.samplerate


class Resamplers:
    """torchaudio Resample transforms, built once per (original, new) rate pair and kept here."""

    def __init__(self) -> None:
        self.transforms: dict[tuple[int, int], torchaudio.transforms.Resample] = {}

    def __call__(self, waveform: torch.Tensor, *, orig_rate: int, new_rate: int) -> torch.Tensor:
        """waveform (N,) at ``orig_rate`` → (≈ N·new_rate/orig_rate,) at ``new_rate``."""
        if orig_rate == new_rate:
            return waveform
        key = (orig_rate, new_rate)
        if key not in self.transforms:
            self.transforms[key] = torchaudio.transforms.Resample(orig_rate, new_rate)
        with torch.no_grad():
            return self.transforms[key](waveform)


class AudioReader:
    """Reads files as (N,) mono float32 at ``sample_rate``, resampling when the file's rate differs."""

    def __init__(self, *, sample_rate: int, resamplers: Resamplers | None = None) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self.sample_rate = sample_rate
        self.resamplers = resamplers or Resamplers()

    def __call__(self, path: Path | str, *, origin: str = "") -> torch.Tensor:
        """The waveform (N,) of ``path``, channels averaged. Raises DataError."""
        if not Path(path).is_file():
            raise DataError(f"{_where(path, origin)}: audio file not found")
        try:
            samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)  # (N, C)
        except (soundfile.SoundFileError, RuntimeError, OSError) as exc:
            raise DataError(f"{_where(path, origin)}: cannot read audio file ({_reason(exc)})") from None
        if samples.shape[0] == 0:
            raise DataError(f"{_where(path, origin)}: audio file is empty")
        waveform = torch.from_numpy(samples).mean(dim=1)  # (N,)
        return self.resamplers(waveform, orig_rate=int(rate), new_rate=self.sample_rate)


def read_audio(path: Path | str, *, sample_rate: int, origin: str = "") -> torch.Tensor:
    """One file as (N,) mono float32 at ``sample_rate`` (a one-off :class:`AudioReader`)."""
    return AudioReader(sample_rate=sample_rate)(path, origin=origin)
