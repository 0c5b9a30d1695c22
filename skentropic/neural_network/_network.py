"""Network layout of the MLP: layer sizes, packed parameters and their views, the input box.

The passes (:mod:`skentropic.neural_network._mlp_passes`) work on one flat parameter vector
``θ``; layer ``l`` occupies ``θ[offsets[l]:offsets[l+1]]`` as its ``(n_in, n_out)`` weights
followed by its ``n_out`` biases. The estimator exposes these as scikit-learn's ``coefs_`` and
``intercepts_``.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp

from ._mlp_estimators import parameter_offsets


def as_kernel_array(X):
    """C-contiguous, writable float64 (one numba specialisation for every input)."""
    return np.require(X, dtype=np.float64, requirements=["C", "W"])


def dense_rows(X, rows):
    """``X[rows]`` as a kernel array; a sparse ``X`` is densified for these rows only."""
    part = X[rows]
    return as_kernel_array(part.toarray() if sp.issparse(part) else part)


def hidden_sizes(hidden_layer_sizes):
    """Validated hidden layer sizes as a list of positive ints."""
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(
        [isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes.tolist()]
    ):
        raise ValueError(
            "hidden_layer_sizes must be a positive integer or a non-empty sequence of "
            f"positive integers, got {hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def clip_box(clip, X):
    """``(lo, hi, has_box)`` of the feature box ``clip = (lo, hi)`` (infinite when ``None``)."""
    d = X.shape[1]
    if clip is None:
        return np.full(d, -np.inf), np.full(d, np.inf), False
    if len(clip) != 2:
        raise ValueError(f"clip must be a pair (lo, hi); got {clip!r}.")
    lo = np.broadcast_to(np.asarray(clip[0], dtype=float), (d,)).copy()
    hi = np.broadcast_to(np.asarray(clip[1], dtype=float), (d,)).copy()
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)) or np.any(lo > hi):
        raise ValueError(f"clip=(lo, hi) needs lo <= hi; got {clip!r}.")
    if sp.issparse(X):  # column extremes, implicit zeros included
        low, high = X.min(axis=0).toarray().ravel(), X.max(axis=0).toarray().ravel()
    else:
        low, high = X, X
    if np.any(low < lo) or np.any(high > hi):
        raise ValueError("X has values outside clip=(lo, hi).")
    return lo, hi, True


def glorot_init(sizes, offsets, rng):
    """Glorot-uniform weights and biases, as scikit-learn's MLPClassifier."""
    theta = np.empty(offsets[-1])
    for layer in range(sizes.shape[0] - 1):
        n_in, n_out = int(sizes[layer]), int(sizes[layer + 1])
        bound = np.sqrt(6.0 / (n_in + n_out))
        o = offsets[layer]
        theta[o:o + n_in * n_out] = rng.uniform(-bound, bound, n_in * n_out)
        theta[o + n_in * n_out:offsets[layer + 1]] = rng.uniform(-bound, bound, n_out)
    return theta


def layer_views(theta, sizes, offsets):
    """``(coefs, intercepts)``: views of ``θ`` per layer (they follow the training updates)."""
    coefs, intercepts = [], []
    for layer in range(sizes.shape[0] - 1):
        n_in, n_out = int(sizes[layer]), int(sizes[layer + 1])
        o = offsets[layer]
        coefs.append(theta[o:o + n_in * n_out].reshape(n_in, n_out))
        intercepts.append(theta[o + n_in * n_out:offsets[layer + 1]])
    return coefs, intercepts


def pack(coefs, intercepts):
    """Flat ``θ`` rebuilt from per-layer weights and biases."""
    return np.concatenate(
        [np.concatenate([np.ravel(W), np.ravel(b)]) for W, b in zip(coefs, intercepts)]
    ).astype(np.float64)


def layout(coefs):
    """``(sizes, offsets)`` of a network given its weight matrices."""
    sizes = np.array([coefs[0].shape[0]] + [W.shape[1] for W in coefs], dtype=np.int64)
    return sizes, parameter_offsets(sizes)
