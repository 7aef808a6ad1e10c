"""Numbers near float64's end: the states an estimator takes, and scores that overflow.

Training in one thread keeps every ``|z| <= t * (1e-10 + sqrt(n))`` (``_state_protocol._check_z``
says why), and the protocol refuses a ``z`` beyond ``1e28 * (1e-10 + sqrt(n))``, which bounds
every weight by ``1e28 * eta0``; a state of ``|z| = 1e200 * t`` and ``n = 0``, which it took
before, made weights of 1e217 whose sums overflowed to NaN, in scores and in training. A score that is NaN (products overflowing to
``+inf`` and ``-inf`` in one row) is refused wherever it would be returned.
"""

import functools
import io
import itertools
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import SGDClassifier, SGDRegressor

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLRegressor,
    export_model,
    load_model,
    merge_ftrl_states,
)

from .memory_helpers import result_and_peak

NOT_NUMBERS = "are not numbers: the products x \\* w of the row overflow float64"


def _fitted(kind, dtype=np.float64, **params):
    """An estimator of ``kind`` fitted on 60 rows of 8 columns: each call gets its own copy
    of the one fit made per module for these arguments (hundreds of cases start from it)."""
    return pickle.loads(_fitted_once(kind, np.dtype(dtype).name, tuple(sorted(params.items()))))


@functools.cache
def _fitted_once(kind, dtype, params):
    """``_fitted``'s estimator, pickled."""
    return pickle.dumps(_fit(kind, np.dtype(dtype).type, **dict(params)))


def _fit(kind, dtype, **params):
    rng = np.random.default_rng(0)
    X = sp.random(60, 8, density=0.5, format="csr", random_state=1, dtype=dtype)
    if kind == "regressor":
        # (targets of 100s: weights beyond 1, so that 1e308 * w overflows)
        return SparseFTRLRegressor(random_state=0, tol=None, **params).fit(
            X, 100 * rng.normal(size=60)
        )
    n_classes = {"binary": 2, "ovr": 3, "multinomial": 3}[kind]
    multi_class = "multinomial" if kind == "multinomial" else "ovr"
    y = np.arange(60) % n_classes
    est = SparseFTRLClassifier(random_state=0, multi_class=multi_class, tol=None, **params)
    return est.fit(X, y)


def _z_ratio(state, beta=1e-10):
    """The largest ``|z| / (t * (beta + sqrt(n)))`` of a state, intercepts included."""
    t = max(int(state["t"]), 1)
    ratios = [
        np.abs(state[z]) / (t * (beta + np.sqrt(state[n])))
        for z, n in (("z", "n"), ("intercept_z", "intercept_n"))
    ]
    return max(float(r.max()) if r.size else 0.0 for r in ratios)


