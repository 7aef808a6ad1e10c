"""Calls on one estimator from two threads behave as if they ran one after the other.

Each test runs the calls serially first, in every order the race allows, and then races them;
the raced result must be one of the serial ones, to the bit. (The training kernel runs without
the GIL: a reader used to compute weights from a state half-way through another thread's
``partial_fit``, and ``set_params`` landed in the middle of a call.)
"""

import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import is_classifier

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
    export_model,
)

N_FEATURES = 1000


def rows(rng, n_rows, per_row=20):
    """``(X, y)``: ``per_row`` distinct random columns a row, one in each band of the width
    (made directly: ``sp.random`` with a RandomState permutes every cell of the matrix)."""
    band = N_FEATURES // per_row
    columns = rng.randint(0, band, size=(n_rows, per_row)) + np.arange(per_row) * band
    X = sp.csr_matrix(
        (rng.normal(size=n_rows * per_row), columns.ravel(), np.arange(n_rows + 1) * per_row),
        shape=(n_rows, N_FEATURES),
    )
    return X, X @ rng.normal(size=N_FEATURES) + rng.normal(size=n_rows)


def in_thread(call, *args):
    errors = []

    def run():
        try:
            call(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def model_of(est, Xt):
    """Everything a reader may take from the estimator, as bytes (each read is a call of
    its own: coef_ and intercept_, read one after the other, may be two states')."""
    coef = est.coef_
    coef = coef.toarray() if sp.issparse(coef) else coef
    exported = export_model(est)
    return (
        est.predict(Xt).tobytes(),
        coef.tobytes(),
        est.intercept_.tobytes(),
        int(est.count_nonzero()[0]),
        exported.coef_.toarray().tobytes() + exported.intercept_.tobytes(),
    )


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_reads_during_partial_fit_give_a_state_some_call_committed(store):
    rng = np.random.RandomState(0)
    batches = [rows(rng, 20_000) for _ in range(8)]
    Xt = rows(rng, 200)[0]
    serial = SparseFTRLRegressor(random_state=0, state_store=store)
    committed = []
    for X, y in batches:
        committed.append(model_of(serial.partial_fit(X, y), Xt))
    est = SparseFTRLRegressor(random_state=0, state_store=store).partial_fit(*batches[0])
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            seen.append(model_of(est, Xt))

    reader, errors = in_thread(read)
    for X, y in batches[1:]:
        est.partial_fit(X, y)
    stop.set()
    reader.join()
    assert not errors
    assert seen
    for got in seen:  # predictions, coef_ and intercept_, count, export: one state's each
        names = ["predict", "coef_", "intercept_", "count_nonzero", "export_model"]
        for part, name in enumerate(names):
            assert got[part] in [c[part] for c in committed], name


def test_predict_during_fits_that_change_the_classes_uses_one_model():
    # (500 rows: a fit of 2,000 took ~0.12 s, and the race is at each fit's commit of the new
    # classes and weights, not during its epochs: more fits, and commits, in the same second)
    rng = np.random.RandomState(0)
    X = rows(rng, 500)[0]
    three, two = rng.randint(0, 3, size=500), np.where(rng.rand(500) > 0.5, 7, 8)
    Xt = rows(rng, 100)[0]
    clf = SparseFTRLClassifier(random_state=0).fit(X, three)
    labels, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            labels.append(set(clf.predict(Xt).tolist()))
            proba = clf.predict_proba(Xt)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    reader, errors = in_thread(read)
    start = time.monotonic()
    fits = 0
    while time.monotonic() - start < 1.0 or fits < 20:
        clf.fit(X, two if fits % 2 else three)
        fits += 1
    stop.set()
    reader.join()
    assert not errors, errors[0]  # an IndexError: the old weights, the new classes
    assert labels and all(seen <= {0, 1, 2} or seen <= {7, 8} for seen in labels)


class ReadInTheCall:
    """An array-like that opens ``read`` when the call converts it (inside the call: the
    labels are checked with the training lock held)."""

    def __init__(self, values, read):
        self.values, self.read = values, read

    def __len__(self):
        return len(self.values)

    def __array__(self, dtype=None, copy=None):
        self.read.set()
        return np.asarray(self.values, dtype=dtype)


def test_set_params_waits_for_a_training_call_and_the_next_calls_follow():
    rng = np.random.RandomState(0)
    X0, y0 = rows(rng, 100_000)  # a call long enough for set_params to come in the middle
    X1, y1 = rows(rng, 2000)
    Xt = rows(rng, 50)[0]

    def serial(alpha_first):
        est = SparseFTRLRegressor(random_state=0, alpha=alpha_first).partial_fit(X0, y0)
        est.set_params(alpha=1e-4)
        return est.partial_fit(X1, y1).partial_fit(X1, y1).predict(Xt)

    after, before = serial(1e-4), serial(1.0)  # set_params after the call, or before it
    assert not np.array_equal(after, before)
    est = SparseFTRLRegressor(random_state=0, alpha=1e-4)
    in_the_call = threading.Event()
    trainer, errors = in_thread(est.partial_fit, X0, ReadInTheCall(y0, in_the_call))
    assert in_the_call.wait(timeout=60)
    est.set_params(alpha=1.0)  # during the call: its parameters were read at its start
    # it returned once the call had ended: the call's rows are in the model
    assert getattr(est, "t_", 0) == X0.shape[0]
    trainer.join()
    assert not errors
    est.set_params(alpha=1e-4)
    got = est.partial_fit(X1, y1).partial_fit(X1, y1).predict(Xt)
    assert np.array_equal(got, after)


def test_a_warm_fit_waiting_for_a_first_partial_fit_goes_on_from_it():
    rng = np.random.RandomState(0)
    X0, y0 = rows(rng, 400_000)
    X1, y1 = rows(rng, 2000)
    Xt = rows(rng, 50)[0]

    def make():
        return SparseFTRLRegressor(warm_start=True, max_iter=2, tol=None, random_state=0)

    orders = [
        make().fit(X1, y1).partial_fit(X0, y0).predict(Xt),
        make().partial_fit(X0, y0).fit(X1, y1).predict(Xt),
    ]
    est = make()
    trainer, errors = in_thread(est.partial_fit, X0, y0)
    time.sleep(0.05)
    est.fit(X1, y1)  # decided "not fitted" before waiting, it dropped partial_fit's rows
    trainer.join()
    assert not errors
    assert est.t_ == X0.shape[0] + 2 * X1.shape[0]
    assert any(np.array_equal(est.predict(Xt), order) for order in orders)


def test_weights_follow_set_params_whatever_was_read_before():
    # the weights were cached at the first read and kept through set_params: a model read
    # before set_params predicted with the old alpha, an unread twin with the new one
    rng = np.random.RandomState(0)
    X, y = rows(rng, 3000)
    read = SparseFTRLRegressor(random_state=0).fit(X, y)
    read.predict(X)
    unread = SparseFTRLRegressor(random_state=0).fit(X, y)
    read.set_params(alpha=0.5)
    unread.set_params(alpha=0.5)
    np.testing.assert_array_equal(read.predict(X), unread.predict(X))
    assert read.count_nonzero()[0] == np.count_nonzero(read.coef_)
    read.eta0 = 0.01  # assigned, as scikit-learn allows: the same
    unread.set_params(eta0=0.01)
    np.testing.assert_array_equal(read.predict(X), unread.predict(X))


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_coef_and_intercept_are_read_only(store):
    # writing into coef_ changed the dense store's predictions until the next call (and
    # was lost in a pickle); the sparse store's predictions ignored it
    rng = np.random.RandomState(0)
    X, y = rows(rng, 500)
    est = SparseFTRLRegressor(random_state=0, state_store=store).fit(X, y)
    expected = est.predict(X)
    coef = est.coef_
    values = coef.data if sp.issparse(coef) else coef
    with pytest.raises(ValueError, match="read-only"):
        values[...] = 1000.0
    with pytest.raises(ValueError, match="read-only"):
        est.intercept_[...] = 1000.0
    np.testing.assert_array_equal(est.predict(X), expected)


def test_predict_during_a_fit_on_other_columns_checks_them_against_the_model_that_scores():
    # a fit sets the feature names when it starts: a reader checked X against the new names
    # and scored it with the old model (y = 3a scored a's value on column c)
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    small = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["a", "b", "c"])
    est = SparseFTRLRegressor(random_state=0, max_iter=3, tol=None).fit(small, 3 * small["a"])
    big = pd.DataFrame(rng.normal(size=(400_000, 3)), columns=["c", "b", "a"])
    row = pd.DataFrame([[0.0, 0.0, 1.0]], columns=["c", "b", "a"])  # a = 1 under the new names
    after = SparseFTRLRegressor(random_state=0, max_iter=3, tol=None).fit(big, 3 * big["a"])
    got, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                got.append(est.predict(row)[0])
            except ValueError as exc:  # before the fit: the names are not the model's
                assert "feature names" in str(exc).lower()

    reader, errors = in_thread(read)
    time.sleep(0.02)
    est.fit(big, 3 * big["a"])
    stop.set()
    reader.join()
    assert not errors, errors[0]
    assert got and all(value == after.predict(row)[0] for value in got)


