"""Wide CSR on a dense store: a row's non-zeros in vector lanes train the scalar loop's model.

``ftrl_epoch`` computes rows of at least ``_epoch.CSR_LANES_FROM`` non-zeros in vector lanes
(``sparsereg/_csr_rows.h``) where the CPU has AVX2. The ``csr_path`` fixture sends every row
through the lanes or none; the literal NumPy transcription of Algorithm 1 is the reference,
and the two paths must agree to the bit, explicit zeros of X included (updated with g * 0).
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, _epoch
from sparsereg._epoch import NARROW_COLUMNS
from sparsereg._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

from .ftrl_reference import ftrl_reference
from .state_helpers import assert_same_state, dense_state, intercept_state

N_FEATURES = NARROW_COLUMNS + 1  # past the narrow kernel: the general one, dense store
NEVER = np.iinfo(np.int64).max
ETA0, BETA, ALPHA, L1_RATIO = 0.3, 0.7, 0.02, 0.6


@pytest.fixture(params=[1, NEVER], ids=["lanes", "scalar"])
def csr_path(request, monkeypatch):
    """Every row in vector lanes (chosen where the CPU has AVX2; elsewhere the baseline
    build of the same code) or every row one non-zero at a time."""
    monkeypatch.setattr(_epoch, "CSR_LANES_FROM", request.param)


def _rows(seed, n_rows=50, longest=30):
    """CSR rows of 0 to ``longest`` non-zeros over ``N_FEATURES`` columns, some of them
    explicit zeros (+0.0 and -0.0), a few columns shared by many rows."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(0, longest + 1, size=n_rows)
    popular = rng.choice(N_FEATURES, 40, replace=False)
    cols = [
        np.unique(rng.choice(popular if rng.uniform() < 0.5 else N_FEATURES, k, replace=False))
        for k in lengths
    ]
    data = rng.normal(size=sum(c.size for c in cols)) * 2.0
    data[rng.uniform(size=data.size) < 0.1] = 0.0
    data[rng.uniform(size=data.size) < 0.05] = -0.0
    indptr = np.concatenate([[0], np.cumsum([c.size for c in cols])])
    X = sp.csr_matrix((data, np.concatenate(cols), indptr), shape=(n_rows, N_FEATURES))
    assert X.has_canonical_format and X.nnz == data.size  # the stored zeros stay
    return X, rng


def _problem(loss, seed=0):
    X, rng = _rows(seed)
    score = X @ rng.normal(size=N_FEATURES) + 0.3 * rng.normal(size=X.shape[0])
    y = np.where(score > 0, 1.0, -1.0) if loss in CLASSIFICATION_LOSSES else score + 0.5
    return X, y, rng.uniform(0.2, 3.0, size=X.shape[0])


def _make(loss, **params):
    Est = SparseFTRLClassifier if loss in CLASSIFICATION_LOSSES else SparseFTRLRegressor
    defaults = dict(penalty="elasticnet", alpha=ALPHA, l1_ratio=L1_RATIO, eta0=ETA0, beta=BETA)
    defaults.update(epsilon=0.2, shuffle=False, max_iter=3, tol=None, random_state=0)
    defaults.update(state_store="dense")
    defaults.update(params)
    return Est(loss=loss, **defaults)


CASES = list(
    itertools.product(
        REGRESSION_LOSSES + CLASSIFICATION_LOSSES,
        [True, False],  # fit_intercept
        [True, False],  # sample weights
        ["mean", "sum"],
    )
)


@pytest.mark.parametrize("loss, fit_intercept, weighted, scale", CASES)
def test_wide_rows_match_algorithm_1(loss, fit_intercept, weighted, scale, csr_path):
    X, y, sw = _problem(loss)
    sw = sw if weighted else None
    est = _make(loss, fit_intercept=fit_intercept, penalty_scale=scale).fit(X, y, sample_weight=sw)
    z, n, z0, n0, _ = ftrl_reference(
        X,
        y,
        loss=loss,
        eta0=ETA0,
        beta=BETA,
        lambda1=ALPHA * L1_RATIO,
        lambda2=ALPHA * (1 - L1_RATIO),
        mean_scaled=scale == "mean",
        fit_intercept=fit_intercept,
        sample_weight=sw,
        epsilon=0.2,
        epochs=3,
    )
    np.testing.assert_allclose(dense_state(est)[0, :, 0], z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense_state(est)[0, :, 1], n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], rtol=1e-10, atol=1e-12)


def _both_paths(monkeypatch, make, X, y):
    fitted = []
    for lanes_from in (1, NEVER):
        monkeypatch.setattr(_epoch, "CSR_LANES_FROM", lanes_from)
        fitted.append(make().fit(X, y))
    return fitted


@pytest.mark.parametrize(
    "dtype, index_dtype", itertools.product([np.float64, np.float32], [np.int32, np.int64])
)
def test_lanes_give_the_scalar_bits_shuffled(dtype, index_dtype, monkeypatch):
    X, y, _ = _problem("log_loss", seed=1)
    X = X.astype(dtype)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    lanes, scalar = _both_paths(monkeypatch, lambda: _make("log_loss", shuffle=True), X, y)
    assert_same_state(lanes, scalar)


SETTINGS = settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(
    st.integers(0, 2**31 - 1),
    st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES),
    st.sampled_from([1e-300, 1.0, 1e20]),  # scale of X: tiny, ordinary, large products
    st.sampled_from([0.0, 0.01, 5.0]),  # alpha: no L1, some, most weights at zero
)
def test_lanes_give_the_scalar_bits_for_any_rows(seed, loss, scale, alpha):
    X, y, _ = _problem(loss, seed=seed % 1000)
    X = X * scale
    with pytest.MonkeyPatch.context() as monkeypatch:
        lanes, scalar = _both_paths(monkeypatch, lambda: _make(loss, alpha=alpha), X, y)
    assert_same_state(lanes, scalar)
