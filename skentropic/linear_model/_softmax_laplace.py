"""The multinomial ``l_∞`` fits' start: the softmax entropic risk's large-deviation bound.

With the perturbation ``z = ρ W u`` of the scores (``u`` uniform in the cube), the softmax loss
written through its conjugate, ``ℓ(s + z) = sup_{q ∈ Δ} [(q − e_y)·(s + z) + H(q)]`` (``H`` the
entropy of ``q`` on the simplex), and the expectation taken inside the supremum,

    F(s) = η log E exp(ℓ(s + z)/η) >= F_LD(s) = sup_q Φ(q),
    Φ(q) = λ·s + H(q) + η Σ_k g(θ_k),   λ = q − e_y,   θ = (ρ/η) Wᵀλ,   g(x) = log(sinh x / x),

as for the binary bound of :mod:`._laplace_surrogate`: exact for a loss linear in ``z``, the
Laplace approximation of ``F`` (it drops the Gaussian width of the integrand at its peak, an
``O(η)`` term times a logarithm), and with two classes the binary bound itself. Every ``q``
gives a lower bound; the stationary points of ``Φ`` are the fixed points ``q = softmax(s + ρ W
μ(θ))`` (``μ = g'``, the Langevin function), which are the mean-matched tilts of the tilted rule
(:func:`~skentropic._core._tilt_matching.mean_matched_tilts`) at the same model: the tilted
rule's ``l_∞`` softmax tilts are found by this module's Newton solver (:func:`matched_tilts`).

``Φ`` need not be concave (``g`` is convex: at small ``η`` each sign change of a ``(Wᵀλ)_k``
is a kink smoothed over a width ``η``), and with three classes or more no global search is
cheap. What is computed is therefore ``Φ`` at the maximum that Newton's method reaches from
each point's scores (the ERM softmax, ``q = softmax(s)``) in the first evaluation of a run, and
then follows from evaluation to evaluation: a lower bound of ``F_LD`` and of ``F``, equal to
``F_LD`` where that maximum is the global one. On random three-class problems with a large
ball (``ρ||W|| ≈ 2``, ``η <= 0.01``) the search from the scores stopped at lower maxima for some
points, the search from the logits of the first surrogate's maximiser
(:func:`~._surrogate.softmax_surrogate`) reached the global one in every case tested
(``tests/test_softmax_laplace.py``); the fits start from the scores all the same, because the
function they minimise is then smoother: on the 10-class digits at ``η = 1e-3`` the run from the
surrogate's logits took 48 evaluations against 30, to fitted models of the same true objective
(within 1.4e-5; an ad-hoc comparison). It is only a start: the fit's last runs are on the tilted
rule (:mod:`._lbfgs`).

Computation (:func:`softmax_laplace_points`, per point): Newton steps on the logits ``ζ`` of
``q`` for the residual ``r = ζ − s − ρ W μ(θ)`` (centred: ``ζ`` is defined up to a constant),
with the Jacobian ``I − (ρ²/η) W diag(g''(θ)) Wᵀ (diag q − q qᵀ)``; a step is kept where
``Φ`` did not fall (to rounding), else the point takes the ascent direction ``−r`` (``∇_ζ Φ =
−(diag q − q qᵀ) r``) halved until ``Φ`` rises. A point stops at ``max|r| <= tol`` (``Φ`` is then
exact to about ``tol²``) or after ``_NEWTON`` steps. The envelope theorem gives the gradient of
the computed ``Φ`` at fixed ``q``: ``∂Φ/∂s = λ``, ``∂Φ/∂W_ck = ρ λ_c μ(θ_k)``, exact to ``O(tol)``
relative: the fits take ``tol = _TOL = 1e-5`` (their runs on the bound stop at a gradient of
``1e-4``, :mod:`._lbfgs`; at ``1e-7`` the evaluations took longer, to the same fitted models
within the start's tolerance, ad hoc), the tilts ``_TILT_TOL = 1e-7``. ``g``, ``g'`` and
``g''`` come from a Taylor table (:func:`~skentropic._core._sinhc.log_sinhc_012`: ``g`` within
``3e-9`` relative, ``g'`` and ``g''`` the exact derivatives of the tabled ``g`` on each cell, so
the gradient is that of the value computed); the Jacobian's ``W diag(g'') Wᵀ`` is a Gram matrix
of ``W diag(√g'')`` (its upper half, by dot products). Together these took the kernel's time to
about half (ad hoc; ``benchmarks/bench_deterministic.py --multiclass`` measures the fits). The
logits are kept between evaluations (``state``), moved by the change of the scores (the
first-order change of the fixed point where ``θ`` stays): a point then usually needs one or two
steps (1.3 to 1.8 on average on the 10-class digits at ``tol = 1e-7``, ad hoc). The points are
independent and run in blocks on threads (:func:`~._tilted_rule._run_blocks`; the kernel
releases the GIL). It is not among the kernels compiled ahead of time
(:mod:`skentropic._core._aot`): those hold the GIL, and on two cores one thread took twice as long
(an ad-hoc timing); numba compiles it at its first call, about 2 s, as the tilted rule's samplers
(also where :func:`matched_tilts` serves an ``entropic_risk`` of an ``l_∞`` multinomial model).
"""

