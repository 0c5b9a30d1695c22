"""The law of ``T = Σ_k a_k u_k`` (``u`` uniform in the cube) as weighted atoms, for the ``l_∞`` ball.

For a binary margin loss and the ``l_∞`` ball, ``y w·(ρu)`` has the law of ``T`` with
``a_k = ρ|w_k|``, so every point's entropic loss is a one-dimensional integral,

    F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt,     s_i = y_i (w·x_i + b),

and one discrete rule ``{(t_j, ℓ_j)}`` with ``Σ_j e^{ℓ_j} h(t_j) ≈ ∫ p_T h`` serves every point
(DESIGN.md section 2b).

The rule
--------
Atoms are indexed by the exponential tilt ``λ``: ``t(λ) = K'(λ)`` maps ``R`` onto ``(−A, A)``,
``A = Σ a_k``, with ``dt/dλ = K''(λ)``. Substituting ``λ = L sinh(v)/σ₀`` (``σ₀² = Σ a_k²/3`` the
variance of ``T``, ``L >= 1`` the stretch below) and applying the trapezoidal rule in ``v`` with
step ``h``:

    ∫ p_T(t) h(t) dt = ∫ p_T(K'(λ)) h(K'(λ)) K''(λ) (L cosh v / σ₀) dv
                     ≈ Σ_j h(t_j) exp(ℓ_j),   ℓ_j = log p_T(t_j) + log K''(λ_j) + log(h L cosh v_j / σ₀).

Near ``λ = 0`` the grid is uniform in ``λ`` (spacing ``hL/σ₀``), in the tails uniform in
``log λ`` (spacing ``h``), which is how the tilted densities shrink toward the edge ``±A``, so
small ``η`` (the mass of ``exp(φ/η)`` within ``η`` of the edge) costs ``O(log(1/η))`` atoms, not
``O(1/η)``. The tilted density has width ``1/√(λ²K''(λ))`` in ``log λ``: ``1/√d`` once the
coordinates saturate (``λa_k >> 1``), hence ``h <= 0.9/√d``; in the bulk its width in ``λ`` is
``1/σ₀`` and a step ``hL/σ₀`` of ``L = min(0.5, 0.3/σ₀)/h`` suffices (the map changes from one
regime to the other near ``σ₀λ ≈ L``, where the coordinates start to saturate). The stretch is
used for the logistic loss where the bulk takes the Edgeworth density (analytic in ``t``), growing
smoothly to its full value as the small coordinates' share of the variance grows past the hybrid
density's blend (so that the atoms move continuously with ``a``); the hinge's kinks and the hybrid
density's (below) keep ``L = 1``. The grid spans
``−sinh(m)/σ₀ <= λ <= sinh(asinh(σ₀λ_top) + m)/σ₀``, ``m = 3.2 + 12/√d`` (about ``12σ₀`` of
bulk, plus 12 log-widths beyond the largest saddle point ``λ_top = sup|φ'|/η``), within
``|λ| <= 10^15 d/A`` (beyond, the atoms round to the edge); it ends earlier where the integrand
provably falls by ``e^{−40}`` (:func:`tail_margin`), and goes on, by steps of ``e²`` in ``λ``,
where it has not provably fallen by ``e^{−25}`` (:func:`tail_drop`: few saturated coordinates,
as ``d = 1`` or one large ``a_k`` among tiny ones, leave tails that fall only like ``e^{−v}``).

The density at the atoms
------------------------
The exact piecewise-polynomial density where few coordinates matter, the hybrid of an exact
part and an Edgeworth part, or the saddle-point density with its Edgeworth correction
(:mod:`._cube_density`, which states when each is taken), with a blend of the last two between
them (:func:`blend_weight`) so that ``F`` is continuous in ``a``: where an atom switched from one
to the other ``F`` jumped by up to 1e-6 relative, and L-BFGS's line searches failed short of
``tol = 1e-6`` (``tests/test_cube_rule.py``).

Error budget (measured in ``tests/test_cube_rule.py`` against independent references):
the trapezoidal error is spectrally small (``h <= 0.9/√d`` resolves the tilted densities,
``h <= 0.3/σ₀`` resolves the loss in ``t``; for the (squared) hinge with the hybrid density
the bulk steps also stay below half the ``σ`` of the coordinates beyond the exact ones, which
round off the exact part's kinks: with the density's step alone the hinge erred by up to
``5.5e-3`` relative against steps 8 times finer, ``benchmarks/bench_cube_accuracy.py
--steps``); the density error makes ``F`` err by about ``η`` times the change of the
Edgeworth remainder between the bulk and the tilt that dominates ``F``: below ``1e-4``
relative for spread-out weights, and where a few coordinates carry most of ``||a||₂`` the
hybrid density keeps it there (``tests/test_cube_rule.py``, against tilted sampling and the
exact density of the largest coordinates convolved with the inverted characteristic function
of the rest). Where a few large coordinates sit beside many tiny ones, the
tilts that saturate the tiny ones take the Edgeworth density of few effective coordinates:
the hinge with ``a = (1, 1e-3 × 15)`` at ``s = 2`` (``F ≈ 6e-7``, the mass beyond ``T = 1``)
errs by 0.75%; the closed form of the linear loss holds to ``1e-5`` there.

Gradients
---------
The derivatives of ``(t_j, ℓ_j)`` with respect to ``a_k`` are taken at fixed ``λ_j`` (the
change of variables is exact for every ``a``), so the gradient is the exact derivative of
the continuous approximation; the grid itself (``σ₀``, ``h``) is held fixed, which changes
the computed value by no more than the trapezoidal error. The kernels that compute it are in
:mod:`._cube_gradient`.
"""

