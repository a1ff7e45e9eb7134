"""Anomaly maps of image models, and the pixel-level metrics (hand-checked)."""

from __future__ import annotations

import numpy as np
import pytest

from aedetect import AutoencoderDetector
from aedetect.errors import InputError
from aedetect.maps import image_scores
from aedetect.metrics import aupro, mask_overlap, pixel_ap, pixel_auroc, pro_curve
from tests.conftest import blobs

pytestmark = pytest.mark.filterwarnings("ignore::aedetect.errors.CollapseWarning")

# one 2 x 4 image: defect region A = (0,0), (0,1); region B = (1,3); five defect-free pixels
MASK = np.array([[[1, 1, 0, 0], [0, 0, 0, 1]]])
MAP = np.array([[[0.9, 0.5, 0.8, 0.1], [0.2, 0.3, 0.4, 0.7]]])


def test_pro_curve_and_aupro_by_hand():
    fpr, pro = pro_curve(MASK, MAP)
    # by score: 0.9 (A: PRO 1/4), 0.8 (normal: FPR 1/5), 0.7 (B: PRO 3/4), 0.5 (A: PRO 1), ...
    np.testing.assert_allclose(fpr[:5], [0, 0, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(pro[:5], [0, 0.25, 0.25, 0.75, 1.0])
    # area to FPR 0.3: 0.25 * 0.2 + 1.0 * 0.1 = 0.15, divided by 0.3
    assert aupro(MASK, MAP) == pytest.approx(0.5)
    assert aupro(MASK, MAP, max_fpr=0.2) == pytest.approx(0.25)


def test_pixel_auroc_ap_and_overlap_by_hand():
    assert pixel_auroc(MASK, MAP) == pytest.approx(13 / 15)  # pairs defect > defect-free: 5 + 4 + 4
    assert pixel_ap(MASK, MAP) == pytest.approx((1 / 1 + 2 / 3 + 3 / 4) / 3)
    overlap = mask_overlap(MASK, MAP > 0.6)  # flags (0,0), (0,2), (1,3)
    assert overlap == {"iou": pytest.approx(2 / 4), "dice": pytest.approx(2 * 2 / (3 + 3))}
    assert pixel_auroc(np.zeros_like(MASK), MAP) is None


def test_maps_with_scores_of_a_model_scored_by_other_parts():
    X = blobs(60, size=12, seed=0)
    det = AutoencoderDetector(model="vae", model_options={"channels": [4], "score_parts": ["reconstruction",
                                                                                         "latent"]},
                              epochs=2, random_state=0, verbose=0).fit(X)
    scores, maps = det.anomaly_map(X[:7], sigma=1.0, return_scores=True)
    np.testing.assert_allclose(scores, det.anomaly_score(X[:7]), rtol=1e-5)
    assert maps.shape == (7, 12, 12)


def test_image_scores_from_maps():
    maps = np.arange(2 * 10 * 10, dtype=float).reshape(2, 10, 10)
    np.testing.assert_allclose(image_scores(maps, "max"), [99, 199])
    np.testing.assert_allclose(image_scores(maps, "topk", 0.02), [98.5, 198.5])


def test_maps_show_where_the_defect_is():
    X = blobs(200, size=16, seed=0)
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [8, 16]}, epochs=15,
                              random_state=0, verbose=0).fit(X)
    plain = det.anomaly_map(X[:5], sigma=0)
    assert plain.shape == (5, 16, 16) and plain.dtype == np.float32
    # unsmoothed squared maps average to the reconstruction error
    np.testing.assert_allclose(plain.mean(axis=(1, 2)), det.reconstruction_error(X[:5]), rtol=1e-4)
    defect = X[:5].copy()
    defect[:, 2:6, 9:13] = 255  # a bright square
    inside = np.zeros((16, 16), bool)
    inside[2:6, 9:13] = True
    peaks = [np.unravel_index(m.argmax(), m.shape) for m in det.anomaly_map(defect, sigma=1.0)]
    assert all(1 <= r <= 6 and 8 <= c <= 13 for r, c in peaks), peaks
    for kind, ratio in (("squared", 2.0), ("ssim", 1.1)):  # SSIM's 11 x 11 windows spread it wide
        maps = det.anomaly_map(defect, kind=kind, sigma=1.0)
        assert (maps[:, inside].mean(axis=1) > ratio * maps[:, ~inside].mean(axis=1)).all(), kind
    scores, maps = det.anomaly_map(defect, kind="ssim", sigma=1.0, return_scores=True)  # one pass
    np.testing.assert_allclose(scores, det.anomaly_score(defect), rtol=1e-5)
    np.testing.assert_allclose(maps, det.anomaly_map(defect, kind="ssim", sigma=1.0), rtol=1e-5, atol=1e-7)
    with pytest.raises(InputError, match="image model"):
        AutoencoderDetector(epochs=1, verbose=0).fit(np.random.default_rng(0).random((30, 5))).anomaly_map(
            np.zeros((2, 5)))


