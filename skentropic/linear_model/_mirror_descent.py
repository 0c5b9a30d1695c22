"""Stochastic mirror descent (Euclidean prox) on the entropic risk of linear models.

Minimises, over ``θ = (coef, intercept)``,

    F(θ) = Σ_i sw_i η log E_{u~U(B_1)} exp(ℓ(x_i + ρu, y_i; θ)/η) + ½ α ||coef||²

with the gradient estimators of :mod:`skentropic._core._mlmc`. One step with batch ``B``:

    g_t = (1/B) Σ_{b=1..B} ĝ(x_{i_b}, y_{i_b}; θ_t) + α coef_t,     i_b ~ sw  (i.i.d.)
    θ_{t+1} = Proj_{||θ||_2 ≤ R}(θ_t − γ_t g_t)

i.e. the mirror-descent prox with the Euclidean mirror map, which is a projection onto the
ball of radius ``R`` when ``radius`` is set (``||θ||² = ||coef||_F² + ||intercept||²``; the
intercept only counts when it is fitted) and plain SGD otherwise. Data indices are sampled
with probabilities ``sample_weight`` and averaged uniformly, which is unbiased for the
weighted objective. One epoch is ``ceil(n / B)`` steps and one call of :func:`~skentropic.linear_model._mirror_descent_kernels.epoch_kernel`;
the epoch loop, the schedule bookkeeping, averaging start and printing stay in Python.
"""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._core._losses import HINGE, LOGISTIC, SOFTMAX, SQUARED_HINGE
from .._core._mlmc import ESTIMATOR_CODES, PROPOSAL_CODES, SAA
from .._core._norms import NORM_INF
from .._core._sampling import draw_seed
from ._mirror_descent_kernels import epoch_kernel

SCHEDULE_CONSTANT = 0
SCHEDULE_SQRT = 1
SCHEDULE_CODES = {"constant": SCHEDULE_CONSTANT, "sqrt": SCHEDULE_SQRT}

# Upper bounds on the curvature of the loss in the score, sup |φ''| (softmax: ½ of the
# cross-entropy Hessian's spectral bound 1). The hinge is not smooth; 1 stands in for its
# squared Lipschitz constant so the heuristic step is 1 / G² as for subgradient methods.
_CURVATURE = {LOGISTIC: 0.25, HINGE: 1.0, SQUARED_HINGE: 2.0, SOFTMAX: 0.5}


def default_step_size(X, rho, norm_code, loss_code, alpha, fit_intercept):
    """Heuristic initial step ``γ_0 = 1 / (c · G² + α)`` used when ``step_size`` is None.

    ``G = max_i ||x_i||_2 + ρ r_p (+1 for the intercept)`` bounds the norm of
    ``∂s/∂θ`` at any perturbed point, with ``r_p = max_{||u||_p ≤ 1} ||u||_2`` (``√d`` for
    ``p = ∞``, 1 otherwise), and ``c = sup φ''`` (``¼`` logistic, ``2`` squared hinge, ``½``
    softmax, ``1`` hinge). ``c G²`` is the smoothness constant of ``ℓ(x + ρu; ·)``;
    the extra ``Cov_π(∇L)/η`` curvature of the entropic aggregation is ignored, so for small
    ``η`` the ``"sqrt"`` schedule (or a smaller ``step_size``) is the safe choice.
    """
    r_p = np.sqrt(X.shape[1]) if norm_code == NORM_INF else 1.0
    g = np.sqrt(np.max(np.einsum("ij,ij->i", X, X))) + rho * r_p + (1.0 if fit_intercept else 0.0)
    return 1.0 / (_CURVATURE[loss_code] * g * g + alpha)


