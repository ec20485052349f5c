"""Hand-made speech data (a JSON-lines manifest, a LibriSpeech-layout folder) trains and evaluates
through the CLI with no code change; predict and attention take audio files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from multis2s.cli import main

WORDS = {"up": 300.0, "down": 600.0, "left": 900.0}


def _tone(path: Path, words: list[str], rate: int = 16000) -> None:
    """One 0.25 s tone per word (a pitch per word), so there is something to learn."""
    t = np.arange(int(0.25 * rate)) / rate
    audio = np.concatenate([0.3 * np.sin(2 * np.pi * WORDS[w] * t) for w in words]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, rate)


def _sentences(count: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [list(rng.choice(list(WORDS), size=int(rng.integers(1, 4)))) for _ in range(count)]


def _manifest(folder: Path, name: str, count: int, seed: int) -> Path:
    lines = []
    for index, words in enumerate(_sentences(count, seed)):
        audio = folder / "wav" / f"{name}{index}.wav"
        _tone(audio, words)
        lines.append(json.dumps({"audio": f"wav/{audio.name}", "text": " ".join(words)}))
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _librispeech(folder: Path, count: int, seed: int) -> Path:
    chapter = folder / "19" / "198"
    lines = []
    for index, words in enumerate(_sentences(count, seed)):
        utterance = f"19-198-{index:04d}"
        _tone(chapter / f"{utterance}.flac", words)
        lines.append(f"{utterance} {' '.join(words).upper()}")
    (chapter / "19-198.trans.txt").write_text("\n".join(lines) + "\n")
    return folder


def _config(tmp_path: Path, train: Path, dev: Path, test: Path) -> Path:
    config = {
        "device": "cpu", "seed": 1,
        "data": {"dataset": {"type": "manifest", "train": str(train), "dev": str(dev), "test": str(test)},
                 "source": {"num_mel_bins": 20}, "target": {"tokenizer": "word", "normalise": True},
                 "batch_size": 8},
        "model": {"encoder": {"type": "conv_lstm", "channels": 4, "hidden_dim": 16, "layers": 1},
                  "decoder": {"type": "rnn", "cell": "gru", "hidden_dim": 16, "embedding_dim": 8,
                              "attention": {"type": "location", "dim": 8, "kernel": 5}}},
        "train": {"lr": 0.01, "max_steps": 30, "validate_every": 15, "progress": False},
        "eval": {"metrics": ["wer", "cer"], "normalise": True, "max_length_ratio": 0.5, "max_length_offset": 3},
    }
    path = tmp_path / "speech.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def speech_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    train = _manifest(folder, "train", 40, seed=1)
    dev = _manifest(folder, "dev", 6, seed=2)
    test = _librispeech(folder / "LibriSpeech", 6, seed=3)
    run = folder / "run"
    assert main(["run", str(_config(folder, train, dev, test)), "-o", str(run)]) == 0
    return folder, run


def test_manifest_and_librispeech_folder_train_and_evaluate(speech_run, capsys):
    folder, run = speech_run
    results = json.loads((run / "results.json").read_text())
    assert results["num_examples"] == 6 and {"wer", "cer"} <= set(results["metrics"])
    assert set(results["word_errors"]) == {"hits", "substitutions", "deletions", "insertions"}
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(folder / "dev.jsonl"), "--errors", "2", "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["num_examples"] == 6 and len(scored["worst"]) <= 2


def test_predict_and_attention_take_audio_files(speech_run, tmp_path, capsys):
    folder, run = speech_run
    wav = folder / "wav" / "dev0.wav"
    capsys.readouterr()
    assert main(["predict", str(run), str(wav), str(folder / "wav" / "dev1.wav")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(set(line.split()) <= set(WORDS) for line in lines)
    out = tmp_path / "att.png"
    assert main(["attention", str(run), str(wav), "--out", str(out)]) == 0
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("seconds", [0.1, 60.0])
def test_very_short_and_very_long_clips_decode(speech_run, tmp_path, capsys, seconds):
    _, run = speech_run
    clip = tmp_path / "clip.wav"
    rate = 16000
    soundfile.write(clip, (0.1 * np.random.default_rng(0).standard_normal(int(seconds * rate))).astype(np.float32), rate)
    capsys.readouterr()
    assert main(["predict", str(run), str(clip)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
