"""Why some binary l-inf fits take many L-BFGS iterations: the entropic objective's curvature.

For each ``--sizes`` x ``--etas`` (logistic, ``l_inf`` ball of ``--rho``, ``C = 1``, the fit of
``bench_deterministic.py`` to ``tol = 1e-6``), at the fitted parameters ``θ``:

- the L-BFGS iterations of the fit (all its runs);
- ``F''``: the entropic loss's second derivative in the score at each point, by central
  differences of ``∂F_i/∂s_i`` with the rule's atoms held at ``θ`` (step ``1e-5``), how many
  points have ``F'' > 1/4`` (the logistic loss's largest) and ``> 1``, and the largest;
- the Hessian ``H`` of the objective (``F`` plus ``α||w||²/2``) by central differences of the
  exact gradient, and its part through the scores, ``S = X̃ᵀ diag(sw F'') X̃ + α I``
  (``X̃ = [X, 1]``): the largest eigenvalue and the condition number of each, and the largest
  ``|eig|`` of the remainder ``H − S`` (the dependence of the rule's law on ``|w|``);
- for comparison, the same of the ERM objective's Hessian (``ρ = 0``) at the ERM solution.

No timing. Twenty-fourth session (2026-11-29), to explain the one binary cell that stays far
above scikit-learn's fit time (1000 x 784, ``eta = 0.01``). d + 1 gradients per Hessian (two
seconds at d = 784).

Run: ``python benchmarks/bench_curvature.py [--sizes 1000x784] [--etas 0.03,0.01,0.003] [--rho 0.1]``.
"""

import argparse

import numpy as np
from bench_deterministic import fit, load_size

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF
from skentropic.linear_model._law_margins import cube_law
from skentropic.linear_model._objective import linear_objective, make_inner_rule
from skentropic.linear_model._score_grid import atom_nodes


def gradient(theta, X, y, rho, eta, rule):
    """The fit's objective's gradient in ``θ = (w, b)`` (``sw = 1/n``, ``α = 1/n``)."""
    n, d = X.shape
    _, g_w, g_b = linear_objective(theta[None, :d], theta[d:], X, y, np.full(n, 1.0 / n), rho, eta, NORM_INF,
                                   LOGISTIC, rule)[:3]
    return np.concatenate([np.ravel(g_w) + theta[:d] / n, np.ravel(g_b)])


def hessian(theta, X, y, rho, eta, rule, step=1e-5):
    """Central differences of :func:`gradient`, symmetrised."""
    H = np.empty((theta.shape[0], theta.shape[0]))
    for k in range(theta.shape[0]):
        e = np.zeros_like(theta)
        e[k] = step
        H[:, k] = (gradient(theta + e, X, y, rho, eta, rule) - gradient(theta - e, X, y, rho, eta, rule)) / (2 * step)
    return 0.5 * (H + H.T)


def score_curvature(theta, X, y, rho, eta, step=1e-5):
    """``F''(s_i)`` at every point, the rule's atoms held at ``θ``."""
    d = X.shape[1]
    scores = y * (X @ theta[:d] + theta[d])
    t, log_w = cube_law(theta[:d], rho, eta, LOGISTIC, float(np.abs(scores).max()))[:2]
    shift, m = np.ascontiguousarray(-t), t.shape[0]

    def slope(s):
        v, psi, pi = np.empty(s.shape[0]), np.empty((s.shape[0], m)), np.empty((s.shape[0], m))
        atom_nodes(np.ascontiguousarray(s), shift, np.ascontiguousarray(log_w), float(eta), LOGISTIC, v, psi, pi)
        return psi.sum(axis=1)

    return (slope(scores + step) - slope(scores - step)) / (2 * step)


def spectrum(M):
    ev = np.linalg.eigvalsh(M)
    return ev[-1], ev[-1] / ev[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000x784")
    parser.add_argument("--etas", default="0.03,0.01,0.003")
    parser.add_argument("--rho", type=float, default=0.1)
    args = parser.parse_args()
    print(f"logistic, l-inf rho={args.rho}, C=1, fits to tol 1e-6; F'' > 1/4 and > 1: points; "
          "H: the objective's Hessian, S: its part through the scores (eig max / condition)")
    print(f"{'n x d':>10}{'eta':>8}{'iters':>7}{'F>1/4':>7}{'F>1':>6}{'max Fpp':>9}{'H max':>8}{'H cond':>9}"
          f"{'S max':>8}{'S cond':>9}{'|H-S|':>8}")
    for size in args.sizes.split(","):
        X, y = load_size(size)
        n, d = X.shape
        Xt = np.hstack([X, np.ones((n, 1))])
        rule = make_inner_rule(NORM_INF, d, LOGISTIC)
        erm = fit(X, y, 0.0, 0.01, NORM_INF, 1.0, 1e-6, rule)
        theta = np.concatenate([erm[0].ravel(), erm[1]])
        h_max, h_cond = spectrum(hessian(theta, X, y, 0.0, 0.01, rule))
        print(f"{size:>10}{'ERM':>8}{erm[2]:>7}{'':>7}{'':>6}{0.25:>9.3f}{h_max:>8.3f}{h_cond:>9.0f}")
        for eta in (float(e) for e in args.etas.split(",")):
            coef, intercept, n_iter, _ = fit(X, y, args.rho, eta, NORM_INF, 1.0, 1e-6, rule)
            theta = np.concatenate([coef.ravel(), intercept])
            curvature = score_curvature(theta, X, y, args.rho, eta)
            H = hessian(theta, X, y, args.rho, eta, rule)
            S = Xt.T @ (Xt * (curvature / n)[:, None])
            S[:d, :d] += np.eye(d) / n
            h_max, h_cond = spectrum(H)
            s_max, s_cond = spectrum(S)
            rest = np.abs(np.linalg.eigvalsh(H - S)).max()
            print(f"{size:>10}{eta:>8}{n_iter:>7}{int((curvature > 0.25).sum()):>7}{int((curvature > 1).sum()):>6}"
                  f"{curvature.max():>9.3f}{h_max:>8.3f}{h_cond:>9.0f}{s_max:>8.3f}{s_cond:>9.0f}{rest:>8.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
