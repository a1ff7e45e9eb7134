"""Tables in: CSV (also .csv.gz / .xz / .bz2, .tsv), Parquet, and the ``X`` / ``y`` arrays of
ADBench's ``.npz`` and ODDS' ``.mat`` files, as pandas DataFrames.

CSV delimiters are detected from the first lines (comma, semicolon, tab, pipe); a file whose
first row is all numbers has no header and is refused with how to fix it. ``.mat`` files are read
by ``scipy.io.loadmat``, which unpickles nothing; ``.npz`` files with ``allow_pickle=False``.
Arrays become columns ``x0, x1, ...`` and their labels a column ``y`` (1 = anomaly).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".csv.bz2", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
ARRAY_TABLE_SUFFIXES = (".mat",)


def is_table(path: str | Path) -> bool:
    """A file this module reads as a table (an .npz is one only when asked: it is an array file)."""
    name = str(path).lower()
    return Path(path).is_file() and name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES + ARRAY_TABLE_SUFFIXES)


def _head_text(path: Path, size: int = 65536) -> str:
    name = str(path).lower()
    if name.endswith(".gz"):
        with gzip.open(path, "rt", errors="replace") as f:
            return f.read(size)
    if name.endswith((".xz", ".bz2")):
        import bz2
        import lzma

        opener = lzma.open if name.endswith(".xz") else bz2.open
        with opener(path, "rt", errors="replace") as f:
            return f.read(size)
    with open(path, errors="replace") as f:
        return f.read(size)


def csv_dialect(path: Path) -> str:
    """The delimiter of a CSV file, or an InputError when it has none or no header row."""
    text = _head_text(path)
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    lines = text.splitlines()[:50]
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        sep = "\t" if str(path).lower().endswith(".tsv") else ","
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=sep))
    if len(header) < 2 and len(lines) > 1 and len(next(csv.reader(io.StringIO(lines[1]), delimiter=sep))) < 2:
        raise InputError(f"{path}: found one column only; expected a delimited table (comma, semicolon, "
                         "tab or |) with a header row")
    if all(_is_number(cell) for cell in header):
        raise InputError(f"{path}: the first row holds only numbers, so the file has no header row: add "
                         "one naming the columns (e.g. x0,x1,...,label)")
    return sep


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(path: str | Path, *, columns: list[str] | None = None):
    """The table at ``path`` as a DataFrame (all of it)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    name = str(path).lower()
    if name.endswith(".npz") or name.endswith(".mat"):
        return _array_table(path)
    if name.endswith(PARQUET_SUFFIXES):
        frame = pd.read_parquet(path, columns=columns)
    elif name.endswith(CSV_SUFFIXES):
        frame = pd.read_csv(path, sep=csv_dialect(path), usecols=columns, skipinitialspace=True)
    else:
        raise InputError(f"{path}: not a table file; tables are read from {', '.join(CSV_SUFFIXES)}, "
                         f"{', '.join(PARQUET_SUFFIXES)}, .npz (X, y) and .mat (X, y)")
    if frame.empty:
        raise InputError(f"{path}: the table has no rows")
    return frame


def iter_table(path: str | Path, chunk_rows: int = 65536) -> Iterator:
    """The table at ``path`` in DataFrames of at most ``chunk_rows`` rows (CSV and Parquet are
    streamed; array files are read whole)."""
    import pandas as pd

    path = Path(path)
    name = str(path).lower()
    if name.endswith(CSV_SUFFIXES):
        yield from pd.read_csv(path, sep=csv_dialect(path), chunksize=chunk_rows, skipinitialspace=True)
    elif name.endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()
    else:
        frame = read_table(path)
        for i in range(0, len(frame), chunk_rows):
            yield frame.iloc[i:i + chunk_rows]


def _array_table(path: Path):
    import pandas as pd

    if str(path).lower().endswith(".mat"):
        from scipy.io import loadmat

        try:
            arrays = loadmat(path)
        except (ValueError, TypeError, OSError) as err:
            raise InputError(f"{path}: not a readable .mat file ({err})") from None
    else:
        from aedetect.data.arrays import load_array_file

        arrays = load_array_file(path)
    if "X" not in arrays:
        raise InputError(f"{path}: expected arrays X (rows x features) and optionally y; found "
                         f"{sorted(k for k in arrays if not k.startswith('__'))}")
    X = np.asarray(arrays["X"])
    if X.ndim != 2:
        raise InputError(f"{path}: X must be a table (rows x features); got shape {X.shape}")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if "y" in arrays:
        frame["y"] = np.asarray(arrays["y"]).reshape(-1).astype(np.int64)
    return frame


def select_columns(frame, *, label_column: str | None = None, feature_columns: list[str] | None = None,
                   drop_columns: list[str] | None = None):
    """(features, labels or None): the feature columns asked for, and the label column."""
    missing = [c for c in [label_column, *(feature_columns or []), *(drop_columns or [])]
               if c is not None and c not in frame.columns]
    if missing:
        raise InputError(f"column(s) {missing} not in the table; its columns are "
                         f"{_shown(list(frame.columns))}")
    labels = frame[label_column] if label_column else None
    dropped = {label_column, *(drop_columns or [])}
    names = feature_columns or [c for c in frame.columns if c not in dropped]
    if label_column in names:
        raise InputError(f"the label column {label_column!r} cannot also be a feature column")
    if not names:
        raise InputError("no feature columns left: keep at least one")
    return frame[names], labels


def anomaly_labels(labels, normal: list[str]) -> np.ndarray:
    """1 where the label is not one of the ``normal`` values (compared as text), else 0."""
    text = labels.astype(str).str.strip()
    unknown = [v for v in normal if v not in set(text)]
    if unknown:
        raise InputError(f"normal value(s) {unknown} never occur in the label column; its values are "
                         f"{_shown(sorted(set(text)))}")
    return (~text.isin(normal)).to_numpy().astype(np.int64)


def _shown(values: list, limit: int = 20) -> str:
    return ", ".join(map(str, values[:limit])) + (" ..." if len(values) > limit else "")
