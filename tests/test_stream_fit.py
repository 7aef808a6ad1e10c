"""fit_stream: partial_fit per batch, progressive validation, holdout, passes, checkpoints."""

import copy
import json
import os
import signal
import sys
import warnings
import zipfile

import hypothesis
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.stream import fit_stream
from sparsereg.stream._stable_text import plain

from .interruptions import (
    ANY_CODE_SWEEPS,
    SIGNAL_SWEEPS,
    Timeout,
    alarm_each_place_of_any_code,
    files_open_under,
    no_garbage_collection,
    raise_timeout,
    signalling_anywhere_at,
)
from .memory_helpers import run_python
from .state_helpers import assert_same_state

pd = pytest.importorskip("pandas")

SITES = np.array(["news", "shop", "mail", "video", "games", "maps"])


def click_batches(n_batches=6, rows=300, seed=0, labels=(0, 1)):
    rng = np.random.RandomState(seed)
    batches = []
    for _ in range(n_batches):
        site = rng.choice(SITES, rows)
        hour = rng.randint(0, 24, rows)
        margin = np.where(site == "shop", 1.5, -1.0) + np.where(hour > 18, 1.0, -0.5)
        click = rng.rand(rows) < 1 / (1 + np.exp(-margin))
        batches.append(
            pd.DataFrame(
                {"site": site, "hour": hour, "click": np.where(click, labels[1], labels[0])}
            )
        )
    return batches


def pipeline(est=None):
    est = est if est is not None else SparseFTRLClassifier(random_state=0)
    return make_pipeline(
        FeatureCrossHasher([("site",), ("hour",), ("site", "hour")], n_features=2**12), est
    )


def split(batch, target="click"):
    return batch.drop(columns=[target]), batch[target].to_numpy()


def log_losses(proba, classes, y):
    p = proba[np.arange(len(y)), np.searchsorted(classes, y)]
    return -np.log(np.clip(p, 1e-15, 1 - 1e-15))


def manual_stream(batches, scored_from=0):
    """``(model, curve)``: the pipeline's hasher and a classifier trained by hand on each of
    ``batches`` in turn, and the running mean progressive loss of those from ``scored_from``
    on, each scored before it is trained on (log 2 a row before any training)."""
    hasher, manual = (
        FeatureCrossHasher([("site",), ("hour",), ("site", "hour")], n_features=2**12),
        SparseFTRLClassifier(random_state=0),
    )
    total, rows, curve = 0.0, 0, []
    for i, batch in enumerate(batches):
        X, y = split(batch)
        Xt = hasher.fit_transform(X)
        if i >= scored_from:
            losses = (
                np.full(len(y), np.log(2))
                if i == 0
                else log_losses(manual.predict_proba(Xt), manual.classes_, y)
            )
            total, rows = total + float(np.sum(losses)), rows + len(y)
            curve.append(total / rows)
        manual.partial_fit(Xt, y, classes=[0, 1])
    return manual, curve


def test_one_pass_is_partial_fit_per_batch_and_progressive_loss_scores_before_training():
    batches = click_batches()
    model, history = fit_stream(pipeline(), batches, target="click")
    manual, curve = manual_stream(batches)
    assert_same_state(model[-1], manual)
    # the stream scores from the state (the intercept added first): equal up to rounding
    np.testing.assert_allclose(history.curve_loss, curve, rtol=1e-12)
    assert history.pass_progressive_loss == [history.curve_loss[-1]]
    assert history.rows == history.pass_rows[0] == 1800
    assert history.curve_rows == [300 * (i + 1) for i in range(6)]
    assert history.pass_nonzero == [int(manual.count_nonzero().sum())]


def test_a_fitted_estimator_is_trained_on_and_its_first_batch_scored_by_it():
    # (the first batch of a fitted estimator was scored as by an untrained one: log 2 each)
    batches = click_batches()
    model, _ = fit_stream(pipeline(), batches[:3], target="click")
    model, history = fit_stream(model, batches[3:], target="click")  # a warm start
    manual, curve = manual_stream(batches, scored_from=3)
    assert_same_state(model[-1], manual)
    np.testing.assert_allclose(history.curve_loss, curve, rtol=1e-12)
    assert history.curve_loss[0] < np.log(2)
    assert history.rows == 900 and model[-1].t_ == 1800


def test_holdout_rows_are_never_trained_on_and_give_the_holdout_loss():
    batches = click_batches()
    model, history = fit_stream(pipeline(), batches, target="click", holdout=4, passes=2)
    hasher, manual = (
        FeatureCrossHasher([("site",), ("hour",), ("site", "hour")], n_features=2**12),
        SparseFTRLClassifier(random_state=0),
    )
    row = 0
    holdout = [0.0, 0.0]
    for p in range(2):
        row = 0
        for i, batch in enumerate(batches):
            X, y = split(batch)
            numbers = np.arange(row + 1, row + len(y) + 1)
            row += len(y)
            held = numbers % 4 == 0
            Xt = hasher.fit_transform(X)
            if p or i:
                losses = log_losses(manual.predict_proba(Xt), manual.classes_, y)
            else:
                losses = np.full(len(y), np.log(2))
            holdout[p] += float(np.sum(losses[held]))
            manual.partial_fit(Xt[~held], y[~held], classes=[0, 1])
    assert_same_state(model[-1], manual)
    assert history.pass_holdout_rows == [450, 450]
    assert history.pass_rows == [1350, 1350]
    np.testing.assert_allclose(
        history.pass_holdout_loss, [holdout[0] / 450, holdout[1] / 450], rtol=1e-12
    )
    assert history.rows == 2700


def test_holdout_share_holds_out_about_that_share_and_the_same_rows_each_pass():
    batches = click_batches(n_batches=10)
    _, history = fit_stream(pipeline(), batches, target="click", holdout=0.2, passes=2)
    held = history.pass_holdout_rows
    assert held[0] == held[1]
    assert 0.17 < held[0] / 3000 < 0.23


def test_early_stop_ends_when_the_holdout_loss_stops_improving():
    # labels that are pure noise, many features, a large step: the holdout loss worsens
    rng = np.random.RandomState(1)
    batches = [
        pd.DataFrame({"id": rng.randint(0, 400, 200).astype(str), "y": rng.randint(0, 2, 200)})
        for _ in range(5)
    ]
    est = SparseFTRLClassifier(eta0=5.0, penalty=None, random_state=0)
    model = make_pipeline(FeatureCrossHasher(["id"], n_features=2**12), est)
    _, history = fit_stream(model, batches, target="y", holdout=5, passes=20, early_stop=2)
    losses = history.pass_holdout_loss
    assert history.stopped_early and history.n_passes < 20
    best = int(np.argmin(losses))
    assert best == history.n_passes - 3  # stopped two passes after its best
    # without early stopping every pass runs
    _, full = fit_stream(clone(model), batches, target="y", holdout=5, passes=4)
    assert full.n_passes == 4 and not full.stopped_early


def test_several_passes_continue_the_same_model():
    batches = click_batches(n_batches=3)
    model, history = fit_stream(pipeline(), batches, target="click", passes=3)
    hasher, manual = (
        FeatureCrossHasher([("site",), ("hour",), ("site", "hour")], n_features=2**12),
        SparseFTRLClassifier(random_state=0),
    )
    for _ in range(3):
        for batch in batches:
            X, y = split(batch)
            manual.partial_fit(hasher.fit_transform(X), y, classes=[0, 1])
    assert_same_state(model[-1], manual)
    assert history.n_passes == 3
    assert history.pass_progressive_loss[2] < history.pass_progressive_loss[0]


def test_regressor_progressive_loss_is_the_squared_error_before_training():
    rng = np.random.RandomState(0)
    batches = [(rng.normal(size=(100, 5)), None) for _ in range(4)]
    batches = [(X, X[:, 0] * 2 + 1) for X, _ in batches]
    model, history = fit_stream(SparseFTRLRegressor(random_state=0), batches)
    manual = SparseFTRLRegressor(random_state=0)
    total = 0.0
    for i, (X, y) in enumerate(batches):
        prediction = manual.predict(X) if i else np.zeros(100)
        total += float(np.sum((y - prediction) ** 2))
        manual.partial_fit(X, y)
    assert_same_state(model, manual)
    assert history.loss == "squared_error"
    np.testing.assert_allclose(history.progressive_loss, total / 400, rtol=1e-12)


def test_a_label_outside_the_classes_names_its_row():
    batches = click_batches(n_batches=3)
    batches[2].loc[7, "click"] = 2
    model = pipeline()
    with pytest.raises(
        ValueError, match=r"<batches>: row 608: label 2.0 is not one of the classes"
    ):
        fit_stream(model, batches, target="click")
    # classes given up front: the label is known
    fit_stream(pipeline(), batches, target="click", classes=[0, 1, 2])


@pytest.mark.parametrize(
    "bad_X, message",
    [
        (np.zeros((20, 4)), "X has 4 features, but SparseFTRLClassifier is expecting 5"),
        (np.full((20, 5), np.nan), "Input X contains NaN"),
        (np.zeros(20), "Expected 2D array, got 1D array instead"),
    ],
    ids=["width", "nan", "1-d"],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_an_estimators_error_on_an_x_y_batch_names_the_batch(bad_X, message, weighted):
    # (the estimator's message alone named no batch)
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(20, 5)), rng.integers(0, 2, 20)) for _ in range(3)]
    batches[2] = (bad_X, batches[2][1])
    if weighted:
        batches = [(X, y, np.ones(20)) for X, y in batches]
    # scored by a fitted model, or trained first (where X alone is refused)
    for given in (batches, batches[2:]) if bad_X.shape != (20, 4) else (batches,):
        first = 41 if len(given) == 3 else 1
        with pytest.raises(ValueError) as caught:
            fit_stream(SparseFTRLClassifier(), given, classes=[0, 1])
        where = f"batch {len(given) - 1} (rows {first}-{first + 19}): "
        assert str(caught.value).startswith(where + message)
        assert type(caught.value) is type(caught.value.__cause__)


def test_a_first_batch_with_one_label_asks_for_classes():
    batches = click_batches(n_batches=2)
    batches[0]["click"] = 0
    with pytest.raises(ValueError, match="holds only the label"):
        fit_stream(pipeline(), batches, target="click")
    model, _ = fit_stream(pipeline(), batches, target="click", classes=[0, 1])
    assert model[-1].classes_.tolist() == [0, 1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"passes": 0}, "passes must be an int >= 1"),
        ({"batch_rows": 1.5}, "batch_rows must be an int"),
        ({"holdout": 1}, "holdout as an int is a period"),
        ({"holdout": 1.5}, "holdout must be None"),
        ({"early_stop": 2}, "early_stop needs a holdout"),
        ({"checkpoint_every": 10}, "checkpoint_every needs checkpoint"),
        ({"resume": True}, "resume needs checkpoint"),
    ],
)
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_stream(pipeline(), click_batches(2), target="click", **kwargs)


@pytest.mark.parametrize("value", [2**63, 10**30])
@pytest.mark.parametrize(
    "name", ["passes", "batch_rows", "holdout", "early_stop", "checkpoint_every"]
)
def test_counts_beyond_int64_are_refused_before_any_reading(tmp_path, name, value):
    # they meet numpy's int64 arithmetic: holdout=10**30 raised OverflowError at the first batch
    read = []

    def batches():
        read.append(True)
        yield from click_batches(2)

    path = tmp_path / "run.npz"
    kwargs = {"holdout": 10, "checkpoint": path, name: value}
    with pytest.raises(ValueError, match=rf"{name} must be at most 2\*\*63 - 1 \(an int64\)"):
        fit_stream(pipeline(), batches(), target="click", **kwargs)
    assert not read and not path.exists()


def test_several_passes_over_an_iterator_are_refused():
    with pytest.raises(ValueError, match="several passes need a source that can be read again"):
        fit_stream(pipeline(), iter(click_batches(2)), target="click", passes=2)


def test_a_transformer_that_learns_is_refused_unless_fitted():
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(ValueError, match="StandardScaler must be fitted before the stream"):
        fit_stream(
            make_pipeline(StandardScaler(), SparseFTRLRegressor()), [(np.ones((3, 2)), np.ones(3))]
        )


def test_a_step_that_is_no_estimator_is_refused_naming_it():
    from sklearn.base import BaseEstimator

    class Doubler(BaseEstimator):  # transform without fit
        def transform(self, X):
            return 2 * X

    with pytest.raises(TypeError, match="pipeline step Doubler has no fit"):
        fit_stream(make_pipeline(Doubler(), SparseFTRLRegressor()), [(np.ones((3, 2)), np.ones(3))])


# ---------------------------------------------------------------- checkpoints
def test_a_resume_names_the_files_by_any_path_and_refuses_others_of_the_same_names(
    tmp_path, monkeypatch
):
    # the files were described by their names as given: the same files given by their full
    # path (a resume from another folder, or as ./clicks.csv) were "a different run", and
    # other files of the same names and sizes, from another folder, were taken for them
    pytest.importorskip("pyarrow")
    for folder in ("run", "copy"):
        (tmp_path / folder).mkdir()
        for k, batch in enumerate(click_batches(n_batches=2, rows=500)):
            batch.to_csv(tmp_path / folder / f"day{k}.csv", index=False)
    names = ["day0.csv", "day1.csv"]
    full_paths = [str(tmp_path / "run" / name) for name in names]
    kwargs = dict(target="click", batch_rows=200, passes=2)
    full, full_history = fit_stream(pipeline(), full_paths, **kwargs)
    checkpoint = str(tmp_path / "run.ckpt")
    monkeypatch.chdir(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), names, checkpoint=checkpoint, progress=interrupt_after(3), **kwargs)
    monkeypatch.chdir(tmp_path / "copy")
    with pytest.raises(ValueError, match=r"different run.*files: .*[/\\\\]copy[/\\\\]day0\.csv"):
        fit_stream(pipeline(), names, checkpoint=checkpoint, resume=True, **kwargs)
    resumed, history = fit_stream(
        pipeline(), full_paths, checkpoint=checkpoint, resume=True, **kwargs
    )
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


def test_a_checkpoint_of_a_run_that_read_the_hashers_columns_as_text_is_not_resumed(tmp_path):
    # a build before this one read the hasher's columns as text ("5"): resumed, the rest of
    # the run hashed them as pandas reads them (5), two models in one
    pytest.importorskip("pyarrow")
    path = tmp_path / "day.csv"
    pd.concat(click_batches(n_batches=2, rows=500)).to_csv(path, index=False)
    kwargs = dict(target="click", batch_rows=200, passes=2)
    written, old = tmp_path / "new.ckpt", tmp_path / "old.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), str(path), checkpoint=written, progress=interrupt_after(3), **kwargs)
    with np.load(written) as arrays:
        meta = json.loads(str(arrays["meta"]))
    assert meta.pop("read_as_pandas") == ["hour", "site"]
    _tamper(written, old, "meta", np.array(json.dumps(meta)))  # as such a build wrote it
    with pytest.raises(ValueError, match=r"different run.*read_as_pandas: None -> \['hour'"):
        fit_stream(pipeline(), str(path), checkpoint=old, resume=True, **kwargs)
    full = fit_stream(pipeline(), str(path), **kwargs)[0]
    resumed = fit_stream(pipeline(), str(path), checkpoint=written, resume=True, **kwargs)[0]
    assert_same_state(resumed[-1], full[-1])


def test_a_checkpoint_naming_its_files_as_given_resumes_and_names_a_file_that_grew(
    tmp_path, monkeypatch
):
    # a checkpoint written before files were described by their full path holds their names
    # as given: the same names, from the same folder, resume it; a file that grew since was
    # refused with every name "changed" (its full path against the name given), not its size
    pytest.importorskip("pyarrow")
    for k, batch in enumerate(click_batches(n_batches=2, rows=500)):
        batch.to_csv(tmp_path / f"day{k}.csv", index=False)
    names = ["day0.csv", "./day1.csv"]
    kwargs = dict(target="click", batch_rows=200, passes=2)
    monkeypatch.chdir(tmp_path)
    full, full_history = fit_stream(pipeline(), names, **kwargs)
    written, checkpoint = tmp_path / "new.ckpt", tmp_path / "old.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), names, checkpoint=written, progress=interrupt_after(3), **kwargs)
    with np.load(written) as arrays:
        meta = json.loads(str(arrays["meta"]))
    meta["files"] = [[name, os.path.getsize(name)] for name in names]  # as they were given
    _tamper(written, checkpoint, "meta", np.array(json.dumps(meta)))
    saved = checkpoint.read_bytes()
    resumed, history = fit_stream(pipeline(), names, checkpoint=checkpoint, resume=True, **kwargs)
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    checkpoint.write_bytes(saved)
    size = os.path.getsize("day1.csv")
    with open("day1.csv", "a") as f:
        f.write("news,3,1\n")
    with pytest.raises(ValueError, match="different run") as refused:
        fit_stream(pipeline(), names, checkpoint=checkpoint, resume=True, **kwargs)
    assert f"['./day1.csv', {size}]] -> [['day0.csv', " in str(refused.value)
    assert str(refused.value).endswith(f"['./day1.csv', {size + 9}]].")


