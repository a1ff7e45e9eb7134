"""Adversarial autoencoder with a Wasserstein critic on the latent code, as in
"Autoencoders - A Comparative Analysis in the Realm of Anomaly Detection".

The encoder and decoder are those of the plain AE. A critic (latent -> 10 ->
1, Leaky ReLU with slope 0.2 as usual for GAN critics, linear output) scores codes; it is
trained to tell samples of the prior N(0, I) from encoded inputs with the Wasserstein objective, and kept
Lipschitz by clipping its weights to [-clip, clip] after every update (as in
WGAN; RMSprop, as WGAN recommends with clipping). Each mini-batch runs

1. a reconstruction phase: encoder and decoder take an Adam step on the
   reconstruction loss;
2. a regularisation phase: ``critic_steps`` critic updates, then an encoder
   step that raises the critic's score of the encoded batch (to fool it).

Validation loss and scores are the reconstruction error, as for the AE.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from aedetect.models import register
from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig


@dataclass
class AAEConfig(ArchConfig):
    critic_hidden: int = 10
    clip: float = 0.01  # critic weights are clipped to [-clip, clip]
    critic_steps: int = 1  # critic updates per mini-batch
    adversarial_weight: float = 1.0  # scale of the encoder's fool-the-critic loss


@register("aae")
class AAE(Autoencoder):
    Config = AAEConfig
    needs_latent = True

    def __init__(self, input_shape: tuple[int, ...], config: AAEConfig):
        super().__init__(input_shape, config)
        # (B, latent) -> (B, 1)
        self.critic = nn.Sequential(nn.Linear(config.latent, config.critic_hidden),
                                    nn.LeakyReLU(0.2),
                                    nn.Linear(config.critic_hidden, 1))

    def _autoencoder_parameters(self):
        """Encoder, decoder and the transform head, if any (all but the critic)."""
        return (p for name, p in self.named_parameters() if not name.startswith("critic."))

    def configure_optimizers(self, learning_rate: float) -> list[torch.optim.Optimizer]:
        return [
            torch.optim.Adam(self._autoencoder_parameters(), lr=learning_rate),
            torch.optim.RMSprop(self.critic.parameters(), lr=learning_rate),
            torch.optim.Adam(itertools.chain(self.body.parameters(), self.head.parameters()),
                             lr=learning_rate),
        ]

    def training_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer]) -> torch.Tensor:
        ae_opt, critic_opt, encoder_opt = optimizers
        # 1. reconstruction phase
        loss = self.loss(x)
        ae_opt.zero_grad(set_to_none=True)
        loss.backward()
        ae_opt.step()
        # 2. regularisation phase: critic (Wasserstein, clipped), then the encoder
        for _ in range(self.config.critic_steps):
            fake = self.encode(x).detach()
            real = torch.randn_like(fake)
            critic_loss = self.critic(fake).mean() - self.critic(real).mean()
            critic_opt.zero_grad(set_to_none=True)
            critic_loss.backward()
            critic_opt.step()
            with torch.no_grad():
                for p in self.critic.parameters():
                    p.clamp_(-self.config.clip, self.config.clip)
        fool = -self.critic(self.encode(x)).mean() * self.config.adversarial_weight
        encoder_opt.zero_grad(set_to_none=True)
        fool.backward()
        encoder_opt.step()
        return loss.detach()
