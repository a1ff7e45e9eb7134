"""Table columns as the numbers an autoencoder takes, fitted on the training normals and saved with
the model as JSON (nothing pickled).

- Numeric columns (and booleans) are scaled per column: ``standard`` (mean and standard
  deviation, the default), ``robust`` (median and interquartile range) or ``minmax``. A column whose
  spread on the training data is (nearly) zero keeps a spread of 1: it adds nothing instead of
  being divided by 0.
- Text columns with at most ``max_categories`` values are one-hot encoded, one slot per value
  seen at fit and one ``<other>`` slot for values seen only later (counted in ``unseen_``). Other
  text columns (identifiers, file names, free text) are refused, named, with the option that
  drops them.
- Missing values are refused naming the columns and the first rows, or with ``impute="median"``
  replaced by the training median (numbers) or the most frequent value (text).
- Columns are found by name: another order works, missing columns are an error, extra ones are
  ignored (listed in ``ignored_``).
"""

from __future__ import annotations

import numpy as np

from aedetect.errors import InputError

SCALINGS = ("robust", "standard", "minmax")
OTHER = "<other>"


class TableEncoder:
    def __init__(self, scaling: str = "standard", impute: str | None = None, max_categories: int = 20):
        if scaling not in SCALINGS:
            raise InputError(f"table scaling must be one of {', '.join(SCALINGS)}; got {scaling!r}")
        if impute not in (None, "median"):
            raise InputError(f"impute must be None or 'median'; got {impute!r}")
        self.scaling, self.impute, self.max_categories = scaling, impute, max_categories

    # ------------------------------------------------------------------ fit
    def fit(self, frame) -> TableEncoder:
        import pandas as pd

        self.columns_ = [str(c) for c in frame.columns]
        frame = frame.set_axis(self.columns_, axis=1)
        self.numeric_ = [c for c in self.columns_ if pd.api.types.is_numeric_dtype(frame[c])
                         or pd.api.types.is_bool_dtype(frame[c])]
        text = [c for c in self.columns_ if c not in self.numeric_]
        for c in text:  # numbers with a few words among them: a data error, not a category
            values = frame[c].dropna().astype(str)
            numbers = pd.to_numeric(values, errors="coerce")
            if len(values) and numbers.notna().mean() >= 0.5 and numbers.isna().any():
                row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
                raise InputError(f"column {c!r} mixes numbers and text (e.g. {values.iloc[row]!r} in row "
                                 f"{values.index[row]}): fix those values, or drop the column")
        wide = [c for c in text if frame[c].nunique(dropna=True) > self.max_categories]
        if wide:
            raise InputError(f"text column(s) {wide[:10]} hold more than {self.max_categories} distinct "
                             "values (identifiers, names or free text?): drop them with --drop-columns "
                             f"{','.join(wide[:10])} (in Python, frame.drop(columns=[...]))")
        self.categories_ = {c: sorted(str(v) for v in frame[c].dropna().unique()) for c in text}
        self.fill_ = {}
        if self.impute == "median":
            self.fill_ = {c: float(pd.to_numeric(frame[c]).median()) for c in self.numeric_}
            self.fill_ |= {c: str(frame[c].mode(dropna=True).iloc[0]) if frame[c].notna().any() else OTHER
                           for c in text}
            frame = frame.fillna(self.fill_)
        self._check_missing(frame)
        values = self._numbers(frame)
        finite = np.isfinite(values).all(axis=0)
        if not finite.all():
            bad = [c for c, ok in zip(self.numeric_, finite) if not ok]
            raise InputError(f"column(s) {bad[:10]} hold inf values: remove or replace them")
        if self.scaling == "robust":
            centre = np.median(values, axis=0)
            spread = np.subtract(*np.percentile(values, [75, 25], axis=0))
        elif self.scaling == "standard":
            centre, spread = values.mean(axis=0), values.std(axis=0)
        else:
            centre, spread = values.min(axis=0), values.max(axis=0) - values.min(axis=0)
        constant = spread <= 1e-9 * (1 + np.abs(centre))
        self.centre_, self.spread_ = centre, np.where(constant, 1.0, spread)
        self.constant_ = [c for c, k in zip(self.numeric_, constant) if k]
        self.names_ = self._names()
        self.unseen_, self.ignored_ = {}, []
        return self

    # ------------------------------------------------------------ transform
    def transform(self, frame) -> np.ndarray:
        """(N, len(names_)) float32: scaled numbers, then the one-hot slots."""
        frame = self.align(frame)
        frame = frame.fillna(self.fill_) if self.fill_ else frame
        self._check_missing(frame)
        numbers = (self._numbers(frame) - self.centre_) / self.spread_
        slots = []
        self.unseen_ = {}
        for c, values in self.categories_.items():
            text = frame[c].astype(str)
            known = text.isin(values)
            if not known.all():
                self.unseen_[c] = int((~known).sum())
            index = {v: i for i, v in enumerate(values)}
            hot = np.zeros((len(frame), len(values) + 1), np.float32)
            hot[np.arange(len(frame)), [index.get(v, len(values)) for v in text]] = 1.0
            slots.append(hot)
        return np.hstack([numbers.astype(np.float32), *slots]) if slots else numbers.astype(np.float32)

    def inverse(self, Z: np.ndarray):
        """Encoded rows back in the table's units: numbers unscaled, categories as the likeliest slot."""
        import pandas as pd

        n = len(self.numeric_)
        out = pd.DataFrame(Z[:, :n] * self.spread_ + self.centre_, columns=self.numeric_)
        start = n
        for c, values in self.categories_.items():
            width = len(values) + 1
            out[c] = np.asarray([*values, OTHER], dtype=object)[Z[:, start:start + width].argmax(axis=1)]
            start += width
        return out[self.columns_]

    def groups(self) -> list[np.ndarray]:
        """For each table column, the indices of its encoded columns (one, or its one-hot slots)."""
        out = {c: [i] for i, c in enumerate(self.numeric_)}
        start = len(self.numeric_)
        for c, values in self.categories_.items():
            out[c] = list(range(start, start + len(values) + 1))
            start += len(values) + 1
        return [np.asarray(out[c]) for c in self.columns_]

    # -------------------------------------------------------------- helpers
    def _names(self) -> list[str]:
        """The encoded columns' names: each number, then ``column=value`` per one-hot slot."""
        return [*self.numeric_, *(f"{c}={v}" for c, vals in self.categories_.items() for v in [*vals, OTHER])]

    def align(self, frame):
        """The fitted columns of ``frame``, in the fitted order; missing ones raise InputError naming
        them, extra ones are noted in ``ignored_``."""
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise InputError(f"the table lacks column(s) {missing[:10]} that the model was fitted on "
                             f"(it was fitted on {len(self.columns_)} columns: {self.columns_[:10]} ...)")
        self.ignored_ = [c for c in frame.columns if c not in self.columns_]
        return frame[self.columns_]

    def _numbers(self, frame) -> np.ndarray:
        import pandas as pd

        if not self.numeric_:
            return np.zeros((len(frame), 0))
        try:
            return frame[self.numeric_].apply(pd.to_numeric).to_numpy(dtype=np.float64)
        except (ValueError, TypeError) as err:
            raise InputError(f"a numeric column holds text ({err}): fix the values or drop the "
                             "column") from None

    def _check_missing(self, frame) -> None:
        holes = frame.isna()
        if holes.to_numpy().any():
            cols = [c for c in frame.columns if holes[c].any()]
            rows = np.flatnonzero(holes.to_numpy().any(axis=1))[:5].tolist()
            raise InputError(f"missing values in column(s) {cols[:10]} (first rows {rows}): fill or drop "
                             "them, or impute the training medians with --impute median (impute='median')")

    # --------------------------------------------------------------- saving
    def to_dict(self) -> dict:
        return {"scaling": self.scaling, "impute": self.impute, "max_categories": self.max_categories,
                "columns": self.columns_, "numeric": self.numeric_, "categories": self.categories_,
                "centre": self.centre_.tolist(), "spread": self.spread_.tolist(), "fill": self.fill_,
                "constant": self.constant_}

    @classmethod
    def from_dict(cls, d: dict) -> TableEncoder:
        enc = cls(d["scaling"], d["impute"], d["max_categories"])
        enc.columns_, enc.numeric_ = list(d["columns"]), list(d["numeric"])
        enc.categories_ = dict(d["categories"])
        enc.centre_ = np.asarray(d["centre"], dtype=np.float64)
        enc.spread_ = np.asarray(d["spread"], dtype=np.float64)
        enc.fill_, enc.constant_ = dict(d["fill"]), list(d["constant"])
        enc.names_ = enc._names()
        enc.unseen_, enc.ignored_ = {}, []
        return enc
