"""
The digits study: entropic training vs ERM and adversarial training
===================================================================

A small network (64 ELU hidden units, softmax output, Adam) is trained on the 8x8 digits
(pixels in ``[0, 1]``) three ways with :class:`skentropic.EntropicRobustMLPClassifier`:
plain cross-entropy (``training="erm"``), PGD adversarial training (``training="pgd"``,
``l_∞`` radius 0.1) and the entropic risk (``training="entropic"``, ``l_∞`` ball,
``rho=0.3, eta=0.2``, RT-MLMC gradients), the configuration of
``benchmarks/bench_digits_study.py``. Each is evaluated on clean test data, under 20-step
``l_∞`` PGD and under uniform noise of the same radii, always clipped to the pixel box.

This quick version trains one seed for a few epochs; the benchmark reports means over 5 seeds
and 100 epochs (its table is on the benchmark page). As there, the entropic model is much more
robust than ERM but less than PGD training: uniform samples of the 64-dimensional ``l_∞``
ball rarely come near the worst-case vertex that PGD finds. Set ``SKENTROPIC_QUICK=0`` for
100 epochs.
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skentropic import EntropicRobustMLPClassifier
from skentropic.attacks import ProjectedGradientDescent, UniformNoise

QUICK = os.environ.get("SKENTROPIC_QUICK", "1") != "0"
EPOCHS = 15 if QUICK else 100
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # a fixed epoch budget is intended

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

common = dict(hidden_layer_sizes=(64,), activation="elu", learning_rate_init=3e-3, batch_size=64,
              max_iter=EPOCHS, n_iter_no_change=EPOCHS + 1, clip=(0.0, 1.0), random_state=0)
models = {
    "ERM": EntropicRobustMLPClassifier(training="erm", **common),
    "PGD-training": EntropicRobustMLPClassifier(training="pgd", rho=0.1, attack_steps=10, **common),
    "entropic": EntropicRobustMLPClassifier(training="entropic", rho=0.3, eta=0.2, norm=np.inf,
                                            max_level=8, **common),
}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"{name:14s} fitted in {time.perf_counter() - start:.1f} s")

# %%
# Accuracy under ``l_∞`` PGD (20 steps, step ``2.5 eps/20``) and uniform noise.
budgets = (0.05, 0.1, 0.2)
columns = ["clean"] + [f"PGD {e}" for e in budgets] + [f"noise {e}" for e in budgets]
table = {}
for name, model in models.items():
    row = [model.score(X_test, y_test)]
    for e in budgets:
        attack = ProjectedGradientDescent(model, eps=e, n_steps=20, clip=(0.0, 1.0))
        row.append(model.score(attack.fit_transform(X_test, y_test), y_test))
    for e in budgets:
        noise = UniformNoise(model, eps=e, clip=(0.0, 1.0), random_state=0)
        row.append(model.score(noise.fit_transform(X_test, y_test), y_test))
    table[name] = row
print(f"{'accuracy %':14s}" + "".join(f"{c:>11s}" for c in columns))
for name, row in table.items():
    print(f"{name:14s}" + "".join(f"{100 * a:11.1f}" for a in row))

# %%
# Uniform noise of these radii barely hurts any model; PGD separates them.
fig, ax = plt.subplots(figsize=(7, 3.5))
width = 0.8 / len(table)
for i, (name, row) in enumerate(table.items()):
    ax.bar(np.arange(len(columns)) + (i - 1) * width, row, width, label=name)
ax.set_xticks(range(len(columns)), columns, fontsize=8)
ax.set_ylabel("test accuracy")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
