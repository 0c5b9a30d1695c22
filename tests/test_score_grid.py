"""Score grid (tabulate-and-interpolate) of the binary entropic margin loss."""

import numpy as np
import pytest
from numpy.polynomial import chebyshev as C

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic.linear_model._law_margins import cross_law, cube_law
from skentropic.linear_model._objective import CROSS, CUBE, linear_objective, make_inner_rule
from skentropic.linear_model._quadrature import (
    bulk_half_width,
    entropic_margin_l2,
    entropic_margin_l2_batch,
    log_sphere_normaliser,
)
from skentropic.linear_model._score_grid import (
    _COEF,
    _DEGREE,
    _MAX_SPLIT,
    atom_margin,
    atom_nodes,
    bin_index,
    build_grid,
    derivative_coefficients,
    interpolate_grid,
    l2_margin,
    split_factor,
)

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


def test_atom_nodes_match_numpy_reference():
    rng = np.random.RandomState(0)
    shift = rng.randn(32)
    log_w = rng.randn(32)
    log_w -= np.log(np.sum(np.exp(log_w)))  # non-uniform weights summing to one
    svals = np.array([0.3, -2.0, 1.5, 40.0])
    for scale, eta in [(0.5, 0.1), (1.0, 0.01), (0.2, 3.0), (3.0, 1e-6)]:
        sh = scale * shift
        f, psi, pi = np.empty(4), np.empty((4, 32)), np.empty((4, 32))
        atom_nodes(svals, sh, log_w, eta, LOGISTIC, f, psi, pi)
        for k, s in enumerate(svals):
            assert f[k] == pytest.approx(_np_atom_f(s, sh, log_w, eta), rel=1e-13)
            np.testing.assert_allclose(pi[k], _np_atom_pi(s, sh, log_w, eta), rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(psi[k], _np_psi(s, sh, log_w, eta), rtol=1e-12, atol=1e-300)


def test_l2_batch_matches_the_serial_rule():
    # the threaded kernel runs the serial one on chunks: the same values bit for bit
    x, w = np.polynomial.legendre.leggauss(32)
    d = 30
    svals = np.linspace(-3, 4, 3001)
    args = (1.5, 0.01, float(d), LOGISTIC, log_sphere_normaliser(d), bulk_half_width(d), x, w)
    serial, batch = [np.empty((3, svals.shape[0])) for _ in range(2)]
    entropic_margin_l2(svals, *args, *serial)
    entropic_margin_l2_batch(svals, *args, *batch)
    np.testing.assert_array_equal(serial, batch)
    one = np.empty(3)
    entropic_margin_l2(svals[7:8], *args, one[0:1], one[1:2], one[2:3])
    np.testing.assert_array_equal(one, serial[:, 7])


def test_interpolation_matches_numpy_chebyshev_and_spread_weights():
    rng = np.random.RandomState(1)
    edges = np.array([-2.0, -0.5, 0.0, 1.2, 3.0])
    direct = np.array([False, True, False, False])
    coef_f, coef_r = rng.randn(4, _DEGREE + 1), rng.randn(4, _DEGREE + 1)
    scores = np.r_[rng.uniform(-2, 3, 500), edges]
    sw = rng.rand(scores.shape[0])
    n = scores.shape[0]
    v, ds, dr, idx = np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    moments = np.empty((4, _DEGREE + 1))
    coef_d = derivative_coefficients(coef_f @ np.linalg.inv(_COEF).T, edges)  # (from the node values)
    count = interpolate_grid(scores, sw, edges, coef_f, coef_d, coef_r, direct, v, ds, dr, moments, idx)
    # without coef_r's rows dr is left alone, without moments' rows the moments; the rest the same
    v1, ds1, dr1 = np.empty(n), np.empty(n), np.full(n, 7.0)
    assert interpolate_grid(scores, sw, edges, coef_f, coef_d, np.empty((0, _DEGREE + 1)), direct, v1, ds1, dr1,
                            np.empty((0, _DEGREE + 1)), idx) == count
    assert np.all(dr1 == 7.0)
    piece = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, 3)
    np.testing.assert_array_equal(v1[~direct[piece]], v[~direct[piece]])
    np.testing.assert_array_equal(ds1[~direct[piece]], ds[~direct[piece]])
    np.testing.assert_array_equal(idx[:count], np.flatnonzero(direct[piece]))
    g = rng.randn(4, _DEGREE + 1)  # any tabulated function's node values
    expected = 0.0
    for i in np.flatnonzero(~direct[piece]):
        p = piece[i]
        a, b = edges[p], edges[p + 1]
        x = (2 * scores[i] - a - b) / (b - a)
        assert v[i] == pytest.approx(C.chebval(x, coef_f[p]), rel=1e-12, abs=1e-12)
        assert ds[i] == pytest.approx(C.chebval(x, C.chebder(coef_f[p])) * 2 / (b - a), rel=1e-11, abs=1e-11)
        assert dr[i] == pytest.approx(C.chebval(x, coef_r[p]), rel=1e-12, abs=1e-12)
        expected += sw[i] * C.chebval(x, _COEF @ g[p])  # the interpolant of g through the nodes
    # node weights: sum_i sw_i P g(s_i) = sum_k spread_k g(s_k)
    assert (moments @ _COEF).ravel() @ g.ravel() == pytest.approx(expected, rel=1e-12)


