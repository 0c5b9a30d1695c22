"""Robust Q-learning with the entropic Bellman operator, and a perturbable CartPole.

- :class:`RobustQLearning`: Q-learning (tabular or tile-coded) whose target replaces
  ``max_b Q(s', b)`` by ``max_b −η log E_{s ~ U(B_ρ(s'))} exp(−Q(s, b)/η)``; ``rho=0`` is
  regular Q-learning.
- :class:`CartPoleEnv`: gymnasium's CartPole-v1, step for step, with pole mass, pole
  length and gravity as parameters.
- :func:`evaluate`, :func:`perturbed_cartpoles`, :func:`robustness_study`,
  :func:`format_table`: train on the nominal system, evaluate on perturbed ones.
"""

from ._cartpole import CartPoleEnv
from .agent import CARTPOLE_BINS, CARTPOLE_BOUNDS, RobustQLearning, schedule
from .evaluation import evaluate, format_table, perturbed_cartpoles, robustness_study

__all__ = [
    "CARTPOLE_BINS",
    "CARTPOLE_BOUNDS",
    "CartPoleEnv",
    "RobustQLearning",
    "evaluate",
    "format_table",
    "perturbed_cartpoles",
    "robustness_study",
    "schedule",
]
