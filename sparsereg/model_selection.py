"""One pass, many models: a grid of FTRL models trained and compared in the same pass over X.

McMahan et al. (KDD 2013, section 4.3) train the variants of a model side by side on the
same stream: every row is read, checked and its columns located once, and each variant
scores it before it updates from it (progressive validation). ``SparseFTRLClassifierCV``
and ``SparseFTRLRegressorCV`` do that for the product of grids of ``alpha``, ``eta0`` and
``l1_ratio``, keep the losses and non-zero counts of every model in ``cv_results_`` (the
sparsity-accuracy path of one fit) and expose the chosen model as ``best_estimator_``, a
plain fitted ``SparseFTRLClassifier`` / ``SparseFTRLRegressor`` built through the state
protocol (``set_ftrl_state``), with no refit.

The grid's state: for each one-vs-rest problem (one for regression and binary
classification), the ``M`` models' ``z`` then their ``n`` of a column lie side by side, so
one memory access serves them all and the models are updated as vectors
(``_ftrl_grid.grid_epoch``): a dense array of ``2 M`` numbers per column seen, found through
an array of one row number per column of the width, or an open-addressing table of ``(column,
z_0, ..., z_{M-1}, n_0, ..., n_{M-1})`` slots holding only the columns seen.
"""

import copy
import functools
import math
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from scipy.stats import rankdata
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseFTRL, check_mt19937, copy_random_state
from ._call_memo import _CallParams, _param_getter
from ._checked_score import CheckedScore
from ._epoch import (
    NARROW_COLUMNS,
    UNWEIGHTED,
    Batch,
    epoch_order,
    history_due,
    penalty_lambdas,
    refuse_changed_x,
)
from ._ftrl_fast import EMPTY_KEY, Loss, Status, Store
from ._ftrl_grid import grid_count_nonzero, grid_epoch, wide_rehash
from ._interrupts import interrupts_deferred
from ._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, gives_probabilities
from ._memory import memory_limit
from ._missing import refuse_masked
from ._optional_methods import available_when
from ._reserve import grown_slots, growth_may_fail, largest_table_bytes
from ._state import (
    _FIRST_CAPACITY,
    AUTO_SPARSE_BYTES,
    _capacity_for,
    columns_in,
    distinct_of,
    sorted_union,
)
from ._state_protocol import LARGEST_ETA0, plain_labels
from ._training_lock import TrainingLock
from ._typing import ArrayLike, MatrixLike
from ._validation import beyond_float64, refuse_non_number_values
from .linear_model import SparseFTRLClassifier, SparseFTRLRegressor
from .sparsity import SparsityReport

__all__ = ["SparseFTRLClassifierCV", "SparseFTRLRegressorCV", "select_model"]

ALPHA_RANGE = (1e-8, 1e-3)  # the log-scale range of ``alphas=<int>``
_GRID_COLUMNS = 7  # numbers per model in grid_epoch's ``models`` scratch
_FIRST_GRID_TABLE_BYTES = 4 * 2**20


# ------------------------------------------------------------------------- selection
def select_model(
    loss: ArrayLike,
    n_nonzero: ArrayLike,
    *,
    loss_se: ArrayLike | None = None,
    sparsity: float | str | None = None,
) -> int:
    """Index of the model a grid search keeps: the best loss, or the sparsest model close to it.

    Parameters
    ----------
    loss : array-like of shape (n_models,)
        Each model's loss (lower is better); NaN never wins.
    n_nonzero : array-like of shape (n_models,)
        Each model's number of non-zero weights.
    loss_se : array-like of shape (n_models,), default=None
        Standard error of each loss, for ``sparsity='1se'``.
    sparsity : None, float >= 0 or '1se', default=None
        None: the model of least loss. A float ``tol``: the model with the fewest
        non-zero weights among those whose loss is at most ``best * (1 + tol)``.
        '1se': the same within one standard error of the best, ``best + loss_se[best]``
        (the one-standard-error rule). Ties go to the lower loss, then the first model.

    Returns
    -------
    index : int

    Examples
    --------
    >>> from sparsereg.model_selection import select_model
    >>> loss, nnz = [0.300, 0.303, 0.310], [900, 400, 100]
    >>> select_model(loss, nnz), select_model(loss, nnz, sparsity=0.02)
    (0, 1)
    >>> select_model(loss, nnz, loss_se=[0.02, 0.02, 0.02], sparsity="1se")
    2
    """
    loss, n_nonzero = _numbers(loss, "loss"), _numbers(n_nonzero, "n_nonzero")
    if loss.ndim != 1 or loss.size == 0 or n_nonzero.shape != loss.shape:
        raise ValueError(
            f"loss and n_nonzero must be 1-D arrays of the same non-zero length; "
            f"got shapes {loss.shape} and {n_nonzero.shape}."
        )
    # (a NaN count sorted last and a negative one first: the "sparsest" model was either)
    if not np.all(np.isfinite(n_nonzero) & (n_nonzero >= 0) & (n_nonzero == np.floor(n_nonzero))):
        raise ValueError(
            f"n_nonzero must hold counts of weights (whole numbers >= 0); got {n_nonzero!r}."
        )
    finite = np.isfinite(loss)
    if not finite.any():
        raise ValueError("every model's loss is NaN or infinite: no model to choose.")
    _check_sparsity(sparsity)
    ranked = np.where(finite, loss, np.inf)
    best = int(np.argmin(ranked))
    if sparsity is None:
        return best
    if isinstance(sparsity, str):
        if loss_se is None:
            raise ValueError("sparsity='1se' needs loss_se, the standard error of each loss.")
        loss_se = _numbers(loss_se, "loss_se")
        if loss_se.shape != loss.shape:
            raise ValueError(f"loss_se has shape {loss_se.shape}, loss {loss.shape}.")
        if np.any(loss_se < 0):  # (a negative one left no model within the bound)
            raise ValueError(f"loss_se holds a negative standard error: {loss_se!r}.")
        bound = ranked[best] + (loss_se[best] if np.isfinite(loss_se[best]) else 0.0)
    else:
        bound = ranked[best] + float(sparsity) * abs(ranked[best])
    candidates = np.flatnonzero(ranked <= bound)
    order = np.lexsort((candidates, ranked[candidates], n_nonzero[candidates]))
    return int(candidates[order[0]])


# the most alphas an int may ask for (each a model of the grid, trained in the same pass)
MAX_ALPHAS = 1_000_000
# what a model of the grid costs in Python before any state (its tuple, floats, cv_results_
# entries...): about 500 bytes measured, 1e6 models 0.5 GB
_BYTES_PER_MODEL = 512


def _holdout_weighed(counts):
    """Held-out rows of a non-zero weight so far, in a grid's ``counts`` (a grid pickled
    before they were counted: its held-out rows)."""
    return counts.get("holdout_weighed", counts["holdout"])


def _no_weight_sums(n_problems):
    """A new grid's sums of each problem's row weights, and their concentrations (see
    ``_weight_sums``), progressive and held out."""
    return {
        f"{kind}_weight{what}": np.zeros(n_problems)
        for kind in ("progressive", "holdout")
        for what in ("", "_concentration")
    }


def _weight_sums(weights, n_rows, rows):
    """``(sums of weights, concentrations)``, one per problem, of the rows ``rows`` (None: all
    ``n_rows``) of each problem's ``weights`` (empty: every row weighs 1). A concentration is
    ``sum((w / sum(w))**2)``, one over Kish's effective number of rows: held so, not as
    ``sum(w**2)``, which underflows to 0 for weights below ~1e-154 (a standard error of 0)."""
    sums, concentrations = [], []
    for w in weights:
        if w.size == 0:
            sums.append(float(n_rows))
            concentrations.append(1.0 / n_rows if n_rows else 0.0)
        else:
            w = w if rows is None else w[rows]
            total = float(np.sum(w))
            sums.append(total)
            concentrations.append(float(np.sum((w / total) ** 2)) if total > 0 else 0.0)
    return np.array(sums), np.array(concentrations)


def _add_weight_sums(counts, kind, weight_sums):
    """Add ``_weight_sums`` to a grid's ``counts`` (new arrays: ``counts`` may be a shallow copy
    of the fitted grid's, which a refused call leaves as it was): the weights summed, the
    concentrations as ``sum(w**2) / sum(w)**2`` of all the rows, from the shares of the sums."""
    before, added = counts[kind + "_weight"], weight_sums[0]
    total = before + added
    with np.errstate(invalid="ignore", divide="ignore"):
        concentration = np.where(
            total > 0,
            counts[kind + "_weight_concentration"] * (before / total) ** 2
            + weight_sums[1] * (added / total) ** 2,
            0.0,
        )
    counts[kind + "_weight"] = total
    counts[kind + "_weight_concentration"] = concentration


