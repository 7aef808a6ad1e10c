"""sparsereg: FTRL-Proximal linear models and hashed feature crosses for very wide sparse data."""

from ._merge import merge_ftrl_states
from .crosses import FeatureCrossHasher, expected_collision_rate
from .export import ExportedLinearModel, export_model, export_sizes, load_model
from .linear_model import SparseFTRLClassifier, SparseFTRLRegressor
from .model_selection import SparseFTRLClassifierCV, SparseFTRLRegressorCV
from .sparsity import SparsityReport, sparsity_report
from .weights import top_weights

__version__ = "0.1.0.dev0"

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
