"""Stochastic gradient estimators of the entropic risk of linear models (numba kernels).

For one data point ``(x, y)`` the entropic loss is ``f(θ) = η log E_{u~U(B_1)} exp(L(u; θ)/η)``
with ``L(u; θ) = ℓ(x + ρu, y; θ)``. Its gradient is ``E[e^{L/η} ∇_θ L] / E[e^{L/η}]``, a ratio
of expectations, so no finite-sample plug-in is unbiased. With inner samples ``u_1..u_m`` and
``L_j = L(u_j; θ)`` the *plug-in* gradient is

    v = Σ_j π_j ∇_θ L_j,    π = softmax(L / η)        (max-subtracted, see ``entropic_weights``)

which is exactly the gradient of the sample-average objective ``η log (1/m) Σ_j exp(L_j/η)``.
Its bias is ``O(1/m)``. The three estimators of DESIGN.md section 3 are built from it:

- ``SAA``: ``m`` samples per point fixed once (regenerated from a per-point seed), ``v``.
- ``VANILLA``: ``m = 2^L`` fresh samples, ``v^L``. Bias ``O(2^{-L})``, cost ``2^L``.
- ``RT_MLMC`` (randomised telescope, antithetic): level ``l ∈ {0..L}`` with
  ``p_l = 2^{-l} / (2 - 2^{-L})``, ``m = 2^l`` fresh samples and
  ``(v^l − v̄^{l−1}) / p_l`` where ``v̄^{l−1} = ½(v_{first half} + v_{second half})`` and
  ``v̄^{−1} = 0``. Its expectation telescopes to ``E[v^L]`` exactly; expected cost
  ``Σ_l p_l 2^l = (L+1)/(2 − 2^{−L})`` samples instead of ``2^L``.

Every estimator is linear in the per-sample gradients, so each one is computed in a single
pass as ``Σ_j a_j ∇_θ L_j`` with combined weights ``a`` (for RT-MLMC
``a_j = (π_j − ½ π^{half}_j) / p_l``, ``π^{half}`` being the softmax within each half). The
building blocks (:func:`sample_losses`, :func:`accumulate_gradient`) are shared by
:func:`plugin_gradients`, which returns the full and the two half plug-ins separately (for
tests and diagnostics), and by the solver's epoch kernel. Memory is ``O(m d)`` for one point
at a time; the per-sample gradients are never stored, only the loss derivatives
``r_j = ∂ℓ/∂score`` (``m × K``) since ``∇_θ L_j = r_j ⊗ (x + ρu_j)`` for a linear model.

Tilted proposals (``proposal = TILTED``): the samples of a point come from the proposal of
:mod:`skentropic._core._tilted` aimed at ``θ = (ρ/η) ∇_x ℓ(x')``, the input gradient one
fast-gradient step from the point, or for the softmax loss at the worst case of the competing
class that loses most (:func:`point_tilt`), and every softmax above uses
``L_j/η + log w_j`` (``w = p/q`` exact): ``π ∝ w e^{L/η}``, the self-normalised plug-in of the
same ``η log E_p exp(L/η)``; the telescoping of RT-MLMC is unchanged (weights inside each
level and each half). For a model linear in ``x`` under the ``l_∞`` ball ``w e^{L/η}`` is
then nearly constant and the plug-in has almost no variance.

Model conventions: ``coef`` ``(K, d)``, ``intercept`` ``(K,)``. Binary margin losses use
``K = 1`` and ``y ∈ {−1, +1}`` (as float64), ``L_j = φ(y(w·(x+ρu_j) + b))``. ``SOFTMAX`` uses
``K`` classes and the class index as ``y`` (stored in a float64 array, cast to int),
``L_j = CE(W(x+ρu_j) + b, y)``.
"""

import numpy as np
from numba import njit

from ._logmeanexp import effective_sample_fraction, entropic_weights
from ._losses import SOFTMAX, margin_loss, margin_loss_derivative, softmax_loss
from ._projections import ascent_direction
from ._sampling import fill_unit_ball
from ._tilted import fill_tilted_rows, zero_if_not_finite

RT_MLMC = 0
VANILLA = 1
SAA = 2

ESTIMATOR_CODES = {"rt-mlmc": RT_MLMC, "vanilla": VANILLA, "saa": SAA}

UNIFORM = 0
TILTED = 1
PROPOSAL_CODES = {"uniform": UNIFORM, "tilted": TILTED}