def fit_stochastic(
    X, y, sample_weight, *, rho, eta, norm_code, loss_code, alpha, fit_intercept,
    coef_init, intercept_init, estimator, max_level, n_saa_samples, batch_size, max_iter,
    step_size, schedule, radius, average, seed, verbose=0, callback=None, average_start=None,
    step_offset=0, schedule_steps=None, average_init=None, proposal="tilted",
):
    """Minimise the entropic risk of a linear model by projected stochastic gradient descent.

    Parameters
    ----------
    X : ndarray of shape (n, d), float64, C-contiguous
    y : ndarray of shape (n,)
        ``±1`` floats for margin losses; class indices ``0..K−1`` (int) for ``SOFTMAX``.
    sample_weight : ndarray of shape (n,)
        Non-negative, summing to 1; data indices are *sampled* with these probabilities.
    rho : float >= 0
    eta : float > 0
    norm_code, loss_code : int
        Codes from :mod:`skentropic._core._norms` and :mod:`skentropic._core._losses`.
    alpha : float >= 0
        ``½ α ||coef||²`` penalty (intercept unpenalised).
    fit_intercept : bool
    coef_init : ndarray (K, d); intercept_init : ndarray (K,)
        Starting point (copied). ``K = 1`` for margin losses.
    estimator : {"rt-mlmc", "vanilla", "saa"}
    max_level : int >= 0
        ``L``: vanilla uses ``2^L`` inner samples per point, RT-MLMC levels ``0..L``.
    n_saa_samples : int >= 1
        Inner samples per point for ``"saa"`` (drawn once, regenerated from per-point seeds).
    batch_size : int >= 1
    max_iter : int >= 1
        Number of epochs; an epoch is ``ceil(n / batch_size)`` steps.
    step_size : float > 0 or None
        ``γ_0``; None uses :func:`default_step_size`.
    schedule : {"constant", "sqrt"}
        ``γ_t = γ_0`` or ``γ_t = γ_0 / sqrt(1 + t / steps_per_epoch)`` (``t`` counts steps).
    radius : float > 0 or None
        Project ``(coef, intercept)`` onto ``{||θ||_2 ≤ radius}`` after every step.
    average : bool
        Return the Polyak–Ruppert average of the iterates of all steps from epoch
        ``average_start`` on instead of the last iterate.
    seed : int or RandomState
        Drawn up front from it: for ``"saa"`` the ``n`` per-point sample seeds
        (``RandomState.randint(2**31 - 1, size=n)``, so the fixed-sample problem does not depend
        on ``max_iter``), then one seed per epoch.
    verbose : int
        Print one line per epoch when > 0.
    callback : callable or None
        ``callback(epoch, coef, intercept)`` after each epoch (1-based ``epoch``), with the
        iterate that would be returned if the run stopped there (the average once averaging
        has started). The arrays are copies.
    average_start : int or None
        0-based epoch from which iterates are averaged; None means ``max_iter // 2``
        (averaging over the last half of the run).
    step_offset : int, default=0
        Steps already taken by the run this call continues (``partial_fit``): the schedule
        counts ``t`` from here.
    schedule_steps : int or None
        ``s`` of the ``"sqrt"`` schedule ``γ_t = γ_0 / sqrt(1 + t / s)``; None means
        ``steps_per_epoch`` of this call. A continued run keeps the ``s`` of its first call.
    average_init : tuple (avg_coef, avg_intercept, count) or None
        Running Polyak–Ruppert average to continue (copied); None starts a new one.
    proposal : {"tilted", "uniform"}, default="tilted"
        Inner samples from the proposal tilted toward ``(ρ/η)∇_x ℓ`` one fast-gradient step
        from the point, or for the softmax loss at the worst case of the competing class that
        loses most (exact weights, :func:`skentropic._core._mlmc.point_tilt`), or uniform in
        the ball (the talk's estimator).

    Returns
    -------
    coef : ndarray (K, d)
    intercept : ndarray (K,)
    n_iter : int
        Epochs run (always ``max_iter``: no early stopping).
    info : dict
        ``"n_gradient_samples"`` total inner samples drawn, ``"samples_per_epoch"`` (list),
        ``"n_steps"``, ``"step_size"`` (``γ_0`` used), ``"estimator"``, ``"ess_per_epoch"`` (mean
        effective sample size fraction of the inner weights, per epoch), and the state a later
        call needs to continue the run: ``"iterate"`` (last ``(coef, intercept)``, not
        averaged), ``"average"`` (``(avg_coef, avg_intercept, count)``), ``"schedule_steps"``.
    """
    method = _check_choice(estimator, ESTIMATOR_CODES, "estimator")
    schedule_code = _check_choice(schedule, SCHEDULE_CODES, "schedule")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}.")
    n, d = X.shape
    coef = np.array(coef_init, dtype=np.float64, order="C", copy=True)
    intercept = np.array(intercept_init, dtype=np.float64, copy=True)
    k_out = coef.shape[0] if coef.ndim == 2 else -1
    if coef.shape != (k_out, d) or intercept.shape != (k_out,):
        raise ValueError(
            f"coef_init must have shape (K, {d}) and intercept_init (K,); got "
            f"{coef.shape} and {intercept.shape}."
        )
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}.")
    if loss_code == SOFTMAX:
        if k_out < 2 or not np.all((y >= 0) & (y < k_out) & (y == np.round(y))):
            raise ValueError(f"For the softmax loss y must hold class indices in [0, {k_out}).")
    elif k_out != 1 or not np.all(np.abs(y) == 1):
        raise ValueError("For binary margin losses K must be 1 and y must be in {-1, +1}.")
    y = y.astype(np.float64)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,) or not np.all(np.isfinite(sw)) or np.any(sw < 0) or sw.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative, of shape (n,), not all 0.")
    cum = np.cumsum(sw / sw.sum())
    cum[-1] = 1.0
    for name, value, low in (("rho", rho, 0.0), ("alpha", alpha, 0.0)):
        if not (isinstance(value, Real) and np.isfinite(value) and value >= low):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    if not (isinstance(eta, Real) and np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0 for stochastic solvers, got {eta!r}.")
    for name, value, low in (("max_level", max_level, 0), ("n_saa_samples", n_saa_samples, 1),
                             ("batch_size", batch_size, 1), ("max_iter", max_iter, 1)):
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    if max_level > 24:
        raise ValueError(f"max_level must be <= 24 (2^L inner samples), got {max_level}.")
    if step_size is None:
        step_size = default_step_size(X, rho, norm_code, loss_code, alpha, fit_intercept)
    elif not (isinstance(step_size, Real) and np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a positive number or None, got {step_size!r}.")
    if radius is not None and not (isinstance(radius, Real) and np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a positive number or None, got {radius!r}.")
    if average_start is None:
        average_start = max_iter // 2
    batch_size = min(int(batch_size), n)
    steps_per_epoch = -(-n // batch_size)
    if schedule_steps is None:
        schedule_steps = steps_per_epoch
    for name, value, low in (("step_offset", step_offset, 0), ("schedule_steps", schedule_steps, 1)):
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")

    rng = check_random_state(seed)
    # SAA seeds first, so the fixed-sample problem depends on `seed` only, not on max_iter
    saa_seeds = (
        rng.randint(np.iinfo(np.int32).max, size=n).astype(np.int64)
        if method == SAA else np.zeros(1, dtype=np.int64)
    )
    epoch_seeds = [draw_seed(rng) for _ in range(max_iter)]
    avg_coef, avg_int, avg_count = coef.copy(), intercept.copy(), 0
    if average_init is not None:
        avg_coef = np.array(average_init[0], dtype=np.float64, order="C", copy=True)
        avg_int = np.array(average_init[1], dtype=np.float64, copy=True)
        avg_count = int(average_init[2])
        if avg_coef.shape != coef.shape or avg_int.shape != intercept.shape or avg_count < 0:
            raise ValueError("average_init must be (avg_coef, avg_intercept, count >= 0) shaped "
                             "like coef_init and intercept_init.")
    samples_per_epoch, ess_per_epoch = [], []
    proposal_code = _check_choice(proposal, PROPOSAL_CODES, "proposal")
    for epoch in range(max_iter):
        tic = time.perf_counter()
        do_average = bool(average) and epoch >= average_start
        n_inner, avg_count, ess = epoch_kernel(
            X, y, cum, coef, intercept, avg_coef, avg_int, avg_count,
            float(rho), float(eta), int(norm_code), int(loss_code), float(alpha),
            bool(fit_intercept), method, int(max_level), int(n_saa_samples), saa_seeds,
            batch_size, steps_per_epoch, float(step_size), schedule_code,
            int(step_offset) + epoch * steps_per_epoch, int(schedule_steps), float(radius or 0.0),
            do_average,
            epoch_seeds[epoch], proposal_code,
        )
        samples_per_epoch.append(int(n_inner))
        ess_per_epoch.append(float(ess))
        if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
            raise FloatingPointError(
                f"Stochastic solver diverged at epoch {epoch + 1}: non-finite coefficients. "
                "Use a smaller step_size or set radius."
            )
        out_coef, out_int = (avg_coef, avg_int) if avg_count > 0 else (coef, intercept)
        if verbose > 0:
            print(
                f"-- Epoch {epoch + 1}/{max_iter}: inner samples {n_inner}, ESS/m {ess:.3f}, "
                f"||coef|| {np.linalg.norm(out_coef):.6g}, time {time.perf_counter() - tic:.3f}s"
            )
        if callback is not None:
            callback(epoch + 1, out_coef.copy(), out_int.copy())
    out_coef, out_int = (avg_coef, avg_int) if avg_count > 0 else (coef, intercept)
    info = {
        "n_gradient_samples": int(sum(samples_per_epoch)),
        "samples_per_epoch": samples_per_epoch,
        "n_steps": max_iter * steps_per_epoch,
        "step_size": float(step_size),
        "estimator": estimator,
        "ess_per_epoch": ess_per_epoch,
        "iterate": (coef.copy(), intercept.copy()),
        "average": (avg_coef.copy(), avg_int.copy(), avg_count),
        "schedule_steps": int(schedule_steps),
    }
    return out_coef.copy(), out_int.copy(), max_iter, info


def _check_choice(value, codes, name):
    if not isinstance(value, str) or value not in codes:
        raise ValueError(f"{name} must be one of {sorted(codes)}, got {value!r}.")
    return codes[value]
