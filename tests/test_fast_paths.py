"""The per-call fast paths (issue #16) give what the full checks give, and refuse what they refuse.

After a ``partial_fit`` that passed every check, the next calls skip the checks whose outcome
cannot have changed (parameters compared value by value and type by type, the classes, the
width); a CSR batch or row whose content needs a check or a conversion goes the full way.
Each test here fails if a fast path trusts something it should not: a parameter changed
since, a label the full checks refuse, a batch that needs converting, or a different model.
"""

import pickle
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.utils._param_validation import InvalidParameterError

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.export import export_model

from .interruptions import _at_kth, _ours
from .state_helpers import dense_state, intercept_state

RNG = np.random.RandomState(7)
X = sp.random(60, 30, density=0.2, format="csr", random_state=RNG, dtype=np.float64)
Y_REG = RNG.normal(size=60)
Y_BIN = (RNG.uniform(size=60) > 0.5).astype(np.float64)
Y_MULTI = np.arange(60) % 3
WEIGHTS = RNG.uniform(0.5, 2.0, size=60)


def _targets(est, kind):
    if isinstance(est, SparseFTRLRegressor):
        return Y_REG
    return Y_MULTI if kind == "multi" else Y_BIN


def _classes(est, y):
    return {} if isinstance(est, SparseFTRLRegressor) else {"classes": np.unique(y)}


def _same_model(a, b):
    np.testing.assert_array_equal(dense_state(a), dense_state(b))
    np.testing.assert_array_equal(intercept_state(a), intercept_state(b))
    assert a.t_ == b.t_


