"""The l_∞ rule near a tie of the 8th and 9th largest weights (``_cube_rule.hybrid_tie_weight``).

The hybrid density takes the 8 largest ``a_k`` exactly; where the 8th and 9th swap places the
objective bent (its gradient jumped by up to 1e-5), and a fit whose minimiser sat on the tie
stopped short of ``tol = 1e-6``. Near a tie the rule blends in the rule with 9 exact coordinates.
"""

import warnings

import numpy as np
import pytest

from skentropic import EntropicRobustLogisticRegression
from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_INF
from skentropic.linear_model._cube_rule import _N_BIG, _TIE_BAND, hybrid_tie_weight
from skentropic.linear_model._objective import linear_objective, make_inner_rule

LOSSES = [LOGISTIC, HINGE, SQUARED_HINGE]


def _problem(seed=0, n=300, d=20):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.where(rng.rand(n) < 0.5, -1.0, 1.0)
    w = np.sort(rng.rand(d) + 0.2)[::-1] * np.where(rng.rand(d) < 0.5, -1.0, 1.0)
    return X, y, w


def _objective(X, y, w, loss, eta):
    n, d = X.shape
    rule = make_inner_rule(NORM_INF, d, loss)
    value, g_w = linear_objective(w[None], np.array([0.1]), X, y, np.full(n, 1.0 / n), 0.2, eta, NORM_INF, loss,
                                  rule)[:2]
    return value, np.ravel(g_w)


def test_tie_weight_and_its_derivative():
    a = np.linspace(2.0, 1.0, 12)
    assert hybrid_tie_weight(a, _N_BIG) == (0.0, 0.0, 0.0)  # 9th 6% below the 8th
    assert hybrid_tie_weight(a[:_N_BIG], _N_BIG) == (0.0, 0.0, 0.0)  # no 9th
    a[_N_BIG] = a[_N_BIG - 1]
    assert hybrid_tie_weight(a, _N_BIG)[0] == 1.0
    assert hybrid_tie_weight(a, _N_BIG - 1) == (0.0, 0.0, 0.0)  # fewer exact (the spline prefix)
    for gap in (0.1, 0.5, 0.9):
        a[_N_BIG] = a[_N_BIG - 1] * (1.0 - gap * _TIE_BAND)
        b, d_top, d_below = hybrid_tie_weight(a, _N_BIG)
        assert 0.0 < b < 1.0
        for k, derivative in ((_N_BIG - 1, d_top), (_N_BIG, d_below)):
            step = np.zeros_like(a)
            step[k] = 1e-7
            fd = (hybrid_tie_weight(a + step, _N_BIG)[0] - hybrid_tie_weight(a - step, _N_BIG)[0]) / 2e-7
            assert derivative == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("eta", [0.01, 1.0])
def test_gradient_is_exact_inside_the_band(loss, eta):
    """Central differences of the blended objective, with the 9th weight 2% below the 8th: the
    blend's own term ``Σ sw (F_9 − F_8) ∂b/∂a`` included."""
    X, y, w = _problem()
    w[_N_BIG] = np.sign(w[_N_BIG]) * abs(w[_N_BIG - 1]) * 0.98
    _, g = _objective(X, y, w, loss, eta)
    for k in (_N_BIG - 2, _N_BIG - 1, _N_BIG, _N_BIG + 1, 0):
        e = np.zeros_like(w)
        e[k] = 1e-6
        fd = (_objective(X, y, w + e, loss, eta)[0] - _objective(X, y, w - e, loss, eta)[0]) / 2e-6
        assert g[k] == pytest.approx(fd, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("eta", [0.01, 0.1, 1.0])
def test_gradient_is_continuous_where_the_8th_and_9th_swap(loss, eta):
    """The gradient on either side of the swap (``a_9 = a_8 (1 ± 1e-9)``): it jumped by 6e-7 to
    9e-5 with the 8 largest alone (1e-10 to 3e-9 now, the change over that step)."""
    X, y, w = _problem()
    grads = []
    for side in (1.0, -1.0):
        v = w.copy()
        v[_N_BIG] = np.sign(v[_N_BIG]) * abs(v[_N_BIG - 1]) * (1.0 + side * 1e-9)
        grads.append(_objective(X, y, v, loss, eta)[1])
    assert np.abs(grads[0] - grads[1]).max() < 2e-8


def test_fit_on_the_tie_meets_tol():
    """A fit whose minimiser puts the 8th and 9th weights on a tie (``bench_deterministic.py --runs
    --tol 1e-6 --rho 0.3``'s 1000 x 64 problem at ``η = 0.01``) converges at the default ``tol``."""
    rng = np.random.RandomState(0)
    X = rng.randn(1000, 64)
    w = rng.randn(64) / 8.0
    y = np.where(X @ w + 0.5 * rng.randn(1000) > 0, 1.0, -1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = EntropicRobustLogisticRegression(rho=0.3, eta=0.01, norm=np.inf).fit(X, y)
    a = np.sort(np.abs(model.coef_[0]))[::-1]
    assert 1.0 - a[_N_BIG] / a[_N_BIG - 1] < 1e-4  # the minimiser is on the tie