def test_predict_during_a_fit_that_fails_scores_with_the_model_it_leaves():
    # a fit on other columns sets its names when it starts: X of the model's own columns was
    # refused during it, though the fit then failed (Ctrl-C) and the model never changed
    import _thread

    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    small = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["a", "b", "c"])
    est = SparseFTRLRegressor(random_state=0).fit(small, 3 * small["a"])
    row = small.iloc[:2]
    expected = est.predict(row)
    big = pd.DataFrame(rng.normal(size=(2_000_000, 4)), columns=["w", "x", "y", "z"])
    got, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            got.append(est.predict(row))

    reader, errors = in_thread(read)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        est.fit(big, big["w"])
    except KeyboardInterrupt:
        pass
    finally:
        timer.cancel()
    stop.set()
    reader.join()
    assert not errors, errors[0]
    assert est.feature_names_in_.tolist() == ["a", "b", "c"]  # the fit left nothing
    assert got and all(np.array_equal(values, expected) for values in got)


def test_names_removed_after_a_prediction_are_read_at_the_next_one():
    # the model's names were compared with the estimator's, and a call retried under the
    # lock for ever once they differed (RecursionError): del feature_names_in_, to predict
    # arrays without scikit-learn's warning, did that
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    est = SparseFTRLRegressor(random_state=0).fit(frame, frame["a"])
    expected = est.predict(frame)
    del est.feature_names_in_
    np.testing.assert_array_equal(est.predict(frame.to_numpy()), expected)


