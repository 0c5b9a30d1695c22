"""Sphinx configuration of the skentropic documentation."""

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import sphinx_gallery

sys.path.insert(0, os.path.abspath(".."))

import skentropic  # noqa: E402

project = "skentropic"
author = "skentropic developers"
copyright = "skentropic developers"
release = skentropic.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]

# Each project is tried online first, then through a small inventory committed in
# _intersphinx/ (written by _intersphinx/make_inventories.py) so that offline builds with
# -W still resolve the cross-references this documentation uses.
_targets = {
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "sklearn": "https://scikit-learn.org/stable/",
}
intersphinx_mapping = {
    name: (url, (None, os.path.join("_intersphinx", f"{name}.inv")))
    for name, url in _targets.items()
}
intersphinx_timeout = 5

# The gallery runs every example in its quick mode (under a minute each on two cores) unless
# SKENTROPIC_QUICK=0 is set; SKENTROPIC_PLOT_GALLERY=False renders the pages without running
# them. tests/test_docs.py builds a copy of doc/ and examples/ with the gallery executed and
# checks the figures in the HTML, which is also the test that every example runs.
os.environ.setdefault("SKENTROPIC_QUICK", "1")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": os.environ.get("SKENTROPIC_PLOT_GALLERY", "True"),
    "download_all_examples": False,
    "remove_config_comments": True,
    # each figure is captured by the matplotlib scraper at the size the example gives it,
    # and at twice its resolution for high-density screens
    "image_scrapers": ("matplotlib",),
    "image_srcset": ["2x"],
    "min_reported_time": 1,
}

# numpydoc prints the type after "name :" as reST, so the scikit-learn convention
# ``ndarray of shape (n_features_in_,)`` would read ``n_features_in_`` as a link target and
# ``(*n_bins_, ...)`` as the start of emphasis. Escape those two characters in type
# specifications (before numpydoc parses the docstring) rather than in every docstring.
_PARAM_LINE = re.compile(r"^(\s*[A-Za-z_*][\w, *]* : )([^`]+)$")


def _escape_types(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match:
            spec = re.sub(r"(?<=\w)_(?!\w)", r"\\_", match.group(2)).replace("*", r"\*")
            lines[i] = match.group(1) + spec


# MathJax renders the formulas in the browser. With the package sphinx-mathjax-offline
# installed (the docs and test extras), the site carries its own copy of MathJax 3 (the
# TeX-to-HTML component, its fonts and the parts it loads on demand, about 8 MB), so
# formulas render without network; without it Sphinx's default loads MathJax from a CDN.
_MATHJAX_PACKAGE = importlib.util.find_spec("sphinx-mathjax-offline")
_MATHJAX_PARTS = ("tex-chtml.js", "a11y", "adaptors", "input", "output/chtml", "sre", "ui")
if _MATHJAX_PACKAGE is not None:
    mathjax_path = "mathjax/tex-chtml.js"  # relative to _static


def _copy_mathjax(app, exc):
    if exc is not None or _MATHJAX_PACKAGE is None or app.builder.format != "html":
        return
    source = Path(_MATHJAX_PACKAGE.origin).parent / "static" / "mathjax"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in _MATHJAX_PARTS:
        (target / part).parent.mkdir(parents=True, exist_ok=True)
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            shutil.copy2(source / part, target / part)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_types, priority=400)
    app.connect("build-finished", _copy_mathjax)


# pydata-sphinx-theme, as scikit-learn and most scikit-learn-contrib projects: the top bar
# lists the pages of the root toctree, the left sidebar the current section, the right one
# the page's table of contents. There is no logo image and no hosted repository, so the
# project name stands in the top bar and there is no "Edit on ..." link.
html_theme = "pydata_sphinx_theme"
html_title = f"skentropic {release}"
html_static_path = ["_static"]
html_css_files = ["skentropic.css"]
html_show_sourcelink = False
html_copy_source = False
# The left sidebar lists the pages below the current one: only the API reference has such
# pages. Elsewhere it would stand empty (or repeat the gallery's thumbnails) and narrow the
# text column, which the figures and 88-character code lines of the examples need.
_EXAMPLES = sorted(Path(__file__).parent.joinpath("..", "examples").glob("plot_*.py"))
_EXAMPLE_PAGES = [f"auto_examples/{path.stem}" for path in _EXAMPLES]
html_sidebars = {page: [] for page in ["index", "install", "quickstart", "user_guide", "scaling",
                                       "benchmarks", "auto_examples/index", *_EXAMPLE_PAGES]}
# example pages list their download links beside the page's table of contents, with the
# component that recent sphinx-gallery versions ship for this theme
_GALLERY_SIDEBAR = ["page-toc"]
if (Path(sphinx_gallery.__file__).parent / "components" / "sg_download_links.html").is_file():
    _GALLERY_SIDEBAR.append("sg_download_links")
html_theme_options = {
    "logo": {"text": "skentropic"},
    "navbar_align": "left",
    "header_links_before_dropdown": 7,
    "navbar_end": ["version-label", "theme-switcher"],
    "use_edit_page_button": False,
    "show_toc_level": 2,
    # example pages by name: the theme warns when two wildcard patterns match a page
    "secondary_sidebar_items": {
        "**": ["page-toc"],
        **{page: _GALLERY_SIDEBAR for page in _EXAMPLE_PAGES},
        "index": [],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
templates_path = ["_templates"]
