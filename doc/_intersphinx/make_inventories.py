"""Write the small offline intersphinx inventories ``numpy.inv``, ``scipy.inv``, ``sklearn.inv``.

``doc/conf.py`` tries each project's online ``objects.inv`` first and falls back to the file
written here, so that a build without network (CI) still resolves the cross-references this
documentation uses and emits no warning (Sphinx logs a failed location only at info level when
another location of the same project works).

Each file is a Sphinx version 2 inventory: four header lines, then zlib-compressed lines
``name domain:role priority uri dispname``. In ``uri`` a trailing ``$`` stands for ``name``;
``dispname`` ``-`` means ``name``. The URIs are relative to the project's base URL in
``conf.py`` and follow the layout of the projects' own sites (checked against their published
inventories). Add a line here when the docs start referencing a new object, then run::

    python doc/_intersphinx/make_inventories.py
"""

import os
import zlib

# project -> (version, [(name, domain:role, uri[, dispname]), ...])
INVENTORIES = {
    "numpy": ("2.4", [
        ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$"),
        ("numpy.inf", "py:data", "reference/constants.html#$"),
        ("numpy.random.RandomState", "py:class", "reference/random/legacy.html#$"),
        ("numpy.random.Generator", "py:class", "reference/random/generator.html#$"),
        ("numpy.random.default_rng", "py:function", "reference/random/generator.html#$"),
        ("numpy.random.seed", "py:function", "reference/random/generated/numpy.random.seed.html#$"),
        ("numpy.logspace", "py:function", "reference/generated/numpy.logspace.html#$"),
        ("array_like", "std:term", "glossary.html#term-array_like"),
    ]),
    "scipy": ("1.17", [
        ("scipy.sparse.csr_matrix", "py:class", "reference/generated/scipy.sparse.csr_matrix.html#$"),
        ("scipy.sparse.csr_array", "py:class", "reference/generated/scipy.sparse.csr_array.html#$"),
        ("scipy.sparse.issparse", "py:function", "reference/generated/scipy.sparse.issparse.html#$"),
        ("scipy.optimize.minimize", "py:function", "reference/generated/scipy.optimize.minimize.html#$"),
        ("scipy.special.logsumexp", "py:function", "reference/generated/scipy.special.logsumexp.html#$"),
        ("scipy.special.roots_jacobi", "py:function",
         "reference/generated/scipy.special.roots_jacobi.html#$"),
    ]),
    "sklearn": ("1.9", [
        ("sklearn.base.BaseEstimator", "py:class", "modules/generated/sklearn.base.BaseEstimator.html#$"),
        ("sklearn.base.ClassifierMixin", "py:class",
         "modules/generated/sklearn.base.ClassifierMixin.html#$"),
        ("sklearn.base.TransformerMixin", "py:class",
         "modules/generated/sklearn.base.TransformerMixin.html#$"),
        ("sklearn.pipeline.Pipeline", "py:class", "modules/generated/sklearn.pipeline.Pipeline.html#$"),
        ("sklearn.pipeline.make_pipeline", "py:function",
         "modules/generated/sklearn.pipeline.make_pipeline.html#$"),
        ("sklearn.model_selection.GridSearchCV", "py:class",
         "modules/generated/sklearn.model_selection.GridSearchCV.html#$"),
        ("sklearn.model_selection.cross_val_score", "py:function",
         "modules/generated/sklearn.model_selection.cross_val_score.html#$"),
        ("sklearn.model_selection.train_test_split", "py:function",
         "modules/generated/sklearn.model_selection.train_test_split.html#$"),
        ("sklearn.linear_model.LogisticRegression", "py:class",
         "modules/generated/sklearn.linear_model.LogisticRegression.html#$"),
        ("sklearn.linear_model.SGDClassifier", "py:class",
         "modules/generated/sklearn.linear_model.SGDClassifier.html#$"),
        ("sklearn.svm.LinearSVC", "py:class", "modules/generated/sklearn.svm.LinearSVC.html#$"),
        ("sklearn.neural_network.MLPClassifier", "py:class",
         "modules/generated/sklearn.neural_network.MLPClassifier.html#$"),
        ("sklearn.metrics.make_scorer", "py:function",
         "modules/generated/sklearn.metrics.make_scorer.html#$"),
        ("sklearn.metrics.accuracy_score", "py:function",
         "modules/generated/sklearn.metrics.accuracy_score.html#$"),
        ("sklearn.datasets.load_digits", "py:function",
         "modules/generated/sklearn.datasets.load_digits.html#$"),
        ("sklearn.datasets.fetch_openml", "py:function",
         "modules/generated/sklearn.datasets.fetch_openml.html#$"),
        ("sklearn.datasets.make_moons", "py:function",
         "modules/generated/sklearn.datasets.make_moons.html#$"),
        ("sklearn.preprocessing.MinMaxScaler", "py:class",
         "modules/generated/sklearn.preprocessing.MinMaxScaler.html#$"),
        ("sklearn.utils.check_random_state", "py:function",
         "modules/generated/sklearn.utils.check_random_state.html#$"),
        ("random_state", "std:term", "glossary.html#term-random_state"),
        # the inherited ``score`` docstring of scikit-learn classifiers refers to this label
        ("accuracy_score", "std:label", "modules/model_evaluation.html#accuracy-score",
         "Accuracy score"),
    ]),
}


def inventory_bytes(project, version, entries):
    """Return the bytes of a Sphinx v2 ``objects.inv`` listing ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for name, role, uri, *dispname in sorted(entries):
        priority = -1 if role == "std:label" else 1  # labels are not searchable objects
        lines.append(f"{name} {role} {priority} {uri} {dispname[0] if dispname else '-'}\n")
    lines = "".join(lines)
    return header.encode("utf-8") + zlib.compress(lines.encode("utf-8"), 9)


def main(directory=None):
    """Write one ``<project>.inv`` per entry of :data:`INVENTORIES` into ``directory``."""
    directory = directory or os.path.dirname(os.path.abspath(__file__))
    paths = []
    for project, (version, entries) in INVENTORIES.items():
        path = os.path.join(directory, f"{project}.inv")
        with open(path, "wb") as f:
            f.write(inventory_bytes(project, version, entries))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in main():
        print("wrote", p)
