"""Image folders with one subfolder per class (Caltech-101's ``101_ObjectCategories``,
CIFAR-10 as ``train/<class>/*.jpg``), read lazily.

:class:`ImageFolder` behaves like a uint8 array of shape (N, H, W, C) (or
(N, H, W) for grey) whose items are read from disk, resized and converted
only when indexed, so a folder larger than memory can be scored in batches.

Folders users did not curate: :func:`check_images` reads every file's header
when a folder is opened. Empty files, files that are not images and images
over :data:`MAX_PIXELS` (decompression bombs) are skipped with one warning
that counts them, or refused with ``strict=True`` (``--strict``). A file whose
header is fine but whose data is truncated fails when it is read, with its
name. Grey, RGB, RGBA, palette and 16-bit images are all converted to the
colour mode asked for (16-bit values are scaled to 8 bits, not clipped).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from aedetect.errors import InputError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
#: Used when no size is given and the first image is larger than 128 px on a
#: side: the size of the Caltech-101 reference.
DEFAULT_LARGE_IMAGE_SIZE = (96, 96)
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
_WIDE_MODES = {"I", "I;16", "I;16B", "I;16L", "F"}  # more than 8 bits per pixel
#: Images with more pixels than this are refused (a 7,000 x 7,000 photo has 49 million).
MAX_PIXELS = 50_000_000


def _header_problem(path: Path) -> str | None:
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as img:
            w, h = img.size
        if w * h > MAX_PIXELS:
            return f"{w}x{h} pixels is over the limit of {MAX_PIXELS:,}"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        return f"not a readable image ({err})"
    return None


def check_images(files: Sequence[Path], strict: bool = False) -> np.ndarray:
    """Which files can be used (a bool mask), from their headers only (read on 8 threads).

    Refused: empty files, files PIL cannot identify, images over MAX_PIXELS.
    With ``strict`` the first bad file raises InputError; otherwise they are
    skipped with one warning naming how many and the first.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        problems = list(pool.map(_header_problem, files, chunksize=64))
    bad = [(path, p) for path, p in zip(files, problems) if p]
    if bad and strict:
        raise InputError(f"{bad[0][0]}: {bad[0][1]}; remove or fix it ({len(bad)} such file(s); "
                         "without --strict they are skipped)")
    if bad:
        warnings.warn(f"skipped {len(bad)} of {len(files)} image files that cannot be used (first: "
                      f"{bad[0][0]}: {bad[0][1]}); pass strict=True (--strict) to stop instead",
                      stacklevel=3)
    return np.asarray([p is None for p in problems], dtype=bool)


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """Image files directly in folder, sorted by name (hidden files skipped)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and is_image(p))


def class_folders(folder: Path) -> list[Path]:
    """Subfolders that hold at least one image, sorted by name."""
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [p for p in subs if any(is_image(f) for f in p.iterdir())]


def scan_class_folders(folder: Path, class_names: Sequence[str] | None = None, strict: bool = False):
    """Files and integer labels of a folder with one subfolder per class.

    ``class_names`` fixes the label order (e.g. a test folder must use the
    train folder's order; its classes that training lacks, such as the defect
    folders of an MVTec-style ``test/``, are added after them, sorted); by
    default the sorted subfolder names. Unusable files are skipped (or refused
    with ``strict``, see :func:`check_images`). Returns (files, labels, class_names).
    """
    found = {p.name: p for p in class_folders(folder)}
    class_names = list(found) if class_names is None else [
        *class_names, *sorted(set(found) - set(class_names))]
    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(class_names):
        if name in found:
            images = list_images(found[name])
            files += images
            labels += [label] * len(images)
    ok = check_images(files, strict)
    files = [f for f, keep in zip(files, ok) if keep]
    return files, np.asarray(labels, dtype=np.int64)[ok], list(class_names)


class ImageFolder:
    """A lazy uint8 array of images read from files.

    Parameters
    ----------
    files : list of paths, in sample order.
    size : (height, width) every image is resized to (bilinear, aspect ratio
        not kept); default: the first image's size if it is at most 128 px on
        each side, else 96x96.
    color : "rgb" (N, H, W, 3) or "grey" (N, H, W); default: grey if all of
        up to 20 images spread over the list are grey, else rgb. Images of the
        other kind are converted.
    """

    def __init__(self, files: Sequence[Path], *, size: tuple[int, int] | None = None,
                 color: str | None = None):
        if not files:
            raise InputError("no image files given")
        self.files = [Path(f) for f in files]
        if size is None:
            with self._open(self.files[0]) as first:
                w, h = first.size
            size = (h, w) if max(h, w) <= 128 else DEFAULT_LARGE_IMAGE_SIZE
        if color is None:
            sample = np.unique(np.linspace(0, len(self.files) - 1, 20).astype(int))
            modes = set()
            for i in sample:
                with self._open(self.files[i]) as img:
                    modes.add(img.mode)
            color = "grey" if modes <= _GREY_MODES else "rgb"
        if color not in ("rgb", "grey"):
            raise InputError(f"color must be 'rgb' or 'grey'; got {color!r}")
        self.size = (int(size[0]), int(size[1]))
        self.color = color
        channels = () if color == "grey" else (3,)
        self.shape = (len(self.files), *self.size, *channels)
        self.dtype = np.dtype(np.uint8)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self._read(self.files[index])
        indices = np.arange(len(self.files))[index]
        out = np.empty((len(indices), *self.shape[1:]), dtype=np.uint8)
        for i, j in enumerate(indices):
            out[i] = self._read(self.files[j])
        return out

    def subset(self, index) -> ImageFolder:
        """A lazy ImageFolder of the files at ``index`` (same size and color)."""
        return ImageFolder([self.files[i] for i in np.arange(len(self.files))[index]],
                           size=self.size, color=self.color)

    def __array__(self, dtype=None, copy=None):
        arr = self[:]
        return arr if dtype is None else arr.astype(dtype)

    @staticmethod
    def _open(path: Path) -> Image.Image:
        try:
            return Image.open(path)
        except (OSError, SyntaxError, ValueError) as err:
            raise InputError(f"{path}: not a readable image ({err})") from err

    def _read(self, path: Path) -> np.ndarray:
        with self._open(path) as img:
            return convert_image(img, self.size, self.color, path)


def convert_image(img: Image.Image, size: tuple[int, int], color: str, name) -> np.ndarray:
    """An opened image as uint8 (H, W) grey or (H, W, 3) rgb at ``size`` (height, width):
    16-bit and float images scaled to 8 bits, palettes with transparency through RGBA, resized
    bilinearly. A file that cannot be decoded raises InputError naming ``name``."""
    try:
        if img.mode in _WIDE_MODES:  # 16-bit or float: scale to 8 bits instead of clipping
            wide = np.asarray(img, dtype=np.float64)
            if img.mode == "F":  # floats: [0, 1] or [0, 255]
                top = 1.0 if wide.max() <= 1.0 else 255.0
            else:  # 16-bit (or 32-bit) integers
                top = 65535.0 if wide.max() > 255 else 255.0
            img = Image.fromarray((wide / top * 255).clip(0, 255).astype(np.uint8))
        if img.mode == "P" and "transparency" in img.info:
            img = img.convert("RGBA")
        img = img.convert("L" if color == "grey" else "RGB")
        if img.size != (size[1], size[0]):
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(img, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as err:
        raise InputError(f"{name}: cannot decode image ({err}); remove or replace the file") from err
