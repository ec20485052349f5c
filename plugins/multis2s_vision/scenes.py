"""Synthetic captioned scenes: coloured shapes on a small canvas, drawn with Pillow.

A scene holds one to three shapes, each in its own cell of a 3x3 grid (columns
left/middle/right, rows top/middle/bottom), so shapes never overlap.  Every
shape has a kind, a colour and a size; within its cell it gets a little size
and position jitter.  The background is a pale colour, plain or with light
grey noise.

Each image gets up to ``CAPTIONS_PER_IMAGE`` distinct captions, all true of
the image and all naming every shape with its size, colour and kind.  They are
phrasings of one canonical description, so that a correct caption can match a
reference word for word: the shapes are taken in reading order (top row first,
left to right), and a caption is one of

* a relation: the first two shapes joined by the relation that reads the scene
  in that order (``above`` when their rows differ, else ``to the left of``),
  any third shape placed after ``and``;
* the same relation turned round (``below`` / ``to the right of``), the second
  shape named first;
* a placement: every shape followed by where it is in the image;

each bare or after an opener (``there is``, ``a picture of``), e.g.::

    a small red circle above a large blue square
    there is a large blue square below a small red circle
    a picture of a small red circle at the top and a large blue square in the middle

A one-shape scene has only the placement, so three captions.  Captions are
lowercase words separated by single spaces; a shape is always mentioned as
``a|an <size> <colour> <kind>``, so the bigram ``<colour> <kind>`` names it.

The (colour, kind) pairs in ``HELD_OUT_PAIRS`` never occur in train or dev.
The test split mixes scenes drawn like the training ones (but distinct from
every train and dev scene) with scenes holding exactly one held-out pair,
flagged ``"unseen_combination": true``.
"""

import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from itertools import product
from math import cos, pi, sin
from pathlib import Path
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

KINDS = ("circle", "square", "triangle", "star", "diamond")
COLOURS = MappingProxyType(
    {
        "red": (214, 39, 40),
        "green": (44, 160, 44),
        "blue": (31, 90, 220),
        "yellow": (240, 210, 30),
        "purple": (148, 70, 189),
        "orange": (255, 127, 14),
    }
)
SIZES = ("small", "large")
HELD_OUT_PAIRS = (("red", "triangle"), ("blue", "star"), ("yellow", "circle"))
SPLITS = ("train", "dev", "test")
CAPTIONS_PER_IMAGE = 5
MIN_IMAGE_SIZE = 32
GRAMMAR_VERSION = 2
"""Changes whenever the scenes or captions drawn for a given seed change (1: free word order)."""

_SEEN_PAIRS = tuple(pair for pair in product(COLOURS, KINDS) if pair not in HELD_OUT_PAIRS)
_GRID = 3
_COLUMN_WORDS = ("left", "middle", "right")
_ROW_WORDS = ("top", "middle", "bottom")
_SHAPE_COUNT_WEIGHTS = (1, 2, 2)
_SIDE_FRACTIONS = MappingProxyType({"small": (0.38, 0.48), "large": (0.72, 0.84)})
_JITTER_FRACTION = 0.2
_STAR_INNER_RATIO = 0.45
_BACKGROUNDS = ((238, 238, 232), (228, 234, 242), (242, 236, 222), (230, 240, 230))
_TEXTURE_AMPLITUDE = 6
_OPENERS = ("", "there is ", "a picture of ")
_MAX_DRAWS_PER_SCENE = 1000
_PNG_COMPRESS_LEVEL = 1

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ShapeSpec:
    """What a shape is and which grid cell (column, row from the top left) holds it."""

    kind: str
    colour: str
    size: str
    column: int
    row: int


@dataclass(frozen=True)
class PlacedShape:
    """A shape with its drawn bounding square, inclusive pixel bounds (x0, y0, x1, y1)."""

    spec: ShapeSpec
    box: Box


@dataclass(frozen=True)
class Scene:
    """Everything needed to draw and describe one image."""

    shapes: tuple[PlacedShape, ...]
    background: tuple[int, int, int]
    texture_seed: int | None
    captions: tuple[str, ...]
    unseen_combination: bool


