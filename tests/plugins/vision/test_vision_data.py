"""Behavioural tests of the synthetic captioned scenes and the CIDEr-D metric."""

import json
import re
from math import exp, sqrt
from pathlib import Path

import pytest
from PIL import Image

from multis2s_vision.ceiling import main as ceiling_main
from multis2s_vision.ceiling import reference_ceiling
from multis2s_vision.cider import cider_d, cider_d_per_item
from multis2s_vision.scenes import COLOURS, HELD_OUT_PAIRS, KINDS, SIZES, write_scenes

SIZE = 64
COUNTS = {"train": 120, "dev": 30, "test": 60}
MENTION = rf"an? (?:(?:{'|'.join(SIZES)}) )?({'|'.join(COLOURS)}) ({'|'.join(KINDS)})"
END_OF_CLAUSE = r"(?= and |$)"
RELATION_CLAUSE = re.compile(
    rf"{MENTION} (above|over|below|under|to the left of|to the right of) {MENTION}{END_OF_CLAUSE}"
)
POSITION_CLAUSE = re.compile(
    rf"{MENTION} (in the middle|in the centre|on the left|on the right"
    rf"|in the (?:top|bottom) (?:left|right) corner|at the (?:top|bottom) (?:left|right)"
    rf"|at the top|at the bottom){END_OF_CLAUSE}"
)
POSITION_CELLS = {
    "in the middle": (1, 1),
    "in the centre": (1, 1),
    "on the left": (0, 1),
    "on the right": (2, 1),
    "at the top": (1, 0),
    "at the bottom": (1, 2),
}

OPENERS = ("there is ", "a picture of ")
TURNED_ROUND = re.compile(rf"^{MENTION} (below|to the right of) ")

Item = tuple[dict, list[str]]


def load_split(path: Path) -> list[Item]:
    """Return (image entry, captions) for every image of a caption JSON file."""
    document = json.loads(path.read_text())
    captions: dict[int, list[str]] = {image["id"]: [] for image in document["images"]}
    for annotation in document["annotations"]:
        captions[annotation["image_id"]].append(annotation["caption"])
    return [(image, captions[image["id"]]) for image in document["images"]]


def shape_pairs(image: dict) -> set[tuple[str, str]]:
    """Return the (colour, kind) pairs drawn in an image."""
    return {(shape["colour"], shape["kind"]) for shape in image["shapes"]}


def mentioned_pairs(caption: str) -> set[tuple[str, str]]:
    """Return the (colour, kind) pairs a caption mentions."""
    return set(re.findall(rf"({'|'.join(COLOURS)}) ({'|'.join(KINDS)})", caption))


def colour_distance(first: tuple[int, ...], second: tuple[int, ...]) -> int:
    """Return the L1 distance between two RGB colours."""
    return sum(abs(a - b) for a, b in zip(first, second))


def cell_of(box: list[int]) -> tuple[int, int]:
    """Return the (column, row) of the 3x3 grid cell holding a box's centre."""
    return (box[0] + box[2]) * 3 // (2 * SIZE), (box[1] + box[3]) * 3 // (2 * SIZE)


def signature(image: dict) -> frozenset:
    """Return the discrete description of a scene: shapes, sizes and cells."""
    return frozenset(
        (shape["kind"], shape["colour"], shape["size"], cell_of(shape["box"]))
        for shape in image["shapes"]
    )


def all_files(folder: Path) -> dict[str, bytes]:
    """Return the bytes of every file under ``folder``, keyed by relative path."""
    files = (path for path in folder.rglob("*") if path.is_file())
    return {str(path.relative_to(folder)): path.read_bytes() for path in files}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """Write one small data set shared by the read-only tests."""
    folder = tmp_path_factory.mktemp("scenes") / "data"
    counts = {f"num_{split}": count for split, count in COUNTS.items()}
    paths = write_scenes(folder, **counts, seed=7, progress=False)
    return folder, paths


@pytest.fixture(scope="module")
def splits(dataset: tuple[Path, dict[str, Path]]) -> dict[str, list[Item]]:
    """Load every split of the shared data set."""
    return {split: load_split(path) for split, path in dataset[1].items()}


