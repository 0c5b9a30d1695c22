"""Tabulate-and-interpolate evaluation of the binary entropic margin loss over the scores.

For a binary margin loss every point's entropic loss depends on the point only through its
signed score ``s_i = y_i (w·x_i + b)``: ``F_i = f(s_i)`` with one function ``f`` for all points.

- ``l_2`` quadrature: ``f(s) = F(s, r)`` of :mod:`skentropic.linear_model._quadrature`, ``r = ρ ||w||_2``;
- atom rules (:mod:`skentropic.linear_model._atom_rule`: fixed antithetic samples, the exact
  ``l_∞`` rule): ``f(s) = η log Σ_j ω_j exp(φ(s + δ_j)/η)``, and the gradient needs the
  atom adjoints ``Σ_i sw_i ψ_j(s_i)`` and ``Σ_i sw_i π_j(s_i)`` with ``π = softmax(ℓ + φ(s + δ)/η)``
  and ``ψ_j = π_j φ'(s + δ_j)``, for both labels.

So ``f`` and the functions the gradient needs (``f_s``, and ``f_r = ∂F/∂r`` or ``ψ_j, π_j``)
are computed exactly at ``G`` nodes spanning ``[min_i s_i, max_i s_i]`` and interpolated per
point by cubic Hermite interpolation, each function with its own ``s``-derivative at the
nodes (``f`` with ``f_s``, ``f_s`` with ``f_ss``, ``f_r`` with ``f_rs``, ``ψ_j`` with
``ψ_j'``, ``π_j`` with ``π_j'``). The adjoints are aggregated on the nodes: each point spreads its weight onto its
interval's two nodes with the Hermite basis weights, so the cost is ``O(G m)`` instead of
``O(n m)``.

Approximation and error control
-------------------------------
The grid starts uniform (``_N_START`` intervals) and is refined by bisection: every
interval's midpoint is evaluated exactly and compared with the Hermite interpolants from its
ends; an interval whose errors exceed ``_TOL (1 + |value|)`` (``_TOL = 1e-8``; absolute
``_TOL`` for each ``ψ_j`` and ``π_j``) is split, and the midpoint is kept as a node in either
case, so that the interpolation error on the final half-intervals is about ``1/16`` of the
tested bound (``O(h⁴)``): below ``1e-9`` relative, under the ``1e-8`` accuracy of the ``l_2``
quadrature itself. Midpoint tests are an estimate, not a proof. When the grid would need more than
``n / _POINTS_PER_NODE`` nodes (small ``n``, or a function that the check cannot resolve
within that budget), the caller falls back to the direct per-point evaluation. Where a
tabulated function is less smooth (the ``l_2`` hinge with ``d = 1``: ``f_ss`` jumps at
``s = 1 ± r``) the local error is ``O(h²)`` and the bisection simply goes deeper there.
Atom rules are tabulated for the logistic loss only: with atoms the (squared) hinge is
non-smooth at ``m`` kinks and is evaluated directly. Everything runs on one thread, in a fixed order: results are bit-reproducible (and
thread launches, costly on a loaded machine, are avoided).
"""

import math

import numpy as np
from numba import njit

from .._core._logmeanexp import exp_shifted
from .._core._losses import LOGISTIC, margin_loss_second_derivative
from ._quadrature import _MAX_PIECES, _loss_and_derivative, entropic_margin_l2_second

# error bound tested at every midpoint (relative to 1 + |value|): the l2 quadrature's node values
# are accurate to about 1e-8 relative, so a tighter test never passes there (the grid then hit
# its node cap at eta <= 0.01 and fell back to the per-point evaluation); the atom rules' own
# error is 1e-4, so 1e-8 is far below it as well
_TOL = 1e-8
_N_START = 64  # intervals of the initial uniform grid
_POINTS_PER_NODE = 4  # the grid is used only while it has at most n / 4 nodes
_MIN_POINTS = 1024  # below this many points the direct evaluation is used
_MAX_NODES = 8192