import math

import numpy as np
from numba import njit

from .._core._sinhc import log_sinhc_012, log_sinhc_taylor_table
from .._core._tilt_matching import tilted_uniform_mean

_NEWTON = 50  # Newton steps per point at most
_HALVINGS = 40  # halvings of an ascent step at most
_TOL = 1e-5  # the fits' bound: stop at max|r| <= _TOL (logits) ...
_TILT_TOL = 1e-7  # ... and the tilts' (matched_tilts)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _dot(a, b):
    """``a·b`` (the sum may be reassociated: vectorised)."""
    acc = 0.0
    for k in range(a.shape[0]):
        acc += a[k] * b[k]
    return acc


@njit(cache=True)
def _evaluate(z, s, label, W, table, rho, eta, q, lam, theta, g1, g2, r):
    """Fill ``q = softmax(z)``, ``λ = q − e_y``, ``θ = (ρ/η) Wᵀλ``, ``g1 = g'(θ)``, ``g2 = g''(θ)``
    and the centred residual ``r`` (``W`` of shape (K, d)); return ``(Φ(q), max|r|)``."""
    k_classes, d = W.shape
    top = z[0]
    for c in range(1, k_classes):
        top = max(top, z[c])
    total = 0.0
    for c in range(k_classes):
        q[c] = math.exp(z[c] - top)
        total += q[c]
    log_total = math.log(total)
    phi = 0.0
    for c in range(k_classes):
        q[c] /= total
        lam[c] = q[c]
        if q[c] > 0.0:
            phi += q[c] * (s[c] - s[label] - (z[c] - top - log_total))  # λ·s + H(q)
    lam[label] -= 1.0
    scale = rho / eta
    for k in range(d):
        theta[k] = 0.0
    for c in range(k_classes):  # θ row by row of W (contiguous)
        weight = scale * lam[c]
        row = W[c]
        for k in range(d):
            theta[k] += weight * row[k]
    total = 0.0
    for k in range(d):
        g0, slope, curve = log_sinhc_012(abs(theta[k]), table)
        g1[k] = -slope if theta[k] < 0.0 else slope
        g2[k] = curve
        total += g0
    phi += eta * total
    mean = 0.0
    for c in range(k_classes):
        r[c] = z[c] - s[c] - rho * _dot(g1, W[c])
        mean += r[c]
    mean /= k_classes
    res = 0.0
    for c in range(k_classes):
        r[c] -= mean
        res = max(res, abs(r[c]))
    return phi, res


