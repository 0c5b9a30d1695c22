"""The l_inf surrogates that start the l_inf fits (``linear_model._surrogate``)."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from skentropic._core._losses import HINGE, LOGISTIC, SOFTMAX, SQUARED_HINGE, margin_losses_numpy
from skentropic._core._norms import NORM_INF
from skentropic.linear_model._laplace_surrogate import laplace_surrogate
from skentropic.linear_model._lbfgs import fit_lbfgs
from skentropic.linear_model._objective import linear_objective, make_inner_rule
from skentropic.linear_model._softmax_laplace import softmax_laplace_surrogate
from skentropic.linear_model._surrogate import margin_surrogate, softmax_surrogate


def _data(n=60, d=5, k=3, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, d), np.sign(rng.randn(n)), rng.randint(0, k, n), rng.dirichlet(np.ones(n)), rng


def _flat(fn, shape):
    """``fn(coef, intercept)`` as a function of one flat vector (for ``check_grad``)."""
    size = shape[0] * shape[1]

    def value(t):
        return fn(t[:size].reshape(shape), t[size:])[0]

    def grad(t):
        _, g_coef, g_int = fn(t[:size].reshape(shape), t[size:])
        return np.concatenate([g_coef.ravel(), g_int])

    return value, grad


@pytest.mark.parametrize("loss", [LOGISTIC, SQUARED_HINGE])
@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_margin_surrogate_gradient(loss, eta):
    X, y, _, sw, rng = _data()
    value, grad = _flat(lambda c, b: margin_surrogate(c, b, X, y, sw, 0.3, eta, loss), (1, 5))
    theta = 0.5 * rng.randn(6)
    assert check_grad(value, grad, theta) <= 1e-6 * max(1.0, np.linalg.norm(grad(theta)))


@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_softmax_surrogate_gradient(eta):
    X, _, labels, sw, rng = _data()
    value, grad = _flat(lambda c, b: softmax_surrogate(c, b, X, labels, sw, 0.3, eta), (3, 5))
    theta = 0.5 * rng.randn(18)
    assert check_grad(value, grad, theta) <= 1e-6 * max(1.0, np.linalg.norm(grad(theta)))


@pytest.mark.parametrize("loss", [LOGISTIC, HINGE, SQUARED_HINGE])
def test_margin_surrogate_limits(loss):
    """``η → 0``: the adversarial risk ``φ(s − ρ||w||_1)``; ``η → ∞``: the ERM risk."""
    X, y, _, sw, rng = _data()
    w, b = rng.randn(1, 5), np.array([0.2])
    scores = y * (X @ w[0] + b[0])
    adversarial = sw @ margin_losses_numpy(scores - 0.3 * np.abs(w).sum(), loss)[0]
    erm = sw @ margin_losses_numpy(scores, loss)[0]
    assert margin_surrogate(w, b, X, y, sw, 0.3, 1e-7, loss)[0] == pytest.approx(adversarial, rel=1e-5)
    assert margin_surrogate(w, b, X, y, sw, 0.3, 1e7, loss)[0] == pytest.approx(erm, rel=1e-7)


@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_two_class_softmax_surrogate_is_the_margin_one(eta):
    """Two classes: ``log(1 + exp(−m + h(w_1 − w_0)))`` with the margin ``m`` of the label, the
    logistic margin surrogate of ``w_1 − w_0`` (labels ``±1``), value and gradients."""
    X, _, labels, sw, rng = _data(k=2)
    W, b = rng.randn(2, 5), rng.randn(2)
    value, g_W, g_b = softmax_surrogate(W, b, X, labels, sw, 0.3, eta)
    ref, g_w, g_c = margin_surrogate((W[1] - W[0])[None], b[1:] - b[:1], X, 2.0 * labels - 1.0, sw, 0.3, eta,
                                     LOGISTIC)
    assert value == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(g_W, np.vstack([-g_w, g_w]), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g_b, np.concatenate([-g_c, g_c]), rtol=1e-10, atol=1e-14)


def _fit(X, y, sw, loss, start, eta=1e-3, rho=0.5, **kw):
    k = 3 if loss == SOFTMAX else 1
    rule = make_inner_rule(NORM_INF, X.shape[1], loss, **kw)
    return fit_lbfgs(X, y, sw, rho=rho, eta=eta, norm_code=NORM_INF, loss_code=loss, alpha=1e-2,
                     fit_intercept=True, coef_init=np.zeros((k, X.shape[1])), intercept_init=np.zeros(k),
                     max_iter=500, tol=1e-7, rule=rule, erm_start=start)


def _record_runs(monkeypatch):
    """The starts of the L-BFGS runs and the points where the entropic objective is evaluated."""
    import skentropic.linear_model._lbfgs as lbfgs

    starts, evaluated = [], []
    real, real_objective = lbfgs.lbfgs, lbfgs.linear_objective
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: starts.append(x0.copy()) or real(f, x0, m, **k))
    monkeypatch.setattr(lbfgs, "linear_objective", lambda c, b, *a: (a[4] > 0 and evaluated.append(
        np.concatenate([c.ravel(), b]))) or real_objective(c, b, *a))
    return starts, evaluated


def _stationary(fn, theta, d, alpha=1e-2, tol=1e-7):
    _, g_coef, g_int = fn(theta[:d][None], theta[d:])
    return np.max(np.abs(np.concatenate([g_coef.ravel() + alpha * theta[:d], g_int]))) <= tol


@pytest.mark.parametrize("loss", [LOGISTIC, SQUARED_HINGE])
def test_binary_linf_fit_starts_at_the_surrogate_solutions(monkeypatch, loss):
    """From zero to the surrogate's minimiser; with the logistic loss (``η = 1e-3``, outside
    ``_SURROGATE_FIRST``) on to the large-deviation bound's (:mod:`._laplace_surrogate`) without an
    entropic evaluation at the surrogate's; the robust run ends at the fit from zero's objective,
    with the gradient at the tolerance."""
    X, y, _, sw, _ = _data(n=300, d=6, seed=2)
    starts, evaluated = _record_runs(monkeypatch)
    coef, intercept, _, converged = _fit(X, y, sw, loss, True)
    assert converged and len(starts) == (3 if loss == LOGISTIC else 2) and not np.any(starts[0])
    # the start test's entropic evaluation, made once where the robust run starts (and reused as its
    # first): the surrogate's minimiser with the squared hinge, the bound's with the logistic loss
    assert sum(np.array_equal(e, starts[-1]) for e in evaluated) == 1
    assert sum(np.array_equal(e, starts[1]) for e in evaluated) == (0 if loss == LOGISTIC else 1)
    assert _stationary(lambda c, b: margin_surrogate(c, b, X, y, sw, 0.5, 1e-3, loss), starts[1], 6)
    if loss == LOGISTIC:
        assert not _stationary(lambda c, b: linear_objective(c, b, X, y, sw, 0.5, 1e-3, NORM_INF, loss,
                                                             make_inner_rule(NORM_INF, 6, loss)), starts[1], 6)
        assert _stationary(lambda c, b: laplace_surrogate(c, b, X, y, sw, 0.5, 1e-3), starts[2], 6)
    rule = make_inner_rule(NORM_INF, 6, loss)
    assert _stationary(lambda c, b: linear_objective(c, b, X, y, sw, 0.5, 1e-3, NORM_INF, loss, rule),
                       np.concatenate([coef.ravel(), intercept]), 6)
    plain = _fit(X, y, sw, loss, False)
    objective = lambda c, b: linear_objective(c, b, X, y, sw, 0.5, 1e-3, NORM_INF, loss,  # noqa: E731
                                              rule)[0] + 5e-3 * np.sum(c * c)
    assert objective(coef, intercept) == pytest.approx(objective(plain[0], plain[1]), rel=1e-10)


def test_binary_linf_bound_run_stops_after_its_iteration_cap(monkeypatch):
    """The binary bound's run stops after ``_BOUND_ITER`` iterations (it is kinked where a point's
    maximiser jumps, and there L-BFGS cannot meet the tolerance); the entropic run from there
    still ends at the fit from zero's objective."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, y, _, sw, _ = _data(n=300, d=6, seed=2)
    iterations, real = [], lbfgs.lbfgs
    monkeypatch.setattr(lbfgs, "_BOUND_ITER", 2)
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: (lambda r: iterations.append((k["maxiter"], r.nit))
                                                                or r)(real(f, x0, m, **k)))
    coef, intercept, _, converged = _fit(X, y, sw, LOGISTIC, True)
    assert converged and len(iterations) == 3 and iterations[1] == (2, 2) and iterations[2][0] == 500
    plain = _fit(X, y, sw, LOGISTIC, False)
    rule = make_inner_rule(NORM_INF, 6, LOGISTIC)
    objective = lambda c, b: linear_objective(c, b, X, y, sw, 0.5, 1e-3, NORM_INF, LOGISTIC,  # noqa: E731
                                              rule)[0] + 5e-3 * np.sum(c * c)
    assert objective(coef, intercept) == pytest.approx(objective(plain[0], plain[1]), rel=1e-10)


