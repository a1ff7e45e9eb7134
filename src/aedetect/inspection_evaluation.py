"""Where is the defect? Image- and pixel-level evaluation of an image model on an inspection
data set (:mod:`aedetect.data.inspection`), per defect type and overall.

Image scores are the detector's anomaly scores (and, next to them, the maximum of each smoothed
map); pixel metrics compare the anomaly maps with the masks: pixel AUROC, AUPRO to FPR 0.3,
pixel average precision, and IoU / Dice of the maps thresholded at a high percentile of the
pixel scores of held-out normal training images. Maps are made in batches and reduced to counts
as they come (:mod:`aedetect.pixel_counts`): memory does not grow with the test set.
"""

from __future__ import annotations

import numpy as np

from aedetect.data.images import ImageFolder
from aedetect.data.inspection import InspectionSet, check_masks, read_masks
from aedetect.metrics import evaluate_scores
from aedetect.pixel_counts import PixelCounts


def image_folder_for(detector, files) -> ImageFolder:
    """The files as the detector's inputs: its image size and colour."""
    shape = detector.input_shape_
    return ImageFolder(files, size=(shape[0], shape[1]), color="rgb" if len(shape) == 3 else "grey")


def test_images(detector, data: InspectionSet) -> tuple[ImageFolder, np.ndarray]:
    """The test images as the detector's inputs, and their labels (1 = defective)."""
    return (image_folder_for(detector, data.test),
            np.asarray([d != "good" for d in data.test_defects], dtype=np.int64))


def map_threshold(detector, normal_images, kind: str, sigma: float, percentile: float = 99.5) -> float:
    """A pixel threshold from normal images only (as the detector takes them): the ``percentile`` of
    their map values."""
    return float(np.percentile(detector.anomaly_map(normal_images, kind=kind, sigma=sigma), percentile))


def map_metrics(detector, data: InspectionSet, X, y: np.ndarray, scores: np.ndarray, *,
                kind: str = "squared", sigma: float = 4.0, normal_files=None,
                threshold: float | None = None, maps: np.ndarray | None = None, batch: int = 32) -> dict:
    """The map-based metrics of the test images X (``y``: 1 = defective; ``scores``: their image
    scores): the map maximum as an image score, pixel metrics where there are masks (with the PRO
    curve), and each defect type against the good images. ``normal_files``: normal images for the
    map threshold (default: the data's validation images), or a ``threshold`` already set on
    normal images (``aedetect fit`` stores one); neither: no IoU / Dice. Maps are made ``batch``
    images at a time and reduced to counts (:class:`~aedetect.pixel_counts.PixelCounts`), so
    memory does not grow with the test set; ``maps``: the test images' maps, when already made."""
    has_masks = data.has_masks
    t = None
    if has_masks:
        check_masks(data.masks, data.test)
        normal_files = normal_files if normal_files is not None else data.validation
        t = threshold if threshold is not None else (
            map_threshold(detector, image_folder_for(detector, normal_files), kind, sigma) if normal_files
            else None)
    defects = np.asarray(data.test_defects)
    counts = {d: PixelCounts(t) for d in np.unique(defects)}
    map_max = np.empty(len(X))
    for start in range(0, len(X), batch):
        stop = min(start + batch, len(X))
        m = (detector.anomaly_map(X[start:stop], kind=kind, sigma=sigma) if maps is None
             else np.asarray(maps[start:stop]))
        map_max[start:stop] = m.reshape(len(m), -1).max(axis=1)
        if has_masks:
            masks = read_masks(data.masks[start:stop], m.shape[1:])
            for d in np.unique(defects[start:stop]):
                mine = defects[start:stop] == d
                counts[d].add(masks[mine], m[mine])
    out = {"map": {"kind": kind, "sigma": sigma}, "per_defect": {},
           "image_map_max_auroc": evaluate_scores(y, map_max, np.inf)["auroc"]}
    good = counts.get("good", PixelCounts(t))
    if not has_masks:
        out["pixel"] = "no masks: image-level metrics only"
    else:
        total = good
        for d, c in counts.items():
            total = total if d == "good" else total.merged(c)
        fpr, pro = total.pro_curve()
        out["pixel"] = {"auroc": total.auroc(), "aupro": total.aupro(), "ap": total.ap()}
        if t is not None:
            out["pixel"] |= {"map_threshold": t, **total.mask_overlap()}
        out["pro_curve"] = {"fpr": np.round(fpr, 6).tolist(), "pro": np.round(pro, 6).tolist()}
    for defect in sorted(set(data.test_defects) - {"good"}):
        keep = np.isin(defects, ["good", defect])
        row = {"images": int((y[keep] == 1).sum()),
               "image_auroc": evaluate_scores(y[keep], scores[keep], detector.threshold_)["auroc"]}
        if has_masks:
            both = good.merged(counts[defect])
            row |= {"pixel_auroc": both.auroc(), "aupro": both.aupro() if counts[defect].regions else None}
        out["per_defect"][defect] = row
    return out


def evaluate_inspection(detector, data: InspectionSet, *, kind: str = "squared", sigma: float = 4.0,
                        normal_files=None) -> dict:
    """Image and pixel metrics of ``detector`` on the test images of ``data``, overall and per
    defect type (a dict; ``aedetect evaluate`` adds the same to its metrics)."""
    X, y = test_images(detector, data)
    scores = detector.anomaly_score(X)
    return {"image": evaluate_scores(y, scores, detector.threshold_),
            **map_metrics(detector, data, X, y, scores, kind=kind, sigma=sigma, normal_files=normal_files)}
