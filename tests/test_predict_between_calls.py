"""Predicting between training calls (issue #16): a predict-then-learn loop pays per row, not per
column of the model.

After a ``partial_fit``, the weights a prediction reads are those of the state just trained. A
call of few non-zeros scores its rows with the weights of its own columns, computed from their
state, instead of computing every column's weight first; the scores must be those of the whole
model, to the bit, until such calls have cost about what every weight costs. Each test here
fails if the rows' model misses a column, computes a weight or an intercept otherwise than
``coef_`` / ``intercept_`` hold them, if predicting after a training call still computes the
weights of every column, or if that never happens however many calls follow.
"""

import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor

from .memory_helpers import peak_bytes

KINDS = ["regressor", "binary", "ovr", "multinomial"]


def _estimator(kind, **params):
    if kind == "regressor":
        return SparseFTRLRegressor(**params)
    multi = {"multi_class": "multinomial"} if kind == "multinomial" else {}
    return SparseFTRLClassifier(**params, **multi)


def _data(kind, n_rows, width, per_row, seed, dtype):
    """Rows of about ``per_row`` non-zeros at random columns (half of them among 16)."""
    rng = np.random.RandomState(seed)
    # every row drawn at once, repeats then dropped (a loop over 40,000 rows took seconds)
    columns = np.sort(
        np.hstack(
            [
                rng.randint(0, min(16, width), (n_rows, per_row)),
                rng.randint(0, width, (n_rows, per_row)),
            ]
        ),
        axis=1,
    )
    first = np.ones(columns.shape, dtype=bool)
    first[:, 1:] = columns[:, 1:] != columns[:, :-1]
    indptr = np.r_[0, np.cumsum(first.sum(axis=1))]
    X = sp.csr_matrix(
        (rng.normal(size=indptr[-1]).astype(dtype), columns[first], indptr),
        shape=(n_rows, width),
    )
    if kind == "regressor":
        y = X @ rng.normal(size=width) + rng.normal(size=n_rows)
    else:
        y = rng.randint(0, 2 if kind == "binary" else 3, size=n_rows)
    return X, y


def _predictions(est, X):
    """Every prediction method's output, as bytes (a difference in the last bit counts)."""
    methods = ["predict"]
    if isinstance(est, SparseFTRLClassifier):
        methods += ["decision_function", "predict_proba", "predict_log_proba"]
    return {name: np.asarray(getattr(est, name)(X)).tobytes() for name in methods}


def _alike_after_each_call(kind, store, dtype, width, batch, params, seed):
    """Two estimators trained alike: one predicts right after each ``partial_fit``, the other
    first reads ``coef_`` (the whole model's weights). Every prediction agrees to the bit."""
    X, y = _data(kind, 120, width, 3, seed, dtype)
    common = dict(random_state=seed, state_store=store, **params)
    rows, whole = _estimator(kind, **common), _estimator(kind, **common)
    classes = {} if kind == "regressor" else {"classes": np.unique(y)}
    for est in (rows, whole):
        est.partial_fit(X[:40], y[:40], **classes)
    for start in range(40, 120, batch):
        part = X[start : start + batch]
        whole.coef_  # noqa: B018 (computes and keeps the whole model's weights)
        assert _predictions(rows, part) == _predictions(whole, part)
        for est in (rows, whole):
            est.partial_fit(part, y[start : start + batch])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("kind", KINDS)