class _AssignsOnDraw(np.random.RandomState):
    """A ``random_state`` whose draws assign ``est.<name> = value``: as another thread
    assigning the attribute while ``est`` trains (the new state's seed is drawn between the
    call's checks and its epochs)."""

    def __init__(self, seed, est, name, value):
        super().__init__(seed)
        self.assignment = (est, name, value)

    def randint(self, *args, **kwargs):
        setattr(*self.assignment)
        return super().randint(*args, **kwargs)


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_n_threads_assigned_during_a_fit_is_read_once_by_the_call(store):
    # the call checked the store and the data's form for n_threads=1 and trained with the 4
    # assigned meanwhile: a narrow dense X went to the threads' kernel, which reads CSR only
    # (AttributeError), and a table store to its backstop (ValueError)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20_000, 8))  # two of the threads' chunks of rows, narrow and dense
    y = X @ rng.normal(size=8)
    params = dict(n_threads=1, state_store=store, max_iter=2, tol=None)
    alone = SparseFTRLRegressor(random_state=np.random.RandomState(0), **params).fit(X, y)
    est = SparseFTRLRegressor(**params)
    est.set_params(random_state=_AssignsOnDraw(0, est, "n_threads", 4))
    est.fit(X, y)
    assert est.n_threads == 4  # the assignment stays, for the next call
    np.testing.assert_array_equal(est.get_ftrl_state()["z"], alone.get_ftrl_state()["z"])


