import itertools
import math
import re
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import Ridge, SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, _hashing, crosses
from sparsereg.crosses import FeatureCrossHasher, expected_collision_rate
from sparsereg.datasets import fetch_california_housing_handson, load_california_housing_mlcc

from .hash_seed_helpers import outputs_under_two_hash_seeds

MINUTE = 1 / 60
BIG = 2**60  # wide enough that any collision in these tests would be a bug


def lower_edge(lo, hi):
    return repr(lo)


def canonical(Xt):
    """Assert the CSR invariants we promise and return the matrix."""
    assert sp.issparse(Xt) and Xt.format == "csr"
    for i in range(Xt.shape[0]):
        row = Xt.indices[Xt.indptr[i] : Xt.indptr[i + 1]]
        assert np.all(np.diff(row) > 0), "indices must be sorted and unique within a row"
    assert Xt.indices.size == 0 or (Xt.indices.min() >= 0 and Xt.indices.max() < Xt.shape[1])
    return Xt


def same(A, B):
    assert A.shape == B.shape
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_array_equal(A.data, B.data)


# -- buckets --------------------------------------------------------------------------------


def test_known_bucket_of_a_latitude():
    hasher = FeatureCrossHasher(
        [0], buckets={0: {"width": MINUTE, "format": lower_edge}}, n_features=BIG
    )
    X = np.array([[37.7749], [2266 / 60 + 1e-9], [37.7834], [37.7666]])
    Xt = canonical(hasher.fit_transform(X))
    assert math.floor(37.7749 * 60) == 2266
    cells = hasher.explain(X[:1], columns=Xt[0].indices)
    assert cells[Xt.indices[0]] == [f"x0={2266 * MINUTE!r}"]
    # same bucket for the row just above the edge, other buckets on either side
    assert Xt.indices[1] == Xt.indices[0]
    assert len({Xt.indices[0], Xt.indices[2], Xt.indices[3]}) == 3


def test_origin_and_negative_values():
    spec = {"width": 0.5, "origin": 0.25, "format": lower_edge}
    hasher = FeatureCrossHasher([0], buckets={0: spec}, n_features=BIG)
    X = np.array([[-1.0], [0.25], [0.74]])
    Xt = hasher.transform(X)
    cells = hasher.explain(X, columns=Xt.indices)
    # floor((-1 - 0.25) / 0.5) = -3 -> lower edge 0.25 - 1.5
    assert cells[Xt.indices[0]] == ["x0=-1.25"]
    assert Xt.indices[1] == Xt.indices[2]


def test_edges_buckets_are_half_open_with_outer_buckets():
    hasher = FeatureCrossHasher([0], buckets={0: [0, 10, 20]}, n_features=BIG)
    X = np.array([[-5.0], [-np.inf], [0.0], [9.99], [10.0], [25.0], [np.inf]])
    Xt = hasher.transform(X)
    idx = Xt.indices
    assert idx[0] == idx[1] and idx[2] == idx[3] and idx[5] == idx[6]
    assert len({idx[0], idx[2], idx[4], idx[5]}) == 4
    labels = hasher.explain(X, columns=idx)
    assert labels[idx[0]] == ["x0=[-inf, 0)"] and labels[idx[4]] == ["x0=[10, 20)"]
    assert labels[idx[5]] == ["x0=[20, inf)"]


def test_bucketed_values_of_any_real_type_bucket_as_their_float():
    def bucketed(values, buckets):
        hasher = FeatureCrossHasher(["a"], buckets={"a": buckets}, n_features=BIG)
        return hasher.transform(pd.DataFrame({"a": values})).indices.tolist()

    # an int beyond float64's range is the infinity of its sign: an outer bucket of edges
    huge = pd.Series([10**400, 1, -(10**400)], dtype=object)
    assert bucketed(huge, [0, 5]) == bucketed([np.inf, 1.0, -np.inf], [0, 5])
    with pytest.raises(ValueError, match="infinite"):  # and, by width, in no bucket
        bucketed(huge, 1.0)
    # a numeric Categorical (the rows' values; an unused category is not read) and a mix of
    # bool and float are numbers, as the docs say
    numbers = pd.Categorical([1.5, 2.5], categories=[1.5, 2.5, 7.0])
    assert bucketed(numbers, 1.0) == bucketed([1.5, 2.5], 1.0)
    assert bucketed(pd.Series([True, 1.5], dtype=object), 1.0) == bucketed([1.0, 1.5], 1.0)
    with pytest.raises(ValueError, match="non-numeric values such as 'x'"):
        bucketed(pd.Series([None, "x", 1.5], dtype=object), 1.0)


def bucket_columns(values, spec, dtype=None):
    """Output columns of a column of ``values`` bucketed by ``spec``."""
    if dtype in ("Int64", "UInt64"):  # (pandas makes a list holding 2**63 float64 first)
        values = np.array(values, dtype=dtype.lower())
    hasher = FeatureCrossHasher(buckets={"v": spec}, n_features=BIG)
    return hasher.transform(pd.DataFrame({"v": pd.Series(values, dtype=dtype)})).indices.tolist()


def columns_of_bucket_ids(ids):
    """Output columns of the bucket ids ``ids`` (an int bucketed by width 1 is its own id)."""
    return bucket_columns(np.array(ids, dtype=np.int64), 1)


def test_integers_near_a_bucket_boundary_are_bucketed_exactly():
    # (ids were computed in float64: 2**53 and 2**53 + 1 shared a bucket of width 1, and so
    # did nanosecond timestamps on either side of a microsecond)
    t = 1_700_000_000_000_000_000  # ns since the epoch, 2023-11-14
    assert len(set(bucket_columns([2**53, 2**53 + 1], 1))) == 2
    assert len(set(bucket_columns([t - 1, t], {"width": 1000, "origin": 0}))) == 2
    assert len(set(bucket_columns([t, t + 999], {"width": 1000, "origin": 0}))) == 1
    # an edge of 2**63 (2.0**63 once rounded, as is 2**63 - 1): 2**63 - 1 is below it
    assert bucket_columns([2**63 - 1], [2**63]) == bucket_columns([0], [2**63])
    assert bucket_columns([2**63], [2**63], "uint64") != bucket_columns([0], [2**63])
    assert bucket_columns([2**53], [2**53 + 1]) == bucket_columns([0], [2**53 + 1])
    assert len(set(bucket_columns([2**53, 2**53 + 1], [2**53, 2**53 + 1]))) == 2


