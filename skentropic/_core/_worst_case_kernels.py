"""Kernels of the worst-case distribution: self-normalised resampling, density, margin losses.

For a data point ``x_i`` the worst-case conditional law on ``B_ρ(x_i)`` has density
``∝ exp(ℓ(z)/η)``. With ``m`` uniform proposals ``z_ij = x_i + ρ u_j`` and losses ``L_ij``, the
self-normalised weights are ``w_ij = softmax_j(L_ij / η)`` (max-subtracted, so ``η = 1e-12``
and ``L = 1e3`` stay finite) and the effective sample size is ``ESS_i = 1 / Σ_j w_ij²``.
"""

import math

import numpy as np
from numba import njit

from ._logmeanexp import entropic_weights
from ._losses import margin_loss, margin_loss_derivative
from ._norms import NORM_INF, NORM_L2

RESAMPLE_SYSTEMATIC = 0
RESAMPLE_MULTINOMIAL = 1


@njit(cache=True)
def margin_loss_rows(z, loss_code, loss_out, deriv_out):
    """``loss_out[k] = φ(z_k)`` and ``deriv_out[k] = φ'(z_k)`` for a 1-D array of margins."""
    for k in range(z.shape[0]):
        loss_out[k] = margin_loss(z[k], loss_code)
        deriv_out[k] = margin_loss_derivative(z[k], loss_code)


@njit(cache=True)
def resample_rows(L, eta, n_draws, scheme, seed):
    """Self-normalised importance resampling of every row of the proposal losses ``L``.

    Parameters
    ----------
    L : ndarray of shape (n, m)
        Losses of the ``m`` proposals of each of the ``n`` points.
    eta : float, >= 0
        ``η = 0``: uniform weights over each row's maximisers.
    n_draws : int
        Draws per row.
    scheme : int
        ``RESAMPLE_SYSTEMATIC`` (one uniform per row, positions ``(k + U)/n_draws``) or
        ``RESAMPLE_MULTINOMIAL``.
    seed : int

    Returns
    -------
    index : ndarray of shape (n, n_draws), int64
        Column of the chosen proposal.
    ess : ndarray of shape (n,)
        ``1 / Σ_j w_ij²``.
    mean_loss : ndarray of shape (n,)
        ``Σ_j w_ij L_ij``, the self-normalised estimate of ``E_{P*_i}[ℓ]``.
    objective : ndarray of shape (n,)
        ``η log mean_j exp(L_ij / η)`` (the row maximum when ``η = 0``).
    """
    np.random.seed(seed)
    n, m = L.shape
    index = np.empty((n, n_draws), dtype=np.int64)
    ess = np.empty(n)
    mean_loss = np.empty(n)
    objective = np.empty(n)
    w = np.empty(m)
    cum = np.empty(m)
    for i in range(n):
        objective[i] = entropic_weights(L[i], eta, w)
        acc = 0.0
        sq = 0.0
        ml = 0.0
        for j in range(m):
            acc += w[j]
            cum[j] = acc
            sq += w[j] * w[j]
            ml += w[j] * L[i, j]
        cum[m - 1] = 1.0 + 1e-12  # guard against rounding in the last bin
        ess[i] = 1.0 / sq
        mean_loss[i] = ml
        if scheme == RESAMPLE_SYSTEMATIC:
            start = np.random.random()
            j = 0
            for k in range(n_draws):
                pos = (k + start) / n_draws
                while cum[j] < pos:
                    j += 1
                index[i, k] = j
        else:
            for k in range(n_draws):
                pos = np.random.random()
                j = np.searchsorted(cum, pos)
                index[i, k] = min(j, m - 1)
    return index, ess, mean_loss, objective


@njit(cache=True)
def _in_ball(z, x, rho, norm_code):
    d = z.shape[0]
    if norm_code == NORM_INF:
        for k in range(d):
            if abs(z[k] - x[k]) > rho:
                return False
        return True
    acc = 0.0
    if norm_code == NORM_L2:
        for k in range(d):
            acc += (z[k] - x[k]) ** 2
        return acc <= rho * rho
    for k in range(d):
        acc += abs(z[k] - x[k])
    return acc <= rho


@njit(cache=True)
def worst_case_log_density(Z, X, y_enc, LZ, log_norm, rho, eta, norm_code, log_volume):
    """``log p*(z)`` for each row of ``Z``, the mixture of the per-point worst-case laws.

    ``p*(z) = (1/n) Σ_i 1{z ∈ B_ρ(x_i)} exp(ℓ(z, y_i)/η − log_norm_i) / vol(B_ρ)`` with
    ``log_norm_i = log E_u exp(ℓ(x_i + ρu, y_i)/η)``. ``LZ[g, k]`` is the loss of ``Z[g]`` for
    class ``k``; ``−inf`` outside every ball.
    """
    g_count = Z.shape[0]
    n = X.shape[0]
    out = np.empty(g_count)
    terms = np.empty(n)
    for g in range(g_count):
        top = -np.inf
        count = 0
        for i in range(n):
            if _in_ball(Z[g], X[i], rho, norm_code):
                t = LZ[g, y_enc[i]] / eta - log_norm[i]
                terms[count] = t
                count += 1
                if t > top:
                    top = t
        if count == 0:
            out[g] = -np.inf
            continue
        acc = 0.0
        for c in range(count):
            acc += math.exp(terms[c] - top)
        out[g] = top + math.log(acc) - math.log(n) - log_volume
    return out
