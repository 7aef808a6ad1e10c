"""The decision function of a linear model, shared by the estimators and their export.

The FTRL estimators and an :class:`~sparsereg.export.ExportedLinearModel` exported
from them both score rows with :meth:`LinearWeights.scores`: one compiled loop that
sums each row's products in float64, in the order of the row's entries. The
estimator holds every column's weight (dense store) or only the non-zero ones
(table store, export); the loop gives the same scores either way, so the export is
identical to the estimator without repeating its arithmetic.
"""

import _thread
import itertools
import math
import os
import queue
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import softmax

from ._ftrl_fast import EMPTY_KEY
from ._ftrl_scores import CSR_PLAIN_NAN, build_column_index, csr_predict, linear_scores
from ._interrupts import Task, finish
from ._state import sorted_union
from ._validation import csr_arrays, small_dense_arrays

_NO_COLUMNS = np.empty(0, dtype=np.int64)
_FLOAT64 = np.dtype(np.float64)
_NO_INDEX = np.full((1, 2), EMPTY_KEY, dtype=np.int64)

# rows from which a call makes the bulk layout of listed columns (LinearWeights._layout), used
# by every call after: a binary search per non-zero took 85 ns (300 us for 100 CTR rows), the
# dense layout of a 2**20-column model 1.4 ms to make once (benchmarks/RESULTS.md, "#16
# seventh session")
BULK_ROWS = 32
# the largest dense weight array made for bulk scoring (2**23 columns of one float64 model)
DENSE_LOOKUP_BYTES = 64 * 2**20
# weights placed at a time in a table of weights (weight_table): 8 MiB of positions
TABLE_CHUNK = 2**18
# calls from this many rows are scored in several threads, over contiguous row blocks
# (benchmarks/RESULTS.md, "#16 seventh session": on a free core two threads paid from 2,000-5,000
# rows, 1.4-1.5x at 5,000)
THREAD_ROWS = 5_000
# the most threads a call is split over
MAX_THREADS = 8
# the rows of a block taken by one scoring thread at a time
BLOCK_ROWS = 8192
# at least this many blocks per thread (smaller ones in calls of fewer rows), so that a thread
# kept off its core delays a call by half its share at most (RESULTS.md, "#16 seventh session")
BLOCKS_PER_THREAD = 2


class ScoresNotNumbers(ValueError):
    """The ``ValueError`` of :func:`refuse_nan_scores`; ``rows`` holds the rows (of the call)
    whose scores are not numbers, so that a caller scoring a file can name or skip them."""

    def __init__(self, message, rows):
        super().__init__(message)
        self.rows = rows


def refuse_nan_scores(scores):
    """Return ``scores`` (or probabilities from them), or raise ``ValueError`` if one is NaN.

    X and the weights are finite, so a NaN score means that the products ``x * w`` of a row
    overflowed float64 to both ``+inf`` and ``-inf``, whose sum is not a number (a NaN
    decision predicted the first class), and a NaN probability that a softmax met an
    infinite score: weights of 1e300 from a model file that was not made by training, or
    values near float64's end. A score of ``+-inf`` (the products overflowing one way) is
    the limit of the sum and is kept. One sum finds a NaN; a sum that is NaN only because
    two numbers are ``+inf`` and ``-inf`` is checked number by number. (The compiled
    scoring of a plain CSR flags a NaN itself: :meth:`LinearWeights.plain_scores`.)
    """
    if math.isnan(_sum(scores)):
        bad = np.flatnonzero(np.isnan(scores).reshape(scores.shape[0], -1).any(axis=1))
        if bad.size:
            raise ScoresNotNumbers(
                f"the scores of {bad.size} row(s) (the first: row {bad[0]}) "
                "are not numbers: the products x * w of the row overflow float64 "
                "(|x * w| > 1.8e308). The model's weights or X's values are too large.",
                bad,
            )
    return scores