@pytest.mark.parametrize("eta", [1.0, 1.2])
def test_binary_linf_logistic_fit_skips_the_bound_where_the_surrogate_meets_the_tolerance(monkeypatch, eta):
    """``η`` in ``_SURROGATE_FIRST``: the surrogate's minimiser is tested first; here (the surrogate
    exact at ``η = 1``, close at 1.2) it meets the tolerance of the entropic objective, and the robust
    run starts there (two runs, the entropic objective evaluated once)."""
    X, y, _, sw, _ = _data(n=300, d=6, seed=2)
    starts, evaluated = _record_runs(monkeypatch)
    rule = make_inner_rule(NORM_INF, 6, LOGISTIC)
    fit_lbfgs(X, y, sw, rho=0.05, eta=eta, norm_code=NORM_INF, loss_code=LOGISTIC, alpha=1e-2, fit_intercept=True,
              coef_init=np.zeros((1, 6)), intercept_init=np.zeros(1), max_iter=500, tol=1e-4, rule=rule,
              erm_start=True)
    assert len(starts) == 2 and sum(np.any(e) for e in evaluated) == 1  # (and the ERM loss at zero)
    assert _stationary(lambda c, b: linear_objective(c, b, X, y, sw, 0.05, eta, NORM_INF, LOGISTIC, rule),
                       starts[1], 6, tol=1e-4)


