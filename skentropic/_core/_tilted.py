"""Exponentially tilted proposals on the unit balls, with exact importance weights (numba).

The entropic expectation ``E_{u ~ U(B_1)} exp(ℓ(x + ρu)/η)`` is dominated by the region where
``ℓ`` is large, which uniform samples in high dimension almost never reach (DESIGN.md section
2b). A proposal ``q_θ`` that leans toward ``θ = (ρ/η) ∇_x ℓ`` at an anchor point, with the
weight ``w(u) = p(u)/q_θ(u)`` (``p`` the uniform law on the ball), keeps every estimate
unbiased: ``E_q[w h] = E_p[h]`` for every ``h``, whatever ``θ``. Each sampler draws one ``u``
from numba's generator (seeded by the caller) and returns ``log w(u)``.

Proposals
---------
- ``l_∞``: ``q_θ(u) = Π_k θ_k e^{θ_k u_k} / (2 sinh θ_k)``, the exponential tilt itself,
  sampled coordinate-wise by the exact inverse CDF ``u = 1 + log1p((1 − v) expm1(−2θ))/θ``
  (``θ > 0``; mirrored for ``θ < 0``); ``log w_θ = Σ_k [log(sinh θ_k/θ_k) − θ_k u_k]``. For a loss
  linear in ``x`` with ``θ = ρ∇ℓ/η`` the integrand weighted by ``w_θ`` is constant (zero
  variance; against the mixture below it is at most ``1/(1 − α)`` times that constant). Like
  the other balls' proposals it is drawn from a defensive mixture with the uniform law
  (:func:`fill_tilted`, weight ``DEFENSIVE_LINF = 0.03``): a single tilt misses a second mode
  of the integrand. On 2-class problems against the exact binary rule
  (``benchmarks/bench_multinomial_accuracy.py --two-classes``), where some points carry mass
  both near the worst case and in the bulk, the pure tilt read the risk 2.9e-4 low in
  ``d = 784`` (``ρ||w_1 − w_0||_1 = 10``, ``η = 0.01``) and 2.2e-3 low in ``d = 64``
  (``η = 1``); with the mixture 4.2e-5 and 9.5e-4. On four such problems in ``d = 784`` the
  pure tilt's error (up to 6.2e-4) stayed the same from 32 to 2048 samples per point; with
  the mixture it falls with the sample count, to within 3.5e-5 at 2048 (``--samples``).
  (Weight 0.1 gave the same fixes with more noise in the cells the pure tilt had nearly exact.)
- ``l_2``: with ``e = θ/|θ|``, ``t = u·e`` has density ``∝ (1 − t²)^{(d−1)/2}`` under ``p``
  (``(1 + t)/2 ~ Beta((d+1)/2, (d+1)/2)``) and, given ``t``, ``u − te`` is uniform in the
  ``(d−1)``-ball of radius ``√(1 − t²)``. The proposal keeps that conditional law and draws
  ``(1 + t)/2 ~ Beta(α, β)`` matched to the mode and curvature of the tilted density
  ``∝ (1 − t²)^{(d−1)/2} e^{|θ|t}``; ``log w`` is the log ratio of the two Beta densities of
  ``t``. The tilt is taken at the proposal's own mean (:func:`~._tilt_matching.mean_matched_tilts`). (Before
  2026-11-27 the tilt was taken one gradient step out and the Beta was 1.5 times wider in
  variance than the tilted law: on the digits, ``ρ = 0.5``, 32 samples per point read up to
  0.8% low and the per-point noise was 2.6–8.6 times larger;
  ``benchmarks/bench_multinomial_accuracy.py --convergence``.)
- ``l_1``: with Laplace ``L_k``, ``E_0 ~ Exp(1)`` and ``R = E_0 + Σ_k |L_k|``, ``u = L/R`` is
  uniform in the ball and independent of ``R ~ Gamma(d + 1)``. The proposal tilts ``(L, E_0)``
  by ``e^{λ(θ·L − cR)}`` (a product of asymmetric Laplace laws and an exponential, sampled
  exactly), so the density ratio of ``u`` is, with ``T = θ·u``,
  ``q(u)/p(u) = E[e^{λR(T − c)}] e^{−K_c(λ)} = (1 − λ(T − c))^{−(d+1)} e^{−K_c(λ)}``: the weight
  ``w = e^{K_c(λ)} (1 − λ(T − c))^{d+1}`` depends on ``u`` through ``T`` only, like the exact
  tilt's ``e^{Λ − T}``. ``λ = 1/(d + 1)`` matches its log-slope in ``T`` at ``T = c``, and ``c``
  is the saddle point of ``S_c`` (:func:`l1_tilt_constants`), where the tilted law of ``T``
  peaks; the mismatch is of second order in ``(T − c)/√(d + 1)``. (The earlier proposal, with
  unequal exponential rates and sign probabilities, had heavy-tailed weights: on the digits
  its log-MGF estimates were up to 20% low with a 0.02% reported standard error.)
"""

