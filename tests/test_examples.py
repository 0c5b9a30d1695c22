"""Every gallery example runs to completion in its quick mode and draws a figure.

Each ``examples/plot_*.py`` is executed with :func:`runpy.run_path` in a temporary working
directory (examples may save PNGs there) with ``SKENTROPIC_QUICK=1`` and matplotlib's Agg
backend, as the documentation build does. Quick mode is meant to take under a minute per
example on two cores.
"""

import runpy
from pathlib import Path

import pytest

plt = pytest.importorskip("matplotlib.pyplot")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


def test_examples_found():
    names = {p.name for p in EXAMPLES}
    assert {"plot_quickstart.py", "plot_grid_search.py", "plot_digits_study.py",
            "plot_regularization.py", "plot_worst_case.py", "plot_mlmc_convergence.py",
            "plot_robust_qlearning.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SKENTROPIC_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    plt.switch_backend("Agg")
    plt.close("all")
    try:
        runpy.run_path(str(path), run_name="__main__")
        figures = [plt.figure(n) for n in plt.get_fignums()]
        drawn = [f for f in figures if f.axes]
        saved = list(tmp_path.glob("*.png"))
        assert drawn or saved, f"{path.name} produced no figure"
    finally:
        plt.close("all")
