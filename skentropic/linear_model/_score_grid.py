"""Tabulate-and-interpolate evaluation of the binary entropic margin loss over the scores.

For a binary margin loss every point's entropic loss depends on the point only through its
signed score ``s_i = y_i (w·x_i + b)``: ``F_i = f(s_i)`` with one function ``f`` for all points.

- ``l_2`` quadrature (the (squared) hinge): ``f(s) = F(s, r)`` of
  :mod:`skentropic.linear_model._quadrature`, ``r = ρ ||w||_2``; the gradient also needs
  ``f_r = ∂F/∂r``;
- atom rules (:mod:`skentropic.linear_model._atom_rule`: fixed antithetic samples, the exact
  ``l_∞`` and ``l_1`` rules, the ``l_2`` rule of the logistic loss):
  ``f(s) = η log Σ_j ω_j exp(φ(s + δ_j)/η)``, and the gradient needs the atom adjoints
  ``Σ_i sw_i ψ_j(s_i)`` and ``Σ_i sw_i π_j(s_i)`` with ``π = softmax(ℓ + φ(s + δ)/η)`` and
  ``ψ_j = π_j φ'(s + δ_j)``.

Piecewise Chebyshev interpolation
---------------------------------
``[min_i s_i, max_i s_i]`` is cut into pieces; on each piece ``[a, b]`` the functions are
computed exactly at the ``_DEGREE + 1 = 17`` Chebyshev–Lobatto points
``s_k = (a + b)/2 + (b − a)/2 cos(kπ/16)`` and replaced by their interpolating polynomial
``P f(s) = Σ_l c_l T_l(x)``, ``x = (2s − a − b)/(b − a)``. A point's ``F_i = P f(s_i)`` and
``∂F_i/∂s_i = (P f)'(s_i)`` (the derivative of the same polynomial, so the gradient is exact for
the computed objective), ``∂F_i/∂r = P f_r(s_i)``. The adjoints are aggregated on the nodes:
``Σ_i sw_i P g(s_i) = Σ_k σ_k g(s_k)`` for any tabulated ``g``, with the node weights
``σ = M C`` from the piece's moments ``M_l = Σ_i sw_i T_l(x_i)`` and the values-to-coefficients
matrix ``C``, so the cost is ``O(G m)`` instead of ``O(n m)``.

Approximation and error control
-------------------------------
The pieces start as ``_N_START`` equal parts and are cut adaptively. A piece is accepted
when the last two Chebyshev coefficients of ``f`` (and, for the quadrature with the (squared)
hinge, of ``f_r``) are below ``_TOL (1 + max|g|)`` (``_TOL = 1e-10``). For the analytic
functions here the coefficients decay geometrically, so the interpolation error is of the
order of that tail (the standard a-posteriori estimate of Chebyshev interpolation; an
estimate, not a proof). The functions the gradient needs (the atom adjoints, ``f_r``) need no
test of their own: ``P`` is linear in the node values, so ``∂/∂θ Σ_i sw_i P f(s_i) = Σ_k σ_k
∂f(s_k)/∂θ`` for any parameter ``θ`` of ``f`` (an atom's shift or weight, ``r``), the
gradient of the computed objective whatever the accuracy of ``P ψ_j``, ``P π_j`` or
``P f_r``. Testing their tails too (absolute ``_TOL`` for ``ψ_j``, ``π_j``, until 2026-11-27)
cut the pieces further for the atoms' sharp weights and for ``f_r`` at small ``η``, which
made those fits up to 2x slower (``benchmarks/bench_deterministic.py``), with the same
iterates; the gradient stays within ``1e-9`` of the directly evaluated one
(``tests/test_score_grid.py``). ``f_r`` keeps its test for the (squared) hinge, whose kink it
resolves less well than ``f``: without it that gradient moved ``1.4e-9`` from the direct one,
beyond the bound of ``test_grid_objective_matches_direct_evaluation``. A piece that fails the
test is cut into ``2`` to ``_MAX_SPLIT`` equal parts, as many as its tail predicts
(:func:`split_factor`), only while its points are more than the parts' nodes: otherwise its
points are evaluated directly, as are the points of every piece left when the node budget
(``n``, at most ``_MAX_NODES``) is spent. So the grid never costs much more than the direct
evaluation, and a function the grid cannot resolve (the hinge's kink at small ``η``) is exact
wherever it is not resolved. Atom rules are tabulated for the logistic loss only: with atoms
the (squared) hinge is non-smooth at ``m`` kinks. Everything runs in a fixed order: results are
bit-reproducible and do not depend on the number of threads (the node kernels run on one
thread: a level of a few hundred nodes does not pay for waking the thread pool).
"""

