"""L-BFGS fit of the deterministic entropic objective of linear models.

Minimises ``linear_objective(W, b) + 0.5 α ||W||_F²`` (the intercept is not penalised)
with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``, or, where one run should start
with the curvature learnt in another (the tilted rule's runs and the starts below), with
:func:`._lbfgs_memory.lbfgs`, which keeps its correction pairs from run to run. The measurements
behind each choice below are in ``benchmarks/bench_deterministic_history.rst`` (the section
moved out of this docstring, and the newer ones), with the commands that made them.

L-BFGS keeps ``_MAXCOR = 30`` correction pairs in scipy's runs instead of scipy's 10, and
``_MAXCOR_KEPT = 100`` in the runs of :func:`._lbfgs_memory.lbfgs` (at most ``_MAXCOR_FLOATS``
floats of history, 32 MB, and at least 10): the entropic objectives change their curvature faster
than the logistic loss (the smoothed ``ρ||w||_*`` term). With 100 pairs instead of 30 (and the
bound's points solved to 1e-5) the 10-class digits' multinomial ``l_∞`` fits took 0.13 / 0.16 s
at ``η`` 0.01 / 1e-3 instead of 0.21-0.22 / 0.25-0.26 s, their runs on the large-deviation bound
about half the iterations (ad hoc), and the binary fits no more time (since 2026-11-29,
twenty-first session; ``bench_deterministic_history.rst``); scipy's L-BFGS-B pays more per
iteration for its pairs, and the SVC's hinge fits (scipy's) took longer with 100 (ad hoc). The
whole fit runs with BLAS on one thread (``_core._threads.single_blas_thread``): the parallel numba kernels
leave numba's OpenMP workers spinning for a while after each call, and OpenBLAS's workers spin
after each product, so on few cores the two pools took each other's cores at every evaluation.

Starts (``erm_start``, what the estimators use unless ``warm_start`` gives one; tried from zero
weights only, ``η > 0``):

- **Binary, ``l_2`` and ``l_1``:** the penalised ERM fit (``ρ = 0``) first; L-BFGS starts from
  it when the entropic gradient there (max norm) is at most a fraction of the one at zero (which,
  at zero weights, is the ERM objective's), else from zero: ``_ERM_START_GRADIENT = 0.04``, and
  for the logistic ``l_1`` fits 0.3 (``_ERM_START_GRADIENT_L1``, since 2026-11-29,
  twenty-second session). With the ERM pairs the ``l_1`` fits were faster from the ERM start
  than from zero at the ratios measured up to 0.12, at ``tol`` 1e-4 and 1e-6 (the digits at
  ``ρ = 0.1``, ``η = 1e-3``, ratio 0.12: 10 entropic iterations instead of 33), but for two
  one-vs-rest classes (as fast, and 5% slower), and 3-5x slower at 1.3 to 1.9 (one-vs-rest at
  ``ρ = 2``); ``benchmarks/bench_erm_start.py``. The ``l_2`` fits keep
  0.04: the binary digits at ``ρ = 0.1`` were faster from the ERM start up to 0.085, but the
  one-vs-rest digits at ``ρ = 0.5`` slower at ``tol = 1e-6`` at every ratio, below 0.04 too (the
  ERM pairs' steps too long for the ball's curvature: many more evaluations than iterations).
  Rows: ``bench_deterministic_history.rst``. Only up to
  ``_ERM_START_POINTS = 5000`` points (the laws' cost does not grow with ``n``, the ERM fit's
  does), except for the ``l_1`` ball, whose law stays the dearer part at every size measured.
  For the logistic loss the ERM fit is made by :func:`._lbfgs_memory.lbfgs` and the entropic run
  keeps its pairs; the SVC's losses keep scipy (the hinge's ERM pairs model nothing smooth).
  Where the start is rejected the entropic run is scipy's from zero, without the ERM pairs: with
  them (1275fec, reverted) one-vs-rest fits with a large ball took longer (l1 at ``ρ = 2``, the
  demo's l2 at ``ρ = 0.5``; ad hoc): the ERM curvature misleads where the ball moves the optimum
  far from ERM, which is where the start is rejected.
- **Binary ``l_∞``** (logistic and squared hinge; the hinge's surrogate is kinked): the minimiser
  of the surrogate of :mod:`._surrogate` (each margin moved by the exact entropic risk of a loss
  linear in the perturbation: ERM's cost per evaluation), with its pairs, unless the entropic
  objective there is above its value at zero. With the logistic loss, where the entropic
  gradient there exceeds ``tol``, on to the minimiser of the large-deviation lower bound of
  :mod:`._laplace_surrogate` (each point priced at its own slope), with the same pairs, for at
  most ``_BOUND_ITER`` iterations: the bound is convex but kinked where a point's maximiser jumps
  between two local maxima (its ``H + Ĝ`` need not be concave), and there L-BFGS cannot meet
  ``tol`` (1000 × 784 at ``η = 0.01``, ``ρ = 0.1``: 621 iterations until a line search failed,
  against at most 10 in the other cells of ``bench_deterministic.py --runs``).
  Outside ``_SURROGATE_FIRST`` (``0.5 <= η <= 2``) the logistic fits go on to the bound's
  minimiser without testing the surrogate's, and make the start test there (then, where it fails,
  at the surrogate's minimiser): the entropic run starts from the same point with the same pairs
  wherever the gradient test would have sent it on, and the evaluation at the surrogate's
  minimiser, one of the two or three that most of these fits make, is saved (since 2026-11-30,
  twenty-sixth session; ``bench_deterministic_history.rst``). At ``η = 1`` the surrogate is the
  logistic entropic risk itself (``e^{φ(z)} = 1 + e^{−z}`` is linear in ``e^{T}``, so
  ``F(s) = φ(s − K(1))``), and near it its minimiser often meets ``tol``: the bound's run would
  lead the entropic run away from the solution (with the window emptied, ``--runs --tol 1e-4``:
  the digits at ``η`` 0.9 and 1.1 took 4-5 entropic evaluations instead of 1), so there the
  surrogate's minimiser is tested first. Where the bound's minimiser fails the test and the
  surrogate's passes, the run starts there with the bound's pairs too, and the bound's iterations
  are not counted in ``n_iter`` (as the surrogate's are not where both fail).
- **Multinomial (tilted rule):** the ERM solution at any size (an evaluation of the tilted rule
  draws ``n × m`` samples: the ERM fit is always the cheaper). With the ``l_∞`` ball, on from
  there to the surrogate's minimiser and then to the minimiser of the softmax large-deviation
  bound of :mod:`._softmax_laplace` (since 2026-11-29, twentieth session), all with one set of
  pairs; the tilted runs then start there (below). These two runs stop at ``max(tol,
  _START_GTOL)``: their minimisers are not the risk's, and at the estimator's ``tol = 1e-6`` the
  tilted run from there took about as many iterations after starts converged to ``tol`` as after
  starts stopped at 1e-4, and the fits took 0.6-0.9 of the time with the same true objectives
  (``benchmarks/bench_multinomial_accuracy_history.rst``, ``--fits`` rows at c289883).

With the tilted importance-sampling rule (softmax loss) the proposals are aimed at an anchor
model that stays fixed during one L-BFGS run (the objective is then smooth and deterministic).
From the ``l_∞`` bound's minimiser one run at that anchor, with all ``n_samples`` samples per
point, converges to ``tol`` (the bound's minimiser is close to the risk's: on the 10-class digits
the run took two to five iterations). Otherwise (``l_2``, ``l_1``, or without ``erm_start``)
aiming rounds of at most ``_AIM_ITER`` iterations move the anchor to the current solution until
the objective changes by less than ``_ROUND_TOL`` relative between rounds (the Monte Carlo
error of a re-aimed proposal is of that order) or ``_MAX_ROUNDS - 1`` rounds have run, with a
quarter of the samples (``_AIM_DIVISOR``); a last run at the final anchor then converges to
``tol``. Every run after the first keeps the correction pairs of the runs before (the
objectives of two anchors differ by Monte Carlo noise, not in their curvature).

A run with fixed draws can learn them instead of the risk: at small ``eta`` a few L-BFGS steps
away from the anchor the draws' objective falls far below the risk (the model avoids the drawn
perturbations, as adversarial training on fixed perturbations does), and re-aiming only resets
it. Each aiming round therefore starts by evaluating the objective at the new anchor, and after
the last run the objective is evaluated again with proposals aimed at its solution (a quarter of
the samples); where an aiming round's objective is more than ``_AIM_DRAWS_GAP`` below the
re-aimed one, or the last run's more than ``_DRAWS_GAP``, trust-region rounds take over
(:func:`_trust_region_rounds`), and :func:`_check_draws` warns if they end with the gap still
there. On the 10-class digits the ``l_∞`` fits at ``eta = 1e-3`` learnt their draws through
their aiming rounds (true objective 0.62-0.64 where 0.3696 is reachable) and then needed the
trust-region rounds (1.2-1.3 s a fit); from the bound's minimiser they need neither
(``tests/test_tilted_estimators.py``; times in ``doc/benchmarks.rst``).

For ``η = 0`` with the ``l_∞`` ball the adversarial term ``φ(s − ρ||w||_1)`` is not smooth
where a coordinate of ``w`` vanishes; the weights are then split ``w = w⁺ − w⁻`` with bounds
``w⁺, w⁻ >= 0`` so that ``||w||_1 = Σ (w⁺ + w⁻)`` is linear on the feasible set.
"""

