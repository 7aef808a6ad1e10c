"""FeatureCrossHasher tokens are a function of each value's canonical form alone.

Issue 12, "Transformer determinism": a value's token must not depend on the
other values of its column, on the column's dtype, or on the process; values
without a stable canonical form are refused; crosses=None, frames without
columns and duplicate column names behave the same fitted or not.
"""

import datetime as dt
import enum
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg import _hashing, crosses
from sparsereg.crosses import FeatureCrossHasher

from .hash_seed_helpers import outputs_under_two_hash_seeds

WIDE = 2**60  # wide enough that equal output columns mean equal tokens


def column(values):
    """A one-column object array holding ``values`` as they are (tuples included)."""
    X = np.empty((len(values), 1), dtype=object)
    for i, v in enumerate(values):
        X[i, 0] = v
    return X


def tokens(X, **params):
    """Output column of each row of a one-cross transform (one entry per row)."""
    if isinstance(X, list):
        X = column(X)
    elif isinstance(X, np.ndarray) and X.ndim == 1:
        X = X.reshape(-1, 1)
    Xt = FeatureCrossHasher(n_features=WIDE, **params).transform(X)
    assert np.all(np.diff(Xt.indptr) == 1)
    return Xt.indices.tolist()


def alone(v):
    return tokens([v])[0]


# -- the examples -------------------------------------------------------------------


def test_decimal_alone_and_after_an_int():
    assert alone(Decimal("1")) == alone(1) == tokens([1, Decimal("1")])[1]
    assert tokens([Decimal("1"), 1]) == [alone(1)] * 2
    assert alone(Decimal("1.000")) == alone(1.0) == alone(True)


def test_numbers_of_many_digits_hash_in_bounded_time_or_are_refused():
    # a fraction past Python's limit of digits for str(): hashed by its hexadecimal digits,
    # equal to the Decimal of the same value
    assert alone(Fraction(1, 10**5000)) == alone(Decimal("1e-5000"))
    assert alone(Fraction(1, 10**5000)) != alone(Fraction(1, 10**5000 + 1))
    assert alone(Decimal("1e100000")) == alone(10**100000)
    # Decimal("1e100000000") (12 characters) would build an int of 10**8 digits: refused
    for huge in ("1e100001", "-1e100000000", "1e-100001"):
        with pytest.raises(ValueError, match=r"exponent is beyond \+-100,000"):
            alone(Decimal(huge))


def test_a_decimal_of_a_huge_exponent_is_refused_naming_the_column():
    # (the ValueError named no column, as every other refusal does)
    huge = Decimal("1E+100001")
    for X, name in (
        (pd.DataFrame({"price": np.array([huge, "a"], dtype=object)}), "price"),
        (pd.DataFrame({"price": pd.Categorical([huge, Decimal(1)])}), "price"),
        (pd.DataFrame({"price": np.array([(huge, 1), None], dtype=object)}), "price"),
        (column(["a", huge]), "x0"),
    ):
        with pytest.raises(ValueError, match=rf"column '{name}'.*exponent is beyond \+-100,000"):
            FeatureCrossHasher().fit_transform(X)


def test_integral_float_beyond_int64_alone_and_after_the_int():
    big = alone(2**63)
    assert alone(2.0**63) == big == tokens([2**63, 2.0**63])[1] == tokens([2.0**63, 2**63])[1]
    for same in (
        [np.uint64(2**63)],
        [Decimal(2**63)],
        [Fraction(2**63)],
        np.array([2.0**63]),
        np.array([2**63], dtype=np.uint64),
        pd.DataFrame({"a": np.array([2**63], dtype=np.uint64)}),
        pd.DataFrame({"a": pd.array([2**63], dtype="UInt64")}),
    ):
        assert tokens(same) == [big], same
    assert tokens(np.array([1e300, -(2.0**63), -(2.0**64)])) == [
        alone(int(1e300)),
        alone(-(2**63)),
        alone(-(2**64)),
    ]