class _AssignsOnSplit(np.random.RandomState):
    """A ``random_state`` whose permutations assign ``est.<name> = value``: early_stopping's
    split draws one before the call checks the store and makes the state."""

    def __init__(self, seed, est, name, value):
        super().__init__(seed)
        self.assignment = (est, name, value)

    def permutation(self, *args, **kwargs):
        setattr(*self.assignment)
        return super().permutation(*args, **kwargs)


def _trained_alone_and_assigned(make, params, name, value, X, y, method="fit", kind=_AssignsOnDraw):
    """``(state trained with params, state trained while name=value was assigned, estimator)``."""
    alone = make(random_state=np.random.RandomState(0), **params)
    est = make(**params)
    est.set_params(random_state=kind(0, est, name, value))
    fit_args = {"classes": np.unique(y)} if method == "partial_fit" and make is _classifier else {}
    getattr(alone, method)(X, y, **fit_args)
    getattr(est, method)(X, y, **fit_args)
    return alone.get_ftrl_state(), est.get_ftrl_state(), est


def _classifier(**params):
    return SparseFTRLClassifier(**params)


def _assert_same_state(expected, got):
    # (but for params: a state records its estimator's parameters as they are when it is
    # read, the value assigned during the call, under which it predicts from then on)
    assert expected.keys() == got.keys()
    for key in set(expected) - {"params"}:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def _rows_of_300(three_classes):
    """300 rows and their target: numbers, or three classes."""
    X, y = rows(np.random.RandomState(0), 300)
    if three_classes:
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    return X, y