def test_predictions_between_training_calls_on_a_wide_model(kind, store, dtype):
    """At 2**16 columns the first prediction after each call scores with its rows' weights;
    calls of 60 rows (~350 non-zeros, columns repeated across rows) weigh each column once."""
    _alike_after_each_call(kind, store, dtype, 2**16, 2, {}, 0)
    _alike_after_each_call(kind, store, dtype, 2**16, 60, {}, 1)


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    store=st.sampled_from(["dense", "sparse"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    log2_width=st.integers(3, 14),
    batch=st.integers(1, 12),
    params=st.sampled_from(
        [
            {},
            {"penalty": "elasticnet", "alpha": 0.01, "l1_ratio": 0.5, "penalty_scale": "mean"},
            {"fit_intercept": False, "alpha": 0.0},
            {"alpha": 5.0, "penalty_scale": "sum"},
        ]
    ),
    seed=st.integers(0, 2**16),
)
def test_predictions_between_training_calls_are_the_whole_models(
    kind, store, dtype, log2_width, batch, params, seed
):
    """``_alike_after_each_call`` at widths where a call scores with its rows' weights and
    where it computes the whole model (a narrow model, or calls of many non-zeros)."""
    _alike_after_each_call(kind, store, dtype, 2**log2_width, batch, params, seed)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_rows_needing_the_full_checks_after_a_training_call(kind, store):
    """Rows that the one-pass scoring cannot take as they are (unsorted columns, a repeated
    column) are scored after the full checks, as the whole model scores them; rows the checks
    refuse are refused with the same error."""
    width = 2**16  # (the first predictions after a call score with their rows' weights)
    X, y = _data(kind, 200, width, 20, 3, np.float64)
    classes = {} if kind == "regressor" else {"classes": np.unique(y)}
    rows = _estimator(kind, random_state=0, state_store=store).partial_fit(X, y, **classes)
    whole = _estimator(kind, random_state=0, state_store=store).partial_fit(X, y, **classes)
    whole.coef_  # noqa: B018
    unsorted = sp.csr_matrix(
        (np.array([1.0, -2.0, 0.5]), np.array([4000, 7, 4000]), np.array([0, 2, 3])),
        shape=(2, width),
    )
    unsorted.has_canonical_format = False
    assert _predictions(rows, unsorted) == _predictions(whole, unsorted)
    out_of_range = sp.csr_matrix(
        (np.array([1.0]), np.array([width]), np.array([0, 1])), shape=(1, width), copy=False
    )
    for est in (rows, whole):
        est.partial_fit(X[:3], y[:3])
    with pytest.raises(ValueError) as from_rows:
        rows.predict(out_of_range)
    with pytest.raises(ValueError) as from_whole:
        whole.predict(out_of_range)
    assert str(from_rows.value) == str(from_whole.value)


METHODS = {
    "regressor": ["predict"],
    "binary": ["predict", "decision_function", "predict_proba", "predict_log_proba"],
    "ovr": ["predict", "decision_function", "predict_proba", "predict_log_proba"],
    "multinomial": ["predict", "decision_function", "predict_proba", "predict_log_proba"],
}


@pytest.mark.parametrize(
    "kind, method", [(kind, method) for kind, methods in METHODS.items() for method in methods]
)
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_predicting_one_row_after_a_training_call_reads_its_columns_only(kind, method, store):
    """A predict-then-learn loop on a 2**22-wide model: predicting a row right after a
    ``partial_fit`` allocates far less than the weights of every column (32 MiB per model
    dense, or those of the ~15,000 columns a table holds)."""
    width = 2**22
    X, y = _data(kind, 2000, width, 10, 1, np.float64)
    est = _estimator(kind, random_state=0, state_store=store, alpha=0.0)
    est.partial_fit(X[:1500], y[:1500], **({} if kind == "regressor" else {"classes": [0, 1, 2]}))
    peaks = []
    for i in range(1500, 1510):
        peaks.append(peak_bytes(getattr(est, method), X[i : i + 1]))
        est.partial_fit(X[i : i + 1], y[i : i + 1])
    assert max(peaks) < 64 * 2**10  # bytes


def _calls_until_every_weight(est, method, row, whole, most=500):
    """How many calls of ``method`` on ``row`` score with their rows' weights before one
    computes every weight (allocates ``whole`` bytes or more); every call after that one must
    read the kept weights."""
    peaks = [peak_bytes(getattr(est, method), row) for _ in range(most)]
    bought = [i for i, peak in enumerate(peaks) if peak >= whole]
    assert len(bought) == 1, (whole, peaks[:20])
    assert max(peaks[bought[0] + 1 :]) < whole / 8
    return bought[0]


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_calls_after_a_training_call_compute_every_weight_once_they_would_cost_more(store):
    """Rent or buy: a row predicted again and again after a ``partial_fit`` is scored with its
    own columns' weights at first, then every weight is computed once (an allocation of the
    model's size) and the calls after read them. ``set_params`` changing the weights starts
    the count again, whether every weight had been computed or not; ``predict_proba`` is
    charged as ``decision_function`` (one model of the row's weights per call)."""
    width = 2**16
    X, y = _data("multinomial", 3000, width, 10, 2, np.float64)
    est = _estimator("multinomial", random_state=0, state_store=store, alpha=0.0)
    est.partial_fit(X[:300], y[:300], classes=[0, 1, 2])  # (a table of ~3,000 columns)
    whole = est.coef_.nbytes if store == "dense" else est.coef_.data.nbytes
    row = X[2500:2501]
    counts = []
    for method in ("decision_function", "predict_proba"):
        est.partial_fit(X[2000:2010], y[2000:2010])  # the weights read above are stale
        counts.append(_calls_until_every_weight(est, method, row, whole))
        est.set_params(eta0=est.eta0 * 0.5)  # after every weight: counted again
        counts.append(_calls_until_every_weight(est, method, row, whole))
    assert counts[0] > 0 and len(set(counts)) == 1, counts
    est.partial_fit(X[2000:2010], y[2000:2010])  # (rows seen before: no new column held)
    for _ in range(counts[0] // 2):
        est.decision_function(row)
    est.set_params(eta0=est.eta0 * 0.5)  # half-way through the count: counted again
    assert _calls_until_every_weight(est, "decision_function", row, whole) == counts[0]


def test_a_multiclass_call_computes_every_weight_when_its_own_would_cost_more():
    """64 classes over 4,096 columns: a call of 1,500 distinct columns would weigh 1,500 x 64
    weights and search 64 times per non-zero, more than every weight costs, so it computes
    every weight (an allocation of the whole model's size)."""
    width, n_classes = 2**12, 64
    rng = np.random.RandomState(5)
    # the positions from a Generator (a RandomState's: a permutation of all 16M cells, 1 s)
    X = sp.random(4000, width, density=0.005, format="csr", random_state=np.random.default_rng(5))
    y = np.arange(4000) % n_classes
    est = SparseFTRLClassifier(random_state=0, alpha=0.0).partial_fit(X, y, classes=np.unique(y))
    whole = est.coef_.nbytes
    est.partial_fit(X[:10], y[:10])
    columns = rng.choice(width, 1500, replace=False)
    Xt = sp.csr_matrix((np.ones(1500), columns, np.arange(1501)), shape=(1500, width))
    Xt.sort_indices()
    assert peak_bytes(est.decision_function, Xt) >= whole


def test_a_model_pickled_before_the_rows_weights_predicts_alike():
    """A ``SparseFTRLClassifier`` (table store, 200 columns held of 2**20) pickled by
    sparsereg at 7818e0b, before a prediction could score with its rows' weights, with its
    ``predict_proba`` of 50 rows then: loaded, it predicts them one by one to the bit."""
    with open(Path(__file__).parent / "data" / "classifier_pickled_at_7818e0b.pickle", "rb") as f:
        saved = pickle.load(f)
    est, X = saved["estimator"], saved["X"]
    for i in range(X.shape[0]):
        assert est.predict_proba(X[i : i + 1]).tobytes() == saved["predict_proba"][i].tobytes()


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_predictions_during_partial_fit_are_those_of_a_committed_state(store):
    """A thread predicting while another trains in place (at a width where predictions right
    after a call score with their rows' weights, then with every weight): each prediction is
    that of a state some call committed, never of a state half-way through a call."""
    width = 2**16
    X, y = _data("regressor", 40_000, width, 20, 4, np.float64)
    batches = [(X[i : i + 5000], y[i : i + 5000]) for i in range(0, 40_000, 5000)]
    Xt = X[:3]
    serial = SparseFTRLRegressor(random_state=0, state_store=store)
    committed = {serial.partial_fit(*b).predict(Xt).tobytes() for b in batches}
    est = SparseFTRLRegressor(random_state=0, state_store=store).partial_fit(*batches[0])
    seen, stop, errors = [], threading.Event(), []

    def read():
        try:
            while not stop.is_set():
                seen.append(est.predict(Xt).tobytes())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for batch in batches[1:]:
        est.partial_fit(*batch)
    stop.set()
    reader.join()
    assert not errors and seen
    assert set(seen) <= committed
