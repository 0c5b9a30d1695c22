"""The exact l1 rule for binary linear models (skentropic.linear_model._l1_rule).

References that share nothing with the rule (tests/_l1_references.py): the closed-form
density of T = a·u (partial fractions in mpmath) integrated by graded Gauss–Legendre, and
importance sampling of the Laplace representation u = L/R.
"""

import mpmath as mp
import numpy as np
import pytest
from _l1_references import L1Density, l1_quad, l1_tilted_is
from _references import gradient_errors, linear_problem, phi
from _rule_values import rule_value

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_L1
from skentropic.linear_model._l1_rule import SCRATCH_ROWS, _density, l1_atoms, l1_atoms_parallel
from skentropic.linear_model._law_margins import cross_law
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective


def _weights(d, kind, total, seed=0):
    """Distinct positive weights with ``max = total`` (the worst case of the l1 ball)."""
    rng = np.random.default_rng(seed + d)
    w = np.abs(rng.standard_normal(d) if kind == "gauss" else rng.standard_cauchy(d))
    return w / w.max() * total


def _value(s, a, eta, loss):
    return rule_value(cross_law, s, a, eta, loss)


def _log_density(t, a, d):
    a = np.sort(a[a > 0])[::-1]
    g, grad = np.empty((SCRATCH_ROWS, a.shape[0])), np.empty(a.shape[0])
    return _density(abs(t), a[0] - abs(t), a, d, g, grad, True), grad


@pytest.mark.parametrize("d, n_zero", [(2, 0), (3, 0), (3, 2), (8, 0), (16, 5), (64, 0)])
def test_density_matches_the_closed_form(d, n_zero):
    rng = np.random.default_rng(d + n_zero)
    a = rng.uniform(0.05, 1.0, d)
    pdf = L1Density(a, d + n_zero)
    A = a.max()
    for t in [0.0, 0.2 * A, -0.5 * A, 0.9 * A, np.sort(a)[-2], A * (1 - 1e-3), A * (1 - 1e-7)]:
        got, _ = _log_density(t, np.r_[a, np.zeros(n_zero)], d + n_zero)
        with mp.workdps(pdf.dps):  # the log of the reference without underflow
            ref = float(mp.log(sum(c * (d + n_zero) / (2 * mp.mpf(ak)) * (1 - mp.mpf(abs(t)) / mp.mpf(ak))
                                   ** (d + n_zero - 1) for ak, c in zip(pdf.a, pdf.c) if ak > abs(t))))
        assert got == pytest.approx(ref, rel=1e-10, abs=1e-10), t


@pytest.mark.parametrize("d", [3, 8])
def test_density_gradient_matches_the_closed_form(d):
    rng = np.random.default_rng(d)
    a = rng.uniform(0.05, 1.0, d)
    A = a.max()
    order = np.argsort(-a)
    for t in [0.1 * A, 0.7 * A, A * (1 - 1e-4)]:
        _, grad = _log_density(t, a, d)
        for rank, k in enumerate(order):
            h = 1e-7 * a[k]
            up, down = a.copy(), a.copy()
            up[k] += h
            down[k] -= h
            fd = (np.log(L1Density(up)(t)) - np.log(L1Density(down)(t))) / (2 * h)
            assert grad[rank] == pytest.approx(fd, rel=1e-6, abs=1e-6), (t, k)


@pytest.mark.parametrize("d", [2, 8])
@pytest.mark.parametrize("loss", ["log", "hinge", "sqhinge", "linear"])
def test_small_d_matches_the_exact_density(d, loss):
    for kind, total in [("gauss", 1.0), ("heavy", 10.0)]:
        a = _weights(d, kind, total)
        for eta in [1e-4, 1e-2, 1.0, 100.0]:
            for s in [-1.0, 0.5, 3.0]:
                ref = l1_quad(s, a, eta, loss)
                assert _value(s, a, eta, loss) == pytest.approx(ref, rel=1e-4, abs=1e-12), (kind, eta, s)


# hypothesis found it (tests/test_entropic_properties.py::test_eta_to_infinity_is_noise_average,
# 2026-11-28): one coordinate carries nearly all of ||a||, the others round off the kink of its
# law at t = 0 over ~a_2 = 1.3e-3, below the bulk step (~9e-3 in t). Without the fine core of
# l1_grid's map the trapezoidal rule erred by O(h² p'(0+)) in the mass on either side of 0, which
# the hinge's flat side turned into 1.3e-4 of F where only the tail t > s - 1 >= 0 counts
_ROUNDED_KINK = np.array([9.08479353e-01, 1.31983691e-03, 1.16493679e-05, 1.91374156e-06, 5.75723208e-10])


