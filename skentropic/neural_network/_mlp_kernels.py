"""Forward and backward passes of a softmax MLP and its entropic gradient estimators (numba).

Network
-------
Layer sizes ``s_0 = d, s_1, …, s_{L-1}, s_L = K``. All parameters live in one flat vector
``θ``; layer ``l`` occupies ``θ[o_l : o_{l+1}]`` = ``W_l`` (``s_l × s_{l+1}``, row-major) followed
by ``b_l`` (``s_{l+1}``), see :func:`parameter_offsets`. With rows ``H_0 = X``,

    H_{l+1} = f(H_l W_l + b_l)  (hidden layers),   S = H_{L-1} W_{L-1} + b_{L-1}  (scores),

``f`` one of ELU (``z`` if ``z > 0`` else ``eᶻ − 1``), ReLU, tanh, each with a derivative
written through its output ``h`` (``1`` / ``h + 1`` for ELU, ``1{h > 0}``, ``1 − h²``). The loss is
the softmax cross-entropy ``ℓ = logsumexp(S) − S_y``, whose score gradient is ``softmax(S) − e_y``.

Backward pass for row weights ``c_r`` (the only thing that differs between the estimators):
``D_L = c ⊙ (softmax(S) − e_y)``, ``∇W_l = H_lᵀ D_{l+1}``, ``∇b_l = 1ᵀ D_{l+1}``,
``D_l = (D_{l+1} W_lᵀ) ⊙ f'(H_l)``; ``D_0 = D_1 W_0ᵀ`` is the input gradient.

Entropic gradient (DESIGN.md section 3)
---------------------------------------
For a point ``(x, y)`` and inner samples ``u_j ~ U(B_1)``, ``L_j = ℓ(x + ρu_j, y)`` (clipped into
the box ``[lo, hi]`` when one is given). Every estimator is linear in the per-sample gradients,
so it is ``Σ_j c_j ∇_θ L_j`` and costs one forward and one backward pass over the stacked rows:

- ``ERM``: one row ``x`` (no perturbation), ``c = 1``.
- ``VANILLA`` (``m = 2^L``) and ``SAA`` (``m`` samples regenerated each epoch from the seed
  ``saa_seed + i`` of point ``i``, so they are fixed): ``c = π = softmax(L/η)``.
- ``RT_MLMC``: level ``l`` with ``p_l = 2^{−l}/(2 − 2^{−L})``, ``m = 2^l``,
  ``c_j = (π_j − ½ π^{half}_j) / p_l`` (``π^{half}`` the softmax within each half; ``c = 1/p_0``
  at ``l = 0``). Its expectation telescopes to ``E[v^L]``.

The reported objective per point is the matching estimate of ``F_i = η log E exp(ℓ/η)``:
``L`` (ERM), the plug-in ``η log mean exp(L/η)`` (vanilla, SAA) or the telescoping difference
``(F^l − ½(F^{l,1} + F^{l,2}))/p_l`` (RT-MLMC, unbiased for ``E F^L``).

Memory: one minibatch of ``B`` points uses ``Σ_i m_i × Σ_l s_l`` floats for activations and
as many for the deltas (``m_i`` the samples of point ``i``); no ``n × m × d`` array is formed.

Compile time: constant arguments of the inner kernels are written ``np.int64(0)`` and
``np.bool_(True)``; numba types a bare ``0`` or ``True`` as a literal and compiles one more
specialization of the callee per literal value.
"""

import numpy as np
from numba import njit

from .._core._logmeanexp import effective_sample_fraction, entropic_weights
from .._core._losses import softmax_loss
from .._core._mlmc import ESTIMATOR_CODES, RT_MLMC, SAA, TILTED, VANILLA, draw_level, level_probability  # noqa: F401
from .._core._projections import ascent_direction
from .._core._sampling import fill_unit_ball
from .._core._tilted import fill_tilted_rows, zero_if_not_finite
from ._optimizers import optimizer_step

ELU = 0
RELU = 1
TANH = 2
ACTIVATION_CODES = {"elu": ELU, "relu": RELU, "tanh": TANH}

