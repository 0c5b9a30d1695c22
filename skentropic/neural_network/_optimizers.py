"""First-order parameter updates for the MLP (NumPy), as in scikit-learn's MLPClassifier.

All updates act in place on a flat parameter vector ``θ`` with the minibatch gradient ``g``:

- ``SGD`` (heavy-ball or Nesterov momentum ``μ``, step ``γ``):
  ``v ← μ v − γ g``; ``θ ← θ + v`` (heavy ball) or ``θ ← θ + μ v − γ g`` (Nesterov).
- ``ADAM`` (Kingma & Ba, 2015): ``m ← β₁ m + (1 − β₁) g``, ``s ← β₂ s + (1 − β₂) g²``, ``t ← t + 1``,
  ``θ ← θ − γ √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√s + ε)``.

The state (``v``; or ``m``, ``s`` and the step counter ``t``) lives in arrays owned by the
estimator, so training can resume across ``partial_fit`` calls. These are a few vector
operations per minibatch, so they are NumPy rather than numba kernels: a kernel would cost a
compilation in the first fit of every fresh process and save nothing measurable.
"""

import numpy as np

SGD = 0
ADAM = 1

SOLVER_CODES = {"sgd": SGD, "adam": ADAM}


def sgd_momentum_step(theta, grad, velocity, lr, momentum, nesterov):
    """Momentum SGD update of ``theta`` in place (``velocity`` is updated too)."""
    velocity *= momentum
    velocity -= lr * grad
    if nesterov:
        theta += momentum * velocity - lr * grad
    else:
        theta += velocity


def adam_step(theta, grad, first, second, counter, lr, beta1, beta2, epsilon):
    """Adam update of ``theta`` in place; ``counter[0]`` is the step count ``t``."""
    counter[0] += 1
    t = int(counter[0])
    lr_t = lr * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
    first *= beta1
    first += (1.0 - beta1) * grad
    second *= beta2
    second += (1.0 - beta2) * grad * grad
    theta -= lr_t * first / (np.sqrt(second) + epsilon)


def optimizer_step(solver_code, theta, grad, state1, state2, counter, hyper):
    """Dispatch on ``solver_code``; ``hyper = (lr, momentum, nesterov, beta1, beta2, epsilon)``."""
    if solver_code == SGD:
        sgd_momentum_step(theta, grad, state1, hyper[0], hyper[1], hyper[2] != 0.0)
    else:
        adam_step(theta, grad, state1, state2, counter, hyper[0], hyper[3], hyper[4], hyper[5])