def interrupt_after(n_batches):
    """A progress callback that sends Ctrl-C (SIGINT) during batch ``n_batches``."""
    calls = []

    def progress(p):
        calls.append(p.rows)
        if len(calls) == n_batches:
            os.kill(os.getpid(), signal.SIGINT)

    return progress


def comparable(history):
    """The history without timings, NaN spelt so that it equals itself."""
    out = dict(vars(history))
    out.pop("pass_seconds")
    out.pop("resumed_rows")
    return {
        k: [("nan" if v != v else v) for v in x] if isinstance(x, list) else x
        for k, x in out.items()
    }


# the run that the tests of a Ctrl-C and its resume stop and resume: six batches, two passes
_CTRL_C_RUN = dict(target="click", passes=2, holdout=5, checkpoint_every=500)


@pytest.fixture(scope="module")
def _uninterrupted_ctrl_c_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("uninterrupted") / "full.ckpt"
    full, history = fit_stream(
        pipeline(), click_batches(n_batches=6), checkpoint=path, **_CTRL_C_RUN
    )
    return full[-1].get_ftrl_state(), comparable(history)


@pytest.fixture
def uninterrupted_ctrl_c_run(_uninterrupted_ctrl_c_run):
    """``(classifier, comparable history)`` of the run of ``_CTRL_C_RUN`` without a stop,
    made once a module; the classifier made afresh from its state for each test."""
    state, history = _uninterrupted_ctrl_c_run
    return SparseFTRLClassifier(random_state=0).set_ftrl_state(state), copy.deepcopy(history)


@pytest.mark.parametrize("stop_at", [1, 4, 6, 7, 11])
def test_resume_after_ctrl_c_equals_the_uninterrupted_run_to_the_bit(
    tmp_path, stop_at, uninterrupted_ctrl_c_run
):
    batches = click_batches(n_batches=6)
    kwargs = _CTRL_C_RUN
    full, full_history = uninterrupted_ctrl_c_run

    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            pipeline(), batches, checkpoint=path, progress=interrupt_after(stop_at), **kwargs
        )
    # a new process would start from a fresh estimator with the same parameters
    resumed, history = fit_stream(pipeline(), batches, checkpoint=path, resume=True, **kwargs)
    assert_same_state(resumed[-1], full)
    assert comparable(history) == full_history


def test_checkpoint_every_counts_rows_from_the_checkpoint_at_a_pass_end(tmp_path):
    # (the count went on across the pass's end: the checkpoint written there was written
    # again 300 rows into the next pass, checkpoint_every=600)
    path = tmp_path / "run.ckpt"
    written_by = []  # rows trained when the callback saw a checkpoint new since its last call
    seen = [None]

    def progress(p):
        now = path.read_bytes() if path.exists() else None
        if now != seen[0]:
            written_by.append(p.rows)
        seen[0] = now

    kwargs = dict(target="click", passes=2, checkpoint=path, checkpoint_every=600)
    fit_stream(pipeline(), click_batches(n_batches=3), progress=progress, **kwargs)
    # written after 600 rows, at the pass's end (900) and after 1,500, each seen by the next
    # batch, 300 rows later; then at the end
    assert written_by == [900, 1200, 1800]
    assert path.read_bytes() != seen[0]


def test_a_resumed_run_writes_its_checkpoints_at_the_rows_of_the_uninterrupted_run(tmp_path):
    # (the rows trained since the last checkpoint were not saved: a run stopped 300 rows
    # after one and resumed counted from 0 again, and wrote its next 300 rows late)
    def run(path, stop_at=None, resume=False):
        written = []  # rows trained when the callback saw a checkpoint new since its last call
        seen = [path.read_bytes() if path.exists() else None, None]  # (bytes, rows)

        def progress(p):
            now = path.read_bytes() if path.exists() else None
            if now != seen[0]:
                written.append(seen[1])
            seen[:] = [now, p.rows]
            if p.rows == stop_at:
                raise KeyboardInterrupt

        kwargs = dict(target="click", passes=2, checkpoint=path, checkpoint_every=500)
        fit_stream(pipeline(), click_batches(), progress=progress, resume=resume, **kwargs)
        return written

    uninterrupted = run(tmp_path / "whole.ckpt")
    assert uninterrupted == [600, 1200, 1800, 2400, 3000]
    for stop_at in [900, 2100, 2700]:  # 300 rows after a checkpoint
        path = tmp_path / f"stopped at {stop_at}.ckpt"
        with pytest.raises(KeyboardInterrupt):
            run(path, stop_at=stop_at)
        before = [rows for rows in uninterrupted if rows < stop_at]
        assert before + run(path, resume=True) == uninterrupted


@pytest.mark.parametrize("suffix", ["csv.gz", "csv.bz2", "parquet"])
def test_resume_in_a_file_of_more_rows_than_bytes_equals_the_uninterrupted_run(tmp_path, suffix):
    pytest.importorskip("pyarrow")
    rows = pd.concat(click_batches(n_batches=1, rows=500) * 40, ignore_index=True)
    path = tmp_path / f"clicks.{suffix}"
    if suffix == "parquet":
        rows.to_parquet(path, row_group_size=3000)
    else:
        rows.to_csv(path, index=False)
    kwargs = dict(
        target="click", batch_rows=1000, format="parquet" if suffix == "parquet" else "csv"
    )
    full, full_history = fit_stream(pipeline(), str(path), **kwargs)
    checkpoint = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            pipeline(),
            str(path),
            checkpoint=checkpoint,
            checkpoint_every=1000,
            progress=interrupt_after(18),
            **kwargs,
        )
    resumed, history = fit_stream(
        pipeline(), str(path), checkpoint=checkpoint, resume=True, **kwargs
    )
    # compressed, the file ends in bytes before the row the run resumed at (which was refused)
    assert os.path.getsize(path) < history.resumed_rows
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


@pytest.mark.parametrize("callback", ["sleeps", "raises KeyboardInterrupt"])
def test_a_ctrl_c_in_the_progress_callback_stops_it_at_once_and_resume_is_exact(
    tmp_path, callback, uninterrupted_ctrl_c_run
):
    # (the callback ran with Ctrl-C held back: one that slept or blocked went on to its end,
    # whatever the number of Ctrl-C)
    import time

    batches = click_batches(n_batches=6)
    kwargs = _CTRL_C_RUN
    full, full_history = uninterrupted_ctrl_c_run
    finished = []

    def progress(p):
        if p.rows > 1000 and not finished:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, then a callback that takes its time
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(10)
            finished.append(p.rows)

    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), batches, checkpoint=path, progress=progress, **kwargs)
    assert finished == []  # the sleep was cut short
    with np.load(path) as f:  # the checkpoint holds the batch the callback was called for
        assert int(f["state.t"]) == 1200
    resumed, history = fit_stream(pipeline(), batches, checkpoint=path, resume=True, **kwargs)
    assert_same_state(resumed[-1], full)
    assert comparable(history) == full_history


# and in any code (scikit-learn's check_is_fitted, say)
SIGNAL_SWEEPS = {
    **SIGNAL_SWEEPS,
    "function entries and exits of any code": (sys.settrace, signalling_anywhere_at),
}


