"""Tile-coded robust Q-learning: kernels against NumPy references, agent, evaluation."""

import numpy as np
import pytest
from numba import njit
from scipy.special import logsumexp
from sklearn.utils import check_random_state

from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic._core._sampling import draw_seed, sample_unit_ball_kernel, seed_numba
from skentropic.rl import CartPoleEnv, RobustQLearning, evaluate
from skentropic.rl._qlearning import state_index, td_update
from skentropic.rl._tilecoding import active_tiles, tile_offsets, tile_q_values, tile_robust_value, tile_td_update


def tile_tables(bins=(3, 4, 5), bounds=((-1.0, 1.0), (-2.0, 2.0), (0.0, 1.0)), n_tilings=4):
    bins = np.array(bins, dtype=np.int64)
    bounds = np.array(bounds)
    low, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    n_tiles = bins + 1
    strides = np.array([int(np.prod(n_tiles[k + 1:])) for k in range(len(bins))], dtype=np.int64)
    return low, bins / width, n_tiles, strides, tile_offsets(n_tilings, len(bins)), width / 2


def reference_tiles(X, low, inv_width, n_tiles, offsets):
    """Active tile of each tiling, shape (n, T), plain NumPy."""
    per_tiling = int(np.prod(n_tiles))
    out = []
    for t, off in enumerate(offsets):
        b = np.clip(np.floor((X - low) * inv_width + off), 0, n_tiles - 1).astype(int)
        out.append(t * per_tiling + np.ravel_multi_index(b.T, tuple(n_tiles)))
    return np.array(out).T


def test_tile_offsets():
    off = tile_offsets(8, 4)
    assert off.shape == (8, 4)
    np.testing.assert_allclose(off[1], [1 / 8, 3 / 8, 5 / 8, 7 / 8])
    np.testing.assert_allclose(off[3], [3 / 8, (9 % 8) / 8, (15 % 8) / 8, (21 % 8) / 8])
    assert np.all(off[0] == 0) and np.all((off >= 0) & (off < 1))
    # odd displacements coprime with 8: every tiling shifts each dimension differently
    assert all(len(np.unique(off[:, k])) == 8 for k in range(4))


def test_active_tiles_matches_reference():
    low, inv_width, n_tiles, strides, offsets, _ = tile_tables()
    X = np.random.default_rng(0).uniform(-3, 3, size=(300, 3))
    X[0] = [np.inf, -np.inf, 0.99999]
    out = np.empty(len(offsets), dtype=np.int64)
    got = []
    for x in X:
        active_tiles(x, low, inv_width, n_tiles, strides, offsets, out)
        got.append(out.copy())
    X[0] = [10.0, -10.0, 0.99999]
    np.testing.assert_array_equal(np.array(got), reference_tiles(X, low, inv_width, n_tiles,
                                                                 offsets))


def test_one_unshifted_tiling_is_the_table():
    low, inv_width, _, _, _, scale = tile_tables()
    bins = np.array([3, 4, 5])
    strides = np.array([20, 5, 1])
    zero = np.zeros((1, 3))
    X = np.random.default_rng(1).uniform(-2, 2, size=(100, 3))
    out = np.empty(1, dtype=np.int64)
    for x in X:
        active_tiles(x, low, inv_width, bins, strides, zero, out)
        assert out[0] == state_index(x, low, inv_width, bins, strides)
    # and the semi-gradient update with T = 1 is the tabular update, bit for bit
    q = np.random.default_rng(2).normal(size=(60, 2))
    w = q.copy()
    s_next = np.array([0.3, -0.2, 0.7])
    for rho in (0.0, 0.3):
        seed_numba(5)
        td_update(q, 7, 1, 1.0, s_next, False, 0.3, 0.9, low, inv_width, bins, strides, scale,
                  rho, 0.5, 8, NORM_L2, np.empty(3), np.empty(3), np.empty(8, dtype=np.int64),
                  np.empty(8))
        seed_numba(5)
        tile_td_update(w, np.array([7]), 1, 1.0, s_next, False, 0.3, 0.9, low, inv_width, bins,
                       strides, zero, scale, rho, 0.5, 8, NORM_L2, np.empty(3), np.empty(3),
                       np.empty(1, dtype=np.int64), np.empty((8, 2)), np.empty(8))
        np.testing.assert_array_equal(q, w)


