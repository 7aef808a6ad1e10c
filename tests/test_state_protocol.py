"""get_ftrl_state / set_ftrl_state: a pickle-free state that resumes training to the bit."""

import io
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor

from .memory_helpers import ForkedPythons
from .state_helpers import assert_same_state, dense_state, held_columns

N_FEATURES = 60


def make_data(n_classes, n_rows=240, seed=0):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, N_FEATURES, density=0.1, format="csr", random_state=rng)
    X.data = np.round(X.data * 4) / 4 + 0.25
    score = np.asarray(X[:, :4].sum(axis=1)).ravel() - np.asarray(X[:, 4:8].sum(axis=1)).ravel()
    if n_classes is None:
        return X, score
    return X, np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))


CASES = {
    "regressor": (SparseFTRLRegressor, None, {}),
    "binary": (SparseFTRLClassifier, 2, {}),
    "multiclass": (SparseFTRLClassifier, 3, {}),
    "poisson": (SparseFTRLClassifier, 3, {"inclusion": "poisson", "inclusion_p": 0.3}),
    "bloom": (
        SparseFTRLClassifier,
        2,
        {"inclusion": "bloom", "inclusion_count": 2, "bloom_size": 2**10},
    ),
}


def saved_and_loaded(state):
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:  # no object arrays in the state
        return dict(npz)


def partial_fit(est, X, y, first, every_y):
    classify = first and isinstance(est, SparseFTRLClassifier)
    return est.partial_fit(X, y, **({"classes": np.unique(every_y)} if classify else {}))


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("case", list(CASES))
def test_saved_state_resumes_partial_fit_to_the_bit(case, store):
    Est, n_classes, params = CASES[case]
    if params.get("inclusion") and store == "dense":
        pytest.skip("inclusion needs the sparse store")
    X, y = make_data(n_classes)
    params = dict(params, state_store=store, random_state=0, alpha=1e-3)  # shuffle=True
    straight = Est(**params)
    resumed = Est(**params)
    for i, rows in enumerate([slice(0, 80), slice(80, 160), slice(160, 240)]):
        partial_fit(straight, X[rows], y[rows], i == 0, y)
        if i == 0:
            partial_fit(resumed, X[rows], y[rows], True, y)
            resumed = Est(**params).set_ftrl_state(saved_and_loaded(resumed.get_ftrl_state()))
            predict = resumed.predict if n_classes is None else resumed.decision_function
            expected = straight.predict if n_classes is None else straight.decision_function
            np.testing.assert_array_equal(predict(X), expected(X))
        else:
            partial_fit(resumed, X[rows], y[rows], False, y)
    assert_same_state(resumed, straight)
    np.testing.assert_array_equal(
        sp.csr_matrix(resumed.coef_).toarray(), sp.csr_matrix(straight.coef_).toarray()
    )
    assert resumed.nnz_history_ == straight.nnz_history_
    assert resumed.t_ == straight.t_ == X.shape[0]


@pytest.mark.parametrize("source, target", [("dense", "sparse"), ("sparse", "dense")])
def test_a_state_moves_between_stores(source, target):
    X, y = make_data(3)
    params = dict(random_state=0, alpha=1e-3)
    a = SparseFTRLClassifier(state_store=source, **params).partial_fit(
        X[:120], y[:120], classes=[0, 1, 2]
    )
    b = SparseFTRLClassifier(state_store=target, **params).set_ftrl_state(a.get_ftrl_state())
    assert sp.issparse(b.coef_) == (target == "sparse")  # each store gives coef_ its form
    a.partial_fit(X[120:], y[120:])
    b.partial_fit(X[120:], y[120:])
    np.testing.assert_array_equal(dense_state(b), dense_state(a))
    np.testing.assert_array_equal(b.decision_function(X), a.decision_function(X))


def test_only_touched_columns_are_listed():
    X = sp.csr_matrix((np.ones(3), np.array([2, 7, 40]), np.array([0, 2, 3])), shape=(2, 1000))
    for store in ["dense", "sparse"]:
        reg = SparseFTRLRegressor(state_store=store).partial_fit(X, [1.0, -1.0])
        state = reg.get_ftrl_state()
        np.testing.assert_array_equal(state["columns"], [2, 7, 40])
        assert state["z"].shape == state["n"].shape == (1, 3)
        assert np.all(state["n"] > 0)


def test_fit_after_set_state_with_warm_start_equals_the_original():
    X, y = make_data(2)
    params = dict(random_state=0, max_iter=2, tol=None, warm_start=True)
    a = SparseFTRLClassifier(**params).fit(X, y)
    b = SparseFTRLClassifier(**params).set_ftrl_state(a.get_ftrl_state())
    assert_same_state(a.fit(X, y), b.fit(X, y))


