"""Draw mouth-region video frames from viseme parameters with Pillow.

A frame shows skin, the upper and lower lips as two filled curved bands, and
between them the dark mouth interior with the upper teeth (a light band
under the upper lip) and the tongue (a reddish mound on the floor of the
mouth) when the parameters show them.  The geometry, in fractions of the
frame size and before the speaker's ``mouth_scale``:

* mouth half-width ``0.24 + 0.08 * width - 0.08 * rounding``;
* inner lip gap ``0.26 * opening``, a third above the lip line, two thirds
  below it (the jaw drops);
* the inner opening is narrower for rounded lips and lens-shaped for spread
  ones, and the lips thicken a little when rounded (protrusion).

Frames are drawn at ``_SUPERSAMPLE`` times the size and reduced, which
antialiases the edges.  Then come the speaker's lighting gradient, a
per-utterance brightness, per-frame flicker, and pixel noise; the mouth
wanders a little from frame to frame like a head that is not held still.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from math import cos, sin, tau

import numpy as np
from PIL import Image, ImageDraw

from multis2s_lipread.visemes import PARAMETERS

__all__ = ["MouthAppearance", "render_frames"]

Colour = tuple[int, int, int]

_SUPERSAMPLE = 4
_CURVE_POINTS = 25
_LIGHT_SKIN = np.array([236, 200, 172])
_DARK_SKIN = np.array([96, 62, 44])
_INTERIOR: Colour = (45, 18, 22)
_TEETH: Colour = (232, 228, 212)
_TONGUE: Colour = (178, 82, 88)
_SEAM_DARKNESS = 0.45
_UPPER_LIP_SHADE = 0.85
_JITTER_STD = 0.008
_JITTER_PERSISTENCE = 0.85
_BRIGHTNESS_STD = 0.08
_FLICKER_STD = 0.015
_NOISE_STD = 3.0
_OPENING, _WIDTH, _ROUNDING, _TEETH_SHOWN, _TONGUE_SHOWN = range(len(PARAMETERS))


@dataclass(frozen=True)
class MouthAppearance:
    """How one speaker's mouth looks.

    Attributes:
        mouth_scale: overall size of the mouth, 1 = average.
        lip_thickness: thickness of both lips relative to average.
        lip_colour: RGB 0..255.
        skin_colour: RGB 0..255.
        centre_offset: (dx, dy) of the mouth centre from its average place,
            in fractions of the frame size.
        lighting: strength of the linear lighting gradient across the frame,
            0 = flat; brightness varies by ``±lighting`` between opposite edges.
        lighting_angle: direction the light comes from, radians (0 = from the right).
    """

    mouth_scale: float
    lip_thickness: float
    lip_colour: Colour
    skin_colour: Colour
    centre_offset: tuple[float, float]
    lighting: float
    lighting_angle: float

    @classmethod
    def random(cls, rng: random.Random) -> MouthAppearance:
        """Draw an appearance: skin from light to dark, lips a redder, darker shade of it."""
        skin = _LIGHT_SKIN + rng.random() * (_DARK_SKIN - _LIGHT_SKIN)
        skin = skin * np.array([rng.uniform(0.97, 1.03) for _ in range(3)])
        lips = skin * np.array([rng.uniform(0.78, 0.9), rng.uniform(0.5, 0.62), rng.uniform(0.55, 0.68)])
        return cls(
            mouth_scale=rng.uniform(0.85, 1.15),
            lip_thickness=rng.uniform(0.75, 1.3),
            lip_colour=_to_colour(lips),
            skin_colour=_to_colour(skin),
            centre_offset=(rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)),
            lighting=rng.uniform(0.0, 0.3),
            lighting_angle=rng.uniform(0.0, tau),
        )


def _to_colour(rgb: np.ndarray) -> Colour:
    red, green, blue = (int(round(min(max(value, 0.0), 255.0))) for value in rgb)
    return red, green, blue


def _shade(colour: Colour, factor: float) -> Colour:
    return _to_colour(np.array(colour) * factor)


def _bulge(x: np.ndarray, half_width: float, power: float) -> np.ndarray:
    """``(1 - (x / half_width)^2)^power`` inside ``|x| < half_width``, 0 outside."""
    inside = np.clip(1.0 - (x / max(half_width, 1e-6)) ** 2, 0.0, None)
    return inside**power


@dataclass(frozen=True)
class _Contours:
    """Lip contours of one frame in canvas pixels, each a ``(_CURVE_POINTS, 2)`` array, left to right."""

    upper_outer: np.ndarray
    upper_inner: np.ndarray
    lower_inner: np.ndarray
    lower_outer: np.ndarray


def _contours(params: np.ndarray, appearance: MouthAppearance, centre: tuple[float, float],
              canvas: int) -> _Contours:
    """Lip contours for one parameter vector ``(P,)``, the mouth centred at ``centre`` (pixels)."""
    unit = canvas * appearance.mouth_scale
    opening, width, rounding = params[_OPENING], params[_WIDTH], params[_ROUNDING]
    half_width = unit * (0.24 + 0.08 * width - 0.08 * rounding)
    inner_half_width = half_width * (0.9 - 0.3 * rounding)
    gap = unit * 0.26 * opening
    upper_thickness = unit * appearance.lip_thickness * (0.065 + 0.03 * rounding)
    lower_thickness = unit * appearance.lip_thickness * (0.085 + 0.03 * rounding)
    x = np.linspace(-half_width, half_width, _CURVE_POINTS)
    inner = _bulge(x, inner_half_width, 0.5 + 0.5 * (1.0 - rounding))
    outer = _bulge(x, half_width, 0.6)
    cupids_bow = 0.3 * upper_thickness * np.exp(-((x / (0.15 * half_width)) ** 2))
    cx, cy = centre
    upper_inner = cy - gap / 3 * inner
    lower_inner = cy + 2 * gap / 3 * inner
    return _Contours(
        upper_outer=np.stack([cx + x, upper_inner - upper_thickness * outer + cupids_bow * outer], 1),
        upper_inner=np.stack([cx + x, upper_inner], 1),
        lower_inner=np.stack([cx + x, lower_inner], 1),
        lower_outer=np.stack([cx + x, lower_inner + lower_thickness * outer], 1),
    )


def _polygon(first: np.ndarray, second: np.ndarray) -> list[tuple[float, float]]:
    """The closed outline along ``first`` left to right and back along ``second``."""
    return [tuple(point) for point in np.concatenate([first, second[::-1]])]


def _draw_interior(params: np.ndarray, lips: _Contours, canvas: int, scale: float) -> Image.Image:
    """The mouth interior on a full canvas, to be masked by the opening.

    The tongue is drawn over the teeth, so a raised tongue (``th``) shows between them.
    """
    layer = Image.new("RGB", (canvas, canvas), _INTERIOR)
    draw = ImageDraw.Draw(layer)
    left, right = lips.upper_inner[0, 0], lips.upper_inner[-1, 0]
    floor = lips.lower_inner[:, 1].max()
    gap = floor - lips.upper_inner[:, 1].min()
    teeth = float(params[_TEETH_SHOWN])
    if teeth > 0.05:
        depth = canvas * scale * 0.05 * teeth
        band = lips.upper_inner.copy()
        band[:, 0] = left + (band[:, 0] - left) * 0.8 + 0.1 * (right - left)
        draw.polygon(_polygon(band - (0, depth), band + (0, depth)), fill=_TEETH)
    tongue = float(params[_TONGUE_SHOWN])
    if tongue > 0.05:
        half = 0.35 * (right - left) * (0.6 + 0.4 * tongue)
        top = floor - gap * (0.2 + 0.7 * tongue)
        centre = (left + right) / 2
        draw.ellipse([centre - half, top, centre + half, floor + gap], fill=_TONGUE)
    return layer


def _draw_mouth(params: np.ndarray, appearance: MouthAppearance, centre: tuple[float, float],
                canvas: int) -> Image.Image:
    """One flat-lit RGB frame at canvas size (``canvas`` x ``canvas`` pixels)."""
    image = Image.new("RGB", (canvas, canvas), appearance.skin_colour)
    draw = ImageDraw.Draw(image)
    lips = _contours(params, appearance, centre, canvas)
    draw.polygon(_polygon(lips.upper_outer, lips.upper_inner),
                 fill=_shade(appearance.lip_colour, _UPPER_LIP_SHADE))
    draw.polygon(_polygon(lips.lower_inner, lips.lower_outer), fill=appearance.lip_colour)
    mask = Image.new("L", (canvas, canvas), 0)
    ImageDraw.Draw(mask).polygon(_polygon(lips.upper_inner, lips.lower_inner), fill=255)
    image.paste(_draw_interior(params, lips, canvas, appearance.mouth_scale), (0, 0), mask)
    seam = _shade(appearance.lip_colour, _SEAM_DARKNESS)
    draw.line([tuple(point) for point in lips.upper_inner], fill=seam, width=_SUPERSAMPLE)
    return image


def _lighting(appearance: MouthAppearance, size: int) -> np.ndarray:
    """Gain per pixel, shape ``(size, size, 1)``: ``1 ± lighting`` between opposite edges."""
    coords = np.linspace(-1.0, 1.0, size)
    angle = appearance.lighting_angle
    along = cos(angle) * coords[None, :] - sin(angle) * coords[:, None]
    return (1.0 + appearance.lighting * along / np.sqrt(2.0))[:, :, None]


def _head_motion(rng: np.random.Generator, num_frames: int) -> np.ndarray:
    """Smooth random offsets of the mouth, fractions of the frame size, shape ``(T, 2)``."""
    steps = rng.normal(0.0, _JITTER_STD * np.sqrt(1 - _JITTER_PERSISTENCE**2), (num_frames, 2))
    offsets = np.empty((num_frames, 2))
    current = rng.normal(0.0, _JITTER_STD, 2)
    for index in range(num_frames):
        current = _JITTER_PERSISTENCE * current + steps[index]
        offsets[index] = current
    return offsets


def render_frames(track: np.ndarray, appearance: MouthAppearance, rng: np.random.Generator,
                  size: int = 64, channels: int = 3) -> np.ndarray:
    """Draw a mouth video.

    Args:
        track: mouth parameters per frame, shape ``(T, len(PARAMETERS))``
            (see :func:`multis2s_lipread.visemes.viseme_track`).
        appearance: the speaker's looks.
        rng: source of head motion, brightness, flicker and pixel noise;
            the same generator state gives identical frames.
        size: frame height and width in pixels.
        channels: 3 for RGB, 1 for grayscale (ITU-R 601 luma).

    Returns:
        uint8 array ``(T, size, size, channels)``.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    num_frames = len(track)
    canvas = size * _SUPERSAMPLE
    motion = _head_motion(rng, num_frames)
    brightness = rng.normal(1.0, _BRIGHTNESS_STD) * rng.normal(1.0, _FLICKER_STD, num_frames)
    noise = rng.normal(0.0, _NOISE_STD, (num_frames, size, size, 3))
    gain = _lighting(appearance, size)
    frames = np.empty((num_frames, size, size, channels), dtype=np.uint8)
    for index in range(num_frames):
        dx, dy = np.array(appearance.centre_offset) + motion[index]
        centre = (canvas * (0.5 + dx), canvas * (0.5 + dy))
        image = _draw_mouth(track[index], appearance, centre, canvas).reduce(_SUPERSAMPLE)
        lit = np.asarray(image, dtype=np.float32) * gain * brightness[index] + noise[index]
        rgb = Image.fromarray(np.clip(np.round(lit), 0, 255).astype(np.uint8))
        frames[index] = np.asarray(rgb.convert("L") if channels == 1 else rgb).reshape(size, size, channels)
    return frames
