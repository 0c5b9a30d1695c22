"""Accuracy of the multinomial entropic risk: the estimate against itself with many more samples.

Model: ``EntropicRobustLogisticRegression(multi_class="multinomial", rho, eta)`` fitted on the
10-class digits (features in [0, 1], ``random_state=0``). Its ``entropic_risk`` (32 tilted
samples per point) is compared with the same model evaluated with 128, 512 and 2048 samples per
point (another seed): an estimate whose proposal misses the region that dominates
``E exp(l/eta)`` keeps rising with the sample count; a good one does not move. For the l-inf ball
the rows are given twice: with the tilt at the fast-gradient vertex (``MATCH_ITER = 0``: the
proposal before 2026-11-27) and with the mean-matched tilt
(:func:`skentropic._core._tilt_matching.mean_matched_tilts`, the default).

``--convergence`` takes a scikit-learn ``LogisticRegression`` fitted on 300 digits (``d = 64``)
and compares 32 with 4096 samples per point for each ball, radius and ``eta`` (no fit): the mean
risk with 32 samples (four seeds averaged) and with 4096 (two seeds), their relative
difference, the seed-to-seed standard deviation of the 32-sample mean risk, and the median over
points of the standard deviation of a point's 32-sample risk relative to its 4096-sample one.

``--aim`` instead compares the L-BFGS aiming rounds with all samples per point
(``_AIM_DIVISOR = 1``) and with a quarter of them (4, the default): fit time ratio and the
true objective of the fitted model (1024 samples per point, penalty included).
``--aim-variants`` compares the defaults (20 iterations per aiming round, at most 4 anchors, a
quarter of the samples) with 10 iterations, 3 anchors, both, and an eighth of the samples.

``--fits`` fits each ball with each seed at the default ``tol`` and ``max_iter=100`` (time, iterations,
whether a ``ConvergenceWarning`` was raised) and at 500, and gives both fits' true objectives.

``--two-classes`` compares the multinomial rule with an exact reference: with two classes the
softmax loss is the logistic loss of the margin ``(w_y - w_other)·x``, whose entropic risk the
binary rules compute exactly (l2 quadrature, exact l-inf and l1 laws). Grid: ``d`` in {2, 8,
64, 784}, the three balls, ``rho ||w_1 - w_0||_*`` in {0.1, 1, 10} and ``eta`` from 1e-4 to 100.

``--samples`` takes one hard two-class cell (``d = 784``, l-inf, ``rho ||w_1 - w_0||_1 = 10``,
``eta = 0.01``) for four problems and reports the error with 32, 256 and 2048 samples per point.

``--tolerance`` times ``entropic_risk`` of the fitted 10-class model with the fit's 32 samples,
to ``rtol=1e-3`` (the default) and to ``rtol=1e-4``, against 4096 samples per point.

Run: ``python benchmarks/bench_multinomial_accuracy.py [--norms inf,2,1] [--rho 0.05] [--eta 0.01]``
or ``... --convergence``, ``... --two-classes [--rtol 1e-3]``, ``... --samples``, ``... --tolerance``,
or ``... --aim [--seeds 0,1]``, ``... --aim-variants [--norms inf] [--seeds 0,1,2]``, or ``... --fits [--seeds 0,1]``.

Measurements (the rows of every mode, by session): ``benchmarks/bench_multinomial_accuracy_history.rst``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits

import skentropic._core._tilt_matching as matching
import skentropic.linear_model._lbfgs as lbfgs
from skentropic import EntropicRobustLogisticRegression

NORMS = {"inf": np.inf, "2": 2, "1": 1}


def _data():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _model(norm, rho, eta, seed=0, n_samples=None):
    return EntropicRobustLogisticRegression(rho=rho, eta=eta, norm=norm, C=1.0, tol=1e-4, max_iter=500,
                                            multi_class="multinomial", random_state=seed,
                                            n_inner_samples=n_samples)


def _risk_with(fitted, X, y, n_samples, seed=1):
    """``entropic_risk`` of ``fitted``'s coefficients with ``n_samples`` samples per point."""
    est = _model(fitted.norm, fitted.rho, fitted.eta, seed=seed, n_samples=n_samples)
    est.fit(X[:50], y[:50])  # fitted attributes, then the coefficients under test
    est.coef_, est.intercept_ = fitted.coef_, fitted.intercept_
    return est.entropic_risk(X, y, rtol=None)


