"""Stable entropic aggregation ``η log mean exp(L / η)`` and its softmax weights (numba kernels).

Everything is computed with max-subtraction, so ``η`` down to ``1e-300`` and losses of any
finite size stay finite: ``η log (1/m) Σ_j exp(L_j/η) = M + η log (1/m) Σ_j exp((L_j − M)/η)``
with ``M = max_j L_j``. ``η = 0`` is the limit ``max_j L_j``.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def exp_shifted(values, m):
    """Overwrite ``values[:m]`` with ``exp(values_j − M)``, ``M = max_j values_j``; return ``(M, Σ_j)``.

    ``log Σ_j exp(values_j) = M + log Σ`` and the overwritten entries divided by ``Σ`` are the
    softmax weights (``values`` hold log-weights, e.g. ``log ω_j + ℓ_j/η``).
    """
    top = -np.inf
    for j in range(m):
        if values[j] > top:
            top = values[j]
    acc = 0.0
    for j in range(m):
        values[j] = np.exp(values[j] - top)
        acc += values[j]
    return top, acc


@njit(cache=True)
def effective_sample_fraction(weights):
    """``(Σ_j π_j)² / (m Σ_j π_j²) = 1 / (m Σ_j π_j²)`` of normalised weights ``π`` (``m`` of them)."""
    sq = 0.0
    for j in range(weights.shape[0]):
        sq += weights[j] * weights[j]
    return 1.0 / (weights.shape[0] * sq)


@njit(cache=True)
def entropic_mean(values, eta):
    """``η log (1/m) Σ_j exp(values_j / η)`` for a 1-D array; ``max(values)`` when ``η = 0``.

    Parameters
    ----------
    values : ndarray of shape (m,)
    eta : float, >= 0

    Returns
    -------
    float
    """
    m = values.shape[0]
    top = values[0]
    for j in range(1, m):
        if values[j] > top:
            top = values[j]
    if eta == 0.0:
        return top
    acc = 0.0
    for j in range(m):
        acc += np.exp((values[j] - top) / eta)
    return top + eta * np.log(acc / m)


@njit(cache=True)
def entropic_weights(values, eta, out):
    """Fill ``out`` with ``softmax(values / η)`` and return ``η log mean exp(values / η)``.

    For ``η = 0`` the weights are uniform over the maximisers (the subgradient choice).
    """
    m = values.shape[0]
    top = values[0]
    for j in range(1, m):
        if values[j] > top:
            top = values[j]
    acc = 0.0
    if eta == 0.0:
        for j in range(m):
            out[j] = 1.0 if values[j] == top else 0.0
            acc += out[j]
        for j in range(m):
            out[j] /= acc
        return top
    for j in range(m):
        out[j] = np.exp((values[j] - top) / eta)
        acc += out[j]
    for j in range(m):
        out[j] /= acc
    return top + eta * np.log(acc / m)


@njit(cache=True)
def entropic_mean_rows(values, eta):
    """Row-wise :func:`entropic_mean` of a 2-D array ``(n, m)``; returns shape ``(n,)``."""
    n = values.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = entropic_mean(values[i], eta)
    return out
