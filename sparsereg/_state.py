"""Where the FTRL state ``(z, n)`` lives: a dense array per model, or a table of the columns seen.

The dense store costs 16 bytes per column of the hash space before a row is read
(4.3 GB at 2**28 columns): ``zn[k]`` has a ``DENSE_SLOT`` row ``(z, n)`` per column.
The table store is an open-addressing table that holds only the columns that
entered the model: ``zn[k]`` has ``TABLE_SLOT`` rows ``(column, z, n)`` (the
column's int64 bits in a float64 slot), 24 bytes each, kept at most half full, so
48 to 96 bytes per column held. Both give bit-identical models on the same data;
the kernel (``_ftrl_fast.ftrl_epoch``) runs either, and :meth:`FTRLState.to_arrays`
/ :meth:`FTRLState.from_arrays` move a state between them.
"""

import numpy as np

from ._epoch import refuse_changed_x
from ._ftrl_fast import (
    EMPTY_KEY,
    Slot,
    Status,
    Store,
    column_weights,
    count_nonzero_weights,
    distinct_columns,
    lazy_weights,
    rehash,
    table_insert,
)
from ._reserve import grown_slots, growth_may_fail, largest_table_bytes

DENSE_SLOT, TABLE_SLOT = int(Slot.DENSE_SLOT), int(Slot.TABLE_SLOT)

_NO_TABLE = np.zeros(2, dtype=np.int64)
_NO_BLOOM = np.empty(0, dtype=np.uint8)
_FIRST_CAPACITY = 1 << 12  # the most slots a first table gets: 96 KiB
_SMALLEST_CAPACITY = 16

# dense states up to this size are written when made (see _dense_zeros): a last-level cache's size
CACHED_STATE_BYTES = 32 * 2**20

# 'auto' chooses the table store above this many bytes of dense state (16 x 2**24 = 256 MiB)
AUTO_SPARSE_BYTES = 16 * 2**24


def _dense_zeros(n_features, touched=None):
    """A dense ``(z, n)`` array of zeros.

    Up to ``CACHED_STATE_BYTES`` it is written here, as a plain-C FTRL loop zeroes its
    state before it starts: the epoch then begins with the pages mapped and the state
    in the CPU cache rather than in memory (``benchmarks/RESULTS.md`` has the first
    epoch's time either way). Larger states, and states whose first data can touch fewer
    than ``n_features`` of their slots (``touched``: e.g. 2**20 columns and 17,000 rows of
    12 non-zeros, where writing 16 MiB took a tenth of a 5-epoch fit), come from
    ``np.zeros``: zeroed pages from the OS, so that columns never touched cost no RAM.
    """
    if 16 * n_features > CACHED_STATE_BYTES or (touched is not None and touched < n_features):
        return np.zeros((n_features, DENSE_SLOT))
    zn = np.empty((n_features, DENSE_SLOT))
    zn.fill(0.0)
    return zn


def columns_in(X, indices=None):
    """The distinct columns of the validated CSR ``X``'s non-zeros, sorted, as int64 (the
    only columns whose ``z`` a new dense state trained on ``X`` can change); of ``indices``
    (those of some of its rows) when given."""
    return distinct_of(X.indices if indices is None else indices, X.shape[1])


