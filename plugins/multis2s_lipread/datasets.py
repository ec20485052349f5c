"""Audio-visual data sources: your JSON-lines manifests and the synthetic talking-mouth corpus.

A manifest line is ``{"video": path, "audio": path, "text": ..., "frames"?, "duration"?,
"speaker"?}``, paths absolute or relative to the manifest's folder. The dataset gives what the
encoders read (``modalities``, supplied by the core): for one modality the source is that file's
path; for several it is ``{"audio": path, "video": path}``, and a line may lack one of them (that
stream is then absent for the example). When both are read, a video and audio whose lengths differ
by more than ``max_offset`` seconds are a data error naming the line.
"""

from __future__ import annotations

import os
from pathlib import Path

from multis2s.data.cache import ensure_corpus
from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s_audio.audio_io import audio_duration
from multis2s_audio.corpus import SPLITS
from multis2s_audio.manifests import build_examples, json_record, numbered_lines, record_text
from multis2s_lipread.corpus import write_av_corpus
from multis2s_lipread.video_io import frame_count

MODALITIES = ("audio", "video")
TIME_DECIMALS = 3
FPS = 25.0
MAX_OFFSET_SECONDS = 0.2


class AVSplits:
    """Splits, each a JSON-lines audio-visual manifest."""

    def __init__(self, paths: dict[str, Path | str | None], *, modalities: tuple[str, ...], fps: float,
                 max_offset: float, skip_bad: bool) -> None:
        unknown = [m for m in modalities if m not in MODALITIES]
        if unknown:
            raise ValueError(f"audio-visual data gives {' and '.join(MODALITIES)}, not {', '.join(unknown)}")
        self.paths, self.modalities, self.fps = paths, tuple(dict.fromkeys(modalities)), fps
        self.max_offset, self.skip_bad = max_offset, skip_bad

    def split(self, name: str) -> list[Example]:
        path = self.paths.get(name)
        if path is None:
            raise DataError(f"no {name!r} split: set data.dataset.{name} to an audio-visual manifest")
        return self.read(Path(path))

    def read(self, path: Path) -> list[Example]:
        return build_examples(numbered_lines(path), self._example, where=path, skip_bad=self.skip_bad)

    def _example(self, line: str, folder: Path, origin: str) -> Example:
        record = json_record(line, origin)
        text = record_text(record, origin)
        paths, tags = {}, {}
        for modality in self.modalities:
            value = record.get(modality)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                raise DataError(f'{origin}: "{modality}" must be a file path')
            paths[modality] = os.path.abspath(folder / value)
        if len(self.modalities) == 1 and not paths:
            raise DataError(f'{origin}: missing "{self.modalities[0]}" (the file path)')
        if not paths:
            raise DataError(f"{origin}: missing {' or '.join(repr(m) for m in self.modalities)} (the file paths)")
        if "video" in paths:
            tags["frames"] = frame_count(paths["video"], origin=origin)
            if tags["frames"] == 0:
                raise DataError(f"{origin}: {paths['video']}: video has no frames")
        if "audio" in paths:
            tags["duration"] = round(audio_duration(paths["audio"], origin=origin), TIME_DECIMALS)
        if "frames" in tags and "duration" in tags:
            video_seconds = tags["frames"] / self.fps
            if abs(video_seconds - tags["duration"]) > self.max_offset:
                raise DataError(f"{origin}: video {paths['video']} lasts {video_seconds:.2f} s ({tags['frames']} "
                                f"frames at {self.fps:g} fps) but audio {paths['audio']} lasts "
                                f"{tags['duration']:.2f} s")
        if record.get("speaker") is not None:
            tags["speaker"] = str(record["speaker"])
        source = paths if len(self.modalities) > 1 else paths[self.modalities[0]]
        return Example(source, text, origin, tags)


def av_manifest_dataset(
    *,
    train: str,
    dev: str | None = None,
    test: str | None = None,
    fps: float = FPS,
    max_offset: float = MAX_OFFSET_SECONDS,
    modalities: tuple[str, ...] = MODALITIES,
    skip_bad: bool = False,
) -> AVSplits:
    """Your audio-visual data: per split a JSON-lines manifest of video and audio files."""
    if fps <= 0 or max_offset < 0:
        raise ValueError(f"fps must be positive and max_offset non-negative, got {fps}, {max_offset}")
    return AVSplits({"train": train, "dev": dev, "test": test}, modalities=modalities, fps=fps,
                    max_offset=max_offset, skip_bad=skip_bad)


def synthetic_av_dataset(
    *,
    train_size: int,
    dev_size: int,
    test_size: int,
    seed: int = 1,
    image_size: int = 64,
    modalities: tuple[str, ...] = MODALITIES,
    skip_bad: bool = False,
) -> AVSplits:
    """GRID sentences spoken by eSpeak NG voices and drawn as talking mouths at 25 fps; the test
    speakers (voice and face) never occur in training."""
    if min(train_size, dev_size, test_size) < 0:
        raise ValueError(f"split sizes must be >= 0, got {train_size}, {dev_size}, {test_size}")
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16, got {image_size}")
    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed, image_size=image_size)

    def write(folder: Path) -> None:
        write_av_corpus(folder / "corpus", num_train=train_size, num_dev=dev_size, num_test=test_size, seed=seed,
                        image_size=image_size, fps=int(FPS))

    corpus = ensure_corpus("av-grid", options, write) / "corpus"
    return AVSplits({split: corpus / f"{split}.jsonl" for split in SPLITS}, modalities=modalities, fps=FPS,
                    max_offset=MAX_OFFSET_SECONDS, skip_bad=skip_bad)
