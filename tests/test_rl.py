"""CartPole physics, the entropic robust Q-learning target, training and evaluation."""

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic._core._sampling import sample_unit_ball_kernel, seed_numba
from skentropic.rl import (
    CartPoleEnv,
    RobustQLearning,
    evaluate,
    format_table,
    perturbed_cartpoles,
    robustness_study,
    schedule,
)
from skentropic.rl._cartpole import cartpole_step, physics_params
from skentropic.rl._qlearning import robust_value, state_index, td_update


# ----------------------------------------------------------------------------- physics
def reference_step(state, action, g=9.8, mc=1.0, mp=0.1, length=0.5, force=10.0, tau=0.02):
    """Plain-NumPy CartPole-v1 Euler step (gymnasium's formulas)."""
    x, x_dot, th, th_dot = state
    f = force if action == 1 else -force
    total = mp + mc
    pml = mp * length
    c, s = np.cos(th), np.sin(th)
    temp = (f + pml * th_dot ** 2 * s) / total
    thacc = (g * s - c * temp) / (length * (4.0 / 3.0 - mp * c ** 2 / total))
    xacc = temp - pml * thacc * c / total
    new = np.array([x + tau * x_dot, x_dot + tau * xacc, th + tau * th_dot, th_dot + tau * thacc])
    done = abs(new[0]) > 2.4 or abs(new[2]) > 12 * 2 * math.pi / 360
    return new, done


@pytest.mark.parametrize("kw", [{}, {"mp": 0.7}, {"length": 0.2}, {"g": 25.0}])
def test_step_kernel_matches_numpy_reference(kw):
    rng = np.random.default_rng(0)
    params = physics_params(gravity=kw.get("g", 9.8), masspole=kw.get("mp", 0.1),
                            length=kw.get("length", 0.5))
    state = rng.uniform(-0.05, 0.05, 4)
    ref = state.copy()
    for _ in range(60):
        a = int(rng.integers(2))
        done = cartpole_step(state, a, params)
        ref, ref_done = reference_step(ref, a, **kw)
        np.testing.assert_allclose(state, ref, rtol=1e-12, atol=1e-14)
        assert done == ref_done
        if done:
            break


def test_parameters_change_the_dynamics():
    nominal, heavy = physics_params(), physics_params(masspole=1.0)
    s1, s2 = np.array([0.0, 0.0, 0.05, 0.0]), np.array([0.0, 0.0, 0.05, 0.0])
    cartpole_step(s1, 1, nominal)
    cartpole_step(s2, 1, heavy)
    assert s1[3] != s2[3]


def test_env_api_reward_termination_truncation():
    env = CartPoleEnv(max_episode_steps=5)
    obs, info = env.reset(seed=3)
    assert obs.dtype == np.float32 and obs.shape == (4,) and info == {}
    assert np.all(np.abs(obs) <= 0.05)
    for t in range(5):
        env.state = np.zeros(4)  # upright and still: never terminates
        obs, reward, terminated, truncated, _ = env.step(t % 2)
        assert reward == 1.0 and not terminated
        assert truncated == (t == 4)
    env = CartPoleEnv()
    env.reset(seed=0)
    env.state = np.array([0.0, 0.0, 0.2, 3.0])
    assert env.step(1)[2]
    with pytest.raises(ValueError, match="action"):
        env.step(2)
    with pytest.raises(ValueError, match="masspole"):
        CartPoleEnv(masspole=-1.0)
    with pytest.raises(RuntimeError, match="reset"):
        CartPoleEnv().step(0)


def test_matches_gymnasium_step_for_step():
    gym = pytest.importorskip("gymnasium")
    n_steps = 0
    for seed in range(20):
        theirs, ours = gym.make("CartPole-v1"), CartPoleEnv()
        o1, _ = theirs.reset(seed=seed)
        o2, _ = ours.reset(seed=seed)
        np.testing.assert_array_equal(o1, o2)
        rng = np.random.default_rng(seed)
        while True:
            # a balancing policy with random flips, so episodes reach the 500-step limit
            a = int(o1[2] + 0.5 * o1[3] > 0) if rng.random() < 0.9 else int(rng.integers(2))
            r1, r2 = theirs.step(a), ours.step(a)
            np.testing.assert_array_equal(r1[0], r2[0])
            assert r1[0].dtype == r2[0].dtype == np.float32
            assert r1[1:4] == r2[1:4]
            o1 = r1[0]
            n_steps += 1
            if r1[2] or r1[3]:
                break
    assert n_steps > 2000  # several long episodes were compared


