"""Evaluate Q-learning agents on nominal and perturbed CartPole systems."""

import time

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from .._core._sampling import draw_seed
from ._cartpole import CartPoleEnv

#: Perturbation factors of :func:`perturbed_cartpoles` (applied to CartPole-v1's constants).
# Chosen so that a regular agent trained on the nominal system loses reward: CartPole is
# insensitive to the pole mass (x2 or x5 change almost nothing), more to length and gravity.
HEAVY_POLE_FACTOR = 20.0  # masspole 0.1 -> 2.0 kg
SHORT_POLE_FACTOR = 0.3  # half-length 0.5 -> 0.15 m
STRONG_GRAVITY_FACTOR = 3.0  # gravity 9.8 -> 29.4 m/s^2


def perturbed_cartpoles(heavy=HEAVY_POLE_FACTOR, short=SHORT_POLE_FACTOR,
                        strong_g=STRONG_GRAVITY_FACTOR, max_episode_steps=500):
    """The nominal CartPole-v1 and three perturbed systems, keyed by name.

    Parameters
    ----------
    heavy : float, default=20.0
        Factor on the pole mass (0.1 kg nominal).
    short : float, default=0.3
        Factor on the pole half-length (0.5 m nominal).
    strong_g : float, default=3.0
        Factor on the gravity (9.8 m/s^2 nominal).
    max_episode_steps : int, default=500

    Returns
    -------
    envs : dict
        ``{"original", "heavy", "short", "strong g"}`` → :class:`CartPoleEnv`.

    Examples
    --------
    >>> from skentropic.rl import perturbed_cartpoles
    >>> perturbed_cartpoles()["heavy"]
    CartPoleEnv(masspole=2.0, length=0.5, gravity=9.8)
    """
    return {
        "original": CartPoleEnv(max_episode_steps=max_episode_steps),
        "heavy": CartPoleEnv(masspole=0.1 * heavy, max_episode_steps=max_episode_steps),
        "short": CartPoleEnv(length=0.5 * short, max_episode_steps=max_episode_steps),
        "strong g": CartPoleEnv(gravity=9.8 * strong_g, max_episode_steps=max_episode_steps),
    }


def evaluate(agent, env=None, n_episodes=100, random_state=None, return_rewards=False):
    """Mean and standard deviation of the greedy policy's undiscounted return.

    Each episode starts from the environment's initial law and runs the greedy policy
    ``argmax_a Q(s, a)`` until termination or truncation.

    Parameters
    ----------
    agent : fitted RobustQLearning
    env : CartPoleEnv or gymnasium-style env, default=None (nominal CartPole)
        :class:`CartPoleEnv` episodes run in numba; others in Python.
    n_episodes : int, default=100
    random_state : int, RandomState instance or None
        Seeds the initial states.
    return_rewards : bool, default=False
        Also return the per-episode rewards.

    Returns
    -------
    mean, std : float
    rewards : ndarray of shape (n_episodes,), only if ``return_rewards``
    """
    if not hasattr(agent, "n_actions_"):
        raise ValueError("The agent is not fitted; call fit first.")
    if int(n_episodes) != n_episodes or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}.")
    env = CartPoleEnv() if env is None else env
    seed = draw_seed(check_random_state(random_state))
    if isinstance(env, CartPoleEnv):
        rewards = agent._evaluate_cartpole(env, int(n_episodes), seed)
    else:
        rewards = np.empty(int(n_episodes))
        for e in range(int(n_episodes)):
            obs, _ = env.reset(seed=seed if e == 0 else None)
            total = 0.0
            while True:
                a = int(agent.predict(obs)[0])
                obs, reward, terminated, truncated, _ = env.step(a)
                total += reward
                if terminated or truncated:
                    break
            rewards[e] = total
    mean, std = float(np.mean(rewards)), float(np.std(rewards))
    return (mean, std, rewards) if return_rewards else (mean, std)


def robustness_study(agents, envs=None, train_env=None, n_seeds=10, n_eval_episodes=100,
                     random_state=0, verbose=0):
    """Train each agent on the nominal system for several seeds; evaluate on every system.

    Parameters
    ----------
    agents : dict
        Name → unfitted agent (cloned per seed, ``random_state`` set to the seed).
    envs : dict or None
        Name → evaluation environment; default :func:`perturbed_cartpoles`.
    train_env : env or None
        Training environment; default nominal :class:`CartPoleEnv`.
    n_seeds : int, default=10
    n_eval_episodes : int, default=100
        Evaluation episodes per (agent, seed, system).
    random_state : int, default=0
        Seed ``i`` trains with ``random_state + i``; evaluations are seeded from it too.
    verbose : int, default=0
        Print one line per trained agent when positive.

    Returns
    -------
    result : dict
        ``agents``, ``envs`` (names), ``rewards``: ndarray ``(n_agents, n_envs, n_seeds)`` of
        the mean evaluation return per seed, ``curves``: dict name → ndarray
        ``(n_seeds, n_episodes)`` of training returns, ``steps_per_second``: dict name → ndarray
        ``(n_seeds,)`` of training throughput.
    """
    envs = perturbed_cartpoles() if envs is None else envs
    train_env = CartPoleEnv() if train_env is None else train_env
    names, env_names = list(agents), list(envs)
    rewards = np.empty((len(names), len(env_names), n_seeds))
    curves = {name: [] for name in names}
    speed = {name: np.empty(n_seeds) for name in names}
    start = time.perf_counter()
    for i in range(n_seeds):
        seed = int(random_state) + i
        for a, name in enumerate(names):
            agent = clone(agents[name]).set_params(random_state=seed)
            agent.fit(train_env)
            curves[name].append(agent.episode_rewards_)
            speed[name][i] = agent.n_steps_ / max(agent.train_time_, 1e-12)
            for k, env_name in enumerate(env_names):
                rewards[a, k, i] = evaluate(agent, envs[env_name], n_eval_episodes,
                                            random_state=10_000 + seed)[0]
            if verbose:
                scores = ", ".join(f"{env_name} {rewards[a, k, i]:.1f}"
                                   for k, env_name in enumerate(env_names))
                print(f"[seed {i + 1}/{n_seeds}] {name:>8}: {scores} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
    return {"agents": names, "envs": env_names, "rewards": rewards,
            "curves": {name: np.array(c) for name, c in curves.items()},
            "steps_per_second": speed}


def format_table(result):
    """Markdown table ``environment | agent 1 | agent 2 ...`` of mean ± std across seeds."""
    names, env_names, rewards = result["agents"], result["envs"], result["rewards"]
    lines = ["| environment | " + " | ".join(names) + " |",
             "|---" * (len(names) + 1) + "|"]
    for k, env_name in enumerate(env_names):
        cells = [f"{rewards[a, k].mean():.2f} ± {rewards[a, k].std():.2f}"
                 for a in range(len(names))]
        lines.append(f"| {env_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
