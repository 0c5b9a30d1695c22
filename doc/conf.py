"""Sphinx configuration of the skentropic documentation."""

import os
import re
import sys

sys.path.insert(0, os.path.abspath(".."))

import skentropic  # noqa: E402

project = "skentropic"
author = "skentropic developers"
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
# SKENTROPIC_QUICK=0 is set. tests/test_docs.py builds with SKENTROPIC_PLOT_GALLERY=False
# (examples rendered, not executed) to keep the test suite short: tests/test_examples.py
# already runs every example in quick mode.
os.environ.setdefault("SKENTROPIC_QUICK", "1")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": os.environ.get("SKENTROPIC_PLOT_GALLERY", "True"),
    "download_all_examples": False,
    "remove_config_comments": True,
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


def setup(app):
    app.connect("autodoc-process-docstring", _escape_types, priority=400)


html_theme = "alabaster"
html_static_path = []
