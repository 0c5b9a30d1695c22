"""Entropic-robust neural-network classifiers."""

from ._mlp import EntropicRobustMLPClassifier

__all__ = ["EntropicRobustMLPClassifier"]
