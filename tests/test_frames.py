"""pandas DataFrames on the per-call paths.

An estimator fitted on a DataFrame keeps its column names (``feature_names_in_``), and
scikit-learn's ``validate_data`` checks every later frame against them, column by column:
~1.7 ms of a 1-row call. A frame whose columns are those names, each of a NumPy float type,
now takes the per-call paths as its values (with targets and sample weights given as pandas
Series); anything else still goes through the full checks, with their errors and warnings.
Each test compares with the same rows given as lists, which never take a per-call path.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg.export import export_model

RNG = np.random.default_rng(11)
VALUES = RNG.normal(size=(90, 6))
VALUES[RNG.random(VALUES.shape) < 0.3] = 0.0
NAMES = [f"x{i}" for i in range(6)]
LABELS = np.where(VALUES[:, 0] - VALUES[:, 2] > 0, 1, 0)  # (numbers: text labels take the full
# path of partial_fit on every call, frame or not)
TARGETS = VALUES[:, 1] * 2.0 - VALUES[:, 3]
WEIGHTS = RNG.uniform(0.5, 2.0, size=90)


def _frame(rows, dtype=np.float64, names=NAMES):
    return pd.DataFrame(VALUES[rows].astype(dtype), columns=list(names))


def _checked_in_full(frame):
    """The frame's values as an array no per-call path takes (not C-contiguous), of its type."""
    values = frame.to_numpy()
    return np.repeat(values, 2, axis=1)[:, ::2]


def _estimator_and_targets(Est):
    est = Est(random_state=2)
    return est, (LABELS if isinstance(est, SparseFTRLClassifier) else TARGETS)


def _same_model(a, b):
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.t_ == b.t_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("Est", [SparseFTRLClassifier, SparseFTRLRegressor])
def test_frame_batches_train_the_model_of_the_same_rows_given_as_lists(Est, dtype):
    """Batches of 1 and 7 rows as frames, targets and weights as Series (per-call path after
    the first call) train, to the bit, the model of the same rows given as an array that the
    full checks take (not C-contiguous), targets and weights as lists."""
    framed, y = _estimator_and_targets(Est)
    listed, _ = _estimator_and_targets(Est)
    extra = {"classes": [0, 1]} if isinstance(framed, SparseFTRLClassifier) else {}
    starts = list(range(0, 40)) + list(range(40, 90, 7))
    for i, start in enumerate(starts):
        rows = slice(start, start + 1 if start < 40 else min(start + 7, 90))
        frame = _frame(rows, dtype)
        kwargs = extra if i == 0 else {}
        framed.partial_fit(
            frame, pd.Series(y[rows]), sample_weight=pd.Series(WEIGHTS[rows]), **kwargs
        )
        listed.partial_fit(
            _checked_in_full(frame), list(y[rows]), sample_weight=list(WEIGHTS[rows]), **kwargs
        )
    _same_model(framed, listed)
    assert list(framed.feature_names_in_) == NAMES


@pytest.mark.parametrize("Est", [SparseFTRLClassifier, SparseFTRLRegressor])
def test_frames_score_as_the_same_rows_given_as_lists(Est):
    """Every prediction method of the estimator and of its export, on frames of one row and
    of many (float64 and float32 values, a column of each), equals the full path's."""
    est, y = _estimator_and_targets(Est)
    est.fit(_frame(slice(0, 60)), y[:60])
    exported = export_model(est)
    methods = ["predict"]
    if isinstance(est, SparseFTRLClassifier):
        methods += ["decision_function", "predict_proba"]
    mixed = _frame(slice(60, 90)).astype({"x1": np.float32, "x4": np.float32})
    for frame in (_frame(slice(60, 90)), _frame(slice(60, 61)), mixed, mixed.iloc[3:4]):
        as_lists = frame.to_numpy().tolist()
        with warnings.catch_warnings():  # (lists have no names: scikit-learn warns)
            warnings.simplefilter("ignore", UserWarning)
            expected = {method: getattr(est, method)(as_lists) for method in methods}
        for method in methods:
            np.testing.assert_array_equal(getattr(est, method)(frame), expected[method])
            np.testing.assert_array_equal(getattr(exported, method)(frame), expected[method])


@pytest.mark.parametrize("Est", [SparseFTRLClassifier, SparseFTRLRegressor])
def test_frames_the_full_checks_refuse_or_warn_about_still_are(Est):
    """After per-call frames: other names, another order, a missing column, NaN and infinite
    values, non-str names, an array without names: the errors and warnings of the full checks,
    and the model unchanged by a refused call."""
    est, y = _estimator_and_targets(Est)
    est.partial_fit(_frame(slice(0, 20)), y[:20], **({"classes": [0, 1]} if y is LABELS else {}))
    est.partial_fit(_frame(slice(20, 21)), y[20:21])  # a per-call one
    coef = est.coef_.copy()
    renamed = _frame(slice(21, 23), names=[*NAMES[:-1], "other"])
    reordered = _frame(slice(21, 23))[NAMES[::-1]]
    for bad in (renamed, reordered):
        for call in (lambda X: est.partial_fit(X, y[21:23]), est.predict):
            with pytest.raises(ValueError, match="feature names"):
                call(bad)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(_frame(slice(21, 23))[NAMES[:-1]])
    for value in (np.nan, np.inf):
        bad = _frame(slice(21, 23))
        bad.iloc[1, 2] = value
        for call in (lambda X: est.partial_fit(X, y[21:23]), est.predict):
            with pytest.raises(ValueError, match="NaN|infinity"):
                call(bad)
    numbered = pd.DataFrame(VALUES[21:23])  # names that are not str
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict(numbered)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.predict(VALUES[21:23])
    np.testing.assert_array_equal(est.coef_, coef)


