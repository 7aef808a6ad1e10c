"""SparseFTRLClassifier(multi_class='multinomial'): softmax FTRL against its literal reference,
and everything around its state (protocol, export, pickling, merge, stream)."""

import io
import itertools
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.utils.extmath import softmax

from sparsereg import SparseFTRLClassifier, export_model, load_model, merge_ftrl_states
from sparsereg.stream import fit_stream

from .ftrl_reference import softmax_ftrl_reference, weights_from_state
from .interruptions import ctrl_c_came_during
from .state_helpers import assert_same_state

ETA0, BETA = 0.3, 0.7
PENALTIES = {"l1": (0.02, 1.0), "l2": (0.02, 0.0), "elasticnet": (0.02, 0.6)}


def _problem(seed=0, n_rows=40, n_features=15, n_classes=4):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, n_features, density=0.3, format="csr", random_state=rng)
    X.data = rng.normal(size=X.nnz) * 2.0
    scores = X @ rng.normal(size=(n_features, n_classes)) + 0.3 * rng.normal(
        size=(n_rows, n_classes)
    )
    y = scores.argmax(axis=1)
    y[:n_classes] = np.arange(n_classes)  # every class occurs
    return X, y, rng.uniform(0.2, 3.0, size=n_rows)


def _state_arrays(est):
    """``(z, n)`` of shape ``(K, n_features)`` and the intercepts', from the public protocol."""
    state = est.get_ftrl_state()
    K, d = state["z"].shape[0], int(state["n_features_in"])
    z, n = np.zeros((K, d)), np.zeros((K, d))
    z[:, state["columns"]], n[:, state["columns"]] = state["z"], state["n"]
    return z, n, state["intercept_z"], state["intercept_n"]


def _check_against_reference(
    X, y, sw, *, store, penalty, scale, fit_intercept, epochs=3, labels=None
):
    alpha, l1_ratio = PENALTIES[penalty]
    est = SparseFTRLClassifier(
        multi_class="multinomial",
        penalty=penalty,
        alpha=alpha,
        l1_ratio=l1_ratio,
        eta0=ETA0,
        beta=BETA,
        penalty_scale=scale,
        fit_intercept=fit_intercept,
        shuffle=False,
        max_iter=epochs,
        tol=None,
        state_store=store,
    )
    y_fit = y if labels is None else labels[y]
    est.fit(X, y_fit, sample_weight=sw)
    r = l1_ratio if penalty == "elasticnet" else (1.0 if penalty == "l1" else 0.0)
    lambda1, lambda2 = alpha * r, alpha * (1 - r)
    K = len(np.unique(y))
    z, n, z0, n0, t, _ = softmax_ftrl_reference(
        X.astype(np.float64),
        y,
        K,
        eta0=ETA0,
        beta=BETA,
        lambda1=lambda1,
        lambda2=lambda2,
        mean_scaled=scale == "mean",
        fit_intercept=fit_intercept,
        sample_weight=sw,
        epochs=epochs,
    )
    assert est.t_ == t == epochs * X.shape[0]
    kz, kn, kz0, kn0 = _state_arrays(est)
    np.testing.assert_allclose(kz, z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kn, n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kz0, z0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kn0, n0, rtol=1e-10, atol=1e-12)
    scale_t = t if scale == "mean" else 1
    w = np.array(
        [
            weights_from_state(
                z[k],
                n[k],
                eta0=ETA0,
                beta=BETA,
                lambda1=lambda1 * scale_t,
                lambda2=lambda2 * scale_t,
            )
            for k in range(K)
        ]
    )
    coef = est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_
    assert coef.shape == (K, X.shape[1]) and coef.dtype == X.dtype
    tol = 1e-10 if X.dtype == np.float64 else 1e-6
    np.testing.assert_allclose(coef, w, rtol=tol, atol=tol)
    np.testing.assert_array_equal(coef == 0.0, w == 0.0)  # L1's zeros are exact, per class
    return est


