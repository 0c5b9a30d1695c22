"""The large-deviation bound that starts the multinomial l_inf fits (``linear_model._softmax_laplace``)."""

import numba
import numpy as np
import pytest
from _references import laplace_supremum
from scipy.optimize import check_grad, minimize
from scipy.special import logsumexp

from skentropic._core._sinhc import (
    TAYLOR_CELLS,
    TAYLOR_END,
    log_sinhc_012,
    log_sinhc_derivatives,
    log_sinhc_taylor_table,
)
from skentropic._core._tilted_numpy import log_sinhc_array
from skentropic.linear_model._softmax_laplace import softmax_laplace_points, softmax_laplace_surrogate


def _problem(n, k, d, seed, scale):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = rng.randint(k, size=n)
    W = scale * rng.randn(k, d) / np.sqrt(d)
    return X, y, rng.dirichlet(np.ones(n)), W, 0.3 * rng.randn(k)


def _phi(z, s, label, W, rho, eta):
    """``Φ(softmax(z))`` in NumPy (module docstring)."""
    log_q = z - logsumexp(z)
    q = np.exp(log_q)
    lam = q.copy()
    lam[label] -= 1.0
    return lam @ s - q @ log_q + eta * log_sinhc_array((rho / eta) * (lam @ W)).sum()


def surrogate_logits(S, y, W, rho, eta):
    """``S_ic + η Σ_k g((ρ/η)(w_c − w_{y_i})_k)``: the logits of the maximiser of the fits' first
    surrogate (``linear_model._surrogate.softmax_surrogate``), a start from which the search
    reached the global maximum in every case below (from the scores it did not, at small ``η``)."""
    shifts = eta * log_sinhc_array((rho / eta) * (W[None, :, :] - W[:, None, :])).sum(axis=2)
    return S + shifts[y]


def _reference_points(S, y, W, rho, eta):
    """Each point's ``max Φ``: the best of BFGS runs on the logits from the scores and from
    every vertex of the simplex (``Φ`` need not be concave)."""
    k = W.shape[0]
    out = np.empty(S.shape[0])
    for i, (s, label) in enumerate(zip(S, y)):
        starts = [s] + [20.0 * np.eye(k)[c] for c in range(k)]
        out[i] = max(-minimize(lambda z: -_phi(z, s, label, W, rho, eta), z0, method="BFGS",
                               options={"gtol": 1e-12}).fun for z0 in starts)
    return out


@pytest.mark.parametrize("eta", [1e-3, 1e-2, 1.0])
@pytest.mark.parametrize("d", [2, 5])
def test_points_reach_the_maximum_of_a_numpy_reference(eta, d):
    """Three classes: each point's value is the largest of independent multistart maximisations."""
    X, y, _, W, b = _problem(12, 3, d, seed=d, scale=2.0)
    S = X @ W.T + b
    reference = _reference_points(S, y, W, 0.5, eta)
    Z, values = surrogate_logits(S, y, W, 0.5, eta), np.empty(12)
    softmax_laplace_points(S, y.astype(np.int64), W, log_sinhc_taylor_table(), 0.5, eta, Z, values, np.empty((12, 3)),
                           np.empty((12, d)), 1e-9)
    np.testing.assert_allclose(values, reference, rtol=1e-9, atol=1e-12)
    for i in range(12):  # the values are Φ at the returned logits
        assert values[i] == pytest.approx(_phi(Z[i], S[i], y[i], W, 0.5, eta), rel=1e-12)


@pytest.mark.parametrize("d", [2, 8, 64, 784])
@pytest.mark.parametrize("eta", [1e-4, 1e-2, 1.0])
def test_two_classes_give_the_binary_bound(d, eta):
    """With two classes the bound is the binary one of the margin ``(w_y − w_other)·x`` (its
    reference: the exact per-point supremum of ``tests/test_laplace_surrogate.py``), at
    ``ρ||w_1 − w_0||_1 = 5``."""
    X, y, sw, W, b = _problem(40, 2, d, seed=d, scale=3.0)
    diff = W[1] - W[0]
    rho = 5.0 / np.abs(diff).sum()
    sign = np.where(y == 1, 1.0, -1.0)
    margins = sign * (X @ diff + b[1] - b[0])
    reference = laplace_supremum(margins, diff, rho, eta)
    S = X @ W.T + b
    values = np.empty(40)
    softmax_laplace_points(S, y.astype(np.int64), W, log_sinhc_taylor_table(), rho, eta,
                           surrogate_logits(S, y, W, rho, eta),
                           values, np.empty((40, 2)), np.empty((40, d)), 1e-9)
    assert sw @ values == pytest.approx(sw @ reference, rel=1e-9)


