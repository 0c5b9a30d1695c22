"""Binary entropic losses from a weighted discrete law of the perturbation of the score.

Every deterministic rule for binary margin losses reduces the ball expectation to atoms:
the perturbation of the signed score ``s_i`` takes the value ``δ_j`` with probability
``ω_j = e^{ℓ_j}`` (``Σ_j ω_j = 1``), and

    F_i = η log Σ_j ω_j exp(φ(s_i + δ_j)/η).

- fixed antithetic ball samples ``±u_j``: ``δ_j = ρ u_j·w``, ``ω_j = 1/m`` (the set is symmetric,
  so the label does not enter);
- the exact ``l_∞`` rule (:mod:`._cube_rule`): ``δ_j = −t_j``, ``ω_j`` its normalised weights;
- the ``l_2`` rule of the logistic loss (:mod:`._sphere_rule`): ``δ_j = −ρ||w||_2 τ_j``.

With ``π_ij = ω_j exp(φ(s_i + δ_j)/η) / Σ_l ω_l exp(φ(s_i + δ_l)/η)`` the derivatives are
``∂F_i/∂s_i = Σ_j π_ij φ'_ij``, ``∂F_i/∂δ_j = π_ij φ'_ij`` and ``∂F_i/∂ℓ_j = η(π_ij − ω_j)``.
"""

import numpy as np
from numba import njit, prange

from .._core._logmeanexp import exp_shifted
from .._core._losses import margin_loss, margin_loss_derivative
from ._chunks import chunk_count, sum_chunks


def normalise_log_weights(log_w):
    """``ℓ − logsumexp(ℓ)`` (weights summing to one), computed with max-subtraction."""
    top = np.max(log_w)
    return log_w - (top + np.log(np.sum(np.exp(log_w - top))))


@njit(cache=True)
def _euler_maclaurin(x, tau):
    """``G(x, τ) = e^{xτ}/(1 − e^x) + 1/x`` and its partial derivatives ``(G, G_x, G_τ)``.

    For ``g(v) = e^{c(v − a)}`` on ``[a, ∞)`` and nodes ``a + (j + τ)h``, ``j >= 0``, the
    trapezoidal sum minus the integral is ``h G(ch, τ)`` exactly (the whole Euler–Maclaurin
    series, ``G = −Σ_{k>=1} B_k(τ) x^{k−1}/k!``); series for ``|x| < 1e-3``.
    """
    if abs(x) < 1e-3:
        b2 = tau * tau - tau + 1.0 / 6.0
        b3 = tau * (tau - 0.5) * (tau - 1.0)
        b4 = tau * tau * (tau - 1.0) * (tau - 1.0) - 1.0 / 30.0
        b5 = tau * (tau - 0.5) * (tau - 1.0) * (tau * tau - tau - 1.0 / 3.0)
        g = (0.5 - tau) - x * b2 / 2.0 - x * x * b3 / 6.0 - x ** 3 * b4 / 24.0
        gx = -b2 / 2.0 - x * b3 / 3.0 - x * x * b4 / 8.0 - x ** 3 * b5 / 30.0
        b1 = tau - 0.5
        gt = -1.0 - x * b1 - x * x * b2 / 2.0 - x ** 3 * b3 / 6.0
        return g, gx, gt
    if x > 0.0:  # e^{xτ}/(1 − e^x) = −e^{−x(1−τ)}/(1 − e^{−x})
        r = -np.exp(-x * (1.0 - tau)) / (-np.expm1(-x))
        q = 1.0 / np.expm1(-x)  # e^x/(1 − e^x) = −1/(1 − e^{−x})
    else:
        r = np.exp(x * tau) / (-np.expm1(x))
        q = np.exp(x) / (-np.expm1(x))
    g = r + 1.0 / x
    gx = r * (tau + q) - 1.0 / (x * x)
    gt = x * r
    return g, gx, gt