import warnings
from dataclasses import replace

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from .._core._losses import HINGE, LOGISTIC, SOFTMAX, margin_losses
from .._core._norms import NORM_INF, NORM_L1
from .._core._threads import single_blas_thread
from ._laplace_surrogate import laplace_surrogate
from ._lbfgs_memory import Memory, lbfgs
from ._objective import TILTED, linear_objective
from ._softmax_laplace import softmax_laplace_surrogate
from ._surrogate import margin_surrogate, softmax_surrogate

_MAX_ROUNDS = 4  # tilted rule: aim the proposals at most this many times
_AIM_ITER = 20  # L-BFGS iterations of an aiming round (all but the last run)
_AIM_DIVISOR = 4  # aiming rounds use n_samples // _AIM_DIVISOR samples per point (at least 2)
_ROUND_TOL = 1e-3  # aiming stops when the objective moves less than this (relative) between rounds
_DRAWS_GAP = 1e-2  # _check_draws: the relative shortfall of the trained objective that warns
_AIM_DRAWS_GAP = 5e-2  # ... of an aiming round's (a quarter of the samples) that skips to the rounds below
_TR_START = 1e-2  # _trust_region_rounds: the first weight of the proximal term
_TR_ITER = 10  # ... L-BFGS iterations per round
_TR_ROUNDS = 60  # ... rounds at most
_TR_REJECTED = 2  # ... stop after this many steps in a row that did not lower the re-aimed objective
_START_GTOL = 1e-4  # the multinomial l_inf starts (surrogate, bound) stop at this gradient or tol
_BOUND_ITER = 20  # the binary l_inf bound's run stops after this many iterations
_SURROGATE_FIRST = (0.5, 2.0)  # ... and the logistic start tests the surrogate's minimiser first for eta in here
_MAXCOR = 30  # L-BFGS correction pairs of scipy's runs (scipy's and scikit-learn's default: 10) ...
_MAXCOR_KEPT = 100  # ... and of _lbfgs_memory's (the pairs kept from run to run) ...
_MAXCOR_FLOATS = 2**22  # ... fewer (at least 10) where their 2 * maxcor * n_params floats pass this
# erm_start: start from the ERM solution where the entropic gradient there is at most this
# fraction of the one at the given start (_erm_start) ...
_ERM_START_GRADIENT = 0.04
# ... or this one for the l_1 ball where the run keeps the ERM fit's pairs (logistic)
_ERM_START_GRADIENT_L1 = 0.3
# ... with at most this many points, or with the l_1 ball: the laws' cost does not grow with n, the
# matrix products (all of an ERM evaluation) do; beyond, the ERM fit cost about what it saved
_ERM_START_POINTS = 5000


