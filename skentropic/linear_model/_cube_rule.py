"""The law of ``T = Σ_k a_k u_k`` (``u`` uniform in the cube) as weighted atoms, for the ``l_∞`` ball.

For a binary margin loss and the ``l_∞`` ball, ``y w·(ρu)`` has the law of ``T`` with
``a_k = ρ|w_k|``, so every point's entropic loss is a one-dimensional integral,

    F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt,     s_i = y_i (w·x_i + b),

and one discrete rule ``{(t_j, ℓ_j)}`` with ``Σ_j e^{ℓ_j} h(t_j) ≈ ∫ p_T h`` serves every point
(DESIGN.md section 2b).

The rule
--------
Atoms are indexed by the exponential tilt ``λ``: ``t(λ) = K'(λ)`` maps ``R`` onto ``(−A, A)``,
``A = Σ a_k``, with ``dt/dλ = K''(λ)``. Substituting ``λ = sinh(v)/σ₀`` (``σ₀² = Σ a_k²/3`` the
variance of ``T``) and applying the trapezoidal rule in ``v`` with step ``h``:

    ∫ p_T(t) h(t) dt = ∫ p_T(K'(λ)) h(K'(λ)) K''(λ) (cosh v / σ₀) dv
                     ≈ Σ_j h(t_j) exp(ℓ_j),   ℓ_j = log p_T(t_j) + log K''(λ_j) + log(h cosh v_j / σ₀).

Near ``λ = 0`` the grid is uniform in ``λ`` (spacing ``h/σ₀``), in the tails uniform in
``log λ``, which is how the tilted densities shrink toward the edge ``±A``, so small ``η`` (the
mass of ``exp(φ/η)`` within ``η`` of the edge) costs ``O(log(1/η))`` atoms, not ``O(1/η)``.

The density at the atoms
------------------------
- ``d ≤ _SPLINE_MAX`` non-zero ``a_k``: the exact piecewise-polynomial density
  ``p_T(t) = Σ_{ε ∈ {±1}^d} (Π ε_k) (t + ε·a)_+^{d−1} / ((d−1)! 2^d Π a_k)`` (evaluated at
  ``−|t|``, where only terms that do not cancel near the edge survive).
- otherwise the saddle-point density with its second-order Edgeworth correction,

      p_T(t_j) ≈ exp(K(λ_j) − λ_j t_j) / sqrt(2π K''(λ_j)) · (1 + ρ₄/8 − 5ρ₃²/24),

  ``ρ_r = K^{(r)}/K''^{r/2}`` at ``λ_j``: the density of the tilted sum at its mean, with
  relative error ``O(1/d_eff²)``, ``d_eff = (Σ a_k²)²/Σ a_k⁴`` the effective number of
  coordinates at that tilt. The atoms are normalised (``Σ_j e^{ℓ_j}`` divides out of
  ``F``), which cancels the part of the error that is constant in ``t``.

Error budget (measured in ``tests/test_cube_rule.py`` against independent references):
the trapezoidal error is spectrally small (``h <= 0.9/√d`` resolves the tilted densities,
``h <= 0.3/σ₀`` resolves the loss in ``t``); the density error makes ``F`` err by about
``η`` times the change of the Edgeworth remainder between the bulk and the tilt that
dominates ``F``: below ``1e-4`` relative for spread-out weights, up to a few ``1e-3``
relative at ``η ≈ 1`` when two or three coordinates carry most of ``||a||₂`` among more than
``_SPLINE_MAX`` non-zero ones.

Gradients
---------
The derivatives of ``(t_j, ℓ_j)`` with respect to ``a_k`` are taken at fixed ``λ_j`` (the
change of variables is exact for every ``a``), so the gradient is the exact derivative of
the continuous approximation; the grid itself (``σ₀``, ``h``) is held fixed, which changes
the computed value by no more than the trapezoidal error.
"""

import math

import numpy as np
from numba import njit

from .._core._losses import HINGE, LOGISTIC
from .._core._sinhc import N_DERIV, log_sinhc_derivatives

