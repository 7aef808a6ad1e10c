"""The kind of values a pandas column holds, as the file readers name a column's kind, and the
warning of a DataFrame column that holds the other kind than a model was trained on."""

import os
import sys
import warnings


def values_kind(column):
    """'number', 'bool', 'text', 'bytes' or 'datetime' as a pandas Series' values are (a
    categorical's: its categories), 'numbers and text' for numbers beside text, None for no
    value or values of none of these."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):  # (by type: pandas reads no value of some types)
        kind = arrow_kind(dtype.pyarrow_dtype)
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
    if kind == "M":
        return "datetime"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return "text"
    if inferred in ("datetime", "datetime64", "date"):
        return "datetime"
    if inferred == "bytes":
        return "bytes"
    if inferred == "boolean":
        return "bool"
    if inferred in ("integer", "floating", "decimal", "mixed-integer-float"):
        return "number"
    if inferred.startswith("mixed"):
        # (each scan stops at its first find; bytes beside strings are not told apart from
        # text: that would read every value of such a column on every call)
        if any(isinstance(v, str) for v in values):
            return "numbers and text"
        if any(isinstance(v, bytes) for v in values):  # (beside numbers: they miss the weights)
            return "bytes"
    return None


def dtype_kind(column):
    """The kind a pandas Series' dtype alone decides ('number', 'bool', 'text' or 'datetime';
    a categorical's by its categories' dtype), None where only values would tell (object): for
    the empty columns of a dask DataFrame's ``_meta``."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):
        kind = arrow_kind(dtype.pyarrow_dtype)
    elif isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        kind = None if categories is None else dtype_kind(pd.Series(categories))
    elif isinstance(dtype, pd.StringDtype):
        kind = "text"
    elif pd.api.types.is_bool_dtype(dtype):
        kind = "bool"
    elif pd.api.types.is_numeric_dtype(dtype):
        kind = "number"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        kind = "datetime"
    else:
        kind = None
    return kind if kind in ("number", "bool", "text", "datetime") else None


def arrow_kind(arrow_type):
    """The kind of the values of an Arrow type (a dictionary's: of its values), or None."""
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
    if any(
        getattr(pa.types, test, lambda _: False)(arrow_type)
        for test in ("is_binary", "is_large_binary", "is_fixed_size_binary", "is_binary_view")
    ):
        return "bytes"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "datetime"
    return None


# what a column of each kind holds, in the warning's words, and how pandas reads it so
_HELD = {"number": "numbers", "bool": "numbers", "text": "text", "bytes": "bytes"}
_HELD.update({"numbers and text": "text", "datetime": "dates"})
_TRAINED = {"text": "text", "number": "numbers", "bool": "True or False", "datetime": "dates"}
_READ_AS = {"text": "dtype={{{!r}: str}}", "number": "dtype={{{!r}: float}}"}
_READ_AS.update({"bool": "dtype={{{!r}: bool}}", "datetime": "parse_dates=[{!r}]"})


def warn_of_other_kinds(X, kinds, trained_so, advice=""):
    """Warn of a DataFrame column that holds numbers where ``kinds`` say text, text (or bytes)
    where they say numbers, or bytes where they say text (a FeatureCrossHasher hashes 94110,
    "94110" and b"94110" apart: every value of the column would miss the model's weights).
    ``trained_so`` says who took it as ``{trained}``; ``advice`` ends the message's advice."""
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is None or dtypes is None:
        return
    for name, dtype in zip(columns, dtypes):
        kind = kinds.get(name) if isinstance(name, str) else None
        numeric = getattr(dtype, "kind", "O")
        if (
            kind is None
            or kind in ("number", "bool")
            and numeric in "iufb"
            or kind == "datetime"
            and numeric == "M"
        ):
            continue  # (numbers for numbers: nothing to look at, on every call)
        held = _HELD.get(values_kind(X[name]))  # (text beside numbers misses such a model)
        if held is None or held == _HELD[kind]:
            continue
        if held == "bytes":  # (read from a binary column, say)
            how = _decoding(name, X[name], kind)
        else:
            how = f"convert it (pd.read_csv(..., {_READ_AS[kind].format(name)}))"
        warnings.warn(
            f"X's column {name!r} holds {held} ({dtype}), but "
            + trained_so.format(trained=_TRAINED[kind])
            + ": its hasher hashes 1, '1', b'1' and dates apart, so the column's values miss "
            f"the model's weights; {how}{advice}.",
            UserWarning,
            stacklevel=caller_level(),
        )


def _decoding(name, column, kind):
    """How to make a column of bytes the strings a model of ``kind`` was trained on."""
    import pandas as pd

    # (pandas' .str.decode makes any value but bytes NaN, and takes no Arrow column; Arrow's
    # cast takes its binary_view, which pandas' astype does not)
    if isinstance(column.dtype, pd.ArrowDtype):
        import pyarrow as pa

        view = getattr(pa.types, "is_binary_view", lambda _: False)(column.dtype.pyarrow_dtype)
        decode = (
            f"pd.Series(pa.array(X[{name!r}]).cast(pa.string()), index=X.index, "
            "dtype=pd.ArrowDtype(pa.string()))"
            if view
            else f"X[{name!r}].astype('string[pyarrow]')"
        )
    else:
        decode = f"X[{name!r}].map(lambda v: v.decode('utf-8') if isinstance(v, bytes) else v)"
    if kind == "text":
        return f"decode it ({decode}, or with the bytes' own encoding)"
    return f"decode it ({decode}), then convert it to {_TRAINED[kind]}"


def caller_level():
    """The ``stacklevel`` of the first caller outside sparsereg, scikit-learn and joblib (the
    user's line, not a Pipeline's, set_output's or the joblib Memory a Pipeline's fit calls
    its steps through)."""
    import joblib
    import sklearn

    packages = tuple(
        os.path.dirname(os.path.abspath(module.__file__)) + os.sep
        for module in (sys.modules[__package__], sklearn, joblib)
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(packages):
        frame, level = frame.f_back, level + 1
    return level
