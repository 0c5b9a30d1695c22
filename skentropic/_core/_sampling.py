"""Uniform sampling in the unit ``l_∞``, ``l_2`` and ``l_1`` balls (numba kernels).

Randomness: every public kernel takes an integer ``seed`` and seeds numba's own
generator with it, so the same seed gives the same draws bit for bit. Inner helpers
(``fill_unit_ball``) draw from that already-seeded generator and are meant to be
called from other kernels, with a run-time ``norm_code`` (``np.int64(NORM_L2)`` rather than
the module constant, which numba would type as a literal and compile a specialization for).

Laws used
---------
- ``l_∞``: independent ``U(-1, 1)`` coordinates.
- ``l_2``: ``u = R g / ||g||_2`` with ``g ~ N(0, I_d)`` and ``R = V^{1/d}``, ``V ~ U(0, 1)``.
- ``l_1``: with ``E_1..E_{d+1}`` i.i.d. ``Exp(1)`` and ``S = Σ E_k``, the vector
  ``(E_1..E_d)/S`` is uniform on the simplex ``{x ≥ 0, Σ x ≤ 1}``; independent random
  signs make it uniform on the unit ``l_1`` ball.
"""

import math

import numpy as np
from numba import njit

from ._norms import NORM_INF, NORM_L2

# Ziggurat of the standard normal (Marsaglia and Tsang, 2000, in Doornik's 2005 form with 128
# layers and independent layer and abscissa): layer i is the box [0, x_i] x [f(x_{i+1}), f(x_i)]
# of area V = 9.91256303526217e-3, and layer 0 the base strip with the tail beyond R.
_ZIG_LAYERS = 128
_ZIG_R = 3.442619855899
_ZIG_V = 9.91256303526217e-3


def _ziggurat_tables():
    """``(x, x_{i+1}/x_i)`` of the layers (``x[0] = V/f(R)``, the base strip's width)."""
    x = np.empty(_ZIG_LAYERS + 1)
    f = math.exp(-0.5 * _ZIG_R * _ZIG_R)
    x[0], x[1], x[_ZIG_LAYERS] = _ZIG_V / f, _ZIG_R, 0.0
    for i in range(2, _ZIG_LAYERS):
        x[i] = math.sqrt(-2.0 * math.log(_ZIG_V / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_TWO_53 = 9007199254740992.0
_TWO_M46 = 2.0 ** -46


@njit(cache=True)
def fill_unit_ball(out, norm_code):
    """Overwrite the 1-D array ``out`` with one uniform draw in the unit ball of ``norm_code``."""
    d = out.shape[0]
    if norm_code == NORM_INF:
        for k in range(d):
            out[k] = 2.0 * np.random.random() - 1.0
    elif norm_code == NORM_L2:
        sq = 0.0
        for k in range(d):
            g = np.random.standard_normal()
            out[k] = g
            sq += g * g
        radius = np.random.random() ** (1.0 / d)
        scale = radius / np.sqrt(sq) if sq > 0.0 else 0.0
        for k in range(d):
            out[k] *= scale
    else:
        total = 0.0
        for k in range(d):
            e = np.random.exponential()
            out[k] = e
            total += e
        total += np.random.exponential()
        for k in range(d):
            sign = 1.0 if np.random.random() < 0.5 else -1.0
            out[k] = sign * out[k] / total


@njit(cache=True)
def reseed_point(seeds, i):
    """Seed numba's generator with ``seeds[i]``; nothing when ``seeds`` is empty."""
    if seeds.shape[0] > 0:
        np.random.seed(seeds[i])


@njit(cache=True)
def fill_unit_ball_points(U, counts, seeds, norm_code):
    """Point ``i`` fills the next ``counts[i]`` rows of ``U`` with uniform draws in the unit ball,
    after seeding with ``seeds[i]`` (when ``seeds`` is not empty)."""
    r = 0
    for i in range(counts.shape[0]):
        reseed_point(seeds, i)
        for j in range(r, r + counts[i]):
            fill_unit_ball(U[j], norm_code)
        r += counts[i]


@njit(cache=True)
def seed_numba(seed):
    """Seed numba's generator (the one ``fill_unit_ball`` and other kernels draw from)."""
    np.random.seed(seed)


@njit(cache=True)
def sample_unit_ball_kernel(n_samples, n_features, norm_code, seed):
    """Return ``n_samples`` i.i.d. uniform draws in the unit ball, shape ``(n_samples, n_features)``."""
    np.random.seed(seed)
    out = np.empty((n_samples, n_features))
    for i in range(n_samples):
        fill_unit_ball(out[i], norm_code)
    return out


def sample_unit_ball(n_samples, n_features, norm=2, random_state=None, radius=1.0):
    """Draw i.i.d. points uniformly in the ball ``{u : ||u||_p <= radius}``.

    Parameters
    ----------
    n_samples, n_features : int
        Output shape.
    norm : {np.inf, "inf", 2, 1}, default=2
        Exponent ``p`` of the ball.
    random_state : int, RandomState instance or None
        Seeds the draw; the same value gives the same points.
    radius : float, default=1.0
        Radius ``ρ`` of the ball.

    Returns
    -------
    U : ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> from skentropic._core._sampling import sample_unit_ball
    >>> U = sample_unit_ball(1000, 3, norm=1, random_state=0)
    >>> bool((abs(U).sum(axis=1) <= 1).all())
    True
    """
    from sklearn.utils import check_random_state

    from ._norms import norm_code as _norm_code

    if int(n_samples) != n_samples or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
    if int(n_features) != n_features or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features!r}.")
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"radius must be a finite non-negative number, got {radius!r}.")
    seed = draw_seed(check_random_state(random_state))
    U = sample_unit_ball_kernel(int(n_samples), int(n_features), _norm_code(norm), seed)
    return U * radius if radius != 1.0 else U


