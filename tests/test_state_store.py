"""The sparse state store and probabilistic feature inclusion."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import (
    SparseFTRLClassifier,
    SparseFTRLClassifierCV,
    SparseFTRLRegressor,
    SparseFTRLRegressorCV,
)

from .memory_helpers import ForkedPythons
from .state_helpers import assert_same_state, dense_state, held_columns, intercept_state


def _wide(n_rows=400, n_features=50_000, per_row=12, seed=0, n_classes=2):
    """Rows over far more columns than the table's first 4096 slots, to make it grow."""
    rng = np.random.RandomState(seed)
    cols = np.sort(rng.choice(n_features, size=(n_rows, per_row)), axis=1)
    X = sp.csr_matrix(
        (
            rng.uniform(0.5, 2.0, n_rows * per_row),
            cols.ravel(),
            np.arange(0, n_rows * per_row + 1, per_row),
        ),
        shape=(n_rows, n_features),
    )
    X.sum_duplicates()
    y = rng.randint(n_classes, size=n_rows)
    return X, y


@pytest.mark.parametrize(
    "Est, n_classes, loss",
    [
        (SparseFTRLRegressor, None, "squared_error"),
        (SparseFTRLRegressor, None, "huber"),
        (SparseFTRLClassifier, 2, "log_loss"),
        (SparseFTRLClassifier, 3, "hinge"),
    ],
)
def test_sparse_store_is_bit_identical_to_dense(Est, n_classes, loss):
    X, y = _wide(n_classes=n_classes or 2)
    y = y.astype(float) if Est is SparseFTRLRegressor else y
    params = dict(loss=loss, alpha=1e-3, max_iter=3, tol=None, random_state=0)
    dense = Est(state_store="dense", **params).fit(X, y)
    sparse = Est(state_store="sparse", **params).fit(X, y)
    assert len(held_columns(sparse)) > 4096 // 2  # more than the first table holds: it grew
    np.testing.assert_array_equal(dense_state(sparse), dense_state(dense))
    np.testing.assert_array_equal(intercept_state(sparse), intercept_state(dense))
    assert sp.issparse(sparse.coef_) and not sp.issparse(dense.coef_)
    np.testing.assert_array_equal(
        sparse.coef_.toarray().reshape(np.shape(dense.coef_)), dense.coef_
    )
    # one decision function for both stores: the same scores to the bit
    np.testing.assert_array_equal(
        sparse.predict(X) if Est is SparseFTRLRegressor else sparse.decision_function(X),
        dense.predict(X) if Est is SparseFTRLRegressor else dense.decision_function(X),
    )
    np.testing.assert_array_equal(sparse.count_nonzero(), dense.count_nonzero())
    np.testing.assert_array_equal(sparse.count_nonzero(), np.diff(sparse.coef_.indptr))


