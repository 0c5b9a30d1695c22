"""Accuracy of the exact ``l_∞`` rule on weights spread over many decades, against a closed form.

For a loss linear in the score, ``F = η log E exp(T/η) = η Σ_k log(sinh(a_k/η)/(a_k/η))``
(``T = Σ_k a_k u_k``, ``u`` uniform in the cube), whatever the weights. The script draws
weight vectors ``a_k = scale · 10^{−spread · U_k}`` (``U_k`` uniform, ``d`` from 2 to 64) and
reports, per spread, how many (weights, ``η``) cells err by more than ``1e-4`` and ``1e-6``
relative and the worst error. The error is taken relative to ``max(|F|, 1e-10 η)``: below that,
``η log(1 + T/η + …)`` is rounding, not the rule.

Run: ``python benchmarks/bench_cube_accuracy.py [--trials 40] [--seed 0]`` (to compare a commit,
``PYTHONPATH=<checkout> python benchmarks/bench_cube_accuracy.py``).

Measured 2026-11-27 (``--trials 40 --seed 0``), the commit before (3e6e383) and after the exact
density was kept to a well-conditioned prefix of the weights (``_cube_rule.spline_prefix``;
the same 200 cells per spread in both runs)::

                  before                              after
      spread  > 1e-4  > 1e-6   worst             > 1e-4  > 1e-6   worst
           0       0      55   8.4e-05 (d 12)        0      55   8.4e-05 (d 12, eta 1e5)
           3       0      50   2.3e-05               0      48   2.3e-05 (d 64, eta 100)
           6      36      85   9.6e-01 (d 10)        0      40   2.3e-05 (d 64, eta 1)
           9      63     106   9.6e-01 (d 10)        0      33   8.4e-06 (d 16, eta 1e5)

Rerun 2026-11-28 (twelfth session, after the cube rule's series went up to ``λa_k < 1.5``):
``> 1e-4`` 0 / 0 / 0 / 0, ``> 1e-6`` 52 / 49 / 41 / 33, worst 8.2e-05 / 2.3e-05 / 2.3e-05 /
7.9e-06 for spreads 0 / 3 / 6 / 9.

Rerun 2026-11-28 (eleventh session, after ``log_sinhc_derivatives`` changed its rounding):
``> 1e-4`` 0 / 0 / 0 / 0, ``> 1e-6`` 55 / 52 / 40 / 33, worst 8.2e-05 / 2.3e-05 / 2.3e-05 /
7.9e-06 for spreads 0 / 3 / 6 / 9.

Before, a large coordinate beside tiny ones (``d <= 10``, or among the 8 largest beyond) made
the exact density's alternating terms cancel to nothing: ``F`` off by up to 96%.
"""

import argparse

import numpy as np
from scipy.special import logsumexp

from skentropic._core._losses import LOGISTIC
from skentropic._core._mgf import log_mgf_linf_rows
from skentropic.linear_model._objective import cube_law

ETAS = (1e-4, 1e-2, 1.0, 100.0, 1e5)
DIMS = (2, 3, 4, 5, 6, 8, 10, 12, 16, 30, 64)


def rule_value(a, eta):
    """``η log Σ_j ω_j exp(t_j/η)`` from the rule's atoms (the linear loss ``φ(s − t) = t``)."""
    t, log_w = cube_law(a, 1.0, eta, LOGISTIC, 4.0)[:2]
    return eta * float(logsumexp(log_w + t / eta))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=40, help="weight vectors per spread")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{'spread':>8s}{'cells':>7s}{'> 1e-4':>8s}{'> 1e-6':>8s}{'worst':>10s}   worst case")
    for spread in (0, 3, 6, 9):
        errors = []
        for _ in range(args.trials):
            d = int(rng.choice(DIMS))
            a = np.sort(10 ** (-spread * rng.random(d)) * rng.choice([0.1, 1.0, 5.0]))[::-1]
            for eta in ETAS:
                exact = eta * float(log_mgf_linf_rows((a / eta)[None, :])[0])
                err = abs(rule_value(a, eta) - exact) / max(abs(exact), 1e-10 * eta)
                errors.append((err, d, eta))
        errs = np.array([e[0] for e in errors])
        worst = max(errors)
        print(f"{spread:8d}{errs.size:7d}{int(np.sum(errs > 1e-4)):8d}{int(np.sum(errs > 1e-6)):8d}{worst[0]:10.1e}"
              f"   d = {worst[1]}, eta = {worst[2]:g}")


if __name__ == "__main__":
    main()
