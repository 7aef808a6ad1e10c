"""One FTRL model trained on a Dask cluster: shards trained where their data live, states mixed.

:class:`DaskSparseFTRLClassifier` and :class:`DaskSparseFTRLRegressor` take the local
estimators' parameters plus ``mixing``, ``mixing_passes``, ``hasher`` and ``client``.
``fit`` takes a row-chunked dask array of CSR (or dense) blocks, or a dask DataFrame
with a :class:`~sparsereg.FeatureCrossHasher` that hashes each partition on the
worker holding it. The partitions are cut into contiguous shards, as many as there
are workers when ``fit`` starts (never by where Dask placed them, so a placement or
a loss does not change the model). Each round, a copy of the model is trained on
each shard's partitions (on the worker holding most of them) (``mixing_passes`` passes, in partition order) starting
from the current state, and the copies' states are combined by
:func:`~sparsereg.merge_ftrl_states` in a tree of pairwise merges on the workers, so
that only touched columns travel and the driver never gathers the shards. With
``mixing=None`` the partitions are trained one after another, the state travelling
from worker to worker: the model is bit-identical to ``partial_fit`` over the blocks
in order (with an int ``random_state``: a ``RandomState`` given is drawn once for a seed
shared by every copy, where ``partial_fit`` shuffles with the generator itself).

A round is a pure function of (state, partitions), so when a worker is lost Dask
recomputes its tasks elsewhere and ``fit`` gives the same model (with ``n_threads=1``, the
default: several threads train a copy lock-free, not bit-reproducibly, on Dask as locally).

``predict``, ``predict_proba`` and ``decision_function`` return lazy dask arrays; ``score``
(accuracy, R^2) sums each partition's matches or errors on the cluster and returns a float
(with ``client=None`` and no default client, as where a fitted model is loaded with no cluster
running, by dask's own scheduler, as the predictions are computed; ``fit`` needs a cluster).
The warnings that ``fit``'s and ``score``'s tasks raise on the workers are raised again on the
client, each distinct one once (as a ``UserWarning`` naming its class where the client has no
such class or it takes more than the message); those of the lazy prediction arrays, computed
by the caller, stay on the workers.
"""

import contextlib
import copy
import inspect
import uuid
import warnings
from numbers import Integral

import numpy as np

try:
    import dask
    import dask.array as da
    from distributed import Client, default_client, wait
except ImportError as error:  # pragma: no cover - exercised without dask installed
    raise ImportError(
        "sparsereg.dask needs dask and distributed: pip install 'sparsereg[dask]'"
    ) from error

from typing import Any, TypeVar

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_random_state, compute_class_weight, get_tags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from ._checked_score import refuse_bad_weights
from ._column_kinds import dtype_kind, values_kind, warn_of_other_kinds
from ._losses import gives_probabilities
from ._merge import merge_ftrl_states
from ._missing import refuse_masked, refuse_pandas_na
from ._named_errors import with_message
from ._optional_methods import available_when
from ._state_params import without_params
from ._training_lock import TrainingLock
from ._typing import ArrayLike
from ._validation import beyond_float64, refuse_non_number_values
from ._worker_warnings import joined, reissue, with_recorded_warnings
from .crosses import FeatureCrossHasher
from .linear_model import (
    MANY_LABELS,
    SparseFTRLClassifier,
    SparseFTRLRegressor,
    _checked_classes,
    _distinct_labels,
    check_label_type,
    may_warn_of_many_labels,
    refuse_untrainable_classes,
)

__all__ = ["DaskSparseFTRLClassifier", "DaskSparseFTRLRegressor"]

_DASK_PARAMETERS = (
    inspect.Parameter("mixing", inspect.Parameter.KEYWORD_ONLY, default="average"),
    inspect.Parameter("mixing_passes", inspect.Parameter.KEYWORD_ONLY, default=1),
    inspect.Parameter("hasher", inspect.Parameter.KEYWORD_ONLY, default=None),
    inspect.Parameter("client", inspect.Parameter.KEYWORD_ONLY, default=None),
)


# max_iter counts passes over the partitions, and tol is not used: one pass unless asked
_DASK_DEFAULTS = {"max_iter": 1}

# (hasher and client are checked where they are used, with messages of their own)
_DASK_CONSTRAINTS = {
    "mixing": [StrOptions({"average"}), None],
    "mixing_passes": [Interval(Integral, 1, None, closed="left")],
    "hasher": "no_validation",
    "client": "no_validation",
}


def _init_with_local_parameters(local):
    """An ``__init__`` taking ``local``'s parameters and the Dask ones, storing each as is.

    Its signature is spelled out (``__signature__``) so that ``get_params``, ``clone`` and
    ``set_params`` see every parameter, and the list stays the local estimator's.
    """
    signature = inspect.signature(local.__init__)
    parameters = [
        p.replace(default=_DASK_DEFAULTS[p.name]) if p.name in _DASK_DEFAULTS else p
        for p in signature.parameters.values()
    ]
    signature = signature.replace(parameters=[*parameters, *_DASK_PARAMETERS])

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


# ---------------------------------------------------------------- worker functions
def _rows(X):
    return X.shape[0]


def _train_shard(local, params, start, blocks, passes, classes, hasher, kinds, indices):
    """Train a copy of the model from ``start`` on ``blocks`` [(X, y, sample_weight), ...],
    in order, partitions ``indices`` of the data (which an error names), hashing them with
    ``hasher`` and warning of a column holding another kind than ``kinds`` (``hasher_``'s).

    Returns ``(state, weight trained, warnings)``: the rows trained, or their sample weights'
    sum where weights are given (the copy's share in the average), and the warnings raised
    (``_worker_warnings``), those ``start`` carried included. ``start`` None means a new model,
    else it is such a triple: the previous partition's or round's.
    """
    state, earlier = (None, []) if start is None else (start[0], start[2])
    (state, rows), records = with_recorded_warnings(
        _trained_copy, local, params, state, blocks, passes, classes, hasher, kinds, indices
    )
    return state, rows, joined(earlier, records)


def _trained_copy(local, params, state, blocks, passes, classes, hasher, kinds, indices):
    """``(state, weight trained)`` of ``_train_shard``'s copy."""
    estimator = local(**params)
    if state is not None:  # (a copy's, of these parameters)
        estimator.set_ftrl_state(without_params(state))
    rows = 0
    for _ in range(passes):
        for index, (X, y, sample_weight) in zip(indices, blocks):
            if len(y) == 0:  # an empty partition (before hashing: the hasher refuses 0 rows)
                continue
            first = (
                {"classes": classes} if classes is not None and not hasattr(estimator, "t_") else {}
            )
            if sample_weight is not None:
                first["sample_weight"] = sample_weight = np.asarray(sample_weight)
            try:  # (the estimator's and the hasher's messages name no partition)
                if hasher is not None:
                    if kinds:
                        warn_of_other_kinds(X, kinds, _KINDS_RECORDED, _KINDS_ADVICE)
                    X = hasher.transform(X)
                estimator.partial_fit(X, np.asarray(y), **first)
            except (ValueError, TypeError) as exc:
                raise with_message(exc, f"partition {index}: {exc}") from exc
            rows += X.shape[0] if sample_weight is None else float(_as_numbers(sample_weight).sum())
    if not hasattr(estimator, "t_"):
        return state, 0
    return estimator.get_ftrl_state(), rows


# the warning of a partition's column holding another kind than hasher_ records (the first
# partition holding values decided an object column's): its rows miss an exported model
_KINDS_RECORDED = (
    "the model's hasher_ records it as {trained} (by its dtype, or the values of its first "
    "partition holding some), as an exported model reads it from a file"
)
_KINDS_ADVICE = ", in every partition"

_PROBED_PARTITIONS = 16  # the most partitions read again to find a column's first values


