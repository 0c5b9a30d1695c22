"""Adversarial and random perturbations as scikit-learn transformers.

Every attack moves each input ``x`` inside the ball ``{x' : ||x' − x||_p <= eps}``
(``p`` = ``norm``) and, when ``clip=(lo, hi)`` is given, inside the feature box
``lo <= x' <= hi``. ``fit_transform(X, y)`` attacks the true labels ``y``; ``transform(X)``
attacks the estimator's own predictions, so an attack can sit in front of the model in a
:class:`~sklearn.pipeline.Pipeline` at evaluation time.

The attacked loss is the cross-entropy of the model (logistic loss of the margin for binary
models, softmax cross-entropy of the scores for multiclass ones); input gradients come from
:mod:`skentropic.attacks._input_gradients`.
"""

from ._attacks import FastGradientMethod, ProjectedGradientDescent, UniformNoise

__all__ = ["FastGradientMethod", "ProjectedGradientDescent", "UniformNoise"]
