""":class:`TableDetector`: an autoencoder on the rows of a table, with per-column explanations.

The table's columns are encoded by :class:`aedetect.table_encoding.TableEncoder` (per-column
standard scaling, one-hot text categories, fitted on the training normals and saved with the
model); a dense autoencoder with an unbounded output reconstructs the encoded rows. A row's
anomaly score adds up three parts, each standardised on held-out normal rows: the mean squared
error of its encoded columns, and its mean squared distance to the 5 nearest training rows in the
code space and in the encoded row space (``TABLE_SCORE_PARTS``, chosen on the development tables:
benchmarks/tabular_defaults.py). The reconstruction error splits exactly into one share per
table column (:meth:`TableDetector.feature_contributions`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from aedetect.detector import AutoencoderDetector
from aedetect.errors import InputError, ModelFolderError, NotFittedError
from aedetect.outlier import AnomalyScoreMixin
from aedetect.table_encoding import TableEncoder

# the score parts of a table model unless its detector's model options name others
TABLE_SCORE_PARTS = ["reconstruction", "latent_knn", "input_knn"]
TABLE_SCORE_OPTIONS = {"score_parts": TABLE_SCORE_PARTS}


@dataclass
class Contributions:
    """Per row and table column: ``error`` (the column's squared error in scaled units, divided by
    the number of encoded columns: a row's errors sum to its reconstruction error), ``observed``
    and ``expected`` (the reconstruction) in the table's own units."""

    error: object  # DataFrame
    observed: object
    expected: object

    def top(self, k: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the ``k`` columns with the largest shares of the error, as (column, share)."""
        values = self.error.to_numpy()
        total = np.maximum(values.sum(axis=1, keepdims=True), 1e-300)
        order = np.argsort(-values, axis=1)[:, :k]
        names = np.asarray(self.error.columns)
        return [[(str(names[j]), float(values[i, j] / total[i, 0])) for j in row]
                for i, row in enumerate(order)]


def as_frame(X, columns: list[str] | None = None):
    """A DataFrame as it is; a 2-D array as columns ``x0, x1, ...`` (or ``columns``)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(f"a table detector takes a DataFrame or a 2-D array (rows, columns); got shape "
                         f"{X.shape}")
    return pd.DataFrame(X, columns=columns if columns and len(columns) == X.shape[1]
                        else [f"x{i}" for i in range(X.shape[1])])


class TableDetector(AnomalyScoreMixin, BaseEstimator):
    """Anomaly detector for tables (pandas DataFrames, or 2-D arrays).

    Parameters
    ----------
    detector : an :class:`AutoencoderDetector` to train on the encoded rows (its ``scaling`` is
        set to "none", its output to linear and, unless its model options name them, its score
        options to ``TABLE_SCORE_OPTIONS``); default: a dense autoencoder, 50 epochs.
    scaling : per-column scaling of numbers: "standard" (mean / standard deviation, the default,
        chosen on the development tables: benchmarks/tabular_defaults.py), "robust" (median / IQR)
        or "minmax".
    impute : None (missing values are refused) or "median".
    max_categories : text columns with more distinct values are refused (drop them).
    """

    def __init__(self, *, detector=None, scaling: str = "standard", impute: str | None = None,
                 max_categories: int = 20):
        self.detector = detector
        self.scaling = scaling
        self.impute = impute
        self.max_categories = max_categories

    def fit(self, X, y=None, *, checkpoint_dir=None, checkpoint_every: int = 5, resume: bool = False):
        """Train on the rows of X, normal rows only (``y`` is ignored)."""
        from sklearn.base import clone

        frame = as_frame(X)
        self.encoder_ = TableEncoder(self.scaling, self.impute, self.max_categories).fit(frame)
        Z = self.encoder_.transform(frame)
        inner = clone(self.detector) if self.detector is not None else AutoencoderDetector(epochs=50)
        options = {"output": "linear", **TABLE_SCORE_OPTIONS, **(inner.model_options or {})}
        inner.set_params(scaling="none", model_options=options)
        self.detector_ = inner.fit(Z, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                                   resume=resume)
        self.n_features_in_ = len(self.encoder_.columns_)
        self.feature_names_in_ = np.asarray(self.encoder_.columns_, dtype=object)
        return self

    # -------------------------------------------------------------- scoring
    def encode(self, X) -> np.ndarray:
        """The rows of X as the autoencoder takes them (float32, ``encoder_.names_`` columns)."""
        self._check_fitted()
        Z = self.encoder_.transform(as_frame(X, self.encoder_.columns_))
        if self.encoder_.unseen_:
            counts = ", ".join(f"{c}: {n}" for c, n in self.encoder_.unseen_.items())
            warnings.warn(f"values not seen at fit, scored as '<other>' ({counts} rows)", stacklevel=3)
        return Z

    def anomaly_score(self, X) -> np.ndarray:
        """Per-row anomaly score, higher = more anomalous."""
        return self.detector_.anomaly_score(self.encode(X))

    def feature_contributions(self, X) -> Contributions:
        """Each table column's share of each row's reconstruction error (the score part that
        splits by column), with the observed and reconstructed values in the table's units (see
        :class:`Contributions`)."""
        import pandas as pd

        frame = as_frame(X, self.encoder_.columns_ if hasattr(self, "encoder_") else None)
        Z = self.encode(frame)
        R = self.detector_.reconstruct(Z)
        squared = (Z.astype(np.float64) - R) ** 2 / Z.shape[1]
        error = np.stack([squared[:, g].sum(axis=1) for g in self.encoder_.groups()], axis=1)
        columns = self.encoder_.columns_
        observed = frame.set_axis([str(c) for c in frame.columns], axis=1)[columns].reset_index(drop=True)
        return Contributions(pd.DataFrame(error, columns=columns), observed, self.encoder_.inverse(R))

    def calibrate_threshold(self, method: str | None = None, param: float | None = None, X=None, y=None):
        self._check_fitted()
        self.detector_.calibrate_threshold(method, param, None if X is None else self.encode(X), y)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "detector_"):
            raise NotFittedError("this detector is not fitted yet: call fit(table) or "
                                 "TableDetector.load(path)")

    # the fitted inner detector's threshold and validation scores, under the usual names
    threshold_ = property(lambda self: self.detector_.threshold_)
    offset_ = property(lambda self: self.detector_.offset_)
    validation_scores_ = property(lambda self: self.detector_.validation_scores_)
    threshold_method_ = property(lambda self: self.detector_.threshold_method_)
    threshold_param_ = property(lambda self: self.detector_.threshold_param_)
    seed_ = property(lambda self: self.detector_.seed_)
    history_ = property(lambda self: self.detector_.history_)

    # ---------------------------------------------------------- save / load
    def save(self, path: str | Path, metadata: dict | None = None) -> Path:
        """A model folder as :meth:`AutoencoderDetector.save` writes it, with the column encoding in
        ``config.json``'s metadata."""
        self._check_fitted()
        table = {"encoder": self.encoder_.to_dict()}
        return self.detector_.save(path, metadata={**(metadata or {}), "table": table})

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> TableDetector:
        inner = AutoencoderDetector.load(path, device=device)
        table = inner.metadata_.get("table")
        if not isinstance(table, dict):
            raise ModelFolderError(f"{path}: not a table model")
        try:
            encoder = TableEncoder.from_dict(table["encoder"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFolderError(f"{path}: damaged table settings in config.json ({err!r})") from None
        det = cls(scaling=encoder.scaling, impute=encoder.impute, max_categories=encoder.max_categories)
        det.encoder_, det.detector_, det.metadata_ = encoder, inner, inner.metadata_
        det.n_features_in_ = len(encoder.columns_)
        det.feature_names_in_ = np.asarray(encoder.columns_, dtype=object)
        return det
