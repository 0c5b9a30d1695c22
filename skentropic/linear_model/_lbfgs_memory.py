"""L-BFGS whose curvature pairs outlive one objective (the tilted rule's anchors).

The tilted rule (:mod:`._tilted_rule`) minimises a sequence of objectives: the same entropic
risk estimated with proposals aimed at successive anchors, then with more samples. They differ
by Monte Carlo noise, not in their curvature, so the correction pairs ``(s, y)`` learnt on one
are a good inverse-Hessian model for the next. scipy's L-BFGS-B starts every run with no pairs
and spends its first iterations learning them again; :func:`lbfgs` takes a :class:`Memory`
that the caller passes from run to run. Any positive-definite model keeps L-BFGS a descent
method, and each run's stopping test is on its own objective's gradient, so the model only
decides how many iterations a run takes.

The line search is scipy's strong-Wolfe search (:func:`scipy.optimize.line_search`,
``c1 = 1e-4``, ``c2 = 0.9``) with the step 1 tried first (``1/||g||_2`` with no pairs, as
L-BFGS-B's first step). The stopping tests are L-BFGS-B's, ``max_k |g_k| <= gtol`` or a relative
decrease ``(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol``, except that the second must hold
for two steps in a row: with ``ftol`` at rounding level (``_lbfgs``'s 64 eps) one flat step near
the optimum is often followed by one that still reduces the gradient. Unconstrained only.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import line_search

from .._core._aot import kernel

_FLAT_STEPS = 2  # stop after this many successive steps with a relative decrease of at most ftol


class Memory:
    """The correction pairs of L-BFGS, at most ``maxcor`` (the oldest dropped first), in a ring of
    rows ``S[j] = s``, ``Y[j] = y``, ``r[j] = 1/(s·y)``; ``order`` lists the rows oldest first."""

    def __init__(self, maxcor):
        self.maxcor = int(maxcor)
        self.S = self.Y = None
        self.r = np.empty(self.maxcor)
        self.order = np.empty(0, dtype=np.int64)

    def __len__(self):
        return self.order.shape[0]

    def clear(self):
        self.order = np.empty(0, dtype=np.int64)

    def add(self, s, y):
        """Keep ``(s, y)`` where the curvature ``s·y`` is positive (L-BFGS-B's test,
        ``s·y > eps y·y``), in place of the oldest pair when ``maxcor`` are kept."""
        sy = float(s @ y)
        if not sy > np.finfo(float).eps * float(y @ y):
            return
        if self.S is None or self.S.shape[1] != s.shape[0]:
            self.S, self.Y = np.empty((self.maxcor, s.shape[0])), np.empty((self.maxcor, s.shape[0]))
            self.clear()
        if len(self) < self.maxcor:
            row, kept = len(self), self.order
        else:
            row, kept = self.order[0], self.order[1:]
        self.S[row], self.Y[row], self.r[row] = s, y, 1.0 / sy
        self.order = np.append(kept, row)

    def direction(self, g):
        """``−H g`` by the two-loop recursion (:func:`two_loop`)."""
        out = np.empty_like(g)
        _two_loop(np.ascontiguousarray(g, dtype=np.float64), self.S, self.Y, self.r, self.order, out)
        return out


@njit(cache=True)
def two_loop(g, S, Y, r, order, out):
    """``out = −H g``: L-BFGS's two-loop recursion over the pairs ``(S[j], Y[j])``, ``r[j] = 1/(s·y)``,
    for ``j`` in ``order`` (oldest first, at least one), from ``H_0 = (s·y / y·y) I`` of the newest
    pair (Nocedal and Wright, Algorithm 7.4)."""
    m, n = order.shape[0], g.shape[0]
    alphas = np.empty(m)
    for k in range(n):
        out[k] = g[k]
    for t in range(m - 1, -1, -1):
        j = order[t]
        a = 0.0
        for k in range(n):
            a += S[j, k] * out[k]
        a *= r[j]
        alphas[t] = a
        for k in range(n):
            out[k] -= a * Y[j, k]
    j = order[m - 1]
    yy = 0.0
    for k in range(n):
        yy += Y[j, k] * Y[j, k]
    gamma = 1.0 / (r[j] * yy)
    for k in range(n):
        out[k] *= gamma
    for t in range(m):
        j = order[t]
        b = 0.0
        for k in range(n):
            b += Y[j, k] * out[k]
        b = alphas[t] - r[j] * b
        for k in range(n):
            out[k] += b * S[j, k]
    for k in range(n):
        out[k] = -out[k]


_two_loop = kernel("lbfgs_direction", two_loop)


@dataclass
class Result:
    """What :func:`lbfgs` returns: the last point, its value and gradient, the iterations, and
    whether a stopping test (not ``maxiter`` or a failed line search) ended the run."""

    x: np.ndarray
    fun: float
    jac: np.ndarray
    nit: int
    success: bool


def lbfgs(fun, x0, memory, *, maxiter, gtol, ftol, verbose=0):
    """Minimise ``fun`` (returning ``(value, gradient)``) from ``x0`` with the pairs in
    ``memory``, which it updates. ``verbose > 0`` prints a line per run, ``> 1`` one per iteration.

    Each iteration steps along ``−H g`` (:meth:`Memory.direction`; ``−g/||g||_2`` with no pairs)
    to a point meeting the strong Wolfe conditions. Where the search fails along the model's
    direction the pairs are dropped and the steepest descent is searched; where that fails too
    the run ends unconverged at the best point.
    """
    cache = {}

    def evaluate(x):
        key = x.tobytes()
        if key not in cache:
            value, grad = fun(x)
            if len(cache) >= 4:  # the points of the current line search
                cache.pop(next(iter(cache)))
            cache[key] = (float(value), np.asarray(grad, dtype=np.float64))
        return cache[key]

    x = np.array(x0, dtype=np.float64)
    f, g = evaluate(x)
    kept = len(memory)
    flat = 0  # successive steps that decreased f by at most ftol
    result = None
    for nit in range(int(maxiter) + 1):
        if verbose > 1:
            print(f"L-BFGS iteration {nit}: f = {f:.10g}, max |g| = {np.max(np.abs(g), initial=0.0):.3e}")
        if np.max(np.abs(g), initial=0.0) <= gtol:
            result = Result(x, f, g, nit, True)
            break
        if nit == maxiter:
            break
        step = _search(evaluate, x, f, g, memory)
        if step is None:
            memory.clear()
            step = _search(evaluate, x, f, g, memory)
            if step is None:
                result = Result(x, f, g, nit, False)
                break
        x_new, f_new, g_new = step
        memory.add(x_new - x, g_new - g)
        decrease = (f - f_new) / max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        flat = flat + 1 if decrease <= ftol else 0
        if flat == _FLAT_STEPS:
            result = Result(x, f, g, nit + 1, True)
            break
    if result is None:
        result = Result(x, f, g, int(maxiter), False)
    if verbose > 0:
        print(f"L-BFGS run from {kept} kept pairs: {result.nit} iterations, f = {result.fun:.10g}, "
              f"max |g| = {np.max(np.abs(result.jac), initial=0.0):.3e}, "
              f"{'converged' if result.success else 'not converged'}")
    return result


def _search(evaluate, x, f, g, memory):
    """One strong-Wolfe line search along the model's direction: ``(x', f', g')`` or ``None``."""
    if len(memory):
        direction = memory.direction(g)
        if not float(g @ direction) < 0.0:  # not a descent direction: start the model over
            memory.clear()
    if not len(memory):
        direction = -g / np.linalg.norm(g)
    with warnings.catch_warnings():
        # (scipy warns where the search fails: here that is handled)
        warnings.filterwarnings("ignore", message="The line search algorithm did not converge")
        alpha = line_search(lambda z: evaluate(z)[0], lambda z: evaluate(z)[1], x, direction, gfk=g,
                            old_fval=f, c1=1e-4, c2=0.9, maxiter=20)[0]
    if alpha is None:
        return None
    x_new = x + alpha * direction
    f_new, g_new = evaluate(x_new)
    if not f_new <= f:
        return None
    return x_new, f_new, g_new
