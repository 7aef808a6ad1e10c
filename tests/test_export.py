"""export_model: identical predictions, npz round trip without pickle, pipelines of raw rows."""

import collections.abc
import copy
import io
import os
import pickle
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_array_equal
from packaging.version import Version
from sklearn.base import is_classifier
from sklearn.cross_decomposition import CCA, PLSRegression
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import (
    GammaRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from sklearn.svm import SVC, SVR

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.crosses import FeatureCrossHasher
from sparsereg.export import ExportedLinearModel, export_model, export_sizes, load_model
from sparsereg.sparsity import sparsity_report

from .interruptions import (
    ANY_CODE_SWEEPS,
    Timeout,
    alarm_each_place_of_any_code,
    signalling_after_call_or_jump,
    signalling_anywhere_at,
)
from .memory_helpers import peak_bytes, result_and_peak

N_FEATURES = 300


def make_data(seed=0, n_rows=400):
    """Sparse-ish non-negative rows whose first columns carry the signal."""
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, N_FEATURES, density=0.05, format="csr", random_state=rng)
    X.data = np.round(X.data * 4) / 4 + 0.25
    signal = np.asarray(X[:, :5].sum(axis=1)).ravel() - np.asarray(X[:, 5:10].sum(axis=1)).ravel()
    return X, signal, rng


def round_trip(exported, tmp_path):
    path = tmp_path / "model.npz"
    exported.save(path)
    with np.load(path, allow_pickle=False) as npz:  # no object arrays in the file
        assert all(npz[key].dtype != object for key in npz.files)
    return load_model(path)


def check_identical(est, exported, X):
    assert_array_equal(exported.predict(X), est.predict(X))
    if hasattr(est, "decision_function"):
        assert_array_equal(exported.decision_function(X), est.decision_function(X))
    if hasattr(est, "predict_proba"):
        assert_array_equal(exported.predict_proba(X), est.predict_proba(X))
        assert_array_equal(exported.predict_log_proba(X), est.predict_log_proba(X))
    else:
        with pytest.raises(AttributeError):
            exported.predict_proba(X)


def binary(signal):
    return (signal > 0).astype(int)


def three(signal):
    return np.digitize(signal, [-0.3, 0.3])


CASES = {
    "ftrl-regressor": (lambda: SparseFTRLRegressor(alpha=1e-3, random_state=0), lambda s: s),
    "ftrl-binary": (lambda: SparseFTRLClassifier(alpha=1e-3, random_state=0), binary),
    "ftrl-multiclass": (lambda: SparseFTRLClassifier(alpha=1e-3, random_state=0), three),
    "ftrl-modified-huber": (
        lambda: SparseFTRLClassifier("modified_huber", alpha=1e-3, random_state=0),
        three,
    ),
    "ftrl-sparse-store-regressor": (
        lambda: SparseFTRLRegressor(alpha=1e-3, random_state=0, state_store="sparse"),
        lambda s: s,
    ),
    "ftrl-sparse-store-multiclass": (
        lambda: SparseFTRLClassifier(
            alpha=1e-3, random_state=0, state_store="sparse", inclusion="poisson", inclusion_p=0.5
        ),
        three,
    ),
    "ftrl-hinge": (lambda: SparseFTRLClassifier("hinge", alpha=1e-3, random_state=0), binary),
    "sgd-regressor": (lambda: SGDRegressor(penalty="l1", alpha=1e-3, random_state=0), lambda s: s),
    "sgd-log-binary": (
        lambda: SGDClassifier("log_loss", penalty="l1", alpha=1e-3, random_state=0),
        binary,
    ),
    "sgd-log-multiclass": (
        lambda: SGDClassifier("log_loss", penalty="l1", alpha=1e-3, random_state=0),
        three,
    ),
    "sgd-modified-huber-binary": (
        lambda: SGDClassifier("modified_huber", penalty="l1", alpha=1e-3, random_state=0),
        binary,
    ),
    "sgd-modified-huber-multiclass": (
        lambda: SGDClassifier("modified_huber", penalty="l1", alpha=1e-3, random_state=0),
        three,
    ),
    "logistic-binary": (
        lambda: LogisticRegression(l1_ratio=1.0, C=0.5, solver="liblinear"),
        binary,
    ),
    "logistic-multinomial": (lambda: LogisticRegression(C=0.5, max_iter=500), three),
    "lasso": (lambda: Lasso(alpha=0.01), lambda s: s),
    "ridge-two-targets": (lambda: Ridge(alpha=1.0), lambda s: np.column_stack([s, -s])),
}


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) of modified_huber
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dense", [False, True], ids=["csr", "dense"])
def test_round_trip_predicts_identically(case, dense, tmp_path):
    make, target = CASES[case]
    X, signal, _ = make_data()
    est = make().fit(X, target(signal))
    X_test, _, _ = make_data(seed=1, n_rows=100)
    X_test = X_test.toarray() if dense else X_test
    exported = export_model(est)
    check_identical(est, exported, X_test)
    check_identical(est, round_trip(exported, tmp_path), X_test)


@pytest.mark.parametrize("Est", [SparseFTRLClassifier, SGDClassifier])
def test_sparsified_estimators_export_the_same_model(Est, tmp_path):
    X, signal, _ = make_data()
    est = Est("log_loss", alpha=1e-3, random_state=0).fit(X, three(signal))
    dense_export = export_model(est)
    est.sparsify()
    loaded = round_trip(export_model(est), tmp_path)
    assert_array_equal(loaded.support_, dense_export.support_)
    X_test, _, _ = make_data(seed=1, n_rows=100)
    assert_array_equal(loaded.predict_proba(X_test), est.predict_proba(X_test))
    # dense X times a CSR coef_: summed by scipy, as scikit-learn's safe_sparse_dot does
    assert_array_equal(
        loaded.decision_function(X_test.toarray()), est.decision_function(X_test.toarray())
    )


@pytest.mark.parametrize(
    "make, sparsify, version",
    [
        (lambda: LogisticRegression(max_iter=50), False, 4),  # a Fortran-ordered coef_
        (lambda: SGDClassifier(penalty="l1", alpha=0.01, random_state=0), False, 2),
        (lambda: SGDClassifier(penalty="l1", alpha=0.01, random_state=0), True, 4),
    ],
    ids=["lbfgs-multinomial", "sgd", "sgd-sparsified"],
)
def test_dense_rows_are_scored_with_the_layout_of_the_source_coef(
    make, sparsify, version, tmp_path
):
    # A multiclass LogisticRegression's coef_ is Fortran-ordered and BLAS sums its product
    # with dense X in another order than with a C-ordered table (698 of 900 scores differed
    # in the last bits); a sparsified coef_ is multiplied by scipy. The layout is kept, in
    # the file too (format version 4; a C-ordered model's file stays version 2).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 30))
    y = np.argmax(X[:, :3], axis=1)
    est = make().fit(X, y)
    if sparsify:
        est.sparsify()
    for exported in (export_model(est), round_trip(export_model(est), tmp_path)):
        for rows in (X, sp.csr_matrix(X)):
            check_identical(est, exported, rows)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as npz:
        assert int(npz["format_version"]) == version


_rng = np.random.RandomState(3)
DUMMIES = pd.get_dummies(
    pd.DataFrame({f"k{i}": _rng.choice(list("abcdefgh"), 400) for i in range(8)})
)
Y_DUMMIES = _rng.randint(3, size=400)


@pytest.mark.parametrize(
    "make, sparsify",
    [
        (lambda: SGDRegressor(random_state=0), False),
        (lambda: SGDClassifier(random_state=0), False),
        (lambda: LogisticRegression(max_iter=50), False),
        (lambda: SGDClassifier(penalty="l1", alpha=0.01, random_state=0), True),
    ],
    ids=["sgd-regressor", "sgd-ovr", "lbfgs-multinomial", "sgd-sparsified"],
)
@pytest.mark.parametrize(
    "layout", ["get_dummies", "bools-fortran", "bools-strided", "int8-fortran", "float16-fortran"]
)
def test_rows_of_bools_ints_or_float16_are_scored_as_the_estimator_scores_them(
    make, sparsify, layout
):
    # scikit-learn multiplies such a dense X as it is (validate_data keeps its dtype), and
    # NumPy's product casts it to float64 into a C-ordered copy; the export converted it to
    # float64 first, in X's own order: for a Fortran-ordered X (the bools of a DataFrame
    # that pd.get_dummies made) BLAS summed in another order, and most scores differed in
    # the last bit
    bools = DUMMIES.to_numpy()  # 400 rows of 64 bools, Fortran-ordered
    X = {
        "get_dummies": lambda: DUMMIES,
        "bools-fortran": lambda: np.asfortranarray(bools),
        "bools-strided": lambda: np.repeat(bools, 2, axis=1)[:, ::2],
        "int8-fortran": lambda: np.asfortranarray(bools, dtype=np.int8),
        "float16-fortran": lambda: np.asfortranarray(bools, dtype=np.float16),
    }[layout]()
    est = make()
    est.fit(X, Y_DUMMIES if is_classifier(est) else Y_DUMMIES * 1.5)
    if sparsify:
        est.sparsify()
    check_identical(est, export_model(est), X)


