"""Densities of ``T = Σ_k a_k u_k`` (``u`` uniform in the cube) at the atoms of :mod:`._cube_rule`.

- ``d ≤ _SPLINE_MAX`` non-zero ``a_k`` of comparable sizes: the exact piecewise-polynomial
  density ``p_T(t) = Σ_{ε ∈ {±1}^d} (Π ε_k) (t + ε·a)_+^{d−1} / ((d−1)! 2^d Π a_k)`` (evaluated
  at ``−|t|``, where only terms that do not cancel near the edge survive). Its terms reach
  ``κ = a_1 A^{d−1} / ((d−1)! 2^{d−1} Π a_k)`` times the density (``A = Σ a_k``), which they
  cancel down to: with tiny coordinates beside large ones (``a = (2, 1e-6, 1e-6, 1e-6)``:
  ``κ ≈ 1e17``) nothing of it survives rounding, so only the longest prefix of the sorted
  ``a`` with ``κ <= _SPLINE_CONDITION`` is ever taken exactly (:func:`spline_prefix`).
- the hybrid density (:func:`_hybrid_density`) where that prefix, or the ``_N_BIG`` largest
  coordinates when ``d > _SPLINE_MAX``, carry at least half the tilted variance: their exact
  density convolved with the Edgeworth density of the rest (where the 9th largest is within 5% of
  the 8th, the rule's value is blended with that of the rule with 9 exact coordinates,
  :func:`~._cube_rule.hybrid_tie_weight`, so that ``F`` does not bend where the two swap);
- where they carry between a third and a half of it, a blend of the two log-densities whose
  Edgeworth share grows from 0 to 1 (:func:`~._cube_rule.blend_weight`): the rule's value is then
  continuous in the weights (a switch from one density to the other made it jump);
- otherwise the saddle-point density with its second-order Edgeworth correction,

      p_T(t_j) ≈ exp(K(λ_j) − λ_j t_j) / sqrt(2π K''(λ_j)) · (1 + ρ₄/8 − 5ρ₃²/24),

  ``ρ_r = K^{(r)}/K''^{r/2}`` at ``λ_j``: the density of the tilted sum at its mean, with
  relative error ``O(1/d_eff²)``, ``d_eff = (Σ a_k²)²/Σ a_k⁴`` the effective number of
  coordinates at that tilt. The atoms are normalised (``Σ_j e^{ℓ_j}`` divides out of
  ``F``), which cancels the part of the error that is constant in ``t``.
"""

import functools
import math

import numpy as np
from numba import njit

from .._core._aot import kernel

_SPLINE_MAX = 10  # exact piecewise-polynomial density up to this many non-zero coordinates
# ... whose terms are at most this many times the density they cancel down to (spline_prefix):
# 1e-16 x 1e6 leaves the density 1e-10 relative
_SPLINE_CONDITION = 1e6


@njit(cache=True)
def spline_prefix(a):
    """Largest ``m <= _SPLINE_MAX`` such that the exact density of ``a_1..a_m`` (sorted, largest
    first) is well conditioned: ``κ_m = a_1 (Σ_{k<=m} a_k)^{m−1} / ((m−1)! 2^{m−1} Π_{k<=m} a_k)
    <= _SPLINE_CONDITION``.

    ``κ_m`` bounds the terms of :func:`_spline_terms`, ``(Σ a_k)^{m−1}/((m−1)! 2^m Π a_k)``, over
    the density at the centre (at least ``1/(2 a_1)``): the relative rounding error of the exact
    density is about ``1e-16 κ_m``. ``κ_1 = 1``. ``a``: contiguous float64.
    """
    limit = math.log(_SPLINE_CONDITION)
    total = 0.0
    log_prod = 0.0
    log_factorial = 0.0  # log (m − 1)!
    m = a.shape[0] if a.shape[0] < _SPLINE_MAX else _SPLINE_MAX
    for k in range(m):  # k = m − 1
        total += a[k]
        log_prod += math.log(a[k])
        if k > 1:
            log_factorial += math.log(k)
        if math.log(a[0]) + k * (math.log(total) - math.log(2.0)) - log_prod - log_factorial > limit:
            return k
    return m


def spline_corners(a):
    """The ``2^d`` sign patterns ``ε ∈ {±1}^d`` of the exact density, largest ``ε·a`` first.

    Returns ``(corners, signs, signed_eps)``: ``corners = ε·a`` (decreasing), ``signs = Π_k ε_k``
    and ``signed_eps[:, k] = (Π ε) ε_k``, the arguments of :func:`_spline_terms`.
    """
    a = np.asarray(a, dtype=np.float64)
    eps, signs, signed_eps = _sign_patterns(a.shape[0])
    corners = (eps * a[None, :]).sum(axis=1)
    order = np.argsort(-corners, kind="stable")
    return corners[order], signs[order], signed_eps[order]


@functools.lru_cache(maxsize=16)
def _sign_patterns(d):
    """``(ε, Π ε, (Π ε) ε)`` for the ``2^d`` patterns in binary order (made once per ``d``, not
    at every evaluation; only the corners ``ε·a`` depend on the weights)."""
    eps = 1.0 - 2.0 * ((np.arange(1 << d)[:, None] >> np.arange(d)[None, :]) & 1)
    signs = np.prod(eps, axis=1)
    return eps, signs, signs[:, None] * eps


