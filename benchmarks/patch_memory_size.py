"""How many training images should a nearest-patch map keep? Accuracy and speed against
``patch_memory`` on tire and magnetic tile, seed 0.

Nearest-patch maps (``aedetect.patch_memory``) compare each patch with 9 x N kept patches, so their
cost grows with N, the kept images. Here N seeded training images (N = all: the whole training
folder) are kept and the test images mapped at 128x128 (pixel AUROC, AUPRO, image AUROC from the
map's maximum, smoothed by the benchmark's sigma), and the tire test images are mapped at 256x256
for the speed (images/s, median of ``--repeat``, after one warm-up batch, torch on 2 threads). A
measurement for choosing ``patch_memory``; no default is set from it.

    python benchmarks/patch_memory_size.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import nearest_maps, patch_memory_of, provenance, write  # noqa: E402

SETS = {"tire": "mvtec3d-tire", "magnetic-tile": "magnetic-tile"}
KEEP = (25, 50, 100, 200, None)  # None: every training image


def main() -> None:
    import torch

    from aedetect.benchmarking.inspection import SIGMA
    from aedetect.data.images import ImageFolder
    from aedetect.data.inspection import open_inspection
    from aedetect.inspection_evaluation import read_masks
    from aedetect.metrics import aupro, evaluate_scores, pixel_auroc
    from aedetect.patch_memory import sample_images

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    meta = provenance([0])
    rows = []
    for s in SETS:
        data = open_inspection(Path(args.data) / SETS[s], seed=0)
        y = np.asarray([d != "good" for d in data.test_defects], dtype=np.int64)
        for size in (128, 256) if s == "tire" else (128,):
            X = np.asarray(ImageFolder(data.train, size=(size, size)))
            T = np.asarray(ImageFolder(data.test, size=(size, size)))
            masks = read_masks(data.masks, (size, size)) if size == 128 else None
            for keep in KEEP:
                memory = patch_memory_of(X[sample_images(len(X), keep or len(X), 0)])
                row = {"set": s, "size": size, "kept": len(memory.images)}
                if masks is not None:
                    maps = nearest_maps(memory, T, SIGMA)
                    peaks = maps.reshape(len(maps), -1).max(axis=1)
                    row.update(pixel_auroc=pixel_auroc(masks, maps), aupro=aupro(masks, maps),
                               image_auroc=evaluate_scores(y, peaks, np.inf)["auroc"])
                else:
                    nearest_maps(memory, T[:16], SIGMA)  # warm-up: the kept patches are made once
                    rates = []
                    for _ in range(args.repeat):
                        start = time.perf_counter()
                        nearest_maps(memory, T, SIGMA)
                        rates.append(len(T) / (time.perf_counter() - start))
                    row["images_per_second"] = float(np.median(rates))
                rows.append(row)
                print(row, flush=True)
    lines = ["| set | size | kept images | pixel AUROC | AUPRO | image AUROC | images/s (maps only) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[k]:.3f}" if k in r else "" for k in ("pixel_auroc", "aupro", "image_auroc")]
        speed = f"{r['images_per_second']:.1f}" if "images_per_second" in r else ""
        lines.append(f"| {r['set']} | {r['size']} | {r['kept']} | " + " | ".join(cells) + f" | {speed} |")
    text = ("**Nearest-patch maps against the number of kept training images, seed 0; metrics at 128x128, "
            "speed at 256x256 (tire, maps only, 2 threads)**\n\n" + "\n".join(lines))
    write("patch_memory_size", {"provenance": meta, "rows": rows}, text)
    print(text)


if __name__ == "__main__":
    main()