def shuffled_csr(X, rng):
    """``X`` with unsorted indices, a duplicated entry per row, int64 indices."""
    rows, cols, vals = [], [], []
    for i in range(X.shape[0]):
        row = X.getrow(i)
        order = rng.permutation(row.nnz)
        c, v = row.indices[order], row.data[order]
        if row.nnz:  # split the first value in two entries of the same column
            c, v = np.append(c, c[0]), np.append(v, v[0] / 2)
            v[0] /= 2
        rows.append(np.full(c.size, i)), cols.append(c), vals.append(v)
    indptr = np.concatenate([[0], np.cumsum([c.size for c in cols])]).astype(np.int64)
    return sp.csr_matrix(
        (np.concatenate(vals), np.concatenate(cols).astype(np.int64), indptr), shape=X.shape
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: SparseFTRLClassifier(alpha=1e-3, random_state=0, state_store="dense"),
        lambda: SparseFTRLClassifier(alpha=1e-3, random_state=0, state_store="sparse"),
        lambda: SGDClassifier("log_loss", alpha=1e-3, random_state=0),
    ],
    ids=["ftrl-dense-store", "ftrl-sparse-store", "sgd"],
)
@pytest.mark.parametrize("fmt", ["non-canonical-csr", "csc", "coo", "list"])
def test_other_input_formats_give_the_estimators_results(fmt, make):
    X, signal, rng = make_data()
    clf = make().fit(X, three(signal))
    X_test, _, _ = make_data(seed=1, n_rows=50)
    X_test = {
        "non-canonical-csr": lambda: shuffled_csr(X_test, rng),
        "csc": X_test.tocsc,
        "coo": X_test.tocoo,
        "list": lambda: X_test.toarray().tolist(),
    }[fmt]()
    assert_array_equal(export_model(clf).predict_proba(X_test), clf.predict_proba(X_test))


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8, reason="long double is float64 here")
@pytest.mark.parametrize(
    "make", [lambda: SGDClassifier(loss="log_loss", random_state=0), LogisticRegression]
)
def test_rows_of_long_doubles_are_scored_in_long_double_as_the_estimator_scores_them(make):
    # the export converted them to float64: scores of float64 that differed from the
    # estimator's long double ones in the last bits
    X = np.random.RandomState(0).normal(size=(80, 6))
    est = make().fit(X, np.arange(80) % 3)
    exported = export_model(est)
    rows = X[:20].astype(np.longdouble) / 3
    for given in (rows, sp.csr_matrix(rows), pd.DataFrame(rows)):
        for method in ("decision_function", "predict_proba", "predict"):
            expected, got = getattr(est, method)(given), getattr(exported, method)(given)
            assert got.dtype == expected.dtype
            assert_array_equal(got, expected)


def test_only_non_zero_weights_are_kept():
    X, signal, _ = make_data()
    clf = SparseFTRLClassifier(alpha=3e-3, random_state=0).fit(X, three(signal))
    exported = export_model(clf)
    report = sparsity_report(clf)
    assert exported.support_.size == report.nonzero_union < N_FEATURES
    assert exported.support_.dtype == np.int32
    coef = exported.coef_
    assert sp.issparse(coef) and coef.shape == (3, N_FEATURES) and coef.nnz == report.n_nonzero
    assert_array_equal(coef.toarray(), clf.coef_)
    assert sparsity_report(exported).nonzero == report.nonzero
    assert "3 models" in repr(exported)


@pytest.mark.parametrize("store", ["dense", "sparse"])
def test_float32_model_keeps_its_dtype(store, tmp_path):
    X, signal, _ = make_data()
    X32 = X.astype(np.float32)
    reg = SparseFTRLRegressor(alpha=1e-3, random_state=0, state_store=store).fit(X32, signal)
    loaded = round_trip(export_model(reg), tmp_path)
    assert loaded.coef_.dtype == np.float32 and loaded.intercept_.dtype == np.float32
    for X_test in (X32, X32.toarray(), X, X.toarray()):
        assert_array_equal(loaded.predict(X_test), reg.predict(X_test))


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["ham", "spam", "eggs"]),
        np.array([-1, 7, 42]),
        np.array([-1.0, 0.0, 2.0]),
        np.array(["ham", "spam", "eggs"], dtype=object),  # pandas' str columns
    ],
    ids=["str", "int", "float", "object-str"],
)
def test_class_labels_round_trip(labels, tmp_path):
    X, signal, _ = make_data()
    y = labels[three(signal)]
    clf = SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, y)
    loaded = round_trip(export_model(clf), tmp_path)
    assert loaded.classes_.dtype.kind == ("U" if labels.dtype == object else labels.dtype.kind)
    assert_array_equal(loaded.classes_, clf.classes_)
    assert_array_equal(loaded.predict(X), clf.predict(X))


def test_bool_labels_round_trip(tmp_path):
    X, signal, _ = make_data()
    clf = SGDClassifier(random_state=0).fit(X, signal > 0)
    loaded = round_trip(export_model(clf), tmp_path)
    assert loaded.classes_.dtype == bool
    assert_array_equal(loaded.predict(X), clf.predict(X))


def test_object_labels_that_are_not_strings_are_rejected():
    X, signal, _ = make_data()
    clf = SparseFTRLClassifier(alpha=1e-3, random_state=0).fit(X, binary(signal))
    clf.classes_ = np.array([(0,), "one"], dtype=object)
    with pytest.raises(ValueError, match="cannot be saved without pickle"):
        export_model(clf)


