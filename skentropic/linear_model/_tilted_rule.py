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
worst case ``s_i − ρ||w||_*``; for the softmax loss at one fast-gradient step from ``x_i`` or
at the worst case of the competing class that loses most (:func:`_softmax_start`), and under
the ``l_∞`` and ``l_2`` balls then at the proposal's own mean
(:func:`~skentropic._core._tilt_matching.mean_matched_tilts`; for ``l_∞``, since 2026-11-29, the
same fixed point found by the Newton solver of the softmax large-deviation bound,
:func:`~._softmax_laplace.matched_tilts`, from that start: faster on the 10-class digits (ad
hoc), and ``benchmarks/bench_multinomial_accuracy.py --convergence`` gave the same rows, one
closer to 4096 samples). The anchor is held fixed while L-BFGS runs (the objective is then a
smooth deterministic function of ``(W, b)`` with an exact gradient) and is moved to the solution
between rounds (:func:`skentropic.linear_model._lbfgs.fit_lbfgs`).

Samples come from per-point seeds (a hash of the point, :func:`point_seeds`): the draws of a
point depend only on its seed and its tilt. They are made once per anchor and kept while they
take at most ``CACHE_BYTES`` (the digits: 1797 points × 32 samples × 64 coordinates, 29 MB);
beyond that they are regenerated block by block at every evaluation, so memory stays bounded
by a block. The result does not depend on the number of threads. The ``l_∞`` draws are made in
NumPy from per-point SplitMix64 streams (:func:`~skentropic._core._tilted_numpy.draw_tilted_linf_seeded`;
since 2026-11-29): the kernel's MT19937, reseeded at every point, and its scalar ``log1p`` made
the 10-class digits' final draws (1797 × 32 × 64 coordinates) take about 53 ms; now about 8 ms
(the same law and weights, other draws; ad hoc, median of 10).
"""

import functools
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .._core._losses import SOFTMAX, margin_losses, softmax_cross_entropy
from .._core._norms import NORM_INF, NORM_L2, dual_norm
from .._core._projections import ascent_rows
from .._core._threads import single_blas_thread
from .._core._tilt_matching import mean_matched_tilts
from .._core._tilted import TILTED_POINTS
from .._core._tilted_numpy import draw_tilted_linf_seeded
from ._softmax_laplace import matched_tilts

# draws per block of points (4 MB of float64; blocks run on threads). With 8 MB the 10-class
# digits' aiming rounds (8 samples per point) were one block on one thread
BLOCK_FLOATS = 2**19
CACHE_BYTES = 2**27  # the draws of all points are kept between evaluations up to this size


def tilted_setup(cache, X, labels, sign, anchor_W, anchor_b, rho, eta, seed, m, norm_code, loss_code):
    """What an evaluation needs that depends only on the anchor and the data: ``(tilts, seeds,
    draws)``.

    The tilt of point ``i`` is ``θ_i = (ρ/η) sign_i coeff_i @ anchor_W``
    (:func:`tilt_coefficients`; softmax and the ``l_∞`` or ``l_2`` ball: moved to the
    proposal's mean by :func:`~._softmax_laplace.matched_tilts` (``l_∞``) or
    :func:`~skentropic._core._tilt_matching.mean_matched_tilts` (``l_2``); ``0``, the uniform
    proposal, where it is not finite), its seed :func:`point_seeds`, and ``draws = (U, log_w)``
    the ``m`` draws of every point (:func:`draw_tilted`) when there is a ``cache`` and they take
    at most ``CACHE_BYTES`` (else ``None``: they are made block by block at each evaluation).
    With a ``cache`` (a dict, serving the evaluations of one fit) the result is kept with ``X``
    itself (compared by identity), ``m`` and a digest of every other input, so the evaluations of
    one L-BFGS run (one anchor) make it once, and a cached evaluation equals a fresh one bit for
    bit; a new anchor replaces it, and the same anchor with another ``m`` (an aiming round that
    did not move, then the last run) keeps the tilts and seeds and only draws again.
    """
    key = None
    if cache is not None:  # (without one there is nothing to look up: no digest)
        key = _digest(labels, sign, anchor_W, anchor_b, rho, eta, seed, norm_code, loss_code)
        kept_X, kept_key, kept_m, kept_setup = cache.get("tilted", (None, None, None, None))
        # X by identity: a rule's cache serves one fit, whose X does not change (hashing it
        # at every evaluation was a visible share of the 10-class digits fit)
        if kept_X is X and kept_key == key:
            if kept_m == m:
                return kept_setup
            # the same anchor with another sample count (an aiming round that did not move,
            # then the last run): the same tilts and seeds, new draws
            return _keep_draws(cache, X, key, m, kept_setup[0], kept_setup[1], norm_code)
    anchor_scores = np.asarray(X @ anchor_W.T) + anchor_b
    if loss_code != SOFTMAX:
        anchor_scores = anchor_scores * sign[:, None]
    coeff = tilt_coefficients(labels, anchor_W, anchor_scores, rho, norm_code, loss_code)
    tilts = (rho / eta) * sign[:, None] * (coeff @ anchor_W)
    if loss_code == SOFTMAX and norm_code == NORM_INF:  # (the margin tilts are exact already)
        tilts = matched_tilts(anchor_scores, labels, anchor_W, rho, eta, tilts)
    elif loss_code == SOFTMAX and norm_code == NORM_L2:
        tilts = mean_matched_tilts(lambda shift, rows: _score_gradient(anchor_scores[rows] + shift @ anchor_W.T,
                                                                       labels[rows]) @ anchor_W,
                                   tilts, rho, eta, norm_code)
    tilts[~np.isfinite(tilts).all(axis=1)] = 0.0
    seeds = point_seeds(seed, X, labels + (sign > 0))
    return _keep_draws(cache, X, key, m, tilts, seeds, norm_code)


def _keep_draws(cache, X, key, m, tilts, seeds, norm_code):
    """``(tilts, seeds, draws)`` with the draws made when they are kept (a ``cache`` and at most
    ``CACHE_BYTES``), stored in the ``cache`` under ``(X, key, m)``."""
    kept = cache is not None and tilts.size * m * 8 <= CACHE_BYTES
    setup = (tilts, seeds, draw_tilted(tilts, seeds, m, norm_code) if kept else None)
    if cache is not None:
        cache["tilted"] = (X, key, m, setup)
    return setup


def _digest(*arrays):
    """A digest of the arguments (arrays or numbers)."""
    digest = hashlib.blake2b(digest_size=32)
    for part in arrays:
        part = np.ascontiguousarray(part)
        digest.update(str((part.dtype, part.shape)).encode())
        digest.update(part.tobytes())
    return digest.digest()


def tilted_linear(scores, y, sign, sw, W, tilts, seeds, m, rho, eta, norm_code, loss_code, draws=None, se=None):
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
    W : ndarray of shape (K, d)
        Current weights.
    tilts : ndarray of shape (n, d)
        The tilt ``θ_i`` of each point's proposal (:func:`tilted_setup`).
    seeds : ndarray of shape (n,), int64
        Per-point seeds of the samples.
    m : int
        Samples per point.
    draws : tuple ``(U, log_w)`` or None
        The draws of all points (:func:`draw_tilted`); ``None``: drawn block by block.
    se : ndarray of shape (n,) or None
        If given, filled with the delta-method standard error of each ``F_i``,
        ``η sd_j(w_j (e^{L_j} − 1)) / ((1 + D) √m)``.

    Returns
    -------
    value, ess : ndarray of shape (n,)
        ``F_i`` and the effective sample size fraction ``(Σπ)²/(mΣπ²)`` of the weights
        ``π_ij ∝ w_ij e^{ℓ_ij/η}``.
    gs : ndarray of shape (n, K)
        ``∂F_i/∂scores_i``.
    gW : ndarray of shape (K, d)
        ``Σ_i sw_i ∂F_i/∂W`` through the perturbation only: ``ρ Σ_i sw_i Σ_j π_ij g_ij ⊗ u_ij``.

    Points are evaluated in blocks of at most ``BLOCK_FLOATS`` drawn coordinates, on numba's
    number of threads (fixed block sizes, and the sums added in block order: the result does not
    depend on the threads); in a block the sample scores ``S + ρ sign U Wᵀ`` and the gradient
    ``Cᵀ U`` are matrix products.
    """
    n, k = scores.shape
    value, ess, gs = np.empty(n), np.empty(n), np.empty((n, k))

    def run(pts):
        rows = slice(pts.start * m, pts.stop * m)
        if draws is None:
            U, log_w = draw_tilted(tilts[pts], seeds[pts], m, norm_code, spread=False)
        else:
            U, log_w = draws[0][rows], draws[1][rows]
        return _block(scores[pts], y[pts], sign[pts], sw[pts], W, U, log_w, m, rho, eta, loss_code,
                      value[pts], ess[pts], gs[pts], None if se is None else se[pts])

    gW = np.zeros_like(W)
    for part in _run_blocks(run, n, m * W.shape[1]):  # in block order
        gW += part
    return value, ess, gs, gW


