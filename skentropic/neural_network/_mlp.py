"""Entropic-robust multilayer perceptron classifier, with ERM and adversarial-training baselines."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core._mlmc import PROPOSAL_CODES
from .._core._norms import norm_code
from .._core._sampling import draw_seed
from .._core._threads import single_blas_thread
from ..attacks import FastGradientMethod, ProjectedGradientDescent
from . import _mlp_estimators as estimators
from . import _mlp_passes as passes
from ._network import as_kernel_array, clip_box, dense_rows, glorot_init, hidden_sizes, layer_views, layout, pack
from ._optimizers import SOLVER_CODES

_TRAINING_MODES = ("entropic", "erm", "fgm", "pgd")
_PREDICT_CHUNK = 4096


class EntropicRobustMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multilayer perceptron trained on the entropic-regularised adversarial risk.

    With ``training="entropic"`` the network minimises, by minibatch SGD or Adam,

        F(θ) = 1/n Σ_i η log E_{u ~ U(B_1)} exp( ℓ(x_i + ρu, y_i; θ) / η )  +  penalty,

    ``ℓ`` the softmax cross-entropy and ``U(B_1)`` the uniform law on the unit ``norm``-ball.
    The gradient of each point's term is estimated by RT-MLMC (default; unbiased for the
    level-``max_level`` plug-in, expected cost about ``(max_level + 1)/2`` forward/backward
    rows per point), by the vanilla plug-in with ``2^max_level`` samples, or by a fixed
    sample average (SAA) of ``n_inner_samples`` samples per point. The inner samples come from
    a proposal tilted toward the worst case (``proposal="tilted"``: ``θ = (ρ/η)∇_x ℓ`` at the
    point or one fast-gradient step from it, ``tilt_anchor``; exact importance weights, so every
    estimator targets the same ``F``) or uniformly from the ball (``proposal="uniform"``, the
    talk's estimator, which in high dimension rarely comes near the worst case). Forward and
    backward passes run in numba on the stacked perturbed copies of one minibatch; no ``n × m × d`` array is
    formed. BLAS runs single-threaded during training (the per-minibatch matrices are too
    small to gain from threads, and threads oversubscribe shared machines).

    Baselines in the same estimator: ``training="erm"`` (plain cross-entropy, ``rho`` and
    ``eta`` unused), ``"fgm"`` and ``"pgd"`` (adversarial training: every minibatch is replaced
    by adversarial examples of radius ``rho`` crafted against the current network by
    :class:`skentropic.attacks.FastGradientMethod` or
    :class:`skentropic.attacks.ProjectedGradientDescent` with ``attack_steps`` steps and a
    random start; ``eta`` unused).

    The output layer is a softmax over ``n_classes`` units, also for binary problems (two
    outputs instead of scikit-learn's single logistic unit). Parameter names follow
    :class:`sklearn.neural_network.MLPClassifier` where the meaning is the same, including the
    L2 penalty ``α/(2B) Σ_l ||W_l||²`` per minibatch of size ``B``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(64,)
        Widths of the hidden layers (one or more; the study uses one or two).
    activation : {"elu", "relu", "tanh"}, default="elu"
        Hidden-layer activation; ELU is ``z`` for ``z > 0`` and ``eᶻ − 1`` otherwise.
    training : {"entropic", "erm", "fgm", "pgd"}, default="entropic"
        Objective: entropic risk, plain cross-entropy, or adversarial training.
    rho : float, default=0.1
        Radius of the perturbation ball (entropic, fgm and pgd training).
    eta : float, default=0.05
        Entropic temperature ``η > 0``; small ``η`` approaches the worst case of the sampled
        points, large ``η`` the noise-averaged loss.
    norm : {np.inf, "inf", 2, 1}, default=np.inf
        Norm of the perturbation ball.
    gradient_estimator : {"rt-mlmc", "vanilla", "saa"}, default="rt-mlmc"
        Gradient estimator of the entropic risk (DESIGN.md section 3).
    max_level : int, default=6
        Level ``L`` of RT-MLMC and vanilla (``2^L`` samples at the top level).
    n_inner_samples : int, default=32
        Samples per point of the SAA estimator (fixed for the whole fit).
    proposal : {"tilted", "uniform"}, default="tilted"
        Where the inner samples come from (see above and :mod:`skentropic._core._tilted`).
    tilt_anchor : {"fgm", "clean"}, default="fgm"
        Where the tilt's input gradient is taken: one fast-gradient step from the point (two
        extra forward/backward passes per minibatch) or the point itself (one).
    attack_steps : int, default=10
        Steps of the PGD attack used by ``training="pgd"`` (step ``2.5 rho / attack_steps``).
    clip : tuple (lo, hi) or None, default=None
        Feature box, e.g. ``(0, 1)`` for images: perturbed training inputs (sampled or
        adversarial) are clipped into it, and ``X`` must lie inside it.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Constant step size.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for ``solver="sgd"``.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam parameters.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Shuffle the samples at every epoch.
    tol : float, default=1e-4
        Improvement of the training objective (or validation accuracy with
        ``early_stopping``) below which an epoch counts as no improvement.
    n_iter_no_change : int, default=10
        Stop after this many epochs without improvement.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified, seeded) and stop when its
        clean accuracy stops improving; the best parameters are kept.
    validation_fraction : float, default=0.1
        Held-out fraction for ``early_stopping``.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    verbose : bool or int, default=False
        Print the objective every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, shuffling, sampling, attacks and validation split; the same
        value gives bit-identical results.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string feature names.
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape ``(s_l, s_{l+1})``.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape ``(s_{l+1},)``.
    loss_curve_ : list of float
        Training objective estimate per epoch (for ``"entropic"``: the mean of the estimator's
        per-point estimates of ``F_i``, unbiased for the level-``max_level`` plug-in under
        RT-MLMC, hence noisy), plus the penalty.
    inner_ess_ : list of float
        Per epoch of entropic training, the mean effective sample size fraction
        ``(Σπ)²/(mΣπ²)`` of the inner weights ``π ∝ w e^{ℓ/η}`` (empty for the baselines).
    best_loss_ : float or None
        Lowest ``loss_curve_`` value (``None`` with ``early_stopping``).
    validation_scores_ : list of float or None
        Held-out accuracy per epoch (``early_stopping`` only).
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skentropic.neural_network._mlp import EntropicRobustMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = EntropicRobustMLPClassifier(max_iter=20, random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(passes.ACTIVATION_CODES))],
        "training": [StrOptions(set(_TRAINING_MODES))],
        "rho": [Interval(Real, 0, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="neither")],
        "norm": [Options(Real, {np.inf, 2, 1}), StrOptions({"inf"})],
        "gradient_estimator": [StrOptions(set(estimators.ESTIMATOR_CODES))],
        "max_level": [Interval(Integral, 0, 16, closed="both")],
        "n_inner_samples": [Interval(Integral, 1, None, closed="left")],
        "proposal": [StrOptions(set(PROPOSAL_CODES))],
        "tilt_anchor": [StrOptions({"fgm", "clean"})],
        "attack_steps": [Interval(Integral, 1, None, closed="left")],
        "clip": [tuple, list, None],
        "solver": [StrOptions(set(SOLVER_CODES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation="elu",
        *,
        training="entropic",
        rho=0.1,
        eta=0.05,
        norm=np.inf,
        gradient_estimator="rt-mlmc",
        max_level=6,
        n_inner_samples=32,
        proposal="tilted",
        tilt_anchor="fgm",
        attack_steps=10,
        clip=None,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        verbose=False,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.training = training
        self.rho = rho
        self.eta = eta
        self.norm = norm
        self.gradient_estimator = gradient_estimator
        self.max_level = max_level
        self.n_inner_samples = n_inner_samples
        self.proposal = proposal
        self.tilt_anchor = tilt_anchor
        self.attack_steps = attack_steps
        self.clip = clip
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse input is densified one minibatch at a time (with
            ``gradient_estimator="saa"`` the whole matrix, since the fixed samples of a point
            are seeded by its row).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : object
        """
        with single_blas_thread():
            return self._fit(X, y, incremental=False, classes=None)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Run one epoch over ``(X, y)``, continuing from the current parameters and optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All classes; required on the first call, optional (must match) afterwards.

        Returns
        -------
        self : object
        """
        with single_blas_thread():
            return self._fit(X, y, incremental=True, classes=classes)

    def _fit(self, X, y, incremental, classes):
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, order="C",
                             reset=not continuing)
        check_classification_targets(y)
        classes_ = self._resolve_classes(y, incremental, continuing, classes)
        lo, hi, has_box = clip_box(self.clip, X)
        y_idx = np.searchsorted(classes_, y).astype(np.int64)
        n_features = X.shape[1]
        sizes = np.array([n_features, *hidden_sizes(self.hidden_layer_sizes), classes_.shape[0]], dtype=np.int64)
        offsets = estimators.parameter_offsets(sizes)

        if not (continuing and incremental):  # partial_fit calls share one generator
            self._rng = check_random_state(self.random_state)
        rng = self._rng
        self.classes_ = classes_
        if continuing:
            theta = pack(self.coefs_, self.intercepts_)
            if theta.shape[0] != offsets[-1]:
                raise ValueError(
                    "warm_start/partial_fit needs the same network shape as the previous fit; "
                    f"got layer sizes {sizes.tolist()}."
                )
        else:
            theta = glorot_init(sizes, offsets, rng)
            self._saa_seed = draw_seed(rng)
            self.loss_curve_ = []
            self.inner_ess_ = []
            self.n_iter_ = 0
            self.t_ = 0
        if not (incremental and continuing and hasattr(self, "_optimizer_state")):
            self._optimizer_state = (np.zeros_like(theta), np.zeros_like(theta),
                                     np.zeros(1, dtype=np.int64))
        self.coefs_, self.intercepts_ = layer_views(theta, sizes, offsets)

        early = self.early_stopping and not incremental
        X_val = y_val = None
        if early:
            X, X_val, y_idx, y_val = train_test_split(
                X, y_idx, test_size=self.validation_fraction, stratify=y_idx,
                random_state=draw_seed(rng),
            )
            if not sp.issparse(X):
                X, X_val = np.ascontiguousarray(X), np.ascontiguousarray(X_val)
        if not continuing or not incremental:
            self.best_loss_ = None if early else np.inf
            self.validation_scores_ = [] if early else None
            self.best_validation_score_ = -np.inf if early else None
            self._no_improvement_count = 0
        best_theta = None

        config = self._kernel_config(X.shape[0], theta, sizes, offsets, lo, hi, has_box)
        if not sp.issparse(X) or config["mode"] == estimators.SAA:
            X = as_kernel_array(X.toarray() if sp.issparse(X) else X)
        n_epochs = 1 if incremental else self.max_iter
        stopped = False
        for _ in range(n_epochs):
            order = rng.permutation(X.shape[0]) if self.shuffle else np.arange(X.shape[0])
            order = order.astype(np.int64)
            seed = draw_seed(rng)
            if self.training in ("fgm", "pgd"):
                total = self._adversarial_epoch(theta, sizes, offsets, X, y_idx, order, seed,
                                                config)
            else:
                total = passes.train_epoch(theta, sizes, offsets, X=X, y=y_idx, order=order,
                                            seed=seed, **config)
            loss = total / X.shape[0]
            if config["mode"] != estimators.ERM and self.training == "entropic":
                self.inner_ess_.append(float(config["ess_out"][0]) / X.shape[0])
                config["ess_out"][0] = 0.0
            if not np.isfinite(loss):
                raise ValueError(
                    "The training objective became non-finite; lower learning_rate_init or "
                    "scale the features."
                )
            self.loss_curve_.append(float(loss))
            self.n_iter_ += 1
            self.t_ += X.shape[0]
            if incremental:
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
                break
            if self._update_no_improvement(early, X_val, y_val, theta, loss):
                best_theta = theta.copy()
            if self._no_improvement_count > self.n_iter_no_change:
                if self.verbose:
                    criterion = "Validation score" if early else "Training loss"
                    print(f"{criterion} did not improve more than tol={self.tol} for "
                          f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                stopped = True
                break
        if not incremental and not stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        if early and best_theta is not None:
            theta[:] = best_theta
        return self

    def _resolve_classes(self, y, incremental, continuing, classes):
        if incremental and not continuing:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            classes_ = unique_labels(classes)
        elif incremental:
            classes_ = self.classes_
            if classes is not None and not np.array_equal(unique_labels(classes), classes_):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on the first call to "
                    f"partial_fit ({classes_!r})."
                )
        else:
            classes_ = np.unique(y)
            if continuing and not np.array_equal(classes_, self.classes_):
                raise ValueError(
                    f"warm_start needs the classes of the previous fit {self.classes_!r}, "
                    f"got {classes_!r}."
                )
        unknown = np.setdiff1d(np.unique(y), classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown!r} not in classes {classes_!r}.")
        if classes_.shape[0] < 2:
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes_[0]!r}"
            )
        return classes_

    def _kernel_config(self, n_samples, theta, sizes, offsets, lo, hi, has_box):
        batch = min(200, n_samples) if self.batch_size == "auto" else self.batch_size
        if batch > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                          "to be clipped")
            batch = n_samples
        entropic = self.training == "entropic" and self.rho > 0
        mode = estimators.ESTIMATOR_CODES[self.gradient_estimator] if entropic else estimators.ERM
        state1, state2, counter = self._optimizer_state
        hyper = np.array([self.learning_rate_init, self.momentum, float(self.nesterovs_momentum),
                          self.beta_1, self.beta_2, self.epsilon])
        return dict(
            act_code=passes.ACTIVATION_CODES[self.activation], batch_size=int(batch), mode=mode,
            rho=float(self.rho), eta=float(self.eta), norm_code=norm_code(self.norm),
            max_level=int(self.max_level), n_saa=int(self.n_inner_samples),
            saa_seed=int(self._saa_seed), lo=lo, hi=hi, has_box=has_box,
            alpha=float(self.alpha), solver_code=SOLVER_CODES[self.solver], state1=state1,
            state2=state2, counter=counter, hyper=hyper, proposal=PROPOSAL_CODES[self.proposal],
            anchor_fgm=self.tilt_anchor == "fgm", ess_out=np.zeros(1),
        )

    def _adversarial_epoch(self, theta, sizes, offsets, X, y_idx, order, seed, config):
        """One epoch of FGM/PGD adversarial training (attacks from :mod:`skentropic.attacks`)."""
        clip = None if not config["has_box"] else (config["lo"], config["hi"])
        if self.training == "fgm":
            attack = FastGradientMethod(self, eps=self.rho, norm=self.norm, clip=clip)
        else:
            attack = ProjectedGradientDescent(
                self, eps=self.rho, norm=self.norm, n_steps=self.attack_steps,
                random_start=True, clip=clip, random_state=np.random.RandomState(seed),
            )
        step = {k: v for k, v in config.items() if k != "batch_size"}
        step["mode"] = estimators.ERM
        grad = np.empty_like(theta)
        total = 0.0
        batch = config["batch_size"]
        for start in range(0, X.shape[0], batch):
            idx = order[start:start + batch]
            X_batch = dense_rows(X, idx)
            X_adv = attack.fit_transform(X_batch, self.classes_[y_idx[idx]]) if self.rho > 0 else X_batch
            total += passes.train_batch(theta, sizes, offsets, X=as_kernel_array(X_adv),
                                         y=y_idx[idx], idx=np.arange(idx.shape[0]), grad=grad,
                                         **step)
        return total

    def _update_no_improvement(self, early, X_val, y_val, theta, loss):
        """scikit-learn's stopping rule; returns True when the current parameters are the best."""
        if early:
            score = float(np.mean(self._predict_encoded(X_val) == y_val))
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}, validation score = {score:.6f}")
            improved = score >= self.best_validation_score_ + self.tol
            self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        improved = loss <= self.best_loss_ - self.tol
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        self.best_loss_ = float(min(self.best_loss_, loss))
        return False

    # --------------------------------------------------------------- prediction
    def _live(self):
        """``(θ, sizes, offsets)`` of the current parameters (a packed copy)."""
        sizes, offsets = layout(self.coefs_)
        return pack(self.coefs_, self.intercepts_), sizes, offsets

    def _scores(self, X):
        theta, sizes, offsets = self._live()
        act = passes.ACTIVATION_CODES[self.activation]
        return np.vstack([
            passes.forward_scores(theta, sizes, offsets, act,
                                   dense_rows(X, slice(s, s + _PREDICT_CHUNK)))
            for s in range(0, max(X.shape[0], 1), _PREDICT_CHUNK)
        ])

    def _predict_encoded(self, X):
        return np.argmax(self._scores(X), axis=1)

    def predict_proba(self, X):
        """Softmax class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, order="C", reset=False)
        S = self._scores(X)
        S -= S.max(axis=1, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=1, keepdims=True)
        return S

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (computed as ``S − logsumexp(S)``)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, order="C", reset=False)
        S = self._scores(X)
        top = S.max(axis=1, keepdims=True)
        return S - (top + np.log(np.exp(S - top).sum(axis=1, keepdims=True)))

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, order="C", reset=False)
        return self.classes_[self._predict_encoded(X)]

    def _loss_input_gradient(self, X, y_encoded):
        """Cross-entropy ``ℓ(x_i, y_i)`` and ``∇_x ℓ`` for class indices ``y_encoded``.

        Used by :mod:`skentropic.attacks` (duck typing). Returns ``(loss (n,), grad (n, d))``.
        """
        theta, sizes, offsets = self._live()
        X = as_kernel_array(X)
        labels = np.asarray(y_encoded, dtype=np.int64)
        return passes.loss_input_gradient(theta, sizes, offsets,
                                           passes.ACTIVATION_CODES[self.activation], X, labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

