"""The order of a shuffled epoch: every row once, each order equally likely, and drawn from
the estimator's ``RandomState`` (one number per epoch), so that a resumed fit repeats it."""

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLRegressor
from sparsereg._epoch import epoch_order

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
