"""Tokens of one input column: a 64-bit hash and a readable label per row.

Categorical columns give one token per distinct value; numeric columns listed
in ``buckets`` are first cut into buckets by a `Buckets` spec, and give one
token per bucket id.
"""

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import _hashing, _int_buckets
from ._state import sorted_distinct

MISSING_LABEL = "<missing>"


def _format_degrees(value):
    sign = "-" if value < 0 else ""
    seconds = round(abs(value) * 3600.0, 3)
    d, rest = divmod(seconds, 3600.0)
    m, s = divmod(rest, 60.0)
    text = f"{sign}{int(d)}°{int(m):02d}'"
    if s >= 0.0005:
        text += f'{s:02.3g}"'
    return text


class Buckets:
    """A validated bucket spec: fixed width from an origin, or explicit edges."""

    _NOT_EDGES = (
        "buckets[{key!r}]: edges must be a non-empty 1-D list of finite, strictly increasing "
        "numbers."
    )

    def __init__(self, key, spec):
        self.fmt = None
        width = edges = None
        origin = 0.0
        if isinstance(spec, numbers.Real) and not isinstance(spec, (bool, np.bool_)):
            width = spec
        elif isinstance(spec, dict):
            unknown = set(spec) - {"width", "origin", "edges", "format"}
            if unknown:
                raise ValueError(
                    f"buckets[{key!r}] has unknown keys {sorted(map(str, unknown))}; "
                    "use 'width' (and 'origin') or 'edges', and optionally 'format'."
                )
            if ("width" in spec) == ("edges" in spec):
                raise ValueError(f"buckets[{key!r}] needs exactly one of 'width' or 'edges'.")
            width, edges = spec.get("width"), spec.get("edges")
            origin = spec.get("origin", 0.0)
            if edges is not None and "origin" in spec:
                raise ValueError(f"buckets[{key!r}]: 'origin' only applies to 'width'.")
            self.fmt = spec.get("format")
        elif isinstance(spec, (list, tuple, np.ndarray)):
            edges = spec
        else:
            raise TypeError(
                f"buckets[{key!r}] must be a width (float), a list of edges, or a dict "
                f"with 'width'/'origin' or 'edges'; got {type(spec).__name__}."
            )
        if width is not None:
            w = _hashing.finite_float(width)
            if w is None or w <= 0:
                raise ValueError(
                    f"buckets[{key!r}]: width must be a finite number > 0, got "
                    f"{_hashing.short_repr(width)}."
                )
            o = _hashing.finite_float(origin)
            if o is None:
                raise ValueError(
                    f"buckets[{key!r}]: origin must be a finite number, got "
                    f"{_hashing.short_repr(origin)}."
                )
            self.width, self.origin, self.edges = w, o, None
            exact = _int_buckets.whole(width), _int_buckets.whole(origin)
            # integers are bucketed exactly by a whole width from a whole origin
            self.int_width, self.int_origin = exact if None not in exact else (None, None)
        else:
            try:
                e = np.asarray(edges, dtype=np.float64)
            except OverflowError as exc:  # an int such as 10**400: beyond float64
                raise ValueError(
                    f"buckets[{key!r}]: edges must be finite numbers (within float64's range)."
                ) from exc
            except (TypeError, ValueError) as exc:
                raise ValueError(f"buckets[{key!r}]: edges must be numbers.") from exc
            if e.ndim != 1 or e.size == 0 or not np.all(np.isfinite(e)):
                raise ValueError(self._NOT_EDGES.format(key=key))
            # compared exactly: a float with each edge rounded up to a float64, an int with
            # each edge's ceiling
            if np.all(np.abs(e) < 2.0**53):  # every edge is its float64 (an int too)
                increasing = bool(np.all(np.diff(e) > 0))
                self.float_edges, self.int_edges = e, np.ceil(e).astype(np.int64)
            else:  # an int edge is that int (2**63, not 2.0**63), any other its float64
                items = edges.tolist() if isinstance(edges, np.ndarray) else edges
                exact = [
                    int(v) if isinstance(v, numbers.Integral) else float(f)
                    for v, f in zip(items, e)
                ]
                increasing = all(a < b for a, b in zip(exact, exact[1:]))
                self.float_edges = np.array([_int_buckets.rounded_up(v) for v in exact])
                self.int_edges = [v if isinstance(v, int) else math.ceil(v) for v in exact]
            if not increasing:
                raise ValueError(self._NOT_EDGES.format(key=key))
            self.width, self.origin, self.edges = None, None, e
        if not (self.fmt is None or self.fmt in ("interval", "deg") or callable(self.fmt)):
            raise ValueError(
                f"buckets[{key!r}]: format must be 'interval', 'deg' or a callable "
                f"(lower, upper) -> str; got {self.fmt!r}."
            )

    def exact_for_integers(self):
        """Whether integer values are bucketed in integer arithmetic (edges, a whole width)."""
        return self.edges is not None or self.int_width is not None

    def ids(self, x):
        """``(ids, bad)``: int64 bucket ids of float64 ``x`` (NaN entries left for the caller to
        mask), and where a width gives no bucket id (infinite or too far from the origin)."""
        if self.edges is not None:
            ids = np.searchsorted(self.float_edges, x, side="right").astype(np.int64)
            return ids, np.zeros(x.shape, bool)
        with np.errstate(invalid="ignore", over="ignore"):
            q = np.floor((x - self.origin) / self.width)
        q[np.isnan(x)] = 0.0
        bad = ~(np.abs(q) < 2.0**62)
        q[bad] = 0.0
        return q.astype(np.int64), bad

    def integer_ids(self, values):
        """``(ids, bad)`` as `ids` of an int64 or uint64 array, exactly (`exact_for_integers`)."""
        if self.edges is not None:
            return _int_buckets.edge_ids(values, self.int_edges), np.zeros(values.shape, bool)
        return _int_buckets.width_ids(values, self.int_width, self.int_origin)

    def object_ids(self, ints):
        """``(ids, bad)`` as `ids` of a list of Python ints, exactly (`exact_for_integers`)."""
        if self.edges is not None:
            ids = [_int_buckets.object_id(v, thresholds=self.int_edges) for v in ints]
        else:
            ids = [_int_buckets.object_id(v, self.int_width, self.int_origin) for v in ints]
        bad = np.array([not -_int_buckets.ID_LIMIT < i < _int_buckets.ID_LIMIT for i in ids], bool)
        return np.array([0 if b else i for i, b in zip(ids, bad)], dtype=np.int64), bad

    def label(self, bucket):
        if self.edges is not None:
            lower = self.edges[bucket - 1] if bucket > 0 else -np.inf
            upper = self.edges[bucket] if bucket < self.edges.size else np.inf
        else:
            lower = self.origin + bucket * self.width
            upper = lower + self.width
        lower, upper = float(lower), float(upper)
        if callable(self.fmt):
            return str(self.fmt(lower, upper))
        # (degrees of |lower| > 5e304: its seconds are infinite, int() of them raised)
        if self.fmt == "deg" and math.isfinite(lower * 3600.0):
            return _format_degrees(lower)
        return f"[{lower:.6g}, {upper:.6g})"


