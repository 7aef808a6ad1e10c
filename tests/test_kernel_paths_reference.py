"""Every training path of the kernel against the literal NumPy transcription of Algorithm 1.

The paths: the narrow CSR kernel, the general one (rows one non-zero at a time, or in vector
lanes), the table store, and a dense X; on CSR as a user may hand it (unsorted rows,
repeated columns, stored zeros of both signs), float32/float64 values, int32/int64 indices,
sample and class weights, one-vs-rest and multinomial, Bloom inclusion, partial_fit in
batches; and the scores, probabilities and exported models of what they trained.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor, _epoch
from sparsereg._epoch import NARROW_COLUMNS
from sparsereg._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES
from sparsereg.export import export_model

from .ftrl_reference import ftrl_reference, softmax_ftrl_reference, weights_from_state
from .state_helpers import dense_state, intercept_state

SETTINGS = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


# the state's numbers against the reference's; the scores', whose sums of rounded weights
# differ more, by X's precision
STATE_TOL = dict(rtol=1e-9, atol=1e-9)


def score_tolerance(X):
    return dict(rtol=1e-7, atol=1e-9) if X.dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


def score_bound(X, w, w0):
    """How far a row's scores may be from the reference's, relative to the size of the terms
    summed (``|X| @ |w| + |w0|``), not to the sum, which cancellation can make far smaller
    than its terms. A float32 X's model holds float32 weights, each rounded by at most a
    relative 2**-24 (a score of 0.093 with terms in the tens was 6e-6 off, beyond a tolerance
    relative to the score, in an example hypothesis drew once); a float64 X's weights follow
    the states, which agree with the reference's to a relative 1e-9."""
    rtol = 2.0**-23 if X.dtype == np.float32 else 1e-7
    return rtol * (abs(X) @ abs(w).T + abs(w0)) + 1e-12


def reference_rates(p):
    """The reference's ``eta0``, ``beta``, ``lambda1`` and ``lambda2`` of parameters ``p``."""
    r = {"l1": 1.0, "l2": 0.0, "elasticnet": p["l1_ratio"], None: 0.0}[p["penalty"]]
    alpha = p["alpha"] if p["penalty"] is not None else 0.0
    return dict(eta0=p["eta0"], beta=p["beta"], lambda1=alpha * r, lambda2=alpha * (1 - r))


def summed_and_targets(X, is_clf, rng):
    """``(X with its duplicates summed, targets, their signs)``: 0/1 labels holding both
    classes (+1/-1), or regression targets (their own signs)."""
    canonical = X.copy()
    canonical.sum_duplicates()
    n_rows = X.shape[0]
    if is_clf:
        labels = rng.randint(0, 2, size=n_rows)
        labels[:2] = [0, 1]
        return canonical, labels, np.where(labels == 1, 1.0, -1.0)
    target = rng.normal(size=n_rows) * 3
    return canonical, target, target


def reference_of(rows, signs, loss, p, **options):
    """Algorithm 1 (``ftrl_reference``) over ``rows`` under the drawn parameters ``p``."""
    return ftrl_reference(
        rows.astype(np.float64),
        signs,
        loss=loss,
        mean_scaled=p["penalty_scale"] == "mean",
        fit_intercept=p["fit_intercept"],
        epsilon=p["epsilon"],
        **reference_rates(p),
        **options,
    )


def reference_weights(z, n, z0, n0, t, p):
    """``(w, w0)`` of the reference's state after ``t`` samples (Algorithm 1's weights)."""
    kw = reference_rates(p)
    scale = t if p["penalty_scale"] == "mean" else 1
    w = weights_from_state(
        z,
        n,
        eta0=p["eta0"],
        beta=p["beta"],
        lambda1=kw["lambda1"] * scale,
        lambda2=kw["lambda2"] * scale,
    )
    w0 = -z0 / ((p["beta"] + np.sqrt(n0)) / p["eta0"]) if p["fit_intercept"] else 0.0
    return w, w0


# a stored value: either zero, or any float of [-50, 50]
STORED_VALUE = st.one_of(st.just(0.0), st.just(-0.0), st.floats(-50, 50, allow_subnormal=False))


