"""Plain-NumPy reference of the score grid's adaptive cutting (``_score_grid.build_grid`` with ``grid_level``).

The algorithm of the module docstring, level by level with array operations (the library's own
form until 2026-11-29), with the node values from the library's (compiled) node kernels, so that
the two agree bit for bit.
"""

import numpy as np

from skentropic.linear_model._quadrature import entropic_margin_l2
from skentropic.linear_model._score_grid import (
    _BINS,
    _COEF,
    _DEGREE,
    _LOBATTO,
    _MAX_NODES,
    _MAX_SPLIT,
    _N_START,
    _TOL,
    atom_nodes,
)


def _nodes(svals, quadrature, l2_args, shift, log_w, eta, loss):
    flat = svals.ravel()
    f, f_r, ds = np.empty(flat.size), np.zeros(flat.size), np.empty(flat.size)
    m = 0 if quadrature else shift.size
    psi, pi = np.zeros((flat.size, m)), np.zeros((flat.size, m))
    if quadrature:
        entropic_margin_l2(flat, *l2_args, f, ds, f_r)
    else:
        atom_nodes(flat, shift, log_w, eta, loss, f, psi, pi)
    shape = svals.shape
    return f.reshape(shape), f_r.reshape(shape), psi.reshape(shape + (m,)), pi.reshape(shape + (m,))


def _excess(f, f_r, quadrature, test_r):
    def tail(g):
        return np.abs(g @ _COEF[-2:].T).max(axis=1) / (1.0 + np.abs(g).max(axis=1))

    worst = np.maximum(tail(f), tail(f_r)) if test_r else tail(f)
    finite = np.isfinite(f).all(axis=1) & (np.isfinite(f_r).all(axis=1) if quadrature else True)
    return np.where(finite, worst / _TOL, np.inf)


def reference_grid(scores, quadrature, l2_args=(), shift=None, log_w=None, eta=1.0, loss=0, test_r=False):
    """``(edges, direct, svals, f, f_r, psi, pi)`` as :func:`~skentropic.linear_model._score_grid.build_grid`,
    and the paths taken: ``{"levels": evaluated levels, "budget": whether the node budget ended the
    cutting, "direct": pieces left direct before that}``."""
    lo, hi = scores.min(), scores.max()
    budget = min(_MAX_NODES, scores.size)
    per_bin = _BINS / (hi - lo)
    bins = np.minimum(((scores - lo) * per_bin).astype(np.int64), _BINS - 1)
    cum = np.concatenate([[0], np.cumsum(np.bincount(bins, minlength=_BINS))])
    a = lo + np.arange(_N_START) * ((hi - lo) / _N_START)
    b = np.append(a[1:], hi)
    kept, direct, used = [], [], 0
    paths = {"levels": 0, "budget": False, "direct": 0}
    while a.size:
        if used + a.size * (_DEGREE + 1) > budget:
            direct += list(zip(a, b))
            paths["budget"] = True
            break
        paths["levels"] += 1
        svals = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _LOBATTO[None, :]
        f, f_r, psi, pi = _nodes(svals, quadrature, l2_args, shift, log_w, eta, loss)
        used += svals.size
        excess = _excess(f, f_r, quadrature, test_r)
        next_a, next_b = [], []
        for i in range(a.size):
            if excess[i] <= 1.0:
                kept.append((a[i], b[i], svals[i], f[i], f_r[i], psi[i], pi[i]))
                continue
            parts = 2
            if np.isfinite(excess[i]):
                parts = int(np.clip(np.ceil(excess[i] ** (1 / _DEGREE)), 2, _MAX_SPLIT))
            ia = int(np.clip(np.floor((a[i] - lo) * per_bin), 0, _BINS))
            ib = int(np.clip(np.ceil((b[i] - lo) * per_bin), 0, _BINS))
            cuts = a[i] + np.arange(parts + 1) * ((b[i] - a[i]) / parts)
            cuts[-1] = b[i]
            if cum[ib] - cum[ia] <= parts * (_DEGREE + 1) or not np.all(cuts[:-1] < cuts[1:]):
                direct.append((a[i], b[i]))
                paths["direct"] += 1
            else:
                next_a += list(cuts[:-1])
                next_b += list(cuts[1:])
        a, b = np.array(next_a), np.array(next_b)
    m = kept[0][5].shape[1]
    zero = (np.zeros(_DEGREE + 1), np.zeros(_DEGREE + 1), np.zeros(_DEGREE + 1), np.zeros((_DEGREE + 1, m)),
            np.zeros((_DEGREE + 1, m)))
    pieces = sorted([(p[0], p[1], False) + p[2:] for p in kept] + [(x, y, True) + zero for x, y in direct],
                    key=lambda p: p[0])
    edges = np.array([p[0] for p in pieces] + [pieces[-1][1]])
    grid = (edges, np.array([p[2] for p in pieces]), *(np.array([p[k] for p in pieces]) for k in range(3, 8)))
    return grid, paths
