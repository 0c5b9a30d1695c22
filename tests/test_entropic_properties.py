"""Property tests of the facts of DESIGN.md section 1 on the linear models' entropic risk.

F_i = η log E_{u ~ U(B_1)} exp(φ(y_i(w·(x_i + ρu) + b)) / η) for every θ, data set and loss:
- sandwich: E_u φ ≤ F_i ≤ sup_ball φ, and F_i is non-increasing in η;
- η → 0 gives the adversarial loss, η → ∞ the noise-averaged loss, ρ = 0 the ERM loss;
- the deterministic value equals an independent Monte Carlo estimate within its standard error.
"""

import numpy as np
from scipy.integrate import quad
from scipy.special import beta as beta_fn
from hypothesis import given, settings
from hypothesis import strategies as st

from skentropic._linear_objective import make_inner_rule, per_sample_objective
from skentropic._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic._norms import NORM_INF, NORM_L1, NORM_L2, dual_norm
from skentropic._sampling import sample_unit_ball_kernel

LOSSES = {
    LOGISTIC: lambda z: np.logaddexp(0.0, -z),
    HINGE: lambda z: np.maximum(0.0, 1.0 - z),
    SQUARED_HINGE: lambda z: np.maximum(0.0, 1.0 - z) ** 2,
}


@st.composite
def problems(draw, norms=(NORM_INF, NORM_L2, NORM_L1)):
    d = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    n = 6
    X = rng.randn(n, d)
    y = np.where(rng.rand(n) < 0.5, -1.0, 1.0)
    coef = draw(st.floats(0.1, 3.0)) * rng.randn(1, d)
    intercept = rng.randn(1)
    rho = draw(st.floats(0.01, 2.0))
    eta = draw(st.floats(1e-3, 10.0))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    norm = draw(st.sampled_from(norms))
    rule = make_inner_rule(norm, d, loss, n_inner_samples=512, seed=seed % 1000)
    return dict(coef=coef, intercept=intercept, X=X, y=y, rho=rho, eta=eta,
                loss=loss, norm=norm, rule=rule)


def F(p, eta=None, rho=None):
    return per_sample_objective(
        p["coef"], p["intercept"], p["X"], p["y"],
        p["rho"] if rho is None else rho, p["eta"] if eta is None else eta,
        p["norm"], p["loss"], p["rule"],
    )


def margins(p):
    return p["y"] * (p["X"] @ p["coef"][0] + p["intercept"][0])


def adversarial(p):
    """sup over the ball of φ(s + ρ y w·u) = φ(s − ρ||w||_q) for non-increasing φ."""
    return LOSSES[p["loss"]](margins(p) - p["rho"] * dual_norm(p["coef"][0], p["norm"]))


def noise_average(p, m=20000, seed=0):
    U = sample_unit_ball_kernel(m, p["X"].shape[1], p["norm"], seed)
    s = margins(p)[:, None] + p["rho"] * p["y"][:, None] * (U @ p["coef"][0])[None, :]
    values = LOSSES[p["loss"]](s)
    return values.mean(axis=1), values.std(axis=1)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_sandwich_and_monotone_in_eta(p):
    value = F(p)
    upper = adversarial(p)
    lower = F(p, eta=1e7)
    assert np.all(np.isfinite(value))
    assert np.all(value <= upper + 1e-9 * (1 + np.abs(upper)))
    assert np.all(value >= lower - 1e-7 * (1 + np.abs(lower)))
    larger_eta = F(p, eta=2.0 * p["eta"])
    assert np.all(larger_eta <= value + 1e-9 * (1 + np.abs(value)))


@settings(max_examples=30, deadline=None)
@given(problems(norms=(NORM_L2,)))
def test_eta_to_zero_is_adversarial_risk_l2(p):
    """With the exact l2 quadrature, F(η) − R_adv = O(η d log(1/η)) → 0."""
    d = p["X"].shape[1]
    eta = 1e-6
    gap = adversarial(p) - F(p, eta=eta)
    assert np.all(gap >= -1e-9)
    assert np.all(gap <= 20 * eta * (d + 1) * np.log(1 / eta) + 1e-9)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_eta_to_infinity_is_noise_average(p):
    value = F(p, eta=1e7)
    if p["norm"] == NORM_L2:
        # exact reference: E φ(s + r T), T with density ∝ (1 − t²)^((d−1)/2), by scipy.quad;
        # F(η) − E φ ≈ Var φ / (2η) is below 1e-6 here
        np.testing.assert_allclose(value, l2_noise_average(p), rtol=1e-6, atol=1e-9)
        return
    m = 20000
    mean, std = noise_average(p, m=m)
    # the rule uses 512 fixed samples, whose Monte Carlo error adds to the reference's
    se = std * np.sqrt(1 / m + 1 / 512)
    np.testing.assert_array_less(np.abs(value - mean), 6 * se + 1e-6)


def l2_noise_average(p):
    d = p["X"].shape[1]
    r = p["rho"] * np.linalg.norm(p["coef"][0])
    a = (d - 1) / 2
    norm_const = beta_fn(0.5, a + 1)  # ∫_{-1}^{1} (1 − t²)^a dt
    loss = LOSSES[p["loss"]]
    out = []
    for s in margins(p):
        kink = [(1 - s) / r] if p["loss"] != LOGISTIC and r > 0 and abs((1 - s) / r) < 1 else None
        val, _ = quad(lambda t: loss(s + r * t) * (1 - t * t) ** a, -1, 1, points=kink,
                      epsabs=1e-13, epsrel=1e-12, limit=200)
        out.append(val / norm_const)
    return np.array(out)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_rho_zero_is_erm(p):
    erm = LOSSES[p["loss"]](margins(p))
    np.testing.assert_allclose(F(p, rho=0.0), erm, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F(p, rho=1e-9), erm, rtol=1e-6, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(problems(norms=(NORM_L2,)))
def test_exact_equals_monte_carlo(p):
    """E exp((φ − M)/η) is estimated without bias by Monte Carlo; compare within 6 SE.

    The standard error uses the exact second moment E exp(2(φ − M)/η) = exp((F(η/2) − M)/(η/2))
    rather than the sample variance, which misses rare large values (hinge tails).
    """
    m = 40000
    eta = max(p["eta"], 0.05)
    U = sample_unit_ball_kernel(m, p["X"].shape[1], NORM_L2, 11)
    s = margins(p)[:, None] + p["rho"] * p["y"][:, None] * (U @ p["coef"][0])[None, :]
    top = adversarial(p)[:, None]
    ratio = np.exp((LOSSES[p["loss"]](s) - top) / eta)
    exact = np.exp((F(p, eta=eta) - top[:, 0]) / eta)
    second = np.exp((F(p, eta=eta / 2) - top[:, 0]) / (eta / 2))
    se = np.sqrt(np.maximum(second - exact**2, 0.0) / m)
    np.testing.assert_array_less(np.abs(ratio.mean(axis=1) - exact), 6 * se + 1e-12)
