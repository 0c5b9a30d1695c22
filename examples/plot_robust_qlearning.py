"""
Robust Q-learning on a perturbed CartPole
=========================================

Regular Q-learning bootstraps on ``max_b Q(s', b)``; the entropic robust variant
replaces it by a soft minimum over a ball around the observed next state,
``max_b −η log E_{s ~ U(B_ρ(s'))} exp(−Q(s, b)/η)``. Both agents are trained on the
nominal CartPole-v1 and evaluated on systems with a heavier pole, a shorter pole and
stronger gravity. ``Q`` is tile-coded (8 shifted copies of the bin grid), so a ball much
smaller than a bin changes the robust target everywhere; ``rho=0.005, eta=0.1`` is the
pair that ``benchmarks/bench_qlearning.py`` selects on *mildly* perturbed validation
systems. This quick version uses 3 seeds and 600 training episodes; the benchmark runs
the full study.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skentropic.rl import (RobustQLearning, format_table, perturbed_cartpoles,
                           robustness_study)

agents = {"regular": RobustQLearning(approximation="tiles", rho=0.0, n_episodes=600),
          "robust": RobustQLearning(approximation="tiles", rho=0.005, eta=0.1,
                                    n_episodes=600)}
result = robustness_study(agents, perturbed_cartpoles(), n_seeds=3, n_eval_episodes=50,
                          random_state=0, verbose=1)
print(format_table(result))

# %%
# Training curves on the nominal CartPole (moving average over 25 episodes, mean over
# seeds).
fig, ax = plt.subplots(figsize=(9, 4.5), constrained_layout=True)
for name, curves in result["curves"].items():
    smooth = np.array([np.convolve(c, np.ones(25) / 25, mode="valid") for c in curves])
    ax.plot(smooth.mean(axis=0), label=f"{name} Q-learning")
ax.set_xlabel("training episode")
ax.set_ylabel("episode reward (25-episode moving average)")
ax.set_title("Q-learning on the nominal CartPole-v1: training reward, mean of 3 seeds")
ax.legend()
plt.show()
