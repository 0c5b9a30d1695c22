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
(:func:`_split_factor`), only while its points are more than the parts' nodes: otherwise its
points are evaluated directly, as are the points of every piece left when the node budget
(``n``, at most ``_MAX_NODES``) is spent. So the grid never costs much more than the direct
evaluation, and a function the grid cannot resolve (the hinge's kink at small ``η``) is exact
wherever it is not resolved. Atom rules are tabulated for the logistic loss only: with atoms
the (squared) hinge is non-smooth at ``m`` kinks. Everything runs in a fixed order: results are
bit-reproducible and do not depend on the number of threads (the node kernels run on one
thread: a level of a few hundred nodes does not pay for waking the thread pool).
"""

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
_MAX_SPLIT = 8  # a failing piece is cut into at most this many parts (_split_factor)
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


def _tail(values, scale):
    """Largest of the last two Chebyshev coefficients per piece, relative to ``scale``;
    ``values`` has shape ``(pieces, _DEGREE + 1)``."""
    return np.abs(values @ _COEF[-2:].T).max(axis=1) / scale


class _Tabulator:
    """Exact node values of ``f`` and the functions its gradient needs, piece by piece."""

    def __init__(self, quadrature, r, eta, d, loss_code, log_z, bulk, nodes, weights, shift, log_w):
        self.quadrature = quadrature
        # f_r's own tail test, for the (squared) hinge only (see the module docstring)
        self.test_r = quadrature and loss_code != LOGISTIC
        self.args = (float(r), float(eta), float(d), int(loss_code), float(log_z), float(bulk), nodes, weights)
        self.atom_args = (shift, log_w, float(eta), int(loss_code))
        self.m = 0 if quadrature else shift.shape[0]

    def evaluate(self, svals):
        """``(f, f_r, psi, pi)`` at ``svals`` of shape ``(pieces, _DEGREE + 1)``."""
        flat = np.ascontiguousarray(svals.ravel())
        f = np.empty(flat.shape[0])
        f_r = np.zeros(flat.shape[0])
        psi = np.empty((flat.shape[0], self.m))
        pi = np.empty((flat.shape[0], self.m))
        if self.quadrature:
            _margin_l2(flat, *self.args, f, np.empty(flat.shape[0]), f_r)
        else:
            _atom_nodes(flat, *self.atom_args, f, psi, pi)
        shape = svals.shape
        return f.reshape(shape), f_r.reshape(shape), psi.reshape(shape + (-1,)), pi.reshape(shape + (-1,))

    def excess(self, f, f_r):
        """Per piece, the largest coefficient tail over its tolerance (a piece passes at ``<= 1``);
        ``inf`` where a value is not finite."""
        worst = _tail(f, 1.0 + np.abs(f).max(axis=1))
        finite = np.isfinite(f).all(axis=1)
        if self.test_r:
            worst = np.maximum(worst, _tail(f_r, 1.0 + np.abs(f_r).max(axis=1)))
        if self.quadrature:
            finite &= np.isfinite(f_r).all(axis=1)
        worst /= _TOL
        worst[~finite] = np.inf
        return worst


def _split_factor(excess):
    """Parts to cut a failing piece into: ``⌈excess^{1/16}⌉`` (2 to ``_MAX_SPLIT``).

    Where a function varies on a scale of its own (``e^{φ/η}`` at small ``η``), the tail of a
    degree-16 interpolant shrinks like the piece's width to the 16th power, so one cut into
    that many parts passes, instead of a chain of bisections whose levels are each evaluated
    and thrown away; where the tail shrinks more slowly (a singularity near the piece) the
    parts fail again and are cut again.
    """
    parts = np.full(excess.shape[0], 2, dtype=np.int64)
    finite = np.isfinite(excess)  # (not nan or inf: no floating-point warnings below)
    parts[finite] = np.clip(np.ceil(excess[finite] ** (1.0 / _DEGREE)), 2, _MAX_SPLIT)
    return parts


def _cut(a, b, parts):
    """Cut piece ``[a_i, b_i]`` into ``parts_i`` equal pieces (``0``: not cut).

    Returns the new pieces' ``(a, b)`` and, per old piece, whether it stayed uncut (``parts_i =
    0``, or too narrow to cut in floating point).
    """
    owner = np.repeat(np.arange(a.shape[0]), parts)
    k = parts[owner]
    j = np.arange(owner.shape[0]) - np.repeat(np.cumsum(parts) - parts, parts)
    width = (b[owner] - a[owner]) / k
    new_a = a[owner] + j * width
    new_b = np.where(j + 1 == k, b[owner], a[owner] + (j + 1) * width)
    uncut = parts == 0
    uncut[owner[~(new_a < new_b)]] = True
    keep = ~uncut[owner]
    return new_a[keep], new_b[keep], uncut


def build_grid(scores, *, quadrature, r, eta, d, loss_code, log_z=0.0, bulk=0.0, nodes=None, weights=None,
               shift=None, log_w=None):
    """Adaptive piecewise Chebyshev grid of ``f`` over ``[min s, max s]``, or ``None``.

    ``None`` when there are too few points for any piece to be worth tabulating.

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
    tab = _Tabulator(bool(quadrature), r, eta, d, loss_code, log_z, bulk, nodes, weights, shift, log_w)
    per_bin = _BINS / (hi - lo)
    cum = None  # the histogram of the scores, made when a piece first fails

    def points_in(a, b):  # at least the points of [a, b] (whole bins)
        nonlocal cum
        if cum is None:
            bins = np.minimum(((scores - lo) * per_bin).astype(np.int64), _BINS - 1)
            cum = np.concatenate([[0], np.cumsum(np.bincount(bins, minlength=_BINS))])
        ia = np.clip(np.floor((a - lo) * per_bin).astype(np.int64), 0, _BINS)
        ib = np.clip(np.ceil((b - lo) * per_bin).astype(np.int64), 0, _BINS)
        return cum[ib] - cum[ia]

    budget = min(_MAX_NODES, n)
    edges = _START * ((hi - lo) / _N_START) + lo  # np.linspace(lo, hi, _N_START + 1), bit for bit
    edges[-1] = hi
    a, b = edges[:-1], edges[1:]
    done, direct = [], []
    used = 0
    while a.shape[0]:
        if used + a.shape[0] * (_DEGREE + 1) > budget:
            direct.append((a, b))
            break
        svals = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _LOBATTO[None, :]
        f, f_r, psi, pi = tab.evaluate(svals)
        used += svals.size
        excess = tab.excess(f, f_r)
        ok = excess <= 1.0
        if ok.all():  # (the usual last level: nothing to cut)
            if not done and not direct:  # the first level passed: its pieces are the grid, in order
                return edges, np.zeros(a.shape[0], dtype=np.bool_), svals, f, f_r, psi, pi
            done.append((a, b, svals, f, f_r, psi, pi))
            break
        done.append((a[ok], b[ok], svals[ok], f[ok], f_r[ok], psi[ok], pi[ok]))
        parts = _split_factor(excess)
        parts[ok | (points_in(a, b) <= parts * (_DEGREE + 1))] = 0  # passed, or cheaper evaluated directly
        a_cut, b_cut, uncut = _cut(a, b, parts)
        direct.append((a[~ok & uncut], b[~ok & uncut]))
        a, b = a_cut, b_cut
    starts = np.concatenate([x[0] for x in done] + [x[0] for x in direct])
    ends = np.concatenate([x[1] for x in done] + [x[1] for x in direct])
    n_done = sum(x[0].shape[0] for x in done)
    order = np.argsort(starts, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(order.shape[0])
    flags = np.ones(order.shape[0], dtype=np.bool_)
    flags[position[:n_done]] = False
    # each tabulated array goes to its sorted place in one copy (direct pieces stay zero): the
    # atoms' psi and pi take (pieces, 17, atoms) floats
    filled = []
    for field in range(2, 7):
        out = np.zeros((order.shape[0],) + done[0][field].shape[1:])
        offset = 0
        for level in done:
            rows = level[field].shape[0]
            out[position[offset:offset + rows]] = level[field]
            offset += rows
        filled.append(out)
    return (np.append(starts[order], ends[order[-1]]), flags, *filled)


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
