"""SparseFTRLClassifierCV / SparseFTRLRegressorCV: one pass, many models (issue #15).

The reference for every model of a grid is the single estimator fitted alone on the same rows
(the single estimator's kernel is itself checked against the NumPy transcription of Algorithm 1
in test_kernel_reference.py): the grid must give the same state to the bit.
"""

import io
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_regression

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
    export_model,
    load_model,
)
from sparsereg.model_selection import MAX_ALPHAS, select_model

from .interruptions import ctrl_c_came_during
from .streams import click_stream

# the history too: each grid model's non-zero counts after each epoch and call, recorded when
# the single estimator records its own
STATE_KEYS = (
    "columns",
    "z",
    "n",
    "intercept_z",
    "intercept_n",
    "t",
    "nnz_history_t",
    "nnz_history",
)


def data(
    n_rows=120, n_cols=40, *, classes=2, seed=0, dtype=np.float64, index=np.int32, density=0.2
):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, n_cols, density=density, format="csr", random_state=rng, dtype=dtype)
    X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    score = X @ rng.normal(size=n_cols)
    if classes is None:
        y = score + 0.1 * rng.normal(size=n_rows)
    elif classes == 2:
        y = (score > np.median(score)).astype(int)
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, y


def assert_same_state(a, b, keys=STATE_KEYS):
    sa, sb = a.get_ftrl_state(), b.get_ftrl_state()
    for key in keys:
        va, vb = np.asarray(sa[key]), np.asarray(sb[key])
        if va.dtype == np.float64 and vb.dtype == np.float64:  # the bits: -0.0 is not 0.0
            va, vb = va.view(np.uint64), vb.view(np.uint64)
        np.testing.assert_array_equal(va, vb, err_msg=key)


def single_for(cv, index, **extra):
    """The single estimator that model ``index`` of ``cv``'s grid stands for, unfitted."""
    params = cv.cv_results_["params"][index]
    cls = SparseFTRLClassifier if isinstance(cv, SparseFTRLClassifierCV) else SparseFTRLRegressor
    shared = {k: v for k, v in cv.get_params().items() if k in cls().get_params()}
    return cls(**{**shared, **params, "tol": None, **extra})


GRID = {"alphas": [0.0, 1e-5, 1e-3], "eta0s": [0.05, 0.5]}


# ------------------------------------------------------------- each model = one model
@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_grid_model_equals_the_single_model(store, kind, fit_intercept, weighted):
    X, y = data(classes=2 if kind == "classifier" else None)
    sw = np.random.RandomState(1).uniform(0, 3, size=X.shape[0]) if weighted else None
    CV = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    cv = CV(**GRID, state_store=store, fit_intercept=fit_intercept, max_iter=2, random_state=3).fit(
        X, y, sample_weight=sw
    )
    assert cv.n_models_ == 6
    for i in range(cv.n_models_):
        single = single_for(cv, i).fit(X, y, sample_weight=sw)
        model = cv.estimator_at(i)
        assert_same_state(model, single)
        np.testing.assert_array_equal(model.predict(X), single.predict(X))
        assert cv.cv_results_["n_nonzero"][i] == single.count_nonzero().sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet", None])
def test_dtypes_index_types_and_penalties(dtype, index, penalty):
    X, y = data(dtype=dtype, index=index)
    l1_ratios = [0.2, 0.9] if penalty == "elasticnet" else None
    cv = SparseFTRLClassifierCV(
        alphas=[1e-4, 1e-2] if penalty else [0.0],
        eta0s=[0.3],
        l1_ratios=l1_ratios,
        penalty=penalty,
        random_state=0,
        shuffle=False,
    ).fit(X, y)
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), single_for(cv, i).fit(X, y))
    assert cv.best_estimator_.coef_.dtype == dtype


def test_multiclass_one_vs_rest_models_equal_single_models():
    X, y = data(classes=3, n_rows=150)
    cv = SparseFTRLClassifierCV(
        **GRID, random_state=0, max_iter=2, class_weight={0: 2.0, 1: 1.0, 2: 0.5}
    ).fit(X, y)
    assert list(cv.classes_) == [0, 1, 2]
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), single_for(cv, i).fit(X, y))
    assert cv.predict_proba(X).shape == (150, 3)


@settings(max_examples=25, deadline=None)
@given(
    n_rows=st.integers(1, 60),
    n_cols=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    alphas=st.lists(
        st.sampled_from([0.0, 1e-6, 1e-4, 1e-2, 0.3]), min_size=1, max_size=3, unique=True
    ),
    eta0s=st.lists(st.sampled_from([0.01, 0.1, 1.0, 7.0]), min_size=1, max_size=3, unique=True),
    store=st.sampled_from(["dense", "sparse"]),
    loss=st.sampled_from(
        ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]
    ),
    scale=st.sampled_from(["mean", "sum"]),
)
def test_regressor_grid_equals_single_models_property(
    n_rows, n_cols, seed, alphas, eta0s, store, loss, scale
):
    X, y = data(n_rows, n_cols, classes=None, seed=seed, density=0.3)
    cv = SparseFTRLRegressorCV(
        loss, alphas=alphas, eta0s=eta0s, state_store=store, penalty_scale=scale, random_state=seed
    ).fit(X, y)
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), single_for(cv, i).fit(X, y))


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    loss=st.sampled_from(["log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron"]),
    store=st.sampled_from(["dense", "sparse"]),
    shuffle=st.booleans(),
)
def test_classifier_grid_equals_single_models_property(seed, loss, store, shuffle):
    X, y = data(50, 20, seed=seed, density=0.3)
    cv = SparseFTRLClassifierCV(
        loss, **GRID, state_store=store, shuffle=shuffle, random_state=seed
    ).fit(X, y)
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), single_for(cv, i).fit(X, y))


# --------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_partial_fit_continues_every_model_to_the_bit(store):
    X, y = data(200)
    X1, y1, X2, y2 = X[:120], y[:120], X[120:], y[120:]
    cv = SparseFTRLClassifierCV(**GRID, state_store=store, random_state=0, max_iter=2)
    cv.fit(X1, y1).partial_fit(X2, y2)
    assert cv.t_ == 2 * 120 + 80
    for i in range(cv.n_models_):
        single = single_for(cv, i, max_iter=2).fit(X1, y1).partial_fit(X2, y2)
        assert_same_state(cv.estimator_at(i), single)
    # best_estimator_ continues on its own as the single model does
    best = cv.best_estimator_
    twin = single_for(cv, cv.best_index_, max_iter=2).fit(X1, y1).partial_fit(X2, y2)
    assert_same_state(best.partial_fit(X2, y2), twin.partial_fit(X2, y2))


@pytest.mark.parametrize("n_alphas", [1, 2, 3, 4, 5, 8, 9])
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_any_grid_size_row_by_row_equals_single_models(n_alphas, store):
    # the models are updated as vectors of 2 or 4 lanes with a remainder: every count of
    # models, row by row (so the state grows for each row's new columns), gives each model
    # the single estimator's bits
    X, y = data(60, n_cols=300, classes=None, density=0.03, seed=n_alphas)
    alphas = list(np.geomspace(1e-6, 1e-2, n_alphas))
    cv = SparseFTRLRegressorCV(
        alphas=alphas, eta0s=[0.1, 0.7], state_store=store, penalty="elasticnet", l1_ratio=0.5
    )
    singles = [None] * (2 * n_alphas)
    for row in range(X.shape[0]):
        cv.partial_fit(X[row : row + 1], y[row : row + 1])
        for i in range(cv.n_models_):
            singles[i] = singles[i] or single_for(cv, i)
            singles[i].partial_fit(X[row : row + 1], y[row : row + 1])
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), singles[i])
    assert cv.estimator_at(0).get_ftrl_state()["columns"].size == np.unique(X.indices).size


