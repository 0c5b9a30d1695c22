"""The L-BFGS whose curvature pairs are kept from one objective to the next (``_lbfgs_memory``)."""

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der

from skentropic.linear_model._lbfgs_memory import Memory, lbfgs


def _quadratic(scales, center):
    """``0.5 Σ s_k (x_k − c_k)²`` and its gradient."""
    return lambda x: (0.5 * float(scales @ (x - center) ** 2), scales * (x - center))


def _pairs(memory):
    """The kept ``(s, y)``, oldest first."""
    return [(memory.S[j], memory.Y[j]) for j in memory.order]


@pytest.mark.parametrize("kept", [1, 4, 7])
def test_two_loop_direction_is_the_bfgs_inverse_update(kept):
    """``direction(g) = −H g`` with ``H`` built densely (NumPy) by the BFGS inverse update from
    ``H_0 = (s·y/y·y) I`` (newest pair) through the pairs in order, including after the ring
    has dropped its oldest pairs."""
    rng = np.random.RandomState(kept)
    memory = Memory(5)
    A = rng.randn(6, 6)
    A = A @ A.T + 6 * np.eye(6)
    for _ in range(kept):
        s = rng.randn(6)
        memory.add(s, A @ s)
    assert len(memory) == min(kept, 5)
    s_last, y_last = _pairs(memory)[-1]
    H = (s_last @ y_last) / (y_last @ y_last) * np.eye(6)
    for s, y in _pairs(memory):
        r = 1.0 / (s @ y)
        V = np.eye(6) - r * np.outer(y, s)
        H = V.T @ H @ V + r * np.outer(s, s)
    g = rng.randn(6)
    np.testing.assert_allclose(memory.direction(g), -H @ g, rtol=1e-12)


def test_memory_keeps_the_newest_pairs_with_positive_curvature():
    memory = Memory(3)
    for k in range(5):
        memory.add(np.array([1.0, k]), np.array([1.0, 0.0]))
    assert len(memory) == 3 and [s[1] for s, _ in _pairs(memory)] == [2.0, 3.0, 4.0]
    memory.add(np.array([1.0, 0.0]), np.array([-1.0, 0.0]))  # s·y < 0: not a curvature pair
    assert [s[1] for s, _ in _pairs(memory)] == [2.0, 3.0, 4.0]
    memory.clear()
    assert len(memory) == 0


@pytest.mark.parametrize("x0", [np.full(4, -1.2), np.array([2.0, -1.0, 0.5, 3.0])])
def test_reaches_scipys_solution(x0):
    """Rosenbrock in 4 dimensions: the same minimiser as scipy's L-BFGS-B, to the tolerance."""
    fun = lambda x: (rosen(x), rosen_der(x))  # noqa: E731
    res = lbfgs(fun, x0, Memory(10), maxiter=500, gtol=1e-8, ftol=0.0)
    ref = minimize(fun, x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 0.0, "maxiter": 500})
    assert res.success and np.max(np.abs(res.jac)) <= 1e-8
    np.testing.assert_allclose(res.x, ref.x, atol=1e-7)
    assert res.nit <= 2 * ref.nit


def test_kept_pairs_shorten_the_next_run():
    """An ill-conditioned quadratic, then the same with its center moved (another anchor's noise):
    with the first run's pairs the second takes fewer iterations than from none, to the same point."""
    scales = np.logspace(0, 3, 20)
    center = np.linspace(-1.0, 1.0, 20)
    memory = Memory(30)
    first = lbfgs(_quadratic(scales, center), np.zeros(20), memory, maxiter=500, gtol=1e-8, ftol=0.0)
    moved = center + 1e-2 * np.cos(np.arange(20))
    kept = lbfgs(_quadratic(scales, moved), first.x, memory, maxiter=500, gtol=1e-8, ftol=0.0)
    fresh = lbfgs(_quadratic(scales, moved), first.x, Memory(30), maxiter=500, gtol=1e-8, ftol=0.0)
    assert first.success and kept.success and fresh.success
    np.testing.assert_allclose(kept.x, moved, atol=1e-10)
    assert kept.nit < fresh.nit


def test_maxiter_and_a_failed_search_end_unconverged():
    fun = lambda x: (rosen(x), rosen_der(x))  # noqa: E731
    res = lbfgs(fun, np.full(4, -1.2), Memory(10), maxiter=3, gtol=1e-8, ftol=0.0)
    assert not res.success and res.nit == 3
    # a gradient that does not match the function: no step satisfies the Wolfe conditions
    res = lbfgs(lambda x: (float(x @ x), -x), np.ones(3), Memory(10), maxiter=50, gtol=1e-8, ftol=0.0)
    assert not res.success and np.array_equal(res.x, np.ones(3))


def test_converged_start_takes_no_step():
    res = lbfgs(_quadratic(np.ones(3), np.zeros(3)), np.zeros(3), Memory(5), maxiter=10, gtol=1e-8, ftol=0.0)
    assert res.success and res.nit == 0


def test_verbose_prints_a_line_per_run_or_per_iteration(capsys):
    fun = _quadratic(np.array([1.0, 10.0]), np.array([1.0, -1.0]))
    res = lbfgs(fun, np.zeros(2), Memory(5), maxiter=50, gtol=1e-10, ftol=0.0, verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and f"{res.nit} iterations" in out[0] and "converged" in out[0]
    res = lbfgs(fun, np.zeros(2), Memory(5), maxiter=50, gtol=1e-10, ftol=0.0, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == res.nit + 2 and out[0].startswith("L-BFGS iteration 0:")
    lbfgs(fun, np.zeros(2), Memory(5), maxiter=50, gtol=1e-10, ftol=0.0)
    assert capsys.readouterr().out == ""
