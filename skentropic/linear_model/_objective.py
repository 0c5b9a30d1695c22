"""Deterministic entropic objective of linear models and its exact gradient (DESIGN.md section 2).

    value(W, b) = Σ_i sw_i F_i,   F_i = η log E_{u ~ U(B_1)} exp(ℓ(x_i + ρu, y_i) / η).

Binary margin losses (``K = 1``, ``y ∈ {−1, +1}``, ``s_i = y_i (w·x_i + b)``):

- ``η = 0``: ``F_i = φ(s_i − ρ ||w||_q)`` (exact adversarial loss, ``q`` the dual exponent);
- ``l_2`` ball: ``F_i = η log E exp(φ(s_i + ρ||w||_2 T)/η)``, a one-dimensional integral: the
  atoms of the law of ``T`` for the logistic loss (:mod:`._sphere_rule`), per-point quadrature
  split at the kink for the (squared) hinge and for radii beyond the atoms' cap
  (:mod:`._quadrature`); relative error about ``1e-8`` or better;
- ``l_∞`` / ``l_1`` balls: ``F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt`` with ``T = ρ|w|·u``,
  from the weighted atoms of the law of ``T`` (:mod:`._cube_rule`, :mod:`._l1_rule`);
- ``uniform=True`` in :func:`make_inner_rule` (the talk's estimator, kept for comparison):
  ``m`` *fixed* antithetic uniform samples ``±u_j``,
  ``F_i ≈ η log (1/m) Σ_j exp(φ(s_i + ρ y_i u_j·w)/η)``, which in high dimension misses the
  worst case (DESIGN.md section 2b).

Multinomial cross-entropy (``SOFTMAX``, ``K >= 2``, integer labels): per-point tilted
importance samples (:mod:`._tilted_rule`), or the fixed uniform samples with ``uniform=True``,
``F_i ≈ η log (1/m) Σ_j exp(CE(W x_i + b + ρ W u_j, y_i)/η)``.

Inside :func:`linear_objective` (the objective of the L-BFGS fits) the binary ``η > 0``
cases are evaluated on a grid of scores (:mod:`skentropic.linear_model._score_grid`:
``F_i = f(s_i)`` with one function ``f`` for all points, tabulated on adaptive Chebyshev
pieces and interpolated, value error below ``1e-9`` relative; points of pieces the grid cannot
resolve within the budget are evaluated directly); :func:`per_sample_objective` always
evaluates every point directly.

``ρ = 0`` gives the ERM loss for every ``η``. ``X`` may be dense or CSR; only ``X @ v``
and ``X.T @ g`` are used.
"""

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit, prange
from sklearn.exceptions import ConvergenceWarning

from .._core._losses import LOGISTIC, SOFTMAX, margin_losses, margin_losses_numpy, softmax_cross_entropy, softmax_loss
from .._core._norms import NORM_INF, NORM_L1, NORM_L2, dual_norm
from .._core._sampling import sample_unit_ball_kernel
from ._chunks import chunk_count, sum_chunks
from ._law_margins import atom_margin_rule, cross_margin, cube_margin
from ._quadrature import bulk_half_width, log_sphere_normaliser
from ._score_grid import l2_margin
from ._sphere_rule import sphere_margin
from ._tilted_rule import tilted_linear, tilted_setup

_ETA0_SOFTMAX = (
    "eta=0 (the exact adversarial risk) is only tractable for binary margin losses; "
    "use eta > 0 with the multinomial (softmax) loss."
)


QUADRATURE = "quadrature"  # l2 ball, binary: one-dimensional quadrature per point
CUBE = "cube"  # l-inf ball, binary: the law of w·u as weighted atoms (_cube_rule)
SAMPLES = "samples"  # fixed antithetic uniform ball samples (sample-average approximation)
TILTED = "tilted"  # per-point tilted importance samples (softmax loss): _tilted_rule
CROSS = "cross"  # l1 ball (cross-polytope), binary: the law of w·u as weighted atoms (_l1_rule)
# an evaluation to a tolerance (per_sample_objective) draws at most this many coordinates in all
# (a few seconds)
MAX_RISK_DRAWS = 2**27


