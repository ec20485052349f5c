"""Training conditions of the audio pipeline (speed range, babble and its tilt, coloured noise, clean
share, whispering) and of the embedded corpus (training speaking rates and voices).

Each is drawn per clip from the clip's own seed, is applied in training only, and its options are
checked with one-line errors naming the key.
"""

import math

import numpy as np
import pytest
import soundfile
import torch

from multis2s import options
from multis2s.data.example import Example
from multis2s.data.loader import EpochBatches, ExampleTensors, example_seed, make_loader
from multis2s.data.streams import SourceStreams
from multis2s.errors import ConfigError
from multis2s_speech import audio_io
from multis2s_speech.audio_io import Resamplers
from multis2s_speech.speakers import speakers_for_split
from multis2s_audio import datasets
from multis2s_audio.conditions import TrainingConditions, mean_power, mix_at_snr, pink_noise
from multis2s_audio.corpus import _plan_utterance
from multis2s_audio.datasets import speech_dataset
from multis2s_audio.pipeline import AudioPipeline
from multis2s_audio.spectral_tilt import tilted

RATE = 16000


@pytest.fixture(autouse=True)
def seeded(one_thread):
    torch.manual_seed(0)


def tone(seconds: float, hz: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(round(seconds * RATE))) / RATE
    return (0.3 * np.sin(2 * np.pi * hz * t) + 0.01 * np.random.default_rng(seed).standard_normal(len(t)))


def clips(folder, count: int = 5) -> list[Example]:
    """``count`` wav files of different lengths and pitches, as training examples."""
    examples = []
    for index in range(count):
        path = folder / f"{index}.wav"
        soundfile.write(path, tone(0.4 + 0.1 * index, 200 + 150 * index, index).astype(np.float32), RATE)
        examples.append(Example(str(path), "a b", f"m.jsonl:{index + 1}", {"duration": 0.4 + 0.1 * index}))
    return examples


def conditions(**changes) -> TrainingConditions:
    settings = dict(sample_rate=RATE, speed_range=None, babble_snr_db=None, babble_talkers=(1, 3),
                    coloured_noise_snr_db=None, noise_colours=("white", "pink"), clean_share=0.0,
                    resamplers=Resamplers())
    return TrainingConditions(**{**settings, **changes})


@pytest.mark.parametrize("snr_db", [0.0, 5.0, 17.5])
def test_the_mix_has_the_asked_signal_to_noise_ratio(snr_db):
    speech = torch.from_numpy(tone(1.0, 300)).float()
    noise = pink_noise(len(speech), torch.Generator().manual_seed(1)) * 7.0
    added = mix_at_snr(speech, noise, snr_db) - speech
    assert 10 * math.log10(mean_power(speech) / mean_power(added)) == pytest.approx(snr_db, abs=1e-3)


@pytest.mark.parametrize("kind", ["babble", "noise"])
def test_a_corrupted_clip_is_at_an_snr_inside_the_range(kind):
    speech = torch.from_numpy(tone(0.8, 300)).float()
    others = [torch.from_numpy(tone(0.5, 500 + 100 * i, i)).float() for i in range(4)]
    snr = (3.0, 4.0)
    made = conditions(babble_snr_db=snr if kind == "babble" else None,
                      coloured_noise_snr_db=snr if kind == "noise" else None)
    for seed in range(6):
        noisy = made(speech, seed=seed, talkers=others.__getitem__, pool_size=len(others))
        measured = 10 * math.log10(mean_power(speech) / mean_power(noisy - speech))
        assert noisy.shape == speech.shape and 3.0 - 1e-3 <= measured <= 4.0 + 1e-3


@pytest.mark.parametrize("from_start", [0.0, 1.0])
def test_babble_from_start_makes_every_talker_start_with_the_clip(from_start):
    speech = torch.from_numpy(tone(0.8, 300)).float()
    talker = torch.from_numpy(tone(0.5, 700, 3)).float()
    made = conditions(babble_snr_db=(5.0, 5.0), babble_talkers=(1, 1), babble_from_start=from_start)
    repeated = talker.repeat(2)[:len(speech)]  # the talker from its first sample, as long as the clip
    starts = []
    for seed in range(8):
        added = made(speech, seed=seed, talkers=lambda index: talker, pool_size=1) - speech
        scale = float(added @ repeated / (repeated @ repeated))
        starts.append(torch.allclose(added, scale * repeated, atol=1e-5))
    assert starts == [from_start == 1.0] * 8


