import json

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.base import clone

from aedetect import AutoencoderDetector
from aedetect.data.splits import train_validation_split
from aedetect.errors import InputError, ModelFolderError, TrainingError
from tests.conftest import press_ctrl_c_in_epoch

FAST = dict(epochs=15, batch_size=32, verbose=0, random_state=0)
# Several tests train for an epoch or two on purpose; the collapse check has its own tests.
pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")


def fitted(X, **kw):
    return AutoencoderDetector(**{**FAST, **kw}).fit(X)


def test_init_only_stores_parameters():
    det = AutoencoderDetector(model="nonsense", epochs=-1, model_options={"a": 1})
    assert det.get_params()["model"] == "nonsense"
    assert det.get_params()["model_options"] == {"a": 1}
    assert clone(det).get_params() == det.get_params()


@pytest.mark.parametrize("model", ["dense_ae", "conv_ae"])
def test_separates_synthetic_anomalies(model, normal_images, anomalous_images):
    det = fitted(normal_images, model=model)
    normal_err = det.reconstruction_error(normal_images[:50])
    anomal_err = det.reconstruction_error(anomalous_images)
    assert anomal_err.min() > np.median(normal_err)
    assert (det.predict(anomalous_images) == -1).mean() > 0.9
    assert set(np.unique(det.predict(normal_images))) <= {-1, 1}
    np.testing.assert_allclose(det.score_samples(anomalous_images), -anomal_err)
    np.testing.assert_allclose(det.decision_function(anomalous_images),
                               det.threshold_ - anomal_err)
    assert det.offset_ == -det.threshold_
    assert det.n_features_in_ == 64
    assert len(det.history_["train_loss"]) == len(det.history_["val_loss"]) == 15


def test_threshold_comes_from_the_held_out_slice_only(normal_images):
    det = fitted(normal_images, validation_fraction=0.2)
    _, val = train_validation_split(len(normal_images), 0.2, det.seed_)
    val_err = det.reconstruction_error(normal_images[val])
    np.testing.assert_allclose(det.validation_scores_, val_err, rtol=1e-6)
    assert det.threshold_ == pytest.approx(np.percentile(val_err, 95), rel=1e-6)


def test_threshold_methods_and_recalibration(normal_images, anomalous_images):
    det = fitted(normal_images, threshold="mean_std", threshold_param=3)
    val = det.validation_scores_
    assert det.threshold_ == pytest.approx(val.mean() + 3 * val.std())
    det.calibrate_threshold("fixed", 0.02)
    assert det.threshold_ == 0.02 and det.offset_ == -0.02
    X = np.concatenate([normal_images[:20], anomalous_images[:20]])
    y = np.r_[np.zeros(20), np.ones(20)]
    det.calibrate_threshold("best_f1", X=X, y=y)
    assert (det.predict(X) == np.where(y == 1, -1, 1)).mean() > 0.9
    with pytest.raises(InputError, match="calibrate_threshold"):
        AutoencoderDetector(threshold="best_f1").fit(normal_images)


def test_same_seed_same_scores_on_cpu(normal_images):
    a = fitted(normal_images, model="conv_ae", epochs=3, device="cpu")
    b = fitted(normal_images, model="conv_ae", epochs=3, device="cpu")
    np.testing.assert_array_equal(a.reconstruction_error(normal_images),
                                  b.reconstruction_error(normal_images))
    c = fitted(normal_images, model="conv_ae", epochs=3, device="cpu", random_state=1)
    assert not np.array_equal(a.reconstruction_error(normal_images),
                              c.reconstruction_error(normal_images))


def test_early_stopping_keeps_the_best_epoch(normal_images):
    det = fitted(normal_images, epochs=200, patience=2, learning_rate=3e-2)
    h = det.history_
    assert h["stopped_early"] and len(h["val_loss"]) < 200
    assert h["val_loss"][h["best_epoch"] - 1] == min(h["val_loss"])


