"""Pictures: a saliency map over its grayscale image, with a legend, and grids of such overlays.

Pure functions from arrays to PIL images (RGB). Text is drawn with :func:`xai_demo.fonts.font` (a system font
with French accents, else Pillow's own with accents dropped), at sizes proportional to the picture so that
labels stay legible when a figure fills a projector.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from .errors import ConfigError
from .fonts import drawable, font

MapMode = Literal["positive", "absolute", "signed"]

# Control points of perceptually ordered colormaps (sampled from matplotlib's "inferno" and a
# blue-white-red diverging map), interpolated linearly to 256 entries.
_INFERNO = [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21),
            (250, 193, 39), (252, 255, 164)]
_DIVERGING = [(33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247), (253, 219, 199),
              (239, 138, 98), (178, 24, 43)]


@functools.lru_cache(maxsize=4)
def colormap(name: Literal["inferno", "diverging"]) -> np.ndarray:
    """A ``(256, 3)`` uint8 lookup table."""
    points = np.asarray(_INFERNO if name == "inferno" else _DIVERGING, dtype=np.float64)
    xs = np.linspace(0, 1, len(points))
    grid = np.linspace(0, 1, 256)
    table = np.stack([np.interp(grid, xs, points[:, c]) for c in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


def _as_gray(image: np.ndarray | Image.Image) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr.mean(axis=0) if arr.shape[0] in (1, 3) else arr.mean(axis=-1)
    if arr.max() > 1.0 + 1e-6:
        arr = arr / 255.0
    return np.clip(arr, 0.0, 1.0)


def _resize_float(arr: np.ndarray, size: tuple[int, int], smooth: bool) -> np.ndarray:
    img = Image.fromarray(arr.astype(np.float32), mode="F")
    method = Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST
    return np.asarray(img.resize(size, method), dtype=np.float32)


def map_to_unit(attr: np.ndarray, mode: MapMode, percentile: float = 100.0) -> np.ndarray:
    """Map a signed attribution ``(H, W)`` to [0, 1] for colouring.

    "positive": negatives become 0, the largest value 1 (evidence *for* the class);
    "absolute": |attr| / max |attr| (evidence either way);
    "signed": 0.5 is zero, 1 the strongest evidence for, 0 the strongest against.
    With ``percentile`` < 100 the scale is that percentile of the non-zero magnitudes instead of the
    maximum (values above it saturate), so that sparse pixel-level maps stay visible.
    """
    a = np.nan_to_num(np.asarray(attr, dtype=np.float32))
    if mode == "positive":
        a = np.clip(a, 0.0, None)
    elif mode == "absolute":
        a = np.abs(a)
    elif mode != "signed":
        raise ConfigError(f"mode must be 'positive', 'absolute' or 'signed', not {mode!r}")
    magnitudes = np.abs(a)
    nonzero = magnitudes[magnitudes > 0]
    peak = float(np.percentile(nonzero, percentile)) if nonzero.size and percentile < 100 else float(magnitudes.max())
    if peak == 0:
        return np.full(a.shape, 0.5 if mode == "signed" else 0.0, np.float32)
    scaled = np.clip(a / peak, -1.0, 1.0)
    return (scaled + 1.0) / 2.0 if mode == "signed" else scaled


def overlay(
    image: np.ndarray | Image.Image,
    attr: np.ndarray,
    *,
    alpha: float = 0.5,
    mode: MapMode = "positive",
    size: int = 384,
    legend: bool = True,
    mask: np.ndarray | None = None,
    caption: str | None = None,
    percentile: float = 99.5,
) -> Image.Image:
    """Draw a saliency map over its grayscale image.

    Args:
        image: ``(H, W)`` in [0, 1] (or uint8), or a PIL image.
        attr: ``(h, w)`` attribution, any scale; resized to the image with bilinear interpolation.
        alpha: opacity of the map in [0, 1]; where the map is ~0 the image shows through regardless.
        mode: see :func:`map_to_unit`; "signed" uses a blue (against) / red (for) diverging colormap.
        size: side of the square picture in pixels.
        legend: add a colour bar with its meaning on the right.
        mask: optional ``(H, W)`` bool region (e.g. an artefact) outlined in cyan.
        caption: optional text above the picture.
        percentile: colour scale saturates at this percentile of the non-zero magnitudes (100 = the
            maximum), so that the few strongest pixels of a gradient map do not hide all the others.

    Returns:
        An RGB PIL image, ``size`` px high plus caption, wider by the legend.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must be in [0, 1], not {alpha}")
    gray = _resize_float(_as_gray(image), (size, size), smooth=True)
    unit = _resize_float(map_to_unit(attr, mode, percentile), (size, size), smooth=True)
    table = colormap("diverging" if mode == "signed" else "inferno")
    colour = table[np.clip((unit * 255).round().astype(int), 0, 255)].astype(np.float32) / 255.0
    strength = np.abs(unit - 0.5) * 2 if mode == "signed" else unit
    weight = (alpha * np.clip(strength * 1.5, 0, 1))[..., None]  # faint evidence stays see-through
    base = np.repeat(gray[..., None], 3, axis=2)
    rgb = base * (1 - weight) + colour * weight
    picture = Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8), "RGB")
    if mask is not None and np.any(mask):
        picture = outline(picture, mask)
    if legend:
        picture = _with_legend(picture, mode)
    if caption:
        picture = _with_caption(picture, caption)
    return picture


