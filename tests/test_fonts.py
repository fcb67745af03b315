"""One font cache: labels draw French accents; artefacts keep Pillow's own font (what the models learned)."""

from __future__ import annotations

import numpy as np
from PIL import ImageFont

from xai_demo.fonts import GLYPHS, covers, drawable, font
from xai_demo.viz import grid, overlay


def test_label_font_draws_french_accents() -> None:
    assert covers(font(20), "modèle entraîné " + GLYPHS)


def test_drawable_keeps_text_the_font_can_draw() -> None:
    assert drawable("modèle entraîné « ok »") == "modèle entraîné « ok »"


def test_drawable_drops_accents_for_a_font_without_them() -> None:
    bundled = ImageFont.load_default(size=20)
    assert not covers(bundled, "è")
    assert drawable("modèle entraîné « œil »", bundled) == 'modele entraine " oeil "'


def test_artefact_font_is_pillows_bundled_font() -> None:
    assert font(30, "artefact").getbbox("L") == ImageFont.load_default(size=30).getbbox("L")


def test_one_cache_for_both_roles() -> None:
    assert font(17) is font(17) and font(17, "artefact") is font(17, "artefact")


def test_figure_text_scales_with_the_picture() -> None:
    small = overlay(np.zeros((8, 8)), np.ones((8, 8)), size=200, caption="modèle entraîné")
    large = overlay(np.zeros((8, 8)), np.ones((8, 8)), size=800, caption="modèle entraîné")
    band_small, band_large = small.height - 200, large.height - 800
    assert band_large > 2.5 * band_small  # caption band (text size) grows with the picture
    assert grid([small, small], 2, titles=["modèle entraîné", "randomisé"]).height > small.height
