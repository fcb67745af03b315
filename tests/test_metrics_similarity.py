"""Tests for xai_demo.metrics.similarity, against scipy / skimage as reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import scipy.stats
import torch
from skimage.metrics import structural_similarity

from xai_demo.metrics.similarity import normalise_map, spearman, ssim, topk_overlap

rng = np.random.default_rng(1234)


# ---------------------------------------------------------------- spearman


def test_spearman_hand_case():
    # ranks equal the values; d = (0, -1, 1, 0), sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman([[1, 2], [3, 4]], [[1, 3], [2, 4]]) == pytest.approx(0.8)
    a = rng.random((6, 5))
    assert spearman(a, a) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(a, np.exp(3 * a)) == pytest.approx(1.0)  # rank-based: any monotone map gives 1


@pytest.mark.parametrize("shape", [(8, 8), (17, 5), (32, 32)])
def test_spearman_matches_scipy_with_ties(shape):
    a = rng.integers(0, 4, shape).astype(float)  # many ties
    b = a + rng.integers(0, 3, shape)
    ref = scipy.stats.spearmanr(a.ravel(), b.ravel()).statistic
    assert spearman(a, b) == pytest.approx(ref, abs=1e-12)
    c, d = rng.standard_normal(shape), rng.standard_normal(shape)
    assert spearman(c, d) == pytest.approx(scipy.stats.spearmanr(c.ravel(), d.ravel()).statistic, abs=1e-12)


def test_spearman_constant_map_is_zero_not_nan():
    a = rng.random((4, 4))
    assert spearman(a, np.zeros((4, 4))) == 0.0
    assert spearman(np.full((4, 4), 2.0), a) == 0.0
    assert spearman(np.ones((4, 4)), np.ones((4, 4))) == 0.0


def test_spearman_accepts_torch_and_rejects_mismatch():
    a = rng.random((5, 5))
    assert spearman(torch.tensor(a), torch.tensor(a**2)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        spearman(np.zeros((4, 4)), np.zeros((4, 5)))


# ---------------------------------------------------------------- ssim


def sk_ssim(a, b, data_range):
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range
    )


@pytest.mark.parametrize("shape", [(32, 32), (48, 40), (64, 33)])
def test_ssim_matches_skimage(shape):
    a = rng.random(shape)
    b = np.clip(a + 0.2 * rng.standard_normal(shape), 0, 1)
    dr = max(a.max(), b.max()) - min(a.min(), b.min())
    assert ssim(a, b) == pytest.approx(sk_ssim(a, b, dr), abs=1e-4)
    assert ssim(a, b, data_range=1.0) == pytest.approx(sk_ssim(a, b, 1.0), abs=1e-4)
    # signed maps, e.g. normalise_map(..., "signed")
    c, d = rng.standard_normal(shape), rng.standard_normal(shape)
    dr = max(c.max(), d.max()) - min(c.min(), d.min())
    assert ssim(c, d) == pytest.approx(sk_ssim(c, d, dr), abs=1e-4)


def test_ssim_identical_and_inverse():
    a = rng.random((32, 32))
    assert ssim(a, a) == pytest.approx(1.0)
    inv = 1.0 - a  # same means, negated structure
    assert ssim(a, inv) < 0.0
    dr = max(a.max(), inv.max()) - min(a.min(), inv.min())
    assert ssim(a, inv) == pytest.approx(sk_ssim(a, inv, dr), abs=1e-4)
    smooth = scipy.ndimage.gaussian_filter(rng.random((40, 40)), 3)
    assert ssim(smooth, smooth + 0.01) > 0.9 > ssim(smooth, rng.random((40, 40)))


def reference_ssim_small(a, b, radius):
    # skimage's algorithm with the Gaussian truncated at ``radius`` (skimage itself refuses such images)
    f = lambda x: scipy.ndimage.gaussian_filter(x, sigma=1.5, truncate=radius / 1.5, mode="reflect")  # noqa: E731
    dr = max(a.max(), b.max()) - min(a.min(), b.min())
    c1, c2 = (0.01 * dr) ** 2, (0.03 * dr) ** 2
    ux, uy = f(a), f(b)
    vx, vy, vxy = f(a * a) - ux * ux, f(b * b) - uy * uy, f(a * b) - ux * uy
    s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return s[radius : a.shape[0] - radius, radius : a.shape[1] - radius].mean()


@pytest.mark.parametrize(("shape", "radius"), [((7, 7), 3), ((5, 9), 2), ((10, 30), 4)])
def test_ssim_small_images_shrink_the_window(shape, radius):
    a, b = rng.random(shape), rng.random(shape)
    assert ssim(a, b) == pytest.approx(reference_ssim_small(a, b, radius), abs=1e-10)
    assert ssim(a, a) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        sk_ssim(a, b, 1.0)  # skimage needs at least 11x11 with these settings


def test_ssim_degenerate_and_errors():
    assert ssim(np.ones((3, 3)), np.ones((3, 3))) == 1.0
    assert ssim(np.zeros((1, 1)), np.zeros((1, 1))) == 1.0
    assert -1.0 <= ssim(rng.random((1, 4)), rng.random((1, 4))) <= 1.0
    with pytest.raises(ValueError, match="same shape"):
        ssim(np.zeros((12, 12)), np.zeros((12, 13)))
    with pytest.raises(ValueError, match="data_range"):
        ssim(np.zeros((12, 12)), np.ones((12, 12)), data_range=0.0)


# ---------------------------------------------------------------- normalise_map


def test_normalise_map():
    a = np.array([[-2.0, 1.0], [0.0, 4.0]])
    np.testing.assert_allclose(normalise_map(a), [[0.5, 0.25], [0.0, 1.0]])
    np.testing.assert_allclose(normalise_map(a, "signed"), [[-0.5, 0.25], [0.0, 1.0]])
    b = np.array([[-4.0, 2.0], [0.0, 1.0]])
    np.testing.assert_allclose(normalise_map(b, "signed"), [[-1.0, 0.5], [0.0, 0.25]])
    np.testing.assert_allclose(normalise_map(b, "absolute"), [[1.0, 0.5], [0.0, 0.25]])
    assert a[0, 0] == -2.0  # input untouched
    np.testing.assert_array_equal(normalise_map(np.zeros((3, 3))), np.zeros((3, 3)))
    np.testing.assert_allclose(normalise_map(torch.tensor(b)), normalise_map(b))
    with pytest.raises(ValueError, match="mode"):
        normalise_map(a, "positive")


# ---------------------------------------------------------------- topk_overlap


def test_topk_overlap_crafted():
    a = np.arange(16.0).reshape(4, 4)  # top 25% (n = 4): flat 12, 13, 14, 15
    b = np.zeros(16)
    b[[10, 11, 12, 13]] = [4.0, 3.0, 2.0, 1.0]  # top 4: flat 10, 11, 12, 13 -> shares 12, 13
    assert topk_overlap(a, b.reshape(4, 4), k=0.25) == pytest.approx(0.5)
    assert topk_overlap(a, a, k=0.25) == 1.0
    assert topk_overlap(a, -a, k=0.25) == 0.0
    assert topk_overlap(a, a[::-1, ::-1], k=0.5) == 0.0
    assert topk_overlap(a, a, k=1.0) == 1.0


def test_topk_overlap_ties_are_split_not_taken_in_pixel_order():
    a, b = np.zeros(16), np.zeros(16)
    a[15], b[14] = 1.0, 1.0
    # n = 4. a: pixel 15 in, the other 3 places shared by 15 tied zeros (weight 0.2 each); b likewise
    # with pixel 14. Expected overlap = (1 * 0.2 + 0.2 * 1 + 14 * 0.2 * 0.2) / 4 = 0.96 / 4 = 0.24,
    # about chance (0.25). Taking ties in pixel order would share pixels 0, 1, 2 and give 0.75.
    assert topk_overlap(a.reshape(4, 4), b.reshape(4, 4), k=0.25) == pytest.approx(0.24)
    # a constant map carries no ranking: overlap with anything is exactly chance, n / N
    assert topk_overlap(np.ones((4, 4)), np.arange(16.0).reshape(4, 4), k=0.25) == pytest.approx(0.25)


def test_topk_overlap_errors():
    with pytest.raises(ValueError, match="same shape"):
        topk_overlap(np.zeros((4, 4)), np.zeros((2, 8)))
    with pytest.raises(ValueError, match="top fraction"):
        topk_overlap(np.zeros((4, 4)), np.zeros((4, 4)), k=0.0)
