"""The shared atom rule of the binary losses (skentropic.linear_model._atom_rule): the hinge's kink
correction and the adjoints that the laws' gradients are built from, against central differences."""

import numpy as np
import pytest

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic.linear_model._atom_rule import _euler_maclaurin, margin_atoms


@pytest.mark.parametrize("x", [-30.0, -1.3, -3e-4, 2e-4, 0.7, 5.0, 40.0])
@pytest.mark.parametrize("tau", [0.05, 0.5, 0.9])
def test_euler_maclaurin_partials_match_central_differences(x, tau):
    """``(G, G_x, G_τ)`` of ``G(x, τ) = e^{xτ}/(1 − e^x) + 1/x`` on both sides of zero and on its
    series (``|x| < 1e-3``). Until 2026-11-29 ``G_x`` was off by ``e^{xτ}/(1 − e^x)`` for ``x > 0``,
    which made the hinge's l_inf gradient wrong by up to several times its size at ``η >= 1``."""
    g, gx, gt = _euler_maclaurin(x, tau)
    h = 1e-6 * max(1.0, abs(x))
    assert gx == pytest.approx((_euler_maclaurin(x + h, tau)[0] - _euler_maclaurin(x - h, tau)[0]) / (2 * h),
                               rel=1e-6, abs=1e-9)
    assert gt == pytest.approx((_euler_maclaurin(x, tau + 1e-6)[0] - _euler_maclaurin(x, tau - 1e-6)[0]) / 2e-6,
                               rel=1e-6, abs=1e-9)
    if abs(x) >= 1e-3:
        assert g == pytest.approx(np.exp(x * tau) / (1.0 - np.exp(x)) + 1.0 / x, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("loss, kink", [(HINGE, True), (SQUARED_HINGE, False), (LOGISTIC, False)])
@pytest.mark.parametrize("eta", [0.1, 1.0, 10.0])
def test_margin_atoms_adjoints_match_central_differences(loss, kink, eta):
    """``Σ_i sw_i F_i`` against its adjoints: ``∂/∂δ_j`` (``out_dshift``), ``∂/∂ℓ_j`` (``η out_pi``,
    the weights left unnormalised) and ``∂F_i/∂s_i``, with scores whose kinks ``t = s − 1`` fall
    inside the atoms' cells (the hinge's correction) and outside them."""
    t = np.linspace(-2.0, 2.0, 13)
    log_w = -0.5 * t ** 2 + 0.1 * t
    log_w -= np.logaddexp.reduce(log_w)
    shift = -t
    scores = np.array([-1.5, 0.3, 1.22, 1.9, 2.6, 4.0])
    sw = np.linspace(1.0, 2.0, scores.shape[0])
    sw /= sw.sum()

    def total(shift, log_w, scores=scores):
        values, ds = np.empty(scores.shape[0]), np.empty(scores.shape[0])
        dshift, pi = np.empty(t.shape[0]), np.empty(t.shape[0])
        margin_atoms(scores, sw, shift, log_w, eta, loss, kink, values, ds, dshift, pi)
        return sw @ values, values, ds, dshift, pi

    _, _, ds, dshift, pi = total(shift, log_w)
    h = 1e-6
    for j in range(t.shape[0]):
        e = np.zeros_like(t)
        e[j] = h
        fd_shift = (total(shift + e, log_w)[0] - total(shift - e, log_w)[0]) / (2 * h)
        fd_log_w = (total(shift, log_w + e)[0] - total(shift, log_w - e)[0]) / (2 * h)
        assert dshift[j] == pytest.approx(fd_shift, rel=1e-6, abs=1e-9), j
        assert eta * pi[j] == pytest.approx(fd_log_w, rel=1e-6, abs=1e-9), j
    fd_scores = (total(shift, log_w, scores + h)[1] - total(shift, log_w, scores - h)[1]) / (2 * h)
    np.testing.assert_allclose(ds, fd_scores, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("eta", [0.1, 1.0, 10.0])
def test_hinge_kink_correction_is_continuous_where_a_kink_crosses_an_atom(eta):
    """Scores whose kink ``t = s − 1`` sits just below and just above each atom of an uneven rule:
    ``F`` is the same on both sides (less its change over the ``2e-10`` between them). With
    the correction's local model taken from the kink's cell alone, ``F`` stepped there (by up to
    1e-4 of itself on this coarse rule, about 1e-8 on the digits' atoms). Its slope still bends at
    the atoms: the model is interpolated linearly between them."""
    t = np.sinh(np.linspace(-2.0, 2.0, 21))  # uneven steps, as the laws' atoms
    log_w = -0.5 * t ** 2 + 0.1 * t
    log_w -= np.logaddexp.reduce(log_w)
    centre = 1.0 + t[1:-1]
    scores = np.concatenate([centre - 1e-10, centre + 1e-10])
    values, ds = np.empty(scores.shape[0]), np.empty(scores.shape[0])
    margin_atoms(scores, np.full(scores.shape[0], 1.0 / scores.shape[0]), -t, log_w, eta, HINGE, True, values, ds,
                 np.empty(t.shape[0]), np.empty(t.shape[0]))
    k = centre.shape[0]
    step = values[k:] - values[:k] - 2e-10 * 0.5 * (ds[k:] + ds[:k])  # less the smooth change
    assert np.max(np.abs(step)) <= 1e-12 * np.max(np.abs(values))


def test_compiled_margin_atoms_matches_its_python_form():
    """Many points (the parallel loop's several chunks), the hinge's correction on: the compiled
    kernel gives the values and adjoints of its own Python function. With the correction's writes
    to the atoms around each kink inline in the parallel loop, numba's form lost some of them
    (dshift off by up to 1e-4, where the one-point checks above passed)."""
    rng = np.random.default_rng(4)
    t = np.sort(rng.standard_normal(40)) * 2.0
    log_w = -0.5 * t ** 2
    log_w -= np.logaddexp.reduce(log_w)
    scores = rng.uniform(-2.0, 6.0, 3000)
    sw = np.full(scores.shape[0], 1.0 / scores.shape[0])
    results = []
    for kernel in (margin_atoms, margin_atoms.py_func):
        values, ds = np.empty(scores.shape[0]), np.empty(scores.shape[0])
        dshift, pi = np.empty(t.shape[0]), np.empty(t.shape[0])
        kernel(scores, sw, -t, log_w, 1.0, HINGE, True, values, ds, dshift, pi)
        results.append((values, ds, dshift, pi))
    for compiled, python in zip(*results):
        np.testing.assert_allclose(compiled, python, rtol=1e-12, atol=1e-15)
