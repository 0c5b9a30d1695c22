"""The l1 and l2 tilted proposals drawn in NumPy from per-point streams (``_core._tilted_vectorised``)
against the numba samplers they stand in for and against exact moment generating functions."""

import numpy as np
import pytest
from scipy.special import logsumexp

from skentropic._core._mgf import log_mgf_l2
from skentropic._core._norms import NORM_L1, NORM_L2
from skentropic._core._tilted import sample_tilted_rows, tilted_log_weight
from skentropic._core._tilted_vectorised import draw_tilted_l1_seeded, draw_tilted_l2_seeded

DRAW = {NORM_L1: draw_tilted_l1_seeded, NORM_L2: draw_tilted_l2_seeded}
P = {NORM_L1: 1, NORM_L2: 2}


def _thetas(d, seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([np.zeros(d), 2.0 * rng.standard_normal(d),
                      np.r_[30.0, -2.0, 0.0, 1e-14, 0.4, np.zeros(d - 5)]])


def _draw(norm, theta, m, seeds):
    n, d = theta.shape
    U, log_w = np.empty((n * m, d)), np.empty(n * m)
    DRAW[norm](U, m, theta, np.asarray(seeds, dtype=np.int64), log_w)
    return U.reshape(n, m, d), log_w.reshape(n, m)


def _log_mgf(U, log_w, a):
    """``log E_p e^{a·u}`` by the weights, and its delta-method standard error."""
    terms = log_w + U @ a
    estimate = logsumexp(terms) - np.log(terms.size)
    return estimate, np.exp(terms - estimate).std() / np.sqrt(terms.size)


@pytest.mark.parametrize("norm", [NORM_L1, NORM_L2])
@pytest.mark.parametrize("d", [5, 6])
def test_draws_are_in_the_ball_with_the_kernel_weights(norm, d):
    theta = _thetas(d)
    U, log_w = _draw(norm, theta, 3000, [1, 2, 3])
    assert np.all(np.linalg.norm(U, ord=P[norm], axis=2) <= 1.0 + 1e-12)
    np.testing.assert_array_equal(log_w[0], 0.0)  # no tilt: the uniform law, weight 1
    for i in range(3):
        for j in range(0, 3000, 97):
            ref = tilted_log_weight(U[i, j], theta[i], norm)
            assert log_w[i, j] == pytest.approx(ref, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("d", [5, 6])
def test_l2_weights_reproduce_the_exact_mgf(d):
    """``E_p e^{a·u}`` on the l2 ball has a closed form (``_mgf.log_mgf_l2``): 4 standard errors,
    for a weakly and a strongly tilted proposal (even and odd ``d``: the normals' last pair)."""
    theta = _thetas(d, seed=d)
    U, log_w = _draw(NORM_L2, theta, 200_000, [7, 8, 9])
    for i in (1, 2):
        a = 0.5 * theta[i] + 1.0
        estimate, se = _log_mgf(U[i], log_w[i], a)
        exact = float(np.ravel(log_mgf_l2(np.array([np.linalg.norm(a)]), d))[0])
        assert abs(estimate - exact) <= 4 * se


@pytest.mark.parametrize("d", [5, 6])
def test_l1_law_matches_the_kernel(d):
    """No closed form on the l1 ball: the MGF by the weights and the proposal's own mean agree
    with the numba sampler's (independent draws; 4 combined standard errors)."""
    theta = _thetas(d, seed=d)
    U, log_w = _draw(NORM_L1, theta, 200_000, [7, 8, 9])
    Uk, log_wk = sample_tilted_rows(theta, 200_000, NORM_L1, 11)
    for i in (1, 2):
        a = 0.5 * theta[i] + 1.0
        (e1, s1), (e2, s2) = _log_mgf(U[i], log_w[i], a), _log_mgf(Uk[i], log_wk[i], a)
        assert abs(e1 - e2) <= 4 * np.hypot(s1, s2)
        se = np.hypot(U[i].std(axis=0), Uk[i].std(axis=0)) / np.sqrt(200_000)
        assert np.all(np.abs(U[i].mean(axis=0) - Uk[i].mean(axis=0)) <= 4 * se)


@pytest.mark.parametrize("norm", [NORM_L1, NORM_L2])
def test_a_points_draws_depend_on_its_seed_only(norm):
    theta = _thetas(6)
    U, log_w = _draw(norm, theta, 50, [4, 5, 6])
    alone_U, alone_w = _draw(norm, theta[2:], 50, [6])
    np.testing.assert_array_equal(alone_U[0], U[2])
    np.testing.assert_array_equal(alone_w[0], log_w[2])
    again = _draw(norm, theta, 50, [4, 5, 6])
    assert np.array_equal(again[0], U) and np.array_equal(again[1], log_w)


def test_l2_in_one_dimension_is_the_exact_tilt():
    theta = np.array([[0.0], [2.5], [-40.0]])
    U, log_w = _draw(NORM_L2, theta, 2000, [1, 2, 3])
    assert np.all(np.abs(U) <= 1.0)
    for i in range(3):
        for j in range(0, 2000, 101):
            assert log_w[i, j] == pytest.approx(tilted_log_weight(U[i, j], theta[i], NORM_L2), rel=1e-12, abs=1e-12)
