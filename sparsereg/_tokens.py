"""Tokens of one input column: a 64-bit hash and a readable label per row.

Categorical columns give one token per distinct value; numeric columns listed
in ``buckets`` are first cut into buckets by a `Buckets` spec, and give one
token per bucket id.
"""

import math
import numbers

import numpy as np

from . import _hashing

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

    def __init__(self, key, spec):
        self.fmt = None
        width = edges = None
        origin = 0.0
        if isinstance(spec, numbers.Real) and not isinstance(spec, (bool, np.bool_)):
            width = spec
        elif isinstance(spec, dict):
            unknown = set(spec) - {"width", "origin", "edges", "format"}
            if unknown:
                raise ValueError(f"buckets[{key!r}] has unknown keys {sorted(unknown)}; "
                                 "use 'width' (and 'origin') or 'edges', and optionally 'format'.")
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
            raise TypeError(f"buckets[{key!r}] must be a width (float), a list of edges, or a dict "
                            f"with 'width'/'origin' or 'edges'; got {type(spec).__name__}.")
        if width is not None:
            if (not isinstance(width, numbers.Real) or isinstance(width, bool)
                    or not math.isfinite(width) or width <= 0):
                raise ValueError(f"buckets[{key!r}]: width must be a finite number > 0, got {width!r}.")
            if not isinstance(origin, numbers.Real) or not math.isfinite(origin):
                raise ValueError(f"buckets[{key!r}]: origin must be a finite number, got {origin!r}.")
            self.width, self.origin, self.edges = float(width), float(origin), None
        else:
            try:
                e = np.asarray(edges, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"buckets[{key!r}]: edges must be numbers.") from exc
            if e.ndim != 1 or e.size == 0 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
                raise ValueError(f"buckets[{key!r}]: edges must be a non-empty 1-D list of finite, "
                                 "strictly increasing numbers.")
            self.width, self.origin, self.edges = None, None, e
        if not (self.fmt is None or self.fmt in ("interval", "deg") or callable(self.fmt)):
            raise ValueError(f"buckets[{key!r}]: format must be 'interval', 'deg' or a callable "
                             f"(lower, upper) -> str; got {self.fmt!r}.")

    def ids(self, x, name):
        """int64 bucket ids of float64 ``x`` (NaN entries are left for the caller to mask)."""
        missing = np.isnan(x)
        if self.edges is not None:
            return np.searchsorted(self.edges, x, side="right").astype(np.int64), missing
        with np.errstate(invalid="ignore", over="ignore"):
            q = np.floor((x - self.origin) / self.width)
        q[missing] = 0.0
        bad = ~(np.abs(q) < 2.0**62)
        if bad.any():
            raise ValueError(f"column {name!r} is bucketed by width but holds the value "
                             f"{x[np.flatnonzero(bad)[0]]!r}: infinite (or too far from the origin) "
                             "values have no bucket; replace them by NaN to treat them as missing.")
        return q.astype(np.int64), missing

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
        if self.fmt == "deg" and math.isfinite(lower):
            return _format_degrees(lower)
        return f"[{lower:.6g}, {upper:.6g})"


class Column:
    """Token hashes of one input column, with what is needed to print its cells."""

    def __init__(self, tokens, missing, label):
        self.tokens = tokens  # uint64 per row
        self.missing = missing  # bool per row, or None
        self.label = label  # row -> readable value


def _float_values(col, name, pd):
    """float64 values of a bucketed column (NaN for every kind of missing)."""
    kind = col.dtype.kind
    if kind in "fiub" and not (pd is not None and isinstance(col, pd.Series)
                               and isinstance(col.dtype, pd.CategoricalDtype)):
        return np.asarray(col, dtype=np.float64)
    ok = {"floating", "integer", "mixed-integer-float", "boolean", "decimal", "empty"}
    if pd is not None:
        if pd.api.types.infer_dtype(col, skipna=True) in ok:
            return pd.Series(col).to_numpy(dtype=np.float64, na_value=np.nan)
    elif kind == "O":
        values = np.where(np.equal(col, None), np.nan, col)
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError):
            pass
    example = next((v for v in np.asarray(col, dtype=object)
                    if not isinstance(v, numbers.Real)), None) if kind == "O" else col[0]
    raise ValueError(f"column {name!r} is bucketed, so it must be numeric, but it holds "
                     f"non-numeric values such as {example!r} (dtype {col.dtype}).")


