"""The NumPy l-inf tilted sampler (:mod:`skentropic._core._tilted_numpy`) against the numba
kernels it stands in for: the same inverse CDF and weights at the same uniforms, the same law."""

import numpy as np
import pytest
from scipy.special import logsumexp

from skentropic._core._mgf import log_sinhc
from skentropic._core._norms import NORM_INF
from skentropic._core._sampling import point_uniforms
from skentropic._core._tilted import tilted_log_weight, tilted_uniform_coordinate
from skentropic._core._tilted_numpy import draw_tilted_linf, draw_tilted_linf_seeded, log_sinhc_array


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


def test_point_uniforms_follow_the_seed_only():
    """A point's uniforms depend on its seed alone (any subset, any order of points), lie in
    ``[0, 1)`` and are uniform (mean, variance, a Kolmogorov-Smirnov distance at 4 sigma)."""
    seeds = np.array([7, 0, 2**31 - 2, 7, 12345], dtype=np.int64)
    first, second = np.empty((5, 3)), np.empty((5, 40, 6))
    point_uniforms(seeds, first, second)
    np.testing.assert_array_equal(first[0], first[3])
    np.testing.assert_array_equal(second[0], second[3])
    assert not np.array_equal(second[0], second[1])
    one_a, one_b = np.empty((1, 3)), np.empty((1, 40, 6))
    point_uniforms(seeds[[4]], one_a, one_b)
    np.testing.assert_array_equal(one_b[0], second[4])
    big_a, big_b = np.empty((200, 1)), np.empty((200, 500))
    point_uniforms(np.arange(200, dtype=np.int64), big_a, big_b)
    v = np.sort(big_b.ravel())
    assert v[0] >= 0.0 and v[-1] < 1.0
    assert abs(v.mean() - 0.5) <= 4 * np.sqrt(1 / 12 / v.size)
    assert abs(v.var() - 1 / 12) <= 4 * np.sqrt(1 / 180 / v.size)
    ks = np.max(np.abs(np.arange(1, v.size + 1) / v.size - v))
    assert ks <= 2.0 / np.sqrt(v.size)


def test_seeded_draws_have_the_kernel_weights_and_the_tilted_law():
    """The linear models' seeded draws: the kernel's weights at every draw, the tilted law
    (the moment generating function of another tilt by the weights), the same draws for a
    point whatever the points drawn with it."""
    rng = np.random.default_rng(3)
    theta = np.vstack([np.zeros(5), 0.8 * rng.standard_normal(5), [30.0, -2.0, 0.0, 1e-14, 0.4]])
    seeds = np.array([4, 9, 11], dtype=np.int64)
    m = 20_000
    U, log_w = np.empty((3 * m, 5)), np.empty(3 * m)
    draw_tilted_linf_seeded(U, m, theta, seeds, log_w)
    assert np.all(np.abs(U) <= 1.0)
    owner = np.repeat(np.arange(3), m)
    for r in list(range(0, 3 * m, 1499)) + [3 * m - 1]:
        assert log_w[r] == pytest.approx(tilted_log_weight(U[r], theta[owner[r]], NORM_INF), rel=1e-12, abs=1e-12)
    np.testing.assert_array_equal(log_w[:m], 0.0)
    for point in (1, 2):
        rows = owner == point
        other = theta[point] + 0.5
        terms = log_w[rows] + U[rows] @ other
        estimate = logsumexp(terms) - np.log(m)
        se = np.exp(terms - estimate).std() / np.sqrt(m)
        assert abs(estimate - sum(log_sinhc(t) for t in other)) <= 4 * se
    alone_U, alone_w = np.empty((m, 5)), np.empty(m)
    draw_tilted_linf_seeded(alone_U, m, theta[[2]], seeds[[2]], alone_w)
    np.testing.assert_array_equal(alone_U, U[2 * m:])
    np.testing.assert_array_equal(alone_w, log_w[2 * m:])
