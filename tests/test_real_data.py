"""Real data from $AEDETECT_DATA (default ../shared/data): skipped when absent,
failed instead when AEDETECT_REQUIRE_DATA=1 (CI)."""

import json

import numpy as np
from typer.testing import CliRunner

from aedetect import AutoencoderDetector
from aedetect.cli.main import app
from aedetect.data.datasets import open_dataset
from aedetect.data.splits import one_class_split
from aedetect.metrics import evaluate_scores
from tests.conftest import real_data


def test_mnist_digit_0_on_the_official_test_set():
    ds = open_dataset(real_data("mnist"))
    assert ds.X_train.shape == (60000, 28, 28) and ds.X_test.shape == (10000, 28, 28)
    split = one_class_split(ds.y_train, ds.resolve_classes("0"), test_labels=ds.y_test)
    assert len(split.train) == 5923  # every training zero, nothing else
    det = AutoencoderDetector(model="dense_ae", model_options={"hidden": [400], "latent": 32},
                              epochs=5, random_state=0, verbose=0).fit(ds.X_train[split.train])
    errors = det.reconstruction_error(ds.X_test)
    metrics = evaluate_scores(split.y_test, errors, det.threshold_)
    print(f"MNIST digit 0, dense_ae 784-400-32, 5 epochs: {metrics}")
    assert metrics["auroc"] >= 0.95
    assert metrics["n_normal"] == 980 and metrics["n_anomalous"] == 9020
    # The threshold is the 95th percentile of held-out training zeros, so about
    # 5% of the test zeros should be flagged; a gross mismatch means leakage or a bug.
    assert 0.01 <= metrics["fp"] / 980 <= 0.12


def test_caltech_folder_through_the_cli(tmp_path):
    """Caltech-101 is recognised from its publisher's layout; airplanes is a class;
    a held-out split is recorded and evaluated, images resized to 32x32 to stay fast."""
    data = real_data("caltech101")
    ds = open_dataset(data, image_size=(32, 32))
    assert len(ds.class_names) == 102 and "airplanes" in ds.class_names
    assert int((ds.y_train == ds.class_names.index("airplanes")).sum()) == 800
    runner = CliRunner()
    fit = runner.invoke(app, ["fit", str(data), "--normal", "airplanes", "--image-size", "32",
                              "--model", "conv_ae", "--epochs", "3", "--out", str(tmp_path / "m"),
                              "--quiet"])
    assert fit.exit_code == 0, fit.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["metadata"]["data"]["image_size"] == [32, 32]
    assert config["metadata"]["data"]["color"] == "rgb"
    ev = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(data), "--out", str(tmp_path / "e"),
                             "--sweep", "0.01:0.05:0.005"])
    assert ev.exit_code == 0, ev.output
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert metrics["part"] == "held-out" and metrics["n_normal"] == 160
    assert len(metrics["sweep"]) == 9
    assert np.isfinite(metrics["auroc"])


def test_no_collapse_warning_for_a_working_model_of_photographs():
    """The notebook's network on 96x96 airplanes, 5 epochs: blurry reconstructions whose total
    error is near a constant output's, but better than it on most held-out airplanes. Working, so
    no warning (the total error alone once raised one, and its advice made such models worse)."""
    import warnings

    from aedetect.errors import CollapseWarning
    from aedetect.presets import preset_params

    ds = open_dataset(real_data("caltech101"), image_size=(96, 96))
    airplanes = np.flatnonzero(ds.y_train == ds.class_names.index("airplanes"))
    det = AutoencoderDetector(**preset_params("caltech-cae", epochs=5, random_state=0, verbose=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        det.fit(np.asarray(ds.X_train[airplanes[:640]]))
    h = det.history_
    assert not h["collapsed"] and h["better_than_constant"] > 0.75, h


def test_the_literal_paper_network_still_gets_the_collapse_warning_with_advice_that_helps():
    """Built without batch normalisation, the paper's MNIST network outputs zeros from the second
    epoch: the check fires, and its advice is what the paper-mnist preset does (batch norm)."""
    import pytest

    from aedetect.errors import CollapseWarning
    from aedetect.presets import preset_params

    ds = open_dataset(real_data("mnist"))
    params = preset_params("paper-mnist", "conv_ae", epochs=2, random_state=0, verbose=0)
    params["model_options"] = {**params["model_options"], "norm": None}
    det = AutoencoderDetector(**params)
    with pytest.warns(CollapseWarning, match="norm='batch'"):
        det.fit(ds.X_train[ds.y_train == 1])
    assert det.history_["collapsed"] and det.history_["better_than_constant"] < 0.2


def test_every_family_separates_mnist_1_from_7():
    """Digit 1 normal, digit 7 anomalous, the paper-mnist network, 2 epochs each."""
    import warnings

    from aedetect.presets import preset_params

    ds = open_dataset(real_data("mnist"))
    X = ds.X_train[ds.y_train == 1]
    test = np.isin(ds.y_test, [1, 7])
    y = (ds.y_test[test] == 7).astype(int)
    for model in ("conv_ae", "vae", "beta_vae", "aae", "dae"):
        det = AutoencoderDetector(**preset_params("paper-mnist", model, epochs=2, random_state=0,
                                                  verbose=0))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a collapse would fail the test
            det.fit(X)
        auroc = evaluate_scores(y, det.reconstruction_error(ds.X_test[test]), det.threshold_)["auroc"]
        print(f"{model}: AUROC 1 vs 7 = {auroc:.4f}")
        assert auroc > 0.9, model