@njit(cache=True)
def sample_losses(x, y, coef, intercept, rho, loss_code, U, m, losses, dscores, base, scores, probs):
    """Losses ``L_j = ℓ(x + ρu_j)`` and score derivatives ``r_j`` for the first ``m`` rows of ``U``.

    Fills ``losses[:m]`` and ``dscores[:m, :K]`` with ``r_j = ∂ℓ/∂s`` at the perturbed score
    ``s_j = coef (x + ρu_j) + intercept``, so that ``∇_coef L_j = r_j ⊗ (x + ρu_j)`` and
    ``∇_intercept L_j = r_j``. Binary margin loss: ``r_j = y φ'(y s_j)``. Softmax:
    ``r_j = softmax(s_j) − onehot(y)``. ``base``, ``scores`` and ``probs`` are ``(K,)`` scratch.
    """
    k_out, d = coef.shape
    for c in range(k_out):
        acc = intercept[c]
        for k in range(d):
            acc += coef[c, k] * x[k]
        base[c] = acc
    if loss_code == SOFTMAX:
        label = int(y)
        for j in range(m):
            for c in range(k_out):
                acc = 0.0
                for k in range(d):
                    acc += coef[c, k] * U[j, k]
                scores[c] = base[c] + rho * acc
            losses[j] = softmax_loss(scores, label, probs)
            for c in range(k_out):
                dscores[j, c] = probs[c]
            dscores[j, label] -= 1.0
    else:
        base0 = base[0]
        for j in range(m):
            acc = 0.0
            for k in range(d):
                acc += coef[0, k] * U[j, k]
            z = y * (base0 + rho * acc)
            losses[j] = margin_loss(z, loss_code)
            dscores[j, 0] = y * margin_loss_derivative(z, loss_code)


@njit(cache=True)
def accumulate_gradient(x, U, m, dscores, weights, rho, scale, fit_intercept, gcoef, gint):
    """Add ``scale · Σ_j a_j ∇_θ L_j`` to ``(gcoef, gint)``, ``a = weights[:m]``.

    Uses ``Σ_j a_j r_j ⊗ (x + ρu_j) = (Σ_j a_j r_j) ⊗ x + ρ Σ_j a_j r_j ⊗ u_j``.
    ``gint`` is left untouched when ``fit_intercept`` is false.
    """
    k_out, d = gcoef.shape
    for c in range(k_out):
        total = 0.0
        for j in range(m):
            coeff = weights[j] * dscores[j, c]
            total += coeff
            if coeff != 0.0:
                coeff *= scale * rho
                for k in range(d):
                    gcoef[c, k] += coeff * U[j, k]
        total *= scale
        for k in range(d):
            gcoef[c, k] += total * x[k]
        if fit_intercept:
            gint[c] += total


@njit(cache=True)
def plugin_gradients(x, y, coef, intercept, rho, eta, loss_code, U, fit_intercept):
    """Plug-in gradients of ``η log (1/m) Σ_j exp(L_j/η)`` on all rows of ``U`` and on each half.

    Parameters
    ----------
    x : ndarray (d,)
    y : float
        ``±1`` for margin losses, the class index for ``SOFTMAX``.
    coef, intercept : ndarray (K, d), (K,)
    rho, eta : float
        Perturbation radius and entropic temperature (``eta > 0``).
    loss_code : int
    U : ndarray (m, d)
        Unit-ball samples ``u_j``.
    fit_intercept : bool

    Returns
    -------
    full_coef, full_int, h1_coef, h1_int, h2_coef, h2_int : ndarrays
        ``v = Σ_j π_j ∇_θ L_j`` with ``π = softmax(L/η)`` over all ``m`` samples, then over the
        first ``m // 2`` and over the remaining ``m − m // 2`` rows. The halves are zero when
        ``m == 1`` (the ``v^{−1} = 0`` convention). Intercept gradients are zero when
        ``fit_intercept`` is false.
    """
    m = U.shape[0]
    k_out, d = coef.shape
    losses = np.empty(m)
    dscores = np.empty((m, k_out))
    scores = np.empty(k_out)
    probs = np.empty(k_out)
    weights = np.empty(m)
    sample_losses(
        x, y, coef, intercept, rho, loss_code, U, m, losses, dscores, np.empty(k_out), scores, probs
    )
    full_coef, h1_coef, h2_coef = np.zeros((k_out, d)), np.zeros((k_out, d)), np.zeros((k_out, d))
    full_int, h1_int, h2_int = np.zeros(k_out), np.zeros(k_out), np.zeros(k_out)
    entropic_weights(losses, eta, weights)
    accumulate_gradient(x, U, m, dscores, weights, rho, 1.0, fit_intercept, full_coef, full_int)
    if m > 1:
        half = m // 2
        entropic_weights(losses[:half], eta, weights[:half])
        entropic_weights(losses[half:], eta, weights[half:])
        w1 = weights.copy()
        w1[half:] = 0.0
        accumulate_gradient(x, U, m, dscores, w1, rho, 1.0, fit_intercept, h1_coef, h1_int)
        w2 = weights.copy()
        w2[:half] = 0.0
        accumulate_gradient(x, U, m, dscores, w2, rho, 1.0, fit_intercept, h2_coef, h2_int)
    return full_coef, full_int, h1_coef, h1_int, h2_coef, h2_int