WHOLE = st.integers(-(2**70), 2**70)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-(2**63), 2**64 - 1), min_size=1, max_size=8),
    width=st.one_of(st.integers(1, 10), st.integers(1, 2**70)),
    origin=st.one_of(st.integers(-10, 10), WHOLE),
    kind=st.sampled_from(["int64", "uint64", "Int64", "UInt64", "object"]),
)
def test_integers_are_bucketed_as_the_exact_floor_of_a_whole_width(values, width, origin, kind):
    if kind in ("int64", "Int64"):
        values = [v - 2**63 if v >= 2**63 else v for v in values]
    elif kind in ("uint64", "UInt64"):
        values = [v + 2**63 if v < 0 else v for v in values]
    else:
        values = [v * 3**k for k, v in enumerate(values)]  # Python ints beyond 64 bits too
    ids = [(v - origin) // width for v in values]
    spec = {"width": float(width) if width < 2**53 and width % 2 else width, "origin": origin}
    if all(-(2**62) < i < 2**62 for i in ids):
        assert bucket_columns(values, spec, kind) == columns_of_bucket_ids(ids)
    else:
        with pytest.raises(ValueError, match="too far from the origin"):
            bucket_columns(values, spec, kind)


@settings(max_examples=60, deadline=None)
@given(
    near=st.lists(st.tuples(st.integers(0, 4), st.integers(-2, 2)), min_size=1, max_size=8),
    edges=st.lists(
        st.one_of(WHOLE, st.integers(2**53, 2**64), st.floats(-1e20, 1e20)), min_size=1, max_size=5
    ),
)
def test_integers_are_compared_exactly_with_the_edges(near, edges):
    edges = sorted(set(edges))
    if any(a >= b for a, b in zip(edges, edges[1:])):  # (an int equal to a float)
        return
    near_edges = [math.floor(edges[k % len(edges)]) + d for k, d in near]
    for kind, low, high in [("int64", -(2**63), 2**63 - 1), ("uint64", 0, 2**64 - 1)]:
        values = [min(max(v, low), high) for v in near_edges]
        ids = [sum(e <= v for e in edges) for v in values]  # (Python compares exactly)
        for dtype in (kind, "object"):
            assert bucket_columns(values, edges, dtype) == columns_of_bucket_ids(ids)


def test_floats_keep_their_float64_buckets():
    # a width's bucket of a float is floor((x - origin) / width) in float64, as before
    x = np.array([0.3, 0.1 * 3, -1e16 + 2, 2.0**55 + 8, 1e15 + 0.5])
    for width, origin in [(0.1, 0), (3, 0), (MINUTE, 0.25), (7, -2)]:
        ids = np.floor((x - origin) / width).astype(np.int64)
        assert bucket_columns(x, {"width": width, "origin": origin}) == columns_of_bucket_ids(ids)
    assert bucket_columns(x[:2], 0.1) == columns_of_bucket_ids([2, 3])


def test_degree_format():
    hasher = FeatureCrossHasher(
        [("lat", "lon")],
        n_features=BIG,
        buckets={
            "lat": {"width": MINUTE, "format": "deg"},
            "lon": {"width": MINUTE, "format": "deg"},
        },
    )
    X = pd.DataFrame({"lat": [37.7749], "lon": [-122.4194]})
    j = hasher.transform(X).indices[0]
    assert hasher.explain(X, [j]) == {j: ["lat=37°46' x lon=-122°26'"]}


# -- stability ------------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False)
maybe_nan = st.one_of(finite, st.just(np.nan))


@settings(max_examples=40, deadline=None)
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.just(3)), elements=maybe_nan),
    split=st.integers(1, 29),
    missing=st.sampled_from(["bucket", "skip"]),
    alternate_sign=st.booleans(),
)
def test_batch_split_stability_and_one_entry_per_cross(X, split, missing, alternate_sign):
    split = min(split, X.shape[0] - 1)
    hasher = FeatureCrossHasher(
        [0, (0, 1), (1, 2), 2],
        buckets={0: 0.7, 1: [-1.0, 0.0, 3.0]},
        n_features=BIG,
        missing=missing,
        alternate_sign=alternate_sign,
    )
    whole = canonical(hasher.transform(X))
    same(whole, sp.vstack([hasher.transform(X[:split]), hasher.transform(X[split:])]).tocsr())
    nan = np.isnan(X)
    expected = 4 - (missing == "skip") * (
        nan[:, 0].astype(int) + (nan[:, 0] | nan[:, 1]) + (nan[:, 1] | nan[:, 2]) + nan[:, 2]
    )
    np.testing.assert_array_equal(np.diff(whole.indptr), expected)
    assert set(np.abs(whole.data)) <= {1.0}


def test_batch_split_stability_strings_and_mixed_dataframe():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "city": rng.choice(["a", "b", "c", None], 500),
            "n": rng.integers(0, 5, 500),
            "x": rng.normal(size=500),
        }
    )
    hasher = FeatureCrossHasher(
        ["city", ("city", "n"), ("n", "x")], buckets={"x": 0.5}, n_features=2**20
    )
    same(
        hasher.transform(df),
        sp.vstack([hasher.transform(df.iloc[:123]), hasher.transform(df.iloc[123:])]).tocsr(),
    )


def test_pinned_hash_values():
    # A regression guard: these numbers must never change between releases.
    assert _hashing.fmix64_scalar(1) == 0xB456BCFC34C2CB2C
    a = np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)
    assert _hashing.fmix64(a).tolist() == [_hashing.fmix64_scalar(int(v)) for v in a]
    X = np.array([["NEAR BAY", 3, 37.7749]], dtype=object)
    Xt = FeatureCrossHasher([0, 1, (0, 1), 2], buckets={2: MINUTE}, n_features=2**28).transform(X)
    assert Xt.indices.tolist() == sorted(PINNED)


PINNED = [51495338, 93998677, 144166777, 190226908]


def test_pythonhashseed_independence():
    code = (
        "import numpy as np; from sparsereg.crosses import FeatureCrossHasher as F; "
        "X = np.array([['a', 'é', 1], ['b', None, 2.5]], dtype=object); "
        "print(F([0, (0, 1), 2], n_features=2**40, alternate_sign=True, seed=7)"
        ".transform(X).indices.tolist(), hash('a'))"
    )
    outs = [out.split("] ") for out in outputs_under_two_hash_seeds(code)]
    assert outs[0][1] != outs[1][1], "the subprocesses did not get different hash seeds"
    assert outs[0][0] == outs[1][0]
    X = np.array([["a", "é", 1], ["b", None, 2.5]], dtype=object)
    here = FeatureCrossHasher(
        [0, (0, 1), 2], n_features=2**40, alternate_sign=True, seed=7
    ).transform(X)
    assert outs[0][0] + "]" == str(here.indices.tolist())


