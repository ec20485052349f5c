"""Captioned images: COCO caption JSON files, caption folders, and the embedded shapes scenes.

Training splits give one example per (image, caption); evaluation splits give one example per
image, whose target is its first caption and whose references are all its captions (metrics
score against every reference). An example's source is the image's path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from multis2s.data.cache import ensure_corpus
from multis2s.data.example import Example
from multis2s.data.manifests import (MAX_LINE_CHARS, MAX_PATH_CHARS, BadItems, check_max_chars, check_text,
                                     numbered_lines)
from multis2s.errors import DataError
from multis2s.options import shown
from multis2s_vision.pipeline import open_image
from multis2s_vision.scenes import GRAMMAR_VERSION, write_scenes

SplitKind = Literal["train", "eval"]
SPLIT_KINDS = ("train", "eval")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
CAPTIONS_FILE = "captions.tsv"


@dataclass(frozen=True)
class CaptionedImage:
    """An image file, its captions (possibly none, which is an error), tags and where it was listed;
    ``problem`` says why the item is bad when its listing already shows it (an over-long caption)."""

    path: Path
    captions: tuple[str, ...]
    origin: str
    tags: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def image_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a readable image (its header, then Pillow's ``verify``), or None."""
    try:
        with open_image(path) as image:
            image.verify()
    except DataError as error:
        return str(error)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        return f"{path}: not a readable image ({exc})"
    return None


def to_examples(items: list[CaptionedImage], *, split_kind: SplitKind, bad: BadItems) -> list[Example]:
    """Examples of the good ``items``; a bad one (no captions, unreadable image) goes to ``bad``:
    raised as a DataError, or with ``skip_bad`` skipped and counted in one summary line on stderr
    (with any bad lines the reader already gave it)."""
    if split_kind not in SPLIT_KINDS:
        raise ValueError(f"split_kind {split_kind!r} is not one of {', '.join(SPLIT_KINDS)}")
    rejected_lines = bad.count
    examples: list[Example] = []
    for item in items:
        problem = item.problem or (f"{item.origin}: has no captions" if not item.captions else image_problem(item.path))
        if problem is not None:
            bad.reject(DataError(problem))
        elif split_kind == "train":
            examples.extend(Example(str(item.path), caption, item.origin, dict(item.tags)) for caption in item.captions)
        else:
            examples.append(Example(str(item.path), item.captions[0], item.origin, dict(item.tags), item.captions))
    return bad.finish(examples, len(items) + rejected_lines)


def _clean(caption: str) -> str:
    return " ".join(caption.split())


def _coco_items(document: Any, json_path: Path, image_folder: Path, max_chars: int) -> list[CaptionedImage]:
    """The images of a parsed COCO caption document, with their captions, in the file's order; an
    image with a caption longer than ``max_chars`` characters (or not valid Unicode) is a bad item."""
    if not isinstance(document, dict) or not isinstance(document.get("images"), list) \
            or not isinstance(document.get("annotations"), list):
        raise DataError(f"{json_path}: expected a JSON object with lists 'images' and 'annotations'")
    entries: dict[int | str, dict] = {}
    for index, image in enumerate(document["images"]):
        if not isinstance(image, dict) or not isinstance(image.get("id"), (int, str)) \
                or not isinstance(image.get("file_name"), str):
            raise DataError(f"{json_path}: images[{index}] needs an 'id' and a 'file_name'")
        if len(image["file_name"]) > MAX_PATH_CHARS or "\0" in image["file_name"]:
            raise DataError(f"{json_path}: images[{index}] has a 'file_name' that is not a usable file path")
        if image["id"] in entries:
            raise DataError(f"{json_path}: images[{index}] repeats image id {shown(image['id'])}")
        entries[image["id"]] = image
    captions: dict[int | str, list[str]] = {key: [] for key in entries}
    problems: dict[int | str, str] = {}  # image id → why its first bad caption is bad
    for index, annotation in enumerate(document["annotations"]):
        if not isinstance(annotation, dict) or not isinstance(annotation.get("caption"), str):
            raise DataError(f"{json_path}: annotations[{index}] needs an 'image_id' and a 'caption' string")
        key = annotation.get("image_id")
        if not isinstance(key, (int, str)) or key not in captions:
            raise DataError(f"{json_path}: annotations[{index}] refers to image id {shown(key)}, "
                            "which is not in 'images'")
        if len(annotation["caption"]) > max_chars:
            problems.setdefault(key, f"annotations[{index}]: caption longer than {max_chars} characters "
                                     "(max_line_chars)")
            continue
        try:
            caption = check_text(_clean(annotation["caption"]), f"annotations[{index}]", "caption")
        except DataError as error:
            problems.setdefault(key, str(error))
            continue
        if caption:
            captions[key].append(caption)
    items = []
    for key, image in entries.items():
        origin = f"{json_path}: image {shown(key)} ({image['file_name']})"
        items.append(CaptionedImage(image_folder / image["file_name"], tuple(captions[key]), origin,
                                    {name: value for name, value in image.items() if isinstance(value, bool)},
                                    f"{origin}: {problems[key]}" if key in problems else None))
    return items