@njit(cache=True)
def _kink_cell(t_kink, shift):
    """Index ``j`` with ``t_j <= t_kink < t_{j+1}`` for atoms ``t_j = −shift_j`` sorted increasingly."""
    lo, hi = 0, shift.shape[0] - 1
    if not (-shift[lo] <= t_kink < -shift[hi]):
        return -1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if -shift[mid] <= t_kink:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _neighbours(i, m):
    """``(lo, hi, 1/(hi − lo))``: the atoms around atom ``i`` of ``m`` for its centred differences
    (one-sided at the ends)."""
    lo = i - 1 if i > 0 else 0
    hi = i + 1 if i < m - 1 else m - 1
    return lo, hi, 1.0 / (hi - lo)


@njit(cache=True)
def _kink_term(s, shift, log_w, eta, jk, top):
    """The hinge's correction ``K`` (scaled by ``e^{−top}``) for the kink ``t_k = s − 1`` in the cell
    ``[t_jk, t_{jk+1}]`` (:func:`margin_atoms`) and its partial derivatives: ``(K, ∂K/∂θ, ∂K/∂Δ,
    ∂K/∂x_b, θ, t_{jk+1} − t_jk)``, ``∂K/∂θ`` through everything ``θ`` moves (``τ``, ``x_b``,
    ``Δ``, ``l̄``)."""
    m = shift.shape[0]
    t0, t1 = -shift[jk], -shift[jk + 1]
    dt = t1 - t0
    theta = (s - 1.0 - t0) / dt
    a_lo, a_hi, a_inv = _neighbours(jk, m)
    b_lo, b_hi, b_inv = _neighbours(jk + 1, m)
    slope_a = (log_w[a_hi] - log_w[a_lo]) * a_inv
    slope_b = (log_w[b_hi] - log_w[b_lo]) * b_inv
    step_a = (shift[a_lo] - shift[a_hi]) * a_inv
    step_b = (shift[b_lo] - shift[b_hi]) * b_inv
    xb = (1.0 - theta) * slope_a + theta * slope_b
    xc = xb + ((1.0 - theta) * step_a + theta * step_b) / eta
    lbar = np.exp((1.0 - theta) * log_w[jk] + theta * log_w[jk + 1] - top)
    gc, gxc, gtc = _euler_maclaurin(xc, 1.0 - theta)
    gb, gxb, gtb = _euler_maclaurin(xb, 1.0 - theta)
    kterm = -lbar * (gc - gb)
    k_xb = -lbar * (gxc - gxb)  # (x_c moves with x_b)
    k_step = -lbar * gxc / eta
    k_theta = ((log_w[jk + 1] - log_w[jk]) * kterm + lbar * (gtc - gtb) + k_xb * (slope_b - slope_a)
               + k_step * (step_b - step_a))
    return kterm, k_theta, k_step, k_xb, theta, dt


@njit(cache=True)
def _kink_adjoints(jk, m, kterm, k_theta, k_step, k_xb, theta, dt, scale, eta, row_shift, row_pi):
    """Add one point's correction to the atom adjoints ``row_shift`` (``Σ sw ∂F/∂δ``) and ``row_pi``
    (``Σ sw ∂F/∂ℓ / η``), ``scale = sw_i / Z_i``: through ``θ`` (``t_jk``, ``t_{jk+1}``), the
    weights of ``l̄`` (``ℓ_jk``, ``ℓ_{jk+1}``) and the centred steps and slopes (their atoms);
    ``δ = −t``."""
    a_lo, a_hi, a_inv = _neighbours(jk, m)
    b_lo, b_hi, b_inv = _neighbours(jk + 1, m)
    unit = scale * eta
    row_shift[jk] -= unit * k_theta * (theta - 1.0) / dt
    row_shift[jk + 1] += unit * k_theta * theta / dt
    row_shift[a_lo] += unit * (1.0 - theta) * k_step * a_inv
    row_shift[a_hi] -= unit * (1.0 - theta) * k_step * a_inv
    row_shift[b_lo] += unit * theta * k_step * b_inv
    row_shift[b_hi] -= unit * theta * k_step * b_inv
    row_pi[jk] += scale * (1.0 - theta) * kterm
    row_pi[jk + 1] += scale * theta * kterm
    row_pi[a_hi] += scale * (1.0 - theta) * k_xb * a_inv
    row_pi[a_lo] -= scale * (1.0 - theta) * k_xb * a_inv
    row_pi[b_hi] += scale * theta * k_xb * b_inv
    row_pi[b_lo] -= scale * theta * k_xb * b_inv


