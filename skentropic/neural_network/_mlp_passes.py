"""Forward and backward passes of a softmax MLP and its training step (NumPy).

Network
-------
Layer sizes ``s_0 = d, s_1, …, s_{L-1}, s_L = K``. All parameters live in one flat vector
``θ``; layer ``l`` occupies ``θ[o_l : o_{l+1}]`` = ``W_l`` (``s_l × s_{l+1}``, row-major) followed
by ``b_l`` (``s_{l+1}``), see :func:`~._mlp_estimators.parameter_offsets`. With rows ``H_0 = X``,

    H_{l+1} = f(H_l W_l + b_l)  (hidden layers),   S = H_{L-1} W_{L-1} + b_{L-1}  (scores),

``f`` one of ELU (``z`` if ``z > 0`` else ``eᶻ − 1``), ReLU, tanh, each with a derivative
written through its output ``h`` (``1`` / ``h + 1`` for ELU, ``1{h > 0}``, ``1 − h²``). The loss is
the softmax cross-entropy ``ℓ = logsumexp(S) − S_y``, whose score gradient is ``softmax(S) − e_y``.

Backward pass for row weights ``c_r`` (the only thing that differs between the estimators):
``D_L = c ⊙ (softmax(S) − e_y)``, ``∇W_l = H_lᵀ D_{l+1}``, ``∇b_l = 1ᵀ D_{l+1}``,
``D_l = (D_{l+1} W_lᵀ) ⊙ f'(H_l)``; ``D_0 = D_1 W_0ᵀ`` is the input gradient.

Entropic gradient (DESIGN.md section 3)
---------------------------------------
For a point ``(x, y)`` and inner samples ``u_j``, ``L_j = ℓ(x + ρu_j, y)`` (clipped into the box
``[lo, hi]`` when one is given). Every estimator is linear in the per-sample gradients, so it is
``Σ_j c_j ∇_θ L_j`` and costs one forward and one backward pass over the stacked rows. The
weights ``c`` (ERM, vanilla, SAA, RT-MLMC) are segmented softmaxes (:mod:`~._mlp_estimators`),
the inner draws NumPy (tilted ``l_∞``) or numba kernels; the passes are matrix products, left
to NumPy's BLAS.

Why NumPy here: the passes were numba kernels, and compiling them (``np.dot`` with ``out``
and the epoch/batch/gradient call chain, each level of which re-optimizes the code of the
levels below) took 23 s of a first fit in a fresh process. The products dominate the run time
either way, and the Python overhead is a few calls per minibatch.

Memory: one minibatch of ``B`` points uses ``Σ_i m_i × Σ_l s_l`` floats for activations and
as many for the deltas (``m_i`` the samples of point ``i``); no ``n × m × d`` array is formed.
"""

import numpy as np
import scipy.sparse as sp

from .._core._losses import softmax_cross_entropy
from .._core._mlmc import SAA, TILTED
from .._core._norms import NORM_INF
from .._core._sampling import fill_unit_ball_points, seed_numba
from .._core._tilted import TILTED_POINTS
from .._core._tilted_numpy import draw_tilted_linf
from ._mlp_estimators import ERM, anchor_rows, batch_weights, draw_counts
from ._network import dense_rows, layer_views
from ._optimizers import optimizer_step

ELU = 0
RELU = 1
TANH = 2
ACTIVATION_CODES = {"elu": ELU, "relu": RELU, "tanh": TANH}


def activate(Z, act_code):
    """Apply the activation in place (ELU as ``max(z, 0) + expm1(min(z, 0))``, no overflow)."""
    if act_code == ELU:
        negative = np.minimum(Z, 0.0)
        np.expm1(negative, out=negative)
        np.maximum(Z, 0.0, out=Z)
        Z += negative
    elif act_code == RELU:
        np.maximum(Z, 0.0, out=Z)
    else:
        np.tanh(Z, out=Z)


def multiply_derivative(D, H, act_code):
    """``D ← D ⊙ f'(z)`` with ``f'`` written through the activation output ``H = f(z)``."""
    if act_code == ELU:
        D *= np.where(H <= 0.0, H + 1.0, 1.0)
    elif act_code == RELU:
        D[H <= 0.0] = 0.0
    else:
        D *= 1.0 - H * H


def forward(theta, sizes, offsets, act_code, X):
    """Activations ``[H_0 = X, H_1, …, H_L = S]`` of the rows of ``X``."""
    coefs, intercepts = layer_views(theta, sizes, offsets)
    H = [X]
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = H[-1] @ W
        Z += b
        if layer < len(coefs) - 1:
            activate(Z, act_code)
        H.append(Z)
    return H