def test_a_frame_of_other_column_types_trains_as_the_full_checks_convert_it():
    """Integer and nullable float columns are converted by the full checks (not taken as
    they are by the per-call path): the same model as the converted rows given as lists."""
    framed, listed = SparseFTRLRegressor(random_state=0), SparseFTRLRegressor(random_state=0)
    for start in range(0, 30, 3):
        frame = _frame(slice(start, start + 3))
        frame["x0"] = np.arange(start, start + 3)
        frame["x5"] = frame["x5"].astype("Float64")
        framed.partial_fit(frame, TARGETS[start : start + 3])
        listed.partial_fit(frame.to_numpy(dtype=float).tolist(), TARGETS[start : start + 3])
    _same_model(framed, listed)


def test_an_estimator_fitted_without_names_warns_about_a_frame():
    """Fitted on arrays, it is given a frame: scikit-learn's warning, on every path."""
    est = SparseFTRLRegressor(random_state=0).partial_fit(VALUES[:20], TARGETS[:20])
    est.partial_fit(VALUES[20:21], TARGETS[20:21])  # a per-call one
    for call in (lambda X: est.partial_fit(X, TARGETS[21:22]), est.predict):
        with pytest.warns(UserWarning, match="fitted without feature names"):
            call(_frame(slice(21, 22)))


class _Name(str):
    """A column name that is a str to pandas and equal to one, and not one to scikit-learn."""


@pytest.mark.parametrize("Est", [SparseFTRLClassifier, SparseFTRLRegressor])
def test_names_that_are_not_exactly_str_get_scikit_learns_warning_or_error(Est):
    """Names of a subclass of str (``np.str_``, an enum's, one's own) make scikit-learn warn
    that X has no valid names, a mix of them with str refuse X, a missing name (pd.NA)
    refuse it too: after per-call frames, the same as on the first call (full checks)."""
    est, y = _estimator_and_targets(Est)
    extra = {"classes": [0, 1]} if y is LABELS else {}
    est.partial_fit(_frame(slice(0, 20)), y[:20], **extra)
    est.partial_fit(_frame(slice(20, 21)), y[20:21])  # a per-call one
    rows = slice(21, 23)

    def renamed(names):
        frame = _frame(rows)
        frame.columns = pd.Index(names, dtype=object)
        return frame

    subclassed = [renamed([np.str_(n) for n in NAMES]), renamed([_Name(n) for n in NAMES])]
    for frame in subclassed:
        for call in (lambda X: est.partial_fit(X, y[rows]), est.predict):
            with pytest.warns(UserWarning, match="does not have valid feature names"):
                call(frame)
    coef = est.coef_.copy()
    mixed = renamed([*NAMES[:-1], np.str_(NAMES[-1])])
    for call in (lambda X: est.partial_fit(X, y[rows]), est.predict):
        with pytest.raises(TypeError, match="string names"):
            call(mixed)
    missing = _frame(rows)
    missing.columns = pd.Index([*NAMES[:-1], pd.NA], dtype="string")
    for call in (lambda X: est.partial_fit(X, y[rows]), est.predict):
        with pytest.raises(TypeError, match="string names"):
            call(missing)
    np.testing.assert_array_equal(est.coef_, coef)
    exported = export_model(est)  # (as the estimator: scikit-learn's TypeError)
    with pytest.raises(TypeError, match="string names"):
        exported.predict(missing)


@pytest.mark.parametrize("kind", ["sparse columns", "big-endian columns"])
def test_frames_of_sparse_or_big_endian_columns_train_and_score_as_their_values(kind):
    """A frame of pandas' sparse columns (which scikit-learn's checks make a CSR matrix) or of
    big-endian floats (which they keep as they are) trains and scores as the same values given
    as lists (both were refused: a TypeError of the narrow dense path, and the kernel's
    refusal of a big-endian buffer)."""

    def framed(rows):
        frame = _frame(rows)
        if kind == "sparse columns":
            return frame.astype(pd.SparseDtype(np.float64, 0.0))
        return frame.astype(">f8")

    est, listed = SparseFTRLRegressor(random_state=0), SparseFTRLRegressor(random_state=0)
    est.fit(framed(slice(0, 30)), TARGETS[:30])
    listed.fit(VALUES[:30].tolist(), TARGETS[:30])
    for start in range(30, 40):
        est.partial_fit(framed(slice(start, start + 1)), TARGETS[start : start + 1])
        listed.partial_fit(VALUES[start : start + 1].tolist(), TARGETS[start : start + 1])
    _same_model(est, listed)
    expected = listed.predict(VALUES[40:60].tolist())
    np.testing.assert_array_equal(est.predict(framed(slice(40, 60))), expected)
    np.testing.assert_array_equal(export_model(est).predict(framed(slice(40, 60))), expected)


def test_a_big_endian_array_trains_and_scores_as_a_native_one():
    """Wide (CSR path) and narrow (dense rows) big-endian arrays, as native ones."""
    for width in (6, 40):
        values = np.tile(VALUES, (1, width // 6 + 1))[:, :width]
        swapped = values.astype(">f8")
        native, big = SparseFTRLRegressor(random_state=0), SparseFTRLRegressor(random_state=0)
        native.fit(values[:60], TARGETS[:60])
        big.fit(swapped[:60], TARGETS[:60])
        native.partial_fit(values[60:70], TARGETS[60:70])
        big.partial_fit(swapped[60:70], TARGETS[60:70])
        _same_model(big, native)
        np.testing.assert_array_equal(big.predict(swapped[70:]), native.predict(values[70:]))