CASES = list(
    itertools.product(
        ["dense", "sparse"],
        [np.float64, np.float32],
        [np.int32, np.int64],
        [True, False],
        [True, False],
        list(PENALTIES),
    )
)


@pytest.mark.parametrize("store, dtype, index_dtype, fit_intercept, weighted, penalty", CASES)
def test_kernel_matches_the_softmax_reference(
    store, dtype, index_dtype, fit_intercept, weighted, penalty
):
    X, y, sw = _problem()
    X = X.astype(dtype)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    scale = "mean" if (fit_intercept ^ weighted) else "sum"
    _check_against_reference(
        X,
        y,
        sw if weighted else None,
        store=store,
        penalty=penalty,
        scale=scale,
        fit_intercept=fit_intercept,
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_rows=st.integers(1, 30),
    n_features=st.integers(1, 12),
    n_classes=st.integers(3, 6),
    store=st.sampled_from(["dense", "sparse"]),
    penalty=st.sampled_from(list(PENALTIES)),
    scale=st.sampled_from(["mean", "sum"]),
    weighted=st.booleans(),
    scale_x=st.sampled_from([1e-3, 1.0, 50.0]),
)
def test_kernel_matches_the_reference_on_varied_inputs(
    seed, n_rows, n_features, n_classes, store, penalty, scale, weighted, scale_x
):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, n_features, density=0.5, format="csr", random_state=rng)
    X.data = rng.normal(size=X.nnz) * scale_x
    y = rng.randint(n_classes, size=n_rows)
    if len(np.unique(y)) < 3:
        y[:3] = [0, 1, 2] if n_rows >= 3 else y[:3]
    if len(np.unique(y)) < 3:
        return  # fewer than 3 rows: not a multinomial problem
    y = np.unique(y, return_inverse=True)[1]  # class indices 0..K-1
    sw = rng.choice([0.0, 0.5, 2.0], size=n_rows) if weighted else None
    if sw is not None and not sw.any():
        sw[0] = 1.0
    _check_against_reference(
        X, y, sw, store=store, penalty=penalty, scale=scale, fit_intercept=True, epochs=2
    )


def test_progressive_loss_is_the_references():
    """verbose prints the epoch's average progressive loss: the reference's -log p_y."""
    X, y, sw = _problem(seed=1)
    est = SparseFTRLClassifier(
        multi_class="multinomial",
        alpha=0.01,
        eta0=ETA0,
        beta=BETA,
        shuffle=False,
        max_iter=1,
        tol=None,
        verbose=1,
    )
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        est.fit(X, y, sample_weight=sw)
    printed = float(out.getvalue().split("avg loss: ")[1].split(",")[0])
    *_, loss = softmax_ftrl_reference(
        X, y, 4, eta0=ETA0, beta=BETA, lambda1=0.01, lambda2=0.0, mean_scaled=True, sample_weight=sw
    )
    assert printed == pytest.approx(loss / X.shape[0], abs=1e-6)
    assert printed > 0


def test_labels_of_any_type_and_dense_and_sparse_stores_agree_to_the_bit():
    X, y, _ = _problem(seed=2, n_rows=200, n_features=40)
    labels = np.array(["ant", "bee", "cat", "dog"])
    a = SparseFTRLClassifier(
        multi_class="multinomial", random_state=0, max_iter=5, tol=None, state_store="dense"
    ).fit(X, labels[y])
    b = SparseFTRLClassifier(
        multi_class="multinomial", random_state=0, max_iter=5, tol=None, state_store="sparse"
    ).fit(X, labels[y])
    c = SparseFTRLClassifier(
        multi_class="multinomial", random_state=0, max_iter=5, tol=None, state_store="dense"
    ).fit(X, y + 10)
    assert_same_state(a, b)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict_proba(X), c.predict_proba(X))
    assert set(a.predict(X)) <= set(labels)


