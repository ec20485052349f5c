"""Behavioural tests of the speech data sources: manifests, LibriSpeech folders, the synthetic corpus."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from multis2s import options
from multis2s.errors import ConfigError, DataError
from multis2s_audio.datasets import manifest_dataset, speech_dataset
from multis2s_audio.manifests import read_librispeech, read_manifest
from multis2s_audio.pipeline import AudioPipeline


pytestmark = pytest.mark.usefixtures("one_thread")


def write_wav(path: Path, seconds: float = 0.2, rate: int = 16000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)
    soundfile.write(path, tone.astype(np.float32), rate)
    return path


def write_manifest(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_manifest_audio_paths_resolve_against_the_manifest_folder(tmp_path, monkeypatch):
    write_wav(tmp_path / "corpus" / "wav" / "a.wav", 0.25)
    absolute = write_wav(tmp_path / "elsewhere" / "b.flac", 0.5)
    manifest = write_manifest(tmp_path / "corpus" / "train.jsonl", [
        {"audio": "wav/a.wav", "text": "hello there", "duration": 9.0, "speaker": "s1"},
        "",
        {"audio": str(absolute), "text": " bye "},
    ])
    monkeypatch.chdir(tmp_path)
    examples = read_manifest(Path("corpus/train.jsonl"), skip_bad=False)
    assert [e.target for e in examples] == ["hello there", "bye"]
    assert examples[0].source == str(tmp_path / "corpus" / "wav" / "a.wav")
    assert all(os.path.isabs(e.source) and os.path.isfile(e.source) for e in examples)
    assert [e.origin for e in examples] == ["corpus/train.jsonl:1", "corpus/train.jsonl:3"]
    assert examples[0].tags == {"duration": 0.25, "speaker": "s1"}  # the file's duration, not the line's
    assert examples[1].tags == {"duration": 0.5}
    assert read_manifest(manifest, skip_bad=False)[0].source == examples[0].source


def make_librispeech(root: Path) -> Path:
    chapter = root / "19" / "198"
    write_wav(chapter / "19-198-0000.flac", 0.3)
    write_wav(chapter / "19-198-0001.wav", 0.2)
    (chapter / "19-198.trans.txt").write_text("19-198-0000 NORTHANGER ABBEY\n19-198-0001 THIS LITTLE WORK\n")
    chapter = root / "26" / "495"
    write_wav(chapter / "26-495-0003.flac", 0.1)
    (chapter / "26-495.trans.txt").write_text("26-495-0003 A\n")
    return root


def test_librispeech_layout_is_read(tmp_path):
    examples = read_librispeech(make_librispeech(tmp_path / "dev-clean"), skip_bad=False)
    assert [e.target for e in examples] == ["NORTHANGER ABBEY", "THIS LITTLE WORK", "A"]
    assert [e.tags["speaker"] for e in examples] == ["19", "19", "26"]
    assert [Path(e.source).name for e in examples] == ["19-198-0000.flac", "19-198-0001.wav", "26-495-0003.flac"]
    assert examples[1].origin.endswith("19-198.trans.txt:2")
    assert examples[2].tags["duration"] == 0.1


def test_manifest_dataset_reads_manifests_and_folders(tmp_path):
    write_wav(tmp_path / "a.wav")
    manifest = write_manifest(tmp_path / "train.jsonl", [{"audio": "a.wav", "text": "one"}])
    folder = make_librispeech(tmp_path / "test-clean")
    dataset = options.build(manifest_dataset, {"train": str(manifest), "test": str(folder)}, where="data.dataset",
                            supplied={"skip_bad": False, "cache_dir": tmp_path})
    assert [e.target for e in dataset.split("train")] == ["one"]
    assert len(dataset.split("test")) == 3 and len(dataset.read(folder)) == 3
    assert [e.target for e in dataset.read(manifest)] == ["one"]
    with pytest.raises(DataError, match="data.dataset.dev"):
        dataset.split("dev")


def bad_manifest_line(tmp_path: Path, case: str):
    """The manifest line of one kind of bad item, and a fragment of its error."""
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    return {
        "json": ('{"audio": "a.wav", "text": ', "not valid JSON"),
        "not_object": ('["a.wav", "x"]', "JSON object"),
        "no_audio": ({"text": "x"}, '"audio"'),
        "no_text": ({"audio": "a.wav"}, '"text"'),
        "empty_text": ({"audio": "a.wav", "text": "  "}, '"text"'),
        "missing_file": ({"audio": "gone.wav", "text": "x"}, "not found"),
        "empty_file": ({"audio": "empty.wav", "text": "x"}, "empty"),
        "corrupt_file": ({"audio": "corrupt.wav", "text": "x"}, "cannot read"),
    }[case]


BAD_CASES = ["json", "not_object", "no_audio", "no_text", "empty_text", "missing_file", "empty_file", "corrupt_file"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_manifest_item_is_an_error_naming_file_and_line(tmp_path, case):
    write_wav(tmp_path / "a.wav")
    line, reason = bad_manifest_line(tmp_path, case)
    manifest = write_manifest(tmp_path / "m.jsonl", [{"audio": "a.wav", "text": "ok"}, line])
    with pytest.raises(DataError, match=reason) as error:
        read_manifest(manifest, skip_bad=False)
    assert str(error.value).startswith(f"{manifest}:2: ")


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_manifest_items_are_skipped_and_counted(tmp_path, case, capsys):
    write_wav(tmp_path / "a.wav")
    line, reason = bad_manifest_line(tmp_path, case)
    good = {"audio": "a.wav", "text": "ok"}
    manifest = write_manifest(tmp_path / "m.jsonl", [good, line, good, line])
    examples = read_manifest(manifest, skip_bad=True)
    assert [e.origin for e in examples] == [f"{manifest}:1", f"{manifest}:3"]
    summary = capsys.readouterr().err.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith(f"skipped 2 bad items of 4 in {manifest} (first: {manifest}:2: ")
    assert reason in summary[0]


def test_bad_librispeech_items_name_the_transcript_line(tmp_path, capsys):
    root = make_librispeech(tmp_path / "train")
    transcript = root / "19" / "198" / "19-198.trans.txt"
    transcript.write_text("19-198-0000 NORTHANGER ABBEY\n19-198-0001\n19-198-0009 NO SUCH FILE\n")
    with pytest.raises(DataError, match=rf"^{transcript}:2: .*no transcript"):
        read_librispeech(root, skip_bad=False)
    examples = read_librispeech(root, skip_bad=True)
    assert [e.target for e in examples] == ["NORTHANGER ABBEY", "A"]
    err = capsys.readouterr().err
    assert f"skipped 2 bad items of 4 in {root} (first: {transcript}:2: " in err


def test_unusable_sources_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_manifest(tmp_path / "none.jsonl", skip_bad=False)
    with pytest.raises(DataError, match="no usable items"):
        read_manifest(write_manifest(tmp_path / "m.jsonl", [{"audio": "gone.wav", "text": "x"}]), skip_bad=True)
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(DataError, match="no LibriSpeech transcripts"):
        manifest_dataset(train=str(tmp_path / "empty_folder")).split("train")


def test_synthetic_speech_is_generated_once_with_unseen_test_voices(tmp_path):
    dataset = speech_dataset(grammar="grid", train_size=4, dev_size=1, test_size=2, seed=5)
    train, test = dataset.split("train"), dataset.split("test")
    assert len(train) == 4 and len(dataset.split("dev")) == 1 and len(test) == 2
    assert not {e.tags["speaker"] for e in train} & {e.tags["speaker"] for e in test}
    again = speech_dataset(grammar="grid", train_size=4, dev_size=1, test_size=2, seed=5)
    assert [e.source for e in again.split("train")] == [e.source for e in train]
    pipeline = AudioPipeline()
    features = pipeline.load(train[0], train=False)
    assert abs(len(features) - pipeline.length(train[0])) <= 1 and features.shape[1] == 80


@pytest.mark.parametrize("bad", [
    {"grammar": "poems"}, {"train_size": -1}, {"noise_snr_db": (30.0, 10.0)},
])
def test_bad_synthetic_speech_options_raise_value_error(bad):
    settings = {"train_size": 2, "dev_size": 1, "test_size": 1, **bad}
    with pytest.raises(ValueError):
        speech_dataset(**settings)


def test_synthetic_speech_options_are_checked_as_config():
    with pytest.raises(ConfigError, match="missing required key"):
        options.build(speech_dataset, {"grammar": "grid"}, where="data.dataset")
    with pytest.raises(ConfigError, match="data.dataset.grammar"):
        options.build(speech_dataset, {"grammar": "poems", "train_size": 1, "dev_size": 1, "test_size": 1},
                      where="data.dataset")