def test_seed_changes_the_hash():
    X = np.arange(50).reshape(-1, 1)
    a = FeatureCrossHasher(n_features=BIG, seed=0).transform(X).indices
    b = FeatureCrossHasher(n_features=BIG, seed=1).transform(X).indices
    assert not np.array_equal(a, b)


# -- collisions we must avoid -----------------------------------------------------------


def test_cross_order_and_column_identity_do_not_collide():
    rng = np.random.default_rng(1)
    pairs = rng.integers(0, 1000, (2000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    hasher = FeatureCrossHasher([(0, 1)], n_features=2**40)
    ab = hasher.transform(pairs).indices
    ba = hasher.transform(pairs[:, ::-1]).indices
    assert not np.any(ab == ba)
    # int 3 in column A and the string "3" in column B, each alone
    X = np.array([[3, "3"]], dtype=object)
    Xt = FeatureCrossHasher(n_features=2**40).transform(X)
    assert Xt.nnz == 2
    # the same value alone in two columns
    assert FeatureCrossHasher(n_features=2**40).transform(np.array([[5, 5]])).nnz == 2


def test_equal_values_of_different_dtypes_are_one_token():
    ints = FeatureCrossHasher(n_features=BIG).transform(np.array([[3], [1], [0]]))
    floats = FeatureCrossHasher(n_features=BIG).transform(np.array([[3.0], [1.0], [np.nan]]))
    objs = FeatureCrossHasher(n_features=BIG).transform(
        np.array([[3], [True], [0.0]], dtype=object)
    )
    assert ints.indices[:2].tolist() == floats.indices[:2].tolist() == objs.indices[:2].tolist()
    assert ints.indices[2] == objs.indices[2] != floats.indices[2]


# -- output format ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_output_dtype_sorted_and_duplicates_summed(dtype):
    X = np.random.default_rng(0).integers(0, 4, (200, 3))
    hasher = FeatureCrossHasher([0, 1, 2, (0, 1), (1, 2)], n_features=8, dtype=dtype)
    Xt = canonical(hasher.transform(X))
    assert Xt.dtype == dtype and Xt.indices.dtype == np.int32 and Xt.indptr.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(Xt.sum(axis=1)).ravel(), 5)
    assert Xt.data.max() > 1  # some collisions were summed, not repeated
    one = FeatureCrossHasher([0, 1, 2], n_features=1).transform(X)
    assert one.nnz == 200 and np.all(one.data == 3)


def test_alternate_sign():
    X = np.arange(1000).reshape(-1, 1)
    plain = FeatureCrossHasher(n_features=BIG).transform(X)
    signed = FeatureCrossHasher(n_features=BIG, alternate_sign=True).transform(X)
    np.testing.assert_array_equal(plain.indices, signed.indices)
    assert set(signed.data) == {-1.0, 1.0} and 400 < (signed.data > 0).sum() < 600
    same(signed, FeatureCrossHasher(n_features=BIG, alternate_sign=True).transform(X[::-1])[::-1])
    # collisions sum their signs and exact cancellations are dropped
    narrow = FeatureCrossHasher([0, 1, 2, 3], n_features=1, alternate_sign=True)
    Xt = narrow.transform(np.random.default_rng(0).integers(0, 100, (300, 4)))
    assert set(Xt.data) <= {-4.0, -2.0, 2.0, 4.0} and Xt.nnz < 300


@pytest.mark.parametrize(
    "n_features, index_dtype",
    [
        (2**28, np.int32),
        (2**31 - 1, np.int32),
        (2**31, np.int64),
        (2**33, np.int64),
        (2**60, np.int64),
    ],
)
def test_wide_outputs(n_features, index_dtype):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(-90, 90, 2000), rng.uniform(-180, 180, 2000)])
    hasher = FeatureCrossHasher([0, (0, 1)], buckets={0: MINUTE, 1: MINUTE}, n_features=n_features)
    Xt = canonical(hasher.transform(X))
    assert Xt.shape == (2000, n_features)
    assert Xt.indices.dtype == index_dtype and Xt.indptr.dtype == index_dtype
    if n_features > 2**32:
        assert Xt.indices.max() > 2**32  # the upper bits are really used


# -- missing values ---------------------------------------------------------------------


MISSING = [np.nan, None, pd.NA]


@pytest.mark.parametrize("na", MISSING, ids=["nan", "None", "pd.NA"])
@pytest.mark.parametrize("kind", ["bucketed", "numeric", "string"])
def test_missing_policies(na, kind):
    reals = {
        "bucketed": [0.0, 1.0, -1.0, 2.5],
        "numeric": [0, 1, -1, 2.5],
        "string": ["nan", "None", "", "<NA>"],
    }[kind]
    col = pd.Series(reals + [na], dtype=object)
    df = pd.DataFrame({"v": col, "w": ["a"] * len(col)})
    buckets = {"v": 0.5} if kind == "bucketed" else None
    hasher = FeatureCrossHasher(["v", ("v", "w")], buckets=buckets, n_features=BIG)
    Xt = canonical(hasher.transform(df))
    rows = [set(Xt[i].indices) for i in range(len(col))]
    assert len(rows[-1]) == 2 and all(rows[-1].isdisjoint(r) for r in rows[:-1])
    labels = hasher.explain(df, sorted(rows[-1]))
    assert sorted(c for cells in labels.values() for c in cells) == [
        "v=<missing>",
        "v=<missing> x w=a",
    ]
    skipped = hasher.set_params(missing="skip").transform(df)
    assert np.diff(skipped.indptr).tolist() == [2] * len(reals) + [0]
    same(skipped[:-1], Xt[:-1])
    with pytest.raises(ValueError, match="column 'v' has missing values"):
        hasher.set_params(missing="error").transform(df)
    hasher.set_params(missing="error").transform(df.iloc[:-1])


def test_missing_in_numpy_arrays_and_nullable_dtypes():
    hasher = FeatureCrossHasher(n_features=BIG, missing="skip")
    assert hasher.transform(np.array([[np.nan], [1.0]])).indptr.tolist() == [0, 0, 1]
    df = pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "b": pd.array([True, None], dtype="boolean"),
            "s": pd.array(["x", None], dtype="string"),
        }
    )
    Xt = hasher.transform(df)
    assert Xt.indptr.tolist() == [0, 3, 3]
    # nullable Int64 1 is the same token as int 1
    same(
        FeatureCrossHasher(["i"], n_features=BIG).transform(df.iloc[:1]),
        FeatureCrossHasher(n_features=BIG).transform(np.array([[1]])),
    )


