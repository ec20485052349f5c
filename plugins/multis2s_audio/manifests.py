"""Readers of speech data: JSON-lines manifests and LibriSpeech-layout folders.

Every item's audio file is checked cheaply (its header only). A bad item is a DataError naming
``file:line``; with ``skip_bad`` it is skipped instead, and one summary line goes to stderr
(:mod:`multis2s.data.manifests`).
"""

from __future__ import annotations

import os
from pathlib import Path

from multis2s.data.example import Example
from multis2s.data.manifests import MAX_LINE_CHARS, build_examples, json_record, numbered_lines, record_path, \
    record_text
from multis2s.errors import DataError
from multis2s_speech.audio_io import audio_duration

DURATION_DECIMALS = 3
AUDIO_SUFFIXES = (".flac", ".wav")


def _audio_example(audio: Path, text: str, origin: str, speaker: str | None) -> Example:
    """An example for an existing, non-empty, readable audio file; else a DataError naming ``origin``."""
    seconds = audio_duration(audio, origin=origin)
    tags = {"duration": round(seconds, DURATION_DECIMALS)}
    if speaker is not None:
        tags["speaker"] = speaker
    return Example(os.path.abspath(audio), text, origin, tags)


def _manifest_example(line: str, folder: Path, origin: str) -> Example:
    record = json_record(line, origin)
    audio = record_path(record, "audio", folder, origin)
    if audio is None:
        raise DataError(f'{origin}: missing string "audio" (the audio file path)')
    text = record_text(record, origin)
    speaker = record.get("speaker")
    return _audio_example(audio, text, origin, None if speaker is None else str(speaker))


def read_manifest(path: Path | str, *, skip_bad: bool, max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """Examples from a JSON-lines manifest ``{"audio", "text", "duration"?, "speaker"?}`` per line.

    Audio paths are absolute or relative to the manifest's folder; ``Example.source`` is the
    absolute path, ``origin`` is ``manifest:LINE``, and ``tags`` hold the file's ``duration`` in
    seconds and the ``speaker`` when given. Blank lines are ignored; a line longer than
    ``max_chars`` characters is a bad item.
    """
    path = Path(path)
    return build_examples(numbered_lines(path, max_chars=max_chars), _manifest_example, where=path,
                          skip_bad=skip_bad)


def _transcript_example(line: str, chapter: Path, origin: str) -> Example:
    utterance, _, text = line.strip().partition(" ")
    if not text.strip():
        raise DataError(f"{origin}: expected 'ID TRANSCRIPT', found no transcript")
    candidates = [chapter / f"{utterance}{suffix}" for suffix in AUDIO_SUFFIXES]
    audio = next((c for c in candidates if c.exists()), candidates[0])
    return _audio_example(audio, text.strip(), origin, utterance.split("-")[0])


def read_librispeech(folder: Path | str, *, skip_bad: bool, max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """Examples from a LibriSpeech-layout folder: ``speaker/chapter/speaker-chapter.trans.txt``.

    Each transcript line is ``ID TRANSCRIPT``, with the audio ``ID.flac`` (or ``ID.wav``) beside
    it; ``origin`` is ``<trans.txt>:LINE`` and ``tags`` hold ``duration`` and ``speaker``.
    """
    folder = Path(folder)
    transcripts = sorted(folder.glob("*/*/*.trans.txt"))
    if not transcripts:
        raise DataError(f"{folder}: no LibriSpeech transcripts (speaker/chapter/*.trans.txt) found")
    lines = (line for transcript in transcripts for line in numbered_lines(transcript, max_chars=max_chars))
    return build_examples(lines, _transcript_example, where=folder, skip_bad=skip_bad)


def read_speech_data(path: Path | str, *, skip_bad: bool, max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """A LibriSpeech-layout folder when ``path`` is a folder, else a JSON-lines manifest."""
    reader = read_librispeech if Path(path).is_dir() else read_manifest
    return reader(path, skip_bad=skip_bad, max_chars=max_chars)