@njit(cache=True)
def level_probability(level, max_level):
    """``p_l = 2^{−l} / (2 − 2^{−L})``, the RT-MLMC level law on ``{0..L}``."""
    return 0.5**level / (2.0 - 0.5**max_level)


@njit(cache=True)
def draw_level(max_level):
    """Draw ``l ∈ {0..L}`` with probability :func:`level_probability` (numba's generator)."""
    r = np.random.random()
    cum = 0.0
    for level in range(max_level):
        cum += level_probability(level, max_level)
        if r < cum:
            return level
    return max_level


@njit(cache=True)
def point_scratch(m_max, k_out, d):
    """Buffers of :func:`point_estimate` for up to ``m_max`` inner samples:
    ``(U, losses, dscores, weights, base, scores, probs, log_w, theta)``."""
    return (np.empty((m_max, d)), np.empty(m_max), np.empty((m_max, k_out)),
            np.empty((2, m_max)), np.empty(k_out), np.empty(k_out), np.empty(k_out),
            np.zeros(m_max), np.empty(d))


@njit(cache=True)
def _shifted_scores(x_shift, x, coef, intercept, rho, direction, scores):
    """``scores = coef (x + ρ·x_shift·direction) + intercept`` (``x_shift`` 0 or 1; with 0,
    ``direction`` is not read, so it may be an uninitialised buffer)."""
    k_out, d = coef.shape
    for c in range(k_out):
        acc = intercept[c]
        if x_shift == 0.0:
            for k in range(d):
                acc += coef[c, k] * x[k]
        else:
            for k in range(d):
                acc += coef[c, k] * (x[k] + rho * x_shift * direction[k])
        scores[c] = acc


@njit(cache=True)
def _score_derivative(x_shift, x, y, coef, intercept, rho, loss_code, direction, scores, probs, out):
    """``out = ∂ℓ/∂s`` at ``x + ρ·x_shift·direction`` (:func:`_shifted_scores`)."""
    k_out = coef.shape[0]
    _shifted_scores(x_shift, x, coef, intercept, rho, direction, scores)
    if loss_code == SOFTMAX:
        softmax_loss(scores, int(y), probs)
        for c in range(k_out):
            out[c] = probs[c]
        out[int(y)] -= 1.0
    else:
        out[0] = y * margin_loss_derivative(y * scores[0], loss_code)


@njit(cache=True)
def point_tilt(x, y, coef, intercept, rho, eta, norm_code, loss_code, theta, scores, probs, r):
    """``θ = (ρ/η) ∇_x ℓ(x')`` with ``x' = x + ρ·dir(∇_x ℓ(x))`` (one fast-gradient step), or for
    the softmax loss ``x' = x + ρ·dir(w_c − w_y)`` (the worst case of the margin to class ``c``)
    where that loses more, as :func:`~skentropic.linear_model._tilted_rule._softmax_start`.

    ``∇_x ℓ = Σ_c r_c coef_c`` with ``r = ∂ℓ/∂s``; ``dir`` is the steepest-ascent unit step of
    the ball (``sign`` for ``l_∞``, normalised for ``l_2``, the largest coordinate for ``l_1``).
    """
    k_out, d = coef.shape
    _score_derivative(0.0, x, y, coef, intercept, rho, loss_code, theta, scores, probs, r)
    for k in range(d):
        acc = 0.0
        for c in range(k_out):
            acc += r[c] * coef[c, k]
        theta[k] = acc
    direction = np.empty(d)
    ascent_direction(theta, norm_code, direction)
    if loss_code == SOFTMAX:
        _worst_class_start(x, int(y), coef, intercept, rho, norm_code, direction, theta, scores, probs)
    _score_derivative(1.0, x, y, coef, intercept, rho, loss_code, direction, scores, probs, r)
    factor = rho / eta
    for k in range(d):
        acc = 0.0
        for c in range(k_out):
            acc += r[c] * coef[c, k]
        theta[k] = factor * acc
    zero_if_not_finite(theta)


