"""CartPole physics (numba) and a gymnasium-style ``CartPoleEnv`` with perturbable parameters.

The dynamics are those of gymnasium's ``CartPole-v1`` (Barto, Sutton & Anderson, 1983;
equations of Florian, 2007), integrated with explicit Euler at ``tau = 0.02`` s, written
operation for operation in the same order so that the float64 state, and hence the float32
observations, agree with gymnasium's step for step. With ``M`` the cart mass, ``m`` the pole
mass, ``l`` the pole half-length, ``F = ±force_mag`` and ``g`` the gravity::

    temp   = (F + m l θ'^2 sin θ) / (M + m)
    θ''    = (g sin θ − cos θ · temp) / (l (4/3 − m cos^2 θ / (M + m)))
    x''    = temp − m l θ'' cos θ / (M + m)
    x ← x + τ x',  x' ← x' + τ x'',  θ ← θ + τ θ',  θ' ← θ' + τ θ''

An episode terminates when ``|x| > 2.4`` or ``|θ| > 12°``; the reward is 1 per step (the
terminating step included) and the time limit truncates it after ``max_episode_steps``
(500 for ``CartPole-v1``).
"""

import math

import numpy as np
from numba import njit

# Layout of the ``params`` array handed to the kernels.
P_GRAVITY, P_MASSCART, P_MASSPOLE, P_LENGTH, P_FORCE, P_TAU, P_THETA_MAX, P_X_MAX = range(8)

THETA_THRESHOLD = 12 * 2 * math.pi / 360  # gymnasium's expression, bit for bit


@njit(cache=True)
def cartpole_step(state, action, params):
    """Advance ``state = (x, x', θ, θ')`` in place by one Euler step; return ``terminated``."""
    gravity = params[P_GRAVITY]
    masspole = params[P_MASSPOLE]
    length = params[P_LENGTH]
    tau = params[P_TAU]
    total_mass = masspole + params[P_MASSCART]
    polemass_length = masspole * length
    x = state[0]
    x_dot = state[1]
    theta = state[2]
    theta_dot = state[3]
    force = params[P_FORCE] if action == 1 else -params[P_FORCE]
    costheta = np.cos(theta)
    sintheta = np.sin(theta)
    temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * (costheta * costheta) / total_mass)
    )
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    state[0] = x
    state[1] = x_dot
    state[2] = theta
    state[3] = theta_dot
    x_max = params[P_X_MAX]
    theta_max = params[P_THETA_MAX]
    return x < -x_max or x > x_max or theta < -theta_max or theta > theta_max


@njit(cache=True)
def observe(state, obs):
    """Write the float32-rounded state (what gymnasium returns) into the float64 array ``obs``."""
    for k in range(state.shape[0]):
        obs[k] = np.float32(state[k])


class Box:
    """Minimal stand-in for ``gymnasium.spaces.Box`` (``low``, ``high``, ``shape``, ``dtype``)."""

    def __init__(self, low, high, dtype=np.float32):
        self.low = np.asarray(low, dtype=dtype)
        self.high = np.asarray(high, dtype=dtype)
        self.shape = self.low.shape
        self.dtype = np.dtype(dtype)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __repr__(self):
        return f"Box({self.low}, {self.high}, {self.shape}, {self.dtype})"


class Discrete:
    """Minimal stand-in for ``gymnasium.spaces.Discrete`` (actions ``0 .. n-1``)."""

    def __init__(self, n):
        self.n = int(n)
        self.shape = ()
        self.dtype = np.dtype(np.int64)

    def contains(self, a):
        return isinstance(a, (int, np.integer)) and 0 <= int(a) < self.n

    def __repr__(self):
        return f"Discrete({self.n})"