@pytest.mark.parametrize("share", [None, 0.0, 0.75, 1.0])
def test_babble_share_is_the_share_of_corrupted_clips_that_get_babble(share):
    speech = torch.from_numpy(tone(0.5, 300)).float()
    talker = torch.from_numpy(tone(0.5, 700, 3)).float()
    made = conditions(babble_snr_db=(5.0, 5.0), babble_talkers=(1, 1), coloured_noise_snr_db=(5.0, 5.0),
                      babble_share=share)
    babbled = []
    for seed in range(400):
        spoken = []
        made(speech, seed=seed, talkers=lambda index: spoken.append(index) or talker, pool_size=1)
        babbled.append(bool(spoken))
    expected = 0.5 if share is None else share
    assert abs(sum(babbled) / len(babbled) - expected) < 0.06


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_whisper_share_is_the_share_of_clips_whispered_at_their_own_power(share):
    speech = torch.from_numpy(tone(0.5, 300)).float()
    made = conditions(whisper_share=share)
    assert made.active == bool(share)
    clips = [made(speech, seed=seed, talkers=None, pool_size=0) for seed in range(300)]
    whispered = [not torch.equal(clip, speech) for clip in clips]
    assert abs(sum(whispered) / len(whispered) - share) < 0.06
    assert all(mean_power(clip) == pytest.approx(mean_power(speech), rel=1e-3) for clip in clips)


def test_a_whispered_clip_is_whispered_before_its_noise():
    speech = torch.from_numpy(tone(0.5, 300)).float()
    whispered_only = conditions(whisper_share=1.0)(speech, seed=3, talkers=None, pool_size=0)
    noisy = conditions(whisper_share=1.0, coloured_noise_snr_db=(0.0, 0.0))(speech, seed=3, talkers=None,
                                                                             pool_size=0)
    assert torch.equal(whispered_only, conditions(whisper_share=1.0, coloured_noise_snr_db=(0.0, 0.0),
                                                  clean_share=1.0)(speech, seed=3, talkers=None, pool_size=0))
    assert mean_power(noisy - whispered_only) == pytest.approx(mean_power(speech), rel=1e-3)  # 0 dB


def test_babble_tilt_tilts_the_babble_and_leaves_the_other_draws():
    speech = torch.from_numpy(tone(0.8, 300)).float()
    others = [torch.from_numpy(tone(0.5, 500 + 100 * i, i)).float() for i in range(4)]
    plain = conditions(babble_snr_db=(0.0, 10.0))
    for seed in range(4):
        untilted = plain(speech, seed=seed, talkers=others.__getitem__, pool_size=len(others)) - speech
        flat = conditions(babble_snr_db=(0.0, 10.0), babble_tilt_db=(0.0, 0.0))
        assert torch.equal(flat(speech, seed=seed, talkers=others.__getitem__, pool_size=len(others)) - speech,
                           untilted)
        steep = conditions(babble_snr_db=(0.0, 10.0), babble_tilt_db=(6.0, 6.0))
        added = steep(speech, seed=seed, talkers=others.__getitem__, pool_size=len(others)) - speech
        torch.testing.assert_close(added, tilted(untilted, RATE, 6.0), atol=1e-5, rtol=1e-4)


def test_pink_noise_has_more_power_at_low_frequencies():
    spectrum = torch.fft.rfft(pink_noise(RATE, torch.Generator().manual_seed(0))).abs().square()
    assert spectrum[1:200].mean() > 20 * spectrum[-200:].mean()