rates = st.floats(-10, 10).map(lambda e: 10.0**e)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["squared_error", "huber", "log_loss", "hinge", "ovr", "multinomial"]),
    eta0=rates,
    betas=st.lists(rates, min_size=1, max_size=3),
    alpha=st.sampled_from([0.0, 1e-4, 1.0]),
    scales=st.lists(st.integers(-30, 30), min_size=4, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_one_thread_keeps_z_within_t_times_least_beta_plus_root_n(
    kind, eta0, betas, alpha, scales, seed
):
    """What the protocol's bound rests on, whatever the rates, losses and values: rows of
    magnitudes 1e-30 to 1e30 (gradients growing by orders, the hardest case) and several
    ``beta`` in turn keep ``|z| <= t * (1e-10 + sqrt(n))``, 1e-10 being the least ``beta``.
    Every state training makes is taken back."""
    rng = np.random.default_rng(seed)
    X = sp.random(80, 6, density=0.6, format="csr", random_state=seed)
    X = sp.diags(10.0 ** np.repeat(scales, 20)) @ X
    X = sp.csr_matrix(X)
    if kind in ("ovr", "multinomial"):
        est = SparseFTRLClassifier(multi_class=kind, loss="log_loss")
        y = rng.integers(0, 3, size=80)
    elif kind in ("log_loss", "hinge"):
        est = SparseFTRLClassifier(loss=kind)
        y = rng.integers(0, 2, size=80)
    else:
        est = SparseFTRLRegressor(loss=kind)
        y = rng.normal(size=80) * 10.0 ** rng.integers(-5, 5)
    est.set_params(eta0=eta0, alpha=alpha, random_state=seed, state_store="dense")
    classes = np.unique(y) if kind in ("ovr", "multinomial", "log_loss", "hinge") else None
    for beta in betas:
        est.set_params(beta=beta)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (convergence)
                est.partial_fit(X, y, **({} if classes is None else {"classes": classes}))
        except ValueError as exc:  # gradients that could overflow: refused, not trained
            assert "overflow float64" in str(exc)
            return
        state = est.get_ftrl_state()
        assert _z_ratio(state) <= 1.0 + 1e-9
        type(est)().set_params(**est.get_params()).set_ftrl_state(state)


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_gradients_growing_by_orders_take_z_to_its_bound_and_the_state_is_taken(loss):
    """Rows of ``x = 10**k`` and ``y = 100**k``: each gradient is 10-1000x the last and of
    the same sign, so each update adds nearly 1 to ``|z| / (beta + sqrt(n))``, the most
    training can, and ``z`` nears ``t * (beta + sqrt(n))`` (``x**2 * y`` stays within
    1e100, which training takes): the bound the protocol's rests on is that of training."""
    k = np.arange(25.0)
    X, y = sp.csr_matrix(10.0 ** k[:, None]), 100.0**k
    est = SparseFTRLRegressor(loss=loss, beta=1e-10, shuffle=False, tol=None, max_iter=1)
    state = est.fit(X, y).get_ftrl_state()
    assert 0.995 < _z_ratio(state) <= 1.0 + 1e-9  # the README's "0.995-0.99999 of it"
    twin = SparseFTRLRegressor(**est.get_params()).set_ftrl_state(state)
    np.testing.assert_array_equal(twin.predict(X), est.predict(X))


KINDS = ["regressor", "binary", "ovr", "multinomial"]


def _with_z(state, z, n):
    """``state`` with its first columns' (and intercepts') ``n`` set to ``n`` and ``z`` to
    ``+-z``, alternating signs (so that sums of their products cancel to NaN)."""
    state = dict(state)
    z_, n_ = state["z"].copy(), state["n"].copy()
    signs = np.where(np.arange(z_.shape[1]) % 2, -1.0, 1.0)
    z_[:, :4] = signs[:4] * z
    n_[:, :4] = n
    z_[1:, :4] *= -1  # the classes' models pull apart
    state["z"], state["n"] = z_, n_
    state["intercept_z"] = np.full_like(state["intercept_z"], z)
    state["intercept_n"] = np.full_like(state["intercept_n"], n)
    return state


@functools.cache
def _rows_up_to_1e100():
    """Each row of 0, 1, 1e50 and 1e100 in its first 4 of 8 columns, as a 1-row CSR (made
    once: the 224 cases below score each; read-only, so that none can change another's)."""
    rows = []
    for row in itertools.product([0.0, 1.0, 1e50, 1e100], repeat=4):
        X = sp.csr_matrix(np.array([list(row) + [0.0] * 4]))
        for array in (X.data, X.indices, X.indptr):
            array.flags.writeable = False
        rows.append((row, X))
    return rows


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "z, n",
    [
        (1e10, 0.0),
        (0.99e18, 0.0),
        (1.01e18, 0.0),
        (0.99e20, 0.0),
        (0.99e78, 1e100),
        (1e200, 0.0),
        (1e200, 1e10),
    ],
)
@pytest.mark.parametrize("rates", [{}, {"eta0": 1e10, "beta": 1e-10}])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_state_the_protocol_takes_never_scores_or_trains_to_nan(kind, z, n, rates, dtype):
    """Either the state is refused (and the estimator unchanged), or its weights are finite
    (a float32 model's too) and its scores on values up to 1e100 and its training are
    numbers (+-inf is a score's limit, never NaN): the largest rates make its weights the
    largest a state can give, 1e38."""
    est = _fitted(kind, dtype)
    before = est.get_ftrl_state()
    try:
        est.set_ftrl_state(_with_z(before, z, n))
    except ValueError as exc:
        assert "'z' holds" in str(exc) or "'intercept_z' holds" in str(exc)
        assert z > 1e28 * (1e-10 + np.sqrt(n))
        after = est.get_ftrl_state()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key])
        return
    est.set_params(**rates)
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    y = est.classes_[:1] if hasattr(est, "classes_") else np.zeros(1)
    for row, X in _rows_up_to_1e100():
        scores = est.decision_function(X) if hasattr(est, "classes_") else est.predict(X)
        assert not np.isnan(scores).any()
        if max(row) <= 1.0:
            est.partial_fit(X, y)
            state = est.get_ftrl_state()
            assert all(np.isfinite(state[key]).all() for key in ("z", "n", "intercept_z"))


