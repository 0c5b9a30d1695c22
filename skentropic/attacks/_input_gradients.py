"""Input gradients of a classifier's cross-entropy loss, one place per model family.

:func:`differentiable_model` turns a fitted classifier into a small view object with

- ``classes_`` and ``n_features_in_``,
- ``predict_encoded(X)``: predicted class indices into ``classes_``,
- ``loss_grad(X, y_enc, rescale=False)``: per-row loss ``ℓ(x_i, y_i)`` (shape ``(n,)``) and its
  input gradient ``∇_x ℓ`` (shape ``(n, d)``), batched.

Losses (``y_enc`` are indices into ``classes_``):

- binary (one score ``s = f(x)``, ``y = ±1``): logistic loss ``log(1 + e^{−y s})``,
  ``∂ℓ/∂s = −y σ(−y s)``;
- multiclass (scores ``s ∈ R^K``): ``logsumexp(s) − s_y``, ``∂ℓ/∂s = softmax(s) − e_y``.

``rescale=True`` divides each row's gradient by a positive number (``σ(−y s)`` for binary,
``1 − p_y = Σ_{c≠y} p_c`` for multiclass), computed in closed form so it never underflows:
``∂ℓ/∂s / (1 − p_y) = π − e_y`` with ``π = softmax(s_c, c ≠ y)`` and ``π_y = 0``. Attacks only use
directions (sign, normalization, arg-max), which a positive row factor does not change, so
confident predictions (``p_y`` rounding to 1) still get a useful gradient.

Families, tried in this order:

1. estimators with ``_loss_input_gradient(X, y_encoded) -> (loss, grad)`` (duck typing; used by
   skentropic's own MLP);
2. :class:`sklearn.neural_network.MLPClassifier` through ``coefs_``, ``intercepts_``,
   ``activation`` and ``out_activation_``;
3. linear classifiers with ``coef_``, ``intercept_`` and ``classes_`` (LogisticRegression,
   LinearSVC, SGDClassifier, skentropic's linear estimators);
4. a :class:`sklearn.pipeline.Pipeline` whose steps before the classifier are
   ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` or ``"passthrough"``: these are
   diagonal affine maps ``z = a ⊙ x + c``, so ``∇_x ℓ = a ⊙ ∇_z ℓ``.
"""

import numpy as np
from numba import njit
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted


@njit(cache=True, nogil=True)
def softmax_score_gradient(S, y_enc, rescale, loss, A):
    """Cross-entropy of score rows and its gradient with respect to the scores.

    ``loss[i] = logsumexp(S_i) − S_{i, y_i}`` (max-subtracted) and
    ``A_i = softmax(S_i) − e_{y_i}``, or ``A_i = π_i − e_{y_i}`` with ``π_i = softmax`` over
    ``c ≠ y_i`` when ``rescale`` (``A_i`` divided by ``1 − p_{i, y_i}``).
    """
    n, k = S.shape
    for i in range(n):
        yi = y_enc[i]
        top = S[i, 0]
        for c in range(1, k):
            if S[i, c] > top:
                top = S[i, c]
        acc = 0.0
        for c in range(k):
            acc += np.exp(S[i, c] - top)
        loss[i] = top + np.log(acc) - S[i, yi]
        if rescale:
            top_other = -np.inf
            for c in range(k):
                if c != yi and S[i, c] > top_other:
                    top_other = S[i, c]
            acc_other = 0.0
            for c in range(k):
                if c != yi:
                    A[i, c] = np.exp(S[i, c] - top_other)
                    acc_other += A[i, c]
            for c in range(k):
                A[i, c] = A[i, c] / acc_other if c != yi else -1.0
        else:
            # p_y − 1 = −Σ_{c≠y} p_c, summed without the cancellation of 1 − p_y
            rest = 0.0
            for c in range(k):
                if c != yi:
                    A[i, c] = np.exp(S[i, c] - top) / acc
                    rest += A[i, c]
            A[i, yi] = -rest


@njit(cache=True, nogil=True)
def logistic_score_gradient(s, y_enc, rescale, loss, a):
    """Logistic loss ``log(1 + e^{−m})`` of the margins ``m = y s`` (``y = 2 y_enc − 1``).

    ``a[i] = ∂ℓ/∂s_i = −y_i σ(−m_i)``, or ``−y_i`` when ``rescale``.
    """
    for i in range(s.shape[0]):
        y = 1.0 if y_enc[i] == 1 else -1.0
        m = y * s[i]
        if m > 0.0:
            e = np.exp(-m)
            loss[i] = np.log1p(e)
            sig = e / (1.0 + e)
        else:
            e = np.exp(m)
            loss[i] = -m + np.log1p(e)
            sig = 1.0 / (1.0 + e)
        a[i] = -y if rescale else -y * sig