@dataclass(frozen=True)
class InnerRule:
    """How the expectation over the perturbation is computed (built once per fit).

    Attributes
    ----------
    kind : {"quadrature", "cube", "cross", "tilted", "samples"}
        ``l_2`` (atoms for the logistic loss, per-point quadrature for the hinges), ``l_∞`` and
        ``l_1`` atoms for binary losses (exact rules), per-point
        tilted importance samples (softmax loss), or fixed uniform ball samples.
    nodes, weights : ndarray of shape (n_nodes,)
        Gauss–Legendre rule on ``[−1, 1]`` (quadrature with the (squared) hinge only).
    log_z, bulk : float
        ``log Z_d`` and the bulk half-width of ``sin^d`` (quadrature only).
    samples : ndarray of shape (m, d)
        Antithetic unit-ball samples ``[U; −U]`` (sample rule; empty otherwise).
    n_samples, seed : int
        Samples per point and seed of the tilted rule.
    anchor : tuple ``(coef, intercept)`` or None
        Model at which the tilted rule's proposals are aimed (``None``: the evaluated model).
    cache : dict
        Where the tilted rule keeps the tilts, seeds and draws of its current anchor between
        evaluations (:func:`~._tilted_rule.tilted_setup`); shared by the rules that
        ``dataclasses.replace`` derives from this one.
    """

    kind: str
    nodes: np.ndarray
    weights: np.ndarray
    log_z: float
    bulk: float
    samples: np.ndarray
    n_samples: int = 0
    seed: int = 0
    anchor: tuple = None
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def quadrature(self):
        return self.kind == QUADRATURE