@pytest.mark.parametrize("length", [0, 1, 2, 12_347, 16_384])
def test_pink_noise_has_the_length_asked_for_and_no_silent_tail(length):
    noise = pink_noise(length, torch.Generator().manual_seed(0))
    assert noise.shape == (length,)
    if length > 1000:
        assert noise[-100:].square().mean() > 0.1 * noise.square().mean()


@pytest.mark.parametrize("low_high", [(0.6, 0.6), (1.6, 1.6), (1.25, 1.25)])
def test_a_speed_factor_divides_the_length(low_high):
    speech = torch.from_numpy(tone(1.0, 300)).float()
    faster = conditions(speed_range=low_high)(speech, seed=0, talkers=None, pool_size=0)
    assert len(faster) == math.ceil(len(speech) / low_high[0])


def test_speed_factors_are_steps_of_a_twentieth_inside_the_range():
    assert conditions(speed_range=(0.6, 1.6)).speed_factors == tuple(round(0.6 + 0.05 * k, 2) for k in range(21))
    assert conditions(speed_range=(0.93, 1.07)).speed_factors == (0.95, 1.0, 1.05)


def test_each_speed_factor_builds_its_resampling_filter_once(monkeypatch):
    built = []
    resample = audio_io.torchaudio.transforms.Resample

    def counted(orig_freq, new_freq):
        built.append(orig_freq)
        return resample(orig_freq, new_freq)

    monkeypatch.setattr(audio_io.torchaudio.transforms, "Resample", counted)
    speech = torch.from_numpy(tone(0.05, 300)).float()
    made = conditions(speed_range=(0.6, 1.6))  # 21 factors, 20 of them resample
    for seed in range(400):
        made(speech, seed=seed, talkers=None, pool_size=0)
    assert sorted(built) == sorted({round(RATE * f) for f in made.speed_factors if f != 1.0})


