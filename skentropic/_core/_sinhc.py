"""Cumulants of ``T = Σ_k a_k u_k``, ``u`` uniform in the cube ``[−1, 1]^d`` (numba kernels).

With ``g(x) = log(sinh x / x)`` (the log-MGF of one ``U(−1, 1)`` coordinate), the cumulant
generating function of ``T`` is ``K(λ) = Σ_k g(λ a_k)`` and its derivatives are
``K^{(j)}(λ) = Σ_k a_k^j g^{(j)}(λ a_k)``. ``g`` is even, so ``g^{(j)}`` is odd for odd ``j``.

Evaluation of ``g^{(j)}(x)``, ``x >= 0``, ``j = 0..5``, to full relative precision:

- ``x < 0.5``: the Taylor series ``g(x) = Σ_{n>=1} c_n x^{2n}``,
  ``c_n = 2^{2n} B_{2n} / (2n (2n)!)`` (Bernoulli numbers; the series converges for
  ``|x| < π``, and 12 terms are below ``1e-17`` relative at ``x = 0.5``);
- ``x >= 0.5``: closed forms (the cancellation in ``g^{(5)}`` costs at most three digits) in ``coth x`` and ``q = 1/sinh² x`` (``q = 4e^{−2x}/(1 − e^{−2x})²``
  without overflow):
  ``g' = coth x − 1/x``, ``g'' = 1/x² − q``, ``g''' = −2/x³ + 2 q coth x``,
  ``g'''' = 6/x⁴ − 6q² − 4q``, ``g^{(5)} = −24/x⁵ + (24 q² + 8 q) coth x``;
  ``g = x − log(2x / (1 − e^{−2x}))``.
"""

import functools
import math
from fractions import Fraction

import numpy as np
from numba import njit

N_DERIV = 6  # g and its first five derivatives


def _series_coefficients(n_terms):
    """``c_n = 2^{2n} B_{2n} / (2n (2n)!)`` for ``n = 1..n_terms`` (exact rationals → floats)."""
    bern = [Fraction(1)]
    for m in range(1, 2 * n_terms + 1):  # B_m from Σ_{k<=m} C(m+1, k) B_k = 0
        acc = Fraction(0)
        for k in range(m):
            acc += math.comb(m + 1, k) * bern[k]
        bern.append(-acc / (m + 1))
    return np.array([float(Fraction(2) ** (2 * n) * bern[2 * n] / (2 * n * math.factorial(2 * n)))
                     for n in range(1, n_terms + 1)])


_SERIES = _series_coefficients(12)


