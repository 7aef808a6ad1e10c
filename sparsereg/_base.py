"""What the FTRL regressor and classifier share: parameters, validation, the one training path.

Call chain, as in scikit-learn's SGD: ``fit`` is "start from a new state (unless
``warm_start``), then ``_partial_fit`` with ``max_iter`` epochs"; ``partial_fit`` is
``_partial_fit`` with one epoch. Validation sits in three places:
``_parameter_constraints``, ``_more_validate_params`` and one ``validate_data`` call
in ``_partial_fit``. The kernel is reached through ``_epoch.run_epoch`` with
validated, typed arrays only.

Training state that is not API starts with ``_``: ``_state`` (``_state.FTRLState``)
holds ``(z_j, n_j)`` of every coordinate of each model (one model for regression
and binary classification, one per class for one-vs-rest), densely or in a table of
the columns seen, and the intercepts' ``(z, n)``. ``get_ftrl_state`` /
``set_ftrl_state`` give and take it as plain arrays (``_state_protocol``). ``coef_``
and ``intercept_`` are computed from that state when read, so they never go stale
after ``partial_fit``.
"""

import copy
import math
import operator
import time
import warnings
import weakref
from collections.abc import Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from numbers import Integral, Real
from typing import Any, NamedTuple, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._call_memo import _CallMemo, _CallParams, _param_getter, _ParamSnapshot
from ._decision import LinearWeights, RowsWeights, refuse_nan_scores
from ._epoch import (
    IN_ORDER,
    NARROW_COLUMNS,
    UNWEIGHTED,
    Batch,
    Hyper,
    epoch_order,
    epoch_scratch,
    history_due,
    run_epoch,
    scores_from_state,
    weight_rates,
)
from ._hogwild import run_epoch_threads
from ._interrupts import interrupts_deferred
from ._losses import UNBOUNDED_DERIVATIVE_LOSSES
from ._memory import memory_limit
from ._missing import refuse_masked, refuse_pandas_na
from ._model_threads import _model_workers, _train_models_in_threads
from ._softmax import SoftmaxState, run_softmax_epoch, softmax_scores_from_state
from ._state import AUTO_SPARSE_BYTES, LEAST_TABLE_MODEL_BYTES, FTRLState, columns_in
from ._state_params import recorded_params, warn_of_other_params
from ._state_protocol import (
    FORMAT,
    LARGEST_ETA0,
    LARGEST_T,
    SMALLEST_BETA,
    VERSION,
    check_ftrl_state,
    history_arrays,
    plain_labels,
)
from ._training_lock import TrainingLock
from ._typing import ArrayLike
from ._validation import (
    MAX_MAGNITUDE,
    CsrRows,
    DenseRows,
    as_kernel_csr,
    beyond_float64,
    configured_csr,
    csr_arrays,
    csr_matrix_of,
    csr_read_once,
    dense_csr,
    dense_rows,
    float_values,
    frame_values,
    plain_csr,
    plain_vector,
    refuse_beyond_float64,
    refuse_non_number_values,
    refuse_unsaveable_names,
    series_values,
    small_dense_csr,
    sparse_before_conversion,
)
from .sparsity import FTRLCounts, SparsityReport, coef_report

#: the estimator a method that returns ``self`` is called on (``typing.Self`` is Python 3.11+)
_Estimator = TypeVar("_Estimator", bound="_BaseFTRL")


def copy_random_state(state):
    """Copy, in a ``__getstate__``'s ``state``, the generator that training draws from
    (``_random_state``, advanced in place by each call) and the ``random_state`` parameter
    together: when the parameter is a ``RandomState``, the two are one object (scikit-learn's
    ``check_random_state`` returns it), and a copy must keep them one, or the copy's next
    ``fit`` would start from a generator its ``partial_fit`` calls did not advance."""
    if "_random_state" in state:
        state["random_state"], state["_random_state"] = copy.deepcopy(
            (state.get("random_state"), state["_random_state"])
        )


def check_mt19937(random_state, who):
    """Refuse a ``RandomState`` on a bit generator other than MT19937: the state protocol
    carries MT19937's words only (``who``: what carries it, for the message)."""
    generator = random_state.get_state(legacy=False)["bit_generator"]
    if generator != "MT19937":
        raise ValueError(
            f"{who} the shuffling generator of RandomState(MT19937) only, but random_state "
            f"uses {generator}: pass an int or None."
        )


def kernel_weights(sample_weight):
    """The kernel's sample weights: ``UNWEIGHTED`` when every weight is 1."""
    return UNWEIGHTED if sample_weight is None else sample_weight


@dataclass(frozen=True)
class TrainingProblem:
    """What the kernel trains on, per model, after the labels are read.

    ``targets``: the kernel's ``y`` (regression targets, or one label column that
    every one-vs-rest model reads); ``positives``: model ``k``'s positive label in
    ``targets``, or None for a regressor; ``weights``: model ``k``'s sample weights
    (sample weight times class weight, or ``UNWEIGHTED``); ``sample_weight``: as
    validated (None: all ones); ``classes``: the class labels (None for a regressor);
    ``softmax``: one multinomial model over the classes (``targets`` are then class
    indices, ``weights`` a single entry, ``positives`` None).
    """

    targets: np.ndarray
    positives: tuple | None
    weights: tuple
    sample_weight: np.ndarray | None
    classes: np.ndarray | None = None
    softmax: bool = False

    @property
    def n_models(self):
        return len(self.weights)

    def take(self, rows):
        """The same problem on ``rows`` only (arrays shared by models are taken once)."""
        taken = {}

        def part(a):
            if a.size and id(a) not in taken:
                taken[id(a)] = a[rows]
            return taken.get(id(a), a)

        return replace(
            self,
            targets=part(self.targets),
            weights=tuple(map(part, self.weights)),
            sample_weight=None if self.sample_weight is None else self.sample_weight[rows],
        )


def state_intercept(state, eta0, beta, fit_intercept, dtype):
    """``intercept_`` that ``state`` stands for, in ``dtype`` (Python floats: an intercept per
    model, and the same numbers as NumPy's)."""
    if not fit_intercept:
        return np.zeros(state.n_models, dtype=dtype)
    inv_eta0 = 1.0 / eta0
    return np.array(
        [-z / ((beta + math.sqrt(n)) * inv_eta0) for z, n in state.intercept_zn.tolist()],
        dtype=dtype,
    )


def gradients_overflow(x_max, w_max, y_max, grows_with_p):
    """Whether gradients of |x| up to ``x_max``, weights up to ``w_max`` and |y| up to
    ``y_max`` could overflow float64 once squared and summed (see ``_check_gradient_scale``)."""
    scale = x_max * max(x_max, 1.0) if grows_with_p else x_max
    return scale * w_max * max(y_max, 1.0) > MAX_MAGNITUDE or max(w_max, y_max) > MAX_MAGNITUDE


# After the model changed, a call scores with the weights of its own columns, computed from their
# state (_rows_model), until the calls since the change have cost about what computing every
# weight costs; then it computes them all, and the calls after it read them (a rent-or-buy rule:
# about twice the cheaper of the two at most). Every weight of a 2**20-wide dense model took
# 1.6 ms, of a table of 377,000 columns 110 ms (~180x per column); scoring with its own
# columns' weights cost a 1-row call 17 us more, and 59 ns more per non-zero and model (a
# 2**20-wide CTR model, benchmarks/RESULTS.md, "#16 eighteenth session"). In units of one dense
# column's weight (every column of every model counts):
ROWS_CALL_COST = 8192
ROWS_NNZ_COST = 32
TABLE_COLUMN_COST = 128
# from this many non-zeros a call weighs each distinct column once (fewer: each non-zero)
DISTINCT_FROM = 256
# the parameters the weights of a state are computed under (``_BaseFTRL._weights``)
_WEIGHT_PARAMS = operator.attrgetter(
    "penalty", "alpha", "l1_ratio", "penalty_scale", "eta0", "beta", "fit_intercept"
)


