"""One typed entry point to the compiled epoch, and the hyper-parameters it reads.

:func:`run_epoch` is the only caller of ``_ftrl_fast.ftrl_epoch``: it allocates the
row buffers, grows a full table and calls the kernel again from the row it stopped
at (a ``partial_fit`` grows the tables it trains in place beforehand when their growth
could fail, ``_reserve``). On a dense store of at most ``NARROW_COLUMNS`` columns it calls
``ftrl_epoch_narrow`` (CSR) or ``ftrl_epoch_dense`` (a ``DenseRows`` array) instead,
which train the same model to the bit, keeping ``sqrt(n_j)`` between rows (the dense one
computes a row's columns in vector lanes where ``DENSE_LANES``, on a copy of the state in
scratch rows of ``DenseScratch.DENSE_SCRATCH_ROWS`` numbers per column). ``ftrl_epoch``
computes a dense store's rows of at least ``CSR_LANES_FROM`` non-zeros in vector lanes.
:func:`scores_from_state` scores rows with the same prediction, without training. :class:`Hyper` turns an estimator's parameters into the kernel's numbers once.
"""

from dataclasses import dataclass, fields, replace
from functools import cached_property

import numpy as np

from ._ftrl_fast import (
    CsrScratch,
    DenseScratch,
    Inclusion,
    Loss,
    Status,
    Store,
    dense_lanes_pay,
    ftrl_epoch,
    ftrl_epoch_dense,
    ftrl_epoch_narrow,
    shuffle_rows,
    shuffle_rows_drawn,
)
from ._ftrl_scores import state_scores
from ._validation import DenseRows

IN_ORDER = np.empty(0, dtype=np.int64)  # an empty order: rows as stored
UNWEIGHTED = np.empty(0)  # empty sample weights: every weight is 1, no array of ones to read
# a dense store of at most this many columns trains with ftrl_epoch_narrow, which keeps
# sqrt(n_j) of every column (8 bytes each, beside the 16 of the state) between rows
NARROW_COLUMNS = 4096
# ftrl_epoch_dense computes a row's columns in vector lanes where vectors hold 4+ doubles and
# at least 1 entry in LANES_SPARSEST is not 0 (the lanes compute the zeros' columns too: they
# lost to the scalar loop below 5-15 % non-zeros, by width, on California-like rows)
DENSE_LANES = dense_lanes_pay()
LANES_SPARSEST = 8
# ftrl_epoch computes a dense store's rows of at least CSR_LANES_FROM non-zeros in vector
# lanes, gathered by column, where DENSE_LANES (AVX2; the baseline build was not timed);
# shorter rows lost to the scalar loop (measured with the AVX-512 clone on an AMD EPYC, since
# dropped: 1.1-1.7x its time at 1-6 non-zeros, ~0.95x at 8, 0.75-0.8x at California's 12,
# 0.65x on the CTR set's ~36)
CSR_LANES_FROM = 8 if DENSE_LANES else np.iinfo(np.int64).max

# ftrl_epoch's specializations by X's value and index types: run_epoch calls the one for its
# X directly, which skips the fused function's dispatch on the arguments' types (~0.5 us of
# a call); any other types go through ftrl_epoch itself, which refuses them
_FTRL_EPOCH_OF_TYPES = {
    (np.dtype(value), np.dtype(index)): ftrl_epoch.__signatures__[f"{c_value}|{c_index}"]
    for value, c_value in ((np.float32, "float"), (np.float64, "double"))
    for index, c_index in ((np.int32, "int32_t"), (np.int64, "int64_t"))
}

_INCLUSION = {
    None: Inclusion.INCLUDE_ALL,
    "poisson": Inclusion.INCLUDE_POISSON,
    "bloom": Inclusion.INCLUDE_BLOOM,
}


_INT64_MAX = np.iinfo(np.int64).max


