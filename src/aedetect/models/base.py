"""What every model in the registry answers: encode, decode, a training loss, a
per-sample anomaly score (higher = more anomalous) and its own training step."""

from __future__ import annotations

import torch
from torch import nn

from aedetect.errors import InputError
from aedetect.models.layers import ArchConfig, build_decoder, build_encoder, check_sizes


class Autoencoder(nn.Module):
    """A plain autoencoder on the shared encoder/decoder stacks; families subclass it.

    Inputs are float tensors scaled to [0, 1]: (B, D) vectors or (B, C, H, W)
    images; ``forward`` returns the reconstruction, same shape, values in (0, 1).
    """

    name = "autoencoder"
    Config: type[ArchConfig] = ArchConfig
    needs_latent = False  # True: the family works on a latent vector of its own (latent=None refused)

    def __init__(self, input_shape: tuple[int, ...], config: ArchConfig):
        super().__init__()
        if self.needs_latent and not config.latent:
            raise InputError(f"{type(self).__name__} needs a latent size (option latent), not None")
        check_sizes(config, tuple(input_shape))
        self.input_shape = tuple(input_shape)
        self.config = config
        self.body, self.features = build_encoder(self.input_shape, config)  # (B, *in) -> (B, F)
        self.latent_size = config.latent or self.features
        # (B, F) -> (B, latent); with latent=None the features are the code
        self.head = nn.Linear(self.features, config.latent) if config.latent else nn.Identity()
        self.decoder = build_decoder(self.input_shape, config, self.latent_size)  # (B, latent) -> (B, *in)

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, *input_shape) -> (B, latent)
        return self.head(self.body(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B, *input_shape)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean over pixels and batch: squared error, or binary cross-entropy with loss='bce'."""
        if self.config.loss == "bce":
            return nn.functional.binary_cross_entropy(x_hat, x)
        return nn.functional.mse_loss(x_hat, x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Training (and validation) loss of a batch."""
        return self.reconstruction_loss(self(x), x)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample anomaly score (B,): mean squared reconstruction error; higher = more anomalous."""
        return (self(x) - x).pow(2).flatten(1).mean(dim=1)

    def start_epoch(self, epoch: int) -> None:
        """Called by the training loop before each epoch (1-based); for schedules such as KL warm-up."""

    def configure_optimizers(self, learning_rate: float) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=learning_rate)]

    def training_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer]) -> torch.Tensor:
        """One update on batch x; returns the (detached) loss of the batch."""
        (optimizer,) = optimizers
        loss = self.loss(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()
