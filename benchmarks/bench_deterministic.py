"""Fit time of ``fit_lbfgs`` (deterministic entropic objective) vs sklearn's LogisticRegression.

Binary synthetic data (seeded), n=50000, d=200, rho=0.1. Rows: l2 quadrature, the exact l_inf
cube rule and the exact l1 rule for eta in {0.05, 0.01}; baseline
``LogisticRegression(solver="lbfgs")`` on the same data in the same run, with the same
penalty (alpha = 1 / (C n)) and tolerance. Median of ``--repeats`` fits each. numba
compilation is excluded: every configuration is fitted once on a small problem first.

Run: ``python benchmarks/bench_deterministic.py [--n 50000] [--d 200] [--repeats 3]``, or
``--sweep [--sizes 1000x64,...,digits] [--etas ...] [--rho 0.1] [--times]`` for the ratios
(each cell's fits alternated with scikit-learn's; the sklearn column is the median over the
cells; ``--times``: our fit times in milliseconds, to compare two commits side by side) over
sizes, norms and ``eta`` (``digits``: the embedded digits as a binary problem); ``--multiclass
[--etas 0.01] [--rho 0.05] [--repeats 1] [--solver auto]`` for the 10-class digits; ``--laws
[--etas ...] [--rho ...]`` for one ``l_inf`` and one ``l_1`` law alone (the kernels, no fit);
``--draws [--rho 0.05]`` for the 10-class digits' tilted draws alone; ``--runs [--sizes ...]
[--etas ...] [--rho ...] [--norms ...] [--tol 1e-4]`` for the L-BFGS runs of the binary logistic
fits (which start, how many iterations and evaluations, whether the last run stopped short of
``tol``; no timing).

Earlier sessions' measurements (and the variants tried and not kept):
``benchmarks/bench_deterministic_history.rst``.

Twenty-third session (2026-11-29): ``--runs`` takes ``--tol`` (the estimators' 1e-6) and marks
the fits that stopped short of it; the l-inf rule is continuous in the weights (a blend of its two
densities); ``--sweep`` side by side with 0d42386 and the stopped fits in
``bench_deterministic_history.rst``.

Twenty-second session (2026-11-29): the logistic l1 fits take the ERM start (with its pairs) up to
a gradient ratio of 0.3 (``benchmarks/bench_erm_start.py``, new, compares the two starts), and the
l1 rule's contour step is coarser up to d = 64; ``--sweep`` and ``--laws`` side by side with 9ad03e6
in ``bench_deterministic_history.rst``.

Twenty-first session (2026-11-29): the softmax bound's kernel (a Taylor table for log sinhc, the
Jacobian as a Gram matrix), the tilted rule's l-inf softmax tilts from it, 100 kept L-BFGS pairs
and a 20-iteration cap on the binary bound's run; ``--multiclass`` and ``--sweep --times`` side by
side with 559d18a in ``bench_deterministic_history.rst`` and on the benchmarks page.

Nineteenth session (2026-11-29): the binary l-inf logistic fits go on from the surrogate's
minimiser to the large-deviation bound's (``linear_model/_laplace_surrogate.py``) where the first
does not meet ``tol``; ``--runs`` added to count what that saves (the rows, and the side-by-side
times against 3419d40, are in ``bench_deterministic_history.rst``, from ``linear_model/_lbfgs.py``'s
docstring, and on the benchmarks page).
Found then: the l1 law's threads are bimodal on this 2-core machine with numba's OpenMP layer
(fits idle for 0.2 s or after scikit-learn's read either about as fast as back to back or much
slower, run to run); with ``NUMBA_THREADING_LAYER=workqueue``, or ``OMP_WAIT_POLICY=passive``,
they were steady (ad hoc): what the digits l1 cell at ``eta = 1e-3`` swings with.

Eighteenth session (2026-11-29): the l-inf fits start from the linear-loss surrogate's
minimiser with its L-BFGS pairs (``linear_model/_surrogate.py``, ``_lbfgs_memory.py``), the
logistic l2 and l1 fits keep the ERM fit's pairs, the multinomial fits keep their pairs across anchors, the
l-inf tilted draws are vectorised, the l-inf laws run serially on two threads
(``linear_model/_chunks.py`` has the rows).
The side-by-side rows against 1d84efd are in ``bench_deterministic_history.rst`` (from ``_lbfgs.py``) and on the
benchmarks page; ``--draws --rho 0.05 --repeats 3`` (added then; two runs alternated with
1d84efd, ms, 32 / 8 draws per point): l-inf 37.1-37.3 / 9.7-9.9 before, 8.8-8.9 / 2.9-3.0
after; l2 (33.4-34.2 / 8.1-8.3) and l1 (39.3-39.9 / 12.1-12.2) unchanged. Tried and not kept:
aiming the multinomial proposals by alternating plain fits on the points shifted to their
proposals' means with re-aiming (the fits ran away from the entropic optimum: each round's
fixed shifts are what the next model learns to avoid, as in adversarial training on fixed
perturbations); a pairwise surrogate started from zero instead of from the ERM solution (more
aiming iterations); the l1 analogue of the surrogate (the entropic risk of a linear loss over
the l1 ball's vertices: no fewer iterations than the ERM start, which is already close there).
"""