def test_set_state_replaces_a_fitted_model_and_its_names():
    import pandas as pd

    X, y = make_data(None)
    frame = pd.DataFrame(X.toarray(), columns=[f"c{j}" for j in range(N_FEATURES)])
    named = SparseFTRLRegressor(random_state=0).fit(frame, y)
    other = SparseFTRLRegressor(random_state=0).fit(X[:, :10], y)
    other.set_ftrl_state(named.get_ftrl_state())
    assert other.n_features_in_ == N_FEATURES
    np.testing.assert_array_equal(other.feature_names_in_, named.feature_names_in_)
    np.testing.assert_array_equal(other.predict(frame), named.predict(frame))
    plain = SparseFTRLRegressor(random_state=0).fit(X, y)
    other.set_ftrl_state(plain.get_ftrl_state())
    assert not hasattr(other, "feature_names_in_")


def test_minimal_state_of_required_keys():
    reg = SparseFTRLRegressor(penalty=None).set_ftrl_state(
        {
            "columns": np.array([1, 3]),
            "z": np.array([[-0.5, 1.0]]),
            "n": np.array([[1.0, 4.0]]),
            "intercept_z": np.zeros(1),
            "intercept_n": np.zeros(1),
            "t": np.int64(10),
            "n_features_in": np.int64(5),
        }
    )
    # w = -z / ((beta + sqrt(n)) / eta0) with eta0=0.1, beta=1
    np.testing.assert_allclose(reg.coef_, [0, 0.025, 0, -1 / 30, 0], rtol=1e-15)
    assert reg.t_ == 10
    reg.partial_fit(np.eye(5), np.ones(5))  # and it trains on
    assert reg.t_ == 15


def _state_of(est):
    return est.get_ftrl_state()


def _fitted_classifier():
    X, y = make_data(3)
    return SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])


def _without(key):
    def change(state):
        del state[key]

    return change


def _set(key, value):
    def change(state):
        state[key] = value(state) if callable(value) else value

    return change


