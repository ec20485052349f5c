"""Lip reading and audio-visual recognition through the CLI, on a tiny generated corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from multis2s.cli import main
from multis2s_lipread.datasets import synthetic_av_dataset

TINY_DATA = {"type": "synthetic_av", "train_size": 16, "dev_size": 4, "test_size": 4, "seed": 5, "image_size": 32}
VIDEO_SOURCE = {"crop": [6, 4, 20, 24], "augment": True}
AUDIO_SOURCE = {"num_mel_bins": 20, "noise_snr_db": [0, 20]}
VIDEO_ENCODER = {"type": "lipnet", "frontend_channels": 4, "trunk_channels": [4, 8], "hidden_dim": 8, "layers": 1}
AUDIO_ENCODER = {"type": "conv_lstm", "channels": 4, "hidden_dim": 8, "layers": 1}
DECODER = {"type": "rnn", "cell": "gru", "embedding_dim": 8, "hidden_dim": 16,
           "attention": {"type": "additive", "dim": 8}, "input_feeding": False}
COMMON = {
    "seed": 1, "device": "cpu",
    "train": {"lr": 0.01, "max_steps": 6, "validate_every": 3, "log_every": 3, "progress": False},
    "eval": {"metrics": ["wer", "cer"], "normalise": True, "search": {"type": "beam", "beam": 2},
             "max_length_ratio": 0.0, "max_length_offset": 8, "batch_size": 4},
}


def write_config(folder: Path, name: str, data: dict, model: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**COMMON, "data": {"batch_size": 4, **data}, "model": model}))
    return path


def tiny_test_examples():
    """The tiny corpus's test utterances (generated once into the session's cache)."""
    options = {k: v for k, v in TINY_DATA.items() if k != "type"}
    return synthetic_av_dataset(**options).split("test")


@pytest.fixture(scope="module")
def lipreading_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lipreading")
    config = write_config(folder, "lip", {"dataset": TINY_DATA, "source": VIDEO_SOURCE},
                          {"encoder": VIDEO_ENCODER, "decoder": DECODER})
    assert main(["run", str(config), "-o", str(folder / "run")]) == 0
    return folder / "run"


def test_lip_reading_runs_predicts_and_draws_attention_over_frames(lipreading_run, tmp_path, capsys):
    results = json.loads((lipreading_run / "results.json").read_text())
    assert results["num_examples"] == 4 and {"wer", "cer"} <= set(results["metrics"])
    videos = [e.source["video"] for e in tiny_test_examples()]
    capsys.readouterr()
    assert main(["predict", str(lipreading_run), *videos[:2]]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # one line per input, empty outputs included
    out = tmp_path / "att.png"
    assert main(["attention", str(lipreading_run), videos[0], "--out", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_a_corrupt_video_is_named_or_skipped_and_counted(lipreading_run, tmp_path, capsys):
    examples = tiny_test_examples()
    broken = tmp_path / "broken.npy"
    broken.write_bytes(b"\x93NUMPY broken")
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 32, 32), np.uint8))
    lines = [{"video": examples[0].source["video"], "text": examples[0].target},
             {"video": str(broken), "text": examples[1].target},
             {"video": str(empty), "text": examples[2].target}]
    manifest = tmp_path / "mixed.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert main(["evaluate", str(lipreading_run), "--data", str(manifest)]) == 2
    assert f"{manifest}:2: {broken}: not a readable .npy video" in capsys.readouterr().err


def test_audio_and_video_into_one_decoder_decode_with_a_stream_missing(tmp_path, capsys):
    config = write_config(tmp_path, "av", {"dataset": TINY_DATA,
                                            "source": {"audio": AUDIO_SOURCE, "video": VIDEO_SOURCE}},
                          {"encoders": {"audio": AUDIO_ENCODER, "video": VIDEO_ENCODER}, "stream_dropout": 0.3,
                           "decoder": {**DECODER, "fusion": "gate"}})
    run = tmp_path / "run"
    assert main(["run", str(config), "-o", str(run)]) == 0
    examples = tiny_test_examples()
    for missing in ("audio", "video"):
        manifest = tmp_path / f"no_{missing}.jsonl"
        manifest.write_text("\n".join(json.dumps({**{k: v for k, v in e.source.items() if k != missing},
                                                  "text": e.target}) for e in examples) + "\n")
        capsys.readouterr()
        assert main(["evaluate", str(run), "--data", str(manifest), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["num_examples"] == 4
    pair = f"audio={examples[0].source['audio']},video={examples[0].source['video']}"
    assert main(["predict", str(run), pair, f"video={examples[1].source['video']}"]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # one line per input, empty outputs included
    assert main(["attention", str(run), pair, "--out", str(tmp_path / "av.png")]) == 0
    assert (tmp_path / "av.audio.png").exists() and (tmp_path / "av.video.png").exists()


def test_two_video_streams_of_one_corpus_train_as_two_cameras(tmp_path, capsys):
    """Two streams of the same modality: the left and the right half of the mouth, each its own lipnet."""
    left, right = {"crop": [6, 4, 20, 12]}, {"crop": [6, 16, 20, 12], "augment": True}
    config = write_config(tmp_path, "cameras", {"dataset": TINY_DATA, "source": {"cam_left": left, "cam_right": right}},
                          {"encoders": {"cam_left": VIDEO_ENCODER, "cam_right": VIDEO_ENCODER},
                           "decoder": {**DECODER, "fusion": "gate"}})
    run = tmp_path / "run"
    assert main(["run", str(config), "-o", str(run)]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["num_examples"] == 4 and {"wer", "cer"} <= set(results["metrics"])
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["data"]["source"]["cam_left"]["crop"] == [6, 4, 20, 12]
    assert list(saved["model"]["encoders"]) == ["cam_left", "cam_right"]
    video = tiny_test_examples()[0].source["video"]
    assert main(["attention", str(run), f"cam_left={video},cam_right={video}", "--out", str(tmp_path / "a.png")]) == 0
    assert (tmp_path / "a.cam_left.png").exists() and (tmp_path / "a.cam_right.png").exists()
