import numpy as np
import pytest

from aedetect.errors import InputError
from aedetect.metrics import at_threshold, evaluate_scores, threshold_sweep

# Hand-checked case: 4 normal (0) and 3 anomalous (1) samples.
Y = np.array([0, 0, 0, 0, 1, 1, 1])
S = np.array([0.1, 0.2, 0.3, 0.6, 0.5, 0.7, 0.9])


def test_at_threshold_hand_checked():
    m = at_threshold(Y, S, 0.4)  # flagged: 0.6 (normal), 0.5, 0.7, 0.9
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (3, 1, 3, 0)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == 1.0
    assert m["f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert m["accuracy"] == pytest.approx(6 / 7)


def test_strictly_greater_flags():
    assert at_threshold(Y, S, 0.5)["tp"] == 2  # 0.5 itself is not flagged


def test_auroc_and_aupr_hand_checked():
    m = evaluate_scores(Y, S, 0.4)
    # pairs (anomaly, normal) ranked correctly: 0.5 beats 3 of 4, 0.7 and 0.9 beat all 4
    assert m["auroc"] == pytest.approx(11 / 12)
    # ranked by score: 0.9(+) 0.7(+) 0.6(-) 0.5(+): AP = (1 + 1 + 3/4) / 3
    assert m["aupr"] == pytest.approx((1 + 1 + 0.75) / 3)
    assert (m["n_normal"], m["n_anomalous"]) == (4, 3)


def test_sweep_rows_follow_thresholds():
    rows = threshold_sweep(Y, S, [0.01, 0.55, 1.0])
    assert [r["tp"] + r["fp"] for r in rows] == [7, 3, 0]


def test_single_class_has_no_auroc():
    assert evaluate_scores(np.zeros(3), np.arange(3.0), 1.0)["auroc"] is None


def test_bad_labels_are_refused():
    with pytest.raises(InputError, match="0 \\(normal\\) or 1"):
        evaluate_scores(np.array([0, 2]), np.array([0.1, 0.2]), 0.1)


def test_pixel_counts_agree_with_the_exact_metrics_batch_by_batch():
    from aedetect.metrics import aupro, mask_overlap, pixel_ap, pixel_auroc, pro_curve
    from aedetect.pixel_counts import PixelCounts

    rng = np.random.default_rng(0)
    masks = np.zeros((12, 32, 32), bool)
    for i in range(0, 12, 2):  # defects in every other image, of several sizes
        r, c, h = rng.integers(2, 20), rng.integers(2, 20), rng.integers(2, 10)
        masks[i, r:r + h, c:c + h] = True
    maps = rng.gamma(2.0, 0.01, masks.shape) + masks * rng.gamma(2.0, 0.02, masks.shape)
    maps[0, :2, :2] = 0.0  # exact zeros
    counts = PixelCounts(threshold=0.06)
    for start in range(0, 12, 5):  # batches of 5, 5, 2
        counts.add(masks[start:start + 5], maps[start:start + 5])
    assert abs(counts.auroc() - pixel_auroc(masks, maps)) < 1e-4
    assert abs(counts.ap() - pixel_ap(masks, maps)) < 1e-3
    assert abs(counts.aupro() - aupro(masks, maps)) < 1e-3
    fpr, pro = counts.pro_curve()
    exact_fpr, exact_pro = pro_curve(masks, maps)
    assert abs(np.interp(0.1, fpr, pro) - np.interp(0.1, exact_fpr, exact_pro)) < 5e-3
    assert counts.mask_overlap() == pytest.approx(mask_overlap(masks, maps > 0.06))
    good, bad = PixelCounts(), PixelCounts()
    good.add(masks[1::2], maps[1::2])
    bad.add(masks[::2], maps[::2])
    assert good.merged(bad).auroc() == pytest.approx(counts.auroc())
    assert good.auroc() is None and good.ap() is None
    with pytest.raises(InputError, match="AUPRO needs defect regions"):
        good.pro_curve()