@njit(cache=True)
def _newton_step(q, W, g2, r, rho, eta, jac, step, work):
    """``step`` solving ``(I − (ρ²/η) W diag(g'') Wᵀ (diag q − q qᵀ)) step = −r`` by Gaussian
    elimination with partial pivoting; ``False`` where the matrix is singular. Overwrites ``g2``;
    ``work`` is scratch of ``W``'s shape."""
    k_classes, d = W.shape
    curv = rho * rho / eta
    for k in range(d):
        g2[k] = math.sqrt(curv * max(g2[k], 0.0))
    for a in range(k_classes):  # work = W diag(√(ρ²g''/η)), jac = M = work workᵀ (symmetric)
        for k in range(d):
            work[a, k] = g2[k] * W[a, k]
    for a in range(k_classes):
        for b in range(a, k_classes):
            jac[a, b] = jac[b, a] = _dot(work[a], work[b])
    for a in range(k_classes):  # jac = I − M P, (M P)_ab = (M_ab − (M q)_a) q_b
        mq = 0.0
        for c in range(k_classes):
            mq += jac[a, c] * q[c]
        for b in range(k_classes):
            step[b] = (jac[a, b] - mq) * q[b]
        for b in range(k_classes):
            jac[a, b] = (1.0 if a == b else 0.0) - step[b]
    for b in range(k_classes):
        step[b] = -r[b]
    for col in range(k_classes):
        pivot = col
        for a in range(col + 1, k_classes):
            if abs(jac[a, col]) > abs(jac[pivot, col]):
                pivot = a
        if not abs(jac[pivot, col]) > 0.0:
            return False
        if pivot != col:
            for b in range(k_classes):
                jac[col, b], jac[pivot, b] = jac[pivot, b], jac[col, b]
            step[col], step[pivot] = step[pivot], step[col]
        for a in range(col + 1, k_classes):
            f = jac[a, col] / jac[col, col]
            for b in range(col, k_classes):
                jac[a, b] -= f * jac[col, b]
            step[a] -= f * step[col]
    for col in range(k_classes - 1, -1, -1):
        acc = step[col]
        for b in range(col + 1, k_classes):
            acc -= jac[col, b] * step[b]
        step[col] = acc / jac[col, col]
    for b in range(k_classes):
        if not math.isfinite(step[b]):
            return False
    return True


@njit(cache=True, nogil=True)
def softmax_laplace_points(S, labels, W, table, rho, eta, Z, values, lam_out, mu_out, tol):
    """Each point's ``Φ(q_i)`` at the maximiser ``q_i = softmax(Z_i)`` reached from ``Z_i``.

    ``S`` the scores (n, K), ``labels`` the class indices, ``W`` the weights (K, d), ``table``
    :func:`~skentropic._core._sinhc.log_sinhc_taylor_table`; ``Z`` (n, K) the starting logits,
    overwritten by the final ones. Outputs: ``values[i] = Φ(q_i)``, ``lam_out[i] = q_i −
    e_{y_i}`` and ``mu_out[i] = μ(θ_i)`` (module docstring).
    """
    n, k_classes = S.shape
    d = W.shape[1]
    z, zt, step = np.empty(k_classes), np.empty(k_classes), np.empty(k_classes)
    q, qt = np.empty(k_classes), np.empty(k_classes)
    lam, lamt = np.empty(k_classes), np.empty(k_classes)
    r, rt = np.empty(k_classes), np.empty(k_classes)
    theta, thetat = np.empty(d), np.empty(d)
    g1, g1t, g2, g2t = np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    jac, work = np.empty((k_classes, k_classes)), np.empty((k_classes, d))
    for i in range(n):
        s = S[i]
        label = labels[i]
        for c in range(k_classes):
            z[c] = Z[i, c]
        phi, res = _evaluate(z, s, label, W, table, rho, eta, q, lam, theta, g1, g2, r)
        for _ in range(_NEWTON):
            if res <= tol:
                break
            accepted = False
            if _newton_step(q, W, g2, r, rho, eta, jac, step, work):
                for c in range(k_classes):
                    zt[c] = z[c] + step[c]
                phit, rest = _evaluate(zt, s, label, W, table, rho, eta, qt, lamt, thetat, g1t, g2t, rt)
                accepted = phit >= phi - 1e-12 * (1.0 + abs(phi))
            if not accepted:  # the ascent direction −r, halved until Φ rises
                t = 1.0
                for _ in range(_HALVINGS):
                    for c in range(k_classes):
                        zt[c] = z[c] - t * r[c]
                    phit, rest = _evaluate(zt, s, label, W, table, rho, eta, qt, lamt, thetat, g1t, g2t, rt)
                    if phit > phi:
                        accepted = True
                        break
                    t *= 0.5
            if not accepted:  # (no ascent within rounding: the maximiser to this precision)
                break
            z, zt, q, qt, lam, lamt, r, rt = zt, z, qt, q, lamt, lam, rt, r
            theta, thetat, g1, g1t, g2, g2t = thetat, theta, g1t, g1, g2t, g2
            phi, res = phit, rest
        values[i] = phi
        for c in range(k_classes):
            Z[i, c] = z[c]
            lam_out[i, c] = lam[c]
        for k in range(d):
            mu_out[i, k] = g1[k]


