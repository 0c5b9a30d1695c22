"""Cold start: the first fit in a fresh process with an empty numba cache, kernel by kernel.

For each case a fresh Python process imports skentropic and fits once on the digits
(binary digit >= 5 for the linear models, the cases ``svc_l2`` and ``svc_linf`` with the hinge
loss, not run by default; 10 classes, one epoch for the MLP and for ``mlmc``, the stochastic
solver of the linear model, not run by default), with
``NUMBA_CACHE_DIR`` pointing to an empty directory ("cold"); a second process then repeats the
fit with the cache the first one wrote ("warm"). The cold process records numba's compile
events (``numba.core.event``), so the table shows which kernels the time goes to (inclusive
times: a kernel's time contains the kernels it calls).

Run: ``python benchmarks/bench_cold_start.py [--cases l2,linf,mlp,mlmc] [--top 6] [--repeats 3]
[--floor] [--exclusive] [--jit no|yes|both]``. ``--exclusive``: each compile event without the
functions compiled inside it; with repeats, the median of each column; the compile events are
those of the median cold fit; ``kernels``: the number of distinct functions compiled, ours and
numba's own implementations of NumPy calls; ``--floor`` first times the compilation of a
trivial and of a one-loop function in a fresh process; ``--jit``: numba's dispatchers instead
of the kernels the install compiled ahead of time (``SKENTROPIC_JIT=1``; ``both``: a row of
each, alternated).
The fresh processes put their current directory first on ``sys.path``: to time another
checkout, run from elsewhere (``cd /tmp && PYTHONPATH=<checkout> python
<checkout>/benchmarks/bench_cold_start.py``).

Twenty-fourth session (2026-11-29; ``--cases l2,linf,svc_l2 --repeats 3 --top 3 --jit both``, one
run each of 8d1184a, which has no compiled module in its worktree, and of d272196):
the score grid's cutting became a compiled kernel (``grid_level``), which the module compiled at
install holds, so a fit there still compiles nothing (0.03 s cold). Without it (``jit``), the
kernel's compilation makes a first ``l_2`` fit 1.41 -> 1.94 s, ``l_∞`` 7.92 -> 8.04 s and the
``l_2`` SVC 2.15 -> 2.85 s. (Its first form held the whole cutting loop and with it both rules'
node functions and numba's merge sort: 5.3 s for the ``l_2`` fit.)

Seventeenth session (2026-11-29; ``--cases linf,l2,mlp --repeats 3 --top 4 --jit both``, one run
from ``/tmp``, the rows of a case alternated): the install compiles the kernels of the binary
l2 and l-inf logistic fits ahead of time (``skentropic/_core/_aot.py``); ``jit`` rows set
``SKENTROPIC_JIT=1`` (numba's dispatchers, as without a C compiler)::

    case        import  cold fit  warm fit  kernels   largest compile events (cold, inclusive)
    linf          1.20      0.05      0.05        0
    linf jit      1.13      4.03      0.26       15   cube_atoms 1.7s, cube_atoms_gradient 1.1s, atom_nodes 0.6s, _atom_cumulants 0.5s
    l2            1.13      0.03      0.03        0
    l2 jit        1.14      0.93      0.24        6   atom_nodes 0.4s, interpolate_grid 0.3s, _loss_and_derivative 0.2s, margin_loss 0.1s
    mlp           1.15      0.03      0.03        0
    mlp jit       1.13      0.03      0.03        0

The warm fits fall too (0.26 to 0.05 s for l-inf): a warm numba fit still loads each kernel
from the on-disk cache. The SVC (``--cases svc_l2,svc_linf --repeats 3 --top 4 --jit both``,
after the l2 quadrature joined the compiled kernels)::

    svc_l2          1.15      0.05      0.05        0
    svc_l2 jit      1.13      2.18      0.25       12   entropic_margin_l2 1.7s, _l2_points 1.2s, _window 0.4s, interpolate_grid 0.2s
    svc_linf        1.14      2.71      0.27       14   margin_atoms 2.4s, ol_np_empty.<locals>.impl 0.3s, _euler_maclaurin 0.2s, ...
    svc_linf jit    1.12      5.73      0.28       21   margin_atoms 2.6s, cube_atoms 1.6s, cube_atoms_gradient 1.0s, ...

``margin_atoms`` is threaded (``parallel=True``), which numba's ahead-of-time compiler does not
do; a thin ``prange`` loop over a serial chunk kernel took the l-inf SVC to 2.56 s only (the
parallel lowering of even a one-call body cost about 1.2 s) and was not kept.

Sixteenth session (2026-11-29; ``--cases linf,l2,mlp --repeats 3 --top 6``, one run from
``/tmp`` on a faster machine than the days before, an AMD EPYC with AVX-512; no kernel of these
fits changed)::

    case    import  cold fit  warm fit  kernels   largest compile events (cold, inclusive)
    linf      1.16      4.24      0.27       15   cube_atoms 1.8s, cube_atoms_gradient 1.2s, atom_nodes 0.6s, ...
    l2        1.17      0.97      0.24        6   atom_nodes 0.5s, interpolate_grid 0.3s, ...
    mlp       1.19      0.04      0.04        0

l2 and the MLP meet the 2 s target with room, l-inf does not. With ``--exclusive``
(``--cases linf --top 16``, cold fit 4.14 s): ``cube_atoms_gradient`` 1.1 s, ``cube_atoms`` 0.5 s,
``_hybrid_density``, ``_atom_cumulants``, ``_spline_terms``, ``interpolate_grid`` and
``log_sinhc_derivatives`` 0.3 s each, ``_loss_and_derivative`` and ``atom_nodes`` 0.2 s. numba's
own pass timers (ad hoc): ``cube_atoms_gradient`` 1.1 s, of which lowering 0.68 s (LLVM 0.30 s)
and typing 0.24 s; a gradient kernel that never recomputes the cumulants (so that
``_atom_cumulants`` is not linked into it) saved only 0.1 s.

Fifteenth session (2026-11-28; ``--cases linf,l2 --repeats 3 --top 3``, four runs alternated with
256a7ec, from ``/tmp``, on a machine slower and noisier than the day's others): the exact
spline's gradient got a kernel of its own (``_cube_gradient.spline_atoms_gradient``), which a fit
in more than 10 coordinates does not compile, and the cube and l1 kernels lost their integer
powers (every ``float ** int`` there, literal exponents included, compiled numba's integer-power
routine: 0.09-0.10 s once per process). The fits are bit for bit the same; the cold fit moved
within the noise::

    commit    case  import  cold fit     warm fit   kernels
    256a7ec   linf  2.24-2.84  7.83-10.87  0.49-0.58  15
    HEAD      linf  2.22-3.03  8.15-10.90  0.51-0.60  15
    256a7ec   l2    2.35-2.75  1.83-2.58   0.39-0.46   6
    HEAD      l2    2.20-2.72  1.92-2.39   0.36-0.48   6

(HEAD: b80ff68 in the first two runs, 6125416 in the last two, the same kernels.) Where the
l-inf time goes (numba's ``numba:run_pass`` and ``numba:llvm_lock`` events, ad hoc): LLVM 2.6-2.9
s of a 7.7-9.3 s cold fit (each kernel optimises again the callees linked into it), and numba's
own typing, which resolves every operator and call one by one: about 1300 resolutions in
``cube_atoms_gradient`` alone, 1.9 s of its compilation under cProfile, much of it spent hashing
and comparing numba's ``TargetConfig`` flags.

Fourteenth session (2026-11-28; ``--cases l2 --repeats 3 --top 6``, two runs alternated with
74431a2, from ``/tmp``; a slow machine that day: 74431a2's l2 fit read 3.0 s against 2.2-2.4 s
the session before), after the l2 ball's logistic loss took one set of atoms for all points
(``linear_model/_sphere_rule.py``, NumPy) instead of the per-point quadrature: the fit compiles
the atom rules' node and interpolation kernels and the losses, 6 functions instead of 12::

    case    import  cold fit  warm fit  kernels   largest compile events (cold, inclusive)
    l2        1.61-1.70  3.03-3.04  0.27  12   entropic_margin_l2 2.3-2.4s, _l2_points 1.5-1.6s, _window 0.5s, ...
    l2        1.67-2.01  1.27-1.33  0.28-0.29  6   atom_nodes 0.6s, interpolate_grid 0.4-0.5s, ...

The hinge losses (``EntropicRobustSVC``) keep the quadrature and its compilation. Rerun at
9024080 (the rule per bucket of radii, the atom cap), same command with ``--top 3``, two runs
alternated with 74431a2 an hour later, when the machine was slower still: 74431a2 4.52-4.83 s,
9024080 1.59-2.12 s (import 1.83-2.38 s, warm fit 0.37-0.42 s).

Thirteenth session (2026-11-28; ``--cases l2,linf --repeats 3 --top 2``, two runs alternated
with 240f9fa, from ``/tmp``): l2 2.19-2.35 s against 2.28-2.44 s, l-inf 4.32-4.54 s against
4.73-4.76 s; the session changed no kernel of these fits, and l2 is above 2 s in every run of
the day (2.02-2.08 s in the eleventh session). Tried and not kept, each alternated with
240f9fa the same way:

- ``inline="always"`` for the five small loss helpers (``margin_loss``, its two derivatives,
  ``_loss_and_derivative``, ``_log_integrand``): l2 3.08-3.36 s against 2.33-2.53 s with 7
  compiled functions instead of 12 (numba's IR inlining costs more than the compilations it
  saves), l-inf 4.76-4.86 s against 4.77-5.00 s;
- the opposite, no ``inline="always"`` in the cube rule (six helpers compiled on their own):
  l-inf 5.17-5.22 s against 5.00-5.20 s, 22 functions;
- ``error_model="numpy"`` on every kernel (no division-by-zero checks): l2 2.30-2.36 s against
  2.42-2.49 s, l-inf 4.87-5.06 s against 4.85-5.23 s;
- ``NUMBA_OPT`` 0, 1, 2 (one run each, ``--cases linf --exclusive``): l-inf 3.80, 3.96, 4.11 s
  against 4.49-4.58 s at the default 3 (warm fit 2.76 s at 0): LLVM's optimisation is a small
  part; most of ``cube_atoms_gradient``'s compilation is numba's own lowering and type
  inference (its compile metadata, ad hoc).

Eleventh session (2026-11-27; ``--cases linf,l2 --repeats 3 --top 3``, two runs alternated
with ea7b214, load average about 1): the fits now start with an ERM fit (``_lbfgs.py``). l2
1.79-1.82 s before, 2.11-2.26 s with the ERM fit on the numba margin-loss kernel (13 compiled
functions instead of 12), 2.02-2.08 s with it in NumPy (12 again); l-inf 3.75-4.00 s before,
3.73-4.07 s after. The same 12 functions compile in both l2 fits, yet their compile events
take about 0.2 s longer after the ERM fit than in a fit from zero (``--exclusive`` and numba's
compile events, ad hoc); I did not find why. The MLP is unchanged (0.03-0.04 s).

Ninth session (2026-11-27; ``--cases linf,l2 --repeats 3 --top 3``, alternated with the
session's first commit; load average 0.2-0.5): l-inf 3.78 s against 3.67 s, l2 1.98 s against
1.74 s (fewer atoms, not fewer kernels: no change beyond the noise). ``--cases linf,l2
--repeats 3 --top 8 --exclusive`` (cold l-inf 3.89 s)::

    linf   cube_atoms_gradient 1.0s, cube_atoms 0.4s, _hybrid_density 0.4s, _spline_terms 0.3s,
           _atom_cumulants 0.3s, exp_shifted 0.3s, interpolate_grid 0.2s, atom_nodes 0.2s
    l2     _l2_points 0.6s, entropic_margin_l2 0.3s, interpolate_grid 0.2s, _window 0.2s, ...

``exp_shifted`` is the first function compiled in the process (numba's own start-up).

The stochastic solver (``--cases mlmc --repeats 3 --top 4``, two runs alternated with the commit
before, 2026-11-27): its softmax class start (``_mlmc._worst_class_start``) copied a direction
by an array-to-array slice assignment, which compiled numba's shape-mismatch error formatting;
an element loop took the cold fit from 10.94-11.56 s (78 compiled functions) to 8.96-9.03 s
(60), warm 0.19-0.23 s either way. It stays far above 2 s (``epoch_kernel`` 8.7-8.8 s
inclusive); the issue's target names the l2, l-inf and MLP fits.

Measured 2026-11-27 (``cd /tmp && python /work/main/benchmarks/bench_cold_start.py --cases
linf,l2,mlp --repeats 3 --top 4``, two runs alternated with the commit before, load average
0.9-1.1), after the cube rule lost three levels of kernels (the atom's density is chosen in
``cube_atoms``; the exact and series cumulants are one loop in ``_atom_cumulants``) and the
overloads of ``np.zeros``, ``int()`` and ``max()`` (22 compiled functions down to 15)::

    case    import  cold fit  warm fit  kernels
    linf      1.11      3.97      0.29       15   (before: 4.32, 0.26, 22)
    linf      1.12      3.82      0.27       15   (before: 4.54, 0.28, 22)
    l2        1.10-1.13 1.89-1.93 0.25-0.26  12   (before: 1.82-1.99, 0.24-0.27)
    mlp       1.08-1.12 0.03      0.03-0.04   0

The fits are bit for bit the same. numba links a callee's code into each caller and compiles
it again there, so every level of a call chain pays for everything below it.

Why the l-inf case stays far from 2 s (2026-11-27, earlier; ``--floor --repeats 3 --top 4``
from ``/tmp``, load average 1.0)::

    first function in a process 0.355 s; each further one-loop function 0.047 s
    case    import  cold fit  warm fit  kernels   largest compile events (cold, inclusive)
    l2        1.13      1.96      0.27       14   entropic_margin_l2 1.4s, _l2_points 1.0s, ...
    linf      1.15      4.89      0.29       29   cube_atoms 2.4s, _atom 1.7s, cube_atoms_gradient 1.2s, ...
    mlp       1.16      0.04      0.04        0

Every compiled function costs numba at least about 47 ms (its own type inference, lowering,
LLVM module and machine code), and the first one in a process 0.36 s. The l-inf fit compiles
29: even if each were as small as a one-loop function, that is 0.36 + 28 x 0.047 = 1.7 s,
plus the 0.29 s fit. Reaching 2 s needs far fewer compiled functions on that path (the cube
rule's helpers folded into their callers, against the style of small tested kernels), or
NumPy for the first evaluations; neither is done.

Measured 2026-11-27, earlier (``--repeats 3 --top 4`` from ``/tmp``), after the cube rule's
gradient pass stopped recomputing the atoms' densities (it reads what the value pass saved):
side by side with the commit before (``--cases linf``, two runs each) the cold l-inf fit read
4.89-5.31 s before and 4.85-4.96 s after, within the noise (the gradient kernel no longer
inlines the hybrid density, but a first version of the change copied an array slice, which
compiled numba's shape-error formatting: 6.8 s, replaced by a loop)::

    case    import  cold fit  warm fit   largest compile events (cold, inclusive)
    l2        1.32      2.08      0.28   entropic_margin_l2 1.5s, _l2_points 1.0s, _window 0.3s, interpolate_grid 0.3s
    linf      1.15      4.89      0.29   cube_atoms 2.4s, _atom 1.7s, cube_atoms_gradient 1.3s, _atom_cumulants 0.8s
    mlp       1.11      0.04      0.04

Measured 2026-11-27, later (``cd /tmp && python /work/main/benchmarks/bench_cold_start.py
--repeats 3``, load average 0.9), after the MLP's tilted l-inf draws moved to NumPy
(``_core/_tilted_numpy.py``); side by side with the commit before (``--cases mlp``), the MLP's
cold fit went from 1.09 s to 0.04 s and its warm fit from 0.26 s to 0.04 s::

    case    import  cold fit  warm fit   largest compile events (cold, inclusive)
    l2        1.25      2.30      0.27   l2_nodes 1.8s, entropic_margin_l2 1.5s, _l2_points 1.1s, ...
    linf      1.20      5.13      0.31   cube_atoms 2.4s, _atom 2.0s, cube_atoms_gradient 1.4s, ...
    mlp       1.18      0.04      0.04

Then the l2 quadrature's per-point loop moved into ``entropic_margin_l2`` (one level less in
the call chain): side by side (``--cases l2 --repeats 3``, two alternated runs from ``/tmp``) the
cold l2 fit went from 2.13-2.16 s to 1.95-2.00 s.

Earlier the same day, after the MLP's row weights, level draws, FGM anchors and optimizer steps
became NumPy (``PYTHONPATH=. python benchmarks/bench_cold_start.py --repeats 3``, 2 cores, load
average 1.5; medians, seconds)::

    case    import  cold fit  warm fit   largest compile events (cold, inclusive)
    l2        2.66      5.61      0.54   l2_nodes 4.3s, entropic_margin_l2 3.6s, _l2_points 2.7s, ...
    linf      2.51     11.76      0.78   cube_atoms 5.5s, _atom 4.3s, cube_atoms_gradient 3.2s, ...
    mlp       2.32      2.06      0.46   fill_tilted_points_linf 1.6s, _rows_linf 1.1s, ...

The MLP now compiles only its ball's sampler. Its cold fit moves with the machine: 1.39 s
(``--cases mlp --repeats 3``, import 1.73 s) in a quiet period of the same morning, 1.92-2.14 s
in three later runs of ``--cases mlp --repeats 5`` (import 2.5 s). Before the change: 5.00 s
(``--cases mlp``, same session, ``batch_weights 1.3s, fill_tilted_points_linf 1.1s, row_weights
1.0s, optimizer_step 0.7s, draw_counts 0.7s, anchor_rows 0.6s``); the day before 5.39 s, and
30.6 s before its passes became NumPy and its epoch loop Python (``train_epoch 30.2s,
train_batch 26.6s, batch_gradient 21.7s``: numba re-optimizes a callee's code inside each caller
of a deep call chain).

The issue's target (a cold first fit of at most 2 s) is met by the MLP only in quiet periods
and not by the linear models. For them the time is numba's front end: with ``NUMBA_OPT=0`` the
l2 cold fit went from 4.4 to 3.6 s, and inlining the quadrature's five small helpers at numba's
IR level (``inline="always"``) changed nothing measurable (5.1/5.2/4.5 s against 4.7/6.1/5.6 s,
alternated).
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
from skentropic import EntropicRobustLogisticRegression, EntropicRobustMLPClassifier, EntropicRobustSVC
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
    elif case in ("svc_l2", "svc_linf"):  # the hinge loss
        EntropicRobustSVC(rho=0.5 if case == "svc_l2" else 0.05, eta=0.01, norm=2 if case == "svc_l2" else np.inf
                          ).fit(X, y >= 5)
    elif case == "mlmc":  # the stochastic solver, 10 classes (softmax tilts), one epoch
        EntropicRobustLogisticRegression(rho=0.05, eta=0.01, norm=np.inf, solver="rt-mlmc", max_iter=1,
                                         random_state=0).fit(X, y)
    else:
        EntropicRobustMLPClassifier(rho=0.1, eta=0.01, max_iter=1, random_state=0).fit(X, y)
    t3 = time.perf_counter()
stack, totals, own = [], {}, {}  # compile events nest: a callee compiles inside its caller
for ts, ev in rec.buffer:
    if "dispatcher" not in ev.data:
        continue
    name = ev.data["dispatcher"].py_func.__qualname__
    if ev.is_start:
        stack.append([name, ts, 0.0])
    elif stack and stack[-1][0] == name:
        _, start, inner = stack.pop()
        totals[name] = totals.get(name, 0.0) + ts - start
        own[name] = own.get(name, 0.0) + ts - start - inner
        if stack:
            stack[-1][2] += ts - start
print(json.dumps({"import": t1 - t0, "fit": t3 - t2, "compile": totals, "own": own}))
"""

