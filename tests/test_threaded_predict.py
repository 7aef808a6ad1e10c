"""Bulk prediction in several threads (issue #16) gives the single-thread result to the bit.

A call of at least 5,000 rows is checked and scored over contiguous row blocks in several
threads (the classifier's ``n_jobs`` threads, else one per CPU). Each row is scored by the
same compiled loop whatever its block, so the scores are those of one thread; the tests
compare them with ``n_jobs=1`` and with calls of fewer rows (which one thread scores), and
check that a bad row in the last block is refused with the message of a single-thread call.
"""

import faulthandler
import itertools
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.export import export_model

from .interruptions import (
    Injected,
    raising_after_c_call,
    raising_after_call_or_jump,
    raising_at,
    settled_thread_idents,
    threads_settle_at,
)

N_ROWS = 100_003  # not divisible by 2, 3 or 4 threads
N_FEATURES = 200
SMALL = 4_000  # a call this size is scored by one thread (below 5,000 rows)
DENSE_ROWS = 10_001  # not divisible by 2, 3 or 4 threads either


def _data():
    rng = np.random.RandomState(3)
    # the positions from a Generator: scipy draws a RandomState's through a permutation of all
    # N_ROWS * N_FEATURES cells (~3 s, at the collection of this module in every xdist worker)
    X = sp.random(
        N_ROWS,
        N_FEATURES,
        density=0.05,
        format="csr",
        random_state=np.random.default_rng(3),
        dtype=np.float64,
    )
    # empty rows: every 97th, and those around the block boundaries of 2, 3 and 4 threads
    empty = set(range(0, N_ROWS, 97))
    for n in (2, 3, 4):
        for b in range(1, n):
            edge = N_ROWS * b // n
            empty.update({edge - 1, edge, edge + 1})
    keep = np.ones(N_ROWS)
    keep[sorted(empty)] = 0.0
    # (emptied as CSR: through LIL it took ~0.5 s, at every worker's collection)
    X = sp.csr_matrix(sp.diags(keep) @ X)
    X.eliminate_zeros()
    X.sort_indices()
    coef = rng.normal(size=N_FEATURES)
    y_reg = X @ coef + rng.normal(size=N_ROWS)
    y_bin = (y_reg > 0).astype(np.float64)
    y_multi = np.digitize(y_reg, np.quantile(y_reg, [0.33, 0.66]))
    return X, {"reg": y_reg, "binary": y_bin, "multi": y_multi}


X, TARGETS = _data()
TRAIN = 5_000


def _fitted(kind, store, n_jobs=None):
    if kind == "reg":
        est = SparseFTRLRegressor(state_store=store, random_state=0, max_iter=2)
    else:
        est = SparseFTRLClassifier(state_store=store, random_state=0, max_iter=2, n_jobs=n_jobs)
    return est.fit(X[:TRAIN], TARGETS[kind][:TRAIN])


def _methods(model, kind):
    if kind == "reg":
        return ["predict"]
    return ["predict", "predict_proba", "decision_function"]


def _in_small_calls(fn, A):
    return np.concatenate([fn(A[i : i + SMALL]) for i in range(0, A.shape[0], SMALL)])


KINDS = ["reg", "binary", "multi"]


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("kind", KINDS)
def test_threaded_scores_equal_small_single_thread_calls(kind, store):
    """Estimator and export: one call of 100,003 rows equals, to the bit, the same rows
    scored in calls of 20,000 rows (each by one thread), float64 and float32 X."""
    est = _fitted(kind, store)
    exported = export_model(est)
    for A in (X, X.astype(np.float32)):
        for model in (est, exported):
            for method in _methods(model, kind):
                fn = getattr(model, method)
                whole = fn(A)
                assert whole.shape[0] == N_ROWS
                np.testing.assert_array_equal(whole, _in_small_calls(fn, A))
        if kind != "reg":
            np.testing.assert_array_equal(est.predict_proba(A), exported.predict_proba(A))


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("kind", ["binary", "multi"])
def test_classifier_n_jobs_does_not_change_predictions(kind, store):
    """n_jobs=1 (one thread) and n_jobs=2, 3, 4, -1 give the same predictions to the bit, on
    CSR with empty rows at the block edges and on the same rows given as a dense array."""
    reference = _fitted(kind, store, n_jobs=1)
    expected = {m: getattr(reference, m)(X) for m in _methods(reference, kind)}
    # (10,001 of them: above THREAD_ROWS, 4 to 8 blocks, not divisible by 2, 3 or 4; a dense
    # call costs ~20 times a CSR one of the same rows, 60,001 took 3/4 of the test)
    dense = X[:DENSE_ROWS].toarray()
    expected_dense = {m: getattr(reference, m)(dense) for m in expected}
    for n_jobs in (2, 3, 4, -1):
        est = _fitted(kind, store, n_jobs=n_jobs)
        for method, values in expected.items():
            np.testing.assert_array_equal(getattr(est, method)(X), values)
            np.testing.assert_array_equal(getattr(est, method)(dense), expected_dense[method])
            np.testing.assert_array_equal(expected_dense[method], values[:DENSE_ROWS])


