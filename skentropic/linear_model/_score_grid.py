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
_MAX_NODES = 16384
# a narrower range of scores is taken as one point: the grid spans [lo, lo + 1] (the histogram's
# 4096 / range and the slopes' 2 / width overflowed for ranges of a few subnormal numbers)
_MIN_RANGE = 1e-100
_START_SLOTS = 32  # node slots allocated at first (grids of 1000 points take 18 to 25; they grow)
_START_PIECES = 64  # ... and pieces
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
def interpolate_grid(scores, sw, edges, coef_f, coef_d, coef_r, direct, out_value, out_ds, out_dr, moments,
                     direct_idx):
    """Evaluate the piecewise Chebyshev interpolants at every score; return the direct points.

    Point ``i`` in piece ``p``: ``out_value[i] = Σ_l coef_f[p, l] T_l(x)``, ``out_ds[i] =
    Σ_l coef_d[p, l] T_l(x)`` (``coef_d``: the coefficients of its ``s``-derivative,
    :func:`derivative_coefficients`), ``out_dr[i]`` from ``coef_r`` (skipped if ``coef_r`` has no
    rows), and ``moments[p, l] += sw_i T_l(x)`` (skipped if ``moments`` has no rows). Points of
    pieces flagged ``direct`` are skipped and their indices written to ``direct_idx[:count]``;
    ``count`` is returned.
    """
    n_pieces = edges.shape[0] - 1
    n_coef = coef_f.shape[1]
    for p in range(moments.shape[0]):
        for j in range(moments.shape[1]):
            moments[p, j] = 0.0
    with_moments = moments.shape[0] > 0
    with_r = coef_r.shape[0] > 0
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
        value = coef_f[p, 0] + coef_f[p, 1] * x
        slope = coef_d[p, 0] + coef_d[p, 1] * x
        dr = coef_r[p, 0] + coef_r[p, 1] * x if with_r else 0.0
        if with_moments:
            moments[p, 0] += sw[i]
            moments[p, 1] += sw[i] * x
        for j in range(2, n_coef):
            t0, t1 = t1, x2 * t1 - t0
            value += coef_f[p, j] * t1
            slope += coef_d[p, j] * t1
            if with_r:
                dr += coef_r[p, j] * t1
            if with_moments:
                moments[p, j] += sw[i] * t1
        out_value[i] = value
        out_ds[i] = slope
        if with_r:
            out_dr[i] = dr
    return count


def _derivative_matrix(degree):
    """``D`` with ``D c`` the Chebyshev coefficients of the derivative (in ``x``) of ``Σ_l c_l T_l``
    (degree ``degree − 1``, padded with a zero)."""
    return np.stack([np.append(np.polynomial.chebyshev.chebder(e), 0.0) for e in np.eye(degree + 1)], axis=1)


_DERIVATIVE = _derivative_matrix(_DEGREE) @ _COEF  # node values to the derivative's coefficients


def derivative_coefficients(f, edges):
    """Chebyshev coefficients of ``d/ds`` of each piece's interpolant of the node values ``f``
    (``(P, 17)``): ``(2/(b − a)) D C f``."""
    return (f @ _DERIVATIVE.T) * (2.0 / np.diff(edges))[:, None]


# the forms compiled ahead of time at install where they exist (skentropic/_core/_aot.py)
_atom_nodes = kernel("atom_nodes", atom_nodes)
_interpolate_grid = kernel("interpolate_grid", interpolate_grid)
_margin_l2 = kernel("entropic_margin_l2", entropic_margin_l2)


@njit(cache=True)
def _tail(g, row):
    """``(max(|c_15|, |c_16|) / (1 + max|g|), finite)`` of the 17 node values ``g[row:row + 17]``,
    ``c = C g`` their Chebyshev coefficients."""
    top, c_prev, c_last = 0.0, 0.0, 0.0
    finite = True
    for k in range(_DEGREE + 1):
        v = g[row + k]
        finite = finite and np.isfinite(v)
        top = max(top, abs(v))
        c_prev += _COEF[_DEGREE - 1, k] * v
        c_last += _COEF[_DEGREE, k] * v
    return max(abs(c_prev), abs(c_last)) / (1.0 + top), finite


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
    """``x`` (a position in bins, a float) as an index in ``[0, _BINS]`` (a piece's end can round
    past the last bin). ``nan`` gives ``0``: :func:`build_grid` takes a range of scores below
    ``_MIN_RANGE`` as one point, so positions stay finite, but an integer conversion of ``nan`` or
    ``inf`` would be undefined, not an error."""
    if not x > 0.0:
        return 0
    return int(x) if x < _BINS else _BINS


