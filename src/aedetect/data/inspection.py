"""Industrial inspection data: normal training images, and test images of good and defective
parts with pixel masks of the defects, in the layouts quality engineers have.

- MVTec AD: ``train/good/*.png``, ``test/good``, ``test/<defect>/*.png``, masks in
  ``ground_truth/<defect>/<stem>_mask.png`` (good test images have none: all pixels normal).
- MVTec 3D-AD, RGB part: ``{train,validation}/good/rgb/*``, ``test/<defect>/rgb/*`` with masks
  in ``test/<defect>/gt/`` under the same stem (point clouds are ignored).
- Magnetic-tile defects: ``MT_Free/Imgs/*.jpg`` normal, ``MT_<defect>/Imgs/<name>.jpg`` with its
  mask ``<name>.png``. No official split: a seeded ``test_fraction`` of the normal images joins
  the test set.
- A folder built by hand: ``good/`` (training), ``test/good/`` and ``test/<defect>/``, and
  optionally ``masks/<defect>/`` mirroring the test folders, a mask named as its image (any image
  suffix, or ``<stem>_mask``).

Masks are optional: without them (``masks`` all None) only image-level metrics apply; with masks
for some defect images only, ``open_inspection`` refuses unless ``masks="ignore"``. A mask is read
as defect where its value is above half its maximum (other values than 0 and the maximum are
warned about once, with a count), resized (nearest) to the image size (warned once, with a count).
A mask for a good test image is ignored, with a warning when it marks defect pixels: good images
are all normal.
"""

from __future__ import annotations

import warnings
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


MASK_FOLDERS = ("masks", "mask", "ground_truth")  # of a hand-built folder


def _mask_of(folder: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}_mask"):
        found = [f for f in folder.glob(f"{name}.*") if is_image(f)] if folder.is_dir() else []
        if found:
            return sorted(found)[0]
    return None


def _hand_built(path: Path) -> InspectionSet:
    masks_root = next((path / m for m in MASK_FOLDERS if (path / m).is_dir()), None)
    test, defects, masks = [], [], []
    for folder in sorted(p for p in (path / "test").iterdir() if p.is_dir()):
        for f in _images(folder):
            test.append(f)
            defects.append(folder.name)
            masks.append(_mask_of(masks_root / folder.name, f.stem) if masks_root else None)
    return InspectionSet(path.name, "folder", _images(path / "good"), test, defects, masks)


def inspection_layout(path: str | Path) -> str | None:
    """"mvtec-ad", "mvtec-3d-rgb", "magnetic-tile", "folder" (built by hand) or None."""
    path = Path(path)
    if (path / "MT_Free" / "Imgs").is_dir():
        return "magnetic-tile"
    if (path / "train" / "good" / "rgb").is_dir() and (path / "test").is_dir():
        return "mvtec-3d-rgb"
    if (path / "train" / "good").is_dir() and (path / "test" / "good").is_dir():
        return "mvtec-ad"
    if (path / "good").is_dir() and (path / "test" / "good").is_dir():
        return "folder"
    return None