def _with_last_value(value):
    bad = X.copy()
    bad.data[-1] = value
    return bad


def _with_last_index(index):
    bad = X.copy()
    bad.indices[-1] = index
    return bad


BAD = [
    pytest.param(lambda: _with_last_value(np.nan), id="nan"),
    pytest.param(lambda: _with_last_value(np.inf), id="inf"),
    pytest.param(lambda: _with_last_index(N_FEATURES), id="index-too-large"),
    pytest.param(lambda: _with_last_index(-1), id="negative-index"),
]


@pytest.mark.parametrize("make_bad", BAD)
@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_row_in_the_last_block_raises_the_single_thread_error(kind, make_bad):
    """A bad value or column in the very last row is refused with the message a call of the
    last rows only (one thread) gives, by every method of the estimator and the export."""
    bad = make_bad()
    start = bad.indptr[-101]  # the last 100 rows as they are (slicing would drop a bad column)
    last = sp.csr_matrix(
        (bad.data[start:], bad.indices[start:], bad.indptr[-101:] - start), shape=(100, N_FEATURES)
    )
    est = _fitted(kind, "dense")
    exported = export_model(est)
    for model in (est, exported):
        for method in _methods(model, kind):
            fn = getattr(model, method)
            with pytest.raises(ValueError) as small:
                fn(last)
            with pytest.raises(ValueError) as whole:
                fn(bad)
            assert str(whole.value) == str(small.value)


def test_unsorted_indices_in_the_last_block_are_scored_as_sorted():
    """A row the fast pass cannot take (here unsorted indices in the last row) sends the whole
    call through the full checks, with the scores of the sorted rows."""
    est = _fitted("binary", "sparse")
    expected = est.predict_proba(X)
    unsorted = X.copy()
    start, end = unsorted.indptr[-2], unsorted.indptr[-1]
    assert end - start >= 2
    unsorted.indices[start:end] = unsorted.indices[start:end][::-1].copy()
    unsorted.data[start:end] = unsorted.data[start:end][::-1].copy()
    unsorted.has_sorted_indices = False
    np.testing.assert_array_equal(est.predict_proba(unsorted), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_four_python_threads_predicting_at_once(kind):
    """Four Python threads calling the estimator and the export at once on bulk blocks of
    different rows each get their own rows' predictions."""
    est = _fitted(kind, "sparse")
    exported = export_model(est)
    method = "predict" if kind == "reg" else "predict_proba"
    blocks = [X[i * 10_000 : i * 10_000 + 60_000] for i in range(4)]
    expected = [_in_small_calls(getattr(est, method), b) for b in blocks]

    def run(i):
        model = est if i % 2 == 0 else exported
        return [getattr(model, method)(blocks[i]) for _ in range(3)]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    for i, got in enumerate(results):
        for values in got:
            np.testing.assert_array_equal(values, expected[i])


@pytest.mark.parametrize(
    "install, raising",
    [
        (sys.settrace, raising_at),
        (sys.setprofile, raising_after_c_call),
        (sys.settrace, raising_after_call_or_jump),
    ],
    ids=["function entries and exits", "after C calls", "after calls and at jumps back"],
)
def test_bulk_calls_interrupted_at_each_call_neither_hang_nor_spoil_the_next(install, raising):
    """The exception of a signal handler (Ctrl-C, say) at each function entry and exit of
    the package and the standard library in a bulk call in turn, and right after each C
    function they call, estimator and export: the call raises it, no thread is started or
    left blocked, and the next calls give the same predictions. With concurrent.futures'
    pool, such an exception inside its semaphore left the semaphore's lock held, and the
    next bulk call hung for good."""
    est = _fitted("binary", "sparse", n_jobs=4)
    exported = export_model(est)
    rows = X[:20_000]
    expected = est.predict_proba(rows)
    exported.predict_proba(rows)  # (each starts the scoring threads it needs)
    before = settled_thread_idents()  # (and they are running)
    faulthandler.dump_traceback_later(300, exit=True)  # a hang fails the run, loudly
    try:
        for call in (est.predict_proba, exported.predict_proba):
            for k in itertools.count(1):
                tracer = raising(k)
                install(tracer)
                try:
                    completed = call(rows) is not None
                except Injected:
                    completed = False
                finally:
                    install(None)
                assert threads_settle_at(before), f"threads changed after an exception at {k}"
                np.testing.assert_array_equal(call(rows), expected)
                if completed and not tracer.reached:  # k is past the call's last place
                    break
            assert k > 10  # (the sweep did sweep)
    finally:
        faulthandler.cancel_dump_traceback_later()
