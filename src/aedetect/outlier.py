"""scikit-learn's outlier-detector contract, from a raw anomaly score.

Every detector answers ``anomaly_score(X)``: **higher = more anomalous**. From it and
``threshold_`` (chosen on held-out normal data; ``offset_ = -threshold_``):

- ``score_samples(X)`` = ``-anomaly_score(X)``: higher = more normal (scikit-learn's convention);
- ``decision_function(X)`` = ``threshold_ - anomaly_score(X)``: negative for anomalies;
- ``predict(X)``: -1 for anomalies (score > ``threshold_``), +1 for normal samples.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import OutlierMixin

from aedetect.thresholds import compute_threshold


class AnomalyScoreMixin(OutlierMixin):
    """``score_samples``, ``decision_function`` and ``predict`` from :meth:`anomaly_score`, and
    ``calibrate_threshold`` from the validation scores kept at fit time (``validation_scores_``)."""

    def calibrate_threshold(self, method: str | None = None, param: float | None = None,
                            X=None, y=None):
        """Set ``threshold_`` (and ``offset_``) without retraining.

        By default from the validation scores kept at fit time with the
        detector's own ``threshold``/``threshold_param``. With ``X`` the scores
        of X are used instead: all of them, or those with ``y == 0`` when labels
        (1 = anomaly) are given; ``best_f1`` needs ``X`` and ``y``. Pass
        labelled *validation* data here, never the test set.
        """
        if method is None:
            method, param = self.threshold, self.threshold_param
        scores, labels = self.validation_scores_, None
        if X is not None:
            scores = self.anomaly_score(X)
            if y is not None:
                labels = np.asarray(y).astype(np.int64)
                if method != "best_f1":
                    scores = scores[labels == 0]
        self.threshold_ = compute_threshold(method, scores, param, labels)
        self.threshold_method_ = method
        self.threshold_param_ = param
        self.offset_ = -self.threshold_
        return self

    def score_samples(self, X) -> np.ndarray:
        """Negative anomaly score: higher = more normal (scikit-learn's convention)."""
        return -self.anomaly_score(X)

    def decision_function(self, X) -> np.ndarray:
        """``threshold_ - anomaly score``: negative for anomalies."""
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """+1 for normal samples, -1 for anomalies (anomaly score > ``threshold_``)."""
        return np.where(self.decision_function(X) < 0, -1, 1)
