"""Tabular Q-learning, regular (``rho=0``) or robust with the entropic Bellman target."""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core._norms import norm_code
from .._core._sampling import draw_seed, seed_numba
from ._cartpole import CartPoleEnv
from ._qlearning import epsilon_greedy, evaluate_cartpole, state_index, td_update, train_cartpole
from ._tilecoding import (
    active_tiles,
    evaluate_cartpole_tiles,
    tile_epsilon_greedy,
    tile_offsets,
    tile_q_values,
    tile_td_update,
    train_cartpole_tiles,
)

#: Default discretization of CartPole's ``(x, x', θ, θ')``: bins and ``[low, high]`` per dim.
CARTPOLE_BINS = (3, 3, 8, 10)
CARTPOLE_BOUNDS = ((-2.4, 2.4), (-3.0, 3.0), (-0.21, 0.21), (-3.0, 3.0))

_CHUNK = 100  # episodes per kernel call; one seed each, drawn up front (verbose-independent)
_SCHEDULES = {"exponential": 0, "linear": 1}
_APPROXIMATIONS = ("table", "tiles")


def _is_cartpole(env):
    inner = getattr(env, "unwrapped", env)
    return isinstance(env, CartPoleEnv) or type(inner).__name__ == "CartPoleEnv"


def schedule(init, final, n_episodes, decay_fraction, kind="exponential"):
    """Per-episode values decaying from ``init`` to ``final`` over the first episodes.

    With ``f_e = min(e / (decay_fraction · (n_episodes − 1)), 1)``: ``exponential`` gives
    ``init · (final/init)^f_e``, ``linear`` gives ``init + (final − init) f_e``; the value
    then stays at ``final``.

    Returns
    -------
    values : ndarray of shape (n_episodes,)

    Examples
    --------
    >>> from skentropic.rl import schedule
    >>> schedule(1.0, 0.0, 5, 1.0, kind="linear").tolist()
    [1.0, 0.75, 0.5, 0.25, 0.0]
    """
    horizon = max(decay_fraction * (n_episodes - 1), 1.0)
    frac = np.minimum(np.arange(n_episodes) / horizon, 1.0)
    if kind == "exponential":
        return init * (final / init) ** frac
    return init + (final - init) * frac