def test_input_shapes_and_scaling():
    rng = np.random.default_rng(0)
    vectors = rng.random((80, 12)).astype(np.float32) * 16  # float vectors: min-max scaled per column
    det = fitted(vectors, epochs=2)
    np.testing.assert_allclose(det.input_range_[1], vectors.max(axis=0))
    assert fitted(vectors, epochs=2, scaling="global").input_range_[1] == pytest.approx(vectors.max())
    assert det.reconstruct(vectors).shape == vectors.shape
    rgb = rng.integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    det = fitted(rgb, model="conv_ae", epochs=2)
    assert det.input_range_ == (0.0, 255.0)
    rec = det.reconstruct(rgb)
    assert rec.shape == rgb.shape and rec.dtype == np.float32 and rec.max() <= 255.0
    assert det.encode(rgb).shape == (60, 64)


def test_clear_errors_on_bad_input(normal_images):
    det = fitted(normal_images, epochs=1)
    with pytest.raises(InputError, match=r"Reshape your data: X\[None\]"):
        det.reconstruction_error(normal_images[0, 0])
    with pytest.raises(InputError, match=r"fitted on samples of shape \(8, 8\); got \(9, 9\)"):
        det.predict(np.zeros((2, 9, 9), dtype=np.uint8))
    with pytest.raises(InputError, match="fitted on uint8"):
        det.predict(normal_images.astype(np.float32) / 255)
    with pytest.raises(InputError, match="empty"):
        det.predict(np.zeros((0, 8, 8), dtype=np.uint8))
    bad = np.zeros((4, 8, 8), dtype=np.float32)
    bad[2, 1, 1] = np.nan
    with pytest.raises(InputError, match="NaN or inf values \\(first in sample 2"):
        AutoencoderDetector(**FAST).fit(bad)
    with pytest.raises(InputError, match="not fitted"):
        AutoencoderDetector().predict(normal_images)
    with pytest.raises(InputError, match="epochs"):
        AutoencoderDetector(epochs=0).fit(normal_images)
    with pytest.raises(InputError, match="precision must be one of float32, bfloat16"):
        AutoencoderDetector(precision="float16").fit(normal_images)


def test_bfloat16_trains_and_scores_like_float32(tmp_path, normal_images, anomalous_images):
    options = {"channels": [8, 16], "hidden": [32], "latent": 6, "transforms": "rotate",
               "score_transforms": 2,
               "score_parts": ["reconstruction", "latent", "transform", "transform_distance"]}
    det = fitted(normal_images, model="conv_ae", precision="bfloat16", model_options=options)
    assert all(p.dtype == torch.float32 for p in det.model_.parameters())  # autocast, float32 weights
    test = np.concatenate([normal_images[:40], anomalous_images])
    low = det.anomaly_score(test)
    assert low.dtype == np.float64 and np.isfinite(low).all()
    assert low[40:].min() > np.median(low[:40])  # anomalies still score high
    det.save(tmp_path / "m")
    again = AutoencoderDetector.load(tmp_path / "m", device="cpu")
    assert again.precision == "bfloat16"
    np.testing.assert_array_equal(again.anomaly_score(test), low)
    again.precision = "float32"  # the same weights, scored in float32: the same ranking, nearly
    assert spearmanr(again.anomaly_score(test), low).statistic > 0.95


def test_nan_loss_stops_with_advice(normal_images):
    with pytest.raises(TrainingError, match="lower learning rate"):
        fitted(normal_images, learning_rate=1e12, epochs=5)


def test_save_load_gives_identical_scores(tmp_path, normal_images, anomalous_images):
    det = fitted(normal_images, model="conv_ae", epochs=3, threshold="target_fpr")
    det.save(tmp_path / "m", metadata={"note": "x"})
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    loaded = AutoencoderDetector.load(tmp_path / "m")
    X = np.concatenate([normal_images, anomalous_images])
    np.testing.assert_array_equal(loaded.reconstruction_error(X), det.reconstruction_error(X))
    np.testing.assert_array_equal(loaded.predict(X), det.predict(X))
    assert loaded.threshold_ == det.threshold_ and loaded.metadata_ == {"note": "x"}
    assert loaded.get_params() == {**det.get_params(), "device": "auto"}
    det.save(tmp_path / "m")  # replacing an existing model folder works
    assert not list(tmp_path.glob(".m*"))  # no temporary folders left behind