@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
@pytest.mark.parametrize("tol, rtol", [(1e-9, 1e-6), (None, 1e-5)])
def test_gradient_is_exact_for_the_computed_objective(eta, tol, rtol):
    """The envelope gradient against finite differences of the value: exact to the differences'
    error with the maxima solved to 1e-9, and within 1e-5 (relative) at the fits' tolerance."""
    X, y, sw, W, b = _problem(30, 4, 5, seed=3, scale=1.5)
    kwargs = {} if tol is None else {"tol": tol}

    def value(t):
        return softmax_laplace_surrogate(t[:20].reshape(4, 5), t[20:], X, y, sw, 0.3, eta, {}, **kwargs)[0]

    def grad(t):
        _, g_W, g_b = softmax_laplace_surrogate(t[:20].reshape(4, 5), t[20:], X, y, sw, 0.3, eta, {}, **kwargs)
        return np.concatenate([g_W.ravel(), g_b])

    t = np.concatenate([W.ravel(), b])
    assert check_grad(value, grad, t, epsilon=1e-7) < rtol * max(1.0, np.abs(grad(t)).max())


def test_is_a_lower_bound_of_the_entropic_risk_and_tight_at_small_eta():
    """Against ``η log E exp(ℓ(s + ρWu)/η)`` by a 400 x 400 Gauss–Legendre rule on the square
    (``d = 2``, three classes): below it at every ``η``, and within ``2η`` of it at ``η = 1e-3``
    (the dropped Gaussian width is ``O(η log(1/η))``)."""
    X, y, _, W, b = _problem(6, 3, 2, seed=5, scale=2.0)
    rho = 0.4
    nodes, weights = np.polynomial.legendre.leggauss(400)
    U = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
    log_w = np.log(np.outer(weights, weights).ravel() / 4.0)
    for eta in (1e-3, 1e-2, 0.1, 1.0):
        bound = np.empty(6)
        S = X @ W.T + b
        softmax_laplace_points(S, y.astype(np.int64), W, log_sinhc_taylor_table(), rho, eta,
                               surrogate_logits(S, y, W, rho, eta), bound,
                               np.empty((6, 3)), np.empty((6, 2)), 1e-9)
        for i in range(6):
            scores = (X[i] + rho * U) @ W.T + b
            loss = logsumexp(scores, axis=1) - scores[:, y[i]]
            exact = eta * logsumexp(loss / eta + log_w)
            assert bound[i] <= exact + 1e-12
            if eta == 1e-3:
                assert exact - bound[i] <= 2 * eta


@pytest.mark.parametrize("eta", [1e-3, 1e-2])
def test_the_fits_search_from_the_scores_reaches_a_local_maximum(eta):
    """The fits start each point at its scores (the ERM softmax) and follow that maximum from
    evaluation to evaluation: at small ``η`` it can be a lower one than the global maximum
    (``Φ`` is not concave), never a higher one, and it is a maximum: stationary, and no point
    of a small sphere of logits around it is higher."""
    X, y, sw, W, b = _problem(12, 3, 5, seed=5, scale=2.0)
    S = X @ W.T + b
    Z, values = S.copy(), np.empty(12)
    softmax_laplace_points(S, y.astype(np.int64), W, log_sinhc_taylor_table(), 0.5, eta, Z, values, np.empty((12, 3)),
                           np.empty((12, 5)), 1e-9)
    assert np.all(values <= _reference_points(S, y, W, 0.5, eta) + 1e-12)
    directions = np.random.RandomState(0).randn(50, 3)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    for i in range(12):
        nearby = [_phi(Z[i] + 1e-3 * u, S[i], y[i], W, 0.5, eta) for u in directions]
        assert max(nearby) <= values[i] + 1e-12


def test_warm_logits_give_the_cold_value():
    """The logits kept between evaluations only change where the search starts (the maxima
    solved to 1e-9; at the fits' tolerance the two differ by that tolerance's error)."""
    X, y, sw, W, b = _problem(50, 5, 16, seed=7, scale=2.0)
    state = {}
    softmax_laplace_surrogate(W, b, X, y, sw, 0.2, 1e-3, state, tol=1e-9)
    warm = softmax_laplace_surrogate(1.01 * W, b, X, y, sw, 0.2, 1e-3, state, tol=1e-9)
    cold = softmax_laplace_surrogate(1.01 * W, b, X, y, sw, 0.2, 1e-3, {}, tol=1e-9)
    assert warm[0] == pytest.approx(cold[0], rel=1e-12)
    np.testing.assert_allclose(warm[1], cold[1], rtol=1e-6, atol=1e-9)


def test_result_does_not_depend_on_the_thread_count():
    X, y, sw, W, b = _problem(3000, 4, 8, seed=1, scale=2.0)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = softmax_laplace_surrogate(W, b, X, y, sw, 0.2, 0.01, {})
    finally:
        numba.set_num_threads(threads)
    all_threads = softmax_laplace_surrogate(W, b, X, y, sw, 0.2, 0.01, {})
    assert one[0] == all_threads[0]
    np.testing.assert_array_equal(one[1], all_threads[1])


def test_multinomial_linf_fits_are_reproducible_whatever_the_thread_count():
    """The fits that start at the bound (its logits kept from evaluation to evaluation, its
    points in blocks on threads): the same ``random_state`` gives the same model bit for bit,
    on one numba thread or all."""
    from skentropic import EntropicRobustLogisticRegression
    from skentropic.datasets import load_digits_unit

    X, y = load_digits_unit()
    X, y = X[:300], y[:300]

    def fit():
        return EntropicRobustLogisticRegression(rho=0.05, eta=1e-3, norm=np.inf, tol=1e-4, random_state=0).fit(X, y)

    first, second = fit(), fit()
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = fit()
    finally:
        numba.set_num_threads(threads)
    for other in (second, serial):
        np.testing.assert_array_equal(first.coef_, other.coef_)
        np.testing.assert_array_equal(first.intercept_, other.intercept_)


