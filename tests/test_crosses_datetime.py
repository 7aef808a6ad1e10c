"""Datetime buckets of FeatureCrossHasher: calendar parts and time widths, checked against
pandas' ``.dt`` accessors and integer arithmetic; units, time zones, NaT, ISO strings,
explain, export, hostile specs, streaming and the command line."""

import datetime
import io
import json

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier, export_model, load_model

from .hash_seed_helpers import outputs_under_two_hash_seeds
from .test_model_file import arrays_of

pd = pytest.importorskip("pandas")

BIG = 2**60  # no collision in these tests
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NS_MIN, NS_MAX = -(2**63) + 1, 2**63 - 1


def random_instants(n=400, seed=0, low="1900-01-01", high="2100-01-01"):
    rng = np.random.default_rng(seed)
    lo, hi = pd.Timestamp(low).value, pd.Timestamp(high).value
    ns = rng.integers(lo, hi, n)
    # plus edges of days, hours, years and DST changes in Europe/Paris
    edges = (
        pd.to_datetime(
            [
                "2024-03-31 00:59:59.999999999",
                "2024-03-31 01:00:00",
                "2024-10-27 00:59:59",
                "2024-10-27 01:00:00",
                "2000-02-29 23:59:59",
                "2000-03-01 00:00",
                "1969-12-31 23:59:59.999999999",
                "1970-01-01",
                "1899-12-31 23:59:59",
            ],
            format="ISO8601",
        )
        .as_unit("ns")
        .asi8
    )
    return pd.Series(pd.to_datetime(np.concatenate([ns, edges]), unit="ns"), name="ts")


def same_partition(a, b):
    """Rows equal in ``a`` are exactly the rows equal in ``b`` (a bijection of the values)."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = np.unique(
        np.column_stack(
            [
                np.unique(a, return_inverse=True)[1].ravel(),
                np.unique(b, return_inverse=True)[1].ravel(),
            ]
        ),
        axis=0,
    )
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


def cell_of_each_row(hasher, X):
    """The one readable cell each row of X lands in (one cross, no collisions)."""
    Xt = hasher.fit_transform(X)
    assert np.all(np.diff(Xt.indptr) == 1)
    cells = hasher.explain(X, Xt.indices)
    assert all(len(found) == 1 for found in cells.values()), "distinct cells share a column"
    return [cells[j][0] for j in Xt.indices]


def expected_part(ts, part):
    """pandas' own value of a calendar part, as the hasher prints it."""
    dt = ts.dt
    values = {
        "year": dt.year,
        "quarter": dt.quarter,
        "month": dt.month,
        "day": dt.day,
        "day_of_week": dt.day_of_week,
        "day_of_year": dt.day_of_year,
        "hour": dt.hour,
        "minute": dt.minute,
        "second": dt.second,
    }
    part = {"dayofweek": "day_of_week", "weekday": "day_of_week", "dayofyear": "day_of_year"}.get(
        part, part
    )
    if part == "date":
        return [str(d) for d in dt.date]
    if part == "day_of_week":
        return [DAYS[d] for d in values[part]]
    return [str(v) for v in values[part]]


PARTS = [
    "year",
    "quarter",
    "month",
    "day",
    "date",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "second",
    "dayofweek",
    "weekday",
    "dayofyear",
]


# ------------------------------------------------------------------ calendar parts
@pytest.mark.parametrize("part", PARTS)
def test_each_calendar_part_is_pandas_dt_value(part):
    ts = random_instants()
    X = ts.to_frame()
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": part}}, n_features=BIG)
    assert cell_of_each_row(hasher, X) == [f"ts.{part}={v}" for v in expected_part(ts, part)]


def test_several_parts_make_one_cell_per_combination_and_read_back():
    ts = random_instants()
    X = ts.to_frame()
    hasher = FeatureCrossHasher(
        ["ts"], buckets={"ts": {"datetime": ["hour", "dayofweek"]}}, n_features=BIG
    )
    cells = cell_of_each_row(hasher, X)
    hours, days = expected_part(ts, "hour"), expected_part(ts, "dayofweek")
    assert cells == [f"ts.hour={h} x ts.dayofweek={d}" for h, d in zip(hours, days)]
    # a column named like its only part prints once
    only = FeatureCrossHasher(["hour"], buckets={"hour": {"datetime": "hour"}}, n_features=BIG)
    assert cell_of_each_row(only, ts.rename("hour").to_frame()) == [f"hour={h}" for h in hours]


def test_part_order_and_parts_change_the_hash_not_the_cells():
    X = random_instants(50).to_frame()
    a = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["hour", "minute"]}}).fit_transform(
        X
    )
    b = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["minute", "hour"]}}).fit_transform(
        X
    )
    c = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["minute"]}}).fit_transform(X)
    assert (a.indices != b.indices).any() and (a.indices != c.indices).any()
    # same partition of the rows for the two orders
    assert same_partition(a.indices, b.indices)
    # pandas' older spellings are the same parts, hashed alike
    old = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["hour", "minute"]}})
    assert (old.fit_transform(X) != a).nnz == 0
    alias = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["weekday", "dayofyear"]}})
    new = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": ["day_of_week", "day_of_year"]}})
    assert (alias.fit_transform(X) != new.fit_transform(X)).nnz == 0


def test_crossed_with_categorical_and_numeric_columns_as_precomputed_columns():
    """Crossing the hour of `ts` with a category and a bucketed number partitions the rows
    exactly as crossing pandas' precomputed hour column does."""
    ts = random_instants(600, seed=3)
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "ts": ts,
            "city": rng.choice(["a", "b", "c"], ts.size),
            "lat": rng.uniform(30, 32, ts.size),
        }
    )
    ours = FeatureCrossHasher(
        [("ts", "city", "lat")],
        n_features=BIG,
        buckets={"ts": {"datetime": ["hour", "dayofweek"]}, "lat": 0.5},
    )
    X_pre = X.assign(ts=ts.dt.hour * 10 + ts.dt.day_of_week)
    theirs = FeatureCrossHasher([("ts", "city", "lat")], buckets={"lat": 0.5}, n_features=BIG)
    a, b = ours.fit_transform(X).indices, theirs.fit_transform(X_pre).indices
    assert len(np.unique(a)) > 100
    assert same_partition(a, b)
    found = ours.explain(X.iloc[:1], a[:1])[a[0]]
    lat = np.floor(X.lat[0] / 0.5) * 0.5
    expected = (
        f"ts.hour={ts.dt.hour[0]} x ts.dayofweek={DAYS[ts.dt.day_of_week[0]]} x "
        f"city={X.city[0]} x lat=[{lat:.6g}, {lat + 0.5:.6g})"
    )
    assert found == [expected]


