"""Training conditions drawn per clip: a speaking rate, babble or coloured noise, or a clean clip.

Speed perturbation resamples the waveform by a factor drawn from a range (steps of
:data:`SPEED_STEP`, so every resampling filter stays small): f plays the clip f times faster,
(N,) → (≈ N / f,), pitch moving with it. A ``whisper_share`` of the clips is then whispered
(:func:`multis2s_audio.whisper.whispered`: the voicing replaced by noise under the clip's spectral
envelope, tilted up by a slope drawn from ``whisper_tilt_db``, as a whisper lacks the voice's falling
source spectrum). Then, unless the clip is one of the ``clean_share``
left clean, it gets babble (1–3 other training utterances spoken at once; with ``babble_tilt_db``
its spectrum tilted against the clip's by a slope drawn from that range,
:func:`multis2s_audio.spectral_tilt.tilted`) or white or pink noise, at an SNR drawn from that
corruption's range; with both configured, one of the two, equally likely
or, with ``babble_share``, babble for that share of the corrupted clips.
Each babble talker starts at a random point of its clip, or, for a ``babble_from_start`` share of
the babbled clips, every talker starts with the clip (several people starting to speak at once:
sentences of one grammar then put words of the same kind over each other).

Every draw comes from a generator seeded by the clip's own seed (the trainer derives it from the
run seed, the epoch and the example's index, see :func:`multis2s.data.loader.example_seed`), so a
clip is corrupted the same way whatever the number of data-loader workers, and on resume.

Shapes: N samples (mono float32).
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from multis2s_audio.power import POWER_FLOOR, mean_power
from multis2s_audio.spectral_tilt import tilted
from multis2s_audio.whisper import whispered
from multis2s_speech.audio_io import Resamplers

SPEED_STEP = 0.05
"""Speed factors are multiples of this: the rates 16000·k/20 Hz resample to 16 kHz with tiny filters."""
NOISE_COLOURS = ("white", "pink")


def mix_at_snr(speech: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """``speech`` (N,) plus ``noise`` (N,) scaled so that power(speech) / power(added) = 10^(snr_db/10)."""
    scale = math.sqrt(mean_power(speech) / (max(mean_power(noise), POWER_FLOOR) * 10.0 ** (snr_db / 10.0)))
    return speech + noise * scale


def pink_noise(length: int, generator: torch.Generator) -> torch.Tensor:
    """(length,) noise whose power falls as 1/f: white noise shaped in the frequency domain.

    The noise is made at the next power of two and cut to ``length``: an FFT pair at 40,961 samples
    (2.6 s at 16 kHz, a large prime factor) took 10 ms here, at 65,536 samples 1.6 ms
    (``bench/augment_costs.py``).
    """
    size = 1 << max(0, length - 1).bit_length()
    spectrum = torch.fft.rfft(torch.randn(size, generator=generator))
    frequencies = torch.arange(spectrum.numel(), dtype=torch.float32).clamp_min(1.0)
    return torch.fft.irfft(spectrum / frequencies.sqrt(), n=size)[:length]


def fit_length(waveform: torch.Tensor, length: int, generator: torch.Generator | None) -> torch.Tensor:
    """(M,) → (length,), repeated as needed: from a random start, or from the first sample when
    ``generator`` is None."""
    start = 0 if generator is None else int(torch.randint(waveform.numel(), (), generator=generator))
    repeats = -(-(start + length) // waveform.numel())
    return waveform.repeat(repeats)[start:start + length]


def _check_range(name: str, value: tuple[float, float] | None) -> None:
    if value is not None and (len(value) != 2 or value[0] > value[1]):
        raise ValueError(f"{name} must be [low, high] with low <= high, got {list(value)}")


class TrainingConditions:
    """Per-clip speed, babble and noise for training (see the module docstring).

    ``talkers(j)`` gives the waveform (M,) of the j-th of ``pool_size`` other training utterances,
    the babble's talkers.
    """

    def __init__(self, *, sample_rate: int, speed_range: tuple[float, float] | None,
                 babble_snr_db: tuple[float, float] | None, babble_talkers: tuple[int, int],
                 coloured_noise_snr_db: tuple[float, float] | None, noise_colours: tuple[str, ...],
                 clean_share: float, resamplers: Resamplers, babble_from_start: float = 0.0,
                 babble_share: float | None = None, whisper_share: float = 0.0,
                 whisper_tilt_db: tuple[float, float] = (0.0, 6.0),
                 babble_tilt_db: tuple[float, float] | None = None) -> None:
        for name, value in (("speed_range", speed_range), ("babble_snr_db", babble_snr_db),
                            ("babble_talkers", babble_talkers), ("coloured_noise_snr_db", coloured_noise_snr_db),
                            ("whisper_tilt_db", whisper_tilt_db), ("babble_tilt_db", babble_tilt_db)):
            _check_range(name, value)
        self.speed_factors: tuple[float, ...] = ()
        if speed_range is not None:
            low, high = math.ceil(speed_range[0] / SPEED_STEP - 1e-9), math.floor(speed_range[1] / SPEED_STEP + 1e-9)
            if low < 1 or low > high:
                raise ValueError(f"speed_range {list(speed_range)} holds no positive multiple of {SPEED_STEP}")
            self.speed_factors = tuple(round(k * SPEED_STEP, 2) for k in range(low, high + 1))
            for factor in self.speed_factors:
                resamplers.check(round(sample_rate * factor), sample_rate)
        if babble_talkers[0] < 1:
            raise ValueError(f"babble_talkers must be at least 1, got {list(babble_talkers)}")
        unknown = [c for c in noise_colours if c not in NOISE_COLOURS]
        if unknown or not noise_colours:
            raise ValueError(f"noise_colours must be some of {', '.join(NOISE_COLOURS)}, got {list(noise_colours)}")
        if not 0.0 <= clean_share <= 1.0:
            raise ValueError(f"clean_share must be in [0, 1], got {clean_share}")
        if not 0.0 <= babble_from_start <= 1.0:
            raise ValueError(f"babble_from_start must be in [0, 1], got {babble_from_start}")
        if babble_from_start and babble_snr_db is None:
            raise ValueError("babble_from_start is a share of the babbled clips: set babble_snr_db too")
        if babble_share is not None and not 0.0 <= babble_share <= 1.0:
            raise ValueError(f"babble_share must be in [0, 1], got {babble_share}")
        if babble_share is not None and (babble_snr_db is None or coloured_noise_snr_db is None):
            raise ValueError("babble_share splits the corrupted clips between babble and coloured noise: "
                             "set babble_snr_db and coloured_noise_snr_db")
        if babble_tilt_db is not None and babble_snr_db is None:
            raise ValueError("babble_tilt_db tilts the babble: set babble_snr_db too")
        if not 0.0 <= whisper_share <= 1.0:
            raise ValueError(f"whisper_share must be in [0, 1], got {whisper_share}")
        if clean_share and babble_snr_db is None and coloured_noise_snr_db is None:
            raise ValueError("clean_share is the share of clips left without babble or noise: "
                             "set babble_snr_db or coloured_noise_snr_db too")
        self.sample_rate, self.resamplers = sample_rate, resamplers
        self.babble_snr_db, self.babble_talkers = babble_snr_db, tuple(babble_talkers)
        self.coloured_noise_snr_db, self.noise_colours = coloured_noise_snr_db, tuple(noise_colours)
        self.clean_share, self.babble_from_start, self.babble_share = clean_share, babble_from_start, babble_share
        self.whisper_share, self.whisper_tilt_db = whisper_share, tuple(whisper_tilt_db)
        self.babble_tilt_db = None if babble_tilt_db is None else tuple(babble_tilt_db)

    @property
    def active(self) -> bool:
        return (bool(self.speed_factors) or bool(self.whisper_share) or self.babble_snr_db is not None
                or self.coloured_noise_snr_db is not None)

    def __call__(self, waveform: torch.Tensor, *, seed: int, talkers: Callable[[int], torch.Tensor],
                 pool_size: int) -> torch.Tensor:
        """waveform (N,) → the clip in its drawn condition (N',), a new tensor."""
        generator = torch.Generator().manual_seed(seed)
        if self.speed_factors:
            factor = self._speed_factor(generator)
            waveform = self.resamplers(waveform, orig_rate=round(self.sample_rate * factor), new_rate=self.sample_rate)
        if self.whisper_share and float(torch.rand((), generator=generator)) < self.whisper_share:
            low, high = self.whisper_tilt_db  # drawn only when asked for: other configs keep their draws
            tilt = low + (high - low) * float(torch.rand((), generator=generator))
            waveform = whispered(waveform, generator, self.sample_rate, tilt)
        kinds = [kind for kind, snr in (("babble", self.babble_snr_db), ("noise", self.coloured_noise_snr_db))
                 if snr is not None]
        if not kinds or float(torch.rand((), generator=generator)) < self.clean_share:
            return waveform.clone()
        if self.babble_share is None:  # the draw that configs without babble_share have always made
            kind = kinds[int(torch.randint(len(kinds), (), generator=generator))]
        else:
            kind = "babble" if float(torch.rand((), generator=generator)) < self.babble_share else "noise"
        low, high = self.babble_snr_db if kind == "babble" else self.coloured_noise_snr_db
        snr_db = low + (high - low) * float(torch.rand((), generator=generator))
        if kind == "babble":
            noise = self.babble(len(waveform), generator, talkers, pool_size)
            if self.babble_tilt_db is not None:  # drawn only when asked for: other configs keep their draws
                low, high = self.babble_tilt_db
                noise = tilted(noise, self.sample_rate, low + (high - low) * float(torch.rand((), generator=generator)))
        else:
            colour = self.noise_colours[int(torch.randint(len(self.noise_colours), (), generator=generator))]
            noise = (pink_noise(len(waveform), generator) if colour == "pink"
                     else torch.randn(len(waveform), generator=generator))
        return mix_at_snr(waveform, noise, snr_db)

    def speed_factor(self, seed: int) -> float:
        """The speed factor the clip seeded ``seed`` is played at (1.0 without speed perturbation);
        its length becomes length / factor."""
        return self._speed_factor(torch.Generator().manual_seed(seed)) if self.speed_factors else 1.0

    def _speed_factor(self, generator: torch.Generator) -> float:
        """The first draw of a clip's generator: one of ``speed_factors``."""
        return self.speed_factors[int(torch.randint(len(self.speed_factors), (), generator=generator))]

    def babble(self, length: int, generator: torch.Generator, talkers: Callable[[int], torch.Tensor],
               pool_size: int) -> torch.Tensor:
        """(length,): the sum of 1–3 training utterances, each at unit power."""
        if pool_size < 1:
            raise RuntimeError("babble needs the training utterances: call training_examples() first")
        low, high = self.babble_talkers
        count = int(torch.randint(low, high + 1, (), generator=generator))
        from_start = bool(self.babble_from_start) and float(torch.rand((), generator=generator)) < \
            self.babble_from_start  # drawn only when asked for: other configs keep their draws
        babble = torch.zeros(length)
        for _ in range(count):
            talker = talkers(int(torch.randint(pool_size, (), generator=generator)))
            talker = fit_length(talker, length, None if from_start else generator)
            babble += talker / math.sqrt(max(mean_power(talker), POWER_FLOOR))
        return babble
