"""Write a synthetic speech corpus (eSpeak NG voices reading grammar sentences) to a folder.

Layout of a corpus folder::

    wav/train/000001.wav ...    16-bit PCM mono WAV files
    wav/dev/...  wav/test/...
    train.jsonl dev.jsonl test.jsonl

Each manifest line describes one utterance, with the audio path relative to
the manifest's folder, e.g.::

    {"audio": "wav/train/000001.wav", "text": "bin blue at f two now",
     "duration": 1.473, "speaker": "en-us+m3", "phonemes": [["b", 0.013], ...]}

``phonemes`` holds eSpeak's phoneme mnemonics with their start times in
seconds.  Train and dev share one set of speakers; the test speakers use
voice variants that never occur in train or dev.  Everything is drawn from
the seed, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio
from tqdm import tqdm

from multis2s_speech import espeak
from multis2s_speech.grammars import GRAMMARS, spoken_form
from multis2s_speech.speakers import SPLITS, Speaker, single_torch_thread, speakers_for_split, train_variants

__all__ = ["Resampler", "check_rate_range", "write_corpus"]

_UTTERANCE_RATE_JITTER_WPM = 15
_UTTERANCE_PITCH_JITTER = 8
_PCM16_MAX = 32767
_TIME_DECIMALS = 3
_RESAMPLE_BUCKET = 8192


@dataclass(frozen=True)
class _Plan:
    """Everything drawn for one utterance before synthesis."""

    text: str
    speaker: Speaker
    rate_wpm: int
    pitch: int
    snr_db: float | None
    noise_seed: int


def _plan_utterance(
    grammar: str,
    speakers: tuple[Speaker, ...],
    seed: int,
    split: str,
    index: int,
    noise_snr_db: tuple[float, float] | None,
    rate_wpm: tuple[int, int] | None = None,
) -> _Plan:
    """Draw text, speaker and prosody from an rng keyed on (seed, split, index).

    ``rate_wpm`` (low, high): the rate is drawn uniformly from it instead of the speaker's habitual
    rate ± :data:`_UTTERANCE_RATE_JITTER_WPM`, after every other draw (which it leaves as they were).
    """
    rng = random.Random(f"{seed}:{split}:{index}")
    text = GRAMMARS[grammar](rng)
    speaker = rng.choice(speakers)
    rate_jitter = rng.randint(-_UTTERANCE_RATE_JITTER_WPM, _UTTERANCE_RATE_JITTER_WPM)
    pitch_jitter = rng.randint(-_UTTERANCE_PITCH_JITTER, _UTTERANCE_PITCH_JITTER)
    snr_db = rng.uniform(*noise_snr_db) if noise_snr_db is not None else None
    noise_seed = rng.getrandbits(64)
    return _Plan(
        text=text,
        speaker=speaker,
        rate_wpm=speaker.base_rate_wpm + rate_jitter if rate_wpm is None else rng.randint(*rate_wpm),
        pitch=min(max(speaker.base_pitch + pitch_jitter, 0), 100),
        snr_db=snr_db,
        noise_seed=noise_seed,
    )


class Resampler:
    """torchaudio's windowed-sinc resampler for one pair of rates.

    Inputs are zero-padded to a multiple of ``_RESAMPLE_BUCKET`` samples:
    oneDNN compiles a convolution for every new input length, which costs far
    more than the resampling itself, and the padding keeps the set of lengths
    small.  The samples kept are unchanged by it, because torchaudio pads with
    zeros anyway.
    """

    def __init__(self, source_rate: int, target_rate: int) -> None:
        self._source_rate = source_rate
        self._target_rate = target_rate
        self._transform = torchaudio.transforms.Resample(source_rate, target_rate)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """float32 ``(n,)`` at the source rate -> float32 ``(ceil(n * target / source),)``."""
        length = len(samples)
        padded = np.zeros(-(-length // _RESAMPLE_BUCKET) * _RESAMPLE_BUCKET, dtype=np.float32)
        padded[:length] = samples
        output_length = -(-length * self._target_rate // self._source_rate)
        with torch.no_grad():
            return self._transform(torch.from_numpy(padded))[:output_length].numpy()


def _add_white_noise(samples: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """Add Gaussian white noise at ``snr_db`` relative to the mean power of ``samples``.

    ``samples``: float32, shape ``(num_samples,)``; returns the same shape and dtype.
    """
    signal_power = float(np.mean(np.square(samples, dtype=np.float64))) if samples.size else 0.0
    noise_std = np.sqrt(signal_power / 10.0 ** (snr_db / 10.0))
    noise = np.random.default_rng(seed).standard_normal(samples.shape) * noise_std
    return (samples + noise).astype(np.float32)


def _to_pcm16(samples: np.ndarray) -> np.ndarray:
    """float waveform in [-1, 1] -> int16, clipping anything beyond full scale."""
    return np.clip(np.round(samples * _PCM16_MAX), -_PCM16_MAX - 1, _PCM16_MAX).astype(np.int16)


def _render(plan: _Plan, resampler: Resampler) -> tuple[np.ndarray, list[list[str | float]]]:
    """Synthesise ``plan``.

    Returns int16 PCM at the resampler's output rate, shape ``(num_samples,)``,
    and the phonemes as ``[name, start_s]`` pairs.
    """
    utterance = espeak.synthesise(
        spoken_form(plan.text),
        voice=plan.speaker.voice,
        rate_wpm=plan.rate_wpm,
        pitch=plan.pitch,
        pitch_range=plan.speaker.pitch_range,
    )
    samples = resampler(utterance.samples)
    if plan.snr_db is not None:
        samples = _add_white_noise(samples, plan.snr_db, plan.noise_seed)
    phonemes = [[event.name, round(event.start_s, _TIME_DECIMALS)] for event in utterance.phonemes]
    return _to_pcm16(samples), phonemes


def _write_split(
    root: Path,
    split: str,
    count: int,
    *,
    grammar: str,
    seed: int,
    sample_rate: int,
    noise_snr_db: tuple[float, float] | None,
    rate_wpm: tuple[int, int] | None,
    voice_set: str,
    resampler: Resampler,
    progress_bar: tqdm,
) -> None:
    """Write ``count`` utterances of ``split`` under ``root``, listed in ``root/<split>.jsonl``."""
    wav_dir = root / "wav" / split
    wav_dir.mkdir(parents=True)
    speakers = speakers_for_split(split, voice_set)
    with open(root / f"{split}.jsonl", "w", encoding="utf-8") as manifest:
        for index in range(count):
            plan = _plan_utterance(grammar, speakers, seed, split, index, noise_snr_db, rate_wpm)
            pcm, phonemes = _render(plan, resampler)
            relative_path = f"wav/{split}/{index + 1:06d}.wav"
            soundfile.write(root / relative_path, pcm, sample_rate, subtype="PCM_16")
            entry = {
                "audio": relative_path,
                "text": plan.text,
                "duration": round(len(pcm) / sample_rate, _TIME_DECIMALS),
                "speaker": plan.speaker.voice,
                "phonemes": phonemes,
            }
            manifest.write(json.dumps(entry) + "\n")
            progress_bar.update(1)


def _check_arguments(
    grammar: str, counts: dict[str, int], sample_rate: int, noise_snr_db: tuple[float, float] | None,
    train_rate_wpm: tuple[int, int] | None = None,
) -> None:
    if grammar not in GRAMMARS:
        raise ValueError(f"unknown grammar {grammar!r}; expected one of {sorted(GRAMMARS)}")
    if any(count < 0 for count in counts.values()):
        raise ValueError(f"utterance counts must be non-negative, got {counts}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if noise_snr_db is not None and noise_snr_db[0] > noise_snr_db[1]:
        raise ValueError(f"noise_snr_db must be (low, high), got {noise_snr_db}")
    if train_rate_wpm is not None:
        check_rate_range(train_rate_wpm)


def check_rate_range(rate_wpm: tuple[int, int]) -> None:
    """A ValueError unless ``rate_wpm`` is (low, high) within the rates eSpeak accepts."""
    low, high = espeak.RATE_RANGE_WPM
    if not low <= rate_wpm[0] <= rate_wpm[1] <= high:
        raise ValueError(f"train_rate_wpm must be [low, high] within eSpeak's {low}-{high} words/min, "
                         f"got {list(rate_wpm)}")


def write_corpus(
    folder: Path,
    *,
    grammar: str,
    num_train: int,
    num_dev: int,
    num_test: int,
    seed: int,
    sample_rate: int = 16000,
    noise_snr_db: tuple[float, float] | None = (15.0, 30.0),
    train_rate_wpm: tuple[int, int] | None = None,
    train_voices: str = "standard",
    progress: bool = True,
) -> dict[str, Path]:
    """Synthesise a train/dev/test speech corpus into ``folder``.

    Args:
        folder: corpus folder to create; it must not exist yet.
        grammar: ``"grid"`` or ``"open"`` (see :mod:`multis2s_speech.grammars`).
        num_train, num_dev, num_test: utterances per split.
        seed: the only source of randomness; equal arguments give byte-identical files.
        sample_rate: output rate in Hz (eSpeak's 22050 Hz output is resampled).
        noise_snr_db: white noise is added at a signal-to-noise ratio drawn
            uniformly from this (low, high) range in dB; ``None`` adds none.
        train_rate_wpm: the training utterances' speaking rates are drawn uniformly from this
            (low, high) range in words per minute; ``None``: each speaker's habitual rate
            (145–175) ± 15. Dev and test keep the habitual rates.
        train_voices: the voice set of train and dev (:data:`multis2s_speech.speakers.TRAIN_VOICE_SETS`);
            test keeps its held-out voices.
        progress: show a tqdm progress bar.

    The caller makes the write atomic (:func:`multis2s.data.cache.ensure_corpus`
    writes into a temporary folder that it renames once complete).  While it
    runs, torch is limited to one intra-op thread (restored afterwards), which
    also keeps the resampled output independent of the machine's core count.
    Returns the manifest path of each split.
    """
    folder = Path(folder)
    counts = {"train": num_train, "dev": num_dev, "test": num_test}
    _check_arguments(grammar, counts, sample_rate, noise_snr_db, train_rate_wpm)
    train_variants(train_voices)  # an unknown set fails before anything is written
    if folder.exists():
        raise FileExistsError(f"corpus folder {folder} already exists")
    folder.mkdir(parents=True)
    resampler = Resampler(espeak.sample_rate(), sample_rate)
    total = sum(counts.values())
    with (
        single_torch_thread(),
        tqdm(total=total, desc=folder.name, unit="utt", disable=not progress) as bar,
    ):
        for split, count in counts.items():
            _write_split(
                folder,
                split,
                count,
                grammar=grammar,
                seed=seed,
                sample_rate=sample_rate,
                noise_snr_db=noise_snr_db,
                rate_wpm=train_rate_wpm if split == "train" else None,
                voice_set=train_voices,
                resampler=resampler,
                progress_bar=bar,
            )
    return {split: folder / f"{split}.jsonl" for split in SPLITS}