import functools
import math

import numpy as np
from numba import njit, prange

from .._core._aot import kernel
from .._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from .._core._sinhc import N_DERIV, SERIES_TABLE, log_sinhc_derivatives
from ._chunks import chunk_count
from ._cube_density import _SPLINE_MAX, _edgeworth, _hybrid_density, _log_spline_norm, _spline_terms, spline_prefix

_N_BIG = 8  # beyond: the 8 largest coordinates exactly, the rest by its Edgeworth density
# ... blended with the rule that takes 9 where the 9th is within this relative gap of the 8th
# (hybrid_tie_weight)
_TIE_BAND = 0.05
_N_HERMITE = 24  # Gauss–Hermite nodes of the convolution of the two parts
_H_DENSITY = 0.9  # v-step <= _H_DENSITY / sqrt(d): tilted densities have log-width ~ 1/sqrt(d)
_H_LOSS = 0.3  # v-step <= _H_LOSS / σ₀: atoms at most ~0.3 apart in the bulk of T (score units)
_H_HINGE = 0.1  # the hinge's kink correction leaves an O(Δt³) error: a finer step
# the squared hinge's kink (a jump of φ'') has no correction: its trapezoidal error is O(Δt³);
# hypothesis found d = 5, σ₀ = 4.8 (steps of 0.1 in t): 2.7e-6 relative at η = 1e5
_H_SQUARED_HINGE = 0.03
_H_MAX = 0.5
_H_SPLINE = 0.02  # the exact density has kinks (its (d−2)-th derivative jumps): a finer step
# d = 2: the density's own slope jumps (a trapezoid); the error fell from 3e-6 to 9e-8 relative at
# eta = 1e5 (a hypothesis example of tests/test_entropic_properties.py) with a 4x finer step
_H_SPLINE_2 = 0.005
_KINK_ATOMS = 3.0  # ... also where the coordinates beyond the exact ones (or beyond two) span < 3 atoms
# the (squared) hinge with the hybrid density: bulk steps at most 1/2 of the σ of the coordinates
# beyond the exact ones, which round off the exact part's kinks (atom_grid). With the density's
# step alone weights of a few large, a few medium and many tiny coordinates erred by up to
# 5.5e-3 relative (benchmarks/bench_cube_accuracy.py --steps). A quarter (4.0) left fewer cells
# above 1e-4 there but made the digits SVC fit at eta = 0.01 take 128 atoms instead of 101
# (25% slower) for no gain on its scores
_ROUND_STEPS = 2.0
_V_LOW = -3.2  # bulk margin: λ = ∓sinh(3.2)/σ₀ puts atoms ~12σ₀ from the mean (plus tail widths)
_TAIL_WIDTHS = 12.0  # beyond the largest saddle point: the bulk margin plus this many log-widths
_TAIL_DROP = 40.0  # ... or fewer, where the integrand provably falls by e^{-40} (tail_margin)
# ... and at least this many e-folds of provable fall (tail_drop): the grid of d = 1 ended at
# e^{-15} of its mass, 1.5e-6 relative at η = 1e5 (a hypothesis example of
# tests/test_entropic_properties.py)
_SATURATED_DROP = 25.0
_EXTEND = math.e ** 2  # ... reached by steps of e^2 in λ (tail_drop)
_LOG_2PI = math.log(2.0 * math.pi)
# coordinates with |λ a_k| < _SERIES_X enter the cumulants (and their gradient) through the
# 32-term series of log sinhc, summed over coordinates as scaled power sums of the a_k (see
# suffix_power_sums). Until 2026-11-28 12 terms below 0.5: at d = 784 the coordinates between 0.5
# and 1.5 were a third to two thirds of the exactly evaluated ones (benchmarks/bench_deterministic.py)
_SERIES_X = 1.5
_N_POWERS = SERIES_TABLE.shape[1] + 3  # even powers a^{2n}, n = 0..34
# cube_atoms' saved row: kind, 4 + n_big aggregates, then K^(r) of the sum and of its small part,
# then a blended atom's weight b and log-density gap
_CUM_COLUMN = 5  # (+ n_big)
_CUM_SMALL_COLUMN = 10  # (+ n_big)
_BLEND_COLUMN = 15  # (+ n_big)
SAVED_COLUMNS = 17  # (+ n_big)
# the hybrid density where the small part's variance is at most the big part's (q = K''_S/K''_B <= 1),
# the Edgeworth density from q >= _BLEND_TOP, and between them their blend (blend_weight): a switch
# made F jump (by 2e-7 on a 1000 x 64 problem, 4e-7 to 8e-7 on the digits) where an atom's q
# crossed 1, which stopped L-BFGS's line searches short of tol = 1e-6
_BLEND_TOP = 2.0
_LOG_BLEND_TOP = math.log(_BLEND_TOP)
# the gradient pass reads the atoms' g^(r)(λ a_k) (cube_atoms' rows) up to this many floats (32 MB),
# instead of recomputing them: they were about 85% of its time at d = 784
KEPT_ROWS_FLOATS = 2**22


