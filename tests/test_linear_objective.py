"""Deterministic entropic objective of linear models and its L-BFGS solver."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression

from skentropic._core._losses import HINGE, LOGISTIC, SOFTMAX, SQUARED_HINGE
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2, dual_norm
from skentropic._core._sampling import sample_unit_ball
from skentropic.linear_model._lbfgs import fit_lbfgs
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective

BINARY = [LOGISTIC, HINGE, SQUARED_HINGE]
NORMS = [NORM_INF, NORM_L2, NORM_L1]
P = {NORM_INF: np.inf, NORM_L2: 2, NORM_L1: 1}


def _data(n=30, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    return X, np.sign(rng.randn(n)), rng.randint(0, 3, n), np.full(n, 1.0 / n), rng


def _np_loss(scores, y, loss):
    if loss == SOFTMAX:
        return logsumexp(scores, axis=-1) - np.take_along_axis(scores, y[..., None], -1)[..., 0]
    z = scores
    if loss == LOGISTIC:
        return np.logaddexp(0, -z)
    g = np.maximum(0, 1 - z)
    return g if loss == HINGE else g * g


def _mc_per_sample(W, b, X, y, rho, eta, norm, loss, m=20000, seed=5):
    """Plain NumPy Monte Carlo of F_i with independent samples; returns (estimate, std error)."""
    U = sample_unit_ball(m, X.shape[1], P[norm], random_state=seed)
    if loss == SOFTMAX:
        L = _np_loss(((X @ W.T + b)[:, None, :] + rho * (U @ W.T)[None]), np.repeat(y[:, None], m, 1), loss)
    else:
        L = _np_loss(y[:, None] * ((X @ W[0] + b[0])[:, None] + rho * (U @ W[0])[None]), None, loss)
    E = np.exp((L - L.max(1, keepdims=True)) / eta)
    mean = E.mean(1)
    # delta method: se(η log mean) = η se(mean)/mean
    return L.max(1) + eta * np.log(mean), eta * E.std(1) / np.sqrt(m) / mean


@pytest.mark.parametrize("loss", BINARY + [SOFTMAX])
@pytest.mark.parametrize("norm", NORMS)
def test_matches_monte_carlo(norm, loss):
    X, yb, yk, _, rng = _data(n=8, d=3)
    y = yk if loss == SOFTMAX else yb
    K = 3 if loss == SOFTMAX else 1
    W, b = rng.randn(K, 3), rng.randn(K) * 0.1
    rule = make_inner_rule(norm, 3, loss, n_inner_samples=4096, seed=11)
    got = per_sample_objective(W, b, X, y, 0.7, 0.5, norm, loss, rule)
    ref, se = _mc_per_sample(W, b, X, y, 0.7, 0.5, norm, loss)
    # the fixed-sample rule (m=4096) has its own error: combine both standard errors
    tol = 5 * se * (1.0 if rule.quadrature else np.sqrt(1 + 20000 / 4096)) + 1e-12
    assert np.all(np.abs(got - ref) <= tol), (got - ref) / tol


@pytest.mark.parametrize("loss", BINARY + [SOFTMAX])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("eta", [0.3, 0.0])
def test_gradient_matches_finite_differences(norm, loss, eta):
    if loss == SOFTMAX and eta == 0:
        pytest.skip("eta=0 is binary only")
    X, yb, yk, sw, rng = _data()
    y = yk if loss == SOFTMAX else yb
    K = 3 if loss == SOFTMAX else 1
    rule = make_inner_rule(norm, 4, loss, n_inner_samples=64, seed=1)
    W, b = rng.randn(K, 4) * 0.5, rng.randn(K) * 0.1
    # the tilted rule's proposals are aimed at a fixed anchor while L-BFGS runs
    rule = replace(rule, anchor=(W.copy(), b.copy()))
    f = lambda W, b: linear_objective(W, b, X, y, sw, 0.3, eta, norm, loss, rule)  # noqa: E731
    _, gW, gb = f(W, b)
    h = 1e-6
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        assert gW[idx] == pytest.approx((f(W + E, b)[0] - f(W - E, b)[0]) / (2 * h), abs=1e-7)
    for k in range(K):
        e = h * np.eye(K)[k]
        assert gb[k] == pytest.approx((f(W, b + e)[0] - f(W, b - e)[0]) / (2 * h), abs=1e-7)


@pytest.mark.parametrize("loss", [LOGISTIC, SOFTMAX])
@pytest.mark.parametrize("norm", NORMS)
def test_sparse_equals_dense(norm, loss):
    X, yb, yk, sw, rng = _data()
    X[X < 0.3] = 0.0
    y = yk if loss == SOFTMAX else yb
    K = 3 if loss == SOFTMAX else 1
    rule = make_inner_rule(norm, 4, loss, n_inner_samples=32)
    W, b = rng.randn(K, 4), rng.randn(K)
    dense = linear_objective(W, b, X, y, sw, 0.2, 0.1, norm, loss, rule)
    sparse = linear_objective(W, b, sp.csr_matrix(X), y, sw, 0.2, 0.1, norm, loss, rule)
    for a, c in zip(dense, sparse):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", BINARY)
@pytest.mark.parametrize("norm", NORMS)
def test_limits_in_rho_and_eta(norm, loss):
    X, y, _, _, rng = _data()
    W, b = rng.randn(1, 4), rng.randn(1)
    s = y * (X @ W[0] + b[0])
    rule = make_inner_rule(norm, 4, loss, n_inner_samples=256)
    for eta in [1e-3, 1.0]:
        np.testing.assert_allclose(per_sample_objective(W, b, X, y, 0.0, eta, norm, loss, rule), _np_loss(s, None, loss))
    adv = _np_loss(s - 0.5 * dual_norm(W[0], norm), None, loss)
    np.testing.assert_allclose(per_sample_objective(W, b, X, y, 0.5, 0.0, norm, loss, rule), adv)
    values = [per_sample_objective(W, b, X, y, 0.5, eta, norm, loss, rule) for eta in [1e-4, 1e-2, 0.1, 1, 10]]
    assert np.all(np.diff(values, axis=0) <= 1e-12)  # non-increasing in eta
    assert np.all(values[0] <= adv + 1e-12)
    if norm == NORM_L2:  # exact expectation: gap to the adversarial loss is O(η d log(1/η))
        # ≈ η (d+1)/2 log(ρ||w|| / η) = 2.4e-3 here; the sample rules only reach the max over samples
        assert np.all(adv - values[0] <= 5e-3)


@pytest.mark.parametrize("norm", NORMS)
def test_tiny_eta_huge_loss_is_finite(norm):
    X, y, yk, sw, rng = _data()
    W = rng.randn(1, 4) * 300
    for loss in BINARY:
        rule = make_inner_rule(norm, 4, loss)
        v, g, gb = linear_objective(W, np.zeros(1), X, y, sw, 1.0, 1e-6, norm, loss, rule)
        assert np.isfinite(v) and np.all(np.isfinite(g)) and np.isfinite(gb).all() and v > 100
    rule = make_inner_rule(norm, 4, SOFTMAX)
    v, g, gb = linear_objective(rng.randn(3, 4) * 300, np.zeros(3), X, yk, sw, 1.0, 1e-6, norm, SOFTMAX, rule)
    assert np.isfinite(v) and np.all(np.isfinite(g)) and v > 100


def test_softmax_eta_zero_raises():
    X, _, yk, sw, _ = _data()
    rule = make_inner_rule(NORM_L2, 4, SOFTMAX)
    with pytest.raises(ValueError, match="eta=0"):
        linear_objective(np.zeros((3, 4)), np.zeros(3), X, yk, sw, 0.1, 0.0, NORM_L2, SOFTMAX, rule)


def test_rule_is_reproducible_and_antithetic():
    a = make_inner_rule(NORM_INF, 5, LOGISTIC, n_inner_samples=16, seed=3, uniform=True)
    b = make_inner_rule(NORM_INF, 5, LOGISTIC, n_inner_samples=16, seed=3, uniform=True)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.samples[:8], -a.samples[8:])
    with pytest.raises(ValueError):
        make_inner_rule(NORM_INF, 5, LOGISTIC, n_inner_samples=15, uniform=True)
    with pytest.raises(ValueError):
        make_inner_rule(NORM_INF, 5, SOFTMAX, n_inner_samples=1)


def test_fit_lbfgs_reproduces_sklearn_logistic_regression():
    X, y, _, _, _ = _data(n=200, d=5, seed=2)
    n, C = X.shape[0], 0.7
    clf = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(X, y)
    rule = make_inner_rule(NORM_L2, 5, LOGISTIC)
    coef, intercept, n_iter, converged = fit_lbfgs(
        X, y, np.full(n, 1.0 / n), rho=0.0, eta=0.1, norm_code=NORM_L2, loss_code=LOGISTIC, alpha=1.0 / (C * n),
        fit_intercept=True, coef_init=np.zeros((1, 5)), intercept_init=np.zeros(1), max_iter=1000, tol=1e-10, rule=rule)
    assert converged and n_iter > 0
    np.testing.assert_allclose(coef, clf.coef_, atol=1e-5)
    np.testing.assert_allclose(intercept, clf.intercept_, atol=1e-5)


def test_fit_lbfgs_history_is_bounded(monkeypatch):
    """30 correction pairs, fewer where their floats pass the budget, never fewer than 10."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, y, _, _, _ = _data(n=50, d=5, seed=2)
    seen = []
    real = lbfgs.minimize
    monkeypatch.setattr(lbfgs, "minimize", lambda *a, **k: seen.append(k["options"]["maxcor"]) or real(*a, **k))
    for budget, expected in ((2**22, 30), (2 * 6 * 20, 20), (1, 10)):
        monkeypatch.setattr(lbfgs, "_MAXCOR_FLOATS", budget)
        fit_lbfgs(X, y, np.full(50, 1 / 50), rho=0.1, eta=0.1, norm_code=NORM_L2, loss_code=LOGISTIC, alpha=0.02,
                  fit_intercept=True, coef_init=np.zeros((1, 5)), intercept_init=np.zeros(1), max_iter=100,
                  tol=1e-6, rule=make_inner_rule(NORM_L2, 5, LOGISTIC))
        assert seen[-1] == expected