@pytest.mark.parametrize("places", sorted(SIGNAL_SWEEPS))
@pytest.mark.parametrize("model", ["crosses", "a fitted scaler"])
def test_a_signal_at_each_place_of_a_streams_start_raises_the_handlers_exception(
    tmp_path, model, places
):
    # A SIGALRM whose handler raises (a timeout), sent at each of the first 150 places of a
    # run over a file in turn (the model's checks, opening the file, the read-ahead, the
    # first batch): the run raises the handler's exception. (Inside scikit-learn's
    # available_if check that hasattr(model, "predict_proba") makes, it was turned into
    # AttributeError and swallowed: the run went on, scoring its error rate instead of its
    # log loss; inside the check that a scaler is fitted, it became "must be fitted".)
    frame = pd.concat(click_batches(n_batches=2, rows=50))
    if model == "a fitted scaler":
        frame = frame[["hour", "click"]]
        fitted = StandardScaler().fit(frame[["hour"]])  # (copied: a fit costs 20 copies)
        make = lambda: make_pipeline(  # noqa: E731
            copy.deepcopy(fitted), SparseFTRLClassifier(random_state=0)
        )
    else:
        make = pipeline
    path = tmp_path / "clicks.csv"
    frame.to_csv(path, index=False)
    fit_stream(make(), str(path), target="click", batch_rows=50)  # (a run without signals)
    install, signalling = SIGNAL_SWEEPS[places]
    previous = signal.signal(signal.SIGALRM, raise_timeout)
    try:
        with no_garbage_collection():  # (a handler's exception in a finalizer is lost)
            for k in range(1, 151):
                model = make()
                with pytest.raises(Timeout):
                    install(signalling(k, signal.SIGALRM))
                    try:
                        fit_stream(model, str(path), target="click", batch_rows=50)
                    finally:
                        install(None)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_resume_of_a_finished_run_with_more_passes_continues_it(tmp_path):
    batches = click_batches(n_batches=3)
    path = tmp_path / "run.ckpt"
    fit_stream(pipeline(), batches, target="click", passes=1, checkpoint=path)
    model, history = fit_stream(
        pipeline(), batches, target="click", passes=2, checkpoint=path, resume=True
    )
    full, full_history = fit_stream(pipeline(), batches, target="click", passes=2)
    assert_same_state(model[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    assert history.resumed_rows == 900 and full_history.resumed_rows == 0  # rows/s counts 900


def test_resume_with_fewer_passes_than_the_checkpoint_holds_is_refused(tmp_path):
    batches = click_batches(n_batches=3)
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):  # in batch 2 of pass 2
        fit_stream(
            pipeline(),
            batches,
            target="click",
            passes=3,
            checkpoint=path,
            checkpoint_every=300,
            progress=interrupt_after(5),
        )
    model = pipeline()
    with pytest.raises(ValueError, match=r"holds 2 pass\(es\).*under way.*passes=2 or more"):
        fit_stream(model, batches, target="click", passes=1, checkpoint=path, resume=True)
    assert not hasattr(model[-1], "coef_")
    # with the pass under way counted, it resumes, to the run of as many passes
    model, history = fit_stream(
        pipeline(), batches, target="click", passes=2, checkpoint=path, resume=True
    )
    full, full_history = fit_stream(pipeline(), batches, target="click", passes=2)
    assert_same_state(model[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    # a finished run of 2 passes is not one of 1
    with pytest.raises(ValueError, match=r"holds 2 pass\(es\) of its run, more than passes=1"):
        fit_stream(pipeline(), batches, target="click", passes=1, checkpoint=path, resume=True)


@pytest.fixture(scope="module")
def _two_batches_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("two batches") / "run.ckpt"
    fit_stream(pipeline(), click_batches(n_batches=2), target="click", checkpoint=path)
    return path.read_bytes()


@pytest.fixture
def two_batches_checkpoint(tmp_path, _two_batches_checkpoint):
    """``tmp_path / "run.ckpt"``: the checkpoint of a run of ``pipeline()`` over
    ``click_batches(n_batches=2)`` (target "click"), written once a module and copied here."""
    path = tmp_path / "run.ckpt"
    path.write_bytes(_two_batches_checkpoint)
    return path


def test_resume_refuses_the_checkpoint_of_another_run(tmp_path, two_batches_checkpoint):
    batches = click_batches(n_batches=2)
    path = two_batches_checkpoint
    other = pipeline(SparseFTRLClassifier(alpha=1e-3, random_state=0))
    with pytest.raises(ValueError, match=r"different run.*alpha: 0\.0001 -> 0\.001"):
        fit_stream(other, batches, target="click", checkpoint=path, resume=True, passes=2)
    with pytest.raises(ValueError, match=r"batch_rows: 65536 -> 10"):
        fit_stream(
            pipeline(),
            batches,
            target="click",
            checkpoint=path,
            resume=True,
            batch_rows=10,
            passes=2,
        )
    with pytest.raises(ValueError, match=r"reader_options target_dtype: None -> 'str'"):
        fit_stream(
            pipeline(),
            batches,
            target="click",
            checkpoint=path,
            resume=True,
            passes=2,
            reader_options={"target_dtype": "str"},
        )
    with pytest.raises(ValueError, match="there is no checkpoint at"):
        fit_stream(pipeline(), batches, target="click", checkpoint=tmp_path / "none", resume=True)


def test_a_resume_takes_the_same_classes_written_as_other_numbers(tmp_path):
    # (the classes were compared as text: [0.0, 1.0], inferred from the first batch, were
    # refused as "not [0, 1]")
    batches = click_batches(n_batches=4)
    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            pipeline(),
            batches,
            target="click",
            checkpoint=path,
            checkpoint_every=300,
            progress=interrupt_after(2),
        )
    resumed, history = fit_stream(
        pipeline(), batches, target="click", classes=[0, 1], checkpoint=path, resume=True
    )
    full, full_history = fit_stream(pipeline(), batches, target="click")
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    with pytest.raises(ValueError, match=r"has the classes \[0\.0, 1\.0\], not \[0, 2\]"):
        fit_stream(
            pipeline(), batches, target="click", classes=[0, 2], checkpoint=path, resume=True
        )


def test_a_resume_takes_a_pipeline_function_defined_again_as_in_a_new_process(tmp_path):
    # (the run's description held the function's repr, its address: a resume in another
    # process, where the function is defined again, was refused as "a different run")
    from sklearn.preprocessing import FunctionTransformer

    def defined():  # each call: the function as a new process defines it, at a new address
        def clip(X):
            return np.clip(X, -2.0, 2.0)

        return clip

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    batches = [(X[i : i + 100], X[i : i + 100, 0]) for i in range(0, 400, 100)]

    def model():
        return make_pipeline(FunctionTransformer(defined()), SparseFTRLRegressor(random_state=0))

    full, full_history = fit_stream(model(), batches, passes=2)
    path = tmp_path / "run.ckpt"
    first = model()  # (kept: the resume's function is then defined at another address)
    fit_stream(first, batches, passes=1, checkpoint=path)
    resumed, history = fit_stream(model(), batches, passes=2, checkpoint=path, resume=True)
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


_LAMBDA_RUN = """
import sys
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sparsereg import SparseFTRLRegressor
from sparsereg.stream import fit_stream

def scaled(scale):
    return {
        "same": lambda X: np.where(np.isin(X.dtype.kind, {"f", "i", "u"}), X * scale, X),
        "other": lambda X: np.where(np.isin(X.dtype.kind, {"f", "i", "u"}), X * -scale, X),
    }


rng = np.random.RandomState(0)
X = rng.normal(size=(400, 3))
batches = [(X[i : i + 100], X[i : i + 100, 0]) for i in range(0, 400, 100)]
for run in sys.argv[2:]:  # "func,scale,start|resume": one run each, one line printed each
    func, scale, resume = run.split(",")
    funcs = scaled(float(scale))
    model = make_pipeline(FunctionTransformer(funcs[func]), SparseFTRLRegressor())
    try:
        _, history = fit_stream(
            model, batches, passes=2, checkpoint=sys.argv[1], resume=resume == "resume"
        )
    except ValueError as exc:
        print(str(exc).replace("\\n", " "))
    else:
        print("resumed", history.resumed_rows)
"""


def test_a_resume_tells_lambdas_apart_by_their_code_and_closure_in_a_new_process(
    tmp_path, monkeypatch, capsys
):
    # (a lambda or local function was described by its module and name alone, as
    # "__main__.<lambda>": a resume with another lambda continued the run with it)
    path = str(tmp_path / "run.ckpt")

    def runs(*each):
        done = run_python(_LAMBDA_RUN, path, *each)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()

    def runs_here(*each):  # the same script run in this process, as a module __main__
        monkeypatch.setattr(sys, "argv", ["-c", path, *each])
        exec(compile(_LAMBDA_RUN, "<string>", "exec"), {"__name__": "__main__"})
        return capsys.readouterr().out.strip().splitlines()

    # the resume in a process of its own, not the start's: the set in the lambda is ordered
    # by the process's own hash seed (the start runs in this one). The refusals need no new
    # process (a lambda described by its module and name alone is not refused in any), and
    # follow the resume in its process.
    assert runs_here("same,2,start") == ["resumed 0"]
    resumed, refused, closure = runs("same,2,resume", "other,2,resume", "same,3,resume")
    assert resumed == "resumed 800"
    # the code differs
    assert "different run" in refused and "__main__.scaled.<locals>.<lambda>#" in refused
    assert "different run" in closure  # the closure's value differs


def _resumes_only_the_same_run(tmp_path, model, other=None, match="different run"):
    """A run of ``model()`` over two batches, checkpointed, resumes with ``model()`` made again
    (its description the same) and is refused with ``other``."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    batches = [(X[:100], X[:100, 0]), (X[100:], X[100:, 0])]
    path = tmp_path / "run.ckpt"
    fit_stream(model(), batches, checkpoint=path)
    _, history = fit_stream(model(), batches, checkpoint=path, resume=True)
    assert history.resumed_rows == 200
    if other is not None:
        with pytest.raises(ValueError, match=match):
            fit_stream(other, batches, checkpoint=path, resume=True)


def test_a_resume_tells_partials_of_lambdas_apart(tmp_path):
    # (functools.partial's repr, its address taken out, was "functools.partial(<function
    # <lambda>>, k=2)" for any lambda)
    import functools

    from sklearn.preprocessing import FunctionTransformer

    def model(times):
        func = (lambda X, k: X * k) if times else (lambda X, k: X + k)
        return make_pipeline(
            FunctionTransformer(functools.partial(func, k=2)), SparseFTRLRegressor()
        )

    _resumes_only_the_same_run(
        tmp_path,
        lambda: model(True),
        model(False),
        r"different run.*functools\.partial\(.*<lambda>#",
    )


def test_a_lambda_whose_closure_holds_a_container_that_holds_itself_is_described(tmp_path):
    # (its digest recursed into the container without end: every fit_stream of the pipeline,
    # with a checkpoint or without, raised RecursionError)
    from sklearn.preprocessing import FunctionTransformer

    def model(scale):
        cache = {"scale": scale}
        cache["self"] = cache
        return make_pipeline(
            FunctionTransformer(lambda X: X * cache["scale"]), SparseFTRLRegressor()
        )

    _resumes_only_the_same_run(tmp_path, lambda: model(2.0), model(3.0))


class _Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr here")


def _nested(depth, inner="x"):
    value = inner
    for _ in range(depth):
        value = [value, 1]
    return value


def _cyclic():
    cache = {}
    cache["self"] = [cache]
    return cache


@pytest.mark.parametrize(
    "make",
    [
        lambda v: dict(func=lambda X: X if v else X),
        lambda v: dict(func=lambda X, v=v: X),
        lambda v: dict(func=lambda X, v: X, kw_args={"v": v}),
    ],
    ids=["closure", "default", "kw_args"],
)
@pytest.mark.parametrize(
    "value",
    [_Unprintable(), _nested(5000), _cyclic(), {(1, 2): "tuple key"}],
    ids=["repr raises", "nested 5000 deep", "cyclic", "tuple key"],
)
def test_a_run_is_described_whatever_its_lambdas_hold(tmp_path, make, value):
    # (a closure or default whose repr raised, or nested past the recursion limit, made
    # every fit_stream with a checkpoint raise that error or RecursionError; so did kw_args
    # that JSON cannot spell: a dict holding itself, keys that are tuples)
    from sklearn.preprocessing import FunctionTransformer

    def model():
        return make_pipeline(FunctionTransformer(**make(value)), SparseFTRLRegressor())

    _resumes_only_the_same_run(tmp_path, model)


def test_a_lambda_over_nested_containers_is_described_in_memory_linear_in_them(tmp_path):
    # (each level of nesting escaped the text of the levels within again: a closure of
    # lists 22 deep was spelt in 16M characters, 30 deep in 4G)
    from sklearn.preprocessing import FunctionTransformer

    from .memory_helpers import peak_bytes

    nested = _nested(22, "'quoted'")
    model = make_pipeline(FunctionTransformer(lambda X: X if nested else X), SparseFTRLRegressor())
    X = np.random.RandomState(0).normal(size=(100, 3))
    without = peak_bytes(lambda: fit_stream(clone(model), [(X, X[:, 0])]))
    described = peak_bytes(lambda: fit_stream(model, [(X, X[:, 0])], checkpoint=tmp_path / "c"))
    assert described - without < 2**20


@pytest.mark.parametrize("where", ["closure", "kw_args", "partial"])
@pytest.mark.parametrize("kind", ["array", "DataFrame", "sparse"])
def test_a_resume_tells_apart_large_arrays_that_differ_in_the_middle(tmp_path, where, kind):
    # (they were spelt by their repr, which shows the first and last values only: a resume
    # with the other array continued the run)
    import functools

    from sklearn.preprocessing import FunctionTransformer

    def model(middle):
        weights = np.ones(10_000)
        weights[5_000] = middle
        if kind == "DataFrame":
            weights = pd.DataFrame({"w": weights})
        elif kind == "sparse":
            weights = sp.csr_matrix(weights)
        func = {
            "closure": dict(func=lambda X: X if weights is not None else X),
            "kw_args": dict(func=lambda X, w: X, kw_args={"w": weights}),
            "partial": dict(func=functools.partial(_unchanged, weights=weights)),
        }[where]
        return make_pipeline(FunctionTransformer(**func), SparseFTRLRegressor())

    _resumes_only_the_same_run(tmp_path, lambda: model(2.0), model(3.0))


def _unchanged(X, weights):
    return X


def _holds_itself(kind):
    inner = np.empty(2, dtype=object)
    inner[0], inner[1] = inner, 1
    if kind == "Series":
        inner = pd.Series([None, 1], dtype=object)
        inner.iloc[0] = inner
    return inner


@pytest.mark.parametrize("kind", ["array", "Series"])
def test_an_array_that_holds_itself_is_described_alike_at_any_depth_of_the_stack(tmp_path, kind):
    # (its items were described until the recursion limit: the digest counted the frames
    # left, and a resume called from another depth was refused as a different run)
    from sklearn.preprocessing import FunctionTransformer

    value = _holds_itself(kind)

    def model():
        return make_pipeline(
            FunctionTransformer(lambda X, v: X, kw_args={"v": value}), SparseFTRLRegressor()
        )

    def at_depth(n, call):
        return call() if n == 0 else at_depth(n - 1, call)

    described = {at_depth(n, lambda: plain({"v": value})["v"]) for n in range(12)}
    assert len(described) == 1
    X = np.random.RandomState(0).normal(size=(200, 3))
    batches = [(X[:100], X[:100, 0]), (X[100:], X[100:, 0])]
    path = tmp_path / "run.ckpt"
    fit_stream(model(), batches, checkpoint=path)
    _, history = at_depth(7, lambda: fit_stream(model(), batches, checkpoint=path, resume=True))
    assert history.resumed_rows == 200


@pytest.mark.parametrize(
    "value, other",
    [
        ({(1, 2): 2.0}, {(1, 2): 3.0}),
        ({**_cyclic(), "k": 1}, {**_cyclic(), "k": 2}),
        ([_cyclic(), 1], [_cyclic(), 2]),
    ],
    ids=["tuple keys", "cyclic", "cyclic in a list"],
)
def test_a_resume_tells_apart_kw_args_that_json_cannot_spell(tmp_path, value, other):
    # (such a value was spelt by its type alone: a resume with other kw_args continued the run)
    from sklearn.preprocessing import FunctionTransformer

    def model(kw):
        return make_pipeline(
            FunctionTransformer(lambda X, v: X, kw_args={"v": kw}), SparseFTRLRegressor()
        )

    _resumes_only_the_same_run(tmp_path, lambda: model(value), model(other))


def test_a_run_without_a_checkpoint_does_not_read_what_a_lambdas_closure_holds():
    # (the run's description, which only a checkpoint holds, was made for every run: a lambda
    # closing over a vocabulary of 1M words took 2.3 s more per call, to spell each entry)
    from sklearn.preprocessing import FunctionTransformer

    spelt = []

    class Vocabulary:
        def __len__(self):
            return 1

        def __repr__(self):
            spelt.append(self)
            return "Vocabulary()"

    vocabulary = Vocabulary()
    model = make_pipeline(FunctionTransformer(lambda X: X * len(vocabulary)), SparseFTRLRegressor())
    X = np.random.RandomState(0).normal(size=(100, 3))
    fit_stream(model, [(X, X[:, 0])])
    assert spelt == []


def test_a_checkpoint_in_a_missing_folder_is_refused_before_training(tmp_path):
    model = pipeline()
    path = tmp_path / "no such folder" / "run.ckpt"
    with pytest.raises(ValueError, match="no such folder is not a writable folder"):
        fit_stream(model, click_batches(n_batches=2), target="click", checkpoint=path)
    assert not hasattr(model[-1], "coef_")  # refused before the first batch


@pytest.mark.parametrize("linked", [False, True])
def test_a_checkpoint_that_is_an_input_file_is_refused_before_training(tmp_path, linked):
    # (the first save wrote the checkpoint over the CSV being read; the command line refused
    # it, fit_stream did not)
    first, data = tmp_path / "first.csv", tmp_path / "clicks.csv"
    click_batches(n_batches=1)[0].to_csv(first, index=False)
    pd.concat(click_batches(n_batches=2)).to_csv(data, index=False)
    before = data.read_bytes()
    checkpoint = data
    if linked:
        checkpoint = tmp_path / "run.ckpt"
        os.symlink("clicks.csv", checkpoint)
    model = pipeline()
    with pytest.raises(ValueError, match="is the input file .*clicks.csv.*written over"):
        fit_stream(model, [str(first), str(data)], target="click", checkpoint=checkpoint)
    assert data.read_bytes() == before
    assert not hasattr(model[-1], "coef_")


@pytest.mark.parametrize("name", ["", "run/", b""])
def test_a_checkpoint_path_that_names_no_file_is_refused_before_training(
    tmp_path, monkeypatch, name
):
    # (the folder checked was the working one, and the first save failed after training:
    # "No such file or directory: '..<hex>.tmp' -> ''")
    monkeypatch.chdir(tmp_path)
    model = pipeline()
    with pytest.raises(ValueError, match="names no file"):
        fit_stream(model, click_batches(n_batches=2), target="click", checkpoint=name)
    assert not hasattr(model[-1], "coef_") and os.listdir(tmp_path) == []


def test_a_checkpoint_path_that_is_a_directory_is_refused_before_training(tmp_path):
    # (it failed at the first save, "[Errno 21] Is a directory", after the rows trained before)
    model = pipeline()
    path = tmp_path / "run.ckpt"
    path.mkdir()
    with pytest.raises(ValueError, match=r"run\.ckpt' is a directory; give the path of a file"):
        fit_stream(model, click_batches(n_batches=2), target="click", checkpoint=path)
    assert not hasattr(model[-1], "coef_")  # refused before the first batch


def test_an_error_later_in_the_stream_leaves_the_last_checkpoint_intact(tmp_path):
    batches = click_batches(n_batches=5)
    batches[4].loc[0, "click"] = 7
    path = tmp_path / "run.ckpt"
    with pytest.raises(ValueError, match="label 7"):
        fit_stream(pipeline(), batches, target="click", checkpoint=path, checkpoint_every=600)
    # the checkpoint holds the run after batch 2 (600 rows) or 4 (1200 rows)
    resumed, history = fit_stream(
        pipeline(), batches[:4], target="click", checkpoint=path, resume=True
    )
    reference, _ = fit_stream(pipeline(), batches[:4], target="click")
    assert_same_state(resumed[-1], reference[-1])
    assert history.rows == 1200


def _tamper(path, out, key, value):
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == f"{key}.npy":
                import io

                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, value, allow_pickle=True)
                data = buffer.getvalue()
            zout.writestr(item, data)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("state.n", np.full((1, 3), -1.0), "n"),
        ("meta", np.array([{"a": 1}], dtype=object), "object"),
        ("progress.ints", np.array([0, 0, -5, 0, 0, 0, 0, 0]), "negative"),
        ("progress.ints", np.array([0, 0, 0, 0, 0, 0]), "wrong shape"),
        # more rows trained since the last checkpoint than in the pass
        ("progress.ints", np.array([1, 0, 0, 0, 0, 1, 0, 1]), "row counts are inconsistent"),
        ("version", np.int64(99), "version"),
        ("version", np.True_, "version"),
        ("meta", np.array("[" * 100_000 + "]" * 100_000), "nests too deeply"),
        ("meta", np.array(7), "not a string"),
        ("progress.ints", np.array(["0"] * 8), "dtypes"),
        ("progress.ints", np.array([0, 0, 1.7, 0, 0, 0, 0, 0]), "dtypes"),
        ("progress.floats", np.array([0, 0, 0, 0, 0]), "dtypes"),
        ("progress.floats", np.array([0.0, 0.0, 0.0]), "wrong shape"),
        ("history.counts", np.array([1, 2]), "history.counts"),
    ],
)
def test_a_tampered_checkpoint_is_refused_and_the_estimator_left_as_it_was(
    tmp_path, key, value, message, two_batches_checkpoint
):
    batches = click_batches(n_batches=2)
    path, bad = two_batches_checkpoint, tmp_path / "bad.ckpt"
    _tamper(path, bad, key, value)
    model = pipeline()
    with pytest.raises(ValueError, match=message):
        fit_stream(model, batches, target="click", checkpoint=bad, resume=True, passes=2)
    assert not hasattr(model[-1], "coef_")


@pytest.mark.parametrize(
    "key, value",
    [
        ("history.counts", np.array([2**63 - 1, 0, 0])),
        ("progress.ints", np.array([1, 0, 0, 0, 2**63 - 1, 1, 0, 0])),  # holdout rows
        ("progress.ints", np.array([1, 0, 0, 0, 0, 1, 0, 2**63 - 1])),  # since the checkpoint
    ],
)
def test_a_checkpoint_counting_rows_near_int64s_end_is_refused_before_training(
    tmp_path, key, value
):
    # (it was taken: the resumed run trained a pass, then its save met a count past int64 and
    # raised OverflowError, the pass lost and no checkpoint written)
    batches = click_batches(n_batches=2)
    path, bad = tmp_path / "run.ckpt", tmp_path / "bad.ckpt"
    options = dict(target="click", holdout=3)
    fit_stream(pipeline(), batches, checkpoint=path, **options)
    _tamper(path, bad, key, value)
    model = pipeline()
    with pytest.raises(ValueError, match=r"more than 2\*\*62 rows"):
        fit_stream(model, batches, checkpoint=bad, resume=True, passes=2, **options)
    assert not hasattr(model[-1], "coef_")


def _declare_sizes(path, name, size):
    """Patch the zip directory of ``path``: member ``name`` declares ``size`` bytes, stored."""
    import struct

    raw = bytearray(path.read_bytes())
    at = 0
    while (at := raw.find(b"PK\x01\x02", at + 1)) >= 0:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + length] == name.encode():
            struct.pack_into("<II", raw, at + 20, size, size)
    path.write_bytes(bytes(raw))


_ADDRESS_SPACE_LIMITED = """
import resource, sys
from sparsereg.stream import fit_stream
from tests.test_stream_fit import click_batches, pipeline
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
try:
    fit_stream(pipeline(), click_batches(2), target="click", checkpoint=sys.argv[1],
               resume=True, passes=2)
except ValueError as exc:
    print("ValueError:", exc)
"""


def test_a_checkpoint_declaring_more_bytes_than_it_holds_is_refused_before_allocating(
    tmp_path, two_batches_checkpoint
):
    # a 20 KB checkpoint declaring a 4 GB member (its .npy header and the zip directory
    # agreeing) had its buffer allocated before the reading found the file short: a
    # MemoryError where the address space is limited (ulimit -v), not a ValueError
    import io

    path, bad = two_batches_checkpoint, tmp_path / "bad.ckpt"
    size = 2**32 - 2**16
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (size - 128,)}
    )
    assert len(header.getvalue()) == 128
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "state.nnz_history_t.npy":
                data = header.getvalue() + bytes(64)
            zout.writestr(item, data)
    _declare_sizes(bad, "state.nnz_history_t.npy", size)
    done = run_python(_ADDRESS_SPACE_LIMITED, str(bad))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ValueError:" in done.stdout and "does not hold" in done.stdout, done.stdout


def test_a_checkpoint_with_a_damaged_end_record_is_a_value_error(two_batches_checkpoint):
    # a flipped bit in the end record's offset of the directory moved every member's offset
    # below 0: the reader's seek raised OSError (Invalid argument)
    path = two_batches_checkpoint
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 1  # the directory's offset, its high byte: 2**24 bytes further
    path.write_bytes(bytes(raw))
    model = pipeline()
    with pytest.raises(ValueError, match="which the file does not hold"):
        fit_stream(model, click_batches(2), target="click", checkpoint=path, resume=True)
    assert not hasattr(model[-1], "coef_")
    assert path.read_bytes() == bytes(raw)


@pytest.mark.parametrize("version", [1, 2])
def test_a_checkpoint_of_an_earlier_version_resumes_to_the_uninterrupted_run(tmp_path, version):
    # version 2 added the run of refused rows to the progress, version 3 the weight of the rows
    # trained and held out and the rows since the last checkpoint: an earlier checkpoint (its
    # progress without them) is still read, as a run of 0, rows weighing 1 each and 0 rows
    batches = click_batches(n_batches=6)
    kwargs = dict(target="click", checkpoint_every=600, holdout=5)
    full, full_history = fit_stream(pipeline(), batches, target="click", holdout=5)
    path, old, older = tmp_path / "run.ckpt", tmp_path / "old.ckpt", tmp_path / "older.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), batches, checkpoint=path, progress=interrupt_after(3), **kwargs)
    with np.load(path) as arrays:
        ints, floats = arrays["progress.ints"], arrays["progress.floats"]
    assert ints.shape == (8,) and ints[6] == 0 and floats.shape == (5,)
    assert floats[3:].tolist() == [float(ints[3]), float(ints[4])]  # rows weighing 1 each
    _tamper(path, old, "progress.ints", ints[: {1: 6, 2: 7}[version]])
    _tamper(old, older, "progress.floats", floats[:3])
    _tamper(older, path, "version", np.int64(version))
    resumed, history = fit_stream(pipeline(), batches, checkpoint=path, resume=True, **kwargs)
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


def test_a_checkpoint_of_version_2_with_a_lambda_resumes(tmp_path):
    # version 3 describes a lambda, a local function or a partial of one by a digest of its
    # code; version 2 by its name alone (a partial: its repr, the address taken out). A
    # version 2 checkpoint of a run with one was refused as "written by a different run"
    import functools
    import re

    from sklearn.preprocessing import FunctionTransformer

    def model():
        return make_pipeline(
            FunctionTransformer(
                lambda X: X * 2.0,
                inverse_func=functools.partial(lambda X, k: X / k, k=2.0),
                check_inverse=False,
            ),
            SparseFTRLRegressor(random_state=0),
        )

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    batches = [(X[i : i + 100], X[i : i + 100, 0]) for i in range(0, 400, 100)]
    full, full_history = fit_stream(model(), batches)
    path, old, older = tmp_path / "run.ckpt", tmp_path / "old.ckpt", tmp_path / "older.ckpt"
    written = model()
    with pytest.raises(KeyboardInterrupt):
        fit_stream(written, batches, checkpoint=path, progress=interrupt_after(2))
    with np.load(path) as arrays:
        meta, floats = json.loads(str(arrays["meta"])), arrays["progress.floats"]
        ints = arrays["progress.ints"]
    params = meta["transformers"][0][1]
    assert re.fullmatch(r".*<lambda>#[0-9a-f]{16}", params["func"])
    # as version 2 spelt them
    params["func"] = re.sub("#[0-9a-f]{16}$", "", params["func"])
    params["inverse_func"] = re.sub(" at 0x[0-9a-fA-F]+", "", repr(written[0].inverse_func))
    _tamper(path, old, "meta", np.array(json.dumps(meta)))
    _tamper(old, older, "progress.floats", floats[:3])
    _tamper(older, old, "progress.ints", ints[:7])
    _tamper(old, path, "version", np.int64(2))
    resumed, history = fit_stream(model(), batches, checkpoint=path, resume=True)
    assert history.resumed_rows == 200
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


def test_a_checkpoint_that_is_not_a_zip_is_refused(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="not a sparsereg.StreamCheckpoint file"):
        fit_stream(pipeline(), click_batches(2), target="click", checkpoint=bad, resume=True)


def reference_scores(est, X):
    """Scores of X from ``est``'s state, by the literal formulas (Algorithm 1's lazy weights)."""
    from .ftrl_reference import weights_from_state

    state = est.get_ftrl_state()
    t = int(state["t"])
    alpha, r = est.alpha, {"l1": 1.0, "l2": 0.0, "elasticnet": est.l1_ratio}[est.penalty]
    scale = t if est.penalty_scale == "mean" else 1
    l1, l2 = alpha * r * scale, alpha * (1 - r) * scale
    w = np.zeros((state["z"].shape[0], int(state["n_features_in"])))
    w[:, state["columns"]] = weights_from_state(
        state["z"], state["n"], eta0=est.eta0, beta=est.beta, lambda1=l1, lambda2=l2
    )
    b = -state["intercept_z"] / ((est.beta + np.sqrt(state["intercept_n"])) / est.eta0)
    return X.toarray() @ w.T + b


def rows_reversed(X):
    """The same matrix with each row's entries in reverse order: a CSR the scoring's full
    checks sort (the hasher's rows, sorted and without repeats, are scored as they are)."""
    X = sp.csr_matrix(X)
    order = np.concatenate(
        [np.arange(X.indptr[i + 1] - 1, X.indptr[i] - 1, -1) for i in range(X.shape[0])]
    )
    reversed_rows = sp.csr_matrix(X.shape, dtype=X.dtype)
    reversed_rows.data, reversed_rows.indices = X.data[order], X.indices[order]
    reversed_rows.indptr = X.indptr.copy()
    return reversed_rows


@pytest.mark.parametrize("row_order", ["as hashed", "reversed"])
@pytest.mark.parametrize("store", ["dense", "sparse"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_progressive_loss_matches_the_numpy_reference(store, kind, row_order):
    """The stream scores each batch from the state with a compiled loop: check it, on rows
    as the hasher gives them and on rows the checks must sort first."""
    from scipy.special import expit

    labels = (0, 1) if kind == "binary" else (0, 2)
    batches = click_batches(n_batches=4, rows=200, labels=labels)
    if kind == "multiclass":
        for b in batches:
            b["click"] = np.where(b["site"] == "mail", 1, b["click"])
    params = dict(random_state=0, state_store=store, penalty="elasticnet", l1_ratio=0.5, alpha=1e-3)
    est = SparseFTRLRegressor(**params) if kind == "regression" else SparseFTRLClassifier(**params)
    streamed = pipeline(est)
    if row_order == "reversed":
        streamed.steps.insert(1, ("reversed", FunctionTransformer(rows_reversed)))
    _, history = fit_stream(streamed, batches, target="click")
    hasher = FeatureCrossHasher([("site",), ("hour",), ("site", "hour")], n_features=2**12)
    twin = clone(est)
    total, rows, expected = 0.0, 0, []
    for i, batch in enumerate(batches):
        X, y = split(batch)
        Xt = hasher.fit_transform(X)
        if kind == "regression":
            s = reference_scores(twin, Xt)[:, 0] if i else np.zeros(len(y))
            losses = (y - s) ** 2
        elif i == 0:
            losses = np.full(
                len(y), np.log(len(np.unique(np.concatenate([b["click"] for b in batches]))))
            )
        else:
            s = reference_scores(twin, Xt)
            p = expit(s)
            proba = (
                np.column_stack([1 - p[:, 0], p[:, 0]])
                if s.shape[1] == 1
                else p / p.sum(axis=1, keepdims=True)
            )
            losses = log_losses(proba, twin.classes_, y)
        total, rows = total + losses.sum(), rows + len(y)
        expected.append(total / rows)
        if kind == "regression":
            twin.partial_fit(Xt, y)
        else:
            twin.partial_fit(
                Xt, y, classes=np.unique(np.concatenate([b["click"] for b in batches]))
            )
    np.testing.assert_allclose(history.curve_loss, expected, rtol=1e-10)


def test_the_callers_batches_are_read_in_the_callers_thread():
    import threading

    threads = []

    def batches():
        for batch in click_batches(n_batches=3):
            threads.append(threading.current_thread())
            yield batch

    fit_stream(pipeline(), batches(), target="click")
    assert threads == [threading.main_thread()] * 3


def test_stopped_early_only_when_passes_were_left():
    rng = np.random.RandomState(1)
    batches = [
        pd.DataFrame({"id": rng.randint(0, 400, 200).astype(str), "y": rng.randint(0, 2, 200)})
        for _ in range(5)
    ]
    model = make_pipeline(
        FeatureCrossHasher(["id"], n_features=2**12),
        SparseFTRLClassifier(eta0=5.0, penalty=None, random_state=0),
    )
    _, history = fit_stream(model, batches, target="y", holdout=5, passes=2, early_stop=1)
    assert history.n_passes == 2 and not history.stopped_early


def test_a_rejected_resume_leaves_the_estimator_unfitted(two_batches_checkpoint):
    batches = click_batches(n_batches=2)
    path = two_batches_checkpoint
    model = pipeline()
    with pytest.raises(ValueError, match="checkpoints need a source that can be read again"):
        fit_stream(model, iter(batches), target="click", checkpoint=path, resume=True)
    assert not hasattr(model[-1], "coef_")


def test_a_checkpoint_whose_passes_disagree_with_its_history_is_refused(
    tmp_path, two_batches_checkpoint
):
    batches = click_batches(n_batches=2)
    path, bad = two_batches_checkpoint, tmp_path / "bad.ckpt"
    _tamper(path, bad, "progress.ints", np.array([5, 0, 0, 0, 0, 1, 0, 0]))
    model = pipeline()
    with pytest.raises(ValueError, match="records 1 passes but stands in pass 6"):
        fit_stream(model, batches, target="click", checkpoint=bad, resume=True, passes=9)
    assert not hasattr(model[-1], "coef_")


@pytest.mark.parametrize(
    "counts, message", [([600, 0, 2], "not 0 or 1"), ([600, 0, 1], "early stop")]
)
def test_a_checkpoint_stopped_early_mid_pass_is_refused(tmp_path, counts, message):
    # a checkpoint in the middle of its first pass that claimed an early stop (or a flag of 2)
    # was resumed as a finished run: its remaining rows silently never trained
    batches = click_batches(n_batches=4)
    path, bad = tmp_path / "run.ckpt", tmp_path / "bad.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            pipeline(), batches, target="click", checkpoint=path, progress=interrupt_after(2)
        )
    _tamper(path, bad, "history.counts", np.array(counts))
    before = bad.read_bytes()
    model = pipeline()
    with pytest.raises(ValueError, match=message):
        fit_stream(model, batches, target="click", checkpoint=bad, resume=True)
    assert not hasattr(model[-1], "coef_")
    assert bad.read_bytes() == before


@pytest.mark.parametrize("row", [10**6, np.iinfo(np.int64).max])
def test_a_resume_refused_at_its_first_batch_leaves_the_model_as_it_was(tmp_path, row):
    # a position past the data shows only when the source is read, after the checkpoint's
    # state was set: the model was left holding it (fitted) though the resume was refused
    data = tmp_path / "clicks.csv"
    pd.concat(click_batches(n_batches=4)).to_csv(data, index=False)
    path, bad = tmp_path / "run.ckpt", tmp_path / "bad.ckpt"
    options = dict(target="click", batch_rows=300)
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), data, checkpoint=path, progress=interrupt_after(2), **options)
    _tamper(path, bad, "progress.ints", np.array([0, 0, row, 0, 0, 0, 0, 0]))
    model = pipeline()
    with pytest.raises(ValueError, match="row"):
        fit_stream(model, data, checkpoint=bad, resume=True, **options)
    assert not hasattr(model[-1], "coef_")
    assert all(not hasattr(step, "n_features_in_") for _, step in model.steps)
    warm = pipeline()
    fit_stream(warm, click_batches(n_batches=1), target="click")
    before = clone(warm[-1]).set_ftrl_state(warm[-1].get_ftrl_state())
    with pytest.raises(ValueError, match="row"):
        fit_stream(warm, data, checkpoint=bad, resume=True, **options)
    assert_same_state(warm[-1], before)


def test_grid_estimators_are_refused_checkpoints_before_training(tmp_path):
    """A grid estimator's get_ftrl_state is its chosen model's state, which cannot resume
    the grid: fit_stream wrote such checkpoints, and the resume raised AttributeError."""
    from sparsereg import SparseFTRLClassifierCV

    batches = click_batches(n_batches=2)
    model = pipeline(SparseFTRLClassifierCV(alphas=2, eta0s=[0.1], random_state=0))
    path = tmp_path / "run.ckpt"
    with pytest.raises(TypeError, match="set_ftrl_state"):
        fit_stream(model, batches, target="click", checkpoint=path)
    assert not path.exists()
    assert not hasattr(model[-1], "best_estimator_")
    trained, _ = fit_stream(model, batches, target="click")  # without checkpoints: trains
    assert trained[-1].t_ == sum(len(b) for b in batches)


@pytest.mark.parametrize("places", sorted(ANY_CODE_SWEEPS))
def test_a_signal_at_each_place_of_a_checkpoints_write_raises_the_handlers_exception(
    tmp_path, places
):
    # A SIGALRM whose handler raises (a timeout), at each function entry and exit of any code
    # while a checkpoint is written, then after each call and at each loop's jump back: the
    # write raises that exception, and the file is the previous checkpoint or the new one,
    # whole. (One that came as zipfile opened or began to close a member came out as
    # zipfile's ValueError "Can't close the ZIP file while there is an open writing handle",
    # which fit_stream's `except KeyboardInterrupt` did not catch.)
    # The state is one array: the writer does for each array what it does for one. At the few
    # places inside zipfile's finalizer (ZipFile.__del__) CPython ignores the exception and the
    # write completes; the sweep goes on past them to the end of the write (965 places). The
    # finalizer ignores nothing else: an archive left with a member marked open raised that
    # ValueError again, printed, when it was collected.
    from sparsereg.stream._checkpoint import RunProgress, save_checkpoint
    from sparsereg.stream._history import StreamHistory

    path = tmp_path / "run.ckpt"

    def save(pass_index):
        save_checkpoint(
            path,
            state={"z": np.arange(6.0)},
            meta={"run": "test"},
            progress=RunProgress(pass_index=pass_index),
            history=StreamHistory("squared_error"),
        )

    def written_pass():
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None  # every member whole
            with archive.open("progress.ints.npy") as f:
                return int(np.lib.format.read_array(f)[0])

    save(1)
    previous = path.read_bytes()

    def the_previous_checkpoint():
        # (written again only where the last run's write replaced it: rewriting a file costs
        # ~3 ms on ext4, most of a place's run, and a run leaves it as it was at most places)
        if path.read_bytes() != previous:
            path.write_bytes(previous)

    def previous_or_new(_, k, completed):
        assert written_pass() in ((2,) if completed else (1, 2)), f"at place {k}"
        # and nothing of the write is left: no temporary file, no descriptor open on one
        assert os.listdir(tmp_path) == ["run.ckpt"], f"at place {k}"
        assert files_open_under(tmp_path) == [], f"at place {k}"

    ignored, hook = [], sys.unraisablehook
    sys.unraisablehook = lambda unraisable: ignored.append(unraisable.exc_value)
    try:
        places = alarm_each_place_of_any_code(
            raise_timeout,
            Timeout,
            the_previous_checkpoint,
            lambda _: save(2),
            previous_or_new,
            ANY_CODE_SWEEPS[places],
            planned=True,  # (each run writes the file again from the previous one)
        )
    finally:
        sys.unraisablehook = hook
    assert places > 100
    assert all(type(exc) is Timeout for exc in ignored), ignored


@pytest.mark.skipif(
    not hasattr(signal, "SIGXFSZ") or pytest.importorskip("resource") is None, reason="POSIX"
)
def test_a_checkpoint_write_that_fails_leaves_the_last_checkpoint_whole(tmp_path):
    # A file-size limit stands for a full disk: the compiled writer's error path (each member
    # and the archive closed after a failed write, the first error raised) leaves the
    # checkpoint that was there, no temporary file, and nothing for the collector to report.
    import gc
    import resource

    rng = np.random.RandomState(0)
    batches = []
    for _ in range(4):  # 60,000 non-zeros a batch over 2**20 columns: a checkpoint of MiBs
        X = sp.csr_matrix(
            (
                rng.uniform(0.5, 1.5, 60_000),
                rng.randint(0, 2**20, 60_000),
                np.arange(0, 60_001, 200),
            ),
            shape=(300, 2**20),
        )
        batches.append((X, rng.normal(size=300)))
    path = tmp_path / "run.ckpt"
    model = SparseFTRLRegressor(random_state=0)
    fit_stream(model, batches[:2], checkpoint=path)
    before = path.read_bytes()
    assert len(before) > 2**21  # far above the small files pytest writes meanwhile
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a killed process
    ignored, hook = [], sys.unraisablehook
    sys.unraisablehook = lambda unraisable: ignored.append(unraisable.exc_value)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) // 2, hard))
        with pytest.raises(OSError):
            fit_stream(clone(model), batches, checkpoint=path)
        gc.collect()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
        sys.unraisablehook = hook
    assert ignored == []
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["run.ckpt"]
    resumed, history = fit_stream(clone(model), batches[:2], checkpoint=path, resume=True)
    assert_same_state(resumed, fit_stream(clone(model), batches[:2])[0])
    assert history.rows == 600


