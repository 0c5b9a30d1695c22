"""One-dimensional quadrature of the entropic loss of binary linear models under ``l_2`` balls.

For a margin loss ``φ``, the signed score ``s = y(w·x + b)`` and ``r = ρ ||w||_2``, the
perturbation ``u ~ U(B_1)`` (unit ``l_2`` ball in ``R^d``) enters only through
``T = w·u / ||w||_2``, whose density is ``∝ (1 − t²)^((d−1)/2)`` on ``[−1, 1]``. So

    F(s, r) = η log E exp(φ(s + r T) / η)
            = η log [ (1/Z_d) ∫_0^π exp(φ(s − r cos θ) / η) sin^d θ dθ ],   Z_d = ∫_0^π sin^d θ dθ,

after the substitution ``t = −cos θ`` (which removes the endpoint singularities of the
Jacobi weight: ``sin^d θ`` is smooth for every integer ``d``).

The fits use this rule for the hinge and the squared hinge, whose kinks it puts at a piece's
end, and for the logistic loss only at radii whose atom rule would pass ``MAX_ATOMS``; otherwise
the logistic loss takes the atoms of :mod:`._sphere_rule`, one rule for all points, whose
kernels are the other rules' (a first fit in a fresh process compiles less:
``benchmarks/bench_cold_start.py``).

Quadrature rule (per data point, all in log space with max-subtraction)
----------------------------------------------------------------------
The log-integrand ``G(θ) = φ(s − r cos θ)/η + d log sin θ`` has all its local maxima in
``(0, π/2]``. With ``u = cos θ`` a stationary point solves ``k(u) = m(u)``, where
``k(u) = d u / (1 − u²)`` is increasing and ``m(u) = −r φ'(s − r u)/η ≥ 0`` is
non-decreasing (φ convex, non-increasing). The fixed-point iteration
``u ← k^{-1}(m(u))`` is monotone, so started from ``u = 1`` it converges to the largest root
(the "adversarial" mode near ``t = −1``) and started from ``u = 0`` to the smallest root
(the "bulk" mode). These are the only candidates for local maxima (the loss has at most
three stationary points), so at most two windows are needed:

1. around each mode, a window ``θ* ± K σ`` with ``σ = (−G''(θ*))^{-1/2}``, clipped to
   ``[0, π]`` and widened (doubling) until ``G`` has dropped by ``36`` (a factor
   ``e^{-36}``) at both edges;
2. overlapping windows are merged, a window whose peak is ``e^{-40}`` below the other's is
   dropped, and windows are split at the loss's kink ``φ(z)`` at ``z = 1`` (hinge and
   squared hinge) and at ``z = 0`` (logistic: the end of its linear regime);
3. each piece gets the same ``n``-point Gauss–Legendre rule.

The result is an approximation (tail mass below ``e^{-36}`` relative to the peak is
ignored and Gauss–Legendre is not exact); ``tests/test_quadrature.py`` measures the
relative error against ``scipy.integrate.quad`` on a grid of ``(d, s, r, η, loss)``.

The same nodes give the derivatives: ``∂F/∂s = E_π[φ'(s + rT)]`` and
``∂F/∂r = E_π[φ'(s + rT) T]`` with ``π ∝ exp(φ/η) × law(T)``; the score grid
(:mod:`skentropic.linear_model._score_grid`) interpolates ``F`` and ``∂F/∂r`` between its nodes.
"""

import math

import numpy as np
from numba import njit, prange

from .._core._losses import LOGISTIC, margin_loss, margin_loss_derivative, margin_loss_second_derivative
from ._chunks import chunk_count

_DROP = 36.0  # a window ends where the log-integrand is this far below its peak
_NEGLIGIBLE = 40.0  # a window whose peak is this far below the other one is dropped
_HALF_WIDTH = 9.0  # initial half-width of a window, in units of σ (e^{-40.5} for a Gaussian)
_GROWTH = 1.3  # a window grows by this factor until the log-integrand has dropped by _DROP
_MAX_PIECES = 4


def log_sphere_normaliser(n_features):
    """``log Z_d`` with ``Z_d = ∫_0^π sin^d θ dθ = √π Γ((d+1)/2) / Γ(d/2 + 1)``."""
    d = float(n_features)
    return 0.5 * math.log(math.pi) + math.lgamma((d + 1.0) / 2.0) - math.lgamma(d / 2.0 + 1.0)


def bulk_half_width(n_features):
    """Smallest ``δ`` with ``d log cos δ <= −_DROP`` (``π/2`` if none): ``sin^d`` lives in ``π/2 ± δ``."""
    c = math.exp(-_DROP / float(n_features))
    return math.acos(c) if c > 0.0 else math.pi / 2


@njit(cache=True)
def _loss_and_derivative(z, loss_code):
    """``(φ(z), φ'(z))`` sharing one exponential for the logistic loss."""
    if loss_code == LOGISTIC:
        e = math.exp(-abs(z))
        if z > 0.0:
            return math.log1p(e), -e / (1.0 + e)
        return -z + math.log1p(e), -1.0 / (1.0 + e)
    return margin_loss(z, loss_code), margin_loss_derivative(z, loss_code)