def draw_tilted(tilts, seeds, m, norm_code, spread=True):
    """``m`` draws of the proposal ``q_{θ_i}`` per point (row ``i`` of ``tilts``), seeded with
    ``seeds[i]``: ``(U, log_w)`` with point ``i``'s rows at ``i m .. (i + 1) m − 1``. Many points
    are drawn in blocks on threads (each point reseeds: the same draws), at least one per thread
    with ``spread``; a caller already on a block thread passes ``spread=False`` (its block is
    then drawn on its own thread: the pool does not take tasks from its own workers)."""
    n_points, d = tilts.shape
    U, log_w = np.empty((n_points * m, d)), np.empty(n_points * m)
    tilts = np.ascontiguousarray(tilts)
    seeds = np.ascontiguousarray(seeds, dtype=np.int64)
    counts = np.full(n_points, m, dtype=np.int64)

    def run(pts):
        rows = slice(pts.start * m, pts.stop * m)
        if norm_code == NORM_INF:  # vectorised (the same law as the kernel, other draws)
            draw_tilted_linf_seeded(U[rows], m, tilts[pts], seeds[pts], log_w[rows])
        else:
            TILTED_POINTS[norm_code](U[rows], counts[pts], tilts[pts], seeds[pts], log_w[rows])

    _run_blocks(run, n_points, m * d, spread=spread)
    return U, log_w


