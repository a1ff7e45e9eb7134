"""The transform task (aedetect.models.transforms) and the score parts (aedetect.scoring): transform
head, latent density, combined parts."""

import numpy as np
import pytest
import torch
from scipy.special import digamma
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score
from torch.nn import functional as F

from aedetect import AutoencoderDetector
from aedetect.data.splits import train_validation_split
from aedetect.errors import InputError
from aedetect.models import build_model
from aedetect.models.transforms import transform, transform_batch
from aedetect.scoring import ScoreHead, split_score_options
from aedetect.scoring.parts import fit_dirichlet, whitening
from aedetect.training import make_optimizers, training_step
from tests.conftest import blobs

pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")  # tiny fits

OPTIONS = {"channels": [8, 16], "hidden": [32], "latent": 6, "norm": "batch"}


def scored(family: str, shape: tuple[int, ...], options: dict):
    """A network and its score head, as the detector builds them."""
    network, head_options = split_score_options(options)
    net = build_model(family, shape, network).eval()
    return net, ScoreHead(net=net, **head_options)


def oriented(n: int, seed: int = 0) -> np.ndarray:
    """uint8 (n, 12, 12) images with a clear up: a bright top band and a dimmer left edge."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 40, size=(n, 12, 12))
    X[:, :3, :] += 180 + rng.integers(0, 30, size=(n, 1, 1))
    X[:, 3:, :2] += 90
    return X.clip(0, 255).astype(np.uint8)


def test_transforms_are_quarter_turns_then_flips():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert torch.equal(transform(x, 0), x)
    assert torch.equal(transform(x, 1), torch.rot90(x, 1, dims=(2, 3)))
    assert torch.equal(transform(x, 4), x.flip(3))
    assert torch.equal(transform(x, 6), torch.rot90(x.flip(3), 2, dims=(2, 3)))
    batch = torch.cat([x, x, x])
    out = transform_batch(batch, torch.tensor([0, 2, 5]), 8)
    for i, k in enumerate([0, 2, 5]):
        assert torch.equal(out[i:i + 1], transform(x, k))


def test_geom_set_adds_shifts_by_a_quarter_side_with_reflected_borders():
    x = torch.arange(64.0).reshape(1, 1, 8, 8)
    for k in range(8):  # the first 8 of the 72 are rotate_flip's
        assert torch.equal(transform(x, k), torch.rot90(x.flip(3) if k >= 4 else x, k % 4, (2, 3)))
    right = transform(x, 8)  # SHIFTS[1] = (0, 1): content moves 2 columns right, mirror fills the left
    assert torch.equal(right[..., 2:], x[..., :6])
    assert torch.equal(right[..., :2], x[..., [2, 1]])
    up = transform(x, 6 * 8)  # SHIFTS[6] = (-1, 0): content moves 2 rows up
    assert torch.equal(up[..., :6, :], x[..., 2:, :])
    assert torch.equal(transform(x, 8 * 8 + 5), torch.rot90(transform(x, 8 * 8).flip(3), 1, (2, 3)))
    outs = torch.cat([transform(x, k) for k in range(72)]).flatten(1)
    assert len(torch.unique(outs, dim=0)) == 72  # all distinct on an image without symmetry
    ks = torch.randint(72, (50,), generator=torch.Generator().manual_seed(0))
    batch = torch.rand(50, 3, 12, 12)
    expected = torch.cat([transform(batch[i:i + 1], int(k)) for i, k in enumerate(ks)])
    assert torch.equal(transform_batch(batch, ks, 72), expected)


def test_transform_draws_repeat_each_image_with_fresh_transforms():
    torch.manual_seed(0)
    model = build_model("conv_ae", (1, 8, 8), {**OPTIONS, "transforms": "geom", "transform_draws": 3})
    assert model.transform_head.out_features == 72
    seen = []
    model.body.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model.train()
    model.transform_loss(torch.rand(10, 1, 8, 8))
    assert seen[0].shape == (30, 1, 8, 8)
    with pytest.raises(InputError, match="transform_draws"):
        build_model("conv_ae", (1, 8, 8), {**OPTIONS, "transforms": "geom", "transform_draws": 0})


def test_validation_transform_loss_is_fixed_transforms_at_the_cost_of_a_training_batch():
    torch.manual_seed(0)
    model = build_model("conv_ae", (1, 8, 8), {**OPTIONS, "transforms": "geom", "transform_draws": 2})
    model.eval()
    x = torch.rand(40, 1, 8, 8)
    seen = []
    hook = model.body.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    loss = model.transform_loss(x)
    hook.remove()
    assert len(seen) == 1 and seen[0].shape == (80, 1, 8, 8)  # one pass, not 72 per image
    copies = x.repeat(2, 1, 1, 1)
    ks = torch.arange(80) % 72
    expected = F.cross_entropy(model.transform_head(model.body(transform_batch(copies, ks, 72))), ks)
    assert torch.allclose(loss, expected)
    assert torch.equal(model.transform_loss(x), loss)  # the same every epoch


def test_transform_head_learns_the_orientation_of_normal_images():
    X = oriented(300)
    det = AutoencoderDetector(model="conv_ae", epochs=15, batch_size=32, random_state=0, verbose=0,
                              model_options={**OPTIONS, "transforms": "rotate",
                                             "score_parts": ["transform"]}).fit(X)
    normal = det.anomaly_score(oriented(100, seed=1))
    turned = det.anomaly_score(np.rot90(oriented(100, seed=2), 1, axes=(1, 2)).copy())
    assert normal.mean() < 0.5 * np.log(4)  # far better than guessing among 4 rotations
    assert roc_auc_score(np.r_[np.zeros(100), np.ones(100)], np.r_[normal, turned]) > 0.95


def test_several_parts_are_standardised_on_validation_normals_and_summed():
    X = blobs(200)
    det = AutoencoderDetector(model="conv_ae", epochs=3, batch_size=32, random_state=0, verbose=0,
                              validation_fraction=0.25,
                              model_options={**OPTIONS, "transforms": "rotate_flip",
                                             "score_parts": ["reconstruction", "latent", "transform"]})
    det.fit(X)
    _, val = train_validation_split(len(X), 0.25, det.seed_)
    parts = det.score_parts(X[val])
    assert parts.shape == (len(val), 3)
    np.testing.assert_allclose(parts.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(parts.std(axis=0), 1.0, atol=1e-4)
    test = blobs(30, anomalous=True, seed=1)
    np.testing.assert_allclose(det.anomaly_score(test), det.score_parts(test).sum(axis=1), atol=1e-5)
    assert det.threshold_ == pytest.approx(np.percentile(parts.sum(axis=1), 95), rel=1e-5)


def test_latent_part_is_the_mahalanobis_distance_to_the_training_codes():
    model, head = scored("conv_ae", (1, 8, 8), {**OPTIONS, "score_parts": ["latent"]})
    x = torch.rand(50, 1, 8, 8)
    with torch.no_grad():
        codes = model.encode(x).numpy()
        head.latent.fit(codes)
        got = head(model, x).numpy()
    np.testing.assert_allclose(got, LedoitWolf().fit(codes.astype(np.float64)).mahalanobis(codes), rtol=1e-3)


def test_transform_parts_are_the_cross_entropy_and_the_mahalanobis_distances_averaged_over_transforms():
    # "transform_knn": 32 features, under KNN_DIMS, so its leading axes are all of them and its
    # distance is the Mahalanobis distance under the covariance "transform_distance" uses
    model, head = scored("conv_ae", (1, 8, 8), {**OPTIONS, "transforms": "rotate", "score_parts":
                                               ["transform", "transform_distance", "transform_knn"]})
    x, fit = torch.rand(20, 1, 8, 8), torch.rand(60, 1, 8, 8)
    with torch.no_grad():
        feats = model.transform_features(fit).numpy()  # (60, 4, F)
        mean, w = whitening(feats)
        head.distance.fit(mean, w)
        head.knn.fit(feats, w)
        got = head.raw_parts(model, x).numpy()
        per_k = [model.body(transform(x, k)).numpy() for k in range(4)]
        nll = [-model.transform_head(torch.from_numpy(f)).log_softmax(1)[:, k].numpy()
               for k, f in enumerate(per_k)]
    mean = feats.astype(np.float64).mean(axis=0)
    lw = LedoitWolf(assume_centered=True).fit((feats - mean).reshape(-1, feats.shape[2]))
    distance = np.mean([lw.mahalanobis(f - mean[k]) for k, f in enumerate(per_k)], axis=0)
    knn = []
    for k, f in enumerate(per_k):
        d = f.astype(np.float64)[:, None, :] - feats[None, :, k, :]  # (20, 60, F)
        d2 = np.einsum("abi,ij,abj->ab", d, lw.precision_, d)
        knn.append(np.sort(d2, axis=1)[:, :2].mean(axis=1))  # the 2 nearest fit images
    np.testing.assert_allclose(got[:, 0], np.mean(nll, axis=0), rtol=1e-5)
    np.testing.assert_allclose(got[:, 1], distance, rtol=1e-3)
    np.testing.assert_allclose(got[:, 2], np.mean(knn, axis=0), rtol=2e-3)


def fit_on_oriented(part: str) -> tuple[AutoencoderDetector, np.ndarray]:
    """A detector scoring reconstruction + ``part``, fitted on upright images; test images: 40
    upright, then 40 upside down (anomalous)."""
    det = AutoencoderDetector(model="conv_ae", epochs=4, batch_size=32, random_state=0, verbose=0,
                              model_options={**OPTIONS, "transforms": "rotate",
                                             "score_parts": ["reconstruction", part]}).fit(oriented(240))
    return det, np.concatenate([oriented(40, seed=1), np.rot90(oriented(40, seed=2), 2, axes=(1, 2))])


def assert_survives_saving(det: AutoencoderDetector, test: np.ndarray, path) -> None:
    det.save(path)
    again = AutoencoderDetector.load(path, device="cpu")
    np.testing.assert_allclose(again.score_parts(test), det.score_parts(test), rtol=1e-4, atol=1e-5)


def test_transform_distance_separates_unseen_orientations_and_survives_saving(tmp_path):
    det, test = fit_on_oriented("transform_distance")
    distance = det.score_parts(test)[:, 1]
    assert roc_auc_score(np.repeat([0, 1], 40), distance) > 0.9
    assert_survives_saving(det, test, tmp_path / "m")


def test_transform_knn_keeps_the_leading_whitened_axes(monkeypatch):
    import aedetect.scoring.parts as parts

    monkeypatch.setattr(parts, "KNN_DIMS", 3)
    model, head = scored("conv_ae", (1, 8, 8), {**OPTIONS, "transforms": "rotate",
                                                "score_parts": ["transform_knn"]})
    fit = torch.rand(50, 1, 8, 8)
    with torch.no_grad():
        feats = model.transform_features(fit).numpy()
        head.knn.fit(feats, whitening(feats)[1])
    assert head.knn.basis.shape == (32, 3) and head.knn.bank.shape == (4, 50, 3)
    centred = (feats - feats.mean(axis=0)).reshape(-1, 32).astype(np.float64)
    basis = head.knn.basis.double().numpy()
    projected = centred @ basis
    covariance = LedoitWolf(assume_centered=True).fit(centred).covariance_
    np.testing.assert_allclose(basis.T @ covariance @ basis, np.eye(3), atol=1e-4)  # whitened
    assert projected.var(axis=0).min() > 0.5  # the leading axes, not the trailing ones (variance << 1)


def test_transform_knn_separates_unseen_orientations_and_survives_saving(tmp_path):
    det, test = fit_on_oriented("transform_knn")
    assert det.score_head_.knn.bank.shape[:2] == (4, 240 - 24)  # every training image: under 1,000
    assert roc_auc_score(np.repeat([0, 1], 40), det.score_parts(test)[:, 1]) > 0.9
    assert_survives_saving(det, test, tmp_path / "m")


@pytest.mark.parametrize("alpha", [[5.0, 0.5, 0.2, 1.0], [40.0] + [0.05] * 11, [2.0] * 8])
def test_fit_dirichlet_recovers_the_parameters_of_a_sample(alpha):
    probs = np.random.default_rng(0).dirichlet(alpha, 20_000)
    got = fit_dirichlet(np.log(np.maximum(probs, 1e-300)).mean(axis=0))
    np.testing.assert_allclose(got, alpha, rtol=0.05)


def test_fit_dirichlet_handles_a_confident_classifier():
    mean_log = np.full(72, -60.0)  # the head puts ~1 on the true transform: alpha spans 9 decades
    mean_log[3] = -1e-7
    alpha = fit_dirichlet(mean_log)
    grad = digamma(alpha.sum()) - digamma(alpha) + mean_log  # zero at the maximum likelihood
    assert np.isfinite(alpha).all() and alpha.min() > 0 and np.abs(grad).max() < 1e-6


def test_transform_dirichlet_is_minus_each_transforms_dirichlet_loglik_averaged(tmp_path):
    det, test = fit_on_oriented("transform_dirichlet")
    model = det.model_
    with torch.no_grad():
        x = det._to_tensor(test)
        log_p = [model.transform_head(model.body(transform(x, k))).double().log_softmax(1).numpy()
                 for k in range(4)]
        got = det.score_head_.raw_parts(model, x)[:, 1].double().numpy()
    alpha = det.score_head_.dirichlet.alpha.double().numpy()
    assert alpha.shape == (4, 4) and (alpha > 0).all() and not np.allclose(alpha, 1)
    offset = det.score_head_.dirichlet.loglik_mean.double().numpy()
    want = np.mean([offset[k] - lp @ (alpha[k] - 1) for k, lp in enumerate(log_p)], axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * want.std())
    assert roc_auc_score(np.repeat([0, 1], 40), got) > 0.9  # upside-down images are anomalous
    assert_survives_saving(det, test, tmp_path / "m")


def test_nearest_neighbour_parts_are_distances_to_the_bank(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (300, 5)).astype(np.float32)
    det = AutoencoderDetector(epochs=2, random_state=0, verbose=0, scaling="none",
                              model_options={"hidden": [8], "latent": 3,
                                             "score_parts": ["latent_knn", "input_knn"]}).fit(X)
    head = det.score_head_
    bank = head.input_knn.bank.numpy()
    assert bank.shape == (270, 5) and np.isin(bank[:, 0], X[:, 0]).all()  # the training rows
    test = np.concatenate([X[:5], X[:5] + 6])  # far away rows come last

    def nearest(v, b):
        return np.sort(((v[:, None, :] - b[None]) ** 2).sum(axis=2), axis=1)[:, :5].mean(axis=1)

    raw = np.stack([nearest(det.encode(test), head.latent_knn.bank.numpy()), nearest(test, bank)], axis=1)
    want = (raw - head.scale.center.numpy()) / head.scale.scale.numpy()
    np.testing.assert_allclose(det.score_parts(test), want, rtol=1e-3, atol=1e-3)
    assert (det.anomaly_score(test[5:]) > det.anomaly_score(test[:5]).max()).all()
    assert_survives_saving(det, test, tmp_path / "m")


def test_score_log_standardises_the_logarithms_of_the_parts(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (300, 5)).astype(np.float32)
    options = {"hidden": [8], "latent": 3, "score_parts": ["reconstruction", "input_knn"]}
    det = AutoencoderDetector(epochs=2, random_state=0, verbose=0, scaling="none",
                              model_options={**options, "score_log": True}).fit(X)
    plain = AutoencoderDetector(epochs=2, random_state=0, verbose=0, scaling="none",
                                model_options=options).fit(X)
    test = np.concatenate([X[:5], X[:5] + 6])
    raw = np.stack([det.reconstruction_error(test), plain.score_head_.input_knn(
        torch.from_numpy(test)).numpy()], axis=1)
    _, val = det._split(X, None)
    val_raw = np.stack([det.reconstruction_error(X[val]), plain.score_head_.input_knn(
        torch.from_numpy(X[val])).numpy()], axis=1)
    logs, val_logs = np.log(raw), np.log(val_raw)
    want = ((logs - val_logs.mean(axis=0)) / val_logs.std(axis=0)).sum(axis=1)
    np.testing.assert_allclose(det.anomaly_score(test), want, rtol=1e-3, atol=1e-3)
    assert not np.allclose(plain.anomaly_score(test), want, rtol=1e-2)  # the plain sum differs
    assert_survives_saving(det, test, tmp_path / "m")
    with pytest.raises(InputError, match="can be negative"):
        signed = {**OPTIONS, "transforms": "rotate", "score_log": True,
                  "score_parts": ["transform", "transform_dirichlet"]}
        AutoencoderDetector(model_options=signed).fit(blobs(40))
    with pytest.raises(InputError, match="true or false"):
        AutoencoderDetector(model_options={"score_log": "yes"}).fit(X)


def test_a_model_with_score_parts_saves_and_loads(tmp_path):
    X = blobs(120)
    det = AutoencoderDetector(model="vae", epochs=2, random_state=0, verbose=0,
                              model_options={**OPTIONS, "transforms": "rotate",
                                             "score_parts": ["reconstruction", "latent", "transform"]}).fit(X)
    det.save(tmp_path / "m")
    again = AutoencoderDetector.load(tmp_path / "m", device="cpu")
    np.testing.assert_allclose(again.anomaly_score(X[:20]), det.anomaly_score(X[:20]), rtol=1e-5)


@pytest.mark.parametrize("shape, options, message", [
    ((20,), {"arch": "dense", "transforms": "rotate"}, "square images"),
    ((1, 8, 12), {"transforms": "rotate"}, "square images"),
    ((1, 8, 8), {"score_parts": ["transform"]}, "transforms='rotate'"),
    ((1, 8, 8), {"score_parts": ["reconstruction", "transform_distance"]}, "transforms='rotate'"),
    ((1, 8, 8), {"score_parts": ["transform_dirichlet"]}, "transforms='rotate'"),
    ((1, 48, 48), {"channels": [8], "hidden": [], "transforms": "rotate",
                   "score_parts": ["reconstruction", "transform_distance"]}, "hidden=\\[256\\]"),
    ((1, 48, 48), {"channels": [8], "hidden": [], "transforms": "rotate",
                   "score_parts": ["transform_knn"]}, "'transform_knn' needs a covariance"),
    ((1, 8, 8), {"score_parts": ["reconstruction", "density"]}, "distinct parts"),
    ((1, 8, 8), {"score_parts": []}, "distinct parts"),
    ((1, 8, 8), {"transforms": "shear"}, "transforms must be"),
    ((1, 3, 3), {"transforms": "geom"}, "too small"),
    ((1, 8, 8), {"augment": "crop"}, "augment must be"),
    ((1, 8, 8), {"augment": "hflip", "transforms": "rotate_flip"}, "cannot learn which images were mirrored"),
    ((1, 8, 8), {"augment": "hflip", "transforms": "geom"}, "transforms='rotate' with it"),
])
def test_impossible_score_options_are_refused(shape, options, message):
    with pytest.raises(InputError, match=message):
        scored("conv_ae" if len(shape) == 3 else "dense_ae", shape, options)


def test_hflip_augmentation_mirrors_only_in_training():
    torch.manual_seed(0)
    model = build_model("conv_ae", (1, 8, 8), {**OPTIONS, "augment": "hflip"})
    seen = []
    model.objective = lambda x: seen.append(x) or x.sum()
    x = torch.rand(64, 1, 8, 8)
    model.train()
    model.loss(x)
    mirrored = [bool(torch.equal(a, b.flip(2))) for a, b in zip(seen[0], x)]
    kept = [bool(torch.equal(a, b)) for a, b in zip(seen[0], x)]
    assert all(m or k for m, k in zip(mirrored, kept)) and 10 < sum(mirrored) < 54
    model.eval()
    model.loss(x)
    assert torch.equal(seen[1], x)
    with pytest.raises(InputError, match="vectors"):
        build_model("dense_ae", (20,), {"arch": "dense", "augment": "hflip"})


@pytest.mark.parametrize("family", ["conv_ae", "vae", "beta_vae", "aae", "dae"])
def test_every_family_trains_its_transform_head(family):
    torch.manual_seed(0)
    model = build_model(family, (1, 8, 8), {**OPTIONS, "transforms": "rotate"})
    before = model.transform_head.weight.detach().clone()
    optimizers = make_optimizers(model, 1e-2)
    model.train()
    for _ in range(3):
        training_step(model, torch.rand(16, 1, 8, 8), optimizers)
    assert not torch.equal(before, model.transform_head.weight)


def test_score_transforms_average_the_parts_over_evenly_spaced_transforms(tmp_path):
    from aedetect.scoring.head import spread

    assert spread(72, 8) == [0, 9, 18, 27, 36, 45, 54, 63] and spread(4, None) == [0, 1, 2, 3]
    options = {**OPTIONS, "transforms": "rotate_flip", "score_transforms": 3,
               "score_parts": ["transform", "transform_distance", "transform_dirichlet", "transform_knn"]}
    X = oriented(120)
    det = AutoencoderDetector(model="conv_ae", epochs=2, batch_size=32, random_state=0, verbose=0,
                              model_options=options).fit(X)
    head, model = det.score_head_, det.model_
    assert head.ks == [0, 2, 5] and head.passes == 3
    assert head.distance.mean.shape[0] == head.dirichlet.alpha.shape[0] == head.knn.bank.shape[0] == 3
    assert head.dirichlet.alpha.shape[1] == 8  # the head still tells all 8 transforms apart
    test = oriented(30, seed=4)
    x = det._to_tensor(test)
    with torch.no_grad():
        got = head.raw_parts(model, x).numpy()
        one_by_one = torch.cat([head.raw_parts(model, x[i:i + 1]) for i in range(len(x))]).numpy()
        per_k = [model.body(transform(x, k)) for k in head.ks]
        nll = np.mean([-model.transform_head(f).log_softmax(1)[:, k].numpy()
                       for k, f in zip(head.ks, per_k)], axis=0)
        w = head.distance.whitening
        distance = np.mean([((f - head.distance.mean[i]) @ w).pow(2).sum(1).numpy()
                            for i, f in enumerate(per_k)], axis=0)
    np.testing.assert_allclose(got[:, 0], nll, rtol=1e-5)
    np.testing.assert_allclose(got[:, 1], distance, rtol=1e-4)
    np.testing.assert_allclose(one_by_one, got, rtol=1e-4, atol=1e-5)  # one pass per batch, any batch size
    det.save(tmp_path / "m")
    again = AutoencoderDetector.load(tmp_path / "m", device="cpu")
    assert again.score_head_.ks == [0, 2, 5]
    np.testing.assert_allclose(again.anomaly_score(test), det.anomaly_score(test), rtol=1e-5)


def test_refit_score_without_retraining_gives_the_model_fitted_with_those_options(tmp_path):
    parts = ["transform", "transform_distance"]
    options = {**OPTIONS, "transforms": "rotate_flip", "score_parts": parts}
    X, test = oriented(120), oriented(30, seed=4)
    params = {"model": "conv_ae", "epochs": 2, "batch_size": 32, "random_state": 0, "verbose": 0}
    det = AutoencoderDetector(**params, model_options=options).fit(X)
    weights = {k: v.clone() for k, v in det.model_.state_dict().items()}
    det.refit_score(X, score_transforms=3)
    direct = AutoencoderDetector(**params, model_options={**options, "score_transforms": 3}).fit(X)
    assert det.score_head_.ks == [0, 2, 5] and det.model_options["score_transforms"] == 3
    assert all(torch.equal(weights[k], v) for k, v in det.model_.state_dict().items())  # not retrained
    np.testing.assert_allclose(det.anomaly_score(test), direct.anomaly_score(test), rtol=1e-5)
    assert det.threshold_ == pytest.approx(direct.threshold_, rel=1e-5)
    det.refit_score(X, score_parts=["transform_dirichlet"])  # other parts; the transforms kept
    assert det.score_head_.parts == ("transform_dirichlet",) and det.score_head_.passes == 3
    again = AutoencoderDetector.load(det.save(tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(again.anomaly_score(test), det.anomaly_score(test), rtol=1e-5)
    with pytest.raises(InputError, match="the data fit was given"):
        det.refit_score(X[:, :6])
    with pytest.raises(InputError, match="has 8 transforms"):
        det.refit_score(X, score_transforms=9)


@pytest.mark.parametrize("options, message", [
    ({"transforms": "rotate", "score_transforms": 2}, "have none of them"),
    ({"transforms": "rotate", "score_transforms": 5, "score_parts": ["transform"]}, "has 4 transforms"),
    ({"transforms": "rotate", "score_transforms": 0, "score_parts": ["transform"]}, "positive whole number"),
])
def test_score_transforms_that_cannot_work_are_refused(options, message):
    with pytest.raises(InputError, match=message):
        scored("conv_ae", (1, 8, 8), {**OPTIONS, **options})
