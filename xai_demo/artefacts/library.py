"""The registered artefacts: laterality marker, text token, timestamp, ruler, ECG electrode, pen mark, dark
corner and plain patch. Each sizes itself from ``ctx.size`` and takes every random choice from ``ctx.rng``."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from .base import ArtefactContext, ArtefactShape, Colour, register_artefact
from .pen import Pen, draw_patch, ink_size


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
    bw, bh = ink_size(text, 0.04)
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
    bw, bh = ink_size(text, 0.0)
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