def exported_arrays(model):
    """The arrays of the model file ``model`` exports to (hasher included)."""
    import io

    from sparsereg.export import export_model

    buffer = io.BytesIO()
    export_model(model).save(buffer)
    buffer.seek(0)
    with np.load(buffer) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("stop", ["finished", "after the last batch"])
def test_a_resumed_run_with_no_batch_left_has_its_hasher_fitted_as_the_run_it_resumes(
    tmp_path, stop
):
    # (the hasher was fitted on the first batch read: a resume with none left to read returned
    # a pipeline whose hasher had no feature_names_in_, accepted columns the model of the
    # uninterrupted run refuses, and exported to another model file). The first batch, read
    # again to fit it, holds a bad row: counted once.
    pytest.importorskip("pyarrow")
    path = tmp_path / "clicks.csv"
    lines = pd.concat(click_batches(n_batches=3)).to_csv(index=False).splitlines()
    lines[3] = "shop,4,1,1"  # a field too many
    path.write_text("\n".join(lines) + "\n")
    kwargs = dict(target="click", holdout=5, batch_rows=300, skip_bad_rows=True)
    full, full_history = fit_stream(pipeline(), str(path), **kwargs)
    assert full_history.bad_rows == 1
    checkpoint = tmp_path / "run.ckpt"
    if stop == "finished":
        fit_stream(pipeline(), str(path), checkpoint=checkpoint, **kwargs)
    else:  # Ctrl-C in the last batch: the checkpoint stands at the end of the pass, unfinished
        with pytest.raises(KeyboardInterrupt):
            fit_stream(
                pipeline(), str(path), checkpoint=checkpoint, progress=interrupt_after(3), **kwargs
            )
    resumed, history = fit_stream(
        pipeline(), str(path), checkpoint=checkpoint, resume=True, **kwargs
    )
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    assert resumed[0].feature_names_in_.tolist() == full[0].feature_names_in_.tolist()
    assert resumed[0].n_features_in_ == full[0].n_features_in_ == 2
    other = split(click_batches(n_batches=1)[0])[0].rename(columns={"hour": "hours"})
    with pytest.raises(ValueError, match="feature names"):
        full.predict(other)
    with pytest.raises(ValueError, match="feature names"):
        resumed.predict(other)
    expected = exported_arrays(full)
    got = exported_arrays(resumed)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def _early_stopping_batches():
    """Five batches of one categorical column whose holdout loss rises after two passes."""
    rng = np.random.RandomState(1)
    return [
        pd.DataFrame({"id": rng.randint(0, 400, 200).astype(str), "y": rng.randint(0, 2, 200)})
        for _ in range(5)
    ]