def draw_seed(rng):
    """Draw one integer seed in ``[0, 2**31 - 1)`` for a kernel from a ``RandomState``."""
    return int(rng.randint(np.iinfo(np.int32).max))


@njit(cache=True)
def standard_normal_fast():
    """One ``N(0, 1)`` draw by the ziggurat (numba's generator; about 9 ns against 23 ns for
    ``np.random.standard_normal``, which draws two uniforms and a logarithm per pair).

    The 53 bits of one uniform give the layer (7 bits) and the signed abscissa ``u`` (46 bits):
    ``u x_i`` is returned when it lies inside the layer's inner box (about 99% of draws), else
    :func:`_ziggurat_edge` finishes by exact rejection. The abscissae sit on a grid of
    ``2^{−45} x_i``.
    """
    j = np.int64(np.random.random() * _TWO_53)
    i = j & (_ZIG_LAYERS - 1)
    u = 2.0 * ((j >> 7) * _TWO_M46) - 1.0
    if abs(u) < _ZIG_RATIO[i]:
        return u * _ZIG_X[i]
    return _ziggurat_edge(j)


@njit(cache=True)
def _ziggurat_edge(j):
    """The rejection steps of :func:`standard_normal_fast` from its draw ``j``: the wedge of
    layer ``i`` (accept ``x`` below the density, drawn between the layer's two edges) or the
    tail beyond ``R`` (Marsaglia's exponential method); a rejected draw starts over."""
    while True:
        i = j & (_ZIG_LAYERS - 1)
        u = 2.0 * ((j >> 7) * _TWO_M46) - 1.0
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i]
        if i == 0:
            while True:
                xt = -math.log(1.0 - np.random.random()) / _ZIG_R
                yt = -math.log(1.0 - np.random.random())
                if 2.0 * yt >= xt * xt:
                    return -(_ZIG_R + xt) if u < 0.0 else _ZIG_R + xt
        x = u * _ZIG_X[i]
        f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        if f1 + np.random.random() * (f0 - f1) < 1.0:
            return x
        j = np.int64(np.random.random() * _TWO_53)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (2^64 over the golden ratio)
_TWO_M53 = 2.0 ** -53


@njit(cache=True)
def _mix64(z):
    """SplitMix64's output function (Steele, Lea and Flood, 2014): a bijection of 64-bit words."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def point_uniforms(seeds, first, second):
    """Uniforms on ``[0, 1)`` for many points, each from its own stream: ``first[i]`` and then
    ``second[i]`` (C-contiguous arrays of any trailing shape, filled in memory order) take the
    successive outputs of the SplitMix64 generator started at ``_mix64(seeds[i])``, as
    ``(z >> 11) 2^{−53}``.

    A point's uniforms depend on its seed only (not on the other points, the blocks or the
    threads), and a stream costs no seeding: numba's MT19937, reseeded at every point, took about
    6 ns a number and 1 µs a seed, this about 0.25 ns. SplitMix64 passes BigCrush; two points
    share uniforms only if their 64-bit starts lie within the length of a stream of each other
    (for 10^5 points of 10^5 uniforms, a chance of about 10^{-9}).
    """
    n = seeds.shape[0]
    a = first.reshape(n, -1)
    b = second.reshape(n, -1)
    for i in range(n):
        state = _mix64(np.uint64(seeds[i]))
        for j in range(a.shape[1]):
            state += _GOLDEN
            a[i, j] = (_mix64(state) >> np.uint64(11)) * _TWO_M53
        for j in range(b.shape[1]):
            state += _GOLDEN
            b[i, j] = (_mix64(state) >> np.uint64(11)) * _TWO_M53