# ------------------------------------------------------------------ fixed widths
@pytest.mark.parametrize("width", ["15min", "1h", "1D", "7D", "90s", "250ms"])
def test_width_buckets_are_pandas_floor_from_the_epoch(width):
    ts = random_instants(300, seed=2)
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": width}}, n_features=BIG)
    floors = ts.dt.floor(width)
    Xt = hasher.fit_transform(ts.to_frame())
    assert same_partition(Xt.indices, floors)
    cells = hasher.explain(ts.to_frame(), Xt.indices)
    for j, floor in zip(Xt.indices[:40], floors[:40]):
        assert pd.Timestamp(cells[j][0].removeprefix("ts=")) == floor


def test_width_with_an_origin_is_integer_floor_division_even_at_the_extremes():
    ns = np.array([NS_MIN, NS_MIN + 1, -1, 0, 1, 10**18, NS_MAX - 1, NS_MAX], dtype=np.int64)
    X = pd.DataFrame({"ts": ns.view("datetime64[ns]")})
    for origin in ["2262-04-11T23:47", "1677-09-21T00:13", "2024-01-01T06:00"]:
        hasher = FeatureCrossHasher(
            ["ts"], n_features=BIG, buckets={"ts": {"datetime": "7h", "origin": origin}}
        )
        o = pd.Timestamp(origin).value
        expected = [(int(t) - o) // (7 * 3600 * 10**9) for t in ns]  # Python ints: exact
        Xt = hasher.fit_transform(X)
        assert same_partition(Xt.indices, expected)
        start = o + expected[3] * 7 * 3600 * 10**9
        assert hasher.explain(X.iloc[3:4], Xt.indices[3])[Xt.indices[3]] == [
            f"ts={np.datetime_as_string(np.datetime64(start, 'ns'), unit='auto')}"
        ]


# ------------------------------------------------------------------ inputs
def transform(values, spec=None, **kwargs):
    spec = spec if spec is not None else {"datetime": ["date", "hour", "minute", "second"]}
    hasher = FeatureCrossHasher([0], buckets={0: spec}, n_features=BIG, **kwargs)
    return hasher.fit_transform(
        np.asarray(values).reshape(-1, 1) if not hasattr(values, "to_frame") else values.to_frame()
    )


def test_every_numpy_unit_and_pandas_unit_agrees():
    seconds = np.array(
        [
            "1969-07-20T20:17:40",
            "2024-02-29T23:59:59",
            "2262-04-11T00:00:00",
            "1677-09-22T00:00:00",
            "NaT",
        ],
        dtype="datetime64[s]",
    )
    reference = transform(seconds.astype("datetime64[ns]"))
    for unit in ["s", "ms", "us", "ns"]:
        as_unit = seconds.astype(f"datetime64[{unit}]")
        for X in (as_unit, pd.Series(as_unit), pd.Series(as_unit).astype(object)):
            got = transform(X)
            assert (got != reference).nnz == 0, unit
    days = np.array(["2024-02-29", "1970-01-01", "NaT"], dtype="datetime64[D]")
    for unit in ["D", "W", "M", "Y", "h", "m", "10m"]:
        coarse = days.astype(f"datetime64[{unit}]")
        assert (transform(coarse) != transform(coarse.astype("datetime64[ns]"))).nnz == 0, unit


def test_datetime_and_date_objects_and_iso_strings_agree_with_datetime64():
    values = pd.to_datetime(
        ["2024-03-01 17:05:00.123456789", "1999-12-31 23:59:59", "2024-03-01 00:00:00"],
        format="ISO8601",
    ).as_unit("ns")
    reference = transform(values.to_numpy())
    texts = ["2024-03-01T17:05:00.123456789", "1999-12-31 23:59:59", "2024-03-01"]
    objects = [values[0], values[1].to_pydatetime(), values[2].date()]
    for X in (
        np.array(texts, dtype=object),
        np.array(texts),
        np.array(objects, dtype=object),
        pd.Series(texts, dtype="category"),
        pd.Series(texts, dtype="string"),
    ):
        assert (transform(X) != reference).nnz == 0


def test_strings_with_utc_offsets_are_instants():
    texts = [
        "2024-03-01T18:05:00+01:00",
        "2024-03-01T17:05Z",
        "2024-03-01T12:05-0500",
        "2024-03-01 17:05:00.000000000Z",
        "2024-03-01T19:05+02",
    ]
    got = transform(np.array(texts, dtype=object))
    assert len(set(got.indices)) == 1
    aware = pd.Series(pd.to_datetime(texts, format="ISO8601", utc=True))
    assert (transform(aware) != got).nnz == 0


@pytest.mark.parametrize(
    "values, error, match",
    [
        (np.array([1_700_000_000, 1], dtype=np.int64), TypeError, "numbers are not read as epoch"),
        (np.array([1.5e9]), TypeError, "numbers are not read as epoch"),
        (np.array([True]), TypeError, "numbers are not read as epoch"),
        (
            np.array(["2024-03-01", "yesterday"], dtype=object),
            ValueError,
            "'yesterday'.*not an ISO",
        ),
        (np.array(["now"], dtype=object), ValueError, "'now'.*not an ISO"),
        (np.array(["2024-02-30"], dtype=object), ValueError, "'2024-02-30'.*not an ISO"),
        (np.array(["2024-03-01+01:00"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-03-01T10:00+25:00"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-03-01T10:00+05:60"], dtype=object), ValueError, "not an ISO"),
        (
            np.array(["2023-02-29", "2024-02-29"], dtype=object),
            ValueError,
            "'2023-02-29'.*not an ISO",
        ),
        (np.array(["2024-04-31"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-13-01"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01T24:00"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01T23:60"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01T23:59:60"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01 "], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01\x00"], dtype=object), ValueError, "not an ISO"),
        (np.array(["\u0662\u0660\u0662\u0664-01-01"], dtype=object), ValueError, "not an ISO"),
        (np.array(["2024-01-01T10:00:00.1234567891"], dtype=object), ValueError, "not an ISO"),
        (np.array([1.5, "2024-03-01"], dtype=object), TypeError, "type float"),
        (np.array([{"a": 1}], dtype=object), TypeError, "type dict"),
        (np.array(["2024-03-01T10:00Z", "2024-03-01T10:00"], dtype=object), ValueError, "mixes"),
        (np.array(["3000-01-01"], dtype=object), ValueError, "outside the range"),
        (np.array(["3000-01-01"], dtype="datetime64[s]"), ValueError, "outside the range"),
        (np.array(["3000-01-01"], dtype="datetime64[Y]"), ValueError, "outside the range"),
        (np.array([1], dtype="timedelta64[s]"), TypeError, "timedelta64"),
    ],
)
def test_values_that_are_not_instants_are_refused_naming_the_column(values, error, match):
    hasher = FeatureCrossHasher(["when"], buckets={"when": {"datetime": "hour"}})
    with pytest.raises(error, match=f"column 'when'.*{match}|{match}.*column 'when'"):
        hasher.fit_transform(pd.DataFrame({"when": values}))


def test_a_long_malformed_string_is_refused_as_a_short_one_in_bounded_memory():
    import tracemalloc

    good = pd.date_range("2000-01-01", periods=2_000, freq="min").strftime("%Y-%m-%dT%H:%M")
    hasher = FeatureCrossHasher(["when"], buckets={"when": {"datetime": "hour"}})
    for bad in ("2020-01-01x", "2020-01-01" + "x" * 20_000):
        X = pd.DataFrame({"when": pd.Series([*good, bad], dtype=object)})
        tracemalloc.start()
        try:
            with pytest.raises(ValueError, match="column 'when'.*'2020-01-01x.*not an ISO"):
                hasher.fit_transform(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # (every row was padded to the longest string: 2,001 x 80 kB)
        assert peak < 16 * 2**20
        X.loc[len(good), "when"] = "2020-01-01"
        hasher.fit_transform(X)


def test_datetime64_finer_than_nanoseconds_is_refused():
    hasher = FeatureCrossHasher([0], buckets={0: {"datetime": "hour"}})
    with pytest.raises(TypeError, match="column 'x0' holds datetime64\\[ps\\].*finer than"):
        hasher.fit_transform(np.array([[1]], dtype="datetime64[ps]"))


def test_missing_values_follow_the_missing_parameter():
    values = pd.Series(
        pd.to_datetime(["2024-03-01 17:05", None, "2024-03-01 18:05"], format="ISO8601")
    )
    objects = np.array(
        [values[0], None, np.nan, pd.NaT, np.datetime64("NaT"), "2024-03-01T18:05"], dtype=object
    )
    bucket = transform(values, {"datetime": "hour"})
    assert bucket.indices[1] not in (bucket.indices[0], bucket.indices[2])
    got = transform(objects, {"datetime": "hour"})
    assert len(set(got.indices[1:5])) == 1 and got.indices[1] == bucket.indices[1]
    assert got.indices[0] == bucket.indices[0] and got.indices[5] == bucket.indices[2]
    skip = transform(values, {"datetime": "hour"}, missing="skip")
    assert list(np.diff(skip.indptr)) == [1, 0, 1]
    with pytest.raises(ValueError, match="column '0' has missing values and missing='error'"):
        transform(values, {"datetime": "hour"}, missing="error")
    all_missing = transform(np.array(["NaT", "NaT"], dtype="datetime64"), {"datetime": "hour"})
    assert all_missing.indices[0] == bucket.indices[1]
    hasher = FeatureCrossHasher([0], buckets={0: {"datetime": "hour"}}, n_features=BIG)
    assert hasher.explain(values.to_frame(), bucket.indices[1])[bucket.indices[1]] == [
        "0=<missing>"
    ]


def test_a_column_of_missing_values_only_as_pandas_stores_them_is_all_missing():
    # (read_csv gives float64 NaN to a field empty on every row of a chunk: it was refused as
    # numbers, and the chunk's transform raised TypeError)
    csv = "ts,page\n2024-03-01T16:30Z,home\n,cart\n"
    hasher = FeatureCrossHasher(
        [("ts", "page")], buckets={"ts": {"datetime": "hour"}}, n_features=BIG
    )
    chunks = list(pd.read_csv(io.StringIO(csv), chunksize=1))
    assert chunks[1]["ts"].dtype == np.float64
    whole = hasher.fit_transform(pd.read_csv(io.StringIO(csv)))
    assert [(hasher.transform(chunk) != whole[i]).nnz for i, chunk in enumerate(chunks)] == [0, 0]
    nones = pd.DataFrame({"ts": np.array([None, None], dtype=object), "page": ["cart", "home"]})
    for ts in (
        np.array([np.nan, np.nan]),
        np.array([np.nan, np.nan], dtype=np.float32),
        pd.array([None, None], dtype="Int64"),
        pd.array([None, np.nan], dtype="Float64"),
    ):
        frame = nones.assign(ts=ts)
        assert (hasher.transform(frame) != hasher.transform(nones)).nnz == 0, frame.ts.dtype
    skip = FeatureCrossHasher(
        [("ts", "page")], buckets={"ts": {"datetime": "hour"}}, missing="skip"
    )
    assert skip.fit_transform(nones.assign(ts=[np.nan, np.nan])).nnz == 0
    with pytest.raises(ValueError, match="column 'ts' has missing values"):
        skip.set_params(missing="error").transform(nones.assign(ts=[np.nan, np.nan]))
    # a column holding any number is refused still
    with pytest.raises(TypeError, match="column 'ts' is bucketed as datetimes but holds float64"):
        hasher.transform(nones.assign(ts=[np.nan, 1.7e9]))
    with pytest.raises(TypeError, match="column 'ts' is bucketed as datetimes but holds Int64"):
        hasher.transform(nones.assign(ts=pd.array([None, 1], dtype="Int64")))


# ------------------------------------------------------------------ time zones
def test_arrow_backed_timestamps_and_dates_bucket_as_pandas_own():
    pytest.importorskip("pyarrow")
    utc = random_instants(200, seed=5, low="2000-01-01", high="2030-01-01").dt.tz_localize("UTC")
    utc = utc.dt.floor("s")  # (held in milliseconds below without loss)
    spec = {"datetime": ["date", "hour"]}
    for arrow in ("timestamp[ns, tz=UTC][pyarrow]", "timestamp[ms, tz=UTC][pyarrow]"):
        assert (transform(utc.astype(arrow), spec) != transform(utc, spec)).nnz == 0
    naive = utc.dt.tz_localize(None)
    assert (
        transform(naive.astype("timestamp[us][pyarrow]"), spec) != transform(naive, spec)
    ).nnz == 0
    days = naive.dt.normalize()
    dates = pd.Series(days.dt.date, dtype="date32[pyarrow]")
    assert (transform(dates, spec) != transform(days, spec)).nnz == 0


def test_a_category_no_row_uses_is_not_read():
    used = ["2020-01-01 05:00", None, "2020-03-01 07:30"]
    spec = {"datetime": ["date", "hour"]}
    garbage = pd.Series(pd.Categorical(used, categories=["garbage", *used[::2]]))
    assert (transform(garbage, spec) != transform(pd.Series(used), spec)).nnz == 0
    # and without buckets: an unused category that could not be hashed is not hashed
    unhashable = pd.DataFrame({"a": pd.Categorical(["x", "y"], categories=["y", frozenset(), "x"])})
    hasher = FeatureCrossHasher(["a"], n_features=BIG)
    plain = pd.DataFrame({"a": ["x", "y"]})
    assert (hasher.fit_transform(unhashable) != hasher.fit_transform(plain)).nnz == 0


def test_aware_columns_are_bucketed_in_utc_or_in_tz():
    utc = random_instants(500, seed=4, low="2023-01-01", high="2026-01-01").dt.tz_localize("UTC")
    paris, new_york = utc.dt.tz_convert("Europe/Paris"), utc.dt.tz_convert("America/New_York")
    naive_utc = utc.dt.tz_localize(None)
    spec = {"datetime": ["date", "hour"]}
    # without tz: the UTC wall time, whatever the column's zone
    for X in (paris, new_york, utc):
        assert (transform(X, spec) != transform(naive_utc, spec)).nnz == 0
    # with tz: that zone's wall time (DST included), whatever the column's zone
    local = paris.dt.tz_localize(None)
    for X in (paris, new_york, utc):
        assert (transform(X, {**spec, "tz": "Europe/Paris"}) != transform(local, spec)).nnz == 0
    hasher = FeatureCrossHasher(
        ["ts"], buckets={"ts": {"datetime": "hour", "tz": "Europe/Paris"}}, n_features=BIG
    )
    cells = cell_of_each_row(hasher, new_york.to_frame())
    assert cells == [f"ts.hour={h}" for h in paris.dt.hour]


@pytest.mark.parametrize("fitted_aware", [True, False])
def test_a_column_of_the_other_awareness_than_fit_saw_is_warned_of(fitted_aware):
    """Without 'tz', aware datetimes are bucketed at their UTC times and naive ones at the
    times they spell: a model fitted on one and given the other reads other buckets."""
    import warnings

    # across a change to summer time, in Paris
    paris = pd.Series(pd.date_range("2024-03-30", periods=300, freq="37min", tz="Europe/Paris"))
    aware = pd.DataFrame({"ts": paris, "city": np.arange(len(paris)) % 3})
    naive = aware.assign(ts=paris.dt.tz_localize(None))  # the same wall times, no zone
    fitted, other = (aware, naive) if fitted_aware else (naive, aware)
    hasher = FeatureCrossHasher(
        ["ts", ("ts", "city")], buckets={"ts": {"datetime": "1h"}}, n_features=BIG
    ).fit(fitted)
    assert hasher.datetime_aware_ == {"ts": fitted_aware}
    kind = "timezone-aware" if fitted_aware else "naive"
    with pytest.warns(UserWarning, match=f"column 'ts' holds .* fitted on {kind} ones") as seen:
        moved = hasher.transform(other)
    assert len(seen) == 1 and seen[0].filename == __file__
    assert (moved != hasher.transform(fitted)).nnz > 0  # (what it warns of)
    # the same kind as fit's: no warning; ISO strings (with or without an offset) and objects
    # too, and a column with no value
    offsets = paris.map(lambda t: None if pd.isna(t) else t.isoformat())
    same = [
        fitted,
        fitted.assign(ts=fitted["ts"].astype(object)),
        fitted.assign(ts=offsets if fitted_aware else naive["ts"].dt.strftime("%Y-%m-%dT%H:%M")),
        fitted.assign(ts=None),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for X in same:
            hasher.transform(X)
        # a bucket spec with tz: no awareness noted (naive values are refused there)
        zoned = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "1h", "tz": "UTC"}})
        assert not hasattr(zoned.fit(aware), "datetime_aware_")
        # fitted on no value: nothing noted, nothing warned of
        empty = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "1h"}})
        assert not hasattr(empty.fit(aware.assign(ts=None)), "datetime_aware_")
        empty.transform(other)
    # in a Pipeline, at the line that predicts
    model = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    model.fit(fitted, np.arange(len(paris)) % 2)
    with pytest.warns(UserWarning, match="datetime_aware_") as seen:
        model.predict(other)
    assert seen[0].filename == __file__


