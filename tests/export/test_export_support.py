"""What exports (the README's support table): every attention kind and cell of the RNN decoder, and
the encoders of each modality plugin, on runs trained a few steps; each export (TorchScript and
ONNX) decodes the run's dev and test examples as the PyTorch model does."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from multis2s.cli import main
from multis2s_vision.scenes import write_scenes
from tests.conftest import TINY
from tests.export.test_export_modalities import CAPTIONING, check_both_formats
from tests.plugins.audio.test_audio_cli import _config as speech_config
from tests.plugins.audio.test_audio_cli import _librispeech, _manifest
from tests.plugins.lipread.test_lipread_cli import AUDIO_ENCODER, AUDIO_SOURCE, DECODER, TINY_DATA, VIDEO_ENCODER
from tests.plugins.lipread.test_lipread_cli import VIDEO_SOURCE, write_config

SHORT = ["train.max_steps=3", "train.validate_every=3", "threads=1"]
TEXT_DECODERS = {
    "lstm-none-2-layers": {"cell": "lstm", "layers": 2, "attention": "none"},
    "lstm-dot": {"cell": "lstm", "attention": "dot"},
    "rnn-general-tied": {"cell": "rnn", "attention": "general", "embedding_dim": 16, "tie_embeddings": True},
    "gru-multihead-no-feeding": {"attention": {"type": "multihead", "heads": 2}, "input_feeding": False},
    "lstm-location-no-bridge": {"cell": "lstm", "attention": {"type": "location", "dim": 8, "kernel": 3},
                                "bridge": False},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", TEXT_DECODERS)
def test_rnn_decoder_variants_export(name, tmp_path, one_thread):
    config = copy.deepcopy(TINY)
    config["model"]["decoder"].update(TEXT_DECODERS[name])
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "run"), *SHORT]) == 0
    check_both_formats(tmp_path / "run", tmp_path / "out")


@pytest.mark.slow
def test_transformer_text_encoder_exports(tmp_path, one_thread):
    config = copy.deepcopy(TINY)
    config["model"]["encoder"] = {"type": "transformer", "model_dim": 16, "heads": 2, "layers": 1, "ff_dim": 16}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "run"), *SHORT]) == 0
    check_both_formats(tmp_path / "run", tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("encoder", [
    {"type": "pblstm", "hidden_dim": 8, "levels": 2},
    {"type": "conv_transformer", "channels": 4, "model_dim": 16, "heads": 2, "layers": 1, "ff_dim": 16},
], ids=["pblstm", "conv_transformer"])
def test_audio_encoders_export(encoder, tmp_path, one_thread):
    train, dev = _manifest(tmp_path, "train", 12, seed=1), _manifest(tmp_path, "dev", 6, seed=2)
    test = _librispeech(tmp_path / "LibriSpeech", 6, seed=3)
    assert main(["train", str(speech_config(tmp_path, train, dev, test)), "-o", str(tmp_path / "run"), *SHORT,
                 f"model.encoder={json.dumps(encoder)}"]) == 0
    check_both_formats(tmp_path / "run", tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["resnet18", "mobilenet_v3_small"])
def test_torchvision_encoders_export(backbone, tmp_path, one_thread):
    scenes = write_scenes(tmp_path / "scenes", num_train=8, num_dev=4, num_test=4, seed=5, progress=False)
    dataset = json.dumps({"type": "coco", **{split: str(path) for split, path in scenes.items()}})
    assert main(["train", str(CAPTIONING), "-o", str(tmp_path / "run"), f"data.dataset={dataset}", "device=cpu",
                 "data.batch_size=4", f"model.encoder={{type: {backbone}, output_dim: 16}}",
                 "model.decoder.embedding_dim=8", "model.decoder.hidden_dim=16", "model.decoder.attention.dim=8",
                 "train.warmup_steps=0", "train.progress=false", "eval.max_length_offset=6", *SHORT]) == 0
    check_both_formats(tmp_path / "run", tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("streams", ["video", "audio+video"])
def test_lip_reading_encoders_export(streams, tmp_path, one_thread):
    if streams == "video":
        data, model = {"dataset": TINY_DATA, "source": VIDEO_SOURCE}, {"encoder": VIDEO_ENCODER, "decoder": DECODER}
    else:
        data = {"dataset": TINY_DATA, "source": {"audio": AUDIO_SOURCE, "video": VIDEO_SOURCE}}
        model = {"encoders": {"audio": AUDIO_ENCODER, "video": VIDEO_ENCODER}, "decoder": DECODER}
    config = write_config(tmp_path, "lip", data, model)
    assert main(["train", str(config), "-o", str(tmp_path / "run"), *SHORT]) == 0
    check_both_formats(tmp_path / "run", tmp_path / "out")
