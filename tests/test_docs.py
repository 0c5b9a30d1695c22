"""The documentation builds with warnings as errors, and every example runs and shows a figure.

One build of the site, shared by the tests below, runs every gallery example in its quick
mode (``SKENTROPIC_QUICK=1``, matplotlib's Agg backend): it is also the test that the
examples run, as sphinx-gallery fails the build when one raises. The build works on a copy
of ``doc/`` and ``examples/`` in a temporary folder, so nothing is written into the
checkout and no cached gallery output of an earlier build is reused. Without network,
intersphinx falls back to the inventories in ``doc/_intersphinx`` (information-level log
only), so ``-W`` also checks that fallback.
"""

import importlib.util
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
MISSING = [m for m in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "matplotlib")
           if importlib.util.find_spec(m) is None]
needs_docs = pytest.mark.skipif(bool(MISSING), reason=f"documentation extras not installed: {MISSING}")
MIN_FIGURE_WIDTH = 600  # pixels of the PNG files the example pages show
MAX_EXAMPLE_LINE = 88  # characters, so that code cells are not cut at the text column's edge


def _load_make_inventories():
    spec = importlib.util.spec_from_file_location("make_inventories", DOC / "_intersphinx" / "make_inventories.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inventory_text(path):
    data = path.read_bytes()
    header = b"".join(data.splitlines(keepends=True)[:4])
    return header + zlib.decompress(data[len(header):])


def png_size(path):
    """``(width, height)`` in pixels from a PNG file's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", head[16:24])


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


def test_examples_found():
    names = {p.name for p in EXAMPLES}
    assert {"plot_quickstart.py", "plot_grid_search.py", "plot_digits_study.py",
            "plot_regularization.py", "plot_worst_case.py", "plot_mlmc_convergence.py",
            "plot_robust_qlearning.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_lines_fit_the_code_cells(path):
    long = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if len(line) > MAX_EXAMPLE_LINE]
    assert not long, f"{path.name}: lines {long} are longer than {MAX_EXAMPLE_LINE} characters"


def test_png_size(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure(figsize=(6.4, 2.0), dpi=100)
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    assert png_size(tmp_path / "f.png") == (640, 200)
    (tmp_path / "g.png").write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(tmp_path / "g.png")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTML site built once from copies of doc/ and examples/, with the gallery run."""
    if MISSING:
        pytest.skip(f"documentation extras not installed: {MISSING}")
    work = tmp_path_factory.mktemp("site")
    shutil.copytree(DOC, work / "doc", ignore=shutil.ignore_patterns(
        "_build", "auto_examples", "generated", "sg_execution_times.rst", "__pycache__"))
    shutil.copytree(ROOT / "examples", work / "examples",
                    ignore=shutil.ignore_patterns("*.png", "__pycache__"))
    env = dict(os.environ, SKENTROPIC_PLOT_GALLERY="True", SKENTROPIC_QUICK="1", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(work / "doctrees"), str(work / "doc"), str(work / "html")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    print(f"documentation built with the gallery run in {time.perf_counter() - start:.0f} s")
    return work, proc


@needs_docs
def test_docs_build_without_warnings(site):
    work, proc = site
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr[-5000:]
    html = work / "html"
    for page in ("index", "install", "quickstart", "user_guide", "scaling", "api", "benchmarks",
                 "auto_examples/index", "generated/skentropic.EntropicRobustLogisticRegression"):
        assert (html / f"{page}.html").is_file(), page
    # the intersphinx links resolve (online or through the committed inventories)
    api = (html / "generated" / "skentropic.EntropicRobustMLPClassifier.html").read_text()
    assert "scikit-learn.org/stable/modules/generated/sklearn.neural_network.MLPClassifier.html" in api


@needs_docs
def test_theme_and_math(site):
    work, proc = site
    assert proc.returncode == 0
    index = (work / "html" / "index.html").read_text()
    assert "pydata_sphinx_theme" in index or "pydata-sphinx-theme" in index
    # the top bar links the user guide, the API, the examples and the benchmarks
    navbar = index[index.index("bd-navbar-elements"):]
    for page in ("user_guide.html", "api.html", "auto_examples/index.html", "benchmarks.html"):
        assert f'href="{page}"' in navbar, page
    assert "Edit on" not in index and "edit-this-page" not in index
    if importlib.util.find_spec("sphinx-mathjax-offline") is not None:  # the docs extra bundles it
        assert '_static/mathjax/tex-chtml.js' in index
        assert (work / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()


@needs_docs
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_page_shows_a_wide_figure(site, path):
    """The page of each example shows its figures, captured by the scraper, one per cell."""
    work, proc = site
    assert proc.returncode == 0, "the build failed: see test_docs_build_without_warnings"
    html = work / "html" / "auto_examples"
    page = (html / f"{path.stem}.html").read_text()
    # sphinx-gallery names the figures sphx_glr_<example>_<NNN>.png (the thumbnail: _thumb)
    sources = re.findall(r'<img[^>]+src="([^"]*/sphx_glr_%s_\d+\.png)"' % re.escape(path.stem), page)
    assert sources, f"{path.stem}.html shows no figure of the example"
    widths = {src: png_size(html / src)[0] for src in sources}
    assert max(widths.values()) >= MIN_FIGURE_WIDTH, f"{path.stem}: figures too narrow: {widths}"
    # sphinx-gallery lays several figures of one cell out side by side as small images
    assert "sphx-glr-horizontal" not in page, f"{path.stem} draws several figures in one cell"


@needs_docs
def test_examples_leave_figures_to_the_scraper(site):
    """Figures reach the pages through sphinx-gallery's scraper, not as files saved by hand."""
    work, proc = site
    assert proc.returncode == 0, "the build failed: see test_docs_build_without_warnings"
    saved = sorted(p.name for p in (work / "examples").iterdir() if p.suffix in (".png", ".pdf", ".svg"))
    assert not saved, f"examples saved figure files themselves: {saved}"
