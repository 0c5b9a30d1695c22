"""Numba kernels of Q-learning with tile coding and the entropic robust Bellman target.

Tile coding
-----------
``T`` tilings each cut the box ``[low, high]`` of the observations into the same grid of
``n_bins[k]`` tiles per dimension, shifted by a fraction of a tile: in tile units
``z_k = (s_k − low_k) inv_width_k`` (``inv_width_k = n_bins_k / (high_k − low_k)``), tiling
``t`` puts ``s`` in tile ``clip(floor(z_k + o_tk), 0, n_tiles_k − 1)`` of dimension ``k``, with
``n_tiles_k = n_bins_k + 1`` (one extra tile covers the shift) and the offsets
``o_tk = (t (2k + 1) / T) mod 1`` (Miller & Glanz's odd displacements, which avoid the
diagonal artefacts of equal shifts; see :func:`tile_offsets`). The tile's index in the weight
array is ``t · tiles_per_tiling + Σ_k b_k stride_k`` (C order over ``n_tiles``). Values
outside the box fall in the edge tiles. The action value is the sum of the active weights,
``Q(s, a) = Σ_t w[φ_t(s), a]``, piecewise constant on cells ``T`` times narrower than a tile,
so a ball of radius much smaller than a tile still changes ``Q`` almost everywhere (it does
so only near the ``1/T`` boundaries of a single table).

Robust target
-------------
As for the table (see ``_qlearning``), with ``Q`` the tile-coded values::

    V_ρ,η(s') = max_b  −η log E_{u ~ U(B_1)} exp(−Q(s' + ρ D u, b) / η),

the expectation replaced by the mean over ``m`` uniform draws shared by all actions, in log
space (``entropic_mean``). The semi-gradient update of a transition ``(s, a, r, s')`` is
``w[φ_t(s), a] += (α / T) (r + γ V_ρ,η(s') [not terminated] − Q(s, a))`` for each tiling
``t``; with ``T = 1`` it is the tabular update exactly.
"""

import numpy as np
from numba import njit

from .._core._logmeanexp import entropic_mean
from .._core._sampling import fill_unit_ball
from ._cartpole import cartpole_step, observe


def tile_offsets(n_tilings, n_features):
    """Offsets ``o_tk = (t (2k + 1) / T) mod 1`` of the tilings, in tile units.

    Returns
    -------
    offsets : ndarray of shape (n_tilings, n_features)
    """
    t = np.arange(n_tilings)[:, None]
    k = np.arange(n_features)[None, :]
    return (t * (2 * k + 1) % n_tilings) / n_tilings


@njit(cache=True)
def active_tiles(obs, low, inv_width, n_tiles, strides, offsets, out):
    """Write the active tile of each tiling of ``obs`` into ``out`` (shape ``(T,)``)."""
    n_tilings, d = offsets.shape
    per_tiling = strides[0] * n_tiles[0]
    for t in range(n_tilings):
        idx = t * per_tiling
        for k in range(d):
            z = (obs[k] - low[k]) * inv_width[k] + offsets[t, k]
            nt = n_tiles[k]
            if not z >= 1.0:  # also catches -inf and NaN
                b = 0
            elif z >= nt:
                b = nt - 1
            else:
                b = int(z)
            idx += b * strides[k]
        out[t] = idx


@njit(cache=True)
def tile_value(w, tiles, a):
    """``Q(s, a) = Σ_t w[tiles_t, a]`` for the active ``tiles`` of ``s``."""
    v = 0.0
    for t in range(tiles.shape[0]):
        v += w[tiles[t], a]
    return v


@njit(cache=True)
def tile_greedy(w, tiles):
    """``argmax_a Q(s, a)``, the first maximizer on ties (as ``np.argmax``)."""
    best, best_v = 0, tile_value(w, tiles, 0)
    for a in range(1, w.shape[1]):
        v = tile_value(w, tiles, a)
        if v > best_v:
            best, best_v = a, v
    return best


@njit(cache=True)
def tile_epsilon_greedy(w, tiles, epsilon):
    """With probability ``epsilon`` a uniform action, otherwise the greedy one."""
    if np.random.random() < epsilon:
        return np.random.randint(0, w.shape[1])
    return tile_greedy(w, tiles)


