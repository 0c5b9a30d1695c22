"""Score grid (tabulate-and-interpolate) of the binary entropic margin loss."""

import numpy as np
import pytest
from scipy.interpolate import CubicHermiteSpline

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic.linear_model._objective import CROSS, CUBE, cross_law, cube_law, linear_objective, make_inner_rule
from skentropic.linear_model._quadrature import (
    bulk_half_width,
    entropic_margin_l2,
    entropic_margin_l2_second,
    log_sphere_normaliser,
)
from skentropic.linear_model._score_grid import _atom_node, build_grid, interpolate_grid

BINARY = [LOGISTIC, HINGE, SQUARED_HINGE]


def _np_phi(z, loss):
    if loss == LOGISTIC:
        return np.logaddexp(0, -z)
    g = np.maximum(0, 1 - z)
    return g if loss == HINGE else g * g


def _np_atom_pi(s, shift, log_w, eta):
    v = log_w + _np_phi(s + shift, LOGISTIC) / eta
    pi = np.exp(v - v.max())
    return pi / pi.sum()


def _np_atom_f(s, shift, log_w, eta):
    v = log_w + _np_phi(s + shift, LOGISTIC) / eta
    top = v.max()
    return eta * (top + np.log(np.sum(np.exp(v - top))))


def _np_psi(s, shift, log_w, eta):
    return _np_atom_pi(s, shift, log_w, eta) * (-1.0 / (1.0 + np.exp(s + shift)))