class CartPoleEnv:
    """CartPole-v1 with the gymnasium ``reset``/``step`` API and perturbable physics.

    With the default parameters every step equals gymnasium's ``CartPole-v1`` (wrapped in
    its 500-step ``TimeLimit``): ``reset(seed=s)`` draws the same initial state as
    gymnasium (``numpy.random.default_rng(s).uniform(-0.05, 0.05, 4)``) and ``step`` returns
    the same float32 observations, reward, ``terminated`` and ``truncated`` flags.

    Parameters
    ----------
    masspole : float, default=0.1
        Pole mass (kg).
    length : float, default=0.5
        Half the pole's length (m), as in gymnasium.
    gravity : float, default=9.8
        Gravitational acceleration (m/s^2).
    masscart : float, default=1.0
        Cart mass (kg).
    force_mag : float, default=10.0
        Magnitude of the push (N); action 1 pushes right, action 0 left.
    max_episode_steps : int, default=500
        Episodes are truncated after this many steps.

    Attributes
    ----------
    state : ndarray of shape (4,) or None
        Float64 physical state ``(x, x', θ, θ')``; may be assigned directly.
    observation_space, action_space
        ``Box`` of shape ``(4,)`` and ``Discrete(2)``, as in gymnasium.

    Examples
    --------
    >>> from skentropic.rl import CartPoleEnv
    >>> env = CartPoleEnv(masspole=0.5)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(1)
    >>> reward
    1.0
    """

    tau = 0.02
    x_threshold = 2.4
    theta_threshold_radians = THETA_THRESHOLD

    def __init__(self, masspole=0.1, length=0.5, gravity=9.8, masscart=1.0, force_mag=10.0,
                 max_episode_steps=500):
        for name, value in [("masspole", masspole), ("length", length), ("gravity", gravity),
                            ("masscart", masscart), ("force_mag", force_mag)]:
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite positive number, got {value!r}.")
        if int(max_episode_steps) != max_episode_steps or max_episode_steps < 1:
            raise ValueError(
                f"max_episode_steps must be a positive integer, got {max_episode_steps!r}.")
        self.masspole = float(masspole)
        self.length = float(length)
        self.gravity = float(gravity)
        self.masscart = float(masscart)
        self.force_mag = float(force_mag)
        self.max_episode_steps = int(max_episode_steps)
        high = np.array([self.x_threshold * 2, np.inf, self.theta_threshold_radians * 2, np.inf],
                        dtype=np.float32)
        self.observation_space = Box(-high, high)
        self.action_space = Discrete(2)
        self.state = None
        self.np_random = np.random.default_rng()
        self._elapsed_steps = 0

    @property
    def params(self):
        """Physical parameters as the float64 array the numba kernels take."""
        return physics_params(self.gravity, self.masscart, self.masspole, self.length,
                              self.force_mag)

    def reset(self, *, seed=None, options=None):
        """Start an episode from ``U(-0.05, 0.05)^4`` (bounds overridable by ``options``).

        Returns
        -------
        observation : ndarray of shape (4,), float32
        info : dict
        """
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        low, high = -0.05, 0.05
        if options is not None:
            low = options.get("low", low)
            high = options.get("high", high)
        self.state = self.np_random.uniform(low=low, high=high, size=(4,))
        self._elapsed_steps = 0
        return self.state.astype(np.float32), {}

    def step(self, action):
        """Apply ``action`` (0: push left, 1: push right) for ``tau`` seconds.

        Returns
        -------
        observation : ndarray of shape (4,), float32
        reward : float
            1.0 for every step, the terminating one included.
        terminated : bool
            The pole fell past 12 degrees or the cart left ``[-2.4, 2.4]``.
        truncated : bool
            ``max_episode_steps`` steps were taken without termination.
        info : dict
        """
        if self.state is None:
            raise RuntimeError("Call reset before using step.")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0 or 1, got {action!r}.")
        state = np.array(self.state, dtype=np.float64)
        terminated = bool(cartpole_step(state, int(action), self.params))
        self.state = state
        self._elapsed_steps += 1
        truncated = self._elapsed_steps >= self.max_episode_steps
        return state.astype(np.float32), 1.0, terminated, truncated, {}

    def __repr__(self):
        return (f"CartPoleEnv(masspole={self.masspole}, length={self.length}, "
                f"gravity={self.gravity})")


def physics_params(gravity=9.8, masscart=1.0, masspole=0.1, length=0.5, force_mag=10.0):
    """Pack CartPole constants in the order of the ``P_*`` indices (float64 array)."""
    params = np.empty(8)
    params[P_GRAVITY] = gravity
    params[P_MASSCART] = masscart
    params[P_MASSPOLE] = masspole
    params[P_LENGTH] = length
    params[P_FORCE] = force_mag
    params[P_TAU] = 0.02
    params[P_THETA_MAX] = THETA_THRESHOLD
    params[P_X_MAX] = 2.4
    return params