def test_uint64_max_is_not_int64_minus_one():
    u = alone(2**64 - 1)
    assert u != alone(-1)
    assert tokens(np.array([2**64 - 1, 5], dtype=np.uint64)) == [u, alone(5)]
    assert tokens(np.array([-1, 5], dtype=np.int64)) == [alone(-1), alone(5)]
    assert tokens(pd.DataFrame({"a": pd.array([2**64 - 1, None], dtype="UInt64")}))[0] == u
    assert tokens([np.uint64(2**64 - 1)]) == [u]


@pytest.mark.parametrize("value", [1, 0, -7, 100, 0.5, -2.25, 1.5e10])
def test_one_token_in_every_numpy_dtype(value):
    expected = alone(value)
    dtypes = [
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.float16,
        np.float32,
        np.float64,
        np.longdouble,
        bool,
    ]
    for dtype in dtypes:
        try:
            with np.errstate(over="ignore"):
                a = np.array([value], dtype=dtype)
        except OverflowError:
            continue
        if a[0].item() != value:  # .item(): NumPy would compare in float16
            continue  # not representable in this dtype
        assert tokens(a) == [expected], dtype
        assert tokens([a[0]]) == [expected], dtype
        assert tokens(pd.DataFrame({"a": a})) == [expected], dtype
    assert tokens(pd.DataFrame({"a": pd.array([value, None], dtype="Float64")}))[0] == expected


def test_float32_and_float64_of_a_decimal_fraction_are_different_numbers():
    f32 = np.float32(0.1)
    assert alone(f32) != alone(0.1)
    assert alone(f32) == alone(float(f32)) == alone(Fraction(float(f32)))
    assert tokens(np.array([0.1], np.float32)) == [alone(f32)]
    assert alone(Decimal("0.1")) == alone(Fraction(1, 10)) != alone(0.1)
    assert alone(Decimal("0.25")) == alone(Fraction(1, 4)) == alone(0.25)
    assert alone(Fraction(1, 3)) != alone(1 / 3)
    # a long double that is not a float64 keeps its exact value
    ld = np.longdouble(1) / np.longdouble(3)
    if float(ld) != ld:
        assert tokens(np.array([ld])) == [alone(ld)] and alone(ld) != alone(1 / 3)


@pytest.mark.parametrize(
    "batch",
    [
        [65520, np.float16("inf")],  # NumPy compares in float16: 65520 -> inf
        [2**53 + 1, np.float64(2.0**53)],  # NumPy compares in float64
        [np.int64(2**53 + 1), 2.0**53],
        [16777217, np.float32(16777216)],
        [np.uint64(2**63), np.int64(2**63 - 1)],
    ],
)
@pytest.mark.parametrize("without_pandas", [False, True])
def test_lossy_numpy_equality_does_not_merge_tokens(batch, without_pandas, monkeypatch):
    if without_pandas:
        monkeypatch.setattr(crosses, "_pandas", lambda: None)
    singles = [alone(v) for v in batch]
    assert singles[0] != singles[1]
    # each row holds one of the batch's two objects: its token is that object's token alone
    alone_token = {id(v): token for v, token in zip(batch, singles)}
    for many in (batch, batch[::-1], batch * 600):  # many rows: the second deduplication path
        assert tokens(many) == [alone_token[id(v)] for v in many]


def test_missing_values_are_one_token_in_any_form():
    forms = [
        None,
        float("nan"),
        np.float32("nan"),
        Decimal("NaN"),
        Decimal("sNaN"),  # (hash() refuses it: merging equal values raised TypeError)
        pd.NA,
        pd.NaT,
        np.datetime64("NaT"),
    ]
    assert tokens(forms) == [alone(None)] * len(forms)
    assert tokens(np.array([np.nan])) == [alone(None)]
    for form in forms:
        X = column([form, 1])
        assert FeatureCrossHasher(missing="skip").transform(X).nnz == 1
        with pytest.raises(ValueError, match="missing values"):
            FeatureCrossHasher(missing="error").transform(X)
    assert _hashing.hash_value(Decimal("NaN")) == _hashing.MISSING_TOKEN


