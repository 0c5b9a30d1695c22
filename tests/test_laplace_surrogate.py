"""The large-deviation bound that starts the binary l_inf logistic fits (``linear_model._laplace_surrogate``)."""

import numpy as np
import pytest
from _references import entropy_logit, laplace_supremum
from scipy.optimize import check_grad, minimize_scalar

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF
from skentropic._core._tilted_numpy import log_sinhc_array
from skentropic.linear_model import _laplace_surrogate as ls
from skentropic.linear_model._laplace_surrogate import laplace_surrogate
from skentropic.linear_model._objective import linear_objective, make_inner_rule


def _problem(n, d, seed, scale):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.sign(rng.randn(n))
    w = scale * rng.randn(1, d) / np.sqrt(d)  # scores of spread ``scale``
    return X, y, rng.dirichlet(np.ones(n)), w, np.array([0.3])


@pytest.mark.parametrize("d", [2, 8, 64, 784])
@pytest.mark.parametrize("eta", [1e-4, 1e-2, 1.0])
def test_value_is_the_large_deviation_bound(d, eta):
    """The per-point suprema of the exact ``G``, to the interpolation error of ``Ĝ`` (module
    docstring: relative, ``1.5e-4`` at most here), with ``ρ||w||_1 = 5``: ``H + G`` is not concave at small ``η``."""
    X, y, sw, w, b = _problem(40, d, seed=d, scale=3.0)
    rho = 5.0 / np.abs(w).sum()
    scores = y * (X @ w[0] + b[0])
    reference = laplace_supremum(scores, w[0], rho, eta)
    value = laplace_surrogate(w, b, X, y, sw, rho, eta)[0]
    assert value == pytest.approx(sw @ reference, rel=2e-4)


@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
@pytest.mark.parametrize("d", [5, 300])
def test_gradient_is_exact_for_the_computed_objective(eta, d):
    X, y, sw, w, b = _problem(60, d, seed=3, scale=1.0)

    def value(t):
        return laplace_surrogate(t[None, :d], t[d:], X, y, sw, 0.3, eta)[0]

    def grad(t):
        _, g_w, g_b = laplace_surrogate(t[None, :d], t[d:], X, y, sw, 0.3, eta)
        return np.concatenate([g_w.ravel(), g_b])

    theta = np.concatenate([w[0], b])
    assert check_grad(value, grad, theta) <= 1e-6 * max(1.0, np.linalg.norm(grad(theta)))


@pytest.mark.parametrize("eta", [1e-3, 0.03, 1.0])
@pytest.mark.parametrize("d", [8, 784])
def test_a_lower_bound_of_the_entropic_risk(eta, d):
    """``F_LD <= F`` (the exact ``l_∞`` rule), up to the interpolation error, and close to it at small ``η``."""
    X, y, sw, w, b = _problem(50, d, seed=5, scale=1.0)
    bound = laplace_surrogate(w, b, X, y, sw, 0.1, eta)[0]
    risk = linear_objective(w, b, X, y, sw, 0.1, eta, NORM_INF, LOGISTIC, make_inner_rule(NORM_INF, d, LOGISTIC))[0]
    assert bound <= risk + 1e-4
    if eta <= 1e-3:
        assert risk - bound <= 0.02 * risk


def test_zero_weights_and_large_eta_give_the_erm_loss():
    X, y, sw, w, b = _problem(30, 6, seed=1, scale=1.0)
    erm = lambda c: sw @ np.logaddexp(0.0, -y * (X @ c[0] + b[0]))  # noqa: E731
    assert laplace_surrogate(np.zeros_like(w), b, X, y, sw, 0.5, 1e-3)[0] == pytest.approx(erm(np.zeros_like(w)),
                                                                                          rel=1e-13)
    assert laplace_surrogate(w, b, X, y, sw, 0.5, 1e6)[0] == pytest.approx(erm(w), rel=1e-6)


def _kernel_reference(scores, nodes, a_total):
    """NumPy: the same piecewise cubic ``Ŝ`` (Hermite on the grid cells from the interpolant's
    values and slopes); each point's maximum of ``−q s + H(q) + q Ŝ(√q)`` over a grid of 20001
    values of ``ζ = log(q/(1 − q))`` in ``[−s − 1, −s + ρ||w||_1 + 1]``, refined by a bounded scalar search."""
    h = 1.0 / ls._SEARCH
    f, m = ls._V @ nodes, h * (ls._D @ nodes)

    def c(z, s):
        q = 1.0 / (1.0 + np.exp(-z))
        v = np.sqrt(q)
        cell = np.minimum((v * ls._SEARCH).astype(int), ls._SEARCH - 1)
        t = v * ls._SEARCH - cell
        s_hat = ((2 * t**3 - 3 * t**2 + 1) * f[cell] + (t**3 - 2 * t**2 + t) * m[cell]
                 + (-2 * t**3 + 3 * t**2) * f[cell + 1] + (t**3 - t**2) * m[cell + 1])
        return entropy_logit(z) + q * (s_hat - s)

    values, qs = np.empty(scores.shape[0]), np.empty(scores.shape[0])
    for i, s in enumerate(scores):
        z = np.linspace(-s - 1.0, -s + a_total + 1.0, 20001)
        j = np.argmax(c(z, s))
        res = minimize_scalar(lambda t: -c(np.array([t]), s)[0], bounds=(z[max(j - 1, 0)], z[min(j + 1, 20000)]),
                              method="bounded", options={"xatol": 1e-13})
        best = res.x if -res.fun >= c(z[j:j + 1], s)[0] else z[j]
        values[i], qs[i] = c(np.array([best]), s)[0], 1.0 / (1.0 + np.exp(-best))
    return values, qs


@pytest.mark.parametrize("eta, scale", [(1e-3, 4.0), (0.05, 1.0), (2.0, 1.0)])
def test_kernel_matches_a_numpy_reference(eta, scale):
    """Values and maximisers against a dense search of the same objective; the adjoint of the
    node values against finite differences."""
    X, y, sw, w, b = _problem(50, 64, seed=11, scale=scale)
    rho = 0.5
    theta = np.outer(ls._Q[:-1], (rho / eta) * w[0])
    nodes = np.append(eta * log_sinhc_array(theta).sum(axis=1) / ls._Q[:-1], 0.0)
    scores = np.ascontiguousarray(y * (X @ w[0] + b[0]))

    def run(nodes):
        values, q, adjoint = np.empty(50), np.empty(50), np.empty(nodes.shape[0])
        ls.laplace_margins(scores, sw, nodes, ls._V, ls._D, float(rho * np.abs(w).sum()), values, q, adjoint)
        return values, q, adjoint

    values, q, adjoint = run(nodes)
    ref_values, ref_q = _kernel_reference(scores, nodes, float(rho * np.abs(w).sum()))
    np.testing.assert_allclose(values, ref_values, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(q, ref_q, rtol=1e-5, atol=1e-12)
    step = 1e-6 * (1.0 + np.abs(nodes))
    for j in range(0, nodes.shape[0], 3):
        up, down = nodes.copy(), nodes.copy()
        up[j] += step[j]
        down[j] -= step[j]
        fd = (sw @ run(up)[0] - sw @ run(down)[0]) / (2 * step[j])
        # (Newton stops at a step of _ZTOL = 1e-9 in ζ: the envelope gradient is exact to about that)
        assert adjoint[j] == pytest.approx(fd, rel=1e-5, abs=1e-8)