def _derivative_table(series):
    """``D[j, m] = c_n (2n)!/(2n−j)!`` for ``x^{2m + (j mod 2)}`` in ``g^{(j)}`` (Horner in ``x²``)."""
    n_terms = series.shape[0]
    table = np.zeros((N_DERIV, n_terms + 1))
    for j in range(N_DERIV):
        for n in range(1, n_terms + 1):
            p = 2 * n - j  # power of x
            if p < 0:
                continue
            table[j, p // 2] += series[n - 1] * math.perm(2 * n, j)
    return table


_TABLE = _derivative_table(_SERIES)
# g^{(j)}(x) = Σ_m SERIES_TABLE[j, m] x^{2m + (j mod 2)}, 32 terms: within 5e-15 relative for
# x <= 1.5 (g^{(4)} there; 1e-15 or better for the others; against mpmath, ad hoc), where the
# cube rule sums its series coordinates (skentropic.linear_model._cube_rule)
SERIES_TABLE = _derivative_table(_series_coefficients(32))


@njit(cache=True)
def log_sinhc_derivatives(x, out):
    """``out[j] = g^{(j)}(x)`` for ``j = 0..5``, ``g(x) = log(sinh x / x)``, ``x >= 0``."""
    if x < 0.5:
        x2 = x * x
        # terms decay like (x/π)^{2n}: 8 (x < 0.25) or 12 terms are below 1e-17 relative
        n_terms = 8 if x < 0.25 else 12
        for j in range(N_DERIV):
            acc = 0.0
            for m in range(n_terms - 1, -1, -1):
                acc = acc * x2 + _TABLE[j, m]
            out[j] = acc * x if j % 2 == 1 else acc
        return
    inv = 1.0 / x
    inv2 = inv * inv
    if x > 30.0:  # e^{-2x} < 1e-26: coth x = 1 and 1/sinh² x = 0 to double precision
        out[0] = x - math.log(2.0 * x)
        out[1] = 1.0 - inv
        out[2] = inv2
        out[3] = -2.0 * inv2 * inv
        out[4] = 6.0 * inv2 * inv2
        out[5] = -24.0 * inv2 * inv2 * inv
        return
    # one exponential, one logarithm and one division besides 1/x: this branch is most of the
    # l_∞ rule's work in high dimension (log(2x/(1 − e2)) loses nothing to log1p: 1 − e2 >= 0.63)
    e2 = math.exp(-2.0 * x)
    r = 1.0 / (1.0 - e2)
    coth = (1.0 + e2) * r
    q = 4.0 * e2 * r * r
    out[0] = x - math.log(2.0 * x * r)
    out[1] = coth - inv
    out[2] = inv2 - q
    out[3] = -2.0 * inv2 * inv + 2.0 * q * coth
    out[4] = 6.0 * inv2 * inv2 - 6.0 * q * q - 4.0 * q
    out[5] = -24.0 * inv2 * inv2 * inv + (24.0 * q * q + 8.0 * q) * coth


TAYLOR_CELLS = 32  # log_sinhc_012's table: cells per unit of x ...
TAYLOR_END = 16.0  # ... up to here; beyond, e^{−2x} < 1.3e-14 is dropped from the closed forms
TAYLOR_DEGREE = 5  # (log_sinhc_derivatives gives g to g^{(5)})


@functools.lru_cache(maxsize=None)
def log_sinhc_taylor_table():
    """The table of :func:`log_sinhc_012`: row ``i`` holds ``g^{(j)}(c_i)/j!``, ``j = 0..5``, and
    ``c_i`` (column 6), the expansion point of cell ``[i, i + 1)/TAYLOR_CELLS``: its centre,
    except ``c_0 = 0`` (where ``g`` is even: small ``x`` keep their relative precision). Built once,
    in Python (:func:`log_sinhc_derivatives`' ``py_func``: no compilation), read-only."""
    n_cells = int(TAYLOR_END * TAYLOR_CELLS)
    table = np.empty((n_cells, TAYLOR_DEGREE + 2))
    out = np.empty(N_DERIV)
    for i in range(n_cells):
        centre = (i + 0.5) / TAYLOR_CELLS if i else 0.0
        log_sinhc_derivatives.py_func(centre, out)
        table[i, :TAYLOR_DEGREE + 1] = out[:TAYLOR_DEGREE + 1] / [math.factorial(j) for j in range(TAYLOR_DEGREE + 1)]
        table[i, TAYLOR_DEGREE + 1] = centre
    table.setflags(write=False)
    return table


@njit(cache=True)
def log_sinhc_012(x, table):
    """``(g(x), g'(x), g''(x))`` for ``x >= 0`` from the degree-5 Taylor polynomial of ``g`` on
    ``x``'s cell (``table``: :func:`log_sinhc_taylor_table`) and its two derivatives, so that
    ``g'`` and ``g''`` are exact derivatives of the returned ``g`` on each cell. Beyond
    ``TAYLOR_END``: ``g = x − log 2x``, ``g' = 1 − 1/x``, ``g'' = 1/x²``. Relative errors against
    :func:`log_sinhc_derivatives` (``tests/test_softmax_laplace.py``): below ``3e-9`` in ``g``
    (``4e-13`` absolute), ``1e-8`` in ``g'``, ``5e-8`` in ``g''``, the largest at the far end of
    the cell of 0 (expanded at 0); ``g(0) = g'(0) = 0`` exactly. The softmax bound's Newton solver
    (:mod:`skentropic.linear_model._softmax_laplace`) uses ``g''`` for its Jacobian only. Below
    ``TAYLOR_END`` no exponential or logarithm: the solver's evaluations took about half their
    time in the closed forms of :func:`log_sinhc_derivatives`.
    """
    if x >= TAYLOR_END:
        inv = 1.0 / x
        return x - math.log(2.0 * x), 1.0 - inv, inv * inv
    row = table[int(x * TAYLOR_CELLS)]
    t = x - row[6]
    a1, a2, a3, a4, a5 = row[1], row[2], row[3], row[4], row[5]
    g0 = row[0] + t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    g1 = a1 + t * (2.0 * a2 + t * (3.0 * a3 + t * (4.0 * a4 + t * (5.0 * a5))))
    g2 = 2.0 * a2 + t * (6.0 * a3 + t * (12.0 * a4 + t * (20.0 * a5)))
    return g0, g1, g2


@njit(cache=True)
def cube_cumulants(lam, a, out, work):
    """``out[j] = K^{(j)}(λ)``, ``j = 0..4``, for ``T = Σ_k a_k u_k`` (``a_k >= 0``).

    ``work`` is scratch of length ``N_DERIV``.
    """
    for j in range(5):
        out[j] = 0.0
    sign = 1.0 if lam >= 0.0 else -1.0
    x_scale = abs(lam)
    for k in range(a.shape[0]):
        ak = a[k]
        if ak == 0.0:
            continue
        log_sinhc_derivatives(x_scale * ak, work)
        p = 1.0
        for j in range(5):
            out[j] += p * work[j] * (sign if j % 2 == 1 else 1.0)
            p *= ak
