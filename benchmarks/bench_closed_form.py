"""Accuracy of the rules against the entropic risk's closed forms at ``η = 1/m``, in any dimension.

For the logistic loss ``e^{φ(z)/η} = (1 + e^{−z})^m`` is a polynomial in ``e^{T}``, so the
expectation over the ball is a sum of ``m + 1`` values of the ball's moment generating function
(the cube's ``Σ_k log(sinh v_k / v_k)``, the ``l_2`` ball's ``₀F₁(; d/2 + 1; ||v||²/4)``); for
the softmax loss ``(Σ_c e^{z_c − z_y})^m`` expands over the compositions of ``m``. The references
are those of the tests (``tests/_references.py``: ``logistic_binomial``, ``softmax_multinomial``),
imported from there, not copied; ``tests/test_closed_form_risk.py`` asserts bounds on what this
script prints.

Tables (``--tables binary,gradient,softmax,fitted``):

- ``binary``: the binary logistic ``l_∞`` and ``l_2`` rules on random data (200 points) with
  ``ρ||w||_* = scale``: the risk's relative error on the score grid at each ``η``, and the worst
  point's (``per_sample_objective``, points with ``F > 1e-8``);
- ``gradient``: at ``η = 1`` the ``l_∞`` rule's gradient against the surrogate's, which is the
  closed form's there (largest error over the largest component);
- ``softmax``: the multinomial tilted rule to ``rtol = 1e-3``, three classes: the mean's relative
  error, the largest over ``--seeds`` rule seeds, and the worst point's with ``F > 0.1``;
- ``fitted``: ``entropic_risk`` of models fitted on the digits (binary, one-vs-rest and
  multinomial on the classes 0-2; ``ρ = 0.05``, ``random_state=0``).

Run: ``python benchmarks/bench_closed_form.py [--tables ...] [--seeds 5]``.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import _references as ref  # noqa: E402

from skentropic._core._losses import LOGISTIC, SOFTMAX  # noqa: E402
from skentropic._core._norms import NORM_INF, NORM_L2  # noqa: E402
from skentropic.datasets import load_digits_unit  # noqa: E402
from skentropic.linear_model import EntropicRobustLogisticRegression  # noqa: E402
from skentropic.linear_model._objective import linear_objective, make_inner_rule, per_sample_objective  # noqa: E402
from skentropic.linear_model._surrogate import margin_surrogate  # noqa: E402

BALLS = {"l-inf": (NORM_INF, ref.cube_log_mgf, np.inf), "l2": (NORM_L2, ref.ball_log_mgf, 2)}
MS = (1, 10, 100, 1000, 10000)


def binary():
    print("binary logistic: risk / worst point (F > 1e-8), relative errors at eta = 1/m")
    print(f"{'ball':<6}{'d':>5}{'scale':>7}  " + "".join(f"{f'eta {1 / m:g}':>20}" for m in MS))
    for name, (code, log_mgf, _) in BALLS.items():
        for d in (2, 8, 64, 784):
            for scale in (0.1, 1.0, 10.0):
                X, y, sw, w, b = ref.scaled_binary_problem(d, scale, code == NORM_INF)
                rule = make_inner_rule(code, d, LOGISTIC)
                cells = []
                for m in MS:
                    exact = ref.logistic_binomial(y * (X @ w[0] + b[0]), 0.1 * w[0], m, log_mgf)
                    risk = linear_objective(w, b, X, y, sw, 0.1, 1.0 / m, code, LOGISTIC, rule)[0]
                    points = per_sample_objective(w, b, X, y, 0.1, 1.0 / m, code, LOGISTIC, rule)
                    worst = np.max(np.abs(points / exact - 1) * (exact > 1e-8))
                    cells.append(f"{abs(risk / (sw @ exact) - 1):9.1e} /{worst:8.1e}")
                print(f"{name:<6}{d:>5}{scale:>7}  " + "".join(f"{c:>20}" for c in cells), flush=True)


def gradient():
    print("l-inf logistic at eta = 1: max |rule gradient - closed form's| / max |closed form's|")
    for d in (2, 8, 64, 784):
        row = []
        for scale in (0.1, 1.0, 10.0):
            X, y, sw, w, b = ref.scaled_binary_problem(d, scale, True)
            _, g_w, g_b = linear_objective(w, b, X, y, sw, 0.1, 1.0, NORM_INF, LOGISTIC,
                                           make_inner_rule(NORM_INF, d, LOGISTIC))
            _, r_w, r_b = margin_surrogate(w, b, X, y, sw, 0.1, 1.0, LOGISTIC)
            error = np.max(np.abs(np.concatenate([g_w.ravel() - r_w.ravel(), g_b - r_b])))
            row.append(f"scale {scale:g}: {error / np.max(np.abs(r_w)):.1e}")
        print(f"  d = {d:<4} " + "   ".join(row), flush=True)


def softmax(seeds):
    print(f"multinomial, three classes, rtol = 1e-3: mean's relative error (largest over {seeds} seeds) / worst "
          "point with F > 0.1 (seed 0)")
    print(f"{'ball':<6}{'d':>5}  " + "".join(f"{f'eta {1 / m:g}':>22}" for m in MS[:3]))
    for name, (code, log_mgf, _) in BALLS.items():
        for d in (8, 64, 784):
            rng = np.random.RandomState(d + 3)
            X, labels = rng.randn(200, d), rng.randint(0, 3, 200)
            W = rng.randn(3, d)
            W *= 15.0 / ref.dual_norm(W, code == NORM_INF)
            b = rng.randn(3)
            cells = []
            for m in MS[:3]:
                exact = ref.softmax_multinomial(X @ W.T + b, labels, W, 0.1, m, log_mgf)
                errors, worst = [], None
                for seed in range(seeds):
                    rule = make_inner_rule(code, d, SOFTMAX, n_inner_samples=32, seed=seed)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        points = per_sample_objective(W, b, X, labels, 0.1, 1.0 / m, code, SOFTMAX, rule, rtol=1e-3)
                    errors.append(abs(points.mean() / exact.mean() - 1))
                    if worst is None:
                        worst = np.max(np.abs(points / exact - 1) * (exact > 0.1))
                cells.append(f"{max(errors):9.1e} /{worst:8.1e}")
            print(f"{name:<6}{d:>5}  " + "".join(f"{c:>22}" for c in cells), flush=True)


def fitted():
    print("entropic_risk of models fitted on the digits (rho = 0.05), relative error against the closed form")
    X, y = load_digits_unit()
    X3, y3 = X[y < 3], y[y < 3]
    for name, (code, log_mgf, norm) in BALLS.items():
        for eta in (0.1, 0.01):
            m = round(1 / eta)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")

                def model(**kw):
                    return EntropicRobustLogisticRegression(rho=0.05, eta=eta, norm=norm, random_state=0, **kw)

                fit = model().fit(X, y >= 5)
                target = np.where(y >= 5, 1.0, -1.0)
                exact = ref.logistic_binomial(target * (X @ fit.coef_[0] + fit.intercept_[0]), 0.05 * fit.coef_[0],
                                              m, log_mgf).mean()
                errors = [fit.entropic_risk(X, y >= 5) / exact - 1]
                fit = model(multi_class="ovr").fit(X3, y3)
                margins = np.where(y3[:, None] == np.arange(3), 1.0, -1.0) * (X3 @ fit.coef_.T + fit.intercept_)
                exact = np.mean([ref.logistic_binomial(margins[:, c], 0.05 * fit.coef_[c], m, log_mgf)
                                 for c in range(3)])
                errors.append(fit.entropic_risk(X3, y3) / exact - 1)
                fit = model().fit(X3, y3)
                exact = ref.softmax_multinomial(X3 @ fit.coef_.T + fit.intercept_, y3, fit.coef_, 0.05, m,
                                                log_mgf).mean()
                errors.append(fit.entropic_risk(X3, y3) / exact - 1)
            print(f"  {name:<6} eta {eta:<5} binary {errors[0]:+.1e}   one-vs-rest {errors[1]:+.1e}   "
                  f"multinomial {errors[2]:+.1e}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default="binary,gradient,softmax,fitted")
    parser.add_argument("--seeds", type=int, default=5, help="rule seeds of the softmax table")
    args = parser.parse_args(argv)
    tables = args.tables.split(",")
    for table in tables:
        if table == "softmax":
            softmax(args.seeds)
        elif table in ("binary", "gradient", "fitted"):
            globals()[table]()
        else:
            parser.error(f"unknown table {table!r}")
        print()


if __name__ == "__main__":
    main()