def _fitted_hasher(hasher, X, client):
    """A clone of ``hasher`` fitted on the columns of dask DataFrame ``X``: their names, and
    their kinds (``column_kinds_``), which an export records for ``sparsereg predict`` to read
    files' columns as trained (a zip of text read as text). A kind is the dtype's where it
    decides one (pandas' and Arrow's strings 'text'; a categorical's only with known
    categories: unknown ones are a placeholder str in ``_meta``), else that of the values of
    the first partition holding some (object columns the hasher hashes without buckets:
    their partitions computed once more on ``client``, in order, at most
    ``_PROBED_PARTITIONS``), as a stream's first file holding a value decides. Another
    transformer: itself."""
    if not isinstance(hasher, FeatureCrossHasher):
        return hasher
    import pandas as pd  # (a dask DataFrame: pandas is there)
    from dask.dataframe.utils import has_known_categories

    meta = X._meta

    def by_dtype(column):
        if isinstance(column.dtype, pd.CategoricalDtype) and not has_known_categories(column):
            return None
        return dtype_kind(column)

    named = all(isinstance(name, str) for name in meta.columns)
    noted = hasher._kind_columns(meta.columns) if named else []
    pending = [name for name in noted if by_dtype(meta[name]) is None]
    # datetimes bucketed without tz whose dtype does not say whether they are timezone-aware
    # (text, objects): their first values do
    dated = {
        name: spec
        for name, spec in hasher._dated_columns(meta.columns).items()
        if spec.awareness(meta[name], name, pd, by_dtype=True) is None
    }
    found, aware = {}, {}
    for index in range(min(X.npartitions, _PROBED_PARTITIONS)):
        if not pending and not dated:
            break
        with _released_on_error(client) as futures:  # (a failure's error held none)
            read = list(dict.fromkeys([*pending, *dated]))
            futures.append(client.compute(X[read].partitions[index]))
            part = futures[-1].result()
        for name in list(pending):
            kind = values_kind(part[name]) if len(part) else None
            if kind is not None:
                found[name] = kind
                pending.remove(name)
        for name, spec in list(dated.items()):
            found_aware = spec.awareness(part[name], name, pd)
            if found_aware is not None:
                aware[name] = found_aware
                del dated[name]

    def kind_of(column):
        kind = by_dtype(column)
        return found.get(column.name) if kind is None else kind

    return clone(hasher)._fitted_on_columns(meta, kind_of, aware)


def _frame_parts(frame):
    """The delayed partitions of a dask DataFrame or Series, ``npartitions`` of them. Optimized,
    a narrow projection of a Parquet read may be cut in fewer (dask-expr fuses them:
    ``df["label"]`` of 8 files in 3), and ``X = df[features]``, ``y = df["label"]`` were refused
    as partitioned otherwise: such a one is taken unoptimized."""
    parts = frame.to_delayed()
    if len(parts) != getattr(frame, "npartitions", len(parts)):
        parts = frame.to_delayed(optimize_graph=False)
    return parts


def _row_parts(values, name, x_parts, x_is_frame):
    """The delayed row blocks of ``values`` (``y`` or ``sample_weight``: a 1-D dask array or
    a dask Series), as many as ``X``'s (``x_is_frame``: X's are a dask DataFrame's)."""
    if isinstance(values, da.Array):
        if values.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got {values.ndim} dimension(s).")
        parts = values.to_delayed().ravel().tolist()
    elif hasattr(values, "to_delayed"):
        parts = _frame_parts(values)
    else:
        raise TypeError(
            f"{name} must be a dask array or Series partitioned as X, got {type(values).__name__}."
        )
    if len(parts) != len(x_parts):
        if x_is_frame and isinstance(values, da.Array):
            # (ddf["label"].to_dask_array() of a narrow Parquet projection: dask-expr fused its
            # partitions, and to_dask_array(lengths=True) fails on it)
            fix = (
                f"give {name} as the dask Series itself (ddf['label'], not its "
                "to_dask_array(), whose blocks dask may have merged), partitioned as X"
            )
        elif not x_is_frame and not isinstance(values, da.Array):
            fix = (
                f"partition them alike, or give {name} as a dask array of known row blocks "
                "(to_dask_array(lengths=True)): it is then rechunked to X's"
            )
        else:
            fix = "partition them alike"
        raise ValueError(f"X has {len(x_parts)} row blocks but {name} has {len(parts)}: {fix}.")
    return parts


def _refuse_weight_not_1d(sample_weight):
    """A dask ``sample_weight`` of more than one dimension refused, a one-column DataFrame
    included (which ``y`` may be), as scikit-learn's ``_check_sample_weight`` refuses them."""
    ndim = getattr(sample_weight, "ndim", 1)
    if hasattr(sample_weight, "to_delayed") and ndim != 1:
        frame = hasattr(sample_weight, "columns")  # (not a Series: its ndim is 1)
        frame = " (a dask DataFrame: give its column, a Series)" if frame else ""
        raise ValueError(f"sample_weight must be 1-D, got {ndim} dimension(s){frame}.")


def _refuse_y_not_1d(y):
    """A dask array ``y`` of other than one dimension, or a dask DataFrame of other than one
    column, refused before any task, by ``fit`` and ``score`` alike (a DataFrame's one column
    is taken as ``y``, as ``column_or_1d`` takes it)."""
    if isinstance(y, da.Array) and y.ndim != 1:
        raise ValueError(f"y must be 1-D, got a dask array of {y.ndim} dimension(s).")
    if hasattr(y, "to_delayed") and getattr(y, "ndim", 1) == 2 and hasattr(y, "columns"):
        if len(y.columns) != 1:
            raise ValueError(
                "y must be 1-D: a dask array, a Series or a DataFrame of one column; got a "
                f"dask DataFrame of {len(y.columns)} columns."
            )


def _block(X, y, sample_weight, index, width):
    """Partition ``index`` of the training data, its lengths checked (a dask DataFrame's, or
    an array's of unknown chunks, are known only now), and the width of a dask array's block
    (``width``: X's, NaN where unknown; None for a DataFrame)."""
    if width is not None and not np.isnan(width) and X.shape[0] and X.shape[1] != width:
        # (an empty block, which no step trains on, may be a csr_matrix((0, 0)))
        # (fit took the blocks' width and predict then refused X itself, or the local model
        # refused a later partition, naming another one)
        raise ValueError(
            f"partition {index} of X: a block of {X.shape[1]} columns in a dask array of "
            f"{int(width)} (X.shape[1]); make each block as wide as X (a scipy matrix made "
            "without shape= is as wide as its largest column index + 1)."
        )
    rows = {"X": X.shape[0], "y": len(y)}
    if sample_weight is not None:
        rows["sample_weight"] = len(sample_weight)
    if len(set(rows.values())) > 1:
        counts = ", ".join(f"{name} has {n}" for name, n in rows.items())
        raise ValueError(f"partition {index} of the data: {counts} rows; partition them alike.")
    # (a masked chunk's mask is known only now; np.asarray, before partial_fit, drops it)
    for name, values in (("X", X), ("y", y), ("sample_weight", sample_weight)):
        try:
            refuse_masked(values, name, "partial_fit")
        except TypeError as exc:
            raise TypeError(f"partition {index}: {exc}") from None
    if sample_weight is not None:  # (an object array's text is known only now)
        try:
            refuse_non_number_values(sample_weight, "sample_weight", "partial_fit")
        except ValueError as exc:
            raise ValueError(f"partition {index}: {exc}") from None
    if sample_weight is not None and len(sample_weight) and not np.any(_as_numbers(sample_weight)):
        # (the local partial_fit, which trains each partition, refuses such a batch unnamed)
        raise ValueError(
            f"partition {index} of sample_weight: every weight is 0; each partition is trained "
            "by partial_fit, which needs a non-zero weight: drop that partition."
        )
    return X, y, sample_weight


def _shape_of(block):
    """The shape of a ``_block``'s X."""
    return block[0].shape