def test_coefficients_interpolate_at_the_lobatto_points():
    rng = np.random.RandomState(2)
    values = rng.randn(_DEGREE + 1)
    x = np.cos(np.pi * np.arange(_DEGREE + 1) / _DEGREE)
    np.testing.assert_allclose(C.chebval(x, _COEF @ values), values, atol=1e-13)
    np.testing.assert_allclose(_COEF @ C.chebvander(x, _DEGREE).T, np.eye(_DEGREE + 1), atol=1e-13)


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
    s = y[:100] * (X[:100] @ W[0] + b[0])
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
    # the slope is the derivative of a degree-16 interpolant on a piece of width 0.2 here: its
    # rounding error is about (2/h) 16^2 eps |f| ~ 1e-12 relative
    np.testing.assert_allclose(grid[2], direct[2], rtol=1e-10)
    np.testing.assert_allclose(grid[1], direct[1], atol=1e-15)


def _pointwise(quadrature, loss, eta, n=4000, d=64, seed=3):
    """Grid and direct ``(F_i, ∂F_i/∂s_i, third)`` for spread scores; ``third`` is ``f_r`` or the adjoints."""
    rng = np.random.RandomState(seed)
    scores = rng.standard_cauchy(n).clip(-30, 30)
    sw = rng.rand(n)
    out = []
    if quadrature:
        x, w = np.polynomial.legendre.leggauss(32)
        args = (2.0, eta, d, loss, log_sphere_normaliser(d), bulk_half_width(d), x, w)
        for use in (True, False):
            v, ds, dr = np.empty(n), np.empty(n), np.empty(n)
            l2_margin(scores, sw, *args, v, ds, dr, use)
            out.append((v, ds, dr))
        grid = build_grid(scores, quadrature=True, r=2.0, eta=eta, d=d, loss_code=loss, log_z=args[4],
                          bulk=args[5], nodes=x, weights=w)
    else:
        shift = 1.5 * rng.randn(200)
        log_w = rng.randn(200)
        log_w -= np.log(np.sum(np.exp(log_w)))
        for use in (True, False):
            v, ds = np.empty(n), np.empty(n)
            adj = atom_margin(scores, sw, shift, log_w, eta, loss, False, v, ds, use)
            out.append((v, ds, np.r_[adj]))
        grid = build_grid(scores, quadrature=False, r=0.0, eta=eta, d=0.0, loss_code=loss, shift=shift,
                          log_w=log_w)
    return out, grid