class Column:
    """Token hashes of one input column, with what is needed to print its cells."""

    def __init__(self, tokens, missing, label, describe=None):
        self.tokens = tokens  # uint64 per row
        self.missing = missing  # bool per row, or None
        self.label = label  # row -> readable value
        self._describe = describe  # (column name, row) -> readable cell, when not name=label

    def describe(self, name, r):
        """Readable cell of row ``r`` in the column called ``name``."""
        if self._describe is not None:
            return self._describe(name, r)
        return f"{name}={self.label(r)}"


def _float_values(col, name, pd):
    """float64 values of a bucketed column (NaN for every kind of missing; an integer beyond
    float64's range is an infinity of its sign, as a float that large would be)."""
    if pd is not None and isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)  # the rows' values (a category no row uses is not read)
    kind = col.dtype.kind
    if kind in "fiub":
        return np.asarray(col, dtype=np.float64)
    ok = {"floating", "integer", "mixed-integer-float", "boolean", "decimal", "empty"}
    if pd is not None:
        if pd.api.types.infer_dtype(col, skipna=True) in ok:
            try:
                return pd.Series(col).to_numpy(dtype=np.float64, na_value=np.nan)
            # an int beyond float64, or Decimal('sNaN') (float() of it raises
            # InvalidOperation, an ArithmeticError): value by value below
            except ArithmeticError:
                pass
    elif kind == "O" and not any(isinstance(v, np.timedelta64) for v in col):
        values = np.where(np.equal(col, None), np.nan, col)
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            pass
    values = np.asarray(col, dtype=object)
    if kind == "O":  # real numbers of mixed types (True and 1.5), or ints beyond float64
        reals = _real_values(values, pd)
        if reals is not None:
            return reals
    example = (
        next((v for v in values if _not_a_number(v) and not _absent(v, pd)), None)
        if kind == "O"
        else values[0]
    )
    raise ValueError(
        f"column {name!r} is bucketed, so it must be numeric, but it holds "
        f"non-numeric values such as {_hashing.short_repr(example)} (dtype {col.dtype})."
    )