@njit(cache=True)
def _log_integrand(theta, s, r, eta, d, loss_code):
    """``G(θ) = φ(s − r cos θ)/η + d log sin θ`` (``−inf`` at the ends of ``[0, π]``)."""
    sn = math.sin(theta)
    if sn <= 0.0:
        return -np.inf
    return margin_loss(s - r * math.cos(theta), loss_code) / eta + d * math.log(sn)


@njit(cache=True)
def _find_mode(s, r, eta, d, loss_code, u):
    """Monotone fixed point ``u ← k^{-1}(m(u))`` from ``u`` (see the module docstring).

    Returns ``θ = arccos(u*)``; 200 steps at most (the window search makes a rough mode safe).
    """
    for _ in range(200):
        big_m = -r * margin_loss_derivative(s - r * u, loss_code) / eta
        new = 2.0 * big_m / (d + math.sqrt(d * d + 4.0 * big_m * big_m)) if big_m > 0.0 else 0.0
        if new > 1.0:
            new = 1.0
        if abs(new - u) <= 1e-10 + 1e-6 * abs(u):
            u = new
            break
        u = new
    return math.acos(u)


@njit(cache=True)
def _window(theta, s, r, eta, d, loss_code, out):
    """Fill ``out = [a, b, G(θ*)]`` with the integration window around the mode ``θ``."""
    sn = math.sin(theta)
    cs = math.cos(theta)
    z = s - r * cs
    peak = _log_integrand(theta, s, r, eta, d, loss_code)
    if sn > 0.0:
        g2 = (r * cs * margin_loss_derivative(z, loss_code)
              + r * r * sn * sn * margin_loss_second_derivative(z, loss_code)) / eta - d / (sn * sn)
    else:
        g2 = -np.inf
    if g2 < 0.0 and np.isfinite(g2):
        sigma = 1.0 / math.sqrt(-g2)
    else:
        sigma = 1e-8 if not np.isfinite(g2) else math.pi
    if not np.isfinite(peak):  # the mode sits on an end point (d = 0 cannot happen; r huge)
        inside = 1e-300 if theta < 1e-300 else (math.pi - 1e-16 if theta > math.pi - 1e-16 else theta)
        peak = _log_integrand(inside, s, r, eta, d, loss_code)
    half = _HALF_WIDTH * sigma
    a = theta - half
    for _ in range(60):
        if a <= 0.0:
            a = 0.0
            break
        if _log_integrand(a, s, r, eta, d, loss_code) < peak - _DROP:
            break
        half *= _GROWTH
        a = theta - half
    half = _HALF_WIDTH * sigma
    b = theta + half
    for _ in range(60):
        if b >= math.pi:
            b = math.pi
            break
        if _log_integrand(b, s, r, eta, d, loss_code) < peak - _DROP:
            break
        half *= _GROWTH
        b = theta + half
    out[0] = a
    out[1] = b
    out[2] = peak


@njit(cache=True)
def _l2_points(s, r, eta, d, loss_code, log_z, bulk, nodes, weights, scratch):
    """Quadrature points of ``F(s, r)`` for ``r > 0, η > 0`` (see the module docstring).

    Fills ``scratch[4k : 4k + 4] = (log weight, φ', t, log prior weight)`` of point ``k`` and
    returns ``(m, top, log_norm)``: the number of points, the largest log weight and the log
    normaliser of the prior, so that ``F = η (top + log Σ exp(lw − top) − log_norm)``.
    """
    win = np.empty(3)
    theta_a = _find_mode(s, r, eta, d, loss_code, 1.0)
    theta_b = _find_mode(s, r, eta, d, loss_code, 0.0)
    _window(theta_a, s, r, eta, d, loss_code, win)
    a1, b1, p1 = win[0], win[1], win[2]
    a2, b2 = a1, b1
    if theta_b - theta_a > 1e-12:
        _window(theta_b, s, r, eta, d, loss_code, win)
        if p1 < win[2] - _NEGLIGIBLE:
            a1, b1 = win[0], win[1]
            a2, b2 = a1, b1
        elif win[2] >= p1 - _NEGLIGIBLE:
            a2, b2 = win[0], win[1]
    # break points: window ends and the loss's kink (z = 1), or the end of the logistic's
    # linear regime (z = 0); a piece is integrated when its midpoint lies in a window.
    # (sorted by hand below: np.sort costs seconds of compilation for five numbers)
    breaks = np.empty(5)
    breaks[0], breaks[1], breaks[2], breaks[3] = a1, b1, a2, b2
    n_breaks = 4
    c_kink = (s - (0.0 if loss_code == LOGISTIC else 1.0)) / r
    if -1.0 < c_kink < 1.0:
        breaks[4] = math.acos(c_kink)
        n_breaks = 5
    for i in range(1, n_breaks):  # insertion sort
        v = breaks[i]
        j = i - 1
        while j >= 0 and breaks[j] > v:
            breaks[j + 1] = breaks[j]
            j -= 1
        breaks[j + 1] = v
    n = nodes.shape[0]
    m = 0
    top = -np.inf
    top0 = -np.inf
    for piece in range(n_breaks - 1):
        pa = breaks[piece]
        pb = breaks[piece + 1]
        half = 0.5 * (pb - pa)
        mid = 0.5 * (pb + pa)
        if half <= 0.0 or not ((a1 <= mid <= b1) or (a2 <= mid <= b2)):
            continue
        for k in range(n):
            theta = mid + half * nodes[k]
            t = -math.cos(theta)
            sq = 1.0 - t * t
            if sq <= 0.0:
                continue
            z = s + r * t
            loss, dloss = _loss_and_derivative(z, loss_code)
            lw0 = math.log(weights[k] * half) + 0.5 * d * math.log(sq)
            lw = lw0 + loss / eta
            scratch[4 * m] = lw
            scratch[4 * m + 1] = dloss
            scratch[4 * m + 2] = t
            scratch[4 * m + 3] = lw0
            if lw > top:
                top = lw
            if lw0 > top0:
                top0 = lw0
            m += 1
    lo_bulk = 0.5 * math.pi - bulk
    hi_bulk = 0.5 * math.pi + bulk
    if (a1 <= lo_bulk and b1 >= hi_bulk) or (a2 <= lo_bulk and b2 >= hi_bulk):
        # the window holds all of sin^d: normalise by the same rule (its errors cancel)
        acc0 = 0.0
        for j in range(m):
            acc0 += math.exp(scratch[4 * j + 3] - top0)
        return m, top, top0 + math.log(acc0)
    return m, top, log_z


