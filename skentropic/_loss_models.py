"""Per-sample losses, input gradients and exact entropic risks of fitted models (private).

:func:`loss_model` turns a fitted classifier (or a ``loss_grad`` callable) into a list of
*parts*: the binary sub-problems of a one-vs-rest model, or a single part otherwise. The
entropic risk of a model is the mean over its parts (as in the linear estimators'
``entropic_risk``), each part having its own adversary. Every part provides

- ``target``: the per-row target it uses (``±1`` for margin losses, class indices otherwise);
- ``loss_grad(X, target) -> (ℓ (n,), ∇_x ℓ (n, d))``;
- ``tilt_start(X, rho, norm_code)``: where the analysis modules' tilted proposals start
  (with three or more classes, the worst case, or one ascent step, of the margin to the
  competing class that loses most, when that loses more), ``None`` for the fast-gradient step;
- ``exact(X, target, rho, eta, norm_code)``: ``F_i = η log E_u exp(ℓ(x_i + ρu)/η)`` when it is
  computable without Monte Carlo (binary margin losses of linear models under the ``l_2`` ball
  by quadrature and the ``l_∞`` ball by the law of ``w·u``, and ``η = 0`` for every norm),
  else ``None``;
- ``excess(X, target, rho, eta, norm_code)``: ``F_i − ℓ(x_i)`` without the cancellation of the
  difference of the two (binary logistic linear models, :mod:`skentropic.linear_model._excess`),
  else ``None``.

Input gradients of non-linear models come from :mod:`skentropic.attacks._input_gradients`.
"""

import numpy as np

from ._core._losses import LOGISTIC, SOFTMAX
from ._core._projections import ascent_rows
from ._core._worst_case_kernels import margin_loss_rows
from .attacks._input_gradients import _score_loss_grad, differentiable_model, linear_scores_params


class _LinearPart:
    """Scores ``X Wᵀ + b``: a binary margin loss (``W`` of shape ``(1, d)``) or softmax."""

    def __init__(self, W, b, loss_code, target):
        self.W = np.ascontiguousarray(np.atleast_2d(W), dtype=float)
        self.b = np.asarray(b, dtype=float).reshape(-1)
        self.loss_code = int(loss_code)
        self.target = target

    def loss_grad(self, X, target):
        S = X @ self.W.T + self.b
        if self.loss_code == SOFTMAX:
            loss, A = _score_loss_grad(S, target, False)
            return loss, A @ self.W
        z = np.ascontiguousarray(target * S[:, 0])
        loss, deriv = np.empty_like(z), np.empty_like(z)
        margin_loss_rows(z, self.loss_code, loss, deriv)
        return loss, (deriv * target)[:, None] * self.W[0]

    def loss(self, X, target):
        return self.loss_grad(X, target)[0]

    def tilt_start(self, X, rho, code):
        """Softmax: where the tilts of :mod:`skentropic._tilted_sampling` start (the linear rule's
        start, which reaches every competing class's mode); ``None`` (the fast-gradient step)
        for margin losses, whose step is their worst case."""
        if self.loss_code != SOFTMAX:
            return None
        from .linear_model._tilted_rule import _softmax_start

        return _softmax_start(np.asarray(self.target), self.W, X @ self.W.T + self.b, float(rho), code)

    def exact(self, X, target, rho, eta, code):
        if self.loss_code == SOFTMAX:
            return None
        from .linear_model._objective import make_inner_rule, per_sample_objective

        rule = make_inner_rule(code, X.shape[1], self.loss_code)
        return per_sample_objective(
            self.W, self.b, np.ascontiguousarray(X), np.asarray(target, dtype=float),
            float(rho), float(eta), code, self.loss_code, rule,
        )

    def excess(self, X, target, rho, eta, code):
        if self.loss_code != LOGISTIC or self.W.shape[0] != 1:
            return None
        from .linear_model._excess import logistic_excess

        return logistic_excess(self.W[0], self.b[0], np.ascontiguousarray(X), target, float(rho), float(eta), code)