@njit(cache=True)
def grid_level(scores, lo, hi, first, n_cur, test_r, quadrature, node_f, node_r, cur_a, cur_b, nxt_a, nxt_b, starts,
               ends, slots, direct_a, direct_b, counts, cum):
    """One level of :func:`build_grid`'s cutting, after its nodes were evaluated.

    The level's ``n_cur`` pieces ``[cur_a, cur_b]`` have their node values in slots ``first ..
    first + n_cur − 1`` of ``node_f``, ``node_r`` (17 entries each). A piece that passes the tail
    test (module docstring) is kept (its ends and slot appended to ``starts``, ``ends``, ``slots`` at
    ``counts[0]``); one that fails is cut into :func:`split_factor` parts, written to ``nxt_a``,
    ``nxt_b``, unless it holds at most as many points as their nodes (at least those of its
    histogram bins) or is too narrow to cut in floating point: then it is left direct (appended to
    ``direct_a``, ``direct_b`` at ``counts[1]``). The histogram of the scores, ``cum`` (cumulative,
    ``_BINS + 1`` counts), is made when a piece first fails (``counts[2]`` set). Returns the
    number of cut pieces.
    """
    k_nodes = _DEGREE + 1
    per_bin = _BINS / (hi - lo)
    n_next = 0
    for i in range(n_cur):
        a, b = cur_a[i], cur_b[i]
        # the tail test: the last two Chebyshev coefficients of f (and of f_r with test_r) over
        # _TOL (1 + max|f|); inf where a value (of f, or of f_r for the quadrature) is not finite
        worst, finite = _tail(node_f, (first + i) * k_nodes)
        if quadrature:
            tail_r, finite_r = _tail(node_r, (first + i) * k_nodes)
            finite = finite and finite_r
            if test_r:
                worst = max(worst, tail_r)
        excess = worst / _TOL if finite else np.inf
        if excess <= 1.0:
            starts[counts[0]], ends[counts[0]], slots[counts[0]] = a, b, first + i
            counts[0] += 1
            continue
        parts = split_factor(excess)
        if counts[2] == 0:
            cum[:] = 0
            for s in scores:
                cum[min(bin_index((s - lo) * per_bin), _BINS - 1) + 1] += 1
            for j in range(_BINS):
                cum[j + 1] += cum[j]
            counts[2] = 1
        ia = bin_index(np.floor((a - lo) * per_bin))  # at least the points of [a, b]
        ib = bin_index(np.ceil((b - lo) * per_bin))
        cut = cum[ib] - cum[ia] > parts * k_nodes  # (else cheaper evaluated directly)
        width = (b - a) / parts
        for j in range(parts):  # a piece too narrow to cut in floating point is not cut
            if cut and not a + j * width < (b if j + 1 == parts else a + (j + 1) * width):
                cut = False
        if not cut:
            direct_a[counts[1]], direct_b[counts[1]] = a, b
            counts[1] += 1
            continue
        for j in range(parts):
            nxt_a[n_next + j] = a + j * width
            nxt_b[n_next + j] = b if j + 1 == parts else a + (j + 1) * width
        n_next += parts
    return n_next


_grid_level = kernel("grid_level", grid_level)


