"""Hostile inputs: small files (each under 1 MB) that split lines, misplace tabs, or announce a huge
decode (a 1 MB line, audio at 16001 Hz or 1 Hz, an hour of audio, a big .npy video, a 30000 × 30000
PNG). Each ends in one DataError line naming the file, or with skip-bad in a counted skip, and
the process that meets it grows by little (it used to take gigabytes).

The memory cases run in one fresh Python process that imports the readers once and forks a child
per case; what a case costs is its child's peak resident set while it runs the case (the peak is
reset when the child starts) less its resident set then (file pages it touches count as growth,
so this bounds it from above). The
process's own size is reported beside it: importing torch and torchvision alone takes 0.7-1.1 GB
resident here, depending on how much of their libraries the page cache holds, so the growth, not
the total, is what a test can hold to a bound. Each child also has its address space capped, so
a regression fails the test with a MemoryError instead of swapping the machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile

from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s_text.datasets import ParallelFiles

REPO = Path(__file__).resolve().parents[2]
GROWTH_LIMIT_MB = 256
"""What a case may add to the process (the memory bombs took 2-3 GB)."""
LINE_BREAKERS = ["\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\r"]


# ---- exact readers ---------------------------------------------------------------------------------

def test_characters_that_splitlines_breaks_on_stay_inside_their_line(tmp_path):
    data = tmp_path / "train.tsv"
    rows = [(f"a{c}b {i}", f"x{c}y {i}") for i, c in enumerate(LINE_BREAKERS)]
    data.write_bytes("".join(f"{s}\t{t}\n" for s, t in rows).encode("utf-8"))
    examples = ParallelFiles(train=data).split("train")
    assert [(e.source, e.target) for e in examples] == rows
    assert [e.origin for e in examples] == [f"{data}:{i + 1}" for i in range(len(rows))]


def test_line_files_stay_aligned_and_crlf_files_read_alike(tmp_path):
    (tmp_path / "pair.src").write_bytes("one\u2028still one\r\ntwo\x0c\r\nthree\r\n".encode("utf-8"))
    (tmp_path / "pair.tgt").write_bytes(b"un\r\ndeux\x1d\r\ntrois\r\n")
    examples = ParallelFiles(train=tmp_path / "pair", format="lines").split("train")
    assert [(e.source, e.target) for e in examples] == [("one\u2028still one", "un"), ("two", "deux"),
                                                        ("three", "trois")]


def test_a_second_tab_is_a_bad_line_unless_columns_name_it(tmp_path, capsys):
    data = tmp_path / "train.tsv"
    data.write_text("a\tb\nc\td\textra\ne\tf\n")
    with pytest.raises(DataError, match=rf"^{data}:2: expected source<TAB>target, found 3 fields \(name them"):
        ParallelFiles(train=data).split("train")
    assert [e.target for e in ParallelFiles(train=data, skip_bad=True).split("train")] == ["b", "f"]
    assert f"skipped 1 bad items of 3 in {data}" in capsys.readouterr().err
    with pytest.raises(DataError, match=rf"{data}:1: expected 3 tab-separated fields \(source, target, domain\)"):
        ParallelFiles(train=data, columns=["source", "target", "domain"]).split("train")
    data.write_text("target\tdomain\tsource\nb\tnews\ta\n")
    (example,) = ParallelFiles(train=data, columns=["target", "domain", "source"], header=True).split("train")
    assert (example.source, example.target, example.tags, example.origin) == ("a", "b", {"domain": "news"},
                                                                             f"{data}:2")


def test_a_header_line_is_skipped_only_when_declared(tmp_path):
    data = tmp_path / "train.tsv"
    data.write_text("source\ttarget\nhello\tbonjour\n")
    assert [e.source for e in ParallelFiles(train=data).split("train")] == ["source", "hello"]
    assert [e.source for e in ParallelFiles(train=data, header=True).split("train")] == ["hello"]
    (tmp_path / "pair.src").write_text("en\nhello\n")
    (tmp_path / "pair.tgt").write_text("fr\nbonjour\n")
    (example,) = ParallelFiles(train=tmp_path / "pair", format="lines", header=True).split("train")
    assert (example.source, example.target, example.origin) == ("hello", "bonjour", f"{tmp_path / 'pair.src'}:2")


@pytest.mark.parametrize("options, message", [
    ({"columns": ["source", "source", "target"]}, "distinct"),
    ({"columns": ["source", "label"]}, "lack target"),
    ({"format": "jsonl", "header": True}, "header does not apply to format 'jsonl'"),
    ({"format": "lines", "columns": ["source", "target"]}, "columns does not apply to format 'lines'"),
    ({"max_line_chars": 0}, "max_line_chars must be a positive"),
])
def test_bad_reader_options_are_value_errors(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        ParallelFiles(train=tmp_path / "t.tsv", **options)


def test_every_text_dataset_honours_skip_bad(tmp_path, capsys):
    from multis2s_text.datasets import symbols_dataset

    dataset = symbols_dataset(train_size=5, dev_size=2, test_size=2, min_length=2, max_length=3, skip_bad=True)
    bad = tmp_path / "mine.tsv"
    bad.write_text("a b\tb a\nno tab\n")
    assert [e.source for e in dataset.read(bad)] == ["a b"]
    assert "skipped 1 bad items of 2" in capsys.readouterr().err
    with pytest.raises(DataError, match="found no tab"):
        symbols_dataset(train_size=5, dev_size=2, test_size=2, min_length=2, max_length=3).read(bad)


@pytest.mark.parametrize("line, message", [
    ("[" * 50_000, "not valid JSON (nested too deeply)"),
    ('{"source": 1' + "0" * 5000 + "}", "not valid JSON ('Exceeds the limit (4300 digits)"),
    ('{"source": "\\ud800", "target": "x"}', '"source" is not valid Unicode text (a lone surrogate)'),
])
def test_json_bombs_in_a_line_are_bad_lines(tmp_path, line, message):
    data = tmp_path / "train.jsonl"
    data.write_text(line + "\n")
    with pytest.raises(DataError) as caught:
        ParallelFiles(train=data).split("train")
    assert str(caught.value).startswith(f"{data}:1: {message}") and len(str(caught.value)) < 200


# ---- memory bombs: files are made here, each case runs in a forked child ---------------------------

def png(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit gray PNG of zeros: a few hundred KB on disk, width × height bytes once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row, packer = b"\0" * (1 + (width + 7) // 8), zlib.compressobj(9)  # a filter byte, then packed bits
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def npy_header_only(path: Path, shape: tuple[int, ...]) -> Path:
    """A .npy file whose header announces uint8 ``shape`` but which holds 1000 bytes of data."""
    with open(path, "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, {"descr": "|u1", "fortran_order": False, "shape": shape})
        stream.write(b"\0" * 1000)
    return path


def make_files(folder: Path) -> None:
    """Every hostile file, plus a good one of each kind to share a batch with the bad one."""
    good_line = "a b\tb a\n"
    (folder / "long_line.tsv").write_text(good_line + "x" * 999_000 + "\ty\n" + good_line)  # a 1 MB line
    tone = np.sin(np.arange(3200) / 5.0).astype(np.float32) * 0.1
    soundfile.write(folder / "good.wav", tone, 16000)
    soundfile.write(folder / "rate_16001.wav", tone, 16001)
    soundfile.write(folder / "rate_1.wav", tone[:1600], 1)
    with soundfile.SoundFile(folder / "hour.flac", "w", samplerate=16000, channels=1, subtype="PCM_16") as stream:
        minute = np.zeros(16000 * 60, np.int16)
        for _ in range(60):
            stream.write(minute)  # one hour of silence: about 180 KB of FLAC, 230 MB of float32
    np.save(folder / "good.npy", np.full((4, 16, 16), 100, np.uint8))
    npy_header_only(folder / "lying.npy", (2000, 200, 200))
    np.save(folder / "big.npy", np.zeros((40, 100, 100), np.uint8))  # 400,000 pixels, over max_pixels=100,000
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 10, 10)).save(folder / "good.png")
    png(folder / "bomb.png", 30000, 30000)
    png(folder / "large.png", 10000, 10000)  # 100 M pixels: past Pillow's warning, over max_pixels
    (folder / "captions").mkdir()
    png(folder / "captions" / "bomb.png", 30000, 30000)
    Image.new("RGB", (8, 8)).save(folder / "captions" / "fine.png")
    (folder / "captions" / "captions.tsv").write_text("bomb.png\ta white square\nfine.png\ta black square\n")


def _loader_outcome(pipeline, good: str, bad: str, skip_bad: bool) -> dict:
    """Load a good and a bad example through ExampleTensors + make_loader, as training does."""
    from multis2s.data.loader import ExampleTensors, make_loader
    from multis2s.data.streams import SourceStreams
    from multis2s.data.target import TargetField
    from multis2s.data.vocabulary import Vocabulary
    from multis2s_text.tokenizers import WordTokenizer

    target = TargetField(WordTokenizer(), Vocabulary.build([["a", "b"]]))
    examples = [Example(good, "a b", "m.jsonl:1"), Example(bad, "a b", "m.jsonl:2")]
    tensors = ExampleTensors(examples, SourceStreams({"input": pipeline}), target, train=True, skip_bad=skip_bad)
    (batch,) = make_loader(tensors, [[0, 1]], num_workers=0, pin_memory=False)
    return {"skipped": batch.skipped, "kept": batch.indices, "message": batch.skip_reasons[0]}


def run_case(name: str, folder: Path, skip_bad: bool) -> dict:
    """One hostile case; a DataError comes back as {"error": its line}."""
    from multis2s_audio.pipeline import AudioPipeline
    from multis2s_lipread.pipeline import VideoPipeline
    from multis2s_vision.datasets import read_caption_folder
    from multis2s_vision.pipeline import ImagePipeline

    sources = {"rate_16001": ("audio", {}), "rate_1": ("audio", {}), "hour": ("audio", {}),
               "lying_npy": ("video", {}), "big_npy": ("video", {"max_pixels": 100_000}),
               "bomb_png": ("image", {}), "large_png": ("image", {})}
    files = {"rate_16001": "rate_16001.wav", "rate_1": "rate_1.wav", "hour": "hour.flac", "lying_npy": "lying.npy",
             "big_npy": "big.npy", "bomb_png": "bomb.png", "large_png": "large.png"}
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            if name == "long_line":
                kept = ParallelFiles(train=folder / "long_line.tsv", skip_bad=skip_bad).split("train")
                return {"kept": len(kept), "message": stderr.getvalue().strip()}
            if name == "caption_bomb":
                kept = read_caption_folder(folder / "captions", split_kind="train", skip_bad=skip_bad)
                return {"kept": len(kept), "message": stderr.getvalue().strip()}
            kind, options = sources[name]
            pipeline = {"audio": AudioPipeline, "video": VideoPipeline, "image": ImagePipeline}[kind](**options)
            good = str(folder / {"audio": "good.wav", "video": "good.npy", "image": "good.png"}[kind])
            bad = str(folder / files[name])
            if skip_bad:
                return _loader_outcome(pipeline, good, bad, skip_bad=True)
            pipeline.load(Example(bad, "a b", "m.jsonl:2"), train=False)
            return {"loaded": True}
    except DataError as error:
        return {"error": str(error)}


SERVER = """
import json, os, resource, sys
from pathlib import Path
from tests.plugins import test_hostile_inputs as cases
import multis2s.data.loader, multis2s_audio.pipeline, multis2s_lipread.pipeline, multis2s_vision.datasets  # noqa