def test_sparse_store_memory_grows_with_columns_seen_not_width():
    X, y = _wide(n_features=2**40, per_row=5)  # int64 indices: past 2**31
    assert X.indices.dtype == np.int64
    clf = SparseFTRLClassifier(alpha=1e-4, random_state=0).fit(X, y)
    report = clf.sparsity_report()
    seen = np.unique(X.indices).shape[0]
    assert report.touched[0] == seen
    assert report.state_bytes <= 4 * 24 * max(seen, 4096) + 1024
    assert clf.coef_.shape == (1, 2**40)
    assert clf.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize(
    "n_features, classes, inclusion, table",
    [
        (2**22, [0, 1], None, False),  # 64 MiB of dense state
        (2**24 + 1, [0, 1], None, True),  # past 256 MiB for one model
        (2**24 // 3 + 1, [0, 1, 2], None, True),  # and for three (one-vs-rest)
        (2**10, [0, 1], "poisson", True),  # inclusion counts columns in the table
    ],
)
def test_auto_picks_the_table_store_past_256_mib_of_dense_state_or_with_inclusion(
    n_features, classes, inclusion, table
):
    # the README: "picked automatically above 2**24 columns for one model, 2**24 / k for k
    # models, and with inclusion"; a model on the table store holds a sparse coef_
    X = sp.csr_matrix((np.ones(6), np.arange(6) * 100, np.arange(7)), shape=(6, n_features))
    clf = SparseFTRLClassifier(inclusion=inclusion, max_iter=1, tol=None)
    clf.fit(X, np.resize(classes, 6))
    assert sp.issparse(clf.coef_) == table


def test_int32_indices_up_to_the_largest_int32_column():
    n_features = 2**31 - 1
    X = sp.csr_matrix(
        (
            np.ones(4),
            np.array([0, n_features - 1, 5, n_features - 1], dtype=np.int32),
            np.array([0, 2, 4], dtype=np.int32),
        ),
        shape=(2, n_features),
    )
    assert X.indices.dtype == np.int32
    reg = SparseFTRLRegressor(penalty=None, max_iter=5, tol=None).fit(X, [1.0, 2.0])
    assert sp.issparse(reg.coef_)  # the table store: 'auto' would never allocate 32 GiB of state
    assert reg.coef_[0, n_features - 1] != 0
    assert reg.predict(X).shape == (2,)


def test_sparse_store_pickles_and_resumes_bit_identically():
    X, y = _wide()
    straight = SparseFTRLClassifier(state_store="sparse", random_state=0)
    straight.partial_fit(X[:200], y[:200], classes=[0, 1]).partial_fit(X[200:], y[200:])
    resumed = SparseFTRLClassifier(state_store="sparse", random_state=0)
    resumed.partial_fit(X[:200], y[:200], classes=[0, 1])
    resumed = pickle.loads(pickle.dumps(resumed)).partial_fit(X[200:], y[200:])
    np.testing.assert_array_equal(dense_state(resumed), dense_state(straight))
    np.testing.assert_array_equal(resumed.decision_function(X), straight.decision_function(X))


@pytest.mark.parametrize(
    "inclusion, params", [("poisson", {"inclusion_p": 1.0}), ("bloom", {"inclusion_count": 1})]
)
def test_inclusion_that_admits_every_occurrence_changes_nothing(inclusion, params):
    X, y = _wide()
    plain = SparseFTRLClassifier(state_store="sparse", random_state=0).fit(X, y)
    gated = SparseFTRLClassifier(
        inclusion=inclusion, random_state=0, bloom_size=2**22, **params
    ).fit(X, y)
    np.testing.assert_array_equal(dense_state(gated), dense_state(plain))


def test_poisson_inclusion_keeps_fewer_columns_and_is_deterministic():
    X, y = _wide()
    one = dict(max_iter=1, tol=None)
    full = SparseFTRLClassifier(state_store="sparse", random_state=0, **one).fit(X, y)
    a = SparseFTRLClassifier(inclusion="poisson", inclusion_p=0.1, random_state=0, **one).fit(X, y)
    b = SparseFTRLClassifier(inclusion="poisson", inclusion_p=0.1, random_state=0, **one).fit(X, y)
    c = SparseFTRLClassifier(inclusion="poisson", inclusion_p=0.1, random_state=1, **one).fit(X, y)
    held = [len(held_columns(m)) for m in (full, a, c)]
    # most columns occur once: about 10 % of them get in
    assert 0.05 * held[0] < held[1] < 0.2 * held[0]
    np.testing.assert_array_equal(dense_state(a), dense_state(b))
    assert not np.array_equal(dense_state(a), dense_state(c))


def test_poisson_draws_do_not_depend_on_batching():
    X, y = _wide()
    params = dict(inclusion="poisson", inclusion_p=0.2, random_state=3, shuffle=False)
    one = SparseFTRLClassifier(max_iter=1, tol=None, **params).fit(X, y)
    two = SparseFTRLClassifier(**params)
    # the seed is drawn from random_state when the state is created, in fit and partial_fit alike
    two.partial_fit(X[:123], y[:123], classes=[0, 1]).partial_fit(X[123:], y[123:])
    np.testing.assert_array_equal(dense_state(one), dense_state(two))


def test_bloom_inclusion_admits_a_column_on_its_nth_occurrence():
    # column 7 occurs in 3 rows, column 9 in 1 row, column 1 in every row
    rows = [[1, 7], [1, 7], [1, 7], [1, 9], [1], [1]]
    cols = np.concatenate(rows)
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    X = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(len(rows), 10))
    y = np.array([1, 1, 1, 0, 0, 1])
    clf = SparseFTRLClassifier(
        inclusion="bloom",
        inclusion_count=3,
        bloom_size=2**16,
        shuffle=False,
        max_iter=1,
        tol=None,
        alpha=0.0,
    ).fit(X, y)
    held = set(held_columns(clf).tolist())
    assert held == {1, 7}
    # 7 entered on its third occurrence: one update only, so n_7 = g^2 of row 3
    n7 = dense_state(clf)[0, 7, 1]
    n1 = dense_state(clf)[0, 1, 1]
    assert 0 < n7 < n1


