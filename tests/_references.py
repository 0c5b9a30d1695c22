"""Independent references for the entropic risk of binary linear models (tests only).

None of these shares the sampling or the density approximation of the library's rules:

- :func:`tilted_is` — exponentially tilted importance sampling of the cube: each coordinate
  ``u_k`` is drawn from the uniform on ``[−1, 1]`` tilted by ``exp(θ_k u)`` (exact inverse
  CDF ``u = 1 + log1p((1 − v) expm1(−2θ))/θ``) and weighted by ``exp(K(λ) − λ T)``,
  ``T = Σ_k a_k u_k``, ``θ_k = λ a_k``, which is unbiased for ``E exp(φ(s − T)/η)`` for every
  ``λ``; ``λ`` maximises the saddle-point approximation of the point's integrand, so the
  weights are nearly constant and the error is small.
- :func:`l2_quad` — the ``l_2`` ball's one-dimensional integral by adaptive quadrature.
- :func:`spline_quad` — the exact piecewise-polynomial density of ``T`` (``d <= 8``)
  integrated with adaptive quadrature between its knots.
- :func:`split_quad` — the exact density of the few largest coordinates convolved, by
  quadrature, with the exact density of the rest (characteristic-function inversion).
- :func:`laplace_supremum` — the logistic loss's large-deviation bound per point (the
  library's interpolates its ``G``; this one takes the exact ``G`` and a grid plus a scalar search).
- :func:`logistic_binomial` — the logistic loss's risk in closed form at ``η = 1/m``:
  ``e^{φ(z)/η} = (1 + e^{−z})^m`` is a polynomial in ``e^{T}``, so the expectation is a sum of
  ``m + 1`` values of the ball's moment generating function (:func:`cube_log_mgf`,
  :func:`ball_log_mgf`), in any dimension; :func:`softmax_multinomial` the same for the softmax
  loss (a sum over the compositions of ``m`` into ``K`` parts).
"""

import itertools
import math

import numpy as np
from scipy import integrate, optimize
from scipy.optimize import minimize_scalar
from scipy.special import gammaln, hyp0f1, ive, logsumexp


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
    """Tilt ``λ >= 0`` maximising the saddle-point log-integrand ``K(λ) − λK'(λ) + φ(s − K'(λ))/η``
    (where the mass of ``p_T(t) exp(φ(s − t)/η)`` sits), by a log-spaced search and refinement."""
    def score(lam):
        K, K1 = cgf(lam, a)
        return K - lam * K1 + float(phi(np.array(s - K1), loss)) / eta

    grid = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, 121) / max(float(np.sqrt(np.sum(a * a))), 1e-300)
                           * max(1.0, 1.0 / eta)])
    best = grid[int(np.argmax([score(g) for g in grid]))]
    if best == 0.0:
        return 0.0
    res = optimize.minimize_scalar(lambda x: -score(np.exp(x)), bracket=(np.log(best) - 0.1, np.log(best) + 0.1))
    return float(np.exp(res.x)) if score(np.exp(res.x)) >= score(best) else float(best)


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


def hinge_conditional_mc(s, a, eta, n_samples=2_000_000, seed=0):
    """``(F, se)`` for the hinge: exact over the largest coordinate, Monte Carlo over the rest.

    Given the rest ``R = Σ_{k>1} a_k u_k``, the hinge ``max(0, x − c)`` with ``x = a_1 u_1`` and
    ``c = s − 1 − R`` has ``E_x exp(max(0, x − c)/η)`` in closed form; averaging it over plain
    draws of ``R`` has a small variance when ``R`` is narrow (tiny coordinates beside a large
    one), where tilted sampling of all coordinates has heavy-tailed weights.
    """
    a = np.sort(np.asarray(a, dtype=float))[::-1]
    a1 = a[0]
    rng = np.random.default_rng(seed)
    rest = np.zeros(n_samples)
    for ak in a[1:]:
        rest += ak * (2.0 * rng.random(n_samples) - 1.0)
    c = np.clip(s - 1.0 - rest, -a1, a1)  # below -a1 the hinge is linear: the formula at -a1 shifted
    shift = (s - 1.0 - rest) - c  # <= 0 when clipped below, >= 0 above (then the loss is 0)
    z = (a1 - c) / eta
    with np.errstate(divide="ignore"):  # (log 0 at the ends: the other term takes over)
        flat = np.log((c + a1) / (2.0 * a1))
        ramp = np.log(eta / (2.0 * a1)) + z + np.log(-np.expm1(-z))  # log((e^z − 1) η / (2 a_1))
    log_m = np.where(z > 0, np.logaddexp(flat, ramp), 0.0) - np.minimum(shift, 0.0) / eta
    top = log_m.max()
    m = np.exp(log_m - top)
    return eta * (top + np.log(m.mean())), eta * m.std() / np.sqrt(n_samples) / m.mean()


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


