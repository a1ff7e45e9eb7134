"""Where is the defect? Image- and pixel-level evaluation of an image model on an inspection
data set (:mod:`aedetect.data.inspection`), per defect type and overall.

Image scores are the detector's anomaly scores (and, next to them, the maximum of each smoothed
map); pixel metrics compare the anomaly maps with the masks: pixel AUROC, AUPRO to FPR 0.3,
pixel average precision, and IoU / Dice of the maps thresholded at a high percentile of the
pixel scores of held-out normal training images. The maps of the test set are kept in float32 at
the model's resolution while the metrics are computed.
"""

from __future__ import annotations

import numpy as np

from aedetect.data.images import ImageFolder
from aedetect.data.inspection import InspectionSet, read_masks
from aedetect.metrics import aupro, evaluate_scores, mask_overlap, pixel_ap, pixel_auroc


def image_folder_for(detector, files) -> ImageFolder:
    """The files as the detector's inputs: its image size and colour."""
    shape = detector.input_shape_
    return ImageFolder(files, size=(shape[0], shape[1]), color="rgb" if len(shape) == 3 else "grey")


def test_images(detector, data: InspectionSet) -> tuple[ImageFolder, np.ndarray]:
    """The test images as the detector's inputs, and their labels (1 = defective)."""
    return (image_folder_for(detector, data.test),
            np.asarray([d != "good" for d in data.test_defects], dtype=np.int64))


def map_threshold(detector, normal_files, kind: str, sigma: float, percentile: float = 99.5) -> float:
    """A pixel threshold from normal images only: the ``percentile`` of their map values."""
    maps = detector.anomaly_map(image_folder_for(detector, normal_files), kind=kind, sigma=sigma)
    return float(np.percentile(maps, percentile))


def map_metrics(detector, data: InspectionSet, X, y: np.ndarray, scores: np.ndarray, *,
                kind: str = "squared", sigma: float = 4.0, normal_files=None,
                threshold: float | None = None, maps: np.ndarray | None = None) -> dict:
    """The map-based metrics of the test images X (``y``: 1 = defective; ``scores``: their image
    scores): the map maximum as an image score, pixel metrics where there are masks, and each
    defect type against the good images. ``normal_files``: normal images for the map threshold
    (default: the data's validation images), or a ``threshold`` already set on normal images
    (``aedetect fit`` stores one); neither: no IoU / Dice. ``maps``: the test images' maps, when
    already made."""
    maps = detector.anomaly_map(X, kind=kind, sigma=sigma) if maps is None else maps
    map_max = maps.reshape(len(maps), -1).max(axis=1)
    out = {"map": {"kind": kind, "sigma": sigma}, "per_defect": {},
           "image_map_max_auroc": evaluate_scores(y, map_max, np.inf)["auroc"]}
    masks = read_masks(data.masks, maps.shape[1:], data.test) if data.has_masks else None
    if masks is None:
        out["pixel"] = "no masks: image-level metrics only"
    else:
        out["pixel"] = {"auroc": pixel_auroc(masks, maps), "aupro": aupro(masks, maps),
                        "ap": pixel_ap(masks, maps)}
        normal_files = normal_files if normal_files is not None else data.validation
        t = threshold if threshold is not None else (
            map_threshold(detector, normal_files, kind, sigma) if normal_files else None)
        if t is not None:
            out["pixel"] |= {"map_threshold": t, **mask_overlap(masks, maps > t)}
    for defect in sorted(set(data.test_defects) - {"good"}):
        keep = np.asarray([d in ("good", defect) for d in data.test_defects])
        row = {"images": int((y[keep] == 1).sum()),
               "image_auroc": evaluate_scores(y[keep], scores[keep], detector.threshold_)["auroc"]}
        if masks is not None:
            mine = np.asarray([d == defect for d in data.test_defects])
            row |= {"pixel_auroc": pixel_auroc(masks[keep], maps[keep]),
                    "aupro": aupro(masks[keep], maps[keep]) if masks[mine].any() else None}
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
