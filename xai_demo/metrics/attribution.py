"""Where does a saliency map put its evidence? Localisation metrics against a region mask.

An attribution map is a float array of shape (H, W), signed, positive = evidence for the explained
class. A mask is a bool array of the same shape (0/1 integer arrays are accepted too), e.g. the pixels
of a burnt-in artefact or a lung field. Torch tensors are accepted wherever numpy arrays are.

``mode`` turns a signed map into non-negative scores before anything is measured:

* ``"positive"``: ``max(attr, 0)``, only evidence *for* the class counts;
* ``"absolute"``: ``|attr|``, evidence for and against counts alike.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from .arrays import as_map, as_mask, topk_count

Mode = Literal["positive", "absolute"]
MODES = ("positive", "absolute")


def _scores(attr: np.ndarray, mode: str) -> np.ndarray:
    if mode == "positive":
        return np.clip(attr, 0.0, None)
    if mode == "absolute":
        return np.abs(attr)
    raise ValueError(f"mode must be one of {MODES}; got {mode!r}")


def _prepare(attr: Any, mask: Any, mode: str, mask_name: str = "mask") -> tuple[np.ndarray, np.ndarray]:
    a = as_map(attr, "attr")
    m = as_mask(mask, a.shape, mask_name)
    return _scores(a, mode), m


def _top_pixels(scores: np.ndarray, fraction: float) -> np.ndarray:
    """Bool map of the top ``fraction`` of pixels by score, among pixels with score > 0.

    Descending order with a stable sort: among pixels tied at the threshold, the one earlier in
    row-major order is taken. Pixels with score 0 carry no evidence and are never selected, so
    fewer than k pixels may be returned.
    """
    flat = scores.ravel()
    k = topk_count(fraction, flat.size)
    order = np.argsort(-flat, kind="stable")[:k]
    order = order[flat[order] > 0]
    top = np.zeros(flat.size, dtype=bool)
    top[order] = True
    return top.reshape(scores.shape)


def _disk_dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of ``mask`` by a Euclidean disk of ``radius`` pixels (numpy only)."""
    if radius <= 0:
        return mask
    h, w = mask.shape
    out = mask.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx > radius * radius or (dy == 0 and dx == 0):
                continue
            ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
            xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
            out[yd, xd] |= mask[ys, xs]
    return out


def attribution_share(attr: Any, mask: Any, mode: Mode = "positive") -> float:
    """Share of the attribution mass that falls inside ``mask``.

    ``sum(scores[mask]) / sum(scores)`` in [0, 1], with scores = max(attr, 0) or |attr| (see ``mode``).
    Returns 0.0 when the map has no mass at all. The "energy-based pointing game" of
    Wang et al., Score-CAM (CVPRW 2020) and the relevance mass of Arras et al. (Inf. Fusion 2022).

    Args:
        attr: (H, W) attribution map. mask: (H, W) bool region.
    Raises:
        ValueError: shapes differ, ``attr`` is not a finite 2-D map, or ``mode`` is unknown.
    """
    scores, m = _prepare(attr, mask, mode)
    total = float(scores.sum())
    return float(scores[m].sum()) / total if total > 0 else 0.0


def outside_share(attr: Any, region: Any, mode: Mode = "positive") -> float:
    """Share of the attribution mass outside ``region`` (e.g. outside a central lung-field proxy).

    Equals ``1 - attribution_share(attr, region, mode)`` whenever the map has mass; returns 0.0 (not 1.0)
    for a map with no mass, so an empty explanation is never reported as "all evidence outside".
    In [0, 1].
    """
    scores, m = _prepare(attr, region, mode, "region")
    total = float(scores.sum())
    return float(scores[~m].sum()) / total if total > 0 else 0.0


def enrichment(attr: Any, mask: Any, mode: Mode = "positive") -> float:
    """Attribution share divided by the mask's area fraction: ``share / (mask.sum() / mask.size)``.

    1.0 = no more evidence in the mask than a uniform map would put there; > 1 = concentrated in the mask;
    range [0, 1 / area fraction]. Returns 0.0 for a map with no mass and ``nan`` for an empty mask
    (the ratio is undefined). Same mass-in-region idea as Arras et al. (Inf. Fusion 2022), area-normalised.
    """
    scores, m = _prepare(attr, mask, mode)
    area = int(m.sum())
    if area == 0:
        return float("nan")
    total = float(scores.sum())
    share = float(scores[m].sum()) / total if total > 0 else 0.0
    return share / (area / m.size)


