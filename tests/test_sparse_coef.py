"""sparse_coef_: the weights as a CSR matrix whatever the store and coef_'s form, as
ElasticNet.sparse_coef_ (2-D), never through a dense row of the whole width."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import ElasticNet

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor

from .test_export import binary, make_data, three


def dense_of(coef):
    return coef.toarray() if sp.issparse(coef) else np.atleast_2d(coef)


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize(
    "make, labels",
    [
        (lambda store: SparseFTRLRegressor(alpha=1e-3, random_state=0, state_store=store), None),
        (lambda store: SparseFTRLClassifier(alpha=1e-3, random_state=0, state_store=store), binary),
        (lambda store: SparseFTRLClassifier(alpha=1e-3, random_state=0, state_store=store), three),
    ],
)
def test_sparse_coef_is_csr_of_the_weights(store, make, labels):
    X, signal, _ = make_data()
    y = signal if labels is None else labels(signal)
    est = make(store).fit(X, y)
    n_models = 1 if labels in (None, binary) else 3
    for step in ("as fitted", "sparsify", "densify"):
        if step != "as fitted":
            getattr(est, step)()
        coef = est.sparse_coef_
        assert sp.issparse(coef) and coef.format == "csr"
        assert coef.shape == (n_models, X.shape[1])
        assert_array_equal(coef.toarray(), dense_of(est.coef_))
        assert coef.nnz == int(est.count_nonzero().sum()) and np.all(coef.data != 0)
    # a new matrix each time: changing it changes nothing in the estimator
    before = est.predict(X)
    coef = est.sparse_coef_
    coef.data[:] = 0
    assert_array_equal(est.predict(X), before)
    assert est.sparse_coef_.nnz > 0


def test_same_layout_as_elasticnet():
    X, signal, _ = make_data()
    ours = SparseFTRLRegressor(alpha=1e-3, random_state=0).fit(X, signal)
    theirs = ElasticNet(alpha=1e-3).fit(X, signal)
    assert type(ours.sparse_coef_) is type(theirs.sparse_coef_)
    assert ours.sparse_coef_.shape == theirs.sparse_coef_.shape == (1, X.shape[1])


def test_unfitted_raises_not_fitted():
    for est in (SparseFTRLRegressor(), SparseFTRLClassifier()):
        with pytest.raises(NotFittedError):
            est.sparse_coef_
        assert not hasattr(est, "sparse_coef_")


def test_wide_sparse_store_is_never_dense():
    rng = np.random.RandomState(0)
    width = 2**28  # a dense float64 row would be 2 GiB
    X = sp.csr_matrix(
        (np.ones(2000), rng.randint(0, width, 2000), np.arange(0, 2001, 10)), shape=(200, width)
    )
    y = rng.normal(size=200)
    est = SparseFTRLRegressor(alpha=1e-4, random_state=0, state_store="sparse").fit(X, y)
    est.densify()  # coef_ would now be dense: sparse_coef_ must not go through it
    tracemalloc.start()
    try:
        coef = est.sparse_coef_
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert coef.shape == (1, width) and coef.nnz > 0
    assert peak < 2**20  # bytes: the non-zero weights only
