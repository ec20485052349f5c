"""Text data sources: parallel files, and the embedded generators (symbols, SCAN, English→French).

Generated corpora are written once, as ``train.tsv``, ``dev.tsv`` and ``test.tsv``, into a cache
folder keyed by the generator's options (see :mod:`multis2s.data.cache`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Literal

from multis2s.data.cache import ensure_corpus
from multis2s.data.example import Example
from multis2s.data.manifests import MAX_LINE_CHARS, check_max_chars
from multis2s.errors import DataError
from multis2s_text import en_fr_grammar, scan_grammar
from multis2s_text.readers import PAIR, TsvLayout, read_jsonl, read_line_pair, read_tsv
from multis2s_text.symbols import check_symbol_options, symbol_pairs


def _write_tsv(path: Path, pairs: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")


class SplitFolder:
    """A folder of generated ``<split>.tsv`` files; :meth:`read` takes a user's TSV or JSON-lines file."""

    def __init__(self, folder: Path, *, skip_bad: bool = False) -> None:
        self.folder, self.skip_bad = folder, skip_bad

    def split(self, name: str) -> list[Example]:
        path = self.folder / f"{name}.tsv"
        if not path.exists():
            known = sorted(p.stem for p in self.folder.glob("*.tsv"))
            raise DataError(f"no split {name!r}: known splits are {', '.join(known)}")
        return read_tsv(path, skip_bad=self.skip_bad)

    def read(self, path: Path) -> list[Example]:
        """By suffix: ``.jsonl`` → JSON lines, anything else → TSV."""
        reader = read_jsonl if Path(path).suffix == ".jsonl" else read_tsv
        return reader(Path(path), skip_bad=self.skip_bad)


class ParallelFiles:
    """Your own data: one file (or src/tgt pair) per split.

    Args:
        train, dev, test: the split files (``dev`` and ``test`` optional: ``data.carve`` can take
            them out of the training file). Paths in a config are relative to its folder.
        format: ``tsv`` (source<TAB>target), ``jsonl`` ({"source", "target"} per line), ``lines``
            (``<path><source_suffix>`` and ``<path><target_suffix>`` line files), or ``auto`` (by
            suffix: .jsonl → jsonl, .tsv → tsv, else lines).
        source_suffix, target_suffix: the suffixes of ``lines`` files.
        columns: TSV files only: the name of each tab-separated column, ``source`` and ``target``
            among them; other columns become tags. Without it a line has exactly one tab.
        header: TSV and line files: the first line (of each file) is a header, not an example.
        max_line_chars: a longer line is a bad item (read with a bounded buffer).
        skip_bad: supplied from ``data.skip_bad``: skip and count bad lines instead of stopping.
    """

    def __init__(
        self,
        *,
        train: Path,
        dev: Path | None = None,
        test: Path | None = None,
        format: Literal["auto", "tsv", "jsonl", "lines"] = "auto",
        source_suffix: str = ".src",
        target_suffix: str = ".tgt",
        columns: list[str] | None = None,
        header: bool = False,
        max_line_chars: int = MAX_LINE_CHARS,
        skip_bad: bool = False,
    ) -> None:
        if (format in ("jsonl", "lines") and columns is not None) or (format == "jsonl" and header):
            raise ValueError(f"{'columns' if columns is not None else 'header'} does not apply to format {format!r}")
        self.paths = {"train": train, "dev": dev, "test": test}
        self.format = format
        self.suffixes = (source_suffix, target_suffix)
        self.layout = TsvLayout(PAIR if columns is None else tuple(columns), header)
        self.max_chars = check_max_chars(max_line_chars)
        self.skip_bad = skip_bad

    def _format_of(self, path: str) -> str:
        if self.format != "auto":
            return self.format
        return {".jsonl": "jsonl", ".tsv": "tsv"}.get(Path(path).suffix, "lines")

    def read(self, path: Path) -> list[Example]:
        kind, bounded = self._format_of(str(path)), {"skip_bad": self.skip_bad, "max_chars": self.max_chars}
        if kind == "lines":
            return read_line_pair(Path(f"{path}{self.suffixes[0]}"), Path(f"{path}{self.suffixes[1]}"),
                                  header=self.layout.header, **bounded)
        if kind == "jsonl":
            return read_jsonl(Path(path), **bounded)
        return read_tsv(Path(path), layout=self.layout, **bounded)

    def split(self, name: str) -> list[Example]:
        path = self.paths.get(name)
        if path is None:
            carve = f", or carve it out of the training file with data.carve.{name}" if name in ("dev", "test") else ""
            raise DataError(f"no {name!r} split: set data.dataset.{name} to a file{carve}")
        return self.read(Path(path))