folder, requested = Path(sys.argv[1]), json.loads(sys.argv[2])
file_rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("RssFile:")) // 1024
vm_size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:")) * 1024
results = {}
for name, skip_bad in requested:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        resource.setrlimit(resource.RLIMIT_AS, (vm_size + (2 << 30), resource.RLIM_INFINITY))
        status = lambda key: next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key))
        open("/proc/self/clear_refs", "w").write("5")  # the peak so far (the parent's imports) no longer counts
        start = status("VmRSS:")
        try:
            outcome = cases.run_case(name, folder, skip_bad)
        except BaseException as exc:
            outcome = {"crash": f"{type(exc).__name__}: {exc}"[:500]}
        outcome["growth_mb"] = (status("VmHWM:") - start) // 1024
        os.write(write, json.dumps(outcome).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        outcome = json.loads(stream.read() or '{"crash": "no result", "growth_mb": 0}')
    _, _, usage = os.wait4(pid, 0)
    outcome["process_mb"] = usage.ru_maxrss // 1024 + file_rss
    results[f"{name}/{skip_bad}"] = outcome
print(json.dumps(results))
"""

CASES = {
    # name: (the reason in the error line, the file it names)
    "long_line": ("line longer than 100000 characters (max_line_chars)", "long_line.tsv:2"),
    "rate_16001": ("resampling 16001 Hz to 16000 Hz", "rate_16001.wav"),
    "rate_1": ("sample rate of 1 Hz is outside file_sample_rates [4000, 192000]", "rate_1.wav"),
    "hour": ("clip of 3600.00 s is longer than max_seconds=300.0", "hour.flac"),
    "lying_npy": ("more data than the file holds", "lying.npy"),
    "big_npy": ("video of 40 frames of 100x100 pixels is larger than max_pixels=100000", "big.npy"),
    "bomb_png": ("image too large to decode", "bomb.png"),
    "large_png": ("image of 10000x10000 pixels is larger than max_pixels=50000000", "large.png"),
    "caption_bomb": ("image too large to decode", "bomb.png"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("hostile")
    make_files(folder)
    assert all(path.stat().st_size < 1_000_000 for path in folder.rglob("*") if path.is_file())
    requested = [(name, skip_bad) for name in CASES for skip_bad in (False, True)]
    done = subprocess.run([sys.executable, "-c", SERVER, str(folder), json.dumps(requested)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_file_is_one_error_line_in_little_memory(outcomes, name):
    reason, file = CASES[name]
    outcome = outcomes[f"{name}/False"]
    assert "error" in outcome, outcome
    assert reason in outcome["error"] and file in outcome["error"] and "\n" not in outcome["error"]
    assert len(outcome["error"]) < 400
    assert outcome["growth_mb"] < GROWTH_LIMIT_MB, outcome


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_file_is_a_counted_skip_with_skip_bad_in_little_memory(outcomes, name):
    reason, file = CASES[name]
    outcome = outcomes[f"{name}/True"]
    assert "error" not in outcome and "crash" not in outcome, outcome
    if name in ("long_line", "caption_bomb"):  # rejected by the reader, which reports the count
        assert outcome["kept"] >= 1 and outcome["message"].startswith("skipped 1 bad items"), outcome
    else:  # rejected when training loads it: left out of its batch
        assert outcome["skipped"] == 1 and outcome["kept"] == [0], outcome
    assert reason in outcome["message"] and file in outcome["message"]
    assert outcome["growth_mb"] < GROWTH_LIMIT_MB, outcome