MODELS = [
    pytest.param(SparseFTRLRegressor, "reg", id="regressor"),
    pytest.param(SparseFTRLClassifier, "binary", id="binary"),
    pytest.param(SparseFTRLClassifier, "multi", id="multiclass"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("Est, kind", MODELS)
def test_a_stream_of_single_rows_equals_one_call_on_all_rows(Est, kind, store, weighted):
    """FTRL counts rows, not calls: with shuffle=False, one row per call gives the model of one
    call on every row, to the bit (the calls after the first take the fast path)."""
    whole = Est(shuffle=False, state_store=store, random_state=0)
    y = _targets(whole, kind)
    sw = WEIGHTS if weighted else None
    whole.partial_fit(X, y, sample_weight=sw, **_classes(whole, y))
    stream = Est(shuffle=False, state_store=store, random_state=0)
    for i in range(X.shape[0]):
        stream.partial_fit(
            X[i : i + 1],
            y[i : i + 1],
            sample_weight=None if sw is None else sw[i : i + 1],
            **(_classes(stream, y) if i == 0 else {}),
        )
    _same_model(stream, whole)
    np.testing.assert_array_equal(stream.predict(X), whole.predict(X))


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("Est, kind", MODELS)
def test_shuffled_batches_after_the_first_equal_the_same_calls_checked_in_full(Est, kind, store):
    """The fast path draws the shuffling from the same generator: a stream of shuffled batches
    equals the same stream with each call going the full way (rows given as lists are never
    plain, so they take the checked path), as CSR batches and as small dense arrays (taken
    by the fast path as the CSR of their non-zeros)."""
    fast = Est(state_store=store, random_state=3)
    dense = Est(state_store=store, random_state=3)
    checked = Est(state_store=store, random_state=3)
    y = _targets(fast, kind)
    for start in range(0, 60, 20):
        rows = slice(start, start + 20)
        extra = _classes(fast, y) if start == 0 else {}
        fast.partial_fit(X[rows], y[rows], **extra)
        dense.partial_fit(X[rows].toarray(), y[rows], **extra)
        checked.partial_fit(X[rows].toarray().tolist(), y[rows], **extra)
    _same_model(fast, checked)
    _same_model(dense, checked)


@pytest.mark.parametrize("Est, kind", MODELS)
def test_narrow_dense_rows_one_per_call_equal_the_same_rows_checked_in_full(Est, kind):
    """Eight dense columns, some values 0, one row per call: dense arrays (the fast path, as
    the CSR of their non-zeros) and lists (the full path, trained as dense rows) give the
    same model, to the bit, and so do their predictions of every row."""
    rng = np.random.default_rng(5)
    D = rng.normal(size=(40, 8))
    D[rng.random((40, 8)) < 0.3] = 0.0
    fast, checked = Est(random_state=1), Est(random_state=1)
    y = _targets(fast, kind)[:40]
    for i in range(40):
        extra = _classes(fast, y) if i == 0 else {}
        fast.partial_fit(D[i : i + 1], y[i : i + 1], **extra)
        checked.partial_fit(D[i : i + 1].tolist(), y[i : i + 1], **extra)
    _same_model(fast, checked)
    np.testing.assert_array_equal(fast.predict(D), checked.predict(D.tolist()))


def test_a_float32_exports_intercept_changed_in_place_is_read_by_every_path():
    """``intercept_ += log(rate)`` after negative downsampling: CSR and small dense rows (the
    compiled pass, which reads float32 intercepts as float64) score with the new intercept,
    as rows given as lists (the full path) do."""
    exported = export_model(SparseFTRLClassifier(random_state=0).fit(X.astype(np.float32), Y_BIN))
    rows = X[:5]
    exported.decision_function(rows)  # (a first call, which a cache would have kept)
    exported.intercept_ += 10
    expected = exported.decision_function(rows.toarray().tolist())
    for form in (rows, rows.toarray()):
        np.testing.assert_array_equal(exported.decision_function(form), expected)


def _warm(Est=SparseFTRLClassifier, **params):
    est = Est(random_state=0, **params)
    y = Y_MULTI if isinstance(est, SparseFTRLClassifier) else Y_REG
    est.partial_fit(X[:20], y[:20], **_classes(est, y))
    est.partial_fit(X[20:40], y[20:40])  # a fast call: the next one starts from a warm path
    return est, y


def _set(**params):
    return lambda est: est.set_params(**params)


def _assign(name, value):
    return lambda est: setattr(est, name, value)


def _mutate_class_weight(est):
    est.class_weight[0] = -1.0


CHANGES = [
    ("negative alpha", {}, _set(alpha=-1.0), InvalidParameterError, "'alpha'"),
    (
        "fit_intercept=1, equal to True",
        {},
        _set(fit_intercept=1),
        InvalidParameterError,
        "'fit_intercept'",
    ),
    ("eta0 of numpy 0.0", {}, _set(eta0=np.float64(0.0)), InvalidParameterError, "'eta0'"),
    ("beta assigned directly", {}, _assign("beta", 0.0), InvalidParameterError, "'beta'"),
    ("penalty assigned directly", {}, _assign("penalty", "l3"), InvalidParameterError, "'penalty'"),
    ("early_stopping", {}, _set(early_stopping=True), ValueError, "early_stopping"),
    (
        "class_weight mutated in place",
        {"class_weight": {0: 1.0, 1: 1.0, 2: 1.0}},
        _mutate_class_weight,
        ValueError,
        "class_weight values",
    ),
    ("balanced class_weight", {}, _set(class_weight="balanced"), ValueError, "balanced"),
    (
        "inclusion with the dense store",
        {"state_store": "dense"},
        _set(inclusion="poisson"),
        ValueError,
        "sparse state store",
    ),
]


@pytest.mark.parametrize(
    "params, change, error, match", [pytest.param(*case[1:], id=case[0]) for case in CHANGES]
)
def test_a_parameter_changed_after_warm_calls_is_still_validated(params, change, error, match):
    est, y = _warm(**params)
    before = pickle.dumps(est)
    change(est)
    with pytest.raises(error, match=match):
        est.partial_fit(X[40:41], y[40:41])
    _same_model(est, pickle.loads(before))


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
def test_a_valid_parameter_change_after_warm_calls_takes_effect(Est, store):
    """The next call trains with the new parameters: it equals an estimator built with them
    from the same state (set_ftrl_state, whose first call is checked in full)."""
    est, y = _warm(Est, state_store=store)
    reference = Est(random_state=0, state_store=store, alpha=0.05, eta0=0.7, fit_intercept=False)
    with pytest.warns(UserWarning, match="estimator with alpha=0.0001, eta0=0.1, fit_inter"):
        reference.set_ftrl_state(est.get_ftrl_state())
    est.set_params(alpha=0.05, eta0=0.7, fit_intercept=False)
    est.partial_fit(X[40:], y[40:])
    reference.partial_fit(X[40:], y[40:])
    _same_model(est, reference)
    np.testing.assert_array_equal(est.predict(X), reference.predict(X))


def test_labels_the_full_checks_refuse_are_refused_after_warm_calls():
    # a float label that is not an integer is a continuous target: refused as a class too,
    # as SGDClassifier refuses it (a model of the class 0.5 had no label to train it on)
    with pytest.raises(ValueError, match="not integral"):
        SparseFTRLClassifier().partial_fit(X[:10], np.ones(10), classes=[0.5, 1.0, 2.0])
    clf = SparseFTRLClassifier(random_state=0)
    clf.partial_fit(X[:10], np.ones(10), classes=[0.0, 1.0, 2.0])
    clf.partial_fit(X[10:20], np.full(10, 2.0))
    before = pickle.dumps(clf)
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.partial_fit(X[20:21], np.array([0.5]))
    with pytest.raises(ValueError, match="labels not in classes"):
        clf.partial_fit(X[20:21], np.array([3.0]))
    with pytest.raises(ValueError, match="NaN"):
        clf.partial_fit(X[20:21], np.array([np.nan]))
    _same_model(clf, pickle.loads(before))

    big = SparseFTRLClassifier(random_state=0)
    big.partial_fit(X[:10], np.zeros(10, dtype=np.int64), classes=np.array([0, 2**53]))
    big.partial_fit(X[10:20], np.zeros(10, dtype=np.int64))
    # 2**53 + 1 is not a class, though as a float64 it rounds to one
    with pytest.raises(ValueError, match="labels not in classes"):
        big.partial_fit(X[20:21], np.array([2**53 + 1]))


def test_the_many_labels_warning_comes_after_warm_calls_as_on_the_full_path():
    """More distinct labels than half a batch's rows (over 20 rows) warn on every call, as the
    full checks do, with fewer than 21 classes as well."""
    y = np.arange(60) % 15
    clf = SparseFTRLClassifier(random_state=0)
    clf.partial_fit(X[:3], y[:3], classes=np.arange(15))
    clf.partial_fit(X[3:6], y[3:6])
    for batch in (y[6:27], list(y[6:27])):  # an array (the fast path's) and a list (never)
        with pytest.warns(UserWarning, match="greater than 50%"):
            clf.partial_fit(X[6:27], batch)


def test_parameters_taken_unchecked_are_checked_once_validation_is_back_on():
    """A call under skip_parameter_validation leaves nothing the next calls trust: with the
    checks back on, they refuse the invalid parameter, as a new estimator does."""
    est = SparseFTRLRegressor(alpha=-1.0, random_state=0)
    with config_context(skip_parameter_validation=True):
        est.partial_fit(X[:10], Y_REG[:10])
        est.partial_fit(X[10:11], Y_REG[10:11])
    t = est.t_
    with pytest.raises(InvalidParameterError, match="'alpha'"):
        est.partial_fit(X[11:12], Y_REG[11:12])
    assert est.t_ == t
    # valid ones, checked or not, train as a new estimator does
    skipped, checked = SparseFTRLRegressor(random_state=0), SparseFTRLRegressor(random_state=0)
    with config_context(skip_parameter_validation=True):
        skipped.partial_fit(X[:10], Y_REG[:10])
    checked.partial_fit(X[:10], Y_REG[:10])
    for est in (skipped, checked):
        for row in range(10, 20):
            est.partial_fit(X[row : row + 1], Y_REG[row : row + 1])
    _same_model(skipped, checked)


@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_weights_the_full_checks_refuse_are_refused_after_warm_calls(Est, dtype):
    # all zeros (scikit-learn's "at least one non-zero number", as SGD's partial_fit) and
    # a negative weight: refused after warm calls as on a first call, the model unchanged
    y = Y_REG if Est is SparseFTRLRegressor else Y_BIN
    est = Est(random_state=0)
    with pytest.raises(ValueError, match="at least one non-zero"):
        est.partial_fit(X[:10], y[:10], sample_weight=np.zeros(10, dtype=dtype))
    est.partial_fit(X[:10], y[:10], **_classes(est, y))
    est.partial_fit(X[10:20], y[10:20], sample_weight=WEIGHTS[10:20])
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="at least one non-zero"):
        est.partial_fit(X[20:30], y[20:30], sample_weight=np.zeros(10, dtype=dtype))
    with pytest.raises(ValueError, match="[Nn]egative"):
        est.partial_fit(X[20:30], y[20:30], sample_weight=-np.ones(10, dtype=dtype))
    _same_model(est, pickle.loads(before))
    assert est.t_ == 20


def test_all_zero_weights_are_refused_without_scikit_learns_own_check(monkeypatch):
    # scikit-learn refuses them from 1.9 on; 1.6-1.8, which the package supports, did not
    import sparsereg._base as base

    def check_before_1_9(sample_weight, X, dtype=None, ensure_non_negative=False):
        return np.asarray(sample_weight, dtype=dtype)

    monkeypatch.setattr(base, "_check_sample_weight", check_before_1_9)
    est = SparseFTRLRegressor(random_state=0)
    for call in (est.fit, est.partial_fit):
        with pytest.raises(ValueError, match="at least one non-zero"):
            call(X[:10], Y_REG[:10], sample_weight=np.zeros(10))
    assert not hasattr(est, "coef_")


def test_classes_given_on_every_call():
    every = SparseFTRLClassifier(random_state=0, shuffle=False)
    once = SparseFTRLClassifier(random_state=0, shuffle=False)
    for start in range(0, 60, 15):
        rows = slice(start, start + 15)
        every.partial_fit(X[rows], Y_MULTI[rows], classes=[0, 1, 2])
        once.partial_fit(X[rows], Y_MULTI[rows], **({"classes": [0, 1, 2]} if start == 0 else {}))
    every.partial_fit(X[:5], Y_MULTI[:5], classes=[2, 0, 1])  # the same classes, in any order
    once.partial_fit(X[:5], Y_MULTI[:5])
    _same_model(every, once)
    with pytest.raises(ValueError, match="not the same as on the first call"):
        every.partial_fit(X[:5], Y_MULTI[:5], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        every.partial_fit(X[:5], Y_MULTI[:5], classes=[0, 1])


@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
def test_a_batch_with_repeated_columns_after_warm_calls_means_their_sum(Est):
    """A row repeating a column is not plain: it goes the full way, which sums duplicates."""
    est, y = _warm(Est)
    twin = pickle.loads(pickle.dumps(est))
    rows = X[40:50]
    data, indices = [], []
    for i in range(rows.shape[0]):  # each row's entries twice, each with half its value
        part = slice(rows.indptr[i], rows.indptr[i + 1])
        data += [rows.data[part] / 2] * 2
        indices += [rows.indices[part]] * 2
    doubled = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), 2 * rows.indptr), shape=rows.shape
    )
    assert doubled.nnz == 2 * rows.nnz
    est.partial_fit(doubled, y[40:50])
    twin.partial_fit(sp.csr_matrix(doubled.toarray()), y[40:50])
    _same_model(est, twin)


