"""English speech synthesis with eSpeak NG.

:func:`synthesise` speaks a text with a given voice, rate and pitch and
returns the waveform with phoneme and word timings; :func:`voices` lists the
English voices it accepts.  The shared library and its voice data come from
the ``espeakng-loader`` wheel, so nothing has to be installed system-wide.

The library never runs in the calling process.  It lives in one helper
process, :mod:`multis2s_speech.espeak_worker`, started lazily the first time
it is needed, which answers every request from a freshly forked child so that
each result depends only on its own arguments.  This module is the client of
that helper.

The helper handle is this module's only mutable global.  Calls are not
thread-safe: use :func:`synthesise` from one thread at a time.  A process
forked from a caller starts its own helper on first use.  POSIX only
(the helper forks).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import espeakng_loader
import numpy as np

from multis2s_speech import espeak_worker

__all__ = [
    "PhonemeEvent",
    "Utterance",
    "sample_rate",
    "synthesise",
    "variant_names",
    "voices",
]

_PCM16_FULL_SCALE = 32768.0

RATE_RANGE_WPM = (80, 450)
"""Speaking rates eSpeak NG accepts, in words per minute."""
PERCENT_RANGE = (0, 100)
"""Range of the pitch and pitch-range parameters."""

ENGLISH_BASE_VOICES = (
    "en-us",
    "en",
    "en-029",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-gb-x-rp",
    "en-us-nyc",
)
"""English language voices that read Latin script (``en-shaw`` expects Shavian)."""

_INEFFECTIVE_VARIANTS = frozenset({"fast"})
"""Variants that sound exactly like their language voice: ``fast`` only tunes
speeds above the 450 wpm that :func:`synthesise` accepts."""


@dataclass(frozen=True)
class PhonemeEvent:
    """One phoneme as eSpeak spoke it.

    ``name`` is eSpeak's ASCII phoneme mnemonic (up to 8 characters) exactly
    as reported, stress marks and pauses included, e.g. ``"b"``, ``"'u:"``,
    ``"_:"``.  ``start_s`` is seconds from the start of the utterance, with
    millisecond resolution.
    """

    name: str
    start_s: float


@dataclass
class Utterance:
    """Synthesised speech for one text.

    Attributes:
        samples: float32 mono waveform, shape ``(num_samples,)``, values in [-1, 1).
        sample_rate: samples per second (eSpeak NG's native 22050 Hz).
        phonemes: phonemes in the order spoken; start times never decrease.
        words: ``(char_offset, start_s)`` per spoken word; ``char_offset`` is the
            0-based index of the word's first character in the input text.
    """

    samples: np.ndarray
    sample_rate: int
    phonemes: list[PhonemeEvent] = field(default_factory=list)
    words: list[tuple[int, float]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Length of the waveform in seconds."""
        return len(self.samples) / self.sample_rate


class _Helper:
    """Client side of the helper process that owns the eSpeak NG library."""

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        # -P keeps this package's folder off the helper's sys.path.  The Popen
        # object is kept for as long as the helper runs.
        self._process = subprocess.Popen(
            [sys.executable, "-P", espeak_worker.__file__, str(request_read), str(reply_write)],
            pass_fds=(request_read, reply_write),
            stdin=subprocess.DEVNULL,
        )
        os.close(request_read)
        os.close(reply_write)
        self._requests = os.fdopen(request_write, "wb")
        self._replies = os.fdopen(reply_read, "rb")
        self.owner_pid = os.getpid()
        try:
            self.sample_rate = int(espeak_worker.read_message(self._replies))
        except EOFError as error:
            raise RuntimeError("the eSpeak helper process failed to start") from error

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int | None
    ) -> tuple[bytes, list[espeak_worker.RawEvent]]:
        """Ask the helper to synthesise.

        Raises ValueError for a request eSpeak rejects and RuntimeError if
        the helper or its child process dies.
        """
        request = dict(
            text=text, voice=voice, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range
        )
        try:
            espeak_worker.write_message(self._requests, request)
            kind, result = espeak_worker.read_message(self._replies)
        except (EOFError, BrokenPipeError) as error:
            raise RuntimeError("the eSpeak helper process died") from error
        if kind == espeak_worker.REPLY_INVALID:
            raise ValueError(result)
        if kind == espeak_worker.REPLY_FAILED:
            raise RuntimeError(result)
        return result