def pointing_game(attr: Any, mask: Any, mode: Mode = "positive", tolerance: int = 0) -> bool:
    """Pointing game (Zhang et al., ECCV 2016): does the map's maximum lie inside ``mask``?

    Ties: a hit if *any* pixel attaining the maximum lies in the mask (within ``tolerance`` pixels,
    Euclidean); this avoids a bias towards the top-left corner that "first maximum" would give with
    block-upsampled maps. A map whose maximum score is 0 (no evidence; all-negative in "positive" mode)
    points nowhere and returns False. Zhang et al. used a 15-pixel tolerance on full-size images;
    the default here is 0 (strict).
    """
    scores, m = _prepare(attr, mask, mode)
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0; got {tolerance}")
    peak = scores.max()
    if peak <= 0:
        return False
    return bool(np.any(_disk_dilate(m, int(tolerance))[scores == peak]))


def confounder_sensitivity(attr: Any, mask: Any, top: float = 0.10, mode: Mode = "absolute") -> float:
    """Confounder sensitivity (Sun et al., "Right for the wrong reason", MICCAI 2023).

    Share of the artefact's pixels that are among the top ``top`` fraction of attributed pixels:
    ``|mask ∩ topk| / |mask|`` (recall of the artefact by the top-k), in [0, 1]. ``k = floor(top * H * W)``
    (at least 1), as in the authors' code (k = 10% of 320x320). Ranking is by score, descending, with a
    stable sort (ties at the threshold go to the pixel earlier in row-major order). Pixels with score 0
    are never counted as top pixels. Returns ``nan`` for an empty mask.
    See also :func:`topk_precision` (share of the top-k that lies on the artefact).
    """
    scores, m = _prepare(attr, mask, mode)
    area = int(m.sum())
    if area == 0:
        topk_count(top, m.size)  # still validate ``top``
        return float("nan")
    return float((_top_pixels(scores, top) & m).sum()) / area


def topk_precision(attr: Any, mask: Any, top: float = 0.10, mode: Mode = "absolute") -> float:
    """Share of the top ``top`` fraction of attributed pixels that lie in ``mask``: ``|mask ∩ topk| / k``.

    Precision counterpart of :func:`confounder_sensitivity` (same k, ranking and tie rule), in [0, 1];
    ``k`` is the nominal ``floor(top * H * W)`` even when fewer pixels have a non-zero score, so a map
    with little evidence scores low. Chance level for a random map is the mask's area fraction.
    """
    scores, m = _prepare(attr, mask, mode)
    k = topk_count(top, m.size)
    return float((_top_pixels(scores, top) & m).sum()) / k


def summarise_attribution(attr: Any, mask: Any, mode: Mode = "positive", top: float = 0.10) -> dict:
    """All the metrics above for one map and mask, as a JSON-ready dict of floats and bools.

    Every metric uses the same ``mode`` (note: :func:`confounder_sensitivity` alone defaults to
    "absolute"). Undefined values (``enrichment`` etc. on an empty mask) are ``None`` rather than NaN,
    so ``json.dumps`` produces strict JSON. Keys: mask_fraction, attribution_share, outside_share,
    enrichment, pointing_game, confounder_sensitivity, topk_precision.
    """
    a = as_map(attr, "attr")
    m = as_mask(mask, a.shape)

    def plain(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    return {
        "mask_fraction": float(m.mean()),
        "attribution_share": attribution_share(a, m, mode),
        "outside_share": outside_share(a, m, mode),
        "enrichment": plain(enrichment(a, m, mode)),
        "pointing_game": pointing_game(a, m, mode),
        "confounder_sensitivity": plain(confounder_sensitivity(a, m, top, mode)),
        "topk_precision": topk_precision(a, m, top, mode),
    }