import math

import numpy as np
from numba import njit

from ._mgf import log_sinhc
from ._norms import NORM_INF, NORM_L1, NORM_L2
from ._sampling import fill_unit_ball, reseed_point, standard_normal_fast

_TINY_TILT = 1e-12  # |θ| below this is no tilt (uniform coordinate)
DEFENSIVE = 0.1  # weight of the uniform law in the l2 and l1 proposals (bounds w by 1/0.1)
DEFENSIVE_LINF = 0.03  # ... in the l_inf proposal


@njit(cache=True)
def tilted_uniform_coordinate(v, theta):
    """Inverse CDF of the uniform law on ``[−1, 1]`` tilted by ``e^{θu}``, at ``v ∈ [0, 1)``."""
    return _tilted_coordinate(v, theta, math.expm1(-2.0 * abs(theta)))


@njit(cache=True)
def _tilted_coordinate(v, theta, expm):
    """:func:`tilted_uniform_coordinate` given ``expm = expm1(−2|θ|)``."""
    if abs(theta) < _TINY_TILT:
        return 2.0 * v - 1.0
    # at least −1: at v = 0 with θ > 372, 1 + (1 − v)(e^{−2θ} − 1) underflows and the log is −inf
    if theta > 0.0:
        return max(1.0 + math.log1p((1.0 - v) * expm) / theta, -1.0)
    return -max(1.0 + math.log1p(v * expm) / (-theta), -1.0)


@njit(cache=True)
def linf_tilt_constants(theta, expm):
    """Per-tilt constants of the ``l_∞`` proposal: ``expm[k] = expm1(−2|θ_k|)``; returns
    ``Σ_k log(sinh θ_k/θ_k)`` (so that many draws with one ``θ`` cost one ``log1p`` per
    coordinate, :func:`fill_tilted_linf_fast`)."""
    acc = 0.0
    for k in range(theta.shape[0]):
        expm[k] = math.expm1(-2.0 * abs(theta[k]))
        acc += log_sinhc(theta[k])
    return acc


@njit(cache=True)
def fill_tilted_linf_fast(out, theta, expm, log_norm):
    """:func:`fill_tilted` for the ``l_∞`` ball with the constants of :func:`linf_tilt_constants`:
    a uniform draw with probability ``DEFENSIVE_LINF``, else the exact tilt; the weight against
    the mixture."""
    uniform = np.random.random() < DEFENSIVE_LINF
    log_w = log_norm
    for k in range(out.shape[0]):
        v = np.random.random()
        u = 2.0 * v - 1.0 if uniform else _tilted_coordinate(v, theta[k], expm[k])
        out[k] = u
        log_w -= theta[k] * u
    return _defensive(log_w, DEFENSIVE_LINF)


