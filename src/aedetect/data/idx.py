"""IDX files, the format of MNIST and Fashion-MNIST (gzipped or not).

Layout: two zero bytes, a type code, the number of dimensions, one big-endian
uint32 per dimension, then the data in C order.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (``.gz`` is decompressed on the fly) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot read IDX file ({err})") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise InputError(f"{path}: not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
    dtype = np.dtype(_TYPES[data[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - header != expected:
        raise InputError(
            f"{path}: truncated or padded IDX file: header says {dims} "
            f"({expected} bytes of data), file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def find_idx_file(folder: Path, stem: str) -> Path | None:
    """The IDX file ``stem`` in folder, gzipped or not (MNIST's names)."""
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def is_idx_folder(folder: Path) -> bool:
    return all(find_idx_file(folder, stem) for stem in MNIST_FILES.values())


def load_idx_folder(folder: str | Path) -> dict[str, np.ndarray]:
    """The four MNIST-named IDX files of a folder: train/test images (uint8) and labels."""
    folder = Path(folder)
    out = {}
    for key, stem in MNIST_FILES.items():
        path = find_idx_file(folder, stem)
        if path is None:
            raise InputError(f"{folder}: missing {stem}(.gz); an MNIST-style folder needs all of "
                             + ", ".join(MNIST_FILES.values()))
        out[key] = read_idx(path)
    for part in ("train", "test"):
        if len(out[f"{part}_images"]) != len(out[f"{part}_labels"]):
            raise InputError(f"{folder}: {part} images and labels differ in count")
    return out
