"""Audio-visual data sources: your JSON-lines manifests and the synthetic talking-mouth corpus.

A manifest line is ``{"video": path, "audio": path, "text": ..., "frames"?, "duration"?,
"speaker"?}``, paths absolute or relative to the manifest's folder. The dataset gives what the
model's streams read (``streams``, stream name → modality, supplied by the core): each stream takes
the field named like the stream if the line has one (``"cam_left": path``), else the field named
like its modality (``"video"``), so two video streams can read two cameras or the same video. A
line may lack a stream's file (that stream is then absent for the example). When both audio and
video are read, a video and audio whose lengths differ by more than ``max_offset`` seconds are a
data error naming the line.
"""

from __future__ import annotations

import os
from pathlib import Path

from multis2s.data.cache import ensure_corpus
from multis2s.data.example import Example
from multis2s.data.manifests import (MAX_LINE_CHARS, build_examples, check_max_chars, json_record, numbered_lines,
                                     record_path, record_text)
from multis2s.errors import DataError
from multis2s_speech.audio_io import audio_duration
from multis2s_speech.speakers import SPLITS
from multis2s_lipread.corpus import write_av_corpus
from multis2s_lipread.video_io import frame_count

MODALITIES = ("audio", "video")
TIME_DECIMALS = 3
FPS = 25.0
MAX_OFFSET_SECONDS = 0.2


DEFAULT_STREAMS = {"audio": "audio", "video": "video"}
"""The streams when none are supplied: the audio and the video, each named after its modality."""


class AVSplits:
    """Splits, each a JSON-lines audio-visual manifest."""

    def __init__(self, paths: dict[str, Path | None], *, streams: dict[str, str], fps: float,
                 max_offset: float, skip_bad: bool, max_chars: int = MAX_LINE_CHARS) -> None:
        unknown = [f"{name} ({modality})" for name, modality in streams.items() if modality not in MODALITIES]
        if unknown:
            raise ValueError(f"audio-visual data gives {' and '.join(MODALITIES)}, not {', '.join(unknown)}")
        self.paths, self.streams, self.fps = paths, dict(streams), fps
        self.max_offset, self.skip_bad, self.max_chars = max_offset, skip_bad, check_max_chars(max_chars)

    def split(self, name: str) -> list[Example]:
        path = self.paths.get(name)
        if path is None:
            raise DataError(f"no {name!r} split: set data.dataset.{name} to an audio-visual manifest")
        return self.read(Path(path))

    def read(self, path: Path) -> list[Example]:
        return build_examples(numbered_lines(path, max_chars=self.max_chars), self._example, where=path,
                              skip_bad=self.skip_bad)

    def _files(self, record: dict, folder: Path, origin: str) -> dict[str, str]:
        """stream → the absolute path of its file on this line (streams without one left out)."""
        files = {}
        for name, modality in self.streams.items():
            path = record_path(record, name if name in record else modality, folder, origin)
            if path is not None:
                files[name] = os.path.abspath(path)
        if not files:
            fields = dict.fromkeys(self.streams.values())
            raise DataError(f"{origin}: missing {' or '.join(repr(f) for f in fields)} (the file path)")
        return files

    def _example(self, line: str, folder: Path, origin: str) -> Example:
        record = json_record(line, origin)
        text = record_text(record, origin)
        files = self._files(record, folder, origin)
        by_modality = {}
        for name, path in files.items():
            by_modality.setdefault(self.streams[name], path)
        tags = {}
        if "video" in by_modality:
            tags["frames"] = frame_count(by_modality["video"], origin=origin)
            if tags["frames"] == 0:
                raise DataError(f"{origin}: {by_modality['video']}: video has no frames")
        if "audio" in by_modality:
            tags["duration"] = round(audio_duration(by_modality["audio"], origin=origin), TIME_DECIMALS)
        if "frames" in tags and "duration" in tags:
            video_seconds = tags["frames"] / self.fps
            if abs(video_seconds - tags["duration"]) > self.max_offset:
                raise DataError(f"{origin}: video {by_modality['video']} lasts {video_seconds:.2f} s "
                                f"({tags['frames']} frames at {self.fps:g} fps) but audio {by_modality['audio']} "
                                f"lasts {tags['duration']:.2f} s")
        if record.get("speaker") is not None:
            tags["speaker"] = str(record["speaker"])
        return Example(files, text, origin, tags)


def av_manifest_dataset(
    *,
    train: Path,
    dev: Path | None = None,
    test: Path | None = None,
    fps: float = FPS,
    max_offset: float = MAX_OFFSET_SECONDS,
    streams: dict[str, str] | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
    skip_bad: bool = False,
) -> AVSplits:
    """Your audio-visual data: per split a JSON-lines manifest of video and audio files.

    Args:
        train, dev, test: the splits' manifests (file paths inside are relative to the manifest).
        fps: the video frame rate. max_offset: seconds audio and video may differ by.
        streams: supplied by the core: stream name → modality. max_line_chars: a longer manifest
            line is a bad item. skip_bad: supplied from ``data.skip_bad``.
    """
    if fps <= 0 or max_offset < 0:
        raise ValueError(f"fps must be positive and max_offset non-negative, got {fps}, {max_offset}")
    return AVSplits({"train": train, "dev": dev, "test": test}, streams=streams or DEFAULT_STREAMS, fps=fps,
                    max_offset=max_offset, skip_bad=skip_bad, max_chars=max_line_chars)


def synthetic_av_dataset(
    *,
    train_size: int,
    dev_size: int,
    test_size: int,
    seed: int = 1,
    image_size: int = 64,
    streams: dict[str, str] | None = None,
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
    return AVSplits({split: corpus / f"{split}.jsonl" for split in SPLITS}, streams=streams or DEFAULT_STREAMS,
                    fps=FPS, max_offset=MAX_OFFSET_SECONDS, skip_bad=skip_bad)
