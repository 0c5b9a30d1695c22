"""Memory of fitting and of the fitted model does not grow with the number of inner samples.

Each configuration is fitted in a fresh subprocess; we report the peak resident memory of that
process (``ru_maxrss``) minus the peak of the same process after data creation and a warm-up fit
(numba compilation) with the smallest setting, the size of the pickled model, and, as the
baseline, the size an ``n x m x d`` array of perturbed inputs would take.

Run: ``python benchmarks/bench_memory.py [--quick]``
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, pickle, resource, sys
import numpy as np
from sklearn.datasets import make_classification
from skentropic import EntropicRobustLogisticRegression
solver, knob, value, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
X, y = make_classification(n_samples=n, n_features=d, random_state=0)
small = {knob: 2 if knob == "n_inner_samples" else 1}
EntropicRobustLogisticRegression(norm=np.inf, solver=solver, max_iter=2, random_state=0, **small).fit(X, y)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
clf = EntropicRobustLogisticRegression(norm=np.inf, solver=solver, max_iter=3, random_state=0,
                                       **{knob: value}).fit(X, y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"extra_mib": (peak - base) / 1024, "pickle_kib": len(pickle.dumps(clf)) / 1024}))
"""


def measure(solver, knob, value, n, d):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, solver, knob, str(value), str(n), str(d)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n, d = (2000, 50) if args.quick else (20000, 100)
    settings = [("lbfgs", "n_inner_samples", m) for m in (64, 512, 4096)]
    settings += [("rt-mlmc", "max_level", L) for L in (4, 8, 12)]
    print(f"n={n}, d={d}, norm=inf, warm-up fit excluded")
    print(f"{'solver':<9}{'setting':<22}{'inner m':>9}{'extra peak MiB':>16}{'pickle KiB':>12}"
          f"{'n*m*d array MiB':>17}")
    for solver, knob, value in settings:
        m = value if knob == "n_inner_samples" else 2 ** value
        res = measure(solver, knob, value, n, d)
        print(f"{solver:<9}{knob + '=' + str(value):<22}{m:>9}{res['extra_mib']:>16.1f}"
              f"{res['pickle_kib']:>12.1f}{n * m * d * 8 / 2**20:>17.0f}")


if __name__ == "__main__":
    main()
