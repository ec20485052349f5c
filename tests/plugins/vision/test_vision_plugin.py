"""The vision plugin: image pipeline, image encoders, captioned-image readers, CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision import models

from multis2s.cli import main
from multis2s.data.example import Example
from multis2s.errors import DataError
from multis2s.plugins import load_registry
from multis2s_vision.datasets import coco_dataset, read_caption_folder, read_coco, shapes_dataset
from multis2s_vision.encoders import SmallCNN, mobilenet_v3_small, resnet18
from multis2s_vision.pipeline import IMAGENET_MEAN, IMAGENET_STD, ImagePipeline
from multis2s_vision.scenes import write_scenes

CAPTIONING = Path(__file__).resolve().parents[3] / "configs" / "captioning.yaml"


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> dict[str, Path]:
    """A tiny generated data set: caption JSON path per split (half of test held out)."""
    folder = tmp_path_factory.mktemp("vision") / "scenes"
    return write_scenes(folder, num_train=10, num_dev=4, num_test=4, seed=5, progress=False)


def first_image(json_path: Path) -> Path:
    document = json.loads(json_path.read_text())
    return json_path.parent / document["images"][0]["file_name"]


def write_png(path: Path, colour: tuple[int, int, int] = (255, 0, 0), size: tuple[int, int] = (40, 30)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def write_coco(path: Path, files: list[str], captions: dict[int, list[str]]) -> Path:
    """A COCO caption JSON with image ids 1.. for ``files`` and ``captions`` per image id."""
    images = [{"id": i, "file_name": name} for i, name in enumerate(files, start=1)]
    annotations = [{"image_id": i, "caption": c} for i, texts in captions.items() for c in texts]
    path.write_text(json.dumps({"images": images, "annotations": annotations}))
    return path


def bad_file(folder: Path, kind: str) -> Path:
    """A missing image, a PNG cut in half, or a text file named .png."""
    path = folder / f"{kind}.png"
    if kind == "truncated":
        whole = write_png(folder / "whole.png", size=(64, 64)).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif kind == "text":
        path.write_text("not an image at all\n")
    return path


# pipeline


def test_pipeline_resizes_normalises_and_collates(tmp_path):
    image = write_png(tmp_path / "red.png")
    pipeline = ImagePipeline(image_size=32)
    item = pipeline.load(Example(str(image), "x"), train=False)
    assert item.shape == (3, 32, 32) and item.dtype == torch.float32
    expected = [(1.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], -IMAGENET_MEAN[1] / IMAGENET_STD[1],
                -IMAGENET_MEAN[2] / IMAGENET_STD[2]]
    assert item.mean(dim=(1, 2)).tolist() == pytest.approx(expected, abs=1e-5)
    batch, lengths = pipeline.collate([item, item])
    assert batch.shape == (2, 3, 32, 32) and lengths.tolist() == [1, 1]
    assert pipeline.encoder_inputs() == {"input_channels": 3, "image_size": 32}
    assert pipeline.length(Example(str(image), "x")) == 1 and pipeline.state() == {}
    gray = ImagePipeline(image_size=16, channels="gray", mean=[0.5], std=[0.5])
    assert gray.load(Example(str(image), "x"), train=False).shape == (1, 16, 16)


@pytest.mark.parametrize("options", [{"channels": "cmyk"}, {"mean": [0.5]}, {"std": [1.0, 0.0, 1.0]}])
def test_pipeline_rejects_bad_options(options):
    with pytest.raises(ValueError):
        ImagePipeline(**options)


def test_augmentation_only_in_training(scenes):
    example = Example(str(first_image(scenes["train"])), "x")
    pipeline = ImagePipeline(augment=True)
    torch.manual_seed(0)
    plain = pipeline.load(example, train=False)
    assert torch.equal(plain, pipeline.load(example, train=False))
    assert any(not torch.equal(plain, pipeline.load(example, train=True)) for _ in range(5))
    assert torch.equal(plain, ImagePipeline(augment=False).load(example, train=True))


@pytest.mark.parametrize("kind", ["missing", "truncated", "text"])
def test_bad_image_files_raise_data_error_naming_the_file(tmp_path, kind):
    path = bad_file(tmp_path, kind)
    with pytest.raises(DataError, match=str(path)):
        ImagePipeline(cache_images=False).load(Example(str(path), "x"), train=False)
    json_path = write_coco(tmp_path / "captions.json", [path.name], {1: ["a caption"]})
    with pytest.raises(DataError, match=str(path)):
        read_coco(json_path, split_kind="train")


def test_attention_plot_writes_a_png(scenes, tmp_path):
    example = Example(str(first_image(scenes["test"])), "x")
    out = tmp_path / "attention.png"
    ImagePipeline().plot_attention(example, torch.softmax(torch.randn(3, 16), dim=1), ["a", "red", "<eos>"], out,
                                   "a red")
    with Image.open(out) as image:
        assert image.size[0] > 200


# readers


def test_coco_train_gives_one_example_per_caption_and_eval_one_per_image(scenes):
    document = json.loads(scenes["test"].read_text())
    train = read_coco(scenes["test"], split_kind="train")
    evaluation = read_coco(scenes["test"], split_kind="eval")
    assert len(train) == len(document["annotations"]) and len(evaluation) == len(document["images"])
    for image, example in zip(document["images"], evaluation):
        captions = [a["caption"] for a in document["annotations"] if a["image_id"] == image["id"]]
        assert example.source == str(scenes["test"].parent / image["file_name"])
        assert example.target == captions[0] and list(example.references) == captions
        assert example.tags == {"unseen_combination": image["unseen_combination"]}
    assert {e.tags["unseen_combination"] for e in evaluation} == {True, False}


def test_captionless_image_names_the_json_file(tmp_path):
    write_png(tmp_path / "a.png")
    write_png(tmp_path / "b.png")
    json_path = write_coco(tmp_path / "captions.json", ["a.png", "b.png"], {1: ["a red square"]})
    with pytest.raises(DataError, match=f"{json_path}.*b.png.*no captions"):
        read_coco(json_path, split_kind="eval")


def test_bad_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"images": [')
    with pytest.raises(DataError, match=str(path)):
        read_coco(path, split_kind="train")


def test_skip_bad_skips_and_counts(tmp_path, capsys):
    write_png(tmp_path / "good.png")
    write_png(tmp_path / "silent.png")
    bad_file(tmp_path, "truncated")
    files = ["good.png", "missing.png", "truncated.png", "silent.png"]
    json_path = write_coco(tmp_path / "captions.json", files, {1: ["one", "two"], 2: ["x"], 3: ["y"]})
    examples = read_coco(json_path, split_kind="train", skip_bad=True)
    assert [e.target for e in examples] == ["one", "two"]
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"skipped 3 bad items of 4 in {json_path} (first: ")
    assert "missing.png" in message and "\n" not in message


def test_caption_folder_reads_several_lines_per_image(tmp_path):
    write_png(tmp_path / "a.png")
    write_png(tmp_path / "b.png", colour=(0, 0, 255))
    (tmp_path / "captions.tsv").write_text("a.png\ta red square\nb.png\ta blue square\na.png\tred  square\n")
    assert [e.target for e in read_caption_folder(tmp_path, split_kind="train", skip_bad=False)] == [
        "a red square", "red square", "a blue square"]
    evaluation = coco_dataset(train=str(tmp_path)).read(tmp_path)
    assert [e.references for e in evaluation] == [("a red square", "red square"), ("a blue square",)]
    write_png(tmp_path / "c.png")
    with pytest.raises(DataError, match="c.png.*no captions"):
        read_caption_folder(tmp_path, split_kind="eval", skip_bad=False)


def test_a_malformed_caption_line_is_named_or_skipped_and_counted(tmp_path, capsys):
    write_png(tmp_path / "a.png")
    table = tmp_path / "captions.tsv"
    table.write_text("a.png\ta red square\nno tab on this line\n")
    with pytest.raises(DataError, match=f"{table}:2: expected file_name<TAB>caption"):
        read_caption_folder(tmp_path, split_kind="train", skip_bad=False)
    assert [e.target for e in read_caption_folder(tmp_path, split_kind="train", skip_bad=True)] == ["a red square"]
    assert f"skipped 1 bad items of 2 in {table} (first: {table}:2:" in capsys.readouterr().err


def test_shapes_dataset_is_generated_once_with_tagged_test_split():
    dataset = shapes_dataset(train_size=6, dev_size=2, test_size=4, seed=3)
    train, test = dataset.split("train"), dataset.split("test")
    assert len({e.source for e in train}) == 6 and len(train) >= 18
    assert len(test) == 4 and sum(e.tags["unseen_combination"] for e in test) == 2
    assert all(len(e.references) >= 3 for e in test)
    assert shapes_dataset(train_size=6, dev_size=2, test_size=4, seed=3).split("test") == test


def test_shapes_corpus_made_by_another_grammar_version_is_not_reused(monkeypatch):
    first = shapes_dataset(train_size=4, dev_size=1, test_size=2, seed=9).split("test")[0].source
    monkeypatch.setattr("multis2s_vision.datasets.GRAMMAR_VERSION", -1)
    other = shapes_dataset(train_size=4, dev_size=1, test_size=2, seed=9).split("test")[0].source
    assert Path(first).parents[3] != Path(other).parents[3]
    assert Path(first).read_bytes() == Path(other).read_bytes()


# encoders


def test_small_cnn_memory_shapes_and_mask():
    encoder = SmallCNN(input_channels=3, image_size=32, channels=(8, 16, 24), output_dim=20).eval()
    encoded = encoder(torch.randn(2, 3, 32, 32), torch.ones(2, dtype=torch.long))
    assert encoded.memory.shape == (2, 16, 20) and encoder.output_dim == encoder.state_dim == 20
    assert encoded.memory_mask.dtype == torch.bool and encoded.memory_mask.all()
    assert encoded.final_state.shape == (2, 20)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_position_code_tells_identical_regions_apart(positions):
    torch.manual_seed(0)
    blank = torch.zeros(1, 3, 64, 64)  # interior regions (3, 3) and (3, 4) of the 8x8 grid see the same pixels
    memory = {kind: SmallCNN(input_channels=3, image_size=64, channels=(8, 8, 8), positions=kind).eval()(
        blank, torch.ones(1, dtype=torch.long)).memory[0] for kind in ("none", positions)}
    assert torch.allclose(memory["none"][3 * 8 + 3], memory["none"][3 * 8 + 4])
    assert not torch.allclose(memory[positions][3 * 8 + 3], memory[positions][3 * 8 + 4])


@pytest.mark.parametrize("options", [{"channels": ()}, {"positions": "polar"}, {"channels": (4,) * 7}])
def test_small_cnn_rejects_bad_options(options):
    with pytest.raises(ValueError):
        SmallCNN(input_channels=3, image_size=64, **options)


def test_torchvision_backbones_build_without_weights_and_read_gray_images():
    images, lengths = torch.randn(2, 1, 64, 64), torch.ones(2, dtype=torch.long)
    encoded = resnet18(input_channels=1, image_size=64, output_dim=32).eval()(images, lengths)
    assert encoded.memory.shape == (2, 4, 32) and encoded.memory_mask.all()
    mobile = mobilenet_v3_small(input_channels=1, image_size=64).eval()
    assert mobile(images, lengths).memory.shape == (2, 4, mobile.output_dim) and mobile.output_dim == 576


def test_torchvision_loads_local_weights_and_names_a_bad_file(tmp_path):
    reference = models.resnet18(weights=None)
    with torch.no_grad():
        reference.conv1.weight.fill_(0.25)
    path = tmp_path / "resnet18.pt"
    torch.save(reference.state_dict(), path)
    encoder = resnet18(input_channels=3, image_size=64, weights_path=str(path))
    assert torch.equal(encoder.backbone[0].weight, reference.conv1.weight)
    with pytest.raises(ValueError, match="nowhere.pt"):
        resnet18(input_channels=3, image_size=64, weights_path=str(tmp_path / "nowhere.pt"))
    with pytest.raises(ValueError, match=str(path)):
        mobilenet_v3_small(input_channels=3, image_size=64, weights_path=str(path))


def test_freeze_leaves_backbone_without_grad_and_batch_norm_fixed():
    encoder = resnet18(input_channels=3, image_size=64, freeze=True, output_dim=8).train()
    assert not any(p.requires_grad for p in encoder.backbone.parameters())
    assert all(p.requires_grad for p in encoder.regions.parameters())
    assert not any(m.training for m in encoder.backbone.modules())
    encoded = encoder(torch.randn(2, 3, 64, 64), torch.ones(2, dtype=torch.long))
    encoded.memory.sum().backward()
    assert all(p.grad is None for p in encoder.backbone.parameters())


def test_cider_d_metric_is_registered_and_case_blind():
    metric = load_registry().get("metrics", "cider_d").factory()
    references = [["a red circle", "red circle"], ["a blue square"]]
    assert metric.higher_is_better
    exact = metric.score(["a red circle", "a blue square"], references)
    assert exact > 0 and metric.score(["A Red  circle", "a BLUE square"], references) == pytest.approx(exact)


# end to end


def test_coco_json_trains_evaluates_and_plots_through_the_cli(scenes, tmp_path, capsys):
    dataset = json.dumps({"type": "coco", **{split: str(path) for split, path in scenes.items()}})
    run = tmp_path / "run"
    overrides = [f"data.dataset={dataset}", "device=cpu", "data.batch_size=8", "model.encoder.channels=[8,16]",
                 "model.decoder.embedding_dim=8", "model.decoder.hidden_dim=16", "model.decoder.attention.dim=8",
                 "train.max_steps=4", "train.warmup_steps=0", "train.validate_every=2", "train.progress=false",
                 "eval.max_length_offset=6", "eval.batch_size=8"]
    assert main(["run", str(CAPTIONING), "-o", str(run), *overrides]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["num_examples"] == 4 and set(results["metrics"]) == {"bleu", "cider_d", "exact_match"}
    assert results["subsets"]["unseen_combination"]["num_examples"] == 2
    out = tmp_path / "attention.png"
    assert main(["attention", str(run), str(first_image(scenes["test"])), "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] > 100
