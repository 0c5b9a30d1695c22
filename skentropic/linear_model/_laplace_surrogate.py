"""The binary ``l_∞`` logistic fits' start: the entropic risk's large-deviation (Laplace) bound.

With ``T = Σ_k ρ w_k u_k`` (``u`` uniform in the cube, cumulant generating function
``K(λ) = Σ_k log sinhc(λ ρ w_k)``) and the logistic loss written through its conjugate,
``φ(s − t) = sup_{q ∈ [0, 1]} [−q(s − t) + H(q)]`` with the binary entropy
``H(q) = −q log q − (1 − q) log(1 − q)``, taking the expectation inside the supremum gives

    F(s) = η log E exp(φ(s − T)/η) >= F_LD(s) = sup_q [−q s + H(q) + G(q)],   G(q) = η K(q/η),

a lower bound that is exact for a loss linear in ``t`` and is the Laplace (large-deviation)
approximation of ``F``: it drops the Gaussian width of the integrand around its peak, an error
of order ``η`` times a logarithm, which is why it is poor at large ``η`` (there it also drops
the variance term) and the fits use it only after the per-coordinate surrogate of
:mod:`._surrogate` (which takes the loss as linear, ``q = 1``) and only where that one's
minimiser does not meet the tolerance (:mod:`._lbfgs`). ``F_LD`` is convex in ``s`` and ``w``.

Computation (one evaluation; ``v = √q``):

- ``S(q) = G(q)/q`` exactly at the ``_DEGREE + 1 = 17`` Chebyshev–Lobatto nodes in
  ``x = 2v − 1`` (``d`` log-sinhc terms each; ``S = 0`` at ``q = 0``), and its Chebyshev
  interpolant's values and ``v``-derivatives at ``v_p = p/_SEARCH``, ``p = 0, …, 128``; in ``v``
  the transition of each term at ``q ≈ η/(ρ|w_k|)`` is resolved: with ``ρ||w||_1 = 5``, ``d`` in
  ``{2, 8, 64, 784}`` and ``η`` in ``{1e-4, 1e-2, 1}`` the objective stays within ``2e-4``
  relative of the supremum with the exact ``G`` (at most ``1.5e-4``, at ``d = 8`` and
  ``η = 1e-4``; ``tests/test_laplace_surrogate.py``), an approximation of a start only;
- the objective that is minimised takes ``Ŝ`` as the cubic Hermite interpolant of those values
  and derivatives on each cell ``[v_p, v_{p+1}]`` (``Ĝ = q Ŝ`` is then continuously
  differentiable, and an evaluation in a cell is a cubic);
- each point's ``q_i`` maximises ``−q s_i + H(q) + Ĝ(q)``: globally over the grid through the
  upper concave hull of the values there (``H + Ĝ`` need not be concave), then by safeguarded
  Newton steps in ``ζ = log(q/(1 − q))`` inside the two cells around the hull vertex;
- the envelope theorem gives the exact gradient of the computed objective: ``∂F_i/∂s_i = −q_i``,
  ``∂F_i/∂a_{pk} = q_i t_i^k`` for the cell's cubic ``Σ_k a_{pk} t^k`` (``t`` the position in the
  cell), mapped back to the node values ``S_j`` (linear maps), and ``∂S_j/∂w_k = ρ μ(q_j ρ w_k/η)``
  with ``μ`` the Langevin function.
"""

import numpy as np
from numba import njit

from .._core._aot import kernel
from .._core._tilt_matching import tilted_uniform_mean
from .._core._tilted_numpy import log_sinhc_array
from ._score_grid import _values_to_coefficients

_DEGREE = 16
_X = np.cos(np.pi * np.arange(_DEGREE + 1) / _DEGREE)  # Chebyshev–Lobatto nodes in x = 2√q − 1, 1 to −1
_Q = ((1.0 + _X) / 2.0) ** 2
_SEARCH = 128  # cells of the grid v = √q = 0, 1/_SEARCH, ..., 1
_NEWTON = 60
_ZTOL = 1e-9  # Newton's stop on the step in ζ, relative: ∂F/∂s = −q is then exact to ~1e-9, F to its square


def _grid_maps():
    """``(V, D)``: the Chebyshev interpolant's values ``V @ S`` and ``v``-derivatives ``D @ S`` at
    the grid ``v_p`` from its values ``S`` at the nodes."""
    coef = _values_to_coefficients(_DEGREE)
    x = 2.0 * np.arange(_SEARCH + 1) / _SEARCH - 1.0
    basis = np.polynomial.chebyshev.chebvander(x, _DEGREE)
    slopes = np.stack([np.polynomial.chebyshev.chebval(x, np.polynomial.chebyshev.chebder(np.eye(_DEGREE + 1)[l]))
                       for l in range(_DEGREE + 1)], axis=1)
    return basis @ coef, 2.0 * slopes @ coef  # (dx/dv = 2)


