"""The package's layers: kernels (``_core``) ← attacks ← model families ← analysis and demos.

Every module of :mod:`skentropic` is found with :mod:`pkgutil` and its imports (module-level and
inside functions) are read from its source, so a new module is checked the day it is added.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import skentropic

# layer of each top-level part; a module may import from its own layer or lower ones only
LAYERS = {"_core": 0, "attacks": 1, "linear_model": 2, "neural_network": 2}
TOP = 3  # skentropic itself, metrics, regularization, worst_case, datasets, rl, demo, ...


def _modules():
    names = ["skentropic"]
    for info in pkgutil.walk_packages(skentropic.__path__, prefix="skentropic."):
        if importlib.util.find_spec(info.name).origin.endswith(".py"):  # not the compiled kernels
            names.append(info.name)
    return sorted(names)


def _source(name):
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).read_text(), spec.submodule_search_locations is not None


def _imports(name):
    """``[(imported module, at module level?)]`` of the ``skentropic`` modules ``name`` imports."""
    source, is_package = _source(name)
    tree = ast.parse(source)
    package = name if is_package else name.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module]
            if not node.module:  # "from . import x": x is a submodule
                targets = [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "skentropic" or target.startswith("skentropic."):
                found.append((target, id(node) in top_level))
    return found


def _layer(name):
    parts = name.split(".")
    return LAYERS.get(parts[1], TOP) if len(parts) > 1 else TOP


def _family(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


MODULES = _modules()
GRAPH = {name: _imports(name) for name in MODULES}


def test_every_part_is_found():
    for part in ("skentropic._core._sampling", "skentropic.linear_model._objective",
                 "skentropic.neural_network._mlp", "skentropic.attacks._input_gradients",
                 "skentropic.rl.agent"):
        assert part in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_no_import_from_a_higher_layer(name):
    for target, _ in GRAPH[name]:
        assert _layer(target) <= _layer(name), f"{name} (layer {_layer(name)}) imports {target}"
        if _layer(name) == _layer(target) == 2:
            assert _family(target) == _family(name), f"{name} imports the sibling family {target}"


def _solvers_and_estimators(name):
    """Names of the scikit-learn estimators (``*Mixin``/``BaseEstimator``/``_Base*`` bases) and
    solvers (``fit_*`` functions) that module ``name`` defines."""
    found = []
    for node in ast.parse(_source(name)[0]).body:
        if isinstance(node, ast.ClassDef):
            bases = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
            if any(b == "BaseEstimator" or b.endswith("Mixin") or b.startswith("_Base") for b in bases):
                found.append(node.name)
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("fit_"):
            found.append(node.name)
    return found


@pytest.mark.parametrize("name", [m for m in MODULES if "@njit" in _source(m)[0]])
def test_kernels_never_reach_solvers_or_estimators(name):
    """A module with numba kernels imports, even indirectly, no solver and no estimator."""
    assert not _solvers_and_estimators(name)
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for target, _ in GRAPH.get(current, []):
            if target in GRAPH and target not in seen:
                seen.add(target)
                todo.append(target)
    for target in seen:
        assert not _solvers_and_estimators(target), f"kernel module {name} reaches {target}"


def test_the_layer_check_sees_solvers_and_estimators():
    assert _solvers_and_estimators("skentropic.linear_model._lbfgs") == ["fit_lbfgs"]
    assert "EntropicRobustMLPClassifier" in _solvers_and_estimators("skentropic.neural_network._mlp")


def test_no_import_cycle():
    """Module-level imports form no cycle (depth-first search over the import graph)."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target, at_top in GRAPH.get(node, []):
            if not at_top or target not in GRAPH:
                continue
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [target]))
            if target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for name in MODULES:
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("package", [m for m in MODULES if _source(m)[1]])
def test_package_init_hands_on_public_names_only(package):
    """A folder's ``__init__`` re-exports public names (listed in ``__all__``) and defines nothing."""
    module = importlib.import_module(package)
    tree = ast.parse(_source(package)[0])
    defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    if package in ("skentropic", "skentropic._core"):
        return
    assert not defined, f"{package}/__init__.py defines {[n.name for n in defined]}"
    exported = getattr(module, "__all__", [])
    assert exported and all(not name.startswith("_") for name in exported)


@pytest.mark.parametrize("family, names", [
    ("linear_model", ["EntropicRobustLogisticRegression", "EntropicRobustSVC"]),
    ("neural_network", ["EntropicRobustMLPClassifier"]),
])
def test_public_names_from_the_family_and_the_top(family, names):
    module = importlib.import_module(f"skentropic.{family}")
    for name in names:
        assert getattr(module, name) is getattr(skentropic, name)