def test_dataframe_columns_are_checked(tmp_path):
    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.normal(size=(100, 4)), columns=["a", "b", "c", "d"])
    reg = SGDRegressor(random_state=0).fit(df, df["a"] - df["b"])
    loaded = round_trip(export_model(reg), tmp_path)
    assert_array_equal(loaded.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(loaded.predict(df), reg.predict(df))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(df[["b", "a", "c", "d"]])
    with pytest.raises(ValueError, match="expects 4"):
        loaded.predict(df.to_numpy()[:, :3])


@pytest.mark.parametrize("make", [SparseFTRLRegressor, SGDRegressor])
def test_an_arrow_table_of_the_fitted_columns_is_scored_as_its_estimator_scores_it(make):
    # a pyarrow Table's columns are its arrays, not its names: the export refused a table
    # of the fitted columns, which the estimator scores
    pa = pytest.importorskip("pyarrow")
    df = pd.DataFrame(np.random.RandomState(0).normal(size=(50, 3)), columns=["a", "b", "c"])
    est = make(random_state=0).fit(df, df["a"] - df["b"])
    exported = export_model(est)
    assert_array_equal(exported.predict(pa.table(df)), est.predict(pa.table(df)))
    for other in (df[["b", "a", "c"]], df.set_axis(["a", "b", "z"], axis=1)):
        with pytest.raises(ValueError, match="feature names"):
            est.predict(pa.table(other))
        with pytest.raises(ValueError, match="feature names"):
            exported.predict(pa.table(other))


def _prediction_and_warnings(predict, X):
    """``(predictions or the exception's type, number of warnings)`` of ``predict(X)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = predict(X)
        except (TypeError, ValueError) as exc:
            result = type(exc)
    return result, len(caught)


@pytest.mark.parametrize("make", [SparseFTRLRegressor, SGDRegressor])
def test_column_names_that_are_not_all_str_are_taken_as_the_estimator_takes_them(make):
    # int column names are no feature names to scikit-learn (not set by fit; a warning at
    # predict for a model fitted with str names): the export refused a frame of int names
    rng = np.random.RandomState(0)
    values = rng.normal(size=(80, 3))
    named = pd.DataFrame(values, columns=["a", "b", "c"])
    frames = {
        "int": pd.DataFrame(values),
        "str": named,
        "array": values,
        "mixed": pd.DataFrame(values, columns=["a", 1, "c"]),
        "other str": named.set_axis(["a", "b", "z"], axis=1),
    }
    for fitted_on in ("int", "str"):
        est = make(random_state=0).fit(frames[fitted_on], values[:, 0] - values[:, 1])
        exported = export_model(est)
        assert (exported.feature_names_in_ is None) == (fitted_on == "int")
        for name, X in frames.items():
            expected, warned = _prediction_and_warnings(est.predict, X)
            got, exported_warned = _prediction_and_warnings(exported.predict, X)
            assert exported_warned == warned, (fitted_on, name)
            if isinstance(expected, type):
                assert got is expected, (fitted_on, name)
            else:
                assert_array_equal(got, expected)
    assert _prediction_and_warnings(exported.predict, frames["int"])[1] == 1  # (as est's)


def test_regressor_has_no_decision_function_and_hinge_no_proba():
    X, signal, _ = make_data()
    reg = export_model(SparseFTRLRegressor(random_state=0).fit(X, signal))
    with pytest.raises(AttributeError, match="decision_function is for classifiers"):
        reg.decision_function(X)
    clf = export_model(SparseFTRLClassifier("hinge", random_state=0).fit(X, binary(signal)))
    assert clf.proba is None
    with pytest.raises(AttributeError, match="no predict_proba"):
        clf.predict_proba(X)


def test_files_that_are_not_exports_are_rejected(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match="not a sparsereg.ExportedLinearModel"):
        load_model(path)
    # an estimator's state, as the state protocol's documentation saves it: said so (a trial)
    X, signal, _ = make_data()
    est = SparseFTRLRegressor(random_state=0).fit(X, signal)
    np.savez(path, **est.get_ftrl_state())
    with pytest.raises(ValueError, match=r"training state \(sparsereg.FTRLState.*set_ftrl_state"):
        load_model(path)
    # an export whose member is a pickled object array: refused by name, never unpickled
    export_model(SparseFTRLRegressor(random_state=0).fit(X, signal)).save(path)
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["kind"] = np.array([_RecordsUnpickling()], dtype=object)
    np.savez(path, **arrays)
    _UNPICKLED.clear()
    with pytest.raises(ValueError, match="kind has dtype object; .* which would need pickle"):
        load_model(path)
    assert _UNPICKLED == []


_UNPICKLED = []


def _record_unpickling():
    _UNPICKLED.append("unpickled")


class _RecordsUnpickling:
    """Unpickled, it calls _record_unpickling (a stand-in for any code a pickle runs)."""

    def __reduce__(self):
        return _record_unpickling, ()


class _BytesPath:
    """A path-like object whose path is bytes (``os.PathLike`` allows either)."""

    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


def test_a_path_given_as_bytes_is_saved_as_load_model_reads_it(tmp_path):
    # save raised "endswith first arg must be bytes" for a bytes path, which load_model reads
    X, signal, _ = make_data()
    exported = export_model(SparseFTRLClassifier(random_state=0).fit(X, binary(signal)))
    folder = os.fsencode(tmp_path)
    for name, given in [
        (b"bytes", folder + b"/bytes"),
        (b"latin-\xe9.npz", folder + b"/latin-\xe9.npz"),  # a name that is not UTF-8
        (b"pathlike", _BytesPath(folder + b"/pathlike")),
    ]:
        exported.save(given, compressed=name == b"pathlike")
        path = os.path.join(folder, name if name.endswith(b".npz") else name + b".npz")
        assert_array_equal(load_model(path).predict_proba(X), exported.predict_proba(X))
    assert sorted(os.listdir(folder)) == [b"bytes.npz", b"latin-\xe9.npz", b"pathlike.npz"]


def test_sizes_and_compressed_file(tmp_path):
    X, signal, _ = make_data()
    clf = SparseFTRLClassifier(alpha=3e-3, random_state=0).fit(X, binary(signal))
    exported = export_model(clf)
    sizes = export_sizes(clf, exported)
    path = tmp_path / "m.npz"
    exported.save(path)
    assert sizes.export_file_bytes == path.stat().st_size
    assert sizes.export_memory_bytes == exported.nbytes < sizes.estimator_pickle_bytes
    sparser = export_model(SparseFTRLClassifier(alpha=3e-2, random_state=0).fit(X, binary(signal)))
    assert sparser.support_.size < exported.support_.size
    assert sparser.nbytes < exported.nbytes < clf.coef_.nbytes  # grows with the survivors only
    assert "pickled estimator" in str(sizes)
    buffer = io.BytesIO()
    exported.save(buffer, compressed=True)
    assert exported.file_bytes(compressed=True) == buffer.getbuffer().nbytes
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert {"coef_data.npy", "coef_indices.npy", "transformers.npy"} <= set(archive.namelist())
    buffer.seek(0)
    assert_array_equal(ExportedLinearModel.load(buffer).predict(X), clf.predict(X))
    # the ratio is said either way: a tiny model's export outweighs its pickle
    assert "x smaller)" in str(sizes)
    from sklearn.linear_model import Lasso

    small = np.random.RandomState(0).normal(size=(20, 2))
    tiny_sizes = export_sizes(Lasso(alpha=0.1).fit(small, small[:, 0]))
    assert tiny_sizes.export_file_bytes > tiny_sizes.estimator_pickle_bytes
    ratio = tiny_sizes.export_file_bytes / tiny_sizes.estimator_pickle_bytes
    assert f"({ratio:,.1f}x larger)" in str(tiny_sizes)
    with pytest.raises(TypeError, match="exported must be an ExportedLinearModel .* got str"):
        export_sizes(clf, "model.npz")
    # (not a bool: "no" deflated the file, as if true)
    for not_a_bool in ("no", 0, None):
        with pytest.raises(TypeError, match="compressed must be True or False"):
            exported.save(tmp_path / "other.npz", compressed=not_a_bool)
        with pytest.raises(TypeError, match="compressed must be True or False"):
            exported.file_bytes(compressed=not_a_bool)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


# ------------------------------------------------------------------------ pipelines
def raw_rows(seed, n_rows):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame(
        {
            "lat": rng.uniform(37.0, 38.0, n_rows),
            "lon": rng.uniform(-123.0, -122.0, n_rows),
            "kind": rng.choice(["house", "flat", "boat"], n_rows),
            "rooms": rng.randint(1, 6, n_rows),
        }
    )
    df.loc[::17, "kind"] = None
    y = np.where((df["lat"] > 37.5) & (df["kind"] != "boat"), "dear", "cheap")
    return df, y


def test_pipeline_with_feature_crosses_scores_raw_rows(tmp_path):
    df, y = raw_rows(0, 600)
    hasher = FeatureCrossHasher(
        crosses=[("lat", "lon"), "kind", ("kind", "rooms"), 3],  # names, a tuple, a position
        buckets={"lat": {"width": 0.1, "origin": 37.0}, 1: [-122.75, -122.5, -122.25]},
        n_features=2**12,
        seed=7,
        dtype=np.float32,
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(alpha=1e-4, random_state=0)).fit(df, y)
    loaded = round_trip(export_model(pipe), tmp_path)
    (rebuilt,) = loaded.transformers
    assert rebuilt.get_params() == hasher.get_params()
    assert "FeatureCrossHasher -> SparseFTRLClassifier" in repr(loaded)
    test, _ = raw_rows(1, 200)
    assert_array_equal(loaded.predict(test), pipe.predict(test))
    assert_array_equal(loaded.predict_proba(test), pipe.predict_proba(test))
    assert_array_equal(loaded.predict(test.iloc[:1]), pipe.predict(test.iloc[:1]))  # one row
    # the columns the pipeline was fitted with are checked
    with pytest.raises(ValueError, match="(?s)feature names should match.*now missing:\n- kind"):
        loaded.predict(test.rename(columns={"kind": "type"}))


@pytest.mark.parametrize(
    "crosses", [[("kind",), ("rooms",)], [("lat", "lon"), ("kind", "rooms")], [["kind"], ["rooms"]]]
)
def test_crosses_of_equal_lengths_are_saved(tmp_path, crosses):
    """Crosses that NumPy would read as a 2-D array (every tuple of one length) round-trip."""
    df, y = raw_rows(0, 300)
    hasher = FeatureCrossHasher(crosses, n_features=2**10)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(df, y)
    loaded = round_trip(export_model(pipe), tmp_path)
    assert loaded.transformers[0].get_params() == hasher.get_params()
    assert_array_equal(loaded.predict_proba(df), pipe.predict_proba(df))


def test_pipeline_with_hashing_vectorizer_scores_raw_text(tmp_path):
    texts = [
        "win a free prize now",
        "see you at lunch",
        "free entry win cash",
        "call me later",
        "claim your free prize",
        "lunch at noon?",
    ] * 20
    y = np.array(["spam", "ham", "spam", "ham", "spam", "ham"] * 20)
    pipe = make_pipeline(
        HashingVectorizer(n_features=2**10, ngram_range=(1, 2)),
        SGDClassifier("log_loss", penalty="l1", alpha=1e-4, random_state=0),
    )
    pipe.fit(texts, y)
    loaded = round_trip(export_model(pipe), tmp_path)
    new = ["free lunch prize", "see you later", "nothing known here"]
    assert_array_equal(loaded.predict(new), pipe.predict(new))
    assert_array_equal(loaded.predict_proba(new), pipe.predict_proba(new))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_dtype_given_by_name_is_exported(dtype, tmp_path):
    # (export_model refused dtype="float32": "parameter 'dtype' must be float32 or float64,
    # got 'float32'")
    df, y = raw_rows(0, 300)
    hasher = FeatureCrossHasher(
        [("lat", "lon"), "kind"], buckets={"lat": 0.1, "lon": 0.1}, dtype=dtype
    )
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(df, y)
    loaded = round_trip(export_model(pipe), tmp_path)
    (rebuilt,) = loaded.transformers
    assert rebuilt.transform(df).dtype == hasher.transform(df).dtype == np.dtype(dtype)
    assert_array_equal(loaded.predict_proba(df), pipe.predict_proba(df))
    texts = ["win a free prize now", "see you at lunch", "free entry win cash", "call me"] * 5
    labels = np.array(["spam", "ham", "spam", "ham"] * 5)
    pipe = make_pipeline(
        HashingVectorizer(n_features=2**10, dtype=dtype), SparseFTRLClassifier(random_state=0)
    ).fit(texts, labels)
    loaded = round_trip(export_model(pipe), tmp_path)
    assert loaded.transformers[0].transform(texts).dtype == np.dtype(dtype)
    assert_array_equal(loaded.predict_proba(texts), pipe.predict_proba(texts))


@pytest.mark.parametrize(
    "make",
    [PoissonRegressor, GammaRegressor, lambda: TweedieRegressor(power=1.5)],
    ids=["poisson", "gamma", "tweedie-log-link"],
)
def test_a_generalized_linear_model_predicting_exp_of_its_scores_is_refused(make):
    # it was exported, and the export predicted the linear score where the model predicts
    # its exp (predictions off by a factor of e**score)
    X = np.random.RandomState(0).normal(size=(60, 3))
    glm = make().fit(X, np.exp(X[:, 0]))
    with pytest.raises(TypeError, match="inverse of its link function"):
        export_model(glm)
    identity = TweedieRegressor(power=0).fit(X, X[:, 0])  # its link is the identity
    assert_array_equal(export_model(identity).predict(X), identity.predict(X))


def test_a_classifier_fitted_on_multilabel_targets_is_refused():
    # a RidgeClassifier fitted on a label indicator matrix predicts a 0/1 column per label:
    # its export predicted one class per row (the argmax), for any number of labels
    X = np.random.RandomState(0).normal(size=(60, 3))
    for n_labels in (2, 3):
        clf = RidgeClassifier().fit(X, (X[:, :n_labels] > 0).astype(int))
        with pytest.raises(ValueError, match="fitted on multilabel targets"):
            export_model(clf)
    clf = RidgeClassifier().fit(X, np.arange(60) % 3)  # multiclass: still exported
    assert_array_equal(export_model(clf).predict(X), clf.predict(X))


@pytest.mark.parametrize(
    "make, y_of",
    [
        (lambda: SVC(kernel="linear"), lambda X: np.arange(len(X)) % 3),
        (lambda: SVC(kernel="linear"), lambda X: np.arange(len(X)) % 4),
        (lambda: SVR(kernel="linear"), lambda X: X[:, 0]),
        (lambda: PLSRegression(n_components=2), lambda X: X[:, 0]),
        (lambda: CCA(n_components=1), lambda X: X[:, :2]),
    ],
    ids=["svc-3-classes", "svc-4-classes", "svr", "pls", "cca"],
)
def test_a_model_whose_predictions_are_not_its_linear_scores_is_refused(make, y_of):
    # exported, they predicted the argmax of an SVC's one-vs-one scores (or an IndexError
    # with 4 classes and 6 weight vectors), an SVR's predictions as a column, and a PLS
    # model's X @ coef_.T where it centres X first
    X = np.random.RandomState(0).normal(size=(60, 3)) + 5
    with pytest.raises(TypeError, match="libsvm|centres"):
        export_model(make().fit(X, y_of(X)))


def test_a_classifier_whose_weight_vectors_are_not_one_per_class_is_refused():
    # exported and saved, its file was refused by load_model (and the export predicted 2 of
    # the 3 classes only)
    X = np.random.RandomState(0).normal(size=(60, 3))
    clf = LogisticRegression().fit(X, np.arange(60) % 3)
    clf.coef_, clf.intercept_ = clf.coef_[:2], clf.intercept_[:2]
    with pytest.raises(ValueError, match="has 3 classes for 2 weight vector"):
        export_model(clf)


@pytest.mark.skipif(
    Version(sklearn.__version__) >= Version("1.8"),
    reason="LogisticRegression has no multi_class, nor a multiclass liblinear, from 1.8",
)
@pytest.mark.parametrize("params", [{"multi_class": "ovr"}, {"solver": "liblinear"}])
def test_a_one_vs_rest_logistic_regression_exports_its_probabilities(params):
    # its predict_proba normalises one-vs-rest sigmoids: the export took their softmax
    X = np.random.RandomState(0).normal(size=(90, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # (multi_class, deprecated in 1.5)
        clf = LogisticRegression(**params).fit(X, np.arange(90) % 3)
    assert_array_equal(export_model(clf).predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["svd", "lsqr"])
def test_linear_discriminant_analysis_exports_its_probabilities(n_classes, solver, tmp_path):
    # its predict_proba (the sigmoid of the binary score, the softmax of the class scores)
    # was missing from the export; far rows give probabilities of 0, whose log it takes as
    # the log of float64's smallest normal
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    y = np.digitize(X[:, 0] + X[:, 1], [-1.0, 1.0][: n_classes - 1])
    lda = LinearDiscriminantAnalysis(solver=solver).fit(X, y)
    exported = round_trip(export_model(lda), tmp_path)
    far = X * 60
    assert (lda.predict_proba(far) == 0).any()
    for rows in (X, far):
        check_identical(lda, exported, rows)


def test_pipelines_that_cannot_be_rebuilt_are_rejected():
    X, signal, _ = make_data()
    with pytest.raises(ValueError, match="only stateless hashing transformers"):
        export_model(make_pipeline(Normalizer(), Lasso()).fit(X, signal))
    df, y = raw_rows(0, 100)
    hasher = FeatureCrossHasher(["kind"], buckets={"lat": {"width": 0.1, "format": str}})
    with pytest.warns(UserWarning, match="buckets name 'lat'") as caught:  # (not crossed)
        pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(df, y)
    assert caught[0].filename == __file__  # (past the Pipeline's joblib Memory too)
    with pytest.raises(ValueError, match="parameter 'buckets'.*cannot be saved without pickle"):
        export_model(pipe)


def _hand_built(indptr, indices, width):
    """A CSR matrix built around scipy's checks, as a hostile caller could."""
    X = sp.csr_matrix((1, width))
    X.indptr = np.asarray(indptr, dtype=np.int32)
    X.indices = np.asarray(indices, dtype=np.int32)
    X.data = np.ones(len(indices))
    X._shape = (len(indptr) - 1, width)
    return X


@pytest.mark.parametrize("source", ["ftrl", "sgd"])
@pytest.mark.parametrize(
    "indptr, indices, match",
    [
        ([0, 10**7, 10**7, 3], [0, 1, 2], "indptr"),
        ([0, 2, 1, 3], [0, 1, 2], "indptr"),
        ([0, 1, 2, 3], [0, 10**6, 2], "column indices"),
        ([0, 1, 2, 3], [0, -5, 2], "column indices"),
    ],
)
def test_exported_model_rejects_a_hand_built_csr_as_the_estimator_does(
    source, indptr, indices, match
):
    X, signal, _ = make_data()
    est = (
        SparseFTRLClassifier(random_state=0) if source == "ftrl" else SGDClassifier(random_state=0)
    ).fit(X, binary(signal))
    exported = export_model(est)
    bad = _hand_built(indptr, indices, N_FEATURES)
    for model in [exported, est] if source == "ftrl" else [exported]:
        for method in (model.predict, model.decision_function):
            with pytest.raises(ValueError, match=match):
                method(bad)


@pytest.mark.parametrize("width", [2**20, 2**24])  # the bulk layouts: dense weights, hash table
def test_a_bulk_call_leaves_a_pickled_model_as_large_as_before(width):
    # A call of 32 rows or more lays an export's weights out for scoring (a dense array of up
    # to 64 MiB, or a hash table) and keeps the layout for the calls after; a pickle of the
    # model carried it.
    rng = np.random.RandomState(0)
    cols = np.sort(rng.choice(width, size=(600, 10)), axis=1)
    X = sp.csr_matrix((np.ones(6000), cols.ravel(), np.arange(0, 6001, 10)), shape=(600, width))
    X.sum_duplicates()
    y = rng.randint(2, size=600)
    model = export_model(SparseFTRLClassifier(alpha=1e-6, random_state=0).fit(X, y))
    before = len(pickle.dumps(model))
    scores = model.decision_function(X)
    assert len(pickle.dumps(model)) == before
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.decision_function(X), scores)
    np.testing.assert_array_equal(again.decision_function(X[:5]), scores[:5])