BAD_STATES = {
    "not a dict": (lambda state: None, TypeError, "dict of arrays"),
    "missing z": (_without("z"), ValueError, "lacks the keys \\['z'\\]"),
    "missing classes": (_without("classes"), ValueError, "classes"),
    "unknown key": (_set("weights", np.zeros(3)), ValueError, "unknown FTRL state keys"),
    "NaN in z": (
        _set("z", lambda s: np.where(s["z"] == s["z"].max(), np.nan, s["z"])),
        ValueError,
        "'z' holds NaN",
    ),
    "negative n": (_set("n", lambda s: -s["n"]), ValueError, "'n' holds negative"),
    "complex z": (_set("z", lambda s: s["z"].astype(complex)), ValueError, "dtype complex"),
    "object z": (_set("z", lambda s: s["z"].astype(object)), ValueError, "dtype object"),
    # (np.asarray drops the mask: a masked NaN or garbage value was trained on as a number)
    "masked z": (
        _set("z", lambda s: np.ma.masked_array(s["z"], mask=np.ones_like(s["z"], dtype=bool))),
        TypeError,
        "'z' is a masked array",
    ),
    "ragged z": (_set("z", [[1.0, 2.0], [1.0]]), ValueError, "key 'z' is not an array"),
    "z of the wrong width": (_set("z", lambda s: s["z"][:, :-1]), ValueError, "shape"),
    "too few models": (_set("z", lambda s: s["z"][:1]), ValueError, "3 classes"),
    "unsorted columns": (
        _set("columns", lambda s: s["columns"][::-1].copy()),
        ValueError,
        "sorted and distinct",
    ),
    "column past the width": (
        _set("columns", lambda s: s["columns"] + 10**6),
        ValueError,
        "must lie in",
    ),
    "negative t": (_set("t", np.int64(-1)), ValueError, "'t' must be >= 0"),
    "float t": (_set("t", np.float64(3.0)), ValueError, "'t' has dtype float64"),
    "zero width": (_set("n_features_in", np.int64(0)), ValueError, "n_features_in"),
    "one class": (_set("classes", np.array([1])), ValueError, "two distinct labels"),
    "repeated classes": (_set("classes", np.array([0, 0, 1])), ValueError, "distinct"),
    "unsorted str classes": (_set("classes", np.array(["b", "a", "c"])), ValueError, "sorted"),
    "short rng": (_set("rng_state", np.zeros(3, dtype=np.uint32)), ValueError, "rng_state"),
    # (the generator then drew 0 forever: every partial_fit shuffled its rows alike)
    "all-zero rng": (
        _set("rng_state", np.array([2**31 - 1] + [0] * 623, dtype=np.uint32)),
        ValueError,
        "'rng_state' is MT19937's all-zero state",
    ),
    "partial rng": (_without("rng_pos"), ValueError, "not all of"),
    # (as JSON gives the generator's words back: signed)
    "signed rng": (
        _set("rng_state", lambda s: s["rng_state"].astype(np.int64)),
        ValueError,
        "'rng_state' has dtype int64; expected unsigned integers",
    ),
    "signed bloom": (
        _set("bloom", lambda s: s["bloom"].astype(np.int16)),
        ValueError,
        "'bloom' has dtype int16; expected unsigned integers",
    ),
    "bloom not a power of two": (
        _set("bloom", np.zeros((3, 3), dtype=np.uint8)),
        ValueError,
        "bloom",
    ),
    "held of the wrong shape": (_set("held", np.ones((3, 1), dtype=bool)), ValueError, "held"),
    "future version": (_set("version", np.int64(99)), ValueError, "version"),
    "other format": (_set("format", np.array("something else")), ValueError, "format"),
    "unknown coef dtype": (_set("coef_dtype", np.array("float16")), ValueError, "coef_dtype"),
    "coef dtype past Unicode": (  # (NumPy's str of it raised SystemError)
        _set("coef_dtype", np.frombuffer(np.uint32(0x110000).tobytes(), "<U1").reshape(())),
        ValueError,
        "'coef_dtype' holds a character beyond U",
    ),
    "huge z": (_set("z", lambda s: np.full_like(s["z"], 1e308)), ValueError, "beyond"),
    "huge intercept n": (
        _set("intercept_n", lambda s: np.full_like(s["intercept_n"], 1e301)),
        ValueError,
        "beyond",
    ),
    "state in a column not held": (
        _set("held", lambda s: np.zeros_like(s["held"])),
        ValueError,
        "'held' is False",
    ),
    "unsorted classes": (_set("classes", np.array([2, 1, 0])), ValueError, "sorted"),
    "NaN class": (_set("classes", np.array([0.0, 1.0, np.nan])), ValueError, "NaN"),
    # (type_of_target calls them continuous: fit and partial_fit refuse a y holding them)
    "fractional classes": (_set("classes", np.array([0.5, 1.5, 2.5])), ValueError, "integral"),
    "a class beyond int64": (
        _set("classes", np.array([0.0, 1.0, 1e300])),
        ValueError,
        r"\[1e\+300\] are integral but beyond int64",
    ),
    "negative history": (
        _set("nnz_history", lambda s: -1 - s["nnz_history"]),
        ValueError,
        "from 0 to n_features_in",
    ),
    "history counting past the width": (
        _set("nnz_history", lambda s: s["nnz_history"] + N_FEATURES + 1),
        ValueError,
        "from 0 to n_features_in",
    ),
    "history at t 0": (
        _set("nnz_history_t", lambda s: 0 * s["nnz_history_t"]),
        ValueError,
        "increase strictly from 1",
    ),
    "history past t": (
        _set("nnz_history_t", lambda s: s["nnz_history_t"] + s["t"]),
        ValueError,
        "increase strictly from 1 to at most t",
    ),
    # 10**9 records broadcast from one number: 72 bytes held, hours to read (3,000,000 took 11 s)
    "a billion records of history": (
        lambda s: s.update(
            nnz_history_t=np.broadcast_to(np.int64(1), (10**9,)),
            nnz_history=np.broadcast_to(np.int64(0), (10**9, 3)),
        ),
        ValueError,
        "increase strictly",
    ),
    # (a uint64 difference wraps around: 30 - 60 read as increasing)
    "uint64 history going back": (
        lambda s: s.update(
            nnz_history_t=np.array([1, 60, 30], dtype=np.uint64),
            nnz_history=np.zeros((3, 3), dtype=np.int64),
        ),
        ValueError,
        "increase strictly",
    ),
    "Bloom counters beyond the memory": (
        _set("bloom", np.broadcast_to(np.uint8(0), (3, 2**50))),
        ValueError,
        "'bloom' holds .* counters, more bytes than the memory this process may use",
    ),
    "repeated feature names": (
        _set("feature_names_in", lambda s: np.array(["a"] * N_FEATURES)),
        ValueError,
        "repeats",
    ),
    "a feature name past Unicode": (  # (NumPy's str of it raised SystemError)
        _set(
            "feature_names_in",
            lambda s: np.frombuffer(np.arange(0x110001 - N_FEATURES, 0x110001, dtype="<u4"), "<U1"),
        ),
        ValueError,
        "'feature_names_in' holds a character beyond U",
    ),
    "history of the wrong shape": (
        _set("nnz_history", np.zeros((1, 1), dtype=np.int64)),
        ValueError,
        "nnz_history",
    ),
    # arrays broadcast from one number, of sizes no memory holds: refused before any copy
    # (each exhausted the memory, or read 2**34 columns for ten seconds first)
    "z broadcast to 2**40 columns": (
        _set("z", np.broadcast_to(0.0, (3, 2**40))),
        ValueError,
        "'z' has shape \\(3, 1099511627776\\)",
    ),
    "intercept_n broadcast to 2**40 models": (
        _set("intercept_n", np.broadcast_to(0.0, (2**40,))),
        ValueError,
        "'intercept_n' has shape",
    ),
    "columns broadcast to 2**34": (
        lambda s: s.update(
            columns=np.broadcast_to(np.int64(0), (2**34,)), n_features_in=np.int64(2**40)
        ),
        ValueError,
        "'columns' must be sorted and distinct",
    ),
    "classes broadcast to 2**40": (
        _set("classes", np.broadcast_to(np.int64(0), (2**40,))),
        ValueError,
        "'classes' repeats a label",
    ),
    "feature names broadcast to 2**33": (
        lambda s: s.update(
            feature_names_in=np.broadcast_to(np.array("c"), (2**33,)),
            n_features_in=np.int64(2**33),
        ),
        ValueError,
        "repeats a name",
    ),
}


