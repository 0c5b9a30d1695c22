"""Numba kernels of tabular Q-learning with the entropic robust Bellman target.

State discretization
--------------------
Dimension ``k`` of an observation is cut into ``n_bins[k]`` equal bins on
``[low[k], high[k]]``; values outside fall in the first or last bin. With
``inv_width[k] = n_bins[k] / (high[k] − low[k])`` the bin is
``clip(floor((s_k − low_k) inv_width_k), 0, n_bins_k − 1)`` and the table row is the
mixed-radix index ``Σ_k bin_k · stride_k`` (C order over ``n_bins``).

Robust target
-------------
For a transition ``(s, a, r, s')`` the regular target is ``r + γ max_b Q(s', b)``. The
entropic robust target replaces ``Q(s', b)`` by a soft minimum over the ball around ``s'``::

    V_ρ,η(s') = max_b  −η log E_{u ~ U(B_1)} exp(−Q(s' + ρ D u, b) / η)

where ``B_1`` is the unit ``l_p`` ball and ``D = diag(scale)`` with ``scale = (high − low)/2``,
so ``ρ`` is measured in the normalized space where the discretization box is ``[−1, 1]^d``.
The expectation is replaced by the mean over ``m`` uniform draws ``u_1..u_m`` (shared by all
actions), computed in log space with max-subtraction (``entropic_mean`` of ``−Q``), so it is
exact for the sampled points and stable for any ``η``. Limits: ``ρ = 0`` gives
``max_b Q(s', b)`` exactly (no draw is made); ``η = 0`` gives the minimum over the sampled
points; ``η = ∞`` gives their mean. A terminated transition has target ``r``.
"""

import numpy as np
from numba import njit

from .._core._logmeanexp import entropic_mean
from .._core._sampling import fill_unit_ball
from ._cartpole import cartpole_step, observe


@njit(cache=True)
def state_index(obs, low, inv_width, n_bins, strides):
    """Row of the Q table for the observation ``obs`` (see the module docstring)."""
    idx = 0
    for k in range(obs.shape[0]):
        t = (obs[k] - low[k]) * inv_width[k]
        nb = n_bins[k]
        if not t >= 1.0:  # also catches -inf and NaN
            b = 0
        elif t >= nb:
            b = nb - 1
        else:
            b = int(t)
        idx += b * strides[k]
    return idx


@njit(cache=True)
def greedy_action(q, s):
    """``argmax_a Q(s, a)``, the first maximizer on ties (as ``np.argmax``)."""
    best = 0
    for a in range(1, q.shape[1]):
        if q[s, a] > q[s, best]:
            best = a
    return best


@njit(cache=True)
def epsilon_greedy(q, s, epsilon):
    """With probability ``epsilon`` a uniform action, otherwise the greedy one."""
    if np.random.random() < epsilon:
        return np.random.randint(0, q.shape[1])
    return greedy_action(q, s)


@njit(cache=True)
def robust_value(q, next_obs, low, inv_width, n_bins, strides, scale, rho, eta, n_samples,
                 norm_code, u, point, rows, vals):
    """``V_ρ,η(s')`` of the module docstring (``max_b Q(s', b)`` when ``ρ = 0``).

    ``u``, ``point`` (shape ``(d,)``), ``rows`` (int, ``(m,)``) and ``vals`` (``(m,)``)
    are work buffers. Draws ``m`` points from numba's generator when ``ρ > 0``.
    """
    n_actions = q.shape[1]
    if rho == 0.0:
        s = state_index(next_obs, low, inv_width, n_bins, strides)
        best = q[s, 0]
        for b in range(1, n_actions):
            if q[s, b] > best:
                best = q[s, b]
        return best
    d = next_obs.shape[0]
    for j in range(n_samples):
        fill_unit_ball(u, norm_code)
        for k in range(d):
            point[k] = next_obs[k] + rho * scale[k] * u[k]
        rows[j] = state_index(point, low, inv_width, n_bins, strides)
    best = -np.inf
    for b in range(n_actions):
        if np.isinf(eta):
            v = 0.0
            for j in range(n_samples):
                v += q[rows[j], b]
            v /= n_samples
        else:
            for j in range(n_samples):
                vals[j] = -q[rows[j], b]
            v = -entropic_mean(vals, eta)
        if v > best:
            best = v
    return best


@njit(cache=True)
def td_update(q, s, a, reward, next_obs, terminated, alpha, gamma, low, inv_width, n_bins,
              strides, scale, rho, eta, n_samples, norm_code, u, point, rows, vals):
    """``Q(s,a) ← Q(s,a) + α (r + γ V_ρ,η(s') [not terminated] − Q(s,a))``."""
    target = reward
    if not terminated:
        target += gamma * robust_value(q, next_obs, low, inv_width, n_bins, strides, scale,
                                       rho, eta, n_samples, norm_code, u, point, rows, vals)
    q[s, a] += alpha * (target - q[s, a])


@njit(cache=True)
def train_cartpole(q, params, alphas, epsilons, gamma, low, inv_width, n_bins, strides, scale,
                   rho, eta, n_samples, norm_code, max_steps, seed, episode_rewards):
    """Run ``len(alphas)`` Q-learning episodes on CartPole, updating ``q`` in place.

    Episode ``e`` uses learning rate ``alphas[e]`` and exploration ``epsilons[e]``; starts
    are ``U(-0.05, 0.05)^4``; the agent sees float32-rounded observations, as gymnasium's.
    Truncated transitions (time limit) bootstrap, terminated ones do not.
    Writes the undiscounted return of each episode to ``episode_rewards``; returns the
    number of environment steps taken.
    """
    np.random.seed(seed)
    d = 4
    state = np.empty(d)
    obs = np.empty(d)
    u = np.empty(d)
    point = np.empty(d)
    rows = np.empty(max(n_samples, 1), dtype=np.int64)
    vals = np.empty(max(n_samples, 1))
    total_steps = 0
    for e in range(alphas.shape[0]):
        for k in range(d):
            state[k] = np.random.uniform(-0.05, 0.05)
        observe(state, obs)
        s = state_index(obs, low, inv_width, n_bins, strides)
        ret = 0.0
        for t in range(max_steps):
            a = epsilon_greedy(q, s, epsilons[e])
            terminated = cartpole_step(state, a, params)
            observe(state, obs)
            ret += 1.0
            td_update(q, s, a, 1.0, obs, terminated, alphas[e], gamma, low, inv_width, n_bins,
                      strides, scale, rho, eta, n_samples, norm_code, u, point, rows, vals)
            total_steps += 1
            if terminated:
                break
            s = state_index(obs, low, inv_width, n_bins, strides)
        episode_rewards[e] = ret
    return total_steps


@njit(cache=True)
def evaluate_cartpole(q, params, n_episodes, max_steps, low, inv_width, n_bins, strides, seed):
    """Undiscounted returns of the greedy policy of ``q`` over ``n_episodes`` CartPole episodes."""
    np.random.seed(seed)
    d = 4
    state = np.empty(d)
    obs = np.empty(d)
    out = np.empty(n_episodes)
    for e in range(n_episodes):
        for k in range(d):
            state[k] = np.random.uniform(-0.05, 0.05)
        ret = 0.0
        for t in range(max_steps):
            observe(state, obs)
            a = greedy_action(q, state_index(obs, low, inv_width, n_bins, strides))
            ret += 1.0
            if cartpole_step(state, a, params):
                break
        out[e] = ret
    return out
