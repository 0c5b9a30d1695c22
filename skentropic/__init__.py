"""skentropic: entropic-regularized adversarially robust learning with a scikit-learn API."""

from . import attacks, datasets, metrics, regularization, rl, worst_case
from ._logistic import EntropicRobustLogisticRegression
from ._mlp import EntropicRobustMLPClassifier
from ._svc import EntropicRobustSVC

__version__ = "0.1.0.dev0"

__all__ = [
    "EntropicRobustLogisticRegression",
    "EntropicRobustMLPClassifier",
    "EntropicRobustSVC",
    "attacks",
    "datasets",
    "metrics",
    "regularization",
    "rl",
    "worst_case",
]
