"""Behavioural tests of the lip-reading data: visemes, viseme tracks, mouth rendering, the AV corpus."""

import json
import random

import numpy as np
import pytest
import soundfile

from multis2s_speech.speakers import speakers_for_split
from multis2s_speech.espeak import PhonemeEvent, synthesise
from multis2s_speech.grammars import grid_sentence, spoken_form
from multis2s_lipread.corpus import av_speakers_for_split, write_av_corpus
from multis2s_lipread.render import MouthAppearance, render_frames
from multis2s_lipread.visemes import (
    PARAMETERS,
    VISEMES,
    is_pause,
    max_frame_change,
    phoneme_visemes,
    unknown_codes,
    viseme_track,
)

OPENING = PARAMETERS.index("opening")
FPS = 25


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def grid_utterances():
    """50 GRID sentences, each spoken by a train or test voice."""
    rng = random.Random(7)
    voices = speakers_for_split("train") + speakers_for_split("test")
    utterances = []
    for _ in range(50):
        speaker = rng.choice(voices)
        text = spoken_form(grid_sentence(rng))
        utterances.append(synthesise(text, voice=speaker.voice, rate_wpm=speaker.base_rate_wpm, pitch=50))
    return utterances


def test_every_grid_phoneme_has_a_viseme(grid_utterances):
    codes = [event.name for utterance in grid_utterances for event in utterance.phonemes]
    assert unknown_codes(codes) == {}
    assert unknown_codes(["'u:", "aI2", "???"]) == {"???": 1}
    assert phoneme_visemes("'u:") == phoneme_visemes("u")
    assert all(phoneme_visemes(code)[0].name == "rest" for code in codes if is_pause(code))
    used = {viseme.name for code in set(codes) for viseme in phoneme_visemes(code)}
    assert len(used) >= 12 and len(VISEMES) in range(10, 15)


def test_bilabials_close_the_lips_and_open_vowels_open_them():
    for code in ("p", "b", "m"):
        assert phoneme_visemes(code)[0].opening < 0.02
    assert phoneme_visemes("'a")[0].opening > 0.6
    # "pa pa": the track closes for each p, however briefly eSpeak times its release.
    events = [PhonemeEvent(name, start) for name, start in
              [("p", 0.1), ("'a", 0.12), ("p", 0.45), ("'a", 0.47), ("_:", 0.8)]]
    track = viseme_track(events, 1.0, fps=100)
    assert track[5:10, OPENING].min() < 0.05  # closure before the first release at 0.1 s
    assert track[38:45, OPENING].min() < 0.05
    assert track[20:35, OPENING].max() > 0.6


def test_track_length_and_smoothness(grid_utterances):
    for utterance in grid_utterances[:10]:
        track = viseme_track(utterance.phonemes, utterance.duration_s, fps=FPS)
        assert track.shape == (round(utterance.duration_s * FPS), len(PARAMETERS))
        assert track.dtype == np.float32 and track.min() >= 0 and track.max() <= 1
        steps = np.abs(np.diff(track, axis=0))
        assert steps.max() <= max_frame_change(FPS) + 1e-4
        assert steps[:, OPENING].mean() < 0.15
        assert track[:, OPENING].max() - track[:, OPENING].min() > 0.4  # the mouth does move
        fine = viseme_track(utterance.phonemes, utterance.duration_s, fps=200)
        assert np.abs(np.diff(fine, axis=0)).max() <= max_frame_change(200) + 1e-4
    assert viseme_track([], 0.0).shape == (0, len(PARAMETERS))


def mouth_region(frames: np.ndarray) -> np.ndarray:
    return frames[:, 20:44, 12:52].astype(np.float32)


def test_open_and_closed_mouths_look_different():
    closed, wide_open = (v.vector() for v in (VISEMES[1], VISEMES[12]))
    assert VISEMES[1].name == "bilabial" and VISEMES[12].name == "open"
    track = np.stack([closed, closed, wide_open])
    appearance = MouthAppearance.random(random.Random(0))
    frames = render_frames(track, appearance, np.random.default_rng(0), size=64)
    assert frames.shape == (3, 64, 64, 3) and frames.dtype == np.uint8
    region = mouth_region(frames)
    assert np.abs(region[0] - region[1]).mean() < 4  # only noise and jitter
    assert np.abs(region[0] - region[2]).mean() > 15
    gray = render_frames(track, appearance, np.random.default_rng(0), size=48, channels=1)
    assert gray.shape == (3, 48, 48, 1) and gray.dtype == np.uint8


def test_rendering_is_seeded_and_appearance_changes_pixels():
    track = np.stack([v.vector() for v in VISEMES])
    first, second = (MouthAppearance.random(random.Random(seed)) for seed in (1, 2))
    frames = render_frames(track, first, np.random.default_rng(5))
    assert np.array_equal(frames, render_frames(track, first, np.random.default_rng(5)))
    other = render_frames(track, second, np.random.default_rng(5))
    assert np.abs(frames.astype(np.float32) - other).mean() > 10


def read_manifest(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_av_corpus(tmp_path):
    manifests = write_av_corpus(tmp_path / "av", num_train=4, num_dev=2, num_test=2, seed=3, progress=False)
    entries = {split: read_manifest(path) for split, path in manifests.items()}
    assert {split: len(lines) for split, lines in entries.items()} == {"train": 4, "dev": 2, "test": 2}
    for split, lines in entries.items():
        for entry in lines:
            video = np.load(manifests[split].parent / entry["video"])
            audio, rate = soundfile.read(manifests[split].parent / entry["audio"])
            assert video.shape == (entry["frames"], 64, 64) and video.dtype == np.uint8
            assert rate == 16000 and abs(len(audio) / rate - entry["duration"]) < 1 / FPS
            assert abs(entry["frames"] - entry["duration"] * FPS) <= 0.51
            assert entry["text"].count(" ") == 5
    train_dev = {e["speaker"] for split in ("train", "dev") for e in entries[split]}
    assert train_dev.isdisjoint(e["speaker"] for e in entries["test"])
    seen_faces = {s.appearance for s in av_speakers_for_split("train") + av_speakers_for_split("dev")}
    assert seen_faces.isdisjoint(s.appearance for s in av_speakers_for_split("test"))

    again = write_av_corpus(tmp_path / "again", num_train=4, num_dev=2, num_test=2, seed=3, progress=False)
    for split, path in manifests.items():
        assert again[split].read_bytes() == path.read_bytes()
        for entry in entries[split]:
            for key in ("video", "audio"):
                copy, original = again[split].parent / entry[key], path.parent / entry[key]
                assert copy.read_bytes() == original.read_bytes()
    with pytest.raises(FileExistsError):
        write_av_corpus(tmp_path / "av", num_train=1, num_dev=0, num_test=0, seed=3, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "av"]
