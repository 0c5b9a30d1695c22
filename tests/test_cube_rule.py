"""The exact l-inf rule for binary linear models (skentropic.linear_model._cube_rule).

References that share nothing with the rule (tests/_references.py): the closed form of a loss
linear in the score, the exact piecewise-polynomial density of T = Σ a_k u_k (d <= 8) with
adaptive Gauss–Legendre, tilted importance sampling of the cube, and the density obtained by
inverting the characteristic function at the saddle point.
"""

import math

import numpy as np
import pytest
from _references import (
    fourier_bulk_value,
    gradient_errors,
    hinge_conditional_mc,
    linear_exact,
    linear_problem,
    phi,
    spline_pdf_vec,
    spline_quad,
    split_quad,
    tilted_is,
)
from _rule_values import rule_value

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_INF
from skentropic._core._sinhc import N_DERIV, cube_cumulants, log_sinhc_derivatives
from skentropic.linear_model._chunks import PARALLEL_WORK
from skentropic.linear_model._cube_density import (
    _spline_terms,
    _table_terms,
    spline_corners,
    spline_prefix,
    spline_table,
)
from skentropic.linear_model._cube_gradient import (
    cube_atoms_gradient,
    cube_atoms_gradient_parallel,
    spline_atoms_gradient,
)
from skentropic.linear_model._cube_rule import _atom_cumulants, cube_atoms, cube_atoms_parallel, suffix_power_sums
from skentropic.linear_model._law_margins import cube_law
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective


def _weights(d, kind, total, seed=0):
    rng = np.random.default_rng(seed + d)
    w = rng.standard_normal(d) if kind == "gauss" else rng.standard_cauchy(d)
    return np.abs(w) / np.abs(w).sum() * total


def _value(s, a, eta, loss):
    return rule_value(cube_law, s, a, eta, loss)


def test_log_sinhc_derivatives_match_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    out = np.empty(N_DERIV)
    g = lambda t: mp.log(mp.sinh(t) / t)  # noqa: E731
    for x in [1e-9, 0.1, 0.2499, 0.25, 0.4999, 0.5, 0.9, 1.0, 3.0, 29.9, 30.1, 200.0]:
        log_sinhc_derivatives(x, out)
        for j in range(N_DERIV):
            ref = float(mp.diff(g, mp.mpf(x), j))
            tol = 1e-13 if j < 3 else 1e-11
            assert out[j] == pytest.approx(ref, rel=tol, abs=1e-300), (x, j)


