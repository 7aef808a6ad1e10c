"""The state of a softmax (multinomial) FTRL model, and the one entry point to its kernel.

One ``(z, n)`` per class per coordinate, a column's classes side by side so that a row's
update reads each column's state in one place (``_ftrl_grid.softmax_epoch``): the dense
store is an ``(n_features, 2 K)`` array, the table store an open-addressing table of
``(column, z_0, n_0, ..., z_K-1, n_K-1)`` rows (kept at most half full) holding only the
columns seen. :class:`SoftmaxState` answers the questions the estimators ask of
``_state.FTRLState`` (weights, non-zero counts, the protocol's arrays...) with ``K``
models, one per class, so that ``coef_`` is ``(K, n_features)`` as in one-vs-rest.
"""

import numpy as np

from ._epoch import refuse_changed_x
from ._ftrl_fast import (
    EMPTY_KEY,
    Status,
    Store,
    column_weights,
    count_nonzero_weights,
    lazy_weights,
)
from ._ftrl_grid import softmax_epoch, softmax_scores, softmax_table_insert, wide_rehash
from ._reserve import grown_slots, growth_may_fail, largest_table_bytes
from ._state import _FIRST_CAPACITY, _capacity_for, _dense_zeros, count_arguments

_NO_BLOOM = np.empty(0, dtype=np.uint8)


def _empty_table(capacity, n_classes):
    table = np.zeros((capacity, 1 + 2 * n_classes))
    table.view(np.int64)[:, 0] = EMPTY_KEY
    return table


