"""What a new user hits first: folders in other layouts, tables in mixed units, small inputs, an
--out that names a file, long silent steps, labels in file names, report sentences; and
scikit-learn's own estimator checks."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from sklearn.utils.estimator_checks import parametrize_with_checks
from typer.testing import CliRunner

from aedetect import AutoencoderDetector
from aedetect.audio_detector import AudioDetector
from aedetect.cli.main import app
from aedetect.console import progress
from aedetect.data.audio_layouts import find_clips
from aedetect.data.datasets import open_dataset
from aedetect.data.synthetic import machine_sound
from aedetect.errors import CollapseWarning, InputError
from aedetect.report.detector_report import reading
from tests.conftest import blobs

# ------------------------------------------------------------ scikit-learn's estimator checks
# A network scores in float32 with MKL / oneDNN kernels whose summation order can change with the
# memory alignment of a batch: the same sample's score can differ in the last bits (measured: 1.5e-8
# absolute, 8e-7 relative; the check allows 1e-9) when the samples around it are reordered.
FLOAT32_ORDER = {"check_methods_sample_order_invariance": "float32 scores differ in the last bits "
                 "when the samples of a batch are reordered"}


@parametrize_with_checks([AutoencoderDetector(epochs=1, batch_size=16, verbose=0, random_state=0)],
                         expected_failed_checks=lambda estimator: FLOAT32_ORDER)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollapseWarning)  # one epoch on random data
        check(estimator)


def test_audio_detector_follows_the_parts_of_the_contract_that_apply():
    """The audio detector takes clips (paths or waveforms), not an (N, D) array, so scikit-learn's
    array checks do not apply; cloning, parameters and the unfitted error do."""
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    det = AudioDetector(aggregate="topk", top_k=0.2)
    assert clone(det).get_params() == det.get_params()
    with pytest.raises(NotFittedError):
        det.anomaly_score([np.zeros(16000, np.float32)])


# ------------------------------------------------------------ 1. the collapse warning
def test_collapse_check_records_how_often_the_model_beats_a_constant():
    X = blobs(300, size=8, seed=3)
    det = AutoencoderDetector(model_options={"hidden": [64], "latent": 8}, epochs=30, batch_size=32,
                              random_state=0, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        det.fit(X)
    assert det.history_["better_than_constant"] > 0.6 and not det.history_["collapsed"]


# ------------------------------------------------------------ 2. per-column scaling of vectors
def mixed_units_table(n: int, seed: int, anomalous: bool = False) -> np.ndarray:
    """Three columns in units 1e-2 .. 1e3 that move together; anomalies break the small ones."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 1))
    X = np.hstack([t * 1e-2, -t * 1e-2, t * 1e3]) + rng.normal(scale=[1e-3, 1e-3, 1e2], size=(n, 3))
    if anomalous:
        X[:, 1] = -X[:, 1]  # the small columns now disagree
    return X


def test_vectors_are_scaled_per_column_and_the_old_way_stays_available(tmp_path):
    X, A = mixed_units_table(400, 0), mixed_units_table(100, 1, anomalous=True)
    test, y = np.vstack([mixed_units_table(100, 2), A]), np.r_[np.zeros(100), np.ones(100)]
    from sklearn.metrics import roc_auc_score

    aurocs = {}
    for scaling in ("auto", "global"):
        det = AutoencoderDetector(model_options={"hidden": [16], "latent": 1}, epochs=40, batch_size=32,
                                  scaling=scaling, random_state=0, verbose=0).fit(X)
        aurocs[scaling] = roc_auc_score(y, det.anomaly_score(test))
        if scaling == "auto":
            assert det.scaling_ == "column" and np.shape(det.input_range_[0]) == (3,)
            det.save(tmp_path / "m")
            again = AutoencoderDetector.load(tmp_path / "m")
            np.testing.assert_allclose(again.anomaly_score(test), det.anomaly_score(test), rtol=1e-6)
    assert aurocs["auto"] > 0.75 and aurocs["auto"] > aurocs["global"] + 0.2, aurocs


def test_images_keep_one_range_and_constant_columns_add_nothing():
    det = AutoencoderDetector(epochs=1, verbose=0, random_state=0)
    det.fit(blobs(50, size=8, seed=0).reshape(50, 8, 8))
    assert det.scaling_ == "global" and np.ndim(det.input_range_[0]) == 0
    X = np.hstack([np.random.default_rng(0).random((60, 4)), np.full((60, 1), 7.0)])
    det = AutoencoderDetector(epochs=1, verbose=0, random_state=0).fit(X)
    assert det.input_range_[1][4] - det.input_range_[0][4] == 1.0  # a spread of 0 is not divided by
    assert np.isfinite(det.anomaly_score(X + 1.0)).all()


# ------------------------------------------------------------ 3. a latent larger than the input
def test_default_latent_is_sized_from_the_features_and_a_large_one_is_warned_about():
    X = np.random.default_rng(0).random((80, 18))
    det = AutoencoderDetector(epochs=1, verbose=0, random_state=0).fit(X)
    assert det.model_.config.latent == 9
    with pytest.warns(UserWarning, match="latent 32 >= the 18 input features"):
        AutoencoderDetector(model_options={"latent": 32}, epochs=1, verbose=0, random_state=0).fit(X)


