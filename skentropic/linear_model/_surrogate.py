"""A cheap start for the ``l_∞`` fits: the entropic risk with the loss taken as linear in the ball.

For a loss linear in the perturbation the entropic risk is exact: with ``u`` uniform in the cube,
``η log E exp(ρ a·u/η) = h(a) = η Σ_k log(sinh(ρa_k/η)/(ρa_k/η))``, between ``0`` (``η → ∞``)
and ``ρ||a||_1`` (``η → 0``). The surrogates below shift each margin by that amount:

- binary margins: ``Σ_i sw_i φ(y_i(w·x_i + b) − h(w))``;
- softmax: ``Σ_i sw_i log Σ_c exp(S_ic − S_{i y_i} + h(w_c − w_{y_i}))``, each competing class's
  margin moved by the entropic risk of the margin itself (``h(0) = 0`` for the label).

Both are exact for a loss linear in ``x`` and tend to the adversarial risk's classical bounds
as ``η → 0`` (the binary one to it exactly); between, they ignore the loss's curvature over the
ball. They cost one ERM evaluation and ``d`` (binary) or ``K² d`` (softmax) log-sinhc terms, and
only choose where L-BFGS starts (:mod:`._lbfgs`): the fitted model minimises the entropic risk
itself. Their gradients are exact: ``∂h/∂a_k = ρ μ(ρa_k/η)``, ``μ`` the Langevin function
(:func:`~skentropic._core._tilt_matching.tilted_uniform_mean`).
"""

import numpy as np

from .._core._losses import margin_losses_numpy
from .._core._tilt_matching import tilted_uniform_mean
from .._core._tilted_numpy import log_sinhc_array


def margin_surrogate(coef, intercept, X, y, sw, rho, eta, loss_code):
    """Binary surrogate: ``(value, ∂/∂w, ∂/∂b)`` of ``Σ sw_i φ(y_i(w·x_i + b) − h(w))`` (``coef`` of
    shape ``(1, d)``, ``y`` in ``{−1, +1}``)."""
    w = coef[0]
    a = (rho / eta) * w
    scores = y * (np.asarray(X @ w).ravel() + intercept[0]) - eta * float(log_sinhc_array(a).sum())
    values, ds = margin_losses_numpy(scores, loss_code)
    weighted = sw * ds
    g_w = np.asarray(X.T @ (weighted * y)).ravel() - float(weighted.sum()) * rho * tilted_uniform_mean(a)
    return float(sw @ values), g_w[None, :], np.array([float(weighted @ y)])


def softmax_surrogate(coef, intercept, X, y, sw, rho, eta):
    """Softmax surrogate: ``(value, ∂/∂W, ∂/∂b)`` of ``Σ sw_i logsumexp_c(S_ic − S_{i y_i} + H_{y_i c})``,
    ``H_{ac} = h(w_c − w_a)`` (``y`` the class indices)."""
    k, d = coef.shape
    rows = np.arange(y.shape[0])
    A = (rho / eta) * (coef[None, :, :] - coef[:, None, :])  # A[a, c] = (ρ/η)(w_c − w_a)
    H = eta * log_sinhc_array(A).sum(axis=2)
    Z = np.asarray(X @ coef.T) + intercept
    Z -= Z[rows, y][:, None]
    Z += H[y]
    top = Z.max(axis=1, keepdims=True)
    np.exp(Z - top, out=Z)
    total = Z.sum(axis=1, keepdims=True)
    values = top[:, 0] + np.log(total[:, 0])
    Z /= total  # the softmax P of the shifted margins
    Z *= sw[:, None]
    pulls = np.eye(k)[y].T @ Z  # Σ_{i: y_i = a} sw_i P_ic: the weight of H_ac
    Z[rows, y] -= sw
    slopes = pulls[:, :, None] * (rho * tilted_uniform_mean(A))  # ∂/∂w_c of the terms H_ac
    g_W = np.asarray(X.T @ Z).T + slopes.sum(axis=0) - slopes.sum(axis=1)
    return float(sw @ values), g_W, Z.sum(axis=0)
