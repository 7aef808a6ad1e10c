"""Sphinx configuration of the sparsereg documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (every warning is an error);
``tests/test_docs.py`` runs exactly that. The gallery (``../examples``) is executed at build time.
"""

import importlib
import inspect
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
# members inherited from sparsereg's own base classes (the state protocol, count_nonzero...) are
# the class's; those of scikit-learn's bases are left to scikit-learn (_skip_foreign_members)
autodoc_default_options = {"members": True, "inherited-members": True}
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


def _members_of_sparsereg(class_name):
    """The public methods and properties of a class that come from sparsereg's code, not from
    a base class of scikit-learn's (its ``get_params``, ``score``...) or of Python's."""
    module_name, _, name = class_name.rpartition(".")
    cls = getattr(importlib.import_module(module_name), name)
    members = []
    for member in dir(cls):
        owner = next((c for c in cls.__mro__ if member in vars(c)), None)
        generated = member.startswith("set_") and member.endswith("_request")  # by sklearn
        if not member.startswith("_") and owner and owner.__module__.startswith("sparsereg"):
            members.extend([] if generated else [member])
    return members


def _skip_foreign_members(app, what, name, obj, skip, options):
    """scikit-learn's members (its generated ``set_*_request`` methods included) are
    documented by scikit-learn."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    function = getattr(obj, "fget", obj)  # a property's getter
    if what == "class" and inspect.isroutine(function):
        if (getattr(function, "__module__", None) or "").split(".")[0] != "sparsereg":
            return True
    return None


# the class template lists these methods (a dict of names: a function would not be cached)
_PUBLIC_MODULES = ["sparsereg", "sparsereg.stream", "sparsereg.dask", "sparsereg.export"]
autosummary_context = {
    "sparsereg_members": {
        f"{module}.{name}": _members_of_sparsereg(f"{module}.{name}")
        for module in _PUBLIC_MODULES
        for name in importlib.import_module(module).__all__
        if isinstance(getattr(importlib.import_module(module), name), type)
    }
}


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
