"""Numba kernels of the stochastic mirror-descent solver (:mod:`._mirror_descent`): one epoch of
projected SGD steps on the entropic risk of a linear model, with the gradient estimators of
:mod:`skentropic._core._mlmc`."""

import numpy as np
from numba import njit

from .._core._mlmc import RT_MLMC, SAA, draw_inner_samples, draw_level, point_estimate, point_scratch


@njit(cache=True)
def _search_cumulative(cum, r):
    """Smallest index ``i`` with ``cum[i] > r`` (``cum`` increasing, last entry 1)."""
    lo, hi = 0, cum.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def _project(coef, intercept, radius, fit_intercept):
    """Scale ``(coef, intercept)`` onto the Euclidean ball of ``radius`` if outside it."""
    sq = 0.0
    for c in range(coef.shape[0]):
        for k in range(coef.shape[1]):
            sq += coef[c, k] * coef[c, k]
        if fit_intercept:
            sq += intercept[c] * intercept[c]
    if sq > radius * radius:
        s = radius / np.sqrt(sq)
        coef *= s
        if fit_intercept:
            intercept *= s


@njit(cache=True)
def epoch_kernel(
    X, y, cum_weights, coef, intercept, avg_coef, avg_int, avg_count,
    rho, eta, norm_code, loss_code, alpha, fit_intercept, method, max_level, n_saa, saa_seeds,
    batch_size, n_steps, step0, schedule, step_offset, steps_per_epoch, radius, do_average, seed,
    proposal,
):
    """Run ``n_steps`` projected SGD steps in place; return ``(n_inner_samples, avg_count, ess)``.

    ``proposal`` (``UNIFORM`` or ``TILTED``, :mod:`skentropic._core._mlmc`) says where the inner
    samples come from; ``ess`` is the mean effective sample size fraction of the draws.

    ``seed`` seeds numba's generator; the data indices (and RT-MLMC levels) of the whole epoch
    are drawn first, then the inner samples, so the result depends on ``seed`` only. With
    ``SAA`` the samples of point ``i`` are regenerated from ``saa_seeds[i]`` at every visit.
    ``step_offset`` is the global index of the first step (for the schedule). When
    ``do_average`` the running mean ``avg ← avg + (θ − avg)/count`` is updated after each step.
    """
    np.random.seed(seed)
    n, d = X.shape
    k_out = coef.shape[0]
    n_draws = n_steps * batch_size
    idx = np.empty(n_draws, dtype=np.int64)
    levels = np.full(n_draws, max_level, dtype=np.int64)
    for t in range(n_draws):
        idx[t] = _search_cumulative(cum_weights, np.random.random())
        if method == RT_MLMC:
            levels[t] = draw_level(max_level)
    m_max = n_saa if method == SAA else 2**max_level
    U, losses, dscores, weights, base, scores, probs, log_w, theta = point_scratch(m_max, k_out, d)
    r = np.empty(k_out)
    ess_total = 0.0
    gcoef = np.empty((k_out, d))
    gint = np.zeros(k_out)
    inv_b = 1.0 / batch_size
    n_inner = 0
    for step in range(n_steps):
        gcoef[:, :] = 0.0
        gint[:] = 0.0
        for b in range(batch_size):
            t = step * batch_size + b
            i = idx[t]
            if method == SAA:
                m = n_saa
                np.random.seed(saa_seeds[i])
            else:
                m = 2 ** levels[t]
            draw_inner_samples(proposal, X[i], y[i], coef, intercept, rho, eta, norm_code, loss_code, U, m,
                               log_w, theta, scores, probs, r)
            n_inner += m
            ess_total += point_estimate(
                method, levels[t], max_level, X[i], y[i], coef, intercept, rho, eta, loss_code,
                U, m, log_w, losses, dscores, base, scores, probs, weights, inv_b, fit_intercept,
                gcoef, gint,
            )
        gamma = step0
        if schedule == 1:
            gamma = step0 / np.sqrt(1.0 + (step_offset + step) / steps_per_epoch)
        for c in range(k_out):
            for k in range(d):
                coef[c, k] -= gamma * (gcoef[c, k] + alpha * coef[c, k])
            if fit_intercept:
                intercept[c] -= gamma * gint[c]
        if radius > 0.0:
            _project(coef, intercept, radius, fit_intercept)
        if do_average:
            avg_count += 1
            frac = 1.0 / avg_count
            for c in range(k_out):
                for k in range(d):
                    avg_coef[c, k] += frac * (coef[c, k] - avg_coef[c, k])
                avg_int[c] += frac * (intercept[c] - avg_int[c])
    return n_inner, avg_count, ess_total / max(n_draws, 1)
