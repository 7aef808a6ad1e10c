"""The decision function of a linear model, shared by the estimators and their export.

The FTRL estimators and an :class:`~sparsereg.export.ExportedLinearModel` exported
from them both score rows with :meth:`LinearWeights.scores`: one compiled loop that
sums each row's products in float64, in the order of the row's entries. The
estimator holds every column's weight (dense store) or only the non-zero ones
(table store, export); the loop gives the same scores either way, so the export is
identical to the estimator without repeating its arithmetic.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._ftrl_fast import linear_scores
from ._state import sorted_union

_NO_COLUMNS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class LinearWeights:
    """Weights of ``n_models`` linear models in the layout the scoring loop reads.

    Attributes
    ----------
    weights : ndarray of shape (n_rows, n_models), float32 or float64
        Row ``j`` holds the weights of column ``columns[j]`` (or of column ``j``).
    columns : ndarray of int64, sorted, or None
        The column of each row of ``weights``; None when row ``j`` is column ``j``.
    intercept : ndarray of shape (n_models,)
    """

    weights: np.ndarray
    columns: np.ndarray | None
    intercept: np.ndarray

    @classmethod
    def from_coef(cls, coef, intercept):
        """From a dense ``(n_models, n_features)`` array, or a CSR matrix of the non-zeros."""
        if not sp.issparse(coef):
            return cls(np.ascontiguousarray(np.asarray(coef).T), None, np.asarray(intercept))
        coef = sp.csr_matrix(coef)
        columns = sorted_union([coef.indices])
        weights = np.zeros((columns.size, coef.shape[0]), dtype=coef.dtype)
        rows = np.repeat(np.arange(coef.shape[0]), np.diff(coef.indptr))
        weights[np.searchsorted(columns, coef.indices), rows] = coef.data
        return cls(weights, columns, np.asarray(intercept))

    def scores(self, X):
        """``X @ coef.T + intercept`` of shape (n_rows, n_models) for a validated CSR ``X``."""
        out = np.empty((X.shape[0], self.weights.shape[1]))
        listed = self.columns is not None
        linear_scores(X.data, X.indices, X.indptr, self.columns if listed else _NO_COLUMNS,
                      listed, self.weights, out)
        out += self.intercept
        return out
