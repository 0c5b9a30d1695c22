"""The binary margin losses' exact l_∞ and l_1 rules: the laws of ``T = ρ|w|·u`` as weighted atoms
and the entropic losses and gradient parts they give (private; :mod:`._objective` assembles them).

    F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt,   T = Σ_k ρ|w_k| u_k,

``u`` uniform in the cube (:mod:`._cube_rule`) or in the ``l_1`` ball (:mod:`._l1_rule`).
"""

import numpy as np

from .._core._aot import kernel
from .._core._losses import HINGE, LOGISTIC, margin_losses_numpy
from .._core._sinhc import N_DERIV
from ._atom_rule import normalise_log_weights
from ._chunks import PARALLEL_WORK, linf_law_parallel
from ._cube_density import spline_corners, spline_table
from ._cube_gradient import cube_atoms_gradient, cube_atoms_gradient_parallel, spline_atoms_gradient
from ._cube_rule import (
    _N_BIG,
    KEPT_ROWS_FLOATS,
    SAVED_COLUMNS,
    active_coordinates,
    atom_grid,
    cube_atoms,
    cube_atoms_parallel,
    edgeworth_with_ninth,
    gauss_hermite,
    hybrid_tie_weight,
    suffix_power_sums,
)
from ._l1_rule import l1_atoms, l1_atoms_parallel, l1_grid, l1_node_work
from ._score_grid import atom_margin

# the forms compiled ahead of time at install where they exist (skentropic/_core/_aot.py)
cube_atoms = kernel("cube_atoms", cube_atoms)
cube_atoms_gradient = kernel("cube_atoms_gradient", cube_atoms_gradient)
spline_atoms_gradient = kernel("spline_atoms_gradient", spline_atoms_gradient)


def atom_margin_rule(scores, sw, shift, log_w, eta, loss_code, values, ds, score_grid, kink=False):
    """Fill ``values``/``ds`` from an atom rule; return the adjoints ``(Σ sw ψ_j, Σ sw π_j)``.

    The score grid tabulates the logistic loss (the hinge is kinked at every atom). ``kink``:
    the atoms are a trapezoidal rule, so correct the hinge's kink (:func:`._atom_rule.margin_atoms`).
    """
    return atom_margin(scores, sw, shift, log_w, eta, loss_code, kink, values, ds,
                       score_grid and loss_code == LOGISTIC)


def cube_law(w, rho, eta, loss_code, score_span, n_big_max=_N_BIG, grid_args=None):
    """Atoms ``(t, log ω)`` of the law of ``T = Σ_k ρ|w_k| u_k`` (``u`` uniform in the cube).

    Returns ``(t, log_w, index, a, grid)`` with normalised log weights, the indices and values
    ``a_k = ρ|w_k| > 0`` of the active coordinates and the rule's arguments
    ``grid = (n_big, s0, h, j_lo, gh_z, gh_w, corners, signs, signed_eps, table, suffix, saved, rows)``
    (:func:`~skentropic.linear_model._cube_rule.atom_grid`, the sign patterns of the ``n_big``
    largest coordinates of :func:`~skentropic.linear_model._cube_density.spline_corners` and their
    sums as polynomials of :func:`~skentropic.linear_model._cube_density.spline_table`; ``saved``
    holds what the gradient kernel needs of the atoms' densities and cumulants, ``rows`` the
    atoms' log-sinhc derivatives when they take at most ``KEPT_ROWS_FLOATS`` floats, else no
    rows: the gradient kernel then recomputes them), or ``None`` when ``ρ w = 0``. ``n_big_max``:
    of :func:`~skentropic.linear_model._cube_rule.atom_grid`; ``grid_args``: its result, where the
    caller has it.
    """
    index, a = active_coordinates(rho * np.abs(np.asarray(w, dtype=np.float64)))
    if index.shape[0] == 0:
        return None
    s0, h, j_lo, n_atoms, n_big = grid_args or atom_grid(a, eta, loss_code, score_span, n_big_max=n_big_max)
    t, log_w = np.empty(n_atoms), np.empty(n_atoms)
    gh_z, gh_w = gauss_hermite()
    saved = np.empty((n_atoms, SAVED_COLUMNS + n_big))
    d = a.shape[0]
    rows = np.empty((n_atoms if n_atoms * d * N_DERIV <= KEPT_ROWS_FLOATS else 0, d, N_DERIV))
    corners = spline_corners(a[:n_big])
    # the table serves the hybrid density only: with every coordinate exact (n_big = d) the atoms
    # take the spline itself, and a table of up to 2^10 rows would be built for nothing
    table = spline_table(*corners) if n_big < d else np.empty((0, 0))
    grid = (n_big, s0, h, j_lo, gh_z, gh_w, *corners, table, suffix_power_sums(a), saved, rows)
    (cube_atoms_parallel if linf_law_parallel(n_atoms * a.shape[0]) else cube_atoms)(a, *grid, t, log_w)
    return t, normalise_log_weights(log_w), index, a, grid