def symbols_dataset(
    *,
    task: Literal["copy", "reverse"] = "reverse",
    vocabulary: int = 20,
    min_length: int = 30,
    max_length: int = 50,
    train_size: int = 20000,
    dev_size: int = 500,
    test_size: int = 2000,
    seed: int = 1,
    skip_bad: bool = False,
) -> SplitFolder:
    """Random symbol strings and their copy or reversal; test strings never occur in train."""
    options = dict(task=task, vocabulary=vocabulary, min_length=min_length, max_length=max_length,
                   train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    check_symbol_options(task=task, min_length=min_length, max_length=max_length)

    def write(folder: Path) -> None:
        rng = random.Random(seed)
        make = lambda n: symbol_pairs(task=task, count=n, vocabulary=vocabulary,  # noqa: E731
                                      min_length=min_length, max_length=max_length, rng=rng)
        train = make(train_size)
        seen = {s for s, _ in train}
        held_out = [p for p in make(2 * (dev_size + test_size) + 100) if p[0] not in seen]
        _write_tsv(folder / "train.tsv", train)
        _write_tsv(folder / "dev.tsv", held_out[:dev_size])
        _write_tsv(folder / "test.tsv", held_out[dev_size:dev_size + test_size])

    return SplitFolder(ensure_corpus(f"symbols-{task}", options, write), skip_bad=skip_bad)


def scan_dataset(
    *, split: Literal["simple", "length", "addjump"] = "simple", dev_size: int = 1000, seed: int = 1,
    skip_bad: bool = False,
) -> SplitFolder:
    """SCAN (Lake & Baroni, 2018) from its grammar; dev is carved from the train split."""
    if split not in scan_grammar.SPLITS:
        raise ValueError(f"split {split!r} is not one of {', '.join(scan_grammar.SPLITS)}")

    def write(folder: Path) -> None:
        pairs = scan_grammar.split_pairs(split, seed)
        train = list(pairs["train"])
        random.Random(seed).shuffle(train)
        _write_tsv(folder / "train.tsv", train[dev_size:])
        _write_tsv(folder / "dev.tsv", train[:dev_size])
        _write_tsv(folder / "test.tsv", pairs["test"])

    return SplitFolder(ensure_corpus("scan", dict(split=split, dev_size=dev_size, seed=seed), write),
                       skip_bad=skip_bad)


def en_fr_dataset(*, level: Literal["basic", "full"] = "full", train_size: int = 10000, dev_size: int = 500,
                  test_size: int = 1000, seed: int = 1, skip_bad: bool = False) -> SplitFolder:
    """Grammar-made English→French pairs; splits disjoint.

    Args:
        level: ``full`` (:mod:`multis2s_text.en_fr_full`: relative clauses, negation, questions,
            three tenses, a few thousand words, names held out of training) or ``basic`` (the small
            present-tense grammar of :mod:`multis2s_text.en_fr_grammar`).
        train_size, dev_size, test_size: sentences per split.
        seed: the generator's seed.
        skip_bad: supplied from ``data.skip_bad``.
    """
    if level not in ("basic", "full"):
        raise ValueError(f"level {level!r} is not one of basic, full")

    def write(folder: Path) -> None:
        if level == "full":
            from multis2s_text.en_fr_full import generate_splits

            for name, pairs in generate_splits(train_size, dev_size, test_size, seed).items():
                _write_tsv(folder / f"{name}.tsv", pairs)
            return
        pairs = en_fr_grammar.generate_pairs(train_size + dev_size + test_size, seed)
        _write_tsv(folder / "train.tsv", pairs[:train_size])
        _write_tsv(folder / "dev.tsv", pairs[train_size:train_size + dev_size])
        _write_tsv(folder / "test.tsv", pairs[train_size + dev_size:])

    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    if level == "full":
        options["level"] = level
    return SplitFolder(ensure_corpus("en_fr", options, write), skip_bad=skip_bad)


def text_to_code_dataset(*, train_size: int = 20000, dev_size: int = 500, test_size: int = 2000, seed: int = 1,
                         skip_bad: bool = False) -> SplitFolder:
    """English requests over numbers and lists → Python expressions; dev and test hold numbers and
    phrasings never seen in training (see :mod:`multis2s_text.code_grammar`).

    Args:
        train_size, dev_size, test_size: requests per split (no request occurs in two splits).
        seed: the generator's seed; it also picks the held-out numbers and phrasings.
        skip_bad: supplied from ``data.skip_bad``.
    """
    from multis2s_text import code_grammar

    def write(folder: Path) -> None:
        for name, pairs in code_grammar.generate_splits(train_size, dev_size, test_size, seed).items():
            _write_tsv(folder / f"{name}.tsv", pairs)

    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    return SplitFolder(ensure_corpus("text_to_code", options, write), skip_bad=skip_bad)



GRAMMAR_VERSION = 1
"""Part of the cache key of the dialogue, report and register corpora: raise it when they change."""


def _grammar_corpus(generator: str, options: dict, generate: Callable[[], dict[str, list[tuple[str, str]]]],
                    skip_bad: bool) -> SplitFolder:
    """The cached folder of a generated corpus; ``generate()`` gives ``{split: pairs}``."""

    def write(folder: Path) -> None:
        for name, pairs in generate().items():
            _write_tsv(folder / f"{name}.tsv", pairs)

    return SplitFolder(ensure_corpus(f"{generator}-v{GRAMMAR_VERSION}", options, write), skip_bad=skip_bad)


def chatbot_dataset(*, train_size: int = 20000, dev_size: int = 500, test_size: int = 2000, seed: int = 1,
                    skip_bad: bool = False) -> SplitFolder:
    """Small dialogues, message → reply: greetings, repeat-back requests and questions about a
    table of facts in the message; dev and test hold unseen names, towns, numbers and phrasings
    (see :mod:`multis2s_text.dialogue_grammar`).

    Args:
        train_size, dev_size, test_size: exchanges per split (no message occurs in two splits).
        seed: the generator's seed; it also picks the held-out names, numbers and phrasings.
        skip_bad: supplied from ``data.skip_bad``.
    """
    from multis2s_text import dialogue_grammar

    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    return _grammar_corpus("chatbot", options, lambda: dialogue_grammar.generate_splits(
        train_size, dev_size, test_size, seed), skip_bad)


def summarization_dataset(*, train_size: int = 20000, dev_size: int = 500, test_size: int = 2000, seed: int = 1,
                          skip_bad: bool = False) -> SplitFolder:
    """Short reports with distracting sentences → one-line summaries; dev and test hold unseen
    names, towns, numbers and phrasings (see :mod:`multis2s_text.report_grammar`).

    Args:
        train_size, dev_size, test_size: reports per split (no report occurs in two splits).
        seed: the generator's seed; it also picks the held-out names, numbers and phrasings.
        skip_bad: supplied from ``data.skip_bad``.
    """
    from multis2s_text import report_grammar

    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    return _grammar_corpus("summarization", options, lambda: report_grammar.generate_splits(
        train_size, dev_size, test_size, seed), skip_bad)


def style_transfer_dataset(*, direction: Literal["casual_to_polite", "polite_to_casual"] = "casual_to_polite",
                           train_size: int = 20000, dev_size: int = 500, test_size: int = 2000, seed: int = 1,
                           skip_bad: bool = False) -> SplitFolder:
    """The same message in a casual and a polite register; dev and test hold unseen names, towns,
    numbers and phrasings (see :mod:`multis2s_text.register_grammar`).

    Args:
        direction: ``casual_to_polite`` or ``polite_to_casual``: which register is the source.
        train_size, dev_size, test_size: messages per split (no source occurs in two splits).
        seed: the generator's seed; it also picks the held-out names, numbers and phrasings.
        skip_bad: supplied from ``data.skip_bad``.
    """
    from multis2s_text import register_grammar

    register_grammar.check_direction(direction)
    options = dict(direction=direction, train_size=train_size, dev_size=dev_size, test_size=test_size, seed=seed)
    return _grammar_corpus("style_transfer", options, lambda: register_grammar.generate_splits(
        train_size, dev_size, test_size, seed, direction), skip_bad)