@pytest.mark.parametrize("eta", [1e-4, 1e-2, 1.0, 100.0])
@pytest.mark.parametrize("quadrature,loss", [(True, LOGISTIC), (True, HINGE), (True, SQUARED_HINGE),
                                             (False, LOGISTIC)])
def test_every_point_is_within_the_tolerance(quadrature, loss, eta):
    # the tail test accepts a piece at 1e-10, so the values are that accurate at every point.
    # The slope is the derivative of the interpolant: the l2 quadrature's values carry
    # non-smooth errors of about 1e-10 where its integration window changes shape, and a
    # derivative multiplies them by up to 2 * 16^2 / h (measured: 1e-6 next to s = r at eta =
    # 0.01), so slopes are held to 1e-5 per point; the aggregate gradient (the test above) to 1e-9
    (grid, direct), g = _pointwise(quadrature, loss, eta)
    assert g is not None and (~g[1]).sum() > 0  # some pieces are tabulated
    v, v0 = grid[0], direct[0]
    assert np.all(np.abs(v - v0) <= 1e-9 * (1.0 + np.abs(v0)))
    assert np.all(np.abs(grid[1] - direct[1]) <= 1e-5 * (1.0 + np.abs(direct[1])))
    assert np.allclose(grid[2], direct[2], rtol=1e-7, atol=1e-7 * np.abs(direct[2]).max())


def test_unresolved_pieces_are_evaluated_directly():
    # the l2 hinge in d = 1 has a kink in f_s for eta -> 0: the pieces around it are not
    # resolved, their points are evaluated directly (exactly the direct values)
    (grid, direct), g = _pointwise(True, HINGE, 1e-6, d=1)
    edges, flags = g[0], g[1]
    assert flags.any() and (~flags).any()
    rng = np.random.RandomState(3)
    scores = rng.standard_cauchy(4000).clip(-30, 30)
    inside = flags[np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, flags.shape[0] - 1)]
    assert inside.any()
    for a, b in zip(grid, direct):
        np.testing.assert_array_equal(a[inside], b[inside])
        assert np.all(np.abs(a - b) <= 1e-7 * (1.0 + np.abs(b)))


def test_split_factor_follows_the_tail():
    # the tail of a degree-16 interpolant shrinks like width**16 where the function has a scale of
    # its own: an excess of 1e8 asks for 10**0.5 -> 4 parts; at least 2, at most 8, and 2 where
    # the tail is not finite
    excess = np.array([0.5, 10 ** 4.8, 1e8, 1e40, np.inf, np.nan])
    np.testing.assert_array_equal([split_factor(e) for e in excess], [2, 2, 4, _MAX_SPLIT, 2, 2])


def test_grid_costs_at_most_the_points():
    # a hard function (atoms of width eta = 1e-6) on few points: the node budget is n
    rng = np.random.RandomState(4)
    scores = rng.randn(300)
    shift = rng.randn(50)
    g = build_grid(scores, quadrature=False, r=0.0, eta=1e-6, d=0.0, loss_code=LOGISTIC, shift=shift,
                   log_w=np.full(50, -np.log(50)))
    assert g is not None
    assert (~g[1]).sum() * (_DEGREE + 1) <= scores.shape[0]