@njit(cache=True)
def _worst_class_start(x, label, coef, intercept, rho, norm_code, direction, scratch, scores, probs):
    """Replace ``direction`` by ``dir(w_c − w_label)`` for the class ``c`` whose margin's worst case
    loses most, when that loses more than ``direction`` (``scratch``: a length-``d`` buffer).

    With three or more classes ``e^{CE/η}`` has one mode per competing class and the tilt stays
    in the one it starts in; the fast-gradient step can start it in a class that loses far less
    (in ``d = 64`` a point's gradient estimate was 36% off, ``tests/test_mlmc.py``)."""
    k_out, d = coef.shape
    _shifted_scores(1.0, x, coef, intercept, rho, direction, scores)
    best = softmax_loss(scores, label, probs)
    candidate = np.empty(d)
    for c in range(k_out):
        if c == label:
            continue
        for k in range(d):
            scratch[k] = coef[c, k] - coef[label, k]
        ascent_direction(scratch, norm_code, candidate)
        _shifted_scores(1.0, x, coef, intercept, rho, candidate, scores)
        loss = softmax_loss(scores, label, probs)
        if loss > best:
            best = loss
            # an element loop: an array-to-array slice assignment compiles numba's shape-mismatch
            # error formatting (see cube_atoms)
            for k in range(d):
                direction[k] = candidate[k]


@njit(cache=True)
def draw_inner_samples(proposal, x, y, coef, intercept, rho, eta, norm_code, loss_code, U, m, log_w, theta,
                       scores, probs, r):
    """Fill ``U[:m]`` with uniform or tilted ball samples and ``log_w[:m]`` with their log weights."""
    if proposal == TILTED:
        point_tilt(x, y, coef, intercept, rho, eta, norm_code, loss_code, theta, scores, probs, r)
        fill_tilted_rows(U, m, theta, norm_code, log_w)
    else:
        for j in range(m):
            fill_unit_ball(U[j], norm_code)
            log_w[j] = 0.0


@njit(cache=True)
def point_estimate(
    method, level, max_level, x, y, coef, intercept, rho, eta, loss_code, U, m, log_w,
    losses, dscores, base, scores, probs, weights, scale, fit_intercept, gcoef, gint,
):
    """Add ``scale ×`` one estimator's gradient for one point to ``(gcoef, gint)``; return ESS/m.

    ``U[:m]`` must already hold the inner samples (``m = 2^level`` for ``RT_MLMC``) and
    ``log_w[:m]`` their log importance weights (zeros for uniform samples). For
    ``VANILLA``/``SAA`` the estimate is the plug-in ``v``; for ``RT_MLMC`` it is
    ``(v^l − ½(v^{l−1}_{(1)} + v^{l−1}_{(2)})) / p_l`` computed in one pass with combined weights.
    ``weights`` is a ``(2, m_max)`` scratch array; the other scratch arrays are as in
    :func:`sample_losses`. The returned effective sample size fraction ``(Σπ)²/(mΣπ²)`` of the
    full level's weights ``π ∝ w e^{L/η}`` measures how informative the samples are.
    """
    sample_losses(x, y, coef, intercept, rho, loss_code, U, m, losses, dscores, base, scores, probs)
    for j in range(m):
        losses[j] += eta * log_w[j]  # the softmaxes below use L/η + log w
    full, halves = weights[0], weights[1]
    entropic_weights(losses[:m], eta, full[:m])
    ess = effective_sample_fraction(full[:m])
    if method == RT_MLMC:
        inv_p = 1.0 / level_probability(level, max_level)
        if m == 1:
            full[0] = inv_p
        else:
            half = m // 2
            entropic_weights(losses[:half], eta, halves[:half])
            entropic_weights(losses[half:m], eta, halves[half:m])
            for j in range(m):
                full[j] = (full[j] - 0.5 * halves[j]) * inv_p
    accumulate_gradient(x, U, m, dscores, full, rho, scale, fit_intercept, gcoef, gint)
    return ess


@njit(cache=True)
def draw_gradient_estimates(
    method, x, y, coef, intercept, rho, eta, norm_code, loss_code, max_level, n_draws, seed, proposal=UNIFORM,
):
    """``n_draws`` independent ``RT_MLMC`` or ``VANILLA`` gradient draws for one data point.

    Returns
    -------
    gcoef : ndarray (n_draws, K, d)
    gint : ndarray (n_draws, K)
    n_inner : int
        Total number of unit-ball samples drawn (the estimators' cost).
    """
    np.random.seed(seed)
    k_out, d = coef.shape
    m_max = 2**max_level
    U, losses, dscores, weights, base, scores, probs, log_w, theta = point_scratch(m_max, k_out, d)
    r = np.empty(k_out)
    gcoef = np.zeros((n_draws, k_out, d))
    gint = np.zeros((n_draws, k_out))
    n_inner = 0
    for t in range(n_draws):
        level = draw_level(max_level) if method == RT_MLMC else max_level
        m = 2**level
        draw_inner_samples(proposal, x, y, coef, intercept, rho, eta, norm_code, loss_code, U, m, log_w, theta,
                           scores, probs, r)
        n_inner += m
        point_estimate(
            method, level, max_level, x, y, coef, intercept, rho, eta, loss_code, U, m, log_w,
            losses, dscores, base, scores, probs, weights, 1.0, True, gcoef[t], gint[t],
        )
    return gcoef, gint, n_inner
