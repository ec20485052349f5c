"""Line-oriented data files shared by every reader: exact, bounded lines, JSON-lines records, bad items.

A data file's lines are split on ``"\\n"`` alone (one ``"\\r"`` before it is dropped, for ``\\r\\n``
files): every other character, U+2028, ``\\x0b``, ``\\x0c``, ``\\x1c``–``\\x1e``, U+0085 or a lone
``\\r`` included, belongs to its line, so source and target lines stay aligned. A line is read
with a bounded buffer: one longer than ``max_chars`` characters, or not valid UTF-8, is a bad
item of its own and never held in memory whole.

A bad item is a DataError naming ``file:line``; with ``skip_bad`` it is skipped instead, counted,
and reported in one summary line on stderr. Every line reader goes through :func:`build_examples`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.options import shown

MAX_LINE_CHARS = 100_000
"""The default longest line (in characters) of a data file."""
MAX_PATH_CHARS = 4096
"""The longest file path a data file may name (Linux's PATH_MAX), so error messages stay bounded."""
UTF8_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 16  # bytes read at a time while skipping the rest of an over-long line


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


class Line(NamedTuple):
    """One line of a data file: where it is (``"file:LINE"``), its text without the line break,
    the file's folder, and the DataError that makes it unreadable (then ``text`` is empty)."""

    origin: str
    text: str
    folder: Path
    problem: DataError | None = None


def check_max_chars(max_chars: int) -> int:
    """``max_chars`` when it is a positive line length; else a ValueError (an option error)."""
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise ValueError(f"max_line_chars must be a positive number of characters, got {shown(max_chars)}")
    return max_chars


def _skip_rest(stream) -> None:
    """Read, a chunk at a time, up to and including the next ``\\n``."""
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def _too_long(origin: str, max_chars: int) -> DataError:
    return DataError(f"{origin}: line longer than {max_chars} characters (max_line_chars)")


def numbered_lines(path: Path, *, max_chars: int = MAX_LINE_CHARS) -> Iterator[Line]:
    """Every line of a text file, numbered from 1 (see the module's notes on splitting).

    A missing or unreadable file is a DataError; a UTF-8 byte-order mark opening the file is
    dropped. A line of more than ``max_chars`` characters, or one that is not UTF-8, comes with
    its ``problem`` set: the reader rejects it (raised, or counted with ``skip_bad``).
    """
    path, folder = Path(path), Path(path).parent
    limit = 4 * max_chars + 2  # bytes: four per UTF-8 character at most, then "\r\n"
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    with stream:
        number = 0
        while True:
            try:
                raw = stream.readline(limit)
                cut = len(raw) == limit and not raw.endswith(b"\n")
                if cut:
                    _skip_rest(stream)
            except OSError as exc:
                raise DataError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
            if not raw:
                return
            number += 1
            origin = f"{path}:{number}"
            if cut:
                yield Line(origin, "", folder, _too_long(origin, max_chars))
                continue
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM):]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield Line(origin, "", folder, DataError(f"{origin}: not valid UTF-8 text"))
                continue
            if len(text) > max_chars:
                yield Line(origin, "", folder, _too_long(origin, max_chars))
            else:
                yield Line(origin, text, folder)


def build_examples(lines: Iterable[Line], build: Callable[[str, Path, str], Example], *,
                   where: Path | str, skip_bad: bool) -> list[Example]:
    """``build(text, folder, origin)`` for every non-blank line; bad items raised or skipped and counted.

    No non-blank line at all is a DataError ("data file is empty").
    """
    bad = BadItems(where, skip_bad=skip_bad)
    examples, total = [], 0
    for line in lines:
        if line.problem is None and not line.text.strip():
            continue
        total += 1
        try:
            if line.problem is not None:
                raise line.problem
            examples.append(build(line.text, line.folder, line.origin))
        except DataError as error:
            bad.reject(error)
    if total == 0:
        raise DataError(f"{where}: {'data file is' if Path(where).is_file() else 'every data file is'} empty")
    return bad.finish(examples, total)


def check_text(text: str, origin: str, key: str) -> str:
    """``text`` when it can be written out again as UTF-8 (no lone surrogate from a JSON ``\\ud800``
    escape); else a DataError naming ``origin``."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise DataError(f'{origin}: "{key}" is not valid Unicode text (a lone surrogate)') from None
    return text


def json_record(line: str, origin: str) -> dict:
    """One JSON-lines line as an object; else a DataError naming ``origin``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"{origin}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise DataError(f"{origin}: not valid JSON ({shown(str(exc))})") from None
    if not isinstance(record, dict):
        raise DataError(f"{origin}: expected a JSON object")
    return record


def record_text(record: dict, origin: str, key: str = "text") -> str:
    """The record's non-empty string ``key``; else a DataError naming ``origin``."""
    text = record.get(key)
    if not isinstance(text, str) or not text.strip():
        raise DataError(f'{origin}: missing or empty "{key}"')
    return check_text(text.strip(), origin, key)


def record_path(record: dict, field: str, folder: Path, origin: str) -> Path | None:
    """The file named by the record's string ``field``, relative to ``folder`` (None when the
    record has no such field); a non-string, empty or over-long value is a DataError."""
    value = record.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DataError(f'{origin}: "{field}" must be a file path')
    if len(value) > MAX_PATH_CHARS or "\0" in value:
        raise DataError(f'{origin}: "{field}" is not a usable file path (a NUL, or over {MAX_PATH_CHARS} characters)')
    return folder / value
