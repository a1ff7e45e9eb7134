"""Anomaly maps measured against normal images' maps, pixel by pixel: a screening on tire and
magnetic tile (issue 29's development sets), one seed.

The inspection benchmark (`aedetect benchmark inspection`) found every trained map at or below the
untrained mean-image floor on tire, and light normal stripes and borders on magnetic tile as
bright as the defects: places where normal images' maps are high too. Here each configuration's
map is also divided, pixel by pixel, by what normal images' maps do there:
z = (map - mean) / (std + eps), mean and std per pixel over held-out normal images (tire: its
``validation/good`` images; magnetic tile: the detector's held-out validation share of the
training images, which it did not train on), eps = 0.1 x the mean of std over pixels (so that
pixels where normal maps never vary do not blow up). Both maps come from the same fitted model.
An image's score is its map's maximum in both cases, as in the benchmark.

Rule, written before the run: the normalised map is adopted (as a detector option and the
inspection benchmark's configurations) if, for the best trained configuration by the benchmark's
rule on the raw maps, the normalised map beats the raw one on at least 4 of the 6 numbers (image
AUROC, pixel AUROC, AUPRO on tire and on magnetic tile). The mean-image floor is normalised the
same way and reported beside it: a per-pixel Gaussian of normal images' intensities, trained on
nothing but them.

    python benchmarks/map_normalisation.py --jobs 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import provenance, write  # noqa: E402

SETS = ("tire", "magnetic-tile")
CONFIGS = ("mean-image", "ae-l2", "ae-ssim")


def run_one(root: str, dataset: str, config: str, seed: int, size: int, epochs: int) -> list[dict]:
    import torch

    from aedetect.benchmarking.inspection import CONFIGS as BENCH
    from aedetect.benchmarking.inspection import SETS as FOLDERS
    from aedetect.benchmarking.inspection import SIGMA, MeanImage
    from aedetect.data.images import ImageFolder
    from aedetect.data.inspection import open_inspection
    from aedetect.data.splits import train_validation_split
    from aedetect.detector import AutoencoderDetector
    from aedetect.inspection_evaluation import image_folder_for, map_metrics, test_images
    from aedetect.metrics import evaluate_scores

    torch.set_num_threads(1)
    data = open_inspection(Path(root) / FOLDERS[dataset], seed=0)
    model, options, kind = BENCH[config]
    X = np.asarray(ImageFolder(data.train, size=(size, size)))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model is None:  # the floor fits on a held-out split of its own
            train_idx, val_idx = train_validation_split(len(X), 0.1, seed)
            det = MeanImage().fit(X[train_idx])
            det.input_shape_ = X.shape[1:]
        else:
            det = AutoencoderDetector(model=model, model_options=options, epochs=epochs, random_state=seed,
                                      verbose=0).fit(X)
            _, val_idx = det._split(X, None)  # the share it held out of training
        trained = time.perf_counter() - start
        held_out = (np.asarray(image_folder_for(det, data.validation)) if data.validation
                    else X[val_idx])
        normal = det.anomaly_map(held_out, kind=kind, sigma=SIGMA).astype(np.float64)
        mean, std = normal.mean(axis=0), normal.std(axis=0)
        eps = 0.1 * std.mean()
        T, y = test_images(det, data)
        raw = det.anomaly_map(T, kind=kind, sigma=SIGMA).astype(np.float64)
        rows = []
        for name, maps in (("raw", raw), ("normalised", (raw - mean) / (std + eps))):
            scores = maps.reshape(len(maps), -1).max(axis=1)
            found = map_metrics(det, data, T, y, scores, kind=kind, sigma=SIGMA, normal_files=[], maps=maps)
            rows.append({"set": dataset, "config": config, "map": name, "seed": seed,
                         "held_out_normals": len(held_out), "train_seconds": trained, "score_seconds": 0.0,
                         "image_auroc": evaluate_scores(y, scores, np.inf)["auroc"],
                         "pixel_auroc": found["pixel"]["auroc"], "aupro": found["pixel"]["aupro"],
                         "pixel_ap": found["pixel"]["ap"]})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    meta = provenance([args.seed])
    units = [(args.data, s, c, args.seed, args.size, args.epochs) for s in SETS for c in CONFIGS]
    units.sort(key=lambda u: u[2] == "mean-image")  # the long trainings first
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = [r for rows in pool.map(run_one, *zip(*units)) for r in rows]
    from aedetect.benchmarking.inspection import choose, summarise

    raw = [r for r in rows if r["map"] == "raw"]
    best, _ = choose(summarise(raw))
    best = best or min((c for c in CONFIGS if c != "mean-image"),
                       key=lambda c: -np.mean([r["aupro"] for r in raw if r["config"] == c]))
    get = {(r["set"], r["config"], r["map"]): r for r in rows}
    wins = sum(get[(s, best, "normalised")][k] > get[(s, best, "raw")][k]
               for s in SETS for k in ("image_auroc", "pixel_auroc", "aupro"))
    lines = ["| set | configuration | map | image AUROC | pixel AUROC | AUPRO | pixel AP | train s |",
             "|---|---|---|---|---|---|---|---|"]
    for s in SETS:
        for c in CONFIGS:
            for m in ("raw", "normalised"):
                r = get[(s, c, m)]
                lines.append(f"| {s} | {c} | {m} | {r['image_auroc']:.3f} | {r['pixel_auroc']:.3f} | "
                             f"{r['aupro']:.3f} | {r['pixel_ap']:.3f} | {r['train_seconds']:.0f} |")
    verdict = "adopted" if wins >= 4 else "not adopted"
    text = (f"**Raw and per-pixel normalised maps, seed {args.seed}, {args.size}x{args.size}, "
            f"{args.epochs} epochs; best trained configuration on raw maps: {best}; normalised beats raw "
            f"on {wins} of 6: {verdict}**\n\n" + "\n".join(lines))
    write("map_normalisation", {"provenance": meta, "rows": rows, "best": best, "wins": wins,
                                "adopted": wins >= 4}, text)
    print(text)


if __name__ == "__main__":
    main()