def test_a_column_of_no_value_notes_and_warns_of_no_awareness_whatever_its_dtype():
    import warnings

    # (pd.to_datetime gives a batch of no value a naive dtype)
    nothing = pd.DataFrame({"ts": pd.to_datetime(pd.Series([None, None]))})
    utc = pd.DataFrame({"ts": pd.to_datetime(pd.Series(["2024-01-01T00:00Z", None]))})
    assert nothing["ts"].dt.tz is None and utc["ts"].dt.tz is not None
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "1h"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hasher.fit(utc).datetime_aware_ == {"ts": True}
        hasher.transform(nothing)
        assert not hasattr(hasher.fit(nothing), "datetime_aware_")
        hasher.transform(utc)


def test_arrow_string_views_note_their_awareness():
    pa = pytest.importorskip("pyarrow")
    if not hasattr(pa, "string_view"):
        pytest.skip("pyarrow without string_view")

    def views(values):
        array = pd.arrays.ArrowExtensionArray(pa.array(values, type=pa.string_view()))
        return pd.DataFrame({"ts": pd.Series(array)})

    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "1h"}})
    assert hasher.fit(views([None, "2024-01-01T00:00Z"])).datetime_aware_ == {"ts": True}
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes"):
        hasher.transform(pd.DataFrame({"ts": ["2024-01-01T00:00"]}))
    # an object array whose first value is far down: found (and read at once)
    rows = np.full((100_001, 1), np.nan, dtype=object)
    rows[-1, 0] = "2024-01-01T00:00"
    by_position = FeatureCrossHasher([0], buckets={0: {"datetime": "1h"}})
    assert by_position.fit(rows).datetime_aware_ == {"x0": False}


