import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from aedetect.cli.main import app
from tests.conftest import blobs, press_ctrl_c_in_epoch

runner = CliRunner()


@pytest.fixture
def labelled_npz(tmp_path):
    X = np.concatenate([blobs(150, seed=1), blobs(60, anomalous=True, seed=2)])
    y = np.r_[np.zeros(150, int), np.ones(60, int)]
    np.savez(tmp_path / "parts.npz", X=X, y=y, class_names=np.array(["good", "bad"]))
    return tmp_path / "parts.npz"


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result


def test_fit_evaluate_score_round_trip(tmp_path, labelled_npz):
    model = tmp_path / "model"
    run("fit", labelled_npz, "--normal", "good", "--model", "conv_ae", "--epochs", "20", "--batch-size", "16",
        "--model-options", '{"channels": [8, 16], "latent": 8}', "--out", model, "--quiet")
    config = json.loads((model / "config.json").read_text())
    assert config["metadata"]["data"]["normal"] == ["good"]
    assert config["metadata"]["data"]["test_fraction"] == 0.2

    result = run("evaluate", model, labelled_npz, "--out", tmp_path / "eval", "--sweep", "0.01:0.05:0.01")
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    for key in ("auroc", "aupr", "f1", "precision", "recall", "accuracy", "tp", "fp", "tn", "fn",
                "threshold", "sweep"):
        assert key in metrics
    assert metrics["part"] == "held-out"
    assert metrics["n_normal"] + metrics["n_anomalous"] == 42  # 20% of 210, never trained on
    assert metrics["auroc"] > 0.9
    assert [round(r["threshold"], 3) for r in metrics["sweep"]] == [0.01, 0.02, 0.03, 0.04, 0.05]
    assert "auroc" in result.stdout
    for name in ("scores.csv", "loss.png", "scores.png", "roc.png"):
        assert (tmp_path / "eval" / name).stat().st_size > 0

    run("score", model, labelled_npz, "--out", tmp_path / "scores.csv")
    with open(tmp_path / "scores.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 210 and rows[0]["class"] == "good"
    flagged = [int(r["flagged"]) for r in rows]
    assert sum(flagged[150:]) > 50 and sum(flagged[:150]) < 30


def test_fit_and_score_an_image_folder(tmp_path):
    for i, img in enumerate(blobs(40, size=12, seed=3)):
        Image.fromarray(img).save(tmp_path / f"part_{i:03d}.png")
    run("fit", tmp_path, "--epochs", "2", "--out", tmp_path / "m", "--quiet")
    run("score", tmp_path / "m", tmp_path, "--out", tmp_path / "s.csv")
    with open(tmp_path / "s.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and rows[3]["file"].endswith("part_003.png")


def test_user_errors_are_one_line_with_exit_code_2(tmp_path, labelled_npz):
    cases = [
        ["fit", tmp_path / "nowhere", "--out", tmp_path / "m"],
        ["fit", labelled_npz, "--normal", "shiny", "--out", tmp_path / "m"],
        ["fit", labelled_npz, "--out", tmp_path / "m"],
        ["fit", labelled_npz, "--normal", "good", "--model", "vae9", "--out", tmp_path / "m"],
        ["fit", labelled_npz, "--normal", "good", "--model-options", "{bad", "--out", tmp_path / "m"],
        ["evaluate", tmp_path, labelled_npz, "--out", tmp_path / "e"],
    ]
    for args in cases:
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aedetect: error:"), result.stderr
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_real_subprocess_usage_error_and_lazy_imports():
    result = subprocess.run([sys.executable, "-m", "aedetect.cli", "fit"], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Missing option" in result.stderr
    assert "Traceback" not in result.stderr
    code = "import sys, aedetect.cli.main; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_demo_command_runs_end_to_end(tmp_path):
    """The README's main job, as a real subprocess."""
    result = subprocess.run([sys.executable, "-m", "aedetect.cli", "demo", "--out", tmp_path / "d",
                             "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "AUROC" in result.stdout and "F1" in result.stdout
    metrics = json.loads((tmp_path / "d" / "metrics.json").read_text())
    assert metrics["auroc"] > 0.95
    for model in ("dense_ae", "vae", "beta_vae"):
        assert (tmp_path / "d" / "models" / model / "model.safetensors").exists()
    for name in ("roc.png", "report.html", "comparison.html"):
        assert (tmp_path / "d" / name).stat().st_size > 10_000
    assert "VAE / beta-VAE: AUROC" in result.stdout


@pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")
def test_compare_models_on_one_test_set(tmp_path, labelled_npz):
    for model, split_seed in (("dense_ae", 0), ("dae", 0), ("vae", 1)):
        run("fit", labelled_npz, "--normal", "good", "--model", model, "--epochs", "3", "--quiet",
            "--split-seed", split_seed, "--model-options", '{"arch": "dense", "hidden": [16], "latent": 4}',
            "--out", tmp_path / model)
    result = run("compare", tmp_path / "dense_ae", tmp_path / "dae", "--data", labelled_npz,
                 "--out", tmp_path / "cmp")
    assert "dense_ae: AUROC" in result.stdout and "dae: AUROC" in result.stdout
    metrics = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert set(metrics) == {"dense_ae", "dae"}
    assert metrics["dense_ae"]["n_normal"] + metrics["dense_ae"]["n_anomalous"] == 42
    html = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "ROC curves of every model" in html and "Reconstructions by model" in html
    refused = runner.invoke(app, ["compare", str(tmp_path / "dense_ae"), str(tmp_path / "vae"),
                                  "--data", str(labelled_npz), "--out", str(tmp_path / "cmp2")])
    assert refused.exit_code == 2 and "split_seed" in refused.stderr


def test_bad_image_files_skipped_or_refused_with_strict(tmp_path):
    from tests.test_data import make_uncurated_folder

    root = make_uncurated_folder(tmp_path / "parts")
    strict = runner.invoke(app, ["fit", str(root), "--normal", "good", "--strict",
                                 "--out", str(tmp_path / "m")])
    assert strict.exit_code == 2 and "--strict" in strict.stderr
    assert not (tmp_path / "m").exists()
    result = subprocess.run([sys.executable, "-m", "aedetect.cli", "fit", str(root), "--normal", "good",
                             "--image-size", "16", "--epochs", "1", "--quiet", "--out", str(tmp_path / "m")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "aedetect: warning: skipped 3 of 9 image files" in result.stderr


def test_fit_interrupted_then_resumed(tmp_path, labelled_npz, monkeypatch):
    from aedetect import AutoencoderDetector

    args = ["fit", str(labelled_npz), "--normal", "good", "--model", "conv_ae", "--epochs", "5",
            "--batch-size", "16", "--checkpoint-every", "2", "--quiet"]
    run(*args, "--out", tmp_path / "whole")
    assert not (tmp_path / "whole.checkpoint").exists()  # removed once the model is complete

    press_ctrl_c_in_epoch(monkeypatch, 3)
    stopped = runner.invoke(app, [*args, "--out", str(tmp_path / "m")])
    monkeypatch.undo()
    assert stopped.exit_code == 130 and "--resume --out" in stopped.stderr
    assert not (tmp_path / "m").exists() and (tmp_path / "m.checkpoint" / "fit.json").exists()
    run("fit", "--resume", "--out", tmp_path / "m", "--quiet")
    X = np.load(labelled_npz)["X"]
    np.testing.assert_array_equal(AutoencoderDetector.load(tmp_path / "m").reconstruction_error(X),
                                  AutoencoderDetector.load(tmp_path / "whole").reconstruction_error(X))
    nothing = runner.invoke(app, ["fit", "--resume", "--out", str(tmp_path / "other")])
    assert nothing.exit_code == 2 and "nothing to resume" in nothing.stderr
