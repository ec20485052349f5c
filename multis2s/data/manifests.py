"""Line-oriented data files shared by every reader: numbered lines, JSON-lines records, bad items.

A bad item is a DataError naming ``file:line``; with ``skip_bad`` it is skipped instead, counted,
and reported in one summary line on stderr. Every reader goes through :func:`build_examples`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from multis2s.data.example import Example
from multis2s.errors import DataError


class BadItems:
    """The bad items of one data file or folder: raised, or with ``skip_bad`` counted and reported."""

    def __init__(self, where: Path | str, *, skip_bad: bool) -> None:
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


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file; a missing, unreadable or non-UTF-8 file is a DataError
    (the line of the first invalid byte is named)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid UTF-8 text") from None
    return text.splitlines()


def numbered_lines(path: Path) -> Iterator[tuple[str, str, Path]]:
    """``(origin "file:LINE", line, the file's folder)`` for every line of a text file."""
    for number, line in enumerate(read_lines(path), start=1):
        yield f"{path}:{number}", line, Path(path).parent


def build_examples(lines: Iterable[tuple[str, str, Path]], build: Callable[[str, Path, str], Example], *,
                   where: Path | str, skip_bad: bool) -> list[Example]:
    """``build(line, folder, origin)`` for every non-blank line; bad items raised or skipped and counted.

    No non-blank line at all is a DataError ("data file is empty").
    """
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
    if total == 0:
        raise DataError(f"{where}: {'data file is' if Path(where).is_file() else 'every data file is'} empty")
    return bad.finish(examples, total)


def json_record(line: str, origin: str) -> dict:
    """One JSON-lines line as an object; else a DataError naming ``origin``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise DataError(f"{origin}: expected a JSON object")
    return record


def record_text(record: dict, origin: str, key: str = "text") -> str:
    """The record's non-empty string ``key``; else a DataError naming ``origin``."""
    text = record.get(key)
    if not isinstance(text, str) or not text.strip():
        raise DataError(f'{origin}: missing or empty "{key}"')
    return text.strip()