SPARSE_WEIGHTS_CALLS = [
    "an export's coef_",
    "export_model of SGDClassifier",
    "sparse_coef_",
    "coef_ after sparsify",
]


def _sparse_weights_call(name):
    """A call that makes a CSR matrix of a model's dense weights."""
    X = sp.random(200, 20, density=0.3, format="csr", random_state=0)
    y = np.arange(200) % 2
    if name == "export_model of SGDClassifier":
        sgd = SGDClassifier(random_state=0).fit(X, y)
        return lambda: export_model(sgd).coef_
    ours = SparseFTRLClassifier(random_state=0).fit(X, y)
    if name == "an export's coef_":
        exported = export_model(ours)
        return lambda: exported.coef_
    if name == "coef_ after sparsify":
        ours.sparsify()
        return lambda: ours.coef_
    return lambda: ours.sparse_coef_


def _raising_and_counting():
    """A SIGALRM handler raising Timeout, and the list of the signals it answered."""
    answered = []

    def handler(signum, frame):
        answered.append(signum)
        raise Timeout

    return handler, answered


@pytest.mark.parametrize("places", sorted(ANY_CODE_SWEEPS))
@pytest.mark.parametrize("call", SPARSE_WEIGHTS_CALLS)
def test_a_signal_handlers_exception_as_dense_weights_become_csr_comes_out_as_itself(call, places):
    # A SIGALRM whose handler raises (a timeout), at each place of any code in turn as a CSR
    # is made of a model's dense weights: the call raises that exception, never completes
    # after the handler ran (the exception swallowed), and the next gives the same weights.
    # (Made by scipy from the dense array, one came out as scipy's "unrecognized csr_matrix
    # constructor input".)
    make = _sparse_weights_call(call)
    expected = make().toarray()
    handler, answered = _raising_and_counting()

    def as_before(_, k, completed):
        assert not (completed and answered), f"the handler's exception at place {k} was lost"
        assert_array_equal(make().toarray(), expected)

    places = alarm_each_place_of_any_code(
        handler,
        Timeout,
        answered.clear,
        lambda _: make(),
        as_before,
        ANY_CODE_SWEEPS[places],
        # each run a new export of the same SGDClassifier, which exporting leaves as it was;
        # the other calls read a model's cached weights, which a whole run fills
        planned=call == "export_model of SGDClassifier",
    )
    assert places > 10


