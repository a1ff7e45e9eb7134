"""Denoising autoencoder: inputs are corrupted during training only, the loss
compares the reconstruction with the clean input, and clean inputs are scored.

``noise="gaussian"`` adds N(0, noise_level^2) to the [0, 1]-scaled input
(clipped back to [0, 1]); ``noise="mask"`` sets a random ``noise_level``
fraction of the input values to 0; ``noise="anomaly"`` (images) pastes synthetic
anomalies made from the normal images themselves, as DRAEM does but with no external
texture set, into a ``noise_level`` share of the images: blobs of smooth random noise
(value noise at a random scale, thresholded) filled, at a random opacity, with the same
place of another image of the batch or with a distorted copy of the image (brightness and
contrast changed, mirrored). With ``segment=True`` (and ``noise="anomaly"``), DRAEM's second
network as well: a small segmentation net that sees the altered image beside its reconstruction
and is trained (focal loss) to find the pasted blobs; its per-pixel probability is the map kind
``"segment"`` (:mod:`aedetect.maps`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from aedetect.errors import InputError
from aedetect.models.base import Autoencoder
from aedetect.models.layers import ArchConfig
from aedetect.models.registry import register


@dataclass
class DAEConfig(ArchConfig):
    noise: str = "gaussian"  # "gaussian", "mask" or "anomaly"
    noise_level: float = 0.2  # standard deviation, fraction of values masked, or of images altered
    segment: bool = False  # noise="anomaly": also train a segmentation net to find the anomalies
    segment_weight: float = 1.0  # weight of its focal loss beside the reconstruction loss


@register("dae")
class DAE(Autoencoder):
    Config = DAEConfig

    def __init__(self, input_shape: tuple[int, ...], config: DAEConfig):
        super().__init__(input_shape, config)
        if config.noise not in ("gaussian", "mask", "anomaly"):
            raise InputError(f"DAE noise must be 'gaussian', 'mask' or 'anomaly'; got {config.noise!r}")
        if config.noise == "anomaly" and len(input_shape) != 3:
            raise InputError("DAE noise='anomaly' pastes image patches: it needs images, not vectors")
        level = config.noise_level
        share = config.noise != "gaussian"  # a share of values or images: at most 1
        if not (isinstance(level, (int, float)) and level >= 0 and (not share or level <= 1)):
            raise InputError(f"DAE noise_level must be a number >= 0 (a share <= 1 with noise="
                             f"'{config.noise}'); got {level!r}")
        if config.segment and config.noise != "anomaly":
            raise InputError("DAE segment=True learns to find synthetic anomalies: it needs noise='anomaly'")
        if not (isinstance(config.segment_weight, (int, float)) and config.segment_weight > 0):
            raise InputError(f"DAE segment_weight must be a positive number; got {config.segment_weight!r}")
        self.segmenter = SegmentationNet(2 * input_shape[0]) if config.segment else None

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.noise == "anomaly":
            return synthetic_anomalies(x, self.config.noise_level)[0]
        if self.config.noise == "mask":
            return x * (torch.rand_like(x) >= self.config.noise_level)
        return (x + torch.randn_like(x) * self.config.noise_level).clamp(0.0, 1.0)

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        if self.segmenter is None:
            noisy = self.corrupt(x) if self.training else x
            return self.reconstruction_loss(self(noisy), x)
        if self.training:
            noisy, masks = synthetic_anomalies(x, self.config.noise_level)
        else:  # validation: clean images, nothing to find
            noisy, masks = x, torch.zeros_like(x[:, :1])
        recon = self(noisy)
        logits = self.segmenter(torch.cat([noisy, recon], dim=1))
        return self.reconstruction_loss(recon, x) + self.config.segment_weight * focal_loss(logits, masks)

    @property
    def map_kind(self) -> str:
        return "segment" if self.segmenter is not None else super().map_kind

    def pixel_map(self, x: torch.Tensor, recon: torch.Tensor, kind: str, sigma: float) -> torch.Tensor:
        if kind != "segment" or self.segmenter is None:
            return super().pixel_map(x, recon, kind, sigma)
        from aedetect.maps import blur

        return blur(torch.sigmoid(self.segmenter(torch.cat([x, recon], dim=1)).float()), sigma)[:, 0]


class SegmentationNet(nn.Module):
    """A small U-Net: (B, channels, H, W) -> (B, 1, H, W) logits; two stride-2 steps down and back
    up, with skip connections."""

    def __init__(self, channels: int, width: int = 16):
        super().__init__()

        def block(cin, cout, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU(),
                                 nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU())

        self.down0 = block(channels, width)
        self.down1 = block(width, 2 * width, 2)
        self.down2 = block(2 * width, 4 * width, 2)
        self.up1 = block(4 * width + 2 * width, 2 * width)
        self.up0 = block(2 * width + width, width)
        self.out = nn.Conv2d(width, 1, 1)
        nn.init.constant_(self.out.bias, -4.6)  # start at p = 0.01 (defects are rare), as RetinaNet

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d0 = self.down0(x)
        d1 = self.down1(d0)
        d2 = self.down2(d1)
        u1 = self.up1(torch.cat([F.interpolate(d2, size=d1.shape[-2:], mode="bilinear"), d1], dim=1))
        u0 = self.up0(torch.cat([F.interpolate(u1, size=d0.shape[-2:], mode="bilinear"), d0], dim=1))
        return self.out(u0)


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Mean focal loss (Lin et al. 2017) of per-pixel logits against a 0/1 mask: the cross-entropy
    of each pixel weighted by (1 - p_true)^gamma, so that the many easy normal pixels do not drown
    the few anomalous ones (DRAEM trains its segmentation net with it)."""
    logits = logits.float()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_true = torch.exp(-ce)
    return ((1 - p_true) ** gamma * ce).mean()


