"""A state records its estimator's model parameters (``params``); ``set_ftrl_state`` warns
where the taking estimator's differ in a way that changes the model, and is silent only where
the model it goes on with is the state's estimator's, to the bit."""

import json
import warnings
from decimal import Decimal

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
    merge_ftrl_states,
)

from .test_state_protocol import saved_and_loaded

# two values of each parameter that may change a model, and of some that must not
CHOICES = {
    "penalty": ["l1", "l2", "elasticnet", None],
    "alpha": [1e-4, 0.05],
    "l1_ratio": [0.15, 0.6],
    "penalty_scale": ["mean", "sum"],
    "eta0": [0.1, 0.7],
    "beta": [1.0, 3.0],
    "fit_intercept": [True, False],
    "shuffle": [True, False],
    "epsilon": [0.1, 0.4],
    # the store, the seed (the state's generator replaces it), fit's epochs and stopping and
    # the Bloom filter's size (the state's counters replace it) change no model of a state
    "state_store": ["dense", "sparse"],
    "random_state": [0, 7],
    "max_iter": [5, 50],
    "tol": [1e-3, None],
    "bloom_size": [2**10, 2**12],
    "inclusion": [None, None, "poisson", "bloom"],
    "inclusion_p": [0.3, 0.8],
    "inclusion_count": [1, 3],
}
LOSSES = {
    SparseFTRLRegressor: ["squared_error", "huber", "epsilon_insensitive"],
    SparseFTRLClassifier: ["log_loss", "hinge", "modified_huber"],
}


def _data(classifier, n_rows=300, seed=0):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, 40, density=0.15, format="csr", random_state=rng)
    score = np.asarray(X[:, :5].sum(axis=1)).ravel() - np.asarray(X[:, 5:10].sum(axis=1)).ravel()
    return X, (score > np.median(score)).astype(int) if classifier else score * 3.0


def _scores(est, X):
    return est.decision_function(X) if hasattr(est, "classes_") else est.predict(X)


def _state_params(state):
    """The parameters a state records, as set_params takes them (a class_weight recorded as
    [label, weight] pairs as a dict)."""
    params = json.loads(str(state["params"]))
    if isinstance(params.get("class_weight"), list):
        params["class_weight"] = dict(params["class_weight"])
    return params


@st.composite
def _two_parameter_sets(draw):
    Est = draw(st.sampled_from([SparseFTRLRegressor, SparseFTRLClassifier]))
    choices = {**CHOICES, "loss": LOSSES[Est]}
    if Est is SparseFTRLClassifier:
        choices["class_weight"] = [None, {0: 1.0, 1: 2.5}, {0: 1, 1: np.array(2.5)}]
    first = {key: draw(st.sampled_from(values)) for key, values in choices.items()}
    # the second: the first with a few of them changed (most draws change one or two)
    changed = draw(st.lists(st.sampled_from(sorted(choices)), max_size=3, unique=True))
    second = dict(first)
    for key in changed:
        second[key] = draw(st.sampled_from(choices[key]))
    for params in (first, second):  # (inclusion needs the table store)
        if params["inclusion"] is not None:
            params["state_store"] = "sparse"
    return Est, first, second


