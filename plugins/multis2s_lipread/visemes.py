"""From eSpeak phoneme codes to visemes, and from a phoneme timeline to per-frame mouth parameters.

A viseme is a mouth shape shared by phonemes that look alike on the lips
(``p``, ``b`` and ``m`` all close them).  Each viseme is a target vector of
the :data:`PARAMETERS`, every one in [0, 1]:

* ``opening``: vertical gap between the lips (jaw drop), 0 = lips touching;
* ``width``: horizontal stretch of the mouth, 0 = narrow, 1 = spread (a smile);
* ``rounding``: rounding and protrusion of the lips;
* ``teeth``: how much of the upper teeth shows;
* ``tongue``: how much of the tongue shows.

A phoneme maps to one viseme, or to two or three in a row for diphthongs
(``aU`` = open then rounded).  :func:`viseme_track` samples a smooth
trajectory through those targets at a video frame rate: the piecewise-constant
target signal is convolved with a raised-cosine window of
:data:`COARTICULATION_S` seconds, a simple model of articulator inertia and
coarticulation, which also bounds how much any parameter can change from one
frame to the next (:func:`max_frame_change`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from types import MappingProxyType

import numpy as np

from multis2s_speech.espeak import PhonemeEvent

__all__ = [
    "COARTICULATION_S",
    "PARAMETERS",
    "STOP_CLOSURE_S",
    "VISEMES",
    "Viseme",
    "is_pause",
    "max_frame_change",
    "normalise_code",
    "phoneme_visemes",
    "unknown_codes",
    "viseme_track",
]

PARAMETERS = ("opening", "width", "rounding", "teeth", "tongue")
"""Names of the columns of a viseme track, in order."""

COARTICULATION_S = 0.1
"""Width in seconds of the raised-cosine window that smooths the target signal."""

STOP_CLOSURE_S = 0.06
"""How long before its event a stop's viseme starts (see :func:`viseme_track`)."""

_DENSE_RATE_HZ = 1000
_STOPS = frozenset({"p", "b", "t", "d", "k", "g", "tS", "dZ"})
_STRESS_MARKS = "',%="
_SUFFIX_MARKS = ":#[-/^0123456789"


@dataclass(frozen=True)
class Viseme:
    """A mouth-shape target; every field is in [0, 1] (see the module docstring)."""

    name: str
    opening: float
    width: float
    rounding: float
    teeth: float
    tongue: float

    def vector(self) -> np.ndarray:
        """The parameters as float32, shape ``(len(PARAMETERS),)``."""
        return np.array(astuple(self)[1:], dtype=np.float32)


REST = Viseme("rest", opening=0.0, width=0.45, rounding=0.15, teeth=0.0, tongue=0.0)
BILABIAL = Viseme("bilabial", opening=0.0, width=0.4, rounding=0.25, teeth=0.0, tongue=0.0)
LABIODENTAL = Viseme("labiodental", opening=0.12, width=0.5, rounding=0.05, teeth=1.0, tongue=0.0)
DENTAL = Viseme("dental", opening=0.3, width=0.55, rounding=0.0, teeth=1.0, tongue=1.0)
ALVEOLAR = Viseme("alveolar", opening=0.22, width=0.6, rounding=0.05, teeth=0.8, tongue=0.25)
POSTALVEOLAR = Viseme("postalveolar", opening=0.25, width=0.25, rounding=0.75, teeth=0.8, tongue=0.0)
VELAR = Viseme("velar", opening=0.4, width=0.5, rounding=0.1, teeth=0.3, tongue=0.4)
RHOTIC = Viseme("rhotic", opening=0.25, width=0.3, rounding=0.55, teeth=0.3, tongue=0.1)
CLOSE_ROUND = Viseme("close_round", opening=0.15, width=0.0, rounding=1.0, teeth=0.0, tongue=0.0)
MID_ROUND = Viseme("mid_round", opening=0.5, width=0.2, rounding=0.7, teeth=0.1, tongue=0.1)
CLOSE_SPREAD = Viseme("close_spread", opening=0.2, width=1.0, rounding=0.0, teeth=0.9, tongue=0.0)
MID_SPREAD = Viseme("mid_spread", opening=0.45, width=0.8, rounding=0.0, teeth=0.7, tongue=0.3)
OPEN = Viseme("open", opening=0.9, width=0.6, rounding=0.05, teeth=0.5, tongue=0.5)
NEUTRAL = Viseme("neutral", opening=0.35, width=0.5, rounding=0.1, teeth=0.3, tongue=0.2)

