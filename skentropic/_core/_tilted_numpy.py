"""The ``l_∞`` tilted proposal in NumPy, for callers that should not compile the numba sampler.

Same law and weights as :func:`skentropic._core._tilted.fill_tilted_points_linf`: coordinate
``k`` of a draw for tilt ``θ`` has density ``θ_k e^{θ_k u}/(2 sinh θ_k)`` on ``[−1, 1]``, drawn by
the exact inverse CDF ``u = 1 + log1p((1 − v) expm1(−2θ))/θ`` (``θ > 0``, mirrored for ``θ < 0``,
``2v − 1`` for ``|θ| < 1e-12``), and ``log w = Σ_k [log(sinh θ_k/θ_k) − θ_k u_k]``. The uniforms
``v`` come from a NumPy ``Generator`` (PCG64: about 4 ns a number against 24-32 ns for numba's
MT19937), so the draws differ from the kernel's while following the same law. Used by the MLP,
whose first fit in a fresh process then compiles no sampler (``benchmarks/bench_cold_start.py``).
"""

import numpy as np

_TINY_TILT = 1e-12  # as in _tilted: |θ| below this is no tilt


def log_sinhc_array(a):
    """``log(sinh(a)/a)`` elementwise (``0`` at ``0``), with the branches of
    :func:`skentropic._core._mgf.log_sinhc`: the series ``x²/6 − x⁴/180 + …`` below 0.1,
    ``log(sinh x/x)`` below 20, ``x − log 2x + log1p(−e^{−2x})`` beyond."""
    x = np.abs(np.asarray(a, dtype=np.float64))
    x2 = np.minimum(x, 0.1) ** 2
    series = x2 * (1.0 / 6.0 + x2 * (-1.0 / 180.0 + x2 * (1.0 / 2835.0 + x2 * (-1.0 / 37800.0 + x2 / 467775.0))))
    mid = np.minimum(np.maximum(x, 0.1), 20.0)
    big = np.maximum(x, 20.0)
    return np.where(x < 0.1, series, np.where(x < 20.0, np.log(np.sinh(mid) / mid),
                                              big - np.log(2.0 * big) + np.log1p(-np.exp(-2.0 * big))))


def tilted_linf_coordinates(v, theta):
    """Inverse CDF of the tilted uniform law on ``[−1, 1]`` at ``v ∈ [0, 1)``, elementwise (at
    least ``−1``: where ``1 − (1 − v)(1 − e^{−2|θ|})`` underflows, ``v = 0`` and ``|θ| > 372``,
    the log is ``−inf`` and the limit is the edge)."""
    a = np.abs(theta)
    tilted = a >= _TINY_TILT
    safe = np.where(tilted, a, 1.0)
    with np.errstate(divide="ignore"):
        mag = np.maximum(1.0 + np.log1p(np.where(theta > 0.0, 1.0 - v, v) * np.expm1(-2.0 * safe)) / safe, -1.0)
    return np.where(tilted, np.where(theta > 0.0, mag, -mag), 2.0 * v - 1.0)


def draw_tilted_linf(theta, counts, rng):
    """``counts[i]`` draws of the proposal tilted by ``theta[i]`` for every point ``i``, stacked:
    ``(U, log_w)`` of shapes ``(Σ counts, d)`` and ``(Σ counts,)``; ``rng`` a NumPy ``Generator``."""
    rows = np.repeat(np.asarray(theta, dtype=np.float64), counts, axis=0)
    U = tilted_linf_coordinates(rng.random(rows.shape), rows)
    log_norm = np.repeat(log_sinhc_array(theta).sum(axis=1), counts)
    return U, log_norm - np.einsum("ij,ij->i", rows, U)