@njit(cache=True)
def l2_beta_parameters(kappa, d):
    """``(α, β)`` of the Beta proposal of ``(1 + t)/2`` for tilt ``κ = |θ| >= 0`` in dimension ``d``."""
    nu = 0.5 * (d - 1.0)
    half = 0.5 * (d + 1.0)
    if kappa <= 0.0 or nu <= 0.0:
        return half, half
    t = kappa / (nu + math.sqrt(nu * nu + kappa * kappa))  # mode of (1 − t²)^ν e^{κt}
    var_t = (1.0 - t * t) ** 2 / (2.0 * nu * (1.0 + t * t))
    m = 0.5 * (1.0 + t)
    c = m * (1.0 - m) / (0.25 * var_t) - 1.0
    if c <= 1.0:
        return half, half
    return m * c, (1.0 - m) * c


@njit(cache=True)
def l2_constants(theta):
    """``(κ, α, β, c)`` of the ``l_2`` proposal at a tilt ``θ`` (``d >= 2``, ``θ != 0``): ``κ = |θ|``,
    the Beta parameters of :func:`l2_beta_parameters` and ``c = B(h, h) − B(α, β)`` with
    ``B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b)``, ``h = (d + 1)/2`` (once per point: six
    ``lgamma`` per draw were a tenth of the digits' draws)."""
    d = theta.shape[0]
    kappa = 0.0
    for k in range(d):
        kappa += theta[k] * theta[k]
    kappa = math.sqrt(kappa)
    half = 0.5 * (d + 1.0)
    alpha, beta = l2_beta_parameters(kappa, float(d))
    c = (2.0 * math.lgamma(half) - math.lgamma(2.0 * half)) - (math.lgamma(alpha) + math.lgamma(beta)
                                                                 - math.lgamma(alpha + beta))
    return kappa, alpha, beta, c


@njit(cache=True)
def _log_weight_l2_fast(u, theta, kappa, alpha, beta, c):
    """``log(p(u)/q_θ(u))`` of the ``l_2`` proposal with the constants of :func:`l2_constants`:
    the log ratio of the Beta(h, h) and Beta(α, β) densities of ``x = (1 + u·θ/κ)/2``,
    ``(h − α) log x + (h − β) log(1 − x) − c``."""
    d = u.shape[0]
    t = 0.0
    for k in range(d):
        t += u[k] * theta[k]
    x = min(max(0.5 * (1.0 + t / kappa), 1e-300), 1.0 - 1e-16)
    half = 0.5 * (d + 1.0)
    return (half - alpha) * math.log(x) + (half - beta) * math.log1p(-x) - c


@njit(cache=True)
def _fill_tilted_l2(out, theta):
    """One draw of the ``l_2`` proposal (the exact tilt in ``d = 1``, uniform at ``θ = 0``)."""
    d = out.shape[0]
    if d == 1:  # the 1-ball is [−1, 1]: the exact tilt
        u = tilted_uniform_coordinate(np.random.random(), theta[0])
        out[0] = u
        return log_sinhc(theta[0]) - theta[0] * u
    kappa, alpha, beta, c = l2_constants(theta)
    if kappa < _TINY_TILT:
        fill_unit_ball(out, np.int64(NORM_L2))
        return 0.0
    return _fill_tilted_l2_fast(out, theta, kappa, alpha, beta, c)


@njit(cache=True)
def _fill_tilted_l2_fast(out, theta, kappa, alpha, beta, c):
    """One draw of the ``l_2`` proposal (``d >= 2``, ``κ >= _TINY_TILT``) with the constants of
    :func:`l2_constants`; returns ``log w``."""
    d = out.shape[0]
    if not math.isfinite(kappa):
        raise ValueError("The tilt of the l2 proposal is not finite.")
    x = np.random.beta(alpha, beta)
    x = min(max(x, 1e-300), 1.0 - 1e-16)
    t = 2.0 * x - 1.0
    # orthogonal part: uniform in the (d−1)-ball of radius √(1 − t²) orthogonal to e = θ/κ
    sq = 0.0
    dot = 0.0
    for k in range(d):
        g = standard_normal_fast()
        out[k] = g
        dot += g * theta[k]
    dot /= kappa * kappa  # (one division per draw, not three per coordinate)
    for k in range(d):
        out[k] -= dot * theta[k]
        sq += out[k] * out[k]
    radius = math.sqrt(max(1.0 - t * t, 0.0)) * np.random.random() ** (1.0 / (d - 1.0))
    scale = radius / math.sqrt(sq) if sq > 0.0 else 0.0
    shift = t / kappa
    for k in range(d):
        out[k] = out[k] * scale + shift * theta[k]
    return _log_weight_l2_fast(out, theta, kappa, alpha, beta, c)


