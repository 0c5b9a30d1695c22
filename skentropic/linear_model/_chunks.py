"""Fixed chunking of the per-point loops of the deterministic rules over numba threads.

The points are split into at most ``N_CHUNKS`` contiguous chunks whatever the number of
threads, each chunk accumulates its own partial sums, and the partial sums are added in chunk
order afterwards: the results do not depend on the thread count (bit-for-bit reproducible).
"""

import numba
from numba import njit

N_CHUNKS = 64
# atoms x coordinates above which the law kernels (l_inf, l_1) run on all threads: below it
# (the digits: a few thousand) waking the thread pool costs more than it saves
PARALLEL_WORK = 40000
# ... and for the l_inf laws only with more numba threads than this
LINF_SERIAL_THREADS = 2


def linf_law_parallel(work):
    """Whether an ``l_∞`` law kernel (:mod:`._cube_rule`, :mod:`._cube_gradient`) of ``work`` atoms x
    coordinates runs on the thread pool: above ``PARALLEL_WORK`` with more than
    ``LINF_SERIAL_THREADS`` numba threads.

    On 2 threads the pool's spinning workers took back from the matrix products around the law
    what its threads saved: ``benchmarks/bench_deterministic.py --sweep --sizes digits,1000x784
    --etas 1,0.1,0.01,0.001 --rho 0.05 --repeats 5 --times --norms l-inf,l1`` with ``--law-threads
    threaded`` (the laws threaded above ``PARALLEL_WORK`` whatever the thread count, as before
    2026-11-29) and without, three runs alternated (ms, ``eta`` 1 / 0.1 / 0.01 / 1e-3): 1000 x 784
    l-inf 7.3-8.2 / 9.2-19.2 / 23.4-24.1 / 40.2-45.6 threaded, 6.7-7.1 / 8.7-9.4 / 13.3-14.3 /
    35.5-40.9 serially; the other l-inf cells within their noise. Serially the l-inf laws are also
    the kernels compiled ahead of time (no compilation on a first fit). With more threads the
    threaded form is kept (not measured here: this machine has two cores). (The ``l_1`` law keeps
    its threads: on the digits at ``eta = 1e-3``, about 41000, serial read 11.3-11.6 ms against
    16.3-20.1 in that benchmark, whose fits alternate with scikit-learn's, but 10.2-10.8 against
    8.3-8.4 in fits run back to back, and the squared hinge's 90-93 against 67-69; ad hoc.)
    """
    return work > PARALLEL_WORK and numba.get_num_threads() > LINF_SERIAL_THREADS


@njit(cache=True)
def chunk_count(n):
    """``min(n, N_CHUNKS)``, at least 1."""
    return max(1, min(n, N_CHUNKS))


@njit(cache=True)
def sum_chunks(partial, out):
    """``out[a, b] = Σ_c partial[c, a, b]``, added in chunk order ``c = 0, 1, ...``."""
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            out[a, b] = 0.0
    for c in range(partial.shape[0]):
        for a in range(out.shape[0]):
            for b in range(out.shape[1]):
                out[a, b] += partial[c, a, b]
