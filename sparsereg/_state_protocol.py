"""The FTRL state protocol: what ``get_ftrl_state`` gives and ``set_ftrl_state`` takes.

A state is a ``dict`` of plain NumPy arrays (numbers, bools and str; no objects), so
``np.savez(path, **state)`` stores it without pickle and
``set_ftrl_state(dict(np.load(path)))`` reads it back. It holds only the columns
that hold state (the **touched** ones), whichever store trained it.

Keys (``k`` columns listed, ``m`` models: 1 for regression and binary
classification, one per class for one-vs-rest and for a multinomial (softmax) model of
three classes or more):

============================  =====================  ======================================
key                           dtype, shape           meaning
============================  =====================  ======================================
``format``, ``version``       str, int               ``"sparsereg.FTRLState"``, ``1``
``columns``                   int64 ``(k,)``         sorted, distinct column indices
``z``, ``n``                  float64 ``(m, k)``     FTRL's ``z`` and ``n`` of each model
``held``                      bool ``(m, k)``        whether the model holds the column (a
                                                     table store can hold one with
                                                     ``z = n = 0``; inclusion reads it)
``intercept_z``,              float64 ``(m,)``       the intercepts' ``z`` and ``n``
``intercept_n``
``t``                         int64                  samples seen (``t_``)
``n_features_in``             int64                  the input width
``classes``                   ``(n_classes,)``       class labels (classifiers only)
``seed``                      int64                  seed of the inclusion draws and hashes
``bloom``                     uint8 ``(m, c)``       Bloom inclusion counters (``c = 0``:
                                                     none)
``rng_state``, ``rng_pos``,   uint32 ``(624,)``,     the shuffling generator
``rng_has_gauss``,            int64, int64,          (``RandomState.get_state()``)
``rng_cached_gaussian``       float64
``nnz_history_t``,            int64 ``(h,)``,        ``nnz_history_``
``nnz_history``               int64 ``(h, m)``
``n_iter``                    int64                  ``n_iter_``
``coef_dtype``                str                    ``"float32"`` or ``"float64"``
``feature_names_in``          str ``(n_features,)``  ``feature_names_in_``, when fitted on a
                                                     DataFrame
``multi_class``               str                    ``"multinomial"`` for a softmax model
                                                     (absent: one-vs-rest)
``params``                    str                    the model parameters of the estimator
                                                     it comes from, a JSON object
============================  =====================  ======================================

``n`` and ``intercept_n`` are at most 1e300 (sums of squared gradients: short of float64's
end, so that training can add to them), and each ``z`` is bounded by
``1e28 * (1e-10 + sqrt(n))`` of its own ``n``: training in one thread keeps ``|z| <= t *
(1e-10 + sqrt(n))``, ``t`` being below 2**62, and threads racing on a column can go beyond
it; so every weight of a state an estimator takes is at most ``1e28 * eta0`` (1e38), within
float32's range. (Both bounds are checked with room for rounding: a merge's average of
states at the bound can round a few units of the last place above it.) ``held`` may be
False only where ``z = n = 0``, and ``classes`` are sorted. The Bloom counters of the state
are used as they are, whatever the estimator's ``bloom_size``.

Required: ``columns``, ``z``, ``n``, ``intercept_z``, ``intercept_n``, ``t``,
``n_features_in`` and, for a classifier, ``classes``. The others default to: every
listed column held, seed 0, no Bloom counters, a generator drawn from the
estimator's ``random_state``, an empty history, ``n_iter`` 0, float64, no names.
With every key, an estimator with the same parameters continues exactly, to the
bit, as the one the state came from. A multinomial state (three classes or more;
two classes train one binary model whatever ``multi_class``) is taken only by an
estimator with ``multi_class='multinomial'``, and a one-vs-rest state only by one
with ``multi_class='ovr'``; in a multinomial state a column is held by every class or
by none, and there are no Bloom counters. The estimator that takes a state applies its own
parameters (``alpha``, ``eta0``, ...); where ``params`` records others (of those that change
the model under either's loss, penalty and inclusion), it warns, naming them. ``params`` is at
most 65,536 characters of a JSON object of numbers (finite), str, bools and nulls, nested at most
three containers deep: a ``class_weight`` is a list of ``[label, weight]`` pairs, or past 4,096
characters ``{"sha256": the digest of their JSON}``; a value the estimator's parameter held that
JSON cannot spell is ``{"unrecorded": its type's name}``, which no value matches (a state of it
is taken with the warning). Keys this version does not know are left unread.
"""

