"""The ``l_1`` and ``l_2`` tilted proposals drawn in NumPy from per-point streams of uniforms.

Same laws and weights as the numba samplers of :mod:`._tilted` (:func:`~._tilted.fill_tilted`),
other draws: the uniforms of point ``i`` come from its own SplitMix64 stream
(:func:`~._sampling.point_uniforms`, seeded with ``seeds[i]``), so a point's draws depend on its
seed and tilt only, and the logarithms, square roots and cosines run vectorised over all of a
block's draws. The kernels drew from numba's MT19937, reseeded at every point, with scalar
``libm`` calls: on the 10-class digits (``benchmarks/bench_deterministic.py --draws``) most of
their time. Only the ``l_2`` proposal's one Beta draw per sample stays in numba
(:func:`point_betas`: a rejection sampler, from numba's generator seeded per point).
"""

import numpy as np
from numba import njit

from ._sampling import point_uniforms
from ._tilted import _TINY_TILT, DEFENSIVE, fill_tilted_points_l2, l1_sides, l1_tilt_constants, l2_constants


@njit(cache=True)
def l1_point_constants(theta, sides, consts):
    """For every row ``θ_i``: ``sides[i]`` (shape ``(6, d)``) the side constants of :func:`~._tilted.l1_sides`
    and ``consts[i] = (λ, c, K, u₀)`` of :func:`~._tilted.l1_tilt_constants`."""
    for i in range(theta.shape[0]):
        lam, c, log_k, u0 = l1_tilt_constants(theta[i], sides[i, 0])
        l1_sides(theta[i], u0, sides[i])
        consts[i, 0], consts[i, 1], consts[i, 2], consts[i, 3] = lam, c, log_k, u0


def _defensive(log_w):
    """``log(1/((1 − α)e^{−log w} + α))``, ``α = DEFENSIVE`` (:func:`~._tilted._defensive`, elementwise)."""
    inside = -np.log((1.0 - DEFENSIVE) * np.exp(-np.maximum(log_w, -700.0)) + DEFENSIVE)
    return np.where(log_w > -700.0, inside, log_w - np.log(1.0 - DEFENSIVE))


def draw_tilted_l1_seeded(U, m, theta, seeds, log_w):
    """``m`` draws per point of the ``l_1`` proposal into ``U`` (shape ``(n m, d)``) and their log
    weights into ``log_w``, as :func:`~._tilted.fill_tilted_points_l1` draws them.

    With ``v`` a coordinate's uniform: the tilted draw's ``L_k`` is ``log min((π_k − v)/π_k, 1)``
    times the signed mean of the side toward ``sign θ_k`` where ``v < π_k``, else
    ``log min((1 − v)/(1 − π_k), 1)`` times the other side's (:func:`~._tilted.fill_tilted_l1_fast`),
    ``E_0 = −log(1 − v₀)/u₀``; a draw of the mixture's uniform part (probability ``DEFENSIVE``)
    takes ``L_k = ±E_k``, ``E_k = −log(1 − v')`` with the sign from ``v < 1/2`` and ``v' = 2v mod 1``
    (uniform and independent of the sign), and ``E_0 = −log(1 − v₀)``. Then ``u = L/(E_0 + Σ|L_k|)``
    and ``log w = K + (d + 1) log1p(−λ(θ·u − c))`` against the mixture (:func:`~._tilted._log_weight_l1_fast`).
    """
    n, d = theta.shape
    sides, consts = np.empty((n, 6, d)), np.empty((n, 4))
    l1_point_constants(np.ascontiguousarray(theta), sides, consts)
    V = U.reshape(n, m, d)
    first = np.empty((n, m, 2))  # the mixture's pick and E_0's uniform
    point_uniforms(np.ascontiguousarray(seeds, dtype=np.int64), first, V)
    mixed = first[:, :, 0] < DEFENSIVE
    pi, inv_pi, inv_q, toward, away = (sides[:, k, None, :] for k in range(1, 6))
    uniform = V[mixed]  # (the mixture's rows, before V is overwritten)
    side = V < pi
    toward_arg = (pi - V) * inv_pi
    V -= 1.0
    V *= -inv_q  # (1 − v)/(1 − π)
    np.copyto(V, toward_arg, where=side)
    np.minimum(V, 1.0, out=V)
    np.log(V, out=V)
    V *= np.where(side, toward, away)
    total = -np.log1p(-first[:, :, 1]) / np.where(mixed, 1.0, consts[:, 3, None])
    if uniform.shape[0]:
        positive = uniform < 0.5
        spread = np.where(positive, 2.0 * uniform, 2.0 * uniform - 1.0)
        V[mixed] = np.where(positive, 1.0, -1.0) * -np.log1p(-spread)
    total += np.abs(V).sum(axis=2)
    V /= total[:, :, None]
    t = np.einsum("pcd,pd->pc", V, theta)
    with np.errstate(divide="ignore"):  # (1 − λ(T − c) > 0 on the ball: λ ≤ 1/(|θ|_∞ + |c|))
        raw = consts[:, 2, None] + (d + 1.0) * np.log1p(-consts[:, 0, None] * (t - consts[:, 1, None]))
    log_w.reshape(n, m)[:] = _defensive(raw)


