"""Per-sample losses of linear models and their derivatives (numba kernels; ``softmax_cross_entropy`` NumPy).

Binary margin losses take the signed score ``z = y (w·x + b)``, ``y ∈ {−1, +1}``:

- ``LOGISTIC``: ``φ(z) = log(1 + e^{−z})``, ``φ'(z) = −1 / (1 + e^{z})``
- ``HINGE``: ``φ(z) = max(0, 1 − z)``, ``φ'(z) = −1{z < 1}``
- ``SQUARED_HINGE``: ``φ(z) = max(0, 1 − z)^2``, ``φ'(z) = −2 max(0, 1 − z)``

All three are convex and non-increasing, which DESIGN.md section 2 relies on.
``SOFTMAX`` is the multinomial cross-entropy ``logsumexp(s) − s_y`` of a score vector.
"""

import numpy as np
from numba import njit
from scipy.special import expit

from ._logmeanexp import exp_shifted

LOGISTIC = 0
HINGE = 1
SQUARED_HINGE = 2
SOFTMAX = 3

LOSS_CODES = {"log_loss": LOGISTIC, "hinge": HINGE, "squared_hinge": SQUARED_HINGE}


@njit(cache=True)
def margin_loss(z, loss_code):
    """Margin loss ``φ(z)`` (stable for ``|z|`` up to the float range)."""
    if loss_code == LOGISTIC:
        if z > 0.0:
            return np.log1p(np.exp(-z))
        return -z + np.log1p(np.exp(z))
    gap = 1.0 - z
    if gap <= 0.0:
        return 0.0
    if loss_code == HINGE:
        return gap
    return gap * gap


@njit(cache=True)
def margin_loss_derivative(z, loss_code):
    """Derivative ``φ'(z)`` (right derivative ``0`` at the hinge's kink ``z = 1``)."""
    if loss_code == LOGISTIC:
        if z > 0.0:
            e = np.exp(-z)
            return -e / (1.0 + e)
        return -1.0 / (1.0 + np.exp(z))
    gap = 1.0 - z
    if gap <= 0.0:
        return 0.0
    if loss_code == HINGE:
        return -1.0
    return -2.0 * gap


@njit(cache=True)
def margin_loss_second_derivative(z, loss_code):
    """Second derivative ``φ''(z)`` (``0`` for the hinge, which is piecewise linear)."""
    if loss_code == LOGISTIC:
        if z > 0.0:
            e = np.exp(-z)
            return e / ((1.0 + e) * (1.0 + e))
        e = np.exp(z)
        return e / ((1.0 + e) * (1.0 + e))
    if loss_code == HINGE:
        return 0.0
    return 2.0 if z < 1.0 else 0.0


@njit(cache=True)
def softmax_loss(scores, label, probs):
    """Cross-entropy ``logsumexp(scores) − scores[label]``; fills ``probs`` with ``softmax(scores)``.

    ``probs − onehot(label)`` is then the gradient with respect to ``scores``.
    """
    k = scores.shape[0]
    for c in range(k):
        probs[c] = scores[c]
    top, acc = exp_shifted(probs, k)
    for c in range(k):
        probs[c] /= acc
    return top + np.log(acc) - scores[label]


@njit(cache=True)
def margin_losses(scores, r, loss_code, out_value, out_ds):
    """``out_value[i] = φ(s_i − r)`` and ``out_ds[i] = φ'(s_i − r)`` for every entry of ``scores``."""
    for i in range(scores.shape[0]):
        out_value[i] = margin_loss(scores[i] - r, loss_code)
        out_ds[i] = margin_loss_derivative(scores[i] - r, loss_code)


def margin_losses_numpy(scores, loss_code):
    """``(φ(s), φ'(s))`` of every score, in NumPy: :func:`margin_losses` without its compilation.

    The ERM fit that starts an entropic fit (``linear_model._lbfgs``) evaluates only these; with
    the numba kernel the first l2 fit in a fresh process compiled one more function for it (13
    instead of 12) and took 2.11-2.26 s, with this 2.02-2.08 s (``benchmarks/bench_cold_start.py
    --cases l2``, two runs each).
    """
    if loss_code == LOGISTIC:
        return np.logaddexp(0.0, -scores), -expit(-scores)
    gap = np.maximum(1.0 - scores, 0.0)
    if loss_code == HINGE:
        return gap, -(gap > 0.0).astype(np.float64)
    with np.errstate(over="ignore"):  # inf beyond the float range, silently, as the kernel
        return gap * gap, -2.0 * gap


def softmax_cross_entropy(S, labels):
    """``ℓ_r = logsumexp(S_r) − S_{r, y_r}`` of each row (max-subtracted); overwrites ``S`` with
    its score gradient ``softmax(S) − e_y``. NumPy, for row blocks (the MLP, the tilted rule)."""
    rows = np.arange(S.shape[0])
    picked = S[rows, labels]
    top = S.max(axis=1, keepdims=True)
    S -= top
    np.exp(S, out=S)
    total = S.sum(axis=1, keepdims=True)
    S /= total
    S[rows, labels] -= 1.0
    return top[:, 0] + np.log(total[:, 0]) - picked