@njit(cache=True)
def l1_tilt_constants(theta, gk):
    """Constants of the ``l_1`` proposal: fills ``g_k = 1 − μa_k`` and returns ``(λ, c, K, u₀)``.

    ``a_k = |θ_k|``; ``λ = 1/(d + 1)`` is matched to the tilt (so that ``w ∝ e^{−T}`` to first
    order at ``T = c``) and ``c`` solves the saddle-point equation of ``S_c = θ·L − cR``,
    ``f(μ) = μ + μ²K_V'(μ)/(d + 1) = λ`` in ``μ = λ/(1 + λc)``, ``K_V'(μ) = Σ_k 2μa_k²/(1 − μ²a_k²)``;
    ``K = K_c(λ) = −(d + 1) log u₀ − Σ_k log(g_k(2 − g_k))``, ``u₀ = 1 + λc``.

    ``log(f/λ) = 0`` is solved by Newton's method in ``x = log(1 − μ max a_k)`` (``g`` of the
    largest ``a_k`` without cancellation), safeguarded by bisection (until 2026-11-28: 100 bisection
    steps, about a quarter of the digits' draws). The weights are exact for every ``μ``
    (``c``, ``u₀`` and ``K`` follow from it); the root only aims the proposal.
    """
    d = theta.shape[0]
    big = 0.0
    for k in range(d):
        big = max(big, abs(theta[k]))
    if big == 0.0:
        for k in range(d):
            gk[k] = 1.0
        return 0.0, 0.0, 0.0, 1.0
    target = 1.0 / (d + 1.0)
    x_lo, x_hi = -745.0, 0.0  # f > λ (or overflows) at x_lo; f = 0 < λ at x_hi
    # f >= μ: the root has μ <= λ, x >= log(1 − λ max a); Newton starts there (f is convex in μ)
    x = math.log1p(-target * big) if target * big < 1.0 else -1.0
    for _ in range(100):
        g = math.exp(x)
        mu = -math.expm1(x) / big
        kv1 = 0.0
        kv2 = 0.0
        for k in range(d):
            a = abs(theta[k])
            gg = max((big - a) / big + g * a / big, 1e-300)
            den = gg * (2.0 - gg)  # 1 − μ²a²
            kv1 += 2.0 * mu * a * a / den
            kv2 += 2.0 * a * a * (1.0 + mu * mu * a * a) / den / den  # (den² may underflow)
        f = mu + mu * mu * kv1 / (d + 1.0)
        if not (f <= target):  # too far (an overflow counts as too far)
            x_lo = x
        else:
            x_hi = x
        # Newton on log(f/λ): f grows like 1/g as g -> 0, where steps on f itself crawl
        x_new = 0.5 * (x_lo + x_hi)
        dlog = -(g / big) * (1.0 + (2.0 * mu * kv1 + mu * mu * kv2) / (d + 1.0))
        if f > 0.0 and dlog < 0.0 and math.isfinite(dlog):
            x_new = x - math.log(f / target) * f / dlog
        if not (x_lo < x_new < x_hi):
            x_new = 0.5 * (x_lo + x_hi)
        if abs(x_new - x) <= 1e-14 * abs(x) or x_hi - x_lo <= 1e-14 * abs(x):
            x = x_new
            break
        x = x_new
    g = math.exp(x)
    mu = -math.expm1(x) / big
    kv1 = 0.0
    log_k = 0.0
    for k in range(d):
        a = abs(theta[k])
        gk[k] = max((big - a) / big + g * a / big, 1e-300)
        kv1 += 2.0 * mu * a * a / (gk[k] * (2.0 - gk[k]))
        log_k -= math.log(gk[k] * (2.0 - gk[k]))
    if not (math.isfinite(kv1) and math.isfinite(log_k)):  # beyond float range: the uniform law
        for k in range(d):
            gk[k] = 1.0
        return 0.0, 0.0, 0.0, 1.0
    c = kv1 / ((d + 1.0) + mu * kv1)
    u0 = ((d + 1.0) + mu * kv1) / (d + 1.0)  # 1/(1 − μc)
    log_k -= (d + 1.0) * math.log(u0)
    return mu * u0, c, log_k, u0


