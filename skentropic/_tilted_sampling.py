"""Tilted proposals around the data points of any model, for the analysis modules (private).

:func:`tilted_losses` draws, for each point, ``m`` proposals ``z_ij = x_i + ρu_ij`` from the
proposal of :mod:`skentropic._core._tilted` aimed at ``θ_i = (ρ/η) ∇_x ℓ(x'_i)``, the input
gradient one fast-gradient step from ``x_i`` (``x'_i = x_i + ρ·dir(∇_x ℓ(x_i))``: for a
binary linear model this is the slope at the worst case; for the ``l_∞`` and ``l_2`` balls then
moved to the proposal's own mean), with exact weights ``w_ij = p/q``.
:func:`entropic_estimate` turns them into ``F_i = η log E_u exp(ℓ/η)`` with a control
variate: ``F_i = c_i + η log(1 + mean_j w_ij (e^{(ℓ_ij − c_i)/η} − 1))``, ``c_i = min(0, min_j ℓ_ij)``
(``E_p 1 = 1``, so this is unbiased inside the log for any ``c_i``; with ``ℓ >= c_i`` the term
in the log is at least 1).
"""

import numpy as np
from scipy.special import logsumexp

from ._core._norms import NORM_INF, NORM_L2
from ._core._projections import ascent_rows
from ._core._sampling import draw_seed
from ._core._tilt_matching import mean_matched_tilts
from ._core._tilted import sample_tilted_pairs, sample_tilted_rows

_CHUNK_FLOATS = 2_000_000  # rows per chunk: about this many perturbed coordinates


def tilts(part, X, rho, eta, code):
    """``θ_i = (ρ/η) ∇_x ℓ(x'_i)`` at one fast-gradient step ``x'_i`` (``η`` floored at ``1e-12``),
    or at the part's own start where it has one (three or more classes: the worst case of the
    competing class that loses most, when that loses more, exact for a linear model
    (:func:`~skentropic.linear_model._tilted_rule._softmax_start`) and one ascent step on the
    margin for a network (``_loss_models._ClassifierPart``); a local search, so a network's
    maxima that no start reaches are missed); for the ``l_∞`` and ``l_2``
    balls then moved to the proposal's own mean
    (:func:`~skentropic._core._tilt_matching.mean_matched_tilts`)."""
    eta = max(eta, 1e-12)
    step = part.tilt_start(X, rho, code)
    if step is None:
        _, g = part.loss_grad(X, part.target)
        step = ascent_rows(np.ascontiguousarray(g, dtype=np.float64), code)
    _, g2 = part.loss_grad(X + rho * step, part.target)
    theta = rho / eta * np.asarray(g2, dtype=np.float64)
    if code in (NORM_INF, NORM_L2):
        target = np.asarray(part.target)
        theta = mean_matched_tilts(lambda shift, rows: np.asarray(part.loss_grad(X[rows] + shift, target[rows])[1]),
                                   theta, rho, eta, code)
    return np.ascontiguousarray(theta)


def tilted_losses(part, X, rho, eta, code, n_samples, rng, antithetic=False):
    """Yield ``(start, stop, Z, log_w, L)`` for row chunks: proposals ``Z (rows, m, d)``, their log
    weights and losses ``(rows, m)``; each chunk draws from its own seed. ``antithetic``: pairs
    ``(u, −u)`` from the symmetrised proposal (:func:`~skentropic._core._tilted.sample_tilted_pairs`)."""
    n, d = X.shape
    theta = tilts(part, X, rho, eta, code)
    rows = max(1, _CHUNK_FLOATS // (n_samples * d))
    seeds = [draw_seed(rng) for _ in range(0, n, rows)]
    for seed, start in zip(seeds, range(0, n, rows)):
        stop = min(n, start + rows)
        if antithetic:
            U, log_w = sample_tilted_pairs(theta[start:stop], n_samples // 2, code, seed)
        else:
            U, log_w = sample_tilted_rows(theta[start:stop], n_samples, code, seed)
        Z = X[start:stop, None, :] + rho * U
        target = np.repeat(part.target[start:stop], n_samples)
        L = part.loss(Z.reshape(-1, d), target).reshape(stop - start, n_samples)
        yield start, stop, Z, log_w, L


def entropic_estimate(L, log_w, eta, baseline=None):
    """``(F, se)`` per row from tilted proposals (module docstring); ``se`` by the delta method.

    ``baseline``: the constants ``c_i`` (the clean losses make ``F − c`` small and accurate when
    the penalty is tiny); rows where ``1 + D`` is not clearly positive then fall back to
    ``c_i = min(0, min_j ℓ_ij)``.
    """
    if baseline is not None:
        F, se = _estimate(L, log_w, eta, np.asarray(baseline, dtype=float))
        bad = ~np.isfinite(F)
        if bad.any():
            F[bad], se[bad] = _estimate(L[bad], log_w[bad], eta, np.minimum(0.0, L[bad].min(axis=1)))
        return F, se
    return _estimate(L, log_w, eta, np.minimum(0.0, L.min(axis=1)))


def _estimate(L, log_w, eta, c):
    """``c + η log(1 + mean_j w_j (e^{(ℓ_j − c)/η} − 1))`` per row (``nan`` where the log's argument
    is below ``1e-9``), and its delta-method standard error."""
    m = L.shape[1]
    x = (L - c[:, None]) / eta
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if np.all(x >= 0):  # every term non-negative: stay in log space (any size of x)
            terms = log_w + x + np.log(-np.expm1(-x))  # log(w (e^x − 1)); −inf where x = 0
            log_d = logsumexp(terms, axis=1) - np.log(m)
            log_z = np.logaddexp(0.0, log_d)
            spread = np.exp(terms - log_z[:, None])  # w (e^x − 1) / (1 + D)
        else:  # signed terms (a baseline above some losses): they stay small, no overflow
            terms = np.exp(log_w) * np.expm1(x)
            one_d = 1.0 + terms.mean(axis=1)
            log_z = np.where(one_d > 1e-9, np.log(np.maximum(one_d, 1e-300)), np.nan)
            spread = terms / np.maximum(one_d, 1e-300)[:, None]
    se = eta * np.std(spread, axis=1) / np.sqrt(m)
    return c + eta * log_z, se
