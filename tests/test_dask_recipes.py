"""What works with Dask today, through dask-ml, and its known failures: the README's "More data
than one machine" recipes, checked on a two-worker ``LocalCluster``.

The cluster runs its workers as threads of this process (``processes=False``): worker processes
cost ~2 s to start and stop and ~5-8 s to import scikit-learn and sparsereg on this 2-core
machine, for the same results (the model still crosses the scheduler as a pickle inside the
task graph; pickling a model mid-stream is tested to the bit in ``test_estimators.py``).
"""

import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("dask_ml")
dd = pytest.importorskip("dask.dataframe")

import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from dask_ml.wrappers import Incremental, ParallelPostFit  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from packaging.version import Version  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier, export_model  # noqa: E402

from .state_helpers import assert_same_state  # noqa: E402

README = Path(__file__).resolve().parents[1] / "README.md"
WIDTH = 2**16
ROW_CHUNKS = (700, 900, 800, 600)  # unequal, so a block taken out of order shows
N_ROWS = sum(ROW_CHUNKS)
FEATURES = ["lat", "lon", "device"]


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def click_matrix(n_rows=N_ROWS, width=WIDTH, per_row=20, seed=0):
    """A CSR click log: ``per_row`` random columns a row, random values, labels from a sparse
    true model (so L1 has something to keep and something to drop)."""
    rng = np.random.RandomState(seed)
    indices = np.sort(rng.randint(0, width, size=(n_rows, per_row)), axis=1)
    X = sp.csr_matrix(
        (
            rng.uniform(0.5, 1.5, n_rows * per_row),
            indices.ravel(),
            np.arange(0, n_rows * per_row + 1, per_row),
        ),
        shape=(n_rows, width),
    )
    X.sum_duplicates()
    true = np.where(rng.uniform(size=width) < 0.05, rng.normal(0, 3, width), 0.0)
    y = (X @ true + rng.normal(0, 0.5, n_rows) > 0).astype(np.int64)
    return X, y


def click_frame(n_rows=3000, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "lat": rng.uniform(32, 42, n_rows),
            "lon": rng.uniform(-124, -114, n_rows),
            "device": rng.choice(["ios", "android", "web"], n_rows),
        }
    )
    clicked = (frame["device"] == "ios") ^ (frame["lat"] > 40) ^ (rng.uniform(size=n_rows) < 0.1)
    return frame, clicked.astype(np.int64)


def hasher():
    tenth = {"width": 0.1}
    return FeatureCrossHasher(
        crosses=[("lat", "lon"), "device"], buckets={"lat": tenth, "lon": tenth}, n_features=WIDTH
    )


def row_slices(chunks=ROW_CHUNKS):
    edges = np.cumsum((0,) + tuple(chunks))
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def partial_fit_over(blocks, **params):
    """The local reference: ``partial_fit`` over ``(X, y)`` blocks in the order given."""
    model = SparseFTRLClassifier(**params)
    for X_block, y_block in blocks:
        model.partial_fit(X_block, y_block, classes=[0, 1])
    return model


def dask_blocks(X, y, column_chunks=-1):
    return (
        da.from_array(X, chunks=(ROW_CHUNKS, column_chunks), asarray=False),
        da.from_array(y, chunks=(ROW_CHUNKS,)),
    )


def dense(coef):
    return coef.toarray() if sp.issparse(coef) else coef


PARAMS = {"penalty": "l1", "alpha": 1e-4, "random_state": 0}


@pytest.mark.parametrize("state_store", ["dense", "sparse"])
def test_incremental_is_partial_fit_over_the_blocks_in_order(client, state_store):
    X, y = click_matrix()
    X_blocks, y_blocks = dask_blocks(X, y)
    inc = Incremental(SparseFTRLClassifier(**PARAMS, state_store=state_store), shuffle_blocks=False)
    inc.fit(X_blocks, y_blocks, classes=[0, 1])

    blocks = [(X[rows], y[rows]) for rows in row_slices()]
    local = partial_fit_over(blocks, **PARAMS, state_store=state_store)
    assert_same_state(inc.estimator_, local)
    np.testing.assert_array_equal(dense(inc.estimator_.coef_), dense(local.coef_))
    # the comparison sees the order: the blocks the other way round give another model
    backwards = partial_fit_over(blocks[::-1], **PARAMS, state_store=state_store)
    assert not np.array_equal(dense(backwards.coef_), dense(local.coef_))
    assert 0 < dense(local.coef_).astype(bool).sum() < WIDTH  # L1 kept some weights, not all

    # documented: the weights are on inc.estimator_, not on the wrapper
    with pytest.raises(AttributeError):
        inc.coef_
    # predictions, block by block on the workers, are the local model's
    np.testing.assert_array_equal(inc.predict_proba(X_blocks).compute(), local.predict_proba(X))