def test_direct_points_of_an_atom_grid_match_the_point_kernel(monkeypatch):
    # Cauchy scores: pieces holding a few far points are not resolved and go through the direct
    # path, which for fewer than _SERIAL_ATOM_POINTS points is the serial node kernel with the
    # adjoints summed in NumPy, and margin_atoms otherwise: both give the same values and adjoints
    from skentropic.linear_model import _score_grid

    rng = np.random.RandomState(0)
    shift, log_w = 1.5 * rng.randn(200), rng.randn(200)
    log_w -= np.log(np.sum(np.exp(log_w)))
    scores, sw = rng.standard_cauchy(600).clip(-30, 30), rng.rand(600)
    grid = build_grid(scores, quadrature=False, r=0.0, eta=1e-3, d=0.0, loss_code=LOGISTIC, shift=shift,
                      log_w=log_w)
    assert grid is not None and grid[1].any()
    out = []
    for limit in (_score_grid._SERIAL_ATOM_POINTS, 0):
        monkeypatch.setattr(_score_grid, "_SERIAL_ATOM_POINTS", limit)
        v, ds = np.empty(600), np.empty(600)
        adj = atom_margin(scores, sw, shift, log_w, 1e-3, LOGISTIC, False, v, ds, True)
        out.append((v, ds, *adj))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14 * np.abs(b).max())


@pytest.mark.parametrize("d", [5, 64])
@pytest.mark.parametrize("norm", [NORM_L2, NORM_INF, NORM_L1])
def test_fit_on_the_grid_reaches_the_direct_fit(norm, d, monkeypatch):
    """The grid tests only f's tail (f_r's too for the hinge): the gradient is that of the
    computed objective, so L-BFGS takes the same path to the same minimum as with every point
    evaluated directly."""
    from skentropic.linear_model import _lbfgs
    from skentropic.linear_model._lbfgs import fit_lbfgs

    X, y, sw, W, b = _problem(1500, d)
    n = X.shape[0]
    rule = make_inner_rule(norm, d, LOGISTIC)
    results = {}
    for grid in (True, False):
        monkeypatch.setattr(_lbfgs, "linear_objective",
                            lambda *args, grid=grid, **kw: linear_objective(*args, **kw, score_grid=grid))
        for eta in [0.01, 1e-3]:
            coef, intercept, n_iter, _ = fit_lbfgs(
                X, y, sw, rho=0.1, eta=eta, norm_code=norm, loss_code=LOGISTIC, alpha=1.0 / n, fit_intercept=True,
                coef_init=np.zeros((1, d)), intercept_init=np.zeros(1), max_iter=500, tol=1e-6, rule=rule)
            value = linear_objective(coef, intercept, X, y, sw, 0.1, eta, norm, LOGISTIC, rule, score_grid=False)[0]
            results[grid, eta] = value + 0.5 / n * float(np.sum(coef**2)), n_iter
    for eta in [0.01, 1e-3]:
        assert results[True, eta][0] == pytest.approx(results[False, eta][0], rel=1e-9), eta
        assert abs(results[True, eta][1] - results[False, eta][1]) <= 2, eta


@pytest.mark.parametrize("case,eta,loss,cauchy,budget", [
    ("atoms", 1e-2, LOGISTIC, False, False),
    ("atoms", 1e-3, LOGISTIC, True, False),
    ("atoms", 1.0, HINGE, False, True),  # 60 kinks on 1000 points: the node budget ends the cutting
    ("l2", 1e-3, LOGISTIC, True, False),
    ("l2", 1e-3, HINGE, True, False),  # (f_r's own tail test)
    ("l2", 1e-3, SQUARED_HINGE, False, False),
])
def test_grid_cutting_matches_numpy_reference(case, eta, loss, cauchy, budget):
    # the cutting (grid_level) against the level-by-level NumPy form (tests/_grid_reference.py), with
    # the same node kernels: the same pieces, direct flags and node values, bit for bit, through
    # several levels, pieces left direct (as many points as nodes) and the node budget
    from _grid_reference import reference_grid

    rng = np.random.RandomState(7)
    n = 1000 if budget else 3000
    scores = rng.standard_cauchy(n).clip(-40, 40) if cauchy else 2.0 * rng.randn(n)
    if case == "atoms":
        shift, log_w = 1.5 * rng.randn(60), rng.randn(60)
        log_w -= np.log(np.sum(np.exp(log_w)))
        grid = build_grid(scores, quadrature=False, r=0.0, eta=eta, d=0.0, loss_code=loss, shift=shift, log_w=log_w)
        want, paths = reference_grid(scores, False, shift=shift, log_w=log_w, eta=eta, loss=loss)
    else:
        d = 20
        x, w = np.polynomial.legendre.leggauss(32)
        args = (2.0, eta, float(d), loss, log_sphere_normaliser(d), bulk_half_width(d), x, w)
        grid = build_grid(scores, quadrature=True, r=2.0, eta=eta, d=d, loss_code=loss, log_z=args[4], bulk=args[5],
                          nodes=x, weights=w)
        want, paths = reference_grid(scores, True, l2_args=args, test_r=loss != LOGISTIC)
    assert paths["levels"] >= 2 and paths["direct"] >= 1 and paths["budget"] == budget
    for got, ref in zip(grid, want):
        np.testing.assert_array_equal(got, ref)