def test_inclusion_needs_the_sparse_store():
    X, y = _wide()
    with pytest.raises(ValueError, match="sparse state store"):
        SparseFTRLClassifier(inclusion="bloom", state_store="dense").fit(X, y)


@pytest.mark.parametrize("n_features", [1000, 5000])
def test_dense_state_starts_at_zero_whether_written_or_lazily_zeroed(monkeypatch, n_features):
    from sparsereg import _state

    monkeypatch.setattr(_state, "CACHED_STATE_BYTES", 16 * 2000)  # 1000 written, 5000 lazy
    X = sp.csr_matrix(
        (np.ones(2), np.array([3, n_features - 1]), np.array([0, 2])), shape=(1, n_features)
    )
    for _ in range(3):  # freed garbage of the same size is what np.empty would hand back
        garbage = np.full((n_features, 2), np.nan)
        del garbage
        reg = SparseFTRLRegressor(state_store="dense").partial_fit(X, [1.0])
        state = reg.get_ftrl_state()  # lists every column whose (z, n) is not (0, 0)
        np.testing.assert_array_equal(state["columns"], [3, n_features - 1])
        assert np.all(np.isfinite(state["z"])) and np.all(state["n"] > 0)


def _with_stored_zeros(X, seed=1):
    """``X`` with two explicitly stored zeros more in each row (a column the row already
    holds keeps its value): the same matrix, more entries."""
    rng = np.random.RandomState(seed)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    extra_rows = np.repeat(np.arange(X.shape[0]), 2)
    extra_cols = rng.randint(X.shape[1], size=extra_rows.size)
    Xz = sp.coo_matrix(
        (
            np.r_[X.data, np.zeros(extra_rows.size)],
            (np.r_[rows, extra_rows], np.r_[X.indices, extra_cols]),
        ),
        shape=X.shape,
    ).tocsr()  # (duplicates summed, zeros kept)
    assert (Xz != X).nnz == 0 and Xz.nnz > X.nnz
    return Xz


@pytest.mark.parametrize(
    "make",
    [
        lambda: SparseFTRLClassifier(state_store="sparse", random_state=0),
        lambda: SparseFTRLClassifier(inclusion="poisson", inclusion_p=0.5, random_state=0),
        lambda: SparseFTRLClassifier(
            inclusion="bloom", inclusion_count=2, bloom_size=64, random_state=0
        ),
        lambda: SparseFTRLClassifier(
            state_store="sparse", multi_class="multinomial", random_state=0
        ),
        lambda: SparseFTRLClassifierCV(
            alphas=[1e-4, 1e-2], eta0s=[0.1], state_store="sparse", random_state=0
        ),
    ],
    ids=["table", "poisson", "bloom", "multinomial", "grid"],
)
def test_stored_zeros_train_the_model_of_the_matrix_without_them(make):
    # A stored zero is no occurrence of its column: it was held in the table (a slot of
    # zeros, counted in the history), counted by the Bloom filter and drawn for by Poisson
    # inclusion, so the same matrix with and without them trained different models.
    X, y = _wide(n_classes=3)
    Xz = _with_stored_zeros(X)
    assert_same_state(make().fit(Xz, y), make().fit(X, y))


