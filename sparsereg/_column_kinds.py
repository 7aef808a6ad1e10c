"""The kind of values a pandas column holds, as the file readers name a column's kind, and the
warning of a DataFrame column that holds the other kind than a model was trained on."""

import os
import sys
import warnings


def values_kind(column):
    """'number', 'bool', 'text' or 'bytes' as a pandas Series' values are (a categorical's:
    its categories), 'numbers and text' for numbers beside text, None for no value or values
    of none of these (dates...)."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):  # (by type: pandas reads no value of some types)
        kind = _arrow_kind(dtype.pyarrow_dtype)
        return kind if kind is not None and column.count() else None
    if isinstance(dtype, pd.CategoricalDtype):
        values = column.cat.categories
        if len(values) == 0:
            return None
    elif column.isna().all():
        return None
    else:
        values = column
    kind = getattr(values.dtype, "kind", "O")
    if kind == "b":
        return "bool"
    if kind in "iuf":
        return "number"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return "text"
    if inferred == "bytes":
        return "bytes"
    if inferred == "boolean":
        return "bool"
    if inferred in ("integer", "floating", "decimal", "mixed-integer-float"):
        return "number"
    if inferred.startswith("mixed") and any(isinstance(v, str) for v in values):
        return "numbers and text"
    return None


def _arrow_kind(arrow_type):
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if getattr(pa.types, "is_string_view", lambda _: False)(arrow_type):
        return "text"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "bytes"
    return None


_DTYPE_OF_KIND = {"text": "str", "number": "float", "bool": "bool"}


def warn_of_other_kinds(X, kinds, trained_so, advice=""):
    """Warn of a DataFrame column that holds numbers where ``kinds`` say text, or text where
    they say numbers (a FeatureCrossHasher hashes 94110 and "94110" apart: every value of the
    column would miss the model's weights). ``trained_so`` says who took it as ``{trained}``;
    ``advice`` ends the message's advice."""
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is None or dtypes is None:
        return
    for name, dtype in zip(columns, dtypes):
        kind = kinds.get(name) if isinstance(name, str) else None
        if kind is None or (kind != "text" and getattr(dtype, "kind", "O") in "iufb"):
            continue  # (numbers for numbers: nothing to look at, on every call)
        held = values_kind(X[name])  # (bytes as text; text beside numbers misses such a model)
        held = None if held is None else "numbers" if held in ("number", "bool") else "text"
        if held is None or (held == "text") == (kind == "text"):
            continue
        trained = "text" if kind == "text" else "True or False" if kind == "bool" else "numbers"
        warnings.warn(
            f"X's column {name!r} holds {held} ({dtype}), but "
            + trained_so.format(trained=trained)
            + ": its hasher hashes 1 and '1' apart, so the column's values miss the model's "
            f"weights; convert it (pd.read_csv(..., dtype={{{name!r}: {_DTYPE_OF_KIND[kind]}}}))"
            f"{advice}.",
            UserWarning,
            stacklevel=_caller_level(),
        )


def _caller_level():
    """The ``stacklevel`` of the first caller outside sparsereg (the user's line)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
