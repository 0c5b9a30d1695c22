"""Deterministic entropic objective of linear models and its exact gradient (DESIGN.md section 2).

    value(W, b) = Σ_i sw_i F_i,   F_i = η log E_{u ~ U(B_1)} exp(ℓ(x_i + ρu, y_i) / η).

Binary margin losses (``K = 1``, ``y ∈ {−1, +1}``, ``s_i = y_i (w·x_i + b)``):

- ``η = 0``: ``F_i = φ(s_i − ρ ||w||_q)`` (exact adversarial loss, ``q`` the dual exponent);
- ``l_2`` ball: ``F_i = η log E exp(φ(s_i + ρ||w||_2 T)/η)`` by one-dimensional quadrature
  (:mod:`skentropic.linear_model._quadrature`, relative error about ``1e-8`` or better);
- ``l_∞`` / ``l_1`` balls: sample-average approximation with ``m`` *fixed* antithetic
  samples ``±u_j`` drawn once (:func:`make_inner_rule`):
  ``F_i ≈ η log (1/m) Σ_j exp(φ(s_i + ρ y_i u_j·w)/η)``. The objective is then a smooth
  deterministic function of ``(w, b)``; it is an approximation of the expectation whose
  error is of the order of the Monte Carlo standard error with ``m`` samples.

Multinomial cross-entropy (``SOFTMAX``, ``K >= 2``, integer labels): always the
sample-average approximation, ``F_i ≈ η log (1/m) Σ_j exp(CE(W x_i + b + ρ W u_j, y_i)/η)``.

Inside :func:`linear_objective` (the objective of the L-BFGS fits) the binary ``η > 0``
cases with many points are evaluated on a grid of scores (:mod:`skentropic.linear_model._score_grid`:
``F_i = f(s_i)`` with one function ``f`` for all points, tabulated at adaptively chosen nodes
and interpolated, error about ``1e-10`` relative); :func:`per_sample_objective` always
evaluates every point directly.

``ρ = 0`` gives the ERM loss for every ``η``. ``X`` may be dense or CSR; only ``X @ v``
and ``X.T @ g`` are used.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .._core._losses import LOGISTIC, SOFTMAX, margin_loss, margin_loss_derivative, softmax_loss
from .._core._norms import NORM_INF, NORM_L2, dual_norm
from .._core._sampling import sample_unit_ball_kernel
from ._quadrature import bulk_half_width, entropic_margin_l2_batch, log_sphere_normaliser
from ._score_grid import build_grid, interpolate_grid

_ETA0_SOFTMAX = (
    "eta=0 (the exact adversarial risk) is only tractable for binary margin losses; "
    "use eta > 0 with the multinomial (softmax) loss."
)


@dataclass(frozen=True)
class InnerRule:
    """How the expectation over the perturbation is computed (built once per fit).

    Attributes
    ----------
    quadrature : bool
        ``True`` for the ``l_2`` quadrature of binary losses, ``False`` for fixed samples.
    nodes, weights : ndarray of shape (n_nodes,)
        Gauss–Legendre rule on ``[−1, 1]`` (quadrature only).
    log_z, bulk : float
        ``log Z_d`` and the bulk half-width of ``sin^d`` (quadrature only).
    samples : ndarray of shape (m, d)
        Antithetic unit-ball samples ``[U; −U]`` (sample rule; empty otherwise).
    """

    quadrature: bool
    nodes: np.ndarray
    weights: np.ndarray
    log_z: float
    bulk: float
    samples: np.ndarray


def make_inner_rule(norm_code, n_features, loss_code, *, n_nodes=32, n_inner_samples=256, seed=0):
    """Build the :class:`InnerRule` for a norm, a dimension and a loss.

    Parameters
    ----------
    norm_code : int
        ``NORM_INF``, ``NORM_L2`` or ``NORM_L1``.
    n_features : int
        Dimension ``d``.
    loss_code : int
        Loss code from ``_losses``.
    n_nodes : int, default=32
        Gauss–Legendre nodes per quadrature piece (binary ``l_2`` only).
    n_inner_samples : int, default=256
        Number ``m`` of fixed perturbation samples (even; ``m/2`` are drawn and mirrored).
    seed : int, default=0
        Seed of the samples.

    Returns
    -------
    InnerRule
    """
    if int(n_nodes) != n_nodes or n_nodes < 2:
        raise ValueError(f"n_nodes must be an integer >= 2, got {n_nodes!r}.")
    if int(n_inner_samples) != n_inner_samples or n_inner_samples < 2 or n_inner_samples % 2:
        raise ValueError(f"n_inner_samples must be an even integer >= 2, got {n_inner_samples!r}.")
    d = int(n_features)
    if norm_code == NORM_L2 and loss_code != SOFTMAX:
        nodes, weights = np.polynomial.legendre.leggauss(int(n_nodes))
        return InnerRule(True, nodes, weights, log_sphere_normaliser(d), bulk_half_width(d), np.empty((0, d)))
    half = sample_unit_ball_kernel(int(n_inner_samples) // 2, d, int(norm_code), int(seed))
    samples = np.ascontiguousarray(np.vstack([half, -half]))
    return InnerRule(False, np.empty(0), np.empty(0), 0.0, 0.0, samples)


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


@njit(cache=True)
def _margin_exact(scores, r, loss_code, out_value, out_ds):
    for i in range(scores.shape[0]):
        out_value[i] = margin_loss(scores[i] - r, loss_code)
        out_ds[i] = margin_loss_derivative(scores[i] - r, loss_code)


_N_CHUNKS = 64  # fixed chunking: per-chunk partial sums are added in order, so results are thread-independent


@njit(cache=True, parallel=True)
def _margin_samples(scores, y, sw, proj, rho, eta, loss_code, out_value, out_ds, out_u):
    """Fixed-sample rule: ``F_i = η log mean_j exp(φ(s_i + ρ y_i P_j)/η)``.

    ``out_ds[i] = Σ_j π_ij φ'_ij`` and ``out_u[j] = Σ_i sw_i y_i π_ij φ'_ij`` (weight of ``u_j``).
    """
    n = scores.shape[0]
    m = proj.shape[0]
    n_chunks = max(1, min(n, _N_CHUNKS))
    partial = np.zeros((n_chunks, m))
    for c in prange(n_chunks):
        vals = np.empty(m)
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            top = -np.inf
            for j in range(m):
                vals[j] = margin_loss(scores[i] + rho * y[i] * proj[j], loss_code)
                if vals[j] > top:
                    top = vals[j]
            acc = 0.0
            for j in range(m):
                vals[j] = np.exp((vals[j] - top) / eta)
                acc += vals[j]
            acc_d = 0.0
            scale = sw[i] * y[i] / acc
            for j in range(m):
                pd = vals[j] * margin_loss_derivative(scores[i] + rho * y[i] * proj[j], loss_code)
                acc_d += pd
                partial[c, j] += scale * pd
            out_value[i] = top + eta * np.log(acc / m)
            out_ds[i] = acc_d / acc
    for j in range(m):
        out_u[j] = 0.0
    for c in range(n_chunks):
        for j in range(m):
            out_u[j] += partial[c, j]


@njit(cache=True, parallel=True)
def _softmax_samples(scores, y, sw, proj, rho, eta, out_value, out_g, out_u):
    """Fixed-sample rule for the cross-entropy.

    ``out_g[i] = Σ_j π_ij (p_ij − e_{y_i})`` (score gradient) and
    ``out_u[j] = Σ_i sw_i π_ij (p_ij − e_{y_i})`` (weight of ``u_j``, shape (m, K)).
    """
    n, k = scores.shape
    m = proj.shape[0]
    n_chunks = max(1, min(n, _N_CHUNKS))
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
    for j in range(m):
        for q in range(k):
            out_u[j, q] = 0.0
    for c in range(n_chunks):
        for j in range(m):
            for q in range(k):
                out_u[j, q] += partial[c, j, q]


def _check(rho, eta, loss_code):
    if not (np.isfinite(rho) and rho >= 0):
        raise ValueError(f"rho must be a finite non-negative number, got {rho!r}.")
    if not (np.isfinite(eta) and eta >= 0):
        raise ValueError(f"eta must be a finite non-negative number, got {eta!r}.")
    if eta == 0 and rho > 0 and loss_code == SOFTMAX:
        raise ValueError(_ETA0_SOFTMAX)


def _check_rule(rule, n_features):
    if rule.quadrature or rule.samples.shape[1] != n_features:
        raise ValueError("The inner rule does not match the norm or the number of features; "
                         "build it with make_inner_rule(norm_code, n_features, loss_code).")


def _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule, score_grid=False):
    """Per-sample values and the pieces of the gradient (see :func:`linear_objective`)."""
    _check(rho, eta, loss_code)
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    n = X.shape[0]
    values = np.empty(n)
    if loss_code == SOFTMAX:
        scores = np.ascontiguousarray(np.asarray(X @ coef.T) + intercept)
        labels = np.asarray(y, dtype=np.int64)
        if rho == 0:
            g = np.empty_like(scores)
            probs = np.empty(scores.shape[1])
            for i in range(n):  # small K; ERM path only
                values[i] = softmax_loss(scores[i], labels[i], probs)
                g[i] = probs
                g[i, labels[i]] -= 1.0
            return values, ("softmax", g, None)
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
    if rho == 0:
        _margin_exact(scores, 0.0, loss_code, values, ds)
        return values, ("margin", ds, None, None)
    if eta == 0:
        norm, norm_grad = _dual_norm_and_grad(w, norm_code)
        _margin_exact(scores, rho * norm, loss_code, values, ds)
        return values, ("margin", ds, -ds, rho * norm_grad)
    if norm_code == NORM_L2:
        if not rule.quadrature:
            raise ValueError("The inner rule does not match the norm (expected the l2 quadrature).")
        norm = float(np.linalg.norm(w))
        dr = np.empty(n)
        r, d = rho * norm, float(X.shape[1])
        grid = None
        if score_grid and r > 0:
            grid = build_grid(scores, quadrature=True, r=r, eta=eta, d=d, loss_code=loss_code, log_z=rule.log_z,
                              bulk=rule.bulk, nodes=rule.nodes, weights=rule.weights)
        if grid is None:
            entropic_margin_l2_batch(scores, r, float(eta), d, int(loss_code), rule.log_z, rule.bulk,
                                     rule.nodes, rule.weights, values, ds, dr)
        else:
            interpolate_grid(scores, sw, grid[0], grid[1], values, ds, dr, np.empty((grid[0].shape[0], 2)))
        norm_grad = w / norm if norm > 0 else np.zeros_like(w)
        return values, ("margin", ds, dr, rho * norm_grad)
    _check_rule(rule, w.shape[0])
    proj = rule.samples @ w
    wu = np.empty(proj.shape[0])
    grid = None
    if score_grid and loss_code == LOGISTIC:  # the antithetic rule makes f independent of the label
        grid = build_grid(scores, quadrature=False, r=0.0, eta=eta, d=0.0, loss_code=loss_code, proj=proj, rho=rho)
    if grid is None:
        _margin_samples(scores, yy, sw, proj, float(rho), float(eta), int(loss_code), values, ds, wu)
    else:
        spread = np.empty((grid[0].shape[0], 2))
        interpolate_grid(scores, sw, grid[0], grid[1], values, ds, np.empty(n), spread)
        wu = spread[:, 0] @ grid[2] + spread[:, 1] @ grid[3]
    return values, ("margin", ds, None, rho * (rule.samples.T @ wu))


def per_sample_objective(coef, intercept, X, y, rho, eta, norm_code, loss_code, rule):
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

    Returns
    -------
    F : ndarray of shape (n,)
    """
    sw = np.zeros(X.shape[0])
    return _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule)[0]


def linear_objective(coef, intercept, X, y, sample_weight, rho, eta, norm_code, loss_code, rule, *, score_grid=True):
    """Weighted entropic risk ``Σ_i sw_i F_i`` of a linear model and its exact gradient.

    Chain rule: binary, ``∂F_i/∂w = (∂F_i/∂s_i) y_i x_i + ∂F_i/∂w|_perturbation`` where the
    second term is ``(∂F_i/∂r) ρ ∇||w||_q`` (``l_2`` quadrature and ``η = 0``) or
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
        the score and interpolate (:mod:`skentropic.linear_model._score_grid`, error about ``1e-10``
        relative, used only when ``n`` is large compared with the grid) instead of evaluating
        every point directly.

    Returns
    -------
    value : float
    grad_coef : ndarray of shape (K, d)
    grad_intercept : ndarray of shape (K,)
    """
    sw = np.ascontiguousarray(sample_weight, dtype=np.float64)
    values, parts = _evaluate(coef, intercept, X, y, sw, rho, eta, norm_code, loss_code, rule, score_grid)
    value = float(sw @ values)
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
