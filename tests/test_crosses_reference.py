"""FeatureCrossHasher against a slow, literal reading of its documented hashing.

The reference hashes one cell at a time with the scalar functions of
`sparsereg._hashing` (the Notes of `FeatureCrossHasher`: ``h = fmix64(h * G XOR
t)`` per column, column ``h mod n_features``, sign from the top bit) and builds
each row as a dict column -> summed sign, so it shares no code with the
vectorised path it checks.
"""

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sparsereg import _hashing
from sparsereg.crosses import FeatureCrossHasher

N_COLS = 3
# few distinct values, so that cells repeat and small widths collide; 0.5 is a float token
VALUES = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, np.nan])
WIDTHS = [1, 2, 3, 7, 8, 1000, 2**31 - 1, 2**31, 2**40 + 5, 2**60]


def cross_hash(values, k, seed):
    """Documented 64-bit hash of the cell ``values`` of cross number ``k``."""
    h = _hashing.cross_start(seed, k)
    for v in values:
        t = _hashing.MISSING_TOKEN if math.isnan(v) else _hashing.hash_value(v)
        h = _hashing.fmix64_scalar(((h * _hashing.GOLDEN) & _hashing.MASK64) ^ t)
    return h


def literal_rows(X, crosses, n_features, alternate_sign, missing, seed):
    """Per row: the (column, summed sign) pairs the cells hash to, zeros dropped, sorted."""
    rows, occupied = [], set()
    for row in X:
        entries = {}
        for k, cross in enumerate(crosses):
            values = [row[j] for j in cross]
            if missing == "skip" and any(math.isnan(v) for v in values):
                continue
            h = cross_hash(values, k, seed)
            column = h % n_features
            occupied.add(column)
            entries[column] = entries.get(column, 0) + (-1 if alternate_sign and h >> 63 else 1)
        rows.append(sorted((c, v) for c, v in entries.items() if v != 0))
    return rows, occupied


crosses_of_columns = st.lists(
    st.permutations(range(N_COLS)).flatmap(
        lambda perm: st.integers(1, N_COLS).map(lambda size: tuple(perm[:size]))
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 25), st.just(N_COLS)), elements=VALUES),
    crosses=crosses_of_columns,
    n_features=st.sampled_from(WIDTHS),
    alternate_sign=st.booleans(),
    missing=st.sampled_from(["bucket", "skip"]),
    seed=st.integers(0, 2**64 - 1),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_transform_matches_literal_construction(
    X, crosses, n_features, alternate_sign, missing, seed, dtype
):
    hasher = FeatureCrossHasher(
        crosses,
        n_features=n_features,
        alternate_sign=alternate_sign,
        missing=missing,
        seed=seed,
        dtype=dtype,
    )
    Xt = hasher.transform(X)
    rows, _ = literal_rows(X, crosses, n_features, alternate_sign, missing, seed)

    assert Xt.format == "csr" and Xt.shape == (X.shape[0], n_features) and Xt.dtype == dtype
    index_dtype = np.int32 if n_features <= 2**31 - 1 else np.int64
    assert Xt.indices.dtype == index_dtype and Xt.indptr.dtype == index_dtype
    np.testing.assert_array_equal(Xt.indptr, np.cumsum([0] + [len(r) for r in rows]))
    np.testing.assert_array_equal(Xt.indices, [c for r in rows for c, _ in r])
    np.testing.assert_array_equal(Xt.data, [v for r in rows for _, v in r])
    assert Xt.has_canonical_format
    fresh = sp.csr_matrix((Xt.data, Xt.indices, Xt.indptr), shape=Xt.shape)
    assert fresh.has_canonical_format  # scipy's own check, not the flag we set


@settings(max_examples=60, deadline=None)
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 25), st.just(N_COLS)), elements=VALUES),
    crosses=crosses_of_columns,
    n_features=st.sampled_from(WIDTHS),
    alternate_sign=st.booleans(),
    missing=st.sampled_from(["bucket", "skip"]),
)
def test_explain_and_collision_stats_name_the_columns_of_transform(
    X, crosses, n_features, alternate_sign, missing
):
    hasher = FeatureCrossHasher(
        crosses, n_features=n_features, alternate_sign=alternate_sign, missing=missing
    )
    _, occupied = literal_rows(X, crosses, n_features, alternate_sign, missing, seed=0)
    produced = set(hasher.transform(X).indices.tolist())
    # with alternate_sign a column whose entries all cancel is occupied but not produced
    assert produced <= occupied and (alternate_sign or produced == occupied)

    asked = sorted(occupied | {0, n_features - 1, n_features // 2})
    explained = {j for j, cells in hasher.explain(X, asked).items() if cells}
    assert explained == occupied
    assert hasher.collision_stats(X)["n_columns"] == len(occupied)