# save holds handlers back from its start: every place inside is alike, and the places after
# calls in other code (~1,900, 7-14 s) are swept where coef_ is made (the test above)
SAVE_SWEEPS = {
    "function entries and exits of any code": signalling_anywhere_at,
    "after calls and at jumps back in the package": signalling_after_call_or_jump,
}


@pytest.mark.parametrize("places", sorted(SAVE_SWEEPS))
def test_a_signal_at_each_place_of_save_leaves_no_file_or_a_whole_one(tmp_path, places):
    # A SIGALRM whose handler raises (a timeout), at each function entry and exit of any
    # code in save in turn, then after each call and at each loop's jump back of the
    # package: save raises that exception, and the file is not there or is whole. (One that
    # came while zipfile closed a member came out as zipfile's "Can't close the ZIP file
    # while there is an open writing handle" and left a file that was no zip; one while scipy
    # built coef_ for the file, as scipy's "unrecognized csr_matrix constructor input".)
    X = sp.random(200, 20, density=0.3, format="csr", random_state=0)
    model = export_model(SparseFTRLClassifier(random_state=0).fit(X, np.arange(200) % 2))
    path = tmp_path / "model.npz"
    model.save(path)
    whole = path.stat().st_size

    handler, answered = _raising_and_counting()

    def absent_or_whole(_, k, completed):
        assert not (completed and answered), f"the handler's exception at place {k} was lost"
        assert not path.exists() or path.stat().st_size == whole, f"at place {k}"

    def prepare():
        answered.clear()
        path.unlink(missing_ok=True)

    count = alarm_each_place_of_any_code(
        handler,
        Timeout,
        prepare,
        lambda _: model.save(path),
        absent_or_whole,
        SAVE_SWEEPS[places],
    )
    assert count > (20 if places.endswith("package") else 100)
    assert_array_equal(load_model(path).predict_proba(X), model.predict_proba(X))


def test_export_model_leaves_a_models_sparse_coef_as_it_was():
    # export_model sums duplicates and drops explicit zeros in its own copy of a sparse coef_:
    # a third-party model's matrix keeps its explicit zero and its columns' order
    X = sp.random(100, 4, density=0.5, format="csr", random_state=0)
    sgd = SGDClassifier(random_state=0).fit(X, np.arange(100) % 2)
    coef = sp.csr_matrix((np.array([0.5, 0.0, -1.0]), np.array([3, 1, 0]), np.array([0, 3])))
    coef.resize(1, 4)
    sgd.coef_ = coef
    kept = (coef.data.copy(), coef.indices.copy(), coef.indptr.copy())
    exported = export_model(sgd)
    for before, now in zip(kept, (sgd.coef_.data, sgd.coef_.indices, sgd.coef_.indptr)):
        assert_array_equal(now, before)
    assert_array_equal(exported.coef_.toarray(), [[-1.0, 0.0, 0.0, 0.5]])


def test_a_dense_x_is_scored_without_a_table_far_larger_than_it():
    # A 'blas' export scored a dense X against a dense table of every column's weight for
    # each model, built on each call: 20 classes of 2**18 columns, 42 MB for two rows of
    # 4 MB (a 79 KB file claiming 50,000 classes of 2**22 columns asked for 1.5 TiB). Such
    # an X is now scored on its supported columns: the estimator's scores up to the last
    # bits (a BLAS product's, which may differ in them with the rows called together).
    n_features = 2**18
    rng = np.random.default_rng(0)
    X = sp.random(400, n_features, density=2e-4, format="csr", random_state=rng)
    y = np.arange(400) % 20
    source = SGDClassifier(penalty="l1", alpha=1e-3, random_state=0).fit(X, y)
    model = export_model(source)
    rows = X[:2].toarray()
    model.decision_function(rows)  # (warm: what the first call imports)
    scores, peak = result_and_peak(model.decision_function, rows)
    assert peak < 4 * rows.nbytes, peak  # not the 42 MB table
    np.testing.assert_allclose(scores, source.decision_function(rows), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.predict(rows), source.predict(rows))
    for i in range(2):
        np.testing.assert_allclose(
            model.decision_function(rows[i : i + 1])[0], scores[i], rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize(
    "make", [lambda: SparseFTRLClassifier(random_state=0), lambda: LogisticRegression()]
)
def test_an_intercept_set_on_an_export_is_what_it_predicts_and_saves(make, tmp_path):
    # FTRL exports scored with the intercept array their layout was built with: an
    # intercept_ set afterwards was saved but not used by predict
    X = np.random.RandomState(0).normal(size=(80, 10))
    exported = export_model(make().fit(X, (X[:, 0] > 0).astype(int)))
    before = exported.decision_function(X)
    exported.intercept_ = exported.intercept_ + 5.0
    after = exported.decision_function(X)
    np.testing.assert_allclose(after, before + 5.0, rtol=0, atol=1e-12)
    assert_array_equal(round_trip(exported, tmp_path).decision_function(X), after)
    for bad in (np.array([1.0, 2.0]), np.array([np.nan]), np.array(["a"])):
        with pytest.raises(ValueError, match="intercept_ must be"):
            exported.intercept_ = bad
    assert_array_equal(exported.decision_function(X), after)  # as it was
    with pytest.raises(AttributeError):
        exported.coef_ = exported.coef_


def test_a_sparsified_sgd_regressor_exports(tmp_path):
    # its sparsify() makes a 1-D scipy CSR coef_, which export_model could not convert
    X = np.random.RandomState(0).normal(size=(50, 40))
    reg = SGDRegressor(random_state=0).fit(X, X[:, 0]).sparsify()
    assert reg.coef_.ndim == 1
    for exported in (export_model(reg), round_trip(export_model(reg), tmp_path)):
        assert_array_equal(exported.predict(X), reg.predict(X))


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.bool_, np.float16])
def test_weights_of_another_number_type_are_saved_as_float64_files_that_load(dtype, tmp_path):
    # a coef_ or intercept_ of ints, bools or float16 (set by hand, or by another library):
    # export_model kept ints, whose file load_model refused (float16 failed in scipy)
    X = np.random.RandomState(0).normal(size=(80, 10))
    clf = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    clf.coef_ = (clf.coef_ * 4).astype(dtype)
    clf.intercept_ = np.ones(1, dtype=dtype)
    exported = export_model(clf)
    for model in (exported, round_trip(exported, tmp_path)):
        assert model.coef_.dtype == np.float64
        assert_array_equal(model.decision_function(X), clf.decision_function(X))
        assert_array_equal(model.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "dtype",
    [
        pytest.param(
            np.longdouble,
            marks=pytest.mark.skipif(
                np.dtype(np.longdouble).itemsize == 8, reason="long double is float64 here"
            ),
        ),
        np.complex128,
    ],
)
def test_weights_that_float64_would_change_are_refused_at_export(dtype):
    X = np.random.RandomState(0).normal(size=(80, 10))
    reg = Ridge().fit(X, X[:, 0])
    reg.coef_ = reg.coef_.astype(dtype)
    with pytest.raises(ValueError, match=f"Ridge.coef_ has dtype {np.dtype(dtype)}"):
        export_model(reg)


def test_an_intercept_that_float32_cannot_hold_is_refused_and_never_saved():
    X = np.random.RandomState(0).normal(size=(80, 10)).astype(np.float32)
    exported = export_model(LogisticRegression().fit(X, (X[:, 0] > 0).astype(int)))
    assert exported.intercept_.dtype == np.float32
    before = exported.decision_function(X)
    with pytest.raises(ValueError, match="intercept_ must be finite as float32"):
        exported.intercept_ = np.array([1e39])  # finite as float64, inf as float32
    assert_array_equal(exported.decision_function(X), before)
    exported.intercept_ += np.inf  # in place: no setter can refuse it, save does
    with pytest.raises(ValueError, match="intercept_ holds NaN or infinite values"):
        exported.save(io.BytesIO())


def test_a_pickle_of_an_export_holding_intercept_in_its_dict_unpickles():
    # pickles made before intercept_ became a property: their state holds "intercept_"
    X = np.random.RandomState(0).normal(size=(80, 10))
    exported = export_model(LogisticRegression().fit(X, (X[:, 0] > 0).astype(int)))
    state = dict(exported.__dict__)
    state["intercept_"] = state.pop("_intercept")
    old = ExportedLinearModel.__new__(ExportedLinearModel)
    old.__setstate__(state)
    assert_array_equal(old.intercept_, exported.intercept_)
    assert_array_equal(old.decision_function(X), exported.decision_function(X))
    # an FTRL export pickled after intercept_ was assigned (saved, but not predicted with),
    # and an int intercept (kept by the export then): predicted with, and set as a float
    ftrl = export_model(SparseFTRLClassifier(random_state=0).fit(X, (X[:, 0] > 0).astype(int)))
    before = ftrl.decision_function(X)
    state = dict(ftrl.__dict__)
    del state["_intercept"]
    state["intercept_"] = np.array([2])
    old = ExportedLinearModel.__new__(ExportedLinearModel)
    old.__setstate__(state)
    np.testing.assert_allclose(old.decision_function(X), before - ftrl.intercept_ + 2, atol=1e-12)
    old.intercept_ = 0.75
    assert old.intercept_[0] == 0.75
    np.testing.assert_allclose(
        old.decision_function(X), before - ftrl.intercept_ + 0.75, atol=1e-12
    )


