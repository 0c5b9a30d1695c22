"""Tilted importance-sampling rule for the linear models where no exact rule exists.

The multinomial (softmax) loss under every ball, and binary margin losses under the ``l_1``
ball, take ``m`` fixed samples per point from an exponentially tilted proposal
(:mod:`skentropic._core._tilted`) with exact weights ``w = p/q``:

    F_i ≈ η log(1 + (1/m) Σ_j w_ij (exp(ℓ(x_i + ρu_ij, y_i)/η) − 1)),   u_ij ~ q_{θ_i},

an unbiased estimate of ``E_u exp(ℓ/η)`` inside the log (``F_i`` is biased low by about
``η Var/2`` of the relative estimate). The ``−1`` is a control variate (``E_p 1 = 1``
exactly; the losses are ``>= 0``): where the loss is zero (the flat side of a hinge) or
small compared with ``η``, the estimate does not carry the noise of the weights; where the
tail dominates it is the plain importance-sampling estimate. ``ess`` reports the effective
sample size fraction of the gradient weights ``w e^{ℓ/η}``. The tilt of point ``i`` is
``θ_i = (ρ/η) ∇_x ℓ`` at an *anchor* model: for margin losses the gradient at the anchor's
worst case ``s_i − ρ||w||_*``; for the softmax loss at one fast-gradient step from ``x_i``.
The anchor is held fixed while L-BFGS runs (the objective is then a smooth deterministic
function of ``(W, b)`` with an exact gradient) and is moved to the solution between rounds
(:func:`skentropic.linear_model._lbfgs.fit_lbfgs`).

Samples are regenerated in the kernel from per-point seeds (a hash of the point,
:func:`point_seeds`) at every evaluation (no ``n × m × d`` array); the result does not depend
on the number of threads.
"""

import numpy as np
from numba import njit, prange

from .._core._losses import SOFTMAX, margin_loss, margin_loss_derivative, softmax_loss
from .._core._norms import dual_norm
from .._core._projections import ascent_rows
from .._core._tilted import fill_tilted_rows, zero_if_not_finite
from ._chunks import chunk_count, sum_chunks


@njit(cache=True, parallel=True)
def tilted_linear(scores, y, sign, sw, W, anchor_W, coeff, scale, seeds, m, rho, eta, norm_code, loss_code,
                  out_value, out_gs, out_gW, out_ess):
    """Per-point values and gradients of the tilted rule.

    Parameters
    ----------
    scores : ndarray of shape (n, K)
        Clean scores: the signed margin ``y(w·x + b)`` (``K = 1``) or ``W x + b``.
    y : ndarray of shape (n,), int64
        Class indices (softmax); unused for margins.
    sign : ndarray of shape (n,)
        ``y_i ∈ {−1, +1}`` for margins (``1`` for softmax).
    sw : ndarray of shape (n,)
        Weights of the gradient sums.
    W, anchor_W : ndarray of shape (K, d)
        Current and anchor weights.
    coeff : ndarray of shape (n, K)
    scale : float
        ``ρ/η``; the tilt is ``θ_i = scale · sign_i · coeff_i @ anchor_W``.
    seeds : ndarray of shape (n,), int64
        Per-point seeds of the samples.
    m : int
        Samples per point.
    out_value, out_ess : ndarray of shape (n,)
        ``F_i`` and the effective sample size fraction ``(Σπ)²/(mΣπ²)`` of the weights
        ``π_ij ∝ w_ij e^{ℓ_ij/η}``.
    out_gs : ndarray of shape (n, K)
        ``∂F_i/∂scores_i``.
    out_gW : ndarray of shape (K, d)
        ``Σ_i sw_i ∂F_i/∂W`` through the perturbation only: ``ρ Σ_i sw_i Σ_j π_ij g_ij ⊗ u_ij``.
    """
    n, k = scores.shape
    d = W.shape[1]
    n_chunks = chunk_count(n)
    partial = np.zeros((n_chunks, k, d))
    log_m = np.log(m)
    for c in prange(n_chunks):
        U = np.empty((m, d))
        theta = np.empty(d)
        log_w = np.empty(m)
        vals = np.empty(m)
        grads = np.empty((m, k))
        buf = np.empty(k)
        probs = np.empty(k)
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            for q in range(d):
                acc = 0.0
                for r in range(k):
                    acc += coeff[i, r] * anchor_W[r, q]
                theta[q] = scale * sign[i] * acc
            zero_if_not_finite(theta)
            np.random.seed(seeds[i])
            fill_tilted_rows(U, m, theta, norm_code, log_w)
            top = -np.inf
            for j in range(m):
                for r in range(k):
                    acc = 0.0
                    for q in range(d):
                        acc += W[r, q] * U[j, q]
                    buf[r] = scores[i, r] + rho * sign[i] * acc
                if loss_code == SOFTMAX:
                    loss = softmax_loss(buf, y[i], probs)
                    for r in range(k):
                        grads[j, r] = probs[r]
                    grads[j, y[i]] -= 1.0
                else:
                    loss = margin_loss(buf[0], loss_code)
                    grads[j, 0] = margin_loss_derivative(buf[0], loss_code)
                big_l = max(loss, 0.0) / eta
                # log(w (e^L − 1)) = log w + L + log(1 − e^{−L}); −inf where the loss is 0
                vals[j] = log_w[j] + big_l + np.log(-np.expm1(-big_l)) if big_l > 0.0 else -np.inf
                log_w[j] += big_l  # now log(w e^L): the gradient weights
                top = max(top, vals[j])
            if top == -np.inf:  # the loss is 0 on every sample: F = 0
                out_value[i] = 0.0
                out_ess[i] = 1.0
                for r in range(k):
                    out_gs[i, r] = 0.0
                continue
            acc = 0.0
            for j in range(m):
                acc += np.exp(vals[j] - top)
            log_d = top + np.log(acc) - log_m
            log_z = log_d + np.log1p(np.exp(-log_d)) if log_d > 0.0 else np.log1p(np.exp(log_d))
            out_value[i] = eta * log_z
            sa = 0.0
            sq = 0.0
            for r in range(k):
                out_gs[i, r] = 0.0
            for j in range(m):
                p = np.exp(log_w[j] - log_m - log_z)  # ∂F_i/∂ℓ_ij = w e^L / (m (1 + D))
                sa += p
                sq += p * p
                for r in range(k):
                    g = p * grads[j, r]
                    out_gs[i, r] += g
                    coef = sw[i] * g * rho * sign[i]
                    for q in range(d):
                        partial[c, r, q] += coef * U[j, q]
            out_ess[i] = sa * sa / (m * sq)
    sum_chunks(partial, out_gW)