from collections.abc import Mapping

import numpy as np
from sklearn.utils.multiclass import type_of_target

from ._memory import memory_limit
from ._npz import beyond_unicode
from ._state import sorted_distinct
from ._state_params import LONGEST_RECORD, read_params

FORMAT = "sparsereg.FTRLState"
VERSION = 1
_MT_WORDS = 624  # MT19937's state, as RandomState.get_state() gives it
_LARGEST = 2**62  # widths and sample counts stay far from int64's end
LARGEST_T = _LARGEST  # the most samples a state has seen (training stops short of it)
# the largest n accepted from a state. Not t * 1e100**2: a squared loss's gradient grows with the
# weights, which a rate of 1e10 made 1e10 on the first row, so values of 1e49 (x**2 * y within
# 1e100, which training takes) gave gradients of 1e108 and an n the protocol then refused
MAX_N = 1e300
# the estimators' rates (their _parameter_constraints take these): the least beta and the
# largest eta0 bound a state's weights (_check_z)
SMALLEST_BETA = 1e-10
LARGEST_ETA0 = 1e10
MAX_Z_OVER_ROOT = 1e28  # |z| / (SMALLEST_BETA + sqrt(n)) accepted from a state (_check_z)
# the relative excess over MAX_N and MAX_Z_OVER_ROOT taken: a weighted average of states at the
# bound (merge_ftrl_states) rounds a few units of the last place above it
ROUNDING = 1e-9
# the bytes of nnz_history_, a list of (t, counts) tuples: a count is its tuple's reference to a
# Python int and the int (28 bytes, 32 as Python allocates it; 0 for the cached ints up to 256,
# which a state's counts are not read to tell); a record is the list's reference, the pair (56
# bytes with the collector's header), t's int (32) and the counts tuple's header (40). Measured
# (tracemalloc): 176 bytes a record of one count above 256, 4,135 of 100 such counts (and 8 more
# at the peak, the list of the times while the records are made)
_HISTORY_COUNT_BYTES = 40
_HISTORY_RECORD_BYTES = 8 + 56 + 32 + 40

REQUIRED = ("columns", "z", "n", "intercept_z", "intercept_n", "t", "n_features_in")
OPTIONAL = (
    "format",
    "version",
    "classes",
    "held",
    "seed",
    "bloom",
    "rng_state",
    "rng_pos",
    "rng_has_gauss",
    "rng_cached_gaussian",
    "nnz_history_t",
    "nnz_history",
    "n_iter",
    "coef_dtype",
    "feature_names_in",
    "multi_class",
    "params",
)


def plain_labels(classes, copy=True):
    """Class labels as an array that NumPy saves without pickle (numbers, bools or str): a
    copy, shared neither with the caller's state nor with an estimator's ``classes_`` (with
    ``copy=False``, the array itself where it is one: a model file's own, read for it)."""
    classes = np.asarray(classes)
    if classes.dtype.kind == "f" and classes.dtype.itemsize > 8:  # long double
        wide = classes.astype(np.float64)
        if not np.array_equal(wide, classes):
            raise ValueError(
                f"class labels of dtype {classes.dtype} that float64 does not hold exactly "
                "cannot be saved (files hold at most float64); use int, float64 or str labels."
            )
        return wide
    if beyond_unicode(classes):
        raise ValueError("class labels hold a character beyond U+10FFFF (not Unicode).")
    if classes.dtype.kind in "iufbU":
        return classes.copy() if copy else classes
    if classes.dtype.kind == "O" and all(isinstance(c, str) for c in classes):
        for label in classes:  # (a str array drops trailing NULs: "x\0" would become "x")
            if label.endswith("\0"):
                raise ValueError(
                    f"class label {label!r} ends with a NUL character, which the model's "
                    "state and files (NumPy str arrays) cannot hold: rename the class."
                )
        return classes.astype(str)  # e.g. labels from a pandas column of str
    raise ValueError(
        f"class labels of dtype {classes.dtype} ({classes[:3]!r}...) cannot be saved "
        "without pickle; use int, float, bool or str labels."
    )


