"""Shared machinery of the entropic-robust linear classifiers.

Both linear estimators minimise, for each binary (or softmax) sub-problem,

    Σ_i s_i F_i(θ) / Σ_i s_i  +  ||W||² / (2 C Σ_i s_i),
    F_i(θ) = η log E_{u ~ U(B_1)} exp( ℓ(x_i + ρu, y_i; θ) / η ),

which has the same minimiser as scikit-learn's ``C Σ_i s_i ℓ_i + ||W||²/2`` when
``ρ = 0``. They differ only in the binary loss (``_binary_loss_code``) and in whether more than two
classes form one multinomial problem or one binary problem per class (``_multinomial``).
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._core._losses import SOFTMAX
from .._core._mlmc import PROPOSAL_CODES
from .._core._norms import norm_code
from .._core._sampling import draw_seed
from ._lbfgs import fit_lbfgs
from ._mirror_descent import fit_stochastic
from ._objective import make_inner_rule, per_sample_objective

STOCHASTIC_SOLVERS = ("rt-mlmc", "vanilla", "saa")


class _BaseEntropicLinearClassifier(LinearClassifierMixin, BaseEstimator):
    """Base class: parameter validation, data checks, solver dispatch, scoring of ``F``."""

    _parameter_constraints: dict = {
        "rho": [Interval(Real, 0, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="left")],
        "norm": [Options(Real, {np.inf, 2, 1}), StrOptions({"inf"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"auto", "lbfgs", *STOCHASTIC_SOLVERS})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_inner_samples": [Interval(Integral, 2, None, closed="left"), None],
        "proposal": [StrOptions(set(PROPOSAL_CODES))],
        "max_level": [Interval(Integral, 0, 16, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither"), None],
        "schedule": [StrOptions({"constant", "sqrt"})],
        "radius": [Interval(Real, 0, None, closed="neither"), None],
        "average": ["boolean"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def _resolve_solver(self):
        # Every solver choice is exact for l2 binary problems only through quadrature;
        # L-BFGS is the fastest in all cases we measured (benchmarks/bench_deterministic.py).
        return "lbfgs" if self.solver == "auto" else self.solver

    def _check_params_together(self, solver, n_classes):
        if self.eta == 0 and solver != "lbfgs":
            raise ValueError(
                f"eta=0 (the exact adversarial risk) requires solver='lbfgs' or 'auto'; "
                f"solver={self.solver!r} samples the ball and needs eta > 0."
            )
        if self.eta == 0 and self._uses_softmax(n_classes):
            raise ValueError(
                "eta=0 (the exact adversarial risk) is only tractable for binary margin "
                "losses; the multinomial loss needs eta > 0."
            )

    def _multinomial(self, n_classes):
        """Whether more than two classes are fitted as one softmax problem (else one-vs-rest)."""
        return False

    def _uses_softmax(self, n_classes):
        return n_classes > 2 and self._multinomial(n_classes)

    def _subproblems(self, y_idx):
        """``(target, loss_code, n_outputs)`` of each problem: one binary problem, one
        multinomial problem, or one binary problem per class (one-vs-rest)."""
        n_classes = self.classes_.shape[0]
        if n_classes == 2:
            yield binary_target(y_idx), self._binary_loss_code(), 1
        elif self._multinomial(n_classes):
            yield y_idx.astype(np.int64), SOFTMAX, n_classes
        else:
            for k in range(n_classes):
                yield binary_target(y_idx, positive=k), self._binary_loss_code(), 1

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the entropic-regularised adversarial risk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is supported by ``solver='lbfgs'``.
        y : array-like of shape (n_samples,)
            Target labels (any hashable labels, as in scikit-learn).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; they replace ``1/n`` by normalised weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        solver = self._resolve_solver()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr" if solver == "lbfgs" else False,
            dtype=np.float64,
            order="C",
            reset=not (self.warm_start and hasattr(self, "coef_")),
        )
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {classes[0]!r}"
            )
        if self.warm_start and hasattr(self, "classes_") and not np.array_equal(
            classes, self.classes_
        ):
            raise ValueError(
                f"warm_start needs the classes of the previous fit {self.classes_!r}, "
                f"got {classes!r}."
            )
        self._check_params_together(solver, classes.shape[0])
        self.classes_ = classes
        code = norm_code(self.norm)
        rng = check_random_state(self.random_state)
        total_weight = sample_weight.sum()
        weights = sample_weight / total_weight
        alpha = 1.0 / (self.C * total_weight)
        n_features = X.shape[1]

        coefs, intercepts, n_iters, rule_seeds, states, ess = [], [], [], [], [], []
        for k, (target, loss_code, n_out) in enumerate(self._subproblems(y_idx)):
            coef0, intercept0 = self._initial_parameters(k, n_out, n_features)
            rule_seed, solver_seed = draw_seed(rng), draw_seed(rng)
            rule_seeds.append(rule_seed)
            common = dict(
                rho=float(self.rho),
                eta=float(self.eta),
                norm_code=code,
                loss_code=loss_code,
                alpha=alpha,
                fit_intercept=self.fit_intercept,
                coef_init=coef0,
                intercept_init=intercept0,
                max_iter=self.max_iter,
                verbose=self.verbose,
            )
            if solver == "lbfgs":
                rule = self._inner_rule(code, n_features, loss_code, rule_seed)
                # a warm start keeps the previous solution as its start; otherwise ERM may serve
                coef, intercept, n_iter, converged = fit_lbfgs(
                    X, target, weights, tol=self.tol, rule=rule,
                    erm_start=not (self.warm_start and hasattr(self, "coef_")), **common
                )
                if not converged:
                    # (not only max_iter: a line search that finds no decrease ends the run too,
                    # as where the gradient is within the objective's precision of tol)
                    warnings.warn(
                        f"L-BFGS stopped before the gradient met tol={self.tol}: max_iter={self.max_iter} "
                        "iterations were reached, or no step decreased the objective; increase max_iter, "
                        "increase tol or scale the data.",
                        ConvergenceWarning,
                    )
            else:
                solver_rng = np.random.RandomState(solver_seed)  # kept for partial_fit
                coef, intercept, n_iter, info = fit_stochastic(
                    X,
                    target,
                    weights,
                    estimator=solver,
                    max_level=self.max_level,
                    n_saa_samples=self._n_samples(uniform=True),
                    batch_size=self.batch_size,
                    step_size=self.step_size,
                    schedule=self.schedule,
                    radius=self.radius,
                    average=self.average,
                    seed=solver_rng,
                    proposal=self.proposal,
                    **common,
                )
                states.append(_continue_state(None, solver_rng, info))
                ess.append(info["ess_per_epoch"])
            coefs.append(coef)
            intercepts.append(intercept)
            n_iters.append(n_iter)

        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.concatenate(intercepts)
        self.n_iter_ = int(max(n_iters))
        self.inner_ess_ = np.mean(np.array(ess), axis=0) if ess else None
        # entropic_risk re-creates the same inner rule (quadrature or fixed samples)
        self._rule_seeds = rule_seeds
        # what partial_fit needs to continue a stochastic run (None after L-BFGS)
        self._stochastic_state = states if solver != "lbfgs" else None
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of stochastic mirror descent over ``(X, y)``, continuing the current run.

        Each call takes ``ceil(n / batch_size)`` projected SGD steps on the chunk's objective
        ``Σ_i s_i F_i(θ) / Σ_i s_i + ||W||² / (2 C Σ_i s_i)`` (the objective :meth:`fit`
        minimises on that chunk: to match the penalty of a fit on all ``N`` samples of a
        stream of equal chunks, scale ``C`` by ``N / n``), with indices drawn with
        probabilities ``s_i / Σ_i s_i``. Persistent across calls, per sub-problem: the last
        iterate, the step count ``t`` of the schedule ``γ_t = γ_0 / sqrt(1 + t / s)`` (``γ_0``
        and ``s``, the steps per epoch, are fixed by the first call, or by a stochastic
        :meth:`fit`), the Polyak–Ruppert average of all iterates since the run started
        (``average=True``; ``coef_`` is that average) and the random state. After a
        stochastic :meth:`fit` the run goes on where it stopped; after an L-BFGS fit a new
        run starts from ``coef_``. The same ``random_state`` and the same chunks give the
        same model bit for bit; one call on a fresh estimator equals :meth:`fit` with
        ``max_iter=1``.

        ``solver='auto'`` runs ``"rt-mlmc"`` here; ``solver='lbfgs'`` raises a
        ``ValueError`` (L-BFGS is a full-batch method). Sparse chunks are densified, one chunk
        at a time.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training data.
        y : array-like of shape (n_samples,)
            Labels of the chunk, among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All classes of the stream; required on the first call (when the estimator is
            not fitted), optional afterwards (it must then equal ``classes_``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the chunk.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        solver = "rt-mlmc" if self.solver == "auto" else self.solver
        if solver == "lbfgs":
            raise ValueError(
                "partial_fit runs stochastic mirror descent; solver='lbfgs' is a full-batch "
                f"method. Use solver='auto' (rt-mlmc in partial_fit) or one of "
                f"{list(STOCHASTIC_SOLVERS)}."
            )
        fitted = hasattr(self, "coef_")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, order="C",
                             reset=not fitted)
        check_classification_targets(y)
        if not fitted and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        classes_ = unique_labels(classes) if classes is not None else self.classes_
        if fitted and not np.array_equal(classes_, self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as the classes of the "
                             f"fitted model {self.classes_!r}.")
        unknown = np.setdiff1d(np.unique(y), classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown!r} not in classes {classes_!r}.")
        if classes_.shape[0] < 2:
            raise ValueError("partial_fit needs at least 2 classes in `classes`, got "
                             f"{classes_!r}.")
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             ensure_non_negative=True)
        self._check_params_together(solver, classes_.shape[0])
        if sp.issparse(X):
            X = X.toarray()
        self.classes_ = classes_
        y_idx = np.searchsorted(classes_, y)
        states = getattr(self, "_stochastic_state", None) if fitted else None
        rng = check_random_state(self.random_state) if states is None else None
        n_features = X.shape[1]
        coefs, intercepts, rule_seeds, new_states = [], [], [], []
        for k, (target, loss_code, n_out) in enumerate(self._subproblems(y_idx)):
            if states is None:  # a new run: seeds drawn as fit draws them
                rule_seeds.append(draw_seed(rng))
                rows = slice(k, k + n_out) if self._n_subproblems() > 1 else slice(None)
                state = {
                    "rng": np.random.RandomState(draw_seed(rng)), "n_steps": 0, "n_epochs": 0,
                    "coef": self.coef_[rows] if fitted else np.zeros((n_out, n_features)),
                    "intercept": self.intercept_[rows] if fitted else np.zeros(n_out),
                    "average": None, "schedule_steps": None, "step_size": None,
                }
            else:
                state = states[k]
            coef, intercept, _, info = fit_stochastic(
                X, target, sample_weight, rho=float(self.rho), eta=float(self.eta),
                norm_code=norm_code(self.norm), loss_code=loss_code,
                alpha=1.0 / (self.C * sample_weight.sum()), fit_intercept=self.fit_intercept,
                coef_init=state["coef"], intercept_init=state["intercept"], estimator=solver,
                max_level=self.max_level, n_saa_samples=self._n_samples(uniform=True),
                batch_size=self.batch_size, max_iter=1,
                step_size=self.step_size if self.step_size is not None else state["step_size"],
                schedule=self.schedule, radius=self.radius, average=self.average,
                seed=state["rng"], verbose=self.verbose, average_start=0,
                step_offset=state["n_steps"], schedule_steps=state["schedule_steps"],
                average_init=state["average"] if self.average else None, proposal=self.proposal,
            )
            coefs.append(coef)
            intercepts.append(intercept)
            new_states.append(_continue_state(state, state["rng"], info))
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.concatenate(intercepts)
        self.n_iter_ = new_states[0]["n_epochs"]
        if states is None:
            self._rule_seeds = rule_seeds
        self._stochastic_state = new_states
        return self

    def _n_samples(self, uniform):
        """``n_inner_samples``, or its default: 256 shared uniform samples, 32 tilted per point."""
        if self.n_inner_samples is not None:
            return int(self.n_inner_samples)
        return 256 if uniform else 32

    def _inner_rule(self, code, n_features, loss_code, seed):
        uniform = self.proposal == "uniform"
        return make_inner_rule(code, n_features, loss_code, n_inner_samples=self._n_samples(uniform),
                               seed=seed, uniform=uniform)

    def _initial_parameters(self, k, n_out, n_features):
        """Zeros, or the rows of the previous fit when ``warm_start`` is set."""
        if self.warm_start and hasattr(self, "coef_"):
            rows = slice(k, k + n_out) if self._n_subproblems() > 1 else slice(None)
            return self.coef_[rows].copy(), self.intercept_[rows].copy()
        return np.zeros((n_out, n_features)), np.zeros(n_out)

    def _n_subproblems(self):
        n_classes = self.classes_.shape[0]
        return 1 if n_classes == 2 or self._multinomial(n_classes) else n_classes

    def entropic_risk(self, X, y, sample_weight=None, per_sample=False, rtol=1e-3):
        """Entropic risk ``F`` of the fitted model on ``(X, y)``, without the penalty.

        ``F = Σ_i s_i F_i / Σ_i s_i`` with
        ``F_i = η log E_{u ~ U(B_1)} exp(ℓ(x_i + ρu, y_i) / η)`` at the model's
        ``rho``, ``eta`` and ``norm``, computed by the same rule as the fit: exact for binary
        problems (``l_2`` quadrature, the exact ``l_∞`` and ``l_1`` laws), tilted importance
        samples aimed at this model for the multinomial loss (see the estimator's Notes),
        ``n_inner_samples`` shared uniform samples with ``proposal="uniform"``. For
        one-vs-rest models the risks of the binary sub-problems are averaged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
        per_sample : bool, default=False
            Return the vector ``F_i`` (averaged over sub-problems) instead of the mean.
        rtol : float or None, default=1e-3
            Tilted samples only (multinomial): more samples per point are drawn (powers of two,
            from ``n_inner_samples``) until the estimated error of the mean ``F``, three
            standard errors plus the bias of the log, is at most ``rtol |F|``; at most
            ``2**27 / (n_samples n_features)`` per point (a few seconds), with a
            ``ConvergenceWarning`` if that is not enough. ``None``: ``n_inner_samples``, as in
            the fit. With ``per_sample=True`` the ``F_i`` come from the same draws; the
            tolerance is that of their mean.

        Returns
        -------
        float or ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, order="C", reset=False)
        y = np.asarray(y)
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(f"y contains labels not in classes_: {np.unique(y[unknown])!r}")
        if rtol is not None and not (isinstance(rtol, Real) and rtol > 0):
            raise ValueError(f"rtol must be a positive float or None, got {rtol!r}.")
        y_idx = np.searchsorted(self.classes_, y)
        code = norm_code(self.norm)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             ensure_non_negative=True)
        values = np.zeros(X.shape[0])
        problems = list(self._subproblems(y_idx))
        row = 0
        for (target, loss_code, n_out), seed in zip(problems, self._rule_seeds):
            rule = self._inner_rule(code, X.shape[1], loss_code, seed)
            values += per_sample_objective(
                self.coef_[row:row + n_out], self.intercept_[row:row + n_out], X, target,
                float(self.rho), float(self.eta), code, loss_code, rule, rtol=rtol, sample_weight=sample_weight,
            )
            row += n_out
        values /= len(problems)
        if per_sample:
            return values
        return float(values @ sample_weight / sample_weight.sum())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.solver in ("auto", "lbfgs")
        return tags


def _continue_state(state, rng, info):
    """State of one sub-problem's stochastic run after a call that returned ``info``
    (``state``: the state before it, None for a new run)."""
    done_steps, done_epochs = (0, 0) if state is None else (state["n_steps"], state["n_epochs"])
    coef, intercept = info["iterate"]
    return {
        "rng": rng, "coef": coef, "intercept": intercept, "average": info["average"],
        "n_steps": done_steps + info["n_steps"],
        "n_epochs": done_epochs + len(info["samples_per_epoch"]),
        "schedule_steps": info["schedule_steps"], "step_size": info["step_size"],
    }


def binary_target(y_idx, positive=1):
    """Signed labels ``+1`` for class index ``positive`` and ``-1`` otherwise, as float64."""
    return np.where(y_idx == positive, 1.0, -1.0)