def make_inner_rule(norm_code, n_features, loss_code, *, n_nodes=32, n_inner_samples=256, seed=0,
                    uniform=False):
    """Build the :class:`InnerRule` for a norm, a dimension and a loss.

    Binary margin losses get an exact rule: for ``l_2`` the atoms of the law of ``w·u``
    (:mod:`skentropic.linear_model._sphere_rule`, logistic loss) or per-point quadrature (the
    (squared) hinge), for ``l_∞`` (:mod:`skentropic.linear_model._cube_rule`) and ``l_1``
    (:mod:`skentropic.linear_model._l1_rule`). The softmax loss gets
    ``n_inner_samples`` tilted importance samples per point
    (:mod:`skentropic.linear_model._tilted_rule`). ``uniform=True`` uses ``n_inner_samples``
    fixed uniform ball samples shared by all points instead (the talk's estimator).

    Parameters
    ----------
    norm_code : int
        ``NORM_INF``, ``NORM_L2`` or ``NORM_L1``.
    n_features : int
        Dimension ``d``.
    loss_code : int
        Loss code from ``_losses``.
    n_nodes : int, default=32
        Gauss–Legendre nodes per quadrature piece (binary ``l_2`` with the (squared) hinge only).
    n_inner_samples : int, default=256
        Number ``m`` of samples: per point for the tilted rule, shared (even; ``m/2`` drawn and
        mirrored) for the uniform one.
    seed : int, default=0
        Seed of the samples.
    uniform : bool, default=False
        Use the fixed uniform samples even where an exact rule exists (the talk's estimator,
        kept for comparison).

    Returns
    -------
    InnerRule
    """
    if int(n_nodes) != n_nodes or n_nodes < 2:
        raise ValueError(f"n_nodes must be an integer >= 2, got {n_nodes!r}.")
    if int(n_inner_samples) != n_inner_samples or n_inner_samples < 2 or (uniform and n_inner_samples % 2):
        raise ValueError(f"n_inner_samples must be an {'even ' if uniform else ''}integer >= 2, "
                         f"got {n_inner_samples!r}.")
    d = int(n_features)
    empty = np.empty(0)
    if not uniform and loss_code != SOFTMAX:
        if norm_code == NORM_L2:
            nodes, weights = np.polynomial.legendre.leggauss(int(n_nodes))
            return InnerRule(QUADRATURE, nodes, weights, log_sphere_normaliser(d), bulk_half_width(d),
                             np.empty((0, d)))
        if norm_code == NORM_INF:
            return InnerRule(CUBE, empty, empty, 0.0, 0.0, np.empty((0, d)))
        return InnerRule(CROSS, empty, empty, 0.0, 0.0, np.empty((0, d)))
    if not uniform:
        return InnerRule(TILTED, empty, empty, 0.0, 0.0, np.empty((0, d)), int(n_inner_samples), int(seed))
    half = sample_unit_ball_kernel(int(n_inner_samples) // 2, d, int(norm_code), int(seed))
    samples = np.ascontiguousarray(np.vstack([half, -half]))
    return InnerRule(SAMPLES, empty, empty, 0.0, 0.0, samples)


def _dual_norm_and_grad(w, norm_code):
    """``||w||_q`` and a (sub)gradient of it (``0`` at ``w = 0``)."""
    value = float(dual_norm(w, norm_code))
    if value == 0.0:
        return 0.0, np.zeros_like(w)
    if norm_code == NORM_L2:
        return value, w / value
    if norm_code == NORM_INF:  # ||w||_1
        return value, np.sign(w)
    grad = np.zeros_like(w)  # ||w||_∞: split evenly over the maximisers
    top = np.abs(w) == np.abs(w).max()
    grad[top] = np.sign(w[top]) / top.sum()
    return value, grad


@njit(cache=True, parallel=True)
def _softmax_samples(scores, y, sw, proj, rho, eta, out_value, out_g, out_u):
    """Fixed-sample rule for the cross-entropy.

    ``out_g[i] = Σ_j π_ij (p_ij − e_{y_i})`` (score gradient) and
    ``out_u[j] = Σ_i sw_i π_ij (p_ij − e_{y_i})`` (weight of ``u_j``, shape (m, K)).
    """
    n, k = scores.shape
    m = proj.shape[0]
    n_chunks = chunk_count(n)
    partial = np.zeros((n_chunks, m, k))
    for c in prange(n_chunks):
        buf = np.empty(k)
        probs = np.empty((m, k))
        losses = np.empty(m)
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            top = -np.inf
            for j in range(m):
                for q in range(k):
                    buf[q] = scores[i, q] + rho * proj[j, q]
                losses[j] = softmax_loss(buf, y[i], probs[j])
                probs[j, y[i]] -= 1.0
                if losses[j] > top:
                    top = losses[j]
            acc = 0.0
            for j in range(m):
                losses[j] = np.exp((losses[j] - top) / eta)
                acc += losses[j]
            for q in range(k):
                out_g[i, q] = 0.0
            for j in range(m):
                p = losses[j] / acc
                for q in range(k):
                    out_g[i, q] += p * probs[j, q]
                    partial[c, j, q] += sw[i] * p * probs[j, q]
            out_value[i] = top + eta * np.log(acc / m)
    sum_chunks(partial, out_u)


def _check(rho, eta, loss_code):
    if not (np.isfinite(rho) and rho >= 0):
        raise ValueError(f"rho must be a finite non-negative number, got {rho!r}.")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be a finite non-negative number, got {eta!r}.")
    if eta == 0 and rho > 0 and loss_code == SOFTMAX:
        raise ValueError(_ETA0_SOFTMAX)


def _check_rule(rule, n_features):
    if rule.kind != SAMPLES or rule.samples.shape[1] != n_features:
        raise ValueError("The inner rule does not match the norm or the number of features; "
                         "build it with make_inner_rule(norm_code, n_features, loss_code).")


def _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule, score_grid=False, se=None):
    """Per-sample values and the pieces of the gradient (see :func:`linear_objective`); ``se``,
    if given, receives the tilted rule's standard errors of the values."""
    _check(rho, eta, loss_code)
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    n = X.shape[0]
    values = np.empty(n)
    if loss_code == SOFTMAX:
        scores = np.ascontiguousarray(np.asarray(X @ coef.T) + intercept)
        labels = np.asarray(y, dtype=np.int64)
        if rho == 0:  # (the ERM start of the multinomial fits: vectorised)
            g = scores.copy()
            values[:] = softmax_cross_entropy(g, labels)
            return values, ("softmax", g, None)
        if rule.kind == TILTED:
            return values, _tilted(coef, intercept, X, scores, labels, np.ones(n), sw, rho, eta, norm_code,
                                   loss_code, rule, values, se)
        _check_rule(rule, coef.shape[1])
        proj = np.ascontiguousarray(rule.samples @ coef.T)
        g = np.empty_like(scores)
        hu = np.empty_like(proj)
        _softmax_samples(scores, labels, sw, proj, float(rho), float(eta), values, g, hu)
        return values, ("softmax", g, hu)
    w = coef[0]
    yy = np.asarray(y, dtype=np.float64)
    scores = np.ascontiguousarray(yy * (np.asarray(X @ w).ravel() + intercept[0]))
    ds = np.empty(n)
    if rho == 0:  # (the ERM start's fit: NumPy, no kernel to compile on a first fit)
        values[:], ds[:] = margin_losses_numpy(scores, loss_code)
        return values, ("margin", ds, None, None)
    if eta == 0:
        norm, norm_grad = _dual_norm_and_grad(w, norm_code)
        margin_losses(scores, rho * norm, loss_code, values, ds)
        return values, ("margin", ds, -ds, rho * norm_grad)
    if rule.kind == TILTED:
        return values, _tilted(coef, intercept, X, scores[:, None], np.zeros(n, dtype=np.int64), yy, sw, rho,
                               eta, norm_code, loss_code, rule, values, se)
    expected = {NORM_L2: QUADRATURE, NORM_INF: CUBE, NORM_L1: CROSS}.get(norm_code)
    if rule.kind != SAMPLES and rule.kind != expected:
        raise ValueError(f"The inner rule ({rule.kind}) does not match the norm; build it with "
                         "make_inner_rule(norm_code, n_features, loss_code).")
    if rule.kind == QUADRATURE and loss_code == LOGISTIC:
        parts = sphere_margin(w, scores, sw, rho, eta, values, ds, score_grid)
        if parts is not None:
            return values, parts
    if rule.kind == QUADRATURE:
        norm = float(np.linalg.norm(w))
        dr = np.empty(n)
        r, d = rho * norm, float(X.shape[1])
        l2_margin(scores, sw, r, eta, d, loss_code, rule.log_z, rule.bulk, rule.nodes, rule.weights, values, ds,
                  dr, score_grid)
        norm_grad = w / norm if norm > 0 else np.zeros_like(w)
        return values, ("margin", ds, dr, rho * norm_grad)
    if rule.kind == CROSS:
        return values, cross_margin(w, scores, sw, rho, eta, loss_code, values, ds, score_grid)
    if rule.kind == CUBE:
        return values, cube_margin(w, scores, sw, rho, eta, loss_code, values, ds, score_grid)
    _check_rule(rule, w.shape[0])
    m = rule.samples.shape[0]
    shift = rho * (rule.samples @ w)
    dshift = atom_margin_rule(scores, sw, shift, np.full(m, -np.log(m)), eta, loss_code, values, ds, score_grid)[0]
    return values, ("margin", ds, None, rho * (rule.samples.T @ dshift))