@njit(cache=True, parallel=True)
def margin_atoms(scores, sw, shift, log_w, eta, loss_code, kink, out_value, out_ds, out_dshift, out_pi):
    """``F_i`` and ``∂F_i/∂s_i`` for every point; atom adjoints summed with weights ``sw``.

    ``out_dshift[j] = Σ_i sw_i ∂F_i/∂δ_j / η·η`` (``= Σ_i sw_i π_ij φ'_ij`` without kink term) and
    ``out_pi[j] = Σ_i sw_i ∂F_i/∂ℓ_j / η + ω_j Σ_i sw_i`` (``= Σ_i sw_i π_ij``). ``log_w`` must be
    normalised (:func:`normalise_log_weights`). Everything is in log space with
    max-subtraction, so ``η`` down to ``1e-6`` and losses of ``1e3`` do not overflow.

    ``kink`` (hinge with atoms ``δ_j = −t_j`` of a trapezoidal rule, sorted): the integrand
    ``p(t) e^{φ(s − t)/η}`` gains ``p(t)(e^{(t − t_k)/η} − 1)`` beyond the kink ``t_k = s − 1``,
    whose trapezoidal sum has an endpoint error (Euler–Maclaurin) that the spectral accuracy
    of the rule does not cover. With the cell ``[t_j, t_{j+1}]`` holding ``t_k`` at relative
    position ``θ``, the weight log-linear across it (``l̄ = e^{(1 − θ)ℓ_j + θℓ_{j+1}}``), a
    log-slope ``x_b`` per step and a step ``Δ`` in ``t`` (``x_c = x_b + Δ/η``), the term
    ``K = −l̄ (G(x_c, 1 − θ) − G(x_b, 1 − θ))`` (:func:`_euler_maclaurin`) removes the endpoint
    error to all orders of that local model. ``x_b`` and ``Δ`` are interpolated with ``θ``
    between the centred differences of ``ℓ`` and ``t`` at the cell's two atoms (equal to the
    cell's own where the rule is uniform), so ``K`` is the same on both sides of an atom
    (``G(x, 1) = G(x, 0) − 1``): with the cell's own ``x_b = ℓ_{j+1} − ℓ_j`` and ``Δ = t_{j+1} −
    t_j`` (until 2026-11-29) ``F`` stepped by about 1e-8 of itself wherever a kink crossed an
    atom. The gradients include its derivatives.
    """
    n = scores.shape[0]
    m = shift.shape[0]
    n_chunks = chunk_count(n)
    part_shift = np.zeros((n_chunks, m))
    part_pi = np.zeros((n_chunks, m))
    for c in prange(n_chunks):
        vals = np.empty(m)
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            for j in range(m):
                vals[j] = log_w[j] + margin_loss(scores[i] + shift[j], loss_code) / eta
            top, acc = exp_shifted(vals, m)
            jk = _kink_cell(scores[i] - 1.0, shift) if kink else -1
            kterm, k_theta, k_step, k_xb, theta, dt = (_kink_term(scores[i], shift, log_w, eta, jk, top) if jk >= 0
                                                        else (0.0, 0.0, 0.0, 0.0, 0.0, 1.0))
            acc += kterm
            acc_d = 0.0
            scale = sw[i] / acc
            for j in range(m):
                pd = vals[j] * margin_loss_derivative(scores[i] + shift[j], loss_code)
                acc_d += pd
                part_shift[c, j] += scale * pd
                part_pi[c, j] += scale * vals[j]
            if jk >= 0:
                acc_d += eta * k_theta / dt  # ∂F/∂s = η (∂Z/∂s)/Z
                # (the writes in a helper of their own: inline in this parallel loop, numba lost
                # those to the neighbouring atoms)
                _kink_adjoints(jk, m, kterm, k_theta, k_step, k_xb, theta, dt, scale, eta, part_shift[c], part_pi[c])
            out_value[i] = eta * (top + np.log(acc))
            out_ds[i] = acc_d / acc
    sum_chunks(part_shift.reshape(n_chunks, 1, m), out_dshift.reshape(1, m))
    sum_chunks(part_pi.reshape(n_chunks, 1, m), out_pi.reshape(1, m))
