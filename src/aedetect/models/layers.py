"""Encoder and decoder stacks shared by every model family, so that AE, VAE, AAE
and DAE can be compared on identical networks.

An encoder *body* maps inputs to a feature vector; each family adds its own
head(s) from the features to the latent code (one linear layer for an AE, mean
and log-variance for a VAE). A *decoder* maps the latent code back to inputs,
ending in a sigmoid (inputs are scaled to [0, 1]).

``arch="dense"``: flatten, then ``hidden`` linear layers.
``arch="conv"``: one 3x3 conv per ``channels`` entry (stride ``strides``, or
stride 1 followed by 2x2 max-pooling with ``pool=True``), flatten, then
``hidden`` linear layers. The decoder mirrors the encoder: ``decoder_hidden``
linear layers (default: ``hidden`` reversed), a linear layer back to the
flattened conv map, then transposed convs (or conv + upsampling) that land
exactly on the encoder's sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from aedetect.errors import InputError

LOSSES = ("mse", "bce", "ssim", "ssim_l1")


@dataclass
class ArchConfig:
    arch: str = "auto"  # "dense", "conv", or "auto": conv for images, dense for vectors
    hidden: tuple[int, ...] | None = None  # encoder linear widths; None: (400,) dense, () conv
    decoder_hidden: tuple[int, ...] | None = None  # None: hidden reversed
    latent: int | None = 32  # None: no latent layer, the code is the encoder's last features
    channels: tuple[int, ...] = (32, 64, 128)  # conv only: one 3x3 conv per entry
    strides: int | tuple[int, ...] = 2  # conv only: one per conv, or one for all
    pool: bool = False  # conv only: stride-1 convs + 2x2 max-pooling, upsampling back
    activation: str = "relu"  # "relu" or "leaky_relu"
    negative_slope: float = 0.01  # of leaky_relu
    norm: str | None = None  # "batch": batch normalisation before every hidden activation
    # training reconstruction loss: "mse", "bce", "ssim" (1 - SSIM, images) or "ssim_l1" (1 - SSIM plus
    # the absolute error, images); scores are always MSE
    loss: str = "mse"
    output: str = "sigmoid"  # last activation: "sigmoid" (inputs in [0, 1]) or "linear" (unbounded)
    # the self-supervised transform task, see aedetect.models.transforms
    augment: str | None = None  # "hflip": training images mirrored at random (natural images)
    transforms: str | None = None  # None, "rotate", "rotate_flip" or "geom": self-supervised transform head
    transform_draws: int = 1  # random transforms per image in each training batch
    transform_weight: float = 1.0  # weight of the transform head's cross-entropy in the loss
    patch_memory: int = 0  # images: training images kept for nearest-patch maps (aedetect.patch_memory)


MAX_WIDTH = 65536  # units of one dense layer, channels of one conv, size of the latent code
MAX_LAYERS = 64
MAX_INPUT_VALUES = 2**26  # values in one sample


def _ints(name: str, values, low: int, high: int) -> None:
    values = [values] if isinstance(values, (int, float, str)) or values is None else list(values)
    if len(values) > MAX_LAYERS:
        raise InputError(f"{name}: at most {MAX_LAYERS} layers; got {len(values)}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise InputError(f"{name} must hold whole numbers from {low} to {high}; got {v!r}")


def check_sizes(config: ArchConfig, input_shape: tuple[int, ...]) -> None:
    """Refuse sizes that are not whole numbers or are beyond sane bounds (a model config may
    come from a file someone else wrote)."""
    _ints("input shape", list(input_shape), 1, MAX_INPUT_VALUES)
    if math.prod(input_shape) > MAX_INPUT_VALUES:
        raise InputError(f"samples of shape {tuple(input_shape)} are too large "
                         f"(over {MAX_INPUT_VALUES} values)")
    for name in ("hidden", "decoder_hidden"):
        if getattr(config, name) is not None:
            _ints(name, getattr(config, name), 1, MAX_WIDTH)
    if config.latent is not None:
        _ints("latent", config.latent, 1, MAX_WIDTH)
    _ints("channels", config.channels, 1, MAX_WIDTH)
    _ints("strides", config.strides, 1, 16)
    _ints("patch_memory", config.patch_memory, 0, 100_000)
    if config.patch_memory and (len(input_shape) != 3 or min(input_shape[1:]) < 8):
        raise InputError(f"patch_memory keeps images for nearest-patch maps: it needs images of at least "
                         f"8 x 8 pixels; got inputs of shape {tuple(input_shape)}; leave patch_memory at 0")


def resolve_arch(config: ArchConfig, input_shape: tuple[int, ...]) -> str:
    arch = config.arch
    if arch == "auto":
        arch = "conv" if len(input_shape) == 3 else "dense"
    if arch not in ("dense", "conv"):
        raise InputError(f"arch must be 'dense', 'conv' or 'auto'; got {config.arch!r}")
    if arch == "conv" and len(input_shape) != 3:
        raise InputError(
            f"a conv network needs images, (N, H, W) or (N, H, W, C); got vectors of {input_shape[0]} "
            "features: reshape them to images (e.g. X.reshape(-1, 28, 28)) or use a dense network"
        )
    for name, allowed in (("activation", ("relu", "leaky_relu")), ("norm", (None, "batch")),
                          ("loss", LOSSES), ("output", ("sigmoid", "linear"))):
        if getattr(config, name) not in allowed:
            raise InputError(f"{name} must be one of {allowed}; got {getattr(config, name)!r}")
    if config.loss == "bce" and config.output == "linear":
        raise InputError("loss='bce' needs outputs in (0, 1): use output='sigmoid' or loss='mse'")
    if config.loss.startswith("ssim") and (len(input_shape) != 3 or min(input_shape[1:]) < 6):
        raise InputError(f"loss={config.loss!r} compares local image structure in 11 x 11 windows: it needs "
                         f"images of at least 6 x 6 pixels; got inputs of shape {tuple(input_shape)}; use "
                         "loss='mse'")
    return arch


def _output(config: ArchConfig) -> nn.Module:
    return nn.Sigmoid() if config.output == "sigmoid" else nn.Identity()


def _act(config: ArchConfig) -> nn.Module:
    if config.activation == "leaky_relu":
        return nn.LeakyReLU(config.negative_slope)
    return nn.ReLU()


def _linear_stack(sizes: list[int], config: ArchConfig) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers.append(nn.Linear(a, b))
        if config.norm == "batch":
            layers.append(nn.BatchNorm1d(b))
        layers.append(_act(config))
    return layers


def _conv_plan(config: ArchConfig, input_shape: tuple[int, ...]):
    """Channels, strides and the spatial size before each conv level and after the last."""
    channels = [int(c) for c in config.channels]
    strides = config.strides
    strides = [int(strides)] * len(channels) if isinstance(strides, int) else [int(s) for s in strides]
    if len(strides) != len(channels):
        raise InputError(f"{len(channels)} channels but {len(strides)} strides")
    if config.pool:
        strides = [2] * len(channels)  # each level halves the size by pooling instead
    sizes = [tuple(input_shape[1:])]
    for s in strides:
        sizes.append((math.ceil(sizes[-1][0] / s), math.ceil(sizes[-1][1] / s)))
    return channels, strides, sizes


def _widths(config: ArchConfig, arch: str) -> tuple[list[int], list[int]]:
    """Linear widths of the encoder (before the code) and of the decoder (after it)."""
    default = (400,) if arch == "dense" else ()
    hidden = [int(h) for h in (config.hidden if config.hidden is not None else default)]
    if config.decoder_hidden is not None:
        return hidden, [int(h) for h in config.decoder_hidden]
    back = hidden[::-1]
    # with latent=None the code is the encoder's last hidden layer, so the mirror starts after it
    return hidden, back[1:] if config.latent is None else back


def _conv_block(conv: nn.Module, channels: int, config: ArchConfig) -> list[nn.Module]:
    norm = [nn.BatchNorm2d(channels)] if config.norm == "batch" else []
    return [conv, *norm, _act(config)]


def build_encoder(input_shape: tuple[int, ...], config: ArchConfig) -> tuple[nn.Module, int]:
    """The encoder body, (B, *input_shape) -> (B, features), and its number of features."""
    arch = resolve_arch(config, input_shape)
    hidden, _ = _widths(config, arch)
    if arch == "dense":
        sizes = [math.prod(input_shape), *hidden]
        return nn.Sequential(nn.Flatten(), *_linear_stack(sizes, config)), sizes[-1]
    channels, strides, sizes = _conv_plan(config, input_shape)
    layers: list[nn.Module] = []
    for a, b, s in zip([input_shape[0], *channels[:-1]], channels, strides):
        layers += _conv_block(nn.Conv2d(a, b, 3, stride=1 if config.pool else s, padding=1), b, config)
        if config.pool:
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
    dims = [channels[-1] * math.prod(sizes[-1]), *hidden]
    # (B, C, H, W) -> (B, channels[-1], h', w') -> (B, flat) -> (B, hidden[-1])
    return nn.Sequential(*layers, nn.Flatten(), *_linear_stack(dims, config)), dims[-1]


def build_decoder(input_shape: tuple[int, ...], config: ArchConfig, code_size: int) -> nn.Module:
    """The decoder, (B, code_size) -> (B, *input_shape), values in (0, 1) (``output="linear"``: any)."""
    arch = resolve_arch(config, input_shape)
    _, back = _widths(config, arch)
    if arch == "dense":
        sizes = [code_size, *back]
        return nn.Sequential(*_linear_stack(sizes, config), nn.Linear(sizes[-1], math.prod(input_shape)),
                             _output(config), nn.Unflatten(1, tuple(input_shape)))
    channels, strides, sizes = _conv_plan(config, input_shape)
    bottom = (channels[-1], *sizes[-1])
    dims = [code_size, *back, math.prod(bottom)]
    dense = _linear_stack(dims, config) if len(dims) > 2 or dims[0] != dims[-1] else []
    # (B, code) -> (B, flat) -> (B, channels[-1], h', w')
    layers: list[nn.Module] = [*dense, nn.Unflatten(1, bottom)]
    if config.pool:  # conv at each size, then upsample to the encoder's size one level up
        prev = channels[-1]
        for i, b in enumerate(channels[::-1]):
            layers += [*_conv_block(nn.Conv2d(prev, b, 3, padding=1), b, config),
                       nn.Upsample(size=sizes[-i - 2])]
            prev = b
        return nn.Sequential(*layers, nn.Conv2d(prev, input_shape[0], 3, padding=1), _output(config))
    outs = [*channels[::-1][1:], input_shape[0]]
    for i, (a, b, s) in enumerate(zip(channels[::-1], outs, strides[::-1])):
        (th, tw), (ih, iw) = sizes[-i - 2], sizes[-i - 1]
        # output_padding makes each transposed conv land exactly on the encoder's size
        pad = (th - (ih - 1) * s - 1, tw - (iw - 1) * s - 1)
        deconv = nn.ConvTranspose2d(a, b, 3, stride=s, padding=1, output_padding=pad)
        layers += [deconv, _output(config)] if i == len(channels) - 1 else _conv_block(deconv, b, config)
    # -> (B, C, H, W)
    return nn.Sequential(*layers)