def test_log_sinhc_table_matches_the_closed_forms():
    """``log_sinhc_012``'s Taylor table against ``log_sinhc_derivatives`` (series and closed
    forms) on a dense grid, the cells' edges, tiny ``x`` and beyond the table: the relative errors
    its docstring states, and ``g(0) = g'(0) = 0`` exactly."""
    table = log_sinhc_taylor_table()
    xs = np.concatenate([np.linspace(0.0, 2 * TAYLOR_END, 100001), np.geomspace(1e-12, 2 * TAYLOR_END, 5001),
                         np.arange(TAYLOR_END * TAYLOR_CELLS + 1) / TAYLOR_CELLS])
    exact, out = np.empty((xs.size, 3)), np.empty(6)
    for i, x in enumerate(xs):
        log_sinhc_derivatives(x, out)
        exact[i] = out[:3]
    tabled = np.array([log_sinhc_012(x, table) for x in xs])
    positive = xs > 0
    relative = np.abs(tabled - exact)[positive] / np.abs(exact[positive])
    assert np.all(relative.max(axis=0) <= [3e-9, 1e-8, 5e-8])
    assert np.max(np.abs(tabled[:, 0] - exact[:, 0])) <= 4e-13
    assert log_sinhc_012(0.0, table)[:2] == (0.0, 0.0)


def test_log_sinhc_table_derivatives_are_those_of_its_value():
    """Inside a cell ``g'`` and ``g''`` are the derivatives of the returned ``g`` (central
    differences), so the bound's gradient is that of its value."""
    table, h = log_sinhc_taylor_table(), 1e-5
    for x in [0.01, 0.3, 1.7, 5.2, 11.9, 20.0]:
        g = [log_sinhc_012(x + j * h, table) for j in (-1, 0, 1)]
        assert abs((g[2][0] - g[0][0]) / (2 * h) - g[1][1]) <= 1e-9
        assert abs((g[2][1] - g[0][1]) / (2 * h) - g[1][2]) <= 1e-8


@pytest.mark.parametrize("rho, eta", [(0.05, 0.1), (0.1, 0.01), (0.1, 1e-3)])
def test_matched_tilts_are_fixed_points_at_least_as_high_as_the_iterations(rho, eta):
    """The tilted rule's l_inf softmax tilts (the bound's Newton solver from the fast-gradient
    tilts) are fixed points ``θ = (ρ/η) Wᵀ(softmax(s + ρ W μ(θ)) − e_y)`` 20 times below the
    fixed-point iteration's tolerance, and at every point ``Φ`` (NumPy) there is at least its
    value at the iteration's tilt from the same start (a scikit-learn model of 300 digits; at
    eta = 1e-3 the iteration leaves three points far from any fixed point after its 20 steps)."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from skentropic._core._losses import SOFTMAX
    from skentropic._core._norms import NORM_INF
    from skentropic._core._tilt_matching import MATCH_TOL, mean_matched_tilts, tilted_uniform_mean
    from skentropic.linear_model import _tilted_rule as T
    from skentropic.linear_model._softmax_laplace import matched_tilts

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    W, S = model.coef_, model.decision_function(X)
    grad_at = lambda shift, rows=slice(None): T._score_gradient(S[rows] + shift @ W.T, y[rows]) @ W  # noqa: E731
    start = (rho / eta) * (T.tilt_coefficients(y, W, S, rho, NORM_INF, SOFTMAX) @ W)
    theta = matched_tilts(S, y, W, rho, eta, start)
    residual = np.abs(theta - (rho / eta) * grad_at(rho * tilted_uniform_mean(theta)))
    assert residual.max() <= 0.05 * MATCH_TOL * rho / eta
    iterated = mean_matched_tilts(grad_at, start, rho, eta, NORM_INF)
    for i in range(300):
        value = [_phi(S[i] + rho * W @ tilted_uniform_mean(t[i]), S[i], y[i], W, rho, eta) for t in (theta, iterated)]
        assert value[0] >= value[1] - 1e-9


def test_matched_tilts_of_a_point_depend_on_that_point_alone():
    """A subset with repeated rows gets the tilts of the same rows in the whole set, bit for bit
    (scikit-learn's weighted-versus-repeated check)."""
    from skentropic.linear_model._softmax_laplace import matched_tilts

    X, y, _, W, b = _problem(60, 4, 8, seed=3, scale=2.0)
    S, start = X @ W.T + b, 20.0 * np.random.RandomState(0).randn(60, 8)
    whole = matched_tilts(S, y, W, 0.3, 0.01, start)
    rows = np.array([3, 3, 17, 50, 50, 50, 59])
    np.testing.assert_array_equal(matched_tilts(S[rows], y[rows], W, 0.3, 0.01, start[rows]), whole[rows])