def test_z_beyond_its_bound_is_refused_and_just_within_is_taken():
    est = _fitted("binary")
    for key, n_key in (("z", "n"), ("intercept_z", "intercept_n")):
        state = est.get_ftrl_state()
        limit = 1e28 * (1e-10 + np.sqrt(state[n_key].ravel()[0]))
        state[key] = state[key].copy()
        state[key].ravel()[0] = -limit * 1.001
        with pytest.raises(ValueError, match=f"'{key}' holds .* beyond 1e28 \\* \\(1e-10"):
            SparseFTRLClassifier().set_ftrl_state(state)
        state[key].ravel()[0] = -limit * 0.999
        SparseFTRLClassifier().set_ftrl_state(state)


def _rows(*values):
    """One CSR row of 8 columns holding ``values`` in its first columns."""
    return sp.csr_matrix(np.array([list(values) + [0.0] * (8 - len(values))]))


@pytest.mark.parametrize("kind", KINDS)
def test_an_estimator_refuses_scores_whose_products_overflow_both_ways(kind):
    """Values of 1e308 times weights of both signs: the row's sum was NaN, and ``predict``
    gave the first class (or NaN) without a word. A row that overflows one way scores
    +-inf, its limit."""
    est = _fitted(kind, alpha=0.0, eta0=1000.0)
    coef = est.coef_.reshape(-1, 8)[0]
    plus, minus = int(np.argmax(coef)), int(np.argmin(coef))
    assert coef[plus] > 2 and coef[minus] < -2
    X = sp.csr_matrix(([1e308, 1e308], ([0, 0], sorted([plus, minus]))), shape=(1, 8))
    methods = ["predict"] + (["decision_function", "predict_proba"] if kind != "regressor" else [])
    # (a CSR of sorted columns is scored in one checked pass; a dense X is checked first)
    for method, rows in itertools.product(methods, [X, X.toarray()]):
        with pytest.raises(ValueError, match=NOT_NUMBERS):
            getattr(est, method)(rows)
        with pytest.raises(ValueError, match=NOT_NUMBERS):
            getattr(export_model(est), method)(rows)
    one_way = sp.csr_matrix(([1e308], ([0], [plus])), shape=(1, 8))
    scores = est.decision_function(one_way) if kind != "regressor" else est.predict(one_way)
    assert np.isposinf(scores.ravel()[0])  # (model 0's, whose largest weight it met)
    if kind == "multinomial":  # a softmax's limit: the classes at +inf share the row
        top = np.isposinf(est.decision_function(one_way))
        for source in (est, export_model(est)):
            proba = source.predict_proba(one_way)
            np.testing.assert_array_equal(proba, top / top.sum(axis=1, keepdims=True))


def _file_with(model, **changes):
    """``model`` saved, its arrays changed, and loaded back (a file from anyone)."""
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    arrays = dict(np.load(buffer))
    for key, change in changes.items():
        arrays[key] = change(arrays[key].copy())
    out = io.BytesIO()
    np.savez(out, **arrays)
    out.seek(0)
    return load_model(out)


def _weights(*values):
    def change(data):
        data[: len(values)] = values
        return data

    return change


