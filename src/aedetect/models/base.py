"""What every model in the registry is: an encoder, a decoder, an optional transform head
(:mod:`aedetect.models.transforms`) and a training loss.

A family defines ``objective`` (its training loss) and ``reconstruction_score`` (its own
per-sample score, the "reconstruction" part of :mod:`aedetect.scoring`). The training loop
(:mod:`aedetect.training`) owns the optimizers: a model names its parameter groups in
``optimizer_groups`` and the losses it steps on per batch in ``phase_loss``; most families
have one phase, the adversarial AE three.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aedetect.errors import InputError
from aedetect.models.layers import ArchConfig, build_decoder, build_encoder, check_sizes
from aedetect.models.transforms import check_transforms, n_transforms, transform, transform_batch
from aedetect.patch_memory import PatchMemory


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
        check_transforms(config, tuple(input_shape))
        self.input_shape = tuple(input_shape)
        self.config = config
        self.body, self.features = build_encoder(self.input_shape, config)  # (B, *in) -> (B, F)
        self.latent_size = config.latent or self.features
        # (B, F) -> (B, latent); with latent=None the features are the code
        self.head = nn.Linear(self.features, config.latent) if config.latent else nn.Identity()
        self.decoder = build_decoder(self.input_shape, config, self.latent_size)  # (B, latent) -> (B, *in)
        self.n_transforms = n_transforms(config)
        # kept training images for kind="nearest" maps (filled by the detector after training)
        self.memory = PatchMemory(self.input_shape) if config.patch_memory else None
        if self.n_transforms:  # (B, F) -> (B, transforms): which transform was applied
            self.transform_head = nn.Linear(self.features, self.n_transforms)

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, *input_shape) -> (B, latent)
        return self.head(self.body(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B, *input_shape)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    # ------------------------------------------------------------ training
    def reconstruction_loss(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean over pixels and batch: squared error; binary cross-entropy with loss='bce'; 1 - SSIM
        (11 x 11 Gaussian windows, as AE-SSIM) with loss='ssim', plus the absolute error with 'ssim_l1'."""
        loss = self.config.loss
        if loss == "bce":
            return nn.functional.binary_cross_entropy(x_hat, x)
        if loss.startswith("ssim"):
            from aedetect.maps import ssim

            out = 1 - ssim(x_hat.clamp(0, 1), x).mean()
            return out + nn.functional.l1_loss(x_hat, x) if loss == "ssim_l1" else out
        return nn.functional.mse_loss(x_hat, x)

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        """The family's training loss of a batch (here: the reconstruction loss)."""
        return self.reconstruction_loss(self(x), x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Training (and validation) loss of a batch: the family's objective, plus the
        transform head's cross-entropy when the model has one. In training, ``augment="hflip"``
        mirrors a random half of the images first."""
        if self.training and self.config.augment == "hflip":
            x = torch.where(torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5, x.flip(3), x)
        loss = self.objective(x)
        if self.n_transforms and self.config.transform_weight > 0:
            loss = loss + self.config.transform_weight * self.transform_loss(x)
        return loss

    def transform_loss(self, x: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of ``transform_draws`` transforms per image: random ones in training; in
        evaluation (the validation loss) fixed ones, transform ``i % n`` for copy ``i`` of the
        repeated batch, so that every epoch is judged on the same images and transforms at the cost
        of a training batch (not all n transforms of every image)."""
        x = x.repeat(self.config.transform_draws, *([1] * (x.dim() - 1)))  # (draws * B, C, H, W)
        if self.training:
            ks = torch.randint(self.n_transforms, (len(x),), device=x.device)
        else:
            ks = torch.arange(len(x), device=x.device) % self.n_transforms
        return F.cross_entropy(self.transform_head(self.body(transform_batch(x, ks, self.n_transforms))), ks)

    def optimizer_groups(self) -> dict[str, list[nn.Parameter]]:
        """Parameter groups by name; the loop gives each an optimizer (:meth:`make_optimizer`)."""
        return {"autoencoder": list(self.parameters())}

    def make_optimizer(self, group: str, params: list[nn.Parameter], learning_rate: float):
        return torch.optim.Adam(params, lr=learning_rate)

    def phases(self) -> list[str]:
        """The optimizer groups stepped on one batch, in order (a group may recur)."""
        return ["autoencoder"]

    def phase_loss(self, x: torch.Tensor, phase: str) -> torch.Tensor:
        """The loss whose gradient the ``phase`` group's optimizer steps on. The first phase's
        loss is the one the training history records."""
        return self.loss(x)

    def after_step(self, phase: str) -> None:
        """Called after the optimizer step of ``phase`` (e.g. to clip a critic's weights)."""

    def start_epoch(self, epoch: int) -> None:
        """Called by the training loop before each epoch (1-based); for schedules such as KL warm-up."""

    # ------------------------------------------------------------- scoring
    def reconstruction_error(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) mean squared error of the reconstruction ``forward(x)``."""
        return (self(x) - x).pow(2).flatten(1).mean(dim=1)

    def reconstruction_score(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) the family's own score, higher = more anomalous (here the reconstruction error)."""
        return self.reconstruction_error(x)

    @property
    def map_kind(self) -> str:
        """The map kind that suits the model (what ``aedetect fit`` keeps for its maps): the nearest
        patch for a model with a patch memory, 1 - SSIM for one trained with loss='ssim' (AE-SSIM),
        else the squared error."""
        if self.memory is not None:
            return "nearest"
        return "ssim" if self.config.loss == "ssim" else "squared"

    def pixel_map(self, x: torch.Tensor, recon: torch.Tensor, kind: str, sigma: float) -> torch.Tensor:
        """(B, H, W) anomaly map of images x and their reconstructions (:func:`aedetect.maps.error_map`;
        families with a map of their own add kinds)."""
        from aedetect.maps import error_map

        if kind == "nearest" and self.memory is not None:
            return self.memory(x, sigma)
        return error_map(x, recon, kind, sigma)

    def transform_features(self, x: torch.Tensor, ks: Sequence[int] | None = None) -> torch.Tensor:
        """(B, len(ks), features): the encoder's features of transforms ``ks`` of x (default: all
        of them), in one encoder pass over the B * len(ks) transformed images."""
        ks = range(self.n_transforms) if ks is None else ks
        features = self.body(torch.cat([transform(x, k) for k in ks]))  # (len(ks) * B, F)
        return features.unflatten(0, (len(ks), -1)).transpose(0, 1)
