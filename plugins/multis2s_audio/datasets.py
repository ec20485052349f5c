"""Speech data sources: your manifests or LibriSpeech folders, and the synthetic eSpeak corpus.

The synthetic corpus is written once into a cache folder keyed by its options (see
:mod:`multis2s.data.cache`), as ``corpus/{train,dev,test}.jsonl`` with the wav files beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from multis2s.data.cache import ensure_corpus
from multis2s.data.example import Example
from multis2s.data.manifests import MAX_LINE_CHARS, check_max_chars
from multis2s.errors import DataError
from multis2s_audio.corpus import check_rate_range, write_corpus
from multis2s_audio.manifests import read_speech_data
from multis2s_speech.grammars import GRAMMARS
from multis2s_speech.speakers import SPLITS


class SpeechSplits:
    """Splits, each a JSON-lines manifest or a LibriSpeech-layout folder."""

    def __init__(self, paths: dict[str, Path | None], *, skip_bad: bool, max_chars: int = MAX_LINE_CHARS) -> None:
        self.paths, self.skip_bad, self.max_chars = paths, skip_bad, check_max_chars(max_chars)

    def split(self, name: str) -> list[Example]:
        path = self.paths.get(name)
        if path is None:
            raise DataError(f"no {name!r} split: set data.dataset.{name} to a manifest or a LibriSpeech folder")
        return self.read(Path(path))

    def read(self, path: Path) -> list[Example]:
        return read_speech_data(path, skip_bad=self.skip_bad, max_chars=self.max_chars)


def manifest_dataset(
    *,
    train: Path,
    dev: Path | None = None,
    test: Path | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
    skip_bad: bool = False,
) -> SpeechSplits:
    """Your speech data: per split a JSON-lines manifest or a LibriSpeech-layout folder.

    Args:
        train, dev, test: the splits. Paths in a config are relative to its folder; audio paths
            inside a manifest are relative to the manifest's folder.
        max_line_chars: a longer manifest or transcript line is a bad item.
        skip_bad: supplied from ``data.skip_bad``: skip and count unreadable items.
    """
    return SpeechSplits({"train": train, "dev": dev, "test": test}, skip_bad=skip_bad, max_chars=max_line_chars)


def speech_dataset(
    *,
    grammar: Literal["grid", "open"] = "grid",
    train_size: int,
    dev_size: int,
    test_size: int,
    seed: int = 1,
    noise_snr_db: tuple[float, float] | None = (15.0, 30.0),
    train_rate_wpm: tuple[int, int] | None = None,
    train_voices: Literal["standard", "all"] = "standard",
    skip_bad: bool = False,
) -> SpeechSplits:
    """eSpeak NG voices reading ``grammar`` sentences at 16 kHz, with white noise at an SNR drawn
    from ``noise_snr_db`` (null: clean); the test speakers are voices never heard in train or dev.
    ``train_rate_wpm``: [low, high] speaking rates of the training utterances, words per minute
    (null: each speaker's habitual rate, 145–175 ± 15, as dev and test always have).
    ``train_voices``: the eSpeak voice variants of train and dev, ``standard`` (20) or ``all``
    (every variant but the test voices', about 100); test keeps its four held-out variants.
    """
    if grammar not in GRAMMARS:
        raise ValueError(f"grammar {grammar!r} is not one of {', '.join(sorted(GRAMMARS))}")
    if min(train_size, dev_size, test_size) < 0:
        raise ValueError(f"split sizes must be >= 0, got {train_size}, {dev_size}, {test_size}")
    if noise_snr_db is not None and noise_snr_db[0] > noise_snr_db[1]:
        raise ValueError(f"noise_snr_db must be [low, high] with low <= high, got {list(noise_snr_db)}")
    options = dict(grammar=grammar, train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed,
                   noise_snr_db=None if noise_snr_db is None else list(noise_snr_db))
    if train_rate_wpm is not None:  # only then: the corpora made before the option keep their cache key
        check_rate_range(train_rate_wpm)
        options["train_rate_wpm"] = list(train_rate_wpm)
    if train_voices != "standard":  # likewise
        options["train_voices"] = train_voices

    def write(folder: Path) -> None:
        write_corpus(folder / "corpus", grammar=grammar, num_train=train_size, num_dev=dev_size,
                     num_test=test_size, seed=seed, noise_snr_db=noise_snr_db, train_rate_wpm=train_rate_wpm,
                     train_voices=train_voices)

    corpus = ensure_corpus(f"speech-{grammar}", options, write) / "corpus"
    return SpeechSplits({split: corpus / f"{split}.jsonl" for split in SPLITS}, skip_bad=skip_bad)