def _sgd_classifier():
    X = sp.random(60, 8, density=0.5, format="csr", random_state=1)
    return SGDClassifier(loss="log_loss", random_state=0).fit(X, np.arange(60) % 2)


@pytest.mark.parametrize("kind", [*KINDS, "SGDClassifier"])
def test_a_model_file_whose_weights_overflow_is_refused_at_scoring(kind):
    """Weights of +-1e308 (finite: the file is taken) times 10: the scores were NaN and
    ``predict`` gave the first class; now every method says why (an exported
    ``SGDClassifier`` is scored by scikit-learn's arithmetic, the others by FTRL's)."""
    source = _sgd_classifier() if kind == "SGDClassifier" else _fitted(kind, alpha=0.0)
    model = _file_with(export_model(source), coef_data=_weights(1e308, -1e308))
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    columns = np.load(buffer)["coef_indices"][:2]
    X = sp.csr_matrix(([10.0, 10.0], ([0, 0], columns)), shape=(1, 8))
    methods = ["predict"] + (["decision_function", "predict_proba"] if kind != "regressor" else [])
    for method, rows in itertools.product(methods, [X, X.toarray()]):
        with pytest.raises(ValueError, match=NOT_NUMBERS):
            getattr(model, method)(rows)
        assert getattr(model, method)(_rows()).shape[0] == 1  # a row without them scores


@pytest.mark.parametrize("source", [SGDClassifier, SGDRegressor])
@pytest.mark.parametrize("n_features", [8, 2**22 + 8], ids=["dense table", "columns with a weight"])
def test_an_exported_sgd_model_treats_overflow_alike_on_every_path(n_features, source):
    """An exported ``SGDClassifier`` scores a dense X by a BLAS product (with a dense table of
    weights, or on the columns with a weight when that table would pass 2**22 cells) and a
    CSR by scipy's. Products of 10 * 1e308 overflowing both ways are refused by each (a
    BLAS product with fused multiply-adds summed them to +inf, where rounded products give
    NaN); overflowing one way they score +inf, the limit, as the FTRL arithmetic does; and
    no path warns."""
    rng = np.random.default_rng(1)
    X = sp.csr_matrix(
        (rng.random(120), ([*range(60), *range(60)], [0] * 60 + [1] * 60)), shape=(60, n_features)
    )
    loss = {"loss": "log_loss"} if source is SGDClassifier else {}
    fitted = source(max_iter=1, tol=None, random_state=0, **loss).fit(X, np.arange(60) % 2)
    both = _file_with(export_model(fitted), coef_data=_weights(1e308, -1e308))
    one = _file_with(export_model(fitted), coef_data=_weights(1e308, 1e308))
    columns = one.support_[:2]
    row = sp.csr_matrix(([10.0, 10.0], ([0, 0], columns)), shape=(1, n_features))
    methods = ["predict"] + (
        ["decision_function", "predict_proba"] if both.classes_ is not None else []
    )
    scores = "predict" if both.classes_ is None else "decision_function"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rows in (row, row.toarray()):
            for method in methods:
                with pytest.raises(ValueError, match=NOT_NUMBERS):
                    getattr(both, method)(rows)
            assert np.isposinf(getattr(one, scores)(rows)).all()