@njit(cache=True)
def _log_weight_l1_fast(u, theta, lam, c, log_k):
    """``log(p(u)/q_θ(u)) = K_c(λ) + (d + 1) log(1 − λ(θ·u − c))`` (module docstring)."""
    t = 0.0
    for k in range(u.shape[0]):
        t += theta[k] * u[k]
    return log_k + (u.shape[0] + 1.0) * math.log1p(-lam * (t - c))


@njit(cache=True)
def l1_sides(theta, u0, sides):
    """Fill rows 1-5 of ``sides`` (shape ``(6, d)``) from its row 0, ``g_k``
    (:func:`l1_tilt_constants`): the probability ``π_k = 1 − g_k/2`` of the side toward
    ``sign θ_k``, ``1/π_k``, ``1/(1 − π_k)`` and the signed means ``−sign θ_k/(g_k u₀)`` and
    ``sign θ_k/((2 − g_k) u₀)`` of the two sides' exponentials (so that a draw needs no
    division)."""
    for k in range(theta.shape[0]):
        s = 1.0 if theta[k] >= 0.0 else -1.0
        g = sides[0, k]
        sides[1, k] = 1.0 - 0.5 * g
        sides[2, k] = 1.0 / sides[1, k]
        sides[3, k] = 2.0 / g
        sides[4, k] = -s / (g * u0)
        sides[5, k] = s / ((2.0 - g) * u0)


@njit(cache=True)
def fill_tilted_l1_fast(out, theta, sides, lam, c, log_k, u0):
    """Draw ``u = L/R`` with ``(L, E_0)`` tilted by ``e^{λ(θ·L − cR)}``: ``L_k`` leans toward
    ``sign θ_k`` with rate ``g_k u₀`` (probability ``π_k = 1 − g_k/2``), away with rate
    ``(2 − g_k) u₀``; ``E_0`` has rate ``u₀``. ``sides`` holds the constants of
    :func:`l1_sides`. Returns ``log w``.

    One uniform ``v`` per coordinate picks the side and, rescaled, draws its exponential
    (``(π − v)/π`` given ``v < π``, ``(1 − v)/(1 − π)`` else, are uniform on ``(0, 1]``); two
    draws per coordinate and three divisions (until 2026-11-28) cost about 40% more. As any
    inverse-CDF draw from one double, a side's exponential is cut where the coordinate's law
    leaves ``2^{−53}``.
    """
    d = out.shape[0]
    total = np.random.exponential() / u0
    for k in range(d):
        v = np.random.random()
        if v < sides[1, k]:
            out[k] = math.log(min((sides[1, k] - v) * sides[2, k], 1.0)) * sides[4, k]
        else:
            out[k] = math.log(min((1.0 - v) * sides[3, k], 1.0)) * sides[5, k]
        total += abs(out[k])
    scale = 1.0 / total
    for k in range(d):
        out[k] *= scale
    return _log_weight_l1_fast(out, theta, lam, c, log_k)