FLOOR = r"""
import json, time
import numpy as np
from numba import njit
t0 = time.perf_counter()
@njit
def first(x):
    return x + 1.0
first(1.0)
t1 = time.perf_counter()
times = []
for i in range(5):
    @njit
    def small(x, a):
        s = 0.0
        for k in range(a.shape[0]):
            s += a[k] * x
        return s
    t = time.perf_counter()
    small(1.0, np.ones(3))
    times.append(time.perf_counter() - t)
print(json.dumps({"first": t1 - t0, "small": sorted(times)[2]}))
"""


def run(case, cache, jit=False):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONWARNINGS="ignore")
    env.pop("SKENTROPIC_JIT", None)
    if jit:  # numba's dispatchers even where the install compiled the kernels ahead of time
        env["SKENTROPIC_JIT"] = "1"
    out = subprocess.run([sys.executable, "-c", CHILD, case], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor():
    """The compile time of numba's first function in a fresh process (its own start-up) and of a
    one-loop function after it (median of 5): what every compiled function costs at least."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONWARNINGS="ignore")
        out = subprocess.run([sys.executable, "-c", FLOOR], env=env, capture_output=True, text=True, check=True)
    times = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"first function in a process {times['first']:.3f} s; each further one-loop function {times['small']:.3f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="l2,linf,mlp")
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=1,
                        help="cold/warm pairs per case (fresh cache each); the median is shown")
    parser.add_argument("--floor", action="store_true",
                        help="also time the compilation of a trivial and of a one-loop function")
    parser.add_argument("--exclusive", action="store_true",
                        help="compile events without the functions each one compiles inside it")
    parser.add_argument("--jit", choices=("no", "yes", "both"), default="no",
                        help="numba's dispatchers instead of the kernels compiled ahead of time at install "
                             "(SKENTROPIC_JIT=1); both: a row each, alternated")
    args = parser.parse_args(argv)
    if args.floor:
        floor()
    kind = "exclusive" if args.exclusive else "inclusive"
    print(f"{'case':14s}{'import':>8s}{'cold fit':>10s}{'warm fit':>10s}{'kernels':>9s}   "
          f"largest compile events (cold, {kind})")
    modes = {"no": (False,), "yes": (True,), "both": (False, True)}[args.jit]
    for case in args.cases.split(","):
        runs = {jit: [] for jit in modes}
        for _ in range(args.repeats):
            for jit in modes:
                with tempfile.TemporaryDirectory() as cache:
                    runs[jit].append((run(case, cache, jit), run(case, cache, jit)))
        for jit in modes:
            report(case + (" jit" if jit else ""), runs[jit], args)


def report(label, pairs, args):
    """One row: the medians of the cold/warm ``pairs`` and the median cold fit's compile events."""
    pairs.sort(key=lambda pair: pair[0]["fit"])
    cold, _ = pairs[len(pairs) // 2]  # the median cold fit, with its compile events
    warm = statistics.median(w["fit"] for _, w in pairs)
    imported = statistics.median(c["import"] for c, _ in pairs)
    top = sorted(cold["own" if args.exclusive else "compile"].items(), key=lambda kv: -kv[1])[:args.top]
    events = ", ".join(f"{name} {t:.1f}s" for name, t in top)
    print(f"{label:14s}{imported:8.2f}{cold['fit']:10.2f}{warm:10.2f}{len(cold['compile']):9d}   {events}",
          flush=True)

if __name__ == "__main__":
    main()
