"""Cold start: the first fit in a fresh process with an empty numba cache, kernel by kernel.

For each case a fresh Python process imports skentropic and fits once on the digits
(binary digit >= 5 for the linear models; 10 classes, one epoch for the MLP), with
``NUMBA_CACHE_DIR`` pointing to an empty directory ("cold"); a second process then repeats the
fit with the cache the first one wrote ("warm"). The cold process records numba's compile
events (``numba.core.event``), so the table shows which kernels the time goes to (inclusive
times: a kernel's time contains the kernels it calls).

Run: ``python benchmarks/bench_cold_start.py [--cases l2,linf,mlp] [--top 6]``
"""

import argparse
import json
import os
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
    args = parser.parse_args(argv)
    print(f"{'case':6s}{'import':>8s}{'cold fit':>10s}{'warm fit':>10s}   largest compile events (cold, inclusive)")
    for case in args.cases.split(","):
        with tempfile.TemporaryDirectory() as cache:
            cold = run(case, cache)
            warm = run(case, cache)
        top = sorted(cold["compile"].items(), key=lambda kv: -kv[1])[:args.top]
        events = ", ".join(f"{name} {t:.1f}s" for name, t in top)
        print(f"{case:6s}{cold['import']:8.2f}{cold['fit']:10.2f}{warm['fit']:10.2f}   {events}", flush=True)


if __name__ == "__main__":
    main()
