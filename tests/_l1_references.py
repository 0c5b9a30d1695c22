"""Independent references for the ``l_1`` ball rule (tests only).

- :func:`l1_pdf` — the closed form of the density of ``T = Σ_k a_k u_k`` for ``u`` uniform in
  the ``l_1`` ball of ``R^d``: ``p_T(t) = (d/2) Σ_{a_k > |t|} c_k a_k^{−1} (1 − |t|/a_k)^{d−1}``,
  ``c_k = Π_{j≠k} a_k²/(a_k² − a_j²)`` (distinct ``a_k``). It follows from ``V = a·L = R T``
  with ``L`` Laplace, ``R ~ Gamma(d + 1)`` independent of ``T`` and the partial fractions of
  ``E e^{λV} = Π_k (1 − λ²a_k²)^{−1}``. The terms cancel catastrophically, so it is evaluated
  with mpmath at a working precision that grows with ``d``.
- :func:`l1_quad` — that density integrated against ``exp(φ(s − t)/η)`` with Gauss–Legendre on
  pieces between its knots ``±a_k``, graded geometrically toward ``±A``.
- :func:`l1_tilted_is` — importance sampling of the Laplace representation ``u = L/R``,
  exponentially tilted along ``a·L − cR`` (a product measure) for a ladder of ``c``, with
  balance-heuristic weights; nothing shared with the library's samplers.
"""

import mpmath as mp
import numpy as np
from _references import phi
from scipy.special import logsumexp


class L1Density:
    """The closed-form density for fixed ``a`` (coefficients computed once, in mpmath)."""

    def __init__(self, a, d=None):
        self.a = [float(x) for x in a]
        self.d = len(self.a) if d is None else int(d)  # zero coordinates beyond len(a)
        if len(set(self.a)) != len(self.a):
            raise ValueError("the closed form needs distinct a_k")
        self.dps = 30 + 6 * len(self.a)
        with mp.workdps(self.dps):
            am = [mp.mpf(x) for x in self.a]
            self.c = []
            for k, ak in enumerate(am):
                c = mp.mpf(1)
                for j, aj in enumerate(am):
                    if j != k:
                        c *= ak * ak / (ak * ak - aj * aj)
                # zero coordinates: factors a_k²/(a_k² − 0) = 1
                self.c.append(c)

    def __call__(self, t):
        t = abs(float(t))
        with mp.workdps(self.dps):
            tm = mp.mpf(t)
            tot = mp.mpf(0)
            for ak, c in zip(self.a, self.c):
                if ak > t:
                    akm = mp.mpf(ak)
                    tot += c * self.d / (2 * akm) * (1 - tm / akm) ** (self.d - 1)
            return float(tot)


def l1_quad(s, a, eta, loss, d=None, n_nodes=30):
    """``η log ∫ p_T(t) exp(φ(s − t)/η) dt`` with the closed-form density.

    Gauss–Legendre on every piece between the knots ``0, ±a_k`` and the hinge's kink, the pieces
    next to ``±A`` graded geometrically toward ``±A`` (where ``exp(φ/η)`` concentrates for
    small ``η``), summed in log space.
    """
    pdf = L1Density(a, d)
    a = np.asarray(a, dtype=float)
    A = float(a.max())
    second = float(np.max(np.concatenate([[0.0], a[a < A]])))
    graded = {A - (A - second) * 2.0 ** -k for k in range(1, 60)}
    graded |= {-x for x in graded}
    knots = set(a) | set(-a) | {0.0, s - 1.0}
    edges = np.array(sorted({-A, A} | {k for k in knots | graded if -A < k < A}))
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    lo, hi = edges[:-1], edges[1:]
    t = (0.5 * (hi - lo)[:, None] * x[None, :] + 0.5 * (hi + lo)[:, None]).ravel()
    log_w = np.log((0.5 * (hi - lo)[:, None] * w[None, :]).ravel())
    p = np.array([pdf(v) for v in t])
    with np.errstate(divide="ignore"):
        log_p = np.log(np.maximum(p, 0.0))
    return eta * logsumexp(log_w + log_p + phi(s - t, loss) / eta)


