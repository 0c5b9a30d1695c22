"""The linear objective's gradient against central differences of its value, on the digits.

For every ball (``l2``, ``l-inf``, ``l1``) and loss (logistic, hinge, squared hinge on the binary
digits >= 5; softmax on the 10 classes, its tilted proposals aimed at the point evaluated), ``rho``
and ``eta`` of ``--rhos`` / ``--etas``, at random weights (seeded): the largest relative error
``|fd − g| / (|fd| + 1e-3 max|g|)`` over six coefficients and, separately, the intercept, with
central differences of step ``1e-6``. For the ``l_inf`` ball also with the rule's grid frozen at
the point (``atom_grid``'s scale, step and atom range; the gradient holds them fixed by design,
``_cube_rule``'s "Gradients"): the two columns separate the gradient's own errors from the grid's
motion. Rows above ``1e-4`` are marked. No timing.

Run: ``python benchmarks/bench_gradient_check.py [--norms l2,l-inf,l1] [--losses log,hinge,sqhinge,softmax]
[--rhos 0.05,0.5] [--etas 0.001,0.1,1,10] [--seed 2]``, or ``--fits [--norms l-inf,l1] [--rhos 0.1,0.5]
[--etas 0.1,1,10]`` for what a wrong gradient does to a fit: ``EntropicRobustSVC`` (hinge, the
estimator's defaults) on the binary digits, per ball, ``rho`` and ``eta``: its objective
``F + 0.5 alpha ||w||²`` at the fitted model (lower is closer to the optimum; the rule's values
were right where its gradient was not), ``n_iter_`` and the number of ConvergenceWarnings.
(Central differences of the fitted hinge objective are no test of its gradient: ``F`` steps by
about 1e-8 of itself wherever a point's kink crosses an atom, ``_atom_rule``'s kink correction
taking its local model from the cell the kink is in.)

Twenty-third session (2026-11-29), added when a throwaway version of it found the hinge's kink
correction's wrong derivative (``_atom_rule._euler_maclaurin``): at 0d42386 the hinge rows of
``l-inf`` and ``l1`` read up to several times the gradient at ``eta >= 1``.
"""

import argparse
from dataclasses import replace

import numpy as np

import skentropic.linear_model._law_margins as law_module
from skentropic._core._losses import HINGE, LOGISTIC, SOFTMAX, SQUARED_HINGE
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic.datasets import load_digits_unit
from skentropic.linear_model._objective import linear_objective, make_inner_rule

NORMS = {"l2": NORM_L2, "l-inf": NORM_INF, "l1": NORM_L1}
LOSSES = {"log": LOGISTIC, "hinge": HINGE, "sqhinge": SQUARED_HINGE, "softmax": SOFTMAX}
COORDS = [(0, 0), (0, 10), (-1, 20), (0, 33), (-1, 50), (0, 63)]
H = 1e-6


def errors(f, W, b):
    """Largest relative errors of ``f``'s gradient in ``W`` (at ``COORDS``) and in ``b[0]``."""
    _, gW, gb = f(W, b)
    scale = max(np.abs(gW).max(), np.abs(gb).max())

    def rel(fd, g):
        return abs(fd - g) / (abs(fd) + 1e-3 * scale)

    worst = 0.0
    for k, j in COORDS:
        E = np.zeros_like(W)
        E[k, j] = H
        worst = max(worst, rel((f(W + E, b)[0] - f(W - E, b)[0]) / (2 * H), gW[k, j]))
    E = np.zeros_like(b)
    E[0] = H
    return worst, rel((f(W, b + E)[0] - f(W, b - E)[0]) / (2 * H), gb[0])


def frozen_grid(f, W, b):
    """:func:`errors` with ``atom_grid`` returning the grid of the point ``(W, b)`` (one per
    ``n_big_max``: near a tie of the 8th and 9th weights the rule blends two grids)."""
    real, kept = law_module.atom_grid, {}

    def grid(*args, **kwargs):
        key = kwargs.get("n_big_max")
        if key not in kept:
            kept[key] = real(*args, **kwargs)
        return kept[key]

    law_module.atom_grid = grid
    try:
        f(W, b)
        return errors(f, W, b)
    finally:
        law_module.atom_grid = real


