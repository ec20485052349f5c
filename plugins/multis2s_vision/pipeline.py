"""The image source pipeline: an image file → a normalised (C, H, W) tensor, batched as (B, C, H, W).

Shapes: B batch, C channels (3 for rgb, 1 for gray), H/W height/width (both ``image_size``),
T generated tokens, S = H'·W' encoder regions.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, Literal

import torch
from PIL import Image
from torch.nn import functional as F
from torchvision.transforms import v2

from multis2s.data.example import Example
from multis2s.errors import DataError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MODES = {"rgb": "RGB", "gray": "L"}
TRANSLATE = 0.06  # augmentation: largest shift, as a fraction of the side
SCALE = 0.08  # augmentation: largest zoom in or out, as a fraction of the size
PANEL_COLUMNS = 6
OVERLAY_ALPHA = 0.75  # opacity of the overlay where attention peaks; it fades to 0 with the weight
MAX_PIXELS = 50_000_000  # the default largest image (width × height): ~200 MB decoded as RGBA


def open_image(path: str | Path, *, max_pixels: int | None = None) -> Image.Image:
    """The image file at ``path``, opened lazily: only its header is read, so its size is known
    before a pixel is decoded (close it, or use it in a ``with`` block).

    Raises DataError naming the file when it is missing, not an image, or has more than
    ``max_pixels`` pixels (None: only Pillow's own limit, twice ``Image.MAX_IMAGE_PIXELS``).
    """
    try:
        with warnings.catch_warnings():  # the size is checked here, against max_pixels
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except FileNotFoundError:
        raise DataError(f"{path}: image file not found") from None
    except Image.DecompressionBombError:
        raise DataError(f"{path}: image too large to decode (over {2 * Image.MAX_IMAGE_PIXELS} pixels)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a readable image ({exc})") from None
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        image.close()
        raise DataError(f"{path}: image of {width}x{height} pixels is larger than max_pixels={max_pixels}")
    return image


def read_image(path: str, mode: str, size: int, *, max_pixels: int | None = None) -> torch.Tensor:
    """The image at ``path`` in Pillow ``mode``, resized to size × size: (C, H, W) uint8.

    Raises DataError naming the file when it is missing, truncated, not an image, or larger than
    ``max_pixels`` (checked from its header, before decoding).
    """
    try:
        with open_image(path, max_pixels=max_pixels) as opened:
            opened.load()
            image = opened.convert(mode)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from None
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    return v2.functional.pil_to_tensor(image)  # (C, H, W)


def region_grid(regions: int, aspect: float) -> tuple[int, int]:
    """(H', W') with H'·W' = ``regions`` whose H'/W' is closest to ``aspect`` (an image's H/W)."""
    pairs = [(rows, regions // rows) for rows in range(1, regions + 1) if regions % rows == 0]
    return min(pairs, key=lambda pair: abs(math.log(pair[0] / pair[1]) - math.log(aspect)))


class ImagePipeline:
    """Options (``data.source``): image_size, channels, mean, std, augment, cache_images, max_pixels.

    Every image is resized to ``image_size`` × ``image_size`` (the aspect ratio is not kept) and
    normalised per channel with ``mean`` and ``std`` (on pixel values in [0, 1]; ``None`` means
    ImageNet's values, or their average for gray images). ``augment`` adds, in training only, a
    small random shift and zoom; never flips or colour changes, which would falsify captions such
    as "on the left" or "a red circle". With ``cache_images`` the decoded, resized images are kept
    in memory (as uint8) on this object, so each file is read once. An image of more than
    ``max_pixels`` pixels (width × height, read from its header before decoding) is a data
    error. Nothing is learned from the data: :meth:`state` is empty.
    """

    modality = "image"
    reads_files = True

    def __init__(
        self,
        *,
        image_size: int = 64,
        channels: Literal["rgb", "gray"] = "rgb",
        mean: list[float] | None = None,
        std: list[float] | None = None,
        augment: bool = False,
        cache_images: bool = True,
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if channels not in MODES:
            raise ValueError(f"channels {channels!r} is not one of {', '.join(MODES)}")
        if image_size < 1:
            raise ValueError(f"image_size must be positive, got {image_size}")
        if max_pixels < 1:
            raise ValueError(f"max_pixels must be positive, got {max_pixels}")
        count = len(MODES[channels])
        mean = list(mean) if mean is not None else self._default(IMAGENET_MEAN, count)
        std = list(std) if std is not None else self._default(IMAGENET_STD, count)
        for name, values in (("mean", mean), ("std", std)):
            if len(values) != count:
                raise ValueError(f"{name} has {len(values)} values but {channels} images have {count} channels")
        if any(value <= 0 for value in std):
            raise ValueError(f"std values must be positive, got {std}")
        self.image_size, self.mode, self.augment, self.max_pixels = image_size, MODES[channels], augment, max_pixels
        self.mean = torch.tensor(mean).view(count, 1, 1)  # (C, 1, 1)
        self.std = torch.tensor(std).view(count, 1, 1)  # (C, 1, 1)
        self.cache: dict[str, torch.Tensor] | None = {} if cache_images else None
        # fill 0 is the mean colour once normalised, so shifted-in borders look neutral
        self.transform = v2.RandomAffine(degrees=0.0, translate=(TRANSLATE, TRANSLATE), scale=(1 - SCALE, 1 + SCALE),
                                         interpolation=v2.InterpolationMode.BILINEAR, fill=0.0)

    @staticmethod
    def _default(values: tuple[float, ...], count: int) -> list[float]:
        return list(values) if count == len(values) else [sum(values) / len(values)]

    def fit(self, examples: list[Example]) -> None:
        """Nothing to learn: images are normalised with fixed statistics."""

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        """Nothing to restore."""

    def encoder_inputs(self) -> dict[str, Any]:
        return {"input_channels": self.mean.size(0), "image_size": self.image_size}

    def length(self, example: Example) -> int:
        """Images have no length: always 1, so bucketing groups them by target length only."""
        return 1

    def pixels(self, example: Example) -> torch.Tensor:
        """The resized, un-augmented image of ``example``: (C, H, W) uint8 (cached when asked)."""
        if self.cache is not None and example.source in self.cache:
            return self.cache[example.source]
        image = read_image(example.source, self.mode, self.image_size, max_pixels=self.max_pixels)
        if self.cache is not None:
            self.cache[example.source] = image
        return image

    def load(self, example: Example, *, train: bool) -> torch.Tensor:
        """(C, H, W) float, normalised; randomly shifted and zoomed when ``train`` and ``augment``."""
        image = (self.pixels(example).float() / 255.0 - self.mean) / self.std  # (C, H, W)
        return self.transform(image) if train and self.augment else image

    def collate(self, items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(C, H, W) items → (B, C, H, W) and lengths (B,), all 1 (images have no length)."""
        return torch.stack(items), torch.ones(len(items), dtype=torch.long)

    def labels(self, example: Example) -> list[str] | None:
        return None

    def plot_attention(self, example: Example, weights: torch.Tensor, target_labels: list[str], out: Path,
                       title: str) -> None:
        """weights (T, S) → a PNG with one panel per generated token: the image, with that token's
        attention over the S = H'·W' regions upsampled (bilinear) and overlaid. Each panel's
        overlay is scaled to its own maximum, so it shows where the token looks, not how sharply.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        image = self.pixels(example)  # (C, H, W)
        steps, regions = weights.shape
        height, width = image.shape[1:]
        rows, columns = region_grid(regions, height / width)
        maps = weights.float().view(steps, 1, rows, columns)  # (T, S) → (T, 1, H', W')
        maps = F.interpolate(maps, size=(height, width), mode="bilinear", align_corners=False)[:, 0]  # (T, H, W)
        maps = maps / maps.amax(dim=(1, 2), keepdim=True).clamp_min(torch.finfo(maps.dtype).tiny)
        panel_columns = min(steps, PANEL_COLUMNS)
        panel_rows = math.ceil(steps / panel_columns)
        figure, axes = plt.subplots(panel_rows, panel_columns, squeeze=False,
                                    figsize=(2.0 * panel_columns, 2.2 * panel_rows + 0.4))
        shown = image.permute(1, 2, 0).numpy()  # (C, H, W) → (H, W, C)
        for index, axis in enumerate(axes.flat):
            axis.axis("off")
            if index >= steps:
                continue
            axis.imshow(shown[:, :, 0] if shown.shape[2] == 1 else shown, cmap="gray", vmin=0, vmax=255)
            overlay = maps[index].numpy()
            axis.imshow(overlay, cmap="inferno", alpha=OVERLAY_ALPHA * overlay, vmin=0.0, vmax=1.0)
            axis.set_title(target_labels[index] if index < len(target_labels) else "", fontsize=10)
        if title:
            figure.suptitle(title, fontsize=10)
        figure.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=90)
        plt.close(figure)
