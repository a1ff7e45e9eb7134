"""Inspection at line speed on a CPU: training one category and scoring images with their maps.

The MVTec 3D-AD tire copy (RGB, reduced to 300x400) resized to ``--size`` squares: the conv AE
trained on its normal training images for ``--epochs`` epochs (seconds per epoch and in all), then
its test images scored with their anomaly maps in one pass (``anomaly_map(return_scores=True)``,
smoothed; beside it ``anomaly_score`` then ``anomaly_map``), repeated ``--repeat`` times.
Targets of the inspection issue: >= 50 images/s with maps at 256x256 on this 2-core CPU, one
category trained in <= 15 minutes. ``--patch-memory N``: the model keeps N training images and
its maps are nearest-patch maps (:mod:`aedetect.patch_memory`).

    python benchmarks/inspection_speed.py --size 256 --epochs 30
    python benchmarks/inspection_speed.py --size 256 --epochs 30 --patch-memory 400
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import provenance, write  # noqa: E402

from aedetect import AutoencoderDetector  # noqa: E402
from aedetect.data.images import ImageFolder  # noqa: E402
from aedetect.data.inspection import open_inspection  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--patch-memory", type=int, default=0)
    args = parser.parse_args()
    run = provenance([0])
    data = open_inspection(Path(args.data) / "mvtec3d-tire")
    size = (args.size, args.size)
    train = np.asarray(ImageFolder(data.train, size=size))
    test = np.asarray(ImageFolder(data.test, size=size))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = {"norm": "batch", "patch_memory": args.patch_memory}
        det = AutoencoderDetector(model="conv_ae", model_options=options, epochs=args.epochs, random_state=0,
                                  verbose=0).fit(train)
    train_s = time.perf_counter() - start
    kind = det.model_.map_kind
    kept = len(det.model_.memory.images) if det.model_.memory is not None else 0
    det.anomaly_map(test[:8], kind=kind)  # warm-up
    rates = {"separate": [], "one pass": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        det.anomaly_score(test)
        det.anomaly_map(test, kind=kind)
        rates["separate"].append(len(test) / (time.perf_counter() - start))
        start = time.perf_counter()
        det.anomaly_map(test, kind=kind, return_scores=True)
        rates["one pass"].append(len(test) / (time.perf_counter() - start))
    result = {"size": args.size, "epochs": args.epochs, "patch_memory": args.patch_memory, "map_kind": kind,
              "kept_images": kept,
              "train_images": len(train), "train_seconds": train_s,
              "seconds_per_epoch": train_s / args.epochs, "test_images": len(test),
              "images_per_second_with_maps": float(np.median(rates["one pass"])),
              "images_per_second_score_then_maps": float(np.median(rates["separate"]))}
    text = ("**Tire (MVTec 3D-AD RGB copy, reduced to 300x400) at "
            f"{args.size}x{args.size}: conv AE (batch norm), {args.epochs} epochs, {kind} maps"
            + (f" (patch_memory={args.patch_memory}: {kept} training images kept)" if kept else "") + "**\n\n"
            "| train images | train s | s per epoch | test images | images/s scored with maps, one pass "
            "(`anomaly_map(return_scores=True)`) | images/s, `anomaly_score` then `anomaly_map` |\n"
            "|---|---|---|---|---|---|\n"
            f"| {len(train)} | {train_s:.0f} | {train_s / args.epochs:.1f} | {len(test)} | "
            f"{result['images_per_second_with_maps']:.1f} | "
            f"{result['images_per_second_score_then_maps']:.1f} |\n\n"
            f"Medians of {args.repeat} repeats.")
    name = f"inspection_speed-{args.size}" + (f"-nearest{args.patch_memory}" if args.patch_memory else "")
    write(name, {"provenance": run, **result}, text)
    print(text)


if __name__ == "__main__":
    main()