def test_a_bucketed_column_of_decimals_takes_any_nan_as_missing():
    # (float() of Decimal('sNaN') raised decimal.InvalidOperation out of the bucketing)
    hasher = FeatureCrossHasher([("c",)], buckets={"c": 1.0}, n_features=2**10)
    values = [Decimal("1.5"), Decimal("sNaN"), Decimal("NaN"), None, Decimal("1.7")]
    Xt = hasher.fit_transform(pd.DataFrame({"c": np.array(values, dtype=object)}))
    assert [(Xt[i] != Xt[3]).nnz for i in (1, 2)] == [0, 0]  # missing, as None
    assert (Xt[0] != Xt[4]).nnz == 0 and (Xt[0] != Xt[3]).nnz  # one bucket, not missing
    # Decimals among other numbers (refused as not numeric): the buckets of their values
    mixed = hasher.transform(pd.DataFrame({"c": np.array([Decimal("1.5"), 1.25, 3], dtype=object)}))
    floats = hasher.transform(pd.DataFrame({"c": [1.5, 1.25, 3.0]}))
    assert (mixed != floats).nnz == 0


def test_a_nan_that_is_not_na_in_a_nullable_float_column_is_missing():
    # pandas' Float64 holds NaN apart from NA (Parquet read with the pyarrow backend too)
    nan_not_na = pd.arrays.FloatingArray(np.array([np.nan, 1.0]), np.array([False, False]))
    X = pd.DataFrame({"a": nan_not_na})
    assert tokens(X) == [alone(None), alone(1.0)]
    assert FeatureCrossHasher(missing="skip").transform(X).nnz == 1
    with pytest.raises(ValueError, match="missing values"):
        FeatureCrossHasher(missing="error").transform(X)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_sparse_float_column_hashes_as_the_dense_column(dtype):
    # (Sparse[float] raised AttributeError: a SparseDtype has no itemsize)
    values = np.array([1.0, np.nan, 0.0, 2.5], dtype=dtype)
    sparse = pd.DataFrame({"c": pd.arrays.SparseArray(values)})
    dense = pd.DataFrame({"c": values})
    assert tokens(sparse) == tokens(dense) == [alone(1.0), alone(None), alone(0.0), alone(2.5)]
    for missing in ("bucket", "skip"):
        hasher = FeatureCrossHasher(["c"], missing=missing)
        assert (hasher.fit_transform(sparse) != hasher.fit_transform(dense)).nnz == 0
    with pytest.raises(ValueError, match="column 'c' has missing values"):
        FeatureCrossHasher(["c"], missing="error").fit_transform(sparse)


def test_a_pyarrow_bool_column_with_nulls_hashes_as_a_nullable_boolean_column():
    pytest.importorskip("pyarrow")
    # (bool[pyarrow] with a null raised pyarrow's ArrowInvalid)
    values = [True, None, False]
    arrow = pd.DataFrame({"c": pd.Series(values, dtype="bool[pyarrow]")})
    masked = pd.DataFrame({"c": pd.Series(values, dtype="boolean")})
    assert tokens(arrow) == tokens(masked) == [alone(True), alone(None), alone(False)]
    hasher = FeatureCrossHasher(["c"], missing="skip")
    assert hasher.fit_transform(arrow).indptr.tolist() == [0, 1, 1, 2]
    assert (hasher.transform(arrow) != hasher.transform(masked)).nnz == 0


def test_arrow_view_columns_hash_as_their_values():
    pa = pytest.importorskip("pyarrow")
    # (a string_view or binary_view column, as Polars and DuckDB export text, raised pandas'
    # NotImplementedError or pyarrow's ArrowNotImplementedError: neither names the column)
    texts, blobs = ["2024-03-01T16:30", None, "2024-03-02T08:05"], [b"a", None, b"c"]
    views = {"s": pa.string_view(), "b": pa.binary_view()}
    values = {"s": texts, "b": blobs}
    frame = pd.DataFrame({k: pd.Series(values[k], dtype=pd.ArrowDtype(views[k])) for k in views})
    table = pa.table({k: pa.array(values[k], views[k]) for k in views})
    plain = pd.DataFrame({k: pd.Series(values[k], dtype=object) for k in views})
    assert tokens(frame[["s"]]) == [alone(v) for v in texts]
    assert tokens(frame[["b"]]) == [alone(v) for v in blobs]
    for hasher in (
        FeatureCrossHasher([("s", "b"), "s"], n_features=WIDE),
        FeatureCrossHasher([("s", "b")], buckets={"s": {"datetime": "hour"}}, missing="skip"),
    ):
        expected = hasher.fit_transform(plain)
        for X in (frame, table):
            assert (hasher.transform(X) != expected).nnz == 0
    view_of_lists = pd.Series([[1], None], dtype=pd.ArrowDtype(pa.list_view(pa.int64())))
    with pytest.raises(TypeError, match="column 'l' holds a value of type numpy.ndarray"):
        FeatureCrossHasher().fit_transform(pd.DataFrame({"l": view_of_lists}))


