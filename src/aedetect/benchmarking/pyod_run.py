"""PyOD's autoencoders as benchmark baselines, on the same splits as ours."""

from __future__ import annotations

import numpy as np

from aedetect.errors import InputError


class PyODRun:
    """PyOD's ``AutoEncoder`` or ``VAE`` with its defaults on flattened inputs scaled to [0, 1]
    (an optional benchmark dependency: ``pip install pyod tqdm``)."""

    def __init__(self, kind: str, seed: int, epochs: int | None):
        try:
            from pyod.models.auto_encoder import AutoEncoder
            from pyod.models.vae import VAE
        except ImportError as err:
            raise InputError(f"--pyod needs PyOD: pip install pyod tqdm ({err})") from None
        cls = AutoEncoder if kind == "pyod-ae" else VAE
        kwargs = {"random_state": seed, "verbose": 0}
        if epochs:
            kwargs["epoch_num"] = epochs
        self.model = cls(**kwargs)
        self.threshold_ = None
        self.history_ = {}

    @staticmethod
    def _flat(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X).reshape(len(X), -1).astype(np.float32)
        return X / 255.0 if X.max() > 1.0 else X

    def fit(self, X):
        self.model.fit(self._flat(X))
        self.threshold_ = float(self.model.threshold_)
        return self

    def anomaly_score(self, X) -> np.ndarray:
        return self.model.decision_function(self._flat(X))
