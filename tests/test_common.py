"""scikit-learn's estimator checks for every estimator the package exports (found automatically)."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import skentropic


def _exported_estimators():
    for name in skentropic.__all__:
        obj = getattr(skentropic, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            yield obj


def _instances():
    for cls in _exported_estimators():
        yield cls(random_state=0)
        if "solver" in inspect.signature(cls).parameters:
            # the stochastic path has its own data handling (dense only, epochs)
            yield cls(solver="rt-mlmc", max_iter=30, random_state=0)


@parametrize_with_checks(list(_instances()))
def test_sklearn_compatible(estimator, check):
    check(estimator)