# -- input kinds ------------------------------------------------------------------------


def test_dataframe_array_and_list_give_the_same_output():
    df = pd.DataFrame({"lat": [37.77, 34.05, 36.1], "city": ["SF", "LA", "LV"], "n": [1, 2, 3]})
    kw = dict(buckets={0: MINUTE}, n_features=2**24, alternate_sign=True)
    by_name = FeatureCrossHasher(
        ["city", ("lat", "city"), ("n", "lat")],
        buckets={"lat": MINUTE},
        n_features=2**24,
        alternate_sign=True,
    )
    by_pos = FeatureCrossHasher([1, (0, 1), (2, 0)], **kw)
    expected = by_name.transform(df)
    same(expected, by_pos.transform(df))
    same(expected, by_pos.transform(df.to_numpy(dtype=object)))
    same(expected, by_pos.transform(df.values.tolist()))
    # names resolve through feature_names_in_ once fitted on a DataFrame
    fitted = by_name.fit(df)
    with pytest.warns(UserWarning, match="feature names"):
        same(expected, fitted.transform(df.to_numpy(dtype=object)))


def test_categorical_column_equals_strings():
    s = ["b", "a", None, "c", "a"]
    strings = pd.DataFrame({"c": s, "k": [1, 2, 3, 4, 5]})
    cats = strings.assign(c=pd.Categorical(s, categories=["c", "b", "a", "z"]))
    hasher = FeatureCrossHasher(["c", ("c", "k")], n_features=2**30)
    same(hasher.transform(strings), hasher.transform(cats))
    same(hasher.transform(strings), hasher.transform(strings.astype({"c": object})))


def test_categorical_column_of_many_categories_equals_strings():
    # rows using a scattered few of many categories, some rows missing, and no row present;
    # many rows and a few (each category's place found by a table, or by a sort)
    rng = np.random.default_rng(0)
    names = [f"v{i}" for i in range(5000)]
    codes = rng.choice([-1, 0, 17, 4998, 4999, *rng.integers(0, 5000, 300)], size=2000)
    for used in (codes, np.array([4999, -1, 17, 4999, 0]), np.full(10, -1)):
        cats = pd.Categorical.from_codes(used, categories=names)
        strings = pd.DataFrame({"c": np.asarray(cats, dtype=object), "k": np.arange(used.size)})
        hasher = FeatureCrossHasher(["c", ("c", "k")], n_features=2**30)
        same(hasher.transform(strings), hasher.transform(strings.assign(c=cats)))


def test_numpy_string_and_bytes_arrays():
    u = np.array([["a", "b"], ["c", "a"]])
    o = u.astype(object)
    hasher = FeatureCrossHasher([0, (0, 1)], n_features=2**30)
    same(hasher.transform(u), hasher.transform(o))
    assert hasher.transform(u.astype("S")).nnz == 4


def test_without_pandas_same_output(monkeypatch):
    X = np.array([["a", 1.5, None], ["b", None, "x"], ["a", 2.0, "y"]], dtype=object)
    hasher = FeatureCrossHasher([0, (0, 1), 2], buckets={1: 0.5}, n_features=2**30)
    with_pandas = hasher.transform(X)
    monkeypatch.setattr(crosses, "_pandas", lambda: None)
    same(with_pandas, hasher.transform(X))
    hasher.set_params(crosses=[0], buckets=None)
    same(hasher.transform(X[[0, 2], :1].astype(str)), hasher.transform(X[[0, 2], :1]))


def test_column_transformer_and_pipeline():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "lat": rng.uniform(30, 40, n),
            "lon": rng.uniform(-120, -110, n),
            "kind": rng.choice(["a", "b", "c"], n),
            "income": rng.normal(size=n),
        }
    )
    y = (df.lat > 35) * 2.0 + (df.kind == "a") + 0.1 * df.income
    ct = ColumnTransformer(
        [
            (
                "crosses",
                FeatureCrossHasher(
                    [("lat", "lon"), "lat", "kind"],
                    buckets={"lat": 1.0, "lon": 1.0},
                    n_features=2**18,
                ),
                ["lat", "lon", "kind"],
            ),
            ("num", StandardScaler(), ["income"]),
        ]
    )
    for model in (Ridge(alpha=0.1), SGDRegressor(random_state=0)):
        pipe = make_pipeline(ct, model).fit(df, y)
        assert pipe.score(df, y) > 0.9
    Xt = ct.fit_transform(df)
    assert sp.issparse(Xt) and Xt.shape == (n, 2**18 + 1)


# -- scikit-learn conformance (its estimator checks: tests/test_common.py) ---------------


def test_the_sparse_interface_configured_is_the_one_given_as_feature_hasher_gives_it():
    # a csr_matrix came out whatever sklearn.set_config(sparse_interface=...) said, where
    # FeatureHasher (and every scikit-learn transformer of sparse output) follows it
    if "sparse_interface" not in sklearn.get_config():
        pytest.skip("scikit-learn before sparse_interface (1.9)")
    X = pd.DataFrame({"a": ["x", "y", "x", "z"], "b": [1, 2, 2, 1]})
    y = np.array([0, 1, 0, 1])
    hasher = FeatureCrossHasher(["a", ("a", "b")], n_features=2**12)
    models = []
    for interface, kind in (("sparray", sp.csr_array), ("spmatrix", sp.csr_matrix)):
        with sklearn.config_context(sparse_interface=interface):
            reference = FeatureHasher(input_type="string").transform([["a"], ["b"]])
            Xt = hasher.fit_transform(X)
            models.append(make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(X, y))
        assert type(Xt) is type(reference) is kind
        assert Xt.has_canonical_format and Xt.indices.dtype == np.int32
        np.testing.assert_array_equal(Xt.toarray(), hasher.transform(X).toarray())
    np.testing.assert_array_equal(models[0][-1].coef_, models[1][-1].coef_)  # the same model


