"""Variational autoencoder (and beta-VAE): a Gaussian encoder, the
reparameterisation trick, loss = reconstruction + beta * KL.

The scale of the two terms, explicitly: the reconstruction term is the
squared error (or BCE) **averaged over the D input values** of a sample; the
KL term is **summed over the latent dimensions**; both are averaged over the
batch. This is the Keras reduction of the Caltech-101 reference. With it,
``beta = 1`` weights the KL term D times more than the textbook VAE (whose
reconstruction term is summed over pixels) and the decoder learns to output
the same grey blur for every input; ``beta = 1/D`` *is* the textbook VAE.
So ``beta=None`` (the default of ``vae``) means 1/D, and ``beta_vae``
defaults to 1e-4, the Caltech reference's value in these same units.

Anomaly scores (``score``), all higher = more anomalous:
``"mean"`` (default) the squared error of the decoded mean code;
``"samples"`` the squared error averaged over ``score_draws`` decoded
samples of the code; ``"elbo"`` the negative ELBO in the units above
(reconstruction error of the samples + beta * KL). Sampled scores use a
fixed seed, so repeated scoring with the same batch size gives equal scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from aedetect.errors import InputError
from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig
from aedetect.models.registry import register


@dataclass
class VAEConfig(ArchConfig):
    beta: float | None = None  # weight of the KL term; None: 1/D (the textbook VAE)
    kl_warmup: int = 0  # epochs over which beta ramps up linearly from beta/kl_warmup
    score: str = "mean"  # "mean", "samples" or "elbo"
    score_draws: int = 10  # decoded samples per input for score="samples"/"elbo"


@register("vae")
class VAE(Autoencoder):
    Config = VAEConfig
    needs_latent = True

    def __init__(self, input_shape: tuple[int, ...], config: VAEConfig):
        super().__init__(input_shape, config)
        if config.score not in ("mean", "samples", "elbo"):
            raise InputError(f"VAE score must be 'mean', 'samples' or 'elbo'; got {config.score!r}")
        self.logvar_head = nn.Linear(self.features, config.latent)  # self.head gives the mean
        self.beta = config.beta if config.beta is not None else 1.0 / math.prod(input_shape)
        self._warmup = 1.0

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, *input_shape) -> mean (B, latent), log-variance (B, latent)."""
        h = self.body(x)
        return self.head(h), self.logvar_head(h).clamp(-30.0, 20.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    @staticmethod
    def kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) || N(0, I)) per sample (B,), summed over latent dimensions."""
        return -0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).sum(dim=1)

    def start_epoch(self, epoch: int) -> None:
        kw = self.config.kl_warmup
        self._warmup = min(1.0, epoch / kw) if kw else 1.0

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction (mean over input values) + beta * KL (sum over latent dims).
        Training samples the code; validation decodes the mean, so it is deterministic."""
        mean, logvar = self.posterior(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp() if self.training else mean
        beta = self.beta * (self._warmup if self.training else 1.0)
        return self.reconstruction_loss(self.decode(z), x) + beta * self.kl(mean, logvar).mean()

    def reconstruction_score(self, x: torch.Tensor) -> torch.Tensor:
        mean, logvar = self.posterior(x)
        if self.config.score == "mean":
            return (self.decode(mean) - x).pow(2).flatten(1).mean(dim=1)
        generator = torch.Generator(device=x.device).manual_seed(0)
        std = (0.5 * logvar).exp()
        errors = torch.zeros(len(x), device=x.device)
        for _ in range(self.config.score_draws):
            eps = torch.randn(mean.shape, generator=generator, device=x.device)
            errors += (self.decode(mean + eps * std) - x).pow(2).flatten(1).mean(dim=1)
        errors /= self.config.score_draws
        if self.config.score == "elbo":
            errors = errors + self.beta * self.kl(mean, logvar)
        return errors


@dataclass
class BetaVAEConfig(VAEConfig):
    beta: float | None = 1e-4


@register("beta_vae")
class BetaVAE(VAE):
    """The VAE with beta = 1e-4 by default (the Caltech reference's beta-VAE)."""

    Config = BetaVAEConfig