ERM = -1  # beside the estimator codes of ``_mlmc`` (RT_MLMC, VANILLA, SAA)


def parameter_offsets(sizes):
    """Start of each layer's block in ``θ`` (``len(sizes)`` entries, the last is ``len(θ)``)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    blocks = (sizes[:-1] + 1) * sizes[1:]
    return np.concatenate(([0], np.cumsum(blocks))).astype(np.int64)


@njit(cache=True)
def layer_params(theta, sizes, offsets, layer):
    """Views ``(W_l, b_l)`` into ``θ``."""
    n_in = sizes[layer]
    n_out = sizes[layer + 1]
    o = offsets[layer]
    split = o + n_in * n_out
    return theta[o:split].reshape((n_in, n_out)), theta[split:split + n_out]


@njit(cache=True)
def layer_rows(buf, n_rows, sizes, layer):
    """View of layer ``layer``'s ``(n_rows, s_layer)`` block in an activation buffer."""
    start = 0
    for k in range(layer):
        start += n_rows * sizes[k]
    return buf[start:start + n_rows * sizes[layer]].reshape((n_rows, sizes[layer]))


@njit(cache=True)
def activate(Z, act_code):
    """Apply the activation in place to a 2-D array."""
    n, k = Z.shape
    for i in range(n):
        for c in range(k):
            z = Z[i, c]
            if act_code == ELU:
                if z <= 0.0:
                    Z[i, c] = np.expm1(z)
            elif act_code == RELU:
                if z < 0.0:
                    Z[i, c] = 0.0
            else:
                Z[i, c] = np.tanh(z)


@njit(cache=True)
def multiply_derivative(D, H, act_code):
    """``D ← D ⊙ f'(z)`` with ``f'`` written through the activation output ``H = f(z)``."""
    n, k = D.shape
    for i in range(n):
        for c in range(k):
            h = H[i, c]
            if act_code == ELU:
                if h <= 0.0:
                    D[i, c] *= h + 1.0
            elif act_code == RELU:
                if h <= 0.0:
                    D[i, c] = 0.0
            else:
                D[i, c] *= 1.0 - h * h


@njit(cache=True)
def forward(theta, sizes, offsets, act_code, hbuf, n_rows):
    """Fill every layer of ``hbuf`` from its input block (layer 0); the last block gets scores ``S``."""
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        W, b = layer_params(theta, sizes, offsets, layer)
        H = layer_rows(hbuf, n_rows, sizes, layer)
        Z = layer_rows(hbuf, n_rows, sizes, layer + 1)
        np.dot(H, W, Z)
        for i in range(n_rows):
            for c in range(Z.shape[1]):
                Z[i, c] += b[c]
        if layer < n_layers - 1:
            activate(Z, act_code)


@njit(cache=True)
def softmax_cross_entropy(S, labels, losses):
    """``losses[r] = logsumexp(S_r) − S_{r, y_r}``; overwrite ``S`` with ``softmax(S) − e_y``."""
    n, k = S.shape
    probs = np.empty(k)
    for r in range(n):
        losses[r] = softmax_loss(S[r], labels[r], probs)
        for c in range(k):
            S[r, c] = probs[c]
        S[r, labels[r]] -= 1.0


@njit(cache=True)
def backward(theta, sizes, offsets, act_code, hbuf, dbuf, n_rows, grad, input_grad):
    """Back-propagate the top delta block of ``dbuf`` (``D_L``, already weighted).

    Writes ``∇W_l = H_lᵀ D_{l+1}`` and ``∇b_l = 1ᵀ D_{l+1}`` into ``grad`` (same layout as
    ``θ``; skipped when ``grad`` is empty) and, when ``input_grad``, ``D_0 = D_1 W_0ᵀ`` into
    layer 0 of ``dbuf``.
    """
    n_layers = sizes.shape[0] - 1
    with_params = grad.shape[0] > 0
    for layer in range(n_layers - 1, -1, -1):
        W, _ = layer_params(theta, sizes, offsets, layer)
        D = layer_rows(dbuf, n_rows, sizes, layer + 1)
        if with_params:
            gW, gb = layer_params(grad, sizes, offsets, layer)
            H = layer_rows(hbuf, n_rows, sizes, layer)
            np.dot(H.T, D, gW)
            for c in range(gb.shape[0]):
                gb[c] = 0.0
            for i in range(n_rows):
                for c in range(gb.shape[0]):
                    gb[c] += D[i, c]
        if layer > 0 or input_grad:
            D_below = layer_rows(dbuf, n_rows, sizes, layer)
            np.dot(D, W.T, D_below)
            if layer > 0:
                multiply_derivative(D_below, layer_rows(hbuf, n_rows, sizes, layer), act_code)


