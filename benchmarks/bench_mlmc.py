"""Inner-sample cost of RT-MLMC vs vanilla SGD to reach a given suboptimality (DESIGN.md §3).

Problem: binary logistic regression on synthetic data, l2 perturbation ball, entropic risk
``F(θ) = 1/n Σ_i η log E_u exp(φ(y_i(w·(x_i+ρu)+b))/η) + ½α||w||²``.

Reference: :func:`reference_objective` is a Monte Carlo objective with ``m = 4096`` common
random numbers ``u_1..u_m`` shared by every point and every θ (so differences
``F(θ) − F(θ*)`` are far more accurate than the value itself); :func:`reference_optimum`
minimises it with L-BFGS. Both are the only functions to change when an exact objective
(``skentropic.linear_model._objective``, Gauss–Gegenbauer quadrature for ``p = 2``) is available.

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
"""

import argparse
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_L2
from skentropic._core._sampling import sample_unit_ball_kernel
from skentropic.linear_model._mirror_descent import fit_stochastic


def make_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * 2.0 / np.sqrt(d)
    y = np.where(X @ w + 0.5 + rng.logistic(size=n) > 0, 1.0, -1.0)
    return np.ascontiguousarray(X), y


def reference_objective(theta, X, y, rho, eta, alpha, U):
    """Monte Carlo entropic logistic objective and gradient with fixed samples ``U`` (m, d).

    ``F(θ) = 1/n Σ_i η log (1/m) Σ_j exp(φ(s_i + y_i ρ w·u_j)/η) + ½α||w||²``,
    ``s_i = y_i(w·x_i + b)``, ``θ = (w, b)``.
    """
    n, d = X.shape
    w, b = theta[:d], theta[d]
    s = y * (X @ w + b)
    uw = U @ w
    value, gw, gb, gu = 0.0, np.zeros(d), 0.0, 0.0 * uw
    for start in range(0, n, 128):  # row chunks keep the (rows, m) temporaries in cache
        rows = slice(start, start + 128)
        z = s[rows, None] + (y[rows] * rho)[:, None] * uw[None, :]
        loss = np.logaddexp(0.0, -z)
        lse = logsumexp(loss / eta, axis=1, keepdims=True)
        value += eta * (lse[:, 0] - np.log(U.shape[0])).sum()
        # π_ij y_i φ'(z_ij), with φ'(z) = −1/(1+e^z) = −(1 − tanh(z/2))/2
        ry = np.exp(loss / eta - lse) * (-0.5 * (1.0 - np.tanh(0.5 * z))) * y[rows, None]
        gw += X[rows].T @ ry.sum(axis=1)
        gu += ry.sum(axis=0)
        gb += ry.sum()
    value = value / n + 0.5 * alpha * w @ w
    gw = gw / n + rho * (U.T @ gu) / n + alpha * w
    return value, np.append(gw, gb / n)


def reference_optimum(X, y, rho, eta, alpha, U):
    """Minimise :func:`reference_objective` with L-BFGS; returns ``(θ*, F*)``."""
    res = minimize(reference_objective, np.zeros(X.shape[1] + 1), args=(X, y, rho, eta, alpha, U),
                   jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-14,
                                                        "maxiter": 5000})
    return res.x, res.fun


def run(estimator, args, X, y, U, f_star, seed):
    n, d = X.shape
    trace = []

    def callback(epoch, coef, intercept):
        theta = np.append(coef[0], intercept)
        trace.append(reference_objective(theta, X, y, args.rho, args.eta, args.alpha, U)[0] - f_star)

    tic = time.perf_counter()
    _, _, _, info = fit_stochastic(
        X, y, np.full(n, 1.0 / n), rho=args.rho, eta=args.eta, norm_code=NORM_L2,
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
    p.add_argument("--n-mc", type=int, default=4096)
    args = p.parse_args()
    args.epochs = {"vanilla": args.epochs_vanilla, "rt-mlmc": args.epochs_mlmc}

    X, y = make_data(args.n, args.d, 0)
    U = sample_unit_ball_kernel(args.n_mc, args.d, NORM_L2, 12345)
    theta_star, f_star = reference_optimum(X, y, args.rho, args.eta, args.alpha, U)
    f0 = reference_objective(np.zeros(args.d + 1), X, y, args.rho, args.eta, args.alpha, U)[0]
    print(f"n={args.n} d={args.d} rho={args.rho} eta={args.eta} alpha={args.alpha} L={args.level} "
          f"batch={args.batch_size} tol={args.tol} seeds={args.seeds} reference m={args.n_mc}")
    print(f"F* = {f_star:.6f}  (F(0) - F* = {f0 - f_star:.4f}, ||θ*|| = "
          f"{np.linalg.norm(theta_star):.3f})")
    rows = {}
    for estimator in ("vanilla", "rt-mlmc"):
        results = [run(estimator, args, X, y, U, f_star, seed) for seed in range(args.seeds)]
        rows[estimator] = np.array(results, dtype=float)
    print(f"\n{'estimator':>9} | {'median samples to tol':>22} | {'runs reaching':>13} | "
          f"{'final gap (median)':>18} | {'samples/run':>12} | {'s/run':>6} | {'epochs to tol':>13}")
    print("-" * 112)
    for estimator, r in rows.items():
        print(f"{estimator:>9} | {np.median(r[:, 0]):22.4g} | "
              f"{int(np.isfinite(r[:, 0]).sum()):>6}/{len(r):<6} | {np.median(r[:, 1]):18.3e} | "
              f"{np.median(r[:, 2]):12.4g} | {np.median(r[:, 3]):6.2f} | {np.median(r[:, 4]):13.4g}")
    ratio = np.median(rows["vanilla"][:, 0]) / np.median(rows["rt-mlmc"][:, 0])
    print(f"\nratio of median inner samples to reach F - F* <= {args.tol}: "
          f"vanilla / rt-mlmc = {ratio:.3g}")
    print(f"expected samples per gradient: vanilla {2 ** args.level}, rt-mlmc "
          f"{(args.level + 1) / (2 - 0.5 ** args.level):.3f}")


if __name__ == "__main__":
    main()
