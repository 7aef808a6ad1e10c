"""The compiled CSR checks (``sparsereg/_csr_checks.h``) against a literal NumPy computation.

``check_csr`` (before training) and the per-call fast paths take every bound they rely on
from three summaries: ``largest_magnitude`` (the values' largest ``|x|``, NaN if one is NaN),
``csr_index_summary`` (``indptr`` good, rows strictly sorted, smallest and largest index,
longest row) and ``csr_summary`` (all of it at once). The vector loops get there by other
routes (the maximum of the bits with the sign cleared; descents over the flat ``indices``
less those at a row's first index, in blocks of rows), so each summary is compared here with
the plain definition on arrays built to hit their edges: here through the compiled module (the
variant of ``target_clones`` this CPU selects), and in ``tests/csr_checks_lanes.c`` built for
each instruction set.
"""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg._ftrl_scores import csr_index_summary, csr_summary, largest_magnitude

from .lanes import compiler, outputs_per_instruction_set

SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -2.5,
    5e-324,
    -5e-324,
    1e-310,
    1.7976931348623157e308,
    -1e300,
    3.4028234663852886e38,
    1.401298464324817e-45,
    1e-40,
    np.inf,
    -np.inf,
    np.nan,
]
BLOCK = 4096  # SR_CSR_BLOCK: arrays longer than this cross blocks


def reference_magnitude(data):
    if data.size == 0:
        return 0.0
    if np.isnan(data).any():
        return np.nan
    return float(np.abs(data).max())


def reference_index_summary(indptr, indices):
    nnz = indices.shape[0]
    steps = np.diff(indptr.astype(np.int64))
    if indptr.shape[0] == 0 or indptr[0] != 0 or (steps < 0).any() or indptr[-1] != nnz:
        return (False,)
    rows = [indices[a:b].astype(np.int64) for a, b in zip(indptr[:-1], indptr[1:])]
    strictly_sorted = all((np.diff(row) > 0).all() for row in rows)
    lo, hi = (int(indices.min()), int(indices.max())) if nnz else (0, -1)
    return True, strictly_sorted, lo, hi, int(steps.max(initial=0))


def reference_csr_summary(data, indices, indptr, n_cols):
    index = reference_index_summary(indptr, indices)
    if data.shape[0] != indices.shape[0] or not index[0] or not index[1]:
        return False, 0, 0.0
    if indices.shape[0] and (index[2] < 0 or index[3] >= n_cols):
        return False, 0, 0.0
    largest = reference_magnitude(data)
    if not np.isfinite(largest):
        return False, 0, 0.0
    return True, index[4], largest


def assert_summaries(data, indices, indptr, n_cols):
    got = csr_index_summary(indptr, indices)
    expected = reference_index_summary(indptr, indices)
    assert got[0] == expected[0]
    if expected[0]:
        assert got == expected
    np.testing.assert_equal(largest_magnitude(data), reference_magnitude(data))
    got = csr_summary(data, indices, indptr, n_cols)
    expected = reference_csr_summary(data, indices, indptr, n_cols)
    assert got[0] == expected[0]
    np.testing.assert_equal(got, expected)


@st.composite
def csr_arrays(draw):
    """Rows that are empty, sorted, unsorted or repeat a column; a descent where a row starts
    or not; indices negative and past the width; indptr sometimes broken."""
    index_dtype = draw(st.sampled_from([np.int32, np.int64]))
    value_dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_cols = draw(st.integers(1, 40))
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["empty", "sorted", "any"]))
        if kind == "empty":
            rows.append([])
        elif kind == "sorted":
            rows.append(sorted(draw(st.sets(st.integers(0, n_cols - 1), max_size=8))))
        else:
            rows.append(draw(st.lists(st.integers(-3, n_cols + 3), max_size=8)))
    indices = np.array([i for row in rows for i in row], dtype=index_dtype)
    indptr = np.cumsum([0] + [len(row) for row in rows]).astype(index_dtype)
    nnz = indices.shape[0]
    values = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, width=64))
    with np.errstate(over="ignore"):
        data = np.array(draw(st.lists(values, min_size=nnz, max_size=nnz)), dtype=value_dtype)
    broken = draw(st.sampled_from(["no", "no", "no", "entry", "shorter data"]))
    if broken == "entry":
        k = draw(st.integers(0, indptr.shape[0] - 1))
        indptr[k] = draw(st.sampled_from([-1, nnz + 1, indptr[k] - 1, indptr[k] + 1, 0]))
    elif broken == "shorter data" and nnz:
        data = data[:-1]
    return data, indices, indptr, n_cols


@settings(max_examples=400, deadline=None)
@given(csr_arrays())
def test_summaries_match_numpy(arrays):
    assert_summaries(*arrays)


@functools.cache
def rows_across_blocks(case):
    """``(lengths, indptr, indices, data)`` of case ``case``, int64/float64: the same for each
    dtype (made once: drawing 800 rows' columns without replacement is most of the work)."""
    rng = np.random.RandomState(len(case))
    n_cols = 4 * BLOCK
    lengths = rng.randint(0, 40, size=800)
    lengths[rng.uniform(size=800) < 0.2] = 0
    if case == "long row":
        lengths[300] = 3 * BLOCK + 5
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n_cols, size=n, replace=False)) for n in lengths])
    data = rng.normal(size=indices.shape[0])
    for a in (lengths, indptr, indices, data):
        a.flags.writeable = False
    return lengths, indptr, indices, data


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("value_dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "case", ["sorted", "repeat inside", "descent after a block edge", "long row"]
)
def test_summaries_across_blocks(index_dtype, value_dtype, case):
    """Several blocks of rows (a block ends at the first row start past BLOCK indices):
    descents at row starts, just after a block's first index, a row longer than a block,
    empty rows, and special values and bad indices far from index 0."""
    n_cols = 4 * BLOCK
    lengths, indptr, indices, data = rows_across_blocks(case)
    # copies (astype), changed below
    indptr, indices = indptr.astype(index_dtype), indices.astype(index_dtype)
    data = data.astype(value_dtype)
    if case == "repeat inside":
        r = np.flatnonzero(lengths > 2)[-1]
        indices[indptr[r] + 1] = indices[indptr[r]]
    if case == "descent after a block edge":
        r = np.searchsorted(indptr, BLOCK)  # the second block's first row
        while lengths[r] < 2:
            r += 1
        indices[indptr[r] + 1] = indices[indptr[r]] - 1
    assert_summaries(data, indices, indptr, n_cols)
    for k, v in [(-1, -np.inf), (BLOCK + 7, np.nan), (-3, -7e3), (5000, -0.0)]:
        data[k] = v
        assert_summaries(data, indices, indptr, n_cols)
    indices[-2] = n_cols
    assert_summaries(data, indices, indptr, n_cols)
    indices[BLOCK + 3] = -5
    assert_summaries(data, indices, indptr, n_cols)


def test_an_indptr_past_the_indices_is_not_read_through():
    """A broken indptr is found before indices are read through it (an entry far past
    len(indices) would fault if it were)."""
    indices = np.arange(6, dtype=np.int64)
    for bad in (10**15, -(10**15)):
        indptr = np.array([0, 2, bad, 6], dtype=np.int64)
        assert csr_index_summary(indptr, indices)[0] is False
        assert csr_summary(np.ones(6), indices, indptr, 6) == (False, 0, 0.0)


@pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")
def test_every_instruction_set_gives_the_plain_summaries(tmp_path):
    sums = outputs_per_instruction_set("csr_checks_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums
