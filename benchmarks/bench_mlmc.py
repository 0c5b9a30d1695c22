"""Inner-sample cost of RT-MLMC vs vanilla SGD to reach a given suboptimality (DESIGN.md §3).

Problem: binary logistic regression on synthetic data, l2 perturbation ball, entropic risk
``F(θ) = 1/n Σ_i η log E_u exp(φ(y_i(w·(x_i+ρu)+b))/η) + ½α||w||²``.

Problem with ``--norm inf``: the same with the l-inf ball (``--proposals`` compares the tilted
inner samples with the talk's uniform ones).

Reference: :func:`reference_objective` is the exact objective of the deterministic solver
(quadrature for ``l_2``, the law of ``w·u`` for ``l_∞``; no Monte Carlo); :func:`reference_optimum`
minimises it with L-BFGS.

Both solvers use the same level ``L``, batch size, step-size heuristic and ``"sqrt"``
schedule, and average iterates from epoch ``--average-start`` on. After every epoch the
averaged iterate is scored with the reference objective; the cost of a run is the number
of inner samples ``u`` drawn until ``F(θ̄) − F* ≤ tol`` for the first time (∞ if never).
Medians over seeds are compared. Note that both estimators target the level-``L``
objective ``F_L = E[η log mean_{2^L} exp(L_j/η)]``, whose minimiser differs from ``F``'s by
the ``O(2^{−L})`` bias, so ``tol`` must exceed ``F(θ*_L) − F*``.

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_mlmc.py`` (about 2–3
minutes; most of it is scoring every epoch with the reference objective, which also makes
``s/run`` a poor timing measure). Samples are counted per epoch, so the cost to reach ``tol``
is resolved to one epoch (vanilla: ``n · 2^L`` samples per epoch).

Recorded (``l_2``, and ``--norm inf`` on synthetic data and on the digits): the "RT-MLMC vs
vanilla SGD" section of ``doc/benchmarks.rst``, with the commands.
"""

import argparse
import time

import numpy as np
from scipy.optimize import minimize

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF, NORM_L2
from skentropic.datasets import load_digits_unit
from skentropic.linear_model._mirror_descent import fit_stochastic
from skentropic.linear_model._objective import linear_objective, make_inner_rule


def make_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * 2.0 / np.sqrt(d)
    y = np.where(X @ w + 0.5 + rng.logistic(size=n) > 0, 1.0, -1.0)
    return np.ascontiguousarray(X), y


def reference_objective(theta, X, y, rho, eta, alpha, code):
    """Exact entropic logistic objective and gradient: the deterministic rule of the linear
    models (quadrature for ``l_2``, the law of ``w·u`` for ``l_∞``), plus ``½α||w||²``."""
    d = X.shape[1]
    w, b = theta[:d][None, :], theta[d:]
    rule = make_inner_rule(code, d, LOGISTIC)
    value, gw, gb = linear_objective(w, b, X, y, np.full(len(y), 1.0 / len(y)), rho, eta, code, LOGISTIC, rule)
    return value + 0.5 * alpha * float(w[0] @ w[0]), np.append(gw[0] + alpha * w[0], gb)


def reference_optimum(X, y, rho, eta, alpha, code):
    """Minimise :func:`reference_objective` with L-BFGS; returns ``(θ*, F*)``."""
    res = minimize(reference_objective, np.zeros(X.shape[1] + 1), args=(X, y, rho, eta, alpha, code),
                   jac=True, method="L-BFGS-B", options={"gtol": 1e-11, "ftol": 1e-15, "maxiter": 5000})
    return res.x, res.fun