def refuse_continuous_labels(classes):
    """Refuse float class labels that scikit-learn's ``type_of_target`` calls continuous:
    not integral (0.5), or integral beyond int64 (1e300, through which it reads them).
    ``fit`` and ``partial_fit`` refuse a ``y`` holding them, so no model is trained on them
    (integral floats, 0.0 and 1.0, are classes as 0 and 1 are). The message names the
    labels refused (the first five of the classes were all integral in [0, 1, 2, 3, 4, 5.5])."""
    if classes.dtype.kind != "f":
        return
    with np.errstate(invalid="ignore"):  # (its cast of 1e300 to int is what finds it continuous)
        kind = type_of_target(classes)
    if kind in ("binary", "multiclass"):
        return
    fractional = classes[classes != np.trunc(classes)]
    if fractional.size:
        problem = f"{fractional[:5].tolist()!r:.100} are not integral"
    else:  # (1e300 is an integer, but not one of int64, which type_of_target casts to)
        beyond = classes[np.abs(classes) >= 2.0**63]
        problem = f"{beyond[:5].tolist()!r:.100} are integral but beyond int64 (2**63)"
    raise ValueError(
        f"class labels {problem}: scikit-learn's type_of_target calls them {kind!r}, a "
        "regression target, which no classifier trains on."
    )


def _array(state, key, kinds, ndim):
    value = state[key]
    if not isinstance(value, (np.ndarray, np.generic, int, float, bool, str, list, tuple)):
        raise TypeError(
            f"FTRL state key {key!r} must be a NumPy array, got {type(value).__name__}."
        )
    if isinstance(value, np.ma.MaskedArray):  # (np.asarray reads the masked values as they are)
        raise TypeError(
            f"FTRL state key {key!r} is a masked array: its masked values would be read as "
            "numbers; give a plain array (e.g. its .filled())."
        )
    try:
        array = np.asarray(value)
    except ValueError as exc:  # a ragged list, say
        raise ValueError(f"FTRL state key {key!r} is not an array: {exc}") from None
    if array.dtype.kind not in kinds:
        raise ValueError(
            f"FTRL state key {key!r} has dtype {array.dtype}; expected {_KIND_NAMES[kinds]}."
        )
    if array.ndim != ndim:
        raise ValueError(
            f"FTRL state key {key!r} must have {ndim} dimension(s), got shape {array.shape}."
        )
    if ndim == 0 and beyond_unicode(array):  # (NumPy's str of it raises SystemError)
        raise ValueError(f"FTRL state key {key!r} holds a character beyond U+10FFFF (not Unicode).")
    return array


_KIND_NAMES = {
    "iu": "integers",
    "u": "unsigned integers",
    "iuf": "real numbers",
    "b": "bools",
    "U": "str",
    "iufbUO": "numbers, bools or str",
}


def _integer(state, key, low, high=None):
    value = _array(state, key, "iu", 0)
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and <= {high}"
        raise ValueError(f"FTRL state key {key!r} must be >= {low}{upper}, got {value}.")
    return int(value)


def _finite(state, key, shape, non_negative=False, bound=None):
    value = _array(state, key, "iuf", len(shape))
    if value.shape != shape:  # (before the copy: an array broadcast from one number may be
        # of any size, a copy of which exhausted the memory)
        raise ValueError(
            f"FTRL state key {key!r} has shape {value.shape}; the other keys give {shape}."
        )
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"FTRL state key {key!r} holds NaN or infinite values.")
    if non_negative and value.size and value.min() < 0:
        raise ValueError(f"FTRL state key {key!r} holds negative values (sums of squares).")
    if bound is not None and value.size and np.abs(value).max() > bound * (1 + ROUNDING):
        raise ValueError(
            f"FTRL state key {key!r} holds values beyond {bound:.0e}: sums of squared "
            "gradients larger than training makes (it keeps them short of float64's end)."
        )
    return value


