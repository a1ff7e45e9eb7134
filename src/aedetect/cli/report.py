"""``aedetect report``: the self-contained HTML report of a model on labelled data."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import check_out, info, user_errors
from aedetect.cli.evaluate import Latent, parse_sweep


def report(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    data: str = typer.Argument(..., help="The labelled data (as for `aedetect fit`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for report.html (and the metrics)."),
    normal: str = typer.Option(None, help="Normal class(es); default: those the model was fitted on."),
    latent: Latent = typer.Option(Latent.pca, help="Projection of the latent codes."),
    sweep: str = typer.Option(None, help="Thresholds START:STOP:STEP for the sweep table."),
) -> None:
    """Write OUT/report.html: metrics, plots, samples, classes, latent space, in one file."""
    from aedetect.evaluation import evaluate_folder
    from aedetect.report.outputs import write_evaluation

    with user_errors():
        check_out(out, folder=True)
        result = evaluate_folder(model_dir, data, normal, sweep=parse_sweep(sweep))
        write_evaluation(result, out, latent=latent.value)
    size = (out / "report.html").stat().st_size
    print(f"{out / 'report.html'} ({size / 1e6:.1f} MB): AUROC {result.metrics['auroc']:.4f}, "
          f"F1 {result.metrics['f1']:.4f}")
    info("open it in a browser; it needs no network")
