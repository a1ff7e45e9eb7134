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


class MapPictures:
    """``NAME.heat.png``, ``NAME.overlay.png`` and, with a ``threshold``, ``NAME.mask.png`` per
    image, added batch by batch (:meth:`add`) inside ``with``: written to a temporary folder that
    becomes ``out_dir`` when the block ends without error; the folder appears complete or not at all."""

    def __init__(self, out_dir: str | Path, threshold: float | None = None):
        self.out_dir = check_new_folder(out_dir)
        self.threshold = threshold
        self.top = 2 * threshold if threshold is not None else None
        self.names: set[str] = set()

    def __enter__(self) -> MapPictures:
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.", dir=self.out_dir.parent))
        return self

    def add(self, images: np.ndarray, maps: np.ndarray, names: list[str]) -> None:
        """Pictures of ``images`` (uint8, as the detector takes them) and their ``maps``; a name
        may start with a subfolder (``"test/NAME"``)."""
        from PIL import Image

        if len(names) != len(images) or len(set(names)) != len(names) or self.names & set(names):
            raise InputError("map pictures need one distinct name per image")
        self.names.update(names)
        self.top = self.top if self.top is not None else float(maps.max())
        for name, image, m, heat in zip(names, images, maps, colour(maps, self.top)):
            (self.tmp / name).parent.mkdir(parents=True, exist_ok=True)
            mask = m > self.threshold if self.threshold is not None else None
            Image.fromarray(heat).save(self.tmp / f"{name}.heat.png")
            Image.fromarray(overlay(image, heat, mask)).save(self.tmp / f"{name}.overlay.png")
            if mask is not None:
                Image.fromarray((mask * 255).astype(np.uint8)).save(self.tmp / f"{name}.mask.png")

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.out_dir.exists():
            self.out_dir.rmdir()
        self.tmp.rename(self.out_dir)


def write_map_images(detector, X, names: list[str], out_dir: str | Path, *, threshold: float | None = None,
                     kind: str = "squared", sigma: float = 4.0) -> int:
    """:class:`MapPictures` of every image of X (uint8 images as the detector takes them) in
    ``out_dir``, mapped ``BATCH`` images at a time. Returns the number of images."""
    if len(names) != len(X):
        raise InputError("map pictures need one distinct name per image")
    with MapPictures(out_dir, threshold) as pictures:
        for start in range(0, len(X), BATCH):
            images = np.asarray(X[start:start + BATCH])
            maps = detector.anomaly_map(images, kind=kind, sigma=sigma)
            pictures.add(images, maps, names[start:start + BATCH])
    return len(X)