def test_table_grows_across_batches_as_the_dense_store():
    """New columns in later batches make the table grow and rehash; nothing is lost."""
    rng, gen = np.random.RandomState(3), np.random.default_rng(3)
    batches = []
    for i in range(4):
        # positions from a Generator (a RandomState's go through a permutation of all cells)
        X = sp.random(300, 20_000, density=0.002 * (i + 1), format="csr", random_state=gen)
        batches.append((X, rng.randint(5, size=300)))
    a = SparseFTRLClassifier(multi_class="multinomial", random_state=0, state_store="dense")
    b = SparseFTRLClassifier(multi_class="multinomial", random_state=0, state_store="sparse")
    for X, y in batches:
        a.partial_fit(X, y, classes=np.arange(5))
        b.partial_fit(X, y, classes=np.arange(5))
    assert_same_state(a, b)
    assert b.get_ftrl_state()["columns"].size > 4096  # beyond the first table


def test_probabilities_are_the_softmax_and_sum_to_one():
    X, y, _ = _problem(seed=4, n_rows=300, n_features=30, n_classes=5)
    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X * 10, y)
    scores = est.decision_function(X * 10)
    proba = est.predict_proba(X * 10)
    assert scores.shape == proba.shape == (300, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(proba, softmax(scores))
    np.testing.assert_array_equal(est.predict(X * 10), est.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X * 10)), proba, rtol=1e-12)
    # the softmax's bias: the shared offset of the scores does not change it
    assert est.score(X * 10, y) > 0.5


def test_l1_gives_exact_zeros_per_class():
    X, y, _ = _problem(seed=5, n_rows=400, n_features=60)
    dense = SparseFTRLClassifier(
        multi_class="multinomial",
        alpha=0.05,
        penalty_scale="sum",
        random_state=0,
        max_iter=3,
        tol=None,
    ).fit(X, y)
    none = clone(dense).set_params(penalty=None).fit(X, y)
    counts = dense.count_nonzero()
    assert counts.shape == (4,)
    np.testing.assert_array_equal(counts, np.count_nonzero(dense.coef_, axis=1))
    assert counts.sum() < np.count_nonzero(none.coef_)
    z = _state_arrays(dense)[0]
    np.testing.assert_array_equal(dense.coef_ == 0.0, np.abs(z) <= 0.05)
    assert dense.nnz_history_[-1] == (dense.t_, tuple(int(c) for c in counts))
    report = str(dense.sparsity_report())
    assert "SparseFTRLClassifier" in report


def test_binary_multinomial_is_the_binary_logistic_model():
    """Two classes: the single-vector binary model, as 'ovr' trains it, to the bit."""
    X, y, sw = _problem(seed=6, n_classes=2)
    a = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X, y, sample_weight=sw)
    b = SparseFTRLClassifier(multi_class="ovr", random_state=0).fit(X, y, sample_weight=sw)
    assert a.coef_.shape == (1, X.shape[1])
    assert_same_state(a, b)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert "multi_class" not in a.get_ftrl_state()
    # the binary state is the same model, so either setting takes it
    SparseFTRLClassifier(multi_class="ovr").set_ftrl_state(a.get_ftrl_state())


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(loss="hinge"), "needs loss='log_loss'"),
        (dict(loss="modified_huber"), "needs loss='log_loss'"),
        (dict(inclusion="poisson", state_store="sparse"), "does not support inclusion"),
        (dict(inclusion="bloom"), "does not support inclusion"),
        (dict(multi_class="softmax"), "multi_class"),
    ],
)
def test_bad_parameters_are_refused_and_leave_the_model_as_it_was(params, message):
    X, y, _ = _problem(seed=7)
    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0).partial_fit(
        X, y, classes=np.arange(4)
    )
    before = est.get_ftrl_state()
    est.set_params(**params)
    with pytest.raises(ValueError, match=message):
        est.partial_fit(X, y)
    with pytest.raises(ValueError, match=message):
        clone(est).fit(X, y)
    est.set_params(**{k: v for k, v in SparseFTRLClassifier().get_params().items() if k in params})
    est.set_params(multi_class="multinomial")
    after = est.get_ftrl_state()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)