def accuracy(args):
    X, y = _data()
    print(f"{'ball':<7}{'tilt':<9}{'reported':>10}" + "".join(f"{'m=' + str(m):>13}" for m in (128, 512, 2048))
          + f"{'2048/reported-1':>18}")
    for name in args.norms.split(","):
        modes = [("vertex", 0), ("matched", matching.MATCH_ITER)] if name == "inf" else [("matched", matching.MATCH_ITER)]
        for label, n_iter in modes:
            saved, matching.MATCH_ITER = matching.MATCH_ITER, n_iter
            try:
                fitted = _model(NORMS[name], args.rho, args.eta).fit(X, y)
                reported = fitted.entropic_risk(X, y, rtol=None)
                more = [_risk_with(fitted, X, y, m) for m in (128, 512, 2048)]
            finally:
                matching.MATCH_ITER = saved
            print(f"{name:<7}{label:<9}{reported:10.6f}" + "".join(f"{v:13.6f}" for v in more)
                  + f"{more[-1] / reported - 1:+18.2e}", flush=True)


def tolerance(args):
    """``--tolerance``: the 10-class digits model of each ball at ``eta`` 0.01 and 0.1, its
    ``entropic_risk`` with the fit's 32 samples (``rtol=None``), to ``rtol`` 1e-3 (the default) and
    1e-4, each with its time, against 4096 samples per point."""
    X, y = _data()
    print(f"{'ball':<6}{'eta':>6}{'32 samples':>12}{'rtol 1e-3':>12}{'rtol 1e-4':>12}{'m=4096':>12}"
          f"{'time [s]: 32 / 1e-3 / 1e-4':>30}")
    for name in args.norms.split(","):
        for eta in (0.01, 0.1):
            fitted = _model(NORMS[name], args.rho, eta).fit(X, y)
            values, times = [], []
            for rtol in (None, 1e-3, 1e-4):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a bound above rtol at the cap: the table shows it
                    values.append(fitted.entropic_risk(X, y, rtol=rtol))
                times.append(time.perf_counter() - start)
            ref = _risk_with(fitted, X, y, 4096)
            print(f"{name:<6}{eta:6g}" + "".join(f"{v:12.6f}" for v in values) + f"{ref:12.6f}"
                  + f"{' / '.join(f'{t:.2f}' for t in times):>30}", flush=True)


def _aimed_fit(name, seed, args, **settings):
    """``(time, true objective)`` of a fit with the L-BFGS aiming settings of
    :mod:`skentropic.linear_model._lbfgs` (``_AIM_DIVISOR``, ``_AIM_ITER``, ``_MAX_ROUNDS``)
    overridden for its duration; the true objective with 1024 samples per point, penalty included."""
    X, y = _data()
    saved = {key: getattr(lbfgs, key) for key in settings}
    try:
        for key, value in settings.items():
            setattr(lbfgs, key, value)
        t0 = time.perf_counter()
        fitted = _model(NORMS[name], args.rho, args.eta, seed=seed).fit(X, y)
        elapsed = time.perf_counter() - t0
    finally:
        for key, value in saved.items():
            setattr(lbfgs, key, value)
    penalty = 0.5 / X.shape[0] * float(np.sum(fitted.coef_ ** 2))
    return elapsed, _risk_with(fitted, X, y, 1024, seed=11) + penalty


def aim(args):
    print(f"{'ball':<6}{'seed':>5}{'time 1/4 [s]':>14}{'time all [s]':>14}{'ratio':>7}"
          f"{'objective 1/4':>15}{'objective all':>15}{'rel. diff':>11}")
    for name in args.norms.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            (t4, o4), (t1, o1) = (_aimed_fit(name, seed, args, _AIM_DIVISOR=divisor) for divisor in (4, 1))
            print(f"{name:<6}{seed:>5}{t4:14.2f}{t1:14.2f}{t4 / t1:7.2f}{o4:15.6f}{o1:15.6f}{o4 / o1 - 1:+11.1e}",
                  flush=True)


AIM_VARIANTS = [("default", {}), ("10 iterations", {"_AIM_ITER": 10}), ("3 rounds", {"_MAX_ROUNDS": 3}),
                ("10 it., 3 rounds", {"_AIM_ITER": 10, "_MAX_ROUNDS": 3}), ("1/8 samples", {"_AIM_DIVISOR": 8})]


def aim_variants(args):
    """``--aim-variants``: shorter or fewer aiming rounds, or fewer aiming samples, against the
    defaults: fit time (best of two) and true objective relative to the default fit's."""
    print(f"{'ball':<6}{'seed':>5}  {'variant':<18}{'time [s]':>10}{'objective':>12}{'rel. diff':>11}")
    for name in args.norms.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            base = None
            for label, settings in AIM_VARIANTS:
                runs = [_aimed_fit(name, seed, args, **settings) for _ in range(2)]
                elapsed, objective = min(t for t, _ in runs), runs[0][1]
                base = objective if base is None else base
                print(f"{name:<6}{seed:>5}  {label:<18}{elapsed:10.3f}{objective:12.7f}{objective / base - 1:+11.1e}",
                      flush=True)