def test_partial_fit_batches_equal_one_call_and_losses_accumulate():
    X, y = data(150, classes=None)
    one = SparseFTRLRegressorCV(**GRID, shuffle=False).partial_fit(X, y)
    many = SparseFTRLRegressorCV(**GRID, shuffle=False)
    for start in range(0, 150, 40):
        many.partial_fit(X[start : start + 40], y[start : start + 40])
    np.testing.assert_array_equal(
        one.cv_results_["progressive_loss"], many.cv_results_["progressive_loss"]
    )
    for i in range(one.n_models_):  # (the histories differ: one record per call)
        assert_same_state(one.estimator_at(i), many.estimator_at(i), STATE_KEYS[:-2])


def test_partial_fit_classes_required_and_grid_fixed():
    X, y = data()
    cv = SparseFTRLClassifierCV(**GRID)
    with pytest.raises(ValueError, match="classes must be passed"):
        cv.partial_fit(X, y)
    assert not hasattr(cv, "cv_results_")
    cv.partial_fit(X, y, classes=[0, 1])
    before = cv.cv_results_["progressive_loss"].copy()
    cv.set_params(alphas=[1e-3])
    with pytest.raises(ValueError, match="grid changed"):
        cv.partial_fit(X, y)
    np.testing.assert_array_equal(cv.cv_results_["progressive_loss"], before)
    assert cv.t_ == X.shape[0]


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
def test_l1_ratio_that_no_model_reads_may_change_between_partial_fits(penalty):
    # l1_ratio is read by elasticnet only: set under another penalty, the next partial_fit
    # refused the grid as changed, though every model was the same
    X, y = data()
    params = dict(GRID, penalty=penalty, random_state=0)
    if penalty is None:
        params["alphas"] = [0.0]  # (several: identical models, warned of)
    changed = SparseFTRLClassifierCV(**params).partial_fit(X, y, classes=[0, 1])
    kept = SparseFTRLClassifierCV(**params).partial_fit(X, y, classes=[0, 1])
    changed.set_params(l1_ratio=0.7).partial_fit(X, y)
    kept.partial_fit(X, y)
    for key in ("progressive_loss", "n_nonzero"):
        np.testing.assert_array_equal(changed.cv_results_[key], kept.cv_results_[key])
    np.testing.assert_array_equal(changed.decision_function(X), kept.decision_function(X))
    elasticnet = SparseFTRLClassifierCV(**dict(GRID, penalty="elasticnet"))
    elasticnet.partial_fit(X, y, classes=[0, 1]).set_params(l1_ratio=0.7)
    with pytest.raises(ValueError, match="grid changed"):  # its models' L1 and L2 would
        elasticnet.partial_fit(X, y)


# -------------------------------------------------------- progressive validation
def progressive_reference(X, y, *, loss, eta0, lambda1, beta=1.0, epochs=1, sample_weight=None):
    """Weighted mean progressive loss and its standard error, in NumPy (rows in order,
    mean-scaled L1, intercept): each row's loss under the weights before its update, their
    mean weighted by ``sample_weight`` (scikit-learn's metrics' weighting), the standard error
    that of a weighted mean over Kish's effective number of rows (sum(w)**2 / sum(w**2))."""
    X = sp.csr_matrix(X, dtype=np.float64)
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    z, n = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    z0 = n0 = 0.0
    t, losses = 0, []
    for _ in range(epochs):
        for row in range(X.shape[0]):
            t += 1
            l1 = lambda1 * t
            cols = X.indices[X.indptr[row] : X.indptr[row + 1]]
            vals = X.data[X.indptr[row] : X.indptr[row + 1]]
            w = np.where(
                np.abs(z[cols]) <= l1,
                0.0,
                -(z[cols] - np.sign(z[cols]) * l1) / ((beta + np.sqrt(n[cols])) / eta0),
            )
            w0 = -z0 / ((beta + math.sqrt(n0)) / eta0)
            p = w0 + float(w @ vals)
            if loss == "log_loss":
                target = 1.0 if y[row] == 1 else -1.0
                losses.append(math.log1p(math.exp(-target * p)))
                d = sw[row] * -target / (1.0 + math.exp(target * p))
            else:
                losses.append(0.5 * (p - y[row]) ** 2)
                d = sw[row] * (p - y[row])
            g = d * vals
            sigma = (np.sqrt(n[cols] + g * g) - np.sqrt(n[cols])) / eta0
            z[cols] += g - sigma * w
            n[cols] += g * g
            sigma0 = (math.sqrt(n0 + d * d) - math.sqrt(n0)) / eta0
            z0 += d - sigma0 * w0
            n0 += d * d
    losses, weights = np.array(losses), np.tile(sw, epochs)
    mean = np.sum(weights * losses) / np.sum(weights)
    variance = np.sum(weights * (losses - mean) ** 2) / np.sum(weights)
    n_effective = np.sum(weights) ** 2 / np.sum(weights**2)
    return mean, np.sqrt(variance / n_effective)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_progressive_losses_equal_a_numpy_computation(kind):
    X, y = data(80, 25, classes=2 if kind == "classifier" else None)
    sw = np.random.RandomState(2).uniform(0.5, 2, size=80)
    CV = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    cv = CV(**GRID, shuffle=False, max_iter=2).fit(X, y, sample_weight=sw)
    for i, params in enumerate(cv.cv_results_["params"]):
        mean, se = progressive_reference(
            X,
            y,
            loss=cv.loss,
            eta0=params["eta0"],
            lambda1=params["alpha"],
            epochs=2,
            sample_weight=sw,
        )
        assert cv.cv_results_["progressive_loss"][i] == pytest.approx(mean, rel=1e-10)
        assert cv.cv_results_["progressive_loss_se"][i] == pytest.approx(se, rel=1e-9)


# -------------------------------------------------------------------- holdout
@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_holdout_rows_are_never_trained_on_and_scored_at_the_end(store):
    X, y = data(103)
    cv = SparseFTRLClassifierCV(
        **GRID, selection="holdout", holdout=4, state_store=store, random_state=5, max_iter=3
    ).fit(X, y)
    held = np.arange(3, 103, 4)
    train = np.setdiff1d(np.arange(103), held)
    assert cv.t_ == 3 * train.size
    losses = []
    for i in range(cv.n_models_):
        single = single_for(cv, i).fit(X[train], y[train])
        assert_same_state(cv.estimator_at(i), single)
        margin = single.decision_function(X[held])
        losses.append(np.mean(np.logaddexp(0.0, -np.where(y[held] == 1, 1.0, -1.0) * margin)))
    np.testing.assert_allclose(cv.cv_results_["holdout_loss"], losses, rtol=1e-10)
    assert cv.best_index_ == int(np.argmin(losses))


