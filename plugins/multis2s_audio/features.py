"""Waveform → acoustic features, their normalisation, and training-time augmentation.

Shapes: N samples, S frames (10 ms hop, so S = 1 + N // hop ≈ seconds·100), F features per frame.
Features come from ``torchaudio.transforms.MelSpectrogram`` (1.6–2.7× faster on one CPU thread than
``torchaudio.compliance.kaldi.fbank`` with the same frames and bins).
"""

from __future__ import annotations

import math
from typing import Iterable

import torch
import torchaudio

from multis2s_speech.audio_io import Resamplers

FRAMES_PER_SECOND = 100
WINDOW_SECONDS = 0.025
LOW_FREQUENCY_HZ = 20.0
LOG_FLOOR = 1e-10
STD_FLOOR = 1e-5
FEATURE_KINDS = ("fbank", "mfcc")
NORMALISATIONS = ("utterance", "global", "none")


class FeatureExtractor:
    """Log-mel filterbank (F = num_mel_bins) or MFCC (F = num_ceps, a DCT of the log-mel bins).

    25 ms windows every 10 ms, centred on the frame with zero padding at the edges, so any clip
    with at least one sample gives ``1 + N // hop`` frames.
    """

    def __init__(self, *, kind: str, sample_rate: int, num_mel_bins: int, num_ceps: int) -> None:
        if kind not in FEATURE_KINDS:
            raise ValueError(f"features {kind!r} is not one of {', '.join(FEATURE_KINDS)}")
        if num_mel_bins < 1:
            raise ValueError(f"num_mel_bins must be positive, got {num_mel_bins}")
        if kind == "mfcc" and not 1 <= num_ceps <= num_mel_bins:
            raise ValueError(f"num_ceps must be between 1 and num_mel_bins ({num_mel_bins}), got {num_ceps}")
        window = round(WINDOW_SECONDS * sample_rate)
        self.hop = sample_rate // FRAMES_PER_SECOND
        self.kind = kind
        self.dim = num_ceps if kind == "mfcc" else num_mel_bins
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=2 ** math.ceil(math.log2(window)), win_length=window,
            hop_length=self.hop, f_min=LOW_FREQUENCY_HZ, n_mels=num_mel_bins, pad_mode="constant",
        )
        self.dct = torchaudio.functional.create_dct(num_ceps, num_mel_bins, norm="ortho") if kind == "mfcc" else None

    def __call__(self, waveform: torch.Tensor) -> torch.Tensor:
        """waveform (N,) → features (S, F) with S = 1 + N // hop."""
        with torch.no_grad():
            log_mel = self.mel(waveform).clamp_min(LOG_FLOOR).log().T  # (F_mel, S) → (S, F_mel)
            features = log_mel @ self.dct if self.dct is not None else log_mel  # (S, F)
        return features.contiguous()


class Normaliser:
    """Mean and variance normalisation: per utterance, with global training statistics, or none."""

    def __init__(self, *, mode: str) -> None:
        if mode not in NORMALISATIONS:
            raise ValueError(f"normalise {mode!r} is not one of {', '.join(NORMALISATIONS)}")
        self.mode = mode
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None

    def fit(self, utterances: Iterable[torch.Tensor]) -> None:
        """Global mean and std (F,) over every frame of ``utterances`` (each (S, F)), in float64."""
        total, squares, frames = 0.0, 0.0, 0
        for features in utterances:
            wide = features.double()
            total, squares, frames = total + wide.sum(0), squares + wide.square().sum(0), frames + len(wide)
        if frames == 0:
            raise ValueError("no frames to compute global feature statistics from")
        mean = total / frames
        variance = (squares / frames - mean.square()).clamp_min(0.0)
        self.mean, self.std = mean.float(), variance.sqrt().float().clamp_min(STD_FLOOR)

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """features (S, F) → normalised (S, F), a new tensor."""
        if self.mode == "none":
            return features.clone()
        if self.mode == "utterance":
            centred = features - features.mean(0)  # (S, F); the std from it is ~2× faster than Tensor.std
            return centred / centred.square().mean(0).sqrt().clamp_min(STD_FLOOR)
        if self.mean is None or self.std is None:
            raise RuntimeError("global feature statistics are missing: call fit() or load_state() first")
        return (features - self.mean) / self.std

    def state(self) -> dict[str, list[float]]:
        """The global statistics as plain lists (empty unless fitted)."""
        if self.mean is None or self.std is None:
            return {}
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def load_state(self, state: dict[str, list[float]]) -> None:
        if "mean" in state:
            self.mean = torch.tensor(state["mean"], dtype=torch.float32)
            self.std = torch.tensor(state["std"], dtype=torch.float32)


