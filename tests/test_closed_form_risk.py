"""The logistic and softmax entropic risks in closed form, in any dimension (references for the rules).

At ``η = 1/m`` (``m`` a positive integer) ``e^{φ(z)/η} = (1 + e^{−z})^m`` is a polynomial in
``e^{−z}``, so the expectation over the ball is a sum of ``m + 1`` values of the ball's moment
generating function ``M(v) = E e^{v·u}`` (:func:`_references.logistic_binomial`): exact for the
cube (``log M = Σ_k log(sinh v_k / v_k)``) and the ``l_2`` ball (``M = ₀F₁(; d/2 + 1; ||v||²/4)``)
in every dimension, ``d = 784`` too, and down to ``η = 1e-4``. The softmax loss likewise:
``(Σ_c e^{z_c − z_y})^m`` is a sum over the compositions of ``m`` into ``K`` parts
(:func:`_references.softmax_multinomial`; at ``η = 1``, ``F = log Σ_c exp(z_c − z_y +
log M(ρ(w_c − w_y)))``). These
references share nothing with the estimators' rules (atoms of the law of ``w·u``, quadrature,
tilted importance sampling).
"""

import warnings

import numpy as np
import pytest
from _references import (
    ball_log_mgf,
    cube_log_mgf,
    dual_norm,
    logistic_binomial,
    scaled_binary_problem,
    softmax_multinomial,
)

from skentropic._core._losses import LOGISTIC, SOFTMAX
from skentropic._core._norms import NORM_INF, NORM_L2
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective
from skentropic.linear_model._surrogate import margin_surrogate

_LOG_MGF = {NORM_INF: cube_log_mgf, NORM_L2: ball_log_mgf}


@pytest.mark.parametrize("norm", [NORM_INF, NORM_L2])
@pytest.mark.parametrize("d", [2, 8, 64, 784])
@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_logistic_risk_at_eta_one_over_m_is_the_closed_form(norm, d, scale):
    """The binary logistic rules (``l_∞``: the law's atoms; ``l_2``: the sphere's) at ``η`` 1, 0.1,
    0.01, 1e-3 and 1e-4 against the closed form: the risk on the score grid within 1e-5 relative, each
    point within 1e-4 (the issue's aim; ``atol`` 1e-14: a point's ``F`` far below one is computed to
    about that absolute accuracy). ``python benchmarks/bench_closed_form.py --tables binary``
    (2026-11-30): ``l_∞`` risks within 5.1e-7 (``d = 64``, scale 10, ``η = 0.1``; ``d = 784``
    4.6e-9), points with ``F > 1e-8`` within 2.2e-5; ``l_2`` within 3e-14 and 5.2e-8."""
    X, y, sw, w, b = scaled_binary_problem(d, scale, norm == NORM_INF)
    rule = make_inner_rule(norm, d, LOGISTIC)
    scores = y * (X @ w[0] + b[0])
    for m in (1, 10, 100, 1000, 10000):
        exact = logistic_binomial(scores, 0.1 * w[0], m, _LOG_MGF[norm])
        value = linear_objective(w, b, X, y, sw, 0.1, 1.0 / m, norm, LOGISTIC, rule)[0]
        assert value == pytest.approx(sw @ exact, rel=1e-5), m
        direct = per_sample_objective(w, b, X, y, 0.1, 1.0 / m, norm, LOGISTIC, rule)
        np.testing.assert_allclose(direct, exact, rtol=1e-4, atol=1e-14, err_msg=f"eta = 1/{m}")


@pytest.mark.parametrize("d", [2, 8, 64, 784])
@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_logistic_linf_gradient_at_eta_one_is_the_closed_forms(d, scale):
    """At ``η = 1`` the ``l_∞`` surrogate of :mod:`._surrogate` is the closed form (its margin shift
    ``η K(1/η)`` is ``log M(ρw)``), with an exact gradient: the rule's gradient against it, within
    2e-4 of the largest component. ``bench_closed_form.py --tables gradient`` (2026-11-30): up to
    4.0e-5 (``d = 2``, scale 1), 9.9e-6 at ``d = 64``, 2.5e-8 at ``d = 784``; 6e-12 at ``d = 8``,
    where every coordinate is exact."""
    X, y, sw, w, b = scaled_binary_problem(d, scale, True)
    value, g_w, g_b = linear_objective(w, b, X, y, sw, 0.1, 1.0, NORM_INF, LOGISTIC, make_inner_rule(NORM_INF, d,
                                                                                                  LOGISTIC))
    ref, r_w, r_b = margin_surrogate(w, b, X, y, sw, 0.1, 1.0, LOGISTIC)
    assert ref == pytest.approx(sw @ logistic_binomial(y * (X @ w[0] + b[0]), 0.1 * w[0], 1, cube_log_mgf), rel=1e-13)
    np.testing.assert_allclose(np.concatenate([g_w.ravel(), g_b]), np.concatenate([r_w.ravel(), r_b]),
                               rtol=0, atol=2e-4 * np.max(np.abs(r_w)))


