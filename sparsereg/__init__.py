"""sparsereg: FTRL-Proximal linear models and hashed feature crosses for very wide sparse data."""

# The public names are imported on first use (PEP 562), not with the package: `python -m
# sparsereg` and the `sparsereg` script import the package before their first line runs, and
# a Ctrl-C in the second numpy and scikit-learn take to import ended in a traceback there.
import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0.dev0"

_SOURCE_OF = {
    "ExportedLinearModel": ".export",
    "FeatureCrossHasher": ".crosses",
    "SparseFTRLClassifier": ".linear_model",
    "SparseFTRLClassifierCV": ".model_selection",
    "SparseFTRLRegressor": ".linear_model",
    "SparseFTRLRegressorCV": ".model_selection",
    "SparsityReport": ".sparsity",
    "expected_collision_rate": ".crosses",
    "export_model": ".export",
    "export_sizes": ".export",
    "load_model": ".export",
    "merge_ftrl_states": "._merge",
    "sparsity_report": ".sparsity",
    "top_weights": ".weights",
}
# the modules `import sparsereg` imported (and so made attributes) when it imported every name
_SUBMODULES = {"crosses", "export", "linear_model", "model_selection", "sparsity", "weights"}

__all__ = [
    "ExportedLinearModel",
    "FeatureCrossHasher",
    "SparseFTRLClassifier",
    "SparseFTRLClassifierCV",
    "SparseFTRLRegressor",
    "SparseFTRLRegressorCV",
    "SparsityReport",
    "expected_collision_rate",
    "export_model",
    "export_sizes",
    "load_model",
    "merge_ftrl_states",
    "sparsity_report",
    "top_weights",
]

if TYPE_CHECKING:  # what type checkers and IDEs read
    from ._merge import merge_ftrl_states
    from .crosses import FeatureCrossHasher, expected_collision_rate
    from .export import ExportedLinearModel, export_model, export_sizes, load_model
    from .linear_model import SparseFTRLClassifier, SparseFTRLRegressor
    from .model_selection import SparseFTRLClassifierCV, SparseFTRLRegressorCV
    from .sparsity import SparsityReport, sparsity_report
    from .weights import top_weights


def __getattr__(name):
    if name in _SOURCE_OF:
        value = getattr(importlib.import_module(_SOURCE_OF[name], __name__), name)
        globals()[name] = value  # once: later lookups find it without this call
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
