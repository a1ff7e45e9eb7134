"""Property-based tests (hypothesis) of the input checks and the threshold functions: for any
input they either answer correctly or raise InputError, never anything else."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aedetect.data.arrays import as_samples, check_finite
from aedetect.errors import InputError
from aedetect.thresholds import compute_threshold

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
scores = hnp.arrays(np.float64, st.integers(1, 200), elements=finite)
quick = settings(max_examples=150, deadline=None)


@quick
@given(scores, st.floats(0, 0.99))
def test_target_fpr_never_flags_more_normals_than_allowed(s, fpr):
    t = compute_threshold("target_fpr", s, fpr)
    assert (s > t).mean() <= fpr + 1e-12
    assert t in s  # one of the scores: nothing interpolated


@quick
@given(scores, st.floats(0, 100), st.floats(0, 100))
def test_percentile_is_monotone_and_within_the_scores(s, q1, q2):
    lo, hi = sorted((q1, q2))
    a, b = compute_threshold("percentile", s, lo), compute_threshold("percentile", s, hi)
    assert s.min() - 1e-9 <= a <= b + 1e-9 <= s.max() + 2e-9
    c = compute_threshold("contamination", s, 0.05)
    assert c == pytest.approx(compute_threshold("percentile", s, 95))


@quick
@given(scores, st.floats(0, 10), st.floats(0, 10))
def test_mean_std_grows_with_k(s, k1, k2):
    lo, hi = sorted((k1, k2))
    assert compute_threshold("mean_std", s, lo) <= compute_threshold("mean_std", s, hi) + 1e-9


@quick
@given(hnp.arrays(np.float64, st.integers(2, 60), elements=st.floats(0, 1, allow_nan=False)), st.data())
def test_best_f1_is_the_best_cut(s, data):
    y = data.draw(hnp.arrays(np.int64, len(s), elements=st.integers(0, 1)))
    if len(np.unique(y)) < 2:
        with pytest.raises(InputError):
            compute_threshold("best_f1", s, labels=y)
        return
    t = compute_threshold("best_f1", s, labels=y)

    def f1(cut):
        flagged = s > cut
        tp = (flagged & (y == 1)).sum()
        return 2 * tp / max(flagged.sum() + (y == 1).sum(), 1)

    best = max(f1(c) for c in np.r_[s, s.min() - 1])
    assert f1(t) == pytest.approx(best)


@quick
@given(hnp.arrays(np.float64, st.integers(1, 50),
                  elements=st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf]))),
       st.sampled_from(["percentile", "mean_std", "contamination", "target_fpr"]))
def test_non_finite_scores_are_refused(s, method):
    if np.isfinite(s).all():
        assert np.isfinite(compute_threshold(method, s))
    else:
        with pytest.raises(InputError, match="NaN or inf"):
            compute_threshold(method, s)


@quick
@given(st.sampled_from(["percentile", "contamination", "target_fpr"]), st.floats(-1e3, 1e3))
def test_out_of_range_parameters_are_input_errors(method, param):
    try:
        t = compute_threshold(method, np.arange(10.0), param)
    except InputError:
        return
    assert 0 <= t <= 9


dtypes = st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_, np.complex64])


@quick
@given(hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)))
def test_as_samples_accepts_exactly_numeric_batches_of_rank_2_to_4(X):
    ok = X.ndim in (2, 3, 4) and X.size > 0 and X.dtype.kind in "uifb"
    if ok:
        assert as_samples(X) is X
    else:
        with pytest.raises(InputError):
            as_samples(X)


@quick
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=32)), st.integers(0, 1000))
def test_check_finite_names_the_first_bad_sample(X, start):
    bad = np.flatnonzero(~np.isfinite(X.reshape(len(X), -1)).all(axis=1))
    if len(bad) == 0:
        check_finite(X, start=start)
    else:
        with pytest.raises(InputError, match=f"first in sample {start + bad[0]},"):
            check_finite(X, start=start)
