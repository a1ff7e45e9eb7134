"""Evaluation as library code: score a fitted detector's test data once and return the result
(metrics at its threshold and at other rules, a threshold sweep, scores, per-class AUROC),
without writing anything. :mod:`aedetect.report.outputs` writes a result to a folder; the
commands, the protocols and the reports call these.

Nothing here looks at test labels to choose: thresholds come from the detector's held-out
normal training data (or are fixed), and the sweep defaults to percentiles of those
validation scores, so it is on the scale of the model's own scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aedetect.metrics import threshold_metrics


@dataclass
class Evaluation:
    """A detector's result on one labelled test part. ``scores``: anomaly scores (higher = more
    anomalous); ``y``: 1 = anomaly; ``names``: class name per sample; ``metrics``: as
    :func:`threshold_metrics` returns them, plus ``seed`` and ``part``; ``per_class``: the AUROC
    of each anomalous class against the normal samples; ``masks``: for inspection data, each test
    image's mask file."""

    detector: object
    X: object
    y: np.ndarray
    scores: np.ndarray
    metrics: dict
    names: list[str] | None = None
    part: str = "test"
    data: dict = field(default_factory=dict)
    per_class: dict[str, float] = field(default_factory=dict)
    masks: list | None = None  # inspection data: each test image's defect mask file (None: none)


def per_class_auroc(y, scores: np.ndarray, names: list[str]) -> dict[str, float]:
    """AUROC of each anomalous class against all normal samples."""
    from sklearn.metrics import roc_auc_score

    y, names = np.asarray(y), np.asarray(names)
    normal = scores[y == 0]
    out = {}
    for name in dict.fromkeys(names[y == 1]):
        chosen = scores[(names == name) & (y == 1)]
        if len(normal):
            out[str(name)] = float(roc_auc_score(np.r_[np.zeros(len(normal)), np.ones(len(chosen))],
                                                 np.r_[normal, chosen]))
    return out


def evaluate(detector, X_test, y_test, *, part: str = "test", names: list[str] | None = None,
             data: dict | None = None, sweep: list[float] | None = None,
             fixed: dict[str, float] | None = None) -> Evaluation:
    """Score X_test once with ``detector`` (``y_test``: 1 = anomaly) and measure the result: at its
    threshold, at other rules on its validation scores, at the ``fixed`` thresholds named (e.g.
    ``{"fixed 0.02": 0.02}``, only meaningful in the units of its scores) and over ``sweep``."""
    y_test = np.asarray(y_test)
    scores = detector.anomaly_score(X_test)
    metrics = {**threshold_metrics(detector, y_test, scores, sweep, fixed),
               "seed": detector.seed_, "part": part}
    per_class = per_class_auroc(y_test, scores, names) if names is not None else {}
    return Evaluation(detector, X_test, y_test, scores, metrics, names, part, data or {}, per_class)


def evaluate_folder(model_dir: str | Path, data: str, normal: str | None = None, *,
                    sweep: list[float] | None = None, strict: bool = False, masks: str = "require"):
    """Load a model folder, open ``data`` as it was fitted, score its test part once. Returns an
    :class:`Evaluation`, or an :class:`~aedetect.audio_evaluation.AudioEvaluation` for an audio model.
    ``masks``: for inspection data, "require" or "ignore" (image level only)."""
    from aedetect.data.model_data import evaluation_data
    from aedetect.loading import load
    from aedetect.maps import stored_settings

    detector = load(model_dir)
    meta = getattr(detector, "metadata_", {}).get("data", {})
    if meta.get("kind") == "inspection":  # images with defect masks: image and pixel metrics
        from aedetect.data.inspection import open_inspection
        from aedetect.inspection_evaluation import map_metrics, test_images

        found = open_inspection(data, test_fraction=meta["test_fraction"], seed=meta["split_seed"],
                                masks=masks)
        X, y = test_images(detector, found)
        summary = {"path": str(data), "layout": found.layout, "test images": len(found.test),
                   "masks": found.has_masks}
        result = evaluate(detector, X, y, names=found.test_defects, data=summary, sweep=sweep)
        stored = detector.metadata_.get("maps", {})  # kind, sigma and threshold set at fit
        result.metrics |= map_metrics(detector, found, X, y, result.scores, **stored_settings(detector),
                                      threshold=stored.get("threshold"))
        result.masks = found.masks
        return result
    if hasattr(detector, "encoder_"):  # a table: the rows held out at fit
        from aedetect.table_evaluation import test_part

        meta = detector.metadata_.get("data", {})
        X_test, y_test, names = test_part(data, meta)
        summary = {"path": str(data), "kind": "table", "rows": len(X_test),
                   "label_column": meta["label_column"], "normal": meta["normal"]}
        return evaluate(detector, X_test, y_test, part="held-out", names=names, data=summary, sweep=sweep)
    if hasattr(detector, "detector_"):  # machine sounds
        from aedetect.audio_evaluation import evaluate_audio

        return evaluate_audio(detector, data, sweep=sweep, strict=strict)
    X_test, y_test, names, part, summary = evaluation_data(data, detector.metadata_.get("data", {}), normal,
                                                           strict)
    return evaluate(detector, X_test, y_test, part=part, names=names, data=summary, sweep=sweep)
