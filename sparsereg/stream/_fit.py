"""Training from a stream of batches: read, hash, score, train, record, checkpoint."""

import inspect
import math
import numbers
import os
import time
from collections.abc import Callable, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .. import _hashing
from .._interrupts import interrupts_deferred
from .._memory import memory_limit
from .._named_errors import with_message
from .._output_path import OutputPathError, check_output_path
from .._state_params import without_params
from .._typing import ArrayLike, FileLike
from ..crosses import FeatureCrossHasher
from ._arrow_source import _ArrowSource
from ._checkpoint import RunProgress, load_checkpoint, save_checkpoint
from ._history import StreamHistory
from ._iterable_source import _IterableSource
from ._model import StreamModel, fitted_column_kinds, note_column_kinds
from ._readers import open_saying_whose_kinds, paths_of
from ._scoring import class_indices, loss_name, row_losses
from ._source import Position, Source, _ahead
from ._stable_text import plain
from ._svmlight_source import _SVMLightSource


@dataclass(frozen=True)
class StreamProgress:
    """What a ``progress`` callback of :func:`fit_stream` receives after each batch.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier
    >>> from sparsereg.stream import fit_stream
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> batches = [(X[i:i + 100], (X[i:i + 100, 0] > 0).astype(int)) for i in (0, 100, 200)]
    >>> seen = []
    >>> _ = fit_stream(SparseFTRLClassifier(random_state=0), batches, classes=[0, 1],
    ...                progress=seen.append)
    >>> [(p.pass_index, p.rows) for p in seen]
    [(0, 100), (0, 200), (0, 300)]
    """

    pass_index: int  # 0-based
    rows: int  # rows trained on so far, all passes
    pass_rows: int  # rows trained on in this pass
    progressive_loss: float  # running mean over this pass (weighted by the rows' weights)
    holdout_rows: int
    holdout_loss: float  # running mean over this pass (NaN without holdout; weighted)
    seconds: float
    file: str
    model: object  # the final estimator (count its non-zeros sparingly: it is a pass)


class StreamFit(tuple):
    """``(model, history)``, as :func:`fit_stream` returns them.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifier
    >>> from sparsereg.stream import fit_stream
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> batches = [(X[i:i + 100], (X[i:i + 100, 0] > 0).astype(int)) for i in (0, 100, 200)]
    >>> result = fit_stream(SparseFTRLClassifier(random_state=0), batches, classes=[0, 1])
    >>> model, history = result
    >>> result.model is model, result.history.rows
    (True, 300)
    """

    __slots__ = ()

    def __new__(cls, model, history):
        return super().__new__(cls, (model, history))

    @property
    def model(self):
        """The trained model (``result[0]``)."""
        return self[0]

    @property
    def history(self):
        """The run's :class:`StreamHistory` (``result[1]``)."""
        return self[1]


# the largest count taken: row numbers, periods and counts meet numpy's int64 arithmetic
_MAX_COUNT = 2**63 - 1


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return _at_most_max_count(name, int(value))


def _at_most_max_count(name, value):
    if value > _MAX_COUNT:
        raise ValueError(f"{name} must be at most 2**63 - 1 (an int64), got {value}.")
    return value


def _check_holdout(holdout):
    if holdout is None:
        return None
    if isinstance(holdout, numbers.Integral) and not isinstance(holdout, bool):
        if holdout < 2:
            raise ValueError(
                f"holdout as an int is a period and must be >= 2 (every holdout-th "
                f"row is held out), got {holdout}."
            )
        return _at_most_max_count("holdout", int(holdout))  # (a period: row_numbers % holdout)
    if isinstance(holdout, numbers.Real) and not isinstance(holdout, bool) and 0 < holdout < 1:
        return float(holdout)
    raise ValueError(
        "holdout must be None, an int >= 2 (every k-th row is held out) or a float "
        f"in (0, 1) (that share of rows, chosen by a hash of the row), got {holdout!r}."
    )


def _held_out(holdout, file_index, row_numbers):
    """Rows never trained on: every k-th row of each file, or a hashed share of them."""
    if holdout is None:
        return None
    if isinstance(holdout, int):
        return row_numbers % holdout == 0
    salt = np.uint64(file_index * 0x9E3779B97F4A7C15 % 2**64)  # files hold different rows
    keys = row_numbers.astype(np.uint64) + salt
    return _hashing.fmix64(keys) < np.uint64(min(int(holdout * 2.0**64), 2**64 - 1))


def _run_description(
    sm,
    src,
    target,
    weight_column,
    batch_rows,
    holdout,
    loss,
    skip_bad_rows,
    reader_options,
    inferred,
    hasher_kinds=None,
    digests=True,
):
    description = {
        "estimator": type(sm.final).__name__,
        "params": plain(sm.final.get_params(deep=False), digests),
        "transformers": [
            [type(t).__name__, plain(t.get_params(deep=False), digests)] for t in sm.transformers
        ],
        "files": _described_files(src),
        "target": target,
        # (a checkpoint written before weight columns has none: None, as a run without one)
        "weight_column": weight_column,
        "batch_rows": batch_rows,
        "holdout": holdout,
        "loss": loss,
        "skip_bad_rows": bool(skip_bad_rows),
        "reader_options": plain(dict(sorted((reader_options or {}).items())), digests),
        # the columns read as pandas reads them (open_source's inferred): a checkpoint of a
        # build that read them as text has none, and resumed it would hash 123 where it hashed
        # "123"; a run without them says None, as such a checkpoint does
        "read_as_pandas": (
            "every column not named otherwise" if inferred is None else sorted(inferred) or None
        ),
    }
    if hasher_kinds:  # (the kinds of a hasher fitted before the run: a resume reads so too)
        description["hasher_column_kinds"] = dict(sorted(hasher_kinds.items()))
    return description


def _described_files(src, as_given=False):
    """``[name, size]`` of each file of the source: a file's name as its full path, links
    resolved (the same files given as ``./day1.csv``, or from another folder, are the same run;
    other files of the same names, from another folder, are not); ``as_given``: as the files
    were named, which checkpoints written before held."""
    files = []
    for name in src.files:
        try:
            size = os.path.getsize(name)
        except (OSError, TypeError, ValueError):  # (not there; a Source's own names)
            size = -1
        shown = str(name) if as_given or size < 0 else os.path.realpath(name)
        files.append([shown, size])
    return files


def _file_names(files):
    """The names of described files (``[name, size]`` each); None if ``files`` is no such list."""
    if not isinstance(files, list) or not all(isinstance(f, list) and len(f) == 2 for f in files):
        return None
    return [name for name, _ in files]


