"""Reading audio files (wav, flac, ogg) as mono float32 waveforms at one sample rate.

Shapes: N samples, C channels. Every failure is a :class:`DataError` naming the file, and the
manifest line when the caller passes it as ``origin``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import soundfile
import torch
import torchaudio

from multis2s.errors import DataError

FILE_SAMPLE_RATES = (4000, 192000)
"""The default range of sample rates an audio file may have (Hz)."""
MAX_RESAMPLING_TAPS = 4_000_000  # ~32 MB to build; 44.1 kHz → 16 kHz takes 76,000
MAX_CACHED_TAPS = 8 * MAX_RESAMPLING_TAPS  # filters kept per Resamplers: at most 8 of the largest allowed, every small one
BLOCK_SAMPLES = 1 << 20  # samples (frames × channels) decoded at a time


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


def resampling_cost(orig_rate: int, new_rate: int) -> int:
    """The number of taps of torchaudio's sinc filter from ``orig_rate`` to ``new_rate`` (its
    default width of 6 zero crossings): the memory of building it, 8 bytes a tap, grows with the
    product of the two rates in lowest terms (16001 Hz → 16000 Hz needs 2 GB)."""
    gcd = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // gcd, new_rate // gcd
    width = math.ceil(6 * orig / (min(orig, new) * 0.99))
    return new * (orig + 2 * width)


class Resamplers:
    """torchaudio Resample transforms, built once per (original, new) rate pair and kept here (the
    last used ones, up to ``MAX_CACHED_TAPS`` taps in all: a speed range's 14 small filters all stay,
    where a count of 8 rebuilt one clip's filter in about 4 of 10). A pair whose filter would have
    over ``MAX_RESAMPLING_TAPS`` taps is refused with a ValueError (:func:`check`)."""

    def __init__(self) -> None:
        self.transforms: OrderedDict[tuple[int, int], torchaudio.transforms.Resample] = OrderedDict()
        self.taps = 0  # of the kept filters

    @staticmethod
    def check(orig_rate: int, new_rate: int) -> None:
        """A ValueError when resampling ``orig_rate`` → ``new_rate`` needs too large a filter."""
        if orig_rate != new_rate and resampling_cost(orig_rate, new_rate) > MAX_RESAMPLING_TAPS:
            gcd = math.gcd(orig_rate, new_rate)
            raise ValueError(f"resampling {orig_rate} Hz to {new_rate} Hz (a ratio of {orig_rate // gcd}/"
                             f"{new_rate // gcd}) needs a filter of over {MAX_RESAMPLING_TAPS} taps")

    def __call__(self, waveform: torch.Tensor, *, orig_rate: int, new_rate: int) -> torch.Tensor:
        """waveform (N,) at ``orig_rate`` → (≈ N·new_rate/orig_rate,) at ``new_rate``."""
        if orig_rate == new_rate:
            return waveform
        key = (orig_rate, new_rate)
        if key in self.transforms:
            self.transforms.move_to_end(key)
        else:
            self.check(orig_rate, new_rate)
            self.transforms[key] = torchaudio.transforms.Resample(orig_rate, new_rate)
            self.taps += resampling_cost(orig_rate, new_rate)
            while self.taps > MAX_CACHED_TAPS:
                self.taps -= resampling_cost(*self.transforms.popitem(last=False)[0])
        with torch.no_grad():
            return self.transforms[key](waveform)


class AudioReader:
    """Reads files as (N,) mono float32 at ``sample_rate``, resampling when the file's rate differs.

    Before a sample is decoded, the file's header must show a sample rate within
    ``file_sample_rates`` (low, high) that can be resampled to ``sample_rate`` (see
    :class:`Resamplers`), and at most ``max_seconds`` of audio (None: no limit); else a DataError.
    The channels are averaged a block at a time, so only the mono waveform is held whole.
    """

    def __init__(self, *, sample_rate: int, resamplers: Resamplers | None = None,
                 file_sample_rates: tuple[int, int] = FILE_SAMPLE_RATES, max_seconds: float | None = None) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        low, high = file_sample_rates
        if not 0 < low <= high:
            raise ValueError(f"file_sample_rates must be [low, high] with 0 < low <= high, "
                             f"got {list(file_sample_rates)}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive or null, got {max_seconds}")
        self.sample_rate, self.file_sample_rates, self.max_seconds = sample_rate, (low, high), max_seconds
        self.resamplers = resamplers or Resamplers()

    def _check_header(self, info: Any, where: str) -> None:
        """``info``: the file's ``soundfile.info``."""
        low, high = self.file_sample_rates
        if info.frames <= 0:
            raise DataError(f"{where}: audio file is empty")
        if not low <= info.samplerate <= high:
            raise DataError(f"{where}: sample rate of {info.samplerate} Hz is outside file_sample_rates "
                            f"[{low}, {high}]")
        try:
            self.resamplers.check(info.samplerate, self.sample_rate)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}; convert the file to {self.sample_rate} Hz") from None
        seconds = info.frames / info.samplerate
        if self.max_seconds is not None and seconds > self.max_seconds:
            raise DataError(f"{where}: clip of {seconds:.2f} s is longer than max_seconds={self.max_seconds}")

    def __call__(self, path: Path | str, *, origin: str = "") -> torch.Tensor:
        """The waveform (N,) of ``path``, channels averaged. Raises DataError."""
        where = _where(path, origin)
        if not Path(path).is_file():
            raise DataError(f"{where}: audio file not found")
        try:
            info = soundfile.info(str(path))
            self._check_header(info, where)
            blocks, block_frames = [], max(1, BLOCK_SAMPLES // max(1, info.channels))
            with soundfile.SoundFile(str(path)) as stream:
                for _ in range(math.ceil(info.frames / block_frames)):  # never more than the header says
                    block = stream.read(block_frames, dtype="float32", always_2d=True)  # (n, C)
                    if not len(block):
                        break
                    blocks.append(torch.from_numpy(block).mean(dim=1))  # (n,)
        except (soundfile.SoundFileError, RuntimeError, OSError) as exc:
            raise DataError(f"{where}: cannot read audio file ({_reason(exc)})") from None
        if not blocks:
            raise DataError(f"{where}: audio file is empty")
        waveform = blocks[0] if len(blocks) == 1 else torch.cat(blocks)  # (N,)
        return self.resamplers(waveform, orig_rate=int(info.samplerate), new_rate=self.sample_rate)


def read_audio(path: Path | str, *, sample_rate: int, origin: str = "") -> torch.Tensor:
    """One file as (N,) mono float32 at ``sample_rate`` (a one-off :class:`AudioReader`)."""
    return AudioReader(sample_rate=sample_rate)(path, origin=origin)