@pytest.mark.parametrize("kind", ["run_end_encoded", "month_day_nano_interval"])
def test_an_arrow_column_pandas_cannot_read_is_refused_naming_it(kind):
    pa = pytest.importorskip("pyarrow")
    # (pandas' NotImplementedError, naming the Arrow type only)
    if kind == "run_end_encoded":
        values = pa.RunEndEncodedArray.from_arrays([2, 3], pa.array(["a", "b"]))
    else:
        values = pa.array([pa.MonthDayNano([1, 2, 3]), None], pa.month_day_nano_interval())
    arrow = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([values])))
    for buckets in (None, {"r": 1.0}, {"r": {"datetime": "hour"}}):
        with pytest.raises(TypeError, match=f"column 'r' is of type {kind}.*cast it to str"):
            FeatureCrossHasher(buckets=buckets).fit_transform(pd.DataFrame({"r": arrow}))


@pytest.mark.parametrize("as_frame", [False, True])
def test_values_of_either_byte_order_hash_alike(as_frame):
    # (a big-endian uint64 beyond int64 hashed as the int64 of its bits, 2**63 + 5 as
    # -2**63 + 5; the bytes of big-endian datetimes were read as little-endian nanoseconds,
    # refused as out of range or bucketed at another time)
    native = {
        "u": np.array([2**63 + 5, 7], dtype=np.uint64),
        "i": np.array([-3, 2**40]),
        "f": np.array([0.1, np.nan]),
        "t": np.array(["2020-01-01T01:02", "NaT"], dtype="datetime64[s]"),
    }
    swapped = {k: v.astype(v.dtype.newbyteorder("S")) for k, v in native.items()}
    assert not any(v.dtype.isnative for v in swapped.values())
    specs = {"f": 0.5, "t": {"datetime": ["hour", "minute"]}}
    for key in native:
        for buckets in (None, {0: specs[key]} if key in specs else None, {0: {"datetime": "1min"}}):
            if buckets and "datetime" in str(buckets) and key != "t":
                continue
            hasher = FeatureCrossHasher(n_features=WIDE, buckets=buckets)
            if as_frame:  # (pandas keeps a big-endian number column as it is)
                X, X_swapped = pd.DataFrame({key: native[key]}), pd.DataFrame({key: swapped[key]})
            else:
                X, X_swapped = native[key].reshape(-1, 1), swapped[key].reshape(-1, 1)
            assert (hasher.fit_transform(X_swapped) != hasher.fit_transform(X)).nnz == 0


def test_strings_bytes_and_numbers_are_distinct():
    assert len({alone("1"), alone(b"1"), alone(1)}) == 3
    assert tokens(np.array(["a"])) == [alone("a")] == [alone(np.str_("a"))]
    assert tokens(np.array([b"a"])) == [alone(b"a")] == [alone(np.bytes_(b"a"))]


