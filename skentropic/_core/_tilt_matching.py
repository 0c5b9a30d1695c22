"""Where the tilted proposals lean: the tilt of each point, matched to its proposal's mean (NumPy).

The samplers of :mod:`._tilted` draw from ``q_θ`` with exact weights for any tilt ``θ``; the tilt
only decides how many samples land where the integrand is large. :func:`mean_matched_tilts`
takes ``θ_i = (ρ/η) ∇_x ℓ`` at the proposal's own mean, the saddle point of the tilted
integrand, with the proposals' means :func:`tilted_uniform_mean` (``l_∞``) and
:func:`l2_proposal_mean` (``l_2``).
"""

import numpy as np

from ._norms import NORM_INF, NORM_L2


def tilted_uniform_mean(theta):
    """Mean of the uniform law on ``[−1, 1]`` tilted by ``e^{θu}``, elementwise (NumPy):
    ``μ(θ) = coth θ − 1/θ`` (the Langevin function, ``d/dθ log(sinh θ/θ)``), by its series
    ``θ/3 − θ³/45 + 2θ⁵/945 − θ⁷/4725 + 2θ⁹/93555`` below ``|θ| = 0.1`` (where ``coth θ − 1/θ``
    cancels; the next term is below ``1e-15`` relative there).
    """
    theta = np.asarray(theta, dtype=np.float64)
    small = np.abs(theta) < 0.1
    safe = np.where(small, 1.0, theta)
    out = np.asarray(np.tanh(safe))  # (an array also for a scalar θ)
    np.reciprocal(out, out=out)
    out -= 1.0 / safe
    if small.any():  # (the series on those entries only: one pass fewer over all of them)
        t = theta[small]
        t2 = t * t
        out[small] = t * (1.0 / 3.0 - t2 * (1.0 / 45.0 - t2 * (2.0 / 945.0 - t2 * (1.0 / 4725.0 - t2 * 2.0 / 93555.0))))
    return out


