"""Never crash, never silently wrong: one table of hostile inputs, and what must hold for each.

Each case is (name, estimator factory, call) where ``call(est)`` does the hostile thing to a
model that was already trained with ``partial_fit`` on good data; it must raise the named
error with a message naming the problem, and the model must be exactly as before the call.
Add a row to ``BAD_INPUTS`` to extend the battery.
"""

import _thread
import gc
import os
import pickle
import signal
import threading
import time

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import is_classifier
from sklearn.utils._param_validation import InvalidParameterError

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, export_model
from sparsereg.model_selection import SparseFTRLClassifierCV, SparseFTRLRegressorCV

from .interruptions import (
    ANY_CODE_SWEEPS,
    SIGNAL_SWEEPS,
    alarm_each_place_of_any_code,
    ctrl_c_came_during,
    signal_each_place,
)
from .memory_helpers import ForkedPythons, peak_bytes, run_python
from .state_helpers import assert_same_state, dense_state, held_columns, intercept_state
from .streams import click_stream

RNG = np.random.RandomState(0)
X = sp.random(40, 6, density=0.5, format="csr", random_state=RNG)
Y_CLASS = np.arange(40) % 3
Y_REG = RNG.normal(size=40)


def _reg(**kw):
    return SparseFTRLRegressor(random_state=0, **kw)


def _clf(**kw):
    return SparseFTRLClassifier(random_state=0, **kw)


def _trained(factory):
    est = factory()
    if isinstance(est, SparseFTRLClassifier):
        return est.partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    return est.partial_fit(X, Y_REG)


def _hand_built(base=X, **changes):
    """A CSR (``X`` by default) whose arrays are changed after scipy's constructor checked them."""
    A = base.copy()
    A.indices, A.indptr = base.indices.copy(), base.indptr.copy()  # (copy() narrows int64)
    for name, edit in changes.items():
        edit(getattr(A, name))
    return A


def _replaced(**arrays):
    """``X`` with some of its arrays replaced after scipy's constructor checked them."""
    A = X.copy()
    for name, value in arrays.items():
        setattr(A, name, value)
    return A


def _set(i, v):
    def edit(a):
        a[i] = v

    return edit


def _int64(A):
    """``A`` with int64 index arrays (scipy keeps int32 when they fit)."""
    A = A.copy()
    A.indices, A.indptr = A.indices.astype(np.int64), A.indptr.astype(np.int64)
    return A


def _pf(X_, y_=None, **kw):
    """partial_fit with a matching y for the estimator kind."""

    def call(est):
        y = y_
        if y is None:
            y = (Y_CLASS if isinstance(est, SparseFTRLClassifier) else Y_REG)[: X_.shape[0]]
        return est.partial_fit(X_, y, **kw)

    return call


NAN_X = X.toarray()
NAN_X[3, 2] = np.nan


def _with_huge_int(values):
    """``values`` as an object array whose first entry is 10**400, beyond float64 (NumPy's
    conversion raised an OverflowError that named no argument)."""
    values = np.array(values, dtype=object)
    values.flat[0] = 10**400
    return values


def _masked(values):
    """``values`` as a masked array whose first entry hides 1e6 (scikit-learn's checks drop
    the mask: the hidden value was trained on or scored)."""
    masked = np.ma.masked_array(np.array(values, dtype=np.float64), mask=False)
    masked.data.flat[0], masked.mask.flat[0] = 1e6, True
    return masked


def _masked_y(est):
    return _masked(Y_CLASS if isinstance(est, SparseFTRLClassifier) else Y_REG)


class _OtherSparse:
    """An array of another sparse library (pydata sparse's GCXS, which has no tocsr):
    scikit-learn's check_array raised its own RuntimeError ("Cannot convert a sparse array to
    dense automatically")."""

    def __init__(self, csr):
        self.csr, self.shape, self.ndim, self.dtype = csr, csr.shape, 2, csr.dtype

    def todense(self):
        return self.csr.toarray()

    def __array__(self, *args, **kwargs):
        raise RuntimeError("Cannot convert a sparse array to dense automatically.")


