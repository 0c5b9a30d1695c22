"""Accuracy of the ``l_1`` rule's contour integral against a much finer one, by dimension.

For Gaussian weights in ``d`` dimensions (``rho = 1``, ``w ~ N(0, 100/d)``) the atoms of
:func:`~skentropic.linear_model._l1_rule.l1_grid` at ``eta = 1e-4`` (they reach from the bulk to
the vertex) get their log density twice: from the library, and from the same inversion integral
with a 7.5x finer step, a 5x slower-growing map (``_H_CONTOUR = 0.02``, ``_BETA = 0.1``) and
nodes down to ``1e-20`` of the sum (:func:`_density`'s Python function with those constants;
two such references, the other at ``0.015`` and ``0.07``, agree to ``5e-13``). Columns: the
largest ``|Δ log p|`` over the atoms within ``20 σ_T`` of the centre and beyond (``σ_T`` the
standard deviation of ``T``), the mean number of contour nodes per density, and the largest
relative change of ``F(s) = η log Σ_j ω_j e^{φ(s − t_j)/η}`` (logistic loss, scores ``s`` in
{−1, 0, 1, 3}) at each ``eta`` of the table when the reference densities replace the library's
(both on the library's own atoms, so only the density's error is measured).

Run: ``python benchmarks/bench_l1_contour.py [--dims 8,64,200,784,2000] [--profiles]`` (``--profiles``:
the largest ``|Δ log p|`` over the atoms at every ``eta`` for seven shapes of the weights).

Measured 2026-11-27 (eleventh session; ``ref spread``: the largest ``|Δ log p|`` between the two
references; ``-``: no atom beyond ``20 σ_T``)::

        d  ref spread   bulk |dlogp|   tail |dlogp|   nodes   F rel. err. (eta 0.0001 / 0.01 / 1)
        8     1.8e-14        1.4e-14              -      70   0.0e+00 / 0.0e+00 / 1.5e-15
       64     2.8e-14        2.8e-14              -      51   0.0e+00 / 0.0e+00 / 6.9e-16
      200     5.7e-14        9.3e-12        7.8e-10      52   3.6e-13 / 3.1e-16 / 7.1e-16
      784     2.8e-14        7.1e-15        1.2e-04      56   1.0e-08 / 0.0e+00 / 9.1e-15
     2000     4.5e-13        2.8e-14        5.5e-03      56   3.4e-07 / 1.8e-16 / 4.6e-15

Since 2026-11-29 (twenty-second session) the step is coarser up to ``d = 64``
(``_H_CONTOUR_LOW_D``): there ``|Δ log p|`` reads up to ``2e-10`` (Gaussian weights) and ``5e-9``
(``--profiles``) with about 32 nodes; the rows after that change are in
``bench_deterministic_history.rst``.

In ``d >= 200`` the far tail's densities (beyond ``20 σ_T``) are off by up to ``1e-4``
(``d = 784``) and ``6e-3`` (``d = 2000``) in ``log p``. In an ad-hoc study of the integrand, its
modulus there falls slowly near the saddle (the nearest pole, of the largest coordinate) and then
like a Gaussian of a far larger width (the many small coordinates), which the map
``y = s sinh(βv)/β`` crosses in its exponential stage. The entropic risk barely feels it: ``F`` is
``η`` times a log-average of the densities, and those atoms carry its weight only at small ``η``
(``3.4e-7`` relative at worst, ``d = 2000``, ``eta = 1e-4``). In the same ad-hoc study, slower
growth of the map (a smaller ``_BETA``, for every density or only where the Gaussian part is
much wider than the pole's) made the tail accurate but took many more nodes at ``d = 784``, which
would slow the ``l_1`` fits there; a map that saturates to linear steps did not help. Not done.
"""

import argparse
import math

import numpy as np
from scipy.special import logsumexp

from skentropic.linear_model import _l1_rule
from skentropic.linear_model._cube_rule import active_coordinates

FINE = {"_H_CONTOUR": 0.02, "_H_CONTOUR_LOW_D": 0.02, "_BETA": 0.1, "_CONTOUR_TOL": 1e-20, "_MAX_NODES": 20000}
FINER = {"_H_CONTOUR": 0.015, "_H_CONTOUR_LOW_D": 0.015, "_BETA": 0.07, "_CONTOUR_TOL": 1e-20,
         "_MAX_NODES": 30000}  # checks FINE
ETAS = (1e-4, 1e-2, 1.0)
SCORES = (-1.0, 0.0, 1.0, 3.0)


