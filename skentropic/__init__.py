"""skentropic: entropic-regularized adversarially robust learning with a scikit-learn API."""

__version__ = "0.1.0.dev0"

__all__ = []
