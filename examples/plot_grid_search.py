"""
Tuning rho and eta with GridSearchCV by robust accuracy
=======================================================

``rho`` and ``eta`` are ordinary hyper-parameters, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` tunes them. What changes is the score: to
pick a *robust* model, score each candidate by its accuracy under attack on the
validation folds. :func:`skentropic.metrics.make_robust_scorer` turns an attack into
such a scorer; the attack is cloned and pointed at every candidate, so the adversary
always attacks the model it scores.

The task is binary digits (digit >= 5, pixels scaled to ``[0, 1]``) under an ``l_2``
budget of 0.5. For a binary linear model the fast gradient method is the exact worst
case of the ball, so the scorer measures certified accuracy. The test set is used once,
for the selected model. Set ``SKENTROPIC_QUICK=0`` for a finer grid.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split

from skentropic import EntropicRobustLogisticRegression
from skentropic.attacks import FastGradientMethod
from skentropic.metrics import certified_accuracy, make_robust_scorer

QUICK = os.environ.get("SKENTROPIC_QUICK", "1") != "0"
EPS = 0.5

X, y = load_digits(return_X_y=True)
X, y = X / 16.0, (y >= 5).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)

# %%
# Score clean and robust accuracy on every fold; select (``refit``) by robust accuracy.
grid = {"rho": [0.1, 0.5, 1.0] if QUICK else [0.1, 0.25, 0.5, 0.75, 1.0, 1.5],
        "eta": [0.01, 0.1] if QUICK else [0.003, 0.01, 0.03, 0.1, 0.3]}
scoring = {"clean": "accuracy",
           "robust": make_robust_scorer(FastGradientMethod(None, eps=EPS, norm=2))}
search = GridSearchCV(EntropicRobustLogisticRegression(norm=2), grid, scoring=scoring,
                      refit="robust", cv=3)
search.fit(X_train, y_train)
print("selected:", search.best_params_, f"cv robust accuracy {search.best_score_:.3f}")

# %%
# Test-set comparison with the ordinary model, at the budget the search optimised for.
baseline = LogisticRegression(max_iter=2000).fit(X_train, y_train)
for name, model in [("LogisticRegression", baseline),
                    ("selected entropic", search.best_estimator_)]:
    certified = certified_accuracy(model, X_test, y_test, eps=EPS, norm=2)
    print(f"{name:20s} clean {model.score(X_test, y_test):.3f}   "
          f"certified l2 eps={EPS}: {certified:.3f}")

# %%
# Mean validation scores over the grid: robust accuracy rises with ``rho`` up to a point
# while clean accuracy falls; ``eta`` decides how close to the worst case the training
# adversary is.
res = search.cv_results_
shape = (len(grid["rho"]), len(grid["eta"]))
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), constrained_layout=True)
for ax, key in zip(axes, ["clean", "robust"]):
    scores = np.empty(shape)
    for params, value in zip(res["params"], res[f"mean_test_{key}"]):
        i, j = grid["rho"].index(params["rho"]), grid["eta"].index(params["eta"])
        scores[i, j] = value
    im = ax.imshow(scores, origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(shape[1]), [f"{e:g}" for e in grid["eta"]])
    ax.set_yticks(range(shape[0]), [f"{r:g}" for r in grid["rho"]])
    ax.set_xlabel("eta (entropic temperature)")
    ax.set_ylabel("rho (training ball radius)")
    title = "clean" if key == "clean" else f"certified (l2 eps = {EPS})"
    ax.set_title(f"mean CV {title} accuracy")
    for (i, j), v in np.ndenumerate(scores):  # dark text on the bright cells
        color = "k" if im.norm(v) > 0.6 else "w"
        ax.text(j, i, f"{v:.3f}", ha="center", va="center", color=color)
    fig.colorbar(im, ax=ax, label="accuracy")
fig.suptitle("GridSearchCV over rho and eta, binary digits, 3-fold CV")
plt.show()
