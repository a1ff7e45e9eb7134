import warnings

import numpy as np
import pytest
import torch

from aedetect import AutoencoderDetector
from aedetect.errors import CollapseWarning, InputError
from aedetect.models import MODELS, build_model
from aedetect.training import make_optimizers, training_step
from tests.conftest import blobs

SHAPES = [(1, 28, 28), (3, 32, 32), (3, 96, 96), (1, 8, 8), (1, 31, 17)]
FAMILIES = ["conv_ae", "vae", "beta_vae", "aae", "dae"]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("shape", SHAPES)
def test_reconstruction_has_input_shape(name, shape):
    model = build_model(name, shape).eval()
    x = torch.rand(2, *shape)
    with torch.no_grad():
        out = model(x)
        assert out.shape == x.shape
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0  # sigmoid output
        assert model.reconstruction_score(x).shape == (2,)
        assert model.encode(x).shape == (2, model.latent_size)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_family_works_on_vectors_too(name):
    model = build_model(name, (20,), {"arch": "dense", "hidden": [16], "latent": 4}).eval()
    with torch.no_grad():
        assert model(torch.rand(3, 20)).shape == (3, 20)


def test_dense_ae_on_vectors_matches_reference_sizes():
    model = build_model("dense_ae", (784,), {"hidden": [400], "latent": 32})
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (784, 400), (400, 32), (32, 400), (400, 784)]


def test_conv_ae_caltech_reference_architecture():
    model = build_model("conv_ae", (3, 96, 96),
                        {"channels": [32, 64, 128], "hidden": [256], "latent": 512})
    convs = [m for m in model.body if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.stride) for c in convs] == [(32, (2, 2)), (64, (2, 2)), (128, (2, 2))]
    assert model.encode(torch.rand(1, 3, 96, 96)).shape == (1, 512)


def test_families_share_encoder_and_decoder():
    options = {"channels": [8, 16], "hidden": [32], "latent": 6}
    shapes = {}
    for name in FAMILIES:
        model = build_model(name, (1, 28, 28), options)
        shapes[name] = [tuple(p.shape) for p in [*model.body.parameters(), *model.decoder.parameters()]]
    assert all(s == shapes["conv_ae"] for s in shapes.values())


def test_conv_ae_refuses_vectors_with_a_hint():
    with pytest.raises(InputError, match="reshape"):
        build_model("conv_ae", (784,))


def test_unknown_model_and_options_are_refused():
    with pytest.raises(InputError, match="available: .*dense_ae"):
        build_model("no_such_model", (10,))
    with pytest.raises(InputError, match="unknown option.*latnet"):
        build_model("dense_ae", (10,), {"latnet": 3})
    with pytest.raises(InputError, match="activation"):
        build_model("conv_ae", (1, 8, 8), {"activation": "tanh"})
    with pytest.raises(InputError, match="score"):
        build_model("vae", (1, 8, 8), {"score": "magic"})
    for family in ("vae", "beta_vae", "aae"):  # they need a latent vector of their own
        with pytest.raises(InputError, match="needs a latent size"):
            build_model(family, (1, 8, 8), {"latent": None})


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loss_goes_down(name):
    torch.manual_seed(0)
    model = build_model(name, (1, 16, 16), {"channels": [16, 32]})
    x = torch.rand(32, 1, 16, 1) * torch.rand(32, 1, 1, 16)  # rank-one images: learnable
    optimizers = make_optimizers(model, 3e-3)
    model.eval()
    with torch.no_grad():
        first = float(model.loss(x))
    for epoch in range(1, 101):
        model.train()
        model.start_epoch(epoch)
        training_step(model, x, optimizers)
    model.eval()
    with torch.no_grad():
        assert float(model.loss(x)) < 0.7 * first


@pytest.mark.parametrize("loss", ["ssim", "ssim_l1"])
def test_ssim_losses_train_and_are_the_structural_dissimilarity(loss):
    from aedetect.maps import ssim

    torch.manual_seed(0)
    model = build_model("conv_ae", (1, 16, 16), {"channels": [16, 32], "loss": loss})
    x = torch.rand(32, 1, 16, 1) * torch.rand(32, 1, 1, 16)
    x_hat = torch.rand_like(x)
    want = 1 - ssim(x_hat, x).mean() + (x_hat - x).abs().mean() * (loss == "ssim_l1")
    assert torch.allclose(model.reconstruction_loss(x_hat, x), want)
    assert float(model.reconstruction_loss(x, x)) == pytest.approx(0.0, abs=1e-6)
    optimizers = make_optimizers(model, 3e-3)
    with torch.no_grad():
        first = float(model.eval().loss(x))
    for epoch in range(1, 61):
        model.train()
        model.start_epoch(epoch)
        training_step(model, x, optimizers)
    with torch.no_grad():
        assert float(model.eval().loss(x)) < 0.7 * first
    with pytest.raises(InputError, match="images of at least 6 x 6"):
        build_model("dense_ae", (20,), {"loss": loss})


def test_vae_scores_and_beta_units():
    torch.manual_seed(0)
    vae = build_model("vae", (1, 28, 28)).eval()
    assert vae.beta == pytest.approx(1 / 784)  # beta=None is the textbook VAE in our units
    assert build_model("beta_vae", (1, 28, 28)).beta == 1e-4
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        mean_score = vae.reconstruction_score(x)
        for kind in ("samples", "elbo"):
            other = build_model("vae", (1, 28, 28), {"score": kind}).eval()
            other.load_state_dict(vae.state_dict())
            s1, s2 = other.reconstruction_score(x), other.reconstruction_score(x)
            assert torch.equal(s1, s2)  # sampled scores are repeatable
            assert not torch.equal(s1, mean_score)
        elbo = build_model("vae", (1, 28, 28), {"score": "elbo"}).eval()
        elbo.load_state_dict(vae.state_dict())
        samples = build_model("vae", (1, 28, 28), {"score": "samples"}).eval()
        samples.load_state_dict(vae.state_dict())
        mean, logvar = vae.posterior(x)
        torch.testing.assert_close(elbo.reconstruction_score(x),
                                   samples.reconstruction_score(x) + vae.beta * vae.kl(mean, logvar))


