"""Tests of skentropic.worst_case and its kernels (skentropic._core._worst_case_kernels).

Exact check: with ``G_i(β) = log E_u exp(β ℓ(x_i + ρu))`` and ``F_i(η) = η G_i(1/η)``,
``E_{P*_i}[ℓ] = G_i'(1/η)``. For a binary linear model under the ``l_2`` ball ``F`` is exact
(quadrature), so a central finite difference of ``β ↦ β F(1/β)`` gives ``E_{P*}[ℓ]`` to about
``1e-8``; the sampler's self-normalised mean loss must match it within Monte Carlo error.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2, lp_norm
from skentropic._core._worst_case_kernels import RESAMPLE_MULTINOMIAL, RESAMPLE_SYSTEMATIC, resample_rows
from skentropic._core._worst_case_kernels import worst_case_log_density as density_kernel
from skentropic.regularization import penalty_sweep
from skentropic.worst_case import log_ball_volume, plot_worst_case, sample_worst_case, worst_case_log_density


@pytest.fixture(scope="module")
def toy():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(6, 2) + [1.2, 0], rng.randn(6, 2) - [1.2, 0]])
    y = np.array([1] * 6 + [0] * 6)
    return LogisticRegression().fit(X, y), X, y


# ---------------------------------------------------------------- kernels


@pytest.mark.parametrize("eta", [0.0, 1e-9, 0.3])
def test_resample_rows_matches_numpy(eta):
    L = np.random.RandomState(1).randn(3, 7) * 50
    idx, ess, mean_loss, objective = resample_rows(L, eta, 4, RESAMPLE_SYSTEMATIC, 0)
    if eta == 0:
        w = (L == L.max(axis=1, keepdims=True)).astype(float)
        w /= w.sum(axis=1, keepdims=True)
        np.testing.assert_array_equal(objective, L.max(axis=1))
    else:
        w = softmax(L / eta, axis=1)
        top = L.max(axis=1)
        np.testing.assert_allclose(objective, top + eta * np.log(np.exp((L - top[:, None]) / eta).mean(1)))
    np.testing.assert_allclose(ess, 1 / (w**2).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(mean_loss, (w * L).sum(axis=1), rtol=1e-12)
    assert np.all(w[np.arange(3)[:, None], idx] > 0)  # only proposals with weight are drawn


@pytest.mark.parametrize("scheme", [RESAMPLE_SYSTEMATIC, RESAMPLE_MULTINOMIAL])
def test_resampling_frequencies_follow_weights(scheme):
    L = np.array([[0.0, np.log(2.0), np.log(5.0), -30.0]])
    idx, *_ = resample_rows(L, 1.0, 40_000, scheme, 3)
    freq = np.bincount(idx[0], minlength=4) / 40_000
    np.testing.assert_allclose(freq, [1 / 8, 2 / 8, 5 / 8, 0.0], atol=0.01)
    again, *_ = resample_rows(L, 1.0, 40_000, scheme, 3)
    np.testing.assert_array_equal(idx, again)


def test_density_kernel_matches_numpy():
    rng = np.random.RandomState(2)
    X, Z = rng.randn(4, 2), rng.randn(30, 2) * 0.8
    y_enc = np.array([0, 1, 1, 0])
    LZ = rng.rand(30, 2)
    log_norm = rng.randn(4)
    rho, eta = 0.9, 0.5
    for code, p in [(NORM_L2, 2), (NORM_INF, np.inf), (NORM_L1, 1)]:
        got = density_kernel(Z, X, y_enc, LZ, log_norm, rho, eta, code, 0.3)
        inside = np.linalg.norm(Z[:, None] - X[None], ord=p, axis=2) <= rho
        terms = np.exp(LZ[:, y_enc] / eta - log_norm) * inside
        with np.errstate(divide="ignore"):
            ref = np.log(terms.sum(axis=1) / 4) - 0.3
        np.testing.assert_allclose(got, ref, rtol=1e-12)


# ---------------------------------------------------------------- sampler


@settings(max_examples=10, deadline=None)
@given(norm=st.sampled_from([np.inf, 2, 1]), eta=st.sampled_from([0.0, 1e-6, 0.05, 10.0]),
       rho=st.floats(0.01, 2.0), seed=st.integers(0, 1000))
def test_samples_stay_in_the_ball(toy, norm, eta, rho, seed):
    clf, X, y = toy
    draws = sample_worst_case(clf, X, y, rho=rho, eta=eta, norm=norm, n_proposals=64, n_draws=3,
                              random_state=seed)
    assert draws.samples.shape == (36, 2)
    from skentropic._core._norms import norm_code

    dist = lp_norm(draws.samples - X[draws.origin], norm_code(norm))
    assert np.all(dist <= rho * (1 + 1e-12))
    np.testing.assert_array_equal(draws.y, y[draws.origin])
    assert np.all((draws.ess >= 1 - 1e-9) & (draws.ess <= 64 + 1e-9))


def test_mean_loss_is_derivative_of_entropic_risk(toy):
    """E_{P*}[ℓ] = d/dβ [β F(1/β)] at β = 1/η (exact F by quadrature)."""
    clf, X, y = toy
    rho, eta, h = 0.5, 0.2, 1e-4
    beta = 1 / eta
    F = penalty_sweep(clf, X, y, rho=rho, eta=[1 / (beta + h), 1 / (beta - h)], norm=2)["entropic_risk"]
    derivative = ((beta + h) * F[0] - (beta - h) * F[1]) / (2 * h)
    estimates = [sample_worst_case(clf, X, y, rho=rho, eta=eta, norm=2, n_proposals=4096,
                                   random_state=s).mean_loss.mean() for s in range(6)]
    se = np.std(estimates, ddof=1) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - derivative) < 4 * se + 1e-6
    assert se < 0.01 * derivative  # the check has power
    # and E_{P*}[ℓ] lies above F (since β F(1/β) = G(β) is convex in β with G(0) = 0)
    assert derivative > penalty_sweep(clf, X, y, rho=rho, eta=[eta], norm=2)["entropic_risk"][0]


def test_collapses_to_adversarial_points_as_eta_to_zero(toy):
    clf, X, y = toy
    rho = 0.4
    w = clf.coef_[0]
    sign = np.where(y == 1, 1.0, -1.0)
    adversarial = X - rho * sign[:, None] * w / np.linalg.norm(w)
    spread = []
    for eta in (10.0, 0.1, 1e-3, 1e-6):
        draws = sample_worst_case(clf, X, y, rho=rho, eta=eta, norm=2, n_proposals=4096, n_draws=20,
                                  random_state=0)
        spread.append(np.linalg.norm(draws.samples - adversarial[draws.origin], axis=1).mean())
    assert np.all(np.diff(spread) < 0)
    assert spread[0] > 0.7 * rho and spread[-1] < 0.1 * rho


def test_ess_limits(toy):
    """η → ∞: the proposals are uniform and all count; η → 0: the tilted proposals all land at
    the worst case x − ρ y w/||w|| of each ball, which the draws reproduce."""
    clf, X, y = toy
    hot = sample_worst_case(clf, X, y, rho=0.3, eta=1e6, norm=2, n_proposals=256, random_state=0)
    cold = sample_worst_case(clf, X, y, rho=0.3, eta=1e-8, norm=2, n_proposals=256, random_state=0)
    np.testing.assert_allclose(hot.ess, 256, rtol=1e-4)
    assert np.all(cold.ess >= 1.0)
    w = clf.coef_[0]
    worst = X - 0.3 * np.where(y == 1, 1.0, -1.0)[:, None] * w / np.linalg.norm(w)
    np.testing.assert_allclose(cold.samples, worst[cold.origin], atol=2e-3)


def test_sampler_reproducible(toy):
    clf, X, y = toy
    a = sample_worst_case(clf, X, y, rho=0.3, eta=0.1, norm=1, random_state=4)
    b = sample_worst_case(clf, X, y, rho=0.3, eta=0.1, norm=1, random_state=4)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.ess, b.ess)


# ---------------------------------------------------------------- density


@pytest.mark.parametrize("norm", [2, np.inf, 1])
def test_density_integrates_to_one(toy, norm):
    clf, X, y = toy
    rho, eta = 0.3, 0.05
    g = np.linspace(-5, 5, 500)
    xx, yy = np.meshgrid(g, g)
    logp = worst_case_log_density(clf, X, y, np.column_stack([xx.ravel(), yy.ravel()]), rho=rho,
                                  eta=eta, norm=norm, n_inner_samples=20_000, random_state=0)
    mass = np.exp(logp).sum() * (g[1] - g[0]) ** 2
    assert mass == pytest.approx(1.0, abs=0.03)


def test_log_ball_volume():
    from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2

    assert np.exp(log_ball_volume(0.5, 2, NORM_L2)) == pytest.approx(np.pi * 0.25)
    assert np.exp(log_ball_volume(0.5, 3, NORM_INF)) == pytest.approx(1.0)
    assert np.exp(log_ball_volume(1.0, 2, NORM_L1)) == pytest.approx(2.0)


# ---------------------------------------------------------------- validation and plots


def test_invalid_inputs(toy):
    clf, X, y = toy
    with pytest.raises(ValueError, match="rho"):
        sample_worst_case(clf, X, y, rho=-0.1, eta=0.1, norm=2)
    with pytest.raises(ValueError, match="eta"):
        sample_worst_case(clf, X, y, rho=0.1, eta=-1.0, norm=2)
    with pytest.raises(ValueError, match="norm"):
        sample_worst_case(clf, X, y, rho=0.1, eta=0.1, norm="l3")
    with pytest.raises(ValueError, match="resampling"):
        sample_worst_case(clf, X, y, rho=0.1, eta=0.1, norm=2, resampling="stratified")
    with pytest.raises(ValueError, match="eta"):
        worst_case_log_density(clf, X, y, X, rho=0.1, eta=0.0, norm=2)
    with pytest.raises(ValueError, match="Z must"):
        worst_case_log_density(clf, X, y, X[:, :1], rho=0.1, eta=0.1, norm=2)
    with pytest.raises(NotFittedError):
        sample_worst_case(LogisticRegression(), X, y, rho=0.1, eta=0.1, norm=2)


def test_plot_worst_case(toy):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clf, X, y = toy
    fig = plot_worst_case(clf, X, y, rho=0.4, etas=(1.0, 1e-3), norm=2, grid_size=40,
                          n_inner_samples=256, n_proposals=256, random_state=0)
    assert len(fig.axes) >= 3
    with pytest.raises(ValueError, match="2-D"):
        X3 = np.hstack([X, X[:, :1]])
        plot_worst_case(LogisticRegression().fit(X3, y), X3, y, rho=0.4, norm=2)
    plt.close("all")
