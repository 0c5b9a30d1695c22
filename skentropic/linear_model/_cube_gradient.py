"""Gradients of the ``l_∞`` atom rule (:mod:`._cube_rule`) with respect to the weights ``a_k``.

``out[k] = Σ_j α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k`` for the atoms ``(t_j, ℓ_j)`` of
:func:`~._cube_rule.cube_atoms`, taken at fixed tilts ``λ_j`` (see that module's "Gradients"):
:func:`spline_atoms_gradient` for the rule with the exact spline density (at most
``_SPLINE_MAX`` coordinates), :func:`cube_atoms_gradient` and its threaded form for the Edgeworth
and hybrid densities. Two kernels, so that a fit compiles only the one its rule takes (the
first fit in a fresh process: ``benchmarks/bench_cold_start.py``).
"""

import math

import numpy as np
from numba import njit, prange

from .._core._sinhc import N_DERIV, SERIES_TABLE
from ._chunks import chunk_count, sum_chunks
from ._cube_density import _edgeworth, _edgeworth_gradient
from ._cube_rule import _BLEND_COLUMN, _CUM_COLUMN, _CUM_SMALL_COLUMN, _atom_cumulants, _series_start, blend_weight

_GRADIENT_CHUNKS = 8


@njit(cache=True, inline="always")
def _cumulant_gradient(lam, ak, g, dk):
    """``dk[r] = ∂K^{(r)}/∂a_k = r a_k^{r−1} g^{(r)}(λa_k) + a_k^r λ g^{(r+1)}(λa_k)``, ``r <= 4``."""
    dk[0] = lam * g[1]
    p = 1.0  # a_k^{r−1}
    for r in range(1, 5):
        dk[r] = r * p * g[r] + p * ak * lam * g[r + 1]
        p *= ak



@njit(cache=True, inline="always")
def _dot5(c, dk):
    """``Σ_r c[r] dk[r]`` over the five cumulant orders."""
    return c[0] * dk[0] + c[1] * dk[1] + c[2] * dk[2] + c[3] * dk[3] + c[4] * dk[4]


@njit(cache=True, inline="always")
def _atom_state(j, lam, a, n_big, rows, scratch, saved, cum, cum_big, cum_small, suffix):
    """Atom ``j``'s ``g^{(r)}(λ_j a_k)`` (returned) and cumulants ``cum``, ``cum_small``: those
    :func:`~._cube_rule.cube_atoms` kept, or recomputed into ``scratch`` where ``rows`` has no
    row per atom."""
    if rows.shape[0] == saved.shape[0]:
        for r in range(5):
            cum[r] = saved[j, _CUM_COLUMN + n_big + r]
            cum_small[r] = saved[j, _CUM_SMALL_COLUMN + n_big + r]
        return rows[j]
    _atom_cumulants(lam, a, n_big, scratch, cum, cum_big, cum_small, suffix)
    return scratch


@njit(cache=True, inline="always")
def _small_form(kind, lam, cum, corr, sig, r3, r4, agg, alpha_j, beta_j, dk):
    """``α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k`` for a coordinate of the Edgeworth part, given its ``dk``.

    Linear in ``dk`` (see :func:`cube_atoms_gradient`), so its coefficients are its values at
    the unit vectors.
    """
    k2 = cum[2]
    if kind == 0:
        dlog_p = dk[0] - lam * dk[1] - 0.5 * dk[2] / k2 + _edgeworth_gradient(cum, dk) / corr
    else:
        dsig = dk[2] / (2.0 * sig)
        dr3 = dk[3] / (sig * (sig * sig)) - 1.5 * r3 * dk[2] / (sig * sig)
        dr4 = dk[4] / ((sig * sig) * (sig * sig)) - 2.0 * r4 * dk[2] / (sig * sig)
        dlog_p = dk[0] - lam * dk[1] + agg[1] * dsig + agg[2] * dr3 + agg[3] * dr4
    return alpha_j * dk[1] + beta_j * (dlog_p + dk[2] / k2)


