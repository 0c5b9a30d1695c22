"""Robust accuracy, the scorer factory in model selection, exact linear certificates."""

import itertools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import LinearSVC

import skentropic
from skentropic.attacks import FastGradientMethod, ProjectedGradientDescent, UniformNoise
from skentropic.metrics import certified_accuracy, make_robust_scorer, robust_accuracy

RNG = np.random.RandomState(0)
X = RNG.uniform(size=(240, 3))
Y = np.digitize(X[:, 0] - X[:, 1] + 0.15 * RNG.normal(size=240), [-0.25, 0.25])
YB = (X[:, 0] + X[:, 2] + 0.2 * RNG.normal(size=240) > 1.0).astype(int)
Q = {np.inf: 1, 2: 2, 1: np.inf}


def _vertices(norm, d):
    """Vertices of the unit l-inf / l1 ball (the l2 ball has none)."""
    if norm == np.inf:
        return np.array(list(itertools.product([-1.0, 1.0], repeat=d)))
    return np.vstack([np.eye(d), -np.eye(d)])


@pytest.mark.parametrize("norm", [np.inf, 1])
@pytest.mark.parametrize("y", [Y, YB], ids=["multiclass", "binary"])
def test_certified_accuracy_equals_vertex_enumeration(norm, y):
    """A linear classifier is correct on the whole polytope ball iff it is correct at its vertices."""
    est = LinearSVC().fit(X, y)
    eps = 0.08
    correct_everywhere = np.ones(len(y), dtype=bool)
    for v in _vertices(norm, 3):
        correct_everywhere &= est.predict(X + eps * v) == y
    got = certified_accuracy(est, X, y, eps, norm)
    assert got == pytest.approx(correct_everywhere.mean())
    assert 0 < got < (est.predict(X) == y).mean()


@pytest.mark.parametrize("y", [Y, YB], ids=["multiclass", "binary"])
def test_certified_accuracy_l2_has_witnesses(y):
    est = LogisticRegression().fit(X, y)
    eps = 0.1
    W, b = est.coef_, est.intercept_
    if W.shape[0] == 1:
        W, b = np.vstack([-W / 2, W / 2]), np.array([-b[0] / 2, b[0] / 2])
    yi = np.searchsorted(est.classes_, y)
    # certified points: dense sampling of the sphere never breaks them
    angles = RNG.normal(size=(400, 3))
    angles /= np.linalg.norm(angles, axis=1, keepdims=True)
    broken = np.zeros(len(y), dtype=bool)
    for u in angles:
        broken |= est.predict(X + eps * u) != y
    # uncertified points: the closed-form witness δ = −eps (w_y − w_c)/||w_y − w_c|| breaks them
    for c in range(W.shape[0]):
        diff = W[yi] - W[c]
        nrm = np.linalg.norm(diff, axis=1, keepdims=True)
        nrm[nrm == 0] = 1.0
        broken |= (est.predict(X - eps * diff / nrm) != y) & (yi != c)
    assert certified_accuracy(est, X, y, eps, 2) == pytest.approx(1 - broken.mean())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_certified_accuracy_zero_eps_is_accuracy_and_errors():
    est = LogisticRegression().fit(X, Y)
    assert certified_accuracy(est, X, Y, 0.0) == pytest.approx(np.mean(est.predict(X) == Y))
    mlp = MLPClassifier((3,), max_iter=300, random_state=0).fit(X, Y)
    with pytest.raises(TypeError, match="linear"):
        certified_accuracy(mlp, X, Y, 0.1)
    with pytest.raises(ValueError, match="eps"):
        certified_accuracy(est, X, Y, -0.1)
    with pytest.raises(ValueError, match="norm"):
        certified_accuracy(est, X, Y, 0.1, norm=3)


def test_certified_accuracy_through_scaler_pipeline():
    pipe = make_pipeline(MinMaxScaler(), LogisticRegression()).fit(X * 5 + 1, YB)
    exact = certified_accuracy(pipe, X * 5 + 1, YB, 0.3, np.inf)
    attacked = robust_accuracy(pipe, X * 5 + 1, YB, FastGradientMethod(None, eps=0.3))
    assert attacked == pytest.approx(exact)


def test_robust_accuracy_matches_manual_and_points_attack_at_estimator():
    est = LogisticRegression().fit(X, Y)
    other = LogisticRegression(C=1e-3).fit(X, Y)
    attack = ProjectedGradientDescent(other, eps=0.1, n_steps=5)
    manual = np.mean(est.predict(ProjectedGradientDescent(est, eps=0.1, n_steps=5).fit_transform(X, Y)) == Y)
    assert robust_accuracy(est, X, Y, attack) == pytest.approx(manual)
    assert attack.estimator is other  # the template is not modified
    w = RNG.uniform(size=240)
    adv_correct = est.predict(FastGradientMethod(est, eps=0.1).fit_transform(X, Y)) == Y
    got = robust_accuracy(est, X, Y, FastGradientMethod(None, eps=0.1), sample_weight=w)
    assert got == pytest.approx(np.sum(w * adv_correct) / w.sum())


def test_scorer_in_cross_validate_with_several_scorers():
    scoring = {
        "clean": "accuracy",
        "pgd": make_robust_scorer(ProjectedGradientDescent(None, eps=0.1, n_steps=5)),
        "noise": make_robust_scorer(UniformNoise(eps=0.1, random_state=0)),
    }
    res = cross_validate(LogisticRegression(), X, Y, cv=3, scoring=scoring)
    assert np.all(res["test_pgd"] < res["test_clean"])
    assert np.all(res["test_pgd"] <= res["test_noise"])
    with pytest.raises(TypeError, match="attack"):
        make_robust_scorer(LogisticRegression())


def test_grid_search_by_robust_accuracy_sklearn():
    scorer = make_robust_scorer(ProjectedGradientDescent(None, eps=0.15, n_steps=5))
    grid = GridSearchCV(LogisticRegression(), {"C": [1e-4, 1.0, 100.0]}, scoring=scorer, cv=3).fit(X, Y)
    scores = grid.cv_results_["mean_test_score"]
    assert grid.best_score_ == scores.max()
    assert 0 < grid.best_score_ < 1


def test_grid_search_rho_eta_by_pgd_robust_accuracy():
    """Tune rho and eta of the entropic robust logistic regression by PGD robust accuracy."""
    Est = getattr(skentropic, "EntropicRobustLogisticRegression", None)
    if Est is None:
        pytest.skip("EntropicRobustLogisticRegression has not landed yet")
    scorer = make_robust_scorer(ProjectedGradientDescent(None, eps=0.1, norm=np.inf, n_steps=10))
    grid = GridSearchCV(
        Est(norm=np.inf, random_state=0),
        {"rho": [0.0, 0.1], "eta": [0.01, 1.0]},
        scoring={"pgd": scorer, "clean": "accuracy"},
        refit="pgd",
        cv=3,
    ).fit(X, Y)
    res = grid.cv_results_
    assert grid.best_score_ == np.max(res["mean_test_pgd"])
    # training against the ball should not lose to plain ERM under attack
    rho = np.asarray(res["param_rho"], dtype=float)
    assert np.max(res["mean_test_pgd"][rho > 0]) >= np.max(res["mean_test_pgd"][rho == 0])
