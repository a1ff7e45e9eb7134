"""The plain autoencoder: minimise reconstruction error, score by it.

``dense_ae``: flatten, 784-400-32 style (the MNIST reference). ``conv_ae``:
strided 3x3 convolutions down and transposed convolutions up (the Caltech-101
reference is ``channels=(32, 64, 128), hidden=(256,), latent=512`` on 96x96x3).
Both are the same model on the two network shapes of :mod:`aedetect.models.layers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig
from aedetect.models.registry import register


@dataclass
class DenseAEConfig(ArchConfig):
    arch: str = "dense"


@dataclass
class ConvAEConfig(ArchConfig):
    arch: str = "conv"
    latent: int = 64


@register("dense_ae")
class DenseAE(Autoencoder):
    Config = DenseAEConfig


@register("conv_ae")
class ConvAE(Autoencoder):
    Config = ConvAEConfig
