"""
The digits study: entropic training vs ERM and adversarial training
===================================================================

A small network (64 ELU hidden units, softmax output, Adam) is trained on the 8x8 digits
(pixels in ``[0, 1]``) four ways with :class:`skentropic.EntropicRobustMLPClassifier`:
plain cross-entropy (``training="erm"``), PGD adversarial training (``training="pgd"``,
``l_∞`` radius 0.1), and the entropic risk with the talk's uniform inner samples
(``proposal="uniform"``) and with samples tilted toward the worst case
(``proposal="tilted"``, the default). ``rho`` and ``eta`` are those chosen on a
validation split by ``benchmarks/bench_digits_study.py --tune``. Each model is attacked
with 40-step PGD (random start, 2 restarts) over a range of ``l_∞`` budgets, clipped to
the pixel box.

This quick version trains one seed for a few epochs; the benchmark reports means over 5
seeds and 100 epochs, with ``l_2`` attacks, the talk's 10-step iterative FGM and uniform
noise as well (its tables are on the benchmark page). Set ``SKENTROPIC_QUICK=0`` for 100
epochs.
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skentropic import EntropicRobustMLPClassifier
from skentropic.attacks import ProjectedGradientDescent
from skentropic.datasets import load_digits_unit

QUICK = os.environ.get("SKENTROPIC_QUICK", "1") != "0"
EPOCHS = 15 if QUICK else 100
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fixed epoch budget

X, y = load_digits_unit()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

common = dict(
    hidden_layer_sizes=(64,), activation="elu", learning_rate_init=3e-3,
    batch_size=64, max_iter=EPOCHS, n_iter_no_change=EPOCHS + 1, clip=(0.0, 1.0),
    random_state=0,
)
models = {
    "ERM": EntropicRobustMLPClassifier(training="erm", **common),
    "PGD-training": EntropicRobustMLPClassifier(
        training="pgd", rho=0.1, attack_steps=10, **common),
    "entropic, uniform samples": EntropicRobustMLPClassifier(
        rho=0.3, eta=0.05, norm=np.inf, proposal="uniform", max_level=6, **common),
    "entropic, tilted samples": EntropicRobustMLPClassifier(
        rho=0.2, eta=0.003, norm=np.inf, proposal="tilted", max_level=6, **common),
}
# In a fresh install the first fit includes numba's one-time compilation of the kernels
# (tens of seconds); the next fits, and the next processes, read the compiled cache.
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    ess = f", inner ESS/m {np.mean(model.inner_ess_):.2f}" if model.inner_ess_ else ""
    print(f"{name:26s} fitted in {time.perf_counter() - start:.1f} s{ess}")

# %%
# Test error under 40-step ``l_∞`` PGD as the attack budget grows (the talk's figure).
budgets = (0.0, 0.05, 0.1, 0.15, 0.2)
errors = {}
for name, model in models.items():
    row = []
    for eps in budgets:
        X_eval = X_test
        if eps > 0:
            attack = ProjectedGradientDescent(
                model, eps=eps, n_steps=40, random_start=True, n_restarts=2,
                clip=(0.0, 1.0), random_state=0)
            X_eval = attack.fit_transform(X_test, y_test)
        row.append(100 * (1 - model.score(X_eval, y_test)))
    errors[name] = row
    print(f"{name:26s}" + "".join(f"{e:7.1f}" for e in row))

fig, ax = plt.subplots(figsize=(8, 4.5))
for name, row in errors.items():
    ax.plot(budgets, row, marker="o", label=name)
ax.set_xlabel("l-inf attack budget eps (pixels in [0, 1])")
ax.set_ylabel("test error under PGD-40 (%)")
ax.set_title("Digits MLP: error under attack, by training method")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
