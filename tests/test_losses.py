"""Loss kernels against NumPy references and finite differences."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from skentropic._core._losses import (
    HINGE,
    LOGISTIC,
    SQUARED_HINGE,
    margin_loss,
    margin_loss_derivative,
    margin_loss_second_derivative,
    softmax_loss,
)

Z = np.array([-800.0, -30.0, -2.0, -0.5, 0.0, 0.3, 0.999, 1.5, 40.0, 800.0])
REF = {
    LOGISTIC: lambda z: np.logaddexp(0.0, -z),
    HINGE: lambda z: np.maximum(0.0, 1 - z),
    SQUARED_HINGE: lambda z: np.maximum(0.0, 1 - z) ** 2,
}


@pytest.mark.parametrize("code", [LOGISTIC, HINGE, SQUARED_HINGE])
def test_margin_losses(code):
    got = np.array([margin_loss(z, code) for z in Z])
    np.testing.assert_allclose(got, REF[code](Z), rtol=1e-13)
    h = 1e-6
    for z in Z[2:-2]:
        fd = (REF[code](z + h) - REF[code](z - h)) / (2 * h)
        assert margin_loss_derivative(z, code) == pytest.approx(fd, rel=1e-5, abs=1e-7)
        d1 = lambda t: margin_loss_derivative(t, code)  # noqa: E731
        assert margin_loss_second_derivative(z, code) == pytest.approx(
            (d1(z + h) - d1(z - h)) / (2 * h), rel=1e-4, abs=1e-6
        )
    assert np.isfinite(margin_loss_derivative(-800.0, LOGISTIC))


def test_softmax_loss():
    s = np.array([1000.0, -3.0, 2.0, 999.0])
    p = np.empty(4)
    for label in range(4):
        got = softmax_loss(s, label, p)
        assert got == pytest.approx(logsumexp(s) - s[label], rel=1e-13)
        np.testing.assert_allclose(p, softmax(s), rtol=1e-12)


@pytest.mark.parametrize("loss", [LOGISTIC, HINGE, SQUARED_HINGE])
def test_margin_losses_numpy_matches_the_kernel(loss):
    from skentropic._core._losses import margin_losses, margin_losses_numpy

    z = np.concatenate([np.linspace(-40.0, 40.0, 801), [1.0, -700.0, 700.0, 1e300, -1e300]])
    values, ds = np.empty_like(z), np.empty_like(z)
    margin_losses(z, 0.0, loss, values, ds)
    got_values, got_ds = margin_losses_numpy(z, loss)
    np.testing.assert_allclose(got_values, values, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(got_ds, ds, rtol=1e-14, atol=1e-300)