INF_CSR = _hand_built(data=_set(0, np.inf))
# X's row 1 holds columns [1, 4, 5] at positions 2-4: a bad index in its middle leaves its
# first and last index good and the row unsorted
MIDDLE = 3
BAD_INPUTS = [
    # (name, estimators, call, error, message pattern)
    ("NaN in dense X", "both", _pf(NAN_X), ValueError, "NaN"),
    ("inf in CSR X", "both", _pf(INF_CSR), ValueError, "infinity"),
    ("NaN in CSR X", "both", _pf(_hand_built(data=_set(5, np.nan))), ValueError, "NaN"),
    (
        "-inf in a float32 CSR X",
        "both",
        _pf(_hand_built(data=_set(-1, -np.inf)).astype(np.float32)),
        ValueError,
        "infinity",
    ),
    (
        "NaN in CSR X in predict",
        "both",
        lambda est: est.predict(_hand_built(data=_set(5, np.nan))),
        ValueError,
        "NaN",
    ),
    ("NaN in y", "reg", _pf(X, np.where(Y_REG > 0, np.nan, Y_REG)), ValueError, "y contains NaN"),
    ("inf in y", "reg", _pf(X, np.where(Y_REG > 0, np.inf, Y_REG)), ValueError, "y contains inf"),
    # (scikit-learn converts an object y only: a str y reached np.isfinite's TypeError, which
    # named no argument, and datetimes trained as counts of days or nanoseconds)
    ("str y of numbers", "reg", _pf(X, Y_REG.astype(str)), ValueError, "y of dtype <U.* numeric"),
    (
        "datetime y",
        "reg",
        _pf(X, np.arange(40).astype("datetime64[D]")),
        ValueError,
        "y of dtype datetime64\\[D\\] is not numeric.*chosen unit",
    ),
    (
        "fit on a timedelta y",
        "reg",
        lambda est: est.fit(X, np.arange(40).astype("timedelta64[s]")),
        ValueError,
        "not numeric",
    ),
    # (scikit-learn checks an object y before converting it: its None became a NaN target)
    (
        "None in an object y",
        "reg",
        _pf(X, np.where(Y_REG > 0, None, Y_REG).astype(object)),
        ValueError,
        "y contains NaN",
    ),
    # (pandas.NA == pandas.NA is NA: scikit-learn's check raised pandas' "boolean value of NA
    # is ambiguous", naming neither y nor the row)
    (
        "pandas.NA in an object y",
        "reg",
        _pf(X, np.where(np.arange(40) == 7, pd.NA, Y_REG).astype(object)),
        ValueError,
        "y holds pandas.NA .* at row 7",
    ),
    (
        "pandas.NA in a list of labels",
        "clf",
        _pf(X, [pd.NA if i == 5 else int(c) for i, c in enumerate(Y_CLASS)]),
        ValueError,
        "y holds pandas.NA .* at row 5",
    ),
    (
        "pandas.NA in an object Series of labels",
        "clf",
        _pf(X, pd.Series(np.where(np.arange(40) == 39, pd.NA, Y_CLASS), dtype=object)),
        ValueError,
        "y holds pandas.NA .* at row 39",
    ),
    (
        "pandas.NA in a Series of pandas' strings",
        "clf",
        _pf(X, pd.Series(np.where(np.arange(40) == 3, None, Y_CLASS.astype(str)), dtype="string")),
        ValueError,
        "y holds pandas.NA .* at row 3",
    ),
    (
        "pandas.NA in a column of objects",
        "clf",
        _pf(X, np.where(np.arange(40) == 11, pd.NA, Y_CLASS).astype(object).reshape(-1, 1)),
        ValueError,
        "y holds pandas.NA .* at row 11",
    ),
    (
        "NaN in sample_weight",
        "both",
        _pf(X, sample_weight=np.full(40, np.nan)),
        ValueError,
        "sample_weight contains NaN",
    ),
    (
        "inf in sample_weight",
        "both",
        _pf(X, sample_weight=np.full(40, np.inf)),
        ValueError,
        "sample_weight contains inf",
    ),
    (
        "negative sample_weight",
        "both",
        _pf(X, sample_weight=-np.ones(40)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "sample_weight of the wrong length",
        "both",
        _pf(X, sample_weight=np.ones(3)),
        ValueError,
        r"sample_weight.shape == \(3,\)",
    ),
    (
        "X of the wrong width in partial_fit",
        "both",
        _pf(np.ones((4, 5))),
        ValueError,
        "X has 5 features, but .* is expecting 6",
    ),
    (
        "X of the wrong width in predict",
        "both",
        lambda est: est.predict(np.ones((4, 5))),
        ValueError,
        "X has 5 features, but .* is expecting 6",
    ),
    ("1-D X", "both", _pf(np.ones(40)), ValueError, "Expected 2D array"),
    ("3-D X", "both", _pf(np.ones((40, 6, 2))), ValueError, "dim 3"),
    ("X with 0 rows", "both", _pf(np.ones((0, 6)), np.ones(0)), ValueError, "0 sample"),
    (
        "X with 0 columns",
        "reg",
        lambda est: _reg().fit(np.ones((40, 0)), Y_REG),
        ValueError,
        "0 feature",
    ),
    (
        "object X of strings",
        "both",
        _pf(np.array([["a"] * 6] * 40, dtype=object)),
        ValueError,
        "could not convert string",
    ),
    ("complex X", "both", _pf(np.ones((40, 6)) + 1j), ValueError, "Complex data not supported"),
    ("y of the wrong length", "both", _pf(X, np.ones(5)), ValueError, "inconsistent numbers"),
    (
        "label absent from classes",
        "clf",
        _pf(X[:2], np.array([0, 7])),
        ValueError,
        "labels not in classes",
    ),
    (
        "classes changing between calls",
        "clf",
        _pf(X, classes=[0, 1, 2, 3]),
        ValueError,
        "not the same as on the first call",
    ),
    (
        "out-of-range CSR index",
        "both",
        _pf(_hand_built(indices=_set(2, 6))),
        ValueError,
        r"indices must lie in \[0, 6\)",
    ),
    (
        "negative CSR index",
        "both",
        _pf(_hand_built(indices=_set(2, -3))),
        ValueError,
        r"indices must lie in \[0, 6\)",
    ),
    (
        "out-of-range index inside an unsorted row",
        "both",
        _pf(_hand_built(indices=_set(MIDDLE, 99))),
        ValueError,
        r"indices must lie in \[0, 6\); found indices in \[0, 99\]",
    ),
    (
        "negative index inside an unsorted row, int64 indices",
        "both",
        _pf(_hand_built(_int64(X), indices=_set(MIDDLE, -1))),
        ValueError,
        r"indices must lie in \[0, 6\); found indices in \[-1, 5\]",
    ),
    (
        "out-of-range CSR index in fit",
        "both",
        lambda est: est.fit(
            _hand_built(indices=_set(MIDDLE, 6)),
            Y_CLASS if isinstance(est, SparseFTRLClassifier) else Y_REG,
        ),
        ValueError,
        r"indices must lie in \[0, 6\)",
    ),
    (
        "indptr pointing past the data, int64 indices",
        "both",
        _pf(_hand_built(_int64(X), indptr=_set(5, 10**12))),
        ValueError,
        "indptr must be non-decreasing and within",
    ),
    (
        "indptr pointing past the data",
        "both",
        _pf(_hand_built(indptr=_set(5, 10**6))),
        ValueError,
        "indptr must be non-decreasing and within",
    ),
    (
        "decreasing indptr",
        "both",
        _pf(_hand_built(indptr=_set(5, 0))),
        ValueError,
        "indptr must be non-decreasing",
    ),
    (
        "indptr not ending at len(indices)",
        "both",
        _pf(_hand_built(indptr=_set(-1, 3))),
        ValueError,
        "indptr is inconsistent",
    ),
    (
        "2-D CSR data",
        "both",
        _pf(_replaced(data=X.data[:, None])),
        ValueError,
        "must be 1-D arrays; got 2-D",
    ),
    (
        "0-D CSR data in predict",
        "both",
        lambda est: est.predict(_replaced(data=np.array(1.0))),
        ValueError,
        "must be 1-D arrays; got 0-D",
    ),
    (
        "uint64 CSR indices beyond int64",
        "both",
        _pf(_replaced(indices=X.indices.astype(np.uint64) + np.uint64(2**63))),
        ValueError,
        r"indices must be below 2\*\*63; found 92233720368547758",
    ),
    (
        "float CSR indices",
        "both",
        _pf(_replaced(indices=X.indices.astype(float))),
        TypeError,
        "indices and indptr must be integers; got float64",
    ),
    (
        "out-of-range CSR index in predict",
        "both",
        lambda est: est.predict(_hand_built(indices=_set(2, 99))),
        ValueError,
        "indices must lie",
    ),
    (
        "indptr past the data in predict",
        "both",
        lambda est: est.predict(_hand_built(indptr=_set(5, 10**6))),
        ValueError,
        "indptr must be",
    ),
    (
        "entries past indptr[-1] in predict",
        "both",
        lambda est: est.predict(
            _replaced(data=np.append(X.data, 1.0), indices=np.append(X.indices, 0).astype(np.int32))
        ),
        ValueError,
        "indptr is inconsistent",
    ),
    ("values of 1e300", "both", _pf(X * 1e300), ValueError, "would overflow float64"),
    ("values of 1e60 with a squared loss", "reg", _pf(X * 1e60), ValueError, "would overflow"),
    ("y of 1e300", "reg", _pf(X, Y_REG * 1e300), ValueError, "would overflow float64"),
    (
        "negative alpha",
        "both",
        lambda est: _pf(X)(est.set_params(alpha=-1)),
        InvalidParameterError,
        "'alpha' parameter",
    ),
    (
        "eta0 of 0",
        "both",
        lambda est: _pf(X)(est.set_params(eta0=0)),
        InvalidParameterError,
        "'eta0' parameter",
    ),
    (
        "unknown loss",
        "both",
        lambda est: _pf(X)(est.set_params(loss="cubic")),
        InvalidParameterError,
        "'loss' parameter",
    ),
    (
        "inclusion with the dense store",
        "both",
        lambda est: _pf(X)(est.set_params(inclusion="bloom", state_store="dense")),
        ValueError,
        "sparse state store",
    ),
    (
        "balanced class_weight in partial_fit",
        "clf",
        lambda est: _pf(X)(est.set_params(class_weight="balanced")),
        ValueError,
        "class_weight='balanced' is not supported for partial_fit",
    ),
    (
        "negative class_weight",
        "clf",
        lambda est: _pf(X)(est.set_params(class_weight={0: -1.0, 1: 1.0})),
        ValueError,
        "class_weight values must be finite non-negative",
    ),
    (
        "NaN class_weight",
        "clf",
        lambda est: _pf(X)(est.set_params(class_weight={0: np.nan, 1: 1.0})),
        ValueError,
        "class_weight values must be finite non-negative",
    ),
    (
        "class_weight of 1e300",
        "clf",
        lambda est: _pf(X)(est.set_params(class_weight={0: 1e300, 1: 1.0})),
        ValueError,
        "would overflow float64",
    ),
    (
        "early_stopping in partial_fit",
        "both",
        lambda est: _pf(X)(est.set_params(early_stopping=True)),
        ValueError,
        "early_stopping should be False",
    ),
    # (scikit-learn's conversion read "2" as a weight of 2 and 2020-01-01 as one of 18,262,
    # and an object y of text as the numbers it spells, where a str array y was refused)
    (
        "str sample_weight",
        "both",
        _pf(X, sample_weight=np.ones(40).astype(str)),
        ValueError,
        "sample_weight of dtype <U.* is not numeric",
    ),
    (
        "datetime sample_weight",
        "both",
        _pf(X, sample_weight=np.arange(40).astype("datetime64[D]")),
        ValueError,
        # (astype(float), once advised, is the count of days refused)
        "sample_weight of dtype datetime64\\[D\\] is not numeric.*a number of a chosen unit",
    ),
    (
        "object y of text",
        "reg",
        _pf(X, Y_REG.astype(str).astype(object)),
        ValueError,
        "y holds a value of type str",
    ),
    (
        "int beyond float64 in X",
        "both",
        _pf(_with_huge_int(X.toarray())),
        ValueError,
        "^X holds an integer beyond float64",
    ),
    (  # (named "X or y")
        "int beyond float64 in y",
        "reg",
        _pf(X, _with_huge_int(Y_REG)),
        ValueError,
        "^y holds an integer beyond float64",
    ),
    (
        "int beyond float64 in sample_weight",
        "both",
        _pf(X, sample_weight=_with_huge_int(np.ones(40))),
        ValueError,
        "sample_weight holds an integer beyond float64",
    ),
    (
        "int beyond float64 in X in predict",
        "both",
        lambda est: est.predict(_with_huge_int(X.toarray())),
        ValueError,
        "X holds an integer beyond float64",
    ),
    ("masked X", "both", _pf(_masked(X.toarray())), TypeError, "masked array as X"),
    ("masked y", "both", lambda est: est.partial_fit(X, _masked_y(est)), TypeError, "as y"),
    (
        "masked sample_weight",
        "both",
        _pf(X, sample_weight=_masked(np.ones(X.shape[0]))),
        TypeError,
        "masked array as sample_weight",
    ),
    (
        "masked X in predict",
        "both",
        lambda est: est.predict(_masked(X.toarray())),
        TypeError,
        "masked array as X",
    ),
    (
        "another library's sparse X",
        "both",
        _pf(_OtherSparse(X)),
        TypeError,
        r"give a SciPy CSR matrix \(X\.tocsr\(\), or pydata sparse's X\.to_scipy_sparse\(\)",
    ),
    (
        "another library's sparse X in predict",
        "both",
        lambda est: est.predict(_OtherSparse(X)),
        TypeError,
        r"_OtherSparse, which is no SciPy sparse matrix: give a SciPy CSR matrix",
    ),
]
CASES = [
    pytest.param(factory, call, error, match, id=f"{name} [{kind}]")
    for name, which, call, error, match in BAD_INPUTS
    for kind, factory in [("reg", _reg), ("clf", _clf)]
    if which in ("both", kind)
]


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("factory, call, error, match", CASES)
def test_bad_input_raises_and_leaves_the_model_unchanged(factory, call, error, match, store):
    est = _trained(lambda: factory(state_store=store))
    before = pickle.dumps(est)
    with pytest.raises(error, match=match):
        call(est)
    after = pickle.loads(before)
    assert est.t_ == after.t_
    np.testing.assert_array_equal(dense_state(est), dense_state(after))
    np.testing.assert_array_equal(intercept_state(est), intercept_state(after))
    assert est.nnz_history_ == after.nnz_history_


def test_a_dataframe_with_a_column_named_todense_is_no_sparse_array_of_another_library():
    # (its column is an attribute of that name: the check of another library's sparse arrays
    # looks at X's class)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X.toarray()[:, :2], columns=["todense", "b"])
    fitted = SparseFTRLClassifier(random_state=0).fit(frame, Y_CLASS)
    expected = SparseFTRLClassifier(random_state=0).fit(frame.to_numpy(), Y_CLASS)
    np.testing.assert_array_equal(fitted.coef_, expected.coef_)


@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
def test_unsorted_and_duplicate_indices_mean_what_scipy_means(Est):
    y = Y_REG if Est is SparseFTRLRegressor else Y_CLASS
    canonical = Est(shuffle=False, max_iter=2, tol=None).fit(X, y)
    reversed_rows = X.copy()
    for r in range(X.shape[0]):  # reverse each row's entries: unsorted, same matrix
        s, e = X.indptr[r], X.indptr[r + 1]
        reversed_rows.indices[s:e] = X.indices[s:e][::-1]
        reversed_rows.data[s:e] = X.data[s:e][::-1]
    reversed_rows.has_sorted_indices = False
    unsorted = Est(shuffle=False, max_iter=2, tol=None).fit(reversed_rows, y)
    np.testing.assert_allclose(unsorted.coef_, canonical.coef_, rtol=1e-12)
    # every entry split into two halves at the same column: duplicates that sum to X
    doubled = sp.csr_matrix(
        (np.repeat(X.data / 2, 2), np.repeat(X.indices, 2), X.indptr * 2), shape=X.shape
    )
    assert not doubled.has_canonical_format
    dup = Est(shuffle=False, max_iter=2, tol=None).fit(doubled, y)
    np.testing.assert_allclose(dup.coef_, canonical.coef_, rtol=1e-12)


@pytest.mark.parametrize(
    "Est, loss, scale",
    [
        (SparseFTRLRegressor, "squared_error", 1e-310),
        (SparseFTRLClassifier, "log_loss", 1e-300),
        (
            SparseFTRLRegressor,
            "squared_error",
            1e45,
        ),  # the loss derivative grows with |x|: x^2 counts
        (SparseFTRLClassifier, "squared_hinge", 1e45),
        (SparseFTRLRegressor, "huber", 1e90),  # bounded derivatives: |x| itself counts
        (SparseFTRLClassifier, "log_loss", 1e90),
    ],
)
def test_extreme_but_valid_values_give_finite_weights(Est, loss, scale):
    y = Y_REG if Est is SparseFTRLRegressor else Y_CLASS
    for data in [X * scale, -X * scale]:
        est = Est(loss=loss, max_iter=3, tol=None).fit(data, y)
        assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
        assert np.all(np.isfinite(est.predict(data).astype(float)))


def test_string_labels_and_single_class():
    labels = np.array(["ham", "spam", "eggs"])[Y_CLASS]
    clf = SparseFTRLClassifier(random_state=0).fit(X, labels)
    assert set(clf.predict(X)) <= set(labels)
    with pytest.raises(ValueError, match="greater than one"):
        SparseFTRLClassifier().fit(X, np.full(40, "ham"))


# ------------------------------------------------------------- determinism and concurrency
def test_bit_identical_across_runs_n_jobs_and_dense_or_csr():
    fits = [
        SparseFTRLClassifier(random_state=3, n_jobs=n_jobs, max_iter=4, tol=None).fit(data, Y_CLASS)
        for n_jobs, data in [(None, X), (2, X), (1, X.toarray()), (2, X.toarray())]
    ]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.coef_, fits[0].coef_)
        np.testing.assert_array_equal(other.intercept_, fits[0].intercept_)