def _nan_csr():
    A = X[:3].copy()
    A.data = A.data.copy()
    A.data[1] = np.nan
    return A


def _out_of_range_csr():
    A = X[:3].copy()
    A.indices = A.indices.copy()
    A.indices[0] = 30
    return A


@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
@pytest.mark.parametrize("exported", [False, True])
def test_prediction_refuses_on_a_fitted_model_what_the_full_checks_refuse(Est, exported):
    est, _ = _warm(Est)
    model = export_model(est) if exported else est
    with pytest.raises(ValueError, match="NaN"):
        model.predict(_nan_csr())
    with pytest.raises(ValueError, match="indices must lie"):
        model.predict(_out_of_range_csr())
    with pytest.raises(ValueError, match="0 sample"):
        model.predict(sp.csr_matrix((0, 30)))
    with pytest.raises(ValueError, match="features"):
        model.predict(sp.csr_matrix((2, 29)))
    # a small dense array takes the per-call path as the CSR of its non-zeros
    for bad in (np.nan, np.inf, -np.inf):
        dense = X[:3].toarray()
        dense[1, 4] = bad
        with pytest.raises(ValueError, match="NaN" if bad != bad else "infinity"):
            model.predict(dense)
    with pytest.raises(ValueError, match="0 sample"):
        model.predict(np.zeros((0, 30)))
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 29)))


