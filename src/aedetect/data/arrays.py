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

from aedetect.errors import InputError, InputTypeError


def as_samples(X, *, name: str = "X"):
    """Return X as an array or lazy array-like of samples, checking its rank and size.

    Plain sequences are converted with ``np.asarray``; objects that already have
    ``shape``, ``dtype`` and ``__getitem__`` are returned as they are so that they
    can be read lazily.
    """
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise InputError(f"{name} is a sparse matrix; sparse input is not supported: pass a dense array "
                         f"({name}.toarray()) if it fits in memory")
    if not (hasattr(X, "shape") and hasattr(X, "dtype") and hasattr(X, "__getitem__")):
        X = np.asarray(X)
    if np.dtype(X.dtype) == object:
        try:  # numbers stored as Python objects, as pandas often hands them over
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InputTypeError(f"{name} must hold numbers; converting its objects to float failed: {err}"
                                 ) from err
    shape = tuple(X.shape)
    if len(shape) not in (2, 3, 4):
        hint = ""
        if len(shape) == 1:
            hint = " (a single vector? Reshape your data: X[None] or X.reshape(1, -1) for one sample)"
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
        raise InputError(f"{name} has 0 feature(s) (shape={shape}) while a minimum of 1 is required: "
                         "each sample needs at least one value")
    dtype = np.dtype(X.dtype)
    if dtype.kind == "c":
        raise InputError(f"Complex data not supported ({name} has dtype {dtype}): pass real features, "
                         "e.g. the magnitude, or the real and imaginary parts side by side")
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


#: .npy files larger than this are read lazily, batch by batch (:class:`NpyRows`).
LAZY_BYTES = 256 * 2**20


class NpyRows:
    """A .npy file read row by row from disk, never whole: an array-like of shape, dtype,
    ``len`` and ``X[i:j]`` / ``X[index_array]`` (numpy arrays back). Scoring a file larger
    than memory through it keeps memory to one batch; nothing is memory-mapped, so
    resident memory does not grow with the file either."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if fortran or dtype.hasobject:
            raise InputError(f"{path}: a Fortran-ordered or object array; save a plain one with "
                             "np.save(path, np.ascontiguousarray(X))")
        self.shape, self.dtype = tuple(shape), dtype
        self.ndim = len(self.shape)
        self.row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * dtype.itemsize
        expected = self.offset + self.shape[0] * self.row_bytes
        if self.path.stat().st_size < expected:
            raise InputError(f"{path}: truncated: its header declares {self.shape} ({expected:,} bytes), the "
                             f"file has {self.path.stat().st_size:,}")

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, f, start: int, count: int) -> np.ndarray:
        f.seek(self.offset + start * self.row_bytes)
        rows = np.fromfile(f, dtype=self.dtype, count=count * (self.row_bytes // self.dtype.itemsize))
        return rows.reshape(count, *self.shape[1:])

    def __getitem__(self, index) -> np.ndarray:
        with open(self.path, "rb") as f:
            if isinstance(index, slice):
                start, stop, step = index.indices(len(self))
                rows = self._read(f, start, max(0, stop - start))
                return rows[::step] if step != 1 else rows
            index = np.asarray(index)
            if index.dtype == bool:
                index = np.flatnonzero(index)
            if index.ndim == 0:
                return self._read(f, int(index) % len(self), 1)[0]
            out = np.empty((len(index), *self.shape[1:]), dtype=self.dtype)
            for k, i in enumerate(index):
                out[k] = self._read(f, int(i) % len(self), 1)[0]
            return out

    def __array__(self, dtype=None, copy=None):
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype)


def load_array_file(path: str | Path) -> dict[str, np.ndarray]:
    """Read a .npy file (returned as ``{"X": array}``, as a lazy :class:`NpyRows` above
    :data:`LAZY_BYTES`) or a .npz archive (all its arrays).

    Pickled object arrays are refused: loading them would run code.
    """
    path = Path(path)
    if path.suffix == ".npy" and path.is_file() and path.stat().st_size > LAZY_BYTES:
        try:
            return {"X": NpyRows(path)}
        except ValueError as err:
            raise InputError(f"{path}: not a readable .npy file ({err})") from err
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
