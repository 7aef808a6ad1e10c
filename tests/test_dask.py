"""sparsereg.dask on a small LocalCluster: exact sequential mode, mixing, faults, bad input."""

import contextlib
import copy
import functools
import os
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.pipeline import Pipeline, make_pipeline

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sparsereg import (  # noqa: E402
    FeatureCrossHasher,
    SparseFTRLClassifier,
    SparseFTRLRegressor,
    export_model,
    merge_ftrl_states,
)
from sparsereg.dask import DaskSparseFTRLClassifier, DaskSparseFTRLRegressor  # noqa: E402

from .state_helpers import assert_same_state  # noqa: E402

N_ROWS, WIDTH, BLOCK = 12_000, 2**12, 2_000
# one xdist worker runs this module's tests (--dist loadgroup): one cluster of worker processes
pytestmark = pytest.mark.xdist_group("dask-processes")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@functools.cache
def _drawn_data(n_classes, seed):
    # a Generator: scipy draws a RandomState's positions through a permutation of all
    # N_ROWS * WIDTH cells (~6 s here), a Generator's directly (~0.02 s)
    rng = np.random.default_rng(seed)
    X = sp.random(N_ROWS, WIDTH, density=0.004, format="csr", random_state=rng)
    signal = np.asarray(X[:, :40].sum(axis=1)).ravel() - np.asarray(X[:, 40:80].sum(axis=1)).ravel()
    if n_classes is None:
        y = signal
    else:
        y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


@pytest.fixture(scope="module")
def fitted(client):
    """``fitted(n_classes)``: a copy of ``Dask*(client=client, random_state=0)`` fitted on
    ``make_data(n_classes)`` (``"two blocks"``: the classifier on ``_two_blocks()``), for tests
    that score, predict or refit a fitted model: fitted once for the module, each test given a
    deep copy of its own (the module's client given back: a copy leaves it behind)."""
    models = {}

    def copy_of(n_classes):
        if n_classes not in models:
            if n_classes == "two blocks":
                Dask, (_, _, _, dX, dy) = DaskSparseFTRLClassifier, _two_blocks()
            else:
                Dask = DaskSparseFTRLRegressor if n_classes is None else DaskSparseFTRLClassifier
                _, _, _, dX, dy = make_data(n_classes)
            models[n_classes] = Dask(client=client, random_state=0).fit(dX, dy)
        return copy.deepcopy(models[n_classes]).set_params(client=client)

    return copy_of


def make_data(n_classes=3, seed=0):
    # drawn once per (n_classes, seed) for the module (~30 tests ask for them, ~0.1 s a draw),
    # each test given copies of its own, as when it drew them itself
    X, y = _drawn_data(n_classes, seed)
    X, y = X.copy(), y.copy()
    blocks = [X[i : i + BLOCK] for i in range(0, N_ROWS, BLOCK)]
    dX = da.concatenate([da.from_array(b, chunks=b.shape, asarray=False) for b in blocks])
    return X, y, blocks, dX, da.from_array(y, chunks=BLOCK)


@pytest.mark.parametrize("n_classes", [None, 2, 3])
def test_without_mixing_it_is_partial_fit_over_the_blocks_in_order(client, n_classes):
    X, y, blocks, dX, dy = make_data(n_classes)
    Dask = DaskSparseFTRLRegressor if n_classes is None else DaskSparseFTRLClassifier
    Local = SparseFTRLRegressor if n_classes is None else SparseFTRLClassifier
    params = dict(random_state=0, alpha=1e-4)
    model = Dask(mixing=None, max_iter=2, client=client, **params).fit(dX, dy)
    local = Local(**params)
    for _ in range(2):
        for i, block in enumerate(blocks):
            classes = {} if n_classes is None else {"classes": np.unique(y)}
            local.partial_fit(block, y[i * BLOCK : (i + 1) * BLOCK], **classes)
    # (but for the passes counted: fit's two, as the local fit counts its epochs, where each
    # partial_fit counts its own call's one)
    assert_same_state(model.to_local(), local, but=["n_iter"])
    assert model.n_iter_ == model.to_local().n_iter_ == 2 and local.n_iter_ == 1
    np.testing.assert_array_equal(model.predict(dX).compute(), local.predict(X))


@pytest.mark.parametrize("n_classes", [None, 3])
def test_weighted_without_mixing_it_is_weighted_partial_fit_over_the_blocks(client, n_classes):
    X, y, blocks, dX, dy = make_data(n_classes)
    weight = np.random.default_rng(1).uniform(0, 3, N_ROWS)
    weight[::7] = 0
    Dask = DaskSparseFTRLRegressor if n_classes is None else DaskSparseFTRLClassifier
    Local = SparseFTRLRegressor if n_classes is None else SparseFTRLClassifier
    params = dict(random_state=0, alpha=1e-4)
    model = Dask(mixing=None, max_iter=2, client=client, **params)
    model.fit(dX, dy, sample_weight=da.from_array(weight, chunks=BLOCK))
    local = Local(**params)
    for _ in range(2):
        for i, block in enumerate(blocks):
            rows = slice(i * BLOCK, (i + 1) * BLOCK)
            classes = {} if n_classes is None else {"classes": np.unique(y)}
            local.partial_fit(block, y[rows], sample_weight=weight[rows], **classes)
    assert_same_state(model.to_local(), local, but=["n_iter"])
    unweighted = Dask(mixing=None, max_iter=2, client=client, **params).fit(dX, dy)
    assert not np.array_equal(unweighted.to_local().coef_, model.to_local().coef_)


