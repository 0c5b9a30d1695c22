"""The l2 ball's atom rule for the logistic loss (``_sphere_rule``) against independent references:
scipy's adaptive quadrature (``_references.l2_quad``) and the per-point Gauss–Legendre windows of
``_quadrature`` (which the hinge losses keep)."""

import itertools

import numpy as np
import pytest
from _references import l2_quad

from skentropic._core._losses import LOGISTIC
from skentropic.linear_model._atom_rule import margin_atoms
from skentropic.linear_model._quadrature import bulk_half_width, entropic_margin_l2, log_sphere_normaliser
from skentropic.linear_model._sphere_rule import sphere_law


def atoms(s, r, eta, d):
    """``(F, ∂F/∂s, ∂F/∂r)`` of the rule at one score (``∂F/∂r`` with the atoms held fixed)."""
    tau, log_w = sphere_law(r, d, eta)
    value, ds, dshift, pi = np.empty(1), np.empty(1), np.empty(tau.shape[0]), np.empty(tau.shape[0])
    margin_atoms(np.array([float(s)]), np.ones(1), np.ascontiguousarray(-r * tau), log_w, float(eta), LOGISTIC, False,
                 value, ds, dshift, pi)
    return value[0], ds[0], -float(dshift @ tau)


def quadrature(s, r, eta, d):
    x, w = np.polynomial.legendre.leggauss(32)
    out = np.empty(3)
    entropic_margin_l2(np.array([float(s)]), r, eta, float(d), LOGISTIC, log_sphere_normaliser(d), bulk_half_width(d),
                       x, w, out[0:1], out[1:2], out[2:3])
    return tuple(out)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_matches_high_precision_reference():
    worst = 0.0
    for d, eta, s, r in itertools.product([1, 3, 30, 200, 1000], [1e-4, 1e-2, 1.0, 1e2], [-3.0, 0.2, 2.5],
                                          [0.05, 1.0, 10.0]):
        ref = l2_quad(s, r, eta, d, LOGISTIC)
        # relative 1e-8, or 1e-12 η absolute: the reference's own precision in log E exp(·)
        worst = max(worst, abs(atoms(s, r, eta, d)[0] - ref) / (1e-8 * abs(ref) + 1e-12 * eta))
    assert worst <= 1.0, worst


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # epsrel=1e-13 meets roundoff
@pytest.mark.parametrize("d, eta, s, r", [(2, 1e-3, 0.5, 3.0), (50, 0.05, 1.0, 0.5), (784, 1e-3, -0.3, 0.3),
                                          (1, 1e-6, 30.0, 10.0)])
def test_reference_spot_checks(d, eta, s, r):
    assert atoms(s, r, eta, d)[0] == pytest.approx(l2_quad(s, r, eta, d, LOGISTIC), rel=1e-8, abs=1e-12 * eta)


def test_values_and_derivatives_match_the_quadrature():
    """A wider grid (``η`` from 1e-6 to 1e3, ``r`` from 1e-3, far scores) against the per-point
    quadrature, whose values hold to ``1e-8`` against scipy (``tests/test_quadrature.py``)."""
    worst_value = worst_slope = 0.0
    for d, eta, s, r in itertools.product([1, 2, 30, 64, 784], [1e-6, 1e-3, 0.1, 10.0, 1e3], [-3.0, 0.2, 30.0],
                                          [1e-3, 0.3, 10.0]):
        got, ref = atoms(s, r, eta, d), quadrature(s, r, eta, d)
        worst_value = max(worst_value, abs(got[0] - ref[0]) / (1e-8 * abs(ref[0]) + 1e-12 * eta))
        worst_slope = max(worst_slope, max(abs(got[1] - ref[1]), abs(got[2] - ref[2]))
                          / (1e-6 * (abs(ref[1]) + abs(ref[2])) + 1e-12))
    assert worst_value <= 1.0, worst_value
    assert worst_slope <= 1.0, worst_slope


@pytest.mark.parametrize("d, eta, s, r", [(5, 0.1, 0.3, 1.9), (64, 0.01, -1.0, 0.7), (784, 1e-3, 0.5, 3.0)])
def test_derivatives_match_finite_differences(d, eta, s, r):
    # (r ± h within one bucket of the rule: F is an exact smooth function of r there)
    assert np.array_equal(sphere_law(r - 1e-6, d, eta)[0], sphere_law(r + 1e-6, d, eta)[0])
    value, ds, dr = atoms(s, r, eta, d)
    h = 1e-6
    assert ds == pytest.approx((atoms(s + h, r, eta, d)[0] - atoms(s - h, r, eta, d)[0]) / (2 * h), rel=1e-7)
    assert dr == pytest.approx((atoms(s, r + h, eta, d)[0] - atoms(s, r - h, eta, d)[0]) / (2 * h), rel=1e-7)


