"""Audio modality plugin: synthetic speech corpora and audio encoders."""

from __future__ import annotations

from multis2s.plugins import hookimpl


@hookimpl
def register_encoders(register):
    from multis2s_audio.encoders import ConvLSTMEncoder, ConvTransformerEncoder, PyramidalLSTMEncoder

    register("conv_lstm", ConvLSTMEncoder, modality="audio", help="2 strided convs (×4 fewer frames) + BiLSTM")
    register("pblstm", PyramidalLSTMEncoder, modality="audio",
             help="Listen-Attend-Spell pyramidal BiLSTM (×2 fewer frames per level)")
    register("conv_transformer", ConvTransformerEncoder, modality="audio",
             help="2 strided convs (×4 fewer frames) + pre-norm Transformer encoder")


@hookimpl
def register_modalities(register):
    from multis2s_audio.pipeline import AudioPipeline

    register("audio", AudioPipeline, modality="audio",
             help="audio file → log-mel or MFCC frames (10 ms), normalised, SpecAugment/speed/noise in training")


@hookimpl
def register_datasets(register):
    from multis2s_audio.datasets import manifest_dataset, speech_dataset

    register("manifest", manifest_dataset, modality="audio",
             help="your speech: JSON-lines manifests {audio, text} or LibriSpeech-layout folders")
    register("synthetic_speech", speech_dataset, modality="audio",
             help="eSpeak NG voices reading grid/open grammar sentences, unseen voices in test (generated)")