def _weighted_mean_and_se(loss_sums, square_sums, weights, concentrations):
    """Every model's loss, and its standard error, from each problem's (rows of
    ``loss_sums``) sums of weight x loss and weight x loss**2, the sums of its rows'
    weights and their concentrations: each problem's weighted mean (scikit-learn's metrics'
    ``sample_weight``), summed over the problems (one-vs-rest's classes); the standard error
    of a single problem's, ``sqrt(weighted variance / n_eff)`` with Kish's effective number of
    rows ``n_eff = sum(w)**2 / sum(w**2)`` (the number of rows when every weight is equal; NaN
    for one-vs-rest, whose classes' losses of a row are not summed before squaring). NaN
    where no row weighs."""
    weighs = weights > 0
    if not weighs.any():
        nan = np.full(loss_sums.shape[1], np.nan)
        return nan, nan.copy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # a problem none of whose rows weighs (a class weight of 0) adds no loss
        means = loss_sums[weighs] / weights[weighs][:, None]
        mean = means.sum(axis=0)
        if loss_sums.shape[0] > 1:
            return mean, np.full(loss_sums.shape[1], np.nan)
        variance = np.maximum(square_sums[0] / weights[0] - mean * mean, 0.0)
        se = np.sqrt(variance * concentrations[0])
    return mean, se


def _sums_by_problem(sums, counts, n_problems):
    """The ``(sums, counts)`` of a grid pickled when its losses' sums were one row for every
    problem, and over its rows: the sums as the first problem's (rows of zeros for the
    others) and each problem's weight sums the rows' count, which give the losses it had
    (without ``sample_weight``, the same as a grid trained now)."""
    counts = dict(counts)
    for kind in ("progressive", "holdout"):
        n = float(counts[kind] if kind == "progressive" or _holdout_weighed(counts) else 0)
        for sq in ("", "_sq"):
            by_problem = np.zeros((n_problems, np.size(sums[kind + sq])))
            by_problem[0] = sums[kind + sq]
            sums = {**sums, kind + sq: by_problem}
        counts[kind + "_weight"] = np.full(n_problems, n)
        counts[kind + "_weight_concentration"] = np.full(n_problems, 1.0 / n if n else 0.0)
    return sums, counts


def _balanced_on(y_train, classes):
    """``class_weight='balanced'`` of the training rows' labels ``y_train``, as a dict: the
    weights the single model fitted on those rows alone computes (the held-out rows' labels
    weighed in the grid's training). When a class is in held-out rows only, the single model
    would not know it: ``'balanced'`` over every row then, as before."""
    if not np.isin(classes, y_train).all():
        return "balanced"
    weights = compute_class_weight("balanced", classes=classes, y=y_train)
    return dict(zip(classes.tolist(), weights.tolist()))


def _told_apart(grid, penalty):
    """The grid's ``(alpha, eta0, l1_ratio)`` models as what sets them apart under
    ``penalty``: ``l1_ratio`` only with 'elasticnet', the one penalty that reads it (a
    ``set_params(l1_ratio=...)`` under 'l1' made the next ``partial_fit`` refuse the grid as
    changed, though every model stayed the same)."""
    return [
        (alpha, eta0, l1_ratio if penalty == "elasticnet" else None)
        for alpha, eta0, l1_ratio in grid
    ]


def _numbers(values, name):
    """``values`` (``select_model``'s results) as float64, refusing text, dates and durations
    (read as the numbers they spell, or counts of their unit), ints beyond float64 (NumPy's
    ``OverflowError``), masked arrays (the masked results were ranked by the values they hide)
    and complex numbers (their imaginary parts were dropped), naming ``name``."""
    refuse_masked(values, name, "select_model")
    refuse_non_number_values(values, name, "select_model")
    try:
        array = np.asarray(values)
        if array.dtype.kind != "c":
            return array.astype(np.float64, copy=False)
    except OverflowError:
        raise beyond_float64(name) from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from None
    raise ValueError(f"{name} holds complex numbers; select_model takes real ones.")


def _check_sparsity(sparsity):
    if sparsity is None or (isinstance(sparsity, str) and sparsity == "1se"):
        return
    if (
        isinstance(sparsity, (bool, np.bool_))
        or not isinstance(sparsity, Real)
        or not (math.isfinite(sparsity) and sparsity >= 0)
    ):
        raise ValueError(
            f"sparsity must be None, a finite number >= 0 (a relative loss "
            f"tolerance) or '1se'; got {sparsity!r}."
        )


def _grid_values(name, values, *, low, high, closed_low=True):
    """A validated 1-D list of floats for one axis of the grid."""
    if isinstance(values, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{name} must be a list of numbers; got {values!r}.")
    if isinstance(values, Real):
        values = [values]
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a list of numbers; got {values!r}.") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of numbers; got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty: give at least one value.")
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold numbers (not booleans or strings); got dtype "
            f"{array.dtype} ({values!r})."
        )
    array = array.astype(np.float64)
    bad = [
        v
        for v in array.tolist()
        if not (math.isfinite(v) and (v >= low if closed_low else v > low) and v <= high)
    ]
    if bad:
        bracket = "[" if closed_low else "("
        raise ValueError(
            f"{name} must hold finite values in {bracket}{low:g}, {high:g}]; got {bad[:5]!r}."
        )
    if len(set(array.tolist())) != array.size:
        raise ValueError(f"{name} repeats a value: {array.tolist()!r}.")
    return array.tolist()


@functools.cache
def _shared_parameters(cv_class):
    """The parameters a CV estimator passes to its single estimator (read by ``inspect``
    once per class, not on every call)."""
    mine = set(cv_class._get_param_names())
    return tuple(name for name in cv_class._single._get_param_names() if name in mine)


# ------------------------------------------------------------------------- the state
def _aligned_zeros(rows, width):
    """``np.zeros((rows, width))`` starting on a 64-byte cache line, so that a row of 8
    models (128 bytes) spans two lines rather than three."""
    flat = np.zeros(rows * width + 8)
    start = (-flat.ctypes.data % 64) // 8
    return flat[start : start + rows * width].reshape(rows, width)


def _first_capacity(width):
    """The most slots of ``width`` numbers a grid's first table gets: the single
    estimator's, or more up to 4 MiB (a grid's slots are wider: growing is dearer)."""
    capacity = _FIRST_CAPACITY
    while 2 * capacity * width * 8 <= _FIRST_GRID_TABLE_BYTES:
        capacity *= 2
    return capacity


def _empty_wide_table(capacity, width):
    table = np.zeros((capacity, width))
    table.view(np.int64)[:, 0] = EMPTY_KEY
    return table


def _reserve_grid_tables(states, batch, order, t0):
    """Grow the grid's tables (one per problem) to the size training on ``batch``'s rows in
    ``order`` would grow them to, every table allocated before any is changed."""
    bigger = {}
    for k, state in enumerate(states):
        slots = grown_slots(
            state.zn,
            state.table,
            batch,
            order=order,
            t0=t0,
            room=batch.longest_row,
            n_features=state.n_features,
        )
        if slots > state.zn.shape[0]:
            bigger[k] = _empty_wide_table(slots, state.zn.shape[1])
    for k, table in bigger.items():
        states[k].move(table)