def test_switching_multi_class_on_a_fitted_model_is_refused():
    X, y, _ = _problem(seed=8)
    for first, then in (("multinomial", "ovr"), ("ovr", "multinomial")):
        est = SparseFTRLClassifier(multi_class=first, random_state=0).partial_fit(
            X, y, classes=np.arange(4)
        )
        before = est.get_ftrl_state()
        est.set_params(multi_class=then)
        with pytest.raises(ValueError, match=f"trained with multi_class='{first}'"):
            est.partial_fit(X, y)
        with pytest.raises(ValueError, match=f"trained with multi_class='{first}'"):
            est.set_params(warm_start=True).fit(X, y)
        after = est.get_ftrl_state()  # still readable, and as it was
        for key in before:
            np.testing.assert_array_equal(before[key], after[key], err_msg=key)


@pytest.mark.parametrize("first, then", [("multinomial", "ovr"), ("ovr", "multinomial")])
def test_probabilities_of_a_model_whose_multi_class_was_switched_are_refused(first, then):
    # the softmax of one-vs-rest margins (or the normalised sigmoids of softmax margins) are
    # not the trained model's probabilities: refused, as training on is, not silently given
    X, y, _ = _problem(seed=8)
    est = SparseFTRLClassifier(multi_class=first, random_state=0).fit(X, y)
    labels = est.predict(X)
    est.set_params(multi_class=then)
    for read in (est.predict_proba, est.predict_log_proba, export_model):
        with pytest.raises(ValueError, match=f"trained with multi_class='{first}'"):
            read(X) if read is not export_model else read(est)
    np.testing.assert_array_equal(est.predict(X), labels)  # the margins are the same
    est.set_params(multi_class=first)
    np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0)


class _RowsThatSwapTheModel:
    """Dense rows (an array-like) whose first read gives ``est`` the state of the other
    kind and the multi_class naming it, as another thread's set_params and set_ftrl_state
    could while ``est`` scores them."""

    def __init__(self, rows, est, other):
        self.rows, self.est, self.other, self.swapped = rows, est, other, False
        self.shape, self.ndim, self.dtype = rows.shape, rows.ndim, rows.dtype

    def __len__(self):
        return len(self.rows)

    def __array__(self, dtype=None, copy=None):
        if not self.swapped:
            self.swapped = True
            self.est.set_params(multi_class=self.other.multi_class)
            self.est.set_ftrl_state(self.other.get_ftrl_state())
        return self.rows if dtype is None else self.rows.astype(dtype)


@pytest.mark.parametrize("first, then", [("ovr", "multinomial"), ("multinomial", "ovr")])
def test_probabilities_are_those_of_the_model_that_scored_the_rows(first, then):
    # predict_proba took the model, then read multi_class for its link: a model of the other
    # kind set meanwhile made it return the softmax of one-vs-rest margins (or the reverse),
    # the probabilities of neither model
    X, y, _ = _problem(seed=8)
    rows = X[:5].toarray()
    scoring = SparseFTRLClassifier(multi_class=first, random_state=0).fit(X, y)
    other = SparseFTRLClassifier(multi_class=then, random_state=0).fit(X, y)
    expected = scoring.predict_proba(rows)
    est = SparseFTRLClassifier(multi_class=first, random_state=0)
    est.set_ftrl_state(scoring.get_ftrl_state())
    swapping = _RowsThatSwapTheModel(rows, est, other)
    proba = est.predict_proba(swapping)
    assert swapping.swapped and est.multi_class == then
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_allclose(est.predict_proba(rows), other.predict_proba(rows), rtol=1e-12)


