"""The README's "Your own data" configs run on files laid out as they describe, and its key table
names every option of those readers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml
from PIL import Image

from multis2s.assembly import DATASET_INPUTS
from multis2s.cli import main
from multis2s.options import options_of
from multis2s.plugins import load_registry

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = re.split(r"\n##+ ", README.read_text().split("## Your own data", 1)[1], maxsplit=1)[0]
CONFIGS = {yaml.safe_load(block)["data"]["dataset"]["type"]: block
           for block in re.findall(r"```yaml\n(.*?)```", SECTION, re.S)}
FAST = ["train.max_steps=2", "train.validate_every=2", "train.progress=false", "data.batch_size=4",
        "eval.batch_size=4", "device=cpu", "eval.max_length_offset=4"]
WORDS = ["bin", "blue", "at", "two", "now", "set", "red", "by"]


def sentence(index: int) -> str:
    return " ".join(WORDS[(index * 3 + k) % len(WORDS)] for k in range(2 + index % 3))


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def wav(path: Path, seconds: float, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = np.random.default_rng(seed).standard_normal(int(16000 * seconds)).astype(np.float32) * 0.1
    soundfile.write(path, noise, 16000)


def text_files(root: Path) -> list[str]:
    (root / "data").mkdir()
    (root / "data" / "train.tsv").write_text("".join(f"{sentence(i)} {i % 5}\t{i % 5} {sentence(i)}\n"
                                                     for i in range(40)))
    (root / "data" / "test.tsv").write_text("".join(f"{sentence(i)}\t{sentence(i)}\n" for i in range(4)))
    return []


def speech_files(root: Path) -> list[str]:
    for split, count in (("train", 8), ("dev", 2)):
        records = []
        for i in range(count):
            wav(root / "speech" / "wav" / f"{split}{i}.wav", 0.3 + 0.05 * i, i)
            records.append({"audio": f"wav/{split}{i}.wav", "text": sentence(i)})
        write_jsonl(root / "speech" / f"{split}.jsonl", records)
    return ["model.encoder.hidden_dim=8", "model.encoder.layers=1", "model.decoder.hidden_dim=16"]


def image_files(root: Path) -> list[str]:
    images, annotations = [], []
    for i in range(10):
        name = f"scene{i}.png"
        (root / "captions" / "images").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (25 * i, 100, 200 - 10 * i)).save(root / "captions" / "images" / name)
        images.append({"id": i, "file_name": name})
        annotations += [{"image_id": i, "caption": sentence(i)}, {"image_id": i, "caption": sentence(i + 1)}]
    (root / "captions" / "train.json").write_text(json.dumps({"images": images, "annotations": annotations}))
    return ["data.carve={dev: 2, test: 2}", "model.encoder.channels=[8, 16]"]


def video_files(root: Path) -> list[str]:
    for split, count in (("train", 6), ("dev", 2)):
        records = []
        for i in range(count):
            frames = 10 + i
            (root / "av" / "v").mkdir(parents=True, exist_ok=True)
            np.save(root / "av" / "v" / f"{split}{i}.npy", np.random.default_rng(i).integers(0, 255, (frames, 64, 64),
                                                                                            dtype=np.uint8))
            wav(root / "av" / "a" / f"{split}{i}.wav", frames / 25, i)
            records.append({"video": f"v/{split}{i}.npy", "audio": f"a/{split}{i}.wav", "text": sentence(i)})
        write_jsonl(root / "av" / f"{split}.jsonl", records)
    return ["model.encoders.video.trunk_channels=[4, 8]", "model.encoders.video.frontend_channels=4",
            "model.encoders.audio.hidden_dim=8", "model.decoder.hidden_dim=16"]


FILES = {"parallel": text_files, "manifest": speech_files, "coco": image_files, "av_manifest": video_files}


def test_the_section_has_one_config_per_modality():
    assert set(CONFIGS) == set(FILES)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_readme_data_config_trains_and_evaluates(kind, tmp_path, capsys):
    overrides = FILES[kind](tmp_path)
    config = tmp_path / "mine.yaml"
    config.write_text(CONFIGS[kind])
    run = tmp_path / "run"
    assert main(["train", str(config), "-o", str(run), *FAST, *overrides]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["evaluate", str(run), "--split", "dev", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_examples"] >= 1


def test_the_key_table_names_every_reader_option():
    registry = load_registry()
    table = SECTION.split("| dataset `type:` | keys |", 1)[1]
    for kind in FILES:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{kind}` |"))
        for option in options_of(registry.get("datasets", kind).factory):
            if option not in DATASET_INPUTS:
                assert f"`{option}`" in row, f"{kind}: {option} is not in the README's table"