def softmax_probabilities(scores):
    """scikit-learn's ``softmax`` of ``(n_rows, n_classes)`` finite scores (computed in
    place). A row whose scores overflowed (``+-inf``: the products ``x * w`` passed float64's
    end) gets the probabilities ``predict`` agrees with: shared by its classes at ``+inf``,
    0 for the others (the limit when one class is at ``+inf``; with several, a convention),
    and ``1 / n_classes`` each when every class is at ``-inf`` (as one-vs-rest's are). A NaN
    score is refused (:func:`refuse_nan_scores`)."""
    if math.isfinite(_sum(scores)):
        return softmax(scores, copy=False)
    refuse_nan_scores(scores)
    top = np.isposinf(scores)
    bottom = np.isneginf(scores).all(axis=1)
    top[bottom] = True
    rows = top.any(axis=1)
    conventions = top[rows] / top[rows].sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):  # (inf - inf in those rows, replaced)
        proba = softmax(scores, copy=False)
    proba[rows] = conventions
    return proba


def _sum(values):
    """The sum of an array's numbers, ``inf`` or NaN when one is not finite (or when the sum
    overflows): 0.3 us for a few in Python, where NumPy takes 1.3."""
    if values.size <= 16:
        return sum(values.ravel().tolist())
    with np.errstate(over="ignore", invalid="ignore"):  # (what the caller looks for)
        return float(np.sum(values))


_tasks = None  # the queue the scoring threads take their tasks from (made on first use)
_threads = 0  # scoring threads started in this process
_threads_lock = threading.Lock()


def _forget_threads():
    """In a forked child: the parent's threads did not come along."""
    global _tasks, _threads, _threads_lock
    _tasks, _threads, _threads_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def _serve(tasks):
    """A scoring thread: runs the tasks it is given, for the life of the process."""
    while True:
        tasks.get().run()


def _hand_out(tasks):
    """Queue ``tasks`` for the scoring threads, started as needed (as many as ``tasks``,
    at most ``MAX_THREADS - 1``). Not a ``concurrent.futures`` pool: its caller's side
    takes Python locks that a signal handler's exception can leave held (``Task``). Tasks
    beyond the threads there are (none, if no thread can be started) are not queued: the
    caller's :func:`finish` takes them back."""
    global _tasks, _threads
    with _threads_lock:
        if _tasks is None:
            _tasks = queue.SimpleQueue()
        while _threads < min(len(tasks), MAX_THREADS - 1):
            _threads += 1  # counted first: a handler's exception after the start keeps it
            try:
                _thread.start_new_thread(_serve, (_tasks,))
            except RuntimeError:  # "can't start new thread"
                _threads -= 1
                break
        handed, queued = _tasks, min(len(tasks), _threads)
    for task in tasks[:queued]:
        handed.put(task)


def scoring_threads(n_rows, n_jobs=None):
    """How many threads score a call of ``n_rows`` rows: one below ``THREAD_ROWS`` rows;
    else ``n_jobs`` (joblib's convention: -1 is every CPU, -2 all but one), or
    ``os.cpu_count()`` when None, at most ``MAX_THREADS``."""
    if n_rows < THREAD_ROWS:
        return 1
    cpus = os.cpu_count() or 1
    wanted = cpus if n_jobs is None else (n_jobs if n_jobs > 0 else cpus + 1 + n_jobs)
    return max(1, min(wanted, MAX_THREADS))