def each_drawn(dtype, size, elements):
    """An array of ``size`` values each drawn from ``elements``: with no ``fill``, so that
    every entry is a fresh draw, as a list of them would be, but without a list's per-entry
    bookkeeping (drawing the matrices was most of these tests' time)."""
    return hnp.arrays(dtype, size, elements=elements, fill=st.nothing())


@st.composite
def raw_csr(draw, max_rows=20, max_cols=7):
    """A CSR matrix as a user may hand it: unsorted rows, repeated columns, stored zeros."""
    n_rows = draw(st.integers(3, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    row_lengths = draw(each_drawn(np.int64, n_rows, st.integers(0, 12)))
    nnz = int(row_lengths.sum())
    indices = draw(each_drawn(np.int64, nnz, st.integers(0, n_cols - 1)))
    data = draw(each_drawn(np.float64, nnz, STORED_VALUE))
    indptr = np.concatenate([[0], np.cumsum(row_lengths)])
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    index_dtype = draw(st.sampled_from([np.int32, np.int64]))
    X = sp.csr_matrix((data.astype(dtype), indices, indptr), shape=(n_rows, n_cols))
    # (scipy makes the index arrays of so small a matrix int32, whatever they were given as)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    return X


params = st.fixed_dictionaries(
    {
        "penalty": st.sampled_from(["l1", "l2", "elasticnet", None]),
        "alpha": st.sampled_from([0.0, 1e-3, 0.05, 0.5]),
        "l1_ratio": st.floats(0, 1),
        "penalty_scale": st.sampled_from(["mean", "sum"]),
        "eta0": st.floats(1e-2, 3),
        "beta": st.floats(1e-3, 3),
        "fit_intercept": st.booleans(),
        "epsilon": st.sampled_from([0.0, 0.1, 1.0]),
    }
)


@SETTINGS
@given(
    raw_csr(),
    params,
    st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES),
    st.sampled_from(["narrow", "general", "general_lanes", "table", "dense_x"]),
    st.booleans(),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_every_path_matches_algorithm_1(X, p, loss, path, weighted, class_weighted, random):
    n_rows = X.shape[0]
    rng = np.random.RandomState(random.randint(0, 2**31))
    is_clf = loss in CLASSIFICATION_LOSSES
    canonical, target, signs = summed_and_targets(X, is_clf, rng)
    sw = rng.uniform(0.0, 3.0, size=n_rows) if weighted else None
    cw = {0: 0.5, 1: 2.5} if (is_clf and class_weighted) else None
    eff = np.ones(n_rows) if sw is None else sw.copy()
    if cw is not None:
        eff = eff * np.where(target == 1, cw[1], cw[0])
    X_in = X
    n_features = X.shape[1]
    store = "dense"
    if path in ("general", "general_lanes"):
        pad = sp.csr_matrix((n_rows, NARROW_COLUMNS + 1 - n_features), dtype=X.dtype)
        X_in = sp.hstack([X, pad], format="csr")
        X_in.indices = X_in.indices.astype(X.indices.dtype)
        X_in.indptr = X_in.indptr.astype(X.indptr.dtype)
    elif path == "table":
        store = "sparse"
    elif path == "dense_x":
        X_in = canonical.toarray()
    Est = SparseFTRLClassifier if is_clf else SparseFTRLRegressor
    extra = dict(class_weight=cw) if is_clf else {}
    est = Est(loss=loss, shuffle=False, max_iter=2, tol=None, state_store=store, **extra, **p)
    with pytest.MonkeyPatch.context() as mp:
        if path == "general_lanes":
            mp.setattr(_epoch, "CSR_LANES_FROM", 1)
        est.fit(X_in, target, sample_weight=sw)

    z, n, z0, n0, t = reference_of(canonical, signs, loss, p, sample_weight=eff, epochs=2)
    state = dense_state(est)[0][:n_features]
    np.testing.assert_allclose(state[:, 0], z, **STATE_TOL)
    np.testing.assert_allclose(state[:, 1], n, **STATE_TOL)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], **STATE_TOL)

    w, w0 = reference_weights(z, n, z0, n0, t, p)
    coef = est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_
    wtol = score_tolerance(X)
    np.testing.assert_allclose(np.ravel(coef)[:n_features], w, **wtol)
    np.testing.assert_allclose(np.ravel(est.intercept_)[0], w0, **wtol)
    want = canonical.astype(np.float64) @ w + w0
    bound = score_bound(canonical, w, w0)
    got = est.decision_function(X_in) if is_clf else est.predict(X_in)
    assert np.all(np.abs(got - want) <= bound)
    exported = export_model(est)
    got_exported = exported.decision_function(X_in) if is_clf else exported.predict(X_in)
    assert np.all(np.abs(got_exported - want) <= bound)
    if loss in ("log_loss", "modified_huber"):
        # (either moves a probability by at most half the score's move)
        proba = expit(want) if loss == "log_loss" else (np.clip(want, -1, 1) + 1) / 2
        assert np.all(np.abs(est.predict_proba(X_in)[:, 1] - proba) <= bound)
        assert np.all(np.abs(exported.predict_proba(X_in)[:, 1] - proba) <= bound)
    if is_clf:
        assert np.array_equal(est.predict(X_in), np.where(got > 0, 1, 0))


