"""Spectral tilt: a gain that rises or falls by a fixed number of dB per octave.

A whisper lacks the voiced source's falling spectrum (:mod:`multis2s_audio.whisper` tilts its
envelope up), and voices differ in how their power spreads over frequency. Under per-utterance
mean normalisation a tilt of the whole mix is removed again, but a tilt of the babble against the
clip is not: :func:`tilted` makes one.

Shapes: N samples (mono float32) in, N out; F frequency bins.
"""

from __future__ import annotations

import torch

from multis2s_audio.power import at_power_of

TILT_PIVOT_HZ = 1000.0
"""The tilt leaves this frequency's gain as it is."""
TILT_FLOOR_HZ = 62.5
"""Bins below this frequency (the DC bin included) get its gain: four octaves below the pivot."""
TAIL_S = 0.125
"""Zeros padded after a clip before its FFT: two periods of the floor frequency."""


def tilt_gains(frequencies: torch.Tensor, db_per_octave: float) -> torch.Tensor:
    """Amplitude gains (F,) at ``frequencies`` (F,) in Hz: ``db_per_octave`` dB more per octave
    above :data:`TILT_PIVOT_HZ` (less below), flat below :data:`TILT_FLOOR_HZ`."""
    octaves = torch.log2(frequencies.clamp_min(TILT_FLOOR_HZ) / TILT_PIVOT_HZ)
    return 10.0 ** (db_per_octave / 20.0 * octaves)


def tilted(waveform: torch.Tensor, sample_rate: int, db_per_octave: float) -> torch.Tensor:
    """waveform (N,) → (N,) with its spectrum tilted by ``db_per_octave``, at the same mean power.

    One FFT pair over the clip, zero-padded by at least :data:`TAIL_S` (where the filter's
    response rings out instead of wrapping round onto the start) to a power of two (a pair at a
    length with a large prime factor costs several times more, see
    :func:`multis2s_audio.conditions.pink_noise`).
    """
    length = waveform.numel()
    if length == 0 or db_per_octave == 0.0:
        return waveform.clone()
    size = 1 << (length + round(TAIL_S * sample_rate) - 1).bit_length()
    spectrum = torch.fft.rfft(waveform.float(), n=size)
    gains = tilt_gains(torch.fft.rfftfreq(size, 1.0 / sample_rate), db_per_octave)
    result = torch.fft.irfft(spectrum * gains, n=size)[:length]
    return at_power_of(result, waveform)
