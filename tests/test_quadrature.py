"""l2 quadrature of the entropic margin loss against scipy.integrate.quad (high precision)."""

import itertools

import numpy as np
import pytest
from _references import l2_quad as reference

from skentropic.linear_model._quadrature import bulk_half_width, entropic_margin_l2, log_sphere_normaliser


def _quad(s, r, eta, d, loss, n=32):
    x, w = np.polynomial.legendre.leggauss(n)
    out = np.empty(3)
    entropic_margin_l2(np.array([float(s)]), r, eta, float(d), loss, log_sphere_normaliser(d), bulk_half_width(d),
                       x, w, out[0:1], out[1:2], out[2:3])
    return tuple(out)


GRID = list(itertools.product([0, 1, 2], [1, 3, 30, 200, 1000], [1e-4, 1e-2, 1.0, 1e2], [-3.0, 0.2, 2.5], [0.05, 1.0, 10.0]))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("loss", [0, 1, 2])
def test_matches_high_precision_reference(loss):
    worst = 0.0
    for lo, d, eta, s, r in GRID:
        if lo != loss:
            continue
        got = _quad(s, r, eta, d, loss)[0]
        ref = reference(s, r, eta, d, loss)
        # relative 1e-8, or 1e-12 η absolute: the reference's own precision in log E exp(·)
        err = abs(got - ref) / (1e-8 * abs(ref) + 1e-12 * eta)
        worst = max(worst, err)
    assert worst <= 1.0, worst


@pytest.mark.parametrize("loss", [0, 1, 2])
def test_reference_spot_checks(loss):
    for d, eta, s, r in [(2, 1e-3, 0.5, 3.0), (50, 0.05, 1.0, 0.5), (200, 0.05, -0.3, 0.3)]:
        got = _quad(s, r, eta, d, loss)[0]
        assert got == pytest.approx(reference(s, r, eta, d, loss), rel=1e-8, abs=1e-12 * eta)


def test_derivatives_match_finite_differences():
    for loss, d, eta, s, r in [(0, 5, 0.1, 0.3, 2.0), (1, 30, 0.5, 0.2, 1.0), (2, 200, 0.01, -1.0, 3.0)]:
        v, ds, dr = _quad(s, r, eta, d, loss)
        h = 1e-6
        assert ds == pytest.approx((_quad(s + h, r, eta, d, loss)[0] - _quad(s - h, r, eta, d, loss)[0]) / (2 * h),
                                   rel=1e-6, abs=1e-8)
        assert dr == pytest.approx((_quad(s, r + h, eta, d, loss)[0] - _quad(s, r - h, eta, d, loss)[0]) / (2 * h),
                                   rel=1e-6, abs=1e-8)


def test_limits_and_overflow():
    # r = 0: plain loss; eta = 0: phi(s - r); tiny eta with huge loss stays finite and near phi(s - r)
    assert _quad(0.3, 0.0, 0.1, 10, 0)[0] == pytest.approx(np.log1p(np.exp(-0.3)))
    assert _quad(0.3, 2.0, 0.0, 10, 1)[0] == pytest.approx(2.7)
    v = _quad(-1000.0, 5.0, 1e-6, 100, 1)[0]
    assert np.isfinite(v) and v == pytest.approx(1006.0, rel=1e-6)
