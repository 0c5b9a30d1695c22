"""Cold start: the first fit in a fresh process with an empty numba cache, kernel by kernel.

For each case a fresh Python process imports skentropic and fits once on the digits
(binary digit >= 5 for the linear models; 10 classes, one epoch for the MLP), with
``NUMBA_CACHE_DIR`` pointing to an empty directory ("cold"); a second process then repeats the
fit with the cache the first one wrote ("warm"). The cold process records numba's compile
events (``numba.core.event``), so the table shows which kernels the time goes to (inclusive
times: a kernel's time contains the kernels it calls).

Run: ``python benchmarks/bench_cold_start.py [--cases l2,linf,mlp] [--top 6] [--repeats 3]``
(with repeats, the median of each column; the compile events are those of the median cold fit)

Measured 2026-11-27 (``PYTHONPATH=. python benchmarks/bench_cold_start.py --repeats 3``, 2 cores,
load average 0.7; medians, seconds)::

    case    import  cold fit  warm fit   largest compile events (cold, inclusive)
    l2        2.10      5.64      0.59   l2_nodes 4.4s, entropic_margin_l2 3.6s, _l2_points 2.7s, ...
    linf      2.13     10.64      0.86   cube_atoms 5.4s, _atom 4.4s, cube_atoms_gradient 2.4s, ...
    mlp       2.03      5.39      0.56   batch_weights 1.3s, fill_tilted_points_linf 1.1s, draw_counts 0.9s, ...

The MLP row was 30.6 s in the same session before its passes became NumPy and its epoch loop
Python (``--cases mlp --repeats 3`` on the previous commit; the compile events were
``train_epoch 30.2s, train_batch 26.6s, batch_gradient 21.7s``: numba re-optimizes a callee's
code inside each caller of a deep call chain). The day before: l2 5.54 s, l-inf 13.31 s, MLP
24.85 s (one run each).

The issue's target (a cold first fit of at most 2 s) is not met. For the linear models the time
is numba's front end: with ``NUMBA_OPT=0`` the l2 cold fit went from 4.4 to 3.6 s only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from numba.core import event
from skentropic import EntropicRobustLogisticRegression, EntropicRobustMLPClassifier
from skentropic.datasets import load_digits_unit
X, y = load_digits_unit()
t1 = time.perf_counter()
case = sys.argv[1]
with event.install_recorder("numba:compile") as rec:
    t2 = time.perf_counter()
    if case == "l2":
        EntropicRobustLogisticRegression(rho=0.5, eta=0.01, norm=2).fit(X, y >= 5)
    elif case == "linf":
        EntropicRobustLogisticRegression(rho=0.05, eta=0.01, norm=np.inf).fit(X, y >= 5)
    else:
        EntropicRobustMLPClassifier(rho=0.1, eta=0.01, max_iter=1, random_state=0).fit(X, y)
    t3 = time.perf_counter()
starts, totals = {}, {}
for ts, ev in rec.buffer:
    if "dispatcher" not in ev.data:
        continue
    name = ev.data["dispatcher"].py_func.__qualname__
    key = (name, str(ev.data.get("args")))
    if ev.is_start:
        starts[key] = ts
    elif key in starts:
        totals[name] = totals.get(name, 0.0) + ts - starts.pop(key)
print(json.dumps({"import": t1 - t0, "fit": t3 - t2, "compile": totals}))
"""


def run(case, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, "-c", CHILD, case], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="l2,linf,mlp")
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1,
                        help="cold/warm pairs per case (fresh cache each); the median is shown")
    args = parser.parse_args(argv)
    print(f"{'case':6s}{'import':>8s}{'cold fit':>10s}{'warm fit':>10s}   largest compile events (cold, inclusive)")
    for case in args.cases.split(","):
        pairs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                pairs.append((run(case, cache), run(case, cache)))
        pairs.sort(key=lambda pair: pair[0]["fit"])
        cold, _ = pairs[len(pairs) // 2]  # the median cold fit, with its compile events
        warm = statistics.median(w["fit"] for _, w in pairs)
        imported = statistics.median(c["import"] for c, _ in pairs)
        top = sorted(cold["compile"].items(), key=lambda kv: -kv[1])[:args.top]
        events = ", ".join(f"{name} {t:.1f}s" for name, t in top)
        print(f"{case:6s}{imported:8.2f}{cold['fit']:10.2f}{warm:10.2f}   {events}", flush=True)


if __name__ == "__main__":
    main()
