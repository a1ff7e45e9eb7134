"""Metrics of anomaly scores against binary labels, built on scikit-learn.

Labels: 1 = anomaly (the positive class), 0 = normal. Scores: higher = more
anomalous. At a threshold t, a sample is predicted anomalous when score > t.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from aedetect.errors import InputError


def _check(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = np.asarray(y_true).astype(np.int64), np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or y_true.ndim != 1:
        raise InputError(f"labels {y_true.shape} and scores {scores.shape} must be 1-D and equal length")
    if not np.isin(y_true, (0, 1)).all():
        raise InputError("labels must be 0 (normal) or 1 (anomaly)")
    return y_true, scores


def at_threshold(y_true, scores, threshold: float) -> dict:
    """Accuracy, precision, recall, F1 and TP/FP/TN/FN when flagging score > threshold."""
    y_true, scores = _check(y_true, scores)
    y_pred = (scores > threshold).astype(np.int64)
    tn, fp, fn, tp = (int(v) for v in skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel())
    return {
        "threshold": float(threshold),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(skm.precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(skm.f1_score(y_true, y_pred, zero_division=0)),
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }


#: The false-positive-rate limit of the partial AUC, as in DCASE 2020 Task 2.
PAUC_MAX_FPR = 0.1


def evaluate_scores(y_true, scores, threshold: float) -> dict:
    """Threshold-free AUROC, AUPR (average precision) and pAUC plus :func:`at_threshold`'s numbers.

    pAUC is the AUROC over false-positive rates up to :data:`PAUC_MAX_FPR`,
    McClish-standardised as scikit-learn's ``roc_auc_score(max_fpr=0.1)`` does
    (0.5 = chance, 1 = perfect; DCASE 2020 Task 2 reports it so).
    AUROC/AUPR/pAUC are None when the labels hold only one class.
    """
    y_true, scores = _check(y_true, scores)
    both = len(np.unique(y_true)) == 2
    return {
        "auroc": float(skm.roc_auc_score(y_true, scores)) if both else None,
        "aupr": float(skm.average_precision_score(y_true, scores)) if both else None,
        "pauc": float(skm.roc_auc_score(y_true, scores, max_fpr=PAUC_MAX_FPR)) if both else None,
        **at_threshold(y_true, scores, threshold),
        "n_normal": int((y_true == 0).sum()),
        "n_anomalous": int((y_true == 1).sum()),
    }


def threshold_sweep(y_true, scores, thresholds) -> list[dict]:
    """:func:`at_threshold` at each threshold, e.g. ``np.arange(0.01, 0.0501, 0.005)``."""
    return [at_threshold(y_true, scores, t) for t in thresholds]


SWEEP_PERCENTILES = (50, 80, 90, 95, 97.5, 99, 100)


def threshold_metrics(detector, y_test, scores, sweep: list[float] | None = None,
                      fixed: dict[str, float] | None = None) -> dict:
    """Metrics at the detector's threshold, at other rules on its validation scores (and any
    ``fixed`` thresholds), and a sweep: over ``sweep`` or over percentiles of the validation
    scores (on the scale of this model's scores)."""
    from aedetect.thresholds import compute_threshold

    val = detector.validation_scores_
    alternatives = {"percentile 95": compute_threshold("percentile", val, 95),
                    "mean + 2 std": compute_threshold("mean_std", val, 2), **(fixed or {})}
    if sweep is None:
        rows = threshold_sweep(y_test, scores, [np.percentile(val, q) for q in SWEEP_PERCENTILES])
        rows = [{"validation_percentile": q, **row} for q, row in zip(SWEEP_PERCENTILES, rows)]
    else:
        rows = threshold_sweep(y_test, scores, sweep)
    return {**evaluate_scores(y_test, scores, detector.threshold_),
            "threshold_method": detector.threshold_method_, "threshold_param": detector.threshold_param_,
            "alternative_thresholds": {name: evaluate_scores(y_test, scores, t)
                                       for name, t in alternatives.items()},
            "sweep": rows}


# ---------------------------------------------------------------- pixel level (anomaly maps)
#: The false-positive-rate limit of AUPRO, as in the MVTec AD evaluation.
AUPRO_MAX_FPR = 0.3


def _pixels(masks, maps) -> tuple[np.ndarray, np.ndarray]:
    masks, maps = np.asarray(masks), np.asarray(maps, dtype=np.float64)
    if masks.shape != maps.shape or masks.ndim != 3:
        raise InputError(f"masks {masks.shape} and maps {maps.shape} must both be (N, H, W)")
    return masks > 0, maps


def pixel_auroc(masks, maps) -> float | None:
    """AUROC over all pixels of all images (defect pixels positive); None without both kinds."""
    masks, maps = _pixels(masks, maps)
    if masks.all() or not masks.any():
        return None
    return float(skm.roc_auc_score(masks.ravel(), maps.ravel()))


def pixel_ap(masks, maps) -> float | None:
    """Average precision over all pixels (defect pixels positive)."""
    masks, maps = _pixels(masks, maps)
    return float(skm.average_precision_score(masks.ravel(), maps.ravel())) if masks.any() else None


def pro_curve(masks, maps) -> tuple[np.ndarray, np.ndarray]:
    """The per-region-overlap curve (FPR, PRO), exact at every distinct score.

    Each connected defect region (8-connected, per image) counts once: PRO at a threshold is the
    mean over regions of the share of the region's pixels flagged (score >= threshold); FPR is the
    share of all defect-free pixels flagged. As in the MVTec AD paper.
    """
    from scipy import ndimage

    masks, maps = _pixels(masks, maps)
    regions = np.zeros(masks.shape, np.int64)
    count = 0
    for i, m in enumerate(masks):
        labels, n = ndimage.label(m, structure=np.ones((3, 3)))
        regions[i] = np.where(labels > 0, labels + count, 0)
        count += n
    if count == 0 or masks.all():
        raise InputError("AUPRO needs defect regions and defect-free pixels in the masks")
    sizes = np.bincount(regions.ravel())
    weight = np.where(regions > 0, 1.0 / (sizes[regions] * count), 0.0).ravel()
    order = np.argsort(-maps.ravel(), kind="stable")
    scores, weight, normal = maps.ravel()[order], weight[order], ~masks.ravel()[order]
    last = np.r_[scores[1:] != scores[:-1], True]  # the last pixel of each run of equal scores
    fpr = np.cumsum(normal)[last] / normal.sum()
    pro = np.cumsum(weight)[last]
    return np.r_[0.0, fpr], np.r_[0.0, pro]


def aupro(masks, maps, max_fpr: float = AUPRO_MAX_FPR) -> float:
    """Area under the PRO curve up to ``max_fpr``, divided by ``max_fpr`` (1 = perfect)."""
    return area_to(*pro_curve(masks, maps), max_fpr)


def area_to(fpr: np.ndarray, pro: np.ndarray, max_fpr: float) -> float:
    """Area under a PRO curve (FPR ascending from 0) up to ``max_fpr``, divided by ``max_fpr``."""
    keep = fpr <= max_fpr
    x, y = fpr[keep], pro[keep]
    if x[-1] < max_fpr:  # close the curve at max_fpr, interpolating to the next point
        nxt = np.searchsorted(fpr, max_fpr)
        y_end = np.interp(max_fpr, fpr[nxt - 1:nxt + 1], pro[nxt - 1:nxt + 1])
        x, y = np.r_[x, max_fpr], np.r_[y, y_end]
    return float(((x[1:] - x[:-1]) * (y[1:] + y[:-1])).sum() / 2 / max_fpr)  # trapezoids


def mask_overlap(masks, flagged) -> dict:
    """IoU and Dice of binary predicted masks against the true masks, over all pixels."""
    masks, flagged = _pixels(masks, flagged)
    flagged = flagged > 0
    inter, union = np.logical_and(masks, flagged).sum(), np.logical_or(masks, flagged).sum()
    total = masks.sum() + flagged.sum()
    return {"iou": float(inter / union) if union else 1.0, "dice": float(2 * inter / total) if total else 1.0}