def fits(args):
    """``--fits``: the SVC's objectives at its fitted models."""
    import warnings

    from skentropic.linear_model import EntropicRobustSVC

    X, digit = load_digits_unit()
    X = np.ascontiguousarray(X)
    y = np.where(digit >= 5, 1.0, -1.0)
    n, d = X.shape
    sw = np.full(n, 1.0 / n)
    print("EntropicRobustSVC (hinge) on the binary digits: objective at the fitted model, n_iter_, warnings")
    print(f"{'ball':<6}{'rho':>6}{'eta':>7}{'objective':>13}{'n_iter':>8}{'warnings':>10}")
    for norm_name in args.norms.split(","):
        norm = NORMS[norm_name]
        rule = make_inner_rule(norm, d, HINGE)
        for rho in (float(r) for r in args.rhos.split(",")):
            for eta in (float(e) for e in args.etas.split(",")):
                est = EntropicRobustSVC(rho=rho, eta=eta, norm={"l2": 2, "l-inf": np.inf, "l1": 1}[norm_name],
                                        random_state=0)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    est.fit(X, y)
                w = est.coef_.ravel()
                value = linear_objective(est.coef_, est.intercept_, X, y, sw, rho, eta, norm, HINGE, rule)[0]
                value += 0.5 / (est.C * n) * float(w @ w)
                print(f"{norm_name:<6}{rho:>6}{eta:>7}{value:>13.8f}{est.n_iter_:>8}{len(caught):>10}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--norms", default="l2,l-inf,l1")
    parser.add_argument("--losses", default="log,hinge,sqhinge,softmax")
    parser.add_argument("--rhos", default="0.05,0.5")
    parser.add_argument("--etas", default="0.001,0.1,1,10")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--fits", action="store_true",
                        help="EntropicRobustSVC's fits on the digits: objective and gradient (central differences)")
    args = parser.parse_args()
    if args.fits:
        fits(args)
        return
    X, digit = load_digits_unit()
    X = np.ascontiguousarray(X)
    n, d = X.shape
    sw = np.full(n, 1.0 / n)
    rng = np.random.RandomState(args.seed)
    print("relative gradient errors on the digits (central differences, step 1e-6); '<<<': above 1e-4")
    print(f"{'ball':<6}{'loss':>8}{'rho':>6}{'eta':>7}{'W':>10}{'b':>10}{'W frozen':>10}{'b frozen':>10}")
    for norm_name in args.norms.split(","):
        norm = NORMS[norm_name]
        for loss_name in args.losses.split(","):
            loss = LOSSES[loss_name]
            y, k = (digit.astype(np.int64), 10) if loss == SOFTMAX else (np.where(digit >= 5, 1.0, -1.0), 1)
            rule = make_inner_rule(norm, d, loss)
            for rho in (float(r) for r in args.rhos.split(",")):
                for eta in (float(e) for e in args.etas.split(",")):
                    W, b = rng.randn(k, d) * 0.4, rng.randn(k) * 0.1
                    # the softmax's tilted proposals aimed at the point, fixed (as within an L-BFGS run)
                    point_rule = replace(rule, anchor=(W.copy(), b.copy())) if loss == SOFTMAX else rule

                    def f(W, b):
                        return linear_objective(W, b, X, y, sw, rho, eta, norm, loss, point_rule)

                    e_w, e_b = errors(f, W, b)
                    cells = f"{e_w:>10.1e}{e_b:>10.1e}"
                    worst = max(e_w, e_b)
                    if norm == NORM_INF and loss != SOFTMAX:
                        f_w, f_b = frozen_grid(f, W, b)
                        cells += f"{f_w:>10.1e}{f_b:>10.1e}"
                    else:
                        cells += f"{'':>10}{'':>10}"
                    print(f"{norm_name:<6}{loss_name:>8}{rho:>6}{eta:>7}{cells}{'  <<<' if worst > 1e-4 else ''}",
                          flush=True)


if __name__ == "__main__":
    main()