def spline_quad(s, a, eta, loss, n_nodes=40):
    """``η log ∫ p_T(t) exp(φ(s − t)/η) dt`` with the exact density (``d <= 10``).

    Gauss–Legendre on every piece between the density's knots and the loss's kink, with
    pieces refined geometrically toward ``±A`` (where ``exp(φ/η)`` concentrates for small
    ``η``), summed in log space.
    """
    a = np.asarray(a, dtype=float)
    A = float(a.sum())
    knots = {float(np.dot(e, a)) for e in itertools.product([1.0, -1.0], repeat=a.shape[0])}
    gap = 2.0 * float(a.min())
    graded = {A - gap * 2.0 ** -k for k in range(1, 80)} | {-A + gap * 2.0 ** -k for k in range(1, 80)}
    edges = np.array(sorted({-A, A} | {k for k in knots | graded | {s - 1.0} if -A < k < A}))
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    lo, hi = edges[:-1], edges[1:]
    t = (0.5 * (hi - lo)[:, None] * x[None, :] + 0.5 * (hi + lo)[:, None]).ravel()
    log_w = np.log((0.5 * (hi - lo)[:, None] * w[None, :]).ravel())
    with np.errstate(divide="ignore"):
        log_p = np.log(np.maximum(spline_pdf_vec(t, a), 0.0))
    return eta * logsumexp(log_w + log_p + phi(s - t, loss) / eta)


def cube_log_mgf(v):
    """``log E e^{v·u}`` for ``u`` uniform in the cube ``[−1, 1]^d`` (rows of ``v``):
    ``Σ_k log(sinh v_k / v_k)``."""
    return np.sum(log_sinhc(np.atleast_2d(v)), axis=1)


def ball_log_mgf(v):
    """``log E e^{v·u}`` for ``u`` uniform in the unit ``l_2`` ball of ``R^d`` (rows of ``v``):
    ``Γ(d/2 + 1) (2/r)^{d/2} I_{d/2}(r) = ₀F₁(; d/2 + 1; r²/4)``, ``r = ||v||_2``; its series below
    ``r = 200``, else the exponentially scaled Bessel function (no underflow of ``I`` either way)."""
    v = np.atleast_2d(v)
    half = 0.5 * v.shape[1]
    r = np.linalg.norm(v, axis=1)
    series = r < 200.0
    big = np.where(series, 200.0, r)
    return np.where(series, np.log(hyp0f1(half + 1.0, 0.25 * np.where(series, r, 0.0) ** 2)),
                    gammaln(half + 1.0) + half * np.log(2.0 / big) + np.log(ive(half, big)) + big)


def logistic_binomial(s, v, m, log_mgf):
    """Exact ``η log E exp(φ(s_i + v·u)/η)`` for the logistic loss at ``η = 1/m`` (``m`` a positive
    integer): ``(1 + e^{−z})^m = Σ_j C(m, j) e^{−jz}``, so ``F = η log(1 + Σ_{j>=1} C(m, j) e^{−js}
    M(jv))`` with ``log M = log_mgf`` (the law of ``u`` symmetric). In log space: the sum of the
    ``j >= 1`` terms by ``logsumexp``, then ``log(1 + e^L)`` by ``logaddexp`` (no rounding of tiny
    ``F`` to zero)."""
    j = np.arange(1, m + 1)
    log_c = gammaln(m + 1.0) - gammaln(j + 1.0) - gammaln(m - j + 1.0)
    terms = log_c[None, :] - np.outer(np.asarray(s, dtype=float), j) + log_mgf(np.outer(j, v))[None, :]
    return np.logaddexp(0.0, logsumexp(terms, axis=1)) / m


def dual_norm(w, cube):
    """The norm dual to the ball's, along the last axis: ``l_1`` for the cube, ``l_2`` for the ``l_2`` ball."""
    return np.abs(w).sum(axis=-1, keepdims=True) if cube else np.linalg.norm(w, axis=-1, keepdims=True)


