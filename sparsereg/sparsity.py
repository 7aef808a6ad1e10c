"""How sparse a fitted linear model is, and what its sparsity is worth in bytes.

:func:`sparsity_report` reads ``coef_`` of any fitted scikit-learn linear model
(``SGDClassifier``, ``Lasso``, ``LogisticRegression``, ... and sparsereg's FTRL
estimators), dense or CSR, when it is called: the numbers describe the model as it
is now, so they never go stale after ``partial_fit``.
"""

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import DTypeLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._state import sorted_distinct
from ._validation import csr_of_coef

__all__ = ["SparsityReport", "csr_nbytes", "sparsity_report"]

_INT32_MAX = np.iinfo(np.int32).max


def _format_bytes(n):
    if n is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} B" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024


def _percent(fraction):
    """``100 * fraction`` to two decimals, but never 0.00 or 100.00 for a fraction that is
    neither 0 nor 1 (1,500 non-zero weights of 2**25 are not "100.00 % exactly zero")."""
    text = f"{100 * fraction:.2f} %"
    if 0 < fraction < 1 and text in ("0.00 %", "100.00 %"):
        return "< 0.01 %" if fraction < 0.5 else "> 99.99 %"
    return text


def _join(counts):
    return ", ".join(f"{c:,}" for c in counts)


def csr_nbytes(n_rows: int, n_cols: int, nnz: int, dtype: DTypeLike) -> int:
    """Bytes of a CSR matrix with ``nnz`` stored values, as scipy would build it.

    ``data`` holds ``nnz`` values of ``dtype``; ``indices`` (``nnz``) and ``indptr``
    (``n_rows + 1``) are int32 while both ``nnz`` and ``n_cols`` fit in it, int64
    otherwise (scipy's rule).

    Parameters
    ----------
    n_rows : int
        Rows of the matrix (models, for a ``coef_``).
    n_cols : int
        Columns of the matrix (features).
    nnz : int
        Number of stored values.
    dtype : dtype-like
        Dtype of the values.

    Returns
    -------
    nbytes : int
        ``data.nbytes + indices.nbytes + indptr.nbytes``.

    Raises
    ------
    TypeError, ValueError
        If a count is not an int, is negative, or ``nnz`` exceeds ``n_rows * n_cols``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg.sparsity import csr_nbytes
    >>> csr_nbytes(1, 2**18, 100, np.float64)  # 100 * 8 + 100 * 4 + 2 * 4
    1208
    """
    for name, value in (("n_rows", n_rows), ("n_cols", n_cols), ("nnz", nnz)):
        # (a negative count gave negative bytes, a float a fractional one)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {value!r}.")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}.")
    # as Python ints: NumPy's products wrap (2**20 x 2**62 cells made 0, "exceeded" by 5)
    n_rows, n_cols, nnz = int(n_rows), int(n_cols), int(nnz)
    if nnz > n_rows * n_cols:
        raise ValueError(
            f"nnz={nnz} exceeds the {n_rows} x {n_cols} matrix's {n_rows * n_cols} cells."
        )
    index_size = 4 if max(nnz, n_cols) <= _INT32_MAX else 8
    return int(nnz * np.dtype(dtype).itemsize + (nnz + n_rows + 1) * index_size)