def test_writes_one_json_per_split_and_pngs_of_the_right_size(dataset, splits) -> None:
    folder, paths = dataset
    assert paths == {split: folder / f"{split}.json" for split in COUNTS}
    assert sorted(path.name for path in folder.parent.iterdir()) == ["data"]
    for split, items in splits.items():
        assert len(items) == COUNTS[split]
        for image, captions in items:
            assert image["file_name"] == f"images/{split}/{image['id']:06d}.png"
            with Image.open(folder / image["file_name"]) as png:
                assert png.format == "PNG" and png.mode == "RGB" and png.size == (SIZE, SIZE)
            assert 3 <= len(captions) <= 5 and len(set(captions)) == len(captions)
            assert all(re.fullmatch(r"[a-z]+( [a-z]+)*", caption) for caption in captions)


def test_image_size_is_configurable(tmp_path: Path) -> None:
    options = {"image_size": 40, "seed": 1, "progress": False}
    paths = write_scenes(tmp_path / "small", num_train=4, num_dev=0, num_test=2, **options)
    for path in paths.values():
        for image, _ in load_split(path):
            with Image.open(path.parent / image["file_name"]) as png:
                assert png.size == (40, 40)
            assert all(0 <= value < 40 for shape in image["shapes"] for value in shape["box"])


def test_shapes_lie_inside_the_canvas_apart_and_sized_by_their_size_word(splits) -> None:
    sides = {size: [] for size in SIZES}
    for image, _ in (item for items in splits.values() for item in items):
        boxes = [shape["box"] for shape in image["shapes"]]
        assert 1 <= len(boxes) <= 3
        for x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 < SIZE and 0 <= y0 < y1 < SIZE and x1 - x0 == y1 - y0
        for index, first in enumerate(boxes):
            for second in boxes[index + 1 :]:
                apart_x = first[2] < second[0] or second[2] < first[0]
                apart_y = first[3] < second[1] or second[3] < first[1]
                assert apart_x or apart_y
        for shape in image["shapes"]:
            sides[shape["size"]].append(shape["box"][2] - shape["box"][0])
    assert max(sides["small"]) < min(sides["large"])


def test_each_shape_is_drawn_in_its_colour_inside_its_box_only(dataset, splits) -> None:
    folder, _ = dataset
    for image, _ in splits["train"] + splits["test"]:
        with Image.open(folder / image["file_name"]) as png:
            pixels = png.load()
            for shape in image["shapes"]:
                x0, y0, x1, y1 = shape["box"]
                centre_x, centre_y = (x0 + x1) // 2, (y0 + y1) // 2
                assert pixels[centre_x, centre_y] == COLOURS[shape["colour"]]
                outside = pixels[x0 - 1, centre_y]
                assert min(colour_distance(outside, rgb) for rgb in COLOURS.values()) > 60


def without_opener(caption: str) -> str:
    """Return a caption with its opener, if any, removed."""
    for opener in OPENERS:
        if caption.startswith(opener):
            return caption.removeprefix(opener)
    return caption


def test_captions_mention_exactly_the_drawn_shapes_with_their_sizes(splits) -> None:
    for image, captions in (item for items in splits.values() for item in items):
        sizes = {(shape["colour"], shape["kind"]): shape["size"] for shape in image["shapes"]}
        for caption in captions:
            assert mentioned_pairs(caption) == set(sizes)
            named = re.findall(rf"({'|'.join(SIZES)}) (\w+) (\w+)", caption)
            assert len(named) == len(sizes), caption
            for size, colour, kind in named:
                assert sizes[(colour, kind)] == size


def test_captions_name_shapes_in_reading_order_unless_the_relation_is_turned_round(splits) -> None:
    turned = 0
    for image, captions in (item for items in splits.values() for item in items):
        cells = {(shape["colour"], shape["kind"]): cell_of(shape["box"]) for shape in image["shapes"]}
        reading_order = sorted(cells, key=lambda pair: cells[pair][::-1])
        for caption in captions:
            body = without_opener(caption)
            order = re.findall(MENTION, body)
            if TURNED_ROUND.match(body):
                order[:2] = order[1::-1]
                turned += 1
            assert order == reading_order, (caption, image["shapes"])
    assert turned > 50


def test_captions_of_an_image_are_at_most_three_descriptions_with_or_without_an_opener(splits) -> None:
    for image, captions in (item for items in splits.values() for item in items):
        bodies = {without_opener(caption) for caption in captions}
        if len(image["shapes"]) == 1:
            assert len(captions) == 3 and len(bodies) == 1, captions
        else:
            assert len(captions) == 5 and 2 <= len(bodies) <= 3, captions


