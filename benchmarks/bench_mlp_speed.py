"""Warm training time of ``EntropicRobustMLPClassifier`` (kernels compiled, caches loaded).

Cases: a synthetic 4000 x 784 problem (uniform pixels, three classes from pixel sums; one
hidden layer of 100 units, 3 epochs) and the digits (1797 x 64, ten classes, 64 hidden units,
10 epochs); ``rho=0.05, eta=0.01``, the default tilted RT-MLMC estimator, for the l-inf and l2
balls. Median of ``--repeats`` fits after one warm-up fit. To compare two commits, run the
script twice with ``PYTHONPATH`` set to each checkout, alternating.

Run: ``python benchmarks/bench_mlp_speed.py [--repeats 3] [--norms inf,2]``

Measured 2026-11-27 (two runs each, alternated with the commit before the MLP's tilted l-inf
draws moved to NumPy, where they came from numba's kernel and MT19937 uniforms; seconds)::

    case          ball  numba draws   NumPy draws
    784 x 4000    inf     1.30-1.38     1.25-1.29
    784 x 4000    2       1.68-1.75     1.68-1.72   (l2 draws with numba in both)
    digits        inf     0.22          0.16
    digits        2       0.23          0.22-0.23

The same command later, after the l-inf proposal became a defensive mixture with the uniform
law, alternated with afd1919 (numba draws, pure tilt): 784 x 4000 l-inf 1.34-1.38 s against
1.24-1.30 s, digits l-inf 0.21-0.22 s against 0.17 s; l2 1.69-1.70 against 1.50-1.71 s and
0.23 against 0.23 s.
"""

import argparse
import os
import time
import warnings

import numpy as np

from skentropic import EntropicRobustMLPClassifier
from skentropic.datasets import load_digits_unit

NORMS = {"inf": np.inf, "2": 2}


def _cases():
    rng = np.random.default_rng(0)
    X = rng.random((4000, 784))
    y = (X[:, :10].sum(axis=1) > 5).astype(int) + (X[:, 10:20].sum(axis=1) > 5)
    yield "784 x 4000", X, y, dict(hidden_layer_sizes=(100,), max_iter=3)
    X, y = load_digits_unit()
    yield "digits", X, y, dict(hidden_layer_sizes=(64,), max_iter=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--norms", default="inf,2")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # max_iter reached
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.repeats}")
    print(f"{'case':<14}{'ball':<6}{'fit [s]':>9}")
    for name, X, y, params in _cases():
        for norm in args.norms.split(","):
            make = lambda: EntropicRobustMLPClassifier(rho=0.05, eta=0.01, norm=NORMS[norm], random_state=0,  # noqa: E731
                                                       **params)
            make().set_params(max_iter=1).fit(X[:200], y[:200])
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                make().fit(X, y)
                times.append(time.perf_counter() - t0)
            print(f"{name:<14}{norm:<6}{np.median(times):9.2f}", flush=True)


if __name__ == "__main__":
    main()