@pytest.mark.parametrize("case", list(BAD_STATES))
@pytest.mark.parametrize("fitted", [False, True])
def test_bad_states_are_refused_and_change_nothing(case, fitted):
    change, error, match = BAD_STATES[case]
    state = _state_of(_fitted_classifier())
    if case == "not a dict":
        state = [state]
    else:
        change(state)
    target = _fitted_classifier() if fitted else SparseFTRLClassifier(random_state=0)
    before = target.get_ftrl_state() if fitted else None
    with pytest.raises(error, match=match):
        target.set_ftrl_state(state)
    if fitted:
        after = target.get_ftrl_state()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])
    else:
        assert not hasattr(target, "t_") and not hasattr(target, "classes_")


@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_partial_fit_refuses_an_infinite_class_which_its_state_could_not_carry(infinity):
    """No y holds an infinite label, and set_ftrl_state refuses one: a model that took it
    wrote checkpoints (get_ftrl_state) that no estimator could resume from."""
    X, y = make_data(2)
    est = SparseFTRLClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes hold NaN or infinity"):
        est.partial_fit(X, y, classes=[0, 1, infinity])
    assert not hasattr(est, "classes_")


def test_partial_fit_refuses_fractional_classes_which_no_y_can_hold():
    """A y holding 0.5 is continuous (type_of_target) and refused: a model of the classes
    [0, 0.5, 1] wrote states that set_ftrl_state refuses, as SGDClassifier refuses them."""
    X, y = make_data(2)
    est = SparseFTRLClassifier(random_state=0)
    with pytest.raises(ValueError, match="not integral"):
        est.partial_fit(X, y, classes=[0, 0.5, 1])
    assert not hasattr(est, "classes_")
    integral = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0.0, 1.0, 2.0])
    twin = SparseFTRLClassifier(random_state=0).set_ftrl_state(integral.get_ftrl_state())
    np.testing.assert_array_equal(twin.classes_, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    "classes, refused",
    [
        # (the message showed the first five classes, all integral, and called them not so)
        ([0, 1, 2, 3, 4, 5, 5.5], r"\[5\.5\] are not integral"),
        ([0, 1, 1e300], r"\[1e\+300\] are integral but beyond int64"),
        ([-1e19, 0, 1], r"\[-1e\+19\] are integral but beyond int64"),
    ],
    ids=["fractional", "1e300", "-1e19"],
)
def test_refused_float_classes_are_named_for_what_they_are(classes, refused):
    X, y = make_data(2)
    est = SparseFTRLClassifier(random_state=0)
    with pytest.raises(ValueError, match=refused):
        est.partial_fit(X, y, classes=classes)
    assert not hasattr(est, "classes_")
    state = _state_of(_fitted_classifier())
    state["classes"] = np.array(classes, dtype=np.float64)[-3:]  # (the state's 3 models)
    with pytest.raises(ValueError, match=refused):
        SparseFTRLClassifier().set_ftrl_state(state)


def test_regressor_refuses_a_classifiers_state():
    with pytest.raises(ValueError, match="classifier's"):
        SparseFTRLRegressor().set_ftrl_state(_state_of(_fitted_classifier()))


def test_classifier_refuses_a_regressors_state_saying_whose_it_is():
    X, y = make_data(None)
    state = SparseFTRLRegressor(random_state=0).partial_fit(X, y).get_ftrl_state()
    with pytest.raises(ValueError, match="it is a regressor's state, .* SparseFTRLRegressor"):
        SparseFTRLClassifier().set_ftrl_state(state)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    cuts=st.lists(st.integers(1, 239), min_size=1, max_size=4, unique=True),
    store=st.sampled_from(["dense", "sparse"]),
    n_classes=st.sampled_from([None, 2, 3]),
)
def test_resuming_anywhere_in_a_stream_is_exact(cuts, store, n_classes):
    """Save and restore the state after any batch of any split: the end model is the same."""
    X, y = make_data(n_classes)
    Est = SparseFTRLRegressor if n_classes is None else SparseFTRLClassifier
    params = dict(state_store=store, random_state=1, alpha=1e-3)
    bounds = [0, *sorted(cuts), X.shape[0]]
    straight, resumed = Est(**params), Est(**params)
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        partial_fit(straight, X[lo:hi], y[lo:hi], i == 0, y)
        partial_fit(resumed, X[lo:hi], y[lo:hi], i == 0, y)
        resumed = Est(**params).set_ftrl_state(saved_and_loaded(resumed.get_ftrl_state()))
    assert_same_state(resumed, straight)


