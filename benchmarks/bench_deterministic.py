"""Fit time of ``fit_lbfgs`` (deterministic entropic objective) vs sklearn's LogisticRegression.

Binary synthetic data (seeded), n=50000, d=200, rho=0.1. Rows: l2 quadrature, the exact l_inf
cube rule and the exact l1 rule for eta in {0.05, 0.01}; baseline
``LogisticRegression(solver="lbfgs")`` on the same data in the same run, with the same
penalty (alpha = 1 / (C n)) and tolerance. Median of ``--repeats`` fits each. numba
compilation is excluded: every configuration is fitted once on a small problem first.

Run: ``python benchmarks/bench_deterministic.py [--n 50000] [--d 200] [--repeats 3]``, or
``--sweep [--sizes 1000x64,...,digits] [--etas ...] [--rho 0.1] [--times]`` for the ratios
(each cell's fits alternated with scikit-learn's; the sklearn column is the median over the
cells; ``--times``: our fit times in milliseconds, to compare two commits side by side) over
sizes, norms and ``eta`` (``digits``: the embedded digits as a binary problem); ``--multiclass
[--etas 0.01] [--rho 0.05] [--repeats 1] [--solver auto]`` for the 10-class digits; ``--laws
[--etas ...] [--rho ...]`` for one ``l_inf`` and one ``l_1`` law alone (the kernels, no fit).

Seventeenth session (2026-11-29; ``--sweep --sizes digits,1000x784 --etas 1,0.1,0.01,0.001 --rho
0.05 --repeats 5 --times --norms l-inf``, two runs alternated with 73c3b42 from its own worktree,
both with ``SKENTROPIC_JIT=1``, ms): the cube rule's grid (``_cube_rule.atom_grid``: the tilt sums
at the grid's ends, the tail bounds, the spline prefix; 77-111 µs of NumPy per evaluation on the
digits) became a numba kernel, compiled ahead of time with the others. Digits ``eta`` 1 / 0.1 /
0.01 / 1e-3: 11.6-11.8 / 16.9-17.6 / 24.4-25.3 / 23.3-24.2 before, 10.6-11.0 / 15.2-15.3 /
21.1-21.3 / 20.7-20.8 after; 1000 x 784 within its noise. Tried and not kept, twice: testing
the ERM start on the ERM fit's way and stopping that fit where the test would fail. At the test's
own bound it turned borderline cells into starts from zero (digits ``eta = 0.1`` 15.8 to 21 ms,
1000 x 784 at 0.01 12-15 to 32-34 ms); probed earlier and abandoning only above twice the bound
(l-inf only) it saved 1-1.5 ms on the digits at 0.01 and 1e-3, cost 0.5-1.3 ms at 1 and 0.1, and
1000 x 784 at 0.01 went from 12 to 23 ms (the probe's threaded evaluation in the middle of the
ERM fit: BLAS products then contend with numba's spinning workers).
Then the hybrid density (``_cube_density._hybrid_density``, about 80% of ``cube_atoms`` on the
digits) took the exact part's sums from polynomials between its corners (``spline_table``: a
Taylor-shift recurrence once per law) instead of a pass over up to 256 corners at each of its 24
nodes, and one logarithm per node instead of two: ``cube_atoms`` on the law of the digits fit's
weights 0.160 / 0.236 / 0.299 ms to 0.136 / 0.163 / 0.202 ms at ``eta`` 1 / 0.01 / 1e-3 (ad hoc,
median of 200 calls); the fits (``--sizes digits,1000x64,1000x784 --norms l-inf``, two runs
alternated with 9c91210): digits 10.4-11.2 / 14.9-20.7 / 21.1-22.2 / 20.4-22.2 ms before,
10.2-10.3 / 14.9 / 19.9-20.8 / 18.6-19.9 after; 1000 x 64 and 1000 x 784 within their noise.
``--laws --etas 1,0.01,0.001 --rho 0.05 --repeats 3``, two runs alternated with 73c3b42 (before
both; ms, ``eta`` 1 / 0.01 / 1e-3): l-inf d = 64 0.161-0.162 / 0.167 / 0.190-0.192 before,
0.113 / 0.120 / 0.142-0.143 after; d = 784 0.219-0.222 / 0.289-0.295 / 0.841-0.869 before,
0.175-0.177 / 0.264 / 0.846-0.861 after.

``--laws --etas 1,0.01,0.001 --rho 0.05 --repeats 3`` (eleventh session, 2026-11-27, two runs
alternated with ea7b214, ms), after ``log_sinhc_derivatives`` lost a logarithm and a division for
``0.5 <= x <= 30``: ``l_inf``, d = 784, ``eta`` 1 / 0.01 / 1e-3: 0.421-0.427 / 0.560-0.593 /
1.10-1.21 before, 0.390-0.394 / 0.516-0.518 / 1.018-1.021 after; d = 64: 0.182-0.186 /
0.188-0.195 / 0.210-0.217 before, 0.175-0.178 / 0.183 / 0.203-0.204 after; ``l_1`` unchanged
(it does not use them). The fits' times (``--sweep --times``) moved within their noise.

Twelfth session (2026-11-28; same command, two runs alternated with 6a57bef, ms), after the
cube rule's series coordinates went up to ``λa_k < 1.5`` (32 terms, scaled power sums) instead
of 0.5 (12 terms): ``l_inf``, d = 784, ``eta`` 1 / 0.01 / 1e-3: 0.395 / 0.522 / 1.015-1.027
before, 0.212-0.230 / 0.279-0.309 / 0.808-0.849 after; d = 64: 0.177-0.181 / 0.181-0.187 /
0.205-0.210 before, 0.154-0.159 / 0.160-0.164 / 0.182-0.185 after. The fits (``--sweep
--sizes digits,1000x64,1000x784,10000x784 --etas 1,0.1,0.01,0.001 --rho 0.05 --norms l-inf
--times``, two runs alternated): 1000 x 784 at ``eta = 0.01`` 12.7-14.3 ms before, 11.4-12.0
after; the other cells moved within their noise (the law is a part of an evaluation: at
1000 x 784, ``eta = 1e-3`` the node kernel of the score grid costs about as much).

Fourteenth session (2026-11-28; ``--sweep --sizes digits,1000x64,10000x64,1000x784,10000x784
--etas 1,0.1,0.01,0.001 --rho 0.05 --norms l2 --times --repeats 5``, two runs alternated with
74431a2, ms; ``eta`` 1 / 0.1 / 0.01 / 1e-3), after the l2 ball's logistic loss took the atoms of
``linear_model/_sphere_rule.py`` (one law for all points, the score grid's atom kernels) instead
of the per-point quadrature::

    cell         74431a2                                   after
    digits       6.2-10.2 / 22.5-24.6 / 24.3-26.3 / 29.1-35.5    6.2-6.9 / 16.6-17.2 / 22.2-25.5 / 22.3-28.8
    1000x64      4.4-4.7 / 3.4-4.7 / 8.0-11.6 / 10.5-11.7       3.2-4.5 / 3.3-3.5 / 7.5-10.2 / 7.3-8.4

The other sizes moved within their noise (10000 x 64 15.7-23.8 against 16.5-23.1, 1000 x 784
14.3-18.6 against 15.3-18.5, 10000 x 784 60.3-84.6 against 59.2-83.9); scikit-learn took 9-15 ms
on the digits with one BLAS thread in these runs (5-6 ms two days before).

Then the rule became one per bucket of radii (``ρ||w||_2`` rounded up to a power of
``2^{1/8}``), kept between evaluations instead of computed at each (about 65 µs of NumPy). Same
command with ``--sizes digits,1000x64,10000x64``, two runs alternated with 74431a2 (ms)::

    cell         74431a2                                      after
    digits       7.9-10.4 / 25.6-28.6 / 24.2-28.9 / 32.1-41.6   7.7-10.1 / 12.8-15.0 / 19.2-20.9 / 18.9-19.0
    1000x64      3.4-4.4 / 3.7-5.0 / 9.9-11.4 / 10.4-14.5       4.9-6.2 / 3.6-4.5 / 6.9-8.0 / 6.7-7.8
    10000x64     18.3-19.0 / 21.3 / 19.0-28.1 / 18.7-24.6        21.0-23.4 / 20.4-21.5 / 18.2-21.2 / 17.0-22.5

(scikit-learn 11-16 ms on the digits with one BLAS thread in these runs.) The 1000 x 64 cell at
``eta = 1``, where the fit from the ERM start makes few evaluations, read slower in both runs;
alone with ``--sizes 1000x64 --etas 1 --repeats 15`` (two runs alternated) it read 3.7-3.8 ms
against 4.4-4.9 ms: noise of a 4 ms fit.

Twelfth session (2026-11-28; ``--sweep --sizes digits,1000x64,10000x64,1000x784,10000x784
--etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 3``, two runs at 8d1a851), after the cube rule's
longer series and the ERM start's cheaper test (the multinomial changes do not touch these
fits; the digits l1 cell at ``eta = 1e-3`` read 4.7x and 3.2x, 3.2x twice an hour earlier)::

       n x d  sklearn 1 BLAS [s]   l2 (eta 1 to 1e-3)   l-inf        l1
      digits        0.005-0.006    0.7-2.6x             2.2-5.0x     0.9-4.7x
     1000x64        0.003          0.8-2.0x             1.8-2.9x     1.1-2.3x
    10000x64        0.005          1.5-1.9x             1.8-2.1x     1.1-2.0x
    1000x784        0.006          0.8-0.9x             1.1-7.2x     1.4-2.1x
   10000x784        0.046-0.047    1.0x                 0.7-1.2x     1.1-1.2x

Latest before it (2026-11-27, eleventh session; same command, two runs, load average 0.6-0.7), after
L-BFGS started from the ERM solution where the entropic gradient there is small
(``skentropic/linear_model/_lbfgs.py``, which has the side-by-side times; ``--no-erm-start``
gives the fits from zero)::

       n x d  sklearn 1 BLAS [s]   l2 (eta 1 to 1e-3)   l-inf          l1
      digits        0.005-0.007     0.7-2.9x            2.3-5.5x       0.8-3.3x
     1000x64        0.002-0.003     0.8-2.3x            1.9-2.9x       1.1-2.3x
    10000x64        0.005           1.5-1.7x            1.8-2.2x       1.1-1.9x
    1000x784        0.006           0.8-0.9x            2.2-7.2x       1.5-2.3x
   10000x784        0.047-0.048     1.0x                0.8-1.2x       1.2x

Above 3x: digits l-inf at ``eta`` 0.1 to 1e-3 (3.3-5.5x), digits l1 at 1e-3 (3.2-3.3x),
1000 x 784 l-inf at 0.01 (2.5-3.9x) and 1e-3 (7.0-7.2x): there the robust model is far from ERM
and the fit starts from zero as before.

The tenth session's table (``--sweep --sizes digits,1000x64,10000x64,1000x784,10000x784
--etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 3``, two runs, load average 0.2-0.3; ranges over
``eta`` and both runs), after the score grid stopped refining for the atom adjoints and the
logistic ``f_r`` (below)::

       n x d  sklearn 1 BLAS [s]   l2 (eta 1 to 1e-3)   l-inf          l1
      digits        0.005           2.0-3.4x            3.7-4.7x       4.8-7.3x
     1000x64        0.003           1.6-2.3x            2.1-2.5x       3.5-4.0x
    10000x64        0.005           1.5-2.0x            1.7-2.1x       2.3-2.4x
    1000x784        0.006           1.2-1.3x            2.8-7.9x       9.8-11.0x
   10000x784        0.046-0.048     1.0x                0.8-1.2x       1.6-1.7x

The ninth session's table (same command)::

      digits        0.005-0.006      2.0-5.7x            3.7-6.4x       5.0-7.2x
     1000x64        0.003            1.6-3.9x            2.5-4.1x       3.6-5.4x
    10000x64        0.005            1.5-3.1x            2.1-2.7x       2.3-2.6x
    1000x784        0.006            1.3-1.7x            3.1-11.6x      9.0-10.8x
   10000x784        0.049            1.0-1.1x            0.9-1.2x       1.6-1.7x

Side by side (``--times``, each run alternated with the commit before the change, ms):

- the score grid testing only ``f``'s Chebyshev tail, not the atom adjoints' (tenth session,
  2026-11-27; ``--sizes digits,1000x64,10000x64,1000x784,10000x784 --norms l-inf,l1 --etas
  1,0.1,0.01,0.001 --rho 0.05 --repeats 3``, two runs each, against 37b3866): l-inf digits at
  ``eta`` 0.01 and 1e-3: 30.2-34.2 / 37.6-42.4 before, 22.4-23.1 / 22.6-24.9 after; 1000 x 64 at
  1e-3: 10.0-10.5 before, 5.8 after; 10000 x 64 at 1e-3: 14.3-16.2 before, 10.4-11.0 after;
  1000 x 784 at 1e-3: 68.8-73.3 before, 40.6-60.0 after; l1 1000 x 64 at 1e-3: 15.3-16.6 before,
  9.3-9.4 after; digits l1 at 1e-3: 36.5-37.4 before, 27.1-29.3 after; the other cells within
  their spread (scikit-learn with one BLAS thread: 6 ms on the digits, 3 ms at 1000 x 64);
  then the same for the ``l_2`` quadrature's ``f_r`` with the logistic loss (``--norms l2``, two
  runs each, against 37b3866): digits at ``eta`` 0.01 and 1e-3: 30.5 / 24.2-24.5 before,
  15.5-25.7 / 17.4-17.6 after; 1000 x 64 at 1e-3: 9.9-10.1 before, 5.8-5.9 after; 10000 x 64 at
  1e-3: 17.1-20.6 before, 9.1-9.3 after; the other cells within their spread. A fit on the grid
  reaches the objective of the fit with every point evaluated directly, in the same iterations
  (``tests/test_score_grid.py::test_fit_on_the_grid_reaches_the_direct_fit``);

- the stretch and the early end (``--sizes digits,1000x64,10000x64,1000x784,10000x784 --norms
  l-inf --etas 1,0.1,0.01,0.001 --repeats 3``, two runs): 1000 x 784 at ``eta`` 1, 0.1, 0.01,
  1e-3: 44.7-46.8 / 46.6-46.8 / 89.3-89.4 / 179.7-181.6 before, 23.0-41.0 / 39.7-47.6 /
  42.0-49.5 / 74.7-79.6 after; 10000 x 784 at 0.01 and 1e-3: 71.0-71.8 / 66.9-68.6 before,
  55.9-58.5 / 43.6-46.5 after; digits at 1e-3: 36.8 and 63.7 before, 33.1-33.3 after; the other cells
  within their spread. A law at d = 784 has far fewer atoms, with every value within
  ``1e-10`` of the plain grid (``tests/test_cube_rule.py``);
- the gradient's 8 chunks (``--sizes 1000x784,10000x784,10000x64 --norms l-inf --repeats 5``,
  two runs): 1000 x 784 at ``eta`` 1 and 0.1: 23.7-34.4 / 38.0-48.6 before, 19.5-19.6 /
  32.8-32.9 after; the other cells within their spread;
- the gradient pass reading the value pass's log-sinhc derivatives instead of recomputing them
  (``--sizes digits,1000x64,1000x784,10000x784 --norms l-inf --repeats 3``, two runs; fits bit
  for bit the same): 1000 x 784 at ``eta`` 1, 0.1, 0.01, 1e-3: 21.9-32.4 / 34.4-46.0 /
  37.2-44.6 / 74.5-82.4 before, 17.4-17.6 / 25.9-31.3 / 32.4-38.2 / 59.3-66.8 after; 10000 x 784
  at 1e-3 44.9-47.3 before, 40.8-41.8 after; digits and 1000 x 64 2-7% faster; the cold start
  unchanged (3.85 s before, 3.88 s after, ``bench_cold_start.py --cases linf --repeats 3``);
- the l1 bulk step and parallel threshold (``--norms l1 --etas 1,0.1,0.01,0.001 --repeats 3``,
  two runs; the parallel threshold from ``--sizes digits,1000x64,1000x784 --etas 1,0.01,0.001
  --repeats 5``): digits 34.5-53.8 before, 28.9-44.0 after; 1000 x 64 11.3-13.4 before,
  8.7-10.8 after; 10000 x 64 14.8-16.5 before, 12.4-13.9 after; 1000 x 784 78.2-82.9 before,
  88-94 with the bulk step alone (its densities fell below the parallel threshold) and
  58.1-63.8 with the threshold lowered 16x.

The 10-class digits one-vs-rest fits after the ERM start (``--multiclass --etas 0.01 --rho
0.05 --repeats 3``, two runs alternated with 2790201, eleventh session): l2 0.15 s to 0.06 s,
l-inf 0.23 s to 0.20-0.21 s, l1 0.26 s to 0.04 s. Then the multinomial fits aimed first at the
ERM solution (same command, two runs alternated with 2790201; scikit-learn 0.033 s with one
BLAS thread): l2 0.59-0.61 s to 0.26-0.27 s (18.1-18.5x to 7.9-8.1x), l-inf 0.67-0.69 s to
0.55-0.59 s (20.3-20.9x to 16.7-17.8x), l1 0.52-0.54 s to 0.19 s (15.8-16.3x to 5.6-5.8x).
The 5x target is still not met.

Twelfth session (2026-11-28; same command, two runs alternated with 32b393d, scikit-learn
0.033-0.034 s with one BLAS thread): the l1 proposal's constants by Newton's method instead of
100 bisection steps, its draws from one uniform per coordinate, and the draws of a tilted rule
spread over the threads (the aiming rounds' 8 draws per point were one block on one thread).
Multinomial l1 0.19-0.20 s to 0.10 s (5.8-5.9x to 3.0-3.1x: within 5x), l2 0.27-0.28 s to
0.22-0.23 s (8.0-8.5x to 6.8-6.9x), l-inf 0.55 s to 0.53-0.54 s (16.2-16.7x); one-vs-rest
unchanged (l2 0.06 s, l-inf 0.19 s, l1 0.04 s).

Then (same command, ``--norms l2``, two runs alternated with 904e908): the l2 proposal's normals
by a ziggurat (``_core._sampling.standard_normal_fast``, about 9 ns a draw against 23 ns), its
constants once per point, and the tilts of an anchor kept when only the sample count changes
(an aiming round that did not move, then the last run): multinomial l2 0.23-0.25 s to
0.16-0.18 s (7.0-7.3x to 4.9-5.4x, at the 5x target).

Thirteenth session (2026-11-28; ``--multiclass --etas 0.01 --rho 0.05 --repeats 5 --norms
l-inf,l2``, two runs alternated with 240f9fa, scikit-learn 0.034-0.047 s with one BLAS thread,
load average 1.4-1.5): the mean-matched tilts by an Anderson-accelerated iteration evaluated on
the points still stepping (``_core._tilt_matching.mean_matched_tilts``; the l-inf fit matches 4
anchors' tilts, the l2 fit 2), the tilted rule's blocks of 4 MB instead of 8 (the aiming
rounds' evaluations, 8 samples per point, were one block on one thread) and its gradient
weights applied in place: multinomial l-inf 0.65-0.66 s to 0.51-0.57 s (18.8-19.1x to
14.5-16.8x against 0.034 s), l2 0.19-0.20 s to 0.16-0.17 s (5.5-5.8x to 4.7-5.0x). The mean
matching alone, the same command alternated with 240f9fa before the other two changes: l-inf
0.62-0.64 s to 0.57-0.59 s, l2 0.19 s to 0.17 s. With all balls and both modes (``--repeats
3``, two runs alternated; noisier, load average 0.7-1.1): l1 multinomial 0.12-0.14 s to
0.11-0.12 s; one-vs-rest unchanged within the noise.

Still above the targets (tenth session): the digits (l2 at ``eta = 1e-3``, l-inf, l1), l1 at
1000 x 64, l-inf below ``eta = 1`` and l1 at 1000 x 784 (the contour integral: tens of
densities x 784 coordinates x tens of nodes per evaluation), and the multinomial 5x (ninth
session): ``--multiclass --etas 0.01
--rho 0.05 --repeats 3`` (load average 0.7; scikit-learn 0.808 s by default, 0.050 s with one
BLAS thread): multinomial 0.54-0.65 s, one-vs-rest 0.19-0.27 s (10.7-13.0x and 3.8-5.3x
against that run's slow one-BLAS-thread baseline; 0.032-0.034 s in other runs, 16-20x).

Sweep measured 2026-11-27, later (``--sweep --repeats 5``, then ``--sizes digits --etas
1,0.1,0.01,0.001 --rho 0.05 --repeats 5``), each cell's fits alternated with scikit-learn's,
after the cube law's Gauss-Hermite rule was cached and an atom grid's few direct points went to
the serial node kernel; load average 2.1-2.9 (busier than the tables below)::

    rho=0.1 C=1.0 tol=0.0001; median of 5; load average 2.09
           n x d sklearn [s]        l2 0.1       l2 0.01      l2 0.001     l-inf 0.1    l-inf 0.01   l-inf 0.001        l1 0.1       l1 0.01      l1 0.001
         1000x64       0.002          6.8x          4.6x          3.7x          4.3x          5.2x          9.7x          5.6x          6.0x          7.6x
        10000x64       0.054          1.0x          0.9x          0.9x          1.1x          0.8x          2.3x          1.1x          1.1x          1.2x
        1000x784       0.116          0.9x          0.7x          1.0x          4.0x         13.6x          3.2x          3.5x          3.3x          3.5x
       10000x784       0.080          1.2x          1.6x          1.4x          2.7x          2.0x          2.8x          2.6x          2.5x          2.6x
    rho=0.05 C=1.0 tol=0.0001; median of 5; load average 2.89
           n x d sklearn [s]        l2 1.0        l2 0.1       l2 0.01      l2 0.001     l-inf 1.0     l-inf 0.1    l-inf 0.01   l-inf 0.001        l1 1.0        l1 0.1       l1 0.01      l1 0.001
          digits       0.005          4.1x          4.6x          9.2x          7.3x          8.8x         12.4x         13.4x         19.4x         10.9x         10.4x         14.0x         18.0x

scikit-learn takes 2-9 ms at 1000 x 64 and on the digits, so those ratios move by 2x from run
to run; ``--times`` gives our own times to compare commits.

Measured 2026-11-27, last session, after every timed call started after ``--settle 0.2`` s of
idle (:func:`timed`; before, a fit that followed scikit-learn's default fit lost its cores to
that fit's spinning workers for about 0.1 s): ``--sweep --sizes
digits,1000x64,10000x64,1000x784,10000x784 --etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 3``,
the second of two runs (the first within 0.1-1.3 of each ratio), load average 0.9::

       n x d sklearn [s] 1 BLAS [s]   l2 1.0  l2 0.1 l2 0.01 l2 0.001 linf 1.0 linf 0.1 linf 0.01 linf 0.001  l1 1.0  l1 0.1 l1 0.01 l1 0.001
      digits       0.006      0.006     2.3x    2.8x    5.7x     4.6x     5.0x     5.5x      7.2x       9.6x    6.7x    7.1x    7.7x    10.9x
     1000x64       0.003      0.003     1.7x    2.2x    2.6x     3.9x     2.8x     3.1x      3.2x       6.7x    4.8x    4.8x    4.9x     5.8x
    10000x64       0.053      0.005     1.6x    1.7x    1.9x     3.1x     2.3x     2.5x      2.4x       4.6x    2.9x    2.9x    2.9x     3.4x
    1000x784       0.113      0.006     1.4x    1.4x    1.5x     1.7x     5.3x     7.4x     14.4x      33.2x   13.6x   13.3x   13.3x    13.7x
   10000x784       0.071      0.048     1.0x    1.0x    1.0x     1.0x     1.3x     1.4x      1.5x       1.6x    1.9x    2.0x    1.9x     1.9x

Then the exact spline density visited only the sign patterns that contribute (``spline_corners``:
the corners ``ε·a`` sorted once per evaluation; the hybrid density's nodes lie toward the edge,
where few of the 256 patterns of the eight big coordinates reach): ``--sweep --sizes digits,1000x64
--norms l-inf --etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 7 --times``, two runs alternated
with the commit before (load average 1.0; scikit-learn 5-6 ms on the digits, 3 ms at 1000 x 64)::

    digits, l-inf, eta   1.0          0.1          0.01         0.001
    before               27.8-28.8ms  31.5-32.2ms  39.9-40.7ms  51.7-53.0ms
    after                21.6-21.9ms  25.5-25.6ms  32.8-33.7ms  42.6-43.0ms

1000 x 64 (random weights spread over every coordinate: no atom takes the hybrid density)
did not change (7.3-16.8 ms either way), nor did 1000 x 784 in a ``--repeats 3`` run.

Then the score grid cut a failing piece into as many parts as its coefficient tail predicts
(2 to 8, ``_score_grid._split_factor``; before: always 2), placed each level's tabulated
arrays in one copy, and took the tails by a stacked product instead of ``tensordot`` (which
copied the ``(pieces, 17, atoms)`` arrays): ``--sweep --sizes digits,1000x784,10000x64 --norms
l2,l-inf,l1 --etas 0.1,0.001 --rho 0.05 --repeats 5 --times``, two runs alternated with the
commit before (load average 1.0). 1000 x 784, l-inf, ``eta = 1e-3``: 286.7-286.8 ms before,
233.1-238.4 ms after (fewer nodes evaluated and thrown away); digits,
l-inf, ``eta = 1e-3``: 43.1 ms before, 40.8-41.0 ms after; the other cells moved by less than
their run-to-run spread (up to 10%).

Then the grid loop stopped at a level where every piece passes and lost a few NumPy calls
per level: ``--sweep --sizes digits,1000x64 --norms
l2,l-inf,l1 --etas 0.1,0.001 --rho 0.05 --repeats 7 --times``, two runs alternated with the
commit before, digits (ms; l2 0.1, l2 0.001, l-inf 0.1, l-inf 0.001, l1 0.1, l1 0.001)::

    before   14.7-14.8  25.1-25.5  24.6-25.1  39.1-40.2  38.3-38.4  56.0-56.3
    after    13.5-14.2  23.6-24.4  23.0-23.3  38.2-40.5  36.5-37.5  53.6-54.3

At 1000 x 64 the first run read 3-10% faster in every cell; the second had three outliers
(11.3, 18.6 and 20.7 ms against 7.6-13.4 ms).

``--multiclass --etas 0.01 --rho 0.05 --repeats 3`` (same pauses, load average 0.8; scikit-learn
0.754 s by default, 0.034 s with one BLAS thread): multinomial 0.70 s (l2), 0.65 s (l-inf),
0.60 s (l1), 17-20x; one-vs-rest 0.20-0.40 s, 6-12x. Default mode (``--repeats 3``, load
average 1.1): scikit-learn 0.116 s by default and 0.069 s with one BLAS thread; l2 1.18-1.20x,
l-inf 1.01-1.31x, l1 1.34-1.45x (same iteration counts as before).

The stochastic solver (``--multiclass --etas 0.01 --rho 0.05 --repeats 3 --solver rt-mlmc
--norms l-inf,l2``, two runs alternated with the commit before): its softmax tilts now also try
each competing class's worst case (``_mlmc.point_tilt``), and the multinomial fits went from
1.93-1.97 s to 2.65-2.67 s (l2) and from 1.64-1.65 s to 2.28-2.32 s (l-inf); one-vs-rest
(binary, unchanged) 9.8-16.2 s either way.

**The baselines before 2026-11-27 (latest) were slowed down by thread contention.** On these 2
cores scikit-learn's lbfgs alternates its OpenMP loss with OpenBLAS products, and the two
pools' spinning workers take each other's cores: its 1000 x 784 fit took 129-160 ms by default
and 10.4-10.8 ms with BLAS on one thread (``--contention --repeats 5``, two runs), its 10-class
digits fit 0.79 s and 0.037 s (``--multiclass``). Our fits had the same trouble (numba's OpenMP
against OpenBLAS: a 1000 x 784 matrix-vector pair took 0.09-0.11 ms alone, 1.0-1.4 ms right
after a parallel kernel and 0.20-0.22 ms on one BLAS thread, same runs) and now run with one
BLAS thread. Every mode now times scikit-learn both ways (one BLAS thread through a cached
``threadpoolctl`` controller: ``threadpool_limits`` costs about 3 ms a call) and takes the
ratio to the faster; the ratios in the older tables below are against the slow default and
flatter us (up to 10x at 1000 x 784 and on the multinomial digits).

Measured 2026-11-27, before the pauses (``--sweep --sizes digits,1000x64,10000x64,1000x784,10000x784
--etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 3``, load average 0.7; ratio to the faster
scikit-learn, fits back to back; the table is on the benchmarks page): digits 2.7-12.9x,
1000 x 64 2.2-10.0x, 10000 x 64 1.0-4.0x, 1000 x 784 1.7-3.3x (l2) and 11.7-37.5x (l-inf, l1),
10000 x 784 0.8-2.1x.

Our fit times side by side with the commit before the single BLAS thread (``--times``): 1000 x
784 l2 108-144 ms -> 9-17 ms, l-inf 463-857 -> 119-350 ms, l1 349-424 -> 143-153 ms; 10000 x 64
50-94 -> 10-25 ms; 10000 x 784 72-256 -> 48-151 ms. Above 3x: the l-inf and l1 cells at
1000 x 784 (the law of 784 coordinates and many more L-BFGS iterations than scikit-learn),
the small problems (one evaluation of the robust objective costs a good part of
scikit-learn's whole fit) and some l1 and small-``eta`` cells at 10000 x 64.

``--multiclass --etas 0.01 --rho 0.05 --repeats 3`` (same day, two runs, load average 0.3-0.4;
scikit-learn 0.79-0.85 s by default, 0.034-0.037 s with one BLAS thread): multinomial 0.58-0.63
s (l2), 0.64-0.72 s (l-inf), 0.58-0.61 s (l1), 16-19x; one-vs-rest 0.19-0.39 s, 5-11x. Before
the single BLAS thread, side by side: multinomial 1.61-1.89 s (l2), 1.96-2.16 s (l-inf),
1.39-1.42 s (l1); then the tilted rule's cache kept ``X`` by identity instead of hashing it at
every evaluation and its block threads came from a kept pool (three alternated runs against
the commit before: 0.66-0.81 s -> 0.55-0.63 s). Against scikit-learn at its best the
multinomial fit is 16-19x, not the 1.7-2.7x recorded earlier that day against its contended
default: the issue's 5x is not met. Most of the multinomial fit is its evaluations at 32 samples per
point: two memory-bound products over the 29 MB of draws and the softmax of 57 500 sample
scores each.

Default mode (n = 50000, d = 200, ``--repeats 3``, load average 0.5): scikit-learn 0.129 s by
default and 0.073 s with one BLAS thread; l2 0.082-0.083 s (1.12-1.14x), l-inf 0.071-0.091 s
(0.97-1.24x), l1 0.095-0.096 s (1.30-1.31x), with the same iteration counts as before (7, 5 for
l-inf at ``eta = 0.01``).

Older tables (2026-11-25 to 2026-11-27: the per-point rules, the cubic Hermite and
the first Chebyshev grids, the contended baselines) are on the benchmarks page and in git
history.
"""

