"""Per-pixel anomaly maps of image models: where in an image the reconstruction fails.

- ``"squared"``: the squared reconstruction error, averaged over the colour channels;
- ``"ssim"``: 1 - SSIM (structural similarity in 11 x 11 Gaussian windows, sigma 1.5, as in
  AE-SSIM), averaged over the channels: differences of local structure rather than brightness;
- ``"nearest"``: the distance of each patch to the nearest patch of remembered normal training
  images at the same place (models with the option ``patch_memory``, :mod:`aedetect.patch_memory`);
- ``"segment"``: the probability of a defect a segmentation head gives each pixel (models trained
  with one: ``dae`` with ``noise="anomaly", segment=True``, :mod:`aedetect.models.dae`).

Maps have the input's height and width, higher = more anomalous, and can be smoothed by a
Gaussian of ``sigma`` pixels (defects cover areas; single-pixel noise does not). Image scores
derived from a map: its maximum, or the mean of its top ``k`` share of pixels.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from aedetect.errors import InputError

KINDS = ("squared", "ssim", "nearest", "segment")
SIGMA = 4.0  # the default smoothing, in pixels


def stored_settings(detector) -> dict:
    """The map ``kind`` and ``sigma`` a fitted model was evaluated with (``aedetect fit`` keeps them
    in its metadata; defaults otherwise): what its maps are drawn with everywhere."""
    stored = (getattr(detector, "metadata_", None) or {}).get("maps", {})
    return {"kind": stored.get("kind", "squared"), "sigma": stored.get("sigma", SIGMA)}


def gaussian_kernel(sigma: float, channels: int) -> torch.Tensor:
    """(channels, 1, K, K) normalised Gaussian kernel, K = 2 * ceil(3 sigma) + 1."""
    radius = max(1, int(np.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    g = (g / g.sum())[:, None] * (g / g.sum())[None, :]
    return g.expand(channels, 1, *g.shape).contiguous()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of (B, C, H, W) per channel, borders reflected."""
    if sigma <= 0:
        return x
    k = gaussian_kernel(sigma, x.shape[1]).to(x.device)
    pad = k.shape[-1] // 2
    if pad >= min(x.shape[-2:]):
        raise InputError(f"sigma {sigma} is too large for {tuple(x.shape[-2:])} images")
    return F.conv2d(F.pad(x, (pad,) * 4, mode="reflect"), k, groups=x.shape[1])


def ssim(x: torch.Tensor, y: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Per-pixel SSIM of (B, C, H, W) images with values in [0, 1] (C1, C2 as Wang et al. 2004)."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mx, my = blur(x, sigma), blur(y, sigma)
    vx = blur(x * x, sigma) - mx ** 2
    vy = blur(y * y, sigma) - my ** 2
    cxy = blur(x * y, sigma) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))


def error_map(x: torch.Tensor, recon: torch.Tensor, kind: str = "squared",
              sigma: float = 0.0) -> torch.Tensor:
    """(B, H, W) anomaly map of inputs ``x`` and their reconstructions, both (B, C, H, W) in [0, 1]."""
    if kind not in KINDS:
        raise InputError(f"map kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind == "segment":
        raise InputError("map kind 'segment' needs a model trained with a segmentation head (model dae "
                         "with model options noise='anomaly', segment=true); use squared or ssim")
    if kind == "nearest":
        raise InputError("map kind 'nearest' needs a model that keeps training images (model option "
                         "patch_memory, e.g. 400); use squared or ssim")
    per_channel = (x - recon) ** 2 if kind == "squared" else 1 - ssim(x, recon)
    return blur(per_channel.mean(dim=1, keepdim=True), sigma)[:, 0]


def image_scores(maps: np.ndarray, how: str = "max", top: float = 0.01) -> np.ndarray:
    """(N,) image scores from (N, H, W) maps: ``"max"``, or ``"topk"`` (mean of the ``top`` share)."""
    flat = np.asarray(maps, dtype=np.float64).reshape(len(maps), -1)
    if how == "max":
        return flat.max(axis=1)
    if how != "topk" or not 0 < top <= 1:
        raise InputError(f"an image score from a map is 'max' or 'topk' with top in (0, 1]; got {how!r}, "
                         f"{top}")
    k = max(1, int(round(top * flat.shape[1])))
    return np.sort(flat, axis=1)[:, -k:].mean(axis=1)