def weighted_se(losses, weights):
    """The standard error of the weighted mean of ``losses``: the weighted variance over Kish's
    effective number of rows, sum(w)**2 / sum(w**2)."""
    mean = np.sum(weights * losses) / np.sum(weights)
    variance = np.sum(weights * (losses - mean) ** 2) / np.sum(weights)
    return math.sqrt(variance * np.sum(weights**2)) / np.sum(weights)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_weighted_holdout_losses_are_scikit_learns_weighted_metrics(kind):
    from sklearn.metrics import log_loss, mean_squared_error

    X, y = data(203, classes=2 if kind == "classifier" else None)
    sw = np.random.RandomState(3).uniform(0, 3, size=203)
    sw[::7] = 0.0
    held = np.arange(3, 203, 4)
    CV = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    params = dict(GRID, selection="holdout", holdout=4, random_state=5, max_iter=2)
    cv = CV(**params).fit(X, y, sample_weight=sw)
    # the held-out rows are scored, not trained on: their weights weigh their losses only
    scaled, tiny = sw.copy(), sw.copy()
    scaled[held] *= 7.0
    tiny[held] *= 1e-170  # (their squares underflow: the error is not 0 for it)
    cv_scaled = CV(**params).fit(X, y, sample_weight=scaled)
    cv_tiny = CV(**params).fit(X, y, sample_weight=tiny)
    losses, ses = [], []
    for i in range(cv.n_models_):
        model = cv.estimator_at(i)
        if kind == "classifier":
            proba = model.predict_proba(X[held])
            losses.append(log_loss(y[held], proba, sample_weight=sw[held]))
            rows = -np.log(proba[np.arange(held.size), y[held]])
        else:
            prediction = model.predict(X[held])
            losses.append(0.5 * mean_squared_error(y[held], prediction, sample_weight=sw[held]))
            rows = 0.5 * (prediction - y[held]) ** 2
        ses.append(weighted_se(rows, sw[held]))
    np.testing.assert_allclose(cv.cv_results_["holdout_loss"], losses, rtol=1e-10)
    np.testing.assert_allclose(cv.cv_results_["holdout_loss_se"], ses, rtol=1e-8)
    np.testing.assert_allclose(cv_scaled.cv_results_["holdout_loss"], losses, rtol=1e-10)
    np.testing.assert_allclose(cv_scaled.cv_results_["holdout_loss_se"], ses, rtol=1e-8)
    np.testing.assert_allclose(cv_tiny.cv_results_["holdout_loss"], losses, rtol=1e-10)
    np.testing.assert_allclose(cv_tiny.cv_results_["holdout_loss_se"], ses, rtol=1e-8)


def test_one_vs_rest_losses_sum_each_class_models_weighted_mean():
    """With class weights each class's binary model weighs a row by its own weight: the loss
    is the sum over the classes of each one's weighted mean (each one weighted alike without
    class weights: the weighted mean of the rows' summed losses)."""
    X, y = data(203, classes=3)
    sw = np.random.RandomState(4).uniform(0.2, 3, size=203)
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    held = np.arange(2, 203, 3)
    cv = SparseFTRLClassifierCV(
        **GRID, selection="holdout", holdout=3, random_state=5, class_weight=class_weight
    ).fit(X, y, sample_weight=sw)
    expected = []
    for i in range(cv.n_models_):
        margins = cv.estimator_at(i).decision_function(X[held])
        total = 0.0
        for k in range(3):
            target = np.where(y[held] == k, 1.0, -1.0)
            weights = sw[held] * np.where(y[held] == k, class_weight[k], 1.0)
            rows = np.logaddexp(0.0, -target * margins[:, k])
            total += np.sum(weights * rows) / np.sum(weights)
        expected.append(total)
    np.testing.assert_allclose(cv.cv_results_["holdout_loss"], expected, rtol=1e-10)
    assert np.isnan(cv.cv_results_["holdout_loss_se"]).all()


@pytest.mark.parametrize("sparsity", [None, "1se", 0.1])
def test_a_call_none_of_whose_rows_weighs_chooses_the_first_model_and_trains_on(sparsity):
    """Rows all of weight 0 (a class weight of 0) train no model: the losses are NaN (a mean
    of no weight), the first model is chosen, as the single estimator takes such a call; the
    next call's rows that weigh make the losses and the choice."""
    X, y = data(120)
    zeros = np.flatnonzero(y == 0)
    params = dict(GRID, sparsity=sparsity, class_weight={0: 0.0, 1: 1.0}, shuffle=False)
    cv = SparseFTRLClassifierCV(**params).partial_fit(X[zeros], y[zeros], classes=[0, 1])
    assert np.isnan(cv.cv_results_["progressive_loss"]).all() and cv.best_index_ == 0
    single = single_for(cv, 0).partial_fit(X[zeros], y[zeros], classes=[0, 1])
    assert_same_state(cv.best_estimator_, single)
    assert not single.coef_.any() and not single.intercept_.any()  # (no model trained)
    cv.partial_fit(X, y)
    rows = np.r_[zeros, np.arange(120)]  # (the same rows in one call)
    alone = SparseFTRLClassifierCV(**params).partial_fit(X[rows], y[rows], classes=[0, 1])
    assert np.isfinite(cv.cv_results_["progressive_loss"]).all()
    np.testing.assert_array_equal(
        cv.cv_results_["progressive_loss"], alone.cv_results_["progressive_loss"]
    )
    assert cv.best_index_ == alone.best_index_


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_a_grid_pickled_when_its_losses_were_over_the_rows_reads_and_trains_on(kind):
    """Grids pickled by sparsereg at a502b7d (before the losses were weighted means; trained
    without weights, on 150 of 300 rows, holding out every fifth): a 3-class one-vs-rest
    classifier and a regressor. Loaded, a new call continues them as it continues a grid
    trained now."""
    with open(Path(__file__).parent / "data" / "grids_pickled_at_a502b7d.pickle", "rb") as f:
        saved = pickle.load(f)
    X = saved["X"]
    y = saved["y_classes" if kind == "classifier" else "y_values"]
    old = saved[kind]
    grid = {"alphas": [0.0, 1e-3], "eta0s": [0.05, 0.5]}
    params = dict(grid, selection="holdout", holdout=5, random_state=0)
    if kind == "classifier":
        new = SparseFTRLClassifierCV(**params).partial_fit(X[:150], y[:150], classes=[0, 1, 2])
    else:
        new = SparseFTRLRegressorCV(**params).partial_fit(X[:150], y[:150])
    # without weights a loss over the rows is the weighted mean: the same losses
    for key in ("progressive_loss", "holdout_loss", "progressive_loss_se", "holdout_loss_se"):
        np.testing.assert_allclose(
            new.cv_results_[key], saved[f"{kind}_cv_results"][key], rtol=1e-12
        )
    old.partial_fit(X[150:], y[150:])
    new.partial_fit(X[150:], y[150:])
    for key in ("progressive_loss", "holdout_loss", "progressive_loss_se", "holdout_loss_se"):
        np.testing.assert_allclose(old.cv_results_[key], new.cv_results_[key], rtol=1e-12)
    assert old.best_index_ == new.best_index_
    assert_same_state(old.best_estimator_, new.best_estimator_)


