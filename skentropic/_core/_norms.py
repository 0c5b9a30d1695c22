"""Perturbation norms: parsing the public ``norm`` parameter and integer codes for kernels.

Kernels never see the user's ``norm`` value; they receive one of the integer codes
``NORM_INF``, ``NORM_L2`` or ``NORM_L1`` produced by :func:`norm_code`.
"""

from numbers import Real

import numpy as np

NORM_INF = 0
NORM_L2 = 1
NORM_L1 = 2

_CODES = {np.inf: NORM_INF, 2.0: NORM_L2, 1.0: NORM_L1}
_EXPONENTS = {NORM_INF: np.inf, NORM_L2: 2.0, NORM_L1: 1.0}

VALID_NORMS = "np.inf, 'inf', 2 or 1"


def norm_code(norm):
    """Map a public ``norm`` value (``np.inf``, ``"inf"``, ``2``, ``1``) to its kernel code.

    Parameters
    ----------
    norm : {np.inf, "inf", 2, 1}
        Exponent ``p`` of the perturbation ball ``{δ : ||δ||_p <= ρ}``.

    Returns
    -------
    code : int
        ``NORM_INF``, ``NORM_L2`` or ``NORM_L1``.

    Raises
    ------
    ValueError
        If ``norm`` is not one of the supported values.
    """
    if isinstance(norm, str):
        if norm.strip().lower() in ("inf", "np.inf", "linf", "l-inf"):
            return NORM_INF
        raise ValueError(f"The 'norm' parameter must be one of {VALID_NORMS}. Got {norm!r} instead.")
    if isinstance(norm, Real) and not isinstance(norm, bool):
        code = _CODES.get(float(norm))
        if code is not None:
            return code
    raise ValueError(f"The 'norm' parameter must be one of {VALID_NORMS}. Got {norm!r} instead.")


def norm_exponent(code):
    """Return the exponent ``p`` (``np.inf``, 2.0 or 1.0) of a norm code."""
    return _EXPONENTS[code]


def dual_exponent(code):
    """Return the dual exponent ``q`` with ``1/p + 1/q = 1`` (∞ ↔ 1, 2 ↔ 2)."""
    return {NORM_INF: 1.0, NORM_L2: 2.0, NORM_L1: np.inf}[code]


def dual_norm(w, code, axis=-1):
    """Dual norm ``||w||_q`` of the vectors of ``w`` along ``axis``.

    ``sup_{||u||_p <= 1} w·u = ||w||_q``: ``p=∞ → ||w||_1``, ``p=2 → ||w||_2``,
    ``p=1 → ||w||_∞``.
    """
    return np.linalg.norm(np.asarray(w, dtype=float), ord=dual_exponent(code), axis=axis)


def lp_norm(x, code, axis=-1):
    """Primal norm ``||x||_p`` along ``axis`` for the ball of code ``code``."""
    return np.linalg.norm(np.asarray(x, dtype=float), ord=norm_exponent(code), axis=axis)