def test_probabilities_of_a_softmax_model_whose_loss_was_switched_are_refused():
    # a softmax model's margins read as modified_huber's clipped one-vs-rest probabilities
    # were returned (by the export too), though no fit trains that combination
    X, y, _ = _problem(seed=8)
    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X, y)
    est.set_params(loss="modified_huber")
    for read in (est.predict_proba, export_model):
        with pytest.raises(ValueError, match="trained as one softmax model .* loss is now"):
            read(X) if read is not export_model else read(est)


def test_modified_huber_probabilities_stay_one_vs_rest_whatever_multi_class_says():
    # only log_loss trains a softmax model: a modified_huber model's probabilities are its
    # normalised one-vs-rest ones, which its export gives too; with multi_class switched they
    # were a softmax of its margins (then refused, though no fit could make it multinomial)
    X, y, _ = _problem(seed=8)
    est = SparseFTRLClassifier(loss="modified_huber", random_state=0).fit(X, y)
    proba = est.predict_proba(X)
    est.set_params(multi_class="multinomial")
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    np.testing.assert_allclose(export_model(est).predict_proba(X), proba, rtol=1e-12)


@pytest.mark.parametrize(
    "source_store, target_store", [("dense", "sparse"), ("sparse", "dense"), ("sparse", "sparse")]
)
def test_state_round_trip_resumes_to_the_bit(source_store, target_store):
    X, y, sw = _problem(seed=9, n_rows=120, n_features=25)
    params = dict(multi_class="multinomial", random_state=0, alpha=1e-3)
    est = SparseFTRLClassifier(state_store=source_store, **params)
    est.partial_fit(X[:60], y[:60], classes=np.arange(4), sample_weight=sw[:60])
    buffer = io.BytesIO()
    np.savez(buffer, **est.get_ftrl_state())
    buffer.seek(0)
    saved = dict(np.load(buffer))
    assert str(saved["multi_class"]) == "multinomial"
    assert saved["z"].shape[0] == 4
    twin = SparseFTRLClassifier(state_store=target_store, **params).set_ftrl_state(saved)
    np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))
    est.partial_fit(X[60:], y[60:], sample_weight=sw[60:])
    twin.partial_fit(X[60:], y[60:], sample_weight=sw[60:])
    assert_same_state(est, twin)
    np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))


def test_states_are_refused_by_the_other_multi_class():
    X, y, _ = _problem(seed=10)
    multi = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X, y)
    ovr = SparseFTRLClassifier(random_state=0).fit(X, y)
    target = SparseFTRLClassifier(random_state=1).fit(X[:20], y[:20] % 2)
    before = target.get_ftrl_state()
    with pytest.raises(ValueError, match="multi_class='ovr'.*set multi_class='multinomial'"):
        target.set_ftrl_state(multi.get_ftrl_state())
    with pytest.raises(ValueError, match="multi_class='multinomial'.*set multi_class='ovr'"):
        SparseFTRLClassifier(multi_class="multinomial").set_ftrl_state(ovr.get_ftrl_state())
    after = target.get_ftrl_state()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)


