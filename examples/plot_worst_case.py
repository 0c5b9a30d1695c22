"""
The worst-case distribution P* of the entropic risk
===================================================

With ``η > 0`` the adversary's worst-case distribution is absolutely continuous: around
each training point it has density ``∝ exp(ℓ(z; θ)/η)`` on the ball ``B_ρ(x_i)``.
This example reproduces the talk's two pictures on a 2-D toy classification problem —
the loss surface ``ℓ(z; θ)`` and ``P*`` over it — for ``η`` from large to tiny, and
shows ``P*`` collapsing to the adversarial points as ``η → 0``.
"""

# %%
# A 2-D toy problem: two noisy moons, a linear and a small neural-network classifier.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from skentropic.worst_case import plot_worst_case, sample_worst_case

X, y = make_moons(n_samples=30, noise=0.15, random_state=0)
linear = LogisticRegression().fit(X, y)
mlp = MLPClassifier(hidden_layer_sizes=(20,), max_iter=3000, random_state=0).fit(X, y)
RHO, ETAS = 0.25, (1.0, 0.1, 0.01, 1e-4)

# %%
# The linear model: the loss surface (first panel) and ``P*`` for ``η`` from 1 down
# to 1e-4 in the ``l_2`` ball of radius 0.25. For large ``η`` ``P*`` is nearly uniform
# on each ball; as ``η`` shrinks its mass moves to the side of each ball facing the
# decision boundary, and for tiny ``η`` it sits on the single worst point of each ball.
fig = plot_worst_case(linear, X, y, rho=RHO, etas=ETAS, norm=2, random_state=0)
fig.suptitle("Logistic regression: loss surface and worst-case distribution P*")
plt.show()

# %%
# The small network: its decision boundary bends with the moons, and the worst points of
# the balls follow it as ``η`` shrinks.
fig = plot_worst_case(mlp, X, y, rho=RHO, etas=ETAS, norm=2, random_state=0)
fig.suptitle("MLP (20 hidden units): loss surface and worst-case distribution P*")
plt.show()

# %%
# Collapse to the adversarial points: for the linear model under the ``l_2`` ball the
# worst point of each ball is ``x_i − ρ y_i w/||w||``; the mean distance of the ``P*``
# draws to it shrinks with ``η``, and so does the effective sample size (ESS) of the
# 2048 proposals.
w = linear.coef_[0]
sign = np.where(y == 1, 1.0, -1.0)
adversarial = X - RHO * sign[:, None] * w / np.linalg.norm(w)
for eta in ETAS:
    draws = sample_worst_case(linear, X, y, rho=RHO, eta=eta, norm=2, n_proposals=2048,
                              n_draws=10, random_state=0)
    dist = np.linalg.norm(draws.samples - adversarial[draws.origin], axis=1).mean()
    print(f"eta={eta:8.0e}  mean distance to adversarial point={dist:.3f}  "
          f"median ESS={np.median(draws.ess):.1f}")