def read_coco(json_path: Path | str, image_folder: Path | str | None = None, *, split_kind: SplitKind,
              skip_bad: bool = False, max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """A COCO caption file (``images[{id, file_name}]``, ``annotations[{image_id, caption}]``).

    ``file_name`` is relative to ``image_folder`` (default: the JSON file's folder). Boolean
    fields of an image entry (e.g. ``unseen_combination``) become the tags of its examples.
    """
    json_path = Path(json_path)
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{json_path}: caption file not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{json_path}: not UTF-8 text") from None
    except IsADirectoryError:
        raise DataError(f"{json_path}: is a folder, not a caption file") from None
    except OSError as exc:
        raise DataError(f"{json_path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{json_path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise DataError(f"{json_path}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise DataError(f"{json_path}: not valid JSON ({shown(str(exc))})") from None
    folder = Path(image_folder) if image_folder is not None else json_path.parent
    return to_examples(_coco_items(document, json_path, folder, max_chars), split_kind=split_kind,
                       bad=BadItems(json_path, skip_bad=skip_bad))


def read_caption_folder(folder: Path | str, *, split_kind: SplitKind, skip_bad: bool = False,
                        max_chars: int = MAX_LINE_CHARS) -> list[Example]:
    """A folder of images plus ``captions.tsv``: lines ``file_name<TAB>caption`` (exactly one tab),
    file names relative to the folder, several lines per image allowed. An image file under the
    folder with no line is a bad item (it has no captions), and so is a line longer than
    ``max_chars`` characters."""
    folder = Path(folder)
    table = folder / CAPTIONS_FILE
    if not table.is_file():
        raise DataError(f"{folder}: no {CAPTIONS_FILE} (lines file_name<TAB>caption) in this folder")
    bad = BadItems(table, skip_bad=skip_bad)
    captions: dict[str, list[str]] = {}
    first_line: dict[str, str] = {}
    for origin, line, _, problem in numbered_lines(table, max_chars=max_chars):
        if problem is None and not line.strip():
            continue
        fields = line.split("\t")
        if problem is None and (len(fields) != 2 or not fields[0].strip() or not _clean(fields[1])):
            problem = DataError(f"{origin}: expected file_name<TAB>caption")
        elif problem is None and (len(fields[0]) > MAX_PATH_CHARS or "\0" in fields[0]):
            problem = DataError(f"{origin}: the file name is not a usable file path (a NUL, or over "
                                f"{MAX_PATH_CHARS} characters)")
        if problem is not None:
            bad.reject(problem)
            continue
        name, caption = fields
        name = name.strip()
        captions.setdefault(name, []).append(_clean(caption))
        first_line.setdefault(name, origin)
    items = [CaptionedImage(folder / name, tuple(texts), first_line[name])
             for name, texts in captions.items()]
    listed = {(folder / name).resolve() for name in captions}
    items += [CaptionedImage(path, (), f"{table}: image {path.relative_to(folder)}")
              for path in sorted(folder.rglob("*"))
              if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and path.resolve() not in listed]
    return to_examples(items, split_kind=split_kind, bad=bad)


class CaptionDataset:
    """Splits, each a COCO caption JSON file or a caption folder (told apart by ``is_dir``).

    The ``train`` split gives one example per caption; every other split one per image.
    """

    def __init__(self, paths: dict[str, Path | None], *, image_folder: Path | None, skip_bad: bool,
                 max_chars: int = MAX_LINE_CHARS) -> None:
        self.paths, self.image_folder, self.skip_bad = paths, image_folder, skip_bad
        self.max_chars = check_max_chars(max_chars)

    def _read(self, path: Path, split_kind: SplitKind) -> list[Example]:
        if path.is_dir():
            return read_caption_folder(path, split_kind=split_kind, skip_bad=self.skip_bad, max_chars=self.max_chars)
        return read_coco(path, self.image_folder, split_kind=split_kind, skip_bad=self.skip_bad,
                         max_chars=self.max_chars)

    def split(self, name: str) -> list[Example]:
        path = self.paths.get(name)
        if path is None:
            raise DataError(f"no {name!r} split: set data.dataset.{name} to a COCO caption JSON file or caption folder")
        return self._read(path, "train" if name == "train" else "eval")

    def read(self, path: Path) -> list[Example]:
        """A user's COCO JSON file or caption folder, read as an evaluation split."""
        return self._read(Path(path), "eval")


def coco_dataset(*, train: Path, dev: Path | None = None, test: Path | None = None, image_folder: Path | None = None,
                 max_line_chars: int = MAX_LINE_CHARS, skip_bad: bool = False) -> CaptionDataset:
    """Your captioned images: each split a COCO caption JSON file or a folder with captions.tsv.

    ``image_folder`` is where JSON ``file_name``s are found (default: each JSON file's folder).
    Paths in a config are relative to its folder. Without a dev (or test) split, ``data.carve``
    takes one out of the training images (all captions of an image on one side).
    ``max_line_chars``: a longer ``captions.tsv`` line, or a longer caption in a JSON file, makes
    its image a bad item. ``skip_bad`` is supplied by the core from ``data.skip_bad``.
    """
    paths = {"train": train, "dev": dev, "test": test}
    return CaptionDataset({name: None if path is None else Path(path) for name, path in paths.items()},
                          image_folder=None if image_folder is None else Path(image_folder), skip_bad=skip_bad,
                          max_chars=max_line_chars)


def shapes_dataset(*, train_size: int = 8000, dev_size: int = 500, test_size: int = 1000, image_size: int = 64,
                   seed: int = 1, skip_bad: bool = False) -> CaptionDataset:
    """Generated scenes of coloured shapes with relation captions (see :mod:`multis2s_vision.scenes`).

    Written once into the data cache, keyed by the options and the grammar version; half of the test
    images hold a (colour, shape) pair never seen in training, tagged ``unseen_combination`` so
    evaluation reports that subset.
    """
    options = dict(train_size=train_size, dev_size=dev_size, test_size=test_size, image_size=image_size, seed=seed,
                   grammar=GRAMMAR_VERSION)
    folder = ensure_corpus("shapes", options, lambda temporary: write_scenes(
        temporary / "scenes", num_train=train_size, num_dev=dev_size, num_test=test_size, image_size=image_size,
        seed=seed)) / "scenes"
    paths = {split: folder / f"{split}.json" for split in ("train", "dev", "test")}
    return CaptionDataset(paths, image_folder=None, skip_bad=skip_bad)
