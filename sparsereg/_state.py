"""Where the FTRL state ``(z, n)`` lives: a dense array per model, or a table of the columns seen.

The dense store costs 16 bytes per column of the hash space before a row is read
(4.3 GB at 2**28 columns): ``zn[k]`` has a row ``(z, n)`` per column. The sparse
store is an open-addressing table that holds only the columns that entered the
model: ``zn[k]`` has rows ``(column, z, n)`` (the column's int64 bits in a float64
slot), 24 bytes each, kept at most half full, so 48 to 96 bytes per column held.
Both give bit-identical models on the same data; the kernel
(``_ftrl_fast.ftrl_epoch``) runs either.
"""

import numpy as np

from ._ftrl_fast import lazy_weights, rehash

INCLUSION_CODES = {None: 0, "poisson": 1, "bloom": 2}
# ftrl_epoch's status codes
DONE, TABLE_FULL, INTERRUPTED = 0, 1, 2
EMPTY = -1
_NO_TABLE = np.zeros(2, dtype=np.int64)
_NO_BLOOM = np.empty(0, dtype=np.uint8)
_FIRST_CAPACITY = 1 << 12

# dense states up to this size are written when made (see _dense_zeros): a last-level cache's size
CACHED_STATE_BYTES = 32 * 2**20

# 'auto' chooses the sparse store above this many bytes of dense state (16 x 2**24 = 256 MiB)
AUTO_SPARSE_BYTES = 16 * 2**24


def _dense_zeros(n_features):
    """A dense ``(z, n)`` array of zeros.

    Up to ``CACHED_STATE_BYTES`` it is written here, as the C loop of ``../shared/bench``
    zeroes its state before it starts: the epoch then begins with the pages mapped and
    the state in the CPU cache rather than in memory (``benchmarks/RESULTS.md`` has the
    first epoch's time either way). Larger states come from ``np.zeros``:
    zeroed pages from the OS, so that columns never touched cost no RAM.
    """
    if 16 * n_features > CACHED_STATE_BYTES:
        return np.zeros((n_features, 2))
    zn = np.empty((n_features, 2))
    zn.fill(0.0)
    return zn


def _empty_table(capacity):
    table = np.zeros((capacity, 3))
    table.view(np.int64)[:, 0] = EMPTY
    return table


class FTRLState:
    """The ``(z, n)`` of ``n_models`` FTRL models over ``n_features`` columns.

    Parameters
    ----------
    n_models, n_features : int
        One model per one-vs-rest class (1 for regression and binary).
    sparse : bool
        Table of the columns seen (True) or one slot per column (False).
    bloom_size : int
        Counters of the counting Bloom filter of each model (0: no filter).
    seed : int
        Seed of the Poisson inclusion draws and of the Bloom filter's hashes.
    """

    def __init__(self, n_models, n_features, *, sparse, bloom_size=0, seed=0):
        self.n_features = int(n_features)
        self.sparse = bool(sparse)
        self.seed = int(seed)
        self.intercept_zn = np.zeros((n_models, 2))
        if self.sparse:
            self.zn = [_empty_table(_FIRST_CAPACITY) for _ in range(n_models)]
            self.table = [np.array([0, _FIRST_CAPACITY // 2], dtype=np.int64) for _ in range(n_models)]
        else:
            self.zn = [_dense_zeros(self.n_features) for _ in range(n_models)]
            self.table = [_NO_TABLE] * n_models
        self.bloom = [np.zeros(bloom_size, dtype=np.uint8) if bloom_size else _NO_BLOOM
                      for _ in range(n_models)]

    @property
    def n_models(self):
        return len(self.zn)

    def kernel_arrays(self, k):
        """The state arrays of model ``k`` in the order ``ftrl_epoch`` takes them."""
        return self.zn[k], self.table[k], self.bloom[k], self.intercept_zn[k]

    def keys(self, k):
        """The column held in each row of model ``k``'s table (``EMPTY`` if free)."""
        return self.zn[k].view(np.int64)[:, 0]

    def ensure_bloom(self, counters):
        """Give every model a Bloom filter (``inclusion='bloom'`` set after the state was built)."""
        self.bloom = [b if b.size else np.zeros(counters, dtype=np.uint8) for b in self.bloom]

    def grow(self, k, room):
        """Enlarge model ``k``'s table until ``room`` more columns fit under half load."""
        held, capacity = int(self.table[k][0]), self.zn[k].shape[0]
        while capacity // 2 - held < room:
            capacity *= 2
        bigger = _empty_table(capacity)
        rehash(self.zn[k], bigger)
        self.zn[k] = bigger
        self.table[k] = np.array([held, capacity // 2], dtype=np.int64)

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
        if self.sparse:
            arrays += self.table
        return int(sum(a.nbytes for a in arrays))

    def held(self, k):
        """``(columns, zn)``: the sorted columns model ``k`` holds and their ``(z, n)`` rows.

        Every column for the dense store; for the sparse store, the columns in its table.
        """
        if not self.sparse:
            return np.arange(self.n_features), self.zn[k]
        keys = self.keys(k)
        slots = np.flatnonzero(keys != EMPTY)
        slots = slots[np.argsort(keys[slots], kind="stable")]
        return keys[slots], np.ascontiguousarray(self.zn[k][slots, 1:])

    def columns_held(self, k):
        """Sorted columns with a slot in model ``k`` (every column in the dense store)."""
        return self.held(k)[0]

    def survivors(self, k, *, eta0, beta, l1, l2):
        """``(columns, weights)`` of model ``k``'s non-zero weights, columns sorted."""
        columns, zn = self.held(k)
        w = np.empty(zn.shape[0])
        lazy_weights(zn, w, eta0, beta, l1, l2)
        alive = w != 0.0
        return columns[alive], w[alive]

    def to_dense(self):
        """``(n_models, n_features, 2)`` array of every ``(z, n)``: for tests and small models."""
        out = np.zeros((self.n_models, self.n_features, 2))
        for k in range(self.n_models):
            columns, zn = self.held(k)
            out[k, columns] = zn
        return out