def in_row_blocks(score, n_rows, n_threads):
    """``score(begin, end)`` over contiguous row blocks covering ``n_rows`` rows, in
    ``n_threads`` threads: the calling thread and ``n_threads - 1`` of the pool take the
    next block of about ``BLOCK_ROWS`` rows (at least ``BLOCKS_PER_THREAD`` blocks per
    thread) until none is left (so a thread that another process keeps off its core delays
    the call by one block, not by a share of the rows).
    Every block has ended when this returns (or raises). Returns whether every block
    returned True (one that does not stops the others taking more).

    Each row is scored by the same compiled loop whatever its block, so the result does
    not depend on ``n_threads``; the loop releases the GIL.
    """
    if n_threads <= 1:
        return score(0, n_rows)
    n_blocks = max(-(-n_rows // BLOCK_ROWS), BLOCKS_PER_THREAD * n_threads)
    taken = itertools.count()  # next() on it is atomic under the GIL
    failed = []

    def work():
        while not failed:
            b = next(taken)
            if b >= n_blocks:
                return
            if not score(n_rows * b // n_blocks, n_rows * (b + 1) // n_blocks):
                failed.append(b)

    tasks = [Task(work) for _ in range(n_threads - 1)]
    try:
        _hand_out(tasks)
        work()
    finally:
        # wait for every block before out is read (a task not begun, the threads busy with
        # other calls, is not needed); raises what a block raised
        finish(tasks)
    return not failed


@dataclass(frozen=True)
class LinearWeights:
    """Weights of ``n_models`` linear models in the layout the scoring loop reads.

    Attributes
    ----------
    weights : ndarray of shape (n_rows, n_models), float32 or float64
        Row ``j`` holds the weights of column ``columns[j]`` (or of column ``j``).
    columns : ndarray of int64, sorted, or None
        The column of each row of ``weights``; None when row ``j`` is column ``j``.
    intercept : ndarray of shape (n_models,)
    """

    weights: np.ndarray
    columns: np.ndarray | None
    intercept: np.ndarray

    def __getstate__(self):
        """The fields without the layouts made by the calls (``_layout``): a pickled model
        is as large after a bulk call as before it (a dense layout is up to 64 MiB)."""
        return {name: self.__dict__[name] for name in ("weights", "columns", "intercept")}

    def _layout(self, n_features, n_rows):
        """``(listed, columns, column_index, weights)`` as :func:`csr_predict` reads them.

        Listed columns are found by binary search until a call of ``BULK_ROWS`` rows or more
        makes a faster layout, kept for every call after: every column's weight in a dense
        array (like ``coef_``) when that takes at most ``DENSE_LOOKUP_BYTES``, else a hash
        table of the listed columns (at most half full: 32 to 64 bytes per listed column).
        Scores are the same with each: a column without a weight adds ``x * 0.0``, which
        leaves the sum as it is.
        """
        if self.columns is None:
            return False, _NO_COLUMNS, _NO_INDEX, self.weights
        n_models = self.weights.shape[1]
        dense_fits = n_features * n_models * self.weights.itemsize <= DENSE_LOOKUP_BYTES
        dense = self.__dict__.get("_dense_weights")
        if dense_fits and dense is not None and dense.shape[0] == n_features:
            return False, _NO_COLUMNS, _NO_INDEX, dense
        index = self.__dict__.get("_column_index")
        if not dense_fits and index is not None:
            return True, self.columns, index, self.weights
        if n_rows < BULK_ROWS:
            return True, self.columns, _NO_INDEX, self.weights
        if dense_fits:
            dense = np.zeros((n_features, n_models), dtype=self.weights.dtype)
            dense[self.columns] = self.weights
            object.__setattr__(self, "_dense_weights", dense)  # (a race makes two alike)
            return False, _NO_COLUMNS, _NO_INDEX, dense
        capacity = 1 << max(2 * self.columns.size, 1).bit_length()
        index = np.full((capacity, 2), EMPTY_KEY, dtype=np.int64)
        build_column_index(np.ascontiguousarray(self.columns, dtype=np.int64), index)
        object.__setattr__(self, "_column_index", index)
        return True, self.columns, index, self.weights

    @classmethod
    def from_coef(cls, coef, intercept):
        """From a dense ``(n_models, n_features)`` array, or a CSR matrix of the non-zeros."""
        if not sp.issparse(coef):
            return cls(np.ascontiguousarray(np.asarray(coef).T), None, np.asarray(intercept))
        coef = sp.csr_matrix(coef)
        columns = sorted_union([coef.indices])
        return cls(weight_table(coef, columns), columns, np.asarray(intercept))

    def scores(self, X, n_jobs=None):
        """``X @ coef.T + intercept`` of shape (n_rows, n_models) for a validated CSR ``X``
        (in :func:`scoring_threads` threads, the same scores whatever their number)."""
        n_rows = X.shape[0]
        out = np.empty((n_rows, self.weights.shape[1]))
        listed = self.columns is not None
        columns = self.columns if listed else _NO_COLUMNS

        def score(begin, end):
            linear_scores(
                X.data, X.indices, X.indptr, columns, listed, self.weights, out, begin, end
            )
            return True

        in_row_blocks(score, n_rows, scoring_threads(n_rows, n_jobs))
        out += self.intercept
        return refuse_nan_scores(out)

    def plain_scores(self, X, n_features, logistic_pair=False, n_jobs=None):
        """:meth:`scores` of a CSR ``X`` that ``plain_csr`` would find plain (or of a small
        dense array's non-zeros, ``small_dense_arrays``), checked and scored in one compiled
        pass; None for any other ``X`` (the caller then runs the full checks).

        With ``logistic_pair`` (one model only), the binary log-loss probabilities
        ``(1 - p, p)``, ``p`` being ``scipy.special.expit`` of the score, bit for bit.
        A call of at least ``THREAD_ROWS`` rows is checked and scored in
        :func:`scoring_threads` threads over contiguous row blocks: each row by the same
        loop, so the scores are those of one thread; the rows of every block are checked,
        and one that is not plain makes the whole call None.
        """
        arrays = csr_arrays(X, n_features) or small_dense_arrays(X, n_features)
        if arrays is None:
            return None
        # a float32 model's intercepts as float64 (exact: what ``scores`` adds), read on every
        # call (an export's ``intercept_`` may be changed in place); the compiled scoring
        # refused them, so every call of a float32 model took the full checks (288 us for a
        # 1-row ``predict_proba`` where a float64 model's took 7.6 us)
        intercept = self.intercept
        if intercept.dtype is not _FLOAT64:  # (an identity test: 30 ns, where != takes 100)
            intercept = intercept.astype(np.float64)
        n_rows = X.shape[0]
        n_models = self.weights.shape[1]
        out = np.empty((n_rows, 2 if logistic_pair else n_models))
        listed, columns, index, weights = self._layout(n_features, n_rows)
        pair = logistic_pair and n_models == 1

        nan_seen = []

        def score(begin, end):
            code = csr_predict(
                *arrays,
                n_features,
                columns,
                listed,
                index,
                weights,
                intercept,
                out,
                pair,
                begin,
                end,
            )
            if code == CSR_PLAIN_NAN:
                nan_seen.append(True)
            return bool(code)

        try:
            plain = in_row_blocks(score, n_rows, scoring_threads(n_rows, n_jobs))
        except (ValueError, TypeError):  # e.g. a non-contiguous array: the full checks say so
            return None
        if not plain:
            return None
        return refuse_nan_scores(out) if nan_seen else out


def weight_table(coef, columns, zero_rows=0):
    """The ``(columns.size + zero_rows, n_models)`` weights of the CSR ``coef``'s non-zeros,
    row ``j`` column ``columns[j]``'s (``columns``: sorted, holding each of ``coef``'s
    columns), then ``zero_rows`` rows of zeros. Filled ``TABLE_CHUNK`` weights at a time:
    the positions of a model file's 10**7 weights took 160 MB beside a 40 MB table."""
    n_models = coef.shape[0]
    weights = np.zeros((columns.size + zero_rows, n_models), dtype=coef.dtype)
    indptr = coef.indptr.astype(np.int64, copy=False)
    for begin in range(0, coef.nnz, TABLE_CHUNK):
        end = min(begin + TABLE_CHUNK, coef.nnz)
        models = np.searchsorted(indptr, np.arange(begin, end), side="right") - 1
        rows = np.searchsorted(columns, coef.indices[begin:end])
        weights[rows, models] = coef.data[begin:end]
    return weights


@dataclass(frozen=True)
class RowsWeights(LinearWeights):
    """The weights of the columns of the rows one call scores (``columns``: those columns,
    sorted), which give those rows the scores of the whole model (the columns they lack
    would each add ``x * w`` of a column they do not have). Every call looks its columns up
    by binary search: no layout of the model's width is made for it."""

    def _layout(self, n_features, n_rows):
        return True, self.columns, _NO_INDEX, self.weights
