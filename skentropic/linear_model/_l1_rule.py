"""The law of ``T = Σ_k a_k u_k`` (``u`` uniform in the ``l_1`` ball of ``R^d``) as weighted atoms.

For a binary margin loss and the ``l_1`` ball, ``y w·(ρu)`` has the law of ``T`` with
``a_k = ρ|w_k|`` (the ball is symmetric under sign flips), so, as for the cube
(:mod:`._cube_rule`), every point's entropic loss is a one-dimensional integral against the
density ``p_T``, and one rule of atoms ``{(t_j, ℓ_j)}`` serves every point.

The exact density
-----------------
With ``L_k`` independent Laplace variables and ``E_0 ~ Exp(1)``, ``R = E_0 + Σ_k |L_k|``,
``u = L / R`` is uniform in the ball (the normalised vector ``(E_0, |L_1|, ..., |L_d|)/R`` is
uniform on the simplex). Hence ``P(T <= t) = P(S_t <= 0)`` with
``S_t = Σ_k (a_k L_k − t|L_k|) − t E_0`` a sum of independent terms, and
``p_T(t) = E[R δ(S_t)]``. The joint cumulant generating function of ``(S_t, R)`` is explicit;
with ``u₀ = 1 + λt``, ``D_k^∓ = 1 ∓ λ(a_k ∓ t)`` and ``n_a`` non-zero ``a_k``,

    K(λ) = log E e^{λ S_t} = (2n_a − d − 1) log u₀ − Σ_k log(D_k^− D_k^+),
    Q(λ) = E[R e^{λ S_t}] / E[e^{λ S_t}] = (1/u₀)(1 + (d − n_a) + Σ_k ½(D_k^+/D_k^− + D_k^−/D_k^+)),

and the Laplace inversion along the vertical line through the saddle point ``λ̂`` (``K'(λ̂) = 0``)

    p_T(t) = (1/π) ∫_0^∞ Re[e^{K(λ̂ + iy)} Q(λ̂ + iy)] dy

is exact for every contour position; the saddle point only makes the integrand a positive,
bell-shaped function of ``y`` dominated by ``y ≈ 0``, so that the trapezoidal rule in
``v`` with ``y = s sinh(βv)/β`` (``s = K''(λ̂)^{−1/2}``) converges geometrically, with relative
(not absolute) error, in the far tails too. The integrand is analytic in a strip around the
contour (its singularities, the poles of ``K``, lie on the real axis); the steps were chosen on
the measured error (``benchmarks/bench_l1_contour.py``): ``_H_CONTOUR = 0.15`` keeps ``log p``
within ``1e-11`` of a much finer integral within ``20 σ_T`` of the centre in any dimension; up to
``d = _COARSE_D = 64`` the step is ``_H_CONTOUR_LOW_D = 0.25`` (32 nodes per density instead of
51 at ``d = 64``; the law took 0.7 of the time, ``bench_deterministic.py --laws``), ``log p``
within ``5e-9`` there over seven shapes of the weights (``--profiles``; with this step ``1e-7`` at
``d = 100`` and ``7e-6`` at ``d = 200`` with ``_COARSE_D`` raised, hence the bound). In
``d >= 200`` the far tail's densities err more (``log p`` off by ``1e-4`` at ``d = 784``, ``6e-3`` at ``d = 2000``; ``F`` by ``3e-7`` relative
at worst: ``benchmarks/bench_l1_contour.py``, which says why and what a fix would cost)
(``tests/test_l1_rule.py`` checks the closed form
``p_T(t) = (d/2) Σ_k c_k a_k^{−1} (1 − |t|/a_k)_+^{d−1}``, ``c_k = Π_{j≠k} a_k²/(a_k² − a_j²)``,
which is exact but cancels catastrophically unless the ``a_k`` are few and well separated).

The saddle point is found in ``μ = λ/u₀ ∈ [0, 1/A)`` (``A = max a_k``), where ``K'(λ) = 0``
reads ``Σ_k 2μa_k²/(1 − μ²a_k²) · (1 − μt) = (d + 1) t``, through the relative gap
``g = 1 − μA`` so that ``1 − μa_k`` keeps full precision when ``t`` is within ``1e-12`` of ``A``.

The atoms
---------
``p_T`` is even; the atoms are ``t_j = A tanh(z(v_j))`` on the integers ``v_j`` (uniform in
``t`` in the bulk, with steps of a quarter of the standard deviation of ``T``, or half of one
where no coordinate carries more than 19% of ``Σ a_k²`` (one coordinate's law alone has a kink
at ``t = 0``, which the others' spread then smooths: the values agree to ``1e-10`` with the
quarter step, ``tests/test_l1_rule.py``), then geometric toward the vertex ``t = A``, where
``p_T ∝ (A − t)^{d−1}``). Where the others round that kink off over fewer than three bulk steps
(``a_2 < 3A Δz_b``; a true kink when ``a_2 = 0``), the steps at ``t = 0`` are ``a_2/3`` (at least
``1e-12`` of the bulk step) and grow geometrically to the bulk step (:func:`_core_map`: about
15 more atoms for ``a_2/A = 1.5e-3``, at most about 140 for a true kink): with the bulk step alone
the hinge erred by ``1.3e-4`` to ``1.7e-4`` relative there (``tests/test_l1_rule.py``). With
``ℓ_j = log p_T(t_j) + log(A sech² z_j z'(v_j))``, normalised. The grid is held fixed in the
gradient (as the cube rule's), which is then ``∂ℓ_j/∂a_k = ∂_{a_k} p_T(t_j) / p_T(t_j)`` with
``∂_{a_k}K = 2λ²a_k/(D_k^− D_k^+)`` and ``∂_{a_k}Q = λ(1/D_k^{−2} − 1/D_k^{+2})`` under the same
integral.
"""