def _as_numbers(sample_weight):
    """``sample_weight`` as the float64 weights the local ``partial_fit`` trains with (None in
    an object array as NaN), or NaN where it refuses them (naming the problem), so that no
    weights it refuses are taken for zeros."""
    values = np.asarray(sample_weight)
    if values.dtype.kind != "c":  # (complex ones are refused; cast, they warned)
        # (an int beyond float64, 10**400, is an OverflowError: partial_fit names it)
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            return values.astype(np.float64, copy=False)
    return np.full(len(values), np.nan)


@contextlib.contextmanager
def _seceded_on_a_worker():
    """On a worker's task thread (a ``fit`` or ``score`` run in a task: GridSearchCV under
    joblib's dask backend runs each candidate so), leave the worker's thread pool while the
    call waits on its own tasks, and rejoin it after, as ``distributed.worker_client`` does:
    calls filling every thread of the cluster waited for tasks no thread was left to run."""
    from distributed import threadpoolexecutor
    from distributed.threadpoolexecutor import rejoin
    from distributed.worker import get_worker, secede, thread_state

    try:
        get_worker()
        thread_state.start_time  # noqa: B018 (set on a task's thread only)
        # (distributed's pool, which secede leaves: a worker given a standard library
        # ThreadPoolExecutor has none, and there secede raised AttributeError)
        threadpoolexecutor.thread_state.executor  # noqa: B018
    except (ValueError, AttributeError):  # not in a task of distributed's pool
        yield
        return
    try:
        secede()
    except KeyError:  # (already seceded: the task's own worker_client, say)
        yield
        return
    try:
        yield
    finally:
        rejoin()


@contextlib.contextmanager
def _released_on_error(client):
    """A list to fill with futures, released if the block raises. The error's traceback holds
    the frames holding them, and distributed keeps the error (a task's) while they live: the
    partitions stayed in the workers' memory for the client's life after a failed ``fit``.
    (Released, not cancelled: ``client.cancel`` asserts on the scheduler, which then drops the
    client, when a dependent task is no longer wanted: a finished round's.)"""
    futures = []
    try:
        yield futures
    except BaseException:
        for future in futures:
            with contextlib.suppress(Exception):  # (a closed client: nothing held any more)
                future.release()
        raise


def _one_seed(random_state):
    """``random_state`` as one int shared by every copy (an int stays as it is), and the
    generator it was drawn from: a copy of a ``RandomState`` given, so that a ``fit`` that fails
    leaves it as it was (the local estimator's does), to be copied back once ``fit`` succeeds."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return random_state, None
    if isinstance(random_state, np.random.RandomState):
        random_state = copy.deepcopy(random_state)
    generator = check_random_state(random_state)
    return int(generator.randint(np.iinfo(np.int32).max)), generator


def _merge_pair(a, b, base):
    """Two ``_train_shard`` triples merged into one; ``base`` the triple both started from."""
    (state_a, rows_a, records_a), (state_b, rows_b, records_b) = a, b
    records = joined(records_a, records_b)
    if rows_a == 0 or rows_b == 0:
        state, rows = (state_a, rows_a) if rows_b == 0 else (state_b, rows_b)
        return state, rows, records
    base = None if base is None else base[0]
    merged = merge_ftrl_states([state_a, state_b], weights=[rows_a, rows_b], base=base)
    return merged, rows_a + rows_b, records


def _distinct(y, index, counted):
    """``(the distinct labels of partition index of y, its rows, each label's rows or None)``
    (``counted``: the rows are counted); ``y`` is checked as the local classifier checks one (a
    missing label, labels that do not sort together...)."""
    try:
        refuse_pandas_na(y)
        y = check_array(
            column_or_1d(y), ensure_2d=False, dtype=None, ensure_min_samples=0, input_name="y"
        )
        labels = _distinct_labels(y)
        if labels.size:
            check_label_type(y, labels)
    except ValueError as error:
        raise ValueError(f"partition {index} of y: {error}") from error
    # (each row's place among the sorted labels found above: no second sort of y)
    counts = np.bincount(np.searchsorted(labels, y), minlength=labels.size) if counted else None
    return labels, len(y), counts


def _balanced_weights(classes, labels, counts, rows):
    """``class_weight='balanced'``'s weights, ``rows / (n_classes * rows of the class)`` as the
    local ``fit`` computes them (``compute_class_weight``), from the whole y's ``labels`` and
    their ``counts``; a class of no row is refused (its weight would be infinite)."""
    index_of = {c: k for k, c in enumerate(classes.tolist())}
    unknown = [label for label in labels.tolist() if label not in index_of]
    if unknown:  # (as each partition's partial_fit would refuse them, said first)
        raise ValueError(f"y contains labels not in classes {classes!r}: {unknown[:20]!r}")
    position = {label: k for k, label in enumerate(labels.tolist())}
    missing = [c for c in classes.tolist() if c not in position]
    if missing:
        raise ValueError(
            f"class_weight='balanced' weighs each class by the inverse of its rows, and the "
            f"classes {missing[:20]!r} have none in y: drop them from classes, or give "
            "class_weight as a dict."
        )
    n = np.array([counts[position[c]] for c in classes.tolist()], dtype=np.float64)
    return dict(zip(classes.tolist(), (rows / (len(classes) * n)).tolist()))


def _all_labels(found):
    """The distinct labels of all the partitions, from each partition's."""
    found = [labels for labels in found if labels.size] or found
    kinds = {labels.dtype.kind for labels in found}
    if len(kinds) > 1 and kinds & set("OSU"):
        # partitions of numbers and of strings: as objects (NumPy would turn the numbers into
        # strings), which _distinct_labels refuses as it refuses such a y
        found = [labels.astype(object) for labels in found]
    return _distinct_labels(np.concatenate(found))


def _gathered_labels(client, y_parts, counted=False):
    """``(the distinct labels of all the partitions y_parts, the warnings raised, each label's
    rows or None, the rows)`` (``counted``: the rows of each label are counted), computed on
    the workers (their futures released with this frame, or on error)."""
    with _released_on_error(client) as futures:
        futures.extend(
            client.compute(
                [
                    dask.delayed(with_recorded_warnings)(_distinct, part, i, counted)
                    for i, part in enumerate(y_parts)
                ]
            )
        )
        found = client.gather(futures)
    parts = [part for part, _ in found]
    labels = _all_labels([part_labels for part_labels, _, _ in parts])
    # more labels than half the rows is said of the whole y, as the local fit says it (a
    # partition's few rows warned of any multiclass y cut in enough partitions)
    rows = sum(n for _, n, _ in parts)
    said = [record for _, records in found for record in records if record[2] != MANY_LABELS]
    if labels.size > 2 and may_warn_of_many_labels(labels.size, rows):
        said.append(("builtins", "UserWarning", MANY_LABELS))
    counts = None
    if counted:  # (labels meet as Python objects: a partition's 1 and another's 1.0 are one)
        position = {label: k for k, label in enumerate(labels.tolist())}
        counts = np.zeros(labels.size, dtype=np.int64)
        for part_labels, _, part_counts in parts:
            for label, n in zip(part_labels.tolist(), part_counts.tolist()):
                counts[position[label]] += n
    return labels, joined(said), counts, rows


def _computed(client, tasks):
    """The values of dask ``tasks`` (collections or delayed), computed on ``client``'s cluster
    (their futures released then, or on error), or by dask's own scheduler when it is None."""
    if client is None:
        return list(dask.compute(*tasks))
    with _released_on_error(client) as futures:
        futures.extend(client.compute(tasks))
        return client.gather(futures)


def _predict_rows(X, method, estimator, empty):
    return _predict_block(method, estimator, None, X, empty)


def _without_own_kinds(hasher, kinds, fitted=None, meta=None):
    """``hasher`` as the workers apply it when ``kinds`` (``hasher_``'s) are checked: a hasher
    given fitted warned of its own kinds too, in other words, so a copy without them (those
    an export records are the ones checked); and with the ``datetime_aware_`` of ``fitted``
    (``hasher_``) of the columns whose dtypes in ``meta`` (the dask DataFrame's ``_meta``) do
    not tell (text: each partition's are checked as it is hashed; the others on the client,
    from their dtypes), not its own."""
    aware = getattr(fitted, "datetime_aware_", None) or {}
    if aware and meta is not None:
        told = fitted._dtype_awareness(meta)
        aware = {
            name: value for name, value in aware.items() if name in told and told[name] is None
        }
    own = [
        name
        for name in ("column_kinds_" if kinds else None, "datetime_aware_")
        if name and getattr(hasher, name, None)
    ]
    if own or aware:
        hasher = copy.copy(hasher)
        for name in own:
            delattr(hasher, name)
        if aware:
            hasher.datetime_aware_ = aware
    return hasher


def _predict_block(method, estimator, hasher, X, empty, kinds=None):
    if X.shape[0] == 0:
        return empty
    if hasher is not None:
        if kinds:  # (as fit warns of a partition's column of another kind than hasher_'s)
            warn_of_other_kinds(X, kinds, _KINDS_RECORDED, _KINDS_ADVICE)
        X = hasher.transform(X)
    return getattr(estimator, method)(X)


def _aligned(values, name, chunks):
    """``values`` (``y`` or ``sample_weight``) in X's row blocks ``chunks`` when both are known
    (neither a score nor the model depends on how its blocks were cut, only X's), as they are
    otherwise."""
    if (
        isinstance(values, da.Array)
        and values.ndim == 1
        and not any(np.isnan(c) for c in values.chunks[0] + chunks)
        and values.chunks[0] != chunks
    ):
        if sum(values.chunks[0]) != sum(chunks):
            raise ValueError(f"X has {sum(chunks)} rows but {name} has {sum(values.chunks[0])}.")
        values = values.rechunk((chunks,))
    return values


def _recorded_score_sums(metric, predicted, y, sample_weight, index):
    """``(_score_sums, the warnings raised)``, those of the predictions ``predicted``
    (``(y_pred, warnings)``) included."""
    y_pred, earlier = predicted
    sums, records = with_recorded_warnings(_score_sums, metric, y_pred, y, sample_weight, index)
    return sums, joined(earlier, records)


def _refuse_unscorable(metric, y, sample_weight, where=""):
    """Refuse what the local estimators' ``score`` refuses: a masked ``y`` or
    ``sample_weight`` (``np.asarray`` drops the mask: the hidden values were scored), and
    weights, or an r2 ``y``, of text, dates or durations (read as numbers); ``where``
    (``"partition 3: "``) begins the message."""
    try:
        for name, values in (("y", y), ("sample_weight", sample_weight)):
            refuse_masked(values, name, "score")
            if name == "sample_weight" or metric == "r2":
                refuse_non_number_values(values, name, "score")
        if not where:  # (weights in memory; a partition's are checked once read as numbers)
            refuse_bad_weights(sample_weight)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where}{error}") from None