class _CallablePart:
    """A model known only through ``loss_grad(X, target) -> (loss, grad)``."""

    def __init__(self, loss_grad, target):
        self._loss_grad = loss_grad
        self.target = target

    def loss_grad(self, X, target):
        loss, grad = self._loss_grad(X, target)
        loss = np.asarray(loss, dtype=float).reshape(-1)
        grad = np.asarray(grad, dtype=float)
        if loss.shape != (X.shape[0],) or grad.shape != X.shape:
            raise ValueError(
                f"loss_grad must return arrays of shapes {(X.shape[0],)} and {X.shape}; "
                f"got {loss.shape} and {grad.shape}."
            )
        if not (np.isfinite(loss).all() and np.isfinite(grad).all()):
            raise ValueError("loss_grad returned non-finite values.")
        return loss, grad

    def loss(self, X, target):
        return self.loss_grad(X, target)[0]

    def tilt_start(self, X, rho, code):
        return None

    def exact(self, X, target, rho, eta, code):
        return None

    def excess(self, X, target, rho, eta, code):
        return None


class _ClassifierPart(_CallablePart):
    """A differentiable classifier known through its ``loss_grad`` (an MLP): the cross-entropy of
    ``n_classes`` scores, with class indices as targets."""

    def __init__(self, loss_grad, target, n_classes):
        super().__init__(loss_grad, target)
        self.n_classes = int(n_classes)

    def tilt_start(self, X, rho, code):
        """With three or more classes: of the fast-gradient step ``dir(∇_x CE)`` and one ascent
        step ``dir(∇_x (s_c − s_y))`` on the margin to each other class ``c``, the one with the
        largest loss at ``x + ρδ`` (``∇_x (s_c − s_y) = ∇_x CE(·, y) − ∇_x CE(·, c)``); else
        ``None``, the fast-gradient step.

        ``e^{CE/η}`` has one mode per competing class, and the tilt stays in the mode it starts
        in; the non-linear analogue of the linear models' start
        (:func:`~skentropic.linear_model._tilted_rule._softmax_start`). It costs ``2K`` passes
        through the model.
        """
        if self.n_classes < 3:
            return None
        y = np.asarray(self.target)
        _, grad_y = self.loss_grad(X, y)
        best = ascent_rows(grad_y, code)
        best_loss = self.loss(X + rho * best, y)
        for c in range(self.n_classes):
            rows = np.flatnonzero(y != c)
            Xc = X[rows]
            step = ascent_rows(grad_y[rows] - self.loss_grad(Xc, np.full(rows.shape[0], c, dtype=y.dtype))[1], code)
            loss = self.loss(Xc + rho * step, y[rows])
            better = loss > best_loss[rows]
            best[rows[better]] = step[better]
            best_loss[rows[better]] = loss[better]
        return best


def _is_callable_loss(obj):
    return callable(obj) and not hasattr(obj, "fit")


def _encode(y, classes):
    y = np.asarray(y)
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(f"y contains labels not in classes_: {np.unique(y[unknown])!r}")
    return np.searchsorted(classes, y).astype(np.intp)


def loss_model(estimator, X, y):
    """Return the parts (see the module docstring) of ``estimator`` for the data ``(X, y)``.

    ``estimator`` is a fitted classifier (skentropic's linear estimators with their own losses,
    scikit-learn linear classifiers and ``MLPClassifier`` with the cross-entropy, pipelines of
    scalers ending in one of these, estimators with ``_loss_input_gradient``) or a callable
    ``loss_grad(X, y) -> (loss, grad)`` that receives ``y`` unchanged.
    """
    from .linear_model._base import _BaseEntropicLinearClassifier

    if _is_callable_loss(estimator):
        return [_CallablePart(estimator, np.asarray(y))]
    if isinstance(estimator, _BaseEntropicLinearClassifier):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        y_idx = _encode(y, estimator.classes_)
        parts, row = [], 0
        for target, loss_code, n_out in estimator._subproblems(y_idx):
            W = estimator.coef_[row:row + n_out]
            b = estimator.intercept_[row:row + n_out]
            parts.append(_LinearPart(W, b, loss_code, target))
            row += n_out
        return parts
    model = differentiable_model(estimator)  # NotFittedError / TypeError for bad estimators
    y_idx = _encode(y, model.classes_)
    try:
        W, b, _ = linear_scores_params(estimator)
    except TypeError:
        return [_ClassifierPart(model.loss_grad, y_idx, len(model.classes_))]
    if W.shape[0] == 1:
        return [_LinearPart(W, b, LOGISTIC, np.where(y_idx == 1, 1.0, -1.0))]
    return [_LinearPart(W, b, SOFTMAX, y_idx)]


def n_features_of(estimator):
    """``n_features_in_`` of a fitted estimator, ``None`` for callables or when unknown."""
    if _is_callable_loss(estimator):
        return None
    return getattr(estimator, "n_features_in_", None)