@pytest.mark.parametrize(
    "holdout, same_as",
    [(np.uint64(2**63 + 5), 10**6), (np.int8(100), 100), (np.uint8(200), 200), (2**70, 10**6)],
)
def test_a_numpy_int_holdout_holds_out_the_rows_its_value_says(holdout, same_as):
    # NumPy arithmetic wrapped: np.int8(100) raised 'Maximum allowed size exceeded', and
    # np.uint64(2**63 + 5) held out (and scored) a row past the end of X
    X, y = data(260)
    params = dict(**GRID, selection="holdout", random_state=5)
    cv = SparseFTRLClassifierCV(**params, holdout=holdout).fit(X, y)
    expected = SparseFTRLClassifierCV(**params, holdout=same_as).fit(X, y)
    np.testing.assert_array_equal(
        cv.cv_results_["holdout_loss"], expected.cv_results_["holdout_loss"]
    )
    assert cv.t_ == expected.t_


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_held_out_rows_all_of_weight_zero_choose_by_the_progressive_loss(kind):
    # they scored every model 0: the first model was chosen, whatever the losses
    X, y = data(120, classes=2 if kind == "classifier" else None)
    CV = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    weight = np.random.RandomState(1).uniform(0.5, 2, size=120)
    weight[np.arange(2, 120, 3)] = 0
    params = dict(alphas=[1e-1, 1e-5], eta0s=[1e-3, 0.5], selection="holdout", holdout=3)
    cv = CV(**params, random_state=0).fit(X, y, sample_weight=weight)
    assert np.isnan(cv.cv_results_["holdout_loss"]).all()
    progressive = cv.cv_results_["progressive_loss"]
    assert cv.best_index_ == int(np.argmin(progressive)) != 0
    assert (
        cv.cv_results_["rank_loss"].tolist() == (np.argsort(np.argsort(progressive)) + 1).tolist()
    )
    # one held-out row of weight: the holdout loss again
    cv.partial_fit(X[:3], y[:3], sample_weight=[1.0, 1.0, 1.0])
    assert np.isfinite(cv.cv_results_["holdout_loss"]).all()
    assert cv.best_index_ == int(np.argmin(cv.cv_results_["holdout_loss"]))


# ------------------------------------------------------------------- selection
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_holdout_refit_fits_the_chosen_model_on_every_row(kind):
    X, y = data(200, classes=2 if kind == "classifier" else None)
    cls = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    params = dict(GRID, selection="holdout", holdout=4, max_iter=2, random_state=3)
    refitted = cls(**params).fit(X, y)
    grid_only = cls(**params, refit=False).fit(X, y)
    index = refitted.best_index_
    assert grid_only.best_index_ == index
    # refit: the single estimator with the chosen parameters, fitted on all 200 rows
    alone = single_for(refitted, index, max_iter=2).fit(X, y)
    assert_same_state(refitted.best_estimator_, alone)
    assert refitted.best_estimator_.t_ == 2 * 200
    # no refit: the grid's model, which never trained on the 50 held-out rows
    assert_same_state(grid_only.best_estimator_, grid_only.estimator_at(index))
    assert grid_only.best_estimator_.t_ == 2 * 150
    # partial_fit never refits, even with refit=True
    streamed = cls(**params).partial_fit(
        X, y, **({"classes": [0, 1]} if kind == "classifier" else {})
    )
    assert_same_state(streamed.best_estimator_, streamed.estimator_at(streamed.best_index_))


def test_progressive_selection_needs_no_refit():
    X, y = data(150)
    cv = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X, y)  # refit=True by default
    assert_same_state(cv.best_estimator_, cv.estimator_at(cv.best_index_))
    assert_same_state(cv.best_estimator_, single_for(cv, cv.best_index_).fit(X, y))


def test_ctrl_c_during_partial_fit_leaves_the_grid_as_before_or_after_the_call():
    import _thread
    import threading
    import time

    n_rows = 300_000
    X, y = click_stream(n_rows)
    # a timer thread kept off the cores for the whole call (~0.2 s) interrupts after it: the
    # call is tried again then, on a new grid, up to 5 times
    for _ in range(5):
        cv = SparseFTRLClassifierCV(**GRID, random_state=0)
        cv.partial_fit(X[:10], y[:10], classes=[0, 1])
        timer = threading.Timer(0.05, _thread.interrupt_main)
        timer.start()
        returned = False
        with pytest.raises(KeyboardInterrupt):
            cv.partial_fit(X, y)  # the grid trains in place; the interrupt waits for the commit
            returned = True
            time.sleep(5)  # reached only if the signal came after the call
        timer.join()
        if not returned:
            break
    assert not returned, "the interrupt came after the call, 5 times"
    # either the whole call or none of it: t_, the losses and every model's state agree
    assert cv.t_ in (10, 10 + n_rows)
    for i in (0, cv.best_index_, cv.n_models_ - 1):
        single = single_for(cv, i).partial_fit(X[:10], y[:10], classes=[0, 1])
        if cv.t_ > 10:
            single.partial_fit(X, y)
        assert_same_state(cv.estimator_at(i), single)
    assert_same_state(cv.best_estimator_, cv.estimator_at(cv.best_index_))


def test_select_model_rules_on_hand_made_results():
    loss = [0.50, 0.30, 0.305, 0.33, 0.31, np.nan]
    nnz = [10, 900, 400, 50, 100, 1]
    se = [0.01, 0.02, 0.02, 0.02, 0.02, 0.01]
    assert select_model(loss, nnz) == 1
    assert select_model(loss, nnz, sparsity=0.0) == 1
    assert select_model(loss, nnz, sparsity=0.02) == 2  # 0.305 <= 0.306; 0.31 is not
    assert select_model(loss, nnz, sparsity=0.05) == 4  # 100 non-zeros, 0.31 <= 0.315
    assert select_model(loss, nnz, sparsity=0.11) == 3  # 0.33 <= 0.333
    assert select_model(loss, nnz, loss_se=se, sparsity="1se") == 4  # within 0.30 + 0.02
    # ties in non-zeros go to the lower loss, then to the first model
    assert select_model([0.2, 0.1, 0.1], [5, 5, 5], sparsity=1.0) == 1
    with pytest.raises(ValueError, match="NaN or infinite"):
        select_model([np.nan, np.inf], [1, 2])
    with pytest.raises(ValueError, match="needs loss_se"):
        select_model(loss, nnz, sparsity="1se")
    # a negative standard error left no model within the bound: an IndexError
    with pytest.raises(ValueError, match="negative standard error"):
        select_model([0.3, 0.4], [10, 5], loss_se=[-0.1, 0.1], sparsity="1se")
    for bad in [-0.1, np.nan, "2se", True]:
        with pytest.raises(ValueError, match="sparsity must be"):
            select_model(loss, nnz, sparsity=bad)
    # a NaN count was sorted last, a negative one first, whatever the rule
    for bad in [np.nan, -1, 0.5, np.inf]:
        with pytest.raises(ValueError, match="n_nonzero must hold counts"):
            select_model([0.30, 0.303], [bad, 400], sparsity=0.02)


@pytest.mark.parametrize("sparsity", [None, 0.05, "1se"])
def test_the_estimator_applies_its_rule_to_its_results(sparsity):
    X, y = data(300, 60)
    cv = SparseFTRLClassifierCV(
        alphas=[1e-6, 1e-4, 1e-3, 1e-2, 3e-2], eta0s=[0.1, 1.0], sparsity=sparsity, random_state=0
    ).fit(X, y)
    r = cv.cv_results_
    loss, nnz = r["progressive_loss"], r["n_nonzero"]
    best = int(np.argmin(loss))
    bound = {
        None: loss[best],
        0.05: loss[best] * 1.05,
        "1se": loss[best] + r["progressive_loss_se"][best],
    }[sparsity]
    assert loss[cv.best_index_] <= bound
    assert nnz[cv.best_index_] == nnz[loss <= bound].min()
    assert r["rank_loss"][best] == 1
    assert (cv.alpha_, cv.eta0_) == (
        r["param_alpha"][cv.best_index_],
        r["param_eta0"][cv.best_index_],
    )
    assert cv.best_estimator_.alpha == cv.alpha_ and cv.best_estimator_.eta0 == cv.eta0_


