"""Data sets of the talk's experiments, scaled to the unit box ``[0, 1]^d``.

``load_digits`` (8x8, embedded in scikit-learn) is the default everywhere; full MNIST comes
from OpenML through :func:`sklearn.datasets.fetch_openml` when the network allows.
"""

import numpy as np
from sklearn.datasets import fetch_openml
from sklearn.datasets import load_digits as _sklearn_digits


def load_digits_unit():
    """The 8x8 digits with pixels scaled from ``0..16`` to ``[0, 1]``.

    Returns
    -------
    X : ndarray of shape (1797, 64)
        ``pixels / 16``.
    y : ndarray of shape (1797,)
        Digit labels ``0..9``.

    Examples
    --------
    >>> from skentropic.datasets import load_digits_unit
    >>> X, y = load_digits_unit()
    >>> float(X.min()), float(X.max()), X.shape
    (0.0, 1.0, (1797, 64))
    """
    X, y = _sklearn_digits(return_X_y=True)
    return X / 16.0, y


def load_mnist(n_train=60000, n_test=10000, *, data_home=None):
    """MNIST (``mnist_784`` on OpenML) scaled to ``[0, 1]``, with the standard split.

    The 70000 images are stored with the 60000 training images first; the first ``n_train``
    of those and the last ``n_test`` images (the standard test set) are returned. Pixels are
    divided by 255 and labels converted to integers.

    Parameters
    ----------
    n_train : int, default=60000
        Training images, at most 60000.
    n_test : int, default=10000
        Test images, at most 10000.
    data_home : str or None, default=None
        Cache folder of :func:`sklearn.datasets.fetch_openml`.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarrays

    Raises
    ------
    ValueError
        If ``n_train`` or ``n_test`` is out of range or the download is not 70000 x 784.
    OSError
        Propagated from :func:`~sklearn.datasets.fetch_openml` when there is no network.
    """
    if not 1 <= int(n_train) <= 60000 or int(n_train) != n_train:
        raise ValueError(f"n_train must be an integer in [1, 60000], got {n_train!r}.")
    if not 1 <= int(n_test) <= 10000 or int(n_test) != n_test:
        raise ValueError(f"n_test must be an integer in [1, 10000], got {n_test!r}.")
    X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False,
                        parser="liac-arff", data_home=data_home)
    if np.shape(X) != (70000, 784):
        raise ValueError(f"mnist_784 should be 70000 x 784, got {np.shape(X)}.")
    X = np.asarray(X, dtype=np.float64) / 255.0
    y = np.asarray(y).astype(np.int64)
    return X[:n_train], y[:n_train], X[60000:60000 + n_test], y[60000:60000 + n_test]
