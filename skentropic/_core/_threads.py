"""One BLAS thread for loops of many small matrix products.

Threaded BLAS on the small per-batch products of the attack and MLP loops costs far more in
synchronisation than it gains. ``threadpoolctl.threadpool_limits`` re-scans the loaded
libraries on every call (milliseconds), so one controller is created lazily and reused.
"""

from threadpoolctl import ThreadpoolController

_CONTROLLER = None


def single_blas_thread():
    """Context manager limiting BLAS libraries to one thread (controller cached per process)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