@settings(max_examples=60, deadline=None)
@given(_two_parameter_sets())
def test_a_state_taken_silently_is_the_states_model_to_the_bit(case):
    # the property that matters: no warning, then the taking estimator predicts and trains on
    # as the state's own would (a state restored into other parameters trained another model
    # without a word); a warning names each parameter that differs, and set_params of the
    # recorded ones gives the state's model back
    Est, first, second = case
    classifier = Est is SparseFTRLClassifier
    X, y = _data(classifier)
    fit_args = {"classes": [0, 1]} if classifier else {}
    trained = Est(**first).partial_fit(X[:200], y[:200], **fit_args)
    state = saved_and_loaded(trained.get_ftrl_state())
    taker = Est(**second)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        taker.set_ftrl_state(state)
    said = [
        str(w.message)
        for w in caught
        if "the FTRL state comes from an estimator with" in str(w.message)
    ]
    trained.partial_fit(X[200:], y[200:])
    if not said:
        before = _scores(taker, X)
        taker.partial_fit(X[200:], y[200:])
        np.testing.assert_array_equal(before, _scores(Est(**first).set_ftrl_state(state), X))
        np.testing.assert_array_equal(_scores(taker, X), _scores(trained, X))
        return
    assert len(said) == 1, said
    named = {key for key in _state_params(state) if f" {key}=" in said[0]}
    assert named and all(first[key] != second[key] for key in named), (named, said)
    # the parameters the state records make an estimator that takes it silently, and goes on
    # as the state's own would
    recorded = {**second, **_state_params(state)}
    if recorded["inclusion"] is not None:  # (inclusion needs the table store)
        recorded["state_store"] = "sparse"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        taker = Est(**recorded).set_ftrl_state(state)
    taker.partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(_scores(taker, X), _scores(trained, X))


def test_a_state_restored_into_the_defaults_warns_naming_what_differs():
    X, y = _data(classifier=False)
    trained = SparseFTRLRegressor(alpha=0.05, eta0=0.7, random_state=0).partial_fit(X, y)
    state = trained.get_ftrl_state()
    with pytest.warns(UserWarning) as caught:
        taker = SparseFTRLRegressor().set_ftrl_state(state)
    message = str(caught[0].message)
    assert "comes from an estimator with alpha=0.05, eta0=0.7" in message
    assert "has alpha=0.0001, eta0=0.1" in message
    assert "set_params(alpha=0.05, eta0=0.7)" in message
    assert caught[0].filename == __file__  # the caller's line
    # the difference is real: the same state reads other weights under the defaults
    assert not np.array_equal(taker.predict(X), trained.predict(X))


