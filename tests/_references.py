"""Independent references for the entropic risk of binary linear models (tests only).

None of these shares the sampling or the density approximation of the library's rules:

- :func:`tilted_is` — exponentially tilted importance sampling of the cube: each coordinate
  ``u_k`` is drawn from the uniform on ``[−1, 1]`` tilted by ``exp(θ_k u)`` (exact inverse
  CDF ``u = 1 + log1p((1 − v) expm1(−2θ))/θ``) and weighted by ``exp(K(λ) − λ T)``,
  ``T = Σ_k a_k u_k``, ``θ_k = λ a_k``, which is unbiased for ``E exp(φ(s − T)/η)`` for every
  ``λ``; ``λ`` is the saddle point of the point's integrand (fixed point
  ``λ = |φ'(s − K'(λ))|/η``), so the weights are nearly constant and the error is small.
- :func:`spline_quad` — the exact piecewise-polynomial density of ``T`` (``d <= 8``)
  integrated with adaptive quadrature between its knots.
"""

import itertools
import math

import numpy as np
from scipy import integrate, optimize
from scipy.special import logsumexp


def phi(z, loss):
    """Margin losses in NumPy: ``"log"``, ``"hinge"``, ``"sqhinge"``, ``"linear"`` (``−z``)."""
    if loss == "log":
        return np.logaddexp(0.0, -z)
    if loss == "linear":
        return -z
    g = np.maximum(0.0, 1.0 - z)
    return g if loss == "hinge" else g * g


def dphi(z, loss):
    if loss == "log":
        return -1.0 / (1.0 + np.exp(z))
    if loss == "linear":
        return -np.ones_like(z)
    g = np.maximum(0.0, 1.0 - z)
    return -1.0 * (g > 0) if loss == "hinge" else -2.0 * g


def log_sinhc(x):
    x = np.abs(np.asarray(x, dtype=float))
    small = x < 1e-3
    big = np.where(small, 1.0, x)
    return np.where(small, x * x / 6.0, big - np.log(2 * big) + np.log1p(-np.exp(-2 * big)))


def cgf(lam, a):
    """``K(λ), K'(λ)`` of ``T = Σ a_k u_k`` (closed form)."""
    x = lam * a
    safe = np.where(np.abs(x) < 1e-8, 1.0, x)
    L = np.where(np.abs(x) < 1e-8, x / 3.0, 1.0 / np.tanh(safe) - 1.0 / safe)
    return float(np.sum(log_sinhc(x))), float(np.sum(a * L))


def saddle(s, a, eta, loss):
    """Tilt ``λ >= 0`` at which ``λ = |φ'(s − K'(λ))|/η`` (the dominant region of the integrand)."""
    f = lambda lam: lam - abs(float(dphi(np.array(s - cgf(lam, a)[1]), loss))) / eta  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
    return optimize.brentq(f, 0.0, hi, xtol=1e-12)


def tilted_is(s, a, eta, loss, n_samples=200_000, seed=0):
    """``(F, se)``: tilted importance-sampling estimate of ``η log E exp(φ(s − T)/η)``."""
    rng = np.random.default_rng(seed)
    lam = saddle(s, a, eta, loss)
    K, _ = cgf(lam, a)
    theta = lam * a
    total = np.zeros(n_samples)
    log_t = np.zeros(n_samples)
    for k, th in enumerate(theta):
        v = rng.random(n_samples)
        if th < 1e-12:
            u = 2 * v - 1
        else:
            u = 1.0 + np.log1p((1.0 - v) * np.expm1(-2.0 * th)) / th
        total += a[k] * u
    log_t = phi(s - total, loss) / eta + K - lam * total
    top = log_t.max()
    w = np.exp(log_t - top)
    mean = w.mean()
    se = w.std() / np.sqrt(n_samples) / mean
    return eta * (top + np.log(mean)), eta * se


def spline_pdf(t, a):
    """Exact density of ``T`` for small ``d`` (``2^d`` terms, evaluated at ``−|t|``)."""
    d = len(a)
    t = -abs(t)
    tot = 0.0
    for eps in itertools.product([1.0, -1.0], repeat=d):
        x = t + float(np.dot(eps, a))
        if x > 0:
            tot += np.prod(eps) * x ** (d - 1)
    return tot / (math.factorial(d - 1) * 2 ** d * float(np.prod(a)))


def spline_quad(s, a, eta, loss):
    """``η log ∫ p_T(t) exp(φ(s − t)/η) dt`` with the exact density and adaptive quadrature."""
    A = float(np.sum(a))
    knots = {float(np.dot(e, a)) for e in itertools.product([1.0, -1.0], repeat=len(a))}
    knots |= {s - 1.0, s}
    grid = np.linspace(-A, A, 2001)
    logf = np.array([np.log(max(spline_pdf(t, a), 1e-300)) for t in grid]) + phi(s - grid, loss) / eta
    top = logf.max()
    edges = sorted({-A, A} | {k for k in knots if -A < k < A} | set(np.linspace(-A, A, 65)))
    f = lambda t: spline_pdf(t, a) * np.exp(phi(s - t, loss) / eta - top)  # noqa: E731
    total = sum(integrate.quad(f, lo, hi, limit=500, epsabs=0.0, epsrel=1e-12)[0]
                for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo)
    return eta * (top + np.log(total))


def linear_exact(a, eta):
    """``η log E exp(T/η) = η Σ_k log(sinh(a_k/η)/(a_k/η))`` (a loss linear in the score)."""
    return eta * float(np.sum(log_sinhc(a / eta)))


def atoms_value(s, t, log_w, eta, loss):
    """The library's atom rule evaluated in NumPy (for comparisons at many scores)."""
    return eta * logsumexp(log_w + phi(s - t, loss) / eta)