@njit(cache=True)
def entropic_margin_l2(scores, r, eta, d, loss_code, log_z, bulk, nodes, weights, out_value, out_ds, out_dr):
    """Entropic loss ``F(s, r)`` and its partial derivatives (``l_2`` ball) at every score, on one
    thread (results written to ``out_*``; :func:`entropic_margin_l2_batch` splits many points
    over the threads).

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Signed scores ``s = y (w·x + b)``.
    r : float
        ``ρ ||w||_2 >= 0``.
    eta : float
        Temperature ``η >= 0``; ``η = 0`` gives ``φ(s − r)``.
    d : float
        Dimension (the exponent of ``sin^d θ``).
    loss_code : int
        Margin loss code from ``_losses``.
    log_z : float
        ``log Z_d`` (:func:`log_sphere_normaliser`).
    bulk : float
        :func:`bulk_half_width` of ``d``; a window holding ``π/2 ± bulk`` is normalised by
        its own quadrature of ``sin^d`` instead of ``Z_d`` (errors cancel; matters for large η).
    nodes, weights : ndarray of shape (m,)
        Gauss–Legendre rule on ``[−1, 1]``.
    out_value, out_ds, out_dr : ndarray of shape (n,)
        ``F``, ``∂F/∂s = E_π[φ']`` and ``∂F/∂r = E_π[φ' T]``.

    The per-point loop lives here rather than in a per-point function called from a loop: numba
    re-optimizes a callee's code inside every caller, so each level of a call chain costs
    compilation time in a fresh process.
    """
    scratch = np.empty(4 * _MAX_PIECES * nodes.shape[0])
    for i in range(scores.shape[0]):
        s = scores[i]
        if r == 0.0:
            out_value[i], out_ds[i], out_dr[i] = margin_loss(s, loss_code), margin_loss_derivative(s, loss_code), 0.0
            continue
        if eta == 0.0:
            dphi = margin_loss_derivative(s - r, loss_code)
            out_value[i], out_ds[i], out_dr[i] = margin_loss(s - r, loss_code), dphi, -dphi
            continue
        m, top, log_norm = _l2_points(s, r, eta, d, loss_code, log_z, bulk, nodes, weights, scratch)
        acc = 0.0
        acc_s = 0.0
        acc_r = 0.0
        for j in range(m):
            p = math.exp(scratch[4 * j] - top)
            acc += p
            acc_s += p * scratch[4 * j + 1]
            acc_r += p * scratch[4 * j + 1] * scratch[4 * j + 2]
        out_value[i] = eta * (top + math.log(acc) - log_norm)
        out_ds[i] = acc_s / acc
        out_dr[i] = acc_r / acc


@njit(cache=True, parallel=True)
def entropic_margin_l2_batch(scores, r, eta, d, loss_code, log_z, bulk, nodes, weights, out_value, out_ds, out_dr):
    """:func:`entropic_margin_l2` for every entry of ``scores`` (results written to ``out_*``).

    Each point is independent, so the ``prange`` result does not depend on the thread count.
    """
    n = scores.shape[0]
    n_chunks = chunk_count(n)
    for c in prange(n_chunks):
        start = c * n // n_chunks
        stop = (c + 1) * n // n_chunks
        entropic_margin_l2(scores[start:stop], r, eta, d, loss_code, log_z, bulk, nodes, weights,
                           out_value[start:stop], out_ds[start:stop], out_dr[start:stop])
