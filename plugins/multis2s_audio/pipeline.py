"""The audio source pipeline: an audio file path → normalised features (S, F), augmented in training.

Shapes: B batch, S frames (10 ms each), F features per frame.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import torch

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.ranges import PROBABILITY, Range
from multis2s_speech.audio_io import FILE_SAMPLE_RATES, AudioReader, Resamplers, audio_duration
from multis2s_audio.conditions import NOISE_COLOURS, TrainingConditions
from multis2s_audio.features import FRAMES_PER_SECOND, FeatureExtractor, Normaliser, SpecAugment, WaveAugment

MAX_SECONDS = 300.0  # the default longest clip: 5 minutes, 19 MB at 16 kHz


class AudioPipeline:
    """Options (``data.source``).

    sample_rate: audio is resampled to this rate. features: ``fbank`` (log-mel, F = num_mel_bins)
    or ``mfcc`` (F = num_ceps). normalise: mean/variance per ``utterance``, with ``global``
    training statistics (computed in :meth:`fit`, saved in the checkpoint), or ``none``.
    spec_augment: in training, ``freq_masks`` masks narrower than ``freq_mask_width`` bins and
    ``time_masks`` masks shorter than ``time_mask_ratio`` of the utterance. speed_perturb: factors
    drawn per training clip (e.g. [0.9, 1.0, 1.1]; [] = off). noise_snr_db: [low, high] white
    noise SNR range in training, or null. Training conditions drawn per clip from its own seed (run
    seed, epoch, example), see :mod:`multis2s_audio.conditions`: speed_range: [low, high] speed
    factors (steps of 0.05; not with speed_perturb); babble_snr_db: [low, high] SNR of babble made
    of ``babble_talkers`` [min, max] other training utterances, which all start with the clip in a
    ``babble_from_start`` share of the babbled clips; coloured_noise_snr_db: [low, high]
    SNR of noise of one of ``noise_colours``; babble_share: with both, the share of corrupted clips
    that get babble rather than noise (null: half); whisper_share: the share of clips whispered
    (voicing replaced by noise) before any babble or noise, their spectrum tilted up by a slope
    drawn from ``whisper_tilt_db`` [low, high] dB per octave; babble_tilt_db: [low, high] dB per
    octave: the babble's spectrum tilted by a slope drawn from it per babbled clip (null: none);
    clean_share: the share of clips left without babble or coloured noise. cache_features: keep the features of un-augmented audio
    in memory after the first load (about 32 KB per second of audio at F = 80; one cache per
    data-loader worker). max_seconds: longer clips are a data error (null = no limit).
    file_sample_rates: [low, high] sample rates accepted in audio files. Both are checked from the
    file's header before any sample is decoded, as is a rate that cannot be resampled to
    ``sample_rate`` at a bounded cost (e.g. 16001 Hz → 16000 Hz).
    """

    modality = "audio"
    reads_files = True
    seeded = True  # load() takes each clip's seed

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        features: Literal["fbank", "mfcc"] = "fbank",
        num_mel_bins: int = 80,
        num_ceps: int = 13,
        normalise: Literal["utterance", "global", "none"] = "utterance",
        spec_augment: bool = False,
        freq_masks: int = 2,
        freq_mask_width: int = 27,
        time_masks: int = 2,
        time_mask_ratio: float = 0.05,
        speed_perturb: tuple[float, ...] = (),
        noise_snr_db: tuple[float, float] | None = None,
        speed_range: Annotated[tuple[float, float], Range(gt=0)] | None = None,
        babble_snr_db: tuple[float, float] | None = None,
        babble_talkers: Annotated[tuple[int, int], Range(ge=1)] = (1, 3),
        babble_from_start: Annotated[float, PROBABILITY] = 0.0,
        babble_share: Annotated[float, PROBABILITY] | None = None,
        whisper_share: Annotated[float, PROBABILITY] = 0.0,
        whisper_tilt_db: tuple[float, float] = (0.0, 6.0),
        babble_tilt_db: tuple[float, float] | None = None,
        coloured_noise_snr_db: tuple[float, float] | None = None,
        noise_colours: tuple[Literal["white", "pink"], ...] = NOISE_COLOURS,
        clean_share: Annotated[float, PROBABILITY] = 0.0,
        cache_features: bool = True,
        max_seconds: float | None = MAX_SECONDS,
        file_sample_rates: tuple[int, int] = FILE_SAMPLE_RATES,
    ) -> None:
        resamplers = Resamplers()
        self.reader = AudioReader(sample_rate=sample_rate, resamplers=resamplers,
                                  file_sample_rates=tuple(file_sample_rates), max_seconds=max_seconds)
        self.extractor = FeatureExtractor(kind=features, sample_rate=sample_rate, num_mel_bins=num_mel_bins,
                                          num_ceps=num_ceps)
        if spec_augment and freq_mask_width > self.extractor.dim:
            raise ValueError(f"freq_mask_width ({freq_mask_width}) exceeds the {self.extractor.dim} features")
        self.normaliser = Normaliser(mode=normalise)
        masks = SpecAugment(freq_masks=freq_masks, freq_mask_width=freq_mask_width, time_masks=time_masks,
                            time_mask_ratio=time_mask_ratio)
        self.spec_augment = masks if spec_augment else None
        self.wave_augment = WaveAugment(sample_rate=sample_rate, speed_factors=tuple(speed_perturb),
                                        noise_snr_db=None if noise_snr_db is None else tuple(noise_snr_db),
                                        resamplers=resamplers)
        if speed_range is not None and speed_perturb:
            raise ValueError("speed_perturb and speed_range both set: use one of them")
        self.conditions = TrainingConditions(
            sample_rate=sample_rate, speed_range=None if speed_range is None else tuple(speed_range),
            babble_snr_db=None if babble_snr_db is None else tuple(babble_snr_db),
            babble_talkers=tuple(babble_talkers),
            coloured_noise_snr_db=None if coloured_noise_snr_db is None else tuple(coloured_noise_snr_db),
            noise_colours=tuple(noise_colours), clean_share=clean_share, resamplers=resamplers,
            babble_from_start=babble_from_start, babble_share=babble_share, whisper_share=whisper_share,
            whisper_tilt_db=tuple(whisper_tilt_db),
            babble_tilt_db=None if babble_tilt_db is None else tuple(babble_tilt_db))
        self.talkers: list[Example] = []  # the babble's source: the training examples
        self.talker_positions: dict[str, int] = {}
        self.sample_rate = sample_rate
        self.cache: dict[str, torch.Tensor] | None = {} if cache_features else None

    def fit(self, examples: list[Example]) -> None:
        """Global statistics over the training features, when ``normalise`` is ``global``."""
        if self.normaliser.mode != "global":
            return
        if not examples:
            raise DataError("normalise: global: no training examples to compute feature statistics from")
        self.normaliser.fit(self._features(e) for e in examples)

    def training_examples(self, examples: list[Example]) -> None:
        """The training examples, whose clips make the babble (called before training, also on resume)."""
        self.talkers = list(examples)
        self.talker_positions = {e.source: i for i, e in enumerate(self.talkers)}

    def state(self) -> dict[str, Any]:
        return {"normaliser": self.normaliser.state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.normaliser.load_state(state.get("normaliser", {}))

    def encoder_inputs(self) -> dict[str, Any]:
        return {"input_dim": self.extractor.dim}

    def length(self, example: Example) -> int:
        """Frames ≈ seconds·100, from the ``duration`` tag or else the file header."""
        seconds = example.tags.get("duration")
        if seconds is None:
            seconds = audio_duration(example.source, origin=example.origin)
        return max(1, round(float(seconds) * FRAMES_PER_SECOND))

    @property
    def varies_length(self) -> bool:
        """Whether training changes the clips' lengths seed by seed (``speed_range``)."""
        return bool(self.conditions.speed_factors)

    def training_length(self, example: Example, seed: int) -> int:
        """:meth:`length` of the clip played at the speed its training seed draws."""
        return max(1, round(self.length(example) / self.conditions.speed_factor(seed)))

    def _waveform(self, example: Example) -> torch.Tensor:
        """(N,) at ``sample_rate``; a file over the reader's limits is a DataError."""
        return self.reader(example.source, origin=example.origin)

    def _features(self, example: Example) -> torch.Tensor:
        """Un-normalised features (S, F) of the un-augmented clip, from the cache when it has them."""
        if self.cache is not None and example.source in self.cache:
            return self.cache[example.source]
        features = self.extractor(self._waveform(example))
        if self.cache is not None:
            self.cache[example.source] = features
        return features

    def _other_talker(self, example: Example, index: int) -> torch.Tensor:
        """The waveform (M,) of the ``index``-th training example other than ``example``."""
        own = self.talker_positions.get(example.source, len(self.talkers))
        return self._waveform(self.talkers[index + (index >= own)])

    def load(self, example: Example, *, train: bool, seed: int | None = None) -> torch.Tensor:
        """(S, F) normalised features; waveform and SpecAugment augmentation only when ``train``.

        ``seed`` seeds the clip's training conditions (drawn from torch's generator when None).
        """
        if train and (self.wave_augment.active or self.conditions.active):
            waveform = self._waveform(example)
            if self.conditions.active:
                if seed is None:
                    seed = int(torch.randint(2 ** 62, ()))
                others = len(self.talkers) - (example.source in self.talker_positions)
                waveform = self.conditions(waveform, seed=seed, pool_size=others,
                                           talkers=lambda index: self._other_talker(example, index))
            if self.wave_augment.active:
                waveform = self.wave_augment(waveform)
            features = self.extractor(waveform)
        else:
            features = self._features(example)
        features = self.normaliser(features)  # a new tensor: the cached one is never changed
        if train and self.spec_augment is not None:
            features = self.spec_augment(features)
        return features

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Features (S_i, F) → zero-padded (B, S, F) and lengths (B,)."""
        lengths = torch.tensor([len(t) for t in items], dtype=torch.long)
        batch = torch.zeros(len(items), int(lengths.max()), items[0].size(1))
        for row, item in enumerate(items):
            batch[row, : len(item)] = item
        return batch, lengths  # (B, S, F), (B,)

    def labels(self, example: Example) -> None:
        return None