def scaled_binary_problem(d, scale, cube, n=200, rho=0.1):
    """Random ``(X, y, sw, w, b)`` (seeded by ``d``; labels ``±1``, uniform weights) with
    ``ρ||w||_* = scale`` (:func:`dual_norm`), for the closed forms' comparisons."""
    rng = np.random.RandomState(d)
    X, y = rng.randn(n, d), np.sign(rng.randn(n))
    w = rng.randn(1, d)
    w *= scale / (rho * dual_norm(w, cube))
    return X, y, np.full(n, 1.0 / n), w, np.array([0.3])


def compositions(m, k):
    """Every ``n`` in ``N^k`` with ``Σ n_c = m`` (rows; ``C(m + k − 1, k − 1)`` of them)."""
    if k == 1:
        return np.array([[m]])
    return np.array([[first, *rest] for first in range(m + 1) for rest in compositions(m - first, k - 1)])


def softmax_multinomial(Z, labels, W, rho, m, log_mgf):
    """Exact ``η log E exp(CE(z_i + ρWu, y_i)/η)`` at ``η = 1/m``: ``e^{CE(z, y)/η} = (Σ_c e^{z_c − z_y})^m =
    Σ_n (m; n) Π_c e^{n_c (z_c − z_y)}`` over the compositions ``n`` of ``m``, so ``F = η log Σ_n (m; n)
    e^{n·(z − z_y)} M(ρ Σ_c n_c (w_c − w_y))`` with ``log M = log_mgf`` (``Z``: the scores ``(n, K)``)."""
    k = W.shape[0]
    parts = compositions(m, k)
    log_coef = gammaln(m + 1.0) - gammaln(parts + 1.0).sum(axis=1)
    out = np.empty(Z.shape[0])
    for label in range(k):
        rows = np.flatnonzero(labels == label)
        log_m = log_mgf(parts @ (rho * (W - W[label])))
        margins = Z[rows] - Z[rows, label][:, None]
        out[rows] = logsumexp(log_coef[None, :] + margins @ parts.T + log_m[None, :], axis=1) / m
    return out


def linear_exact(a, eta):
    """``η log E exp(T/η) = η Σ_k log(sinh(a_k/η)/(a_k/η))`` (a loss linear in the score)."""
    return eta * float(np.sum(log_sinhc(a / eta)))


def atoms_value(s, t, log_w, eta, loss):
    """The library's atom rule evaluated in NumPy (for comparisons at many scores)."""
    return eta * logsumexp(log_w + phi(s - t, loss) / eta)


def spline_pdf_vec(t, a):
    """Vectorised exact density of ``T = Σ a_k u_k`` (``d <= 10``) at the points ``t``."""
    a = np.asarray(a, dtype=float)
    d = a.shape[0]
    eps = np.array(list(itertools.product([1.0, -1.0], repeat=d)))
    offsets, signs = eps @ a, np.prod(eps, axis=1)
    x = -np.abs(np.asarray(t, dtype=float))[:, None] + offsets[None, :]
    vals = np.where(x > 0, np.maximum(x, 0.0) ** (d - 1), 0.0) if d > 1 else (x > 0) * 1.0
    return (vals * signs).sum(axis=1) / (math.factorial(d - 1) * 2 ** d * float(np.prod(a)))


def cube_expectation(f, a, kinks=(), n_nodes=40):
    """``E f(T)`` with the exact density of ``T`` (``d <= 10``): Gauss–Legendre on every piece
    between the density's knots ``±a_1 ± … ± a_d`` and the integrand's own ``kinks``."""
    a = np.asarray(a, dtype=float)
    A = float(a.sum())
    knots = {float(np.dot(e, a)) for e in itertools.product([1.0, -1.0], repeat=a.shape[0])}
    edges = np.array(sorted({-A, A} | {k for k in knots | set(kinks) if -A < k < A}))
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    lo, hi = edges[:-1], edges[1:]
    t = (0.5 * (hi - lo)[:, None] * x[None, :] + 0.5 * (hi + lo)[:, None]).ravel()
    weights = (0.5 * (hi - lo)[:, None] * w[None, :]).ravel()
    return float(np.sum(weights * spline_pdf_vec(t, a) * f(t)))


def _log_sinhc_complex(z):
    """``log(sinh z / z)`` for complex ``z`` with ``Re z >= 0``."""
    z = np.asarray(z, dtype=complex)
    small = np.abs(z) < 1e-3
    safe = np.where(small, 1.0, z)
    big = safe + np.log1p(-np.exp(-2.0 * safe)) - np.log(2.0 * safe)
    return np.where(small, z * z / 6.0, big)