VISEMES = (
    REST, BILABIAL, LABIODENTAL, DENTAL, ALVEOLAR, POSTALVEOLAR, VELAR,
    RHOTIC, CLOSE_ROUND, MID_ROUND, CLOSE_SPREAD, MID_SPREAD, OPEN, NEUTRAL,
)
"""All visemes; ``NEUTRAL`` (a lax schwa-like shape) doubles as the fallback for unknown codes."""

_SINGLE = {
    BILABIAL: ("p", "b", "m"),
    LABIODENTAL: ("f", "v"),
    DENTAL: ("T", "D"),
    ALVEOLAR: ("t", "d", "n", "l", "s", "z"),
    POSTALVEOLAR: ("S", "Z", "tS", "dZ"),
    VELAR: ("k", "g", "N", "x", "h", "?"),
    RHOTIC: ("r",),
    CLOSE_ROUND: ("w", "u", "U", "y"),
    MID_ROUND: ("o", "O", "0"),
    CLOSE_SPREAD: ("i", "I", "j", "C", ";"),  # ";" is eSpeak's linking glide: "three ; again"
    MID_SPREAD: ("e", "E"),
    OPEN: ("a", "A", "aa", "V"),
    NEUTRAL: ("@", "3"),
}
_SEQUENCES = {
    "aI": (OPEN, CLOSE_SPREAD),
    "aU": (OPEN, CLOSE_ROUND),
    "eI": (MID_SPREAD, CLOSE_SPREAD),
    "oU": (MID_ROUND, CLOSE_ROUND),
    "@U": (NEUTRAL, CLOSE_ROUND),
    "OI": (MID_ROUND, CLOSE_SPREAD),
    "i@": (CLOSE_SPREAD, NEUTRAL),
    "e@": (MID_SPREAD, NEUTRAL),
    "U@": (CLOSE_ROUND, NEUTRAL),
    "A@": (OPEN, NEUTRAL),
    "O@": (MID_ROUND, NEUTRAL),
    "o@": (MID_ROUND, NEUTRAL),
    "aI@": (OPEN, CLOSE_SPREAD, NEUTRAL),
    "aU@": (OPEN, CLOSE_ROUND, NEUTRAL),
    "@L": (NEUTRAL, ALVEOLAR),
    "VR": (OPEN, RHOTIC),
    "3r": (NEUTRAL, RHOTIC),
}
_TABLE: MappingProxyType[str, tuple[Viseme, ...]] = MappingProxyType(
    {code: (viseme,) for viseme, codes in _SINGLE.items() for code in codes} | _SEQUENCES
)


def is_pause(code: str) -> bool:
    """Whether ``code`` is one of eSpeak's pauses (``_``, ``_:``, ``_!`` ...)."""
    return code.startswith("_")


def normalise_code(code: str) -> str:
    """Strip stress marks in front and length/variant marks behind: ``"'u:"`` -> ``"u"``.

    Trailing ``:``, ``#``, ``[``, ``-``, ``/``, ``^`` and digits go
    (``"a#"`` -> ``"a"``, ``"aI2"`` -> ``"aI"``, ``"t["`` -> ``"t"``), but
    never the last character, so the vowels ``"3"`` and ``"0"`` survive.
    """
    stripped = code.lstrip(_STRESS_MARKS) or code
    while len(stripped) > 1 and stripped[-1] in _SUFFIX_MARKS:
        stripped = stripped[:-1]
    return stripped


def phoneme_visemes(code: str) -> tuple[Viseme, ...] | None:
    """The viseme targets of one eSpeak phoneme code, in order; ``None`` if the code is unknown.

    Pauses give ``(REST,)``.
    """
    if is_pause(code):
        return (REST,)
    return _TABLE.get(normalise_code(code))


def unknown_codes(codes: Iterable[str]) -> Counter[str]:
    """How often each code in ``codes`` has no viseme (and so falls back to ``NEUTRAL``)."""
    return Counter(code for code in codes if phoneme_visemes(code) is None)


