"""Entropic-robust linear classifiers."""

from ._logistic import EntropicRobustLogisticRegression
from ._svc import EntropicRobustSVC

__all__ = ["EntropicRobustLogisticRegression", "EntropicRobustSVC"]
