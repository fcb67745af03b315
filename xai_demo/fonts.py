"""Pillow's bundled scalable sans (Aileron), cached per size: no font files, nothing fetched."""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont


@lru_cache(maxsize=256)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` px (shared by the figures and the burnt-in artefact text)."""
    return ImageFont.load_default(size=size)


__all__ = ["font"]
