"""Realistic image artefacts for shortcut-learning demos, each with a pixel-exact mask of what it changed.

An artefact is drawn as an alpha layer ``a`` in [0, 1] (PIL on a supersampled canvas, downsampled by box
averaging, so edges are antialiased) and composited as ``out = (1 - a) * image + a * colour``. The returned
mask is computed afterwards as "pixels whose value changed", so it is exact by construction.

Registered artefacts (see :func:`list_artefacts`): ``laterality_marker``, ``text_token``, ``timestamp``,
``ruler``, ``ecg_electrode``, ``pen_mark``, ``dark_corner`` and ``patch``. :func:`confound` adds one of them
to a dataset with a class-dependent probability, which is how a shortcut is planted.

Adding an artefact: decorate ``make(ctx: ArtefactContext, *, option=default, ...) -> ArtefactShape`` with
:func:`register_artefact`. ``make`` sizes the artefact from ``ctx.size`` (pixels), takes every random choice
from ``ctx.rng`` and returns either a ``patch`` alpha (usually drawn with :func:`draw_patch` and a
:class:`Pen`) or a ``paint(y0, x0)`` function for artefacts that reach beyond their box. The tests pick it up
automatically.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm.auto import tqdm

from .errors import ConfigError, DataError, ImageError
from .registry import Registry

if TYPE_CHECKING:  # importing .data pulls in torch; only as_dataset() needs it at run time
    from .data import ImageArrayDataset

FIXED_POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right", "top", "bottom", "left", "right", "center")
POSITIONS = (*FIXED_POSITIONS, "random", "random_outside")  # random_outside: away from ``avoid``
MARGIN = 0.04  # distance of placed artefacts from the image edge, as a fraction of the shorter side
MIN_SIDE = 16  # smallest image side add_artefact accepts
_TRIES = 20  # attempts to place an artefact outside ``avoid``

Colour = float | tuple[float, float, float]


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ArtefactContext:
    """What an artefact maker knows: image size, artefact size in pixels, rng and requested position."""

    height: int
    width: int
    size: float  # scale * shorter side, in image pixels
    intensity: float
    rgb: bool
    rng: np.random.Generator
    position: str
    shrink: float = 1.0  # < 1 when "random_outside" shrinks an artefact that does not fit

    def sized(self, minimum: float) -> float:
        """The artefact size in pixels, at least ``minimum`` (scaled by ``shrink``) to stay recognisable."""
        return max(self.size, minimum * self.shrink)

    @property
    def short(self) -> int:
        return min(self.height, self.width)

    @property
    def margin(self) -> int:
        return max(1, round(MARGIN * self.short))

    def fit(self, h: float, w: float) -> tuple[int, int]:
        """(h, w) rounded to whole pixels and shrunk (keeping the aspect) to fit inside the margins."""
        room_h, room_w = self.height - 2 * self.margin, self.width - 2 * self.margin
        k = min(1.0, room_h / max(h, 1e-6), room_w / max(w, 1e-6))
        return max(1, round(h * k)), max(1, round(w * k))


@dataclass(frozen=True)
class ArtefactShape:
    """One drawn artefact before placement.

    Either ``patch`` (an alpha ``(h, w)`` that is simply pasted at the chosen offset) or ``paint`` (a function
    of the offset returning an alpha ``(H, W)`` for the whole image, for artefacts that reach beyond their
    body, like an electrode's wire). ``fixed`` forces the offset (edge-anchored artefacts).
    """

    size: tuple[int, int]
    colour: Colour
    patch: np.ndarray | None = None
    paint: Callable[[int, int], np.ndarray] | None = None
    fixed: tuple[int, int] | None = None
    opacity: float = 1.0


ShapeMaker = Callable[..., ArtefactShape]


@dataclass(frozen=True)
class ArtefactInfo:
    """A named artefact: how to draw it and how to describe it to a user.

    Attributes:
        name: registry key, e.g. "laterality_marker".
        make: draws the artefact; called as ``make(ctx, **params)``.
        label: short human-readable name, e.g. "Laterality marker (L/R)".
        description: one or two sentences for the app and the docs, saying what ``scale`` measures.
        default_scale: artefact size relative to the shorter image side when ``scale`` is None.
        params: the extra keyword arguments ``make`` accepts, with their defaults.
    """

    name: str
    make: ShapeMaker
    label: str
    description: str
    default_scale: float
    params: dict[str, Any] = field(default_factory=dict)


ARTEFACTS: Registry[ArtefactInfo] = Registry("artefact")


def register_artefact(
    name: str, *, label: str, description: str, scale: float = 0.15
) -> Callable[[ShapeMaker], ShapeMaker]:
    """Decorator registering ``make(ctx, **params) -> ArtefactShape`` as the artefact ``name``.

    ``scale`` is the default size relative to the shorter image side; keyword-only parameters of ``make``
    become the artefact's extra ``**params`` of :func:`add_artefact`.
    """

    def decorate(make: ShapeMaker) -> ShapeMaker:
        params = {
            p.name: p.default
            for p in inspect.signature(make).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        ARTEFACTS.add(name, ArtefactInfo(name, make, label, description, scale, params))
        return make

    return decorate


def list_artefacts() -> list[str]:
    """Names of the registered artefacts, in registration order."""
    return ARTEFACTS.names()


# ----------------------------------------------------------------------------- drawing helpers


@lru_cache(maxsize=256)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)  # Pillow's bundled scalable sans (Aileron); no files needed


class Pen:
    """Draws on a supersampled greyscale canvas in image-pixel coordinates; ``alpha()`` box-downsamples it.

    Every draw call takes an alpha in [0, 1]; later calls overwrite earlier ones where they overlap.
    """

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.ss = 8 if min(height, width) < 64 else 4
        self.canvas = Image.new("L", (width * self.ss, height * self.ss), 0)
        self.draw = ImageDraw.Draw(self.canvas)

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x * self.ss, y * self.ss

    def _w(self, width: float) -> int:
        return max(1, round(width * self.ss))

    @staticmethod
    def _v(alpha: float) -> int:
        return int(round(255 * min(1.0, max(0.0, alpha))))

    def rect(self, x0: float, y0: float, x1: float, y1: float, alpha: float, width: float = 0) -> None:
        """Filled (width 0) or outlined rectangle with corners (x0, y0), (x1, y1)."""
        box = [*self._xy(x0, y0), *self._xy(x1, y1)]
        if width:
            self.draw.rectangle(box, outline=self._v(alpha), width=self._w(width))
        else:
            self.draw.rectangle(box, fill=self._v(alpha))

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, alpha: float, width: float = 0) -> None:
        """Filled (width 0) or outlined ellipse; an outline lies inside the radii."""
        box = [*self._xy(cx - rx, cy - ry), *self._xy(cx + rx, cy + ry)]
        if width:
            self.draw.ellipse(box, outline=self._v(alpha), width=self._w(width))
        else:
            self.draw.ellipse(box, fill=self._v(alpha))

    def line(self, points: np.ndarray, width: float, alpha: float) -> None:
        """Polyline through ``points`` ``(K, 2)`` as (x, y), with round joints and caps."""
        pts = [self._xy(float(x), float(y)) for x, y in points]
        w = self._w(width)
        self.draw.line(pts, fill=self._v(alpha), width=w, joint="curve")
        r = w / 2
        if w > 2:
            for x, y in (pts[0], pts[-1]):
                self.draw.ellipse([x - r, y - r, x + r, y + r], fill=self._v(alpha))

    def text(
        self, text: str, x0: float, y0: float, x1: float, y1: float, alpha: float, bold: float = 0
    ) -> None:
        """``text`` scaled to fit the box and centred in it; ``bold`` is a stroke width per font size."""
        bw, bh = _ink_size(text, bold)
        size = max(4, int(100 * min((x1 - x0) * self.ss / bw, (y1 - y0) * self.ss / bh)))
        stroke = round(bold * size)
        left, top, right, bottom = _font(size).getbbox(text, stroke_width=stroke)
        cx, cy = self._xy((x0 + x1) / 2, (y0 + y1) / 2)
        v = self._v(alpha)
        self.draw.text(
            (cx - (left + right) / 2, cy - (top + bottom) / 2), text, fill=v, font=_font(size),
            stroke_width=stroke, stroke_fill=v,
        )

    def alpha(self) -> np.ndarray:
        """The layer at image resolution, ``(H, W)`` float32 in [0, 1] (box-filter antialiasing)."""
        small = self.canvas.resize((self.width, self.height), Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32) / np.float32(255)


@lru_cache(maxsize=64)
def _ink_size(text: str, bold: float) -> tuple[float, float]:
    """Width and height of the inked part of ``text`` at font size 100."""
    left, top, right, bottom = _font(100).getbbox(text, stroke_width=round(bold * 100))
    return float(right - left), float(bottom - top)


def _white(ctx: ArtefactContext) -> Colour:  # what radio-opaque objects look like
    return (1.0, 1.0, 1.0) if ctx.rgb else 1.0


def _colour(ctx: ArtefactContext, colour: Colour | list[float]) -> Colour:
    """A user colour as the image needs it: a grey level, or an RGB triple (greys repeated, RGB averaged)."""
    values = [float(c) for c in np.atleast_1d(np.asarray(colour, dtype=float))]
    if len(values) not in (1, 3) or not all(0.0 <= v <= 1.0 for v in values):
        raise ConfigError(f"colour must be a grey level or an (r, g, b) triple in [0, 1], got {colour!r}")
    if ctx.rgb:
        return (values[0],) * 3 if len(values) == 1 else (values[0], values[1], values[2])
    return float(np.mean(values))


def draw_patch(h: int, w: int, draw: Callable[[Pen], None]) -> np.ndarray:
    """Alpha ``(h, w)`` float32 in [0, 1] drawn by ``draw(pen)`` on an antialiased canvas."""
    pen = Pen(h, w)
    draw(pen)
    return pen.alpha()


# ----------------------------------------------------------------------------- artefacts


@register_artefact(
    "laterality_marker",
    label="Laterality marker (L/R)",
    description="A burned-in lead side marker: a bright bold letter, by default in the faint outline of "
    "its holder (drawn only when the marker is at least 12 px tall, so the letter stays legible), as on "
    "real films. scale = marker height / shorter side.",
    scale=0.12,
)
def _laterality_marker(ctx: ArtefactContext, *, text: str = "R", box: bool = True) -> ArtefactShape:
    """Bright letter ``text`` (e.g. "L", "R"), optionally in a rectangular holder outline (``box``)."""
    side = ctx.sized(7.0)
    box = box and side >= 12
    h, w = ctx.fit(side, side * (0.8 if box else 0.7) * max(1, len(text)))

    def draw(pen: Pen) -> None:
        if box:
            edge = max(0.6, 0.07 * h)
            pen.rect(0, 0, w, h, 0.22)  # the plastic holder, faintly radio-opaque
            pen.rect(0, 0, w, h, 0.6, width=edge)
            pad = edge + 0.12 * h
            pen.text(text, pad, pad, w - pad, h - pad, 1.0, bold=0.05)
        else:
            pen.text(text, 0, 0, w, h, 1.0, bold=0.05)

    return ArtefactShape((h, w), _white(ctx), patch=draw_patch(h, w, draw), opacity=ctx.intensity)


@register_artefact(
    "text_token",
    label="Text token (e.g. PORTABLE)",
    description="A burned-in department/technique annotation such as 'PORTABLE', in bright bold capitals. "
    "scale = text width / shorter side.",
    scale=0.35,
)
def _text_token(ctx: ArtefactContext, *, text: str = "PORTABLE", box: bool = False) -> ArtefactShape:
    """Bright bold ``text``, optionally framed."""
    bw, bh = _ink_size(text, 0.04)
    height = max(ctx.size * bh / bw, 5.0 * ctx.shrink)
    pad = 0.35 * height if box else 0.0
    h, w = ctx.fit(height + 2 * pad, height * bw / bh + 2 * pad)

    def draw(pen: Pen) -> None:
        if box:
            pen.rect(0, 0, w, h, 0.85, width=max(0.6, 0.08 * h))
        pen.text(text, pad, pad, w - pad, h - pad, 1.0, bold=0.04)

    return ArtefactShape((h, w), _white(ctx), patch=draw_patch(h, w, draw), opacity=ctx.intensity)


@register_artefact(
    "timestamp",
    label="Timestamp",
    description="A small burned-in acquisition date and time, e.g. '2019-03-14 08:42'; a random plausible "
    "one per seed unless text is given. scale = text width / shorter side.",
    scale=0.4,
)
def _timestamp(ctx: ArtefactContext, *, text: str | None = None) -> ArtefactShape:
    """Small, slightly dimmer text; ``text`` None draws a random date/time from the seed."""
    if text is None:
        r = ctx.rng
        text = (
            f"{r.integers(2008, 2024)}-{r.integers(1, 13):02d}-{r.integers(1, 29):02d} "
            f"{r.integers(0, 24):02d}:{r.integers(0, 60):02d}"
        )
    bw, bh = _ink_size(text, 0.0)
    height = max(ctx.size * bh / bw, 4.0 * ctx.shrink)
    h, w = ctx.fit(height, height * bw / bh)
    patch = draw_patch(h, w, lambda pen: pen.text(text, 0, 0, w, h, 0.9, bold=0.0))
    return ArtefactShape((h, w), _white(ctx), patch=patch, opacity=ctx.intensity)


@register_artefact(
    "ruler",
    label="Ruler",
    description="A radio-opaque graduated ruler: faint plastic body with bright ticks (long every 5th and "
    "10th) and numbers when large enough. Vertical at left/right, horizontal at top/bottom. "
    "scale = ruler length / shorter side.",
    scale=0.55,
)
def _ruler(ctx: ArtefactContext, *, orientation: str | None = None) -> ArtefactShape:
    """Graduated ruler; ``orientation`` "vertical", "horizontal" or None (from the position)."""
    if orientation is None:
        if ctx.position in ("top", "bottom"):
            orientation = "horizontal"
        elif ctx.position.startswith("random"):
            orientation = ("vertical", "horizontal")[int(ctx.rng.integers(2))]
        else:
            orientation = "vertical"
    if orientation not in ("vertical", "horizontal"):
        raise ConfigError(f"ruler orientation must be 'vertical' or 'horizontal', not {orientation!r}")
    length = ctx.sized(12.0)
    thick = max(4.0 * ctx.shrink, 0.13 * length)
    h, w = ctx.fit(length, thick) if orientation == "vertical" else ctx.fit(thick, length)
    length, thick = (h, w) if orientation == "vertical" else (w, h)
    units = int(np.clip(round(length / 3.2), 6, 40))
    step = (length - 1.0) / units

    def draw(pen: Pen) -> None:
        def seg(a: float, b0: float, b1: float) -> np.ndarray:  # a along the ruler, b across it
            return np.array([[b0, a], [b1, a]]) if orientation == "vertical" else np.array([[a, b0], [a, b1]])

        pen.rect(0, 0, w, h, 0.14)  # the plastic body, faintly visible
        pen.rect(0, 0, w, h, 0.35, width=max(0.5, 0.05 * thick))
        tick_w = max(0.45, min(0.35 * step, 0.06 * thick + 0.3))
        for i in range(units + 1):
            a = 0.5 + i * step
            frac = 0.75 if i % 10 == 0 else 0.5 if i % 5 == 0 else 0.3
            pen.line(seg(a, 0, frac * thick), tick_w, 1.0)
        if thick >= 9:  # numbers on every 10th tick, across from the ticks
            for i in range(10, units, 10):
                a = 0.5 + i * step
                s = 0.32 * thick
                if orientation == "vertical":
                    pen.text(str(i // 10), 0.55 * thick, a - s, thick - 0.1 * thick, a + s, 0.95)
                else:
                    pen.text(str(i // 10), a - s, 0.5 * thick, a + s, thick - 0.1 * thick, 0.95)

    return ArtefactShape((h, w), _white(ctx), patch=draw_patch(h, w, draw), opacity=ctx.intensity)


@register_artefact(
    "ecg_electrode",
    label="ECG electrode",
    description="An ECG electrode as seen on a chest film: bright metal stud in a ring, faint pad, and a "
    "thin lead wire curving away to the nearest image edge. scale = electrode diameter / shorter side.",
    scale=0.075,
)
def _ecg_electrode(ctx: ArtefactContext, *, wire: bool = True) -> ArtefactShape:
    """Round electrode button with an optional lead wire that runs off the nearest edge."""
    d = ctx.fit(ctx.sized(5.0), ctx.sized(5.0))[0]
    H, W = ctx.height, ctx.width
    bend = float(ctx.rng.uniform(-0.25, 0.25))
    jitter = ctx.rng.uniform(-1, 1, size=4) * 1e-3  # tie-break between equally near edges

    def paint(y0: int, x0: int) -> np.ndarray:
        pen = Pen(H, W)
        cx, cy, r = x0 + d / 2, y0 + d / 2, d / 2
        if wire:
            dist = np.array([cx, W - cx, cy, H - cy]) / max(H, W) + jitter  # left, right, top, bottom
            edge = int(np.argmin(dist))
            spread = 0.35 * min(H, W) * bend
            ends = [(-2.0, cy + spread), (W + 2.0, cy + spread), (cx + spread, -2.0), (cx + spread, H + 2.0)]
            start, end_a = np.array([cx, cy]), np.array(ends[edge])
            span = end_a - start
            normal = np.array([-span[1], span[0]]) / (np.linalg.norm(span) + 1e-9)
            ctrl = start + 0.5 * span + normal * bend * np.linalg.norm(span)
            t = np.linspace(0, 1, 64)[:, None]
            curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * ctrl + t**2 * end_a
            pen.line(curve, max(0.7, 0.011 * min(H, W)), 0.7)
            clip = curve[: max(2, int(64 * min(1.0, 0.9 * d / (np.linalg.norm(span) + 1e-9))))]
            pen.line(clip, max(1.0, 0.22 * d), 0.8)  # the lead's snap clip
        pen.ellipse(cx, cy, r, r, 0.2)  # the sensor pad
        pen.ellipse(cx, cy, r, r, 0.85, width=max(0.6, 0.14 * d))
        pen.ellipse(cx, cy, 0.22 * d, 0.22 * d, 1.0)  # the metal stud
        return pen.alpha()

    return ArtefactShape((d, d), _white(ctx), paint=paint, opacity=ctx.intensity)


@register_artefact(
    "pen_mark",
    label="Pen mark",
    description="A hand-drawn ink loop around a region (or a wavy stroke), as clinicians draw on skin or "
    "films: dark in greyscale, gentian violet in colour. intensity = ink opacity; "
    "scale = loop diameter / shorter side.",
    scale=0.3,
)
def _pen_mark(ctx: ArtefactContext, *, shape: str = "circle", colour: Colour | None = None) -> ArtefactShape:
    """Wobbly, not-quite-closed loop (``shape="circle"``) or wavy line (``shape="stroke"``)."""
    if shape not in ("circle", "stroke"):
        raise ConfigError(f"pen_mark shape must be 'circle' or 'stroke', not {shape!r}")
    r = ctx.rng
    lw = max(1.0, 0.022 * ctx.short)
    diameter = ctx.sized(8.0)
    if shape == "circle":
        aspect = float(r.uniform(0.7, 1.0))
        h, w = ctx.fit(diameter * aspect, diameter)
        theta0, overshoot = float(r.uniform(0, 2 * np.pi)), float(r.uniform(0.15, 0.6))
        phases = r.uniform(0, 2 * np.pi, size=3)
        amps = r.uniform(0.02, 0.06, size=3)
        t = np.linspace(0, 2 * np.pi + overshoot, 160)
        wobble = 1 + sum(amps[k] * np.sin((k + 2) * t + phases[k]) for k in range(3))
        wobble = wobble + 0.06 * t / (2 * np.pi)  # the pen does not meet its start: a slight spiral
        wobble = wobble / wobble.max()
        rx, ry = w / 2 - lw / 2 - 0.5, h / 2 - lw / 2 - 0.5
        angle = theta0 + t
        pts = np.stack([w / 2 + rx * wobble * np.cos(angle), h / 2 + ry * wobble * np.sin(angle)], 1)
    else:
        h, w = ctx.fit(0.35 * diameter, diameter)
        t = np.linspace(0, 1, 100)
        waves = float(r.uniform(1.0, 2.5))
        y = np.sin(2 * np.pi * waves * t + r.uniform(0, 2 * np.pi)) * (1 - 0.3 * t)
        pad = lw / 2 + 0.5
        pts = np.stack([pad + t * (w - 2 * pad), h / 2 + y * (h / 2 - pad)], 1)
    ink = ((0.45, 0.18, 0.62) if ctx.rgb else 0.06) if colour is None else _colour(ctx, colour)
    patch = draw_patch(h, w, lambda pen: pen.line(pts, lw, 1.0))
    return ArtefactShape((h, w), ink, patch=patch, opacity=ctx.intensity)


@register_artefact(
    "dark_corner",
    label="Dark corner (vignette)",
    description="The black, softly edged corner left by a round dermatoscope field of view. Corner(s) "
    "follow the position: a corner, both corners of a side, all four at 'center', or one at random. "
    "intensity = darkness; scale = extent along each edge / shorter side.",
    scale=0.25,
)
def _dark_corner(ctx: ArtefactContext) -> ArtefactShape:
    """Corner darkening bounded by a circular arc; computed analytically (already smooth)."""
    H, W, rng = ctx.height, ctx.width, ctx.rng
    corners = {
        "top_left": ["tl"], "top_right": ["tr"], "bottom_left": ["bl"], "bottom_right": ["br"],
        "top": ["tl", "tr"], "bottom": ["bl", "br"], "left": ["tl", "bl"], "right": ["tr", "br"],
        "center": ["tl", "tr", "bl", "br"],
    }.get(ctx.position) or [("tl", "tr", "bl", "br")[int(rng.integers(4))]]
    extent = ctx.sized(5.0) * float(rng.uniform(0.85, 1.15))
    extent = min(extent, 0.45 * ctx.short)
    reach = extent * float(rng.uniform(1.8, 2.6))  # the arc's centre sits ``reach`` in from the corner
    radius = math.hypot(reach - extent, reach)
    soft = 0.2 * extent
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32) + 0.5
    alpha = np.zeros((H, W), np.float32)
    for c in corners:
        dy = ys if c[0] == "t" else H - ys
        dx = xs if c[1] == "l" else W - xs
        dist = np.hypot(dy - reach, dx - reach)
        a = np.clip((dist - radius) / soft + 0.5, 0, 1)
        a = a * a * (3 - 2 * a)  # smoothstep
        a[(dy > reach) | (dx > reach)] = 0
        alpha = np.maximum(alpha, a)
    black = (0.0, 0.0, 0.0) if ctx.rgb else 0.0
    return ArtefactShape((H, W), black, paint=lambda y0, x0: alpha, fixed=(0, 0), opacity=ctx.intensity)


@register_artefact(
    "patch",
    label="Plain patch",
    description="A plain rectangle of constant grey level = intensity (or RGB colour), the simplest "
    "possible shortcut. scale = side / shorter side; aspect = width / height.",
    scale=0.12,
)
def _plain_patch(ctx: ArtefactContext, *, aspect: float = 1.0, colour: Colour | None = None) -> ArtefactShape:
    """Opaque rectangle; its grey level is ``intensity`` unless ``colour`` (grey or RGB) is given."""
    side = ctx.sized(3.0)
    h, w = ctx.fit(side, side * aspect)
    fill = _colour(ctx, ctx.intensity if colour is None else colour)
    return ArtefactShape((h, w), fill, patch=np.ones((h, w), np.float32))


# ----------------------------------------------------------------------------- placement and compositing


@dataclass(frozen=True)
class Artefacted:
    """An image with an artefact added.

    Attributes:
        image: same shape and dtype as the input, values in [0, 1].
        mask: ``(H, W)`` bool, True exactly where ``image`` differs from the input (in any channel).
    """

    image: np.ndarray
    mask: np.ndarray


def _place(
    position: str, shape: ArtefactShape, ctx: ArtefactContext, avoid: np.ndarray | None
) -> tuple[int, int] | None:
    """Top-left offset (y, x) of the shape's body, or None when nothing fits outside ``avoid``."""
    H, W, m = ctx.height, ctx.width, ctx.margin
    h, w = shape.size
    ylo, xlo = min(m, H - h), min(m, W - w)
    yhi, xhi = max(ylo, H - h - m), max(xlo, W - w - m)
    named = {
        "top_left": (ylo, xlo), "top_right": (ylo, xhi),
        "bottom_left": (yhi, xlo), "bottom_right": (yhi, xhi),
        "top": (ylo, (W - w) // 2), "bottom": (yhi, (W - w) // 2), "left": ((H - h) // 2, xlo),
        "right": ((H - h) // 2, xhi), "center": ((H - h) // 2, (W - w) // 2),
    }
    if position in named:
        return named[position]
    if position == "random":
        return int(ctx.rng.integers(ylo, yhi + 1)), int(ctx.rng.integers(xlo, xhi + 1))
    assert avoid is not None
    footprint = shape.patch > 0 if shape.patch is not None else np.ones((h, w), bool)
    # overlap[y, x] = number of avoid pixels under the footprint placed at (y, x); circular FFT correlation
    # is exact for offsets with y + h <= H and x + w <= W, the only ones used.
    product = np.fft.rfft2(avoid.astype(float)) * np.conj(np.fft.rfft2(footprint.astype(float), s=(H, W)))
    overlap = np.fft.irfft2(product, s=(H, W))[ylo : yhi + 1, xlo : xhi + 1]
    free = np.flatnonzero(overlap < 0.5)
    if free.size == 0:
        return None
    k = int(free[ctx.rng.integers(free.size)])
    return ylo + k // overlap.shape[1], xlo + k % overlap.shape[1]


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ImageError(f"image must be (H, W) or (H, W, 3), got shape {image.shape}")
    if not np.issubdtype(image.dtype, np.floating):
        raise ImageError(f"image must be float in [0, 1], got {image.dtype}; for uint8 use image / 255")
    if min(image.shape[:2]) < MIN_SIDE:
        raise ImageError(f"image is {image.shape[:2]}; artefacts need at least {MIN_SIDE} px per side")
    if not (image.min() >= 0 and image.max() <= 1):  # also catches NaN
        raise ImageError("image values must lie in [0, 1]; rescale the image first")
    return image


def add_artefact(
    image: np.ndarray,
    name: str,
    *,
    position: str = "random",
    scale: float | None = None,
    intensity: float = 1.0,
    seed: int = 0,
    avoid: np.ndarray | None = None,
    **params: Any,
) -> Artefacted:
    """Draw artefact ``name`` onto a copy of ``image``; the input is never modified.

    Args:
        image: ``(H, W)`` greyscale or ``(H, W, 3)`` RGB, float in [0, 1], sides of 16 px or more.
        name: a name from :func:`list_artefacts`.
        position: "top_left", "top_right", "bottom_left", "bottom_right", "top", "bottom", "left", "right",
            "center", "random" (seeded, fully inside the image) or "random_outside" (random, and no
            changed pixel inside ``avoid``). Placed artefacts keep a margin of 4% of the shorter side.
        scale: size relative to the shorter image side (what is measured depends on the artefact, see
            ``ARTEFACTS.get(name).description``); None uses the artefact's default. Very small images get
            a minimum size in pixels so that the artefact stays recognisable.
        intensity: strength in [0, 1]: opacity of bright markers/text/ruler/electrode and of pen ink,
            darkness of ``dark_corner``, grey level of ``patch``.
        seed: all random choices (placement, shape jitter, timestamp text) come from this seed.
        avoid: ``(H, W)`` bool, required for "random_outside", e.g. :func:`central_region`.
        **params: artefact-specific options, e.g. ``text="L"`` for ``laterality_marker``.

    Returns:
        :class:`Artefacted` with the new image (same shape and dtype) and the exact changed-pixel mask.

    Raises:
        RegistryError: unknown artefact name.
        ImageError: the image has the wrong shape, dtype or range.
        ConfigError (a ValueError): bad position, scale, intensity, ``avoid`` or params; or no room outside ``avoid``.
    """
    info = ARTEFACTS.get(name)
    img = _check_image(image)
    H, W = img.shape[:2]
    if position not in POSITIONS:
        raise ConfigError(f"position must be one of {', '.join(POSITIONS)}; got {position!r}")
    if not 0.0 <= intensity <= 1.0:
        raise ConfigError(f"intensity must lie in [0, 1], got {intensity}")
    scale = info.default_scale if scale is None else float(scale)
    if not 0.0 < scale <= 1.0:
        raise ConfigError(f"scale must lie in (0, 1], got {scale}")
    unknown = set(params) - set(info.params)
    if unknown:
        raise ConfigError(
            f"{name} takes no parameter(s) {sorted(unknown)}; its parameters are {info.params or 'none'}"
        )
    if avoid is not None:
        avoid = np.asarray(avoid, dtype=bool)
        if avoid.shape != (H, W):
            raise ConfigError(f"avoid must be a bool mask of shape {(H, W)}, got {avoid.shape}")
    if position == "random_outside" and avoid is None:
        raise ConfigError("position 'random_outside' needs avoid=, e.g. avoid=central_region(h, w)")

    rng = np.random.default_rng(seed)
    ctx = ArtefactContext(H, W, scale * min(H, W), float(intensity), img.ndim == 3, rng, position)
    for attempt in range(_TRIES if position == "random_outside" else 1):
        shrink = 0.85 ** (attempt // 2)  # random_outside: retry, then shrink what does not fit
        shape = info.make(replace(ctx, size=ctx.size * shrink, shrink=shrink), **params)
        offset = shape.fixed or _place(position, shape, ctx, avoid)
        if offset is None:
            continue
        y0, x0 = offset
        if shape.patch is not None:
            h, w = shape.size
            alpha = np.zeros((H, W), np.float32)
            alpha[y0 : y0 + h, x0 : x0 + w] = shape.patch
        else:
            assert shape.paint is not None
            alpha = shape.paint(y0, x0)
        if position == "random_outside" and np.any((alpha > 0) & avoid):
            continue
        break
    else:
        raise ConfigError(
            f"no room for {name} outside the avoid region of this {H}x{W} image, even shrunk to "
            f"{shrink:.0%} of scale {scale:g}; use a smaller scale or a smaller avoid mask"
        )

    alpha = alpha * np.float32(shape.opacity)
    out = img.copy()
    sel = alpha > 0
    a = alpha[sel].astype(img.dtype)
    colour = np.asarray(shape.colour, dtype=img.dtype)
    if img.ndim == 3:
        a = a[:, None]
    out[sel] = np.clip((1 - a) * img[sel] + a * colour, 0, 1)
    changed = out != img
    return Artefacted(out, changed.any(axis=-1) if img.ndim == 3 else changed)


def central_region(h: int, w: int) -> np.ndarray:
    """A proxy for the lung fields and mediastinum of a frontal chest X-ray, ``(h, w)`` bool.

    The ellipse inscribed in the box spanning the middle 60% of the width (20%..80%) and 15%..90% of the
    height. Pass it as ``avoid`` with ``position="random_outside"`` so that markers land near the edges and
    corners, where real ones are, and never cover anatomy. A proxy only: real lungs vary with patient,
    projection and inspiration.
    """
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    cy, cx, ry, rx = 0.525 * h, 0.5 * w, 0.375 * h, 0.3 * w
    return ((ys - cy) / ry) ** 2 + ((xs - cx) / rx) ** 2 <= 1.0


# ----------------------------------------------------------------------------- confounded datasets

CONDITIONS: dict[str, tuple[float, float]] = {
    "none": (0.0, 0.0),  # no artefact anywhere: the clean baseline
    "aligned": (1.0, 0.0),  # artefact on every positive image only: the shortcut works
    "swapped": (0.0, 1.0),  # artefact on every negative image only: the shortcut now misleads
    "all": (1.0, 1.0),  # artefact everywhere: present but uninformative
}


@dataclass(frozen=True)
class ConfoundSpec:
    """How to plant a shortcut: which artefact, and how often per class.

    Attributes:
        artefact: a name from :func:`list_artefacts`.
        p_positive: probability that an image with label ``positive_label`` gets the artefact.
        p_negative: probability for every other image.
        seed: fixes who gets an artefact and every placement.
        positive_label: the label the artefact is (anti-)correlated with.
        params: extra keyword arguments for :func:`add_artefact` as sorted (key, value) pairs, e.g.
            ``(("scale", 0.1), ("text", "L"))``.
        position: placement; the default keeps artefacts off the central lung region.
    """

    artefact: str
    p_positive: float
    p_negative: float
    seed: int = 0
    positive_label: int = 1
    params: tuple[tuple[str, Any], ...] = ()
    position: str = "random_outside"


def condition_spec(artefact: str, condition: str, seed: int = 0, **params: Any) -> ConfoundSpec:
    """A :class:`ConfoundSpec` for a named condition of :data:`CONDITIONS`.

    ``params`` go to :func:`add_artefact`; ``position=`` and ``positive_label=`` set those fields.
    """
    ARTEFACTS.get(artefact)  # RegistryError for unknown names, before any work
    if condition not in CONDITIONS:
        raise ConfigError(f"condition must be one of {', '.join(CONDITIONS)}; got {condition!r}")
    position = params.pop("position", "random_outside")
    positive_label = int(params.pop("positive_label", 1))
    p_pos, p_neg = CONDITIONS[condition]
    return ConfoundSpec(artefact, p_pos, p_neg, seed, positive_label, tuple(sorted(params.items())), position)


@dataclass(frozen=True)
class ConfoundedDataset:
    """A dataset with an artefact planted in some images.

    Attributes:
        images: ``(N, H, W)`` uint8, the images with artefacts.
        labels: ``(N,)`` int64, unchanged.
        masks: ``(N, H, W)`` bool, True exactly where ``images`` differ from the originals.
        has_artefact: ``(N,)`` bool, which images were chosen to get the artefact.
        class_names: as in the source dataset.
        spec: how the artefacts were planted.
        name: source name plus the artefact and its probabilities.
        files: source file per image, if the source had them.
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    has_artefact: np.ndarray
    class_names: tuple[str, ...]
    spec: ConfoundSpec
    name: str = ""
    files: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.labels)

    def as_dataset(self) -> ImageArrayDataset:
        """The images and labels as a plain :class:`ImageArrayDataset`, for training and evaluation."""
        from .data import ImageArrayDataset

        return ImageArrayDataset(self.images, self.labels, self.class_names, self.name, self.files)


def confound(
    dataset: ImageArrayDataset, spec: ConfoundSpec, avoid: np.ndarray | None = None
) -> ConfoundedDataset:
    """Add ``spec.artefact`` to each image with probability ``p_positive`` (label == positive_label) or
    ``p_negative`` (other labels).

    Who gets an artefact is drawn from ``default_rng(spec.seed)``; image i is drawn with seed
    ``spec.seed * 1_000_003 + i``, so the result is deterministic and each image independent of the others.
    Images go to float [0, 1] and back with rounding; masks are the exact uint8 differences.

    Args:
        dataset: greyscale ``(N, H, W)`` uint8 images.
        spec: the artefact, its probabilities and options.
        avoid: ``(H, W)`` bool region no artefact may touch when ``spec.position`` is "random_outside";
            defaults to :func:`central_region`.
    """
    ARTEFACTS.get(spec.artefact)
    if spec.position not in POSITIONS:
        raise ConfigError(f"spec.position must be one of {', '.join(POSITIONS)}; got {spec.position!r}")
    for p in (spec.p_positive, spec.p_negative):
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"probabilities must lie in [0, 1], got {p}")
    kwargs = dict(spec.params)
    clash = set(kwargs) & {"position", "seed", "avoid"}
    if clash:
        raise ConfigError(f"spec.params may not set {sorted(clash)}; they come from the spec and confound()")
    n, h, w = dataset.images.shape
    if spec.position == "random_outside" and avoid is None:
        avoid = central_region(h, w)
    labels = np.asarray(dataset.labels)
    p = np.where(labels == spec.positive_label, spec.p_positive, spec.p_negative)
    has = np.random.default_rng(spec.seed).random(n) < p
    images = dataset.images.copy()
    masks = np.zeros((n, h, w), bool)
    bar = tqdm(np.flatnonzero(has), desc=f"adding {spec.artefact}", unit="img", leave=False, disable=n <= 500)
    for i in bar:
        src = dataset.images[i]
        try:
            res = add_artefact(
                src.astype(np.float32) / np.float32(255), spec.artefact, position=spec.position,
                seed=spec.seed * 1_000_003 + int(i), avoid=avoid, **kwargs,
            )
        except (ValueError, TypeError) as exc:  # bad options reach the artefact makers as TypeError too
            raise DataError(f"image {i} of {dataset.name or 'the dataset'}: {exc}") from exc
        out = src.copy()
        out[res.mask] = np.clip(np.rint(res.image[res.mask] * 255), 0, 255).astype(np.uint8)
        images[i] = out
        masks[i] = out != src
    name = f"{dataset.name}+{spec.artefact}({spec.p_positive:g}/{spec.p_negative:g})"
    return ConfoundedDataset(
        images, labels, masks, has, dataset.class_names, spec, name, dataset.files
    )


def check_artefact(name: str, params: dict[str, Any]) -> None:
    """Draw ``name`` with ``params`` once on a blank 64 px image, so that a bad option is reported before a
    dataset is loaded.

    Raises:
        RegistryError: unknown artefact. ConfigError: an option it does not take or cannot use.
    """
    ARTEFACTS.get(name)
    try:
        add_artefact(np.zeros((64, 64), np.float32), name, avoid=central_region(64, 64),
                     **{"position": "random_outside", **params})
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"artefact {name!r} cannot be drawn with options {params}: {exc}") from None
