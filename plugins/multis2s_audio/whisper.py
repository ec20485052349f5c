"""Whispering a voiced clip: its spectral envelope kept, its voicing replaced by noise.

A whisper is the vocal tract's filter excited by turbulent noise instead of the vocal folds'
pulses. :func:`whispered` makes one from any clip in the short-time Fourier domain:

1. the log magnitude of each frame (32 ms, hop 16 ms at 16 kHz) is liftered to its first
   :data:`ENVELOPE_QUEFRENCY_S` of quefrency, which keeps the formants and drops the harmonics of
   any pitch below 1 / ENVELOPE_QUEFRENCY_S (about 500 Hz);
2. white noise's short-time spectrum is scaled by that envelope, tilted by a slope in dB per
   octave around 1 kHz (:func:`multis2s_audio.spectral_tilt.tilt_gains`), and transformed back;
3. the result is scaled to the clip's mean power.

Shapes: N samples (mono float32) in, N out.
"""

from __future__ import annotations

import math

import torch

from multis2s_audio.power import at_power_of
from multis2s_audio.spectral_tilt import tilt_gains

FRAME_S = 0.032
HOP_S = 0.016
ENVELOPE_QUEFRENCY_S = 0.002
"""Cepstral coefficients kept: below 2 ms of quefrency. A pitch period is 2.5 ms or longer for
voices up to 400 Hz, so its harmonics fall outside."""
LOG_FLOOR = 1e-6


def whispered(waveform: torch.Tensor, generator: torch.Generator, sample_rate: int,
              tilt_db_per_octave: float = 0.0) -> torch.Tensor:
    """waveform (N,) → (N,): the same spectral envelope over noise, tilted by ``tilt_db_per_octave``
    around 1 kHz, at the same mean power."""
    length = waveform.numel()
    n_fft = 1 << round(math.log2(FRAME_S * sample_rate))
    if length < n_fft:
        return waveform.clone()
    hop = max(1, round(HOP_S * sample_rate))
    window = torch.hann_window(n_fft)
    spectrum = torch.stft(waveform.float(), n_fft, hop, window=window, return_complex=True)  # (n_fft/2+1, T)
    cepstrum = torch.fft.irfft(spectrum.abs().clamp_min(LOG_FLOOR).log(), n=n_fft, dim=0)  # (n_fft, T)
    kept = max(1, round(ENVELOPE_QUEFRENCY_S * sample_rate))
    lifter = torch.zeros(n_fft, 1)
    lifter[:kept] = 1.0
    lifter[n_fft - kept + 1:] = 1.0
    envelope = torch.fft.rfft(cepstrum * lifter, dim=0).real.exp()  # (n_fft/2+1, T)
    envelope = envelope * tilt_gains(torch.fft.rfftfreq(n_fft, 1.0 / sample_rate), tilt_db_per_octave)[:, None]
    noise = torch.stft(torch.randn(length, generator=generator), n_fft, hop, window=window,
                       return_complex=True)
    whisper = torch.istft(envelope * noise, n_fft, hop, window=window, length=length)
    return at_power_of(whisper, waveform)
