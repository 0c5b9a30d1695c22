"""Streaming ``partial_fit`` over an on-disk float32 ``np.memmap``, chunk by chunk.

Data: ``n x d`` float32 features (standard normal) and int8 labels ``1{x·w + 0.5 ε > 0}``
(``||w|| = 1``, ``ε`` standard normal) written chunk by chunk to ``np.memmap`` files in a
temporary directory, plus an in-memory test set of 20000 rows from the same law.

Model: ``EntropicRobustLogisticRegression(rho=0.1, eta=0.1, norm=2)``, one pass of
``partial_fit`` over the memmap in chunks (``solver='auto'``, i.e. RT-MLMC mirror descent,
``C = m / chunk`` so that every chunk's penalty ``||W||²/(2 C chunk)`` equals that of the
in-memory fit below). Baselines, on the same stream:

- time: ``SGDClassifier(loss="log_loss").partial_fit`` (one pass, same chunks), median of
  ``--repeats`` alternating runs;
- accuracy and entropic risk: the in-memory ``fit`` (L-BFGS, exact l2 quadrature) on the first
  ``m`` rows, both scored on the test set (risk: :meth:`entropic_risk`, exact for l2);
- memory: each stream runs again in a fresh subprocess that maps only the current chunk
  (``np.memmap`` with an offset, unmapped after use, so the pages of past chunks do not stay
  resident); reported are the peak resident memory during the pass minus the resident memory
  before it (Linux: the peak ``VmHWM`` is reset through ``/proc/self/clear_refs`` after imports
  and a warm-up call that compiles the kernels), and ``tracemalloc``'s peak of the traced
  (numpy/Python) allocations, at ``n/4`` and ``n`` rows: bounded by a few chunks, not by ``n``.

Run: ``python benchmarks/bench_streaming.py [--quick] [--n N] [--chunk ROWS] [--repeats R]``

Measured 2026-11-26 on the 2-core machine, shared (load average 1.6),
``python benchmarks/bench_streaming.py``, 85 s::

    n=1000000 d=100 chunk=10000 float32 memmap 381 MiB (written in 7.3 s); in-memory fit on m=50000 rows; {'rho': 0.1, 'eta': 0.1, 'norm': 2}, C=5 per chunk

    one pass, median of 3: partial_fit 14.03 s, SGDClassifier.partial_fit 0.71 s, ratio 19.8x (in-memory fit on m rows: 0.91 s)

    model                              test acc  entropic risk  risk / in-memory
    in-memory fit, m rows (L-BFGS)       0.8529         0.3216             1.000
    partial_fit stream, one pass         0.8530         0.3226             1.003
    SGDClassifier stream, one pass       0.8440            nan               nan

    peak memory of one pass over the first rows (fresh process; chunk: float32 3.8 MiB, float64 7.6 MiB)
    method                     rows  RSS before MiB  extra peak RSS MiB  traced peak MiB  rows*d float64 MiB
    partial_fit (ours)       250000           298.7                11.9              8.3                 191
    partial_fit (ours)      1000000           298.8                11.9              8.3                 763
    SGDClassifier            250000           252.6                 3.8              0.2                 191
    SGDClassifier           1000000           252.6                 3.7              0.2                 763

One pass reaches the in-memory fit's test accuracy and its entropic risk within 0.3%. The
peak is the same for 250000 and 1000000 rows: one float64 copy of a chunk (7.6 MiB; the
estimator computes in float64, ``SGDClassifier`` keeps float32) plus the mapped chunk. The pass
costs 20x ``SGDClassifier.partial_fit``: every point draws on average about 3.5 perturbed
copies (RT-MLMC, ``max_level=6``) against one gradient for SGD.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.linear_model import SGDClassifier

from skentropic import EntropicRobustLogisticRegression

PARAMS = dict(rho=0.1, eta=0.1, norm=2)

CHILD = r"""
import json, sys, tracemalloc
import numpy as np
from sklearn.linear_model import SGDClassifier
from skentropic import EntropicRobustLogisticRegression
method, xpath, ypath, n, d, chunk, C = sys.argv[1:8]
n, d, chunk, C = int(n), int(d), int(chunk), float(C)
def model():
    if method == "sgd":
        return SGDClassifier(loss="log_loss", random_state=0)
    return EntropicRobustLogisticRegression(rho=0.1, eta=0.1, norm=2, C=C, random_state=0)
def rows(start, stop):  # map only this chunk; unmapped when the views are dropped
    X = np.memmap(xpath, dtype=np.float32, mode="r", offset=start * d * 4, shape=(stop - start, d))
    y = np.memmap(ypath, dtype=np.int8, mode="r", offset=start, shape=(stop - start,))
    return X, y
X0, y0 = rows(0, 64)
model().partial_fit(np.asarray(X0), np.asarray(y0), classes=[0, 1])  # warm-up (compilation)
del X0, y0
def status(key):  # kB
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
base = status("VmRSS")
clf = model()
tracemalloc.start()
for start in range(0, n, chunk):
    X, y = rows(start, min(n, start + chunk))
    clf.partial_fit(X, y, classes=[0, 1])
    del X, y
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
peak = status("VmHWM")
print(json.dumps({"extra_mib": (peak - base) / 1024, "traced_mib": traced / 2**20,
                  "base_mib": base / 1024}))
