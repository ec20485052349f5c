"""Audio modality plugin: synthetic speech corpora and audio encoders."""

from __future__ import annotations

from multis2s.extras import require
from multis2s.plugins import hookimpl

require("audio", "torchaudio", "soundfile", "espeakng_loader")


@hookimpl
def register_encoders(register):
    register("conv_lstm", "multis2s_audio.encoders:ConvLSTMEncoder", modality="audio",
             help="2 strided convs (×4 fewer frames) + BiLSTM")
    register("pblstm", "multis2s_audio.encoders:PyramidalLSTMEncoder", modality="audio",
             help="Listen-Attend-Spell pyramidal BiLSTM (×2 fewer frames per level)")
    register("conv_transformer", "multis2s_audio.encoders:ConvTransformerEncoder", modality="audio",
             help="2 strided convs (×4 fewer frames) + pre-norm Transformer encoder")


@hookimpl
def register_modalities(register):
    register("audio", "multis2s_audio.pipeline:AudioPipeline", modality="audio",
             help="audio file → log-mel or MFCC frames (10 ms), normalised, SpecAugment/speed/noise in training")


@hookimpl
def register_datasets(register):
    register("manifest", "multis2s_audio.datasets:manifest_dataset", modality="audio",
             help="your speech: JSON-lines manifests {audio, text} or LibriSpeech-layout folders")
    register("synthetic_speech", "multis2s_audio.datasets:speech_dataset", modality="audio",
             help="eSpeak NG voices reading grid/open grammar sentences, unseen voices in test (generated)")