_helper_handle: _Helper | None = None


def _helper() -> _Helper:
    """Return this process's helper, starting it on first use (or after a fork)."""
    global _helper_handle
    if _helper_handle is None or _helper_handle.owner_pid != os.getpid():
        _helper_handle = _Helper()
    return _helper_handle


def sample_rate() -> int:
    """eSpeak NG's output sample rate in Hz, as returned by ``espeak_Initialize``."""
    return _helper().sample_rate


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside [{low}, {high}]")


def _check_variant(voice: str) -> None:
    """eSpeak silently ignores an unknown ``+variant``; refuse it instead."""
    _, plus, variant = voice.partition("+")
    if plus and variant not in variant_names():
        raise ValueError(f"unknown eSpeak NG voice variant {variant!r} in {voice!r}")


def synthesise(
    text: str,
    *,
    voice: str,
    rate_wpm: int,
    pitch: int,
    pitch_range: int | None = None,
) -> Utterance:
    """Speak ``text`` and return the waveform with phoneme and word timings.

    Args:
        text: text for eSpeak to read with its normal English rules.
        voice: voice name, optionally with a variant, e.g. ``"en-us+m3"``.
        rate_wpm: speaking rate in words per minute, 80..450.
        pitch: base pitch on eSpeak's 0..100 scale (50 is the voice's normal).
        pitch_range: intonation range 0..100 (0 monotone, 50 normal);
            ``None`` keeps eSpeak's default.

    The result depends only on the arguments: equal arguments give identical
    samples whatever was synthesised before.  Raises ValueError for an
    unknown voice or an out-of-range parameter.
    """
    _check_range("rate_wpm", rate_wpm, RATE_RANGE_WPM)
    _check_range("pitch", pitch, PERCENT_RANGE)
    if pitch_range is not None:
        _check_range("pitch_range", pitch_range, PERCENT_RANGE)
    _check_variant(voice)
    helper = _helper()
    pcm, events = helper.speak(text, voice, rate_wpm, pitch, pitch_range)
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / _PCM16_FULL_SCALE
    phonemes = [
        PhonemeEvent(name=raw.rstrip(b"\0").decode("utf-8"), start_s=position_ms / 1000.0)
        for kind, position_ms, _, raw in events
        if kind == espeak_worker.EVENT_PHONEME
    ]
    words = [
        (text_position - 1, position_ms / 1000.0)
        for kind, position_ms, text_position, _ in events
        if kind == espeak_worker.EVENT_WORD
    ]
    return Utterance(
        samples=samples, sample_rate=helper.sample_rate, phonemes=phonemes, words=words
    )


@cache
def variant_names() -> tuple[str, ...]:
    """Names of the voice variants in the data folder's ``voices/!v``, sorted."""
    variant_dir = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    return tuple(sorted(path.name for path in variant_dir.iterdir() if path.is_file()))


def usable_variant_names() -> tuple[str, ...]:
    """:func:`variant_names` less those that sound exactly like their language voice."""
    return tuple(name for name in variant_names() if name not in _INEFFECTIVE_VARIANTS)


def voices() -> list[str]:
    """English voice names usable with :func:`synthesise`.

    The plain language voices (``"en-us"``, ``"en"``, ...) come first, then
    every language voice combined with every variant from ``voices/!v``
    (``"en-us+m3"``, ``"en+klatt"``, ...) except the ineffective ones.  Each
    of them produces audible speech that differs from its plain language voice.
    """
    combined = [f"{base}+{variant}" for base in ENGLISH_BASE_VOICES for variant in usable_variant_names()]
    return list(ENGLISH_BASE_VOICES) + combined