def test_hashing_partitions_on_the_workers_then_incremental(client):
    frame, clicked = click_frame()
    ddf = dd.from_pandas(frame.assign(clicked=clicked), npartitions=4)
    X_hashed = ddf[FEATURES].map_partitions(hasher().transform)
    inc = Incremental(SparseFTRLClassifier(**PARAMS), shuffle_blocks=False)
    inc.fit(X_hashed, ddf["clicked"], classes=[0, 1])

    partitions = dask.compute(*ddf.to_delayed())
    assert len(partitions) == 4
    local = partial_fit_over(
        [(hasher().transform(part[FEATURES]), part["clicked"]) for part in partitions], **PARAMS
    )
    assert_same_state(inc.estimator_, local)
    # and that is the model of partial_fit over the frame's rows, hashed here, in their order
    whole = hasher().transform(frame)
    edges = np.cumsum([0] + [len(part) for part in partitions])
    assert_same_state(
        inc.estimator_,
        partial_fit_over(
            [(whole[a:b], clicked[a:b]) for a, b in zip(edges[:-1], edges[1:])], **PARAMS
        ),
    )


@pytest.mark.parametrize("wrap", ["pipeline", "export"])
def test_parallel_post_fit_predicts_as_the_local_pipeline(client, wrap):
    frame, clicked = click_frame()
    new_frame, _ = click_frame(n_rows=2000, seed=1)
    pipeline = make_pipeline(hasher(), SparseFTRLClassifier(**PARAMS)).fit(frame, clicked)
    if wrap == "pipeline":  # fitted by the wrapper, in this process
        scorer = ParallelPostFit(make_pipeline(hasher(), SparseFTRLClassifier(**PARAMS))).fit(
            frame, clicked
        )
    else:  # the export, fitted already: the graph carries the non-zero weights only
        scorer = ParallelPostFit(export_model(pipeline))

    new_ddf = dd.from_pandas(new_frame, npartitions=3)
    proba = scorer.predict_proba(new_ddf)
    labels = scorer.predict(new_ddf)
    assert isinstance(proba, da.Array) and isinstance(labels, da.Array)  # lazy, per partition
    expected = pipeline.predict_proba(new_frame)
    np.testing.assert_array_equal(proba.compute(), expected)
    np.testing.assert_array_equal(labels.compute(), pipeline.predict(new_frame))
    assert 0.05 < expected[:, 1].mean() < 0.95 and np.ptp(expected[:, 1]) > 0.5  # not a constant


def test_grid_search_on_dask_gives_loky_scores(client):
    X, y = click_matrix(n_rows=1500, width=2**12)

    def search():
        return GridSearchCV(
            SparseFTRLClassifier(random_state=0, max_iter=5, tol=None),
            {"alpha": [1e-5, 1e-4], "penalty": ["l1", "l2"]},
            cv=3,
            scoring="neg_log_loss",
            n_jobs=-1,
        )

    with joblib.parallel_backend("loky"):
        on_loky = search().fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = search().fit(X, y)

    assert on_dask.cv_results_["params"] == on_loky.cv_results_["params"]
    columns = [key for key in on_loky.cv_results_ if "test_score" in key]
    assert len(columns) == 3 + 3  # split0..2, mean, std, rank
    for key in columns:
        np.testing.assert_array_equal(
            on_dask.cv_results_[key], on_loky.cv_results_[key], err_msg=key
        )
    assert len(set(on_loky.cv_results_["mean_test_score"])) == 4  # the grid's points differ
    assert_same_state(on_dask.best_estimator_, on_loky.best_estimator_)


# Known failures, documented in the README with their workarounds. These tests pin them: if one
# starts failing because dask or dask-ml changed, the README's known-failure list needs updating.