def test_y_and_weights_of_other_known_row_blocks_are_rechunked_to_xs(client):
    # they were refused ("X's row blocks ... and y's ... differ", "X has 6 row blocks but y has
    # 3"), though X's blocks alone make the model and score takes them rechunked
    X, y, blocks, dX, dy = make_data(2)
    weight = np.random.default_rng(1).uniform(0.5, 2, N_ROWS)
    params = dict(mixing=None, random_state=0, client=client)
    expected = DaskSparseFTRLClassifier(**params).fit(
        dX, dy, sample_weight=da.from_array(weight, chunks=BLOCK)
    )
    for chunks in (((BLOCK // 2, BLOCK * 3 // 2) + (BLOCK,) * 4,), 2 * BLOCK):
        model = DaskSparseFTRLClassifier(**params).fit(
            dX,
            da.from_array(y, chunks=chunks),
            sample_weight=da.from_array(weight, chunks=chunks),
        )
        assert_same_state(model.to_local(), expected.to_local())
    model = DaskSparseFTRLClassifier(client=client)
    with pytest.raises(ValueError, match=f"X has {N_ROWS} rows but y has {N_ROWS - 1}"):
        model.fit(dX, da.from_array(y[1:], chunks=BLOCK))
    assert not hasattr(model, "estimator_")


def test_sample_weight_partitioned_otherwise_is_refused(client):
    X, y, blocks, dX, dy = make_data(2)
    weight = np.ones(N_ROWS)
    uneven = da.from_array(weight, chunks=((BLOCK // 2, BLOCK * 3 // 2) + (BLOCK,) * 4,))
    model = DaskSparseFTRLClassifier(client=client)
    with pytest.raises(ValueError, match="sample_weight must be 1-D"):
        model.fit(dX, dy, sample_weight=da.from_array(weight[:, None], chunks=(BLOCK, 1)))
    with pytest.raises(TypeError, match="sample_weight must be a dask array or Series"):
        model.fit(dX, dy, sample_weight=weight)
    # blocks of unknown length (a filter's): checked when computed, partition by partition
    with pytest.raises(
        ValueError,
        match="partition [01] of the data: X has 2000, y has 2000, sample_weight has [13]000 rows",
    ):
        model.fit(dX, dy, sample_weight=uneven[uneven > 0])
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    with pytest.raises(
        ValueError,
        match=r"X has 6 row blocks but sample_weight has 3: partition them alike, or give "
        r"sample_weight as a dask array of known row blocks \(to_dask_array\(lengths=True\)\)",
    ):
        model.fit(dX, dy, sample_weight=dd.from_pandas(pd.Series(weight), npartitions=3))
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("mixing", ["average", None])
def test_a_series_partitioned_otherwise_in_every_partition_is_refused_naming_it(client, mixing):
    # every partition refused on its worker: fit then asked Dask to train near no worker and
    # raised "Only use allow_other_workers= if using workers="
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X = np.random.default_rng(0).normal(size=(50, 4))
    y = pd.Series((X[:, 0] > 0).astype(int))
    dX = da.from_array(X, chunks=((20, 10, 10, 10), 4))
    dy = dd.from_pandas(y, npartitions=4)  # rows 13, 13, 12, 12
    model = DaskSparseFTRLClassifier(mixing=mixing, client=client)
    with pytest.raises(
        ValueError, match="partition [0-3] of the data: X has [12]0, y has 1[23] rows"
    ):
        model.fit(dX, dy)
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("mixing", ["average", None])
def test_a_partition_of_zero_weights_is_refused_naming_it(client, mixing):
    # the local partial_fit refused it from inside a task: "Sample weights must contain at
    # least one non-zero number", though the weights of X as a whole are not all 0
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    weight = np.ones(60)
    weight[20:40] = 0
    model = DaskSparseFTRLClassifier(mixing=mixing, client=client)
    with pytest.raises(ValueError, match="partition 1 of sample_weight: every weight is 0"):
        model.fit(
            da.from_array(X, chunks=(20, 4)),
            da.from_array(y, chunks=20),
            sample_weight=da.from_array(weight, chunks=20),
        )
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("mixing", ["average", None])
def test_weights_are_read_as_the_local_partial_fit_reads_them(client, mixing):
    # the weight a copy trained on was summed as given: numeric strings failed ("not
    # compatible with add.reduce") where the local partial_fit refuses them as text, a
    # partition of "0" or None weights (NaN for partial_fit) was "every weight is 0"
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    weight = np.random.default_rng(1).integers(1, 4, 60)
    dX, dy = da.from_array(X, chunks=(20, 4)), da.from_array(y, chunks=20)
    params = dict(mixing=mixing, client=client, random_state=0)
    with pytest.raises(ValueError, match="sample_weight of dtype <U21 is not numeric"):
        DaskSparseFTRLClassifier(**params).fit(
            dX, dy, sample_weight=da.from_array(weight.astype(str), chunks=20)
        )
    zeros = np.where(np.arange(60) // 20 == 1, "0", weight.astype(str)).astype(object)
    with pytest.raises(ValueError, match=r"partition \d: sample_weight holds a value of type str"):
        DaskSparseFTRLClassifier(**params).fit(dX, dy, sample_weight=da.from_array(zeros, 20))
    missing = np.full(60, None, dtype=object)
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        DaskSparseFTRLClassifier(**params).fit(dX, dy, sample_weight=da.from_array(missing, 20))
    huge = weight.astype(object)
    huge[30] = 10**400  # (NumPy's OverflowError, naming no argument, failed the task)
    with pytest.raises(ValueError, match="sample_weight holds an integer beyond float64"):
        DaskSparseFTRLClassifier(**params).fit(dX, dy, sample_weight=da.from_array(huge, 20))


def test_weights_of_pandas_dtypes_train_as_the_local_partial_fit_trains_them(client):
    # NumPy cannot make a pandas dtype: fit failed with "Cannot interpret 'Float64Dtype()' as
    # a data type" where the local partial_fit takes Float64, Int64 and numeric categories
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"kind": rng.choice(["a", "b", "c"], 40)})
    y = pd.Series(rng.integers(0, 2, 40))
    weight = rng.integers(1, 4, 40)
    hasher = FeatureCrossHasher(crosses=["kind"], n_features=64)
    dX, dy = dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2)
    local = SparseFTRLClassifier(random_state=0)
    for part in (slice(0, 20), slice(20, 40)):
        local.partial_fit(
            hasher.transform(frame[part]), y[part], classes=[0, 1], sample_weight=weight[part]
        )
    params = dict(mixing=None, hasher=hasher, client=client, random_state=0)
    for dtype in ("Float64", "Int64", "category"):
        given = dd.from_pandas(pd.Series(weight).astype(dtype), npartitions=2)
        model = DaskSparseFTRLClassifier(**params).fit(dX, dy, sample_weight=given)
        assert_same_state(model.to_local(), local)
    text = dd.from_pandas(pd.Series(weight.astype(str), dtype="string"), npartitions=2)
    with pytest.raises(ValueError, match=r"partition 0: sample_weight holds a value of type str"):
        DaskSparseFTRLClassifier(**params).fit(dX, dy, sample_weight=text)


@pytest.mark.parametrize("masked", ["X", "y", "sample_weight"])
def test_masked_blocks_are_refused_as_the_local_estimator_refuses_them(client, masked):
    # each partition went through np.asarray before partial_fit, which drops the mask: a
    # hidden label 7 became a class, a hidden weight of 1e6 was trained with
    rng = np.random.default_rng(0)
    data = {"X": rng.normal(size=(40, 3)), "y": np.arange(40.0) % 2, "sample_weight": np.ones(40)}
    hidden = np.ma.masked_array(data[masked], mask=False)
    hidden.data.flat[0], hidden.mask.flat[0] = 7 if masked == "y" else 1e6, True
    data[masked] = hidden
    given = {
        name: da.from_array(values, chunks=(20,) + values.shape[1:], asarray=False)
        for name, values in data.items()
    }
    model = DaskSparseFTRLClassifier(mixing=None, client=client, random_state=0)
    with pytest.raises(TypeError, match=f"partition 0: .*masked array as {masked}"):
        model.fit(given["X"], given["y"], sample_weight=given["sample_weight"])
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("Estimator", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_score_refuses_y_and_weights_as_the_local_score_does(client, Estimator):
    # each partition's y and weights went through np.asarray: a mask was dropped (the hidden
    # values were scored) and str weights were read as the numbers they spell
    rng = np.random.default_rng(0)
    X, y, weight = rng.normal(size=(40, 3)), np.arange(40.0) % 2, np.ones(40)
    dX, dy = da.from_array(X, chunks=(20, 3)), da.from_array(y, chunks=20)
    model = Estimator(mixing=None, client=client, random_state=0).fit(dX, dy)

    def hidden(values):
        masked = np.ma.masked_array(values.copy(), mask=False)
        masked.data[0], masked.mask[0] = 1e6, True
        return masked

    for given in (hidden(y), da.from_array(hidden(y), chunks=20, asarray=False)):
        with pytest.raises(TypeError, match="masked array as y"):
            model.score(dX, given)
    for given in (hidden(weight), da.from_array(hidden(weight), chunks=20, asarray=False)):
        with pytest.raises(TypeError, match="masked array as sample_weight"):
            model.score(dX, dy, sample_weight=given)
    text = da.from_array(weight.astype(str), chunks=20)
    with pytest.raises(ValueError, match="sample_weight of dtype <U32 is not numeric"):
        model.score(dX, dy, sample_weight=text)
    assert model.score(dX, dy, sample_weight=da.from_array(weight, chunks=20)) == model.score(
        dX, dy
    )


def _simulate(Local, params, shards, blocks, y, passes, classes, weight=None):
    """The mixing rule in one process: copies per shard, merged in the same tree, each in
    proportion to the rows it trained on (their weights' sum with ``weight``)."""
    state = None
    for _ in range(passes):
        trained = []
        for shard in shards:
            copy = Local(**params)
            if state is not None:
                copy.set_ftrl_state(state)
            for i in shard:
                first = (
                    {"classes": classes}
                    if classes is not None and state is None and not hasattr(copy, "t_")
                    else {}
                )
                rows = slice(i * BLOCK, (i + 1) * BLOCK)
                if weight is not None:
                    first["sample_weight"] = weight[rows]
                copy.partial_fit(blocks[i], y[rows], **first)
            shard_rows = np.concatenate([np.arange(i * BLOCK, (i + 1) * BLOCK) for i in shard])
            share = BLOCK * len(shard) if weight is None else float(np.sum(weight[shard_rows]))
            trained.append((copy.get_ftrl_state(), share))
        while len(trained) > 1:
            pairs = []
            for i in range(0, len(trained), 2):
                if i + 1 == len(trained):
                    pairs.append(trained[i])
                    continue
                (a, ra), (b, rb) = trained[i], trained[i + 1]
                pairs.append((merge_ftrl_states([a, b], weights=[ra, rb], base=state), ra + rb))
            trained = pairs
        state = trained[0][0]
    return state


def test_a_class_weight_a_state_cannot_record_trains_without_a_word(client):
    # a label of no class (scikit-learn takes it) that JSON cannot spell: the copies' states
    # record the class_weight as not recorded, which their merges and the local model took
    # for other parameters (a ValueError, then a warning of its own parameters)
    X, y, blocks, dX, dy = make_data(2)
    weights = {0: 1.0, 1: 2.0, float("nan"): 1.0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = DaskSparseFTRLClassifier(
            class_weight=weights, max_iter=2, random_state=0, client=client
        ).fit(dX, dy)
    assert model.to_local().t_ == 2 * N_ROWS


def test_mixing_is_the_merge_of_the_shards_copies(client):
    X, y, blocks, dX, dy = make_data(3)
    params = dict(random_state=0, alpha=1e-4)
    model = DaskSparseFTRLClassifier(max_iter=3, client=client, **params).fit(dX, dy)
    assert sorted(i for shard in model.shards_ for i in shard) == list(range(len(blocks)))
    expected = _simulate(SparseFTRLClassifier, params, model.shards_, blocks, y, 3, np.unique(y))
    # (a merge carries no count of passes: fit's are its three, as the local fit's epochs)
    assert_same_state(
        model.to_local(), SparseFTRLClassifier(**params).set_ftrl_state(expected), but=["n_iter"]
    )
    assert model.to_local().t_ == 3 * N_ROWS
    assert model.n_iter_ == model.to_local().n_iter_ == 3


def test_weighted_mixing_averages_the_copies_in_proportion_to_their_weights(client):
    # the copies were averaged by the rows each trained on, whatever their weights: a shard
    # of rows weighted ~0 counted as much as one of rows weighted ~5
    X, y, blocks, dX, dy = make_data(None)
    rng = np.random.default_rng(2)
    weight = np.concatenate([rng.uniform(0, 5 * (i % 2) + 0.01, BLOCK) for i in range(6)])
    params = dict(random_state=0, alpha=1e-4)
    model = DaskSparseFTRLRegressor(max_iter=2, client=client, **params)
    model.fit(dX, dy, sample_weight=da.from_array(weight, chunks=BLOCK))
    assert len(model.shards_) == 2
    expected = _simulate(SparseFTRLRegressor, params, model.shards_, blocks, y, 2, None, weight)
    assert_same_state(
        model.to_local(), SparseFTRLRegressor(**params).set_ftrl_state(expected), but=["n_iter"]
    )
    assert model.n_iter_ == 2


def test_one_shard_per_worker_however_many_workers_scheduler_info_lists(client, monkeypatch):
    # some distributed releases list at most 5 workers in scheduler_info() unless asked for
    # more: the number of shards (and so the model) must not depend on that
    listed = distributed.Client.scheduler_info

    def fewer(self, *args, **kwargs):
        info = listed(self, *args, **kwargs)
        first = next(iter(info["workers"]))
        return {**info, "workers": {first: info["workers"][first]}}

    monkeypatch.setattr(distributed.Client, "scheduler_info", fewer)
    assert len(client.scheduler_info()["workers"]) == 1
    X, y, blocks, dX, dy = make_data(2)
    model = DaskSparseFTRLClassifier(client=client, random_state=0).fit(dX, dy)
    assert len(model.shards_) == 2  # the fixture's two workers
    assert model.shards_ == [[0, 1, 2], [3, 4, 5]]


class _DieWhenTraining(distributed.WorkerPlugin):
    """The first worker to start training a shard writes its address and kills its process;
    only one does (the marker file is created exclusively), and its new process lives on."""

    name = "die-when-training"

    def __init__(self, marker):
        self.marker = marker

    def setup(self, worker):
        self.address = worker.address

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or "_train_shard" not in str(key):
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, self.address.encode())
        os.close(fd)
        os._exit(1)  # the nanny starts a new process


def test_a_worker_lost_during_fit_does_not_change_the_model(client, tmp_path):
    X, y, blocks, dX, dy = make_data(2)
    params = dict(random_state=0, alpha=1e-4, max_iter=4, client=client)
    undisturbed = DaskSparseFTRLClassifier(**params).fit(dX, dy)
    marker = tmp_path / "died"
    # a worker dies as it starts training a shard, however slow the machine: after fit counted
    # the workers (the task's name is the one thing this test knows of the inside)
    client.register_plugin(_DieWhenTraining(str(marker)))
    try:
        disturbed = DaskSparseFTRLClassifier(**params).fit(dX, dy)
    finally:
        try:
            client.wait_for_workers(2, timeout=60)
        finally:
            # the restarted worker may still be installing the plugin it got as it registered:
            # its removal there raises KeyError (the plugin left there does nothing: the marker
            # exists)
            with contextlib.suppress(KeyError):
                client.unregister_worker_plugin(_DieWhenTraining.name)
    assert marker.exists(), "no worker died during fit"
    assert marker.read_text() not in client.scheduler_info()["workers"]
    assert disturbed.shards_ == undisturbed.shards_
    assert_same_state(disturbed.to_local(), undisturbed.to_local())


def test_fits_run_in_tasks_on_every_worker_thread_finish(client):
    # GridSearchCV under joblib's dask backend runs each candidate's fit (and score) in a task:
    # with a fit on each worker thread, each waited for tasks no thread was left to run, for
    # good. They leave the thread pool while they wait (distributed's secede/rejoin)
    X = np.random.RandomState(0).normal(size=(600, 5))
    y = (X[:, 0] > 0).astype(int)
    dX, dy = client.persist([da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)])

    def fit_and_score(alpha, started):
        from distributed import Event

        Event(started).set()
        # (both threads taken before either fit submits its tasks)
        other = "b" if started == "a" else "a"
        Event(other).wait(timeout=30)
        model = DaskSparseFTRLClassifier(alpha=alpha, random_state=0, max_iter=2).fit(dX, dy)
        return model.to_local().get_ftrl_state(), model.score(dX, dy)

    workers = sorted(client.nthreads())
    assert len(workers) == 2 and all(n == 1 for n in client.nthreads().values())
    futures = [
        client.submit(fit_and_score, alpha, name, workers=[worker], pure=False)
        for alpha, name, worker in zip((1e-4, 1e-2), "ab", workers)
    ]
    try:
        found = [future.result(timeout=60) for future in futures]
    finally:
        client.cancel(futures)
    for (state, score), alpha in zip(found, (1e-4, 1e-2)):
        here = DaskSparseFTRLClassifier(alpha=alpha, random_state=0, max_iter=2, client=client)
        here.fit(dX, dy)
        there = SparseFTRLClassifier(alpha=alpha, random_state=0).set_ftrl_state(state)
        assert_same_state(there, here.to_local())
        assert score == here.score(dX, dy)


def test_scorers_computing_lazy_predictions_in_tasks_on_every_worker_thread_finish(client):
    # GridSearchCV's scoring="neg_log_loss" computes predict_proba's lazy predictions in the
    # candidate's task (np.asarray): with such a task on each worker thread (and no fit before
    # it, which leaves the pool for good), each waits for the blocks' tasks, which distributed's
    # Client.get runs seceded
    from sklearn.metrics import get_scorer

    scorer = get_scorer("neg_log_loss")
    X = np.random.RandomState(0).normal(size=(600, 5))
    y = (X[:, 0] > 0).astype(int)
    dX, dy = client.persist([da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)])
    models = [
        DaskSparseFTRLClassifier(alpha=alpha, random_state=0, max_iter=2, client=client).fit(dX, dy)
        for alpha in (1e-4, 1e-2)
    ]

    def score(model, started):
        from distributed import Event

        Event(started).set()
        Event("d" if started == "c" else "c").wait(timeout=30)  # (both threads taken)
        return scorer(model, dX, dy)

    workers = sorted(client.nthreads())
    assert len(workers) == 2 and all(n == 1 for n in client.nthreads().values())
    futures = [
        client.submit(score, model, name, workers=[worker], pure=False)
        for model, name, worker in zip(models, "cd", workers)
    ]
    try:
        found = [future.result(timeout=60) for future in futures]
    finally:
        client.cancel(futures)
    expected = [scorer(model, dX, dy) for model in models]
    assert found == expected and expected[0] != expected[1]


def test_a_hasher_given_a_dask_dataframe_says_to_give_it_to_a_dask_estimator():
    # make_pipeline(hasher, model).fit(a dask DataFrame) failed inside pandas' checks: "Trying
    # to convert ... Scalar to a boolean value"
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline

    frame = pd.DataFrame({"city": list("abcab") * 10, "y": [0, 1] * 25})
    lazy = dd.from_pandas(frame, npartitions=2)
    message = (
        r"X is a dask collection \(DataFrame\); a FeatureCrossHasher hashes rows in memory\. "
        r"Give it to a Dask estimator, DaskSparseFTRLClassifier\(hasher=FeatureCrossHasher"
    )
    pipe = make_pipeline(FeatureCrossHasher(["city"]), SparseFTRLClassifier())
    with pytest.raises(TypeError, match=message):
        pipe.fit(lazy[["city"]], lazy["y"])
    assert not hasattr(pipe[0], "n_features_in_")
    fitted = FeatureCrossHasher(["city"]).fit(frame[["city"]])
    for call in (fitted.transform, FeatureCrossHasher(["city"]).fit_transform):
        with pytest.raises(TypeError, match=message):
            call(lazy[["city"]])
    with pytest.raises(TypeError, match=r"X is a dask collection \(Array\)"):
        fitted.transform(da.from_array(frame[["city"]].to_numpy(), chunks=10))


def test_a_fit_in_a_task_of_a_standard_library_thread_pool_trains():
    # a worker given concurrent.futures' ThreadPoolExecutor: its task threads have no
    # distributed pool to secede from (secede raised AttributeError, failing the fit)
    import concurrent.futures

    X = np.random.RandomState(0).normal(size=(400, 5))
    y = (X[:, 0] > 0).astype(int)

    def fit_and_score(dX, dy):
        # (this cluster's client: the default one in this process may be another test's)
        on = distributed.get_client()
        model = DaskSparseFTRLClassifier(random_state=0, client=on).fit(dX, dy)
        return model.to_local().get_ftrl_state(), model.score(dX, dy)

    with (
        concurrent.futures.ThreadPoolExecutor(3) as pool,
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=3, processes=False, dashboard_address=None,
            executor=pool,
        ) as cluster,
        distributed.Client(cluster) as threads,
    ):  # fmt: skip
        dX = threads.persist(da.from_array(X, chunks=(100, 5)))
        dy = threads.persist(da.from_array(y, chunks=100))
        state, score = threads.submit(fit_and_score, dX, dy, pure=False).result(timeout=60)
        here = DaskSparseFTRLClassifier(random_state=0, client=threads).fit(dX, dy)
        assert_same_state(
            SparseFTRLClassifier(random_state=0).set_ftrl_state(state), here.to_local()
        )
        assert score == here.score(dX, dy)


@pytest.mark.parametrize("mixing", [None, "average"])
@pytest.mark.parametrize("text", [False, True])
def test_balanced_class_weights_are_those_of_the_whole_y(client, mixing, text):
    # class_weight='balanced' was refused with partial_fit's message ("not supported for
    # partial_fit"), from fit; the weights are the local fit's, of the whole y's counts
    from sklearn.utils import compute_class_weight

    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 5))
    y = np.where(X[:, 0] > 0.8, 2, np.where(X[:, 1] > 0.3, 1, 0))
    y = np.array(["no", "yes", "maybe"])[y] if text else y
    dX, dy = da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=(130, 70, 200, 200))
    labels = np.unique(y)
    weights = compute_class_weight("balanced", classes=labels, y=y)
    assert len(set(weights.tolist())) == 3  # (unequal classes: the weights matter)
    common = dict(mixing=mixing, random_state=0, client=client)
    balanced = DaskSparseFTRLClassifier(class_weight="balanced", **common).fit(dX, dy)
    given = dict(zip(labels.tolist(), weights.tolist()))
    expected = DaskSparseFTRLClassifier(class_weight=given, **common).fit(dX, dy)
    assert_same_state(balanced.to_local(), expected.to_local(), but=["params"])
    unweighted = DaskSparseFTRLClassifier(**common).fit(dX, dy)
    assert not np.array_equal(balanced.coef_, unweighted.coef_)
    assert balanced.get_params()["class_weight"] == "balanced"
    # classes given (in any order) weigh as the gathered ones; a class of no row is refused
    again = DaskSparseFTRLClassifier(class_weight="balanced", **common)
    again.fit(dX, dy, classes=labels[::-1])
    assert_same_state(again.to_local(), balanced.to_local())
    more = [*labels.tolist(), "never" if text else 7]
    model = DaskSparseFTRLClassifier(class_weight="balanced", **common)
    with pytest.raises(ValueError, match=r"the classes \['never'\]|the classes \[7\] have none"):
        model.fit(dX, dy, classes=more)
    assert not hasattr(model, "estimator_")
    # classes that miss labels of y (of another type: ints for text) are refused as
    # partial_fit refuses them, not as classes of no row
    other = [0, 1, 2] if text else ["0", "1", "2"]
    with pytest.raises(ValueError, match="y contains labels not in classes"):
        model.fit(dX, dy, classes=other)
    assert not hasattr(model, "estimator_")


