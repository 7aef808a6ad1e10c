"""A large click-like CSR stream for the tests that interrupt a long training call."""

import numpy as np
import scipy.sparse as sp


def click_stream(n_rows=200_000, per_row=10, width=50_000, seed=0):
    """``(X, y)``: ``n_rows`` rows of ``per_row`` ones in random columns (duplicates summed)
    and random 0/1 labels."""
    rng = np.random.RandomState(seed)
    X = sp.csr_matrix(
        (
            np.ones(n_rows * per_row),
            rng.randint(width, size=n_rows * per_row),
            np.arange(0, n_rows * per_row + 1, per_row),
        ),
        shape=(n_rows, width),
    )
    X.sum_duplicates()
    return X, rng.randint(2, size=n_rows)