def test_pandas_output_is_configured_as_for_feature_hasher():
    # like FeatureHasher, a hasher of sparse output has no set_output (nor feature names):
    # a pipeline asked for pandas output refuses it with scikit-learn's message, and the
    # global setting leaves the CSR as it is
    for hasher, X in (
        (FeatureHasher(input_type="string"), [["x"], ["y"]]),
        (FeatureCrossHasher(), pd.DataFrame({"a": ["x", "y"]})),
    ):
        assert not hasattr(hasher, "set_output")
        assert not hasattr(hasher, "get_feature_names_out")
        name = type(hasher).__name__
        with pytest.raises(ValueError, match=f"configure output for {name}.*`set_output` is not"):
            make_pipeline(hasher, Ridge()).set_output(transform="pandas")
        with sklearn.config_context(transform_output="pandas"):
            assert sp.issparse(hasher.fit_transform(X))


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, X, error, match",
    [
        (dict(crosses=["nope"]), pd.DataFrame({"a": [1]}), ValueError, "'nope' not found"),
        (dict(crosses=["a"]), np.array([[1]]), ValueError, "given by name but X has no column"),
        (dict(crosses=[5]), np.array([[1]]), ValueError, "position 5 is out of range"),
        (dict(crosses=[(0, 0)]), np.array([[1]]), ValueError, "repeats a column"),
        (dict(crosses=[]), np.array([[1]]), ValueError, "must not be empty"),
        (dict(crosses=[1.5]), np.array([[1]]), TypeError, "column keys must be"),
        (dict(buckets={0: 0}), np.array([[1.0]]), ValueError, "width must be a finite number > 0"),
        (dict(buckets={0: -1.0}), np.array([[1.0]]), ValueError, "width must be"),
        (dict(buckets={0: [3, 1]}), np.array([[1.0]]), ValueError, "strictly increasing"),
        (dict(buckets={0: {"with": 1}}), np.array([[1.0]]), ValueError, "unknown keys"),
        # (sorting them raised "'<' not supported between 'str' and 'int'")
        (
            dict(buckets={0: {"width": 1.0, 1: 2, "b": 3}}),
            np.array([[1.0]]),
            ValueError,
            r"buckets\[0\] has unknown keys \['1', 'b'\]",
        ),
        (dict(buckets={0: "wide"}), np.array([[1.0]]), TypeError, "must be a width"),
        (
            dict(buckets={0: 1.0}),
            np.array([["a"]], dtype=object),
            ValueError,
            "column 'x0' is bucketed, so it must be numeric.*'a'",
        ),
        (
            dict(buckets={"v": 1.0}),
            pd.DataFrame({"v": [1.0, "1.5"]}),
            ValueError,
            "column 'v' is bucketed",
        ),
        (dict(buckets={0: 1.0}), np.array([[np.inf]]), ValueError, "column 'x0'.*inf"),
        (dict(n_features=0), np.array([[1]]), ValueError, "n_features"),
        (dict(n_features=2**61), np.array([[1]]), ValueError, "n_features"),
        # scikit-learn's Interval takes True as the int 1 (a one-column output)
        (dict(n_features=True), np.array([[1]]), ValueError, "n_features must be an int, got True"),
        (dict(seed=False), np.array([[1]]), ValueError, "seed must be an int, got False"),
        (dict(missing="drop"), np.array([[1]]), ValueError, "missing"),
        (dict(dtype=np.int64), np.array([[1]]), ValueError, "dtype must be float32 or float64"),
    ],
)
def test_bad_input_errors(params, X, error, match):
    with pytest.raises(error, match=match):
        FeatureCrossHasher(**params).fit_transform(X)


@pytest.mark.parametrize(
    "spec, match",
    [
        ([10**400], "edges must be finite numbers"),
        ({"edges": [1, 10**400]}, "edges must be finite numbers"),
        (10**400, "width must be a finite number > 0"),
        (Fraction(10**400, 1), "width must be a finite number > 0"),
        ({"width": 10**400}, "width must be a finite number > 0"),
        ({"width": 1.0, "origin": 10**400}, "origin must be a finite number"),
        ({"width": 1.0, "origin": Fraction(-(10**400), 3)}, "origin must be a finite number"),
    ],
    ids=["edges", "edges-dict", "width", "width-fraction", "width-dict", "origin", "origin-frac"],
)
def test_bucket_numbers_beyond_float64_are_refused_naming_the_column(spec, match):
    # (float() of them raised OverflowError)
    hasher = FeatureCrossHasher(buckets={"v": spec})
    with pytest.raises(ValueError, match=rf"buckets\['v'\]: {match}"):
        hasher.fit(pd.DataFrame({"v": [1.0]}))
    assert not hasattr(hasher, "n_features_in_")


def test_bucket_messages_show_plain_numbers():
    # (the value and the width showed as np.float64(1e+300), NumPy's repr)
    with pytest.raises(ValueError, match=r"holds the value 1e\+300: infinite") as caught:
        FeatureCrossHasher(buckets={0: 1.0}).fit_transform(np.array([[1e300]]))
    assert "np." not in str(caught.value)
    with pytest.raises(ValueError, match=r"width must be a finite number > 0, got -2.5\.$"):
        FeatureCrossHasher(buckets={0: np.float64(-2.5)}).fit(np.zeros((1, 1)))


def test_wrong_number_of_columns_at_transform():
    hasher = FeatureCrossHasher().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X has 3 features, but FeatureCrossHasher is expecting 2"):
        hasher.transform(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="dense input"):
        FeatureCrossHasher().transform(sp.csr_matrix(np.eye(2)))


# -- explain and diagnostics ------------------------------------------------------------


def test_explain_finds_the_cell_and_its_collisions():
    df = pd.DataFrame({"city": ["SF", "LA", "SF", "NY"], "n": [1, 2, 1, 3]})
    hasher = FeatureCrossHasher([("city", "n"), "city"], n_features=BIG)
    Xt = hasher.transform(df)
    j = Xt[0].indices
    cells = hasher.explain(df, columns=j)
    assert sorted(c for found in cells.values() for c in found) == ["city=SF", "city=SF x n=1"]
    assert hasher.explain(df, columns=[12345]) == {12345: []}
    # with one column everything collides; most frequent cells first
    narrow = FeatureCrossHasher(["city"], n_features=1)
    assert narrow.explain(df, 0) == {0: ["city=SF", "city=LA", "city=NY"]}
    with pytest.raises(ValueError, match="columns must be in"):
        narrow.explain(df, [1])
    # (7.9 and "7" were read as column 7, [[1, 2]] and 2**70 raised TypeError, OverflowError)
    for bad in ([0.9], ["0"], [[0, 0]], [2**70], [True]):
        with pytest.raises(ValueError, match="columns must be column indices"):
            narrow.explain(df, bad)
    assert narrow.explain(df, np.array([0], dtype=np.uint64)) == {
        0: ["city=SF", "city=LA", "city=NY"]
    }


