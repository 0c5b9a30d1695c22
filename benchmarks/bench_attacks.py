"""PGD cost relative to one ``predict`` of the attacked model.

Baseline: ``estimator.predict(X)`` on the same ``X`` (10000 x 784 by default), timed in the
same run. Models: a multiclass ``LogisticRegression`` (10 classes) and a one-hidden-layer
``MLPClassifier`` (100 hidden units), both fitted briefly on random data (the timing does not
depend on the weights). Prints the median of ``--repeats`` runs and the ratio; target < 25x.

Run: ``python benchmarks/bench_attacks.py [--n 10000] [--d 784] [--steps 20] [--repeats 5]``

Measured 2026-11-25 on the 2-core machine (load average < 0.7), two consecutive runs::

    model                     predict [s]   FGM [s]   PGD [s]  FGM/pred  PGD/pred  PGD -1/pred
    logistic (10 classes)          0.0119     0.054     0.379       4.6      31.8         20.1
    MLP (100 relu)                 0.0229     0.076     0.801       3.3      34.9         19.5
    logistic (10 classes)          0.0087     0.057     0.398       6.6      45.8         27.2
    MLP (100 relu)                 0.0226     0.076     0.797       3.4      35.3         19.5

``PGD -1`` is ``n_jobs=-1`` (row blocks on both cores, as ``predict``'s BLAS uses both);
``PGD`` runs on one thread. A 20-step PGD does about 40 times the arithmetic of one
``predict``, so the ratio under 25x comes from ``predict`` being bound by reading ``X``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from skentropic.attacks import FastGradientMethod, ProjectedGradientDescent


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--d", type=int, default=784)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    X = rng.uniform(size=(args.n, args.d))
    y = rng.randint(10, size=args.n)
    fit_idx = rng.choice(args.n, size=min(args.n, 2000), replace=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = {
            "logistic (10 classes)": LogisticRegression(max_iter=20).fit(X[fit_idx], y[fit_idx]),
            f"MLP ({args.hidden} relu)": MLPClassifier((args.hidden,), max_iter=3, random_state=0).fit(
                X[fit_idx], y[fit_idx]
            ),
        }

    print(f"X: {args.n} x {args.d}, PGD l-inf with {args.steps} steps, median of {args.repeats}")
    print(f"{'model':<24}{'predict [s]':>13}{'FGM [s]':>10}{'PGD [s]':>10}{'FGM/pred':>10}"
          f"{'PGD/pred':>10}{'PGD -1/pred':>13}")
    for name, est in models.items():
        fgm = FastGradientMethod(est, eps=0.1, norm=np.inf, clip=(0, 1))
        pgd = ProjectedGradientDescent(est, eps=0.1, norm=np.inf, n_steps=args.steps, clip=(0, 1))
        pgd_all = ProjectedGradientDescent(est, eps=0.1, norm=np.inf, n_steps=args.steps,
                                           clip=(0, 1), n_jobs=-1)
        pgd.fit_transform(X[:50], y[:50])  # compile the kernels outside the timing
        fgm.fit_transform(X[:50], y[:50])
        t_pred = _median_time(lambda: est.predict(X), args.repeats)
        t_fgm = _median_time(lambda: fgm.fit_transform(X, y), args.repeats)
        t_pgd = _median_time(lambda: pgd.fit_transform(X, y), args.repeats)
        t_all = _median_time(lambda: pgd_all.fit_transform(X, y), args.repeats)
        print(f"{name:<24}{t_pred:>13.4f}{t_fgm:>10.3f}{t_pgd:>10.3f}{t_fgm / t_pred:>10.1f}"
              f"{t_pgd / t_pred:>10.1f}{t_all / t_pred:>13.1f}")


if __name__ == "__main__":
    main()
