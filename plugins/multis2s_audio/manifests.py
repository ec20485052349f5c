"""Readers of speech data: JSON-lines manifests and LibriSpeech-layout folders.

Every item's audio file is checked cheaply (its header only). A bad item is a DataError naming
``file:line``; with ``skip_bad`` it is skipped instead, and one summary line goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s_audio.audio_io import audio_duration

DURATION_DECIMALS = 3
AUDIO_SUFFIXES = (".flac", ".wav")


class BadItems:
    """The bad items of one data file or folder: raised, or with ``skip_bad`` counted and reported."""

    def __init__(self, where: Path, *, skip_bad: bool) -> None:
        self.where, self.skip_bad = where, skip_bad
        self.count, self.first = 0, ""

    def reject(self, error: DataError) -> None:
        """Re-raise ``error`` (its message is ``file:line: reason``) unless bad items are skipped."""
        if not self.skip_bad:
            raise error
        self.count += 1
        self.first = self.first or str(error)

    def finish(self, examples: list[Example], total: int) -> list[Example]:
        """``examples``, after reporting the skipped items; no usable item at all is a DataError."""
        if self.count:
            print(f"skipped {self.count} bad items of {total} in {self.where} (first: {self.first})", file=sys.stderr)
        if not examples:
            raise DataError(f"{self.where}: no usable items" + (f" ({self.count} bad)" if self.count else ""))
        return examples


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not valid UTF-8 text") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None


def numbered_lines(path: Path) -> Iterator[tuple[str, str, Path]]:
    """``(origin "file:LINE", line, the file's folder)`` for every line of a text file."""
    for number, line in enumerate(_lines(path), start=1):
        yield f"{path}:{number}", line, path.parent


def build_examples(lines: Iterable[tuple[str, str, Path]], build: Callable[[str, Path, str], Example], *,
                   where: Path, skip_bad: bool) -> list[Example]:
    """``build(line, folder, origin)`` for every non-blank line; bad items raised or skipped and counted."""
    bad = BadItems(where, skip_bad=skip_bad)
    examples, total = [], 0
    for origin, line, folder in lines:
        if not line.strip():
            continue
        total += 1
        try:
            examples.append(build(line, folder, origin))
        except DataError as error:
            bad.reject(error)
    return bad.finish(examples, total)


def json_record(line: str, origin: str) -> dict:
    """One manifest line as a JSON object; else a DataError naming ``origin``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise DataError(f"{origin}: expected a JSON object")
    return record


def record_text(record: dict, origin: str) -> str:
    """The record's non-empty ``text``; else a DataError naming ``origin``."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f'{origin}: missing or empty "text"')
    return text.strip()


def _audio_example(audio: Path, text: str, origin: str, speaker: str | None) -> Example:
    """An example for an existing, non-empty, readable audio file; else a DataError naming ``origin``."""
    seconds = audio_duration(audio, origin=origin)
    tags = {"duration": round(seconds, DURATION_DECIMALS)}
    if speaker is not None:
        tags["speaker"] = speaker
    return Example(os.path.abspath(audio), text, origin, tags)


def _manifest_example(line: str, folder: Path, origin: str) -> Example:
    record = json_record(line, origin)
    if not isinstance(record.get("audio"), str) or not record["audio"].strip():
        raise DataError(f'{origin}: missing string "audio" (the audio file path)')
    text = record_text(record, origin)
    speaker = record.get("speaker")
    return _audio_example(folder / record["audio"], text, origin, None if speaker is None else str(speaker))


def read_manifest(path: Path | str, *, skip_bad: bool) -> list[Example]:
    """Examples from a JSON-lines manifest ``{"audio", "text", "duration"?, "speaker"?}`` per line.

    Audio paths are absolute or relative to the manifest's folder; ``Example.source`` is the
    absolute path, ``origin`` is ``manifest:LINE``, and ``tags`` hold the file's ``duration`` in
    seconds and the ``speaker`` when given. Blank lines are ignored.
    """
    path = Path(path)
    return build_examples(numbered_lines(path), _manifest_example, where=path, skip_bad=skip_bad)


def _transcript_example(line: str, chapter: Path, origin: str) -> Example:
    utterance, _, text = line.strip().partition(" ")
    if not text.strip():
        raise DataError(f"{origin}: expected 'ID TRANSCRIPT', found no transcript")
    candidates = [chapter / f"{utterance}{suffix}" for suffix in AUDIO_SUFFIXES]
    audio = next((c for c in candidates if c.exists()), candidates[0])
    return _audio_example(audio, text.strip(), origin, utterance.split("-")[0])


def read_librispeech(folder: Path | str, *, skip_bad: bool) -> list[Example]:
    """Examples from a LibriSpeech-layout folder: ``speaker/chapter/speaker-chapter.trans.txt``.

    Each transcript line is ``ID TRANSCRIPT``, with the audio ``ID.flac`` (or ``ID.wav``) beside
    it; ``origin`` is ``<trans.txt>:LINE`` and ``tags`` hold ``duration`` and ``speaker``.
    """
    folder = Path(folder)
    transcripts = sorted(folder.glob("*/*/*.trans.txt"))
    if not transcripts:
        raise DataError(f"{folder}: no LibriSpeech transcripts (speaker/chapter/*.trans.txt) found")
    lines = (entry for transcript in transcripts for entry in numbered_lines(transcript))
    return build_examples(lines, _transcript_example, where=folder, skip_bad=skip_bad)


def read_speech_data(path: Path | str, *, skip_bad: bool) -> list[Example]:
    """A LibriSpeech-layout folder when ``path`` is a folder, else a JSON-lines manifest."""
    reader = read_librispeech if Path(path).is_dir() else read_manifest
    return reader(path, skip_bad=skip_bad)
