"""The kernels compiled ahead of time at install (``skentropic/_core/_aot.py``).

Where a C compiler exists the install must have built them; they must give the fits the same
results bit for bit as numba's dispatchers, receive every call of those fits (no argument of
another type sent to the dispatcher), and be dropped when the sources change.
"""

import importlib
import os
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

from skentropic import EntropicRobustLogisticRegression, EntropicRobustSVC
from skentropic._core import _aot
from skentropic.datasets import load_digits_unit
from skentropic.linear_model import _cube_density, _cube_rule, _laplace_surrogate, _law_margins, _score_grid

# where each module keeps its kernel: (module, attribute, export)
_USES = [
    (_law_margins, "cube_atoms", "cube_atoms"),
    (_law_margins, "cube_atoms_gradient", "cube_atoms_gradient"),
    (_law_margins, "spline_atoms_gradient", "spline_atoms_gradient"),
    (_cube_rule, "_suffix_sums", "scaled_suffix_sums"),
    (_cube_rule, "_grid", "atom_grid"),
    (_cube_density, "_fill_table", "fill_spline_table"),
    (_score_grid, "_atom_nodes", "atom_nodes"),
    (_score_grid, "_interpolate_grid", "interpolate_grid"),
    (_score_grid, "_margin_l2", "entropic_margin_l2"),
    (_laplace_surrogate, "_laplace_margins", "laplace_margins"),  # (the digits l_inf fit at eta 0.01)
]


def _built():
    try:
        importlib.import_module("skentropic._core._aot_kernels")
    except ImportError:
        return False
    return True


# built from these sources (a stale build, after an edit without reinstalling, is not used)
compiled = pytest.mark.skipif(_aot._compiled_module() is None,
                              reason="no kernels compiled ahead of time from these sources in this install")


def _fits():
    X, y = load_digits_unit()
    y = y >= 5
    return [
        EntropicRobustLogisticRegression(rho=0.05, eta=0.01, norm=np.inf).fit(X, y),
        EntropicRobustLogisticRegression(rho=0.05, eta=1e-3, norm=np.inf).fit(X[:, 20:26], y),  # exact spline
        EntropicRobustSVC(rho=0.05, eta=0.1, norm=np.inf).fit(X, y),
        EntropicRobustLogisticRegression(rho=0.5, eta=0.01, norm=2).fit(X, y),
        EntropicRobustSVC(rho=0.5, eta=0.01, norm=2).fit(X, y),
    ]


def test_the_install_compiled_the_kernels_where_a_compiler_exists():
    compiler = sysconfig.get_config_var("CC") or "cc"
    if shutil.which(compiler.split()[0]) is None:
        pytest.skip(f"no C compiler ({compiler})")
    assert _built(), "a C compiler exists but pip install did not build skentropic._core._aot_kernels"


@compiled
def test_fits_use_the_compiled_kernels_and_match_the_dispatchers_bit_for_bit(monkeypatch):
    for module, attribute, _ in _USES:
        getattr(module, attribute).fallbacks = 0
    fitted = _fits()
    for module, attribute, name in _USES:
        wrapper = getattr(module, attribute)
        assert wrapper is not wrapper.jit, name
        assert wrapper.fallbacks == 0, f"{name}: arguments of other types than {_aot.signature(name)}"
        monkeypatch.setattr(module, attribute, wrapper.jit)
    for aot, jit in zip(fitted, _fits()):
        np.testing.assert_array_equal(aot.coef_, jit.coef_)
        np.testing.assert_array_equal(aot.intercept_, jit.intercept_)


_COLD_FITS = r"""
import numpy as np
from numba.core import event
from skentropic import EntropicRobustLogisticRegression, EntropicRobustSVC
from skentropic.datasets import load_digits_unit
X, y = load_digits_unit()
y = y >= 5
with event.install_recorder("numba:compile") as rec:
    EntropicRobustLogisticRegression(rho=0.05, eta=0.01, norm=np.inf).fit(X, y)
    EntropicRobustLogisticRegression(rho=0.05, eta=0.01, norm=np.inf).fit(X[:, 20:26], y)
    EntropicRobustLogisticRegression(rho=0.5, eta=0.01, norm=2).fit(X, y)
    EntropicRobustSVC(rho=0.5, eta=0.01, norm=2).fit(X, y)
names = sorted({ev.data["dispatcher"].py_func.__qualname__ for _, ev in rec.buffer if "dispatcher" in ev.data})
print("compiled:", ",".join(names))
"""


@compiled
def test_a_first_fit_in_a_fresh_process_compiles_nothing(tmp_path):
    """The issue's cold start: every kernel of these fits is among the compiled ones (a kernel
    added to their path but not to EXPORTS would be compiled by numba here)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONWARNINGS="ignore")
    env.pop(_aot.ENV, None)
    out = subprocess.run([sys.executable, "-c", _COLD_FITS], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "compiled:", out.stdout


@compiled
def test_arguments_of_other_types_go_to_the_dispatcher():
    a = np.array([3.0, 0.0, 2.0, 0.0, 1.0])  # a strided view of 3, 2, 1: read as contiguous it has a zero
    expected = np.empty((_cube_rule._N_POWERS, 4))
    _cube_rule._scaled_suffix_sums(np.ascontiguousarray(a[::2]), expected)
    out = np.empty_like(expected)
    _cube_rule._suffix_sums.fallbacks = 0
    _cube_rule._suffix_sums(a[::2], out)
    assert _cube_rule._suffix_sums.fallbacks == 1
    np.testing.assert_array_equal(out, expected)


def test_the_digest_follows_the_sources(tmp_path):
    root = tmp_path / "skentropic"
    shutil.copytree(_aot.Path(_aot.__file__).parent.parent, root,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.nb[ic]"))
    before = _aot.source_digest(root)
    assert before == _aot.source_digest()
    kernel_file = root / "linear_model" / "_cube_gradient.py"
    kernel_file.write_text(kernel_file.read_text() + "\n")
    assert _aot.source_digest(root) != before


def test_stale_or_disabled_compiled_kernels_are_not_used(monkeypatch):
    dispatcher = _cube_rule._scaled_suffix_sums
    monkeypatch.setenv(_aot.ENV, "1")
    _aot._compiled_module.cache_clear()
    try:
        assert _aot.kernel("scaled_suffix_sums", dispatcher) is dispatcher
        if _built():
            monkeypatch.delenv(_aot.ENV)
            monkeypatch.setattr(_aot, "source_digest", lambda root=None: -1)
            _aot._compiled_module.cache_clear()
            with pytest.warns(RuntimeWarning, match="built from other sources"):
                assert _aot.kernel("scaled_suffix_sums", dispatcher) is dispatcher
    finally:
        monkeypatch.undo()
        _aot._compiled_module.cache_clear()
