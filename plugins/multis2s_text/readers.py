"""Readers for parallel text in the formats people already have; errors name file and line."""

from __future__ import annotations

import json
from pathlib import Path

from multis2s.data.example import Example
from multis2s.errors import DataError


def _lines(path: Path) -> list[str]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid UTF-8 text") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(f"{path}: data file is empty")
    return lines


def _check_target(target: str, origin: str) -> None:
    if not target.strip():
        raise DataError(f"{origin}: empty target")


def read_tsv(path: Path) -> list[Example]:
    """``source<TAB>target`` per line; blank lines are skipped."""
    examples = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        origin = f"{path}:{number}"
        if "\t" not in line:
            raise DataError(f"{origin}: expected source<TAB>target, found no tab")
        source, target = line.split("\t", 1)
        _check_target(target, origin)
        examples.append(Example(source.strip(), target.strip(), origin))
    return examples


def read_line_pair(source_path: Path, target_path: Path) -> list[Example]:
    """Line i of ``source_path`` is translated by line i of ``target_path``."""
    sources, targets = _lines(source_path), _lines(target_path)
    if len(sources) != len(targets):
        raise DataError(f"{source_path}: {len(sources)} lines, but {target_path} has {len(targets)}")
    examples = []
    for number, (source, target) in enumerate(zip(sources, targets), start=1):
        _check_target(target, f"{target_path}:{number}")
        examples.append(Example(source.strip(), target.strip(), f"{source_path}:{number}"))
    return examples


def read_jsonl(path: Path) -> list[Example]:
    """One ``{"source": ..., "target": ...}`` object per line."""
    examples = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        origin = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{origin}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("source"), str):
            raise DataError(f'{origin}: expected an object with a string "source"')
        if not isinstance(record.get("target"), str):
            raise DataError(f'{origin}: missing string "target"')
        _check_target(record["target"], origin)
        tags = {k: v for k, v in record.items() if k not in ("source", "target")}
        examples.append(Example(record["source"], record["target"], origin, tags))
    return examples


def read_any(path: Path) -> list[Example]:
    """By suffix: ``.jsonl`` → JSON lines, anything else → TSV."""
    return read_jsonl(path) if Path(path).suffix == ".jsonl" else read_tsv(path)