def _check_z(key, z, n):
    """Refuse a ``z`` beyond ``MAX_Z_OVER_ROOT * (SMALLEST_BETA + sqrt(n))``, elementwise.

    What it guarantees: a weight is ``(|z| - l1) / ((beta + sqrt(n)) / eta0 + l2)`` or 0, at
    most ``|z| * eta0 / (beta + sqrt(n))``, so with ``beta >= SMALLEST_BETA`` every weight is
    at most ``MAX_Z_OVER_ROOT * eta0`` (1e38, ``ROUNDING`` aside), within float32's range (a
    float32 ``coef_``), and the scores of values up to 1e100 and the training steps stay
    finite. (A state of ``|z| = 1e200 * t`` and ``n = 0``, which the protocol took before,
    made weights of 1e217, NaN scores and NaN training.)

    Why training stays within it: one update of a coordinate with gradient ``g`` sets ``n' =
    n + g**2`` and ``z' = z + g - sigma * w``, ``sigma = (sqrt(n') - sqrt(n)) / eta0``, with
    ``|w| <= |z| * eta0 / (beta + sqrt(n))``. So ``|z'| <= |z| * (beta + sqrt(n')) / (beta +
    sqrt(n)) + |g|``; that ratio is largest at the least ``beta``, so ``u = |z| /
    (SMALLEST_BETA + sqrt(n))`` grows by at most ``|g| / (SMALLEST_BETA + sqrt(n')) <= 1``:
    ``u <= t < 2**62`` in one thread, whatever the parameters and their changes; an average
    of states (``merge_ftrl_states``) keeps it, ``sqrt`` being concave. Threads
    (``n_threads``) can exceed ``t``: a thread whose read of a column is stale counts the
    other's growth of ``sqrt(n)`` again, times its stale weight, and the hot columns' copies
    are summed as deltas (each exchange can multiply ``u`` by up to ``sqrt(threads)`` when
    ``n`` grows by orders between exchanges). 1e28 leaves 2e9 times the largest ``t`` for
    it, which is not proved enough: such a state would be refused, not trained to NaN.
    """
    limit = MAX_Z_OVER_ROOT * (SMALLEST_BETA + np.sqrt(n))
    beyond = np.abs(z) > limit * (1 + ROUNDING)
    if np.any(beyond):
        at = np.unravel_index(np.argmax(beyond), z.shape)
        raise ValueError(
            f"FTRL state key {key!r} holds {z[at]:.3g} where n is {n[at]:.3g}: beyond "
            f"1e28 * (1e-10 + sqrt(n)) = {limit[at]:.3g}, which training keeps |z| within "
            "(its weights would pass float32's range and near float64's end)."
        )