def fourier_log_pdf(t, a):
    """Exact ``log p_T(t)`` by inverting the characteristic function along ``Re z = λ``.

    ``p_T(t) = exp(K(λ) − λt) (1/π) ∫_0^∞ Re[exp(K(λ + iω) − K(λ) − iωt)] dω`` for any ``λ``;
    ``λ >= 0`` is the saddle point ``K'(λ) = |t|`` (``p_T`` is even), where the integrand is
    non-oscillatory and the integral is ``O(1/√K'')``; adaptive quadrature gives it to ~1e-10.
    """
    a = np.asarray(a, dtype=float)
    t = abs(float(t))
    lam = 0.0
    if t > 0.0:
        hi = 1.0
        while cgf(hi, a)[1] < t:
            hi *= 2.0
        lam = optimize.brentq(lambda x: cgf(x, a)[1] - t, 0.0, hi, xtol=1e-15, rtol=1e-15)
    K, _ = cgf(lam, a)
    x = lam * a
    small = x < 1e-4
    xs = np.where(small, 1.0, x)
    k2 = float(np.sum(a * a * np.where(small, 1.0 / 3.0, 1.0 / xs**2 - 4.0 * np.exp(-2 * xs) / np.expm1(-2 * xs) ** 2)))
    sig = np.sqrt(k2)
    base = _log_sinhc_complex(x + 0j)

    def f(tau):
        w = tau / sig
        return np.exp(np.sum(_log_sinhc_complex(x + 1j * w * a) - base) - 1j * w * t).real

    val = integrate.quad(f, 0.0, np.inf, limit=4000, epsabs=0.0, epsrel=1e-11)[0]
    return K - lam * t + np.log(val / (np.pi * sig))


def fourier_bulk_value(s, a, eta, loss, n_nodes=40, width=9.0):
    """``η log ∫ p_T e^{φ(s−t)/η} dt`` over ``±width·σ`` by Gauss–Legendre (split at the loss's
    kink ``t = s − 1``) with the exact density: for large ``η``, where the tails beyond ``9σ``
    carry ``e^{−40}`` of the mass."""
    a = np.asarray(a, dtype=float)
    sigma = np.sqrt(np.sum(a * a) / 3.0)
    lo, hi = max(-a.sum(), -width * sigma), min(a.sum(), width * sigma)
    edges = sorted({lo, hi} | ({s - 1.0} if lo < s - 1.0 < hi else set()))
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    t = np.concatenate([0.5 * (b - c) * x + 0.5 * (b + c) for c, b in zip(edges[:-1], edges[1:])])
    lw = np.concatenate([np.log(0.5 * (b - c) * w) for c, b in zip(edges[:-1], edges[1:])])
    logp = np.array([fourier_log_pdf(tt, a) for tt in t]) + lw
    return eta * (logsumexp(logp + phi(s - t, loss) / eta) - logsumexp(logp))


def split_quad(s, a, eta, loss, n_exact=2, pieces=8, n_nodes=40):
    """``η log E exp(φ(s − T)/η)`` with ``T = B + R``: the exact density of the ``n_exact``
    largest coordinates ``B`` (:func:`cube_expectation`, split at the loss's kink) inside, the
    exact density of the rest ``R`` by characteristic-function inversion (:func:`fourier_log_pdf`)
    outside, by Gauss–Legendre on ``pieces`` pieces between the values of ``r`` where the
    inner integral has kinks (the loss's kink meeting a knot of ``B``'s density). For laws where
    a few coordinates dominate and the rest rounds off their density's kinks; for ``η`` down to
    about ``0.01 × ||a||`` (the inner rule integrates ``e^{φ/η}`` on whole pieces)."""
    a = np.sort(np.asarray(a, dtype=float))[::-1]
    big, rest = a[:n_exact], a[n_exact:]
    r_max = float(rest.sum())
    kink = s - 1.0 if loss in ("hinge", "sqhinge") else None
    knots = {float(np.dot(e, big)) for e in itertools.product([1.0, -1.0], repeat=big.shape[0])}
    cuts = sorted({-r_max, r_max} | ({kink - k for k in knots if -r_max < kink - k < r_max} if kink is not None
                                     else set()))
    top = float(phi(s - big.sum() - r_max, loss))  # the largest loss: e^{(φ − top)/η} <= 1
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    log_terms = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        edges = np.linspace(lo, hi, pieces + 1)
        for c, b in zip(edges[:-1], edges[1:]):
            for r, wr in zip(0.5 * (b - c) * x + 0.5 * (b + c), 0.5 * (b - c) * w):
                inner = cube_expectation(lambda t: np.exp((phi(s - t - r, loss) - top) / eta), big,
                                         kinks=() if kink is None else (kink - r,))
                log_terms.append(fourier_log_pdf(r, rest) + np.log(wr * inner))
    return eta * float(logsumexp(log_terms)) + top


