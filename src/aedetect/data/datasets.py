"""Recognise a data path by its layout and open it as a :class:`Dataset`.

Layouts recognised (checked in this order):

- ``builtin:digits``: scikit-learn's bundled 8x8 digits (1,797 images, values 0-16);
  no official test split.
- a ``.npy`` file (unlabelled samples: all normal) or a ``.npz`` archive with
  ``X`` and optionally ``y``, ``X_test``, ``y_test``, ``class_names``.
- a ``cifar-10-batches-py`` folder (CIFAR-10, the publisher's python layout), or
  a folder holding one: official test split.
- a folder with MNIST's four IDX files (``train-images-idx3-ubyte[.gz]``, ...):
  MNIST or Fashion-MNIST (if the path names "fashion"), official test split.
- a folder with ``train/`` and ``test/``, each with one subfolder of images per
  class (CIFAR-10 as JPEG folders): official test split.
- a folder with one subfolder of images per class (Caltech-101's
  ``101_ObjectCategories``, or a folder holding just that folder).
- a folder of images without class subfolders: unlabelled, all normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aedetect.data.arrays import load_array_file
from aedetect.data.cifar import CLASSES as CIFAR_CLASSES
from aedetect.data.cifar import is_cifar_python, load_cifar_python
from aedetect.data.idx import is_idx_folder, load_idx_folder
from aedetect.data.images import (
    ImageFolder,
    check_images,
    class_folders,
    list_images,
    scan_class_folders,
)
from aedetect.errors import InputError

FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]


@dataclass
class Dataset:
    """Samples of a data set, with labels and an official test part where it has them.

    ``X_train``/``X_test`` are arrays or lazy array-likes (image folders);
    ``y_*`` are int class labels indexing ``class_names``, or None when the
    data is unlabelled (then every sample counts as normal). ``files_*`` name
    the file of each sample where samples come from files.
    """

    name: str
    layout: str
    X_train: object
    y_train: np.ndarray | None = None
    X_test: object | None = None
    y_test: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    files_train: list[Path] | None = None
    files_test: list[Path] | None = None
    path: str = ""

    def resolve_classes(self, names: str | list[str]) -> list[int]:
        """Labels of the classes named (by name or by label number), e.g. "airplanes" or "0,1"."""
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if not self.class_names:
            raise InputError(f"{self.name} has no classes: leave out --normal (all samples are normal)")
        labels = []
        for n in names:
            if n in self.class_names:
                labels.append(self.class_names.index(n))
            elif n.isdigit() and int(n) < len(self.class_names):
                labels.append(int(n))
            else:
                shown = ", ".join(self.class_names[:20]) + (" ..." if len(self.class_names) > 20 else "")
                raise InputError(f"no class {n!r} in {self.name}; its classes are: {shown}")
        if not labels:
            raise InputError("name at least one normal class")
        return sorted(set(labels))


def open_dataset(path: str | Path, *, image_size: tuple[int, int] | None = None,
                 color: str | None = None, strict: bool = False) -> Dataset:
    """Open the data at ``path``, recognised by its layout (see the module docstring).

    ``image_size`` (height, width) and ``color`` ("rgb"/"grey") apply to image
    folders; unusable image files are skipped with a warning, or refused with
    ``strict`` (see :func:`aedetect.data.images.check_images`).
    """
    dataset = _open(path, image_size, color, strict)
    dataset.path = str(path) if str(path).startswith("builtin:") else str(Path(path).resolve())
    return dataset


def _open(path, image_size, color, strict: bool) -> Dataset:
    if str(path) == "builtin:digits":
        return _sklearn_digits()
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix in (".npy", ".npz"):
            return _array_file(path)
        raise InputError(f"{path}: expected a folder, a .npy or .npz file, or builtin:digits")
    for folder in (path, path / "cifar-10-batches-py"):
        if is_cifar_python(folder):
            arrays = load_cifar_python(folder)
            return Dataset(name="cifar10", layout="cifar-python", X_train=arrays["train_images"],
                           y_train=arrays["train_labels"], X_test=arrays["test_images"],
                           y_test=arrays["test_labels"], class_names=list(CIFAR_CLASSES))
    if is_idx_folder(path):
        return _idx_folder(path)
    if (path / "train").is_dir() and (path / "test").is_dir() and class_folders(path / "train"):
        return _train_test_folders(path, image_size, color, strict)
    classes = class_folders(path)
    subdirs = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if not classes and len(subdirs) == 1 and class_folders(subdirs[0]):
        path, classes = subdirs[0], class_folders(subdirs[0])  # e.g. caltech101/101_ObjectCategories
    if classes:
        files, labels, names = scan_class_folders(path, strict=strict)
        if not files:
            raise InputError(f"{path}: none of its image files can be read")
        return Dataset(name=path.name, layout="class-folders",
                       X_train=ImageFolder(files, size=image_size, color=color), y_train=labels,
                       class_names=names, files_train=files)
    images = list_images(path)
    if images:
        images = [f for f, ok in zip(images, check_images(images, strict)) if ok]
        if not images:
            raise InputError(f"{path}: none of its image files can be read")
        return Dataset(name=path.name, layout="image-folder",
                       X_train=ImageFolder(images, size=image_size, color=color), files_train=images)
    raise InputError(f"{path}: no data recognised; {_closest_layout(path)}")


IMAGE_LAYOUTS = ("the image and array layouts read are: one subfolder of images per class "
                 "(CLASS/*.png), train/ and test/ with class subfolders (MVTec style: train/good, "
                 "test/good, test/DEFECT), a folder of images (all normal), MNIST's IDX files, "
                 "CIFAR-10's cifar-10-batches-py, a .npy or .npz file")


def _closest_layout(path: Path) -> str:
    """What the folder holds, the layouts read for that kind of file, and the nearest one."""
    from aedetect.data.audio_layouts import AUDIO_LAYOUTS, is_audio
    from aedetect.data.images import is_image

    found = {"image": [], "audio": []}
    for depth, pattern in enumerate(("*", "*/*", "*/*/*", "*/*/*/*")):
        for f in path.glob(pattern):
            kind = "image" if is_image(f) else "audio" if is_audio(f) else None
            if kind and len(found[kind]) < 5:
                found[kind].append((depth, f))
    if found["audio"] and not found["image"]:
        return f"it holds audio files (e.g. {found['audio'][0][1]}); {AUDIO_LAYOUTS}"
    if not found["image"]:
        return f"it holds no image, audio or array files that are read; {IMAGE_LAYOUTS}"
    depth, example = found["image"][0]
    if (path / "train").is_dir() != (path / "test").is_dir():
        have, lack = ("train", "test") if (path / "train").is_dir() else ("test", "train")
        hint = f"closest: train/ and test/ class folders, but {path / lack} is missing"
    elif (path / "train").is_dir():
        hint = "closest: train/ and test/ class folders, but train/ has no subfolder of images"
    else:
        hint = (f"closest: one subfolder of images per class, deeper down: pass {example.parent.parent}"
                if depth >= 2 else "")
    return f"it holds images (e.g. {example}) but not in a layout read; {IMAGE_LAYOUTS}" + (
        f"; {hint}" if hint else "")


def _sklearn_digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return Dataset(name="sklearn-digits", layout="builtin", X_train=digits.images.astype(np.float32),
                   y_train=digits.target.astype(np.int64),
                   class_names=[str(d) for d in digits.target_names])


def _array_file(path: Path) -> Dataset:
    arrays = load_array_file(path)
    X = arrays.get("X", arrays.get("x"))
    if X is None:
        raise InputError(f"{path}: a .npz needs an array named 'X' (and optionally y, X_test, "
                         f"y_test, class_names); found {sorted(arrays)}")
    y, y_test = arrays.get("y"), arrays.get("y_test")
    labels = [a for a in (y, y_test) if a is not None]
    if "class_names" in arrays:
        names = [str(n) for n in arrays["class_names"]]
    elif labels:
        names = [str(i) for i in range(int(max(a.max() for a in labels)) + 1)]
    else:
        names = []
    as_int = (lambda a: None if a is None else np.asarray(a).astype(np.int64))  # noqa: E731
    return Dataset(name=path.stem, layout="array-file", X_train=X, y_train=as_int(y),
                   X_test=arrays.get("X_test"), y_test=as_int(y_test), class_names=names)


def _idx_folder(path: Path) -> Dataset:
    arrays = load_idx_folder(path)
    fashion = "fashion" in str(path.resolve()).lower()
    names = FASHION_MNIST_CLASSES if fashion else [str(d) for d in range(10)]
    return Dataset(name="fashion-mnist" if fashion else "mnist", layout="idx",
                   X_train=arrays["train_images"], y_train=arrays["train_labels"].astype(np.int64),
                   X_test=arrays["test_images"], y_test=arrays["test_labels"].astype(np.int64),
                   class_names=names)


def _train_test_folders(path: Path, image_size, color, strict: bool) -> Dataset:
    files, labels, names = scan_class_folders(path / "train", strict=strict)
    test_files, test_labels, names = scan_class_folders(path / "test", class_names=names, strict=strict)
    if not test_files:
        raise InputError(f"{path / 'test'}: no images in its class folders")
    train = ImageFolder(files, size=image_size, color=color)
    test = ImageFolder(test_files, size=train.size, color=train.color)
    return Dataset(name=path.name, layout="train-test-folders", X_train=train, y_train=labels,
                   X_test=test, y_test=test_labels, class_names=names, files_train=files,
                   files_test=test_files)