def _check_not_an_input(checkpoint, written, src):
    """Refuse a checkpoint that is one of the files read (or links to one): the data would be
    written over, while a pass reads it."""
    for name in src.files if not isinstance(src, _IterableSource) else ():
        try:
            same = os.path.abspath(written) == os.path.abspath(name) or os.path.samefile(
                written, name
            )
        except (OSError, TypeError, ValueError):  # (either not there; a Source's own names)
            same = False
        if same:
            raise ValueError(
                f"checkpoint {os.fspath(checkpoint)!r} is the input file {os.fspath(name)!r}: "
                "it would be written over."
            )


def _check_same_run(meta, expected, path):
    differ = [key for key in expected if meta.get(key) != expected[key]]
    if not differ:
        return
    details = []
    for key in differ:
        old, new = meta.get(key), expected[key]
        if isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            details.append(
                f"{key} " + ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys)
            )
        else:
            details.append(f"{key}: {old!r} -> {new!r}")
    raise ValueError(
        f"checkpoint {os.fspath(path)!r} was written by a different run; resuming "
        "would not continue it. Differences (checkpoint -> now): " + "; ".join(details) + "."
    )


def _nonzero(final):
    count = getattr(final, "count_nonzero", None)
    if callable(count):
        return int(np.sum(count()))  # over the one-vs-rest models
    return int(np.count_nonzero(getattr(final, "coef_", 0)))


def _with_hasher_columns(given, key, hasher_names, named):
    """The columns to read as ``key`` says: the caller's list (``given[key]``) and the columns
    the pipeline's first step reads so (``hasher_names``; None: every column) that the caller
    names in none of its lists (``named``)."""
    others = None if hasher_names is None else [n for n in hasher_names if n not in named]
    if key not in given:
        return others
    mine = given[key]
    if not isinstance(mine, list) or others is None:
        return mine  # (None, or a value open_source refuses)
    return [*mine, *others]


def _as_list(names):
    """Column names given as any iterable but a str (an array, a set, a pandas Index) as a
    list; other values as they are, for open_source to refuse."""
    if names is None or isinstance(names, (str, bytes)):
        return names
    try:
        return list(names)
    except TypeError:
        return names