@njit(cache=True)
def cube_atoms_gradient(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, out):
    """``out[k] = Σ_j α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k`` (derivatives at fixed ``λ_j``).

    ``saved`` and ``rows`` are what :func:`~._cube_rule.cube_atoms` saved of the same atoms (kinds, hybrid
    aggregates, cumulants and, if ``rows`` has a row per atom, the ``g^{(r)}(λ a_k)``; else these
    are recomputed). For the rules with the Edgeworth or hybrid density (``n_big < len(a)``);
    the exact spline's rule (``n_big == len(a)``) takes :func:`spline_atoms_gradient`.
    With ``dK^{(r)}_k = ∂K^{(r)}/∂a_k`` (:func:`_cumulant_gradient`): ``∂t_j/∂a_k = dK'_k`` and
    ``∂ℓ_j/∂a_k = ∂ log p_T(t_j)/∂a_k + dK''_k / K''``, where, at fixed ``λ``,
    Edgeworth: ``∂ log p_T = dK_k − λ dK'_k − dK''_k/(2K'') + ∂E/(1 + E)``;
    hybrid: big ``k``: ``D_k + C_x dK'_k``; small ``k``:
    ``dK_k − λ dK'_k + C_σ ∂σ_S + A₃ ∂ρ₃ + A₄ ∂ρ₄`` (aggregates of :func:`~._cube_density._hybrid_density`);
    their blend (kind 3, :func:`~._cube_rule.cube_atoms`): ``(1 − b)`` hybrid ``+ b`` Edgeworth
    ``+ Δ b'(q) ∂q``, ``Δ`` the saved gap, ``q = K''_S/K''_B``, ``∂q = dK''_k/K''_B`` for small
    ``k`` and ``−q dK''_k/K''_B`` for big ``k``.

    For the Edgeworth part the term is ``Σ_r C_{jr} dK^{(r)}_k`` (:func:`_small_form` at the
    unit vectors gives ``C_j``). Beyond
    the series start of atom ``j`` (:func:`~._cube_rule._series_start`), ``dK^{(r)}_k = ∂_a[a^r g^{(r)}(λa)]``
    is the series ``Σ_m D_{rm} λ^{2m + r mod 2} 2n a_k^{2n−1}`` (``n = m + ⌈r/2⌉``), so those
    terms of all atoms add up to ``Σ_n E_n(k)/a_k``, ``E_n(k) = Σ_{j: k₀(j) <= k} e_{jn}
    (λ_j a_k)^{2n}`` (``e_{jn}`` from the ``C_{jr}``), which gain atom ``j``'s share at its series
    start and are carried from ``k − 1`` to ``k`` by the factor ``(a_k/a_{k−1})^{2n} <= 1`` (no
    overflow): ``O(atoms + d)`` series work instead of ``O(atoms × d)``.
    """
    d = a.shape[0]
    cum, cum_big, cum_small = np.empty(5), np.empty(5), np.empty(5)
    scratch = np.empty((d, N_DERIV))
    dk = np.empty(5)
    unit = np.empty(5)
    coef = np.empty(5)
    coef_e = np.empty(5)  # a blended atom's Edgeworth part (for its big coordinates)
    n_pow = suffix.shape[0]
    # np.empty and loops, not np.zeros (nor int() or max() in these kernels): each of those
    # compiles a numba overload of its own in a fresh process
    delta = np.empty((d + 1, n_pow))
    for r in range(5):
        unit[r] = 0.0
    for k in range(d + 1):
        if k < d:
            out[k] = 0.0
        for n in range(n_pow):
            delta[k, n] = 0.0
    for j in range(alpha.shape[0]):
        if alpha[j] == 0.0 and beta[j] == 0.0 or saved[j, 0] < 0.0:
            continue
        kind = saved[j, 0]
        v = (j_lo + j) * h
        lam = math.sinh(v) / s0
        gk = _atom_state(j, lam, a, n_big, rows, scratch, saved, cum, cum_big, cum_small, suffix)
        agg = saved[j, 1:]
        k2 = cum[2]
        corr = _edgeworth(cum) if kind == 0 or kind == 3 else 1.0
        sig = math.sqrt(cum_small[2])
        r3 = cum_small[3] / (sig * (sig * sig))
        r4 = cum_small[4] / ((sig * sig) * (sig * sig))
        share = 0.0  # blend (kind 3): the Edgeworth share b, β_j Δ b'(q) / K''_B and q
        gap_slope = 0.0
        q = 0.0
        if kind == 3:
            share = saved[j, _BLEND_COLUMN + n_big]
            k2_big = cum[2] - cum_small[2]
            q = cum_small[2] / k2_big
            gap_slope = beta[j] * saved[j, _BLEND_COLUMN + n_big + 1] * blend_weight(q)[1] / k2_big
        for r in range(5):
            unit[r] = 1.0
            if kind == 3:
                coef_e[r] = _small_form(0.0, lam, cum, corr, sig, r3, r4, agg, alpha[j], beta[j], unit)
                coef[r] = (share * coef_e[r]
                           + (1.0 - share) * _small_form(2.0, lam, cum, corr, sig, r3, r4, agg, alpha[j], beta[j], unit))
            else:
                coef[r] = _small_form(kind, lam, cum, corr, sig, r3, r4, agg, alpha[j], beta[j], unit)
            unit[r] = 0.0
        coef[2] += gap_slope  # (a small coordinate's ∂q = dK''_k / K''_B)
        k0 = _series_start(lam, a, n_big)
        for k in range(k0):
            _cumulant_gradient(lam, a[k], gk[k], dk)
            if kind >= 2 and k < n_big:
                big = alpha[j] * dk[1] + beta[j] * (agg[4 + k] + agg[0] * dk[1] + dk[2] / k2)
                if kind == 3:
                    big = (1.0 - share) * big - gap_slope * q * dk[2] + share * _dot5(coef_e, dk)
                out[k] += big
            else:
                out[k] += _dot5(coef, dk)
        if k0 == d:
            continue
        x0 = lam * a[k0]
        x2 = x0 * x0  # below _SERIES_X²
        a2 = a[k0] * a[k0]
        for r in range(5):
            off = (r + r % 2) // 2
            pw = coef[r] * (lam if r % 2 == 1 else 1.0) * (1.0 if off == 0 else a2 if off == 1 else a2 * a2)
            for m in range(SERIES_TABLE.shape[1]):
                n = m + off
                if n > 0:
                    delta[k0, n] += SERIES_TABLE[r, m] * pw * (2.0 * n)
                pw *= x2
    acc = np.empty(n_pow)
    for n in range(n_pow):
        acc[n] = 0.0
    active = False
    for k in range(d):
        if active:  # E_n(k − 1) → E_n(k): times (a_k/a_{k−1})^{2n}
            ratio = a[k] / a[k - 1]
            r2 = ratio * ratio
            p = 1.0
            for n in range(n_pow):
                acc[n] *= p
                p *= r2
        total = 0.0
        for n in range(1, n_pow):
            acc[n] += delta[k, n]
            total += acc[n]
            active = active or acc[n] != 0.0
        if active:
            out[k] += total / a[k]