@njit(cache=True)
def _spline_terms(t, corners, signs, signed_eps, out):
    """``out[0:2] = (S_{d−1}, S_{d−2})`` with ``S_m = Σ_ε (Πε) (−|t| + ε·a)_+^m``, and the
    partials ``out[2 + k] = Σ_ε (Πε) ε_k (−|t| + ε·a)_+^{d−2}``; the patterns are those of
    :func:`spline_corners` (``d = signed_eps.shape[1]``).

    With the corners ``ε·a`` sorted decreasingly only the patterns with ``ε·a > |t|`` are
    visited: few of them at the hybrid density's nodes, which lie toward the edge.
    """
    d = signed_eps.shape[1]
    x0 = -abs(t)
    for q in range(2 + d):
        out[q] = 0.0
    for i in range(corners.shape[0]):
        x = x0 + corners[i]
        if x <= 0.0:
            break
        if d < 2:
            out[0] += signs[i]
            continue
        p2 = 1.0
        for _ in range(d - 2):
            p2 *= x
        out[0] += signs[i] * p2 * x
        out[1] += signs[i] * p2
        for k in range(d):
            out[2 + k] += signed_eps[i, k] * p2


def spline_table(corners, signs, signed_eps):
    """The sums of :func:`_spline_terms` as polynomials between the positive corners (see
    :func:`_fill_spline_table`), for the many evaluations of the hybrid density."""
    d = signed_eps.shape[1]
    n_pos = int(np.count_nonzero(corners > 0.0))
    table = np.empty((n_pos, max(d + (d + 1) * (d - 1), 0)))
    _fill_table(corners, signs, signed_eps, table)
    return table


@njit(cache=True)
def _fill_spline_table(corners, signs, signed_eps, table):
    """Row ``I − 1``: the coefficients in ``δ = c_{I−1} − u`` of ``S_{d−1}``, ``S_{d−2}`` and the
    ``d`` partials of :func:`_spline_terms` at ``u = |t|`` where the corners ``c_i > u`` are
    ``c_0..c_{I−1}`` (``c_I <= u < c_{I−1}``, corners decreasing; one row for each positive one).

    The sums are ``Σ_{i<I} s_i (c_i − u)^n`` with ``c_i − u = (c_i − c_{I−1}) + δ``; row ``I`` is
    row ``I − 1`` moved by a Taylor shift to the next corner (``δ_old = δ + g``, ``g >= 0``:
    only sums of non-negative multiples, so the rounding stays that of the terms themselves)
    plus corner ``I − 1``'s own term ``s δ^n``. Column blocks: ``d`` coefficients of
    ``S_{d−1}``, then ``d − 1`` of ``S_{d−2}`` and of each partial.
    """
    d = signed_eps.shape[1]
    width = table.shape[1]
    if table.shape[0] == 0:  # no positive corner (no coordinate)
        return
    for c in range(width):
        table[0, c] = 0.0
    for row in range(table.shape[0]):
        if row > 0:
            g = corners[row - 1] - corners[row]
            for c in range(width):
                table[row, c] = table[row - 1, c]
            if g > 0.0:
                _taylor_shift(table[row], 0, d, g)
                for block in range(d + 1):
                    _taylor_shift(table[row], d + block * (d - 1), d - 1, g)
        table[row, d - 1] += signs[row]
        if d >= 2:
            table[row, d + d - 2] += signs[row]
            for k in range(d):
                table[row, d + (k + 1) * (d - 1) + d - 2] += signed_eps[row, k]


@njit(cache=True, inline="always")
def _taylor_shift(coef, start, n, g):
    """``coef[start:start + n]`` (a polynomial in ``δ + g``) rewritten in ``δ`` (``g >= 0``)."""
    for j in range(n - 1):
        for r in range(n - 2, j - 1, -1):
            coef[start + r] += g * coef[start + r + 1]


@njit(cache=True, inline="always")
def _table_terms(t, corners, table, d, out):
    """:func:`_spline_terms` at ``t`` from the rows of :func:`spline_table` (``d`` coordinates)."""
    u = abs(t)
    for q in range(2 + d):
        out[q] = 0.0
    lo, hi = 0, table.shape[0]  # rows I − 1 with c_{I−1} > u form a prefix: find its length I
    while lo < hi:
        mid = (lo + hi) // 2
        if corners[mid] > u:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return
    row = table[lo - 1]
    delta = corners[lo - 1] - u
    acc = 0.0
    for r in range(d - 1, -1, -1):
        acc = acc * delta + row[r]
    out[0] = acc
    for block in range(d + 1):
        acc = 0.0
        base = d + block * (d - 1)
        for r in range(d - 2, -1, -1):
            acc = acc * delta + row[base + r]
        out[1 if block == 0 else 1 + block] = acc


# the form compiled ahead of time at install where it exists (skentropic/_core/_aot.py)
_fill_table = kernel("fill_spline_table", _fill_spline_table)