@njit(cache=True)
def tile_robust_value(w, next_obs, low, inv_width, n_tiles, strides, offsets, scale, rho, eta,
                      n_samples, norm_code, u, point, tiles, qs, vals):
    """``V_ρ,η(s')`` of the module docstring (``max_b Q(s', b)`` when ``ρ = 0``).

    Work buffers: ``u``, ``point`` (``(d,)``), ``tiles`` (int, ``(T,)``), ``qs``
    (``(m, n_actions)``), ``vals`` (``(m,)``). Draws ``m`` points when ``ρ > 0``.
    """
    n_actions = w.shape[1]
    if rho == 0.0:
        active_tiles(next_obs, low, inv_width, n_tiles, strides, offsets, tiles)
        best = -np.inf
        for b in range(n_actions):
            v = tile_value(w, tiles, b)
            if v > best:
                best = v
        return best
    d = next_obs.shape[0]
    for j in range(n_samples):
        fill_unit_ball(u, norm_code)
        for k in range(d):
            point[k] = next_obs[k] + rho * scale[k] * u[k]
        active_tiles(point, low, inv_width, n_tiles, strides, offsets, tiles)
        for b in range(n_actions):
            qs[j, b] = tile_value(w, tiles, b)
    best = -np.inf
    for b in range(n_actions):
        if np.isinf(eta):
            v = 0.0
            for j in range(n_samples):
                v += qs[j, b]
            v /= n_samples
        else:
            for j in range(n_samples):
                vals[j] = -qs[j, b]
            v = -entropic_mean(vals, eta)
        if v > best:
            best = v
    return best


@njit(cache=True)
def tile_td_update(w, tiles_s, a, reward, next_obs, terminated, alpha, gamma, low, inv_width,
                   n_tiles, strides, offsets, scale, rho, eta, n_samples, norm_code, u, point,
                   tiles, qs, vals):
    """``w[φ_t(s), a] += (α/T)(r + γ V_ρ,η(s') [not terminated] − Q(s, a))`` for every ``t``.

    ``tiles_s`` holds the active tiles of ``s``; ``tiles`` is a work buffer of the same shape.
    """
    target = reward
    if not terminated:
        target += gamma * tile_robust_value(w, next_obs, low, inv_width, n_tiles, strides,
                                            offsets, scale, rho, eta, n_samples, norm_code, u,
                                            point, tiles, qs, vals)
    step = alpha / tiles_s.shape[0] * (target - tile_value(w, tiles_s, a))
    for t in range(tiles_s.shape[0]):
        w[tiles_s[t], a] += step


@njit(cache=True)
def train_cartpole_tiles(w, params, alphas, epsilons, gamma, low, inv_width, n_tiles, strides,
                         offsets, scale, rho, eta, n_samples, norm_code, max_steps, seed,
                         episode_rewards):
    """``train_cartpole`` of ``_qlearning`` with tile-coded values ``w`` (updated in place).

    Same episodes, exploration and truncation rules; returns the number of steps taken.
    """
    np.random.seed(seed)
    d = 4
    m = max(n_samples, 1)
    state, obs, u, point = np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    tiles_s = np.empty(offsets.shape[0], dtype=np.int64)
    tiles = np.empty(offsets.shape[0], dtype=np.int64)
    qs = np.empty((m, w.shape[1]))
    vals = np.empty(m)
    total_steps = 0
    for e in range(alphas.shape[0]):
        for k in range(d):
            state[k] = np.random.uniform(-0.05, 0.05)
        observe(state, obs)
        active_tiles(obs, low, inv_width, n_tiles, strides, offsets, tiles_s)
        ret = 0.0
        for t in range(max_steps):
            a = tile_epsilon_greedy(w, tiles_s, epsilons[e])
            terminated = cartpole_step(state, a, params)
            observe(state, obs)
            ret += 1.0
            tile_td_update(w, tiles_s, a, 1.0, obs, terminated, alphas[e], gamma, low,
                           inv_width, n_tiles, strides, offsets, scale, rho, eta, n_samples,
                           norm_code, u, point, tiles, qs, vals)
            total_steps += 1
            if terminated:
                break
            active_tiles(obs, low, inv_width, n_tiles, strides, offsets, tiles_s)
        episode_rewards[e] = ret
    return total_steps


@njit(cache=True)
def evaluate_cartpole_tiles(w, params, n_episodes, max_steps, low, inv_width, n_tiles, strides,
                            offsets, seed):
    """Undiscounted returns of the greedy tile-coded policy over ``n_episodes`` episodes."""
    np.random.seed(seed)
    d = 4
    state, obs = np.empty(d), np.empty(d)
    tiles = np.empty(offsets.shape[0], dtype=np.int64)
    out = np.empty(n_episodes)
    for e in range(n_episodes):
        for k in range(d):
            state[k] = np.random.uniform(-0.05, 0.05)
        ret = 0.0
        for t in range(max_steps):
            observe(state, obs)
            active_tiles(obs, low, inv_width, n_tiles, strides, offsets, tiles)
            ret += 1.0
            if cartpole_step(state, tile_greedy(w, tiles), params):
                break
        out[e] = ret
    return out


@njit(cache=True)
def tile_q_values(w, X, low, inv_width, n_tiles, strides, offsets):
    """``Q(x_i, a)`` for the rows of ``X``, shape ``(n, n_actions)``."""
    out = np.empty((X.shape[0], w.shape[1]))
    tiles = np.empty(offsets.shape[0], dtype=np.int64)
    for i in range(X.shape[0]):
        active_tiles(X[i], low, inv_width, n_tiles, strides, offsets, tiles)
        for a in range(w.shape[1]):
            out[i, a] = tile_value(w, tiles, a)
    return out