def test_binary_linf_logistic_start_falls_back_to_the_surrogate_where_the_bound_fails_the_test(monkeypatch):
    """Outside ``_SURROGATE_FIRST``, where the entropic objective at the bound's minimiser is above
    its value at zero (here a bound replaced by one whose minimiser is far off), the start test is
    made at the surrogate's minimiser, and the robust run starts there."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, y, _, sw, _ = _data(n=300, d=6, seed=2)
    far = np.full(6, 50.0)
    monkeypatch.setattr(lbfgs, "laplace_surrogate", lambda c, b, *a: (
        0.5 * float(np.sum((c[0] - far) ** 2) + b[0] ** 2), (c[0] - far)[None], b.copy()))
    starts, evaluated = _record_runs(monkeypatch)
    coef, intercept, _, converged = _fit(X, y, sw, LOGISTIC, True)
    assert converged and len(starts) == 3
    bound_point = next(e for e in evaluated if np.any(e) and not np.array_equal(e, starts[1]))
    assert np.max(np.abs(bound_point[:6])) > 10.0  # the far bound's minimiser, tested and rejected
    assert sum(np.array_equal(e, starts[1]) for e in evaluated) == 1  # then the surrogate's, once
    np.testing.assert_array_equal(starts[2], starts[1])  # where the robust run starts
    plain = _fit(X, y, sw, LOGISTIC, False)
    rule = make_inner_rule(NORM_INF, 6, LOGISTIC)
    objective = lambda c, b: linear_objective(c, b, X, y, sw, 0.5, 1e-3, NORM_INF, LOGISTIC,  # noqa: E731
                                              rule)[0] + 5e-3 * np.sum(c * c)
    assert objective(coef, intercept) == pytest.approx(objective(plain[0], plain[1]), rel=1e-10)


def test_multinomial_linf_fit_starts_at_the_bound_after_the_surrogate(monkeypatch):
    """ERM first (from zero), then the surrogate from the ERM solution, then the large-deviation
    bound of ``_softmax_laplace`` from the surrogate's solution, whose solution is the anchor of
    the first tilted run, with all the samples (no aiming rounds); the two starts stop at
    ``_START_GTOL`` (the fit's ``tol`` here is 1e-7)."""
    import skentropic.linear_model._lbfgs as lbfgs

    X, _, labels, sw, _ = _data(n=120, d=4, seed=8)
    anchors, starts = [], []
    real, real_setup = lbfgs.lbfgs, lbfgs.replace
    monkeypatch.setattr(lbfgs, "lbfgs", lambda f, x0, m, **k: starts.append(x0.copy()) or real(f, x0, m, **k))
    monkeypatch.setattr(lbfgs, "replace", lambda r, **k: anchors.append((r.n_samples, k.get("anchor")))
                        or real_setup(r, **k))
    _fit(X, labels, sw, SOFTMAX, True, eta=0.1, rho=0.3, n_inner_samples=16)
    assert not np.any(starts[0])  # the ERM fit
    for objective, point in ((softmax_surrogate, starts[2]), (softmax_laplace_surrogate, starts[3])):
        _, g_coef, g_int = objective(point[:12].reshape(3, 4), point[12:], X, labels, sw, 0.3, 0.1,
                                     *([{}] if objective is softmax_laplace_surrogate else []))
        assert np.max(np.abs(np.concatenate([g_coef.ravel() + 1e-2 * point[:12], g_int]))) <= lbfgs._START_GTOL
    n_samples, first_anchor = next(a for a in anchors if a[1] is not None)
    assert n_samples == 16
    np.testing.assert_array_equal(np.concatenate([first_anchor[0].ravel(), first_anchor[1]]), starts[3])
