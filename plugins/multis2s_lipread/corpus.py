"""Write a synthetic audio-visual corpus: talking-mouth videos with the speech they show.

Layout of a corpus folder::

    video/train/000001.npy ...  uint8 arrays (frames, height, width), grayscale mouth crops
    wav/train/000001.wav ...    16-bit PCM mono WAV files of the same utterances
    video/dev/... wav/dev/... video/test/... wav/test/...
    train.jsonl dev.jsonl test.jsonl

Each manifest line describes one utterance, paths relative to the manifest's folder::

    {"video": "video/train/000001.npy", "audio": "wav/train/000001.wav",
     "text": "bin blue at f two now", "duration": 1.83, "frames": 46, "speaker": "en-us+m3"}

``frames = round(duration * fps)``: frame i shows the mouth at time
``(i + 0.5) / fps``.  A speaker is an eSpeak voice (as in
:mod:`multis2s_speech.speakers`) with a :class:`MouthAppearance` drawn from its
name; the test speakers' voices and faces never occur in train or dev.
Sentences follow the GRID grammar.  Everything is drawn from the seed, so the
same arguments give byte-identical files.

Each video is one ``.npy`` file rather than a folder of PNG frames.  Measured
on 20 utterances (840 frames of 64x64): PNG folders took 0.46 s to write and
0.11 s to read back, ``.npy`` files 0.005 s each way, with one file per
utterance instead of one per frame; PNG would only be 1.9 times smaller
(1.8 MB against 3.4 MB).
"""

from __future__ import annotations

import json
import random
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch
from tqdm import tqdm

from multis2s_speech.audio_io import Resamplers
from multis2s_speech.speakers import SPLITS, Speaker, single_torch_thread, speakers_for_split
from multis2s_speech.espeak import synthesise
from multis2s_speech.grammars import grid_sentence, spoken_form
from multis2s_lipread.render import MouthAppearance, render_frames
from multis2s_lipread.visemes import unknown_codes, viseme_track

__all__ = ["AVSpeaker", "av_speakers_for_split", "speak_and_show", "write_av_corpus"]

_UTTERANCE_RATE_JITTER_WPM = 15
_UTTERANCE_PITCH_JITTER = 8
_PCM16_MAX = 32767
_TIME_DECIMALS = 3


@dataclass(frozen=True)
class AVSpeaker:
    """A synthetic speaker one can hear and see.

    Attributes:
        voice: the eSpeak voice with its habitual rate and pitch; ``voice.voice`` is the speaker id.
        appearance: the look of the mouth, a function of the voice name alone.
    """

    voice: Speaker
    appearance: MouthAppearance

    @property
    def id(self) -> str:
        """The speaker id written to manifests, e.g. ``"en-us+m3"``."""
        return self.voice.voice

    @classmethod
    def from_voice(cls, voice: Speaker) -> AVSpeaker:
        return cls(voice, MouthAppearance.random(random.Random(f"appearance:{voice.voice}")))


def av_speakers_for_split(split: str) -> tuple[AVSpeaker, ...]:
    """Speakers of ``split``: each voice of :func:`multis2s_speech.speakers.speakers_for_split` with a face."""
    return tuple(AVSpeaker.from_voice(voice) for voice in speakers_for_split(split))


@dataclass(frozen=True)
class _Plan:
    """Everything drawn for one utterance before synthesis."""

    text: str
    speaker: AVSpeaker
    rate_wpm: int
    pitch: int
    render_seed: int


def _plan_utterance(speakers: tuple[AVSpeaker, ...], seed: int, split: str, index: int) -> _Plan:
    """Draw text, speaker, prosody and the rendering seed from an rng keyed on (seed, split, index)."""
    rng = random.Random(f"{seed}:{split}:{index}")
    text = grid_sentence(rng)
    speaker = rng.choice(speakers)
    rate_jitter = rng.randint(-_UTTERANCE_RATE_JITTER_WPM, _UTTERANCE_RATE_JITTER_WPM)
    pitch_jitter = rng.randint(-_UTTERANCE_PITCH_JITTER, _UTTERANCE_PITCH_JITTER)
    return _Plan(
        text=text,
        speaker=speaker,
        rate_wpm=speaker.voice.base_rate_wpm + rate_jitter,
        pitch=min(max(speaker.voice.base_pitch + pitch_jitter, 0), 100),
        render_seed=rng.getrandbits(64),
    )


@dataclass(frozen=True)
class _Settings:
    """Options shared by every utterance of a corpus."""

    fps: int
    image_size: int
    sample_rate: int