def test_load_refuses_what_is_not_a_model(tmp_path, normal_images):
    with pytest.raises(ModelFolderError, match="not an aedetect model folder"):
        AutoencoderDetector.load(tmp_path)
    fitted(normal_images, epochs=1).save(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFolderError, match="incomplete or damaged"):
        AutoencoderDetector.load(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["model"]["name"] = "evil"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError):
        AutoencoderDetector.load(tmp_path / "m")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not an aedetect model folder"):
        fitted(normal_images, epochs=1).save(tmp_path / "other")


@pytest.mark.parametrize(("model", "lr_schedule"), [("conv_ae", "constant"), ("vae", "constant"),
                                                   ("aae", "constant"), ("aae", "cosine")])
def test_interrupted_training_resumes_to_the_same_model(tmp_path, normal_images, model, lr_schedule,
                                                        monkeypatch):
    """Ctrl-C keeps the last checkpoint; resuming reaches exactly the uninterrupted result (the
    annealed learning rates of the AAE's three optimizers included)."""
    import aedetect.training as training

    params = dict(FAST, model=model, epochs=6, model_options={"channels": [8, 16], "latent": 8},
                  lr_schedule=lr_schedule)
    whole = AutoencoderDetector(**params).fit(normal_images)

    press_ctrl_c_in_epoch(monkeypatch, 4)
    with pytest.raises(training.TrainingInterrupted) as info:
        AutoencoderDetector(**params).fit(normal_images, checkpoint_dir=tmp_path / "ck", checkpoint_every=2)
    monkeypatch.undo()
    assert info.value.epoch == 2  # the checkpoint of epoch 2 is kept
    resumed = AutoencoderDetector(**params).fit(normal_images, checkpoint_dir=tmp_path / "ck", resume=True)
    np.testing.assert_array_equal(resumed.reconstruction_error(normal_images),
                                  whole.reconstruction_error(normal_images))
    assert resumed.history_["val_loss"] == whole.history_["val_loss"]
    with pytest.raises(InputError, match="another run"):
        AutoencoderDetector(**{**params, "epochs": 7}).fit(normal_images, checkpoint_dir=tmp_path / "ck",
                                                            resume=True)


def test_cosine_schedule_anneals_every_optimizer_from_the_full_rate(tmp_path, normal_images, monkeypatch):
    import aedetect.training as training

    seen = []
    original = training.training_step

    def record(model, x, optimizers, *args):
        rates = [g["lr"] for o in optimizers.values() for g in o.param_groups]
        if not seen or seen[-1] != rates:  # the rates of each epoch, once
            seen.append(rates)
        return original(model, x, optimizers, *args)

    monkeypatch.setattr(training, "training_step", record)
    params = dict(FAST, model="aae", epochs=4, learning_rate=0.01,
                  model_options={"channels": [8, 16], "latent": 8})
    constant = AutoencoderDetector(**params).fit(normal_images)
    assert seen == [[0.01] * 3]  # the default leaves the rate alone
    seen.clear()
    cosine = AutoencoderDetector(**params, lr_schedule="cosine").fit(normal_images)
    expected = [0.01 * (1 + np.cos(np.pi * k / 4)) / 2 for k in range(4)]  # 0.01, 0.0085, 0.005, 0.0015
    np.testing.assert_allclose(seen, [[lr] * 3 for lr in expected])
    assert cosine.history_["train_loss"][0] == constant.history_["train_loss"][0]  # same first epoch
    assert cosine.history_["train_loss"][1:] != constant.history_["train_loss"][1:]
    cosine.save(tmp_path / "m")
    assert AutoencoderDetector.load(tmp_path / "m").lr_schedule == "cosine"
    with pytest.raises(InputError, match="lr_schedule must be one of"):
        AutoencoderDetector(**params, lr_schedule="step").fit(normal_images)
