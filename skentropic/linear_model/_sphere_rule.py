"""The law of ``w·u`` (``u`` uniform in the ``l_2`` ball) as weighted atoms, for the logistic loss.

With ``r = ρ||w||_2`` the perturbation of the score is ``rτ``, ``τ = w·u/||w||_2``, whose
density on ``[−1, 1]`` is ``p(τ) ∝ (1 − τ²)^((d−1)/2)`` (:mod:`._quadrature`), so

    F(s) = η log ∫ p(τ) exp(φ(s − rτ)/η) dτ

(``τ`` is symmetric), and one discrete rule ``{(τ_j, ℓ_j)}`` serves every point: the atoms of
:mod:`._atom_rule` with shifts ``δ_j = −rτ_j``.

The rule
--------
With ``τ = tanh y`` the density becomes ``sech^{d+1} y`` on ``R``, and an exponential tilt
``e^{λτ}`` moves its peak to ``sinh 2y = 2λ/(d + 1)`` with a width ``1/√(2(d + 1))`` in ``y``
in the tails and ``1/√(d + 1)`` in the bulk, whatever ``λ``: uniform steps in ``y`` resolve the
integrand at every tilt, which is how small ``η`` (all the mass within ``η/r`` of ``τ = 1``)
costs ``O(log(r/η))`` atoms, not ``O(r/η)``. The loss asks for steps of at most ``_H_LOSS = 0.3``
in the score ``rτ``, finer than ``_H_DENSITY/√(d + 1)`` in ``y`` in the bulk when ``r`` is large,
so the atoms are a trapezoidal rule, with step ``Δv = _H_LOSS/r``, in

    v = tanh y + y/K,   K = r _H_DENSITY / (_H_LOSS √(d + 1)),

whose steps are ``Δy = Δv/(sech² y + 1/K)``: at most ``_H_LOSS/r`` in ``τ`` and at most
``_H_DENSITY/√(d + 1)`` in ``y``. Weights ``ℓ_j = −(d + 1) log cosh y_j − log(sech² y_j + 1/K)``,
normalised.

The ends: for ``y < 0`` the log-integrand ``L(y) = −(d + 1) log cosh y + φ(s − r tanh y)/η``
falls from ``y = 0`` by at least ``(d + 1) log cosh y`` (``φ`` is non-increasing), so the rule
stops where that reaches ``_DROP = 40``. For ``y > 0``, ``L'(y) <= −(d + 1) tanh y + λ sech² y``
with ``λ = r sup|φ'|/η = r/η``, negative beyond ``y* = asinh(2λ/(d + 1))/2``, so ``L`` falls
from ``y*`` by at least ``(d + 1)(log cosh y − log cosh y*) − λ(tanh y − tanh y*)``; the rule
stops where that reaches ``_DROP`` (:func:`_adversarial_end`). The neglected mass is below
``e^{−40}`` of the peak's.

Error (``tests/test_sphere_rule.py``, against ``scipy.integrate.quad``): the trapezoidal rule is
spectrally accurate for the analytic integrand; with these steps ``F`` agrees with the
reference within ``1e-8`` relative (plus ``1e-12 η``) on a grid of ``d`` from 1 to 1000, ``η``
from ``1e-4`` to ``100``, ``r`` from 0.05 to 10, the same as the per-point quadrature of
:mod:`._quadrature`, which the (squared) hinge keeps: with shared atoms its kink falls
between two of them at every point, and the error of the rule then falls only like a power of
the step (even with the hinge's correction in :func:`._atom_rule.margin_atoms`) instead of
exponentially, so ``1e-8`` would take tens of times more atoms.

Where the rule would need more than ``MAX_ATOMS`` atoms (``ρ||w||_2`` of several hundred, as
at a trial point of a line search far from the solution) :func:`sphere_law` gives none and the
per-point quadrature takes the evaluation: its cost and memory do not grow with ``r``, the
atoms' do (the score grid holds nodes × atoms floats).

Gradients: ``∂F/∂s`` and ``∂F/∂r = −Σ_j (∂F/∂δ_j) τ_j`` with the atoms held fixed. The rule
is made for a radius ``r_q >= r`` rounded up to a power of ``2^{1/8}`` (:func:`sphere_law`), so
the atoms are the same for every radius of a bucket and these are the exact derivatives of the
computed ``F`` there; from one bucket to the next ``F`` moves by the trapezoidal error.
"""

import functools
import math

import numpy as np

from .._core._losses import LOGISTIC, margin_losses_numpy
from ._atom_rule import normalise_log_weights
from ._score_grid import atom_margin

_H_DENSITY = 0.45  # y-steps <= _H_DENSITY / sqrt(d + 1): the tilted densities have width >= 1/sqrt(2(d + 1))
_H_LOSS = 0.3  # steps of the score r τ: the logistic loss's poles are π from the real axis
_DROP = 40.0  # the rule ends where the integrand has provably fallen by e^{-_DROP}
# beyond this many atoms (ρ||w||_2 of several hundred: about 2r/_H_LOSS of them) sphere_law gives
# no rule and the caller takes the per-point quadrature, whose cost does not grow with r (the
# grid's node arrays hold nodes x atoms floats)
MAX_ATOMS = 4096
_NEWTON_TOL = 1e-12  # Newton's method stops when its step in y is below this (absolute; |y| < 400)


def _log_cosh(y):
    """``log cosh y`` without overflow (NumPy arrays or floats)."""
    a = np.abs(y)
    return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


