"""Anomaly scores beyond the reconstruction error, as model options any family takes.

``transforms="rotate"`` (or ``"rotate_flip"``) adds a self-supervised task: a
linear head on the encoder's features learns which of 4 rotations (8 with a
horizontal flip) was applied to a normal image, as in Golan & El-Yaniv's
geometric-transformation detector. Each training batch gets one random
transform per image; the loss adds ``transform_weight`` times its
cross-entropy. Images the network has not learned are harder to orient.

``augment="hflip"`` mirrors a random half of each training batch: for natural
images (CIFAR-10, Caltech-101), where a mirrored normal image is still normal
(not measured in ``benchmarks/`` yet).

``score_parts`` chooses what the anomaly score adds up, each part higher = more anomalous:

- ``"reconstruction"``: the family's own score (mean squared error; a VAE's setting);
- ``"latent"``: squared Mahalanobis distance of the code to the Gaussian of the
  training codes (Ledoit-Wolf shrunk covariance), fitted after training;
- ``"transform"``: cross-entropy of the true transform averaged over all of them.

With one part the score is that part, raw (so the default score is the plain
reconstruction error). With several, each is standardised by its mean and
standard deviation on the held-out normal validation samples and the
standardised parts are summed: no anomaly is ever needed to weigh them.
"""

from __future__ import annotations

import torch

from aedetect.errors import InputError

TRANSFORMS = {"rotate": 4, "rotate_flip": 8}
PARTS = ("reconstruction", "latent", "transform")


def check_scoring(config, input_shape: tuple[int, ...]) -> None:
    """Refuse score options that cannot work for these inputs, saying what to change."""
    parts = tuple(config.score_parts)
    if not parts or any(p not in PARTS for p in parts) or len(set(parts)) != len(parts):
        raise InputError(f"score_parts must name distinct parts among {PARTS}; got {parts!r}")
    if config.augment not in (None, "hflip"):
        raise InputError(f"augment must be None or 'hflip'; got {config.augment!r}")
    if config.augment and len(input_shape) != 3:
        raise InputError(f"augment={config.augment!r} mirrors images; samples of shape "
                         f"{tuple(input_shape)} are vectors: leave augment=None")
    if config.transforms is not None:
        if config.transforms not in TRANSFORMS:
            raise InputError(f"transforms must be None or one of {sorted(TRANSFORMS)}; "
                             f"got {config.transforms!r}")
        if len(input_shape) != 3 or input_shape[1] != input_shape[2]:
            raise InputError(f"transforms={config.transforms!r} rotates square images; samples of "
                             f"shape {tuple(input_shape)} are not: leave transforms=None")
    if "transform" in parts and config.transforms is None:
        raise InputError("score part 'transform' needs a transform head: add model option "
                         "transforms='rotate'")
    if not config.transform_weight >= 0:
        raise InputError(f"transform_weight must be >= 0; got {config.transform_weight!r}")


def n_transforms(config) -> int:
    return TRANSFORMS.get(config.transforms, 0)


def transform(x: torch.Tensor, k: int) -> torch.Tensor:
    """Transform k of (B, C, H, W) images: rotation by k % 4 quarter turns, flipped for k >= 4."""
    if k >= 4:
        x = x.flip(3)
    return torch.rot90(x, k % 4, dims=(2, 3)) if k % 4 else x


def transform_batch(x: torch.Tensor, ks: torch.Tensor, n: int) -> torch.Tensor:
    """Image i transformed by ks[i]."""
    out = x.clone()
    for k in range(1, n):
        chosen = ks == k
        if chosen.any():
            out[chosen] = transform(x[chosen], k)
    return out
