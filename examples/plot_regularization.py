"""
Entropic risk as an interpolation between gradient-norm and variance regularization
===================================================================================

For a fitted model, the entropic risk ``F`` exceeds the ERM risk by a penalty that
behaves like ``ρ E||∇_x ℓ||_*`` when ``C = ρ/η`` is large (what adversarial training
approximates), like ``ρ²/(2η) E Var_u(∇_x ℓ·u)`` when ``C`` is small, and like the
log-MGF penalty ``(ρ/C) E log E_u exp(C ∇_x ℓ·u)`` in between (DESIGN.md section 1).
This example measures all four on the digits logistic model.
"""

# %%
# Fit a logistic model on digits (binary task: digit >= 5).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skentropic.regularization import penalty_sweep, plot_penalty_sweep

X, y = load_digits(return_X_y=True)
X, y = X / 16.0, (y >= 5).astype(int)
clf = LogisticRegression(max_iter=2000).fit(X, y)

# %%
# Sweep ``C = ρ/η`` over six decades at a small fixed ``ρ`` (the surrogates are first
# order in ``ρ``). The exact penalty uses the linear model's ``l_2`` quadrature.
table = penalty_sweep(clf, X, y, rho=1e-3, C=np.logspace(-1, 5, 13), norm=2)
for r in table[::3]:
    print(f"C={r['C']:9.3g}  exact={r['exact_penalty']:.3e}  "
          f"grad-norm err={r['gradient_norm_rel_error']:+.1%}  "
          f"variance err={r['variance_rel_error']:+.1%}  "
          f"log-MGF err={r['log_mgf_rel_error']:+.2%}")

# %%
# The exact penalty ``F − ERM`` (black) and the three surrogates: the variance surrogate
# follows it at small ``C``, the gradient-norm surrogate at large ``C``, the log-MGF
# surrogate everywhere.
fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
plot_penalty_sweep(table, ax=ax)
ax.set_title("Entropic penalty of the digits logistic model (ρ = 0.001, l2 ball)")
plt.show()

# %%
# The relative error of each surrogate against the exact penalty.
fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
plot_penalty_sweep(table, ax=ax, relative=True)
ax.set_title("Relative error of the surrogates (dotted: 5%)")
plt.show()
