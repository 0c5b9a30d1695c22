"""The estimators on a dask cluster: joblib's dask backend, dask-ml's Incremental, blockwise attacks.

One ``distributed.LocalCluster`` of 2 worker processes with 1 thread each, on loopback and
without dashboard, serves the whole module. Its workers get ``NUMBA_NUM_THREADS=1`` through
the cluster's ``env``, set in each worker process before it imports numba, so numba threads ×
workers stays within the cores (``test_no_oversubscription`` measures it in the workers).
dask, distributed and dask-ml come with the ``test`` extra (``setup.cfg``), so these tests are
not skipped when they are missing: they fail.
"""

import os

import dask.array as da
import joblib
import numpy as np
import pytest
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skentropic import EntropicRobustLogisticRegression, EntropicRobustSVC
from skentropic.attacks import FastGradientMethod, ProjectedGradientDescent
from skentropic.metrics import make_robust_scorer

N_WORKERS = 2


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=N_WORKERS, processes=True, threads_per_worker=1,
                      host="127.0.0.1", dashboard_address=None,
                      # no dashboard; the scheduler's HTTP endpoints on a free loopback port
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                      env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=180, n_features=6, n_informative=4, random_state=0)
    return X / np.abs(X).max(), y


def _numba_threads_after_a_parallel_kernel():
    import numba

    X, y = make_classification(n_samples=50, n_features=4, random_state=1)
    # binary l2 L-BFGS runs the prange quadrature kernels
    EntropicRobustLogisticRegression(rho=0.1, eta=0.1, random_state=0).fit(X, y)
    return numba.get_num_threads(), numba.config.NUMBA_NUM_THREADS, os.getpid()


def test_no_oversubscription(client):
    workers = list(client.scheduler_info()["workers"])
    assert len(workers) == N_WORKERS
    results = [client.submit(_numba_threads_after_a_parallel_kernel, workers=[w], pure=False)
               for w in workers]
    measured = client.gather(results)
    assert len({pid for _, _, pid in measured}) == N_WORKERS  # separate processes
    assert all(threads == 1 and configured == 1 for threads, configured, _ in measured)
    task_threads = [info["nthreads"] for info in client.scheduler_info()["workers"].values()]
    assert task_threads == [1] * N_WORKERS
    busy = sum(t * numba_threads for t, (numba_threads, _, _) in zip(task_threads, measured))
    assert busy <= max(os.cpu_count(), N_WORKERS)  # 2 on this project's 2-core machines


def _grid(n_jobs):
    scorer = make_robust_scorer(ProjectedGradientDescent(None, eps=0.1, n_steps=5))
    return GridSearchCV(EntropicRobustLogisticRegression(random_state=0),
                        {"rho": [0.0, 0.1], "eta": [0.05, 0.5]}, scoring=scorer, cv=3,
                        n_jobs=n_jobs)


def test_grid_search_on_the_dask_backend_equals_the_sequential_run(client, data):
    X, y = data
    sequential = _grid(None).fit(X, y)
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        distributed = _grid(-1).fit(X, y)
    ran_on = {task["worker"] for task in stream.data}
    assert len(ran_on) == N_WORKERS  # the fits really ran on both workers
    assert distributed.best_params_ == sequential.best_params_
    for key in [f"split{k}_test_score" for k in range(3)] + ["mean_test_score",
                                                             "rank_test_score"]:
        np.testing.assert_array_equal(distributed.cv_results_[key], sequential.cv_results_[key])
    assert np.ptp(sequential.cv_results_["mean_test_score"]) > 0  # the grid points differ


@pytest.mark.parametrize("Est", [EntropicRobustLogisticRegression, EntropicRobustSVC])
def test_incremental_fits_blocks_with_partial_fit(client, data, Est):
    X, y = data
    dX, dy = da.from_array(X, chunks=(45, 6)), da.from_array(y, chunks=45)
    model = Est(solver="rt-mlmc", random_state=0)
    wrapped = Incremental(model, shuffle_blocks=False).fit(dX, dy, classes=[0, 1])
    reference = Est(solver="rt-mlmc", random_state=0)
    for start in range(0, len(y), 45):
        reference.partial_fit(X[start:start + 45], y[start:start + 45], classes=[0, 1])
    np.testing.assert_array_equal(wrapped.estimator_.coef_, reference.coef_)
    np.testing.assert_array_equal(wrapped.estimator_.intercept_, reference.intercept_)
    assert wrapped.estimator_.n_iter_ == 4
    np.testing.assert_array_equal(wrapped.predict(dX).compute(), reference.predict(X))


@pytest.mark.parametrize("attack", [
    ProjectedGradientDescent(None, eps=0.1, n_steps=10),
    ProjectedGradientDescent(None, eps=0.5, norm=2, n_steps=5, clip=(-1, 1)),
    FastGradientMethod(None, eps=0.1, norm=1),
])
def test_blockwise_attack_equals_the_numpy_attack(client, data, attack):
    X, y = data
    clf = EntropicRobustLogisticRegression(rho=0.1, eta=0.1, random_state=0).fit(X, y)
    attack = attack.set_params(estimator=clf)
    dX, dy = da.from_array(X, chunks=(40, 6)), da.from_array(y, chunks=40)
    against_labels = da.map_blocks(lambda xb, yb: attack.fit_transform(xb, yb[:, 0]),
                                   dX, dy[:, None], dtype=np.float64, chunks=dX.chunks)
    against_predictions = dX.map_blocks(attack.transform, dtype=np.float64)
    expected = attack.fit_transform(X, y)
    np.testing.assert_array_equal(against_labels.compute(), expected)
    np.testing.assert_array_equal(against_predictions.compute(), attack.transform(X))
    assert np.abs(expected - X).max() > 0
