"""Thresholds on anomaly scores.

Sign convention, once for the whole package: an anomaly score is higher for
more anomalous samples (the reconstruction error), and a sample is flagged as
an anomaly when its score is **strictly greater** than the threshold.

Every method except ``fixed`` and ``best_f1`` looks at scores of *normal*
samples only: the held-out validation slice of the normal training data, never
the test set.

================  ===========  ==========================================================
method            param        threshold
================  ===========  ==========================================================
``fixed``         value        the value itself (the Caltech-101 reference uses 0.02)
``percentile``    q = 95       q-th percentile of the normal scores (linear interpolation)
``mean_std``      k = 2        mean + k * standard deviation of the normal scores
``contamination`` c = 0.05     PyOD's convention: the (1 - c) quantile, i.e. ``percentile``
                               with q = 100 * (1 - c)
``target_fpr``    fpr = 0.05   the lowest score that flags at most a fraction ``fpr`` of the
                               normal scores (a guarantee on these scores, unlike
                               ``percentile``, which interpolates)
``best_f1``       (none)       the threshold that maximises F1 on *labelled* data the
                               caller passes on purpose (1 = anomaly); never the test set
================  ===========  ==========================================================
"""

from __future__ import annotations

import numpy as np

from aedetect.errors import InputError

DEFAULT_PARAM = {"percentile": 95.0, "mean_std": 2.0, "contamination": 0.05, "target_fpr": 0.05}
METHODS = ("fixed", "percentile", "mean_std", "contamination", "target_fpr", "best_f1")


def fixed(value: float) -> float:
    return float(value)


def percentile(scores: np.ndarray, q: float = 95.0) -> float:
    if not 0.0 <= q <= 100.0:
        raise InputError(f"percentile q must be in [0, 100]; got {q}")
    return float(np.percentile(scores, q))


def mean_std(scores: np.ndarray, k: float = 2.0) -> float:
    return float(np.mean(scores) + k * np.std(scores))


def contamination(scores: np.ndarray, c: float = 0.05) -> float:
    if not 0.0 < c < 0.5:
        raise InputError(f"contamination must be in (0, 0.5); got {c}")
    return percentile(scores, 100.0 * (1.0 - c))


def target_fpr(scores: np.ndarray, fpr: float = 0.05) -> float:
    if not 0.0 <= fpr < 1.0:
        raise InputError(f"target false-positive rate must be in [0, 1); got {fpr}")
    s = np.sort(np.asarray(scores, dtype=np.float64))
    allowed = int(np.floor(fpr * len(s)))  # how many normal scores may lie above
    return float(s[len(s) - 1 - allowed])


def best_f1(scores: np.ndarray, labels: np.ndarray) -> float:
    """Threshold with the highest F1 on labelled scores (labels: 1 = anomaly, 0 = normal)."""
    from sklearn.metrics import precision_recall_curve

    labels = np.asarray(labels)
    if set(np.unique(labels)) != {0, 1}:
        raise InputError("best_f1 needs labelled data holding both normal (0) and anomalous (1) samples")
    precision, recall, cuts = precision_recall_curve(labels, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    cut = cuts[int(np.argmax(f1))]  # sklearn flags score >= cut; we flag score > threshold
    return float(np.nextafter(cut, -np.inf))


def compute_threshold(method: str, scores: np.ndarray, param: float | None = None,
                      labels: np.ndarray | None = None) -> float:
    """Threshold by ``method`` (see the table above) from ``scores`` of normal samples.

    ``param`` defaults to the method's value in the table; ``labels`` is only
    for ``best_f1``.
    """
    if method not in METHODS:
        raise InputError(f"unknown threshold method {method!r}; choose one of {', '.join(METHODS)}")
    scores = np.asarray(scores, dtype=np.float64)
    if method == "fixed":
        if param is None:
            raise InputError("threshold 'fixed' needs its value, e.g. threshold_param=0.02")
        return fixed(param)
    if len(scores) == 0:
        raise InputError(f"threshold {method!r} needs at least one score")
    if not np.isfinite(scores).all():
        raise InputError(f"threshold {method!r}: {int((~np.isfinite(scores)).sum())} of {len(scores)} "
                         "scores are NaN or inf; score finite inputs with a model that trained without NaN")
    if method == "best_f1":
        if labels is None:
            raise InputError("threshold 'best_f1' needs labelled validation data (X and y); "
                             "it is never computed on normal data alone")
        return best_f1(scores, labels)
    value = DEFAULT_PARAM[method] if param is None else float(param)
    return {"percentile": percentile, "mean_std": mean_std, "contamination": contamination,
            "target_fpr": target_fpr}[method](scores, value)
