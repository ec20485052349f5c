"""Behaviour of the eSpeak NG synthesiser, the sentence grammars and the corpus writer."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from multis2s_audio import corpus
from multis2s_speech import espeak, grammars
from multis2s_speech import speakers as speaker_sets
from multis2s_audio.datasets import speech_dataset

GRID_TEXT = "bin blue at f two now"


def synth(
    text: str, voice: str = "en-us", rate_wpm: int = 160, pitch: int = 50
) -> espeak.Utterance:
    return espeak.synthesise(text, voice=voice, rate_wpm=rate_wpm, pitch=pitch)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def read_manifest(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def make_corpus(
    folder: Path, seed: int, grammar: str = "grid", sizes: tuple[int, int, int] = (6, 2, 2)
) -> dict[str, Path]:
    num_train, num_dev, num_test = sizes
    return corpus.write_corpus(
        folder,
        grammar=grammar,
        num_train=num_train,
        num_dev=num_dev,
        num_test=num_test,
        seed=seed,
        progress=False,
    )


# Grammars


def test_grid_sentence_always_has_the_six_slot_structure():
    rng = random.Random(0)
    for _ in range(500):
        words = grammars.grid_sentence(rng).split(" ")
        assert len(words) == 6
        for word, slot in zip(words, grammars.GRID_SLOTS, strict=True):
            assert word in slot
    assert "w" not in grammars.GRID_SLOTS[3]


def test_grammars_are_deterministic_for_a_given_rng_state():
    for generate in grammars.GRAMMARS.values():
        first = [generate(random.Random(seed)) for seed in range(20)]
        second = [generate(random.Random(seed)) for seed in range(20)]
        assert first == second
        assert len(set(first)) > 10


def test_open_sentences_are_short_lowercase_and_in_vocabulary():
    rng = random.Random(1)
    sentences = [grammars.open_sentence(rng) for _ in range(500)]
    for sentence in sentences:
        words = sentence.split(" ")
        assert 4 <= len(words) <= 10
        assert sentence == sentence.lower()
        assert set(words) <= grammars.OPEN_VOCABULARY
        assert not grammars.is_grid_sentence(sentence)
    assert len(grammars.OPEN_VOCABULARY) >= 300
    assert len({word for s in sentences for word in s.split(" ")}) >= 200


def test_spoken_form_respells_only_the_grid_letter_a():
    assert grammars.spoken_form("bin blue at a two now") == "bin blue at eh two now"
    assert grammars.spoken_form(GRID_TEXT) == GRID_TEXT
    assert grammars.spoken_form("a dog slept in a barn") == "a dog slept in a barn"


def test_grid_letter_a_is_spoken_as_its_letter_name():
    as_written = [p.name for p in synth("bin blue at a two now").phonemes]
    as_spoken = [p.name for p in synth(grammars.spoken_form("bin blue at a two now")).phonemes]
    assert "'eI" not in as_written
    assert "'eI" in as_spoken
    assert "'Ef" in "".join(p.name for p in synth(GRID_TEXT).phonemes)


# Synthesis


def test_grid_sentence_is_audible_with_a_plausible_duration():
    utterance = synth(GRID_TEXT)
    assert utterance.sample_rate == espeak.sample_rate() == 22050
    assert utterance.samples.dtype == np.float32
    assert utterance.samples.ndim == 1
    assert np.abs(utterance.samples).max() <= 1.0
    assert rms(utterance.samples) > 0.02
    assert 0.5 <= utterance.duration_s <= 5.0


def test_faster_rate_gives_shorter_audio():
    slow = synth(GRID_TEXT, rate_wpm=120)
    fast = synth(GRID_TEXT, rate_wpm=300)
    assert fast.duration_s < 0.75 * slow.duration_s


def test_phoneme_events_are_ordered_and_inside_the_audio():
    utterance = synth(GRID_TEXT)
    names = [p.name for p in utterance.phonemes]
    starts = [p.start_s for p in utterance.phonemes]
    assert len(names) >= 12
    assert names[0] == "b"
    assert starts == sorted(starts)
    assert starts[0] >= 0.0
    assert starts[-1] <= utterance.duration_s
    assert [offset for offset, _ in utterance.words] == [0, 4, 9, 12, 14, 18]
    word_starts = [start for _, start in utterance.words]
    assert word_starts == sorted(word_starts)


def test_same_inputs_give_identical_samples_whatever_was_spoken_before():
    first = synth(GRID_TEXT, voice="en+whisper")
    synth("something else entirely", voice="en-us+f3", rate_wpm=300, pitch=90)
    synth("and more", voice="en+klatt", rate_wpm=90, pitch=10)
    again = synth(GRID_TEXT, voice="en+whisper")
    assert np.array_equal(first.samples, again.samples)
    assert first.phonemes == again.phonemes


def test_voice_and_pitch_change_the_sound():
    base = synth(GRID_TEXT, voice="en-us")
    assert not np.array_equal(base.samples, synth(GRID_TEXT, voice="en-us+f2").samples)
    assert not np.array_equal(base.samples, synth(GRID_TEXT, pitch=80).samples)


def test_listed_voices_include_english_variants_that_speak():
    voices = espeak.voices()
    assert {"en-us", "en", "en-us+m3", "en+f2", "en+klatt", "en+whisper", "en+croak"} <= set(voices)
    assert all(voice.startswith("en") for voice in voices)
    assert len(voices) == len(set(voices))
    for voice in random.Random(2).sample(voices, 6):
        utterance = synth(GRID_TEXT, voice=voice)
        assert rms(utterance.samples) > 0.005, voice
        assert 0.5 <= utterance.duration_s <= 5.0, voice


@pytest.mark.parametrize(
    "arguments",
    [
        {"voice": "en+no-such-variant"},
        {"voice": "xx-no-such-language"},
        {"rate_wpm": 20},
        {"pitch": 101},
    ],
)
def test_invalid_arguments_are_rejected(arguments):
    with pytest.raises(ValueError):
        synth(GRID_TEXT, **arguments)


# Corpus


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("corpora") / "grid"
    return folder, make_corpus(folder, seed=7)


def test_corpus_has_readable_16khz_wavs_behind_relative_paths(small_corpus):
    folder, manifests = small_corpus
    assert set(manifests) == {"train", "dev", "test"}
    assert not folder.with_name(folder.name + ".tmp").exists()
    sizes = {split: len(read_manifest(path)) for split, path in manifests.items()}
    assert sizes == {"train": 6, "dev": 2, "test": 2}
    for manifest in manifests.values():
        assert manifest.parent == folder
        for entry in read_manifest(manifest):
            assert not Path(entry["audio"]).is_absolute()
            audio_path = manifest.parent / entry["audio"]
            info = soundfile.info(str(audio_path))
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
            assert entry["duration"] == pytest.approx(info.frames / 16000, abs=1e-3)
            samples, _ = soundfile.read(str(audio_path), dtype="float32")
            assert rms(samples) > 0.01
            assert grammars.is_grid_sentence(entry["text"])
            starts = [start for _, start in entry["phonemes"]]
            assert starts and starts == sorted(starts)
            assert starts[-1] <= entry["duration"] + 1e-3


def test_corpus_test_speakers_are_never_heard_in_train_or_dev(small_corpus):
    _, manifests = small_corpus
    speakers = {
        split: {entry["speaker"] for entry in read_manifest(path)}
        for split, path in manifests.items()
    }
    assert not speakers["test"] & (speakers["train"] | speakers["dev"])
    seen_variants = {speaker.voice.split("+")[1] for speaker in speaker_sets.speakers_for_split("train")}
    test_variants = {speaker.voice.split("+")[1] for speaker in speaker_sets.speakers_for_split("test")}
    assert test_variants and not test_variants & seen_variants
    assert {v.split("+")[1] for v in speakers["test"]} <= test_variants


def test_the_all_voice_set_holds_every_variant_but_the_test_voices():
    every = set(speaker_sets.train_variants("all"))
    assert set(speaker_sets.TRAIN_VARIANTS) < every
    assert every == set(espeak.usable_variant_names()) - set(speaker_sets.TEST_VARIANTS)
    assert len(every) > 4 * len(speaker_sets.TRAIN_VARIANTS)
    assert speaker_sets.speakers_for_split("test", "all") == speaker_sets.speakers_for_split("test")
    assert len(speaker_sets.speakers_for_split("dev", "all")) == len(every) * len(espeak.ENGLISH_BASE_VOICES)


def test_an_unknown_voice_set_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="unknown voice set 'many'; expected one of standard, all"):
        corpus.write_corpus(tmp_path / "c", grammar="grid", num_train=1, num_dev=1, num_test=1, seed=1,
                            train_voices="many", progress=False)
    assert not (tmp_path / "c").exists()


def test_a_corpus_of_all_voices_speaks_train_and_dev_with_them_and_test_with_the_held_out_ones(tmp_path):
    manifests = corpus.write_corpus(tmp_path / "c", grammar="grid", num_train=12, num_dev=4, num_test=4, seed=3,
                                    train_voices="all", progress=False)
    variants = {split: {entry["speaker"].split("+")[1] for entry in read_manifest(path)}
                for split, path in manifests.items()}
    assert variants["train"] | variants["dev"] <= set(speaker_sets.train_variants("all"))
    assert variants["train"] - set(speaker_sets.TRAIN_VARIANTS)  # 12 draws from ~99: some are new
    assert variants["test"] <= set(speaker_sets.TEST_VARIANTS)


def test_same_seed_gives_identical_corpus_files(small_corpus, tmp_path):
    folder, manifests = small_corpus
    again = make_corpus(tmp_path / "again", seed=7)
    for split, manifest in manifests.items():
        assert again[split].read_bytes() == manifest.read_bytes()
        for entry in read_manifest(manifest):
            original = (folder / entry["audio"]).read_bytes()
            assert (tmp_path / "again" / entry["audio"]).read_bytes() == original
    other = make_corpus(tmp_path / "other", seed=8)
    assert other["train"].read_bytes() != manifests["train"].read_bytes()


def test_interrupted_corpus_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = []
    real_synthesise = espeak.synthesise

    def failing_synthesise(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        return real_synthesise(*args, **kwargs)

    monkeypatch.setattr(corpus.espeak, "synthesise", failing_synthesise)
    monkeypatch.setenv("MULTIS2S_CACHE", str(tmp_path))
    threads_before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="simulated crash"):
        speech_dataset(grammar="open", train_size=4, dev_size=0, test_size=0, seed=0)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []  # the corpus's lock stays
    assert torch.get_num_threads() == threads_before
    monkeypatch.setattr(corpus.espeak, "synthesise", real_synthesise)
    dataset = speech_dataset(grammar="open", train_size=4, dev_size=0, test_size=0, seed=0)
    assert len(dataset.split("train")) == 4


def test_existing_corpus_folder_is_not_overwritten(small_corpus):
    folder, _ = small_corpus
    with pytest.raises(FileExistsError):
        make_corpus(folder, seed=0, sizes=(1, 0, 0))


def test_samples_are_identical_in_a_fresh_process():
    """A new process starts a new eSpeak instance, seeded differently unless we reseed."""
    script = (
        "import hashlib; from multis2s_speech import espeak; "
        f"u = espeak.synthesise({GRID_TEXT!r}, voice='en+whisper', rate_wpm=160, pitch=50); "
        "print(hashlib.sha256(u.samples.tobytes()).hexdigest())"
    )
    digest = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.strip()
    samples = synth(GRID_TEXT, voice="en+whisper").samples
    assert digest == hashlib.sha256(samples.tobytes()).hexdigest()