@njit(cache=True)
def _atom_node(s, shift, log_w, eta, loss_code, out, psi, dpsi, pi, dpi):
    """Exact ``f, f_s, f_ss`` (into ``out[:3]``), ``ψ_j, ψ_j'`` and ``π_j, π_j'`` of an atom rule at ``s``.

    ``f = η log Σ_j ω_j exp(φ(s + δ_j)/η)`` (:mod:`._atom_rule`), ``π`` its tilted weights,
    ``f_ss = Σ π_j φ''_j + Σ π_j (φ'_j − f_s)²/η``, ``ψ_j = π_j φ'_j``,
    ``ψ_j' = π_j φ''_j + π_j φ'_j (φ'_j − f_s)/η`` and ``π_j' = π_j (φ'_j − f_s)/η``.
    """
    m = shift.shape[0]
    for j in range(m):
        v, dl = _loss_and_derivative(s + shift[j], loss_code)
        psi[j] = log_w[j] + v / eta
        dpsi[j] = dl
    top, acc = exp_shifted(psi, m)
    f_s = 0.0
    for j in range(m):
        psi[j] /= acc
        f_s += psi[j] * dpsi[j]
    f_ss = 0.0
    for j in range(m):
        p = psi[j]
        dl = dpsi[j]
        if loss_code == LOGISTIC:
            d2 = -dl * (1.0 + dl)  # σ(−z) σ(z), without a third exponential
        else:
            d2 = margin_loss_second_derivative(s + shift[j], loss_code)
        f_ss += p * (d2 + (dl - f_s) * (dl - f_s) / eta)
        pi[j] = p
        dpi[j] = p * (dl - f_s) / eta
        dpsi[j] = p * (d2 + dl * (dl - f_s) / eta)
        psi[j] = p * dl
    out[0] = eta * (top + math.log(acc))
    out[1] = f_s
    out[2] = f_ss
    out[3] = 0.0
    out[4] = 0.0


@njit(cache=True)
def _eval_quadrature_nodes(svals, start, stop, r, eta, d, loss_code, log_z, bulk, nodes, weights, scal):
    """Exact node data of the ``l_2`` quadrature for nodes ``start..stop-1``."""
    scratch = np.empty(4 * _MAX_PIECES * nodes.shape[0])
    for k in range(start, stop):
        entropic_margin_l2_second(svals[k], r, eta, d, loss_code, log_z, bulk, nodes, weights, scratch, scal[k])


@njit(cache=True)
def _eval_atom_nodes(svals, start, stop, eta, loss_code, shift, log_w, scal, psi, dpsi, pi, dpi):
    """Exact node data of an atom rule for nodes ``start..stop-1``."""
    for k in range(start, stop):
        _atom_node(svals[k], shift, log_w, eta, loss_code, scal[k], psi[k], dpsi[k], pi[k], dpi[k])


def _eval_nodes(svals, start, stop, quadrature, r, eta, d, loss_code, log_z, bulk, nodes, weights,
                shift, log_w, scal, psi, dpsi, pi, dpi):
    """Exact node data for nodes ``start..stop-1`` (two kernels, so a fit compiles only its rule's)."""
    if quadrature:
        _eval_quadrature_nodes(svals, start, stop, r, eta, d, loss_code, log_z, bulk, nodes, weights, scal)
    else:
        _eval_atom_nodes(svals, start, stop, eta, loss_code, shift, log_w, scal, psi, dpsi, pi, dpi)


@njit(cache=True)
def _hermite_mid(fa, ga, fb, gb, h):
    """Cubic Hermite interpolant at the midpoint of ``[a, b]`` (values ``f``, slopes ``g``)."""
    return 0.5 * (fa + fb) + 0.125 * h * (ga - gb)


@njit(cache=True)
def _check_intervals(svals, left, right, mid, scal, psi, dpsi, pi, dpi, tol, bad):
    """``bad[k] = True`` where the midpoint errors of interval ``k`` exceed the tolerance."""
    m = psi.shape[1]
    for k in range(left.shape[0]):
        a, b, c = left[k], right[k], mid[k]
        h = svals[b] - svals[a]
        fa, fb, fc = scal[a], scal[b], scal[c]
        err = abs(_hermite_mid(fa[0], fa[1], fb[0], fb[1], h) - fc[0]) > tol * (1.0 + abs(fc[0]))
        err = err or abs(_hermite_mid(fa[1], fa[2], fb[1], fb[2], h) - fc[1]) > tol * (1.0 + abs(fc[1]))
        err = err or abs(_hermite_mid(fa[3], fa[4], fb[3], fb[4], h) - fc[3]) > tol * (1.0 + abs(fc[3]))
        if not err:
            for j in range(m):
                if (abs(_hermite_mid(psi[a, j], dpsi[a, j], psi[b, j], dpsi[b, j], h) - psi[c, j]) > tol
                        or abs(_hermite_mid(pi[a, j], dpi[a, j], pi[b, j], dpi[b, j], h) - pi[c, j]) > tol):
                    err = True
                    break
        if not err and not (svals[a] < svals[c] < svals[b]):
            err = True  # the interval cannot be split further in floating point
        bad[k] = err


