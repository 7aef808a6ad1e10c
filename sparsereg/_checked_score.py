"""``score`` refusing ``y`` and ``sample_weight`` as ``fit`` refuses them: scikit-learn's
``score`` takes them through ``np.asarray``, which drops a mask (the masked values were
scored), and its metrics read text weights as the numbers they spell."""

import numpy as np
from sklearn.base import is_classifier

from ._missing import refuse_masked
from ._typing import ArrayLike, MatrixLike
from ._validation import refuse_beyond_float64, refuse_non_number_values


class CheckedScore:
    """A ``score`` that checks ``y`` and ``sample_weight``, then is scikit-learn's (before
    ``ClassifierMixin`` or ``RegressorMixin`` in a class's bases)."""

    def score(self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean accuracy (a classifier) or R² (a regressor) of ``predict(X)`` against ``y``,
        as scikit-learn's ``score``.

        ``y`` and ``sample_weight`` are refused as ``fit`` refuses them: masked arrays
        (``TypeError``), and weights, or a regressor's ``y``, of text, dates or durations
        (``ValueError``), and an int beyond float64 (``10**400``) among them (``ValueError``);
        a regressor's ``y`` holding NaN or infinity, and a weight that is NaN, infinite or
        negative, are a ``ValueError`` naming them (scikit-learn's metrics score a negative
        weight: an accuracy of 2.0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels or values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy or R² of ``predict(X)``.
        """
        check_score_inputs(y, sample_weight, type(self).__name__, is_classifier(self))
        return super().score(X, y, sample_weight=sample_weight)


def check_score_inputs(y, sample_weight, who, classifier):
    """Refuse ``y`` and ``sample_weight`` of a score as ``fit`` refuses them (above)."""
    refuse_masked(y, "y", who)
    refuse_masked(sample_weight, "sample_weight", who)
    refuse_non_number_values(sample_weight, "sample_weight", who)
    refuse_beyond_float64(sample_weight, "sample_weight")
    refuse_bad_weights(sample_weight, len(y) if hasattr(y, "__len__") else None)
    if not classifier:
        refuse_non_number_values(y, "y", who)
        refuse_beyond_float64(y, "y")
        _refuse_non_finite(y)


def refuse_bad_weights(sample_weight, n_rows=None):
    """A NaN, infinite or negative weight, as ``fit`` refuses them (scikit-learn's metrics
    refuse NaN and infinity, and score a negative weight: an accuracy of 2.0). Weights of
    another length than ``n_rows`` (and complex ones) are left to scikit-learn's checks,
    which name that first."""
    if sample_weight is None:
        return
    try:
        values = np.asarray(sample_weight)
        if values.dtype.kind == "c" or (n_rows is not None and len(values) != n_rows):
            return
        values = values.astype(np.float64)
    except (TypeError, ValueError):  # (a ragged list: scikit-learn's checks name it)
        return
    if np.isnan(values).any():  # (fit's words, scikit-learn's)
        raise ValueError("Input sample_weight contains NaN.")
    if np.isinf(values).any():
        raise ValueError(
            "Input sample_weight contains infinity or a value too large for dtype('float64')."
        )
    if (values < 0).any():
        raise ValueError("Negative values in data passed to `sample_weight`.")


def _refuse_non_finite(y):
    """Name ``y`` for a NaN or an infinity in a regressor's ``y``, as ``fit`` does
    (scikit-learn's R² said "Input contains NaN")."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):  # (a ragged list: scikit-learn's checks name it)
        return
    if not np.isfinite(values).all():
        raise ValueError("Input y contains NaN or infinity (None in an object y is NaN).")