def _score_loss_grad(S, y_enc, rescale):
    """Loss and ``∂ℓ/∂S`` for scores ``S`` of shape ``(n,)``/``(n, 1)`` (binary) or ``(n, K)``."""
    y_enc = np.ascontiguousarray(y_enc, dtype=np.intp)
    loss = np.empty(S.shape[0])
    if S.ndim == 1 or S.shape[1] == 1:
        a = np.empty(S.shape[0])
        logistic_score_gradient(np.ascontiguousarray(S.reshape(-1)), y_enc, rescale, loss, a)
        return loss, a.reshape(S.shape)
    A = np.empty_like(S)
    softmax_score_gradient(np.ascontiguousarray(S), y_enc, rescale, loss, A)
    return loss, A


def _encode_scores(S):
    """Predicted class indices from binary (``s > 0``) or multiclass (arg-max) scores."""
    if S.ndim == 1 or S.shape[1] == 1:
        return (S.reshape(-1) > 0).astype(np.intp)
    return np.argmax(S, axis=1)


class _LinearModel:
    """Scores ``S = X Wᵀ + b`` from ``coef_``/``intercept_``; ``∇_x ℓ = (∂ℓ/∂S) W``."""

    def __init__(self, estimator):
        self.classes_ = np.asarray(estimator.classes_)
        self.W = np.ascontiguousarray(np.atleast_2d(np.asarray(estimator.coef_, dtype=float)))
        self.b = np.broadcast_to(np.asarray(estimator.intercept_, dtype=float), self.W.shape[:1])
        self.n_features_in_ = self.W.shape[1]
        binary = self.W.shape[0] == 1
        if binary != (len(self.classes_) == 2) or (not binary and self.W.shape[0] != len(self.classes_)):
            raise TypeError(
                f"{type(estimator).__name__} has coef_ of shape {self.W.shape} for "
                f"{len(self.classes_)} classes; only single-output classifiers are supported."
            )

    def scores(self, X):
        S = X @ self.W.T
        S += self.b
        return S

    def predict_encoded(self, X):
        return _encode_scores(self.scores(X))

    def loss_grad(self, X, y_enc, rescale=False):
        loss, A = _score_loss_grad(self.scores(X), y_enc, rescale)
        return loss, A @ self.W


_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def _activate(Z, name):
    if name == "relu":
        np.maximum(Z, 0.0, out=Z)
    elif name == "tanh":
        np.tanh(Z, out=Z)
    elif name == "logistic":
        # σ(z) = (1 + tanh(z/2)) / 2, overflow-free
        Z *= 0.5
        np.tanh(Z, out=Z)
        Z += 1.0
        Z *= 0.5
    return Z


def _activation_derivative(H, name):
    """``act'(z)`` written through the activation's output ``H = act(z)``."""
    if name == "relu":
        return (H > 0.0).astype(H.dtype)
    if name == "tanh":
        return 1.0 - H * H
    if name == "logistic":
        return H * (1.0 - H)
    return None


class _MLPModel:
    """Forward/backward pass through a fitted :class:`~sklearn.neural_network.MLPClassifier`.

    With ``rescale=True`` (the attacks' direction-only path) the matrix products run in float32,
    about twice as fast; the loss and exact gradient (``rescale=False``) stay in float64.
    """

    def __init__(self, estimator):
        if estimator.activation not in _ACTIVATIONS:
            raise TypeError(f"Unsupported MLPClassifier activation {estimator.activation!r}.")
        if estimator.out_activation_ not in ("softmax", "logistic") or estimator.n_outputs_ != (
            1 if estimator.out_activation_ == "logistic" else len(estimator.classes_)
        ):
            raise TypeError("Only single-label MLPClassifier models (binary or multiclass) are supported.")
        self.classes_ = np.asarray(estimator.classes_)
        self.activation = estimator.activation
        self.coefs = [np.asarray(W, dtype=float) for W in estimator.coefs_]
        self.intercepts = [np.asarray(b, dtype=float) for b in estimator.intercepts_]
        self.coefs32 = [W.astype(np.float32) for W in self.coefs]
        self.intercepts32 = [b.astype(np.float32) for b in self.intercepts]
        self.n_features_in_ = self.coefs[0].shape[0]

    def _forward(self, X, single=False):
        coefs, intercepts = (self.coefs32, self.intercepts32) if single else (self.coefs, self.intercepts)
        hidden = []
        H = X.astype(np.float32) if single else X
        for W, b in zip(coefs[:-1], intercepts[:-1]):
            Z = H @ W
            Z += b
            H = _activate(Z, self.activation)
            hidden.append(H)
        S = H @ coefs[-1]
        S += intercepts[-1]
        return hidden, S.astype(np.float64) if single else S

    def predict_encoded(self, X):
        return _encode_scores(self._forward(X)[1])

    def loss_grad(self, X, y_enc, rescale=False):
        hidden, S = self._forward(X, single=rescale)
        loss, D = _score_loss_grad(S, y_enc, rescale)
        coefs = self.coefs32 if rescale else self.coefs
        D = D.astype(coefs[0].dtype, copy=False)
        for layer in range(len(coefs) - 1, 0, -1):
            D = D @ coefs[layer].T
            deriv = _activation_derivative(hidden[layer - 1], self.activation)
            if deriv is not None:
                D *= deriv
        return loss, D @ coefs[0].T


