"""Hashed feature crosses: bucketed numbers and categories, crossed, hashed into a CSR matrix."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, validate_data

from . import _datetimes, _hashing, _tokens
from ._column_kinds import caller_level, values_kind, warn_of_other_kinds
from ._missing import refuse_masked
from ._state import sorted_distinct
from ._typing import ArrayLike, MatrixLike
from ._validation import (
    configured_csr,
    refuse_beyond_float64,
    refuse_non_number_values,
)

__all__ = ["FeatureCrossHasher", "expected_collision_rate"]

MAX_N_FEATURES = 2**60
_INT32_MAX = np.iinfo(np.int32).max


def _pandas():
    try:
        import pandas
    except ImportError:  # pragma: no cover - pandas is optional
        return None
    return pandas


def expected_collision_rate(n_tokens: ArrayLike, n_features: int) -> float | np.ndarray:
    """Expected fraction of distinct tokens lost to hash collisions.

    ``n_tokens`` distinct tokens hashed uniformly into ``n_features`` columns
    occupy on average ``n_features * (1 - (1 - 1/n_features) ** n_tokens)``
    distinct columns. The collision rate is one minus that number over
    ``n_tokens``: the same quantity as the observed rate of
    :meth:`FeatureCrossHasher.collision_stats`, ``1 - n_columns / n_tokens``.

    Parameters
    ----------
    n_tokens : int or array-like of int
        Number of distinct tokens (distinct (cross, cell) pairs).
        Values must be in the range `[0, inf)`.
    n_features : int
        Number of hashed columns. Values must be in the range `[1, inf)`.

    Returns
    -------
    rate : float or ndarray
        Expected ``1 - E[n_columns] / n_tokens``; 0.0 where ``n_tokens <= 1``.

    Raises
    ------
    TypeError
        ``n_tokens`` masked, of bools or complex numbers, or not numbers; ``n_features`` not
        an int.
    ValueError
        ``n_tokens`` of text, dates or durations, negative, NaN, infinite or an int beyond
        float64; ``n_features`` outside ``[1, 2**1023]``.

    Examples
    --------
    >>> from sparsereg.crosses import expected_collision_rate
    >>> round(float(expected_collision_rate(1000, 2**20)), 6)
    0.000476
    >>> float(expected_collision_rate(5, 1))
    0.8
    """
    if isinstance(n_features, (bool, np.bool_)) or not isinstance(n_features, numbers.Integral):
        raise TypeError(f"n_features must be an int, got {_hashing.short_repr(n_features)}.")
    if not 1 <= n_features <= 2**1023:  # (float() of a larger int overflows)
        raise ValueError(
            f"n_features must be in [1, 2**1023], got {_hashing.short_repr(n_features)}."
        )
    k = _token_counts(n_tokens)
    # (NaN and infinities gave rates of 0.0 or NaN)
    if not np.all(np.isfinite(k)) or np.any(k < 0):
        raise ValueError("n_tokens must be finite numbers >= 0.")
    n = float(n_features)
    if n == 1:  # (every token in the one column)
        rate = np.where(k > 1, 1.0 - 1.0 / np.maximum(k, 1.0), 0.0)
        return rate[()] if rate.ndim == 0 else rate
    # occupied / k = (1 + a)(1 + b), a = -n log(1 - 1/n) - 1, b = expm1(u) / u - 1 with
    # u = k log(1 - 1/n): the rate is -(a + b + ab), each term without cancellation (1 -
    # occupied / k gave 0.0 for 3 tokens in 2**60 columns, where the rate is 8.7e-19)
    a = _log_excess(n)
    u = k * np.log1p(-1.0 / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        series = u / 2 * (1 + u / 3 * (1 + u / 4 * (1 + u / 5 * (1 + u / 6 * (1 + u / 7)))))
        b = np.where(np.abs(u) < 1e-2, series, np.expm1(u) / np.where(u == 0, 1.0, u) - 1)
        rate = np.where(k > 1, -(a + b + a * b), 0.0)
    return rate[()] if rate.ndim == 0 else rate


def _log_excess(n):
    """``-n log(1 - 1/n) - 1`` for ``n > 1``, as its series ``1/(2n) + 1/(3n**2) + ...`` (the
    direct form cancels; the terms fall at least by half: about 55 for ``n = 2``)."""
    x, total, power, j = 1.0 / n, 0.0, 1.0, 2
    while True:
        power *= x
        term = power / j
        total += term
        if term < 1e-17 * total:
            return total
        j += 1


def _token_counts(n_tokens):
    """``n_tokens`` as float64, refused as weights are where it is no count: masked, text,
    dates or durations (NumPy read "100" as 100 and a date as its days), bools, complex
    numbers, an int beyond float64."""
    who = "expected_collision_rate"
    refuse_masked(n_tokens, "n_tokens", who)
    refuse_non_number_values(n_tokens, "n_tokens", who)
    refuse_beyond_float64(n_tokens, "n_tokens")
    try:
        values = np.asarray(n_tokens)
        # (a list's bools beside numbers become numbers in NumPy's array: their types are read)
        listed = isinstance(n_tokens, (list, tuple)) or values.dtype == object
        elements = np.asarray(n_tokens, dtype=object).ravel().tolist() if listed else []
        kinds = {values.dtype.kind} | {
            "b" if isinstance(v, (bool, np.bool_)) else "c" if isinstance(v, complex) else ""
            for v in elements
        }
        got = "bools" if "b" in kinds else "complex numbers" if "c" in kinds else None
        if got is None:
            return values.astype(np.float64)
    except (TypeError, ValueError):  # (a ragged list, objects of no number)
        got = _hashing.short_repr(n_tokens)
    raise TypeError(f"n_tokens must be counts of tokens (real numbers), got {got}.")


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _arrow_as_pandas(X):
    """A pyarrow Table or RecordBatch (or another dataframe exporting an Arrow stream) as a
    pandas DataFrame of Arrow-backed columns, which keep its time zones and nulls: as a NumPy
    array (``check_array``), tz-aware timestamps became naive and uint64 with nulls float.
    Other non-pandas dataframes are refused; anything else is returned as it is."""
    if _is_dataframe(X) or isinstance(X, np.ndarray):
        return X
    kind = type(X)
    arrow = kind.__module__.startswith("pyarrow") and kind.__name__ in ("Table", "RecordBatch")
    if not arrow and not hasattr(X, "__dataframe__"):
        return X
    pd = _pandas()
    refused = TypeError(
        f"X is a {_hashing.type_name(kind)}, which FeatureCrossHasher does not read as such "
        "(a NumPy array of it would drop time zones and turn integers with nulls into "
        "floats); pass a pandas DataFrame."
    )
    if pd is None or not (arrow or hasattr(X, "__arrow_c_stream__")):
        raise refused
    try:  # (a dataframe of another library exports an Arrow stream without pyarrow)
        import pyarrow as pa
    except ImportError:
        raise refused from None

    try:
        table = X if arrow else pa.table(X)
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise refused from exc


def _dated_positions(positions, bucket_at):
    """``{position: DatetimeBuckets}`` of the columns a cross uses (``positions``) that are
    bucketed as datetimes without 'tz' (those ``datetime_aware_`` notes), in ``bucket_at``'s
    order."""
    used = {j for pos in positions for j in pos}
    return {
        j: spec
        for j, spec in bucket_at.items()
        if j in used and isinstance(spec, _datetimes.DatetimeBuckets) and spec.zone is None
    }


def _warn_of_unused_buckets(positions, bucket_at, display, named):
    """Warn of the columns ``buckets`` give (``bucket_at``: by position) that no cross uses:
    they are never hashed. ``named``: X's columns have names (else positions are spelt)."""
    unused = sorted(set(bucket_at) - {j for cross in positions for j in cross})
    if not unused:
        return
    keys = [display[j] if named else j for j in unused]
    one = len(unused) == 1
    warnings.warn(
        f"buckets name {', '.join(map(repr, keys))}, which no cross in crosses uses: "
        f"{'it is' if one else 'they are'} not hashed. Add {'it' if one else 'them'} to "
        f"crosses, alone (crosses=[..., {keys[0]!r}]) or in a cross.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _refuse_a_dask_collection(X):
    """A dask DataFrame or array is hashed partition by partition on the workers by a Dask
    estimator's ``hasher``; here it failed inside pandas' checks ("Trying to convert ...
    Scalar to a boolean value")."""
    if hasattr(X, "__dask_graph__"):
        raise TypeError(
            f"X is a dask collection ({type(X).__name__}); a FeatureCrossHasher hashes rows in "
            "memory. Give it to a Dask estimator, DaskSparseFTRLClassifier(hasher="
            "FeatureCrossHasher(...)), which hashes each partition on its worker (or compute "
            "X first)."
        )


class FeatureCrossHasher(TransformerMixin, BaseEstimator):
    """Hash crosses of bucketed numeric and categorical columns into a sparse matrix.

    Each entry of ``crosses`` (one column, or a tuple of two or more columns)
    produces exactly one hashed column per row: the cell of that row (the
    tuple of its tokens in those columns) is hashed with a stable 64-bit hash
    and taken modulo ``n_features``. Numeric columns listed in ``buckets`` are
    first cut into buckets whose ids depend on the value only, so the output
    of a row never depends on the rest of the batch. The transformer is
    stateless: ``fit`` only validates the input (and notes how a DataFrame's
    columns held their values, `column_kinds_`, for an export of the model)
    and ``transform`` may be called on any batch, in any process.

    Parameters
    ----------
    crosses : list of (str, int or tuple of str/int), default=None
        The features to produce. A column key (a DataFrame column name, or a
        position, negative allowed) alone gives that column's tokens; a tuple
        of keys gives their cross (order matters for the hash, not for the
        meaning). Names (str) are resolved against the DataFrame's columns, or
        against `feature_names_in_` when an array is passed after fitting on
        a DataFrame; int keys are always positions, even in a DataFrame whose
        column names are ints. The hash of a cross depends on its position in
        `crosses` and on its cells, never on the names, so a cross given by
        name or by position, on a DataFrame or an array, fitted or not, gives
        the same output. `None` means every input column alone, by position
        (``[0, 1, ..., n_columns - 1]``), fitted or not: reordering the
        columns of X changes the output (listed by name, the output does not
        depend on the columns' order; a fitted transformer, as in a Pipeline,
        still refuses a DataFrame whose names are not those seen in `fit`, in
        that order, as scikit-learn's transformers do). A DataFrame must
        not repeat a column name, and must have at least one column.
    buckets : dict, default=None
        Column key -> bucket spec, for numeric columns to bucket before
        crossing. A spec is a float width (origin 0), a dict
        ``{"width": w, "origin": o}``, a list of strictly increasing edges, or
        ``{"edges": [...]}``. A width gives the bucket
        ``floor((x - origin) / width)`` (int64, within ``+-2**62``); edges give
        ``searchsorted(edges, x, side="right")``, i.e. ``[e[i-1], e[i])``
        with open-ended outer buckets. Integers (``int``, NumPy and pandas integer
        columns) are bucketed exactly, in integer arithmetic, by edges and by a whole
        width from a whole origin: ``2**53`` and ``2**53 + 1`` are two buckets of width
        1, and nanosecond timestamps are cut exactly; an int edge is compared exactly
        with every value (``2**63 - 1 < 2**63``), any other edge is its float64. Other
        values (floats, ``Decimal``, ``Fraction``), and integers by a width or an
        origin that is not whole, are bucketed as their float64 in float64 arithmetic,
        each step rounded: a value within a rounding of a bucket's edge, or beyond
        ``2**53`` in magnitude, may fall one bucket off the exact floor (so may an
        integral float next to the equal int). Dict specs take an optional
        ``"format"``: ``"interval"`` (default), ``"deg"`` (lower edge in
        degrees and minutes, for latitudes and longitudes) or a callable
        ``(lower, upper) -> str``, used by :meth:`explain`. Columns not listed
        are categorical: each value is a token, by its canonical form (see
        Notes); a value with none raises a TypeError naming the column.

        Datetime columns are bucketed by a dict ``{"datetime": what}``, where
        `what` is a calendar part or a list of them, named as pandas'
        ``Series.dt`` accessors: ``"year"``, ``"quarter"``, ``"month"``,
        ``"day"``, ``"date"``, ``"day_of_week"`` (Monday 0, also spelled
        ``"dayofweek"`` or ``"weekday"``), ``"day_of_year"`` (or
        ``"dayofyear"``), ``"hour"``, ``"minute"``, ``"second"``; several parts
        make one cell per combination (``["hour", "day_of_week"]``: 168 cells,
        the hour x weekday cross VW users build by hand). Or `what` is a fixed
        width, a whole number and a unit among ``ns``, ``us``, ``ms``, ``s``,
        ``min``, ``h``, ``D``, ``W`` (``"15min"``): the bucket
        ``floor((t - origin) / width)``, exactly in integer nanoseconds, from
        ``"origin"`` (an ISO 8601 wall time, default ``"1970-01-01"``, as
        ``resample(origin="epoch")``). The column may hold NumPy
        ``datetime64`` of any unit from days to nanoseconds (and years,
        months, weeks: their first day), pandas datetime columns (naive or
        timezone-aware), ``datetime``, ``date`` and ``pandas.Timestamp``
        objects, or ISO 8601 strings (``YYYY-MM-DD``, optionally ``[T ]hh:mm``,
        ``:ss``, ``.fffffffff`` and a UTC offset ``Z``/``+hh:mm``; a column
        of a CSV file read by ``fit_stream`` or the command line arrives as
        such text). Naive values are bucketed as the wall time they are.
        Timezone-aware values (and strings with an offset) are instants:
        bucketed in UTC, or, with ``"tz": "Europe/Paris"`` (an IANA name of
        the system's time-zone database; needs pandas), in that zone's wall
        time, daylight saving included; naive values with a `tz` are refused
        (localize them first), and so is a column mixing naive and aware
        values. NaT, None and NaN are missing (see `missing`), and so is each
        row of a numeric column holding only NaN or NA (``read_csv`` makes
        float64 NaN of a field empty on every row). Other numbers are refused
        with a TypeError naming the column (an epoch count has no unit:
        convert it with ``pandas.to_datetime(col, unit="s")``), as are
        strings that are not ISO 8601 dates ("now", "03/01/2024") and
        instants outside 1677-09-21..2262-04-11 (int64 nanoseconds). Parts
        are the column's wall time cut as pandas' ``.dt`` cuts it, so they
        do not depend on the batch or the process (with a `tz`, they depend
        on the time-zone database's rules for that zone).
    n_features : int, default=2**20
        Number of output columns. Values must be in the range `[1, 2**60]`.
        Indices are int32 while ``n_features <= 2**31 - 1`` (the largest width
        SciPy keeps in int32 indices), int64 above.
    alternate_sign : bool, default=False
        If True, each entry is +1 or -1 from an extra bit of its hash, so that
        collisions cancel in expectation (as in `FeatureHasher`).
    missing : {"bucket", "skip", "error"}, default="bucket"
        What a missing value (NaN, None, `pandas.NA`, NaT) does to the crosses
        that use its column. `"bucket"`: it is a token of its own, hashed
        apart from every real value (the float NaN is not the string "nan").
        `"skip"`: the row has no entry for that cross. `"error"`: raise a
        ValueError.
    seed : int, default=0
        Seed of the hash; two seeds give independent hashings.
        Values must be in the range `[0, 2**64)`.
    dtype : {np.float64, np.float32}, default=np.float64
        Dtype of the output values.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during `fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during `fit`, when X is a DataFrame with string
        column names.
    column_kinds_ : dict of str to {'number', 'bool', 'text', 'datetime'}
        How the values of each column were held during `fit`, when X is a
        DataFrame: of the columns that a stream reads as pandas reads them
        (those hashed without buckets), each whose values are all numbers,
        all True/False, all strings or all dates (columns of no value, or of
        values of several kinds, are left out; a file records no dates, and
        ``export_model`` warns of them); after :func:`~sparsereg.stream.fit_stream`
        on files, the kinds it read them as (its history's ``column_kinds``).
        The hasher gives 94110 and "94110" different tokens: `transform`
        warns of a DataFrame column holding the other kind,
        :func:`~sparsereg.export_model` records these kinds, so that
        ``sparsereg predict`` reads a file's columns as the model was trained
        on them, and ``fit_stream`` reads later files so.
    datetime_aware_ : dict of str to bool
        Of each column bucketed as datetimes without a ``tz``, whether the
        values `fit` saw were timezone-aware (its first value's, or its
        dtype's), by name (``"x0"``, ``"x1"``... for an array's positions);
        columns without a value are left out. Without ``tz`` aware values are
        bucketed at their UTC times and naive ones at the times they spell:
        `transform` warns of a column of the other kind (an exported model's
        file records them, format version 9).

    See Also
    --------
    sklearn.feature_extraction.FeatureHasher : Hashes lists of tokens per row.
    sklearn.preprocessing.KBinsDiscretizer : Bins learnt from the data.
    expected_collision_rate : Collision rate expected for a number of tokens.

    Notes
    -----
    Hashing (all arithmetic modulo 2**64, ``fmix64`` is the murmur3
    finaliser, ``G = 0x9E3779B97F4A7C15``):

    - token ``t = fmix64(payload XOR salt(kind))`` of the value's canonical
      form, a function of the value alone (not of the column's dtype, of the
      other values of the batch, or of the process); each kind has its own
      salt:

      * numbers by their exact value, so equal numbers agree whatever their
        type (bool, int, NumPy ints and floats of any width, float,
        `Decimal`, `Fraction`): an integral value is that integer (payload
        the int64 value, or BLAKE2b of its digits outside the int64 range:
        3, 3.0, `True`/1, ``Decimal("3")`` agree, and so do ``2**63``,
        ``2.0**63`` and ``np.uint64(2**63)``; uint64 ``2**64 - 1`` is not
        int64 -1); another value exactly equal to a float64 is that float64
        (its IEEE-754 bits: float32 0.1 and float64 0.1 are different
        numbers, so different tokens); any other (``Decimal("0.1")``,
        ``Fraction(1, 3)``) is its reduced fraction; complex is refused;
      * strings by the first 8 bytes of BLAKE2b of their UTF-8 bytes, bytes
        by BLAKE2b of the bytes: "1", b"1" and 1 are three tokens;
      * `datetime`, `pandas.Timestamp` and `numpy.datetime64` by their
        nanoseconds since the epoch (naive and timezone-aware apart; aware
        ones as UTC), a `date` as the naive datetime at its midnight;
        durations and times are refused;
      * tuples of accepted values element by element (nested up to 32 levels);
      * missing values (None, NaN of any type, `pandas.NA`, NaT): one
        constant;
      * bucketed columns: the bucket id, under its own kind; a datetime
        column with calendar parts folds, part after part, the token of
        each part's value tagged with the part (so ``["hour", "minute"]``
        and ``["minute", "hour"]`` hash apart);
      * anything else (sets, dicts, lists, objects whose text form holds an
        address or depends on ``PYTHONHASHSEED``) raises a TypeError naming
        the column and the type: convert the column to str first.

      ``sparsereg._hashing`` documents the forms exactly;
    - cross ``k`` (its position in ``crosses``) starts at
      ``h = fmix64(fmix64(seed XOR c) + (k + 1) * G)`` and folds its columns
      in order, ``h = fmix64(h * G XOR t)``, so the same value in two crosses,
      or (A=1, B=2) versus (A=2, B=1), do not systematically collide;
    - the output column is ``h mod n_features``; with `alternate_sign` the
      entry is -1 when the top bit of ``h`` is set, else +1.

    Nothing depends on Python's salted ``hash()``, the platform or the batch.
    Within a row, entries are sorted and colliding entries summed (with
    `alternate_sign`, entries that cancel to 0 are dropped). Infinite values
    in a width-bucketed column raise a ValueError (no finite bucket holds
    them); with edges they fall in the outer buckets. Hashed columns have no
    names: use :meth:`explain` to find which cells produced a column.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg.crosses import FeatureCrossHasher
    >>> X = np.array([[37.7749, -122.4194, "NEAR BAY"],
    ...               [34.0522, -118.2437, "<1H OCEAN"]], dtype=object)
    >>> deg = {"width": 1 / 60, "format": "deg"}  # one-minute cells
    >>> hasher = FeatureCrossHasher(
    ...     crosses=[(0, 1), 2], buckets={0: deg, 1: deg}, n_features=2**28)
    >>> Xt = hasher.fit_transform(X)
    >>> Xt.shape, Xt.nnz, Xt.indices.dtype
    ((2, 268435456), 4, dtype('int32'))
    >>> cells = hasher.explain(X, columns=Xt[0].indices)
    >>> sorted(cell for found in cells.values() for cell in found)
    ["x0=37°46' x x1=-122°26'", 'x2=NEAR BAY']

    Datetime columns cut into calendar parts (here in Paris wall time) or
    fixed widths, crossed like any other column:

    >>> import pandas as pd
    >>> visits = pd.DataFrame({
    ...     "ts": pd.to_datetime(["2024-03-01T16:30Z", "2024-03-02T08:05Z"]),
    ...     "page": ["home", "cart"]})
    >>> hasher = FeatureCrossHasher(
    ...     crosses=[("ts", "page"), "quarter_hour"],
    ...     buckets={"ts": {"datetime": ["hour", "dayofweek"], "tz": "Europe/Paris"},
    ...              "quarter_hour": {"datetime": "15min"}})
    >>> Xt = hasher.fit_transform(visits.assign(quarter_hour=visits["ts"]))
    >>> cells = hasher.explain(visits.assign(quarter_hour=visits["ts"]), Xt[0].indices)
    >>> sorted(cell for found in cells.values() for cell in found)
    ['quarter_hour=2024-03-01T16:30', 'ts.hour=17 x ts.dayofweek=Fri x page=home']
    """

    _parameter_constraints: dict = {
        "crosses": [list, None],
        "buckets": [dict, None],
        "n_features": [Interval(numbers.Integral, 1, MAX_N_FEATURES, closed="both")],
        "alternate_sign": ["boolean"],
        "missing": [StrOptions({"bucket", "skip", "error"})],
        "seed": [Interval(numbers.Integral, 0, 2**64 - 1, closed="both")],
        "dtype": "no_validation",  # checked in _more_validate_params
    }

    def __init__(
        self,
        crosses=None,
        *,
        buckets=None,
        n_features=2**20,
        alternate_sign=False,
        missing="bucket",
        seed=0,
        dtype=np.float64,
    ):
        self.crosses = crosses
        self.buckets = buckets
        self.n_features = n_features
        self.alternate_sign = alternate_sign
        self.missing = missing
        self.seed = seed
        self.dtype = dtype

    def _more_validate_params(self):
        """Check what involves the structure of `crosses`, `buckets` and `dtype`."""
        for name in ("n_features", "seed"):  # (scikit-learn's Interval takes True as 1)
            if isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be an int, got {getattr(self, name)!r}.")
        try:
            dtype = np.dtype(self.dtype)
        except TypeError as exc:
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}.") from exc
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}.")

        def check_key(key):
            if isinstance(key, (bool, np.bool_)) or not isinstance(key, (str, numbers.Integral)):
                raise TypeError(f"column keys must be str (names) or int (positions); got {key!r}.")
            return key

        crosses = None
        if self.crosses is not None:
            if len(self.crosses) == 0:
                raise ValueError("crosses must not be empty (None means every column alone).")
            crosses = []
            for cross in self.crosses:
                keys = tuple(cross) if isinstance(cross, (tuple, list)) else (cross,)
                if not keys:
                    raise ValueError("crosses contains an empty tuple.")
                keys = tuple(check_key(k) for k in keys)
                if len(set(keys)) != len(keys):
                    raise ValueError(f"cross {cross!r} repeats a column.")
                crosses.append(keys)
        buckets = {
            check_key(k): _datetimes.DatetimeBuckets(k, v)
            if _datetimes.is_datetime_spec(v)
            else _tokens.Buckets(k, v)
            for k, v in (self.buckets or {}).items()
        }
        return crosses, buckets, dtype

    # -- the work ---------------------------------------------------------------

    def _validate_X(self, X, reset):
        _refuse_a_dask_collection(X)
        # an unfitted transformer is stateless: no column count or names to check against
        check_columns = reset or hasattr(self, "n_features_in_")
        X = _arrow_as_pandas(X)
        if _is_dataframe(X):
            columns = list(X.columns)
            if len(set(columns)) != len(columns):  # as validate_data refuses at fit
                seen, repeated = set(), []
                for c in columns:
                    if c in seen and c not in repeated:
                        repeated.append(c)
                    seen.add(c)
                raise ValueError(
                    f"X has duplicate column names {repeated}; a column must be "
                    "named once (rename or drop the duplicates)."
                )
            if check_columns:
                validate_data(self, X, reset=reset, skip_check_array=True)
            if X.ndim != 2 or X.shape[0] < 1:
                raise ValueError(
                    f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) "
                    f"while a minimum of 1 is required by {type(self).__name__}."
                )
            if X.shape[1] < 1:
                raise ValueError(
                    f"Found array with 0 feature(s) (shape={X.shape}) while a "
                    f"minimum of 1 is required by {type(self).__name__}."
                )
            return X, [str(c) for c in X.columns], columns
        if sp.issparse(X):
            raise TypeError(
                f"{type(self).__name__} needs dense input (a DataFrame or 2-D array "
                "of column values), got a sparse matrix."
            )
        if isinstance(X, np.ma.MaskedArray):  # (check_array drops the mask: hidden values read)
            raise TypeError(
                f"{type(self).__name__} does not take masked arrays: their masked entries "
                "would be read as the values they hide; pass X.filled(np.nan) (or None in an "
                "object array) to make them missing values."
            )
        if not hasattr(X, "__array__") and not hasattr(X, "dtype"):
            X = np.asarray(X, dtype=object)  # lists: keep the type of each value
        kwargs = dict(dtype=None, ensure_all_finite=False, accept_sparse=False)
        if check_columns:
            X = validate_data(self, X, reset=reset, **kwargs)
        else:
            X = check_array(X, estimator=self, **kwargs)
        names = getattr(self, "feature_names_in_", None)
        keys = None if names is None else list(names)
        display = keys if keys is not None else [f"x{j}" for j in range(X.shape[1])]
        return X, display, keys

    def _plan(self, X, reset=False):
        """Validate X and resolve crosses and buckets to column positions."""
        crosses, buckets, dtype = self._more_validate_params()
        X, display, keys = self._validate_X(X, reset)
        positions, bucket_at = self._positions(crosses, buckets, keys, display)
        return X, display, positions, bucket_at, dtype

    def _check_columns(self, names):
        """The checks of ``transform`` that need X's column names only (``names``), not its
        rows: every column that ``crosses`` and ``buckets`` name or number is in X. For a
        caller that knows the names before the rows (a dask DataFrame's)."""
        crosses, buckets, _ = self._more_validate_params()
        names = list(names)
        if not names:  # (as check_array refuses X of no column)
            raise ValueError(
                f"Found X with 0 feature(s) while a minimum of 1 is required by "
                f"{type(self).__name__}."
            )
        keys = names if all(isinstance(n, str) for n in names) else None
        display = keys if keys is not None else [f"x{j}" for j in range(len(names))]
        self._positions(crosses, buckets, keys, display)

    @staticmethod
    def _positions(crosses, buckets, keys, display):
        """``(positions of each cross, {position: bucket spec})`` in an X whose columns are
        ``display`` (named ``keys``, or None when it has no names)."""
        n_cols = len(display)
        lookup = {k: j for j, k in enumerate(keys)} if keys is not None else {}

        def resolve(key):
            if isinstance(key, str):
                if keys is None:
                    raise ValueError(
                        f"column {key!r} is given by name but X has no column names; "
                        "pass a pandas DataFrame or use integer positions."
                    )
                if key not in lookup:
                    raise ValueError(
                        f"column {key!r} not found in X; its columns are "
                        f"{display[:20]}{'...' if n_cols > 20 else ''}."
                    )
                return lookup[key]
            if not -n_cols <= key < n_cols:
                raise ValueError(
                    f"column position {key} is out of range for X with {n_cols} columns."
                )
            return int(key) % n_cols

        if crosses is None:
            crosses = [(j,) for j in range(n_cols)]
        positions = [tuple(resolve(k) for k in cross) for cross in crosses]
        for cross, pos in zip(crosses, positions):
            if len(set(pos)) != len(pos):
                raise ValueError(f"cross {cross!r} uses the same column twice.")
        bucket_at = {}
        for key, spec in buckets.items():
            j = resolve(key)
            if j in bucket_at:
                raise ValueError(
                    f"buckets give column {display[j]!r} twice (by name and position)."
                )
            bucket_at[j] = spec
        return positions, bucket_at

    @staticmethod
    def _native_column(X, j):
        col = X.iloc[:, j] if _is_dataframe(X) else X[:, j]
        if isinstance(col.dtype, np.dtype) and not col.dtype.isnative:
            # (values are read by their bits in places: uint64 against int64, datetime64 as
            # int64 nanoseconds) the same values in this machine's byte order
            col = col.astype(col.dtype.newbyteorder("="))
        return col

    def _column(self, X, j, name, spec, pd):
        col = self._native_column(X, j)
        try:
            if pd is not None and _is_dataframe(X):
                col = _tokens.without_arrow_views(col, pd)
            fitted_aware = getattr(self, "datetime_aware_", {}).get(name)
            column = self._column_tokens(col, name, spec, pd, fitted_aware)
        except NotImplementedError as exc:  # (pyarrow's ArrowNotImplementedError, pandas')
            raise TypeError(
                f"column {name!r} is of type {col.dtype}, whose values pandas cannot read "
                f"({type(exc).__name__}: {exc}); cast it to str, a number or a datetime first."
            ) from exc
        if column.missing is not None:
            if self.missing == "error":
                raise ValueError(f"column {name!r} has missing values and missing='error'.")
            if self.missing == "bucket":
                column.tokens[column.missing] = np.uint64(_hashing.MISSING_TOKEN)
        return column

    @staticmethod
    def _column_tokens(col, name, spec, pd, fitted_aware=None):
        if spec is None:
            try:
                return _tokens.category_tokens(col, pd)
            except _hashing.NoStableForm as exc:
                why = f" ({exc.reason})" if exc.reason else ""
                raise TypeError(
                    f"column {name!r} holds a value of type {_hashing.type_name(exc.value_type)}, "
                    f"which has no stable hash{why}. Only missing values, str, bytes, numbers "
                    "(bool, int, float, Decimal, Fraction and NumPy scalars), dates and datetimes, "
                    "and tuples of these are hashed; convert the column to str (or to a pandas "
                    "category of str) first."
                ) from exc
            except _hashing.RefusedValue as exc:
                raise ValueError(f"column {name!r}: {exc}") from exc
        if isinstance(spec, _datetimes.DatetimeBuckets):
            return spec.tokens(col, name, pd, fitted_aware)
        return _tokens.bucket_tokens(col, name, spec, pd)

    def _hash(self, X):
        """Full 64-bit hash of every cross; returns (n_rows, hashes, skips, labels, dtype)."""
        X, display, positions, bucket_at, dtype = self._plan(X)
        pd = _pandas()
        columns = {}
        for j in sorted({j for pos in positions for j in pos}):
            columns[j] = self._column(X, j, display[j], bucket_at.get(j), pd)
        seed = int(self.seed)
        hashes, skips, labels = [], [], []
        for k, pos in enumerate(positions):
            h = _hashing.cross_start(seed, k)
            skip = None
            for j in pos:
                h = _hashing.combine(h, columns[j].tokens)
                if self.missing == "skip" and columns[j].missing is not None:
                    skip = columns[j].missing if skip is None else skip | columns[j].missing
            hashes.append(h)
            skips.append(skip)
            labels.append([(display[j], columns[j]) for j in pos])
        return X.shape[0], hashes, skips, labels, dtype

    # -- public API -------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: MatrixLike, y: object = None) -> "FeatureCrossHasher":
        """Validate the parameters and X; nothing is learnt.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            The input columns.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The transformer, with `n_features_in_` (and `feature_names_in_`).
        """
        # validate_data(reset=True) sets the input attributes before crosses and buckets are
        # resolved against X: a refused call leaves those of the previous fit (or none)
        names = ("n_features_in_", "feature_names_in_", "column_kinds_", "datetime_aware_")
        saved = {name: self.__dict__[name] for name in names if name in self.__dict__}
        try:
            X, display, positions, bucket_at, _ = self._plan(X, reset=True)
            kinds = self._column_kinds(X) if _is_dataframe(X) else None
            aware = self._datetime_awareness(X, display, positions, bucket_at)
            # (in the block: a filter making the warning an error leaves the hasher as it was)
            _warn_of_unused_buckets(positions, bucket_at, display, _is_dataframe(X))
        except BaseException:
            for name in names:
                self.__dict__.pop(name, None)
            self.__dict__.update(saved)
            raise
        self.__dict__.pop("column_kinds_", None)
        if kinds is not None:
            self.column_kinds_ = kinds
        self.__dict__.pop("datetime_aware_", None)
        if aware:
            self.datetime_aware_ = aware
        return self

    def _warn_of_other_awareness(self, frame):
        """Warn of a column of the DataFrame ``frame`` (a dask DataFrame's ``_meta``: its
        dtypes tell) whose datetimes are timezone-aware where ``datetime_aware_`` says naive,
        or the reverse."""
        fitted = getattr(self, "datetime_aware_", None)
        if not fitted:
            return
        for name, aware in self._dtype_awareness(frame).items():
            if aware is not None and name in fitted and fitted[name] != aware:
                _datetimes.warn_of_other_awareness(name, aware)

    def _dtype_awareness(self, frame):
        """Of each of ``_dated_columns`` of the DataFrame ``frame`` (a dask DataFrame's
        ``_meta``), whether its dtype says its datetimes are timezone-aware (None: it does not
        say: text, objects)."""
        pd = _pandas()
        return {
            name: spec.awareness(frame[name], name, pd, by_dtype=True)
            for name, spec in self._dated_columns(frame.columns).items()
        }

    def _dated_columns(self, columns):
        """``{name: DatetimeBuckets}`` of the columns (a DataFrame's ``columns``, named by str)
        that a cross uses, bucketed as datetimes without 'tz' (those ``datetime_aware_``
        notes); empty where they are not all named by str or one is missing."""
        keys = list(columns)
        if not all(isinstance(k, str) for k in keys):
            return {}
        crosses, buckets, _ = self._more_validate_params()
        try:
            positions, bucket_at = self._positions(crosses, buckets, keys, keys)
        except ValueError:  # (a column missing: refused where the rows are read)
            return {}
        return {keys[j]: spec for j, spec in _dated_positions(positions, bucket_at).items()}

    def _datetime_awareness(self, X, display, positions, bucket_at):
        """``datetime_aware_`` of X: of each column a cross uses, bucketed as datetimes
        without 'tz', whether its values are timezone-aware (where a value tells)."""
        pd = _pandas()
        aware = {}
        for j, spec in sorted(_dated_positions(positions, bucket_at).items()):
            col = self._native_column(X, j)
            try:
                if pd is not None and _is_dataframe(X):  # (read as transform reads it)
                    col = _tokens.without_arrow_views(col, pd)
            except NotImplementedError:  # (refused when hashed)
                continue
            found = spec.awareness(col, display[j], pd)
            if found is not None:
                aware[display[j]] = bool(found)
        return aware

    def _fitted_on_columns(self, frame, kind_of, aware_of=None):
        """Fitted on a DataFrame's columns without its rows (a dask DataFrame's ``_meta``):
        ``n_features_in_``, ``feature_names_in_``, the kinds ``kind_of`` gives its
        columns (``column_kinds_``) and the awareness of their datetimes their dtypes tell, or
        else ``aware_of`` (a dict of the others', found in their values: ``datetime_aware_``)."""
        named = all(isinstance(name, str) for name in frame.columns)
        if named:  # (names not all str: each partition's transform looks its columns up)
            crosses, buckets, _ = self._more_validate_params()
            keys = list(frame.columns)
            positions, bucket_at = self._positions(crosses, buckets, keys, keys)
            _warn_of_unused_buckets(positions, bucket_at, keys, named=True)
        try:
            kinds = self._column_kinds(frame, kind_of=kind_of)
        except KeyError:  # (a name not among names not all str: no kinds, as transform says)
            kinds = {}
        # (the columns' dtypes tell: datetime64 naive, with a time zone aware)
        aware = {k: v for k, v in self._dtype_awareness(frame).items() if v is not None}
        aware.update({k: v for k, v in (aware_of or {}).items() if k not in aware})
        for name in ("n_features_in_", "feature_names_in_", "column_kinds_", "datetime_aware_"):
            self.__dict__.pop(name, None)
        self.n_features_in_ = len(frame.columns)
        if named:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        if kinds:
            self.column_kinds_ = kinds
        if aware:
            self.datetime_aware_ = aware
        return self

    def _kind_columns(self, columns):
        """The names, of ``columns`` (a DataFrame's), of those that a stream reads as pandas
        reads them (``columns_to_read``): the columns whose kinds the hasher notes."""
        from .stream._model import columns_to_read  # (it imports this module)

        numeric, inferred, text = columns_to_read([self])
        columns = list(columns)
        # (a column bucketed as datetimes by its position is bucketed, not hashed by its
        # values' kind; one bucketed as numbers so is noted, so that a file's are read as
        # numbers: the reader knows buckets by name only)
        by_position = [
            columns[int(key) % len(columns)]
            for key, spec in (self.buckets or {}).items()
            if isinstance(key, numbers.Integral)
            and -len(columns) <= key < len(columns)
            and _datetimes.is_datetime_spec(spec)
        ]
        read_otherwise = {*numeric, *text, *by_position}
        if inferred is None and self.crosses is not None:  # (crosses by position)
            inferred = [
                columns[key] if isinstance(key, numbers.Integral) else key
                for cross in self.crosses
                for key in (cross if isinstance(cross, (tuple, list)) else (cross,))
            ]
        return [
            name
            for name in (columns if inferred is None else dict.fromkeys(inferred))
            if isinstance(name, str) and name not in read_otherwise
        ]

    def _column_kinds(self, X, kind_of=values_kind):
        """The kind of each column of a DataFrame that a stream reads as pandas reads it
        (``_kind_columns``), where its values are of one kind (``kind_of`` a column)."""
        kinds = {name: kind_of(X[name]) for name in self._kind_columns(X.columns)}
        return {n: k for n, k in kinds.items() if k in ("number", "bool", "text", "datetime")}

    def transform(self, X: MatrixLike) -> sp.csr_matrix:
        """Hash the crosses of each row into a sparse matrix.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            The input columns. A fitted transformer checks the number (and
            names) of columns against what `fit` saw.

        Returns
        -------
        Xt : scipy.sparse.csr_matrix of shape (n_samples, n_features)
            One entry per cross and row (fewer after collisions or skipped
            missing values), sorted indices, no duplicates. A ``csr_array``
            under ``sklearn.set_config(sparse_interface="sparray")``, as
            scikit-learn's transformers give.
        """
        self._validate_params()
        _refuse_a_dask_collection(X)
        kinds = getattr(self, "column_kinds_", None)
        if kinds:
            warn_of_other_kinds(
                X, kinds, "the FeatureCrossHasher was fitted on it as {trained} (column_kinds_)"
            )
        n_rows, hashes, skips, _, dtype = self._hash(X)
        return self._to_csr(n_rows, hashes, skips, dtype)

    def _to_csr(self, n_rows, hashes, skips, dtype):
        # Each row has exactly m = len(crosses) entries, one per cross: lay them out row by
        # row, give the skipped ones the value 0, and let scipy sort each row, sum the
        # collisions and drop the zeros (skipped entries, and entries that cancel).
        m, n_features = len(hashes), self.n_features
        small = n_features <= _INT32_MAX and n_rows * m <= _INT32_MAX
        index_dtype = np.int32 if small else np.int64
        indices = np.empty((n_rows, m), dtype=index_dtype)
        data = np.ones((n_rows, m), dtype=dtype)
        for k, (h, skip) in enumerate(zip(hashes, skips)):
            columns, negative = _hashing.column_and_sign(h, n_features, self.alternate_sign)
            indices[:, k] = columns
            if negative is not None:
                np.copyto(data[:, k], -1, where=negative)
            if skip is not None:
                np.copyto(data[:, k], 0, where=skip)
        indptr = np.arange(0, n_rows * m + 1, m, dtype=index_dtype)
        out = sp.csr_matrix((data.ravel(), indices.ravel(), indptr), shape=(n_rows, n_features))
        out.sum_duplicates()
        out.eliminate_zeros()
        return configured_csr(
            out
        )  # a csr_array under sparse_interface="sparray", as FeatureHasher's

    def explain(self, X: MatrixLike, columns: ArrayLike) -> dict[int, list[str]]:
        """Which cells of the batch X landed in the given output columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            A batch whose cells are looked up, e.g. the training data.
        columns : int or array-like of int
            Output column indices, e.g. those of the largest weights of a
            model trained on `transform(X)`.

        Returns
        -------
        cells : dict of int -> list of str
            For each requested column, the readable cells that hash to it,
            most frequent in X first, e.g. ``"latitude=37°45' x longitude=-122°26'"``
            (bucketed values print their bucket, see `buckets`). With
            `alternate_sign`, a cell whose entry is -1 is prefixed with ``-``
            (``"-device=phone"``, ``"-(city=Rome x device=desk)"``: its effect on
            a score is minus the column's weight). An empty list means no row
            of X produced that column.
        """
        self._validate_params()
        asked = np.atleast_1d(np.asarray(columns))
        # integers only, as given (7.9 and "7" were read as column 7)
        if asked.ndim != 1 or (asked.size and asked.dtype.kind not in "iu"):
            raise ValueError(
                f"columns must be column indices (integers, 1-D); got {asked.dtype} values "
                f"of shape {asked.shape}."
            )
        if asked.size and (asked.min() < 0 or asked.max() >= self.n_features):
            raise ValueError(f"columns must be in [0, n_features={self.n_features}).")
        wanted = np.unique(asked.astype(np.int64))
        _, hashes, skips, labels, _ = self._hash(X)
        found = {int(j): [] for j in asked}
        for h, skip, label in zip(hashes, skips, labels):
            index, negative = _hashing.column_and_sign(
                h, self.n_features, alternate_sign=self.alternate_sign
            )
            rows = np.flatnonzero(np.isin(index, wanted) & (True if skip is None else ~skip))
            cells, first, counts = np.unique(h[rows], return_index=True, return_counts=True)
            for r, count in zip(rows[first], counts):
                text = " x ".join(column.describe(name, r) for name, column in label)
                if self.alternate_sign and negative[r]:  # (it enters its column as -1)
                    text = f"-({text})" if len(label) > 1 else f"-{text}"
                found[int(index[r])].append((-int(count), text))
        return {j: [text for _, text in sorted(cells)] for j, cells in found.items()}

    def collision_stats(self, X: MatrixLike) -> dict[str, float]:
        """Observed and expected hash collisions on the batch X.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            The batch to count distinct tokens in.

        Returns
        -------
        stats : dict
            ``n_tokens``: distinct (cross, cell) pairs in X (counted by their
            64-bit hash); ``n_columns``: distinct output columns they occupy;
            ``observed_rate``: ``1 - n_columns / n_tokens``; ``expected_rate``:
            :func:`expected_collision_rate` for ``n_tokens`` and `n_features`.
        """
        self._validate_params()
        _, hashes, skips, _, _ = self._hash(X)
        tokens = sorted_distinct(
            np.concatenate([h if skip is None else h[~skip] for h, skip in zip(hashes, skips)])
        )
        columns, _ = _hashing.column_and_sign(tokens, self.n_features, alternate_sign=False)
        n_columns = sorted_distinct(columns).size
        n_tokens = tokens.size
        return {
            "n_tokens": int(n_tokens),
            "n_columns": int(n_columns),
            "observed_rate": 1.0 - n_columns / n_tokens if n_tokens else 0.0,
            "expected_rate": float(expected_collision_rate(n_tokens, self.n_features)),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        # the output is of the dtype parameter's type whatever X's (an input of that type
        # keeps it): the default float64 tag was wrong for dtype=np.float32
        try:
            dtype = np.dtype(self.dtype)
        except (TypeError, ValueError):
            dtype = None  # (refused by fit and transform)
        float_dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
        tags.transformer_tags.preserves_dtype = [float_dtype.name]
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
