"""The synthetic speakers of the embedded corpora: eSpeak voices with their own rate and pitch.

Train and dev share one set of voice variants; the test speakers use variants never heard in train
or dev. Used by the audio plugin's speech corpus and the video plugin's talking-mouth corpus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from multis2s_speech import espeak

SPLITS = ("train", "dev", "test")

TRAIN_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt2", "croak", "whisper",
    "Andy", "Annie", "belinda", "grandpa", "linda", "quincy", "robert", "steph",
)
"""eSpeak voice variants of the train and dev speakers."""

TEST_VARIANTS = ("m6", "f4", "klatt3", "whisperf")
"""Held-out variants of the test speakers: a male, a female, a Klatt and a whispering voice,
each of a kind that train has, none of them heard in train or dev."""

TRAIN_VOICE_SETS = ("standard", "all")
"""Voice sets of train and dev: ``standard``, the 20 :data:`TRAIN_VARIANTS`; ``all``, every
variant in eSpeak's data but the :data:`TEST_VARIANTS` (about 100)."""

_SPEAKER_RATE_WPM = (145, 175)
_SPEAKER_PITCH = (35, 65)
_SPEAKER_PITCH_RANGE = (40, 70)


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: an eSpeak voice with its own habitual rate and pitch.

    Attributes:
        voice: eSpeak voice name with variant, e.g. ``"en-us+m3"``; also the speaker id.
        base_rate_wpm: habitual speaking rate, words per minute.
        base_pitch: habitual pitch on eSpeak's 0..100 scale.
        pitch_range: intonation range on eSpeak's 0..100 scale.
    """

    voice: str
    base_rate_wpm: int
    base_pitch: int
    pitch_range: int

    @classmethod
    def from_voice(cls, voice: str) -> Speaker:
        """The speaker for ``voice``; its traits depend on the voice name alone."""
        rng = random.Random(f"speaker:{voice}")
        return cls(
            voice=voice,
            base_rate_wpm=rng.randint(*_SPEAKER_RATE_WPM),
            base_pitch=rng.randint(*_SPEAKER_PITCH),
            pitch_range=rng.randint(*_SPEAKER_PITCH_RANGE),
        )


def train_variants(voice_set: str = "standard") -> tuple[str, ...]:
    """The voice variants of train and dev in ``voice_set`` (one of :data:`TRAIN_VOICE_SETS`)."""
    if voice_set not in TRAIN_VOICE_SETS:
        raise ValueError(f"unknown voice set {voice_set!r}; expected one of {', '.join(TRAIN_VOICE_SETS)}")
    if voice_set == "standard":
        return TRAIN_VARIANTS
    return tuple(name for name in espeak.usable_variant_names() if name not in TEST_VARIANTS)


def speakers_for_split(split: str, voice_set: str = "standard") -> tuple[Speaker, ...]:
    """Speakers of ``split``: every English accent with the split's variants.

    ``"train"`` and ``"dev"`` use the variants of ``voice_set`` (:func:`train_variants`),
    ``"test"`` uses :data:`TEST_VARIANTS` whatever the set, so no test speaker is heard in train
    or dev.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    variants = TEST_VARIANTS if split == "test" else train_variants(voice_set)
    return tuple(
        Speaker.from_voice(f"{base}+{variant}")
        for base in espeak.ENGLISH_BASE_VOICES
        for variant in variants
    )


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread for the duration, then restore the setting.

    Each resampling is a convolution of about a millisecond: splitting it
    across threads saves nothing, and on a busy machine the idle-spinning
    worker threads multiplied the CPU time of a 1,000-utterance corpus
    eightfold (32 s instead of 4 s).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
