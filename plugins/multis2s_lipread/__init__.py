"""Video modality plugin: talking-mouth videos, the lip-reading encoder, audio-visual data."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_encoders(register):
    from multis2s_lipread.encoders import LipReadingEncoder

    register("lipnet", LipReadingEncoder, modality="video",
             help="3-D conv frontend + per-frame 2-D ResNet trunk + BiGRU (one memory step per frame)")


@hookimpl
def register_modalities(register):
    from multis2s_lipread.pipeline import VideoPipeline

    register("video", VideoPipeline, modality="video",
             help="video (.npy frames, frame folder or video file) → cropped, normalised frames; augmented in training")


@hookimpl
def register_datasets(register):
    from multis2s_lipread.datasets import av_manifest_dataset, synthetic_av_dataset

    register("av_manifest", av_manifest_dataset, modality="audio+video",
             help="your audio-visual data: JSON-lines manifests {video, audio, text}")
    register("synthetic_av", synthetic_av_dataset, modality="audio+video",
             help="eSpeak NG GRID sentences with rendered talking mouths at 25 fps, unseen speakers in test (generated)")