def test_column_chunks_train_silently_on_the_first_column_block_unless_rechunked(client):
    X, y = click_matrix()
    X_columns, y_blocks = dask_blocks(X, y, column_chunks=WIDTH // 4)
    assert X_columns.numblocks == (4, 4)
    inc = Incremental(SparseFTRLClassifier(**PARAMS), shuffle_blocks=False)
    inc.fit(X_columns, y_blocks, classes=[0, 1])
    assert inc.estimator_.n_features_in_ == WIDTH // 4
    assert_same_state(
        inc.estimator_,
        partial_fit_over([(X[rows, : WIDTH // 4], y[rows]) for rows in row_slices()], **PARAMS),
    )

    # the workaround: every column in each block
    rows_only = X_columns.rechunk({1: -1})
    assert rows_only.numblocks == (4, 1)
    fixed = Incremental(SparseFTRLClassifier(**PARAMS), shuffle_blocks=False)
    fixed.fit(rows_only, y_blocks, classes=[0, 1])
    assert_same_state(
        fixed.estimator_, partial_fit_over([(X[rows], y[rows]) for rows in row_slices()], **PARAMS)
    )


def test_pydata_sparse_blocks_are_refused_and_csr_blocks_from_them_work(client):
    sparse = pytest.importorskip("sparse")
    X, y = click_matrix()
    X_blocks, y_blocks = dask_blocks(X, y)
    X_coo = X_blocks.map_blocks(sparse.COO.from_scipy_sparse, dtype=X.dtype)
    with pytest.raises(
        TypeError,
        match=r"COO, which is no SciPy sparse matrix: give a SciPy CSR matrix \(X\.tocsr\(\)",
    ):
        Incremental(SparseFTRLClassifier(**PARAMS), shuffle_blocks=False).fit(
            X_coo, y_blocks, classes=[0, 1]
        )

    X_csr = X_coo.map_blocks(lambda block: block.tocsr(), dtype=X_coo.dtype)
    inc = Incremental(SparseFTRLClassifier(**PARAMS), shuffle_blocks=False)
    inc.fit(X_csr, y_blocks, classes=[0, 1])
    assert_same_state(
        inc.estimator_, partial_fit_over([(X[rows], y[rows]) for rows in row_slices()], **PARAMS)
    )


@pytest.mark.skipif(
    Version(dask.__version__) < Version("2025.3"), reason="broken on dask >= 2025.3"
)
@pytest.mark.parametrize("name", ["IncrementalSearchCV", "HyperbandSearchCV"])
def test_dask_ml_adaptive_searches_fail_upstream(client, name):
    from dask_ml import model_selection

    X, y = click_matrix(n_rows=1000, width=2**12)
    X_blocks = da.from_array(X, chunks=(250, -1), asarray=False)
    y_blocks = da.from_array(y, chunks=250)
    kwargs = {
        "IncrementalSearchCV": {"n_initial_parameters": 2, "decay_rate": None},
        "HyperbandSearchCV": {"max_iter": 3},
    }[name]
    search = getattr(model_selection, name)(
        SparseFTRLClassifier(random_state=0),
        {"alpha": [1e-5, 1e-4, 1e-3]},
        random_state=0,
        **kwargs,
    )
    with pytest.raises(RuntimeError, match="asynchronous Client"):
        search.fit(X_blocks, y_blocks, classes=[0, 1])


# The README's recipes, run as written.


def readme_recipes():
    text = README.read_text()
    section = text[text.index("### With dask-ml, today") :]
    section = section[: section.index("\n## ")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_recipes_run_and_do_what_they_say(client):
    recipes = readme_recipes()
    assert len(recipes) == 4
    X, y = click_matrix(n_rows=2000, width=2**12, seed=2)
    frame, clicked = click_frame(n_rows=2000, seed=2)
    namespace = {"X": X, "y": y, "frame": frame, "clicked": clicked}
    for code in recipes:
        exec(compile(code, str(README), "exec"), namespace)

    # Incremental: partial_fit over the blocks of 1000 rows, in order
    local = partial_fit_over(
        [(X[:1000], y[:1000]), (X[1000:], y[1000:])], penalty="l1", random_state=0
    )
    assert_same_state(namespace["model"], local)
    # hashing on the workers: the second recipe's inc is partial_fit over the hashed partitions
    partitions = dask.compute(*namespace["ddf"].to_delayed())
    assert_same_state(
        namespace["inc"].estimator_,
        partial_fit_over(
            [
                (namespace["hasher"].transform(part[FEATURES]), part["clicked"])
                for part in partitions
            ],
            penalty="l1",
            random_state=0,
        ),
    )
    # ParallelPostFit over the export: the pipeline's probabilities, from a small graph
    pipeline = namespace["pipeline"]
    np.testing.assert_array_equal(namespace["proba"].compute(), pipeline.predict_proba(frame))
    # and the README's figures for them, "(40 KiB instead of 16 MiB ..." (38 KiB went stale)
    kib, mib = re.search(
        r"\((\d+) KiB instead of (\d+) MiB", " ".join(README.read_text().split())
    ).groups()
    assert round(len(pickle.dumps(namespace["scorer"])) / 2**10) == int(kib)
    assert round(len(pickle.dumps(pipeline)) / 2**20) == int(mib)
    # GridSearchCV ran its four candidates
    assert len(namespace["search"].cv_results_["params"]) == 4
