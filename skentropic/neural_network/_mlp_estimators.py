"""The MLP's entropic gradient estimators: rows per point, row weights and FGM anchors (NumPy).

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

A minibatch stacks the rows of all its points (point ``i`` owns ``counts[i]`` consecutive rows),
so every softmax above is a *segmented* softmax over those blocks, computed for the whole batch
at once with ``np.maximum.reduceat``/``np.add.reduceat`` and max-subtraction. This is NumPy,
not numba, so that a fit in a fresh process does not pay a compilation for it (these kernels
took 3 s of the first MLP fit); the inner draws stay numba kernels
(:mod:`skentropic._core._tilted`, :mod:`skentropic._core._sampling`).
"""

import numpy as np

from .._core._mlmc import ESTIMATOR_CODES, RT_MLMC, SAA, VANILLA, level_probability  # noqa: F401
from .._core._projections import ascent_rows

ERM = -1  # beside the estimator codes of ``_mlmc`` (RT_MLMC, VANILLA, SAA)

# ``level_probability`` is a numba kernel for the linear solvers; its Python function is the
# same formula and broadcasts over arrays of levels without compiling anything.
_level_probability = level_probability.py_func


def parameter_offsets(sizes):
    """Start of each layer's block in ``θ`` (``len(sizes)`` entries, the last is ``len(θ)``)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    blocks = (sizes[:-1] + 1) * sizes[1:]
    return np.concatenate(([0], np.cumsum(blocks))).astype(np.int64)


def draw_counts(mode, n_batch, max_level, n_saa, rng):
    """Rows per point of a batch, ``(counts, levels)``: one for ``ERM``, ``2^{levels[i]}`` for
    RT-MLMC (``levels[i] = l`` with probability ``p_l``, by inverting the CDF of a uniform draw
    of the NumPy generator ``rng``), ``2^L`` for vanilla, ``n_saa`` for SAA."""
    levels = np.zeros(n_batch, dtype=np.int64)
    if mode == ERM:
        return np.ones(n_batch, dtype=np.int64), levels
    if mode == RT_MLMC:
        cdf = np.cumsum(_level_probability(np.arange(max_level), max_level))
        levels = np.searchsorted(cdf, rng.random(n_batch), side="right").astype(np.int64)
        return np.left_shift(1, levels), levels
    return np.full(n_batch, (1 << max_level) if mode == VANILLA else n_saa, dtype=np.int64), levels


def segment_softmax(values, sizes, eta):
    """``π = softmax(values/η)`` within consecutive blocks of ``sizes`` rows, and each block's
    ``η log mean_j exp(values_j/η) = M + η log mean_j exp((values_j − M)/η)``, ``M`` its max.

    Parameters
    ----------
    values : ndarray of shape (sum(sizes),)
    sizes : ndarray of int, every entry >= 1
    eta : float, > 0

    Returns
    -------
    weights : ndarray of shape (sum(sizes),)
    entropic : ndarray of shape (len(sizes),)
    """
    starts = np.cumsum(sizes) - sizes
    top = np.maximum.reduceat(values, starts)
    weights = np.exp((values - np.repeat(top, sizes)) / eta)
    total = np.add.reduceat(weights, starts)
    weights /= np.repeat(total, sizes)
    return weights, top + eta * np.log(total / sizes)


def batch_weights(mode, losses, counts, levels, eta, max_level):
    """Row weights ``c`` of a batch (see the module docstring); returns ``(c, Σ_i F̂_i, Σ_i ESS_i)``
    with ``ESS_i = (Σπ)²/(m_iΣπ²)`` the effective sample size fraction of point ``i``'s
    full-level weights ``π ∝ e^{L/η}`` (1 for one row).

    With tilted samples ``losses`` holds ``L_j + η log w_j`` (:func:`~._mlp_passes.draw_rows`).
    """
    if mode == ERM:
        return np.ones_like(losses), float(losses.sum()), float(counts.shape[0])
    weights, estimate = segment_softmax(losses, counts, eta)
    starts = np.cumsum(counts) - counts
    ess = float(np.sum(1.0 / (counts * np.add.reduceat(weights * weights, starts))))
    if mode != RT_MLMC:
        return weights, float(estimate.sum()), ess
    split = counts > 1
    if split.any():
        in_split = np.repeat(split, counts)
        half_weights, half = segment_softmax(losses[in_split], np.repeat(counts[split] // 2, 2), eta)
        weights[in_split] -= 0.5 * half_weights
        estimate[split] -= 0.5 * (half[0::2] + half[1::2])
    inv_p = 1.0 / _level_probability(levels, max_level)
    weights *= np.repeat(inv_p, counts)
    return weights, float(np.sum(estimate * inv_p)), ess


def anchor_rows(rows, g, rho, norm_code, lo, hi, has_box):
    """``rows ← clip(rows + ρ·dir(g))`` row by row, ``dir`` the steepest-ascent unit step
    (:func:`~skentropic._core._projections.ascent_rows`)."""
    rows += rho * ascent_rows(g, norm_code)
    if has_box:
        np.clip(rows, lo, hi, out=rows)
