"""sparsereg: FTRL-Proximal linear models and hashed feature crosses for very wide sparse data."""

from .crosses import FeatureCrossHasher, expected_collision_rate
from .linear_model import SparseFTRLClassifier, SparseFTRLRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "FeatureCrossHasher",
    "SparseFTRLClassifier",
    "SparseFTRLRegressor",
    "expected_collision_rate",
]
