"""skentropic: entropic-regularized adversarially robust learning with a scikit-learn API."""

from . import attacks, datasets, linear_model, metrics, neural_network, regularization, rl, worst_case
from .linear_model import EntropicRobustLogisticRegression, EntropicRobustSVC
from .neural_network import EntropicRobustMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "EntropicRobustLogisticRegression",
    "EntropicRobustMLPClassifier",
    "EntropicRobustSVC",
    "attacks",
    "datasets",
    "linear_model",
    "metrics",
    "neural_network",
    "regularization",
    "rl",
    "worst_case",
]