_SPLINE_MAX = 10  # exact piecewise-polynomial density up to this many non-zero coordinates
_H_DENSITY = 0.9  # v-step <= _H_DENSITY / sqrt(d): tilted densities have log-width ~ 1/sqrt(d)
_H_LOSS = 0.3  # v-step <= _H_LOSS / σ₀: atoms at most ~0.3 apart in the bulk of T (score units)
_H_MAX = 0.5
_H_SPLINE = 0.02  # the exact density has kinks (its (d−2)-th derivative jumps): a finer step
_V_LOW = -3.2  # bulk margin: λ = ∓sinh(3.2)/σ₀ puts atoms ~12σ₀ from the mean (plus tail widths)
_TAIL_WIDTHS = 12.0  # beyond the largest saddle point: the bulk margin plus this many log-widths
_LOG_2PI = math.log(2.0 * math.pi)


def active_coordinates(a):
    """Indices of the non-zero ``a_k`` and their values (contiguous float64)."""
    index = np.flatnonzero(a > 0.0)
    return index, np.ascontiguousarray(a[index], dtype=np.float64)


def atom_grid(a_active, eta, loss_code, score_span):
    """``(σ₀, h, j_lo, n_atoms, spline)`` of the rule for active weights ``a_active``.

    Parameters
    ----------
    a_active : ndarray of shape (d,)
        Positive ``a_k = ρ|w_k|``.
    eta : float
        Temperature ``η > 0``.
    loss_code : int
        Margin loss code (sets the largest saddle point ``sup|φ'|/η``).
    score_span : float
        ``max_i |s_i|`` (the squared hinge's slope grows with ``1 − s + A``).
    """
    d = a_active.shape[0]
    s0 = math.sqrt(float(np.sum(a_active * a_active)) / 3.0)
    total = float(np.sum(a_active))
    spline = d <= _SPLINE_MAX
    h = min(_H_SPLINE if spline else _H_MAX, _H_DENSITY / math.sqrt(d), _H_LOSS / s0)
    if loss_code == LOGISTIC or loss_code == HINGE:
        slope = 1.0
    else:
        slope = 2.0 * (1.0 + total + score_span)
    lam_max = slope / eta
    # tilts beyond ~1e15 d / A put the atoms within rounding of the edge A
    v_hi = math.asinh(min(s0 * lam_max, 1e15 * d * s0 / total)) - _V_LOW + _TAIL_WIDTHS / math.sqrt(d)
    j_lo = int(math.floor((_V_LOW - _TAIL_WIDTHS / math.sqrt(d)) / h))
    n_atoms = int(math.ceil(v_hi / h)) - j_lo + 1
    return s0, h, j_lo, n_atoms, spline


@njit(cache=True)
def _spline_terms(t, a, out):
    """``out = (S_{d−1}, S_{d−2})`` with ``S_m = Σ_ε (Πε) (−|t| + ε·a)_+^m`` and ``out[2:2+d]``
    the partial sums ``Σ_ε (Πε) ε_k (−|t| + ε·a)_+^{d−2}`` (``d`` = number of coordinates)."""
    d = a.shape[0]
    x0 = -abs(t)
    for q in range(2 + d):
        out[q] = 0.0
    for mask in range(1 << d):
        x = x0
        sign = 1.0
        for k in range(d):
            if mask >> k & 1:
                x -= a[k]
                sign = -sign
            else:
                x += a[k]
        if x <= 0.0:
            continue
        p2 = x ** (d - 2) if d >= 2 else 0.0
        out[0] += sign * (x ** (d - 1) if d >= 2 else 1.0)
        out[1] += sign * p2
        for k in range(d):
            out[2 + k] += (-sign if mask >> k & 1 else sign) * p2


@njit(cache=True)
def _log_spline_norm(a):
    """``log((d−1)! 2^d Π a_k)``."""
    d = a.shape[0]
    acc = math.lgamma(d) + d * math.log(2.0)
    for k in range(d):
        acc += math.log(a[k])
    return acc


@njit(cache=True)
def _cumulants(lam, a, gk, cum):
    """``gk[k, r] = g^{(r)}(λ a_k)`` (signed) and ``cum[r] = K^{(r)}(λ) = Σ_k a_k^r gk[k, r]``, ``r <= 4``."""
    sign = 1.0 if lam >= 0.0 else -1.0
    x_scale = abs(lam)
    for r in range(5):
        cum[r] = 0.0
    for k in range(a.shape[0]):
        log_sinhc_derivatives(x_scale * a[k], gk[k])
        p = 1.0
        for r in range(N_DERIV):
            if r % 2 == 1:
                gk[k, r] *= sign
            if r < 5:
                cum[r] += p * gk[k, r]
                p *= a[k]


