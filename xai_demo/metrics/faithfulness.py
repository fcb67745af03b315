"""Does the map rank the pixels the model actually uses? Deletion and insertion curves of
Petsiuk et al., "RISE: Randomized Input Sampling for Explanation of Black-box Models" (BMVC 2018).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .arrays import as_map, as_numpy

Baseline = str | float | None
BLUR_SIZE = 11  # Petsiuk et al.'s code blurs with an 11x11 Gaussian, sigma 5
BLUR_SIGMA = 5.0


def random_attribution(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A (H, W) map of i.i.d. uniform [0, 1) values: a random pixel order to compare curves against."""
    return np.random.default_rng(seed).random(tuple(shape))


def gaussian_blur(image: torch.Tensor, size: int = BLUR_SIZE, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Blur a (C, H, W) or (B, C, H, W) image with a separable Gaussian (reflect padding, torch conv2d)."""
    x = image.unsqueeze(0) if image.dim() == 3 else image
    c, h, w = x.shape[1:]
    t = torch.arange(size, dtype=x.dtype, device=x.device) - (size - 1) / 2
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    pad = size // 2
    mode = "reflect" if min(h, w) > pad else "replicate"
    x = F.pad(x, (pad, pad, pad, pad), mode=mode)
    x = F.conv2d(x, k.view(1, 1, 1, size).expand(c, 1, 1, size), groups=c)
    x = F.conv2d(x, k.view(1, 1, size, 1).expand(c, 1, size, 1), groups=c)
    return x.squeeze(0) if image.dim() == 3 else x


def _baseline_image(image: torch.Tensor, baseline: str | float) -> torch.Tensor:
    if isinstance(baseline, str):
        if baseline == "zero":
            return torch.zeros_like(image)
        if baseline == "blur":
            return gaussian_blur(image)
        raise ValueError(f"baseline must be 'blur', 'zero', a number or None; got {baseline!r}")
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)):
        raise TypeError(f"baseline must be 'blur', 'zero', a number or None; got {baseline!r}")
    return torch.full_like(image, float(baseline))


def _auc(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) / 2.0 * np.diff(x)))


def _checked_inputs(image: Any, attr: Any, steps: int, batch_size: int) -> tuple[torch.Tensor, np.ndarray]:
    """The image as (C, H, W) float tensor and the map as (H, W) float64, or ValueError saying what is wrong."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer; got {steps!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    img = torch.as_tensor(image)
    if img.dim() == 4 and img.shape[0] == 1:
        img = img[0]
    if img.dim() != 3:
        raise ValueError(f"image must have shape (C, H, W) or (1, C, H, W); got {tuple(img.shape)}")
    if not img.is_floating_point():
        raise ValueError(f"image must be a float tensor with values in [0, 1]; got dtype {img.dtype}")
    a = as_map(attr, "attr")
    h, w = img.shape[1:]
    if a.shape != (h, w):
        raise ValueError(f"attr shape {a.shape} does not match the image's spatial size {(h, w)}")
    return img, a


def deletion_insertion(
    predict_fn: Callable[[torch.Tensor], Any],
    image: Any,
    attr: Any,
    *,
    steps: int = 20,
    baseline: Baseline = None,
    batch_size: int = 32,
) -> dict:
    """Deletion and insertion curves (Petsiuk et al., BMVC 2018) of one image and its (H, W) map.

    Pixels are ranked by ``attr``, largest (strongest positive evidence) first, with a stable sort
    (ties: earlier row-major pixel first). At step i (0..steps) the first ``floor(i * H * W / steps)``
    ranked pixels, all channels, are

    * deletion: replaced by the baseline in the image (curve starts at p(image), ends at p(baseline));
    * insertion: copied from the image into the baseline (starts at p(baseline), ends at p(image)).

    Args:
        predict_fn: maps a float tensor (B, C, H, W) in [0, 1] to the explained class's probability,
            shape (B,) (or anything with B values). Called under ``torch.no_grad()``.
        image: float tensor (C, H, W) or (1, C, H, W), values in [0, 1].
        attr: (H, W) attribution map matching the image's spatial size.
        steps: number of steps (>= 1); the curves have ``steps + 1`` points.
        baseline: ``None`` = Petsiuk's choice (black for deletion, blurred image for insertion);
            ``"zero"``, ``"blur"`` (Gaussian 11x11, sigma 5) or a constant value is used for both.
        batch_size: images per ``predict_fn`` call.

    Returns:
        {"fractions": steps + 1 fractions of pixels changed, 0 to 1, "deletion": probabilities,
        "insertion": probabilities, "deletion_auc": float, "insertion_auc": float}; AUCs are trapezoids
        over ``fractions`` in [0, 1]. Lower deletion AUC and higher insertion AUC = more faithful.
    """
    img, a = _checked_inputs(image, attr, steps, batch_size)
    h, w = img.shape[1:]
    n = h * w
    order = np.argsort(-a.ravel(), kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rank_t = torch.as_tensor(rank.reshape(1, 1, h, w), device=img.device)
    counts = [(i * n) // steps for i in range(steps + 1)]

    def curve(start: torch.Tensor, end: torch.Tensor) -> list[float]:
        # step i shows ``end`` on the first counts[i] ranked pixels and ``start`` elsewhere
        out: list[float] = []
        for lo in range(0, steps + 1, batch_size):
            c = torch.as_tensor(counts[lo : lo + batch_size], device=img.device).view(-1, 1, 1, 1)
            m = (rank_t < c).to(img.dtype)
            batch = start.unsqueeze(0) * (1 - m) + end.unsqueeze(0) * m
            p = as_numpy(predict_fn(batch)).astype(np.float64).reshape(-1)
            if p.size != batch.shape[0]:
                raise ValueError(
                    f"predict_fn returned {p.size} values for a batch of {batch.shape[0]} images; "
                    "it must return one probability per image, shape (B,)"
                )
            out.extend(p.tolist())
        return out

    with torch.no_grad():
        img = img.detach()
        del_base = _baseline_image(img, "zero" if baseline is None else baseline)
        ins_base = _baseline_image(img, "blur" if baseline is None else baseline)
        deletion = curve(img, del_base)
        insertion = curve(ins_base, img)
    fractions = np.asarray(counts, dtype=np.float64) / n
    return {
        "fractions": fractions.tolist(),
        "deletion": deletion,
        "insertion": insertion,
        "deletion_auc": _auc(fractions, np.asarray(deletion)),
        "insertion_auc": _auc(fractions, np.asarray(insertion)),
    }