def test_collision_stats_match_brute_force():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 30, (500, 2))
    for n_features in (16, 64, 2**20):
        hasher = FeatureCrossHasher([0, 1, (0, 1)], n_features=n_features)
        stats = hasher.collision_stats(X)
        tokens = {(0, a) for a in X[:, 0]} | {(1, b) for b in X[:, 1]} | {(2, a, b) for a, b in X}
        n_columns = len(set(hasher.transform(X).indices.tolist()))
        assert stats["n_tokens"] == len(tokens)
        assert stats["n_columns"] == n_columns
        assert stats["observed_rate"] == pytest.approx(1 - n_columns / len(tokens))
        assert stats["expected_rate"] == pytest.approx(
            expected_collision_rate(len(tokens), n_features)
        )
    assert abs(stats["observed_rate"] - stats["expected_rate"]) < 0.01


@pytest.mark.parametrize("n_tokens, n_features", [(2, 2), (3, 3), (4, 3), (5, 2), (1, 4), (0, 4)])
def test_expected_collision_rate_by_enumeration(n_tokens, n_features):
    placements = list(itertools.product(range(n_features), repeat=n_tokens))
    occupied = np.mean([len(set(p)) for p in placements])
    exact = 1 - occupied / n_tokens if n_tokens else 0.0
    assert expected_collision_rate(n_tokens, n_features) == pytest.approx(exact)


@pytest.mark.parametrize("n_features", [2, 7, 9999, 2**20, 2**40, 2**60])
@pytest.mark.parametrize("n_tokens", [2, 3, 10, 1000, 10**5])
def test_expected_collision_rate_matches_exact_fractions_at_any_width(n_tokens, n_features):
    # 1 - occupied / n_tokens cancelled: 0.0 for 3 tokens in 2**60 columns (8.7e-19 exactly),
    # 2e-12 relative at 9,999 columns
    from fractions import Fraction

    if n_tokens == 10**5 and n_features > 2**20:
        pytest.skip("(the exact power takes long)")
    occupied = n_features * (1 - (1 - Fraction(1, n_features)) ** n_tokens)
    exact = float(1 - occupied / n_tokens)
    assert expected_collision_rate(n_tokens, n_features) == pytest.approx(exact, rel=1e-13)


# -- real data ------------------------------------------------------------------------------


def test_california_housing_handson(local_dataset):
    df = local_dataset(fetch_california_housing_handson).frame
    deg = {"width": MINUTE, "format": "deg"}
    hasher = FeatureCrossHasher(
        [("latitude", "longitude"), "ocean_proximity", ("total_bedrooms", "ocean_proximity")],
        buckets={"latitude": deg, "longitude": deg, "total_bedrooms": [100, 300, 1000, 3000]},
        n_features=2**28,
    )
    Xt = canonical(hasher.fit_transform(df))
    assert np.all(np.diff(Xt.indptr) == 3)
    missing = df.total_bedrooms.isna().to_numpy()
    assert missing.sum() == 207
    # the missing-bedrooms cells are their own columns, never a real bucket's
    rows = np.flatnonzero(missing)
    cols = np.unique(Xt[rows].indices)
    labels = [c for cells in hasher.explain(df, cols).values() for c in cells]
    assert any(c.startswith("total_bedrooms=<missing> x ocean_proximity=") for c in labels)
    assert not any(c.startswith("total_bedrooms=[") for c in labels)
    skipped = hasher.set_params(missing="skip").transform(df)
    np.testing.assert_array_equal(np.diff(skipped.indptr), 3 - missing)
    stats = hasher.collision_stats(df)
    assert stats["n_tokens"] > 1000 and stats["observed_rate"] < 1e-4


def test_california_housing_mlcc_pipeline_and_readable_weights():
    df = load_california_housing_mlcc(subset="train", as_frame=True).frame
    y = df.median_house_value / 1e5
    deg = {"width": 0.25, "format": "deg"}
    hasher = FeatureCrossHasher(
        [("latitude", "longitude"), "median_income"],
        buckets={"latitude": deg, "longitude": deg, "median_income": 1.0},
        n_features=2**16,
    )
    pipe = make_pipeline(hasher, Ridge(alpha=1.0)).fit(df, y)
    assert pipe.score(df, y) > 0.6
    coef = pipe[-1].coef_
    top = np.argsort(-np.abs(coef))[:10]
    cells = hasher.explain(df, top)
    assert all(cells[j] for j in top)
    assert any("latitude=" in c and " x longitude=" in c for j in top for c in cells[j])


# -- internals worth pinning ----------------------------------------------------------------


def test_hash_values_matches_hash_value():
    values = ["a", "é", "", b"a", 3, -1, 2**70, 2.5, 3.0, True, float("inf"), ("t", 1)]
    expected = [_hashing.hash_value(v) for v in values]
    assert _hashing.hash_values(values).tolist() == expected
    assert _hashing.hash_values(["a", "é"]).tolist() == expected[:2]
    assert expected[4] == expected[8] and expected[0] != expected[3]  # 3 == 3.0, "a" != b"a"


def test_benchmark_quick_runs(capsys):
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "bench_crosses.py"
    spec = importlib.util.spec_from_file_location("bench_crosses", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--quick", "--repeats", "1"])
    assert result["rows_per_s_cross"] > 0 and "speed-up vs FeatureHasher" in capsys.readouterr().out


def test_output_is_flagged_canonical_and_really_is():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 50, size=(200, 3)).astype(float)
    out = FeatureCrossHasher(crosses=[0, 1, 2, (0, 1)], n_features=64).fit_transform(X)
    assert out.has_canonical_format  # the flag set by the hasher...
    recomputed = sp.csr_matrix((out.data, out.indices, out.indptr), shape=out.shape)
    assert recomputed.has_canonical_format  # ...agrees with scipy's own check


