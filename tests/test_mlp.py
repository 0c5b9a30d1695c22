"""EntropicRobustMLPClassifier: scikit-learn API, training modes, reproducibility, baselines."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skentropic.neural_network._mlp import EntropicRobustMLPClassifier as MLP


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(y))
    X, y = X[idx] / 16.0, y[idx]
    return X[:600], y[:600], X[600:900], y[600:900]


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLP(**params).fit(X, y)


@parametrize_with_checks([
    MLP(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=60, random_state=0),
    MLP(hidden_layer_sizes=(8, 4), training="erm", solver="sgd", learning_rate_init=0.05,
        max_iter=60, random_state=0),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_erm_matches_sklearn_mlp_exactly():
    """ERM with the same initialisation scheme, batches and optimizer reproduces MLPClassifier."""
    X, y = load_digits(n_class=4, return_X_y=True)
    X = X[:200] / 16.0
    y = y[:200]
    for solver in ("sgd", "adam"):
        common = dict(hidden_layer_sizes=(7, 5), activation="tanh", solver=solver, alpha=1e-3,
                      batch_size=32, learning_rate_init=0.01, max_iter=4, shuffle=False,
                      random_state=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = MLPClassifier(**common).fit(X, y)
        ours = _fit(X, y, training="erm", **common)
        for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("estimator", ["rt-mlmc", "vanilla", "saa"])
def test_entropic_training_learns_digits(digits, estimator):
    X, y, X_test, y_test = digits
    clf = _fit(X, y, gradient_estimator=estimator, max_level=4, max_iter=25, batch_size=50,
               learning_rate_init=0.01, rho=0.1, random_state=0)
    assert clf.score(X_test, y_test) > 0.85
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.n_iter_ == len(clf.loss_curve_) <= 25
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X_test), atol=1e-10)
    assert [W.shape for W in clf.coefs_] == [(64, 64), (64, 10)]


def test_same_seed_bit_identical_and_seed_matters(digits):
    X, y = digits[0][:200], digits[1][:200]
    params = dict(hidden_layer_sizes=(10,), max_iter=3, max_level=5, random_state=7)
    a, b = _fit(X, y, **params), _fit(X, y, **params)
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert np.array_equal(Wa, Wb)
    assert a.loss_curve_ == b.loss_curve_
    c = _fit(X, y, **{**params, "random_state": 8})
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_rho_zero_entropic_is_erm(digits):
    X, y = digits[0][:200], digits[1][:200]
    a = _fit(X, y, hidden_layer_sizes=(6,), max_iter=3, rho=0.0, random_state=1)
    b = _fit(X, y, hidden_layer_sizes=(6,), max_iter=3, training="erm", random_state=1)
    assert np.array_equal(a.coefs_[0], b.coefs_[0])
    c = _fit(X, y, hidden_layer_sizes=(6,), max_iter=3, rho=0.2, random_state=1)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_partial_fit_equals_fit_epoch_by_epoch(digits):
    X, y = digits[0][:150], digits[1][:150]
    params = dict(hidden_layer_sizes=(6,), random_state=2, max_level=3)
    full = _fit(X, y, max_iter=3, **params)
    inc = MLP(**params)
    with pytest.raises(ValueError, match="classes must be passed"):
        inc.partial_fit(X, y)
    for _ in range(3):
        inc.partial_fit(X, y, classes=np.arange(10))
    assert inc.n_iter_ == 3 and inc.t_ == 3 * len(y)
    np.testing.assert_array_equal(inc.coefs_[0], full.coefs_[0])
    assert inc.loss_curve_ == full.loss_curve_
    with pytest.raises(ValueError, match="not the same"):
        inc.partial_fit(X, y, classes=np.arange(11))
    with pytest.raises(ValueError, match="features"):
        inc.partial_fit(X[:, :5], y)


def test_warm_start_continues(digits):
    X, y = digits[0][:200], digits[1][:200]
    clf = _fit(X, y, hidden_layer_sizes=(6,), max_iter=2, random_state=0)
    first = clf.coefs_[0].copy()
    clf.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 4 and clf.n_iter_ == 4
    assert not np.array_equal(first, clf.coefs_[0])
    cold = _fit(X, y, hidden_layer_sizes=(6,), max_iter=2, random_state=0)
    np.testing.assert_array_equal(first, cold.coefs_[0])
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X[y < 5], y[y < 5])


def test_early_stopping_keeps_best_validation_model(digits):
    X, y = digits[0], digits[1]
    clf = _fit(X, y, hidden_layer_sizes=(16,), max_iter=40, early_stopping=True,
               n_iter_no_change=2, tol=0.0, learning_rate_init=0.01, random_state=0)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 40  # stopped on the validation criterion


def test_tol_stopping_without_convergence_warning(digits):
    X, y = digits[0][:200], digits[1][:200]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLP(hidden_layer_sizes=(6,), training="erm", tol=10.0, n_iter_no_change=1,
                  random_state=0).fit(X, y)
    # epoch 1 improves on +inf; epochs 2 and 3 do not improve by tol: count 2 > 1 stops
    assert clf.n_iter_ == 3
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLP(hidden_layer_sizes=(6,), max_iter=1, random_state=0).fit(X, y)


def test_verbose_prints_the_objective(digits, capsys):
    X, y = digits[0][:100], digits[1][:100]
    _fit(X, y, hidden_layer_sizes=(4,), max_iter=2, verbose=True, random_state=0)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out


def test_binary_problem_has_two_softmax_outputs():
    X, y = load_digits(n_class=2, return_X_y=True)
    clf = _fit(X / 16, np.where(y == 1, "one", "zero"), hidden_layer_sizes=(5,), max_iter=20,
               learning_rate_init=0.01, random_state=0)
    assert clf.coefs_[-1].shape == (5, 2)
    assert clf.predict_proba(X / 16).shape == (len(y), 2)
    assert set(clf.predict(X / 16)) <= {"one", "zero"}
    assert clf.score(X / 16, np.where(y == 1, "one", "zero")) > 0.95


def test_loss_input_gradient_is_the_cross_entropy_gradient(digits):
    X, y = digits[0][:50], digits[1][:50]
    clf = _fit(X, y, hidden_layer_sizes=(5,), max_iter=2, random_state=0)
    y_enc = np.searchsorted(clf.classes_, y)
    loss, grad = clf._loss_input_gradient(X, y_enc)
    expected = -np.log(clf.predict_proba(X)[np.arange(50), y_enc])
    np.testing.assert_allclose(loss, expected, rtol=1e-10)
    h = 1e-6
    E = np.zeros_like(X)
    E[:, 10] = h
    up, _ = clf._loss_input_gradient(X + E, y_enc)
    down, _ = clf._loss_input_gradient(X - E, y_enc)
    np.testing.assert_allclose(grad[:, 10], (up - down) / (2 * h), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("params, match", [
    (dict(activation="sigmoid"), "activation"),
    (dict(training="trades"), "training"),
    (dict(norm=3), "norm"),
    (dict(eta=0.0), "eta"),
    (dict(gradient_estimator="mlmc"), "gradient_estimator"),
    (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes"),
    (dict(clip=(1.0, 0.0)), "clip"),
    (dict(clip=(0.0, 0.5)), "outside"),
])
def test_bad_parameters_raise(digits, params, match):
    X, y = digits[0][:50], digits[1][:50]
    with pytest.raises(ValueError, match=match):
        MLP(**params).fit(X, y)


def test_clip_keeps_training_inside_the_box(digits):
    X, y = digits[0][:200], digits[1][:200]
    a = _fit(X, y, hidden_layer_sizes=(6,), max_iter=2, rho=0.5, random_state=0)
    b = _fit(X, y, hidden_layer_sizes=(6,), max_iter=2, rho=0.5, clip=(0, 1), random_state=0)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize("training", ["fgm", "pgd"])
def test_adversarial_training_uses_the_attacks_module(digits, training, monkeypatch):
    from skentropic import attacks

    cls = attacks.FastGradientMethod if training == "fgm" else attacks.ProjectedGradientDescent
    calls = []
    original = cls.fit_transform

    def spy(self, X, y=None):
        calls.append(X.shape[0])
        out = original(self, X, y)
        assert np.abs(out - X).max() <= self.eps + 1e-12
        return out

    monkeypatch.setattr(cls, "fit_transform", spy)
    X, y = digits[0][:200], digits[1][:200]
    clf = _fit(X, y, hidden_layer_sizes=(6,), training=training, attack_steps=3, rho=0.1,
               clip=(0, 1), batch_size=50, max_iter=2, random_state=0)
    assert calls == [50] * 8
    erm = _fit(X, y, hidden_layer_sizes=(6,), training="erm", batch_size=50, max_iter=2,
               random_state=0)
    assert not np.array_equal(clf.coefs_[0], erm.coefs_[0])


@pytest.mark.parametrize("params", [
    {}, {"gradient_estimator": "vanilla", "max_level": 3}, {"gradient_estimator": "saa"},
    {"training": "erm", "solver": "sgd"}, {"training": "pgd", "attack_steps": 2},
    {"clip": (0, 1), "early_stopping": True},
])
def test_csr_input_gives_the_dense_model(digits, params):
    X, y, X_test, _ = digits
    X_csr, X_test_csr = sp.csr_matrix(X[:300]), sp.csr_matrix(X_test)
    params = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0, **params}
    dense, sparse = _fit(X[:300], y[:300], **params), _fit(X_csr, y[:300], **params)
    for a, b in zip(dense.coefs_ + dense.intercepts_, sparse.coefs_ + sparse.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sparse.predict(X_test_csr), dense.predict(X_test))
    np.testing.assert_array_equal(sparse.predict_proba(X_test_csr), dense.predict_proba(X_test))
    np.testing.assert_array_equal(sparse.predict_log_proba(X_test_csr),
                                  dense.predict_log_proba(X_test))
    streamed = MLP(**params)
    for start in (0, 150):
        rows = slice(start, start + 150)
        streamed.partial_fit(sp.csr_matrix(X[rows]), y[rows], classes=np.arange(10))
    reference = MLP(**params)
    for start in (0, 150):
        rows = slice(start, start + 150)
        reference.partial_fit(X[rows], y[rows], classes=np.arange(10))
    np.testing.assert_array_equal(streamed.predict_proba(X_test_csr),
                                  reference.predict_proba(X_test))


def test_csr_input_is_densified_per_minibatch(digits, monkeypatch):
    X, y, X_test, _ = digits
    shapes = []
    toarray = sp.csr_matrix.toarray

    def recording(self, *args, **kwargs):
        shapes.append(self.shape)
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording)
    clf = _fit(sp.csr_matrix(X), y, hidden_layer_sizes=(8,), batch_size=50, max_iter=2,
               random_state=0)
    assert len(shapes) == 2 * len(y) // 50 and max(s[0] for s in shapes) == 50
    shapes.clear()
    clf.predict(sp.csr_matrix(np.vstack([X_test] * 14)))  # 4200 rows
    assert [s[0] for s in shapes] == [4096, 104]  # prediction chunks of at most 4096 rows


def test_csr_input_outside_the_clip_box_raises():
    X = sp.csr_matrix(np.array([[0.0, 0.5], [0.2, 0.0]]))
    with pytest.raises(ValueError, match="outside clip"):
        MLP(clip=(0.1, 1.0)).fit(X, [0, 1])  # the implicit zeros are below the box
    MLP(clip=(0.0, 1.0), max_iter=1, random_state=0).partial_fit(X, [0, 1], classes=[0, 1])