@njit(cache=True)
def cube_atoms(a, s0, h, j_lo, spline, t_out, lw_out):
    """Atoms ``t_j`` and log weights ``ℓ_j`` of the rule (see the module docstring).

    ``a`` holds the positive coordinates only; ``t_out``/``lw_out`` have the number of atoms.
    """
    d = a.shape[0]
    cum = np.empty(5)
    gk = np.empty((d, N_DERIV))
    terms = np.empty(2 + d)
    log_norm = _log_spline_norm(a) if spline else 0.0
    for j in range(t_out.shape[0]):
        v = (j_lo + j) * h
        lam = math.sinh(v) / s0
        _cumulants(lam, a, gk, cum)
        k2 = cum[2]
        t = cum[1]
        t_out[j] = t
        jac = math.log(k2) + math.log(h * math.cosh(v) / s0)
        if spline:
            _spline_terms(t, a, terms)
            if terms[0] > 0.0:
                lw_out[j] = math.log(terms[0]) - log_norm + jac
            else:
                lw_out[j] = -np.inf
        else:
            corr = cum[4] / (8.0 * k2 * k2) - 5.0 * cum[3] * cum[3] / (24.0 * k2 * k2 * k2)
            lw_out[j] = cum[0] - lam * t - 0.5 * (_LOG_2PI + math.log(k2)) + math.log1p(corr) + jac


@njit(cache=True)
def cube_atoms_gradient(a, s0, h, j_lo, spline, alpha, beta, out):
    """``out[k] = Σ_j α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k`` (derivatives at fixed ``λ_j``).

    ``∂K^{(r)}/∂a_k = r a_k^{r−1} g^{(r)}(λa_k) + a_k^r λ g^{(r+1)}(λa_k)`` with ``g = log sinhc``.
    """
    d = a.shape[0]
    cum = np.empty(5)
    gk = np.empty((d, N_DERIV))
    terms = np.empty(2 + d)
    dk = np.empty(5)
    for k in range(d):
        out[k] = 0.0
    for j in range(alpha.shape[0]):
        if alpha[j] == 0.0 and beta[j] == 0.0:
            continue
        v = (j_lo + j) * h
        lam = math.sinh(v) / s0
        _cumulants(lam, a, gk, cum)
        k2, k3, k4 = cum[2], cum[3], cum[4]
        if spline:
            _spline_terms(cum[1], a, terms)
            if terms[0] <= 0.0:
                continue
            n = float(d - 1)
            # d/dt log p at t: the sums were taken at −|t|
            dlogp_dt = (n * terms[1] / terms[0] if d >= 2 else 0.0) * (-1.0 if cum[1] > 0.0 else 1.0)
        else:
            corr = k4 / (8.0 * k2 * k2) - 5.0 * k3 * k3 / (24.0 * k2 * k2 * k2)
        for k in range(d):
            ak = a[k]
            g = gk[k]
            p = 1.0  # a_k^{r−1}
            for r in range(5):
                if r == 0:
                    dk[0] = lam * g[1]
                else:
                    dk[r] = r * p * g[r] + p * ak * lam * g[r + 1]
                    p *= ak
            dt = dk[1]
            if spline:
                dlogp = (n * terms[2 + k] / terms[0] if d >= 2 else 0.0) - 1.0 / ak
                dl = dlogp + dlogp_dt * dt + dk[2] / k2
            else:
                dcorr = (dk[4] / (8.0 * k2 * k2) - k4 * dk[2] / (4.0 * k2 * k2 * k2)
                         - 5.0 * k3 * dk[3] / (12.0 * k2 * k2 * k2)
                         + 5.0 * k3 * k3 * dk[2] / (8.0 * k2 * k2 * k2 * k2))
                dl = dk[0] - lam * dt + 0.5 * dk[2] / k2 + dcorr / (1.0 + corr)
            out[k] += alpha[j] * dt + beta[j] * dl
