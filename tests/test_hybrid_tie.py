"""The l_∞ rule near a tie of the 8th and 9th largest weights (``_cube_rule.hybrid_tie_weight``).

The hybrid density takes the 8 largest ``a_k`` exactly; where the 8th and 9th swap places the
objective bent (its gradient jumped by up to 9e-5), and a fit whose minimiser sat on the tie
stopped short of ``tol = 1e-6``. Near a tie the rule blends in the rule with 9 exact coordinates.
"""

import warnings

import numpy as np
import pytest

from skentropic import EntropicRobustLogisticRegression
from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._core._norms import NORM_INF
from skentropic.linear_model._cube_rule import _N_BIG, _TIE_BAND, hybrid_tie_weight
from skentropic.linear_model._law_margins import cube_law, tie_blend
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective

LOSSES = [LOGISTIC, HINGE, SQUARED_HINGE]


def _problem(kind, n=300):
    """``"spread"``: 20 weights of different sizes; ``"flat tail"``: 8 large, then 32 of 0.8 of the
    largest, whose grid (the bulk's stretch) depends on how many are exact: the blend of values."""
    rng = np.random.RandomState(0)
    if kind == "spread":
        w = np.sort(rng.rand(20) + 0.2)[::-1]
    else:
        w = np.r_[np.linspace(1.2, 1.0, 8), np.full(32, 0.8)]
    w = w * np.where(rng.rand(w.shape[0]) < 0.5, -1.0, 1.0)
    X = rng.randn(n, w.shape[0])
    y = np.where(rng.rand(n) < 0.5, -1.0, 1.0)
    return X, y, w


def _same_atoms(X, y, w, loss, eta):
    """Whether the blend is on the same atoms (``tie_blend``'s grid is the rule's)."""
    scores = y * (X @ w + 0.1)
    law = cube_law(w, 0.2, eta, loss, float(np.abs(scores).max()))
    (b, _, _), _, same_grid = tie_blend(law, eta, loss, float(np.abs(scores).max()))
    assert b > 0.0
    return same_grid


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


@pytest.mark.parametrize("kind", ["spread", "flat tail"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("eta", [0.01, 1.0])
def test_gradient_is_exact_inside_the_band(kind, loss, eta):
    """Central differences of the blended objective, with the 9th weight 2% below the 8th: the
    blend's own term (``Σ_j β_j (ℓ_9,j − ℓ_8,j) ∂b/∂a`` on the same atoms, ``Σ_i sw_i (F_9,i − F_8,i)
    ∂b/∂a`` for the blend of values) included."""
    X, y, w = _problem(kind)
    w[_N_BIG] = np.sign(w[_N_BIG]) * abs(w[_N_BIG - 1]) * 0.98
    assert _same_atoms(X, y, w, loss, eta) == (kind == "spread" or loss != LOGISTIC)
    _, g = _objective(X, y, w, loss, eta)
    for k in (_N_BIG - 2, _N_BIG - 1, _N_BIG, _N_BIG + 1, 0):
        e = np.zeros_like(w)
        e[k] = 1e-6
        fd = (_objective(X, y, w + e, loss, eta)[0] - _objective(X, y, w - e, loss, eta)[0]) / 2e-6
        # the hinge's kink correction leaves gradient errors of up to 7e-6 of the largest component at
        # eta = 1 away from any tie as well (9th weight 10% or 20% below the 8th)
        tol = 2e-5 * np.abs(g).max() if loss == HINGE else 1e-5 * abs(fd) + 1e-9
        assert abs(g[k] - fd) <= tol


@pytest.mark.parametrize("kind", ["spread", "flat tail"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("eta", [0.01, 0.1, 1.0])
def test_gradient_is_continuous_where_the_8th_and_9th_swap(kind, loss, eta):
    """The gradient on either side of the swap (``a_9 = a_8 (1 ± 1e-9)``): on the spread weights it
    jumped by 5e-7 to 9e-5 with the 8 largest alone (1e-10 to 3e-9 now, the change over that step)."""
    X, y, w = _problem(kind)
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


@pytest.mark.parametrize("d", [64, 784])
@pytest.mark.parametrize("loss, name", [(LOGISTIC, "log"), (HINGE, "hinge")])
@pytest.mark.parametrize("eta", [1e-3, 0.1])
def test_blended_risk_matches_tilted_sampling(d, loss, name, eta):
    """In the band the estimators' ``F`` (``per_sample_objective``, the blend included) against
    tilted importance sampling of the cube (:func:`_references.tilted_is`, 100 000 samples), where
    the hybrid density matters: 8 large weights, the 9th 2% below the 8th, the rest small. (At
    ``η = 1`` the sampling's own error, up to 5% here, would test nothing.)"""
    from _references import tilted_is

    a = np.r_[np.linspace(1.0, 0.6, _N_BIG), 0.98 * 0.6, np.full(d - _N_BIG - 1, 0.3 / np.sqrt(d))]
    scores = np.array([-1.0, 0.5, 2.0, 4.0])
    X = np.zeros((scores.shape[0], d))
    X[:, 0] = scores / a[0]
    law = cube_law(a, 1.0, eta, loss, float(np.abs(scores).max()))
    assert tie_blend(law, eta, loss, float(np.abs(scores).max()))[0][0] > 0.0  # the blend is on
    rule = make_inner_rule(NORM_INF, d, loss)
    F = per_sample_objective(a[None], np.zeros(1), X, np.ones(scores.shape[0]), 1.0, eta, NORM_INF, loss, rule)
    for s, value in zip(scores, F):
        ref, se = tilted_is(s, a, eta, name, n_samples=100_000)
        assert value == pytest.approx(ref, rel=1e-4, abs=4 * se + 1e-12), (s, ref, se)