@njit(cache=True, inline="always")
def _log_spline_norm(a):
    """``log((d−1)! 2^d Π a_k)``."""
    d = a.shape[0]
    acc = math.lgamma(d) + d * math.log(2.0)
    for k in range(d):
        acc += math.log(a[k])
    return acc


@njit(cache=True, inline="always")
def _edgeworth(cum):
    """Second-order Edgeworth factor ``1 + ρ₄/8 − 5ρ₃²/24`` of the density at the tilted mean."""
    k2 = cum[2]
    return 1.0 + cum[4] / (8.0 * k2 * k2) - 5.0 * cum[3] * cum[3] / (24.0 * k2 * k2 * k2)


@njit(cache=True, inline="always")
def _edgeworth_gradient(cum, dk):
    """``∂`` of :func:`_edgeworth` given ``dk[r] = ∂K^{(r)}``."""
    k2, k3, k4 = cum[2], cum[3], cum[4]
    return (dk[4] / (8.0 * k2 * k2) - k4 * dk[2] / (4.0 * k2 * k2 * k2)
            - 5.0 * k3 * dk[3] / (12.0 * k2 * k2 * k2) + 5.0 * k3 * k3 * dk[2] / (8.0 * k2 * k2 * k2 * k2))


@njit(cache=True)
def _hybrid_density(lam, a_big, corners, table, cum_big, cum_small, log_norm_big, gh_z, gh_w, terms, agg):
    """``log p_T(t)`` at ``t = K'(λ)`` for ``T = T_B + T_S`` with ``T_B`` exact and ``T_S`` Edgeworth.

    ``p_T(t) = e^{K_S(λ) − λμ_S} ∫ p_B(μ_B − σ_S z) e^{−λσ_S z} φ(z)(1 + E(z)) dz`` with ``μ, σ``
    the tilted means and standard deviation, ``p_B`` the exact density of the big coordinates
    ``a_big`` (their corners ``ε·a``, :func:`spline_corners`, and their sums as polynomials between
    them, :func:`spline_table`) and ``E(z) = ρ₃He₃/6 + ρ₄He₄/24 + ρ₃²He₆/72`` the Edgeworth
    polynomial of ``T_S`` tilted by ``λ``; Gauss–Hermite nodes ``gh_z`` with weights ``gh_w`` (summing to one).

    Also fills ``agg = (C_x, C_σ, A₃, A₄, D_1..D_m)`` for the gradient (see
    :func:`~._cube_gradient.cube_atoms_gradient`). ``terms`` is scratch of shape ``(len(gh_z), 3 + m)``. Returns
    ``log p_T``, or ``nan`` when the quadrature sum is not positive.
    """
    m = a_big.shape[0]
    mu_b = cum_big[1]
    sig = math.sqrt(cum_small[2])
    r3 = cum_small[3] / (sig * (sig * sig))  # (products, not powers: see _cube_rule._atom_cumulants)
    r4 = cum_small[4] / ((sig * sig) * (sig * sig))
    nq = gh_z.shape[0]
    top = -np.inf
    for q in range(nq):  # one spline pass per node, then the scale: largest log p_B(x_q) − λσz_q
        _table_terms(mu_b - sig * gh_z[q], corners, table, m, terms[q])
        v = math.log(terms[q, 0]) - lam * sig * gh_z[q] if terms[q, 0] > 0.0 else -np.inf
        terms[q, 2 + m] = v
        if v > top:
            top = v
    for i in range(agg.shape[0]):
        agg[i] = 0.0
    if top == -np.inf:
        return np.nan
    total = 0.0
    for q in range(nq):
        z = gh_z[q]
        x = mu_b - sig * z
        tq = terms[q]
        if tq[0] <= 0.0:
            continue
        z2 = z * z
        he3 = z * (z2 - 3.0)
        he4 = z2 * (z2 - 6.0) + 3.0
        he6 = z2 * (z2 * (z2 - 15.0) + 45.0) - 15.0
        e = r3 * he3 / 6.0 + r4 * he4 / 24.0 + r3 * r3 * he6 / 72.0
        pq = gh_w[q] * math.exp(tq[2 + m] - top)
        wq = pq * (1.0 + e)
        total += wq
        ratio = (m - 1.0) / tq[0]  # ∂ log S_{m−1}/∂x = (m − 1) S_{m−2}/S_{m−1}, ∂_k likewise
        dlog_x = ratio * tq[1] * (-1.0 if x > 0.0 else 1.0)
        agg[0] += wq * dlog_x
        agg[1] += wq * (dlog_x + lam) * (-z)
        agg[2] += pq * (he3 / 6.0 + r3 * he6 / 36.0)
        agg[3] += pq * he4 / 24.0
        scaled = wq * ratio
        for k in range(m):
            agg[4 + k] += scaled * tq[2 + k]
    if not total > 0.0:
        return np.nan
    for i in range(agg.shape[0]):
        agg[i] /= total
    for k in range(m):
        agg[4 + k] -= 1.0 / a_big[k]
    return cum_small[0] - lam * cum_small[1] + top + math.log(total) - log_norm_big