def build_grid(scores, *, quadrature, r, eta, d, loss_code, log_z=0.0, bulk=0.0, nodes=None, weights=None,
               shift=None, log_w=None):
    """Adaptive piecewise Chebyshev grid of ``f`` over ``[min s, max s]``, or ``None``.

    ``None`` when there are too few points for any piece to be worth tabulating. Level by level,
    the nodes are evaluated by the rule's node kernel, then :func:`grid_level` keeps or cuts the
    pieces (until 2026-11-29 its work was NumPy's, whose bookkeeping took as long as the node
    evaluations on 1000 points).

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
    if not hi - lo > _MIN_RANGE:  # one distinct score (w = 0, b = 0), or as good as one
        hi = lo + 1.0
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    k_nodes = _DEGREE + 1
    budget = min(_MAX_NODES, n)
    m = 0 if quadrature else shift.shape[0]
    # node slots (17 rows each; slot 0 stays zero, for the direct pieces) and pieces: the arrays
    # grow as the levels need them (allocated for the budget, psi and pi took 16 MB at n = 10^4,
    # whose allocation and page faults cost more than the cutting)
    table = _NodeSlots(min(budget // k_nodes, _START_SLOTS) + 1, budget // k_nodes + 1, m)
    pieces = np.empty((8, _START_PIECES))  # rows: a level, the next, kept starts, ends, direct starts, ends
    slots = np.empty(_START_PIECES, dtype=np.int64)
    counts = np.zeros(3, dtype=np.int64)  # pieces kept, pieces left direct, whether cum is made
    cum = np.empty(_BINS + 1, dtype=np.int64)
    edges = _START * ((hi - lo) / _N_START) + lo  # np.linspace(lo, hi, _N_START + 1), bit for bit
    edges[-1] = hi
    pieces[0, :_N_START], pieces[1, :_N_START] = edges[:-1], edges[1:]
    if quadrature:
        args = (float(r), float(eta), float(d), int(loss_code), float(log_z), float(bulk), nodes, weights)
    else:
        shift, log_w = (np.ascontiguousarray(x, dtype=np.float64) for x in (shift, log_w))
    test_r = bool(quadrature) and loss_code != LOGISTIC  # f_r's own tail test (module docstring)
    used, n_cur, cur = 0, _N_START, 0  # nodes evaluated; the level's pieces, in rows cur, cur + 1
    while n_cur:
        need = int(counts[0] + counts[1]) + (_MAX_SPLIT + 1) * n_cur
        if need > pieces.shape[1]:
            pieces, slots = _grown(pieces, need), _grown(slots, need)
        a, b = pieces[cur, :n_cur], pieces[cur + 1, :n_cur]
        if used + n_cur * k_nodes > budget:
            pieces[6, counts[1]:counts[1] + n_cur], pieces[7, counts[1]:counts[1] + n_cur] = a, b
            counts[1] += n_cur
            break
        first = used // k_nodes + 1
        table.reserve(first + n_cur)
        rows = slice(first * k_nodes, (first + n_cur) * k_nodes)
        used += n_cur * k_nodes
        np.add(0.5 * (a + b)[:, None], 0.5 * (b - a)[:, None] * _LOBATTO[None, :],
               out=table.s[rows].reshape(n_cur, k_nodes))
        if quadrature:
            _margin_l2(table.s[rows], *args, table.f[rows], table.ds[rows], table.r[rows])
        else:
            _atom_nodes(table.s[rows], shift, log_w, float(eta), int(loss_code), table.f[rows], table.psi[rows],
                        table.pi[rows])
        nxt = 2 - cur
        n_cur = _grid_level(scores, lo, hi, first, n_cur, test_r, bool(quadrature), table.f, table.r, pieces[cur],
                            pieces[cur + 1], pieces[nxt], pieces[nxt + 1], pieces[4], pieces[5], slots, pieces[6],
                            pieces[7], counts, cum)
        cur = nxt
    n_done, total = int(counts[0]), int(counts[0] + counts[1])
    pieces[4:6, n_done:total], slots[n_done:total] = pieces[6:8, :total - n_done], 0
    order = np.argsort(pieces[4, :total], kind="stable")
    slot = slots[order]
    return (np.append(pieces[4, order], pieces[5, order[-1]]), slot == 0, *table.gather(slot))


def _grown(array, size):
    """``array`` with its last axis extended to at least ``size`` (doubled), its contents kept."""
    out = np.empty(array.shape[:-1] + (max(size, 2 * array.shape[-1]),), dtype=array.dtype)
    out[..., :array.shape[-1]] = array
    return out


class _NodeSlots:
    """The grid's node arrays, slot by slot (17 nodes each): ``s, f, r`` (``f_r``), ``ds`` and
    ``psi, pi`` (``m`` columns); slot 0 is zero. ``n_slots`` at first, at most ``limit``."""

    def __init__(self, n_slots, limit, m):
        self.n_slots, self.limit, self.m = n_slots, limit, m
        self.flat = np.zeros((4, n_slots * (_DEGREE + 1)))
        self.atoms = np.zeros((2, n_slots * (_DEGREE + 1), m))
        self._views()

    def _views(self):
        self.s, self.f, self.r, self.ds = self.flat
        self.psi, self.pi = self.atoms

    def reserve(self, n_slots):
        """Room for ``n_slots`` slots (the arrays doubled, at least, up to the limit)."""
        if n_slots > self.n_slots:
            self.n_slots = max(n_slots, min(2 * self.n_slots, self.limit))
            rows = self.n_slots * (_DEGREE + 1)
            flat, atoms = np.zeros((4, rows)), np.zeros((2, rows, self.m))
            flat[:, :self.flat.shape[1]], atoms[:, :self.atoms.shape[1]] = self.flat, self.atoms
            self.flat, self.atoms = flat, atoms
            self._views()

    def gather(self, slot):
        """``(svals, f, f_r, psi, pi)`` of the slots ``slot``, a row (17 nodes) per slot."""
        shape = (self.n_slots, _DEGREE + 1)
        return (self.s.reshape(shape)[slot], self.f.reshape(shape)[slot], self.r.reshape(shape)[slot],
                self.psi.reshape(shape + (self.m,))[slot], self.pi.reshape(shape + (self.m,))[slot])


def grid_margin(scores, sw, grid, values, ds, dr, with_spread=True, with_r=True):
    """Fill ``values``, ``ds``, ``dr`` (with ``with_r``) from the grid; return the node weights and the
    direct points.

    Returns
    -------
    spread : ndarray of shape (P * 17,)
        ``σ_k``: ``Σ_i sw_i P g(s_i) = Σ_k σ_k g(s_k)`` over the grid's (non-direct) points.
    direct_idx : ndarray of int64
        Indices of the points to evaluate directly (their outputs are not written).
    """
    edges, flags, _, f, f_r = grid[:5]
    coef_f = f @ _COEF.T
    coef_r = f_r @ _COEF.T if with_r else np.empty((0, coef_f.shape[1]))
    moments = np.empty_like(coef_f) if with_spread else np.empty((0, coef_f.shape[1]))
    direct_idx = np.empty(scores.shape[0], dtype=np.int64)
    count = _interpolate_grid(scores, sw, edges, coef_f, derivative_coefficients(f, edges), coef_r, flags, values, ds,
                              dr, moments, direct_idx)
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
    spread, idx = grid_margin(scores, sw, grid, values, ds, np.empty(0), with_r=False)
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