def test_hostile_multinomial_states_are_refused():
    X, y, _ = _problem(seed=11)
    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0, state_store="sparse")
    state = est.fit(X, y).get_ftrl_state()
    fresh = SparseFTRLClassifier(multi_class="multinomial")

    held = state["held"].copy()
    held[1, 0] = False
    held_z = dict(
        state, held=held, z=np.where(held, state["z"], 0.0), n=np.where(held, state["n"], 0.0)
    )
    with pytest.raises(ValueError, match="held' differs between classes"):
        fresh.set_ftrl_state(held_z)
    with pytest.raises(ValueError, match="no inclusion"):
        fresh.set_ftrl_state(dict(state, bloom=np.zeros((4, 8), dtype=np.uint8)))
    with pytest.raises(ValueError, match="'multi_class' must be 'multinomial'"):
        fresh.set_ftrl_state(dict(state, multi_class=np.array("softmax")))
    with pytest.raises(ValueError, match="'multi_class' has dtype int64"):
        fresh.set_ftrl_state(dict(state, multi_class=np.array(3)))
    two = SparseFTRLClassifier(random_state=0).fit(X, y % 2).get_ftrl_state()
    with pytest.raises(ValueError, match="2 classes"):
        fresh.set_ftrl_state(dict(two, multi_class=np.array("multinomial")))
    assert not hasattr(fresh, "classes_")


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_export_predicts_the_softmax_exactly(tmp_path, store):
    X, y, _ = _problem(seed=12, n_rows=300, n_features=40, n_classes=5)
    est = SparseFTRLClassifier(
        multi_class="multinomial", random_state=0, alpha=1e-3, state_store=store
    ).fit(X, y)
    exported = export_model(est)
    assert exported.proba == "softmax"
    exported.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    for model in (exported, loaded):
        np.testing.assert_array_equal(model.predict_proba(X), est.predict_proba(X))
        np.testing.assert_array_equal(model.decision_function(X), est.decision_function(X))
        np.testing.assert_array_equal(model.predict(X), est.predict(X))
        np.testing.assert_array_equal(model.predict_proba(X.toarray()), est.predict_proba(X))


def test_model_file_with_softmax_needs_a_vector_per_class(tmp_path):
    X, y, _ = _problem(seed=13, n_rows=100)
    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X, y)
    arrays = dict(np.load(_saved(export_model(est), tmp_path)))
    one = dict(
        arrays,
        intercept=arrays["intercept"][:1],
        coef_indptr=arrays["coef_indptr"][:2],
        coef_data=arrays["coef_data"][: arrays["coef_indptr"][1]],
        coef_indices=arrays["coef_indices"][: arrays["coef_indptr"][1]],
        classes=arrays["classes"][:2],
        coef_ndim=np.int64(2),
    )
    np.savez(tmp_path / "bad.npz", **one)
    with pytest.raises(ValueError, match="softmax"):
        load_model(tmp_path / "bad.npz")
    three = dict(arrays, classes=arrays["classes"][:3])  # 4 vectors, 3 classes
    np.savez(tmp_path / "bad3.npz", **three)
    with pytest.raises(ValueError, match="classes for 4 weight vector"):
        load_model(tmp_path / "bad3.npz")


def _saved(model, tmp_path):
    model.save(tmp_path / "ok.npz")
    return tmp_path / "ok.npz"


def test_pickle_round_trip_predicts_and_trains_as_the_original():
    X, y, _ = _problem(seed=14, n_rows=100)
    for store in ("dense", "sparse"):
        est = SparseFTRLClassifier(multi_class="multinomial", random_state=0, state_store=store)
        est.partial_fit(X[:50], y[:50], classes=np.arange(4))
        twin = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(twin.predict_proba(X), est.predict_proba(X))
        est.partial_fit(X[50:], y[50:])
        twin.partial_fit(X[50:], y[50:])
        assert_same_state(est, twin)


def test_merge_averages_multinomial_states_and_refuses_mixing():
    X, y, _ = _problem(seed=15, n_rows=200)
    a = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X[:100], y[:100])
    b = SparseFTRLClassifier(multi_class="multinomial", random_state=0).fit(X[100:], y[100:])
    sa, sb = a.get_ftrl_state(), b.get_ftrl_state()
    merged = merge_ftrl_states([sa, sb])
    assert str(merged["multi_class"]) == "multinomial"
    est = SparseFTRLClassifier(multi_class="multinomial").set_ftrl_state(merged)
    za, zb, zm = _state_arrays(a)[0], _state_arrays(b)[0], _state_arrays(est)[0]
    np.testing.assert_allclose(zm, (za + zb) / 2, rtol=1e-15)
    np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)
    ovr = SparseFTRLClassifier(random_state=0).fit(X[:100], y[:100]).get_ftrl_state()
    with pytest.raises(ValueError, match="multi_class='ovr'"):
        merge_ftrl_states([sa, ovr])
    with pytest.raises(ValueError, match="multi_class='ovr'"):
        SparseFTRLClassifier(random_state=0).set_ftrl_state(merged)


