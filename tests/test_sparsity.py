"""sparsity_report against direct counts on known coefficients, and nnz_history_."""

import importlib.util
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Lasso, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.tree import DecisionTreeRegressor

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.datasets import fetch_sms_spam
from sparsereg.sparsity import SparsityReport, csr_nbytes, sparsity_report


def csr_size(coef):
    """Bytes of the CSR matrix scipy actually builds from ``coef``."""
    m = sp.csr_matrix(np.atleast_2d(coef))
    return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes


def tiny_data(seed=0, n_rows=60, n_features=12, dead=(3, 7, 11)):
    """Binary rows in which the columns ``dead`` are never non-zero."""
    rng = np.random.RandomState(seed)
    X = rng.binomial(1, 0.3, size=(n_rows, n_features)).astype(float)
    X[:, list(dead)] = 0.0
    return X, rng


# ------------------------------------------------------------------- any linear model
def test_hand_set_sgd_regressor():
    X, rng = tiny_data()
    reg = SGDRegressor(max_iter=5, tol=None, random_state=0).fit(X, rng.normal(size=60))
    reg.coef_ = np.array([0.0, 1.5, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3e-300])
    report = sparsity_report(reg)
    assert isinstance(report, SparsityReport)
    assert report.estimator == "SGDRegressor"
    assert (report.n_models, report.n_features, report.n_coefficients) == (1, 12, 12)
    assert report.nonzero == (3,) and report.n_nonzero == 3 and report.nonzero_union == 3
    assert report.zero_fraction == 9 / 12
    assert report.coef_dtype == "float64" and report.coef_format == "dense"
    assert report.coef_dense_bytes == 12 * 8 == reg.coef_.nbytes
    assert report.coef_csr_bytes == 3 * 8 + 3 * 4 + 2 * 4 == csr_size(reg.coef_)
    assert report.touched is None and report.never_touched is None
    assert report.touched_and_zero is None and report.state_bytes is None


def test_hand_set_multiclass_per_class_and_union():
    X, rng = tiny_data(n_features=5, dead=())
    clf = SGDClassifier(max_iter=5, tol=None, random_state=0).fit(X, rng.randint(0, 3, 60))
    clf.coef_ = np.array(
        [[0.0, 1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, -1.0, 0.0]]
    )
    report = sparsity_report(clf)
    assert report.n_models == 3 and report.n_coefficients == 15
    assert report.nonzero == (2, 1, 1) and report.n_nonzero == 4
    assert report.nonzero_union == 3  # features 1, 3, 4
    assert report.zero_fraction == 11 / 15
    assert report.coef_dense_bytes == 15 * 8
    assert report.coef_csr_bytes == 4 * 8 + 4 * 4 + 4 * 4 == csr_size(clf.coef_)

    clf.sparsify()  # the same counts from a CSR coef_
    sparse = sparsity_report(clf)
    assert sparse.coef_format == "csr"
    assert (sparse.nonzero, sparse.nonzero_union, sparse.coef_csr_bytes) == (
        report.nonzero,
        report.nonzero_union,
        report.coef_csr_bytes,
    )


def test_explicit_zeros_and_duplicates_in_a_csr_coef_are_not_non_zeros():
    X, rng = tiny_data(n_features=6, dead=())
    clf = SGDClassifier(max_iter=5, tol=None, random_state=0).fit(X, rng.randint(0, 2, 60))
    # row 0 stores an explicit 0.0 at column 2 and column 4 twice (1.0 - 1.0 = 0)
    clf.coef_ = sp.csr_matrix(
        (np.array([1.0, 0.0, 1.0, -1.0]), np.array([0, 2, 4, 4]), np.array([0, 4])), shape=(1, 6)
    )
    report = sparsity_report(clf)
    assert report.nonzero == (1,) and report.nonzero_union == 1
    assert report.zero_fraction == 5 / 6


def test_sparsified_sgd_regressor_is_described_as_its_dense_coef():
    # SGDRegressor.sparsify() holds a CSR of one dimension, which scipy does not reshape:
    # the report failed with scipy's "shape must have length in (2,)"
    X, rng = tiny_data()
    reg = SGDRegressor(penalty="l1", alpha=0.05, random_state=0).fit(X, X[:, 0] - X[:, 1])
    dense = sparsity_report(reg)
    sparse = sparsity_report(reg.sparsify())
    assert sparse.coef_format == "csr" and (sparse.n_models, sparse.n_features) == (1, 12)
    assert sparse.nonzero == dense.nonzero == (np.count_nonzero(reg.coef_.toarray()),)
    assert sparse.nonzero_union == dense.nonzero_union
    assert sparse.coef_csr_bytes == dense.coef_csr_bytes == csr_size(reg.coef_.toarray())
    assert sparse.coef_dense_bytes == dense.coef_dense_bytes == 12 * 8