def test_resampling_filters_beyond_the_kept_taps_are_dropped_oldest_first(monkeypatch):
    pairs = [(RATE * k // 20, RATE) for k in (14, 15, 17)]
    monkeypatch.setattr(audio_io, "MAX_CACHED_TAPS", sum(audio_io.resampling_cost(*p) for p in pairs[1:]))
    resamplers, speech = Resamplers(), torch.from_numpy(tone(0.05, 300)).float()
    for orig, new in pairs:
        resamplers(speech, orig_rate=orig, new_rate=new)
    assert list(resamplers.transforms) == pairs[1:]


def test_the_same_seed_gives_the_same_clip_and_another_seed_another(tmp_path):
    examples = clips(tmp_path)
    pipeline = AudioPipeline(speed_range=(0.6, 1.6), babble_snr_db=(0, 10), coloured_noise_snr_db=(0, 10),
                             spec_augment=False)
    pipeline.training_examples(examples)
    first = [pipeline.load(e, train=True, seed=11) for e in examples]
    torch.manual_seed(123)  # the global generator plays no part
    again = [pipeline.load(e, train=True, seed=11) for e in examples]
    other = [pipeline.load(e, train=True, seed=12) for e in examples]
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(first, other))


def test_the_training_length_is_the_length_of_the_clip_its_seed_plays(tmp_path):
    examples = clips(tmp_path)
    pipeline = AudioPipeline(speed_range=(0.6, 1.6), babble_snr_db=(0, 10), spec_augment=False)
    assert pipeline.varies_length and not AudioPipeline(babble_snr_db=(0, 10)).varies_length
    pipeline.training_examples(examples)
    guessed, loaded = [], []
    for seed in range(12):
        for example in examples:
            guessed.append(pipeline.training_length(example, seed))
            loaded.append(len(pipeline.load(example, train=True, seed=seed)))
    assert all(abs(g - n) <= 3 for g, n in zip(guessed, loaded)), list(zip(guessed, loaded))
    assert len(set(guessed[::len(examples)])) > 3, "the seeds play the first clip at several speeds"
    streams = SourceStreams({"source": pipeline})
    assert streams.varies_length and streams.training_length(examples[0], 5) == guessed[5 * len(examples)]


def test_conditions_are_never_applied_at_evaluation(tmp_path):
    examples = clips(tmp_path)
    plain = AudioPipeline()
    augmented = AudioPipeline(speed_range=(0.6, 0.6), babble_snr_db=(0, 0), coloured_noise_snr_db=(0, 0))
    augmented.training_examples(examples)
    for example in examples:
        torch.testing.assert_close(augmented.load(example, train=False, seed=3), plain.load(example, train=False))
        assert len(augmented.load(example, train=True, seed=3)) > len(plain.load(example, train=False))


def test_clean_share_one_leaves_every_clip_clean_and_zero_none(tmp_path):
    examples = clips(tmp_path)
    clean = AudioPipeline(coloured_noise_snr_db=(0, 0), clean_share=1.0)
    noisy = AudioPipeline(coloured_noise_snr_db=(0, 0), clean_share=0.0)
    for seed, example in enumerate(examples):
        reference = clean.load(example, train=False)
        torch.testing.assert_close(clean.load(example, train=True, seed=seed), reference)
        assert not torch.allclose(noisy.load(example, train=True, seed=seed), reference, atol=0.1)


def test_babble_never_mixes_a_clip_with_itself(tmp_path):
    examples = clips(tmp_path, count=2)
    pipeline = AudioPipeline(babble_snr_db=(0, 0), babble_talkers=(1, 1))
    pipeline.training_examples(examples)
    seen = []
    original = pipeline._waveform
    pipeline._waveform = lambda example: seen.append(example.source) or original(example)
    for seed in range(5):
        pipeline.load(examples[0], train=True, seed=seed)
    assert seen[1::2] == [examples[1].source] * 5  # each load: its own clip, then the one other talker


def test_training_loader_seeds_each_example_by_run_seed_epoch_and_index(tmp_path):
    """The same clip in the same epoch is the same with 0 or 2 workers; the next epoch differs."""
    examples = clips(tmp_path, count=4)
    streams = SourceStreams({"audio": AudioPipeline(coloured_noise_snr_db=(0, 5), speed_range=(0.8, 1.2))})
    streams.training_examples(examples)

    class Target:
        def encode(self, text):
            return [1, 2]

    def epoch_sources(workers: int, epoch: int, seed: int = 5) -> list[torch.Tensor]:
        tensors = ExampleTensors(examples, streams, Target(), train=True, seed=seed)
        batches = EpochBatches()
        batches.batches, batches.epoch = [[0, 1], [2, 3]], epoch
        loader = make_loader(tensors, batches, num_workers=workers, pin_memory=False, seed=seed)
        return [row[: int(n)] for batch in loader
                for row, n in zip(batch.sources["audio"], batch.source_lengths["audio"])]

    serial, parallel = epoch_sources(0, epoch=0), epoch_sources(2, epoch=0)
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel))
    later = epoch_sources(0, epoch=1)
    assert not any(a.shape == b.shape and torch.equal(a, b) for a, b in zip(serial, later))
    assert example_seed(5, 0, 1) != example_seed(5, 1, 0) != example_seed(6, 0, 1)


