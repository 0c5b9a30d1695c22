"""Tilted ball proposals with exact weights (skentropic._core._tilted).

Exactness is checked against closed forms that share nothing with the sampler: the moment-
generating function of ``θ·u`` for the three balls (``l_∞``: ``Π sinh θ_k/θ_k``; ``l_2``: the
Bessel series of ``_mgf``; ``l_1``: the series ``E (θ·u)^{2m} = h_m(θ²)/C(d+2m, 2m)`` with ``h_m``
the complete homogeneous symmetric polynomials), and ``E_q w = 1``.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import gammaln, logsumexp

from skentropic._core._mgf import log_mgf_l2, log_sinhc
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2, lp_norm
from skentropic._core._sampling import fill_unit_ball, fill_unit_ball_points, seed_numba
from skentropic._core._tilted import (
    fill_tilted,
    fill_tilted_points_l1,
    fill_tilted_points_l2,
    fill_tilted_points_linf,
    l1_tilt_constants,
    sample_tilted_kernel,
    sample_tilted_pairs,
    sample_tilted_rows,
    tilted_log_weight,
    tilted_uniform_coordinate,
)


def l1_log_mgf(theta, n_terms=600):
    """``log E exp(θ·u)`` for ``u`` uniform in the unit l1 ball (Newton's identities, in logs)."""
    x = theta ** 2
    scale = x.max()
    x = x / scale
    d = theta.shape[0]
    p = np.array([np.sum(x ** j) for j in range(1, n_terms + 1)])
    h = [1.0]
    for m in range(1, n_terms + 1):
        h.append(sum(p[j - 1] * h[m - j] for j in range(1, m + 1)) / m)
    logs = [math.log(h[m]) + m * math.log(scale) - (gammaln(d + 2 * m + 1) - gammaln(d + 1) - gammaln(2 * m + 1))
            - gammaln(2 * m + 1) for m in range(n_terms + 1) if h[m] > 0]
    return logsumexp(logs)


def exact_log_mgf(theta, code):
    if code == NORM_INF:
        return float(sum(log_sinhc(t) for t in theta))
    if code == NORM_L2:
        return float(log_mgf_l2(np.array([np.linalg.norm(theta)]), theta.shape[0])[0])
    return l1_log_mgf(theta)


def test_tilted_coordinate_is_the_exact_inverse_cdf():
    v = np.linspace(0.001, 0.999, 50)
    for theta in [-40.0, -3.0, -1e-13, 0.0, 1e-6, 0.5, 3.0, 40.0, 1e4]:
        u = np.array([tilted_uniform_coordinate(x, theta) for x in v])
        assert np.all((u >= -1) & (u <= 1)) and np.all(np.diff(u) > 0)
        if abs(theta) > 1e-12:  # CDF (e^{θu} − e^{−θ}) / (e^θ − e^{−θ}) = expm1(θ(u+1)) / expm1(2θ)
            if theta > 0:
                cdf = np.exp(theta * (u - 1)) * np.expm1(-theta * (u + 1)) / np.expm1(-2 * theta)
            else:
                cdf = np.expm1(theta * (u + 1)) / np.expm1(2 * theta)
            np.testing.assert_allclose(cdf, v, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
@pytest.mark.parametrize("d", [1, 3, 64])
@pytest.mark.parametrize("strength", [1.0, 5.0, 30.0])
def test_weights_reproduce_the_moment_generating_function(code, d, strength):
    rng = np.random.default_rng(d)
    theta = rng.standard_normal(d)
    theta *= strength / np.linalg.norm(theta)
    U, log_w = sample_tilted_kernel(40_000, theta, code, 7)
    assert np.all(lp_norm(U, code, axis=1) <= 1 + 1e-12)
    terms = log_w + U @ theta
    estimate = logsumexp(terms) - np.log(len(terms))
    spread = np.exp(terms - estimate)
    se = spread.std() / np.sqrt(len(terms))
    assert abs(estimate - exact_log_mgf(theta, code)) <= 4 * se + 1e-12
    ess = spread.sum() ** 2 / (spread ** 2).sum() / len(terms)
    assert ess > 0.3  # the proposal is aimed at the exponential tilt: most samples count
    if code == NORM_L1:  # its weight depends on θ·u only, like the exact tilt's: 0.69-1.0 measured
        assert ess > 0.6


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
def test_weights_average_to_one_and_match_their_formula(code):
    rng = np.random.default_rng(0)
    theta = 0.5 * rng.standard_normal(6)
    U, log_w = sample_tilted_kernel(100_000, theta, code, 3)
    w = np.exp(log_w)
    assert abs(w.mean() - 1) <= 4 * w.std() / np.sqrt(len(w))
    for i in range(20):
        assert tilted_log_weight(U[i], theta, code) == pytest.approx(log_w[i], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
@pytest.mark.parametrize("d", [1, 8])
def test_antithetic_pairs_weigh_the_symmetrised_proposal(code, d):
    """Pairs ``(u, −u)`` with the weight ``log 2 − log(1/w(u) + 1/w(−u))`` of the one-draw
    proposal (:func:`tilted_log_weight`, per draw), equal within a pair; the weights reproduce
    the moment-generating function (a closed form) and a tilt-less row gets weight one."""
    rng = np.random.default_rng(d)
    theta = rng.standard_normal((3, d))
    theta[0] *= 3.0 / np.linalg.norm(theta[0])
    theta[2] = 0.0
    n_pairs = 20_000
    U, log_w = sample_tilted_pairs(theta, n_pairs, code, 5)
    np.testing.assert_array_equal(U[:, n_pairs:], -U[:, :n_pairs])
    np.testing.assert_array_equal(log_w[:, n_pairs:], log_w[:, :n_pairs])
    np.testing.assert_array_equal(log_w[2], 0.0)
    for i in range(2):
        for j in range(10):
            a, b = tilted_log_weight(U[i, j], theta[i], code), tilted_log_weight(-U[i, j], theta[i], code)
            assert log_w[i, j] == pytest.approx(math.log(2.0) - np.logaddexp(-a, -b), rel=1e-12, abs=1e-12)
        probe = theta[i] if i == 0 else 2.0 * theta[i]
        terms = log_w[i] + U[i] @ probe
        estimate = logsumexp(terms) - np.log(len(terms))
        spread = np.exp(terms - estimate)
        pairs = 0.5 * (spread[:n_pairs] + spread[n_pairs:])  # independent across pairs
        assert abs(estimate - exact_log_mgf(probe, code)) <= 4 * pairs.std() / np.sqrt(n_pairs) + 1e-12


@pytest.mark.parametrize("d", [1, 8, 784])
@pytest.mark.parametrize("strength", [1e-9, 0.3, 5.0, 300.0, 1e5])
def test_l1_constants_solve_the_saddle_point_equation(d, strength):
    """``l1_tilt_constants`` (Newton's method) against scipy's ``brentq`` on the same equation,
    ``μ + μ²K_V'(μ)/(d + 1) = 1/(d + 1)`` in ``x = log(1 − μ max|θ|)``, and its constants against
    their definitions."""
    theta = np.random.default_rng(d).standard_normal(d)
    theta *= strength / np.abs(theta).max()
    a, big = np.abs(theta), np.abs(theta).max()

    def excess(x):
        mu = -np.expm1(x) / big
        g = (big - a) / big + np.exp(x) * a / big
        with np.errstate(over="ignore"):  # an overflow reads too far, as in the kernel
            return mu + mu * mu * np.sum(2 * mu * a * a / (g * (2 - g))) / (d + 1) - 1 / (d + 1)

    x_ref = brentq(excess, -700.0, -1e-300, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    gk = np.empty(d)
    lam, c, log_k, u0 = l1_tilt_constants(theta, gk)
    mu = lam / u0
    assert mu == pytest.approx(-np.expm1(x_ref) / big, rel=1e-12)
    np.testing.assert_allclose(gk, 1 - mu * a, rtol=1e-12, atol=1e-15)
    kv1 = np.sum(2 * mu * a * a / (gk * (2 - gk)))
    assert c == pytest.approx(kv1 / (d + 1 + mu * kv1), rel=1e-12)
    assert log_k == pytest.approx(-(d + 1) * np.log(u0) - np.sum(np.log(gk * (2 - gk))), rel=1e-12, abs=1e-14)


def test_linf_mixture_weights_are_bounded():
    """The defensive mixture bounds the weight by 1/α and, for the integrand e^{θ·u} the tilt is
    made for, the weighted integrand by e^{K(θ)}/(1 − α) (the pure tilt made it constant)."""
    from skentropic._core._tilted import DEFENSIVE_LINF as DEFENSIVE

    theta = np.array([3.0, -0.5, 40.0, 1e-14])
    U, log_w = sample_tilted_kernel(4000, theta, NORM_INF, 1)
    log_k = sum(log_sinhc(t) for t in theta)
    assert np.all(log_w <= -np.log(DEFENSIVE) + 1e-12)
    assert np.all(log_w + U @ theta - log_k <= -np.log1p(-DEFENSIVE) + 1e-12)
    # P(|u_3| < 0.9): 0.9 under the uniform component, F(0.9) − F(−0.9) under the tilt θ = 40
    cdf = lambda t: np.expm1(40 * (t + 1)) / np.expm1(80)  # noqa: E731
    expected = DEFENSIVE * 0.9 + (1 - DEFENSIVE) * (cdf(0.9) - cdf(-0.9))
    assert abs(np.mean(np.abs(U[:, 2]) < 0.9) - expected) <= 4 * np.sqrt(expected / U.shape[0])


def test_rows_are_reproducible_and_use_each_tilt():
    theta = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, -50.0]])
    U1, w1 = sample_tilted_rows(theta, 200, NORM_L1, 5)
    U2, w2 = sample_tilted_rows(theta, 200, NORM_L1, 5)
    np.testing.assert_array_equal(U1, U2)
    np.testing.assert_array_equal(w1, w2)
    assert U1[1, :, 0].mean() > 0.5 and U1[2, :, 1].mean() < -0.5  # toward the tilted vertex
    assert abs(U1[0, :, 0].mean()) < 0.1


def _point_by_point(V, counts, seeds, draw, out):
    """Row by row: ``out[j] = draw(V[j], i)`` for the rows of point ``i``, seeded as the kernels."""
    seed_numba(7)
    r = 0
    for i, m in enumerate(counts):
        if len(seeds):
            seed_numba(seeds[i])
        for j in range(r, r + m):
            out[j] = draw(V[j], i) or 0.0
        r += m


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
@pytest.mark.parametrize("seeded", [False, True])
def test_point_kernels_make_the_draws_of_the_one_point_sampler(code, seeded):
    """``fill_tilted_points_*`` (one kernel per ball, the MLP's batch sampler) draw, point after
    point, exactly what :func:`fill_tilted` draws row by row, reseeding per point when seeds are
    given; the uniform ``fill_unit_ball_points`` likewise matches ``fill_unit_ball``."""
    fill = {NORM_INF: fill_tilted_points_linf, NORM_L2: fill_tilted_points_l2, NORM_L1: fill_tilted_points_l1}[code]
    rng = np.random.RandomState(3)
    counts = np.array([3, 0, 2, 4], dtype=np.int64)
    tilts = rng.randn(4, 5) * np.array([[2.0], [1.0], [0.0], [30.0]])
    seeds = np.array([11, 12, 13, 14], dtype=np.int64) if seeded else np.empty(0, dtype=np.int64)
    U, log_w = np.zeros((9, 5)), np.zeros(9)
    V, uniform = np.zeros((9, 5)), np.zeros((9, 5))
    seed_numba(7)
    fill(U, counts, tilts, seeds, log_w)
    seed_numba(7)
    fill_unit_ball_points(uniform, counts, seeds, code)
    expected_w = np.zeros(9)
    _point_by_point(V, counts, seeds, lambda row, i: fill_tilted(row, tilts[i], code), expected_w)
    assert np.array_equal(U, V)
    np.testing.assert_allclose(log_w, expected_w, rtol=1e-13, atol=1e-13)  # l_∞: sums regrouped
    _point_by_point(V, counts, seeds, lambda row, i: fill_unit_ball(row, code), np.zeros(9))
    assert np.array_equal(uniform, V)
    assert np.all(lp_norm(uniform, code) <= 1.0) and np.all(lp_norm(U, code) <= 1.0 + 1e-12)
