"""The Sphinx documentation builds with warnings as errors; the offline inventories are valid.

The build runs with ``SKENTROPIC_PLOT_GALLERY=False``: the gallery pages are rendered from the
example sources without executing them (``tests/test_examples.py`` runs every example), which
keeps this test to a few seconds. Without network, intersphinx falls back to the inventories
in ``doc/_intersphinx`` (information-level log only), so ``-W`` also checks that fallback.
"""

import importlib.util
import os
import posixpath
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
MISSING = [m for m in ("sphinx", "numpydoc", "sphinx_gallery") if importlib.util.find_spec(m) is None]


def _load_make_inventories():
    spec = importlib.util.spec_from_file_location("make_inventories", DOC / "_intersphinx" / "make_inventories.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inventory_text(path):
    data = path.read_bytes()
    header = b"".join(data.splitlines(keepends=True)[:4])
    return header + zlib.decompress(data[len(header):])


def test_committed_inventories_match_generator(tmp_path):
    make = _load_make_inventories()
    for path in make.main(str(tmp_path)):
        committed = DOC / "_intersphinx" / Path(path).name
        # compare the decompressed text: zlib builds may compress the same text differently
        assert _inventory_text(committed) == _inventory_text(Path(path)), (
            f"{committed.name} is stale: run python doc/_intersphinx/make_inventories.py")


@pytest.mark.skipif("sphinx" in MISSING, reason="sphinx is not installed")
def test_inventories_parse():
    from sphinx.util.inventory import InventoryFile

    make = _load_make_inventories()
    for project, (_, entries) in make.INVENTORIES.items():
        with open(DOC / "_intersphinx" / f"{project}.inv", "rb") as f:
            inv = InventoryFile.load(f, "https://example.org/", posixpath.join)
        for name, role, uri, *_ in entries:
            item = inv[role][name]
            item_uri = item.uri if hasattr(item, "uri") else item[2]  # Sphinx >= 8.2 / older
            assert item_uri == "https://example.org/" + uri.replace("$", name)


@pytest.mark.skipif(bool(MISSING), reason=f"documentation extras not installed: {MISSING}")
def test_docs_build_without_warnings(tmp_path):
    env = dict(os.environ, SKENTROPIC_PLOT_GALLERY="False", SKENTROPIC_QUICK="1")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOC), str(tmp_path / "html")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    html = tmp_path / "html"
    for page in ("index", "install", "quickstart", "user_guide", "scaling", "api", "benchmarks",
                 "auto_examples/index", "generated/skentropic.EntropicRobustLogisticRegression"):
        assert (html / f"{page}.html").is_file(), page
    # the intersphinx links resolve (online or through the committed inventories)
    api = (html / "generated" / "skentropic.EntropicRobustMLPClassifier.html").read_text()
    assert "scikit-learn.org/stable/modules/generated/sklearn.neural_network.MLPClassifier.html" in api