@dataclass(frozen=True)
class SparsityReport:
    """Sparsity statistics of a fitted linear model, as returned by :func:`sparsity_report`.

    Counts are per model: one model for a regressor or a binary classifier, one per
    class for a multiclass (one-vs-rest or multinomial) classifier, one per target
    for a multi-output regressor, i.e. one per row of a 2-D ``coef_``.

    Attributes
    ----------
    estimator : str
        Class name of the model described.
    n_models : int
        Rows of ``coef_`` (1 when ``coef_`` is 1-D).
    n_features : int
        Columns of ``coef_``.
    n_coefficients : int
        ``n_models * n_features``; intercepts are not counted.
    nonzero : tuple of int
        Non-zero coefficients of each model.
    nonzero_union : int
        Features with a non-zero coefficient in at least one model: the columns an
        exported model keeps.
    zero_fraction : float
        Fraction of the ``n_coefficients`` that are exactly 0.0.
    touched : tuple of int or None
        Features of each model that received a non-zero gradient in training
        (FTRL estimators only; None for models that do not keep that information).
    never_touched : int or None
        Features no model ever received a gradient for (no training row had them).
    touched_and_zero : tuple of int or None
        Features of each model that were touched in training but whose weight is
        exactly 0.0: the weights L1 removed (and, rarely, a weight too small for the
        dtype of ``coef_``, e.g. below 1.4e-45 in float32).
    coef_dtype : str
        Dtype of the stored coefficients.
    coef_format : {'dense', 'csr'}
        How ``coef_`` is held now (``'csr'`` after ``sparsify()``).
    coef_dense_bytes : int
        Bytes of ``coef_`` as a dense array of ``coef_dtype``.
    coef_csr_bytes : int
        Bytes of ``coef_`` as a CSR matrix of its non-zeros (data + indices +
        indptr, int32 indices where they fit).
    state_bytes : int or None
        Bytes of the training state that is not ``coef_`` (FTRL's ``z`` and ``n``,
        intercepts included); None for other models.

    See Also
    --------
    sparsity_report : Builds this report from a fitted model.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLRegressor, sparsity_report
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 20))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> report = sparsity_report(SparseFTRLRegressor(alpha=0.01, random_state=0).fit(X, y))
    >>> report.n_models, report.n_features, report.coef_format
    (1, 20, 'dense')
    >>> report.n_nonzero + report.touched_and_zero[0] == report.touched[0]
    True
    """

    estimator: str
    n_models: int
    n_features: int
    n_coefficients: int
    nonzero: tuple
    nonzero_union: int
    zero_fraction: float
    touched: tuple | None
    never_touched: int | None
    touched_and_zero: tuple | None
    coef_dtype: str
    coef_format: str
    coef_dense_bytes: int
    coef_csr_bytes: int
    state_bytes: int | None

    @property
    def n_nonzero(self):
        """Non-zero coefficients over all models (``sum(nonzero)``)."""
        return int(sum(self.nonzero))

    def _rows(self):
        per_model = self.n_models > 1
        nz = f"{self.n_nonzero:,} of {self.n_coefficients:,} ({_percent(self.zero_fraction)} exactly zero)"
        if per_model:
            nz += f"; per model {_join(self.nonzero)}; {self.nonzero_union:,} features in any model"
        rows = [("non-zero weights", nz)]
        if self.touched is not None:
            touched = f"{_join(self.touched)}" + (" per model" if per_model else "")
            rows.append(
                (
                    "features touched in training",
                    f"{touched}; never touched: {self.never_touched:,}",
                )
            )
            rows.append(
                (
                    "touched but zeroed by L1",
                    _join(self.touched_and_zero) + (" per model" if per_model else ""),
                )
            )
        ratio = self.coef_dense_bytes / max(self.coef_csr_bytes, 1)
        rows.append(
            (
                f"coef_ bytes ({self.coef_dtype}, held {self.coef_format})",
                f"{_format_bytes(self.coef_dense_bytes)} dense, "
                f"{_format_bytes(self.coef_csr_bytes)} as CSR ({ratio:,.1f}x)",
            )
        )
        if self.state_bytes is not None:
            rows.append(("training state (z, n)", _format_bytes(self.state_bytes)))
        return rows

    def __str__(self):
        rows = self._rows()
        width = max(len(name) for name, _ in rows)
        head = (
            f"Sparsity of {self.estimator} ({self.n_models} model"
            f"{'s' if self.n_models > 1 else ''} x {self.n_features:,} features)"
        )
        return "\n".join([head] + [f"  {name:<{width}} : {value}" for name, value in rows])

    def _repr_html_(self):
        from html import escape

        cells = "".join(
            f"<tr><th style='text-align:left'>{escape(name)}</th>"
            f"<td style='text-align:left'>{escape(value)}</td></tr>"
            for name, value in self._rows()
        )
        return (
            f"<table><caption>Sparsity of {escape(self.estimator)} ({self.n_models} x "
            f"{self.n_features:,})</caption>{cells}</table>"
        )


@dataclass(frozen=True)
class FTRLCounts:
    """What an FTRL estimator's training state adds to its report (see :class:`SparsityReport`)."""

    touched: tuple
    touched_union: int
    state_bytes: int