def test_one_state_given_to_two_estimators_trains_both_alike():
    """set_ftrl_state copies what training writes (the Bloom counters), not the caller's dict."""
    X, y = make_data(2)
    params = dict(inclusion="bloom", inclusion_count=2, bloom_size=2**10, random_state=0)
    source = SparseFTRLClassifier(**params).partial_fit(X[:100], y[:100], classes=[0, 1])
    state = source.get_ftrl_state()
    kept = {key: np.copy(value) for key, value in state.items()}
    b = SparseFTRLClassifier(**params).set_ftrl_state(state).partial_fit(X[100:], y[100:])
    c = SparseFTRLClassifier(**params).set_ftrl_state(state).partial_fit(X[100:], y[100:])
    assert_same_state(b, c)
    for key in kept:
        np.testing.assert_array_equal(state[key], kept[key])


@pytest.mark.parametrize("labels", [[0, 1, 2], ["a", "b", "c"]])
def test_a_state_shares_no_array_with_the_estimator_or_the_caller(labels):
    # classes was handed out as the estimator's own classes_ and kept as the caller's array:
    # writing into a state changed which labels a model predicted
    X, _ = make_data(3)
    y = np.asarray(labels)[np.arange(X.shape[0]) % 3]
    est = SparseFTRLClassifier(random_state=0).fit(X, y)
    expected = est.predict(X)
    state = est.get_ftrl_state()
    twin = SparseFTRLClassifier().set_ftrl_state(state)
    for value in state.values():
        if isinstance(value, np.ndarray) and value.ndim:
            value[...] = np.zeros_like(value)  # every array of the state overwritten
    assert est.classes_.tolist() == labels and twin.classes_.tolist() == labels
    np.testing.assert_array_equal(est.predict(X), expected)
    np.testing.assert_array_equal(twin.predict(X), expected)


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
def test_a_small_state_of_many_models_takes_little_memory_while_set(multi_class):
    # every model's table was first made at 96 KiB (a multinomial state's at 4,096 slots of
    # every class), then replaced: a 0.1 MiB state of 4,000 classes and no column took
    # 375 MiB (ovr) or 250 MiB (multinomial) on its way in
    n_classes = 4000
    state = {
        "columns": np.zeros(0, dtype=np.int64),
        "z": np.zeros((n_classes, 0)),
        "n": np.zeros((n_classes, 0)),
        "intercept_z": np.zeros(n_classes),
        "intercept_n": np.zeros(n_classes),
        "t": np.int64(5),
        "n_features_in": np.int64(10),
        "classes": np.arange(n_classes),
    }
    if multi_class == "multinomial":
        state["multi_class"] = np.array(multi_class)
    est = SparseFTRLClassifier(state_store="sparse", multi_class=multi_class)
    tracemalloc.start()
    try:
        est.set_ftrl_state(state)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert est.sparsity_report().state_bytes < 8 * 2**20
    assert est.predict(np.ones((2, 10))).tolist() == [0, 0]


def test_a_state_read_by_np_load_and_of_either_byte_order_is_taken():
    # an NpzFile is a Mapping (it was refused as not a dict); a big-endian rng_state is
    # uint32 (it was refused as not uint32)
    X, y = make_data(2)
    source = SparseFTRLClassifier(random_state=0).partial_fit(X[:100], y[:100], classes=[0, 1])
    state = source.get_ftrl_state()
    state["rng_state"] = state["rng_state"].astype(">u4")
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer) as loaded:
        twin = SparseFTRLClassifier(random_state=0).set_ftrl_state(loaded)
    twin.partial_fit(X[100:], y[100:])
    source.partial_fit(X[100:], y[100:])
    assert_same_state(twin, source)


def test_a_dense_state_larger_than_memory_is_refused_before_allocating():
    state = {
        "columns": np.array([0]),
        "z": np.ones((1, 1)),
        "n": np.ones((1, 1)),
        "intercept_z": np.zeros(1),
        "intercept_n": np.zeros(1),
        "t": np.int64(1),
        "n_features_in": np.int64(2**50),
    }
    with pytest.raises(ValueError, match="state_store='sparse'"):
        SparseFTRLRegressor(state_store="dense").set_ftrl_state(state)
    reg = SparseFTRLRegressor(state_store="auto").set_ftrl_state(state)  # the table store
    assert reg.coef_.shape == (1, 2**50) and reg.coef_.nnz == 1