def _tilt_for(c, a, d):
    """``λ`` with ``K_c'(λ) = 0`` for ``S_c = a·L − c R``: in ``μ = λ/(1 + λc)``,
    ``Σ_k 2μa_k²/(1 − μ²a_k²) (1 − μc) = (d + 1) c``, by bisection; returns ``(λ, K_c(λ))``."""
    A = float(a.max())
    lo, hi = 0.0, 1.0 / A
    for _ in range(200):
        mu = 0.5 * (lo + hi)
        f = np.sum(2 * mu * a * a / (1 - (mu * a) ** 2)) * (1 - mu * c) - (d + 1) * c
        lo, hi = (lo, mu) if f > 0 else (mu, hi)
    mu = lo
    lam = mu / (1 - mu * c)
    K = -(d + 1) * np.log1p(lam * c) - np.sum(np.log1p(-(mu * a) ** 2))
    return lam, K


def l1_tilted_is(s, a, eta, loss, n_samples=40_000, seed=0, n_tilts=None, chunk=4000):
    """``(F, se)``: importance sampling of ``η log E exp(φ(s − T)/η)`` over the ``l_1`` ball.

    ``T = V/R`` with ``V = a·L`` and ``R = E_0 + Σ|L_k|``; the proposals tilt ``(L, E_0)`` by
    ``e^{λ(V − cR)}``, a product of asymmetric Laplace laws (rates ``1 ∓ λ(a_k ∓ c)``) and an
    exponential (rate ``1 + λc``), with ``λ`` the saddle point that makes ``T ≈ c`` typical, for
    ``c`` on a ladder from ``0`` toward ``A`` (``15√d`` rungs, ``log(A − c)`` steps of about
    ``1.4/√d``: the tilted laws of ``log(A − T)`` have width ``~1/√d``, and a coarser ladder
    misses mass between its rungs);
    a sample's weight is the balance heuristic ``1 / mean_m exp(λ_m(V − c_m R) − K_{c_m}(λ_m))``.
    """
    n_tilts = n_tilts or int(max(24, 15 * np.sqrt(len(a))))
    rng = np.random.default_rng(seed)
    a = np.asarray(a, dtype=float)
    d = a.shape[0]
    A = float(a.max())
    cs = np.concatenate([[0.0], A * (1 - np.geomspace(1.0, 1e-9, n_tilts)[1:])])
    tilts = [_tilt_for(c, a, d) if c > 0 else (0.0, 0.0) for c in cs]
    log_terms = []
    for start in range(0, n_samples, chunk):
        m = min(chunk, n_samples - start)
        which = rng.integers(0, len(cs), size=m)
        L = np.empty((m, d))
        E0 = np.empty(m)
        for j, (c, (lam, _)) in enumerate(zip(cs, tilts)):
            rows = np.flatnonzero(which == j)
            r = rows.shape[0]
            rate_p, rate_m = 1 - lam * (a - c), 1 + lam * (a + c)
            pos = rng.random((r, d)) < (1 / rate_p) / (1 / rate_p + 1 / rate_m)
            mag = rng.exponential(size=(r, d))
            L[rows] = np.where(pos, mag / rate_p, -mag / rate_m)
            E0[rows] = rng.exponential(size=r) / (1 + lam * c)
        V, R = L @ a, E0 + np.abs(L).sum(axis=1)
        log_q = np.array([lam * (V - c * R) - K for c, (lam, K) in zip(cs, tilts)])
        log_mix = logsumexp(log_q, axis=0) - np.log(len(cs))
        log_terms.append(phi(s - V / R, loss) / eta - log_mix)
    log_t = np.concatenate(log_terms)
    top_v = log_t.max()
    w = np.exp(log_t - top_v)
    mean = w.mean()
    return eta * (top_v + np.log(mean)), eta * w.std() / np.sqrt(n_samples) / mean