@pytest.mark.parametrize("Est", [SparseFTRLClassifierCV, SparseFTRLRegressorCV])
def test_the_grid_holds_no_column_for_a_stored_zero(Est):
    # The grid's table store let a stored zero's column in (a slot of zeros in every model):
    # the chosen state drops (0, 0) columns, but the count of columns held decides when
    # nnz_history_ records (a call of fewer than one non-zero per 32 columns held is not
    # recorded). 50 rows of 2 non-zeros over 10 columns and 40 stored zeros each over 10**5
    # columns, then 5 rows of 2 non-zeros: 10 columns held, and the second call recorded;
    # ~2000 held with the stored zeros' columns, and it was not.
    rng = np.random.RandomState(0)

    def rows(n, zeros):
        """``n`` rows of 2 non-zeros in columns 0-9 and ``zeros`` stored zeros past them."""
        cols = [
            np.r_[np.sort(rng.choice(10, 2, False)), np.sort(rng.choice(99_990, zeros, False)) + 10]
            for _ in range(n)
        ]
        data = np.tile(np.r_[1.0, 1.0, np.zeros(zeros)], n) * rng.uniform(0.5, 2.0, n * (2 + zeros))
        return sp.csr_matrix(
            (data, np.concatenate(cols), np.arange(0, n * (2 + zeros) + 1, 2 + zeros)),
            shape=(n, 10**5),
        )

    first, second = rows(50, 40), rows(5, 0)
    without = first.copy()
    without.eliminate_zeros()
    assert first.nnz == 50 * 42 and without.nnz == 100
    y1, y2 = np.arange(50) % 2, np.arange(5) % 2
    kwargs = {"classes": [0, 1]} if Est is SparseFTRLClassifierCV else {}
    grids = [
        Est(alphas=[1e-4, 1e-2], eta0s=[0.1, 1.0], state_store="sparse", random_state=0)
        .partial_fit(X, y1, **kwargs)
        .partial_fit(second, y2)
        for X in (first, without)
    ]
    assert [t for t, _ in grids[1].best_estimator_.nnz_history_] == [50, 55]
    for key, value in grids[1].cv_results_.items():
        np.testing.assert_array_equal(grids[0].cv_results_[key], value, err_msg=key)
    for index in range(grids[1].n_models_):
        assert_same_state(grids[0].estimator_at(index), grids[1].estimator_at(index))