@pytest.mark.parametrize("Est, kind", MODELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predictions_on_csr_equal_those_on_the_same_rows_checked_in_full(Est, kind, dtype):
    """A plain CSR and a small C-ordered dense array (fast path), a csr_array, float32
    values, and rows given as lists or a Fortran-ordered array (full checks) give the same
    scores, for the estimator and its export, and for a model trained on float32 values
    (float32 weights and intercepts, which the fast path reads as float64)."""
    est = Est(random_state=0)
    y = _targets(est, kind)
    est.fit(X.astype(dtype), y)
    assert est.coef_.dtype == dtype
    exported = export_model(est)
    methods = ["predict"] + (
        ["decision_function", "predict_proba"] if isinstance(est, SparseFTRLClassifier) else []
    )
    for method in methods:
        expected = getattr(est, method)(X.toarray().tolist())
        dense = X.toarray()
        for rows in (X, sp.csr_array(X), dense, np.asfortranarray(dense)):
            np.testing.assert_array_equal(getattr(est, method)(rows), expected)
            np.testing.assert_array_equal(getattr(exported, method)(rows), expected)
        as32 = X.astype(np.float32)
        for rows32 in (as32.toarray(), np.asfortranarray(as32.toarray())):
            np.testing.assert_array_equal(getattr(est, method)(as32), getattr(est, method)(rows32))
        for i in (0, 17):  # one row at a time
            for rows in (X[i : i + 1], dense[i : i + 1]):
                np.testing.assert_array_equal(getattr(exported, method)(rows), expected[i : i + 1])
                np.testing.assert_array_equal(getattr(est, method)(rows), expected[i : i + 1])


def test_pickled_mid_stream_the_fast_path_resumes_identically():
    est, y = _warm(SparseFTRLClassifier)
    copy = pickle.loads(pickle.dumps(est))
    for i in range(40, 60):
        est.partial_fit(X[i : i + 1], y[i : i + 1])
        copy.partial_fit(X[i : i + 1], y[i : i + 1])
    _same_model(est, copy)


@pytest.mark.parametrize("width", [2**12, 2**24])  # bulk layouts: dense weights, hash table
@pytest.mark.parametrize("n_classes", [2, 3])
def test_bulk_prediction_equals_prediction_in_small_calls(width, n_classes):
    """Small calls look the listed columns up by binary search until a larger call makes
    another layout (a dense array of the weights, or a hash table past
    DENSE_LOOKUP_BYTES), which every call uses from then on: the same scores and
    probabilities to the bit, for the sparse store and the export, in calls of 25 rows
    before the first bulk call and after it."""
    rng = np.random.RandomState(1)
    # columns seen often enough to weigh; Generator.choice samples 400 of 2**24 without
    # permuting all 2**24 as RandomState.choice does (4 s)
    popular = np.random.default_rng(1).choice(width, size=400, replace=False)
    picks = np.sort(rng.choice(400, size=(1500, 20)), axis=1)
    rows = sp.csr_matrix(
        (rng.uniform(0.5, 1.5, size=30000), popular[picks].ravel(), np.arange(0, 30001, 20)),
        shape=(1500, width),
    )
    rows.sum_duplicates()
    labels = rng.randint(n_classes, size=1500)
    est = SparseFTRLClassifier(state_store="sparse", alpha=1e-5, random_state=0).fit(rows, labels)
    methods = ("decision_function", "predict_proba", "predict")

    def in_small_calls(model, method):
        return np.concatenate(
            [getattr(model, method)(rows[i : i + 25]) for i in range(0, 1500, 25)]
        )

    for model in (est, export_model(est)):
        searched = {method: in_small_calls(model, method) for method in methods}
        for method in methods:
            np.testing.assert_array_equal(getattr(model, method)(rows), searched[method])
            np.testing.assert_array_equal(in_small_calls(model, method), searched[method])


def test_probabilities_are_expit_of_the_margins_to_the_bit():
    """predict_proba (one compiled pass for a binary log-loss model) gives scipy's expit of
    the decision function, also far in the tails."""
    from scipy.special import expit

    rng = np.random.RandomState(2)
    rows = sp.random(3000, 50, density=0.3, format="csr", random_state=rng)
    labels = (rows @ rng.normal(size=50) > 0).astype(int)
    est = SparseFTRLClassifier(alpha=1e-6, eta0=2.0, random_state=0).fit(rows, labels)
    for scale in (1.0, 30.0, 1e3):
        scaled = rows * scale
        margins = est.decision_function(scaled)
        assert np.abs(margins).max() > (30 if scale > 1 else 0)
        expected = np.column_stack([1.0 - expit(margins), expit(margins)])
        for model in (est, export_model(est)):
            np.testing.assert_array_equal(model.predict_proba(scaled), expected)


@pytest.mark.parametrize("Est, kind", MODELS)
def test_the_nonzero_history_of_a_wide_dense_fit_counts_every_column(Est, kind):
    """A new dense state is counted over the columns of X only: the counts are those of the
    sparse store (which counts every column it holds) and of count_nonzero."""
    rng = np.random.RandomState(3)
    wide = sp.random(300, 5000, density=0.002, format="csr", random_state=rng)
    y = {
        "reg": rng.normal(size=300),
        "binary": rng.randint(2, size=300),
        "multi": rng.randint(3, size=300),
    }[kind]
    fits = [
        Est(state_store=store, alpha=1e-6, max_iter=4, tol=None, random_state=0).fit(wide, y)
        for store in ("dense", "sparse")
    ]
    assert fits[0].nnz_history_ == fits[1].nnz_history_
    assert len(fits[0].nnz_history_) == 4
    assert fits[0].nnz_history_[-1] == (fits[0].t_, tuple(fits[0].count_nonzero()))
    assert sum(fits[0].nnz_history_[-1][1]) > 0


def _summed_in_order(rows, w, b):
    """Each row's products ``x * w[column]`` added up in the order given, then ``+ b``: the
    literal loop of the scoring kernel (no fused multiply-add: the kernel is built without)."""
    out = []
    for i in range(rows.shape[0]):
        acc = 0.0
        for k in range(rows.indptr[i], rows.indptr[i + 1]):
            acc += float(rows.data[k]) * float(w[rows.indices[k]])
        out.append(acc + b)
    return np.array(out)


@pytest.mark.parametrize("Est", [SparseFTRLRegressor, SparseFTRLClassifier])
def test_one_models_scores_sum_each_canonical_row_in_column_order(Est):
    """One model's scores (the estimator's weights, one per column; its export's in a dense
    array once a call of 32 rows or more has made it) are each row's products added in the
    order of its columns, plus the intercept, to the bit (a literal loop). A row given with its
    entries in another order, or with an entry split in two, is the same row: its score is the
    canonical row's, not the sum in the order given (with values of very different sizes the
    order changes the sum)."""
    rng = np.random.RandomState(3)
    n_rows, n_cols, per_row = 600, 40, 8
    columns = np.sort(np.argsort(rng.uniform(size=(n_rows, n_cols)), axis=1)[:, :per_row], axis=1)
    values = rng.normal(size=(n_rows, per_row)) * 10.0 ** rng.uniform(-6, 6, size=(n_rows, per_row))
    indptr = np.arange(0, n_rows * per_row + 1, per_row)
    canonical = sp.csr_matrix((values.ravel(), columns.ravel(), indptr), shape=(n_rows, n_cols))
    data, indices, lengths = [], [], []
    for i in range(n_rows):  # entries shuffled, the first split into two halves
        order = rng.permutation(per_row)
        v, c = values[i, order], columns[i, order]
        data.append(np.concatenate([[v[0] / 2], v[1:], [v[0] / 2]]))
        indices.append(np.concatenate([c, [c[0]]]))
        lengths.append(per_row + 1)
    given = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.concatenate([[0], np.cumsum(lengths)])),
        shape=(n_rows, n_cols),
    )
    signal = np.sign(canonical @ rng.normal(size=n_cols))
    y = signal if Est is SparseFTRLRegressor else (signal > 0).astype(int)
    est = Est(alpha=1e-6, random_state=0).fit(canonical, y)
    w, b = np.ravel(est.coef_), float(np.ravel(est.intercept_)[0])
    assert np.count_nonzero(w) > n_cols // 2
    expected = _summed_in_order(canonical, w, b)
    assert np.any(_summed_in_order(given, w, b) != expected)  # the order given would differ
    method = "predict" if Est is SparseFTRLRegressor else "decision_function"
    for model in (est, export_model(est)):
        np.testing.assert_array_equal(getattr(model, method)(canonical), expected)
        np.testing.assert_array_equal(getattr(model, method)(given), expected)