def _tilted(coef, intercept, X, scores, labels, sign, sw, rho, eta, norm_code, loss_code, rule, values, se=None):
    """Tilted importance-sampling rule (:mod:`._tilted_rule`); returns the gradient parts.

    At a fixed anchor the tilts, seeds and draws are kept in ``rule.cache`` between evaluations
    (:func:`~._tilted_rule.tilted_setup`); without one they follow the evaluated model.
    """
    anchored = rule.anchor is not None
    anchor_coef, anchor_b = rule.anchor if anchored else (coef, intercept)
    tilts, seeds, draws = tilted_setup(
        rule.cache if anchored else None, X, labels, np.ascontiguousarray(sign, dtype=np.float64),
        np.ascontiguousarray(anchor_coef, dtype=np.float64), np.asarray(anchor_b, dtype=np.float64),
        float(rho), float(eta), int(rule.seed), int(rule.n_samples), int(norm_code), int(loss_code))
    value, _, gs, gW = tilted_linear(
        np.ascontiguousarray(scores), labels, np.ascontiguousarray(sign, dtype=np.float64), sw,
        np.ascontiguousarray(coef), tilts, seeds, int(rule.n_samples), float(rho), float(eta),
        int(norm_code), int(loss_code), draws, se)
    values[:] = value
    return "tilted", gs, gW, sign