def cross_law(w, rho, eta, loss_code, score_span, resolve_loss=True, with_grad=False):
    """Atoms ``(t, log ω)`` of the law of ``T = Σ_k ρ|w_k| u_k`` (``u`` uniform in the ``l_1`` ball).

    Returns ``(t, log_w, index, a, (fold, grads))`` with normalised log weights, the indices and
    values ``a_k = ρ|w_k| > 0`` of the active coordinates, the map ``fold`` from an atom to its
    distinct ``|t_j|`` (the law is even) and, with ``with_grad``, ``grads[fold_j, k] =
    ∂ log p_T(t_j)/∂a_k``; or ``None`` when ``ρ w = 0``.
    """
    w = np.asarray(w, dtype=np.float64)
    index, a = active_coordinates(rho * np.abs(w))
    if index.shape[0] == 0:
        return None
    n_total = w.shape[0]
    t, gap, log_jac, fold, n_half = l1_grid(a, n_total, eta, loss_code, score_span, resolve_loss)
    first = np.zeros(n_half, dtype=np.int64)
    first[fold[::-1]] = np.arange(t.shape[0] - 1, -1, -1)  # one atom of each |t|
    t_half, gap_half = np.abs(t[first]), gap[first]
    log_p = np.empty(n_half)
    grads = np.empty((n_half, a.shape[0]) if with_grad else (0, 0))
    kernel = l1_atoms_parallel if n_half * a.shape[0] * l1_node_work(n_total) > PARALLEL_WORK else l1_atoms
    kernel(t_half, gap_half, a, n_total, log_p, grads, bool(with_grad))
    return t, normalise_log_weights(log_p[fold] + log_jac), index, a, (fold, grads)


