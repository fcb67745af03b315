"""How similar are two saliency maps? For the model-randomisation sanity checks of Adebayo et al.
("Sanity checks for saliency maps", NeurIPS 2018), which compare the map of a trained model with the
map of a progressively randomised one using rank correlation and SSIM.

All functions take two float arrays of shape (H, W) (numpy or torch) and use numpy only.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .arrays import as_map, topk_count

GAUSSIAN_SIGMA = 1.5
GAUSSIAN_RADIUS = 5  # 11x11 window: int(3.5 * 1.5 + 0.5), as scipy/skimage truncate the Gaussian
K1, K2 = 0.01, 0.03


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_map(a, "a"), as_map(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"the two maps must have the same shape; got {x.shape} and {y.shape}")
    return x, y


def normalise_map(attr: Any, mode: Literal["absolute", "signed"] = "absolute") -> np.ndarray:
    """Scale a (H, W) map for comparison, as Adebayo et al. (2018) do before comparing maps.

    "absolute": ``|attr| / max|attr|`` in [0, 1]; "signed": ``attr / max|attr|`` in [-1, 1] (sign kept).
    An all-zero map is returned as zeros. Returns a new float64 array.
    """
    a = as_map(attr, "attr")
    if mode not in ("absolute", "signed"):
        raise ValueError(f"mode must be 'absolute' or 'signed'; got {mode!r}")
    if mode == "absolute":
        a = np.abs(a)
    peak = float(np.abs(a).max())
    return a / peak if peak > 0 else np.zeros_like(a)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of a 1-D array, tied values sharing the average of their ranks."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new_group = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(new_group) - 1
    counts = np.bincount(group)
    ends = np.cumsum(counts)  # 1-based rank of each group's last member
    avg = ends - (counts - 1) / 2.0
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = avg[group]
    return ranks


def spearman(a: Any, b: Any) -> float:
    """Spearman rank correlation of the flattened maps, ties given average ranks; in [-1, 1].

    Equals ``scipy.stats.spearmanr`` except that it returns 0.0 (not NaN) when either map is constant:
    a constant map carries no ranking, so it is treated as uncorrelated with anything (this includes
    two identical constant maps).
    """
    x, y = _pair(a, b)
    x, y = x.ravel(), y.ravel()
    if np.all(x == x[0]) or np.all(y == y[0]):
        return 0.0
    rx, ry = _average_ranks(x), _average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    r = float(np.dot(rx, ry) / np.sqrt(np.dot(rx, rx) * np.dot(ry, ry)))
    return max(-1.0, min(1.0, r))


def _gaussian_kernel(radius: int, sigma: float = GAUSSIAN_SIGMA) -> np.ndarray:
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (t / sigma) ** 2)
    return w / w.sum()


def _valid_filter(img: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of a 2-D image with the 1-D kernel ``w`` along both axes."""
    n = w.size
    h, wd = img.shape
    rows = sum(w[i] * img[i : h - n + 1 + i, :] for i in range(n))
    return sum(w[i] * rows[:, i : wd - n + 1 + i] for i in range(n))


def ssim(a: Any, b: Any, data_range: float | None = None) -> float:
    """Mean structural similarity (Wang et al., IEEE TIP 2004) of two (H, W) maps; at most 1.

    Gaussian-weighted 11x11 window (sigma 1.5), K1 = 0.01, K2 = 0.03, population covariances, averaged
    over the positions where the window fits inside the image: the same number as
    ``skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=...)``. Images smaller than 11 pixels on a side use a
    window shrunk to the largest odd size that fits (same sigma, truncated). ``data_range`` defaults to
    ``max(a, b) - min(a, b)`` over both maps; if that is 0 the maps are identical constants and 1.0 is
    returned. Maps are used as given: normalise them first (see :func:`normalise_map`) to compare
    scale-free.
    """
    x, y = _pair(a, b)
    if data_range is None:
        data_range = float(max(x.max(), y.max()) - min(x.min(), y.min()))
        if data_range == 0:
            return 1.0
    elif not data_range > 0:
        raise ValueError(f"data_range must be positive; got {data_range}")
    radius = min(GAUSSIAN_RADIUS, (min(x.shape) - 1) // 2)
    w = _gaussian_kernel(radius)

    ux, uy = _valid_filter(x, w), _valid_filter(y, w)
    vx = _valid_filter(x * x, w) - ux * ux
    vy = _valid_filter(y * y, w) - uy * uy
    vxy = _valid_filter(x * y, w) - ux * uy
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s.mean())


def _topk_weights(x: np.ndarray, k: int) -> np.ndarray:
    """Membership weight of each pixel in the top k by value; pixels tied at the k-th value share the
    remaining places equally (the expected membership under a random tie-break)."""
    thr = np.partition(x, x.size - k)[x.size - k]  # the k-th largest value
    above = x > thr
    tied = x == thr
    wts = above.astype(np.float64)
    wts[tied] = (k - int(above.sum())) / int(tied.sum())
    return wts


def topk_overlap(a: Any, b: Any, k: float = 0.10) -> float:
    """Fraction of the top ``k`` pixels (by value, largest first) that the two maps share: ``|A ∩ B| / n``.

    ``n = floor(k * H * W)`` (at least 1), so both sets have n pixels and the result is in [0, 1]
    (1 = same top pixels; chance level for unrelated maps is about ``k``). This is the "top-k
    intersection" of Ghorbani et al. (AAAI 2019). Ties at the threshold are split fairly rather than by
    pixel order: tied pixels share the remaining places equally (expected overlap under a random
    tie-break), so constant or sparse maps are not matched merely by where their zeros are.
    Rank by value as given: pass ``normalise_map(..., "absolute")`` outputs to compare by magnitude.
    """
    x, y = _pair(a, b)
    x, y = x.ravel(), y.ravel()
    n = topk_count(k, x.size)
    return float(np.dot(_topk_weights(x, n), _topk_weights(y, n)) / n)
