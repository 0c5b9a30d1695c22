"""Input gradients and projection kernels against NumPy references and finite differences."""

import numpy as np
import pytest
from scipy.special import expit, logsumexp, softmax
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, Normalizer, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic._core._projections import ascent_direction, ascent_rows, ascent_step_rows, project_ball
from skentropic.attacks._input_gradients import (
    differentiable_model,
    linear_scores_params,
    logistic_score_gradient,
    softmax_score_gradient,
)

RNG = np.random.RandomState(0)
X3 = RNG.normal(size=(60, 5))
Y3 = np.repeat([0, 1, 2], 20)
X3[Y3 == 1] += 1.5
X3[Y3 == 2] -= 1.5


def _fd_grad(model, X, y_enc, h=1e-6):
    G = np.empty_like(X)
    for j in range(X.shape[1]):
        E = np.zeros_like(X)
        E[:, j] = h
        G[:, j] = (model.loss_grad(X + E, y_enc)[0] - model.loss_grad(X - E, y_enc)[0]) / (2 * h)
    return G


def _check_gradient(est, X, y, rtol_rescaled=1e-8):
    model = differentiable_model(est)
    y_enc = np.searchsorted(model.classes_, y)
    np.testing.assert_array_equal(model.classes_[model.predict_encoded(X)], est.predict(X))
    loss, grad = model.loss_grad(X, y_enc)
    np.testing.assert_allclose(grad, _fd_grad(model, X, y_enc), rtol=1e-5, atol=1e-8)
    # loss is the cross-entropy of the model's probabilities where it has them
    if hasattr(est, "predict_proba"):
        P = est.predict_proba(X)
        np.testing.assert_allclose(loss, -np.log(P[np.arange(len(y)), y_enc]), rtol=1e-8, atol=1e-12)
    # rescaled gradient: the same direction up to a positive factor per row
    _, grad_r = model.loss_grad(X, y_enc, rescale=True)
    grad_r = grad_r.astype(float)
    ratio = np.sum(grad * grad_r, axis=1) / np.sum(grad_r * grad_r, axis=1)
    assert np.all(ratio > 0)
    scale = np.abs(grad).max(axis=1, keepdims=True)
    np.testing.assert_allclose(grad / scale, ratio[:, None] * grad_r / scale, rtol=rtol_rescaled, atol=rtol_rescaled)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "make", [lambda: LogisticRegression(), lambda: LinearSVC(), lambda: SGDClassifier(random_state=0)]
)
def test_linear_gradients(make, n_classes):
    keep = Y3 < n_classes
    X, y = X3[keep], Y3[keep]
    _check_gradient(make().fit(X, y), X, y)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_mlp_gradients(activation, n_classes):
    keep = Y3 < n_classes
    X, y = X3[keep], np.array(["a", "b", "c"])[Y3[keep]]
    est = MLPClassifier((7, 4), activation=activation, max_iter=30, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning: a few iterations are enough here
        est.fit(X, y)
    _check_gradient(est, X, y, rtol_rescaled=1e-4)  # the rescaled MLP path runs in float32


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), MaxAbsScaler(), "passthrough"])
def test_pipeline_gradient_and_linear_folding(scaler):
    pipe = make_pipeline(scaler, LogisticRegression()).fit(X3, Y3)
    _check_gradient(pipe, X3, Y3)
    W, b, classes = linear_scores_params(pipe)
    np.testing.assert_allclose(X3 @ W.T + b, pipe.decision_function(X3), rtol=1e-10, atol=1e-10)


def test_duck_typed_model_is_used_first():
    class Custom(LogisticRegression):
        def _loss_input_gradient(self, X, y_encoded):
            return np.full(len(X), 7.0), np.ones_like(X)

    est = Custom().fit(X3, Y3)
    loss, grad = differentiable_model(est).loss_grad(X3, np.zeros(60, dtype=np.intp))
    assert np.all(loss == 7.0) and np.all(grad == 1.0)


def test_unsupported_models():
    with pytest.raises(TypeError, match="Cannot compute input gradients"):
        differentiable_model(DecisionTreeClassifier().fit(X3, Y3))
    with pytest.raises(TypeError, match="Cannot compute input gradients"):
        differentiable_model(LinearRegression().fit(X3, Y3))
    with pytest.raises(TypeError, match="Normalizer"):
        differentiable_model(make_pipeline(Normalizer(), LogisticRegression()).fit(X3, Y3))
    with pytest.raises(NotFittedError):
        differentiable_model(LogisticRegression())
    with pytest.raises(TypeError, match="not a linear classifier"), pytest.warns(Warning):
        linear_scores_params(MLPClassifier((3,), max_iter=5).fit(X3, Y3))