def l2_proposal_mean(theta):
    """Mean of the ``l_2`` proposal's tilted part for each row ``θ_i`` (NumPy): ``t*(|θ_i|) θ_i/|θ_i|``
    with ``t*(κ) = κ/(ν + √(ν² + κ²))``, ``ν = (d − 1)/2``, the mode of the tilted density
    ``(1 − t²)^ν e^{κt}`` of ``t = u·θ/|θ|`` and the mean of its Beta proposal
    (:func:`~._tilted.l2_beta_parameters`); in ``d = 1`` the exact tilt's :func:`tilted_uniform_mean`.
    """
    theta = np.asarray(theta, dtype=np.float64)
    d = theta.shape[-1]
    if d == 1:
        return tilted_uniform_mean(theta)
    nu = 0.5 * (d - 1.0)
    big = np.max(np.abs(theta), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite tilt gives NaN (callers zero it)
        kappa = big * np.linalg.norm(theta / np.where(big > 0.0, big, 1.0), axis=-1, keepdims=True)
        # t*/κ = 1/(ν + √(ν² + κ²)): no division by κ, and 0 tilt gives mean 0
        return theta / (nu + np.hypot(nu, kappa))


MATCH_ITER = 20  # mean-matching steps of an l_inf or l_2 tilt, at most
MATCH_TOL = 1e-6  # ... until the gradient moves less than this


def mean_matched_tilts(grad_at, theta, rho, eta, norm_code=NORM_INF):
    """``l_∞`` and ``l_2`` balls: the tilts ``θ_i = (ρ/η) ∇_x ℓ(x_i + ρ μ(θ_i))``, the gradient of
    ``ℓ/η`` at the proposal's own mean ``μ`` (:func:`tilted_uniform_mean`, :func:`l2_proposal_mean`),
    by a fixed-point iteration from ``theta`` with Anderson acceleration of depth one, point by
    point (at most ``MATCH_ITER`` steps). With ``G`` the map and ``r_n = G(θ_n) − θ_n``:

        θ_{n+1} = θ_n + r_n − γ_n (Δθ_n + Δr_n),   γ_n = r_n·Δr_n / |Δr_n|²,

    (``Δ`` the change from the step before; the first step is ``θ_1 = G(θ_0)``). A point stops
    once its residual ``|r_n|_∞ η/ρ`` (the gradient's move) is below ``MATCH_TOL`` and returns the
    iterate with the smallest residual it reached, so its tilt depends on that point alone
    (scikit-learn's equality of weighted and repeated data; until 2026-11-28 every point stepped
    until all had converged, which broke it at 1e-9 of the objective). Only the points still
    stepping are evaluated. The damped iteration used until 2026-11-28, ``θ_{n+1} = (θ_n +
    G(θ_n))/2``, converges at ``(1 + J)/2`` per step where ``G`` has slope ``J``, which is
    positive here (the loss's gradient grows toward the worst case): on the 10-class digits at
    a scikit-learn model it used most of its steps for most points and left some unconverged
    (an ad-hoc comparison); ``tests/test_tilted_rule.py`` checks that the accelerated iteration
    reaches the tolerance at every point of its cases, where the damped one left 4.6e-5 and
    5.4e-5.

    This is the saddle point of the tilted integrand (Laplace's method). A tilt taken at a vertex
    of the cube (one fast-gradient step) overshoots every weakly tilted coordinate, whose mean is
    near ``θ_k/3``, not ``±1``; for a curved loss the weights then have heavy tails. Measured on
    the digits (10-class linear model, ``ρ = 0.05``, ``η = 0.01``, at the fitted model;
    ``benchmarks/bench_multinomial_accuracy.py``): with the vertex tilt 32 samples per point
    read 1.8% below 2048 samples, which were still rising; with the matched tilt 1.6e-4. On the
    ``l_2`` ball the tilt taken at the sphere (one gradient step) misses the same way when the
    loss turns within the ball (large ``ρ``). Any tilt keeps the weights exact: the iteration
    only chooses a better proposal.

    Parameters
    ----------
    grad_at : callable
        ``grad_at(shift, rows)`` returns the input gradients ``∇_x ℓ`` at the points
        ``x_i + shift_j`` for ``i = rows[j]`` (shape ``(len(rows), d)``).
    theta : ndarray of shape (n, d)
        Starting tilts.
    rho, eta : float
    norm_code : int
        ``NORM_INF`` or ``NORM_L2``.
    """
    if norm_code not in (NORM_INF, NORM_L2):
        raise ValueError(f"Mean matching is defined for the l_inf and l_2 proposals, got norm code {norm_code}.")
    mean = tilted_uniform_mean if norm_code == NORM_INF else l2_proposal_mean
    scale = rho / eta
    best = np.array(theta, dtype=np.float64)
    rows = np.arange(best.shape[0])
    x, best_res = best, np.full(rows.shape[0], np.inf)
    x_prev = r_prev = None
    for _ in range(MATCH_ITER):
        if rows.shape[0] == 0:
            break
        r = scale * np.asarray(grad_at(rho * mean(x), rows), dtype=np.float64) - x
        res = np.max(np.abs(r), axis=1, initial=0.0) / scale
        better = res < best_res  # (False where NaN: such a point stops below)
        best[rows[better]] = x[better]
        best_res[better] = res[better]
        step = r
        if r_prev is not None:
            dr = r - r_prev
            norm2 = np.einsum("ij,ij->i", dr, dr)
            gamma = np.einsum("ij,ij->i", r, dr) / np.where(norm2 > 0.0, norm2, 1.0)
            step = r - gamma[:, None] * (x - x_prev + dr)
        keep = res >= MATCH_TOL
        rows, best_res = rows[keep], best_res[keep]
        x_prev, r_prev, x = x[keep], r[keep], (x + step)[keep]
    return best