def test_a_state_of_more_models_times_columns_than_memory_is_refused_before_copying():
    """z and n of 2**20 classes x 2**20 columns, broadcast from one number: 16 TiB once
    copied as float64 (a MemoryError, or the machine out of memory when it nearly fits)."""
    size = 2**20
    state = {
        "columns": np.arange(size),
        "z": np.broadcast_to(0.0, (size, size)),
        "n": np.broadcast_to(0.0, (size, size)),
        "intercept_z": np.zeros(size),
        "intercept_n": np.zeros(size),
        "t": np.int64(1),
        "n_features_in": np.int64(size),
        "classes": np.arange(size),
    }
    est = SparseFTRLClassifier(state_store="sparse")
    with pytest.raises(ValueError, match="more than the memory this process may use"):
        est.set_ftrl_state(state)
    assert not hasattr(est, "t_")


@pytest.mark.parametrize("how", ["partial_fit", "warm_start fit"])
def test_training_refuses_to_take_t_past_what_a_state_holds(how):
    """A state at the protocol's bound of t was taken and trained on: its own state was then
    one that set_ftrl_state refused (a checkpoint that could not be resumed)."""
    X, y = make_data(None)
    state = SparseFTRLRegressor(random_state=0).partial_fit(X, y).get_ftrl_state()
    state["t"] = np.int64(2**62 - X.shape[0] + 1)
    est = SparseFTRLRegressor(random_state=0, warm_start=True, max_iter=2, tol=None)
    est.set_ftrl_state(state)
    with pytest.raises(ValueError, match="would pass 4,611,686,018,427,387,904"):
        est.partial_fit(X, y) if how == "partial_fit" else est.fit(X, y)
    assert_same_state(est, SparseFTRLRegressor(random_state=0).set_ftrl_state(state))
    est.partial_fit(X[:-1], y[:-1])  # up to the bound
    assert est.t_ == 2**62
    SparseFTRLRegressor().set_ftrl_state(est.get_ftrl_state())


def test_history_continues_exactly_after_the_table_grew():
    rng = np.random.RandomState(0)
    columns = np.sort(rng.randint(0, 2**20, size=(3000, 5)), axis=1)  # ~15,000 distinct columns
    X = sp.csr_matrix(
        (np.ones(columns.size), columns.ravel(), np.arange(0, columns.size + 1, 5)),
        shape=(3000, 2**20),
    )
    X.sum_duplicates()
    y = rng.randint(0, 2, 3000)
    params = dict(state_store="sparse", random_state=0)
    straight = SparseFTRLClassifier(**params).partial_fit(X[:2000], y[:2000], classes=[0, 1])
    assert len(held_columns(straight)) > 4096 // 2  # the table outgrew its first size
    resumed = SparseFTRLClassifier(**params).set_ftrl_state(straight.get_ftrl_state())
    for rows in [slice(2000, 2001), slice(2001, 2003), slice(2003, 3000)]:
        straight.partial_fit(X[rows], y[rows])
        resumed.partial_fit(X[rows], y[rows])
    assert resumed.nnz_history_ == straight.nnz_history_
    assert_same_state(resumed, straight)


def test_a_generator_other_than_mt19937_is_named():
    X, y = make_data(None)
    reg = SparseFTRLRegressor(random_state=np.random.RandomState(np.random.PCG64(0))).fit(X, y)
    assert reg.sparsity_report().n_features == N_FEATURES
    with pytest.raises(ValueError, match="PCG64"):
        reg.get_ftrl_state()


def _huge_gradient_problem():
    """|x| = 1e99 (accepted: each gradient stays within 1e100) with alternating labels, so
    that n, the sum of squared gradients, passes 1e200 after a few hundred samples."""
    X = np.zeros((40, 2))
    X[:, 0] = 1e99
    X[::2, 1] = 1.0
    return X, np.array([1, 0] * 20)


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
def test_state_of_huge_gradients_resumes_to_the_bit(multi_class):
    """A state the estimator trained is taken back: n grows by up to 1e200 per sample (the
    protocol refused n > 1e200, any t; it now takes up to 1e300)."""
    X, y = _huge_gradient_problem()
    params = dict(penalty=None, shuffle=False, random_state=0, multi_class=multi_class)
    est = SparseFTRLClassifier(max_iter=20, tol=None, **params).fit(X, y)
    state = est.get_ftrl_state()
    assert state["n"].max() > 1e200
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    twin = SparseFTRLClassifier(**params).set_ftrl_state(dict(np.load(buffer)))
    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert_same_state(twin, est)


def test_n_beyond_1e300_is_refused():
    X, y = _huge_gradient_problem()
    state = SparseFTRLClassifier(penalty=None, max_iter=1, random_state=0).fit(X, y)
    state = state.get_ftrl_state()
    state["n"] = np.full_like(state["n"], 1.01e300)
    before = SparseFTRLClassifier(random_state=0).fit(np.eye(40)[:, :5], y)
    expected = before.get_ftrl_state()
    with pytest.raises(ValueError, match="'n' holds values beyond 1e\\+300"):
        before.set_ftrl_state(state)
    assert_same_state(before, SparseFTRLClassifier().set_ftrl_state(expected))