def fit_lbfgs(X, y, sample_weight, **kwargs):
    """:func:`_fit_lbfgs` with BLAS on one thread (see the module docstring)."""
    with single_blas_thread():
        return _fit_lbfgs(X, y, sample_weight, **kwargs)


def _fit_lbfgs(X, y, sample_weight, *, rho, eta, norm_code, loss_code, alpha, fit_intercept,
               coef_init, intercept_init, max_iter, tol, rule, verbose=0, erm_start=False):
    """Fit a linear model on the entropic risk with L-BFGS(-B).

    Parameters
    ----------
    X : ndarray of shape (n, d) or CSR matrix
    y : ndarray of shape (n,)
        ``±1`` floats (binary losses) or class indices (``SOFTMAX``).
    sample_weight : ndarray of shape (n,)
        Non-negative, summing to one.
    rho, eta : float
        Radius and temperature (see :func:`~skentropic.linear_model._objective.linear_objective`).
    norm_code, loss_code : int
    alpha : float
        Strength of the penalty ``0.5 α ||W||_F²``.
    fit_intercept : bool
        If ``False`` the intercept stays at ``intercept_init``.
    coef_init : ndarray of shape (K, d)
    intercept_init : ndarray of shape (K,)
    max_iter : int
        Maximum number of L-BFGS iterations.
    tol : float
        Stopping tolerance on the projected gradient (``pgtol``) and on the relative decrease.
    rule : InnerRule
    verbose : int, default=0
        Passed to L-BFGS-B as ``iprint`` when positive.
    erm_start : bool, default=False
        Binary losses with ``ρ > 0``, ``η > 0`` and an exact or fixed-sample rule, zero
        ``coef_init``, with at most ``_ERM_START_POINTS`` points or the ``l_1`` ball: fit the
        penalised ERM (``ρ = 0``, cheap) first and start from it instead of zero where the
        entropic gradient there is small (:func:`_erm_start`); with the ``l_∞`` ball (not the hinge) start
        from the surrogate's minimiser with its L-BFGS pairs instead, or with the logistic loss,
        where that point does not meet ``tol``, from the large-deviation bound's minimiser
        reached from there (module docstring). The tilted rule: always start at the ERM
        solution and aim there (``l_∞``: at the softmax large-deviation bound's minimiser,
        reached from there through the surrogate's, with one tilted run and no aiming rounds).
        Their iterations count in ``n_iter``.

    Returns
    -------
    coef : ndarray of shape (K, d)
    intercept : ndarray of shape (K,)
    n_iter : int
    converged : bool
        ``False`` when ``max_iter`` was reached (or the line search failed); no warning.
    """
    coef0 = np.array(coef_init, dtype=np.float64, ndmin=2)
    intercept0 = np.array(intercept_init, dtype=np.float64, ndmin=1)
    k, d = coef0.shape
    split = eta == 0 and rho > 0 and norm_code == NORM_INF
    n_w = 2 * k * d if split else k * d

    def unpack(theta):
        if split:
            coef = (theta[:k * d] - theta[k * d:2 * k * d]).reshape(k, d)
        else:
            coef = theta[:k * d].reshape(k, d)
        intercept = theta[n_w:] if fit_intercept else intercept0
        return coef, intercept

    def fun(theta, radius=rho):
        coef, intercept = unpack(theta)
        if split:
            value, g_coef, g_int = _split_l1_objective(theta[:n_w], coef, intercept, X, y, sample_weight,
                                                       rho, loss_code)
        else:
            value, g_coef, g_int = linear_objective(coef, intercept, X, y, sample_weight, radius, eta,
                                                    norm_code, loss_code, rule)
            g_coef = g_coef.ravel()
        value += 0.5 * alpha * float(np.sum(coef * coef))
        pen = alpha * coef.ravel()
        g_w = np.concatenate([g_coef[:k * d] + pen, g_coef[k * d:] - pen]) if split else g_coef + pen
        grad = np.concatenate([g_w, g_int]) if fit_intercept else g_w
        return value, grad

    if split:
        theta0 = np.concatenate([np.maximum(coef0, 0).ravel(), np.maximum(-coef0, 0).ravel()])
        bounds = [(0.0, None)] * n_w
    else:
        theta0 = coef0.ravel().copy()
        bounds = None
    if fit_intercept:
        theta0 = np.concatenate([theta0, intercept0])
        if bounds is not None:
            bounds += [(None, None)] * k
    maxcor, kept_maxcor = (int(max(10, min(pairs, _MAXCOR_FLOATS // (2 * theta0.shape[0]))))
                           for pairs in (_MAXCOR, _MAXCOR_KEPT))
    options = {"maxiter": int(max_iter), "gtol": float(tol), "ftol": 64 * np.finfo(float).eps,
               "maxls": 50, "maxcor": maxcor}
    if verbose:
        options["iprint"] = int(verbose)
    erm_start = erm_start and rho > 0 and eta > 0  # (η > 0: never the split η = 0 fit)

    settings = {"gtol": float(tol), "ftol": options["ftol"], "verbose": int(verbose)}

    def erm_solution(memory):
        """The penalised ERM fit (``ρ = 0``) from the same start, learning the curvature pairs in
        ``memory`` (``None``: by scipy, keeping none): its parameters and iterations."""
        if memory is not None:
            res = lbfgs(lambda theta: fun(theta, 0.0), theta0, memory, maxiter=int(max_iter), **settings)
            return res.x, res.nit
        coef, intercept, n_erm, _ = _fit_lbfgs(
            X, y, sample_weight, rho=0.0, eta=eta, norm_code=norm_code, loss_code=loss_code, alpha=alpha,
            fit_intercept=fit_intercept, coef_init=coef0, intercept_init=intercept0, max_iter=max_iter, tol=tol,
            rule=rule, verbose=verbose)
        return (np.concatenate([coef.ravel(), intercept]) if fit_intercept else coef.ravel()), n_erm

    def surrogate_solution(x, memory, laplace=False):
        """The minimiser of the ``l_∞`` surrogate (:mod:`._surrogate`, or with ``laplace`` the
        large-deviation bound of :mod:`._laplace_surrogate` (logistic) or :mod:`._softmax_laplace`)
        from ``x``, learning the curvature pairs in ``memory``: its parameters and iterations."""
        ld_state = {}

        def surrogate(theta):
            coef, intercept = unpack(theta)
            if loss_code == SOFTMAX and laplace:
                value, g_coef, g_int = softmax_laplace_surrogate(coef, intercept, X, y, sample_weight, rho, eta,
                                                                 ld_state)
            elif loss_code == SOFTMAX:
                value, g_coef, g_int = softmax_surrogate(coef, intercept, X, y, sample_weight, rho, eta)
            elif laplace:
                value, g_coef, g_int = laplace_surrogate(coef, intercept, X, y, sample_weight, rho, eta)
            else:
                value, g_coef, g_int = margin_surrogate(coef, intercept, X, y, sample_weight, rho, eta, loss_code)
            value += 0.5 * alpha * float(np.sum(coef * coef))
            g_w = g_coef.ravel() + alpha * coef.ravel()
            return value, (np.concatenate([g_w, g_int]) if fit_intercept else g_w)

        # the multinomial starts stop at _START_GTOL: their minimisers are not the risk's, and
        # the tilted run from there takes as many iterations to a smaller tol either way
        gtol = max(settings["gtol"], _START_GTOL) if loss_code == SOFTMAX else settings["gtol"]
        # (the binary bound is kinked where a point's maximiser jumps: its run may never meet gtol)
        iterations = min(int(max_iter), _BOUND_ITER) if laplace and loss_code != SOFTMAX else int(max_iter)
        res = lbfgs(surrogate, x, memory, maxiter=iterations, **dict(settings, gtol=gtol))
        return res.x, res.nit

    if rule.kind != TILTED or rho == 0:  # (ρ = 0 needs no inner rule: the ERM start's own fit)
        n_start, memory = 0, None  # memory: the run is _lbfgs_memory's with these pairs, else scipy's
        if (erm_start and loss_code != SOFTMAX and not np.any(theta0[:n_w])
                and (X.shape[0] <= _ERM_START_POINTS or norm_code == NORM_L1)):
            # the hinge's ERM and surrogate objectives are kinked: their pairs are no model of the
            # (smooth) entropic objective, and L-BFGS runs long on them; the squared hinge's ERM
            # pairs slowed its fits too (module docstring)
            if norm_code == NORM_INF and loss_code != HINGE:  # the surrogate's solution and curvature
                memory = Memory(kept_maxcor)
                start, n_start = surrogate_solution(theta0, memory)
                at_zero = fun(theta0, 0.0)[0]  # (at zero: the ERM loss, no law)
                tested = None  # (point, its entropic evaluation) that passed the start test
                bound_first = loss_code == LOGISTIC and not _SURROGATE_FIRST[0] <= eta <= _SURROGATE_FIRST[1]
                if bound_first:  # the start test at the bound's minimiser (module docstring)
                    bound, n_bound = surrogate_solution(start, memory, laplace=True)
                    if n_bound:  # (else it is the surrogate's, tested below)
                        at_bound = fun(bound)
                        if at_bound[0] <= at_zero:
                            tested, n_start = (bound, at_bound), n_start + n_bound
                if tested is None:
                    at_start = fun(start)
                    if at_start[0] <= at_zero:
                        tested = (start, at_start)
                if tested is None:
                    n_start, memory = 0, Memory(kept_maxcor)
                else:
                    theta0, fun = tested[0], _reusing(fun, *tested)
                    if (loss_code == LOGISTIC and not bound_first
                            and np.max(np.abs(tested[1][1])) > tol):  # (else no step to take)
                        theta0, n_laplace = surrogate_solution(start, memory, laplace=True)
                        n_start += n_laplace
            else:
                # at zero weights the ball adds nothing to the gradient (the law of w·u is a point
                # mass, and the entropic loss is even in w): the ERM objective's gradient is the same
                erm_memory = Memory(kept_maxcor) if loss_code == LOGISTIC else None
                threshold = (_ERM_START_GRADIENT_L1 if erm_memory is not None and norm_code == NORM_L1
                             else _ERM_START_GRADIENT)
                start, started, n_start = _erm_start(fun, fun(theta0, 0.0)[1], *erm_solution(erm_memory),
                                                     threshold)
                if start is not None:  # (with the ERM fit's curvature pairs, if it kept any)
                    theta0, fun, memory = start, started, erm_memory
        if memory is not None:
            res = lbfgs(fun, theta0, memory, maxiter=int(max_iter), **settings)
        else:
            res = minimize(fun, theta0, method="L-BFGS-B", jac=True, bounds=bounds, options=options)
        coef, intercept = unpack(res.x)
        return (np.ascontiguousarray(coef), np.array(intercept, dtype=np.float64), n_start + int(res.nit),
                bool(res.success))
    # tilted rule: short runs that re-aim the proposals at the current model (none after the
    # l_inf bound's start), then a full run, all with the same curvature pairs, and trust-region
    # rounds where a run learnt its draws; the first anchor is the ERM solution with erm_start,
    # or with the l_inf ball the large-deviation bound's solution from there (module docstring)
    n_iter, previous, x, full_rule = 0, np.inf, theta0, rule

    def aim(point, base=full_rule):
        """Aim ``base``'s proposals at ``point`` (what ``fun`` then evaluates)."""
        nonlocal rule
        rule = replace(base, anchor=unpack(point))

    memory = Memory(kept_maxcor)
    laplace_start = erm_start and norm_code == NORM_INF and loss_code == SOFTMAX  # (no aiming rounds then)
    if erm_start:
        x, n_iter = erm_solution(memory)
        if laplace_start:
            for laplace in (False, True):
                x, n_surrogate = surrogate_solution(x, memory, laplace=laplace)
                n_iter += n_surrogate
    aim_rule = replace(rule, n_samples=max(2, rule.n_samples // _AIM_DIVISOR))
    learnt = False
    for _ in range(0 if laplace_start else _MAX_ROUNDS - 1):
        aim(x, aim_rule)
        start = fun(x)
        if _learnt_draws(previous, start[0], _AIM_DRAWS_GAP):  # the last round learnt its draws
            learnt = True
            break
        res = lbfgs(_reusing(fun, x, start), x, memory, maxiter=min(int(max_iter), _AIM_ITER), **settings)
        x, n_iter = res.x, n_iter + int(res.nit)
        if abs(previous - res.fun) <= _ROUND_TOL * max(1.0, abs(res.fun)):
            break
        previous = res.fun
    if not learnt:
        aim(x)
        res = lbfgs(fun, x, memory, maxiter=int(max_iter), **settings)
        x, n_iter, converged = res.x, n_iter + int(res.nit), bool(res.success)
        # the objective with proposals aimed at the solution (the aiming rounds' samples: a gap
        # of _DRAWS_GAP is far beyond their error there)
        aim(x, aim_rule)
        learnt = _learnt_draws(res.fun, fun(x)[0], _DRAWS_GAP)
    if learnt:  # a run learnt its draws: trust-region rounds
        x, n_rounds, converged, trained, aimed = _trust_region_rounds(fun, x, aim, kept_maxcor, settings,
                                                                      int(max_iter))
        n_iter += n_rounds
        _check_draws(trained, aimed, full_rule.n_samples, eta)
    coef, intercept = unpack(x)
    return np.ascontiguousarray(coef), np.array(intercept, dtype=np.float64), n_iter, converged


def _trust_region_rounds(fun, x, aim, maxcor, settings, max_iter):
    """Fit with the proposals re-aimed at each step's end, each step kept near its anchor.

    Round: aim at ``x`` (``aim``), then minimise the draws' objective plus ``(μ/2)||θ − x||²`` for
    at most ``_TR_ITER`` iterations (with the pairs of the rounds before: the draws and ``μ``
    change the curvature little; on the 10-class digits the fits took less time than with fresh
    pairs, to the same true objectives, ad hoc); the step is kept where the objective with
    proposals aimed at its end (accurate there) is lower than at ``x``. ``μ`` is a trust region's:
    times 4 where that decrease is under a quarter of the draws' predicted one, halved above three
    quarters (starting at ``_TR_START``). It stops where the gradient at the anchor meets ``gtol``,
    where ``_TR_REJECTED`` steps in a row did not lower the re-aimed objective (converged: its
    differences are then the draws' noise, which a tolerance on the gradient cannot see below),
    or after ``_TR_ROUNDS`` rounds or ``max_iter`` iterations (not converged). Returns ``(x,
    iterations, converged, trained, aimed)`` with the last step's draws' value and the aimed one
    at the result (for :func:`_check_draws`).
    """
    mu, n_iter, rejected = _TR_START, 0, 0
    pairs = Memory(maxcor)  # kept from round to round, as across the aiming rounds
    aim(x)
    f, g = fun(x)
    trained = f
    for _ in range(_TR_ROUNDS):
        if np.max(np.abs(g)) <= settings["gtol"]:
            return x, n_iter, True, f, f
        if n_iter >= max_iter:
            break
        anchor = x.copy()

        def proximal(theta):
            value, grad = fun(theta)
            step = theta - anchor
            return value + 0.5 * mu * float(step @ step), grad + mu * step

        res = lbfgs(proximal, x, pairs, maxiter=_TR_ITER, **settings)
        n_iter += int(res.nit)
        step = res.x - anchor
        predicted = res.fun - 0.5 * mu * float(step @ step)
        aim(res.x)
        f_new, g_new = fun(res.x)
        ratio = (f - f_new) / max(f - predicted, np.finfo(float).tiny)
        if f_new < f:
            x, f, g, trained, rejected = res.x, f_new, g_new, predicted, 0
        else:
            aim(anchor)  # (the same draws as before: the proposals are seeded)
            rejected += 1
            if rejected == _TR_REJECTED:  # no lower re-aimed objective near x: its noise floor
                return x, n_iter, True, trained, f
        mu = mu * 4.0 if ratio < 0.25 else mu / 2.0 if ratio > 0.75 else mu
    return x, n_iter, np.max(np.abs(g)) <= settings["gtol"], trained, f


def _learnt_draws(trained, aimed, gap):
    """Whether a run's objective at its end (``trained``, with its own draws) is more than ``gap``
    (relative) below the same objective with proposals aimed there (``aimed``)."""
    return aimed - trained > gap * abs(aimed)


def _check_draws(trained, aimed, n_samples, eta):
    """Warn where the tilted fit's objective at its solution (``trained``, with the draws of the
    last run's proposals) is more than ``_DRAWS_GAP`` below the same objective with proposals
    aimed at the solution (``aimed``): the fit has then learnt its fixed draws (the worst cases of
    the solution are not among them) rather than the entropic risk (module docstring). Near its
    anchor the estimate is accurate (``benchmarks/bench_multinomial_accuracy.py --convergence``:
    32 samples within 1e-4 of 4096 for the 10-class digits down to ``eta = 1e-3``).
    """
    if _learnt_draws(trained, aimed, _DRAWS_GAP):
        warnings.warn(
            f"The entropic risk at the fitted model is underestimated by its inner samples: "
            f"{trained:.6g} with the draws it was fitted on, {aimed:.6g} with draws aimed at it "
            f"({(aimed - trained) / abs(aimed):.1%} higher). With n_inner_samples={n_samples} at "
            f"eta={eta:g} the fit learns its draws rather than the risk; increase n_inner_samples.",
            ConvergenceWarning, stacklevel=4)


def _erm_start(fun, grad0, theta_erm, n_erm, threshold):
    """``(start, fun, n_iter)``: the ERM solution ``theta_erm`` as the start (with its ``n_erm``
    iterations) if ``max|∇f(theta_erm)| <= threshold max|grad0|``, ``grad0`` the
    gradient at the zero-weight start, else ``None`` (and ``fun``, no iterations);
    with ``theta_erm`` ``fun`` returns the evaluation already made there without repeating it.

    Where the entropic risk is close to the penalised ERM loss (large ``η``, a small ball) L-BFGS
    then needs few iterations, none where ERM already meets the tolerance; where it is far
    (small ``η`` with the ``l_∞`` ball), starting at ERM took as many as starting at zero, plus
    the ERM fit, and the test keeps the zero start.
    """
    at_erm = fun(theta_erm)
    if np.max(np.abs(at_erm[1])) > threshold * np.max(np.abs(grad0)):
        return None, fun, 0
    return theta_erm.copy(), _reusing(fun, theta_erm, at_erm), n_erm


def _reusing(fun, theta, evaluation):
    """``fun`` that returns ``evaluation`` (``fun(theta)``, already made) at ``theta`` instead of
    evaluating there again (the start of the run that follows a start test)."""
    key = theta.tobytes()

    def reused(point):
        if point.tobytes() == key:
            return evaluation[0], evaluation[1].copy()
        return fun(point)

    return reused


def _split_l1_objective(w_split, coef, intercept, X, y, sample_weight, rho, loss_code):
    """``Σ sw_i φ(s_i − ρ Σ_k (w⁺_k + w⁻_k))`` and its gradient in ``(w⁺, w⁻, b)`` (binary, η = 0)."""
    yy = np.asarray(y, dtype=np.float64)
    scores = np.ascontiguousarray(yy * (np.asarray(X @ coef[0]).ravel() + intercept[0]))
    n = scores.shape[0]
    values = np.empty(n)
    ds = np.empty(n)
    margin_losses(scores, rho * float(w_split.sum()), loss_code, values, ds)
    wds = sample_weight * ds * yy
    g_data = np.asarray(X.T @ wds).ravel()
    g_radius = -rho * float(sample_weight @ ds)
    grad = np.concatenate([g_data + g_radius, -g_data + g_radius])
    return float(sample_weight @ values), grad, np.array([wds.sum()])