def _tile_robust(w, s_next, rho, eta, m, code, seed, tabs):
    d = len(s_next)
    seed_numba(seed)
    return tile_robust_value(w, s_next, *tabs, rho, eta, m, code, np.empty(d), np.empty(d),
                             np.empty(len(tabs[4]), dtype=np.int64), np.empty((m, w.shape[1])),
                             np.empty(m))


def _reference_q(w, X, tabs):
    low, inv_width, n_tiles, _, offsets, _ = tabs
    return w[reference_tiles(X, low, inv_width, n_tiles, offsets)].sum(axis=1)  # (n, actions)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
def test_tile_robust_value_matches_reference(code):
    tabs = tile_tables()
    w = np.random.default_rng(3).normal(size=(4 * 120, 2)) * 5
    s_next = np.array([0.1, -0.3, 0.5])
    rho, m, seed = 0.1, 32, 11
    U = sample_unit_ball_kernel(m, 3, code, seed)
    Q = _reference_q(w, s_next + rho * tabs[5] * U, tabs)
    assert len(np.unique(Q[:, 0])) >= 3  # a small ball already sees several values
    for eta in [0.2, 3.0]:
        ref = np.max(-eta * (logsumexp(-Q / eta, axis=0) - np.log(m)))
        assert _tile_robust(w, s_next, rho, eta, m, code, seed, tabs) == pytest.approx(
            ref, rel=1e-12)
    assert _tile_robust(w, s_next, rho, 0.0, m, code, seed, tabs) == pytest.approx(
        np.max(Q.min(axis=0)), rel=1e-12)
    assert _tile_robust(w, s_next, rho, np.inf, m, code, seed, tabs) == pytest.approx(
        np.max(Q.mean(axis=0)), rel=1e-12)
    regular = _reference_q(w, s_next[None], tabs)[0].max()
    assert _tile_robust(w, s_next, 0.0, 1.0, m, code, seed, tabs) == pytest.approx(
        regular, rel=1e-12)


def test_tile_robust_value_is_stable():
    tabs = tile_tables()
    w = np.random.default_rng(4).normal(size=(4 * 120, 2)) * 1e3
    v = _tile_robust(w, np.array([0.0, 0.0, 0.5]), 0.5, 1e-6, 64, NORM_INF, 0, tabs)
    assert np.isfinite(v)


def test_tile_td_update_and_q_values():
    tabs = tile_tables()
    low, inv_width, n_tiles, strides, offsets, scale = tabs
    w = np.random.default_rng(5).normal(size=(4 * 120, 2))
    s, s_next = np.array([[0.2, 0.5, 0.1]]), np.array([0.25, 0.4, 0.2])
    np.testing.assert_allclose(tile_q_values(w, s, low, inv_width, n_tiles, strides, offsets),
                               _reference_q(w, s, tabs), rtol=1e-14)
    tiles_s = reference_tiles(s, low, inv_width, n_tiles, offsets)[0]
    work = (np.empty(3), np.empty(3), np.empty(4, dtype=np.int64), np.empty((4, 2)), np.empty(4))
    for terminated in (True, False):
        w1 = w.copy()
        tile_td_update(w1, tiles_s, 0, 1.0, s_next, terminated, 0.5, 0.9, *tabs, 0.0, 1.0, 4,
                       NORM_INF, *work)
        v = 0.0 if terminated else _reference_q(w, s_next[None], tabs)[0].max()
        delta = 1.0 + 0.9 * v - w[tiles_s, 0].sum()
        expected = w.copy()
        expected[tiles_s, 0] += 0.5 / 4 * delta
        np.testing.assert_allclose(w1, expected, rtol=1e-14)
        # after the update Q(s, 0) moved by alpha times the TD error
        assert w1[tiles_s, 0].sum() == pytest.approx(w[tiles_s, 0].sum() + 0.5 * delta)


