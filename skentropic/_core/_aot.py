"""Kernels compiled ahead of time at install, so that a first fit does not wait for numba.

numba compiles a kernel the first time it is called in a process with an empty cache: several
seconds for the ``l_∞`` rule (``benchmarks/bench_cold_start.py``). ``pip install`` therefore
builds the extension module ``skentropic._core._aot_kernels`` from the kernels in :data:`EXPORTS`
(``setup.py`` calls :func:`build`, which uses ``numba.pycc`` and the platform's C compiler;
without a compiler, or with any other failure, the install goes on without it). It also
records a digest of the sources it compiled.

:func:`kernel` gives the callers the compiled form when the module imports, its digest equals
that of the sources present and the environment variable ``SKENTROPIC_JIT`` is not set (to a
non-empty value); otherwise the numba dispatcher, compiled at its first call as before. The
compiled form is the same code for a generic x86-64 CPU, and gives the same results bit for
bit (``tests/test_aot.py``). It does not check its arguments' types (a strided array would be
read as contiguous), so :func:`kernel` wraps it in a check that hands any other types to the
dispatcher. A stale module (sources edited after the install) is ignored with a warning:
reinstall (``pip install -e .``) to rebuild it.
"""

import functools
import hashlib
import importlib
import os
import sys
import types
import warnings
from pathlib import Path

import numpy as np

MODULE = "_aot_kernels"
ENV = "SKENTROPIC_JIT"
# the exported kernels and everything they call live in these subpackages (checked by build)
_SOURCES = ("_core", "linear_model")

# argument kinds: numba's type in the signature, and the check that the wrapper makes
_ARGS = {
    "F1": ("f8[::1]", np.float64, 1),
    "F2": ("f8[:,::1]", np.float64, 2),
    "F3": ("f8[:,:,::1]", np.float64, 3),
    "B1": ("b1[::1]", np.bool_, 1),
    "I1": ("i8[::1]", np.int64, 1),
    "f": ("f8", (float, int, np.floating, np.integer), 0),
    "i": ("i8", (int, np.integer), 0),
    "b": ("b1", (bool, np.bool_), 0),
}

# name: (module under skentropic, kernel, return type, argument kinds)
EXPORTS = {
    "scaled_suffix_sums": ("linear_model._cube_rule", "_scaled_suffix_sums", "void", ("F1", "F2")),
    "atom_grid": ("linear_model._cube_rule", "_atom_grid", "void",
                  ("F1", "f", "i", "f", "b", "f", "f", "f", "f", "i", "F1")),
    "fill_spline_table": ("linear_model._cube_density", "_fill_spline_table", "void", ("F1", "F1", "F2", "F2")),
    "cube_atoms": ("linear_model._cube_rule", "cube_atoms", "void",
                   ("F1", "i", "f", "f", "i", "F1", "F1", "F1", "F1", "F2", "F2", "F2", "F2", "F3", "F1", "F1")),
    "cube_atoms_gradient": ("linear_model._cube_gradient", "cube_atoms_gradient", "void",
                            ("F1", "i", "f", "f", "i", "F2", "F2", "F3", "F1", "F1", "F1")),
    "spline_atoms_gradient": ("linear_model._cube_gradient", "spline_atoms_gradient", "void",
                              ("F1", "f", "f", "i", "F2", "F2", "F3", "F1", "F1", "F1")),
    "atom_nodes": ("linear_model._score_grid", "atom_nodes", "void",
                   ("F1", "F1", "F1", "f", "i", "F1", "F2", "F2")),
    "grid_level": ("linear_model._score_grid", "grid_level", "i8",
                   ("F1", "f", "f", "i", "i", "b", "b", "F1", "F1", "F1", "F1", "F1", "F1", "F1", "F1", "I1", "F1", "F1",
                    "I1", "I1")),
    "interpolate_grid": ("linear_model._score_grid", "interpolate_grid", "i8",
                         ("F1", "F1", "F1", "F2", "F2", "F2", "B1", "F1", "F1", "F1", "F2", "I1")),
    "laplace_margins": ("linear_model._laplace_surrogate", "laplace_margins", "void",
                        ("F1", "F1", "F1", "F2", "F2", "f", "F1", "F1", "F1")),
    "lbfgs_direction": ("linear_model._lbfgs_memory", "two_loop", "void", ("F1", "F2", "F2", "F1", "I1", "F1")),
    "entropic_margin_l2": ("linear_model._quadrature", "entropic_margin_l2", "void",
                           ("F1", "f", "f", "f", "i", "f", "f", "F1", "F1", "F1", "F1", "F1")),
}


