"""merge_ftrl_states: the average of copies' states, by the documented rules."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, merge_ftrl_states

from .state_helpers import assert_same_state, dense_state

N_FEATURES = 80


def make_data(n_rows=400, seed=0):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, N_FEATURES, density=0.08, format="csr", random_state=rng)
    y = np.digitize(
        np.asarray(X[:, :6].sum(axis=1)).ravel() - np.asarray(X[:, 6:12].sum(axis=1)).ravel(),
        [-0.1, 0.1],
    )
    return X, y


def as_dense(state):
    out = np.zeros((state["z"].shape[0], int(state["n_features_in"]), 2))
    out[:, state["columns"], 0] = state["z"]
    out[:, state["columns"], 1] = state["n"]
    return out


def test_one_state_merged_alone_is_itself():
    X, y = make_data()
    clf = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    merged = merge_ftrl_states([clf.get_ftrl_state()])
    twin = SparseFTRLClassifier(random_state=0).set_ftrl_state(merged)
    np.testing.assert_array_equal(twin.decision_function(X), clf.decision_function(X))
    twin.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(dense_state(twin), dense_state(clf))


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_copies_from_scratch_average_their_states(store):
    X, y = make_data()
    a = SparseFTRLClassifier(state_store=store, random_state=0).partial_fit(
        X[:200], y[:200], classes=[0, 1, 2]
    )
    b = SparseFTRLClassifier(state_store=store, random_state=1).partial_fit(
        X[200:], y[200:], classes=[0, 1, 2]
    )
    merged = merge_ftrl_states([a.get_ftrl_state(), b.get_ftrl_state()], weights=[3, 1])
    expected = 0.75 * dense_state(a) + 0.25 * dense_state(b)  # a column b lacks counts as 0 there
    np.testing.assert_allclose(as_dense(merged), expected, rtol=1e-15, atol=0)
    assert merged["t"] == 400
    sa, sb = a.get_ftrl_state(), b.get_ftrl_state()
    np.testing.assert_allclose(
        merged["intercept_z"], 0.75 * sa["intercept_z"] + 0.25 * sb["intercept_z"], rtol=1e-15
    )
    np.testing.assert_array_equal(merged["columns"], np.union1d(sa["columns"], sb["columns"]))


def test_copies_from_a_base_count_samples_and_occurrences_once():
    rng = np.random.RandomState(0)
    X = sp.random(600, 5000, density=0.004, format="csr", random_state=rng)  # rare columns
    y = rng.randint(0, 3, 600)
    params = dict(inclusion="bloom", inclusion_count=3, bloom_size=2**12, random_state=0)
    base = SparseFTRLClassifier(**params).partial_fit(X[:200], y[:200], classes=[0, 1, 2])
    start = base.get_ftrl_state()
    copies = [
        SparseFTRLClassifier(**params)
        .set_ftrl_state(start)
        .partial_fit(X[lo : lo + 200], y[lo : lo + 200])
        for lo in (200, 400)
    ]
    merged = merge_ftrl_states([c.get_ftrl_state() for c in copies], base=start)
    assert merged["t"] == 600  # 200 before, 200 + 200 after: as one sequential run
    counters = [c.get_ftrl_state()["bloom"].astype(int) for c in copies]
    expected = np.clip(start["bloom"] + sum(b - start["bloom"] for b in counters), 0, 255)
    np.testing.assert_array_equal(merged["bloom"], expected)
    assert merged["bloom"].sum() > start["bloom"].sum()  # the copies counted new occurrences
    held = [c.get_ftrl_state() for c in copies]
    union = set(held[0]["columns"][held[0]["held"][0]]) | set(
        held[1]["columns"][held[1]["held"][0]]
    )
    assert set(merged["columns"][merged["held"][0]]) == union


def test_a_merged_state_trains_on_like_any_other():
    X, y = make_data()
    a = SparseFTRLRegressor(random_state=0).partial_fit(X[:200], y[:200])
    b = SparseFTRLRegressor(random_state=0).partial_fit(X[200:], y[200:])
    merged = merge_ftrl_states([a.get_ftrl_state(), b.get_ftrl_state()])
    one = SparseFTRLRegressor(random_state=0).set_ftrl_state(merged).partial_fit(X, y)
    two = SparseFTRLRegressor(random_state=0).set_ftrl_state(merged).partial_fit(X, y)
    assert_same_state(one, two)
    assert one.t_ == 800


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda s: s.update(classes=np.array([0, 1, 5])), "other classes"),
        (lambda s: s.update(n_features_in=np.int64(N_FEATURES + 1)), "n_features_in"),
    ],
)
def test_states_of_different_models_are_refused(change, match):
    X, y = make_data()
    a = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2]).get_ftrl_state()
    b = dict(a)
    change(b)
    with pytest.raises(ValueError, match=match):
        merge_ftrl_states([a, b])


@pytest.mark.parametrize("weights", [[1.0], [1.0, -1.0], [0.0, 0.0], [np.nan, 1.0]])
def test_bad_weights_are_refused(weights):
    X, y = make_data()
    state = SparseFTRLRegressor().partial_fit(X, y).get_ftrl_state()
    with pytest.raises(ValueError, match="weights"):
        merge_ftrl_states([state, state], weights=weights)
    with pytest.raises(TypeError, match="weights must be numbers"):
        merge_ftrl_states([state, state], weights=["1", "3"])  # were read as 1.0 and 3.0


def test_weights_whose_sum_overflows_give_their_shares():
    # 1e308 twice summed to inf, every share 0: an all-zero model, without a word
    X, y = make_data()
    a = SparseFTRLRegressor().partial_fit(X[:200], y[:200]).get_ftrl_state()
    b = SparseFTRLRegressor().partial_fit(X[200:], y[200:]).get_ftrl_state()
    huge = merge_ftrl_states([a, b], weights=[1e308, 1e308])
    even = merge_ftrl_states([a, b])
    for key in ("z", "n", "intercept_z", "intercept_n"):
        np.testing.assert_array_equal(huge[key], even[key])
    assert np.any(huge["z"] != 0)


@pytest.mark.parametrize("t", [2**61 + 2**60, 2**62])
def test_counts_that_sum_past_the_protocols_largest_are_refused(t):
    # (2**62 twice raised OverflowError; 3 * 2**61 gave a state set_ftrl_state refuses)
    X, y = make_data()
    state = SparseFTRLRegressor().partial_fit(X, y).get_ftrl_state()
    state["t"] = np.int64(t)
    with pytest.raises(
        ValueError, match=r"t = [\d,]+ samples, more than 4,611,686,018,427,387,904"
    ):
        merge_ftrl_states([state, state])
    state["t"] = np.int64(2**61)  # the largest sum: merged and accepted
    assert SparseFTRLRegressor().set_ftrl_state(merge_ftrl_states([state, state])).t_ == 2**62


def test_one_state_read_by_np_load_merges_alone():
    # a Mapping given alone was taken for a list of states (its keys)
    import io

    X, y = make_data()
    state = SparseFTRLRegressor().partial_fit(X, y).get_ftrl_state()
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer) as loaded:
        merged = merge_ftrl_states(loaded)
    np.testing.assert_array_equal(merged["z"], state["z"])


def test_nothing_to_merge_and_not_a_state_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        merge_ftrl_states([])
    with pytest.raises(TypeError, match="FTRL state"):
        merge_ftrl_states([np.zeros(3)])
    for not_a_list in (None, 3):  # (raised "'NoneType' object is not iterable")
        with pytest.raises(TypeError, match="states must be a list of FTRL states"):
            merge_ftrl_states(not_a_list)


def test_bloom_counters_of_other_seeds_and_a_foreign_base_are_refused():
    X, y = make_data()
    params = dict(inclusion="bloom", bloom_size=2**10)
    a = SparseFTRLClassifier(random_state=0, **params).partial_fit(X, y, classes=[0, 1, 2])
    b = SparseFTRLClassifier(random_state=1, **params).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="seeds differ"):
        merge_ftrl_states([a.get_ftrl_state(), b.get_ftrl_state()])
    regressor = SparseFTRLRegressor().partial_fit(X, y.astype(float)).get_ftrl_state()
    with pytest.raises(ValueError, match="base"):
        merge_ftrl_states([a.get_ftrl_state()], base=regressor)
    # a base of another seed: its counters subtracted from counters of other hashes
    fresh = [
        SparseFTRLClassifier(random_state=1, **params)
        .partial_fit(X[:k], y[:k], classes=[0, 1, 2])
        .get_ftrl_state()
        for k in (300, 400)
    ]
    with pytest.raises(ValueError, match=r"seeds differ \(base's included\)"):
        merge_ftrl_states(fresh, base=a.get_ftrl_state())
    later = a.get_ftrl_state()
    with pytest.raises(ValueError, match="fewer samples"):
        merge_ftrl_states(
            [
                SparseFTRLClassifier(random_state=0, **params)
                .partial_fit(X[:10], y[:10], classes=[0, 1, 2])
                .get_ftrl_state()
            ],
            base=later,
        )


def test_a_copy_of_weight_zero_counts_for_nothing():
    X, y = make_data()
    a = SparseFTRLRegressor().partial_fit(X[:200], y[:200]).get_ftrl_state()
    b = SparseFTRLRegressor().partial_fit(X[200:], y[200:]).get_ftrl_state()
    merged = merge_ftrl_states([a, b], weights=[1, 0])
    assert merged["t"] == 200
    # the seed and generator are the kept copy's, not those of the copy left out first
    c = SparseFTRLRegressor(random_state=7).partial_fit(X[200:], y[200:]).get_ftrl_state()
    kept_second = merge_ftrl_states([c, a], weights=[0, 1])
    for key in ("seed", "rng_state", "rng_pos"):
        np.testing.assert_array_equal(kept_second[key], a[key])
    np.testing.assert_array_equal(merged["columns"], a["columns"])
    np.testing.assert_array_equal(merged["z"], a["z"])


def test_a_copy_of_a_tiny_positive_weight_still_counts_its_samples():
    # 5e-324 beside 1e308 was scaled to 0 and the copy left out, its samples not in t
    X, y = make_data()
    a = SparseFTRLRegressor().partial_fit(X[:100], y[:100]).get_ftrl_state()
    b = SparseFTRLRegressor().partial_fit(X[100:], y[100:]).get_ftrl_state()
    merged = merge_ftrl_states([a, b], weights=[5e-324, 1e308])
    assert merged["t"] == X.shape[0]
    np.testing.assert_array_equal(as_dense(merged), as_dense(merge_ftrl_states([b])))


def test_a_base_whose_bloom_filters_the_copies_lack_is_refused():
    # a copy keeps the counters of the state it started from: copies of 1,024 counters did not
    # start from a base of 512, whose counters were then taken as none (t and z merged as if)
    X, y = make_data()
    base = (
        SparseFTRLClassifier(random_state=0, inclusion="bloom", bloom_size=2**9)
        .partial_fit(X[:100], y[:100], classes=[0, 1, 2])
        .get_ftrl_state()
    )
    copies = [
        SparseFTRLClassifier(random_state=0, inclusion="bloom", bloom_size=2**10)
        .partial_fit(X[:k], y[:k], classes=[0, 1, 2])
        .get_ftrl_state()
        for k in (200, 300)
    ]
    with pytest.raises(ValueError, match="base has Bloom filters of 512 counters, the copies"):
        merge_ftrl_states(copies, base=base)
    # copies that did start from it keep its 512 counters and merge
    twins = [
        SparseFTRLClassifier(random_state=0, inclusion="bloom", bloom_size=2**10)
        .set_ftrl_state(base)
        .partial_fit(X[100:k], y[100:k])
        .get_ftrl_state()
        for k in (200, 300)
    ]
    merged = merge_ftrl_states(twins, base=base)
    assert merged["bloom"].shape == (3, 2**9) and merged["t"] == 100 + 100 + 200