def test_predict_from_eight_threads_matches_sequential():
    big = sp.random(3000, 500, density=0.05, format="csr", random_state=1)
    clf = SparseFTRLClassifier(random_state=0).fit(big, np.arange(3000) % 3)
    clf_fresh = pickle.loads(pickle.dumps(clf))  # weights not computed yet: threads race to it
    expected = clf.predict_proba(big)
    results = [None] * 8

    def work(i):
        results[i] = clf_fresh.predict_proba(big)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_estimators_fit_in_threads_equal_sequential_fits():
    params = [dict(alpha=a, random_state=i) for i, a in enumerate([1e-5, 1e-3, 1e-2, 1e-1])]
    sequential = [SparseFTRLRegressor(**p).fit(X, Y_REG).coef_ for p in params]
    threaded = [None] * len(params)

    def work(i):
        threaded[i] = SparseFTRLRegressor(**params[i]).fit(X, Y_REG).coef_

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(params))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a, b)


def test_read_only_and_memory_mapped_inputs(tmp_path):
    ref = SparseFTRLClassifier(random_state=0).fit(X, Y_CLASS)
    A = X.copy()
    for arr in (A.data, A.indices, A.indptr):
        arr.flags.writeable = False
    np.testing.assert_array_equal(
        SparseFTRLClassifier(random_state=0).fit(A, Y_CLASS).coef_, ref.coef_
    )
    path = tmp_path / "X.joblib"
    joblib.dump((X, X.toarray(), Y_CLASS), path)
    Xm, Xd, ym = joblib.load(path, mmap_mode="r")
    assert isinstance(Xd, np.memmap)
    np.testing.assert_array_equal(SparseFTRLClassifier(random_state=0).fit(Xm, ym).coef_, ref.coef_)
    np.testing.assert_array_equal(SparseFTRLClassifier(random_state=0).fit(Xd, ym).coef_, ref.coef_)


# ------------------------------------------------------------------------ resumable state
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_joblib_saved_mid_stream_resumes_bit_identically(tmp_path, store):
    batches = [slice(0, 15), slice(15, 30), slice(30, 40)]
    straight = SparseFTRLClassifier(random_state=0, state_store=store)
    for b in batches:
        straight.partial_fit(X[b], Y_CLASS[b], classes=[0, 1, 2])
    resumed = SparseFTRLClassifier(random_state=0, state_store=store)
    resumed.partial_fit(X[batches[0]], Y_CLASS[batches[0]], classes=[0, 1, 2])
    joblib.dump(resumed, tmp_path / "model.joblib")
    resumed = joblib.load(tmp_path / "model.joblib")
    for b in batches[1:]:
        resumed.partial_fit(X[b], Y_CLASS[b])
    np.testing.assert_array_equal(dense_state(resumed), dense_state(straight))
    np.testing.assert_array_equal(
        resumed.coef_.toarray() if sp.issparse(resumed.coef_) else resumed.coef_,
        straight.coef_.toarray() if sp.issparse(straight.coef_) else straight.coef_,
    )


def _interrupt_soon(delay):
    timer = threading.Timer(delay, _thread.interrupt_main)
    timer.start()
    return timer


@pytest.mark.parametrize("warm", [False, True])
def test_ctrl_c_leaves_the_estimator_unfitted_or_as_it_was(warm):
    rng = np.random.RandomState(0)
    n_rows, per_row = 200_000, 10
    big = sp.csr_matrix(
        (
            np.ones(n_rows * per_row),
            rng.randint(1000, size=n_rows * per_row),
            np.arange(0, n_rows * per_row + 1, per_row),
        ),
        shape=(n_rows, 1000),
    )
    y = rng.randint(2, size=n_rows)
    # 100,000 epochs, hours: a fit that went on after Ctrl-C (to raise it at its end) ends
    # the run, loudly (ctrl_c_came_during)
    est = SparseFTRLClassifier(max_iter=100_000, tol=None, warm_start=warm, random_state=0)
    if warm:
        est.partial_fit(big[:1000], y[:1000], classes=[0, 1])
        before = pickle.dumps(est)
    assert ctrl_c_came_during(lambda: est.fit(big, y), after=0.3)
    if warm:
        previous = pickle.loads(before)
        assert est.t_ == previous.t_
        np.testing.assert_array_equal(dense_state(est), dense_state(previous))
    else:
        assert not hasattr(est, "t_")
        with pytest.raises(Exception, match="not fitted"):
            est.predict(big[:2])


# ------------------------------------------------- state that must stay consistent with params
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_a_failed_refit_keeps_the_width_the_state_was_trained_on(store):
    rng = np.random.RandomState(0)
    reg = SparseFTRLRegressor(state_store=store, max_iter=1, tol=None).fit(
        rng.rand(20, 1), rng.rand(20)
    )
    wide = sp.csr_matrix((np.array([np.nan]), np.array([4999]), np.array([0, 1])), shape=(1, 5000))
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(wide, [1.0])
    assert reg.n_features_in_ == 1 == reg.get_ftrl_state()["n_features_in"]
    wide.data[:] = 1.0
    with pytest.raises(ValueError, match="X has 5000 features"):
        reg.partial_fit(wide, [1.0])  # used to write past the 1-column state
    clf = SparseFTRLClassifier(state_store=store).fit(rng.rand(20, 2), np.arange(20) % 2)
    with pytest.raises(ValueError, match="greater than one"):
        clf.fit(rng.rand(20, 7), np.zeros(20))
    assert clf.n_features_in_ == 2 == clf.get_ftrl_state()["n_features_in"]


def test_switching_inclusion_on_mid_stream():
    X2 = X.copy()
    X2.data[X2.indices >= 3] = 0.0  # columns 3+ first appear in the second batch
    X2.eliminate_zeros()
    sparse = SparseFTRLClassifier(state_store="sparse").partial_fit(X2, Y_CLASS, classes=[0, 1, 2])
    sparse.set_params(inclusion="bloom", inclusion_count=1).partial_fit(X, Y_CLASS)  # used to crash
    assert sparse.get_ftrl_state()["bloom"].shape[1] > 0  # every model got a Bloom filter
    assert set(held_columns(sparse)) == set(range(6))
    dense = SparseFTRLClassifier(state_store="auto").partial_fit(X, Y_CLASS, classes=[0, 1, 2])
    assert not sp.issparse(dense.coef_)  # the dense store
    with pytest.raises(ValueError, match="state is dense"):  # used to be silently ignored
        dense.set_params(inclusion="poisson").partial_fit(X, Y_CLASS)


def test_a_fresh_fit_resets_the_form_of_coef():
    reg = SparseFTRLRegressor().fit(X, Y_REG).sparsify()
    assert sp.issparse(reg.coef_)
    assert isinstance(reg.fit(X, Y_REG).coef_, np.ndarray)  # as SGDRegressor after a refit
    reg.set_params(state_store="sparse").fit(X, Y_REG)
    assert sp.issparse(reg.coef_)
    reg.set_params(state_store="dense").fit(X, Y_REG)
    assert isinstance(reg.coef_, np.ndarray) and reg.coef_.shape == (6,)
    reg.sparsify().partial_fit(X, Y_REG)  # continuing keeps what sparsify() asked for
    assert sp.issparse(reg.coef_)


def _given_generator_untouched(rng):
    _, words, pos, _, _ = rng.get_state()
    _, fresh_words, fresh_pos, _, _ = np.random.RandomState(0).get_state()
    return np.array_equal(words, fresh_words) and pos == fresh_pos


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
def test_non_finite_sample_weights_are_refused_under_assume_finite(Est, bad):
    # (scikit-learn checks them only without assume_finite: one NaN made every weight NaN)
    y = Y_REG if Est is SparseFTRLRegressor else Y_CLASS
    weights = np.ones(40)
    weights[3] = bad
    est = Est(random_state=0).fit(X, y)
    before = pickle.dumps(est)
    with config_context(assume_finite=True):
        for call in (est.fit, est.partial_fit):
            with pytest.raises(ValueError, match="sample_weight contains NaN or infinity"):
                call(X, y, sample_weight=weights)
    assert_same_state(est, pickle.loads(before))


def test_validation_rows_all_of_weight_zero_are_refused_before_training():
    # (each epoch's score then met scikit-learn's "Sample weights must contain at least one
    # non-zero number", about weights that did hold some, after the first epoch)
    rng = np.random.RandomState(0)
    data = np.random.RandomState(1).randn(200, 3)
    weights = np.r_[np.ones(2), np.zeros(198)]
    reg = _reg(early_stopping=True, validation_fraction=0.5).fit(data, data[:, 0])
    before = pickle.dumps(reg)
    reg.set_params(random_state=rng)
    with pytest.raises(ValueError, match="validation rows .* all have sample_weight 0"):
        reg.fit(data, data[:, 0], sample_weight=weights)
    assert_same_state(reg, pickle.loads(before))
    assert _given_generator_untouched(rng)