def test_stream_progressive_loss_is_the_softmax_before_training():
    X, y, _ = _problem(seed=16, n_rows=400, n_features=30)
    batches = [(X[i : i + 100], y[i : i + 100]) for i in range(0, 400, 100)]
    params = dict(multi_class="multinomial", random_state=0, alpha=1e-3)
    _, history = fit_stream(SparseFTRLClassifier(**params), batches, classes=np.arange(4))
    twin = SparseFTRLClassifier(**params)
    total, rows, expected = 0.0, 0, []
    for i, (Xb, yb) in enumerate(batches):
        if i == 0:
            losses = np.full(len(yb), np.log(4))
        else:
            proba = twin.predict_proba(Xb)
            losses = -np.log(proba[np.arange(len(yb)), yb])
        total, rows = total + losses.sum(), rows + len(yb)
        expected.append(total / rows)
        twin.partial_fit(Xb, yb, classes=np.arange(4))
    np.testing.assert_allclose(history.curve_loss, expected, rtol=1e-10)


def test_class_weight_is_a_per_class_sample_weight():
    X, y, sw = _problem(seed=17, n_rows=150)
    cw = {0: 2.0, 1: 0.5, 2: 1.0, 3: 3.0}
    a = SparseFTRLClassifier(
        multi_class="multinomial", random_state=0, class_weight=cw, max_iter=3, tol=None
    ).fit(X, y, sample_weight=sw)
    b = SparseFTRLClassifier(multi_class="multinomial", random_state=0, max_iter=3, tol=None).fit(
        X, y, sample_weight=sw * np.array([cw[c] for c in y])
    )
    assert_same_state(a, b, but=["params"])  # (params: class_weight given to one)
    balanced = clone(a).set_params(class_weight="balanced").fit(X, y)
    assert not np.array_equal(balanced.coef_, a.coef_)


def test_warm_start_continues_the_state_as_more_epochs():
    X, y, _ = _problem(seed=18)
    est = SparseFTRLClassifier(
        multi_class="multinomial",
        shuffle=False,
        max_iter=2,
        tol=None,
        warm_start=True,
        eta0=ETA0,
        beta=BETA,
        alpha=0.02,
    )
    est.fit(X, y).fit(X, y)
    z, _, _, _, t, _ = softmax_ftrl_reference(
        X, y, 4, eta0=ETA0, beta=BETA, lambda1=0.02, lambda2=0.0, mean_scaled=True, epochs=4
    )
    assert est.t_ == t
    np.testing.assert_allclose(_state_arrays(est)[0], z, rtol=1e-10, atol=1e-12)
    # without warm_start, fit starts over
    cold = clone(est).set_params(warm_start=False).fit(X, y).fit(X, y)
    assert cold.t_ == 2 * X.shape[0]


def test_early_stopping_stops_on_the_held_out_accuracy():
    X, y, _ = _problem(seed=19, n_rows=600, n_features=30)
    est = SparseFTRLClassifier(
        multi_class="multinomial",
        random_state=0,
        early_stopping=True,
        n_iter_no_change=2,
        max_iter=200,
    ).fit(X, y)
    assert est.n_iter_ < 200
    assert est.score(X, y) > 0.5


def test_pipeline_with_the_hasher_exports_raw_row_probabilities(tmp_path):
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from sparsereg import FeatureCrossHasher

    rng = np.random.RandomState(20)
    df = pd.DataFrame({"a": rng.choice(list("pqrs"), 300), "b": rng.randint(0, 5, 300)})
    y = np.where(df["a"] == "p", "x", np.where(df["b"] > 2, "y", "z"))
    model = make_pipeline(
        FeatureCrossHasher([("a",), ("b",), ("a", "b")], n_features=2**12),
        SparseFTRLClassifier(multi_class="multinomial", random_state=0),
    )
    model.fit(df, y)
    export_model(model).save(tmp_path / "p.npz")
    loaded = load_model(tmp_path / "p.npz")
    np.testing.assert_array_equal(loaded.predict_proba(df), model.predict_proba(df))
    assert model.score(df, y) > 0.9


