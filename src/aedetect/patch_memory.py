"""Nearest-patch maps (map kind ``"nearest"``): how far each patch of an image lies from the
nearest patch of normal training images at the same place.

An image model with the model option ``patch_memory=N`` keeps N of its training images (a seeded
sample of the training share: never the held-out images that set the map threshold). An image's
map on a grid of patches (side ``patch = max(4, min(H, W) // 16)`` pixels, a step of half that,
about 32 x 32 positions whatever the size) is the Euclidean distance of each of its patches to the
nearest remembered patch at the same grid position or one step away, brought to the input's size
(bilinear) and smoothed. It learns nothing: where normal parts vary in place (a tire's tread,
lighting) it remembers the variation instead of averaging it away, as the mean image does. The
network's scores are untouched; ``aedetect fit`` keeps ``"nearest"`` as the map kind of such a model.

Cost: each image is compared with 9 x N patches at every grid position (at 256x256 RGB with 189 kept
images, 16.5 images/s on 2 CPU cores against 64 for a reconstruction map), and the kept patches take
about 16 bytes per input value per kept image in memory (1.3 GB for 400 RGB images of 256x256).
Fewer kept images cost less (benchmarks/studies/inspection.md measures how much).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHUNK = 64  # images compared at a time: the distances are (positions, CHUNK, N) floats


def patch_size(height: int, width: int) -> tuple[int, int]:
    """(patch side, step) in pixels for images of this size."""
    patch = max(4, min(height, width) // 16)
    return patch, max(1, patch // 2)


def patches(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) images -> (B, C * patch * patch, Gh, Gw) their patches on the grid."""
    patch, step = patch_size(*x.shape[-2:])
    pad = (patch - step) // 2
    x = F.pad(x, (pad, pad, pad, pad), mode="reflect") if pad else x
    gh, gw = (x.shape[-2] - patch) // step + 1, (x.shape[-1] - patch) // step + 1
    return F.unfold(x, patch, stride=step).unflatten(-1, (gh, gw))


class PatchMemory(nn.Module):
    """Remembered normal images (a float16 buffer, saved with the model) and the map they give."""

    def __init__(self, input_shape: tuple[int, ...]):
        super().__init__()
        self.register_buffer("images", torch.zeros(0, *input_shape, dtype=torch.float16))
        self._cache = None  # the patches of the kept images, as _bank makes them

    def remember(self, images: torch.Tensor) -> None:
        """Keep these (N, C, H, W) images, scaled as the network sees them."""
        self.images = images.detach().to(self.images.device, torch.float16).contiguous()
        self._cache = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + "images"
        if key in state_dict:  # as many images as the saved model kept
            self.images = torch.zeros_like(state_dict[key], dtype=torch.float16)
            self._cache = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """(B, H, W) nearest-patch distances of images x (B, C, H, W), smoothed by ``sigma``."""
        with torch.autocast(x.device.type, enabled=False):  # distances need float32
            return self._map(x, sigma)

    def _bank(self, exporting: bool) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int]]:
        """The kept images' patches as (Gh * Gw, N, D), their squared norms (Gh * Gw, 1, N), and
        (Gh, Gw); made once per set of kept images (not when exporting)."""
        key = None if exporting else (self.images.data_ptr(), tuple(self.images.shape), self.images.device)
        if key is not None and self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        if len(self.images) == 0:
            raise RuntimeError("the patch memory is empty: the model was not fitted")
        bank = patches(self.images.float())  # (N, D, Gh, Gw)
        flat = bank.flatten(2).permute(2, 0, 1).contiguous()
        out = (flat, flat.pow(2).sum(-1)[:, None], tuple(bank.shape[-2:]))
        self._cache = (key, out) if key is not None else None
        return out

    def _map(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        from aedetect.maps import blur

        exporting = torch.compiler.is_compiling() or torch.onnx.is_in_onnx_export()  # batch size unknown
        bank, bank_sq, (gh, gw) = self._bank(exporting)
        queries = [patches(c.float()).flatten(2).permute(2, 0, 1).contiguous()  # (G * G, b, D) each
                   for c in ([x] if exporting else x.split(CHUNK))]
        rows, cols = torch.arange(gh, device=x.device), torch.arange(gw, device=x.device)
        best = None  # (G * G, B): the nearest squared distance so far, less the query's own squared norm
        for a in (-1, 0, 1):  # position p meets the kept patches at p + (a, b) where that is on the grid
            for b in (-1, 0, 1):
                # the query each kept position r meets is the one at r - (a, b): the bank stays in place
                meets = ((rows - a).clamp(0, gh - 1)[:, None] * gw + (cols - b).clamp(0, gw - 1)).flatten()
                found = torch.cat([torch.baddbmm(bank_sq, q.index_select(0, meets), bank.transpose(1, 2),
                                                 alpha=-2).amin(dim=2) for q in queries], dim=1)  # at r
                back = ((rows + a).clamp(0, gh - 1)[:, None] * gw + (cols + b).clamp(0, gw - 1)).flatten()
                inside = (((rows + a >= 0) & (rows + a < gh))[:, None]
                          & ((cols + b >= 0) & (cols + b < gw))).flatten()
                found = found.index_select(0, back).masked_fill(~inside[:, None], float("inf"))  # at p
                best = found if best is None else torch.minimum(best, found)
        q_sq = torch.cat([q.pow(2).sum(-1) for q in queries], dim=1)  # (G * G, B)
        grid = (best + q_sq).clamp_min(0).sqrt().T.unflatten(1, (gh, gw))[:, None]
        up = F.interpolate(grid, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)
        return blur(up, sigma)[:, 0]


def sample_images(n_train: int, keep: int, seed: int) -> np.ndarray:
    """Sorted indices of the ``keep`` training images to remember (all when there are fewer)."""
    if keep >= n_train:
        return np.arange(n_train)
    return np.sort(np.random.default_rng(seed).choice(n_train, keep, replace=False))