def distinct_of(indices, n_features):
    """The distinct values of the index array ``indices`` (of a matrix ``n_features`` wide),
    sorted, as int64; each read once and bounded, as another thread may write to them."""
    bitmap = np.zeros(-(-n_features // 64), dtype=np.uint64)
    out = np.empty(min(indices.shape[0], n_features), dtype=np.int64)
    n = distinct_columns(indices, n_features, bitmap, out)
    if n < 0:
        refuse_changed_x(Status.X_CHANGED)
    return out[:n].copy()


def _empty_table(capacity):
    table = np.zeros((capacity, TABLE_SLOT))
    table.view(np.int64)[:, 0] = EMPTY_KEY
    return table


def sorted_union(arrays):
    """The sorted distinct values of some int64 arrays (a sort, not ``np.unique``'s hashing,
    which NumPy 2.4 made several times slower on a million columns)."""
    if len(arrays) == 1 and (arrays[0].size < 2 or np.all(arrays[0][1:] > arrays[0][:-1])):
        return np.array(arrays[0], dtype=np.int64)
    # one copy, as int64, sorted in place (concatenate, astype and np.sort made three)
    values = (
        arrays[0].astype(np.int64)
        if len(arrays) == 1
        else np.concatenate(arrays).astype(np.int64, copy=False)
    )
    values.sort()
    return _without_repeats(values)


def sorted_distinct(values):
    """``np.unique(values)`` of a 1-D array of integers or str, by a sort as `sorted_union`
    does (NumPy 2.4 hashes these, ~10x slower on many distinct values); the same dtype."""
    return _without_repeats(np.sort(values))


def _without_repeats(values):
    """The sorted ``values`` with each run of equal ones kept once."""
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


# the fewest bytes a model of the table store holds before any column: its smallest table and
# its two arrays' own objects (a NumPy array's is ~112 bytes)
LEAST_TABLE_MODEL_BYTES = _SMALLEST_CAPACITY * TABLE_SLOT * 8 + 2 * 112


def _capacity_for(n_columns):
    """Smallest power-of-two table holding ``n_columns`` under half load."""
    capacity = _SMALLEST_CAPACITY
    while capacity // 2 < n_columns:
        capacity *= 2
    return capacity


def count_arguments(rates, dtype, columns):
    """``count_nonzero_weights``'s ``(rows, all_rows)`` and the numbers after them."""
    rows = (_NO_ROWS, True) if columns is None else (columns, False)
    single = np.dtype(dtype) == np.float32
    return rows, (rates["eta0"], rates["beta"], rates["l1"], rates["l2"], single)


_NO_ROWS = np.empty(0, dtype=np.int64)


class FTRLState:
    """The ``(z, n)`` of ``n_models`` FTRL models over ``n_features`` columns.

    Parameters
    ----------
    n_models, n_features : int
        One model per one-vs-rest class (1 for regression and binary).
    table : bool
        Table of the columns seen (True) or one slot per column (False).
    bloom_size : int
        Counters of the counting Bloom filter of each model (0: no filter).
    seed : int
        Seed of the Poisson inclusion draws and of the Bloom filter's hashes.
    expected_columns : int or None
        Columns the first batch can touch (its non-zeros, at most the width). A model's
        table is first sized for them (at most 2,048, half of the first table's largest
        size), so that tiny one-vs-rest models over many classes hold tiny tables; a dense
        state is not written when made if they are fewer than its columns. None: the
        largest first table, a written dense state.
    """

    def __init__(self, n_models, n_features, *, table, bloom_size=0, seed=0, expected_columns=None):
        self.n_features = int(n_features)
        self.store = Store.TABLE_STORE if table else Store.DENSE_STORE
        self.seed = int(seed)
        self.intercept_zn = np.zeros((n_models, 2))
        if self.in_table:
            first = (
                _FIRST_CAPACITY
                if expected_columns is None
                else min(_capacity_for(expected_columns), _FIRST_CAPACITY)
            )
            self.zn = [_empty_table(first) for _ in range(n_models)]
            self.table = [np.array([0, first // 2], dtype=np.int64) for _ in range(n_models)]
        else:
            self.zn = [_dense_zeros(self.n_features, expected_columns) for _ in range(n_models)]
            self.table = [_NO_TABLE] * n_models
        self.bloom = [
            np.zeros(bloom_size, dtype=np.uint8) if bloom_size else _NO_BLOOM
            for _ in range(n_models)
        ]

    @property
    def in_table(self):
        return self.store == Store.TABLE_STORE

    @property
    def n_models(self):
        return len(self.zn)

    def kernel_arrays(self, k):
        """The state arrays of model ``k`` in the order ``ftrl_epoch`` takes them."""
        return self.store, self.zn[k], self.table[k], self.bloom[k], self.intercept_zn[k]

    def ensure_bloom(self, counters):
        """Give every model a Bloom filter (``inclusion='bloom'`` set after the state was built)."""
        self.bloom = [b if b.size else np.zeros(counters, dtype=np.uint8) for b in self.bloom]

    def grow(self, k, room):
        """Enlarge model ``k``'s table until ``room`` more columns fit under half load."""
        held = int(self.table[k][0])
        self._move(k, _empty_table(max(_capacity_for(held + room), self.zn[k].shape[0])))

    def _move(self, k, bigger):
        rehash(self.zn[k], bigger)
        self.zn[k] = bigger
        self.table[k] = np.array([int(self.table[k][0]), bigger.shape[0] // 2], dtype=np.int64)

    def growth_may_fail(self, batches):
        """Whether training on ``batches`` (one per model) can grow the tables (table store)
        beyond what the memory, as it stands, surely holds (``_reserve``)."""
        largest = 0
        for k, batch in enumerate(batches):
            largest += largest_table_bytes(
                self.zn[k], self.table[k], batch, batch.longest_row, self.n_features
            )
        return growth_may_fail(largest)

    def reserve(self, batches, hypers, order, t0):
        """Grow every model's table to the size training model ``k`` on ``batches[k]`` in
        ``order`` from ``t0`` samples (``hypers[k]``'s inclusion) would grow it to, or
        larger, every table allocated before any is changed: training then grows none, and a
        ``MemoryError`` is raised here, with the state as it was (``_reserve``)."""
        bigger = {}
        for k, batch in enumerate(batches):
            slots = grown_slots(
                self.zn[k],
                self.table[k],
                batch,
                order=order,
                t0=t0,
                room=batch.longest_row,
                n_features=self.n_features,
                hyper=hypers[k],
                bloom=self.bloom[k],
            )
            if slots > self.zn[k].shape[0]:
                bigger[k] = _empty_table(slots)
        for k, table in bigger.items():
            self._move(k, table)

    def __setstate__(self, attributes):
        if "sparse" in attributes:  # pickled by sparsereg 0.1.0.dev0 at 52ec8bf or before
            attributes["store"] = (
                Store.TABLE_STORE if attributes.pop("sparse") else Store.DENSE_STORE
            )
        self.__dict__.update(attributes)

    def copy(self):
        twin = FTRLState.__new__(FTRLState)
        twin.__dict__.update(self.__dict__)
        twin.intercept_zn = self.intercept_zn.copy()
        for name in ["zn", "table", "bloom"]:
            setattr(twin, name, [a.copy() if a.size else a for a in getattr(self, name)])
        return twin

    @property
    def nbytes(self):
        """Bytes of every array the state holds (tables, Bloom filters, intercepts)."""
        arrays = [self.intercept_zn, *self.zn, *self.bloom]
        if self.in_table:
            arrays += self.table
        return int(sum(a.nbytes for a in arrays))

    def n_held(self, k):
        """Columns with a slot in model ``k`` (every column in the dense store)."""
        return int(self.table[k][0]) if self.in_table else self.n_features

    def held(self, k):
        """``(columns, zn)``: the sorted columns model ``k`` holds and their ``(z, n)`` rows.

        Every column for the dense store; for the table store, the columns in its table.
        """
        if not self.in_table:
            return np.arange(self.n_features), self.zn[k]
        keys = self.zn[k].view(np.int64)[:, 0]
        slots = np.flatnonzero(keys != EMPTY_KEY)
        slots = slots[np.argsort(keys[slots], kind="stable")]
        return keys[slots], np.ascontiguousarray(self.zn[k][slots, 1:])

    def survivors(self, k, *, eta0, beta, l1, l2, dtype=np.float64):
        """``(columns, weights)`` of model ``k``'s non-zero weights, columns sorted."""
        columns, zn = self.held(k)
        w = np.empty(zn.shape[0], dtype=dtype)
        lazy_weights(zn, w, eta0, beta, l1, l2)
        alive = w != 0.0
        return columns[alive], w[alive]

    def dense_weights(self, out, *, eta0, beta, l1, l2):
        """Write every model's weights into the ``(n_models, n_features)`` array ``out`` (dense store)."""
        for k in range(self.n_models):
            lazy_weights(self.zn[k], out[k], eta0, beta, l1, l2)

    def weights_of(self, columns, out, *, eta0, beta, l1, l2):
        """Write each model's weights of ``columns`` (int64) into its row of ``out``
        (``(n_models, len(columns))``, ``coef_``'s dtype): the numbers ``coef_`` holds there,
        computed from those columns' state only (0 for a column out of range)."""
        z_col = TABLE_SLOT - 2 if self.in_table else DENSE_SLOT - 2
        for k in range(self.n_models):
            column_weights(self.zn[k], self.in_table, z_col, columns, out[k], eta0, beta, l1, l2)

    def count_nonzero(self, rates, dtype, columns=None):
        """Non-zero weights of each model as ``coef_`` of ``dtype`` holds them, without
        writing them (``rates``: ``_epoch.weight_rates``).

        ``columns`` (dense store): the only columns whose ``z`` may not be 0, e.g. those of
        the rows a new state was trained on; the count then reads only their slots.
        """
        rows, numbers = count_arguments(rates, dtype, None if self.in_table else columns)
        return tuple(
            int(count_nonzero_weights(zn, zn.shape[1] - 2, *rows, *numbers)) for zn in self.zn
        )

    # ------------------------------------------------------------ the arrays
    def to_arrays(self):
        """The state as plain arrays over the columns that hold state in any model.

        Returns a dict: ``columns`` (int64, sorted), ``z``, ``n`` (float64,
        ``(n_models, len(columns))``), ``held`` (bool, same shape: whether the model's
        store holds the column; in the table store a column can be held with
        ``z = n = 0``, which matters to inclusion), ``intercept_z``, ``intercept_n``,
        ``seed`` and ``bloom`` (uint8, ``(n_models, counters)``, 0 counters without a
        filter). A dense store lists the columns whose ``(z, n)`` is not ``(0, 0)``.
        """
        per_model = []
        for k in range(self.n_models):
            if self.in_table:
                columns, zn = self.held(k)
            else:
                zn = self.zn[k]
                columns = np.flatnonzero((zn[:, 1] != 0.0) | (zn[:, 0] != 0.0))
                zn = zn[columns]
            per_model.append((columns.astype(np.int64), zn))
        union = sorted_union([c for c, _ in per_model])
        shape = (self.n_models, union.size)
        z, n, held = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
        for k, (columns, zn) in enumerate(per_model):
            at = np.searchsorted(union, columns)
            z[k, at], n[k, at], held[k, at] = zn[:, 0], zn[:, 1], True
        counters = max(b.size for b in self.bloom) if self.bloom else 0
        bloom = np.zeros((self.n_models, counters), dtype=np.uint8)
        for k, b in enumerate(self.bloom):
            bloom[k, : b.size] = b
        return {
            "columns": union.astype(np.int64),
            "z": z,
            "n": n,
            "held": held,
            "intercept_z": self.intercept_zn[:, 0].copy(),
            "intercept_n": self.intercept_zn[:, 1].copy(),
            "seed": np.int64(self.seed),
            "bloom": bloom,
        }

    @classmethod
    def from_arrays(cls, arrays, *, n_features, table):
        """Build a state from :meth:`to_arrays`'s dict (already validated) in either store."""
        z, n, held, columns = arrays["z"], arrays["n"], arrays["held"], arrays["columns"]
        # (expected columns: a table store's first tables are then of the smallest size,
        # not 96 KiB each, which 20,000 models of no column made 1.9 GiB)
        state = cls(
            z.shape[0],
            n_features,
            table=table,
            seed=int(arrays["seed"]),
            expected_columns=columns.size,
        )
        for k in range(state.n_models):
            if table:
                mine = held[k]
                count = int(mine.sum())
                capacity = _capacity_for(count)
                state.zn[k] = _empty_table(capacity)
                table_insert(state.zn[k], columns[mine], z[k, mine], n[k, mine])
                state.table[k] = np.array([count, capacity // 2], dtype=np.int64)
            else:  # (through 1-D views: numpy's 2-D fancy assignment is several times slower)
                state.zn[k][:, 0][columns] = z[k]
                state.zn[k][:, 1][columns] = n[k]
        state.intercept_zn = np.column_stack([arrays["intercept_z"], arrays["intercept_n"]])
        bloom = arrays["bloom"]
        # copies: training writes the counters, and the caller's arrays are not ours to write
        state.bloom = [
            np.array(bloom[k], dtype=np.uint8) if bloom.shape[1] else _NO_BLOOM
            for k in range(state.n_models)
        ]
        return state