@pytest.mark.parametrize(
    "params, X_bad, match",
    [
        (
            dict(state_store="dense"),
            sp.csr_matrix(([1.0] * 4, ([0, 1, 2, 3], [0, 2**40, 1, 2])), shape=(4, 2**40 + 1)),
            "dense state store needs",
        ),
        (dict(state_store="sparse", n_threads=2), np.eye(4), "n_threads=2"),
    ],
)
def test_a_fit_refused_after_the_validation_split_leaves_a_given_random_state(params, X_bad, match):
    # early_stopping's split draws from random_state before the state's checks refuse the fit
    rng = np.random.RandomState(0)
    est = SparseFTRLRegressor(
        early_stopping=True, validation_fraction=0.5, random_state=rng, **params
    )
    with pytest.raises(ValueError, match=match):
        est.fit(X_bad, [0.0, 1.0, 0.0, 1.0])
    assert _given_generator_untouched(rng)


# ------------------------------------------------------------- threads, interrupts, memory
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_two_threads_training_one_estimator_take_turns(store):
    X, y = click_stream()
    params = dict(state_store=store, random_state=0, shuffle=False)
    shared = SparseFTRLClassifier(**params).partial_fit(X[:10], y[:10], classes=[0, 1])
    reference = SparseFTRLClassifier(**params).partial_fit(X[:10], y[:10], classes=[0, 1])
    reference.partial_fit(X, y).partial_fit(X, y)
    threads = [threading.Thread(target=shared.partial_fit, args=(X, y)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shared.t_ == 10 + 2 * X.shape[0]  # no row lost
    assert_same_state(shared, reference)  # the same batch twice: either order gives this


def test_ctrl_c_during_partial_fit_leaves_the_estimator_as_after_the_call():
    X, y = click_stream(n_rows=400_000)
    params = dict(state_store="sparse", random_state=0)
    est = SparseFTRLClassifier(**params).partial_fit(X[:10], y[:10], classes=[0, 1])
    reference = SparseFTRLClassifier(**params).partial_fit(X[:10], y[:10], classes=[0, 1])
    untouched = reference.get_ftrl_state()
    reference.partial_fit(X, y)
    # a timer thread kept off the cores for the whole call (~0.1 s) interrupts after it: the
    # call is tried again then, up to 5 times, on a new estimator with the state before it
    for _ in range(5):
        timer = _interrupt_soon(0.05)
        returned = False
        with pytest.raises(KeyboardInterrupt):
            est.partial_fit(X, y)  # the kernel updates in place; the interrupt waits for t_
            returned = True
            time.sleep(5)  # reached only if the signal came after the call
        timer.cancel()
        if not returned:
            break
        est = SparseFTRLClassifier(**params).set_ftrl_state(untouched)
    assert not returned, "the interrupt came after the call, 5 times"
    # On a loaded machine the signal may land before training starts (during validation):
    # then the call is undone. Either way the state is one of the two, never half a call.
    if est.t_ == untouched["t"]:
        assert_same_state(est, SparseFTRLClassifier(**params).set_ftrl_state(untouched))
    else:
        assert_same_state(est, reference)
    before = est.decision_function(X[:50])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).decision_function(X[:50]), before)


@pytest.mark.parametrize("strided", ["data", "indices", "indptr"])
def test_a_csr_of_strided_arrays_trains_and_predicts_as_its_copy(strided):
    # scipy accepts views such as data=values[::2]; the kernel reads each array in one
    # stride, so such a matrix is copied, and gives the contiguous matrix's model to the bit
    # (it was refused with "ndarray is not C-contiguous"). 2**20 non-zeros: with threads,
    # the values are also checked in a second thread.
    rng = np.random.RandomState(0)
    n_rows, n_cols = 2**18, 64
    cols = rng.randint(16, size=(n_rows, 1)) + np.arange(0, 64, 16)  # 4 distinct, sorted
    X = sp.csr_matrix(
        (rng.normal(size=cols.size), cols.ravel(), np.arange(0, cols.size + 1, 4)),
        shape=(n_rows, n_cols),
    )
    y = X @ rng.normal(size=n_cols)
    arrays = {"data": X.data, "indices": X.indices, "indptr": X.indptr}
    doubled = np.repeat(arrays[strided], 2)
    arrays[strided] = doubled[::2]
    X_strided = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=X.shape)
    assert not getattr(X_strided, strided).flags.c_contiguous
    params = dict(max_iter=1, tol=None, random_state=0)
    one = SparseFTRLRegressor(**params).fit(X_strided, y)
    assert_same_state(one, SparseFTRLRegressor(**params).fit(X, y))
    np.testing.assert_array_equal(one.predict(X_strided[:1000]), one.predict(X[:1000]))
    # two threads: not reproducible to the bit, but every row trained, and as well
    two = SparseFTRLRegressor(n_threads=2, **params).fit(X_strided, y)
    assert two.t_ == n_rows
    assert abs(two.score(X[:20_000], y[:20_000]) - one.score(X[:20_000], y[:20_000])) < 0.01


@pytest.mark.parametrize(
    "indices", [np.int16, np.uint32, np.uint64, list], ids=["int16", "uint32", "uint64", "list"]
)
def test_csr_index_arrays_of_other_integer_types_mean_what_they_say(indices):
    # scipy keeps index arrays of other integer types (or lists) assigned after it was built
    # (both of int16 were refused with "No matching signature found", lists with an
    # AttributeError);
    # they are read as int64 and give the int32 matrix's model and predictions to the bit
    y = np.random.RandomState(0).rand(X.shape[0])
    as_given = (lambda a: list(a)) if indices is list else (lambda a: a.astype(indices))
    converted = _replaced(indices=as_given(X.indices), indptr=as_given(X.indptr))
    for Est in (SparseFTRLRegressor, SparseFTRLClassifier):
        target = y if Est is SparseFTRLRegressor else (y > 0.5).astype(int)
        one = Est(random_state=0).fit(X, target)
        other = Est(random_state=0).fit(converted, target)
        assert_same_state(other, one)
        np.testing.assert_array_equal(other.predict(converted), one.predict(X))
        exported = export_model(one)
        np.testing.assert_array_equal(exported.predict(converted), exported.predict(X))


@pytest.mark.parametrize(
    "replaced",
    [
        dict(indices=X.indices.astype(np.int16), indptr=X.indptr.astype(np.int16)),
        dict(indices=np.repeat(X.indices, 2)[::2]),
        dict(indptr=list(X.indptr)),
    ],
    ids=["int16", "strided", "list"],
)
def test_a_scikit_learn_models_export_reads_hostile_csr_arrays_as_they_mean(replaced):
    # a model exported from scikit-learn scores with its own product, not the FTRL kernel's:
    # the same arrays are read as int64 / contiguous there, and a column out of range is
    # still refused by name
    from sklearn.linear_model import SGDRegressor

    y = np.random.RandomState(0).rand(X.shape[0])
    exported = export_model(SGDRegressor(random_state=0, max_iter=5, tol=None).fit(X, y))
    np.testing.assert_array_equal(exported.predict(_replaced(**replaced)), exported.predict(X))
    too_far = X.indices.astype(np.int16)
    too_far[0] = X.shape[1]
    with pytest.raises(ValueError, match="column indices must lie in"):
        exported.predict(_replaced(indices=too_far, indptr=X.indptr.astype(np.int16)))


class _Alarm(Exception):
    pass


def _raise_alarm(signum, frame):
    raise _Alarm


def test_a_signal_handlers_exception_during_partial_fit_leaves_ctrl_c_working():
    # partial_fit holds Ctrl-C back while it updates the model in place, by a handler of
    # its own for SIGINT. Another signal's handler may raise at any moment of the call (here
    # SIGALRM, one-shot, 10-300 us into a loop of 4-row calls, thousands of times): whenever
    # it does, the handler that was installed for SIGINT must be back, or Ctrl-C would be
    # swallowed for the rest of the process. (With the deferral written in Python, 25-26 of
    # these 6,000 alarms left it swallowed, in each of three runs.)
    rng = np.random.RandomState(0)
    X_few, y_few = sp.random(4, 2**10, density=0.01, format="csr", random_state=0), rng.rand(4)
    est = SparseFTRLRegressor().partial_fit(X_few, y_few)

    installed = signal.getsignal(signal.SIGINT)
    previous_alarm = signal.signal(signal.SIGALRM, _raise_alarm)
    swallowed = raised = 0
    gc_was_on = gc.isenabled()
    gc.disable()  # an alarm in a gc callback (hypothesis installs one) is dropped by Python
    try:
        for delay in rng.uniform(10e-6, 300e-6, size=6000):
            try:
                signal.setitimer(signal.ITIMER_REAL, delay)
                # bounded: an alarm whose exception lands in a finalizer is reported and
                # dropped by Python, and would leave an endless loop waiting for it
                for _ in range(1000):
                    est.partial_fit(X_few, y_few)
            except _Alarm:
                raised += 1
            if signal.getsignal(signal.SIGINT) is not installed:
                swallowed += 1
                signal.signal(signal.SIGINT, installed)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGINT, installed)
        if gc_was_on:
            gc.enable()
    assert raised > 5000  # the alarms did land in the calls
    assert swallowed == 0


def _same_state(a, b):
    try:
        assert_same_state(a, b)
    except AssertionError:
        return False
    return True


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_signal_handlers_exception_leaves_partial_fit_as_before_or_after_the_call():
    # partial_fit holds back Ctrl-C while it updates the model in place, and every other
    # signal whose handler is a Python function (a SIGALRM timeout here; SIGTERM raising
    # SystemExit in a service): the handler's exception comes before the update or after
    # the whole call, never between the weights and t_ or the history. Two estimators are
    # given the same calls in turn, and an alarm lands in one of them: each must be as
    # after its calls that ran whole, or one more. (With SIGINT alone held back, 194 of
    # 300 alarms left one of the two trained on a batch that t_ did not count.)
    X, y = click_stream(n_rows=3000, width=4096)
    batches = [(X[i : i + 300], y[i : i + 300]) for i in range(0, 3000, 300)] * 10

    def fresh():
        est = SparseFTRLClassifier(random_state=0, max_iter=3, tol=None)
        return est.partial_fit(X[:10], y[:10], classes=[0, 1])

    previous_alarm = signal.signal(signal.SIGALRM, _raise_alarm)
    rng = np.random.RandomState(0)
    landed = 0
    try:
        for delay in rng.uniform(0.0005, 0.004, size=150):
            one, other, done = fresh(), fresh(), 0
            try:
                signal.setitimer(signal.ITIMER_REAL, delay)
                for Xb, yb in batches:
                    one.partial_fit(Xb, yb)
                    other.partial_fit(Xb, yb)
                    done += 1
            except _Alarm:
                landed += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if _same_state(one, other):
                continue  # both as before their call, or both as after
            ahead = pickle.loads(pickle.dumps(other)).partial_fit(*batches[done])
            assert _same_state(one, ahead), f"an alarm after {delay * 1e3:.2f} ms"
            assert signal.getsignal(signal.SIGALRM) is _raise_alarm
    finally:
        signal.signal(signal.SIGALRM, previous_alarm)
    assert landed > 140  # the alarms did land in the calls