_SCORED = {}


def _scored_model(Est):
    """A fitted one-model estimator of 20 columns and its export (made once per class)."""
    if Est not in _SCORED:
        rng = np.random.RandomState(5)
        X_fit = sp.random(200, 20, density=0.4, format="csr", random_state=rng)
        y = X_fit @ rng.normal(size=20)
        target = y if Est is SparseFTRLRegressor else (y > 0).astype(int)
        est = Est(alpha=1e-6, random_state=0).fit(X_fit, target)
        _SCORED[Est] = (est, export_model(est))
    return _SCORED[Est]


_VALUES = st.one_of(
    st.floats(-1e3, 1e3, allow_subnormal=True),
    # sizes far apart (sums that depend on their order), overflow, subnormal, not finite
    st.sampled_from([1.0, 1e16, -1e16, 0.0, -0.0, 1e308, -1e308, 1e-320, np.inf, -np.inf, np.nan]),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.lists(st.tuples(st.integers(-2, 21), _VALUES), max_size=6), min_size=1, max_size=40
    ),
    value_type=st.sampled_from([np.float64, np.float32]),
    index_type=st.sampled_from([np.int32, np.int64]),
    Est=st.sampled_from([SparseFTRLRegressor, SparseFTRLClassifier]),
)
def test_one_models_scores_of_any_csr_are_the_literal_sums_or_a_refusal(
    rows, value_type, index_type, Est
):
    """Any CSR given as raw arrays (columns in any order, repeated, out of range; values
    NaN, infinite, huge or subnormal): a value not finite or a column out of range is
    refused with the full checks' message, by the estimator and its export (from 32 rows on,
    with its weights in a dense array); any other row scores as the literal sum over its
    canonical row (scipy's sum of duplicates, columns in order) plus the intercept, to the
    bit, overflows to infinity included."""
    est, exported = _scored_model(Est)
    indptr = np.cumsum([0] + [len(r) for r in rows]).astype(index_type)
    columns = np.array([c for r in rows for c, _ in r], dtype=index_type)
    values = np.array([v for r in rows for _, v in r], dtype=value_type)
    X = sp.csr_matrix((values, columns, indptr), shape=(len(rows), 20))
    method = "predict" if Est is SparseFTRLRegressor else "decision_function"
    if not np.all(np.isfinite(values)):  # checked first, by scikit-learn's validate_data
        match = "NaN|infinity"
    elif columns.size and (columns.min() < 0 or columns.max() >= 20):
        match = "column indices must lie in"
    else:
        match = None
    canonical = X.copy()
    if match is None:
        canonical.sum_duplicates()
        w, b = np.ravel(est.coef_), float(np.ravel(est.intercept_)[0])
        with np.errstate(over="ignore", invalid="ignore"):
            expected = _summed_in_order(canonical, w, b)
    for model in (est, exported):
        if match is not None:
            with pytest.raises(ValueError, match=match):
                getattr(model, method)(X)
        else:
            np.testing.assert_array_equal(getattr(model, method)(X), expected)


