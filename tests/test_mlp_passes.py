"""MLP passes, estimators and optimizers against plain-NumPy references and finite differences."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skentropic._core._mlmc import UNIFORM
from skentropic._core._norms import NORM_INF, NORM_L2
from skentropic._core._sampling import sample_unit_ball_kernel, seed_numba
from skentropic.neural_network import _mlp_estimators as K
from skentropic.neural_network import _mlp_passes as P
from skentropic.neural_network._optimizers import ADAM, SGD, optimizer_step

ACTS = {
    P.ELU: lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    P.RELU: lambda z: np.maximum(z, 0),
    P.TANH: np.tanh,
}


def _unpack(theta, sizes):
    out, o = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = theta[o:o + n_in * n_out].reshape(n_in, n_out)
        o += n_in * n_out
        out.append((W, theta[o:o + n_out]))
        o += n_out
    return out


def ref_scores(theta, sizes, act, X):
    H = X
    layers = _unpack(theta, sizes)
    for k, (W, b) in enumerate(layers):
        H = H @ W + b
        if k < len(layers) - 1:
            H = ACTS[act](H)
    return H


def ref_losses(theta, sizes, act, X, y):
    S = ref_scores(theta, sizes, act, X)
    top = S.max(axis=1)
    return top + np.log(np.exp(S - top[:, None]).sum(axis=1)) - S[np.arange(len(y)), y]


def ref_entropic(theta, sizes, act, X, y, eta):
    """``η log mean_j exp(L_j/η)`` over all rows (the rows are one point's samples)."""
    L = ref_losses(theta, sizes, act, X, y)
    top = L.max()
    return top + eta * np.log(np.mean(np.exp((L - top) / eta)))


def fd_grad(f, theta, h=1e-6):
    g = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        g[k] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def _network(sizes, seed=0):
    sizes = np.asarray(sizes, dtype=np.int64)
    offsets = K.parameter_offsets(sizes)
    theta = np.random.RandomState(seed).randn(offsets[-1]) * 0.7
    return sizes, offsets, theta


def _batch(theta, sizes, offsets, act, X, y, idx, mode, rho=0.3, eta=0.2, code=NORM_INF,
           max_level=3, n_saa=5, saa_seed=11, box=None, proposal=UNIFORM, anchor_fgm=False, rng=None):
    d = X.shape[1]
    lo, hi = (np.full(d, -np.inf), np.full(d, np.inf)) if box is None else box
    grad = np.empty_like(theta)
    value = P.batch_gradient(theta, sizes, offsets, act, X, y, np.asarray(idx, dtype=np.int64),
                             mode, rho, eta, code, max_level, n_saa, saa_seed, lo, hi,
                             box is not None, grad, proposal, anchor_fgm, np.zeros(1), rng)
    return value, grad


@pytest.mark.parametrize("act", [P.ELU, P.RELU, P.TANH])
@pytest.mark.parametrize("hidden", [(4,), (5, 3)])
def test_forward_matches_numpy(act, hidden):
    sizes, offsets, theta = _network((6, *hidden, 3))
    X = np.random.RandomState(1).randn(9, 6)
    S = P.forward_scores(theta, sizes, offsets, act, X)
    np.testing.assert_allclose(S, ref_scores(theta, sizes, act, X), rtol=1e-12, atol=1e-12)


def test_parameter_offsets_layout():
    offsets = K.parameter_offsets([6, 5, 3, 2])
    assert offsets.tolist() == [0, 35, 53, 61]


@pytest.mark.parametrize("act", [P.ELU, P.TANH])
def test_input_gradient_matches_finite_differences(act):
    sizes, offsets, theta = _network((4, 5, 3, 3), seed=2)
    rng = np.random.RandomState(3)
    X, y = rng.randn(6, 4), rng.randint(0, 3, 6)
    loss, G = P.loss_input_gradient(theta, sizes, offsets, act, X, y)
    np.testing.assert_allclose(loss, ref_losses(theta, sizes, act, X, y), rtol=1e-12)
    G_fd = np.zeros_like(X)
    for k in range(X.shape[1]):
        E = np.zeros_like(X)
        E[:, k] = 1e-6
        G_fd[:, k] = (ref_losses(theta, sizes, act, X + E, y)
                      - ref_losses(theta, sizes, act, X - E, y)) / 2e-6
    np.testing.assert_allclose(G, G_fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("act", [P.ELU, P.TANH])
def test_erm_gradient_matches_finite_differences(act):
    sizes, offsets, theta = _network((4, 5, 3, 3), seed=4)
    rng = np.random.RandomState(5)
    X, y = rng.randn(10, 4), rng.randint(0, 3, 10)
    idx = [7, 2, 2, 9]
    value, grad = _batch(theta, sizes, offsets, act, X, y, idx, K.ERM)
    ref = lambda t: ref_losses(t, sizes, act, X[idx], y[idx]).mean()
    assert value == pytest.approx(4 * ref(theta), rel=1e-12)
    np.testing.assert_allclose(grad, fd_grad(ref, theta), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("code", [NORM_INF, NORM_L2])
@pytest.mark.parametrize("boxed", [False, True])
def test_vanilla_is_the_plugin_gradient_on_its_samples(code, boxed):
    sizes, offsets, theta = _network((4, 5, 3), seed=6)
    rng = np.random.RandomState(7)
    X, y = rng.rand(3, 4), rng.randint(0, 3, 3)
    rho, eta, level, seed = 0.5, 0.1, 3, 123
    box = (np.zeros(4), np.ones(4)) if boxed else None
    seed_numba(seed)
    value, grad = _batch(theta, sizes, offsets, P.ELU, X, y, [1], K.VANILLA, rho=rho, eta=eta,
                         code=code, max_level=level, box=box)
    rows = X[1] + rho * sample_unit_ball_kernel(2**level, 4, code, seed)
    if boxed:
        rows = np.clip(rows, 0, 1)
    labels = np.full(rows.shape[0], y[1])
    ref = lambda t: ref_entropic(t, sizes, P.ELU, rows, labels, eta)
    assert value == pytest.approx(ref(theta), rel=1e-12)
    np.testing.assert_allclose(grad, fd_grad(ref, theta), rtol=1e-6, atol=1e-9)


def test_saa_samples_are_fixed_per_point():
    sizes, offsets, theta = _network((3, 4, 2), seed=8)
    rng = np.random.RandomState(9)
    X, y = rng.randn(5, 3), rng.randint(0, 2, 5)
    rho, eta, n_saa, saa_seed = 0.4, 0.3, 6, 1000
    v1, g1 = _batch(theta, sizes, offsets, P.TANH, X, y, [4, 0], K.SAA, rho=rho, eta=eta,
                    code=NORM_L2, n_saa=n_saa, saa_seed=saa_seed)
    seed_numba(55)  # the SAA draws must not depend on the generator's state
    v2, g2 = _batch(theta, sizes, offsets, P.TANH, X, y, [4, 0], K.SAA, rho=rho, eta=eta,
                    code=NORM_L2, n_saa=n_saa, saa_seed=saa_seed)
    assert v1 == v2 and np.array_equal(g1, g2)

    def ref(t):
        total = 0.0
        for p in (4, 0):
            rows = X[p] + rho * sample_unit_ball_kernel(n_saa, 3, NORM_L2, saa_seed + p)
            total += ref_entropic(t, sizes, P.TANH, rows, np.full(n_saa, y[p]), eta)
        return total

    assert v1 == pytest.approx(ref(theta), rel=1e-12)
    np.testing.assert_allclose(g1, fd_grad(lambda t: ref(t) / 2, theta), rtol=1e-6, atol=1e-9)


def _soft(v, eta):
    e = np.exp((v - v.max()) / eta)
    return e / e.sum(), v.max() + eta * np.log(e.mean())


def test_rt_mlmc_batch_weights_formula():
    """Each point's block of a batch (levels 3, 0, 2) against the per-point formula."""
    rng = np.random.RandomState(10)
    eta, max_level = 0.3, 5
    levels = np.array([3, 0, 2])
    counts = 2**levels
    L = rng.randn(counts.sum()) * 2
    weights, value, ess = K.batch_weights(K.RT_MLMC, L, counts, levels, eta, max_level)
    expected_value, expected_ess, r = 0.0, 0.0, 0
    for level, m in zip(levels, counts):
        block, p_l = L[r:r + m], 2.0**-level / (2 - 2.0**-max_level)
        pi, F = _soft(block, eta)
        expected_ess += 1.0 / (m * np.sum(pi**2))
        if m == 1:
            np.testing.assert_allclose(weights[r], 1 / p_l, rtol=1e-14)
            expected_value += block[0] / p_l
        else:
            (pa, Fa), (pb, Fb) = _soft(block[:m // 2], eta), _soft(block[m // 2:], eta)
            np.testing.assert_allclose(weights[r:r + m], (pi - 0.5 * np.concatenate([pa, pb])) / p_l,
                                       rtol=1e-12)
            expected_value += (F - 0.5 * (Fa + Fb)) / p_l
        r += m
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert ess == pytest.approx(expected_ess, rel=1e-12)  # of the full levels' weights


def test_segment_softmax_survives_small_eta_and_large_losses():
    L = np.array([1e3, 1e3 - 1e-6, -1e3, 5.0, 4.0])
    weights, entropic = K.segment_softmax(L, np.array([3, 2]), 1e-6)
    assert np.all(np.isfinite(weights)) and np.all(np.isfinite(entropic))
    gap = np.exp(-(L[0] - L[1]) / 1e-6)  # about e^{-1}: the rounded difference of the losses
    np.testing.assert_allclose(weights, [1 / (1 + gap), gap / (1 + gap), 0, 1, 0], rtol=1e-14)
    assert entropic[0] == pytest.approx(1e3 + 1e-6 * np.log((1 + gap) / 3), rel=1e-15)


def test_rt_mlmc_levels_follow_their_law():
    max_level, n = 4, 200_000
    counts, levels = K.draw_counts(K.RT_MLMC, n, max_level, 0, np.random.default_rng(3))
    assert np.array_equal(counts, 2**levels)
    p = 2.0**-np.arange(max_level + 1) / (2 - 2.0**-max_level)
    freq = np.bincount(levels, minlength=max_level + 1) / n
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n))
    again = K.draw_counts(K.RT_MLMC, n, max_level, 0, np.random.default_rng(3))[1]
    assert np.array_equal(levels, again)


def _mean_and_se(mode, max_level, n_chunks=20, chunk=1500):
    sizes, offsets, theta = _network((3, 4, 3), seed=12)
    X, y = np.array([[0.2, -0.1, 0.4]]), np.array([2])
    means = []
    seed_numba(2024 + max_level + 10 * mode)
    rng = np.random.default_rng(2024 + max_level + 10 * mode)
    for _ in range(n_chunks):
        _, grad = _batch(theta, sizes, offsets, P.ELU, X, y, np.zeros(chunk, dtype=np.int64),
                         mode, rho=1.5, eta=0.05, code=NORM_INF, max_level=max_level, rng=rng)
        means.append(grad)
    means = np.array(means)
    return means.mean(axis=0), means.std(axis=0, ddof=1) / np.sqrt(n_chunks)


def test_rt_mlmc_is_unbiased_for_the_top_level_plugin():
    """E[RT-MLMC at level L] = E[v^L], while the level-0 plug-in is measurably different."""
    mean_mlmc, se_mlmc = _mean_and_se(K.RT_MLMC, 4)
    mean_top, se_top = _mean_and_se(K.VANILLA, 4)
    mean_low, se_low = _mean_and_se(K.VANILLA, 0)
    z = np.abs(mean_mlmc - mean_top) / np.sqrt(se_mlmc**2 + se_top**2 + 1e-300)
    assert z.max() < 4.5
    z_low = np.abs(mean_low - mean_top) / np.sqrt(se_low**2 + se_top**2 + 1e-300)
    assert z_low.max() > 10


def test_l2_penalty():
    sizes, offsets, theta = _network((3, 4, 2), seed=13)
    grad = np.zeros_like(theta)
    penalty = P.add_l2_penalty(theta, sizes, offsets, grad, 0.5)
    weights = [W for W, _ in _unpack(theta, sizes)]
    assert penalty == pytest.approx(0.25 * sum((W**2).sum() for W in weights))
    expected = np.concatenate([np.concatenate([0.5 * W.ravel(), np.zeros(W.shape[1])])
                               for W in weights])
    np.testing.assert_allclose(grad, expected)


@pytest.mark.parametrize("solver", [SGD, ADAM])
@pytest.mark.parametrize("nesterov", [False, True])
def test_optimizers_match_sklearn(solver, nesterov):
    rng = np.random.RandomState(14)
    theta = rng.randn(7)
    ref = [theta.copy()]
    if solver == SGD:
        opt = SGDOptimizer(ref, learning_rate_init=0.1, momentum=0.8, nesterov=nesterov)
    else:
        opt = AdamOptimizer(ref, learning_rate_init=0.1, beta_1=0.8, beta_2=0.9, epsilon=1e-6)
    s1, s2, counter = np.zeros(7), np.zeros(7), np.zeros(1, dtype=np.int64)
    hyper = np.array([0.1, 0.8, float(nesterov), 0.8, 0.9, 1e-6])
    for _ in range(4):
        g = rng.randn(7)
        opt.update_params(ref, [g])
        optimizer_step(solver, theta, g, s1, s2, counter, hyper)
    np.testing.assert_allclose(theta, ref[0], rtol=1e-13)
