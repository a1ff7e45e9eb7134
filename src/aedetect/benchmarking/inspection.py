"""The inspection benchmark: where is the defect? Image models on inspection data sets (MVTec 3D-AD
tire, magnetic tile, MVTec AD screw in ``../shared/data``), the untrained mean-image map as the
floor, every configuration on the same images and seeds, in one run.

Each configuration trains on the normal training images at ``size`` x ``size`` and maps the test
images (:meth:`~aedetect.detector.AutoencoderDetector.anomaly_map`, smoothed by ``SIGMA``); an
image's score is its map's maximum. Metrics: image AUROC, and where the data set has masks pixel
AUROC, AUPRO (FPR <= 0.3) and pixel AP, overall and per defect type. Each finished (data set,
configuration, seed) is stored in ``store`` so that a stopped run goes on.

The rule that chooses the localisation configuration, fixed before any run (:func:`choose`): on
tire and magnetic tile only, rank the trained configurations on each of image AUROC, pixel AUROC
and AUPRO (means over seeds); the best mean rank over those six wins (ties: the higher mean
AUPRO), and it is adopted only if it beats the mean-image floor on at least four of the six.
Screw (image level only) is reported, never used to choose. ``draem`` (DRAEM's two networks:
``dae-anomaly`` plus a segmentation net whose defect probability is the map) joined later
(2026-12-06, before its first run): screened with seed 0 against the seed-0 rows of the others
(same splits, size and epochs), its seeds 1 and 2 to run if the rule on seed 0 alone picks it.
``ae-nearest`` (``ae-l2`` keeping 400 training images; its map is each patch's distance to the
nearest remembered patch at the same place, :mod:`aedetect.patch_memory`) joined on 2026-12-06 after
a seed-0 screening whose rule (written before it) it passed: best mean rank, above the floor on 5
of 6; this run then gives its three seeds beside the others'.
Beware this copy of screw: its ``test/good`` images are darker than the training and defective
ones (mean grey level 170 against 185 and 186, measured on 30 of each), so an image score that
follows brightness separates them without seeing a defect (1 epoch at 32 px gave AUROC 1.0, the
mean image 0.15).
"""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from aedetect.benchmarking.stored import run_units
from aedetect.errors import InputError

SETS = {"tire": "mvtec3d-tire", "magnetic-tile": "magnetic-tile", "screw": "mvtec-screw"}
SIGMA = 4.0
# name -> (model, model options, map kind); "mean-image" trains nothing
CONFIGS = {
    "mean-image": (None, {}, "squared"),
    "ae-l2": ("conv_ae", {"norm": "batch"}, "squared"),
    "ae-ssim": ("conv_ae", {"norm": "batch", "loss": "ssim"}, "ssim"),
    "dae-anomaly": ("dae", {"norm": "batch", "noise": "anomaly", "noise_level": 0.5, "loss": "ssim_l1"},
                    "squared"),
    "ae-nearest": ("conv_ae", {"norm": "batch", "patch_memory": 400}, "nearest"),
    "draem": ("dae", {"norm": "batch", "noise": "anomaly", "noise_level": 0.5, "loss": "ssim_l1",
                      "segment": True}, "segment"),
}


class MeanImage:
    """The untrained floor: an image's map is its squared difference to the mean training image,
    averaged over the channels and smoothed as the models' maps are."""

    threshold_ = float("inf")  # no threshold: the benchmark is threshold-free

    def fit(self, X) -> MeanImage:
        self.mean_ = np.asarray(X, dtype=np.float64).mean(axis=0) / 255.0
        return self

    def anomaly_map(self, X, kind: str = "squared", sigma: float = SIGMA) -> np.ndarray:
        import torch

        from aedetect.maps import blur

        diff = (np.asarray(X, dtype=np.float64) / 255.0 - self.mean_) ** 2
        diff = diff.mean(axis=3) if diff.ndim == 4 else diff
        return blur(torch.from_numpy(diff[:, None]).float(), sigma)[:, 0].numpy()


def run_one(root: str, dataset: str, config: str, seed: int, size: int, epochs: int) -> dict:
    """Train ``config`` on one data set with ``seed``; map and score its test images once."""
    import torch

    from aedetect.data.images import ImageFolder
    from aedetect.data.inspection import open_inspection
    from aedetect.detector import AutoencoderDetector
    from aedetect.inspection_evaluation import map_metrics, test_images

    torch.set_num_threads(1)
    data = open_inspection(Path(root) / SETS[dataset], seed=0)  # magnetic tile: one fixed split
    model, options, kind = CONFIGS[config]
    X = np.asarray(ImageFolder(data.train, size=(size, size)))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model is None:
            det = MeanImage().fit(X)
            det.input_shape_ = X.shape[1:]
        else:
            det = AutoencoderDetector(model=model, model_options=options, epochs=epochs, random_state=seed,
                                      verbose=0).fit(X)
        trained = time.perf_counter()
        T, y = test_images(det, data)
        maps = det.anomaly_map(T, kind=kind, sigma=SIGMA)
        scores = maps.reshape(len(maps), -1).max(axis=1)
        found = map_metrics(det, data, T, y, scores, kind=kind, sigma=SIGMA, normal_files=[], maps=maps)
    from aedetect.metrics import evaluate_scores

    pixel = found["pixel"] if isinstance(found["pixel"], dict) else {}
    return {"set": dataset, "config": config, "seed": seed, "size": size, "epochs": epochs if model else 0,
            "image_auroc": evaluate_scores(y, scores, np.inf)["auroc"], "pixel_auroc": pixel.get("auroc"),
            "aupro": pixel.get("aupro"), "pixel_ap": pixel.get("ap"), "per_defect": found["per_defect"],
            "train_seconds": trained - start, "score_seconds": time.perf_counter() - trained,
            "test_images": len(T)}


