"""Dense (fully connected) autoencoder, e.g. 784-400-32 as in the MNIST homework."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from aedetect.models import register
from aedetect.models.base import Autoencoder


@dataclass
class DenseAEConfig:
    hidden: tuple[int, ...] = (400,)  # encoder widths; the decoder mirrors them
    latent: int = 32


def _mlp(sizes: list[int]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return layers


@register("dense_ae")
class DenseAE(Autoencoder):
    """Flattens any input shape to D features: D -> hidden... -> latent -> ...hidden -> D, sigmoid out."""

    Config = DenseAEConfig

    def __init__(self, input_shape: tuple[int, ...], config: DenseAEConfig):
        super().__init__(input_shape, config)
        d = math.prod(input_shape)
        hidden = [int(h) for h in config.hidden]
        self.encoder = nn.Sequential(nn.Flatten(), *_mlp([d, *hidden]),
                                     nn.Linear(hidden[-1] if hidden else d, config.latent))
        self.decoder = nn.Sequential(*_mlp([config.latent, *hidden[::-1]]),
                                     nn.Linear(hidden[0] if hidden else config.latent, d),
                                     nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, *input_shape) -> (B, latent)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B, *input_shape)
        return self.decoder(z).view(-1, *self.input_shape)
