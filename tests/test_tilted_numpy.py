"""The NumPy l-inf tilted sampler (:mod:`skentropic._core._tilted_numpy`) against the numba
kernels it stands in for: the same inverse CDF and weights at the same uniforms, the same law."""

import numpy as np
import pytest
from scipy.special import logsumexp

from skentropic._core._mgf import log_sinhc
from skentropic._core._norms import NORM_INF
from skentropic._core._tilted import tilted_log_weight, tilted_uniform_coordinate
from skentropic._core._tilted_numpy import draw_tilted_linf, log_sinhc_array


def test_log_sinhc_array_matches_the_kernel():
    a = np.array([0.0, 1e-300, -1e-8, 0.05, -0.0999, 0.1, 3.0, -19.99, 20.0, 20.01, 700.0, -1e6, 1e300])
    got = log_sinhc_array(a)
    for x, value in zip(a, got):
        assert value == pytest.approx(log_sinhc(x), rel=1e-14, abs=1e-300)


class _Uniforms:
    """A stand-in for a NumPy generator: ``random(shape)`` returns the given uniforms in turn."""

    def __init__(self, *arrays):
        self.arrays = list(arrays)

    def random(self, shape):
        return np.broadcast_to(self.arrays.pop(0), shape).copy()


def test_coordinates_match_the_kernel_at_the_same_uniforms():
    """At uniform ``v`` a draw is the kernel's inverse CDF at ``1 − v`` (``θ > 0``), at ``v``
    (``θ < 0``), and ``1 − 2v`` untilted; the mixture's uniform draws are turned off here."""
    theta = np.array([0.0, 1e-13, -1e-13, 1e-6, -0.3, 2.0, -45.0, 800.0, -1e300])
    v = np.append(np.random.default_rng(0).random(200), [0.0, 0.5, 1.0 - 2.0 ** -53])
    U, _ = draw_tilted_linf(theta[None, :], np.array([v.size]),
                            _Uniforms(v[None, :, None], np.full((1, v.size), 0.999)))
    assert np.all(np.abs(U) <= 1.0)
    for i, vi in enumerate(v):
        for k, tk in enumerate(theta):
            if abs(tk) < 1e-12:
                expected = 1.0 - 2.0 * vi
            else:
                expected = tilted_uniform_coordinate(1.0 - vi if tk > 0 else vi, tk)
            assert U[i, k] == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_draws_have_the_kernel_weights_and_the_tilted_law():
    rng = np.random.default_rng(1)
    theta = np.vstack([np.zeros(5), 0.8 * rng.standard_normal(5), [30.0, -2.0, 0.0, 1e-14, 0.4]])
    theta[1, 3] = 0.0  # an untilted coordinate among tilted ones: uniform on [-1, 1]
    counts = np.array([3, 40_000, 5])
    U, log_w = draw_tilted_linf(theta, counts, np.random.default_rng(2))
    assert U.shape == (counts.sum(), 5) and np.all(np.abs(U) <= 1.0)
    owner = np.repeat(np.arange(3), counts)
    for r in list(range(3)) + list(range(3, counts.sum(), 997)) + [counts.sum() - 1]:
        assert log_w[r] == pytest.approx(tilted_log_weight(U[r], theta[owner[r]], NORM_INF), rel=1e-12, abs=1e-12)
    np.testing.assert_array_equal(log_w[:3], 0.0)  # no tilt: the uniform law, weight 1
    rows = owner == 1
    flat = U[rows, 3]
    assert abs(flat.mean()) <= 4 * np.sqrt(1 / 3 / flat.size)
    assert abs(np.mean(flat ** 2) - 1 / 3) <= 4 * np.sqrt(4 / 45 / flat.size)  # Var(u²) = 1/5 − 1/9
    assert abs(np.mean(flat < -0.5) - 0.25) <= 4 * np.sqrt(0.25 * 0.75 / flat.size)
    # the weights reproduce the moment generating function of another tilt (4 standard errors)
    other = theta[1] + 0.5
    terms = log_w[rows] + U[rows] @ other
    estimate = logsumexp(terms) - np.log(terms.size)
    se = np.exp(terms - estimate).std() / np.sqrt(terms.size)
    assert abs(estimate - sum(log_sinhc(t) for t in other)) <= 4 * se
    again = draw_tilted_linf(theta, counts, np.random.default_rng(2))
    assert np.array_equal(again[0], U) and np.array_equal(again[1], log_w)