def _final_step(estimator):
    # a Pipeline is described by its last step, the linear model
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def sparsity_report(estimator: BaseEstimator) -> "SparsityReport":
    """Count the non-zero weights of a fitted linear model and what they cost in bytes.

    Works on any fitted estimator with a ``coef_`` (dense or scipy sparse, 1-D or
    2-D), e.g. ``SGDRegressor``, ``SGDClassifier``, ``Lasso``,
    ``LogisticRegression``, :class:`~sparsereg.SparseFTRLClassifier`, or a
    ``Pipeline`` ending in one, so that benchmarks compare like with like. The
    FTRL estimators also report which features training touched and their
    training-state size (their own ``sparsity_report()``). Everything is computed
    from the model's current state when called.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted linear model (the last step of a Pipeline is used).

    Returns
    -------
    report : SparsityReport
        A frozen dataclass; ``print(report)`` gives a readable summary, and
        Jupyter shows it as a table.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If the estimator has no ``coef_``.

    See Also
    --------
    sparsereg.export_model : Keep only the non-zero weights, for serving.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Lasso
    >>> from sparsereg.sparsity import sparsity_report
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 50))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> report = sparsity_report(Lasso(alpha=0.1).fit(X, y))
    >>> report.nonzero, report.zero_fraction
    ((2,), 0.96)
    >>> report.coef_dense_bytes, report.coef_csr_bytes  # 50 * 8 vs 2 * (8 + 4) + 2 * 4
    (400, 32)
    >>> print(report)
    Sparsity of Lasso (1 model x 50 features)
      non-zero weights                  : 2 of 50 (96.00 % exactly zero)
      coef_ bytes (float64, held dense) : 400 B dense, 32 B as CSR (12.5x)
    """
    from ._base import _BaseFTRL  # the estimators import this module
    from .model_selection import _BaseFTRLCV

    estimator = _final_step(estimator)
    if isinstance(estimator, _BaseFTRLCV):
        return estimator.sparsity_report()
    if isinstance(estimator, _BaseFTRL):
        return estimator.sparsity_report()
    if hasattr(estimator, "fit"):  # an exported model has nothing to fit
        check_is_fitted(estimator)
    if not hasattr(estimator, "coef_"):
        # (a fitted search's chosen model is its best_estimator_, as export_model says)
        chosen = (
            f"; report its chosen model: sparsity_report({type(estimator).__name__}"
            "(...).fit(X, y).best_estimator_)"
            if hasattr(estimator, "best_estimator_")
            else ""
        )
        raise TypeError(
            f"{type(estimator).__name__} has no coef_: sparsity_report describes "
            f"linear models (SGDClassifier, Lasso, SparseFTRLRegressor, ...){chosen}."
        )
    return coef_report(estimator.coef_, type(estimator).__name__)


def real_coef(coef, name):
    """``coef`` (a sparse matrix, else as an array) once it is 1-D or 2-D and of real numbers.

    (A complex one was listed by ``top_weights`` as weights of 0.0, or counted as a CSR of
    complex numbers; others failed in scipy with messages naming neither coef_ nor the model.)
    """
    if not sp.issparse(coef):
        coef = np.asarray(coef)
    if coef.ndim not in (1, 2) or coef.dtype.kind not in "biuf":
        raise ValueError(
            f"{name}'s coef_ must be a 1-D or 2-D array of real numbers; got "
            f"{coef.dtype} of shape {coef.shape}."
        )
    return coef


def coef_report(coef, name, ftrl=None):
    """The :class:`SparsityReport` of a ``coef_`` (dense or sparse), with ``ftrl``'s counts if given."""
    coef = real_coef(coef, name)
    if sp.issparse(coef):
        # a copy, summing duplicates is safe; one row for a 1-D one (SGDRegressor.sparsify()'s
        # CSR of one dimension, which scipy neither reshapes nor converts)
        coef = csr_of_coef(coef)
        coef.sum_duplicates()
        n_models, n_features = coef.shape
        stored = coef.data != 0
        rows = np.repeat(np.arange(n_models), np.diff(coef.indptr))
        nonzero = np.bincount(rows[stored], minlength=n_models)
        union = sorted_distinct(coef.indices[stored]).size
        dtype, fmt = coef.dtype, "csr"
    else:
        coef2d = coef.reshape(1, -1) if coef.ndim == 1 else coef
        n_models, n_features = coef2d.shape
        mask = coef2d != 0
        nonzero = mask.sum(axis=1)
        union = int(mask.any(axis=0).sum())
        dtype, fmt = coef.dtype, "dense"

    n_coef = n_models * n_features
    n_nonzero = int(nonzero.sum())
    return SparsityReport(
        estimator=name,
        n_models=int(n_models),
        n_features=int(n_features),
        n_coefficients=int(n_coef),
        nonzero=tuple(int(c) for c in nonzero),
        nonzero_union=int(union),
        zero_fraction=float((n_coef - n_nonzero) / n_coef) if n_coef else 0.0,
        touched=None if ftrl is None else ftrl.touched,
        never_touched=None if ftrl is None else int(n_features - ftrl.touched_union),
        # every weight that is not 0 was touched (|z| > lambda1 >= 0): the touched others are
        # 0 in coef_, removed by L1 or, rarely, too small for coef_'s dtype
        touched_and_zero=(
            None if ftrl is None else tuple(t - int(c) for t, c in zip(ftrl.touched, nonzero))
        ),
        coef_dtype=str(np.dtype(dtype)),
        coef_format=fmt,
        coef_dense_bytes=int(n_coef * np.dtype(dtype).itemsize),
        coef_csr_bytes=csr_nbytes(n_models, n_features, n_nonzero, dtype),
        state_bytes=None if ftrl is None else ftrl.state_bytes,
    )
