"""Spectral tilt (multis2s_audio.spectral_tilt): each octave raised by the slope, power and length kept."""

import math

import pytest
import torch

from multis2s_audio.spectral_tilt import TILT_FLOOR_HZ, TILT_PIVOT_HZ, tilt_gains, tilted

RATE = 16000


def band_power_per_hz(waveform: torch.Tensor, low_hz: float, high_hz: float) -> float:
    spectrum = torch.fft.rfft(waveform.double()).abs().square()
    frequencies = torch.fft.rfftfreq(waveform.numel(), 1.0 / RATE)
    return float(spectrum[(frequencies >= low_hz) & (frequencies < high_hz)].sum()) / (high_hz - low_hz)


def test_the_gain_is_one_at_the_pivot_and_flat_below_the_floor():
    gains = tilt_gains(torch.tensor([0.0, TILT_FLOOR_HZ / 2, TILT_FLOOR_HZ, TILT_PIVOT_HZ, 2 * TILT_PIVOT_HZ]), 6.0)
    assert gains[0] == gains[1] == gains[2]
    assert float(gains[3]) == pytest.approx(1.0)
    assert 20 * math.log10(float(gains[4])) == pytest.approx(6.0)
    assert 20 * math.log10(float(gains[3] / gains[2])) == pytest.approx(4 * 6.0)  # four octaves


@pytest.mark.parametrize("db_per_octave", [-6.0, -2.5, 3.0, 6.0])
def test_a_tilted_clip_gains_the_slope_on_every_octave(db_per_octave):
    flat = torch.randn(3 * RATE + 17, generator=torch.Generator().manual_seed(4))
    clip = tilted(flat, RATE, db_per_octave)
    two_octaves_db = 10 * math.log10(band_power_per_hz(clip, 2000.0, 4000.0) / band_power_per_hz(clip, 500.0, 1000.0))
    assert two_octaves_db == pytest.approx(2 * db_per_octave, abs=0.5)


@pytest.mark.parametrize("length", [1, 999, 40961, 65536])
def test_a_tilted_clip_keeps_its_length_and_mean_power(length):
    clip = torch.randn(length, generator=torch.Generator().manual_seed(length))
    out = tilted(clip, RATE, -4.0)
    assert out.shape == clip.shape and out.dtype == torch.float32
    assert out.double().square().mean() == pytest.approx(float(clip.double().square().mean()), rel=1e-4)


def test_no_tilt_and_an_empty_clip_are_left_as_they_are():
    clip = torch.randn(500, generator=torch.Generator().manual_seed(0))
    assert torch.equal(tilted(clip, RATE, 0.0), clip)
    assert tilted(torch.zeros(0), RATE, 6.0).numel() == 0


@pytest.mark.parametrize("length", [RATE, 16384])  # 16,384: a power of two, no padding without the tail
def test_the_tilt_does_not_wrap_round_onto_the_start(length):
    click_at_end = torch.zeros(length)
    click_at_end[-1] = 1.0
    out = tilted(click_at_end, RATE, -6.0)  # a slow low-pass response, cut at the clip's end
    assert out[:length // 2].abs().max() < 1e-4 * out.abs().max()