def tilt_coefficients(scores, y, anchor_W, anchor_scores, rho, norm_code, loss_code):
    """``coeff`` of :func:`tilted_linear`: the tilt is ``(ρ/η) coeff_i @ anchor_W = (ρ/η) ∇_x ℓ``.

    Margins: ``∇_x ℓ = φ'(s_i − ρ||w||_*) y_i w`` at the anchor's worst case (``coeff`` carries
    ``φ'(·)``; the kernel multiplies by ``y_i`` through ``sign``). Softmax:
    ``∇_x CE = Wᵀ(p' − e_y)`` at the scores ``S' = S + ρ W δ_i`` after one fast-gradient step
    ``δ_i`` of the anchor (``coeff = p' − e_y``). ``anchor_scores`` are the anchor's clean
    scores (same layout as ``scores``).
    """
    if loss_code != SOFTMAX:
        radius = rho * float(dual_norm(anchor_W[0], norm_code))
        z = anchor_scores[:, 0] - radius
        deriv = np.array([margin_loss_derivative(v, loss_code) for v in z])
        return deriv[:, None]
    S = anchor_scores
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(S.shape[0]), y] -= 1.0
    step = ascent_rows(np.ascontiguousarray(P @ anchor_W), norm_code)
    S2 = S + rho * step @ anchor_W.T
    P2 = np.exp(S2 - S2.max(axis=1, keepdims=True))
    P2 /= P2.sum(axis=1, keepdims=True)
    P2[np.arange(S.shape[0]), y] -= 1.0
    return np.ascontiguousarray(P2)


def point_seeds(seed, X, labels):
    """Per-point seeds of the samples, from the rule's seed and the point itself.

    Every row is hashed exactly (the bits of its values times per-column odd constants, added
    modulo 2^64, which does not depend on the order of the additions) with its label, so
    identical points get identical samples: a repeated point then counts exactly like a point
    of weight 2 (scikit-learn's sample-weight equivalence), and a point's estimate does not
    depend on its position. Dense or CSR ``X``.
    """
    d = X.shape[1]
    keys = np.random.RandomState(seed).randint(1, 2**62, size=d, dtype=np.int64).astype(np.uint64) * np.uint64(2) + \
        np.uint64(1)
    with np.errstate(over="ignore"):
        if hasattr(X, "tocsr"):
            X = X.tocsr()
            bits = np.ascontiguousarray(X.data, dtype=np.float64).view(np.uint64) * keys[X.indices]
            sums = np.zeros(X.shape[0], dtype=np.uint64)
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            np.add.at(sums, rows, bits)
        else:
            bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64) * keys[None, :]
            sums = bits.sum(axis=1, dtype=np.uint64)
        mixed = sums ^ (np.asarray(labels).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(seed)
        mixed = (mixed ^ (mixed >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    return ((mixed >> np.uint64(33)) % np.uint64(2**31 - 1)).astype(np.int64)
