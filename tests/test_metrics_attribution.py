"""Tests for xai_demo.metrics.attribution: hand-made maps with answers worked out in the comments."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from xai_demo.metrics.attribution import (
    attribution_share,
    confounder_sensitivity,
    enrichment,
    outside_share,
    pointing_game,
    summarise_attribution,
    topk_precision,
)


def top_left_2x2() -> np.ndarray:
    mask = np.zeros((4, 4), dtype=bool)
    mask[:2, :2] = True
    return mask


def signed_case() -> tuple[np.ndarray, np.ndarray]:
    # mask = row 0 (4 of 16 pixels, area fraction 1/4)
    # attr: +3 at (0,0) in mask, -2 at (0,1) in mask, +1 at (3,3) outside, -4 at (2,2) outside
    attr = np.zeros((4, 4))
    attr[0, 0], attr[0, 1], attr[3, 3], attr[2, 2] = 3.0, -2.0, 1.0, -4.0
    mask = np.zeros((4, 4), dtype=bool)
    mask[0, :] = True
    return attr, mask


# ---------------------------------------------------------------- attribution_share / outside / enrichment


def test_all_mass_in_mask():
    attr = np.zeros((4, 4))
    attr[:2, :2] = [[1.0, 2.0], [3.0, 4.0]]
    mask = top_left_2x2()
    assert attribution_share(attr, mask) == 1.0
    assert outside_share(attr, mask) == 0.0
    # share 1 / area fraction (4/16) = 4
    assert enrichment(attr, mask) == pytest.approx(4.0)


def test_signed_map_positive_and_absolute_modes():
    attr, mask = signed_case()
    # positive: mass = 3 + 1 = 4, inside = 3 -> 0.75; enrichment 0.75 / 0.25 = 3
    assert attribution_share(attr, mask, "positive") == pytest.approx(0.75)
    assert outside_share(attr, mask, "positive") == pytest.approx(0.25)
    assert enrichment(attr, mask, "positive") == pytest.approx(3.0)
    # absolute: mass = 3 + 2 + 1 + 4 = 10, inside = 3 + 2 = 5 -> 0.5; enrichment 2
    assert attribution_share(attr, mask, "absolute") == pytest.approx(0.5)
    assert outside_share(attr, mask, "absolute") == pytest.approx(0.5)
    assert enrichment(attr, mask, "absolute") == pytest.approx(2.0)


def test_uniform_map_has_enrichment_one():
    attr = np.full((5, 6), 0.7)
    mask = np.zeros((5, 6), dtype=bool)
    mask[1:3, 2:5] = True  # 6 of 30 pixels
    assert attribution_share(attr, mask) == pytest.approx(6 / 30)
    assert enrichment(attr, mask) == pytest.approx(1.0)


def test_outside_share_of_central_region():
    attr = np.ones((4, 4))
    region = np.zeros((4, 4), dtype=bool)
    region[1:3, 1:3] = True  # 4 central pixels carry 4 of 16 units
    assert outside_share(attr, region) == pytest.approx(0.75)
    assert outside_share(attr, region) == pytest.approx(1 - attribution_share(attr, region))


def test_zero_mass_gives_zero_not_nan():
    attr = np.zeros((4, 4))
    mask = top_left_2x2()
    assert attribution_share(attr, mask) == 0.0
    assert outside_share(attr, mask) == 0.0  # not 1.0: nothing is "outside" either
    assert enrichment(attr, mask) == 0.0
    # an all-negative map has no positive mass, but has absolute mass
    neg = -np.ones((4, 4))
    assert attribution_share(neg, mask, "positive") == 0.0
    assert attribution_share(neg, mask, "absolute") == pytest.approx(0.25)


def test_empty_mask():
    attr = np.arange(16.0).reshape(4, 4)
    empty = np.zeros((4, 4), dtype=bool)
    assert attribution_share(attr, empty) == 0.0
    assert outside_share(attr, empty) == 1.0
    assert math.isnan(enrichment(attr, empty))
    assert math.isnan(confounder_sensitivity(attr, empty))
    assert topk_precision(attr, empty) == 0.0
    assert pointing_game(attr, empty) is False


def test_integer_mask_and_torch_inputs():
    attr, mask = signed_case()
    expected = attribution_share(attr, mask)
    assert attribution_share(attr, mask.astype(np.uint8)) == expected
    t_attr, t_mask = torch.tensor(attr, dtype=torch.float32), torch.tensor(mask)
    assert attribution_share(t_attr, t_mask) == pytest.approx(expected)
    assert pointing_game(torch.tensor(attr), torch.tensor(mask)) is True


# ---------------------------------------------------------------- pointing game


def test_pointing_game_depends_on_mode():
    attr, mask = signed_case()
    # positive: the maximum is +3 at (0,0), in the mask
    assert pointing_game(attr, mask, "positive") is True
    # absolute: the maximum is |-4| at (2,2), outside the mask
    assert pointing_game(attr, mask, "absolute") is False


def test_pointing_game_top_pixel_outside_mask():
    attr = np.zeros((4, 4))
    attr[:2, :2] = 1.0
    attr[3, 3] = 5.0  # the single peak is outside the top-left mask, although most mass is inside
    assert attribution_share(attr, top_left_2x2()) == pytest.approx(4 / 9)
    assert pointing_game(attr, top_left_2x2()) is False


def test_pointing_game_ties_any_maximal_pixel_counts():
    attr = np.zeros((4, 4))
    attr[0, 3] = 2.0  # first maximum in row-major order: outside the mask
    attr[1, 1] = 2.0  # second, tied maximum: inside the mask
    assert pointing_game(attr, top_left_2x2()) is True
    attr[1, 1] = 1.999  # no longer tied
    assert pointing_game(attr, top_left_2x2()) is False


def test_pointing_game_no_evidence_is_a_miss():
    mask = np.ones((3, 3), dtype=bool)
    assert pointing_game(np.zeros((3, 3)), mask) is False
    assert pointing_game(-np.ones((3, 3)), mask, "positive") is False
    assert pointing_game(-np.ones((3, 3)), mask, "absolute") is True


def test_pointing_game_tolerance():
    attr = np.zeros((7, 7))
    attr[0, 0] = 1.0
    mask = np.zeros((7, 7), dtype=bool)
    mask[2, 2] = True  # Euclidean distance from the peak: sqrt(8) = 2.83
    assert pointing_game(attr, mask, tolerance=0) is False
    assert pointing_game(attr, mask, tolerance=2) is False
    assert pointing_game(attr, mask, tolerance=3) is True
    with pytest.raises(ValueError):
        pointing_game(attr, mask, tolerance=-1)


# ---------------------------------------------------------------- confounder sensitivity / top-k precision


def ramp_10x10() -> np.ndarray:
    return np.arange(100.0).reshape(10, 10)  # values 0..99; the top 10% (k = 10) is row 9


def test_confounder_sensitivity_recall_and_precision():
    attr = ramp_10x10()
    mask = np.zeros((10, 10), dtype=bool)
    mask[9, :2] = True  # 2 artefact pixels inside the top 10
    mask[0, :6] = True  # 6 artefact pixels with the lowest attribution
    # recall: |mask ∩ top10| / |mask| = 2 / 8; precision: |mask ∩ top10| / 10 = 0.2
    assert confounder_sensitivity(attr, mask) == pytest.approx(0.25)
    assert topk_precision(attr, mask) == pytest.approx(0.2)
    # top 20%: rows 8 and 9 -> still 2 hits -> recall 0.25, precision 2 / 20
    assert confounder_sensitivity(attr, mask, top=0.2) == pytest.approx(0.25)
    assert topk_precision(attr, mask, top=0.2) == pytest.approx(0.1)
    # top 100%: every attributed pixel; (0,0) has value 0 and so never counts -> 7 / 8
    assert confounder_sensitivity(attr, mask, top=1.0) == pytest.approx(7 / 8)


def test_confounder_sensitivity_whole_artefact_in_top():
    attr = ramp_10x10()
    mask = np.zeros((10, 10), dtype=bool)
    mask[9, 5:] = True
    assert confounder_sensitivity(attr, mask) == 1.0
    assert topk_precision(attr, mask) == pytest.approx(0.5)


def test_confounder_sensitivity_ties_broken_in_row_major_order():
    attr = np.zeros((10, 10))
    attr[5, :] = 1.0
    attr[6, :2] = 1.0  # 12 pixels tied at the maximum, k = 10: row 5 comes first
    row5 = np.zeros((10, 10), dtype=bool)
    row5[5, :] = True
    late = np.zeros((10, 10), dtype=bool)
    late[6, :2] = True
    assert confounder_sensitivity(attr, row5) == 1.0
    assert confounder_sensitivity(attr, late) == 0.0


def test_confounder_sensitivity_zero_pixels_never_count():
    attr = np.zeros((10, 10))
    attr[9, 7:] = [1.0, 2.0, 3.0]  # only 3 pixels carry evidence; k = 10
    mask = np.zeros((10, 10), dtype=bool)
    mask[0, 0] = True  # the first zero pixel in row-major order: a naive sort would select it
    assert confounder_sensitivity(attr, mask) == 0.0
    on_evidence = np.zeros((10, 10), dtype=bool)
    on_evidence[9, 5:] = True  # 5 pixels, 3 of them attributed
    assert confounder_sensitivity(attr, on_evidence) == pytest.approx(3 / 5)
    assert topk_precision(attr, on_evidence) == pytest.approx(3 / 10)  # k stays 10
    assert confounder_sensitivity(np.zeros((10, 10)), mask) == 0.0


def test_confounder_sensitivity_k_is_not_lost_to_float_error():
    # 0.29 * 100 = 28.999999999999996 in floating point; k must be 29, not 28
    attr = np.arange(100.0, 0.0, -1.0).reshape(10, 10)  # flat index i has the (i+1)-th largest value
    mask = np.zeros(100, dtype=bool)
    mask[28] = True
    assert confounder_sensitivity(attr, mask.reshape(10, 10), top=0.29) == 1.0


def test_confounder_sensitivity_modes():
    attr = np.ones((10, 10))
    mask = np.zeros((10, 10), dtype=bool)
    mask[4, 4:8] = True
    attr[mask] = -50.0  # strong negative evidence on the artefact
    assert confounder_sensitivity(attr, mask) == 1.0  # default "absolute"
    assert confounder_sensitivity(attr, mask, mode="positive") == 0.0


# ---------------------------------------------------------------- summary


def test_summarise_attribution_matches_individual_metrics():
    attr, mask = signed_case()
    s = summarise_attribution(attr, mask)
    assert s == {
        "mask_fraction": 0.25,
        "attribution_share": attribution_share(attr, mask, "positive"),
        "outside_share": outside_share(attr, mask, "positive"),
        "enrichment": enrichment(attr, mask, "positive"),
        "pointing_game": True,
        "confounder_sensitivity": confounder_sensitivity(attr, mask, mode="positive"),
        "topk_precision": topk_precision(attr, mask, mode="positive"),
    }
    assert s["confounder_sensitivity"] == 0.25  # k = 1 (10% of 16): the +3 pixel, 1 of 4 mask pixels
    assert all(type(v) in (float, bool) for v in s.values())
    assert summarise_attribution(attr, mask, mode="absolute")["pointing_game"] is False


def test_summarise_attribution_is_strict_json_with_empty_mask():
    s = summarise_attribution(np.arange(16.0).reshape(4, 4), np.zeros((4, 4), dtype=bool))
    assert s["enrichment"] is None and s["confounder_sensitivity"] is None
    json.dumps(s, allow_nan=False)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "fn", [attribution_share, outside_share, enrichment, pointing_game, confounder_sensitivity,
           topk_precision, summarise_attribution],
)
def test_shape_mismatch_raises(fn):
    with pytest.raises(ValueError, match="does not match"):
        fn(np.zeros((4, 4)), np.zeros((4, 5), dtype=bool))


def test_invalid_inputs_raise():
    mask = top_left_2x2()
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        attribution_share(np.zeros((1, 4, 4)), mask)
    bad = np.zeros((4, 4))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        attribution_share(bad, mask)
    with pytest.raises(ValueError, match="boolean"):
        attribution_share(np.zeros((4, 4)), mask * 2)
    with pytest.raises(ValueError, match="mode"):
        attribution_share(np.zeros((4, 4)), mask, mode="signed")
    for top in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="top fraction"):
            confounder_sensitivity(np.zeros((4, 4)), mask, top=top)