def _not_a_number(v):
    return not isinstance(v, numbers.Real) or isinstance(v, np.timedelta64)


def used_categories(col):
    """``(codes, categories)`` of a pandas Categorical column, restricted to the categories its
    rows use (one no row uses is neither read nor refused): ``codes`` index ``categories``,
    -1 where a row is missing."""
    codes, used = used_codes(np.asarray(col.cat.codes), len(col.cat.categories))
    return codes, col.cat.categories[used]


def used_codes(codes, n_categories):
    """``(codes, used)``: the positions ``used`` (ascending) of the categories that ``codes``
    (into ``n_categories`` categories, -1 where missing) use, and the codes renumbered to index
    ``used`` (-1 stays -1)."""
    if codes.size < 128 or n_categories > 4 * codes.size + 1024:
        # few rows, or many more categories than rows (a call of one row): by a sort of the
        # rows' codes, not a table as long as the categories (1M categories cost a 1-row call
        # ~1.2 ms more; 3 categories ~10 us more), even with it at ~100 rows
        present = codes >= 0
        used = sorted_distinct(codes[present])
        return np.where(present, np.searchsorted(used, codes), -1), used
    # each category's place among the used ones, looked up by code (np.unique of the codes
    # hashed them: 150 ms a million rows); the last slot is code -1's
    seen = np.zeros(n_categories + 1, dtype=bool)
    seen[codes] = True
    place = np.cumsum(seen) - 1
    place[-1] = -1
    return place[codes], np.flatnonzero(seen[:-1])


def _absent(value, pd):
    """Whether ``value`` is a missing value (None, NaN, NA, NaT)."""
    if value is None:
        return True
    if pd is not None:
        try:
            return bool(pd.isna(value))
        except (TypeError, ValueError):  # (an array-like value: not a missing scalar)
            return False
    return isinstance(value, float) and math.isnan(value)


def _real_values(values, pd):
    """float64 of an object array of real numbers and missing values (NaN), value by value;
    None if a value is neither."""
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if isinstance(v, np.timedelta64):  # a duration, though a NumPy signedinteger
            return None
        if isinstance(v, Decimal):  # (not a numbers.Real; float() refuses a signalling NaN)
            out[i] = np.nan if v.is_nan() else float(v)
        elif isinstance(v, numbers.Real):
            try:
                out[i] = float(v)
            except OverflowError:  # 10**400
                out[i] = math.inf if v > 0 else -math.inf
        elif _absent(v, pd):
            out[i] = np.nan
        else:
            return None
    return out


