"""Convolutional autoencoder: strided 3x3 convolutions down, optional dense layers,
a latent vector, and the mirror image up (transposed convolutions, sigmoid out).

The Caltech-101 reference network is ``channels=(32, 64, 128), strides=2,
hidden=(256,), latent=512`` on 96x96x3 inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from aedetect.errors import InputError
from aedetect.models import register
from aedetect.models.base import Autoencoder


@dataclass
class ConvAEConfig:
    channels: tuple[int, ...] = (32, 64, 128)  # one 3x3 conv per entry
    strides: int | tuple[int, ...] = 2  # one per conv, or one for all
    hidden: tuple[int, ...] = ()  # dense layers between the last conv and the latent code
    latent: int = 64


@register("conv_ae")
class ConvAE(Autoencoder):
    Config = ConvAEConfig

    def __init__(self, input_shape: tuple[int, ...], config: ConvAEConfig):
        super().__init__(input_shape, config)
        if len(input_shape) != 3:
            raise InputError(
                f"conv_ae needs images, (N, H, W) or (N, H, W, C); got vectors of {input_shape[0]} "
                "features: reshape them to images (e.g. X.reshape(-1, 28, 28)) or use dense_ae"
            )
        c_in, h, w = input_shape
        channels = [int(c) for c in config.channels]
        strides = config.strides
        strides = [int(strides)] * len(channels) if isinstance(strides, int) else list(strides)
        if len(strides) != len(channels):
            raise InputError(f"conv_ae: {len(channels)} channels but {len(strides)} strides")
        sizes = [(h, w)]  # spatial size before each conv, then after the last
        for s in strides:
            sizes.append((math.ceil(sizes[-1][0] / s), math.ceil(sizes[-1][1] / s)))
        self._bottom = (channels[-1], *sizes[-1])
        flat = math.prod(self._bottom)
        hidden = [int(x) for x in config.hidden]

        down: list[nn.Module] = []
        for a, b, s in zip([c_in, *channels[:-1]], channels, strides):
            down += [nn.Conv2d(a, b, 3, stride=s, padding=1), nn.ReLU()]
        dense_in = [flat, *hidden]
        enc_dense: list[nn.Module] = []
        for a, b in zip(dense_in[:-1], dense_in[1:]):
            enc_dense += [nn.Linear(a, b), nn.ReLU()]
        # (B, C, H, W) -> (B, channels[-1], h', w') -> (B, flat) -> (B, latent)
        self.encoder = nn.Sequential(*down, nn.Flatten(), *enc_dense,
                                     nn.Linear(dense_in[-1], config.latent))

        dense_out = [config.latent, *hidden[::-1], flat]
        dec_dense: list[nn.Module] = []
        for a, b in zip(dense_out[:-1], dense_out[1:]):
            dec_dense += [nn.Linear(a, b), nn.ReLU()]
        up: list[nn.Module] = []
        outs = [*channels[::-1][1:], c_in]
        for i, (a, b, s) in enumerate(zip(channels[::-1], outs, strides[::-1])):
            (th, tw), (ih, iw) = sizes[-i - 2], sizes[-i - 1]
            # output_padding makes each transposed conv land exactly on the encoder's size
            pad = (th - (ih - 1) * s - 1, tw - (iw - 1) * s - 1)
            up += [nn.ConvTranspose2d(a, b, 3, stride=s, padding=1, output_padding=pad),
                   nn.ReLU() if i < len(channels) - 1 else nn.Sigmoid()]
        # (B, latent) -> (B, flat) -> (B, channels[-1], h', w') -> (B, C, H, W)
        self.decoder = nn.Sequential(*dec_dense, nn.Unflatten(1, self._bottom), *up)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)
