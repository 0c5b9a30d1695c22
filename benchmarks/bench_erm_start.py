"""Where the binary logistic fits should start: from zero, or from the ERM solution with its pairs.

For each problem, ball and ``eta`` (logistic loss, ``C = 1``, ``--rho``, ``--tol``): the ratio the
ERM start's test reads (``max|grad|`` of the entropic objective at the penalised ERM solution over
``max|grad|`` at zero, ``linear_model/_lbfgs.py``), then the entropic run of the two starts the
test chooses between, each as iterations / evaluations and the median time of ``--repeats``
(alternated; the ERM fit's time is in both): ``zero`` is scipy's L-BFGS-B from zero weights
without pairs, ``erm`` is :func:`~skentropic.linear_model._lbfgs_memory.lbfgs` from the ERM
solution with the ERM fit's correction pairs. The objectives reached are printed too (they
agree to the tolerance). Problems: ``NxD`` (seeded synthetic data), ``digits`` (the embedded
digits as a binary problem, digit >= 5) and ``ovrK`` (digit K against the rest: one class of a
one-vs-rest fit).

Run: ``python benchmarks/bench_erm_start.py [--problems digits,ovr0,...] [--norms l2,l1]
[--etas 0.01,0.001] [--rho 0.1] [--tol 1e-4] [--repeats 3]``.
"""

import argparse
import time

import numpy as np
from bench_deterministic import load_size
from scipy.optimize import minimize

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_L1, NORM_L2
from skentropic._core._threads import single_blas_thread
from skentropic.datasets import load_digits_unit
from skentropic.linear_model._lbfgs import _MAXCOR, _MAXCOR_KEPT
from skentropic.linear_model._lbfgs_memory import Memory, lbfgs
from skentropic.linear_model._objective import linear_objective, make_inner_rule


def load_problem(name):
    if name.startswith("ovr"):
        X, y = load_digits_unit()
        return np.ascontiguousarray(X), np.where(y == int(name[3:]), 1.0, -1.0)
    return load_size(name)


def objective(X, y, rho, eta, norm, counter):
    """The estimators' penalised objective (``alpha = 1/n``) in ``theta = (w, b)``."""
    n, d = X.shape
    sw, alpha, rule = np.full(n, 1.0 / n), 1.0 / n, make_inner_rule(norm, d, LOGISTIC)

    def fun(theta, radius=rho):
        counter[0] += radius > 0
        coef, b = theta[:d].reshape(1, d), theta[d:]
        value, g_coef, g_int = linear_objective(coef, b, X, y, sw, radius, eta, norm, LOGISTIC, rule)
        return (value + 0.5 * alpha * float(theta[:d] @ theta[:d]),
                np.concatenate([g_coef.ravel() + alpha * theta[:d], g_int]))
    return fun


def one_fit(X, y, rho, eta, norm, tol, start):
    """``(ratio, iterations, evaluations, objective)`` of the entropic run from ``start``."""
    counter = [0]
    fun = objective(X, y, rho, eta, norm, counter)
    theta0 = np.zeros(X.shape[1] + 1)
    settings = {"gtol": tol, "ftol": 64 * np.finfo(float).eps, "verbose": 0}
    memory = Memory(_MAXCOR_KEPT)
    erm = lbfgs(lambda theta: fun(theta, 0.0), theta0, memory, maxiter=1000, **settings)
    ratio = np.max(np.abs(fun(erm.x)[1])) / np.max(np.abs(fun(theta0, 0.0)[1]))
    counter[0] = 0
    if start == "erm":
        res = lbfgs(fun, erm.x, memory, maxiter=1000, **settings)
    else:
        res = minimize(fun, theta0, method="L-BFGS-B", jac=True,
                       options={"maxiter": 1000, "gtol": tol, "ftol": settings["ftol"], "maxcor": _MAXCOR,
                                "maxls": 50})
    return float(ratio), int(res.nit), counter[0], float(res.fun)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="digits,1000x64,ovr0,ovr3,ovr8")
    parser.add_argument("--norms", default="l2,l1")
    parser.add_argument("--etas", default="0.01,0.001")
    parser.add_argument("--rho", type=float, default=0.1)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    codes = {"l2": NORM_L2, "l1": NORM_L1}
    print(f"logistic, rho={args.rho} C=1 tol={args.tol}; entropic run: iterations / evaluations, "
          f"median time of {args.repeats} [ms] (with the ERM fit)")
    print(f"{'problem':>10}{'ball':>5}{'eta':>7}{'ratio':>8}   {'zero':<28}{'erm':<28}")
    with single_blas_thread():
        for problem in args.problems.split(","):
            X, y = load_problem(problem)
            for name in args.norms.split(","):
                for eta in (float(e) for e in args.etas.split(",")):
                    cells = {}
                    for start in ("zero", "erm"):  # compile and warm up
                        one_fit(X, y, args.rho, eta, codes[name], args.tol, start)
                    times = {"zero": [], "erm": []}
                    for _ in range(args.repeats):
                        for start in ("zero", "erm"):
                            t0 = time.perf_counter()
                            cells[start] = one_fit(X, y, args.rho, eta, codes[name], args.tol, start)
                            times[start].append(time.perf_counter() - t0)
                    text = "".join(f"{c[1]:>4}/{c[2]:<4}{np.median(times[s]) * 1e3:7.1f} f={c[3]:.7f} "
                                   for s, c in cells.items())
                    print(f"{problem:>10}{name:>5}{eta:>7}{cells['zero'][0]:>8.3f}   {text}", flush=True)


if __name__ == "__main__":
    main()