@pytest.mark.parametrize("loss", ["hinge", "log"])
def test_rounded_kink_at_zero_is_resolved(loss):
    for s in [0.0, 1.0, 1.5]:
        ref = l1_quad(s, _ROUNDED_KINK, 1.0, loss)
        assert _value(s, _ROUNDED_KINK, 1.0, loss) == pytest.approx(ref, rel=1e-5), s


def test_single_coordinate_kink_at_zero_is_resolved():
    # one non-zero weight in d = 5: p_T ∝ (1 − |t|/A)^4 has a true kink at t = 0 (1.7e-4 relative
    # for the hinge before the core)
    d, s = 5, np.array([0.0, 0.6, 1.0, 1.5])
    X = np.zeros((4, d))
    X[:, 0] = s / 0.9
    coef = np.array([[0.9, 0.0, 0.0, 0.0, 0.0]])
    for loss, name in [(HINGE, "hinge"), (LOGISTIC, "log")]:
        got = per_sample_objective(coef, np.zeros(1), X, np.ones(4), 1.0, 1.0, NORM_L1, loss,
                                   make_inner_rule(NORM_L1, d, loss))
        ref = [l1_quad(si, np.array([0.9]), 1.0, name, d=d) for si in s]
        np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_d64_matches_the_exact_density():
    a = _weights(64, "gauss", 2.0)
    for eta, loss, s in [(1e-3, "log", 0.5), (0.1, "hinge", 1.0)]:
        assert _value(s, a, eta, loss) == pytest.approx(l1_quad(s, a, eta, loss), rel=1e-4), (eta, loss)


@pytest.mark.parametrize("d, kind, total", [(64, "gauss", 1.0), (64, "heavy", 3.0), (784, "gauss", 1.0)])
@pytest.mark.parametrize("loss", ["log", "hinge"])
def test_high_d_matches_importance_sampling(d, kind, total, loss):
    a = _weights(d, kind, total)
    for eta in [1e-4, 1e-2] if d > 100 else [1e-4, 1e-2, 0.1]:
        for s in [-1.0, 2.0]:
            ref, se = l1_tilted_is(s, a, eta, loss, seed=d)
            assert abs(_value(s, a, eta, loss) - ref) <= max(1e-4 * abs(ref), 4 * se) + 1e-15, (eta, s, se)


@pytest.mark.parametrize("d", [64, 784])
def test_eta_to_zero_reaches_the_adversarial_loss_at_its_rate(d):
    """``0 <= φ(s − A) − F(η) <= η(d(1 + log(2A/(dη))) + log 2)`` (``A = ||a||_∞``, a 1-Lipschitz
    loss): the corner ``u_1 >= 1 − δ`` of the ball has probability ``δ^d/2`` and there
    ``T >= A(1 − 2δ)``; ``δ = dη/(2A)``. The gap closes as ``η → 0``."""
    a = _weights(d, "heavy", 2.0)
    A = a.max()
    for s in [-1.0, 0.5, 3.0]:
        adversarial = float(phi(np.array(s - A), "log"))
        gaps = []
        for eta in [1e-2, 1e-4, 1e-6]:
            gap = adversarial - _value(s, a, eta, "log")
            assert gap >= -1e-9
            if d * eta < 2 * A:
                assert gap <= eta * (d * (1 + np.log(2 * A / (d * eta))) + np.log(2))
            gaps.append(gap)
        assert gaps[0] > gaps[1] > gaps[2]