def test_an_intercept_that_takes_the_score_past_float64s_end_scores_inf_without_a_warning():
    """Weights of 1e308 and an intercept of 1e308: the sum's last addition overflows one
    way, to +inf (the limit), on every path of an exported ``SGDClassifier``."""
    X = sp.random(60, 8, density=0.5, format="csr", random_state=1)
    source = SGDClassifier(random_state=0).fit(X, np.arange(60) % 2)
    model = _file_with(
        export_model(source),
        coef_data=lambda data: np.full_like(data, 1e308),
        intercept=lambda intercept: np.full_like(intercept, 1e308),
    )
    row = sp.csr_matrix(([1.5], ([0], [model.support_[0]])), shape=(1, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rows in (row, row.toarray()):
            assert np.isposinf(model.decision_function(rows)).all()


def test_checking_an_overflowed_row_of_many_models_takes_bounded_memory():
    """A row scored +inf in a file of 1,024 models of 8,192 weights each: the check of its
    products x * w (both ways, or one) formed all 8.4M of them at once (64 MiB and the
    copies of the weights they came from; a file of 50,000 models, GBs); now 2**20 at a
    time, for a dense row and a CSR row alike."""
    n_models, n_features = 1024, 8192
    X = sp.random(60, 8, density=0.5, format="csr", random_state=1)
    source = SGDClassifier(random_state=0).fit(X, np.arange(60) % 3)
    weights = np.full((n_models, n_features), 1e-3)
    weights[:, 0] = 1e300
    arrays = {
        "n_features_in": lambda _: np.int64(n_features),
        "coef_data": lambda _: weights.ravel(),
        "coef_indices": lambda _: np.tile(np.arange(n_features, dtype=np.int32), n_models),
        "coef_indptr": lambda _: np.arange(n_models + 1, dtype=np.int64) * n_features,
        "intercept": lambda _: np.zeros(n_models),
        "classes": lambda _: np.arange(n_models),
    }
    model = _file_with(export_model(source), **arrays)
    row = np.ones((1, n_features))
    row[0, 0] = 1e10  # (1e310: +inf, one way)
    for rows in (row, sp.csr_matrix(row)):
        model.decision_function(rows)  # (warm)
        scores, peak = result_and_peak(model.decision_function, rows)
        assert np.isposinf(scores).all()
        assert peak < 40 * 2**20, peak


@pytest.mark.parametrize("n_features", [13, 1100], ids=["dense table", "columns with a weight"])
def test_overflowing_rows_of_many_models_are_told_apart_row_by_row(n_features):
    """300 rows of 13 values among 0, 1e-3 and +-10, times 4,096 models' weights among
    +-1e308 and 1: a row whose products overflow both ways in one model is refused (the
    count and the first named), one way it scores +-inf, and the other rows are finite, on
    each path (a dense X, a CSR; the products checked a block of rows and entries at a time,
    a row's entries split between two blocks) as a row-by-row reference says."""
    n_models, n_rows = 4096, 300
    rng = np.random.default_rng(5)
    support = np.arange(13) * (n_features // 13)
    weights = rng.choice([1e308, -1e308, 1.0], p=[0.004, 0.004, 0.992], size=(n_models, 13))
    X_support = rng.choice([0.0, 1e-3, 10.0, -10.0], p=[0.3, 0.5, 0.1, 0.1], size=(n_rows, 13))
    X = np.zeros((n_rows, n_features))
    X[:, support] = X_support
    with np.errstate(over="ignore"):
        products = [X_support[row, None, :] * weights for row in range(n_rows)]
    plus = np.array([np.isposinf(p).any(axis=1) for p in products])
    minus = np.array([np.isneginf(p).any(axis=1) for p in products])
    refused = np.flatnonzero((plus & minus).any(axis=1))
    assert 0 < refused.size < n_rows // 2 and (plus ^ minus).any()  # (the data has each case)
    X_small = sp.random(60, 8, density=0.5, format="csr", random_state=1)
    source = SGDClassifier(random_state=0).fit(X_small, np.arange(60) % 3)
    arrays = {
        "n_features_in": lambda _: np.int64(n_features),
        "coef_data": lambda _: weights.ravel(),
        "coef_indices": lambda _: np.tile(support.astype(np.int32), n_models),
        "coef_indptr": lambda _: np.arange(n_models + 1, dtype=np.int64) * 13,
        "intercept": lambda _: np.zeros(n_models),
        "classes": lambda _: np.arange(n_models),
    }
    model = _file_with(export_model(source), **arrays)
    kept = np.setdiff1d(np.arange(n_rows), refused)
    message = f"the scores of {refused.size} row\\(s\\) \\(the first: row {refused[0]}\\)"
    for rows in (X, sp.csr_matrix(X)):
        with pytest.raises(ValueError, match=message):
            model.decision_function(rows)
        scores = model.decision_function(rows[kept])
        np.testing.assert_array_equal(np.isposinf(scores), (plus & ~minus)[kept])
        np.testing.assert_array_equal(np.isneginf(scores), (minus & ~plus)[kept])
        assert np.isfinite(scores[~(plus | minus)[kept]]).all()


def test_a_softmax_of_infinite_scores_gives_what_predict_agrees_with():
    """A weight of 1e308 times 10 scores one class +inf: its probability is 1 (softmax's
    limit; it was NaN), as ``predict`` takes it. Weights of -1e308 in every class score a row
    -inf throughout: 1/3 each (no limit; one-vs-rest's convention), ``predict`` the first."""
    exported = export_model(_fitted("multinomial", alpha=0.0))
    buffer = io.BytesIO()
    exported.save(buffer)
    buffer.seek(0)
    arrays = np.load(buffer)
    column = arrays["coef_indices"][0]
    first_class = int(np.searchsorted(arrays["coef_indptr"], 0, side="right") - 1)
    X = sp.csr_matrix(([10.0], ([0], [column])), shape=(1, 8))
    model = _file_with(exported, coef_data=_weights(1e308))
    assert np.isposinf(model.decision_function(X)[0, first_class])
    expected = np.zeros((1, 3))
    expected[0, first_class] = 1.0
    np.testing.assert_array_equal(model.predict_proba(X), expected)
    assert model.predict(X)[0] == model.classes_[first_class]

    def every_class_minus(data):
        data[arrays["coef_indices"] == column] = -1e308
        return data

    model = _file_with(exported, coef_data=every_class_minus)
    assert np.isneginf(model.decision_function(X)).all()
    np.testing.assert_array_equal(model.predict_proba(X), np.full((1, 3), 1 / 3))
    assert model.predict(X)[0] == model.classes_[0]


def test_a_merge_of_states_at_the_bounds_is_taken():
    """An average of states at the bounds (``z`` at ``1e28 * (1e-10 + sqrt(n))``, ``n`` at
    1e300) rounds a few units of the last place above them: still taken."""
    state = _fitted("binary").get_ftrl_state()
    at_z, at_n = dict(state), dict(state)
    at_z["z"] = 1e28 * (1e-10 + np.sqrt(state["n"])) * np.where(np.arange(8) % 2, -1, 1)
    at_n["n"] = np.full_like(state["n"], 1e300)
    for edge in (at_z, at_n):
        SparseFTRLClassifier().set_ftrl_state(edge)
        for copies in (3, 5, 7, 11):
            weights = np.random.default_rng(copies).random(copies)
            merged = merge_ftrl_states([edge] * copies, weights)
            taken = SparseFTRLClassifier().set_ftrl_state(merged).get_ftrl_state()
            for key in ("z", "n"):  # the average of copies of a state is that state
                np.testing.assert_allclose(taken[key], edge[key], rtol=1e-15, atol=0)


@pytest.mark.parametrize("kind", ["regressor", "multinomial"])
def test_finite_or_one_way_infinite_scores_raise_no_warning(kind):
    """The NaN checks sum the scores: a sum that overflows (30 scores near 1e307), or +inf
    and -inf in two rows, is what they look for, not something to warn about (a
    RuntimeWarning is an error under ``-W error``). (X's values are all positive:
    scikit-learn's own check of X warns when they sum to +inf and -inf.)"""
    est = _fitted(kind, alpha=0.0, eta0=1000.0)
    coef = est.coef_.reshape(-1, 8)[0]
    plus, minus = int(np.argmax(coef)), int(np.argmin(coef))
    near_end = np.zeros((30, 8))
    near_end[:, plus] = 1e307 / coef[plus]
    both_ways = np.zeros((30, 8))
    both_ways[:15, plus], both_ways[15:, minus] = 1e308, 1e308
    method = "predict" if kind == "regressor" else "predict_proba"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for X in (near_end, both_ways, sp.csr_matrix(near_end), sp.csr_matrix(both_ways)):
            assert not np.isnan(getattr(est, method)(X)).any()
