"""The ``l_∞`` tilted proposal in NumPy, for callers that should not compile the numba sampler.

Same law and weights as :func:`skentropic._core._tilted.fill_tilted_points_linf`: the
exponential tilt mixed with the uniform law (weight ``DEFENSIVE_LINF``). Coordinate ``k`` of a
tilted draw has density ``θ_k e^{θ_k u}/(2 sinh θ_k)`` on ``[−1, 1]``, drawn by the exact inverse
CDF ``u = 1 + log1p((1 − v) expm1(−2θ))/θ`` (``θ > 0``, mirrored for ``θ < 0``, uniform for
``|θ| < 1e-12``); with ``log w_θ = Σ_k [log(sinh θ_k/θ_k) − θ_k u_k]`` the weight against the
mixture is ``1/((1 − α)/w_θ + α)``. The uniforms ``v`` come from a NumPy ``Generator`` (PCG64:
about 4 ns a number against 24-32 ns for numba's MT19937), so the draws differ from the
kernel's while following the same law. Used by the MLP, whose first fit in a fresh process
then compiles no sampler (``benchmarks/bench_cold_start.py``:
1.09 s to 0.04 s) and whose l-inf training got faster too (``benchmarks/bench_mlp_speed.py``:
0.22 to 0.16 s on the digits, 1.30-1.38 to 1.25-1.29 s on 4000 x 784).
"""

import numpy as np

from ._sampling import point_uniforms
from ._tilted import _TINY_TILT, DEFENSIVE_LINF

_NO_TILT = 1e-200  # stands in for |θ| < _TINY_TILT: v expm1(−2 _NO_TILT) stays a normal float for v >= 2^-53


def log_sinhc_array(a):
    """``log(sinh(a)/a)`` elementwise (``0`` at ``0``): the series ``x²/6 − x⁴/180 + …`` below 0.1
    (as :func:`skentropic._core._mgf.log_sinhc`), ``log(sinh x/x)`` below 1, and
    ``x − log 2x + log1p(−e^{−2x})`` beyond (its terms cancel by at most a factor 8 there)."""
    x = np.abs(np.asarray(a, dtype=np.float64))
    out = np.empty_like(x)
    small, mid = x < 0.1, (x >= 0.1) & (x < 1.0)
    big = ~(small | mid)
    xs, xm, xb = x[small], x[mid], x[big]
    x2 = xs * xs
    out[small] = x2 * (1.0 / 6.0 + x2 * (-1.0 / 180.0 + x2 * (1.0 / 2835.0 + x2 * (-1.0 / 37800.0 + x2 / 467775.0))))
    out[mid] = np.log(np.sinh(xm) / xm)
    out[big] = xb - np.log(2.0 * xb) + np.log1p(-np.exp(-2.0 * xb))
    return out


def draw_tilted_linf(theta, counts, rng):
    """``counts[i]`` draws of the proposal tilted by ``theta[i]`` for every point ``i``, stacked:
    ``(U, log_w)`` of shapes ``(Σ counts, d)`` and ``(Σ counts,)``; ``rng`` a NumPy ``Generator``
    (:func:`tilt_uniforms` on its uniforms, the points with the same count at once)."""
    theta = np.asarray(theta, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    d = theta.shape[1]
    starts = np.cumsum(counts) - counts
    U, log_w = np.empty((int(counts.sum()), d)), np.empty(int(counts.sum()))
    for count in np.unique(counts):
        pts = np.flatnonzero(counts == count)
        V = rng.random((pts.shape[0], count, d))
        mixed = rng.random((pts.shape[0], count)) < DEFENSIVE_LINF  # the mixture's uniform draws
        rows = (starts[pts, None] + np.arange(count)).ravel()
        log_w[rows] = tilt_uniforms(V, mixed, theta[pts]).ravel()
        U[rows] = V.reshape(-1, d)
    return U, log_w


def draw_tilted_linf_seeded(U, m, theta, seeds, log_w):
    """``m`` draws per point into ``U`` (shape ``(n m, d)``, point ``i``'s rows at ``i m .. (i + 1) m
    − 1``) and their log weights into ``log_w``, from point ``i``'s own stream of uniforms
    (:func:`~skentropic._core._sampling.point_uniforms` seeded with ``seeds[i]``): a point's draws
    depend on its seed and tilt only. Same law and weights as
    :func:`~skentropic._core._tilted.fill_tilted_points_linf` (other draws: its uniforms come from
    numba's MT19937, reseeded at every point, and its inverse CDF from ``math.log1p``, both about
    eight times slower than these and NumPy's vectorised ``log1p``)."""
    n, d = theta.shape
    V = U.reshape(n, m, d)
    picks = np.empty((n, m))
    point_uniforms(np.ascontiguousarray(seeds, dtype=np.int64), picks, V)
    log_w.reshape(n, m)[:] = tilt_uniforms(V, picks < DEFENSIVE_LINF, theta)


def tilt_uniforms(V, mixed, theta):
    """Turn the uniforms ``V`` (shape ``(p, c, d)``: ``c`` draws of each of ``p`` points) in place
    into draws of the proposals tilted by the rows of ``theta`` (shape ``(p, d)``), the draws where
    ``mixed`` (shape ``(p, c)``) is true into uniform draws in the cube; returns their log weights
    against the mixture (shape ``(p, c)``).

    The kernel's inverse CDF (:func:`~skentropic._core._tilted.tilted_uniform_coordinate`) at
    ``1 − v`` for ``θ > 0`` and at ``v`` for ``θ < 0`` (``1 − v`` is uniform too: the same law),
    that is ``u = sign θ · (1 + log1p(v expm1(−2|θ|))/|θ|)`` clipped to ``[−1, 1]``, the per-tilt
    constants broadcast over the draws (no ``c`` copies of them: the work is memory-bound).
    Coordinates with ``|θ| < 1e-12`` are uniform (``1 − 2v`` within an ulp), and a draw is
    uniform in the cube with probability ``DEFENSIVE_LINF``: the defensive mixture of
    :func:`~skentropic._core._tilted.fill_tilted`, whose weights are returned.
    """
    a = np.abs(theta)
    # an untilted coordinate takes the tilt _NO_TILT, whose inverse CDF is 1 − 2v to rounding
    # (log1p(x) = x there; no masked copies of the draws)
    untilted = a < _TINY_TILT
    safe = np.where(untilted, _NO_TILT, a)
    sign = np.where((theta < 0.0) & ~untilted, -1.0, 1.0)
    expm, scale = np.expm1(-2.0 * safe), sign / safe
    log_norm = log_sinhc_array(theta).sum(axis=1)
    uniform_rows = 1.0 - 2.0 * V[mixed]
    V *= expm[:, None, :]
    with np.errstate(divide="ignore"):  # −inf where the argument underflows: the clip below
        np.log1p(V, out=V)
    V *= scale[:, None, :]
    V += sign[:, None, :]
    np.clip(V, -1.0, 1.0, out=V)
    V[mixed] = uniform_rows
    return defensive_log_weight(log_norm[:, None] - np.einsum("pcd,pd->pc", V, theta))


def defensive_log_weight(log_w):
    """``log(1/((1 − α)e^{−log w} + α))``, ``α = DEFENSIVE_LINF``: the weight against the mixture, by
    the formula of :func:`skentropic._core._tilted._defensive` (elementwise, the same values)."""
    inside = -np.log((1.0 - DEFENSIVE_LINF) * np.exp(-np.maximum(log_w, -700.0)) + DEFENSIVE_LINF)
    return np.where(log_w > -700.0, inside, log_w - np.log(1.0 - DEFENSIVE_LINF))
