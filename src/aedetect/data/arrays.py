"""Input checks shared by the detector and the loaders, and .npy/.npz files.

Samples are accepted as (N, D) vectors, (N, H, W) grey images or
(N, H, W, C) channel-last images, uint8 or float. A lazy array-like (anything
with ``shape``, ``dtype``, ``__len__`` and ``__getitem__`` taking index arrays,
e.g. :class:`aedetect.data.images.ImageFolder`) is accepted where noted and read
batch by batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aedetect.errors import InputError


def as_samples(X, *, name: str = "X"):
    """Return X as an array or lazy array-like of samples, checking its rank and size.

    Plain sequences are converted with ``np.asarray``; objects that already have
    ``shape``, ``dtype`` and ``__getitem__`` are returned as they are so that they
    can be read lazily.
    """
    if not (hasattr(X, "shape") and hasattr(X, "dtype") and hasattr(X, "__getitem__")):
        X = np.asarray(X)
    shape = tuple(X.shape)
    if len(shape) not in (2, 3, 4):
        hint = ""
        if len(shape) == 1:
            hint = " (a single vector? pass a batch, e.g. X[None] or X.reshape(1, -1))"
        elif len(shape) == 0:
            hint = " (a scalar?)"
        elif len(shape) > 4:
            hint = " (too many axes: squeeze or reshape)"
        raise InputError(
            f"expected {name} shaped (N, D) vectors, (N, H, W) grey images or (N, H, W, C) "
            f"images; got shape {shape}{hint}"
        )
    if shape[0] == 0:
        raise InputError(f"{name} is empty (shape {shape}): pass at least one sample")
    if any(s == 0 for s in shape[1:]):
        raise InputError(f"{name} has a zero-sized sample axis (shape {shape})")
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "uif" and dtype != np.bool_:
        raise InputError(f"{name} must hold numbers; got dtype {dtype}")
    return X


def check_finite(batch: np.ndarray, *, start: int = 0, name: str = "X") -> None:
    """Raise InputError naming the first sample that holds NaN or inf."""
    if batch.dtype.kind == "f" and not np.isfinite(batch).all():
        bad = np.flatnonzero(~np.isfinite(batch.reshape(len(batch), -1)).all(axis=1))
        raise InputError(
            f"{name} contains NaN or inf values (first in sample {start + int(bad[0])}, "
            f"{len(bad)} sample(s) in this batch): remove or impute them before scoring"
        )


def load_array_file(path: str | Path) -> dict[str, np.ndarray]:
    """Read a .npy file (returned as ``{"X": array}``) or a .npz archive (all its arrays).

    Pickled object arrays are refused: loading them would run code.
    """
    path = Path(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise InputError(
            f"{path}: cannot read it without unpickling ({err}); save plain numeric arrays "
            "with np.save / np.savez"
        ) from err
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: not a readable .npy/.npz file ({err})") from err
    if isinstance(loaded, np.ndarray):
        return {"X": loaded}
    with loaded:
        try:
            return {key: loaded[key] for key in loaded.files}
        except ValueError as err:
            raise InputError(f"{path}: holds an object array that needs pickle ({err})") from err