@njit(cache=True)
def l2_point_constants(theta, consts):
    """``consts[i] = (κ, α, β, c)`` of :func:`~._tilted.l2_constants` for every row ``θ_i`` with a
    tilt (some ``|θ_ik| >= 1e-12``), and ``κ = 0`` for the others (the uniform law)."""
    for i in range(theta.shape[0]):
        tilted = False
        for k in range(theta.shape[1]):
            if abs(theta[i, k]) >= _TINY_TILT:
                tilted = True
        if tilted:
            consts[i, 0], consts[i, 1], consts[i, 2], consts[i, 3] = l2_constants(theta[i])
        else:
            consts[i, 0], consts[i, 1], consts[i, 2], consts[i, 3] = 0.0, 1.0, 1.0, 0.0


@njit(cache=True, nogil=True)
def point_betas(seeds, alpha, beta, out):
    """``out[i, j] ~ Beta(α_i, β_i)`` from numba's generator seeded with ``seeds[i]`` (point ``i``'s
    draws depend on its seed only)."""
    for i in range(out.shape[0]):
        np.random.seed(seeds[i])
        for j in range(out.shape[1]):
            out[i, j] = np.random.beta(alpha[i], beta[i])


def _normals(V, extra):
    """Turn the uniforms ``V`` (shape ``(p, c, d)``) in place into standard normals by Box and
    Muller's transform of pairs of coordinates (``extra``: the partner of the last coordinate
    where ``d`` is odd)."""
    d = V.shape[2]
    a, b = V[:, :, 0:d - 1:2], V[:, :, 1::2]
    radius = np.sqrt(-2.0 * np.log1p(-a))
    angle = 2.0 * np.pi * b
    b[...] = radius * np.sin(angle)
    a[...] = radius * np.cos(angle)
    if d % 2:
        V[:, :, -1] = np.sqrt(-2.0 * np.log1p(-V[:, :, -1])) * np.cos(2.0 * np.pi * extra)


def draw_tilted_l2_seeded(U, m, theta, seeds, log_w):
    """``m`` draws per point of the ``l_2`` proposal into ``U`` (shape ``(n m, d)``) and
    their log weights into ``log_w``, as :func:`~._tilted.fill_tilted_points_l2` draws them.

    A tilted draw: ``x ~ Beta(α, β)`` (:func:`point_betas`), ``t = 2x − 1``, a normal vector ``g``
    projected orthogonally to ``θ`` and scaled to the radius ``√(1 − t²) v^{1/(d−1)}``, plus
    ``(t/κ) θ`` (:func:`~._tilted._fill_tilted_l2_fast`); a draw of the mixture's uniform part
    (probability ``DEFENSIVE``) and every draw of an untilted point: ``v^{1/d} g/|g|``. The weight
    is the log ratio of the Beta densities of ``(1 + u·θ/κ)/2`` (:func:`~._tilted._log_weight_l2_fast`)
    against the mixture, ``0`` for an untilted point.
    """
    n, d = theta.shape
    theta = np.ascontiguousarray(theta)
    seeds = np.ascontiguousarray(seeds, dtype=np.int64)
    if d == 1:  # the 1-ball is [−1, 1]: the kernel's exact tilt
        fill_tilted_points_l2(U, np.full(n, m, dtype=np.int64), theta, seeds, log_w)
        return
    consts = np.empty((n, 4))
    l2_point_constants(theta, consts)
    kappa, alpha, beta, c = (consts[:, k] for k in range(4))
    tilted = kappa > 0.0
    x = np.empty((n, m))
    point_betas(seeds, alpha, beta, x)
    np.clip(x, 1e-300, 1.0 - 1e-16, out=x)
    V = U.reshape(n, m, d)
    first = np.empty((n, m, 3))  # the mixture's pick, the radius's uniform, an odd d's partner
    point_uniforms(seeds, first, V)
    _normals(V, first[:, :, 2])
    uniform = (first[:, :, 0] < DEFENSIVE) | ~tilted[:, None]
    safe = np.where(tilted, kappa, 1.0)
    t = 2.0 * x - 1.0
    dot = np.einsum("pcd,pd->pc", V, theta) / (safe * safe)[:, None]
    V -= np.where(uniform, 0.0, dot)[:, :, None] * theta[:, None, :]  # orthogonal to θ (tilted draws)
    norm = np.sqrt(np.einsum("pcd,pcd->pc", V, V))
    with np.errstate(divide="ignore"):
        radius = np.where(uniform, first[:, :, 1] ** (1.0 / d),
                          np.sqrt(np.maximum(1.0 - t * t, 0.0)) * first[:, :, 1] ** (1.0 / (d - 1.0)))
    V *= np.where(norm > 0.0, radius / np.where(norm > 0.0, norm, 1.0), 0.0)[:, :, None]
    V += np.where(uniform, 0.0, t / safe[:, None])[:, :, None] * theta[:, None, :]
    xu = np.clip(0.5 * (1.0 + np.einsum("pcd,pd->pc", V, theta) / safe[:, None]), 1e-300, 1.0 - 1e-16)
    half = 0.5 * (d + 1.0)
    raw = (half - alpha)[:, None] * np.log(xu) + (half - beta)[:, None] * np.log1p(-xu) - c[:, None]
    log_w.reshape(n, m)[:] = np.where(tilted[:, None], _defensive(raw), 0.0)
