"""Readers for parallel text in the formats people already have; errors name file and line.

A bad line (no tab, an empty target, invalid JSON) is a DataError, or with ``skip_bad`` skipped
and counted (:mod:`multis2s.data.manifests`).
"""

from __future__ import annotations

from pathlib import Path

from multis2s.data.example import Example
from multis2s.data.manifests import BadItems, build_examples, json_record, numbered_lines, read_lines
from multis2s.errors import DataError


def _check_target(target: str, origin: str) -> None:
    if not target.strip():
        raise DataError(f"{origin}: empty target")


def _tsv_example(line: str, folder: Path, origin: str) -> Example:
    if "\t" not in line:
        raise DataError(f"{origin}: expected source<TAB>target, found no tab")
    source, target = line.split("\t", 1)
    _check_target(target, origin)
    return Example(source.strip(), target.strip(), origin)


def read_tsv(path: Path, *, skip_bad: bool = False) -> list[Example]:
    """``source<TAB>target`` per line; blank lines are skipped."""
    return build_examples(numbered_lines(path), _tsv_example, where=path, skip_bad=skip_bad)


def _jsonl_example(line: str, folder: Path, origin: str) -> Example:
    record = json_record(line, origin)
    if not isinstance(record.get("source"), str):
        raise DataError(f'{origin}: expected an object with a string "source"')
    if not isinstance(record.get("target"), str):
        raise DataError(f'{origin}: missing string "target"')
    _check_target(record["target"], origin)
    tags = {k: v for k, v in record.items() if k not in ("source", "target")}
    return Example(record["source"], record["target"], origin, tags)


def read_jsonl(path: Path, *, skip_bad: bool = False) -> list[Example]:
    """One ``{"source": ..., "target": ...}`` object per line; other keys become tags."""
    return build_examples(numbered_lines(path), _jsonl_example, where=path, skip_bad=skip_bad)


def _nonblank_lines(path: Path) -> list[str]:
    lines = read_lines(path)
    if not any(line.strip() for line in lines):
        raise DataError(f"{path}: data file is empty")
    return lines


def read_line_pair(source_path: Path, target_path: Path, *, skip_bad: bool = False) -> list[Example]:
    """Line i of ``source_path`` is translated by line i of ``target_path``."""
    sources, targets = _nonblank_lines(source_path), _nonblank_lines(target_path)
    if len(sources) != len(targets):
        raise DataError(f"{source_path}: {len(sources)} lines, but {target_path} has {len(targets)}")
    bad = BadItems(source_path, skip_bad=skip_bad)
    examples = []
    for number, (source, target) in enumerate(zip(sources, targets), start=1):
        try:
            _check_target(target, f"{target_path}:{number}")
        except DataError as error:
            bad.reject(error)
            continue
        examples.append(Example(source.strip(), target.strip(), f"{source_path}:{number}"))
    return bad.finish(examples, len(sources))


def read_any(path: Path, *, skip_bad: bool = False) -> list[Example]:
    """By suffix: ``.jsonl`` → JSON lines, anything else → TSV."""
    reader = read_jsonl if Path(path).suffix == ".jsonl" else read_tsv
    return reader(path, skip_bad=skip_bad)