def stripes(n: int, seed: int = 0) -> np.ndarray:
    """uint8 (n, 16, 16) diagonal stripes at random phases: a texture in which pasted blobs show."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:16, :16]
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    return (127 + 100 * np.sin(2 * np.pi * (xx + 0.5 * yy) / 5 + phase)).astype(np.uint8)


def test_a_segmentation_head_learns_to_find_pasted_blobs(tmp_path):
    import torch
    from sklearn.metrics import roc_auc_score

    from aedetect.models.dae import synthetic_anomalies

    X = stripes(200)
    options = {"channels": [8, 16], "norm": "batch", "noise": "anomaly", "noise_level": 0.5, "segment": True}
    det = AutoencoderDetector(model="dae", model_options=options, epochs=20, batch_size=32, random_state=0,
                              verbose=0).fit(X)
    torch.manual_seed(1)
    altered, masks = synthetic_anomalies(torch.from_numpy(stripes(40, seed=1) / 255.0).float()[:, None], 1.0)
    test = (altered[:, 0].numpy() * 255).round().astype(np.uint8)
    maps = det.anomaly_map(test, kind="segment", sigma=0)
    assert maps.shape == (40, 16, 16) and ((maps >= 0) & (maps <= 1)).all()  # probabilities
    assert roc_auc_score(masks[:, 0].numpy().ravel() > 0, maps.ravel()) > 0.75  # it finds them
    det.save(tmp_path / "m")
    again = AutoencoderDetector.load(tmp_path / "m")
    np.testing.assert_allclose(again.anomaly_map(test[:5], kind="segment", sigma=1.0),
                               det.anomaly_map(test[:5], kind="segment", sigma=1.0), rtol=1e-5, atol=1e-6)
    with pytest.raises(InputError, match="segmentation head"):
        AutoencoderDetector(model="conv_ae", model_options={"channels": [4]}, epochs=1, verbose=0).fit(
            X[:40]).anomaly_map(X[:2], kind="segment")
    with pytest.raises(InputError, match="noise='anomaly'"):
        AutoencoderDetector(model="dae", model_options={"segment": True}, epochs=1, verbose=0).fit(X[:40])
    for bad, message in (({"noise": "anomaly", "noise_level": 1.5}, "noise_level"),
                         ({"noise": "anomaly", "segment": True, "segment_weight": -1}, "segment_weight")):
        with pytest.raises(InputError, match=message):
            AutoencoderDetector(model="dae", model_options=bad, epochs=1, verbose=0).fit(X[:40])


def test_nearest_patch_maps_measure_the_distance_to_remembered_training_patches(tmp_path):
    import torch

    from aedetect.data.splits import train_validation_split
    from aedetect.patch_memory import patches

    X = stripes(120)
    det = AutoencoderDetector(model="conv_ae", model_options={"channels": [4], "patch_memory": 50}, epochs=1,
                              random_state=0, verbose=0).fit(X)
    kept = det.model_.memory.images[:, 0].float().numpy()
    assert det.model_.map_kind == "nearest" and kept.shape == (50, 16, 16)
    _, val = train_validation_split(len(X), det.validation_fraction, det.seed_)
    assert not any(np.abs(kept - x / 255.0).max() < 1e-3 for x in X[val])  # never the held-out images
    remembered = (kept[:3] * 255).round().astype(np.uint8)
    assert np.abs(det.anomaly_map(remembered, kind="nearest", sigma=0)).max() < 1e-2  # itself is nearest
    defect = stripes(10, seed=1)
    defect[:, 3:7, 8:12] = 255
    maps = det.anomaly_map(defect, kind="nearest", sigma=0)
    # by brute force: each grid position's patch against every kept patch at that position or a step away
    q = patches(torch.from_numpy(defect[:1, None] / 255.0).float())
    bank = patches(torch.from_numpy(kept[:, None]))
    g = q.shape[-1]

    def steps(i):
        return range(max(0, i - 1), min(g, i + 2))

    grid = torch.tensor([[min(torch.cdist(q[:, :, i, j], bank[:, :, a, b]).min().item()
                              for a in steps(i) for b in steps(j)) for j in range(g)] for i in range(g)])
    expected = torch.nn.functional.interpolate(grid[None, None], size=(16, 16), mode="bilinear")[0, 0]
    np.testing.assert_allclose(maps[0], expected.numpy(), atol=1e-3)
    assert all(1 <= r <= 8 and 6 <= c <= 13 for r, c in (np.unravel_index(m.argmax(), m.shape) for m in maps))
    normal = det.anomaly_map(stripes(10, seed=1), kind="nearest", sigma=0)
    assert (maps.max(axis=(1, 2)) > 3 * normal.max()).all()
    det.save(tmp_path / "m")
    again = AutoencoderDetector.load(tmp_path / "m")
    np.testing.assert_allclose(again.anomaly_map(defect, kind="nearest"),
                               det.anomaly_map(defect, kind="nearest"))
    with pytest.raises(InputError, match="patch_memory"):
        AutoencoderDetector(model="conv_ae", model_options={"channels": [4]}, epochs=1, verbose=0).fit(
            X[:40]).anomaly_map(X[:2], kind="nearest")
    with pytest.raises(InputError, match="patch_memory"):
        AutoencoderDetector(model_options={"patch_memory": 5}, epochs=1, verbose=0).fit(np.zeros((40, 5)))