def test_kl_warmup_ramps_beta():
    vae = build_model("vae", (4,), {"arch": "dense", "hidden": [4], "latent": 2, "kl_warmup": 4})
    vae.start_epoch(1)
    assert vae._warmup == 0.25
    vae.start_epoch(6)
    assert vae._warmup == 1.0


def test_dae_corrupts_only_while_training():
    dae = build_model("dae", (1, 8, 8), {"noise": "mask", "noise_level": 0.5})
    x = torch.rand(16, 1, 8, 8)
    masked = dae.corrupt(x)
    assert 0.3 < float((masked == 0).float().mean()) < 0.7
    dae.eval()
    with torch.no_grad():
        assert torch.equal(dae.loss(x), dae.reconstruction_loss(dae(x), x))


def test_synthetic_anomalies_change_the_blobs_only():
    from aedetect.models.dae import synthetic_anomalies

    torch.manual_seed(0)
    x = torch.rand(200, 3, 24, 24)
    altered, masks = synthetic_anomalies(x, 0.5)
    assert altered.shape == x.shape and masks.shape == (200, 1, 24, 24)
    assert 0.35 < float((masks.flatten(1).amax(dim=1) > 0).float().mean()) < 0.65  # about half altered
    changed = (altered - x).abs().amax(dim=1, keepdim=True) > 1e-6
    assert not (changed & (masks == 0)).any()  # nothing outside the blobs
    hit = masks.flatten(1).amax(dim=1) > 0
    share = masks[hit].flatten(1).mean(dim=1)
    assert float(share.min()) > 0 and float(share.max()) <= 0.35  # blobs: 10-30% of an image
    assert float(altered.min()) >= 0 and float(altered.max()) <= 1
    dae = build_model("dae", (3, 24, 24), {"noise": "anomaly", "noise_level": 1.0})
    assert not torch.equal(dae.corrupt(x[:4]), x[:4])
    with pytest.raises(InputError, match="needs images"):
        build_model("dae", (20,), {"noise": "anomaly"})


def test_aae_clips_the_critic():
    torch.manual_seed(0)
    aae = build_model("aae", (1, 8, 8), {"channels": [8], "clip": 0.05})
    optimizers = make_optimizers(aae, 1e-2)
    aae.train()
    for _ in range(5):
        training_step(aae, torch.rand(8, 1, 8, 8), optimizers)
    assert max(float(p.detach().abs().max()) for p in aae.critic.parameters()) <= 0.05 + 1e-7
    assert aae.critic[0].in_features == aae.config.latent and aae.critic[0].out_features == 10


@pytest.mark.parametrize("name", FAMILIES)
def test_save_load_round_trip(tmp_path, name):
    X = blobs(80, size=12, seed=4)
    det = AutoencoderDetector(model=name, model_options={"channels": [8, 16], "latent": 8}, epochs=2,
                              batch_size=16, random_state=0, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollapseWarning)
        det.fit(X)
    det.save(tmp_path / name)
    loaded = AutoencoderDetector.load(tmp_path / name)
    np.testing.assert_array_equal(loaded.reconstruction_error(X), det.reconstruction_error(X))


def caltech_like(n: int, seed: int) -> np.ndarray:
    """96x96 RGB images of smooth random colour gradients and blobs, uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:96, 0:96] / 95.0
    images = []
    for _ in range(n):
        a, b, c = rng.random(3), rng.random(3), rng.random(3)
        cx, cy, r = rng.random(), rng.random(), 0.1 + 0.3 * rng.random()
        blob = ((xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2)[..., None]
        img = a * xx[..., None] + b * yy[..., None] * (1 - a) + blob * c
        images.append(np.clip(img / img.max(), 0, 1))
    return (np.stack(images) * 255).astype(np.uint8)


def test_plain_vae_on_caltech_like_images_does_not_collapse():
    X = caltech_like(160, seed=0)
    det = AutoencoderDetector(model="vae", model_options={"channels": [16, 32, 64], "latent": 64},
                              epochs=8, batch_size=16, random_state=0, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        det.fit(X)
    rec = det.reconstruct(X[:40])
    # reconstructions of different inputs differ (a collapsed VAE's vary by < 1% of this)
    assert rec.std(axis=0).mean() > 0.25 * X[:40].astype(float).std(axis=0).mean()
    assert not det.history_["collapsed"]


def test_collapse_is_detected_and_explained():
    X = caltech_like(100, seed=1)[:, ::4, ::4]  # 24x24, quick
    det = AutoencoderDetector(model="vae", model_options={"channels": [8, 16], "latent": 16, "beta": 1.0},
                              epochs=5, batch_size=16, random_state=0, verbose=0)
    with pytest.warns(CollapseWarning, match="smaller beta"):
        det.fit(X)  # beta = 1 with per-pixel-mean reconstruction: the reference's grey blur
    assert det.history_["collapsed"]
    rec = det.reconstruct(X[:20])
    assert rec.std(axis=0).mean() < 0.05 * X[:20].astype(float).std(axis=0).mean()