import math

import numpy as np
from numba import njit

from .._core._aot import kernel
from .._core._logmeanexp import exp_shifted
from .._core._losses import LOGISTIC
from ._atom_rule import margin_atoms
from ._quadrature import _loss_and_derivative, entropic_margin_l2, entropic_margin_l2_batch

_DEGREE = 16
_LOBATTO = np.cos(np.pi * np.arange(_DEGREE + 1) / _DEGREE)  # Chebyshev–Lobatto points, 1 to −1
_TOL = 1e-10
_N_START = 4  # pieces of the initial grid
_START = np.arange(_N_START + 1, dtype=np.float64)
_SPLIT_POINTS = 2 * (_DEGREE + 1)  # two pieces' worth of nodes
_MAX_SPLIT = 8  # a failing piece is cut into at most this many parts (split_factor)
_MAX_SPLIT_PIECES = _MAX_SPLIT + 1  # pieces per evaluated slot at most (adaptive_grid)
_MAX_NODES = 16384
_BINS = 4096  # histogram of the scores that estimates the points of a piece
_SERIAL_POINTS = 2048  # fewer direct points run on one thread (no thread-pool wake-up, no compilation)
_SERIAL_ATOM_POINTS = 256  # ... for an atom rule (its node kernel holds (points, atoms) arrays)


def _values_to_coefficients(degree):
    """Matrix ``C`` with ``c = C f``: Chebyshev coefficients from values at the Lobatto points."""
    k = np.arange(degree + 1)
    c = (2.0 / degree) * np.cos(np.pi * np.outer(k, k) / degree)
    c[:, [0, -1]] *= 0.5
    c[[0, -1]] *= 0.5
    return c


_COEF = _values_to_coefficients(_DEGREE)


@njit(cache=True)
def atom_nodes(svals, shift, log_w, eta, loss_code, out_f, psi, pi):
    """``f``, ``ψ_j = π_j φ'(s + δ_j)`` and ``π_j`` of an atom rule at every node ``svals[k]``.

    ``f = η log Σ_j ω_j exp(φ(s + δ_j)/η)`` (:mod:`._atom_rule`), computed in log space with
    max-subtraction.
    """
    m = shift.shape[0]
    for k in range(svals.shape[0]):
        lw = pi[k]
        for j in range(m):
            v, dl = _loss_and_derivative(svals[k] + shift[j], loss_code)
            lw[j] = log_w[j] + v / eta
            psi[k, j] = dl
        top, acc = exp_shifted(lw, m)
        for j in range(m):
            lw[j] /= acc
            psi[k, j] *= lw[j]
        out_f[k] = eta * (top + np.log(acc))


@njit(cache=True)
def interpolate_grid(scores, sw, edges, coef_f, coef_r, direct, out_value, out_ds, out_dr, moments, direct_idx):
    """Evaluate the piecewise Chebyshev interpolants at every score; return the direct points.

    Point ``i`` in piece ``p``: ``out_value[i] = Σ_l coef_f[p, l] T_l(x)``, ``out_ds[i]`` its
    ``s``-derivative ``(2/(b − a)) Σ_l l coef_f[p, l] U_{l−1}(x)``, ``out_dr[i]`` from ``coef_r``,
    and ``moments[p, l] += sw_i T_l(x)`` (skipped if ``moments`` has no rows). Points of pieces
    flagged ``direct`` are skipped and their indices written to ``direct_idx[:count]``;
    ``count`` is returned.
    """
    n_pieces = edges.shape[0] - 1
    n_coef = coef_f.shape[1]
    for p in range(moments.shape[0]):
        for j in range(moments.shape[1]):
            moments[p, j] = 0.0
    with_moments = moments.shape[0] > 0
    count = 0
    for i in range(scores.shape[0]):
        s = scores[i]
        lo, hi = 0, n_pieces
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if edges[mid] <= s:
                lo = mid
            else:
                hi = mid
        p = lo
        if direct[p]:
            direct_idx[count] = i
            count += 1
            continue
        a, b = edges[p], edges[p + 1]
        x = (2.0 * s - a - b) / (b - a)
        x = 1.0 if x > 1.0 else (-1.0 if x < -1.0 else x)  # not min/max: each compiles an overload
        x2 = 2.0 * x
        t0, t1 = 1.0, x  # T_{j-1}, T_j
        u0, u1 = 0.0, 1.0  # U_{j-2}, U_{j-1}
        value = coef_f[p, 0] + coef_f[p, 1] * x
        slope = coef_f[p, 1]
        dr = coef_r[p, 0] + coef_r[p, 1] * x
        if with_moments:
            moments[p, 0] += sw[i]
            moments[p, 1] += sw[i] * x
        for j in range(2, n_coef):
            t0, t1 = t1, x2 * t1 - t0
            u0, u1 = u1, x2 * u1 - u0
            value += coef_f[p, j] * t1
            slope += j * coef_f[p, j] * u1
            dr += coef_r[p, j] * t1
            if with_moments:
                moments[p, j] += sw[i] * t1
        out_value[i] = value
        out_ds[i] = slope * 2.0 / (b - a)
        out_dr[i] = dr
    return count


