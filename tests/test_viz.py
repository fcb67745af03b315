"""Overlays and grids: sizes, colours where the evidence is, legends, outlines."""

from __future__ import annotations

import numpy as np
import pytest

from xai_demo.viz import colormap, grid, map_to_unit, overlay


def _inputs():
    image = np.full((32, 32), 0.5, np.float32)
    attr = np.zeros((32, 32), np.float32)
    attr[4:10, 20:28] = 1.0  # evidence top right
    attr[24:30, 2:8] = -1.0  # counter-evidence bottom left
    return image, attr


def test_overlay_colours_only_where_the_evidence_is() -> None:
    image, attr = _inputs()
    pic = np.asarray(overlay(image, attr, size=64, legend=False, alpha=0.8)).astype(int)
    assert pic.shape == (64, 64, 3)
    hot, cold = pic[14, 48], pic[54, 10]
    assert hot[0] > hot[2] + 50  # warm colour over the evidence
    assert abs(cold[0] - cold[1]) < 3 and abs(cold[0] - 128) < 3  # "positive" mode hides negatives


def test_signed_mode_shows_both_signs() -> None:
    image, attr = _inputs()
    pic = np.asarray(overlay(image, attr, size=64, legend=False, mode="signed", alpha=1.0)).astype(int)
    assert pic[14, 48, 0] > pic[14, 48, 2] + 60  # red for evidence for
    assert pic[54, 10, 2] > pic[54, 10, 0] + 60  # blue for evidence against


def test_alpha_zero_shows_the_plain_image() -> None:
    image, attr = _inputs()
    pic = np.asarray(overlay(image, attr, size=32, legend=False, alpha=0.0))
    assert np.all(np.abs(pic.astype(int) - 128) <= 1)
    with pytest.raises(ValueError):
        overlay(image, attr, alpha=1.5)


def test_legend_caption_and_mask_outline() -> None:
    image, attr = _inputs()
    plain = overlay(image, attr, size=96, legend=False)
    with_legend = overlay(image, attr, size=96, legend=True, caption="Grad-CAM")
    assert with_legend.width > plain.width and with_legend.height > plain.height
    mask = np.zeros((32, 32), bool)
    mask[12:20, 12:20] = True
    outlined = np.asarray(overlay(image, np.zeros_like(attr), size=64, legend=False, mask=mask))
    assert (outlined[24, 30] == (0, 230, 255)).all()  # on the outline
    assert (outlined[32, 32] != (0, 230, 255)).any()  # inside stays


def test_map_to_unit_modes_and_zero_map() -> None:
    a = np.array([[-2.0, 0.0, 1.0]])
    np.testing.assert_allclose(map_to_unit(a, "positive"), [[0, 0, 1]])
    np.testing.assert_allclose(map_to_unit(a, "absolute"), [[1, 0, 0.5]])
    np.testing.assert_allclose(map_to_unit(a, "signed"), [[0, 0.5, 0.75]])
    assert map_to_unit(np.zeros((2, 2)), "positive").max() == 0
    sparse = np.zeros((10, 10))
    sparse[0, :9] = 0.1
    sparse[9, 9] = 1.0  # one outlier would make every other pixel look like 0.1
    assert map_to_unit(sparse, "positive", percentile=80)[0, 0] == 1.0
    assert map_to_unit(sparse, "positive")[0, 0] == pytest.approx(0.1)
    with pytest.raises(ValueError):
        map_to_unit(a, "nonsense")  # type: ignore[arg-type]


def test_colormap_is_monotonic_in_lightness() -> None:
    table = colormap("inferno").astype(float)
    lightness = table @ [0.299, 0.587, 0.114]
    assert np.all(np.diff(lightness) >= -0.5)


def test_grid_layout() -> None:
    image, attr = _inputs()
    panels = [overlay(image, attr, size=40, legend=False) for _ in range(5)]
    g = grid(panels, 3, titles=["a", "b", "c"], row_titles=["clean", "shortcut"])
    assert g.width > 3 * 40 and g.height > 2 * 40
    with pytest.raises(ValueError):
        grid([], 2)