# ----------------------------------------------------------------------------- kernels
def tables(bins=(3, 4, 5), bounds=((-1.0, 1.0), (-2.0, 2.0), (0.0, 1.0))):
    bins = np.array(bins, dtype=np.int64)
    bounds = np.array(bounds)
    low, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    strides = np.array([int(np.prod(bins[k + 1:])) for k in range(len(bins))], dtype=np.int64)
    return low, bins / width, bins, strides, width / 2


def reference_index(X, low, inv_width, bins):
    b = np.clip(np.floor((X - low) * inv_width), 0, bins - 1).astype(int)
    return np.ravel_multi_index(b.T, tuple(bins))


def test_state_index_matches_reference():
    low, inv_width, bins, strides, _ = tables()
    X = np.random.default_rng(0).uniform(-3, 3, size=(500, 3))
    X[0] = [np.inf, -np.inf, 0.99999]
    got = np.array([state_index(x, low, inv_width, bins, strides) for x in X])
    X[0] = [10.0, -10.0, 0.99999]
    np.testing.assert_array_equal(got, reference_index(X, low, inv_width, bins))


def _robust(q, s_next, rho, eta, m, code, seed, tabs):
    low, inv_width, bins, strides, scale = tabs
    d = len(bins)
    seed_numba(seed)
    return robust_value(q, s_next, low, inv_width, bins, strides, scale, rho, eta, m, code,
                        np.empty(d), np.empty(d), np.empty(m, dtype=np.int64), np.empty(m))


def _sampled_q(q, s_next, rho, m, code, seed, tabs):
    """Q at the m ball points that ``robust_value`` draws with this seed, shape (m, n_actions)."""
    low, inv_width, bins, _, scale = tabs
    U = sample_unit_ball_kernel(m, len(bins), code, seed)
    return q[reference_index(s_next + rho * scale * U, low, inv_width, bins)]


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2, NORM_L1])
def test_robust_value_matches_reference(code):
    tabs = tables()
    rng = np.random.default_rng(1)
    q = rng.normal(size=(60, 3)) * 10
    s_next = np.array([0.1, -0.3, 0.5])
    rho, m, seed = 0.4, 32, 7
    Q = _sampled_q(q, s_next, rho, m, code, seed, tabs)
    assert len(np.unique(Q[:, 0])) > 1  # the ball covers several bins
    for eta in [0.3, 2.0, 50.0]:
        ref = np.max(-eta * (logsumexp(-Q / eta, axis=0) - np.log(m)))
        assert _robust(q, s_next, rho, eta, m, code, seed, tabs) == pytest.approx(ref, rel=1e-12)
    # eta -> 0: max over actions of the minimum over the sampled states
    hard = np.max(Q.min(axis=0))
    assert _robust(q, s_next, rho, 0.0, m, code, seed, tabs) == hard
    assert _robust(q, s_next, rho, 1e-8, m, code, seed, tabs) == pytest.approx(hard, abs=1e-6)
    # eta = inf: the plain mean; large eta approaches it
    mean = np.max(Q.mean(axis=0))
    assert _robust(q, s_next, rho, np.inf, m, code, seed, tabs) == pytest.approx(mean, rel=1e-12)
    assert _robust(q, s_next, rho, 1e6, m, code, seed, tabs) == pytest.approx(mean, rel=1e-4)


def test_robust_value_rho_zero_is_regular_and_stable():
    tabs = tables()
    q = np.random.default_rng(2).normal(size=(60, 2)) * 1e3
    s_next = np.array([-0.5, 1.0, 0.2])
    row = reference_index(s_next[None], *tabs[:2], tabs[2])[0]
    for eta in [0.0, 1e-6, 1.0, np.inf]:
        assert _robust(q, s_next, 0.0, eta, 8, NORM_INF, 0, tabs) == q[row].max()
    v = _robust(q, s_next, 0.5, 1e-6, 64, NORM_L2, 3, tabs)
    assert np.isfinite(v)
    # the soft minimum never exceeds the regular target's average over the ball
    Q = _sampled_q(q, s_next, 0.5, 64, NORM_L2, 3, tabs)
    assert v <= np.max(Q.mean(axis=0)) + 1e-9