# ------------------------------------------------------------ 4. folder layouts and their errors
def write_png(path, value: int, size: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    Image.fromarray((rng.random((size, size)) * 60 + value).astype(np.uint8)).save(path)


def test_mvtec_style_folder_fits_and_evaluates(tmp_path):
    for i in range(24):
        write_png(tmp_path / "bottle" / "train" / "good" / f"{i:03d}.png", 40)
    for i in range(6):
        write_png(tmp_path / "bottle" / "test" / "good" / f"{i:03d}.png", 40)
        write_png(tmp_path / "bottle" / "test" / "crack" / f"{i:03d}.png", 160)
    (tmp_path / "bottle" / "ground_truth" / "crack").mkdir(parents=True)
    data = open_dataset(tmp_path / "bottle")
    assert data.class_names == ["good", "crack"] and set(data.y_test) == {0, 1}
    runner = CliRunner()
    fit = runner.invoke(app, ["fit", str(tmp_path / "bottle"), "--epochs", "2", "-q", "--out",
                              str(tmp_path / "m")])
    assert fit.exit_code == 0, fit.output
    res = runner.invoke(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "bottle"), "--out",
                              str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "metrics.json").exists()


def test_unrecognised_folders_list_the_layouts_and_the_closest(tmp_path):
    for i in range(3):
        write_png(tmp_path / "deep" / "parts" / "good" / "x" / f"{i}.png", 40)
    with pytest.raises(InputError, match=r"layouts read are.*closest: one subfolder of images per class"):
        open_dataset(tmp_path / "deep")
    write_png(tmp_path / "half" / "train" / "good" / "0.png", 40)
    (tmp_path / "half" / "other").mkdir()
    (tmp_path / "sounds" / "x").mkdir(parents=True)
    sf.write(tmp_path / "sounds" / "x" / "a.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(InputError, match="holds audio files.*audio layouts read are"):
        open_dataset(tmp_path / "sounds")


def test_a_folder_of_normal_wavs_alone_trains(tmp_path):
    (tmp_path / "normal").mkdir()
    for i in range(4):
        sf.write(tmp_path / "normal" / f"{i}.wav", machine_sound(1.0, seed=i)[0], 16000)
    layout, clips = find_clips(tmp_path)
    assert layout == "plain" and len(clips) == 4 and all(c.label == 0 for c in clips)


# ------------------------------------------------------------ 5. --out naming a file
@pytest.mark.parametrize("command", [["fit", "builtin:digits", "--normal", "0", "--epochs", "1"],
                                     ["demo"]])
def test_out_naming_a_file_is_one_clear_line(tmp_path, command):
    target = tmp_path / "afile"
    target.write_text("keep me")
    res = CliRunner().invoke(app, [*command, "--out", str(target)])
    assert res.exit_code == 2
    assert "is an existing file" in res.output and "Traceback" not in res.output
    assert target.read_text() == "keep me"


# ------------------------------------------------------------ 6. documented knowledge
def test_npz_keys_and_audio_channel_are_in_help_and_readme():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    assert all(key in readme for key in ("`X`", "`y`", "`X_test`", "`y_test`", "`class_names`"))
    assert '"channel"' in readme
    fit_help = CliRunner().invoke(app, ["fit", "--help"], env={"COLUMNS": "200"}).output
    assert "channel" in fit_help and "X_test" in fit_help


# ------------------------------------------------------------ 7. progress on long work
def test_progress_writes_plain_lines_when_stderr_is_not_a_terminal(capsys):
    with progress(1) as bar:
        task = bar.add_task("scoring", total=100, info="")
        for _ in range(100):
            bar.update(task, advance=1)
    lines = capsys.readouterr().err.strip().splitlines()
    assert 10 <= len(lines) <= 11 and lines[-1].startswith("scoring: 100/100 (100%)")
    assert not any("\x1b" in line for line in lines)  # no terminal control codes in a log
    with progress(1, delay=60) as bar:  # short work shows nothing
        bar.update(bar.add_task("quick", total=3), advance=3)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------ 8. labels in file names
def test_labels_in_flat_file_names_are_read(tmp_path):
    for i in range(3):
        sf.write(tmp_path / f"{i:08d}_normal.wav", machine_sound(1.0, seed=i)[0], 16000)
    sf.write(tmp_path / "00000009_abnormal.wav", machine_sound(1.0, anomaly="knock", seed=9)[0], 16000)
    layout, clips = find_clips(tmp_path)
    assert layout == "named"
    assert [c.label for c in clips] == [0, 0, 0, 1] and [c.part for c in clips][-1] == "test"
    sf.write(tmp_path / "unlabelled.wav", machine_sound(1.0, seed=5)[0], 16000)
    with pytest.warns(UserWarning, match="labels not read"):
        layout, clips = find_clips(tmp_path)
    assert layout == "files" and all(c.label is None for c in clips)


# ------------------------------------------------------------ 9. report sentences
def test_report_names_no_class_as_both_hardest_and_easiest():
    metrics = {"n_normal": 10, "n_anomalous": 10, "threshold": 0.1, "fp": 1, "tp": 8, "recall": 0.8,
               "auroc": 0.9}
    text = " ".join(reading(metrics, "percentile", 95.0, [("a", 0.7), ("b", 0.8), ("c", 0.9)]))
    hard, easy = re.search(r"hardest.*?: (.*); easiest: (.*)\.", text).groups()
    assert not set(re.findall(r"\b[abc]\b", hard)) & set(re.findall(r"\b[abc]\b", easy))


def test_evaluation_adds_the_caltech_threshold_only_when_asked():
    from aedetect.evaluation import evaluate

    X = blobs(120, size=8, seed=1)
    det = AutoencoderDetector(epochs=2, verbose=0, random_state=0).fit(X[:80])
    y = np.r_[np.zeros(40), np.ones(40)]
    test = np.vstack([X[80:], blobs(40, size=8, anomalous=True, seed=2)])
    assert list(evaluate(det, test, y).metrics["alternative_thresholds"]) == ["percentile 95", "mean + 2 std"]
    asked = evaluate(det, test, y, fixed={"fixed 0.02": 0.02}).metrics["alternative_thresholds"]
    assert "fixed 0.02" in asked