@pytest.mark.parametrize(
    "make, methods",
    [
        (lambda: SparseFTRLClassifier(loss="hinge", random_state=0), ["decision_function"]),
        (
            lambda: SparseFTRLClassifier(random_state=0),
            ["decision_function", "predict_proba", "predict_log_proba"],
        ),
        (lambda: SparseFTRLRegressor(random_state=0), []),
        (lambda: SGDRegressor(random_state=0), []),
    ],
)
def test_an_export_has_the_optional_methods_its_estimator_has(make, methods):
    # hasattr said True for predict_proba of a hinge classifier or a regressor, and for a
    # regressor's decision_function (duck typing then met an AttributeError on the call)
    X = np.random.RandomState(0).normal(size=(50, 4))
    est = make().fit(X, (X[:, 0] > 0).astype(int) if methods else X[:, 0])
    exported = export_model(est)
    for name in ("decision_function", "predict_proba", "predict_log_proba"):
        assert hasattr(exported, name) == hasattr(est, name) == (name in methods), name


@pytest.mark.parametrize(
    "make, scoring",
    [
        (lambda: SparseFTRLClassifier(random_state=0), ["roc_auc", "accuracy", "neg_log_loss"]),
        (lambda: LogisticRegression(), ["roc_auc", "accuracy", "neg_log_loss"]),
        (lambda: SparseFTRLRegressor(random_state=0), ["r2", "neg_mean_squared_error"]),
    ],
)
def test_scikit_learn_scorers_score_an_export_as_its_estimator(make, scoring):
    from sklearn.metrics import get_scorer

    X = np.random.RandomState(0).normal(size=(80, 4))
    y = (X[:, 0] > 0).astype(int) if "roc_auc" in scoring else X[:, 0] + X[:, 1]
    est = make().fit(X, y)
    exported = export_model(est)
    for name in scoring:
        assert get_scorer(name)(exported, X, y) == get_scorer(name)(est, X, y), name


def _hashing_exports():
    from sklearn.feature_extraction import FeatureHasher

    docs, y = ["good movie", "bad movie", "good fun", "bad film"] * 5, [1, 0, 1, 0] * 5
    fit = {
        "text": (HashingVectorizer(n_features=2**10), docs),
        "dict": (FeatureHasher(n_features=2**10), [{"a": 1, "b": 2}, {"a": 3}] * 10),
        "string": (FeatureHasher(n_features=2**10, input_type="string"), [["a", "b"], ["c"]] * 10),
        "pair": (FeatureHasher(n_features=2**10, input_type="pair"), [[("a", 1)], [("c", 2)]] * 10),
    }
    return {
        kind: (export_model(make_pipeline(t, SparseFTRLClassifier(random_state=0)).fit(X, y)), X)
        for kind, (t, X) in fit.items()
    }


def test_hashing_pipelines_refuse_raw_input_they_cannot_read():
    # an int document raised AttributeError ('lower'), a dict of 10**400 OverflowError, no
    # documents StopIteration (which ended a map() over batches early: 1 result for 3), and a
    # DataFrame of 3 texts was scored as one row, its column name
    frame = pd.DataFrame({"review": ["good movie", "bad film", "good fun"]})
    bad = [[1, 2], [None], "abc", [1.5], frame, []]
    more = {
        "text": [[["a"]], ["ok", b"x", 3], [{"a": 1}]],
        "dict": [[{"a": 10**400}], [["a"]], ["ok"], [{"a": 1}, "b"]],
        "string": [[["a"], "bc"], [{"a": 1}]],
        "pair": [[["a"]], [[("a", 1)], "bc"]],
    }
    exports = _hashing_exports()
    for kind, (model, good) in exports.items():
        assert model.predict_proba(good).shape == (len(good), 2)
        for X in bad + more[kind]:
            # a TypeError for an X of the wrong kind (a DataFrame), a ValueError for what
            # scikit-learn itself refuses with one (a str; a row that is no document)
            kind_of_x = TypeError if isinstance(X, pd.DataFrame) else ValueError
            with pytest.raises(
                kind_of_x, match=f"the exported {type(model.transformers[0]).__name__}"
            ):
                model.predict(X)
        with pytest.raises(ValueError, match="0 "):
            model.predict([])
        with pytest.raises(TypeError, match="DataFrame"):
            model.predict_proba(pd.DataFrame({"review": ["good movie", "bad film"]}))
    text, _ = exports["text"]
    with pytest.raises(ValueError, match="0 documents"):
        list(map(text.predict, [["good movie"], [], ["bad film"]]))
    # any mapping is a sample of a FeatureHasher of dicts, as scikit-learn reads it
    dicts, good = exports["dict"]
    mappings = [_Mapping(row) for row in good]
    np.testing.assert_array_equal(dicts.predict_proba(mappings), dicts.predict_proba(good))


class _Mapping(collections.abc.Mapping):
    def __init__(self, items):
        self._items = dict(items)

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)


def _support_model(kind):
    """An exported model and data it scores: FTRL with int64 or int32 indices, or 'blas'."""
    rng = np.random.RandomState(0)
    width = 2**32 if kind == "ftrl-int64" else 5000
    columns = np.sort(rng.choice(width, size=(300, 4)), axis=1).ravel()
    X = sp.csr_matrix(
        (np.ones(1200), columns, np.arange(0, 1201, 4, dtype=np.int64)), shape=(300, width)
    )
    y = rng.randint(0, 2, 300)
    if kind == "blas":
        source = SGDClassifier(alpha=1e-6, random_state=0).fit(X, y)
    else:
        source = SparseFTRLClassifier(alpha=0.0, random_state=0).fit(X, y)
    return export_model(source), X


@pytest.mark.parametrize("how", ["exported", "loaded", "pickled", "pickled-5"])
@pytest.mark.parametrize("kind", ["ftrl-int64", "ftrl-int32", "blas"])
def test_support_is_read_only_and_writing_it_cannot_change_the_scores(kind, how, tmp_path):
    # support_ was a read-only view of a writable array: support_.flags.writeable = True
    # made it writable again, and the scores read it (with int64 indices it was the FTRL
    # layout's own columns; the 'blas' product finds X's columns in it), so a write moved a
    # column's weight (a column 3 to 7). A pickle (protocol < 5) gave a writable support_.
    model, X = _support_model(kind)
    if how == "loaded":
        model = round_trip(model, tmp_path)
    elif how.startswith("pickled"):
        model = pickle.loads(pickle.dumps(model, protocol=5 if how == "pickled-5" else 2))
    assert model.support_.dtype == (np.int64 if kind == "ftrl-int64" else np.int32)
    assert model.support_.size > 0
    before = model.decision_function(X)
    with pytest.raises(ValueError, match="read-only"):
        model.support_[0] = 7
    with pytest.raises(ValueError, match="WRITEABLE"):
        model.support_.flags.writeable = True
    assert_array_equal(model.decision_function(X), before)
    assert_array_equal(model.decision_function(X[:1]), before[:1])  # (a call below BULK_ROWS)


@pytest.mark.parametrize("kind", ["ftrl-int64", "ftrl-int32", "blas"])
def test_copying_an_exported_model_leaves_the_original_as_it_was(kind):
    # copy.copy hands the original's own attributes to the copy's __setstate__, which once
    # replaced the original's support_ (and the FTRL layout's columns) with copies of them
    model, X = _support_model(kind)
    support, attributes = model.support_, dict(vars(model))
    copied = copy.copy(model)
    assert model.support_ is support
    assert vars(model).keys() == attributes.keys()
    assert all(vars(model)[name] is value for name, value in attributes.items())
    assert_array_equal(copied.decision_function(X), model.decision_function(X))
    deep = copy.deepcopy(model)
    assert model.support_ is support
    assert_array_equal(deep.decision_function(X), model.decision_function(X))