def _sweep_alarms(install, signalling, prepared, call, check):
    """Send a SIGALRM whose handler raises at each place of ``call(prepared())`` in turn
    (``install(signalling(k, SIGALRM))``), calling ``check`` on the estimator after each, until
    the call completes; return how many places there were. (``prepared()`` makes a new
    estimator for each run: the sweep may run from a plan.)"""
    previous = signal.signal(signal.SIGALRM, _raise_alarm)
    try:
        return signal_each_place(
            install,
            signalling,
            signal.SIGALRM,
            _Alarm,
            prepared,
            call,
            lambda est, *_: check(est),
            planned=True,
        )
    finally:
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("places", sorted(SIGNAL_SWEEPS))
@pytest.mark.parametrize("call", ["fit on a new width", "first partial_fit", "next partial_fit"])
def test_a_signal_at_each_call_of_training_leaves_the_model_whole(call, places):
    # a signal whose handler raises, sent at each place of a training call in turn: the call
    # raises it (or completes, if it came after), and the estimator is as before the call or
    # as after it, width included. (The width was put back when the exception of a handler
    # held back during the new model's attachment came out of it: coef_ of 20 columns,
    # n_features_in_ of 10, or none at all.) The next partial_fit takes the short path of a
    # call like the last one, its update in place.
    install, signalling = SIGNAL_SWEEPS[places]
    rng = np.random.RandomState(0)
    X10 = sp.random(200, 10, density=0.5, format="csr", random_state=0)
    X20 = sp.random(200, 20, density=0.5, format="csr", random_state=1)
    y = rng.rand(200)

    def prepared():
        est = SparseFTRLRegressor(random_state=0, max_iter=2, tol=None)
        if call == "fit on a new width":
            return est.fit(X10, y)
        if call == "next partial_fit":
            return est.partial_fit(X20, y).partial_fit(X20, y)
        return est

    def train(est):
        return est.fit(X20, y) if call == "fit on a new width" else est.partial_fit(X20, y)

    after = train(prepared())
    before = prepared()  # (as each run's, made once: the checks only read it)

    def check(est):
        if call == "next partial_fit":
            assert_same_state(est, after if est.t_ == after.t_ else before)
            assert est.t_ in (after.t_, before.t_)
        elif getattr(est, "n_features_in_", None) == 20:
            assert_same_state(est, after)
            np.testing.assert_array_equal(est.predict(X20), after.predict(X20))
        elif call == "fit on a new width":
            assert_same_state(est, before)
            assert est.n_features_in_ == 10 and est.coef_.shape[-1] == 10
        else:
            assert not hasattr(est, "t_") and not hasattr(est, "n_features_in_")

    places = _sweep_alarms(install, signalling, prepared, train, check)
    assert places > (20 if call == "next partial_fit" else 50)  # (the short path is short)


@pytest.mark.parametrize("places", sorted(SIGNAL_SWEEPS))
def test_a_signal_at_each_call_of_set_ftrl_state_leaves_the_estimator_whole(places):
    # set_ftrl_state over a model fitted with feature names, a signal whose handler raises
    # sent at each place in turn: the estimator is the old one, feature names included, or
    # the new one. (A handler's exception right after its pop of feature_names_in_ left the
    # old model without them.)
    install, signalling = SIGNAL_SWEEPS[places]
    rng = np.random.RandomState(0)
    y = rng.rand(200)
    named = pd.DataFrame(rng.rand(200, 10), columns=[f"g{i}" for i in range(10)])
    X20 = sp.random(200, 20, density=0.5, format="csr", random_state=1)
    state = SparseFTRLRegressor(random_state=1).fit(X20, y).get_ftrl_state()

    def prepared():
        return SparseFTRLRegressor(random_state=0).fit(named, y)

    after = prepared().set_ftrl_state(state)
    before = prepared()  # (as each run's, made once: the checks only read it)
    before_predicted = before.predict(named)

    def check(est):
        if est.n_features_in_ == 20:
            assert_same_state(est, after)
            assert not hasattr(est, "feature_names_in_")
        else:
            assert_same_state(est, before)
            assert list(est.feature_names_in_) == list(named.columns)
            np.testing.assert_array_equal(est.predict(named), before_predicted)

    places = _sweep_alarms(
        install, signalling, prepared, lambda est: est.set_ftrl_state(state), check
    )
    assert places > 40


@pytest.mark.parametrize("places", sorted(ANY_CODE_SWEEPS))
@pytest.mark.parametrize("kind", ["estimator", "CV estimator"])
def test_a_signal_handlers_exception_in_predict_proba_comes_out_as_itself(kind, places):
    # a handler that raises an Exception (a timeout's), at each function entry and exit of
    # any code in predict_proba in turn, the look-up of the method included: the call raises
    # that exception, until the place is past the call's end. (scikit-learn's available_if
    # turned one raised while it checked the loss into "has no attribute 'predict_proba'".)
    X = sp.random(50, 8, density=0.5, format="csr", random_state=0)
    y = np.arange(50) % 2
    est = (
        SparseFTRLClassifierCV(alphas=[1e-4, 1e-3], random_state=0)
        if kind == "CV estimator"
        else SparseFTRLClassifier(random_state=0)
    ).fit(X, y)
    answered = []

    def raise_alarm(signum, frame):
        answered.append(signum)
        raise _Alarm

    def not_lost(_, k, completed):
        assert not (completed and answered), f"the handler's exception at place {k} was lost"

    places = alarm_each_place_of_any_code(
        raise_alarm,
        _Alarm,
        answered.clear,
        lambda _: est.predict_proba(X),
        not_lost,
        ANY_CODE_SWEEPS[places],
    )
    assert places > 20


def test_a_signal_handler_that_does_not_raise_answers_once_after_partial_fit():
    # A handler held back during the update in place is called once the call has ended (a
    # signal that came twice meanwhile: once), never during it, and the call completes. A
    # signal can come outside the update on a loaded machine: during the call's checks (its
    # handler then answers at once, with the old t_) or after the call. The call is tried
    # again then, up to 5 times; a handler that ran during the update would do so every time.
    X, y = click_stream(n_rows=400_000)
    first = SparseFTRLClassifier(random_state=0).partial_fit(X[:10], y[:10], classes=[0, 1])
    reference = pickle.loads(pickle.dumps(first)).partial_fit(X, y)
    calls, sent = [], []

    def on_usr1(signum, frame):
        calls.append(est.t_)

    def send():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, on_usr1)
    try:
        for _ in range(5):
            est, calls[:], sent[:] = pickle.loads(pickle.dumps(first)), [], []
            timers = [threading.Timer(d, send) for d in (0.03, 0.06)]
            started = time.monotonic()
            for timer in timers:
                timer.start()
            est.partial_fit(X, y)  # ~0.1-0.2 s
            ended = time.monotonic()
            for timer in timers:
                timer.join()
            time.sleep(0.05)  # (a signal that came after the call is answered by now)
            during = any(started < t < ended for t in sent)
            if during and first.t_ not in calls:
                break
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert during, "no signal came during the call, 5 times"
    assert_same_state(est, reference)
    assert 1 <= len(calls) <= 2 and set(calls) == {reference.t_}  # never during the call


@pytest.mark.parametrize(
    "param, value", [("eta0", 1e-309), ("eta0", 1e160), ("beta", 1e-320), ("beta", 1e200)]
)
def test_learning_rates_that_would_give_nan_weights_are_refused(param, value):
    with pytest.raises(ValueError, match=param):
        SparseFTRLRegressor(**{param: value}).fit(X, Y_REG)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "squared_epsilon_insensitive"])
@pytest.mark.parametrize("eta0, beta", [(1e10, 1e-10), (1e10, 1e10), (1e-10, 1e-10)])
def test_the_extreme_accepted_learning_rates_give_finite_models(loss, eta0, beta):
    rng = np.random.RandomState(0)
    X_big = rng.normal(size=(300, 3)) * 1e30  # about as large as the gradient check allows
    y_big = rng.normal(size=300) * 1e30
    reg = SparseFTRLRegressor(
        loss=loss, eta0=eta0, beta=beta, penalty=None, max_iter=10, tol=None
    ).fit(X_big, y_big)
    assert np.all(np.isfinite(reg.coef_)) and np.all(np.isfinite(reg.predict(X_big)))


def test_a_dense_state_or_bloom_filter_larger_than_memory_is_refused_up_front():
    wide = sp.csr_matrix(
        (np.ones(2), np.array([0, 2**40 - 1]), np.array([0, 1, 2])), shape=(2, 2**40)
    )
    reg = SparseFTRLRegressor(state_store="dense")
    with pytest.raises(ValueError, match="state_store='sparse'"):
        reg.fit(wide, [1.0, 2.0])
    assert not hasattr(reg, "t_")
    clf = SparseFTRLClassifier(inclusion="bloom", bloom_size=2**62)
    with pytest.raises(ValueError, match="bloom_size"):
        clf.fit(wide, [0, 1])
    assert not hasattr(clf, "t_")


_LIMITED_PROCESS = """
import resource
import numpy as np, scipy.sparse as sp
from sparsereg import SparseFTRLRegressor
SparseFTRLRegressor().fit(np.eye(3), [1.0, 2.0, 3.0])  # a state made before the limit is set
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.RLIM_INFINITY))
wide = sp.csr_matrix((np.ones(2), np.array([0, 2**28 - 1]), np.array([0, 1, 2])), shape=(2, 2**28))
try:  # a dense state of 4 GiB, within the machine's memory, beyond what the process may map
    SparseFTRLRegressor(state_store="dense").fit(wide, [1.0, 2.0])
except ValueError as exc:
    print("ValueError:", exc)
"""


