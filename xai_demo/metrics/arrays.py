"""Input checks shared by the metric modules: arrays from numpy or torch, maps, masks, top-k counts, mask
resizing. Public so that every metric module (and the app) can use them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def as_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a numpy array (torch tensors are detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def as_map(x: Any, name: str) -> np.ndarray:
    """A finite float64 array of shape (H, W), or ValueError."""
    arr = as_numpy(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (H, W); got shape {tuple(arr.shape)}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {tuple(arr.shape)})")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_mask(x: Any, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """A bool array of the given shape (bool or 0/1 input), or ValueError."""
    arr = as_numpy(x)
    if arr.shape != shape:
        raise ValueError(
            f"{name} shape {tuple(arr.shape)} does not match attribution shape {tuple(shape)}; "
            "resize the mask to the attribution map first"
        )
    if arr.dtype != bool:
        if not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be boolean (or contain only 0 and 1); got dtype {arr.dtype}")
        arr = arr.astype(bool)
    return arr


def topk_count(fraction: float, n: int) -> int:
    """Number of pixels in the top ``fraction`` of ``n`` (floor, at least 1), guarding float error."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"the top fraction must be in (0, 1]; got {fraction}")
    return max(1, math.floor(fraction * n + 1e-9))


def pool_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A bool mask (H, W) resized to ``shape`` by max pooling: any pixel touched counts as inside, so thin
    strokes and small artefacts survive a reduction."""
    if mask.shape == tuple(shape):
        return mask
    t = torch.from_numpy(np.asarray(mask).astype(np.float32))[None, None]
    return (torch.nn.functional.adaptive_max_pool2d(t, tuple(shape))[0, 0] > 0).numpy()


__all__ = ["as_map", "as_mask", "as_numpy", "pool_mask", "topk_count"]