@SETTINGS
@given(
    raw_csr(),
    params,
    st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES),
    st.sampled_from([("bloom", 1), ("bloom", 2), ("bloom", 3), ("poisson", None)]),
    st.randoms(use_true_random=False),
)
def test_inclusion_matches_algorithm_1(X, p, loss, inclusion, random):
    rng = np.random.RandomState(random.randint(0, 2**31))
    is_clf = loss in CLASSIFICATION_LOSSES
    canonical, target, signs = summed_and_targets(X, is_clf, rng)
    kind, count = inclusion
    extra = dict(inclusion_count=count) if kind == "bloom" else dict(inclusion_p=1.0)
    Est = SparseFTRLClassifier if is_clf else SparseFTRLRegressor
    est = Est(loss=loss, shuffle=False, max_iter=3, tol=None, inclusion=kind, **extra, **p)
    est.fit(X, target)
    z, n, z0, n0, t = reference_of(canonical, signs, loss, p, epochs=3, admit_after=count)
    state = dense_state(est)[0]
    np.testing.assert_allclose(state[:, 0], z, **STATE_TOL)
    np.testing.assert_allclose(state[:, 1], n, **STATE_TOL)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], **STATE_TOL)


@SETTINGS
@given(
    raw_csr(),
    params,
    st.sampled_from(CLASSIFICATION_LOSSES),
    st.sampled_from(["dense", "sparse"]),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_one_vs_rest_matches_algorithm_1(X, p, loss, store, class_weighted, random):
    n_rows = X.shape[0]
    rng = np.random.RandomState(random.randint(0, 2**31))
    canonical = X.copy()
    canonical.sum_duplicates()
    labels = rng.randint(0, 3, size=n_rows) * 10 - 7
    labels[:3] = [-7, 3, 13]
    classes = np.unique(labels)
    sw = rng.uniform(0, 2, size=n_rows)
    cw = {-7: 0.3, 3: 1.7, 13: 2.0} if class_weighted else None
    est = SparseFTRLClassifier(
        loss=loss, shuffle=False, max_iter=2, tol=None, state_store=store, class_weight=cw, **p
    ).fit(X, labels, sample_weight=sw)
    state, intercepts = dense_state(est), intercept_state(est)
    want_scores, bounds = [], []
    for k, c in enumerate(classes):
        eff = sw * (np.where(labels == c, cw[c], 1.0) if cw else 1.0)
        z, n, z0, n0, t = reference_of(
            canonical, np.where(labels == c, 1.0, -1.0), loss, p, sample_weight=eff, epochs=2
        )
        np.testing.assert_allclose(state[k, :, 0], z, **STATE_TOL)
        np.testing.assert_allclose(state[k, :, 1], n, **STATE_TOL)
        np.testing.assert_allclose(intercepts[k], [z0, n0], **STATE_TOL)
        w, w0 = reference_weights(z, n, z0, n0, t, p)
        want_scores.append(canonical.astype(np.float64) @ w + w0)
        bounds.append(score_bound(canonical, w, w0))
    want, bound = np.column_stack(want_scores), np.column_stack(bounds)
    wtol = score_tolerance(X)
    assert np.all(np.abs(est.decision_function(X) - want) <= bound)
    assert np.all(np.abs(export_model(est).decision_function(X) - want) <= bound)
    if loss in ("log_loss", "modified_huber"):
        # one-vs-rest probabilities: each model's, normalised over the classes
        each = expit(want) if loss == "log_loss" else (np.clip(want, -1, 1) + 1) / 2
        total = each.sum(axis=1, keepdims=True)
        proba = np.where(total > 0, each / np.where(total > 0, total, 1), 1 / 3)
        np.testing.assert_allclose(est.predict_proba(X), proba, **wtol)
        np.testing.assert_allclose(export_model(est).predict_proba(X), proba, **wtol)


def _paths_fit(X, target, sw, make):
    """The model each training path gives on ``X``: (path, estimator) pairs."""
    n_rows, n_features = X.shape
    pad = sp.csr_matrix((n_rows, NARROW_COLUMNS + 1 - n_features), dtype=X.dtype)
    wide = sp.hstack([X, pad], format="csr")
    fitted = {}
    fitted["narrow"] = make("dense").fit(X, target, sample_weight=sw)
    fitted["dense_x"] = make("dense").fit(X.toarray(), target, sample_weight=sw)
    fitted["table"] = make("sparse").fit(X, target, sample_weight=sw)
    for name, lanes_from in (("general", np.iinfo(np.int64).max), ("general_lanes", 1)):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_epoch, "CSR_LANES_FROM", lanes_from)
            fitted[name] = make("dense").fit(wide, target, sample_weight=sw)
    for name in ("dense_x",):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_epoch, "DENSE_LANES", not _epoch.DENSE_LANES)
            fitted[name + "_other"] = make("dense").fit(X.toarray(), target, sample_weight=sw)
    return fitted