@njit(cache=True)
def _copy(dst, src):
    """``dst[:, :] = src`` by loops: numba's slice assignment checks shapes with an error message
    whose formatting costs seconds of compilation."""
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@njit(cache=True)
def forward_scores(theta, sizes, offsets, act_code, X):
    """Scores ``S`` (``n × K``) of the rows of ``X``."""
    n = X.shape[0]
    hbuf = np.empty(n * np.sum(sizes))
    _copy(layer_rows(hbuf, n, sizes, np.int64(0)), X)
    forward(theta, sizes, offsets, act_code, hbuf, n)
    return layer_rows(hbuf, n, sizes, sizes.shape[0] - 1).copy()


@njit(cache=True)
def loss_input_gradient(theta, sizes, offsets, act_code, X, labels):
    """Per-row cross-entropy ``ℓ(x_r, y_r)`` and its input gradient ``∇_x ℓ`` (``n × d``)."""
    n = X.shape[0]
    total = np.sum(sizes)
    hbuf = np.empty(n * total)
    dbuf = np.empty(n * total)
    _copy(layer_rows(hbuf, n, sizes, np.int64(0)), X)
    forward(theta, sizes, offsets, act_code, hbuf, n)
    top = sizes.shape[0] - 1
    S = layer_rows(hbuf, n, sizes, top)
    losses = np.empty(n)
    softmax_cross_entropy(S, labels, losses)
    _copy(layer_rows(dbuf, n, sizes, top), S)
    backward(theta, sizes, offsets, act_code, hbuf, dbuf, n, np.empty(0), np.bool_(True))
    return losses, layer_rows(dbuf, n, sizes, np.int64(0)).copy()


@njit(cache=True)
def row_weights(mode, losses, eta, level, max_level, weights, scratch):
    """Row weights ``c`` of one point's block (see the module docstring); returns its ``F``
    estimate and the effective sample size fraction ``(Σπ)²/(mΣπ²)`` of the full-level weights
    ``π ∝ e^{L/η}`` (1 for one row).

    With tilted samples ``losses`` holds ``L_j + η log w_j`` (see :func:`batch_gradient`).
    """
    m = losses.shape[0]
    if mode == ERM:
        weights[0] = 1.0
        return losses[0], 1.0
    if mode != RT_MLMC:
        full = entropic_weights(losses, eta, weights)
        return full, effective_sample_fraction(weights)
    inv_p = 1.0 / level_probability(level, max_level)
    if m == 1:
        weights[0] = inv_p
        return losses[0] * inv_p, 1.0
    half = m // 2
    full = entropic_weights(losses, eta, weights)
    ess = effective_sample_fraction(weights)
    first = entropic_weights(losses[:half], eta, scratch[:half])
    second = entropic_weights(losses[half:], eta, scratch[half:m])
    for j in range(m):
        weights[j] = (weights[j] - 0.5 * scratch[j]) * inv_p
    return (full - 0.5 * (first + second)) * inv_p, ess


