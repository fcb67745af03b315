"""The drawing pen: antialiased shapes and text on a supersampled canvas, returned as an alpha layer."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from ..fonts import font


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
        bw, bh = ink_size(text, bold)
        size = max(4, int(100 * min((x1 - x0) * self.ss / bw, (y1 - y0) * self.ss / bh)))
        stroke = round(bold * size)
        left, top, right, bottom = font(size, "artefact").getbbox(text, stroke_width=stroke)
        cx, cy = self._xy((x0 + x1) / 2, (y0 + y1) / 2)
        v = self._v(alpha)
        self.draw.text(
            (cx - (left + right) / 2, cy - (top + bottom) / 2), text, fill=v, font=font(size, "artefact"),
            stroke_width=stroke, stroke_fill=v,
        )

    def alpha(self) -> np.ndarray:
        """The layer at image resolution, ``(H, W)`` float32 in [0, 1] (box-filter antialiasing)."""
        small = self.canvas.resize((self.width, self.height), Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32) / np.float32(255)


@lru_cache(maxsize=64)
def ink_size(text: str, bold: float) -> tuple[float, float]:
    """Width and height of the inked part of ``text`` at font size 100."""
    left, top, right, bottom = font(100, "artefact").getbbox(text, stroke_width=round(bold * 100))
    return float(right - left), float(bottom - top)


def draw_patch(h: int, w: int, draw: Callable[[Pen], None]) -> np.ndarray:
    """Alpha ``(h, w)`` float32 in [0, 1] drawn by ``draw(pen)`` on an antialiased canvas."""
    pen = Pen(h, w)
    draw(pen)
    return pen.alpha()
