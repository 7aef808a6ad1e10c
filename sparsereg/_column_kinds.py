"""The kind of values a pandas column holds, as the file readers name a column's kind."""


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