def test_atom_node_matches_numpy_reference():
    rng = np.random.RandomState(0)
    shift = rng.randn(32)
    log_w = rng.randn(32)
    log_w -= np.log(np.sum(np.exp(log_w)))  # non-uniform weights summing to one
    out = np.empty(5)
    psi, dpsi, pi, dpi = (np.empty(32) for _ in range(4))
    h = 1e-5
    for s, scale, eta in [(0.3, 0.5, 0.1), (-2.0, 1.0, 0.01), (1.5, 0.2, 3.0)]:
        sh = scale * shift
        _atom_node(s, sh, log_w, eta, LOGISTIC, out, psi, dpsi, pi, dpi)
        f = lambda t: _np_atom_f(t, sh, log_w, eta)  # noqa: E731
        assert out[0] == pytest.approx(f(s), rel=1e-13)
        assert out[1] == pytest.approx((f(s + h) - f(s - h)) / (2 * h), rel=1e-6, abs=1e-9)
        plus, minus = np.empty(5), np.empty(5)
        _atom_node(s + h, sh, log_w, eta, LOGISTIC, plus, *(np.empty(32) for _ in range(4)))
        _atom_node(s - h, sh, log_w, eta, LOGISTIC, minus, *(np.empty(32) for _ in range(4)))
        assert out[2] == pytest.approx((plus[1] - minus[1]) / (2 * h), rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(psi, _np_psi(s, sh, log_w, eta), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(pi, _np_atom_pi(s, sh, log_w, eta), rtol=1e-12, atol=1e-15)
        fd = (_np_psi(s + h, sh, log_w, eta) - _np_psi(s - h, sh, log_w, eta)) / (2 * h)
        np.testing.assert_allclose(dpsi, fd, rtol=1e-5, atol=1e-8)
        fd = (_np_atom_pi(s + h, sh, log_w, eta) - _np_atom_pi(s - h, sh, log_w, eta)) / (2 * h)
        np.testing.assert_allclose(dpi, fd, rtol=1e-5, atol=1e-8)
        assert psi.sum() == pytest.approx(out[1], rel=1e-13)


@pytest.mark.parametrize("loss", BINARY)
def test_l2_second_derivatives_match_finite_differences(loss):
    x, w = np.polynomial.legendre.leggauss(32)
    h = 1e-5
    for d, eta, s, r in [(5, 0.1, 0.3, 2.0), (30, 0.5, 0.2, 1.0), (200, 0.01, -1.0, 3.0), (3, 0.05, 0.5, 1.0)]:
        args = (eta, float(d), loss, log_sphere_normaliser(d), bulk_half_width(d), x, w, np.empty(16 * 32))
        out = np.empty(5)
        entropic_margin_l2_second(s, r, *args, out)
        direct = entropic_margin_l2(s, r, *args)
        assert (out[0], out[1], out[3]) == pytest.approx(direct, rel=1e-13, abs=1e-15)
        plus, minus = entropic_margin_l2(s + h, r, *args), entropic_margin_l2(s - h, r, *args)
        assert out[2] == pytest.approx((plus[1] - minus[1]) / (2 * h), rel=1e-5, abs=1e-8)
        assert out[4] == pytest.approx((plus[2] - minus[2]) / (2 * h), rel=1e-5, abs=1e-8)


def test_interpolation_matches_scipy_hermite_and_spread_weights():
    rng = np.random.RandomState(1)
    svals = np.sort(np.concatenate([[-2.0, 3.0], rng.uniform(-2, 3, 20)]))
    scal = rng.randn(svals.shape[0], 5)
    scores = rng.uniform(-2, 3, 500)
    sw = rng.rand(500)
    v, ds, dr, spread = np.empty(500), np.empty(500), np.empty(500), np.empty((svals.shape[0], 2))
    interpolate_grid(scores, sw, svals, scal, v, ds, dr, spread)
    for got, (a, b) in [(v, (0, 1)), (ds, (1, 2)), (dr, (3, 4))]:
        ref = CubicHermiteSpline(svals, scal[:, a], scal[:, b])(scores)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    g, dg = rng.randn(svals.shape[0]), rng.randn(svals.shape[0])  # any interpolated function
    expected = sw @ CubicHermiteSpline(svals, g, dg)(scores)
    assert spread[:, 0] @ g + spread[:, 1] @ dg == pytest.approx(expected, rel=1e-12)


def _problem(n, d=5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.where(rng.rand(n) < 0.5, -1.0, 1.0)
    return X, y, rng.rand(n) / n * 2, rng.randn(1, d) * 0.7, np.array([0.2])


def _uses_grid(W, b, X, y, rho, eta, norm, loss, rule):
    s = y * (X @ W[0] + b[0])
    if norm == NORM_L2:
        return build_grid(s, quadrature=True, r=rho * np.linalg.norm(W), eta=eta, d=X.shape[1], loss_code=loss,
                          log_z=rule.log_z, bulk=rule.bulk, nodes=rule.nodes, weights=rule.weights) is not None
    if rule.kind == CUBE:
        t, log_w = cube_law(W[0], rho, eta, loss, float(np.abs(s).max()))[:2]
        shift = -t
    elif rule.kind == CROSS:
        t, log_w = cross_law(W[0], rho, eta, loss, float(np.abs(s).max()))[:2]
        shift = -t
    else:
        shift, log_w = rho * (rule.samples @ W[0]), np.full(rule.samples.shape[0], -np.log(rule.samples.shape[0]))
    return loss == LOGISTIC and build_grid(s, quadrature=False, r=0.0, eta=eta, d=0.0, loss_code=loss,
                                           shift=shift, log_w=log_w) is not None


@pytest.mark.parametrize("loss", BINARY)
@pytest.mark.parametrize("norm", [NORM_L2, NORM_INF, NORM_L1])
def test_grid_objective_matches_direct_evaluation(norm, loss):
    X, y, sw, W, b = _problem(10000)
    rule = make_inner_rule(norm, X.shape[1], loss, n_inner_samples=64, seed=2)
    for eta in [1e-4, 1e-2, 1.0, 100.0]:
        grid = linear_objective(W, b, X, y, sw, 0.3, eta, norm, loss, rule)
        direct = linear_objective(W, b, X, y, sw, 0.3, eta, norm, loss, rule, score_grid=False)
        used = _uses_grid(W, b, X, y, 0.3, eta, norm, loss, rule)
        # the grid is used for the l2 quadrature and the logistic atom rules; else the same code runs
        assert used == (norm == NORM_L2 or loss == LOGISTIC)
        assert grid[0] == pytest.approx(direct[0], rel=1e-9)
        g1, g0 = np.r_[grid[1].ravel(), grid[2]], np.r_[direct[1].ravel(), direct[2]]
        assert np.linalg.norm(g1 - g0) <= 1e-9 * np.linalg.norm(g0)
        if not used:
            assert grid[0] == direct[0] and np.array_equal(g1, g0)


def test_grid_is_reproducible_and_skipped_for_small_problems():
    X, y, sw, W, b = _problem(10000)
    rule = make_inner_rule(NORM_INF, X.shape[1], LOGISTIC, n_inner_samples=32, uniform=True)
    assert _uses_grid(W, b, X, y, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
    a = linear_objective(W, b, X, y, sw, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
    c = linear_objective(W, b, X, y, sw, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
    assert a[0] == c[0] and np.array_equal(a[1], c[1]) and np.array_equal(a[2], c[2])
    s = y[:500] * (X[:500] @ W[0] + b[0])
    assert build_grid(s, quadrature=False, r=0.0, eta=0.05, d=0.0, loss_code=LOGISTIC,
                      shift=0.3 * (rule.samples @ W[0]), log_w=np.full(32, -np.log(32))) is None


@pytest.mark.parametrize("intercept", [0.0, 0.4])
def test_grid_at_zero_weights_matches_direct_evaluation(intercept):
    # w = 0 (the L-BFGS start): one or two distinct scores, f = φ and the perturbation part vanishes
    X, y, sw, _, _ = _problem(10000)
    W, b = np.zeros((1, X.shape[1])), np.array([intercept])
    rule = make_inner_rule(NORM_INF, X.shape[1], LOGISTIC, n_inner_samples=32, uniform=True)
    assert _uses_grid(W, b, X, y, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
    grid = linear_objective(W, b, X, y, sw, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
    direct = linear_objective(W, b, X, y, sw, 0.3, 0.05, NORM_INF, LOGISTIC, rule, score_grid=False)
    assert grid[0] == pytest.approx(direct[0], rel=1e-12)
    np.testing.assert_allclose(grid[2], direct[2], rtol=1e-12)
    np.testing.assert_allclose(grid[1], direct[1], atol=1e-15)
