"""``aedetect demo``: the main job end to end on data that ships with scikit-learn.

The 8x8 digits: digit 0 is normal, the nine others are anomalies. A seeded,
stratified 30% of all images is held out for testing; a dense autoencoder, a
VAE and a beta-VAE on the same 64-32-8 network train on the remaining zeros
(a fifth of them held out again for early model selection and the
threshold), then the held-out part is scored once by each.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from aedetect.cli.common import check_out, info, user_errors

MODELS = ("dense_ae", "vae", "beta_vae")


def demo(
    out: Path = typer.Option(Path("aedetect-demo"), "--out", "-o", help="Folder for the outputs."),
    epochs: int = typer.Option(300, min=1),
    seed: int = typer.Option(0),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fit, evaluate and report on scikit-learn's digits (0 normal, 1-9 anomalous)."""
    from aedetect.cli.evaluate import print_metrics
    from aedetect.data.datasets import open_dataset
    from aedetect.data.model_data import data_summary, evaluation_part, take
    from aedetect.evaluation import evaluate
    from aedetect.fitting import fit_on_dataset
    from aedetect.report.comparison_report import comparison_report
    from aedetect.report.outputs import write_evaluation

    start = time.perf_counter()
    with user_errors():
        check_out(out, folder=True)
        dataset = open_dataset("builtin:digits")
        detectors = {}
        for model in MODELS:
            params = dict(model=model, model_options={"arch": "dense", "hidden": [32], "latent": 8},
                          epochs=epochs, batch_size=32, learning_rate=1e-3, validation_fraction=0.2,
                          threshold="percentile", threshold_param=None, patience=None, device="auto",
                          random_state=seed, verbose=0 if quiet else 1)
            detectors[model], meta = fit_on_dataset(dataset, "0", params, test_fraction=0.3,
                                                    split_seed=seed, out=out / "models" / model)
        X_test, y_test, index, part = evaluation_part(dataset, [0], meta)
        X_test, names = take(dataset.X_train, index), [str(c) for c in dataset.y_train[index]]
        summary = {**data_summary(dataset, [0]), "tested part": part}
        result = evaluate(detectors["dense_ae"], X_test, y_test, part=part, names=names, data=summary)
        write_evaluation(result, out)
        metrics = result.metrics
        _, compared = comparison_report(detectors, X_test, y_test, out / "comparison.html", labels=names,
                                        data=summary)
    print_metrics(metrics)
    print(f"AUROC {metrics['auroc']:.4f}  F1 {metrics['f1']:.4f} at threshold "
          f"{metrics['threshold']:.4g} (95th percentile of held-out normal errors), dense autoencoder")
    print("same network as VAE / beta-VAE: AUROC "
          + " / ".join(f"{compared[m]['auroc']:.4f}" for m in MODELS[1:]))
    print(f"outputs in {out}/: report.html and comparison.html (open them in a browser), models/, "
          "metrics.json, scores.csv, loss.png, scores.png, roc.png")
    info(f"demo took {time.perf_counter() - start:.1f} s")