import argparse
import os
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic._core._threads import single_blas_thread
from skentropic.datasets import load_digits_unit
from skentropic.linear_model._lbfgs import fit_lbfgs
from skentropic.linear_model._objective import make_inner_rule


def load_size(name):
    """``"NxD"``: :func:`make_data`; ``"digits"``: the embedded digits as a binary problem
    (digit >= 5, features in [0, 1], 1797 x 64)."""
    if name == "digits":
        X, y = load_digits_unit()
        return np.ascontiguousarray(X), np.where(y >= 5, 1.0, -1.0)
    n, d = (int(v) for v in name.split("x"))
    return make_data(n, d)


def make_data(n, d, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    w = rng.randn(d) / np.sqrt(d)
    y = np.where(X @ w + 0.5 * rng.randn(n) > 0, 1.0, -1.0)
    return X, y


ERM_START = True  # --no-erm-start: L-BFGS from zero (before 2026-11-27, eleventh session)


def fit(X, y, rho, eta, norm, C, tol, rule):
    n, d = X.shape
    return fit_lbfgs(X, y, np.full(n, 1.0 / n), rho=rho, eta=eta, norm_code=norm, loss_code=LOGISTIC,
                     alpha=1.0 / (C * n), fit_intercept=True, coef_init=np.zeros((1, d)),
                     intercept_init=np.zeros(1), max_iter=1000, tol=tol, rule=rule, erm_start=ERM_START)


def timed_pair(fn, baseline, repeats):
    """Medians of ``repeats`` runs of ``fn``, of ``baseline`` and of ``baseline`` with BLAS on one
    thread (:func:`one_blas_thread`), alternated (side by side: the machine's drift is shared)."""
    times = np.array([[timed(f, 1)[0] for f in (fn, baseline, one_blas_thread(baseline))] for _ in range(repeats)])
    return tuple(float(t) for t in np.median(times, axis=0))


def one_blas_thread(fn):
    """``fn`` run with BLAS limited to one thread. scikit-learn's lbfgs alternates its OpenMP loss
    with BLAS products, and on few cores the two thread pools' spinning workers take each other's
    cores: on 2 cores its 1000 x 784 fit took 129-160 ms by default and 10.4-10.8 ms with one BLAS
    thread (``--contention``, 2026-11-27). The ratios are taken against the faster of the two."""
    def run():
        with single_blas_thread():  # a cached controller: threadpool_limits rescans (ms) per call
            return fn()
    return run


SETTLE = 0.2  # seconds of idle before each timed call (--settle)


def timed(fn, repeats):
    """``(median time, last result)`` of ``repeats`` calls, each after ``SETTLE`` seconds of idle.

    scikit-learn's default fit leaves its OpenMP and BLAS workers spinning for about 0.1 s; a
    fit started at once lost its cores to them. Back to back (``--settle 0``, 2026-11-27) our
    1000 x 784 fits read 1.5-2.3x slower (l-inf and l1; ``rho = 0.05``, ``eta`` 0.1 and 0.01) and
    scikit-learn's one-BLAS-thread fit 1.4x slower than after the pause (``--sweep --sizes
    1000x784 --etas 0.1,0.01 --rho 0.05 --times``, with ``--settle 0`` and with the default).
    """
    times, out = [], None
    for _ in range(repeats):
        time.sleep(SETTLE)
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def warm_up(norms, rho, C, tol):
    """Compile the numba kernels outside the timings: a small problem (per-point rules) and one
    large enough for the score grid, whose kernels are separate."""
    for n in (200, 20000):
        X, y = make_data(n, 5, seed=1)
        for norm in norms:
            fit(X, y, rho, 0.05, norm, C, tol, make_inner_rule(norm, 5, LOGISTIC))


def sweep(args):
    """``--sweep``: fit time relative to sklearn at several sizes, norms and ``eta``."""
    C, tol, rho = 1.0, 1e-4, args.rho
    norms = [(name, code) for name, code in (("l2", NORM_L2), ("l-inf", NORM_INF), ("l1", NORM_L1))
             if name in args.norms.split(",")]
    etas = [float(e) for e in args.etas.split(",")]
    warm_up([norm for _, norm in norms], rho, C, tol)
    print(f"rho={rho} C={C} tol={tol}; median of {args.repeats}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'n x d':>12}{'sklearn [s]':>12}{'1 BLAS [s]':>11}" + "".join(f"{name + ' ' + str(e):>14}"
                                                                         for name, _ in norms for e in etas))
    for size in args.sizes.split(","):
        X, y = load_size(size)
        d = X.shape[1]
        baseline = lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
        cells, sk_times, sk_one = [], [], []
        for _, norm in norms:
            rule = make_inner_rule(norm, d, LOGISTIC)
            for eta in etas:
                t, t_sk, t_one = timed_pair(lambda: fit(X, y, rho, eta, norm, C, tol, rule), baseline, args.repeats)
                sk_times.append(t_sk)
                sk_one.append(t_one)
                cells.append(f"{t * 1e3:12.1f}ms" if args.times else f"{t / min(t_sk, t_one):13.1f}x")
        print(f"{size:>12}{np.median(sk_times):12.3f}{np.median(sk_one):11.3f}" + "".join(cells), flush=True)


def contention(args):
    """``--contention``: a 1000 x 784 matrix-vector pair (``X @ w``, ``X.T @ y``) alone, right after
    a parallel numba kernel (the l-inf law of 784 coordinates), and the same with BLAS on one
    thread; then scikit-learn's 1000 x 784 fit by default and with one BLAS thread."""
    from skentropic.linear_model._law_margins import cube_law

    X, y = load_size("1000x784")
    w = np.random.RandomState(0).randn(X.shape[1])

    def pair(after_kernel):
        times = []
        for _ in range(30):
            if after_kernel:
                cube_law(w, 0.05, 0.01, LOGISTIC, 3.0)
            t0 = time.perf_counter()
            X @ w
            X.T @ y
            times.append(time.perf_counter() - t0)
        return 1e3 * float(np.median(times))

    cube_law(w, 0.05, 0.01, LOGISTIC, 3.0)  # compile
    print(f"load average {os.getloadavg()[0]:.2f}; medians of 30 (pairs) and {args.repeats} (fits)")
    print(f"matrix-vector pair alone                    {pair(False):8.3f} ms")
    print(f"  right after a parallel kernel             {pair(True):8.3f} ms")
    with single_blas_thread():
        print(f"  ... with BLAS on one thread               {pair(True):8.3f} ms")
    sk = lambda: LogisticRegression(C=1.0, tol=1e-4, max_iter=1000).fit(X, y)  # noqa: E731
    print(f"scikit-learn 1000 x 784 fit                 {1e3 * timed(sk, args.repeats)[0]:8.1f} ms")
    print(f"  with BLAS on one thread                   {1e3 * timed(one_blas_thread(sk), args.repeats)[0]:8.1f} ms")


def laws(args):
    """``--laws``: one law (the atoms of the ``l_inf`` and ``l_1`` rules with their gradient
    data) for Gaussian weights in ``d`` = 64 and 784 at each ``eta`` of ``--etas``; median of
    ``--repeats`` x 20 back-to-back calls (kernel time without the fit around it, to compare two
    commits side by side)."""
    from skentropic.linear_model._law_margins import cross_law, cube_law

    kinds = [("l-inf", lambda w, eta: cube_law(w, args.rho, eta, LOGISTIC, 3.0)),
             ("l1", lambda w, eta: cross_law(w, args.rho, eta, LOGISTIC, 3.0, with_grad=True))]
    etas = [float(e) for e in args.etas.split(",")]
    print(f"rho={args.rho}; median of {20 * args.repeats} calls [ms]; load average {os.getloadavg()[0]:.2f}")
    print(f"{'law':>6}{'d':>6}" + "".join(f"{'eta ' + str(e):>12}" for e in etas))
    for name, law in kinds:
        for d in (64, 784):
            w = np.random.RandomState(d).randn(d) * 6.0 / np.sqrt(d)
            cells = []
            for eta in etas:
                law(w, eta)  # compile, and the Gauss-Hermite rule's cache
                times = []
                for _ in range(20 * args.repeats):
                    t0 = time.perf_counter()
                    law(w, eta)
                    times.append(time.perf_counter() - t0)
                cells.append(f"{1e3 * np.median(times):12.3f}")
            print(f"{name:>6}{d:>6}" + "".join(cells), flush=True)


def runs(args):
    """``--runs``: the L-BFGS runs of each binary logistic fit of ``--sizes`` x ``--etas`` x
    ``--norms`` (``--rho``): per run, the objective minimised (``erm``: the ERM loss, ``rho = 0``;
    ``surrogate``: :mod:`._surrogate`; ``bound``: :mod:`._laplace_surrogate`; ``entropic``: the
    exact rule), its iterations and evaluations, and the exact rule's evaluations in all (the start
    tests' included). No timing: what a start saves, in evaluations."""
    import skentropic.linear_model._lbfgs as lbfgs_module

    calls = []
    real = {name: getattr(lbfgs_module, name) for name in ("linear_objective", "margin_surrogate", "laplace_surrogate",
                                                          "lbfgs", "minimize") if hasattr(lbfgs_module, name)}

    def counting(name, label):
        def call(*a, **k):
            calls.append("erm" if name == "linear_objective" and not a[5] > 0 else label)
            return real[name](*a, **k)
        return call

    def recorded(name):
        def call(fun, x0, *a, **k):
            start = len(calls)
            res = real[name](fun, x0, *a, **k)
            kinds = calls[start:]
            calls[start:] = []
            # (no evaluation: the start test's reused)
            calls.append((kinds[0] if kinds else "entropic", int(res.nit), len(kinds)))
            return res
        return call

    lbfgs_module.linear_objective = counting("linear_objective", "entropic")
    lbfgs_module.margin_surrogate = counting("margin_surrogate", "surrogate")
    if "laplace_surrogate" in real:
        lbfgs_module.laplace_surrogate = counting("laplace_surrogate", "bound")
    lbfgs_module.lbfgs, lbfgs_module.minimize = recorded("lbfgs"), recorded("minimize")
    codes = {"l2": NORM_L2, "l-inf": NORM_INF, "l1": NORM_L1}
    try:
        print(f"logistic, rho={args.rho} C=1.0 tol={args.tol:g}; runs as objective: iterations / evaluations; "
              "'stopped': the last run ended before the gradient met tol (max_iter, or no step decreased the objective)")
        print(f"{'ball':<6}{'n x d':>10}{'eta':>8}  {'runs':<62}{'entropic evaluations':>22}")
        for name in args.norms.split(","):
            for size in args.sizes.split(","):
                X, y = load_size(size)
                for eta in (float(e) for e in args.etas.split(",")):
                    calls.clear()
                    converged = fit(X, y, args.rho, eta, codes[name], 1.0, args.tol,
                                    make_inner_rule(codes[name], X.shape[1], LOGISTIC))[3]
                    runs_ = [c for c in calls if isinstance(c, tuple)]
                    total = sum(c == "entropic" for c in calls) + sum(n for kind, _, n in runs_ if kind == "entropic")
                    text = ", ".join(f"{kind} {nit}/{n}" for kind, nit, n in runs_)
                    print(f"{name:<6}{size:>10}{eta:>8}  {text:<62}{total:>22}{'' if converged else '  stopped'}",
                          flush=True)
    finally:
        for name, fn in real.items():
            setattr(lbfgs_module, name, fn)


def draws(args):
    """``--draws``: the tilted draws of the 10-class digits alone (``_tilted_rule.draw_tilted``:
    32 and 8 per point at the tilts of scikit-learn's multinomial model, ``--rho``, ``eta``
    0.01), each ball; median of ``10 x --repeats`` calls (ms; to compare two commits)."""
    from sklearn.datasets import load_digits

    from skentropic._core._losses import SOFTMAX
    from skentropic.linear_model._tilted_rule import draw_tilted, tilted_setup

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = LogisticRegression(C=1.0, tol=1e-4, max_iter=1000).fit(X, y)
    print(f"10-class digits, rho={args.rho}, eta=0.01; median of {10 * args.repeats} calls [ms]")
    print(f"{'ball':>6}{'m = 32':>10}{'m = 8':>10}")
    for name, code in (("l-inf", NORM_INF), ("l2", NORM_L2), ("l1", NORM_L1)):
        tilts, seeds, _ = tilted_setup(None, X, y, np.ones(X.shape[0]), model.coef_.copy(), model.intercept_.copy(),
                                       args.rho, 0.01, 0, 32, code, SOFTMAX)
        cells = []
        for m in (32, 8):
            draw_tilted(tilts, seeds, m, code)  # compile
            times = []
            for _ in range(10 * args.repeats):
                t0 = time.perf_counter()
                draw_tilted(tilts, seeds, m, code)
                times.append(time.perf_counter() - t0)
            cells.append(f"{1e3 * np.median(times):10.2f}")
        print(f"{name:>6}" + "".join(cells), flush=True)


def multiclass(args):
    """``--multiclass``: the digits with 10 classes, multinomial and one-vs-rest, against
    scikit-learn's multinomial ``LogisticRegression`` (same ``C`` and ``tol``), through the
    estimator (what a user runs); compilation excluded by a first fit on 200 rows."""
    from sklearn.datasets import load_digits

    from skentropic import EntropicRobustLogisticRegression

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    C, tol, rho = 1.0, 1e-4, args.rho
    etas = [float(e) for e in args.etas.split(",")]
    norms = [(name, code) for name, code in (("l2", 2), ("l-inf", np.inf), ("l1", 1))
             if name in args.norms.split(",")]
    sk = lambda: LogisticRegression(C=C, tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
    t_default, t_one = timed(sk, args.repeats)[0], timed(one_blas_thread(sk), args.repeats)[0]
    t_sk = min(t_default, t_one)
    print(f"digits 10 classes, rho={rho} C={C} tol={tol}; median of {args.repeats}; sklearn {t_default:.3f} s "
          f"({t_one:.3f} s with one BLAS thread; ratios to the faster); load average {os.getloadavg()[0]:.2f}")
    print(f"{'ball':<8}{'mode':<13}{'eta':>7}{'time [s]':>10}{'ratio':>8}")
    for name, norm in norms:
        for mode in ("multinomial", "ovr"):
            for eta in etas:
                est = EntropicRobustLogisticRegression(rho=rho, eta=eta, norm=norm, C=C, tol=tol, multi_class=mode,
                                                       solver=args.solver, random_state=0)
                est.fit(X[:200], y[:200])
                t, _ = timed(lambda: est.fit(X, y), args.repeats)
                print(f"{name:<8}{mode:<13}{eta:>7}{t:>10.2f}{t / t_sk:>8.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50000)
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="ratios over sizes, norms and eta")
    parser.add_argument("--sizes", default="1000x64,10000x64,1000x784,10000x784")
    parser.add_argument("--etas", default="0.1,0.01,0.001")
    parser.add_argument("--rho", type=float, default=0.1, help="radius of the sweep")
    parser.add_argument("--norms", default="l2,l-inf,l1", help="balls of the sweep")
    parser.add_argument("--times", action="store_true", help="sweep cells in milliseconds, not ratios")
    parser.add_argument("--contention", action="store_true",
                        help="BLAS after a parallel numba kernel, and scikit-learn with one BLAS thread")
    parser.add_argument("--no-erm-start", action="store_true",
                        help="start L-BFGS at zero, not at the ERM solution (the fits before 2026-11-27, eleventh session)")
    parser.add_argument("--laws", action="store_true", help="time the l_inf and l_1 laws alone (--etas, --rho)")
    parser.add_argument("--multiclass", action="store_true",
                        help="10-class digits: multinomial and one-vs-rest against sklearn's multinomial fit")
    parser.add_argument("--draws", action="store_true", help="time the 10-class digits' tilted draws alone (--rho)")
    parser.add_argument("--runs", action="store_true",
                        help="the L-BFGS runs of the binary logistic fits (--sizes, --etas, --rho, --norms, --tol): "
                             "objectives, iterations, evaluations")
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="--runs: L-BFGS's tolerance (the estimators' default is 1e-6)")
    parser.add_argument("--solver", default="auto",
                        help="--multiclass: the estimator's solver (e.g. rt-mlmc, the stochastic default)")
    parser.add_argument("--law-threads", choices=["auto", "threaded"], default="auto",
                        help="threaded: the l_inf laws on the thread pool above PARALLEL_WORK whatever "
                             "the thread count (before 2026-11-29)")
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help="seconds of idle before each timed call (0: back to back, as before 2026-11-27)")
    args = parser.parse_args()
    if args.law_threads == "threaded":  # the l-inf laws' thread pool as before 2026-11-29 (eighteenth session)
        import skentropic.linear_model._chunks as chunks

        chunks.LINF_SERIAL_THREADS = 0
    globals()["SETTLE"] = args.settle
    globals()["ERM_START"] = not args.no_erm_start
    with single_blas_thread():  # its controller is made at the first call: outside the timings
        pass
    if args.contention:
        contention(args)
        return
    if args.laws:
        laws(args)
        return
    if args.multiclass:
        multiclass(args)
        return
    if args.draws:
        draws(args)
        return
    if args.runs:
        runs(args)
        return
    if args.sweep:
        sweep(args)
        return
    X, y = make_data(args.n, args.d)
    C, tol, rho = 1.0, 1e-4, 0.1
    # sklearn's lbfgs stops on the gradient of the mean loss (scaled objective): same tol here
    configs = [("l2 quadrature", NORM_L2), ("l_inf exact cube rule", NORM_INF), ("l1 exact rule", NORM_L1)]
    rules = {norm: make_inner_rule(norm, args.d, LOGISTIC) for _, norm in configs}
    warm_up([norm for _, norm in configs], rho, C, tol)
    sk = lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
    (t_default, clf), t_one = timed(sk, args.repeats), timed(one_blas_thread(sk), args.repeats)[0]
    t_sk = min(t_default, t_one)
    print(f"n={args.n} d={args.d} rho={rho} C={C} tol={tol}; median of {args.repeats}; numba compile excluded; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'method':<28}{'eta':>6}{'time [s]':>10}{'n_iter':>8}{'ratio':>8}")
    print(f"{'sklearn LogisticRegression':<28}{'-':>6}{t_default:>10.3f}{int(clf.n_iter_[0]):>8}{t_default / t_sk:>8.2f}")
    print(f"{'  with one BLAS thread':<28}{'-':>6}{t_one:>10.3f}{'':>8}{t_one / t_sk:>8.2f}")
    for name, norm in configs:
        for eta in (0.05, 0.01):
            t, out = timed(lambda: fit(X, y, rho, eta, norm, C, tol, rules[norm]), args.repeats)
            print(f"{name:<28}{eta:>6}{t:>10.3f}{out[2]:>8}{t / t_sk:>8.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