def per_sample_objective(coef, intercept, X, y, rho, eta, norm_code, loss_code, rule, *, rtol=None,
                         sample_weight=None):
    """Per-sample entropic losses ``F_i`` (see the module docstring for the formulas).

    Parameters
    ----------
    coef : ndarray of shape (K, d)
    intercept : ndarray of shape (K,)
    X : ndarray of shape (n, d) or CSR matrix
    y : ndarray of shape (n,)
        ``±1`` floats for binary losses, class indices for ``SOFTMAX``.
    rho, eta : float
        Radius ``ρ >= 0`` and temperature ``η >= 0`` (``η = 0``: exact adversarial loss,
        binary losses only).
    norm_code, loss_code : int
    rule : InnerRule
        From :func:`make_inner_rule`.
    rtol : float or None, default=None
        Tilted rule only (the others are exact): the samples per point are raised, by powers of
        two up to ``MAX_RISK_DRAWS / (n d)``, until the error bound of the weighted mean
        ``F̄ = Σ_i s_i F_i / Σ_i s_i`` (:func:`mean_error_bound`) is at most ``rtol |F̄|``; a
        ``ConvergenceWarning`` says so if the cap is reached first.
    sample_weight : ndarray of shape (n,) or None
        The weights ``s_i`` of that mean (ones by default).

    Returns
    -------
    F : ndarray of shape (n,)
    """
    sw = np.zeros(X.shape[0])
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if rtol is None or rule.kind != TILTED or rho == 0 or not weights.sum() > 0:  # exact, or no mean
        return _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule)[0]
    m = int(rule.n_samples)
    cap = max(m, 1 << max(MAX_RISK_DRAWS // (X.shape[0] * X.shape[1]), 1).bit_length() - 1)
    while True:
        se = np.empty(X.shape[0])
        values = _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, replace(rule, n_samples=m),
                           se=se)[0]
        mean, bound = mean_error_bound(values, se, weights, eta)
        if bound <= rtol * abs(mean) or m >= cap:
            break
        # the standard error falls as 1/sqrt(m) (the bias as 1/m): the m that meets the bound, a
        # fifth more, as a power of two
        wanted = 1.2 * m * (bound / (rtol * abs(mean))) ** 2 if mean != 0 else 2.0 * m
        m = min(cap, 1 << max(m, int(math.ceil(wanted)) - 1).bit_length())
    if bound > rtol * abs(mean):
        warnings.warn(f"The entropic risk's Monte Carlo error bound ({bound / abs(mean):.1e} relative) is above "
                      f"rtol={rtol:g} with {m} samples per point (the most it draws).", ConvergenceWarning,
                      stacklevel=3)
    return values


def mean_error_bound(values, se, weights, eta):
    """``(F̄, 3 se(F̄) + bias)`` of the weighted mean ``F̄ = Σ s_i F_i / Σ s_i`` of independent estimates.

    ``se(F̄) = sqrt(Σ s_i² se_i²) / Σ s_i``; ``bias = Σ s_i se_i² / (2η Σ s_i)`` is the delta-method
    bias of ``η log`` of an unbiased estimate (``F_i`` is low by about ``se_i²/(2η)``), which does
    not average out over the points. The bound holds with probability about 99.7% where the
    normal approximation does (an estimated ``se`` of heavy-tailed weights can itself be low).
    """
    total = float(weights.sum())
    mean = float(values @ weights) / total
    spread = weights * se
    return mean, 3.0 * math.sqrt(float(spread @ spread)) / total + float(weights @ (se * se)) / (2.0 * eta * total)


def linear_objective(coef, intercept, X, y, sample_weight, rho, eta, norm_code, loss_code, rule, *, score_grid=True):
    """Weighted entropic risk ``Σ_i sw_i F_i`` of a linear model and its exact gradient.

    Chain rule: binary, ``∂F_i/∂w = (∂F_i/∂s_i) y_i x_i + ∂F_i/∂w|_perturbation`` where the
    second term is ``(∂F_i/∂r) ρ ∇||w||_q`` (``l_2`` balls and ``η = 0``) or
    ``ρ y_i Σ_j π_ij φ'_ij u_j`` (fixed samples); softmax,
    ``∂F_i/∂W = G_i ⊗ x_i + ρ Σ_j π_ij (p_ij − e_{y_i}) ⊗ u_j``. The ``u``-parts are summed
    over ``i`` first, so the cost is ``O(n m K + n d K + m d K)``.

    Parameters
    ----------
    coef, intercept, X, y, rho, eta, norm_code, loss_code, rule
        As in :func:`per_sample_objective`.
    sample_weight : ndarray of shape (n,)
        Non-negative weights summing to one.
    score_grid : bool, default=True
        Binary losses with ``η > 0``, ``ρ > 0``: tabulate the per-point loss as a function of
        the score and interpolate (:mod:`skentropic.linear_model._score_grid`, value error below
        ``1e-9`` relative, never more nodes than points) instead of evaluating every point
        directly.

    Returns
    -------
    value : float
    grad_coef : ndarray of shape (K, d)
    grad_intercept : ndarray of shape (K,)
    """
    sw = np.ascontiguousarray(sample_weight, dtype=np.float64)
    values, parts = _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule, score_grid)
    value = float(sw @ values)
    if parts[0] == "tilted":
        _, gs, gW, sign = parts
        wg = gs * (sw * sign)[:, None]
        grad_coef = np.asarray(X.T @ wg).T + gW
        return value, np.ascontiguousarray(grad_coef), wg.sum(axis=0)
    if parts[0] == "softmax":
        _, g, hu = parts
        wg = g * sw[:, None]
        grad_coef = np.asarray(X.T @ wg).T
        if hu is not None:
            grad_coef = grad_coef + rho * (hu.T @ rule.samples)
        return value, np.ascontiguousarray(grad_coef), wg.sum(axis=0)
    _, ds, dr, extra = parts
    yy = np.asarray(y, dtype=np.float64)
    wds = sw * ds * yy
    grad_w = np.asarray(X.T @ wds).ravel()
    if dr is not None:
        grad_w = grad_w + float(sw @ dr) * extra
    elif extra is not None:
        grad_w = grad_w + extra
    return value, grad_w[None, :], np.array([wds.sum()])