def source_digest(root=None):
    """SHA-256 (first 60 bits, as an int) of the ``.py`` files of :data:`_SOURCES` under ``root``
    (the directory of :mod:`skentropic` by default): their relative paths and contents, in sorted order."""
    root = Path(__file__).parent.parent if root is None else Path(root)
    digest = hashlib.sha256()
    for sub in _SOURCES:
        for path in sorted((root / sub).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return int(digest.hexdigest()[:15], 16)


def signature(name):
    """numba's signature string of the export ``name``."""
    _, _, ret, args = EXPORTS[name]
    return f"{ret}({', '.join(_ARGS[kind][0] for kind in args)})"


@functools.lru_cache(maxsize=1)
def _compiled_module():
    """The compiled module if it can be used (see the module docstring), else ``None``."""
    if os.environ.get(ENV):
        return None
    try:
        module = importlib.import_module(f"{__package__}.{MODULE}")
    except Exception:  # noqa: BLE001 (absent, or built against another NumPy: numba compiles instead)
        return None
    if module.source_digest() != source_digest():
        warnings.warn("skentropic: the ahead-of-time compiled kernels were built from other sources and are "
                      "not used (numba compiles the kernels at first use); reinstall skentropic "
                      "(pip install -e .) to rebuild them", RuntimeWarning, stacklevel=3)
        return None
    return module


def _checked(compiled, jit, kinds):
    """``compiled`` behind a check of its arguments' types; other types go to ``jit``."""
    checks = tuple(_ARGS[kind][1:] for kind in kinds)

    def call(*args):
        for arg, (dtype, ndim) in zip(args, checks):
            if ndim:
                same = (type(arg) is np.ndarray and arg.dtype == dtype and arg.ndim == ndim
                        and arg.flags.c_contiguous and arg.flags.aligned)
            else:
                same = isinstance(arg, dtype)  # the Python types taken
            if not same:
                call.fallbacks += 1
                return jit(*args)
        return compiled(*args)

    call.__name__ = call.__qualname__ = jit.__name__
    call.__doc__ = jit.__doc__
    call.jit = jit
    call.fallbacks = 0  # calls handed to jit (tests/test_aot.py: none in the fits)
    return call


def kernel(name, jit):
    """The ahead-of-time compiled form of the dispatcher ``jit`` (export ``name``) if usable, else ``jit``."""
    module = _compiled_module()
    if module is None:
        return jit
    return _checked(getattr(module, name), jit, EXPORTS[name][3])


def build(output_dir, output_file=None, root=None):
    """Compile :data:`EXPORTS` and the digest of their sources into ``output_dir/output_file``.

    ``root``: the source directory of :mod:`skentropic` (default: the one this file is in). The package and its
    subpackages are stood in for by empty modules, so that only the kernels' own modules are
    imported (they need NumPy, SciPy and numba, not scikit-learn).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc's pending deprecation
        from numba.pycc import CC

    root = Path(__file__).parent.parent if root is None else Path(root)
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "skentropic"}
    for name in saved:
        del sys.modules[name]
    env = os.environ.get(ENV)
    os.environ[ENV] = "1"  # the kernels' modules must not load a module that this build may overwrite
    try:
        for name, path in (("skentropic", root), *((f"skentropic.{sub}", root / sub) for sub in _SOURCES)):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        cc = CC(MODULE)
        cc.output_dir = str(output_dir)
        if output_file is not None:
            cc.output_file = output_file
        for name, (module, function, _, _) in EXPORTS.items():
            dispatcher = getattr(importlib.import_module(f"skentropic.{module}"), function)
            cc.export(name, signature(name))(dispatcher.py_func)
        digest = source_digest(root)

        def digest_constant():
            return digest

        cc.export("source_digest", "i8()")(digest_constant)
        imported = [name for name in sys.modules if name.split(".")[0] == "skentropic"]
        outside = [name for name in imported if name.count(".") > 1 and name.split(".")[1] not in _SOURCES]
        if outside:  # the digest would not cover them
            raise RuntimeError(f"kernels import modules outside {_SOURCES}: {outside}")
        cc.compile()
    finally:
        if env is None:
            del os.environ[ENV]
        else:
            os.environ[ENV] = env
        for name in [name for name in sys.modules if name.split(".")[0] == "skentropic"]:
            del sys.modules[name]
        sys.modules.update(saved)
    return Path(output_dir) / cc.output_file