def test_a_pyarrow_table_gives_what_the_pandas_dataframe_gives():
    pa = pytest.importorskip("pyarrow")
    # (through check_array, tz-aware timestamps became naive and uint64 with nulls float)
    times = pd.to_datetime(["2024-03-01T16:30Z", "2024-03-02T08:05Z", None], utc=True)
    df = pd.DataFrame(
        {
            "t": times.tz_convert("Europe/Paris"),
            "u": pd.Series([2**64 - 1, None, 3], dtype="UInt64"),
            "s": ["a", None, "c"],
        }
    )
    table = pa.Table.from_pandas(df, preserve_index=False)
    naive = pa.Table.from_pandas(df.assign(t=times.tz_localize(None)), preserve_index=False)
    hasher = FeatureCrossHasher(n_features=BIG)
    assert (hasher.transform(table.select(["t"])) != hasher.transform(df[["t"]])).nnz == 0
    for hasher in (
        FeatureCrossHasher(n_features=BIG),
        FeatureCrossHasher([("t", "s"), "u"], buckets={"t": {"datetime": "hour"}}, n_features=BIG),
    ):
        expected = hasher.fit_transform(df)
        for X in (table, table.to_batches()[0]):
            assert (hasher.fit_transform(X) != expected).nnz == 0
            assert list(hasher.feature_names_in_) == ["t", "u", "s"]
        assert (FeatureCrossHasher(n_features=BIG).transform(naive) != expected).nnz > 0


@pytest.mark.parametrize("fitted_on", ["frame", "array", None])
def test_a_refused_fit_leaves_the_input_attributes_as_they_were(fitted_on):
    first = pd.DataFrame({"a": [1], "b": [2]})
    hasher = FeatureCrossHasher(n_features=2**10)
    if fitted_on is not None:
        hasher.fit(first if fitted_on == "frame" else first.to_numpy())
    before = {k: v for k, v in vars(hasher).items() if k.endswith("_in_")}
    hasher.set_params(crosses=["a"])
    for X in (pd.DataFrame({"c": [1], "d": [2], "e": [3]}), np.array([[1, 2, 3]])):
        with pytest.raises(ValueError, match="'a'"):
            hasher.fit(X)
        after = {k: v for k, v in vars(hasher).items() if k.endswith("_in_")}
        assert after.keys() == before.keys()
        for k in before:
            np.testing.assert_array_equal(after[k], before[k])


def test_masked_arrays_are_refused():
    # (the mask was dropped: a masked entry was hashed as the value it hides)
    X = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[False, True], [False, False]])
    hasher = FeatureCrossHasher(n_features=2**10)
    for call in (hasher.fit, hasher.transform, hasher.fit_transform):
        with pytest.raises(TypeError, match="masked arrays.*filled"):
            call(X)
    assert not hasattr(hasher, "n_features_in_")
    missing = hasher.transform(X.filled(np.nan))
    assert (missing != hasher.transform(X.data)).nnz > 0


@pytest.mark.parametrize(
    "n_tokens, n_features, error",
    [
        (math.nan, 16, ValueError),  # (0.0)
        ([3, math.inf], 16, ValueError),  # (NaN)
        (10**400, 16, ValueError),  # (OverflowError)
        (-1, 16, ValueError),
        (10, math.nan, TypeError),  # (0.9)
        (10, 16.0, TypeError),
        (10, True, TypeError),
        (10, 0, ValueError),
        (10, 10**400, ValueError),  # (OverflowError)
        # text, dates and durations were read as numbers ("100" as 100, a date as its days),
        # a mask was dropped, a bool was a count, complex numbers and text among objects
        # raised NumPy's own messages
        ("100", 16, ValueError),
        (np.array(["2020-01-01"], "datetime64[D]"), 16, ValueError),
        (np.timedelta64(5, "D"), 16, ValueError),
        (np.ma.masked_array([10, 20], mask=[0, 1]), 16, TypeError),
        (True, 16, TypeError),
        (np.array([True, False]), 16, TypeError),
        ([True, 2], 16, TypeError),  # (NumPy's array of it holds ints)
        (2 + 1j, 16, TypeError),
        (np.array([10, "a"], dtype=object), 16, ValueError),
        ([[1, 2], [3]], 16, TypeError),
    ],
    ids=[
        "nan",
        "inf",
        "huge",
        "negative",
        "nan-n",
        "float-n",
        "bool-n",
        "zero-n",
        "huge-n",
        "text",
        "date",
        "duration",
        "masked",
        "bool",
        "bools",
        "bool-list",
        "complex",
        "text-object",
        "ragged",
    ],  # fmt: skip
)
def test_expected_collision_rate_refuses_invalid_input(n_tokens, n_features, error):
    with pytest.raises(error, match="n_tokens|n_features"):
        expected_collision_rate(n_tokens, n_features)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-(2**53), 2**53), min_size=1, max_size=8))
def test_explain_names_a_number_alike_whatever_the_column_holding_it(values):
    # 5 was "x=5" from a column of ints or floats, "x=5.0" from a column of objects (a stream's
    # chunk holding text or a big id): one hashed column, two names
    from decimal import Decimal

    hasher = FeatureCrossHasher([("x",)], n_features=2**40)
    frames = [
        pd.DataFrame({"x": np.array(values, dtype=np.int64)}),
        pd.DataFrame({"x": np.array(values, dtype=np.float64)}),
        pd.DataFrame({"x": np.array([float(v) for v in values] + ["text"], dtype=object)}),
        pd.DataFrame({"x": np.array([Decimal(v).quantize(Decimal("0.01")) for v in values])}),
    ]
    named = []
    for X in frames:
        columns = hasher.transform(X).indices[: len(values)]
        named.append(hasher.explain(X, columns))
    assert named[1:] == named[:1] * 3


def test_explain_names_a_bool_alike_whatever_the_column_holding_it():
    # True was "b=1" from a column of bools (or Int64), "b=True" from a column of objects (a
    # stream's chunk of bools with missing values, a frame with None): one hashed column
    hasher = FeatureCrossHasher([("b",)], n_features=2**40)
    frames = [
        pd.DataFrame({"b": [True, False]}),
        pd.DataFrame({"b": pd.array([1, 0], dtype="Int64")}),
        pd.DataFrame({"b": np.array([True, False, None], dtype=object)}),
        pd.DataFrame({"b": np.array([np.True_, np.False_, "text"], dtype=object)}),
    ]
    for X in frames:
        columns = hasher.transform(X).indices[:2]
        cells = hasher.explain(X, columns)
        assert [cells[j] for j in columns] == [["b=1"], ["b=0"]]


