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

from dataclasses import dataclass

import torch
from torch import nn

from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig
from aedetect.models.registry import register


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

    def optimizer_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"autoencoder": list(self._autoencoder_parameters()),
                "critic": list(self.critic.parameters()),
                "encoder": [*self.body.parameters(), *self.head.parameters()]}

    def make_optimizer(self, group: str, params: list[nn.Parameter], learning_rate: float):
        if group == "critic":
            return torch.optim.RMSprop(params, lr=learning_rate)
        return torch.optim.Adam(params, lr=learning_rate)

    def phases(self) -> list[str]:
        """1. reconstruction; 2. regularisation: ``critic_steps`` critic updates, then the encoder."""
        return ["autoencoder", *["critic"] * self.config.critic_steps, "encoder"]

    def phase_loss(self, x: torch.Tensor, phase: str) -> torch.Tensor:
        if phase == "autoencoder":
            return self.loss(x)
        if phase == "critic":  # Wasserstein: the prior's codes score high, the encoded batch low
            fake = self.encode(x).detach()
            real = torch.randn_like(fake)
            return self.critic(fake).mean() - self.critic(real).mean()
        return -self.critic(self.encode(x)).mean() * self.config.adversarial_weight  # fool the critic

    def after_step(self, phase: str) -> None:
        if phase == "critic":
            with torch.no_grad():
                for p in self.critic.parameters():
                    p.clamp_(-self.config.clip, self.config.clip)