def outline(picture: Image.Image, mask: np.ndarray, colour: tuple[int, int, int] = (0, 230, 255)) -> Image.Image:
    """Outline the boundary of a bool ``mask`` (any resolution) on an RGB picture."""
    m = np.asarray(Image.fromarray(np.asarray(mask, bool).astype(np.uint8) * 255).resize(
        picture.size, Image.Resampling.NEAREST)) > 127
    edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
    thick = edge | np.roll(edge, 1, 0) | np.roll(edge, 1, 1)
    arr = np.array(picture)
    arr[thick] = colour
    return Image.fromarray(arr)


def _with_legend(picture: Image.Image, mode: MapMode) -> Image.Image:
    h = picture.height
    bar_w, pad = max(12, h // 24), max(6, h // 48)
    text_size = max(12, h // 14)
    labels = {"positive": ("max", "0"), "absolute": ("max", "0"), "signed": ("+", "-")}[mode]
    table = colormap("diverging" if mode == "signed" else "inferno")
    width = bar_w + 3 * pad + text_size * 2
    canvas = Image.new("RGB", (picture.width + width, h), (255, 255, 255))
    canvas.paste(picture, (0, 0))
    bar_h = h - 2 * pad
    ramp = table[np.linspace(255, 0, bar_h).round().astype(int)]
    bar = Image.fromarray(np.repeat(ramp[:, None, :], bar_w, axis=1).astype(np.uint8), "RGB")
    x0 = picture.width + pad
    canvas.paste(bar, (x0, pad))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle([x0, pad, x0 + bar_w - 1, pad + bar_h - 1], outline=(80, 80, 80))
    f = font(text_size)
    draw.text((x0 + bar_w + pad // 2, pad), labels[0], fill=(0, 0, 0), font=f)
    draw.text((x0 + bar_w + pad // 2, pad + bar_h - text_size), labels[1], fill=(0, 0, 0), font=f)
    if mode == "signed":
        draw.text((x0 + bar_w + pad // 2, pad + bar_h // 2 - text_size // 2), "0", fill=(0, 0, 0), font=f)
    return canvas


def wrap(text: str, face, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` px in ``face`` (a longer word stays whole)."""
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and probe.textlength(trial, font=face) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def _with_caption(picture: Image.Image, caption: str, text_size: int | None = None) -> Image.Image:
    text_size = text_size or max(14, picture.height // 12)
    f = font(text_size)
    lines = wrap(drawable(caption, f), f, picture.width - 12)
    band = (text_size + 4) * len(lines) + 6
    canvas = Image.new("RGB", (picture.width, picture.height + band), (255, 255, 255))
    canvas.paste(picture, (0, band))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((6, 3 + i * (text_size + 4)), line, fill=(0, 0, 0), font=f)
    return canvas


def grid(
    panels: Sequence[Image.Image],
    ncols: int,
    *,
    titles: Sequence[str] | None = None,
    row_titles: Sequence[str] | None = None,
    gap: int = 8,
) -> Image.Image:
    """Arrange pictures in a grid (row-major) on white, with optional column and row titles."""
    if not panels:
        raise ConfigError("grid needs at least one picture")
    cell_w = max(p.width for p in panels)
    cell_h = max(p.height for p in panels)
    nrows = -(-len(panels) // ncols)
    text_size = max(16, cell_h // 10)
    top = (text_size + 12) if titles else 0
    left = 0
    f = font(text_size)
    if row_titles:
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        lines = [drawable(line, f) for title in row_titles for line in title.split("\n")]
        left = int(max(probe.textlength(line, font=f) for line in lines)) + 2 * gap
    width = left + ncols * cell_w + (ncols + 1) * gap
    height = top + nrows * cell_h + (nrows + 1) * gap
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for i, panel in enumerate(panels):
        r, c = divmod(i, ncols)
        canvas.paste(panel, (left + gap + c * (cell_w + gap), top + gap + r * (cell_h + gap)))
    for c, title in enumerate(titles or []):
        x = left + gap + c * (cell_w + gap)
        draw.text((x + 4, 6), drawable(title, f), fill=(0, 0, 0), font=f)
    for r, title in enumerate(row_titles or []):
        lines = title.split("\n")
        y = top + gap + r * (cell_h + gap) + cell_h // 2 - len(lines) * (text_size + 4) // 2
        draw.multiline_text((gap, y), drawable(title, f), fill=(0, 0, 0), font=f, spacing=4)
    return canvas


def explanation_figure(explanations: Sequence, *, alpha: float = 0.5, size: int = 256,
                       mode: MapMode = "positive", mask: np.ndarray | None = None) -> Image.Image:
    """One row: the input image, then each :class:`~xai_demo.explain.Explanation` as an overlay."""
    first = explanations[0]
    image = Image.fromarray((first.image * 255).round().astype(np.uint8)).resize((size, size))
    panels = [image.convert("RGB")]
    panels += [overlay(e.image, e.map, alpha=alpha, mode=mode, size=size, legend=False, mask=mask)
               for e in explanations]
    titles = ["image"] + [e.label for e in explanations]
    return grid(panels, len(panels), titles=titles)
