"""Video modality plugin: talking-mouth videos, the lip-reading encoder, audio-visual data."""

from __future__ import annotations

from multis2s.extras import require
from multis2s.plugins import hookimpl

require("video", "av", "PIL", "torchaudio", "soundfile", "espeakng_loader")


@hookimpl
def register_encoders(register):
    register("lipnet", "multis2s_lipread.encoders:LipReadingEncoder", modality="video",
             help="3-D conv frontend + per-frame 2-D ResNet trunk + BiGRU (one memory step per frame)")


@hookimpl
def register_modalities(register):
    register("video", "multis2s_lipread.pipeline:VideoPipeline", modality="video",
             help="video (.npy frames, frame folder or video file) → cropped, normalised frames; augmented in training")


@hookimpl
def register_datasets(register):
    register("av_manifest", "multis2s_lipread.datasets:av_manifest_dataset", modality="audio+video",
             help="your audio-visual data: JSON-lines manifests {video, audio, text}")
    register("synthetic_av", "multis2s_lipread.datasets:synthetic_av_dataset", modality="audio+video",
             help="eSpeak NG GRID sentences with rendered talking mouths (25 fps), unseen speakers in test (generated)")
