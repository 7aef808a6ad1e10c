"""Missing targets and labels (None, NaN, pandas.NA) in object arrays, found before
scikit-learn's checks: its NaN check of an object ``y`` compares each value with itself, and
``pandas.NA == pandas.NA`` is NA, whose truth raises pandas' "boolean value of NA is
ambiguous", which names neither ``y`` nor the row."""

import sys

import numpy as np


def is_missing(value):
    """Whether a label is None, NaN (or NaT) or pandas.NA."""
    if value is None:
        return True
    pandas = sys.modules.get("pandas")  # no pandas.NA can exist before pandas is imported
    if pandas is not None and value is pandas.NA:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # a value that does not compare as a scalar
        return False


def refuse_pandas_na(y, name="y"):
    """Raise a ``ValueError`` naming the first row of an object ``y`` (array, Series or list)
    that holds pandas.NA; anything else is left to scikit-learn's checks."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return
    if isinstance(y, (list, tuple)):
        values = y
    elif getattr(y, "dtype", None) == np.dtype(object) and getattr(y, "ndim", 0) == 1:
        values = np.asarray(y).tolist()
    else:
        return
    for row, value in enumerate(values):
        if value is pandas.NA:
            raise ValueError(
                f"{name} holds pandas.NA (a missing value) at row {row}: drop or fill the rows "
                "whose target is missing."
            )