def test_a_squared_loss_state_of_gradients_beyond_1e100_resumes_to_the_bit():
    """Values of 1e49 (``x**2 * y`` within 1e100: training takes them) and a rate of 1e10
    make the squared loss's gradients 1e108 from the second row, so ``n`` reaches 1e216 in
    20 rows: the protocol, which bounded ``n`` by ``t * 1e200``, refused the state."""
    X, y = np.full((20, 1), 1e49), np.ones(20)
    est = SparseFTRLRegressor(eta0=1e10, shuffle=False, random_state=0).partial_fit(X, y)
    state = est.get_ftrl_state()
    assert state["n"].max() > 1e200 * int(state["t"])
    twin = SparseFTRLRegressor(eta0=1e10, shuffle=False).set_ftrl_state(saved_and_loaded(state))
    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert_same_state(twin, est)


def test_str_classes_in_a_strided_array_are_taken():
    # the check of their characters viewed the array as code units, which needs it
    # contiguous: numpy's "To change to a dtype of a different size..." refused them
    X = np.random.RandomState(0).normal(size=(60, 4))
    est = SparseFTRLClassifier(random_state=0).fit(X, np.where(X[:, 0] > 0, "spam", "ham"))
    state = est.get_ftrl_state()
    state["classes"] = np.array(["ham", "x", "spam", "y"])[::2]
    twin = SparseFTRLClassifier().set_ftrl_state(state)
    np.testing.assert_array_equal(twin.predict(X), est.predict(X))


_INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
# (whole numbers: a classifier takes float labels only when they are; each float type's
# range of consecutive integers)
_FLOAT_DTYPES = {"float16": 2**11, "float32": 2**24, "float64": 2**53, "longdouble": 2**53}


@st.composite
def label_kinds(draw):
    """2 to 4 distinct labels of one kind that ``fit`` takes (as an array, or a pandas
    column), and the kind's name."""
    kind = draw(st.sampled_from([*_INTEGER_DTYPES, *_FLOAT_DTYPES, "bool", "str", "object str"]))
    count = draw(st.integers(2, 4))
    if kind in _INTEGER_DTYPES:
        info = np.iinfo(kind)
        values = st.integers(int(info.min), int(info.max))
        labels = np.array(draw(st.lists(values, min_size=count, max_size=count, unique=True)), kind)
    elif kind in _FLOAT_DTYPES:
        edge = _FLOAT_DTYPES[kind]
        values = st.integers(-edge, edge)
        labels = np.array(draw(st.lists(values, min_size=count, max_size=count, unique=True)), kind)
    elif kind == "bool":
        labels = np.array([False, True])
    else:  # any text (surrogates, a NUL inside) but a trailing NUL, which str arrays drop
        text = st.text(max_size=5).filter(lambda s: not s.endswith("\0"))
        values = draw(st.lists(text, min_size=count, max_size=count, unique=True))
        labels = np.array(values, dtype=object if kind == "object str" else str)
    return kind, labels


@settings(max_examples=60, deadline=None, derandomize=True)
@given(kind_and_labels=label_kinds(), multinomial=st.booleans())
def test_every_label_kind_fit_takes_goes_through_the_state_and_back(kind_and_labels, multinomial):
    # the single estimators took labels (complex, objects...) that get_ftrl_state then refused;
    # whatever fit takes now, the state carries, and the twin predicts the same labels
    kind, labels = kind_and_labels
    X, _ = make_data(None, n_rows=60)
    y = labels[np.arange(60) % labels.size]
    params = dict(random_state=0, multi_class="multinomial" if multinomial else "ovr")
    est = SparseFTRLClassifier(**params).fit(X, y)
    twin = SparseFTRLClassifier(**params).set_ftrl_state(saved_and_loaded(est.get_ftrl_state()))
    assert_same_state(twin, est)
    np.testing.assert_array_equal(twin.classes_, est.classes_)
    np.testing.assert_array_equal(twin.predict(X), est.predict(X))
    assert set(est.predict(X).tolist()) <= set(y.tolist()), kind


# a subprocess under a 3 GiB address-space limit sets `state` (made by the code between the two)
# on a table-store classifier and prints its ValueError and whether the estimator is fitted
_UNDER_3_GIB = """
import resource
import numpy as np
from sparsereg import SparseFTRLClassifier
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.RLIM_INFINITY))
"""
_SET_AND_REPORT = """
est = SparseFTRLClassifier(state_store="sparse")
try:
    est.set_ftrl_state(state)
except ValueError as exc:
    print("ValueError:", exc, hasattr(est, "t_"))
"""