_GROWTH_BEYOND_THE_LIMIT = """
import ctypes, pickle, resource, sys
# large blocks mapped and unmapped as asked (glibc raises its threshold as they are freed and
# then keeps them in the heap: a growth that should not fit found room in one now and then)
ctypes.CDLL(None).mallopt(-3, 1 << 17)  # M_MMAP_THRESHOLD
import numpy as np, scipy.sparse as sp
from sparsereg import (
    SparseFTRLClassifier, SparseFTRLClassifierCV, SparseFTRLRegressor, SparseFTRLRegressorCV,
)

# a table of 2**17 slots (3 MiB a model: far past the mmap threshold); NEW more columns grow
# it. (Halved from 100_000 columns each, 2**21 wide: the rooms below are in units of the state,
# and the least room that trains stayed at 1.5-2.5 times the state either way)
HELD, NEW, WIDTH = 50_000, 50_000, 2**20


def rows(first, n, per_row):  # row i: columns first + i .. first + i + per_row - 1
    cols = (first + np.arange(n)[:, None] + np.arange(per_row)).ravel().astype(np.int32)
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    return sp.csr_matrix((np.ones(n * per_row), cols, indptr), shape=(n, WIDTH))


def address_space():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))


def bits(value):  # every number of value, as bytes
    if isinstance(value, dict):
        return b"".join(repr(k).encode() + bits(v) for k, v in sorted(value.items(), key=repr))
    if isinstance(value, (list, tuple)):
        return b"".join(bits(v) for v in value)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return bits(list(value.ravel()))
        return repr((value.dtype, value.shape)).encode() + np.ascontiguousarray(value).tobytes()
    return repr(value).encode()


def snapshot(est, X):
    models = [est.estimator_at(i) for i in range(est.n_models_)] if hasattr(est, "n_models_") else [est]
    return bits([
        [m.get_ftrl_state() for m in models], [m.nnz_history_ for m in models], est.t_,
        est.sparsity_report().state_bytes, est.predict(X), getattr(est, "cv_results_", None),
    ])


sparse = dict(state_store="sparse", random_state=0)
cases = {  # (estimator, parameters set after the first call, non-zeros per row, models)
    "regressor": (SparseFTRLRegressor(**sparse), {}, 1, 1),
    "poisson": (SparseFTRLClassifier(**sparse), {"inclusion": "poisson", "inclusion_p": 0.5}, 1, 1),
    "bloom": (SparseFTRLClassifier(**sparse), {"inclusion": "bloom", "inclusion_count": 2}, 2, 1),
    "one-vs-rest": (SparseFTRLClassifier(**sparse), {}, 1, 3),
    "multinomial": (SparseFTRLClassifier(multi_class="multinomial", **sparse), {}, 1, 1),
    "grid": (SparseFTRLRegressorCV(alphas=[1e-3], eta0s=[0.1], **sparse), {}, 1, 1),
    "grid-one-vs-rest": (SparseFTRLClassifierCV(alphas=[1e-3], eta0s=[0.1], **sparse), {}, 1, 3),
}
mode, name = sys.argv[1:]  # (one case per process: memory freed by another would serve it)
est, params, per_row, n_models = cases[name]
n_labels = 3 if name in ("one-vs-rest", "multinomial", "grid-one-vs-rest") else 2
scale = 0.5 if isinstance(est, (SparseFTRLRegressor, SparseFTRLRegressorCV)) else 1
labels = lambda n: np.arange(n) % n_labels * scale
classes = {"classes": np.arange(n_labels)} if scale == 1 else {}
X1, X2 = rows(0, HELD, 1), rows(HELD, NEW, per_row)
est.partial_fit(X1, labels(HELD), **classes).set_params(**params)
est.partial_fit(X1[:10], labels(10))  # (inclusion's Bloom filter made before the limit)
before, twin = snapshot(est, X2[:1000]), pickle.dumps(est)
state = est.sparsity_report().state_bytes
# "short": room for a model's table now, not twice it, which its growth asks for; "enough":
# room for the growth (every table twice its size) and the grid's best model, not for the
# bound of the largest growth the call's non-zeros could ask for (twice as large again,
# every table of the doublings, the margin: 16 tables); "commit": room for the growth, not
# for the growth and the grid's best model (built when read)
room = {"short": state // n_models, "enough": 6 * state, "commit": 4 * state}[mode]
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (address_space() + room, hard))
try:
    est.partial_fit(X2, labels(NEW))
    raised = "trained"
except MemoryError:
    raised = "MemoryError"
resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
unchanged = snapshot(est, X2[:1000]) == before
# the twin, far from any limit, grows its table between rows: the same model to the bit
twin = pickle.loads(twin).partial_fit(X2, labels(NEW))
if raised == "MemoryError":  # and then it goes on as the twin (the same shuffling)
    est.partial_fit(X2, labels(NEW))
same = snapshot(est, X2[:1000]) == snapshot(twin, X2[:1000])
print(name, raised, unchanged, same)
"""


_CASES = ["regressor", "poisson", "bloom", "one-vs-rest", "multinomial", "grid", "grid-one-vs-rest"]


@pytest.fixture(scope="module")
def run_python():
    """:func:`memory_helpers.run_python` for the cases of ``_GROWTH_BEYOND_THE_LIMIT``, each in a
    process of its own forked from one interpreter that made the script's mallopt call and its
    imports (as the script does first): their ~1.4 s of CPU paid once, not per case."""
    forks = ForkedPythons(
        "import ctypes\n"
        "ctypes.CDLL(None).mallopt(-3, 1 << 17)  # M_MMAP_THRESHOLD, before the imports\n"
        "import pickle, resource, sys\n"
        "import numpy as np, scipy.sparse as sp\n"
        "from sparsereg import (\n"
        "    SparseFTRLClassifier, SparseFTRLClassifierCV, SparseFTRLRegressor,\n"
        "    SparseFTRLRegressorCV,\n"
        ")\n"
    )
    yield forks.run
    forks.close()