def test_float32_coef_is_counted_at_4_bytes():
    X, rng = tiny_data()
    reg = SGDRegressor(max_iter=5, tol=None, random_state=0).fit(X, rng.normal(size=60))
    reg.coef_ = np.zeros(12, dtype=np.float32)
    reg.coef_[[0, 5]] = 1.0
    report = sparsity_report(reg)
    assert report.coef_dtype == "float32"
    assert report.coef_dense_bytes == 48
    assert report.coef_csr_bytes == 2 * 4 + 2 * 4 + 2 * 4 == csr_size(reg.coef_)


def test_csr_index_width_follows_scipy():
    assert csr_nbytes(1, 2**31 - 1, 10, np.float64) == 10 * 8 + 12 * 4
    assert csr_nbytes(1, 2**31, 10, np.float64) == 10 * 8 + 12 * 8
    assert csr_nbytes(3, 100, 0, np.float32) == 4 * 4


@pytest.mark.parametrize(
    "counts, error",
    [
        ((1, 10, -5), ValueError),  # gave -52 bytes
        ((-1, 10, 5), ValueError),
        ((1, 10, 11), ValueError),  # more values than cells
        ((1.5, 10, 5), TypeError),  # gave a fractional size
        ((1, 10, True), TypeError),
    ],
)
def test_csr_nbytes_refuses_counts_no_matrix_has(counts, error):
    with pytest.raises(error, match="n_rows|n_cols|nnz"):
        csr_nbytes(*counts, np.float64)


def test_csr_nbytes_takes_numpy_counts_of_a_wide_matrix():
    # the check of nnz against the cells multiplied NumPy ints, which wrapped to 0 cells
    expected = csr_nbytes(2**20, 2**62, 5, np.float64)
    assert expected == 5 * 8 + (5 + 2**20 + 1) * 8
    assert csr_nbytes(np.int64(2**20), np.int64(2**62), np.int64(5), np.float64) == expected


@pytest.mark.parametrize(
    "model",
    [
        Lasso(alpha=0.05),
        LogisticRegression(l1_ratio=1.0, C=0.3, solver="liblinear"),
        LogisticRegression(l1_ratio=1.0, C=0.3, solver="saga", max_iter=2000),
    ],
)
def test_fitted_sklearn_models_match_numpy_counts(model):
    X, rng = tiny_data(n_rows=120)
    y = X[:, 0] + X[:, 1] - X[:, 2] + 0.1 * rng.normal(size=120)
    if "Logistic" in type(model).__name__:
        y = np.digitize(y, [0.5, 1.5]) if model.solver == "saga" else (y > 0.5).astype(int)
    model.fit(X, y)
    coef = np.atleast_2d(model.coef_)
    report = sparsity_report(model)
    assert report.nonzero == tuple(np.count_nonzero(coef, axis=1))
    assert report.nonzero_union == np.count_nonzero(np.any(coef != 0, axis=0))
    assert report.zero_fraction == np.mean(coef == 0)
    assert report.coef_csr_bytes == csr_size(coef)
    assert 0 < report.n_nonzero < coef.size


def test_pipeline_is_described_by_its_last_step():
    X, rng = tiny_data()
    pipe = make_pipeline(MaxAbsScaler(), Lasso(alpha=0.05)).fit(X, X[:, 0])
    assert sparsity_report(pipe) == sparsity_report(pipe[-1])


def test_unfitted_and_non_linear_models_are_rejected():
    with pytest.raises(NotFittedError):
        sparsity_report(SGDRegressor())
    with pytest.raises(NotFittedError):
        sparsity_report(SparseFTRLRegressor())
    X, _ = tiny_data()
    with pytest.raises(TypeError, match="no coef_"):
        sparsity_report(DecisionTreeRegressor().fit(X, X[:, 0]))