@pytest.mark.parametrize("norm", [NORM_INF, NORM_L2])
@pytest.mark.parametrize("d", [8, 64, 784])
@pytest.mark.parametrize("k, m", [(3, 1), (3, 10), (3, 100), (10, 1)])
def test_softmax_risk_at_eta_one_over_m_is_the_closed_form(norm, d, k, m):
    """The multinomial (tilted importance-sampling) rule to ``rtol = 1e-3`` against the closed form at
    ``η = 1/m``, ``ρ||w_c − w_y||_*`` up to about 3 (``ρ = 0.1``): its mean risk within ``1e-3``
    relative (the bound it draws samples to meet, which says 99.7%; seeded, so the same draws every
    run). ``bench_closed_form.py --tables softmax`` (2026-11-30, three classes, the largest over
    seeds 0-4): up to 5.7e-4 at ``η = 1`` (``l_2``, ``d = 8``), 8.1e-5 at 0.1 and 1.3e-5 at 0.01.
    The rule's single points are noisier than its mean (up to 0.13 at ``η = 1``, ``d = 8``, and
    0.013 at 0.01): its samples are drawn for the mean's bound."""
    rng = np.random.RandomState(d + k)
    n = 200
    X, labels = rng.randn(n, d), rng.randint(0, k, n)
    W = rng.randn(k, d)
    W *= 15.0 / dual_norm(W, norm == NORM_INF)
    b = rng.randn(k)
    exact = softmax_multinomial(X @ W.T + b, labels, W, 0.1, m, _LOG_MGF[norm])
    rule = make_inner_rule(norm, d, SOFTMAX, n_inner_samples=32, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the draw cap's warning would fail the test)
        estimate = per_sample_objective(W, b, X, labels, 0.1, 1.0 / m, norm, SOFTMAX, rule, rtol=1e-3)
    assert estimate.mean() == pytest.approx(exact.mean(), rel=1e-3)


@pytest.mark.parametrize("m", [1, 7, 30])
def test_two_class_softmax_closed_form_is_the_logistic_one(m):
    """The references agree with each other: two classes' softmax loss is the logistic loss of the
    margin ``z_y − z_c``, perturbed by ``ρ(w_c − w_y)·u``."""
    rng = np.random.RandomState(m)
    X, labels, W, b = rng.randn(50, 6), rng.randint(0, 2, 50), rng.randn(2, 6), rng.randn(2)
    Z = X @ W.T + b
    soft = softmax_multinomial(Z, labels, W, 0.3, m, cube_log_mgf)
    other = 1 - labels
    margins = Z[np.arange(50), labels] - Z[np.arange(50), other]
    for label in (0, 1):
        rows = labels == label
        v = 0.3 * (W[1 - label] - W[label])
        np.testing.assert_allclose(soft[rows], logistic_binomial(margins[rows], v, m, cube_log_mgf), rtol=1e-12)


@pytest.mark.parametrize("norm", [np.inf, 2])
@pytest.mark.parametrize("eta", [0.1, 0.01])
def test_fitted_estimators_report_the_closed_form_risk(norm, eta):
    """What a user reads: ``entropic_risk`` of fitted models on the digits (features in [0, 1]),
    binary and one-vs-rest on three classes (exact rules: within 1e-5 relative) and multinomial on
    three classes (tilted rule to its default ``rtol = 1e-3``), against the closed form at the
    fitted weights (``random_state=0``: the multinomial's draws are seeded). ``bench_closed_form.py
    --tables fitted`` (2026-11-30): ``l_∞`` binary and one-vs-rest within 1.5e-6 (the digits'
    fitted weights, a few large pixels, are harder than the random ones above), ``l_2`` within
    5e-15, the multinomial within 7.7e-4 (``l_2``, ``η = 0.1``)."""
    from skentropic.datasets import load_digits_unit
    from skentropic.linear_model import EntropicRobustLogisticRegression

    X, y = load_digits_unit()
    keep = y < 3
    X3, y3 = X[keep], y[keep]
    log_mgf, m = _LOG_MGF[NORM_INF if norm == np.inf else NORM_L2], round(1 / eta)
    binary = EntropicRobustLogisticRegression(rho=0.05, eta=eta, norm=norm, random_state=0).fit(X, y >= 5)
    target = np.where(y >= 5, 1.0, -1.0)
    exact = logistic_binomial(target * (X @ binary.coef_[0] + binary.intercept_[0]), 0.05 * binary.coef_[0], m,
                              log_mgf)
    assert binary.entropic_risk(X, y >= 5) == pytest.approx(exact.mean(), rel=1e-5)
    ovr = EntropicRobustLogisticRegression(rho=0.05, eta=eta, norm=norm, multi_class="ovr",
                                           random_state=0).fit(X3, y3)
    exact = np.mean([logistic_binomial(np.where(y3 == c, 1.0, -1.0) * (X3 @ ovr.coef_[c] + ovr.intercept_[c]),
                                       0.05 * ovr.coef_[c], m, log_mgf) for c in range(3)], axis=0)
    assert ovr.entropic_risk(X3, y3) == pytest.approx(exact.mean(), rel=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the fit's own ConvergenceWarning at the default max_iter, if any)
        multi = EntropicRobustLogisticRegression(rho=0.05, eta=eta, norm=norm, random_state=0).fit(X3, y3)
    exact = softmax_multinomial(X3 @ multi.coef_.T + multi.intercept_, y3, multi.coef_, 0.05, m, log_mgf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the draw cap's warning would fail the test)
        assert multi.entropic_risk(X3, y3) == pytest.approx(exact.mean(), rel=1e-3)
