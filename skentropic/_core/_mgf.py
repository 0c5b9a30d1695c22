"""Log moment-generating functions of ``g·u``, ``u ~ U(B_1)``, and Monte Carlo log-mean-exp kernels.

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
- ``l_1`` ball: no closed form is used; :func:`log_mean_cosh_rows` estimates it by Monte Carlo
  with antithetic pairs ``(u, −u)`` (``E exp(a·u) = E cosh(a·u)``) and reports the standard
  error.

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


@njit(cache=True)
def log_mean_cosh_rows(P, scale):
    """Monte Carlo ``log mean_j cosh(scale · P_ij)`` per row and its delta-method standard error.

    With ``P_ij = g_i·u_j`` and antithetic pairs ``(u_j, −u_j)``, ``cosh(C g·u_j)`` is the pair
    average of ``exp(±C g·u_j)``, so this estimates ``Λ(C g_i)`` without the first-order noise.

    Returns
    -------
    value, se : ndarray of shape (n,)
    """
    n, m = P.shape
    value = np.empty(n)
    se = np.empty(n)
    lc = np.empty(m)
    for i in range(n):
        top = -np.inf
        for j in range(m):
            x = abs(scale * P[i, j])
            lc[j] = x + math.log1p(math.exp(-2.0 * x)) - math.log(2.0)
            if lc[j] > top:
                top = lc[j]
        s1 = 0.0
        s2 = 0.0
        for j in range(m):
            e = math.exp(lc[j] - top)
            s1 += e
            s2 += e * e
        mean = s1 / m
        var = max(s2 / m - mean * mean, 0.0) * m / max(m - 1, 1)
        value[i] = top + math.log(mean)
        se[i] = math.sqrt(var / m) / mean
    return value, se


@njit(cache=True)
def entropic_mean_pairs(L, eta):
    """``η log mean exp(L_ij / η)`` per row, where columns ``j`` and ``j + m/2`` are antithetic pairs.

    Returns the estimate and its delta-method standard error computed from the ``m/2``
    pair averages (independent draws). ``η = 0`` returns the row maxima and a zero error.

    Parameters
    ----------
    L : ndarray of shape (n, m), m even
    eta : float, >= 0

    Returns
    -------
    value, se : ndarray of shape (n,)
    """
    n, m = L.shape
    half = m // 2
    value = np.empty(n)
    se = np.empty(n)
    for i in range(n):
        top = L[i, 0]
        for j in range(1, m):
            if L[i, j] > top:
                top = L[i, j]
        if eta == 0.0:
            value[i] = top
            se[i] = 0.0
            continue
        s1 = 0.0
        s2 = 0.0
        for j in range(half):
            e = 0.5 * (math.exp((L[i, j] - top) / eta) + math.exp((L[i, j + half] - top) / eta))
            s1 += e
            s2 += e * e
        mean = s1 / half
        var = max(s2 / half - mean * mean, 0.0) * half / max(half - 1, 1)
        value[i] = top + eta * math.log(mean)
        se[i] = eta * math.sqrt(var / half) / mean
    return value, se
