"""A dense array's non-zeros as CSR arrays (``sparsereg/_dense_nonzeros.h``) against scipy's
own conversion.

Every dense float array that training or a per-call path reads as CSR goes through
``dense_nonzeros``: the compiled pass makes each 64 entries of a row the bits of a word and
walks the set bits, a route of its own, so its arrays are compared here with those of
``scipy.sparse.csr_matrix`` (which goes through COO) on arrays built to hit its edges (NaN is
not 0, -0.0 is; widths around multiples of 64), through the compiled module (the variant of
``target_clones`` this CPU selects), and in ``tests/dense_nonzeros_lanes.c`` built for each
instruction set.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sparsereg import SparseFTRLClassifier
from sparsereg._ftrl_scores import dense_nonzeros

from .lanes import compiler, outputs_per_instruction_set

SPECIAL = [0.0, -0.0, 1.0, -2.5, 5e-324, -1e-310, 1.401298464324817e-45, 3.4e38, 1e300]
SPECIAL += [np.inf, -np.inf, np.nan]
with np.errstate(over="ignore"):  # (1e300 is infinite as float32)
    SPECIALS = {dtype: list(np.array(SPECIAL, dtype=dtype)) for dtype in (np.float64, np.float32)}


def assert_scipys_arrays(X, index_bytes):
    data, indices, indptr = dense_nonzeros(X, index_bytes)
    expected = sp.csr_matrix(X)  # (scipy's conversion: through COO, NaN kept, -0.0 dropped)
    assert data.dtype == X.dtype
    # (INDICES_INT32_WHERE_THEY_FIT, 0: int32 for any array that fits in memory here)
    assert indices.dtype == (np.int64 if index_bytes == 8 else np.int32)
    assert indptr.dtype == np.int64
    np.testing.assert_array_equal(indptr, expected.indptr)
    np.testing.assert_array_equal(indices, expected.indices)
    # the values' bits (NaN's included), not only their equality
    np.testing.assert_array_equal(data.view(f"u{X.itemsize}"), expected.data.view(f"u{X.itemsize}"))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.float64, np.float32]).flatmap(
        lambda dtype: arrays(
            dtype,
            st.tuples(st.integers(0, 4), st.sampled_from([0, 1, 7, 63, 64, 65, 127, 128, 130])),
            elements=st.sampled_from(SPECIALS[dtype]) | st.floats(width=32).map(dtype),
            fill=st.sampled_from([dtype(0.0), dtype(-0.0), dtype(1.5)]),
        )
    ),
    st.sampled_from([0, 4, 8]),
)
def test_the_arrays_are_scipys(X, index_bytes):
    assert_scipys_arrays(X, index_bytes)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("density", [0.0, 0.1, 0.9, 1.0])
def test_larger_arrays_at_every_density_are_scipys(dtype, density):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 257)).astype(dtype)
    X[rng.random(X.shape) >= density] = 0.0
    X[5, 3] = -0.0
    for index_bytes in (0, 4, 8):
        assert_scipys_arrays(X, index_bytes)


def test_a_dense_batch_trains_and_scores_as_scipys_csr_of_it():
    """Through the estimator: a dense batch (its non-zeros made by ``dense_nonzeros``) trains
    the model, and scores, that scipy's CSR of the same rows does, to the bit."""
    rng = np.random.default_rng(4)
    D = rng.normal(size=(60, 150))
    D[rng.random(D.shape) < 0.8] = 0.0
    y = (D[:, 0] + D[:, 70] > 0).astype(int)
    dense, csr = SparseFTRLClassifier(random_state=0), SparseFTRLClassifier(random_state=0)
    for start in range(0, 60, 12):
        rows = slice(start, start + 12)
        dense.partial_fit(D[rows], y[rows], classes=[0, 1])
        csr.partial_fit(sp.csr_matrix(D[rows]), y[rows], classes=[0, 1])
    np.testing.assert_array_equal(dense.coef_, csr.coef_)
    np.testing.assert_array_equal(dense.intercept_, csr.intercept_)
    np.testing.assert_array_equal(
        dense.decision_function(D), csr.decision_function(sp.csr_matrix(D))
    )
    full = SparseFTRLClassifier(random_state=0).fit(D, y)  # (the full path's conversion)
    np.testing.assert_array_equal(
        full.coef_, SparseFTRLClassifier(random_state=0).fit(sp.csr_matrix(D), y).coef_
    )


@pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")
def test_every_instruction_set_gives_the_plain_arrays(tmp_path):
    sums = outputs_per_instruction_set("dense_nonzeros_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums


def test_an_array_another_thread_writes_to_is_refused_and_the_model_left_as_it_was():
    # The count and the copy of the non-zeros are two passes without the GIL, so another
    # thread runs meanwhile: one that writes to the array between them changes the count
    # under the copy (which then wrote past the arrays, a crash). The copy checks each row
    # against its count: the call raises ValueError, and the model is as before it. (The
    # array is wider than the narrow dense path, which reads the array itself.)
    import threading
    import time

    from sparsereg import SparseFTRLRegressor

    from .state_helpers import assert_same_state

    X = np.zeros((500, 8192))
    X[:, :10] = 1.0
    y = np.ones(500)
    first = X[:50].copy()
    stop, refusals = threading.Event(), []

    def write():
        while not stop.is_set():
            X[:, 5000:5400] = 1.0
            X[:, 5000:5400] = 0.0

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.monotonic() + 20
    try:
        while len(refusals) < 3 and time.monotonic() < deadline:
            model = SparseFTRLRegressor(random_state=0).fit(first, y[:50])
            try:
                model.partial_fit(X, y)  # (or trains on a mixture the writer made)
            except ValueError as exc:
                refusals.append(str(exc))
                assert_same_state(model, SparseFTRLRegressor(random_state=0).fit(first, y[:50]))
    finally:
        stop.set()
        writer.join()
    assert refusals, "no call overlapped the writer within 20 s"
    assert all("X changed while its non-zeros were read" in r for r in refusals), refusals
