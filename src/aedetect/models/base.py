"""What every autoencoder in the registry answers: encode, decode, a training loss
and a per-sample anomaly score (higher = more anomalous)."""

from __future__ import annotations

import torch
from torch import nn


class Autoencoder(nn.Module):
    """Base class. Subclasses define ``Config`` (a dataclass), ``encode`` and ``decode``.

    Inputs are float tensors scaled to [0, 1]: (B, D) vectors or (B, C, H, W)
    images; ``forward`` returns a reconstruction of the same shape.
    """

    name = "autoencoder"
    Config: type

    def __init__(self, input_shape: tuple[int, ...], config):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.config = config

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, *input_shape) -> (B, latent)
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B, *input_shape)
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Training loss of a batch: mean squared error over all pixels/features."""
        return nn.functional.mse_loss(self(x), x)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample anomaly score (B,): mean squared reconstruction error; higher = more anomalous."""
        return (self(x) - x).pow(2).flatten(1).mean(dim=1)