@njit(cache=True)
def fill_tilted(out, theta, norm_code):
    """Draw ``u ~ q_θ`` (module docstring) into ``out``; return ``log(p(u)/q_θ(u))``.

    The draw comes from the defensive mixture ``(1 − α) q_θ + α p`` (``α = DEFENSIVE``,
    ``DEFENSIVE_LINF`` for the ``l_∞`` ball): the weight ``1/((1 − α)/w_θ + α) <= 1/α`` stays
    bounded where ``q_θ`` is thin (regions the tilt leans away from but the integrand still
    weights, like the flat side of a hinge, or the bulk of a point whose integrand has a second
    mode there). ``θ = 0`` gives the uniform law with weight 1. Uses numba's generator (seed
    it first).
    """
    log_w = np.empty(1)
    fill_tilted_rows(out.reshape((1, out.shape[0])), 1, theta, norm_code, log_w)
    return log_w[0]


@njit(cache=True)
def _fill_l2_mixture_fast(out, theta, kappa, alpha, beta, c):
    """:func:`fill_tilted` for the ``l_2`` ball with the constants of :func:`l2_constants` (``d >= 2``,
    a tilt)."""
    if np.random.random() < DEFENSIVE:
        fill_unit_ball(out, np.int64(NORM_L2))
        log_w = _log_weight_l2_fast(out, theta, kappa, alpha, beta, c)
    else:
        log_w = _fill_tilted_l2_fast(out, theta, kappa, alpha, beta, c)
    return _defensive(log_w)  # p/q_mix = 1/((1 − α)/w + α)


@njit(cache=True)
def _fill_l1_mixture(out, theta, sides, lam, c, log_k, u0):
    """:func:`fill_tilted` for the ``l_1`` ball with the constants of :func:`l1_tilt_constants`
    and :func:`l1_sides`."""
    if np.random.random() < DEFENSIVE:
        fill_unit_ball(out, np.int64(NORM_L1))
        log_w = _log_weight_l1_fast(out, theta, lam, c, log_k)
    else:
        log_w = fill_tilted_l1_fast(out, theta, sides, lam, c, log_k, u0)
    return _defensive(log_w)


@njit(cache=True)
def _rows_linf(U, r, m, theta, log_w, expm):
    """Rows ``r .. r + m`` of ``U`` from ``q_θ`` (``l_∞``), the tilt's constants computed once."""
    log_norm = linf_tilt_constants(theta, expm)
    for j in range(r, r + m):
        log_w[j] = fill_tilted_linf_fast(U[j], theta, expm, log_norm)


@njit(cache=True)
def _rows_l2(U, r, m, theta, log_w):
    """Rows ``r .. r + m`` of ``U`` from the ``l_2`` proposal, the tilt's constants computed once."""
    if U.shape[1] == 1 or _no_tilt(theta):
        for j in range(r, r + m):
            log_w[j] = _fill_tilted_l2(U[j], theta)
        return
    kappa, alpha, beta, c = l2_constants(theta)
    for j in range(r, r + m):
        log_w[j] = _fill_l2_mixture_fast(U[j], theta, kappa, alpha, beta, c)


@njit(cache=True)
def _rows_l1(U, r, m, theta, log_w, sides):
    """Rows ``r .. r + m`` of ``U`` from the ``l_1`` proposal, the tilt's constants computed once
    (``sides``: scratch of shape ``(6, d)``)."""
    lam, c, log_k, u0 = l1_tilt_constants(theta, sides[0])
    l1_sides(theta, u0, sides)
    for j in range(r, r + m):
        log_w[j] = _fill_l1_mixture(U[j], theta, sides, lam, c, log_k, u0)


