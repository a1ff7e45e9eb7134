"""Pixel metrics of a test set of any size in bounded memory: maps are reduced to counts as they
come, batch by batch, and none is kept.

:class:`PixelCounts` keeps, on a fixed grid of ``BINS`` score levels (log-spaced from ``LOW`` to
``HIGH``, plus one bin for scores at or below ``LOW``), the number of defect and of defect-free
pixels per level, and for every connected defect region (8-connected, per image) its pixels per
level on a coarser grid of ``REGION_BINS`` levels. From them: pixel AUROC and AP (ties within a
level count as ties), the PRO curve and AUPRO as :mod:`aedetect.metrics` computes them exactly,
and IoU / Dice at a map threshold. Memory: two counts of ``BINS`` and one of ``REGION_BINS`` per
defect region, whatever the number of pixels; a test of the exact functions on small sets agrees
within 1e-3.
"""

from __future__ import annotations

import numpy as np

from aedetect.errors import InputError
from aedetect.metrics import AUPRO_MAX_FPR, area_to

LOW, HIGH = 1e-9, 10.0  # maps are squared errors in [0, 1] or 1 - SSIM in [0, 2]
BINS = 1 << 16
REGION_BINS = 1 << 11


class PixelCounts:
    def __init__(self, threshold: float | None = None):
        self.edges = np.r_[-np.inf, np.geomspace(LOW, HIGH, BINS - 1)]  # bin k: edges[k] < s <= edges[k+1]
        self.defect = np.zeros(BINS, np.int64)
        self.normal = np.zeros(BINS, np.int64)
        self.regions: list[np.ndarray] = []  # per region: its pixels per coarse level
        self.threshold = threshold
        self.overlap = np.zeros(3, np.int64)  # at the threshold: intersection, union, flagged + true

    def _bins(self, values: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.edges, values, side="left") - 1, 0, BINS - 1)

    def add(self, masks: np.ndarray, maps: np.ndarray) -> PixelCounts:
        """Count a batch: masks (B, H, W) bool and their maps (B, H, W)."""
        from scipy import ndimage

        masks, maps = np.asarray(masks) > 0, np.asarray(maps, dtype=np.float64)
        if masks.shape != maps.shape or masks.ndim != 3:
            raise InputError(f"masks {masks.shape} and maps {maps.shape} must both be (N, H, W)")
        bins = self._bins(maps)
        self.defect += np.bincount(bins[masks], minlength=BINS)
        self.normal += np.bincount(bins[~masks], minlength=BINS)
        coarse = bins // (BINS // REGION_BINS)
        for mask, level in zip(masks, coarse):
            labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
            if n:
                counts = np.zeros((n + 1, REGION_BINS), np.int64)
                np.add.at(counts, (labels[mask], level[mask]), 1)
                self.regions.extend(counts[1:])
        if self.threshold is not None:
            flagged = maps > self.threshold
            self.overlap += [int((masks & flagged).sum()), int((masks | flagged).sum()),
                             int(masks.sum() + flagged.sum())]
        return self

    def merged(self, other: PixelCounts) -> PixelCounts:
        """These counts and ``other``'s together (e.g. a defect type's images and the good ones)."""
        out = PixelCounts(self.threshold)
        out.defect, out.normal = self.defect + other.defect, self.normal + other.normal
        out.regions = self.regions + other.regions
        out.overlap = self.overlap + other.overlap
        return out

    # ------------------------------------------------------------- metrics
    def auroc(self) -> float | None:
        pos, neg = self.defect.sum(), self.normal.sum()
        if not pos or not neg:
            return None
        below = np.cumsum(self.normal) - self.normal  # defect-free pixels in lower levels
        return float((self.defect * (below + self.normal / 2)).sum() / (pos * neg))

    def ap(self) -> float | None:
        if not self.defect.sum():
            return None
        tp = np.cumsum(self.defect[::-1])  # flagged at or above each level, from the top
        fp = np.cumsum(self.normal[::-1])
        keep = self.defect[::-1] > 0
        return float((self.defect[::-1][keep] * tp[keep] / (tp[keep] + fp[keep])).sum() / tp[-1])

    def pro_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(FPR, PRO) at every coarse level, from the top: (0, 0) first."""
        if not self.regions or not self.normal.sum():
            raise InputError("AUPRO needs defect regions and defect-free pixels in the masks")
        regions = np.asarray(self.regions, dtype=np.float64)
        share = np.cumsum(regions[:, ::-1], axis=1) / regions.sum(axis=1, keepdims=True)
        normal = self.normal.reshape(REGION_BINS, -1).sum(axis=1)[::-1]
        fpr = np.cumsum(normal) / normal.sum()
        return np.r_[0.0, fpr], np.r_[0.0, share.mean(axis=0)]

    def aupro(self, max_fpr: float = AUPRO_MAX_FPR) -> float:
        return area_to(*self.pro_curve(), max_fpr)

    def mask_overlap(self) -> dict:
        inter, union, total = (int(v) for v in self.overlap)
        return {"iou": inter / union if union else 1.0, "dice": 2 * inter / total if total else 1.0}
