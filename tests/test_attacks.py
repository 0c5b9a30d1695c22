"""Attacks: exactness on linear models, feasibility (hypothesis), strength on an MLP, API."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skentropic.attacks import FastGradientMethod, ProjectedGradientDescent, UniformNoise

NORMS = [np.inf, 2, 1]
Q = {np.inf: 1, 2: 2, 1: np.inf}

RNG = np.random.RandomState(0)
XB = RNG.uniform(size=(200, 6))
YB = np.where(XB[:, 0] + XB[:, 1] + 0.2 * RNG.normal(size=200) > 1.0, "pos", "neg")
LOGREG = LogisticRegression().fit(XB, YB)
X3 = RNG.uniform(size=(150, 4))
Y3 = np.digitize(X3[:, 0] - X3[:, 2] + 0.2 * RNG.normal(size=150), [-0.3, 0.3])
LOGREG3 = LogisticRegression().fit(X3, Y3)


def _binary_margin_slack(est, X, y, eps, norm):
    """``y (w·x + b) − eps ||w||_q`` per point: positive iff the point is certified."""
    w, b = est.coef_[0], est.intercept_[0]
    sign = np.where(y == est.classes_[1], 1.0, -1.0)
    return sign * (X @ w + b) - eps * np.linalg.norm(w, Q[norm])


@pytest.mark.parametrize("make", [LogisticRegression, LinearSVC, lambda: SGDClassifier(random_state=0)])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("attack", ["fgm", "pgd"])
def test_linear_binary_attacks_reach_exact_worst_case(make, norm, attack):
    est = make().fit(XB, YB)
    eps = 0.15
    att = (FastGradientMethod(est, eps=eps, norm=norm) if attack == "fgm"
           else ProjectedGradientDescent(est, eps=eps, norm=norm, n_steps=10))
    X_adv = att.fit_transform(XB, YB)
    slack = _binary_margin_slack(est, XB, YB, eps, norm)
    away = np.abs(slack) > 1e-9
    correct = est.predict(X_adv) == YB
    np.testing.assert_array_equal(correct[away], slack[away] > 0)
    # and the score moved by exactly eps ||w||_q towards the wrong side
    sign = np.where(YB == est.classes_[1], 1.0, -1.0)
    moved = sign * (est.decision_function(XB) - est.decision_function(X_adv))
    np.testing.assert_allclose(moved, eps * np.linalg.norm(est.coef_[0], Q[norm]), rtol=1e-9)
    assert 0 < correct.mean() < (est.predict(XB) == YB).mean()


@pytest.mark.parametrize("norm", NORMS)
def test_linear_multiclass_attack_never_beats_certificate(norm):
    eps = 0.1
    X_adv = ProjectedGradientDescent(LOGREG3, eps=eps, norm=norm, n_steps=10).fit_transform(X3, Y3)
    W, b = LOGREG3.coef_, LOGREG3.intercept_
    S = X3 @ W.T + b
    others = [S[np.arange(150), Y3] - S[:, c] - eps * np.linalg.norm(W[Y3] - W[c], Q[norm], axis=1)
              for c in range(3)]
    slack = np.min(np.where(np.arange(3)[None, :] == Y3[:, None], np.inf, np.stack(others, axis=1)), axis=1)
    certified = slack > 1e-9
    correct = LOGREG3.predict(X_adv) == Y3
    assert np.all(correct[certified])
    assert correct.mean() < (LOGREG3.predict(X3) == Y3).mean()


def _make_attack(kind, est, eps, norm, clip, seed):
    if kind == "fgm":
        return FastGradientMethod(est, eps=eps, norm=norm, clip=clip)
    if kind == "pgd":
        return ProjectedGradientDescent(est, eps=eps, norm=norm, clip=clip, n_steps=3, random_start=True,
                                        n_restarts=2, random_state=seed)
    return UniformNoise(est, eps=eps, norm=norm, clip=clip, random_state=seed)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["fgm", "pgd", "noise"]),
    norm=st.sampled_from(NORMS),
    eps=st.floats(0.0, 3.0),
    use_clip=st.booleans(),
    multiclass=st.booleans(),
    seed=st.integers(0, 2**31 - 2),
)
def test_perturbations_stay_in_ball_and_box(kind, norm, eps, use_clip, multiclass, seed):
    est, X, y = (LOGREG3, X3[:40], Y3[:40]) if multiclass else (LOGREG, XB[:40], YB[:40])
    clip = (0.0, 1.0) if use_clip else None
    X_adv = _make_attack(kind, est, eps, norm, clip, seed).fit_transform(X, y)
    assert X_adv.shape == X.shape and np.all(np.isfinite(X_adv))
    assert np.all(np.linalg.norm(X_adv - X, ord=norm, axis=1) <= eps * (1 + 1e-12) + 1e-15)
    if use_clip:
        assert np.all((X_adv >= 0.0) & (X_adv <= 1.0))


@pytest.fixture(scope="module")
def digits_mlp():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    est = MLPClassifier(hidden_layer_sizes=(32,), max_iter=50, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning after 50 iterations
        est.fit(X[:1200], y[:1200])
    return est, X[1200:], y[1200:]


@pytest.mark.parametrize("norm, eps", [(np.inf, 0.1), (2, 0.5), (1, 2.0)])
def test_pgd_at_least_as_strong_as_fgm_on_digits_mlp(digits_mlp, norm, eps):
    est, X, y = digits_mlp
    clean = np.mean(est.predict(X) == y)
    fgm = np.mean(est.predict(FastGradientMethod(est, eps=eps, norm=norm, clip=(0, 1)).fit_transform(X, y)) == y)
    pgd = np.mean(est.predict(
        ProjectedGradientDescent(est, eps=eps, norm=norm, clip=(0, 1)).fit_transform(X, y)) == y)
    assert pgd <= fgm < clean
    assert pgd < clean - 0.2  # the attack is real, not a rounding effect


def test_transform_attacks_predictions_and_fits_in_pipeline():
    att = ProjectedGradientDescent(LOGREG3, eps=0.1, n_steps=5)
    np.testing.assert_array_equal(att.transform(X3), att.fit_transform(X3, LOGREG3.predict(X3)))
    pipe = Pipeline([("attack", att), ("clf", LOGREG3)])
    assert pipe.score(X3, Y3) == np.mean(LOGREG3.predict(att.transform(X3)) == Y3)
    assert att.fit(X3).n_features_in_ == 4


def test_attack_through_scaler_pipeline_is_exact():
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(XB * 10, YB)
    eps = 1.0
    X_adv = FastGradientMethod(pipe, eps=eps).fit_transform(XB * 10, YB)
    w = pipe[-1].coef_[0] / pipe[0].scale_
    sign = np.where(YB == "pos", 1.0, -1.0)
    moved = sign * (pipe.decision_function(XB * 10) - pipe.decision_function(X_adv))
    np.testing.assert_allclose(moved, eps * np.abs(w).sum(), rtol=1e-9)


def test_randomness_is_reproducible_and_restarts_help(digits_mlp):
    est, X, y = digits_mlp
    for make in [lambda s: UniformNoise(est, eps=0.1, random_state=s),
                 lambda s: ProjectedGradientDescent(est, eps=0.05, n_steps=3, random_start=True, random_state=s)]:
        a, b, c = make(3).fit_transform(X, y), make(3).fit_transform(X, y), make(4).fit_transform(X, y)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    single = ProjectedGradientDescent(est, eps=0.03, n_steps=3, random_start=True, random_state=0)
    multi = ProjectedGradientDescent(est, eps=0.03, n_steps=3, random_start=True, random_state=0, n_restarts=4)
    acc_single = np.mean(est.predict(single.fit_transform(X, y)) == y)
    acc_multi = np.mean(est.predict(multi.fit_transform(X, y)) == y)
    assert acc_multi <= acc_single


def test_zero_eps_and_string_norm():
    for att in [FastGradientMethod(LOGREG, eps=0.0), ProjectedGradientDescent(LOGREG, eps=0.0, norm="inf"),
                UniformNoise(eps=0.0, norm=1)]:
        np.testing.assert_array_equal(att.fit_transform(XB, YB), XB)
    a = FastGradientMethod(LOGREG, eps=0.1, norm="inf").fit_transform(XB, YB)
    np.testing.assert_array_equal(a, FastGradientMethod(LOGREG, eps=0.1, norm=np.inf).fit_transform(XB, YB))


def test_step_size_options():
    base = ProjectedGradientDescent(LOGREG, eps=0.2, n_steps=4, step_size="ifgm")
    assert base._step() == pytest.approx(0.05)
    assert base.set_params(step_size="auto")._step() == pytest.approx(0.125)
    assert base.set_params(step_size=0.01)._step() == 0.01
    # the talk's schedule reaches the l-inf boundary after exactly n_steps steps on a linear model
    X_adv = base.set_params(step_size="ifgm").fit_transform(XB, YB)
    np.testing.assert_allclose(np.abs(X_adv - XB), 0.2, rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="norm"):
        FastGradientMethod(LOGREG, norm=3).fit_transform(XB, YB)
    with pytest.raises(ValueError, match="eps"):
        FastGradientMethod(LOGREG, eps=-1).fit_transform(XB, YB)
    with pytest.raises(ValueError, match="outside clip"):
        FastGradientMethod(LOGREG, clip=(0.2, 1.0)).fit_transform(XB, YB)
    with pytest.raises(ValueError, match="lo <= hi"):
        FastGradientMethod(LOGREG, clip=(1.0, 0.0)).fit_transform(XB, YB)
    with pytest.raises(ValueError, match="unknown"):
        FastGradientMethod(LOGREG).fit_transform(XB, np.where(YB == "pos", "pos", "other"))
    with pytest.raises(ValueError, match="random_start"):
        ProjectedGradientDescent(LOGREG, n_restarts=2).fit_transform(XB, YB)
    with pytest.raises(ValueError, match="features"):
        FastGradientMethod(LOGREG).fit_transform(XB[:, :3], YB)
    with pytest.raises(ValueError, match="true labels"):
        FastGradientMethod(LOGREG).fit_transform(XB)
    with pytest.raises(ValueError, match="n_steps"):
        ProjectedGradientDescent(LOGREG, n_steps=0).fit_transform(XB, YB)
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        FastGradientMethod(DecisionTreeClassifier().fit(XB, YB)).fit_transform(XB, YB)
    with pytest.raises(NotFittedError):
        ProjectedGradientDescent(LogisticRegression()).fit(XB)
    with pytest.raises(ValueError, match="NaN"):
        FastGradientMethod(LOGREG).fit_transform(np.full_like(XB, np.nan), YB)


def test_pgd_threads_give_identical_result():
    """Blocks of rows are attacked independently, so n_jobs does not change the output."""
    X, y = make_classification(n_samples=3000, n_features=200, n_informative=20, n_classes=3,
                               random_state=0)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    one = ProjectedGradientDescent(clf, eps=0.2, n_steps=5, random_start=True, random_state=0)
    many = ProjectedGradientDescent(clf, eps=0.2, n_steps=5, random_start=True, random_state=0,
                                    n_jobs=2)
    np.testing.assert_array_equal(one.fit_transform(X, y), many.fit_transform(X, y))
