"""The excess ``F_i − φ(s_i)`` of the binary logistic rules, without the cancellation of ``F − φ`` (private).

``F_i = η log Σ_j ω_j exp(φ(s_i + δ_j)/η)`` over the atoms ``(δ_j, ω_j)`` of the law of the
score's shift (:mod:`._sphere_rule`, :mod:`._cube_rule`, :mod:`._l1_rule`), so

    F_i − φ(s_i) = η log Σ_j ω_j exp(Δ_ij/η),   Δ_ij = φ(s_i + δ_j) − φ(s_i),

the same rule as :func:`~._objective.per_sample_objective`'s. Subtracting the two computed risks
loses ``eps φ(s_i)`` absolutely, all of a penalty of ``1e-17`` at ``ρ = 1e-7`` (the small-``ρ``
end of :func:`skentropic.regularization.penalty_sweep`). Here every step keeps its relative
accuracy:

- ``Δ = log1p(σ(−s) expm1(−δ))`` for the logistic ``φ(z) = log(1 + e^{−z})`` (the difference
  itself where that does not cancel, :func:`logistic_increments`);
- ``η log1p(Σ_j ω_j expm1(x_j) / Σ_j ω_j)``, ``x_j = Δ_ij/η``, where every ``x_j <= 1``, else the
  max-subtracted ``logsumexp``.
"""

import numpy as np
from scipy.special import expit, logsumexp

from .._core._losses import LOGISTIC
from .._core._norms import NORM_L1, NORM_L2, dual_norm

# rows per block of the (rows, atoms) arrays: about 2^20 floats
_BLOCK_FLOATS = 1 << 20


def logistic_increments(scores, shifts):
    """``Δ_ij = φ(s_i + δ_j) − φ(s_i)`` for the logistic ``φ(z) = log(1 + e^{−z})``.

    ``Δ = log((1 + e^{−s−δ})/(1 + e^{−s})) = log1p(z)``, ``z = σ(−s) expm1(−δ)``: relative
    accuracy for every size of ``δ``. Where ``z < −1/2`` or ``−δ > 30`` it takes the difference
    of the two losses, which no longer cancels: ``|Δ|`` is then above ``log 2`` (``z < −1/2``),
    or the two losses are both small and exact or ``Δ`` is near the larger one (``−δ > 30``).
    """
    s = np.asarray(scores, dtype=np.float64)[:, None]
    delta = np.asarray(shifts, dtype=np.float64)[None, :]
    z = expit(-s) * np.expm1(np.minimum(-delta, 30.0))
    direct = (z < -0.5) | (-delta > 30.0)
    difference = np.logaddexp(0.0, -s - delta) - np.logaddexp(0.0, -s)
    return np.where(direct, difference, np.log1p(np.maximum(z, -0.5)))


def log_mean_exp_excess(x, log_w):
    """``log Σ_j ω_j e^{x_ij} / Σ_j ω_j`` per row, accurate where it is tiny.

    Rows with every ``x_ij <= 1``: ``log1p(Σ_j ω_j expm1(x_ij) / Σ_j ω_j)``, which keeps the
    relative accuracy of a result near 0 (a ``logsumexp`` would lose ``eps`` absolutely); other
    rows: ``logsumexp`` with max-subtraction.
    """
    w = np.exp(log_w - np.max(log_w))
    out = np.log1p((np.expm1(np.minimum(x, 1.0)) @ w) / w.sum())
    big = np.max(x, axis=1) > 1.0
    if big.any():
        out[big] = logsumexp(x[big] + log_w, axis=1) - logsumexp(log_w)
    return out


def logistic_shift_laws(w, rho, eta, norm_code, n_features, score_span):
    """``[(b, δ, log ω), ...]``: the atoms ``(δ_j, log ω_j)`` of the score's shift ``δ = −ρ w·u``
    that the logistic rules use at ``η > 0``, with their shares ``b`` of ``F`` (one rule, or the
    ``l_∞`` rule's blend near a tie of its 8th and 9th coordinates,
    :func:`~._cube_rule.hybrid_tie_weight`); ``None`` where the rule has none (an ``l_2`` radius
    beyond the sphere rule's atoms takes the per-point quadrature). ``w = 0``: the atom ``0``."""
    from ._atom_rule import normalise_log_weights
    from ._law_margins import cross_law, cube_law, tied_rule
    from ._sphere_rule import sphere_law

    if not np.any(w):
        return [(1.0, np.zeros(1), np.zeros(1))]
    if norm_code == NORM_L2:
        r = rho * float(np.linalg.norm(w))
        law = sphere_law(r, n_features, eta)
        return None if law is None else [(1.0, -r * law[0], law[1])]
    if norm_code == NORM_L1:
        law = cross_law(w, rho, eta, LOGISTIC, score_span)
        return [(1.0, -law[0], law[1])]
    law = cube_law(w, rho, eta, LOGISTIC, score_span)
    blend = tied_rule(law, w, rho, eta, LOGISTIC, score_span)
    if blend is None:
        return [(1.0, -law[0], law[1])]
    b, _, _, tied, same_atoms = blend
    if same_atoms:  # blended log weights, as the rule's
        return [(1.0, -law[0], normalise_log_weights(law[1] + b * (tied[1] - law[1])))]
    return [(1.0 - b, -law[0], law[1]), (b, -tied[0], tied[1])]


def logistic_excess(w, b, X, y, rho, eta, norm_code):
    """``F_i − φ(s_i)`` of the binary logistic model ``(w, b)`` (``y`` in ``±1``), or ``None``
    where the rule has no atoms.

    ``η = 0``: ``φ(s_i − ρ||w||_q) − φ(s_i)`` (the dual norm); ``η > 0``:
    ``η log Σ_j ω_j exp(Δ_ij/η)`` over the atoms of :func:`logistic_shift_laws` (their shares'
    sum where there are two), in blocks of rows.
    """
    w = np.asarray(w, dtype=np.float64)
    scores = np.asarray(y, dtype=np.float64) * (np.asarray(X @ w).ravel() + float(b))
    if eta == 0:
        return logistic_increments(scores, [-rho * float(dual_norm(w, norm_code))])[:, 0]
    score_span = float(np.max(np.abs(scores))) if scores.shape[0] else 0.0
    laws = logistic_shift_laws(w, rho, eta, norm_code, X.shape[1], score_span)
    if laws is None:
        return None
    out = np.zeros(scores.shape[0])
    for share, shifts, log_w in laws:
        block = max(1, _BLOCK_FLOATS // shifts.shape[0])
        for start in range(0, scores.shape[0], block):
            x = logistic_increments(scores[start:start + block], shifts) / eta
            out[start:start + block] += share * eta * log_mean_exp_excess(x, log_w)
    return out