def test_alphas_as_a_number_of_log_spaced_values():
    X, y = data()
    cv = SparseFTRLClassifierCV(alphas=6, eta0s=[0.1]).fit(X, y)
    np.testing.assert_allclose(cv.cv_results_["param_alpha"], np.geomspace(1e-8, 1e-3, 6))
    cv = SparseFTRLClassifierCV(eta0s=[0.1, 0.2]).fit(X, y)
    assert cv.n_models_ == 16  # alphas=8 by default


# --------------------------------------------------------- the chosen model, used
def test_the_cv_estimator_predicts_and_exports_as_its_chosen_model():
    X, y = data(200)
    cv = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X, y)
    best = cv.best_estimator_
    assert isinstance(best, SparseFTRLClassifier)
    np.testing.assert_array_equal(cv.predict_proba(X), best.predict_proba(X))
    np.testing.assert_array_equal(cv.decision_function(X), best.decision_function(X))
    np.testing.assert_array_equal(cv.predict(X), best.predict(X))
    np.testing.assert_array_equal(cv.coef_, best.coef_)
    np.testing.assert_array_equal(cv.intercept_, best.intercept_)
    np.testing.assert_array_equal(cv.count_nonzero(), best.count_nonzero())
    assert cv.score(X, y) == best.score(X, y)
    buffer = io.BytesIO()
    export_model(cv).save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load_model(buffer).predict_proba(X), cv.predict_proba(X))
    state = cv.get_ftrl_state()
    twin = SparseFTRLClassifier(alpha=cv.alpha_, eta0=cv.eta0_).set_ftrl_state(state)
    np.testing.assert_array_equal(twin.predict_proba(X), cv.predict_proba(X))
    assert "non-zero" in str(cv.sparsity_report())


