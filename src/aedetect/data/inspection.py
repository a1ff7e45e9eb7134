"""Industrial inspection data: normal training images, and test images of good and defective
parts with pixel masks of the defects, in the layouts quality engineers have.

- MVTec AD: ``train/good/*.png``, ``test/good``, ``test/<defect>/*.png``, masks in
  ``ground_truth/<defect>/<stem>_mask.png`` (good test images have none: all pixels normal).
- MVTec 3D-AD, RGB part: ``{train,validation}/good/rgb/*``, ``test/<defect>/rgb/*`` with masks
  in ``test/<defect>/gt/`` under the same stem (point clouds are ignored).
- Magnetic-tile defects: ``MT_Free/Imgs/*.jpg`` normal, ``MT_<defect>/Imgs/<name>.jpg`` with its
  mask ``<name>.png``. No official split: a seeded ``test_fraction`` of the normal images joins
  the test set.

Masks are optional: without them (``masks`` all None) only image-level metrics apply. A mask is
read as defect where its value is above half its range, resized (nearest) to the image size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aedetect.data.images import is_image, list_images
from aedetect.errors import InputError


@dataclass
class InspectionSet:
    """File lists of an inspection data set. ``test_defects``: "good" or the defect type of each
    test image; ``masks``: the mask file of each test image, or None (no mask: all normal for a
    good image, unknown for a defective one)."""

    name: str
    layout: str
    train: list[Path]
    test: list[Path]
    test_defects: list[str]
    masks: list[Path | None]
    validation: list[Path] = field(default_factory=list)

    @property
    def has_masks(self) -> bool:
        return any(m is not None for m, d in zip(self.masks, self.test_defects) if d != "good")


def _images(folder: Path) -> list[Path]:
    return list_images(folder) if folder.is_dir() else []


def _mvtec(path: Path) -> InspectionSet:
    test, defects, masks = [], [], []
    for folder in sorted(p for p in (path / "test").iterdir() if p.is_dir()):
        for f in _images(folder):
            mask = path / "ground_truth" / folder.name / f"{f.stem}_mask.png"
            test.append(f)
            defects.append(folder.name)
            masks.append(mask if mask.is_file() else None)
    return InspectionSet(path.name, "mvtec-ad", _images(path / "train" / "good"), test, defects, masks)


def _mvtec3d(path: Path) -> InspectionSet:
    test, defects, masks = [], [], []
    for folder in sorted(p for p in (path / "test").iterdir() if p.is_dir()):
        for f in _images(folder / "rgb"):
            mask = folder / "gt" / f"{f.stem}.png"
            test.append(f)
            defects.append(folder.name)
            masks.append(mask if mask.is_file() else None)
    return InspectionSet(path.name, "mvtec-3d-rgb", _images(path / "train" / "good" / "rgb"), test, defects,
                         masks, validation=_images(path / "validation" / "good" / "rgb"))


def _magnetic_tile(path: Path, test_fraction: float, seed: int) -> InspectionSet:
    def pictures(folder: Path) -> list[Path]:  # the .jpg images; their .png siblings are masks
        return sorted(f for f in folder.iterdir() if is_image(f) and f.suffix.lower() != ".png")

    normal = pictures(path / "MT_Free" / "Imgs")
    held = set(np.random.default_rng(seed).permutation(len(normal))[:int(round(test_fraction * len(normal)))])
    train = [f for i, f in enumerate(normal) if i not in held]
    test = [f for i, f in enumerate(normal) if i in held]
    defects, masks = ["good"] * len(test), [None] * len(test)
    for folder in sorted(path.glob("MT_*")):
        if folder.name == "MT_Free":
            continue
        for f in pictures(folder / "Imgs"):
            mask = f.with_suffix(".png")
            test.append(f)
            defects.append(folder.name.removeprefix("MT_").lower())
            masks.append(mask if mask.is_file() else None)
    return InspectionSet(path.name, "magnetic-tile", train, test, defects, masks)


def inspection_layout(path: str | Path) -> str | None:
    """"mvtec-ad", "mvtec-3d-rgb", "magnetic-tile" or None."""
    path = Path(path)
    if (path / "MT_Free" / "Imgs").is_dir():
        return "magnetic-tile"
    if (path / "train" / "good" / "rgb").is_dir() and (path / "test").is_dir():
        return "mvtec-3d-rgb"
    if (path / "train" / "good").is_dir() and (path / "test" / "good").is_dir():
        return "mvtec-ad"
    return None


def open_inspection(path: str | Path, *, test_fraction: float = 0.2, seed: int = 0) -> InspectionSet:
    """The inspection data set at ``path`` (see the module docstring for the layouts)."""
    path = Path(path)
    layout = inspection_layout(path)
    if layout is None:
        raise InputError(f"{path}: not an inspection layout; expected MVTec AD (train/good, test/<defect>, "
                         "ground_truth/), MVTec 3D-AD (train/good/rgb, test/<defect>/{rgb,gt}) or "
                         "magnetic tile (MT_Free/Imgs, MT_<defect>/Imgs with .png masks)")
    found = (_magnetic_tile(path, test_fraction, seed) if layout == "magnetic-tile"
             else _mvtec3d(path) if layout == "mvtec-3d-rgb" else _mvtec(path))
    if not found.train:
        raise InputError(f"{path}: no normal training images found ({layout} layout)")
    missing = [f.name for f, d, m in zip(found.test, found.test_defects, found.masks)
               if d != "good" and m is None]
    if missing and found.has_masks:
        raise InputError(f"{path}: {len(missing)} defect image(s) have no mask (first: {missing[:3]}); add "
                         "them, or remove the masks to evaluate at image level only")
    return found


def read_masks(files: list[Path | None], size: tuple[int, int]) -> np.ndarray:
    """(N, H, W) bool masks at ``size`` (height, width); None gives an all-normal mask. Masks of
    another size are resized (nearest); values above half the range are defect."""
    from PIL import Image

    out = np.zeros((len(files), *size), bool)
    for i, f in enumerate(files):
        if f is None:
            continue
        with Image.open(f) as img:
            img = img.convert("L")
            if img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.NEAREST)
            out[i] = np.asarray(img) > 127
    return out