def test_relations_and_positions_in_captions_match_the_boxes(splits) -> None:
    checked = {"relation": 0, "position": 0}
    for image, captions in (item for items in splits.values() for item in items):
        boxes = {(shape["colour"], shape["kind"]): shape["box"] for shape in image["shapes"]}
        for caption in captions:
            found = 0
            for colour_a, kind_a, relation, colour_b, kind_b in RELATION_CLAUSE.findall(caption):
                a, b = boxes[(colour_a, kind_a)], boxes[(colour_b, kind_b)]
                assert {
                    "above": a[3] < b[1],
                    "over": a[3] < b[1],
                    "below": a[1] > b[3],
                    "under": a[1] > b[3],
                    "to the left of": a[2] < b[0],
                    "to the right of": a[0] > b[2],
                }[relation], (caption, image["shapes"])
                found += 1
                checked["relation"] += 1
            for colour, kind, phrase in POSITION_CLAUSE.findall(caption):
                words = phrase.removesuffix(" corner").split()
                expected = POSITION_CELLS.get(phrase) or (
                    {"left": 0, "right": 2}[words[-1]],
                    {"top": 0, "bottom": 2}[words[-2]],
                )
                assert cell_of(boxes[(colour, kind)]) == expected, (caption, image["shapes"])
                found += 1
                checked["position"] += 1
            assert found >= 1, caption
    assert checked["relation"] > 100 and checked["position"] > 100


def test_held_out_pairs_never_appear_in_train_or_dev(splits) -> None:
    for split in ("train", "dev"):
        for image, captions in splits[split]:
            assert image["unseen_combination"] is False
            assert not shape_pairs(image) & set(HELD_OUT_PAIRS)
            for colour, kind in HELD_OUT_PAIRS:
                assert all(f"{colour} {kind}" not in caption for caption in captions)


def test_test_split_marks_scenes_with_held_out_pairs(splits) -> None:
    flagged = [item for item in splits["test"] if item[0]["unseen_combination"]]
    normal = [item for item in splits["test"] if not item[0]["unseen_combination"]]
    assert len(flagged) == COUNTS["test"] // 2 and len(normal) == COUNTS["test"] - len(flagged)
    seen_held_out = set()
    for image, captions in flagged:
        held_out = shape_pairs(image) & set(HELD_OUT_PAIRS)
        assert len(held_out) == 1
        ((colour, kind),) = held_out
        assert all(f"{colour} {kind}" in caption for caption in captions)
        seen_held_out |= held_out
    assert seen_held_out == set(HELD_OUT_PAIRS)
    for image, _ in normal:
        assert not shape_pairs(image) & set(HELD_OUT_PAIRS)


def test_no_scene_repeats_across_or_within_splits(splits) -> None:
    signatures = [signature(image) for items in splits.values() for image, _ in items]
    assert len(set(signatures)) == len(signatures)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    def write(name: str, seed: int) -> dict[str, bytes]:
        """Write a tiny data set under ``name`` and return its files."""
        folder = tmp_path / name
        write_scenes(folder, num_train=12, num_dev=3, num_test=6, seed=seed, progress=False)
        return all_files(folder)

    first, again, other = write("first", 3), write("again", 3), write("other", 4)
    assert len(first) == 12 + 3 + 6 + 3
    assert first == again
    assert first["train.json"] != other["train.json"]
    assert first["images/train/000001.png"] != other["images/train/000001.png"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"num_train": -1},
        {"num_train": 0, "num_dev": 0, "num_test": 0},
        {"num_dev": 2.5},
        {"num_test": True},
        {"image_size": 16},
        {"seed": "7"},
    ],
)
def test_bad_arguments_raise_value_error_and_write_nothing(tmp_path: Path, overrides: dict) -> None:
    defaults = {"num_train": 2, "num_dev": 1, "num_test": 1, "seed": 0, "progress": False}
    arguments = defaults | overrides
    with pytest.raises(ValueError):
        write_scenes(tmp_path / "data", **arguments)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_scenes(tmp_path / "data", num_train=2, num_dev=0, num_test=0, seed=0, progress=False)
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["data", "keep.txt"]


def test_cider_matches_hand_computed_values() -> None:
    per_item = cider_d_per_item(["a b", "c"], [["a b"], ["c d"]])
    assert per_item == pytest.approx([5.0, 2.5 / sqrt(2) * exp(-1 / 72)])
    assert cider_d(["a b", "c"], [["a b"], ["c d"]]) == pytest.approx(sum(per_item) / 2)