def test_datetimes_and_dates():
    day = alone(dt.datetime(2020, 1, 1))
    for same in (
        [pd.Timestamp("2020-01-01")],
        [np.datetime64("2020-01-01")],
        [np.datetime64("2020-01-01T00:00:00.000000000")],
        [dt.date(2020, 1, 1)],
        np.array(["2020-01-01"], "datetime64[ns]"),
        np.array(["2020-01"], "datetime64[M]"),
        np.array(["2020-01-01"], "datetime64[s]"),
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])}),
    ):
        assert tokens(same) == [day], same
    utc = alone(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert utc != day
    assert alone(pd.Timestamp("2020-01-01 01:00", tz="Europe/Paris")) == utc
    assert tokens(pd.DataFrame({"t": pd.to_datetime(["2020-01-01"]).tz_localize("UTC")})) == [utc]
    assert alone(pd.Timestamp("2020-01-01 00:00:00.000000001")) != day
    assert alone(dt.datetime(9999, 12, 31)) != alone(dt.datetime(1, 1, 1))  # beyond ns range
    # NaT inside a datetime64 array is missing
    X = np.array(["2020-01-01", "NaT"], "datetime64[ns]")
    assert tokens(X) == [day, alone(None)]


def test_tuples_element_by_element():
    t = alone((1, "a"))
    assert tokens([(1.0, "a"), (True, np.str_("a")), (Decimal(1), "a")]) == [t] * 3
    assert tokens([(1, "a"), (1.0, "a")])[1] == t
    assert alone((1, ("a", None))) == alone((1.0, ("a", float("nan"))))
    assert len({alone(()), alone(("a",)), alone("a"), alone((1, "a")), alone(("a", 1))}) == 5


# -- values without a stable form -------------------------------------------------------------


class Plain:
    pass


class Colour(enum.Enum):
    RED = 1


@pytest.mark.parametrize(
    "value, type_name",
    [
        (frozenset({"a", "b", "c"}), "frozenset"),
        ({"a", "b"}, "set"),
        ({"a": 1}, "dict"),
        ([1, 2], "list"),
        (Plain(), "Plain"),
        (object(), "object"),
        (len, "builtin_function_or_method"),
        (lambda x: x, "function"),
        (1 + 0j, "complex"),
        (dt.timedelta(1), "timedelta"),
        # a NumPy signedinteger: hashed as the integer 5 (ns), int() of it raised TypeError (D)
        (np.timedelta64(5, "ns"), "timedelta64"),
        (np.timedelta64(5, "D"), "timedelta64"),
        (dt.time(1), "time"),
        (Colour.RED, "Colour"),
        ((1, frozenset({2})), "frozenset"),
        (np.datetime64(1, "ps"), "datetime64"),
    ],
)
@pytest.mark.parametrize("without_pandas", [False, True])
def test_values_without_a_stable_form_are_refused(value, type_name, without_pandas, monkeypatch):
    if without_pandas:
        monkeypatch.setattr(crosses, "_pandas", lambda: None)
    with pytest.raises(
        TypeError,
        match=f"column 'x1' holds a value of type \\S*{type_name}"
        ".*no stable hash.*convert the column to str",
    ):
        FeatureCrossHasher().transform(np.array([["a", "b"], ["c", value]], dtype=object))
    with pytest.raises(TypeError) as exc:
        _hashing.hash_value(value)
    assert isinstance(exc.value, _hashing.NoStableForm)


@pytest.mark.parametrize("without_pandas", [False, True])
def test_numpy_durations_in_a_bucketed_object_column_are_refused(without_pandas, monkeypatch):
    # (read as the number 5)
    if without_pandas:
        monkeypatch.setattr(crosses, "_pandas", lambda: None)
    X = np.array([[np.timedelta64(5, "s")], [5]], dtype=object)
    with pytest.raises(ValueError, match="column 'x0' is bucketed.*numeric.*timedelta64"):
        FeatureCrossHasher(buckets={0: 1.0}).transform(X)


def test_an_arrow_duration_column_is_refused_as_durations():
    pytest.importorskip("pyarrow")
    # (np.dtype of the extension dtype raised "Cannot interpret 'duration[s][pyarrow]'")
    df = pd.DataFrame({"wait": pd.Series([1, None], dtype="duration[s][pyarrow]")})
    with pytest.raises(TypeError, match="column 'wait' .*no stable hash.*durations are refused"):
        FeatureCrossHasher(["wait"]).transform(df)


def test_refused_dtypes_name_the_dataframe_column():
    df = pd.DataFrame(
        {
            "ok": [1, 2],
            "wait": pd.to_timedelta([1, 2], unit="s"),
            "sets": [frozenset({1}), frozenset({2})],
        }
    )
    with pytest.raises(TypeError, match="column 'wait' .*timedelta64.*durations"):
        FeatureCrossHasher(["ok", "wait"]).transform(df)
    with pytest.raises(TypeError, match="column 'sets' .*frozenset.*PYTHONHASHSEED"):
        FeatureCrossHasher(["sets"]).transform(df)
    assert FeatureCrossHasher(["ok"]).transform(df).nnz == 2  # unused columns are not read


def test_pythonhashseed_independence_of_accepted_values_and_refusal_of_the_rest():
    code = (
        "import datetime as dt, numpy as np; from decimal import Decimal; "
        "from fractions import Fraction; from sparsereg.crosses import FeatureCrossHasher as F; "
        "X = np.empty((8, 1), dtype=object); "
        "X[:, 0] = [Decimal('0.1'), Fraction(1, 3), 2**70, 2.0**63, ('a', 1), "
        "dt.datetime(2020, 1, 2, 3), b'x', 'y']; "
        "print(F(n_features=2**40, seed=3).transform(X).indices.tolist(), end=' ')\n"
        "for v in [frozenset('abcdefgh'), {'a', 'b', 'c'}, object()]:\n"
        "    X[0, 0] = v\n"
        "    try: F().transform(X[:1]); print('accepted', end=' ')\n"
        "    except TypeError: print('refused', end=' ')\n"
        "print(hash('a'))"
    )
    outs = [out.rsplit(" ", 1) for out in outputs_under_two_hash_seeds(code)]
    assert outs[0][1] != outs[1][1], "the subprocesses did not get different hash seeds"
    assert outs[0][0] == outs[1][0]
    assert outs[0][0].endswith("refused refused refused")


# -- the property: batch independence and equal values of different types ---------------------


def typed_ints(n):
    """n as each type that holds it exactly."""
    out = [n, Decimal(n), Fraction(n)]
    if n in (0, 1):
        out += [bool(n), np.bool_(n)]
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64):
        info = np.iinfo(t)
        if info.min <= n <= info.max:
            out.append(t(n))
    for t in (np.float16, np.float32, float):
        try:
            with np.errstate(over="ignore"):
                f = t(n)
        except OverflowError:
            continue
        if float(f) == n:  # exact: NumPy would compare in the float's own width
            out.append(f)
    return out


