"""Robust evaluation: accuracy under attack, a scorer factory, exact certificates for linear models."""

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score

from ._core._norms import dual_norm, norm_code
from .attacks._attacks import _BaseAttack
from .attacks._input_gradients import linear_scores_params

__all__ = ["robust_accuracy", "make_robust_scorer", "certified_accuracy"]


def robust_accuracy(estimator, X, y, attack, sample_weight=None):
    """Accuracy of ``estimator`` on ``X`` perturbed by ``attack`` against the true labels ``y``.

    ``1/n Σ_i 1{ f(A(x_i, y_i)) = y_i }`` (weighted by ``sample_weight`` when given), where ``A``
    is a clone of ``attack`` pointed at ``estimator`` (its own ``estimator`` parameter is replaced)
    and applied with ``fit_transform(X, y)``.

    Parameters
    ----------
    estimator : fitted classifier
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    attack : skentropic.attacks transformer
        E.g. ``ProjectedGradientDescent(None, eps=0.1)``.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.attacks import ProjectedGradientDescent
    >>> from skentropic.metrics import robust_accuracy
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> robust_accuracy(clf, X, y, ProjectedGradientDescent(None, eps=0.6))
    0.5
    """
    attack = clone(attack).set_params(estimator=estimator)
    X_adv = attack.fit_transform(X, y)
    return float(accuracy_score(y, estimator.predict(X_adv), sample_weight=sample_weight))


class _RobustScorer:
    """Callable ``scorer(estimator, X, y)`` returning :func:`robust_accuracy` under ``attack``."""

    def __init__(self, attack):
        self.attack = attack

    def __call__(self, estimator, X, y, sample_weight=None):
        return robust_accuracy(estimator, X, y, self.attack, sample_weight=sample_weight)

    def __repr__(self):
        return f"make_robust_scorer({self.attack!r})"


def make_robust_scorer(attack):
    """Scorer factory for ``GridSearchCV(scoring=...)`` and ``cross_validate(scoring={...})``.

    Parameters
    ----------
    attack : skentropic.attacks transformer
        Template attack; for every scored estimator it is cloned and pointed at that estimator,
        so its ``estimator`` parameter may be ``None``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None) -> float``, the robust accuracy (greater
        is better).

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from skentropic.attacks import ProjectedGradientDescent
    >>> from skentropic.metrics import make_robust_scorer
    >>> scoring = {"clean": "accuracy",
    ...            "pgd": make_robust_scorer(ProjectedGradientDescent(None, eps=0.1))}
    """
    if not isinstance(attack, _BaseAttack):
        raise TypeError(f"attack must be a skentropic.attacks transformer; got {type(attack).__name__}.")
    return _RobustScorer(attack)


def certified_accuracy(estimator, X, y, eps, norm=np.inf):
    """Exact accuracy under the worst perturbation of the ball, for linear classifiers.

    Binary (score ``s = w·x + b``, ``y = ±1``): ``x`` is certified iff ``y s > eps ||w||_q``.
    Multiclass (prediction ``argmax_c w_c·x + b_c``): certified iff for every ``c ≠ y``,
    ``(w_y − w_c)·x + b_y − b_c > eps ||w_y − w_c||_q``. ``q`` is the dual exponent of ``norm``
    (``∞ → 1``, ``2 → 2``, ``1 → ∞``). This is exact because ``sup_δ max_c`` equals
    ``max_c sup_δ`` and ``sup_{||δ||_p <= eps} v·δ = eps ||v||_q``. A feature box (``clip``) is
    not taken into account, so with one the result is a lower bound on any attack's accuracy.
    Pipelines of ``StandardScaler``/``MinMaxScaler``/``MaxAbsScaler`` before the linear model
    are folded into ``w`` (the ball lives in the Pipeline's input space).

    Parameters
    ----------
    estimator : fitted linear classifier (``coef_``, ``intercept_``, ``classes_``) or such a Pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    eps : float
        Radius of the ball, ``>= 0``.
    norm : {np.inf, "inf", 2, 1}, default=np.inf

    Returns
    -------
    score : float

    Raises
    ------
    TypeError
        If the estimator is not a linear classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.metrics import certified_accuracy
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> certified_accuracy(clf, X, y, eps=0.4), certified_accuracy(clf, X, y, eps=0.6)
    (1.0, 0.5)
    """
    code = norm_code(norm)
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite non-negative number; got {eps!r}.")
    W, b, classes = linear_scores_params(estimator)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have shape (n_samples, {W.shape[1]}); got {X.shape}.")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must be a 1-D array with {X.shape[0]} labels; got shape {y.shape}.")
    idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    known = classes[idx] == y
    if W.shape[0] == 1:
        sign = np.where(idx == 1, 1.0, -1.0)
        margin = sign * (X @ W[0] + b[0])
        certified = margin > eps * dual_norm(W[0], code)
    else:
        S = X @ W.T + b
        rows = np.arange(X.shape[0])
        diff_norms = dual_norm(W[:, None, :] - W[None, :, :], code)  # ||w_a − w_c||_q, (K, K)
        slack = S[rows, idx][:, None] - S - eps * diff_norms[idx]
        slack[rows, idx] = np.inf
        certified = np.all(slack > 0, axis=1)
    return float(np.mean(certified & known))
