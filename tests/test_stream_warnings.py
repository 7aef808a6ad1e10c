"""Warnings raised while a stream's files are read and transformed in its reading thread come to
the caller as they would in the caller's own thread: a warning meant for the caller's line
(a stacklevel past the reading thread's frames, as scikit-learn and sparsereg raise theirs) at
the line that called ``fit_stream``, not at ``sys:1``, where filters by module missed it."""

import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from sparsereg import FeatureCrossHasher, SparseFTRLClassifier
from sparsereg.stream import fit_stream

HERE = __file__


def _warning(message, together=None):
    """A transformer that warns ``message`` at its own line, then ``message + ' (caller)'`` with
    a stacklevel past its thread's frames (as a library's warning for its caller's line);
    ``together``: a barrier it waits at before each batch (two streams read in step)."""

    def transform(X):
        if together is not None:
            together.wait(timeout=30)
        warnings.warn(message, UserWarning, stacklevel=1)
        warnings.warn(message + " (caller)", UserWarning, stacklevel=60)
        return X

    return transform


def _pipeline(message, together=None):
    return make_pipeline(
        FunctionTransformer(_warning(message, together)),
        FeatureCrossHasher(n_features=2**10),
        SparseFTRLClassifier(random_state=0),
    )


@pytest.fixture
def csv(tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.rand(300), "b": rng.rand(300), "y": rng.randint(0, 2, 300)})
    frame.to_csv(tmp_path / "rows.csv", index=False)
    return str(tmp_path / "rows.csv")


def _where(caught, message):
    return {(w.filename, w.lineno) for w in caught if str(w.message) == message}


def test_a_warning_for_the_callers_line_comes_at_the_line_that_called(csv):
    showwarning = warnings.showwarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        fit_stream(_pipeline("odd"), csv, target="y", batch_rows=100, classes=[0, 1])
    # three batches, each warning twice: at the transformer's line, and at this test's
    assert len([w for w in caught if str(w.message).startswith("odd")]) == 6
    assert _where(caught, "odd (caller)") == {(HERE, line)}
    (own,) = _where(caught, "odd")
    assert own[0] == HERE and own[1] != line
    # the reading thread's hook is gone (here, not only at the end of a catch_warnings)
    fit_stream(_pipeline("again"), csv, target="y", batch_rows=100, classes=[0, 1])
    assert warnings.showwarning is showwarning


def test_a_filter_by_the_callers_module_reaches_it(csv):
    pipe = _pipeline("odd")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"odd \(caller\)", module=__name__)
        warnings.filterwarnings("ignore", message="odd$")
        with pytest.raises(UserWarning, match=r"odd \(caller\)"):
            fit_stream(pipe, csv, target="y", batch_rows=100, classes=[0, 1])
    with pytest.raises(NotFittedError):  # the run stopped before its first batch trained
        check_is_fitted(pipe[-1])


def test_streams_in_two_threads_each_get_their_own_warnings(csv, recwarn):
    showwarning = warnings.showwarning  # (pytest's recorder: no catch_warnings of ours)
    warnings.simplefilter("always")
    lines, errors = {}, []
    together = threading.Barrier(2)  # (each batch of a stream waits for the other's)

    def first():  # (the two streams are started from lines of their own)
        lines["first"] = sys._getframe().f_lineno + 1
        fit_stream(_pipeline("first", together), csv, target="y", batch_rows=10, classes=[0, 1])

    def second():
        lines["second"] = sys._getframe().f_lineno + 1
        fit_stream(_pipeline("second", together), csv, target="y", batch_rows=10, classes=[0, 1])

    def run(stream):
        try:
            stream()
        except BaseException as exc:  # (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    caught = list(recwarn)
    assert not errors, errors
    for message in ("first", "second"):
        assert _where(caught, message + " (caller)") == {(HERE, lines[message])}
    assert not [w for w in caught if w.filename == "sys"]
    assert warnings.showwarning is showwarning


def test_a_showwarning_hook_installed_during_a_stream_is_no_loop(csv, recwarn):
    # a hook that calls the one it replaced, installed while a stream's reading thread keeps
    # its warnings: the next stream kept them over that hook, which called back to it
    installed = []

    def install_a_hook(X):
        if not installed:
            replaced = warnings.showwarning

            def hook(*args, **kwargs):
                return replaced(*args, **kwargs)

            warnings.showwarning = hook
            installed.append(hook)
        warnings.warn("odd (caller)", UserWarning, stacklevel=60)
        return X

    warnings.simplefilter("always")
    logged = []  # a hook of the caller's before the streams (as logging.captureWarnings's)
    warnings.showwarning = lambda message, *args, **kwargs: logged.append(str(message))
    for _ in range(2):
        pipe = make_pipeline(
            FunctionTransformer(install_a_hook),
            FeatureCrossHasher(n_features=2**10),
            SparseFTRLClassifier(random_state=0),
        )
        fit_stream(pipe, csv, target="y", batch_rows=100, classes=[0, 1])
    warnings.warn("after the streams", UserWarning, stacklevel=1)  # (RecursionError before)
    # each warning reached the caller's hook through the one installed over it, once
    assert logged.count("after the streams") == 1 and logged.count("odd (caller)") == 6


def test_a_warning_of_a_batch_read_ahead_and_never_trained_is_still_shown(csv, recwarn):
    # the reading thread transforms the next batches while this one trains: a run stopped
    # meanwhile (here by its progress callback, after the first) never takes them, nor their
    # warnings (the second's handed over, the third's still in the thread), which are shown
    # where they were raised (sys:1), as before they were handed over
    read_ahead, raised = threading.Event(), []

    def transform(X):
        raised.append(f"batch of {X['a'].iloc[0]} (caller)")
        warnings.warn(raised[-1], UserWarning, stacklevel=60)
        if len(raised) == 3:  # the reading thread took the third: it handed over the second
            read_ahead.set()
        return X

    def stop(report):
        assert read_ahead.wait(30)  # (batches 2 and 3 read ahead, their warnings kept)
        raise KeyboardInterrupt

    warnings.simplefilter("always")
    pipe = make_pipeline(
        FunctionTransformer(transform),
        FeatureCrossHasher(n_features=2**10),
        SparseFTRLClassifier(random_state=0),
    )
    with pytest.raises(KeyboardInterrupt):
        fit_stream(pipe, csv, target="y", batch_rows=100, classes=[0, 1], progress=stop)
    shown = [(w.filename, str(w.message)) for w in recwarn if "batch of" in str(w.message)]
    assert sorted(message for _, message in shown) == sorted(raised)  # each once, none lost
    assert len(raised) >= 2 and any(filename == "sys" for filename, _ in shown), shown