class _DuckModel:
    """Estimators exposing ``_loss_input_gradient(X, y_encoded) -> (loss, grad)``."""

    def __init__(self, estimator):
        self.estimator = estimator
        self.classes_ = np.asarray(estimator.classes_)
        self.n_features_in_ = getattr(estimator, "n_features_in_", None)

    def predict_encoded(self, X):
        return np.searchsorted(self.classes_, self.estimator.predict(X))

    def loss_grad(self, X, y_enc, rescale=False):
        loss, grad = self.estimator._loss_input_gradient(X, np.asarray(y_enc, dtype=np.intp))
        return np.asarray(loss, dtype=float), np.asarray(grad, dtype=float)


class _AffineModel:
    """A model applied after the diagonal affine map ``z = a ⊙ x + c``."""

    def __init__(self, inner, scale, offset):
        self.inner, self.scale, self.offset = inner, scale, offset
        self.classes_ = inner.classes_
        self.n_features_in_ = inner.n_features_in_

    def _map(self, X):
        Z = X * self.scale
        Z += self.offset
        return Z

    def predict_encoded(self, X):
        return self.inner.predict_encoded(self._map(X))

    def loss_grad(self, X, y_enc, rescale=False):
        loss, grad = self.inner.loss_grad(self._map(X), y_enc, rescale)
        grad *= self.scale
        return loss, grad


def _scaler_affine(step):
    """``(a, c)`` with ``step.transform(X) = a ⊙ X + c`` for the supported scalers."""
    if isinstance(step, StandardScaler):
        scale = step.scale_ if step.with_std else 1.0
        mean = step.mean_ if step.with_mean else 0.0
        return 1.0 / np.asarray(scale, dtype=float), -np.asarray(mean, dtype=float) / scale
    if isinstance(step, MinMaxScaler):
        if step.clip:
            raise TypeError("MinMaxScaler(clip=True) is not differentiable everywhere; use clip=False.")
        return np.asarray(step.scale_, dtype=float), np.asarray(step.min_, dtype=float)
    if isinstance(step, MaxAbsScaler):
        return 1.0 / np.asarray(step.scale_, dtype=float), 0.0
    raise TypeError(
        f"Cannot differentiate through pipeline step {type(step).__name__}; supported steps are "
        "StandardScaler, MinMaxScaler, MaxAbsScaler and 'passthrough'."
    )


def differentiable_model(estimator):
    """Return the differentiable view of a fitted classifier (see the module docstring).

    Raises
    ------
    TypeError
        If the estimator's family has no input gradient here.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    """
    if isinstance(estimator, Pipeline):
        check_is_fitted(estimator)
        scale, offset = 1.0, 0.0
        for _, step in estimator.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            a, c = _scaler_affine(step)
            scale, offset = scale * a, offset * a + c
        inner = differentiable_model(estimator.steps[-1][1])
        d = inner.n_features_in_
        scale = np.broadcast_to(np.asarray(scale, dtype=float), (d,)).copy()
        offset = np.broadcast_to(np.asarray(offset, dtype=float), (d,)).copy()
        return _AffineModel(inner, scale, offset)
    check_is_fitted(estimator)
    if hasattr(estimator, "_loss_input_gradient"):
        return _DuckModel(estimator)
    if isinstance(estimator, MLPClassifier):
        return _MLPModel(estimator)
    if hasattr(estimator, "coef_") and hasattr(estimator, "intercept_") and hasattr(estimator, "classes_"):
        return _LinearModel(estimator)
    raise TypeError(
        f"Cannot compute input gradients of {type(estimator).__name__}: supported are linear "
        "classifiers with coef_/intercept_/classes_, MLPClassifier, estimators with "
        "_loss_input_gradient, and Pipelines of scalers ending in one of these."
    )


def linear_scores_params(estimator):
    """``(W, b, classes)`` of the linear score map ``x ↦ W x + b`` in the estimator's input space.

    Pipelines of supported scalers are folded in: ``W' = W diag(a)``, ``b' = b + W c``.
    Raises ``TypeError`` for non-linear models.
    """
    model = differentiable_model(estimator)
    scale, offset = 1.0, 0.0
    if isinstance(model, _AffineModel):
        scale, offset, model = model.scale, model.offset, model.inner
    if not isinstance(model, _LinearModel):
        raise TypeError(
            f"{type(estimator).__name__} is not a linear classifier (coef_/intercept_); "
            "exact certificates are only available for linear models."
        )
    W = model.W * scale
    b = model.b + model.W @ np.broadcast_to(offset, (model.W.shape[1],))
    return W, b, model.classes_