import math

import numpy as np
from numba import njit, prange

from .._core._losses import HINGE, LOGISTIC
from .._core._tilted import l1_tilt_constants
from ._chunks import chunk_count

_H_CONTOUR = 0.15  # trapezoid step in v of the inversion integral, y = s sinh(βv)/β ...
_H_CONTOUR_LOW_D = 0.25  # ... up to _COARSE_D dimensions
_COARSE_D = 64
_BETA = 0.5
_CONTOUR_TOL = 1e-14  # stop when a node's magnitude is below this fraction of the sum
_MAX_NODES = 600
L1_NODE_WORK = 16  # an l_1 density (dozens of contour nodes per coordinate) weighs 16 cube atoms (PARALLEL_WORK)
SCRATCH_ROWS = 7  # rows of per-coordinate scratch of _density
_LOG_1E50 = 50.0 * math.log(10.0)
_H_BULK = 0.25  # z-step <= _H_BULK σ_T / A: atoms a quarter standard deviation apart in the bulk
_H_BULK_SMOOTH = 0.5  # ... half of one where no coordinate dominates (l1_grid)
_SMOOTH_SHARE = 0.19
_H_TAIL = 0.45  # z-step <= _H_TAIL / √d: log(A − t) steps of 0.9/√d near the vertex
_H_KINK = 0.01  # d <= _KINK_D: p_T has kinks at t = ±a_k (its (d−2)-th derivative jumps)
_KINK_D = 10
_H_LOSS = 0.3  # atoms at most 0.3 apart in score units (0.1 for the hinge, whose kink is corrected)
_H_HINGE = 0.1
_BULK_WIDTHS = 12.0  # the grid covers t within 12 σ_T of the tilted bulk
_TAIL_DECADES = 40.0  # and, near the vertex, the peak of (A − t)^{d−1} e^{λt} plus e^{−40} of its mass
# the largest coordinate's law has a kink at t = 0 that the others round off over ~a_2: where that
# spans fewer than _CORE_STEPS bulk steps, a core of steps a_2/_CORE_STEPS (at least _CORE_MIN
# times the bulk step: a_2 = 0 is a true kink) that grow geometrically, at the rate _CORE_RATE per
# atom, to the bulk step (l1_grid)
_CORE_STEPS = 3.0
_CORE_MIN = 1e-12
_CORE_RATE = 0.4


