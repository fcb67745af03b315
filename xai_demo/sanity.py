"""Sanity checks for saliency maps (Adebayo et al. 2018, NeurIPS): cascading parameter randomisation.

The layers of a trained model are re-initialised one group at a time, from the output down to the input.
A method whose map barely changes while the model is being destroyed does not explain the *model*; it
mostly shows the image (edges). Similarity between the original and the randomised maps is reported with
Spearman rank correlation (of absolute values, as in the paper), SSIM and top-10% overlap.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .explain import explain
from .metrics import normalise_map, spearman, ssim, topk_overlap
from .models import XaiModel
from .progress import Progress


def randomisation_stages(model: XaiModel) -> list[str]:
    """Names of the parameterised modules of ``model.net`` grouped as randomisation stages, output first.

    A stage is a top-level child of a ``features`` container (a conv block) or any other top-level
    child with parameters (the classifier head); stages are listed from the output to the input.
    """
    stages: list[str] = []
    for name, child in model.net.named_children():
        if not any(p.numel() for p in child.parameters()):
            continue
        grand = [(f"{name}.{n}", c) for n, c in child.named_children() if any(True for _ in c.parameters())]
        stages.extend([n for n, _ in grand] if len(grand) > 1 else [name])
    return list(reversed(stages))


def _reinitialise(module: nn.Module, generator: torch.Generator) -> None:
    """Draw every parameter of ``module`` afresh (weights ~ N(0, 1/fan_in), biases 0, BN to identity)."""
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, (nn.BatchNorm2d, nn.BatchNorm1d)):
                sub.reset_parameters()  # also resets running statistics
                continue
            for pname, p in sub.named_parameters(recurse=False):
                if pname == "bias":
                    p.zero_()
                else:
                    fan_in = max(1, p[0].numel())
                    p.copy_(torch.randn(p.shape, generator=generator) / np.sqrt(fan_in))


@dataclass
class SanityResult:
    """Similarity of each method's map to the original after each cumulative randomisation stage.

    Attributes:
        stages: randomised stage names, output first ("" = the original model, first entry).
        methods: method names.
        spearman, ssim, topk: ``{method: (n_stages + 1,) list}`` averaged over the images; the first
            value compares the original with itself (1.0).
        maps: ``{method: [map per stage]}`` for the first image, for figures.
    """

    stages: list[str]
    methods: list[str]
    spearman: dict[str, list[float]]
    ssim: dict[str, list[float]]
    topk: dict[str, list[float]]
    maps: dict[str, list[np.ndarray]]

    def summary(self) -> dict[str, dict[str, float]]:
        """Per method: mean similarity over all randomised stages (low = the method passes the check)."""
        return {
            m: {
                "spearman": float(np.mean(self.spearman[m][1:])),
                "ssim": float(np.mean(self.ssim[m][1:])),
                "topk_overlap": float(np.mean(self.topk[m][1:])),
                "spearman_fully_random": float(self.spearman[m][-1]),
            }
            for m in self.methods
        }


def cascading_randomisation(
    model: XaiModel,
    images: Sequence[torch.Tensor | np.ndarray],
    methods: Sequence[str],
    *,
    seed: int = 0,
    target: int | None = None,
    on_progress: Progress | None = None,
) -> SanityResult:
    """Run the cascading randomisation test on a copy of ``model`` (the model itself is untouched).

    Args:
        model: a trained model.
        images: a few images (anything :func:`explain` accepts).
        methods: registered method names.
        seed: fixes the random weights.
        target: class to explain; default each image's prediction by the *original* model, kept fixed
            while the model is destroyed (as in the paper).
    """
    with model.explain_lock:  # not while another thread's attribution has hooks on the network: they'd be copied
        work = XaiModel(copy.deepcopy(model.net), model.spec)
    stages = randomisation_stages(work)
    generator = torch.Generator().manual_seed(seed)
    targets = [explain(model, img, "gradcam").predicted if target is None else target for img in images]
    originals = {m: [explain(model, img, m, t).map for img, t in zip(images, targets, strict=True)]
                 for m in methods}
    sims = {key: {m: [1.0] for m in methods} for key in ("spearman", "ssim", "topk")}
    maps = {m: [originals[m][0]] for m in methods}
    total = len(stages) * len(methods)
    for s, stage in enumerate(stages):
        _reinitialise(work.net.get_submodule(stage), generator)
        for k, method in enumerate(methods):
            current = [explain(work, img, method, t).map for img, t in zip(images, targets, strict=True)]
            maps[method].append(current[0])
            pairs = list(zip(originals[method], current, strict=True))
            sims["spearman"][method].append(float(np.mean([spearman(np.abs(a), np.abs(b)) for a, b in pairs])))
            sims["ssim"][method].append(float(np.mean(
                [ssim(normalise_map(a), normalise_map(b), data_range=1.0) for a, b in pairs])))
            sims["topk"][method].append(float(np.mean([topk_overlap(np.abs(a), np.abs(b)) for a, b in pairs])))
            if on_progress is not None:
                on_progress((s * len(methods) + k + 1) / total, f"{stage}: {method}")
    return SanityResult([""] + stages, list(methods), sims["spearman"], sims["ssim"], sims["topk"], maps)