def fit_stream(
    model: BaseEstimator,
    source: Any,
    *,
    target: str | None = None,
    weight_column: str | None = None,
    classes: ArrayLike | None = None,
    passes: int = 1,
    batch_rows: int = 65536,
    holdout: int | float | None = None,
    early_stop: int | None = None,
    checkpoint: FileLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    skip_bad_rows: bool = False,
    format: str | None = None,
    progress: Callable[[StreamProgress], object] | None = None,
    reader_options: dict | None = None,
) -> StreamFit:
    """Train an incremental model on batches read from files (or any iterable of batches).

    Each batch is read (:func:`~sparsereg.stream.open_source`: CSV, gzip'd CSV and
    Parquet through pyarrow's streaming readers, SVMlight through scikit-learn, or
    an iterable of DataFrames or ``(X, y)`` pairs), passed through the stateless
    transformers of a Pipeline (e.g. a :class:`~sparsereg.FeatureCrossHasher`),
    scored by the model as it stands (progressive validation, Vowpal Wabbit's
    "average loss"), and then trained on with ``partial_fit``. Memory holds one
    batch at a time, whatever the size of the files.

    Parameters
    ----------
    model : estimator or Pipeline
        An estimator with ``partial_fit`` (sparsereg's FTRL estimators; any
        scikit-learn incremental linear model without checkpoints), or a Pipeline of
        stateless transformers ending with one. Trained in place and returned. An
        estimator already fitted is trained on (a warm start, as ``partial_fit``
        continues it): the first batch is scored by the model as it stands, the classes
        are its ``classes_``, and the history counts the rows of this call.
    source : path, list of paths, Source, or iterable of batches
        Files of one format, or batches (DataFrames holding ``target``, or
        ``(X, y)`` pairs, or ``(X, y, w)`` with each row's weight). Several passes need a
        list or a Source, not an iterator.
    target : str, default=None
        Name of the target column (CSV, Parquet, DataFrames).
    weight_column : str, default=None
        Name of a numeric column of each row's weight (CSV, Parquet, DataFrames), read as the
        target is (not a feature) and passed as ``sample_weight`` to each batch's
        ``partial_fit``: e.g. the inverse of the rate negatives were down-sampled at (Vowpal
        Wabbit's importance weight). A bool weighs 1 or 0 (as in scikit-learn's
        ``sample_weight``), and so does a CSV's True or False (also TRUE, true, FALSE, false).
        A weight that is missing, not a number, not finite or negative is a malformed row of
        a file (named, or skipped with ``skip_bad_rows``); in a batch, a ValueError naming its
        row (as a bad target there). The progressive and holdout
        losses are then weighted means, as scikit-learn's metrics take ``sample_weight``. A
        batch whose rows all weigh 0 is not trained on; a run whose every row weighs 0 is a
        ValueError (no rows to train on).
        SVMlight files have none (refused); ``(X, y, w)`` batches give theirs as their third
        item, without ``weight_column``; a :class:`Source` reads its own (``open_source``'s
        ``weight_column``): another one named here is refused.
    classes : array-like, default=None
        Every class of the stream (classifiers). None: the labels of the first
        batch (a fitted estimator's ``classes_``), and a later batch with another label
        is an error naming its row. Labels that are all strings have files' targets read
        as text (``reader_options={"target_dtype": "str"}``, unless given).
    passes : int, default=1
        Passes over the source.
    batch_rows : int, default=65536
        Rows per batch read from files.
    holdout : int, float or None, default=None
        Rows never trained on, scored in every pass for the holdout loss: every
        ``holdout``-th row of each file (an int >= 2, as Vowpal Wabbit's
        ``--holdout_period``), or a share of rows chosen by a hash of their file
        and row number (a float in (0, 1)). The same rows in every pass.
    early_stop : int or None, default=None
        With ``holdout``: stop after this many passes without a better holdout
        loss (Vowpal Wabbit's ``--early_terminate``). The model of the last pass
        run is kept. A resume judges the passes its checkpoint holds by this call's
        ``early_stop``: without one, a run that stopped early goes on to ``passes``.
    checkpoint : path, default=None
        Where to save the training state, the reader's position and the history
        (an ``.npz`` without pickle): after every ``checkpoint_every`` rows, at the
        end of each pass, at the end, and on Ctrl-C. Needs ``get_ftrl_state`` and
        ``set_ftrl_state`` (not the grid estimators), and a source that can be read again
        (files, a list of batches or a Source; not an iterator). A symbolic link is written
        through (its target replaced, the link kept; another user's link in a sticky,
        world-writable folder is refused). Refused with ValueError before any batch is read:
        a path that names no file (``""``, ending in a folder separator), a folder, one whose
        folder cannot be written, or one of the files read (or a link to one).
    checkpoint_every : int, default=None
        Rows between checkpoints (at the next batch boundary), counted from the last one
        written (at a pass's end as well; not on Ctrl-C: a resumed run writes its checkpoints
        at the rows the uninterrupted run would have).
    resume : bool, default=False
        Continue the run saved in ``checkpoint`` (which must exist): the same
        model, parameters, files, ``target``, ``weight_column``, ``batch_rows`` and
        ``holdout`` (a lambda or local function, e.g. a ``FunctionTransformer``'s, is told
        apart by a digest of its code, defaults and closure; in checkpoints written before
        version 3 by its name alone); ``passes`` may grow. The result equals that of an
        uninterrupted run to the bit (timings aside), and so do the rows at which its
        checkpoints are written.
    skip_bad_rows : bool, default=False
        Skip and count malformed rows (the reader's, see
        :func:`~sparsereg.stream.open_source`) and rows the pipeline's transformers refuse,
        instead of stopping at the first. More than 10,000 rows in a row that the
        transformers refuse, none accepted among them, still stop the run with ValueError
        (each costs about two transforms of its own; such a stream is rather of another
        schema), as more than 100,000 malformed CSV rows or 10,000 SVMlight lines in a row
        stop the reader.
    format : {'csv', 'parquet', 'svmlight'}, default=None
        The files' format; None: from their suffix.
    progress : callable, default=None
        Called with a :class:`StreamProgress` after each batch, once the batch is trained
        and recorded: a Ctrl-C while it runs stops the run there (the checkpoint then holds
        that batch).
    reader_options : dict, default=None
        Further keyword arguments of :func:`~sparsereg.stream.open_source`
        (``delimiter``, ``target_dtype``, ``n_features`` and ``zero_based`` for
        SVMlight...). ``numeric``, ``inferred`` and ``categorical`` lists given here say how
        the columns they name are read; the other columns a leading
        :class:`~sparsereg.FeatureCrossHasher` needs are read as it names them: each column it
        hashes without buckets as pandas reads it, a bucket's numbers as numbers
        (``{"categorical": None}``: every column not named numeric as text; export such a
        model with ``export_model(..., hashed_columns="text")``, so that ``sparsereg
        predict`` reads its columns so too); with another first step a CSV
        file's columns are read as text unless named (e.g. ``{"numeric": ["price", "age"]}``
        before a ``StandardScaler``). A hasher already fitted on a DataFrame reads those
        columns as the kinds it noted (its ``column_kinds_``: a zip fitted as text is read as
        text; ``column_kinds`` given here replace them; a resumed run reads them as its
        checkpoint records), and after a stream of files fit_stream opened, the hasher's
        ``column_kinds_`` are those the columns were read as (``StreamHistory.column_kinds``),
        which ``export_model`` records. A DataFrame is not a source: give ``[frame]``.

    Returns
    -------
    model : estimator or Pipeline
        ``model``, trained.
    history : StreamHistory
        Progressive and holdout loss per pass, the progressive loss after each
        batch, rows, non-zeros, seconds.

    Raises
    ------
    ValueError
        For bad parameters, a malformed row (naming the file and row), a label
        outside ``classes``, a checkpoint of another run. The estimator is then as
        after the last completed batch, and the last checkpoint is intact; a resume that
        stops so before this call trained a batch leaves the estimator and the
        transformers as they were before the call.
    KeyboardInterrupt
        After saving a checkpoint at the last completed batch (with ``checkpoint``); as
        for a ValueError, a resume stopped before this call trained a batch leaves the
        model as it was.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from sparsereg import FeatureCrossHasher, SparseFTRLClassifier
    >>> from sparsereg.stream import fit_stream
    >>> rng = np.random.RandomState(0)
    >>> def batch(n=500):
    ...     site = rng.choice(["a", "b", "c"], n)
    ...     return pd.DataFrame({"site": site, "hour": rng.randint(0, 24, n),
    ...                          "click": (site == "a").astype(int)})
    >>> batches = [batch() for _ in range(4)]
    >>> model = make_pipeline(FeatureCrossHasher([("site",), ("site", "hour")], n_features=2**10),
    ...                       SparseFTRLClassifier(random_state=0))
    >>> model, history = fit_stream(model, batches, target="click", passes=2, holdout=10)
    >>> history.n_passes, history.pass_rows
    (2, [1800, 1800])
    >>> bool(history.pass_holdout_loss[1] < history.pass_holdout_loss[0] < np.log(2))
    True
    """
    passes = _check_int("passes", passes, 1)
    batch_rows = _check_int("batch_rows", batch_rows, 1)
    holdout = _check_holdout(holdout)
    if early_stop is not None:
        early_stop = _check_int("early_stop", early_stop, 1)
        if holdout is None:
            raise ValueError("early_stop needs a holdout: it watches the holdout loss.")
    if checkpoint_every is not None:
        checkpoint_every = _check_int("checkpoint_every", checkpoint_every, 1)
        if checkpoint is None:
            raise ValueError("checkpoint_every needs checkpoint (a path).")
    if resume and checkpoint is None:
        raise ValueError("resume needs checkpoint: the path of the run to continue.")
    written = None
    if checkpoint is not None:  # refused now, not after the rows trained before the first save
        try:
            written = check_output_path(checkpoint)
        except OutputPathError as exc:
            raise ValueError(f"checkpoint {os.fspath(checkpoint)!r} {exc.reason}") from None
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable taking a StreamProgress.")
    sm = StreamModel.of(model)
    if checkpoint is not None and not (
        hasattr(sm.final, "get_ftrl_state") and hasattr(sm.final, "set_ftrl_state")
    ):
        # (the grid estimators have get_ftrl_state, their chosen model's state only: a
        # checkpoint of it could not resume the grid)
        raise TypeError(
            f"checkpoints save and restore the state protocol (get_ftrl_state and "
            f"set_ftrl_state), which {type(sm.final).__name__} does not have."
        )
    if classes is not None and not sm.classifier:
        raise ValueError(f"classes is for classifiers; {type(sm.final).__name__} is a regressor.")
    _check_labels_array(classes)
    fitted_classes = getattr(sm.final, "classes_", None)
    if (
        classes is not None
        and fitted_classes is not None
        and not resume
        and not same_classes(_unique_labels(classes, "classes"), np.asarray(fitted_classes))
    ):  # (its scores have a column per class it has: an IndexError scoring the first batch)
        raise ValueError(
            f"classes={np.asarray(classes).tolist()!r:.300}, but the "
            f"{type(sm.final).__name__}, already fitted, has the classes "
            f"{np.asarray(fitted_classes).tolist()!r:.300}: a model trained on keeps its "
            "classes (give those, or none)."
        )
    if weight_column is not None:
        _check_takes_sample_weight(sm.final, f"weight_column={weight_column!r}")
    options = dict(reader_options or {})
    given_here = sorted(
        {"format", "target", "weight_column", "batch_rows", "skip_bad_rows"} & set(options)
    )
    if given_here:
        raise TypeError(
            f"reader_options holds {given_here}: pass them to fit_stream itself, which passes "
            "them on to the reader."
        )
    hasher_numeric, hasher_inferred, hasher_text = sm.columns_to_read()
    # the caller's lists say how the columns they name are read; the other columns the
    # pipeline's first step reads are read as it names them (a list that left one out, say a
    # datetime bucket's, failed in the hasher: "column 'hour' not found in X")
    given = {
        k: _as_list(options.pop(k)) for k in ("numeric", "inferred", "categorical") if k in options
    }
    named = {n for v in given.values() if isinstance(v, list) for n in v}
    numeric = _with_hasher_columns(given, "numeric", hasher_numeric, named)
    # the caller's categorical columns are read as text: the hasher notes them so (None: every
    # column); those the pipeline's first step names are no kind of a hashed column
    read_as_text = given.get("categorical", ())
    categorical = _with_hasher_columns(given, "categorical", hasher_text, named)
    if categorical is None:  # (the caller's, or no hasher first: every other column as text)
        hasher_inferred = ()
    elif hasher_inferred is not None:
        taken = {*numeric, *categorical}
        hasher_inferred = [k for k in hasher_inferred if k not in taken]
    inferred = _with_hasher_columns(given, "inferred", hasher_inferred, named)
    opens_files = paths_of(source) is not None
    # a resume reads its checkpoint first: how the run it continues read the files
    loaded = None
    if resume and os.path.exists(checkpoint):
        loaded = load_checkpoint(checkpoint, max_bytes=memory_limit() // 2)
    hasher_kinds = None
    if "column_kinds" not in options and sm.transformers and opens_files:
        # a hasher fitted on a DataFrame: its columns read as they held their values there (a
        # zip fitted as text, read as numbers, would train tokens its predictions never meet),
        # but for those the caller names numeric or categorical; resumed, as the run read them
        # (the hasher may have been fitted by that run meanwhile)
        if loaded is not None:
            hasher_kinds = loaded[1].get("hasher_column_kinds")
        elif not resume:
            fitted = fitted_column_kinds(sm.transformers[0], inferred) or {}
            named = {*numeric, *(categorical or ())}
            hasher_kinds = {n: kind for n, kind in fitted.items() if n not in named} or None
        if hasher_kinds:
            options["column_kinds"] = hasher_kinds
    labels = classes if classes is not None else getattr(sm.final, "classes_", None)
    if (
        "target_dtype" not in options
        and labels is not None
        and len(labels)
        and all(isinstance(c, str) for c in labels)
    ):
        options["target_dtype"] = "str"  # (labels that are text: read as text, not numbers)
    src = open_saying_whose_kinds(
        # the kinds of the fitted hasher: the reader's messages say where they come from
        "as the fitted FeatureCrossHasher's column_kinds_ say" if hasher_kinds else None,
        source,
        format=format,
        target=target,
        weight_column=weight_column,
        numeric=numeric,
        inferred=inferred,
        categorical=categorical,
        batch_rows=batch_rows,
        skip_bad_rows=skip_bad_rows,
        **options,
    )
    if isinstance(source, Source):
        # a Source's chunks carry their weights (open_source's weight_column): one named here
        # that the Source does not read was not used, the rows trained unweighted
        opened_with = getattr(source, "weight_column", None)
        if weight_column is not None and weight_column != opened_with:
            raise ValueError(
                f"weight_column={weight_column!r}, but the Source given reads "
                + ("no weight column" if opened_with is None else f"{opened_with!r}")
                + ": its chunks carry their own sample_weight. Open it with "
                f"open_source(..., weight_column={weight_column!r}), or leave weight_column out."
            )
        if weight_column is None and opened_with is not None:  # (else checked above)
            _check_takes_sample_weight(sm.final, f"weight_column={opened_with!r}")
        weight_column = opened_with  # (the run's, as its checkpoint describes it)
    if checkpoint is not None:
        _check_not_an_input(checkpoint, written, src)
    if passes > 1 and not src.resumable:
        raise ValueError(
            "several passes need a source that can be read again: a path, a list "
            "of paths or of batches, or a Source; not an iterator."
        )
    name = loss_name(sm.final)
    if checkpoint is not None and not src.resumable:
        raise ValueError(
            "checkpoints need a source that can be read again from a position: "
            "files, a list of batches or a Source, not an iterator."
        )
    # only a checkpoint holds the description: a lambda's digest reads all its closure holds
    described = (sm, src, target, weight_column, batch_rows, holdout, name, skip_bad_rows)
    description = undigested = None
    if checkpoint is not None:
        description = _run_description(*described, reader_options, inferred, hasher_kinds)
    if resume:  # (a checkpoint before version 3 spelt a lambda or local function undigested)
        undigested = _run_description(
            *described, reader_options, inferred, hasher_kinds, digests=False
        )

    trainer = _Trainer(sm, src, name, holdout, classes, progress, passes, skip_bad_rows)
    if opens_files and sm.transformers:
        trainer.read_as_text = read_as_text
    # a resume refused or stopped before this process trained a batch leaves the estimator
    # and the transformers as they were (a checkpoint's position past the data, or its state
    # fitting neither the pipeline nor the data, shows only when the first batch is read)
    before = [(o, dict(vars(o))) for o in (sm.final, *sm.transformers)] if resume else []

    def train():
        if resume:
            trainer.resume(checkpoint, description, undigested, loaded)
            # the transformers as the run that wrote the checkpoint fitted them, on its first batch:
            # also when no batch is left to read (a finished run, or one stopped after its last)
            trainer.prepare_from_start()
            trainer.judge_resumed(early_stop)
        run, history = trainer.run, trainer.history
        if run.complete and (run.pass_index >= passes or history.stopped_early):
            return StreamFit(model, history)

        def save():
            if checkpoint is not None and trainer.fitted:
                run.seconds = trainer.seconds()
                # (and the kinds the files' columns were read as: a run continuing the model
                # on other files reads them so, `sparsereg train --initial`; a resume compares
                # the description's keys only)
                kinds = {"column_kinds": dict(src.column_kinds)} if src.column_kinds else {}
                # (and whether its FeatureCrossHasher's datetimes were timezone-aware, which
                # --initial carries on)
                first = sm.transformers[0] if sm.transformers else None
                if isinstance(first, FeatureCrossHasher):  # ({}: none noted; absent: earlier)
                    noted = getattr(first, "datetime_aware_", None) or {}
                    kinds["datetime_aware"] = dict(sorted(noted.items()))
                save_checkpoint(
                    checkpoint,
                    state=sm.final.get_ftrl_state(),
                    meta={**description, **kinds},
                    progress=run,
                    history=history,
                )

        try:
            while run.pass_index < passes and not history.stopped_early:
                run.complete = False
                # files: the next batch is read and hashed in a thread while this one trains; the
                # caller's own batches are read in the caller's thread (a database cursor or a
                # socket may belong to it, and may block)
                trainer.start_reading()
                chunks = src.chunks(run.position)
                batches = (trainer.transform(chunk) for chunk in chunks)
                if not isinstance(src, _IterableSource):
                    batches = _ahead(batches, 1)
                # leaving the block stops the reading thread first, then closes the reader's files
                with closing(chunks), closing(batches):
                    for transformed in batches:
                        # a batch is trained and recorded, or not at all
                        with interrupts_deferred():
                            report = trainer.step(*transformed)
                        if report is not None:
                            # the caller's callback, after the batch is recorded and outside the
                            # hold: a Ctrl-C while it runs (it may sleep or block) stops it at once
                            progress(report)
                        if (
                            checkpoint_every is not None
                            and run.since_checkpoint >= checkpoint_every
                        ):
                            run.since_checkpoint = 0  # (as this checkpoint records it)
                            save()
                with interrupts_deferred():
                    trainer.end_pass(early_stop)
                if run.pass_index < passes and not history.stopped_early:
                    save()  # (the next is checkpoint_every rows after this one: run.next_pass)
            run.complete = True
            save()
        except KeyboardInterrupt:
            save()
            raise
        return StreamFit(model, history)

    def recorded(fit):
        """The run's fit, its history holding how the source read the files: the column
        kinds (decided as the files were opened: a resumed run's too) and the SVMlight
        numbering."""
        history = fit[1]
        history.column_kinds = dict(src.column_kinds)
        if opens_files and sm.transformers:
            # files: the hasher's kinds are those the columns were read as (a stream hands
            # bools to it as ints), the caller's categorical columns 'text'
            note_column_kinds(sm.transformers[0], history.column_kinds, read_as_text)
        zero_based = getattr(src, "zero_based", None)
        history.svmlight_zero_based = None if zero_based in (None, "auto") else bool(zero_based)
        return fit

    try:
        return recorded(train())
    except BaseException:
        if before and not trainer.trained_here:
            with interrupts_deferred():  # all of them or none
                for o, attributes in before:
                    vars(o).clear()
                    vars(o).update(attributes)
        raise


class _Trainer:
    """The run's mutable part: model, running sums, history; one batch at a time."""

    def __init__(self, sm, src, name, holdout, classes, progress, passes, skip_bad_rows):
        self.sm, self.final, self.name, self.holdout = sm, sm.final, name, holdout
        self.src, self.passes, self.skip_bad_rows = src, passes, skip_bad_rows
        self.bad_rows_before = 0  # bad rows of a resumed run, before this process
        self.refused = 0  # rows the transformers refused, in this process
        # rows in a row they refused since the last one they accepted, in the file
        # (index) of the batch transformed last: the reading thread's, a batch ahead of
        # `step`, which keeps the count as of its batch in `run` (and so in checkpoints)
        self.refused_run, self.refused_in = [0], None
        self.classes = None if classes is None else _sorted_classes(classes)
        self.progress = progress
        self.run = RunProgress()
        self.history = StreamHistory(name)
        # a fitted estimator is trained on (a warm start, as partial_fit continues it): its
        # first batch is scored by the model as it stands, and its classes are the stream's
        self.fitted = _is_fitted(self.final)
        if self.fitted and sm.classifier and self.classes is None:
            self.classes = np.asarray(self.final.classes_)
        self.trained = False  # a batch was trained on, in this run or the one resumed
        self.trained_here = False  # ... by this process
        self.prepared = False
        # files fit_stream opened: the caller's categorical columns (noted as text as the
        # kinds read are, when prepared); None: kinds not noted (a Source of the caller's)
        self.read_as_text = None
        self.started = time.perf_counter()

    def seconds(self):
        return time.perf_counter() - self.started

    def resume(self, path, description, undigested, loaded):
        if loaded is None:
            raise ValueError(f"resume: there is no checkpoint at {os.fspath(path)!r}.")
        state, meta, run, arrays = loaded
        expected = description if arrays["version"] >= 3 else undigested
        # a checkpoint written before files were described by their full path names them as
        # given: compared so (sizes too), its message shows a size that changed, not every name
        given = _described_files(self.src, as_given=True)
        if _file_names(meta.get("files")) == _file_names(given):
            expected = {**expected, "files": given}
        _check_same_run(meta, expected, path)
        history = StreamHistory.from_arrays(self.name, arrays)
        _check_progress(run, history, self.src, path)
        # the passes ended, and one under way unless the position is a pass's start
        begun = run.pass_index + (run.position != Position())
        if begun > self.passes:
            raise ValueError(
                f"checkpoint {os.fspath(path)!r} holds {begun} pass(es) of its run"
                f"{', the last under way' if run.position != Position() else ''}, more than "
                f"passes={self.passes}: resume with passes={begun} or more (or start afresh "
                "without resume)."
            )
        if (
            self.sm.classifier
            and self.classes is not None
            and "classes" in state
            and not same_classes(np.asarray(state["classes"]), self.classes)
        ):
            raise ValueError(
                f"checkpoint {os.fspath(path)!r} has the classes "
                f"{np.asarray(state['classes']).tolist()}, not {self.classes.tolist()}."
            )
        # last (fit_stream restores it if the run then stops); the run's description compared
        # the parameters already (a value a state cannot record is described by its digest)
        self.final.set_ftrl_state(without_params(state))
        if self.sm.classifier:
            self.classes = np.asarray(self.final.classes_)
        self.run, self.history = run, history
        self.fitted = self.trained = True
        self.bad_rows_before = history.bad_rows
        history.resumed_rows = history.rows
        self.started = time.perf_counter() - run.seconds

    def prepare_from_start(self):
        """Fit the stateless transformers on the source's first batch, as an uninterrupted run
        does; the reader's count of bad rows is left as it was (that batch is read again)."""
        if self.prepared or not self.sm.needs_prepare:
            return
        src = self.src
        bad_rows, examples = src.bad_rows, list(src.bad_row_examples)
        chunks = src.chunks(Position())
        try:
            with closing(chunks):
                for chunk in chunks:
                    if chunk.X.shape[0]:
                        self._prepare(chunk.X)
                        break
        finally:
            src.bad_rows, src.bad_row_examples = bad_rows, examples

    def _prepare(self, X):
        """Fit the stateless transformers on the first batch; a hasher's kinds those the
        files were read as, from then on (a stream hands it bools as ints: noted as numbers
        by the batch, they would stay so after a run stopped early)."""
        self.sm.prepare(X)
        self.prepared = True
        if self.read_as_text is not None:
            note_column_kinds(self.sm.transformers[0], self.src.column_kinds, self.read_as_text)

    def _classes_from(self, y, chunk):
        labels = _unique_labels(
            y,
            f"{chunk.file}: the labels of the first batch (rows {chunk.row_numbers[0]}-"
            f"{chunk.row_numbers[-1]})",
            ", or every class in `classes` (--classes)",
        )
        if labels.size < 2:
            raise ValueError(
                f"{chunk.file}: the first batch (rows {chunk.row_numbers[0]}-"
                f"{chunk.row_numbers[-1]}) holds only the label {labels.tolist()}; "
                "pass every class of the stream in `classes` (--classes)."
            )
        return labels

    def start_reading(self):
        """Before a pass's batches are read (from its start, or on resume from the run's
        position): the run of refused rows as it stood there."""
        run = self.run
        self.refused_run[0] = run.refused_run
        self.refused_in = None if run.position == Position() else run.position.file

    def transform(self, chunk):
        """``(chunk, X through the transformers, bad rows the reader has counted so far, rows
        the transformers refused, the run of refused rows after them)``; run by the reading
        thread. A row the transformers refuse names the file and rows, or with
        ``skip_bad_rows`` is dropped and counted."""
        bad_so_far = self.src.bad_rows  # the reader has counted this chunk's bad rows
        if chunk.y is None:
            raise ValueError(f"{chunk.file}: the batch has no target; name the target column.")
        if chunk.end.file != self.refused_in:  # a run of refused rows is counted per file
            self.refused_run[0], self.refused_in = 0, chunk.end.file
        if chunk.X.shape[0] == 0:
            return chunk, None, bad_so_far, 0, self.refused_run[0]
        if not self.prepared:
            self._prepare(chunk.X)
        try:
            Xt = self.sm.transform(chunk.X)
        except (ValueError, TypeError) as exc:
            if not self.skip_bad_rows:
                raise _first_refused_row(self.sm, chunk, exc) from exc
        else:
            self.refused_run[0] = 0
            return chunk, Xt, bad_so_far, 0, 0
        try:
            keep = _rows_that_transform(self.sm, chunk.X, run=self.refused_run)
        except _TooManyRefused as many:
            last, error = many.args
            raise ValueError(
                f"{chunk.file}: more than {_MAX_TRANSFORM_REFUSED_RUN:,} rows in a row (up to "
                f"row {chunk.row_numbers[last]}) are refused by the pipeline's transformers "
                f"({error}); is the stream of the columns and types the pipeline expects?"
            ) from None
        refused = int((~keep).sum())
        chunk = replace(
            chunk,
            X=_take(chunk.X, keep),
            y=np.asarray(chunk.y)[keep],
            sample_weight=None if chunk.sample_weight is None else chunk.sample_weight[keep],
            row_numbers=np.asarray(chunk.row_numbers)[keep],
            bad_rows=chunk.bad_rows + refused,
        )
        Xt = self.sm.transform(chunk.X) if keep.any() else None
        return chunk, Xt, bad_so_far, refused, self.refused_run[0]

    def step(self, chunk, Xt, bad_so_far, refused, refused_run):
        """Score and train one batch (counting its rows in ``run.since_checkpoint``); returns
        the :class:`StreamProgress` for the ``progress`` callback (None without one, or when the
        batch had no row)."""
        final, run = self.final, self.run
        y = np.asarray(chunk.y)
        n = chunk.X.shape[0]
        self.refused += refused
        if n == 0 or Xt is None:
            run.position, run.refused_run = chunk.end, refused_run
            self.history.bad_rows = self.bad_rows_before + bad_so_far + self.refused
            return None
        held = _held_out(self.holdout, chunk.end.file, np.asarray(chunk.row_numbers))
        train = None if held is None else ~held

        def where(i):
            return f"{chunk.file}: row {int(chunk.row_numbers[i])}"

        class_index, n_classes = None, 0
        if self.sm.classifier:
            if self.classes is None:
                self.classes = self._classes_from(y if train is None else y[train], chunk)
            class_index = class_indices(self.classes, y, where)
            n_classes = self.classes.size
        with self._naming_the_batch(chunk):
            losses = row_losses(final, self.name, Xt, y, class_index, n_classes, self.fitted)
        weight = chunk.sample_weight  # (None: every row weighs 1)
        n_train = n if train is None else int(train.sum())
        if n_train:
            X_train, y_train = (Xt, y) if train is None else (Xt[train], y[train])
            fit_params = {}
            if weight is not None:
                _check_takes_sample_weight(final, f"{chunk.file}: the rows' weights")
                fit_params["sample_weight"] = weight if train is None else weight[train]
            # rows of weight 0 change nothing: a batch of them alone is not trained on
            # (partial_fit refuses weights that are all 0)
            if weight is None or fit_params["sample_weight"].any():
                with self._naming_the_batch(chunk):
                    if self.sm.classifier:
                        final.partial_fit(X_train, y_train, classes=self.classes, **fit_params)
                    else:
                        final.partial_fit(X_train, y_train, **fit_params)
                self.fitted = self.trained = self.trained_here = True
        # the batch is trained: record it (no exception can come after this point)
        # (weighted means of the losses, as scikit-learn's metrics take sample_weight)
        if weight is not None:
            losses = losses * weight
        train_losses = losses if train is None else losses[train]
        run.train_loss_sum += float(np.sum(train_losses))
        run.train_rows += n_train
        run.since_checkpoint += n_train
        run.train_weight += _weight_sum(weight, train, n_train)
        if held is not None:
            run.holdout_loss_sum += float(np.sum(losses[held]))
            run.holdout_rows += n - n_train
            run.holdout_weight += _weight_sum(weight, held, n - n_train)
        run.position, run.refused_run = chunk.end, refused_run
        history = self.history
        history.bad_rows = self.bad_rows_before + bad_so_far + self.refused
        history.rows += n_train
        progressive = _mean(run.train_loss_sum, run.train_weight)
        if _grown_for_the_curve(history):
            history.curve_rows.append(history.rows)
            history.curve_loss.append(progressive)
        if self.progress is None:
            return None
        return StreamProgress(
            run.pass_index,
            history.rows,
            run.train_rows,
            progressive,
            run.holdout_rows,
            _mean(run.holdout_loss_sum, run.holdout_weight),
            self.seconds(),
            chunk.file,
            final,
        )

    @contextmanager
    def _naming_the_batch(self, chunk):
        """The estimator's errors on a batch ("X has 4 features, but ... is expecting 5"), which
        name no batch, prefixed with the batch (of the caller's batches: its index, as the
        reader's errors give it) or the file and rows; of the same type."""
        try:
            yield
        except (ValueError, TypeError) as exc:
            numbers = chunk.row_numbers
            rows = f"rows {numbers[0]}-{numbers[-1]}" if len(numbers) else "no rows"
            where = (
                f"batch {chunk.end.row - 1} ({rows})"
                if isinstance(self.src, _IterableSource)
                else f"{chunk.file}: {rows}"
            )
            raise with_message(exc, f"{where}: {exc}") from exc

    def _every_row_bad(self):
        """What the reader and the transformers skipped when no row was trained on, naming the
        first malformed row (the reader's examples: a row the transformers refused is not
        one, so it is not called the first when there are such rows); "" when none was."""
        bad = self.bad_rows_before + self.src.bad_rows + self.refused
        if not bad:
            return ""
        examples = self.src.bad_row_examples
        if not self.refused:
            return f" (every row read was bad: {bad:,} skipped" + (
                f"; the first, {examples[0]})" if examples else ")"
            )
        return (
            f" (every row read was bad: {bad:,} skipped, {self.refused:,} of them refused by "
            "the pipeline's transformers"
            + (f"; the first malformed one, {examples[0]})" if examples else ")")
        )

    def end_pass(self, early_stop):
        run, history = self.run, self.history
        if not self.trained:
            raise ValueError(
                "the source gave no rows to train on"
                + (
                    " (every row was held out)"
                    if run.holdout_rows and not run.train_rows
                    else " (every row's weight was 0)"
                    if run.train_rows
                    else self._every_row_bad()
                )
                + "."
            )
        history.pass_rows.append(run.train_rows)
        history.pass_holdout_rows.append(run.holdout_rows)
        history.pass_progressive_loss.append(_mean(run.train_loss_sum, run.train_weight))
        if run.train_rows and history.curve_rows[-1:] != [history.rows]:  # the pass's end
            history.curve_rows.append(history.rows)
            history.curve_loss.append(history.pass_progressive_loss[-1])
        history.pass_holdout_loss.append(_mean(run.holdout_loss_sum, run.holdout_weight))
        history.pass_nonzero.append(_nonzero(self.final))
        history.pass_seconds.append(self.seconds())
        history.bad_rows = self.bad_rows_before + self.src.bad_rows + self.refused
        if early_stop is not None and run.pass_index + 1 < self.passes:
            history.stopped_early = _stops_early(history, early_stop)
        run.next_pass()

    def judge_resumed(self, early_stop):
        """On resume: the early-stopping rule on the passes the checkpoint holds, when another
        pass is to start (the run that wrote it did not judge its last pass if it was its
        last: with more passes now, the uninterrupted run would have). Without ``early_stop``
        an early stop recorded by the run that wrote it is lifted: the run goes on, as an
        uninterrupted run without ``early_stop`` would have."""
        run, history = self.run, self.history
        if history.n_passes and run.position == Position() and run.pass_index < self.passes:
            history.stopped_early = early_stop is not None and _stops_early(history, early_stop)


# the progressive-loss curve records a batch once the rows trained have grown by 1 % since
# its last record (and each pass's end): every batch of a run's first 100 or so, then ever
# fewer, so that it grows as the logarithm of the rows (a run of 10^9 rows in batches of
# 100: ~1,200 records where each batch made 10^7, rewritten at each checkpoint)
def _grown_for_the_curve(history):
    rows, recorded = history.rows, history.curve_rows
    return rows > 0 and (not recorded or 100 * (rows - recorded[-1]) >= recorded[-1])


def _is_fitted(estimator):
    if not hasattr(estimator, "fit"):  # (check_is_fitted refuses a model without fit)
        if hasattr(estimator, "__sklearn_is_fitted__"):
            return bool(estimator.__sklearn_is_fitted__())
        return any(v.endswith("_") and not v.startswith("__") for v in vars(estimator))
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _stops_early(history, early_stop):
    """Whether ``early_stop`` passes have gone by without a better holdout loss."""
    losses = history.pass_holdout_loss
    best = int(np.nanargmin(losses)) if not all(map(math.isnan, losses)) else 0
    return len(losses) - 1 - best >= early_stop


def _check_takes_sample_weight(final, what):
    """Refuse row weights for an estimator whose ``partial_fit`` takes no ``sample_weight``."""
    try:
        parameters = inspect.signature(final.partial_fit).parameters
    except (TypeError, ValueError):  # (no signature to read: partial_fit says when called)
        return
    if "sample_weight" not in parameters and not any(
        p.kind is p.VAR_KEYWORD for p in parameters.values()
    ):
        raise TypeError(
            f"{what}: {type(final).__name__}.partial_fit takes no sample_weight, so the rows "
            "cannot be weighted."
        )


def _mean(total, count):
    return total / count if count else float("nan")


def _weight_sum(weight, rows, n):
    """The weight of ``n`` rows (those of the mask ``rows``, None: all); without weights, n."""
    if weight is None:
        return float(n)
    return float(np.sum(weight if rows is None else weight[rows]))


def _unique_labels(labels, what, hint=""):
    """``np.unique(labels)``; labels that do not sort together (NumPy's TypeError "'<' not
    supported between 'float' and 'str'") are a ValueError naming ``what`` and their types."""
    try:
        return np.unique(np.asarray(labels))
    except TypeError:
        kinds = sorted({type(v).__name__ for v in np.asarray(labels).tolist()})
        raise ValueError(
            f"{what} are of types {kinds}, which do not sort together; give labels of one "
            f"kind{hint}."
        ) from None


def _check_labels_array(classes):
    """Refuse ``classes`` that are not a 1-D array-like of labels, as scikit-learn's
    ``partial_fit`` does: a set, an iterator, a string or a number was read as one label ("at
    least 2 labels, got [{0, 1}]") or failed on ``len()``."""
    if classes is None:
        return
    sequence = hasattr(classes, "__array__") or (
        hasattr(classes, "__len__") and hasattr(classes, "__getitem__")
    )
    try:
        dimensions = np.ndim(classes)
    except ValueError:  # (NumPy's "inhomogeneous shape": lists of other lengths)
        dimensions = None
    if isinstance(classes, (str, bytes, Mapping)) or not sequence or dimensions == 0:
        raise TypeError(  # (a NumPy scalar or 0-d array has __array__)
            "classes must be an array-like of labels (a list or an array), got "
            f"{type(classes).__name__} {classes!r:.100}."
        )
    if dimensions != 1:
        raise ValueError(
            "classes must be one-dimensional (a label each), got "
            f"{'lists of other lengths' if dimensions is None else f'{dimensions} dimensions'}"
            f": {classes!r:.100}."
        )


def _sorted_classes(classes):
    labels = _unique_labels(classes, "classes")
    if labels.size < 2:
        raise ValueError(f"classes must hold at least 2 labels, got {labels.tolist()}.")
    return labels


def same_classes(a, b):
    """The same labels: equal values when both are numbers (0 and 0.0), else equal text."""
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        return a.shape == b.shape and bool(np.all(a == b))
    return np.array_equal(a.astype(str), b.astype(str))


def _take(X, keep):
    return X.iloc[np.flatnonzero(keep)] if hasattr(X, "iloc") else X[keep]


def _row_slice(X, lo, hi):
    """Rows ``lo:hi`` of a DataFrame or an array."""
    return X.iloc[lo:hi] if hasattr(X, "iloc") else X[lo:hi]


# with skip_bad_rows, this many rows in a row that the transformers refuse, none accepted among
# them, stop the run: each costs about two transforms of its own (~1 ms for a hasher), a whole
# batch of them minutes, and such a stream is rather of another schema than the model's
_MAX_TRANSFORM_REFUSED_RUN = 10_000


class _TooManyRefused(Exception):
    """More than ``_MAX_TRANSFORM_REFUSED_RUN`` rows in a row refused: ``(index of the last
    row, its error)``."""


def _rows_that_transform(sm, X, run=None, first_only=False):
    """Mask of the rows of X that the transformers accept, found by bisection, the first
    rows first (slow path: only after a whole batch was refused). ``run``: a one-item list,
    the rows refused since the last accepted one (it spans batches); past
    ``_MAX_TRANSFORM_REFUSED_RUN`` the search stops with `_TooManyRefused`. ``first_only``:
    stop at the first refused row (the rows after it are left marked as accepted)."""
    keep = np.ones(X.shape[0], dtype=bool)
    found = []

    def check(lo, hi):
        if first_only and found:
            return
        try:
            sm.transform(_row_slice(X, lo, hi))
        except (ValueError, TypeError) as exc:
            if hi - lo == 1:
                keep[lo] = False
                found.append(lo)
                if run is not None:
                    run[0] += 1
                    if run[0] > _MAX_TRANSFORM_REFUSED_RUN:
                        raise _TooManyRefused(lo, exc) from None
                return
            mid = (lo + hi) // 2
            check(lo, mid)
            check(mid, hi)
        else:
            if run is not None:
                run[0] = 0

    check(0, X.shape[0])
    return keep


def _first_refused_row(sm, chunk, exc):
    """The error naming the first row of the chunk that the transformers refuse, with that
    row's own error; the chunk's rows and ``exc`` when that row alone is accepted (an error
    of the batch as a whole). The refused rows are looked for in halves, the first half
    first: about one transform of the chunk in all (a search for every refused row,
    `_rows_that_transform`, takes twice as many transforms as rows where all are refused)."""
    X, numbers = chunk.X, chunk.row_numbers

    def refuses(lo, hi):
        try:
            sm.transform(_row_slice(X, lo, hi))
        except (ValueError, TypeError) as part_exc:
            return part_exc
        return None

    lo, hi = 0, X.shape[0]  # (rows lo:hi hold a refused one, if refusals are row by row)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if refuses(lo, mid) is not None:
            hi = mid
        else:
            lo = mid
    row_exc = refuses(lo, lo + 1) if X.shape[0] else None
    if row_exc is None:  # rows refused together led the halves astray: every row's refusal
        refused = np.flatnonzero(~_rows_that_transform(sm, X, first_only=True))
        if refused.size:
            lo = int(refused[0])
            row_exc = refuses(lo, lo + 1)
    where, error = (
        (f"rows {numbers[0]}-{numbers[-1]}", exc)
        if row_exc is None
        else (f"row {numbers[lo]}", row_exc)
    )
    kind = TypeError if isinstance(error, TypeError) else ValueError
    return kind(f"{chunk.file}: {where}: {error}")


def _check_progress(run, history, src, path):
    """A checkpoint's position and history must agree with each other and with the source."""
    where = f"checkpoint {os.fspath(path)!r}"
    if history.n_passes != run.pass_index:
        raise ValueError(
            f"{where}: it records {history.n_passes} passes but stands in pass "
            f"{run.pass_index + 1}."
        )
    src._check_start(run.position)
    # a run stops early at the end of a pass (not its first): the position is the next one's start
    if history.stopped_early and (run.position != Position() or not history.n_passes):
        raise ValueError(
            f"{where}: it records an early stop in pass {run.pass_index + 1}, at {run.position}; "
            "a run stops early only at the end of a pass after its first."
        )
    rows = history.curve_rows
    if any(b < a for a, b in zip(rows, rows[1:])) or (rows and rows[-1] > history.rows):
        raise ValueError(f"{where}: its history of rows is inconsistent.")
    if (
        history.rows < run.train_rows
        or sum(history.pass_rows) > history.rows
        or run.since_checkpoint > run.train_rows  # (counted from the pass's start at most)
    ):
        raise ValueError(f"{where}: its row counts are inconsistent.")
    # the losses are means over these weights: files without a weight column weigh 1 a row
    unweighted = isinstance(src, _SVMLightSource) or (
        isinstance(src, _ArrowSource) and src.weight_column is None
    )
    for rows, weight in [
        (run.train_rows, run.train_weight),
        (run.holdout_rows, run.holdout_weight),
    ]:
        if (weight != rows) if unweighted else (weight and not rows):
            raise ValueError(
                f"{where}: its progress gives {rows:,} rows the weight {weight!r}; "
                + ("without a weight column each weighs 1." if unweighted else "none weigh 0.")
            )
