"""``aedetect evaluate``: score a model's test part once and write metrics and plots."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from aedetect.cli.common import STRICT_HELP, check_out, info, user_errors
from aedetect.errors import InputError


class Latent(str, Enum):
    pca = "pca"
    tsne = "tsne"


def parse_sweep(text: str | None) -> list[float] | None:
    """'0.01:0.05:0.005' -> [0.01, 0.015, ..., 0.05] (stop included); None -> None."""
    import numpy as np

    if text is None:
        return None
    try:
        start, stop, step = (float(p) for p in text.split(":"))
    except ValueError:
        raise InputError(f"--sweep takes START:STOP:STEP, e.g. 0.01:0.05:0.005; got {text!r}") from None
    if step <= 0 or stop < start:
        raise InputError(f"--sweep needs STOP >= START and STEP > 0; got {text!r}")
    return [round(float(t), 12) for t in np.arange(start, stop + step / 2, step)]


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
    if "per_defect" in metrics:  # an inspection data set: where is the defect?
        pixel = metrics["pixel"]
        defects = Table(title="per defect type (against the good test images); pixel: "
                        + (", ".join(f"{k} {fmt(v)}" for k, v in pixel.items()) if isinstance(pixel, dict)
                           else pixel))
        keys = ["images", "image_auroc", "pixel_auroc", "aupro"]
        for k in ["defect", *keys]:
            defects.add_column(k, justify="right")
        for name, row in metrics["per_defect"].items():
            defects.add_row(name, *(fmt(row.get(k)) for k in keys))
        console.print(defects)


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
    image_level: bool = typer.Option(False, "--image-level", help="Inspection data: leave the defect masks "
                                     "out (image-level metrics only), e.g. when some are missing."),
) -> None:
    """Score the test part of labelled data once; write metrics, plots and report.html."""
    import json

    from aedetect.evaluation import evaluate_folder
    from aedetect.report.outputs import WRITTEN, write_evaluation

    with user_errors():
        check_out(out, folder=True)
        result = evaluate_folder(model_dir, data, normal, sweep=parse_sweep(sweep), strict=strict,
                                 masks="ignore" if image_level else "require")
        write_evaluation(result, out)
    if as_json:
        print(json.dumps({k: v for k, v in result.metrics.items() if k != "sweep"}, indent=2))
    else:
        print_metrics(result.metrics)
    missing = [kind for kind, key in (("normal", "n_normal"), ("anomalous", "n_anomalous"))
               if not result.metrics[key]]
    if missing:
        info(f"AUROC, AUPR and pAUC are n/a: the test part holds no {missing[0]} samples (they need both "
             "kinds); the threshold metrics above count what there is")
    info(f"wrote {out}/{WRITTEN}")
