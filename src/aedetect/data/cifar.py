"""CIFAR-10 in the publisher's python layout: ``cifar-10-batches-py/data_batch_1..5``
and ``test_batch``.

Those files are Python pickles. They are read with a restricted unpickler that
can only rebuild numpy arrays, lists, dicts, bytes and numbers; any other
object (and so any code a tampered file might try to run) is refused.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise InputError(f"refusing to load {module}.{name} from a CIFAR batch: only numpy arrays "
                             "and plain values are allowed")
        return super().find_class(module, name)


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images uint8 (N, 32, 32, 3) and labels int64 (N,)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            batch = _ArraysOnly(io.BytesIO(f.read()), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except InputError:
        raise
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as err:
        raise InputError(f"{path}: not a readable CIFAR-10 python batch ({err})") from err
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise InputError(f"{path}: expected data of shape (N, 3072) and N labels; got {data.shape}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels


def is_cifar_python(folder: Path) -> bool:
    return all((folder / name).is_file() for name in [*TRAIN_FILES, "test_batch"])


def load_cifar_python(folder: str | Path) -> dict[str, np.ndarray]:
    """Train (50,000) and test (10,000) images and labels of a ``cifar-10-batches-py`` folder."""
    folder = Path(folder)
    parts = [read_batch(folder / name) for name in TRAIN_FILES]
    test_images, test_labels = read_batch(folder / "test_batch")
    return {"train_images": np.concatenate([p[0] for p in parts]),
            "train_labels": np.concatenate([p[1] for p in parts]),
            "test_images": test_images, "test_labels": test_labels}
