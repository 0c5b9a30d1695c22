"""
Quick start: a robust logistic regression on digits
===================================================

Fit scikit-learn's ``LogisticRegression`` and
:class:`skentropic.EntropicRobustLogisticRegression` on the 8x8 digits scaled to
``[0, 1]`` (binary task: digit >= 5) and compare them under attack. For a binary
model and the ``l_2`` ball the entropic objective is computed exactly by quadrature, so
nothing here depends on Monte Carlo samples. For linear models the worst case of an
``l_p`` ball is known exactly, so the *certified* accuracy (the accuracy under the
strongest possible attack, :func:`skentropic.metrics.certified_accuracy`) needs no
attack at all; a 20-step PGD attack
(:class:`skentropic.attacks.ProjectedGradientDescent`) gives an upper bound on it, which
is what one measures for models without certificates.

Set ``SKENTROPIC_QUICK=0`` to evaluate on a finer grid of budgets.
"""

# %%
# Data and models. The robust models are trained against an ``l_2`` ball of radius 0.5
# with a moderate and a small entropic temperature ``eta`` (small ``eta`` is close to
# the worst case of the ball) and with ``eta=0``, the exact adversarial risk of a linear
# model.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skentropic import EntropicRobustLogisticRegression
from skentropic.attacks import ProjectedGradientDescent
from skentropic.metrics import certified_accuracy, robust_accuracy

QUICK = os.environ.get("SKENTROPIC_QUICK", "1") != "0"

X, y = load_digits(return_X_y=True)
X, y = X / 16.0, (y >= 5).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)

models = {"LogisticRegression": LogisticRegression(max_iter=2000)}
for eta in (0.1, 0.01, 0.0):
    models[f"entropic eta={eta:g}"] = EntropicRobustLogisticRegression(rho=0.5, eta=eta,
                                                                       norm=2)
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Certified accuracy (exact worst case, no clip box) and PGD accuracy (20 steps, clipped
# to the pixel box ``[0, 1]``) for a range of ``l_2`` budgets. ``eps=0`` is the clean
# accuracy.
budgets = np.linspace(0.0, 1.0, 5 if QUICK else 11)
results = {}
print(f"{'l2 eps':30s}" + " ".join(f"{e:6.2f}" for e in budgets))
for name, model in models.items():
    cert = [certified_accuracy(model, X_test, y_test, eps=e, norm=2) for e in budgets]
    pgd = [robust_accuracy(model, X_test, y_test,
                           ProjectedGradientDescent(None, eps=e, norm=2, n_steps=20,
                                                    clip=(0.0, 1.0)))
           if e > 0 else model.score(X_test, y_test) for e in budgets]
    results[name] = (cert, pgd)
    print(f"{name:20s} certified " + " ".join(f"{a:6.3f}" for a in cert))
    print(f"{'':20s} PGD-20    " + " ".join(f"{a:6.3f}" for a in pgd))

# %%
# The robust models give up some clean accuracy for higher accuracy under attack;
# smaller ``eta`` moves further along this trade-off. The PGD curves (dashed) lie on or
# above the certified ones (solid): PGD is one particular attack (here also limited by
# the pixel box), the certificate covers every perturbation of the ball.
fig, ax = plt.subplots(figsize=(9, 5.5), constrained_layout=True)
for i, (name, (cert, pgd)) in enumerate(results.items()):
    color = f"C{i}"
    ax.plot(budgets, cert, "-o", color=color, label=f"{name}: certified")
    ax.plot(budgets, pgd, "--", color=color, label=f"{name}: PGD-20")
ax.set_xlabel("attack budget eps (l2 radius)")
ax.set_ylabel("test accuracy")
ax.set_title("Binary digits (digit >= 5): accuracy under l2 attacks")
ax.legend(ncols=2, fontsize="small")
plt.show()