def typed_floats(f):
    """A float64 as each type that holds it exactly."""
    out = [f, Decimal(f), np.float64(f), np.longdouble(f)]
    if np.isfinite(f):
        out.append(Fraction(f))
    for t in (np.float16, np.float32):
        with np.errstate(over="ignore"):
            g = t(f)
        if float(g) == f:
            out.append(g)
    return out


numbers_as_types = st.one_of(
    st.integers(-(2**70), 2**70).map(typed_ints),
    st.sampled_from([0, 1, -1, 2**63, 2**63 - 1, -(2**63), 2**64 - 1, 2**64]).map(typed_ints),
    st.floats(allow_nan=False, allow_infinity=True).map(typed_floats),
    st.floats(width=16, allow_nan=False).map(typed_floats),
    st.fractions().map(
        lambda q: (
            [q, Decimal(q.numerator) / Decimal(q.denominator)]
            if Decimal(q.numerator) / Decimal(q.denominator) == q
            else [q]
        )
    ),
)
scalars = st.one_of(
    numbers_as_types.flatmap(st.sampled_from),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.sampled_from([None, float("nan"), Decimal("NaN"), pd.NA, pd.NaT]),
    st.datetimes(
        timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))])
    ),
    st.dates(),
    st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2200, 1, 1)).map(
        lambda d: np.datetime64(d, "us")
    ),
)
values = st.one_of(scalars, st.tuples(scalars, scalars), st.tuples(scalars))


def exact(v):
    """NumPy scalars as Python values: NumPy compares np.float16(inf) == 65520 in float16."""
    if isinstance(v, tuple):
        return tuple(exact(x) for x in v)
    return v.item() if isinstance(v, np.generic) and not isinstance(v, np.longdouble) else v