def test_a_dense_state_beyond_the_process_memory_limit_is_refused_up_front():
    # the guard compared a state with the machine's physical memory only: under a smaller
    # limit (ulimit -v here; a container's cgroup alike, where the kernel kills the process)
    # the allocation itself failed (MemoryError), or the training was killed; and the limit
    # is the one in force at the call, not when the process first asked
    done = run_python(_LIMITED_PROCESS)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the dense state store needs 4,294,967,296 bytes" in done.stdout
    assert "3,221,225,472 bytes" in done.stdout  # the limit named


def test_many_small_one_vs_rest_tables_stay_small():
    rng = np.random.RandomState(0)
    X_small = rng.normal(size=(2000, 4))
    y_many = np.arange(2000)  # 2,000 classes
    clf = SparseFTRLClassifier(state_store="sparse", max_iter=1, tol=None).fit(X_small, y_many)
    # four columns per class: a table of 16 slots (384 bytes), not 96 KiB each
    assert clf.sparsity_report().state_bytes < 2000 * 1024


def test_a_snapshot_taken_while_another_thread_trains_is_before_or_after_never_between():
    X, y = click_stream(n_rows=400_000)
    est = SparseFTRLClassifier(state_store="sparse", random_state=0)
    est.partial_fit(X[:10], y[:10], classes=[0, 1])
    before = est.get_ftrl_state()
    snapshots, pickles = [], []
    worker = threading.Thread(target=est.partial_fit, args=(X, y))
    worker.start()
    while worker.is_alive():
        snapshots.append(est.get_ftrl_state())
        pickles.append(pickle.loads(pickle.dumps(est)).get_ftrl_state())
    worker.join()
    after = est.get_ftrl_state()
    for state in snapshots + pickles:
        expected = before if state["t"] == before["t"] else after
        assert state["t"] == expected["t"]
        for key in ("columns", "z", "n", "intercept_z"):
            np.testing.assert_array_equal(state[key], expected[key])


def test_a_dense_state_wider_than_2_to_30_columns_with_int32_indices():
    # Column 2**30 + 3 of a dense state sits 2**34 bytes in: the kernel's offset must be
    # computed in 64 bits even when X's indices are int32 (it overflowed, and wrote before the
    # state). 16 GiB of zero pages are mapped but only the touched ones cost memory; the
    # progressive losses of fit_stream read the batch's columns of the state, nothing more.
    from sparsereg.stream import fit_stream

    width, far = 2**30 + 16, 2**30 + 3
    indices = np.array([far, 5, far, 5, far, 5], dtype=np.int32)
    X_wide = sp.csr_matrix((np.ones(6), indices, np.arange(7, dtype=np.int32)), shape=(6, width))
    y_wide = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    params = dict(alpha=0.0, fit_intercept=False, tol=None, shuffle=False)
    batches = [(X_wide[:2], y_wide[:2]), (X_wide[2:4], y_wide[2:4]), (X_wide[4:], y_wide[4:])]
    histories = {}
    for store in ("dense", "sparse"):
        _, histories[store] = fit_stream(SparseFTRLRegressor(state_store=store, **params), batches)
    assert histories["dense"].curve_loss == histories["sparse"].curve_loss
    assert histories["dense"].curve_loss[-1] < histories["dense"].curve_loss[0]  # it learned
    assert histories["dense"].pass_nonzero == [2]


@pytest.mark.parametrize(
    "make", [SparseFTRLClassifier, SparseFTRLRegressor, SparseFTRLClassifierCV], ids=str
)
def test_a_column_name_ending_in_nul_is_refused_and_the_model_kept(make):
    # NumPy's str arrays, which carry the names in the state and the model files, drop a
    # name's trailing NULs: "b\0" came back from get_ftrl_state as "b" (the CV, which builds
    # its chosen model from a state, then failed on two names "b"). A NUL inside a name is
    # kept, and such a name goes through the state as it is.
    rng = np.random.RandomState(0)
    good = pd.DataFrame(rng.rand(60, 3), columns=["a", "b\0c", "b"])
    y = (good["a"] > 0.5).astype(int)
    est = make().fit(good, y)
    single = SparseFTRLClassifier if make is SparseFTRLClassifierCV else make
    chosen = est.best_estimator_.get_params() if make is SparseFTRLClassifierCV else {}
    again = single(**chosen).set_ftrl_state(est.get_ftrl_state())  # (the CV's: its chosen's)
    assert list(again.feature_names_in_) == ["a", "b\0c", "b"]
    before = est.predict(good)
    classes = {"classes": [0, 1]}
    for bad_names in (["a", "b\0", "b"], ["a\0\0", "b\0c", "b"]):
        bad = good.set_axis(bad_names, axis=1)
        with pytest.raises(ValueError, match=r"feature name .* ends with a NUL character"):
            make().fit(bad, y)
        with pytest.raises(ValueError, match="NUL"):
            est.fit(bad, y)
        with pytest.raises(ValueError, match="NUL"):
            make().partial_fit(bad, y, **({} if make is SparseFTRLRegressor else classes))
        assert list(est.feature_names_in_) == ["a", "b\0c", "b"]
        np.testing.assert_array_equal(est.predict(good), before)


def test_an_export_of_a_column_name_ending_in_nul_is_refused():
    # a scikit-learn model keeps the names as objects; the exported model's str array dropped
    # the NUL: "b\0" and "b" became two names "b", and a DataFrame with the two swapped was
    # taken as it came
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(40, 2), columns=["b\0", "b"])
    sgd = SGDClassifier(random_state=0).fit(X, (X["b"] > 0.5).astype(int))
    with pytest.raises(ValueError, match=r"feature name 'b\\x00' \(column 0\) ends with a NUL"):
        export_model(sgd)


def test_a_class_label_ending_in_nul_is_refused_where_a_state_or_file_would_hold_it():
    # A str array drops trailing NULs: the state, the exported model and its file predicted
    # "x" for the class "x\0", and the CV's classes_ and its chosen model's disagreed
    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = np.array(["x\0", "y"], dtype=object)[(X[:, 0] > 0.5).astype(int)]
    est = SparseFTRLClassifier()
    with pytest.raises(ValueError, match=r"class label 'x\\x00' ends with a NUL"):
        est.fit(X, y)  # (it trained, then get_ftrl_state and export_model refused the model)
    assert not hasattr(est, "classes_")
    cv = SparseFTRLClassifierCV(alphas=[1e-4], eta0s=[0.1])
    with pytest.raises(ValueError, match="ends with a NUL"):
        cv.fit(X, y)
    assert not hasattr(cv, "cv_results_")


# labels that the state protocol cannot carry (get_ftrl_state: stream checkpoints, Dask, the
# CV's chosen model), as (y, partial_fit's classes or None for fit)
_Y_TWO = Y_CLASS % 2
UNCARRIED_LABELS = [
    pytest.param(_Y_TWO, np.array([0, 1, 2j]), id="complex classes"),
    pytest.param(_Y_TWO, np.array([0, 1, 2**64], dtype=object), id="object int beyond int64"),
    pytest.param(_Y_TWO, np.array([0, 1], dtype=object), id="object ints"),
    pytest.param(_Y_TWO, np.array([False, True], dtype=object), id="object bools"),
    pytest.param(np.array(["x\0", "y"], dtype=object)[_Y_TWO], None, id="str ending in NUL"),
    pytest.param(np.array(["2020-01-01", "2021-06-01"], dtype="M8[D]")[_Y_TWO], None, id="dates"),
    pytest.param(np.array([1, 2], dtype="m8[s]")[_Y_TWO], None, id="durations"),
]


@pytest.mark.parametrize("make", [SparseFTRLClassifier, SparseFTRLClassifierCV], ids=str)
@pytest.mark.parametrize("y, classes", UNCARRIED_LABELS)
def test_labels_no_state_can_carry_are_refused_before_training(make, y, classes):
    # the single estimators trained on them, and get_ftrl_state (a stream's checkpoint, a
    # Dask round) then refused the model; the CV estimators refused them up front
    def train(est):
        return est.fit(X, y) if classes is None else est.partial_fit(X, y, classes=classes)

    fresh = make(random_state=0)
    with pytest.raises(ValueError, match="cannot be saved without pickle|ends with a NUL"):
        train(fresh)
    assert not hasattr(fresh, "n_features_in_") and not hasattr(fresh, "classes_")
    if classes is None:  # a fit starts afresh (a later partial_fit keeps the first classes)
        fitted = make(random_state=0).fit(X, _Y_TWO)
        kept = pickle.loads(pickle.dumps(fitted))
        with pytest.raises(ValueError, match="cannot be saved without pickle|ends with a NUL"):
            train(fitted)
        assert_same_state(fitted, kept)
        np.testing.assert_array_equal(fitted.classes_, [0, 1])


def test_an_exported_model_tells_a_name_from_the_same_name_and_a_nul():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(40, 2), columns=["a", "b"])
    model = export_model(SparseFTRLRegressor().fit(X, X["a"]))
    model.predict(X)
    with pytest.raises(ValueError, match="feature names of X do not match"):
        model.predict(X.set_axis(["a\0", "b"], axis=1))


def _sparse_with(make, **arrays):
    """``make(X)`` (another sparse format) with arrays replaced after scipy checked them."""
    A = make(X)
    for name, value in arrays.items():
        setattr(A, name, value)
    return A


_FAR = 10**7  # an index far enough out of bounds that a read or write there faults
_INT_DATA = np.ones(X.nnz, dtype=np.int64)
_NEGATIVE_INDPTR = np.r_[0, -_FAR, X.indptr[2:]].astype(np.int32)


