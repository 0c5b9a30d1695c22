"""The library's binary atom rules evaluated at one score (shared by the cube and l1 rule tests)."""

import numpy as np
from _references import atoms_value

from skentropic._core._losses import HINGE, LOGISTIC, SQUARED_HINGE
from skentropic.linear_model._law_margins import atom_margin_rule as _atom_margin

CODES = {"log": LOGISTIC, "hinge": HINGE, "sqhinge": SQUARED_HINGE, "linear": LOGISTIC}


def rule_value(law, s, a, eta, loss):
    """``η log Σ_j ω_j exp(φ(s − t_j)/η)`` from the atoms ``law(a, 1, η, loss code, 4)`` (with the
    hinge's kink correction), for ``law`` = ``cube_law`` or ``cross_law``."""
    t, log_w = law(a, 1.0, eta, CODES[loss], 4.0)[:2]
    if loss == "linear":
        return atoms_value(s, t, log_w, eta, "linear")
    value, ds = np.empty(1), np.empty(1)
    _atom_margin(np.array([float(s)]), np.ones(1), -t, log_w, eta, CODES[loss], value, ds, False,
                 kink=loss == "hinge")
    return value[0]
