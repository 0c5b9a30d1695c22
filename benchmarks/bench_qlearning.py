"""Regular vs entropic robust Q-learning on nominal and perturbed CartPole (issue 6).

Trains both agents on the nominal CartPole-v1 for ``--seeds`` seeds, evaluates the greedy
policies on the original system and on three perturbed ones (pole mass x20, pole half-length
x0.3, gravity x3; see ``skentropic.rl.perturbed_cartpoles``), prints the table of mean ± std
across seeds (each seed's value is the mean over ``--eval-episodes`` episodes), saves the
training curves as a PNG, and prints the training throughput (environment steps per second)
of the numba loop against the same update run in a Python loop over gymnasium's own
``CartPole-v1`` (skipped when gymnasium is not installed).

Usage::

    python benchmarks/bench_qlearning.py            # 10 seeds, 2000 episodes each
    python benchmarks/bench_qlearning.py --quick    # 3 seeds, 600 episodes
"""

import argparse
import time

import numpy as np

from skentropic.rl import RobustQLearning, format_table, perturbed_cartpoles, robustness_study


def python_loop_throughput(agent, n_episodes):
    """Steps/s of the same update in the Python loop over gymnasium's CartPole-v1."""
    try:
        import gymnasium
    except ImportError:
        return None
    agent.set_params(n_episodes=2, random_state=0).fit(gymnasium.make("CartPole-v1"))  # compile
    a = agent.set_params(n_episodes=n_episodes, random_state=0)
    a.fit(gymnasium.make("CartPole-v1"))
    return a.n_steps_ / a.train_time_


def plot_curves(result, path, window=50):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, curves in result["curves"].items():
        kernel = np.ones(window) / window
        smooth = np.array([np.convolve(c, kernel, mode="valid") for c in curves])
        x = np.arange(window, curves.shape[1] + 1)
        mean, std = smooth.mean(axis=0), smooth.std(axis=0)
        ax.plot(x, mean, label=name)
        ax.fill_between(x, mean - std, mean + std, alpha=0.25)
    ax.set_xlabel("training episode")
    ax.set_ylabel(f"episode reward ({window}-episode moving average)")
    ax.set_title("Q-learning on nominal CartPole-v1 (mean ± std over seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, 600 episodes")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--rho", type=float, default=0.005)
    parser.add_argument("--eta", type=float, default=1.0)
    parser.add_argument("--plot", default="qlearning_training_curves.png")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.episodes = 3, 600

    agents = {"regular": RobustQLearning(rho=0.0, n_episodes=args.episodes),
              "robust": RobustQLearning(rho=args.rho, eta=args.eta, n_episodes=args.episodes)}
    RobustQLearning(n_episodes=1).fit()  # compile the numba kernels outside the timings
    envs = perturbed_cartpoles()
    print("systems:", ", ".join(f"{k}: {v!r}" for k, v in envs.items()))
    print(f"robust: rho={args.rho}, eta={args.eta}, norm=inf, n_samples=16; "
          f"{args.episodes} training episodes, {args.seeds} seeds, "
          f"{args.eval_episodes} evaluation episodes per seed and system\n")
    start = time.perf_counter()
    result = robustness_study(agents, envs, n_seeds=args.seeds,
                              n_eval_episodes=args.eval_episodes, random_state=0, verbose=1)
    print(f"\nstudy time {time.perf_counter() - start:.1f} s\n")
    print(format_table(result))

    plot_curves(result, args.plot)
    print(f"\ntraining curves saved to {args.plot}\n")

    print("| agent | numba loop (steps/s, median over seeds) | Python loop on gymnasium "
          "(steps/s) | ratio |")
    print("|---|---|---|---|")
    for name, agent in agents.items():
        fast = float(np.median(result["steps_per_second"][name]))
        slow = python_loop_throughput(agent, 200 if args.quick else 500)
        if slow is None:
            print(f"| {name} | {fast:.3g} | gymnasium not installed | - |")
        else:
            print(f"| {name} | {fast:.3g} | {slow:.3g} | {fast / slow:.0f}x |")


if __name__ == "__main__":
    main()