def _early_stopping_model():
    return make_pipeline(
        FeatureCrossHasher(["id"], n_features=2**12),
        SparseFTRLClassifier(eta0=5.0, penalty=None, random_state=0),
    )


def test_a_resume_with_more_passes_judges_early_stopping_on_the_passes_it_holds(tmp_path):
    # (the rule was judged only after a pass with another to follow: the last pass of the
    # shorter run was never judged, and the resume ran a pass the uninterrupted run had not)
    batches, model = _early_stopping_batches(), _early_stopping_model

    kwargs = dict(target="y", holdout=5, early_stop=1)
    full, full_history = fit_stream(model(), batches, passes=4, **kwargs)
    assert full_history.stopped_early and full_history.n_passes == 2
    path = tmp_path / "run.ckpt"
    _, shorter = fit_stream(model(), batches, passes=2, checkpoint=path, **kwargs)
    assert not shorter.stopped_early and shorter.n_passes == 2
    resumed, history = fit_stream(
        model(), batches, passes=4, checkpoint=path, resume=True, **kwargs
    )
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    assert history.stopped_early and history.n_passes == 2


def test_a_resume_without_early_stop_of_a_run_that_stopped_early_runs_its_passes(tmp_path):
    # (the early stop recorded in the checkpoint held: the resume returned at once, with the
    # passes of the run that stopped, where an uninterrupted run without early_stop runs all)
    batches, model = _early_stopping_batches(), _early_stopping_model

    path = tmp_path / "run.ckpt"
    _, stopped = fit_stream(
        model(), batches, target="y", holdout=5, passes=4, early_stop=1, checkpoint=path
    )
    assert stopped.stopped_early and stopped.n_passes == 2
    full, full_history = fit_stream(model(), batches, target="y", holdout=5, passes=4)
    resumed, history = fit_stream(
        model(), batches, target="y", holdout=5, passes=4, checkpoint=path, resume=True
    )
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)
    assert history.n_passes == 4 and not history.stopped_early


def test_a_bucketed_column_that_no_cross_uses_is_read_as_the_hasher_takes_it(tmp_path):
    # (the column was not read from the file, and the hasher, which requires it in X, refused
    # every batch: "column 'lat' not found in X" though the file has it)
    pytest.importorskip("pyarrow")
    frame = pd.concat(click_batches(n_batches=2), ignore_index=True)
    frame.insert(2, "lat", np.round(np.linspace(30, 40, len(frame)), 3).astype(object))
    frame.loc[5, "lat"] = "north"  # the hasher never reads the column's values
    path = tmp_path / "clicks.csv"
    frame.to_csv(path, index=False)

    def model():
        hasher = FeatureCrossHasher([("site",), ("hour",)], buckets={"lat": 0.1}, n_features=2**12)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    unused = "buckets name 'lat', which no cross in crosses uses"  # (as meant here)
    with pytest.warns(UserWarning, match=unused):
        streamed, history = fit_stream(model(), str(path), target="click")
    X, y = split(pd.read_csv(path), target="click")
    in_memory = model()  # the same batch in memory: the hasher takes the column, unread
    hasher, est = in_memory[0], in_memory[-1]
    with pytest.warns(UserWarning, match=unused):
        est.partial_fit(hasher.fit_transform(X), y.astype(float), classes=[0.0, 1.0])
    assert streamed[0].feature_names_in_.tolist() == ["site", "hour", "lat"]
    assert history.rows == len(frame) and history.bad_rows == 0
    assert_same_state(streamed[-1], est)


def test_a_bucketed_column_of_64_bit_ids_trains_as_the_frame_in_memory(tmp_path):
    # read as float64, the ids 2**60 + k (k < 128) were all 2**60: one bucket, one feature,
    # where the same rows in memory (an Int64 column) give each id its own
    pytest.importorskip("pyarrow")
    frame = pd.concat(click_batches(n_batches=2), ignore_index=True)
    rng = np.random.RandomState(1)
    user = pd.array(2**60 + rng.randint(0, 40, len(frame)), dtype="Int64")
    user[::17] = pd.NA
    frame.insert(1, "user", user)
    path = tmp_path / "clicks.csv"
    frame.to_csv(path, index=False)

    def model():
        hasher = FeatureCrossHasher(
            [("site",), ("user",), ("site", "hour")], buckets={"user": 1}, n_features=2**20
        )
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    streamed, history = fit_stream(model(), str(path), target="click")
    X, y = split(pd.read_csv(path, dtype={"user": "Int64"}), "click")
    in_memory = model()
    hasher, est = in_memory[0], in_memory[-1]
    est.partial_fit(hasher.fit_transform(X), y.astype(float), classes=[0.0, 1.0])
    assert history.rows == len(frame) and history.bad_rows == 0
    assert_same_state(streamed[-1], est)


def test_an_integer_column_taken_as_a_plain_number_trains_as_its_floats(tmp_path):
    # integer columns are read as integers (Int64 with missing values) for the hasher; a
    # fitted transformer that takes them as plain numbers gets the float64 values (NaN where
    # missing) that they were read as before: the same model as the column written as floats
    pytest.importorskip("pyarrow")
    from sklearn.impute import SimpleImputer

    rng = np.random.RandomState(0)
    a = pd.array(rng.randint(-50, 50, 300), dtype="Int64")
    a[::7] = pd.NA
    frame = pd.DataFrame({"a": a, "b": rng.randint(0, 2**40, 300), "y": rng.normal(size=300)})
    floats = frame.astype({"a": "float64", "b": "float64"})
    frame.to_csv(tmp_path / "ints.csv", index=False)
    floats.to_csv(tmp_path / "floats.csv", index=False)  # (3.0, 7.0...)
    imputer = SimpleImputer().fit(floats[["a", "b"]])
    scaler = StandardScaler().fit(imputer.transform(floats[["a", "b"]]))
    fitted = {}
    for name in ["ints", "floats"]:
        model = make_pipeline(imputer, scaler, SparseFTRLRegressor(random_state=0))
        fitted[name], _ = fit_stream(
            model,
            str(tmp_path / f"{name}.csv"),
            target="y",
            batch_rows=64,
            reader_options={"numeric": ["a", "b"]},
        )
    assert_same_state(fitted["ints"][-1], fitted["floats"][-1])


def test_a_checkpoints_history_is_counted_against_max_bytes_as_the_lists_it_becomes(tmp_path):
    # a checkpoint's history arrays become Python lists, ~4x their bytes (a 16 MB file of
    # 1,000,000 curve points took 76 MiB to resume): counted so against max_bytes, they are
    # refused before they are read when the lists would not fit
    from sparsereg.stream._checkpoint import RunProgress, load_checkpoint, save_checkpoint
    from sparsereg.stream._history import StreamHistory

    history = StreamHistory("squared_error")
    history.curve_rows = list(range(100_000))
    history.curve_loss = [0.5] * 100_000
    path = tmp_path / "run.ckpt"
    state = {"z": np.zeros(10)}
    save_checkpoint(path, state=state, meta={}, progress=RunProgress(), history=history)
    on_disk = sum(a.nbytes for a in history.to_arrays().values())
    with pytest.raises(ValueError, match="the history's as Python lists"):
        load_checkpoint(path, max_bytes=2 * on_disk)
    restored = StreamHistory.from_arrays(
        "squared_error", load_checkpoint(path, max_bytes=6 * on_disk)[3]
    )
    assert restored.curve_rows == history.curve_rows


def test_a_batch_the_hasher_refuses_whole_is_named_at_about_one_transforms_cost(monkeypatch):
    # Finding the first refused row transformed every row ~log2(n) times when all were
    # refused (a text column bucketed as dates: 2 min for a 65,536-row batch, Ctrl-C lost)
    n = 4096
    rng = np.random.RandomState(0)
    batch = pd.DataFrame(
        {
            "site": rng.choice(SITES, n),
            "ts": ["12/31/2024 10:00"] * n,
            "click": rng.randint(0, 2, n),
        }
    )
    hasher = FeatureCrossHasher([("site", "ts")], buckets={"ts": {"datetime": "hour"}})
    rows_seen = []
    transform = FeatureCrossHasher.transform

    def counted(self, X):
        rows_seen.append(len(X))
        return transform(self, X)

    monkeypatch.setattr(FeatureCrossHasher, "transform", counted)
    model = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    with pytest.raises(ValueError, match="row 1: column 'ts' is bucketed as datetimes"):
        fit_stream(model, [batch], target="click")
    assert sum(rows_seen) <= 3 * n  # the batch, then halves: ~2n (every row ~12 times before)


def test_an_incremental_estimator_without_fit_streams():
    # a model with partial_fit only (all fit_stream asks for): the warm-start check called
    # check_is_fitted, which refuses an object without fit ("is not an estimator instance")
    from sklearn.base import BaseEstimator, RegressorMixin

    class PartialOnly(RegressorMixin, BaseEstimator):
        def partial_fit(self, X, y):
            self.rows_ = getattr(self, "rows_", 0) + X.shape[0]
            return self

        def predict(self, X):
            return np.zeros(X.shape[0])

    rng = np.random.RandomState(0)
    batches = [(rng.normal(size=(50, 3)), rng.normal(size=50)) for _ in range(3)]
    model, history = fit_stream(PartialOnly(), batches)
    assert model.rows_ == history.rows == 150


def test_the_first_row_refused_alone_is_named_when_rows_are_also_refused_together():
    # rows 5 and 6 are refused together (aware and naive datetimes), row 11 alone: the
    # search in halves went into the first half and named the whole batch
    ts = ["2024-01-01 10:00"] * 16
    ts[5], ts[10] = "2024-01-01T10:00Z", "not a date"
    batch = pd.DataFrame({"site": ["a", "b"] * 8, "ts": ts, "click": [0, 1] * 8})
    hasher = FeatureCrossHasher([("site", "ts")], buckets={"ts": {"datetime": "hour"}})
    model = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    with pytest.raises(ValueError, match="row 11: column 'ts' .* 'not a date'"):
        fit_stream(model, [batch], target="click")


def test_an_incremental_estimator_without_fit_already_trained_is_trained_on():
    # without fit, check_is_fitted refuses the model: it was taken as untrained
    from sklearn.base import BaseEstimator, RegressorMixin

    class RunningMean(RegressorMixin, BaseEstimator):
        def partial_fit(self, X, y):
            self.n_ = getattr(self, "n_", 0) + len(y)
            self.sum_ = getattr(self, "sum_", 0.0) + float(np.sum(y))
            return self

        def predict(self, X):
            return np.full(X.shape[0], self.sum_ / self.n_)

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 3)), 100 + rng.normal(size=50)
    _, history = fit_stream(RunningMean().partial_fit(X, y), [(X, y)])
    assert history.curve_loss[0] < 2  # scored by the mean of 100, not as untrained (~5,000)


def _refusing_negatives(X):
    # (a frame's to_numpy: np.asarray of a one-row frame costs 40 times as much, and the
    # search for refused rows calls this twice a row)
    if np.any((X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)) < 0):
        raise ValueError("a negative value")
    return X


def _rows_with_bad_runs(runs):
    """Batches of 4,000 rows of one column: each ``(good, bad)`` of ``runs`` that many rows
    the pipeline accepts, then that many it refuses (a negative value)."""
    from sklearn.preprocessing import FunctionTransformer

    values = np.concatenate([np.r_[np.ones(good), -np.ones(bad)] for good, bad in runs])
    X, y = values.reshape(-1, 1), np.zeros(values.size)
    batches = [(X[i : i + 4000], y[i : i + 4000]) for i in range(0, values.size, 4000)]
    model = make_pipeline(
        FunctionTransformer(_refusing_negatives), SparseFTRLRegressor(random_state=0)
    )
    return model, batches


def test_skipping_stops_past_10000_refused_rows_in_a_row_across_batches():
    # every row of a batch refused was searched for one by one (2 transforms each: minutes
    # for a hasher on a 65,536-row batch) however many batches of them came; as the readers
    # stop past a run of malformed rows, the transformers' refusals stop past 10,000
    model, batches = _rows_with_bad_runs([(100, 11_000)])
    with pytest.raises(
        ValueError,
        match=r"more than 10,000 rows in a row \(up to row \d+\) are refused by the "
        r"pipeline's transformers \(a negative value\)",
    ):
        fit_stream(model, batches, skip_bad_rows=True)


def test_refused_rows_with_accepted_ones_among_them_are_skipped_and_counted():
    model, batches = _rows_with_bad_runs([(100, 9000), (1, 9000), (50, 0)])
    fitted, history = fit_stream(model, batches, skip_bad_rows=True)
    assert history.bad_rows == 18_000
    assert history.rows == 151 == fitted[-1].t_


def test_the_curve_of_a_long_run_grows_as_the_log_of_its_rows_and_resumes_to_the_bit(tmp_path):
    # each batch made a record, kept in memory and rewritten at each checkpoint: 10^7 of
    # them for 10^9 rows in batches of 100. Now a batch is recorded once the rows have grown
    # by 1 % since the last record, and each pass's end: 1,000 batches of 3 rows, 2 passes
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=3000)
    batches = [(X[i : i + 3], y[i : i + 3]) for i in range(0, 3000, 3)]
    seen = {}

    def progress(p):
        seen[p.rows] = p.progressive_loss

    kwargs = dict(passes=2, checkpoint_every=600)
    full, history = fit_stream(
        SparseFTRLRegressor(random_state=0),
        batches,
        progress=progress,
        checkpoint=tmp_path / "full.ckpt",
        **kwargs,
    )
    rows, loss = history.curve_rows, history.curve_loss
    assert len(rows) == len(loss) < 450  # (1,000 batches a pass)
    assert rows[:100] == list(range(3, 301, 3))  # every batch of the first 100
    grown = [100 * (b - a) >= a for a, b in zip(rows, rows[1:]) if b not in (3000, 6000)]
    assert all(grown) and len(grown) == len(rows) - 3
    assert rows[-1] == history.rows == 6000 and 3000 in rows  # each pass's end
    assert loss == [seen[r] for r in rows]  # the progressive loss after that batch
    assert [loss[rows.index(3000)], loss[-1]] == history.pass_progressive_loss

    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            SparseFTRLRegressor(random_state=0),
            batches,
            checkpoint=path,
            progress=interrupt_after(1234),
            **kwargs,
        )
    resumed, resumed_history = fit_stream(
        SparseFTRLRegressor(random_state=0), batches, checkpoint=path, resume=True, **kwargs
    )
    assert_same_state(resumed, full)
    assert comparable(resumed_history) == comparable(history)


