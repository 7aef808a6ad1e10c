"""Few columns, dense or CSR: the narrow kernels train the model the general one trains, to the bit.

A dense store of at most ``NARROW_COLUMNS`` columns trains with a kernel that keeps
``sqrt(n_j)`` between rows, and a dense ``X`` is read as it is (no copy to CSR or to C
order). Padding ``X`` with columns of zeros past ``NARROW_COLUMNS`` sends the same rows
through the general kernel (zeros never touch a coordinate), which is the reference here;
the literal NumPy transcription of Algorithm 1 is the other.
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, _epoch
from sparsereg._epoch import NARROW_COLUMNS
from sparsereg._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

from .ftrl_reference import ftrl_reference
from .state_helpers import assert_same_state, dense_state, intercept_state

N_COLS = 6


@pytest.fixture(params=[True, False], ids=["lanes", "scalar"])
def dense_path(request, monkeypatch):
    """Each loop of the dense kernel: a row's columns in vector lanes (chosen where the CPU
    has AVX2; elsewhere the baseline build of the same code) or one column at a time."""
    monkeypatch.setattr(_epoch, "DENSE_LANES", request.param)


def _data(classification, seed=0, n_rows=60, dtype=np.float64):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, N_COLS)) * 1.5
    X[rng.uniform(size=X.shape) < 0.2] = 0.0  # zeros: CSR leaves them out
    X[3, 1] = -0.0
    X[:, 4] = 0.0  # a column never seen
    X[5] = 0.0  # a row of zeros
    score = X @ rng.normal(size=N_COLS) + 0.2 * rng.normal(size=n_rows)
    y = np.where(score > 0, 1.0, -1.0) if classification else score + 0.5
    if classification == "multi":
        y = np.digitize(score, [-1.0, 1.0]).astype(float)
    return X.astype(dtype), y, rng.uniform(0.2, 3.0, size=n_rows)


def _padded(X):
    """``X`` as CSR with zero columns up to one past ``NARROW_COLUMNS``: the general kernel."""
    pad = sp.csr_matrix((X.shape[0], NARROW_COLUMNS + 1 - X.shape[1]), dtype=X.dtype)
    return sp.hstack([sp.csr_matrix(X), pad], format="csr")


def _make(loss, **params):
    Est = SparseFTRLClassifier if loss in CLASSIFICATION_LOSSES else SparseFTRLRegressor
    defaults = dict(alpha=0.01, l1_ratio=0.5, penalty="elasticnet", eta0=0.3, beta=0.7)
    defaults.update(epsilon=0.2, max_iter=3, tol=None, random_state=0, state_store="dense")
    defaults.update(params)
    return Est(loss=loss, **defaults)


def _same_narrow_state(narrow, general):
    """The narrow model's state equals the general one's on its columns, to the bit."""
    a, b = dense_state(narrow), dense_state(general)
    assert not b[:, N_COLS:].any()
    assert a.tobytes() == np.ascontiguousarray(b[:, :N_COLS]).tobytes()
    assert intercept_state(narrow).tobytes() == intercept_state(general).tobytes()
    assert narrow.t_ == general.t_
    # the same counts where both recorded one: the general model's 4,097 columns make a
    # stream of small calls record less often (a count reads every column)
    assert general.nnz_history_[0] == narrow.nnz_history_[0]
    assert set(general.nnz_history_) <= set(narrow.nnz_history_)


CASES = list(
    itertools.product(
        REGRESSION_LOSSES + CLASSIFICATION_LOSSES,
        [True, False],  # sample weights
        [True, False],  # fit_intercept
    )
)


@pytest.mark.parametrize("loss, weighted, fit_intercept", CASES)
@pytest.mark.parametrize("layout", ["C", "F", "csr"])
def test_narrow_kernels_match_the_general_kernel(loss, weighted, fit_intercept, layout, dense_path):
    X, y, sw = _data(loss in CLASSIFICATION_LOSSES)
    sw = sw if weighted else None
    general = _make(loss, fit_intercept=fit_intercept).fit(_padded(X), y, sample_weight=sw)
    X_in = sp.csr_matrix(X) if layout == "csr" else np.asarray(X, order=layout)
    narrow = _make(loss, fit_intercept=fit_intercept).fit(X_in, y, sample_weight=sw)
    _same_narrow_state(narrow, general)


@pytest.mark.parametrize(
    "params",
    [
        dict(penalty_scale="sum"),
        dict(shuffle=False),
        dict(penalty="l1", alpha=0.5),  # many weights held at exactly 0
        dict(penalty=None, beta=1e-10),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_narrow_kernels_match_under_other_parameters(params, dtype, dense_path):
    X, y, _ = _data(False, seed=1, dtype=dtype)
    general = _make("squared_error", **params).fit(_padded(X), y)
    for X_in in (X, np.asfortranarray(X), X[::-1][::-1], sp.csr_matrix(X)):
        narrow = _make("squared_error", **params).fit(X_in, y)
        _same_narrow_state(narrow, general)
        assert narrow.coef_.dtype == dtype


@pytest.mark.parametrize("n_cols", [1, 3, 7, 8, 9, 17])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_rows_of_any_width_match_the_general_kernel(n_cols, dtype, order, dense_path):
    # the dense kernel computes a row's columns in vector lanes: widths that leave a
    # remainder of every vector length, rows of zeros of both signs, tiny and large entries,
    # and weights held at exactly 0 by lambda1 on some rows and not on others
    rng = np.random.RandomState(n_cols)
    X = rng.normal(size=(80, n_cols)) * np.logspace(-3, 3, n_cols)
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    X[rng.uniform(size=X.shape) < 0.1] = -0.0
    X[7] = -0.0
    X[9, 0] = 1e-300
    X[11, -1] = 1e15
    X = np.asarray(X.astype(dtype), order=order)
    y = X.astype(np.float64) @ rng.normal(size=n_cols) / 1e3 + rng.normal(size=80)
    for params in (dict(), dict(penalty="l1", alpha=0.05), dict(fit_intercept=False)):
        general = _make("huber", **params).fit(_padded(X), y)
        narrow = _make("huber", **params).fit(X, y)
        a, b = dense_state(narrow), dense_state(general)
        assert not b[:, n_cols:].any()
        assert a.tobytes() == np.ascontiguousarray(b[:, :n_cols]).tobytes()
        assert intercept_state(narrow).tobytes() == intercept_state(general).tobytes()
        assert narrow.t_ == general.t_


@pytest.mark.parametrize("density", [0.03, 0.5])
def test_mostly_zero_dense_rows_match_the_general_kernel(density, dense_path):
    # below one non-zero in LANES_SPARSEST entries the scalar loop trains even where lanes pay
    rng = np.random.RandomState(9)
    X = rng.normal(size=(300, 40)) * (rng.uniform(size=(300, 40)) < density)
    y = X @ rng.normal(size=40) + rng.normal(size=300)
    general = _make("squared_error").fit(_padded(X), y)
    narrow = _make("squared_error").fit(X, y)
    a, b = dense_state(narrow), dense_state(general)
    assert a.tobytes() == np.ascontiguousarray(b[:, :40]).tobytes()
    assert intercept_state(narrow).tobytes() == intercept_state(general).tobytes()


def test_one_vs_rest_and_partial_fit_match_the_general_kernel(dense_path):
    X, y, sw = _data("multi", seed=2)
    general = _make("hinge")
    narrow = _make("hinge")
    classes = np.unique(y)
    for rows in (slice(0, 25), slice(25, 60), slice(0, 60)):
        general.partial_fit(_padded(X[rows]), y[rows], classes=classes, sample_weight=sw[rows])
        narrow.partial_fit(X[rows], y[rows], classes=classes, sample_weight=sw[rows])
    assert dense_state(narrow).shape[0] == len(classes)
    _same_narrow_state(narrow, general)


def test_a_strided_view_trains_as_its_copy(dense_path):
    X, y, _ = _data(False, seed=3, n_rows=120)
    view = X[::2, ::-1]  # neither C nor F contiguous
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    a = _make("huber").fit(view, y[::2])
    b = _make("huber").fit(np.ascontiguousarray(view), y[::2])
    assert_same_state(a, b)


@pytest.mark.parametrize(
    "params",
    [dict(early_stopping=True, tol=1e-3), dict(n_threads=2), dict(state_store="sparse")],
)
def test_paths_that_read_csr_give_what_csr_gives(params):
    """A dense X on a path the dense kernel does not take (held-out split, threads, table
    store) is converted to CSR: the model is the one its CSR copy trains."""
    X, y, _ = _data(False, seed=4, n_rows=200)
    a = _make("squared_error", **params).fit(X, y)
    b = _make("squared_error", **params).fit(sp.csr_matrix(X), y)
    assert_same_state(a, b)


def test_multinomial_on_dense_rows_matches_csr():
    X, y, _ = _data("multi", seed=5)
    a = SparseFTRLClassifier(multi_class="multinomial", max_iter=2, tol=None, random_state=0)
    b = SparseFTRLClassifier(multi_class="multinomial", max_iter=2, tol=None, random_state=0)
    a.fit(X, y)
    b.fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_dense_rows_match_algorithm_1(loss, dense_path):
    X, y, sw = _data(loss in CLASSIFICATION_LOSSES, seed=6)
    est = _make(loss, shuffle=False).fit(np.asfortranarray(X), y, sample_weight=sw)
    z, n, z0, n0, t = ftrl_reference(
        sp.csr_matrix(X),
        y,
        loss=loss,
        eta0=0.3,
        beta=0.7,
        lambda1=0.005,
        lambda2=0.005,
        mean_scaled=True,
        fit_intercept=True,
        sample_weight=sw,
        epsilon=0.2,
        epochs=3,
    )
    assert est.t_ == t
    np.testing.assert_allclose(dense_state(est)[0, :, 0], z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense_state(est)[0, :, 1], n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_rows_with_nan_or_infinity_are_refused_and_change_nothing(bad, order):
    X, y, _ = _data(False, seed=7)
    X_bad = np.array(X, order=order)
    X_bad[7, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        _make("squared_error").fit(X_bad, y)
    est = _make("squared_error").partial_fit(X, y)
    before = est.get_ftrl_state()
    with pytest.raises(ValueError, match="NaN or infinity"):
        est.partial_fit(X_bad, y)
    after = est.get_ftrl_state()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)


def test_dense_rows_of_a_huge_scale_are_refused():
    X, y, _ = _data(False, seed=8)
    with pytest.raises(ValueError, match="overflow"):
        _make("squared_error").fit(np.asfortranarray(X * 1e200), y)


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_dense_x_is_not_copied_while_training(order):
    # the point of reading dense rows as they are: fit allocates far less than X (a copy to
    # CSR, or to C order from F order, would allocate at least X's size again)
    import tracemalloc

    rng = np.random.RandomState(0)
    X = np.asarray(rng.normal(size=(17_000, 8)), order=order)
    y = X @ rng.normal(size=8)
    est = SparseFTRLRegressor(max_iter=2, tol=None, random_state=0).fit(X[:100], y[:100])
    peaks = []
    for _ in range(2):  # (a copy shows in each fit; another thread's allocation, once: 4.2 MB)
        tracemalloc.start()
        try:
            est.fit(X, y)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert min(peaks) < X.nbytes / 2, (peaks, X.nbytes)
    assert_same_state(
        est, SparseFTRLRegressor(max_iter=2, tol=None, random_state=0).fit(sp.csr_matrix(X), y)
    )