class RobustQLearning(BaseEstimator):
    """Q-learning with the entropic robust Bellman target; ``rho=0`` is regular Q-learning.

    The update for a transition ``(s, a, r, s')`` is
    ``Q(s,a) ← Q(s,a) + α_e (r + γ V(s') − Q(s,a))`` with ``V(s') = 0`` after termination and

    ``V(s') = max_b −η log E_{u ~ U(B_1)} exp(−Q(s' + ρ D u, b) / η)``,

    a soft minimum of the next state's value over the ``l_p`` ball of radius ``ρ`` in the
    normalized state space (``D = diag((high − low)/2)``, so the discretization box is
    ``[−1, 1]^d``). The expectation is estimated with ``n_samples`` uniform draws per update
    (log-mean-exp with max-subtraction); ``ρ = 0`` gives ``max_b Q(s', b)`` exactly,
    ``η = 0`` the minimum over the draws and ``η = ∞`` their mean. Actions are
    ε-greedy. With ``approximation="table"``, observations are discretized into ``n_bins``
    equal bins per dimension on ``state_bounds`` (values outside go to the edge bins) and
    ``Q`` is a table. With ``approximation="tiles"``, ``Q(s, a)`` is the sum of the weights of
    the active tiles of ``n_tilings`` copies of that grid, each shifted by a fraction of a
    bin (see ``_tilecoding``); each tiling's weight moves by ``α_e / n_tilings`` times the
    TD error, so ``Q`` is piecewise constant on cells ``n_tilings`` times narrower than a bin
    and a small ball changes the robust target almost everywhere, not only near bin edges.

    Parameters
    ----------
    rho : float, default=0.005
        Radius of the perturbation ball in the normalized state space; 0 means regular
        Q-learning. The ball is applied at every step, so the radius must be small against
        the per-step change of the state (CartPole moves ``θ`` by about ``0.02 θ'`` per step):
        radii above about 0.02 make the adversary stronger than the controller and nothing
        is learned. On CartPole, ``approximation="tiles"`` with ``rho=0.005, eta=0.1`` is
        the pair chosen on mildly perturbed validation systems by
        ``benchmarks/bench_qlearning.py``.
    eta : float, default=1.0
        Entropic temperature ``η ≥ 0`` (``np.inf`` allowed: mean over the ball).
    norm : {np.inf, "inf", 2, 1}, default=np.inf
        Exponent ``p`` of the ball.
    n_samples : int, default=16
        Points drawn in the ball per update (unused when ``rho=0``).
    gamma : float, default=0.99
        Discount factor in ``[0, 1]``.
    n_episodes : int, default=2000
        Training episodes.
    learning_rate_init, learning_rate_final : float, default=0.5, 0.01
        Learning rate ``α_e`` of the first and the late episodes.
    epsilon_init, epsilon_final : float, default=1.0, 0.01
        Exploration probability of the first and the late episodes.
    decay_fraction : float, default=1.0
        Fraction of ``n_episodes`` over which both schedules decay (see :func:`schedule`).
    schedule : {"exponential", "linear"}, default="exponential"
        Shape of the decay; ``exponential`` needs positive final values.
    n_bins : int, sequence of int or None, default=None
        Bins per observation dimension; ``None`` means ``CARTPOLE_BINS`` on CartPole and
        10 per dimension otherwise.
    state_bounds : array-like of shape (d, 2) or None, default=None
        ``[low, high]`` of the discretization per dimension; ``None`` means
        ``CARTPOLE_BOUNDS`` on CartPole and the (finite) observation-space bounds otherwise.
    random_state : int, RandomState instance or None, default=None
        Seeds exploration, starts and ball draws; the same seed gives the same Q table bit
        for bit.
    verbose : int, default=0
        Print training progress when positive.
    approximation : {"table", "tiles"}, default="table"
        Tabular ``Q`` over the bins, or tile coding (``n_tilings`` shifted grids).
    n_tilings : int, default=8
        Number of tilings when ``approximation="tiles"`` (unused otherwise).

    Attributes
    ----------
    q_table_ : ndarray of shape (*n_bins_, n_actions_)
        Learned action values (``approximation="table"`` only).
    weights_ : ndarray of shape (n_tilings, *(n_bins_ + 1), n_actions_)
        Tile weights (``approximation="tiles"`` only); ``Q(s, a)`` sums one per tiling.
    offsets_ : ndarray of shape (n_tilings, n_features_in_)
        Shifts of the tilings in bin units (``approximation="tiles"`` only).
    episode_rewards_ : ndarray of shape (n_episodes,)
        Undiscounted return of each training episode.
    n_steps_ : int
        Environment steps taken during training.
    train_time_ : float
        Wall time of the training loop in seconds.
    n_bins_, state_bounds_ : ndarray
        Discretization actually used.
    n_features_in_ : int
        Observation dimension.
    n_actions_ : int

    Examples
    --------
    >>> from skentropic.rl import CartPoleEnv, RobustQLearning
    >>> agent = RobustQLearning(rho=0.005, eta=1.0, n_episodes=50, random_state=0)
    >>> agent = agent.fit(CartPoleEnv())
    >>> agent.q_table_.shape
    (3, 3, 8, 10, 2)
    >>> int(agent.predict([0.0, 0.0, 0.05, 0.0])[0]) in (0, 1)
    True
    >>> tiles = RobustQLearning(approximation="tiles", n_tilings=8, rho=0.005, eta=0.1,
    ...                         n_episodes=50, random_state=0).fit()
    >>> tiles.weights_.shape
    (8, 4, 4, 9, 11, 2)
    >>> tiles.q_values([0.0, 0.0, 0.05, 0.0]).shape
    (1, 2)
    """

    _parameter_constraints = {
        "rho": [Interval(Real, 0, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="left"), Options(Real, {np.inf})],
        "norm": "no_validation",
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, 1, closed="both")],
        "n_episodes": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, 1, closed="right")],
        "learning_rate_final": [Interval(Real, 0, 1, closed="both")],
        "epsilon_init": [Interval(Real, 0, 1, closed="both")],
        "epsilon_final": [Interval(Real, 0, 1, closed="both")],
        "decay_fraction": [Interval(Real, 0, 1, closed="both")],
        "schedule": [StrOptions(set(_SCHEDULES))],
        "n_bins": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "state_bounds": ["array-like", None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "approximation": [StrOptions(set(_APPROXIMATIONS))],
        "n_tilings": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, rho=0.005, eta=1.0, norm=np.inf, n_samples=16, gamma=0.99,
                 n_episodes=2000, learning_rate_init=0.5, learning_rate_final=0.01,
                 epsilon_init=1.0, epsilon_final=0.01, decay_fraction=1.0,
                 schedule="exponential", n_bins=None, state_bounds=None, random_state=None,
                 verbose=0, approximation="table", n_tilings=8):
        self.rho = rho
        self.eta = eta
        self.norm = norm
        self.n_samples = n_samples
        self.gamma = gamma
        self.n_episodes = n_episodes
        self.learning_rate_init = learning_rate_init
        self.learning_rate_final = learning_rate_final
        self.epsilon_init = epsilon_init
        self.epsilon_final = epsilon_final
        self.decay_fraction = decay_fraction
        self.schedule = schedule
        self.n_bins = n_bins
        self.state_bounds = state_bounds
        self.random_state = random_state
        self.verbose = verbose
        self.approximation = approximation
        self.n_tilings = n_tilings

    # ------------------------------------------------------------------ setup
    def _check_params(self):
        self._validate_params()
        if not np.isfinite(self.rho):
            raise ValueError(f"The 'rho' parameter must be finite, got {self.rho!r}.")
        code = norm_code(self.norm)
        if self.schedule == "exponential" and (
                self.learning_rate_final <= 0 or self.epsilon_final <= 0 or self.epsilon_init <= 0):
            raise ValueError("schedule='exponential' needs positive learning_rate_final, "
                             "epsilon_init and epsilon_final; use schedule='linear' to decay to 0.")
        return code

    def _discretization(self, env):
        space = getattr(env, "observation_space", None)
        n_act = getattr(getattr(env, "action_space", None), "n", None)
        if space is None or getattr(space, "low", None) is None or len(space.shape) != 1:
            raise TypeError("env must have a 1-D Box observation_space (gymnasium API), "
                            f"got {space!r}.")
        if n_act is None:
            raise TypeError("env must have a Discrete action_space (gymnasium API).")
        d = space.shape[0]
        cartpole = _is_cartpole(env)
        if self.n_bins is None:
            bins = np.array(CARTPOLE_BINS if cartpole else (10,) * d, dtype=np.int64)
        else:
            bins = np.broadcast_to(np.asarray(self.n_bins), (d,))
            if not np.issubdtype(bins.dtype, np.integer) or np.any(bins < 1):
                raise ValueError(f"n_bins must be positive integers, got {self.n_bins!r}.")
            bins = bins.astype(np.int64)
        if self.state_bounds is None:
            if cartpole:
                bounds = np.array(CARTPOLE_BOUNDS, dtype=float)
            else:
                bounds = np.column_stack([space.low, space.high]).astype(float)
                if not np.all(np.isfinite(bounds)):
                    raise ValueError("The observation space has infinite bounds; pass "
                                     "state_bounds of shape (n_features, 2).")
        else:
            bounds = np.asarray(self.state_bounds, dtype=float)
            if bounds.shape != (d, 2):
                raise ValueError(f"state_bounds must have shape ({d}, 2), got {bounds.shape}.")
        if not np.all(np.isfinite(bounds)) or np.any(bounds[:, 1] <= bounds[:, 0]):
            raise ValueError("state_bounds must be finite with low < high in each row.")
        return bins, bounds, int(n_act)

    def _tables(self):
        """Kernel arrays of the fitted discretization: low, inv_width, n_bins, strides, scale."""
        low = self.state_bounds_[:, 0].copy()
        width = self.state_bounds_[:, 1] - low
        return low, self.n_bins_ / width, self.n_bins_, _strides(self.n_bins_), width / 2.0

    def _tile_tables(self):
        """Kernel arrays of the tile coding: low, inv_width, n_tiles, strides, offsets, scale."""
        low, inv_width, bins, _, scale = self._tables()
        n_tiles = bins + 1
        return low, inv_width, n_tiles, _strides(n_tiles), self.offsets_, scale

    # ------------------------------------------------------------------ public API
    def fit(self, env=None):
        """Train on ``env`` (default: nominal ``CartPoleEnv()``).

        The built-in :class:`CartPoleEnv` runs the whole loop in numba; any other
        gymnasium-style environment with a 1-D ``Box`` observation space and a ``Discrete``
        action space runs a Python loop with the same update.

        Returns
        -------
        self
        """
        code = self._check_params()
        env = CartPoleEnv() if env is None else env
        self.n_bins_, self.state_bounds_, self.n_actions_ = self._discretization(env)
        self.n_features_in_ = len(self.n_bins_)
        for attr in ("q_table_", "weights_", "offsets_"):
            self.__dict__.pop(attr, None)
        tiles = self.approximation == "tiles"
        if tiles:
            self.offsets_ = tile_offsets(int(self.n_tilings), self.n_features_in_)
            shape = (int(self.n_tilings),) + tuple(self.n_bins_ + 1)
        else:
            shape = tuple(self.n_bins_)
        rng = check_random_state(self.random_state)
        q = np.zeros((int(np.prod(shape)), self.n_actions_))
        alphas = schedule(self.learning_rate_init, self.learning_rate_final, self.n_episodes,
                          self.decay_fraction, self.schedule)
        epsilons = schedule(self.epsilon_init, self.epsilon_final, self.n_episodes,
                            self.decay_fraction, self.schedule)
        rewards = np.zeros(self.n_episodes)
        start = time.perf_counter()
        if isinstance(env, CartPoleEnv):
            steps = self._fit_cartpole(env, q, alphas, epsilons, code, rewards, rng)
        else:
            steps = _train_python(self, env, q, alphas, epsilons, code, rewards, rng)
        self.train_time_ = time.perf_counter() - start
        if tiles:
            self.weights_ = q.reshape(shape + (self.n_actions_,))
        else:
            self.q_table_ = q.reshape(shape + (self.n_actions_,))
        self.episode_rewards_ = rewards
        self.n_steps_ = int(steps)
        if self.verbose:
            print(f"[RobustQLearning] {self.n_steps_} steps in {self.train_time_:.2f} s "
                  f"({self.n_steps_ / max(self.train_time_, 1e-12):.3g} steps/s)")
        return self

    def _fit_cartpole(self, env, q, alphas, epsilons, code, rewards, rng):
        if self.approximation == "tiles":
            kernel, tables = train_cartpole_tiles, self._tile_tables()
        else:
            kernel, tables = train_cartpole, self._tables()
        seeds = [draw_seed(rng) for _ in range(0, self.n_episodes, _CHUNK)]
        steps = 0
        report_every = max(1, len(seeds) // 10)
        for i, seed in enumerate(seeds):
            sl = slice(i * _CHUNK, (i + 1) * _CHUNK)
            steps += kernel(q, env.params, alphas[sl], epsilons[sl], float(self.gamma), *tables,
                            float(self.rho), float(self.eta), int(self.n_samples), code,
                            env.max_episode_steps, seed, rewards[sl])
            if self.verbose and ((i + 1) % report_every == 0 or i + 1 == len(seeds)):
                done = min((i + 1) * _CHUNK, self.n_episodes)
                print(f"[RobustQLearning] episode {done}/{self.n_episodes}: mean reward "
                      f"{rewards[sl].mean():.1f}, epsilon {epsilons[done - 1]:.3f}, "
                      f"learning rate {alphas[done - 1]:.3f}")
        return steps

    def _row(self, obs):
        low, inv_width, bins, strides, _ = self._tables()
        return state_index(np.asarray(obs, dtype=float), low, inv_width, bins, strides)

    def _weights(self):
        """The fitted values as a 2-D kernel array (table rows or tile weights)."""
        check_is_fitted(self)
        q = self.weights_ if self.approximation == "tiles" else self.q_table_
        return q.reshape(-1, self.n_actions_)

    def q_values(self, X):
        """Action values ``Q(x, a)`` for observations ``X`` of shape (n, d) or (d,).

        Returns
        -------
        q : ndarray of shape (n, n_actions_)
        """
        w = self._weights()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but RobustQLearning was fitted "
                             f"with {self.n_features_in_}.")
        if self.approximation == "tiles":
            low, inv_width, n_tiles, strides, offsets, _ = self._tile_tables()
            return tile_q_values(w, np.ascontiguousarray(X), low, inv_width, n_tiles, strides,
                                 offsets)
        return w[[self._row(x) for x in X]]

    def predict(self, X):
        """Greedy actions ``argmax_a Q(x, a)`` for observations ``X`` of shape (n, d) or (d,).

        Returns
        -------
        actions : ndarray of shape (n,), int
        """
        return np.argmax(self.q_values(X), axis=1).astype(np.int64)

    def _evaluate_cartpole(self, env, n_episodes, seed):
        """Greedy returns on a :class:`CartPoleEnv` over ``n_episodes`` episodes (numba)."""
        w = self._weights()
        if self.approximation == "tiles":
            return evaluate_cartpole_tiles(w, env.params, n_episodes, env.max_episode_steps,
                                           *self._tile_tables()[:5], seed)
        return evaluate_cartpole(w, env.params, n_episodes, env.max_episode_steps,
                                 *self._tables()[:4], seed)