def test_a_datetime_bucketed_by_position_is_no_column_of_dates_without_buckets():
    # (export_model warned that it hashed 'ts' of dates without buckets, and noted its kind)
    import warnings

    ts = pd.Series(pd.date_range("2024-03-30", periods=100, freq="37min", tz="Europe/Paris"))
    X, y = pd.DataFrame({"ts": ts, "c": np.arange(100) % 3}), np.arange(100) % 2
    fitted = [
        make_pipeline(
            FeatureCrossHasher([("ts", "c")], buckets={key: {"datetime": "1h"}}),
            SparseFTRLClassifier(random_state=0),
        ).fit(X, y)
        for key in ("ts", 0, -2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exported = [export_model(pipe) for pipe in fitted]
    for pipe, model in zip(fitted, exported):
        assert pipe[0].column_kinds_ == {"c": "number"}
        np.testing.assert_array_equal(model.predict_proba(X), exported[0].predict_proba(X))
    # bucketed as numbers by position: noted, so that a file's are read as numbers (a stray
    # text value then makes its row bad, not the column text)
    numbers_ = X.assign(lat=np.linspace(30, 40, 100))[["lat", "c"]]
    pipe = make_pipeline(
        FeatureCrossHasher([("lat", "c")], buckets={0: 0.5}), SparseFTRLClassifier()
    ).fit(numbers_, y)
    assert pipe[0].column_kinds_ == {"lat": "number", "c": "number"}


def test_an_arrays_datetime_awareness_is_noted_by_position():
    rows = np.array(
        [[None, "a"], [datetime.datetime(2024, 1, 1, 10, tzinfo=datetime.timezone.utc), "b"]],
        dtype=object,
    )
    hasher = FeatureCrossHasher([0], buckets={0: {"datetime": "1h"}}).fit(rows)
    assert hasher.datetime_aware_ == {"x0": True}
    naive = np.array([[datetime.datetime(2024, 1, 1, 10), "b"]], dtype=object)
    with pytest.warns(UserWarning, match="column 'x0' holds naive datetimes"):
        hasher.transform(naive)


def test_a_wall_time_past_the_range_is_refused_naming_the_column():
    X = pd.DataFrame({"ts": pd.to_datetime(["2262-04-11T23:00Z"])})
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "hour", "tz": "Asia/Tokyo"}})
    with pytest.raises(
        ValueError,
        match="column 'ts' holds an instant whose wall time in Asia/Tokyo is outside the range",
    ):
        hasher.fit_transform(X)
    assert FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "hour"}}).fit_transform(X).nnz


