import numpy as np
import pytest

from aedetect import thresholds as th
from aedetect.errors import InputError


@pytest.fixture
def gaussian():
    return np.random.default_rng(0).normal(size=200_000)


def test_percentile_and_mean_std_on_a_standard_normal(gaussian):
    assert th.compute_threshold("percentile", gaussian) == pytest.approx(1.645, abs=0.02)
    assert th.compute_threshold("mean_std", gaussian) == pytest.approx(2.0, abs=0.02)
    assert th.compute_threshold("mean_std", gaussian, 3) == pytest.approx(3.0, abs=0.02)


def test_contamination_is_pyods_quantile(gaussian):
    assert th.compute_threshold("contamination", gaussian, 0.1) == pytest.approx(
        np.percentile(gaussian, 90))


def test_target_fpr_never_exceeds_its_rate():
    rng = np.random.default_rng(1)
    for n in (7, 20, 101, 1000):
        scores = rng.exponential(size=n)
        for fpr in (0.0, 0.01, 0.05, 0.2):
            t = th.compute_threshold("target_fpr", scores, fpr)
            assert np.mean(scores > t) <= fpr
            assert t in scores


def test_target_fpr_is_the_tightest_such_threshold():
    scores = np.arange(1.0, 101.0)  # 1..100
    t = th.target_fpr(scores, 0.05)
    assert t == 95.0 and np.mean(scores > t) == 0.05


def test_fixed_needs_its_value():
    assert th.compute_threshold("fixed", np.array([]), 0.02) == 0.02
    with pytest.raises(InputError, match="0.02"):
        th.compute_threshold("fixed", np.array([1.0]))


def test_best_f1_separates_separable_scores():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1])
    t = th.compute_threshold("best_f1", scores, labels=labels)
    assert ((scores > t).astype(int) == labels).all()


def test_best_f1_refuses_unlabelled_scores():
    with pytest.raises(InputError, match="labelled"):
        th.compute_threshold("best_f1", np.array([1.0, 2.0]))


def test_unknown_method_lists_the_choices():
    with pytest.raises(InputError, match="percentile"):
        th.compute_threshold("median", np.array([1.0]))
