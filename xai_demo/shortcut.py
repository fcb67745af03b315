"""Shortcut experiments: how a model behaves, and where its maps point, when an artefact is planted.

All functions take a trained :class:`XaiModel` and real images; artefacts come from
:mod:`xai_demo.artefacts`, so every artefact pixel is known exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .artefacts import CONDITIONS, ConfoundedDataset, condition_spec, confound
from .data import ImageArrayDataset
from .explain import explain
from .metrics import binary_metrics, deletion_insertion, outside_share, pool_mask, summarise_attribution
from .models import XaiModel
from .predict import predict_batch, preprocess
from .progress import Progress

TEST_SEED = 1234  # artefact placements on a test split, shared by both models of a pair (report and app)


def balanced_indices(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of up to ``n // 2`` images of class 0 and of class 1, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(labels == c))[: n // 2] for c in (0, 1)]
    return np.sort(np.concatenate(picks))


def conditioned_test_sets(
    dataset: ImageArrayDataset, artefact: str, *, seed: int = 0, params: dict | None = None,
    conditions: Sequence[str] = tuple(CONDITIONS),
) -> dict[str, ConfoundedDataset]:
    """The test split under ``conditions`` (default every one of :data:`CONDITIONS`: none, aligned, swapped,
    all).

    Artefact placements are identical across conditions for the same image (same seed), so the
    conditions differ only in *who* carries the artefact.
    """
    return {name: confound(dataset, condition_spec(artefact, name, seed, **(params or {})))
            for name in conditions}


def condition_metrics(model: XaiModel, test_sets: dict[str, ConfoundedDataset]) -> dict[str, dict]:
    """Accuracy, AUC, sensitivity, specificity per condition, at the model's own threshold."""
    threshold = model.spec.decision_threshold
    out = {}
    for name, ds in test_sets.items():
        images, labels = ds.as_dataset().tensors()
        out[name] = binary_metrics(labels.numpy(), predict_batch(model, images)[:, 1], threshold)
    return out


def counterfactuals(
    model: XaiModel, dataset: ImageArrayDataset, artefact: str, *, seed: int = 0, params: dict | None = None,
    positive: int = 1,
) -> dict:
    """Change in P(positive) when the artefact is added to each image (exact: same image without it).

    Returns:
        ``{"delta": (N,) P(with) - P(without), "mean_delta", "mean_abs_delta", "flipped": share of
        predictions that change, "p_without", "p_with"}`` (arrays as lists).
    """
    with_artefact = confound(dataset, condition_spec(artefact, "all", seed, **(params or {})))
    x0, _ = dataset.tensors()
    x1, _ = with_artefact.as_dataset().tensors()
    p0 = predict_batch(model, x0)[:, positive]
    p1 = predict_batch(model, x1)[:, positive]
    t = model.spec.decision_threshold
    delta = p1 - p0
    return {
        "p_without": p0.tolist(),
        "p_with": p1.tolist(),
        "delta": delta.tolist(),
        "mean_delta": float(delta.mean()),
        "mean_abs_delta": float(np.abs(delta).mean()),
        "flipped": float(((p0 >= t) != (p1 >= t)).mean()),
    }


def attribution_on_artefacts(
    model: XaiModel,
    dataset: ConfoundedDataset,
    methods: Sequence[str],
    *,
    n: int = 24,
    target: int | None = 1,
    mode: str = "positive",
    on_progress: Progress | None = None,
) -> dict[str, dict]:
    """Per method: attribution share, enrichment, pointing game and confounder sensitivity on the mask.

    Uses the first ``n`` images that carry the artefact. ``target`` is the class explained (default 1,
    the positive class the shortcut was tied to; None = each image's prediction).

    Returns:
        ``{method: {"per_image": [summary dicts], "share", "enrichment", "pointing_game",
        "confounder_sensitivity", "mask_fraction"}}`` with means over images.
    """
    idx = np.flatnonzero(dataset.has_artefact)[:n]
    out: dict[str, dict] = {}
    for k, method in enumerate(methods):
        per_image = []
        for j, i in enumerate(idx):
            image = dataset.images[i].astype(np.float32) / 255.0
            e = explain(model, image, method, target)
            mask = pool_mask(dataset.masks[i], e.map.shape)
            per_image.append(summarise_attribution(e.map, mask, mode=mode))
            if on_progress is not None:
                on_progress((k * len(idx) + j + 1) / (len(methods) * len(idx)), method)
        out[method] = {"per_image": per_image, **_means(per_image)}
    return out


