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
