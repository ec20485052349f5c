"""``multis2s export`` beyond one text stream: a speech run (conv + BiLSTM encoder over filterbank
frames, location attention), a captioning run (a CNN over images) and a two-stream run with gate
fusion whose test examples lack one stream in some rows: each export decodes as the model does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multis2s.cli import main
from multis2s.export.equivalence import compare
from multis2s.export.runner import ExportedModel
from multis2s.run import Run
from multis2s_vision.scenes import write_scenes
from tests.cli.test_multi_stream_config import CONFIG as TWO_STREAMS
from tests.cli.test_multi_stream_config import write as write_two_streams
from tests.plugins.audio.test_audio_cli import _config as speech_config
from tests.plugins.audio.test_audio_cli import _librispeech, _manifest

CAPTIONING = Path(__file__).resolve().parents[2] / "configs" / "captioning.yaml"


def check_both_formats(run_dir: Path, out: Path, *options: str) -> None:
    """Export ``run_dir`` as TorchScript and ONNX; both decode its dev and test examples as the model does."""
    run = Run.from_folder(run_dir, trust_plugins=True)
    examples = run.examples("test") + run.examples("dev")
    for format in ("torchscript", "onnx"):
        assert main(["export", str(run_dir), "--format", format, "--out", str(out / format), *options]) == 0
        result = compare(run, ExportedModel.load(out / format, threads=1), examples, batch_size=4)
        assert result.identical == result.examples == len(examples), format
        assert result.score_difference < 1e-4, format


@pytest.mark.slow
def test_speech_run_exports(tmp_path, one_thread):
    train, dev = _manifest(tmp_path, "train", 40, seed=1), _manifest(tmp_path, "dev", 6, seed=2)
    test = _librispeech(tmp_path / "LibriSpeech", 6, seed=3)
    run_dir = tmp_path / "run"
    assert main(["train", str(speech_config(tmp_path, train, dev, test)), "-o", str(run_dir), "threads=1",
                 "train.max_steps=20", "train.validate_every=20", "model.ctc_weight=0.3"]) == 0
    check_both_formats(run_dir, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "onnx" / "manifest.json").read_text())
    (stream,) = manifest["streams"]
    assert stream["modality"] == "audio" and stream["input"] == {"dtype": "float32", "shape": ["batch", "steps", 20]}
    assert "state.alignment.source" in manifest["names"]["state"]  # location attention reads the last weights
    assert any("CTC head is not exported" in note for note in manifest["notes"])


def test_captioning_run_exports(tmp_path, one_thread):
    scenes = write_scenes(tmp_path / "scenes", num_train=10, num_dev=4, num_test=4, seed=5, progress=False)
    dataset = json.dumps({"type": "coco", **{split: str(path) for split, path in scenes.items()}})
    run_dir = tmp_path / "run"
    assert main(["train", str(CAPTIONING), "-o", str(run_dir), f"data.dataset={dataset}", "device=cpu", "threads=1",
                 "data.batch_size=8", "model.encoder.channels=[8,16]", "model.decoder.embedding_dim=8",
                 "model.decoder.hidden_dim=16", "model.decoder.attention.dim=8", "train.max_steps=4",
                 "train.warmup_steps=0", "train.validate_every=4", "train.progress=false",
                 "eval.max_length_offset=6"]) == 0
    check_both_formats(run_dir, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "torchscript" / "manifest.json").read_text())
    assert manifest["streams"][0]["input"] == {"dtype": "float32", "shape": ["batch", 3, 64, 64]}
    assert manifest["notes"] == ["eval.search is 'beam': the runner decodes greedily (the step graph is what "
                                 "another search would call)"]


def test_two_stream_run_with_absent_rows_exports(tmp_path, one_thread):
    run_dir = tmp_path / "run"
    assert main(["train", write_two_streams(tmp_path, TWO_STREAMS), "-o", str(run_dir), "threads=1"]) == 0
    run = Run.from_folder(run_dir, trust_plugins=True)
    assert any(len(run.streams.items(e)) == 1 for e in run.examples("test"))  # some rows lack a stream
    check_both_formats(run_dir, tmp_path / "out", "--trust-plugins")
