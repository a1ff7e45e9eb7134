import os
import shutil

import numpy as np
import pytest
from PIL import Image

from aedetect import AutoencoderDetector
from aedetect.evaluation import evaluate
from aedetect.report import plots
from aedetect.report.outputs import write_evaluation
from tests.conftest import render_in_browser

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def synthetic():
    """Digits: zeros normal; the classes 1 and 2 renamed to a script tag and to 'scratch & dent'."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)
    rng = np.random.default_rng(0)
    test = np.r_[np.flatnonzero(y == 0)[140:], np.flatnonzero(y == 1)[:20], np.flatnonzero(y == 2)[:20]]
    names = {0: "parts", 1: EVIL, 2: "scratch & dent"}
    return {"train": X[y == 0][:140], "X": X[test], "y": (y[test] != 0).astype(int),
            "labels": [names[c] for c in y[test]],
            "scores": np.r_[rng.random(38), rng.random(40) + 0.6]}


def png_size(path):
    with Image.open(path) as img:
        return img.size


def test_plot_functions_write_pngs_of_the_expected_size(tmp_path, synthetic):
    y, s = synthetic["y"], synthetic["scores"]
    images = plots.to_display(synthetic["X"][:6], (0, 255))
    sweep = [{"threshold": t, "accuracy": 0.8, "precision": 0.7, "recall": 0.9, "f1": 0.78}
             for t in (0.1, 0.2)]
    cases = {
        "loss": (plots.plot_loss, ({"train_loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "best_epoch": 3},),
                 (6, 4)),
        "hist": (plots.plot_score_histogram, (s, y, 0.5), (6, 4)),
        "roc": (plots.plot_roc, (y, s), (4.5, 4.5)),
        "pr": (plots.plot_pr, (y, s), (4.5, 4.5)),
        "confusion": (plots.plot_confusion, ({"tp": 3, "fp": 1, "tn": 5, "fn": 2, "threshold": 0.5},),
                      (4, 3.6)),
        "sweep": (plots.plot_sweep, (sweep, 0.15), (6, 4)),
        "grid": (plots.plot_sample_grid, (images, ["a"] * 6, "grid"), (1.3 * 8, 1.55 + 0.4)),
        "recon": (plots.plot_reconstructions, (images[:2], images[:2] * 0.5, ["x", "y"]), (6.2, 4.3)),
        "classes": (plots.plot_class_counts, (["a", "b"], [3, 4], {"a"}), (5, 3.6)),
        "per_class": (plots.plot_per_class, (["a", "b"], [0.7, 0.9], "AUROC", "t"), (5, 3.6)),
        "latent": (plots.plot_latent, (np.random.default_rng(0).random((78, 5)), synthetic["labels"]),
                   (6, 5)),
        "compare": (plots.plot_roc_comparison, ({"ae": (y, s), "vae": (y, -s)},), (5, 5)),
        "side_by_side": (plots.plot_reconstruction_comparison,
                         (images[:2], {"ae": images[:2], "vae": images[:2]}, ["n", "a"], {"ae": "0.9"}),
                         (1.6 * 3, 1.6 * 2 + 0.6)),
    }
    for name, (fn, args, inches) in cases.items():
        fn(*args, path=tmp_path / f"{name}.png")
        size = png_size(tmp_path / f"{name}.png")
        assert all(abs(a - v * 110) <= 1 for a, v in zip(size, inches)), (name, size)


def test_latent_tsne_and_many_classes(tmp_path):
    codes = np.random.default_rng(0).random((60, 4))
    labels = [f"class {i % 30}" for i in range(60)]
    plots.plot_latent(codes, labels, method="tsne", path=tmp_path / "t.png")
    assert png_size(tmp_path / "t.png") == (660, 550)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, synthetic):
    out = tmp_path_factory.mktemp("report")
    det = AutoencoderDetector(model="dense_ae", model_options={"hidden": [32], "latent": 8},
                              epochs=150, batch_size=16, random_state=0, verbose=0).fit(synthetic["train"])
    result = evaluate(det, synthetic["X"], synthetic["y"], names=synthetic["labels"],
                      data={"name": f"bench {EVIL}", "path": "/data/<b>odd</b> name"})
    assert not any(out.iterdir())  # evaluating writes nothing
    write_evaluation(result, out)
    return out


def test_report_is_self_contained_escaped_and_small(report_dir):
    html = (report_dir / "report.html").read_text()
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>odd</b>" not in html
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html
    for section in ("Reading", "Result", "Threshold sweep", "Samples", "Classes", "Latent space",
                    "Model and training", "Data"):
        assert f"<h2>{section}</h2>" in html
    assert html.count("data:image/png;base64,") >= 12
    assert "normal test samples" in html and "are flagged as anomalies" in html
    assert (report_dir / "report.html").stat().st_size < 3_000_000


def test_report_in_a_real_browser(report_dir, tmp_path):
    """Headless Chromium renders the report: not blank, every image loaded, no request
    leaves the file, and the class named like a script tag is shown as text."""
    images, text, requests, dialogs, scripts = render_in_browser(report_dir / "report.html",
                                                                 tmp_path / "shot.png")
    assert len(images) >= 12 and all(done and width > 0 for done, width in images)
    outside = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert outside == []
    assert dialogs == [] and scripts == 0
    assert EVIL in text
    shot = np.asarray(Image.open(tmp_path / "shot.png").convert("L"), dtype=float)
    assert shot.std() > 10  # not a blank page
    if os.environ.get("AEDETECT_SCREENSHOT"):
        shutil.copy(tmp_path / "shot.png", os.environ["AEDETECT_SCREENSHOT"])


def test_one_class_mean_row_shows_two_decimals_so_a_near_miss_is_not_rounded_up():
    from aedetect.benchmarking.report import result_tables

    summary = [{"model": "cae", "normal": str(n), "anomalous": "all others", "auroc": a, "auroc_sd": 0.0,
                "train_seconds": 1.0, "score_seconds": 1.0} for n, a in enumerate((0.9896, 0.9896))]
    (_, header, rows), *_ = result_tables("one-class", summary, "mnist (idx)")
    assert rows[-1][:2] == ["mean", "98.96%"]  # one decimal would print 99.0%