def backward(theta, sizes, offsets, act_code, H, D, grad=None, input_grad=False):
    """Back-propagate the weighted top delta ``D = D_L`` through the activations ``H``.

    Writes ``∇W_l = H_lᵀ D_{l+1}`` and ``∇b_l = 1ᵀ D_{l+1}`` into ``grad`` (same layout as ``θ``;
    skipped when ``None``) and returns ``D_0 = D_1 W_0ᵀ`` when ``input_grad`` (else ``None``).
    """
    coefs, _ = layer_views(theta, sizes, offsets)
    grad_coefs, grad_intercepts = layer_views(grad, sizes, offsets) if grad is not None else (None, None)
    for layer in range(len(coefs) - 1, -1, -1):
        if grad is not None:
            np.dot(H[layer].T, D, out=grad_coefs[layer])
            np.sum(D, axis=0, out=grad_intercepts[layer])
        if layer == 0 and not input_grad:
            return None
        D = D @ coefs[layer].T
        if layer > 0:
            multiply_derivative(D, H[layer], act_code)
    return D


def forward_scores(theta, sizes, offsets, act_code, X):
    """Scores ``S`` (``n × K``) of the rows of ``X``."""
    return forward(theta, sizes, offsets, act_code, X)[-1]


def loss_input_gradient(theta, sizes, offsets, act_code, X, labels):
    """Per-row cross-entropy ``ℓ(x_r, y_r)`` and its input gradient ``∇_x ℓ`` (``n × d``)."""
    H = forward(theta, sizes, offsets, act_code, X)
    losses = softmax_cross_entropy(H[-1], labels)
    return losses, backward(theta, sizes, offsets, act_code, H, H[-1], input_grad=True)


def batch_tilts(theta, sizes, offsets, act_code, X, y, idx, rho, eta, norm_code, anchor_fgm, lo, hi,
                has_box):
    """Tilts ``θ_i = (ρ/η) ∇_x ℓ(a_i)`` of the batch's points, ``a_i`` the point itself or one
    fast-gradient step from it (``a = clip(x + ρ·dir(∇_x ℓ(x)))``, ``dir`` the steepest-ascent
    unit step of the ball); a tilt with a non-finite entry is set to 0 (the uniform proposal,
    see :func:`~skentropic._core._tilted.zero_if_not_finite`)."""
    rows = np.array(X[idx], dtype=np.float64, order="C")
    labels = y[idx]
    _, g = loss_input_gradient(theta, sizes, offsets, act_code, rows, labels)
    if anchor_fgm:
        anchor_rows(rows, g, rho, norm_code, lo, hi, has_box)
        _, g = loss_input_gradient(theta, sizes, offsets, act_code, rows, labels)
    g *= rho / eta
    g[~np.isfinite(g).all(axis=1)] = 0.0
    return g


def draw_rows(X, y, idx, mode, rho, norm_code, max_level, n_saa, saa_seed, lo, hi, has_box, tilts,
              tilted, rng):
    """The stacked inner rows of a batch: ``(rows, labels, log_w, counts, levels)``.

    Point ``i`` (row ``idx[i]`` of ``X``) gets ``counts[i]`` rows ``clip(x + ρ u_j)``
    (:func:`~._mlp_estimators.draw_counts`: the RT-MLMC levels come from the NumPy generator ``rng``).
    ``u_j`` is uniform in the unit ball, or drawn from the proposal aimed at ``tilts[i]`` with
    log weight ``log_w`` when ``tilted`` (:func:`~skentropic._core._tilted.fill_tilted`); SAA
    seeds the generator with ``saa_seed + idx[i]`` before point ``i``'s draws. The tilted
    ``l_∞`` draws of RT-MLMC and vanilla (the default) come from ``rng`` in NumPy
    (:func:`~skentropic._core._tilted_numpy.draw_tilted_linf`: the same law, no kernel to
    compile); the others from the ball's own numba sampler, seeded by the caller, so a fit
    compiles only that one. Samples leaving the box are clipped after drawing: the weight is
    that of the unclipped ``u``, so the estimate is the one of ``E_u exp(ℓ(clip(x + ρu))/η)``,
    as with uniform samples.
    """
    counts, levels = draw_counts(mode, idx.shape[0], max_level, n_saa, rng)
    source = np.repeat(idx, counts)
    log_w = np.zeros(source.shape[0])
    if mode == ERM:
        return X[source], y[source], log_w, counts, levels
    seeds = (saa_seed + idx) if mode == SAA else np.empty(0, dtype=np.int64)
    if _numpy_draws(mode, tilted, norm_code) and rng is not None:
        rows, log_w = draw_tilted_linf(tilts, counts, rng)  # NumPy: no sampler to compile
    else:
        rows = np.empty((source.shape[0], X.shape[1]))  # the draws u, then x + ρu in place
        if tilted:
            TILTED_POINTS[norm_code](rows, counts, tilts, seeds, log_w)
        else:
            fill_unit_ball_points(rows, counts, seeds, norm_code)
    rows *= rho
    rows += X[source]
    if has_box:
        np.clip(rows, lo, hi, out=rows)
    return rows, y[source], log_w, counts, levels