@pytest.mark.parametrize("warm", [False, True])
def test_ctrl_c_leaves_a_multinomial_fit_unfitted_or_as_it_was(warm):
    rng = np.random.RandomState(0)
    n_rows, per_row = 100_000, 10
    big = sp.csr_matrix(
        (
            np.ones(n_rows * per_row),
            rng.randint(1000, size=n_rows * per_row),
            np.arange(0, n_rows * per_row + 1, per_row),
        ),
        shape=(n_rows, 1000),
    )
    y = rng.randint(5, size=n_rows)
    # 100,000 epochs, hours: a fit that went on after Ctrl-C (to raise it at its end) ends
    # the run, loudly (ctrl_c_came_during)
    est = SparseFTRLClassifier(
        multi_class="multinomial", max_iter=100_000, tol=None, warm_start=warm, random_state=0
    )
    if warm:
        est.partial_fit(big[:1000], y[:1000], classes=np.arange(5))
        before = est.get_ftrl_state()
    assert ctrl_c_came_during(lambda: est.fit(big, y), after=0.3)
    if warm:
        after = est.get_ftrl_state()
        for key in before:
            np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    else:
        assert not hasattr(est, "t_")


def test_dask_multinomial_merges_softmax_states():
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    from sparsereg.dask import DaskSparseFTRLClassifier

    X, y, _ = _problem(seed=21, n_rows=4000, n_features=200, n_classes=3)
    blocks = [X[i : i + 1000] for i in range(0, 4000, 1000)]
    dX = da.concatenate([da.from_array(b, chunks=b.shape, asarray=False) for b in blocks])
    dy = da.from_array(y, chunks=1000)
    params = dict(multi_class="multinomial", random_state=0, alpha=1e-4)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=40
    )
    with distributed.Client(cluster) as client:
        ordered = DaskSparseFTRLClassifier(mixing=None, max_iter=2, client=client, **params).fit(
            dX, dy
        )
        mixed = DaskSparseFTRLClassifier(max_iter=2, client=client, **params).fit(dX, dy)
        proba = mixed.predict_proba(dX).compute()
    cluster.close()
    local = SparseFTRLClassifier(**params)
    for _ in range(2):
        for i, block in enumerate(blocks):
            local.partial_fit(block, y[i * 1000 : (i + 1) * 1000], classes=np.arange(3))
    assert_same_state(ordered.to_local(), local, but=["n_iter"])  # (fit's 2 passes, 1 call's)
    assert str(mixed.to_local().get_ftrl_state()["multi_class"]) == "multinomial"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert (proba.argmax(axis=1) == y).mean() > 0.6


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_many_classes_on_many_rows_give_no_regression_warning(multi_class):
    # scikit-learn's "more unique classes than half the samples" was checked on the distinct
    # labels alone, so any 21 classes or more warned, whatever the rows
    rng = np.random.RandomState(0)
    X = sp.random(2000, 30, density=0.2, format="csr", random_state=rng)
    y = np.arange(2000) % 30
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = SparseFTRLClassifier(multi_class=multi_class, max_iter=1).fit(X, y)
        clf.partial_fit(X, y)
    assert clf.coef_.shape == (30, 30)
    # a y that is mostly distinct labels still warns, as scikit-learn's classifiers do
    with pytest.warns(UserWarning, match="greater than 50% of the number of samples"):
        SparseFTRLClassifier(multi_class=multi_class, max_iter=1).fit(X[:40], np.arange(40) % 30)