def test_score_kernels_against_numpy():
    S = np.array([[1000.0, -3.0, 2.0], [0.0, 0.0, 0.0], [-5.0, 40.0, 39.0]])
    y = np.array([0, 2, 1])
    loss, A = np.empty(3), np.empty((3, 3))
    softmax_score_gradient(S, y, False, loss, A)
    np.testing.assert_allclose(loss, logsumexp(S, axis=1) - S[np.arange(3), y], rtol=1e-13)
    np.testing.assert_allclose(A, softmax(S, axis=1) - np.eye(3)[y], atol=1e-15)
    softmax_score_gradient(S, y, True, loss, A)
    # row 0 is so confident that A underflows to 0; the rescaled version stays informative
    np.testing.assert_allclose(A[0], [-1.0, softmax([-3.0, 2.0])[0], softmax([-3.0, 2.0])[1]], rtol=1e-13)
    np.testing.assert_allclose(A[1], [0.5, 0.5, -1.0], rtol=1e-13)
    s = np.array([-800.0, 0.5, 800.0])
    yb = np.array([1, 0, 1])
    a = np.empty(3)
    logistic_score_gradient(s, yb, False, loss, a)
    m = np.where(yb == 1, 1.0, -1.0) * s
    np.testing.assert_allclose(loss, np.logaddexp(0, -m), rtol=1e-13)
    np.testing.assert_allclose(a, -np.where(yb == 1, 1.0, -1.0) * expit(-m), rtol=1e-13)
    logistic_score_gradient(s, yb, True, loss, a)
    np.testing.assert_array_equal(a, [-1.0, 1.0, -1.0])


def _project_reference(v, eps, code):
    """Euclidean projection by a NumPy reference (bisection on the l1 threshold)."""
    if code == NORM_INF:
        return np.clip(v, -eps, eps)
    if code == NORM_L2:
        n = np.linalg.norm(v)
        return v if n <= eps else v * eps / n
    if np.abs(v).sum() <= eps:
        return v
    lo, hi = 0.0, np.abs(v).max()
    for _ in range(200):
        t = (lo + hi) / 2
        lo, hi = (t, hi) if np.maximum(np.abs(v) - t, 0).sum() > eps else (lo, t)
    return np.sign(v) * np.maximum(np.abs(v) - hi, 0)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
def test_projection_and_direction_against_numpy(code):
    rng = np.random.RandomState(1)
    for eps in [0.0, 0.3, 1.0, 50.0]:
        for _ in range(20):
            v = rng.normal(size=7) * rng.choice([0.1, 1, 5])
            got = v.copy()
            project_ball(got, eps, code)
            np.testing.assert_allclose(got, _project_reference(v, eps, code), atol=1e-10)
    g = np.array([0.5, -2.0, 0.0, 1.0])
    u = np.empty(4)
    ascent_direction(g, code, u)
    expected = {NORM_INF: np.sign(g), NORM_L2: g / np.linalg.norm(g), NORM_L1: np.array([0, -1.0, 0, 0])}
    np.testing.assert_allclose(u, expected[code], rtol=1e-15)
    # the direction attains the dual norm: g·u = ||g||_q
    q = {NORM_INF: 1, NORM_L2: 2, NORM_L1: np.inf}[code]
    assert g @ u == pytest.approx(np.linalg.norm(g, q), rel=1e-14)
    ascent_direction(np.zeros(4), code, u)
    assert np.all(u == 0)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
def test_ascent_rows_is_the_kernel_direction_row_by_row(code):
    rng = np.random.RandomState(4)
    G = rng.normal(size=(30, 6)) * rng.choice([1e-3, 1, 1e3], size=(30, 1))
    G[3] = 0.0
    G[5] = [1.0, -2.0, 2.0, -2.0, 0.0, 1.0]  # tied maximisers: the first one, as the kernel
    U = ascent_rows(G, code)
    u = np.empty(6)
    for g, row in zip(G, U):
        ascent_direction(g, code, u)
        np.testing.assert_allclose(row, u, rtol=1e-15, atol=0)


def test_ascent_step_rows_matches_numpy():
    rng = np.random.RandomState(2)
    X = rng.uniform(size=(6, 4))
    delta = rng.uniform(-0.1, 0.1, size=(6, 4))
    G = rng.normal(size=(6, 4))
    lo, hi = np.zeros(4), np.ones(4)
    got = delta.copy()
    ascent_step_rows(got, G, X, 0.3, 0.2, NORM_L2, lo, hi, True)
    ref = delta + 0.3 * G / np.linalg.norm(G, axis=1, keepdims=True)
    ref *= np.minimum(1, 0.2 / np.linalg.norm(ref, axis=1, keepdims=True))
    ref = np.clip(X + ref, 0, 1) - X
    np.testing.assert_allclose(got, ref, atol=1e-15)


def test_ascent_step_skips_coordinates_blocked_by_the_box():
    # l1 steepest ascent would pick coordinate 0, but x_0 already sits on the upper face
    X = np.array([[1.0, 0.5, 0.0]])
    G = np.array([[3.0, -1.0, -2.0]])
    lo, hi = np.zeros(3), np.ones(3)
    delta = np.zeros((1, 3))
    ascent_step_rows(delta, G, X, 0.2, 1.0, NORM_L1, lo, hi, True)
    np.testing.assert_array_equal(delta, [[0.0, -0.2, 0.0]])
    delta = np.zeros((1, 3))
    ascent_step_rows(delta, G, X, 0.2, 1.0, NORM_L2, lo, hi, True)
    np.testing.assert_allclose(delta, [[0.0, -0.2, 0.0]], atol=1e-16)
    delta = np.zeros((1, 3))
    ascent_step_rows(delta, G, X, 0.2, 1.0, NORM_L1, lo, hi, False)
    np.testing.assert_array_equal(delta, [[0.2, 0.0, 0.0]])
