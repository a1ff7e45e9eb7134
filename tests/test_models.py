import pytest
import torch

from aedetect.errors import InputError
from aedetect.models import MODELS, build_model

SHAPES = [(1, 28, 28), (3, 32, 32), (3, 96, 96), (1, 8, 8), (1, 31, 17)]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("shape", SHAPES)
def test_reconstruction_has_input_shape(name, shape):
    model = build_model(name, shape)
    x = torch.rand(2, *shape)
    with torch.no_grad():
        out = model(x)
    assert out.shape == x.shape
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0  # sigmoid output
    assert model.score(x).shape == (2,)
    assert model.encode(x).shape == (2, model.config.latent)


def test_dense_ae_on_vectors_matches_reference_sizes():
    model = build_model("dense_ae", (784,), {"hidden": [400], "latent": 32})
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (784, 400), (400, 32), (32, 400), (400, 784)]


def test_conv_ae_caltech_reference_architecture():
    model = build_model("conv_ae", (3, 96, 96),
                        {"channels": [32, 64, 128], "hidden": [256], "latent": 512})
    convs = [m for m in model.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.stride) for c in convs] == [(32, (2, 2)), (64, (2, 2)), (128, (2, 2))]
    assert model.encode(torch.rand(1, 3, 96, 96)).shape == (1, 512)


def test_conv_ae_refuses_vectors_with_a_hint():
    with pytest.raises(InputError, match="reshape"):
        build_model("conv_ae", (784,))


def test_unknown_model_and_options_are_refused():
    with pytest.raises(InputError, match="available: .*dense_ae"):
        build_model("no_such_model", (10,))
    with pytest.raises(InputError, match="unknown option.*latnet"):
        build_model("dense_ae", (10,), {"latnet": 3})


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loss_goes_down(name):
    torch.manual_seed(0)
    model = build_model(name, (1, 16, 16))
    x = torch.rand(32, 1, 16, 1) * torch.rand(32, 1, 1, 16)  # rank-one images: learnable
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.no_grad():
        first = float(model.loss(x))
    for _ in range(100):
        opt.zero_grad()
        loss = model.loss(x)
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(model.loss(x)) < 0.5 * first