_V, _D = (np.ascontiguousarray(m) for m in _grid_maps())


@njit(cache=True)
def _cubic(cells, v):
    """``(Ŝ, dŜ/dv, d²Ŝ/dv², cell, t)`` of the piecewise cubic at ``v`` in ``[0, 1]``."""
    p = min(int(v * _SEARCH), _SEARCH - 1)
    t = v * _SEARCH - p
    a0, a1, a2, a3 = cells[p, 0], cells[p, 1], cells[p, 2], cells[p, 3]
    value = a0 + t * (a1 + t * (a2 + t * a3))
    slope = (a1 + t * (2.0 * a2 + 3.0 * t * a3)) * _SEARCH
    curve = (2.0 * a2 + 6.0 * t * a3) * (_SEARCH * _SEARCH)
    return value, slope, curve, p, t


@njit(cache=True)
def laplace_margins(scores, sw, nodes, grid_values, grid_slopes, a_total, values, q_out, adjoint):
    """Each point's ``F_LD(s_i) = max_q [−q s_i + H(q) + q Ŝ(√q)]`` and maximiser ``q_i``.

    ``nodes``: ``S`` at the Chebyshev nodes; ``grid_values``, ``grid_slopes``: the maps to the
    interpolant's values and ``v``-derivatives on the grid (``_V``, ``_D``); ``Ŝ`` is the cubic
    Hermite interpolant of those on each cell ``[v_p, v_{p+1}]``. ``a_total = ρ ||w||_1``
    (``Ĝ' <= a_total`` up to the interpolation error: the root in ``ζ`` lies in
    ``[−s − 1, −s + a_total + 1]``). ``adjoint[j] = Σ_i sw_i ∂F_LD(s_i)/∂S_j``.
    """
    n_grid = _SEARCH + 1
    step = 1.0 / _SEARCH
    ends = np.empty((n_grid, 2))  # S and h dS/dv at the grid
    for p in range(n_grid):
        value = 0.0
        slope = 0.0
        for j in range(nodes.shape[0]):
            value += grid_values[p, j] * nodes[j]
            slope += grid_slopes[p, j] * nodes[j]
        ends[p, 0] = value
        ends[p, 1] = step * slope
    cells = np.empty((_SEARCH, 4))  # the cell's Hermite cubic in t = _SEARCH v − p
    for p in range(_SEARCH):
        f0, m0, f1, m1 = ends[p, 0], ends[p, 1], ends[p + 1, 0], ends[p + 1, 1]
        cells[p, 0] = f0
        cells[p, 1] = m0
        cells[p, 2] = -3.0 * f0 - 2.0 * m0 + 3.0 * f1 - m1
        cells[p, 3] = 2.0 * f0 + m0 - 2.0 * f1 + m1
    moments = np.zeros((_SEARCH, 4))
    qg = np.empty(n_grid)
    cg = np.empty(n_grid)
    zg = np.empty(n_grid)  # log(q/(1 − q)), ∓inf at the ends
    for p in range(n_grid):
        v = p / _SEARCH
        q = v * v
        entropy = 0.0
        zg[p] = -np.inf if p == 0 else np.inf
        if 0 < p < _SEARCH:
            entropy = -q * np.log(q) - (1.0 - q) * np.log1p(-q)
            zg[p] = np.log(q) - np.log1p(-q)
        qg[p] = q
        cg[p] = entropy + q * (cells[p, 0] if p < _SEARCH else cells[p - 1].sum())
    hull = np.empty(n_grid, dtype=np.int64)  # upper concave hull, by increasing q
    top = 0
    for p in range(n_grid):
        while top >= 2:
            i, j = hull[top - 2], hull[top - 1]
            if (qg[j] - qg[i]) * (cg[p] - cg[i]) - (cg[j] - cg[i]) * (qg[p] - qg[i]) >= 0.0:
                top -= 1
            else:
                break
        hull[top] = p
        top += 1
    slopes = np.empty(top - 1)
    for k in range(top - 1):
        slopes[k] = (cg[hull[k + 1]] - cg[hull[k]]) / (qg[hull[k + 1]] - qg[hull[k]])
    end = _cubic(cells, 1.0)
    slope_end = end[0] + 0.5 * end[1]  # Ĝ'(1)
    for i in range(scores.shape[0]):
        s = scores[i]
        lo, hi = 0, top - 1  # the first hull edge whose slope is <= s: its left vertex maximises
        while lo < hi:
            mid = (lo + hi) // 2
            if slopes[mid] <= s:
                hi = mid
            else:
                lo = mid + 1
        p = hull[lo]
        z_lo = max(-s - 1.0, zg[p - 1] if p > 0 else -np.inf)
        z_hi = min(-s + a_total + 1.0, zg[p + 1] if p < _SEARCH else np.inf)
        if 0 < lo < top - 1:  # where c' = s between the midpoints of the vertex's edges (c' ≈ their slopes)
            left = 0.5 * (qg[hull[lo - 1]] + qg[p])
            right = 0.5 * (qg[p] + qg[hull[lo + 1]])
            q = left + (slopes[lo - 1] - s) * (right - left) / (slopes[lo - 1] - slopes[lo])
            z = np.log(q) - np.log1p(-q)
        else:  # the ends: Ĝ' ≈ 0 (q ≈ 0) or its value at q = 1
            z = -s if p == 0 else -s + slope_end
        z = min(max(z, z_lo), z_hi)
        for _ in range(_NEWTON):
            e = np.exp(-z)
            q = 1.0 / (1.0 + e)
            v = np.sqrt(q)
            value, slope, curve, cell, t = _cubic(cells, v)
            r = -z + value + 0.5 * v * slope - s  # H'(q) + Ĝ'(q) − s, H' = −ζ
            dr = -1.0 + (0.75 * slope + 0.25 * v * curve) * v * (1.0 - q)  # dr/dζ
            if r == 0.0:
                break
            if r > 0.0:
                z_lo = z
            else:
                z_hi = z
            z_new = z - r / dr if dr < 0.0 else z_lo - 1.0
            if not z_lo <= z_new <= z_hi:  # (H + Ĝ convex here, or a step out of the bracket)
                z_new = 0.5 * (z_lo + z_hi)
            # z is kept, with the values computed at it: the next step is below _ZTOL
            if abs(z_new - z) <= _ZTOL * (1.0 + abs(z)) or z_hi - z_lo <= _ZTOL * (1.0 + abs(z)):
                break
            z = z_new
        # H(q) = log(1 + e^ζ) − q ζ, with e = e^{−ζ}
        softplus = z + np.log1p(e) if z > 0.0 else np.log1p(1.0 / e)
        values[i] = softplus - q * z + q * (value - s)
        q_out[i] = q
        weight = sw[i] * q
        moments[cell, 0] += weight
        moments[cell, 1] += weight * t
        moments[cell, 2] += weight * t * t
        moments[cell, 3] += weight * t * t * t
    # back through the cells' coefficients to the grid's (S, h S') and the nodes
    d_ends = np.zeros((n_grid, 2))
    for p in range(_SEARCH):
        b0, b1, b2, b3 = moments[p, 0], moments[p, 1], moments[p, 2], moments[p, 3]
        d_ends[p, 0] += b0 - 3.0 * b2 + 2.0 * b3
        d_ends[p, 1] += b1 - 2.0 * b2 + b3
        d_ends[p + 1, 0] += 3.0 * b2 - 2.0 * b3
        d_ends[p + 1, 1] += -b2 + b3
    for j in range(nodes.shape[0]):
        total = 0.0
        for p in range(n_grid):
            total += grid_values[p, j] * d_ends[p, 0] + step * grid_slopes[p, j] * d_ends[p, 1]
        adjoint[j] = total