def check_ftrl_state(state, *, classifier, multi_class=None):
    """Validate a state dict; return its arrays, normalised and with defaults filled in.

    ``multi_class``: the taking estimator's ('ovr' or 'multinomial'), to which a state of
    three classes or more must belong; None (merging states) takes either.

    Raises ``TypeError`` for a state that is not a mapping of arrays (a dict, or the
    ``NpzFile`` of ``np.load``) and ``ValueError`` naming the first key that is missing,
    unknown or inconsistent with the others.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"an FTRL state must be a dict of arrays, got {type(state).__name__}.")
    state = dict(state)  # (an NpzFile reads each array at each look-up)
    unknown = sorted(set(state) - set(REQUIRED) - set(OPTIONAL), key=str)
    if unknown:
        raise ValueError(
            f"unknown FTRL state keys {unknown}; expected {list(REQUIRED)} and "
            f"optionally {list(OPTIONAL)}."
        )
    required = REQUIRED + (("classes",) if classifier else ())
    missing = [key for key in required if key not in state]
    if missing == ["classes"]:
        raise ValueError(
            "the FTRL state lacks 'classes': it is a regressor's state, which a classifier "
            "does not take (set it into a SparseFTRLRegressor)."
        )
    if missing:
        raise ValueError(f"the FTRL state lacks the keys {missing}.")
    if "classes" in state and not classifier:
        raise ValueError("the FTRL state holds 'classes': it is a classifier's, not a regressor's.")
    if "format" in state and str(_array(state, "format", "U", 0)) != FORMAT:
        raise ValueError(f"the FTRL state's format is {str(state['format'])!r}, not {FORMAT!r}.")
    if "version" in state:
        _integer(state, "version", 1, VERSION)
    kind = str(_array(state, "multi_class", "U", 0)) if "multi_class" in state else "ovr"
    if "multi_class" in state and (kind != "multinomial" or not classifier):
        raise ValueError(
            f"FTRL state 'multi_class' must be 'multinomial' (in a classifier's "
            f"state; absent for one-vs-rest), got {kind!r}."
        )

    n_features = _integer(state, "n_features_in", 1, _LARGEST)
    columns = _array(state, "columns", "iu", 1)
    # (a block at a time before anything reads the whole: an array broadcast from one number
    # may stand for 2**36 columns, which took a minute to read, then exhausted the memory)
    if not _increasing(columns):
        raise ValueError("FTRL state 'columns' must be sorted and distinct.")
    if columns.size and (columns[0] < 0 or columns[-1] >= n_features):
        raise ValueError(
            f"FTRL state 'columns' must lie in [0, n_features_in={n_features}); "
            f"found [{columns[0]}, {columns[-1]}]."
        )
    columns = columns.astype(np.int64)
    out = {"columns": columns, "n_features_in": n_features, "t": _integer(state, "t", 0, _LARGEST)}

    if classifier:
        classes = _array(state, "classes", "iufbUO", 1)
        if _repeats(classes):  # (before the copy, which a broadcast of 2**40 labels exhausted)
            raise ValueError("FTRL state 'classes' repeats a label: it is one broadcast value.")
        classes = plain_labels(classes)
        if classes.dtype.kind == "f" and not np.all(np.isfinite(classes)):
            raise ValueError("FTRL state 'classes' holds NaN or infinite labels.")
        try:
            refuse_continuous_labels(classes)
        except ValueError as exc:
            raise ValueError(f"FTRL state 'classes': {exc}") from None
        # sorted and distinct, as np.unique gives them: compared with their neighbours (np.unique
        # of NumPy 2.3+ hashes them first, 15 s for 2**23 labels in order)
        if classes.size < 2 or not np.all(classes[1:] > classes[:-1]):
            raise ValueError(
                f"FTRL state 'classes' must hold at least two distinct labels, "
                f"sorted (as np.unique gives them), got {classes!r}."
            )
        out["classes"] = classes
        n_models = 1 if classes.size == 2 else classes.size
        if kind == "multinomial" and classes.size == 2:
            raise ValueError(
                "FTRL state 'multi_class' is 'multinomial' but there are 2 classes, "
                "which train one binary model whatever multi_class: drop the key."
            )
        if multi_class is not None and classes.size > 2 and kind != multi_class:
            raise ValueError(
                f"the FTRL state is a {kind!r} model's ({classes.size} classes), but "
                f"this estimator has multi_class={multi_class!r}: set "
                f"multi_class={kind!r} to take it."
            )
    else:
        n_models = 1
    out["multi_class"] = kind
    z = _array(state, "z", "iuf", 2)
    if z.shape[0] != n_models:
        what = f"{out['classes'].size} classes" if classifier else "a regressor"
        raise ValueError(f"FTRL state 'z' has {z.shape[0]} models; {what} needs {n_models}.")
    shape = (n_models, columns.size)
    if 16 * n_models * columns.size > memory_limit():  # z and n as float64 (broadcast
        # arrays of that shape take no room until they are copied)
        raise ValueError(
            f"the FTRL state's {n_models:,} model(s) x {columns.size:,} columns need "
            f"{16 * n_models * columns.size:,} bytes, more than the memory this process may use "
            f"({memory_limit():,} bytes)."
        )
    # z sums a gradient and a step per sample, which training does not bound by 1e100 (a
    # target of 1e99 took z to 4e103 in 20 samples), but by its own n (_check_z)
    out["z"] = _finite(state, "z", shape)
    out["n"] = _finite(state, "n", shape, non_negative=True, bound=MAX_N)
    out["intercept_z"] = _finite(state, "intercept_z", (n_models,))
    out["intercept_n"] = _finite(state, "intercept_n", (n_models,), non_negative=True, bound=MAX_N)
    _check_z("z", out["z"], out["n"])
    _check_z("intercept_z", out["intercept_z"], out["intercept_n"])

    if "held" in state:
        held = _array(state, "held", "b", 2)
        if held.shape != shape:
            raise ValueError(f"FTRL state key 'held' has shape {held.shape}; expected {shape}.")
        if np.any(~held & ((out["z"] != 0) | (out["n"] != 0))):
            raise ValueError(
                "FTRL state 'held' is False where 'z' or 'n' is not 0: a column a "
                "model does not hold has no state."
            )
        out["held"] = held
        if kind == "multinomial" and np.any(held != held[:1]):
            raise ValueError(
                "FTRL state 'held' differs between classes, but a multinomial "
                "state's column is held by every class or by none."
            )
    else:
        out["held"] = np.ones(shape, dtype=bool)
    out["seed"] = _integer(state, "seed", 0, 2**63 - 1) if "seed" in state else 0
    if "bloom" in state:
        bloom = _array(state, "bloom", "u", 2)
        counters = bloom.shape[1]
        if bloom.dtype != np.uint8 or bloom.shape[0] != n_models or counters & (counters - 1):
            raise ValueError(
                f"FTRL state 'bloom' must be uint8 of shape ({n_models}, a power of "
                f"two or 0), got {bloom.dtype} {bloom.shape}."
            )
        if n_models * counters > memory_limit():  # each model's counters are copied
            raise ValueError(
                f"FTRL state 'bloom' holds {n_models * counters:,} counters, more bytes than "
                f"the memory this process may use ({memory_limit():,})."
            )
        out["bloom"] = bloom
        if kind == "multinomial" and counters:
            raise ValueError(
                "FTRL state 'bloom' holds counters, but a multinomial state has no "
                "inclusion (and no Bloom filter)."
            )
    else:
        out["bloom"] = np.zeros((n_models, 0), dtype=np.uint8)

    rng_keys = ("rng_state", "rng_pos", "rng_has_gauss", "rng_cached_gaussian")
    present = [key for key in rng_keys if key in state]
    if present and len(present) != len(rng_keys):
        raise ValueError(f"the FTRL state gives {present} but not all of {list(rng_keys)}.")
    if present:
        words = _array(state, "rng_state", "u", 1)
        if words.dtype.itemsize != 4 or words.shape != (_MT_WORDS,):
            raise ValueError(f"FTRL state 'rng_state' must be uint32 of shape ({_MT_WORDS},).")
        words = words.astype(np.uint32)  # (of either byte order)
        # MT19937 reads only the top bit of its first word: without it and with the others 0,
        # the generator draws 0 forever (every epoch the same order, silently)
        if not (words[0] >> 31) and not words[1:].any():
            raise ValueError(
                "FTRL state 'rng_state' is MT19937's all-zero state, which draws only zeros "
                "(every shuffle the same order): give the state get_ftrl_state saved, or drop "
                "the rng_ keys to draw from random_state."
            )
        gauss = _finite(state, "rng_cached_gaussian", ())
        out["rng"] = (
            "MT19937",
            words,
            _integer(state, "rng_pos", 0, _MT_WORDS),
            _integer(state, "rng_has_gauss", 0, 1),
            float(gauss),
        )

    if ("nnz_history_t" in state) != ("nnz_history" in state):
        raise ValueError("the FTRL state needs both 'nnz_history_t' and 'nnz_history', or neither.")
    if "nnz_history_t" in state:
        times = _array(state, "nnz_history_t", "iu", 1)
        counts = _array(state, "nnz_history", "iu", 2)
        if counts.shape != (times.size, n_models):
            raise ValueError(
                f"FTRL state 'nnz_history' has shape {counts.shape}; expected "
                f"({times.size}, {n_models})."
            )
        # each record follows an epoch or a call of at least one sample: its t grows
        # (checked a block at a time, before anything reads the whole: an array broadcast
        # from one number may stand for 10**9 records)
        if times.size and not (times[0] >= 1 and _increasing(times) and times[-1] <= out["t"]):
            raise ValueError(
                f"FTRL state 'nnz_history_t' must increase strictly from 1 to at most t="
                f"{out['t']}: each record follows at least one more sample."
            )
        # (before anything reads the counts: 640 KB of state, the counts broadcast from one
        # number to 20,000 records of 20,000 models, were read for 20 s into 4e8 Python ints)
        # (the records count too: with one model each, they cost 4 times their count)
        need = times.size * _HISTORY_RECORD_BYTES + counts.size * _HISTORY_COUNT_BYTES
        if need > memory_limit():
            raise ValueError(
                f"FTRL state 'nnz_history' holds {times.size:,} records of {counts.size:,} "
                f"counts, which as the tuples and Python ints of nnz_history_ need up to "
                f"{need:,} bytes, more than the memory this process may use "
                f"({memory_limit():,} bytes)."
            )
        if counts.size and (counts.min() < 0 or counts.max() > n_features):
            raise ValueError(
                f"FTRL state 'nnz_history' counts non-zero weights: from 0 to n_features_in="
                f"{n_features}."
            )
        # (a row at a time: the whole as nested lists first doubled the peak)
        out["nnz_history"] = [(t, tuple(row.tolist())) for t, row in zip(times.tolist(), counts)]
    else:
        out["nnz_history"] = []
    out["n_iter"] = _integer(state, "n_iter", 0, _LARGEST) if "n_iter" in state else 0
    dtype = str(_array(state, "coef_dtype", "U", 0)) if "coef_dtype" in state else "float64"
    if dtype not in ("float32", "float64"):
        raise ValueError(f"FTRL state 'coef_dtype' must be 'float32' or 'float64', got {dtype!r}.")
    out["coef_dtype"] = np.dtype(dtype)
    if "feature_names_in" in state:
        names = _array(state, "feature_names_in", "U", 1)
        # (a broadcast name repeats: a sorted copy of 2**33 of them exhausted the memory)
        if _repeats(names) or sorted_distinct(names).size != names.size:
            raise ValueError("FTRL state 'feature_names_in' repeats a name.")
        if beyond_unicode(names):  # (NumPy's str of them raises SystemError)
            raise ValueError(
                "FTRL state 'feature_names_in' holds a character beyond U+10FFFF (not Unicode)."
            )
        if names.size != n_features:
            raise ValueError(
                f"FTRL state 'feature_names_in' has {names.size} names for {n_features} features."
            )
        out["feature_names_in"] = names.astype(object)
    if "params" in state:
        out["params_text"] = _params_text(state)
        out["params"] = read_params(out["params_text"])
    return out


def _params_text(state):
    """The text of ``params``, at most ``LONGEST_RECORD`` characters (told before a copy)."""
    value = state["params"]
    length = len(value) if isinstance(value, str) else None
    if length is None:
        array = _array(state, "params", "U", 0)
        length = array.dtype.itemsize // 4
    if length > LONGEST_RECORD:
        raise ValueError(
            f"FTRL state 'params' holds {length:,} characters; at most {LONGEST_RECORD:,} "
            "are taken."
        )
    return str(value) if isinstance(value, str) else str(array)


def _repeats(values):
    """Whether the 1-D ``values`` is one value broadcast (a stride of 0) over several places."""
    return values.size > 1 and values.strides[0] == 0


def _increasing(values, block=2**20):
    """Whether ``values`` increase strictly, read a block at a time."""
    for start in range(0, values.size - 1, block):
        # (compared, not subtracted: a uint64 difference wraps around to a large positive
        # number, and uint64 values as int64 to negative ones)
        chunk = values[start : start + block + 1]
        if not np.all(chunk[1:] > chunk[:-1]):
            return False
    return True


def history_arrays(history, n_models):
    """``nnz_history_`` as the two arrays of the protocol."""
    times = np.array([t for t, _ in history], dtype=np.int64)
    counts = np.array([c for _, c in history], dtype=np.int64).reshape(len(history), n_models)
    return times, counts
