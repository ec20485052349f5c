"""Whispering a clip (multis2s_audio.whisper): harmonics gone, envelope and power kept, tilt as asked."""

import math

import pytest
import torch

from multis2s_audio.whisper import whispered

RATE = 16000


def band_power(waveform: torch.Tensor, low_hz: float, high_hz: float) -> float:
    spectrum = torch.fft.rfft(waveform.double()).abs().square()
    frequencies = torch.fft.rfftfreq(waveform.numel(), 1.0 / RATE)
    return float(spectrum[(frequencies >= low_hz) & (frequencies < high_hz)].sum())


def voiced(seconds: float = 1.0, pitch_hz: float = 200.0) -> torch.Tensor:
    """A vowel-like clip: harmonics of ``pitch_hz`` under a formant near 700 Hz, falling above it."""
    t = torch.arange(int(seconds * RATE), dtype=torch.float64) / RATE
    harmonics = range(1, int(RATE / 2 / pitch_hz))
    return sum(math.exp(-abs(k * pitch_hz - 700.0) / 400.0) * torch.sin(2 * math.pi * k * pitch_hz * t)
               for k in harmonics).float()


def test_a_whispered_clip_keeps_its_length_and_mean_power():
    clip = voiced(0.73)
    whisper = whispered(clip, torch.Generator().manual_seed(0), RATE)
    assert whisper.shape == clip.shape and whisper.dtype == torch.float32
    assert whisper.double().square().mean() == pytest.approx(float(clip.double().square().mean()), rel=1e-4)


def test_whispering_replaces_the_harmonics_by_noise():
    clip = voiced()
    whisper = whispered(clip, torch.Generator().manual_seed(0), RATE)

    def harmonic_share(waveform):  # power within 20 Hz of a harmonic, over 200-2,000 Hz
        on = sum(band_power(waveform, k * 200.0 - 20, k * 200.0 + 20) for k in range(1, 10))
        return on / band_power(waveform, 180.0, 1820.0)

    assert harmonic_share(clip) > 0.99
    assert harmonic_share(whisper) < 0.4  # 40 of every 200 Hz: a flat spectrum gives 0.2


def test_whispering_keeps_the_spectral_envelope():
    whisper = whispered(voiced(), torch.Generator().manual_seed(0), RATE)
    formant, far = band_power(whisper, 400.0, 1000.0), band_power(whisper, 3000.0, 3600.0)
    assert formant > 100 * far


@pytest.mark.parametrize("tilt_db", [0.0, 3.0, 6.0])
def test_the_tilt_raises_each_octave_by_its_slope(tilt_db):
    flat = torch.randn(4 * RATE, generator=torch.Generator().manual_seed(1))
    whisper = whispered(flat, torch.Generator().manual_seed(2), RATE, tilt_db)
    per_hz = lambda low: band_power(whisper, low, 2 * low) / low  # noqa: E731
    two_octaves_db = 10 * math.log10(per_hz(2000.0) / per_hz(500.0))
    assert two_octaves_db == pytest.approx(2 * tilt_db, abs=1.0)


def test_the_same_generator_state_gives_the_same_whisper_and_another_a_different_one():
    clip = voiced(0.5)
    first, again = (whispered(clip, torch.Generator().manual_seed(5), RATE) for _ in range(2))
    other = whispered(clip, torch.Generator().manual_seed(6), RATE)
    assert torch.equal(first, again) and not torch.allclose(first, other)


def test_a_clip_shorter_than_one_frame_is_left_as_it_is():
    clip = voiced(0.01)
    assert torch.equal(whispered(clip, torch.Generator().manual_seed(0), RATE), clip)
