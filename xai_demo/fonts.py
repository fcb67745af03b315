"""Fonts for text drawn into pictures, from one cache.

Two roles. **Labels** (legends, captions, figure titles) must draw French and other accented text, so they
use the first system sans-serif font that has those glyphs (DejaVu Sans, Liberation Sans, Arial, Helvetica,
Segoe UI, Noto Sans, found by Pillow in the system's font folders). Pillow's bundled scalable font
(Aileron, Pillow >= 10.1) lacks é, è, à, ç, î, ô and œ, so it is only the last resort, and then
:func:`drawable` drops the accents rather than drawing empty boxes. **Artefacts** burnt into training
images keep Pillow's bundled font whatever the system, so the committed shortcut models see exactly the
marker they were trained on. Nothing is fetched.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

Role = Literal["label", "artefact"]
CANDIDATES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc",
              "segoeui.ttf", "NotoSans-Regular.ttf", "FreeSans.ttf")
GLYPHS = "éèàçîôœêâùûëïÉÈÀÇ«»’…"  # what French labels need
FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


def covers(face: FontType, text: str = GLYPHS) -> bool:
    """Whether ``face`` draws every character of ``text`` with its own glyph (not the missing-glyph box)."""
    def ink(ch: str) -> bytes:
        canvas = Image.new("L", (64, 64))
        ImageDraw.Draw(canvas).text((8, 8), ch, font=face, fill=255)
        return canvas.tobytes()

    missing = ink("\uffff")
    return all(ink(ch) != missing for ch in text)


@lru_cache(maxsize=1)
def _label_source() -> str | None:
    """The file name of the first candidate that is installed and covers :data:`GLYPHS` (None: Pillow's)."""
    for name in CANDIDATES:
        try:
            face = ImageFont.truetype(name, 24)
        except OSError:
            continue
        if covers(face):
            return name
    log.warning("no system font with French accents found (tried %s); labels drop their accents",
                ", ".join(CANDIDATES))
    return None


@lru_cache(maxsize=256)
def font(size: int, role: Role = "label") -> FontType:
    """A scalable font at ``size`` px for ``role`` (see the module docstring)."""
    source = _label_source() if role == "label" else None
    return ImageFont.truetype(source, size) if source else ImageFont.load_default(size=size)


def drawable(text: str, face: FontType | None = None) -> str:
    """``text`` as ``face`` (default: the label font) can draw it: unchanged when the glyphs are there, else
    with accents removed ("modèle entraîné" -> "modele entraine") and « » ’ … spelled in ASCII."""
    face = face or font(24)
    if covers(face, "".join(sorted({ch for ch in text if ord(ch) > 127}))):
        return text
    text = text.replace("«", '"').replace("»", '"').replace("’", "'").replace("…", "...").replace("œ", "oe")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


__all__ = ["CANDIDATES", "GLYPHS", "covers", "drawable", "font"]
