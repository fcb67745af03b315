"""Pure metric functions: classification, attribution on a mask, map similarity, faithfulness."""

from .arrays import pool_mask
from .attribution import (
    attribution_share,
    confounder_sensitivity,
    enrichment,
    outside_share,
    pointing_game,
    summarise_attribution,
    topk_precision,
)
from .classification import binary_metrics, choose_threshold, roc_auc
from .faithfulness import deletion_insertion, random_attribution
from .similarity import normalise_map, spearman, ssim, topk_overlap

__all__ = [
    "attribution_share",
    "binary_metrics",
    "choose_threshold",
    "confounder_sensitivity",
    "deletion_insertion",
    "enrichment",
    "normalise_map",
    "outside_share",
    "pointing_game",
    "pool_mask",
    "random_attribution",
    "roc_auc",
    "spearman",
    "ssim",
    "summarise_attribution",
    "topk_overlap",
    "topk_precision",
]
