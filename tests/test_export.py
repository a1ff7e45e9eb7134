"""ONNX export: onnxruntime's scores equal aedetect's within 1e-5 on the same inputs."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from aedetect import AutoencoderDetector
from aedetect.cli.main import app
from aedetect.errors import InputError
from aedetect.export import export_onnx
from tests.conftest import blobs

pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")


def onnx_scores(path, X) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": np.asarray(X, dtype=np.float32)})[0]


@pytest.mark.parametrize("model, options, X", [
    ("dense_ae", {"hidden": [16], "latent": 4}, blobs(120)),                       # uint8 grey images
    ("conv_ae", {"channels": [8, 16], "norm": "batch"}, blobs(120)),
    ("vae", {"hidden": [8], "latent": 3}, np.random.default_rng(0).normal(5, 2, (120, 6))),  # float vectors
    ("aae", {"arch": "conv", "channels": [4], "latent": 4},
     np.random.default_rng(1).integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)),    # RGB, channels last
    ("conv_ae", {"channels": [8], "latent": 4, "transforms": "geom",                # combined score parts
                 "score_parts": ["reconstruction", "latent", "transform", "transform_distance"]}, blobs(120)),
    ("conv_ae", {"channels": [8], "latent": 4, "transforms": "rotate_flip",
                 "score_parts": ["reconstruction", "transform_dirichlet"]}, blobs(120)),
    ("conv_ae", {"channels": [8], "latent": 4, "transforms": "rotate",
                 "score_parts": ["reconstruction", "transform_knn"]}, blobs(120)),
    ("dense_ae", {"hidden": [8], "latent": 3, "score_parts": ["reconstruction", "latent_knn", "input_knn"]},
     np.random.default_rng(2).normal(0, 1, (150, 6))),                           # the table model's parts
])
def test_onnx_scores_match(tmp_path, model, options, X):
    det = AutoencoderDetector(model=model, model_options=options, epochs=2, verbose=0, random_state=0).fit(X)
    export_onnx(det, tmp_path / "m.onnx")
    test = np.concatenate([X[:7], X[-5:]])  # an odd batch size: the batch axis is dynamic
    # combined parts are in validation standard deviations: float32 noise of a part is divided by its spread
    tol = 1e-3 if len(options.get("score_parts", [])) > 1 else 1e-5
    assert np.abs(onnx_scores(tmp_path / "m.onnx", test) - det.anomaly_score(test)).max() < tol
    meta = ort.InferenceSession(str(tmp_path / "m.onnx")).get_modelmeta().custom_metadata_map
    assert float(meta["threshold"]) == det.threshold_


def test_cli_export_and_what_cannot_be_exported(tmp_path):
    X = blobs(100)
    det = AutoencoderDetector(epochs=2, verbose=0, random_state=0).fit(X)
    det.save(tmp_path / "model")
    res = CliRunner().invoke(app, ["export", str(tmp_path / "model"), "--out", str(tmp_path / "m.onnx")])
    assert res.exit_code == 0, res.output
    assert np.allclose(onnx_scores(tmp_path / "m.onnx", X), det.reconstruction_error(X), atol=1e-5)
    res = CliRunner().invoke(app, ["export", str(tmp_path / "model"), "--format", "tflite", "--out", "x"])
    assert res.exit_code == 2 and "--format must be onnx" in res.output
    sampled = AutoencoderDetector(model="vae", model_options={"score": "samples"}, epochs=1, verbose=0).fit(X)
    with pytest.raises(InputError, match="random and cannot be exported"):
        export_onnx(sampled, tmp_path / "v.onnx")
    assert not (tmp_path / "v.onnx").exists()


@pytest.mark.parametrize("shape", [(60, 16, 16), (60, 16, 16, 3)])  # grey and RGB, smoothed by sigma 4
def test_the_anomaly_map_exports_beside_the_score(tmp_path, shape):
    X = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [4]}, epochs=2, verbose=0,
                              random_state=0).fit(X)
    det.save(tmp_path / "model")
    res = CliRunner().invoke(app, ["export", str(tmp_path / "model"), "--maps", "--out",
                                   str(tmp_path / "m.onnx")])
    assert res.exit_code == 0, res.output
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    score, maps = session.run(None, {"x": X[:5].astype(np.float32)})
    assert np.abs(score - det.anomaly_score(X[:5])).max() < 1e-5
    assert maps.shape == (5, *X.shape[1:3])
    assert np.abs(maps - det.anomaly_map(X[:5])).max() < 1e-6
    vectors = AutoencoderDetector(epochs=1, verbose=0).fit(np.random.default_rng(0).normal(size=(50, 4)))
    with pytest.raises(InputError, match="--maps needs an image model"):
        export_onnx(vectors, tmp_path / "v.onnx", maps=True)


def test_audio_model_exports_its_frame_scorer(tmp_path):
    from aedetect.audio_detector import AudioDetector
    from aedetect.data.synthetic import machine_sound
    from aedetect.presets import preset_params

    det = AudioDetector(detector=AutoencoderDetector(**preset_params("dcase-baseline", epochs=2, verbose=0)))
    det.fit([machine_sound(1.0, seed=i)[0] for i in range(4)])
    export_onnx(det, tmp_path / "a.onnx")
    from aedetect.data.audio import log_mel, to_samples

    frames, _ = to_samples(log_mel(machine_sound(1.0, seed=9)[0]), det.features_)
    errors, _ = det.frame_errors(machine_sound(1.0, seed=9)[0])
    assert np.abs(onnx_scores(tmp_path / "a.onnx", frames) - errors.mean(axis=1)).max() < 1e-5
    meta = ort.InferenceSession(str(tmp_path / "a.onnx")).get_modelmeta().custom_metadata_map
    assert float(meta["clip_threshold"]) == det.threshold_ and meta["clip_aggregate"] == "mean"


def test_the_model_folder_is_all_a_scoring_process_needs(tmp_path):
    """Scores from a copy of the model folder, in a fresh process that never saw the training
    data (deleted), equal the scores of the process that trained it."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    train = tmp_path / "train" / "x.npy"
    train.parent.mkdir()
    np.save(train, blobs(150, seed=3))
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [8]}, epochs=2, verbose=0,
                              random_state=0).fit(np.load(train))
    det.save(tmp_path / "train" / "model")
    new = np.concatenate([blobs(20, seed=9), blobs(20, anomalous=True, seed=9)])
    expected = det.anomaly_score(new)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(tmp_path / "train" / "model", elsewhere / "model")
    shutil.rmtree(tmp_path / "train")
    np.save(elsewhere / "new.npy", new)
    res = subprocess.run([sys.executable, "-m", "aedetect", "score", "model", "new.npy", "--out", "s.csv"],
                         cwd=elsewhere, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin",
                              "HOME": str(elsewhere)})
    assert res.returncode == 0, res.stderr
    got = [float(line.split(",")[4]) for line in (elsewhere / "s.csv").read_text().splitlines()[1:]]
    assert np.allclose(got, expected, rtol=1e-6, atol=0)


def test_a_nearest_patch_map_exports_with_the_kept_images(tmp_path):
    X = np.random.default_rng(4).integers(0, 256, (60, 16, 16, 3), dtype=np.uint8)
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [4], "patch_memory": 20}, epochs=1,
                              verbose=0, random_state=0).fit(X)
    det.metadata_ = {"maps": {"kind": det.model_.map_kind, "sigma": 1.0}}  # as aedetect fit keeps it
    export_onnx(det, tmp_path / "m.onnx", maps=True)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for n in (3, 20):  # any batch size, beyond the scoring chunks
        _, maps = session.run(None, {"x": X[:n].astype(np.float32)})
        expected = det.anomaly_map(X[:n], kind="nearest", sigma=1.0)
        assert maps.shape == (n, 16, 16) and np.abs(maps - expected).max() < 1e-3 * expected.max()