def test_a_run_of_refused_rows_is_counted_per_pass_and_per_file(tmp_path):
    # the count went on from the end of a pass into the next, and from one file into the
    # next: a stream each of whose files and passes trains stopped, naming a file that held
    # fewer refused rows than the limit
    model, batches = _rows_with_bad_runs([(0, 6000), (100, 6000)])
    _, history = fit_stream(model, batches, skip_bad_rows=True, passes=2)
    assert history.bad_rows == 24_000 and history.rows == 200
    pytest.importorskip("pyarrow")
    values = np.r_[np.ones(100), -np.ones(6000)]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({"v": values, "y": 0.0}).to_csv(first, index=False)
    pd.DataFrame({"v": values[::-1], "y": 0.0}).to_csv(second, index=False)
    model, _ = _rows_with_bad_runs([(1, 0)])
    files = [str(first), str(second)]
    options = dict(numeric=["v"])
    _, history = fit_stream(model, files, target="y", skip_bad_rows=True, reader_options=options)
    assert history.bad_rows == 12_000 and history.rows == 200


def test_a_resumed_run_stops_where_the_uninterrupted_run_stops_on_refused_rows(tmp_path):
    # the run of refused rows was not in the checkpoint: the resumed run counted from 0 and
    # trained past the place where the uninterrupted run stopped
    model, batches = _rows_with_bad_runs([(100, 11_000), (100, 0)])
    message = r"more than 10,000 rows in a row \(up to row \d+\)"
    with pytest.raises(ValueError, match=message) as uninterrupted:
        fit_stream(model, batches, skip_bad_rows=True)
    path = tmp_path / "run.ckpt"
    kwargs = dict(skip_bad_rows=True, checkpoint=path, checkpoint_every=1)
    with pytest.raises(KeyboardInterrupt):
        fit_stream(clone(model), batches, progress=interrupt_after(1), **kwargs)
    with pytest.raises(ValueError, match=message) as resumed:
        fit_stream(clone(model), batches, resume=True, **kwargs)
    assert str(resumed.value) == str(uninterrupted.value)


def test_reader_options_name_the_numeric_columns_of_a_pipeline_without_a_hasher(tmp_path):
    # numeric in reader_options raised open_source's "got multiple values for keyword
    # argument 'numeric'" (fit_stream passed its own), so a CSV before a StandardScaler could
    # only be read as text
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    frame["y"] = 2 * frame["a"] - frame["b"]
    path = tmp_path / "numbers.csv"
    frame.to_csv(path, index=False)
    scaler = StandardScaler().fit(frame[["a", "b"]])
    model = make_pipeline(scaler, SparseFTRLRegressor(random_state=0))
    fitted, history = fit_stream(
        model, str(path), target="y", reader_options={"numeric": ["a", "b"]}
    )
    assert history.rows == 200
    by_hand = SparseFTRLRegressor(random_state=0)
    by_hand.partial_fit(scaler.transform(frame[["a", "b"]]), frame["y"].to_numpy())
    assert_same_state(fitted[-1], by_hand)
    with pytest.raises(TypeError, match=r"reader_options holds \['target'\]: pass them to"):
        fit_stream(
            make_pipeline(scaler, SparseFTRLRegressor()),
            str(path),
            target="y",
            reader_options={"target": "y"},
        )


_EVERY_COLUMN = {"numeric": ["n"], "categorical": ["hour", "price"], "inferred": ["zip", "site"]}


@pytest.mark.parametrize(
    "options, every",
    [
        (
            {"categorical": ["zip"]},
            {"numeric": ["n"], "categorical": ["zip", "hour", "price"], "inferred": ["site"]},
        ),
        ({"numeric": []}, _EVERY_COLUMN),  # (a bucket a cross uses: its numbers)
        ({"inferred": []}, _EVERY_COLUMN),  # (columns hashed without buckets)
        # (any iterable of names, as open_source takes: merged as a list)
        (
            {"categorical": np.array(["zip"])},
            {"numeric": ["n"], "categorical": ["zip", "hour", "price"], "inferred": ["site"]},
        ),
        ({"numeric": pd.Index([])}, _EVERY_COLUMN),
        ({"inferred": set()}, _EVERY_COLUMN),
    ],
    ids=["categorical", "numeric", "inferred", "array", "Index", "set"],
)
def test_reader_options_lists_leave_the_other_columns_the_hasher_needs_read(
    tmp_path, options, every
):
    # the column lists given replaced those the hasher names: the README's recipe
    # {"categorical": ["zip"]} left a datetime bucket's column unread, and the hasher's
    # transform said "column 'hour' not found in X; its columns are [...]" of files holding it.
    # The lists say how the columns they name are read; the others are read as the hasher
    # reads them: the model of naming each column (a hasher's) in its list
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "zip": rng.choice(["02139", "94110"], 200),
            "site": rng.choice(["a", "b"], 200),
            "n": rng.uniform(0, 100, 200),
            "hour": [f"2026-01-01T{h % 24:02d}:00:00" for h in range(200)],
            "price": 1.0,
        }
    )
    frame["y"] = np.arange(200) % 2
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    buckets = {"n": 10.0, "hour": {"datetime": ["hour"]}, "price": 1.0}
    crosses = ["zip", "site", ("n", "hour")]
    hasher = FeatureCrossHasher(crosses=crosses, buckets=buckets, n_features=2**10)
    with pytest.warns(UserWarning, match="buckets name 'price'"):  # (no cross uses it)
        fitted = fit_stream(
            make_pipeline(hasher, SparseFTRLClassifier(random_state=0)),
            str(path),
            target="y",
            reader_options=options,
        )[0]
    with pytest.warns(UserWarning, match="buckets name 'price'"):
        named = fit_stream(
            make_pipeline(clone(hasher), SparseFTRLClassifier(random_state=0)),
            str(path),
            target="y",
            reader_options=every,
        )[0]
    assert_same_state(fitted[-1], named[-1])
    assert fitted[-1].t_ == 200
    # (zip as the stream read it: text where a list names it categorical, else numbers)
    as_text = {"zip": str} if "zip" in every["categorical"] else {}
    X = pd.read_csv(path, dtype=as_text).drop(columns="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no column of another kind than the model read)
        np.testing.assert_array_equal(fitted.predict_proba(X), named.predict_proba(X))


def test_a_fitted_classifier_keeps_its_classes_when_trained_on():
    # classes beyond a fitted estimator's: scoring the first batch raised an IndexError (a
    # column per class the estimator has), the CLI's --initial with --classes a traceback
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 4)), np.arange(300) % 2
    fitted = SparseFTRLClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    before = fitted.get_ftrl_state()
    y3 = np.arange(300) % 3
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\], but the SparseFTRLClassifier, "):
        fit_stream(fitted, [(X, y3)], classes=[0, 1, 2])
    assert_same_state(fitted, SparseFTRLClassifier(random_state=0).set_ftrl_state(before))
    # its own classes in any order are its classes
    assert fit_stream(fitted, [(X, y)], classes=[1, 0])[1].rows == 300


@pytest.mark.parametrize("fitted", [False, True])
@pytest.mark.parametrize(
    "classes, error, message",
    [
        ({0, 1}, TypeError, "got set {0, 1}"),
        (iter([0, 1]), TypeError, "got list_iterator <list_iterator"),
        ("01", TypeError, "got str '01'"),
        (1, TypeError, "got int 1"),
        ({0: "a", 1: "b"}, TypeError, "got dict {0: 'a', 1: 'b'}"),
        (np.int64(1), TypeError, r"got int64 np\.int64\(1\)"),
        (np.array(1), TypeError, r"got ndarray array\(1\)"),
        ([[0, 1]], ValueError, r"one-dimensional \(a label each\), got 2 dimensions: \[\[0, 1\]\]"),
        ([[0], [1, 2]], ValueError, r"got lists of other lengths: \[\[0\], \[1, 2\]\]"),
    ],
)
def test_classes_that_are_no_array_of_labels_are_refused_before_reading(
    fitted, classes, error, message
):
    # a set was read as one label ("classes must hold at least 2 labels, got [{0, 1}]"), an
    # iterator failed on len(), fitted or not: refused as scikit-learn's partial_fit does
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(100, 3)), np.arange(100) % 2
    model = SparseFTRLClassifier(random_state=0)
    if fitted:
        model.fit(X, y)
    before = model.get_ftrl_state() if fitted else None
    read = []

    def batches():
        read.append(True)
        yield X, y

    if error is TypeError:
        message = "classes must be an array-like of labels \\(a list or an array\\), " + message
    with pytest.raises(error, match=message):
        fit_stream(model, batches(), classes=classes)
    assert not read
    if fitted:
        assert_same_state(model, SparseFTRLClassifier(random_state=0).set_ftrl_state(before))
    # array-likes of labels train
    for given in ([0, 1], (1, 0), np.array([0, 1]), range(2)):
        assert fit_stream(clone(model), [(X, y)], classes=given)[1].rows == 100


@pytest.mark.parametrize("classes", [None, ["a", "b"]])
def test_missing_and_mixed_labels_in_batches_are_named(classes):
    # a NaN among str labels: with classes, "row 1: label 'a' is not one of the classes ['a',
    # 'b']" (every row was taken as bad when labels did not compare); without, NumPy's
    # TypeError "'<' not supported between instances of 'float' and 'str'"
    X = np.ones((3, 2))
    missing = np.array(["a", np.nan, "b"], dtype=object)
    with pytest.raises(ValueError, match=r"<batches>: row 2 \(batch 0\): the target is missing"):
        fit_stream(SparseFTRLClassifier(), [(X, missing)], classes=classes)
    mixed = np.array(["a", 1, "b"], dtype=object)
    expected = (
        r"the labels of the first batch \(rows 1-3\) are of types \['int', 'str'\]"
        if classes is None
        else r"<batches>: row 2: label 1 is not one of the classes \['a', 'b'\]"
    )
    with pytest.raises(ValueError, match=expected):
        fit_stream(SparseFTRLClassifier(), [(X, mixed)], classes=classes)


def test_the_holdout_loss_reads_the_scores_by_the_kind_of_the_model_that_scored():
    # (it took the kind from multi_class: a softmax model's scores, read one-vs-rest after a
    # set_params between batches, gave another loss than predict_proba's)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(301, 4))
    y = np.argmax(X[:, :3], axis=1)
    # rows 1-300 trained on; row 301, the only one of the second batch, held out (holdout=301)
    batches = [(X[:300], y[:300]), (X[300:], y[300:])]
    seen = []

    def progress(p):
        if not seen:
            seen.append(p.model.predict_proba(X[300:])[0, y[300]])
            p.model.set_params(multi_class="ovr")

    est = SparseFTRLClassifier(multi_class="multinomial", random_state=0)
    _, history = fit_stream(est, batches, holdout=301, progress=progress)
    assert history.pass_holdout_rows == [1]
    assert history.pass_holdout_loss[0] == pytest.approx(-np.log(seen[0]), rel=1e-9)


# ---------------------------------------------------------------- a weight column
def weighted_clicks(n_batches=3, seed=1):
    """The click rows of ``click_batches`` as one frame, with a weight column ``w`` (0 among
    its values: down-sampled negatives weighed back, and rows of no weight)."""
    frame = pd.concat(click_batches(n_batches=n_batches), ignore_index=True)
    weights = np.random.RandomState(seed).choice([0.0, 0.5, 1.0, 4.0], len(frame))
    return frame.assign(w=weights)


def write_rows(frame, path):
    if str(path).endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_weight_column_trains_as_partial_fit_with_sample_weight_batch_by_batch(tmp_path, suffix):
    from sparsereg.stream import open_source

    frame = weighted_clicks()
    path = write_rows(frame.astype({"hour": str}), tmp_path / f"rows.{suffix}")
    options = dict(target="click", batch_rows=250, holdout=4)
    model, history = fit_stream(pipeline(), path, weight_column="w", **options)

    # the same rows by hand: each batch's features as the reader gives them without weights
    # (the weight column left out by name), its weights from the frame
    by_hand = pipeline()
    hasher, est = by_hand[0], by_hand[-1]
    chunks = open_source(path, target="click", inferred=["site", "hour"], batch_rows=250)
    train_sum = train_weight = held_sum = held_weight = 0.0
    for i, chunk in enumerate(chunks.chunks()):
        w = frame["w"].to_numpy()[chunk.row_numbers - 1]
        Xt = (hasher.fit(chunk.X) if i == 0 else hasher).transform(chunk.X)
        losses = (
            log_losses(est.predict_proba(Xt), est.classes_, chunk.y)
            if i
            else np.full(len(w), np.log(2))
        )
        train = chunk.row_numbers % 4 != 0
        train_sum += np.sum(w[train] * losses[train])
        train_weight += np.sum(w[train])
        held_sum += np.sum(w[~train] * losses[~train])
        held_weight += np.sum(w[~train])
        est.partial_fit(Xt[train], chunk.y[train], classes=[0.0, 1.0], sample_weight=w[train])
    assert_same_state(model[-1], est)
    # the losses are weighted means, as scikit-learn's metrics take sample_weight
    assert history.pass_progressive_loss[0] == pytest.approx(train_sum / train_weight, rel=1e-12)
    assert history.pass_holdout_loss[0] == pytest.approx(held_sum / held_weight, rel=1e-12)
    unweighted = fit_stream(pipeline(), path, **options)[1]
    assert history.pass_progressive_loss[0] != unweighted.pass_progressive_loss[0]


def test_weights_of_one_train_and_score_as_no_weights_to_the_bit(tmp_path):
    frame = weighted_clicks().assign(w=1.0)
    options = dict(target="click", batch_rows=250, holdout=0.2, passes=2)
    weighted = write_rows(frame, tmp_path / "weighted.csv")
    plain = write_rows(frame.drop(columns=["w"]), tmp_path / "plain.csv")
    model, history = fit_stream(pipeline(), weighted, weight_column="w", **options)
    expected, expected_history = fit_stream(pipeline(), plain, **options)
    assert_same_state(model[-1], expected[-1])
    assert comparable(history) == comparable(expected_history)


def test_rows_of_weight_zero_change_nothing(tmp_path):
    # (sparsereg's partial_fit counts a row of weight 0 among the samples seen, `t`, which
    # scales a "mean" penalty and feeds the shuffling: a row-sequential model of a summed
    # penalty shows that they change no weight; a batch of them alone is not trained on)
    est = SparseFTRLClassifier(shuffle=False, penalty_scale="sum", random_state=0)
    frame = weighted_clicks()
    frame.loc[600:, "w"] = 0.0  # the third batch weighs nothing
    options = dict(target="click", batch_rows=300)
    path = write_rows(frame, tmp_path / "rows.csv")
    model, history = fit_stream(pipeline(clone(est)), path, weight_column="w", **options)
    kept = frame[frame["w"] > 0]
    expected, expected_history = fit_stream(
        pipeline(clone(est)),
        write_rows(kept, tmp_path / "kept.csv"),
        weight_column="w",
        target="click",
        batch_rows=10**6,
    )
    np.testing.assert_array_equal(model[-1].coef_, expected[-1].coef_)
    np.testing.assert_array_equal(model[-1].intercept_, expected[-1].intercept_)
    # the batch of weight 0 alone left the model as the first two made it, to the bit
    two, _ = fit_stream(
        pipeline(clone(est)),
        write_rows(frame.iloc[:600], tmp_path / "two.csv"),
        weight_column="w",
        **options,
    )
    assert_same_state(model[-1], two[-1])
    assert history.rows == 900


def test_a_stream_of_weight_zero_alone_is_refused(tmp_path):
    path = write_rows(weighted_clicks(1).assign(w=0.0), tmp_path / "rows.csv")
    model = pipeline()
    with pytest.raises(ValueError, match=r"no rows to train on \(every row's weight was 0\)"):
        fit_stream(model, path, target="click", weight_column="w")
    assert not hasattr(model[-1], "coef_")