def test_regressor_has_no_predict_proba_and_feature_names_pass_through():
    pd = pytest.importorskip("pandas")
    X, y = data(classes=None)
    frame = pd.DataFrame(X.toarray(), columns=[f"c{j}" for j in range(X.shape[1])])
    reg = SparseFTRLRegressorCV(**GRID, random_state=0).fit(frame, y)
    assert not hasattr(reg, "predict_proba")
    assert list(reg.best_estimator_.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(reg.predict(frame), reg.best_estimator_.predict(frame))


def test_fit_is_deterministic_and_refits_from_scratch():
    X, y = data(200)
    a = SparseFTRLClassifierCV(**GRID, random_state=7, max_iter=2).fit(X, y)
    b = SparseFTRLClassifierCV(**GRID, random_state=7, max_iter=2).fit(X[:50], y[:50]).fit(X, y)
    for key in ["progressive_loss", "n_nonzero"]:
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])
    for i in range(a.n_models_):
        assert_same_state(a.estimator_at(i), b.estimator_at(i))
    with pytest.raises(ValueError, match="index must be"):
        a.estimator_at(a.n_models_)


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"alphas": []}, ValueError, "alphas is empty"),
        ({"alphas": [1e-4, -1.0]}, ValueError, "alphas must hold finite values"),
        ({"alphas": [np.nan]}, ValueError, "alphas must hold finite values"),
        ({"alphas": [np.inf]}, ValueError, "alphas must hold finite values"),
        ({"alphas": ["a"]}, TypeError, "alphas must hold numbers"),
        ({"alphas": [[1e-4]]}, ValueError, "1-D"),
        ({"alphas": [1e-4, 1e-4]}, ValueError, "repeats"),
        ({"alphas": 0}, ValueError, "alphas"),
        ({"alphas": 10**12}, ValueError, "asks for more than 1,000,000 values"),
        (
            {"random_state": np.random.RandomState(np.random.PCG64(0))},
            ValueError,
            "RandomState\\(MT19937\\) only, but random_state uses PCG64",
        ),
        ({"alphas": "1e-4"}, (TypeError, ValueError), "alphas"),
        ({"eta0s": []}, ValueError, "eta0s is empty"),
        ({"eta0s": [0.0]}, ValueError, "eta0s must hold finite values"),
        ({"eta0s": [True]}, TypeError, "eta0s must hold numbers"),
        ({"l1_ratios": [1.5]}, ValueError, "l1_ratios must hold finite values"),
        ({"l1_ratios": [0.1, 0.5]}, ValueError, "changes nothing with penalty='l1'"),
        ({"inclusion": "bloom"}, ValueError, "inclusion"),
        ({"sparsity": -1.0}, ValueError, "sparsity"),
        ({"sparsity": "2se"}, ValueError, "sparsity"),
        ({"holdout": 1}, ValueError, "holdout"),
        ({"selection": "kfold"}, ValueError, "selection"),
    ],
)
def test_bad_grids_are_refused_and_leave_the_estimator_unchanged(params, error, match):
    X, y = data()
    cv = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X, y)
    before = (dict(cv.cv_results_), cv.best_index_, cv.predict_proba(X), cv.t_)
    cv.set_params(**params)
    with pytest.raises(error, match=match):
        cv.fit(X[:50], y[:50])
    with pytest.raises(error, match=match):
        cv.partial_fit(X[:50], y[:50])
    assert cv.best_index_ == before[1] and cv.t_ == before[3]
    np.testing.assert_array_equal(cv.predict_proba(X), before[2])
    np.testing.assert_array_equal(cv.cv_results_["progressive_loss"], before[0]["progressive_loss"])


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_penalty_none_with_several_alphas_warns_of_identical_models(kind):
    import warnings

    X, y = data(classes=2 if kind == "classifier" else None)
    CV = SparseFTRLClassifierCV if kind == "classifier" else SparseFTRLRegressorCV
    message = "penalty=None reads no alpha: the grid's 3 alphas train identical models"
    cv = CV(**GRID, penalty=None, random_state=0)
    with pytest.warns(UserWarning, match=message) as record:
        cv.fit(X, y)
    assert record[0].filename == __file__  # (the caller's line)
    # what it says: the models of an eta0 are the same, whatever their alpha
    for i, params in enumerate(cv.cv_results_["params"]):
        same = cv.cv_results_["params"].index({**params, "alpha": GRID["alphas"][0]})
        np.testing.assert_array_equal(cv.estimator_at(i).coef_, cv.estimator_at(same).coef_)
    with pytest.warns(UserWarning, match=message) as record:
        cv.partial_fit(X, y)
    assert record[0].filename == __file__
    # made an error, it leaves the estimator as it was
    before = (cv.t_, cv.cv_results_["progressive_loss"].copy(), cv.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call in (cv.fit, cv.partial_fit):
            with pytest.raises(UserWarning, match=message):
                call(X[:50], y[:50])
        # one alpha, or a penalty: no warning
        CV(alphas=[0.0], eta0s=GRID["eta0s"], penalty=None).fit(X, y)
        CV(**GRID).fit(X, y)
    assert cv.t_ == before[0]
    np.testing.assert_array_equal(cv.cv_results_["progressive_loss"], before[1])
    np.testing.assert_array_equal(cv.predict(X), before[2])


def test_bad_data_leaves_the_estimator_unchanged():
    X, y = data()
    cv = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X, y)
    proba, n_features = cv.predict_proba(X), cv.n_features_in_
    bad = X[:10].toarray()
    bad[0, 0] = np.nan
    for args, match in [
        ((bad, y[:10]), "NaN"),
        ((X[:, :5], y), "features"),
        ((X, y[:-1]), "inconsistent"),
        ((X[:10], np.full(10, 7)), "labels"),
    ]:
        with pytest.raises(ValueError, match=match):
            cv.partial_fit(*args)
        assert cv.n_features_in_ == n_features
        np.testing.assert_array_equal(cv.predict_proba(X), proba)
    X3, y3 = data(classes=3)
    with pytest.raises(ValueError, match="1se"):
        SparseFTRLClassifierCV(**GRID, sparsity="1se").fit(X3, y3)
    with pytest.raises(ValueError, match="balanced"):
        SparseFTRLClassifierCV(**GRID, class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_holdout_selection_before_any_row_is_held_out_uses_the_progressive_loss():
    X, y = data(30)
    cv = SparseFTRLClassifierCV(**GRID, selection="holdout", holdout=10)
    cv.partial_fit(X[:5], y[:5], classes=[0, 1])  # rows 0-4: none held out yet
    assert np.isnan(cv.cv_results_["holdout_loss"]).all()
    assert cv.best_index_ == int(np.argmin(cv.cv_results_["progressive_loss"]))
    cv.partial_fit(X[5:], y[5:])  # row 9 and 19 of this call are held out
    assert cv.t_ == 5 + 23 and cv.best_index_ == int(np.argmin(cv.cv_results_["holdout_loss"]))


def test_a_dense_grid_larger_than_memory_is_refused_before_allocating():
    X = sp.csr_matrix(([1.0, 1.0], ([0, 1], [0, 2**40])), shape=(2, 2**40 + 1))
    cv = SparseFTRLRegressorCV(**GRID, state_store="dense")
    with pytest.raises(ValueError, match="state_store='sparse'"):
        cv.fit(X, [0.0, 1.0])
    assert not hasattr(cv, "cv_results_")
    reg = SparseFTRLRegressorCV(**GRID).fit(X, [0.0, 1.0])  # 'auto': the table store
    assert reg.best_estimator_.coef_.shape == (1, 2**40 + 1)


def test_a_dense_grid_of_many_models_larger_than_memory_is_refused_before_allocating():
    # the width alone is small (800 KB of row numbers); the grid's (z, n) for the 100,000
    # columns this batch holds are 16 bytes x 250,000 models each: 400 GB
    n_cols = 100_000
    X = sp.csr_matrix(
        (np.ones(n_cols), (np.arange(n_cols) % 10, np.arange(n_cols))), shape=(10, n_cols)
    )
    cv = SparseFTRLRegressorCV(alphas=250_000, eta0s=[0.1], state_store="dense")
    with pytest.raises(ValueError, match=r"dense state store needs 400,000,800,000 bytes"):
        cv.fit(X, np.arange(10.0))
    assert not hasattr(cv, "cv_results_")


def test_a_table_grid_larger_than_memory_is_refused_before_allocating():
    # 200,000 models: a table slot of 3.2 MB per column, for 20,000 columns (the table store
    # allocated it lazily and ran out of memory while training)
    X = sp.csr_matrix(
        (np.ones(20_000), (np.arange(20_000) % 10, np.arange(20_000))), shape=(10, 2**30)
    )
    cv = SparseFTRLRegressorCV(alphas=200_000, eta0s=[0.1], state_store="sparse")
    with pytest.raises(ValueError, match="table store needs .* smaller grid"):
        cv.fit(X, np.arange(10.0))
    assert not hasattr(cv, "cv_results_")


def test_a_grid_of_more_models_than_memory_holds_is_refused_before_building_it():
    # 10**13 models: the list of their parameters was built first, until memory ran out
    cv = SparseFTRLRegressorCV(
        alphas=MAX_ALPHAS,
        eta0s=np.geomspace(1e-3, 1.0, 10_000),
        l1_ratios=np.linspace(0.0, 1.0, 1_000),
        penalty="elasticnet",
    )
    with pytest.raises(ValueError, match=r"10,000,000,000,000 models .* smaller grid"):
        cv.fit(sp.csr_matrix(np.eye(3)), np.arange(3.0))
    assert not hasattr(cv, "cv_results_")


def test_grid_of_huge_gradients_fits_and_continues():
    """|x| = 1e99 with alternating labels: the grid's n passes 1e200, which the state
    protocol refused whatever t, so fit raised after training and every later partial_fit
    raised after training the grid in place (t_ stuck, the models moving)."""
    X = np.zeros((40, 2))
    X[:, 0] = 1e99
    X[::2, 1] = 1.0
    y = np.array([1, 0] * 20)
    params = dict(alphas=[0.0], eta0s=[0.1], penalty=None, shuffle=False, random_state=0)
    cv = SparseFTRLClassifierCV(max_iter=20, **params).fit(X, y)
    assert cv.get_ftrl_state()["n"].max() > 1e200
    stream = SparseFTRLClassifierCV(**params)
    for i in range(8):
        stream.partial_fit(X, y, classes=[0, 1])
        assert stream.t_ == 40 * (i + 1)
    single = SparseFTRLClassifier(alpha=0.0, eta0=0.1, penalty=None, shuffle=False, tol=None)
    for _ in range(8):
        single.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(stream.best_estimator_.coef_, single.coef_)


def test_a_grid_whose_z_passes_1e100_fits_and_continues():
    """A target of 1e99 takes z to 4e103 in 20 samples: the state protocol refused |z| > 1e100
    whatever t, so the grid's fit raised after training and partial_fit raised after training
    the grid in place (the models moved, t_ and the losses did not)."""
    X, y = np.ones((20, 1)), np.full(20, 1e99)
    params = dict(alphas=[1e-4], eta0s=[0.1], random_state=0)
    cv = SparseFTRLRegressorCV(**params).fit(X, y)
    assert np.abs(cv.get_ftrl_state()["z"]).max() > 1e100
    stream = SparseFTRLRegressorCV(**params).partial_fit(X[:3], y[:3])
    stream.partial_fit(X, y)
    single = SparseFTRLRegressor(alpha=1e-4, eta0=0.1, random_state=0)
    single.partial_fit(X[:3], y[:3]).partial_fit(X, y)
    assert stream.t_ == 23
    np.testing.assert_array_equal(stream.best_estimator_.coef_, single.coef_)


def test_one_vs_rest_standard_errors_are_nan():
    # the classes' squared losses were summed apart, not each row's summed loss squared: the
    # standard error of a 3-class grid came out 0.0 where the rows' losses gave 0.034 (a
    # binary grid's is checked against NumPy in test_progressive_losses_equal_...)
    X3, y3 = data(classes=3)
    cv = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X3, y3)
    assert np.isnan(cv.cv_results_["progressive_loss_se"]).all()
    assert np.isfinite(cv.cv_results_["progressive_loss"]).all()
    X, y = data()
    binary = SparseFTRLClassifierCV(**GRID, random_state=0).fit(X, y)
    assert np.all(binary.cv_results_["progressive_loss_se"] > 0)