def linear_problem(d, n=300, seed=0):
    """A binary problem with heavy-tailed weights: ``(X, y, sw, W, b)`` for the objective tests."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    w = rng.standard_cauchy(d) * 0.3
    y = np.where(X @ w + 0.1 * rng.standard_normal(n) > np.median(X @ w), 1.0, -1.0)
    return X, y, np.full(n, 1.0 / n), w[None, :], np.array([0.1])


def gradient_errors(objective, W, b, coords, h=1e-6):
    """``[(analytic, central difference)]`` of ``objective(W, b) -> (value, gW, gb)`` for the
    coordinates ``coords`` of ``W`` and for the intercept."""
    _, gW, gb = objective(W, b)
    pairs = []
    for k in coords:
        E = np.zeros_like(W)
        E[0, k] = h
        pairs.append((gW[0, k], (objective(W + E, b)[0] - objective(W - E, b)[0]) / (2 * h)))
    pairs.append((gb[0], (objective(W, b + h)[0] - objective(W, b - h)[0]) / (2 * h)))
    return pairs



def softmax_mis(W, b, X, y, rho, eta, norm_code, n_samples=4096, seed=0, gradients=False):
    """``F_i = η log E_u exp(CE(W(x_i + ρu) + b, y_i)/η)`` per point by multiple importance sampling
    over one proposal per class: the library's tilted proposal
    (:func:`skentropic._core._tilted.fill_tilted`) with its tilt moved to its own mean
    (:func:`~skentropic._core._tilt_matching.mean_matched_tilts`, ``l_∞`` and ``l_2``) from the worst
    case of each margin ``(w_c − w_y)·u`` (``c ≠ y``) and from the ``(ρ/η)``-scaled gradient at
    the point itself. ``n_samples`` draws from each, weighted against their equal mixture
    (balance heuristic: ``1/w(u) = mean_j 1/w_j(u)``), so that a region of the ball that any
    one of them reaches is counted; unbiased inside the log whatever the tilts.

    ``gradients=True`` also returns ``∇_W F_i`` ``(n, K, d)`` and ``∇_b F_i`` ``(n, K)``: the
    self-normalised means ``Σ_j π_j (p_j − e_y) ⊗ (x_i + ρu_j)``, ``π ∝ w_j e^{CE_j/η}``, over
    the same draws (the gradient of ``F_i`` is the mean of ``∇ CE`` under the tilted law
    ``∝ e^{CE/η}``).
    """
    from skentropic._core._norms import NORM_INF, NORM_L2
    from skentropic._core._projections import ascent_rows
    from skentropic._core._tilt_matching import mean_matched_tilts
    from skentropic._core._tilted import sample_tilted_rows, tilted_log_weight

    def ce(S, labels):
        return logsumexp(S, axis=-1) - np.take_along_axis(S, labels[..., None], axis=-1)[..., 0]

    def grad(S, labels):
        P = np.exp(S - logsumexp(S, axis=-1, keepdims=True))
        P[np.arange(len(labels)), labels] -= 1.0
        return P

    n, k = X.shape[0], W.shape[0]
    S = X @ W.T + b
    starts = [np.zeros_like(X)] + [ascent_rows(W[c] - W[y], norm_code) for c in range(k)]
    tilts = []
    for start in starts:
        theta = (rho / eta) * grad(S + rho * start @ W.T, y) @ W
        if norm_code in (NORM_INF, NORM_L2):
            theta = mean_matched_tilts(lambda shift, rows: grad(S[rows] + shift @ W.T, y[rows]) @ W, theta, rho, eta,
                                       norm_code)
        tilts.append(theta)
    out = np.empty(n)
    grad_W, grad_b = np.empty((n,) + W.shape), np.empty((n, k))
    for i in range(n):
        thetas = [t[i] for t in tilts if np.any(t[i] != 0.0)] or [np.zeros(X.shape[1])]
        U = np.concatenate([sample_tilted_rows(th[None, :], n_samples, norm_code, seed + 7919 * j + i)[0][0]
                            for j, th in enumerate(thetas)])
        inv_w = np.array([[math.exp(-tilted_log_weight(u, th, norm_code)) for th in thetas] for u in U])
        log_w = -np.log(inv_w.mean(axis=1))
        loss = ce(S[i] + rho * U @ W.T, np.full(U.shape[0], y[i]))
        out[i] = eta * (logsumexp(log_w + loss / eta) - math.log(U.shape[0]))
        if gradients:
            pi = np.exp(log_w + loss / eta - logsumexp(log_w + loss / eta))
            G = grad(S[i] + rho * U @ W.T, np.full(U.shape[0], y[i]))  # (draws, K)
            grad_b[i] = pi @ G
            grad_W[i] = np.outer(grad_b[i], X[i]) + rho * (G * pi[:, None]).T @ U
    return (out, grad_W, grad_b) if gradients else out


def l2_quad(s, r, eta, d, loss):
    """``l_2`` ball: ``η log E exp(φ(s + rT)/η)``, ``T = w·u/||w||_2`` (density ``∝ sin^d θ`` in
    ``T = −cos θ``), by adaptive quad on θ-pieces around a dense-grid argmax; ``loss`` a margin
    loss code (0 logistic, 1 hinge, 2 squared hinge)."""
    name = ("log", "hinge", "sqhinge")[loss]
    G = lambda th: phi(s - r * np.cos(th), name) / eta + d * np.log(np.sin(th))  # noqa: E731
    grid = np.unique(np.concatenate([np.linspace(1e-12, np.pi - 1e-12, 4001), np.geomspace(1e-12, 0.1, 1000)]))
    g = G(grid)
    gmax = g.max()
    inner = (g[1:-1] >= g[:-2]) & (g[1:-1] >= g[2:]) & (g[1:-1] > gmax - 60)
    centres = [grid[np.argmax(g)]] + list(grid[1:-1][inner])[:4]
    pts = {0.0, np.pi}
    c = (s - (0.0 if loss == 0 else 1.0)) / r
    if -1 < c < 1:
        pts.add(math.acos(c))
    for t0 in centres:
        for h in np.geomspace(1e-9, np.pi, 30):
            pts.update(p for p in (t0 - h, t0 + h) if 0 < p < np.pi)
    pts = np.array(sorted(pts))
    f = lambda th: math.exp(G(th) - gmax) if 0 < th < math.pi else 0.0  # noqa: E731
    tot = sum(integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=100)[0] for a, b in zip(pts[:-1], pts[1:]))
    logz = 0.5 * math.log(math.pi) + gammaln((d + 1) / 2) - gammaln(d / 2 + 1)
    return eta * (gmax + math.log(tot) - logz)


def entropy_logit(z):
    """``H(q)`` at ``q = 1/(1 + e^{−z})``: ``log(1 + e^z) − q z``."""
    return np.logaddexp(0.0, z) - z / (1.0 + np.exp(-z))


def laplace_supremum(scores, w, rho, eta):
    """``sup_q [−q s + H(q) + η Σ_k log sinhc(q ρ w_k/η)]`` with the exact ``G``: the best of a fine
    grid in ``ζ = log(q/(1 − q))`` (``G' ∈ [0, ρ||w||_1]`` puts the maximiser in ``[−s − 1,
    −s + ρ||w||_1 + 1]``), refined by a bounded scalar search."""
    a = rho * np.abs(w) / eta
    total = rho * np.abs(w).sum()

    def g(z, s):
        z = np.atleast_1d(z)
        q = 1.0 / (1.0 + np.exp(-z))
        return -q * s + entropy_logit(z) + eta * log_sinhc(np.outer(q, a)).sum(axis=1)

    z = np.linspace(-scores.max() - 1.0, -scores.min() + total + 1.0, 4001)
    q = 1.0 / (1.0 + np.exp(-z))
    base = entropy_logit(z) + eta * log_sinhc(np.outer(q, a)).sum(axis=1)
    out = np.empty(scores.shape[0])
    for i, s in enumerate(scores):
        j = np.argmax(base - q * s)
        lo, hi = z[max(j - 1, 0)], z[min(j + 1, z.shape[0] - 1)]
        res = minimize_scalar(lambda t: -g(t, s)[0], bounds=(lo, hi), method="bounded",
                              options={"xatol": 1e-12})
        out[i] = max(-res.fun, g(z[j], s)[0])
    return out