@pytest.mark.parametrize("d", [1, 2, 3, 6])
def test_spline_terms_match_numpy(d):
    rng = np.random.default_rng(d)
    a = rng.uniform(0.1, 1.0, d)
    out = np.empty(2 + d)
    norm = np.prod(2 * a) * np.prod(np.arange(1, d))
    for t in rng.uniform(-a.sum(), a.sum(), 7):
        _spline_terms(t, *spline_corners(a), out)
        assert out[0] / norm == pytest.approx(spline_pdf_vec(np.array([t]), a)[0], rel=1e-12)
        if d >= 2:  # partial sums are the a-derivatives of S_{d-1} divided by (d - 1)
            h = 1e-6
            for k in range(d):
                e = np.zeros(d)
                e[k] = h
                plus, minus = np.empty(2 + d), np.empty(2 + d)
                _spline_terms(t, *spline_corners(a + e), plus)
                _spline_terms(t, *spline_corners(a - e), minus)
                assert (d - 1) * out[2 + k] == pytest.approx((plus[0] - minus[0]) / (2 * h), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("d", [1, 2, 3, 5, 8])
def test_spline_table_matches_the_direct_sums(d):
    """The sums as polynomials between the corners (the hybrid density's nodes) against the sums
    over the corners, to the rounding of the terms, ties included; the density against NumPy."""
    rng = np.random.default_rng(10 + d)
    for a in [rng.uniform(0.1, 2.0, d), np.exp(rng.normal(0.0, 0.7, d)), np.round(rng.uniform(0.5, 1.5, d), 1)]:
        a = np.sort(a)[::-1].copy()
        corners, signs, signed_eps = spline_corners(a)
        table = spline_table(corners, signs, signed_eps)
        assert table.shape[0] == np.count_nonzero(corners > 0.0)
        norm = np.prod(2 * a) * np.prod(np.arange(1, d))
        for t in np.concatenate([rng.uniform(-1.1 * a.sum(), 1.1 * a.sum(), 40), corners[:5], [0.0]]):
            direct, got = np.empty(2 + d), np.empty(2 + d)
            _spline_terms(t, corners, signs, signed_eps, direct)
            _table_terms(t, corners, table, d, got)
            x = np.maximum(corners - abs(t), 0.0)
            scale = np.sum(x ** max(d - 2, 0) * np.maximum(x, 1.0))  # the terms' size
            np.testing.assert_allclose(got, direct, rtol=0, atol=1e-13 * max(scale, 1.0))
            if direct[0] > 1e-8 * scale:
                assert got[0] / norm == pytest.approx(spline_pdf_vec(np.array([t]), a)[0], rel=1e-9)


@pytest.mark.parametrize("d", [2, 8, 64, 784])
@pytest.mark.parametrize("kind", ["gauss", "heavy"])
def test_linear_loss_has_the_closed_form(d, kind):
    """η log E exp(T/η) = η Σ_k log(sinh(a_k/η)/(a_k/η)) exactly: the rule's atoms reproduce it."""
    for total in [0.5, 10.0]:
        a = _weights(d, kind, total)
        for eta in [1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 100.0, 1e3]:
            assert _value(0.0, a, eta, "linear") == pytest.approx(linear_exact(a, eta), rel=1e-4)


# large coordinates beside tiny ones: the exact density's terms cancel by up to 1e17 there
_DISPARATE = [
    (2.0, 1e-4, 1e-4, 1e-4),
    (2.0, 1e-6, 1e-6, 1e-6),
    (3.0, 1.0, 1e-7, 1e-7, 1e-7, 1e-7),
    (5.0,) + (1e-5,) * 9,
    (1.0,) + (1e-3,) * 15,
    (0.65, 0.047, 9.2e-5, 3e-6, 1e-6, 2e-8),
    (1.0, 1.0) + (1e-4,) * 62,
    (1.0, 0.5) + (1e-5,) * 782,
]


@pytest.mark.parametrize("a", _DISPARATE, ids=lambda a: f"d{len(a)}")
def test_disparate_weights_keep_the_closed_form(a):
    """Before the conditioned prefix (spline_prefix) these erred by 13-380% (the spline's
    cancellation); the floor ``1e-10 η`` is the rounding of ``η log(1 + T/η + ...)``."""
    a = np.array(a)
    for eta in [1e-4, 1e-2, 1.0, 100.0]:
        ref = linear_exact(a, eta)
        assert abs(_value(0.0, a, eta, "linear") - ref) <= 1e-4 * abs(ref) + 1e-10 * eta, eta


def test_spline_prefix_bounds_the_cancellation():
    rng = np.random.default_rng(0)
    assert spline_prefix(np.ones(10)) == 10
    assert spline_prefix(np.array([2.0, 1e-6, 1e-6, 1e-6])) == 1
    assert spline_prefix(np.array([2.0, 1e-4, 1e-4, 1e-4])) == 2
    for _ in range(50):
        a = np.sort(10 ** (-6 * rng.random(int(rng.integers(1, 11)))))[::-1]
        m = spline_prefix(a)
        prefix = a[:m]
        terms = (prefix.sum() ** (m - 1)) / (math.factorial(m - 1) * 2 ** m * np.prod(prefix))
        assert terms * 2 * a[0] <= 1e6 * (1 + 1e-9)
        if m < a.shape[0]:
            longer = a[:m + 1]
            assert (longer.sum() ** m) / (math.factorial(m) * 2 ** m * np.prod(longer)) * longer[0] > 1e6


@pytest.mark.parametrize("a", [(2.0, 1e-4, 1e-4, 1e-4), (1.0, 0.5) + (1e-5,) * 6, (1.0,) + (1e-3,) * 15],
                         ids=lambda a: f"d{len(a)}")
def test_disparate_weights_match_tilted_importance_sampling(a):
    a = np.array(a)
    for eta in [1e-3, 0.1, 1.0]:
        for s in [-1.0, 2.0]:
            ref, se = tilted_is(s, a, eta, "log", n_samples=100_000, seed=len(a))
            assert abs(_value(s, a, eta, "log") - ref) <= max(1e-4 * abs(ref), 4 * se), (eta, s, se)


@pytest.mark.parametrize("a, scores", [((2.0, 1e-4, 1e-4, 1e-4), (1.0, 2.0)), ((1.0, 0.5) + (1e-5,) * 6, (1.0, 2.0)),
                                       ((1.0, 0.8) + (1e-3,) * 30, (1.0, 2.0)), ((1.0,) + (1e-3,) * 15, (1.0,))],
                         ids=["d4", "d8", "d32", "d16"])
def test_disparate_weights_hinge_matches_conditional_sampling(a, scores):
    """The hinge's kink near the edge of a narrow law: tilted sampling's weights are heavy-tailed
    there (its standard error understates its error), sampling exact in the largest coordinate
    is not. At ``s = 2`` with ``a = (1, 1e-3 × 15)`` (F ~ 6e-7, the mass beyond
    ``T = 1``) the rule errs by 0.75%: the Edgeworth density of 16 saturated coordinates
    (module docstring)."""
    a = np.array(a)
    for eta in [1e-3, 0.1, 1.0]:
        for s in scores:
            ref, se = hinge_conditional_mc(s, a, eta, n_samples=500_000, seed=len(a))
            assert abs(_value(s, a, eta, "hinge") - ref) <= max(1e-4 * abs(ref), 4 * se), (eta, s, se)


# found by a random stress (2026-11-29; benchmarks/bench_cube_accuracy.py --steps): two large
# coordinates, ten of 0.016-0.032 and many tiny ones. The exact part's density has kinks near
# t = 1, the hinge's kink at s = 2, which the rest rounds off over its σ ≈ 0.026, under two atoms'
# steps: the hinge erred by 3.2e-4 and 3.9e-4 relative (η = 0.1, 1) before the finer steps of
# _cube_rule._ROUND_STEPS
_ROUNDED_KINKS = np.array([
    0.746, 0.287, 0.0316, 0.0282, 0.0246, 0.0218, 0.0213, 0.0206, 0.0182, 0.0165, 0.0162, 0.0118, 0.0116, 0.0105,
    0.00959, 0.00958, 0.00947, 0.00937, 0.00824, 0.00779, 0.00599, 0.0055, 0.00514, 0.00486, 0.0046, 0.00454,
    0.00448, 0.00389, 0.00353, 0.00326, 0.00323, 0.00284, 0.00281, 0.00226, 0.00199, 0.00182, 0.00163, 0.00162,
    0.00146, 0.00127, 0.0012, 0.00112, 0.00112, 0.00106, 0.00105, 0.0009, 0.000874, 0.000693, 0.000568, 0.0005,
    0.000457, 0.000456, 0.000384, 0.000369, 0.000334, 0.000325, 0.000317, 0.000255, 0.000245, 0.000239, 0.00022,
    0.000186, 0.000144, 0.000135])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("loss", ["hinge", "sqhinge"])
def test_hinge_beside_rounded_kinks_matches_the_split_reference(loss):
    """The hybrid density (8 coordinates exact, the rest Edgeworth) against the exact density
    of the two largest convolved with the inverted characteristic function of the rest."""
    for eta in [0.1, 1.0]:
        ref = split_quad(2.0, _ROUNDED_KINKS, eta, loss)
        assert _value(2.0, _ROUNDED_KINKS, eta, loss) == pytest.approx(ref, rel=1e-4), eta


@pytest.mark.parametrize("loss", [LOGISTIC, HINGE])
def test_gradient_with_disparate_weights_matches_finite_differences(loss):
    """A weight near zero among large ones (as when a coordinate changes sign during a fit)."""
    X, y, sw, W, b = linear_problem(6)
    W = np.array([[3.0, -1.5, 2e-7, 4e-6, -0.8, 1e-8]])
    rule = make_inner_rule(NORM_INF, 6, loss)
    f = lambda W, b: linear_objective(W, b, X, y, sw, 0.3, 0.05, NORM_INF, loss, rule)  # noqa: E731
    for analytic, fd in gradient_errors(f, W, b, [0, 1, 4]):
        assert analytic == pytest.approx(fd, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("d", [2, 8])
@pytest.mark.parametrize("loss", ["log", "hinge", "sqhinge"])
def test_small_d_matches_exact_density(d, loss):
    for kind, total in [("gauss", 1.0), ("heavy", 10.0)]:
        a = _weights(d, kind, total)
        for eta in [1e-4, 1e-3, 1e-2, 0.1, 1.0, 100.0]:
            for s in [-1.0, 0.5, 3.0]:
                ref = spline_quad(s, a, eta, loss)
                assert _value(s, a, eta, loss) == pytest.approx(ref, rel=1e-4), (kind, eta, s)


@pytest.mark.parametrize("d", [64, 784])
@pytest.mark.parametrize("loss", ["log", "hinge"])
def test_high_d_matches_tilted_importance_sampling(d, loss):
    """Small η: unbiased tilted sampling of the cube (its own error is reported and small)."""
    for kind, total in [("gauss", 1.0), ("heavy", 3.0)]:
        a = _weights(d, kind, total)
        for eta in [1e-4, 1e-3, 1e-2, 0.1]:
            for s in [-1.0, 2.0]:
                ref, se = tilted_is(s, a, eta, loss, n_samples=100_000, seed=d)
                assert abs(_value(s, a, eta, loss) - ref) <= max(1e-4 * abs(ref), 4 * se) + 1e-15, (kind, eta, s, se)


@pytest.mark.slow
@pytest.mark.parametrize("d", [64, 784])
def test_high_d_large_eta_matches_fourier_density(d):
    """Large η: the exact density by characteristic-function inversion, integrated over t."""
    for kind in ["gauss", "heavy"]:
        a = _weights(d, kind, 3.0)
        for eta, loss in [(1.0, "log"), (100.0, "hinge")]:
            ref = fourier_bulk_value(0.5, a, eta, loss)
            assert _value(0.5, a, eta, loss) == pytest.approx(ref, rel=1e-4), (kind, eta, loss)


@pytest.mark.parametrize("loss", [LOGISTIC, HINGE, SQUARED_HINGE])
@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_gradient_matches_finite_differences(loss, eta):
    X, y, sw, W, b = linear_problem(64)
    rule = make_inner_rule(NORM_INF, 64, loss)
    f = lambda W, b: linear_objective(W, b, X, y, sw, 0.05, eta, NORM_INF, loss, rule)  # noqa: E731
    for analytic, fd in gradient_errors(f, W, b, [0, 1, 5, 33, 63]):
        assert analytic == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_per_sample_values_use_the_exact_rule():
    """per_sample_objective (hence entropic_risk) is the atom value at every point's score."""
    X, y, _, W, b = linear_problem(64, n=20)
    rule = make_inner_rule(NORM_INF, 64, LOGISTIC)
    got = per_sample_objective(W, b, X, y, 0.05, 0.01, NORM_INF, LOGISTIC, rule)
    s = y * (X @ W[0] + b[0])
    a = 0.05 * np.abs(W[0])
    for i in range(20):
        ref, se = tilted_is(s[i], a, 0.01, "log", n_samples=50_000, seed=i)
        assert abs(got[i] - ref) <= max(1e-4 * abs(ref), 4 * se) + 1e-15  # 1e-15: values that vanish


@pytest.mark.parametrize("d", [64, 784])
def test_eta_to_zero_reaches_adversarial_loss_at_its_rate(d):
    """0 <= φ(s − ρ||w||_1) − F(η) <= η Σ_k log(2 a_k/η + 1) + η for every score: the linear
    bound of DESIGN.md 2b (``η d log(1/η)`` growth), and the gap closes as η → 0."""
    a = _weights(d, "heavy", 2.0)
    for s in [-1.0, 0.5, 3.0]:
        adversarial = float(phi(np.array(s - a.sum()), "log"))
        gaps = []
        for eta in [1e-2, 1e-4, 1e-6]:
            gap = adversarial - _value(s, a, eta, "log")
            assert gap >= -1e-9
            assert gap <= eta * np.sum(np.log1p(2 * a / eta)) + eta
            gaps.append(gap)
        assert gaps[0] > gaps[1] > gaps[2]


@pytest.mark.parametrize("d", [64, 784])
def test_sandwich_and_monotone_in_eta_high_d(d):
    """noise average <= F(η) <= adversarial loss, F non-increasing in η, F(∞) = noise average.

    The noise average E φ(s − T) is estimated by plain uniform Monte Carlo (which is fine for
    a plain mean) with its standard error."""
    rng = np.random.default_rng(d)
    for kind in ["gauss", "heavy"]:
        a = _weights(d, kind, 3.0)
        T = (rng.uniform(-1, 1, (20_000, d)) @ a)
        for loss in ["log", "hinge", "sqhinge"]:
            for s in [-1.0, 0.5, 3.0]:
                upper = float(phi(np.array(s - a.sum()), loss))
                values = [_value(s, a, eta, loss) for eta in [1e-5, 1e-3, 0.1, 10.0, 1e6]]
                losses = phi(s - T, loss)
                noise, se = losses.mean(), losses.std() / np.sqrt(T.shape[0])
                assert values[0] <= upper + 1e-9
                assert all(x >= y - 1e-9 * (1 + abs(x)) for x, y in zip(values, values[1:]))
                assert values[-2] >= noise - 4 * se - 1e-14
                assert abs(values[-1] - noise) <= 4 * se + 1e-5


def test_heavy_tails_use_the_exact_big_coordinates():
    """Two coordinates carry most of ||a||_2 among 64: the hybrid (exact spline of the 8
    largest, Edgeworth for the rest) is accurate where the plain Edgeworth density is not."""
    a = np.concatenate([[1.0, 0.8], np.full(62, 0.01)])
    for eta in [0.1, 1.0]:
        ref, se = tilted_is(0.5, a, eta, "log", n_samples=400_000, seed=3)
        assert abs(_value(0.5, a, eta, "log") - ref) <= max(1e-4 * ref, 4 * se)


def test_parallel_kernels_match_the_serial_ones():
    # d = 784 at eta = 1e-3 is work for all threads (with more than two: linf_law_parallel):
    # same atoms, gradient up to the order of the additions
    rng = np.random.RandomState(5)
    w = rng.randn(784)
    t, log_w, index, a, grid = cube_law(w, 0.01, 1e-3, LOGISTIC, 3.0)
    assert t.shape[0] * a.shape[0] > PARALLEL_WORK
    n_big, s0, h, j_lo = grid[:4]
    suffix, saved, rows = grid[-3:]
    assert rows.shape[0] == t.shape[0]  # the gradient reads the kept rows
    t1, lw1, saved1, rows1 = np.empty_like(t), np.empty_like(t), np.empty_like(saved), np.empty_like(rows)
    cube_atoms_parallel(a, *grid[:-2], saved1, rows1, t1, lw1)
    lw1 -= np.logaddexp.reduce(lw1)
    np.testing.assert_array_equal(t, t1)
    np.testing.assert_allclose(log_w, lw1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(saved, saved1)
    cube_atoms(a, *grid[:-2], saved1, rows1, t1, lw1)
    lw1 -= np.logaddexp.reduce(lw1)
    np.testing.assert_array_equal(t, t1)
    np.testing.assert_allclose(log_w, lw1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(saved, saved1)
    alpha, beta = rng.randn(t.shape[0]), rng.randn(t.shape[0])
    serial, parallel, recomputed = np.empty(a.shape[0]), np.empty(a.shape[0]), np.empty(a.shape[0])
    cube_atoms_gradient(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, serial)
    cube_atoms_gradient_parallel(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, parallel)
    np.testing.assert_allclose(parallel, serial, rtol=1e-12, atol=1e-12 * np.abs(serial).max())
    # without kept rows the gradient recomputes the same cumulants: the same result, bit for bit
    cube_atoms_gradient(a, n_big, s0, h, j_lo, suffix, saved, rows[:0], alpha, beta, recomputed)
    np.testing.assert_array_equal(recomputed, serial)


def test_cumulant_series_tail_matches_the_exact_sum():
    rng = np.random.RandomState(7)
    a = np.sort(np.exp(rng.randn(500) * 2) * 0.01)[::-1]
    suffix = suffix_power_sums(a)
    for lam in [0.0, 1e-3, -0.7, 3.0, -40.0, 2e3, 1e6, -1e12]:
        for n_big in [0, 8, 500]:
            cum, big, small = np.empty(5), np.empty(5), np.empty(5)
            _atom_cumulants(lam, a, n_big, np.empty((500, N_DERIV)), cum, big, small, suffix)
            ref_all, ref_big, ref_small = np.empty(5), np.zeros(5), np.zeros(5)
            cube_cumulants(lam, a, ref_all, np.empty(N_DERIV))
            np.testing.assert_allclose(cum, ref_all, rtol=1e-13, atol=1e-300)
            if n_big < 500:
                cube_cumulants(lam, a[:n_big], ref_big, np.empty(N_DERIV))
                cube_cumulants(lam, a[n_big:], ref_small, np.empty(N_DERIV))
                np.testing.assert_allclose(big, ref_big, rtol=1e-13, atol=1e-300)
                np.testing.assert_allclose(small, ref_small, rtol=1e-13, atol=1e-300)


def _atoms_gradient_against_differences(w, rho, eta, rng, coords, floor=0.0):
    """``(saved, [(analytic, central difference)])``: :func:`cube_atoms_gradient` of ``α·t + β·ℓ``
    (random ``α, β``) against central differences of :func:`cube_atoms` at fixed tilts for the
    coordinates ``coords`` of ``a`` (sorted), with steps ``1e-6 max(a_k, floor a_0)``."""
    t, log_w, index, a, grid = cube_law(w, rho, eta, LOGISTIC, 3.0)
    n_big, s0, h, j_lo, gh_z, gh_w = grid[:6]
    suffix, saved, rows = grid[-3:]
    alpha, beta = rng.randn(t.shape[0]), rng.randn(t.shape[0])
    out = np.empty(a.shape[0])
    cube_atoms_gradient(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, out)

    def objective(a_new):
        tt, ll = np.empty_like(t), np.empty_like(t)
        corners = spline_corners(a_new[:n_big])
        cube_atoms(a_new, n_big, s0, h, j_lo, gh_z, gh_w, *corners, spline_table(*corners), suffix_power_sums(a_new),
                   np.empty_like(saved), rows[:0], tt, ll)
        return alpha @ tt + beta @ ll

    pairs = []
    for k in coords:
        step = 1e-6 * max(a[k], floor * a[0])
        up, down = a.copy(), a.copy()
        up[k] += step
        down[k] -= step
        pairs.append((out[k], (objective(up) - objective(down)) / (2 * step), np.abs(out).max()))
    return saved, pairs


def test_gradient_is_the_derivative_of_the_atoms_high_d():
    # d = 784 with weights spread over six decades: most (atom, coordinate) pairs go through the
    # summed series of cube_atoms_gradient; central differences of cube_atoms at fixed tilts
    # (steps of at least 1e-8 a_0: exact for the a_k² of tiny a_k)
    rng = np.random.RandomState(8)
    w = rng.randn(784) * np.exp(1.5 * rng.randn(784))
    _, pairs = _atoms_gradient_against_differences(w, 0.01, 1e-2, rng, [0, 3, 7, 8, 50, 300, 700, 783], 1e-2)
    for k, (analytic, fd, scale) in enumerate(pairs):
        assert analytic == pytest.approx(fd, rel=1e-5, abs=1e-6 * scale), k


@pytest.mark.parametrize("d", [1, 3, 8])
def test_spline_gradient_is_the_derivative_of_the_atoms(d):
    # few comparable coordinates: the exact spline density and its own gradient kernel;
    # central differences of cube_atoms at fixed tilts, and the recomputed cumulants bit for bit
    rng = np.random.RandomState(d)
    w = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    for eta in [1e-3, 0.1, 10.0]:
        t, log_w, index, a, grid = cube_law(w, 0.2, eta, LOGISTIC, 3.0)
        n_big, s0, h, j_lo, gh_z, gh_w = grid[:6]
        suffix, saved, rows = grid[-3:]
        assert n_big == d and np.all(saved[:, 0] != 0.0) and np.any(saved[:, 0] == 1.0)  # spline atoms
        # adjoints carry the atoms' mass, as a fit's do (atoms within rounding of the edge, where
        # central differences of the spline's log density are noise, weigh e^{-70})
        omega = np.exp(log_w)
        alpha, beta = rng.randn(t.shape[0]) * omega, rng.randn(t.shape[0]) * omega
        out, recomputed = np.empty(d), np.empty(d)
        spline_atoms_gradient(a, s0, h, j_lo, suffix, saved, rows, alpha, beta, out)
        spline_atoms_gradient(a, s0, h, j_lo, suffix, saved, rows[:0], alpha, beta, recomputed)
        np.testing.assert_array_equal(recomputed, out)

        def objective(a_new):
            tt, ll = np.empty_like(t), np.empty_like(t)
            corners = spline_corners(a_new)
            cube_atoms(a_new, n_big, s0, h, j_lo, gh_z, gh_w, *corners, spline_table(*corners),
                       suffix_power_sums(a_new), np.empty_like(saved), rows[:0], tt, ll)
            return alpha @ tt + beta @ ll

        for k in range(d):
            # 1e-5: with 1e-6 rounding in the objective (about 0.2 here) left central differences
            # 2e-9 off in d = 8 at eta = 1e-3 (the 4th-order stencil at 1e-3 agreed with the kernel
            # to 7e-13)
            step = 1e-5 * a[k]
            up, down = a.copy(), a.copy()
            up[k] += step
            down[k] -= step
            fd = (objective(up) - objective(down)) / (2 * step)
            assert out[k] == pytest.approx(fd, rel=1e-6, abs=1e-7 * np.abs(out).max()), (eta, k)


@pytest.mark.parametrize("d", [64, 200, 784])
def test_stretched_and_shortened_grid_matches_the_plain_grid(d, monkeypatch):
    """The bulk stretch and the early end of the grid (tail_margin) change nothing above rounding.

    The plain grid (uniform steps in v = asinh(σ₀λ), the full tail margin) has more atoms; both
    are far more accurate than the independent references above resolve, so they are compared
    with each other.
    """
    import functools

    import skentropic.linear_model._law_margins as law_margins
    from skentropic.linear_model._cube_rule import atom_grid

    values, counts = [], []
    for plain in [False, True]:
        monkeypatch.setattr(law_margins, "atom_grid", functools.partial(atom_grid, plain=plain))
        for kind, total in [("gauss", 0.5), ("gauss", 10.0), ("heavy", 3.0)]:
            a = _weights(d, kind, total)
            for eta in [1e-4, 1e-2, 1.0, 100.0]:
                counts.append(cube_law(a, 1.0, eta, LOGISTIC, 4.0)[0].shape[0])
                values.extend(_value(s, a, eta, "log") for s in [-1.0, 0.5, 3.0])
    fast, plain = np.split(np.array(values), 2)
    np.testing.assert_allclose(fast, plain, rtol=1e-10)
    fewer, more = np.split(np.array(counts), 2)
    assert np.all(fewer <= more) and fewer.sum() < more.sum()


def test_tilt_sums_match_the_cumulant_kernel():
    """K, K' and N = λ²K'' of the grid's ends against the exact cumulants of ``cube_cumulants``."""
    from skentropic.linear_model._cube_rule import tilt_sums

    rng = np.random.default_rng(2)
    for d, lam in [(1, 3.0), (5, 10.0), (64, 1e3), (784, 1e4), (784, 0.1), (784, 2e5)]:
        a = rng.uniform(1e-6, 0.1, d)
        ref = np.empty(5)
        cube_cumulants(lam, a, ref, np.empty(N_DERIV))
        k, slope, n = tilt_sums(lam, a, with_n=True)
        assert k == pytest.approx(ref[0], rel=1e-6)  # the series below x = 0.1
        assert slope == pytest.approx(ref[1], rel=1e-6)
        assert n == pytest.approx(lam * lam * ref[2], rel=1e-6)
        assert tilt_sums(lam, a)[2] == 0.0 and tilt_sums(0.0, a, with_n=True) == (0.0, 0.0, 0.0)


def test_tail_margin_is_the_root_of_its_bound():
    from skentropic.linear_model._cube_rule import tail_margin

    rng = np.random.default_rng(3)
    for d, lam_top in [(5, 10.0), (64, 1e3), (784, 1e4), (784, 0.1)]:
        a = rng.uniform(0.0, 0.1, d)
        x = np.minimum(lam_top * a, 700.0)
        n_top = np.sum(1.0 - (x / np.sinh(x)) ** 2)
        fall = lambda delta: n_top * (delta - 1.0 + np.exp(-delta)) - delta  # noqa: E731
        delta = tail_margin(n_top, 4.0)
        if fall(4.0) <= 40.0:  # the bound does not reach e^{-40} within the limit
            assert delta == 4.0
        else:
            assert 40.0 - 1e-9 <= fall(delta) <= 40.0 + 1e-6 and delta < 4.0


def test_linf_laws_thread_only_beyond_two_threads(monkeypatch):
    """The l_inf law kernels take the thread pool above PARALLEL_WORK with more than two numba
    threads only (``_chunks.linf_law_parallel``: on two the pool's spinning workers cost the fits
    more than the threads saved)."""
    import skentropic.linear_model._chunks as chunks

    for threads, big, expected in [(2, True, False), (1, True, False), (3, True, True), (8, False, False)]:
        monkeypatch.setattr(chunks.numba, "get_num_threads", lambda threads=threads: threads)
        work = PARALLEL_WORK + 1 if big else PARALLEL_WORK
        assert chunks.linf_law_parallel(work) is expected


def _big_and_small(c, d=64, n_big=8):
    """``n_big`` weights 1 and ``d − n_big`` weights ``c``: ``q = K''_S/K''_B`` at ``λ = 0`` is
    ``(d − n_big) c² / n_big``."""
    return np.concatenate([np.ones(n_big), np.full(d - n_big, c)])


def test_objective_is_continuous_where_atoms_change_density():
    """Along a path on which atoms pass from the hybrid density through the blend to the
    Edgeworth density (and the grid's stretch turns on), the trapezoidal residual ``r = F(c') −
    F(c) − (c' − c)(F'(c) + F'(c'))/2`` of the steps varies smoothly from step to step (it is
    about 1e-8: the gradient holds the grid fixed, see ``_cube_rule``); where an atom switched
    density ``F`` jumped, and ``r`` by up to 8e-7 from one step to the next."""
    X, y, sw = np.zeros((1, 64)), np.ones(1), np.ones(1)
    rule = make_inner_rule(NORM_INF, 64, LOGISTIC)
    kinds = set()
    values, slopes = [], []
    path = np.linspace(0.25, 0.9, 601)  # q from 0.44 to 5.7
    for c in path:
        w = _big_and_small(c)[None, :]
        value, g_coef, _ = linear_objective(w, np.array([0.5]), X, y, sw, 0.3, 0.05, NORM_INF, LOGISTIC, rule)
        values.append(value)
        slopes.append(g_coef[0, 8:].sum())
        kinds |= set(np.unique(cube_law(w[0], 0.3, 0.05, LOGISTIC, 4.0)[4][-2][:, 0]).tolist())
    assert {0.0, 2.0, 3.0} <= kinds  # Edgeworth, hybrid and blended atoms on the path
    values, slopes = np.array(values), np.array(slopes)
    residual = np.diff(values) - np.diff(path) * 0.5 * (slopes[1:] + slopes[:-1])
    assert np.max(np.abs(np.diff(residual))) <= 1e-9


def test_blended_atoms_gradient_is_the_derivative_of_the_atoms():
    """Atoms whose log-density blends the hybrid and the Edgeworth densities (kind 3): the gradient
    kernel is the derivative of ``cube_atoms`` at fixed tilts, for the big and the small coordinates."""
    rng = np.random.RandomState(3)
    a = np.sort(_big_and_small(0.5) * np.exp(0.1 * rng.randn(64)))[::-1].copy()
    saved, pairs = _atoms_gradient_against_differences(a, 1.0, 0.05, rng, [0, 4, 7, 8, 30, 63])
    assert np.sum(saved[:, 0] == 3) >= 5
    for k, (analytic, fd, scale) in enumerate(pairs):
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-7 * scale), k