@pytest.mark.parametrize("norm", [NORM_INF, NORM_L2])
def test_fit_lbfgs_eta_zero_is_stationary(norm):
    # the adversarial fit lowers the objective and reports convergence; fit_intercept=False keeps b = 0
    X, y, _, sw, _ = _data(n=100, d=4)
    rule = make_inner_rule(norm, 4, LOGISTIC)
    kw = dict(rho=0.2, eta=0.0, norm_code=norm, loss_code=LOGISTIC, alpha=1e-2, rule=rule, max_iter=500, tol=1e-8)
    coef, intercept, _, converged = fit_lbfgs(X, y, sw, fit_intercept=False, coef_init=np.zeros((1, 4)),
                                              intercept_init=np.zeros(1), **kw)
    assert converged and intercept[0] == 0.0
    obj = lambda W: linear_objective(W, np.zeros(1), X, y, sw, 0.2, 0.0, norm, LOGISTIC, rule)[0] + 5e-3 * np.sum(W**2)  # noqa: E731
    rng = np.random.RandomState(0)
    base = obj(coef)
    assert all(obj(coef + 1e-3 * rng.randn(1, 4)) >= base - 1e-10 for _ in range(20))


def _robust_gradient(coef, intercept, X, y, sw, rho, eta, norm, alpha, rule):
    _, g_coef, g_int = linear_objective(coef, intercept, X, y, sw, rho, eta, norm, LOGISTIC, rule)
    return np.concatenate([g_coef.ravel() + alpha * coef.ravel(), g_int])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("eta", [1.0, 1e-3])