def test_a_stream_of_bad_rows_alone_says_so_with_the_first(tmp_path):
    # (the message was "the source gave no rows to train on." alone)
    path = tmp_path / "rows.csv"
    path.write_text("site,hour,click\nshop,1,yes\nnews,2,no\n")
    model = pipeline()
    with pytest.raises(ValueError) as caught:
        fit_stream(model, str(path), target="click", skip_bad_rows=True)
    assert str(caught.value) == (
        "the source gave no rows to train on (every row read was bad: 2 skipped; the first, "
        f"{path}:row 1: target 'click': 'yes' is not a number)."
    )
    assert not hasattr(model[-1], "coef_")


def test_a_stream_of_bad_rows_some_refused_by_the_transformers_names_no_later_one_first(
    tmp_path,
):
    # row 1, refused by the hasher (no bucket that far from the origin), was counted, and the
    # reader's row 2 was named as "the first"
    pytest.importorskip("pyarrow")
    path = tmp_path / "rows.csv"
    path.write_text("site,hour,click\nshop,1e300,1\nnews,2,yes\nnews,1e300,0\n")
    model = make_pipeline(FeatureCrossHasher(buckets={"hour": 1}), SparseFTRLClassifier())
    with pytest.raises(ValueError) as caught:
        fit_stream(model, str(path), target="click", skip_bad_rows=True, classes=[0, 1])
    assert str(caught.value) == (
        "the source gave no rows to train on (every row read was bad: 3 skipped, 2 of them "
        "refused by the pipeline's transformers; the first malformed one, "
        f"{path}:row 2: target 'click': 'yes' is not a number)."
    )
    assert not hasattr(model[-1], "coef_")


@pytest.mark.parametrize(
    "cell, message",
    [
        ("nan", r"row 452: weight 'w' is missing"),
        ("", r"row 452: weight 'w' is missing"),
        ("inf", r"row 452: weight 'w': 'inf' is not finite"),
        ("-1e400", r"row 452: weight 'w': '-1e400' is not finite"),
        ("-0.5", r"row 452: weight 'w': '-0.5' is negative"),
        ("heavy", r"row 452: weight 'w': 'heavy' is not a number"),
    ],
)
def test_a_bad_weight_is_a_bad_row_named_or_skipped(tmp_path, cell, message):
    frame = weighted_clicks().astype({"w": object})
    frame.loc[451, "w"] = cell  # physical row 452, in the second batch
    path = write_rows(frame, tmp_path / "rows.csv")
    options = dict(target="click", weight_column="w", batch_rows=300)
    model = pipeline()
    with pytest.raises(ValueError, match=rf"rows\.csv: {message}"):
        fit_stream(model, path, **options)
    # the batch with the bad row is not trained on: the model is that of the first batch
    first, _ = fit_stream(pipeline(), write_rows(frame.iloc[:300], tmp_path / "a.csv"), **options)
    assert_same_state(model[-1], first[-1])
    # skipped: the stream of the other rows (in one batch: the boundaries are then the same)
    options["batch_rows"] = 10**6
    skipped, history = fit_stream(pipeline(), path, skip_bad_rows=True, **options)
    other = write_rows(frame.drop(index=451), tmp_path / "other.csv")
    assert_same_state(skipped[-1], fit_stream(pipeline(), other, **options)[0][-1])
    assert history.bad_rows == 1


def _spelled_bools(frame, column, number=int):
    """``frame`` whose bool ``column`` holds other spellings of them, and numbers among them
    (``number``: int, 1 and 0; float, 1.0 and 0.0)."""
    spelled = frame.astype({column: object})
    spelled.loc[::3, column] = spelled.loc[::3, column].map({True: "TRUE", False: "false"})
    spelled.loc[::5, column] = frame.loc[::5, column].astype(number)
    return spelled


def _bool_sources(frame, column, tmp_path, number=int):
    """The rows of ``frame``, whose ``column`` holds bools, as a CSV, a CSV of other spellings
    (`_spelled_bools`), a Parquet file and DataFrames of 250 rows."""
    return {
        "csv": write_rows(frame, tmp_path / "bools.csv"),
        "csv of other spellings": write_rows(
            _spelled_bools(frame, column, number), tmp_path / "spellings.csv"
        ),
        "parquet": write_rows(frame, tmp_path / "bools.parquet"),
        "DataFrame": [frame.iloc[i : i + 250] for i in range(0, len(frame), 250)],
    }


def test_bool_weights_weigh_1_and_0_in_files_as_in_batches(tmp_path):
    # (a CSV's True was a malformed row, while a Parquet file's, a DataFrame's or an (X, y, w)
    # batch's bool weighed 1 and False 0, as scikit-learn's sample_weight takes them)
    frame = weighted_clicks().assign(w=lambda f: f["w"] > 0.5)
    options = dict(target="click", batch_rows=250, holdout=4)
    numbers = write_rows(frame.assign(w=frame["w"].astype(float)), tmp_path / "numbers.csv")
    expected, history = fit_stream(pipeline(), numbers, weight_column="w", **options)
    sources = _bool_sources(frame, "w", tmp_path, number=float)
    for name, source in sources.items():
        model, got = fit_stream(pipeline(), source, weight_column="w", **options)
        assert_same_state(model[-1], expected[-1])
        assert got.pass_progressive_loss == history.pass_progressive_loss, name
        assert got.bad_rows == 0, name


def test_bool_labels_are_1_and_0_in_files_as_in_batches(tmp_path):
    # a CSV's True/False target was "'True' is not a number", while a Parquet file's or a
    # DataFrame's bool target was read as 1 and 0; a classifier fitted on bools (classes_
    # [False, True]) could not train on from its CSV
    frame = weighted_clicks().drop(columns="w").assign(click=lambda f: f["click"] > 0)
    options = dict(target="click", batch_rows=250, holdout=4)
    numbers = write_rows(frame.assign(click=frame["click"].astype(int)), tmp_path / "n.csv")
    expected, history = fit_stream(pipeline(), numbers, **options)
    sources = _bool_sources(frame, "click", tmp_path)
    features = frame.drop(columns="click")
    for name, source in sources.items():
        model, got = fit_stream(pipeline(), source, **options)
        assert_same_state(model[-1], expected[-1])
        assert got.pass_progressive_loss == history.pass_progressive_loss, name
        assert got.bad_rows == 0, name
    # a model of bool classes trains on from a file as from its bools in memory
    in_memory = pipeline().fit(features.iloc[:100], frame["click"].iloc[:100])
    assert in_memory[-1].classes_.dtype == bool
    in_memory[-1].partial_fit(in_memory[:-1].transform(features), frame["click"])
    sources["DataFrame"] = [frame]  # (one batch, as one partial_fit)
    for name, source in sources.items():
        fitted = pipeline().fit(features.iloc[:100], frame["click"].iloc[:100])
        trained_on, _ = fit_stream(fitted, source, target="click", batch_rows=10**6)
        assert trained_on[-1].classes_.dtype == bool, name
        assert_same_state(trained_on[-1], in_memory[-1])
    spelled = _spelled_bools(frame, "click")
    spelled.loc[7, "click"] = "yes"
    with pytest.raises(ValueError, match=r"row 8: target 'click': 'yes' is not a number"):
        fit_stream(pipeline(), write_rows(spelled, tmp_path / "yes.csv"), target="click")


@pytest.mark.parametrize("options", [{}, {"holdout": 10}, {"batch_rows": 700}])
def test_a_model_kept_and_trained_on_the_next_day_is_that_of_one_run_over_both(tmp_path, options):
    # the Python side of `sparsereg train --initial` (the streaming guide): the model of day 1,
    # pickled and trained on from day 2's file in another call, is the model of one run over
    # both files, shuffled batches and the column kinds day 1 was read as included (day 2's
    # zips are all digits: read alone they were numbers, other features than day 1's text)
    import pickle

    rng = np.random.RandomState(0)
    days = []
    for day, n in ((1, 3000), (2, 2500)):
        zips = ["02139", "94110", "A1234"] if day == 1 else ["02139", "94110"]
        frame = pd.DataFrame(
            {"site": rng.choice(list("abcde"), n), "zip": rng.choice(zips, n), "x": rng.rand(n)}
        )
        frame["click"] = ((frame["site"] == "a") ^ (rng.rand(n) < 0.2)).astype(int)
        days.append(write_rows(frame, tmp_path / f"day{day}.csv"))

    def model():
        crosses = [("site",), ("zip",), ("site", "zip"), ("x",)]
        hasher = FeatureCrossHasher(crosses, n_features=2**16)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    both, _ = fit_stream(model(), days, target="click", **options)
    first, _ = fit_stream(model(), days[0], target="click", **options)
    kept = pickle.loads(pickle.dumps(first))
    assert kept[0].column_kinds_["zip"] == "text"
    on, _ = fit_stream(kept, days[1], target="click", **options)
    assert_same_state(on[-1], both[-1])
    # (the kinds matter: day 2 read alone as numbers trains other weights)
    alone, _ = fit_stream(model(), days[1], target="click", **options)
    assert alone[0].column_kinds_["zip"] == "number"


def test_a_parquet_weight_that_is_nan_or_negative_is_a_bad_row(tmp_path):
    frame = weighted_clicks()
    frame.loc[4, "w"] = np.nan
    path = write_rows(frame, tmp_path / "rows.parquet")
    with pytest.raises(ValueError, match=r"rows\.parquet: row 5: weight 'w' is missing"):
        fit_stream(pipeline(), path, target="click", weight_column="w")
    frame.loc[4, "w"] = -2.0
    write_rows(frame, path)
    with pytest.raises(ValueError, match=r"rows\.parquet: row 5: weight 'w': -2\.0 is negative"):
        fit_stream(pipeline(), path, target="click", weight_column="w")


@pytest.mark.parametrize(
    "frame_of, options, error, message",
    [
        (lambda f: f, dict(weight_column="weight"), ValueError, "weight column 'weight' not found"),
        (lambda f: f, dict(weight_column="click"), ValueError, "'click' is the target column"),
        (lambda f: f, dict(weight_column=1), TypeError, "weight_column must be a column name"),
        (lambda f: f.assign(w="x"), dict(weight_column="w"), ValueError, "row 1: weight 'w'"),
        (
            lambda f: f,
            dict(weight_column="w", reader_options={"numeric": ["w"]}),
            ValueError,
            "the weight column 'w' is also given as a feature column",
        ),
        (
            lambda f: f,
            dict(reader_options={"weight_column": "w"}),
            TypeError,
            r"reader_options holds \['weight_column'\]",
        ),
    ],
)
def test_a_weight_column_that_cannot_be_one_is_refused(tmp_path, frame_of, options, error, message):
    path = write_rows(frame_of(weighted_clicks(1)), tmp_path / "rows.csv")
    model = pipeline()
    with pytest.raises(error, match=message):
        fit_stream(model, path, target="click", **options)
    assert not hasattr(model[-1], "coef_")


def test_svmlight_has_no_weight_column(tmp_path):
    path = tmp_path / "rows.svm"
    path.write_text("1 1:1\n0 2:1\n")
    with pytest.raises(ValueError, match="SVMlight files have no weight column"):
        fit_stream(
            SparseFTRLClassifier(), path, weight_column="w", reader_options={"n_features": 3}
        )


def test_batches_give_weights_as_a_column_or_as_a_third_item():
    frame = weighted_clicks()
    frames = [frame.iloc[i : i + 300] for i in (0, 300, 600)]
    model, history = fit_stream(pipeline(), frames, target="click", weight_column="w")
    hasher = pipeline()[0].fit(frames[0].drop(columns=["click", "w"]))
    triples = [
        (hasher.transform(f.drop(columns=["click", "w"])), f["click"].to_numpy(), f["w"])
        for f in frames
    ]
    est = SparseFTRLClassifier(random_state=0)
    fitted, from_triples = fit_stream(est, triples, classes=[0, 1])
    assert_same_state(model[-1], fitted)
    assert history.pass_progressive_loss == from_triples.pass_progressive_loss


@pytest.mark.parametrize(
    "weights, options, message",
    [
        (-np.ones(5), {}, r"row 4 \(batch 1\): w is negative"),
        (np.full(5, np.nan), {}, r"row 4 \(batch 1\): w is missing"),
        (np.full(5, np.inf), {}, r"row 4 \(batch 1\): w is not finite"),
        (np.ones(4), {}, r"batch 1: w has shape \(4,\)"),
        (np.array(["1"] * 5), {}, "batch 1: w is not numeric"),
        (np.array([1] * 4 + [10**400], dtype=object), {}, "batch 1: w holds an integer beyond"),
        (np.ones(5), {"weight_column": "w"}, "leave it out"),
        (None, {"weight_column": "w"}, "has no column 'w'"),
    ],
)
def test_bad_weights_of_batches_are_refused_naming_the_row(weights, options, message):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 3)), np.array([0, 1] * 4)
    second = (X[3:], y[3:]) if weights is None else (X[3:], y[3:], weights)
    est = SparseFTRLClassifier(random_state=0)
    with pytest.raises(ValueError, match=message):
        first = (X[:3], y[:3]) if weights is None else (X[:3], y[:3], np.ones(3))
        fit_stream(est, [first, second], classes=[0, 1], **options)
    expected = SparseFTRLClassifier(random_state=0)
    if not options:  # the first batch trained, the second refused before it was
        expected.partial_fit(X[:3], y[:3], classes=[0, 1], sample_weight=np.ones(3))
        assert_same_state(est, expected)
    else:
        assert not hasattr(est, "coef_")


@pytest.mark.parametrize("masked", ["X", "y", "w"])
def test_a_masked_array_in_a_batch_is_refused_before_its_batch_is_trained(masked):
    # (np.asarray dropped the mask of y and w: the hidden labels and weights were trained on)
    rng = np.random.RandomState(0)
    X, y, w = rng.normal(size=(8, 3)), np.array([0, 1] * 4), np.ones(8)
    batch = {"X": X, "y": y, "w": w}
    hidden = np.zeros(batch[masked].shape, dtype=bool)
    hidden[:2] = True
    batch[masked] = np.ma.masked_array(batch[masked], mask=hidden)
    # (a scaler first: its check drops the mask of X too)
    scaler = StandardScaler().fit(X)
    model = make_pipeline(scaler, SparseFTRLClassifier(random_state=0))
    with pytest.raises(TypeError, match=f"batch 1: .* masked array as {masked}"):
        fit_stream(model, [(X, y, w), (batch["X"], batch["y"], batch["w"])], classes=[0, 1])
    expected = make_pipeline(scaler, SparseFTRLClassifier(random_state=0))
    fit_stream(expected, [(X, y, w)], classes=[0, 1])
    assert_same_state(model[-1], expected[-1])


@pytest.mark.parametrize("column", ["click", "w"])
def test_an_int_beyond_float64_in_a_frames_target_or_weight_is_named(column):
    # (NumPy's OverflowError named neither the batch nor the column)
    frame = click_batches(n_batches=1)[0].assign(w=1)
    frame[column] = frame[column].astype(object)
    frame.loc[3, column] = 10**400
    with pytest.raises(ValueError, match=f"batch 0: .*'{column}' holds an integer beyond"):
        fit_stream(pipeline(), [frame], target="click", weight_column="w", classes=[0, 1])


def test_an_int_beyond_float64_in_a_regressors_batch_y_is_named():
    # (the progressive loss's conversion raised NumPy's OverflowError, naming no batch or y)
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    huge = y.astype(object)
    huge[3] = 10**400
    est = SparseFTRLRegressor(random_state=0)
    with pytest.raises(ValueError, match=r"batch 1 \(rows 9-16\): y holds an integer beyond"):
        fit_stream(est, [(X, y), (X, huge)])
    expected = SparseFTRLRegressor(random_state=0)
    fit_stream(expected, [(X, y)])
    assert_same_state(est, expected)


def test_a_resume_with_another_weight_column_is_refused_and_the_same_one_continues(tmp_path):
    frame = weighted_clicks().assign(v=1.0)
    path = write_rows(frame, tmp_path / "rows.csv")
    ckpt = tmp_path / "run.ckpt"
    options = dict(target="click", batch_rows=200, checkpoint=ckpt, checkpoint_every=200)
    full, full_history = fit_stream(
        pipeline(), path, target="click", batch_rows=200, weight_column="w"
    )
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), path, weight_column="w", progress=interrupt_after(2), **options)
    for other in ("v", None):
        model = pipeline()
        with pytest.raises(ValueError, match=rf"weight_column: 'w' -> {other!r}"):
            fit_stream(model, path, weight_column=other, resume=True, **options)
        assert not hasattr(model[-1], "coef_")
    resumed, history = fit_stream(pipeline(), path, weight_column="w", resume=True, **options)
    assert_same_state(resumed[-1], full[-1])
    assert comparable(history) == comparable(full_history)