def _factorize_objects(values, pd):
    """Codes of each row of an object array into its distinct values, and those values.

    Rows are first deduplicated by object identity: a column of strings
    usually repeats a few objects (read_csv and NumPy indexing share them),
    and factorizing their 8-byte addresses is several times faster than
    hashing the strings. Distinct objects are then merged by equality
    (``pandas.factorize``) only when equality is exact for every type present
    (`_merge_is_safe`): NumPy scalars compare lossily (``np.float16(inf) ==
    65520``, ``np.float64(2.0**53) == 2**53 + 1``), pandas merges such values,
    and which one survives would depend on the batch. Otherwise each distinct
    object is kept (and later hashed by its canonical form).
    """
    values = np.ascontiguousarray(values)
    try:
        addresses = np.frombuffer(values, dtype=np.uintp)  # valid while `values` lives
    except (TypeError, ValueError, BufferError):  # pragma: no cover - exotic NumPy builds
        addresses = None
    if addresses is None or addresses.size != values.size:  # pragma: no cover
        addresses = np.fromiter(map(id, values), dtype=np.uintp, count=values.size)
    codes, distinct = pd.factorize(addresses)
    if distinct.size <= values.size // 2:
        representative = np.empty(distinct.size, dtype=np.intp)
        representative[codes] = np.arange(codes.size)  # any row holding that object
        objects = values[representative]
        if not _merge_is_safe(objects, pd):
            return codes, list(objects)
        second, uniques = pd.factorize(objects, use_na_sentinel=True)
        return second[codes], uniques
    if _merge_is_safe(values, pd):
        return pd.factorize(values, use_na_sentinel=True)
    representative = np.empty(distinct.size, dtype=np.intp)
    representative[codes] = np.arange(codes.size)
    return codes, list(values[representative])


# inferred types (pandas.api.types.infer_dtype, NaN skipped) whose values compare exactly
_MERGE_SAFE = frozenset({"string", "bytes", "empty"})
# types whose == between any two of them is exact (Python's numeric tower, str, bytes)
_EXACT_EQ_TYPES = frozenset(
    {str, bytes, int, float, bool, Decimal, Fraction, type(None), np.str_, np.bytes_}
)
_type_of = np.frompyfunc(type, 1, 1)


def _merge_is_safe(values, pd):
    """Whether merging equal values of this object array merges equal canonical forms only."""
    if pd.api.types.infer_dtype(values, skipna=True) in _MERGE_SAFE:
        return True
    types = pd.unique(_type_of(values)) if values.size else ()
    if Decimal in types and any(type(v) is Decimal and v.is_snan() for v in values):
        return False  # (hash() refuses a signalling NaN: pandas' merge raised TypeError)
    return all(t in _EXACT_EQ_TYPES or _is_missing_type(t) for t in types)


def _is_missing_type(t):
    return t.__module__.startswith("pandas") and t.__name__ in ("NAType", "NaTType")


def _identity_codes(values):
    """Without pandas: codes of each row into the distinct objects, and those objects."""
    addresses = np.fromiter(map(id, values), dtype=np.uintp, count=values.size)
    _, first, codes = np.unique(addresses, return_index=True, return_inverse=True)
    return codes.ravel(), list(values[first])


def _tokens_from_codes(codes, uniques):
    """Tokens of a column given as codes into its distinct values (-1: missing).

    Each distinct value is hashed by its canonical form, so a value's token
    does not depend on which of several equal values (1, 1.0, True) the
    deduplication kept; values whose canonical form is missing become missing.
    """
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    hashes, missing_unique = _hashing.hash_uniques(values)
    missing = codes < 0
    if missing_unique is not None:
        missing |= missing_unique[np.where(missing, 0, codes)]
    if not hashes.size:
        tokens = np.zeros(codes.size, np.uint64)
    else:
        tokens = hashes[np.where(missing, 0, codes) if missing.any() else codes]
    return Column(
        tokens,
        missing if missing.any() else None,
        lambda r: MISSING_LABEL if missing[r] else _value_label(values[codes[r]]),
    )


