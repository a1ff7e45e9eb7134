"""``aedetect evaluate``: score a model's test part once and write metrics and plots."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import STRICT_HELP, info, test_data_for, user_errors
from aedetect.errors import InputError
from aedetect.files import write_csv, write_json


def parse_sweep(text: str) -> list[float]:
    """'0.01:0.05:0.005' -> [0.01, 0.015, ..., 0.05] (stop included)."""
    import numpy as np

    try:
        start, stop, step = (float(p) for p in text.split(":"))
    except ValueError:
        raise InputError(f"--sweep takes START:STOP:STEP, e.g. 0.01:0.05:0.005; got {text!r}") from None
    if step <= 0 or stop < start:
        raise InputError(f"--sweep needs STOP >= START and STEP > 0; got {text!r}")
    return [round(float(t), 12) for t in np.arange(start, stop + step / 2, step)]


def threshold_metrics(detector, y_test, scores, sweep: list[float] | None = None,
                      fixed: dict[str, float] | None = None) -> dict:
    """Metrics at the detector's threshold, at other rules on its validation scores (and any
    ``fixed`` thresholds), and a sweep: over ``sweep`` or over percentiles of the validation
    scores (on the scale of this model's errors). Nothing here looks at test labels to choose."""
    import numpy as np

    from aedetect.metrics import evaluate_scores, threshold_sweep
    from aedetect.thresholds import compute_threshold

    val = detector.validation_scores_
    alternatives = {"percentile 95": compute_threshold("percentile", val, 95),
                    "mean + 2 std": compute_threshold("mean_std", val, 2), **(fixed or {})}
    if sweep is None:
        percentiles = (50, 80, 90, 95, 97.5, 99, 100)
        rows = threshold_sweep(y_test, scores, [np.percentile(val, q) for q in percentiles])
        rows = [{"validation_percentile": q, **row} for q, row in zip(percentiles, rows)]
    else:
        rows = threshold_sweep(y_test, scores, sweep)
    return {**evaluate_scores(y_test, scores, detector.threshold_),
            "threshold_method": detector.threshold_method_, "threshold_param": detector.threshold_param_,
            "alternative_thresholds": {name: evaluate_scores(y_test, scores, t)
                                       for name, t in alternatives.items()},
            "sweep": rows}


def evaluate_detector(detector, X_test, y_test, out: Path, *, sweep: list[float] | None = None,
                      part: str = "test", names: list[str] | None = None, data: dict | None = None,
                      latent: str = "pca") -> dict:
    """Score X_test once; write metrics.json, scores.csv, PNG plots and report.html into ``out``.

    The threshold is the detector's own (chosen on validation normals). The
    sweep defaults to percentiles of the validation scores, so it is on the
    scale of this model's errors; no number here is tuned on the test labels.
    Returns the metrics dict.
    """
    from aedetect.report.detector_report import detector_report
    from aedetect.report.plots import plot_loss, plot_roc, plot_score_histogram

    scores = detector.reconstruction_error(X_test)
    fixed = {"fixed 0.02 (Caltech reference)": 0.02}
    metrics = {**threshold_metrics(detector, y_test, scores, sweep, fixed), "seed": detector.seed_,
               "part": part}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", metrics)
    labels = names if names is not None else [""] * len(scores)
    write_csv(out / "scores.csv", ["index", "label", "anomaly_true", "score", "flagged"],
              ((i, labels[i], int(y), f"{s:.8g}", int(s > detector.threshold_))
               for i, (y, s) in enumerate(zip(y_test, scores))))
    plot_loss(detector.history_, out / "loss.png")
    alternatives = {k: v["threshold"] for k, v in metrics["alternative_thresholds"].items()}
    plot_score_histogram(scores, y_test, detector.threshold_, out / "scores.png",
                         extra_thresholds=alternatives)
    if metrics["auroc"] is not None:
        plot_roc(y_test, scores, out / "roc.png")
    detector_report(detector, X_test, y_test, scores, metrics, out / "report.html", labels=names,
                    data=data, latent=latent)
    return metrics


def print_metrics(metrics: dict) -> None:
    """The headline numbers and the threshold sweep as tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    def fmt(v):
        return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)

    head = Table(title=f"{metrics['part']} part")
    head.add_column("metric")
    head.add_column("value", justify="right")
    for k in ["n_normal", "n_anomalous", "auroc", "pauc", "aupr", "threshold", "f1", "precision", "recall",
              "accuracy", "tp", "fp", "tn", "fn"]:
        head.add_row(k, fmt(metrics[k]))
    cols = ["threshold", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"]
    if "validation_percentile" in metrics["sweep"][0]:
        cols.insert(0, "validation_percentile")
    short = {"validation_percentile": "val. pct", "threshold": "thresh.", "accuracy": "acc.",
             "precision": "prec."}
    sweep = Table(title="threshold sweep (flagged: score > threshold)")
    for k in cols:
        sweep.add_column(short.get(k, k), justify="right")
    for row in metrics["sweep"]:
        sweep.add_row(*(fmt(row[k]) for k in cols))
    console = Console()
    console.print(head)
    console.print(sweep)


def evaluate_model_dir(model_dir: Path, data: str, normal: str | None, out: Path, *,
                       sweep: str | None = None, latent: str = "pca", strict: bool = False) -> dict:
    """Load a model folder, open ``data`` as it was fitted, score its test part once and write
    every output into ``out`` (see :func:`evaluate_detector`). Returns the metrics."""
    from aedetect.audio_detector import is_audio_model
    from aedetect.cli.audio import evaluate_audio
    from aedetect.detector import AutoencoderDetector

    if latent not in ("pca", "tsne"):
        raise InputError(f"--latent must be pca or tsne; got {latent!r}")
    if is_audio_model(model_dir):
        return evaluate_audio(model_dir, data, out, sweep=parse_sweep(sweep) if sweep else None,
                              strict=strict)
    detector = AutoencoderDetector.load(model_dir)
    X_test, y_test, names, part, summary = test_data_for(data, detector.metadata_.get("data", {}), normal,
                                                         strict)
    return evaluate_detector(detector, X_test, y_test, out, part=part,
                             sweep=parse_sweep(sweep) if sweep else None, names=names, data=summary,
                             latent=latent)


def evaluate(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    data: str = typer.Argument(..., help="The labelled data (as for `aedetect fit`); for an audio "
                               "model, the machine folder it was fitted on."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for metrics.json, scores.csv, plots, "
                             "report.html."),
    normal: str = typer.Option(None, help="Normal class(es); default: those the model was fitted on."),
    sweep: str = typer.Option(None, help="Thresholds START:STOP:STEP, e.g. 0.01:0.05:0.005 "
                              "(default: percentiles of the validation errors)."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics as JSON instead of tables."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Score the test part of labelled data once; write metrics, plots and report.html."""
    import json

    with user_errors():
        metrics = evaluate_model_dir(model_dir, data, normal, out, sweep=sweep, strict=strict)
    if as_json:
        print(json.dumps({k: v for k, v in metrics.items() if k != "sweep"}, indent=2))
    else:
        print_metrics(metrics)
    info(f"wrote {out}/report.html, metrics.json, scores.csv, loss.png, scores.png, roc.png")