def test_a_refused_fit_leaves_a_given_random_state_as_it_was():
    # the seed was drawn before the memory checks refused the call
    X = sp.csr_matrix(([1.0, 1.0], ([0, 1], [0, 2**40])), shape=(2, 2**40 + 1))
    rng = np.random.RandomState(0)
    cv = SparseFTRLRegressorCV(**GRID, state_store="dense", random_state=rng)
    with pytest.raises(ValueError, match="state_store='sparse'"):
        cv.fit(X, [0.0, 1.0])
    _, words, pos, _, _ = rng.get_state()
    _, fresh_words, fresh_pos, _, _ = np.random.RandomState(0).get_state()
    np.testing.assert_array_equal(words, fresh_words)
    assert pos == fresh_pos


class _FailsAfterItsDraw(np.random.RandomState):
    """A ``random_state`` whose seed draw succeeds and then fails as what may fail after it
    (a ``MemoryError`` making the grid's state, X changed by another thread)."""

    def randint(self, *args, **kwargs):
        super().randint(*args, **kwargs)
        raise MemoryError("after the draw")


def test_a_first_partial_fit_failing_after_its_draw_leaves_a_given_random_state_as_it_was():
    X, y = data(200)
    rng = _FailsAfterItsDraw(0)
    cv = SparseFTRLClassifierCV(**GRID, random_state=rng)
    with pytest.raises(MemoryError, match="after the draw"):
        cv.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(cv, "t_")
    _, words, pos, _, _ = rng.get_state()
    _, fresh_words, fresh_pos, _, _ = np.random.RandomState(0).get_state()
    np.testing.assert_array_equal(words, fresh_words)
    assert pos == fresh_pos


@pytest.mark.parametrize("state_store", ["dense", "sparse"])
def test_partial_fit_from_two_threads_takes_turns(state_store):
    """Two threads calling partial_fit on one grid lose no row (as the single estimators):
    both trained the shared grid state at once, and t_ kept one call's rows of two."""
    import threading

    rng = np.random.RandomState(0)
    # a Generator: scipy draws a RandomState's positions through a permutation of all 2e7 cells
    X = sp.random(20_000, 1000, density=0.02, format="csr", random_state=np.random.default_rng(0))
    y = rng.normal(size=20_000)
    params = dict(alphas=4, eta0s=[0.1, 1.0], random_state=0, state_store=state_store)
    shared = SparseFTRLRegressorCV(**params).partial_fit(X[:10], y[:10])
    errors = []

    def calls():
        try:
            for _ in range(4):
                shared.partial_fit(X, y)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=calls) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    alone = SparseFTRLRegressorCV(**params).partial_fit(X[:10], y[:10])
    for _ in range(8):  # the same batch every call: any order of the calls gives this
        alone.partial_fit(X, y)
    assert shared.t_ == alone.t_ == 10 + 8 * X.shape[0]
    np.testing.assert_array_equal(
        shared.cv_results_["progressive_loss"], alone.cv_results_["progressive_loss"]
    )
    for key, value in alone.get_ftrl_state().items():
        np.testing.assert_array_equal(shared.get_ftrl_state()[key], value)


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_n_nonzero_is_the_float32_coef_count_when_a_weight_rounds_to_0(store):
    # column 5 once, at float32's smallest number: every model's weight there rounds to 0
    rng = np.random.RandomState(0)
    X = rng.binomial(1, 0.5, size=(100, 6)).astype(np.float32)
    X[:, 5] = 0.0
    X[3, 5] = np.float32(1e-45)
    y = (X[:, 0] + rng.rand(100) > 1).astype(int)
    cv = SparseFTRLClassifierCV(alphas=[0.0, 1e-6], eta0s=[0.1, 0.3], state_store=store).fit(X, y)
    for i in range(cv.n_models_):
        model = cv.estimator_at(i)
        coef = model.coef_.toarray() if sp.issparse(model.coef_) else model.coef_
        assert coef.dtype == np.float32 and coef[0, 5] == 0
        assert model.get_ftrl_state()["z"][0, -1] != 0
        assert cv.cv_results_["n_nonzero"][i] == np.count_nonzero(coef)
        assert model.nnz_history_[-1][1] == (np.count_nonzero(coef),)


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("selection", ["holdout", "progressive"])
def test_each_models_history_over_many_epochs_of_wide_rows_is_the_single_models(store, selection):
    """A fit of 15 epochs on rows with fewer non-zeros than columns: a new dense state's
    count reads its rows' columns only, so each epoch is recorded by the single model, and by
    the grid for it (the 10 % growth alone stops from the 12th epoch)."""
    rng = np.random.RandomState(5)
    # the positions from a Generator (a RandomState's: a permutation of all 15M cells, 1.1 s)
    X = sp.random(300, 50_000, density=1e-4, format="csr", random_state=np.random.default_rng(5))
    y = rng.randint(0, 3, 300)
    cv = SparseFTRLClassifierCV(
        alphas=[1e-4, 1e-2],
        eta0s=[0.3],
        state_store=store,
        selection=selection,
        max_iter=15,
        refit=False,
        random_state=0,
    ).fit(X, y)
    for i in range(cv.n_models_):
        keep = (
            np.arange(300)
            if selection == "progressive"
            else np.delete(np.arange(300), np.arange(9, 300, 10))
        )
        single = single_for(cv, i).fit(X[keep], y[keep])
        assert cv.estimator_at(i).nnz_history_ == single.nnz_history_
        assert len(single.nnz_history_) == 15


@pytest.mark.parametrize(
    "width, store, selection",
    [
        (3000, "dense", "progressive"),
        (3000, "sparse", "holdout"),
        (2**22 + 1, "auto", "progressive"),  # the grid's table, each single model's dense store
        (1500, "dense", "holdout"),  # the rule counts the training rows' non-zeros only
    ],
)
def test_each_models_history_is_the_single_models_call_by_call(width, store, selection):
    # nnz_history_ records a call when counting is cheap next to it (non-zeros against the
    # columns held) or t grew by 10 %: the grid must decide as each single model would
    rng = np.random.RandomState(0)
    n, per_row = 600, 5
    cols = rng.randint(0, min(width, 3000), size=(n, per_row))
    X = sp.csr_matrix(
        (np.ones(n * per_row), (np.repeat(np.arange(n), per_row), cols.ravel())), shape=(n, width)
    )
    X.sum_duplicates()
    y = rng.randint(0, 2, n)
    grid = dict(alphas=[1e-6, 1e-4], eta0s=[0.1, 1.0])
    cv = SparseFTRLClassifierCV(
        **grid, state_store=store, selection=selection, refit=False, random_state=0
    )
    parts = np.array_split(np.arange(n), 60)  # 10 rows, at most 50 non-zeros a call
    for p in parts:
        cv.partial_fit(X[p], y[p], classes=[0, 1])
    for i in range(cv.n_models_):
        single = single_for(cv, i)
        for p in parts:
            keep = p if selection == "progressive" else np.delete(p, np.arange(9, p.size, 10))
            single.partial_fit(X[keep], y[keep], classes=[0, 1])
        assert cv.estimator_at(i).nnz_history_ == single.nnz_history_
        assert 0 < len(single.nnz_history_) < len(parts)  # some calls recorded, not all


def test_best_estimator_can_still_be_assigned():
    # best_estimator_ was an attribute (as in scikit-learn's searches) before it was built
    # when read: assigning another model of the grid raised AttributeError (no setter)
    X, y = make_regression(n_samples=300, n_features=20, random_state=0)
    cv = SparseFTRLRegressorCV(alphas=3, random_state=0).fit(X, y)
    other = cv.estimator_at(0)
    cv.best_estimator_ = other
    assert cv.best_estimator_ is other
    np.testing.assert_array_equal(cv.predict(X), other.predict(X))
    np.testing.assert_array_equal(cv.coef_, other.coef_)
    back = pickle.loads(pickle.dumps(cv))
    np.testing.assert_array_equal(back.predict(X), other.predict(X))