@pytest.mark.parametrize("d", [64, 784])
def test_sandwich_and_monotone_in_eta(d):
    """noise average <= F(η) <= adversarial loss, F non-increasing in η, F(∞) = noise average
    (the noise average by plain uniform sampling of the ball, with its standard error)."""
    rng = np.random.default_rng(d)
    L = rng.laplace(size=(20_000, d))
    U = L / (rng.exponential(size=20_000) + np.abs(L).sum(axis=1))[:, None]
    for kind in ["gauss", "heavy"] if d < 100 else ["heavy"]:
        a = _weights(d, kind, 3.0)
        T = U @ a
        for loss in ["log", "hinge", "sqhinge"] if d < 100 else ["log", "sqhinge"]:
            for s in [-1.0, 0.5, 3.0] if d < 100 else [-1.0, 3.0]:
                upper = float(phi(np.array(s - a.max()), loss))
                values = [_value(s, a, eta, loss) for eta in [1e-5, 1e-3, 0.1, 10.0, 1e6]]
                losses = phi(s - T, loss)
                noise, se = losses.mean(), losses.std() / np.sqrt(T.shape[0])
                assert values[0] <= upper + 1e-9
                assert all(x >= y - 1e-9 * (1 + abs(x)) for x, y in zip(values, values[1:]))
                assert values[-2] >= noise - 4 * se - 1e-14
                assert abs(values[-1] - noise) <= 4 * se + 1e-5


@pytest.mark.parametrize("loss", [LOGISTIC, HINGE, SQUARED_HINGE])
@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_gradient_matches_finite_differences(loss, eta):
    X, y, sw, W, b = linear_problem(64)
    rule = make_inner_rule(NORM_L1, 64, loss)
    f = lambda W, b: linear_objective(W, b, X, y, sw, 0.5, eta, NORM_L1, loss, rule)  # noqa: E731
    for analytic, fd in gradient_errors(f, W, b, [0, 1, 5, 33, int(np.argmax(np.abs(W[0])))]):
        assert analytic == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_per_sample_values_use_the_exact_rule():
    """per_sample_objective (hence entropic_risk) is the l1 atom value at every point's score."""
    X, y, _, W, b = linear_problem(16, n=12)
    rule = make_inner_rule(NORM_L1, 16, LOGISTIC)
    got = per_sample_objective(W, b, X, y, 0.5, 0.01, NORM_L1, LOGISTIC, rule)
    s = y * (X @ W[0] + b[0])
    a = 0.5 * np.abs(W[0])
    for i in range(12):
        assert got[i] == pytest.approx(l1_quad(s[i], a, 0.01, "log"), rel=1e-6)


def test_parallel_atoms_match_the_serial_kernel():
    rng = np.random.RandomState(6)
    a = np.sort(np.abs(rng.randn(300)))[::-1] * 0.01
    t = np.linspace(0.0, 0.99 * a[0], 200)
    gap = a[0] - t
    out = [np.empty(200) for _ in range(2)]
    grads = [np.empty((200, 300)) for _ in range(2)]
    l1_atoms(t, gap, a, 320, out[0], grads[0], True)
    l1_atoms_parallel(t, gap, a, 320, out[1], grads[1], True)
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("d", [64, 784])
def test_half_deviation_bulk_steps_match_quarter_steps(d, monkeypatch):
    """Where no coordinate dominates, the bulk steps of half a standard deviation change nothing
    above rounding (the quarter step is the reference); where one does, they are not taken."""
    import skentropic.linear_model._l1_rule as l1_rule

    rng = np.random.default_rng(d)
    spread = np.abs(rng.standard_normal(d))
    cases = [(spread / spread.sum() * total, eta, loss) for total in [0.5, 10.0] for eta in [1e-3, 1.0]
             for loss in ["log", "sqhinge"]]
    values = {}
    for h in [l1_rule._H_BULK_SMOOTH, l1_rule._H_BULK]:
        monkeypatch.setattr(l1_rule, "_H_BULK_SMOOTH", h)
        values[h] = np.array([rule_value(cross_law, s, a, eta, loss) for a, eta, loss in cases for s in [-1.0, 2.0]])
    np.testing.assert_allclose(*values.values(), rtol=1e-9, atol=1e-14)
    grids = {}
    for a in [spread, np.r_[1.0, np.full(d - 1, 0.01)]]:  # spread out, one dominant coordinate
        for h in [0.5, l1_rule._H_BULK]:
            monkeypatch.setattr(l1_rule, "_H_BULK_SMOOTH", h)
            grids[a[0], h] = l1_rule.l1_grid(a, d, 1.0, LOGISTIC, 4.0)[0]
    fewer, more = grids[spread[0], 0.5].shape[0], grids[spread[0], l1_rule._H_BULK].shape[0]
    assert fewer < more if d == 784 else fewer <= more  # d = 64: the tail step binds here
    np.testing.assert_array_equal(grids[1.0, 0.5], grids[1.0, l1_rule._H_BULK])
