"""Behaviour of EntropicRobustLogisticRegression and EntropicRobustSVC as scikit-learn users see it."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skentropic import EntropicRobustLogisticRegression, EntropicRobustSVC
from skentropic._core._norms import dual_norm, norm_code
from skentropic.metrics import certified_accuracy

ESTIMATORS = [EntropicRobustLogisticRegression, EntropicRobustSVC]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    return X, y


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("norm", [np.inf, 2, 1])
def test_binary_and_multiclass_fit(Est, norm, digits):
    X, y = digits
    mask = y < 3
    clf = Est(rho=0.05, eta=0.05, norm=norm, random_state=0).fit(X[mask], y[mask])
    assert clf.coef_.shape == (3, 64) and clf.intercept_.shape == (3,)
    assert clf.score(X[mask], y[mask]) > 0.95
    binary_mask = y < 2
    clf2 = Est(rho=0.05, eta=0.05, norm=norm, random_state=0).fit(X[binary_mask], y[binary_mask])
    assert clf2.coef_.shape == (1, 64) and clf2.decision_function(X[:5]).shape == (5,)


def test_predict_proba_and_string_labels(binary):
    X, y = binary
    labels = np.array(["spam", "ham"])[y]
    clf = EntropicRobustLogisticRegression(rho=0.1, eta=0.1).fit(X, labels)
    assert list(clf.classes_) == ["ham", "spam"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert not hasattr(EntropicRobustSVC().fit(X, labels), "predict_proba")


def test_rho_zero_equals_sklearn_logistic_regression(binary, digits):
    X, y = binary
    ours = EntropicRobustLogisticRegression(rho=0.0, eta=0.3, C=0.5, tol=1e-10, max_iter=1000).fit(X, y)
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-4, atol=1e-5)
    Xd, yd = digits
    ours = EntropicRobustLogisticRegression(rho=0.0, tol=1e-10, max_iter=2000).fit(Xd, yd)
    ref = LogisticRegression(tol=1e-10, max_iter=2000).fit(Xd, yd)
    # multinomial: sklearn's coefficients are defined up to a constant shift per feature
    np.testing.assert_allclose(
        ours.coef_ - ours.coef_.mean(0), ref.coef_ - ref.coef_.mean(0), atol=2e-4
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sample_weight_equals_repetition(Est, binary):
    X, y = binary
    w = np.random.RandomState(0).randint(0, 3, size=len(y))
    a = Est(rho=0.2, eta=0.1, norm=2, tol=1e-10, max_iter=500, random_state=0).fit(X, y, sample_weight=w)
    b = Est(rho=0.2, eta=0.1, norm=2, tol=1e-10, max_iter=500, random_state=0).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", [np.inf, 2])
def test_sparse_equals_dense(norm, binary):
    X, y = binary
    X = X * (np.abs(X) > 0.5)
    dense = EntropicRobustLogisticRegression(norm=norm, random_state=0).fit(X, y)
    sparse = EntropicRobustLogisticRegression(norm=norm, random_state=0).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, rtol=1e-8, atol=1e-10)
    with pytest.raises(TypeError, match="[Ss]parse"):
        EntropicRobustLogisticRegression(solver="rt-mlmc").fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("solver", ["lbfgs", "rt-mlmc", "vanilla", "saa"])
def test_same_random_state_same_model(solver, binary):
    X, y = binary
    est = EntropicRobustLogisticRegression(norm=np.inf, solver=solver, max_iter=5, random_state=3)
    with pytest.warns(ConvergenceWarning) if solver == "lbfgs" else _no_warning():
        a = clone(est).fit(X, y)
    with pytest.warns(ConvergenceWarning) if solver == "lbfgs" else _no_warning():
        b = clone(est).fit(X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_.tobytes() == b.intercept_.tobytes()


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_warm_start_continues(binary):
    X, y = binary
    cold = EntropicRobustLogisticRegression(rho=0.2, eta=0.1, random_state=0).fit(X, y)
    warm = EntropicRobustLogisticRegression(rho=0.2, eta=0.1, warm_start=True, random_state=0)
    warm.fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-4, atol=1e-5)


def test_erm_start_only_without_previous_coefficients(binary, monkeypatch):
    """A fit may start from ERM; a warm-started refit keeps its previous solution as the start."""
    import skentropic.linear_model._base as base

    X, y = binary
    runs = []
    real = base.fit_lbfgs
    monkeypatch.setattr(base, "fit_lbfgs", lambda *a, **k: runs.append(k["erm_start"]) or real(*a, **k))
    est = EntropicRobustLogisticRegression(rho=0.2, eta=0.1, warm_start=True, random_state=0)
    est.fit(X, y)
    assert runs == [True]
    est.fit(X, y)
    assert runs == [True, False]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fitted_model_minimises_its_objective(Est, binary):
    """The fitted parameters beat nearby parameters on the penalised objective."""
    X, y = binary
    clf = Est(rho=0.3, eta=0.05, norm=2, C=10.0, tol=1e-10, max_iter=1000).fit(X, y)
    alpha = 1.0 / (clf.C * len(y))

    def objective(model):
        return model.entropic_risk(X, y) + 0.5 * alpha * np.sum(model.coef_ ** 2)

    best = objective(clf)
    rng = np.random.RandomState(0)
    for _ in range(5):
        other = clone(clf)
        other.__dict__.update({k: v for k, v in clf.__dict__.items() if k.endswith("_")})
        other._rule_seeds = clf._rule_seeds
        other.coef_ = clf.coef_ + 1e-2 * rng.randn(*clf.coef_.shape)
        assert objective(other) > best


def test_eta_zero_is_exact_adversarial_risk(binary):
    X, y = binary
    clf = EntropicRobustLogisticRegression(rho=0.2, eta=0.0, norm=np.inf, max_iter=500).fit(X, y)
    w, b = clf.coef_[0], clf.intercept_[0]
    s = np.where(y == 1, 1.0, -1.0) * (X @ w + b)
    expected = np.mean(np.logaddexp(0.0, -(s - 0.2 * dual_norm(w, norm_code(np.inf)))))
    assert clf.entropic_risk(X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("rtol", [0.0, -1e-3, "1e-3"])
def test_entropic_risk_rejects_a_bad_rtol(binary, rtol):
    X, y = binary
    clf = EntropicRobustLogisticRegression(rho=0.2, eta=0.1).fit(X, y)
    with pytest.raises(ValueError, match="rtol must be a positive float or None"):
        clf.entropic_risk(X, y, rtol=rtol)


def test_entropic_risk_to_a_tolerance_on_a_multinomial_model():
    """Three classes, ``eta = 1``, a large radius: the error bound of the fit's 32 samples is
    above the default ``rtol``, so ``entropic_risk`` draws more (another value than with
    ``rtol=None``, which keeps the fit's samples), and is within 1e-3 of 16384 samples per point."""
    rng = np.random.RandomState(0)
    X, y = rng.rand(60, 2), rng.randint(0, 3, 60)
    clf = EntropicRobustLogisticRegression(rho=1.0, eta=1.0, multi_class="multinomial", random_state=0).fit(X, y)
    clf.coef_ = 5 * rng.randn(3, 2)  # a large ||W||: the loss varies over the ball
    plain, tol = clf.entropic_risk(X, y, rtol=None), clf.entropic_risk(X, y)
    many = clf.set_params(n_inner_samples=16384).entropic_risk(X, y, rtol=None)
    assert tol != plain
    assert tol == pytest.approx(many, rel=1e-3)


def test_robust_training_improves_certified_accuracy(digits):
    """Trained at rho, more points keep y(w·x+b) > eps ||w||_2 than with plain training."""
    X, y = digits
    mask = (y == 3) | (y == 8)
    X, y = X[mask], y[mask]
    plain = LogisticRegression(max_iter=1000).fit(X, y)
    robust = EntropicRobustLogisticRegression(rho=1.0, eta=0.01, norm=2).fit(X, y)
    for eps in (0.5, 1.0):
        assert certified_accuracy(robust, X, y, eps=eps, norm=2) > certified_accuracy(
            plain, X, y, eps=eps, norm=2
        )
    assert certified_accuracy(robust, X, y, eps=1.0, norm=2) > certified_accuracy(
        plain, X, y, eps=1.0, norm=2
    ) + 0.05


def test_one_vs_rest_exact_subproblems_improve_certified_accuracy(digits):
    """multi_class="ovr" makes every sub-problem binary: exact l2 quadrature and eta=0 apply."""
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    plain = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    robust = EntropicRobustLogisticRegression(rho=0.5, eta=0.01, norm=2, multi_class="ovr")
    robust.fit(X_train, y_train)
    assert robust.coef_.shape == (10, 64)
    np.testing.assert_allclose(robust.predict_proba(X_test).sum(axis=1), 1.0)
    gain = certified_accuracy(robust, X_test, y_test, eps=0.5, norm=2) - certified_accuracy(
        plain, X_test, y_test, eps=0.5, norm=2
    )
    assert gain > 0.05
    adversarial = EntropicRobustLogisticRegression(rho=0.1, eta=0.0, norm=np.inf,
                                                   multi_class="ovr").fit(X_train, y_train)
    assert certified_accuracy(adversarial, X_test, y_test, eps=0.1, norm=np.inf) > (
        certified_accuracy(plain, X_test, y_test, eps=0.1, norm=np.inf) + 0.1
    )


def test_grid_search_in_pipeline(binary):
    X, y = binary
    pipe = make_pipeline(MinMaxScaler(), EntropicRobustLogisticRegression(random_state=0))
    grid = {
        "entropicrobustlogisticregression__rho": [0.0, 0.1],
        "entropicrobustlogisticregression__eta": [0.01, 1.0],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    # rho=0 is in the grid and is exactly scikit-learn's model
    plain = cross_val_score(make_pipeline(MinMaxScaler(), LogisticRegression()), X, y, cv=3)
    assert search.best_score_ >= plain.mean() - 1e-9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"rho": -0.1}, "'rho' parameter"),
        ({"eta": -1.0}, "'eta' parameter"),
        ({"norm": 3}, "'norm' parameter"),
        ({"norm": "l3"}, "'norm' parameter"),
        ({"C": 0.0}, "'C' parameter"),
        ({"solver": "newton"}, "'solver' parameter"),
        ({"eta": 0.0, "solver": "rt-mlmc"}, "eta=0"),
    ],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_parameters(Est, params, match, binary):
    X, y = binary
    with pytest.raises(ValueError, match=match):
        Est(**params).fit(X, y)


def test_eta_zero_multinomial_rejected(digits):
    X, y = digits
    with pytest.raises(ValueError, match="eta=0"):
        EntropicRobustLogisticRegression(eta=0.0).fit(X, y)
    EntropicRobustSVC(eta=0.0, max_iter=20).fit(X[y < 3], y[y < 3])  # one-vs-rest is binary


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_data(Est, binary):
    X, y = binary
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(Xnan, y)
    Xinf = X.copy()
    Xinf[1, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est().fit(Xinf, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        Est().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="0 feature"):
        Est().fit(np.empty((len(y), 0)), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Est().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Unknown label type"):
        Est().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="(?i)negative"):
        Est().fit(X, y, sample_weight=-np.ones(len(y)))
    fitted = Est().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :3])