@njit(cache=True)
def _contour_step(n_total):
    """The trapezoid step of the inversion integral in ``d = n_total`` dimensions (module docstring)."""
    return _H_CONTOUR_LOW_D if n_total <= _COARSE_D else _H_CONTOUR


def l1_node_work(n_total):
    """What one ``l_1`` density of one coordinate weighs against ``PARALLEL_WORK``: ``L1_NODE_WORK``
    at the step ``_H_CONTOUR``, scaled by the nodes of the step in ``n_total`` dimensions (the
    coarser step up to ``_COARSE_D``: 32 nodes instead of 51)."""
    return L1_NODE_WORK * _H_CONTOUR / _contour_step.py_func(n_total)


def l1_grid(a_active, n_total, eta, loss_code, score_span, resolve_loss=True):
    """The atoms ``t_j = A tanh z(v_j)`` on the integers ``v_j``.

    Returns ``(t, gap, log_jac, fold, n_half)``: ``gap_j = A − |t_j|``, ``log(A sech² z_j z'(v_j))``,
    and ``fold_j = |v_j| − min|v|`` indexing the ``n_half`` distinct ``|t_j|`` (``p_T`` is even).

    Parameters
    ----------
    a_active : ndarray of shape (n_a,)
        Positive ``a_k = ρ|w_k|``, largest first.
    n_total : int
        Dimension ``d`` of the ball (zero coordinates included).
    eta : float
        Temperature ``η > 0``.
    loss_code : int
        Margin loss code (sets the steepest tilt ``sup|φ'|/η``).
    score_span : float
        ``max_i |s_i|`` (the squared hinge's slope grows with ``1 − s + A``).
    resolve_loss : bool, default=True
        Keep atoms at most 0.3 apart in score units (the loss's own scale); ``False`` for an
        integrand ``e^{t/η}`` whose only scale is the density's.
    """
    big_a = float(a_active[0])
    d = int(n_total)
    sigma = math.sqrt(2.0 * float(np.sum(a_active * a_active)) / ((d + 1.0) * (d + 2.0)))
    slope = 1.0 if loss_code in (LOGISTIC, HINGE) else 2.0 * (1.0 + big_a + score_span)
    lam_max = slope / eta
    dz = _H_TAIL / math.sqrt(d)
    if resolve_loss:
        dz = min(dz, (_H_HINGE if loss_code == HINGE else _H_LOSS) / big_a)
    if d <= _KINK_D:
        dz = min(dz, _H_KINK)
    # one coordinate's law alone has a kink at t = 0 (p ∝ (1 − |t|/A)^{d−1}), smoothed by the
    # others' spread: steps of half a standard deviation only where the largest coordinate
    # carries at most _SMOOTH_SHARE of Σa_k² (the rest's spread then exceeds 0.9σ_T)
    h_bulk = _H_BULK_SMOOTH if big_a * big_a <= _SMOOTH_SHARE * float(np.sum(a_active * a_active)) else _H_BULK
    dz_bulk = min(dz, h_bulk * sigma / big_a)
    # the steepest tilt λ_max of exp(φ(s − t)/η) moves the mass of p_T to gap_peak = A − t_peak
    # (_tilt_gap); beyond it, in x = log(A − t), p_T e^{λt} falls like e^{d(x − x_peak)} (or
    # like a Gaussian of width ~1/√d): go e^{−40} of the mass beyond
    gap_min = _tilt_gap(a_active, d, lam_max) * math.exp(-max(_TAIL_DECADES / d, _BULK_WIDTHS / math.sqrt(d)))
    z_hi = 0.5 * math.log(2.0 * big_a / gap_min)
    z_lo = -z_hi
    if _BULK_WIDTHS * sigma < big_a:
        z_lo = max(z_lo, -math.atanh(_BULK_WIDTHS * sigma / big_a))
    # z(v) = c(v) + (Δz − Δz_b)(v − w tanh(v/w)) on the integers v: steps Δz_b = H σ/A within
    # the bulk (|v| <~ w, |t| <~ 12σ), Δz beyond, where the tilted laws are wider than σ (their
    # width is about (A − t)/√d); c(v) = Δz_b v, or the core of _core_map where the kink of the
    # largest coordinate's law at t = 0 is rounded off over fewer than _CORE_STEPS bulk steps;
    # analytic and odd, so the trapezoidal rule stays spectral
    w = _BULK_WIDTHS / h_bulk
    second = float(a_active[1]) if a_active.shape[0] > 1 else 0.0
    core = second < _CORE_STEPS * big_a * dz_bulk
    ratio = max(second / (_CORE_STEPS * big_a * dz_bulk), _CORE_MIN) if core else 1.0
    lag = -dz_bulk * math.log(ratio) / _CORE_RATE  # c(v) -> Δz_b v − lag for large v
    j_hi = int(math.ceil((z_hi + (dz - dz_bulk) * w + lag) / dz))
    j_lo = -int(math.ceil((-z_lo + (dz - dz_bulk) * w + lag) / dz))
    v = np.arange(j_lo, j_hi + 1, dtype=np.float64)
    c, dc = _core_map(v, dz_bulk, ratio) if core else (dz_bulk * v, np.full(v.shape[0], dz_bulk))
    z = c + (dz - dz_bulk) * (v - w * np.tanh(v / w))
    keep = (z >= z_lo - dz) & (z <= z_hi + dz)
    v, z = v[keep], z[keep]
    dz_dv = dc[keep] + (dz - dz_bulk) * np.tanh(v / w) ** 2
    t = big_a * np.tanh(z)
    gap = 2.0 * big_a / (1.0 + np.exp(2.0 * np.abs(z)))  # A(1 − tanh|z|) without cancellation
    log_jac = np.log(big_a * dz_dv) - 2.0 * np.log(np.cosh(z))
    j_abs = np.abs(v).astype(np.int64)
    fold = j_abs - j_abs.min()
    return t, gap, log_jac, fold, int(fold.max()) + 1


