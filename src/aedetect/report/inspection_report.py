"""The report's section for inspection data: where the model looks. The per-defect table, the
PRO curve, and overlays of the anomaly map with the true defect's outline for the best hits (the
highest-scoring defective images) and the worst misses (the lowest-scoring ones)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from aedetect.report.html import figure, table

SHOWN = 4  # images per row of overlays


def _overlays(images, maps, masks, titles: list[str], top: float) -> Figure:
    from aedetect.map_images import colour, overlay

    fig = Figure(figsize=(2.3 * len(images), 2.6))
    heats = colour(maps, top)
    for k, (image, heat, mask, title) in enumerate(zip(images, heats, masks, titles)):
        ax = fig.add_subplot(1, len(images), k + 1)
        ax.imshow(overlay(image, heat, mask, colour=(0, 255, 0)))
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return fig


def _pro_figure(fpr: np.ndarray, pro: np.ndarray, max_fpr: float, aupro: float) -> Figure:
    fig = Figure(figsize=(4.5, 3.4))
    ax = fig.add_subplot()
    keep = fpr <= 1.0
    ax.plot(fpr[keep], pro[keep], color="#1f4e79")
    ax.axvline(max_fpr, color="grey", ls="--", lw=1)
    ax.set_xlabel("false positive rate (defect-free pixels)")
    ax.set_ylabel("per-region overlap")
    ax.set_title(f"PRO curve; AUPRO up to FPR {max_fpr:g}: {aupro:.3f}", fontsize=10)
    fig.tight_layout()
    return fig


def inspection_sections(detector, X, y: np.ndarray, scores: np.ndarray, metrics: dict, defects: list[str],
                        mask_files: list, *, map_settings: dict | None = None) -> list[dict]:
    """Report sections for test images X (``y``: 1 = defective) with mask files (None: none)."""
    from aedetect.data.inspection import read_masks
    from aedetect.metrics import AUPRO_MAX_FPR

    settings = map_settings or {}
    kind, sigma = settings.get("kind", "squared"), settings.get("sigma", 4.0)
    rows = [[d, v["images"], v["image_auroc"], v.get("pixel_auroc"), v.get("aupro")]
            for d, v in metrics["per_defect"].items()]
    pixel = metrics["pixel"]
    text = (pixel if isinstance(pixel, str) else
            "Pixel metrics over all test images: " + ", ".join(
                f"{k} {v:.4g}" for k, v in pixel.items() if isinstance(v, float)))
    section = {"title": "Where the defects are", "text": text,
               "tables": [table(["defect", "images", "image AUROC", "pixel AUROC", "AUPRO"], rows,
                                caption="Each defect type against the good test images.")],
               "figures": []}
    have_masks = any(m is not None for m in mask_files)
    defective = np.flatnonzero(y == 1)
    if not len(defective):
        return [section]
    order = defective[np.argsort(-scores[defective], kind="stable")]
    picks = {"Best hits: the highest-scoring defective images": order[:SHOWN],
             "Worst misses: the lowest-scoring defective images": order[::-1][:SHOWN]}
    threshold = settings.get("threshold")
    for caption, idx in picks.items():
        idx = np.asarray(idx)
        images = np.asarray(X[idx])
        maps = detector.anomaly_map(images, kind=kind, sigma=sigma)
        masks = read_masks([mask_files[i] for i in idx], maps.shape[1:])
        top = 2 * threshold if threshold else float(maps.max())
        titles = [f"{defects[i]}, score {scores[i]:.3g}" for i in idx]
        section["figures"].append(figure(_overlays(images, maps, masks, titles, top),
                                         f"{caption}: the anomaly map over the image"
                                         + (", the true defect outlined in green." if have_masks else ".")))
    if "pro_curve" in metrics and isinstance(pixel, dict):
        fpr, pro = (np.asarray(metrics["pro_curve"][k]) for k in ("fpr", "pro"))
        section["figures"].append(figure(_pro_figure(fpr, pro, AUPRO_MAX_FPR, pixel["aupro"]),
                                         "Per-region overlap against the false positive rate: each "
                                         "defect region counts once, whatever its size."))
    return [section]
