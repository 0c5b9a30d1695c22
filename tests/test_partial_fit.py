"""``partial_fit`` of the linear models: one stochastic mirror-descent epoch per call, continuing."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification

from skentropic import EntropicRobustLogisticRegression, EntropicRobustSVC
from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import norm_code
from skentropic._core._sampling import draw_seed
from skentropic.linear_model._mirror_descent import fit_stochastic

ESTIMATORS = [EntropicRobustLogisticRegression, EntropicRobustSVC]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, n_classes=3,
                               random_state=0)
    return X, y


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", ["rt-mlmc", "vanilla", "saa"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_one_call_equals_fit_with_one_epoch(Est, solver, n_classes, data):
    X, y = data
    y = y % n_classes
    fitted = Est(solver=solver, max_iter=1, random_state=3).fit(X, y)
    streamed = Est(solver=solver, random_state=3).partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(streamed.coef_, fitted.coef_)
    np.testing.assert_array_equal(streamed.intercept_, fitted.intercept_)
    assert streamed.n_iter_ == 1 and streamed.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", ["rt-mlmc", "vanilla"])
def test_calls_continue_step_count_iterate_and_random_state(Est, solver, data):
    # without averaging, k calls on the same data are the k epochs of fit: same epoch seeds,
    # same schedule offsets t = epoch * steps_per_epoch, same iterate carried over
    X, y = data
    fitted = Est(solver=solver, max_iter=5, average=False, random_state=1).fit(X, y)
    streamed = Est(solver=solver, average=False, random_state=1)
    for _ in range(5):
        streamed.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(streamed.coef_, fitted.coef_)
    np.testing.assert_array_equal(streamed.intercept_, fitted.intercept_)
    assert streamed.n_iter_ == 5
    # and after a stochastic fit, partial_fit goes on where fit stopped
    resumed = Est(solver=solver, max_iter=3, average=False, random_state=1).fit(X, y)
    resumed.partial_fit(X, y).partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(resumed.coef_, fitted.coef_)
    assert resumed.n_iter_ == 5


def test_average_runs_over_all_calls(data):
    X, y = data
    y = y % 2
    clf = EntropicRobustLogisticRegression(solver="rt-mlmc", random_state=4)
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1])
    rng = np.random.RandomState(4)
    draw_seed(rng)  # the inner-rule seed, drawn first as in fit
    coef, intercept, _, _ = fit_stochastic(
        X, np.where(y == 1, 1.0, -1.0), np.full(len(y), 1.0 / len(y)), rho=0.1, eta=0.1,
        norm_code=norm_code(2), loss_code=LOGISTIC, alpha=1.0 / len(y), fit_intercept=True,
        coef_init=np.zeros((1, 5)), intercept_init=np.zeros(1), estimator="rt-mlmc",
        max_level=6, n_saa_samples=256, batch_size=32, max_iter=4, step_size=None,
        schedule="sqrt", radius=None, average=True, seed=draw_seed(rng), average_start=0,
    )
    np.testing.assert_array_equal(clf.coef_, coef)
    np.testing.assert_array_equal(clf.intercept_, intercept)
    # the average differs from the last iterate
    last = EntropicRobustLogisticRegression(solver="rt-mlmc", average=False, random_state=4)
    for _ in range(4):
        last.partial_fit(X, y, classes=[0, 1])
    assert not np.allclose(last.coef_, clf.coef_)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_streaming_chunks_approach_the_in_memory_fit(Est):
    X, y = make_classification(n_samples=4000, n_features=8, n_informative=5, random_state=2)
    X_test, y_test = X[3000:], y[3000:]
    X, y = X[:3000], y[:3000]
    full = Est(rho=0.1, eta=0.1, random_state=0).fit(X, y)  # L-BFGS on all 3000 samples
    optimum = full.entropic_risk(X, y)
    chunk = 300
    # the chunk objective's penalty ||W||^2/(2 C n_chunk) matches fit's on n when C is scaled
    stream = Est(rho=0.1, eta=0.1, C=len(y) / chunk, random_state=0)
    gaps = []
    for n_pass in range(10):
        for start in range(0, len(y), chunk):
            stream.partial_fit(X[start:start + chunk], y[start:start + chunk], classes=[0, 1])
        if n_pass in (0, 9):
            gaps.append(stream.entropic_risk(X, y) - optimum)
    assert stream.n_iter_ == 10 * len(y) // chunk
    assert gaps[0] > 0 and 0 < gaps[1] < 0.5 * gaps[0], gaps
    assert stream.score(X_test, y_test) >= full.score(X_test, y_test) - 0.02


def test_reproducible_and_seed_dependent(data):
    X, y = data

    def stream(seed):
        clf = EntropicRobustSVC(solver="rt-mlmc", random_state=seed)
        for start in range(0, 300, 100):
            clf.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1, 2])
        return clf.coef_

    np.testing.assert_array_equal(stream(7), stream(7))
    assert not np.array_equal(stream(7), stream(8))


def test_sparse_chunks_equal_dense_chunks(data):
    X, y = data
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = EntropicRobustLogisticRegression(random_state=0)
    sparse = EntropicRobustLogisticRegression(random_state=0)
    for start in range(0, 300, 150):
        rows = slice(start, start + 150)
        dense.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        sparse.partial_fit(sp.csr_matrix(X[rows]), y[rows], classes=[0, 1, 2])
    np.testing.assert_array_equal(dense.coef_, sparse.coef_)


def test_after_lbfgs_fit_a_new_run_starts_from_coef(data):
    X, y = data
    y = y % 2
    clf = EntropicRobustLogisticRegression(random_state=0).fit(X, y)
    coef = clf.coef_.copy()
    assert clf.n_iter_ > 1
    clf.set_params(step_size=1e-9).partial_fit(X, y)
    assert clf.n_iter_ == 1
    np.testing.assert_allclose(clf.coef_, coef, atol=1e-6)
    assert not np.array_equal(clf.coef_, coef)


def test_fit_starts_over_after_partial_fit(data):
    X, y = data
    clf = EntropicRobustSVC(solver="vanilla", max_iter=1, random_state=5)
    clf.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    fresh = EntropicRobustSVC(solver="vanilla", max_iter=1, random_state=5).fit(X, y)
    np.testing.assert_array_equal(clf.fit(X, y).coef_, fresh.coef_)


def test_chunk_without_some_classes_and_sample_weight(data):
    X, y = data
    clf = EntropicRobustLogisticRegression(solver="rt-mlmc", random_state=0)
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    assert clf.coef_.shape == (3, 5)
    proba = clf.predict_proba(X).mean(axis=0)  # the steps pushed towards the only class seen
    assert proba[0] > max(proba[1], proba[2])
    weights = np.where(y == 1, 5.0, 1.0)
    a = EntropicRobustLogisticRegression(random_state=0).partial_fit(X, y, [0, 1, 2], weights)
    b = EntropicRobustLogisticRegression(random_state=0).partial_fit(X, y, [0, 1, 2])
    assert not np.allclose(a.coef_, b.coef_)


def test_errors(data):
    X, y = data
    clf = EntropicRobustLogisticRegression()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.partial_fit(X[y == 0], y[y == 0], classes=[0])
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not the same as the classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="X has 4 features, but EntropicRobustLogisticRegression"):
        clf.partial_fit(X[:, :4], y)
    with pytest.raises(ValueError, match="at least one non-zero"):
        clf.partial_fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="solver='lbfgs' is a full-batch"):
        EntropicRobustLogisticRegression(solver="lbfgs").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="eta=0"):
        EntropicRobustSVC(eta=0.0).partial_fit(X, y % 2, classes=[0, 1])