def _means(rows: list[dict]) -> dict[str, float]:
    keys = ("attribution_share", "enrichment", "pointing_game", "confounder_sensitivity", "mask_fraction")
    return {
        k: float(np.mean([float(r[k]) for r in rows if r.get(k) is not None])) if rows else float("nan")
        for k in keys
    }


def faithfulness(
    model: XaiModel, images: Sequence[np.ndarray], methods: Sequence[str], *, steps: int = 16,
    target: int | None = None,
) -> dict[str, dict[str, float]]:
    """Mean deletion and insertion AUCs per method (and for a random pixel order as reference)."""
    from .metrics import random_attribution

    results: dict[str, list[tuple[float, float]]] = {m: [] for m in [*methods, "random"]}
    for i, image in enumerate(images):
        x = preprocess(image, model.spec)[0]
        for method in methods:
            e = explain(model, image, method, target)
            t = e.target

            def prob(batch: torch.Tensor, t: int = t) -> torch.Tensor:
                return model.probabilities(batch)[:, t]

            curves = deletion_insertion(prob, x, e.map, steps=steps)
            results[method].append((curves["deletion_auc"], curves["insertion_auc"]))
        curves = deletion_insertion(prob, x, random_attribution(x.shape[-2:], seed=i), steps=steps)
        results["random"].append((curves["deletion_auc"], curves["insertion_auc"]))
    return {m: {"deletion_auc": float(np.mean([d for d, _ in v])), "insertion_auc": float(np.mean([a for _, a in v]))}
            for m, v in results.items()}


def lung_field(h: int, w: int) -> np.ndarray:
    """A generous proxy for the lung fields of a frontal chest X-ray, ``(h, w)`` bool.

    A rounded rectangle (superellipse, exponent 4) centred at 50% width and 52% height, spanning 10-90% of
    the width and 10-94% of the height: it keeps the lungs, heart and diaphragm and leaves out the
    corners and edges where laterality markers, text and tubes usually sit. A proxy only: anatomy varies
    with patient, projection and framing; check it on your images (``xai-demo shortcut-report`` draws it).
    """
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    return np.abs((ys - 0.52 * h) / (0.42 * h)) ** 4 + np.abs((xs - 0.5 * w) / (0.4 * w)) ** 4 <= 1.0


def natural_shortcut_scan(
    model: XaiModel, dataset: ImageArrayDataset, method: str = "gradcam", *, target: int | None = None,
    region: np.ndarray | None = None, on_progress: Progress | None = None,
) -> dict:
    """Share of positive attribution outside the central lung field, for every image of a real dataset.

    Real images carry real markers and text, but no mask says where: :func:`lung_field` is a documented
    proxy, and attribution outside it is *suspect*, not proven to be on an artefact.

    Returns:
        ``{"outside_share": (N,) list, "mean", "median", "order": indices sorted high to low,
        "region_fraction": share of the image the region covers}``.
    """
    size = model.spec.input_size
    region = lung_field(size, size) if region is None else region
    shares = []
    for i in range(len(dataset)):
        e = explain(model, dataset.images[i], method, target)
        shares.append(outside_share(e.map, region, mode="positive"))
        if on_progress is not None:
            on_progress((i + 1) / len(dataset), method)
    arr = np.asarray(shares)
    return {
        "outside_share": arr.tolist(),
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "order": np.argsort(-arr, kind="stable").tolist(),
        "region_fraction": float(region.mean()),
    }

