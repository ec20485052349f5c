"""Behavioural tests of the audio source pipeline: reading, features, normalisation, augmentation."""

import json

import numpy as np
import pytest
import soundfile
import torch
import torchaudio

from multis2s import options
from multis2s.data.example import Example
from multis2s.errors import ConfigError, DataError
from multis2s_speech.audio_io import read_audio
from multis2s_audio.features import SpecAugment
from multis2s_audio.pipeline import AudioPipeline


@pytest.fixture(autouse=True)
def seeded(one_thread):
    torch.manual_seed(0)


def write_wav(path, seconds, *, rate=16000, channels=1, seed=0, subtype="PCM_16"):
    """A chirp plus a little noise, so every mel bin varies over time."""
    t = np.arange(int(round(seconds * rate))) / rate
    signal = 0.3 * np.sin(2 * np.pi * (200 + 1500 * t) * t) + 0.01 * np.random.default_rng(seed).standard_normal(len(t))
    samples = np.stack([signal * (c + 1) / channels for c in range(channels)], axis=1)
    soundfile.write(path, samples.astype(np.float32), rate, subtype=subtype)
    return Example(str(path), "some text", f"m.jsonl:{seed + 1}", {"duration": seconds})


def frames(seconds):
    return 1 + int(round(seconds * 16000)) // 160


def test_read_audio_averages_channels_and_resamples(tmp_path):
    write_wav(tmp_path / "stereo.wav", 0.5, channels=2, subtype="FLOAT")
    stereo = read_audio(tmp_path / "stereo.wav", sample_rate=16000)
    left = soundfile.read(tmp_path / "stereo.wav", dtype="float32")[0][:, 0]
    assert stereo.shape == (8000,) and stereo.dtype == torch.float32
    torch.testing.assert_close(stereo, torch.from_numpy(left) * 1.5)
    write_wav(tmp_path / "slow.flac", 0.5, rate=8000)
    assert read_audio(tmp_path / "slow.flac", sample_rate=16000).shape == (8000,)


@pytest.mark.parametrize("content, reason", [
    (None, "not found"), (b"", "cannot read"), (b"RIFFxxxxWAVEjunk", "cannot read"), ("empty", "empty"),
])
def test_unreadable_audio_is_a_data_error_naming_file_and_line(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    if content == "empty":
        soundfile.write(path, np.zeros(0, dtype=np.float32), 16000)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=reason) as error:
        AudioPipeline().load(Example(str(path), "x", "m.jsonl:7"), train=False)
    assert str(error.value).startswith(f"m.jsonl:7: {path}")


@pytest.mark.parametrize("kind, dim", [("fbank", 80), ("mfcc", 13)])
def test_features_have_one_frame_per_10_ms(tmp_path, kind, dim):
    pipeline = AudioPipeline(features=kind)
    features = pipeline.load(write_wav(tmp_path / "a.wav", 1.5), train=False)
    assert features.shape == (frames(1.5), dim) == (151, dim)
    assert pipeline.encoder_inputs() == {"input_dim": dim}
    assert torch.isfinite(features).all()


def test_utterance_normalisation_gives_zero_mean_unit_std(tmp_path):
    features = AudioPipeline(normalise="utterance").load(write_wav(tmp_path / "a.wav", 1.0), train=False)
    assert features.mean(0).abs().max() < 1e-4
    assert (features.std(0, correction=0) - 1).abs().max() < 1e-3
    raw = AudioPipeline(normalise="none").load(write_wav(tmp_path / "a.wav", 1.0), train=False)
    assert raw.mean().abs() > 1


def test_global_statistics_are_fitted_saved_and_restored(tmp_path):
    examples = [write_wav(tmp_path / f"{i}.wav", 0.3 + 0.2 * i, seed=i) for i in range(3)]
    pipeline = AudioPipeline(normalise="global")
    pipeline.fit(examples)
    together = torch.cat([pipeline.load(e, train=False) for e in examples])  # (S, F)
    assert together.mean(0).abs().max() < 1e-3
    assert (together.std(0, correction=0) - 1).abs().max() < 1e-2
    state = json.loads(json.dumps(pipeline.state()))  # plain data
    restored = AudioPipeline(normalise="global")
    restored.load_state(state)
    torch.testing.assert_close(restored.load(examples[0], train=False), pipeline.load(examples[0], train=False))


def test_spec_augment_only_in_training(tmp_path):
    example = write_wav(tmp_path / "a.wav", 1.0)
    plain = AudioPipeline().load(example, train=False)
    pipeline = AudioPipeline(spec_augment=True, freq_masks=2, freq_mask_width=20, time_masks=2, time_mask_ratio=0.2)
    torch.testing.assert_close(pipeline.load(example, train=False), plain)
    trained = [pipeline.load(example, train=True) for _ in range(3)]
    assert all(t.shape == plain.shape for t in trained)
    assert any(not torch.equal(t, plain) for t in trained)
    changed = trained[0] != plain
    assert torch.all(trained[0][changed] == 0)
    torch.testing.assert_close(pipeline.load(example, train=False), plain)  # the cache was not masked