def run(root: Path, *, sets=tuple(SETS), configs=tuple(CONFIGS), seeds=(0, 1, 2), size: int = 128,
        epochs: int = 30, jobs: int = 1, store: Path | None = None, on_run=None) -> list[dict]:
    """Every (data set, configuration, seed) once, ``jobs`` at a time; rows in a fixed order. The
    mean-image map has no seed: it runs once per data set."""
    for s in sets:
        if s not in SETS:
            raise InputError(f"unknown inspection set {s!r}; choose from {', '.join(SETS)}")
        if not (Path(root) / SETS[s]).is_dir():
            raise InputError(f"{Path(root) / SETS[s]}: not found (the {s} data set)")
    for c in configs:
        if c not in CONFIGS:
            raise InputError(f"unknown configuration {c!r}; choose from {', '.join(CONFIGS)}")
    units = [(str(root), s, c, seed) for s in sets for c in configs
             for seed in (seeds[:1] if CONFIGS[c][0] is None else seeds)]
    return run_units(run_one, units, (size, epochs), jobs=jobs, store=store,
                     file_name=lambda u: f"{u[1]}.{u[2]}.{u[3]}.json",
                     on_run=(lambda u: on_run(*u[1:])) if on_run else None)


def summarise(rows: list[dict]) -> dict:
    """Per data set and configuration: the mean (and standard deviation over seeds) of each metric."""
    out: dict = {}
    for r in rows:
        out.setdefault(r["set"], {}).setdefault(r["config"], []).append(r)
    keys = ("image_auroc", "pixel_auroc", "aupro", "pixel_ap", "train_seconds", "score_seconds")
    return {s: {c: {"seeds": len(runs), **{k: _mean_sd([r[k] for r in runs]) for k in keys}}
                for c, runs in by_config.items()} for s, by_config in out.items()}


def _mean_sd(values: list) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0}


def markdown(summary: dict) -> str:
    """One table per data set: each configuration's metrics, mean +- sd over seeds."""
    def cell(v, digits=3):
        return "n/a" if v is None else f"{v['mean']:.{digits}f} ± {v['sd']:.{digits}f}"

    parts = []
    for s, by_config in summary.items():
        lines = ["| configuration | seeds | image AUROC | pixel AUROC | AUPRO | pixel AP | train s | "
                 "score s |", "|---|---|---|---|---|---|---|---|"]
        for c, v in by_config.items():
            lines.append(f"| {c} | {v['seeds']} | {cell(v['image_auroc'])} | {cell(v['pixel_auroc'])} | "
                         f"{cell(v['aupro'])} | {cell(v['pixel_ap'])} | {cell(v['train_seconds'], 0)} | "
                         f"{cell(v['score_seconds'], 1)} |")
        parts.append(f"**{s}**\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


RULE_SETS = ("tire", "magnetic-tile")
RULE_METRICS = ("image_auroc", "pixel_auroc", "aupro")


def choose(summary: dict) -> tuple[str | None, dict]:
    """The configuration the rule (module docstring) picks from a :func:`summarise` result, or None
    when none beats the floor often enough; and each trained configuration's mean rank."""
    trained = [c for c in summary[RULE_SETS[0]] if CONFIGS[c][0] is not None]
    ranks = {c: [] for c in trained}
    for s in RULE_SETS:
        for k in RULE_METRICS:
            order = sorted(trained, key=lambda c: -summary[s][c][k]["mean"])
            for rank, c in enumerate(order, 1):
                ranks[c].append(rank)
    mean_rank = {c: statistics.mean(r) for c, r in ranks.items()}
    aupro = {c: statistics.mean(summary[s][c]["aupro"]["mean"] for s in RULE_SETS) for c in trained}
    best = min(trained, key=lambda c: (mean_rank[c], -aupro[c]))
    wins = sum(summary[s][best][k]["mean"] > summary[s]["mean-image"][k]["mean"]
               for s in RULE_SETS for k in RULE_METRICS)
    return (best if wins >= 4 else None), mean_rank