def test_cider_counts_document_frequency_once_per_item_and_averages_references() -> None:
    per_item = cider_d_per_item(["a y", "b"], [["a y", "a z"], ["b"]])
    assert per_item == pytest.approx([10 * (2 / 4 + 0.5 / 4) / 2, 10 / 4])


def test_cider_with_unigrams_only_has_no_length_penalty() -> None:
    per_item = cider_d_per_item(["a", "d"], [["a b c"], ["d"]], n=1)
    assert per_item == pytest.approx([10 / sqrt(3), 10.0])


def test_cider_clips_repeated_hypothesis_ngrams() -> None:
    clipped = cider_d_per_item(["x x", "z"], [["x y"], ["z"]])[0]
    assert clipped == pytest.approx(10 / (8 * sqrt(2)))


def test_cider_of_a_one_item_corpus_is_zero() -> None:
    assert cider_d(["a red circle"], [["a red circle"]]) == 0.0


def test_cider_is_ten_for_hypotheses_equal_to_all_references(splits) -> None:
    captions = [captions[0] for _, captions in splits["test"]]
    assert cider_d(captions, [[caption] * 5 for caption in captions]) == pytest.approx(10.0)


def test_cider_of_one_reference_against_the_others_is_high(splits) -> None:
    items = [captions for _, captions in splits["test"]]
    assert cider_d([captions[0] for captions in items], [captions[1:] for captions in items]) > 3.0


def test_cider_is_zero_for_unrelated_or_empty_hypotheses(splits) -> None:
    references = [captions for _, captions in splits["test"]]
    assert cider_d(["zebras crossing during winter"] * len(references), references) == 0.0
    assert cider_d([""] * len(references), references) == 0.0


def test_cider_rises_as_the_hypothesis_approaches_the_references(splits) -> None:
    references = [captions for _, captions in splits["test"]]
    targets = [captions[0].split() for captions in references]
    def hypotheses(kept: int) -> list[str]:
        """Keep the first ``kept`` words of each target and blank out the rest."""
        return [" ".join(words[:kept] + ["zebra"] * (len(words) - kept)) for words in targets]

    scores = [cider_d(hypotheses(kept), references) for kept in range(max(map(len, targets)) + 1)]
    assert scores[0] == 0.0
    assert all(lower < higher for lower, higher in zip(scores, scores[1:]))


@pytest.mark.parametrize(
    ("hypotheses", "references", "options"),
    [
        ([], [], {}),
        (["a b"], [["a b"], ["c"]], {}),
        (["a b", "c"], [["a b"], []], {}),
        (["a b"], ["a b"], {}),
        (["a b", "c"], [["a b"], ["c"]], {"n": 0}),
        (["a b", "c"], [["a b"], ["c"]], {"sigma": 0.0}),
        (["a b", "c"], [["a b"], ["c"]], {"sigma": -6.0}),
    ],
)
def test_cider_rejects_bad_arguments(hypotheses: list, references: list, options: dict) -> None:
    with pytest.raises(ValueError):
        cider_d(hypotheses, references, **options)


def test_reference_ceiling_is_perfect_for_agreeing_references_and_zero_for_disjoint_ones() -> None:
    agreeing = [["a red circle on the left"] * 3, ["a blue square at the top"] * 3]
    assert reference_ceiling(agreeing) == pytest.approx({"bleu": 100.0, "cider_d": 10.0})
    disjoint = [["one two three four", "five six seven eight"], ["nine ten eleven twelve", "a b c d"]]
    assert reference_ceiling(disjoint) == pytest.approx({"bleu": 0.0, "cider_d": 0.0})


@pytest.mark.parametrize("references", [[], [["only one"], ["two", "refs"]]])
def test_reference_ceiling_needs_images_with_two_references(references: list) -> None:
    with pytest.raises(ValueError):
        reference_ceiling(references)


def test_ceiling_of_the_scene_captions_is_well_above_the_target(dataset, capsys) -> None:
    assert ceiling_main([str(dataset[1]["test"])]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {f"all ({COUNTS['test']} images)", f"unseen_combination ({COUNTS['test'] // 2} images)"}
    bleu = float(lines[f"all ({COUNTS['test']} images)"].split()[1])
    assert bleu > 80


@pytest.mark.parametrize("argv", [["train_size"], ["colour=3"], ["missing.json"]])
def test_ceiling_command_rejects_bad_arguments_with_one_line(argv: list[str], capsys) -> None:
    assert ceiling_main(argv) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