@SETTINGS
@given(
    raw_csr(),
    params,
    st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES),
    st.integers(-300, 25),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_every_path_gives_the_same_bits(X, p, loss, exponent, weighted, random):
    X = X * np.asarray(10.0**exponent, dtype=X.dtype)
    X.sum_duplicates()
    n_rows, n_features = X.shape
    rng = np.random.RandomState(random.randint(0, 2**31))
    is_clf = loss in CLASSIFICATION_LOSSES
    target = rng.randint(0, 2, size=n_rows) if is_clf else rng.normal(size=n_rows) * 3
    if is_clf:
        target[:2] = [0, 1]
    sw = rng.uniform(0.0, 3.0, size=n_rows) if weighted else None
    Est = SparseFTRLClassifier if is_clf else SparseFTRLRegressor

    def make(store):
        return Est(
            loss=loss, shuffle=True, random_state=3, max_iter=2, tol=None, state_store=store, **p
        )

    try:
        fitted = _paths_fit(X, target, sw, make)
    except ValueError as exc:
        assert "overflow" in str(exc)
        return
    first = fitted.pop("narrow")
    a = dense_state(first)
    for name, est in fitted.items():
        b = dense_state(est)[:, :n_features]
        assert a.tobytes() == np.ascontiguousarray(b).tobytes(), name
        assert intercept_state(first).tobytes() == intercept_state(est).tobytes(), name