# the forms compiled ahead of time at install where they exist (skentropic/_core/_aot.py)
_atom_nodes = kernel("atom_nodes", atom_nodes)
_interpolate_grid = kernel("interpolate_grid", interpolate_grid)
_margin_l2 = kernel("entropic_margin_l2", entropic_margin_l2)


@njit(cache=True)
def _excess(f, f_r, first, count, test_r, quadrature, out):
    """Per piece ``first .. first + count − 1`` (rows of 17 node values): the largest of the last
    two Chebyshev coefficients of ``f`` relative to ``1 + max|f|`` (and of ``f_r`` with ``test_r``),
    over ``_TOL`` (a piece passes at ``<= 1``); ``inf`` where a value is not finite."""
    k_nodes = _DEGREE + 1
    for p in range(count):
        row = (first + p) * k_nodes
        worst = 0.0
        finite = True
        for which in range(2 if test_r or quadrature else 1):
            g = f if which == 0 else f_r
            top, c_last, c_prev = 0.0, 0.0, 0.0
            for k in range(k_nodes):
                v = g[row + k]
                if not np.isfinite(v):
                    finite = False
                top = max(top, abs(v))
                c_prev += _COEF[_DEGREE - 1, k] * v
                c_last += _COEF[_DEGREE, k] * v
            if which == 0 or test_r:
                worst = max(worst, max(abs(c_prev), abs(c_last)) / (1.0 + top))
        out[p] = worst / _TOL if finite else np.inf


@njit(cache=True)
def split_factor(excess):
    """Parts to cut a failing piece into: ``⌈excess^{1/16}⌉`` (2 to ``_MAX_SPLIT``; 2 where the
    excess is not finite).

    Where a function varies on a scale of its own (``e^{φ/η}`` at small ``η``), the tail of a
    degree-16 interpolant shrinks like the piece's width to the 16th power, so one cut into
    that many parts passes, instead of a chain of bisections whose levels are each evaluated
    and thrown away; where the tail shrinks more slowly (a singularity near the piece) the
    parts fail again and are cut again.
    """
    if not np.isfinite(excess):
        return 2
    return min(max(int(math.ceil(excess ** (1.0 / _DEGREE))), 2), _MAX_SPLIT)


@njit(cache=True)
def bin_index(x):
    """``x`` (a position in bins, a float) as an index in ``[0, _BINS]``: ``0`` for ``nan``. A range of
    scores below ``_BINS / 1.8e308`` makes the positions infinite or ``nan``, and an integer
    conversion of those is undefined."""
    if not x > 0.0:
        return 0
    return int(x) if x < _BINS else _BINS


