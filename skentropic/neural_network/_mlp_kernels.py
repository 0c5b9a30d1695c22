"""Numba kernels of the MLP's entropic gradient: inner draws and row weights.

The passes through the network are NumPy (:mod:`~._mlp_passes`); what stays here is the
per-point, per-sample work that has no matrix form.

For a point ``(x, y)`` and inner samples ``u_j``, ``L_j = ℓ(x + ρu_j, y)`` (clipped into the box
``[lo, hi]`` when one is given). The estimators weight the per-sample gradients by ``c_j``:

- ``ERM``: one row ``x`` (no perturbation), ``c = 1``.
- ``VANILLA`` (``m = 2^L``) and ``SAA`` (``m`` samples regenerated each epoch from the seed
  ``saa_seed + i`` of point ``i``, so they are fixed): ``c = π = softmax(L/η)``.
- ``RT_MLMC``: level ``l`` with ``p_l = 2^{−l}/(2 − 2^{−L})``, ``m = 2^l``,
  ``c_j = (π_j − ½ π^{half}_j) / p_l`` (``π^{half}`` the softmax within each half; ``c = 1/p_0``
  at ``l = 0``). Its expectation telescopes to ``E[v^L]``.

The reported objective per point is the matching estimate of ``F_i = η log E exp(ℓ/η)``:
``L`` (ERM), the plug-in ``η log mean exp(L/η)`` (vanilla, SAA) or the telescoping difference
``(F^l − ½(F^{l,1} + F^{l,2}))/p_l`` (RT-MLMC, unbiased for ``E F^L``).
"""

import numpy as np
from numba import njit

from .._core._logmeanexp import effective_sample_fraction, entropic_weights
from .._core._mlmc import ESTIMATOR_CODES, RT_MLMC, SAA, VANILLA, draw_level, level_probability  # noqa: F401
from .._core._projections import ascent_direction

ERM = -1  # beside the estimator codes of ``_mlmc`` (RT_MLMC, VANILLA, SAA)


def parameter_offsets(sizes):
    """Start of each layer's block in ``θ`` (``len(sizes)`` entries, the last is ``len(θ)``)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    blocks = (sizes[:-1] + 1) * sizes[1:]
    return np.concatenate(([0], np.cumsum(blocks))).astype(np.int64)


@njit(cache=True)
def row_weights(mode, losses, eta, level, max_level, weights, scratch):
    """Row weights ``c`` of one point's block (see the module docstring); returns its ``F``
    estimate and the effective sample size fraction ``(Σπ)²/(mΣπ²)`` of the full-level weights
    ``π ∝ e^{L/η}`` (1 for one row).

    With tilted samples ``losses`` holds ``L_j + η log w_j``
    (:func:`~._mlp_passes.draw_rows`).
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
def batch_weights(mode, losses, counts, levels, eta, max_level, weights):
    """:func:`row_weights` of every point of a batch (point ``i`` owns ``counts[i]`` consecutive
    rows); returns ``(Σ_i F̂_i, Σ_i ESS_i/m_i)``."""
    scratch = np.empty(losses.shape[0])
    value = 0.0
    ess = 0.0
    r = 0
    for i in range(counts.shape[0]):
        m = counts[i]
        estimate, fraction = row_weights(mode, losses[r:r + m], eta, levels[i], max_level,
                                         weights[r:r + m], scratch[r:r + m])
        value += estimate
        ess += fraction
        r += m
    return value, ess


@njit(cache=True)
def draw_counts(mode, n_batch, max_level, n_saa):
    """Rows per point of a batch, ``(counts, levels)``: one for ``ERM``, ``2^{levels[i]}`` for
    RT-MLMC (levels drawn from numba's generator), ``2^L`` for vanilla, ``n_saa`` for SAA."""
    counts = np.empty(n_batch, dtype=np.int64)
    levels = np.zeros(n_batch, dtype=np.int64)
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
    return counts, levels


@njit(cache=True)
def anchor_rows(rows, g, rho, norm_code, lo, hi, has_box):
    """``rows ← clip(rows + ρ·dir(g))`` row by row, ``dir`` the steepest-ascent unit step."""
    d = rows.shape[1]
    step = np.empty(d)
    for i in range(rows.shape[0]):
        ascent_direction(g[i], norm_code, step)
        for k in range(d):
            v = rows[i, k] + rho * step[k]
            if has_box:
                v = min(max(v, lo[k]), hi[k])
            rows[i, k] = v