def epoch_order(rng, n_rows):
    """A shuffled epoch's order of the rows ``0 .. n_rows - 1`` (int64), from one draw of
    ``rng`` (a ``RandomState``: the state protocol saves it, so a resumed fit draws the same
    orders): ``rng.randint(2**63 - 1, dtype=np.int64)``, drawn from MT19937's words in
    compiled code (a shuffled ``partial_fit`` of several rows draws one per call, which took
    4.2 us in Python inside a stream of calls, ``benchmarks/RESULTS.md``, "#16 eighteenth
    session"); other bit generators' words differ, and ``randint`` draws for them."""
    order = np.empty(n_rows, dtype=np.int64)
    bits = getattr(rng, "_bit_generator", None)
    if type(bits) is np.random.MT19937:
        shuffle_rows_drawn(order, bits.capsule, bits.lock)
    else:
        shuffle_rows(order, int(rng.randint(_INT64_MAX, dtype=np.int64)))
    return order


def penalty_lambdas(penalty, alpha, l1_ratio):
    """``(lambda1, lambda2)`` per sample seen ('mean' scale) or absolute ('sum')."""
    r = {"l1": 1.0, "l2": 0.0, "elasticnet": l1_ratio, None: 0.0}[penalty]
    if penalty is None:
        return 0.0, 0.0
    return alpha * r, alpha * (1.0 - r)


def history_due(history, t, held, nnz, n_rows, n_models, stream):
    """Whether ``nnz_history_`` records the count after a call (or epoch) of ``n_rows`` rows
    holding ``nnz`` non-zeros, at ``t`` samples, of a state of ``n_models`` models holding
    ``held`` columns over them; ``stream``: a ``partial_fit`` call, else an epoch of ``fit``.

    A stream's calls are recorded only once ``t`` has grown by 10 % since the last record,
    so that its history grows as the logarithm of ``t`` (~24 records per decade: recording
    each call of a narrow model, as the cheap rule below let it, grew the list by a tuple
    per call without end, and cost 6-13 us of a 1-row call of 256 columns). Counting reads
    every slot held and training each model reads each non-zero, so then (and for each
    epoch of ``fit``) a record is due when the count is cheap next to the call (at most 32
    columns per non-zero and model), or when ``t`` has grown by 10 % and the rows since the
    last record, at this call's non-zeros per row, hold at least one non-zero per column
    held and model: at ~1 ns a dense slot read and ~12 ns a non-zero trained, a stream of
    small calls pays a bounded share for it (the 10 % alone let 100-row calls on a
    2**24-column model count 16.7M slots, 15-28 ms, every ~20 calls: 512 us a call on
    average, 113 us the median). The estimators and the CV's grid decide by this one rule,
    in integers (exact)."""
    if not history:
        return True
    last = history[-1][0]
    grown = 10 * t >= 11 * last  # (t >= 1.1 * last in floats took 110 for less than 100's)
    if stream and not grown:
        return False
    trained = nnz * n_models
    if held <= 32 * trained:
        return True
    # (rows since the last record times this call's non-zeros per row: the estimate of
    # what was trained since, as the calls since are not known)
    return grown and n_rows > 0 and held * n_rows <= (t - last) * trained


def weight_rates(weight_params, t):
    """The numbers a weight is computed from after ``t`` samples (``lazy_weights``'s ``eta0``,
    ``beta``, ``l1``, ``l2``, as keywords) under an estimator's ``_base._WEIGHT_PARAMS``
    ``weight_params``: those of its ``Hyper`` (``lambdas_at``), without building one."""
    penalty, alpha, l1_ratio, penalty_scale, eta0, beta, _ = weight_params
    l1, l2 = penalty_lambdas(penalty, alpha, l1_ratio)
    l1, l2 = float(l1), float(l2)
    if penalty_scale == "mean":
        l1, l2 = l1 * t, l2 * t
    return dict(eta0=float(eta0), beta=float(beta), l1=l1, l2=l2)