def bound_maximisers(S, labels, W, rho, eta, Z, tol):
    """``(values, λ, μ)`` of :func:`softmax_laplace_points` for every point (scores ``S``, weights
    ``W`` of shape (K, d)), from the logits ``Z`` (overwritten by the final ones) to ``tol``, in
    blocks of points on threads."""
    from ._tilted_rule import _run_blocks  # (not at import: the kernels' build has no threadpoolctl)

    n, k = S.shape
    values, lam, mu = np.empty(n), np.empty((n, k)), np.empty((n, W.shape[1]))
    labels, W = np.ascontiguousarray(labels, dtype=np.int64), np.ascontiguousarray(W, dtype=np.float64)
    S, table = np.ascontiguousarray(S, dtype=np.float64), log_sinhc_taylor_table()

    def run(pts):  # (each point on its own: the blocks change nothing in the result)
        softmax_laplace_points(S[pts], labels[pts], W, table, float(rho), float(eta), Z[pts], values[pts], lam[pts],
                               mu[pts], float(tol))

    _run_blocks(run, n, 4 * k * W.shape[1], spread=True)
    return values, lam, mu


def softmax_laplace_surrogate(coef, intercept, X, y, sw, rho, eta, state, tol=_TOL):
    """``(value, ∂/∂W, ∂/∂b)`` of ``Σ_i sw_i F_LD(s_i)``, ``s_i = W x_i + b`` (module docstring;
    ``y`` the class indices), each point's maximum to ``tol``. ``state`` (a dict kept by the caller
    for one fit) holds each point's logits between evaluations; the first starts at the scores."""
    S = np.ascontiguousarray(np.asarray(X @ coef.T) + intercept, dtype=np.float64)
    Z = state.get("logits")
    if Z is None or Z.shape != S.shape:
        Z = S.copy()
    else:  # the stationarity condition ζ = s + ρ W μ(θ): first order in the scores' change
        Z = Z + (S - state["scores"])
    state["scores"] = S
    values, lam, mu = bound_maximisers(S, y, coef, rho, eta, Z, tol)
    state["logits"] = Z
    G = lam * sw[:, None]
    g_W = np.asarray(X.T @ G).T + rho * (G.T @ mu)
    return float(sw @ values), g_W, G.sum(axis=0)


def matched_tilts(scores, labels, W, rho, eta, tilts):
    """The ``l_∞`` tilts ``θ_i = (ρ/η) Wᵀλ_i`` of the softmax loss matched to their proposal's mean,
    ``λ_i = softmax(s_i + ρ W μ(θ_i)) − e_{y_i}``: the stationary points of the bound (module
    docstring), by its Newton solver from the logits ``s_i + ρ W μ(θ⁰_i)`` of the starting
    ``tilts`` ``θ⁰``, point by point."""
    Z = np.asarray(scores, dtype=np.float64) + rho * (tilted_uniform_mean(tilts) @ W.T)
    _, lam, _ = bound_maximisers(scores, labels, W, rho, eta, Z, _TILT_TOL)
    return (rho / eta) * (lam @ W)