@njit(cache=True, nogil=True)
def fill_tilted_points_linf(U, counts, tilts, seeds, log_w):
    """Draws of :func:`fill_tilted` for many points, ``l_∞`` ball.

    Point ``i`` fills the next ``counts[i]`` rows of ``U`` with draws of ``q_{tilts[i]}`` and the
    same entries of ``log_w`` with their log weights, after seeding with ``seeds[i]`` (when
    ``seeds`` is not empty). The constants of a tilt are computed once per point. There is one
    such kernel per ball, so that a caller that knows its ball compiles only that ball's sampler.
    """
    expm = np.empty(U.shape[1])
    r = 0
    for i in range(counts.shape[0]):
        reseed_point(seeds, i)
        _rows_linf(U, r, counts[i], tilts[i], log_w, expm)
        r += counts[i]


@njit(cache=True, nogil=True)
def fill_tilted_points_l2(U, counts, tilts, seeds, log_w):
    """:func:`fill_tilted_points_linf` for the ``l_2`` ball."""
    r = 0
    for i in range(counts.shape[0]):
        reseed_point(seeds, i)
        _rows_l2(U, r, counts[i], tilts[i], log_w)
        r += counts[i]


@njit(cache=True, nogil=True)
def fill_tilted_points_l1(U, counts, tilts, seeds, log_w):
    """:func:`fill_tilted_points_linf` for the ``l_1`` ball."""
    sides = np.empty((6, U.shape[1]))
    r = 0
    for i in range(counts.shape[0]):
        reseed_point(seeds, i)
        _rows_l1(U, r, counts[i], tilts[i], log_w, sides)
        r += counts[i]


# the point kernel of each ball (they release the GIL: callers may run blocks on threads)
TILTED_POINTS = {NORM_INF: fill_tilted_points_linf, NORM_L2: fill_tilted_points_l2, NORM_L1: fill_tilted_points_l1}


@njit(cache=True)
def fill_tilted_rows(U, m, theta, norm_code, log_w):
    """Fill ``U[:m]`` with draws of ``q_θ`` (:func:`fill_tilted`) and ``log_w[:m]`` with their
    log weights (the rows of one point, as :func:`fill_tilted_points_linf` and its twins draw them)."""
    if norm_code == NORM_INF:
        _rows_linf(U, 0, m, theta, log_w, np.empty(theta.shape[0]))
    elif norm_code == NORM_L2:
        _rows_l2(U, 0, m, theta, log_w)
    else:
        _rows_l1(U, 0, m, theta, log_w, np.empty((6, theta.shape[0])))


@njit(cache=True)
def tilted_log_weight(u, theta, norm_code):
    """``log(p(u)/q(u))`` at any ``u`` of the ball for the proposal :func:`fill_tilted` draws from."""
    return _log_weight_with(u, theta, norm_code, _weight_constants(theta, norm_code, np.empty(theta.shape[0])))


@njit(cache=True)
def _weight_constants(theta, norm_code, scratch):
    """The constants of :func:`_log_weight_with` at the tilt ``θ`` (``scratch`` of shape ``(d,)``):
    ``Σ_k log(sinh θ_k/θ_k)`` (``l_∞``), :func:`l2_constants` or the first three of
    :func:`l1_tilt_constants`; zeros where no tilt (or ``d = 1`` for ``l_2``) needs none."""
    if norm_code == NORM_INF:
        return linf_tilt_constants(theta, scratch), 0.0, 0.0, 0.0
    if _no_tilt(theta) or (norm_code == NORM_L2 and theta.shape[0] == 1):
        return 0.0, 0.0, 0.0, 0.0
    if norm_code == NORM_L2:
        return l2_constants(theta)
    lam, c, log_k, _ = l1_tilt_constants(theta, scratch)
    return lam, c, log_k, 0.0


@njit(cache=True)
def _log_weight_with(u, theta, norm_code, consts):
    """:func:`tilted_log_weight` given the tilt's :func:`_weight_constants` (once per tilt, not per
    draw: they cost ``d`` log-sinhc, or six ``lgamma``, or a root)."""
    if norm_code == NORM_INF:
        acc = consts[0]
        for k in range(u.shape[0]):
            acc -= theta[k] * u[k]
        return _defensive(acc, DEFENSIVE_LINF)
    if _no_tilt(theta):
        return 0.0
    if norm_code == NORM_L2:
        if u.shape[0] == 1:
            return log_sinhc(theta[0]) - theta[0] * u[0]
        return _defensive(_log_weight_l2_fast(u, theta, consts[0], consts[1], consts[2], consts[3]))
    return _defensive(_log_weight_l1_fast(u, theta, consts[0], consts[1], consts[2]))


