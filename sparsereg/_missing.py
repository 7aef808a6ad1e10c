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


def missing_mask(values):
    """`is_missing` of each item of an object array (flattened), without a loop in Python:
    pandas' compiled isna once pandas is imported, else NumPy's comparisons (a loop only for
    values that do not compare as scalars)."""
    flat = np.asarray(values, dtype=object).ravel()
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        return np.asarray(pandas.isna(flat), dtype=bool)
    try:
        return np.asarray(np.equal(flat, None) | (flat != flat), dtype=bool)
    except (TypeError, ValueError):
        return np.fromiter(map(is_missing, flat.tolist()), dtype=bool, count=flat.size)


def refuse_pandas_na(y, name="y"):
    """Raise a ``ValueError`` naming the first row of a ``y`` of objects (a list, an object
    array of any shape, a Series or one-column DataFrame of objects or of pandas' strings)
    that holds pandas.NA; anything else is left to scikit-learn's checks (which turn the NA
    of a numeric nullable column into NaN and say so)."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return
    if not isinstance(y, (list, tuple)):
        dtypes = list(y.dtypes) if hasattr(y, "columns") else [getattr(y, "dtype", None)]
        kinds = [getattr(d, "kind", None) for d in dtypes]
        if "O" not in kinds:  # (pandas' "string" and object columns are of kind "O")
            return
    try:
        values = np.asarray(y, dtype=object)
    except ValueError:  # a ragged list: scikit-learn's checks say so
        return
    flat = values.ravel()
    # pandas' compiled isna finds the few candidates (NA, None, NaN...): no loop over the rows
    cells = [c for c in np.flatnonzero(pandas.isna(flat)).tolist() if flat[c] is pandas.NA]
    if cells:
        per_row = max(int(np.prod(values.shape[1:])), 1) if values.ndim > 1 else 1
        raise ValueError(
            f"{name} holds pandas.NA (a missing value) at row {cells[0] // per_row}: drop or "
            "fill the rows whose target is missing."
        )


def refuse_masked(value, name, who):
    """Raise a ``TypeError`` for a NumPy masked array given as ``name`` to ``who``:
    scikit-learn's checks (``np.asarray``) drop the mask, so each masked entry was trained on
    or scored as the value it hides (a hidden 1e6 in ``X`` made the model's weights, a hidden
    label a class)."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{who} does not take a masked array as {name}: its masked entries would be read "
            f"as the values they hide; fill them ({name}.filled(...)) or drop them first."
        )
