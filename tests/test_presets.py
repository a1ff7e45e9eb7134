import pytest
import torch
from typer.testing import CliRunner

from aedetect import AutoencoderDetector
from aedetect.cli.main import app
from aedetect.errors import InputError
from aedetect.models import build_model
from aedetect.presets import PRESETS, preset_params
from aedetect.scoring import split_score_options

INPUTS = {"paper-mnist": (1, 28, 28), "paper-cifar": (3, 32, 32), "caltech-cae": (3, 96, 96),
          "caltech-vae": (3, 96, 96), "caltech-betavae": (3, 96, 96), "mnist-dense": (1, 28, 28),
          "homework-conv": (1, 28, 28), "dcase-baseline": (640,), "homework-spectrogram-conv": (1, 64, 312),
          "fast": (1, 28, 28), "balanced": (1, 28, 28), "accurate": (1, 28, 28),
          "accurate-photo": (3, 32, 32)}


def build(name, model=None):
    params = preset_params(name, model)
    network, _ = split_score_options(params["model_options"])
    return build_model(params["model"], INPUTS[name], network)


def linears(model):
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]


def convs(part):
    return [(m.in_channels, m.out_channels, m.stride[0]) for m in part.modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]


def test_every_preset_has_an_input_and_reconstructs_it():
    assert set(INPUTS) == set(PRESETS)
    for name, shape in INPUTS.items():
        model = build(name).eval()
        with torch.no_grad():
            assert model(torch.rand(2, *shape)).shape == (2, *shape), name


def test_paper_mnist_is_the_papers_table():
    model = build("paper-mnist")
    assert convs(model.body) == [(1, 16, 1), (16, 32, 2), (32, 64, 2), (64, 64, 2), (64, 16, 1)]
    assert convs(model.decoder) == [(16, 64, 1), (64, 64, 2), (64, 32, 2), (32, 16, 2), (16, 1, 1)]
    # lin1 16*4*4 -> 1024, lin2 1024 -> n_z, lin3 n_z -> r, lin4 r -> 16*4*4
    assert linears(model) == [(256, 1024), (1024, 20), (20, 100), (100, 256)]
    assert any(isinstance(m, torch.nn.LeakyReLU) for m in model.modules())
    vae = build("paper-mnist", "vae")
    assert linears(vae) == [(256, 1024), (1024, 20), (20, 100), (100, 256), (1024, 20)]  # + log-var head
    aae = build("paper-mnist", "aae")
    assert linears(aae.critic) == [(20, 10), (10, 1)]


def test_audio_presets_are_the_baseline_and_the_homework():
    from aedetect.presets import preset_features

    dcase = build("dcase-baseline")
    hidden = [(128, 128)] * 3
    assert linears(dcase) == [(640, 128), *hidden, (128, 8), (8, 128), *hidden, (128, 640)]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in dcase.modules()) == 8
    params = preset_params("dcase-baseline")
    assert params["batch_size"] == 512 and params["epochs"] == 100
    assert preset_features("dcase-baseline") == {"mode": "frames", "n_mels": 128, "context": 5}
    conv = build("homework-spectrogram-conv")
    assert [c[:2] for c in convs(conv)] == [(1, 32), (32, 16), (16, 4), (4, 4), (4, 16), (16, 32), (32, 1)]
    assert preset_features("homework-spectrogram-conv")["patch_frames"] == 312
    assert preset_features("paper-mnist") is None


def test_paper_cifar_is_the_papers_table():
    model = build("paper-cifar")
    assert convs(model.body) == [(3, 8, 1), (8, 16, 2), (16, 32, 2), (32, 16, 1)]
    assert convs(model.decoder) == [(16, 32, 1), (32, 16, 2), (16, 8, 2), (8, 3, 1)]
    assert linears(model) == [(1024, 1024), (1024, 20), (20, 100), (100, 1024)]


def test_caltech_presets_share_one_network():
    cae, vae, beta = build("caltech-cae"), build("caltech-vae"), build("caltech-betavae")
    assert convs(cae.body) == [(3, 32, 2), (32, 64, 2), (64, 128, 2)]
    assert linears(cae) == [(128 * 12 * 12, 256), (256, 512), (512, 256), (256, 128 * 12 * 12)]
    assert convs(vae.body) == convs(beta.body) == convs(cae.body)
    assert vae.beta == pytest.approx(1 / (3 * 96 * 96)) and beta.beta == 1e-4


def test_reference_small_networks():
    assert linears(build("mnist-dense")) == [(784, 400), (400, 20), (20, 400), (400, 784)]
    homework = build("homework-conv")
    assert sum(p.numel() for p in homework.parameters()) == 3217  # the homework's model summary


def test_preset_params_switch_family_and_take_overrides():
    params = preset_params("caltech-betavae", "aae", epochs=3, model_options={"latent": 64})
    assert params["model"] == "aae" and "beta" not in params["model_options"]
    assert params["model_options"]["latent"] == 64 and params["epochs"] == 3
    assert params["batch_size"] == 64
    AutoencoderDetector(**params).check_params()
    with pytest.raises(InputError, match="paper-mnist"):
        preset_params("paper-mnst")


@pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")  # one epoch on purpose
@pytest.mark.parametrize("name", ["fast", "balanced", "accurate", "accurate-photo"])
def test_cost_presets_fit_score_and_load(name, tmp_path):
    import numpy as np

    shape = INPUTS[name]
    X = np.random.default_rng(0).integers(0, 256, size=(40, *shape[1:], shape[0]), dtype=np.uint8)
    X = X.squeeze(-1) if shape[0] == 1 else X  # (N, H, W) grey, (N, H, W, 3) colour
    params = preset_params(name, epochs=1, batch_size=16, random_state=0, verbose=0)
    det = AutoencoderDetector(**params).fit(X)
    preset = PRESETS[name]
    assert det.score_head_.parts == tuple(preset.model_options["score_parts"])
    assert det.score_head_.transforms == preset.model_options.get("score_transforms")
    assert det.precision == preset.precision
    again = AutoencoderDetector.load(det.save(tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(again.anomaly_score(X[:6]), det.anomaly_score(X[:6]), rtol=1e-4)


@pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")  # one epoch on purpose
def test_cli_fit_with_a_preset(tmp_path):
    import numpy as np

    from tests.conftest import blobs

    X = np.concatenate([blobs(60, size=28, seed=1), blobs(20, size=28, anomalous=True, seed=2)])
    np.savez(tmp_path / "d.npz", X=X, y=np.r_[np.zeros(60, int), np.ones(20, int)])
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "d.npz"), "--normal", "0", "--preset",
                                      "homework-conv", "--model", "dae", "--epochs", "1", "--quiet",
                                      "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    loaded = AutoencoderDetector.load(tmp_path / "m")
    assert loaded.model == "dae" and loaded.epochs == 1 and loaded.batch_size == 250
    assert loaded.model_options["pool"] is True
