"""Entropic log-mean-exp kernels against a plain NumPy/SciPy reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp, softmax

from skentropic._core._logmeanexp import entropic_mean, entropic_mean_rows, entropic_weights, exp_shifted

finite = st.floats(-1e3, 1e3, allow_nan=False)


def reference(values, eta):
    return eta * (logsumexp(values / eta) - np.log(len(values)))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.floats(1e-6, 1e3))
def test_matches_reference_and_is_finite(values, eta):
    got = entropic_mean(values, eta)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, reference(values, eta), rtol=1e-12, atol=1e-9)
    # sandwich: mean <= entropic mean <= max
    assert values.mean() - 1e-9 <= got <= values.max() + 1e-9
    w = np.empty_like(values)
    assert entropic_weights(values, eta, w) == pytest.approx(got, rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(w, softmax(values / eta), rtol=1e-9, atol=1e-300)


def test_extremes_do_not_overflow():
    values = np.array([1e3, -1e3, 999.0])
    assert entropic_mean(values, 1e-6) == pytest.approx(1e3 + 1e-6 * np.log(1 / 3))
    assert entropic_mean(values, 0.0) == 1e3
    w = np.empty(3)
    entropic_weights(np.array([1.0, 1.0, 0.0]), 0.0, w)
    np.testing.assert_array_equal(w, [0.5, 0.5, 0.0])


def test_large_eta_tends_to_mean_and_rows():
    values = np.array([[0.3, 1.2, -0.4], [5.0, 5.0, 5.0]])
    rows = entropic_mean_rows(values, 1e6)
    np.testing.assert_allclose(rows, values.mean(axis=1), atol=1e-5)


def test_exp_shifted_matches_numpy():
    values = np.array([3.0, -1e3, 1e3, 7.5, np.nan])  # the tail beyond m is not read
    work = values.copy()
    top, acc = exp_shifted(work, 4)
    assert top == 1e3
    np.testing.assert_allclose(work[:4], np.exp(values[:4] - 1e3), rtol=1e-15)
    np.testing.assert_allclose(top + np.log(acc), logsumexp(values[:4]), rtol=1e-15)
    assert np.isnan(work[4])
