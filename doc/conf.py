"""Sphinx configuration of the skentropic documentation."""

import os
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

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": os.environ.get("SKENTROPIC_PLOT_GALLERY", "True"),
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "alabaster"
html_static_path = []
