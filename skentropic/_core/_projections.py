"""Projections onto ``l_p`` balls and steepest-ascent directions (numba kernels; ``ascent_rows`` NumPy).

For a gradient ``g`` and the unit ball of ``||.||_p``, the steepest-ascent direction
``argmax_{||u||_p <= 1} g·u`` is

- ``p = ∞``: ``u = sign(g)`` (value ``||g||_1``),
- ``p = 2``: ``u = g / ||g||_2`` (value ``||g||_2``),
- ``p = 1``: ``u = sign(g_j) e_j`` with ``j = argmax_k |g_k|`` (value ``||g||_∞``).

Euclidean projections onto ``{δ : ||δ||_p <= ε}``:

- ``p = ∞``: coordinate-wise clipping to ``[-ε, ε]``,
- ``p = 2``: ``δ · min(1, ε / ||δ||_2)``,
- ``p = 1``: soft thresholding ``sign(δ) max(|δ| − θ, 0)`` with the threshold ``θ``
  found by sorting ``|δ|`` (Duchi, Shalev-Shwartz, Singer, Chandra, ICML 2008).

:func:`ascent_step_rows` fuses one projected-gradient step, the ball projection and the
feature-box clip for a batch of rows.
"""

import numpy as np
from numba import njit

from ._norms import NORM_INF, NORM_L2


@njit(cache=True, nogil=True)
def ascent_direction(g, norm_code, out):
    """Write the steepest-ascent unit direction for gradient ``g`` into ``out``.

    A zero gradient gives a zero direction (no move).
    """
    d = g.shape[0]
    if norm_code == NORM_INF:
        for k in range(d):
            gk = g[k]
            out[k] = 1.0 if gk > 0.0 else (-1.0 if gk < 0.0 else 0.0)
    elif norm_code == NORM_L2:
        sq = 0.0
        for k in range(d):
            sq += g[k] * g[k]
        scale = 1.0 / np.sqrt(sq) if sq > 0.0 else 0.0
        for k in range(d):
            out[k] = g[k] * scale
    else:
        best = 0
        top = -1.0
        for k in range(d):
            out[k] = 0.0
            a = abs(g[k])
            if a > top:
                top = a
                best = k
        if top > 0.0:
            out[best] = 1.0 if g[best] > 0.0 else -1.0


def ascent_rows(G, norm_code):
    """:func:`ascent_direction` of every row of ``G`` (a new array), in NumPy.

    The same directions as the kernel (for ``p = 1`` the first maximiser of ``|g_k|``), for
    callers in Python: no compilation in a fresh process.
    """
    G = np.asarray(G, dtype=np.float64)
    if norm_code == NORM_INF:
        return np.sign(G)
    if norm_code == NORM_L2:
        norms = np.sqrt(np.einsum("ij,ij->i", G, G))
        return G * np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0.0)[:, None]
    out = np.zeros_like(G)
    rows = np.arange(G.shape[0])
    best = np.argmax(np.abs(G), axis=1)
    out[rows, best] = np.sign(G[rows, best])
    return out


@njit(cache=True, nogil=True)
def project_ball(delta, eps, norm_code):
    """Project the 1-D array ``delta`` onto ``{||δ||_p <= eps}`` in place (Euclidean projection)."""
    d = delta.shape[0]
    if norm_code == NORM_INF:
        for k in range(d):
            if delta[k] > eps:
                delta[k] = eps
            elif delta[k] < -eps:
                delta[k] = -eps
    elif norm_code == NORM_L2:
        sq = 0.0
        for k in range(d):
            sq += delta[k] * delta[k]
        nrm = np.sqrt(sq)
        if nrm > eps:
            scale = eps / nrm
            for k in range(d):
                delta[k] *= scale
    else:
        total = 0.0
        for k in range(d):
            total += abs(delta[k])
        if total <= eps:
            return
        if eps == 0.0:
            delta[:] = 0.0
            return
        # Duchi et al.: θ = (Σ_{k<=r} μ_k − ε) / r with r the largest index such that
        # μ_r > (Σ_{k<=r} μ_k − ε) / r, μ the magnitudes sorted in decreasing order.
        mu = np.sort(np.abs(delta))[::-1]
        cumsum = 0.0
        theta = 0.0
        for r in range(d):
            cumsum += mu[r]
            t = (cumsum - eps) / (r + 1)
            if mu[r] > t:
                theta = t
            else:
                break
        for k in range(d):
            a = abs(delta[k]) - theta
            if a <= 0.0:
                delta[k] = 0.0
            elif delta[k] > 0.0:
                delta[k] = a
            else:
                delta[k] = -a


@njit(cache=True, nogil=True)
def clip_to_box(x, delta, lo, hi):
    """Shrink ``delta`` so that ``lo <= x + delta <= hi`` (``x`` inside the box).

    Each coordinate moves towards 0, so every ``l_p`` norm of ``delta`` can only shrink.
    """
    for k in range(x.shape[0]):
        z = x[k] + delta[k]
        if z > hi[k]:
            delta[k] = hi[k] - x[k]
        elif z < lo[k]:
            delta[k] = lo[k] - x[k]


@njit(cache=True, nogil=True)
def ascent_step_rows(delta, grad, X, step, eps, norm_code, lo, hi, has_box):
    """One projected steepest-ascent step on every row, in place.

    ``δ_i ← Π_box(Π_ball(δ_i + step · u(g_i)))`` with ``u`` the steepest-ascent direction
    of :func:`ascent_direction`, ``Π_ball`` the projection onto ``{||δ||_p <= eps}`` and
    ``Π_box`` the clip of ``x_i + δ_i`` into ``[lo, hi]`` (skipped when ``has_box`` is false).
    Projecting onto the ball and then clipping keeps ``δ`` in both sets; it is the exact
    projection onto their intersection for ``p = ∞`` and a feasible approximation otherwise.
    With a box, gradient coordinates pointing out of the box at a face that ``x_i + δ_i``
    already touches are zeroed first (steepest ascent within the box's feasible directions):
    otherwise the ``l_1`` step would keep choosing a coordinate that the clip cancels.
    """
    n, d = delta.shape
    u = np.empty(d)
    g = np.empty(d)
    for i in range(n):
        if has_box:
            for k in range(d):
                z = X[i, k] + delta[i, k]
                gk = grad[i, k]
                g[k] = 0.0 if (gk > 0.0 and z >= hi[k]) or (gk < 0.0 and z <= lo[k]) else gk
            ascent_direction(g, norm_code, u)
        else:
            ascent_direction(grad[i], norm_code, u)
        row = delta[i]
        for k in range(d):
            row[k] += step * u[k]
        project_ball(row, eps, norm_code)
        if has_box:
            clip_to_box(X[i], row, lo, hi)


@njit(cache=True, nogil=True)
def project_rows(delta, X, eps, norm_code, lo, hi, has_box):
    """Project every row of ``delta`` onto the ball, then clip ``X + delta`` into the box."""
    for i in range(delta.shape[0]):
        project_ball(delta[i], eps, norm_code)
        if has_box:
            clip_to_box(X[i], delta[i], lo, hi)
