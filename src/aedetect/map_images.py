"""Anomaly maps as pictures, per image: the heat map, the binary mask at a map threshold, and an
overlay of the heat map on the image with the mask's outline (``aedetect score --maps DIR``).

Heat maps share one colour scale, 0 to twice the map threshold (or to the largest value seen in
the first batch without one), so that pictures of different images compare; the mask is the
map above the threshold, drawn in red on the overlay.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

BATCH = 64  # images mapped at a time: memory stays at one batch of maps


def colour(maps: np.ndarray, top: float) -> np.ndarray:
    """(N, H, W) maps -> (N, H, W, 3) uint8, inferno colours from 0 to ``top``."""
    from matplotlib import colormaps

    scaled = np.clip(maps / max(top, 1e-12), 0, 1)
    return (colormaps["inferno"](scaled)[..., :3] * 255).astype(np.uint8)


def outline(mask: np.ndarray) -> np.ndarray:
    """The border pixels of a (H, W) bool mask."""
    from scipy.ndimage import binary_erosion

    return mask & ~binary_erosion(mask, border_value=0)


def overlay(image: np.ndarray, heat: np.ndarray, mask: np.ndarray | None,
            colour: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    """The image (H, W) or (H, W, 3) uint8 blended with its heat colours, the mask outlined in
    ``colour`` (red: the model's mask; the report draws true defects in green)."""
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    out = (0.55 * rgb + 0.45 * heat).astype(np.uint8)
    if mask is not None:
        out[outline(mask)] = colour
    return out


def check_new_folder(folder: str | Path) -> Path:
    """``folder`` if it does not exist or is empty; otherwise InputError (nothing is overwritten)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"--maps {folder}: exists and is not an empty folder; choose a new folder")
    return folder


def write_map_images(detector, X, names: list[str], out_dir: str | Path, *, threshold: float | None = None,
                     kind: str = "squared", sigma: float = 4.0) -> int:
    """Write ``NAME.heat.png``, ``NAME.overlay.png`` and, with a ``threshold``, ``NAME.mask.png``
    for every image of X (uint8 images as the detector takes them) into ``out_dir``, batch by
    batch; the folder appears complete or not at all. Returns the number of images."""
    from PIL import Image

    out_dir = check_new_folder(out_dir)
    if len(names) != len(X) or len(set(names)) != len(names):
        raise InputError("map pictures need one distinct name per image")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        top = 2 * threshold if threshold is not None else None
        for start in range(0, len(X), BATCH):
            images = np.asarray(X[start:start + BATCH])
            maps = detector.anomaly_map(images, kind=kind, sigma=sigma)
            top = top if top is not None else float(maps.max())
            heats = colour(maps, top)
            for name, image, m, heat in zip(names[start:start + BATCH], images, maps, heats):
                mask = m > threshold if threshold is not None else None
                Image.fromarray(heat).save(tmp / f"{name}.heat.png")
                Image.fromarray(overlay(image, heat, mask)).save(tmp / f"{name}.overlay.png")
                if mask is not None:
                    Image.fromarray((mask * 255).astype(np.uint8)).save(tmp / f"{name}.mask.png")
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return len(X)