def _score_sums(metric, y_pred, y, sample_weight, index):
    """Partition ``index``'s sums for ``metric`` (accuracy: rows, weight correct, weight;
    r2: rows, weight, weighted mean of y, weighted squares about it, weighted squared errors)."""
    try:  # (else pandas' "boolean value of NA is ambiguous")
        refuse_pandas_na(y)
    except ValueError as error:
        raise ValueError(f"partition {index} of y: {error}") from error
    _refuse_unscorable(metric, y, sample_weight, f"partition {index}: ")
    # (a one-column DataFrame's partition is 2-D: compared as such with y_pred, it broadcast)
    y_pred, y = np.asarray(y_pred), column_or_1d(np.asarray(y), warn=True)
    try:
        weight = (
            None
            if sample_weight is None
            else column_or_1d(np.asarray(sample_weight, dtype=np.float64), warn=True)
        )
    except OverflowError:
        raise ValueError(f"partition {index}: {beyond_float64('sample_weight')}") from None
    if len(y) != len(y_pred) or (weight is not None and len(weight) != len(y)):
        counts = f"X has {len(y_pred)}, y has {len(y)}"
        if weight is not None:
            counts += f", sample_weight has {len(weight)}"
        raise ValueError(f"partition {index} of the data: {counts} rows; partition them alike.")
    if weight is not None and not np.all(np.isfinite(weight)):  # (a NaN sum gave a NaN score)
        raise ValueError(
            f"partition {index} of sample_weight: Input sample_weight contains NaN or infinity."
        )
    if weight is not None and np.any(weight < 0):  # (as fit and the local score refuse it)
        raise ValueError(
            f"partition {index} of sample_weight: Negative values in data passed to "
            "`sample_weight`."
        )
    if metric == "accuracy":
        if len(y):  # scikit-learn's checks of the labels (else a string y scored 0 on numbers)
            from sklearn.metrics import accuracy_score

            try:
                accuracy_score(y, y_pred)
            except ValueError as error:
                raise ValueError(f"partition {index} of y: {error}") from error
        correct = y == y_pred
        if weight is None:  # counts: exact, as scikit-learn's mean of the matches
            return len(y), int(np.count_nonzero(correct)), len(y)
        return len(y), float(weight[correct].sum()), float(weight.sum())
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"partition {index} of y: Input y contains NaN or infinity.")
    weight = np.ones(len(y)) if weight is None else weight
    total = float(weight.sum())
    if len(y) and np.ptp(y) == 0:  # a constant y: its mean and squares exactly (r2_score's
        # force-finite branch is then reached whatever the partitions)
        return len(y), total, float(y[0]), 0.0, float(weight @ (y - y_pred) ** 2)
    mean = float(weight @ y) / total if total else 0.0
    return len(y), total, mean, float(weight @ (y - mean) ** 2), float(weight @ (y - y_pred) ** 2)


def _joined_score(metric, sums):
    """``metric`` from the partitions' sums, as scikit-learn's accuracy_score and r2_score."""
    rows = sum(s[0] for s in sums)
    if rows == 0:  # (as scikit-learn's metrics refuse an empty input)
        raise ValueError("X has no rows (every partition is empty): no score.")
    if metric == "accuracy":
        correct, total = sum(s[1] for s in sums), sum(s[2] for s in sums)
        if total == 0:
            raise ValueError("sample_weight sums to zero: no accuracy.")
        return float(correct / total)
    if rows < 2:
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=4,  # score's caller
        )
        return float("nan")
    total, mean, squares, errors = 0.0, 0.0, 0.0, 0.0
    for _, w, m, m2, res in sums:  # weighted means and squares joined pairwise (Chan et al.)
        errors += res
        if w == 0:
            continue
        delta, joined = m - mean, total + w
        squares += m2 + delta * delta * total * w / joined
        mean += delta * w / joined
        total = joined
    if total == 0:
        raise ValueError("sample_weight sums to zero: no R^2.")
    if squares == 0:  # scikit-learn's force_finite: a constant y
        return 1.0 if errors == 0 else 0.0
    return float(1 - errors / squares)


#: the estimator ``fit`` is called on, which it returns (``typing.Self`` is Python 3.11+)
_DaskEstimator = TypeVar("_DaskEstimator", bound="_DaskFTRL")


