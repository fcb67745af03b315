"""Classification metrics for binary classifiers: ROC AUC, threshold choice, confusion-matrix rates."""

from __future__ import annotations

import numpy as np


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve, the Mann-Whitney statistic with average ranks for ties.

    Args:
        labels: ``(N,)`` 0/1 ground truth.
        scores: ``(N,)`` higher = more likely class 1.

    Returns:
        AUC in [0, 1]; NaN when only one class is present.
    """
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    # average ranks over runs of equal scores
    boundaries = np.flatnonzero(np.diff(sorted_s)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(s)]])
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def choose_threshold(labels: np.ndarray, scores: np.ndarray, tolerance: float = 0.02, prior: float = 0.5) -> float:
    """Threshold on P(class 1) chosen on validation data by Youden's J (sensitivity + specificity - 1).

    A validation split carved from the training data is usually easier than new data, so many
    thresholds reach nearly the best J there. Among the thresholds within ``tolerance`` of the best J,
    the one closest to ``prior`` (0.5: the decision point of a class-balanced loss) is returned: the
    threshold moves away from the default only when validation data clearly asks for it.
    Use it on a validation split, never on the test split. Returns a value in (0, 1); ``prior`` when
    only one class is present.
    """
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.all() or not y.any():
        return prior
    grid = np.linspace(0.001, 0.999, 999)
    pred = s[None, :] >= grid[:, None]
    j = (pred & y).sum(1) / y.sum() + (~pred & ~y).sum(1) / (~y).sum() - 1.0
    near_best = grid[j >= j.max() - tolerance - 1e-12]
    return float(near_best[np.argmin(np.abs(near_best - prior))])


def binary_metrics(labels: np.ndarray, p_positive: np.ndarray, threshold: float = 0.5) -> dict:
    """Accuracy, AUC, sensitivity, specificity and confusion matrix of a binary classifier.

    Args:
        labels: ``(N,)`` 0/1 ground truth (1 = the positive class, e.g. pneumonia).
        p_positive: ``(N,)`` predicted P(class 1) in [0, 1].
        threshold: predict 1 when ``p_positive >= threshold``.

    Returns:
        ``{"n", "accuracy", "auc", "sensitivity", "specificity", "threshold", "confusion"}`` with
        ``confusion = [[TN, FP], [FN, TP]]`` (rows: truth, columns: prediction). Plain Python types.
    """
    y = np.asarray(labels).astype(bool).ravel()
    pred = np.asarray(p_positive, dtype=np.float64).ravel() >= threshold
    tp, tn = int((pred & y).sum()), int((~pred & ~y).sum())
    fp, fn = int((pred & ~y).sum()), int((~pred & y).sum())
    n = len(y)
    return {
        "n": n,
        "accuracy": (tp + tn) / n if n else float("nan"),
        "auc": roc_auc(y, p_positive),
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "threshold": float(threshold),
        "confusion": [[tn, fp], [fn, tp]],
    }