@njit(cache=True)
def spline_atoms_gradient(a, s0, h, j_lo, suffix, saved, rows, alpha, beta, out):
    """:func:`cube_atoms_gradient` for the rule with the exact spline density (``n_big == len(a)``).

    With ``p_T = S_{d−1}(t)/N`` (:func:`~._cube_density._spline_terms`, ``N = (d−1)! 2^d Π a_k``),
    at fixed ``λ``: ``∂ log p_T(t_j)/∂a_k = (d − 1) S'_k/S_{d−1} − 1/a_k + ∂_t log p_T · dK'_k``
    with ``∂_t log p_T = ∓(d − 1) S_{d−2}/S_{d−1}`` (``t ≷ 0``), ``S'_k`` the spline partial
    saved by :func:`~._cube_rule.cube_atoms`. A kernel of its own: only rules of at most
    ``_SPLINE_MAX`` coordinates take it, so a fit in more dimensions does not compile it.
    """
    d = a.shape[0]
    cum, cum_big, cum_small = np.empty(5), np.empty(5), np.empty(5)
    scratch = np.empty((d, N_DERIV))
    dk = np.empty(5)
    for k in range(d):
        out[k] = 0.0
    for j in range(alpha.shape[0]):
        if alpha[j] == 0.0 and beta[j] == 0.0 or saved[j, 0] < 0.0:
            continue
        lam = math.sinh((j_lo + j) * h) / s0
        gk = _atom_state(j, lam, a, d, rows, scratch, saved, cum, cum_big, cum_small, suffix)
        ts = saved[j, 1:]
        k2 = cum[2]
        dlog_t = ((d - 1.0) * ts[1] / ts[0] if d >= 2 else 0.0) * (-1.0 if cum[1] > 0.0 else 1.0)
        for k in range(d):
            _cumulant_gradient(lam, a[k], gk[k], dk)
            dlog_p = ((d - 1.0) * ts[2 + k] / ts[0] if d >= 2 else 0.0) - 1.0 / a[k] + dlog_t * dk[1]
            out[k] += alpha[j] * dk[1] + beta[j] * (dlog_p + dk[2] / k2)


@njit(cache=True, parallel=True)
def cube_atoms_gradient_parallel(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, out):
    """:func:`cube_atoms_gradient` over fixed chunks of atoms, partial sums added in chunk order.

    The result does not depend on the thread count; it differs from the serial kernel's only
    by the order of the additions.
    """
    n = alpha.shape[0]
    # few chunks: each one pays O(d) for its series polynomial, more than a few atoms cost
    n_chunks = min(chunk_count(n), _GRADIENT_CHUNKS)
    partial = np.zeros((n_chunks, 1, a.shape[0]))
    for c in prange(n_chunks):
        start = c * n // n_chunks
        stop = (c + 1) * n // n_chunks
        cube_atoms_gradient(a, n_big, s0, h, j_lo + start, suffix, saved[start:stop],
                            rows[start:stop] if rows.shape[0] == n else rows, alpha[start:stop],
                            beta[start:stop], partial[c, 0])
    sum_chunks(partial, out.reshape(1, out.shape[0]))