def test_explain_names_a_big_number_by_its_exact_digits():
    # (Decimal("1E+5000") and 10**5000, which the hasher takes, raised "Exceeds the limit (4300
    # digits) for integer string conversion" from str())
    from decimal import Decimal

    values = ["1E+5000", "5.00", "1E+3", "0.10", "-0.00", "-1.5E-3", "1" * 35 + ".50"]
    expected = ["1" + "0" * 5000, "5", "1000", "0.1", "0", "-0.0015", "1" * 35 + ".5"]
    hasher = FeatureCrossHasher([("x",)], n_features=2**40)
    for X, names in (
        (pd.DataFrame({"x": [Decimal(v) for v in values]}), expected),
        (pd.DataFrame({"x": [1e300, -1e300, 2.0**1000]}), [int(1e300), int(-1e300), 2**1000]),
        (pd.DataFrame({"x": [10**5000, -(10**5000), 7]}), ["1" + "0" * 5000, "-1" + "0" * 5000, 7]),
    ):
        columns = hasher.transform(X).indices
        cells = hasher.explain(X, columns)
        assert [cells[j] for j in columns] == [[f"x={name}"] for name in names]


def test_explain_in_degrees_of_a_huge_edge_prints_the_interval():
    # (int() of its infinite seconds raised "cannot convert float NaN to integer")
    X = np.array([[2e306], [1.0]])
    hasher = FeatureCrossHasher(buckets={0: {"edges": [0.0, 1e306], "format": "deg"}})
    cells = hasher.explain(X, hasher.transform(X).indices)
    assert sorted(c for found in cells.values() for c in found) == ["x0=0°00'", "x0=[1e+306, inf)"]


def test_the_user_guide_explain_recipe_runs_on_its_2_28_column_model(capsys):
    """docs/user_guide/crosses.rst's two blocks, run as written: at 2**28 columns the model
    has the sparse store, whose ``coef_`` is a CSR matrix (argsort of it named no column)."""
    guide = (Path(__file__).resolve().parents[1] / "docs/user_guide/crosses.rst").read_text()
    blocks = [
        "\n".join(line[3:] for line in block.splitlines())
        for block in re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", guide)
    ]
    assert len(blocks) == 2
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "latitude": rng.uniform(32, 42, 400),
            "longitude": rng.uniform(-124, -114, 400),
            "ocean_proximity": rng.choice(["INLAND", "NEAR BAY", "<1H OCEAN"], 400),
            "median_income": rng.uniform(0, 10, 400),
        }
    )
    price = 1 + frame["median_income"] / 3 + (frame["ocean_proximity"] == "NEAR BAY")
    namespace = {
        "frame": frame,
        "price": price,
        "make_pipeline": make_pipeline,
        "SparseFTRLRegressor": SparseFTRLRegressor,
    }
    for block in blocks:
        exec(compile(block, "crosses.rst", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 5
    for line in printed:
        weight, cells = line.split(" ", 1)
        assert float(weight) != 0 and cells.startswith("[") and cells != "[]"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.decimals(-(10**6), 10**6, allow_nan=False, allow_infinity=False, places=3)
        | st.builds(
            lambda c, e: Decimal(c).scaleb(e),
            st.integers(-(2**64), 2**64) | st.sampled_from([2**53 - 1, 2**53 + 1, 1, -3]),
            st.integers(-70, 30),
        ),
        min_size=1,
    )
)
def test_decimals_hashed_together_hash_as_each_alone(decimals):
    # (hash_uniques computes finite Decimals of int64 fractions together in NumPy: integers,
    # float64 fractions of a power of 2 and other fractions as each one's canonical form)
    expected = [_hashing.hash_value(d) for d in decimals]
    assert _hashing.hash_values(decimals).tolist() == expected


def test_explain_marks_the_cells_that_enter_their_column_as_minus_one():
    # with alternate_sign a cell enters its column as +1 or -1: top_weights and `sparsereg
    # report` showed "device=phone" by a weight of +1.04 whose effect on scores was -1.04
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "city": rng.choice(["Oslo", "Rome", "Lima", "Pune", "Kyiv"], 200),
            "device": rng.choice(["phone", "desk", "tablet"], 200),
        }
    )
    hasher = FeatureCrossHasher(["city", "device"], n_features=2**20, alternate_sign=True)
    Xt = hasher.fit_transform(frame)
    columns = np.unique(Xt.indices)
    Xt = Xt.tocsc()
    named = hasher.explain(frame, columns)
    signs = set()
    for j in columns:
        (cell,) = named[int(j)]  # (one cell a column: 8 cells in 2**20 columns)
        entries = Xt[:, [j]].data
        assert np.all(entries == (-1.0 if cell.startswith("-") else 1.0)), cell
        signs.add(cell.startswith("-"))
    assert signs == {True, False}
    unsigned = FeatureCrossHasher(["city", "device"], n_features=2**20).fit(frame)
    assert not any(c.startswith("-") for v in unsigned.explain(frame, columns).values() for c in v)


@pytest.mark.parametrize(
    "crosses, buckets, unused",
    [
        (["site"], {"price": {"width": 5}}, "'price'"),
        ([0], {1: {"width": 5}, "age": {"width": 10}}, "'price', 'age'"),
        ([("site", "price")], {"price": {"width": 5}}, None),
        (None, {"price": {"width": 5}}, None),
    ],
)
def test_buckets_of_a_column_no_cross_uses_are_named_at_fit(crosses, buckets, unused):
    # a bucketed column left out of crosses was silently never hashed
    X = pd.DataFrame({"site": ["a", "b"], "price": [1.0, 12.0], "age": [30, 40]})
    hasher = FeatureCrossHasher(crosses=crosses, buckets=buckets, n_features=2**10)
    if unused is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            hasher.fit(X)
        return
    with pytest.warns(UserWarning, match=f"buckets name {unused}, which no cross") as caught:
        hasher.fit(X)
    assert caught[0].filename == __file__
    # what it says: the column changes nothing hashed
    other = X.assign(**{name.strip("'"): [7.0, 7.0] for name in unused.split(", ")})
    assert (hasher.transform(X) != hasher.transform(other)).nnz == 0


def test_the_unused_buckets_warning_of_an_array_names_positions_and_an_error_changes_nothing():
    X = np.array([[1.0, 12.0], [2.0, 30.0]])
    hasher = FeatureCrossHasher(crosses=[0], buckets={1: {"width": 5}}, n_features=2**10)
    with pytest.warns(UserWarning, match=r"buckets name 1, .* \(crosses=\[\.\.\., 1\]\)"):
        hasher.fit(X)
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [5.0, 6.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="buckets name 'b'"):
            hasher.fit(frame)  # (a refused fit: the hasher fitted on X as it was)
    assert hasher.n_features_in_ == 2 and not hasattr(hasher, "feature_names_in_")
