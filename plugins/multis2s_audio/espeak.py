"""English speech synthesis with eSpeak NG, called through ctypes.

The shared library and its voice data come from the ``espeakng-loader``
wheel, so nothing has to be installed system-wide.  The library runs in
``AUDIO_OUTPUT_SYNCHRONOUS`` mode: ``espeak_Synth`` returns only after the
whole utterance has been handed to our callback as 16-bit PCM chunks plus
arrays of ``espeak_EVENT`` records (word starts and, because we initialise
with ``espeakINITIALIZE_PHONEME_EVENTS``, one event per phoneme).

Process model.  eSpeak NG keeps its synthesiser state in process-global C
variables, some of them function-local statics that no API call resets (the
pitch-flutter index, the glottal wave phase, ...).  Speaking one text
therefore changes the samples of the next one by a few samples of phase and
length.  To make every call depend only on its own arguments, the library
lives in one helper process (started lazily, the first time it is needed)
that initialises eSpeak once and never speaks itself: for every request it
forks a child, which inherits that pristine state, speaks, sends the result
back and exits.  Forking the small helper rather than the caller keeps the
cost low even when the caller has imported torch.

The helper handle is this module's only mutable global.  Calls are not
thread-safe: use :func:`synthesise` from one thread at a time.  A process
forked from a caller starts its own helper on first use.  POSIX only
(the helper forks).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import struct
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO, NoReturn

import espeakng_loader
import numpy as np

__all__ = [
    "PhonemeEvent",
    "Utterance",
    "sample_rate",
    "synthesise",
    "variant_names",
    "voices",
]

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_EE_OK = 0
_CALLBACK_CONTINUE = 0

_BUFFER_MS = 200
_PRELOAD_VOICE = "en"
_RANDOM_SEED = 1
_PCM16_FULL_SCALE = 32768.0
_REPLY_OK = "ok"
_REPLY_INVALID = "invalid"
_REPLY_FAILED = "failed"
_BYTES_PER_SAMPLE = 2

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


class _EventId(ctypes.Union):
    """The ``id`` union of ``espeak_EVENT``: 8 bytes on a 64-bit platform."""

    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    """Mirror of ``espeak_EVENT``: six ints, a pointer, the union (40 bytes on x86-64)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


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


# Raw event as gathered in the helper: (type, audio_position_ms, text_position, phoneme bytes).
_RawEvent = tuple[int, int, int, bytes]


def _require_ok(status: int, action: str) -> None:
    if status != _EE_OK:
        raise ValueError(f"eSpeak NG could not {action} (status {status})")


