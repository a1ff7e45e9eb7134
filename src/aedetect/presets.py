"""Named configurations: the reference architectures, one name away.

A preset fixes a network (the options of :mod:`aedetect.models.layers`), a
default model family and training settings. Use it from Python as
``AutoencoderDetector(**preset_params("paper-mnist", model="vae"))`` or on the
command line as ``--preset paper-mnist --model vae``; explicit options win over
the preset's. With another family than the preset's, options that family does
not have (e.g. ``beta`` for ``aae``) are left out, so every family runs on the
identical encoder and decoder.

Presets
-------
paper-mnist
    "Autoencoders - A Comparative Analysis in the Realm of Anomaly Detection",
    Tables 1 and 3, 28x28x1. Encoder: 3x3 convs 1->16 (28x28, stride 1),
    16->32 (14x14, stride 2), 32->64 (7x7, stride 2), 64->64 (7x7 -> 4x4,
    stride 2), 64->16 (4x4, stride 1); lin1 256 -> 1024; lin2 1024 -> n_z = 20.
    Decoder: lin3 20 -> r = 100, lin4 100 -> 256, deconvs mirroring the
    encoder, sigmoid out. Leaky ReLU (slope 0.01) everywhere else. The table's
    sizes do not chain (lin1 ends at 1024, lin2 starts at r = 100); we read
    lin2 as 1024 -> n_z and lin3 as n_z -> r, the nearest consistent reading.
    The VAE replaces lin2 by two heads (mean, log-variance); the AAE adds a
    critic n_z -> 10 -> 1. **Change from the paper**: batch normalisation
    after every hidden layer. Built literally (MSE, Adam 1e-3, batch 128) the
    network collapses to an all-zero output from the second epoch in our runs
    (see ``benchmarks/README.md``); with batch normalisation it trains.
    Epochs (not stated in the paper): 10.
paper-cifar
    The paper's CIFAR-10 network, 32x32x3: convs 3->8 (32x32), 8->16 (16x16),
    16->32 (8x8), 32->16 (8x8); the same bottleneck (lin1 1024, n_z = 20,
    r = 100); decoder deconvs 16->32 (8x8; the table says 32->32 but lin4
    hands it 16 channels), 32->16 (16x16), 16->8 (32x32), 8->3 with sigmoid.
    Leaky ReLU, batch normalisation as for paper-mnist. Epochs: 20.
caltech-cae
    The Caltech-101 reference notebook, 96x96x3: convs 32/64/128 with stride
    2, dense 256, latent 512, mirrored decoder, sigmoid, MSE, Adam 1e-3,
    batch 64, 20 epochs.
caltech-vae
    The same encoder and decoder as a VAE with our default beta (1/D, the
    textbook VAE). The notebook's plain VAE is beta = 1 in our units and
    reconstructs every image as the same grey blur; ``--model-options
    '{"beta": 1}'`` reproduces that.
caltech-betavae
    The same as a beta-VAE with beta = 1e-4, the notebook's value (same units).
mnist-dense
    The MNIST write-up's dense autoencoder, 784-400-20, ReLU, sigmoid, MSE,
    Adam 1e-3, 30 epochs, batch 128.
homework-conv
    The course homework's small conv autoencoder for 28x28x1: conv 16 +
    2x2 max-pooling, conv 8 + max-pooling (7x7x8 = 392 values, the code), then
    conv 8 + upsampling, conv 16 + upsampling, conv 1; 3,217 weights, as in
    the homework. Sigmoid out (the homework used ReLU). 10 epochs, batch 250.
dcase-baseline
    Machine sounds (:class:`aedetect.audio_detector.AudioDetector`): the DCASE
    2020 Task 2 baseline. Log-mel frames (128 mels, n_fft 1024, hop 512), 5
    stacked -> 640 values; dense 640 -> 128 x4 -> 8 -> 128 x4 -> 640, batch
    norm + ReLU, MSE, Adam 1e-3, batch 512, 100 epochs. Differences: our
    inputs are scaled to [0, 1] by the training range and the output has a
    sigmoid (the baseline: raw dB, linear output).
fast, balanced, accurate, accurate-photo
    Points on the measured accuracy-cost front of one-class image detection
    (``benchmarks/studies/cost.md``: AUROC against CPU seconds per class, chosen
    by a rule written before the runs on MNIST, then checked on Fashion-MNIST and
    CIFAR-10). ``fast``: the ``mnist-dense`` network trained 2 epochs, scored by
    its reconstruction error plus the distance to the 5 nearest training inputs
    (``input_knn``); any input shape. ``balanced``: the ``paper-mnist`` network
    with a head that tells the 8 quarter turns and mirrorings apart
    (``rotate_flip``), 5 epochs, scored by that head (``transform``,
    ``transform_dirichlet``). ``accurate``: the ``paper-mnist`` network with the
    ``geom`` head (4 of its 72 transforms per image in each batch), 10 epochs,
    scored by the MNIST-like parts (``transform_distance``,
    ``transform_dirichlet``, ``transform_knn``) over 4 evenly spaced transforms;
    for digits, clothes, shapes on a plain background. ``accurate-photo``: the
    same training for 20 epochs on the ``paper-cifar`` network, scored by the
    natural-image parts (``reconstruction``, ``transform``,
    ``transform_dirichlet``); for photographs. All but ``fast``: cosine learning rate, bfloat16.
homework-spectrogram-conv
    Machine sounds: the course homework's conv autoencoder on 64-mel x 312-frame
    log-mel patches (a whole 10 s clip): 3x3 convs 32, 16, 4, each followed by
    2x2 max-pooling, then conv 4, 16, 32, each followed by upsampling, and a
    conv to 1 channel; ReLU, sigmoid out, MSE, Adam 1e-3, batch 32, 50 epochs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from aedetect.errors import InputError


@dataclass(frozen=True)
class Preset:
    model: str
    model_options: dict = field(default_factory=dict)
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"
    precision: str = "float32"
    features: dict | None = None  # audio presets: aedetect.data.audio.AudioFeatures fields


_PAPER_BOTTLENECK = {"hidden": [1024], "decoder_hidden": [100], "latent": 20,
                     "activation": "leaky_relu", "negative_slope": 0.01, "norm": "batch"}
_CALTECH = {"arch": "conv", "channels": [32, 64, 128], "strides": 2, "hidden": [256], "latent": 512}
_PAPER_MNIST = {"arch": "conv", "channels": [16, 32, 64, 64, 16], "strides": [1, 2, 2, 2, 1],
                **_PAPER_BOTTLENECK}
_PAPER_CIFAR = {"arch": "conv", "channels": [8, 16, 32, 16], "strides": [1, 2, 2, 1], **_PAPER_BOTTLENECK}
_MNIST_DENSE = {"arch": "dense", "hidden": [400], "latent": 20}
# the self-supervised score parts (aedetect.scoring), 4 of geom's 72 transforms scored
_GEOM = {"transforms": "geom", "transform_draws": 4, "score_transforms": 4}
_MNIST_LIKE = {**_GEOM, "score_parts": ["transform_distance", "transform_dirichlet", "transform_knn"]}
_NATURAL = {**_GEOM, "score_parts": ["reconstruction", "transform", "transform_dirichlet"]}
_BF16_COSINE = {"batch_size": 128, "lr_schedule": "cosine", "precision": "bfloat16"}

PRESETS: dict[str, Preset] = {
    "paper-mnist": Preset("conv_ae", _PAPER_MNIST, epochs=10, batch_size=128),
    "paper-cifar": Preset("conv_ae", _PAPER_CIFAR, epochs=20, batch_size=128),
    "caltech-cae": Preset("conv_ae", _CALTECH, epochs=20, batch_size=64),
    "caltech-vae": Preset("vae", _CALTECH, epochs=20, batch_size=64),
    "caltech-betavae": Preset("beta_vae", {**_CALTECH, "beta": 1e-4}, epochs=20, batch_size=64),
    "mnist-dense": Preset("dense_ae", _MNIST_DENSE, epochs=30, batch_size=128),
    "homework-conv": Preset("conv_ae", {"arch": "conv", "channels": [16, 8], "pool": True,
                                        "latent": None}, epochs=10, batch_size=250),
    "dcase-baseline": Preset("dense_ae", {"arch": "dense", "hidden": [128, 128, 128, 128], "latent": 8,
                                          "norm": "batch"}, epochs=100, batch_size=512,
                             features={"mode": "frames", "n_mels": 128, "context": 5}),
    "homework-spectrogram-conv": Preset("conv_ae", {"arch": "conv", "channels": [32, 16, 4], "pool": True,
                                                    "latent": None}, epochs=50, batch_size=32,
                                        features={"mode": "patches", "n_mels": 64, "patch_frames": 312}),
    "fast": Preset("dense_ae", {**_MNIST_DENSE, "score_parts": ["reconstruction", "input_knn"]},
                   epochs=2, batch_size=128),
    "balanced": Preset("conv_ae", {**_PAPER_MNIST, "transforms": "rotate_flip",
                                   "score_parts": ["transform", "transform_dirichlet"]},
                       epochs=5, **_BF16_COSINE),
    "accurate": Preset("conv_ae", {**_PAPER_MNIST, **_MNIST_LIKE}, epochs=10, **_BF16_COSINE),
    "accurate-photo": Preset("conv_ae", {**_PAPER_CIFAR, **_NATURAL}, epochs=20, **_BF16_COSINE),
}


def preset_features(name: str) -> dict | None:
    """The audio feature settings of preset ``name`` (None for image presets)."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    return PRESETS[name].features


def preset_params(name: str, model: str | None = None, **overrides) -> dict:
    """Detector parameters of preset ``name`` (see the module docstring).

    ``model`` picks another family on the same network; options the family
    does not know are left out. ``overrides`` (any detector parameter, and
    ``model_options`` merged into the preset's) win over the preset.
    """
    from aedetect.models import MODELS

    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    model = model or preset.model
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; available: {', '.join(sorted(MODELS))}")
    known = {f.name for f in dataclasses.fields(MODELS[model].Config)} | {"score_parts", "score_transforms",
                                                                          "score_log"}
    options = {k: v for k, v in preset.model_options.items() if k in known}
    options.update(overrides.pop("model_options", None) or {})
    return {"model": model, "model_options": options, "epochs": preset.epochs,
            "batch_size": preset.batch_size, "learning_rate": preset.learning_rate,
            "lr_schedule": preset.lr_schedule, "precision": preset.precision, **overrides}
