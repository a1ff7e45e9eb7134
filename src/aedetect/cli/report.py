"""``aedetect report``: the self-contained HTML report of a model on labelled data."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import info, user_errors


def report(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    data: str = typer.Argument(..., help="The labelled data (as for `aedetect fit`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for report.html (and the metrics)."),
    normal: str = typer.Option(None, help="Normal class(es); default: those the model was fitted on."),
    latent: str = typer.Option("pca", help="Projection of the latent codes: pca or tsne."),
    sweep: str = typer.Option(None, help="Thresholds START:STOP:STEP for the sweep table."),
) -> None:
    """Write OUT/report.html: metrics, plots, samples, classes, latent space, in one file."""
    from aedetect.cli.evaluate import evaluate_model_dir

    with user_errors():
        metrics = evaluate_model_dir(model_dir, data, normal, out, sweep=sweep, latent=latent)
    size = (out / "report.html").stat().st_size
    print(f"{out / 'report.html'} ({size / 1e6:.1f} MB): AUROC {metrics['auroc']:.4f}, "
          f"F1 {metrics['f1']:.4f}")
    info("open it in a browser; it needs no network")