def _value_label(v):
    """The readable form of a cell's value: a number as the one its token hashes (5.0 and
    ``Decimal("5.00")`` as 5, as a column of integers prints it; ``Decimal("0.10")`` as 0.1;
    True as 1, as a column of bools prints it)."""
    if isinstance(v, (bool, np.bool_)):  # (True hashes as 1: "b=1" as from a bool column)
        return str(int(v))
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, Decimal) and v.is_finite():
        # its exact digits, the fraction's trailing zeros dropped (str(int(v)) refuses more
        # than 4,300 digits, Decimal('1E+5000'); normalize() rounds to the context's 28)
        if v.is_zero():
            return "0"  # (Decimal('-0.00') too: the hasher's 0)
        text = format(v, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if type(v) is int:  # (str() refuses more than 4,300 digits, 10**5000; Decimal's are exact)
        return format(Decimal(v), "f")
    return str(v)


def _numeric_tokens(values, missing):
    """Token hashes of a numeric array; ``missing`` marks rows without a value."""
    if values.dtype.kind == "f":
        if missing is None:
            missing = np.isnan(values)
        clean = np.where(missing, 0.0, values) if missing.any() else values
        tokens = _hashing.hash_floats(clean)
    else:
        if values.dtype != np.uint64:  # uint64 above 2**63 stays an integer of its own
            values = values.astype(np.int64, copy=False)
        tokens = _hashing.hash_ints(values, _hashing.KIND_INT)
    if missing is not None and not missing.any():
        missing = None

    def label(r):
        if missing is not None and missing[r]:
            return MISSING_LABEL
        return _value_label(values[r].item())

    return Column(tokens, missing, label)


def _datetime64_tokens(values):
    """Tokens of a NumPy datetime64 array: distinct int64 counts, NaT missing."""
    counts = values.view(np.int64)
    distinct, codes = np.unique(counts, return_inverse=True)
    codes = codes.ravel()
    nat = distinct == np.iinfo(np.int64).min
    if nat.any():  # NaT sorts first
        codes = codes - 1
        distinct = distinct[1:]
    return _tokens_from_codes(codes, list(distinct.view(values.dtype)))


def _refuse_dtype(dtype):
    try:
        scalar = np.dtype(dtype).type
    except TypeError:  # a pandas extension dtype (duration[s][pyarrow]): its scalar type
        scalar = getattr(dtype, "type", type(dtype))
    if dtype.kind == "c":
        raise _hashing.NoStableForm(scalar, "complex numbers are refused")
    if dtype.kind == "m":
        raise _hashing.NoStableForm(scalar, _hashing.DURATIONS_REFUSED)


def _without_views(kind, pa):
    """The Arrow type ``kind`` with its view types (string_view, binary_view, list_view) made
    the plain types of the same values, which pandas and pyarrow's kernels read."""
    types = pa.types

    def is_(name):  # (view types are pyarrow 16's; older ones have neither them nor their tests)
        return getattr(types, f"is_{name}", lambda _: False)(kind)

    if is_("string_view"):
        return pa.large_string()
    if is_("binary_view"):
        return pa.large_binary()
    if is_("list_view") or is_("large_list_view") or types.is_large_list(kind):
        return pa.large_list(_without_views(kind.value_type, pa))
    if types.is_list(kind):
        return pa.list_(_without_views(kind.value_type, pa))
    if types.is_fixed_size_list(kind):
        return pa.list_(_without_views(kind.value_type, pa), kind.list_size)
    if types.is_struct(kind):
        return pa.struct([f.with_type(_without_views(f.type, pa)) for f in kind])
    if types.is_map(kind):
        return pa.map_(
            _without_views(kind.key_type, pa), _without_views(kind.item_type, pa), kind.keys_sorted
        )
    if types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _without_views(kind.value_type, pa), kind.ordered)
    return kind


def without_arrow_views(col, pd):
    """A pandas column of an Arrow type holding view types (Polars and DuckDB export text as
    string_view) as the column of the same values in plain Arrow types: pandas cannot turn a
    view column into NumPy objects, nor filter or take from it. Other columns as they are."""
    if pd is None or not isinstance(col.dtype, getattr(pd, "ArrowDtype", ())):
        return col
    import pyarrow as pa

    kind = col.dtype.pyarrow_dtype
    plain = _without_views(kind, pa)
    if plain == kind:
        return col
    values = col.array.__arrow_array__()  # (all its chunks: a table of several batches has more)
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    values = values.cast(plain)
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=col.index, name=col.name)