def suffix_power_sums(a):
    """Scaled suffix power sums ``S[n, k] = Σ_{j >= k} (a_j/a_k)^{2n}`` for ``n < _N_POWERS``
    (``S[:, d] = 0``) of positive ``a`` sorted decreasingly: between ``1`` and ``d − k``, so the
    series terms ``(λa_k)^{2n} S[n, k]`` neither overflow nor underflow (unscaled, ``λ^{2n}`` of
    ``n = 34`` overflows from ``λ ≈ 3e4``)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    out = np.empty((_N_POWERS, a.shape[0] + 1))
    _suffix_sums(a, out)
    return out


@njit(cache=True)
def _scaled_suffix_sums(a, out):
    """:func:`suffix_power_sums` into ``out``: ``S[n, k] = 1 + (a_{k+1}/a_k)^{2n} S[n, k + 1]``."""
    d = a.shape[0]
    for n in range(out.shape[0]):
        out[n, d] = 0.0
    for k in range(d - 1, -1, -1):
        ratio = a[k + 1] / a[k] if k + 1 < d else 0.0
        r2 = ratio * ratio
        p = 1.0
        for n in range(out.shape[0]):
            out[n, k] = 1.0 + p * out[n, k + 1]
            p *= r2


# the form compiled ahead of time at install where it exists (skentropic/_core/_aot.py)
_suffix_sums = kernel("scaled_suffix_sums", _scaled_suffix_sums)


def active_coordinates(a):
    """Indices of the non-zero ``a_k``, largest first, and their values (contiguous float64)."""
    index = np.flatnonzero(a > 0.0)
    index = index[np.argsort(-a[index], kind="stable")]
    return index, np.ascontiguousarray(a[index], dtype=np.float64)


def hybrid_tie_weight(a, n_big):
    """``(b, ∂b/∂a_8, ∂b/∂a_9)``: the share of the rule with the ``_N_BIG + 1`` largest coordinates
    exact in a blend ``F = (1 − b) F_8 + b F_9`` of the two rules' values.

    The hybrid density takes the ``_N_BIG = 8`` largest coordinates exactly: where the 8th and 9th
    swap places the set changes, and ``F`` (continuous: the two sets give the same density at a tie)
    bends, so a minimiser that sits on the tie (1000 x 64, ``ρ = 0.3``, ``η = 0.01``: the 8th and
    9th within 2e-6 of each other) has no zero gradient and L-BFGS stopped short of ``tol = 1e-6``.
    With ``g = 1 − a_9/a_8`` (``a`` sorted, largest first), ``b = 1 − S(g/_TIE_BAND)`` for
    ``g < _TIE_BAND``, else 0 (``S`` of :func:`blend_weight`): ``b = 1`` at a tie, where ``F_9``
    treats both alike, and ``1 − b = O(g³)`` removes ``F_8``'s bend. ``0`` unless the rule's
    ``n_big`` is ``_N_BIG`` and there is a 9th coordinate.
    """
    if n_big != _N_BIG or a.shape[0] <= _N_BIG:
        return 0.0, 0.0, 0.0
    top, below = float(a[_N_BIG - 1]), float(a[_N_BIG])
    x = (1.0 - below / top) / _TIE_BAND
    if x >= 1.0:
        return 0.0, 0.0, 0.0
    b = 1.0 - x * x * x * (10.0 + x * (6.0 * x - 15.0))
    db_dg = -30.0 * x * x * (1.0 - x) * (1.0 - x) / _TIE_BAND
    return b, db_dg * below / (top * top), -db_dg / top


def edgeworth_with_ninth(a, scale, h, j_lo, saved):
    """Whether every atom of a rule with ``n_big = _N_BIG`` (``saved`` of :func:`cube_atoms`) would
    take the Edgeworth density with the 9th coordinate in the exact part too.

    An atom takes it where ``q = K''_small/K''_big >= _BLEND_TOP`` at its tilt ``λ_j``; the 9th
    coordinate moves ``a_9² (1/x² − 1/sinh² x)``, ``x = λ_j a_9``, from the small part to the big.
    """
    lam = np.sinh((j_lo + np.arange(saved.shape[0])) * h) / scale
    x = lam * a[_N_BIG]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        curvature = np.where(np.abs(x) < 1e-2, 1.0 / 3.0 - x * x / 15.0, 1.0 / (x * x) - 1.0 / np.sinh(x) ** 2)
    small = saved[:, _CUM_SMALL_COLUMN + _N_BIG + 2] - a[_N_BIG] ** 2 * curvature
    return bool(np.all(small >= _BLEND_TOP * (saved[:, _CUM_COLUMN + _N_BIG + 2] - small)))


def gauss_hermite(n_nodes=_N_HERMITE):
    """Probabilists' Gauss–Hermite rule: ``Σ_q w_q f(z_q) ≈ E f(Z)``, ``Z ~ N(0, 1)`` (copies of
    a rule computed once: NumPy's eigenvalue solve cost a tenth of a digits fit when it ran at
    every evaluation)."""
    z, w = _gauss_hermite(n_nodes)
    return z.copy(), w.copy()


@functools.lru_cache(maxsize=4)
def _gauss_hermite(n_nodes):
    z, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    return z, w / w.sum()


@njit(cache=True, inline="always")
def blend_weight(q):
    """``(b, db/dq)``: the Edgeworth density's share ``b = S(log q / log _BLEND_TOP)`` of an atom's
    log-density, ``S(x) = x³(10 − 15x + 6x²)`` (twice continuously differentiable, ``S(0) = 0``,
    ``S(1) = 1``), for ``1 < q < _BLEND_TOP``; ``0`` below, ``1`` above."""
    if q <= 1.0:
        return 0.0, 0.0
    if q >= _BLEND_TOP:
        return 1.0, 0.0
    x = math.log(q) / _LOG_BLEND_TOP
    return x * x * x * (10.0 + x * (6.0 * x - 15.0)), 30.0 * x * x * (1.0 - x) * (1.0 - x) / (q * _LOG_BLEND_TOP)


def atom_grid(a_active, eta, loss_code, score_span, plain=False, n_big_max=_N_BIG):
    """``(scale, h, j_lo, n_atoms, n_big)`` of the rule for active weights ``a_active`` (sorted, largest first).

    The atoms sit at the tilts ``λ_j = sinh((j_lo + j) h) / scale``, ``j < n_atoms``
    (``scale = σ₀/L``, see the module docstring).

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
    plain : bool
        No stretch and no early end (:func:`tail_margin`): the tests' reference grid.
    n_big_max : int
        At most this many largest coordinates exact in the hybrid density (``_N_BIG``, or
        ``_N_BIG + 1`` for the other side of :func:`hybrid_tie_weight`'s blend).
    """
    out = np.empty(5)
    # the steps are read at each call (benchmarks/bench_cube_accuracy.py --steps refines them)
    _grid(np.ascontiguousarray(a_active, dtype=np.float64), float(eta), int(loss_code), float(score_span),
          bool(plain), _H_DENSITY, _H_HINGE, _H_SQUARED_HINGE, _H_MAX, int(n_big_max), out)
    return float(out[0]), float(out[1]), int(out[2]), int(out[3]), int(out[4])


@njit(cache=True)
def _atom_grid(a_active, eta, loss_code, score_span, plain, h_density, h_hinge, h_squared_hinge, h_max, n_big_max,
               out):
    """:func:`atom_grid` into ``out = (scale, h, j_lo, n_atoms, n_big)``, with the steps
    ``_H_DENSITY, _H_HINGE, _H_SQUARED_HINGE, _H_MAX`` as arguments."""
    d = a_active.shape[0]
    total = 0.0
    sq = 0.0
    for k in range(d):
        total += a_active[k]
        sq += a_active[k] * a_active[k]
    s0 = math.sqrt(sq / 3.0)
    n_exact = spline_prefix(a_active)
    n_big = d if d <= _SPLINE_MAX and n_exact == d else (n_exact if n_exact < n_big_max else n_big_max)
    big = 0.0  # Σ a_k² of the n_big first
    for k in range(n_big):
        big += a_active[k] * a_active[k]
    h_loss = (h_hinge if loss_code == HINGE else h_squared_hinge if loss_code == SQUARED_HINGE
              else _H_LOSS) / s0
    # coordinates round off the kinks of the exact density of those before them only if they
    # span a few atoms of the fine step
    kink_span = _KINK_ATOMS * s0 * _H_SPLINE
    # the exact density's kinks need fine steps unless the rest (the hybrid's Edgeworth part)
    # rounds them off
    spline = _tail_sum(a_active, n_big) < kink_span
    # two coordinates give p_T kinks (slope jumps), a finer step unless the rest rounds them off
    # (hypothesis found d = 3 with a = (1.1, 0.55, 1.7e-4): 1.4e-5 relative)
    kinked = d >= 2 and _tail_sum(a_active, 2) < kink_span
    h_bulk = (_H_SPLINE_2 if kinked else _H_SPLINE) if spline else h_max
    h_bulk = h_loss if h_loss < h_bulk else h_bulk
    if not spline and n_big < d and (loss_code == HINGE or loss_code == SQUARED_HINGE):
        # the hinge's kink beside the big part's kinks, which the rest rounds off over about its
        # σ: at least _ROUND_STEPS bulk steps (σ₀ h in t) to that width
        rest = 0.0
        for k in range(n_big, d):
            rest += a_active[k] * a_active[k]
        sigma_rest = math.sqrt(rest / 3.0)
        step = sigma_rest / (_ROUND_STEPS * s0)
        step = step if step > _H_SPLINE else _H_SPLINE
        h_bulk = step if step < h_bulk else h_bulk
    h = h_density / math.sqrt(d)
    h = h_bulk if h_bulk < h else h
    stretch = 1.0
    if loss_code == LOGISTIC and not plain:
        # λ = stretch sinh(v)/σ₀: bulk steps of h_bulk, tail steps of h (module docstring); not
        # where the bulk takes the hybrid density (q = K''_S/K''_B at λ = 0 below _BLEND_TOP:
        # blend_weight is 0 there), whose big coordinates' kinks need fine steps. It grows from 1
        # to h_bulk/h as q goes from _BLEND_TOP to _BLEND_TOP², as the Edgeworth share of
        # cube_atoms (a switch moved the atoms at once, and F by 4e-7 on the digits)
        stretch = 1.0 + (h_bulk / h - 1.0) * blend_weight((3.0 * s0 * s0 - big) / (_BLEND_TOP * big))[0]
    slope = 1.0 if loss_code == LOGISTIC or loss_code == HINGE else 2.0 * (1.0 + total + score_span)
    # tilts beyond ~1e15 d / A put the atoms within rounding of the edge A
    lam_cap = 1e15 * d / total
    lam_top = slope / eta if slope / eta < lam_cap else lam_cap
    margin = -_V_LOW + _TAIL_WIDTHS / math.sqrt(d)
    v_top = math.asinh(s0 * lam_top) + margin
    lam_hi = math.sinh(v_top if v_top < 700.0 else 700.0) / s0
    lam_hi = lam_hi if lam_hi < lam_cap else lam_cap
    k_top, _, n_top = tilt_sums(lam_top, a_active, not plain)
    if not plain:
        lam_hi = lam_top * math.exp(tail_margin(n_top, math.log(lam_hi / lam_top), _TAIL_DROP))
    lam_lo = math.sinh(margin) / s0
    lam_lo = lam_lo if lam_lo < lam_cap else lam_cap
    # few saturated coordinates leave heavy tails (d = 1: e^{-v}; one large a_k among tiny ones:
    # e^{-v} over decades of λ): go on until the integrand has provably fallen by e^{-_SATURATED_DROP}
    scale = s0 / stretch
    while lam_hi < lam_cap and tail_drop(lam_top, k_top, lam_hi, a_active, scale) < _SATURATED_DROP:
        lam_hi = lam_hi * _EXTEND if lam_hi * _EXTEND < lam_cap else lam_cap
    while lam_lo < lam_cap and tail_drop(0.0, 0.0, lam_lo, a_active, scale) < _SATURATED_DROP:
        lam_lo = lam_lo * _EXTEND if lam_lo * _EXTEND < lam_cap else lam_cap
    j_lo = math.floor(-math.asinh(scale * lam_lo) / h)
    out[0] = scale
    out[1] = h
    out[2] = j_lo
    out[3] = math.ceil(math.asinh(scale * lam_hi) / h) - j_lo + 1
    out[4] = n_big


@njit(cache=True, inline="always")
def _tail_sum(a, first):
    """``Σ_{k >= first} a_k``."""
    acc = 0.0
    for k in range(first, a.shape[0]):
        acc += a[k]
    return acc


@njit(cache=True)
def tilt_sums(lam, a, with_n=False):
    """``(K(λ), K'(λ), N(λ))`` of ``T = Σ_k a_k u_k`` at a tilt ``λ >= 0``, ``N = λ² K''(λ) =
    Σ_k 1 − (λa_k / sinh λa_k)²`` (``0`` unless ``with_n``), for the ends of the grid.

    ``K = Σ_k log(sinh x_k / x_k)`` and ``K' = Σ_k a_k (coth x_k − 1/x_k)``, ``x_k = λ a_k``
    (series below ``x = 0.1``: ``x²/6 − x⁴/180`` for ``K`` and ``x/3 − x³/45 + 2x⁵/945`` for
    ``K'``, ``1e-6`` relative at worst; ``x/3`` alone overstated ``K'``, and the fall of
    :func:`tail_drop` with it, by up to ``x²/15``).
    """
    k = 0.0
    slope = 0.0
    n = 0.0
    if lam == 0.0:
        return k, slope, n
    for i in range(a.shape[0]):
        x = lam * a[i]
        if x >= 0.1:
            k += x - math.log(2.0 * x) + math.log1p(-math.exp(-2.0 * x))
            slope += a[i] * (1.0 / math.tanh(x) - 1.0 / x)
        else:
            x2 = x * x
            k += x2 / 6.0 - x2 * x2 / 180.0
            slope += a[i] * x * (1.0 / 3.0 - x2 / 45.0 + x2 * x2 * 2.0 / 945.0)
        if with_n:
            xc = x if x < 700.0 else 700.0
            ratio = xc / math.sinh(xc) if xc >= 1e-4 else 1.0
            n += xc * xc / 3.0 if xc < 1e-4 else 1.0 - ratio * ratio
    return k, slope, n


@njit(cache=True)
def tail_margin(n_top, limit, drop=_TAIL_DROP):
    """Steps ``Δ`` in ``log λ`` beyond the largest saddle point ``λ_top`` after which the integrand
    has fallen by ``e^{−drop}``, or ``limit`` if that is smaller or the bound does not apply.

    With ``κ = −φ'/η <= λ_top`` the integrand of ``F`` in ``x = log λ`` has the log-slope
    ``(κ − λ) λ K''(λ) + 1 + λ K⁽³⁾/(2K'') <= −(1 − λ_top/λ) N(λ_top) + 1`` for ``λ > λ_top``
    (``K⁽³⁾ < 0`` there), where ``N(λ) = λ² K''(λ)`` (``n_top = N(λ_top)``, :func:`tilt_sums`)
    increases with ``λ``. So it falls by at least ``N(Δ − 1 + e^{−Δ}) − Δ`` over ``Δ`` (solved
    for ``drop`` by Newton's method, whose iterates stay above the root).
    """
    if n_top * (limit - 1.0 + math.exp(-limit)) - limit - drop <= 0.0:
        return limit
    # Newton from the right on a convex increasing function: every iterate stays above the root
    delta = limit
    for _ in range(8):
        fall = n_top * (delta - 1.0 + math.exp(-delta)) - delta - drop
        delta -= fall / (n_top * (1.0 - math.exp(-delta)) - 1.0)
    return delta


@njit(cache=True)
def tail_drop(lam_from, k_from, lam_end, a, scale):
    """A lower bound on how far the log-integrand of ``F`` falls from the tilt ``λ_from`` to
    ``λ_end > λ_from >= 0``, for any loss tilt ``κ = −φ'/η <= λ_from``, in the grid's variable;
    ``k_from = K(λ_from)`` (:func:`tilt_sums`).

    Its ``λ``-derivative is ``(κ − λ) K''(λ)`` plus the density's and the map's Jacobians, so
    it falls by at least ``∫ (μ − λ_from) K''(μ) dμ = (λ_end − λ_from) K'(λ_end) − K(λ_end) +
    K(λ_from)``, less the growth of ``dλ/dv ∝ √(1 + (scale λ)²)``, ``log(1 + scale λ_end)``
    (``K''`` falls: its half-log helps and is left out). The same holds for ``−λ`` below ``0``
    (``T`` is symmetric and ``κ >= 0``).
    """
    k_end, slope_end, _ = tilt_sums(lam_end, a, False)
    return (lam_end - lam_from) * slope_end - k_end + k_from - math.log1p(scale * lam_end)


# the form compiled ahead of time at install where it exists (skentropic/_core/_aot.py)
_grid = kernel("atom_grid", _atom_grid)


@njit(cache=True, inline="always")
def _series_start(lam, a, first):
    """First ``k >= first`` with ``|λ| a_k < _SERIES_X`` (``a`` decreasing), else ``len(a)``."""
    x = abs(lam)
    d = a.shape[0]
    lo, hi = first, d
    while lo < hi:
        mid = (lo + hi) // 2
        if x * a[mid] < _SERIES_X:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def _atom_cumulants(lam, a, n_big, gk, cum, cum_big, cum_small, suffix):
    """Cumulants ``K^{(r)}(λ)``, ``r <= 4``: ``cum`` of the whole sum, ``cum_big`` of its ``n_big``
    first coordinates and ``cum_small`` of the rest (zero when ``n_big == len(a)``).

    The coordinates summed exactly fill ``gk[k, r] = g^{(r)}(λ a_k)`` (signed; ``g = log sinhc``)
    and add ``a_k^r gk[k, r]``: all of them when ``n_big == len(a)``, else those before the
    series start ``k₀`` (:func:`_series_start`). Beyond ``k₀``, with ``g^{(r)}(x) = Σ_m D_{rm}
    x^{2m + r mod 2}`` (32 terms, ``5e-15`` relative or better for ``x <= 1.5``), ``Σ_{k >= k₀}
    a_k^r g^{(r)}(λa_k) = λ^{r mod 2} a_{k₀}^{2⌈r/2⌉} Σ_m D_{rm} (λa_{k₀})^{2m} S[m + ⌈r/2⌉, k₀]``
    with the scaled suffix power sums ``S`` of :func:`suffix_power_sums`: ``O(1)`` per tilt
    instead of ``O(d)``.
    """
    d = a.shape[0]
    k0 = d if n_big == d else _series_start(lam, a, n_big)
    sign = 1.0 if lam >= 0.0 else -1.0
    x_scale = abs(lam)
    for r in range(5):
        cum_big[r] = 0.0
        cum_small[r] = 0.0
    for k in range(k0):
        log_sinhc_derivatives(x_scale * a[k], gk[k])
        p = 1.0
        for r in range(N_DERIV):
            if r % 2 == 1:
                gk[k, r] *= sign
            if r < 5:
                if k < n_big:
                    cum_big[r] += p * gk[k, r]
                else:
                    cum_small[r] += p * gk[k, r]
                p *= a[k]
    x0 = x_scale * a[k0] if k0 < d else 0.0
    x2 = x0 * x0  # below _SERIES_X²
    a2 = a[k0] * a[k0] if k0 < d else 0.0
    for r in range(5):
        if k0 < d:
            off = (r + r % 2) // 2
            pw = 1.0
            acc = 0.0
            for m in range(SERIES_TABLE.shape[1]):
                acc += SERIES_TABLE[r, m] * pw * suffix[m + off, k0]
                pw *= x2
            # a2^off by products: in these kernels any float ** int, even with a literal exponent,
            # compiles numba's integer-power routine (about 0.1 s of a first fit)
            cum_small[r] += acc * (lam if r % 2 == 1 else 1.0) * (1.0 if off == 0 else a2 if off == 1 else a2 * a2)
        cum[r] = cum_big[r] + cum_small[r]


@njit(cache=True)
def cube_atoms(a, n_big, s0, h, j_lo, gh_z, gh_w, corners, signs, signed_eps, table, suffix, saved, rows, t_out,
               lw_out):
    """Atoms ``t_j`` and log weights ``ℓ_j`` of the rule (see the module docstring).

    ``a`` holds the positive coordinates, its ``n_big`` largest first (all of them when
    ``n_big == len(a)``: exact density), ``corners, signs, signed_eps`` the sign patterns of
    those ``n_big`` (:func:`~._cube_density.spline_corners`) and ``table`` their sums as
    polynomials (:func:`~._cube_density.spline_table`, for the hybrid density's many nodes);
    ``t_out``/``lw_out`` have the number of atoms.
    ``saved`` of shape ``(n_atoms, SAVED_COLUMNS + n_big)`` receives what
    :func:`~._cube_gradient.cube_atoms_gradient` needs of each atom: its density's kind (``−1``: zero density),
    the spline partials or the hybrid's aggregates, and the cumulants ``K^{(r)}`` of the whole
    sum and of its small part; ``rows`` of shape ``(n_atoms, d, N_DERIV)`` receives each atom's
    ``g^{(r)}(λ a_k)`` of :func:`_atom_cumulants` (most of the gradient pass's work, were it to
    recompute them), or has no rows and receives nothing.

    An atom's density is the exact spline (kind 1) when every coordinate is big, else the
    hybrid (kind 2) where the small part's variance is at most the big part's (``q = K''_S/K''_B
    <= 1``), the Edgeworth density (kind 0) from ``q >= _BLEND_TOP`` (or where the hybrid's
    quadrature sum is not positive), and between them the blend ``log p = (1 − b) log p_hybrid +
    b log p_Edgeworth``, ``b`` of :func:`blend_weight` (kind 3, with ``b`` and the gap
    ``log p_Edgeworth − log p_hybrid`` saved), so that ``ℓ_j`` is continuous in ``a``.
    """
    # the density is chosen here, not in a helper kernel: numba compiles a callee's code again
    # inside each caller (one level fewer: benchmarks/bench_cold_start.py)
    d = a.shape[0]
    cum, cum_big, cum_small = np.empty(5), np.empty(5), np.empty(5)
    scratch = np.empty((d, N_DERIV))
    keep = rows.shape[0] == t_out.shape[0]
    terms = np.empty((gh_z.shape[0] + 1, 3 + n_big))  # a row for the exact spline even without nodes
    agg = np.empty(4 + n_big)
    log_norm_big = _log_spline_norm(a[:n_big])
    for j in range(t_out.shape[0]):
        v = (j_lo + j) * h
        lam = math.sinh(v) / s0
        gk = rows[j] if keep else scratch
        _atom_cumulants(lam, a, n_big, gk, cum, cum_big, cum_small, suffix)
        for r in range(5):
            saved[j, _CUM_COLUMN + n_big + r] = cum[r]
            saved[j, _CUM_SMALL_COLUMN + n_big + r] = cum_small[r]
        kind = 0
        log_p = np.nan
        if n_big == d:
            kind = 1
            _spline_terms(cum[1], corners, signs, signed_eps, terms[0])
            log_p = math.log(terms[0, 0]) - log_norm_big if terms[0, 0] > 0.0 else -np.inf
        elif cum_small[2] < _BLEND_TOP * cum_big[2]:
            log_p = _hybrid_density(lam, a[:n_big], corners, table, cum_big, cum_small, log_norm_big, gh_z, gh_w,
                                    terms, agg)
            kind = 2
        # the Edgeworth density's share of log p: none for the spline
        share = 0.0 if kind == 1 else blend_weight(cum_small[2] / cum_big[2])[0] if not np.isnan(log_p) else 1.0
        gap = 0.0
        if share > 0.0:
            log_e = cum[0] - lam * cum[1] - 0.5 * (_LOG_2PI + math.log(cum[2])) + math.log(_edgeworth(cum))
            if share < 1.0:
                kind = 3
                gap = log_e - log_p
                log_p += share * gap
            else:
                kind = 0
                log_p = log_e
        saved[j, _BLEND_COLUMN + n_big] = share
        saved[j, _BLEND_COLUMN + n_big + 1] = gap
        t_out[j] = cum[1]
        lw_out[j] = log_p + math.log(cum[2]) + math.log(h * math.cosh(v) / s0)
        saved[j, 0] = -1.0 if log_p == -np.inf else kind
        # element loops: an array-to-array slice assignment compiles numba's shape-mismatch
        # error formatting (1-2 s of a cold start)
        for i in range(4 + n_big):
            if kind == 1:
                saved[j, 1 + i] = terms[0, i] if i < 2 + d else 0.0
            else:
                saved[j, 1 + i] = agg[i] if kind >= 2 else 0.0


@njit(cache=True, parallel=True)
def cube_atoms_parallel(a, n_big, s0, h, j_lo, gh_z, gh_w, corners, signs, signed_eps, table, suffix, saved, rows,
                        t_out, lw_out):
    """:func:`cube_atoms` with the atoms split into fixed chunks over the threads (same values)."""
    n = t_out.shape[0]
    n_chunks = chunk_count(n)
    for c in prange(n_chunks):
        start = c * n // n_chunks
        stop = (c + 1) * n // n_chunks
        cube_atoms(a, n_big, s0, h, j_lo + start, gh_z, gh_w, corners, signs, signed_eps, table, suffix,
                   saved[start:stop],
                   rows[start:stop] if rows.shape[0] == n else rows, t_out[start:stop], lw_out[start:stop])
