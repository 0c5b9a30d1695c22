"""Throughput of ``GridSearchCV`` on joblib's dask backend: 1 vs 2 dask workers.

Search: ``EntropicRobustLogisticRegression`` (binary, l2 ball: L-BFGS on the exact quadrature)
over ``rho`` x ``eta`` (4 x 3 candidates) with 3-fold CV, scored by
``make_robust_scorer(ProjectedGradientDescent(None, eps=0.1, n_steps=10))``, on
``make_classification`` data (``n`` x ``d``). Baseline: the same search with ``n_jobs=None``
(sequential, in this process), timed in the same run. Each dask configuration is a
``distributed.LocalCluster(n_workers=k, processes=True, threads_per_worker=1)`` on loopback
(no dashboard; the scheduler's HTTP endpoints on a free loopback port);
its start-up time is reported apart and not counted in the search time. Both clusters live
through the run and the three configurations take turns, ``--repeats`` rounds, so that a
change of load on the shared machine hits all of them. Throughput = fits (candidates x folds
+ the refit) per second, from the median search time.

Oversubscription: numba threads x workers must not exceed the cores. This script sets
``NUMBA_NUM_THREADS=1`` for itself and its workers (at its top, before numba is imported, so
the workers, which re-import this script when they start, see it too; the cluster's ``env``
sets it as well) and prints what each worker measured with ``numba.get_num_threads()`` after
running a parallel kernel. The results of every configuration are checked to be equal.

Run: ``python benchmarks/bench_dask.py [--quick] [--n 4000] [--d 20] [--repeats 3]``

Measured 2026-11-26 on the 2-core machine, shared (load average 2.5 before, 3.1 after the run:
other work kept about one core busy), ``python benchmarks/bench_dask.py``, 111 s::

    n=4000 d=20 grid 4x3, cv=3: 37 fits per search, median of 3; 2 cores; this process: 1 numba thread(s)

    configuration                  start s numba thr  search s  fits/s vs 1 worker
    sequential (n_jobs=None)             -         -     12.60     2.9        0.93
    dask, 1 worker(s) x 1 thread       1.7         1     11.78     3.1        1.00
    dask, 2 worker(s) x 1 thread       1.8       1/1      7.43     5.0        1.58
    best_params_ (all configurations): {'eta': 0.02, 'rho': 0.2}

Two workers give 1.58x the throughput of one on two cores that other work shared (an earlier
run, one configuration after the other instead of taking turns, gave 2.5x, an artefact of
the load changing between configurations); one worker costs nothing over the sequential search
(0.93x). Every configuration gave the same ``cv_results_``.
"""

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba is imported (see docstring)

import argparse  # noqa: E402
import time  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skentropic import EntropicRobustLogisticRegression  # noqa: E402
from skentropic.attacks import ProjectedGradientDescent  # noqa: E402
from skentropic.metrics import make_robust_scorer  # noqa: E402

GRID = {"rho": [0.0, 0.05, 0.1, 0.2], "eta": [0.02, 0.1, 0.5]}
CV = 3


def search(n_jobs):
    scorer = make_robust_scorer(ProjectedGradientDescent(None, eps=0.1, n_steps=10))
    return GridSearchCV(EntropicRobustLogisticRegression(random_state=0), GRID, scoring=scorer,
                        cv=CV, n_jobs=n_jobs)


def numba_threads():
    """``numba.get_num_threads()`` after a parallel (prange) kernel ran in this process."""
    import numba

    X, y = make_classification(n_samples=50, n_features=4, random_state=1)
    EntropicRobustLogisticRegression(random_state=0).fit(X, y)
    return numba.get_num_threads()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n=1000, 1 repeat")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.n or (1000 if args.quick else 4000)
    repeats = args.repeats or (1 if args.quick else 3)
    from distributed import Client, LocalCluster

    X, y = make_classification(n_samples=n, n_features=args.d, n_informative=args.d // 2,
                               random_state=0)
    X /= np.abs(X).max()
    n_fits = len(GRID["rho"]) * len(GRID["eta"]) * CV + 1
    search(None).fit(X[:200], y[:200])  # warm-up (numba compilation)
    print(f"n={n} d={args.d} grid {len(GRID['rho'])}x{len(GRID['eta'])}, cv={CV}: {n_fits} fits "
          f"per search, median of {repeats}; {os.cpu_count()} cores; this process: "
          f"{numba_threads()} numba thread(s)")
    clusters, rows = {}, [("sequential (n_jobs=None)", "-", "-")]
    try:
        for n_workers in (1, 2):  # both clusters live through the run; idle workers wait
            tic = time.perf_counter()
            cluster = LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                   host="127.0.0.1", dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   env={"NUMBA_NUM_THREADS": "1"})
            client = Client(cluster, set_as_default=False)
            clusters[n_workers] = (cluster, client)
            start = time.perf_counter() - tic
            threads = client.gather([client.submit(numba_threads, workers=[w], pure=False)
                                     for w in client.scheduler_info()["workers"]])
            rows.append((f"dask, {n_workers} worker(s) x 1 thread", f"{start:.1f}",
                         "/".join(map(str, threads))))

        def run(n_workers):
            if n_workers is None:
                return search(None).fit(X, y)
            with joblib.parallel_backend("dask", client=clusters[n_workers][1]):
                return search(-1).fit(X, y)

        configs = (None, 1, 2)
        for config in configs[1:]:
            run(config)  # warm-up: the workers load the compiled kernels
        times = {config: [] for config in configs}
        results = {}
        for _ in range(repeats):  # interleaved, so load changes hit every configuration
            for config in configs:
                t0 = time.perf_counter()
                results[config] = run(config)
                times[config].append(time.perf_counter() - t0)
    finally:
        for cluster, client in reversed(list(clusters.values())):  # logging levels restored
            client.close()
            cluster.close()
    reference = results[None]
    for config in configs[1:]:
        for key in ("mean_test_score", "rank_test_score"):
            np.testing.assert_array_equal(results[config].cv_results_[key],
                                          reference.cv_results_[key])
    rows = [(*row, float(np.median(times[config]))) for row, config in zip(rows, configs)]

    t_one = rows[1][3]
    print(f"\n{'configuration':<30}{'start s':>8}{'numba thr':>10}{'search s':>10}{'fits/s':>8}"
          f"{'vs 1 worker':>12}")
    for name, start, threads, t in rows:
        print(f"{name:<30}{start:>8}{threads:>10}{t:>10.2f}{n_fits / t:>8.1f}{t_one / t:>12.2f}")
    print(f"best_params_ (all configurations): {reference.best_params_}")


if __name__ == "__main__":
    main()