@pytest.mark.parametrize(
    "Est, trained_with, taken_by",
    [
        # the store, the seed, fit's epochs and stopping, the Bloom filter's size, threads
        (SparseFTRLRegressor, {"state_store": "dense"}, {"state_store": "sparse"}),
        (SparseFTRLRegressor, {"random_state": 0}, {"random_state": 1}),
        (SparseFTRLRegressor, {"max_iter": 5, "tol": None}, {"max_iter": 9, "tol": 0.1}),
        (SparseFTRLRegressor, {"n_threads": 1, "verbose": 0}, {"n_threads": 2, "verbose": 1}),
        (SparseFTRLClassifier, {"bloom_size": 2**10}, {"bloom_size": 2**12}),
        # a parameter that changes nothing under the loss, penalty or inclusion of both
        (SparseFTRLClassifier, {"epsilon": 0.1}, {"epsilon": 0.5}),
        (SparseFTRLRegressor, {"epsilon": 0.1}, {"epsilon": 0.5}),  # (squared_error)
        (SparseFTRLRegressor, {"l1_ratio": 0.1}, {"l1_ratio": 0.9}),  # (l1)
        (SparseFTRLRegressor, {"penalty": None, "alpha": 1}, {"penalty": None, "alpha": 2}),
        (SparseFTRLClassifier, {"inclusion_p": 0.5}, {"inclusion_p": 0.1}),
        (SparseFTRLClassifier, {"inclusion_count": 3}, {"inclusion_count": 5}),
        (SparseFTRLRegressor, {"alpha": 1}, {"alpha": 1.0}),  # (one number)
    ],
)
def test_parameters_that_change_no_model_of_the_state_are_not_named(Est, trained_with, taken_by):
    classifier = Est is SparseFTRLClassifier
    X, y = _data(classifier)
    fit_args = {"classes": [0, 1]} if classifier else {}
    trained = Est(**trained_with).partial_fit(X, y, **fit_args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        taker = Est(**taken_by).set_ftrl_state(trained.get_ftrl_state())
    np.testing.assert_array_equal(_scores(taker, X), _scores(trained, X))


@pytest.mark.parametrize(
    "Est, trained_with, taken_by, named",
    [
        (SparseFTRLRegressor, {"loss": "huber", "epsilon": 0.1}, {"loss": "huber"}, None),
        (SparseFTRLRegressor, {"loss": "huber", "epsilon": 0.5}, {}, "loss='huber', epsilon=0.5"),
        (SparseFTRLRegressor, {"penalty": "elasticnet", "l1_ratio": 0.9}, {}, "l1_ratio=0.9"),
        (SparseFTRLRegressor, {}, {"penalty": "elasticnet", "l1_ratio": 0.9}, "l1_ratio=0.15"),
        (SparseFTRLRegressor, {"penalty": None, "alpha": 2}, {}, "penalty=None, alpha=2"),
        (SparseFTRLClassifier, {"loss": "hinge"}, {}, "loss='hinge'"),
        (SparseFTRLClassifier, {"inclusion": "poisson", "inclusion_p": 0.5}, {}, "inclusion_p=0.5"),
        (SparseFTRLClassifier, {"inclusion": "bloom", "inclusion_count": 5}, {}, "inclusion="),
        (SparseFTRLClassifier, {"fit_intercept": False, "shuffle": False}, {}, "shuffle=False"),
        (SparseFTRLClassifier, {"penalty_scale": "sum", "beta": 2.0}, {}, "beta=2.0"),
        (SparseFTRLRegressor, {"penalty_scale": "sum"}, {}, "penalty_scale='sum'"),
    ],
)
def test_parameters_that_change_the_model_under_either_are_named(
    Est, trained_with, taken_by, named
):
    classifier = Est is SparseFTRLClassifier
    X, y = _data(classifier)
    fit_args = {"classes": [0, 1]} if classifier else {}
    state = Est(**trained_with).partial_fit(X, y, **fit_args).get_ftrl_state()
    if named is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Est(**taken_by).set_ftrl_state(state)
        return
    with pytest.warns(UserWarning, match=f"an estimator with .*{named}"):
        Est(**taken_by).set_ftrl_state(state)


def test_a_class_weight_recorded_is_named_as_set_params_takes_it():
    X, y = _data(classifier=True)
    weights = {0: 1.0, 1: 3.0}
    trained = SparseFTRLClassifier(class_weight=weights, random_state=0)
    state = trained.partial_fit(X, y, classes=[0, 1]).get_ftrl_state()
    with pytest.warns(UserWarning, match=r"class_weight=\{0: 1\.0, 1: 3\.0\}"):
        SparseFTRLClassifier().set_ftrl_state(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseFTRLClassifier(class_weight={1: 3.0, 0: 1}).set_ftrl_state(state)  # (equal)


def test_a_warning_made_an_error_leaves_the_estimator_as_it_was():
    X, y = _data(classifier=False)
    state = SparseFTRLRegressor(alpha=0.05, random_state=0).partial_fit(X, y).get_ftrl_state()
    taker = SparseFTRLRegressor(random_state=1).partial_fit(X[:50], y[:50])
    before = taker.get_ftrl_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="alpha=0.05"):
            taker.set_ftrl_state(state)
    after = taker.get_ftrl_state()
    assert sorted(after) == sorted(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_a_state_without_params_is_taken_silently():
    # (the states of earlier versions, and those built by hand)
    X, y = _data(classifier=False)
    state = SparseFTRLRegressor(alpha=0.05, random_state=0).partial_fit(X, y).get_ftrl_state()
    del state["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseFTRLRegressor().set_ftrl_state(state)


def test_params_of_keys_or_values_this_version_does_not_know():
    X, y = _data(classifier=False)
    state = SparseFTRLRegressor(random_state=0).partial_fit(X, y).get_ftrl_state()
    recorded = _state_params(state)
    with warnings.catch_warnings():  # a parameter of a later version: left unread
        warnings.simplefilter("error")
        later = {**recorded, "momentum": [1, {"a": None}]}
        SparseFTRLRegressor().set_ftrl_state({**state, "params": np.array(json.dumps(later))})
    odd = {**recorded, "alpha": "high", "penalty": [["l1", 2], 3]}
    with pytest.warns(UserWarning, match=r"penalty=\[\['l1', 2\], 3\], alpha='high'"):
        SparseFTRLRegressor().set_ftrl_state({**state, "params": np.array(json.dumps(odd))})
    # a value the state could not record is told apart from every value, its own included
    unknown = {**recorded, "beta": {"unrecorded": "Fraction"}}
    with pytest.warns(UserWarning, match=r"beta=<a Fraction not recorded>; .* has beta=1\.0"):
        SparseFTRLRegressor().set_ftrl_state({**state, "params": np.array(json.dumps(unknown))})


@pytest.mark.parametrize(
    "params, match",
    [
        (np.array([1, 2]), "params"),
        (np.array(["{}", "{}"]), "params"),
        (np.array(3.0), "params"),
        (np.array("not json"), "'params' is not a JSON object"),
        (np.array("[1, 2]"), "'params' must be a JSON object, got a JSON list"),
        (np.array('{"alpha": NaN}'), "'params' is not a JSON object: NaN"),
        (np.array('{"alpha": -Infinity}'), "'params' is not a JSON object"),
        (np.array("[" * 30_000 + "]" * 30_000), "'params' is not a JSON object"),
        (np.array("{" + " " * 70_000 + "}"), "'params' holds 70,002 characters"),
        ("{" + " " * 70_000 + "}", "'params' holds 70,002 characters"),  # (a str, uncopied)
        (np.array('{"alpha": 1e999}'), "'params' is not a JSON object: 1e999 is beyond"),
        (np.array('{"loss": [[[[1]]]]}'), "nests values more than 3 containers deep"),
        (  # (a code point past Unicode: NumPy's str of it raises SystemError)
            np.frombuffer(np.uint32(0x110000).tobytes(), dtype="<U1").reshape(()),
            "'params' holds a character beyond U\\+10FFFF",
        ),
    ],
)
def test_bad_params_are_refused_naming_the_key_and_change_nothing(params, match):
    X, y = _data(classifier=False)
    state = SparseFTRLRegressor(random_state=0).partial_fit(X, y).get_ftrl_state()
    taker = SparseFTRLRegressor(random_state=1).partial_fit(X[:50], y[:50])
    before = taker.predict(X)
    with pytest.raises((ValueError, TypeError), match=match):
        taker.set_ftrl_state({**state, "params": params})
    np.testing.assert_array_equal(taker.predict(X), before)
    assert taker.t_ == 50


@pytest.mark.parametrize(
    "weights",
    [
        {f"c{'x' * 700}{i}": 2.0 for i in range(100)},  # (72,000 characters as pairs)
        {0: 1.0, 1: np.array(5.0)},  # (0-d arrays and Decimals are weights class_weight takes)
        {0: Decimal("1"), 1: Decimal("5")},
    ],
    ids=["long labels", "0-d array", "Decimal"],
)
def test_any_class_weight_is_recorded_so_that_another_is_named(weights):
    labels = sorted(weights, key=str)
    X, y = _data(classifier=True)
    y = np.asarray(labels, dtype=object)[np.arange(len(y)) % len(labels)]
    if all(isinstance(label, int) for label in labels):
        y = y.astype(int)
    trained = SparseFTRLClassifier(class_weight=weights, random_state=0)
    state = saved_and_loaded(trained.partial_fit(X, y, classes=labels).get_ftrl_state())
    assert len(str(state["params"])) < 5000
    with warnings.catch_warnings():  # (the same weights: silent, and the same model)
        warnings.simplefilter("error")
        same = SparseFTRLClassifier(class_weight=weights, random_state=0).set_ftrl_state(state)
    trained.partial_fit(X, y)
    np.testing.assert_array_equal(_scores(same.partial_fit(X, y), X), _scores(trained, X))
    with pytest.warns(UserWarning, match="class_weight=") as caught:
        SparseFTRLClassifier(random_state=0).set_ftrl_state(state)
    assert len(str(caught[0].message)) < 1000
    if len(weights) == 100:  # (by its digest: no set_params(class_weight=...) to copy)
        assert "class_weight=<a class_weight of sha256" in str(caught[0].message)
        assert "set_params with its parameters first" in str(caught[0].message)


def test_equal_class_weights_record_alike_and_odd_ones_still_save():
    X, y = _data(classifier=True)
    state = SparseFTRLClassifier(class_weight={1.0: 2.0, 0: 1.0}, random_state=0)
    state = state.partial_fit(X, y, classes=[0, 1]).get_ftrl_state()
    with warnings.catch_warnings():  # (the same dict: a label 1.0, or True, is the key 1)
        warnings.simplefilter("error")
        SparseFTRLClassifier(class_weight={0: 1.0, 1: 2}).set_ftrl_state(state)
        SparseFTRLClassifier(class_weight={False: 1, True: 2.0}).set_ftrl_state(state)
    # labels no class has (scikit-learn takes them): a state that records the dict as one it
    # could not (a label of 5,000 digits has no JSON), which copies of it merge
    for odd in ({0: 1, 1: 2, 10**5000: 1}, {0: 1, 1: 2, float("nan"): 1}):
        est = SparseFTRLClassifier(class_weight=odd, random_state=0)
        a = est.partial_fit(X[:150], y[:150], classes=[0, 1]).get_ftrl_state()
        b = clone(est).partial_fit(X[150:], y[150:], classes=[0, 1]).get_ftrl_state()
        merged = merge_ftrl_states([a, b])
        with pytest.warns(UserWarning, match="class_weight=<a dict not recorded>"):
            SparseFTRLClassifier(class_weight=odd).set_ftrl_state(merged)


def test_merging_copies_trained_under_other_parameters_is_refused():
    X, y = _data(classifier=False)
    a = SparseFTRLRegressor(alpha=0.05, random_state=0).partial_fit(X[:150], y[:150])
    b = SparseFTRLRegressor(alpha=0.05, random_state=0).partial_fit(X[150:], y[150:])
    other = SparseFTRLRegressor(eta0=0.7, alpha=0.05, random_state=0).partial_fit(X[150:], y[150:])
    with pytest.raises(
        ValueError,
        match=r"states\[1\] comes from an estimator with eta0=0\.7, states\[0\] from one ",
    ):
        merge_ftrl_states([a.get_ftrl_state(), other.get_ftrl_state()])
    # compared with each other, not only with the first (which may record none)
    old = a.get_ftrl_state()
    del old["params"]
    with pytest.raises(ValueError, match=r"states\[2\] comes from an estimator with eta0=0\.7"):
        merge_ftrl_states([old, b.get_ftrl_state(), other.get_ftrl_state()])
    merged = saved_and_loaded(merge_ftrl_states([a.get_ftrl_state(), b.get_ftrl_state()]))
    assert _state_params(merged) == _state_params(a.get_ftrl_state())
    with pytest.warns(UserWarning, match="an estimator with alpha=0.05;"):
        SparseFTRLRegressor().set_ftrl_state(merged)


def test_a_grids_state_records_its_chosen_models_parameters():
    X, y = _data(classifier=False)
    grid = SparseFTRLRegressorCV(alphas=[1e-4, 0.05], eta0s=[0.1, 0.7], random_state=0)
    grid.fit(X, y)
    state = grid.get_ftrl_state()
    chosen = grid.best_estimator_.get_params()
    assert {k: _state_params(state)[k] for k in ("alpha", "eta0")} == {
        "alpha": chosen["alpha"],
        "eta0": chosen["eta0"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        taker = SparseFTRLRegressor(**chosen).set_ftrl_state(state)
    np.testing.assert_array_equal(taker.predict(X), grid.predict(X))