def test_one_seed_for_every_copy_when_random_state_is_none(client):
    X, y, blocks, dX, dy = make_data(2)
    # Bloom counters of copies with different seeds could not be merged: fit would raise
    model = DaskSparseFTRLClassifier(
        inclusion="bloom",
        inclusion_count=2,
        bloom_size=2**12,
        random_state=None,
        max_iter=2,
        client=client,
    ).fit(dX, dy)
    assert model.to_local().t_ == 2 * N_ROWS


@pytest.mark.parametrize("mixing", ["average", None])
def test_a_fit_failing_on_a_worker_leaves_a_random_state_given_as_it_was(client, mixing):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), np.arange(400) % 2
    X_bad = X.copy()
    X_bad[350, 0] = np.inf  # refused by the local partial_fit, on a worker, once training
    dy = da.from_array(y, chunks=100)
    random_state = np.random.RandomState(0)
    with pytest.raises(ValueError, match="infinity"):
        DaskSparseFTRLClassifier(mixing=mixing, random_state=random_state, client=client).fit(
            da.from_array(X_bad, chunks=(100, 5)), dy
        )
    # as the local estimator leaves it: the fit retried gives the model a first fit gives
    untouched = np.random.RandomState(0)
    assert same_generator_state(random_state, untouched)
    models = [
        DaskSparseFTRLClassifier(mixing=mixing, random_state=state, client=client).fit(
            da.from_array(X, chunks=(100, 5)), dy
        )
        for state in (random_state, untouched)
    ]
    assert_same_state(*(model.to_local() for model in models))
    # and a fit that succeeds draws from it, as before
    assert same_generator_state(random_state, untouched)
    assert not same_generator_state(random_state, np.random.RandomState(0))


def test_a_fit_interrupted_after_training_leaves_the_generator_and_the_workers_as_they_were(
    client, monkeypatch
):
    # Ctrl-C (or any error) in the local model's set_ftrl_state, once the state was gathered:
    # the RandomState given had been advanced already, and the error's traceback held fit's
    # frame, whose futures kept every partition in the workers' memory
    import time

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), np.arange(400) % 2
    random_state = np.random.RandomState(0)

    def held():
        return {key for key, workers in client.who_has().items() if workers}

    def interrupted(self, state):  # (here only: the workers are other processes)
        raise KeyboardInterrupt

    before = held()
    monkeypatch.setattr(SparseFTRLClassifier, "set_ftrl_state", interrupted)
    model = DaskSparseFTRLClassifier(random_state=random_state, client=client)
    with pytest.raises(KeyboardInterrupt) as caught:
        model.fit(da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100))
    assert caught.value.__traceback__ is not None  # (kept, as IPython keeps it)
    assert same_generator_state(random_state, np.random.RandomState(0))
    assert not hasattr(model, "estimator_")
    deadline = time.monotonic() + 10
    while held() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not held() - before


def _refusing_site_z(frame):  # (a partition that fails when computed)
    if len(frame) and frame["site"].iloc[0] == "z":
        raise RuntimeError("a partition that cannot be read")
    return frame


def test_a_failed_read_of_a_partition_for_its_kinds_leaves_no_future_held(client):
    # the kinds of object columns are read from the first partitions holding values: a
    # partition failing there kept its failed future (and the data read before) for the
    # client's life, the error's traceback holding the frames that held it
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    zips = pd.Series([None] * 50 + ["02139"] * 50, dtype=object)  # (partition 0: no zip)
    frame = pd.DataFrame({"zip": zips, "site": ["a"] * 50 + ["z"] * 50})
    hasher = FeatureCrossHasher(crosses=["zip", "site"], n_features=2**10)
    before = set(client.futures)
    with dask.config.set({"dataframe.convert-string": False}):
        X = dd.from_pandas(frame, npartitions=2, sort=False).map_partitions(_refusing_site_z)
        y = dd.from_pandas(pd.Series([0, 1] * 50), npartitions=2, sort=False)
        model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
        with pytest.raises(RuntimeError, match="cannot be read") as caught:
            model.fit(X, y)
    assert caught.value.__traceback__ is not None  # (kept, as IPython keeps the last one)
    deadline = time.monotonic() + 10  # (a future is released on the client's event loop)
    while not set(client.futures) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(client.futures) <= before
    assert not hasattr(model, "hasher_") and not hasattr(model, "estimator_")


def same_generator_state(a, b):
    (_, keys_a, pos_a, *rest_a), (_, keys_b, pos_b, *rest_b) = a.get_state(), b.get_state()
    return np.array_equal(keys_a, keys_b) and pos_a == pos_b and rest_a == rest_b


@pytest.mark.parametrize(
    "fault, mixing", [("training", "average"), ("training", None), ("labels", "average")]
)
def test_a_failed_fit_leaves_nothing_in_the_workers_memory(client, fault, mixing):
    import time

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), (np.arange(400) % 2).astype(float)
    if fault == "training":
        X[350, 0] = np.inf  # refused by the local partial_fit, on a worker
    else:
        y[350] = np.nan  # refused when the labels are gathered

    def held():
        return {key for key, workers in client.who_has().items() if workers}

    before = held()
    with pytest.raises(ValueError) as caught:
        DaskSparseFTRLClassifier(mixing=mixing, client=client).fit(
            da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)
        )
    # the error kept, as IPython keeps the last one: its traceback holds fit's frames, and
    # distributed the error while the futures in them live (the partitions were held for good)
    assert caught.value.__traceback__ is not None
    deadline = time.monotonic() + 10
    while held() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not held() - before


def test_a_failed_score_leaves_nothing_in_the_workers_memory(client):
    import time

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), rng.normal(size=400)
    dX = da.from_array(X, chunks=(100, 5))
    model = DaskSparseFTRLRegressor(client=client).fit(dX, da.from_array(y, chunks=100))

    def held():
        return {key for key, workers in client.who_has().items() if workers}

    before = held()
    y[350] = np.nan
    with pytest.raises(ValueError, match="partition 3 of y") as caught:
        model.score(dX, da.from_array(y, chunks=100))
    assert caught.value.__traceback__ is not None  # (kept, as IPython keeps it)
    deadline = time.monotonic() + 10
    while held() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not held() - before


def test_clone_and_pickle_leave_the_client_behind(client):
    import pickle

    from sklearn.base import clone

    model = DaskSparseFTRLClassifier(alpha=0.5, client=client)
    assert clone(model).client is client and clone(model).alpha == 0.5
    X, y, blocks, dX, dy = make_data(2)
    model.set_params(mixing=None).fit(dX, dy)
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.client is None
    assert model.client is client  # pickling it set the model's own client to None
    assert copy.deepcopy(model).client is None and model.client is client
    np.testing.assert_array_equal(loaded.to_local().coef_, model.to_local().coef_)


def test_the_client_given_is_used_when_there_is_no_default_client(client, monkeypatch):
    import weakref

    # as with Client(..., set_as_default=False): fit waited with the default client, and failed
    # with 'No clients found'
    monkeypatch.setattr(distributed.client, "_global_clients", weakref.WeakValueDictionary())
    token = distributed.client._current_client.set(None)  # (the fixture's `with` set it)
    try:
        with pytest.raises(ValueError, match="No clients found"):
            distributed.default_client()
        X, y, blocks, dX, dy = make_data(2)
        for mixing in ("average", None):
            model = DaskSparseFTRLClassifier(mixing=mixing, client=client).fit(dX, dy)
            assert model.to_local().t_ == N_ROWS
            assert 0.5 < model.score(dX, dy) <= 1
    finally:
        distributed.client._current_client.reset(token)


@pytest.mark.parametrize("n_classes", [None, 2])
def test_a_fitted_model_scores_where_no_cluster_runs_as_it_predicts(
    client, fitted, monkeypatch, n_classes
):
    # score asked for the default client ("No clients found") where predict's lazy arrays are
    # computed by dask's own scheduler: now score is too
    import weakref

    X, y, blocks, dX, dy = make_data(n_classes)
    model = fitted(n_classes)
    weight = da.from_array(np.random.default_rng(3).uniform(0, 2, N_ROWS), chunks=BLOCK)
    expected = [model.score(dX, dy), model.score(dX, dy, sample_weight=weight), model.score(dX, y)]
    model.set_params(client=None)
    monkeypatch.setattr(distributed.client, "_global_clients", weakref.WeakValueDictionary())
    token = distributed.client._current_client.set(None)  # (the fixture's `with` set it)
    try:
        with pytest.raises(ValueError, match="No clients found"):
            distributed.default_client()
        # (dask's scheduler where no Client was made: a Client sets "dask.distributed")
        with dask.config.set(scheduler="threads"):
            got = [
                model.score(dX, dy),
                model.score(dX, dy, sample_weight=weight),
                model.score(dX, y),
            ]
            assert model.predict(dX).compute().shape == (N_ROWS,)
        assert got == expected
        with pytest.raises(ValueError, match="No clients found"):  # (fit needs a cluster)
            model.fit(dX, dy)
    finally:
        distributed.client._current_client.reset(token)


