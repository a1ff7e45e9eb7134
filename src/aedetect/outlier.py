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


class AnomalyScoreMixin(OutlierMixin):
    """``score_samples``, ``decision_function`` and ``predict`` from :meth:`anomaly_score`."""

    def score_samples(self, X) -> np.ndarray:
        """Negative anomaly score: higher = more normal (scikit-learn's convention)."""
        return -self.anomaly_score(X)

    def decision_function(self, X) -> np.ndarray:
        """``threshold_ - anomaly score``: negative for anomalies."""
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """+1 for normal samples, -1 for anomalies (anomaly score > ``threshold_``)."""
        return np.where(self.decision_function(X) < 0, -1, 1)
