"""Shared test configuration and fixtures.

With ``CI`` set (as ``.ci/run`` is run), hypothesis draws the same examples on every run,
so a CI result can be reproduced exactly; locally it explores new examples each run.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


class WrappedEnv:
    """A gymnasium-style env that is not a ``CartPoleEnv`` (forces the agent's Python loops)."""

    def __init__(self, env):
        self.env = env
        self.observation_space, self.action_space = env.observation_space, env.action_space
        self.unwrapped = env

    def reset(self, seed=None, options=None):
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        return self.env.step(action)


@pytest.fixture
def wrap_env():
    """The :class:`WrappedEnv` class, to wrap an environment."""
    return WrappedEnv