@pytest.mark.parametrize("frames_count", [7, 40, 301])
def test_spec_augment_masks_are_the_ones_torchaudios_transforms_draw(frames_count):
    """The masks written into slices are those of torchaudio's FrequencyMasking and TimeMasking
    under the same RNG state, so a seeded run masks as it did with them."""
    features = torch.randn(frames_count, 80)
    masks = SpecAugment(freq_masks=2, freq_mask_width=27, time_masks=3, time_mask_ratio=0.05)
    torch.manual_seed(5)
    ours, our_next_draw = masks(features), torch.rand(1)
    torch.manual_seed(5)
    spectrogram = features.T
    for _ in range(2):
        spectrogram = torchaudio.transforms.FrequencyMasking(freq_mask_param=27)(spectrogram)
    for _ in range(3):
        spectrogram = torchaudio.transforms.TimeMasking(time_mask_param=int(0.05 * frames_count))(spectrogram)
    assert torch.equal(ours, spectrogram.T)
    assert torch.equal(our_next_draw, torch.rand(1))  # as many draws: the RNG is left where torchaudio left it
    assert not torch.equal(ours, features) and torch.all(ours[ours != features] == 0)


def test_time_masks_spare_short_clips(tmp_path):
    example = write_wav(tmp_path / "short.wav", 0.1)
    pipeline = AudioPipeline(spec_augment=True, freq_masks=0, time_masks=5, time_mask_ratio=0.05)
    assert pipeline.load(example, train=True).shape == (frames(0.1), 80)
    torch.testing.assert_close(pipeline.load(example, train=True), pipeline.load(example, train=False))


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_speed_perturbation_changes_length_in_training_only(tmp_path, factor):
    example = write_wav(tmp_path / "a.wav", 1.0)
    pipeline = AudioPipeline(speed_perturb=(factor,))
    assert len(pipeline.load(example, train=False)) == 101
    assert abs(len(pipeline.load(example, train=True)) - 100 / factor) <= 2


def test_noise_is_added_in_training_only(tmp_path):
    example = write_wav(tmp_path / "a.wav", 0.5)
    pipeline = AudioPipeline(noise_snr_db=(0.0, 5.0), normalise="none")
    clean = pipeline.load(example, train=False)
    noisy = pipeline.load(example, train=True)
    assert noisy.shape == clean.shape and noisy.mean() > clean.mean()
    torch.testing.assert_close(pipeline.load(example, train=False), clean)


def test_features_are_cached_when_asked(tmp_path):
    example = write_wav(tmp_path / "a.wav", 0.4)
    cached, uncached = AudioPipeline(cache_features=True), AudioPipeline(cache_features=False)
    first, _ = cached.load(example, train=False), uncached.load(example, train=False)
    (tmp_path / "a.wav").unlink()
    torch.testing.assert_close(cached.load(example, train=False), first)
    with pytest.raises(DataError, match="not found"):
        uncached.load(example, train=False)


def test_length_is_cheap_and_close_to_the_frame_count(tmp_path):
    example = write_wav(tmp_path / "a.wav", 1.234)
    pipeline = AudioPipeline()
    assert pipeline.length(example) == 123
    untagged = Example(example.source, "x", "m:1")
    assert pipeline.length(untagged) == 123
    assert abs(pipeline.length(untagged) - len(pipeline.load(untagged, train=False))) <= 1
    assert pipeline.labels(example) is None


def test_clips_longer_than_max_seconds_are_errors(tmp_path):
    example = write_wav(tmp_path / "long.wav", 1.5)
    with pytest.raises(DataError, match=r"m.jsonl:1: .*long.wav.*max_seconds"):
        AudioPipeline(max_seconds=1.0).load(example, train=False)
    assert len(AudioPipeline(max_seconds=2.0).load(example, train=False)) == 151


def test_collate_pads_with_zeros_and_returns_lengths():
    items = [torch.ones(5, 3), torch.ones(2, 3) * 2]
    batch, lengths = AudioPipeline().collate(items)
    assert batch.shape == (2, 5, 3) and lengths.tolist() == [5, 2]
    assert torch.all(batch[1, 2:] == 0) and torch.all(batch[1, :2] == 2)


@pytest.mark.parametrize("bad", [
    {"features": "plp"}, {"normalise": "batch"}, {"num_ceps": 90, "features": "mfcc"}, {"num_mel_bins": 0},
    {"time_mask_ratio": 1.0}, {"freq_masks": -1}, {"speed_perturb": (0.0, 1.0)}, {"noise_snr_db": (30.0, 10.0)},
    {"max_seconds": 0.0}, {"sample_rate": 0}, {"spec_augment": True, "freq_mask_width": 81},
])
def test_bad_options_raise_value_error(bad):
    with pytest.raises(ValueError):
        AudioPipeline(**bad)


def test_config_lists_become_options_and_bad_values_name_the_key():
    settings = {"speed_perturb": [0.9, 1, 1.1], "noise_snr_db": [10, 20]}
    pipeline = options.build(AudioPipeline, settings, where="data.source")
    assert pipeline.wave_augment.speed_factors == (0.9, 1.0, 1.1)
    assert pipeline.wave_augment.noise_snr_db == (10.0, 20.0)
    with pytest.raises(ConfigError, match="data.source.features"):
        options.build(AudioPipeline, {"features": "plp"}, where="data.source")
    with pytest.raises(ConfigError, match="data.source"):
        options.build(AudioPipeline, {"time_mask_ratio": 2}, where="data.source")
