"""AUC, threshold choice and confusion-matrix metrics on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xai_demo.metrics import binary_metrics, choose_threshold, roc_auc


def test_auc_known_values() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    # one of four positive-negative pairs is misordered -> 3/4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.6, 0.5, 0.9]) == 0.75
    # ties count half
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_auc_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) + 0.3 * y, 2)  # rounding makes ties
    pos, neg = s[y == 1], s[y == 0]
    pairwise = ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (
        len(pos) * len(neg))
    assert roc_auc(y, s) == pytest.approx(pairwise, abs=1e-12)


def test_threshold_stays_at_the_prior_when_validation_allows() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    s = np.array([0.05, 0.1, 0.2, 0.8, 0.85, 0.9])
    assert choose_threshold(y, s) == pytest.approx(0.5)  # any t in (0.2, 0.8] separates
    s_low = np.array([0.01, 0.02, 0.03, 0.1, 0.2, 0.3])
    t = choose_threshold(y, s_low)  # only t in (0.03, 0.1] separates: the data move it
    assert 0.03 < t <= 0.1 and binary_metrics(y, s_low, t)["accuracy"] == 1.0


def test_threshold_maximises_youden() -> None:
    y = np.array([0, 0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.7, 0.6, 0.9])
    t = choose_threshold(y, s, tolerance=0.0)
    m = binary_metrics(y, s, t)
    # best J = 1 + 3/4 - 1 with t in (0.3, 0.6]
    assert m["sensitivity"] + m["specificity"] - 1 == pytest.approx(0.75)


def test_binary_metrics_confusion() -> None:
    m = binary_metrics([0, 0, 1, 1, 1], [0.2, 0.7, 0.4, 0.6, 0.9], 0.5)
    assert m["confusion"] == [[1, 1], [1, 2]]
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(1 / 2)
    assert m["n"] == 5
