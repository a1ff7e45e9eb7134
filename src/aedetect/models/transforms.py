"""The self-supervised transform task every family can train alongside reconstruction.

``transforms="rotate"`` (or ``"rotate_flip"``, or ``"geom"``) adds a linear head
on the encoder's features that learns which of 4 rotations (8 with a
horizontal flip; 72 with a flip and shifts by a quarter of the image side in
the 8 directions, reflected borders: Golan & El-Yaniv's set) was applied to a
normal image. Each training batch gets ``transform_draws`` random transforms
per image; the loss adds ``transform_weight`` times their cross-entropy.
Images the network has not learned are harder to orient, which the score
parts of :mod:`aedetect.scoring` measure.

``augment="hflip"`` mirrors a random half of each training batch (natural
images, where a mirrored normal image is still normal); with transforms only
``"rotate"``, as the mirrored transforms of the larger sets could not be learned.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from aedetect.errors import InputError

TRANSFORMS = {"rotate": 4, "rotate_flip": 8, "geom": 72}  # each set starts with the one before
# (rows, columns) shifts of transform k // 8, in quarters of the image side
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (1, 1), (1, -1), (-1, 0), (-1, 1), (-1, -1))


def check_transforms(config, input_shape: tuple[int, ...]) -> None:
    """Refuse transform and augmentation options that cannot work for these inputs."""
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
        if config.augment == "hflip" and config.transforms != "rotate":
            raise InputError(f"augment='hflip' mirrors training images at random, so the transform head of "
                             f"transforms={config.transforms!r} cannot learn which images were mirrored: "
                             "use transforms='rotate' with it, or leave augment=None")
        if config.transforms == "geom" and input_shape[1] < 4:
            raise InputError(f"transforms='geom' shifts images by a quarter of their side; samples of "
                             f"shape {tuple(input_shape)} are too small: use transforms='rotate_flip'")
    draws = config.transform_draws
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= 256:
        raise InputError(f"transform_draws must be a whole number from 1 to 256; got {draws!r}")
    if not config.transform_weight >= 0:
        raise InputError(f"transform_weight must be >= 0; got {config.transform_weight!r}")


def n_transforms(config) -> int:
    return TRANSFORMS.get(config.transforms, 0)


def _shift(x: torch.Tensor, j: int) -> torch.Tensor:
    """(B, C, H, W) square images moved by ``SHIFTS[j]`` quarter sides, reflected at the borders."""
    dy, dx = SHIFTS[j]
    side = x.shape[-1]
    s = side // 4  # 1 <= s < side: check_transforms refuses geom on images under 4x4
    padded = F.pad(x, (s, s, s, s), mode="reflect")
    return padded[..., s - dy * s: s - dy * s + side, s - dx * s: s - dx * s + side]


def transform(x: torch.Tensor, k: int) -> torch.Tensor:
    """Transform k of (B, C, H, W) square images: shifted by ``SHIFTS[k // 8]`` quarter sides,
    mirrored left-right when (k // 4) is odd, then turned k % 4 quarter turns."""
    if k // 8:
        x = _shift(x, k // 8)
    if (k // 4) % 2:
        x = x.flip(3)
    return torch.rot90(x, k % 4, dims=(2, 3)) if k % 4 else x


def transform_batch(x: torch.Tensor, ks: torch.Tensor, n: int) -> torch.Tensor:
    """Image i transformed by ks[i], as :func:`transform` does it (one step at a time for all
    images that share it: at most 8 shifts, 1 flip and 3 turns whatever ``n`` is)."""
    out = x.clone()
    for j in range(1, (n + 7) // 8):
        chosen = ks // 8 == j
        if chosen.any():
            out[chosen] = _shift(out[chosen], j)
    chosen = (ks // 4) % 2 == 1
    if chosen.any():
        out[chosen] = out[chosen].flip(3)
    for r in range(1, 4):
        chosen = ks % 4 == r
        if chosen.any():
            out[chosen] = torch.rot90(out[chosen], r, dims=(2, 3))
    return out