@pytest.mark.parametrize("train", ["fit", "partial_fit"])
def test_estimator_at_keeps_the_parameters_of_the_call_that_trained_the_grid(train):
    # (estimator_at took the parameters as they stood when called: after a set_params, its
    # model of best_index_ had another beta and penalty than best_estimator_ and the grid's
    # training, and predicted otherwise)
    X, y = data()
    cv = SparseFTRLClassifierCV(**GRID, random_state=0)
    cv.fit(X, y) if train == "fit" else cv.partial_fit(X, y, classes=[0, 1])
    best = cv.best_estimator_
    cv.set_params(beta=5.0, penalty="l2", fit_intercept=False)
    at_best = cv.estimator_at(cv.best_index_)
    assert at_best.get_params() == best.get_params()
    assert at_best.beta == 1.0 and at_best.penalty == "l1" and at_best.fit_intercept
    assert_same_state(at_best, best)
    np.testing.assert_array_equal(at_best.predict_proba(X), best.predict_proba(X))
    for i in range(cv.n_models_):
        assert_same_state(
            cv.estimator_at(i),
            single_for(cv, i, beta=1.0, penalty="l1", fit_intercept=True).fit(X, y),
        )
    # the next call trains with the parameters then set, and the models follow them
    cv.fit(X, y)
    assert cv.estimator_at(cv.best_index_).get_params() == cv.best_estimator_.get_params()
    assert cv.estimator_at(0).beta == 5.0 and not cv.estimator_at(0).fit_intercept


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_an_alpha_whose_penalty_overflows_warns_no_more_than_the_single_model(penalty):
    # alpha * t past 1e308 is inf for the single model, silently; the grid's NumPy product
    # raised a RuntimeWarning (an error under -W error) and fit failed
    X, y = data(60, 10, classes=None)
    cv = SparseFTRLRegressorCV(alphas=[1e-3, 1e308], eta0s=[0.1], penalty=penalty, random_state=0)
    cv.fit(X, y)
    cv.partial_fit(X, y)
    for i in range(cv.n_models_):
        single = single_for(cv, i).fit(X, y).partial_fit(X, y)
        assert_same_state(cv.estimator_at(i), single, STATE_KEYS[:-2])
        assert cv.cv_results_["n_nonzero"][i] == single.count_nonzero().sum()


def test_models_of_equal_loss_share_their_rank():
    # alphas this large keep every weight at 0: the models train the same intercept and
    # score every row alike. Their ranks were 1, 2 (a model of the least loss ranked 2nd);
    # GridSearchCV's rank_test_score gives equal scores the lower rank
    X, y = data(100, 10)
    cv = SparseFTRLClassifierCV(alphas=[10.0, 100.0, 1e-5], eta0s=[0.1], random_state=0)
    loss = cv.fit(X, y).cv_results_["progressive_loss"]
    assert loss[0] == loss[1] and loss[2] < loss[0]
    assert cv.cv_results_["rank_loss"].tolist() == [2, 2, 1]
    tied = SparseFTRLClassifierCV(alphas=[10.0, 100.0], eta0s=[0.1], random_state=0).fit(X, y)
    assert tied.cv_results_["rank_loss"].tolist() == [1, 1]
    assert tied.cv_results_["rank_loss"].dtype == np.int32 and tied.best_index_ == 0


@pytest.mark.parametrize("classes", [2, 3])
def test_balanced_class_weights_of_a_holdout_grid_come_from_its_training_rows(classes):
    # 'balanced' counted the held-out rows' labels too: every model of the grid differed from
    # the single model fitted on the rows it trained on, and the held-out labels leaked
    # into the training
    X, y = data(97, 12, classes=classes, seed=3)
    y[::3] = 0  # class 0 more frequent among the training rows than the held-out ones
    params = dict(GRID, selection="holdout", holdout=3, random_state=4, class_weight="balanced")
    cv = SparseFTRLClassifierCV(**params, refit=False).fit(X, y)
    train = np.setdiff1d(np.arange(97), np.arange(2, 97, 3))
    for i in range(cv.n_models_):
        assert_same_state(cv.estimator_at(i), single_for(cv, i).fit(X[train], y[train]))
    # the refit model is the single model on every row, balanced over every row
    refitted = SparseFTRLClassifierCV(**params).fit(X, y)
    alone = single_for(refitted, refitted.best_index_).fit(X, y)
    assert_same_state(refitted.best_estimator_, alone)


def test_ctrl_c_during_fit_leaves_a_given_random_state_as_it_was():
    # the grid drew its seed and shuffling from the user's RandomState: an interrupted fit
    # left it advanced (the single estimator's leaves it as it was), so the fit retried gave
    # another grid. 10**6 epochs, hours: a fit that held Ctrl-C back ends the run, loudly
    X, y = data(2000)
    rng = np.random.RandomState(0)
    cv = SparseFTRLClassifierCV(**GRID, max_iter=10**6, random_state=rng)
    assert ctrl_c_came_during(lambda: cv.fit(X, y), after=0.3)
    assert not hasattr(cv, "t_")
    _, words, pos, _, _ = rng.get_state()
    _, fresh_words, fresh_pos, _, _ = np.random.RandomState(0).get_state()
    np.testing.assert_array_equal(words, fresh_words)
    assert pos == fresh_pos


@pytest.mark.parametrize(
    "loss, n_nonzero, loss_se, message",
    [
        ([0.3, 0.303], [10**400, 1], None, "n_nonzero holds an integer beyond float64"),
        (["0.3", "0.2"], [1, 2], None, "loss of dtype <U3 is not numeric"),
        ([0.3, 0.2], np.array(["1", "2"], dtype=object), None, "n_nonzero holds a value of type"),
        ([0.3, 0.2], [1, 2], ["0.1", "0.1"], "loss_se of dtype <U3 is not numeric"),
    ],
)
def test_select_model_refuses_results_that_are_no_numbers(loss, n_nonzero, loss_se, message):
    # text was read as the numbers it spells, and 10**400 raised NumPy's OverflowError
    with pytest.raises(ValueError, match=message):
        select_model(loss, n_nonzero, loss_se=loss_se, sparsity="1se" if loss_se else None)


def test_select_model_refuses_masked_and_complex_results():
    # a masked array's hidden loss was ranked (the masked model won), and a complex one's
    # imaginary part dropped with NumPy's ComplexWarning
    with pytest.raises(TypeError, match="select_model does not take a masked array as loss"):
        select_model(np.ma.masked_array([0.1, 0.3], mask=[True, False]), [1, 1])
    with pytest.raises(TypeError, match="masked array as loss_se"):
        masked_se = np.ma.masked_array([0.5, 0.0], mask=[True, False])
        select_model([0.1, 0.11], [9, 1], loss_se=masked_se, sparsity="1se")
    with pytest.raises(ValueError, match="loss holds complex numbers"):
        select_model(np.array([0.1 + 5j, 0.3]), [1, 1])
    with pytest.raises(ValueError, match="n_nonzero holds complex numbers"):
        select_model([0.1, 0.3], np.array([1 + 0j, 1]))