@pytest.mark.parametrize("case", _CASES)
def test_a_partial_fit_whose_table_growth_meets_a_memory_error_changes_nothing(run_python, case):
    # a table store grew between two rows of a partial_fit: when that allocation failed, the
    # rows before it stayed in the state while t_ did not count them; now, when the memory
    # left could not hold the growth, every table is grown before the first row (the size
    # training would grow it to), or nothing changes
    done = run_python(_GROWTH_BEYOND_THE_LIMIT, "short", case)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [case, "MemoryError", "True", "True"]


@pytest.mark.parametrize("case", _CASES)
def test_a_partial_fit_near_the_memory_limit_trains_the_model_of_one_far_from_it(run_python, case):
    # near the limit the tables are grown before the first row (to the size training grows
    # them to); far from it training grows them between rows: the same model to the bit
    done = run_python(_GROWTH_BEYOND_THE_LIMIT, "enough", case)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [case, "trained", "False", "True"]


@pytest.mark.parametrize("case", ["grid", "grid-one-vs-rest"])
def test_a_grid_partial_fit_whose_room_holds_its_growth_not_its_best_model_trains(run_python, case):
    # a grid's partial_fit built best_estimator_ (a single estimator's state) after the grid had
    # trained in place: a MemoryError there left the grid's models trained and t_ as before;
    # now the chosen model is built when read, and the call trains the model of one far from
    # the limit
    done = run_python(_GROWTH_BEYOND_THE_LIMIT, "commit", case)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [case, "trained", "False", "True"]


@pytest.mark.parametrize(
    "make, params",
    [
        (SparseFTRLRegressor, {}),
        (SparseFTRLClassifier, {"inclusion": "poisson", "inclusion_p": 0.3}),
        (SparseFTRLClassifier, {"inclusion": "bloom", "inclusion_count": 2}),
        (SparseFTRLClassifier, {"n_classes": 3}),
        (SparseFTRLClassifier, {"n_classes": 3, "multi_class": "multinomial"}),
        (SparseFTRLClassifierCV, {"alphas": [1e-4, 1e-2], "eta0s": [0.1, 1.0]}),
    ],
)
def test_a_partial_fit_growing_its_table_store_trains_the_model_of_one_call(make, params):
    # the first call trains a new state (grown between rows as it fills); the second grows
    # the estimator's table, far from any memory limit between rows too (near one, before
    # its first row: test_a_partial_fit_near_the_memory_limit_...): the same model as one
    # call over both (but for the history, recorded after each call)
    params = dict(params)
    X, y = _wide(n_rows=1200, n_features=20_000, per_row=20, n_classes=params.pop("n_classes", 2))
    y = y.astype(float) if make is SparseFTRLRegressor else y
    classes = {} if make is SparseFTRLRegressor else {"classes": np.unique(y)}
    params = dict(state_store="sparse", shuffle=False, random_state=0, **params)
    two = make(**params).partial_fit(X[:300], y[:300], **classes)
    held_before = two.sparsity_report().state_bytes
    two.partial_fit(X[300:], y[300:])
    assert two.sparsity_report().state_bytes > held_before  # the second call grew it
    one = make(**params).partial_fit(X, y, **classes)
    assert two.t_ == one.t_ == 1200
    pairs = [(two, one)]
    if make is SparseFTRLClassifierCV:
        pairs = [(two.estimator_at(i), one.estimator_at(i)) for i in range(one.n_models_)]
    for a, b in pairs:
        sa, sb = a.get_ftrl_state(), b.get_ftrl_state()
        assert sorted(sa) == sorted(sb)
        for key in sa:
            if not key.startswith("nnz_history"):
                np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
    scores = "predict" if make is SparseFTRLRegressor else "decision_function"
    np.testing.assert_array_equal(getattr(two, scores)(X), getattr(one, scores)(X))
