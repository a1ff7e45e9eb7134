"""``aedetect compare``: several fitted models on the same test data, in one report."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import check_out, info, user_errors


def compare(
    model_dirs: list[Path] = typer.Argument(..., help="Two or more model folders fitted on the same data."),
    data: str = typer.Option(..., "--data", help="The labelled data the models were fitted on."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for comparison.html and comparison.json."),
    normal: str = typer.Option(None, help="Normal class(es); default: those the models were fitted on."),
) -> None:
    """Score one test set with every model; write a side-by-side report."""
    from aedetect.data.model_data import evaluation_data
    from aedetect.detector import AutoencoderDetector
    from aedetect.errors import InputError
    from aedetect.files import write_json
    from aedetect.report.comparison_report import comparison_report

    with user_errors():
        check_out(out, folder=True)
        detectors = {}
        for path in model_dirs:
            name = path.name if path.name not in detectors else str(path)
            detectors[name] = AutoencoderDetector.load(path)
        metas = [d.metadata_.get("data", {}) for d in detectors.values()]
        split = ("normal", "test_fraction", "split_seed", "n_samples", "image_size", "color")
        differ = [k for k in split if len({repr(m.get(k)) for m in metas}) > 1]
        if differ:
            raise InputError(f"the models were fitted on different data or splits ({', '.join(differ)} "
                             "differ), so they would be tested on different samples: refit them with the "
                             "same --normal, --split-seed and --image-size")
        X_test, y_test, names, _, summary = evaluation_data(data, metas[0], normal)
        path, metrics = comparison_report(detectors, X_test, y_test, out / "comparison.html",
                                          labels=names, data=summary)
        write_json(out / "comparison.json", metrics)
    for name, m in metrics.items():
        print(f"{name}: AUROC {m['auroc']:.4f}  AUPR {m['aupr']:.4f}  F1 {m['f1']:.4f}")
    info(f"wrote {path} and {out / 'comparison.json'}")