@SETTINGS
@given(
    raw_csr(max_rows=30),
    params,
    st.sampled_from(REGRESSION_LOSSES + CLASSIFICATION_LOSSES),
    st.sampled_from(["dense", "sparse"]),
    st.lists(st.integers(1, 30), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
)
def test_partial_fit_batches_match_one_pass_of_algorithm_1(X, p, loss, store, cuts, random):
    n_rows = X.shape[0]
    rng = np.random.RandomState(random.randint(0, 2**31))
    canonical = X.copy()
    canonical.sum_duplicates()
    is_clf = loss in CLASSIFICATION_LOSSES
    if is_clf:
        target = rng.randint(0, 2, size=n_rows)
        signs = np.where(target == 1, 1.0, -1.0)
    else:
        target = signs = rng.normal(size=n_rows) * 3
    sw = rng.uniform(0.0, 3.0, size=n_rows)
    Est = SparseFTRLClassifier if is_clf else SparseFTRLRegressor
    est = Est(loss=loss, state_store=store, shuffle=False, **p)
    bounds = [0, *sorted({min(c, n_rows) for c in cuts}), n_rows]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if a == b:
            continue
        extra = dict(classes=[0, 1]) if is_clf else {}
        est.partial_fit(X[a:b], target[a:b], sample_weight=sw[a:b], **extra)
        z, n, z0, n0, t = reference_of(canonical[:b], signs[:b], loss, p, sample_weight=sw[:b])
        assert est.t_ == t
        np.testing.assert_allclose(dense_state(est)[0, :, 0], z, **STATE_TOL)
        np.testing.assert_allclose(dense_state(est)[0, :, 1], n, **STATE_TOL)
        np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], **STATE_TOL)
        w, w0 = reference_weights(z, n, z0, n0, t, p)
        want = canonical.astype(np.float64) @ w + w0
        got = est.decision_function(X) if is_clf else est.predict(X)
        assert np.all(np.abs(got - want) <= score_bound(canonical, w, w0))


@SETTINGS
@given(
    raw_csr(),
    params,
    st.sampled_from(["dense", "sparse", "dense_x"]),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_multinomial_matches_the_softmax_reference(X, p, store, class_weighted, random):
    n_rows = X.shape[0]
    rng = np.random.RandomState(random.randint(0, 2**31))
    canonical = X.copy()
    canonical.sum_duplicates()
    labels = rng.randint(0, 3, size=n_rows)
    labels[:3] = [0, 1, 2]
    sw = rng.uniform(0, 2, size=n_rows)
    cw = {0: 0.3, 1: 1.7, 2: 2.0} if class_weighted else None
    X_in = canonical.toarray() if store == "dense_x" else X
    est = SparseFTRLClassifier(
        multi_class="multinomial",
        shuffle=False,
        max_iter=2,
        tol=None,
        state_store="sparse" if store == "sparse" else "dense",
        class_weight=cw,
        **p,
    ).fit(X_in, labels, sample_weight=sw)
    kw = reference_rates(p)
    eff = sw * (np.array([cw[c] for c in labels]) if cw else 1.0)
    z, n, z0, n0, t, _ = softmax_ftrl_reference(
        canonical.astype(np.float64),
        labels,
        3,
        mean_scaled=p["penalty_scale"] == "mean",
        fit_intercept=p["fit_intercept"],
        sample_weight=eff,
        epochs=2,
        **kw,
    )
    state = dense_state(est)
    np.testing.assert_allclose(state[:, :, 0], z, **STATE_TOL)
    np.testing.assert_allclose(state[:, :, 1], n, **STATE_TOL)
    np.testing.assert_allclose(intercept_state(est), np.column_stack([z0, n0]), **STATE_TOL)
    scale = t if p["penalty_scale"] == "mean" else 1
    w = np.array(
        [
            weights_from_state(
                z[k],
                n[k],
                eta0=p["eta0"],
                beta=p["beta"],
                lambda1=kw["lambda1"] * scale,
                lambda2=kw["lambda2"] * scale,
            )
            for k in range(3)
        ]
    )
    w0 = -z0 / ((p["beta"] + np.sqrt(n0)) / p["eta0"]) if p["fit_intercept"] else np.zeros(3)
    scores = canonical.astype(np.float64) @ w.T + w0
    proba = np.exp(scores - scores.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    bound = score_bound(canonical, w, w0)
    assert np.all(np.abs(est.decision_function(X_in) - scores) <= bound)
    # (a softmax moves each probability by at most the largest move of the row's scores)
    row_bound = bound.max(axis=1, keepdims=True)
    assert np.all(np.abs(est.predict_proba(X_in) - proba) <= row_bound)
    assert np.all(np.abs(export_model(est).predict_proba(X_in) - proba) <= row_bound)