@pytest.mark.parametrize(
    "make_hostile, match",
    [
        (lambda: _replaced(data=_INT_DATA, indptr=_NEGATIVE_INDPTR), "CSR indptr must start"),
        (
            lambda: _replaced(data=X.data.astype(np.float16), indptr=_NEGATIVE_INDPTR),
            "CSR indptr must start",
        ),
        (
            lambda: _replaced(data=_INT_DATA, indptr=np.r_[0, _FAR, X.indptr[2:]]),
            "CSR indptr must start",
        ),
        (
            lambda: _sparse_with(
                sp.csc_matrix, indptr=np.r_[0, -_FAR, sp.csc_matrix(X).indptr[2:]]
            ),
            "CSC indptr must start",
        ),
        (
            lambda: _sparse_with(sp.csc_matrix, indices=sp.csc_matrix(X).indices + _FAR),
            "CSC indices must lie in",
        ),
        (lambda: _sparse_with(sp.coo_matrix, row=sp.coo_matrix(X).row + _FAR), "COO row"),
        (
            lambda: _sparse_with(sp.bsr_matrix, indptr=np.r_[0, -_FAR, X.indptr[2:]]),
            "BSR indptr must start",
        ),
        (
            lambda: _sparse_with(
                sp.csr_array, data=_INT_DATA, indptr=_NEGATIVE_INDPTR.astype(np.int64)
            ),
            "CSR indptr must start",
        ),
    ],
    ids=[
        "csr-int-negative",
        "csr-float16",
        "csr-int-past",
        "csc-indptr",
        "csc-rows",
        "coo-rows",
        "bsr",
        "csr_array",
    ],
)
def test_sparse_input_that_scipy_converts_is_checked_before_the_conversion(make_hostile, match):
    # a sparse X that validate_data converts (CSC, COO, BSR, a CSR of ints or float16) went
    # to scipy's compiled conversion with its index arrays unchecked: a negative or too
    # large indptr, or a row index beyond the shape, read and wrote out of bounds
    # (segmentation faults, a C++ RuntimeError, or other rows' values)
    from sklearn.linear_model import SGDRegressor

    reg = _trained(_reg)
    before = pickle.loads(pickle.dumps(reg))
    exports = [
        export_model(reg),
        export_model(SGDRegressor(random_state=0, max_iter=5, tol=None).fit(X, Y_REG)),
    ]
    for call in (
        reg.predict,
        lambda X_: reg.partial_fit(X_, np.zeros(X_.shape[0])),
        *(exported.predict for exported in exports),
    ):
        with pytest.raises(ValueError, match=match):
            call(make_hostile())
    assert_same_state(reg, before)
    # the same formats, well formed, are still read as what they hold
    rounded = _replaced(data=X.data.astype(np.float16).astype(np.float64))
    for model in (reg, *exports):
        for make in (sp.csc_matrix, sp.coo_matrix, sp.bsr_matrix, sp.csr_array):
            np.testing.assert_allclose(model.predict(make(X)), model.predict(X), rtol=1e-12)
        # (values as a list: sklearn's X.dtype raised AttributeError)
        np.testing.assert_array_equal(model.predict(_replaced(data=list(X.data))), model.predict(X))
        np.testing.assert_array_equal(
            model.predict(_replaced(data=X.data.astype(np.float16))), model.predict(rounded)
        )


def test_a_converted_sparse_x_is_checked_without_a_copy_of_its_values():
    # the check before scipy's conversion copied the values as well as the index arrays: a
    # CSC X then took twice its size in copies (the conversion's own and the check's)
    rng = np.random.default_rng(0)
    n_rows, per_row = 100_000, 10
    X_wide = sp.csr_matrix(
        (
            rng.random(n_rows * per_row),
            (np.repeat(np.arange(n_rows), per_row), rng.integers(0, 1000, n_rows * per_row)),
        ),
        shape=(n_rows, 1000),
    )
    reg = SparseFTRLRegressor(random_state=0).fit(X_wide[:500], rng.random(500))
    X_csc = X_wide.tocsc()
    size = X_csc.data.nbytes + X_csc.indices.nbytes + X_csc.indptr.nbytes
    # the conversion's CSR (one size) and the checked index arrays (a third of it): ~1.35x
    assert peak_bytes(reg.predict, X_csc) < 1.6 * size


# ---------------------------------------------------------------- dense X of other dtypes
_COUNTS = np.array([[1, 0, 2], [0, 3, 1], [2, 1, 0], [0, 0, 1]] * 3)
_LABELS = np.array([0, 1, 0, 1] * 3)
_TARGETS = np.linspace(-1.0, 1.0, 12)


def _frame(values, dtype=None):
    frame = pd.DataFrame(values, columns=["a", "b", "c"])
    return frame if dtype is None else frame.astype(dtype)


_TIMESTAMPS = pd.to_datetime(_COUNTS.ravel(), unit="D").to_numpy().reshape(_COUNTS.shape)
# each a dense X holding _COUNTS (or their truth values) in another form
DENSE_KINDS = {
    "str": _COUNTS.astype(str),
    "bytes": _COUNTS.astype(bytes),
    "list of str": _COUNTS.astype(str).tolist(),
    "object of str": _COUNTS.astype(str).astype(object),
    "object of numbers": _COUNTS.astype(object),
    "datetime64": _COUNTS.astype("datetime64[D]"),
    "timedelta64": _COUNTS.astype("timedelta64[s]"),
    "object of Timestamps": np.array([[pd.Timestamp(t) for t in row] for row in _TIMESTAMPS]),
    "complex": _COUNTS.astype(complex),
    "longdouble": _COUNTS.astype(np.longdouble),
    "float16": _COUNTS.astype(np.float16),
    "bool": _COUNTS.astype(bool),
    "int8": _COUNTS.astype(np.int8),
    "uint64": _COUNTS.astype(np.uint64),
    "list of numbers": _COUNTS.tolist(),
    "Int64": _frame(_COUNTS, "Int64"),
    "Int64 with NA": _frame(_COUNTS, "Int64").mask(_COUNTS == 3),
    "Float64": _frame(_COUNTS, "Float64"),
    "Float64 with NA": _frame(_COUNTS, "Float64").mask(_COUNTS == 3),
    "boolean": _frame(_COUNTS.astype(bool), "boolean"),
    "boolean with NA": _frame(_COUNTS.astype(bool), "boolean").mask(_COUNTS == 3),
    "category of numbers": _frame(_COUNTS, "category"),
    "category of str": _frame(_COUNTS.astype(str), "category"),
    "string": _frame(_COUNTS.astype(str), "string"),
    "object column of str": _frame(_COUNTS.astype(str), object),
    "datetime column": _frame(_TIMESTAMPS),
    "datetime column with a time zone": _frame(_TIMESTAMPS).apply(
        lambda column: column.dt.tz_localize("UTC")
    ),
    "timedelta column": _frame(_COUNTS.astype("timedelta64[s]")),
}


def _sgd_predicts(X):
    """Whether scikit-learn's SGDRegressor, fitted on numbers, predicts on ``X`` (its check
    and its product), and the float64 values it then multiplies."""
    from sklearn.linear_model import SGDRegressor
    from sklearn.utils import check_array

    columns = getattr(X, "columns", None)
    fitted_on = np.ones((4, 3)) if columns is None else _frame(np.ones((4, 3)))
    sgd = SGDRegressor(max_iter=5, tol=None).fit(fitted_on, np.arange(4.0))
    try:
        sgd.predict(X)
    except (ValueError, TypeError):
        return None
    values = np.asarray(check_array(X, dtype="numeric"), dtype=np.float64)
    return values if columns is None else _frame(values)


# what each refusal names: str or bytes, dates or durations, a missing value, complex numbers,
# a value that is not a number
_PROBLEM = r"bytes/strings|dates and durations|NaN|Complex|Timestamp|of type str"


def _refused_leaving_as_it_was(est, method, *args, **kwargs):
    before = pickle.loads(pickle.dumps(est))
    with pytest.raises((ValueError, TypeError), match=_PROBLEM):
        getattr(est, method)(*args, **kwargs)
    for name in ("n_features_in_", "feature_names_in_", "classes_", "t_", "n_iter_"):
        assert hasattr(est, name) == hasattr(before, name), name
        if hasattr(est, name):
            np.testing.assert_array_equal(getattr(est, name), getattr(before, name))
    if hasattr(before, "t_"):
        assert_same_state(est, before)


@pytest.mark.parametrize("kind", list(DENSE_KINDS))
def test_dense_x_of_any_dtype_is_taken_as_sgd_takes_it(kind):
    # a conversion to float64 parsed str and bytes and trained datetimes as counts of their
    # unit: scikit-learn's SGD models refuse to predict on either, nor on what a pandas column
    # of categories or time zones leaves as objects that are not numbers
    X_kind = DENSE_KINDS[kind]
    reference = _sgd_predicts(X_kind)
    fitted_on = _frame(_COUNTS.astype(float)) if hasattr(X_kind, "columns") else _COUNTS * 1.0
    clf = _clf().fit(fitted_on, _LABELS)
    reg = _reg().fit(fitted_on, _TARGETS)
    warm = _clf().partial_fit(fitted_on, _LABELS, classes=[0, 1])
    warm.partial_fit(fitted_on, _LABELS)  # the next call can take the per-call path
    exported = export_model(reg)
    if reference is None:
        for est in (clf, reg, warm):
            for method in ("predict", "decision_function", "predict_proba", "score"):
                if hasattr(est, method):
                    args = (X_kind, _LABELS) if method == "score" else (X_kind,)
                    _refused_leaving_as_it_was(est, method, *args)
        _refused_leaving_as_it_was(clf, "fit", X_kind, _LABELS)
        _refused_leaving_as_it_was(reg, "partial_fit", X_kind, _TARGETS)
        _refused_leaving_as_it_was(warm, "partial_fit", X_kind, _LABELS)
        fresh = _clf()
        _refused_leaving_as_it_was(fresh, "partial_fit", X_kind, _LABELS, classes=[0, 1])
        assert not hasattr(fresh, "coef_")
        cv = SparseFTRLClassifierCV(alphas=[1e-3], eta0s=[0.1])
        _refused_leaving_as_it_was(cv, "fit", X_kind, _LABELS)
        with pytest.raises((ValueError, TypeError), match=_PROBLEM):
            exported.predict(X_kind)
        return
    np.testing.assert_array_equal(clf.decision_function(X_kind), clf.decision_function(reference))
    np.testing.assert_array_equal(clf.predict_proba(X_kind), clf.predict_proba(reference))
    np.testing.assert_array_equal(reg.predict(X_kind), reg.predict(reference))
    np.testing.assert_array_equal(exported.predict(X_kind), reg.predict(reference))
    assert_same_state(_clf().fit(X_kind, _LABELS), _clf().fit(reference, _LABELS))
    assert_same_state(_reg().partial_fit(X_kind, _TARGETS), _reg().partial_fit(reference, _TARGETS))
    warm_reference = pickle.loads(pickle.dumps(warm))
    warm.partial_fit(X_kind, _LABELS)
    warm_reference.partial_fit(reference, _LABELS)
    assert_same_state(warm, warm_reference)