def _strides(shape):
    """C-order strides (in elements) of an array of the given shape."""
    strides = np.ones(len(shape), dtype=np.int64)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    return strides


def _train_python(agent, env, q, alphas, epsilons, code, rewards, rng):
    """Python episode loop over a gymnasium-style ``env``, same update as the numba loops.

    Draws one seed for numba's generator (exploration, ball draws) and one for the first
    ``env.reset(seed=...)``; later resets continue the environment's own generator.
    """
    m = int(agent.n_samples)
    d = agent.n_features_in_
    u, point, vals = np.empty(d), np.empty(d), np.empty(m)
    if agent.approximation == "tiles":
        tables = agent._tile_tables()
        low, inv_width, n_tiles, strides, offsets, _ = tables
        tiles = np.empty(offsets.shape[0], dtype=np.int64)
        work = (u, point, tiles, np.empty((m, q.shape[1])), vals)

        def features(obs):
            out = np.empty(offsets.shape[0], dtype=np.int64)
            active_tiles(obs, low, inv_width, n_tiles, strides, offsets, out)
            return out

        act, update = tile_epsilon_greedy, tile_td_update
    else:
        tables = agent._tables()
        low, inv_width, bins, strides, _ = tables
        work = (u, point, np.empty(m, dtype=np.int64), vals)

        def features(obs):
            return state_index(obs, low, inv_width, bins, strides)

        act, update = epsilon_greedy, td_update
    seed_numba(draw_seed(rng))
    env_seed = draw_seed(rng)
    gamma, rho, eta = float(agent.gamma), float(agent.rho), float(agent.eta)
    steps = 0
    for e in range(len(alphas)):
        obs, _ = env.reset(seed=env_seed if e == 0 else None)
        s = features(np.asarray(obs, dtype=float))
        ret = 0.0
        while True:
            a = act(q, s, epsilons[e])
            obs, reward, terminated, truncated, _ = env.step(a)
            obs = np.asarray(obs, dtype=float)
            ret += reward
            update(q, s, a, float(reward), obs, bool(terminated), alphas[e], gamma, *tables,
                   rho, eta, m, code, *work)
            steps += 1
            if terminated or truncated:
                break
            s = features(obs)
        rewards[e] = ret
        if agent.verbose and (e + 1) % max(1, len(alphas) // 10) == 0:
            print(f"[RobustQLearning] episode {e + 1}/{len(alphas)}: reward {ret:.1f}")
    return steps