def _onsets(phonemes: Sequence[PhonemeEvent]) -> list[float]:
    """When each phoneme's mouth shape begins, in seconds.

    eSpeak times a stop from its release, but the lips or tongue close
    during the silence before it; so a stop starts ``STOP_CLOSURE_S``
    earlier, though never before the middle of the previous phoneme.
    """
    onsets = []
    previous = 0.0
    for event in phonemes:
        onset = event.start_s
        if normalise_code(event.name) in _STOPS:
            onset = max(onset - STOP_CLOSURE_S, (previous + onset) / 2)
        onsets.append(onset)
        previous = event.start_s
    return onsets


def _target_signal(phonemes: Sequence[PhonemeEvent], num_samples: int) -> np.ndarray:
    """Piecewise-constant targets at ``_DENSE_RATE_HZ``, shape ``(num_samples, P)``.

    Each phoneme holds from its onset (see :func:`_onsets`) to the next
    phoneme's onset (the last one to the end); a k-viseme phoneme splits its
    span into k equal parts.  Time before the first phoneme is at rest.
    """
    signal = np.tile(REST.vector(), (num_samples, 1))
    starts = [round(onset * _DENSE_RATE_HZ) for onset in _onsets(phonemes)] + [num_samples]
    for event, start, end in zip(phonemes, starts, starts[1:], strict=False):
        start, end = min(max(start, 0), num_samples), min(max(end, 0), num_samples)
        targets = phoneme_visemes(event.name) or (NEUTRAL,)
        bounds = np.linspace(start, end, len(targets) + 1).round().astype(int)
        for viseme, low, high in zip(targets, bounds, bounds[1:], strict=False):
            signal[low:high] = viseme.vector()
    return signal


def _smoothing_window() -> np.ndarray:
    """Raised-cosine (Hann) window spanning ``COARTICULATION_S``, summing to 1, odd length."""
    half = round(COARTICULATION_S * _DENSE_RATE_HZ / 2)
    offsets = np.arange(-half, half + 1) / (2 * half)
    window = 0.5 + 0.5 * np.cos(2 * np.pi * offsets)
    return (window / window.sum()).astype(np.float32)


def max_frame_change(fps: float) -> float:
    """Upper bound on any parameter's change between consecutive frames at ``fps``.

    The smoothed signal's slope is at most the window's peak (2 / width per
    second) times the parameter range of 1.
    """
    return 2.0 / (COARTICULATION_S * fps)


def viseme_track(phonemes: Sequence[PhonemeEvent], duration_s: float, fps: int = 25) -> np.ndarray:
    """Per-frame mouth parameters for an utterance.

    Args:
        phonemes: the utterance's phonemes with start times in seconds,
            in non-decreasing order (as :func:`multis2s_speech.espeak.synthesise` returns them).
        duration_s: length of the utterance in seconds.
        fps: video frames per second.

    Returns:
        float32 array ``(round(duration_s * fps), len(PARAMETERS))``, values in
        [0, 1]; row i describes frame i, sampled at its centre ``(i + 0.5) / fps``.
        Unknown codes use the ``NEUTRAL`` viseme; the mouth is at rest before
        the first phoneme and outside the utterance.
    """
    if duration_s < 0 or fps <= 0:
        raise ValueError(f"need duration_s >= 0 and fps > 0, got {duration_s} and {fps}")
    num_frames = round(duration_s * fps)
    num_samples = max(round(duration_s * _DENSE_RATE_HZ), 1)
    window = _smoothing_window()
    margin = len(window) // 2
    padded = np.tile(REST.vector(), (num_samples + 2 * margin, 1))
    padded[margin : margin + num_samples] = _target_signal(phonemes, num_samples)
    centres = ((np.arange(num_frames) + 0.5) / fps * _DENSE_RATE_HZ).astype(int)
    centres = np.minimum(centres, num_samples - 1) + margin
    neighbourhoods = padded[centres[:, None] + np.arange(-margin, margin + 1)]
    track = np.einsum("tkp,k->tp", neighbourhoods, window)
    return np.clip(track, 0.0, 1.0).astype(np.float32)  # float rounding can overshoot 1 by an ulp