def _sech2(y):
    """``sech² y = 4e^{−2|y|}/(1 + e^{−2|y|})²`` without overflow (NumPy arrays or floats)."""
    e = np.exp(-2.0 * np.abs(y))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _adversarial_end(lam, dims):
    """The ``y > y*`` where ``(d + 1)(log cosh y − log cosh y*) − λ(tanh y − tanh y*)`` reaches
    ``_DROP`` (``dims = d + 1``, see the module docstring): a convex increasing function of ``y``
    beyond ``y*``, so Newton's method from a point beyond the root stays beyond it."""
    def part(y):  # (d + 1)(log cosh y + log 2) − λ tanh y, and its derivative, for y > 0 (math: scalars)
        e = math.exp(-2.0 * y)
        return dims * (y + math.log1p(e)) - lam * math.tanh(y), dims * math.tanh(y) - lam * 4.0 * e / (1.0 + e) ** 2

    y_star = 0.5 * math.asinh(2.0 * lam / dims)
    target = part(y_star)[0] + _DROP
    step = 1.0
    while part(y_star + step)[0] < target:
        step *= 2.0
    y = y_star + step
    for _ in range(100):
        value, slope = part(y)
        change = (value - target) / slope
        y -= change
        if change <= _NEWTON_TOL:
            break
    return y


def _solve_map(v, k):
    """``y`` with ``tanh y + y/k = v`` (increasing in ``y``; element-wise).

    For ``v >= 0`` the left side is concave in ``y >= 0``, and Newton's method from
    ``max(0, k(v − 1))``, where it is negative, rises monotonically to the root (the mirror
    image for ``v < 0``).
    """
    sign = np.where(v < 0.0, -1.0, 1.0)
    x = np.abs(v)
    y = np.maximum(0.0, k * (x - 1.0))
    for _ in range(100):
        change = (np.tanh(y) + y / k - x) / (_sech2(y) + 1.0 / k)
        y -= change
        if np.abs(change).max() <= _NEWTON_TOL:
            break
    return sign * y


def sphere_law(r, n_features, eta):
    """Atoms ``τ_j`` (increasing) and normalised log weights ``ℓ_j`` of the law of ``w·u/||w||_2``.

    ``Σ_j e^{ℓ_j} g(τ_j) ≈ ∫ p(τ) g(τ) dτ`` for the integrands of the logistic loss at radius
    ``r > 0`` and temperature ``η > 0`` (see the module docstring). The rule is made for the
    radius ``r_q = 2^{⌈8 log₂ r⌉/8} >= r`` (its steps and ends only get safer for ``r <= r_q``),
    so one rule serves every radius within 9% below ``r_q``: the computed ``F`` is then an exact
    smooth function of ``r`` there, and a fit computes a rule once per bucket it visits (kept
    by :func:`_bucket_law`).

    Parameters
    ----------
    r : float
        ``ρ ||w||_2 > 0``.
    n_features : int or float
        Dimension ``d``.
    eta : float
        Temperature ``η > 0``.

    Returns
    -------
    (tau, log_w) : tuple of ndarray of shape (m,), or None
        New arrays (the kept rule is not exposed to writes); ``None`` where the rule would need
        more than ``MAX_ATOMS`` atoms.
    """
    law = _bucket_law(2.0 ** (math.ceil(8.0 * math.log2(r)) / 8.0), float(n_features), float(eta))
    return None if law is None else (law[0].copy(), law[1].copy())


@functools.lru_cache(maxsize=64)
def _bucket_law(r, n_features, eta):
    """:func:`sphere_law` at the bucket's radius ``r``."""
    dims = n_features + 1.0
    k = r * _H_DENSITY / (_H_LOSS * math.sqrt(dims))
    dv = _H_LOSS / r
    y_lo = -math.acosh(math.exp(_DROP / dims))
    y_hi = _adversarial_end(r / eta, dims)
    j_lo = math.floor((math.tanh(y_lo) + y_lo / k) / dv)
    j_hi = math.ceil((math.tanh(y_hi) + y_hi / k) / dv)
    if j_hi - j_lo + 1 > MAX_ATOMS:
        return None
    y = _solve_map(np.arange(j_lo, j_hi + 1) * dv, k)
    log_w = -dims * _log_cosh(y) - np.log(_sech2(y) + 1.0 / k)
    return np.tanh(y), normalise_log_weights(log_w)


def sphere_margin(w, scores, sw, rho, eta, values, ds, score_grid):
    """Fill ``F_i = η log ∫ p(τ) exp(φ(s_i − rτ)/η) dτ`` (logistic ``φ``, ``r = ρ||w||_2``) and
    ``∂F_i/∂s_i`` from the atoms of :func:`sphere_law`; return the gradient parts of
    :func:`~._objective.linear_objective`, whose perturbation part of ``∂/∂w`` is
    ``−ρ (Σ_j τ_j Σ_i sw_i ∂F_i/∂δ_j) w/||w||_2`` (shifts ``δ_j = −rτ_j``), or ``None`` (nothing
    filled) where ``r`` needs more than ``MAX_ATOMS`` atoms: the caller then takes the per-point
    quadrature. ``score_grid``: tabulate (:func:`._score_grid.atom_margin`).
    """
    norm = float(np.linalg.norm(w))
    if norm == 0.0:  # T = 0
        values[:], ds[:] = margin_losses_numpy(scores, LOGISTIC)
        return "margin", ds, None, None
    law = sphere_law(rho * norm, w.shape[0], eta)
    if law is None:
        return None
    tau, log_w = law
    dshift = atom_margin(scores, sw, np.ascontiguousarray(-rho * norm * tau), log_w, eta, LOGISTIC, False, values,
                         ds, score_grid)[0]
    return "margin", ds, None, (-rho * float(dshift @ tau) / norm) * w