def write_scenes(
    folder: Path,
    *,
    num_train: int,
    num_dev: int,
    num_test: int,
    image_size: int = 64,
    seed: int,
    progress: bool = True,
) -> dict[str, Path]:
    """Write a captioned-scene data set and return the caption JSON path of each split.

    Layout: ``folder/images/<split>/<id>.png`` and ``folder/<split>.json`` in
    COCO caption style, ``{"images": [...], "annotations": [...]}``.  Image
    entries carry ``id``, ``file_name`` (relative to ``folder``), ``width``,
    ``height``, ``unseen_combination`` and ``shapes`` (kind, colour, size and
    inclusive pixel ``box``); annotations carry ``id``, ``image_id`` and
    ``caption``.  Half of the test images (rounded down) hold a held-out
    (colour, kind) pair.  No two images, in any split, share the same discrete
    scene (shapes, sizes and cells).

    The output depends only on the arguments (``progress`` aside): the same
    seed gives byte-identical files.  The data set is built in a temporary
    folder next to ``folder`` and renamed into place, so ``folder`` is either
    left as it was or complete.

    Raises:
        ValueError: a count is negative or all are zero, ``image_size`` is
            below ``MIN_IMAGE_SIZE``, or an argument has the wrong type.
        FileExistsError: ``folder`` exists and is not an empty directory.
    """
    counts = {"train": num_train, "dev": num_dev, "test": num_test}
    _check_arguments(counts, image_size, seed)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not an empty directory")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent)
    )
    try:
        _write_all_splits(staging, counts, image_size, random.Random(seed), progress)
        staging.chmod(0o755)
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {split: folder / f"{split}.json" for split in SPLITS}


def _check_arguments(counts: dict[str, int], image_size: int, seed: int) -> None:
    """Raise ValueError unless the arguments of ``write_scenes`` make sense."""
    named_values = [(f"num_{split}", count) for split, count in counts.items()]
    named_values += [("image_size", image_size), ("seed", seed)]
    for name, value in named_values:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} must be an int, got {value!r}")
    for split, count in counts.items():
        if count < 0:
            raise ValueError(f"num_{split} must be >= 0, got {count}")
    if sum(counts.values()) == 0:
        raise ValueError("at least one of num_train, num_dev, num_test must be positive")
    if image_size < MIN_IMAGE_SIZE:
        raise ValueError(f"image_size must be >= {MIN_IMAGE_SIZE}, got {image_size}")


def _write_all_splits(
    root: Path, counts: dict[str, int], image_size: int, rng: random.Random, progress: bool
) -> None:
    """Draw, render and save every split under ``root``, consuming ``rng`` in a fixed order."""
    used: set[frozenset[ShapeSpec]] = set()
    with tqdm(total=sum(counts.values()), desc="scenes", unit="image", disable=not progress) as bar:
        for split in SPLITS:
            _write_split(root, split, counts[split], image_size, rng, used, bar)