class SpecAugment:
    """Frequency and time masks set to 0 (the mean after normalisation), drawn from torch's RNG.

    Each frequency mask covers fewer than ``freq_mask_width`` bins; each time mask fewer than
    ``time_mask_ratio``·S frames, so a short clip is never wiped out. A mask takes the two draws
    ``torchaudio.functional.mask_along_axis`` takes (width, then start), so the masks are the ones
    its transforms made. Writing the zeros into slices took 0.1 ms a clip of 260 × 80 here, where
    torchaudio's boolean masks over the whole (F, S) took 0.35 ms (``bench/augment_costs.py``).
    """

    def __init__(self, *, freq_masks: int, freq_mask_width: int, time_masks: int, time_mask_ratio: float) -> None:
        if freq_masks < 0 or time_masks < 0:
            raise ValueError(f"freq_masks and time_masks must be >= 0, got {freq_masks} and {time_masks}")
        if freq_mask_width < 1:
            raise ValueError(f"freq_mask_width must be positive, got {freq_mask_width}")
        if not 0.0 <= time_mask_ratio < 1.0:
            raise ValueError(f"time_mask_ratio must be in [0, 1), got {time_mask_ratio}")
        self.freq_masks, self.freq_mask_width = freq_masks, freq_mask_width
        self.time_masks, self.time_mask_ratio = time_masks, time_mask_ratio

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """features (S, F) → masked copy (S, F)."""
        masked = features.clone()
        for _ in range(self.freq_masks):
            start, end = mask_span(self.freq_mask_width, masked.size(1))
            masked[:, start:end] = 0.0
        width = int(self.time_mask_ratio * len(features))
        for _ in range(self.time_masks if width >= 1 else 0):
            start, end = mask_span(width, len(masked))
            masked[start:end] = 0.0
        return masked


def mask_span(max_width: int, size: int) -> tuple[int, int]:
    """[start, end) of one mask narrower than ``max_width`` over ``size`` positions: a width drawn
    from [0, max_width), then a start from [0, size − width), from torch's RNG."""
    width = torch.rand(1) * max_width
    start = torch.rand(1) * (size - width)
    return int(start.long()), int(start.long() + width.long())


class WaveAugment:
    """Speed perturbation (resampling by a factor drawn from ``speed_factors``) and white noise.

    A factor f plays the clip f times faster: (N,) → (≈ N / f,). Noise is Gaussian at an SNR drawn
    uniformly from ``noise_snr_db`` (low, high), relative to the clip's mean power.
    """

    def __init__(self, *, sample_rate: int, speed_factors: tuple[float, ...], noise_snr_db: tuple[float, float] | None,
                 resamplers: Resamplers) -> None:
        if any(not 0.0 < f <= 10.0 for f in speed_factors):
            raise ValueError(f"speed_perturb factors must be in (0, 10], got {list(speed_factors)}")
        for factor in speed_factors:
            resamplers.check(round(sample_rate * factor), sample_rate)  # a ValueError for e.g. 1.0001
        if noise_snr_db is not None and (len(noise_snr_db) != 2 or noise_snr_db[0] > noise_snr_db[1]):
            raise ValueError(f"noise_snr_db must be [low, high] with low <= high, got {list(noise_snr_db)}")
        self.sample_rate, self.speed_factors, self.noise_snr_db = sample_rate, speed_factors, noise_snr_db
        self.resamplers = resamplers

    @property
    def active(self) -> bool:
        return bool(self.speed_factors) or self.noise_snr_db is not None

    def __call__(self, waveform: torch.Tensor) -> torch.Tensor:
        """waveform (N,) → augmented waveform (N',), a new tensor."""
        if self.speed_factors:
            factor = self.speed_factors[int(torch.randint(len(self.speed_factors), ()))]
            played_at = round(self.sample_rate * factor)
            waveform = self.resamplers(waveform, orig_rate=played_at, new_rate=self.sample_rate)
        if self.noise_snr_db is not None:
            low, high = self.noise_snr_db
            snr_db = low + (high - low) * float(torch.rand(()))
            noise_std = math.sqrt(float(waveform.square().mean()) / 10.0 ** (snr_db / 10.0))
            waveform = waveform + torch.randn_like(waveform) * noise_std
        return waveform.clone()
