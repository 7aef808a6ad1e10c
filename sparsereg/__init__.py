"""sparsereg: FTRL-Proximal linear models and hashed feature crosses for very wide sparse data."""

from .linear_model import SparseFTRLClassifier, SparseFTRLRegressor

__version__ = "0.1.0.dev0"

__all__ = ["SparseFTRLClassifier", "SparseFTRLRegressor"]