@pytest.mark.parametrize("bad, message", [
    ({"speed_range": [1.2, 0.8]}, "speed_range must be [low, high] with low <= high"),
    ({"speed_range": [0, 1.2]}, "speed_range[0]: must be > 0"),
    ({"speed_range": [0.01, 0.02]}, "holds no positive multiple of 0.05"),
    ({"speed_range": [0.9, 1.1], "speed_perturb": [0.9, 1.1]}, "speed_perturb and speed_range both set"),
    ({"babble_snr_db": [10, 0]}, "babble_snr_db must be [low, high]"),
    ({"babble_talkers": [0, 2]}, "babble_talkers[0]: must be >= 1"),
    ({"babble_talkers": [3, 1]}, "babble_talkers must be [low, high]"),
    ({"coloured_noise_snr_db": [5]}, "expected 2 values"),
    ({"noise_colours": ["brown"]}, "'brown' is not one of 'white', 'pink'"),
    ({"clean_share": 1.5}, "clean_share: must be in [0, 1]"),
    ({"clean_share": 0.2}, "set babble_snr_db or coloured_noise_snr_db too"),
    ({"babble_from_start": 0.5}, "babble_from_start is a share of the babbled clips: set babble_snr_db too"),
    ({"babble_from_start": 2.0}, "babble_from_start: must be in [0, 1]"),
    ({"babble_share": 1.5, "babble_snr_db": [0, 20], "coloured_noise_snr_db": [0, 30]}, "babble_share: must be in [0, 1]"),
    ({"whisper_share": -0.1}, "whisper_share: must be in [0, 1]"),
    ({"whisper_share": 0.2, "whisper_tilt_db": [6, 0]}, "whisper_tilt_db must be [low, high]"),
    ({"babble_snr_db": [0, 15], "babble_tilt_db": [6, -6]}, "babble_tilt_db must be [low, high]"),
    ({"babble_tilt_db": [-6, 6]}, "babble_tilt_db tilts the babble: set babble_snr_db too"),
    ({"babble_share": 0.7, "babble_snr_db": [0, 20]},
     "babble_share splits the corrupted clips between babble and coloured noise: set babble_snr_db and"),
])
def test_bad_condition_options_are_config_errors_naming_the_key(bad, message):
    with pytest.raises(ConfigError) as error:
        options.build(AudioPipeline, bad, where="c.yaml: data.source")
    assert message in str(error.value) and str(error.value).startswith("c.yaml: data.source")
    assert "\n" not in str(error.value)


def test_train_rate_wpm_draws_training_rates_from_its_range_and_leaves_the_rest():
    speakers = speakers_for_split("train")
    plain = [_plan_utterance("grid", speakers, 1, "train", i, (15.0, 30.0)) for i in range(200)]
    varied = [_plan_utterance("grid", speakers, 1, "train", i, (15.0, 30.0), (80, 320)) for i in range(200)]
    rates = [p.rate_wpm for p in varied]
    assert min(rates) >= 80 and max(rates) <= 320 and min(rates) < 120 and max(rates) > 280
    assert max(p.rate_wpm for p in plain) <= 190  # habitual 145-175 ± 15
    same = [(p.text, p.speaker, p.pitch, p.snr_db, p.noise_seed) for p in plain]
    assert same == [(p.text, p.speaker, p.pitch, p.snr_db, p.noise_seed) for p in varied]


@pytest.mark.parametrize("rates", [[60, 200], [200, 100], [100, 500]])
def test_bad_train_rate_wpm_is_a_config_error(rates):
    settings = {"train_size": 1, "dev_size": 1, "test_size": 1, "train_rate_wpm": rates}
    with pytest.raises(ConfigError, match="train_rate_wpm must be .* within eSpeak's 80-450 words/min"):
        options.build(speech_dataset, settings, where="data.dataset")


def test_the_corpus_cache_key_holds_train_rate_wpm_only_when_set(tmp_path, monkeypatch):
    keys = []
    monkeypatch.setattr(datasets, "ensure_corpus", lambda name, options, write: keys.append(options) or tmp_path)
    speech_dataset(train_size=1, dev_size=1, test_size=1)
    speech_dataset(train_size=1, dev_size=1, test_size=1, train_rate_wpm=(80, 320))
    assert "train_rate_wpm" not in keys[0] and keys[1]["train_rate_wpm"] == [80, 320]


def test_the_corpus_cache_key_holds_train_voices_only_when_not_standard(tmp_path, monkeypatch):
    keys = []
    monkeypatch.setattr(datasets, "ensure_corpus", lambda name, options, write: keys.append(options) or tmp_path)
    speech_dataset(train_size=1, dev_size=1, test_size=1, train_voices="standard")
    speech_dataset(train_size=1, dev_size=1, test_size=1, train_voices="all")
    assert "train_voices" not in keys[0] and keys[1]["train_voices"] == "all"
    with pytest.raises(ConfigError, match="'many' is not one of 'standard', 'all'"):
        options.build(speech_dataset, {"train_size": 1, "dev_size": 1, "test_size": 1, "train_voices": "many"},
                      where="data.dataset")