def test_fit_lbfgs_erm_start_meets_the_tolerance(norm, eta):
    """From the ERM solution or from zero, whichever the gradient test picks, the fit ends where
    the entropic gradient meets ``tol``, at the objective of the fit from zero."""
    X, y, _, sw, rng = _data(n=400, d=6, seed=3)
    X[:, :2] *= 3.0
    rule = make_inner_rule(norm, 6, LOGISTIC)
    kw = dict(rho=0.3, eta=eta, norm_code=norm, loss_code=LOGISTIC, alpha=1e-2, fit_intercept=True,
              coef_init=np.zeros((1, 6)), intercept_init=np.zeros(1), max_iter=1000, tol=1e-7, rule=rule)
    objective = lambda c, b: (linear_objective(c, b, X, y, sw, 0.3, eta, norm, LOGISTIC, rule)[0]  # noqa: E731
                              + 5e-3 * np.sum(c * c))
    results = {}
    for start in (False, True):
        coef, intercept, n_iter, converged = fit_lbfgs(X, y, sw, erm_start=start, **kw)
        assert converged
        assert np.max(np.abs(_robust_gradient(coef, intercept, X, y, sw, 0.3, eta, norm, 1e-2, rule))) <= 1e-7
        results[start] = objective(coef, intercept)
    assert results[True] == pytest.approx(results[False], rel=1e-10)


