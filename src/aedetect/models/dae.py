"""Denoising autoencoder: inputs are corrupted during training only, the loss
compares the reconstruction with the clean input, and clean inputs are scored.

``noise="gaussian"`` adds N(0, noise_level^2) to the [0, 1]-scaled input
(clipped back to [0, 1]); ``noise="mask"`` sets a random ``noise_level``
fraction of the input values to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from aedetect.errors import InputError
from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig
from aedetect.models.registry import register


@dataclass
class DAEConfig(ArchConfig):
    noise: str = "gaussian"  # "gaussian" or "mask"
    noise_level: float = 0.2  # standard deviation, or fraction of values masked


@register("dae")
class DAE(Autoencoder):
    Config = DAEConfig

    def __init__(self, input_shape: tuple[int, ...], config: DAEConfig):
        super().__init__(input_shape, config)
        if config.noise not in ("gaussian", "mask"):
            raise InputError(f"DAE noise must be 'gaussian' or 'mask'; got {config.noise!r}")

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.noise == "mask":
            return x * (torch.rand_like(x) >= self.config.noise_level)
        return (x + torch.randn_like(x) * self.config.noise_level).clamp(0.0, 1.0)

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        noisy = self.corrupt(x) if self.training else x
        return self.reconstruction_loss(self(noisy), x)
