"""The order of a shuffled epoch: every row once, each order equally likely, and drawn from
the estimator's ``RandomState`` (one number per epoch), so that a resumed fit repeats it."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg._epoch import epoch_order
from sparsereg._ftrl_fast import shuffle_rows

from .state_helpers import dense_state


@pytest.mark.parametrize("n_rows", [2, 3, 17, 1000])
def test_a_shuffled_epoch_trains_every_row_once(n_rows):
    # one column per row and no intercept: row i's update is the only one of column i, and
    # from a zero state its squared-loss gradient is -y_i, so n_i must be y_i**2 exactly
    # (0 for a row skipped, 2 y_i**2 for a row trained twice)
    X = sp.identity(n_rows, format="csr")
    y = np.random.RandomState(n_rows).uniform(1.0, 2.0, size=n_rows)
    est = SparseFTRLRegressor(
        fit_intercept=False, shuffle=True, max_iter=1, tol=None, random_state=3
    ).fit(X, y)
    np.testing.assert_array_equal(dense_state(est)[0, :, 1], y**2)


def test_orders_are_permutations_drawn_from_the_generator():
    rng = np.random.RandomState(0)
    before = rng.get_state()[1].copy()
    order = epoch_order(rng, 1000)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(np.sort(order), np.arange(1000))
    assert not np.array_equal(rng.get_state()[1], before)  # the generator moved on
    # the same generator state gives the same order; the next draw another
    again = np.random.RandomState(0)
    np.testing.assert_array_equal(epoch_order(again, 1000), order)
    assert not np.array_equal(epoch_order(again, 1000), order)


def test_every_order_of_four_rows_is_equally_likely():
    rng = np.random.RandomState(1)
    draws = 48_000
    counts = {}
    for _ in range(draws):
        key = tuple(epoch_order(rng, 4))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 24
    observed = np.array(list(counts.values()))
    expected = draws / 24
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < 49.7  # 23 degrees of freedom: exceeded with probability 0.001


def _rows(n_rows, n_cols, seed):
    """CSR rows of 0 to 40 non-zeros (empty rows too), values of both signs."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(0, 41, size=n_rows)
    lengths[rng.rand(n_rows) < 0.1] = 0
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate(
        [np.sort(rng.choice(n_cols, k, replace=False)) for k in lengths] + [np.empty(0, int)]
    )
    data = rng.uniform(-2.0, 2.0, size=indices.shape[0])
    return sp.csr_matrix((data, indices.astype(np.int32), indptr), shape=(n_rows, n_cols))


@pytest.mark.parametrize(
    "cls, params, n_classes",
    [
        (SparseFTRLRegressor, {"state_store": "dense"}, 0),
        (SparseFTRLRegressor, {"state_store": "sparse"}, 0),
        (SparseFTRLClassifier, {"state_store": "dense"}, 2),
        (SparseFTRLClassifier, {"state_store": "dense"}, 3),
        (SparseFTRLClassifier, {"multi_class": "multinomial"}, 3),
    ],
    ids=["dense", "table", "binary", "one-vs-rest", "multinomial"],
)
@pytest.mark.parametrize("n_rows", [2, 5, 17, 33, 300])
def test_a_shuffled_batch_trains_as_its_rows_in_the_drawn_order(cls, params, n_classes, n_rows):
    # the kernels read a shuffled epoch's rows (and fetch the rows ahead) through the order;
    # the same rows put in that order and trained in storage order must give the same bits
    # (a dense store of 3000 columns trains 300 rows, 5,131 non-zeros, in the narrow kernel,
    # fewer rows in the wide one)
    X0, Xb = _rows(50, 3000, 0), _rows(n_rows, 3000, n_rows)
    y0 = np.arange(50) % max(n_classes, 2)
    yb = np.random.RandomState(n_rows).randint(0, max(n_classes, 2), n_rows)
    if n_classes == 0:
        y0, yb = y0 - 0.3, yb + np.random.RandomState(2).normal(size=n_rows)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, size=n_rows)
    first = cls(shuffle=True, random_state=5, **params)
    kwargs = {"classes": np.arange(n_classes)} if n_classes else {}
    first.partial_fit(X0, y0, **kwargs)
    state = first.get_ftrl_state()
    rng = np.random.RandomState()
    rng.set_state(
        (
            "MT19937",
            state["rng_state"],
            int(state["rng_pos"]),
            int(state["rng_has_gauss"]),
            float(state["rng_cached_gaussian"]),
        )
    )
    order = epoch_order(rng, n_rows)
    first.partial_fit(Xb, yb, sample_weight=weights)
    with pytest.warns(UserWarning, match="estimator with shuffle=True"):  # (as meant)
        second = cls(shuffle=False, random_state=5, **params).set_ftrl_state(state)
    second.partial_fit(Xb[order], yb[order], sample_weight=weights[order])
    after, expected = first.get_ftrl_state(), second.get_ftrl_state()
    for key in ("z", "n", "intercept_z", "intercept_n"):
        np.testing.assert_array_equal(after[key], expected[key])


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), before=st.integers(0, 700), gauss=st.booleans())
def test_the_order_is_seeded_by_randints_draw_and_leaves_the_generator_as_it(seed, before, gauss):
    # epoch_order reads MT19937's words in compiled code instead of calling randint: the
    # same number, and the generator where randint leaves it, so that orders and saved
    # generators are those of the versions before. Other bit generators use randint.
    for make in (np.random.RandomState, lambda s: np.random.RandomState(np.random.PCG64(s))):
        a, b = make(seed), make(seed)
        for rng in (a, b):
            rng.random_sample(before)  # any position in MT19937's block of 624 words
            if gauss:
                rng.standard_normal()  # a cached Gaussian, which the draw must keep
        for n_rows in (1, 2, 17):
            expected = np.empty(n_rows, dtype=np.int64)
            shuffle_rows(expected, int(b.randint(2**63 - 1, dtype=np.int64)))
            np.testing.assert_array_equal(epoch_order(a, n_rows), expected)
        assert same_state(a.get_state(legacy=False), b.get_state(legacy=False))


def same_state(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    return np.array_equal(a, b)