_laplace_margins = kernel("laplace_margins", laplace_margins)


def laplace_surrogate(coef, intercept, X, y, sw, rho, eta):
    """Binary logistic ``(value, ∂/∂w, ∂/∂b)`` of ``Σ_i sw_i F_LD(y_i(w·x_i + b))`` (module
    docstring; ``coef`` of shape ``(1, d)``, ``y`` in ``{−1, +1}``)."""
    w = coef[0]
    theta = np.outer(_Q[:-1], (rho / eta) * w)  # the nodes q_j > 0 (the last, q = 0, has S = 0)
    nodes = np.append(eta * log_sinhc_array(theta).sum(axis=1) / _Q[:-1], 0.0)
    scores = np.ascontiguousarray(y * (np.asarray(X @ w).ravel() + intercept[0]))
    n = scores.shape[0]
    values, q, adjoint = np.empty(n), np.empty(n), np.empty(_DEGREE + 1)
    _laplace_margins(scores, np.ascontiguousarray(sw, dtype=np.float64), nodes, _V, _D, float(rho * np.abs(w).sum()),
                     values, q, adjoint)
    adjoint = adjoint[:-1]  # (S = 0 at the last node whatever w)
    weighted = sw * q
    g_w = rho * (adjoint @ tilted_uniform_mean(theta)) - np.asarray(X.T @ (weighted * y)).ravel()
    return float(sw @ values), g_w[None, :], np.array([-float(weighted @ y)])