def equal(a, b):
    a, b = exact(a), exact(b)
    try:
        result = a == b
        # NumPy vs tuple compares element-wise; pd.NA == x is NA, not a bool
        return not isinstance(result, np.ndarray) and bool(result)
    # np.bool_(0) == 2**63 raises; np.longdouble(0) == ("", b"\x80") tries to decode the bytes
    except (TypeError, OverflowError, ValueError):
        return False


@settings(max_examples=150, deadline=None)
@given(
    batch=st.lists(values, min_size=1, max_size=12),
    how=st.sampled_from(["array", "frame", "without pandas"]),
)
def test_each_token_is_the_token_of_the_value_alone(batch, how):
    X = column(batch)
    if how == "without pandas":
        real, crosses._pandas = crosses._pandas, lambda: None
        try:
            together = tokens(X)
        finally:
            crosses._pandas = real
    else:
        together = tokens(pd.DataFrame(X, dtype=object) if how == "frame" else X)
    singles = [alone(v) for v in batch]
    assert together == singles
    assert _hashing.hash_values(batch).tolist() == [_hashing.hash_value(v) for v in batch]
    for i, a in enumerate(batch):
        for j, b in enumerate(batch[:i]):
            if equal(a, b):
                assert together[i] == together[j], (a, b)


@settings(max_examples=150, deadline=None)
@given(
    forms=numbers_as_types,
    others=st.lists(numbers_as_types.flatmap(st.sampled_from), max_size=5),
    data=st.data(),
)
def test_equal_numbers_of_different_types_are_one_token(forms, others, data):
    expected = alone(forms[0])
    order = data.draw(st.permutations(range(len(forms) + len(others))))
    pool = forms + others
    got = tokens([pool[i] for i in order])
    assert [t for i, t in zip(order, got) if i < len(forms)] == [expected] * len(forms)
    same_type = [f for f in forms if isinstance(f, np.generic) and not isinstance(f, np.bool_)]
    for f in same_type:  # and in an array of its own dtype
        assert tokens(np.array([f])) == [expected], type(f)


# -- crosses=None, empty frames, duplicate names -------------------------------------------------


def test_crosses_none_is_by_position_fitted_or_not():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"], "c": [0.5, 1.5, None]})
    ints = df.set_axis([2, 0, 1], axis=1)  # int names are not positions
    expected = FeatureCrossHasher(n_features=WIDE).transform(df)
    for X in (df, ints, df.to_numpy(dtype=object)):
        unfitted = FeatureCrossHasher(n_features=WIDE)
        assert (unfitted.transform(X) != expected).nnz == 0
        assert (unfitted.fit(X).transform(X) != expected).nnz == 0
    by_name = FeatureCrossHasher(["a", "b", "c"], n_features=WIDE)
    assert (by_name.transform(df) != expected).nnz == 0
    assert (FeatureCrossHasher([0, 1, 2], n_features=WIDE).transform(ints) != expected).nnz == 0
    fitted = FeatureCrossHasher(n_features=WIDE).fit(df)
    with pytest.warns(UserWarning, match="feature names"):
        assert (fitted.transform(df.to_numpy(dtype=object)) != expected).nnz == 0
    # explain names the columns the same way before and after fit
    cols = expected[0].indices
    assert FeatureCrossHasher(n_features=WIDE).explain(df, cols) == fitted.explain(df, cols)


@pytest.mark.parametrize(
    "method", ["fit", "transform", "fit_transform", "explain", "collision_stats"]
)
def test_frame_with_rows_and_no_columns(method):
    hasher = FeatureCrossHasher()
    args = (pd.DataFrame(index=range(3)),) + ((0,) if method == "explain" else ())
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(3, 0\)\)"):
        getattr(hasher, method)(*args)


@pytest.mark.parametrize(
    "params",
    [dict(), dict(crosses=["a"]), dict(crosses=["b"]), dict(crosses=[0], buckets={"a": 1.0})],
)
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_duplicate_column_names_are_refused(params, method):
    df = pd.DataFrame([[1.0, 2.0, 3.0, 4.0]], columns=["a", "a", "b", "b"])
    with pytest.raises(ValueError, match=r"duplicate column names \['a', 'b'\]"):
        getattr(FeatureCrossHasher(**params), method)(df)
    fitted = FeatureCrossHasher(**params).fit(df.set_axis(["a", "c", "b", "d"], axis=1))
    with pytest.raises(ValueError, match=r"duplicate column names \['a', 'b'\]"):
        fitted.transform(df)


