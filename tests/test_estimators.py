"""Behaviour shared by the regressor and the classifier, and what each adds."""

import copy
import pickle
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
)

from .state_helpers import assert_same_state, dense_state, intercept_state

ESTIMATORS = [SparseFTRLRegressor, SparseFTRLClassifier]


def pickle_twin(model):
    return pickle.loads(pickle.dumps(model))


def _data(Est, n_rows=300, n_features=40, seed=0, n_classes=2):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, n_features, density=0.2, format="csr", random_state=rng)
    w = np.zeros(n_features)
    w[:5] = rng.normal(size=5) * 3
    score = X @ w
    if Est is SparseFTRLRegressor:
        return X, score + 0.05 * rng.normal(size=n_rows)
    if n_classes == 2:
        return X, (score > np.median(score)).astype(int)
    return X, np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))


def _state(est):
    return dense_state(est), intercept_state(est), est.t_


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("sparse", [True, False])
def test_one_epoch_fit_equals_one_partial_fit(Est, sparse):
    X, y = _data(Est)
    X = X if sparse else X.toarray()
    kw = {"classes": np.unique(y)} if Est is SparseFTRLClassifier else {}
    a = Est(max_iter=1, shuffle=False, tol=None).fit(X, y)
    b = Est(shuffle=False).partial_fit(X, y, **kw)
    np.testing.assert_array_equal(dense_state(a), dense_state(b))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.t_ == b.t_ == X.shape[0]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_dense_and_csr_give_bit_identical_models(Est):
    X, y = _data(Est)
    a = Est(random_state=0, max_iter=3, tol=None).fit(X, y)
    b = Est(random_state=0, max_iter=3, tol=None).fit(X.toarray(), y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pickle_round_trip_and_resume(Est):
    X, y = _data(Est)
    kw = {"classes": np.unique(y)} if Est is SparseFTRLClassifier else {}
    halves = [slice(0, 150), slice(150, 300)]
    straight = Est(random_state=0)
    for h in halves:
        straight.partial_fit(X[h], y[h], **kw)

    resumed = Est(random_state=0).partial_fit(X[halves[0]], y[halves[0]], **kw)
    before = resumed.predict(X)
    resumed = pickle.loads(pickle.dumps(resumed))
    np.testing.assert_array_equal(resumed.predict(X), before)
    resumed.partial_fit(X[halves[1]], y[halves[1]])
    np.testing.assert_array_equal(dense_state(resumed), dense_state(straight))
    np.testing.assert_array_equal(resumed.coef_, straight.coef_)


@pytest.mark.parametrize(
    "Est, kw",
    [
        (SparseFTRLRegressor, {"tol": None}),
        (SparseFTRLClassifier, {"tol": None}),
        (SparseFTRLRegressorCV, {"alphas": [1e-4, 1e-2]}),
        (SparseFTRLClassifierCV, {"alphas": [1e-4, 1e-2]}),
    ],
)
@pytest.mark.parametrize("twin_of", [pickle_twin, copy.deepcopy])
def test_a_copy_given_a_random_state_object_trains_on_as_the_original(Est, kw, twin_of):
    # random_state=RandomState(7): the parameter is the generator every call draws from (as in
    # SGDClassifier). The copy's generator was copied apart from its parameter, so a copy's
    # partial_fit advanced one and its next fit drew from the other, not advanced.
    X, y = _data(SparseFTRLRegressor if "Regressor" in Est.__name__ else SparseFTRLClassifier)
    original = Est(random_state=np.random.RandomState(7), max_iter=3, **kw)
    original.partial_fit(
        X, y, **({"classes": np.unique(y)} if "Classifier" in Est.__name__ else {})
    )
    twin = twin_of(original)
    for model in (original, twin):
        model.partial_fit(X, y)
        model.fit(X, y)  # shuffles with the generator partial_fit left
    np.testing.assert_array_equal(twin.coef_, original.coef_)
    np.testing.assert_array_equal(twin.intercept_, original.intercept_)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_warm_start_continues_the_exact_state(Est):
    X, y = _data(Est)
    two = Est(max_iter=2, tol=None, shuffle=False).fit(X, y)
    warm = Est(max_iter=1, tol=None, shuffle=False, warm_start=True).fit(X, y).fit(X, y)
    cold = Est(max_iter=1, tol=None, shuffle=False).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(dense_state(warm), dense_state(two))
    assert warm.t_ == two.t_ == 2 * X.shape[0]
    assert cold.t_ == X.shape[0]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_huge_alpha_zeroes_everything_and_zero_alpha_nothing_touched(Est):
    X, y = _data(Est)
    strong = Est(alpha=1e6, max_iter=2, tol=None).fit(X, y)
    assert sp.csr_matrix(strong.coef_).nnz == 0
    free = Est(alpha=0.0, max_iter=2, tol=None).fit(X, y)
    touched = dense_state(free)[:, :, 1] > 0  # n_i > 0: a non-zero gradient reached coordinate i
    assert touched.any()
    assert np.all(np.atleast_2d(free.coef_)[touched] != 0.0)
    assert np.all(np.atleast_2d(free.coef_)[~touched] == 0.0)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_weight_is_zero_exactly_when_z_within_lambda1(Est):
    X, y = _data(Est)
    est = Est(alpha=3e-3, max_iter=3, tol=None, random_state=0).fit(X, y)
    lambda1 = est.alpha * est.t_
    z = dense_state(est)[:, :, 0]
    zero = np.atleast_2d(est.coef_) == 0.0
    np.testing.assert_array_equal(zero, np.abs(z) <= lambda1)
    assert 0 < zero.sum() < zero.size  # the test means something: some of each


def test_penalty_none_and_l2_keep_every_touched_weight():
    X, y = _data(SparseFTRLRegressor)
    for penalty in [None, "l2"]:
        est = SparseFTRLRegressor(penalty=penalty, alpha=1e-2, max_iter=2, tol=None).fit(X, y)
        touched = dense_state(est)[0, :, 1] > 0
        assert np.all(est.coef_[touched] != 0)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pipeline_and_grid_search(Est):
    X, y = _data(Est, n_rows=200)
    pipe = make_pipeline(StandardScaler(with_mean=False), Est(random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            f"{Est.__name__.lower()}__alpha": [1e-5, 1e-2],
            f"{Est.__name__.lower()}__l1_ratio": [0.15, 0.9],
        },
        cv=3,
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {
        f"{Est.__name__.lower()}__alpha",
        f"{Est.__name__.lower()}__l1_ratio",
    }
    assert grid.score(X, y) > (0.5 if Est is SparseFTRLRegressor else 0.7)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sparsify_keeps_predictions_and_training(Est):
    X, y = _data(Est)
    kw = {"classes": np.unique(y)} if Est is SparseFTRLClassifier else {}
    est = Est(alpha=1e-3, random_state=0).partial_fit(X[:150], y[:150], **kw)
    dense_pred = est.predict(X)
    est.sparsify()
    assert sp.issparse(est.coef_)
    np.testing.assert_array_equal(est.predict(X), dense_pred)
    est.partial_fit(X[150:], y[150:])  # unlike SGD, training goes on after sparsify()
    ref = (
        Est(alpha=1e-3, random_state=0)
        .partial_fit(X[:150], y[:150], **kw)
        .partial_fit(X[150:], y[150:])
    )
    assert sp.issparse(est.coef_)
    np.testing.assert_array_equal(est.coef_.toarray().ravel(), np.ravel(ref.coef_))
    est.densify()
    assert isinstance(est.coef_, np.ndarray)


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_sparse_weights_follow_scikit_learns_sparse_interface(Est, store):
    # a csr_matrix came out whatever sklearn.set_config(sparse_interface=...) said, where
    # SGDClassifier.sparsify() and ElasticNet.sparse_coef_ give a csr_array under "sparray"
    import sklearn

    from sparsereg import export_model, sparsity_report, top_weights

    if "sparse_interface" not in sklearn.get_config():
        pytest.skip("scikit-learn before sparse_interface (1.9)")
    X, y = _data(Est)
    est = Est(alpha=1e-3, random_state=0, state_store=store).fit(X, y).sparsify()
    exported = export_model(est)
    found = {}
    for interface, kind in [("spmatrix", sp.csr_matrix), ("sparray", sp.csr_array)]:
        with sklearn.config_context(sparse_interface=interface):
            weights = [est.coef_, est.sparse_coef_, exported.coef_]
            assert all(type(w) is kind for w in weights)
            found[interface] = (
                [w.toarray() for w in weights],
                est.predict(X),
                exported.predict(X),
                str(sparsity_report(est)),
                top_weights(est, 5).to_dict(),
            )
    dense = est.densify().coef_
    for weights, *rest in zip(*found.values(), strict=True):
        if isinstance(weights, list):
            for a, b in zip(weights, rest[0], strict=True):
                np.testing.assert_array_equal(a, b)
                np.testing.assert_array_equal(np.ravel(a), np.ravel(dense))
        elif isinstance(weights, np.ndarray):
            np.testing.assert_array_equal(weights, rest[0])
        else:
            assert weights == rest[0]


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_decision_function_is_the_linear_product(store, dtype, index):
    X, y = _data(SparseFTRLClassifier, n_classes=3)
    X = sp.csr_matrix(
        (X.data.astype(dtype), X.indices.astype(index), X.indptr.astype(index)), shape=X.shape
    )
    clf = SparseFTRLClassifier(state_store=store, random_state=0).fit(X, y)
    coef = sp.csr_matrix(clf.coef_).toarray().astype(np.float64)
    expected = X.toarray().astype(np.float64) @ coef.T + clf.intercept_
    np.testing.assert_allclose(clf.decision_function(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(clf.decision_function(X.toarray()), clf.decision_function(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_float32_input_gives_float32_coef(Est):
    X, y = _data(Est)
    est = Est(max_iter=2, tol=None).fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fit_reads_the_users_csr_without_copying_it(Est):
    rng = np.random.RandomState(0)
    n_rows, n_features, per_row = 40_000, 50, 25
    indices = np.sort(rng.rand(n_rows, n_features).argsort(axis=1)[:, :per_row], axis=1)
    X = sp.csr_matrix(
        (
            np.ones(n_rows * per_row),
            indices.ravel().astype(np.int32),
            np.arange(0, n_rows * per_row + 1, per_row, dtype=np.int32),
        ),
        shape=(n_rows, n_features),
    )
    y = rng.randint(2, size=n_rows) if Est is SparseFTRLClassifier else rng.normal(size=n_rows)
    est = Est(max_iter=1, tol=None)
    tracemalloc.start()
    est.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # per-row arrays (y, weights, order) are ~10 bytes x rows; a copy of X would be 12 x nnz
    assert peak < 0.5 * (X.data.nbytes + X.indices.nbytes), peak


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_verbose_prints_one_line_per_epoch(Est, capsys):
    X, y = _data(Est)
    Est(verbose=1, max_iter=3, tol=None).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert len(lines) == 3
    assert "avg loss" in lines[0] and "non-zero weights" in lines[0] and "time" in lines[0]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_tol_stops_early_and_early_stopping_uses_validation(Est):
    X, y = _data(Est)
    est = Est(max_iter=500, tol=1e-2, random_state=0).fit(X, y)
    assert est.n_iter_ < 500
    est = Est(max_iter=500, tol=1e-3, early_stopping=True, random_state=0).fit(X, y)
    assert est.n_iter_ < 500
    with pytest.raises(ValueError, match="early_stopping"):
        kw = {"classes": np.unique(y)} if Est is SparseFTRLClassifier else {}
        Est(early_stopping=True).partial_fit(X, y, **kw)


def test_multiclass_one_vs_rest_is_independent_of_n_jobs():
    X, y = _data(SparseFTRLClassifier, n_classes=4)
    a = SparseFTRLClassifier(random_state=0, n_jobs=None).fit(X, y)
    b = SparseFTRLClassifier(random_state=0, n_jobs=2).fit(X, y)
    assert a.coef_.shape == (4, X.shape[1])
    np.testing.assert_array_equal(a.coef_, b.coef_)
    proba = a.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert a.score(X, y) > 0.5
    # under a process backend (joblib's parallel_config) the classes trained pickled copies
    # of the state, thrown away: an all-zero model
    from joblib import parallel_config

    with parallel_config(backend="loky"):
        c = SparseFTRLClassifier(random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(a.coef_, c.coef_)


def test_n_jobs_of_zero_is_refused_before_partial_fit_draws_its_shuffling():
    X, y = _data(SparseFTRLClassifier, n_classes=3)
    est = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = est.get_ftrl_state()
    # (joblib refused it inside the epoch, after the rows' order was drawn)
    with pytest.raises(ValueError, match="n_jobs"):
        est.set_params(n_jobs=0).partial_fit(X, y)
    assert_same_state(est, SparseFTRLClassifier(random_state=0).set_ftrl_state(before))


def test_n_jobs_beyond_the_number_of_models_trains_as_one_thread_would():
    X, y = _data(SparseFTRLClassifier, n_classes=3)
    one, many = (
        SparseFTRLClassifier(random_state=0, n_jobs=n_jobs).partial_fit(X, y, classes=[0, 1, 2])
        for n_jobs in (1, 10**6)  # (joblib refused n_jobs above 500,000)
    )
    assert_same_state(one.partial_fit(X, y), many.partial_fit(X, y))


def test_cpus_that_grow_during_a_fit_with_n_jobs_minus_one_change_nothing(monkeypatch, capsys):
    """n_jobs=-1 counts the CPUs: counted again at each epoch, a count grown after the first
    (a container's CPU quota raised, LOKY_MAX_CPU_COUNT) gave a thread no scratch of its own,
    and the fit raised an IndexError."""
    from joblib import effective_n_jobs

    monkeypatch.delenv("LOKY_MAX_CPU_COUNT", raising=False)
    if effective_n_jobs(-1) < 2:
        pytest.skip("needs two CPUs")
    rng = np.random.RandomState(0)
    # models long enough to train that the thread started second takes some of them
    X = sp.random(20000, 100, density=0.05, format="csr", random_state=rng)
    y = rng.randint(6, size=20000)

    class GrowingCPUs:  # verbose's first epoch line lets a second CPU count
        def write(self, text):
            if text.startswith("Epoch 1,"):
                monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "2")
            return len(text)

        def flush(self):
            pass

    params = dict(random_state=0, n_jobs=-1, max_iter=3, tol=None, verbose=1)
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "1")
    monkeypatch.setattr("sys.stdout", GrowingCPUs())
    grown = SparseFTRLClassifier(**params).fit(X, y)
    monkeypatch.undo()
    capsys.readouterr()
    alone = SparseFTRLClassifier(**{**params, "n_jobs": None}).fit(X, y)
    assert_same_state(grown, alone)


def test_class_weight_scales_the_gradient_like_sample_weight():
    X, y = _data(SparseFTRLClassifier)
    a = SparseFTRLClassifier(class_weight={0: 1.0, 1: 3.0}, random_state=0).fit(X, y)
    b = SparseFTRLClassifier(random_state=0).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    rare = np.where(np.arange(len(y)) % 5 == 0, y, 0)  # imbalanced: 'balanced' reweights it
    balanced = SparseFTRLClassifier(class_weight="balanced", random_state=0).fit(X, rare)
    counts = np.bincount(rare)
    by_hand = {c: len(rare) / (2 * counts[c]) for c in (0, 1)}  # n_samples / (n_classes * count)
    assert by_hand[1] > 2 * by_hand[0]
    explicit = SparseFTRLClassifier(class_weight=by_hand, random_state=0).fit(X, rare)
    np.testing.assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-12)
    plain = SparseFTRLClassifier(random_state=0).fit(X, rare)
    assert balanced.predict(X).mean() > plain.predict(X).mean()  # more of the rare class
    with pytest.raises(ValueError, match="balanced"):
        SparseFTRLClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_labels_of_any_type_map_to_the_same_model():
    X, y = _data(SparseFTRLClassifier)
    as_ints = SparseFTRLClassifier(random_state=0).fit(X, y)
    as_strings = SparseFTRLClassifier(random_state=0).fit(X, np.where(y == 1, "yes", "no"))
    as_floats = SparseFTRLClassifier(random_state=0).fit(X, 5.0 * y - 2.0)  # read as they are
    np.testing.assert_array_equal(as_strings.classes_, ["no", "yes"])
    np.testing.assert_array_equal(as_ints.coef_, as_strings.coef_)
    np.testing.assert_array_equal(as_ints.coef_, as_floats.coef_)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        SparseFTRLClassifier().fit(X, y + 0.5 * np.arange(len(y)) / len(y))
    # a batch holding one of the declared classes is fine in a stream
    stream = SparseFTRLClassifier().partial_fit(X[:5], np.zeros(5), classes=[0, 1])
    stream.partial_fit(X[5:10], np.ones(5))
    assert stream.t_ == 10


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("state_store", ["dense", "sparse"])
def test_no_sample_weight_is_weight_one(Est, state_store):
    X, y = _data(Est)
    a = Est(state_store=state_store, random_state=0).fit(X, y)
    b = Est(state_store=state_store, random_state=0).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(_state(a)[0], _state(b)[0])
    np.testing.assert_array_equal(_state(a)[1], _state(b)[1])


def test_one_vs_rest_models_read_float_labels_and_class_indices_alike():
    X, y = _data(SparseFTRLClassifier, n_classes=4)
    names = np.array(["a", "b", "c", "d"])
    as_floats = SparseFTRLClassifier(random_state=0).fit(X, 2.0 * y - 3.0)
    as_strings = SparseFTRLClassifier(random_state=0).fit(X, names[y])
    np.testing.assert_array_equal(as_floats.coef_, as_strings.coef_)
    np.testing.assert_array_equal(
        as_strings.predict(X), names[((as_floats.predict(X) + 3.0) / 2).astype(int)]
    )
    # one model per class, each with its own positive class: no two share their weights
    assert len({row.tobytes() for row in as_floats.coef_}) == 4


def test_multiclass_class_weight_scales_each_models_positive_rows():
    X, y = _data(SparseFTRLClassifier, n_classes=3)
    # a fixed number of epochs: OvR stops on the models' summed loss, a lone model on its own
    kw = dict(max_iter=3, tol=None, random_state=0)
    weighted = SparseFTRLClassifier(class_weight={0: 2.0, 1: 1.0, 2: 0.5}, **kw).fit(X, y)
    for k, w_k in enumerate([2.0, 1.0, 0.5]):
        alone = SparseFTRLClassifier(**kw).fit(
            X, (y == k).astype(int), sample_weight=np.where(y == k, w_k, 1.0)
        )
        np.testing.assert_array_equal(weighted.coef_[k], alone.coef_[0])


def test_early_stopping_trains_each_model_on_the_training_rows_only():
    from sklearn.model_selection import StratifiedShuffleSplit

    X, y = _data(SparseFTRLClassifier, n_classes=3)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    kw = dict(shuffle=False, class_weight={0: 2.0, 1: 1.0, 2: 0.5})
    est = SparseFTRLClassifier(early_stopping=True, max_iter=50, tol=1e-3, random_state=0, **kw)
    est.fit(X, y, sample_weight=sw)
    splitter = StratifiedShuffleSplit(test_size=0.1, random_state=np.random.RandomState(0))
    train = np.sort(next(splitter.split(np.zeros(len(y)), y))[0])
    manual = SparseFTRLClassifier(max_iter=est.n_iter_, tol=None, **kw)
    manual.fit(X[train], y[train], sample_weight=sw[train])
    assert est.t_ == manual.t_ == est.n_iter_ * len(train)
    np.testing.assert_array_equal(est.coef_, manual.coef_)


def test_labels_beyond_float64_precision_keep_their_classes():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    codes = np.array([0, 1, 3])[X.argmax(axis=1)]
    classes = np.uint64(2**60) + codes.astype(np.uint64)  # equal as float64, not as integers
    as_uint = SparseFTRLClassifier(random_state=0).partial_fit(
        X, classes, classes=np.unique(classes)
    )
    as_int = SparseFTRLClassifier(random_state=0).partial_fit(
        X, classes.astype(np.int64), classes=np.unique(classes)
    )
    by_code = SparseFTRLClassifier(random_state=0).partial_fit(X, codes, classes=[0, 1, 3])
    np.testing.assert_array_equal(as_uint.coef_, by_code.coef_)
    np.testing.assert_array_equal(as_int.coef_, by_code.coef_)


def test_class_weights_count_in_the_overflow_check_as_they_are():
    X = np.random.RandomState(0).randn(200, 3) * 1e97
    y = np.arange(200) % 2
    # balanced classes weigh 1 each: gradients as without class weights
    SparseFTRLClassifier(class_weight="balanced").fit(X, y)
    SparseFTRLClassifier(class_weight={0: np.array(1.0), 1: 1}).fit(X, y)
    with pytest.raises(ValueError, match="would overflow"):
        SparseFTRLClassifier(class_weight={0: 1e10, 1: 1.0}).fit(X, y)


def test_classifier_proba_and_losses():
    X, y = _data(SparseFTRLClassifier)
    for loss in ["log_loss", "modified_huber"]:
        clf = SparseFTRLClassifier(loss=loss, random_state=0).fit(X, y)
        proba = clf.predict_proba(X)
        assert proba.shape == (X.shape[0], 2)
        assert np.all((proba >= 0) & (proba <= 1))
        np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    hinge = SparseFTRLClassifier(loss="hinge").fit(X, y)
    assert not hasattr(hinge, "predict_proba")
    assert not hasattr(hinge, "predict_log_proba")
    # called on the class, as a subclass delegating to it does, the methods check the loss
    # too (returning, for hinge, numbers that are no probabilities)
    for method in (SparseFTRLClassifier.predict_proba, SparseFTRLClassifier.predict_log_proba):
        with pytest.raises(AttributeError, match="not available for loss='hinge'"):
            method(hinge, X)
    np.testing.assert_array_equal(
        SparseFTRLClassifier.predict_proba(clf, X), clf.predict_proba(X)
    )  # (clf: the last of the probabilistic losses)


def test_log_loss_is_stable_for_huge_margins():
    X = sp.csr_matrix(np.array([[1e4, 0.0], [0.0, -1e4]] * 50))
    y = np.array([1, 0] * 50)
    clf = SparseFTRLClassifier(eta0=10.0, max_iter=5, tol=None).fit(X, y)
    assert np.all(np.isfinite(clf.coef_))
    margins = clf.decision_function(X)
    assert np.abs(margins).max() > 1e3  # the margins really are huge
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_partial_fit_classes_contract():
    X, y = _data(SparseFTRLClassifier)
    with pytest.raises(ValueError, match="classes must be passed"):
        SparseFTRLClassifier().partial_fit(X, y)
    clf = SparseFTRLClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="labels not in classes"):
        clf.partial_fit(X[:2], [0, 5])
    with pytest.raises(ValueError, match="greater than one"):
        SparseFTRLClassifier().fit(X, np.zeros(X.shape[0]))
    # a missing label is no class: no target can be one (it trained a model for NaN)
    for missing in (np.nan, None, pd.NA):
        fresh = SparseFTRLClassifier()
        with pytest.raises(ValueError, match="classes hold"):
            fresh.partial_fit(X, y, classes=np.array([0, 1, missing], dtype=object))
        assert not hasattr(fresh, "classes_")
    # labels that do not sort together: a ValueError saying so, not NumPy's TypeError
    with pytest.raises(ValueError, match="do not sort together"):
        SparseFTRLClassifier().partial_fit(X, y, classes=np.array([0, 1, "a"], dtype=object))
    # not a sequence of labels: said so (a set was one label of dtype object)
    for not_labels in ({0, 1}, 5, "01", [[0, 1]]):
        fresh = SparseFTRLClassifier()
        with pytest.raises(ValueError, match="classes must be a 1-D array-like"):
            fresh.partial_fit(X, y, classes=not_labels)
        assert not hasattr(fresh, "classes_")
    # a column of labels is taken, as SGDClassifier.partial_fit takes it
    column = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[[0], [1]])
    flat = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(column.classes_, [0, 1])
    np.testing.assert_array_equal(column.predict_proba(X), flat.predict_proba(X))
    mixed = np.array([0, "a"] * (X.shape[0] // 2), dtype=object)
    with pytest.raises(ValueError, match="y mixes labels that do not sort together"):
        SparseFTRLClassifier().fit(X[: mixed.size], mixed)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_clone_is_unfitted_with_same_params(Est):
    X, y = _data(Est)
    est = Est(alpha=0.01, eta0=0.3).fit(X, y)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "t_")


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_nnz_history_records_each_epoch_and_partial_fit_call(Est):
    X, y = _data(Est)
    est = Est(alpha=1e-3, max_iter=3, tol=None, random_state=0).fit(X, y)
    assert [t for t, _ in est.nnz_history_] == [300, 600, 900]
    assert est.nnz_history_[-1][1] == tuple(est.count_nonzero())
    kw = {"classes": np.unique(y)} if Est is SparseFTRLClassifier else {}
    stream = Est(alpha=1e-3, random_state=0)
    for start in range(0, 300, 100):
        stream.partial_fit(X[start : start + 100], y[start : start + 100], **kw)
        assert stream.nnz_history_[-1] == (stream.t_, tuple(stream.count_nonzero()))
    assert len(stream.nnz_history_) == 3
    refit = clone(stream).fit(X, y)
    assert refit.nnz_history_[0][0] == 300  # fit starts a new history
