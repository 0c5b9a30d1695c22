"""Fit time of ``fit_lbfgs`` (deterministic entropic objective) vs sklearn's LogisticRegression.

Binary synthetic data (seeded), n=50000, d=200, rho=0.1. Rows: l2 quadrature and l_inf fixed
samples (default n_inner_samples) for eta in {0.05, 0.01}; baseline
``LogisticRegression(solver="lbfgs")`` on the same data in the same run, with the same
penalty (alpha = 1 / (C n)) and tolerance. Median of ``--repeats`` fits each. numba
compilation is excluded: every configuration is fitted once on a small problem first.

Run: ``python benchmarks/bench_deterministic.py [--n 50000] [--d 200] [--repeats 3]``

Measured 2026-11-25 (2 shared cores, load average 2.8 during the run; ratio = time / sklearn's
time in the same run; targets: at most 3x for l2 and 10x for l_inf), median of 5::

    method                         eta  time [s]  n_iter   ratio
    sklearn LogisticRegression       -     0.137       7    1.00
    l2 quadrature                 0.05     0.153       7    1.12
    l2 quadrature                 0.01     0.155       7    1.13
    l_inf samples (m=256)         0.05     0.221       8    1.61
    l_inf samples (m=256)         0.01     0.488      15    3.56

Under heavier load (load average 5-6) the ratios were 1.75, 1.88, 3.01, 5.53 (sklearn 0.356 s).
Before the score grid (:mod:`skentropic.linear_model._score_grid`; every point evaluated directly, load
average 1.8-3.8) they were 7.50, 8.87, 22.3 and 65.3 (sklearn 0.124 s). The l_inf rows
take more L-BFGS iterations than sklearn at eta=0.01: that is the objective, not the solver.
"""

import argparse
import os
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF, NORM_L2
from skentropic.linear_model._lbfgs import fit_lbfgs
from skentropic.linear_model._objective import make_inner_rule


def make_data(n, d, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    w = rng.randn(d) / np.sqrt(d)
    y = np.where(X @ w + 0.5 * rng.randn(n) > 0, 1.0, -1.0)
    return X, y


def fit(X, y, rho, eta, norm, C, tol, rule):
    n, d = X.shape
    return fit_lbfgs(X, y, np.full(n, 1.0 / n), rho=rho, eta=eta, norm_code=norm, loss_code=LOGISTIC,
                     alpha=1.0 / (C * n), fit_intercept=True, coef_init=np.zeros((1, d)),
                     intercept_init=np.zeros(1), max_iter=1000, tol=tol, rule=rule)


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50000)
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = make_data(args.n, args.d)
    C, tol, rho = 1.0, 1e-4, 0.1
    # sklearn's lbfgs stops on the gradient of the mean loss (scaled objective): same tol here
    configs = [("l2 quadrature", NORM_L2), ("l_inf samples (m=256)", NORM_INF)]
    rules = {norm: make_inner_rule(norm, args.d, LOGISTIC) for _, norm in configs}
    Xs, ys = make_data(200, args.d, seed=1)
    Xm, ym = make_data(20000, 5, seed=1)  # large enough for the score grid (compiles its kernels too)
    for _, norm in configs:  # warm-up: compile numba kernels outside the timings
        fit(Xs, ys, rho, 0.05, norm, C, tol, rules[norm])
        fit(Xm, ym, rho, 0.05, norm, C, tol, make_inner_rule(norm, 5, LOGISTIC))
    t_sk, clf = timed(lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=1000).fit(X, y), args.repeats)
    print(f"n={args.n} d={args.d} rho={rho} C={C} tol={tol}; median of {args.repeats}; numba compile excluded; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'method':<28}{'eta':>6}{'time [s]':>10}{'n_iter':>8}{'ratio':>8}")
    print(f"{'sklearn LogisticRegression':<28}{'-':>6}{t_sk:>10.3f}{int(clf.n_iter_[0]):>8}{1.0:>8.2f}")
    for name, norm in configs:
        for eta in (0.05, 0.01):
            t, out = timed(lambda: fit(X, y, rho, eta, norm, C, tol, rules[norm]), args.repeats)
            print(f"{name:<28}{eta:>6}{t:>10.3f}{out[2]:>8}{t / t_sk:>8.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