def _inputs_of_other_types():
    """Two rows of two columns, of each type a dense X may come in."""
    numbers = np.array([[1.0, 2.0], [0.0, -1.0]])
    counts = np.array([[1, 2], [3, 4]])
    dates = pd.DataFrame({0: pd.to_datetime([1, 2]), 1: pd.to_datetime([3, 4])})
    periods = pd.period_range("2000", periods=2, freq="D")
    return {
        "str": numbers.astype(str),
        "bytes": numbers.astype(bytes),
        "list of str": numbers.astype(str).tolist(),
        "datetime64": counts.astype("datetime64[s]"),
        "timedelta64": counts.astype("timedelta64[s]"),
        "object of str": numbers.astype(str).astype(object),
        "object of bytes": numbers.astype(bytes).astype(object),
        "object of datetime64": counts.astype("datetime64[s]").astype(object),
        "object of timedelta64": counts.astype("timedelta64[s]").astype(object),
        "object of numbers": np.array([[1, 2.5], [True, 0]], dtype=object),
        "complex": numbers.astype(complex),
        "bool": numbers > 0,
        "frame of str": pd.DataFrame(numbers.astype(str)),
        "frame of bytes": pd.DataFrame(numbers.astype(bytes)),
        "frame of string": pd.DataFrame(numbers.astype(str)).astype("string"),
        "frame of datetimes": dates,
        "frame of datetimes with tz": dates.apply(lambda c: c.dt.tz_localize("UTC")),
        "frame of timedeltas": dates - dates.iloc[0, 0],
        "frame of periods": pd.DataFrame({0: periods, 1: periods}),
        "frame of complex": pd.DataFrame(numbers.astype(complex)),
        "frame of Int64": pd.DataFrame(counts).astype("Int64"),
        "frame of Int64 with NA": pd.DataFrame({0: pd.array([1, None], dtype="Int64"), 1: [1, 2]}),
        "frame of Float64": pd.DataFrame(numbers).astype("Float64"),
        "frame of Float64 with NA": pd.DataFrame(
            {0: pd.array([1.5, None], dtype="Float64"), 1: [1.0, 2.0]}
        ),
        "frame of boolean": pd.DataFrame(numbers > 0).astype("boolean"),
        "frame of boolean with NA": pd.DataFrame(
            {0: pd.array([True, None], dtype="boolean"), 1: [1.0, 2.0]}
        ),
        "frame of numeric categories": pd.DataFrame(numbers).astype("category"),
        "frame of str categories": pd.DataFrame(numbers.astype(str)).astype("category"),
        "frame of a str category and a number": pd.DataFrame(
            {0: pd.Categorical(["1", "2"]), 1: [1.0, 2.0]}
        ),
    }


def _outcome(method, X):
    """The array ``method(X)`` returns, or the class of the exception it raises."""
    try:
        return np.asarray(method(X))
    except Exception as exc:  # compared with the estimator's
        return type(exc)


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda: SGDRegressor(random_state=0), False),
        (lambda: SGDClassifier(random_state=0), True),
        (lambda: SGDClassifier("log_loss", random_state=0), True),
        (lambda: LogisticRegression(), True),
        (lambda: LinearRegression(), False),
        (lambda: Ridge(), False),
        (lambda: RidgeClassifier(), True),
        (lambda: SparseFTRLClassifier(random_state=0), True),
        (lambda: SparseFTRLRegressor(random_state=0), False),
    ],
    ids=[
        "sgd-regressor",
        "sgd-hinge",
        "sgd-log",
        "logistic",
        "linear",
        "ridge",
        "ridge-classifier",
        "ftrl-classifier",
        "ftrl-regressor",
    ],
)
def test_an_export_refuses_and_accepts_the_inputs_its_estimator_does(make, classes, tmp_path):
    # a dense X of str, bytes, dates or durations (a NumPy array, a list, a DataFrame's
    # columns, or categories of str) was converted to float64 and scored, where the
    # scikit-learn estimator refuses it (its check refuses str and bytes, its product the
    # rest)
    X = np.random.RandomState(0).normal(size=(60, 2))
    est = make().fit(X, X[:, 0] > 0 if classes else X[:, 0])
    exported = export_model(est)
    models = {"exported": exported, "loaded": round_trip(exported, tmp_path)}
    differences = []
    for name, X_other in _inputs_of_other_types().items():
        for method in ("predict", "decision_function", "predict_proba"):
            if not hasattr(est, method):
                continue
            expected = _outcome(getattr(est, method), X_other)
            for which, model in models.items():
                got = _outcome(getattr(model, method), X_other)
                if isinstance(got, type):
                    assert issubclass(got, (ValueError, TypeError)), (name, method, got)
                if isinstance(expected, type) != isinstance(got, type) or (
                    not isinstance(got, type) and not np.array_equal(got, expected)
                ):
                    differences.append((name, method, which, expected, got))
    assert differences == []


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1, 2]], dtype="datetime64[D]"), "dtype datetime64"),
        (np.array([[1, 2]], dtype="timedelta64[s]"), "dtype timedelta64"),
        (pd.DataFrame({0: pd.Categorical(["1"]), 1: [1.0]}), "type str"),
        (pd.DataFrame({0: pd.to_datetime([1], utc=True), 1: [1.0]}), "type Timestamp"),
        (np.array([["1", "2"]]), "bytes/strings"),
    ],
    ids=["datetime64", "timedelta64", "str-categories", "timestamps-with-tz", "str"],
)
def test_an_export_names_the_input_its_estimator_cannot_multiply(X, match):
    X_fit = np.random.RandomState(0).normal(size=(60, 2))
    exported = export_model(SGDClassifier(random_state=0).fit(X_fit, X_fit[:, 0] > 0))
    with pytest.raises((TypeError, ValueError), match=match):
        exported.decision_function(X)


def test_a_linear_discriminant_analysis_subclass_exports_its_log_probabilities(tmp_path):
    # the file records a class name only: a subclass's export took a probability of 0 as
    # log(0) = -inf, where the estimator (LDA's predict_log_proba) gives log(smallest normal)
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    class SubclassedLDA(LinearDiscriminantAnalysis):
        pass

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    for n_classes in (2, 3):
        y = np.digitize(X[:, 0] + X[:, 1], [-1.0, 1.0][: n_classes - 1])
        lda = SubclassedLDA().fit(X, y)
        far = X * 60
        assert (lda.predict_proba(far) == 0).any()
        for exported in (export_model(lda), round_trip(export_model(lda), tmp_path)):
            assert_array_equal(exported.predict_log_proba(far), lda.predict_log_proba(far))
            assert np.isfinite(exported.predict_log_proba(far)).all()


@pytest.mark.parametrize("source", ["ftrl", "logistic"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_an_export_refuses_a_masked_x_as_the_estimator_does(source, method, tmp_path):
    # the masked entry hides 1e6: read, it decided the scores
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    est = (SparseFTRLClassifier() if source == "ftrl" else LogisticRegression()).fit(X, y)
    masked = np.ma.masked_array(X[:5].copy(), mask=np.zeros((5, 3), dtype=bool))
    masked.data[0, 0], masked.mask[0, 0] = 1e6, True
    model = export_model(est)
    for scorer in (model, round_trip(model, tmp_path)):
        with pytest.raises(TypeError, match="masked array as X"):
            getattr(scorer, method)(masked)


@pytest.mark.parametrize("source", ["ftrl", "logistic"])
@pytest.mark.parametrize("as_list", [False, True])
def test_an_export_names_an_int_beyond_float64_in_x(source, as_list):
    # NumPy's OverflowError ("int too large to convert to float") named no argument, where
    # the FTRL estimators raise a ValueError naming X
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    est = (SparseFTRLClassifier() if source == "ftrl" else LogisticRegression()).fit(X, y)
    huge = X[:2].astype(object)
    huge[0, 0] = 10**400
    model = export_model(est)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="X holds an integer beyond float64"):
            getattr(model, method)(huge.tolist() if as_list else huge)


@pytest.mark.parametrize("source", ["ftrl", "logistic"])
@pytest.mark.parametrize("sparse", [False, True])
def test_an_export_names_x_for_nan_and_infinity_as_the_estimator_does(source, sparse, tmp_path):
    # the estimator says "Input X contains NaN", the export said "Input contains NaN"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    est = (SparseFTRLClassifier() if source == "ftrl" else LogisticRegression()).fit(X, y)
    model = export_model(est)
    for bad, what in ((np.nan, "NaN"), (np.inf, "infinity")):
        rows = X[:2].copy()
        rows[1, 2] = bad
        rows = sp.csr_matrix(rows) if sparse else rows
        for scorer in (est, model, round_trip(model, tmp_path)):
            with pytest.raises(ValueError, match=f"Input X contains {what}"):
                scorer.predict(rows)


def test_a_fitted_search_is_told_to_export_its_chosen_model():
    # ("GridSearchCV has no coef_ and intercept_: export_model exports linear models." named
    # no way on; SparseFTRLClassifierCV is exported as its best_estimator_ itself)
    from sklearn.model_selection import GridSearchCV

    rng = np.random.RandomState(0)
    X = rng.rand(80, 4)
    y = (X[:, 0] > 0.5).astype(int)
    search = GridSearchCV(SparseFTRLClassifier(random_state=0), {"alpha": [1e-4, 1e-2]}, cv=2)
    search.fit(X, y)
    with pytest.raises(
        TypeError,
        match=r"GridSearchCV has no coef_ and intercept_: export_model exports linear models; "
        r"export its chosen model: export_model\(GridSearchCV\(\.\.\.\)\.fit\(X, y\)"
        r"\.best_estimator_\)\.",
    ):
        export_model(search)
    chosen = export_model(search.best_estimator_)
    assert_array_equal(chosen.predict(X), search.predict(X))
    # sparsity_report says so too (it named no way on)
    from sparsereg import sparsity_report

    with pytest.raises(
        TypeError,
        match=r"GridSearchCV has no coef_: .*; report its chosen model: sparsity_report\("
        r"GridSearchCV\(\.\.\.\)\.fit\(X, y\)\.best_estimator_\)\.",
    ):
        sparsity_report(search)
    assert sparsity_report(search.best_estimator_).n_nonzero == chosen.support_.size
    # an estimator without best_estimator_ keeps the plain message
    with pytest.raises(
        TypeError,
        match=r"Normalizer has no coef_ and intercept_: export_model "
        r"exports linear models\.$",
    ):
        export_model(Normalizer().fit(X))


@pytest.mark.parametrize(
    "make, n_classes",
    [
        (lambda: SparseFTRLClassifier(random_state=0), 2),
        (lambda: SparseFTRLClassifier(random_state=0), 3),
        (lambda: LogisticRegression(), 3),
        (lambda: SparseFTRLRegressor(random_state=0), None),
        (lambda: Ridge(), None),
    ],
)
def test_score_is_the_estimators(make, n_classes):
    # (it had none: dask-ml's ParallelPostFit(exported).score, and `model.score(X, y)` of a
    # served model, raised AttributeError)
    est = make()
    rng = np.random.RandomState(0)
    X = sp.random(300, 40, density=0.2, format="csr", random_state=rng)
    signal = np.asarray(X[:, :5].sum(axis=1)).ravel() - np.asarray(X[:, 5:10].sum(axis=1)).ravel()
    if n_classes is None:
        y = signal + rng.normal(scale=0.1, size=300)
    else:
        y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, n_classes + 1)[1:-1]))
    est.fit(X, y)
    exported = export_model(est)
    weight = rng.uniform(0, 2, 300)
    for w in (None, weight):
        assert exported.score(X, y, sample_weight=w) == est.score(X, y, sample_weight=w)
    assert exported.score(X, y, sample_weight=weight) != exported.score(X, y)
    assert 1 / 3 < exported.score(X, y) <= 1.0
    # y and weights refused as the estimators' score refuses them (the metric scored text
    # weights as the numbers they spell, and a masked array's masked values)
    bad = [
        (dict(sample_weight=weight.astype(str)), ValueError, "sample_weight of dtype <U"),
        (dict(sample_weight=np.ma.masked_less(weight, 0.5)), TypeError, "masked array"),
        (dict(y=np.ma.masked_equal(y, y[0])), TypeError, "masked array"),
    ]
    if n_classes is None:
        bad.append((dict(y=np.where(np.arange(300) == 7, np.nan, y)), ValueError, "Input y"))
    for change, error, match in bad:
        given = dict(y=y, sample_weight=None) | change
        with pytest.raises(error, match=match):
            exported.score(X, given["y"], sample_weight=given["sample_weight"])


