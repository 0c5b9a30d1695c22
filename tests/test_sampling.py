"""The ball samplers draw from the uniform law on the unit l_inf, l2 and l1 balls."""

import numpy as np
import pytest
from numba import njit
from scipy import special, stats

from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2, norm_code
from skentropic._core._sampling import sample_unit_ball, sample_unit_ball_kernel, standard_normal_fast

ORDS = {NORM_INF: np.inf, NORM_L2: 2, NORM_L1: 1}


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
@pytest.mark.parametrize("d", [1, 3, 10])
def test_support_and_symmetry(code, d):
    U = sample_unit_ball_kernel(20000, d, code, 0)
    assert U.shape == (20000, d)
    assert np.all(np.linalg.norm(U, ord=ORDS[code], axis=1) <= 1.0 + 1e-12)
    # mean zero: each coordinate is symmetric; 6 standard errors
    se = U.std(axis=0) / np.sqrt(len(U))
    assert np.all(np.abs(U.mean(axis=0)) < 6 * se)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
@pytest.mark.parametrize("d", [1, 2, 5])
def test_radius_law(code, d):
    """Uniform in a d-dimensional ball: P(||u|| <= r) = r^d for every norm."""
    U = sample_unit_ball_kernel(20000, d, code, 1)
    radii = np.linalg.norm(U, ord=ORDS[code], axis=1)
    p = stats.kstest(radii ** d, "uniform").pvalue
    assert p > 1e-4


@pytest.mark.parametrize("d", [2, 4, 9])
def test_l2_marginal_density(d):
    """u_1 of the uniform l2 ball has density ∝ (1 - t^2)^((d-1)/2): (u_1+1)/2 ~ Beta(a, a)."""
    U = sample_unit_ball_kernel(20000, d, NORM_L2, 2)
    a = (d + 1) / 2
    p = stats.kstest((U[:, 0] + 1) / 2, stats.beta(a, a).cdf).pvalue
    assert p > 1e-4
    # second moment: E u_1^2 = 1/(d+2)
    assert abs(np.mean(U[:, 0] ** 2) - 1 / (d + 2)) < 6 * np.std(U[:, 0] ** 2) / np.sqrt(len(U))


def test_linf_and_l1_moments():
    d = 4
    U = sample_unit_ball_kernel(40000, d, NORM_INF, 3)
    assert abs(np.mean(U ** 2) - 1 / 3) < 0.01
    V = sample_unit_ball_kernel(40000, d, NORM_L1, 3)
    # coordinate of the uniform l1 ball: |v_1| ~ Beta(1, d), so E v_1^2 = 2 / ((d+1)(d+2))
    expected = 2 / ((d + 1) * (d + 2))
    assert abs(np.mean(V[:, 0] ** 2) - expected) < 6 * np.std(V[:, 0] ** 2) / np.sqrt(len(V))
    p = stats.kstest(np.abs(V[:, 0]), stats.beta(1, d).cdf).pvalue
    assert p > 1e-4


def test_volume_fraction_l1_vs_linf():
    """A uniform point of the l_inf cube lies in the l1 ball with probability 2^d/d!/2^d = 1/d!."""
    d = 3
    U = sample_unit_ball_kernel(60000, d, NORM_INF, 4)
    frac = np.mean(np.abs(U).sum(axis=1) <= 1)
    expected = 1 / special.factorial(d)
    assert abs(frac - expected) < 6 * np.sqrt(expected * (1 - expected) / len(U))


def test_seed_reproducible_and_public_wrapper():
    a = sample_unit_ball(50, 3, norm="inf", random_state=7)
    b = sample_unit_ball(50, 3, norm=np.inf, random_state=7)
    np.testing.assert_array_equal(a, b)
    c = sample_unit_ball(50, 3, norm=2, random_state=7, radius=0.5)
    assert np.all(np.linalg.norm(c, axis=1) <= 0.5 + 1e-12)
    with pytest.raises(ValueError, match="norm"):
        sample_unit_ball(5, 2, norm=3)
    with pytest.raises(ValueError, match="radius"):
        sample_unit_ball(5, 2, radius=-1)


@pytest.mark.parametrize("bad", [3, 0, -1, "l3", None, True])
def test_norm_code_rejects(bad):
    with pytest.raises(ValueError, match="'norm' parameter"):
        norm_code(bad)


@njit
def _fast_normals(n, seed):
    np.random.seed(seed)
    out = np.empty(n)
    for i in range(n):
        out[i] = standard_normal_fast()
    return out


def test_ziggurat_normal_has_the_normal_law():
    """``standard_normal_fast`` (the tilted l2 proposal's normals): the Kolmogorov distance to
    N(0, 1) below its 1% critical value, the moments, and the mass beyond the base strip's edge
    R = 3.44 (the tail method) and inside the wedges of the outer layers, each within 5
    binomial standard errors; the same seed gives the same draws."""
    n = 2_000_000
    z = _fast_normals(n, 3)
    np.testing.assert_array_equal(z[:1000], _fast_normals(1000, 3))
    assert stats.kstest(z, "norm").statistic < 1.63 / np.sqrt(n)
    assert abs(z.mean()) < 5 / np.sqrt(n) and abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    for lo, hi in [(3.442619855899, np.inf), (4.0, np.inf), (2.9, 3.2), (1.0, 1.05)]:
        p = 2 * (stats.norm.sf(lo) - stats.norm.sf(hi))
        frac = np.mean((np.abs(z) > lo) & (np.abs(z) <= hi))
        assert abs(frac - p) < 5 * np.sqrt(p * (1 - p) / n), (lo, hi)