@pytest.mark.parametrize(
    "nonzero, shown",
    [(50, "> 99.99 %"), (2**20 - 50, "< 0.01 %"), (0, "100.00 %"), (2**20, "0.00 %")],
)
def test_the_zero_percentage_is_never_rounded_to_all_or_none(nonzero, shown):
    # 50 non-zero weights of 2**20 were "(100.00 % exactly zero)", and 50 zeros "0.00 %"
    reg = SGDRegressor(max_iter=1, tol=None).fit(np.eye(2), [0.0, 1.0])
    reg.coef_ = np.zeros(2**20)
    reg.coef_[:nonzero] = 1.0
    assert f"{nonzero:,} of {2**20:,} ({shown} exactly zero)" in str(sparsity_report(reg))


def test_report_is_frozen_printable_and_html():
    X, rng = tiny_data()
    clf = SparseFTRLClassifier(alpha=1e-2, random_state=0).fit(X, rng.randint(0, 3, 60))
    report = sparsity_report(clf)
    with pytest.raises(AttributeError):
        report.nonzero = (0,)
    text = str(report)
    assert text.startswith("Sparsity of SparseFTRLClassifier (3 models x 12 features)")
    assert f"{report.n_nonzero} of 36" in text and "never touched: 3" in text
    html = report._repr_html_()
    assert html.startswith("<table>") and "touched but zeroed by L1" in html


# ----------------------------------------------------------------------- FTRL models
@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize(
    "Est, y_kind",
    [
        (SparseFTRLRegressor, "real"),
        (SparseFTRLClassifier, "binary"),
        (SparseFTRLClassifier, "multiclass"),
    ],
)
def test_ftrl_statistics_are_direct_counts(Est, y_kind, store):
    X, rng = tiny_data()
    y = {
        "real": X[:, 0] - X[:, 1] + rng.normal(size=60),
        "binary": rng.randint(0, 2, 60),
        "multiclass": rng.randint(0, 3, 60),
    }[y_kind]
    est = Est(alpha=0.02, random_state=0, max_iter=3, tol=None, state_store=store).fit(X, y)
    coef = np.atleast_2d(est.coef_.toarray() if sp.issparse(est.coef_) else est.coef_)
    n_models = coef.shape[0]
    report = sparsity_report(est)

    assert report.nonzero == tuple(np.count_nonzero(coef, axis=1)) == tuple(est.count_nonzero())
    assert report.nonzero_union == np.count_nonzero(np.any(coef != 0, axis=0))
    # every row touches the non-zero columns of X (log-loss and squared-error
    # gradients are never exactly 0), and no row touches the dead columns 3, 7, 11
    alive = np.any(X != 0, axis=0)
    assert report.touched == (int(alive.sum()),) * n_models == (9,) * n_models
    assert report.never_touched == 3
    assert report.touched_and_zero == tuple(np.count_nonzero((coef == 0) & alive, axis=1))
    assert report.n_nonzero + sum(report.touched_and_zero) == n_models * 9  # dead ones are 0
    assert sum(report.touched_and_zero) > 0  # the alpha is large enough for L1 to act
    if store == "dense":  # (z, n) of every column and of the intercept
        assert report.state_bytes == n_models * (12 + 1) * 2 * 8
    else:  # a table of the columns seen: slots, keys, load
        assert report.state_bytes > n_models * 9 * 2 * 8
    assert report.coef_format == ("csr" if store == "sparse" else "dense")
    assert report.coef_dense_bytes == coef.nbytes
    assert report.coef_csr_bytes == csr_size(coef)


def test_ftrl_float32_coef_and_sparsified_coef():
    X, rng = tiny_data()
    clf = SparseFTRLClassifier(alpha=0.02, random_state=0).fit(
        X.astype(np.float32), rng.randint(0, 2, 60)
    )
    dense = sparsity_report(clf)
    assert dense.coef_dtype == "float32" and dense.coef_dense_bytes == 12 * 4
    sparse = sparsity_report(clf.sparsify())
    assert sparse.coef_format == "csr"
    assert (sparse.nonzero, sparse.touched_and_zero) == (dense.nonzero, dense.touched_and_zero)