def blob_masks(n: int, height: int, width: int, device=None) -> torch.Tensor:
    """(n, 1, H, W) float masks of random smooth blobs: a coarse random grid (2 to 16 cells a side)
    upsampled bilinearly, above its 70-90th percentile; at least one pixel per mask."""
    masks = torch.empty(n, 1, height, width, device=device)
    for i in range(n):
        cells = int(2 ** torch.randint(1, 5, ()).item())
        field = F.interpolate(torch.rand(1, 1, cells + 1, cells + 1, device=device), size=(height, width),
                              mode="bilinear", align_corners=True)
        level = torch.quantile(field.flatten(), 0.7 + 0.2 * torch.rand(()).item())
        masks[i] = (field >= level).float()[0]
    return masks


def synthetic_anomalies(x: torch.Tensor, share: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(altered images, their masks (B, 1, H, W)) of images x (B, C, H, W) in [0, 1]: a ``share``
    of them gets a blob filled with another image of the batch (half) or a distorted copy of
    itself (half), at an opacity from 0.5 to 1; the others are returned unchanged, mask 0."""
    b = x.shape[0]
    chosen = (torch.rand(b, device=x.device) < share).float().view(b, 1, 1, 1)
    masks = blob_masks(b, x.shape[2], x.shape[3], x.device) * chosen
    other = x.roll(1, dims=0)  # another normal image
    gain = 0.6 + 0.8 * torch.rand(b, 1, 1, 1, device=x.device)
    shift = 0.3 * (torch.rand(b, 1, 1, 1, device=x.device) - 0.5)
    distorted = ((x - 0.5) * gain + 0.5 + shift).flip(-1).clamp(0, 1)  # contrast, brightness, mirrored
    use_other = (torch.rand(b, 1, 1, 1, device=x.device) < 0.5).float()
    fill = use_other * other + (1 - use_other) * distorted
    opacity = (0.5 + 0.5 * torch.rand(b, 1, 1, 1, device=x.device)) * masks
    return x * (1 - opacity) + fill * opacity, masks