_THREADS_NEAR_THE_LIMIT = """
import ctypes, pickle, resource, sys
libc = ctypes.CDLL(None)
libc.mallopt(-3, 1 << 17)  # M_MMAP_THRESHOLD: large blocks unmapped when freed
libc.mallopt(-8, 1)  # M_ARENA_MAX: no thread's arena, whose reserved heap served past the limit
import numpy as np, scipy.sparse as sp
from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor

WIDTH, LONG = 2**21, 500_000  # a row of LONG non-zeros: each thread's scratch ~56-72 B each


def address_space():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))


def rows_of(kind):
    rows = 3 if kind == "one-vs-rest" else 40_000  # (threads training one model: 2+ chunks)
    short = (np.arange(rows - 1) % 1000).astype(np.int32)
    rng = np.random.default_rng(0)
    long_row = np.sort(rng.choice(WIDTH, LONG, replace=False)).astype(np.int32)
    indices = np.concatenate([short, long_row])
    indptr = np.concatenate([np.arange(rows), [rows - 1 + LONG]]).astype(np.int32)
    return rows, sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(rows, WIDTH))


made = {kind: rows_of(kind) for kind in ("one-vs-rest", "threads")}


def one_room(kind, room):  # a new model, and the limit set above the address space as it is now
    rows, X = made[kind]
    params = dict(state_store="dense", random_state=0, shuffle=False)
    if kind == "one-vs-rest":  # each class's model in a thread of its own
        y = np.arange(rows) % 3
        est = SparseFTRLClassifier(n_jobs=2, **params).partial_fit(X[:2], y[:2], classes=[0, 1, 2])
    else:  # threads training one model together
        y = np.arange(rows) % 3 * 0.5
        est = SparseFTRLRegressor(n_threads=2, **params).partial_fit(X[:2], y[:2])
    before = pickle.dumps(est.get_ftrl_state())
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + int(room * 56 * LONG), hard))
    try:
        est.partial_fit(X, y)
        raised = "trained"
    except MemoryError:
        raised = "MemoryError"
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    print(raised, pickle.dumps(est.get_ftrl_state()) == before, est.t_, flush=True)
"""
# the rooms sys.argv[2:] of kind sys.argv[1], in turn, in a process forked after the above
_ROOMS = "for room in sys.argv[2:]:\n    one_room(sys.argv[1], float(room))\n"


@pytest.fixture(scope="module")
def run_rooms():
    """Processes forked from one interpreter that imported the package and made both kinds'
    X (the imports cost ~2 s an interpreter) but trained in no thread: no earlier room's
    thread stacks are in them."""
    forks = ForkedPythons(_THREADS_NEAR_THE_LIMIT)
    yield lambda kind, rooms: forks.run(_ROOMS, kind, *map(str, rooms))
    forks.close()


@pytest.mark.xdist_group("near-the-memory-limit")  # (one forking interpreter for both cases)
@pytest.mark.parametrize(
    "kind, rooms, t, one_process",
    [
        ("one-vs-rest", [1.0, 1.4, 1.8, 2.4], 5, True),
        # each room in a process of its own: in one, the stacks of the threads an earlier room
        # started are cached, and room 2.6, where the threads' bug left rows trained, trains
        ("threads", [1.4, 2.0, 2.6, 3.2], 40_002, False),
    ],
)
def test_a_partial_fit_in_threads_meeting_a_memory_error_changes_nothing(
    kind, rooms, t, one_process, run_rooms
):
    # one-vs-rest models in threads (n_jobs) and threads training one model (n_threads) made
    # each thread's scratch as the thread began: a MemoryError for one left the rows the
    # others had trained in the state, t_ not counting them. Now every thread's arrays are
    # made before any trains (and a thread that cannot start leaves its rows to the others):
    # near the limit (rooms for 1 to 3 threads' scratch) a call raises with the model as it
    # was, or trains
    lines = []
    for group in [rooms] if one_process else [[room] for room in rooms]:
        done = run_rooms(kind, group)
        assert done.returncode == 0, done.stderr[-2000:]
        lines += done.stdout.splitlines()
    assert len(lines) == len(rooms), lines
    outcomes = []
    for room, line in zip(rooms, lines):
        raised, unchanged, t_after = line.split()
        assert (raised, unchanged, int(t_after)) in [
            ("MemoryError", "True", 2),
            ("trained", "False", t),
        ], room
        outcomes.append(raised)
    assert "MemoryError" in outcomes  # the limit was met


@pytest.mark.parametrize(
    "make, y", [(_reg, Y_REG), (_clf, Y_CLASS), (SparseFTRLClassifierCV, Y_CLASS)]
)
def test_masked_arrays_are_refused_and_an_unfitted_estimator_stays_unfitted(make, y):
    # (np.asarray drops the mask: a hidden 1e6 made the weights, a hidden label a class)
    est = make()
    for X_, y_ in [(_masked(X.toarray()), y), (X, _masked(y))]:
        with pytest.raises(TypeError, match="masked array"):
            est.fit(X_, y_)
        assert not hasattr(est, "n_features_in_")
    est.fit(X, y)
    with pytest.raises(TypeError, match="masked array as X"):
        est.predict(_masked(X.toarray()))


@pytest.mark.parametrize("make", [_clf, SparseFTRLClassifierCV])
def test_masked_classes_are_refused_by_a_first_partial_fit(make):
    # (a hidden label became a class of the model)
    est = make()
    hidden = np.ma.masked_array([0, 1, 2, 99], mask=[False, False, False, True])
    with pytest.raises(TypeError, match="masked array as classes"):
        est.partial_fit(X, Y_CLASS, classes=hidden)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize(
    "weight",
    [
        np.timedelta64(5, "s"),  # (NumPy's timedelta64 is an integer type: a weight of 5)
        np.datetime64("2020-01-01"),
        np.array([np.timedelta64(1, "s")] * 40, dtype=object),
    ],
    ids=["timedelta64", "datetime64", "object timedelta64"],
)
def test_durations_and_dates_as_sample_weight_are_refused(weight):
    est = _trained(_reg)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="sample_weight .*not numeric"):
        est.partial_fit(X, Y_REG, sample_weight=weight)
    assert pickle.dumps(est) == before


# the estimators and the CV grids, each with a target of its kind
EVERY_SCORER = pytest.mark.parametrize(
    "make, y",
    [
        (_reg, Y_REG),
        (_clf, Y_CLASS),
        (SparseFTRLClassifierCV, Y_CLASS),
        (SparseFTRLRegressorCV, Y_REG),
    ],
)


@EVERY_SCORER
def test_score_refuses_y_and_sample_weight_as_fit_does(make, y):
    # scikit-learn's score dropped the masks (a hidden weight of 1e6 decided the score) and
    # read text weights as the numbers they spell
    est = make().fit(X, y)
    weight = np.ones(X.shape[0])
    with pytest.raises(TypeError, match="masked array as sample_weight"):
        est.score(X, y, sample_weight=_masked(weight))
    with pytest.raises(TypeError, match="masked array as y"):
        est.score(X, _masked(y))
    with pytest.raises(ValueError, match="sample_weight of dtype <U.* is not numeric"):
        est.score(X, y, sample_weight=weight.astype(str))
    assert est.score(X, y, sample_weight=weight) == est.score(X, y)


@EVERY_SCORER
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_score_refuses_a_negative_or_non_finite_weight_as_fit_does(make, y, bad):
    # scikit-learn's metrics scored a negative weight: an accuracy of 2.0 with weights [-1, 2]
    # (NaN and infinity they refuse themselves, with these words: kept as fit's)
    est = make().fit(X, y)
    weight = np.ones(X.shape[0])
    weight[5] = bad
    said = {-1.0: "Negative values", np.inf: "contains infinity"}.get(bad, "contains NaN")
    with pytest.raises(ValueError, match=said):
        make().fit(X, y, sample_weight=weight)
    with pytest.raises(ValueError, match=said):
        est.score(X, y, sample_weight=weight)
    # weights of another length: that is said first, as fit says it
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.score(X, y, sample_weight=weight[:11])


@EVERY_SCORER
def test_score_refuses_an_int_beyond_float64_as_fit_does(make, y):
    # score raised NumPy's OverflowError, naming no argument, or (a classifier's accuracy)
    # weighed the rows by the exact int: 0.0 when that row was misclassified
    est = make().fit(X, y)
    with pytest.raises(ValueError, match=r"sample_weight holds an integer beyond float64"):
        est.score(X, y, sample_weight=_with_huge_int(np.ones(X.shape[0])))
    if not is_classifier(est):
        with pytest.raises(ValueError, match=r"y holds an integer beyond float64"):
            est.score(X, _with_huge_int(y))
    assert est.score(X, y, sample_weight=np.ones(X.shape[0], dtype=object)) == est.score(X, y)


@pytest.mark.parametrize("make", [_reg, SparseFTRLRegressorCV])
@pytest.mark.parametrize("bad", [np.nan, np.inf, None])
def test_score_names_y_for_nan_and_infinity_as_fit_does(make, bad):
    # scikit-learn's R² said "Input contains NaN" (and infinity), naming no argument
    est = make().fit(X, Y_REG)
    y = Y_REG.astype(object if bad is None else np.float64)
    y[3] = bad
    for call in (lambda: make().fit(X, y), lambda: est.score(X, y)):
        with pytest.raises(ValueError, match="Input y contains"):
            call()


def test_pandas_na_in_sample_weight_is_named_as_missing():
    # it was "a value of type NAType, which is not numeric: ... would read it as a number"
    est = _trained(_reg)
    before = pickle.dumps(est)
    weight = pd.Series([1.0] * 39 + [pd.NA], dtype=object)
    with pytest.raises(ValueError, match="sample_weight holds pandas.NA \\(a missing value\\)"):
        est.partial_fit(X, Y_REG, sample_weight=weight)
    assert pickle.dumps(est) == before


@pytest.mark.parametrize("value", [1 + 2j, np.complex128(1 + 0j)])
def test_complex_numbers_among_object_weights_are_refused_naming_them(value):
    # NumPy's float() raised "float() argument must be a string or a real number"
    est = _trained(_reg)
    before = pickle.dumps(est)
    weight = np.ones(X.shape[0], dtype=object)
    weight[1] = value
    with pytest.raises(ValueError, match="sample_weight holds a complex number"):
        est.partial_fit(X, Y_REG, sample_weight=weight)
    assert pickle.dumps(est) == before
