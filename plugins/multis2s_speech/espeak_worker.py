"""The eSpeak NG helper process: the ctypes binding and its fork-per-request server.

:mod:`multis2s_speech.espeak` runs this file as a script, ``python -P
espeak_worker.py REQUEST_FD REPLY_FD``, and exchanges pickled messages with
it through two pipes (:func:`write_message`, :func:`read_message`).  Run that
way it imports only the standard library and ``espeakng_loader``, never this
package.

The library runs in ``AUDIO_OUTPUT_SYNCHRONOUS`` mode: ``espeak_Synth`` returns
only after the whole utterance has been handed to our callback as 16-bit PCM
chunks plus arrays of ``espeak_EVENT`` records (word starts and, because we
initialise with ``espeakINITIALIZE_PHONEME_EVENTS``, one event per phoneme).

Process model.  eSpeak NG keeps its synthesiser state in process-global C
variables, some of them function-local statics that no API call resets (the
pitch-flutter index, the glottal wave phase, ...).  Speaking one text
therefore changes the samples of the next one by a few samples of phase and
length.  To make every call depend only on its own arguments, the helper
process initialises eSpeak once and never speaks itself: for every request it
forks a child, which inherits that pristine state, speaks, sends the result
back and exits.  Forking the small helper rather than the caller keeps the
cost low even when the caller has imported torch.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import struct
import sys
import traceback
from typing import BinaryIO, NoReturn

import espeakng_loader

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_EE_OK = 0
_CALLBACK_CONTINUE = 0

_BUFFER_MS = 200
_PRELOAD_VOICE = "en"
_RANDOM_SEED = 1
_BYTES_PER_SAMPLE = 2

# Kinds of reply to a synthesis request.
REPLY_OK = "ok"
REPLY_INVALID = "invalid"
REPLY_FAILED = "failed"


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


# Raw event as gathered in the helper: (type, audio_position_ms, text_position, phoneme bytes).
RawEvent = tuple[int, int, int, bytes]


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
        self._events: list[RawEvent] = []
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
            if event.type == EVENT_PHONEME:
                self._events.append((event.type, event.audio_position, 0, bytes(event.id.string)))
            elif event.type == EVENT_WORD:
                self._events.append((event.type, event.audio_position, event.text_position, b""))
            index += 1
        return _CALLBACK_CONTINUE

    def speak(
        self, text: str, voice: str, rate_wpm: int, pitch: int, pitch_range: int | None
    ) -> tuple[bytes, list[RawEvent]]:
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


def write_message(stream: BinaryIO, message: object) -> None:
    """Send one pickled message as a frame."""
    _write_frame(stream, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the eSpeak helper process closed the connection")
    return data


def read_message(stream: BinaryIO) -> object:
    """Receive one message written by :func:`write_message`."""
    (size,) = struct.unpack("<Q", _read_exact(stream, 8))
    return pickle.loads(_read_exact(stream, size))


def _run_child(engine: _Engine, request: dict, reply_fd: int) -> NoReturn:
    """Body of a forked child: speak ``request``, write the pickled reply to ``reply_fd``, exit."""
    exit_code = 1
    try:
        try:
            reply = (REPLY_OK, engine.speak(**request))
        except ValueError as error:
            reply = (REPLY_INVALID, str(error))
        with os.fdopen(reply_fd, "wb") as stream:
            stream.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        exit_code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(exit_code)


def _speak_in_child(engine: _Engine, request: dict) -> bytes:
    """Answer ``request`` from a forked child so the helper's own state stays pristine.

    Returns the pickled reply ``(kind, result)``: ``(REPLY_OK, (pcm, events))``,
    ``(REPLY_INVALID, message)`` for a request eSpeak refused, or
    ``(REPLY_FAILED, message)`` if the child died.
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
        return pickle.dumps((REPLY_FAILED, message))
    return payload


def _serve(request_fd: int, reply_fd: int) -> None:
    """Helper process main loop: announce the sample rate, then answer requests until EOF."""
    # Ctrl-C reaches the whole process group; the caller handles it, and the
    # helper ends when the caller closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = _Engine()
    with os.fdopen(request_fd, "rb") as requests, os.fdopen(reply_fd, "wb") as replies:
        write_message(replies, engine.sample_rate)
        while True:
            try:
                request = read_message(requests)
            except EOFError:
                return
            _write_frame(replies, _speak_in_child(engine, request))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