def test_td_update():
    low, inv_width, bins, strides, scale = tables()
    q = np.random.default_rng(3).normal(size=(60, 2))
    s_next = np.array([0.2, 0.2, 0.2])
    work = (np.empty(3), np.empty(3), np.empty(4, dtype=np.int64), np.empty(4))
    for terminated in (True, False):
        q1 = q.copy()
        td_update(q1, 5, 1, 1.0, s_next, terminated, 0.5, 0.9, low, inv_width, bins, strides,
                  scale, 0.0, 1.0, 4, NORM_INF, *work)
        v = 0.0 if terminated else q[reference_index(s_next[None], low, inv_width, bins)[0]].max()
        assert q1[5, 1] == pytest.approx(q[5, 1] + 0.5 * (1.0 + 0.9 * v - q[5, 1]), rel=1e-14)
        q1[5, 1] = q[5, 1]
        np.testing.assert_array_equal(q1, q)


def test_schedule():
    e = schedule(1.0, 0.01, 101, 0.5, "exponential")
    assert e[0] == 1.0 and e[50] == pytest.approx(0.01) and e[-1] == pytest.approx(0.01)
    assert np.all(np.diff(e) <= 0)
    lin = schedule(0.5, 0.0, 11, 1.0, "linear")
    np.testing.assert_allclose(lin, np.linspace(0.5, 0.0, 11))


# ----------------------------------------------------------------------------- agent
def test_reproducible_and_verbose_independent(capsys):
    kw = dict(rho=0.01, eta=0.5, n_episodes=150)
    a = RobustQLearning(random_state=0, **kw).fit()
    b = RobustQLearning(random_state=0, verbose=1, **kw).fit()
    c = RobustQLearning(random_state=1, **kw).fit()
    np.testing.assert_array_equal(a.q_table_, b.q_table_)
    np.testing.assert_array_equal(a.episode_rewards_, b.episode_rewards_)
    assert not np.array_equal(a.q_table_, c.q_table_)
    assert "episode 150/150" in capsys.readouterr().out
    assert a.q_table_.shape == (3, 3, 8, 10, 2)
    assert a.n_steps_ == a.episode_rewards_.sum()
    assert a.get_params()["rho"] == 0.01


def test_training_improves_reward():
    agent = RobustQLearning(rho=0.0, n_episodes=600, random_state=0).fit()
    first, last = agent.episode_rewards_[:100].mean(), agent.episode_rewards_[-100:].mean()
    assert last > 3 * first
    # a random policy balances about 22 steps on average
    assert evaluate(agent, n_episodes=50, random_state=0)[0] > 100
    robust = RobustQLearning(rho=0.005, eta=1.0, n_episodes=600, random_state=0).fit()
    assert robust.episode_rewards_[-100:].mean() > 3 * robust.episode_rewards_[:100].mean()


@pytest.mark.parametrize("params, match", [
    ({"rho": -0.1}, "rho"), ({"rho": np.inf}, "rho"), ({"eta": -1.0}, "eta"),
    ({"norm": 3}, "norm"), ({"gamma": 1.5}, "gamma"), ({"n_samples": 0}, "n_samples"),
    ({"schedule": "cosine"}, "schedule"), ({"n_bins": [3, 3]}, "n_bins|shape|broadcast"),
    ({"state_bounds": [[1.0, 0.0]] * 4}, "state_bounds"),
    ({"learning_rate_final": 0.0}, "exponential"),
])
def test_validation(params, match):
    with pytest.raises(ValueError, match=match):
        RobustQLearning(n_episodes=2, **params).fit()