def cross_log_mgf(theta):
    """``Λ(θ_i) = log E e^{θ_i·u}`` for every row of ``θ`` (``u`` uniform in the ``l_1`` ball).

    ``θ·u`` has the law of ``T`` with ``a = |θ|``, so ``Λ = log ∫ p_T(t) e^t dt``: the atoms of
    :func:`cross_law` at ``η = 1`` with a loss of slope 1, spaced for the density only
    (relative error about ``1e-4`` or better, like the entropic risk).
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    out = np.zeros(theta.shape[0])
    for i, row in enumerate(theta):
        law = cross_law(row, 1.0, 1.0, LOGISTIC, 0.0, resolve_loss=False)
        if law is not None:
            t, log_w = law[:2]
            top = float(np.max(log_w + t))
            out[i] = top + np.log(np.sum(np.exp(log_w + t - top)))
    return out


def cross_margin(w, scores, sw, rho, eta, loss_code, values, ds, score_grid):
    """Exact ``l_1`` rule: ``F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt``, ``T = Σ_k ρ|w_k| u_k``.

    The atoms ``t_j`` are held fixed, so the perturbation part of ``∂/∂w`` is
    ``ρ sign(w_k) Σ_j β_j ∂ log p_T(t_j)/∂a_k`` with ``β_j = η Σ_i sw_i (π_ij − ω_j)``.
    """
    law = cross_law(w, rho, eta, loss_code, float(np.max(np.abs(scores))), with_grad=True)
    if law is None:
        values[:], ds[:] = margin_losses_numpy(scores, loss_code)
        return "margin", ds, None, None
    fold, grads = law[4]
    beta = _law_adjoints(law, scores, sw, eta, loss_code, values, ds, score_grid)[1]
    grad_a = np.bincount(fold, weights=beta, minlength=grads.shape[0]) @ grads
    return "margin", ds, None, _weight_gradient(w, law[2], rho, grad_a)


def cube_margin(w, scores, sw, rho, eta, loss_code, values, ds, score_grid):
    """Exact ``l_∞`` rule: ``F_i = η log ∫ p_T(t) exp(φ(s_i − t)/η) dt``, ``T = Σ_k ρ|w_k| u_k``.

    Returns the gradient parts; the perturbation part of ``∂/∂w`` is
    ``ρ sign(w_k) Σ_j (α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k)`` with ``α_j = −Σ_i sw_i ψ_ij`` and
    ``β_j = η Σ_i sw_i (π_ij − ω_j)`` (:mod:`._cube_rule`, :mod:`._atom_rule`).

    Where the 8th and 9th largest ``a_k`` are near a tie (:func:`tie_blend`) the rule with the 9
    largest exact enters with the share ``b``: on the same atoms (the usual case: the grid does not
    depend on which coordinates are exact) as the log weights ``ℓ = (1 − b) ℓ_8 + b ℓ_9``, whose
    ``∂b/∂a`` adds ``Σ_j β_j (ℓ_9,j − ℓ_8,j) ∂b/∂a_k``; else as ``F = (1 − b) F_8 + b F_9``, which
    adds ``Σ_i sw_i (F_9,i − F_8,i) ∂b/∂a_k``.
    """
    score_span = float(np.max(np.abs(scores)))
    law = cube_law(w, rho, eta, loss_code, score_span)
    if law is None:  # w = 0: T = 0
        values[:], ds[:] = margin_losses_numpy(scores, loss_code)
        return "margin", ds, None, None
    blend = tied_rule(law, w, rho, eta, loss_code, score_span)
    if blend is None:
        grad_a = _law_gradient(law, *_law_adjoints(law, scores, sw, eta, loss_code, values, ds, score_grid))
        return "margin", ds, None, _weight_gradient(w, law[2], rho, grad_a)
    b, db_top, db_below, tied, same_atoms = blend
    t, log_w = law[:2]
    if same_atoms:
        step = tied[1] - log_w
        blended = normalise_log_weights(log_w + b * step)
        alpha, beta = _law_adjoints((t, blended), scores, sw, eta, loss_code, values, ds, score_grid)
        grad_a = _law_gradient(law, alpha, (1.0 - b) * beta) + _law_gradient(tied, np.zeros_like(t), b * beta)
        gap = float(beta @ step)
    else:
        values_8, ds_8 = np.empty_like(values), np.empty_like(ds)
        grad_8 = _law_gradient(law, *_law_adjoints(law, scores, sw, eta, loss_code, values_8, ds_8, score_grid))
        grad_9 = _law_gradient(tied, *_law_adjoints(tied, scores, sw, eta, loss_code, values, ds, score_grid))
        gap = float(sw @ (values - values_8))
        values[:] = values_8 + b * (values - values_8)
        ds[:] = ds_8 + b * (ds - ds_8)
        grad_a = grad_8 + b * (grad_9 - grad_8)
    grad_a[_N_BIG - 1] += gap * db_top
    grad_a[_N_BIG] += gap * db_below
    return "margin", ds, None, _weight_gradient(w, law[2], rho, grad_a)


def tied_rule(law, w, rho, eta, loss_code, score_span):
    """``(b, ∂b/∂a_8, ∂b/∂a_9, tied, same_atoms)`` of the blend with the rule ``tied`` of
    :func:`cube_law` that takes 9 coordinates exactly (``same_atoms``: its grid is ``law``'s, so
    the two blend as log weights on ``law``'s atoms), or ``None`` where there is no blend
    (:func:`tie_blend`)."""
    (b, db_top, db_below), grid_tied, same_atoms = tie_blend(law, eta, loss_code, score_span)
    if b == 0.0:
        return None
    tied = cube_law(w, rho, eta, loss_code, score_span, n_big_max=_N_BIG + 1, grid_args=grid_tied)
    return b, db_top, db_below, tied, same_atoms


def tie_blend(law, eta, loss_code, score_span):
    """``((b, ∂b/∂a_8, ∂b/∂a_9), grid, same_grid)``: :func:`~._cube_rule.hybrid_tie_weight` for a
    rule of :func:`cube_law`, the grid of the rule with 9 exact coordinates
    (:func:`~._cube_rule.atom_grid`) and whether it is this rule's (the same atoms); or zeros,
    ``None`` and ``False`` where that rule is this one: the same grid, and every atom on the
    Edgeworth density either way (:func:`~._cube_rule.edgeworth_with_ninth`), so ``F_9 = F_8`` to
    rounding and the second rule is not computed (at ``d = 784`` the 9th is within 5% of the 8th at
    most evaluations)."""
    t, _, _, a, grid = law
    tie = hybrid_tie_weight(a, grid[0])
    if tie[0] == 0.0:
        return tie, None, False
    scale, h, j_lo = grid[1:4]
    grid_tied = atom_grid(a, eta, loss_code, score_span, n_big_max=_N_BIG + 1)
    if grid_tied[4] != _N_BIG + 1:  # the 9th cannot be exact (spline_prefix stops at 8): the bend stays
        return (0.0, 0.0, 0.0), None, False
    same_grid = grid_tied[:4] == (scale, h, j_lo, t.shape[0])
    if same_grid and edgeworth_with_ninth(a, scale, h, j_lo, grid[-2]):
        return (0.0, 0.0, 0.0), None, False
    return tie, grid_tied, same_grid


def _law_adjoints(law, scores, sw, eta, loss_code, values, ds, score_grid):
    """Fill ``values`` and ``ds`` from the atoms ``(t, log ω) = law[:2]`` of a rule; return the
    adjoints ``(α, β)`` of its atoms and log weights."""
    t, log_w = law[:2]
    dshift, pi = atom_margin_rule(scores, sw, -t, log_w, eta, loss_code, values, ds, score_grid,
                                  kink=loss_code == HINGE)
    return -dshift, eta * (pi - float(sw.sum()) * np.exp(log_w))


def _law_gradient(law, alpha, beta):
    """``Σ_j (α_j ∂t_j/∂a_k + β_j ∂ℓ_j/∂a_k)`` over the active coordinates of one rule of :func:`cube_law`."""
    t, _, index, a, grid = law
    grad_a = np.empty(index.shape[0])
    n_big, s0, h, j_lo = grid[:4]
    suffix, saved, rows = grid[-3:]
    if n_big == a.shape[0]:  # the exact spline density (at most _SPLINE_MAX coordinates: serial)
        spline_atoms_gradient(a, s0, h, j_lo, suffix, saved, rows, alpha, beta, grad_a)
    else:
        gradient = cube_atoms_gradient_parallel if linf_law_parallel(t.shape[0] * a.shape[0]) else cube_atoms_gradient
        gradient(a, n_big, s0, h, j_lo, suffix, saved, rows, alpha, beta, grad_a)
    return grad_a


def _weight_gradient(w, index, rho, grad_a):
    """The perturbation part of ``∂/∂w``: ``ρ sign(w_k) ∂/∂a_k`` at the active coordinates ``index``."""
    extra = np.zeros_like(w)
    extra[index] = rho * np.sign(w[index]) * grad_a
    return extra