def test_report_is_never_stale_after_partial_fit():
    X, rng = tiny_data()
    y = rng.randint(0, 2, 60)
    clf = SparseFTRLClassifier(alpha=1e-4, penalty_scale="sum", random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    before = sparsity_report(clf)
    assert before.never_touched == 3
    X2 = np.zeros_like(X)
    X2[:, [3, 7]] = 1.0  # two columns seen for the first time
    clf.partial_fit(X2, y)
    after = sparsity_report(clf)
    assert after.never_touched == 1
    assert after.touched == (11,)
    assert after.nonzero == tuple(clf.count_nonzero()) == tuple(np.count_nonzero(clf.coef_, axis=1))
    assert after.nonzero != before.nonzero


# ------------------------------------------------------------------ nnz_history_
# ``nnz_history_``: a list of ``(t, nnz)`` with ``t`` the samples seen when it was
# recorded and ``nnz`` the non-zero weights of each model then (a batch whose non-zeros
# are not tiny next to the state is always recorded).
@pytest.mark.parametrize(
    "Est, classes",
    [
        (SparseFTRLRegressor, None),
        (SparseFTRLClassifier, [0, 1]),
        (SparseFTRLClassifier, [0, 1, 2]),
    ],
)
def test_nnz_history_one_entry_per_fit_epoch(Est, classes):
    X, rng = tiny_data()
    y = rng.randint(0, len(classes), 60) if classes else X[:, 0] + rng.normal(size=60)
    est = Est(alpha=0.02, random_state=0, max_iter=4, tol=None).fit(X, y)
    history = est.nnz_history_
    assert [t for t, _ in history] == [60, 120, 180, 240]
    n_models = 1 if classes is None or len(classes) == 2 else len(classes)
    assert all(len(nnz) == n_models for _, nnz in history)
    np.testing.assert_array_equal(history[-1][1], est.count_nonzero())

    # the same epochs by partial_fit: the count after each call is the one recorded
    stream = Est(alpha=0.02, random_state=0)
    kwargs = {"classes": classes} if classes else {}
    for epoch in range(4):
        stream.partial_fit(X, y, **kwargs)
        assert len(stream.nnz_history_) == epoch + 1
        t, nnz = stream.nnz_history_[-1]
        assert t == stream.t_ == 60 * (epoch + 1)
        np.testing.assert_array_equal(nnz, stream.count_nonzero())


def test_a_streams_history_grows_as_the_log_of_t_and_fits_record_each_epoch():
    """1-row calls on an 8-column model (each count cheap): a record only once t has grown
    by 10 % since the last, so 5,000 calls keep ~70 (it was one per call, without end); the
    15 epochs of a fit on the same rows are each recorded (from the 11th on, t grows by less
    than 10 % an epoch)."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(5000, 8))
    y = X[:, 0] - X[:, 3] + 0.1 * rng.normal(size=5000)
    est = SparseFTRLRegressor(random_state=0)
    for i in range(5000):
        est.partial_fit(X[i : i + 1], y[i : i + 1])
    ts = [t for t, _ in est.nnz_history_]
    assert ts[0] == 1 and all(10 * b >= 11 * a for a, b in zip(ts[:-1], ts[1:]))
    assert 60 <= len(ts) <= 100
    # the full path (rows as lists) records as the per-call path does
    listed = SparseFTRLRegressor(random_state=0)
    for i in range(500):
        listed.partial_fit(X[i : i + 1].tolist(), y[i : i + 1].tolist())
    assert [t for t, _ in listed.nnz_history_] == [t for t in ts if t <= 500]
    fitted = SparseFTRLRegressor(random_state=0, max_iter=15, tol=None).fit(X[:300], y[:300])
    assert [t for t, _ in fitted.nnz_history_] == [300 * (k + 1) for k in range(15)]
    assert fitted.nnz_history_[-1][1] == tuple(fitted.count_nonzero())


@pytest.mark.parametrize("n_classes", [None, 3])
def test_a_stream_of_small_calls_pays_a_bounded_share_for_its_history(n_classes):
    """10-row calls of 50 non-zeros on a dense store of 4,096 columns per model (fewer than
    one non-zero per 32 columns held): each count reads every column held, so after the first
    a call is recorded once t has grown by 10 % since the last record and the rows since then
    hold at least one non-zero per column (each model trains on every non-zero: one-vs-rest's
    3 models as one), and then at once: every ~820 rows up to t ~ 8,200, every 10 % after.
    (With the 10 % alone, 100-row calls at 2**24 columns spent 4.5x their median time on
    counts.)"""
    n_features, per_row, warm, n_rows = 4096, 5, 10, 30_000
    rng = np.random.RandomState(0)
    spread = np.arange(per_row) * (n_features // per_row)  # 5 distinct columns a row
    cols = np.sort((rng.randint(0, n_features, (n_rows, 1)) + spread) % n_features, axis=1)
    X = sp.csr_matrix(
        (np.ones(cols.size), cols.ravel(), np.arange(0, cols.size + 1, per_row)),
        shape=(n_rows, n_features),
    )
    if n_classes is None:
        est, y, extra = SparseFTRLRegressor(state_store="dense"), rng.normal(size=n_rows), {}
    else:
        est = SparseFTRLClassifier(state_store="dense")
        y, extra = rng.randint(0, n_classes, n_rows), {"classes": list(range(n_classes))}
    est.partial_fit(X[:warm], y[:warm], **extra)
    ends = list(range(warm + 10, n_rows + 1, 10))
    for end in ends:
        est.partial_fit(X[end - 10 : end], y[end - 10 : end])
    recorded = [t for t, _ in est.nnz_history_]
    assert recorded[0] == warm
    last = warm
    for end in ends:
        due = 10 * end >= 11 * last and (end - last) * per_row >= n_features
        assert (end in recorded) == due, end
        last = end if due else last
    gaps = np.diff(recorded)
    needed = -(-n_features // (10 * per_row)) * 10  # rows of one non-zero per column: 820
    assert gaps[0] == needed and gaps[-1] > needed  # first the non-zeros gate, then the 10 %


@settings(max_examples=40, deadline=None)
@given(
    n_features=st.sampled_from([64, 65, 127, 128, 4096, 2**20 + 1]),
    index_dtype=st.sampled_from([np.int32, np.int64]),
    seed=st.integers(0, 2**31 - 1),
)
def test_nnz_history_of_a_wide_fit_counts_every_trained_column(n_features, index_dtype, seed):
    # X with fewer non-zeros than columns: a new model's count after each epoch reads only
    # X's columns (found with a bitmap of 64-bit words). Each epoch's count must be the count
    # over every column after a fit of that many epochs; the columns include the words'
    # edges and the last column. (default_rng: RandomState.choice without replacement
    # permutes every column for each row: 12 permutations of 2**20 an example.)
    rng = np.random.default_rng(seed)
    edges = [c for c in (0, 63, 64, 127, n_features - 1) if c < n_features]
    n_rows = 12
    rows, cols = [], []
    for r in range(n_rows):
        picked = set(rng.choice(n_features, size=min(3, n_features), replace=False).tolist())
        picked.add(edges[r % len(edges)])
        rows += [r] * len(picked)
        cols += sorted(picked)
    X = sp.csr_matrix((rng.uniform(0.5, 2.0, len(cols)), (rows, cols)), shape=(n_rows, n_features))
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    assert X.nnz < n_features or n_features <= 65
    y = rng.normal(size=n_rows)
    params = dict(alpha=0.05, penalty="l1", eta0=0.5, random_state=seed % 1000, tol=None)
    est = SparseFTRLRegressor(max_iter=3, **params).fit(X, y)
    for epoch, (t, nnz) in enumerate(est.nnz_history_, start=1):
        again = SparseFTRLRegressor(max_iter=epoch, **params).fit(X, y)
        assert t == again.t_ == epoch * n_rows
        assert nnz == tuple(again.count_nonzero())
        assert nnz == (np.count_nonzero(again.coef_),)


def test_nnz_history_restarts_with_fit_and_continues_with_warm_start():
    X, rng = tiny_data()
    y = rng.randint(0, 2, 60)
    clf = SparseFTRLClassifier(alpha=0.02, random_state=0, max_iter=2, tol=None).fit(X, y)
    clf.fit(X, y)
    assert [t for t, _ in clf.nnz_history_] == [60, 120]
    clf.set_params(warm_start=True).fit(X, y)
    assert [t for t, _ in clf.nnz_history_] == [60, 120, 180, 240]
    clf.partial_fit(X, y)
    assert [t for t, _ in clf.nnz_history_] == [60, 120, 180, 240, 300]
    assert not hasattr(clone(clf), "nnz_history_")


def test_nnz_history_shows_l1_removing_weights_and_survives_pickle_and_sparsify():
    X, rng = tiny_data(n_rows=200, n_features=40, dead=())
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = SparseFTRLClassifier(alpha=0.02, random_state=0, max_iter=5, tol=None).fit(X, y)
    counts = [int(np.sum(nnz)) for _, nnz in clf.nnz_history_]
    assert counts[-1] < counts[0]  # mean-scaled lambda1 grows with t and prunes
    restored = pickle.loads(pickle.dumps(clf.sparsify()))
    assert [t for t, _ in restored.nnz_history_] == [t for t, _ in clf.nnz_history_]
    assert [list(n) for _, n in restored.nnz_history_] == [list(n) for _, n in clf.nnz_history_]


# ------------------------------------------------------------------------ the example
def test_l1_vs_l2_example_writes_its_picture(local_dataset, tmp_path, capsys):
    local_dataset(fetch_sms_spam)  # here (SPARSEREG_DATA or the cache), so the example reads it
    path = Path(__file__).resolve().parents[1] / "examples" / "l1_vs_l2.py"
    spec = importlib.util.spec_from_file_location("l1_vs_l2", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "l1_vs_l2.png"
    # one pass: the docs build runs the example as the README shows it (5 passes) and
    # tests/test_docs.py checks the README's caption against what that run printed
    assert example.main(["--out", str(out), "--epochs", "1"]) == 0
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "SMS spam, 5,574 messages" in printed and "exactly zero" in printed
    assert "1 passes of partial_fit(250 rows)" in printed
    assert re.findall(r"^FTRL (L[12]) \(alpha=", printed, re.MULTILINE) == ["L1", "L2"]


@pytest.mark.parametrize(
    "args", [["--epochs", "0"], ["--batch", "0"], ["--batch", "-5"], ["--out", "folder"]]
)
def test_l1_vs_l2_example_refuses_bad_arguments_before_any_work(
    local_dataset, tmp_path, monkeypatch, capsys, args
):
    # (NotFittedError or range()'s ValueError after loading; a folder written as folder.png)
    local_dataset(fetch_sms_spam)  # here, so that even a run past the arguments downloads none
    monkeypatch.chdir(tmp_path)  # (the default --out is examples/l1_vs_l2.png)
    path = Path(__file__).resolve().parents[1] / "examples" / "l1_vs_l2.py"
    spec = importlib.util.spec_from_file_location("l1_vs_l2", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    (tmp_path / "folder").mkdir()
    args = [str(tmp_path / a) if a == "folder" else a for a in args]
    with pytest.raises(SystemExit) as exit_info:
        example.main(args)
    assert exit_info.value.code == 2 and args[0] in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_a_column_whose_n_underflowed_counts_as_touched():
    # n sums squared gradients: a column of 1e-170 gets gradients whose squares underflow to
    # 0 while z moves; the report called it never touched, with a non-zero weight
    X = np.tile([[1e-170, 1.0]], (50, 1))
    y = np.linspace(-1.0, 1.0, 50)
    est = SparseFTRLRegressor(penalty="l2", alpha=0.0, fit_intercept=False, random_state=0)
    est.fit(X, y)
    assert est.get_ftrl_state()["n"][0, 0] == 0.0 and est.coef_[0] != 0.0
    report = est.sparsity_report()
    assert report.touched == (2,) and report.never_touched == 0
    assert report.nonzero[0] + report.touched_and_zero[0] == report.touched[0]


def dense_coef(est):
    coef = est.coef_
    return np.atleast_2d(coef.toarray() if sp.issparse(coef) else coef)


@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize(
    "make, n_classes",
    [
        (lambda **p: SparseFTRLRegressor(**p), None),
        (lambda **p: SparseFTRLClassifier(**p), 2),
        (lambda **p: SparseFTRLClassifier(**p), 3),
        (lambda **p: SparseFTRLClassifier(multi_class="multinomial", **p), 3),
    ],
    ids=["regressor", "binary", "one-vs-rest", "multinomial"],
)
def test_counts_are_coefs_when_a_float32_weight_rounds_to_0(store, make, n_classes):
    # Column 5 is non-zero in one row, at float32's smallest number (1.4e-45): its z is a
    # gradient times that, and its weight about a tenth of z, which a float32 coef_ rounds
    # to 0. count_nonzero and nnz_history_ counted |z| > lambda1, one weight more than
    # coef_ holds (and the exported model ships).
    rng = np.random.RandomState(0)
    X = rng.binomial(1, 0.5, size=(200, 6)).astype(np.float32)
    X[:, 5] = 0.0
    X[7, 5] = np.float32(1e-45)
    score = X[:, 0] + X[:, 1] + rng.rand(200)
    y = score if n_classes is None else np.digitize(score, [1.0, 2.0][: n_classes - 1])
    est = make(alpha=0.0, state_store=store, max_iter=1, tol=None, random_state=0).fit(X, y)
    coef = dense_coef(est)
    assert coef.dtype == np.float32
    assert np.all(est.get_ftrl_state()["z"][:, -1] != 0) and np.all(coef[:, 5] == 0)
    counts = np.count_nonzero(coef, axis=1)
    np.testing.assert_array_equal(est.count_nonzero(), counts)
    np.testing.assert_array_equal(est.nnz_history_[-1][1], counts)
    report = est.sparsity_report()
    assert report.nonzero == tuple(counts)
    # the weight that rounds to 0 is touched and 0
    assert np.array_equal(np.add(report.nonzero, report.touched_and_zero), report.touched)
    # the same state read as float64 keeps the weight, and counts it
    wide = make(alpha=0.0, state_store=store).set_ftrl_state(
        {**est.get_ftrl_state(), "coef_dtype": np.array("float64")}
    )
    np.testing.assert_array_equal(wide.count_nonzero(), counts + 1)
    np.testing.assert_array_equal(wide.count_nonzero(), np.count_nonzero(dense_coef(wide), axis=1))


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(
        st.sampled_from([0.0, 5e-324, 1e-323, 3e-322, 1e-310, 1e-45, 1e-44, 7e-45, 1.0, -2.0, 1e6]),
        min_size=1,
        max_size=8,
    ),
    past_l1=st.lists(st.sampled_from([0.0, 5e-324, 2.0**-52, 1e-30]), min_size=1, max_size=4),
    n=st.sampled_from([0.0, 1e-300, 1.0, 1e6, 1e200]),
    dtype=st.sampled_from(["float32", "float64"]),
    store=st.sampled_from(["dense", "sparse"]),
    alpha=st.sampled_from([0.0, 1e-3, 1.0]),
    l1_ratio=st.sampled_from([0.0, 0.5, 1.0]),
    eta0=st.sampled_from([1e-10, 0.1, 1e10]),
    beta=st.sampled_from([1e-10, 1.0, 1e10]),
)
def test_counts_are_coefs_for_states_near_underflow(
    z, past_l1, n, dtype, store, alpha, l1_ratio, eta0, beta
):
    # every count of non-zero weights is coef_'s, whatever the weights underflow to: tiny z,
    # z just past lambda1 (|z| - lambda1 of one subnormal or one ulp), any rates and lambda2
    l1 = alpha * l1_ratio  # penalty='elasticnet', penalty_scale='sum': lambda1 as given
    z = z + [l1 + d for d in past_l1] + [-(l1 + d) for d in past_l1]
    m = len(z)
    state = {
        "columns": np.arange(m),
        "z": np.array([z]),
        "n": np.full((1, m), n),
        "intercept_z": np.zeros(1),
        "intercept_n": np.zeros(1),
        "t": np.int64(10),
        "n_features_in": np.int64(m),
        "coef_dtype": np.array(dtype),
    }
    est = SparseFTRLRegressor(
        alpha=alpha,
        penalty="elasticnet",
        l1_ratio=l1_ratio,
        penalty_scale="sum",
        eta0=eta0,
        beta=beta,
        state_store=store,
    )
    est.set_ftrl_state(state)
    coef = dense_coef(est)
    assert coef.dtype == dtype
    np.testing.assert_array_equal(est.count_nonzero(), np.count_nonzero(coef, axis=1))
    report = est.sparsity_report()
    assert report.nonzero[0] + report.touched_and_zero[0] == report.touched[0]


@pytest.mark.parametrize(
    "coef",
    [
        np.zeros((2, 3, 4)),
        np.array("abc"),
        np.array([1 + 2j]),
        sp.csr_matrix(np.array([[1j, 0.0, 2.0]])),  # (was counted as a complex CSR)
        sp.coo_array(np.ones((1, 2, 3))),  # (scipy's "CSR must be 1D or 2D")
    ],
)
def test_a_coef_that_is_no_weight_matrix_is_refused_naming_it(coef):
    model = Lasso().fit([[0.0], [1.0]], [0.0, 1.0])
    model.coef_ = coef
    with pytest.raises(ValueError, match="Lasso's coef_ must be a 1-D or 2-D array"):
        sparsity_report(model)