@dataclass(frozen=True)
class Hyper:
    """The numbers the kernel reads (its ``Hyper`` struct), from validated parameters."""

    eta0: float
    beta: float
    l1: float
    l2: float
    epsilon: float
    loss: int
    mean_scaled: bool
    fit_intercept: bool
    inclusion: int
    inclusion_p: float
    inclusion_count: int
    seed: int = 0
    check_signals: bool = False
    one_vs_rest: bool = False
    positive: float = 0.0

    @classmethod
    def from_params(cls, params, *, seed=0, check_signals=False):
        """From an estimator's ``get_params()`` (validated)."""
        l1, l2 = penalty_lambdas(params["penalty"], params["alpha"], params["l1_ratio"])
        return cls(
            eta0=float(params["eta0"]),
            beta=float(params["beta"]),
            l1=float(l1),
            l2=float(l2),
            epsilon=float(params["epsilon"]),
            loss=int(Loss[params["loss"].upper()]),
            mean_scaled=params["penalty_scale"] == "mean",
            fit_intercept=bool(params["fit_intercept"]),
            inclusion=int(_INCLUSION[params["inclusion"]]),
            inclusion_p=float(params["inclusion_p"]),
            inclusion_count=int(params["inclusion_count"]),
            seed=int(seed),
            check_signals=bool(check_signals),
        )

    @cached_property
    def kernel_fields(self):
        """The numbers as the dict the kernel's struct is built from (made once per Hyper)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def lambdas_at(self, t):
        """``(lambda1, lambda2)`` in force after ``t`` samples."""
        return (self.l1 * t, self.l2 * t) if self.mean_scaled else (self.l1, self.l2)

    def for_class(self, positive):
        """The same numbers for the one-vs-rest model whose positive label is ``positive``."""
        return replace(self, one_vs_rest=True, positive=float(positive))


@dataclass(frozen=True)
class Batch:
    """Validated rows for the kernel.

    ``X``: a canonical CSR matrix (``_validation.as_kernel_csr``), or for a narrow dense
    state store a ``_validation.DenseRows`` (``run_epoch`` only); ``y``: float64
    targets or labels; ``sample_weight``: float64, or ``UNWEIGHTED``;
    ``longest_row``: the most non-zeros in a row.
    """

    X: object
    y: np.ndarray
    sample_weight: np.ndarray
    longest_row: int

    @property
    def csr_rows(self):
        """The CSR kernels' first arguments: ``X``'s arrays, the targets, the weights."""
        return self.X.data, self.X.indices, self.X.indptr, self.y, self.sample_weight


def _narrow(X, store, zn):
    """Whether ``run_epoch`` trains on the CSR ``X`` with ``ftrl_epoch_narrow``: few columns,
    each seen at least once on average (``sqrt(n_j)`` of them all is cheap)."""
    return (
        zn.shape[0] <= NARROW_COLUMNS
        and store == Store.DENSE_STORE
        and zn.shape[0] <= max(X.nnz, 1)
    )


def epoch_scratch(batch, state, k=0):
    """The scratch arrays :func:`run_epoch` trains model ``k`` of ``state`` on ``batch`` with;
    they serve every model of ``state`` (a dense store's models are alike, a table store's
    scratch is the rows'), one model at a time. One-vs-rest training makes them before any
    model trains: made by each model, a ``MemoryError`` for the second one left the first
    trained in place."""
    store, zn = state.kernel_arrays(k)[:2]
    return _scratch_of(batch, zn, _narrow(batch.X, store, zn))


def _scratch_of(batch, zn, narrow):
    """:func:`epoch_scratch` of a state whose model rows are ``zn``; ``narrow``: ``_narrow``'s
    answer."""
    width = max(batch.longest_row, 1)
    if isinstance(batch.X, DenseRows):
        # (at most NARROW_COLUMNS: run_epoch refuses a wider state, a backstop)
        columns = max(min(zn.shape[0], NARROW_COLUMNS), 1)
        return (np.empty((DenseScratch.DENSE_SCRATCH_ROWS, columns)),)
    if narrow:
        return np.empty(zn.shape[0]), np.empty(width)
    return np.empty((width, CsrScratch.CSR_SCRATCH_COLUMNS)), np.empty(width, dtype=np.int64)


def run_epoch(batch, state, k, hyper, *, order=IN_ORDER, t0=0, scratch=None):
    """Train model ``k`` of ``state`` on the rows of ``batch`` in ``order``, in place.

    ``t0`` is the number of samples seen before; returns the sum of the
    sample-weighted progressive losses. Ctrl-C raises ``KeyboardInterrupt`` from the
    kernel when ``hyper.check_signals`` (the state is then partly updated). ``scratch``:
    :func:`epoch_scratch`'s arrays (None: made here).
    """
    X = batch.X
    store, zn, table, bloom, intercept_zn = state.kernel_arrays(k)
    narrow = not isinstance(X, DenseRows) and _narrow(X, store, zn)
    if scratch is None:
        scratch = _scratch_of(batch, zn, narrow)
    if isinstance(X, DenseRows):
        if (  # a backstop: the kernel reads a row of state per column of X
            store != Store.DENSE_STORE
            or zn.shape[0] > NARROW_COLUMNS
            or X.array.shape[1] != zn.shape[0]
        ):
            raise ValueError("a dense X trains as it is only on a narrow dense state store")
        return ftrl_epoch_dense(
            X.array,
            batch.y,
            batch.sample_weight,
            order,
            zn,
            intercept_zn,
            scratch[0],
            hyper.kernel_fields,
            t0,
            DENSE_LANES and X.nnz * LANES_SPARSEST >= X.array.shape[0] * X.array.shape[1],
        )
    if narrow:
        loss, status = ftrl_epoch_narrow(
            *batch.csr_rows,
            order,
            zn,
            intercept_zn,
            *scratch,
            hyper.kernel_fields,
            t0,
        )
        refuse_changed_x(status)
        return loss
    scratch, slots = scratch
    kernel_fields = hyper.kernel_fields
    epoch = _FTRL_EPOCH_OF_TYPES.get((X.data.dtype, X.indices.dtype), ftrl_epoch)
    loss, row = 0.0, 0
    while True:
        part, row, status = epoch(
            *batch.csr_rows,
            order,
            store,
            zn,
            table,
            bloom,
            intercept_zn,
            scratch,
            slots,
            kernel_fields,
            t0,
            row,
            CSR_LANES_FROM,
            X.shape[1],
        )
        loss += part
        if status == Status.TABLE_FULL:
            state.grow(k, room=batch.longest_row)
            store, zn, table, bloom, intercept_zn = state.kernel_arrays(k)
            continue
        refuse_changed_x(status)
        return loss


def refuse_changed_x(status, training=True):
    """A kernel's ``X_CHANGED`` status as the ValueError that names it (a row's extent or a
    column out of bounds as the kernel read X, which was checked before: another thread
    wrote to it meanwhile; the kernel never reads or writes out of bounds)."""
    if status == Status.X_CHANGED:
        raise ValueError(
            f"X changed while it was {'trained on' if training else 'scored'} (another "
            "thread wrote to its index arrays after they were checked)"
            + ("; a partial_fit may have trained on part of its rows." if training else ".")
        )


def scores_from_state(X, longest_row, state, hyper, t):
    """``(n_rows, n_models)`` scores of the validated CSR ``X`` under ``state`` after ``t``
    samples: each row's weights computed lazily from its columns' ``(z, n)``, as
    ``ftrl_epoch`` predicts a row before its update (no dense weight vector is built)."""
    width = max(longest_row, 1)
    scratch = np.empty((width, 2))
    slots = np.empty(width, dtype=np.int64)
    l1, l2 = hyper.lambdas_at(t)
    out = np.empty((state.n_models, X.shape[0]))
    for k in range(state.n_models):
        store, zn, _, _, intercept_zn = state.kernel_arrays(k)
        status = state_scores(
            X.data,
            X.indices,
            X.indptr,
            store,
            zn,
            intercept_zn,
            hyper.eta0,
            hyper.beta,
            l1,
            l2,
            hyper.fit_intercept,
            scratch,
            slots,
            out[k],
            X.shape[1],
        )
        refuse_changed_x(status, training=False)
    return out.T