def _run_blocks(run, n_points, floats_per_point, spread=False):
    """``[run(pts) for pts in blocks]`` over fixed blocks of at most ``BLOCK_FLOATS`` floats, on
    numba's number of threads (the samplers and BLAS release the GIL; one BLAS thread each).

    ``spread``: also at least one block per thread, for work whose result does not depend on
    the blocks (the draws: each point reseeds); a fixed split keeps the sums of the
    evaluations independent of the thread count. (The digits' aiming draws, 8 per point, were
    one block on one thread.)
    """
    per_block = max(1, BLOCK_FLOATS // floats_per_point)
    if spread:
        per_block = min(per_block, -(-n_points // numba.get_num_threads()))
    blocks = [slice(start, min(n_points, start + per_block)) for start in range(0, n_points, per_block)]
    workers = min(len(blocks), numba.get_num_threads())
    if workers <= 1:
        return [run(pts) for pts in blocks]
    with single_blas_thread():
        return list(_pool(workers).map(run, blocks))


@functools.lru_cache(maxsize=8)
def _pool(workers):
    """A thread pool kept for the process (starting one at every evaluation was a visible share
    of an evaluation of the 10-class digits). With the digest above, the 10-class digits fits
    went from 0.66-0.81 s to 0.55-0.63 s (``benchmarks/bench_deterministic.py --multiclass``)."""
    return ThreadPoolExecutor(workers, thread_name_prefix="skentropic-blocks")


if hasattr(os, "register_at_fork"):
    # a forked child inherits the pool without its threads: its tasks would wait forever
    os.register_at_fork(after_in_child=_pool.cache_clear)


def _block(scores, y, sign, sw, W, U, log_w, m, rho, eta, loss_code, value, ess, gs, se):
    """:func:`tilted_linear` on the points of one block (``value``, ``ess``, ``gs`` and ``se``, if
    not None, are views into its outputs); returns the block's ``gW``.

    With ``L_j = ℓ_j/η``: ``F = η log(1 + D)``, ``D = (1/m) Σ_j w_j (e^{L_j} − 1)`` (the
    control variate), computed as ``log D = logsumexp_j(log w_j + L_j + log(1 − e^{−L_j})) −
    log m`` (``−inf`` where ``L_j = 0``); ``∂F/∂ℓ_j = π_j = w_j e^{L_j} / (m (1 + D))``.
    """
    n_points, k = scores.shape
    rows = n_points * m
    # the sample scores in column-major order (a (K, rows) product, transposed): the
    # reductions over the K classes then run over whole columns
    S = (W @ U.T).T
    S3 = S.reshape(n_points, m, k)  # a view: point i's samples
    S3 *= (rho * sign)[:, None, None]
    S3 += scores[:, None, :]
    if loss_code == SOFTMAX:
        loss = softmax_cross_entropy(S, np.repeat(y, m))  # S becomes ∂ℓ/∂S
    else:
        loss, ds = np.empty(rows), np.empty(rows)
        margin_losses(np.ascontiguousarray(S[:, 0]), 0.0, loss_code, loss, ds)
        S[:, 0] = ds
    big = np.maximum(loss, 0.0) / eta
    with np.errstate(divide="ignore"):
        vals = (log_w + big + np.log(-np.expm1(-big))).reshape(n_points, m)  # −inf where ℓ = 0
    top = vals.max(axis=1)
    live = top > -np.inf  # a point with ℓ = 0 on every sample has F = 0 and no gradient
    top[~live] = 0.0
    with np.errstate(divide="ignore"):
        log_d = top + np.log(np.exp(vals - top[:, None]).sum(axis=1)) - np.log(m)
    log_z = np.logaddexp(0.0, log_d)
    p = np.exp((log_w + big).reshape(n_points, m) - np.log(m) - log_z[:, None])
    p[~live] = 0.0
    value[:] = np.where(live, eta * log_z, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ess[:] = np.where(live, p.sum(axis=1) ** 2 / (m * (p * p).sum(axis=1)), 1.0)
    if se is not None:  # the terms of D over 1 + D; F = η log(1 + D)
        se[:] = eta * np.std(np.exp(vals - log_z[:, None]), axis=1) / np.sqrt(m)
    gs[:] = np.einsum("ij,ijk->ik", p, S3)
    S *= (p * (rho * sw * sign)[:, None]).reshape(rows, 1)  # in place: S is not needed again
    return (U.T @ S).T


def tilt_coefficients(y, anchor_W, anchor_scores, rho, norm_code, loss_code):
    """``coeff`` of the tilts: the tilt of point ``i`` is ``(ρ/η) coeff_i @ anchor_W = (ρ/η) ∇_x ℓ``
    at a point ``x_i + ρ δ_i`` of its ball.

    Margins: ``∇_x ℓ = φ'(s_i − ρ||w||_*) y_i w`` at the anchor's worst case (``coeff`` carries
    ``φ'(·)``; :func:`tilted_setup` multiplies by ``y_i`` through ``sign``). Softmax:
    ``∇_x CE = Wᵀ(p' − e_y)`` at the scores ``S' = S + ρ W δ_i`` (``coeff = p' − e_y``), with
    ``δ_i`` the start of :func:`_softmax_start` (for the ``l_∞`` and ``l_2`` balls
    :func:`tilted_setup` then moves the tilt to the proposal's own mean). ``anchor_scores`` are
    the anchor's clean scores (same layout as ``coeff``).
    """
    if loss_code != SOFTMAX:
        radius = rho * float(dual_norm(anchor_W[0], norm_code))
        value, deriv = np.empty(y.shape[0]), np.empty(y.shape[0])
        margin_losses(np.ascontiguousarray(anchor_scores[:, 0]), radius, loss_code, value, deriv)
        return deriv[:, None]
    step = _softmax_start(y, anchor_W, anchor_scores, rho, norm_code)
    return np.ascontiguousarray(_score_gradient(anchor_scores + rho * step @ anchor_W.T, y))


def _softmax_start(y, W, S, rho, norm_code):
    """Where each point's softmax tilt starts: of the fast-gradient step ``δ = dir(∇_x CE)`` and
    the worst cases ``dir(w_c − w_y)`` of the margins to every other class ``c`` (``dir`` the
    ascent direction of the ball, :func:`~skentropic._core._projections.ascent_rows`), the one
    with the largest loss ``CE(S + ρ W δ, y)``.

    With three or more classes the integrand ``e^{CE/η}`` can have one mode per competing class,
    and the tilt's fixed-point iteration stays in the mode it starts in. The fast-gradient step
    leans toward the classes that are likely at the clean point, not toward the one whose worst
    case loses most: in ``d = 64`` with ``ρ||W||_1 ≈ 30``, ``η = 0.1``, one point of five read
    ``F = 8.06`` where every class's mode included gives 21.70, and its 2048 samples looked
    converged (``tests/test_tilted_rule.py``, against multiple importance sampling over every
    class's proposal). With two classes both starts are the same. The classes' directions
    depend on the label only: ``K²`` of them for all points.
    """
    n, k = S.shape
    best = ascent_rows(np.ascontiguousarray(_score_gradient(S, y) @ W), norm_code)
    best_loss = _cross_entropy(S + rho * best @ W.T, y)
    dirs = ascent_rows((W[None, :, :] - W[:, None, :]).reshape(k * k, -1), norm_code).reshape(k, k, -1)
    shifts = rho * dirs @ W.T  # shifts[a, c] = ρ W dir(w_c − w_a)
    for c in range(k):
        loss = _cross_entropy(S + shifts[y, c], y)
        better = (loss > best_loss) & (y != c)
        best[better] = dirs[y[better], c]
        best_loss[better] = loss[better]
    return best


def _cross_entropy(S, y):
    """``logsumexp(S_i) − S_{i, y_i}`` of each row (``S`` unchanged)."""
    return softmax_cross_entropy(np.array(S, dtype=np.float64, order="C"), y)


def _score_gradient(S, y):
    """``softmax(S_i) − e_{y_i}`` of each row (a new array)."""
    G = np.array(S, dtype=np.float64, order="C")
    softmax_cross_entropy(G, y)
    return G


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