def _core_map(v, step, ratio):
    """``c(v) = (Δ/κ) asinh(r sinh(κv))`` and ``c'(v) = Δ r cosh(κv)/√(1 + (r sinh κv)²)``
    (``Δ = step``, ``r = ratio``, ``κ = _CORE_RATE``): steps ``r Δ`` at ``v = 0`` that grow like
    ``cosh(κv)`` to ``Δ``, with ``c(v) → Δ(v + log(r)/κ)`` (analytic in ``|Im v| < π/(2κ)``).
    ``r sinh(κv)`` is formed from its logarithm, without overflow for any ``v``."""
    x = _CORE_RATE * np.abs(v)
    with np.errstate(divide="ignore"):
        log_y = math.log(ratio) + x + np.log1p(-np.exp(-2.0 * x)) - math.log(2.0)  # −inf at v = 0
    y = np.exp(np.minimum(log_y, 20.0))
    big = log_y > 20.0  # asinh y = log 2y within 1e-17 relative
    c = np.sign(v) * (step / _CORE_RATE) * np.where(big, log_y + math.log(2.0), np.arcsinh(y))
    dc = step * np.where(big, 1.0 / np.tanh(np.maximum(x, 1.0)), ratio * np.cosh(np.minimum(x, 700.0))
                         / np.sqrt(1.0 + y * y))
    return c, dc


