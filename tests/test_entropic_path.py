"""Estimator-level facts of the exact l-inf and l1 rules on image data.

The fitted model minimises its objective (its true F is below ERM's and the adversarial
model's), and as eta falls its certified robustness moves from ERM's toward the eta = 0 model,
in d = 64 (digits) and in d = 784 (the digits upsampled to 28x28, an image problem in
MNIST's dimension built from the embedded data).
"""

import numpy as np
import pytest
from _references import cube_log_mgf, logistic_binomial
from scipy.ndimage import zoom
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skentropic import EntropicRobustLogisticRegression
from skentropic.datasets import load_digits_unit
from skentropic.metrics import certified_accuracy


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_unit()
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(y))
    return X[idx], (y[idx] >= 5).astype(int)


def _model(eta, norm, **kwargs):
    return EntropicRobustLogisticRegression(rho=kwargs.pop("rho", 0.05), eta=eta, norm=norm, C=1.0,
                                            max_iter=500, random_state=0, **kwargs)


def _risk(model, X, y, eta, norm, rho=0.05):
    """The objective of the eta-model at ``model``'s weights: F + ||w||²/(2Cn)."""
    evaluator = _model(eta, norm, rho=rho).fit(X[:20], y[:20])
    evaluator.coef_, evaluator.intercept_ = model.coef_.copy(), model.intercept_.copy()
    return evaluator.entropic_risk(X, y) + 0.5 * float(np.sum(model.coef_ ** 2)) / len(y)


def _closed_form_risk(model, X, y, eta, rho=0.05):
    """The same objective with the ``l_∞`` risk in closed form (``eta = 1/m``: tests/_references.py)."""
    w, b = model.coef_[0], model.intercept_[0]
    exact = logistic_binomial((2.0 * y - 1.0) * (X @ w + b), rho * w, round(1 / eta), cube_log_mgf)
    return exact.mean() + 0.5 * float(np.sum(w ** 2)) / len(y)


@pytest.mark.parametrize("norm, rho, etas", [(np.inf, 0.05, [0.1, 0.01, 1e-3]), (1, 0.5, [0.1, 0.01, 1e-3])])
def test_fitted_model_minimises_the_true_entropic_risk(digits, norm, rho, etas):
    """Against ERM and the adversarial (``eta = 0``) model, by the rule's risk and, for ``l_∞``,
    by the closed form (exact at these ``eta = 1/m``)."""
    X, y = digits[0][:600], digits[1][:600]
    erm = LogisticRegression(C=1.0, max_iter=5000).fit(X, y)
    adversarial = _model(0.0, norm, rho=rho).fit(X, y)
    for eta in etas:
        fitted = _model(eta, norm, rho=rho).fit(X, y)
        own = _risk(fitted, X, y, eta, norm, rho)
        assert own < _risk(erm, X, y, eta, norm, rho)
        assert own < _risk(adversarial, X, y, eta, norm, rho)
        if norm == np.inf:
            exact = _closed_form_risk(fitted, X, y, eta, rho)
            assert exact == pytest.approx(own, rel=1e-5)
            assert exact < min(_closed_form_risk(erm, X, y, eta, rho), _closed_form_risk(adversarial, X, y, eta, rho))


def test_linf_path_from_erm_to_adversarial_in_d64():
    """The protocol of benchmarks/bench_linf_sweep.py: 70/30 stratified split, seed 0."""
    X, y = load_digits_unit()
    X_tr, X_te, y_tr, y_te = train_test_split(X, (y >= 5).astype(int), test_size=0.3, stratify=y >= 5,
                                              random_state=0)
    cert = {}
    for eta in [1.0, 0.01, 1e-3, 0.0]:
        cert[eta] = certified_accuracy(_model(eta, np.inf).fit(X_tr, y_tr), X_te, y_te, eps=0.05, norm=np.inf)
    erm = certified_accuracy(LogisticRegression(C=1.0, max_iter=5000).fit(X_tr, y_tr), X_te, y_te, eps=0.05,
                             norm=np.inf)
    assert abs(cert[1.0] - erm) < 0.05  # eta = 1: noise averaging, close to ERM
    assert cert[1.0] < cert[0.01] < cert[1e-3]
    assert abs(cert[1e-3] - cert[0.0]) <= 0.02  # within 2 points of the adversarial model


def test_linf_model_beats_erm_in_d784(digits):
    X, y = digits
    X = np.clip(zoom(X[:700].reshape(-1, 8, 8), (1, 3.5, 3.5), order=1).reshape(700, -1), 0, 1)
    y = y[:700]
    X_tr, y_tr, X_te, y_te = X[:500], y[:500], X[500:], y[500:]
    erm = certified_accuracy(LogisticRegression(C=1.0, max_iter=5000).fit(X_tr, y_tr), X_te, y_te, eps=0.05,
                             norm=np.inf)
    path = [certified_accuracy(_model(eta, np.inf).fit(X_tr, y_tr), X_te, y_te, eps=0.05, norm=np.inf)
            for eta in [0.01, 1e-3, 0.0]]
    assert path[0] > erm
    assert path[0] < path[1] < path[2]
