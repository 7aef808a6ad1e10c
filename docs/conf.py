"""Sphinx configuration of the sparsereg documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (every warning is an error);
``tests/test_docs.py`` runs exactly that. The gallery (``../examples``) is executed at build time.
"""

import os
import sys
import warnings
from pathlib import Path

import sparsereg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # gallery_argv

project = "sparsereg"
author = "the sparsereg developers"
copyright = "2026, the sparsereg developers"
release = sparsereg.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "sg_execution_times.rst",
]
default_role = "literal"  # `x` in a docstring is code, not a broken cross-reference
nitpicky = False

# -- autodoc / autosummary / numpydoc -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks = {"GL08"}  # every public object has a docstring
numpydoc_validation_exclude = {r"\.__init__$", r"\.set_\w+_request$", r"\.get_metadata_routing$"}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
}
# The build must not depend on the network: intersphinx inventories are fetched only on request.
if not os.environ.get("SPARSEREG_DOCS_INTERSPHINX"):
    intersphinx_mapping = {}

# -- sphinx-gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*.py
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sparsereg",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sparsereg": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "reset_argv": "gallery_argv.reset_argv",
}

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sparsereg {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "auto_examples/index": []}
html_static_path = []
html_show_sourcelink = False

# matplotlib, run by the gallery, must not try to open a window
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg", category=UserWarning)


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """scikit-learn's generated ``set_*_request`` methods are documented by scikit-learn."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