class _CallOutcome:
    """Whether a training call has attached its model (``_input_attributes_restored_on_error``),
    and the ``(generator, state)`` of a ``RandomState`` given as ``random_state`` before the
    call drew from it, put back when the call fails."""

    committed = False
    given_random_state = None


class _Model(NamedTuple):
    """One fitted model as readers take it (``_BaseFTRL._current_weights``): its weights, and
    what checking and scoring rows against them needs."""

    coef: Any  # dense (n_models, n_features) array, CSR of the survivors (table store), or
    # None for the model of one call's rows (``_rows_model``)
    intercept: np.ndarray
    linear: LinearWeights
    classes: np.ndarray | None
    n_features: int
    feature_names: np.ndarray | None
    params: tuple  # the parameters the weights are computed under (``_WEIGHT_PARAMS``)
    # the kind of the state the weights come from: one softmax model (True) or one-vs-rest;
    # its probabilities are read by it, not by multi_class, which set_params may change
    softmax: bool


class _WeightsCache:
    """Holds the ``_Model`` once computed from the state (``_BaseFTRL._current_weights``).

    Mutated in place so that reading ``coef_`` or predicting leaves the
    estimator's ``__dict__`` unchanged (scikit-learn's ``check_dict_unchanged``).
    """

    __slots__ = ("value", "rows_cost", "rows_params")

    def __init__(self):
        self.value = None
        # what the calls scored with their own columns' weights cost since (_rows_model)
        self.rows_cost = 0
        self.rows_params = None  # the parameters of the weights that cost it

    def __setstate__(self, state):
        """Empty: what it holds comes from the estimator's state (a pickle written before
        ``rows_cost`` existed holds ``value`` only)."""
        self.__init__()