def _factorize_objects(values, pd):
    """``pandas.factorize`` of an object array, deduplicated by object identity first.

    A column of strings usually repeats a few objects (read_csv and NumPy
    indexing share them), and factorizing their 8-byte addresses is several
    times faster than hashing the strings. Identical objects are equal, and
    equal values held by different objects are merged by the second, small
    factorize, so the result is the same as ``pandas.factorize(values)``.
    """
    values = np.ascontiguousarray(values)
    try:
        addresses = np.frombuffer(values, dtype=np.uintp)  # valid while `values` lives
    except (TypeError, ValueError, BufferError):  # pragma: no cover - exotic NumPy builds
        addresses = None
    if addresses is not None and addresses.size == values.size:
        codes, distinct = pd.factorize(addresses)
        if distinct.size <= values.size // 2:
            representative = np.empty(distinct.size, dtype=np.intp)
            representative[codes] = np.arange(codes.size)  # any row holding that object
            second, uniques = pd.factorize(values[representative], use_na_sentinel=True)
            return second[codes], uniques
    return pd.factorize(values, use_na_sentinel=True)


def _tokens_from_codes(codes, uniques):
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    hashes = _hashing.hash_values(values)
    missing = codes < 0
    if not hashes.size:
        tokens = np.zeros(codes.size, np.uint64)
    else:
        tokens = hashes[np.where(missing, 0, codes) if missing.any() else codes]
    return Column(tokens, missing if missing.any() else None,
                  lambda r: MISSING_LABEL if codes[r] < 0 else str(values[codes[r]]))


def _numeric_tokens(values, missing):
    """Token hashes of a numeric array; ``missing`` marks rows without a value."""
    if values.dtype.kind == "f":
        if missing is None:
            missing = np.isnan(values)
        clean = np.where(missing, 0.0, values) if missing.any() else values
        tokens = _hashing.hash_floats(clean)
    else:
        tokens = _hashing.hash_ints(values.astype(np.int64, copy=False), _hashing.KIND_INT)
    if missing is not None and not missing.any():
        missing = None

    def label(r):
        if missing is not None and missing[r]:
            return MISSING_LABEL
        v = values[r].item()
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return Column(tokens, missing, label)


def category_tokens(col, pd):
    """Token hashes of a categorical (non-bucketed) column: one hash per distinct value."""
    kind = col.dtype.kind
    if pd is not None and isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.CategoricalDtype):
            return _tokens_from_codes(col.cat.codes.to_numpy(), col.cat.categories)
        if kind in "fiub" and not isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            return _numeric_tokens(col.to_numpy(), None)
        if kind in "fiub":  # nullable Int64 / Float64 / boolean
            missing = col.isna().to_numpy()
            dtype = np.float64 if kind == "f" else np.int64
            return _numeric_tokens(col.to_numpy(dtype=dtype, na_value=0), missing)
    elif kind in "fiub":
        return _numeric_tokens(np.asarray(col), None)
    if pd is not None:
        return _tokens_from_codes(*_factorize_objects(np.asarray(col, dtype=object), pd))
    # without pandas: numpy string arrays, or object arrays of one sortable type
    col = np.asarray(col)
    missing = np.zeros(col.shape, bool)
    if kind == "O":
        missing = np.equal(col, None) | np.not_equal(col, col)
    try:
        uniques, codes = np.unique(col[~missing], return_inverse=True)
    except TypeError as exc:
        raise TypeError("a column mixes values of different types; install pandas or convert "
                        "the column to str.") from exc
    full = np.full(col.shape, -1, dtype=np.int64)
    full[~missing] = codes.ravel()
    return _tokens_from_codes(full, uniques.tolist())


def bucket_tokens(col, name, buckets, pd):
    """Token hashes of a bucketed column: one hash per bucket id."""
    ids, missing = buckets.ids(_float_values(col, name, pd), name)
    tokens = _hashing.hash_ints(ids, _hashing.KIND_BUCKET)
    return Column(tokens, missing if missing.any() else None,
                  lambda r: MISSING_LABEL if missing[r] else buckets.label(int(ids[r])))