@pytest.mark.parametrize("d, eta, s", [(3, 1e-3, 0.5), (64, 0.05, -0.2), (784, 10.0, 1.0)])
def test_one_rule_per_bucket_and_continuity_across_buckets(d, eta, s):
    edge = 2.0 ** (-3 / 8)  # a bucket's radius: the rule below it is made for it, above it for the next
    below, above = edge * (1 - 1e-12), edge * (1 + 1e-12)
    assert np.array_equal(sphere_law(below, d, eta)[0], sphere_law(edge * 0.95, d, eta)[0])
    assert not np.array_equal(sphere_law(below, d, eta)[0], sphere_law(above, d, eta)[0])
    # the two rules agree at the edge within their error (1e-8 relative against scipy, above)
    assert atoms(s, above, eta, d)[0] == pytest.approx(atoms(s, below, eta, d)[0], rel=1e-9)


@pytest.mark.parametrize("d, eta, r", [(1, 1e-6, 10.0), (64, 0.01, 0.7), (784, 1e3, 1e-3), (3, 1e-300, 5.0)])
def test_atoms_are_a_probability_law_inside_the_interval(d, eta, r):
    tau, log_w = sphere_law(r, d, eta)
    # non-decreasing (near ±1, tanh y of neighbouring atoms rounds to the same float)
    assert np.all(np.isfinite(log_w)) and np.all(np.diff(tau) >= 0)
    assert np.all(np.abs(tau) <= 1.0)
    assert np.exp(log_w).sum() == pytest.approx(1.0, abs=1e-12)
    # the second moment of p ∝ (1 − τ²)^((d−1)/2) is 1/(d + 2)
    if eta > 1.0:
        assert np.exp(log_w) @ tau ** 2 == pytest.approx(1.0 / (d + 2), rel=1e-10)


def test_tiny_eta_and_huge_losses_stay_finite():
    # η = 1e-6 with a loss of 1e3: F is the adversarial loss φ(s − r) to O(η d log(1/η))
    value = atoms(-1000.0, 5.0, 1e-6, 100)[0]
    assert np.isfinite(value) and value == pytest.approx(1005.0, rel=1e-6)


def test_radii_beyond_the_atom_cap_take_the_per_point_quadrature():
    from skentropic._core._norms import NORM_L2
    from skentropic.linear_model._objective import make_inner_rule, per_sample_objective
    from skentropic.linear_model._sphere_rule import MAX_ATOMS

    rng = np.random.RandomState(0)
    d, eta, rho = 8, 1e-2, 1.0
    X, y = rng.randn(20, d), np.where(rng.rand(20) < 0.5, -1.0, 1.0)
    rule = make_inner_rule(NORM_L2, d, LOGISTIC)
    for r, capped in [(100.0, False), (3000.0, True)]:
        law = sphere_law(r, d, eta)
        assert (law is None) == capped and (capped or law[0].shape[0] <= MAX_ATOMS)
        w = rng.randn(d)
        w *= r / (rho * np.linalg.norm(w))
        got = per_sample_objective(w[None], np.zeros(1), X, y, rho, eta, NORM_L2, LOGISTIC, rule)
        # the radius as the objective computes it: ρ||w||_2 may differ from r in the last bit
        # (it did on an AVX-512 machine, whose BLAS rounds the norm differently)
        r_used = rho * float(np.linalg.norm(w))
        ref = np.array([quadrature(s, r_used, eta, d)[0] for s in y * (X @ w)])
        if capped:  # the quadrature itself
            np.testing.assert_array_equal(got, ref)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-12 * eta)


@pytest.mark.parametrize("d", [64, 784])
@pytest.mark.parametrize("eta", [1e-3, 0.1, 10.0])
def test_objective_gradient_matches_finite_differences(d, eta):
    """Through the score grid and the chain rule to ``w``: central differences of the objective."""
    from _references import gradient_errors, linear_problem

    from skentropic._core._norms import NORM_L2
    from skentropic.linear_model._objective import linear_objective, make_inner_rule

    X, y, sw, W, b = linear_problem(d)
    W = W / np.linalg.norm(W)  # ρ||w||_2 = 0.7: inside one bucket of the rule for every step below
    rule = make_inner_rule(NORM_L2, d, LOGISTIC)
    f = lambda W, b: linear_objective(W, b, X, y, sw, 0.7, eta, NORM_L2, LOGISTIC, rule)  # noqa: E731
    for analytic, fd in gradient_errors(f, W, b, [0, 1, 5, 33, int(np.argmax(np.abs(W[0])))]):
        assert analytic == pytest.approx(fd, rel=1e-5, abs=1e-8)
