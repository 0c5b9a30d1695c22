"""Regularization effects of the entropic risk: exact penalty versus its three surrogates.

For a model with per-sample loss ``ℓ`` and input gradients ``g_i = ∇_x ℓ(x_i, y_i)``, the
entropic risk ``F = 1/n Σ_i η log E_{u ~ U(B_1)} exp(ℓ(x_i + ρu, y_i)/η)`` exceeds the ERM risk
``1/n Σ_i ℓ(x_i, y_i)`` by the *exact penalty* ``F − ERM``. To first order in ``ρ``
(DESIGN.md section 1, ``C = ρ/η``):

- log-MGF surrogate: ``(ρ/C) 1/n Σ_i log E_u exp(C g_i·u) = η 1/n Σ_i Λ(ρ g_i/η)``;
- gradient-norm surrogate (its ``C → ∞`` limit): ``ρ 1/n Σ_i ||g_i||_*`` with the dual norm
  (``p = ∞ → ||g||_1``, ``p = 2 → ||g||_2``, ``p = 1 → ||g||_∞``);
- variance surrogate (its ``C → 0`` limit): ``ρ²/(2η) 1/n Σ_i Var_u(g_i·u)`` with
  ``Var_u(g·u) = ||g||_2² / (d+2)`` (``l_2``), ``||g||_2²/3`` (``l_∞``),
  ``2||g||_2² / ((d+1)(d+2))`` (``l_1``). The slides print ``ρ²/η``; the Taylor expansion
  ``Λ(a) = Var(a·u)/2 + O(|a|⁴)`` gives the 1/2.

The surrogates neglect the curvature of ``ℓ`` (an ``O(ρ²)`` term that does not vanish as
``η → ∞``), so each is accurate only in the joint limit: small ``ρ`` with ``C`` large
(gradient norm) or small (variance). Sweep ``C`` at a small fixed ``ρ`` to see the
interpolation (:func:`penalty_sweep`).

How each quantity is computed
-----------------------------
- ``Λ``: exact for ``l_∞`` (``Σ_k log(sinh a_k / a_k)``), ``l_2`` (a Bessel-function series
  and a windowed Gauss–Legendre rule, see ``skentropic._core._mgf``) and ``l_1`` (the law of
  ``a·u`` of :mod:`skentropic.linear_model._l1_rule`, one rule per row). An importance
  sampler from the ``l_1`` proposal tilted by ``a`` itself, used before, was up to 20% low
  on the digits with a reported standard error below 0.1%: its weights were heavy-tailed.
- ``F``: exact for binary linear models with a margin loss under the ``l_2`` ball (quadrature),
  the ``l_∞`` and the ``l_1`` balls (the law of ``w·u``, :mod:`skentropic.linear_model._cube_rule`,
  :mod:`skentropic.linear_model._l1_rule`), and in closed form at ``η = 0``; otherwise
  importance sampling with ``n_inner_samples`` proposals per point tilted toward the worst
  case (``θ_i = (ρ/η)∇_x ℓ`` one fast-gradient step from ``x_i`` or, with three or more
  classes, at the competing class's worst case that loses most, for the ``l_∞`` and ``l_2``
  balls then at the proposal's own mean; :func:`skentropic._tilted_sampling.tilts`; exact
  weights, in antithetic pairs ``(u, −u)`` from
  the symmetrised proposal so that the first-order noise of ``g·u`` cancels, and the clean
  loss as a control variate; :mod:`skentropic._tilted_sampling`), which
  reaches the region that dominates ``E exp(ℓ/η)`` at every ``C``, unlike uniform proposals
  in high dimension (``exact_penalty_se`` reports its standard error).
- ``exact_penalty``: for logistic linear models (binary and one-vs-rest) per point
  ``η log Σ_j ω_j exp((φ(s_i + δ_j) − φ(s_i))/η)`` over the rule's atoms
  (:mod:`skentropic.linear_model._excess`), which keeps its relative accuracy at every ``ρ``.
  Otherwise (and at ``l_2`` radii beyond the sphere rule's atoms) ``F − ERM``, a difference of
  two ``O(1)`` risks, whose rounding limits its relative accuracy to about
  ``1e-16 ERM / exact_penalty``: ``1e-3`` for a penalty of ``1e-13`` (``ρ = 1e-7``,
  ``C = 1e-3``), where the surrogates' relative errors can no longer be resolved.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_array

from ._core._mgf import log_mgf_l2, log_mgf_linf_rows
from ._core._norms import NORM_INF, NORM_L2, dual_norm, norm_code
from ._core._plotting import import_pyplot
from ._loss_models import loss_model, n_features_of
from ._tilted_sampling import entropic_estimate, tilted_losses
from .linear_model._law_margins import cross_log_mgf

FIELDS = (
    "rho", "eta", "C", "entropic_risk", "erm_risk", "exact_penalty", "exact_penalty_se",
    "gradient_norm_penalty", "variance_penalty", "log_mgf_penalty", "log_mgf_se",
    "gradient_norm_rel_error", "variance_rel_error", "log_mgf_rel_error",
)



def variance_factor(code, n_features):
    """``Var_u(g·u) / ||g||_2²`` for ``u ~ U(B_1)``: ``1/(d+2)``, ``1/3`` or ``2/((d+1)(d+2))``."""
    d = float(n_features)
    if code == NORM_L2:
        return 1.0 / (d + 2.0)
    if code == NORM_INF:
        return 1.0 / 3.0
    return 2.0 / ((d + 1.0) * (d + 2.0))


def _check_scalar(value, name, allow_zero=True):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"The '{name}' parameter must be a finite real number. Got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"The '{name}' parameter must be {bound}. Got {value!r}.")
    return float(value)


def _resolve(estimator, name, value):
    if value is None:
        if not hasattr(estimator, name) or callable(getattr(estimator, name)):
            raise ValueError(f"'{name}' must be given: {type(estimator).__name__} has no attribute {name!r}.")
        value = getattr(estimator, name)
    return value


def _check_inputs(estimator, X, y, sample_weight, n_inner_samples):
    X = check_array(X, dtype=np.float64, order="C")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with {X.shape[0]} entries, got shape {y.shape}.")
    n_features = n_features_of(estimator)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the estimator expects {n_features}.")
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if isinstance(n_inner_samples, bool) or not isinstance(n_inner_samples, Integral) or n_inner_samples < 4:
        raise ValueError(f"n_inner_samples must be an integer >= 4, got {n_inner_samples!r}.")
    return X, y, sample_weight / sample_weight.sum()


class _PenaltyAnalysis:
    """Everything that does not depend on ``η``, computed once per (model, data, ``ρ``, norm)."""

    def __init__(self, estimator, X, y, weights, rho, code, n_inner_samples, random_state):
        self.X, self.weights, self.rho, self.code = X, weights, rho, code
        self.n_pairs = n_inner_samples // 2
        self.rng = check_random_state(random_state)
        self.parts = loss_model(estimator, X, y)
        self.erm, self.grads = [], []
        for part in self.parts:
            loss, grad = part.loss_grad(X, part.target)
            self.erm.append(loss)
            self.grads.append(grad)

    def _mean(self, values, se=None):
        value = float(np.mean([v @ self.weights for v in values]))
        if se is None:
            return value
        var = np.sum([(s * self.weights) @ (s * self.weights) for s in se]) / len(se) ** 2
        return value, float(np.sqrt(var))

    def _exact_penalty(self, k, eta):
        part = self.parts[k]
        excess = part.excess(self.X, part.target, self.rho, eta, self.code)
        if excess is not None:
            return excess, np.zeros(len(excess))
        F = part.exact(self.X, part.target, self.rho, eta, self.code)
        if F is not None:
            return F - self.erm[k], np.zeros(len(F))
        values, se = np.empty(self.X.shape[0]), np.zeros(self.X.shape[0])
        for start, stop, _, log_w, L in tilted_losses(part, self.X, self.rho, eta, self.code, 2 * self.n_pairs,
                                                     self.rng, antithetic=True):
            if eta == 0:  # the largest loss over proposals aimed at the steepest direction
                values[start:stop] = L.max(axis=1)
            else:  # antithetic pairs and the clean loss as baseline: first-order noise cancels
                values[start:stop], se[start:stop] = entropic_estimate(L, log_w, eta, self.erm[k][start:stop])
        return values - self.erm[k], se

    def _log_mgf(self, k, C):
        """``Λ(C g_i)`` per row and its standard error (zero where exact)."""
        g = self.grads[k]
        n, d = g.shape
        if self.code == NORM_L2:
            return log_mgf_l2(C * np.linalg.norm(g, axis=1), d), np.zeros(n)
        if self.code == NORM_INF:
            return log_mgf_linf_rows(np.ascontiguousarray(C * g)), np.zeros(n)
        return cross_log_mgf(C * g), np.zeros(n)

    def record(self, eta):
        rho, code = self.rho, self.code
        d = self.X.shape[1]
        C = np.inf if eta == 0 else rho / eta
        penalties = [self._exact_penalty(k, eta) for k in range(len(self.parts))]
        exact, exact_se = self._mean([p[0] for p in penalties], [p[1] for p in penalties])
        erm = self._mean(self.erm)
        grad_norm = rho * self._mean([dual_norm(g, code) for g in self.grads])
        if eta == 0:
            variance, log_mgf, log_mgf_se = np.inf, grad_norm, 0.0
        else:
            factor = variance_factor(code, d)
            variance = rho * rho / (2.0 * eta) * factor * self._mean(
                [np.einsum("ij,ij->i", g, g) for g in self.grads])
            mgf = [self._log_mgf(k, C) for k in range(len(self.parts))]
            log_mgf, log_mgf_se = self._mean([m[0] for m in mgf], [m[1] for m in mgf])
            log_mgf, log_mgf_se = eta * log_mgf, eta * log_mgf_se

        def rel(value):
            return (value - exact) / exact if exact != 0 else np.nan

        return dict(
            rho=rho, eta=float(eta), C=C, entropic_risk=erm + exact, erm_risk=erm,
            exact_penalty=exact, exact_penalty_se=exact_se, gradient_norm_penalty=grad_norm,
            variance_penalty=variance, log_mgf_penalty=log_mgf, log_mgf_se=log_mgf_se,
            gradient_norm_rel_error=rel(grad_norm), variance_rel_error=rel(variance),
            log_mgf_rel_error=rel(log_mgf),
        )


def regularization_penalties(estimator, X, y, *, rho=None, eta=None, norm=None, sample_weight=None,
                             n_inner_samples=2048, random_state=None):
    """Exact entropic penalty ``F − ERM`` and its gradient-norm, variance and log-MGF surrogates.

    With ``g_i = ∇_x ℓ(x_i, y_i)``, ``C = ρ/η`` and ``u ~ U(B_1)`` (the unit ``p``-ball):

    - ``entropic_risk``: ``F = Σ_i s_i η log E_u exp(ℓ(x_i + ρu, y_i)/η)`` (``s`` the normalised
      sample weights), the adversarial risk ``Σ_i s_i sup_{B_ρ(x_i)} ℓ`` when ``η = 0``;
    - ``erm_risk``: ``Σ_i s_i ℓ(x_i, y_i)``; ``exact_penalty = F − ERM``;
    - ``gradient_norm_penalty``: ``ρ Σ_i s_i ||g_i||_*``;
    - ``variance_penalty``: ``ρ²/(2η) Σ_i s_i Var_u(g_i·u)`` (``inf`` when ``η = 0``);
    - ``log_mgf_penalty``: ``(ρ/C) Σ_i s_i log E_u exp(C g_i·u)`` (the gradient norm at ``η = 0``).

    One-vs-rest models (:class:`~skentropic.EntropicRobustSVC` with more than two classes)
    average every quantity over their binary sub-problems, as their ``entropic_risk`` does.
    See the module docstring for which values are exact and which are Monte Carlo.

    Parameters
    ----------
    estimator : fitted classifier or callable
        skentropic's linear estimators (their own loss), scikit-learn linear classifiers and
        :class:`~sklearn.neural_network.MLPClassifier` (cross-entropy), pipelines of scalers
        ending in one of these, estimators with ``_loss_input_gradient``; or a callable
        ``loss_grad(X, y) -> (loss (n,), grad (n, d))`` receiving ``y`` unchanged.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    rho, eta : float or None
        Radius ``ρ >= 0`` and temperature ``η >= 0``; ``None`` reads the estimator's attribute.
    norm : {np.inf, "inf", 2, 1} or None
        Ball exponent ``p``; ``None`` reads the estimator's ``norm``.
    sample_weight : array-like of shape (n_samples,), default=None
    n_inner_samples : int, default=2048
        Tilted importance-sampling proposals per point where no exact rule exists (and Monte
        Carlo samples of the ``l_1`` log-MGF).
    random_state : int, RandomState instance or None
        Seeds the Monte Carlo parts; the same value gives identical results.

    Returns
    -------
    dict
        Keys ``FIELDS``: the values above, their Monte Carlo standard errors
        (``exact_penalty_se``, ``log_mgf_se``; ``0`` where exact), ``C`` and the relative errors
        ``(surrogate − exact)/exact`` of the three surrogates.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.regularization import regularization_penalties
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 3); y = (X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> r = regularization_penalties(clf, X, y, rho=1e-4, eta=1e-7, norm=2)
    >>> abs(r["gradient_norm_rel_error"]) < 0.05
    True
    """
    table = penalty_sweep(estimator, X, y, rho=rho, eta=[_resolve(estimator, "eta", eta)], norm=norm,
                          sample_weight=sample_weight, n_inner_samples=n_inner_samples,
                          random_state=random_state)
    return {name: float(table[name][0]) for name in FIELDS}


def penalty_sweep(estimator, X, y, *, rho=None, C=None, eta=None, norm=None, sample_weight=None,
                  n_inner_samples=2048, random_state=None):
    """Exact penalty and surrogates along a sweep of ``C = ρ/η`` (or of ``η``) at fixed ``ρ``.

    Give exactly one of ``C`` (then ``η = ρ/C``) or ``eta``. Quantities that do not depend on
    ``η`` (gradients, Monte Carlo losses at the perturbed points) are computed once, so a
    sweep costs little more than one evaluation. Formulas: :func:`regularization_penalties`.

    Parameters
    ----------
    estimator, X, y, norm, sample_weight, n_inner_samples, random_state
        As in :func:`regularization_penalties`.
    rho : float or None
        ``ρ >= 0``; ``None`` reads the estimator's ``rho``.
    C : array-like of float > 0, optional
        Values of ``ρ/η``.
    eta : array-like of float >= 0, optional
        Values of ``η`` (``0`` is the adversarial limit ``C = ∞``).

    Returns
    -------
    table : structured ndarray of shape (n_values,)
        One record per value, fields ``FIELDS`` (float64).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.regularization import penalty_sweep
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 3); y = (X[:, 0] > 0).astype(int)
    >>> table = penalty_sweep(LogisticRegression().fit(X, y), X, y, rho=1e-4, C=[1e-1, 1e5], norm=2)
    >>> table["C"].tolist()
    [0.1, 100000.0]
    >>> bool(abs(table["variance_rel_error"][0]) < 0.05), bool(abs(table["gradient_norm_rel_error"][1]) < 0.05)
    (True, True)
    """
    rho = _check_scalar(_resolve(estimator, "rho", rho), "rho")
    code = norm_code(_resolve(estimator, "norm", norm))
    if (C is None) == (eta is None):
        raise ValueError("Give exactly one of C (values of rho/eta) or eta.")
    if C is not None:
        values = np.atleast_1d(np.asarray(C, dtype=float))
        if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(f"C must be finite positive values, got {C!r}.")
        if rho == 0:
            raise ValueError("A sweep over C = rho/eta needs rho > 0; sweep eta instead.")
        etas = rho / values
    else:
        etas = np.atleast_1d(np.asarray(eta, dtype=float))
        if etas.ndim != 1 or not np.all(np.isfinite(etas)) or np.any(etas < 0):
            raise ValueError(f"The 'eta' parameter must be finite values >= 0. Got {eta!r}.")
    X, y, weights = _check_inputs(estimator, X, y, sample_weight, n_inner_samples)
    analysis = _PenaltyAnalysis(estimator, X, y, weights, rho, code, n_inner_samples, random_state)
    table = np.zeros(len(etas), dtype=[(name, np.float64) for name in FIELDS])
    for row, e in enumerate(etas):
        record = analysis.record(float(e))
        for name in FIELDS:
            table[name][row] = record[name]
    return table


def plot_penalty_sweep(table, ax=None, relative=False):
    """Plot the exact penalty and the three surrogates against ``C = ρ/η`` (log-log).

    Parameters
    ----------
    table : structured ndarray
        Output of :func:`penalty_sweep`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made when ``None``.
    relative : bool, default=False
        Plot ``|surrogate − exact| / exact`` instead of the penalties.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install skentropic[plots]``).
    """
    plt = import_pyplot("plot_penalty_sweep")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    C = table["C"]
    # g = ∇_x ℓ(x, y; θ), u uniform on the unit ball
    names = {"gradient_norm": r"gradient norm  $\rho\,\mathbb{E}\,\|\nabla_x \ell\|_*$",
             "variance": r"variance  $(\rho^2/2\eta)\,\mathbb{E}\,\mathrm{Var}_u(\nabla_x \ell \cdot u)$",
             "log_mgf": r"log-MGF  $(\rho/C)\,\mathbb{E}\,\log \mathbb{E}_u"
                        r"\exp(C\,\nabla_x \ell \cdot u)$"}
    if relative:
        for key, label in names.items():
            ax.loglog(C, np.abs(table[f"{key}_rel_error"]), marker="o", label=label)
        ax.axhline(0.05, color="grey", lw=0.8, ls=":", label="5%")
        ax.set_ylabel("relative error  |surrogate − exact| / exact")
    else:
        ax.loglog(C, table["exact_penalty"], "k-", lw=2.5, label="exact  F − ERM risk")
        for key, label in names.items():
            ax.loglog(C, table[f"{key}_penalty"], ls="--", marker=".", label=label)
        ax.set_ylabel("penalty  F − ERM risk")
    ax.set_xlabel("C = ρ/η")
    ax.legend()
    return ax