class _GridState:
    """The ``(z, n)`` of ``n_models`` models of one binary problem, column by column."""

    def __init__(self, n_models, n_features, *, table, expected_columns):
        self.n_models, self.n_features = int(n_models), int(n_features)
        self.store = Store.TABLE_STORE if table else Store.DENSE_STORE
        self.intercept_zn = np.zeros((2, n_models))  # the intercepts' z, then their n
        if table:
            first = min(_capacity_for(max(expected_columns, 1)), _first_capacity(1 + 2 * n_models))
            self.zn = _empty_wide_table(first, 1 + 2 * n_models)
            self.table = np.array([0, first // 2], dtype=np.int64)
            self.rows = self.row_columns = np.empty(0, dtype=np.int64)
        else:
            # one row of zn per column of the data (``add_columns``), so that the state is as
            # large as the columns seen, not the width, and read in the columns' order
            self.zn = np.zeros((0, 2 * n_models))
            self.table = np.zeros(2, dtype=np.int64)
            self.rows = np.full(n_features, -1, dtype=np.int64)
            self.row_columns = np.empty(0, dtype=np.int64)  # the column of each row

    @property
    def in_table(self):
        return self.store == Store.TABLE_STORE

    def add_columns(self, indices):
        """Dense store: give a row of ``zn`` to each column in ``indices`` that has none (in
        the order of the columns), before the kernel reads them."""
        if self.in_table:
            return
        # (not NumPy's marked[indices] = True, which checks, then writes: another thread may
        # write to X's indices meanwhile)
        new = distinct_of(indices, self.n_features)
        new = new[self.rows[new] < 0]
        if new.size == 0:
            return
        used = int(self.table[0])
        need = used + new.size
        # allocate everything first: a MemoryError then leaves the state as it was
        zn = self.zn
        if need > zn.shape[0]:
            capacity = need if used == 0 else max(need, min(2 * zn.shape[0], self.n_features))
            zn = _aligned_zeros(capacity, zn.shape[1])
            zn[:used] = self.zn[:used]
        given = np.arange(used, need)
        row_columns = np.concatenate([self.row_columns, new])
        self.forget()
        self.zn, self.row_columns = zn, row_columns
        self.rows[new] = given
        self.table[0] = need

    def grow(self, room):
        """Table store: make room for ``room`` more columns (the kernel stopped at a row
        without it)."""
        held = int(self.table[0])
        capacity = max(_capacity_for(held + room), self.zn.shape[0])
        self.move(_empty_wide_table(capacity, self.zn.shape[1]))

    def move(self, bigger):
        """Table store: move the columns held into the larger, empty table ``bigger``."""
        wide_rehash(self.zn, bigger)
        self.forget()  # the held slots moved
        self.zn = bigger
        self.table = np.array([int(self.table[0]), bigger.shape[0] // 2], dtype=np.int64)

    def held(self):
        """``(columns, at, offset)``: the columns holding state, sorted, their rows of ``zn``
        and where in a row the ``M`` z start (read once per training call: ``forget`` after
        the state changes)."""
        if self.__dict__.get("_held_cache") is None:
            if self.in_table:
                keys = self.zn.view(np.int64)[:, 0]
                slots = np.flatnonzero(keys != EMPTY_KEY)
                slots = slots[np.argsort(keys[slots], kind="stable")]
                self._held_cache = keys[slots], slots, 1
            else:  # rows are given in the columns' order within a call: usually sorted
                columns = self.row_columns
                if columns.size > 1 and not np.all(columns[1:] > columns[:-1]):
                    columns = np.sort(columns)
                    self._held_cache = columns, self.rows[columns], 0
                else:
                    self._held_cache = columns, slice(0, columns.size), 0
        return self._held_cache

    def forget(self):
        self._held_cache = None

    def model_zn(self, m):
        """``(columns, z, n)`` of model ``m``: the columns whose ``(z, n)`` is not ``(0, 0)``."""
        columns, at, offset = self.held()  # ``at``: rows of zn, or a slice of them
        z = self.zn[:, offset + m][at]  # (a view for a slice: the mask below copies)
        n = self.zn[:, offset + self.n_models + m][at]
        keep = (z != 0.0) | (n != 0.0)
        return columns[keep].astype(np.int64), z[keep], n[keep]

    def count_nonzero(self, rates, dtype):
        """Non-zero weights of each model as the chosen model's ``coef_`` of ``dtype`` would
        hold them (``rates``: ``_grid_rates``). Rows of ``zn`` that hold no column have
        ``z = 0``."""
        counts = np.zeros(self.n_models, dtype=np.int64)
        rows = self.zn.shape[0] if self.in_table else int(self.table[0])
        grid_count_nonzero(
            self.zn,
            rows,
            1 if self.in_table else 0,
            rates["lambda1"],
            rates["inv_eta0"],
            rates["lambda2"],
            rates["beta"],
            np.dtype(dtype) == np.float32,
            np.full(self.n_models, np.inf),
            np.zeros(self.n_models),
            counts,
        )
        return counts


class _ChosenModel:
    """``best_estimator_`` of a grid: the refit model, or ``None`` until first read, then the
    chosen model built from the grid's state under ``params`` (the single estimator's
    parameters as the call that chose it found them).

    Made before a call trains, so that attaching the call's grid allocates nothing the size
    of the state: a ``partial_fit`` trains the grid in place, and a ``MemoryError`` while
    building the chosen model after that left the grid trained and ``t_`` as before. Mutated
    in place on first read, as ``_base._WeightsCache`` is (reads leave ``__dict__`` as it
    was); a read that meets a ``MemoryError`` leaves it empty."""

    __slots__ = ("value", "params")

    def __init__(self, params, value=None):
        self.params, self.value = params, value


# ------------------------------------------------------------------------- estimators
_SHARED_CV_PARAMETERS_DOC = """
    alphas : int or array-like of float, default=8
        The grid of ``alpha`` (the estimator's regularisation strength, as in
        ``SGDClassifier``): a list of values >= 0, or a number of values spaced on a log
        scale from 1e-8 to 1e-3 (FTRL's best ``alpha`` is usually 10 to 1000 times smaller
        than SGD's; see the README's "Choosing alpha and eta0").

    eta0s : array-like of float, default=(0.03, 0.1, 0.3)
        The grid of ``eta0``, FTRL's learning-rate scale (values in [1e-10, 1e10]).

    l1_ratios : array-like of float or None, default=None
        The grid of ``l1_ratio`` for ``penalty='elasticnet'`` (values in [0, 1]); None: the
        single value ``l1_ratio``. The grid is the product of ``alphas``, ``eta0s`` and
        ``l1_ratios``, in that order (``alpha`` varies slowest).

    selection : {'progressive', 'holdout'}, default='progressive'
        How models are compared. 'progressive': progressive validation, each row scored
        by every model before it trains on it (with ``max_iter > 1`` the later epochs
        score rows already seen, so prefer 'holdout' there). 'holdout': every
        ``holdout``-th row of each call to ``fit`` / ``partial_fit`` is never trained on,
        and is scored by every model at the end of that call (until a call has held out
        a row of non-zero weight, models are compared by their progressive loss).

    holdout : int, default=10
        With ``selection='holdout'``, rows ``holdout - 1``, ``2 holdout - 1``, ... of each
        call are held out (Vowpal Wabbit's ``--holdout_period``). At least 2.

    refit : bool, default=True
        With ``selection='holdout'``, ``fit`` then fits the chosen parameters again on
        every row, held-out rows included (one more fit of the single estimator, as
        ``GridSearchCV``'s and ``LogisticRegressionCV``'s ``refit``), and that model is
        ``best_estimator_``. False: ``best_estimator_`` is the grid's model, which never
        trained on the held-out rows. Progressive selection needs no refit (every model
        trained on every row), and ``partial_fit`` never refits (a stream is read once):
        ``best_estimator_`` is then the grid's model.

    sparsity : None, float >= 0 or '1se', default=None
        Which model is kept (see :func:`~sparsereg.model_selection.select_model`): None,
        the least loss; a float ``tol``, the model with the fewest non-zero weights whose
        loss is within ``tol`` (relative) of the least; '1se', within one standard error of
        it (binary and regression only).

    penalty : {'l1', 'l2', 'elasticnet', None}, default='l1'
        As in the single estimator. None reads no ``alpha``: a grid of several alphas
        trains identical models (warned of; ``alphas=[0.0]`` compares the eta0s alone).

    l1_ratio : float, default=0.15
        The elastic-net mixing when ``l1_ratios`` is None.

    penalty_scale : {'mean', 'sum'}, default='mean'
        As in the single estimator.

    beta : float, default=1.0
        FTRL's beta, shared by every model of the grid.

    fit_intercept : bool, default=True
        Whether to learn an intercept.

    max_iter : int, default=1
        Epochs of ``fit`` (a fixed number: each model of the grid would stop at its own
        epoch, which one pass cannot do). ``partial_fit`` makes one.

    shuffle : bool, default=True
        Whether to visit the rows in a new random order each epoch and call, drawn from
        ``random_state`` exactly as the single estimator draws it.

    epsilon : float, default=0.1
        Width of the epsilon-insensitive and huber losses.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling. An int makes ``fit`` reproducible to the bit.

    state_store : {'auto', 'dense', 'sparse'}, default='auto'
        'dense': 8 bytes per column of the input width (where its state is) and
        ``16 x n_models`` bytes per column seen; 'sparse': a table of the columns seen,
        ``16 x n_models + 8`` bytes a slot, at most half full; 'auto' picks 'sparse' when
        ``16 x n_models`` bytes per column of the width would exceed 256 MiB.

    inclusion : None, default=None
        Probabilistic feature inclusion is not supported by the grid (the models would
        each admit other columns into one shared table): only None is accepted, and
        'poisson' or 'bloom' are refused."""

_SHARED_CV_ATTRIBUTES_DOC = """
    alpha_, eta0_, l1_ratio_ : float
        The chosen model's parameters.

    best_index_ : int
        Its index in ``cv_results_``.

    best_estimator_ : estimator
        The chosen model as a fitted single estimator (``alpha=alpha_``,
        ``eta0=eta0_``, ``l1_ratio=l1_ratio_``, the other parameters this estimator's as
        the last call to ``fit`` or ``partial_fit`` found them),
        built by its ``set_ftrl_state`` from the grid's state when first read (with
        ``selection='holdout'`` and ``refit``, fitted again on every row by ``fit``): it
        predicts, exports and continues ``partial_fit`` on its own. Built when read, a
        ``MemoryError`` building it is raised by the read, which changes nothing, not by
        the ``partial_fit`` that trained the grid.

    cv_results_ : dict of ndarray
        One entry per model: ``params`` (dicts), ``param_alpha``, ``param_eta0``,
        ``param_l1_ratio``, ``progressive_loss`` and ``progressive_loss_se`` (the mean
        training loss of the rows as each model scored them before training on them, over
        every epoch and call, and its standard error), with holdout selection
        ``holdout_loss`` and ``holdout_loss_se`` (of the held-out rows as the models stand
        after training), ``n_nonzero`` (the model's non-zero weights now) and ``rank_loss``
        (1: least selection loss; equal losses share a rank, as ``GridSearchCV``'s
        ``rank_test_score``). The loss is the kernel's: log loss, hinge..., and half the
        squared error for 'squared_error'. With ``sample_weight`` (and ``class_weight``: the
        weights training uses) the mean is weighted, ``sum(w * loss) / sum(w)``, as
        scikit-learn's metrics take ``sample_weight``, and its standard error is
        ``sqrt(weighted variance / n_eff)`` over Kish's effective number of rows
        ``n_eff = sum(w)**2 / sum(w**2)`` (the rows' number when the weights are equal).
        For one-vs-rest, the loss is the sum of the classes' models' (weighted) mean losses
        (a class none of whose rows weighs adds none), and the standard errors are NaN (the
        classes' losses of a row are not summed before squaring; ``sparsity='1se'`` is for
        one model per grid point). A loss is NaN while none of its rows weighs (the first
        model is chosen while no training row has: no model has trained).

    n_models_ : int
        Models in the grid.

    t_ : int
        Training samples seen by each model.

    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X has string column names."""


class _BaseFTRLCV(TrainingLock, BaseEstimator):
    """A grid of single FTRL estimators trained in one pass. Not for direct use."""

    _single = None  # the single estimator's class

    _parameter_constraints: dict = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eta0s": ["array-like"],
        "l1_ratios": ["array-like", None],
        "selection": [StrOptions({"progressive", "holdout"})],
        "holdout": [Interval(Integral, 2, None, closed="left")],
        "refit": ["boolean"],
        "sparsity": [Interval(Real, 0, None, closed="left"), StrOptions({"1se"}), None],
        "inclusion": [None],
        **{
            name: _BaseFTRL._parameter_constraints[name]
            for name in (
                "penalty",
                "l1_ratio",
                "penalty_scale",
                "beta",
                "fit_intercept",
                "max_iter",
                "shuffle",
                "epsilon",
                "random_state",
                "state_store",
            )
        },
    }

    # ----------------------------------------------------------------- the grid
    def _grid(self, params, stacklevel):
        """``[(alpha, eta0, l1_ratio), ...]`` of the ``_CallParams`` ``params``, checked value by
        value (``stacklevel``: a warning's, pointing at the training call's caller)."""
        if isinstance(params.alphas, Integral) and not isinstance(params.alphas, (bool, np.bool_)):
            if params.alphas < 1:
                raise ValueError(f"alphas={params.alphas} must be at least 1 value.")
            if params.alphas > MAX_ALPHAS:  # (10**12 asked NumPy for 7 TiB)
                raise ValueError(
                    f"alphas={params.alphas} asks for more than {MAX_ALPHAS:,} values: every "
                    "one is a model trained in the same pass."
                )
            alphas = (
                np.geomspace(*ALPHA_RANGE, int(params.alphas)).tolist()
                if params.alphas > 1
                else [math.sqrt(ALPHA_RANGE[0] * ALPHA_RANGE[1])]
            )
        else:
            alphas = _grid_values("alphas", params.alphas, low=0.0, high=math.inf)
        if params.penalty is None and len(set(alphas)) > 1:
            # (a warning, not l1_ratios' refusal: the default grid has 8 alphas)
            warnings.warn(
                f"penalty=None reads no alpha: the grid's {len(set(alphas))} alphas train "
                f"identical models, {len(set(alphas))} copies of each eta0's; give alphas=[0.0] "
                "to compare the eta0s alone, or a penalty.",
                UserWarning,
                stacklevel=stacklevel,
            )
        eta0s = _grid_values("eta0s", params.eta0s, low=1e-10, high=LARGEST_ETA0)
        if params.l1_ratios is None:
            l1_ratios = [float(params.l1_ratio)]
        else:
            l1_ratios = _grid_values("l1_ratios", params.l1_ratios, low=0.0, high=1.0)
            if params.penalty != "elasticnet" and len(l1_ratios) > 1:
                raise ValueError(
                    f"l1_ratios={params.l1_ratios!r} changes nothing with "
                    f"penalty={params.penalty!r}: give penalty='elasticnet' or "
                    "l1_ratios=None."
                )
        n_models = len(alphas) * len(eta0s) * len(l1_ratios)
        if n_models * _BYTES_PER_MODEL > memory_limit():  # (else building it exhausted it)
            raise ValueError(
                f"the grid has {n_models:,} models ({len(alphas):,} alphas x {len(eta0s):,} "
                f"eta0s x {len(l1_ratios):,} l1_ratios): their bookkeeping alone, about "
                f"{_BYTES_PER_MODEL} bytes a model, exceeds the memory this process may use "
                f"({memory_limit():,} bytes); use a smaller grid."
            )
        return [(a, e, r) for a in alphas for e in eta0s for r in l1_ratios]

    def _checked_call_params(self, for_partial_fit=False):
        """``(params, grid)``: the ``_CallParams`` of one training call, read once and checked,
        and their grid. The call reads them only, so that it trains the grid, and makes
        ``cv_results_`` and ``best_estimator_``, with the parameters it checked, whatever
        another thread assigns meanwhile (no ``set_params``, so no lock): a penalty, loss or
        selection assigned during a call trained part of it, or chose its model, under the
        other value."""
        params = _CallParams.of(self)
        _BaseFTRL._check_constraints(self, params)
        if params.inclusion is not None:  # (the constraint says so too; a clearer message)
            raise ValueError(
                f"inclusion={params.inclusion!r} is not supported by the grid "
                "estimators; use inclusion=None."
            )
        _check_sparsity(params.sparsity)
        if isinstance(params.random_state, np.random.RandomState):
            # (best_estimator_ carries it in an FTRL state: refused before, not after, training)
            check_mt19937(params.random_state, "the grid estimators carry")
        grid = self._grid(params, stacklevel=6 if for_partial_fit else 5)
        # the shared parameters, as the single one checks them
        single = self._single_estimator(*grid[0], self._single_params(params))
        single._checked_call_params(for_partial_fit=for_partial_fit)
        return params, grid

    def _single_params(self, params=None):
        """The single estimator's parameters under the ``_CallParams`` ``params`` (None: this
        estimator's now)."""
        params = _CallParams.of(self) if params is None else params
        single = {name: getattr(params, name) for name in _shared_parameters(type(self))}
        single.update(tol=None, early_stopping=False, warm_start=False, inclusion=None)
        return single

    def _single_estimator(self, alpha, eta0, l1_ratio, params=None):
        """``params``: ``_single_params``' (None: this estimator's now)."""
        params = self._single_params() if params is None else params
        return self._single(**{**params, "alpha": alpha, "eta0": eta0, "l1_ratio": l1_ratio})

    @staticmethod
    def _use_table_store(n_models, n_features, params):
        if params.state_store == "auto":
            return 16 * n_features * n_models > AUTO_SPARSE_BYTES
        return params.state_store == "sparse"

    # ----------------------------------------------------------------- training
    @contextmanager
    def _unchanged_on_error(self, random_state=None):
        """``random_state``: the call's, also put back when a ``RandomState`` (the user's,
        which fit draws its seed and shuffling from), as the single estimator's fit does."""
        saved = dict(self.__dict__)
        rng = random_state
        drawn = rng.get_state(legacy=False) if isinstance(rng, np.random.RandomState) else None
        try:
            yield
        except BaseException:
            if drawn is not None:
                rng.set_state(drawn)
            # the parameters as they are now: the call assigns none, another thread may have
            # (set_params, which does not wait for the call, or an attribute), and putting
            # the call's back lost that value (existing keys replaced: no allocation)
            for name in _param_getter(type(self))[0]:
                if name in saved and name in self.__dict__:
                    saved[name] = self.__dict__[name]
            # the copy itself put back, which allocates nothing: emptied, then refilled (a new
            # table), a MemoryError left the estimator without its parameters, and another
            # thread could read it empty meanwhile
            self.__dict__ = saved
            raise

    def _fit_or_partial(
        self, X, y, sample_weight, classes, params, grid, *, first, epochs, trained=None
    ):
        # params, grid: the call's (_checked_call_params), the only parameters it reads;
        # trained: a list whose item 0 is set True once the grid's state is trained in place
        if not first and _told_apart(grid, params.penalty) != _told_apart(
            self._grid_, params.penalty
        ):
            raise ValueError(
                f"the grid changed since the first call ({len(self._grid_)} models "
                f"then, {len(grid)} now): partial_fit continues the same models; "
                "call fit to start a new grid."
            )
        X, y, sample_weight, longest_row, x_bound = _BaseFTRL._validate_training_data(
            self, X, y, sample_weight, reset=first, threads=getattr(params, "n_threads", 1)
        )
        n_rows = X.shape[0]
        if params.selection == "holdout":
            # (a Python int: a NumPy one wraps, np.uint64 made the rows floats, one past X's)
            period = int(params.holdout)
            held_out = np.arange(period - 1, n_rows, period, dtype=np.int64)
            train = np.setdiff1d(np.arange(n_rows), held_out)
        else:
            held_out, train = np.empty(0, dtype=np.int64), None
        # the labels are read by a single estimator with this one's parameters (and classes)
        reader = self._single_estimator(*grid[0], self._single_params(params))
        if not first and "classes_" in self.__dict__:
            reader.classes_ = self.classes_
        problem = reader._training_problem(
            y, sample_weight, classes=classes, first_call=first, for_partial_fit=epochs is None
        )
        if held_out.size and getattr(params, "class_weight", None) == "balanced":  # (fit only)
            reader.class_weight = _balanced_on(y[train], problem.classes)
            problem = reader._training_problem(
                y, sample_weight, classes=classes, first_call=first, for_partial_fit=epochs is None
            )
        if problem.classes is not None:  # (labels the state cannot carry: refused by the reader)
            if params.sparsity == "1se" and problem.n_models > 1:
                raise ValueError(
                    "sparsity='1se' is available for binary classification and "
                    "regression only: the classes' losses of one-vs-rest are "
                    "correlated; give a relative tolerance instead."
                )
        _BaseFTRL._check_gradient_scale(self, X, x_bound, problem, params.loss)
        if first:
            table = self._use_table_store(len(grid) * problem.n_models, X.shape[1], params)
            columns = min(X.nnz, X.shape[1])  # the most this batch may hold
            if table:  # a slot holds a column's key and the grid's (z, n): sized for X's columns
                slot_bytes = 8 * (1 + 2 * len(grid))
                need = _capacity_for(max(columns, 1)) * slot_bytes * problem.n_models
                if need > memory_limit():
                    raise ValueError(
                        f"the grid's table store needs {need:,} bytes for {len(grid)} models x "
                        f"{problem.n_models} problem(s) x the {columns:,} columns this batch may "
                        f"hold, more than the memory this process may use "
                        f"({memory_limit():,} bytes); use a smaller grid."
                    )
            # a dense store: 8 bytes per column of the width (where each column's row is),
            # and the grid's (z, n) per column this batch may hold
            need = (8 * X.shape[1] + 16 * len(grid) * columns) * problem.n_models
            if not table and need > memory_limit():
                raise ValueError(
                    f"the dense state store needs {need:,} bytes for {len(grid)} models x "
                    f"{problem.n_models} problem(s) x {X.shape[1]:,} columns, more than the "
                    f"memory this process may use ({memory_limit():,} bytes); use "
                    "state_store='sparse' (or 'auto'), which holds only the columns seen, or a "
                    "smaller grid."
                )
            # drawn as the single estimator does, once nothing can refuse the call (a
            # RandomState given as random_state is the user's)
            rng = check_random_state(params.random_state)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            states = [
                _GridState(len(grid), X.shape[1], table=table, expected_columns=columns)
                for _ in range(problem.n_models)
            ]
            # per problem and model: the sums of weight x loss and of weight x loss**2
            sums = {
                key: np.zeros((problem.n_models, len(grid)))
                for key in ("progressive", "progressive_sq", "holdout", "holdout_sq")
            }
            counts = {"progressive": 0, "holdout": 0, "holdout_weighed": 0}
            counts.update(_no_weight_sums(problem.n_models))
            t, history, fresh = 0, [], True
        else:
            rng, seed = self._random_state, self._seed
            states = self._states
            sums = {key: value.copy() for key, value in self._sums.items()}
            counts = dict(self._counts)
            # (a grid pickled before the history was kept has none)
            t, history, fresh = self.t_, list(getattr(self, "_nnz_history", [])), False
        n_train = n_rows if train is None else train.size
        # the non-zeros a single model of this grid would train on (nnz_history_'s rule)
        train_nnz = X.nnz if train is None else int(np.diff(X.indptr)[train].sum())
        # and the columns its count reads: a new dense state's are its rows' only
        count_columns = None
        width = X.shape[1]
        if fresh and not self._use_table_store(len(states), width, params) and train_nnz < width:
            indices = None  # (the training rows' indices, not a copy of those rows)
            if held_out.size:
                training = np.ones(n_rows, dtype=bool)
                training[held_out] = False
                indices = X.indices[np.repeat(training, np.diff(X.indptr))]
            count_columns = columns_in(X, indices).shape[0]
        for state in states:
            state.add_columns(X.indices)
        hypers = self._grid_hypers(grid, params)
        buffers = self._buffers(len(grid), longest_row, states, X)
        # the rows that weigh in the holdout loss (held-out rows all of weight 0 scored every
        # model 0, and the first model was chosen), found before the grid trains in place
        weighed = np.zeros(held_out.size, dtype=bool)
        for weights in problem.weights if held_out.size else ():
            weighed |= (weights[held_out] != 0) if weights.size else True
        # partial_fit grows the tables it trains in place before any row when that growth
        # could fail (_reserve), so that a MemoryError leaves them (and the generator) as
        # they were
        batch = Batch(X, problem.targets, UNWEIGHTED, max(longest_row, 1))
        reserving = (
            not fresh
            and epochs is None
            and states[0].in_table
            and growth_may_fail(
                sum(
                    largest_table_bytes(s.zn, s.table, batch, batch.longest_row, width)
                    for s in states
                )
            )
        )
        # each problem's weights of an epoch's rows, and their squares (the loss's weighted
        # mean and its standard error's effective number of rows)
        train_weights = _weight_sums(problem.weights, n_train, train)
        for _ in range(1 if epochs is None else epochs):
            drawn = rng.get_state(legacy=False) if reserving else None
            if params.shuffle and n_train > 1:
                order = epoch_order(rng, n_train)
                order = order if train is None else train[order]
            else:
                order = np.empty(0, dtype=np.int64) if train is None else train.astype(np.int64)
            if reserving:
                try:
                    _reserve_grid_tables(states, batch, order, t)
                except BaseException:
                    rng.set_state(drawn)
                    raise
            if trained is not None:
                trained[0] = True
            for k, state in enumerate(states):
                self._run(
                    X,
                    problem,
                    k,
                    state,
                    order,
                    hypers,
                    buffers,
                    t,
                    True,
                    sums,
                    "progressive",
                    params,
                    check_signals=epochs is not None,
                )
            t += n_train
            counts["progressive"] += n_train
            _add_weight_sums(counts, "progressive", train_weights)
            self._record_nonzeros(
                history,
                states,
                hypers,
                t,
                train_nnz,
                n_train,
                count_columns,
                X.dtype,
                params,
                stream=epochs is None,
            )
        for state in states:
            state.forget()
        if held_out.size:
            for k, state in enumerate(states):
                self._run(
                    X,
                    problem,
                    k,
                    state,
                    held_out,
                    hypers,
                    buffers,
                    t,
                    False,
                    sums,
                    "holdout",
                    params,
                    check_signals=epochs is not None,
                )
            # (a grid pickled before the rows that weigh were counted: its held-out rows)
            counts["holdout_weighed"] = _holdout_weighed(counts) + int(weighed.sum())
            counts["holdout"] += held_out.size
            _add_weight_sums(
                counts, "holdout", _weight_sums(problem.weights, held_out.size, held_out)
            )
        return grid, states, sums, counts, t, history, rng, seed, problem, X.dtype

    def _record_nonzeros(
        self, history, states, hypers, t, nnz, n_rows, count_columns, dtype, params, stream
    ):
        """Append ``(t, non-zero weights per problem and model)`` to ``history`` when a
        single estimator would (``nnz_history_``'s rule): every model's path is then the
        single estimator's, and ``best_estimator_`` carries the chosen model's. The columns
        held are the single model's: its store may be dense where the grid's, ``len(grid)``
        times larger, is a table ('auto'; a grid in a dense store implies a dense model). In
        a table the grid holds a row's columns when any model's gradient is not 0, a single
        model when its own is: with a loss whose gradient can be 0 (hinge, epsilon-
        insensitive...) the grid may hold more and then record at other times than the model
        alone (each record holds the counts of its ``t``)."""
        width = states[0].n_features
        single_table = self._use_table_store(len(states), width, params)
        if count_columns is None:
            held = sum(int(s.table[0]) if single_table else width for s in states)
        else:  # (a new dense state: the single model counts its training rows' columns)
            held = count_columns * len(states)
        if history_due(history, t, held, nnz, n_rows, len(states), stream):
            rates = self._grid_rates(hypers, t, params)
            history.append((t, np.array([state.count_nonzero(rates, dtype) for state in states])))

    @staticmethod
    def _grid_hypers(grid, params):
        lambdas = [penalty_lambdas(params.penalty, a, r) for a, _, r in grid]
        return {
            "inv_eta0": np.array([1.0 / e for _, e, _ in grid]),
            "lambda1": np.array([float(l1) for l1, _ in lambdas]),
            "lambda2": np.array([float(l2) for _, l2 in lambdas]),
        }

    @staticmethod
    def _grid_rates(hypers, t, params):
        """The numbers each model's weights are computed from after ``t`` samples."""
        scale = t if params.penalty_scale == "mean" else 1
        with np.errstate(over="ignore"):  # (alpha * t past 1e308: inf, as the single model's)
            lambda1, lambda2 = hypers["lambda1"] * scale, hypers["lambda2"] * scale
        return {
            "lambda1": lambda1,
            "lambda2": lambda2,
            "inv_eta0": hypers["inv_eta0"],
            "beta": float(params.beta),
        }

    @staticmethod
    def _buffers(n_models, longest_row, states, X):
        """The kernel's scratch, made before the grid trains in place (one-vs-rest problems
        train one after the other: a ``MemoryError`` allocating the next one's left the
        first trained); ``roots``: rows for any problem's ``_roots``."""
        width = max(longest_row, 1)
        kept = [s.zn.shape[0] for s in states if s.zn.shape[0] <= min(NARROW_COLUMNS, X.nnz)]
        return {
            "scratch": np.empty((width, 2 * n_models)),
            "slots": np.empty(width, dtype=np.int64),
            "models": np.empty((_GRID_COLUMNS, n_models)),
            "roots": np.empty((max(kept, default=0), n_models)),
        }

    @staticmethod
    def _roots(state_rows, n_models, X, made):
        """``grid_epoch``'s ``roots``: a row of ``n_models`` numbers per row of the state, in
        which the call keeps every model's ``sqrt(n)`` from an update to the next prediction
        (one square root per model and non-zero less), or no row (each computed where it is
        read). Kept for a state of at most ``NARROW_COLUMNS`` rows, as one model's narrow
        kernel keeps them (in a larger one, SMS's, the second cache line a non-zero then
        reads cost more than the square root saved: benchmarks/RESULTS.md, "Twenty-sixth"),
        and no more rows than X has non-zeros (computing them at the call's start costs
        no more square roots than a pass over X saves). Rows of ``made`` (``_buffers``) when
        it has enough (a table grown during the call may need more)."""
        kept = state_rows <= min(NARROW_COLUMNS, X.nnz)
        if not kept or state_rows <= made.shape[0]:
            return made[: state_rows if kept else 0]
        return np.empty((state_rows, n_models))

    def _run(self, X, problem, k, state, *rest, **named):
        """``_run_rows`` (``rest``, ``named``: its other arguments), the state's held columns
        forgotten if it stops part-way."""
        try:
            self._run_rows(X, problem, k, state, *rest, **named)
        except BaseException:  # (X changed: the kernel stopped part-way, in place)
            state.forget()  # its held columns are read again from the state
            raise

    def _run_rows(
        self,
        X,
        problem,
        k,
        state,
        order,
        hypers,
        buffers,
        t0,
        train,
        sums,
        kind,
        params,
        check_signals,
    ):
        weights = problem.weights[k]
        positive = problem.positives[k] if problem.positives is not None else 0.0
        one_vs_rest = problem.positives is not None
        row = 0
        while True:
            roots = self._roots(state.zn.shape[0], len(hypers["inv_eta0"]), X, buffers["roots"])
            row, status = grid_epoch(
                X.data,
                X.indices,
                X.indptr,
                problem.targets,
                weights,
                order,
                state.store,
                state.zn,
                state.table,
                state.rows,
                state.intercept_zn,
                hypers["inv_eta0"],
                hypers["lambda1"],
                hypers["lambda2"],
                float(params.beta),
                int(Loss[params.loss.upper()]),
                float(params.epsilon),
                one_vs_rest,
                float(positive),
                params.penalty_scale == "mean",
                bool(params.fit_intercept),
                check_signals,
                train,
                buffers["scratch"],
                buffers["slots"],
                buffers["models"],
                roots,
                sums[kind][k],
                sums[kind + "_sq"][k],
                t0,
                row,
                X.shape[1],
            )
            if status == Status.DONE:
                return
            refuse_changed_x(status, training=train)
            state.grow(room=buffers["slots"].size)  # (TABLE_FULL: the table store's only)

    def _commit(
        self,
        grid,
        states,
        sums,
        counts,
        t,
        history,
        rng,
        seed,
        problem,
        dtype,
        params,
        *,
        n_iter,
        chosen,
        data=None,
    ):
        """Attach a trained grid and choose a model; ``best_estimator_`` (``chosen``, a
        ``_ChosenModel`` made before training) is built from the grid's state when first read,
        or with ``data = (X, y, sample_weight)`` here, by the refit of the chosen parameters
        that holdout selection asks for; ``params``: the call's ``_CallParams``."""
        self._grid_, self._states, self._sums, self._counts = grid, states, sums, counts
        self._random_state, self._seed, self.t_, self.n_iter_ = rng, seed, int(t), n_iter
        self._nnz_history = history
        self._coef_dtype = np.dtype(dtype)
        if problem.classes is not None:
            self.classes_ = problem.classes
        self.n_models_ = len(grid)
        results = self._results(params)
        self.cv_results_ = results
        key = self._selection_key(params)
        if not np.any(counts["progressive_weight"] > 0):
            # no row has weighed yet (every loss NaN): no model has trained, each is the
            # first's (as a holdout of weightless rows, the first model is chosen)
            index = 0
        else:
            index = select_model(
                results[key],
                results["n_nonzero"],
                loss_se=results[key + "_se"],
                sparsity=params.sparsity,
            )
        self.best_index_ = index
        self.alpha_, self.eta0_, self.l1_ratio_ = grid[index]
        if data is not None and params.refit and key == "holdout_loss":
            best = self._single_estimator(self.alpha_, self.eta0_, self.l1_ratio_, chosen.params)
            X, y, sample_weight = data
            chosen.value = best.fit(X, y, sample_weight=sample_weight)
        # the single estimator's parameters as the call that trained the grid found them: a
        # set_params since changes no model of the grid (estimator_at), until the next call
        self._trained_params = chosen.params
        self._chosen = chosen

    def _selection_key(self, params):
        """The loss models are compared by under ``params``: the holdout's once a held-out row
        weighs."""
        if params.selection == "holdout" and _holdout_weighed(self._counts):
            return "holdout_loss"
        return "progressive_loss"

    def _results(self, params):
        """``cv_results_`` of the grid trained under the ``_CallParams`` ``params``."""
        grid, sums, counts = self._grid_, self._sums, self._counts
        results = {
            "params": [{"alpha": a, "eta0": e, "l1_ratio": r} for a, e, r in grid],
            "param_alpha": np.array([a for a, _, _ in grid]),
            "param_eta0": np.array([e for _, e, _ in grid]),
            "param_l1_ratio": np.array([r for _, _, r in grid]),
        }
        kinds = ["progressive"] + (["holdout"] if params.selection == "holdout" else [])
        for kind in kinds:
            results[f"{kind}_loss"], results[f"{kind}_loss_se"] = _weighted_mean_and_se(
                sums[kind],
                sums[kind + "_sq"],
                counts[kind + "_weight"],
                counts[kind + "_weight_concentration"],
            )
        history = getattr(self, "_nnz_history", [])
        if history and history[-1][0] == self.t_:  # counted after this call's last epoch
            per_problem = history[-1][1]
        else:
            rates = self._grid_rates(self._grid_hypers(grid, params), self.t_, params)
            per_problem = [state.count_nonzero(rates, self._coef_dtype) for state in self._states]
        results["n_nonzero"] = np.sum(per_problem, axis=0).astype(np.int64)
        key = self._selection_key(params)
        loss = np.where(np.isfinite(results[key]), results[key], np.inf)
        # equal losses share the lower rank, as GridSearchCV's rank_test_score
        results["rank_loss"] = rankdata(loss, method="min").astype(np.int32)
        return results

    def _build_best(self, index, params=None):
        """Model ``index`` of the grid as a fitted single estimator (``params``: its
        parameters, ``_single_params``; None: this estimator's now)."""
        alpha, eta0, l1_ratio = self._grid_[index]
        history = getattr(self, "_nnz_history", [])  # (none in a grid pickled before it was kept)
        per_class = [state.model_zn(index) for state in self._states]
        if len(per_class) == 1:
            union, z, n = per_class[0]
            z, n, held = z[None, :], n[None, :], np.ones((1, union.size), dtype=bool)
        else:
            union = sorted_union([c for c, _, _ in per_class])
            shape = (len(per_class), union.size)
            z, n, held = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
            for k, (columns, zk, nk) in enumerate(per_class):
                at = np.searchsorted(union, columns)
                z[k, at], n[k, at], held[k, at] = zk, nk, True
        arrays = {
            "columns": union.astype(np.int64),
            "z": z,
            "n": n,
            "held": held,
            "intercept_z": np.array([s.intercept_zn[0, index] for s in self._states]),
            "intercept_n": np.array([s.intercept_zn[1, index] for s in self._states]),
            "t": np.int64(self.t_),
            "n_features_in": np.int64(self.n_features_in_),
            "seed": np.int64(self._seed),
            "n_iter": np.int64(self.n_iter_),
            "coef_dtype": np.array(self._coef_dtype.name),
            "nnz_history_t": np.array([t for t, _ in history], dtype=np.int64),
            "nnz_history": np.array(
                [counts[:, index] for _, counts in history], dtype=np.int64
            ).reshape(len(history), len(self._states)),
        }
        # the shuffling generator as it stands, so that the model continues as it would alone
        _, words, pos, has_gauss, cached = self._random_state.get_state()
        arrays.update(
            rng_state=words.astype(np.uint32),
            rng_pos=np.int64(pos),
            rng_has_gauss=np.int64(has_gauss),
            rng_cached_gaussian=np.float64(cached),
        )
        if hasattr(self, "classes_"):
            arrays["classes"] = plain_labels(self.classes_)
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            arrays["feature_names_in"] = np.asarray(names, dtype=str)
        best = self._single_estimator(alpha, eta0, l1_ratio, params)
        return best.set_ftrl_state(arrays)

    def __getstate__(self):
        with self._training_lock:  # not half-way through another thread's partial_fit
            state = dict(super().__getstate__())
            # pickling reads the arrays after this returns: copy what training mutates in place
            if "_states" in state:
                state["_states"] = copy.deepcopy(state["_states"])
            copy_random_state(state)
        return state

    def _checked_fit(self, X, y, sample_weight):
        with self._training_lock:
            params, grid = self._checked_call_params()
            with (
                self._unchanged_on_error(params.random_state),
                config_context(skip_parameter_validation=True),  # (the refit's checks)
            ):
                chosen = _ChosenModel(self._single_params(params))
                trained = self._fit_or_partial(
                    X, y, sample_weight, None, params, grid, first=True, epochs=params.max_iter
                )
                self._commit(
                    *trained,
                    params,
                    n_iter=params.max_iter,
                    chosen=chosen,
                    data=(X, y, sample_weight),
                )
        return self

    def _checked_partial_fit(self, X, y, sample_weight, classes):
        with self._training_lock:
            return self._locked_partial_fit(X, y, sample_weight, classes)

    def _locked_partial_fit(self, X, y, sample_weight, classes):
        first = not hasattr(self, "_states")
        in_place = [False]
        # a Ctrl-C is held until the call has committed (or been undone), then raised: the
        # grid is trained in place, so undoing the attributes alone would not undo the call
        try:
            params, grid = self._checked_call_params(for_partial_fit=True)
            # (a first call draws its seed from a RandomState given: put back if it fails)
            with (
                interrupts_deferred(),
                self._unchanged_on_error(params.random_state if first else None),
            ):
                chosen = _ChosenModel(self._single_params(params))
                trained = self._fit_or_partial(
                    X,
                    y,
                    sample_weight,
                    classes,
                    params,
                    grid,
                    first=first,
                    epochs=None,
                    trained=in_place,
                )
                self._commit(*trained, params, n_iter=1, chosen=chosen)
        except BaseException:
            # stopped part-way (X changed, a growth's MemoryError), the grid keeps the rows it
            # trained, t_ not counting them; best_estimator_ is then what the grid holds, as a
            # single estimator's coef_ is, whether or not it was read before the call (a model
            # built before it was kept, one not yet built was built with those rows)
            held = self.__dict__.get("_chosen")
            if in_place[0] and held is not None and held.value is not None:
                self._chosen = _ChosenModel(held.params)
            raise
        return self

    def estimator_at(self, index: int) -> BaseEstimator:
        """Model ``index`` of the grid (``cv_results_['params'][index]``) as a fitted single
        estimator, built from the grid's state as ``best_estimator_`` is: the whole
        sparsity-accuracy path of one fit, model by model.

        As ``best_estimator_`` and ``cv_results_`` (and ``GridSearchCV``'s), it holds the
        parameters of the last call that trained the grid (``fit`` or ``partial_fit``): a
        ``set_params`` since (``beta``, ``penalty``...) changes no model of the grid until the
        next call, so ``estimator_at(best_index_)`` is the grid's ``best_estimator_`` (when
        that was not refit on the held-out rows).

        Parameters
        ----------
        index : int
            In ``range(n_models_)``.

        Returns
        -------
        estimator : SparseFTRLClassifier or SparseFTRLRegressor
            Fitted, with that model's ``alpha``, ``eta0`` and ``l1_ratio``, and the other
            parameters the last training call found.
        """
        check_is_fitted(self)
        if (
            isinstance(index, (bool, np.bool_))
            or not isinstance(index, Integral)
            or not 0 <= index < self.n_models_
        ):
            raise ValueError(f"index must be an int in [0, {self.n_models_}); got {index!r}.")
        with self._training_lock:  # not half-way through another thread's partial_fit
            # (a grid pickled before they were kept: those its best_estimator_ was built with)
            params = self.__dict__.get("_trained_params", self._chosen.params)
            return self._build_best(int(index), params)

    # ------------------------------------------------------- the chosen model
    @property
    def best_estimator_(self):
        """The chosen model as a fitted single estimator (see the class docstring), built
        from the grid's state on first read (under the training lock: of the state a call
        committed)."""
        chosen = self.__dict__.get("_chosen")
        if chosen is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute 'best_estimator_'"
            )
        if chosen.value is None:
            # signal handlers held back: a handler's exception inside the state's checks
            # (np.array_equal swallows one) came out as a refused state
            with self._training_lock, interrupts_deferred():
                chosen = self._chosen  # (another thread's call may have committed meanwhile)
                if chosen.value is None:
                    chosen.value = self._build_best(self.best_index_, chosen.params)
        return chosen.value

    @best_estimator_.setter
    def best_estimator_(self, value):
        # (an attribute until it was built when read: assigning a model, as scikit-learn's
        # searches allow, still makes it the one predict, coef_ and the exports use)
        with self._training_lock:
            self._chosen = _ChosenModel(value.get_params(), value)

    def __setstate__(self, state):
        if "best_estimator_" in state:  # pickled before best_estimator_ was built when read
            best = state.pop("best_estimator_")
            state["_chosen"] = _ChosenModel(best.get_params(), best)
        if "_sums" in state and np.ndim(state["_sums"]["progressive"]) == 1:
            state["_sums"], state["_counts"] = _sums_by_problem(
                state["_sums"], state["_counts"], len(state["_states"])
            )
        super().__setstate__(state)

    @property
    def coef_(self):
        """The chosen model's weights (``best_estimator_.coef_``)."""
        check_is_fitted(self)
        return self.best_estimator_.coef_

    @property
    def intercept_(self):
        """The chosen model's intercept (``best_estimator_.intercept_``)."""
        check_is_fitted(self)
        return self.best_estimator_.intercept_

    def count_nonzero(self) -> np.ndarray:
        """Non-zero weights of the chosen model, per one-vs-rest class (see
        ``SparseFTRLClassifier.count_nonzero``); ``cv_results_['n_nonzero']`` has every model's.

        Returns
        -------
        counts : ndarray of shape (n_models,)
        """
        check_is_fitted(self)
        return self.best_estimator_.count_nonzero()

    def get_ftrl_state(self) -> dict[str, np.ndarray]:
        """The chosen model's training state (``best_estimator_.get_ftrl_state()``): a
        single estimator with ``alpha=alpha_``, ``eta0=eta0_``, ``l1_ratio=l1_ratio_`` and
        this estimator's other parameters continues from it.

        Returns
        -------
        state : dict of str to ndarray
        """
        check_is_fitted(self)
        return self.best_estimator_.get_ftrl_state()

    def sparsity_report(self) -> "SparsityReport":
        """The chosen model's :meth:`~SparseFTRLClassifier.sparsity_report`.

        Returns
        -------
        report : sparsereg.sparsity.SparsityReport
        """
        check_is_fitted(self)
        return self.best_estimator_.sparsity_report()

    def __sklearn_is_fitted__(self):
        return "_chosen" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class SparseFTRLClassifierCV(CheckedScore, ClassifierMixin, _BaseFTRLCV):
    __doc__ = f"""FTRL-Proximal classifier with ``alpha``, ``eta0`` (and ``l1_ratio``) chosen
    from a grid whose models are all trained in the same pass over the data.

    scikit-learn's ``...CV`` pattern (as :class:`~sklearn.linear_model.LogisticRegressionCV`)
    without its folds: each row is read, checked and its columns located once, and every
    model of the grid scores it (progressive validation) and then trains on it
    (McMahan et al. 2013, section 4.3). Model ``m`` of the grid is, to the bit, the
    :class:`~sparsereg.SparseFTRLClassifier` with that ``alpha``, ``eta0`` and ``l1_ratio``
    and ``max_iter``, ``tol=None`` fitted alone on the same rows with the same
    ``random_state``; ``partial_fit`` continues every model. Binary and one-vs-rest
    multiclass; inclusion is not supported.

    Parameters
    ----------
    loss : {{'log_loss', 'hinge', 'modified_huber', 'squared_hinge', 'perceptron'}}, \
default='log_loss'
        The loss minimised and compared.
{_SHARED_CV_PARAMETERS_DOC}

    class_weight : dict, 'balanced' or None, default=None
        As in ``SparseFTRLClassifier`` ('balanced' in ``fit`` only; with
        ``selection='holdout'``, counted on the rows trained on, not the held-out ones).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
{_SHARED_CV_ATTRIBUTES_DOC}

    coef_, intercept_ :
        The chosen model's (``best_estimator_``'s).

    See Also
    --------
    SparseFTRLRegressorCV : The same for regression.
    sparsereg.SparseFTRLClassifier : One model.
    sparsereg.model_selection.select_model : The selection rule.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLClassifierCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(2000, 20))
    >>> y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    >>> clf = SparseFTRLClassifierCV(alphas=[1e-6, 1e-4, 1e-2], eta0s=[0.1, 1.0],
    ...                              random_state=0).fit(X, y)
    >>> clf.cv_results_["progressive_loss"].shape  # one loss per model: 3 x 2
    (6,)
    >>> bool(clf.alpha_ < 1e-2), clf.best_estimator_.alpha == clf.alpha_
    (True, True)
    >>> bool(clf.score(X, y) > 0.95)
    True
    """

    _parameter_constraints: dict = {
        **_BaseFTRLCV._parameter_constraints,
        "loss": [StrOptions(set(CLASSIFICATION_LOSSES))],
        "class_weight": SparseFTRLClassifier._parameter_constraints["class_weight"],
    }
    _single = SparseFTRLClassifier

    def __init__(
        self,
        loss="log_loss",
        *,
        alphas=8,
        eta0s=(0.03, 0.1, 0.3),
        l1_ratios=None,
        selection="progressive",
        holdout=10,
        refit=True,
        sparsity=None,
        penalty="l1",
        l1_ratio=0.15,
        penalty_scale="mean",
        beta=1.0,
        fit_intercept=True,
        max_iter=1,
        shuffle=True,
        epsilon=0.1,
        random_state=None,
        state_store="auto",
        inclusion=None,
        class_weight=None,
    ):
        self.loss = loss
        self.alphas = alphas
        self.eta0s = eta0s
        self.l1_ratios = l1_ratios
        self.selection = selection
        self.holdout = holdout
        self.refit = refit
        self.sparsity = sparsity
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.penalty_scale = penalty_scale
        self.beta = beta
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.epsilon = epsilon
        self.random_state = random_state
        self.state_store = state_store
        self.inclusion = inclusion
        self.class_weight = class_weight

    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLClassifierCV":
        """Train every model of the grid in the same ``max_iter`` passes; choose one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (a CSR matrix is read in place).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient and loss.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._checked_fit(X, y, sample_weight)

    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> "SparseFTRLClassifierCV":
        """One pass over a batch for every model of the grid, continuing; choose again.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._checked_partial_fit(X, y, sample_weight, classes)

    def decision_function(self, X: MatrixLike) -> np.ndarray:
        """The chosen model's margins (``best_estimator_.decision_function``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    def predict(self, X: MatrixLike) -> np.ndarray:
        """The chosen model's labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_when(gives_probabilities)
    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """The chosen model's probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_when(gives_probabilities)
    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """The chosen model's log-probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)


class SparseFTRLRegressorCV(CheckedScore, RegressorMixin, _BaseFTRLCV):
    __doc__ = f"""FTRL-Proximal regressor with ``alpha``, ``eta0`` (and ``l1_ratio``) chosen
    from a grid whose models are all trained in the same pass over the data.

    As :class:`SparseFTRLClassifierCV`, for :class:`~sparsereg.SparseFTRLRegressor`: model
    ``m`` of the grid is, to the bit, the single regressor with its parameters fitted
    alone on the same rows; the chosen one is ``best_estimator_``.

    Parameters
    ----------
    loss : {{'squared_error', 'huber', 'epsilon_insensitive', \
'squared_epsilon_insensitive'}}, default='squared_error'
        The loss minimised and compared ('squared_error' is compared as half the squared
        error).
{_SHARED_CV_PARAMETERS_DOC}

    Attributes
    ----------
{_SHARED_CV_ATTRIBUTES_DOC}

    coef_, intercept_ :
        The chosen model's (``best_estimator_``'s).

    See Also
    --------
    SparseFTRLClassifierCV : The same for classification.
    sparsereg.SparseFTRLRegressor : One model.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsereg import SparseFTRLRegressorCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(3000, 10))
    >>> y = X @ np.arange(10.0) + rng.normal(size=3000)
    >>> reg = SparseFTRLRegressorCV(alphas=4, eta0s=[0.3, 1.0, 3.0], max_iter=3,
    ...                             selection="holdout", random_state=0).fit(X, y)
    >>> reg.cv_results_["holdout_loss"].shape  # every 10th row held out, 4 x 3 models
    (12,)
    >>> reg.best_estimator_.eta0 == reg.eta0_, bool(reg.score(X, y) > 0.95)
    (True, True)
    """

    _parameter_constraints: dict = {
        **_BaseFTRLCV._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }
    _single = SparseFTRLRegressor

    def __init__(
        self,
        loss="squared_error",
        *,
        alphas=8,
        eta0s=(0.03, 0.1, 0.3),
        l1_ratios=None,
        selection="progressive",
        holdout=10,
        refit=True,
        sparsity=None,
        penalty="l1",
        l1_ratio=0.15,
        penalty_scale="mean",
        beta=1.0,
        fit_intercept=True,
        max_iter=1,
        shuffle=True,
        epsilon=0.1,
        random_state=None,
        state_store="auto",
        inclusion=None,
    ):
        self.loss = loss
        self.alphas = alphas
        self.eta0s = eta0s
        self.l1_ratios = l1_ratios
        self.selection = selection
        self.holdout = holdout
        self.refit = refit
        self.sparsity = sparsity
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.penalty_scale = penalty_scale
        self.beta = beta
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.epsilon = epsilon
        self.random_state = random_state
        self.state_store = state_store
        self.inclusion = inclusion

    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLRegressorCV":
        """Train every model of the grid in the same ``max_iter`` passes; choose one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (a CSR matrix is read in place).
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each multiplies its sample's gradient and loss.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._checked_fit(X, y, sample_weight)

    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "SparseFTRLRegressorCV":
        """One pass over a batch for every model of the grid, continuing; choose again.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._checked_partial_fit(X, y, sample_weight, None)

    def predict(self, X: MatrixLike) -> np.ndarray:
        """The chosen model's predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)