@pytest.mark.parametrize(
    "hasher_args, fitted, hashed_columns, warns",
    [
        ({"crosses": ["zip", ("zip", "site")]}, False, "inferred", True),
        ({"crosses": None}, False, "inferred", True),
        ({"crosses": ["zip", ("zip", "site")]}, True, "inferred", False),
        ({"crosses": ["zip"]}, False, {"zip": "text"}, False),
        ({"crosses": ["zip"]}, False, "text", False),
        ({"crosses": ["n"], "buckets": {"n": {"width": 0.5}}}, False, "inferred", False),
    ],
)
def test_an_export_of_a_hasher_never_fitted_says_the_file_records_no_kinds(
    hasher_args, fitted, hashed_columns, warns
):
    # a hasher is stateless and transforms unfitted (a model trained by partial_fit of its
    # output): its export recorded no kinds, and `sparsereg predict` read zip codes of text
    # as numbers, without a word
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"zip": rng.choice(["02139", "10001"], 200), "site": rng.choice(["a", "b"], 200)}
    ).assign(n=rng.rand(200))
    y = (frame["zip"] == "02139").astype(int)
    hasher = FeatureCrossHasher(n_features=2**10, **hasher_args)
    if fitted:
        hasher.fit(frame)
    model = SparseFTRLClassifier(random_state=0).fit(hasher.transform(frame), y)
    pipe = make_pipeline(hasher, model)
    if not warns:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            export_model(pipe, hashed_columns=hashed_columns)
        return
    with pytest.warns(UserWarning, match="FeatureCrossHasher was never fitted") as caught:
        export_model(pipe, hashed_columns=hashed_columns)
    assert caught[0].filename == __file__


def _hand_built_coef(kind, rows, columns, data, indices, indptr=None, far_index=None):
    """A sparse coef_ of ``kind`` whose arrays are set by hand (as scipy lets them be)."""
    if kind == "csr":
        coef = sp.csr_matrix((rows, columns))
        coef.data, coef.indices, coef.indptr = data, indices, indptr
    elif kind == "dia":  # (fewer offsets than rows of data)
        coef = sp.dia_matrix(np.arange(1.0, 1.0 + rows * columns).reshape(rows, columns))
        coef.offsets = coef.offsets[:2]
    elif kind == "lil":  # (its first row's last column index replaced)
        coef = sp.lil_matrix(np.ones((rows, columns)))
        coef.rows[0] = [*coef.rows[0][:-1], far_index]
    else:  # csc, one entry, its row index replaced
        coef = sp.csc_matrix(([1.0], ([0], [3])), shape=(rows, columns))
        coef.indices = np.array([far_index], dtype=np.int32)
    return coef


@pytest.mark.parametrize(
    "attribute, value, message",
    [
        # a CSC row index far beyond the shape: scipy's conversion wrote out of bounds (a
        # segmentation fault); smaller ones corrupted the heap
        (
            "coef_",
            lambda: _hand_built_coef("csc", 3, 30, None, None, far_index=50_000_000),
            r"coef_ is not a sparse matrix of its shape: CSC indices must lie in \[0, 3\)",
        ),
        # CSR column indices beyond the width: exported, ignored by scores, saved in a file
        # that load_model refused
        *[
            (
                "coef_",
                lambda bad=bad: _hand_built_coef(
                    "csr",
                    3,
                    30,
                    np.array([1.0, 2.0]),
                    np.array([5, bad], np.int32),
                    np.array([0, 2, 2, 2], np.int32),
                ),
                r"CSR column indices must lie in \[0, 30\)",
            )
            for bad in (-1, 30, 300)
        ],
        (  # a decreasing indptr: scipy's C++ "vector::_M_default_append" RuntimeError
            "coef_",
            lambda: _hand_built_coef(
                "csr",
                3,
                30,
                np.array([1.0, 2.0]),
                np.array([5, 6], np.int32),
                np.array([0, 3, 1, 2], np.int32),
            ),
            "its CSR indptr must be 4 non-decreasing offsets",
        ),
        ("coef_", lambda: np.zeros((1, 3, 30)), "coef_ has 3 dimensions"),
        # DIA and LIL: scipy trusts their structures as well (a crash; scores reading X out
        # of bounds)
        ("coef_", lambda: _hand_built_coef("dia", 3, 30, None, None), "one offset per row"),
        (
            "coef_",
            lambda: _hand_built_coef("lil", 3, 30, None, None, far_index=50),
            "axis 1 index 50 exceeds matrix dimension 30",
        ),
        ("coef_", lambda: np.zeros((0, 30)), r"coef_ has shape \(0, 30\): no weight vector"),
        ("coef_", lambda: sp.csr_matrix((3, 0)), r"coef_ has shape \(3, 0\)"),
        (  # numpy's "operands could not be broadcast together with remapped shapes"
            "intercept_",
            lambda: np.zeros(2),
            r"intercept_ has shape \(2,\); a model of 3 weight vector\(s\) has one intercept or",
        ),
        ("intercept_", lambda: np.zeros((3, 1)), r"intercept_ has shape \(3, 1\)"),
    ],
)
def test_export_model_names_a_coef_or_intercept_that_is_not_a_linear_models(
    attribute, value, message
):
    rng = np.random.RandomState(0)
    X = rng.binomial(1, 0.2, size=(300, 30)).astype(float)
    model = LogisticRegression().fit(X, (X[:, 0] + 2 * X[:, 1]).astype(int) % 3)
    setattr(model, attribute, value())
    with pytest.raises(ValueError, match=message):
        export_model(model)


def test_a_coef_given_as_lists_exports_as_its_array():
    rng = np.random.RandomState(0)
    X = rng.binomial(1, 0.2, size=(300, 30)).astype(float)
    model = LogisticRegression().fit(X, (X[:, 0] + 2 * X[:, 1]).astype(int) % 3)
    # the array that np.asarray makes of the lists: C-ordered where the fitted coef_ is
    # Fortran-ordered (whose BLAS sums may differ in the last bit on a machine with AVX-512)
    model.coef_ = np.ascontiguousarray(model.coef_)
    expected = export_model(model).predict_proba(X)
    model.coef_, model.intercept_ = model.coef_.tolist(), model.intercept_.tolist()
    assert_array_equal(export_model(model).predict_proba(X), expected)


def test_a_csr_whose_shape_claims_more_rows_than_its_indptr_is_refused_before_allocating():
    # the CSR of rows handed on was made as an empty matrix of X's shape before its indptr's
    # length was compared: 7.28 TiB asked of NumPy for a shape of 10**12 rows
    rng = np.random.RandomState(0)
    X = sp.random(50, 20, density=0.3, format="csr", random_state=rng)
    y = rng.randint(2, size=50)
    estimator = SparseFTRLClassifier(random_state=0).fit(X, y)
    hostile = X[:6].copy()
    hostile._shape = (10**12, 20)  # (scipy lets a shape be set without its indptr)
    for model in (estimator, export_model(estimator), export_model(LogisticRegression().fit(X, y))):
        peak = peak_bytes(lambda model=model: pytest.raises(ValueError, model.predict, hostile))
        assert peak < 2**20
        with pytest.raises(ValueError, match="indptr has 7 entries; a matrix with"):
            model.predict(hostile)