@njit(cache=True)
def adaptive_grid(scores, lo, hi, quadrature, test_r, r, eta, d, loss_code, log_z, bulk, nodes, weights, shift,
                  log_w, node_s, node_f, node_r, node_psi, node_pi, edges, slot):
    """The adaptive cutting of :func:`build_grid` (module docstring), on ``[lo, hi]``.

    The pieces' nodes are evaluated level by level into the rows of ``node_*`` (``node_s``,
    ``node_f``, ``node_r`` of length ``R (_DEGREE + 1)``, ``node_psi``, ``node_pi`` with as many
    rows and ``m`` columns; node slot ``R − 1`` is left zero for the direct pieces): the ``l_2``
    quadrature (:func:`entropic_margin_l2`, ``quadrature``) or the atom rule (:func:`atom_nodes`).
    Writes the ``P`` pieces in increasing order, their edges to ``edges[:P + 1]`` and their node
    slots to ``slot[:P]`` (``R − 1`` for a direct piece), and returns ``P``. At most
    ``R − 1 >= min(n, _MAX_NODES) // 17`` slots are evaluated; ``edges`` and ``slot`` need room for
    ``9 (R − 1)`` pieces: every evaluated piece is kept, cut or left direct once, and the last
    level, left direct, has at most ``_MAX_SPLIT`` times the pieces of the one before.
    """
    k_nodes = _DEGREE + 1
    n = scores.shape[0]
    budget = min(_MAX_NODES, n)
    zero_slot = node_f.shape[0] // k_nodes - 1
    cap = slot.shape[0]
    m = node_psi.shape[1]
    for k in range(zero_slot * k_nodes, (zero_slot + 1) * k_nodes):
        node_s[k] = node_f[k] = node_r[k] = 0.0
        for j in range(m):
            node_psi[k, j] = node_pi[k, j] = 0.0
    starts, ends, slots = np.empty(cap), np.empty(cap), np.empty(cap, dtype=np.int64)
    direct_a, direct_b = np.empty(cap), np.empty(cap)
    n_done, n_direct = 0, 0
    cur_a, cur_b, nxt_a, nxt_b = np.empty(cap), np.empty(cap), np.empty(cap), np.empty(cap)
    step = (hi - lo) / _N_START
    n_cur = _N_START
    for i in range(n_cur):
        cur_a[i] = _START[i] * step + lo
        cur_b[i] = hi if i == n_cur - 1 else _START[i + 1] * step + lo
    excess = np.empty(cap)
    ds = np.empty(node_f.shape[0])
    cum = np.empty(0, dtype=np.int64)  # the histogram of the scores, made when a piece first fails
    per_bin = _BINS / (hi - lo)
    used = 0
    while n_cur > 0:
        if used + n_cur * k_nodes > budget:
            for i in range(n_cur):
                direct_a[n_direct], direct_b[n_direct] = cur_a[i], cur_b[i]
                n_direct += 1
            break
        first = used // k_nodes
        lo_row, hi_row = used, used + n_cur * k_nodes
        for i in range(n_cur):
            mid, half = 0.5 * (cur_a[i] + cur_b[i]), 0.5 * (cur_b[i] - cur_a[i])
            for k in range(k_nodes):
                node_s[used + i * k_nodes + k] = mid + half * _LOBATTO[k]
        if quadrature:
            entropic_margin_l2(node_s[lo_row:hi_row], r, eta, d, loss_code, log_z, bulk, nodes, weights,
                               node_f[lo_row:hi_row], ds[lo_row:hi_row], node_r[lo_row:hi_row])
        else:
            atom_nodes(node_s[lo_row:hi_row], shift, log_w, eta, loss_code, node_f[lo_row:hi_row],
                       node_psi[lo_row:hi_row], node_pi[lo_row:hi_row])
            for k in range(lo_row, hi_row):
                node_r[k] = 0.0
        used = hi_row
        _excess(node_f, node_r, first, n_cur, test_r, quadrature, excess)
        n_next = 0
        for i in range(n_cur):
            a, b = cur_a[i], cur_b[i]
            if excess[i] <= 1.0:
                starts[n_done], ends[n_done], slots[n_done] = a, b, first + i
                n_done += 1
                continue
            parts = split_factor(excess[i])
            if cum.shape[0] == 0:
                cum = np.zeros(_BINS + 1, dtype=np.int64)
                for s in scores:
                    cum[min(bin_index((s - lo) * per_bin), _BINS - 1) + 1] += 1
                for j in range(_BINS):
                    cum[j + 1] += cum[j]
            ia = bin_index(np.floor((a - lo) * per_bin))  # at least the points of [a, b]
            ib = bin_index(np.ceil((b - lo) * per_bin))
            cut = cum[ib] - cum[ia] > parts * k_nodes  # (else cheaper evaluated directly)
            width = (b - a) / parts
            for j in range(parts):  # a piece too narrow to cut in floating point is not cut
                if cut and not a + j * width < (b if j + 1 == parts else a + (j + 1) * width):
                    cut = False
            if not cut:
                direct_a[n_direct], direct_b[n_direct] = a, b
                n_direct += 1
                continue
            for j in range(parts):
                nxt_a[n_next + j] = a + j * width
                nxt_b[n_next + j] = b if j + 1 == parts else a + (j + 1) * width
            n_next += parts
        cur_a, nxt_a = nxt_a, cur_a
        cur_b, nxt_b = nxt_b, cur_b
        n_cur = n_next
    for i in range(n_direct):
        starts[n_done + i], ends[n_done + i], slots[n_done + i] = direct_a[i], direct_b[i], zero_slot
    total = n_done + n_direct
    order = np.argsort(starts[:total], kind="mergesort")
    for p in range(total):
        edges[p], slot[p] = starts[order[p]], slots[order[p]]
    edges[total] = ends[order[total - 1]]
    return total