class _BaseFTRL(TrainingLock, BaseEstimator):
    """Shared machinery of the FTRL-Proximal estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "penalty_scale": [StrOptions({"mean", "sum"})],
        # wide enough for any learning rate, narrow enough that 1 / eta0 and the first
        # steps stay finite (a subnormal eta0 or one of 1e160 gave NaN weights)
        # (and they bound the weights of a state the estimator takes: _state_protocol._check_z)
        "eta0": [Interval(Real, 1e-10, LARGEST_ETA0, closed="both")],
        "beta": [Interval(Real, SMALLEST_BETA, 1e10, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, None, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "state_store": [StrOptions({"auto", "dense", "sparse"})],
        "inclusion": [StrOptions({"poisson", "bloom"}), None],
        "inclusion_p": [Interval(Real, 0, 1, closed="right")],
        "inclusion_count": [Interval(Integral, 1, 255, closed="both")],
        "bloom_size": [Interval(Integral, 1, None, closed="left")],
    }

    # one-vs-rest models trained in parallel threads: the classifier's n_jobs
    _threads = None

    # ----------------------------------------------------------------- parameters
    def _checked_call_params(self, *, for_partial_fit=False, values=None, constraints=True):
        """The ``_CallParams`` of one call (``values``: the parameters as the caller read them,
        else read here), checked (against ``_parameter_constraints`` unless not
        ``constraints``, then by ``_more_validate_params``): the call reads them only, so that
        it trains with the parameters it checked, whatever is assigned meanwhile."""
        params = _CallParams.of(self, values)
        if constraints:
            self._check_constraints(params)
        self._more_validate_params(for_partial_fit, params)
        return params

    def _check_constraints(self, params):
        """``_validate_params`` of the ``_CallParams`` ``params``."""
        validate_parameter_constraints(
            self._parameter_constraints, vars(params), caller_name=type(self).__name__
        )

    def _more_validate_params(self, for_partial_fit=False, params=None):
        """The checks across parameters, of ``params`` (a ``_CallParams``; None: ``self``'s)."""
        p = self if params is None else params
        if p.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if p.inclusion is not None and p.state_store == "dense":
            raise ValueError(
                f"inclusion={p.inclusion!r} needs the sparse state store: a column left out "
                "must hold no state. Use state_store='sparse' or 'auto'."
            )

    @staticmethod
    def _use_table_store(n_models, n_features, params):
        if params.state_store == "auto":
            return params.inclusion is not None or 16 * n_features * n_models > AUTO_SPARSE_BYTES
        return params.state_store == "sparse"

    def _hyper(self, seed=0, check_signals=False, params=None):
        """The kernel's numbers of ``params`` (a ``_CallParams``; None: ``self``'s)."""
        params = _CallParams.of(self) if params is None else params
        return Hyper.from_params(vars(params), seed=seed, check_signals=check_signals)

    def _model_hypers(self, positives, seed, params, check_signals=False):
        """The kernel's numbers for each model (one per one-vs-rest positive label)."""
        hyper = self._hyper(seed, check_signals=check_signals, params=params)
        return [hyper] if positives is None else [hyper.for_class(p) for p in positives]

    @staticmethod
    def _model_threads(n_models, threads):
        """Threads training one model together (the call's ``n_threads``, ``threads``):
        regression and binary classification only; one-vs-rest models train one per
        thread (``n_jobs``)."""
        return threads if n_models == 1 else 1

    def _check_threads_fit_store(self, in_table, n_models, n_features, params):
        """Refuse ``n_threads > 1`` with the table store (its inserts are not thread-safe)."""
        if in_table and self._model_threads(n_models, params.n_threads) > 1:
            raise ValueError(
                f"n_threads={params.n_threads} trains one model in several threads, which needs "
                "the dense state store, but this model's state is a table of the columns seen "
                f"(state_store={params.state_store!r}, inclusion={params.inclusion!r}, "
                f"{n_features:,} columns): use state_store='dense' without inclusion, "
                "or n_threads=1."
            )

    @staticmethod
    def _bloom_counters(params):
        return 1 << max(int(params.bloom_size) - 1, 1).bit_length()  # next power of two

    # ------------------------------------------------------------- fitted state
    def _is_fitted(self):
        return hasattr(self, "_state")

    def __sklearn_is_fitted__(self):
        return self._is_fitted()

    def _check_dense_state_fits(self, table, n_models, n_features):
        """Refuse a dense state larger than the memory this process may use, before
        allocating it."""
        need = 16 * n_models * n_features
        if not table and need > memory_limit():
            raise ValueError(
                f"the dense state store needs {need:,} bytes for {n_models} model(s) x "
                f"{n_features:,} columns, more than the memory this process may use "
                f"({memory_limit():,} bytes); use state_store='sparse' (or 'auto'), which "
                "holds only the columns seen."
            )

    def _check_table_models_fit(self, table, n_models):
        """Refuse one-vs-rest models of the table store whose smallest tables alone need more
        than the memory this process may use, before allocating them (a 100 MB state of
        25,000,000 classes and no column set out to make 15 GB of tables)."""
        need = LEAST_TABLE_MODEL_BYTES * n_models
        if table and need > memory_limit():
            raise ValueError(
                f"the table store's {n_models:,} one-vs-rest models need at least {need:,} bytes "
                f"(a table each), more than the memory this process may use "
                f"({memory_limit():,} bytes)."
            )

    def _check_bloom_fits(self, n_models, params):
        need = self._bloom_counters(params) * n_models
        if need > memory_limit():
            raise ValueError(
                f"bloom_size={params.bloom_size} gives {n_models} model(s) Bloom filters of "
                f"{need:,} bytes in all, more than the memory this process may use "
                f"({memory_limit():,} bytes); use a smaller bloom_size."
            )

    def _new_state(self, n_models, n_features, rng, params, expected_columns=None, softmax=False):
        table = self._use_table_store(n_models, n_features, params)
        self._check_dense_state_fits(table, n_models, n_features)
        if not softmax:
            self._check_table_models_fit(table, n_models)
        if params.inclusion == "bloom":
            self._check_bloom_fits(n_models, params)
        # drawn whether or not inclusion is on, so that it never changes the shuffling
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if softmax:
            return SoftmaxState(
                n_models, n_features, table=table, seed=seed, expected_columns=expected_columns
            )
        return FTRLState(
            n_models,
            n_features,
            table=table,
            bloom_size=self._bloom_counters(params) if params.inclusion == "bloom" else 0,
            seed=seed,
            expected_columns=expected_columns,
        )

    def _weights(self, state, t, dtype, params=None):
        """``(coef, intercept)`` that ``state`` stands for after ``t`` samples, under
        ``params`` (``_WEIGHT_PARAMS`` of a training call's; None: of ``self``).

        ``coef`` is a dense ``(n_models, n_features)`` array for the dense store and a
        CSR matrix of the surviving weights for the table store.
        """
        params = _WEIGHT_PARAMS(self) if params is None else params
        rates = weight_rates(params, t)
        if state.in_table:
            rows = [state.survivors(k, dtype=dtype, **rates) for k in range(state.n_models)]
            indptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in rows])])
            index_dtype = np.int32 if state.n_features <= np.iinfo(np.int32).max else np.int64
            coef = sp.csr_matrix(
                (
                    np.concatenate([w for _, w in rows]),
                    np.concatenate([c for c, _ in rows]).astype(index_dtype),
                    indptr.astype(index_dtype),
                ),
                shape=(state.n_models, state.n_features),
            )
        else:
            coef = np.empty((state.n_models, state.n_features), dtype=dtype)
            state.dense_weights(coef, **rates)
        return coef, state_intercept(state, rates["eta0"], rates["beta"], params[-1], dtype)

    def _cached_weights(self):
        check_is_fitted(self)
        return self._current_weights()

    def _current_weights(self):
        """The ``_Model`` of a fitted estimator: one model's, whatever other threads do,
        computed once per state and parameters (``params``, the values the weights come
        from: set by ``set_params`` or assigned).

        Computed under the training lock: a call that trains the state in place (its kernel
        without the GIL) is then over, and the cache holds the state it committed (a
        reader used to compute weights from a state half-way through a call). The arrays
        are read-only: every reader shares them (writing into ``coef_`` changed the
        dense store's predictions until the next call, and was lost in a pickle).
        """
        value = self._weights_cache.value
        if value is None or value.params != _WEIGHT_PARAMS(self):
            with self._training_lock:
                cache = self._weights_cache
                params = _WEIGHT_PARAMS(self)  # (read once: the weights are cached under it)
                if cache.value is None or cache.value.params != params:
                    coef, intercept = self._weights(self._state, self.t_, self._coef_dtype, params)
                    shared = [coef.data, coef.indices, coef.indptr] if sp.issparse(coef) else [coef]
                    for array in (*shared, intercept):
                        array.flags.writeable = False
                    cache.value = _Model(
                        coef,
                        intercept,
                        LinearWeights.from_coef(coef, intercept),
                        self.__dict__.get("classes_"),
                        self.n_features_in_,
                        self.__dict__.get("feature_names_in_"),
                        params,
                        getattr(self._state, "softmax", False),
                    )
                value = cache.value
        return value

    def _public_model(self):
        """``(coef_, intercept_, classes_, feature_names_in_, softmax)`` of one model, whatever
        other threads do (read one after the other, they could come from two calls' states);
        ``softmax``: whether it is one softmax model (``_Model.softmax``)."""
        check_is_fitted(self)
        model = self._current_weights()
        coef = self._coef_form(model.coef)
        return coef, model.intercept, model.classes, model.feature_names, model.softmax

    def __getstate__(self):
        with self._training_lock:  # not half-way through another thread's partial_fit
            # a copy: on Python >= 3.11 object.__getstate__ gives the live __dict__, whose lock
            # and state must stay the estimator's
            state = dict(super().__getstate__())
            # pickling reads the arrays after this returns: copy what training mutates in place
            for name, copy_of in (("_state", lambda v: v.copy()), ("nnz_history_", list)):
                if name in state:
                    state[name] = copy_of(state[name])
            copy_random_state(state)
        state["_weights_cache"] = _WeightsCache()  # derived from _state: recomputed after loading
        state.pop("_call_memo", None)  # a weak reference; rebuilt by the next checked call
        return state

    @property
    def coef_(self):
        """Weights computed lazily from the FTRL state (see the class docstring); read-only."""
        return self._coef_form(self._cached_weights().coef)

    def _coef_form(self, coef):
        """``coef_`` of the weights ``coef`` (``_weights``): CSR after ``sparsify``, else dense
        (1-D for a regressor)."""
        if self._sparse_coef:
            return configured_csr(coef if sp.issparse(coef) else dense_csr(coef))
        coef = coef.toarray() if sp.issparse(coef) else coef
        return coef[0] if is_regressor(self) else coef

    @property
    def sparse_coef_(self):
        """Weights as a CSR matrix of shape ``(n_models, n_features)``, whatever the store.

        As ``ElasticNet.sparse_coef_``: 2-D even for a regressor (one row), with only the
        non-zero weights stored. With the sparse state store it is built from the
        columns the state holds, never from a dense row of the whole width; with the
        dense store, from the dense weights that store computes anyway. A new matrix
        at each read (changing it changes nothing in the estimator). A ``csr_array``
        under ``sklearn.set_config(sparse_interface="sparray")``, as scikit-learn gives.
        """
        coef = self._cached_weights().coef
        if sp.issparse(coef):
            return configured_csr(sp.csr_matrix(coef, copy=True))
        return configured_csr(dense_csr(coef))  # (zeros dropped)

    @property
    def intercept_(self):
        """Intercept computed from the FTRL state (zeros when ``fit_intercept=False``);
        read-only."""
        return self._cached_weights().intercept

    def count_nonzero(self) -> np.ndarray:
        """Number of non-zero weights per model (one per class for one-vs-rest).

        Computed from the training state without materialising ``coef_``.

        Returns
        -------
        counts : ndarray of shape (n_models,)
            Non-zero entries of each row of ``coef_`` (``coef_`` itself for a regressor).
        """
        check_is_fitted(self)
        with self._training_lock:  # not a state half-way through a call
            return np.array(self._nonzero_counts(self._state, self.t_))

    def _nonzero_counts(self, state, t):
        return state.count_nonzero(weight_rates(_WEIGHT_PARAMS(self), t), self._coef_dtype)

    def sparsity_report(self) -> SparsityReport:
        """Non-zero weights, features touched or zeroed by L1, and bytes, from the current state.

        Returns
        -------
        report : sparsereg.sparsity.SparsityReport
            Printable; see :func:`sparsereg.sparsity_report`.
        """
        check_is_fitted(self)
        with self._training_lock:  # the counts and coef_ of one state, not of two calls'
            state = self._state.to_arrays()
            # a gradient reached the coordinate (z != 0 too: n, a sum of squares, underflows)
            touched = (state["n"] > 0) | (state["z"] != 0)
            counts = FTRLCounts(
                touched=tuple(int(c) for c in touched.sum(axis=1)),
                touched_union=int(touched.any(axis=0).sum()),
                state_bytes=self._state.nbytes,
            )
            coef = self.coef_  # (of the same state: coef_report counts its non-zeros)
        return coef_report(coef, type(self).__name__, counts)

    def sparsify(self: _Estimator) -> _Estimator:
        """Return ``coef_`` as a scipy CSR matrix from now on.

        Unlike scikit-learn's SGD estimators, training (``partial_fit``, ``fit`` with
        ``warm_start=True``) goes on working after ``sparsify``: the FTRL state is
        kept separately from ``coef_``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        self._sparse_coef = True
        return self

    def densify(self: _Estimator) -> _Estimator:
        """Return ``coef_`` as a dense NumPy array from now on (the default).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        self._sparse_coef = False
        return self

    # ----------------------------------------------------------- state protocol
    def get_ftrl_state(self) -> dict[str, np.ndarray]:
        """The training state as a dict of plain NumPy arrays, touched columns only.

        ``np.savez(path, **est.get_ftrl_state())`` saves it without pickle, and
        :meth:`set_ftrl_state` on an estimator with the same parameters continues
        from it exactly (to the bit) as this one would. The keys:

        - ``columns`` (int64, sorted): the columns holding state in any model;
        - ``z``, ``n`` (float64, ``(n_models, len(columns))``): FTRL's per-coordinate
          sums; ``held`` (bool, same shape): whether each model's store holds the
          column (inclusion reads it);
        - ``intercept_z``, ``intercept_n`` (``(n_models,)``), ``t`` (samples seen),
          ``n_features_in``, ``classes`` (classifiers), ``seed`` and ``bloom`` (the
          inclusion draws' seed and Bloom counters);
        - ``rng_state``, ``rng_pos``, ``rng_has_gauss``, ``rng_cached_gaussian``: the
          generator that shuffles the rows of the next ``partial_fit``;
        - ``nnz_history_t``, ``nnz_history``, ``n_iter``, ``coef_dtype``,
          ``feature_names_in`` (when fitted on a DataFrame), ``format``, ``version``;
        - ``multi_class`` (``"multinomial"``) for a softmax model of three classes or more;
        - ``params``: this estimator's parameters that decide its model (loss, penalty,
          rates, ``fit_intercept``, ``class_weight``, ``shuffle``, inclusion), a JSON object.

        ``n_models`` is 1 for a regressor or a binary classifier, the number of
        classes for one-vs-rest and multinomial. :meth:`set_ftrl_state` applies the taking
        estimator's own parameters, and warns of those that differ from ``params``.

        Returns
        -------
        state : dict of str to ndarray

        Examples
        --------
        >>> import io
        >>> import numpy as np
        >>> from sparsereg import SparseFTRLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
        >>> reg = SparseFTRLRegressor(random_state=0).partial_fit(X, y)
        >>> buffer = io.BytesIO()
        >>> np.savez(buffer, **reg.get_ftrl_state())
        >>> _ = buffer.seek(0)
        >>> twin = SparseFTRLRegressor(random_state=0).set_ftrl_state(dict(np.load(buffer)))
        >>> reg.partial_fit(X, y).coef_.tolist() == twin.partial_fit(X, y).coef_.tolist()
        True
        """
        check_is_fitted(self)
        with self._training_lock:  # a snapshot between two training calls, never inside one
            return self._get_ftrl_state()

    def _get_ftrl_state(self):
        n_models = self._state.n_models
        check_mt19937(self._random_state, "get_ftrl_state saves")
        _, words, pos, has_gauss, cached = self._random_state.get_state()
        times, counts = history_arrays(self.nnz_history_, n_models)
        state = {
            "format": np.array(FORMAT),
            "version": np.int64(VERSION),
            **self._state.to_arrays(),
            "t": np.int64(self.t_),
            "n_features_in": np.int64(self._state.n_features),
            "rng_state": words.astype(np.uint32),
            "rng_pos": np.int64(pos),
            "rng_has_gauss": np.int64(has_gauss),
            "rng_cached_gaussian": np.float64(cached),
            "nnz_history_t": times,
            "nnz_history": counts,
            "n_iter": np.int64(self.n_iter_),
            "coef_dtype": np.array(self._coef_dtype.name),
            "params": recorded_params(self),
        }
        if is_classifier(self):
            state["classes"] = plain_labels(self.classes_)
        if getattr(self._state, "softmax", False):
            state["multi_class"] = np.array("multinomial")
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            state["feature_names_in"] = np.asarray(names, dtype=str)
        return state

    def set_ftrl_state(self: _Estimator, state: Mapping[str, ArrayLike]) -> _Estimator:
        """Take a training state given by :meth:`get_ftrl_state`; fitted or not, the
        estimator then predicts and continues training as the one it came from.

        The store (``state_store``) and inclusion are this estimator's parameters; a
        state from either store fits either. Nothing changes when the state is
        rejected.

        Parameters
        ----------
        state : dict of str to array-like
            See :meth:`get_ftrl_state` for the keys; ``columns``, ``z``, ``n``,
            ``intercept_z``, ``intercept_n``, ``t``, ``n_features_in`` (and ``classes``
            for a classifier) are required.

        Returns
        -------
        self : object
            The estimator, fitted.

        Raises
        ------
        TypeError, ValueError
            For a state that is not a dict of arrays, or whose keys are missing,
            unknown or inconsistent (shapes, NaN, negative ``n``, unsorted or
            out-of-range columns...), naming the key; also float ``classes`` that are not
            integral (0.5) or lie beyond int64 (1e300), which ``fit`` takes for a continuous
            target (a state saved with such classes by an earlier version is refused so).

        Warns
        -----
        UserWarning
            Where the state's ``params`` record model parameters other than this
            estimator's (say ``alpha=0.01`` where it has ``alpha=0.0001``): it takes the
            state and predicts and trains with its own, as after ``set_params``; the
            warning names them and the ``set_params(...)`` that makes it predict and train
            as the estimator the state comes from.
        """
        with self._training_lock:
            return self._set_ftrl_state(state)

    def _set_ftrl_state(self, state):
        params = self._checked_call_params()
        arrays = check_ftrl_state(
            state,
            classifier=is_classifier(self),
            multi_class=getattr(params, "multi_class", "ovr"),
        )
        n_models, n_features = arrays["z"].shape[0], arrays["n_features_in"]
        table = self._use_table_store(n_models, n_features, params)
        self._check_dense_state_fits(table, n_models, n_features)
        kind = SoftmaxState if arrays["multi_class"] == "multinomial" else FTRLState
        if kind is FTRLState:
            self._check_table_models_fit(table, n_models)
        ftrl_state = kind.from_arrays(arrays, n_features=n_features, table=table)
        self._prepare_state(ftrl_state, params)
        if "rng" in arrays:
            rng = np.random.RandomState()
            rng.set_state(arrays["rng"])
        else:
            rng = check_random_state(params.random_state)
        fitted = {
            "n_features_in_": n_features,
            "_state": ftrl_state,
            "t_": arrays["t"],
            "_coef_dtype": arrays["coef_dtype"],
            "_weights_cache": _WeightsCache(),
            "_sparse_coef": ftrl_state.in_table,
            "_random_state": rng,
            "nnz_history_": arrays["nnz_history"],
            "n_iter_": arrays["n_iter"],
        }
        if "classes" in arrays:
            fitted["classes_"] = arrays["classes"]
        if "feature_names_in" in arrays:
            fitted["feature_names_in_"] = arrays["feature_names_in"]
        if "params" in arrays:  # (before the change: a warnings filter may make it an error)
            warn_of_other_params(arrays["params"], self)
        # all of it or none: a signal handler's exception after a pop left the old model
        # without its feature names
        with interrupts_deferred():
            self.__dict__.pop("feature_names_in_", None)
            self.__dict__.pop("_call_memo", None)
            self.__dict__.update(fitted)
        return self

    # ------------------------------------------------------------------ training
    def _validate_training_data(self, X, y, sample_weight, reset, keep_dense=False, threads=1):
        """``(X, y, sample_weight, longest_row, bound on |x|)`` for the kernel: ``X`` as CSR
        or, with ``keep_dense``, a dense array of at most ``NARROW_COLUMNS`` columns as a
        ``DenseRows`` (as it is: no copy to C order or to CSR); ``threads``: the call's
        ``n_threads``, which check the CSR."""
        keep_dense = keep_dense and not sp.issparse(X)
        order = None if keep_dense else "C"
        who = type(self).__name__
        for name, value in (("X", X), ("y", y), ("sample_weight", sample_weight)):
            refuse_masked(value, name, who)
        refuse_pandas_na(y)
        refuse_non_number_values(sample_weight, "sample_weight", who)
        if not is_classifier(self):
            refuse_non_number_values(y, "y", who)
        try:
            X, y = validate_data(
                self,
                sparse_before_conversion(X),
                y,
                accept_sparse="csr",
                dtype="numeric",  # (as float64 below: float_values)
                order=order,
                accept_large_sparse=True,
                ensure_all_finite=False,  # checked by check_csr in the same pass as the indices
                reset=reset,
                y_numeric=not is_classifier(self),
            )
        except OverflowError:
            if not is_classifier(self):  # (a classifier's y is labels, not converted)
                refuse_beyond_float64(y, "y")
            raise beyond_float64("X") from None
        X = float_values(X, type(self).__name__, order=order)
        if reset:
            refuse_unsaveable_names(getattr(self, "feature_names_in_", None))
        # scikit-learn converts only an object y to numbers: a str y reached np.isfinite's
        # TypeError, and datetimes trained as counts of their unit (days, or nanoseconds)
        if not is_classifier(self) and y.dtype.kind not in "biuf":
            raise ValueError(
                f"y of dtype {y.dtype} is not numeric: a regressor's targets are numbers "
                "(convert them, e.g. str with astype(float), datetimes to a chosen unit)."
            )
        # scikit-learn checks y for NaN before it converts an object y to float: a None there
        # becomes NaN after the check, and a regressor would train on it (NaN weights)
        if not is_classifier(self) and not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity (None in an object y is NaN).")
        if sample_weight is not None:  # None stays None: the kernel takes it as all ones
            try:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            except OverflowError:
                raise beyond_float64("sample_weight") from None
            if sample_weight.size and not np.any(sample_weight):  # (scikit-learn < 1.9 took it)
                raise ValueError("Sample weights must contain at least one non-zero number.")
            # (scikit-learn checks them only without assume_finite: a NaN made every weight NaN)
            if not np.isfinite(sample_weight).all():
                raise ValueError("Input sample_weight contains NaN or infinity.")
        # (validate_data makes a DataFrame of sparse columns a CSR matrix)
        if keep_dense and not sp.issparse(X) and X.ndim == 2 and X.shape[1] <= NARROW_COLUMNS:
            X, x_bound = dense_rows(X)
            return X, y, sample_weight, X.shape[1], x_bound
        X, longest_row, x_bound = as_kernel_csr(X, threads=threads)
        return X, y, sample_weight, longest_row, x_bound

    def _trains_dense(self, X, problem, first, early_stopping, params):
        """Whether the validated dense ``X`` (``DenseRows``) trains as it is: on a narrow
        dense state store of one-vs-rest or single models, one thread per model, without a
        held-out split, every column seen once on average; else it is converted to CSR."""
        return (
            not early_stopping
            and not problem.softmax
            and self._model_threads(problem.n_models, params.n_threads) == 1
            and not (
                self._use_table_store(problem.n_models, X.shape[1], params)
                if first
                else self._state.in_table
            )
            and X.shape[1] <= min(NARROW_COLUMNS, X.nnz)
        )

    def _check_gradient_scale(self, X, x_bound, problem, loss):
        """Refuse data whose gradients, squared and summed, could overflow (e.g. |x| = 1e300).

        A gradient is ``weight * loss'(p, y) * x``, the weight being the kernel's
        (sample weight times class weight; an empty array means 1). For the losses
        whose derivative grows with the prediction ``p = w.x`` (squared ones), it scales
        like ``x**2``; for the others it is bounded by a constant times ``x``.
        """
        distinct = {id(w): w for w in problem.weights}.values()  # models often share one array
        w_max = max(float(w.max()) if w.size else 1.0 for w in distinct)
        y = problem.targets
        y_max = float(np.abs(y).max()) if problem.classes is None and y.size else 1.0
        grows_with_p = loss in UNBOUNDED_DERIVATIVE_LOSSES

        def too_large(x_max):
            return gradients_overflow(x_max, w_max, y_max, grows_with_p)

        x_max = x_bound
        # the bound is loose (CSR): look at the real largest |x| (a dense X's bound is exact)
        if too_large(x_bound) and sp.issparse(X) and X.nnz:
            x_max = max(-float(X.data.min()), float(X.data.max()))
        if too_large(x_max):
            raise ValueError(
                f"|X| up to {x_max:.3g}, sample weights (times class_weight) up to {w_max:.3g} and "
                f"|y| up to {y_max:.3g} "
                f"make gradients{' (which grow like |x|**2 for this loss)' if grows_with_p else ''} "
                "whose squares FTRL sums, which would overflow float64: rescale X, y, "
                "sample_weight or class_weight."
            )

    def _run_epochs(
        self,
        X,
        longest_row,
        problem,
        state,
        t0,
        *,
        max_iter,
        rng,
        history,
        validation=None,
        check_signals=False,
        hypers=None,
        count_columns=None,
        stream=False,
        params,
    ):
        """Train ``state`` in place for up to ``max_iter`` epochs; return ``(t, n_iter)``.

        After each epoch, ``(t, non-zeros per model)`` is appended to ``history``
        when :func:`history_due` says so (``stream``: a ``partial_fit`` call), or with
        ``verbose``.

        ``count_columns``: the columns that can hold a non-zero weight, when known (a new
        dense state trained on ``X`` only), so that counting reads their slots only.
        ``params``: the call's ``_CallParams``.

        Stopping follows ``SGDRegressor``: after ``n_iter_no_change`` epochs whose
        average loss (or validation score) did not improve by ``tol``.
        """
        if X.shape[1] != state.n_features:  # a backstop: validation keeps them equal
            raise ValueError(
                f"X has {X.shape[1]} features but the model was trained on {state.n_features}."
            )
        n_rows = X.shape[0]
        if hypers is None:
            hypers = self._model_hypers(problem.positives, state.seed, params, check_signals)
        batches = [Batch(X, problem.targets, weights, longest_row) for weights in problem.weights]

        together = 1 if problem.softmax else self._model_threads(problem.n_models, params.n_threads)
        jobs = getattr(params, "n_jobs", None)  # (the classifier's one-vs-rest threads)
        in_threads = problem.n_models > 1 and jobs not in (None, 1)
        # counted once for the call: n_jobs=-1 counts the CPUs, which can grow meanwhile (a
        # container's CPU quota raised, LOKY_MAX_CPU_COUNT): an epoch's extra thread then
        # found no scratch of its own and the fit raised an IndexError
        workers = _model_workers(jobs, problem.n_models) if in_threads else 1
        # each thread's kernel scratch, made before any model trains (_epoch.epoch_scratch);
        # one model makes its own before its first row (nothing to make on a 1-row call's path)
        scratch = (
            [None]
            if problem.softmax or together > 1 or problem.n_models == 1
            else [epoch_scratch(batches[0], state) for _ in range(workers)]
        )

        def one_model(k, order, t_start, worker=0):
            if problem.softmax:  # one model over every class
                return run_softmax_epoch(batches[0], state, hypers[0], order=order, t0=t_start)
            if together > 1:
                return run_epoch_threads(
                    batches[k], state, k, hypers[k], together, order=order, t0=t_start
                )
            return run_epoch(
                batches[k], state, k, hypers[k], order=order, t0=t_start, scratch=scratch[worker]
            )

        # partial_fit grows the table store it trains in place before any row when that
        # growth could fail (_reserve), so that a MemoryError leaves it (and the generator)
        # as it was
        reserving = (
            stream
            and state.in_table
            and state is self.__dict__.get("_state")
            and state.growth_may_fail(batches)
        )
        t = t0
        best, no_improvement = np.inf, 0
        n_iter = 0
        for epoch in range(max_iter):
            if t + n_rows > LARGEST_T:  # (after a state taken at the bound: the state the
                # epoch left was one that set_ftrl_state refused)
                raise ValueError(
                    f"this model has seen t = {t:,} samples: {n_rows:,} more would pass "
                    f"{LARGEST_T:,}, the most a state holds."
                )
            start = time.perf_counter() if params.verbose else 0.0
            # (a permutation of one row draws no random number: skipping it changes nothing)
            drawn = rng.get_state(legacy=False) if reserving else None
            order = epoch_order(rng, n_rows) if params.shuffle and n_rows > 1 else IN_ORDER
            if reserving:
                try:
                    state.reserve(batches, hypers, order, t)
                except BaseException:
                    rng.set_state(drawn)
                    raise
            try:
                if problem.softmax:
                    losses = [one_model(0, order, t)]
                elif not in_threads:
                    losses = [one_model(k, order, t) for k in range(problem.n_models)]
                else:
                    outcomes = _train_models_in_threads(
                        one_model, order, t, problem.n_models, workers
                    )
                    failures = [exc for _, exc in outcomes if exc is not None]
                    if failures:
                        raise failures[0]
                    losses = [loss for loss, _ in outcomes]
            except BaseException:  # (X changed meanwhile: the kernels stopped part-way)
                if state is self.__dict__.get("_state"):  # partial_fit's state, in place:
                    self._weights_cache.value = None  # coef_ is then what the state holds
                raise
            t += n_rows
            n_iter += 1
            loss = sum(losses) / max(n_rows, 1)
            # counting reads every slot (of count_columns only, when known); a table has 2 to
            # 4 slots per column held (more while small), and the held count, unlike the
            # table's size, is part of the saved state
            if count_columns is None:
                held = sum(state.n_held(k) for k in range(state.n_models))
            else:
                held = count_columns.shape[0] * state.n_models
            if params.verbose or history_due(
                history, t, held, X.nnz, n_rows, state.n_models, stream
            ):
                rates = weight_rates(_WEIGHT_PARAMS(params), t)  # (coef_'s: the same count)
                counts = state.count_nonzero(rates, X.dtype, count_columns)
                history.append((t, counts))
                if params.verbose:
                    print(
                        f"Epoch {epoch + 1}, avg loss: {loss:.6f}, non-zero weights: "
                        f"{sum(counts)}, time: {time.perf_counter() - start:.2f}s"
                    )
            if params.tol is None or max_iter == 1:
                continue
            criterion = -validation(state, t) if validation is not None else loss
            if criterion > best - params.tol:
                no_improvement += 1
            else:
                no_improvement = 0
            best = min(best, criterion)
            if no_improvement >= params.n_iter_no_change:
                if params.verbose:
                    print(f"Convergence after {n_iter} epochs")
                break
        else:
            if params.tol is not None and max_iter > 1:
                warnings.warn(
                    "Maximum number of iteration reached before convergence. Consider "
                    "increasing max_iter to improve the fit.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        return t, n_iter

    @contextmanager
    def _input_attributes_restored_on_error(self):
        """``validate_data(reset=True)`` sets ``n_features_in_`` before anything else can fail;
        a failed call must not leave a width that disagrees with the trained state (nor a
        ``RandomState`` the user gave advanced: ``call.given_random_state``)."""
        names = ("n_features_in_", "feature_names_in_")
        saved = {name: self.__dict__[name] for name in names if name in self.__dict__}
        call = _CallOutcome()
        try:
            yield call
        except BaseException:
            # not after the new model is attached: a held-back signal handler's exception
            # comes out of that step's end, and the model then is the call's
            if not call.committed:
                if call.given_random_state is not None:
                    generator, drawn = call.given_random_state
                    generator.set_state(drawn)
                # the saved values written first (in place, where the name is there: no
                # allocation that could fail after one was removed), then the others removed
                self.__dict__.update(saved)
                for name in names:
                    if name not in saved:
                        self.__dict__.pop(name, None)
            raise

    def _softmax_classes(self, n_classes, params=None):
        """Whether ``n_classes`` classes train one softmax model under ``params`` (None:
        ``self``'s; the classifier says)."""
        return False

    def _check_probability_kind(self, softmax, n_models, loss):
        """Refuse a model (of ``n_models`` weight vectors, one softmax model or not) whose
        probabilities the parameters would misread: a softmax model unless ``loss`` (the
        caller's one read of it) is 'log_loss' (only it trains one), and for log_loss a
        model whose kind ``multi_class`` no longer names (``set_params`` after fitting)."""
        if softmax and loss != "log_loss":
            raise ValueError(
                f"this model was trained as one softmax model (loss='log_loss', "
                f"multi_class='multinomial'), but loss is now {loss!r}: set it back, or "
                "fit again from scratch."
            )
        if softmax or loss == "log_loss":
            self._check_multi_class(softmax, n_models)

    def _check_state_multi_class(self, state, params):
        """Refuse a state whose kind (softmax or one-vs-rest) ``multi_class`` no longer names
        (set_params after fitting): neither trains on, nor reads as probabilities, the other."""
        self._check_multi_class(getattr(state, "softmax", False), state.n_models, params)

    def _check_multi_class(self, softmax, n_models, params=None):
        p = self if params is None else params
        if softmax != self._softmax_classes(n_models, params):  # (a binary state has 1 model)
            raise ValueError(
                f"this model's state was trained with "
                f"multi_class={'multinomial' if softmax else 'ovr'!r}, but multi_class is now "
                f"{getattr(p, 'multi_class', 'ovr')!r}: set it back, or fit again from scratch."
            )

    def _prepare_state(self, state, params):
        """Fit a state built under other parameters to the call's ``params`` (set_params
        between calls)."""
        self._check_state_multi_class(state, params)
        if params.inclusion is not None and not state.in_table:
            raise ValueError(
                f"inclusion={params.inclusion!r} needs the sparse state store, but this model's "
                "state is dense: fit it again from scratch with state_store='sparse' or 'auto'."
            )
        if params.inclusion == "bloom":
            self._check_bloom_fits(state.n_models, params)
            state.ensure_bloom(self._bloom_counters(params))

    def _fit(self, X, y, sample_weight, params, classes=None):
        """Fit from a new state (or from the current one when ``warm_start``)."""
        return self._partial_fit(
            X,
            y,
            sample_weight,
            classes,
            max_iter=params.max_iter,
            new_state=None,
            in_place=False,
            params=params,
        )

    def _partial_fit(
        self,
        X,
        y,
        sample_weight,
        classes=None,
        *,
        max_iter=1,
        new_state=False,
        in_place=True,
        params,
        snapshot=None,
    ):
        """The one training path of ``fit`` and ``partial_fit``.

        ``new_state``: start from a new state (``fit``, or the first ``partial_fit``); None:
        unless ``warm_start`` and fitted, as decided under the training lock (decided
        before, a ``fit`` that waited for another thread's first ``partial_fit`` dropped it).
        ``in_place=False`` (``fit``) trains a copy of the state, so that Ctrl-C leaves
        the estimator as it was, draws the shuffling from ``random_state`` afresh and
        holds out ``validation_fraction`` with ``early_stopping``; ``partial_fit``
        updates the state in place and shuffles with the generator of the first call.
        ``params``: the call's checked ``_CallParams``, the only parameters it reads.
        ``snapshot``: the ``_ParamSnapshot`` of the same values, taken before this
        ``partial_fit`` validated them; once the call has passed every check, the next calls
        may skip what depends only on them (``_fast_partial_fit``).
        """
        with (
            self._training_lock,
            self._input_attributes_restored_on_error() as call,
            interrupts_deferred() if in_place else nullcontext(),
        ):
            if new_state is None:
                new_state = not params.warm_start
            first = new_state or not self._is_fitted()
            early_stopping = not in_place and params.early_stopping
            X, y, sample_weight, longest_row, x_bound = self._validate_training_data(
                X,
                y,
                sample_weight,
                reset=first,
                keep_dense=not early_stopping,
                threads=params.n_threads,
            )
            problem = self._training_problem(
                y,
                sample_weight,
                classes=classes,
                first_call=first,
                for_partial_fit=in_place,
                params=params,
            )
            if isinstance(X, DenseRows) and not self._trains_dense(
                X, problem, first, early_stopping, params
            ):
                X, longest_row = X.to_csr()
            self._check_gradient_scale(X, x_bound, problem, params.loss)
            # fit draws its split, state seed and shuffling afresh; partial_fit goes on
            # with the generator of its first call
            rng = (
                self._random_state
                if in_place and not first
                else check_random_state(params.random_state)
            )
            if rng is params.random_state and not (in_place and not first):
                # the user's: early_stopping's split draws from it before the state's checks
                call.given_random_state = (rng, rng.get_state(legacy=False))
            validation = None
            if early_stopping:
                X, longest_row, problem, validation = self._split_validation(
                    X, y, problem, rng, params
                )
            count_columns = None
            if not problem.softmax:
                self._check_threads_fit_store(
                    self._use_table_store(problem.n_models, X.shape[1], params)
                    if first
                    else self._state.in_table,
                    problem.n_models,
                    X.shape[1],
                    params,
                )
            if first:
                state = self._new_state(
                    len(problem.classes) if problem.softmax else problem.n_models,
                    X.shape[1],
                    rng,
                    params,
                    expected_columns=min(X.nnz, X.shape[1]),
                    softmax=problem.softmax,
                )
                t0, history = 0, []
                if not state.in_table and X.nnz < X.shape[1]:
                    # a new dense state changes only X's columns: count those, not the width
                    # (2**20 slots per epoch cost more than an epoch of 17,000 short rows)
                    count_columns = columns_in(X)
            elif in_place:
                state, t0, history = self._state, self.t_, self.nnz_history_
            else:
                state, t0, history = self._state.copy(), self.t_, list(self.nnz_history_)
            self._prepare_state(state, params)
            t, n_iter = self._run_epochs(
                X,
                longest_row,
                problem,
                state,
                t0,
                max_iter=max_iter,
                rng=rng,
                history=history,
                validation=validation,
                check_signals=not in_place,
                count_columns=count_columns,
                stream=in_place,
                params=params,
            )
            # all of it or none: fit's commit is held back from signal handlers as well
            with nullcontext() if in_place else interrupts_deferred():
                self._commit(problem, state, t, X.dtype, fresh=first)
                self.nnz_history_ = history
                self.n_iter_ = n_iter
                self._random_state = rng
                self.__dict__.pop("_call_memo", None)
                # the model is the call's from here on, even if what follows raises (the
                # memo is a shortcut for the next calls: without it they take the full path)
                call.committed = True
                if in_place and snapshot is not None:
                    self._call_memo = self._new_call_memo(snapshot, params, state)
        return self

    # ------------------------------------------------------- partial_fit, per call
    def _partial_fit_call(self, X, y, sample_weight, classes=None):
        """``partial_fit``: the fast path when it applies, else every check, all under the
        training lock (a ``set_params`` between the check of the parameters and the lock
        trained with parameters never checked)."""
        with self._training_lock:
            if self._fast_partial_fit(X, y, sample_weight, classes):
                return self
            values = _param_getter(type(self))[1](self)  # the call's one read
            snapshot = _ParamSnapshot.of(self, values)
            checked = not get_config()["skip_parameter_validation"]
            params = self._checked_call_params(
                for_partial_fit=True, values=values, constraints=checked
            )
            if snapshot is not None and not checked:
                # not checked by this call: a snapshot of invalid ones would let the next
                # calls train with them once the checks are back on
                try:
                    self._check_constraints(params)
                except InvalidParameterError:
                    snapshot = None
            with config_context(skip_parameter_validation=True):  # (nested calls' checks)
                return self._partial_fit(
                    X, y, sample_weight, classes, params=params, snapshot=snapshot
                )

    def _fit_call(self, X, y, sample_weight):
        """``fit``: the parameters read once and checked, and the model trained with them,
        under the training lock."""
        with self._training_lock:
            checked = not get_config()["skip_parameter_validation"]
            params = self._checked_call_params(constraints=checked)
            with config_context(skip_parameter_validation=True):  # (nested calls' checks)
                return self._fit(X, y, sample_weight, params)

    def _new_call_memo(self, snapshot, params, state):
        memo = _CallMemo()
        memo.params = snapshot
        memo.call = params
        memo.grows_with_p = params.loss in UNBOUNDED_DERIVATIVE_LOSSES
        memo.state = weakref.ref(state)
        memo.labels, memo.positives = self._fast_labels(params)
        memo.hypers = self._model_hypers(memo.positives, state.seed, params)
        return memo

    def _fast_partial_fit(self, X, y, sample_weight, classes):
        """Train on a batch in place when provably nothing the full checks look at can fail
        or change the batch; return False (having changed nothing) when that is not so.

        It applies after a ``partial_fit`` that passed every check (``_call_memo``), on the
        same state, with the same parameters (compared value by value, type by type), a CSR
        batch that :func:`plain_csr` finds plain (or a small dense array's non-zeros; with
        feature names, only a DataFrame of them, :func:`frame_values`), and targets, labels
        and sample weights (or pandas Series of them) that :func:`plain_vector` finds
        plain. Then the parameters, the width, the classes, the label type
        (``_fast_labels``), the state's preparation and the kernel's numbers are those the
        full path would find, and the batch is the one it would train on; anything else
        returns False, and the caller runs the full path, which raises its errors or converts
        the input. Called with the training lock held.
        """
        attrs = self.__dict__
        memo = attrs.get("_call_memo")
        if (
            memo is None
            or memo.state() is not attrs.get("_state")
            or not memo.params.matches(self)
            or memo.call.verbose
        ):
            return False
        if "feature_names_in_" in attrs:  # a DataFrame with those names, else the full path
            X = frame_values(X, attrs["feature_names_in_"])
            y, sample_weight = series_values(y), series_values(sample_weight)
        if type(X) is np.ndarray:  # (1-row calls of 256 columns took 1,040 us the full way)
            X = small_dense_csr(X, attrs["n_features_in_"])
        csr = None if X is None else plain_csr(X, attrs["n_features_in_"])
        if csr is None:
            return False
        X, longest_row, x_max = csr  # (X's arrays as checked: X may be given others)
        n_rows = X.shape[0]
        targets = self._fast_targets(y, n_rows, classes, memo)
        if targets is None:
            return False
        y_kernel, y_max = targets
        if sample_weight is None:
            weights, w_max = UNWEIGHTED, 1.0
        else:
            plain = plain_vector(sample_weight, n_rows)
            if plain is None or plain[1] < 0 or plain[2] == 0:  # (all 0: the full checks')
                return False
            weights, _, w_max = plain
        if gradients_overflow(x_max, w_max, y_max, memo.grows_with_p):
            return False
        problem = TrainingProblem(
            targets=y_kernel,
            positives=memo.positives,
            weights=(weights,) * len(memo.hypers),
            sample_weight=None if sample_weight is None else weights,
            classes=attrs.get("classes_"),
        )
        state, history = attrs["_state"], self.nnz_history_
        with interrupts_deferred():
            t, n_iter = self._run_epochs(
                X,
                longest_row,
                problem,
                state,
                self.t_,
                max_iter=1,
                rng=self._random_state,
                history=history,
                hypers=memo.hypers,
                stream=True,
                params=memo.call,
            )
            self._commit(problem, state, t, X.dtype, fresh=False)
            self.n_iter_ = n_iter
        return True

    def _commit(self, problem, state, t, dtype, fresh):
        """Attach a trained state to the estimator, all at once.

        A ``fresh`` state (not continued from the previous one) also resets the form of
        ``coef_`` to its store's (CSR for the table store), as a new ``fit`` of
        ``SGDRegressor`` drops an earlier ``sparsify()``.
        """
        if fresh and problem.classes is not None:
            self.classes_ = problem.classes
        self._state, self.t_ = state, int(t)
        self._coef_dtype = np.dtype(dtype)
        self._weights_cache = _WeightsCache()
        if fresh or not hasattr(self, "_sparse_coef"):
            self._sparse_coef = state.in_table

    def _split_validation(self, X, y, problem, rng, params):
        """Hold out ``validation_fraction`` of the rows (of the call's ``params``); returns the
        training part of ``X`` and of ``problem``, and the score of a state on the held-out
        rows."""
        from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

        fraction = params.validation_fraction
        splitter_cls = StratifiedShuffleSplit if is_classifier(self) else ShuffleSplit
        splitter = splitter_cls(test_size=fraction, random_state=rng)
        train, val = next(splitter.split(np.zeros(X.shape[0]), y))
        if len(val) == 0 or len(train) == 0:
            raise ValueError(
                f"Splitting {X.shape[0]} samples into a train and validation set with "
                f"validation_fraction={fraction} leaves one of them empty. "
                "Increase the number of samples or change validation_fraction."
            )
        sample_weight = problem.sample_weight
        X_val, y_val = X[val], y[val]
        sw_val = None if sample_weight is None else sample_weight[val]
        if sw_val is not None and not sw_val.any():  # (no epoch could be scored)
            raise ValueError(
                f"the {len(val)} validation rows that early_stopping holds out "
                f"(validation_fraction={fraction}) all have sample_weight 0: "
                "change random_state or validation_fraction, or weigh more rows."
            )

        weight_params = _WEIGHT_PARAMS(params)

        def validation_score(state, t):
            coef, intercept = self._weights(state, t, np.float64, weight_params)
            scores = LinearWeights.from_coef(coef, intercept).scores(X_val)
            return self._score_from(scores, y_val, sw_val, problem.classes)

        train = train if params.shuffle else np.sort(train)
        X_train, longest_row, _ = as_kernel_csr(X[train])
        return X_train, longest_row, problem.take(train), validation_score

    # ---------------------------------------------------------------- prediction
    def _plain_scores(self, X, logistic_pair=False, model=None):
        """``LinearWeights.plain_scores`` of a fitted estimator, else None; of ``model``
        (``_current_weights``), the current model when None.

        A plain CSR (see ``plain_csr``) is what ``validate_data`` and ``as_kernel_csr`` would
        return unchanged, so its scores are those of the full path. An estimator fitted with
        feature names takes DataFrames with those names only (``frame_values``).
        """
        attrs = self.__dict__
        if "_state" not in attrs:
            return None
        model = model or self._current_weights()
        names = attrs.get("feature_names_in_")
        if model.feature_names is not names:  # (a fit under way has set new ones)
            return None
        if names is not None:  # a DataFrame with those names, else the full checks
            X = frame_values(X, names)
            if X is None:
                return None
        return model.linear.plain_scores(X, model.n_features, logistic_pair, self._threads)

    def _current_model(self, X=None):
        """``_current_weights`` of a fitted estimator, else None (the caller's checks raise);
        for scoring the rows ``X`` only, ``_rows_model(X)`` when it gives one."""
        if "_state" not in self.__dict__:
            return None
        model = None if X is None else self._rows_model(X)
        return model or self._current_weights()

    def _rows_model(self, X):
        """A ``_Model`` that scores the rows of ``X`` as the whole model does, holding the
        weights of ``X``'s columns only (``coef`` None; not cached), computed from the state
        under the training lock; None when the cached weights are current, ``X`` is not a
        CSR matrix of the model's width without feature names, or the calls since the model
        changed have cost about what the whole model's weights cost (``ROWS_CALL_COST``)."""
        attrs = self.__dict__
        value = self._weights_cache.value
        if (value is not None and value.params == _WEIGHT_PARAMS(self)) or (
            "feature_names_in_" in attrs
        ):
            return None
        arrays = csr_arrays(X, attrs.get("n_features_in_"))
        if arrays is None:
            return None
        nnz = arrays[1].shape[0]
        with self._training_lock:
            cache, state, n_features = self._weights_cache, self._state, self.n_features_in_
            params = _WEIGHT_PARAMS(self)
            whole = sum(state.n_held(k) for k in range(state.n_models))
            whole *= TABLE_COLUMN_COST if state.in_table else 1
            spent = cache.rows_cost if cache.rows_params == params else 0  # (set_params)
            cost = spent + ROWS_CALL_COST + ROWS_NNZ_COST * nnz * state.n_models
            if (
                (cache.value is not None and cache.value.params == params)
                or "feature_names_in_" in attrs
                or cost > whole
            ):
                return None
            cache.rows_cost, cache.rows_params = cost, params
            # sorted for the binary search (repeats find the same weight); a column out of
            # range (weight 0) makes X not plain, and the full checks then refuse it
            columns = arrays[1].astype(np.int64)
            columns.sort()
            if nnz >= DISTINCT_FROM:
                columns = columns[np.concatenate(([True], columns[1:] != columns[:-1]))]
            rates = weight_rates(params, self.t_)
            dtype = self._coef_dtype
            weights = np.empty((columns.shape[0], state.n_models), dtype=dtype)
            state.weights_of(columns, weights.T, **rates)
            intercept = state_intercept(state, rates["eta0"], rates["beta"], params[-1], dtype)
            return _Model(
                None,
                intercept,
                RowsWeights(weights, columns, intercept),
                attrs.get("classes_"),
                n_features,
                None,
                params,
                getattr(state, "softmax", False),
            )

    def _checked_rows(self, X):
        """``(CSR, longest row)`` of rows to score, checked against the fitted width and
        names (``validate_data``)."""
        refuse_masked(X, "X", type(self).__name__)
        try:
            X = validate_data(
                self,
                sparse_before_conversion(X),
                accept_sparse="csr",
                dtype="numeric",
                accept_large_sparse=True,
                reset=False,
            )
        except OverflowError:
            raise beyond_float64("X") from None
        X = float_values(X, type(self).__name__)
        X, longest_row, _ = as_kernel_csr(X, values=False)
        return X, longest_row

    def _scores_from_state(self, X):
        """``(scores, softmax)``: scores of shape (n_samples, n_models), as the next
        ``partial_fit`` would predict each row before training on it: the weights of the rows'
        columns only, computed from the state in float64 (no ``coef_`` of the whole width is
        built). For scoring a batch between two training calls (the stream's progressive
        validation). ``softmax``: whether the state that scored is one softmax model, whose
        scores are read by softmax whatever ``multi_class`` now says (``_Model.softmax``)."""
        check_is_fitted(self)
        with self._training_lock:  # X checked against the model that scores it
            attrs = self.__dict__
            # a plain CSR (see plain_csr) is what the full checks would let through as it is:
            # scored without them (a stream's small batches spent ~80 % of their scoring there)
            plain = None
            if "feature_names_in_" not in attrs:
                plain = plain_csr(X, attrs["n_features_in_"])
            if plain is not None:
                X, longest_row, _ = plain
            else:
                X, longest_row = self._checked_rows(X)
            state = self._state
            softmax = getattr(state, "softmax", False)
            if softmax:
                scores = softmax_scores_from_state(X, state, self._hyper(), self.t_)
            else:
                scores = scores_from_state(X, longest_row, state, self._hyper(), self.t_)
            return refuse_nan_scores(scores), softmax

    def _scores(self, X):
        """Scores of shape (n_samples, n_models): the decision function the export shares."""
        return self._scores_of(X)[0]

    def _scores_of(self, X, retried=False, model=None):
        """``(scores, model)``: the scores of the model ``_current_model(X)`` gave (or
        ``model``, which it gave the caller), taken once (another thread's ``fit`` may replace
        the model, its classes and width meanwhile)."""
        # (a model of X's columns only scores the rows it was made of)
        X = X_given = csr_read_once(X, self.__dict__.get("n_features_in_"))
        model = model or self._current_model(X)
        scores = None if model is None else self._plain_scores(X, model=model)
        if scores is not None:
            return scores, model
        check_is_fitted(self)
        attrs = self.__dict__

        refused = None
        try:
            if isinstance(X, CsrRows):
                X = csr_matrix_of(X)
            X = self._checked_rows(X)[0]
        except ValueError as exc:  # perhaps for a running fit's new columns
            refused = exc
        if (
            model is not None
            and model.n_features == attrs.get("n_features_in_")
            and model.feature_names is attrs.get("feature_names_in_")
        ):  # X was checked against the model that scores it
            if refused is not None:
                raise refused
            return model.linear.scores(X, self._threads), model
        # a fit has set its width or names and not committed yet (or they were assigned):
        # again, once no call trains (the lock), against the model then
        if retried:  # a backstop: under the lock the model is computed from the attributes
            if refused is not None:
                raise refused
            raise ValueError("the model changed while X was checked; call again.")
        with self._training_lock:
            if model is not None and model is self._weights_cache.value:
                self._weights_cache.value = None  # the attributes changed outside any call
            return self._scores_of(X_given, retried=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