import argparse
import os
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from skentropic._core._losses import LOGISTIC
from skentropic._core._norms import NORM_INF, NORM_L1, NORM_L2
from skentropic._core._threads import single_blas_thread
from skentropic.datasets import load_digits_unit
from skentropic.linear_model._lbfgs import fit_lbfgs
from skentropic.linear_model._objective import make_inner_rule


def load_size(name):
    """``"NxD"``: :func:`make_data`; ``"digits"``: the embedded digits as a binary problem
    (digit >= 5, features in [0, 1], 1797 x 64)."""
    if name == "digits":
        X, y = load_digits_unit()
        return np.ascontiguousarray(X), np.where(y >= 5, 1.0, -1.0)
    n, d = (int(v) for v in name.split("x"))
    return make_data(n, d)


def make_data(n, d, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    w = rng.randn(d) / np.sqrt(d)
    y = np.where(X @ w + 0.5 * rng.randn(n) > 0, 1.0, -1.0)
    return X, y


ERM_START = True  # --no-erm-start: L-BFGS from zero (before 2026-11-27, eleventh session)


def fit(X, y, rho, eta, norm, C, tol, rule):
    n, d = X.shape
    return fit_lbfgs(X, y, np.full(n, 1.0 / n), rho=rho, eta=eta, norm_code=norm, loss_code=LOGISTIC,
                     alpha=1.0 / (C * n), fit_intercept=True, coef_init=np.zeros((1, d)),
                     intercept_init=np.zeros(1), max_iter=1000, tol=tol, rule=rule, erm_start=ERM_START)


def timed_pair(fn, baseline, repeats):
    """Medians of ``repeats`` runs of ``fn``, of ``baseline`` and of ``baseline`` with BLAS on one
    thread (:func:`one_blas_thread`), alternated (side by side: the machine's drift is shared)."""
    times = np.array([[timed(f, 1)[0] for f in (fn, baseline, one_blas_thread(baseline))] for _ in range(repeats)])
    return tuple(float(t) for t in np.median(times, axis=0))


def one_blas_thread(fn):
    """``fn`` run with BLAS limited to one thread. scikit-learn's lbfgs alternates its OpenMP loss
    with BLAS products, and on few cores the two thread pools' spinning workers take each other's
    cores: on 2 cores its 1000 x 784 fit took 129-160 ms by default and 10.4-10.8 ms with one BLAS
    thread (``--contention``, 2026-11-27). The ratios are taken against the faster of the two."""
    def run():
        with single_blas_thread():  # a cached controller: threadpool_limits rescans (ms) per call
            return fn()
    return run


SETTLE = 0.2  # seconds of idle before each timed call (--settle)


def timed(fn, repeats):
    """``(median time, last result)`` of ``repeats`` calls, each after ``SETTLE`` seconds of idle.

    scikit-learn's default fit leaves its OpenMP and BLAS workers spinning for about 0.1 s; a
    fit started at once lost its cores to them. Back to back (``--settle 0``, 2026-11-27) our
    1000 x 784 fits read 1.5-2.3x slower (l-inf and l1; ``rho = 0.05``, ``eta`` 0.1 and 0.01) and
    scikit-learn's one-BLAS-thread fit 1.4x slower than after the pause (``--sweep --sizes
    1000x784 --etas 0.1,0.01 --rho 0.05 --times``, with ``--settle 0`` and with the default).
    """
    times, out = [], None
    for _ in range(repeats):
        time.sleep(SETTLE)
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def warm_up(norms, rho, C, tol):
    """Compile the numba kernels outside the timings: a small problem (per-point rules) and one
    large enough for the score grid, whose kernels are separate."""
    for n in (200, 20000):
        X, y = make_data(n, 5, seed=1)
        for norm in norms:
            fit(X, y, rho, 0.05, norm, C, tol, make_inner_rule(norm, 5, LOGISTIC))


def sweep(args):
    """``--sweep``: fit time relative to sklearn at several sizes, norms and ``eta``."""
    C, tol, rho = 1.0, 1e-4, args.rho
    norms = [(name, code) for name, code in (("l2", NORM_L2), ("l-inf", NORM_INF), ("l1", NORM_L1))
             if name in args.norms.split(",")]
    etas = [float(e) for e in args.etas.split(",")]
    warm_up([norm for _, norm in norms], rho, C, tol)
    print(f"rho={rho} C={C} tol={tol}; median of {args.repeats}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'n x d':>12}{'sklearn [s]':>12}{'1 BLAS [s]':>11}" + "".join(f"{name + ' ' + str(e):>14}"
                                                                         for name, _ in norms for e in etas))
    for size in args.sizes.split(","):
        X, y = load_size(size)
        d = X.shape[1]
        baseline = lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
        cells, sk_times, sk_one = [], [], []
        for _, norm in norms:
            rule = make_inner_rule(norm, d, LOGISTIC)
            for eta in etas:
                t, t_sk, t_one = timed_pair(lambda: fit(X, y, rho, eta, norm, C, tol, rule), baseline, args.repeats)
                sk_times.append(t_sk)
                sk_one.append(t_one)
                cells.append(f"{t * 1e3:12.1f}ms" if args.times else f"{t / min(t_sk, t_one):13.1f}x")
        print(f"{size:>12}{np.median(sk_times):12.3f}{np.median(sk_one):11.3f}" + "".join(cells), flush=True)


def contention(args):
    """``--contention``: a 1000 x 784 matrix-vector pair (``X @ w``, ``X.T @ y``) alone, right after
    a parallel numba kernel (the l-inf law of 784 coordinates), and the same with BLAS on one
    thread; then scikit-learn's 1000 x 784 fit by default and with one BLAS thread."""
    from skentropic.linear_model._objective import cube_law

    X, y = load_size("1000x784")
    w = np.random.RandomState(0).randn(X.shape[1])

    def pair(after_kernel):
        times = []
        for _ in range(30):
            if after_kernel:
                cube_law(w, 0.05, 0.01, LOGISTIC, 3.0)
            t0 = time.perf_counter()
            X @ w
            X.T @ y
            times.append(time.perf_counter() - t0)
        return 1e3 * float(np.median(times))

    cube_law(w, 0.05, 0.01, LOGISTIC, 3.0)  # compile
    print(f"load average {os.getloadavg()[0]:.2f}; medians of 30 (pairs) and {args.repeats} (fits)")
    print(f"matrix-vector pair alone                    {pair(False):8.3f} ms")
    print(f"  right after a parallel kernel             {pair(True):8.3f} ms")
    with single_blas_thread():
        print(f"  ... with BLAS on one thread               {pair(True):8.3f} ms")
    sk = lambda: LogisticRegression(C=1.0, tol=1e-4, max_iter=1000).fit(X, y)  # noqa: E731
    print(f"scikit-learn 1000 x 784 fit                 {1e3 * timed(sk, args.repeats)[0]:8.1f} ms")
    print(f"  with BLAS on one thread                   {1e3 * timed(one_blas_thread(sk), args.repeats)[0]:8.1f} ms")


def laws(args):
    """``--laws``: one law (the atoms of the ``l_inf`` and ``l_1`` rules with their gradient
    data) for Gaussian weights in ``d`` = 64 and 784 at each ``eta`` of ``--etas``; median of
    ``--repeats`` x 20 back-to-back calls (kernel time without the fit around it, to compare two
    commits side by side)."""
    from skentropic.linear_model._objective import cross_law, cube_law

    kinds = [("l-inf", lambda w, eta: cube_law(w, args.rho, eta, LOGISTIC, 3.0)),
             ("l1", lambda w, eta: cross_law(w, args.rho, eta, LOGISTIC, 3.0, with_grad=True))]
    etas = [float(e) for e in args.etas.split(",")]
    print(f"rho={args.rho}; median of {20 * args.repeats} calls [ms]; load average {os.getloadavg()[0]:.2f}")
    print(f"{'law':>6}{'d':>6}" + "".join(f"{'eta ' + str(e):>12}" for e in etas))
    for name, law in kinds:
        for d in (64, 784):
            w = np.random.RandomState(d).randn(d) * 6.0 / np.sqrt(d)
            cells = []
            for eta in etas:
                law(w, eta)  # compile, and the Gauss-Hermite rule's cache
                times = []
                for _ in range(20 * args.repeats):
                    t0 = time.perf_counter()
                    law(w, eta)
                    times.append(time.perf_counter() - t0)
                cells.append(f"{1e3 * np.median(times):12.3f}")
            print(f"{name:>6}{d:>6}" + "".join(cells), flush=True)


def multiclass(args):
    """``--multiclass``: the digits with 10 classes, multinomial and one-vs-rest, against
    scikit-learn's multinomial ``LogisticRegression`` (same ``C`` and ``tol``), through the
    estimator (what a user runs); compilation excluded by a first fit on 200 rows."""
    from sklearn.datasets import load_digits

    from skentropic import EntropicRobustLogisticRegression

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    C, tol, rho = 1.0, 1e-4, args.rho
    etas = [float(e) for e in args.etas.split(",")]
    norms = [(name, code) for name, code in (("l2", 2), ("l-inf", np.inf), ("l1", 1))
             if name in args.norms.split(",")]
    sk = lambda: LogisticRegression(C=C, tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
    t_default, t_one = timed(sk, args.repeats)[0], timed(one_blas_thread(sk), args.repeats)[0]
    t_sk = min(t_default, t_one)
    print(f"digits 10 classes, rho={rho} C={C} tol={tol}; median of {args.repeats}; sklearn {t_default:.3f} s "
          f"({t_one:.3f} s with one BLAS thread; ratios to the faster); load average {os.getloadavg()[0]:.2f}")
    print(f"{'ball':<8}{'mode':<13}{'eta':>7}{'time [s]':>10}{'ratio':>8}")
    for name, norm in norms:
        for mode in ("multinomial", "ovr"):
            for eta in etas:
                est = EntropicRobustLogisticRegression(rho=rho, eta=eta, norm=norm, C=C, tol=tol, multi_class=mode,
                                                       solver=args.solver, random_state=0)
                est.fit(X[:200], y[:200])
                t, _ = timed(lambda: est.fit(X, y), args.repeats)
                print(f"{name:<8}{mode:<13}{eta:>7}{t:>10.2f}{t / t_sk:>8.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50000)
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="ratios over sizes, norms and eta")
    parser.add_argument("--sizes", default="1000x64,10000x64,1000x784,10000x784")
    parser.add_argument("--etas", default="0.1,0.01,0.001")
    parser.add_argument("--rho", type=float, default=0.1, help="radius of the sweep")
    parser.add_argument("--norms", default="l2,l-inf,l1", help="balls of the sweep")
    parser.add_argument("--times", action="store_true", help="sweep cells in milliseconds, not ratios")
    parser.add_argument("--contention", action="store_true",
                        help="BLAS after a parallel numba kernel, and scikit-learn with one BLAS thread")
    parser.add_argument("--no-erm-start", action="store_true",
                        help="start L-BFGS at zero, not at the ERM solution (the fits before 2026-11-27, eleventh session)")
    parser.add_argument("--laws", action="store_true", help="time the l_inf and l_1 laws alone (--etas, --rho)")
    parser.add_argument("--multiclass", action="store_true",
                        help="10-class digits: multinomial and one-vs-rest against sklearn's multinomial fit")
    parser.add_argument("--solver", default="auto",
                        help="--multiclass: the estimator's solver (e.g. rt-mlmc, the stochastic default)")
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help="seconds of idle before each timed call (0: back to back, as before 2026-11-27)")
    args = parser.parse_args()
    globals()["SETTLE"] = args.settle
    globals()["ERM_START"] = not args.no_erm_start
    with single_blas_thread():  # its controller is made at the first call: outside the timings
        pass
    if args.contention:
        contention(args)
        return
    if args.laws:
        laws(args)
        return
    if args.multiclass:
        multiclass(args)
        return
    if args.sweep:
        sweep(args)
        return
    X, y = make_data(args.n, args.d)
    C, tol, rho = 1.0, 1e-4, 0.1
    # sklearn's lbfgs stops on the gradient of the mean loss (scaled objective): same tol here
    configs = [("l2 quadrature", NORM_L2), ("l_inf exact cube rule", NORM_INF), ("l1 exact rule", NORM_L1)]
    rules = {norm: make_inner_rule(norm, args.d, LOGISTIC) for _, norm in configs}
    warm_up([norm for _, norm in configs], rho, C, tol)
    sk = lambda: LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=1000).fit(X, y)  # noqa: E731
    (t_default, clf), t_one = timed(sk, args.repeats), timed(one_blas_thread(sk), args.repeats)[0]
    t_sk = min(t_default, t_one)
    print(f"n={args.n} d={args.d} rho={rho} C={C} tol={tol}; median of {args.repeats}; numba compile excluded; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'method':<28}{'eta':>6}{'time [s]':>10}{'n_iter':>8}{'ratio':>8}")
    print(f"{'sklearn LogisticRegression':<28}{'-':>6}{t_default:>10.3f}{int(clf.n_iter_[0]):>8}{t_default / t_sk:>8.2f}")
    print(f"{'  with one BLAS thread':<28}{'-':>6}{t_one:>10.3f}{'':>8}{t_one / t_sk:>8.2f}")
    for name, norm in configs:
        for eta in (0.05, 0.01):
            t, out = timed(lambda: fit(X, y, rho, eta, norm, C, tol, rules[norm]), args.repeats)
            print(f"{name:<28}{eta:>6}{t:>10.3f}{out[2]:>8}{t / t_sk:>8.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