class _DaskFTRL(TrainingLock, BaseEstimator):
    """What the two Dask estimators share. Not for direct use."""

    _local = None  # the local estimator class

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.hasher is None:  # row blocks of CSR matrices or NumPy arrays, as the local model
            tags.input_tags.sparse = True
            return tags
        # a dask DataFrame of the raw columns the hasher takes (strings, categories, NaN for a
        # FeatureCrossHasher), never a dask array (refused)
        with contextlib.suppress(ValueError, AttributeError, TypeError):  # (not an estimator)
            tags.input_tags = copy.deepcopy(get_tags(self.hasher).input_tags)
        tags.input_tags.sparse = False
        return tags

    def _local_params(self):
        names = inspect.signature(self._local.__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def _client(self):
        """``client``, or the default client when None."""
        if self.client is None:
            return default_client()
        if not isinstance(self.client, Client):  # (else an AttributeError from inside fit)
            raise TypeError(
                f"client must be a distributed.Client or None, got {type(self.client).__name__}"
                f" ({self.client!r}): connect one with Client(address)."
            )
        if self.client.status in ("closing", "closed"):  # (distributed's ClosedClientError)
            raise ValueError(
                f"client {self.client!r} is closed: connect another with Client(address), or "
                "set client=None to use the default client."
            )
        return self.client

    def _scoring_client(self):
        """``_client()``, or None where ``client`` is None and there is no default client: a
        score is then computed by dask's own scheduler, as ``predict(X).compute()`` is (fit
        needs a cluster; a fitted model loaded where none runs scores as it predicts)."""
        if self.client is None:
            try:
                return default_client()
            except ValueError:  # ("No clients found")
                return None
        return self._client()

    def _validate_dask_params(self):
        # the local parameters' constraints and the Dask ones, the Dask class named (a mixing or
        # an early_stopping of an array was "The truth value of an array ... is ambiguous")
        self._validate_params()
        if self.early_stopping:
            raise ValueError(
                "early_stopping is not available on Dask: hold out a partition and "
                "score it with the fitted model."
            )
        if self.warm_start:
            raise ValueError(
                "warm_start is not available on Dask (each fit starts afresh): to go on "
                "training a fitted model, train its local copy (to_local()) with partial_fit."
            )
        params = self._local_params()
        if params.get("class_weight") == "balanced":  # (computed from the gathered labels)
            params["class_weight"] = None
        self._local(**params)._more_validate_params(for_partial_fit=True)

    def _x_parts(self, X):
        """``(delayed row blocks of X, their lengths)`` (NaN where unknown), ``X`` checked as
        ``fit`` and the predictions take it: a row-chunked 2-D dask array without ``hasher``,
        or a dask DataFrame with one."""
        if isinstance(X, da.Array):
            if X.ndim != 2:
                raise ValueError(f"X must be a 2-D dask array, got {X.ndim} dimension(s).")
            if len(X.chunks[1]) != 1:
                raise ValueError(
                    f"X is chunked along its columns ({len(X.chunks[1])} column blocks): each "
                    "block must hold whole rows. Rechunk it with X.rechunk({1: -1})."
                )
            if self.hasher is not None:
                raise ValueError(
                    "hasher is for a dask DataFrame of raw columns; X is already a "
                    "numeric dask array."
                )
            return X.to_delayed().ravel().tolist(), X.chunks[0]
        if hasattr(X, "to_delayed") and hasattr(X, "npartitions"):
            if getattr(X, "ndim", None) != 2:  # (a dask Series has columns too)
                raise ValueError(
                    f"X must be 2-D: a dask DataFrame, got a dask {type(X).__name__} (a Series "
                    "is made one by X.to_frame())."
                )
            if self.hasher is None:
                raise ValueError(
                    "X is a dask DataFrame but hasher is None: a dask DataFrame needs a "
                    "FeatureCrossHasher (hasher=...) to turn each partition into a sparse "
                    "matrix on its worker; give numeric columns as a dask array "
                    "(X.to_dask_array())."
                )
            if isinstance(self.hasher, type) or not callable(
                getattr(self.hasher, "transform", None)
            ):
                # (else each partition failed on its worker, once computed)
                raise TypeError(
                    "hasher must be a FeatureCrossHasher (or another transformer with a "
                    f"transform method) or None, got {self.hasher!r}."
                )
            parts = _frame_parts(X)
            return parts, (np.nan,) * len(parts)
        raise TypeError(
            f"X must be a dask array or a dask DataFrame, got {type(X).__name__}; "
            "for in-memory data use the local estimator."
        )

    def _blocks(self, X, y, sample_weight=None):
        """Delayed ``(X, y, sample_weight)`` blocks of the training data, in partition order
        (``sample_weight`` None in each when None)."""
        x_parts = self._x_parts(X)[0]
        _refuse_y_not_1d(y)
        _refuse_weight_not_1d(sample_weight)
        if isinstance(getattr(sample_weight, "dtype", None), np.dtype):
            # text, dates or durations, as the local estimator refuses them: before any
            # partition is computed (objects, and pandas' own dtypes such as Float64 or
            # category, which NumPy cannot make, are looked at in each partition, _block)
            refuse_non_number_values(
                np.empty(0, dtype=sample_weight.dtype), "sample_weight", type(self).__name__
            )
        if isinstance(X, da.Array):  # rechunked to X's row blocks when all are known
            y = _aligned(y, "y", X.chunks[0])
            sample_weight = _aligned(sample_weight, "sample_weight", X.chunks[0])
        x_is_frame = not isinstance(X, da.Array)
        y_parts = _row_parts(y, "y", x_parts, x_is_frame)
        w_parts = [None] * len(x_parts)
        if sample_weight is not None:
            w_parts = _row_parts(sample_weight, "sample_weight", x_parts, x_is_frame)
        known = [
            (name, a.chunks[0])
            for name, a in (("X", X), ("y", y), ("sample_weight", sample_weight))
            if isinstance(a, da.Array) and not any(np.isnan(c) for c in a.chunks[0])
        ]
        for name, chunks in known[1:]:
            if chunks != known[0][1]:
                raise ValueError(
                    f"{known[0][0]}'s row blocks {known[0][1]} and {name}'s {chunks} differ."
                )
        return list(zip(x_parts, y_parts, w_parts))

    def _trained_state(
        self, client, blocks, classes, params, kinds, futures, width, fitted=None, meta=None
    ):
        """``(the final state, shards_, the warnings raised)`` of training ``params``' model on
        ``blocks`` (hashed by ``hasher``, checked against ``kinds``; a dask array's of width
        ``width``, NaN where unknown), the partitions' futures added to ``futures``."""
        worker_hasher = _without_own_kinds(self.hasher, kinds, fitted, meta)
        parts = client.compute(
            [dask.delayed(_block)(*block, i, width) for i, block in enumerate(blocks)]
        )
        futures.extend(parts)
        with client.as_current():  # wait() waits with the default client, not necessarily ours
            wait(parts)
        for part in parts:  # a partition refused on its worker (lengths that differ...): its
            if part.status == "error":  # error, not a task failing for want of its input
                part.result()
        if width is not None and np.isnan(width):
            # each block's width against the first's holding rows (an empty one trains on
            # nothing, and may be a csr_matrix((0, 0)))
            shapes = client.map(_shape_of, parts, pure=False)
            futures.extend(shapes)
            held = [(i, n) for i, (rows, n) in enumerate(client.gather(shapes)) if rows]
            for index, n in held:
                if n != held[0][1]:
                    raise ValueError(
                        f"partition {index} of X: a block of {n} columns, where partition "
                        f"{held[0][0]}'s has {held[0][1]}; make every block of X as wide (a "
                        "scipy matrix made without shape= is as wide as its largest column "
                        "index + 1)."
                    )
        holders = client.who_has(parts)

        def near(indices):  # where most of these partitions are: a hint, never the result
            found = [w for i in indices for w in holders.get(parts[i].key, ())]
            if not found:  # (their worker lost meanwhile: Dask computes them again anywhere)
                return {}
            return {"workers": [max(set(found), key=found.count)], "allow_other_workers": True}

        if self.mixing is None:
            shards = [[index] for index in range(len(parts))]
            state = None
            for _ in range(self.max_iter):
                for index, part in enumerate(parts):
                    state = client.submit(
                        _train_shard,
                        self._local,
                        params,
                        state,
                        [part],
                        1,
                        classes,
                        worker_hasher,
                        kinds,
                        [index],
                        **near([index]),
                        pure=False,
                    )
        else:
            # contiguous ranges of partitions, as many as there are workers when fit starts:
            # where Dask put the data (or puts it again after a loss) changes nothing. nthreads()
            # lists every worker; scheduler_info() lists at most 5 in some distributed releases
            n_shards = max(1, min(len(parts), len(client.nthreads())))
            shards = [chunk.tolist() for chunk in np.array_split(np.arange(len(parts)), n_shards)]
            state = None
            rounds = -(-self.max_iter // self.mixing_passes)
            for r in range(rounds):
                passes = min(self.mixing_passes, self.max_iter - r * self.mixing_passes)
                trained = [
                    client.submit(
                        _train_shard,
                        self._local,
                        params,
                        state,
                        [parts[i] for i in shard],
                        passes,
                        classes,
                        worker_hasher,
                        kinds,
                        shard,
                        **near(shard),
                        pure=False,
                    )
                    for shard in shards
                ]
                while len(trained) > 1:  # a tree of pairwise merges, on the workers
                    trained = [
                        client.submit(_merge_pair, trained[i], trained[i + 1], state, pure=False)
                        if i + 1 < len(trained)
                        else trained[i]
                        for i in range(0, len(trained), 2)
                    ]
                state = trained[0]
        final, _, records = client.gather(state)
        return final, shards, records

    def fit(
        self: _DaskEstimator,
        X: Any,
        y: Any,
        classes: ArrayLike | None = None,
        sample_weight: Any = None,
    ) -> _DaskEstimator:
        """Train on a dask array of row blocks (or a dask DataFrame with ``hasher``).

        Parameters
        ----------
        X : dask.array.Array of shape (n_samples, n_features), or dask DataFrame
            Row-chunked (one block across all columns); blocks are scipy CSR matrices or
            NumPy arrays. A dask DataFrame is hashed by ``hasher`` on its workers.
        y : dask.array.Array or dask Series
            Targets, partitioned as ``X`` (a dask array whose row blocks are known is
            rechunked to ``X``'s when they differ; with a dask DataFrame ``X``, the Series of
            its label column itself: a ``to_dask_array()`` of it may have merged blocks).
        classes : array-like, default=None
            Every class label (classifiers); gathered from ``y`` first when None, and then
            scikit-learn's warning of more labels than half the rows is judged on the whole
            ``y``, as the local ``fit`` judges it (with ``classes``: on each partition, as each
            ``partial_fit`` call judges its own rows).
        sample_weight : dask.array.Array or dask Series, default=None
            Non-negative weights, partitioned as ``X`` and ``y`` (rechunked as ``y``); each
            multiplies its sample's gradient, as in the local ``partial_fit`` (which refuses
            a partition whose weights are all 0: a ValueError naming it). With
            ``mixing='average'`` the copies are averaged in proportion to the sample weight
            each trained on (the rows, without weights).

        Returns
        -------
        self : object
            Fitted estimator; ``estimator_`` is the local model.
        """
        # set_params in another thread waits (a fit of it too): the tasks, submitted as the
        # partitions arrive, read hasher when submitted, and the local model the parameters
        with _seceded_on_a_worker(), self._training_lock:
            return self._fit(X, y, classes, sample_weight)

    def _fit(self, X, y, classes, sample_weight):
        self._validate_dask_params()
        kinds = {type(c).__qualname__ for c in getattr(X, "columns", ())}
        if self.hasher is not None and len(kinds) > 1 and "str" in kinds:  # (scikit-learn's rule)
            # as a Pipeline(hasher, model) refuses them in fit (else every prediction would)
            raise TypeError(
                "X's column names mix strings and other types: feature names are checked "
                "only if all are strings; convert them, e.g. X.columns = X.columns.astype(str)."
            )
        client = self._client()
        blocks = self._blocks(X, y, sample_weight)
        if not blocks:
            raise ValueError("X has no partitions.")
        if isinstance(self.hasher, FeatureCrossHasher) and all(
            isinstance(c, str) for c in X.columns
        ):  # the columns it names, now (else each partition refuses them, once computed)
            self.hasher._check_columns(X.columns)
        hasher = None if self.hasher is None else _fitted_hasher(self.hasher, X, client)
        label_warnings = []  # (the classifier's, when it gathers the labels)
        gathered = isinstance(self, ClassifierMixin) and classes is None
        balanced = isinstance(self, ClassifierMixin) and self.class_weight == "balanced"
        if isinstance(self, ClassifierMixin):
            given = None if classes is None else _checked_classes(classes)  # as partial_fit
            if classes is None or balanced:
                labels, said, counts, rows = _gathered_labels(
                    client, [y_part for _, y_part, _ in blocks], counted=balanced
                )
                if not labels.size:  # (as the regressor says it, not "0 classes")
                    raise ValueError("every partition of X is empty: nothing to train on.")
                if classes is None:
                    classes, label_warnings = labels, said
            classes = classes if given is None else given
            # as the local classifier's first partial_fit refuses them, but before any
            # partition of X is computed and sent to a worker
            refuse_untrainable_classes(classes)
            if isinstance(self.class_weight, dict):  # (its labels that are not classes)
                compute_class_weight(self.class_weight, classes=classes, y=classes)
        elif classes is not None:  # (the local regressor's fit and partial_fit take none)
            raise TypeError("classes is for classifiers: a regressor takes no classes.")
        params = self._local_params()
        if balanced:  # (each copy's partial_fit takes the whole y's weights as a dict)
            params["class_weight"] = _balanced_weights(classes, labels, counts, rows)
        # one seed for every copy and every retry: a round is a pure function of its inputs
        params["random_state"], drawn = _one_seed(self.random_state)
        with _released_on_error(client) as futures:
            kinds = getattr(hasher, "column_kinds_", None)
            width = X.shape[1] if isinstance(X, da.Array) else None  # (NaN: unknown)
            final, shards, records = self._trained_state(
                client,
                blocks,
                classes,
                params,
                kinds,
                futures,
                width,
                hasher,
                getattr(X, "_meta", None),
            )
            if final is None:
                raise ValueError("every partition of X is empty: nothing to train on.")
            # (the copies' state, of these parameters; the passes made over the data counted
            # as the local fit counts its epochs: a merge carries no count, and a partial_fit's
            # is its own call's)
            state = dict(without_params(final), n_iter=self.max_iter)
            estimator = self._local(**self._local_params()).set_ftrl_state(state)
            # before the estimator changes (a filter may make them errors); fit's caller's
            if gathered:  # (each partition's partial_fit warns of more labels than half its
                # rows: said of the whole y instead, as the local fit says it)
                records = [record for record in records if record[2] != MANY_LABELS]
            reissue(joined(label_warnings, records), stacklevel=3)
        if isinstance(self.random_state, np.random.RandomState):  # the draw, now fit succeeded
            self.random_state.set_state(drawn.get_state())
        self.estimator_ = estimator
        self.shards_ = shards
        self.__dict__.pop("feature_names_in_", None)
        self.__dict__.pop("hasher_", None)
        if hasher is not None:
            self.hasher_ = hasher
        if self.hasher is None:
            self.n_features_in_ = self.estimator_.n_features_in_
        else:  # the DataFrame's columns, as a Pipeline(hasher, model) counts them
            self.n_features_in_ = len(X.columns)
            if all(isinstance(name, str) for name in X.columns):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        if classes is not None:
            self.classes_ = self.estimator_.classes_
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())  # (a copy: it may be the instance's __dict__)
        state["client"] = None  # a connection does not travel; the default client is used there
        return state

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        client = params.pop("client")
        twin = type(self)(**{name: clone(value, safe=False) for name, value in params.items()})
        twin.client = client  # the same cluster, not a copy of the connection
        return twin

    def __sklearn_is_fitted__(self):
        # (not scikit-learn's guess from attributes ending in "_": set_params makes the
        # training lock's, and an unfitted estimator was then taken as fitted)
        return hasattr(self, "estimator_")

    def to_local(self) -> SparseFTRLClassifier | SparseFTRLRegressor:
        """The fitted local estimator (picklable, exportable with ``export_model``).

        It is ``estimator_`` itself, not a copy (a copy of a wide model's state would double
        its memory): training it further, with ``partial_fit``, changes this estimator's model
        too. Take ``copy.deepcopy(est.to_local())`` to train one apart.

        Returns
        -------
        estimator : SparseFTRLClassifier or SparseFTRLRegressor
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_

    @property
    def coef_(self):
        """The local model's ``coef_``."""
        return self.to_local().coef_

    @property
    def intercept_(self):
        """The local model's ``intercept_``."""
        return self.to_local().intercept_

    @property
    def n_iter_(self):
        """The passes made over the data (``max_iter``: every pass is made), the local model's
        ``n_iter_``."""
        return self.to_local().n_iter_

    def _lazy(self, method, X, recorded=False):
        """The lazy predictions of ``method``; with ``recorded`` (``score``), ``(a delayed
        (predictions, warnings raised) for each row block of X, their lengths)``."""
        estimator = self.to_local()
        # refused now what fit refuses, not by every partition once computed
        parts, rows = self._x_parts(X)
        if self.hasher is not None:
            # the raw columns, checked as a Pipeline(hasher, model) checks them (the local model
            # sees only the hashed width): the same names in the same order, as many. A dask
            # DataFrame's names are not found by scikit-learn: an empty pandas frame stands for it
            raw = X
            if hasattr(X, "columns"):
                import pandas as pd  # (a dask DataFrame: pandas is there)

                raw = pd.DataFrame(columns=X.columns)
            validate_data(self, raw, skip_check_array=True, reset=False)
            if hasattr(X, "_meta") and hasattr(self.hasher_, "_warn_of_other_awareness"):
                # (datetimes with a zone where fit's had none, or the reverse: their dtypes)
                self.hasher_._warn_of_other_awareness(X._meta)
        elif not np.isnan(X.shape[1]):  # a dask array's width (else checked block by block)
            validate_data(self, X, skip_check_array=True, reset=False)
        classes = getattr(self, "classes_", None)
        columns = None  # one value per row: predictions, regression, binary margins
        if method == "predict_proba" or (method == "decision_function" and len(classes) > 2):
            columns = len(classes)
        dtype = classes.dtype if method == "predict" and classes is not None else np.float64
        empty = np.empty((0,) if columns is None else (0, columns), dtype=dtype)
        # the model put in the graph once, each task referring to it: given to every task, it
        # travelled with each (a 34 MB model predicted 160 blocks in 4.4 s, once: 1.1 s)
        model = dask.delayed(estimator, pure=False)
        # (a column of another kind than the hasher_ fitted on it: its rows miss the weights)
        kinds = getattr(getattr(self, "hasher_", None), "column_kinds_", None)
        hasher = _without_own_kinds(
            self.hasher, kinds, getattr(self, "hasher_", None), getattr(X, "_meta", None)
        )
        if recorded:
            predicted = [
                dask.delayed(with_recorded_warnings)(
                    _predict_block, method, model, hasher, part, empty, kinds
                )
                for part in parts
            ]
            return predicted, tuple(rows)
        if isinstance(X, da.Array):
            # block for block, an empty one kept (da.concatenate drops those of known length:
            # the predictions then had fewer blocks than X, and y partitioned as X was refused)
            return X.map_blocks(
                _predict_rows,
                method,
                model,
                empty,
                dtype=dtype,
                meta=empty,
                # a name of our own: map_blocks' default tokenizes the arguments, pickling the
                # whole model on every call (0.34 s for a 335 MB one)
                name=f"sparsereg-{method}-{uuid.uuid4().hex}",
                **({"drop_axis": 1} if columns is None else {"chunks": (X.chunks[0], (columns,))}),
            )
        pieces = [
            da.from_delayed(
                dask.delayed(_predict_block)(method, model, hasher, part, empty, kinds),
                shape=(n,) if columns is None else (n, columns),
                dtype=dtype,
            )
            for part, n in zip(parts, rows)
        ]
        return da.concatenate(pieces, axis=0)

    def _score(self, metric, X, y, sample_weight):
        _refuse_y_not_1d(y)
        _refuse_weight_not_1d(sample_weight)  # (column_or_1d below would take one column)
        # the predictions with the warnings their tasks raise (a hasher's transform warns of
        # unknown categories: the warning went to the worker's log)
        parts, chunks = self._lazy("predict", X, recorded=True)
        client = self._scoring_client()
        if not all(v is None or hasattr(v, "to_delayed") for v in (y, sample_weight)):
            # y or the weights in memory (as scikit-learn's score takes them): the
            # predictions are gathered and scored by scikit-learn's metric
            from sklearn.metrics import accuracy_score, r2_score

            def in_memory(values):
                if values is None or not hasattr(values, "to_delayed"):
                    return values
                return _computed(client, [values])[0]

            # those in memory, before any task (a dask one once computed, below)
            _refuse_unscorable(
                metric, *(None if hasattr(v, "to_delayed") else v for v in (y, sample_weight))
            )

            found = _computed(client, parts)
            reissue(joined(*(records for _, records in found)), stacklevel=3)
            y_pred = np.concatenate([block for block, _ in found])
            score = accuracy_score if metric == "accuracy" else r2_score
            y, sample_weight = in_memory(y), in_memory(sample_weight)
            _refuse_unscorable(metric, y, sample_weight)  # (a dask one's, computed)
            return float(score(y, y_pred, sample_weight=sample_weight))
        x_is_frame = not isinstance(X, da.Array)
        y_parts = _row_parts(_aligned(y, "y", chunks), "y", parts, x_is_frame)
        w_parts = [None] * len(parts)
        if sample_weight is not None:
            w_parts = _row_parts(
                _aligned(sample_weight, "sample_weight", chunks), "sample_weight", parts, x_is_frame
            )
        found = _computed(
            client,
            [
                dask.delayed(_recorded_score_sums)(metric, *part, i)
                for i, part in enumerate(zip(parts, y_parts, w_parts))
            ],
        )
        reissue(joined(*(records for _, records in found)), stacklevel=3)  # score's caller's
        return _joined_score(metric, [partition for partition, _ in found])

    def predict(self, X: Any) -> Any:
        """Predictions, as a lazy dask array (one block per block of ``X``).

        Parameters
        ----------
        X : dask.array.Array or dask DataFrame
            As in ``fit``: a dask array without ``hasher``, a dask DataFrame with it (else a
            ValueError when called, not when computed). With ``hasher``, the DataFrame's
            columns must be those ``fit`` saw, in the same order (``feature_names_in_``; their
            number, ``n_features_in_``, when they are not all strings), as a
            ``Pipeline(hasher, model)`` checks them: else a ValueError. Without, a dask
            array whose width is known must have ``n_features_in_`` columns: else a ValueError
            when called.

        Returns
        -------
        y_pred : dask.array.Array of shape (n_samples,)
        """
        return self._lazy("predict", X)


class DaskSparseFTRLClassifier(ClassifierMixin, _DaskFTRL):
    """:class:`~sparsereg.SparseFTRLClassifier` trained on a Dask cluster.

    The parameters are the local estimator's (but for ``early_stopping`` and ``warm_start``,
    which ``fit`` refuses: hold out a partition and score it; go on training the local model,
    :meth:`to_local`, with ``partial_fit``; ``class_weight='balanced'`` weighs each class by
    ``n_samples / (n_classes * its rows)`` of the whole ``y``, as the local ``fit``, its rows
    counted on the workers as the labels are gathered), plus:

    mixing : {'average'} or None, default='average'
        'average': the partitions are cut into contiguous shards, one per worker, a
        copy is trained on each shard (on the worker holding most of its partitions), and
        the copies' states are averaged (:func:`~sparsereg.merge_ftrl_states`) every
        ``mixing_passes`` passes; None: the partitions are trained one after another,
        bit-identical to ``partial_fit`` over the blocks in order (with an int
        ``random_state``).
    mixing_passes : int, default=1
        Passes over its partitions each copy makes between two mixings.
    max_iter : int, default=1
        Here the number of passes over the data in all (default 1, not 1000: ``tol`` is
        not used, so every pass is made).
    verbose : int, default=0
        As the local estimator's, for each ``partial_fit`` of a partition: a line per
        partition ("Epoch 1, ...", its own call's), printed on the worker that trains it
        (where its output goes: a ``LocalCluster``'s processes share the terminal).
    hasher : FeatureCrossHasher, default=None
        Applied to each partition of a dask DataFrame on its worker.
    client : distributed.Client, default=None
        The cluster; the default client when None.

    Attributes
    ----------
    estimator_ : SparseFTRLClassifier
        The fitted model (also :meth:`to_local`).
    shards_ : list of list of int
        The partitions each copy trained on, in order: contiguous ranges, as many as
        there were workers when ``fit`` started (one per partition with
        ``mixing=None``); merges pair consecutive shards, then consecutive results.
    n_iter_ : int
        The passes made over the data: ``max_iter`` (the local model's ``n_iter_`` too, as
        its ``fit`` counts epochs, with either ``mixing``; until ``to_local()``, the same
        object, is trained further).
    classes_ : ndarray
        The class labels.
    n_features_in_ : int
        The input width: the columns of a dask DataFrame given with ``hasher`` (the
        hashed width is ``estimator_.n_features_in_``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The DataFrame's column names, when ``hasher`` hashed a DataFrame whose column
        names are all strings.
    hasher_ : FeatureCrossHasher
        With ``hasher``: a clone of it fitted on the DataFrame's columns, its
        ``column_kinds_`` those their dtypes decide (pandas' and Arrow's strings 'text',
        numbers 'number'...), or where a dtype decides none (object, a categorical of
        unknown categories) the values of the first partition holding some (of at most 16
        read again; none found: no kind). :func:`~sparsereg.export_model`
        of this estimator exports ``make_pipeline(hasher_, to_local())``, whose file
        ``sparsereg predict`` reads files' columns from as trained (a zip code of text as
        text). A partition whose column holds the other kind (numbers where the first
        held text) is warned of when trained on: its rows would miss the exported
        model's weights. Another transformer given as ``hasher``: itself.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from distributed import Client, LocalCluster
    >>> from sparsereg.dask import DaskSparseFTRLClassifier
    >>> cluster = LocalCluster(n_workers=2, processes=False, dashboard_address=":0")
    >>> client = Client(cluster)
    >>> rng = np.random.RandomState(0)
    >>> blocks = [sp.random(100, 50, density=0.1, format="csr", random_state=rng)
    ...           for _ in range(4)]
    >>> X = da.concatenate([da.from_array(b, chunks=b.shape, asarray=False) for b in blocks])
    >>> y = da.from_array(rng.randint(0, 2, 400), chunks=100)
    >>> clf = DaskSparseFTRLClassifier(max_iter=3, client=client).fit(X, y)
    >>> clf.predict_proba(X).compute().shape
    (400, 2)
    >>> clf.to_local().t_
    1200
    >>> client.close()
    >>> cluster.close()
    """

    _local = SparseFTRLClassifier
    _parameter_constraints: dict = {
        **SparseFTRLClassifier._parameter_constraints,
        **_DASK_CONSTRAINTS,
    }
    __init__ = _init_with_local_parameters(SparseFTRLClassifier)

    def decision_function(self, X: Any) -> Any:
        """Margins, as a lazy dask array.

        Parameters
        ----------
        X : dask.array.Array or dask DataFrame

        Returns
        -------
        scores : dask.array.Array of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._lazy("decision_function", X)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on ``X`` and ``y``, as ``sklearn.metrics.accuracy_score``.

        Each partition's matches are counted on the cluster: only counts reach the driver (with
        ``sample_weight``, weight sums: the same value as ``accuracy_score`` but for the
        rounding of the sums). With ``client=None`` and no default client, dask's own
        scheduler counts them, as it computes ``predict``'s array.

        Parameters
        ----------
        X : dask.array.Array or dask DataFrame
            As in ``predict``.
        y : dask.array.Array or dask Series
            True labels, partitioned as ``X`` (a dask array whose row blocks are known is
            rechunked to ``X``'s when they differ).
        sample_weight : dask.array.Array or dask Series, default=None
            Sample weights, partitioned as ``y``.

        Returns
        -------
        score : float
        """
        with _seceded_on_a_worker():  # (a score run in a task: see fit)
            return self._score("accuracy", X, y, sample_weight)

    @available_when(gives_probabilities)
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities (``loss='log_loss'`` or ``'modified_huber'``), lazily.

        Parameters
        ----------
        X : dask.array.Array or dask DataFrame

        Returns
        -------
        proba : dask.array.Array of shape (n_samples, n_classes)
        """
        return self._lazy("predict_proba", X)


class DaskSparseFTRLRegressor(RegressorMixin, _DaskFTRL):
    """:class:`~sparsereg.SparseFTRLRegressor` trained on a Dask cluster.

    The parameters are the local estimator's plus ``mixing``, ``mixing_passes``,
    ``hasher`` and ``client``, as in :class:`DaskSparseFTRLClassifier`.

    Attributes
    ----------
    estimator_ : SparseFTRLRegressor
        The fitted model (also :meth:`to_local`).
    shards_ : list of list of int
        As in :class:`DaskSparseFTRLClassifier`.
    n_iter_ : int
        As in :class:`DaskSparseFTRLClassifier`.
    n_features_in_ : int
        The input width: the columns of a dask DataFrame given with ``hasher`` (the
        hashed width is ``estimator_.n_features_in_``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The DataFrame's column names, when ``hasher`` hashed a DataFrame whose column
        names are all strings.
    hasher_ : FeatureCrossHasher
        As in :class:`DaskSparseFTRLClassifier`.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from distributed import Client, LocalCluster
    >>> from sparsereg import SparseFTRLRegressor
    >>> from sparsereg.dask import DaskSparseFTRLRegressor
    >>> cluster = LocalCluster(n_workers=2, processes=False, dashboard_address=":0")
    >>> client = Client(cluster)
    >>> rng = np.random.RandomState(0)
    >>> X_local = rng.normal(size=(400, 10))
    >>> y_local = X_local[:, 0] - X_local[:, 1]
    >>> X, y = da.from_array(X_local, chunks=(100, 10)), da.from_array(y_local, chunks=100)
    >>> reg = DaskSparseFTRLRegressor(mixing=None, max_iter=1, shuffle=False, client=client)
    >>> coef = reg.fit(X, y).to_local().coef_
    >>> local = SparseFTRLRegressor(shuffle=False)
    >>> for start in range(0, 400, 100):  # mixing=None: partial_fit over the blocks, in order
    ...     _ = local.partial_fit(X_local[start:start + 100], y_local[start:start + 100])
    >>> np.array_equal(coef, local.coef_)
    True
    >>> client.close()
    >>> cluster.close()
    """

    _local = SparseFTRLRegressor
    _parameter_constraints: dict = {
        **SparseFTRLRegressor._parameter_constraints,
        **_DASK_CONSTRAINTS,
    }
    __init__ = _init_with_local_parameters(SparseFTRLRegressor)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R^2 on ``X`` and ``y``, as ``sklearn.metrics.r2_score``.

        Each partition's sums are computed on the cluster and joined on the driver (the
        same value as ``r2_score`` but for the rounding of the sums). With ``client=None`` and
        no default client, dask's own scheduler computes them, as it computes ``predict``'s
        array.

        Parameters
        ----------
        X : dask.array.Array or dask DataFrame
            As in ``predict``.
        y : dask.array.Array or dask Series
            True targets, partitioned as ``X`` (a dask array whose row blocks are known is
            rechunked to ``X``'s when they differ).
        sample_weight : dask.array.Array or dask Series, default=None
            Sample weights, partitioned as ``y``.

        Returns
        -------
        score : float
        """
        with _seceded_on_a_worker():  # (a score run in a task: see fit)
            return self._score("r2", X, y, sample_weight)