@pytest.mark.parametrize("Dask", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_a_client_that_is_not_a_client_is_refused_naming_it(client, Dask):
    # an address string fell through to an AttributeError ('str' object has no attribute ...)
    X, y = np.eye(8), np.arange(8) % 2
    dX, dy = da.from_array(X, chunks=(4, 8)), da.from_array(y, chunks=4)
    model = Dask(client="tcp://127.0.0.1:8786")
    with pytest.raises(TypeError, match="client must be a distributed.Client or None, got str"):
        model.fit(dX, dy)
    assert not hasattr(model, "estimator_")
    fitted = Dask(mixing=None, client=client).fit(dX, dy)
    with pytest.raises(TypeError, match="client must be a distributed.Client or None, got str"):
        fitted.set_params(client="tcp://127.0.0.1:8786").score(dX, dy)


def test_labels_absent_from_some_partitions_and_empty_partitions(client):
    X, y, blocks, dX, dy = make_data(3)
    y = np.where(np.arange(N_ROWS) < BLOCK, 5, y)  # label 5 only in the first partition
    empty = da.from_array(X[:0], chunks=(0, WIDTH), asarray=False)
    dX = da.concatenate([dX, empty])
    dy = da.concatenate([da.from_array(y, chunks=BLOCK), da.from_array(y[:0], chunks=0)])
    model = DaskSparseFTRLClassifier(mixing=None, client=client, random_state=0).fit(dX, dy)
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    assert 5 in model.classes_
    assert model.to_local().t_ == N_ROWS  # the empty partition is skipped
    assert model.predict(dX).compute().shape == (N_ROWS,)


def test_predictions_keep_xs_blocks_an_empty_one_included(client):
    # da.concatenate dropped the empty block: the predictions had a block fewer than X, and a
    # y partitioned as X (a Series, or an array of unknown blocks) was refused by score
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import pandas as pd

    X = np.random.default_rng(0).normal(size=(50, 4))
    y = (X[:, 0] > 0).astype(int)
    bounds = [(0, 13), (13, 26), (26, 26), (26, 50)]
    chunks = ((13, 13, 0, 24),)
    dX = da.from_array(sp.csr_matrix(X), chunks=(chunks[0], 4), asarray=False)
    dy = da.from_array(y, chunks=chunks)
    series = dd.from_delayed(
        [dask.delayed(pd.Series)(y[a:b], index=range(a, b)) for a, b in bounds],
        meta=pd.Series([], dtype=y.dtype),
    )
    model = DaskSparseFTRLClassifier(mixing=None, client=client, random_state=0).fit(dX, dy)
    local = model.to_local()
    for method in ("predict", "predict_proba", "decision_function"):
        lazy = getattr(model, method)(dX)
        assert lazy.chunks[0] == chunks[0], method
        np.testing.assert_array_equal(lazy.compute(), getattr(local, method)(X))
    expected = local.score(X, y)
    assert model.score(dX, series) == expected
    assert model.score(dX, dy[dy >= 0]) == expected  # blocks of unknown length
    assert model.score(dX[dy >= 0], dy) == expected


def test_the_lazy_predictions_carry_the_model_once_not_in_every_task(client):
    # given to each block's task, the model was sent with each: 160 blocks of a 34 MB model
    # predicted in 4.4 s, 1.1 s once
    dd = pytest.importorskip("dask.dataframe")
    import pickle

    import pandas as pd

    rng = np.random.default_rng(0)
    X = sp.random(200, WIDTH, density=0.001, format="csr", random_state=rng)
    y = rng.integers(0, 3, 200)
    dX = da.from_array(X, chunks=(10, WIDTH), asarray=False)
    model = DaskSparseFTRLClassifier(client=client, random_state=0).fit(dX, da.from_array(y, 10))
    frame = pd.DataFrame({"kind": rng.choice(["a", "b"], 200)})
    hasher = FeatureCrossHasher(crosses=["kind"], n_features=WIDTH)
    hashed = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
    hashed.fit(dd.from_pandas(frame, npartitions=20), dd.from_pandas(pd.Series(y), npartitions=20))
    for fitted, data in ((model, dX), (hashed, dd.from_pandas(frame, npartitions=20))):
        size = len(pickle.dumps(fitted.to_local()))
        for method in ("predict", "predict_proba", "decision_function"):
            lazy = getattr(fitted, method)(data)
            tasks = dict(lazy.__dask_graph__()).values()
            assert sum(len(pickle.dumps(task)) > size / 2 for task in tasks) == 1, method
    local = model.to_local()
    np.testing.assert_array_equal(model.predict_proba(dX).compute(), local.predict_proba(X))


def test_a_missing_label_is_refused_as_the_local_classifier_refuses_it(client):
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import pandas as pd

    X = np.eye(8)
    labels = np.array(["a", "b"] * 4, dtype=object)
    none, nan = labels.copy(), labels.copy()
    none[5], nan[5] = None, np.nan
    na = pd.Series(labels).astype("string")
    na[5] = pd.NA
    # each partition's labels sort, but the two partitions' together do not (a partition's
    # dtype is not always the declared one: CSV files read apart, say)
    halves = [pd.Series(labels[:4]), pd.Series([1, 2, 1, 2])]
    mixed = dd.from_delayed(
        [dask.delayed(half) for half in halves], meta=halves[0][:0], verify_meta=False
    )
    cases = {
        "None": (none, da.from_array(none, chunks=4)),
        "NaN": (nan, da.from_array(nan, chunks=4)),
        "pandas.NA": (na, dd.from_pandas(na, npartitions=2)),
        "numbers and strings": (np.concatenate([labels[:4], halves[1]]), mixed),
    }
    for name, (y, dy) in cases.items():
        with pytest.raises(ValueError) as expected:
            SparseFTRLClassifier().fit(X, y)
        message = str(expected.value).replace("row 5", "row 1")  # the row in its partition
        for mixing in ("average", None):
            model = DaskSparseFTRLClassifier(mixing=mixing, client=client)
            with pytest.raises(ValueError) as raised:
                model.fit(da.from_array(X, chunks=(4, 8)), dy)
            assert str(raised.value).endswith(message), name
            if name != "numbers and strings":
                assert str(raised.value).startswith("partition 1 of y: "), name
            assert not hasattr(model, "estimator_")
    with pytest.raises(ValueError, match="classes hold a missing label"):
        DaskSparseFTRLClassifier(client=client).fit(
            da.from_array(X, chunks=(4, 8)), da.from_array(labels, chunks=4), classes=["a", None]
        )


@pytest.mark.parametrize(
    "zip_as",
    [
        "str",
        "object str",
        "object str after an empty partition",
        "object str after a partition of no zip",
        "unknown int categories",
    ],
)
def test_a_dask_model_exports_its_columns_kinds_for_the_command_line(client, tmp_path, zip_as):
    # the hasher given is not fitted (fit leaves it as given): an export of it beside the
    # local model recorded no kinds, and `sparsereg predict` read the zip codes of a CSV as
    # numbers (02139 as 2139: every row's prediction without them). Now fit notes the kinds
    # in hasher_, which export_model(model) exports: by the dtype, or, where it decides none
    # (object; a categorical's unknown categories, a placeholder str in dask's meta), by the
    # first partition's values
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from sparsereg.cli import main

    rng = np.random.RandomState(0)
    codes = [2139, 10001, 94110, 501]
    zips = rng.choice(codes, 2000)
    frame = pd.DataFrame({"zip": zips, "site": rng.choice(["a", "b"], 2000), "n": rng.rand(2000)})
    if zip_as != "unknown int categories":
        frame["zip"] = pd.Series([f"{z:05d}" for z in zips], dtype=object)
    y = pd.Series(((zips == 2139) ^ (rng.rand(2000) < 0.1)).astype(int))
    hasher = FeatureCrossHasher(crosses=["zip", ("zip", "site"), "n"], n_features=2**14)
    if zip_as.endswith("no zip"):  # (a first partition whose zips are all missing)
        frame.loc[:999, "zip"] = None
    with dask.config.set({"dataframe.convert-string": zip_as == "str"}):
        ddf, dy = dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2)
        if zip_as.endswith("empty partition"):  # (the probe reads on to one holding values)
            ddf = dd.concat([dd.from_pandas(frame.iloc[:0], npartitions=1), ddf])
            dy = dd.concat([dd.from_pandas(y.iloc[:0], npartitions=1), dy])
        if zip_as == "unknown int categories":
            ddf = ddf.astype({"zip": "category"})
        model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
        with warnings.catch_warnings():  # (every partition holds the kind recorded: no word)
            warnings.simplefilter("error")
            model.fit(ddf, dy)
        expected = model.predict_proba(ddf).compute()[:300, 1]
    assert not hasattr(hasher, "column_kinds_")  # (the parameter, as given)
    zip_kind = "number" if zip_as == "unknown int categories" else "text"
    assert model.hasher_.column_kinds_ == {"zip": zip_kind, "site": "text", "n": "number"}
    export_model(model).save(tmp_path / "model.npz")
    frame.iloc[:300].to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out.csv"
    argv = ["predict", str(tmp_path / "model.npz"), str(tmp_path / "rows.csv"), "--proba"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    np.testing.assert_allclose(pd.read_csv(out).iloc[:, -1], expected, rtol=1e-12)


@pytest.mark.parametrize("first", ["numbers", "text"])
def test_a_partition_holding_another_kind_than_hasher_records_is_warned_of(client, first):
    # an object column's kind is its first partition's: zip codes as numbers there and as text
    # in the next were recorded 'number', and an export read every file's zips as numbers,
    # missing the weights the text rows trained, without a word
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    numbers, text = [2139, 94110] * 25, ["02139", "94110"] * 25
    zips = pd.Series(numbers + text if first == "numbers" else text + numbers, dtype=object)
    frame = pd.DataFrame({"zip": zips, "site": ["a", "b", "c", "d"] * 25})
    hasher = FeatureCrossHasher(crosses=["zip", "site"], n_features=2**10)
    with dask.config.set({"dataframe.convert-string": False}):
        X = dd.from_pandas(frame, npartitions=4, sort=False)
        y = dd.from_pandas(pd.Series([0, 1] * 50), npartitions=4, sort=False)
        model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
        recorded, held = ("number", "text") if first == "numbers" else ("text", "numbers")
        with pytest.warns(UserWarning, match=f"'zip' holds {held} .* hasher_ records it as") as w:
            model.fit(X, y)
        assert model.hasher_.column_kinds_ == {"zip": recorded, "site": "text"}
        assert sum("'zip' holds" in str(r.message) for r in w) == 1  # (two partitions hold it)
        # a hasher given fitted (on a frame of the first kind) warned of its own kinds too,
        # in other words: hasher_'s are the ones said
        fitted = copy.deepcopy(hasher).fit(frame.iloc[:50])
        given_fitted = DaskSparseFTRLClassifier(hasher=fitted, client=client, random_state=0)
        with pytest.warns(UserWarning, match="hasher_ records it as") as w:
            given_fitted.fit(X, y)
        assert sum("'zip' holds" in str(r.message) for r in w) == 1
        again = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
        with warnings.catch_warnings():  # (the client's filters decide: an error leaves the
            warnings.simplefilter("error")  # estimator unfitted)
            with pytest.raises(UserWarning, match="'zip' holds"):
                again.fit(X, y)
        assert not hasattr(again, "estimator_") and not hasattr(again, "hasher_")
        # score warns of them too (it scored rows that miss the weights without a word), once
        # for the hasher given fitted as for the one fitted by fit
        for fitted_model in (model, given_fitted):
            with pytest.warns(UserWarning, match=f"'zip' holds {held} .* hasher_ records") as w:
                fitted_model.score(X, y)
            assert sum("'zip' holds" in str(r.message) for r in w) == 1


def test_datetimes_of_the_other_awareness_than_fit_saw_are_warned_of(client):
    # without 'tz', aware datetimes are bucketed at their UTC times and naive ones at the times
    # they spell: a model fitted on one reads other buckets of the other
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    ts = pd.Series(pd.date_range("2024-03-30", periods=120, freq="37min", tz="Europe/Paris"))
    aware = pd.DataFrame({"ts": ts, "site": ["a", "b", "c"] * 40})
    naive = aware.assign(ts=ts.dt.tz_localize(None))
    y = dd.from_pandas(pd.Series(np.arange(120) % 2), npartitions=3, sort=False)
    hasher = FeatureCrossHasher(
        crosses=[("ts", "site")], buckets={"ts": {"datetime": "1h"}}, n_features=2**12
    )
    for fitted_on, other, kind in ((aware, naive, "naive"), (naive, aware, "timezone-aware")):
        X = dd.from_pandas(fitted_on, npartitions=3, sort=False)
        model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(X, y)
        assert model.hasher_.datetime_aware_ == {"ts": fitted_on is aware}
        X_other = dd.from_pandas(other, npartitions=3, sort=False)
        with pytest.warns(UserWarning, match=f"column 'ts' holds {kind} datetimes") as seen:
            moved = model.predict_proba(X_other)
        assert len(seen) == 1 and seen[0].filename == __file__
        # what it warns of: other buckets, other predictions
        assert not np.array_equal(moved.compute(), model.predict_proba(X).compute())
        with pytest.warns(UserWarning, match=f"column 'ts' holds {kind} datetimes") as seen:
            model.score(X_other, y)
        assert sum("datetime_aware_" in str(w.message) for w in seen) == 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.predict(X).compute()
    # held as text (dd.read_csv's): the first partition holding a value tells, and each
    # partition's are checked as they are hashed (said by fit and score)
    as_text = {
        name: frame.assign(ts=frame["ts"].map(lambda t: t.isoformat()))
        for name, frame in (("aware", aware), ("naive", naive))
    }
    X = dd.from_pandas(as_text["aware"], npartitions=3, sort=False)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(X, y)
    assert model.hasher_.datetime_aware_ == {"ts": True}
    X_naive = dd.from_pandas(as_text["naive"], npartitions=3, sort=False)
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes") as seen:
        model.score(X_naive, y)
    assert sum("datetime_aware_" in str(w.message) for w in seen) == 1
    mixed = pd.concat([as_text["aware"].iloc[:80], as_text["naive"].iloc[80:]])
    with pytest.warns(UserWarning, match="column 'ts' holds naive datetimes"):
        DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(
            dd.from_pandas(mixed, npartitions=3, sort=False), y
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.score(X, y)


def test_export_model_of_a_dask_model_is_its_local_model_or_refused(client):
    X, y, blocks, dX, dy = make_data(2)
    plain = DaskSparseFTRLClassifier(client=client, random_state=0).fit(dX, dy)
    assert not hasattr(plain, "hasher_")
    np.testing.assert_array_equal(
        export_model(plain).predict_proba(X), export_model(plain.to_local()).predict_proba(X)
    )
    np.testing.assert_array_equal(  # (in a Pipeline: as its local model)
        export_model(make_pipeline(plain)).predict_proba(X), plain.to_local().predict_proba(X)
    )

    class TaggedPipeline(Pipeline):  # (of other parameters: not rebuilt from its steps)
        def __init__(self, steps, tag):
            super().__init__(steps)
            self.tag = tag

    tagged = TaggedPipeline([("model", plain)], tag="t")
    np.testing.assert_array_equal(
        export_model(tagged).predict_proba(X), plain.to_local().predict_proba(X)
    )
    hashing = copy.copy(plain).set_params(hasher=FeatureCrossHasher())  # (given since fit)
    with pytest.raises(ValueError, match="has a hasher but no hasher_: it was fitted without"):
        export_model(hashing)
    with pytest.raises(ValueError, match="last step is a DaskSparseFTRLClassifier with a hasher"):
        export_model(make_pipeline(hashing))


def test_a_dask_fit_names_buckets_no_cross_uses(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    frame = pd.DataFrame({"site": ["a", "b"] * 50, "n": np.arange(100.0)})
    hasher = FeatureCrossHasher(crosses=["site"], buckets={"n": 5.0}, n_features=2**10)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
    with pytest.warns(UserWarning, match="buckets name 'n', which no cross in crosses uses"):
        model.fit(
            dd.from_pandas(frame, npartitions=2), dd.from_pandas(frame["n"] % 2, npartitions=2)
        )


def test_a_dataframe_is_hashed_on_the_workers(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "lat": rng.uniform(37, 38, 3000),
            "lon": rng.uniform(-123, -122, 3000),
            "kind": rng.choice(["a", "b", "c"], 3000),
        }
    )
    y = ((frame["lat"] > 37.5) & (frame["kind"] != "c")).astype(int)
    hasher = FeatureCrossHasher(
        crosses=[("lat", "lon"), "kind"], buckets={"lat": 0.05, "lon": 0.05}, n_features=2**16
    )
    ddf, dy = dd.from_pandas(frame, npartitions=3), dd.from_pandas(y, npartitions=3)
    ddf = ddf[ddf["lat"] > 0]  # a filter: dask keeps the partitions, here all full
    ddf = dd.concat([ddf, dd.from_pandas(frame.iloc[:0], npartitions=1)])  # and an empty one
    dy = dd.concat([dy, dd.from_pandas(y.iloc[:0], npartitions=1)])
    model = DaskSparseFTRLClassifier(mixing=None, hasher=hasher, client=client, random_state=0).fit(
        ddf, dy
    )
    local = SparseFTRLClassifier(random_state=0)
    for part, target in list(zip(ddf.partitions, dy.partitions))[:3]:
        local.partial_fit(hasher.transform(part.compute()), target.compute(), classes=[0, 1])
    assert_same_state(model.to_local(), local)
    np.testing.assert_array_equal(
        model.predict_proba(ddf).compute(), local.predict_proba(hasher.transform(frame))
    )
    # the input is the DataFrame's three columns, as a Pipeline(hasher, model) counts it
    assert model.n_features_in_ == 3 and model.to_local().n_features_in_ == 2**16
    assert model.feature_names_in_.tolist() == ["lat", "lon", "kind"]
    model.set_params(hasher=None).fit(da.from_array(np.eye(4)), da.from_array(np.arange(4) % 2))
    assert model.n_features_in_ == 4 and not hasattr(model, "feature_names_in_")


def test_features_and_label_of_one_parquet_read_pair_partition_for_partition(client, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    files = []
    for i in range(8):
        n = 300 + 10 * i
        frame = pd.DataFrame(
            {
                "city": rng.choice(["a", "b", "c"], n),
                "x": rng.normal(size=n),
                "other": rng.normal(size=n),
                "label": rng.randint(0, 2, n),
            }
        )
        frame.to_parquet(tmp_path / f"part{i}.parquet")
        files.append(frame)
    ddf = dd.read_parquet(tmp_path)
    X, y = ddf[["city", "x"]], ddf["label"]
    if len(y.to_delayed()) == y.npartitions:
        pytest.skip("this dask does not fuse the partitions of a narrow projection")
    hasher = FeatureCrossHasher(crosses=["city", ("city", "x")], n_features=2**10)
    model = DaskSparseFTRLClassifier(mixing=None, hasher=hasher, client=client, random_state=0)
    model.fit(X, y)
    local = SparseFTRLClassifier(random_state=0)
    for frame in files:  # one partition a file, in order
        local.partial_fit(hasher.transform(frame[["city", "x"]]), frame["label"], classes=[0, 1])
    assert_same_state(model.to_local(), local)
    whole = pd.concat(files)
    expected = local.score(hasher.transform(whole[["city", "x"]]), whole["label"])
    assert model.score(X, y) == pytest.approx(expected)


def test_a_label_column_made_a_dask_array_of_fused_blocks_is_refused_naming_the_fix(
    client, tmp_path
):
    # ddf["label"].to_dask_array() of a narrow Parquet projection has the fused partitions' blocks
    # (and its lengths=True fails in dask): "partition them alike" did not say what to give
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    for i in range(8):
        n = 50 + i
        frame = pd.DataFrame(
            {
                "city": rng.choice(["a", "b"], n),
                "other": rng.normal(size=n),
                "label": rng.randint(0, 2, n),
            }
        )
        frame.to_parquet(tmp_path / f"part{i}.parquet")
    ddf = dd.read_parquet(tmp_path)
    X, labels = ddf[["city"]], ddf["label"].to_dask_array()
    if labels.numblocks[0] == X.npartitions:
        pytest.skip("this dask does not fuse the partitions of a narrow projection")
    hasher = FeatureCrossHasher(crosses=["city"], n_features=2**8)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0)
    message = (
        rf"X has 8 row blocks but y has {labels.numblocks[0]}: give y as the dask Series itself "
        r"\(ddf\['label'\], not its to_dask_array\(\)"
    )
    with pytest.raises(ValueError, match=message):
        model.fit(X, labels)
    assert not hasattr(model, "estimator_")
    model.fit(X, ddf["label"])  # the fix named
    with pytest.raises(ValueError, match=message):
        model.score(X, labels)
    assert 0 <= model.score(X, ddf["label"]) <= 1


def test_tags_say_what_x_may_be(client):
    # input_tags.sparse was False (BaseEstimator's) though fit takes blocks of CSR matrices
    from sklearn.utils import get_tags

    for Dask, Local in (
        (DaskSparseFTRLClassifier, SparseFTRLClassifier),
        (DaskSparseFTRLRegressor, SparseFTRLRegressor),
    ):
        assert get_tags(Dask()).input_tags == get_tags(Local()).input_tags
        assert get_tags(Dask()).input_tags.sparse
        # with a hasher: a dask DataFrame of raw columns, strings and NaN included, never blocks
        # of a sparse matrix (refused)
        tags = get_tags(Dask(hasher=FeatureCrossHasher())).input_tags
        assert not tags.sparse and tags.string and tags.categorical and tags.allow_nan
    X, y, blocks, dX, dy = make_data(2)
    DaskSparseFTRLClassifier(client=client).fit(dX, dy)  # blocks of CSR matrices, as tagged
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"city": ["a", None, "b", "a"] * 10, "x": [0.5, np.nan, 1.0, 2.0] * 10})
    hasher = FeatureCrossHasher(crosses=["city", ("city", "x")], n_features=2**8)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client).fit(
        dd.from_pandas(frame, npartitions=2), dd.from_pandas(pd.Series(np.arange(40) % 2), 2)
    )
    with pytest.raises(ValueError, match="hasher is for a dask DataFrame"):
        model.fit(dX, dy)