def test_fit_lbfgs_erm_start_follows_the_gradient_test(monkeypatch):
    """l2 ball: where ERM is (nearly) the entropic optimum (large ``eta``, a small ball) the fit
    starts from it and counts its iterations; where it is not (small ``eta``, a large ball) the
    fit is the one from zero, bit for bit. (The l_inf fits start from the surrogate instead:
    ``tests/test_surrogate.py``.)"""
    import skentropic.linear_model._lbfgs as lbfgs

    X, y, _, sw, _ = _data(n=400, d=6, seed=4)
    starts = []
    real, real_memory = lbfgs.minimize, lbfgs.lbfgs
    monkeypatch.setattr(lbfgs, "minimize", lambda f, x0, **k: starts.append(x0.copy()) or real(f, x0, **k))
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: starts.append(x0.copy()) or real_memory(f, x0, m, **k))

    def fit(rho, eta, start):
        rule = make_inner_rule(NORM_L2, 6, LOGISTIC)
        return fit_lbfgs(X, y, sw, rho=rho, eta=eta, norm_code=NORM_L2, loss_code=LOGISTIC, alpha=1e-2,
                         fit_intercept=True, coef_init=np.zeros((1, 6)), intercept_init=np.zeros(1), max_iter=1000,
                         tol=1e-6, rule=rule, erm_start=start)

    at_zero = []  # robust evaluations at zero weights (the gradient test takes the ERM one there)
    real_objective = lbfgs.linear_objective
    monkeypatch.setattr(lbfgs, "linear_objective", lambda coef, *a: at_zero.append(a[4] > 0 and not np.any(coef))
                        or real_objective(coef, *a))
    near = fit(0.01, 10.0, True)
    # the ERM fit from zero, then the robust run from its solution (where the ERM gradient meets tol)
    assert len(starts) == 2 and not np.any(starts[0])
    erm_rule = make_inner_rule(NORM_L2, 6, LOGISTIC)
    _, g_coef, g_int = linear_objective(starts[1][:6][None], starts[1][6:], X, y, sw, 0.0, 10.0, NORM_L2, LOGISTIC,
                                        erm_rule)
    assert np.max(np.abs(np.concatenate([g_coef.ravel() + 1e-2 * starts[1][:6], g_int]))) <= 1e-6
    assert near[2] >= 1
    assert not any(at_zero)  # started from ERM: no robust evaluation at zero
    far, plain = fit(2.0, 1e-3, True), fit(2.0, 1e-3, False)
    assert not np.any(starts[-2])  # the robust run of the ERM-start fit began at zero
    for a, b in zip(far, plain):
        assert np.array_equal(a, b)
    # from given (non-zero) weights there is no ERM start: the fit is the plain one, bit for bit
    for norm in (NORM_L2, NORM_INF):
        given = dict(coef_init=np.full((1, 6), 0.1), intercept_init=np.zeros(1))
        kw = dict(rho=0.01, eta=10.0, norm_code=norm, loss_code=LOGISTIC, alpha=1e-2, fit_intercept=True,
                  max_iter=1000, tol=1e-6, rule=make_inner_rule(norm, 6, LOGISTIC), **given)
        for a, b in zip(fit_lbfgs(X, y, sw, erm_start=True, **kw), fit_lbfgs(X, y, sw, erm_start=False, **kw)):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("norm, loss, threshold", [(NORM_L2, LOGISTIC, 0.04), (NORM_L1, LOGISTIC, 0.3),
                                                    (NORM_L2, SQUARED_HINGE, 0.04), (NORM_L1, HINGE, 0.04),
                                                    (NORM_INF, HINGE, 0.04)])
