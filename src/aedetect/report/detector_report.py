"""The report of one fitted detector on one labelled test set: metrics, plots,
samples, classes, latent space, training, and a plain-language reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aedetect.report import plots
from aedetect.report.html import figure, table, write_report

_METHOD_TEXT = {
    "percentile": "the {p:g}th percentile of the held-out normal training errors",
    "mean_std": "the mean + {p:g} std of the held-out normal training errors",
    "contamination": "the {q:g}th percentile of the held-out normal errors (contamination {p:g})",
    "target_fpr": "the lowest error flagging at most {pct:g}% of the held-out normals",
    "fixed": "a fixed value",
    "best_f1": "the best F1 on labelled validation data",
}
_DEFAULTS = {"percentile": 95.0, "mean_std": 2.0, "contamination": 0.05, "target_fpr": 0.05}


def describe_threshold(method: str, param: float | None) -> str:
    p = _DEFAULTS.get(method, 0.0) if param is None else float(param)
    return _METHOD_TEXT[method].format(p=p, q=100 * (1 - p), pct=100 * p)


def reading(metrics: dict, method: str, param: float | None, per_class: list[tuple[str, float]]) -> list[str]:
    """A few plain sentences about the result."""
    n0, n1 = metrics["n_normal"], metrics["n_anomalous"]
    lines = [
        f"At the threshold {metrics['threshold']:.4g} ({describe_threshold(method, param)}), "
        f"{metrics['fp']} of {n0} normal test samples ({metrics['fp'] / max(n0, 1):.1%}) are flagged as "
        f"anomalies, and {metrics['tp']} of {n1} anomalies ({metrics['recall']:.1%}) are caught."
    ]
    if metrics["auroc"] is not None:
        lines.append(f"AUROC {metrics['auroc']:.3f}: a randomly drawn anomaly scores higher than a "
                     f"randomly drawn normal sample {metrics['auroc']:.1%} of the time (50% is chance).")
    if method in ("percentile", "contamination", "target_fpr"):
        expected = {"percentile": 100 - (param or 95.0), "contamination": 100 * (param or 0.05),
                    "target_fpr": 100 * (param or 0.05)}[method]
        lines.append(f"On the held-out normal training samples about {expected:g}% lie above the "
                     f"threshold; on the normal test samples {metrics['fp'] / max(n0, 1):.1%} do. "
                     "A large gap means the test normals differ from the training normals.")
    if len(per_class) >= 2:
        ranked = sorted(per_class, key=lambda kv: kv[1])
        k = min(3, len(ranked) // 2)  # no class named as both hardest and easiest
        hard = ", ".join(f"{name} ({v:.3f})" for name, v in ranked[:k])
        easy = ", ".join(f"{name} ({v:.3f})" for name, v in ranked[::-1][:min(3, len(ranked) - k)])
        lines.append(f"Anomalous classes hardest to tell from the normal class (AUROC): {hard}; "
                     f"easiest: {easy}.")
    return lines


def alternatives_table(alternatives: dict) -> dict:
    """The metrics at the other threshold rules, as a report table."""
    return table(["threshold rule", "threshold", "precision", "recall", "f1", "fp", "fn"],
                 [[k, v["threshold"], v["precision"], v["recall"], v["f1"], v["fp"], v["fn"]]
                  for k, v in alternatives.items()], caption="Other threshold rules")


def _pick(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(scores, kind="stable")
    return order[:k], order[::-1][:k]


def detector_report(detector, X_test, y_test, scores: np.ndarray, metrics: dict, out: str | Path, *,
                    labels: list[str] | None = None, data: dict | None = None, latent: str = "pca",
                    grid: int = 16, seed: int = 0, per_class: dict[str, float] | None = None,
                    masks: list | None = None) -> Path:
    """Write ``out`` (report.html) for ``detector`` scored on X_test.

    ``y_test``: 1 = anomaly; ``scores``: the detector's anomaly scores of
    X_test; ``metrics``: from the evaluation (with ``sweep`` and
    ``alternative_thresholds``); ``labels``: class name per test sample;
    ``data``: a summary of the data (name, normal classes, part...); ``per_class``: the AUROC of
    each anomalous class (:func:`aedetect.evaluation.per_class_auroc`, computed here when None);
    ``masks``: inspection data's mask file per test image (adds the "where" section).
    Grids show ``grid`` samples; the latent plot at most 1,000 samples.
    """
    data = data or {}
    y_test = np.asarray(y_test)
    labels = list(labels) if labels is not None else ["anomaly" if y else "normal" for y in y_test]
    rng = np.random.default_rng(seed)
    is_table = hasattr(detector, "encoder_")
    net = detector.detector_ if is_table else detector  # the autoencoder: a table model wraps one
    is_image = not is_table and len(detector.input_shape_) >= 2
    warnings = []
    if detector.history_.get("collapsed"):
        warnings.append("This model reconstructs held-out normal samples no better than a constant "
                        "output would: it collapsed or is undertrained, and its scores mostly measure "
                        "how far an input lies from the average. Retrain it (see the README).")

    if per_class is None:
        from aedetect.evaluation import per_class_auroc

        per_class = per_class_auroc(y_test, scores, labels)
    aucs, class_rows = per_class, []
    normal_names = {n for n, y in zip(labels, y_test) if y == 0}
    names = sorted(set(labels), key=lambda n: (n not in normal_names, n))  # normal classes first
    for name in names:
        sel = np.asarray([lab == name for lab in labels])
        role = "normal" if name in normal_names else "anomaly"
        auc = aucs.get(name) if name not in normal_names else None
        class_rows.append([name, int(sel.sum()), role, float(scores[sel].mean()), auc])
    per_class = [(name, aucs[name]) for name in names if name in aucs and name not in normal_names]

    head = ["n_normal", "n_anomalous", "auroc", "aupr", "threshold", "f1", "precision", "recall",
            "accuracy", "tp", "fp", "tn", "fn"]
    result = {"title": "Result", "tables": [table(["metric", "value"], [[k, metrics[k]] for k in head])],
              "figures": [figure(plots.plot_score_histogram(
                  scores, y_test, detector.threshold_,
                  extra_thresholds={k: v["threshold"] for k, v in
                                    metrics.get("alternative_thresholds", {}).items()}),
                  "Anomaly scores of the normal and anomalous test samples; the solid line is the "
                  "threshold, dashed lines other rules (from held-out normal training data, or fixed).")]}
    if metrics["auroc"] is not None:
        result["figures"] += [figure(plots.plot_roc(y_test, scores), "ROC curve (anomaly = positive)."),
                              figure(plots.plot_pr(y_test, scores), "Precision-recall curve.")]
    result["figures"].append(figure(plots.plot_confusion(metrics), "Confusion matrix at the threshold."))
    alternatives = metrics.get("alternative_thresholds", {})
    if alternatives:
        result["tables"].append(alternatives_table(alternatives))
    sections = [result]

    sweep = metrics.get("sweep", [])
    if sweep:
        keys = ["threshold", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"]
        sections.append({"title": "Threshold sweep", "text": "Flagged: score > threshold.",
                         "tables": [table(keys, [[r[k] for k in keys] for r in sweep])],
                         "figures": [figure(plots.plot_sweep(sweep, detector.threshold_),
                                            "Metrics against the threshold.")]})

    if is_image:
        low, high = _pick(scores, grid)
        pictures = []
        for idx, title in ((high, "Most anomalous test samples"), (low, "Most normal test samples")):
            images = plots.to_display(np.asarray(X_test[np.sort(idx)]), detector.input_range_)
            order = np.argsort(np.argsort(idx))  # back from sorted reading order to score order
            captions = [f"{labels[i]}\n{scores[i]:.4g}" for i in idx]
            pictures.append(figure(plots.plot_sample_grid(images[order], captions, title),
                                   f"{title}, with class and score."))
        chosen = np.r_[high[:4], low[:2]]
        raw = np.asarray(X_test[np.sort(chosen)])[np.argsort(np.argsort(chosen))]
        pictures.append(figure(plots.plot_reconstructions(
            plots.to_display(raw, detector.input_range_),
            plots.to_display(detector.reconstruct(raw), detector.input_range_),
            [f"{labels[i]}, score {scores[i]:.4g}" for i in chosen]),
            "Inputs, their reconstructions and where the error lies (four most anomalous, two most normal)."))
        sections.append({"title": "Samples", "figures": pictures})

    if is_table:
        from aedetect.report.table_report import table_sections

        sections += table_sections(detector, X_test, scores)
    if masks is not None and "per_defect" in metrics:
        from aedetect.report.inspection_report import inspection_sections

        sections += inspection_sections(detector, X_test, y_test, scores, metrics, labels, masks,
                                        map_settings=getattr(detector, "metadata_", {}).get("maps"))

    class_figures = [figure(plots.plot_class_counts(names, [r[1] for r in class_rows], normal_names),
                            "Test samples per class.")]
    if per_class:
        class_figures.append(figure(plots.plot_per_class(
            [n for n, _ in per_class], [v for _, v in per_class], "AUROC",
            "AUROC per anomalous class", reference=0.5),
            "Each anomalous class against the normal test samples (0.5 is chance)."))
    sections.append({"title": "Classes", "figures": class_figures, "figures_first": True,
                     "tables": [table(["class", "test samples", "role", "mean score", "AUROC vs normal"],
                                      class_rows)]})

    sample = np.sort(rng.choice(len(y_test), size=min(1000, len(y_test)), replace=False))
    codes = (net.encode(detector.encode(X_test.iloc[sample])) if is_table
             else detector.encode(np.asarray(X_test[sample])))
    sections.append({"title": "Latent space", "figures": [figure(
        plots.plot_latent(codes, [labels[i] for i in sample], method=latent, seed=seed),
        f"Latent codes of {len(sample)} test samples, projected to 2-D.")]})

    h = detector.history_
    rule = describe_threshold(detector.threshold_method_, detector.threshold_param_)
    if is_table:
        enc = detector.encoder_
        described = (f"{len(enc.columns_)} columns ({len(enc.categories_)} one-hot encoded) -> "
                     f"{len(enc.names_)} inputs, {enc.scaling} scaling per column")
    else:
        described = f"{detector.input_shape_} {detector.input_dtype_}, " + (
            "scaled per column (each column's minimum and maximum on the training data)"
            if getattr(detector, "scaling_", "global") == "column" else
            f"scaled from {tuple(detector.input_range_)}")
    config = [["model", net.model], ["model options", net.model_options or {}],
              ["epochs run", len(h["train_loss"])], ["kept epoch", h["best_epoch"]],
              ["batch size", net.batch_size], ["learning rate", net.learning_rate],
              ["validation fraction", net.validation_fraction],
              ["threshold", f"{detector.threshold_:.6g} ({rule})"], ["input", described],
              ["seed", detector.seed_], ["training time", f"{h.get('seconds', 0):.1f} s"]]
    sections.append({"title": "Model and training", "tables": [table(["setting", "value"], config)],
                     "figures": [figure(plots.plot_loss(h), "Loss per epoch on training and held-out "
                                                           "normal data.")]})
    if data:
        sections.append({"title": "Data", "tables": [table(["item", "value"],
                                                           [[k, v] for k, v in data.items()])]})

    subtitle = (f"{net.model} on {data.get('name', 'the data')}; normal: "
                f"{', '.join(sorted(normal_names)) or 'none'}; {metrics['n_normal']} normal and "
                f"{metrics['n_anomalous']} anomalous test samples")
    return write_report(out, title="aedetect report", subtitle=subtitle,
                        reading=reading(metrics, detector.threshold_method_, detector.threshold_param_,
                                        per_class),
                        sections=sections, warnings=warnings)
