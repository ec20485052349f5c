"""Every line reader, fuzzed: what is written is what is read (fields of any text the format can
hold, line-splitting characters such as U+2028, ``\\x0b``, ``\\x1c`` or a lone ``\\r`` included),
and any bytes at all give a list of examples or the project's DataError, never another exception.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from multis2s.errors import DataError
from multis2s_audio.manifests import read_speech_data
from multis2s_lipread.datasets import av_manifest_dataset
from multis2s_text.readers import TsvLayout, read_jsonl, read_line_pair, read_tsv
from multis2s_vision.datasets import read_caption_folder, read_coco

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BREAKERS = "\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85\r\ufeff"
"""Characters str.splitlines() breaks lines on (and a byte-order mark), to be met often."""


def field(excluded: str = "\n\t") -> st.SearchStrategy[str]:
    """Text without ``excluded`` and without surrounding white space (readers strip fields)."""
    characters = st.characters(blacklist_characters=excluded, blacklist_categories=("Cs",))
    return st.text(st.one_of(st.sampled_from(BREAKERS), characters), max_size=12).map(str.strip)


def nonblank(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.filter(lambda text: text.strip() != "")


def folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory()


@FUZZ
@given(rows=st.lists(st.tuples(field(), nonblank(field())), min_size=1, max_size=8), crlf=st.booleans())
def test_tsv_round_trip(rows, crlf):
    end = "\r\n" if crlf else "\n"
    with folder() as name:
        path = Path(name) / "t.tsv"
        path.write_bytes("".join(f"{s}\t{t}{end}" for s, t in rows).encode("utf-8"))
        assert [(e.source, e.target) for e in read_tsv(path)] == rows


@FUZZ
@given(rows=st.lists(st.tuples(nonblank(field()), field(), field()), min_size=1, max_size=8))
def test_tsv_with_named_columns_and_a_header_round_trip(rows):
    layout = TsvLayout(("target", "domain", "source"), header=True)
    with folder() as name:
        path = Path(name) / "t.tsv"
        path.write_bytes(("target\tdomain\tsource\n" + "".join(f"{t}\t{d}\t{s}\n" for t, d, s in rows)).encode())
        read = [(e.target, e.tags["domain"], e.source) for e in read_tsv(path, layout=layout)]
        assert read == rows


@FUZZ
@given(rows=st.lists(st.tuples(st.text(max_size=12), nonblank(st.text(max_size=12))), min_size=1, max_size=8),
       ascii_only=st.booleans())
def test_jsonl_round_trip(rows, ascii_only):
    with folder() as name:
        path = Path(name) / "t.jsonl"
        lines = (json.dumps({"source": s, "target": t}, ensure_ascii=ascii_only) for s, t in rows)
        path.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))
        assert [(e.source, e.target) for e in read_jsonl(path)] == rows


@FUZZ
@given(rows=st.lists(st.tuples(field("\n"), nonblank(field("\n"))), min_size=1, max_size=8))
def test_line_pair_round_trip(rows):
    assume(any(s for s, _ in rows))  # a source file of blank lines only is "empty"
    with folder() as name:
        source, target = Path(name) / "p.src", Path(name) / "p.tgt"
        source.write_bytes("".join(f"{s}\n" for s, _ in rows).encode("utf-8"))
        target.write_bytes("".join(f"{t}\n" for _, t in rows).encode("utf-8"))
        assert [(e.source, e.target) for e in read_line_pair(source, target)] == rows


@FUZZ
@given(captions=st.lists(nonblank(field()), min_size=1, max_size=6))
def test_caption_folder_round_trip(captions):
    with folder() as name:
        root = Path(name)
        for index in range(len(captions)):
            Image.new("RGB", (2, 2)).save(root / f"{index}.png")
        (root / "captions.tsv").write_bytes("".join(f"{i}.png\t{c}\n" for i, c in enumerate(captions)).encode())
        read = [e.target for e in read_caption_folder(root, split_kind="train")]
        assert read == [" ".join(c.split()) for c in captions]  # captions' white space is collapsed


PIECES = [b"\t", b"\n", b"\r", b"\r\n", b" ", b"a", b"\xff", b"\xe2\x80\xa8", b"\x00", b"{", b"}", b"[", b'"',
          b'{"source": "a", "target": "b"}', b'{"audio": "x.wav", "text": "t"}', b'{"video": "v.npy", "text": "t"}',
          b"\xef\xbb\xbf", b"../", b"/", b"x.png", b"\x00\tcap\n", b"\\ud800", b"1e999", b"9" * 50]
HOSTILE_BYTES = st.one_of(st.binary(max_size=200), st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join))


def only_examples_or_data_errors(read, *contents: bytes, names=("a.tsv",)) -> None:
    """``read(paths, skip_bad)`` on files holding ``contents``: a list, or a DataError, both ways."""
    with folder() as name:
        paths = [Path(name) / n for n in names]
        for path, data in zip(paths, contents):
            path.write_bytes(data)
        for skip_bad in (False, True):
            try:
                result = read(paths, skip_bad)
            except DataError as error:
                assert "\n" not in str(error) and len(str(error)) < 1000
            else:
                assert isinstance(result, list) and result


@pytest.mark.parametrize("reader", ["tsv", "tsv_columns", "jsonl", "speech_manifest", "av_manifest"])
@FUZZ
@given(data=HOSTILE_BYTES)
def test_any_bytes_give_examples_or_a_data_error(reader, data):
    read = {
        "tsv": lambda paths, skip_bad: read_tsv(paths[0], skip_bad=skip_bad),
        "tsv_columns": lambda paths, skip_bad: read_tsv(paths[0], skip_bad=skip_bad, max_chars=20,
                                                        layout=TsvLayout(("source", "target", "x"), header=True)),
        "jsonl": lambda paths, skip_bad: read_jsonl(paths[0], skip_bad=skip_bad),
        "speech_manifest": lambda paths, skip_bad: read_speech_data(paths[0], skip_bad=skip_bad),
        "av_manifest": lambda paths, skip_bad: av_manifest_dataset(train=paths[0], skip_bad=skip_bad).read(paths[0]),
    }[reader]
    only_examples_or_data_errors(read, data)


@FUZZ
@given(source=HOSTILE_BYTES, target=HOSTILE_BYTES)
def test_any_bytes_in_line_files_give_examples_or_a_data_error(source, target):
    only_examples_or_data_errors(lambda paths, skip_bad: read_line_pair(*paths, skip_bad=skip_bad), source, target,
                                 names=("p.src", "p.tgt"))


@FUZZ
@given(data=HOSTILE_BYTES)
def test_any_bytes_in_a_caption_folder_or_coco_file_give_examples_or_a_data_error(data):
    def caption_folder(paths, skip_bad):
        Image.new("RGB", (2, 2)).save(paths[0].parent / "x.png")
        return read_caption_folder(paths[0].parent, split_kind="eval", skip_bad=skip_bad)

    only_examples_or_data_errors(caption_folder, data, names=("captions.tsv",))
    only_examples_or_data_errors(lambda paths, skip_bad: read_coco(paths[0], split_kind="train", skip_bad=skip_bad),
                                 data, names=("c.json",))