@pytest.mark.parametrize(
    "make, params, name, value",
    [
        # a regressor trained with the classifier's hinge loss, silently
        (SparseFTRLRegressor, {}, "loss", "hinge"),
        (_classifier, {}, "loss", "modified_huber"),
        (SparseFTRLRegressor, {}, "alpha", 0.5),
        (SparseFTRLRegressor, {"penalty": "elasticnet"}, "l1_ratio", 0.9),
        (SparseFTRLRegressor, {}, "eta0", 0.01),
        (SparseFTRLRegressor, {}, "beta", 10.0),
        (SparseFTRLRegressor, {}, "penalty", "l2"),
        (SparseFTRLRegressor, {}, "penalty_scale", "sum"),
        (SparseFTRLRegressor, {}, "fit_intercept", False),
        (SparseFTRLRegressor, {"loss": "huber"}, "epsilon", 0.01),
        (SparseFTRLRegressor, {}, "shuffle", False),
        (SparseFTRLRegressor, {"state_store": "sparse"}, "inclusion", "poisson"),
        (SparseFTRLRegressor, {"state_store": "sparse"}, "inclusion", "bloom"),
        (SparseFTRLRegressor, {"inclusion": "poisson"}, "inclusion_p", 0.1),
        (_classifier, {"multi_class": "ovr"}, "multi_class", "multinomial"),
        (_classifier, {"multi_class": "multinomial"}, "multi_class", "ovr"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_parameter_assigned_during_a_call_is_read_once_by_the_call(
    make, params, name, value, method
):
    # the call read the parameter again after its checks, and trained with (or refused) the
    # value assigned meanwhile by another thread (no set_params, so no lock)
    X, y = _rows_of_300(three_classes=make is _classifier)
    params = {"max_iter": 20, "tol": None, **params}
    expected, got, est = _trained_alone_and_assigned(make, params, name, value, X, y, method)
    assert getattr(est, name) == value  # the assignment stays, for the next call
    _assert_same_state(expected, got)


@pytest.mark.parametrize("name, value", [("tol", None), ("n_iter_no_change", 5)])
def test_the_stopping_rule_assigned_during_a_fit_is_read_once_by_the_call(name, value):
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    params = {"max_iter": 20, "tol": 1.0, "n_iter_no_change": 1}  # stops early
    expected, got, est = _trained_alone_and_assigned(SparseFTRLRegressor, params, name, value, X, y)
    assert getattr(est, name) == value
    _assert_same_state(expected, got)
    assert est.n_iter_ < 20  # stopped by the rule it started with


def test_verbose_assigned_during_a_fit_is_read_once_by_the_call(capsys):
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    _trained_alone_and_assigned(
        SparseFTRLRegressor, {"max_iter": 3, "tol": None}, "verbose", 1, X, y
    )
    assert capsys.readouterr().out == ""  # the call was not verbose when it started


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # (5 epochs)
@pytest.mark.parametrize("name, value", [("state_store", "sparse"), ("inclusion", "poisson")])
def test_a_parameter_assigned_during_the_split_is_read_once_by_the_fit(name, value):
    # early_stopping's split drew from random_state before the call checked the store for
    # n_threads and made the state: a table store assigned meanwhile was refused for n_threads=2
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    params = {
        "max_iter": 5,
        "early_stopping": True,
        "state_store": "dense",
        "n_threads": 2,
        "validation_fraction": 0.2,
    }
    expected, got, est = _trained_alone_and_assigned(
        SparseFTRLRegressor, params, name, value, X, y, kind=_AssignsOnSplit
    )
    assert getattr(est, name) == value
    _assert_same_state(expected, got)
    assert not sp.issparse(est.coef_)  # the dense store's coef_


class _AssignsOnUse(float):
    """An ``alpha`` whose first product assigns ``est.alpha = value``: as another thread
    assigning it while ``coef_`` is computed from the state."""

    def __new__(cls, number, est, value):
        self = super().__new__(cls, number)
        self.assignment = [(est, "alpha", value)]
        return self

    def __mul__(self, other):
        if self.assignment:
            setattr(*self.assignment.pop())
        return float(self) * other


def test_alpha_assigned_while_the_weights_are_computed_is_not_cached_as_theirs():
    # the weights were computed under one alpha and cached as the other's: coef_ and the
    # predictions stayed those of the first alpha under the second
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    est = SparseFTRLRegressor(alpha=0.0, random_state=0).fit(X, y)
    est.set_params(alpha=_AssignsOnUse(0.0, est, 0.5))
    est.predict(X)
    assert est.alpha == 0.5
    twin = SparseFTRLRegressor(alpha=0.5).set_ftrl_state(est.get_ftrl_state())
    np.testing.assert_array_equal(est.coef_, twin.coef_)
    np.testing.assert_array_equal(est.predict(X), twin.predict(X))


def _cv_trained_alone_and_assigned(make, params, name, value, X, y, method):
    """``(grid trained with params, grid trained while name=value was assigned)``: the grid
    draws its seed between the call's checks and its epochs."""
    alone = make(random_state=np.random.RandomState(0), **params)
    est = make(**params)
    est.set_params(random_state=_AssignsOnDraw(0, est, name, value))
    fit_args = {"classes": np.unique(y)} if method == "partial_fit" and is_classifier(est) else {}
    getattr(alone, method)(X, y, **fit_args)
    getattr(est, method)(X, y, **fit_args)
    return alone, est


def _assert_same_grid(expected, got):
    assert expected.cv_results_.keys() == got.cv_results_.keys()
    assert got.cv_results_["params"] == expected.cv_results_["params"]
    for key in expected.cv_results_.keys() - {"params"}:
        np.testing.assert_array_equal(got.cv_results_[key], expected.cv_results_[key], key)
    assert got.best_index_ == expected.best_index_
    best, expected_best = got.best_estimator_, expected.best_estimator_
    _assert_same_state(expected_best.get_ftrl_state(), best.get_ftrl_state())
    params = {k: v for k, v in best.get_params().items() if k != "random_state"}
    assert params == {k: v for k, v in expected_best.get_params().items() if k != "random_state"}


_GRID_CALL_ASSIGNMENTS = [
    (SparseFTRLRegressorCV, {}, "penalty", "l2"),
    (SparseFTRLRegressorCV, {}, "loss", "huber"),
    (SparseFTRLClassifierCV, {}, "loss", "hinge"),
    (SparseFTRLRegressorCV, {}, "beta", 10.0),
    (SparseFTRLRegressorCV, {}, "fit_intercept", False),
    (SparseFTRLRegressorCV, {}, "shuffle", False),
    (SparseFTRLRegressorCV, {}, "penalty_scale", "sum"),
    (SparseFTRLRegressorCV, {"loss": "huber"}, "epsilon", 0.01),
    (SparseFTRLRegressorCV, {"selection": "holdout"}, "selection", "progressive"),
    (SparseFTRLRegressorCV, {}, "selection", "holdout"),
    (SparseFTRLRegressorCV, {}, "sparsity", 10.0),
]


@pytest.mark.parametrize(
    "method, make, params, name, value",
    [("fit", *case) for case in _GRID_CALL_ASSIGNMENTS]
    + [("partial_fit", *case) for case in _GRID_CALL_ASSIGNMENTS]
    + [
        # fit's: n_iter_ said 5 epochs after 3, and the refit was left out
        ("fit", SparseFTRLRegressorCV, {}, "max_iter", 5),
        ("fit", SparseFTRLRegressorCV, {"selection": "holdout"}, "refit", False),
    ],
)
def test_a_parameter_assigned_during_a_grid_call_is_read_once_by_the_call(
    make, params, name, value, method
):
    # the grid's call read the parameters again after its checks: the models trained (or
    # cv_results_ and best_estimator_ were made) under the value another thread assigned
    # meanwhile (no set_params, so no lock)
    X, y = _rows_of_300(three_classes=make is SparseFTRLClassifierCV)
    params = {"alphas": [1e-4, 1e-3], "eta0s": [0.1, 0.3], "max_iter": 3, **params}
    alone, est = _cv_trained_alone_and_assigned(make, params, name, value, X, y, method)
    assert getattr(est, name) == value  # the assignment stays, for the next call
    _assert_same_grid(alone, est)
    assert (est.n_iter_, est.t_) == (alone.n_iter_, alone.t_)


class _AssignsThenFails(_AssignsOnDraw):
    """As ``_AssignsOnDraw``, then the draw fails (a ``MemoryError``, any error after another
    thread's assignment)."""

    def randint(self, *args, **kwargs):
        setattr(*self.assignment)
        raise MemoryError("no memory for the draw")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_parameter_assigned_during_a_failed_grid_call_stays(method):
    # the failed call put back the whole __dict__ it had saved: the value another thread
    # (or its set_params, which the grid does not serialise) assigned meanwhile was lost
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    est = SparseFTRLRegressorCV(alphas=[1e-4, 1e-3], penalty="l1")
    est.set_params(random_state=_AssignsThenFails(0, est, "penalty", "l2"))
    with pytest.raises(MemoryError):
        getattr(est, method)(X, y)
    assert est.penalty == "l2"
    assert not hasattr(est, "cv_results_")  # and the call left nothing of its own
    est.set_params(random_state=0)
    expected = SparseFTRLRegressorCV(alphas=[1e-4, 1e-3], penalty="l2", random_state=0)
    _assert_same_grid(getattr(expected, method)(X, y), getattr(est, method)(X, y))


class _SetsParamsInAThreadOnDraw(np.random.RandomState):
    """A ``random_state`` whose draw starts a thread calling ``est.set_params(**params)`` and
    gives it half a second: ``returned`` says whether its ``set_params`` returned meanwhile."""

    def __init__(self, seed, est, params):
        super().__init__(seed)
        self.est, self.params, self.returned, self.thread = est, params, None, None

    def randint(self, *args, **kwargs):
        done = threading.Event()

        def set_params():
            self.est.set_params(**self.params)
            done.set()

        self.thread = threading.Thread(target=set_params)
        self.thread.start()
        self.returned = done.wait(0.5)
        return super().randint(*args, **kwargs)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_grids_set_params_waits_for_a_call_training_it(method):
    # the grid estimators' set_params did not wait for a training call (the single
    # estimators' does): it could land as a failed call put back its saved attributes
    rng = np.random.RandomState(0)
    X, y = rows(rng, 300)
    est = SparseFTRLRegressorCV(alphas=[1e-4, 1e-3], penalty="l1")
    draw = _SetsParamsInAThreadOnDraw(0, est, {"penalty": "l2"})
    est.set_params(random_state=draw)
    getattr(est, method)(X, y)
    draw.thread.join()
    assert draw.returned is False  # it waited for the call
    assert est.penalty == "l2"
    alone = SparseFTRLRegressorCV(alphas=[1e-4, 1e-3], penalty="l1", random_state=0)
    _assert_same_grid(getattr(alone, method)(X, y), est)
