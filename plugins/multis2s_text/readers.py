"""Readers for parallel text in the formats people already have; errors name file and line.

Lines are split on ``\\n`` only and bounded in length (:mod:`multis2s.data.manifests`). A bad
line (a wrong number of tabs, an empty target, invalid JSON, an over-long line) is a DataError,
or with ``skip_bad`` skipped and counted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from multis2s.data.example import Example
from multis2s.data.manifests import (MAX_LINE_CHARS, BadItems, Line, build_examples, check_text, json_record,
                                     numbered_lines)
from multis2s.errors import DataError
from multis2s.options import shown

PAIR = ("source", "target")
NAMES_SHOWN = 80  # characters of the column names an error line shows


def _check_target(target: str, origin: str) -> None:
    if not target.strip():
        raise DataError(f"{origin}: empty target")


@dataclass(frozen=True)
class TsvLayout:
    """How a TSV file's lines are laid out.

    ``columns``: the name of each tab-separated column, in order; it holds ``source`` and
    ``target`` once each, and any other column becomes a tag of the example (a string). Every line
    has exactly one field per column: with the default ``("source", "target")`` exactly one tab.
    ``header``: the first line of the file names the columns and is not an example.
    """

    columns: tuple[str, ...] = PAIR
    header: bool = False

    def __post_init__(self) -> None:
        names = list(self.columns)
        if any(not isinstance(n, str) or not n.strip() for n in names) or len(set(names)) != len(names):
            raise ValueError(f"columns must be distinct, non-empty names, got {shown(names)}")
        missing = [n for n in PAIR if n not in names]
        if missing:
            raise ValueError(f"columns {shown(names)} lack {' and '.join(missing)}")

    def _mismatch(self, fields: int, origin: str) -> DataError:
        """The error for a line of ``fields`` tab-separated fields that do not match the columns."""
        found = "no tab" if fields == 1 else f"{fields} fields"
        if self.columns == PAIR:
            hint = " (name them with the dataset's columns option)" if fields > 2 else ""
            return DataError(f"{origin}: expected source<TAB>target, found {found}{hint}")
        names = ", ".join(self.columns)
        names = names if len(names) <= NAMES_SHOWN else f"{names[:NAMES_SHOWN]}…"
        return DataError(f"{origin}: expected {len(self.columns)} tab-separated fields ({names}), found {found}")

    def example(self, line: str, folder: Path, origin: str) -> Example:
        fields = line.split("\t")
        if len(fields) != len(self.columns):
            raise self._mismatch(len(fields), origin)
        values = dict(zip(self.columns, fields))
        _check_target(values["target"], origin)
        tags = {name: value.strip() for name, value in values.items() if name not in PAIR}
        return Example(values["source"].strip(), values["target"].strip(), origin, tags)

    def lines(self, path: Path, max_chars: int) -> Iterator[Line]:
        lines = numbered_lines(path, max_chars=max_chars)
        return itertools.islice(lines, 1, None) if self.header else lines


def read_tsv(path: Path, *, skip_bad: bool = False, layout: TsvLayout = TsvLayout(),
             max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """One example per line, its columns as ``layout`` says (``source<TAB>target`` by default);
    blank lines are skipped."""
    return build_examples(layout.lines(Path(path), max_chars), layout.example, where=path, skip_bad=skip_bad)


def _jsonl_example(line: str, folder: Path, origin: str) -> Example:
    record = json_record(line, origin)
    if not isinstance(record.get("source"), str):
        raise DataError(f'{origin}: expected an object with a string "source"')
    if not isinstance(record.get("target"), str):
        raise DataError(f'{origin}: missing string "target"')
    _check_target(record["target"], origin)
    tags = {k: v for k, v in record.items() if k not in PAIR}
    return Example(check_text(record["source"], origin, "source"), check_text(record["target"], origin, "target"),
                   origin, tags)


def read_jsonl(path: Path, *, skip_bad: bool = False, max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """One ``{"source": ..., "target": ...}`` object per line; other keys become tags."""
    return build_examples(numbered_lines(path, max_chars=max_chars), _jsonl_example, where=path, skip_bad=skip_bad)


def read_line_pair(source_path: Path, target_path: Path, *, skip_bad: bool = False,
                   max_chars: int = MAX_LINE_CHARS, header: bool = False) -> list[Example]:
    """Line i of ``source_path`` is translated by line i of ``target_path``; the files are read
    side by side, and a bad line on either side rejects the pair. ``header``: the first line of
    each file is a header, not an example."""
    bad = BadItems(source_path, skip_bad=skip_bad)
    examples, counts, nonblank = [], [0, 0], [False, False]
    files = (itertools.islice(numbered_lines(path, max_chars=max_chars), int(header), None)
             for path in (source_path, target_path))
    pairs = itertools.zip_longest(*files)
    for pair in pairs:
        for side, line in enumerate(pair):
            if line is not None:
                counts[side] += 1
                nonblank[side] = nonblank[side] or line.problem is not None or bool(line.text.strip())
        source, target = pair
        if source is None or target is None:
            continue
        try:
            problem = source.problem or target.problem
            if problem is not None:
                raise problem
            _check_target(target.text, target.origin)
        except DataError as error:
            bad.reject(error)
            continue
        examples.append(Example(source.text.strip(), target.text.strip(), source.origin))
    for path, has_text in zip((source_path, target_path), nonblank):
        if not has_text:
            raise DataError(f"{path}: data file is empty")
    if counts[0] != counts[1]:
        raise DataError(f"{source_path}: {counts[0] + header} lines, but {target_path} has {counts[1] + header}")
    return bad.finish(examples, counts[0])