def _write_split(
    root: Path,
    split: str,
    count: int,
    image_size: int,
    rng: random.Random,
    used: set[frozenset[ShapeSpec]],
    bar: tqdm,
) -> None:
    """Write the images and caption JSON of one split, avoiding and extending ``used``."""
    (root / "images" / split).mkdir(parents=True)
    images: list[dict] = []
    annotations: list[dict] = []
    for image_id, unseen in enumerate(_unseen_flags(split, count, rng), start=1):
        scene = _draw_scene(rng, image_size, unseen, used)
        file_name = f"images/{split}/{image_id:06d}.png"
        image = _render(scene, image_size)
        image.save(root / file_name, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
        images.append(_image_entry(scene, image_id, file_name, image_size))
        for caption in scene.captions:
            annotation_id = len(annotations) + 1
            annotations.append({"id": annotation_id, "image_id": image_id, "caption": caption})
        bar.update()
    document = {"images": images, "annotations": annotations}
    (root / f"{split}.json").write_text(json.dumps(document) + "\n", encoding="utf-8")


def _unseen_flags(split: str, count: int, rng: random.Random) -> list[bool]:
    """Say, image by image, whether it must hold a held-out pair (half of test, shuffled)."""
    unseen_count = count // 2 if split == "test" else 0
    flags = [False] * (count - unseen_count) + [True] * unseen_count
    rng.shuffle(flags)
    return flags


def _image_entry(scene: Scene, image_id: int, file_name: str, image_size: int) -> dict:
    """Return the COCO-style image record of ``scene``."""
    return {
        "id": image_id,
        "file_name": file_name,
        "width": image_size,
        "height": image_size,
        "unseen_combination": scene.unseen_combination,
        "shapes": [
            {
                "kind": shape.spec.kind,
                "colour": shape.spec.colour,
                "size": shape.spec.size,
                "box": list(shape.box),
            }
            for shape in scene.shapes
        ],
    }


def _draw_scene(
    rng: random.Random, image_size: int, unseen: bool, used: set[frozenset[ShapeSpec]]
) -> Scene:
    """Draw a scene whose discrete description is not in ``used``, and record it there."""
    specs = _draw_new_specs(rng, unseen, used)
    shapes = tuple(PlacedShape(spec, _place(rng, spec, image_size)) for spec in specs)
    background = rng.choice(_BACKGROUNDS)
    texture_seed = rng.getrandbits(64) if rng.random() < 0.5 else None
    return Scene(shapes, background, texture_seed, _captions(rng, specs), unseen)


def _draw_new_specs(
    rng: random.Random, unseen: bool, used: set[frozenset[ShapeSpec]]
) -> tuple[ShapeSpec, ...]:
    """Draw shape specs until they form a scene not in ``used``; add it to ``used``."""
    for _ in range(_MAX_DRAWS_PER_SCENE):
        specs = _draw_specs(rng, unseen)
        key = frozenset(specs)
        if key not in used:
            used.add(key)
            return specs
    raise RuntimeError(
        "could not draw a scene distinct from all earlier ones; ask for fewer scenes"
    )


def _draw_specs(rng: random.Random, unseen: bool) -> tuple[ShapeSpec, ...]:
    """Draw one to three shapes with distinct (colour, kind) pairs in distinct cells.

    With ``unseen`` exactly one shape has a held-out pair; otherwise none has.
    """
    count = rng.choices(range(1, len(_SHAPE_COUNT_WEIGHTS) + 1), weights=_SHAPE_COUNT_WEIGHTS)[0]
    pairs = [rng.choice(HELD_OUT_PAIRS)] if unseen else []
    while len(pairs) < count:
        pair = rng.choice(_SEEN_PAIRS)
        if pair not in pairs:
            pairs.append(pair)
    rng.shuffle(pairs)
    cells = rng.sample(range(_GRID * _GRID), count)
    return tuple(
        ShapeSpec(
            kind=kind,
            colour=colour,
            size=rng.choice(SIZES),
            column=cell % _GRID,
            row=cell // _GRID,
        )
        for (colour, kind), cell in zip(pairs, cells)
    )


def _place(rng: random.Random, spec: ShapeSpec, image_size: int) -> Box:
    """Choose the jittered bounding square of ``spec`` inside its grid cell."""
    low, high = _SIDE_FRACTIONS[spec.size]
    first_x, last_x = _cell_span(spec.column, image_size)
    first_y, last_y = _cell_span(spec.row, image_size)
    largest_side = min(last_x - first_x, last_y - first_y) - 1
    side = min(round(rng.uniform(low, high) * image_size / _GRID), largest_side)
    x0 = _jittered_start(rng, first_x, last_x, side)
    y0 = _jittered_start(rng, first_y, last_y, side)
    return (x0, y0, x0 + side - 1, y0 + side - 1)


def _cell_span(index: int, image_size: int) -> tuple[int, int]:
    """Return the first and last pixel of grid cell ``index`` along one axis."""
    return index * image_size // _GRID, (index + 1) * image_size // _GRID - 1


def _jittered_start(rng: random.Random, first: int, last: int, side: int) -> int:
    """Start ``side`` pixels near the middle of [first, last], one pixel clear of its ends."""
    lowest, highest = first + 1, last - side
    centred = (first + last + 1 - side) / 2
    slack = min(highest - centred, centred - lowest, _JITTER_FRACTION * (last - first + 1))
    return min(max(round(centred + rng.uniform(-slack, slack)), lowest), highest)


def _captions(rng: random.Random, specs: tuple[ShapeSpec, ...]) -> tuple[str, ...]:
    """Draw up to ``CAPTIONS_PER_IMAGE`` distinct captions among every phrasing of the scene."""
    phrasings = [opener + body for body in _bodies(specs) for opener in _OPENERS]
    return tuple(rng.sample(phrasings, min(CAPTIONS_PER_IMAGE, len(phrasings))))


def _bodies(specs: tuple[ShapeSpec, ...]) -> tuple[str, ...]:
    """Return the opener-less descriptions of a scene: relation, relation turned round, placement."""
    ordered = sorted(specs, key=lambda spec: (spec.row, spec.column))
    placement = " and ".join(_placed_mention(spec) for spec in ordered)
    if len(ordered) == 1:
        return (placement,)
    first, second, *rest = ordered
    tail = "".join(f" and {_placed_mention(spec)}" for spec in rest)
    forward, backward = _relations(first, second)
    return (
        f"{_mention(first)} {forward} {_mention(second)}{tail}",
        f"{_mention(second)} {backward} {_mention(first)}{tail}",
        placement,
    )


def _mention(spec: ShapeSpec) -> str:
    """Name a shape as ``a|an size colour kind``."""
    words = f"{spec.size} {spec.colour} {spec.kind}"
    article = "an" if words[0] in "aeiou" else "a"
    return f"{article} {words}"


def _placed_mention(spec: ShapeSpec) -> str:
    """Name a shape followed by where its cell is in the image."""
    return f"{_mention(spec)} {_position(spec)}"


def _position(spec: ShapeSpec) -> str:
    """Return the phrase that says where a shape's cell is in the image."""
    column, row = _COLUMN_WORDS[spec.column], _ROW_WORDS[spec.row]
    if column == "middle" and row == "middle":
        return "in the middle"
    if row == "middle":
        return f"on the {column}"
    if column == "middle":
        return f"at the {row}"
    return f"in the {row} {column} corner"


def _relations(first: ShapeSpec, second: ShapeSpec) -> tuple[str, str]:
    """Return (r, inverse r) with "first r second" true, ``first`` before ``second`` in reading order."""
    if first.row < second.row:
        return "above", "below"
    return "to the left of", "to the right of"


def _render(scene: Scene, image_size: int) -> Image.Image:
    """Draw ``scene`` on an ``image_size`` square RGB canvas."""
    pixels = np.empty((image_size, image_size, 3), dtype=np.int16)
    pixels[:] = scene.background
    if scene.texture_seed is not None:
        noise_rng = np.random.default_rng(scene.texture_seed)
        pixels += noise_rng.integers(
            -_TEXTURE_AMPLITUDE,
            _TEXTURE_AMPLITUDE + 1,
            size=(image_size, image_size, 1),
            dtype=np.int16,
        )
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        _draw_shape(draw, shape)
    return image


def _draw_shape(draw: ImageDraw.ImageDraw, shape: PlacedShape) -> None:
    """Fill one shape inside its bounding square, without anti-aliasing."""
    fill = COLOURS[shape.spec.colour]
    x0, y0, x1, y1 = shape.box
    if shape.spec.kind == "circle":
        draw.ellipse(shape.box, fill=fill)
    elif shape.spec.kind == "square":
        draw.rectangle(shape.box, fill=fill)
    else:
        draw.polygon(_outline(shape.spec.kind, x0, y0, x1, y1), fill=fill)


def _outline(kind: str, x0: int, y0: int, x1: int, y1: int) -> list[tuple[float, float]]:
    """Return the polygon vertices of a triangle, diamond or star in a bounding square."""
    centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
    if kind == "triangle":
        return [(centre_x, y0), (x1, y1), (x0, y1)]
    if kind == "diamond":
        return [(centre_x, y0), (x1, centre_y), (centre_x, y1), (x0, centre_y)]
    if kind == "star":
        outer = (x1 - x0) / 2
        radii = [outer if point % 2 == 0 else outer * _STAR_INNER_RATIO for point in range(10)]
        angles = [-pi / 2 + point * pi / 5 for point in range(10)]
        return [(centre_x + r * cos(a), centre_y + r * sin(a)) for r, a in zip(radii, angles)]
    raise ValueError(f"unknown shape kind {kind!r}")