@pytest.mark.parametrize("mixing", ["average", None])
def test_warnings_raised_on_the_workers_reach_the_client_once_each(client, mixing):
    # they went to the workers' logs: the client never saw the local model's warning of a
    # y that looks like a regression target, nor scikit-learn's of a column-vector y
    import warnings

    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from sklearn.exceptions import DataConversionWarning

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.arange(60) % 40  # each partition's labels more than half of its rows
    dX, dy = da.from_array(X, chunks=(30, 3)), da.from_array(y, chunks=30)
    many_labels = "The number of unique classes is greater than 50% of the number of samples"
    for classes in (None, np.arange(40)):  # labels gathered on the workers or given
        model = DaskSparseFTRLClassifier(mixing=mixing, max_iter=2, client=client)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(dX, dy, classes=classes)
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert len(messages) == 1 and messages[0].startswith(many_labels)  # once, not per task
        assert caught[0].filename == __file__  # fit's caller
    # the warnings made errors: fit refused, the model as it was
    before = model.to_local().get_ftrl_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match=many_labels):
            model.fit(dX, dy)
    assert_same_state(model.to_local(), SparseFTRLClassifier().set_ftrl_state(before))
    frame = dd.from_pandas(pd.DataFrame({"t": y}), npartitions=2)
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        model.score(dX, frame)


@pytest.mark.parametrize("text", [False, True])
def test_more_labels_than_half_the_rows_is_said_of_the_whole_y_as_the_local_fit_says_it(
    client, text
):
    # a partition's rows decided it: 131 labels in 300 rows warned in 3 partitions, not in one
    # (nor in the local fit)
    import warnings

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5))
    for n_labels in (30, 60):  # (about 25 distinct labels, then about 38)
        y = rng.randint(0, n_labels, 60)
        y = y.astype(str) if text else y
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            SparseFTRLClassifier().fit(X, y)
        local = [str(w.message) for w in caught if "unique classes" in str(w.message)]
        for rows in (20, 60):
            dX, dy = da.from_array(X, chunks=(rows, 5)), da.from_array(y, chunks=rows)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                DaskSparseFTRLClassifier(client=client).fit(dX, dy)
            said = [str(w.message) for w in caught if "unique classes" in str(w.message)]
            assert said == local, (n_labels, rows)
        assert len(local) == (n_labels == 60)


def test_recording_the_workers_warnings_in_threads_leaves_the_clients_warnings_as_they_were():
    # a cluster of threads in this process, tasks recording at once in two threads of a worker:
    # catch_warnings nested across threads restored each other's, and could leave a recorder
    # that swallowed this process's warnings for good
    import warnings

    # two shards trained at once, the second longer: its task ends last
    chunks = (30, 30, 30, 20_000)
    X = np.random.default_rng(0).normal(size=(sum(chunks), 20))
    y = np.arange(sum(chunks)) % 40
    dX, dy = da.from_array(X, chunks=(chunks, 20)), da.from_array(y, chunks=(chunks,))
    shown, filters = warnings.showwarning, list(warnings.filters)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as threads,
    ):
        for _ in range(3):
            with pytest.warns(UserWarning, match="unique classes") as caught:
                # (classes given: each partition's partial_fit warns, of its own rows)
                model = DaskSparseFTRLClassifier(max_iter=2, client=threads)
                model.fit(dX, dy, classes=np.arange(40))
            assert len(caught) == 1
    assert warnings.showwarning is shown and warnings.filters == filters
    with pytest.warns(UserWarning, match="still shown"):
        warnings.warn("still shown", UserWarning, stacklevel=1)


@pytest.mark.parametrize("y_in_memory", [False, True])
def test_the_warnings_of_scores_predictions_reach_the_client(client, y_in_memory):
    # score's predictions were tasks of their own, unrecorded: a hasher's warning of unknown
    # categories went to the worker's log, though the local pipeline's score raises it
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    train = pd.DataFrame({"city": ["a", "b"] * 20})
    new = pd.DataFrame({"city": ["a", "c"] * 20})
    y = pd.Series(np.arange(40) % 2)
    encoder = OneHotEncoder(handle_unknown="warn").fit(train)
    model = DaskSparseFTRLClassifier(hasher=encoder, client=client, random_state=0).fit(
        dd.from_pandas(train, npartitions=2), dd.from_pandas(y, npartitions=2)
    )
    unknown = "Found unknown categories in columns"
    with pytest.warns(UserWarning, match=unknown):  # (the local pipeline's)
        expected = make_pipeline(encoder, model.to_local()).score(new, y)
    with pytest.warns(UserWarning, match=unknown) as caught:
        score = model.score(
            dd.from_pandas(new, npartitions=2), y if y_in_memory else dd.from_pandas(y, 2)
        )
    assert score == pytest.approx(expected)
    assert sum(unknown in str(w.message) for w in caught) == 1  # (once, not per partition)