@njit(cache=True)
def _defensive(log_w, alpha=DEFENSIVE):
    """``log(1/((1 − α)/w + α))``: the weight against the defensive mixture."""
    if log_w > -700.0:
        return -math.log((1.0 - alpha) * math.exp(-log_w) + alpha)
    return log_w - math.log(1.0 - alpha)


@njit(cache=True)
def zero_if_not_finite(theta):
    """Set ``θ = 0`` (the uniform proposal) if any entry is NaN or infinite.

    A tilt overflows only for a diverging model or ``ρ/η`` beyond the float range; the uniform
    proposal keeps the importance weights exact there, and the caller's divergence check (on the
    coefficients) reports the model. Without it a NaN tilt would reach the Beta sampler of the
    ``l_2`` proposal, whose rejection loop never accepts a NaN parameter.
    """
    for k in range(theta.shape[0]):
        if not math.isfinite(theta[k]):
            theta[:] = 0.0
            return


@njit(cache=True)
def _no_tilt(theta):
    for k in range(theta.shape[0]):
        if abs(theta[k]) >= _TINY_TILT:
            return False
    return True


@njit(cache=True)
def sample_tilted_kernel(n_samples, theta, norm_code, seed):
    """``n_samples`` draws of ``q_θ`` and their log weights: ``(U (n, d), log_w (n,))``."""
    np.random.seed(seed)
    U = np.empty((n_samples, theta.shape[0]))
    log_w = np.empty(n_samples)
    fill_tilted_rows(U, n_samples, theta, norm_code, log_w)
    return U, log_w


@njit(cache=True)
def sample_tilted_rows(theta, n_samples, norm_code, seed):
    """``n_samples`` draws of ``q_{θ_i}`` for every row ``θ_i`` of ``theta``: ``(U (n, m, d), log_w (n, m))``."""
    np.random.seed(seed)
    n, d = theta.shape
    U = np.empty((n, n_samples, d))
    log_w = np.empty((n, n_samples))
    for i in range(n):
        fill_tilted_rows(U[i], n_samples, theta[i], norm_code, log_w[i])
    return U, log_w


@njit(cache=True)
def sample_tilted_pairs(theta, n_pairs, norm_code, seed):
    """Antithetic draws ``(u, −u)`` of the symmetrised proposal ``q_s(u) = (q_θ(u) + q_θ(−u))/2``.

    Returns ``U (n, 2 n_pairs, d)`` (mirror images in the second half) and the log weights
    ``log(p/q_s) = log 2 − log(1/w_θ(u) + 1/w_θ(−u))``, equal within a pair: odd terms of the
    integrand cancel exactly in every pair, as with antithetic uniform samples, while the
    proposal still leans toward ``±θ``.
    """
    np.random.seed(seed)
    n, d = theta.shape
    U = np.empty((n, 2 * n_pairs, d))
    log_w = np.empty((n, 2 * n_pairs))
    scratch = np.empty(d)
    for i in range(n):
        fill_tilted_rows(U[i], n_pairs, theta[i], norm_code, log_w[i])
        consts = _weight_constants(theta[i], norm_code, scratch)
        for j in range(n_pairs):
            for k in range(d):
                U[i, n_pairs + j, k] = -U[i, j, k]
            b = _log_weight_with(U[i, n_pairs + j], theta[i], norm_code, consts)
            a = log_w[i, j]
            top = max(-a, -b)
            value = math.log(2.0) - (top + math.log(math.exp(-a - top) + math.exp(-b - top)))
            log_w[i, j] = value
            log_w[i, n_pairs + j] = value
    return U, log_w