@njit(cache=True)
def batch_tilts(theta, sizes, offsets, act_code, X, y, idx, rho, eta, norm_code, anchor_fgm, lo, hi, has_box):
    """Tilts ``θ_i = (ρ/η) ∇_x ℓ(a_i)`` of the batch's points, ``a_i`` the point itself or one
    fast-gradient step from it (``a = clip(x + ρ·dir(∇_x ℓ(x)))``, ``dir`` the steepest-ascent
    unit step of the ball): one or two extra forward/backward passes over ``B`` rows."""
    n_batch = idx.shape[0]
    d = X.shape[1]
    rows = np.empty((n_batch, d))
    labels = np.empty(n_batch, dtype=np.int64)
    for i in range(n_batch):
        labels[i] = y[idx[i]]
        for k in range(d):
            rows[i, k] = X[idx[i], k]
    _, g = loss_input_gradient(theta, sizes, offsets, act_code, rows, labels)
    if anchor_fgm:
        step = np.empty(d)
        for i in range(n_batch):
            ascent_direction(g[i], norm_code, step)
            for k in range(d):
                rows[i, k] += rho * step[k]
                if has_box:
                    rows[i, k] = min(max(rows[i, k], lo[k]), hi[k])
        _, g = loss_input_gradient(theta, sizes, offsets, act_code, rows, labels)
    factor = rho / eta
    for i in range(n_batch):
        for k in range(d):
            g[i, k] *= factor
        zero_if_not_finite(g[i])
    return g


@njit(cache=True)
def batch_gradient(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta, norm_code,
                   max_level, n_saa, saa_seed, lo, hi, has_box, grad, proposal, anchor_fgm, ess_out):
    """Gradient of the minibatch objective ``(1/B) Σ_i F̂_i`` into ``grad``; returns ``Σ_i F̂_i``.

    ``idx`` are the rows of ``X``/``y`` in the batch (``B = len(idx)``). Random draws come
    from numba's generator, which the caller has seeded. The L2 penalty is not included.
    ``proposal = TILTED``: the inner samples of point ``i`` come from the proposal of
    :mod:`skentropic._core._tilted` aimed at ``θ_i`` (:func:`batch_tilts`) and every softmax
    uses ``L_j/η + log w_j`` (exact weights ``w = p/q``, so the estimators target the same
    ``F``). Samples leaving the box are clipped after drawing: the weight is that of the
    unclipped ``u``, so the estimate is the one of ``E_u exp(ℓ(clip(x + ρu))/η)``, the same
    objective as with uniform samples. ``ess_out[0]`` accumulates the points' effective sample
    size fractions ``(Σπ)²/(mΣπ²)``.
    """
    n_batch = idx.shape[0]
    d = X.shape[1]
    tilted = proposal == TILTED and mode != ERM
    tilts = batch_tilts(theta, sizes, offsets, act_code, X, y, idx, rho, eta, norm_code, anchor_fgm, lo, hi,
                        has_box) if tilted else np.zeros((1, 1))
    counts = np.empty(n_batch, dtype=np.int64)
    levels = np.zeros(n_batch, dtype=np.int64)
    n_rows = np.int64(0)
    for i in range(n_batch):
        if mode == ERM:
            counts[i] = 1
        elif mode == RT_MLMC:
            levels[i] = draw_level(max_level)
            counts[i] = 1 << levels[i]
        elif mode == VANILLA:
            counts[i] = 1 << max_level
        else:
            counts[i] = n_saa
        n_rows += counts[i]
    total = np.sum(sizes)
    hbuf = np.empty(n_rows * total)
    dbuf = np.empty(n_rows * total)
    H0 = layer_rows(hbuf, n_rows, sizes, np.int64(0))
    labels = np.empty(n_rows, dtype=np.int64)
    log_w = np.zeros(n_rows)
    U = np.empty((np.max(counts), d))
    r = 0
    for i in range(n_batch):
        p = idx[i]
        m = counts[i]
        if mode == ERM:
            labels[r] = y[p]
            for k in range(d):
                H0[r, k] = X[p, k]
            r += 1
            continue
        if mode == SAA:
            np.random.seed(saa_seed + p)
        if tilted:
            fill_tilted_rows(U, m, tilts[i], norm_code, log_w[r:r + m])
        else:
            for j in range(m):
                fill_unit_ball(U[j], norm_code)
        for j in range(m):
            labels[r] = y[p]
            for k in range(d):
                v = X[p, k] + rho * U[j, k]
                if has_box:
                    v = min(max(v, lo[k]), hi[k])
                H0[r, k] = v
            r += 1
    forward(theta, sizes, offsets, act_code, hbuf, n_rows)
    top = sizes.shape[0] - 1
    S = layer_rows(hbuf, n_rows, sizes, top)
    losses = np.empty(n_rows)
    softmax_cross_entropy(S, labels, losses)
    if tilted:
        for j in range(n_rows):
            losses[j] += eta * log_w[j]
    weights = np.empty(n_rows)
    scratch = np.empty(n_rows)
    D = layer_rows(dbuf, n_rows, sizes, top)
    value = 0.0
    r = 0
    inv_b = 1.0 / n_batch
    for i in range(n_batch):
        m = counts[i]
        estimate, ess = row_weights(mode, losses[r:r + m], eta, levels[i], max_level,
                                    weights[r:r + m], scratch[r:r + m])
        value += estimate
        if mode != ERM:
            ess_out[0] += ess
        for j in range(r, r + m):
            c = weights[j] * inv_b
            for k in range(D.shape[1]):
                D[j, k] = c * S[j, k]
        r += m
    backward(theta, sizes, offsets, act_code, hbuf, dbuf, n_rows, grad, np.bool_(False))
    return value


