"""Several detectors on the same test set, side by side: metrics in one table, ROC
curves on one plot, per-class AUROC, and the same inputs reconstructed by each
model with its AUROC underneath (the comparative paper's Figures 3 and 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from aedetect.metrics import evaluate_scores
from aedetect.report import plots
from aedetect.report.html import figure, table, write_report


def comparison_report(detectors: dict, X_test, y_test, out: str | Path, *,
                      labels: list[str] | None = None, data: dict | None = None,
                      seed: int = 0) -> tuple[Path, dict]:
    """Write ``out`` (an HTML file) comparing ``{name: fitted detector}`` on X_test
    (``y_test``: 1 = anomaly). Each detector scores X_test once at its own threshold.
    Returns the path and ``{name: metrics}``."""
    y_test = np.asarray(y_test)
    labels = list(labels) if labels is not None else ["anomaly" if y else "normal" for y in y_test]
    labels_arr = np.asarray(labels)
    scores = {name: det.anomaly_score(X_test) for name, det in detectors.items()}
    metrics = {name: evaluate_scores(y_test, s, detectors[name].threshold_) for name, s in scores.items()}

    keys = ["auroc", "aupr", "f1", "precision", "recall", "threshold", "fp", "fn"]
    rows = [[name, *(m[k] for k in keys), detectors[name].history_.get("seconds")]
            for name, m in metrics.items()]
    sections = [{"title": "Metrics", "tables": [table(["model", *keys, "training s"], rows)],
                 "figures": [figure(plots.plot_roc_comparison({n: (y_test, s) for n, s in scores.items()}),
                                    "ROC curves of every model on the same test samples.")]}]

    normal_names = set(labels_arr[y_test == 0])
    anomalous = sorted(set(labels_arr[y_test == 1]))
    class_sections = []
    if anomalous:
        per_class = []
        for name in anomalous:
            sel = (y_test == 0) | (labels_arr == name)
            per_class.append([name, *(roc_auc_score(y_test[sel], s[sel]) for s in scores.values())])
        class_sections.append({"title": "AUROC per anomalous class",
                               "text": "Each anomalous class against the normal test samples.",
                               "tables": [table(["class", *detectors], per_class)]})

    first = next(iter(detectors.values()))
    if len(first.input_shape_) >= 2:
        rng = np.random.default_rng(seed)
        normal_idx = np.flatnonzero(y_test == 0)
        order = normal_idx[np.argsort(scores[next(iter(scores))][normal_idx])]
        picks = [int(order[len(order) // 2])] if len(order) else []  # a typical normal sample
        for name in anomalous[:4]:
            picks.append(int(rng.choice(np.flatnonzero(labels_arr == name))))
        raw = np.asarray(X_test[np.sort(picks)])[np.argsort(np.argsort(picks))]
        recon = {n: plots.to_display(d.reconstruct(raw), d.input_range_) for n, d in detectors.items()}
        captions = [f"{labels[i]}" + (" (normal)" if labels[i] in normal_names else "") for i in picks]
        aurocs = {n: f"AUROC {m['auroc']:.3f}" for n, m in metrics.items() if m["auroc"] is not None}
        sections.append({"title": "Reconstructions by model", "figures": [figure(
            plots.plot_reconstruction_comparison(plots.to_display(raw, first.input_range_), recon,
                                                 captions, aurocs),
            "The same inputs (rows) reconstructed by each model (columns).")]})
    sections += class_sections  # the long per-class table after the pictures
    if data:
        sections.append({"title": "Data",
                         "tables": [table(["item", "value"], [[k, v] for k, v in data.items()])]})

    ranked = sorted(((m["auroc"] or 0.0, n) for n, m in metrics.items()), reverse=True)
    others = ", ".join(f"{n} ({a:.3f})" for a, n in ranked[1:])
    reading = [f"Best AUROC: {ranked[0][1]} ({ranked[0][0]:.3f})" + (f", then {others}." if others else ".")]
    reading.append(f"Each model flags samples above its own threshold, chosen on its held-out normal "
                   f"training data; {int((y_test == 0).sum())} normal and {int(y_test.sum())} anomalous "
                   "test samples.")
    warnings = [f"{n} reconstructs held-out normals no better than a constant output (collapsed or "
                "undertrained)." for n, d in detectors.items() if d.history_.get("collapsed")]
    path = write_report(out, title="aedetect model comparison",
                        subtitle=f"{', '.join(detectors)} on {(data or {}).get('name', 'the data')}",
                        reading=reading, sections=sections, warnings=warnings)
    return path, metrics