@pytest.fixture(scope="module")
def run_python():
    """:func:`memory_helpers.run_python`, each call in a process of its own forked from one
    interpreter that made ``_UNDER_3_GIB``'s imports once (the limit is set in each process)."""
    forks = ForkedPythons(_UNDER_3_GIB.split("resource.setrlimit")[0])
    yield forks.run
    forks.close()


_HISTORY_BROADCAST = """
size = 20000
state = {
    "columns": np.zeros(0, dtype=np.int64),
    "z": np.zeros((size, 0)),
    "n": np.zeros((size, 0)),
    "intercept_z": np.zeros(size),
    "intercept_n": np.zeros(size),
    "t": np.int64(size),
    "n_features_in": np.int64(10**6),
    "classes": np.arange(size),
    "nnz_history_t": np.arange(1, size + 1),
    "nnz_history": np.broadcast_to(np.int64(1000), (size, size)),
}
"""


def test_a_history_larger_than_memory_as_python_ints_is_refused_before_reading_it(run_python):
    """0.6 MB of state, its counts broadcast from one number to 20,000 records of 20,000
    models: they were read for 20 s into 4e8 Python ints (16 GB), a MemoryError or the
    machine out of memory."""
    done = run_python(_UNDER_3_GIB + _HISTORY_BROADCAST + _SET_AND_REPORT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: FTRL state 'nnz_history' holds 20,000 records of 400,000,000 counts" in (
        done.stdout
    )
    assert done.stdout.rstrip().endswith("False")  # the estimator left unfitted


_LONG_HISTORY = """
size = 30_000_000
state = {
    "columns": np.zeros(0, dtype=np.int64),
    "z": np.zeros((1, 0)),
    "n": np.zeros((1, 0)),
    "intercept_z": np.zeros(1),
    "intercept_n": np.zeros(1),
    "t": np.int64(size),
    "n_features_in": np.int64(10**6),
    "classes": np.arange(2),
    "nnz_history_t": np.arange(1, size + 1),
    "nnz_history": np.broadcast_to(np.int64(1000), (size, 1)),
}
"""


def test_a_history_of_more_records_than_memory_holds_is_refused_before_reading_it(run_python):
    """240 MB of state, 30 million records of one count: counted at 40 bytes a count (1.2 GB,
    within the 3 GiB), they were read into 5 GB of tuples and ints until a MemoryError; the
    records' own tuples and ints count too."""
    done = run_python(_UNDER_3_GIB + _LONG_HISTORY + _SET_AND_REPORT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: FTRL state 'nnz_history' holds 30,000,000 records" in done.stdout
    assert done.stdout.rstrip().endswith("False")  # the estimator left unfitted


_MANY_MODELS = """
size = 2**23
state = {
    "columns": np.zeros(0, dtype=np.int64),
    "z": np.zeros((size, 0)),
    "n": np.zeros((size, 0)),
    "intercept_z": np.broadcast_to(0.0, (size,)),
    "intercept_n": np.broadcast_to(0.0, (size,)),
    "t": np.int64(1),
    "n_features_in": np.int64(10),
    "classes": np.arange(size, dtype=np.int32),
}
"""


def test_a_state_of_more_one_vs_rest_tables_than_memory_is_refused_before_making_them(run_python):
    """32 MB of state, 8,388,608 classes and no column: the table store set out to make a
    table for each, 5 GB (a MemoryError after a minute, or the machine out of memory)."""
    done = run_python(_UNDER_3_GIB + _MANY_MODELS + _SET_AND_REPORT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError: the table store's 8,388,608 one-vs-rest models need" in done.stdout
    assert done.stdout.rstrip().endswith("False")  # the estimator left unfitted


@pytest.mark.parametrize("inclusion", ["poisson", "bloom"])
def test_a_seed_is_used_whole_not_modulo_2_to_the_32(inclusion):
    # the kernel's seed is 64 bits: states whose seeds differ by 2**32 draw differently
    rng = np.random.default_rng(0)
    X = sp.random(40, 2000, density=0.02, random_state=rng, format="csr")
    y = rng.normal(size=40)
    params = dict(random_state=0, shuffle=False, inclusion=inclusion, inclusion_p=0.3)
    params.update(inclusion_count=2, bloom_size=1024)
    state = SparseFTRLRegressor(**params).partial_fit(X[:1], y[:1]).get_ftrl_state()

    def columns_after(seed):
        seeded = dict(state, seed=np.int64(seed), bloom=np.zeros((1, 1024), np.uint8))
        est = SparseFTRLRegressor(**params).set_ftrl_state(seeded).partial_fit(X, y)
        assert est.get_ftrl_state()["seed"] == seed
        return est.get_ftrl_state()["columns"]

    assert not np.array_equal(columns_after(5), columns_after(5 + 2**32))
    with pytest.raises(ValueError, match="'seed' must be >= 0 and <= 9223372036854775807"):
        SparseFTRLRegressor(**params).set_ftrl_state(dict(state, seed=np.uint64(2**63)))