def test_a_source_reads_its_own_weight_column(tmp_path):
    # (weight_column given with a Source opened without it was not used: the rows trained
    # unweighted, the weight column hashed as a feature; a resume through a Source opened
    # with another weight column was taken as the same run)
    from sparsereg.stream import open_source

    path = write_rows(weighted_clicks().assign(v=1.0), tmp_path / "rows.csv")
    options = dict(target="click", batch_rows=200)
    expected = fit_stream(pipeline(), path, weight_column="w", **options)[0]

    def opened(weight_column=None):
        return open_source(path, weight_column=weight_column, inferred=["site", "hour"], **options)

    for source in (opened(), opened("v")):
        model = pipeline()
        with pytest.raises(ValueError, match=r"weight_column='w', but the Source given reads"):
            fit_stream(model, source, weight_column="w", **options)
        assert not hasattr(model[-1], "coef_")
    for weight_column in (None, "w"):
        model = fit_stream(pipeline(), opened("w"), weight_column=weight_column, **options)[0]
        assert_same_state(model[-1], expected[-1])
    ckpt = tmp_path / "run.ckpt"
    resumable = dict(options, checkpoint=ckpt, checkpoint_every=200)
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), opened("w"), progress=interrupt_after(2), **resumable)
    model = pipeline()
    with pytest.raises(ValueError, match=r"weight_column: 'w' -> None"):
        fit_stream(model, opened(), resume=True, **resumable)
    assert not hasattr(model[-1], "coef_")
    resumed = fit_stream(pipeline(), opened("w"), resume=True, **resumable)[0]
    assert_same_state(resumed[-1], expected[-1])


@pytest.mark.parametrize("weight_column", [None, "w"])
def test_a_checkpoint_whose_progress_weighs_rows_wrongly_is_refused(tmp_path, weight_column):
    # (a weight of the rows trained other than their count, without a weight column, or one
    # for no rows, was taken: the pass's progressive loss came out 3 times the run's)
    frame = weighted_clicks()
    path = write_rows(frame if weight_column else frame.drop(columns=["w"]), tmp_path / "r.csv")
    options = dict(target="click", batch_rows=300, weight_column=weight_column)
    checkpoint, tampered = tmp_path / "run.ckpt", tmp_path / "tampered.ckpt"
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipeline(), path, checkpoint=checkpoint, progress=interrupt_after(2), **options)
    with np.load(checkpoint) as arrays:
        floats = arrays["progress.floats"].copy()
    floats[3 if weight_column is None else 4] = 1e-3  # rows trained; rows held out: none
    _tamper(checkpoint, tampered, "progress.floats", floats)
    model = pipeline()
    with pytest.raises(ValueError, match=r"its progress gives (600|0) rows the weight 0\.001"):
        fit_stream(model, path, checkpoint=tampered, resume=True, **options)
    assert not hasattr(model[-1], "coef_")


def test_weights_for_an_estimator_whose_partial_fit_takes_none_are_refused(tmp_path):
    from sklearn.linear_model import Perceptron

    class Unweighted(Perceptron):  # (partial_fit without sample_weight)
        def partial_fit(self, X, y, classes=None):
            return super().partial_fit(X, y, classes=classes)

    path = write_rows(weighted_clicks(1), tmp_path / "rows.csv")
    model = pipeline(Unweighted())
    with pytest.raises(TypeError, match=r"weight_column='w': Unweighted\.partial_fit takes no"):
        fit_stream(model, path, target="click", weight_column="w")
    assert not hasattr(model[-1], "coef_")
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    est = Unweighted()
    with pytest.raises(TypeError, match=r"<batches>: the rows' weights: Unweighted\.partial_fit"):
        fit_stream(est, [(X, y, np.ones(4))], classes=[0, 1])
    assert not hasattr(est, "coef_")


def trained_in_memory(model, X, y, batch_rows):
    """``model`` (a hasher, then a classifier) trained in memory on the frame ``X`` as a stream
    of ``batch_rows`` trains it: the hasher fitted, then ``partial_fit`` batch by batch."""
    hasher, est = model[0], model[-1]
    Xt = hasher.fit_transform(X)
    for k in range(0, len(y), batch_rows):
        est.partial_fit(Xt[k : k + batch_rows], y[k : k + batch_rows], classes=[0, 1])
    return est


def _typed_frame(rng, n, big_missing):
    """Columns of every kind a file holds: ints, floats (integral ones among them), text (digit
    strings and pandas' spellings of missing among it), ids beyond 2**53, bools, each but the
    text with missing values, numbers in text that read_csv may read as text, and bools'
    text in any case."""
    i = pd.array(rng.randint(-20, 20, n), dtype="Int64")
    i[rng.rand(n) < 0.2] = pd.NA
    f = np.round(rng.normal(0, 3, n), 1)
    f[::3] = np.round(f[::3])  # (5.0 and 5 one feature)
    f[rng.rand(n) < 0.2] = np.nan
    t = rng.choice(["a", "b0", "007", "19", "ab", "NA", "null"], n).astype(object)
    big = pd.array(2**53 + rng.randint(0, 9, n), dtype="Int64")
    if big_missing:
        big[::4] = pd.NA
    b = pd.array(rng.rand(n) < 0.5, dtype="boolean")
    b[rng.rand(n) < 0.2] = pd.NA
    # numbers, blanks around some, and at times one value read_csv reads as text: the column
    # then text (a Unicode blank, " inf", "NAN"... were read as numbers)
    u = rng.choice(["1.5", "2", " 3", "-4\t", "inf", "nan"], n).astype(object)
    if rng.rand() < 0.7:
        odd = ["\xa012", "12\u2003", " inf", "nan ", "Nan", "nAn", "+nan", "-NAN", "nan(1)"]
        u[rng.randint(n)] = rng.choice(odd)
    # bools in any case, which read_csv reads as bools ("tRUE" was text)
    tf = rng.choice(["True", "tRUE", "FALSE", "false", "fAlSe", None], n)
    y = rng.randint(0, 2, n)
    y[:2] = [0, 1]
    return pd.DataFrame({"i": i, "f": f, "t": t, "big": big, "b": b, "u": u, "tf": tf, "y": y})


_TYPED_CROSSES = [
    [("i",), ("f",), ("t",), ("big",), ("u",), ("tf",)],
    [("i", "t"), ("f", "i"), ("big", "t"), ("t",)],
    None,  # every column but the target, each its own feature
    [(0,), (1, 2), (3,)],  # by position: the file's columns but the target, in its order
]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.parametrize("crosses", _TYPED_CROSSES)
@hypothesis.given(
    seed=st.integers(0, 2**16),
    n=st.integers(2, 30),
    batch_rows=st.sampled_from([1, 3, 7, 1000]),
    buckets=st.sampled_from([None, {"f": 0.5}, {"i": 3}]),
    big_missing=st.booleans(),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_a_file_streamed_hashes_as_the_file_read_by_pandas(
    tmp_path_factory, seed, n, batch_rows, crosses, buckets, big_missing, fmt
):
    # crossed and single columns were read as text: 123 hashed as "123" (or "123.0"), a
    # Parquet decimal as "0.10", where pandas reads the numbers; a model trained one way saw
    # other columns than the other. (Then a CSV's True and False were read as text, not as
    # bools, and "NA" in its text as text, not missing)
    pytest.importorskip("pyarrow")
    frame = _typed_frame(np.random.RandomState(seed), n, big_missing)
    path = tmp_path_factory.mktemp("typed") / f"typed.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
        # (read_csv reads ids with missing values as float64: the stream keeps them exact,
        # as Int64 does)
        read = pd.read_csv(path, dtype={"big": "Int64"} if big_missing else None)
    else:
        frame.to_parquet(path, index=False)
        read = pd.read_parquet(path)

    def model():
        hasher = FeatureCrossHasher(crosses, buckets=buckets, n_features=2**40)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    streamed, history = fit_stream(
        model(), str(path), target="y", batch_rows=batch_rows, classes=[0, 1]
    )
    X, y = split(read, target="y")
    assert history.rows == n and history.bad_rows == 0
    assert_same_state(streamed[-1], trained_in_memory(model(), X, y, batch_rows))


def test_a_parquet_decimal_with_a_fraction_hashes_as_its_decimals_in_memory(tmp_path):
    # decimal(10, 2) was read as text ("0.10"), or as float64 where read as numbers: 0.1 is
    # not the Decimal 0.10 that pandas.read_parquet gives, hashed as the fraction 1/10
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    import pyarrow.parquet as pq

    values = [Decimal("0.10"), Decimal("1.25"), None, Decimal("5.00"), Decimal("-3.33")]
    path = tmp_path / "prices.parquet"
    table = pa.table({"price": pa.array(values, pa.decimal128(10, 2)), "y": [0, 1, 0, 1, 1]})
    pq.write_table(table, path)

    def model():
        hasher = FeatureCrossHasher([("price",)], n_features=2**40)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    streamed, _ = fit_stream(model(), str(path), target="y", batch_rows=2, classes=[0, 1])
    X, y = split(pd.read_parquet(path), target="y")
    assert_same_state(streamed[-1], trained_in_memory(model(), X, y, 2))


def test_parquet_decimal_ids_beyond_uint64_hash_as_their_decimals_in_memory(tmp_path):
    # decimal(38, 0) ids beyond uint64 were read as float64: 10**20 + 1 and 10**20 + 3 one
    # feature, where pandas.read_parquet gives Decimals, two
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    import pyarrow.parquet as pq

    from sparsereg.stream import open_source

    values = [Decimal(10**20 + 1), Decimal(10**20 + 3), None, Decimal(5), Decimal(-(2**70))]
    path = tmp_path / "ids.parquet"
    table = pa.table({"id": pa.array(values, pa.decimal128(38, 0)), "y": [0, 1, 0, 1, 1]})
    pq.write_table(table, path)
    hasher = FeatureCrossHasher([("id",)], n_features=2**40)
    chunks = list(open_source(str(path), target="y", inferred=["id"], batch_rows=2).chunks())
    streamed = sp.vstack([hasher.transform(chunk.X) for chunk in chunks])
    X, _ = split(pd.read_parquet(path), target="y")
    assert (streamed != hasher.transform(X)).nnz == 0


@pytest.mark.parametrize("dictionary", [False, True])
@pytest.mark.parametrize(
    "texts, precision",
    [
        # repeated, missing, negative, a value of a power of 2 (float), one integral
        (["0.10", "1.25", None, "0.10", "-3.33", "5.00", None, "-0.50", "1.25", "-3.33"], 10),
        (["1e20", "-1e20", "3", None, "1e20", "18446744073709551617", "-3", "3"], 38),
    ],
)
def test_parquet_decimals_hash_and_explain_as_in_memory(tmp_path, texts, precision, dictionary):
    # a decimal column reaches the hasher as a Categorical of its distinct Decimals (each
    # hashed once), in memory as an object array of Decimals: hashed alike, chunk by chunk
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    import pyarrow.parquet as pq

    from sparsereg.stream import open_source

    scale = 2 if precision == 10 else 0
    values = [None if t is None else Decimal(t).quantize(Decimal(1).scaleb(-scale)) for t in texts]
    column = pa.array(values, pa.decimal128(precision, scale))
    if dictionary:
        column = column.dictionary_encode()
    path = tmp_path / "decimals.parquet"
    pq.write_table(pa.table({"d": column, "y": [0, 1] * (len(values) // 2)}), path)
    hasher = FeatureCrossHasher([("d",)], n_features=2**40)
    X, _ = split(pd.read_parquet(path), target="y")
    chunks = list(open_source(str(path), target="y", inferred=["d"], batch_rows=3).chunks())
    assert len(chunks) > 2
    streamed = sp.vstack([hasher.transform(chunk.X) for chunk in chunks])
    assert (streamed != hasher.transform(X)).nnz == 0
    start = 0
    for chunk in chunks:
        rows = X.iloc[start : start + len(chunk.X)].reset_index(drop=True)
        columns = hasher.transform(rows).indices
        assert hasher.explain(chunk.X, columns) == hasher.explain(rows, columns)
        start += len(chunk.X)


@pytest.mark.parametrize("crosses", _TYPED_CROSSES)
def test_categorical_none_given_reads_every_column_as_text(tmp_path, crosses):
    # (the hasher reads the file's columns as pandas does, unless the caller names them as
    # text: with named crosses, categorical=None left the crossed columns read as numbers)
    pytest.importorskip("pyarrow")
    frame = _typed_frame(np.random.RandomState(0), 40, big_missing=False)
    path = write_rows(frame, tmp_path / "typed.csv")

    def model():
        return make_pipeline(
            FeatureCrossHasher(crosses, n_features=2**40), SparseFTRLClassifier(random_state=0)
        )

    options = dict(target="y", batch_rows=7, classes=[0, 1])
    as_text = fit_stream(model(), str(path), reader_options={"categorical": None}, **options)[0]
    read = fit_stream(model(), str(path), **options)[0]
    # (text as written: "NA" is text to a categorical column, missing to read_csv)
    as_written = dict(dtype=str, keep_default_na=False, na_values=[""])
    for options, streamed in ((as_written, as_text), ({}, read)):
        X, y = split(pd.read_csv(path, **options).astype({"y": int}), target="y")
        assert_same_state(streamed[-1], trained_in_memory(model(), X, y, 7))


def test_labels_given_as_text_read_a_files_target_as_text(tmp_path):
    # a trial: fit_stream(..., classes=["no", "yes"]) on a CSV of such labels failed with
    # "'yes' is not a number" (the command line reads them as text when --classes are text)
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"site": ["a", "b"] * 50, "click": ["yes", "no"] * 50})
    frame.to_csv(tmp_path / "a.csv", index=False)
    pipe = make_pipeline(FeatureCrossHasher(["site"], n_features=2**8), SparseFTRLClassifier())
    model, _ = fit_stream(pipe, str(tmp_path / "a.csv"), target="click", classes=["no", "yes"])
    assert model.predict(frame[["site"]]).tolist() == frame["click"].tolist()


def test_a_dataframe_as_the_source_is_refused_naming_the_list_it_takes():
    # (a DataFrame iterates its column names: "batch 0 is a str")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    with pytest.raises(TypeError, match=r"not an iterable of batches: give a list of DataFrames"):
        fit_stream(SparseFTRLClassifier(), frame, target="y")


def test_a_warm_run_on_files_resumed_with_the_pipeline_rebuilt_equals_it_uninterrupted(tmp_path):
    # a review: a fitted hasher's kinds (zip fitted as text) decide how the files are read;
    # a resume with the pipeline rebuilt (unfitted, as in a new process) read zip as numbers
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    zips = rng.choice(["02139", "94110", "10001"], 3000)
    frame = pd.DataFrame({"zip": zips, "site": rng.choice(["a", "b"], 3000)})
    y = (zips == "02139").astype(int)
    path = str(tmp_path / "a.csv")
    frame.assign(y=y).to_csv(path, index=False)

    def hashed():
        hasher = FeatureCrossHasher(["zip", "site"], n_features=2**10)
        return make_pipeline(hasher, SparseFTRLClassifier(random_state=0))

    kwargs = dict(target="y", batch_rows=500, checkpoint_every=500, classes=[0, 1])
    full, _ = fit_stream(
        hashed().fit(frame[:100], y[:100]), path, checkpoint=tmp_path / "full.ckpt", **kwargs
    )
    checkpoint = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        warm = hashed().fit(frame[:100], y[:100])
        fit_stream(warm, path, checkpoint=checkpoint, progress=interrupt_after(3), **kwargs)
    resumed, history = fit_stream(hashed(), path, checkpoint=checkpoint, resume=True, **kwargs)
    assert history.column_kinds == {"zip": "text", "site": "text"}
    assert_same_state(resumed[-1], full[-1])


def test_a_run_stopped_after_its_first_batch_leaves_the_kinds_the_files_were_read_as(tmp_path):
    # a review: the hasher noted the first batch's dtypes (the stream hands bools to it as
    # ints: 'number'), replaced by the kinds read only at the run's end
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"flag": [True, False] * 500, "site": ["a", "b"] * 500})
    frame.assign(y=[0, 1] * 500).to_csv(tmp_path / "a.csv", index=False)
    hasher = FeatureCrossHasher(["flag", "site"], n_features=2**8)
    pipe = make_pipeline(hasher, SparseFTRLClassifier(random_state=0))
    with pytest.raises(KeyboardInterrupt):
        fit_stream(
            pipe, str(tmp_path / "a.csv"), target="y", batch_rows=200, progress=interrupt_after(1)
        )
    assert hasher.column_kinds_ == {"flag": "bool", "site": "text"}