_adaptive_grid = kernel("adaptive_grid", adaptive_grid)


def build_grid(scores, *, quadrature, r, eta, d, loss_code, log_z=0.0, bulk=0.0, nodes=None, weights=None,
               shift=None, log_w=None):
    """Adaptive piecewise Chebyshev grid of ``f`` over ``[min s, max s]``, or ``None``.

    ``None`` when there are too few points for any piece to be worth tabulating. The cutting runs
    in one compiled kernel (:func:`adaptive_grid`; in NumPy until 2026-11-29, whose level-by-level
    bookkeeping took as long as the node evaluations on 1000 points).

    Returns
    -------
    grid : tuple ``(edges, direct, svals, f, f_r, psi, pi)``
        Piece edges ``(P + 1,)`` (increasing), ``direct (P,)`` (bool: the piece's points are
        evaluated directly), the nodes ``svals (P, 17)`` and the node values ``f, f_r (P, 17)``
        and ``psi, pi (P, 17, m)`` (zero-filled on direct pieces; ``m = 0`` for the quadrature).
    """
    n = scores.shape[0]
    lo, hi = float(scores.min()), float(scores.max())
    if n < _N_START * _SPLIT_POINTS or not np.isfinite(hi - lo):
        return None
    if hi == lo:  # one distinct score (w = 0, b = 0): any piece holding it is exact there
        hi = lo + 1.0
    nodes = np.empty(0) if nodes is None else nodes
    weights = np.empty(0) if weights is None else weights
    shift = np.empty(0) if shift is None else np.ascontiguousarray(shift, dtype=np.float64)
    log_w = np.empty(0) if log_w is None else np.ascontiguousarray(log_w, dtype=np.float64)
    k_nodes = _DEGREE + 1
    rows = (min(_MAX_NODES, n) // k_nodes + 1) * k_nodes  # the budget's slots and a zero slot
    m = 0 if quadrature else shift.shape[0]
    node_s, node_f, node_r = np.empty(rows), np.empty(rows), np.empty(rows)
    node_psi, node_pi = np.empty((rows, m)), np.empty((rows, m))
    cap = _MAX_SPLIT_PIECES * (rows // k_nodes - 1) + _N_START
    edges, slot = np.empty(cap + 1), np.empty(cap, dtype=np.int64)
    test_r = bool(quadrature) and loss_code != LOGISTIC  # f_r's own tail test (module docstring)
    count = _adaptive_grid(np.ascontiguousarray(scores, dtype=np.float64), lo, hi, bool(quadrature), test_r,
                           float(r), float(eta), float(d), int(loss_code), float(log_z), float(bulk), nodes, weights,
                           shift, log_w, node_s, node_f, node_r, node_psi, node_pi, edges, slot)
    slot = slot[:count]
    shape = (rows // k_nodes, k_nodes)
    return (edges[:count + 1], slot == shape[0] - 1, node_s.reshape(shape)[slot], node_f.reshape(shape)[slot],
            node_r.reshape(shape)[slot], node_psi.reshape(shape + (m,))[slot], node_pi.reshape(shape + (m,))[slot])


def grid_margin(scores, sw, grid, values, ds, dr, with_spread=True):
    """Fill ``values``, ``ds``, ``dr`` from the grid; return the node weights and the direct points.

    Returns
    -------
    spread : ndarray of shape (P * 17,)
        ``σ_k``: ``Σ_i sw_i P g(s_i) = Σ_k σ_k g(s_k)`` over the grid's (non-direct) points.
    direct_idx : ndarray of int64
        Indices of the points to evaluate directly (their outputs are not written).
    """
    edges, flags, _, f, f_r = grid[:5]
    coef_f = f @ _COEF.T
    coef_r = f_r @ _COEF.T
    moments = np.empty_like(coef_f) if with_spread else np.empty((0, coef_f.shape[1]))
    direct_idx = np.empty(scores.shape[0], dtype=np.int64)
    count = _interpolate_grid(scores, sw, edges, coef_f, coef_r, flags, values, ds, dr, moments, direct_idx)
    return ((moments @ _COEF).ravel() if with_spread else None), direct_idx[:count]


def l2_margin(scores, sw, r, eta, d, loss_code, log_z, bulk, nodes, weights, values, ds, dr, score_grid):
    """``F_i``, ``∂F_i/∂s_i``, ``∂F_i/∂r`` of the ``l_2`` quadrature, on the grid where it pays."""
    args = (float(r), float(eta), float(d), int(loss_code), float(log_z), float(bulk), nodes, weights)
    grid = None
    if score_grid and r > 0:
        grid = build_grid(scores, quadrature=True, r=r, eta=eta, d=d, loss_code=loss_code, log_z=log_z,
                          bulk=bulk, nodes=nodes, weights=weights)
    if grid is None:
        _l2_direct(scores, args, values, ds, dr)
        return
    idx = grid_margin(scores, sw, grid, values, ds, dr, with_spread=False)[1]
    if idx.shape[0]:
        v, g, h = np.empty(idx.shape[0]), np.empty(idx.shape[0]), np.empty(idx.shape[0])
        _l2_direct(np.ascontiguousarray(scores[idx]), args, v, g, h)
        values[idx], ds[idx], dr[idx] = v, g, h


def _l2_direct(scores, args, values, ds, dr):
    """Every point by the quadrature: on one thread for few points or ``r = 0`` (``F = φ``)."""
    if args[0] == 0.0 or scores.shape[0] < _SERIAL_POINTS:
        _margin_l2(scores, *args, values, ds, dr)
    else:
        entropic_margin_l2_batch(scores, *args, values, ds, dr)


def atom_margin(scores, sw, shift, log_w, eta, loss_code, kink, values, ds, score_grid):
    """Fill ``values``/``ds`` from an atom rule; return the adjoints ``(Σ sw ψ_j, Σ sw π_j)``.

    ``score_grid``: tabulate (callers pass it for the logistic loss only); else every point is
    evaluated by :func:`._atom_rule.margin_atoms` (``kink``: its hinge correction).
    """
    m = shift.shape[0]
    dshift, pi = np.zeros(m), np.zeros(m)
    grid = None
    if score_grid:
        grid = build_grid(scores, quadrature=False, r=0.0, eta=eta, d=0.0, loss_code=loss_code, shift=shift,
                          log_w=log_w)
    if grid is None:
        margin_atoms(scores, sw, shift, log_w, float(eta), int(loss_code), bool(kink), values, ds, dshift, pi)
        return dshift, pi
    spread, idx = grid_margin(scores, sw, grid, values, ds, np.empty(scores.shape[0]))
    psi_nodes, pi_nodes = grid[5], grid[6]
    dshift = spread @ psi_nodes.reshape(-1, m)
    pi = spread @ pi_nodes.reshape(-1, m)
    if idx.shape[0] and not kink and idx.shape[0] < _SERIAL_ATOM_POINTS:
        # few points: the serial node kernel (no parallel launch, which cost 0.1-10 ms on the
        # direct piece of a 1000-point fit), adjoints summed here
        v, psi, pi_direct = np.empty(idx.shape[0]), np.empty((idx.shape[0], m)), np.empty((idx.shape[0], m))
        _atom_nodes(np.ascontiguousarray(scores[idx]), np.ascontiguousarray(shift, dtype=np.float64),
                   np.ascontiguousarray(log_w, dtype=np.float64), float(eta), int(loss_code), v, psi, pi_direct)
        values[idx], ds[idx] = v, psi.sum(axis=1)
        dshift += sw[idx] @ psi
        pi += sw[idx] @ pi_direct
    elif idx.shape[0]:
        v, g, d_shift, d_pi = np.empty(idx.shape[0]), np.empty(idx.shape[0]), np.empty(m), np.empty(m)
        margin_atoms(np.ascontiguousarray(scores[idx]), np.ascontiguousarray(sw[idx]), shift, log_w, float(eta),
                     int(loss_code), bool(kink), v, g, d_shift, d_pi)
        values[idx], ds[idx] = v, g
        dshift += d_shift
        pi += d_pi
    return dshift, pi