def open_inspection(path: str | Path, *, test_fraction: float = 0.2, seed: int = 0,
                    masks: str = "require") -> InspectionSet:
    """The inspection data set at ``path`` (see the module docstring for the layouts). ``masks``:
    "require" (masks for all defect images or none), "ignore" (image level only)."""
    path = Path(path)
    layout = inspection_layout(path)
    if layout is None:
        raise InputError(f"{path}: not an inspection layout; expected MVTec AD (train/good, test/<defect>, "
                         "ground_truth/), MVTec 3D-AD (train/good/rgb, test/<defect>/{rgb,gt}), "
                         "magnetic tile (MT_Free/Imgs, MT_<defect>/Imgs with .png masks) or a folder "
                         "built by hand (good/, test/good/, test/<defect>/, optionally masks/<defect>/)")
    if masks not in ("require", "ignore"):
        raise InputError(f"masks must be 'require' or 'ignore'; got {masks!r}")
    found = (_magnetic_tile(path, test_fraction, seed) if layout == "magnetic-tile"
             else _mvtec3d(path) if layout == "mvtec-3d-rgb" else _hand_built(path) if layout == "folder"
             else _mvtec(path))
    if not found.train:
        where = {"folder": "good/", "magnetic-tile": "MT_Free/Imgs/", "mvtec-3d-rgb": "train/good/rgb/"}
        raise InputError(f"{path}: no normal training images in {where.get(layout, 'train/good/')} "
                         f"({layout} layout)")
    if not any(d != "good" for d in found.test_defects):
        warnings.warn(f"{path}: no defect images in the test set: only the good images' scores can be "
                      "looked at", stacklevel=2)
    marked = sum(_marks_defects(m) for m, d in zip(found.masks, found.test_defects) if d == "good")
    if marked:  # an empty mask beside a good image is usual (MVTec 3D-AD has them): no warning
        warnings.warn(f"{path}: {marked} good test image(s) have a mask marking defect pixels; ignored "
                      "(good images are all normal)", stacklevel=2)
    found.masks = [None if d == "good" or masks == "ignore" else m
                   for m, d in zip(found.masks, found.test_defects)]
    missing = [str(f.relative_to(path)) for f, d, m in zip(found.test, found.test_defects, found.masks)
               if d != "good" and m is None]
    if missing and found.has_masks:
        raise InputError(f"{path}: {len(missing)} defect image(s) have no mask (first: {missing[:3]}); add "
                         "them, or evaluate at image level only (--image-level)")
    return found


def check_masks(files: list[Path | None], images: list[Path]) -> None:
    """Warn once each, with a count, about masks of another size than their image and masks with
    values other than 0 and their maximum; an unreadable mask raises InputError naming it."""
    from PIL import Image

    other_size = grey_levels = 0
    for mask, image in zip(files, images):
        if mask is None:
            continue
        try:
            with Image.open(mask) as m, Image.open(image) as picture:
                other_size += picture.size != m.size
                values = np.asarray(m.convert("L"))
        except (OSError, SyntaxError, ValueError) as err:
            raise InputError(f"{mask}: not a readable mask image ({err}); replace or remove it") from None
        grey_levels += bool(((values > 0) & (values < values.max())).any())
    if other_size:
        warnings.warn(f"{other_size} mask(s) have another size than their image; resized (nearest)",
                      stacklevel=2)
    if grey_levels:
        warnings.warn(f"{grey_levels} mask(s) hold values other than 0 and their maximum; read as defect "
                      "above half their maximum", stacklevel=2)


def _marks_defects(mask: Path | None) -> bool:
    if mask is None:
        return False
    from PIL import Image

    try:
        with Image.open(mask) as m:
            return bool(np.asarray(m.convert("L")).any())
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(f"{mask}: not a readable mask image ({err}); replace or remove it") from None


def read_masks(files: list[Path | None], size: tuple[int, int]) -> np.ndarray:
    """(N, H, W) bool masks at ``size`` (height, width), resized nearest; None gives an all-normal
    mask. Values above half the mask's maximum are defect (0/255 and 0/1 masks alike)."""
    from PIL import Image

    out = np.zeros((len(files), *size), bool)
    for i, f in enumerate(files):
        if f is None:
            continue
        try:
            with Image.open(f) as img:
                img = img.convert("L")
                if img.size != (size[1], size[0]):
                    img = img.resize((size[1], size[0]), Image.Resampling.NEAREST)
                values = np.asarray(img)
        except (OSError, SyntaxError, ValueError) as err:
            raise InputError(f"{f}: not a readable mask image ({err}); replace or remove it") from None
        out[i] = values > values.max() / 2  # 0/255 and 0/1 masks alike
    return out
