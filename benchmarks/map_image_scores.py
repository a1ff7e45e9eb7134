"""Image scores from anomaly maps: the map's maximum against the mean of its highest pixels, a
screening on tire and magnetic tile (issue 29's development sets), seed 0, 128x128.

On tire the nearest-patch map finds defect pixels well (pixel AUROC 0.972) while its image AUROC,
from the map's maximum, sits at chance (0.51): a normal image's hottest spot is as hot as a
defect's. Here the same maps score images by their maximum (what the inspection benchmark uses),
or by the mean of their top 1% or top 10% of pixels (``aedetect.maps.image_scores``), for two maps
that train nothing: the mean-image map and the nearest-patch map (``aedetect.patch_memory``, every
training image kept; the benchmark's ``ae-nearest`` keeps its detector's training share, 90%).

Rule, written before the run (2026-12-06): a top-k score is proposed for the benchmark (to run
there, on every configuration, by a later rule) only if it beats the maximum on image AUROC for the
nearest-patch map on both tire and magnetic tile; otherwise the maximum stays.

    python benchmarks/map_image_scores.py
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import nearest_maps, patch_memory_of, provenance, write  # noqa: E402

SETS = {"tire": "mvtec3d-tire", "magnetic-tile": "magnetic-tile"}
SCORES = {"max": ("max", 1.0), "top 1%": ("topk", 0.01), "top 10%": ("topk", 0.10)}


def maps_of(root: Path, name: str, size: int) -> tuple[dict, np.ndarray]:
    """The test images' labels and their two maps (smoothed by the benchmark's sigma)."""
    from aedetect.benchmarking.inspection import SIGMA, MeanImage
    from aedetect.data.images import ImageFolder
    from aedetect.data.inspection import open_inspection
    from aedetect.inspection_evaluation import test_images

    data = open_inspection(root / SETS[name], seed=0)
    X = np.asarray(ImageFolder(data.train, size=(size, size)))
    mean = MeanImage().fit(X)
    mean.input_shape_ = X.shape[1:]
    T, y = test_images(mean, data)
    T = np.asarray(T)
    near = nearest_maps(patch_memory_of(X), T, SIGMA)
    return {"mean-image": mean.anomaly_map(T), "nearest": near}, y


def main() -> None:
    from aedetect.maps import image_scores
    from aedetect.metrics import evaluate_scores

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()
    meta = provenance([0])
    rows = []
    for s in SETS:
        maps, y = maps_of(Path(args.data), s, args.size)
        for m, found in maps.items():
            for score, (how, top) in SCORES.items():
                auroc = evaluate_scores(y, image_scores(found, how, top), np.inf)["auroc"]
                rows.append({"set": s, "map": m, "score": score, "image_auroc": auroc})
    get = {(r["set"], r["map"], r["score"]): r["image_auroc"] for r in rows}
    better = [k for k in SCORES if k != "max" and all(get[(s, "nearest", k)] > get[(s, "nearest", "max")]
                                                       for s in SETS)]
    lines = ["| set | map | " + " | ".join(SCORES) + " |", "|---|---|" + "---|" * len(SCORES)]
    for s in SETS:
        for m in ("mean-image", "nearest"):
            lines.append(f"| {s} | {m} | " + " | ".join(f"{get[(s, m, k)]:.3f}" for k in SCORES) + " |")
    verdict = (f"{', '.join(better)} beats the maximum on both sets for the nearest map: proposed" if better
               else "no top-k score beats the maximum on both sets for the nearest map: the maximum stays")
    text = (f"**Image AUROC by image score, seed 0, {args.size}x{args.size}, maps trained on nothing; "
            f"{verdict}**\n\n" + "\n".join(lines))
    write("map_image_scores", {"provenance": meta, "rows": rows, "better": better}, text)
    print(text)


if __name__ == "__main__":
    main()