def test_bin_index_clamps_non_finite_positions():
    # a range of scores below _BINS / 1.8e308 makes the histogram's positions inf or nan
    positions = [np.nan, -np.inf, -3.0, 0.0, 0.5, 17.0, 4095.9, 4096.0, 1e300, np.inf]
    assert [bin_index(x) for x in positions] == [0, 0, 0, 0, 0, 17, 4095, 4096, 4096, 4096]
    assert [bin_index.py_func(x) for x in positions] == [bin_index(x) for x in positions]


@pytest.mark.filterwarnings("error")
def test_grid_of_a_subnormal_range_of_scores():
    # taken as one point: no overflow in the histogram's bins or the slopes
    scores = np.zeros(400)
    scores[::2] = 5e-324 * np.arange(200)  # the range is 199 subnormal steps: 4096 / range overflows
    assert 0 < np.ptp(scores) < 4096 / np.finfo(float).max
    shift, log_w = np.array([-1.0, 1.0]), np.log([0.5, 0.5])
    grid = build_grid(scores, quadrature=False, r=0.0, eta=1e-3, d=0.0, loss_code=LOGISTIC, shift=shift, log_w=log_w)
    v, ds = np.empty(400), np.empty(400)
    atom_margin(scores, np.full(400, 1 / 400), shift, log_w, 1e-3, LOGISTIC, False, v, ds, True)
    want = np.empty(400), np.empty((400, 2)), np.empty((400, 2))
    atom_nodes(scores, shift, log_w, 1e-3, LOGISTIC, *want)
    assert grid is not None and np.isfinite(grid[3]).all()
    np.testing.assert_allclose(v, want[0], rtol=1e-12)
    np.testing.assert_allclose(ds, want[1].sum(axis=1), rtol=1e-9)


@pytest.mark.parametrize("quadrature", [False, True])
def test_grid_does_not_depend_on_its_arrays_start_sizes(monkeypatch, quadrature):
    # the node slots and the pieces grow with the levels: from one slot and the first level's four
    # pieces (a growth at every level) the grid is the same, bit for bit
    from skentropic.linear_model import _score_grid

    rng = np.random.RandomState(5)
    scores = rng.standard_cauchy(2000).clip(-40, 40)
    x, w = np.polynomial.legendre.leggauss(32)
    shift, log_w = 1.5 * rng.randn(40), np.full(40, -np.log(40))
    kwargs = (dict(quadrature=True, r=2.0, eta=1e-3, d=20, loss_code=HINGE, log_z=log_sphere_normaliser(20),
                   bulk=bulk_half_width(20), nodes=x, weights=w) if quadrature else
              dict(quadrature=False, r=0.0, eta=1e-3, d=0.0, loss_code=LOGISTIC, shift=shift, log_w=log_w))
    want = build_grid(scores, **kwargs)
    monkeypatch.setattr(_score_grid, "_START_SLOTS", 1)
    monkeypatch.setattr(_score_grid, "_START_PIECES", 4)
    got = build_grid(scores, **kwargs)
    assert len(want[0]) > 8 and want[1].any()
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
