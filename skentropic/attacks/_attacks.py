"""FGM, PGD and uniform-noise transformers (public through :mod:`skentropic.attacks`)."""

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core._norms import norm_code
from .._core._projections import ascent_step_rows, project_rows
from .._core._sampling import draw_seed, sample_unit_ball_kernel
from .._core._threads import single_blas_thread
from ._input_gradients import differentiable_model

__all__ = ["FastGradientMethod", "ProjectedGradientDescent", "UniformNoise"]

# Rows per batch: X, δ and the gradient of one batch stay in cache across the steps. The
# matrix products of such batches are too small for threaded BLAS, whose thread start-up and
# spinning cost far more than they save (x5 slower on a loaded 2-core machine), so the batch
# loops run with one BLAS thread.
_ROWS_PER_BATCH_ELEMENTS = 1 << 18


def _batches(n, d):
    size = max(1, _ROWS_PER_BATCH_ELEMENTS // max(d, 1))
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


class _BaseAttack(TransformerMixin, BaseEstimator):
    """Shared parameter handling, validation and label encoding."""

    _parameter_constraints = {
        "estimator": [HasMethods(["predict"])],
        "eps": [Interval(Real, 0, None, closed="left")],
        "norm": [Options(Real, {np.inf, 2, 1}), StrOptions({"inf"})],
        "clip": [tuple, list, None],
    }
    _needs_gradients = True

    def __init__(self, estimator, *, eps=0.1, norm=np.inf, clip=None):
        self.estimator = estimator
        self.eps = eps
        self.norm = norm
        self.clip = clip

    def __sklearn_is_fitted__(self):
        # Stateless apart from the wrapped model: usable once the estimator is fitted.
        if self.estimator is None:
            return True
        try:
            check_is_fitted(self.estimator)
        except Exception:
            return False
        return True

    def _setup(self, X, reset):
        """Validate parameters and ``X``; return ``(X, model, code, lo, hi, has_box)``."""
        self._validate_params()
        model = differentiable_model(self.estimator) if self._needs_gradients else None
        X = validate_data(self, X, reset=reset, dtype=np.float64, order="C", copy=False)
        d = X.shape[1]
        n_model = getattr(model, "n_features_in_", None) if model is not None else None
        if n_model is not None and n_model != d:
            raise ValueError(f"X has {d} features, but the estimator expects {n_model} features.")
        lo, hi, has_box = np.full(d, -np.inf), np.full(d, np.inf), False
        if self.clip is not None:
            if len(self.clip) != 2:
                raise ValueError(f"clip must be a pair (lo, hi); got {self.clip!r}.")
            lo = np.broadcast_to(np.asarray(self.clip[0], dtype=float), (d,)).copy()
            hi = np.broadcast_to(np.asarray(self.clip[1], dtype=float), (d,)).copy()
            if np.any(lo > hi) or np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
                raise ValueError(f"clip=(lo, hi) needs lo <= hi; got {self.clip!r}.")
            if np.any(X < lo) or np.any(X > hi):
                raise ValueError("X has values outside clip=(lo, hi); the attack needs X inside the box.")
            has_box = True
        return X, model, norm_code(self.norm), lo, hi, has_box

    def _encode(self, model, y, n):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be a 1-D array with {n} labels; got shape {y.shape}.")
        classes = model.classes_
        idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        if not np.all(classes[idx] == y):
            unknown = np.setdiff1d(np.unique(y), classes)
            raise ValueError(f"y contains labels {unknown[:5]!r} unknown to the estimator (classes_={classes!r}).")
        return idx.astype(np.intp)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the estimator is fitted and record ``n_features_in_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._setup(X, reset=True)
        return self

    def transform(self, X):
        """Perturb ``X`` against the estimator's own predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_adv : ndarray of shape (n_samples, n_features)
        """
        X, model, code, lo, hi, has_box = self._setup(X, reset=False)
        y_enc = model.predict_encoded(X) if model is not None else None
        return self._perturb(X, y_enc, model, code, lo, hi, has_box)

    def fit_transform(self, X, y=None):
        """Fit, then perturb ``X`` against the true labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels (required by the gradient attacks).

        Returns
        -------
        X_adv : ndarray of shape (n_samples, n_features)
        """
        X, model, code, lo, hi, has_box = self._setup(X, reset=True)
        y_enc = None
        if model is not None:
            if y is None:
                raise ValueError(f"{type(self).__name__}.fit_transform needs the true labels y.")
            y_enc = self._encode(model, y, X.shape[0])
        return self._perturb(X, y_enc, model, code, lo, hi, has_box)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.target_tags.required = self._needs_gradients
        return tags


def _finish(X, delta, lo, hi, has_box):
    """``X + δ``, clipped into the box so rounding cannot leave it."""
    X_adv = X + delta
    if has_box:
        np.clip(X_adv, lo, hi, out=X_adv)
    return X_adv


class FastGradientMethod(_BaseAttack):
    """Fast gradient method: one steepest-ascent step to the boundary of the ball.

    ``x' = Π_box(x + eps · u(∇_x ℓ(x, y)))`` with ``u`` the steepest-ascent direction of the
    ball (Goodfellow et al., 2015): ``sign(g)`` for ``norm=np.inf``, ``g / ||g||_2`` for
    ``norm=2``, and ``sign(g_j) e_j`` on the largest ``|g_j|`` for ``norm=1``.
    For a binary linear model this is the exact worst case of the ball.

    Parameters
    ----------
    estimator : fitted classifier
        A linear classifier with ``coef_``, an ``MLPClassifier``, a skentropic estimator, or a
        Pipeline of ``StandardScaler``/``MinMaxScaler``/``MaxAbsScaler`` ending in one of these.
    eps : float, default=0.1
        Radius of the perturbation ball.
    norm : {np.inf, "inf", 2, 1}, default=np.inf
        Norm of the ball.
    clip : tuple (lo, hi) or None, default=None
        Feature box (scalars or per-feature arrays); inputs must lie inside it.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen by ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.attacks import FastGradientMethod
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> FastGradientMethod(clf, eps=0.5).fit_transform(X, y).ravel().tolist()
    [0.5, 1.5, 1.5, 2.5]
    """

    def _perturb(self, X, y_enc, model, code, lo, hi, has_box):
        delta = np.zeros_like(X)
        with single_blas_thread():
            for sl in _batches(*X.shape):
                _, grad = model.loss_grad(X[sl], y_enc[sl], rescale=True)
                ascent_step_rows(delta[sl], np.ascontiguousarray(grad), X[sl], float(self.eps),
                                 float(self.eps), code, lo, hi, has_box)
        return _finish(X, delta, lo, hi, has_box)


class ProjectedGradientDescent(_BaseAttack):
    """Projected gradient ascent on the loss (the iterative fast gradient method).

    ``δ⁰ = 0`` (or uniform in the ball with ``random_start=True``), then for
    ``k = 1..n_steps``: ``δᵏ = Π(δᵏ⁻¹ + α u(∇_x ℓ(x + δᵏ⁻¹, y)))`` with ``u`` the steepest-ascent
    direction of :class:`FastGradientMethod` and ``Π`` the projection onto the ball followed by
    the clip into the feature box (exact for ``l_∞``; for ``l_2``/``l_1`` a feasible
    approximation of the projection onto the intersection). The final iterate is returned.
    With ``n_restarts > 1`` (random starts), each point keeps the restart that misclassifies it,
    or else the one with the highest loss.

    Parameters
    ----------
    estimator : fitted classifier
        As in :class:`FastGradientMethod`.
    eps : float, default=0.1
        Radius of the perturbation ball.
    norm : {np.inf, "inf", 2, 1}, default=np.inf
        Norm of the ball.
    n_steps : int, default=20
        Number of gradient steps ``T``.
    step_size : float or {"auto", "ifgm"}, default="auto"
        Step ``α``: ``"auto"`` is ``2.5 eps / n_steps`` (Madry et al., 2018: can travel to the
        boundary and back), ``"ifgm"`` is ``eps / n_steps`` (the talk's iterative FGM), a float
        is used as is. For ``norm=1`` each step moves one coordinate by ``α``.
    random_start : bool, default=False
        Start from a uniform point of the ball instead of ``x``.
    n_restarts : int, default=1
        Number of runs; more than one requires ``random_start=True``.
    clip : tuple (lo, hi) or None, default=None
        Feature box; inputs must lie inside it.
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts.
    n_jobs : int or None, default=None
        Threads attacking blocks of rows in parallel (``None``: 1, ``-1``: all cores). Blocks
        are independent, so the result does not depend on ``n_jobs``.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen by ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.attacks import ProjectedGradientDescent
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> ProjectedGradientDescent(clf, eps=0.5, n_steps=10).fit_transform(X, y).ravel().tolist()
    [0.5, 1.5, 1.5, 2.5]
    """

    _parameter_constraints = {
        **_BaseAttack._parameter_constraints,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto", "ifgm"})],
        "random_start": ["boolean"],
        "n_restarts": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, estimator, *, eps=0.1, norm=np.inf, n_steps=20, step_size="auto",
                 random_start=False, n_restarts=1, clip=None, random_state=None, n_jobs=None):
        super().__init__(estimator, eps=eps, norm=norm, clip=clip)
        self.n_jobs = n_jobs
        self.n_steps = n_steps
        self.step_size = step_size
        self.random_start = random_start
        self.n_restarts = n_restarts
        self.random_state = random_state

    def _step(self):
        if self.step_size == "auto":
            return 2.5 * self.eps / self.n_steps
        if self.step_size == "ifgm":
            return self.eps / self.n_steps
        return float(self.step_size)

    def _perturb(self, X, y_enc, model, code, lo, hi, has_box):
        if self.n_restarts > 1 and not self.random_start:
            raise ValueError("n_restarts > 1 requires random_start=True (restarts from 0 are identical).")
        rng = check_random_state(self.random_state)
        seeds = [draw_seed(rng) for _ in range(self.n_restarts)] if self.random_start else [None]
        eps, step = float(self.eps), self._step()
        best = best_loss = best_wrong = None
        for seed in seeds:
            if seed is None:
                delta = np.zeros_like(X)
            else:
                delta = sample_unit_ball_kernel(X.shape[0], X.shape[1], code, seed) * eps
                project_rows(delta, X, eps, code, lo, hi, has_box)

            def attack_block(sl):
                x, d, y = X[sl], delta[sl], y_enc[sl]
                for _ in range(self.n_steps):
                    _, grad = model.loss_grad(x + d, y, rescale=True)
                    ascent_step_rows(d, np.ascontiguousarray(grad), x, step, eps, code, lo, hi,
                                     has_box)

            blocks = _batches(*X.shape)
            n_threads = min(effective_n_jobs(self.n_jobs), len(blocks))
            with single_blas_thread():
                if n_threads == 1:
                    for sl in blocks:
                        attack_block(sl)
                else:
                    # the blocks write disjoint rows of delta; BLAS and the kernels release the GIL
                    with ThreadPoolExecutor(max_workers=n_threads) as pool:
                        list(pool.map(attack_block, blocks))
            X_adv = _finish(X, delta, lo, hi, has_box)
            if len(seeds) == 1:
                return X_adv
            loss, _ = model.loss_grad(X_adv, y_enc)
            wrong = model.predict_encoded(X_adv) != y_enc
            if best is None:
                best, best_loss, best_wrong = X_adv, loss, wrong
                continue
            better = (wrong & ~best_wrong) | ((wrong == best_wrong) & (loss > best_loss))
            best[better], best_loss[better], best_wrong[better] = X_adv[better], loss[better], wrong[better]
        return best


class UniformNoise(_BaseAttack):
    """Random perturbation drawn uniformly in the ball (then clipped into the feature box).

    ``x' = Π_box(x + eps u)`` with ``u ~ U(B_1)``, the uniform law on the unit ``p``-ball (see
    :mod:`skentropic._core._sampling`). Labels and the estimator play no role; ``estimator`` is
    accepted so that all attacks share one signature.

    Parameters
    ----------
    estimator : estimator or None, default=None
        Ignored apart from the check that it is fitted when given.
    eps : float, default=0.1
        Radius of the ball.
    norm : {np.inf, "inf", 2, 1}, default=np.inf
        Norm of the ball.
    clip : tuple (lo, hi) or None, default=None
        Feature box; inputs must lie inside it.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen by ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropic.attacks import UniformNoise
    >>> X = np.zeros((100, 3))
    >>> X_noisy = UniformNoise(eps=0.5, random_state=0).fit_transform(X)
    >>> bool(np.abs(X_noisy).max() <= 0.5)
    True
    """

    _parameter_constraints = {
        **_BaseAttack._parameter_constraints,
        "estimator": [HasMethods(["predict"]), None],
        "random_state": ["random_state"],
    }
    _needs_gradients = False

    def __init__(self, estimator=None, *, eps=0.1, norm=np.inf, clip=None, random_state=None):
        super().__init__(estimator, eps=eps, norm=norm, clip=clip)
        self.random_state = random_state

    def _perturb(self, X, y_enc, model, code, lo, hi, has_box):
        if self.estimator is not None:
            check_is_fitted(self.estimator)
        seed = draw_seed(check_random_state(self.random_state))
        delta = sample_unit_ball_kernel(X.shape[0], X.shape[1], code, seed)
        delta *= float(self.eps)
        if has_box:
            project_rows(delta, X, float(self.eps), code, lo, hi, has_box)
        return _finish(X, delta, lo, hi, has_box)