class _Engine:
    """The initialised library; exists only inside the helper process."""

    def __init__(self) -> None:
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare_signatures()
        data_path = espeakng_loader.get_data_path()
        self.sample_rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_PHONEME_EVENTS
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed with data path {data_path}")
        self._chunks: list[bytes] = []
        self._events: list[_RawEvent] = []
        # The CFUNCTYPE object must outlive every synthesis call, so it lives here.
        self._callback = _SynthCallback(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._callback)
        # Loading the English dictionary here, once, spares every forked child
        # from reloading it (about 4 ms of copy-on-write faults per utterance).
        _require_ok(self._lib.espeak_SetVoiceByName(_PRELOAD_VOICE.encode()), "load English")

    def _declare_signatures(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int

    def _on_audio(self, wav, num_samples: int, events) -> int:
        """Synth callback: copy this chunk's PCM and events before eSpeak reuses its buffers."""
        if wav and num_samples > 0:
            self._chunks.append(ctypes.string_at(wav, num_samples * _BYTES_PER_SAMPLE))
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_PHONEME:
                self._events.append((event.type, event.audio_position, 0, bytes(event.id.string)))
            elif event.type == _EVENT_WORD:
                self._events.append((event.type, event.audio_position, event.text_position, b""))
            index += 1
        return _CALLBACK_CONTINUE

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int | None
    ) -> tuple[bytes, list[_RawEvent]]:
        """Synthesise ``text``; returns native-endian int16 PCM bytes and the raw events."""
        _require_ok(self._lib.espeak_SetVoiceByName(voice.encode()), f"select voice {voice!r}")
        _require_ok(self._lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0), "set the rate")
        _require_ok(self._lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0), "set the pitch")
        if pitch_range is not None:
            status = self._lib.espeak_SetParameter(_PARAM_RANGE, pitch_range, 0)
            _require_ok(status, "set the pitch range")
        # Initialisation seeded eSpeak's noise generator from the clock.
        self._lib.espeak_ng_SetRandSeed(_RANDOM_SEED)
        self._chunks = []
        self._events = []
        encoded = text.encode("utf-8") + b"\0"
        status = self._lib.espeak_Synth(
            encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        _require_ok(status, "synthesise")
        return b"".join(self._chunks), self._events


def _write_frame(stream: BinaryIO, payload: bytes) -> None:
    """Send ``payload`` prefixed by its length as 8 little-endian bytes."""
    stream.write(struct.pack("<Q", len(payload)) + payload)
    stream.flush()


def _write_message(stream: BinaryIO, message: object) -> None:
    """Send one pickled message as a frame."""
    _write_frame(stream, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the eSpeak helper process closed the connection")
    return data


def _read_message(stream: BinaryIO) -> object:
    """Receive one message written by :func:`_write_message`."""
    (size,) = struct.unpack("<Q", _read_exact(stream, 8))
    return pickle.loads(_read_exact(stream, size))


def _run_child(engine: _Engine, request: dict, reply_fd: int) -> NoReturn:
    """Body of a forked child: speak ``request``, write the pickled reply to ``reply_fd``, exit."""
    exit_code = 1
    try:
        try:
            reply = (_REPLY_OK, engine.speak(**request))
        except ValueError as error:
            reply = (_REPLY_INVALID, str(error))
        with os.fdopen(reply_fd, "wb") as stream:
            stream.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        exit_code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(exit_code)


def _speak_in_child(engine: _Engine, request: dict) -> bytes:
    """Answer ``request`` from a forked child so the helper's own state stays pristine.

    Returns the pickled reply ``(kind, result)``: ``(_REPLY_OK, (pcm, events))``,
    ``(_REPLY_INVALID, message)`` for a request eSpeak refused, or
    ``(_REPLY_FAILED, message)`` if the child died.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(engine, request, write_fd)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        payload = stream.read()
    _, wait_status = os.waitpid(pid, 0)
    if wait_status != 0 or not payload:
        message = f"eSpeak child process failed (wait status {wait_status})"
        return pickle.dumps((_REPLY_FAILED, message))
    return payload


def _serve(request_fd: int, reply_fd: int) -> None:
    """Helper process main loop: announce the sample rate, then answer requests until EOF."""
    # Ctrl-C reaches the whole process group; the caller handles it, and the
    # helper ends when the caller closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = _Engine()
    with os.fdopen(request_fd, "rb") as requests, os.fdopen(reply_fd, "wb") as replies:
        _write_message(replies, engine.sample_rate)
        while True:
            try:
                request = _read_message(requests)
            except EOFError:
                return
            _write_frame(replies, _speak_in_child(engine, request))


class _Helper:
    """Client side of the helper process that owns the eSpeak NG library."""

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        # -P keeps this package's folder off the helper's sys.path.  The Popen
        # object is kept for as long as the helper runs.
        self._process = subprocess.Popen(
            [sys.executable, "-P", __file__, str(request_read), str(reply_write)],
            pass_fds=(request_read, reply_write),
            stdin=subprocess.DEVNULL,
        )
        os.close(request_read)
        os.close(reply_write)
        self._requests = os.fdopen(request_write, "wb")
        self._replies = os.fdopen(reply_read, "rb")
        self.owner_pid = os.getpid()
        try:
            self.sample_rate = int(_read_message(self._replies))
        except EOFError as error:
            raise RuntimeError("the eSpeak helper process failed to start") from error

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int | None
    ) -> tuple[bytes, list[_RawEvent]]:
        """Ask the helper to synthesise.

        Raises ValueError for a request eSpeak rejects and RuntimeError if
        the helper or its child process dies.
        """
        request = dict(
            text=text, voice=voice, rate_wpm=rate_wpm, pitch=pitch, pitch_range=pitch_range
        )
        try:
            _write_message(self._requests, request)
            kind, result = _read_message(self._replies)
        except (EOFError, BrokenPipeError) as error:
            raise RuntimeError("the eSpeak helper process died") from error
        if kind == _REPLY_INVALID:
            raise ValueError(result)
        if kind == _REPLY_FAILED:
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
        if kind == _EVENT_PHONEME
    ]
    words = [
        (text_position - 1, position_ms / 1000.0)
        for kind, position_ms, text_position, _ in events
        if kind == _EVENT_WORD
    ]
    return Utterance(
        samples=samples, sample_rate=helper.sample_rate, phonemes=phonemes, words=words
    )


@cache
def variant_names() -> tuple[str, ...]:
    """Names of the voice variants in the data folder's ``voices/!v``, sorted."""
    variant_dir = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    return tuple(sorted(path.name for path in variant_dir.iterdir() if path.is_file()))


def voices() -> list[str]:
    """English voice names usable with :func:`synthesise`.

    The plain language voices (``"en-us"``, ``"en"``, ...) come first, then
    every language voice combined with every variant from ``voices/!v``
    (``"en-us+m3"``, ``"en+klatt"``, ...) except the ineffective ones.  Each
    of them produces audible speech that differs from its plain language voice.
    """
    variants = [name for name in variant_names() if name not in _INEFFECTIVE_VARIANTS]
    combined = [f"{base}+{variant}" for base in ENGLISH_BASE_VOICES for variant in variants]
    return list(ENGLISH_BASE_VOICES) + combined


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