def _tilt_gap(a, d, tau):
    """``A − t`` where the law of ``T`` tilted by ``e^{τt}`` peaks (saddle-point relation).

    ``∂_t log p_T(t) ≈ −(d + 1) λ̂(t)``: the peak of the tilt ``τ`` on ``T = a·u`` is that of the
    tilt 1 on ``(τa)·u``, the point ``c`` the ``l_1`` proposal is aimed at
    (:func:`~skentropic._core._tilted.l1_tilt_constants`), so ``t = c/τ``, and
    ``A − t = A/u₀ − g_1 c/τ`` (``1/u₀ = 1 − μc``, ``g_1 = 1 − μτA``) without cancellation.
    """
    theta = np.zeros(int(d))
    theta[:a.shape[0]] = tau * a
    gk = np.empty(theta.shape[0])
    _, c, _, u0 = l1_tilt_constants(theta, gk)
    return max(float(a[0]) / u0 - gk[0] * c / tau, 0.0)


@njit(cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def _saddle(t, gap, a, n_total, g):
    """Solve ``K'(λ) = 0`` for ``t >= 0``: fills ``g[k] = 1 − μ̂ a_k`` and returns ``μ̂``.

    ``f(μ) = K_V'(μ)(1 − μt) − (d + 1)t`` with ``K_V'(μ) = Σ 2μa_k²/(1 − μ²a_k²)``, solved by
    Newton's method in ``x = log(1 − μA)`` safeguarded by bisection.
    """
    n_a = a.shape[0]
    big_a = a[0]
    if t <= 0.0:
        for k in range(n_a):
            g[k] = 1.0
        return 0.0
    x_hi = 0.0  # g = 1: f = −(d + 1)t < 0
    x_lo = math.log(gap / (4.0 * (n_total + 1.0) * big_a))  # there f > 0
    x = 0.5 * (x_lo + x_hi)
    for _ in range(200):
        gg = math.exp(x)
        mu = (1.0 - gg) / big_a
        kv1 = 0.0
        kv2 = 0.0
        for k in range(n_a):
            gk = (big_a - a[k]) / big_a + gg * a[k] / big_a
            den = gk * (2.0 - gk)  # 1 − μ²a_k²
            kv1 += 2.0 * mu * a[k] * a[k] / den
            kv2 += 2.0 * a[k] * a[k] * (1.0 + mu * mu * a[k] * a[k]) / (den * den)
        one_mt = gap / big_a + gg * t / big_a  # 1 − μt
        f = kv1 * one_mt - (n_total + 1.0) * t
        if f > 0.0:
            x_lo = x
        else:
            x_hi = x
        dfdx = -(gg / big_a) * (kv2 * one_mt - t * kv1)
        x_new = x - f / dfdx if dfdx < 0.0 else 0.5 * (x_lo + x_hi)
        if not (x_lo < x_new < x_hi):
            x_new = 0.5 * (x_lo + x_hi)
        if abs(x_new - x) <= 1e-15 * max(1.0, abs(x)) or x_hi - x_lo <= 1e-15 * max(1.0, abs(x)):
            x = x_new
            break
        x = x_new
    gg = math.exp(x)
    for k in range(n_a):
        g[k] = (big_a - a[k]) / big_a + gg * a[k] / big_a
    return (1.0 - gg) / big_a


@njit(cache=True)
def _node_product(y, alpha, beta):
    """``(log|P|, arg P)`` of ``P = Π_k (1 + i c_k⁻)(1 + i c_k⁺)``, ``c_k⁻ = −yα_k``, ``c_k⁺ = yβ_k``.

    Four interleaved partial products (a single one is a chain of dependent multiplications
    that bounds the loop), each rescaled by ``1e-50`` when their sum passes ``1e100`` and it
    is above ``1e50`` (one factor per step is at most ``1 + (y/s)²`` with ``y/s < 1e20`` on the
    contour, so nothing overflows between checks, and small partial products are not rescaled,
    so none underflows).
    """
    n = alpha.shape[0]
    r0, i0, r1, i1, r2, i2, r3, i3 = 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0
    log_scale = 0.0
    k = 0
    while k < n:
        cm = -y * alpha[k]
        cp = y * beta[k]
        f_re, f_im = 1.0 - cm * cp, cm + cp
        r0, i0 = r0 * f_re - i0 * f_im, r0 * f_im + i0 * f_re
        if k + 3 < n:
            cm = -y * alpha[k + 1]
            cp = y * beta[k + 1]
            f_re, f_im = 1.0 - cm * cp, cm + cp
            r1, i1 = r1 * f_re - i1 * f_im, r1 * f_im + i1 * f_re
            cm = -y * alpha[k + 2]
            cp = y * beta[k + 2]
            f_re, f_im = 1.0 - cm * cp, cm + cp
            r2, i2 = r2 * f_re - i2 * f_im, r2 * f_im + i2 * f_re
            cm = -y * alpha[k + 3]
            cp = y * beta[k + 3]
            f_re, f_im = 1.0 - cm * cp, cm + cp
            r3, i3 = r3 * f_re - i3 * f_im, r3 * f_im + i3 * f_re
            k += 4
        else:
            k += 1
        if abs(r0) + abs(i0) + abs(r1) + abs(i1) + abs(r2) + abs(i2) + abs(r3) + abs(i3) > 1e100:
            # rare: rescale the partial products that are large (at least one is above 2.5e99),
            # leaving the small ones alone so that none can underflow
            if abs(r0) + abs(i0) > 1e50:
                r0, i0, log_scale = r0 * 1e-50, i0 * 1e-50, log_scale + _LOG_1E50
            if abs(r1) + abs(i1) > 1e50:
                r1, i1, log_scale = r1 * 1e-50, i1 * 1e-50, log_scale + _LOG_1E50
            if abs(r2) + abs(i2) > 1e50:
                r2, i2, log_scale = r2 * 1e-50, i2 * 1e-50, log_scale + _LOG_1E50
            if abs(r3) + abs(i3) > 1e50:
                r3, i3, log_scale = r3 * 1e-50, i3 * 1e-50, log_scale + _LOG_1E50
    log_mod = log_scale + 0.5 * (math.log(r0 * r0 + i0 * i0) + math.log(r1 * r1 + i1 * i1)
                                 + math.log(r2 * r2 + i2 * i2) + math.log(r3 * r3 + i3 * i3))
    arg = math.atan2(i0, r0) + math.atan2(i1, r1) + math.atan2(i2, r2) + math.atan2(i3, r3)
    return log_mod, arg


@njit(cache=True, error_model="numpy")
def _node_factors(y, alpha_k, beta_k):
    """``(c⁻, c⁺, 1/m₂, 1/p₂)`` of coordinate ``k`` at the node ``y``: ``c⁻ = −yα_k``, ``c⁺ = yβ_k``,
    ``m₂ = 1 + c⁻²``, ``p₂ = 1 + c⁺²`` (one division for both reciprocals)."""
    cm = -y * alpha_k
    cp = y * beta_k
    m2 = 1.0 + cm * cm
    p2 = 1.0 + cp * cp
    inv = 1.0 / (m2 * p2)
    return cm, cp, p2 * inv, m2 * inv


@njit(cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def _node_sums(y, alpha, beta, ratio, inv_ratio):
    """``Σ_k ½(ρ_k + 1/ρ_k)`` at the contour node ``y`` (real and imaginary parts), ``ρ_k = D_k⁺/D_k⁻``.

    ``ρ = (dp/dm)(1 + i c⁺)/(1 + i c⁻) = r(1 + c⁺c⁻ + i(c⁺ − c⁻))/m₂`` and
    ``1/ρ = (1 + c⁺c⁻ − i(c⁺ − c⁻))/(r p₂)`` (:func:`_node_factors`). The sums may be reassociated (``fastmath`` ``reassoc``), so
    that the loop runs on vector registers; only their rounding changes.
    """
    sum_q = 0.0
    sum_qi = 0.0
    for k in range(alpha.shape[0]):
        cm, cp, inv_m2, inv_p2 = _node_factors(y, alpha[k], beta[k])
        rho_m = ratio[k] * inv_m2
        rho_p = inv_ratio[k] * inv_p2
        sum_q += 0.5 * (1.0 + cp * cm) * (rho_m + rho_p)
        sum_qi += 0.5 * (cp - cm) * (rho_m - rho_p)
    return sum_q, sum_qi


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _node_gradient(y, lam, a, alpha, beta, inv_dm, inv_dp, e_re, e_im, q_re, q_im, wy, grad):
    """Add the node's share ``Re[e^{K} (∂_{a_k}K Q + ∂_{a_k}Q)] w_y`` to ``grad[k]``, with
    ``∂K = 2λ²a/(D⁻D⁺)``, ``∂Q = λ(1/D⁻² − 1/D⁺²)`` at ``λ = λ̂ + iy`` and
    ``1/D⁻ = (1 − i c⁻)/(dm m₂)``, ``1/D⁺ = (1 − i c⁺)/(dp p₂)``; ``e = e^{K}`` and ``Q`` at the node."""
    l2r = lam * lam - y * y  # λ²
    l2i = 2.0 * lam * y
    for k in range(a.shape[0]):
        cm, cp, inv_m2, inv_p2 = _node_factors(y, alpha[k], beta[k])
        im_re = inv_dm[k] * inv_m2
        im_im = -cm * im_re
        ip_re = inv_dp[k] * inv_p2
        ip_im = -cp * ip_re
        pr = im_re * ip_re - im_im * ip_im  # 1/(D⁻D⁺)
        pi = im_re * ip_im + im_im * ip_re
        dk_re = 2.0 * a[k] * (l2r * pr - l2i * pi)
        dk_im = 2.0 * a[k] * (l2r * pi + l2i * pr)
        sm_re = im_re * im_re - im_im * im_im - (ip_re * ip_re - ip_im * ip_im)  # 1/D⁻² − 1/D⁺²
        sm_im = 2.0 * (im_re * im_im - ip_re * ip_im)
        dq_re = lam * sm_re - y * sm_im
        dq_im = lam * sm_im + y * sm_re
        b_re = dk_re * q_re - dk_im * q_im + dq_re
        b_im = dk_re * q_im + dk_im * q_re + dq_im
        grad[k] += (e_re * b_re - e_im * b_im) * wy


@njit(cache=True)
def _density(t, gap, a, n_total, g, grad, with_grad):
    """``log p_T(t)`` (``t >= 0``, ``gap = A − t``); with ``with_grad`` also
    ``grad[k] = ∂_{a_k} p_T(t) / p_T(t)``. ``g`` is scratch of shape ``(SCRATCH_ROWS, n_a)``."""
    n_a = a.shape[0]
    gk = g[0]
    mu = _saddle(t, gap, a, n_total, gk)
    one_mt = gap / a[0] + gk[0] * t / a[0]  # 1 − μ̂t, with g_0 = 1 − μ̂A kept exact
    u0 = 1.0 / one_mt  # û₀ = 1 + λ̂t
    lam = mu * u0
    c_u = 2.0 * n_a - n_total - 1.0
    log_k = -(n_total + 1.0) * math.log(u0)
    k2 = -c_u * t * t / (u0 * u0)
    pole = 0.0  # 1/δ², δ the distance from λ̂ to the nearest pole (D_k^∓ = 0)
    for k in range(n_a):
        dm = gk[k] * u0
        dp = (2.0 - gk[k]) * u0
        log_k -= math.log(gk[k] * (2.0 - gk[k]))
        qm = (a[k] - t) / dm
        qp = (a[k] + t) / dp
        qm *= qm  # (products, not powers: see _cube_rule._atom_cumulants)
        qp *= qp
        k2 += qm + qp
        pole = max(pole, qm, qp)
    # y = s sinh(βv)/β: linear near the saddle (where the integrand is nearly Gaussian and a
    # sinh map would make it grow doubly exponentially off the real axis), exponential in the
    # tails (the poles of the largest coordinates give algebraic decay); with s <= δ the poles
    # stay outside the strip of analyticity
    s = 1.0 / math.sqrt(max(k2, pole))
    alpha, beta, ratio, inv_ratio, inv_dm, inv_dp = g[1], g[2], g[3], g[4], g[5], g[6]
    for k in range(n_a):  # c_k⁻ = −y α_k, c_k⁺ = y β_k on the contour
        inv_dm[k] = 1.0 / (gk[k] * u0)
        inv_dp[k] = 1.0 / ((2.0 - gk[k]) * u0)
        alpha[k] = (a[k] - t) * inv_dm[k]
        beta[k] = (a[k] + t) * inv_dp[k]
        ratio[k] = (2.0 - gk[k]) / gk[k]
        inv_ratio[k] = gk[k] / (2.0 - gk[k])
    if with_grad:
        for k in range(n_a):
            grad[k] = 0.0
    total = 0.0
    h = _contour_step(n_total)
    for j in range(_MAX_NODES):
        v = j * h
        y = s * math.sinh(_BETA * v) / _BETA
        wy = s * math.cosh(_BETA * v) * (0.5 if j == 0 else 1.0)
        cu = y * t / u0
        log_mod, arg = _node_product(y, alpha, beta)
        sum_q, sum_qi = _node_sums(y, alpha, beta, ratio, inv_ratio)
        sum_q += 1.0 + (n_total - n_a)
        log_re = c_u * 0.5 * math.log1p(cu * cu) - log_mod
        log_im = c_u * math.atan(cu) - arg
        # Q = sum / u₀(y), u₀(y) = û₀(1 + i cu)
        qden = u0 * (1.0 + cu * cu)
        q_re = (sum_q + sum_qi * cu) / qden
        q_im = (sum_qi - sum_q * cu) / qden
        mag = math.exp(log_re)
        e_re = mag * math.cos(log_im)
        e_im = mag * math.sin(log_im)
        term = (e_re * q_re - e_im * q_im) * wy
        total += term
        if with_grad:
            _node_gradient(y, lam, a, alpha, beta, inv_dm, inv_dp, e_re, e_im, q_re, q_im, wy, grad)
        q_mag = math.sqrt(sum_q * sum_q + sum_qi * sum_qi) / (u0 * math.sqrt(1.0 + cu * cu))
        if j > 2 and mag * q_mag * wy < _CONTOUR_TOL * abs(total):
            break
    if with_grad:
        for k in range(n_a):
            grad[k] /= total
    if not total > 0.0:
        return np.nan
    return log_k + math.log(total * h / math.pi)


@njit(cache=True)
def l1_atoms(t, gap, a, n_total, out, grads, with_grad):
    """``out[j] = log p_T(t_j)`` for the ``l_1`` law of ``T = a·u`` (``p_T`` is even); with
    ``with_grad``, ``grads[j, k] = ∂_{a_k} log p_T(t_j)`` (shape ``(m, n_a)``) from the same
    contour nodes."""
    g = np.empty((SCRATCH_ROWS, a.shape[0]))
    grad = np.empty(a.shape[0])
    for j in range(t.shape[0]):
        out[j] = _density(abs(t[j]), gap[j], a, n_total, g, grad, with_grad)
        if with_grad:
            for k in range(a.shape[0]):  # not a slice assignment: that compiles numba's shape-error formatting
                grads[j, k] = grad[k]


@njit(cache=True, parallel=True)
def l1_atoms_parallel(t, gap, a, n_total, out, grads, with_grad):
    """:func:`l1_atoms` with the atoms split into fixed chunks over the threads (same values)."""
    m = t.shape[0]
    n_chunks = chunk_count(m)
    for c in prange(n_chunks):
        start = c * m // n_chunks
        stop = (c + 1) * m // n_chunks
        l1_atoms(t[start:stop], gap[start:stop], a, n_total, out[start:stop], grads[start:stop], with_grad)