def densities(a, d, t, gap, fine):
    """``(log p_T(|t_j|), nodes)`` of every atom: the compiled kernel, or (``fine``: a dict of
    constants, ``FINE`` or ``FINER``) its Python function with those constants (the node count
    from a second pass with a counter)."""
    g = np.empty((_l1_rule.SCRATCH_ROWS, a.shape[0]))
    grad = np.empty(a.shape[0])
    if fine is None:
        out = np.array([_l1_rule._density(abs(tj), gj, a, d, g, grad, False) for tj, gj in zip(t, gap)])
        return out, np.array([_nodes(abs(tj), gj, a, d, g) for tj, gj in zip(t, gap)])
    saved = {name: getattr(_l1_rule, name) for name in fine}
    try:
        for name, value in fine.items():
            setattr(_l1_rule, name, value)
        return np.array([_l1_rule._density.py_func(abs(tj), gj, a, d, g, grad, False)
                         for tj, gj in zip(t, gap)]), None
    finally:
        for name, value in saved.items():
            setattr(_l1_rule, name, value)


def _nodes(t, gap, a, d, g):
    """Nodes the library's contour loop takes for one density (the loop's stopping rule replayed)."""
    calls = []
    product = _l1_rule._node_product

    def counting(y, alpha, beta):
        calls.append(y)
        return product(y, alpha, beta)

    _l1_rule._node_product = counting
    try:
        _l1_rule._density.py_func(t, gap, a, d, g, np.empty(a.shape[0]), False)
    finally:
        _l1_rule._node_product = product
    return len(calls)


def profiles(dims):
    """``--profiles``: the largest ``|Δ log p|`` against ``FINE`` over the atoms at ``eta`` in
    ``ETAS``, and the mean number of nodes, for several shapes of the weights (seeded)."""
    rng = np.random.RandomState(0)
    print(f"{'d':>5}{'weights':>11}{'|dlogp|':>10}{'nodes':>7}")
    for d in dims:
        shapes = {"gaussian": rng.randn(d), "equal": np.ones(d), "dominant": np.r_[10.0, np.full(d - 1, 0.1)],
                  "geometric": 0.8 ** np.arange(d), "sparse": np.r_[rng.randn(4), np.zeros(d - 4)],
                  "cauchy": rng.standard_cauchy(d), "two": np.r_[1.0, 0.999, np.full(d - 2, 1e-3)]}
        for name, w in shapes.items():
            _, a = active_coordinates(np.abs(w))
            worst, nodes = 0.0, []
            for eta in ETAS:
                t, gap, _, _, _ = _l1_rule.l1_grid(a, d, eta, 0, 3.0)
                lib, n_nodes = densities(a, d, t, gap, fine=None)
                ref, _ = densities(a, d, t, gap, fine=FINE)
                worst = max(worst, float(np.max(np.abs(lib - ref))))
                nodes.extend(n_nodes)
            print(f"{d:>5}{name:>11}{worst:>10.1e}{np.mean(nodes):>7.0f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="8,64,200,784,2000")
    parser.add_argument("--profiles", action="store_true", help="several shapes of the weights (--dims)")
    args = parser.parse_args()
    if args.profiles:
        return profiles([int(v) for v in args.dims.split(",")])
    print(f"{'d':>5}{'ref spread':>12}{'bulk |dlogp|':>15}{'tail |dlogp|':>15}{'nodes':>8}   F rel. err. (eta " +
          " / ".join(f"{e:g}" for e in ETAS) + ")")
    for d in (int(v) for v in args.dims.split(",")):
        w = np.random.RandomState(d).randn(d) * 10.0 / math.sqrt(d)
        _, a = active_coordinates(np.abs(w))
        t, gap, log_jac, _, _ = _l1_rule.l1_grid(a, d, 1e-4, 0, 3.0)
        lib, nodes = densities(a, d, t, gap, fine=None)
        ref, _ = densities(a, d, t, gap, fine=FINE)
        spread = float(np.max(np.abs(ref - densities(a, d, t, gap, fine=FINER)[0])))
        sigma = math.sqrt(2.0 * float(np.sum(a * a)) / ((d + 1.0) * (d + 2.0)))
        bulk = np.abs(t) < 20.0 * sigma
        err = np.abs(lib - ref)
        f_err = []
        for eta in ETAS:
            worst = 0.0
            for s in SCORES:
                phi = np.logaddexp(0.0, -(s - t)) / eta
                f_lib = eta * (logsumexp(lib + log_jac + phi) - logsumexp(lib + log_jac))
                f_ref = eta * (logsumexp(ref + log_jac + phi) - logsumexp(ref + log_jac))
                worst = max(worst, abs(f_lib - f_ref) / abs(f_ref))
            f_err.append(worst)
        tail = f"{float(err[~bulk].max()):.1e}" if (~bulk).any() else "-"  # no atom that far out
        print(f"{d:>5}{spread:>12.1e}{float(err[bulk].max()):>15.1e}{tail:>15}{np.mean(nodes):>8.0f}   " +
              " / ".join(f"{e:.1e}" for e in f_err), flush=True)


if __name__ == "__main__":
    main()