class _CodedWarning(UserWarning):
    """A warning category that does not take a message alone."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def test_a_workers_warning_whose_category_takes_more_than_a_message_does_not_fail_fit(
    monkeypatch,
):
    # the client raised it again as warnings.warn(message, category): category(message) was a
    # TypeError, and the fit, trained, failed
    import warnings

    partial_fit = SparseFTRLClassifier.partial_fit

    def coded_partial_fit(self, *args, **kwargs):
        warnings.warn(_CodedWarning("a coded warning", 7), stacklevel=2)
        return partial_fit(self, *args, **kwargs)

    monkeypatch.setattr(SparseFTRLClassifier, "partial_fit", coded_partial_fit)
    X = np.random.default_rng(0).normal(size=(60, 3))
    dX, dy = da.from_array(X, chunks=(30, 3)), da.from_array(np.arange(60) % 2, chunks=30)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as threads,
    ):
        model = DaskSparseFTRLClassifier(client=threads, random_state=0)
        with pytest.warns(UserWarning, match="_CodedWarning: a coded warning"):
            model.fit(dX, dy)
    assert model.to_local().predict(X).shape == (60,)  # (fitted)


def test_a_task_running_on_after_a_failed_fit_leaves_the_clients_warnings_as_they_are(recwarn):
    # a fit refused by one shard while another trains on, in a thread of this process: the
    # client's catch_warnings ended first, then the last task put back the state it had found,
    # the client's dead recorder, which swallowed this process's warnings from then on
    import time
    import warnings

    # two shards (in two threads wherever they are placed): the first refuses its second
    # partition once the second shard has started, which trains on for a second or so
    chunks = (20_000, 30, 30, 200_000)
    X = np.random.default_rng(0).normal(size=(sum(chunks), 20))
    X[20_005, 3] = np.nan
    y = np.arange(sum(chunks)) % 2
    dX, dy = da.from_array(X, chunks=(chunks, 20)), da.from_array(y, chunks=(chunks,))
    filters = list(warnings.filters)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as threads,
    ):
        model = DaskSparseFTRLClassifier(max_iter=40, mixing_passes=40, client=threads)
        with warnings.catch_warnings(record=True) as ended:
            with pytest.raises(ValueError, match="NaN"):
                model.fit(dX, dy)

        def executing(dask_worker):
            return dask_worker.state.executing_count

        deadline = time.monotonic() + 60
        while any(threads.run(executing).values()) and time.monotonic() < deadline:
            time.sleep(0.05)
    ended.clear()
    recwarn.clear()
    warnings.warn("raised after the fit", UserWarning, stacklevel=1)
    assert [str(w.message) for w in recwarn] == ["raised after the fit"] and not ended
    assert warnings.filters == filters


def test_predicting_on_other_columns_is_refused_as_the_local_pipeline_refuses_it(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"city": rng.choice(list("abc"), 600), "dev": rng.choice(list("xy"), 600)})
    y = pd.Series((frame["city"] == "a").astype(int))
    hasher = FeatureCrossHasher(crosses=["city", "dev", ("city", "dev")], n_features=2**10)
    ddf, dy = dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(ddf, dy)
    local = make_pipeline(hasher, SparseFTRLClassifier(random_state=0)).fit(frame, y)
    others = {
        "reordered": (ddf[["dev", "city"]], frame[["dev", "city"]]),
        "one more": (ddf.assign(extra="z"), frame.assign(extra="z")),
        "one fewer": (ddf[["city"]], frame[["city"]]),
    }
    for name, (dask_frame, local_frame) in others.items():
        with pytest.raises(ValueError) as expected:
            local.predict(local_frame)
        for method in ("predict", "predict_proba", "decision_function"):
            with pytest.raises(ValueError, match="feature names should match") as raised:
                getattr(model, method)(dask_frame)
            assert str(raised.value) == str(expected.value), (name, method)
    # without names (integer columns), the number of columns is checked
    unnamed = frame.set_axis([0, 1], axis=1)
    numbered = FeatureCrossHasher(crosses=[0, 1], n_features=2**10)
    model = DaskSparseFTRLClassifier(hasher=numbered, client=client).fit(
        dd.from_pandas(unnamed, npartitions=2), dy
    )
    wider = dd.from_pandas(unnamed.assign(**{"2": "z"}).set_axis([0, 1, 2], axis=1), npartitions=2)
    with pytest.raises(
        ValueError, match="X has 3 features, but DaskSparseFTRLClassifier is expecting 2"
    ):
        model.predict(wider)


@pytest.mark.parametrize("n_classes", [None, 3])
def test_score_is_the_local_metric_on_the_computed_arrays(client, n_classes):
    from sklearn.metrics import accuracy_score, r2_score

    X, y, blocks, dX, dy = make_data(n_classes)
    weight = np.random.default_rng(1).uniform(0, 3, N_ROWS)
    Dask = DaskSparseFTRLRegressor if n_classes is None else DaskSparseFTRLClassifier
    metric = r2_score if n_classes is None else accuracy_score
    model = Dask(client=client, random_state=0, alpha=1e-4).fit(dX, dy)
    y_pred = model.predict(dX).compute()
    for sample_weight in (None, weight):
        expected = metric(y, y_pred, sample_weight=sample_weight)
        assert model.to_local().score(X, y, sample_weight=sample_weight) == expected
        dw = None if sample_weight is None else da.from_array(sample_weight, chunks=BLOCK)
        known = model.score(dX, dy, sample_weight=dw)
        # y and the weights in blocks of unknown length (a filter's), or in other known blocks
        unknown = model.score(
            dX, dy[dy > -np.inf], sample_weight=None if dw is None else dw[dw >= 0]
        )
        rechunked = model.score(
            dX, dy.rechunk(BLOCK // 2), sample_weight=None if dw is None else dw.rechunk(3000)
        )
        # y and the weights in memory, as scikit-learn's score takes them (and a list)
        in_memory = model.score(dX, list(y), sample_weight=sample_weight)
        assert in_memory == expected
        for score in (known, unknown, rechunked):
            assert isinstance(score, float)
            if n_classes is not None and sample_weight is None:
                assert score == expected  # counts
            else:  # sums in another order
                assert score == pytest.approx(expected, rel=1e-12, abs=1e-15)
    with pytest.raises(
        ValueError, match="partition [01] of the data: X has 2000, y has [13]000 rows"
    ):
        uneven = da.from_array(y, chunks=((BLOCK // 2, BLOCK * 3 // 2) + (BLOCK,) * 4,))
        model.score(dX, uneven[uneven > -np.inf])
    with pytest.raises(ValueError, match="X has 12000 rows but y has 11999"):
        model.score(dX, dy[1:])


def test_score_on_a_dataframe_and_series(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from sklearn.metrics import accuracy_score

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"city": rng.choice(list("abc"), 900), "dev": rng.choice(list("xy"), 900)})
    y = pd.Series(np.where((frame["city"] == "a") ^ (rng.uniform(size=900) < 0.2), "yes", "no"))
    weight = pd.Series(rng.uniform(0, 2, 900))
    hasher = FeatureCrossHasher(crosses=["city", "dev", ("city", "dev")], n_features=2**10)
    ddf, dy = dd.from_pandas(frame, npartitions=3), dd.from_pandas(y, npartitions=3)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(ddf, dy)
    y_pred = model.predict(ddf).compute()
    assert model.score(ddf, dy) == accuracy_score(y, y_pred) < 1
    assert model.score(ddf, dy, sample_weight=dd.from_pandas(weight, npartitions=3)) == (
        pytest.approx(accuracy_score(y, y_pred, sample_weight=weight), rel=1e-12)
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("mixing", np.array(["average", "average"])),
        ("mixing", ["average"]),
        ("mixing_passes", 2.0),
        ("early_stopping", np.array([True, False])),
        ("warm_start", "no"),
        ("max_iter", 0),
    ],
)
def test_parameters_of_another_type_are_refused_naming_them_and_the_dask_class(fitted, name, value):
    # an array mixing or early_stopping was "The truth value of an array ... is ambiguous"; a
    # local parameter's message named SparseFTRLClassifier
    _, X, y, dX, dy = _two_blocks()
    model = fitted("two blocks")  # DaskSparseFTRLClassifier(random_state=0).fit(dX, dy)
    before = model.to_local().get_ftrl_state()
    with pytest.raises(ValueError, match=f"The '{name}' parameter of DaskSparseFTRLClassifier"):
        model.set_params(**{name: value}).fit(dX, dy)
    assert_same_state(model.to_local(), SparseFTRLClassifier().set_ftrl_state(before))


def test_bad_input_is_refused_before_training(client):
    X, y, blocks, dX, dy = make_data(2)
    model = DaskSparseFTRLClassifier(client=client)
    with pytest.raises(ValueError, match="chunked along its columns"):
        model.fit(dX.rechunk({1: WIDTH // 2}), dy)
    halves = da.from_array(y, chunks=BLOCK // 2)
    with pytest.raises(ValueError, match="X has 6 row blocks but y has 12"):
        model.fit(dX, halves[halves >= 0])  # (blocks of unknown length: not rechunked)
    with pytest.raises(TypeError, match="dask array"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="mixing"):
        DaskSparseFTRLClassifier(mixing="sum", client=client).fit(dX, dy)
    with pytest.raises(ValueError, match="early_stopping"):
        DaskSparseFTRLClassifier(early_stopping=True, client=client).fit(dX, dy)
    # fit starts afresh: warm_start would be ignored
    with pytest.raises(ValueError, match="warm_start is not available on Dask"):
        DaskSparseFTRLRegressor(warm_start=True, client=client).fit(dX, da.from_array(y, BLOCK))
    empty = da.from_array(X[:0], chunks=(0, WIDTH), asarray=False)
    with pytest.raises(ValueError, match="empty"):
        DaskSparseFTRLRegressor(client=client).fit(empty, da.from_array(y[:0], chunks=0))
    with pytest.raises(ValueError, match="every partition of X is empty"):
        model.fit(empty, da.from_array(y[:0], chunks=0))
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("hasher", ["crosses", FeatureCrossHasher, object()])
def test_a_hasher_that_is_not_a_transformer_is_refused_when_called(client, hasher):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"city": ["a", "b", "c", "d"] * 25, "n": np.arange(100)})
    ddf = dd.from_pandas(frame, npartitions=2)
    dy = da.from_array(np.arange(100) % 2, chunks=50)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client)
    with pytest.raises(TypeError, match="hasher must be a FeatureCrossHasher"):
        model.fit(ddf, dy)
    assert not hasattr(model, "estimator_")
    model.set_params(hasher=FeatureCrossHasher(crosses=["city"], n_features=64)).fit(ddf, dy)
    model.set_params(hasher=hasher)
    with pytest.raises(TypeError, match="hasher must be a FeatureCrossHasher"):
        model.predict(ddf)  # when called, not once computed


def test_predict_proba_exists_only_for_the_losses_with_probabilities(client):
    X, y, blocks, dX, dy = make_data(2)
    hinge = DaskSparseFTRLClassifier(loss="hinge", client=client).fit(dX, dy)
    assert not hasattr(hinge, "predict_proba") and not hasattr(hinge.to_local(), "predict_proba")
    with pytest.raises(AttributeError, match="not available for loss='hinge'"):
        hinge.predict_proba(dX)
    logistic = DaskSparseFTRLClassifier(client=client).fit(dX, dy)
    np.testing.assert_array_equal(
        logistic.predict_proba(dX).compute(), logistic.to_local().predict_proba(X)
    )


@pytest.mark.parametrize("mixing", [None, "average"])
@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("declared", [True, False])
def test_a_block_of_another_width_is_named(client, mixing, where, declared):
    # fit took blocks all narrower than X.shape[1] (and predict then refused X), and named
    # another partition than the narrow one (the local model refused the one after it)
    import dask

    X, y, blocks, dX, dy = make_data(2)
    narrow = X[:BLOCK, : WIDTH // 2]  # a block whose real width is not the array's
    lying = da.from_delayed(
        dask.delayed(lambda: narrow)(),
        shape=(BLOCK, WIDTH if declared else np.nan),
        dtype=float,
        meta=sp.csr_matrix((0, WIDTH)),
    )
    if not declared:  # (every width unknown: the blocks are compared with the first)
        dX = da.from_delayed(
            dask.delayed(lambda: X[BLOCK:])(),
            shape=(N_ROWS - BLOCK, np.nan),
            dtype=float,
            meta=sp.csr_matrix((0, WIDTH)),
        )
        dy = da.from_array(y[BLOCK:], chunks=N_ROWS - BLOCK)
    pieces = [dX, lying] if where == "last" else [lying, dX]
    dX2 = da.concatenate(pieces, allow_unknown_chunksizes=True)
    labels = [dy, da.from_array(y[:BLOCK], chunks=BLOCK)]
    dy2 = da.concatenate(labels if where == "last" else labels[::-1])
    model = DaskSparseFTRLClassifier(mixing=mixing, client=client)
    index = dX2.numblocks[0] - 1 if where == "last" else 0
    if declared:
        message = (
            f"partition {index} of X: a block of {WIDTH // 2} columns in a dask array of {WIDTH} "
            r"\(X.shape\[1\]\); make each block as wide as X"
        )
    elif where == "last":
        message = rf"partition 1 of X: a block of {WIDTH // 2} columns, where partition 0's has "
        message += f"{WIDTH}; make every block of X as wide"
    else:  # (the first block narrow: the next one is the first to differ from it)
        message = rf"partition 1 of X: a block of {WIDTH} columns, where partition 0's has "
        message += f"{WIDTH // 2}; make every block of X as wide"
    with pytest.raises(ValueError, match=message):
        model.fit(dX2, dy2)
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("declared", [True, False])
def test_an_empty_block_of_no_columns_is_no_block_of_another_width(client, declared):
    # a csr_matrix((0, 0)) (made of no entries without shape=) trains on nothing: the width
    # checks refused it, or blamed the next block for differing from it
    import dask

    rng = np.random.RandomState(0)
    X = sp.random(300, 20, density=0.3, format="csr", random_state=rng)
    y = rng.randint(2, size=300)
    width = 20 if declared else np.nan

    def part(block, labels):
        lazy = dask.delayed(lambda: block)()
        meta = sp.csr_matrix((0, 20))
        rows = da.from_delayed(lazy, shape=(np.nan, width), dtype=float, meta=meta)
        return rows, da.from_delayed(dask.delayed(lambda: labels)(), shape=(np.nan,), dtype=int)

    pieces = [part(sp.csr_matrix((0, 0)), y[:0]), part(X[:150], y[:150]), part(X[150:], y[150:])]
    dX = da.concatenate([p[0] for p in pieces], allow_unknown_chunksizes=True)
    dy = da.concatenate([p[1] for p in pieces], allow_unknown_chunksizes=True)
    model = DaskSparseFTRLClassifier(mixing=None, random_state=0, client=client).fit(dX, dy)
    local = SparseFTRLClassifier(random_state=0).partial_fit(X[:150], y[:150], classes=[0, 1])
    assert_same_state(model.to_local(), local.partial_fit(X[150:], y[150:]))


def test_parameters_are_the_local_ones_plus_the_dask_ones():
    from sklearn.base import clone

    local = set(SparseFTRLClassifier().get_params())
    params = DaskSparseFTRLClassifier(alpha=0.5).get_params()
    assert set(params) == local | {"mixing", "mixing_passes", "hasher", "client"}
    assert params["max_iter"] == 1  # passes, all of them made
    assert clone(DaskSparseFTRLClassifier(alpha=0.5, mixing=None)).get_params()["alpha"] == 0.5


def test_column_names_of_mixed_types_are_refused_at_fit_as_a_pipeline_refuses_them(client):
    # fit accepted them and every prediction then raised scikit-learn's TypeError
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    rng = np.random.RandomState(0)
    y = pd.Series(rng.randint(0, 2, 60))
    hasher = FeatureCrossHasher(n_features=2**8)
    for second in (1, np.str_("b")):  # (np.str_: scikit-learn's rule is by type name)
        columns = pd.Index(["a", second], dtype=object)
        frame = pd.DataFrame(
            {"a": rng.choice(list("abc"), 60), "b": rng.choice(list("xy"), 60)}
        ).set_axis(columns, axis=1)
        with pytest.raises(TypeError):
            make_pipeline(hasher, SparseFTRLClassifier()).fit(frame, y)
        model = DaskSparseFTRLClassifier(hasher=hasher, client=client)
        with pytest.raises(TypeError, match="column names mix strings and other types"):
            model.fit(dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2))
        assert not hasattr(model, "estimator_")


@pytest.mark.parametrize(
    "crosses, columns, message",
    [
        (["city", ("city", "dev")], ["city", "os"], r"column 'dev' not found in X"),
        ([0, 5], ["city", "os"], r"column position 5 is out of range for X with 2 columns"),
        (None, [], r"Found X with 0 feature\(s\)"),
    ],
)
def test_columns_the_hasher_needs_are_checked_when_fit_is_called(client, crosses, columns, message):
    # the names are the dask DataFrame's metadata; each partition refused them once computed
    # (here computing any partition would raise RuntimeError: fit must refuse before)
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import pandas as pd

    def never():
        raise RuntimeError("a partition was computed")

    frame = dd.from_delayed(
        [dask.delayed(never)()], meta=pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    )
    y = dd.from_delayed([dask.delayed(never)()], meta=pd.Series(dtype=np.int64))
    model = DaskSparseFTRLClassifier(
        hasher=FeatureCrossHasher(crosses=crosses, n_features=2**8), client=client
    )
    with pytest.raises(ValueError, match=message):
        model.fit(frame, y)
    assert not hasattr(model, "estimator_")


def test_the_early_check_of_columns_refuses_nothing_the_partitions_take(client):
    # names not all str (an int beside a NumPy str_) are looked up by each partition's
    # transform; a hasher in a Pipeline has no early check: both train, as before it
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.choice(list("abc"), 40), "b": rng.choice(list("xy"), 40)})
    y = pd.Series(rng.randint(0, 2, 40))
    frame.columns = pd.Index([0, np.str_("b")], dtype=object)
    hasher = FeatureCrossHasher(crosses=["b"], n_features=64)
    assert hasher.transform(frame).shape == (40, 64)
    for h in (hasher, make_pipeline(FunctionTransformer(), hasher)):
        model = DaskSparseFTRLClassifier(hasher=h, client=client, random_state=0)
        model.fit(dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2))
        assert model.estimator_.t_ == 40


def test_score_of_a_one_column_frame_and_of_a_constant_y_is_scikit_learns(client):
    # a one-column dask DataFrame y broadcast against the predictions (accuracy 50.5); a
    # constant y's R^2 depended on the partitions (0.0, -1.3e29, -3.2e28)
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd
    from sklearn.metrics import accuracy_score

    X, y, blocks, dX, dy = make_data(3)
    model = DaskSparseFTRLClassifier(client=client, random_state=0, alpha=1e-4).fit(dX, dy)
    frame = dd.from_pandas(pd.DataFrame({"t": y}), npartitions=len(dX.chunks[0]))
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning):  # (column_or_1d's, on the worker)
        score = model.score(dX, frame)
    assert score == accuracy_score(y, model.predict(dX).compute())
    rng = np.random.RandomState(0)
    Xr = rng.normal(size=(1000, 4))
    yr = np.full(1000, 0.1)
    reg = DaskSparseFTRLRegressor(client=client, random_state=0).fit(
        da.from_array(Xr, chunks=500), da.from_array(yr, chunks=500)
    )
    scores = {
        reg.score(da.from_array(Xr, chunks=n), da.from_array(yr, chunks=n))
        for n in (1000, 500, 250, 125)
    }
    assert scores == {0.0}  # a constant y predicted otherwise: force_finite's 0, every way


def test_predicting_on_a_dask_array_not_2d_is_refused_naming_it(client):
    X, y, blocks, dX, dy = make_data(2)
    model = DaskSparseFTRLClassifier(client=client).fit(dX, dy)
    one_d = da.from_array(y.astype(np.float64), chunks=BLOCK)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(ValueError, match="X must be a 2-D dask array, got 1 dimension"):
            getattr(model, method)(one_d)  # was IndexError: tuple index out of range
    with pytest.raises(ValueError, match="X must be a 2-D dask array, got 1 dimension"):
        model.score(one_d, dy)


@pytest.mark.parametrize("n_classes", [None, 2])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_score_refuses_a_weight_not_finite_as_scikit_learn_does(fitted, n_classes, bad):
    X, y, blocks, dX, dy = make_data(n_classes)
    model = fitted(n_classes)  # Dask(random_state=0).fit(dX, dy)
    weight = np.ones(N_ROWS)
    weight[BLOCK + 3] = bad
    with pytest.raises(ValueError, match="sample_weight contains (NaN|infinity)"):  # sklearn
        model.to_local().score(X, y, sample_weight=weight)
    # was a NaN score
    with pytest.raises(ValueError, match="partition 1 of sample_weight: .* NaN or infinity"):
        model.score(dX, dy, sample_weight=da.from_array(weight, chunks=BLOCK))


@pytest.mark.parametrize("n_classes", [None, 2])
def test_score_refuses_a_negative_weight_as_fit_and_the_local_score_do(fitted, n_classes):
    # (scored: an accuracy above 1 with weights of -1 on the rows predicted wrong)
    X, y, blocks, dX, dy = make_data(n_classes)
    model = fitted(n_classes)
    weight = np.ones(N_ROWS)
    weight[BLOCK + 3] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        model.to_local().score(X, y, sample_weight=weight)
    with pytest.raises(ValueError, match="partition 1 of sample_weight: Negative values"):
        model.score(dX, dy, sample_weight=da.from_array(weight, chunks=BLOCK))
    with pytest.raises(ValueError, match="^Negative values in data passed to `sample_weight`"):
        model.score(dX, y, sample_weight=weight)  # (in memory)


def test_score_refuses_labels_scikit_learns_accuracy_refuses(fitted):
    from sklearn.metrics import accuracy_score

    X, y, blocks, dX, dy = make_data(2)
    model = fitted(2)  # DaskSparseFTRLClassifier(random_state=0).fit(dX, dy)
    y_pred = model.predict(dX).compute()
    for labels, message in ((y.astype(str), "Mix of label input types"), (y + 0.5, "a mix of")):
        with pytest.raises(ValueError, match=message):
            accuracy_score(labels, y_pred)
        with pytest.raises(ValueError, match=rf"partition \d of y: .*{message}"):  # was 0.0
            model.score(dX, da.from_array(labels, chunks=BLOCK))


def test_score_refuses_a_y_holding_pandas_na_naming_it(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"city": rng.choice(list("abc"), 900), "dev": rng.choice(list("xy"), 900)})
    y = pd.Series(np.where(frame["city"] == "a", "yes", "no"), dtype="string")
    hasher = FeatureCrossHasher(n_features=2**8)
    ddf, dy = dd.from_pandas(frame, npartitions=3), dd.from_pandas(y, npartitions=3)
    model = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(ddf, dy)
    missing = y.copy()
    missing[305] = pd.NA
    with pytest.raises(ValueError, match=r"partition 1 of y: y holds pandas.NA .* at row 5"):
        model.score(ddf, dd.from_pandas(missing, npartitions=3))  # was pandas' TypeError


def test_a_regressor_refuses_classes_as_the_local_one_does(client):
    X, y, blocks, dX, dy = make_data(None)
    with pytest.raises(TypeError, match="classes"):
        SparseFTRLRegressor().fit(X, y, classes=[0, 1])
    model = DaskSparseFTRLRegressor(client=client)
    with pytest.raises(TypeError, match="classes is for classifiers"):  # they were ignored
        model.fit(dX, dy, classes=[0, 1])
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("n_classes", [None, 2])
def test_score_on_no_rows_is_refused_as_scikit_learn_refuses_it(fitted, n_classes):
    from sklearn.metrics import accuracy_score, r2_score

    X, y, blocks, dX, dy = make_data(n_classes)
    metric = r2_score if n_classes is None else accuracy_score
    model = fitted(n_classes)  # Dask(random_state=0).fit(dX, dy)
    with pytest.raises(ValueError, match="empty|0 sample"):
        metric(y[:0], model.to_local().predict(X[:0]))
    none = dy > np.inf  # blocks of unknown length, all empty
    # was NaN (R^2, with a warning about one sample) or a ValueError about sample_weight
    with pytest.raises(ValueError, match=r"X has no rows \(every partition is empty\)"):
        model.score(dX[none], dy[none])


def test_predicting_on_a_collection_fit_refuses_is_refused_when_called(client):
    # predict took a dask DataFrame into a model without hasher (numeric columns were scored by
    # position, others failed once computed), a dask array into one with hasher (failed once
    # computed), and fit a dask Series with hasher (failed once computed)
    dd = pytest.importorskip("dask.dataframe")
    import pickle

    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.choice(list("xyz"), 200), "b": rng.choice(list("uv"), 200)})
    y = (frame["a"] == "x").astype(int)
    ddf, dy = dd.from_pandas(frame, npartitions=2), dd.from_pandas(y, npartitions=2)
    numbers = rng.normal(size=(200, 2))
    plain = DaskSparseFTRLClassifier(client=client, random_state=0).fit(
        da.from_array(numbers, chunks=(100, 2)), da.from_array(y.to_numpy(), chunks=100)
    )
    hasher = FeatureCrossHasher(n_features=2**8)
    hashed = DaskSparseFTRLClassifier(hasher=hasher, client=client, random_state=0).fit(ddf, dy)
    numeric_frame = dd.from_pandas(pd.DataFrame(numbers, columns=["p", "q"]), npartitions=2)
    raw_array = da.from_array(frame.to_numpy(), chunks=(100, 2))
    cases = [
        (plain, ddf, "X is a dask DataFrame but hasher is None"),
        (plain, numeric_frame, "X is a dask DataFrame but hasher is None"),
        (hashed, raw_array, "hasher is for a dask DataFrame"),
        (hashed, ddf["a"], "X must be 2-D: a dask DataFrame, got a dask Series"),
    ]
    for model, X, message in cases:
        before = pickle.dumps(model)
        for method in ("predict", "predict_proba", "decision_function"):
            with pytest.raises(ValueError, match=message):
                getattr(model, method)(X)
        with pytest.raises(ValueError, match=message):
            model.score(X, dy)
        assert pickle.dumps(model) == before
    fresh = DaskSparseFTRLClassifier(hasher=hasher, client=client)
    with pytest.raises(ValueError, match="X must be 2-D: a dask DataFrame, got a dask Series"):
        fresh.fit(ddf["a"], dy)
    assert not hasattr(fresh, "estimator_")


@pytest.mark.parametrize("Dask", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_a_dask_array_of_another_width_is_refused_when_called_naming_the_dask_class(client, Dask):
    # it failed once computed, in every block, naming the local class (SparseFTRLClassifier)
    dd = pytest.importorskip("dask.dataframe")
    import pickle

    import dask
    import pandas as pd

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    model = Dask(client=client, random_state=0).fit(
        da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)
    )
    before = pickle.dumps(model)
    narrower = da.from_array(X[:, :3], chunks=(100, 3))
    wider = da.from_array(sp.csr_matrix(np.hstack([X, X])), chunks=(100, 10), asarray=False)
    unknown_rows = dd.from_pandas(pd.DataFrame(X[:, :3]), npartitions=2).to_dask_array()
    methods = ["predict", "score"]
    methods += ["predict_proba", "decision_function"] if Dask is DaskSparseFTRLClassifier else []
    for X_bad, width in ((narrower, 3), (wider, 10), (unknown_rows, 3)):
        message = f"X has {width} features, but {Dask.__name__} is expecting 5 features as input"
        for method in methods:
            args = (X_bad, da.from_array(y, chunks=100)) if method == "score" else (X_bad,)
            with pytest.raises(ValueError, match=message):
                getattr(model, method)(*args)
    assert pickle.dumps(model) == before

    # a width unknown until computed is checked then, in each block
    def unknown_width(values):
        return da.from_delayed(dask.delayed(values.copy)(), shape=(200, np.nan), dtype=float)

    np.testing.assert_array_equal(
        model.predict(unknown_width(X)).compute(),
        model.predict(da.from_array(X, chunks=(200, 5))).compute(),
    )
    lazy = model.predict(unknown_width(X[:, :3]))
    with pytest.raises(ValueError, match="X has 3 features"):
        lazy.compute()


def _two_blocks():
    """``(rng, X, y, dX, dy)``: 200 rows of 5 columns and a 0/1 target, on the cluster in two
    blocks of 100 rows."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    return rng, X, y, da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)