def test_naive_values_with_a_tz_are_refused():
    X = pd.DataFrame({"ts": pd.to_datetime(["2024-03-01 17:05"])})
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "hour", "tz": "Europe/Paris"}})
    with pytest.raises(ValueError, match="column 'ts' holds naive datetimes.*tz_localize"):
        hasher.fit_transform(X)


# ------------------------------------------------------------------ specs
@pytest.mark.parametrize(
    "spec, match",
    [
        ({"datetime": "hours"}, "'hours' is neither a calendar part"),
        ({"datetime": ["hour", "week"]}, "'week' is neither"),
        ({"datetime": []}, "must be a calendar part"),
        ({"datetime": ["hour", "hour"]}, "repeat"),
        ({"datetime": 3600}, "must be a calendar part"),
        ({"datetime": "0min"}, "neither"),
        ({"datetime": "15 min"}, "neither"),
        ({"datetime": "99999999999W"}, "longer than the range"),
        ({"datetime": "hour", "origin": "2024-01-01"}, "'origin' only applies to a width"),
        ({"datetime": "1h", "origin": "2024-01-01T00:00+01:00"}, "without a UTC offset"),
        ({"datetime": "1h", "origin": 0}, "origin must be an ISO 8601"),
        ({"datetime": "hour", "tz": "Mars/Olympus"}, "names no time zone"),
        ({"datetime": "hour", "tz": "../../etc/passwd"}, "tz must be None or the IANA name"),
        ({"datetime": "hour", "tz": "localtime"}, "tz must be None or the IANA name"),
        ({"datetime": "hour", "format": "deg"}, "unknown keys \\['format'\\]"),
    ],
)
def test_bad_datetime_specs_are_refused_at_fit(spec, match):
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": spec})
    X = pd.DataFrame({"ts": pd.to_datetime(["2024-03-01"])})
    with pytest.raises(ValueError, match=match):
        hasher.fit(X)
    assert not hasattr(hasher, "n_features_in_")


# ------------------------------------------------------------------ export, processes
def fitted_pipeline():
    rng = np.random.default_rng(0)
    ts = random_instants(2000, seed=5, low="2024-01-01", high="2024-06-01").dt.tz_localize("UTC")
    X = pd.DataFrame({"ts": ts, "city": rng.choice(["a", "b"], ts.size)})
    y = ((ts.dt.tz_convert("Europe/Paris").dt.hour >= 17) & (X.city == "a")).astype(int)
    hasher = FeatureCrossHasher(
        [("ts", "city"), "ts", "t15"],
        n_features=2**18,
        buckets={
            "ts": {"datetime": ["hour", "dayofweek"], "tz": "Europe/Paris"},
            "t15": {"datetime": "15min", "origin": "2024-01-01T00:07"},
        },
    )
    X["t15"] = ts.dt.tz_localize(None)
    return make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(X, y), X, y