# ----------------------------------------------------------------------------- agent
def test_tiles_agent_reproducible_and_shapes():
    kw = dict(approximation="tiles", n_tilings=4, rho=0.01, eta=0.5, n_episodes=120)
    a = RobustQLearning(random_state=0, **kw).fit()
    b = RobustQLearning(random_state=0, **kw).fit()
    c = RobustQLearning(random_state=1, **kw).fit()
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.episode_rewards_, b.episode_rewards_)
    assert not np.array_equal(a.weights_, c.weights_)
    assert a.weights_.shape == (4, 4, 4, 9, 11, 2)
    assert a.offsets_.shape == (4, 4) and not hasattr(a, "q_table_")
    X = np.random.default_rng(0).uniform(-0.2, 0.2, size=(9, 4))
    low, inv_width, n_tiles, _, offsets, _ = a._tile_tables()
    q = a.weights_.reshape(-1, 2)[reference_tiles(X, low, inv_width, n_tiles, offsets)].sum(1)
    np.testing.assert_allclose(a.q_values(X), q, rtol=1e-13)
    np.testing.assert_array_equal(a.predict(X), q.argmax(axis=1))
    # refitting as a table drops the tile attributes
    a.set_params(approximation="table", n_episodes=2).fit()
    assert hasattr(a, "q_table_") and not hasattr(a, "weights_")


def test_tiles_agent_learns():
    agent = RobustQLearning(approximation="tiles", rho=0.0, n_episodes=500, random_state=0).fit()
    assert agent.episode_rewards_[-100:].mean() > 3 * agent.episode_rewards_[:100].mean()
    assert evaluate(agent, n_episodes=30, random_state=0)[0] > 100


def test_tiles_python_loop_and_evaluation_paths(wrap_env):
    kw = dict(approximation="tiles", n_tilings=3, rho=0.01, eta=0.5, n_episodes=30,
              random_state=2)
    ours = RobustQLearning(**kw).fit(wrap_env(CartPoleEnv()))
    assert ours.weights_.shape[0] == 3 and np.any(ours.weights_ != 0)
    gym = pytest.importorskip("gymnasium")
    theirs = RobustQLearning(**kw).fit(gym.make("CartPole-v1"))
    np.testing.assert_array_equal(ours.weights_, theirs.weights_)
    np.testing.assert_array_equal(ours.episode_rewards_, theirs.episode_rewards_)
    on_gym = evaluate(ours, gym.make("CartPole-v1"), 5, random_state=0, return_rewards=True)
    on_ours = evaluate(ours, wrap_env(CartPoleEnv()), 5, random_state=0, return_rewards=True)
    np.testing.assert_array_equal(on_gym[2], on_ours[2])


def test_tiles_numba_evaluation_matches_python_rollout():
    agent = RobustQLearning(approximation="tiles", rho=0.0, n_episodes=100,
                            random_state=0).fit()
    env = CartPoleEnv(length=0.3)
    got = evaluate(agent, env, 4, random_state=1, return_rewards=True)[2]
    # replay the numba kernel's starts (numba's generator seeded with the same integer)
    seed_numba(draw_seed(check_random_state(1)))
    starts = _numba_uniform(16).reshape(4, 4)
    for e in range(4):
        env.reset()
        env.state = starts[e].copy()
        obs, total = env.state.astype(np.float32), 0
        while True:
            obs, r, terminated, truncated, _ = env.step(int(agent.predict(obs)[0]))
            total += r
            if terminated or truncated:
                break
        assert got[e] == total


@njit(cache=True)
def _numba_uniform(n):
    out = np.empty(n)
    for i in range(n):
        out[i] = np.random.uniform(-0.05, 0.05)
    return out


def test_tiles_validation():
    with pytest.raises(ValueError, match="approximation"):
        RobustQLearning(approximation="linear", n_episodes=1).fit()
    with pytest.raises(ValueError, match="n_tilings"):
        RobustQLearning(approximation="tiles", n_tilings=0, n_episodes=1).fit()