def _render(
    plan: _Plan, settings: _Settings, resamplers: Resamplers
) -> tuple[np.ndarray, np.ndarray, Counter[str]]:
    """Synthesise and draw ``plan``.

    Returns int16 PCM at ``settings.sample_rate``, shape ``(num_samples,)``;
    the video, uint8 ``(round(num_samples / sample_rate * fps), size, size)``;
    and the phoneme codes that had no viseme, with counts.
    """
    utterance = synthesise(
        spoken_form(plan.text),
        voice=plan.speaker.voice.voice,
        rate_wpm=plan.rate_wpm,
        pitch=plan.pitch,
        pitch_range=plan.speaker.voice.pitch_range,
    )
    samples = resamplers(
        torch.from_numpy(utterance.samples), orig_rate=utterance.sample_rate, new_rate=settings.sample_rate
    ).numpy()
    pcm = np.clip(np.round(samples * _PCM16_MAX), -_PCM16_MAX - 1, _PCM16_MAX).astype(np.int16)
    track = viseme_track(utterance.phonemes, len(pcm) / settings.sample_rate, settings.fps)
    rng = np.random.default_rng(plan.render_seed)
    video = render_frames(track, plan.speaker.appearance, rng, settings.image_size, channels=1)[..., 0]
    return pcm, video, unknown_codes(event.name for event in utterance.phonemes)


def speak_and_show(text: str, speaker: AVSpeaker, *, rate_wpm: int, render_seed: int, fps: int = 25,
                   image_size: int = 64, sample_rate: int = 16000,
                   resamplers: Resamplers | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One utterance of ``text`` by ``speaker`` at ``rate_wpm`` with its habitual pitch, as in the
    corpus: int16 PCM (N,) at ``sample_rate`` and the mouth video, uint8 (frames, size, size)."""
    plan = _Plan(text=text, speaker=speaker, rate_wpm=rate_wpm, pitch=speaker.voice.base_pitch,
                 render_seed=render_seed)
    pcm, video, _ = _render(plan, _Settings(fps=fps, image_size=image_size, sample_rate=sample_rate),
                            resamplers or Resamplers())
    return pcm, video


def _write_split(root: Path, split: str, count: int, *, seed: int, settings: _Settings,
                 resamplers: Resamplers, progress_bar: tqdm) -> Counter[str]:
    """Write ``count`` utterances of ``split`` under ``root``, listed in ``root/<split>.jsonl``.

    Returns the phoneme codes that fell back to the neutral viseme, with counts.
    """
    (root / "wav" / split).mkdir(parents=True)
    (root / "video" / split).mkdir(parents=True)
    speakers = av_speakers_for_split(split)
    unknown: Counter[str] = Counter()
    with open(root / f"{split}.jsonl", "w", encoding="utf-8") as manifest:
        for index in range(count):
            plan = _plan_utterance(speakers, seed, split, index)
            pcm, video, missing = _render(plan, settings, resamplers)
            unknown += missing
            audio_path = f"wav/{split}/{index + 1:06d}.wav"
            video_path = f"video/{split}/{index + 1:06d}.npy"
            soundfile.write(root / audio_path, pcm, settings.sample_rate, subtype="PCM_16")
            np.save(root / video_path, video, allow_pickle=False)
            entry = {
                "video": video_path,
                "audio": audio_path,
                "text": plan.text,
                "duration": round(len(pcm) / settings.sample_rate, _TIME_DECIMALS),
                "frames": len(video),
                "speaker": plan.speaker.id,
            }
            manifest.write(json.dumps(entry) + "\n")
            progress_bar.update(1)
    return unknown


def write_av_corpus(
    folder: Path,
    *,
    num_train: int,
    num_dev: int,
    num_test: int,
    seed: int,
    fps: int = 25,
    image_size: int = 64,
    sample_rate: int = 16000,
    progress: bool = True,
) -> dict[str, Path]:
    """Synthesise a train/dev/test audio-visual GRID corpus into ``folder``.

    Args:
        folder: corpus folder to create; it must not exist yet (FileExistsError).
        num_train, num_dev, num_test: utterances per split.
        seed: the only source of randomness; equal arguments give byte-identical files.
        fps: video frames per second.
        image_size: height and width of the mouth frames in pixels.
        sample_rate: audio rate in Hz (eSpeak's 22050 Hz output is resampled).
        progress: show a tqdm progress bar.

    The caller makes the write atomic (:func:`multis2s.data.cache.ensure_corpus`
    writes into a temporary folder that it renames once complete).  torch runs
    on one intra-op thread meanwhile (restored afterwards).  Warns if any
    phoneme code had no viseme.  Returns the manifest path of each split.
    """
    folder = Path(folder)
    counts = {"train": num_train, "dev": num_dev, "test": num_test}
    if any(count < 0 for count in counts.values()):
        raise ValueError(f"utterance counts must be non-negative, got {counts}")
    if min(fps, image_size, sample_rate) <= 0:
        raise ValueError(
            f"fps, image_size and sample_rate must be positive, got {fps}, {image_size}, {sample_rate}"
        )
    if folder.exists():
        raise FileExistsError(f"corpus folder {folder} already exists")
    folder.mkdir(parents=True)
    settings = _Settings(fps=fps, image_size=image_size, sample_rate=sample_rate)
    resamplers = Resamplers()
    unknown: Counter[str] = Counter()
    total = sum(counts.values())
    with single_torch_thread(), tqdm(total=total, desc=folder.name, unit="utt", disable=not progress) as bar:
        for split, count in counts.items():
            unknown += _write_split(folder, split, count, seed=seed, settings=settings,
                                    resamplers=resamplers, progress_bar=bar)
    if unknown:
        warnings.warn(f"phoneme codes without a viseme (drawn as neutral): {dict(unknown)}", stacklevel=2)
    return {split: folder / f"{split}.jsonl" for split in SPLITS}