def test_fit_lbfgs_erm_start_threshold(monkeypatch, norm, loss, threshold):
    """The ERM start's gradient test: 0.3 of the gradient at zero for the logistic l1 fits (whose
    run keeps the ERM fit's pairs), 0.04 otherwise. An l1 fit whose ERM gradient ratio lies between
    0.04 and 0.3 starts at the ERM solution."""
    import skentropic.linear_model._lbfgs as lbfgs

    seen = []
    real = lbfgs._erm_start
    monkeypatch.setattr(lbfgs, "_erm_start", lambda fun, g0, x, n, t: seen.append((g0, x, t)) or real(fun, g0, x, n, t))
    X, y, _, sw, _ = _data(n=400, d=6, seed=4)
    rule = make_inner_rule(norm, 6, loss)
    kw = dict(norm_code=norm, loss_code=loss, alpha=1e-2, fit_intercept=True, coef_init=np.zeros((1, 6)),
              intercept_init=np.zeros(1), max_iter=1000, tol=1e-6, rule=rule, erm_start=True)
    fit_lbfgs(X, y, sw, rho=0.3, eta=1e-2, **kw)
    assert [t for *_, t in seen] == [threshold]
    if threshold <= 0.04:
        return
    # a ball whose ERM gradient ratio is between 0.04 and the threshold: the run starts at ERM
    for rho in np.geomspace(0.01, 3.0, 40):
        seen.clear()
        coef, intercept, _, _ = fit_lbfgs(X, y, sw, rho=rho, eta=1e-2, **kw)
        g0, x_erm, _ = seen[0]
        at_erm = _robust_gradient(x_erm[None, :6], x_erm[6:], X, y, sw, rho, 1e-2, norm, 1e-2, rule)
        ratio = np.max(np.abs(at_erm)) / np.max(np.abs(g0))
        if 0.05 < ratio < 0.9 * threshold:
            break
    else:
        pytest.fail("no ball with an ERM gradient ratio between 0.04 and the threshold")
    starts = []
    real_memory = lbfgs.lbfgs
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: starts.append(x0.copy()) or real_memory(f, x0, m, **k))
    fit_lbfgs(X, y, sw, rho=rho, eta=1e-2, **kw)
    assert len(starts) == 2 and np.array_equal(starts[1], x_erm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("eta", [10.0, 1e-2, 1e-4])
def test_robust_gradient_at_zero_weights_is_the_erm_gradient(norm, eta):
    """At ``w = 0`` the law of ``w·u`` is a point mass and the entropic loss is even in ``w``: the
    robust objective's value and gradient are the ERM objective's (the ERM start's test takes
    the gradient at a zero start from the cheap ERM objective)."""
    X, y, _, sw, rng = _data(n=300, d=6, seed=9)
    rule = make_inner_rule(norm, 6, LOGISTIC)
    b = np.array([0.3])
    robust = linear_objective(np.zeros((1, 6)), b, X, y, sw, 0.4, eta, norm, LOGISTIC, rule)
    erm = linear_objective(np.zeros((1, 6)), b, X, y, sw, 0.0, eta, norm, LOGISTIC, rule)
    assert robust[0] == pytest.approx(erm[0], rel=1e-12)
    np.testing.assert_allclose(robust[1], erm[1], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(robust[2], erm[2], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("norm, tried", [(NORM_INF, False), (NORM_L2, False), (NORM_L1, True)])
def test_fit_lbfgs_erm_start_only_where_it_pays(monkeypatch, norm, tried):
    """Beyond _ERM_START_POINTS points only the l_1 fits try the ERM start (one L-BFGS run more)."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, y, _, sw, _ = _data(n=400, d=6, seed=4)
    runs = []
    real, real_memory = lbfgs.minimize, lbfgs.lbfgs
    monkeypatch.setattr(lbfgs, "minimize", lambda f, x0, **k: runs.append(1) or real(f, x0, **k))
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: runs.append(1) or real_memory(f, x0, m, **k))
    monkeypatch.setattr(lbfgs, "_ERM_START_POINTS", 399)
    fit_lbfgs(X, y, sw, rho=0.01, eta=10.0, norm_code=norm, loss_code=LOGISTIC, alpha=1e-2, fit_intercept=True,
              coef_init=np.zeros((1, 6)), intercept_init=np.zeros(1), max_iter=1000, tol=1e-6,
              rule=make_inner_rule(norm, 6, LOGISTIC), erm_start=True)
    assert len(runs) == (2 if tried else 1)


def test_softmax_erm_path_matches_numpy():
    """rho = 0 with the softmax loss: cross-entropy values and exact gradients (finite differences)."""
    X, _, labels, sw, rng = _data(n=40, d=4, seed=7)
    W, b = 3.0 * rng.randn(3, 4), rng.randn(3)
    rule = make_inner_rule(NORM_INF, 4, SOFTMAX)
    values = per_sample_objective(W, b, X, labels, 0.0, 0.1, NORM_INF, SOFTMAX, rule)
    np.testing.assert_allclose(values, _np_loss(X @ W.T + b, labels, SOFTMAX), rtol=1e-12)
    value, g_coef, g_int = linear_objective(W, b, X, labels, sw, 0.0, 0.1, NORM_INF, SOFTMAX, rule)
    h = 1e-6
    for k, j in [(0, 0), (2, 3), (1, 2)]:
        E = np.zeros_like(W)
        E[k, j] = h
        fd = (linear_objective(W + E, b, X, labels, sw, 0.0, 0.1, NORM_INF, SOFTMAX, rule)[0]
              - linear_objective(W - E, b, X, labels, sw, 0.0, 0.1, NORM_INF, SOFTMAX, rule)[0]) / (2 * h)
        assert g_coef[k, j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert g_int.sum() == pytest.approx(0.0, abs=1e-12)  # softmax − onehot sums to zero per point


def test_fit_lbfgs_tilted_rule_aims_first_at_the_erm_solution(monkeypatch):
    """With erm_start the multinomial (tilted) fit's first aiming round starts, and is aimed, at
    the ERM solution, which the fit made first (l2 ball; the l_inf ball moves on to the
    surrogate's solution first: ``tests/test_surrogate.py``)."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, _, labels, sw, _ = _data(n=120, d=4, seed=8)
    starts = []
    real, real_memory = lbfgs.minimize, lbfgs.lbfgs
    monkeypatch.setattr(lbfgs, "minimize", lambda f, x0, **k: starts.append(x0.copy()) or real(f, x0, **k))
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: starts.append(x0.copy()) or real_memory(f, x0, m, **k))
    kw = dict(norm_code=NORM_L2, loss_code=SOFTMAX, alpha=1e-2, fit_intercept=True, coef_init=np.zeros((3, 4)),
              intercept_init=np.zeros(3), max_iter=200, tol=1e-6)
    erm = fit_lbfgs(X, labels, sw, rho=0.0, eta=0.1, rule=make_inner_rule(NORM_L2, 4, SOFTMAX), **kw)
    starts.clear()
    rule = make_inner_rule(NORM_L2, 4, SOFTMAX, n_inner_samples=16)
    coef, _, n_iter, _ = fit_lbfgs(X, labels, sw, rho=0.3, eta=0.1, rule=rule, erm_start=True, **kw)
    assert not np.any(starts[0])  # the ERM fit, from zero
    # (with kept curvature pairs: the same ERM solution as scipy's to the tolerance)
    np.testing.assert_allclose(starts[1], np.concatenate([erm[0].ravel(), erm[1]]), atol=1e-5)
    _, g_coef, g_int = linear_objective(starts[1][:12].reshape(3, 4), starts[1][12:], X, labels, sw, 0.0, 0.1,
                                        NORM_L2, SOFTMAX, rule)
    assert np.max(np.abs(np.concatenate([g_coef.ravel() + 1e-2 * starts[1][:12], g_int]))) <= 1e-6
    assert n_iter >= 1
    assert not np.allclose(coef, erm[0], atol=1e-3)  # the robust fit moved on from ERM
