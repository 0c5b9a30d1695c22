"""Data loaders: digits scaling, and the MNIST loader run on data the test makes."""

import numpy as np
import pytest

from skentropic import datasets


def test_digits_unit_box():
    X, y = datasets.load_digits_unit()
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_mnist_loader_on_fake_openml(monkeypatch):
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 256, size=(70000, 784)).astype(np.float64)
    labels = np.array([str(k % 10) for k in range(70000)], dtype=object)
    calls = {}

    def fake_fetch(name, **kwargs):
        calls["name"] = name
        calls.update(kwargs)
        return pixels, labels

    monkeypatch.setattr(datasets, "fetch_openml", fake_fetch)
    X_train, y_train, X_test, y_test = datasets.load_mnist(100, 50, data_home="/tmp/x")
    assert calls["name"] == "mnist_784" and calls["data_home"] == "/tmp/x"
    np.testing.assert_array_equal(X_train, pixels[:100] / 255.0)
    np.testing.assert_array_equal(X_test, pixels[60000:60050] / 255.0)
    assert y_train.dtype == np.int64 and list(y_test[:3]) == [0, 1, 2]
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0


def test_mnist_loader_rejects_bad_sizes(monkeypatch):
    monkeypatch.setattr(datasets, "fetch_openml", lambda *a, **k: (np.zeros((5, 784)), np.zeros(5)))
    with pytest.raises(ValueError, match="70000 x 784"):
        datasets.load_mnist(10, 10)
    with pytest.raises(ValueError, match="n_train"):
        datasets.load_mnist(0, 10)
    with pytest.raises(ValueError, match="n_test"):
        datasets.load_mnist(10, 20000)