# -- the forms already pinned stay as they were ------------------------------------------------


def test_well_defined_values_keep_their_hash():
    # computed before the canonical forms were written down: ints, floats, str, bytes
    values = [
        0,
        1,
        -1,
        3,
        2**62,
        -(2**63),
        2**63 - 1,
        2**70,
        -(2**70),
        True,
        False,
        0.5,
        -2.5,
        1e-300,
        3.0,
        float("inf"),
        float("-inf"),
        1e18,
        "",
        "a",
        "é",
        "NEAR BAY",
        b"",
        b"a",
        np.int8(-5),
        np.uint32(7),
        np.float32(0.1),
    ]
    assert [_hashing.hash_value(v) for v in values] == PINNED_VALUES
    floats = np.array([0.5, 3.0, -2.5, 1e18, np.inf])
    assert _hashing.hash_floats(floats).tolist() == [PINNED_VALUES[i] for i in (11, 14, 12, 17, 15)]
    ints = np.array([0, -1, 5, 2**63 - 1])
    assert _hashing.hash_ints(ints, _hashing.KIND_INT).tolist() == [
        PINNED_VALUES[0],
        PINNED_VALUES[2],
        13670739344269781241,
        PINNED_VALUES[6],
    ]


PINNED_VALUES = [
    7175312947680778460,
    10196841233368046932,
    16472811666405683514,
    8712393418051971540,
    12120913794123635391,
    16903850245919946309,
    8032322589354297129,
    6468446352936767373,
    6803651409780520450,
    10196841233368046932,
    7175312947680778460,
    18108360768770157334,
    17870506762436603513,
    3531204702693610295,
    8712393418051971540,
    1937829910732246857,
    7489625366677818132,
    4625510493459984513,
    12921781005570773713,
    68145099326281555,
    12277392839362244317,
    12078109503859768178,
    383105735759067930,
    2542573451560135408,
    9226919450649449292,
    7088537228805664277,
    1155427817167198369,
]


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = (value,)
    column = np.empty((1, 1), dtype=object)
    column[0, 0] = value
    return column


def test_tuples_nested_too_deep_are_refused_naming_the_column():
    # (RecursionError from about 500 levels; in bucketed columns, from the message's repr)
    limit = 32  # _hashing.MAX_TUPLE_DEPTH, as documented
    assert FeatureCrossHasher().transform(_nested(limit)).nnz == 1
    for depth in (limit + 1, 5_000):
        with pytest.raises(TypeError, match=f"column 'x0' .*tuple.*more than {limit} levels"):
            FeatureCrossHasher().transform(_nested(depth))
    with pytest.raises(ValueError, match="column 'x0' is bucketed.*numeric.*\\(\\(\\("):
        FeatureCrossHasher(buckets={0: 1.0}).transform(_nested(5_000))
    with pytest.raises(TypeError, match="column 'x0' is bucketed as datetimes.*tuple"):
        FeatureCrossHasher(buckets={0: {"datetime": "hour"}}).transform(_nested(5_000))


def test_arrow_view_columns_of_several_chunks_hash_as_their_values():
    pa = pytest.importorskip("pyarrow")
    # (a view column of several chunks, as a table of several record batches converts, raised
    # pyarrow's TypeError 'Cannot convert pyarrow.lib.ChunkedArray to pyarrow.lib.Array')
    batches = [
        pa.record_batch([pa.array(values, pa.string_view())], names=["s"])
        for values in (["a"], ["b", None])
    ]
    table = pa.Table.from_batches(batches)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    plain = pd.DataFrame({"s": pd.Series(["a", "b", None], dtype=object)})
    hasher = FeatureCrossHasher(["s"], n_features=WIDE)
    expected = hasher.fit_transform(plain)
    for X in (frame, table):
        assert (hasher.transform(X) != expected).nnz == 0
