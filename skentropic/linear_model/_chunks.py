"""Fixed chunking of the per-point loops of the deterministic rules over numba threads.

The points are split into at most ``N_CHUNKS`` contiguous chunks whatever the number of
threads, each chunk accumulates its own partial sums, and the partial sums are added in chunk
order afterwards: the results do not depend on the thread count (bit-for-bit reproducible).
"""

from numba import njit

N_CHUNKS = 64
# atoms x coordinates above which the law kernels (l_inf, l_1) run on all threads: below it
# (the digits: a few thousand) waking the thread pool costs more than it saves
PARALLEL_WORK = 40000


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