"""


def make_stream(folder, n, d, chunk, seed=0):
    """Write ``X`` (float32) and ``y`` (int8) memmaps chunk by chunk; return paths and test set."""
    rng = np.random.RandomState(seed)
    w = rng.randn(d)
    w /= np.linalg.norm(w)
    xpath, ypath = os.path.join(folder, "X.f32"), os.path.join(folder, "y.i8")
    X = np.memmap(xpath, dtype=np.float32, mode="w+", shape=(n, d))
    y = np.memmap(ypath, dtype=np.int8, mode="w+", shape=(n,))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        block = rng.randn(stop - start, d)
        X[start:stop] = block
        y[start:stop] = block @ w + 0.5 * rng.randn(stop - start) > 0
    X.flush()
    y.flush()
    del X, y
    X_test = rng.randn(20000, d)
    y_test = (X_test @ w + 0.5 * rng.randn(20000) > 0).astype(np.int8)
    return xpath, ypath, X_test.astype(np.float32), y_test


def one_pass(clf, X, y, chunk):
    for start in range(0, X.shape[0], chunk):
        clf.partial_fit(X[start:start + chunk], y[start:start + chunk], classes=[0, 1])
    return clf


def child_memory(method, xpath, ypath, n, d, chunk, C):
    out = subprocess.run([sys.executable, "-c", CHILD, method, xpath, ypath, str(n), str(d),
                          str(chunk), str(C)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n=100000, m=10000, 1 repeat")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=10000)
    parser.add_argument("--m", type=int, default=None, help="rows of the in-memory fit")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)
    m = args.m or (10_000 if args.quick else 50_000)
    repeats = args.repeats or (1 if args.quick else 3)
    d, chunk = args.d, args.chunk
    C = m / chunk

    with tempfile.TemporaryDirectory() as folder:
        tic = time.perf_counter()
        xpath, ypath, X_test, y_test = make_stream(folder, n, d, chunk)
        print(f"n={n} d={d} chunk={chunk} float32 memmap {n * d * 4 / 2**20:.0f} MiB "
              f"(written in {time.perf_counter() - tic:.1f} s); in-memory fit on m={m} rows; "
              f"{PARAMS}, C={C:g} per chunk")
        X = np.memmap(xpath, dtype=np.float32, mode="r", shape=(n, d))
        y = np.memmap(ypath, dtype=np.int8, mode="r", shape=(n,))
        ours = EntropicRobustLogisticRegression(**PARAMS, C=C, random_state=0)
        ours.partial_fit(X[:64], y[:64], classes=[0, 1])  # warm-up (numba compilation)
        times, models = {"ours": [], "sgd": []}, {}
        for _ in range(repeats):
            for name in ("sgd", "ours"):
                clf = (SGDClassifier(loss="log_loss", random_state=0) if name == "sgd" else
                       EntropicRobustLogisticRegression(**PARAMS, C=C, random_state=0))
                t0 = time.perf_counter()
                one_pass(clf, X, y, chunk)
                times[name].append(time.perf_counter() - t0)
                models[name] = clf
        tic = time.perf_counter()
        full = EntropicRobustLogisticRegression(**PARAMS, random_state=0).fit(
            np.asarray(X[:m]), np.asarray(y[:m]))
        t_full = time.perf_counter() - tic
        del X, y

        t_ours, t_sgd = np.median(times["ours"]), np.median(times["sgd"])
        print(f"\none pass, median of {repeats}: partial_fit {t_ours:.2f} s, SGDClassifier."
              f"partial_fit {t_sgd:.2f} s, ratio {t_ours / t_sgd:.1f}x "
              f"(in-memory fit on m rows: {t_full:.2f} s)")
        risk_full = full.entropic_risk(X_test, y_test)
        acc_full = full.score(X_test, y_test)
        print(f"\n{'model':<34}{'test acc':>9}{'entropic risk':>15}{'risk / in-memory':>18}")
        rows = [("in-memory fit, m rows (L-BFGS)", acc_full, risk_full),
                ("partial_fit stream, one pass", models["ours"].score(X_test, y_test),
                 models["ours"].entropic_risk(X_test, y_test)),
                ("SGDClassifier stream, one pass", models["sgd"].score(X_test, y_test), np.nan)]
        for name, acc, r in rows:
            print(f"{name:<34}{acc:>9.4f}{r:>15.4f}{r / risk_full:>18.3f}")

        print(f"\npeak memory of one pass over the first rows (fresh process; chunk: float32 "
              f"{chunk * d * 4 / 2**20:.1f} MiB, float64 {chunk * d * 8 / 2**20:.1f} MiB)")
        print(f"{'method':<22}{'rows':>9}{'RSS before MiB':>16}{'extra peak RSS MiB':>20}"
              f"{'traced peak MiB':>17}{'rows*d float64 MiB':>20}")
        for method in ("ours", "sgd"):
            for rows_n in (n // 4, n):
                res = child_memory(method, xpath, ypath, rows_n, d, chunk, C)
                label = "partial_fit (ours)" if method == "ours" else "SGDClassifier"
                print(f"{label:<22}{rows_n:>9}{res['base_mib']:>16.1f}{res['extra_mib']:>20.1f}"
                      f"{res['traced_mib']:>17.1f}{rows_n * d * 8 / 2**20:>20.0f}")


if __name__ == "__main__":
    main()
