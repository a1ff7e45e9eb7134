"""The tabular benchmark: ADBench's tables, two protocols, aedetect's table model and PyOD's
detectors on the same splits and seeds, in one run.

- novelty: train on the normal rows of a seeded, stratified 70% of a table (the threshold from
  held-out normals), score the other 30%;
- unsupervised (ADBench's setting): train on the whole 70%, anomalies included.

Tables over ``max_rows`` rows are subsampled (seeded, stratified) first. PyOD's detectors run with
their defaults; ``knn-std`` is PyOD's KNN on columns standardised on the training rows. Each
finished (table, protocol, method, seed) is stored in ``store`` so that a stopped run goes on
(:mod:`aedetect.benchmarking.stored`).
"""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from aedetect.benchmarking.stored import run_units
from aedetect.errors import InputError

METHODS = ("aedetect", "iforest", "ecod", "knn", "knn-std", "pyod-ae", "pyod-vae", "deepsvdd")
PROTOCOLS = ("novelty", "unsupervised")
MAX_ROWS = 20_000


def load_table(path: Path, max_rows: int = MAX_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """X (float64) and y (1 = anomaly) of an ADBench ``.npz``, subsampled to ``max_rows``."""
    from sklearn.model_selection import train_test_split

    with np.load(path, allow_pickle=False) as f:
        X, y = f["X"].astype(np.float64), f["y"].astype(np.int64).ravel()
    if len(X) > max_rows:
        keep, _ = train_test_split(np.arange(len(X)), train_size=max_rows, stratify=y, random_state=0)
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    return X, y


def make_method(name: str, seed: int, n_features: int, epochs: int | None = None):
    """An object with ``fit(X)`` and ``score(X)`` (higher = more anomalous)."""
    if name == "aedetect":
        from aedetect.detector import AutoencoderDetector
        from aedetect.table_detector import TableDetector

        return _Ours(TableDetector(detector=AutoencoderDetector(epochs=epochs or 50, random_state=seed,
                                                                verbose=0)))
    try:
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.deep_svdd import DeepSVDD
        from pyod.models.ecod import ECOD
        from pyod.models.iforest import IForest
        from pyod.models.knn import KNN
        from pyod.models.vae import VAE
    except ImportError as err:
        raise InputError(f"the PyOD methods need PyOD: pip install -e '.[bench]' ({err})") from None
    made = {"iforest": lambda: IForest(random_state=seed), "ecod": ECOD, "knn": KNN,
            "knn-std": KNN, "pyod-ae": lambda: AutoEncoder(random_state=seed, verbose=0),
            "pyod-vae": lambda: VAE(random_state=seed, verbose=0),
            "deepsvdd": lambda: DeepSVDD(n_features=n_features, random_state=seed, verbose=0)}
    if name not in made:
        raise InputError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    return _PyOD(made[name](), standardise=name == "knn-std")


class _Ours:
    def __init__(self, detector):
        self.detector = detector

    def fit(self, X):
        from aedetect.table_detector import as_frame

        self.detector.fit(as_frame(X))
        return self

    def score(self, X):
        from aedetect.table_detector import as_frame

        return self.detector.anomaly_score(as_frame(X))


class _PyOD:
    def __init__(self, model, standardise: bool):
        self.model, self.standardise = model, standardise

    def fit(self, X):
        if self.standardise:
            self.centre, self.spread = X.mean(axis=0), np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
            X = (X - self.centre) / self.spread
        self.model.fit(X)
        return self

    def score(self, X):
        if self.standardise:
            X = (X - self.centre) / self.spread
        return self.model.decision_function(X)


def run_one(path: str, protocol: str, method: str, seed: int, max_rows: int, epochs: int | None) -> dict:
    """Train ``method`` on one table under ``protocol`` with ``seed``; score the test rows once."""
    import torch
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    X, y = load_table(Path(path), max_rows)
    train, test = train_test_split(np.arange(len(X)), test_size=0.3, stratify=y, random_state=seed)
    fit_rows = train[y[train] == 0] if protocol == "novelty" else train
    model = make_method(method, seed, X.shape[1], epochs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[fit_rows])
        fitted = time.perf_counter()
        scores = np.nan_to_num(np.asarray(model.score(X[test]), dtype=np.float64), nan=0.0, posinf=1e300)
    return {"set": Path(path).stem, "protocol": protocol, "method": method, "seed": seed,
            "rows": len(X), "columns": X.shape[1], "anomaly_share": float(y.mean()),
            "auroc": float(roc_auc_score(y[test], scores)),
            "aupr": float(average_precision_score(y[test], scores)),
            "train_seconds": fitted - start, "score_seconds": time.perf_counter() - fitted}


def run(data: Path, *, sets: list[str] | None = None, methods=METHODS, protocols=PROTOCOLS,
        seeds=(0, 1, 2), jobs: int = 1, store: Path | None = None, max_rows: int = MAX_ROWS,
        epochs: int | None = None, on_run=None) -> list[dict]:
    """Every (table, protocol, method, seed) once, ``jobs`` at a time; rows in a fixed order."""
    files = sorted(Path(data).glob("*.npz"))
    if sets:
        files = [f for f in files if f.stem in sets or f.stem.split("_", 1)[-1] in sets]
    if not files:
        raise InputError(f"{data}: no ADBench .npz tables (NN_name.npz with X and y) found")
    units = [(str(f), p, m, s) for f in files for p in protocols for m in methods for s in seeds]
    return run_units(run_one, units, (max_rows, epochs), jobs=jobs, store=store,
                     file_name=lambda u: f"{Path(u[0]).stem}.{u[1]}.{u[2]}.{u[3]}.json",
                     on_run=(lambda u: on_run(*u)) if on_run else None)


def summarise(rows: list[dict]) -> dict:
    """Per protocol and method: mean AUROC and AUPR over tables (each a mean over seeds), the average
    rank of its table AUROCs among the methods (1 = best), mean training and scoring seconds."""
    out = {}
    for protocol in dict.fromkeys(r["protocol"] for r in rows):
        mine = [r for r in rows if r["protocol"] == protocol]
        methods = list(dict.fromkeys(r["method"] for r in mine))
        sets = list(dict.fromkeys(r["set"] for r in mine))
        mean = {(m, s): {k: statistics.mean(r[k] for r in mine if r["method"] == m and r["set"] == s)
                         for k in ("auroc", "aupr", "train_seconds", "score_seconds")}
                for m in methods for s in sets}
        ranks = {m: [] for m in methods}
        for s in sets:
            order = sorted(methods, key=lambda m: -mean[(m, s)]["auroc"])
            for rank, m in enumerate(order, 1):
                ranks[m].append(rank)
        out[protocol] = {m: {"auroc": statistics.mean(mean[(m, s)]["auroc"] for s in sets),
                             "aupr": statistics.mean(mean[(m, s)]["aupr"] for s in sets),
                             "rank": statistics.mean(ranks[m]),
                             "train_seconds": statistics.mean(mean[(m, s)]["train_seconds"] for s in sets),
                             "score_seconds": statistics.mean(mean[(m, s)]["score_seconds"] for s in sets),
                             "per_set": {s: mean[(m, s)]["auroc"] for s in sets}}
                         for m in methods}
    return out


def markdown(summary: dict) -> str:
    """The headline table per protocol, then AUROC per table and method."""
    parts = []
    for protocol, by_method in summary.items():
        methods = sorted(by_method, key=lambda m: by_method[m]["rank"])
        head = ["| method | AUROC | AUPR | average rank | train s | score s |", "|---|---|---|---|---|---|"]
        head += [f"| {m} | {v['auroc']:.3f} | {v['aupr']:.3f} | {v['rank']:.2f} | {v['train_seconds']:.1f} | "
                 f"{v['score_seconds']:.2f} |" for m, v in ((m, by_method[m]) for m in methods)]
        parts.append(f"**{protocol}: mean over tables (each the mean over seeds)**\n\n" + "\n".join(head))
        per_set = [f"| table | {' | '.join(methods)} |", "|---|" + "---|" * len(methods)]
        for s in by_method[methods[0]]["per_set"]:
            cells = " | ".join(f"{by_method[m]['per_set'][s]:.3f}" for m in methods)
            per_set.append(f"| {s} | {cells} |")
        parts.append(f"**{protocol}: AUROC per table**\n\n" + "\n".join(per_set))
    return "\n\n".join(parts)