def category_tokens(col, pd):
    """Token hashes of a categorical (non-bucketed) column: one hash per distinct value.

    Raises `_hashing.NoStableForm` (a TypeError) for values without a stable
    canonical form; the caller names the column.
    """
    if pd is not None and isinstance(col, pd.Series) and isinstance(col.dtype, pd.SparseDtype):
        # (a SparseDtype has no itemsize): the dense column's values, hashed as they are
        col = col.sparse.to_dense()
    kind = col.dtype.kind
    if kind in "cm":
        _refuse_dtype(col.dtype)
    wide_float = kind == "f" and col.dtype.itemsize > 8  # long double: not float64 exactly
    if pd is not None and isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.CategoricalDtype):
            return _tokens_from_codes(*used_categories(col))
        extension = isinstance(col.dtype, pd.api.extensions.ExtensionDtype)
        if kind in "fiub" and not extension and not wide_float:
            return _numeric_tokens(col.to_numpy(), None)
        if kind in "fiub" and extension:  # nullable Int64 / UInt64 / Float64 / boolean
            missing = col.isna().to_numpy()
            dtype = {"f": np.float64, "u": np.uint64, "b": np.bool_}.get(kind, np.int64)
            # (bool[pyarrow] refuses the int 0 as a fill value for its nulls: False is taken)
            values = col.to_numpy(dtype=dtype, na_value=dtype(0))
            if kind == "f":  # a NaN that is not NA (Float64, float64[pyarrow]) is missing too
                missing = missing | np.isnan(values)
            return _numeric_tokens(values, missing)
        if kind == "M" and not extension:
            return _datetime64_tokens(col.to_numpy())
    elif kind in "fiub" and not wide_float:
        return _numeric_tokens(np.asarray(col), None)
    elif kind == "M":
        return _datetime64_tokens(np.asarray(col))
    if kind in "US" and pd is None:  # NumPy str / bytes: == is equality of canonical forms
        uniques, codes = np.unique(np.asarray(col), return_inverse=True)
        return _tokens_from_codes(codes.ravel(), uniques.tolist())
    values = np.asarray(col, dtype=object)
    if pd is not None:
        return _tokens_from_codes(*_factorize_objects(values, pd))
    # Without pandas: NumPy's == is lossy too, so deduplicate by identity and hash
    # each distinct object by its canonical form.
    return _tokens_from_codes(*_identity_codes(values))


def bucket_tokens(col, name, buckets, pd):
    """Token hashes of a bucketed column: one hash per bucket id. Integers (of an integer
    column, or ints of an object column) are bucketed exactly when the spec allows it
    (`Buckets.exact_for_integers`), other numbers as their float64."""
    if pd is not None and isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)  # the rows' values (a category no row uses is not read)
    exact = buckets.exact_for_integers()
    integers = _int_buckets.integer_values(col) if exact else None
    if integers is not None:
        values, missing = integers
        ids, bad = buckets.integer_ids(values)
        if missing is None:
            missing = np.zeros(values.shape, bool)
        else:
            ids[missing], bad[missing] = 0, False

        def value(r):
            return values[r]
    else:
        x = _float_values(col, name, pd)
        missing = np.isnan(x)
        ids, bad = buckets.ids(x)
        held = {}
        if exact and col.dtype.kind == "O":
            objects = np.asarray(getattr(col, "array", col), dtype=object)  # (see integer_values)
            at = np.flatnonzero(
                np.fromiter(
                    (isinstance(v, (int, np.integer)) for v in objects),
                    dtype=bool,
                    count=objects.size,
                )
            )
            if at.size:
                held = {int(r): int(objects[r]) for r in at}
                ids[at], bad[at] = buckets.object_ids(list(held.values()))

        def value(r):
            return held.get(r, x[r])

    if bad.any():
        raise ValueError(
            f"column {name!r} is bucketed by width but holds the value "
            f"{_hashing.short_repr(value(int(np.flatnonzero(bad)[0])))}: infinite (or too far "
            "from the origin) values have no bucket; replace them by NaN to treat them as "
            "missing."
        )
    ids[missing] = 0
    tokens = _hashing.hash_ints(ids, _hashing.KIND_BUCKET)
    return Column(
        tokens,
        missing if missing.any() else None,
        lambda r: MISSING_LABEL if missing[r] else buckets.label(int(ids[r])),
    )