class SoftmaxState:
    """The ``(z, n)`` of a ``K``-class softmax FTRL model over ``n_features`` columns.

    Parameters
    ----------
    n_classes, n_features : int
    table : bool
        Table of the columns seen (True) or one row per column (False).
    seed : int
        Kept for the state protocol (no inclusion draws: every column seen enters).
    expected_columns : int or None
        Columns the first batch can touch: the first table is sized for them (at most
        2,048), and a dense state is not written when made if they are fewer than its
        columns.
    """

    softmax = True

    def __init__(self, n_classes, n_features, *, table, seed=0, expected_columns=None):
        self.n_classes = int(n_classes)
        self.n_features = int(n_features)
        self.store = Store.TABLE_STORE if table else Store.DENSE_STORE
        self.seed = int(seed)
        self.intercept_zn = np.zeros((self.n_classes, 2))
        if self.in_table:
            first = (
                _FIRST_CAPACITY
                if expected_columns is None
                else min(_capacity_for(expected_columns), _FIRST_CAPACITY)
            )
            self.zn = _empty_table(first, self.n_classes)
            self.table = np.array([0, first // 2], dtype=np.int64)
        else:
            if 16 * self.n_classes * self.n_features > 32 * 2**20:
                self.zn = np.zeros((self.n_features, 2 * self.n_classes))
            else:
                touched = None if expected_columns is None else expected_columns * self.n_classes
                self.zn = _dense_zeros(self.n_features * self.n_classes, touched).reshape(
                    self.n_features, 2 * self.n_classes
                )
            self.table = np.zeros(2, dtype=np.int64)
        self.bloom = [_NO_BLOOM] * self.n_classes

    @property
    def in_table(self):
        return self.store == Store.TABLE_STORE

    @property
    def n_models(self):
        return self.n_classes

    def ensure_bloom(self, counters):  # pragma: no cover - inclusion is refused before
        raise ValueError("multi_class='multinomial' does not support inclusion.")

    def grow(self, room):
        """Enlarge the table until ``room`` more columns fit under half load."""
        held = int(self.table[0])
        capacity = max(_capacity_for(held + room), self.zn.shape[0])
        self._move(_empty_table(capacity, self.n_classes))

    def _move(self, bigger):
        wide_rehash(self.zn, bigger)
        self.zn = bigger
        self.table = np.array([int(self.table[0]), bigger.shape[0] // 2], dtype=np.int64)

    def growth_may_fail(self, batches):
        """``FTRLState.growth_may_fail``: of the table, training on ``batches[0]``."""
        batch = batches[0]
        return growth_may_fail(
            largest_table_bytes(self.zn, self.table, batch, batch.longest_row, self.n_features)
        )

    def reserve(self, batches, hypers, order, t0):
        """``FTRLState.reserve``: the table grown before training on ``batches[0]``."""
        slots = grown_slots(
            self.zn,
            self.table,
            batches[0],
            order=order,
            t0=t0,
            room=batches[0].longest_row,
            n_features=self.n_features,
        )
        if slots > self.zn.shape[0]:
            self._move(_empty_table(slots, self.n_classes))

    def copy(self):
        twin = SoftmaxState.__new__(SoftmaxState)
        twin.__dict__.update(self.__dict__)
        twin.intercept_zn = self.intercept_zn.copy()
        twin.zn = self.zn.copy()
        twin.table = self.table.copy()
        return twin

    @property
    def nbytes(self):
        """Bytes of the arrays the state holds."""
        return int(
            self.intercept_zn.nbytes + self.zn.nbytes + (self.table.nbytes if self.in_table else 0)
        )

    def n_held(self, k):
        """Columns with a row in the store (every column in the dense store)."""
        return int(self.table[0]) if self.in_table else self.n_features

    def _held_rows(self):
        """``(columns, zn)``: the sorted columns held and their ``(n, 2 K)`` rows."""
        if not self.in_table:
            return np.arange(self.n_features), self.zn
        keys = self.zn.view(np.int64)[:, 0]
        slots = np.flatnonzero(keys != EMPTY_KEY)
        slots = slots[np.argsort(keys[slots], kind="stable")]
        return keys[slots], self.zn[slots, 1:]

    def held(self, k):
        """``(columns, zn)`` of class ``k``: the sorted columns held, their ``(z, n)`` rows."""
        columns, zn = self._held_rows()
        return columns, np.ascontiguousarray(zn[:, 2 * k : 2 * k + 2])

    def survivors(self, k, *, eta0, beta, l1, l2, dtype=np.float64):
        """``(columns, weights)`` of class ``k``'s non-zero weights, columns sorted."""
        columns, zn = self.held(k)
        w = np.empty(zn.shape[0], dtype=dtype)
        lazy_weights(zn, w, eta0, beta, l1, l2)
        alive = w != 0.0
        return columns[alive], w[alive]

    def dense_weights(self, out, *, eta0, beta, l1, l2):
        """Write every class's weights into the ``(K, n_features)`` array ``out`` (dense store)."""
        for k in range(self.n_classes):
            lazy_weights(
                np.ascontiguousarray(self.zn[:, 2 * k : 2 * k + 2]), out[k], eta0, beta, l1, l2
            )

    def weights_of(self, columns, out, *, eta0, beta, l1, l2):
        """Write each class's weights of ``columns`` into its row of ``out``
        (``FTRLState.weights_of``)."""
        first = 1 if self.in_table else 0  # the table's rows start with the column
        for k in range(self.n_classes):
            column_weights(
                self.zn, self.in_table, first + 2 * k, columns, out[k], eta0, beta, l1, l2
            )

    def count_nonzero(self, rates, dtype, columns=None):
        """Non-zero weights of each class as ``coef_`` of ``dtype`` holds them, without
        writing them (``FTRLState.count_nonzero``)."""
        rows, numbers = count_arguments(rates, dtype, None if self.in_table else columns)
        first = 1 if self.in_table else 0  # the table's rows start with the column
        return tuple(
            int(count_nonzero_weights(self.zn, first + 2 * k, *rows, *numbers))
            for k in range(self.n_classes)
        )

    # ------------------------------------------------------------ the arrays
    def to_arrays(self):
        """The state as the protocol's arrays (``_state.FTRLState.to_arrays``), ``K`` models.

        A column is held by every class or by none; a dense store lists the columns whose
        ``(z, n)`` is not 0 in some class.
        """
        columns, zn = self._held_rows()
        if not self.in_table:
            keep = np.flatnonzero(np.any(zn != 0.0, axis=1))
            columns, zn = columns[keep], zn[keep]
        z, n = np.ascontiguousarray(zn[:, 0::2].T), np.ascontiguousarray(zn[:, 1::2].T)
        return {
            "columns": columns.astype(np.int64),
            "z": z,
            "n": n,
            "held": np.ones(z.shape, dtype=bool),
            "intercept_z": self.intercept_zn[:, 0].copy(),
            "intercept_n": self.intercept_zn[:, 1].copy(),
            "seed": np.int64(self.seed),
            "bloom": np.zeros((self.n_classes, 0), dtype=np.uint8),
        }

    @classmethod
    def from_arrays(cls, arrays, *, n_features, table):
        """Build a state from :meth:`to_arrays`'s dict (validated) in either store."""
        z, n, columns = arrays["z"], arrays["n"], arrays["columns"]
        n_classes = z.shape[0]
        state = cls(
            n_classes,
            n_features,
            table=table,
            seed=int(arrays["seed"]),
            expected_columns=columns.size,
        )
        rows = np.empty((columns.size, 2 * n_classes))
        rows[:, 0::2], rows[:, 1::2] = z.T, n.T
        if table:
            capacity = _capacity_for(columns.size)
            state.zn = _empty_table(capacity, n_classes)
            softmax_table_insert(state.zn, columns, rows)
            state.table = np.array([columns.size, capacity // 2], dtype=np.int64)
        else:
            state.zn[columns] = rows
        state.intercept_zn = np.column_stack([arrays["intercept_z"], arrays["intercept_n"]])
        return state


def run_softmax_epoch(batch, state, hyper, *, order, t0=0):
    """Train ``state`` on the rows of ``batch`` (``y``: class indices) in ``order``, in place.

    Returns the sum of the sample-weighted progressive log losses. Ctrl-C raises
    ``KeyboardInterrupt`` from the kernel when ``hyper.check_signals``.
    """
    K = state.n_classes
    width = max(batch.longest_row, 1)
    scratch = np.empty((width, 2 * K))
    classes_buf = np.empty((4, K))
    slots = np.empty(width, dtype=np.int64)
    loss, row = 0.0, 0
    while True:
        part, row, status = softmax_epoch(
            *batch.csr_rows,
            order,
            state.store,
            state.zn,
            state.table,
            state.intercept_zn,
            scratch,
            classes_buf,
            slots,
            hyper.kernel_fields,
            t0,
            row,
            batch.X.shape[1],
        )
        loss += part
        if status == Status.TABLE_FULL:
            state.grow(room=batch.longest_row)
            continue
        refuse_changed_x(status)
        return loss


def softmax_scores_from_state(X, state, hyper, t):
    """``(n_rows, K)`` margins of the validated CSR ``X`` under ``state`` after ``t`` samples,
    as ``softmax_epoch`` computes them before a row's update."""
    l1, l2 = hyper.lambdas_at(t)
    out = np.empty((X.shape[0], state.n_classes))
    status = softmax_scores(
        X.data,
        X.indices,
        X.indptr,
        state.store,
        state.zn,
        state.intercept_zn,
        hyper.eta0,
        hyper.beta,
        l1,
        l2,
        hyper.fit_intercept,
        out,
    )
    refuse_changed_x(status, training=False)
    return out
