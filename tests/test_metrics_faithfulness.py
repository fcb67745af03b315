"""Tests for xai_demo.metrics.faithfulness (deletion / insertion, Petsiuk et al. 2018)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import torch

from xai_demo.metrics.faithfulness import deletion_insertion, gaussian_blur, random_attribution

# 2x2 single-channel image; the "model" is the mean intensity of the top row
TINY = torch.tensor([[[0.8, 0.6], [0.4, 0.2]]])
GOOD = np.array([[4.0, 3.0], [2.0, 1.0]])  # order: (0,0), (0,1), (1,0), (1,1)


def top_row_mean(batch: torch.Tensor) -> torch.Tensor:
    assert batch.dim() == 4
    assert not torch.is_grad_enabled()
    return batch[:, :, 0, :].mean(dim=(1, 2))


def region_mean(region: np.ndarray):
    r = torch.as_tensor(region)

    def predict(batch: torch.Tensor) -> torch.Tensor:
        return batch[:, :, r].mean(dim=(1, 2))

    return predict


def test_exact_values_tiny_case():
    res = deletion_insertion(top_row_mean, TINY, GOOD, steps=4, baseline=0.0)
    assert res["fractions"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    # deletion: (0.8+0.6)/2 = 0.7, delete (0,0) -> 0.6/2 = 0.3, delete (0,1) -> 0, then 0, 0
    np.testing.assert_allclose(res["deletion"], [0.7, 0.3, 0.0, 0.0, 0.0], atol=1e-6)
    # insertion into black: 0, insert (0,0) -> 0.4, insert (0,1) -> 0.7, 0.7, 0.7
    np.testing.assert_allclose(res["insertion"], [0.0, 0.4, 0.7, 0.7, 0.7], atol=1e-6)
    # AUC = 0.25 * sum of trapezoids: deletion (0.5 + 0.15) = 0.1625, insertion (0.2 + 0.55 + 1.4) = 0.5375
    assert res["deletion_auc"] == pytest.approx(0.1625, abs=1e-6)
    assert res["insertion_auc"] == pytest.approx(0.5375, abs=1e-6)

    rev = deletion_insertion(top_row_mean, TINY, -GOOD, steps=4, baseline=0.0)
    # order (1,1), (1,0), (0,1), (0,0): the region goes last
    np.testing.assert_allclose(rev["deletion"], [0.7, 0.7, 0.7, 0.4, 0.0], atol=1e-6)
    np.testing.assert_allclose(rev["insertion"], [0.0, 0.0, 0.0, 0.3, 0.7], atol=1e-6)
    assert rev["deletion_auc"] == pytest.approx(0.5375, abs=1e-6)
    assert rev["insertion_auc"] == pytest.approx(0.1625, abs=1e-6)


def test_steps_two_and_constant_baseline():
    res = deletion_insertion(top_row_mean, TINY, GOOD, steps=2, baseline=0.5)
    # counts 0, 2, 4. deletion: 0.7, top row -> 0.5, 0.5; insertion: 0.5, top row restored -> 0.7, 0.7
    assert res["fractions"] == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(res["deletion"], [0.7, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(res["insertion"], [0.5, 0.7, 0.7], atol=1e-6)
    # deletion: 0.5 * (0.6 + 0.5) = 0.55; insertion: 0.5 * (0.6 + 0.7) = 0.65
    assert res["deletion_auc"] == pytest.approx(0.55, abs=1e-6)
    assert res["insertion_auc"] == pytest.approx(0.65, abs=1e-6)


def test_ties_follow_row_major_order():
    res = deletion_insertion(top_row_mean, TINY, np.zeros((2, 2)), steps=4, baseline="zero")
    # all tied: (0,0) is deleted first, then (0,1)
    np.testing.assert_allclose(res["deletion"], [0.7, 0.3, 0.0, 0.0, 0.0], atol=1e-6)


def test_fractions_when_steps_do_not_divide_pixels():
    img = torch.rand(1, 5, 5)
    res = deletion_insertion(lambda b: b.mean(dim=(1, 2, 3)), img, random_attribution((5, 5), 0), steps=4)
    # counts floor(i * 25 / 4) = 0, 6, 12, 18, 25 (rounding would give 19 for 18.75)
    assert res["fractions"] == pytest.approx([0.0, 6 / 25, 12 / 25, 18 / 25, 1.0])
    assert len(res["deletion"]) == len(res["insertion"]) == 5


def test_default_baselines_are_black_for_deletion_and_blur_for_insertion():
    g = torch.Generator().manual_seed(0)
    img = torch.rand(2, 12, 12, generator=g)
    mean = lambda b: b.mean(dim=(1, 2, 3))  # noqa: E731
    res = deletion_insertion(mean, img, random_attribution((12, 12), 1), steps=3)
    p_img = float(img.mean())
    assert res["deletion"][0] == pytest.approx(p_img, abs=1e-6)
    assert res["deletion"][-1] == pytest.approx(0.0, abs=1e-7)
    assert res["insertion"][0] == pytest.approx(float(gaussian_blur(img).mean()), abs=1e-6)
    assert res["insertion"][-1] == pytest.approx(p_img, abs=1e-6)
    blur_both = deletion_insertion(mean, img, random_attribution((12, 12), 1), steps=3, baseline="blur")
    assert blur_both["deletion"][-1] == pytest.approx(res["insertion"][0], abs=1e-6)


def scene() -> tuple[torch.Tensor, np.ndarray]:
    # dark 16x16 image with a bright 4x4 square; the "model" looks only at the square
    g = torch.Generator().manual_seed(0)
    img = 0.1 + 0.05 * torch.rand(1, 16, 16, generator=g)
    region = np.zeros((16, 16), dtype=bool)
    region[2:6, 9:13] = True
    img[0, torch.as_tensor(region)] = 0.9
    return img, region


def test_faithful_map_beats_random_and_reversed():
    img, region = scene()
    predict = region_mean(region)
    good_attr = region + 0.01 * random_attribution((16, 16), 3)
    good = deletion_insertion(predict, img, good_attr, steps=16)
    rev = deletion_insertion(predict, img, -good_attr, steps=16)
    rnd = deletion_insertion(predict, img, random_attribution((16, 16), 4), steps=16)
    assert good["deletion_auc"] < rnd["deletion_auc"] < rev["deletion_auc"]
    assert good["insertion_auc"] > rnd["insertion_auc"] > rev["insertion_auc"]
    # the square is 1/16 of the image: with steps=16, one step deletes it entirely
    assert good["deletion"][1] == pytest.approx(0.0, abs=1e-7)
    assert good["insertion"][1] == pytest.approx(0.9, abs=1e-6)


def test_batching_does_not_change_results_and_respects_batch_size():
    img, region = scene()
    attr = random_attribution((16, 16), 5)
    sizes: list[int] = []

    def predict(batch: torch.Tensor) -> torch.Tensor:
        sizes.append(batch.shape[0])
        return region_mean(region)(batch).unsqueeze(1)  # (B, 1) is accepted too

    ref = deletion_insertion(region_mean(region), img, attr, steps=4, batch_size=32)
    res = deletion_insertion(predict, img.unsqueeze(0), attr, steps=4, batch_size=2)  # (1, C, H, W)
    assert sizes == [2, 2, 1, 2, 2, 1]  # 5 images per curve, in batches of at most 2
    for key in ("deletion", "insertion"):
        np.testing.assert_allclose(res[key], ref[key], atol=1e-7)
    assert isinstance(res["deletion_auc"], float)


def test_multichannel_pixels_are_removed_in_all_channels():
    rgb = TINY.repeat(3, 1, 1)
    res = deletion_insertion(top_row_mean, rgb, GOOD, steps=4, baseline=0.0)
    np.testing.assert_allclose(res["deletion"], [0.7, 0.3, 0.0, 0.0, 0.0], atol=1e-6)


def test_gaussian_blur_matches_scipy_and_keeps_constants():
    x = torch.rand(2, 20, 24, dtype=torch.float64)
    out = gaussian_blur(x)
    assert out.shape == x.shape
    # torch "reflect" padding is scipy's "mirror"; radius 5 = truncate 1.0 at sigma 5
    ref = np.stack(
        [scipy.ndimage.gaussian_filter(c, sigma=5.0, truncate=1.0, mode="mirror") for c in x.numpy()]
    )
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    const = torch.full((1, 3, 8, 8), 0.3)  # smaller than the kernel: replicate padding
    torch.testing.assert_close(gaussian_blur(const), const)


def test_random_attribution():
    a = random_attribution((5, 7), seed=1)
    assert a.shape == (5, 7) and a.dtype == np.float64
    assert (a >= 0).all() and (a < 1).all()
    np.testing.assert_array_equal(a, random_attribution((5, 7), seed=1))
    assert not np.array_equal(a, random_attribution((5, 7), seed=2))


def test_errors():
    with pytest.raises(ValueError, match="does not match"):
        deletion_insertion(top_row_mean, TINY, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        deletion_insertion(top_row_mean, TINY[0], GOOD)
    with pytest.raises(ValueError, match="float"):
        deletion_insertion(top_row_mean, (TINY * 255).to(torch.uint8), GOOD)
    with pytest.raises(ValueError, match="steps"):
        deletion_insertion(top_row_mean, TINY, GOOD, steps=0)
    with pytest.raises(ValueError, match="batch_size"):
        deletion_insertion(top_row_mean, TINY, GOOD, batch_size=0)
    with pytest.raises(ValueError, match="baseline"):
        deletion_insertion(top_row_mean, TINY, GOOD, baseline="mean")
    with pytest.raises(TypeError, match="baseline"):
        deletion_insertion(top_row_mean, TINY, GOOD, baseline=[0.0])
    with pytest.raises(ValueError, match="one probability per image"):
        deletion_insertion(lambda b: torch.zeros(b.shape[0], 2), TINY, GOOD, steps=2)