@njit(cache=True)
def add_l2_penalty(theta, sizes, offsets, grad, scale):
    """Add ``scale · W_l`` to the weight blocks of ``grad``; return ``½ scale Σ_l ||W_l||²``."""
    penalty = 0.0
    for layer in range(sizes.shape[0] - 1):
        W, _ = layer_params(theta, sizes, offsets, layer)
        gW, _ = layer_params(grad, sizes, offsets, layer)
        for a in range(W.shape[0]):
            for c in range(W.shape[1]):
                w = W[a, c]
                gW[a, c] += scale * w
                penalty += w * w
    return 0.5 * scale * penalty


@njit(cache=True)
def train_batch(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta, norm_code, max_level,
                n_saa, saa_seed, lo, hi, has_box, alpha, solver_code, state1, state2, counter,
                hyper, grad, proposal, anchor_fgm, ess_out):
    """One optimizer step on the batch ``idx``; returns ``B × (batch objective + penalty)``.

    The penalty follows scikit-learn's MLPClassifier: ``α/(2B) Σ_l ||W_l||²`` per batch.
    """
    value = batch_gradient(theta, sizes, offsets, act_code, X, y, idx, mode, rho, eta,
                           norm_code, max_level, n_saa, saa_seed, lo, hi, has_box, grad, proposal,
                           anchor_fgm, ess_out)
    penalty = add_l2_penalty(theta, sizes, offsets, grad, alpha / idx.shape[0])
    optimizer_step(solver_code, theta, grad, state1, state2, counter, hyper)
    return value + penalty * idx.shape[0]


@njit(cache=True)
def train_epoch(theta, sizes, offsets, act_code, X, y, order, batch_size, mode, rho, eta,
                norm_code, max_level, n_saa, saa_seed, lo, hi, has_box, alpha, solver_code,
                state1, state2, counter, hyper, seed, proposal, anchor_fgm, ess_out):
    """One pass over ``X`` in the minibatches ``order[k B : (k+1) B]``; returns the summed objective.

    Seeds numba's generator with ``seed`` first, so an epoch is a deterministic function
    of its inputs. ``ess_out[0]`` accumulates the points' inner effective sample sizes.
    """
    np.random.seed(seed)
    grad = np.empty_like(theta)
    n = order.shape[0]
    total = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        total += train_batch(theta, sizes, offsets, act_code, X, y, order[start:stop], mode, rho,
                             eta, norm_code, max_level, n_saa, saa_seed, lo, hi, has_box, alpha,
                             solver_code, state1, state2, counter, hyper, grad, proposal, anchor_fgm,
                             ess_out)
    return total
