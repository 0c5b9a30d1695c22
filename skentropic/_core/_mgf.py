"""Log moment-generating functions of ``g·u``, ``u ~ U(B_1)``.

The regularization analysis (:mod:`skentropic.regularization`) needs
``Λ(a) = log E_{u ~ U(B_1)} exp(a·u)`` for vectors ``a = C g`` whose size ranges from
``1e-8`` to ``1e8``. Exact formulas:

- ``l_∞`` ball: the coordinates are independent ``U(−1, 1)``, so
  ``Λ(a) = Σ_k log(sinh(a_k) / a_k)`` (:func:`log_sinhc`, a series for small ``|a|``, the
  identity ``|a| − log(2|a|) + log1p(−e^{−2|a|})`` for large ``|a|``).
- ``l_2`` ball: ``a·u = ||a||_2 T`` with ``T`` of density ``∝ (1 − t²)^((d−1)/2)`` on ``[−1, 1]``,
  and ``E exp(cT) = Γ(ν+1) (2/c)^ν I_ν(c) = ₀F₁(; ν+1; c²/4)`` with ``ν = d/2``
  (:func:`log_mgf_l2`). For ``c²/4 <= 10(ν+1)`` the positive series
  ``₀F₁ = 1 + Σ_{k>=1} Π_{j<=k} (c²/4) / (j(ν+j))`` is summed (``log1p`` of the tail: no
  cancellation, so ``Λ ≈ c²/(2(d+2))`` keeps full relative precision for tiny ``c``).
  Beyond, ``log ∫_0^π exp(c cos θ) sin^d θ dθ − log Z_d`` is computed with a Gauss–Legendre
  rule on the window around the (unique) mode of the log-integrand where it is within
  ``e^{-40}`` of its peak. ``I_ν`` itself under/overflows there for large ``d`` or ``c``, the
  windowed rule does not. For ``c → ∞``, ``Λ = c − ((d+1)/2) log c + O(1)``.
- ``l_1`` ball: no closed form is used; :mod:`skentropic.regularization` estimates it by
  importance sampling from the tilted ``l_1`` proposal of :mod:`skentropic._core._tilted`.

All kernels work in log space with max-subtraction.
"""

import math

import numpy as np
from numba import njit

_SERIES_LIMIT = 10.0  # use the ₀F₁ series while c²/4 <= _SERIES_LIMIT (ν + 1)
_DROP = 40.0  # the quadrature window ends where the log-integrand is e^{-40} below its peak
_HALF_WIDTH = 10.0  # initial half-width of the window in units of the Laplace σ


@njit(cache=True)
def log_sinhc(a):
    """``log(sinh(a) / a)`` for any real ``a`` (``0`` at ``a = 0``), accurate in relative terms."""
    x = abs(a)
    if x < 0.1:
        x2 = x * x
        # log(sinh x / x) = Σ_n 2^{2n} B_{2n} x^{2n} / (2n (2n)!)
        return x2 * (1.0 / 6.0 + x2 * (-1.0 / 180.0 + x2 * (1.0 / 2835.0 + x2 * (
            -1.0 / 37800.0 + x2 / 467775.0))))
    if x < 20.0:
        return math.log(math.sinh(x) / x)
    return x - math.log(2.0 * x) + math.log1p(-math.exp(-2.0 * x))


@njit(cache=True)
def log_mgf_linf_rows(A):
    """``Λ(a_i) = Σ_k log(sinh(a_ik)/a_ik)`` for each row of ``A`` (``l_∞`` ball); shape ``(n,)``."""
    n, d = A.shape
    out = np.empty(n)
    for i in range(n):
        acc = 0.0
        for k in range(d):
            acc += log_sinhc(A[i, k])
        out[i] = acc
    return out


@njit(cache=True)
def _log_sphere_integrand(theta, c, d):
    s = math.sin(theta)
    if s <= 0.0:
        return -np.inf
    return c * math.cos(theta) + d * math.log(s)


@njit(cache=True)
def log_mgf_l2_scalar(c, d, log_z, nodes, weights):
    """``log E exp(c T)`` for ``T = u_1``, ``u ~ U(B_1) ⊂ R^d`` (``l_2``), ``c >= 0``.

    Parameters
    ----------
    c : float
        ``C ||g||_2 >= 0``.
    d : float
        Dimension.
    log_z : float
        ``log ∫_0^π sin^d θ dθ``.
    nodes, weights : ndarray
        Gauss–Legendre rule on ``[−1, 1]`` for the large-``c`` branch.
    """
    if c == 0.0:
        return 0.0
    nu = 0.5 * d
    q = 0.25 * c * c
    if q <= _SERIES_LIMIT * (nu + 1.0):
        term = 1.0
        total = 0.0
        for k in range(1, 5000):
            term *= q / (k * (nu + k))
            total += term
            if term <= 1e-17 * total:
                break
        return math.log1p(total)
    # the mode of c cos θ + d log sin θ: c sin²θ = d cos θ
    u = 2.0 * c / (d + math.sqrt(d * d + 4.0 * c * c))
    theta = math.acos(u)
    s2 = 1.0 - u * u
    curv = c * u + d / s2
    sigma = 1.0 / math.sqrt(curv)
    peak = _log_sphere_integrand(theta, c, d)
    half = _HALF_WIDTH * sigma
    lo = theta - half
    for _ in range(60):
        if lo <= 0.0:
            lo = 0.0
            break
        if _log_sphere_integrand(lo, c, d) < peak - _DROP:
            break
        half *= 2.0
        lo = theta - half
    half = _HALF_WIDTH * sigma
    hi = theta + half
    for _ in range(60):
        if hi >= math.pi:
            hi = math.pi
            break
        if _log_sphere_integrand(hi, c, d) < peak - _DROP:
            break
        half *= 2.0
        hi = theta + half
    mid = 0.5 * (lo + hi)
    rad = 0.5 * (hi - lo)
    acc = 0.0
    for k in range(nodes.shape[0]):
        val = _log_sphere_integrand(mid + rad * nodes[k], c, d)
        acc += weights[k] * math.exp(val - peak)
    return peak + math.log(acc * rad) - log_z


@njit(cache=True)
def log_mgf_l2_array(c, d, log_z, nodes, weights):
    """:func:`log_mgf_l2_scalar` for every entry of the 1-D array ``c``."""
    out = np.empty(c.shape[0])
    for i in range(c.shape[0]):
        out[i] = log_mgf_l2_scalar(c[i], d, log_z, nodes, weights)
    return out


def log_mgf_l2(c, n_features):
    """``log E exp(c T)``, ``T`` the first coordinate of ``u ~ U(B_1^{l_2}) ⊂ R^d``, elementwise.

    Parameters
    ----------
    c : array-like of float, >= 0
    n_features : int
        ``d``.

    Returns
    -------
    ndarray of the shape of ``c``
    """
    c = np.asarray(c, dtype=float)
    d = float(n_features)
    log_z = 0.5 * math.log(math.pi) + math.lgamma((d + 1.0) / 2.0) - math.lgamma(d / 2.0 + 1.0)
    nodes, weights = np.polynomial.legendre.leggauss(96)
    flat = np.ascontiguousarray(c.reshape(-1))
    return log_mgf_l2_array(flat, d, log_z, nodes, weights).reshape(c.shape)