def test_export_round_trip_predicts_exactly_as_the_pipeline():
    pipeline, X, y = fitted_pipeline()
    buffer = io.BytesIO()
    export_model(pipeline).save(buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    assert pipeline.score(X, y) > 0.9
    assert loaded.transformers[0].get_params() == pipeline[0].get_params()


def with_buckets(buckets_json):
    pipeline, _, _ = fitted_pipeline()
    arrays = arrays_of(export_model(pipeline))
    specs = json.loads(str(arrays["transformers"]))
    specs[0]["params"]["buckets"] = buckets_json
    arrays["transformers"] = np.array(json.dumps(specs))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    return buffer


def d(**items):
    return {"__dict__": [[k, v] for k, v in items.items()]}


@pytest.mark.parametrize(
    "spec, match",
    [
        (
            d(datetime="fortnight"),
            "datetime bucket of 'ts' must be a width such as '15min' or calendar",
        ),
        (d(datetime=["hour", "__import__"]), "must be a width such as '15min' or calendar parts"),
        (d(datetime=["hour"] * 100), "must be a width such as '15min' or calendar parts"),
        (d(datetime="hour", tz="../../../etc/passwd"), "datetime bucket tz of 'ts' must be None"),
        (d(datetime="hour", tz="/etc/localtime"), "datetime bucket tz of 'ts' must be None"),
        # names the tz database resolves to this machine's setting or to other rule sets
        # (/usr/share/zoneinfo/localtime -> /etc/localtime): the file's buckets would
        # depend on the machine that loads it
        (d(datetime="hour", tz="localtime"), "datetime bucket tz of 'ts' must be None"),
        (d(datetime="hour", tz="posixrules"), "datetime bucket tz of 'ts' must be None"),
        (d(datetime="hour", tz="right/UTC"), "datetime bucket tz of 'ts' must be None"),
        (d(datetime="hour", tz="posix/Europe/Paris"), "datetime bucket tz of 'ts' must be None"),
        (d(datetime="hour", tz="No/Such_Zone"), "parameters refused: .*names no time zone"),
        (d(datetime="1h", origin="x" * 1000), "datetime bucket origin of 'ts' must be an ISO 8601"),
        (d(datetime="1h", origin="tomorrow"), "parameters refused: .*origin must be an ISO 8601"),
        (d(datetime="hour", code="import os"), "datetime bucket spec of 'ts' has unknown keys"),
        (d(datetime="hour", origin="2024-01-01"), "parameters refused: .*only applies to a width"),
    ],
)
def test_hostile_datetime_specs_in_a_model_file_are_refused(spec, match):
    with pytest.raises(ValueError, match=match):
        load_model(with_buckets(d(ts=spec)))


SAME_IN_EVERY_PROCESS = """
import pandas as pd
from sparsereg import FeatureCrossHasher

def hashed():
    X = pd.DataFrame({"ts": pd.to_datetime(["2024-03-01 17:05", "1970-01-01", None,
                                            "2024-03-01T17:05+01:00"], format="mixed", utc=True),
                      "c": list("abca")})
    hasher = FeatureCrossHasher([("ts", "c"), "ts"], buckets={
        "ts": {"datetime": ["hour", "dayofweek"], "tz": "Asia/Kolkata"}})
    return hasher.fit_transform(X).indices.tolist()

if __name__ == "__main__":
    print(hashed(), hash("salted"))
"""


def test_same_buckets_in_other_processes(tmp_path):
    outs = [out.split("] ") for out in outputs_under_two_hash_seeds(SAME_IN_EVERY_PROCESS)]
    assert outs[0][1] != outs[1][1], "the subprocesses did not get different hash seeds"
    assert outs[0][0] == outs[1][0]
    module = tmp_path / "same_in_every_process.py"
    module.write_text(SAME_IN_EVERY_PROCESS)
    import importlib.util

    spec = importlib.util.spec_from_file_location("same_in_every_process", module)
    here = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(here)
    assert outs[0][0] + "]" == str(here.hashed())


# ------------------------------------------------------------------ random instants
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(NS_MIN, NS_MAX), min_size=1, max_size=30), st.sampled_from(PARTS))
def test_any_instant_parts_are_pandas_dt(ns, part):
    ts = pd.Series(np.array(ns, dtype=np.int64).view("datetime64[ns]"), name="ts")
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": part}}, n_features=BIG)
    assert cell_of_each_row(hasher, ts.to_frame()) == [
        f"ts.{part}={v}" for v in expected_part(ts, part)
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(NS_MIN, NS_MAX), min_size=2, max_size=30),
    st.integers(1, 10**6),
    st.sampled_from(["ns", "us", "ms", "s", "min", "h", "D", "W"]),
    st.integers(NS_MIN, NS_MAX),
)
@example(ns=[0, -9_223_372_036_854_775_807], count=1, unit="ns", origin=2)  # (int64 passed)
def test_any_instant_width_bucket_is_integer_floor_division(ns, count, unit, origin):
    unit_ns = {
        "ns": 1,
        "us": 10**3,
        "ms": 10**6,
        "s": 10**9,
        "min": 6 * 10**10,
        "h": 36 * 10**11,
        "D": 864 * 10**11,
        "W": 6048 * 10**11,
    }[unit]
    assume(count * unit_ns <= 2**62)
    origin_text = np.datetime_as_string(np.datetime64(origin, "ns"))
    X = pd.DataFrame({"ts": np.array(ns, dtype=np.int64).view("datetime64[ns]")})
    spec = {"datetime": f"{count}{unit}", "origin": origin_text}
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": spec}, n_features=BIG)
    expected = [(t - origin) // (count * unit_ns) for t in ns]
    if not all(-(2**63) <= bucket < 2**63 for bucket in expected):  # (1ns from a far origin)
        with pytest.raises(ValueError, match="outside the int64 range of bucket ids"):
            hasher.fit_transform(X)
        return
    assert same_partition(hasher.fit_transform(X).indices, expected)


@st.composite
def iso_strings(draw):
    """A batch of ISO 8601 strings of any form the hasher accepts, and their instants."""
    aware = draw(st.booleans())
    texts, instants = [], []
    for _ in range(draw(st.integers(1, 20))):
        moment = draw(st.datetimes(datetime.datetime(1678, 1, 2), datetime.datetime(2261, 12, 30)))
        frac = draw(st.text("0123456789", min_size=0, max_size=9))
        form = draw(
            st.sampled_from(["date", "hm", "hms", "hmsf"] if not aware else ["hm", "hms", "hmsf"])
        )
        text = moment.strftime("%Y-%m-%d")
        moment = moment.replace(microsecond=0)
        ns = 0
        if form == "date":
            moment = moment.replace(hour=0, minute=0, second=0)
        else:
            text += draw(st.sampled_from("T ")) + moment.strftime("%H:%M")
            if form == "hm":
                moment = moment.replace(second=0)
            else:
                text += moment.strftime(":%S")
                if form == "hmsf" and frac:
                    text += "." + frac
                    ns = int(frac.ljust(9, "0"))
        offset = 0
        if aware:
            hh, mm = draw(st.integers(0, 23)), draw(st.integers(0, 59))
            sign = draw(st.sampled_from("+-"))
            zone = draw(
                st.sampled_from(
                    ["Z", f"{sign}{hh:02d}", f"{sign}{hh:02d}{mm:02d}", f"{sign}{hh:02d}:{mm:02d}"]
                )
            )
            text += zone
            if zone != "Z":
                offset = (1 if sign == "+" else -1) * (hh * 60 + (mm if len(zone) > 3 else 0))
        epoch = datetime.datetime(1970, 1, 1)
        texts.append(text)
        instants.append(
            (moment - epoch) // datetime.timedelta(microseconds=1) * 1000 + ns - offset * 60 * 10**9
        )
    return texts, instants


@settings(max_examples=80, deadline=None)
@given(iso_strings())
def test_any_iso_string_is_its_instant(batch):
    texts, instants = batch
    X = pd.DataFrame({"ts": np.array(texts, dtype=object)})
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": {"datetime": "1ns"}}, n_features=BIG)
    cells = cell_of_each_row(hasher, X)
    assert [pd.Timestamp(c.removeprefix("ts=")).value for c in cells] == instants


# ------------------------------------------------------------------ files
def test_fit_stream_buckets_a_csv_datetime_column_as_partial_fit_on_the_parsed_frame(tmp_path):
    pytest.importorskip("pyarrow")
    from sparsereg.stream import fit_stream

    _, X, y = fitted_pipeline()
    frame = X[["ts", "city"]].assign(click=y)
    frame["ts"] = frame.ts.dt.tz_convert("Asia/Tokyo")  # written with its +09:00 offset
    frame.to_csv(tmp_path / "clicks.csv", index=False)
    hasher = FeatureCrossHasher(
        [("ts", "city"), "ts"],
        n_features=2**18,
        buckets={"ts": {"datetime": ["hour", "dayofweek"], "tz": "Europe/Paris"}},
    )
    streamed, _ = fit_stream(
        make_pipeline(hasher, SparseFTRLClassifier(random_state=0)),
        tmp_path / "clicks.csv",
        target="click",
        batch_rows=700,
        classes=[0, 1],
    )
    manual = SparseFTRLClassifier(random_state=0)
    for start in range(0, len(frame), 700):
        part = frame.iloc[start : start + 700]
        manual.partial_fit(hasher.transform(part[["ts", "city"]]), part.click, classes=[0, 1])
    np.testing.assert_array_equal(streamed[-1].coef_, manual.coef_)
    np.testing.assert_array_equal(
        streamed.predict_proba(X[["ts", "city"]]),
        manual.predict_proba(hasher.transform(X[["ts", "city"]])),
    )


def test_fit_stream_warns_of_a_file_whose_datetimes_lost_their_offsets(tmp_path):
    pytest.importorskip("pyarrow")
    from sparsereg.stream import fit_stream

    ts = pd.Series(pd.date_range("2024-03-30", periods=200, freq="37min", tz="Europe/Paris"))
    frame = pd.DataFrame({"ts": ts, "click": np.arange(200) % 2})
    frame.to_csv(tmp_path / "a.csv", index=False)  # with their +01:00 / +02:00 offsets
    frame.assign(ts=ts.dt.tz_localize(None)).to_csv(tmp_path / "b.csv", index=False)
    hasher = FeatureCrossHasher(["ts"], n_features=2**18, buckets={"ts": {"datetime": "1h"}})
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes") as seen:
        fitted, _ = fit_stream(
            make_pipeline(hasher, SparseFTRLClassifier(random_state=0)),
            [tmp_path / "a.csv", tmp_path / "b.csv"],
            target="click",
            batch_rows=100,
            classes=[0, 1],
        )
    assert fitted[0].datetime_aware_ == {"ts": True}
    assert {w.filename for w in seen if "datetime_aware_" in str(w.message)} == {__file__}


def test_command_line_buckets_a_datetime_column(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    from sparsereg.cli import main

    _, X, y = fitted_pipeline()
    X.assign(click=y)[["ts", "city", "click"]].to_csv(tmp_path / "c.csv", index=False)
    assert (
        main(
            [
                "train",
                str(tmp_path / "c.csv"),
                "--target",
                "click",
                "--model",
                str(tmp_path / "m.npz"),
                "--features",
                "city",
                "--cross",
                "ts,city",
                "--bucket",
                "ts=hour,dayofweek",
                "--quiet",
            ]
        )
        == 0
    )
    model = load_model(tmp_path / "m.npz")
    assert model.transformers[0].buckets == {"ts": {"datetime": ["hour", "dayofweek"]}}
    capsys.readouterr()
    assert main(["report", str(tmp_path / "m.npz"), str(tmp_path / "c.csv"), "--top", "3"]) == 0
    assert "ts.hour=" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(
            [
                "train",
                str(tmp_path / "c.csv"),
                "--target",
                "click",
                "--model",
                str(tmp_path / "m.npz"),
                "--bucket",
                "ts=hours",
            ]
        )
    assert "'hours' is neither a calendar part" in capsys.readouterr().err


def test_command_line_predict_warns_of_a_file_whose_datetimes_lost_their_offsets(tmp_path):
    pytest.importorskip("pyarrow")
    from sparsereg.cli import main

    ts = pd.Series(pd.date_range("2024-03-30", periods=200, freq="37min", tz="Europe/Paris"))
    frame = pd.DataFrame({"ts": ts, "city": np.arange(200) % 3, "click": np.arange(200) % 2})
    frame.to_csv(tmp_path / "a.csv", index=False)  # with their UTC offsets
    frame.assign(ts=ts.dt.tz_localize(None)).to_csv(tmp_path / "b.csv", index=False)
    model = str(tmp_path / "m.npz")
    train = ["train", str(tmp_path / "a.csv"), "--target", "click", "--model", model]
    assert main([*train, "--cross", "ts,city", "--bucket", "ts=1h", "--quiet"]) == 0
    assert load_model(model).transformers[0].datetime_aware_ == {"ts": True}
    predict = ["predict", model, "--out", str(tmp_path / "p.csv")]
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes.*with their UTC"):
        assert main([*predict, str(tmp_path / "b.csv")]) == 0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main([*predict, str(tmp_path / "a.csv")]) == 0


def test_command_line_initial_carries_its_runs_awareness_and_warns_of_the_other(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    import warnings

    from sparsereg.cli import main
    from sparsereg.stream._checkpoint import atomic_file, write_npz

    ts = pd.Series(pd.date_range("2024-03-30", periods=200, freq="37min", tz="Europe/Paris"))
    frame = pd.DataFrame({"ts": ts, "city": np.arange(200) % 3, "click": np.arange(200) % 2})
    frame.to_csv(tmp_path / "aware.csv", index=False)
    frame.assign(ts=ts.dt.tz_localize(None)).to_csv(tmp_path / "naive.csv", index=False)
    options = ["--target", "click", "--cross", "ts,city", "--bucket", "ts=1h", "--quiet"]

    def train(data, model, *more):
        return main(
            ["train", str(tmp_path / data), "--model", str(tmp_path / model)]
            + [
                *more,
                *options,
            ]
        )

    assert train("aware.csv", "a.npz", "--checkpoint", str(tmp_path / "ck_a.npz")) == 0
    # a run continuing it on naive files: warned of, as one run over both files would be; the
    # model and its checkpoint keep the first run's kind, and so does the next link
    for initial, model, checkpoint in (("ck_a", "b.npz", "ck_b"), ("ck_b", "c.npz", "ck_c")):
        more = ["--initial", str(tmp_path / f"{initial}.npz")]
        more += ["--checkpoint", str(tmp_path / f"{checkpoint}.npz")]
        with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes"):
            assert train("naive.csv", model, *more) == 0
        assert load_model(tmp_path / model).transformers[0].datetime_aware_ == {"ts": True}
        # resumed (the same command again, the run complete): the same
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert train("naive.csv", model, *more, "--resume") == 0
        assert load_model(tmp_path / model).transformers[0].datetime_aware_ == {"ts": True}
    # on aware files: nothing said; its model predicts aware files without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train("aware.csv", "d.npz", "--initial", str(tmp_path / "ck_c.npz")) == 0
        predict = ["predict", str(tmp_path / "d.npz"), "--out", str(tmp_path / "p.csv")]
        assert main([*predict, str(tmp_path / "aware.csv")]) == 0
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes"):
        assert main([*predict, str(tmp_path / "naive.csv")]) == 0

    # a checkpoint whose awareness names other columns is refused before training; one of an
    # earlier sparsereg (none recorded) is said to record none
    def with_meta(name, **entries):
        with np.load(tmp_path / "ck_a.npz", allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        meta = {**json.loads(str(arrays["meta"])), **entries}
        arrays["meta"] = np.array(json.dumps({k: v for k, v in meta.items() if v is not None}))
        with atomic_file(str(tmp_path / name)) as f:
            write_npz(f, arrays)
        return str(tmp_path / name)

    capsys.readouterr()
    for aware in ({"nope": True}, {"ts": 1}, ["ts"]):
        tampered = with_meta("tampered.npz", datetime_aware=aware)
        assert main(["train", str(tmp_path / "naive.csv"), "--model", str(tmp_path / "t.npz"),
                     "--initial", tampered, *options[:-1]]) == 1  # fmt: skip
        assert "its datetime_aware is not the columns --bucket" in capsys.readouterr().err
        assert not (tmp_path / "t.npz").exists()
    # other options than that run's: said to be so, not refused as a tampered awareness
    assert main(["train", str(tmp_path / "naive.csv"), "--model", str(tmp_path / "t.npz"),
                 "--initial", str(tmp_path / "ck_a.npz"), *options[:4]]) == 1  # fmt: skip
    assert "its run trained another model" in capsys.readouterr().err
    # a run whose rows held no datetime noted none: nothing to carry, nothing said
    frame.assign(ts=None).to_csv(tmp_path / "empty.csv", index=False)
    assert train("empty.csv", "n.npz", "--checkpoint", str(tmp_path / "ck_n.npz")) == 0
    capsys.readouterr()
    assert main(["train", str(tmp_path / "naive.csv"), "--model", str(tmp_path / "n2.npz"),
                 "--initial", str(tmp_path / "ck_n.npz"), *options[:-1]]) == 0  # fmt: skip
    assert "records no awareness" not in capsys.readouterr().err
    earlier = with_meta("earlier.npz", datetime_aware=None)
    assert main(["train", str(tmp_path / "naive.csv"), "--model", str(tmp_path / "e.npz"),
                 "--initial", earlier, *options[:-1]]) == 0  # fmt: skip
    assert "records no awareness of its datetimes" in capsys.readouterr().err
    assert load_model(tmp_path / "e.npz").transformers[0].datetime_aware_ == {"ts": False}


@pytest.mark.parametrize("zone, unit", [(None, "us"), ("UTC", "ns"), ("Europe/Paris", "s")])
def test_fit_stream_buckets_a_parquet_timestamp_column_as_the_frame(tmp_path, zone, unit):
    pytest.importorskip("pyarrow")
    from sparsereg.stream import fit_stream

    ts = random_instants(900, seed=6, low="2024-01-01", high="2025-01-01").dt.floor("s")
    ts = ts.dt.tz_localize(zone) if zone else ts
    frame = pd.DataFrame({"ts": ts.dt.as_unit(unit), "click": (ts.dt.hour > 12).astype(int)})
    frame.to_parquet(tmp_path / "clicks.parquet")
    spec = {"datetime": ["hour", "date"], **({"tz": "America/New_York"} if zone else {})}
    hasher = FeatureCrossHasher(["ts"], buckets={"ts": spec}, n_features=2**18)
    streamed, _ = fit_stream(
        make_pipeline(hasher, SparseFTRLClassifier(random_state=0)),
        tmp_path / "clicks.parquet",
        target="click",
        batch_rows=400,
        classes=[0, 1],
    )
    manual = SparseFTRLClassifier(random_state=0)
    for start in range(0, len(frame), 400):
        part = frame.iloc[start : start + 400]
        manual.partial_fit(hasher.transform(part[["ts"]]), part.click, classes=[0, 1])
    np.testing.assert_array_equal(streamed[-1].coef_, manual.coef_)
    assert np.count_nonzero(manual.coef_) > 50


def test_a_1ns_bucket_id_beyond_int64_is_refused_naming_the_column():
    # (the id wrapped around int64: an instant of 1835 got a bucket near 2**63)
    spec = {"datetime": "1ns", "origin": "2262-04-11T23:47:16"}
    hasher = FeatureCrossHasher(["when"], buckets={"when": spec})
    far = pd.DataFrame({"when": pd.to_datetime(["1835-06-06T13:07:06"])})
    with pytest.raises(ValueError, match="column 'when' holds 1835-06-06T13:07:06.*1ns.*int64"):
        hasher.transform(far)
    near = pd.DataFrame({"when": pd.to_datetime(["2262-04-11T23:47:15"])})
    assert hasher.explain(near, hasher.transform(near).indices) != {}
