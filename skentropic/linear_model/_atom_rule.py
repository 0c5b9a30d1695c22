"""Binary entropic losses from a weighted discrete law of the perturbation of the score.

Every deterministic rule for binary margin losses reduces the ball expectation to atoms:
the perturbation of the signed score ``s_i`` takes the value ``δ_j`` with probability
``ω_j = e^{ℓ_j}`` (``Σ_j ω_j = 1``), and

    F_i = η log Σ_j ω_j exp(φ(s_i + δ_j)/η).

- fixed antithetic ball samples ``±u_j``: ``δ_j = ρ u_j·w``, ``ω_j = 1/m`` (the set is symmetric,
  so the label does not enter);
- the exact ``l_∞`` rule (:mod:`._cube_rule`): ``δ_j = −t_j``, ``ω_j`` its normalised weights.

With ``π_ij = ω_j exp(φ(s_i + δ_j)/η) / Σ_l ω_l exp(φ(s_i + δ_l)/η)`` the derivatives are
``∂F_i/∂s_i = Σ_j π_ij φ'_ij``, ``∂F_i/∂δ_j = π_ij φ'_ij`` and ``∂F_i/∂ℓ_j = η(π_ij − ω_j)``.
"""

import numpy as np
from numba import njit, prange

from .._core._losses import margin_loss, margin_loss_derivative

_N_CHUNKS = 64  # fixed chunking: per-chunk partial sums are added in order, so results are thread-independent


def normalise_log_weights(log_w):
    """``ℓ − logsumexp(ℓ)`` (weights summing to one), computed with max-subtraction."""
    top = np.max(log_w)
    return log_w - (top + np.log(np.sum(np.exp(log_w - top))))


@njit(cache=True, parallel=True)
def margin_atoms(scores, sw, shift, log_w, eta, loss_code, out_value, out_ds, out_dshift, out_pi):
    """``F_i`` and ``∂F_i/∂s_i`` for every point; atom adjoints summed with weights ``sw``.

    ``out_dshift[j] = Σ_i sw_i π_ij φ'_ij`` and ``out_pi[j] = Σ_i sw_i π_ij``. ``log_w`` must be
    normalised (:func:`normalise_log_weights`). Everything is in log space with
    max-subtraction, so ``η`` down to ``1e-6`` and losses of ``1e3`` do not overflow.
    """
    n = scores.shape[0]
    m = shift.shape[0]
    n_chunks = max(1, min(n, _N_CHUNKS))
    part_shift = np.zeros((n_chunks, m))
    part_pi = np.zeros((n_chunks, m))
    for c in prange(n_chunks):
        vals = np.empty(m)
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            top = -np.inf
            for j in range(m):
                vals[j] = log_w[j] + margin_loss(scores[i] + shift[j], loss_code) / eta
                if vals[j] > top:
                    top = vals[j]
            acc = 0.0
            for j in range(m):
                vals[j] = np.exp(vals[j] - top)
                acc += vals[j]
            acc_d = 0.0
            scale = sw[i] / acc
            for j in range(m):
                pd = vals[j] * margin_loss_derivative(scores[i] + shift[j], loss_code)
                acc_d += pd
                part_shift[c, j] += scale * pd
                part_pi[c, j] += scale * vals[j]
            out_value[i] = eta * (top + np.log(acc))
            out_ds[i] = acc_d / acc
    for j in range(m):
        out_dshift[j] = 0.0
        out_pi[j] = 0.0
    for c in range(n_chunks):
        for j in range(m):
            out_dshift[j] += part_shift[c, j]
            out_pi[j] += part_pi[c, j]