def _numpy_draws(mode, tilted, norm_code):
    """Whether :func:`draw_rows` draws from the NumPy generator (tilted ``l_∞``, not SAA)."""
    return tilted and norm_code == NORM_INF and mode != SAA


def batch_gradient(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta, norm_code, max_level,
                   n_saa, saa_seed, lo, hi, has_box, grad, proposal, anchor_fgm, ess_out, rng=None):
    """Gradient of the minibatch objective ``(1/B) Σ_i F̂_i`` into ``grad``; returns ``Σ_i F̂_i``.

    ``idx`` are the rows of ``X``/``y`` in the batch (``B = len(idx)``). The RT-MLMC levels and
    the tilted ``l_∞`` draws come from the NumPy generator ``rng``, the other draws from numba's
    generator, which the caller has seeded (:func:`draw_rows`; without ``rng``, every draw
    comes from numba's generator).
    The L2 penalty is not included. ``proposal = TILTED``: the inner samples of point ``i``
    come from the proposal of :mod:`skentropic._core._tilted` aimed at ``θ_i``
    (:func:`batch_tilts`) and every softmax uses ``L_j/η + log w_j`` (exact weights
    ``w = p/q``, so the estimators target the same ``F``). ``ess_out[0]`` accumulates the points'
    effective sample size fractions ``(Σπ)²/(mΣπ²)``.
    """
    tilted = proposal == TILTED and mode != ERM
    tilts = (batch_tilts(theta, sizes, offsets, act_code, X, y, idx, rho, eta, norm_code, anchor_fgm,
                         lo, hi, has_box) if tilted else np.zeros((1, 1)))
    rows, labels, log_w, counts, levels = draw_rows(X, y, idx, mode, rho, norm_code, max_level, n_saa,
                                                    saa_seed, lo, hi, has_box, tilts, tilted, rng)
    H = forward(theta, sizes, offsets, act_code, rows)
    S = H[-1]
    losses = softmax_cross_entropy(S, labels)
    if tilted:
        losses += eta * log_w
    weights, value, ess = batch_weights(mode, losses, counts, levels, eta, max_level)
    if mode != ERM:
        ess_out[0] += ess
    S *= (weights * (1.0 / idx.shape[0]))[:, None]
    backward(theta, sizes, offsets, act_code, H, S, grad)
    return value


def add_l2_penalty(theta, sizes, offsets, grad, scale):
    """Add ``scale · W_l`` to the weight blocks of ``grad``; return ``½ scale Σ_l ||W_l||²``."""
    penalty = 0.0
    for W, gW in zip(layer_views(theta, sizes, offsets)[0], layer_views(grad, sizes, offsets)[0]):
        gW += scale * W
        penalty += float(np.vdot(W, W))
    return 0.5 * scale * penalty


def train_batch(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta, norm_code, max_level,
                n_saa, saa_seed, lo, hi, has_box, alpha, solver_code, state1, state2, counter,
                hyper, grad, proposal, anchor_fgm, ess_out, rng=None):
    """One optimizer step on the batch ``idx``; returns ``B × (batch objective + penalty)``.

    The penalty follows scikit-learn's MLPClassifier: ``α/(2B) Σ_l ||W_l||²`` per batch.
    """
    value = batch_gradient(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta, norm_code,
                           max_level, n_saa, saa_seed, lo, hi, has_box, grad, proposal, anchor_fgm,
                           ess_out, rng)
    penalty = add_l2_penalty(theta, sizes, offsets, grad, alpha / idx.shape[0])
    optimizer_step(solver_code, theta, grad, state1, state2, counter, hyper)
    return value + penalty * idx.shape[0]


def train_epoch(theta, sizes, offsets, X, y, order, batch_size, seed, **step):
    """One pass over ``X`` in the minibatches ``order[k B : (k+1) B]``; returns the summed objective.

    Seeds numba's generator with ``seed`` first and draws the RT-MLMC levels (and the tilted
    ``l_∞`` draws) from a NumPy generator seeded with ``seed``, so an epoch is a deterministic
    function of its inputs; ``step`` holds the other arguments of :func:`train_batch`. A CSR
    ``X`` is densified one minibatch at a time (the same steps, hence the same parameters bit
    for bit).
    """
    if step["mode"] != ERM and not _numpy_draws(step["mode"], step["proposal"] == TILTED, step["norm_code"]):
        seed_numba(seed)  # (a fit that draws nothing from numba compiles nothing for it)
    rng = np.random.default_rng(seed)
    grad = np.empty_like(theta)
    total = 0.0
    for start in range(0, order.shape[0], batch_size):
        idx = order[start:start + batch_size]
        if sp.issparse(X):
            rows, labels, idx = dense_rows(X, idx), y[idx], np.arange(idx.shape[0])
        else:
            rows, labels = X, y
        total += train_batch(theta, sizes, offsets, X=rows, y=labels, idx=idx, grad=grad, rng=rng,
                             **step)
    return total
