"""The logistic excess ``F_i − φ(s_i)`` without cancellation (``linear_model._excess``)."""

import mpmath
import numpy as np
import pytest

from skentropic import EntropicRobustLogisticRegression
from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic.linear_model._excess import log_mean_exp_excess, logistic_excess, logistic_increments
from skentropic.linear_model._objective import make_inner_rule, per_sample_objective

NORMS = [NORM_L2, NORM_INF, NORM_L1]


def _phi(z):
    return mpmath.log1p(mpmath.exp(-z))


def test_increments_match_high_precision():
    scores = np.array([-40.0, -3.0, 0.0, 0.7, 5.0, 40.0])
    shifts = np.array([-800.0, -35.0, -1.0, -1e-9, 0.0, 3e-12, 0.5, 60.0])
    got = logistic_increments(scores, shifts)
    with mpmath.workdps(50):
        for i, s in enumerate(scores):
            for j, delta in enumerate(shifts):
                ref = float(_phi(mpmath.mpf(s) + mpmath.mpf(delta)) - _phi(mpmath.mpf(s)))
                assert got[i, j] == pytest.approx(ref, rel=1e-13, abs=1e-300), (s, delta)


def test_log_mean_exp_excess_tiny_and_large():
    rng = np.random.RandomState(0)
    log_w = rng.randn(7)
    for scale in (1e-9, 1e-3, 0.5, 30.0, 1e4):
        x = scale * rng.randn(3, 7)
        got = log_mean_exp_excess(x, log_w)
        with mpmath.workdps(60):
            w = [mpmath.exp(mpmath.mpf(v)) for v in log_w]
            for i in range(3):
                ref = mpmath.log(sum(wj * mpmath.exp(mpmath.mpf(v)) for wj, v in zip(w, x[i])) / sum(w))
                assert got[i] == pytest.approx(float(ref), rel=1e-12), (scale, i)


@pytest.mark.parametrize("d", [5, 64, 784])
@pytest.mark.parametrize("norm_code", NORMS)
@pytest.mark.parametrize("eta", [0.0, 1e-3, 0.1, 10.0])
def test_excess_is_the_rules_difference(norm_code, eta, d):
    """Where F − φ does not cancel (ρ||w|| of order one), the excess is the estimator's own rule
    (whose F is tested against independent references in these dimensions elsewhere)."""
    rng = np.random.RandomState(1)
    X, w, b = rng.randn(40, d), rng.randn(d) * np.sqrt(5.0 / d), 0.3
    y = np.where(rng.rand(40) < 0.5, -1.0, 1.0)
    rho = 0.4
    rule = make_inner_rule(norm_code, d, LOGISTIC)
    F = per_sample_objective(w[None], np.array([b]), X, y, rho, eta, norm_code, LOGISTIC, rule)
    erm = np.logaddexp(0.0, -y * (X @ w + b))
    got = logistic_excess(w, b, X, y, rho, eta, norm_code)
    # F − ERM itself is rounded: F to a few eps of η (η log of a sum near 1) and of the risks
    assert np.all(np.abs(got - (F - erm)) <= 1e-10 * np.abs(got) + 1e-14 * (1.0 + F + eta))


@pytest.mark.parametrize("norm_code", NORMS)
@pytest.mark.parametrize("rho, eta", [(1e-7, 1e-4), (1e-5, 1e-3), (1e-3, 1e-2), (1e-2, 1e-5)])
def test_excess_at_tiny_radius_against_quadrature(norm_code, rho, eta):
    """In one dimension every ball is [−1, 1] and ``u`` is uniform on it:
    ``F − φ(s) = η log ½∫ exp((φ(s − ρwu) − φ(s))/η) du`` by mpmath at 40 digits, down to
    penalties of ``1e-17`` that ``F − ERM`` cannot resolve."""
    w, b = np.array([1.3]), -0.2
    X = np.array([[-2.0], [-0.1], [0.4], [3.0]])
    y = np.array([1.0, -1.0, 1.0, 1.0])
    got = logistic_excess(w, b, X, y, rho, eta, norm_code)
    with mpmath.workdps(40):
        for i in range(4):
            s = mpmath.mpf(y[i] * (X[i, 0] * w[0] + b))
            a = mpmath.mpf(rho) * mpmath.mpf(w[0])

            def integrand(u, s=s, a=a):
                return mpmath.exp((_phi(s - a * u) - _phi(s)) / mpmath.mpf(eta))

            ref = mpmath.mpf(eta) * mpmath.log(mpmath.quad(integrand, [-1, 0, 1]) / 2)
            # the rules' own accuracy (1e-8 relative or better) bounds the agreement
            assert got[i] == pytest.approx(float(ref), rel=1e-7), (i, float(ref))


def test_one_vs_rest_penalty_has_no_rounding_floor():
    """``penalty_sweep`` on a one-vs-rest entropic logistic model down to ρ = 1e-11 (penalties of
    ``1e-16``): every part is exact, and the variance surrogate's relative error keeps falling
    like ``η = ρ/C`` (computed as ``F − ERM`` it was 1.6e-2 at the last point, rounding noise)."""
    from skentropic.regularization import penalty_sweep

    rng = np.random.RandomState(3)
    X = rng.randn(60, 3)
    y = np.argmax(X @ rng.randn(3, 3), axis=1)
    clf = EntropicRobustLogisticRegression(rho=0.1, eta=0.1, norm=np.inf, multi_class="ovr").fit(X, y)
    errors = [abs(penalty_sweep(clf, X, y, rho=rho, C=[C], norm=np.inf)["variance_rel_error"][0])
              for rho, C in [(1e-7, 1e-2), (1e-9, 1e-3), (1e-11, 1e-4)]]
    assert errors[1] < 0.2 * errors[0] and errors[2] < 0.2 * errors[1]