def test_a_batch_given_other_values_during_a_warm_call_is_trained_as_checked():
    """Another thread's ``X.data = ...`` during a warm call (here at each function entry of
    the package, in turn): the batch is trained as it was checked, or refused. The fast path
    checked X's arrays, then trained on those X held when the kernel started (NaN values
    trained: a model of NaN weights)."""
    batch, y = X[20:30], Y_REG[20:30]

    def warm():
        est = SparseFTRLRegressor(random_state=0)
        est.partial_fit(X[:10], Y_REG[:10])
        est.partial_fit(X[10:20], Y_REG[10:20])
        return est

    expected = warm().partial_fit(batch, y)
    reached = True
    for k in range(1, 400):
        if not reached:
            break
        est, changing = warm(), batch.copy()

        def give_nan(frame, event, changing=changing):
            changing.data = np.full_like(changing.data, np.nan)

        tracer = _at_kth(k, lambda frame, event: event == "call" and _ours(frame), give_nan)
        sys.settrace(tracer)
        try:
            est.partial_fit(changing, y)
        except ValueError:
            assert est.t_ == 20
            continue
        finally:
            sys.settrace(None)
            reached = tracer.reached
        _same_model(est, expected)
    assert not reached  # (every entry of the call was reached)


@pytest.mark.parametrize("method", ["decision_function", "predict_proba"])
def test_rows_given_other_columns_during_a_prediction_are_scored_as_read(method):
    """Another thread's ``X.indices = ...`` during a prediction of a wide model just changed
    (here at each function entry of the package, in turn): the rows are scored as X held
    them before or after, or refused. The weights of the rows' columns were computed from X
    read once, the rows scored from X read again: the new columns, without a weight, scored
    as 0 (the intercept's score alone)."""
    n = 2**15
    rng = np.random.RandomState(0)
    dense_part = sp.random(200, 10, density=0.8, random_state=rng)
    wide = sp.hstack([dense_part, sp.random(200, n - 10, density=0.002, random_state=rng)])
    wide, y = wide.tocsr(), (rng.uniform(size=200) > 0.5).astype(int)
    row = sp.csr_matrix((np.ones(3), np.array([1, 2, 3]), np.array([0, 3])), shape=(1, n))
    other = np.array([4, 5, 6], dtype=row.indices.dtype)

    fitted = pickle.dumps(SparseFTRLClassifier(penalty=None, random_state=0).fit(wide, y))

    def changed_model():
        # a copy of the model fitted once, then changed
        return pickle.loads(fitted).partial_fit(wide[:5], y[:5])  # (no weights computed since)

    reference = changed_model()
    before = getattr(reference, method)(row)
    after = getattr(reference, method)(sp.csr_matrix((row.data, other, row.indptr), shape=(1, n)))
    assert not np.allclose(before, after)
    reached = True
    for k in range(1, 200):
        if not reached:
            break
        est, changing = changed_model(), row.copy()

        def give_other_columns(frame, event, changing=changing):
            changing.indices = other.copy()

        tracer = _at_kth(
            k, lambda frame, event: event == "call" and _ours(frame), give_other_columns
        )
        sys.settrace(tracer)
        try:
            got = getattr(est, method)(changing)
        finally:
            sys.settrace(None)
            reached = tracer.reached
        assert np.allclose(got, before) or np.allclose(got, after), k
    assert not reached
