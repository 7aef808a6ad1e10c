"""Properties that hold for any valid input and parameters (hypothesis)."""

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

from .ftrl_reference import ftrl_reference
from .state_helpers import dense_state, intercept_state

SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def problems(draw, max_rows=25, max_features=8):
    """A valid CSR matrix (float32/64 data, int32/64 indices, subnormals included) and targets."""
    n_rows = draw(st.integers(2, max_rows))
    n_features = draw(st.integers(1, max_features))
    dense = draw(
        st.lists(
            st.lists(
                st.one_of(st.just(0.0), st.floats(-1e3, 1e3, allow_subnormal=True)),
                min_size=n_features,
                max_size=n_features,
            ),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    X = sp.csr_matrix(np.array(dense))
    X = X.astype(draw(st.sampled_from([np.float64, np.float32])))
    index_dtype = draw(st.sampled_from([np.int32, np.int64]))
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    y = np.array(draw(st.lists(st.floats(-100, 100), min_size=n_rows, max_size=n_rows)))
    return X, y


params = st.fixed_dictionaries(
    {
        "penalty": st.sampled_from(["l1", "l2", "elasticnet", None]),
        "alpha": st.floats(0, 1.0),
        "l1_ratio": st.floats(0, 1),
        "penalty_scale": st.sampled_from(["mean", "sum"]),
        "eta0": st.floats(1e-3, 10),
        "beta": st.floats(1e-3, 10),
        "fit_intercept": st.booleans(),
        "state_store": st.sampled_from(["dense", "sparse"]),
    }
)


def _labels(y):
    labels = (y > np.median(y)).astype(int)
    labels[:2] = [0, 1]  # at least two classes
    return labels


@SETTINGS
@given(problems(), params, st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES))
def test_weights_and_predictions_are_finite_and_match_algorithm_1(problem, p, loss):
    X, y = problem
    is_clf = loss in CLASSIFICATION_LOSSES
    Est = SparseFTRLClassifier if is_clf else SparseFTRLRegressor
    target = _labels(y) if is_clf else y
    est = Est(loss=loss, shuffle=False, max_iter=2, tol=None, **p).fit(X, target)
    coef = est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_
    assert np.all(np.isfinite(coef)) and np.all(np.isfinite(est.intercept_))
    assert np.all(np.isfinite(est.decision_function(X) if is_clf else est.predict(X)))

    r = {"l1": 1.0, "l2": 0.0, "elasticnet": p["l1_ratio"], None: 0.0}[p["penalty"]]
    alpha = p["alpha"] if p["penalty"] is not None else 0.0
    z, n, z0, n0, _ = ftrl_reference(
        X.astype(np.float64),
        np.where(target == 1, 1.0, -1.0) if is_clf else target,
        loss=loss,
        eta0=p["eta0"],
        beta=p["beta"],
        lambda1=alpha * r,
        lambda2=alpha * (1 - r),
        mean_scaled=p["penalty_scale"] == "mean",
        fit_intercept=p["fit_intercept"],
        epochs=2,
    )
    state = dense_state(est)[0]
    np.testing.assert_allclose(state[:, 0], z, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(state[:, 1], n, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], rtol=1e-9, atol=1e-9)


@SETTINGS
@given(problems(), st.randoms(use_true_random=False), st.sampled_from(["dense", "sparse"]))
def test_permuting_columns_permutes_the_weights(problem, random, store):
    X, y = problem
    perm = np.array(random.sample(range(X.shape[1]), X.shape[1]))
    a = SparseFTRLRegressor(shuffle=False, max_iter=2, tol=None, state_store=store).fit(X, y)
    b = SparseFTRLRegressor(shuffle=False, max_iter=2, tol=None, state_store=store).fit(
        X[:, perm], y
    )
    coef_a = np.ravel(a.coef_.toarray() if sp.issparse(a.coef_) else a.coef_)
    coef_b = np.ravel(b.coef_.toarray() if sp.issparse(b.coef_) else b.coef_)
    np.testing.assert_allclose(coef_b, coef_a[perm], rtol=1e-12, atol=1e-300)


@SETTINGS
@given(problems(), st.sampled_from(["mean", "sum"]))
def test_a_huge_alpha_gives_all_zeros(problem, scale):
    X, y = problem
    # |z| grows at most by |g| + sigma |w| per step; 1e12 is far above anything these data reach
    est = SparseFTRLClassifier(alpha=1e12, penalty_scale=scale, max_iter=3, tol=None).fit(
        X, _labels(y)
    )
    assert est.count_nonzero().sum() == 0
    coef = est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_
    assert not np.any(coef)


@SETTINGS
@given(problems(), st.integers(0, 2**31 - 1))
def test_results_depend_only_on_data_and_random_state(problem, seed):
    X, y = problem
    labels = _labels(y)
    runs = [
        SparseFTRLClassifier(random_state=seed, max_iter=3, tol=None).fit(data, labels)
        for data in (X, X.copy(), X.toarray())
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.coef_, runs[0].coef_)
        np.testing.assert_array_equal(other.intercept_, runs[0].intercept_)


@SETTINGS
@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.sampled_from([np.int8, np.int64, np.uint64, np.float16, np.float32, np.float64, bool]),
)
def test_distinct_labels_are_numpy_unique(values, dtype):
    from sparsereg.linear_model import _distinct_labels

    y = np.array(values).astype(dtype)
    got, want = _distinct_labels(y), np.unique(y)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