def test_predict_and_unfitted():
    agent = RobustQLearning(n_episodes=30, random_state=0)
    with pytest.raises(ValueError, match="not fitted"):
        evaluate(agent)
    agent.fit()
    X = np.random.default_rng(0).uniform(-0.1, 0.1, size=(7, 4))
    q = agent.q_table_.reshape(-1, 2)
    low, inv_width, bins, _, _ = agent._tables()
    np.testing.assert_array_equal(agent.predict(X),
                                  q[reference_index(X, low, inv_width, bins)].argmax(axis=1))
    with pytest.raises(ValueError, match="features"):
        agent.predict(np.zeros((2, 3)))


def test_python_loop_on_gymnasium_equals_builtin_env(wrap_env):
    gym = pytest.importorskip("gymnasium")
    kw = dict(rho=0.01, eta=0.5, n_episodes=40, random_state=3)
    ours = RobustQLearning(**kw).fit(wrap_env(CartPoleEnv()))
    theirs = RobustQLearning(**kw).fit(gym.make("CartPole-v1"))
    np.testing.assert_array_equal(ours.q_table_, theirs.q_table_)
    np.testing.assert_array_equal(ours.episode_rewards_, theirs.episode_rewards_)
    assert evaluate(ours, gym.make("CartPole-v1"), 5, random_state=0) == \
        evaluate(ours, wrap_env(CartPoleEnv()), 5, random_state=0)


class Chain:
    """Tiny Box-observation env: move along [0, 1]; reward 1 for reaching the right end."""

    def __init__(self):
        from skentropic.rl._cartpole import Box, Discrete
        self.observation_space = Box([0.0], [1.0])
        self.action_space = Discrete(2)

    def reset(self, seed=None, options=None):
        self.x, self.t = 0.05, 0
        return np.array([self.x], dtype=np.float32), {}

    def step(self, action):
        self.x = min(max(self.x + (0.2 if action == 1 else -0.2), 0.0), 1.0)
        self.t += 1
        done = self.x >= 0.95
        return np.array([self.x], np.float32), float(done), done, self.t >= 50, {}


def test_generic_box_env():
    agent = RobustQLearning(rho=0.05, eta=0.1, n_episodes=200, gamma=0.9,
                            random_state=0).fit(Chain())
    assert agent.q_table_.shape == (10, 2)  # default: 10 bins per dimension
    assert np.all(agent.predict(np.linspace(0.05, 0.85, 5)[:, None]) == 1)
    assert evaluate(agent, Chain(), 3)[0] == 1.0
    with pytest.raises(ValueError, match="infinite bounds"):
        RobustQLearning(n_episodes=1, state_bounds=None, n_bins=4).fit(chain_with_infinite_bounds())


def chain_with_infinite_bounds():
    env = Chain()
    from skentropic.rl._cartpole import Box
    env.observation_space = Box([-np.inf], [np.inf])
    return env


def test_evaluate_paths_agree_on_a_fixed_policy(wrap_env):
    agent = RobustQLearning(n_episodes=1, random_state=0).fit()
    agent.q_table_[..., 0] = 1.0  # always push left
    agent.q_table_[..., 1] = 0.0
    for env in (CartPoleEnv(), wrap_env(CartPoleEnv())):
        mean, std, rewards = evaluate(agent, env, 20, random_state=0, return_rewards=True)
        assert rewards.shape == (20,) and np.all((rewards >= 7) & (rewards <= 12))
        assert std == pytest.approx(rewards.std())


def test_robustness_study_and_table():
    envs = perturbed_cartpoles()
    assert envs["heavy"].masspole == pytest.approx(2.0)
    assert envs["short"].length == pytest.approx(0.15)
    assert envs["strong g"].gravity == pytest.approx(29.4)
    agents = {"regular": RobustQLearning(rho=0.0, n_episodes=20),
              "robust": RobustQLearning(rho=0.005, n_episodes=20)}
    res = robustness_study(agents, envs, n_seeds=2, n_eval_episodes=3)
    assert res["rewards"].shape == (2, 4, 2)
    assert res["curves"]["robust"].shape == (2, 20)
    assert np.all(res["rewards"] >= 1) and np.all(res["rewards"] <= 500)
    table = format_table(res)
    assert table.count("\n") == 5 and "strong g" in table and "±" in table
