"""Placing a drawn artefact on an image and compositing it, with the exact mask of the changed pixels."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ConfigError, ImageError
from .base import ARTEFACTS, MIN_SIDE, POSITIONS, ArtefactContext, ArtefactInfo, ArtefactShape, Colour

TRIES = 20  # attempts to place an artefact outside ``avoid`` (shrinking it every second attempt)


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
    scale = info.default_scale if scale is None else float(scale)
    avoid = _check_settings(info, (H, W), position, scale, intensity, avoid, params)
    ctx = ArtefactContext(H, W, scale * min(H, W), float(intensity), img.ndim == 3, np.random.default_rng(seed),
                          position)
    shape, alpha = _draw_and_place(info, ctx, avoid, params)
    return _composite(img, alpha * np.float32(shape.opacity), shape.colour)


def _check_settings(info: ArtefactInfo, hw: tuple[int, int], position: str, scale: float, intensity: float,
                    avoid: np.ndarray | None, params: dict[str, Any]) -> np.ndarray | None:
    """``avoid`` as a bool mask (or None); ConfigError saying which setting of :func:`add_artefact` is wrong."""
    if position not in POSITIONS:
        raise ConfigError(f"position must be one of {', '.join(POSITIONS)}; got {position!r}")
    if not 0.0 <= intensity <= 1.0:
        raise ConfigError(f"intensity must lie in [0, 1], got {intensity}")
    if not 0.0 < scale <= 1.0:
        raise ConfigError(f"scale must lie in (0, 1], got {scale}")
    unknown = set(params) - set(info.params)
    if unknown:
        raise ConfigError(
            f"{info.name} takes no parameter(s) {sorted(unknown)}; its parameters are {info.params or 'none'}"
        )
    if avoid is not None:
        avoid = np.asarray(avoid, dtype=bool)
        if avoid.shape != hw:
            raise ConfigError(f"avoid must be a bool mask of shape {hw}, got {avoid.shape}")
    if position == "random_outside" and avoid is None:
        raise ConfigError("position 'random_outside' needs avoid=, e.g. avoid=central_region(h, w)")
    return avoid


def _draw_and_place(info: ArtefactInfo, ctx: ArtefactContext, avoid: np.ndarray | None, params: dict[str, Any]
                    ) -> tuple[ArtefactShape, np.ndarray]:
    """Draw the artefact and place it: (shape, alpha (H, W) float32). With "random_outside", retries and
    shrinks until nothing lands inside ``avoid``, else ConfigError."""
    H, W, position = ctx.height, ctx.width, ctx.position
    for attempt in range(TRIES if position == "random_outside" else 1):
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
        return shape, alpha
    raise ConfigError(
        f"no room for {info.name} outside the avoid region of this {H}x{W} image, even shrunk to "
        f"{shrink:.0%} of scale {ctx.size / ctx.short:g}; use a smaller scale or a smaller avoid mask"
    )


def _composite(img: np.ndarray, alpha: np.ndarray, colour: Colour) -> Artefacted:
    """``(1 - alpha) * img + alpha * colour`` and the mask of the pixels that changed."""
    out = img.copy()
    sel = alpha > 0
    a = alpha[sel].astype(img.dtype)
    colour_ = np.asarray(colour, dtype=img.dtype)
    if img.ndim == 3:
        a = a[:, None]
    out[sel] = np.clip((1 - a) * img[sel] + a * colour_, 0, 1)
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