def build_grid(scores, *, quadrature, r, eta, d, loss_code, log_z=0.0, bulk=0.0, nodes=None, weights=None,
               shift=None, log_w=None):
    """Adaptive node grid of ``f`` over ``[min s, max s]``, or ``None`` to evaluate directly.

    Returns
    -------
    grid : tuple ``(svals, scal, psi, dpsi, pi, dpi)`` or None
        Sorted nodes ``svals (G,)``, ``scal (G, 5) = (f, f_s, f_ss, f_r, f_rs)`` (the ``r``
        columns are zero for atom rules) and ``psi, dpsi, pi, dpi (G, m)`` (``m = 0`` for the
        quadrature).
    """
    n = scores.shape[0]
    cap = min(_MAX_NODES, n // _POINTS_PER_NODE)
    lo, hi = float(scores.min()), float(scores.max())
    if n < _MIN_POINTS or cap < 2 * _N_START + 1 or not np.isfinite(hi - lo):
        return None
    if hi == lo:  # one distinct score (w = 0, b = 0): any grid holding it is exact there
        hi = lo + 1.0
    nodes = np.empty(0) if nodes is None else nodes
    weights = np.empty(0) if weights is None else weights
    shift = np.empty(0) if shift is None else np.ascontiguousarray(shift, dtype=np.float64)
    log_w = np.empty(0) if log_w is None else np.ascontiguousarray(log_w, dtype=np.float64)
    m = 0 if quadrature else shift.shape[0]
    svals = np.empty(cap)
    scal = np.zeros((cap, 5))
    psi = np.zeros((cap, m))
    dpsi = np.zeros((cap, m))
    pi = np.zeros((cap, m))
    dpi = np.zeros((cap, m))
    count = _N_START + 1
    svals[:count] = np.linspace(lo, hi, count)
    args = (bool(quadrature), float(r), float(eta), float(d), int(loss_code), float(log_z), float(bulk), nodes,
            weights, shift, log_w, scal, psi, dpsi, pi, dpi)
    _eval_nodes(svals, 0, count, *args)
    left = np.arange(_N_START)
    right = left + 1
    while left.shape[0]:
        k = left.shape[0]
        if count + k > cap:
            return None
        mid = np.arange(count, count + k)
        svals[count:count + k] = 0.5 * (svals[left] + svals[right])
        _eval_nodes(svals, count, count + k, *args)
        count += k
        bad = np.empty(k, dtype=np.bool_)
        _check_intervals(svals, left, right, mid, scal, psi, dpsi, pi, dpi, _TOL, bad)
        left, right = np.concatenate([left[bad], mid[bad]]), np.concatenate([mid[bad], right[bad]])
    if not np.all(np.isfinite(scal[:count])):
        return None
    order = np.argsort(svals[:count], kind="stable")
    return svals[order], scal[order], psi[order], dpsi[order], pi[order], dpi[order]


@njit(cache=True)
def interpolate_grid(scores, sw, svals, scal, out_value, out_ds, out_dr, out_spread):
    """Hermite interpolation of ``f``, ``f_s`` and ``f_r`` at every score.

    ``out_spread[k] = (Σ_i sw_i H0_k(s_i), Σ_i sw_i H1_k(s_i))``: the weights of node ``k``'s
    value and slope in ``Σ_i sw_i g(s_i)`` for any function ``g`` interpolated on the grid.
    A point's interval is found through a uniform bucket table (``4 G`` buckets) and a short
    forward scan; scores outside the grid use its end intervals.
    """
    g = svals.shape[0]
    lo = svals[0]
    n_buckets = 4 * g
    step = (svals[g - 1] - lo) / n_buckets
    first = np.empty(n_buckets + 1, dtype=np.int64)
    k = 0
    for q in range(n_buckets + 1):
        edge = lo + q * step
        while k < g - 2 and svals[k + 1] <= edge:
            k += 1
        first[q] = k
    out_spread[:, :] = 0.0
    for i in range(scores.shape[0]):
        s = scores[i]
        q = int((s - lo) / step) if s > lo else 0
        k = first[min(q, n_buckets)]
        while k < g - 2 and svals[k + 1] <= s:
            k += 1
        h = svals[k + 1] - svals[k]
        t = (s - svals[k]) / h
        u = 1.0 - t
        h00 = (1.0 + 2.0 * t) * u * u
        h10 = t * u * u * h
        h01 = t * t * (3.0 - 2.0 * t)
        h11 = -t * t * u * h
        out_value[i] = h00 * scal[k, 0] + h10 * scal[k, 1] + h01 * scal[k + 1, 0] + h11 * scal[k + 1, 1]
        out_ds[i] = h00 * scal[k, 1] + h10 * scal[k, 2] + h01 * scal[k + 1, 1] + h11 * scal[k + 1, 2]
        out_dr[i] = h00 * scal[k, 3] + h10 * scal[k, 4] + h01 * scal[k + 1, 3] + h11 * scal[k + 1, 4]
        w = sw[i]
        out_spread[k, 0] += w * h00
        out_spread[k, 1] += w * h10
        out_spread[k + 1, 0] += w * h01
        out_spread[k + 1, 1] += w * h11