def fits(args):
    """``--fits``: each ball and seed's fit time, iterations and convergence with the estimator's
    default ``tol`` and ``max_iter=100`` (what a user runs), and the true objective (1024 samples
    per point, penalty included) of that fit and of one run to ``max_iter=500``; with
    ``--inner-samples M`` the fits' ``n_inner_samples`` (default: the estimator's)."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    print(f"{'ball':<6}{'seed':>5}{'time [s]':>10}{'n_iter':>8}{'warned':>8}{'objective':>14}"
          f"{'at 500 iter.':>14}{'rel. diff':>11}")
    for name in args.norms.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            objective = []
            for max_iter in (100, 500):
                model = _model(NORMS[name], args.rho, args.eta, seed=seed, n_samples=args.inner_samples).set_params(
                    max_iter=max_iter, tol=EntropicRobustLogisticRegression().tol)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    t0 = time.perf_counter()
                    model.fit(X, y)
                    elapsed = time.perf_counter() - t0
                if max_iter == 100:
                    row = (elapsed, model.n_iter_, any(issubclass(w.category, ConvergenceWarning) for w in caught))
                penalty = 0.5 / X.shape[0] * float(np.sum(model.coef_ ** 2))
                objective.append(_risk_with(model, X, y, 1024, seed=11) + penalty)
            print(f"{name:<6}{seed:>5}{row[0]:10.2f}{int(np.max(row[1])):>8}{str(row[2]):>8}{objective[0]:14.7f}"
                  f"{objective[1]:14.7f}{objective[0] / objective[1] - 1:+11.1e}", flush=True)


def convergence(args):
    from sklearn.linear_model import LogisticRegression

    from skentropic._core._losses import SOFTMAX
    from skentropic.linear_model._objective import make_inner_rule, per_sample_objective

    X, y = _data()
    X, y = X[:300], y[:300]
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)

    def risks(code, rho, eta, m, seeds):
        return np.array([per_sample_objective(lr.coef_, lr.intercept_, X, y, rho, eta, code, SOFTMAX,
                                              make_inner_rule(code, 64, SOFTMAX, n_inner_samples=m, seed=s))
                         for s in seeds])

    print(f"{'ball':<6}{'rho':>6}{'eta':>7}{'m=32':>11}{'m=4096':>11}{'rel. diff':>11}{'seed sd':>10}"
          f"{'point sd':>10}")
    for name, rhos in (("inf", (0.05, 0.1)), ("2", (0.2, 0.5)), ("1", (0.05, 0.5))):
        code = {"inf": 0, "2": 1, "1": 2}[name]
        for rho in rhos:
            for eta in (1e-3, 1e-2, 0.1):
                small = risks(code, rho, eta, 32, range(2, 6))
                ref = risks(code, rho, eta, 4096, (2, 3)).mean(axis=0)
                means = small.mean(axis=1)
                point_sd = np.median((small / np.maximum(ref, 1e-300)).std(axis=0))
                print(f"{name:<6}{rho:6.2f}{eta:7.3f}{means.mean():11.6f}{ref.mean():11.6f}"
                      f"{means.mean() / ref.mean() - 1:+11.1e}{means.std() / ref.mean():10.1e}{point_sd:10.1e}",
                      flush=True)


def _two_class_problem(d, code, target, seed=0, n=40):
    """``(W, b, X, y, rho)``: 2 classes in ``d`` dimensions, scores near 0, ``rho ||w_1 − w_0||_* = target``."""
    rng = np.random.default_rng([seed, d, code, int(target * 1000)])
    X, y = rng.random((n, d)), rng.integers(0, 2, n)
    W = rng.standard_normal((2, d))
    v = W[1] - W[0]
    rho = target / np.linalg.norm(v, {0: 1, 1: 2, 2: np.inf}[code])  # the dual norm of the ball
    return W, np.array([0.0, -float(np.median(X @ v))]), X, y, rho


def two_class_errors(d, code, target, eta, n_samples=32, seed=0, rtol=None):
    """Relative errors of the multinomial rule against the exact binary rule on a 2-class problem:
    ``(mean risk, worst point)``. With two classes the softmax loss is the logistic loss of the
    margin ``(w_y − w_other)·x``, so the binary rules (l2 quadrature, exact l-inf and l1 laws)
    are an exact reference that shares none of the sampling."""
    from skentropic._core._losses import LOGISTIC, SOFTMAX
    from skentropic.linear_model._objective import make_inner_rule, per_sample_objective

    W, b, X, y, rho = _two_class_problem(d, code, target, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cell that reaches the cap of the drawn coordinates
        soft = per_sample_objective(W, b, X, y, rho, eta, code, SOFTMAX,
                                    make_inner_rule(code, d, SOFTMAX, n_inner_samples=n_samples, seed=seed + 1),
                                    rtol=rtol)
    exact = per_sample_objective((W[1] - W[0])[None, :], b[1:] - b[:1], X, np.where(y == 1, 1.0, -1.0), rho, eta,
                                 code, LOGISTIC, make_inner_rule(code, d, LOGISTIC))
    with np.errstate(invalid="ignore", divide="ignore"):  # a point with F = 0 exactly
        worst = float(np.nanmax(np.abs(soft / exact - 1)))
    return abs(soft.mean() / exact.mean() - 1), worst


def two_classes(args):
    etas = (1e-4, 1e-3, 1e-2, 0.1, 1.0, 100.0)
    samples = "32 samples per point" if args.rtol is None else f"32 samples per point or more, to rtol={args.rtol:g}"
    print(f"mean-risk relative error of the multinomial rule ({samples}) against the exact binary rule,")
    print("2 classes, 40 points, three seeds (median); a cell above 1e-3 is marked *")
    start = time.perf_counter()
    print(f"{'d':>4} {'ball':<5}{'rho|v|*':>8}" + "".join(f"{eta:>10g}" for eta in etas))
    for d in (2, 8, 64, 784):
        for name, code in (("inf", 0), ("2", 1), ("1", 2)):
            for target in (0.1, 1.0, 10.0):
                cells = [float(np.median([two_class_errors(d, code, target, eta, seed=s, rtol=args.rtol)[0]
                                          for s in range(3)])) for eta in etas]
                print(f"{d:>4} {name:<5}{target:8g}" + "".join(f"{c:9.1e}{'*' if c > 1e-3 else ' '}" for c in cells),
                      flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


def samples(args):
    """``--samples``: one hard two-class cell (``d = 784``, l-inf, ``rho ||w_1 - w_0||_1 = 10``,
    ``eta = 0.01``) for four problems: the relative error against the exact binary rule with
    32, 256 and 2048 samples per point, four sampling seeds each. A consistent estimator's
    error falls with the sample count; a proposal that misses part of the integrand's mass
    keeps it."""
    from skentropic._core._losses import LOGISTIC, SOFTMAX
    from skentropic.linear_model._objective import make_inner_rule, per_sample_objective

    print(f"{'problem':>8}{'m':>6}  relative errors (four sampling seeds)")
    for problem in range(4):
        W, b, X, y, rho = _two_class_problem(784, 0, 10.0, problem)
        exact = per_sample_objective((W[1] - W[0])[None, :], b[1:] - b[:1], X, np.where(y == 1, 1.0, -1.0), rho,
                                     0.01, 0, LOGISTIC, make_inner_rule(0, 784, LOGISTIC)).mean()
        for m in (32, 256, 2048):
            errs = [per_sample_objective(W, b, X, y, rho, 0.01, 0, SOFTMAX,
                                         make_inner_rule(0, 784, SOFTMAX, n_inner_samples=m, seed=s)).mean() / exact - 1
                    for s in range(4)]
            print(f"{problem:>8}{m:>6}  " + "  ".join(f"{e:+.1e}" for e in errs), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--norms", default="inf,2,1")
    parser.add_argument("--rho", type=float, default=0.05)
    parser.add_argument("--eta", type=float, default=0.01)
    parser.add_argument("--aim", action="store_true", help="aiming rounds with a quarter vs all samples")
    parser.add_argument("--aim-variants", action="store_true", help="shorter or fewer aiming rounds vs the defaults")
    parser.add_argument("--convergence", action="store_true", help="32 vs 4096 samples, scikit-learn model")
    parser.add_argument("--fits", action="store_true", help="fit time, iterations and true objective per seed")
    parser.add_argument("--two-classes", action="store_true", help="2 classes against the exact binary rules")
    parser.add_argument("--samples", action="store_true", help="a hard 2-class cell at 32, 256, 2048 samples")
    parser.add_argument("--rtol", type=float, default=None,
                        help="--two-classes: evaluate the multinomial risk to this tolerance (entropic_risk's rtol)")
    parser.add_argument("--tolerance", action="store_true", help="entropic_risk to rtol 1e-3 and 1e-4, and its time")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--inner-samples", type=int, default=None,
                        help="--fits: the fits' n_inner_samples (default: the estimator's)")
    args = parser.parse_args()
    mode = (aim if args.aim else aim_variants if args.aim_variants else fits if args.fits else convergence if args.convergence else two_classes if args.two_classes
            else samples if args.samples else tolerance if args.tolerance else accuracy)
    mode(args)


if __name__ == "__main__":
    main()