def run(estimator, proposal, args, X, y, code, f_star, seed):
    n, d = X.shape
    trace = []

    def callback(epoch, coef, intercept):
        theta = np.append(coef[0], intercept)
        trace.append(reference_objective(theta, X, y, args.rho, args.eta, args.alpha, code)[0] - f_star)

    tic = time.perf_counter()
    _, _, _, info = fit_stochastic(
        X, y, np.full(n, 1.0 / n), rho=args.rho, eta=args.eta, norm_code=code, proposal=proposal,
        loss_code=LOGISTIC, alpha=args.alpha, fit_intercept=True, coef_init=np.zeros((1, d)),
        intercept_init=np.zeros(1), estimator=estimator, max_level=args.level, n_saa_samples=1,
        batch_size=args.batch_size, max_iter=args.epochs[estimator], step_size=args.step_size,
        schedule="sqrt", radius=None, average=True, average_start=args.average_start,
        seed=seed, callback=callback,
    )
    elapsed = time.perf_counter() - tic
    cum = np.cumsum(info["samples_per_epoch"])
    gaps = np.array(trace)
    hit = np.flatnonzero(gaps <= args.tol)
    cost = cum[hit[0]] if hit.size else np.inf
    epochs = hit[0] + 1 if hit.size else np.inf
    return cost, gaps[-1], cum[-1], elapsed, epochs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--rho", type=float, default=0.5)
    p.add_argument("--eta", type=float, default=0.05)
    p.add_argument("--alpha", type=float, default=1e-2)
    p.add_argument("--level", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--step-size", type=float, default=None)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs-vanilla", type=int, default=15)
    p.add_argument("--epochs-mlmc", type=int, default=40)
    p.add_argument("--average-start", type=int, default=1)
    p.add_argument("--norm", choices=["2", "inf"], default="2")
    p.add_argument("--data", choices=["synthetic", "digits"], default="synthetic",
                   help="digits: digit >= 5 against the rest, pixels in [0, 1] (n=1797, d=64)")
    p.add_argument("--proposals", default="tilted,uniform")
    args = p.parse_args()
    args.epochs = {"vanilla": args.epochs_vanilla, "rt-mlmc": args.epochs_mlmc}
    code = NORM_INF if args.norm == "inf" else NORM_L2

    if args.data == "digits":
        X, labels = load_digits_unit()
        X, y = np.ascontiguousarray(X), np.where(labels >= 5, 1.0, -1.0)
        args.n, args.d = X.shape
    else:
        X, y = make_data(args.n, args.d, 0)
    theta_star, f_star = reference_optimum(X, y, args.rho, args.eta, args.alpha, code)
    f0 = reference_objective(np.zeros(args.d + 1), X, y, args.rho, args.eta, args.alpha, code)[0]
    print(f"data={args.data} n={args.n} d={args.d} norm=l{args.norm} rho={args.rho} eta={args.eta} alpha={args.alpha} "
          f"L={args.level} batch={args.batch_size} tol={args.tol} seeds={args.seeds} (exact reference)")
    print(f"F* = {f_star:.6f}  (F(0) - F* = {f0 - f_star:.4f}, ||θ*|| = "
          f"{np.linalg.norm(theta_star):.3f})")
    rows = {}
    for proposal in args.proposals.split(","):
        for estimator in ("vanilla", "rt-mlmc"):
            results = [run(estimator, proposal, args, X, y, code, f_star, seed) for seed in range(args.seeds)]
            rows[(estimator, proposal)] = np.array(results, dtype=float)
    print(f"\n{'estimator':>17} | {'median samples to tol':>22} | {'runs reaching':>13} | "
          f"{'final gap (median)':>18} | {'samples/run':>12} | {'s/run':>6} | {'epochs to tol':>13}")
    print("-" * 120)
    for (estimator, proposal), r in rows.items():
        print(f"{estimator + ' ' + proposal:>17} | {np.median(r[:, 0]):22.4g} | "
              f"{int(np.isfinite(r[:, 0]).sum()):>6}/{len(r):<6} | {np.median(r[:, 1]):18.3e} | "
              f"{np.median(r[:, 2]):12.4g} | {np.median(r[:, 3]):6.2f} | {np.median(r[:, 4]):13.4g}")
    for proposal in args.proposals.split(","):
        vanilla, mlmc = (np.median(rows[(e, proposal)][:, 0]) for e in ("vanilla", "rt-mlmc"))
        ratio = "neither reached it" if np.isinf(mlmc) and np.isinf(vanilla) else f"{vanilla / mlmc:.3g}"
        print(f"\n{proposal}: ratio of median inner samples to reach F - F* <= {args.tol}: "
              f"vanilla / rt-mlmc = {ratio}")
    print(f"expected samples per gradient: vanilla {2 ** args.level}, rt-mlmc "
          f"{(args.level + 1) / (2 - 0.5 ** args.level):.3f}")


if __name__ == "__main__":
    main()