@pytest.mark.parametrize("Dask", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_a_one_column_frame_of_weights_is_refused_by_fit_and_score_alike(client, Dask):
    # score took it as its column, fit refused it once computed (scikit-learn's message, from a
    # partition's partial_fit); scikit-learn's _check_sample_weight refuses a 2-D weight
    dd = pytest.importorskip("dask.dataframe")
    import pickle

    import pandas as pd
    from sklearn.utils.validation import _check_sample_weight

    rng, X, y, dX, dy = _two_blocks()
    weight = pd.DataFrame({"w": rng.uniform(0.5, 2, 200)})
    with pytest.raises(ValueError, match="1D"):
        _check_sample_weight(weight, X)
    model = Dask(client=client, random_state=0).fit(dX, dy)
    before = pickle.dumps(model)
    message = r"sample_weight must be 1-D, got 2 dimension\(s\) \(a dask DataFrame: give its column"
    frame = dd.from_pandas(weight, npartitions=2)
    for y_given in (dy, y):  # y on the cluster or in memory
        with pytest.raises(ValueError, match=message):
            model.score(dX, y_given, sample_weight=frame)
    fresh = Dask(client=client, random_state=0)
    for mixing in ("average", None):
        with pytest.raises(ValueError, match=message):
            fresh.set_params(mixing=mixing).fit(dX, dy, sample_weight=frame)
    assert not hasattr(fresh, "estimator_")
    assert pickle.dumps(model) == before
    # its column is taken by both
    column = frame["w"]
    fitted = Dask(client=client, random_state=0).fit(dX, dy, sample_weight=column)
    assert fitted.score(dX, dy, sample_weight=column) == pytest.approx(
        fitted.to_local().score(X, y, sample_weight=weight["w"]), rel=1e-12
    )


@pytest.mark.parametrize("Dask", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_a_frame_y_of_several_columns_is_refused_by_fit_and_score_when_called(client, Dask):
    # its columns are metadata, but it was refused only once computed (the regressor's fit once
    # training); a one-column frame is taken as its column, by both
    dd = pytest.importorskip("dask.dataframe")
    import pickle

    import pandas as pd

    _, X, y, dX, dy = _two_blocks()
    two = dd.from_pandas(pd.DataFrame({"a": y, "b": y}), npartitions=2)
    model = Dask(client=client, random_state=0).fit(dX, dy)
    before = pickle.dumps(model)
    message = "y must be 1-D: a dask array, a Series or a DataFrame of one column; got a dask "
    message += "DataFrame of 2 columns"
    for weight in (None, np.ones(200)):  # y scored on the cluster, or gathered
        with pytest.raises(ValueError, match=message):
            model.score(dX, two, sample_weight=weight)
    assert pickle.dumps(model) == before
    fresh = Dask(client=client, random_state=0)
    with pytest.raises(ValueError, match=message):
        fresh.fit(dX, two)
    assert not hasattr(fresh, "estimator_")
    one = two[["a"]]
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning, match="column-vector y"):  # (as the local fit)
        fitted = Dask(client=client, random_state=0).fit(dX, one)
    np.testing.assert_array_equal(fitted.to_local().coef_, model.to_local().coef_)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        assert fitted.score(dX, one) == model.score(dX, dy)
    # a 2-D dask array y: fit refused it, and score too unless its weights were in memory
    column = da.from_array(y[:, None], chunks=(100, 1))
    for weight in (None, np.ones(200)):
        with pytest.raises(ValueError, match=r"y must be 1-D, got a dask array of 2 dim"):
            model.score(dX, column, sample_weight=weight)
    with pytest.raises(ValueError, match=r"y must be 1-D, got a dask array of 2 dim"):
        Dask(client=client, random_state=0).fit(dX, column)
    assert pickle.dumps(model) == before


@pytest.mark.parametrize(
    "y, classes",
    [
        (np.array([1, 2] * 4), np.array([1, 2], dtype=complex)),
        (np.array([1, 2] * 4), np.array([1, 2], dtype=object)),
        (np.array([1, 2] * 4, dtype="datetime64[s]"), None),
        (np.array([1, 2] * 4, dtype="timedelta64[s]"), None),
        (np.array(["a\0", "b"] * 4, dtype=object), None),
        (np.ones(8, dtype=int), None),
        (np.ones(8, dtype=int), [1]),
    ],
    ids=[
        "complex-classes",
        "object-classes",
        "datetime64",
        "timedelta64",
        "nul",
        "one",
        "one-given",
    ],
)
def test_classes_the_local_classifier_refuses_are_refused_before_any_partition_of_x(
    client, y, classes
):
    # the local classifier's first partial_fit refused them, on a worker: after every
    # partition of X was computed and sent out (here computing one raises RuntimeError)
    import dask

    def never():
        raise RuntimeError("a partition of X was computed")

    X = np.eye(8)
    given = {} if classes is None else {"classes": classes}
    with pytest.raises(ValueError) as expected:
        SparseFTRLClassifier().partial_fit(
            X, y, classes=np.unique(y) if classes is None else classes
        )
    dX = da.concatenate(
        [da.from_delayed(dask.delayed(never)(), shape=(4, 8), dtype=np.float64) for _ in range(2)]
    )
    model = DaskSparseFTRLClassifier(client=client)
    with pytest.raises(ValueError) as raised:
        model.fit(dX, da.from_array(y, chunks=4), **given)
    assert str(raised.value) == str(expected.value)
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("classes", [None, [0, 1]])
def test_class_weights_of_labels_not_classes_are_refused_before_any_partition_of_x(client, classes):
    # the local classifier's first partial_fit refused them, on a worker: after every
    # partition of X was computed and sent out (here computing one raises RuntimeError)
    import dask

    def never():
        raise RuntimeError("a partition of X was computed")

    X, y = np.eye(8), np.array([0, 1] * 4)
    class_weight = {0: 2.0, 7: 3.0}
    with pytest.raises(ValueError) as expected:
        SparseFTRLClassifier(class_weight=class_weight).partial_fit(X, y, classes=[0, 1])
    dX = da.concatenate(
        [da.from_delayed(dask.delayed(never)(), shape=(4, 8), dtype=np.float64) for _ in range(2)]
    )
    model = DaskSparseFTRLClassifier(class_weight=class_weight, client=client)
    with pytest.raises(ValueError) as raised:
        model.fit(dX, da.from_array(y, chunks=4), classes=classes)
    assert str(raised.value) == str(expected.value)
    assert not hasattr(model, "estimator_")
    # weights of every class, and of labels besides, are taken as the local classifier takes them
    model.set_params(class_weight={0: 2.0, 1: 1.0, 7: 3.0})
    model.fit(da.from_array(X, chunks=(4, 8)), da.from_array(y, chunks=4), classes=classes)
    assert model.classes_.tolist() == [0, 1]


def test_set_params_in_another_thread_waits_for_fit_to_end(client):
    # fit submitted each partition's task with the hasher it read then: one set while the
    # partitions were computed hashed them with the new one, and the model was neither's
    dd = pytest.importorskip("dask.dataframe")
    import threading
    import time

    import dask
    import pandas as pd

    rng = np.random.RandomState(0)
    frames = [pd.DataFrame({"kind": rng.choice(["a", "b", "c"], 50)}) for _ in range(2)]
    labels = [pd.Series(rng.randint(0, 2, 50)) for _ in range(2)]

    def slowly(frame):
        time.sleep(1)
        return frame

    X = dd.from_delayed([dask.delayed(slowly)(frame) for frame in frames], meta=frames[0][:0])
    y = dd.from_pandas(pd.concat(labels, ignore_index=True), npartitions=2)
    first, second = (
        FeatureCrossHasher(crosses=["kind"], n_features=2**10, seed=seed) for seed in (0, 1)
    )
    model = DaskSparseFTRLClassifier(mixing=None, hasher=first, client=client, random_state=0)
    fitting = threading.Thread(target=model.fit, args=(X, y))
    fitting.start()
    time.sleep(0.3)  # (the partitions of X are being computed)
    model.set_params(hasher=second)
    fitting.join()
    assert model.get_params()["hasher"] is second
    local = SparseFTRLClassifier(random_state=0)
    for frame, label in zip(frames, labels):
        local.partial_fit(first.transform(frame), label, classes=[0, 1])
    assert_same_state(model.to_local(), local)


@pytest.mark.parametrize("Estimator", [DaskSparseFTRLClassifier, DaskSparseFTRLRegressor])
def test_an_estimator_is_not_fitted_after_set_params(Estimator):
    # set_params makes the training lock: an attribute ending in "_", which scikit-learn's
    # check_is_fitted took for a fitted one
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    model = Estimator().set_params(max_iter=2)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.to_local()


def test_a_closed_client_is_refused_naming_it():
    # distributed's ClosedClientError came from inside fit
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    closed = distributed.Client(cluster, set_as_default=False)
    closed.close()
    cluster.close()
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = DaskSparseFTRLClassifier(client=closed)
    with pytest.raises(ValueError, match="is closed"):
        model.fit(da.from_array(X, chunks=(20, 3)), da.from_array(y, chunks=20))
    assert not hasattr(model, "estimator_")


@pytest.mark.parametrize("mixing", ["average", None])
def test_an_error_in_a_training_task_names_its_partition(client, mixing):
    # the local estimator's "Input y contains NaN" came back from the worker naming no
    # partition, in a fit over hundreds of them
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(float)
    y[47] = np.nan  # in partition 2 of 20 rows each
    model = DaskSparseFTRLRegressor(mixing=mixing, client=client, random_state=0)
    with pytest.raises(ValueError, match=r"^partition 2: Input y contains NaN"):
        model.fit(da.from_array(X, chunks=(20, 4)), da.from_array(y, chunks=20))
    assert not hasattr(model, "estimator_")


def test_score_checks_a_dask_y_or_weights_beside_ones_in_memory(client):
    # with y in memory the predictions are scored by scikit-learn's metric: dask weights of
    # text were computed and read as the numbers they spell, unchecked
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    dX = da.from_array(X, chunks=(20, 3))
    model = DaskSparseFTRLClassifier(client=client, random_state=0).fit(dX, da.from_array(y, 20))
    text = da.from_array(np.ones(40).astype(str), chunks=20)
    with pytest.raises(ValueError, match="sample_weight of dtype <U.* is not numeric"):
        model.score(dX, y, sample_weight=text)
    ones = da.from_array(np.ones(40), chunks=20)
    assert model.score(dX, y, sample_weight=ones) == model.score(dX, y)
