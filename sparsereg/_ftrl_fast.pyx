# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""FTRL-Proximal over CSR rows (McMahan et al., KDD 2013, Algorithm 1): one model's epochs.

The caller (``sparsereg._epoch``) validates every array and owns every buffer:
nothing here allocates, checks a shape or raises (but for Ctrl-C, which Cython
raises from ``PyErr_CheckSignals``). One loop serves every loss; a loss is a pair
of small ``nogil`` functions picked by a ``Loss`` code. The codes (``Loss``,
``Inclusion``, ``Store``, ``Status``, ``Slot``, ...) and the per-row arithmetic are
declared once, in ``_ftrl_fast.pxd``, which the kernel's two other modules
(``_ftrl_grid``: grid and softmax; ``_ftrl_scores``: scoring) compile too; Python
reads the codes from this module.

State layout (``Slot``): one slot per coordinate, its numbers interleaved so that
one cache line fetch serves them all (the loop is bound by memory access). In the
dense store, row ``j`` of the state is ``(z_j, n_j)`` of column ``j``
(``DENSE_SLOT`` numbers). In the table store, row ``s`` is ``(column, z, n)``
(``TABLE_SLOT`` numbers), the column's int64 bits first (``EMPTY`` when free): an
open-addressing table with linear probing that holds only the columns seen, so
memory grows with the data and not with the hash space, and one cache line
usually serves a lookup and its update. The intercept is one more coordinate with
its own ``(z, n)`` in ``intercept_zn`` and no L1/L2.

Probabilistic feature inclusion (McMahan et al. 2013, section 4.1) decides, in the
table store, whether a column not yet in the table enters it: always, with
probability ``p`` on each occurrence (Poisson), or once a counting Bloom filter has
seen it ``n`` times. A column outside the table has weight 0 and no state.
"""

from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_GetPointer
from numpy.random cimport bitgen_t

EMPTY_KEY = EMPTY  # the key of a free table slot

def ftrl_epoch(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    Store store,
    double[:, ::1] zn,
    int64_t[::1] table,
    uint8_t[::1] bloom,
    double[::1] intercept_zn,
    double[:, ::1] scratch,
    int64_t[::1] slots,
    Hyper hp,
    int64_t t0,
    int64_t start_row,
    int64_t lanes_from,
    int64_t n_features,
):
    """Run Algorithm 1 over the rows ``order[start_row:]``, updating the state in place.

    Called only by ``sparsereg._epoch.run_epoch``, which documents the arguments.
    ``store`` says how ``zn`` is laid out: ``DENSE_STORE``, a ``DENSE_SLOT``-wide
    row per column of ``X``; ``TABLE_STORE``, a power-of-two number of
    ``TABLE_SLOT``-wide rows, with ``table = [columns held, most columns allowed]``
    and ``bloom`` the counters of Bloom inclusion (a power-of-two length, or empty).
    ``scratch`` and ``slots`` hold at least the longest row's worth of
    ``(w_i, sqrt(n_i))`` and table rows; ``scratch`` has ``CSR_SCRATCH_COLUMNS`` columns.
    ``n_features`` is X's width (the table store's bound on a column; the dense store's is
    its rows). On the dense store, rows of at least ``lanes_from`` non-zeros are computed in vector
    lanes (``_csr_rows.h``; the same bits). An empty ``order`` means every row in
    storage order; an empty ``sample_weight`` means every weight is 1. ``y`` holds the
    targets (regression, or classifier margins' signs in {-1, +1}), or with
    ``hp.one_vs_rest`` labels, the target being +1 where ``y == hp.positive`` and -1
    elsewhere. ``t0`` is the number of samples seen before ``order[0]``.

    Returns ``(sum of sample-weighted progressive losses, next row, status)``, the
    status ``DONE``, ``TABLE_FULL`` or ``X_CHANGED`` (nothing of the next row was applied).
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        bint in_table = store == TABLE_STORE
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, ahead, k, start, length, begin, end
        int64_t t = t0 + start_row
        # X's entries, and the state's rows (dense store): the bounds every row's extent and
        # column are checked against as the kernel reads them (another thread may write to X
        # after it was validated, while the GIL is let go)
        int64_t nnz = min(indices.shape[0], data.shape[0])
        uint64_t n_cols = <uint64_t>zn.shape[0]
        bint changed
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        uint64_t bloom_mask = <uint64_t>bloom.shape[0] - 1
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, w0, sq0, loss_sum = 0.0
        int status = DONE
        # raw pointers: the loop is bound by memory access, keep the address arithmetic minimal
        double *state = &zn[0, 0]
        uint8_t *counters = &bloom[0] if bloom.shape[0] > 0 else NULL
        double *slot
        double *buf = &scratch[0, 0]
        int64_t width = scratch.shape[0]
        bint in_lanes = False
        int64_t *where = &slots[0]
        const cython.floating *x
        const index_t *cols

    with nogil:
        for r in range(start_row, n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            if start < 0 or length < 0 or length > width or start > nnz - length:
                status = X_CHANGED
                break
            if in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, n_rows, nnz)
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                begin = indptr[ahead]
                end = indptr[ahead + 1]
                if not 0 <= begin <= end <= nnz:
                    end = begin  # (its own row checks it)
                if in_table:
                    for k in range(begin, end):
                        # a 24-byte table row may straddle two cache lines: fetch both ends
                        slot = state + TABLE_SLOT * (mix64(<uint64_t>indices[k]) & mask)
                        sr_prefetch(slot)
                        sr_prefetch(slot + TABLE_SLOT - 1)
                else:
                    for k in range(begin, end):
                        sr_prefetch(state + DENSE_SLOT * <int64_t>indices[k])

            x = &data[0] + start
            cols = &indices[0] + start
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t

            w0 = 0.0
            sq0 = 0.0
            if hp.fit_intercept:
                sq0 = sqrt(intercept_zn[1])
                w0 = -intercept_zn[0] / ((beta + sq0) * inv_eta0)
            if in_table:
                changed = False
                p = predict_sparse(state, mask, cols, x, length, buf, where, w0, inv_eta0, beta,
                                   l1, l2, <uint64_t>n_features, &changed)
                if changed:
                    status = X_CHANGED
                    break
            else:
                # the row's columns read once, checked, into where (sr_checked_columns): the
                # prediction reads and the update writes there
                changed = checked_columns(length, cols, n_cols, where)
                if changed:
                    status = X_CHANGED
                    break
                in_lanes = length >= lanes_from
                if in_lanes:
                    p = predict_dense_lanes(state, where, x, length, buf, width, w0, inv_eta0,
                                            beta, l1, l2)
                else:
                    p = predict_dense(state, where, x, length, buf, w0, inv_eta0, beta, l1, l2)

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is
            if in_table:
                update_sparse(state, mask, &table[0], &hp, counters, bloom_mask, cols, x, length,
                              buf, where, g, inv_eta0, t)
            elif in_lanes:
                update_dense_lanes(state, where, x, length, buf, width, g, inv_eta0)
            else:
                update_dense(state, where, x, length, buf, g, inv_eta0)
            if hp.fit_intercept:
                ftrl_update(&intercept_zn[0], g, sq0, w0, inv_eta0)
        else:
            r = n_rows
    return loss_sum, r, status



def rehash(const double[:, ::1] old_table, double[:, ::1] new_table):
    """Move every held column of a table store into a larger, empty one."""
    cdef:
        int64_t s, target, key
        uint64_t mask = <uint64_t>new_table.shape[0] - 1
    with nogil:
        for s in range(old_table.shape[0]):
            key = key_of(&old_table[s, 0])
            if key != EMPTY:
                target = probe(&new_table[0, 0], mask, key)
                (<int64_t *>&new_table[target, 0])[0] = key
                new_table[target, TABLE_ZN] = old_table[s, TABLE_ZN]
                new_table[target, TABLE_ZN + 1] = old_table[s, TABLE_ZN + 1]


cdef inline int64_t capacity_for(int64_t n_columns) noexcept nogil:
    """``_state._capacity_for``: the smallest power-of-two table holding ``n_columns`` under
    half load (at least 16 slots)."""
    cdef int64_t capacity = 16
    while capacity // 2 < n_columns:
        capacity *= 2
    return capacity


def table_growth(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const int64_t[::1] order,
    const double[:, ::1] table,
    int64_t[::1] seen,
    uint8_t[::1] counters,
    int inclusion,
    double inclusion_p,
    int inclusion_count,
    uint64_t seed,
    int64_t t0,
    int64_t room,
    int64_t n_features,
    int64_t[::1] progress,
):
    """The table a training call over the rows ``order[progress[0]:]`` would grow to, without
    training: ``ftrl_epoch``'s growth (before a row of ``length`` non-zeros, a table holding
    ``held`` columns that ``held + length`` do not fit under half load grows to the smallest
    one that ``held + room`` fit) as if every column that may enter did, on every row.

    ``table``: the store's rows (any width, the column's key first; read only); ``seen``: a
    power-of-two set of the columns that entered so far (``EMPTY`` when free); ``counters``:
    a copy of the Bloom filter (written), or empty; the inclusion numbers are ``Hyper``'s;
    ``progress = [next row, columns in seen, columns held, table's slots]``, updated. A column
    may enter where ``admit`` lets it at that round, whatever the row's gradient; with
    Bloom inclusion every occurrence of a column not held counts, as one that entered
    counts no more in training: the columns that enter training are among those that
    enter here, each no later, so that the table reached holds training's rows.

    Returns ``DONE``, ``TABLE_FULL`` (``seen`` has no room for the next row: give a larger
    one and call again) or ``X_CHANGED`` (also for a row longer than ``room``, which must be
    the longest row checked: a larger set would never be enough for it).
    """
    cdef:
        bint in_order = order.shape[0] == 0
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t nnz = min(indices.shape[0], data.shape[0])
        int64_t width = table.shape[1]
        uint64_t mask = <uint64_t>table.shape[0] - 1
        uint64_t seen_mask = <uint64_t>seen.shape[0] - 1
        uint64_t bloom_mask = <uint64_t>counters.shape[0] - 1
        uint8_t *bloom = &counters[0] if counters.shape[0] > 0 else NULL
        int64_t r, row, k, start, length, c, s
        int64_t n_seen = progress[1], held = progress[2], capacity = progress[3]
        int status = DONE
        Hyper hp
    hp.inclusion = inclusion
    hp.inclusion_p = inclusion_p
    hp.inclusion_count = inclusion_count
    hp.seed = seed
    with nogil:
        for r in range(progress[0], n_rows):
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            # (a row longer than room, the longest row checked, was written meanwhile by
            # another thread: the caller's set of room more columns would never fit it)
            if start < 0 or length < 0 or length > room or start > nnz - length:
                status = X_CHANGED
                break
            if n_seen + length > <int64_t>(seen.shape[0] // 2):
                status = TABLE_FULL
                break
            if held + length > capacity // 2:
                capacity = max(capacity_for(held + room), capacity)
            for k in range(start, start + length):
                c = <int64_t>indices[k]
                if c < 0 or c >= n_features:
                    status = X_CHANGED
                    break
                if data[k] == 0.0:
                    continue
                if key_of(&table[0, 0] + width * probe_wide(&table[0, 0], mask, width, c)) == c:
                    continue  # held before the call
                if not admit(&hp, bloom, bloom_mask, c, t0 + r + 1):
                    continue
                s = <int64_t>(mix64(<uint64_t>c) & seen_mask)
                while seen[s] != c and seen[s] != EMPTY:
                    s = <int64_t>((<uint64_t>s + 1) & seen_mask)
                if seen[s] == EMPTY:
                    seen[s] = c
                    n_seen += 1
                    held += 1
            if status != DONE:
                break
        else:
            r = n_rows
    progress[0], progress[1], progress[2], progress[3] = r, n_seen, held, capacity
    return status


def seen_rehash(const int64_t[::1] old, int64_t[::1] new):
    """Move ``table_growth``'s set of columns into a larger, empty one."""
    cdef:
        int64_t i, s
        uint64_t mask = <uint64_t>new.shape[0] - 1
    with nogil:
        for i in range(old.shape[0]):
            if old[i] != EMPTY:
                s = <int64_t>(mix64(<uint64_t>old[i]) & mask)
                while new[s] != EMPTY:
                    s = <int64_t>((<uint64_t>s + 1) & mask)
                new[s] = old[i]


def table_insert(double[:, ::1] table_zn, const int64_t[::1] columns, const double[::1] z,
                 const double[::1] n):
    """Put ``columns`` (none held yet, distinct) with their ``(z, n)`` into an empty-enough table."""
    cdef:
        int64_t k, s
        uint64_t mask = <uint64_t>table_zn.shape[0] - 1
        double *state = &table_zn[0, 0]
    with nogil:
        for k in range(columns.shape[0]):
            s = probe(state, mask, columns[k])
            (<int64_t *>(state + TABLE_SLOT * s))[0] = columns[k]
            state[TABLE_SLOT * s + TABLE_ZN] = z[k]
            state[TABLE_SLOT * s + TABLE_ZN + 1] = n[k]


def column_weights(const double[:, ::1] zn, bint in_table, int64_t z_col,
                   const int64_t[::1] columns, cython.floating[:] out, double eta0,
                   double beta, double l1, double l2):
    """Write the weight of each of ``columns`` into ``out``, as ``lazy_weights`` writes it,
    from that column's ``(z, n)`` at ``z_col`` and ``z_col + 1`` of its row of ``zn``: row
    ``column`` of a dense store, or the row holding it in a table (an open-addressing table
    of rows ``(column, ...)``); 0 for a column not held (or out of a dense store's range). The
    weights of a few columns, read from their state only (``out`` may be strided: a column
    of a ``(len(columns), n_models)`` array)."""
    cdef:
        int64_t i, s, width = zn.shape[1]
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        const double *rows = &zn[0, 0]
        const double *row
        double inv_eta0 = 1.0 / eta0
    with nogil:
        for i in range(columns.shape[0]):
            if in_table:
                s = probe_wide(rows, mask, width, columns[i])
                row = rows + width * s
                if key_of(row) == EMPTY:
                    out[i] = 0.0
                    continue
            elif <uint64_t>columns[i] < <uint64_t>zn.shape[0]:
                row = rows + width * columns[i]
            else:
                out[i] = 0.0
                continue
            out[i] = <cython.floating>lazy_weight(row[z_col], sqrt(row[z_col + 1]), inv_eta0,
                                                  beta, l1, l2)


cdef void fill_shuffled(int64_t *order, int64_t n, uint64_t seed) noexcept nogil:
    """``order[:n]`` = a permutation of ``0 .. n - 1``: Fisher-Yates, each swap drawn from
    SplitMix64 (``mix64`` of a Weyl sequence started at ``seed``)."""
    cdef int64_t i, j, tmp
    cdef uint64_t weyl = seed
    cdef double unit = 1.0 / 9007199254740992.0  # 2**-53
    for i in range(n):
        order[i] = i
    for i in range(n - 1, 0, -1):
        weyl += <uint64_t>0x9E3779B97F4A7C15
        j = <int64_t>(<double>(mix64(weyl) >> 11) * unit * <double>(i + 1))
        if j > i:  # (i + 1) * u rounded up to i + 1: u is 1 - 2**-53 at most
            j = i
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


def shuffle_rows_drawn(int64_t[::1] order, object capsule, object lock):
    """``shuffle_rows(order, seed)``, ``seed`` drawn from the bit generator whose ``capsule``
    and ``lock`` are given as ``RandomState.randint(2**63 - 1, dtype=np.int64)`` draws it: its
    ``next_uint64`` masked to 63 bits, drawn again if ``2**63 - 1`` (the same number, and the
    generator left where ``randint`` leaves it). Returns the seed."""
    cdef bitgen_t *bits = <bitgen_t *>PyCapsule_GetPointer(capsule, "BitGenerator")
    cdef uint64_t word
    cdef uint64_t largest = <uint64_t>0x7FFFFFFFFFFFFFFF
    with lock:
        word = bits.next_uint64(bits.state) & largest
        while word == largest:
            word = bits.next_uint64(bits.state) & largest
    with nogil:
        fill_shuffled(&order[0] if order.shape[0] else NULL, order.shape[0], word)
    return word


def shuffle_rows(int64_t[::1] order, uint64_t seed):
    """Fill ``order`` with a permutation of ``0 .. len(order) - 1`` (``fill_shuffled``). Half
    the cost of ``RandomState.permutation``, whose Mersenne Twister costs more than a small
    epoch."""
    with nogil:
        fill_shuffled(&order[0] if order.shape[0] else NULL, order.shape[0], seed)



def lazy_weights(
    const double[:, ::1] zn,
    cython.floating[::1] out,
    double eta0,
    double beta,
    double l1,
    double l2,
):
    """Write the weight of each ``(z, n)`` row of ``zn`` (its last two numbers) into ``out``.

    Returns the non-zero count.
    """
    cdef:
        int64_t j, n_slots = zn.shape[0], nnz = 0
        int z_col = zn.shape[1] - 2
        double inv_eta0 = 1.0 / eta0
        double w
    with nogil:
        for j in range(n_slots):
            w = lazy_weight(zn[j, z_col], sqrt(zn[j, z_col + 1]), inv_eta0, beta, l1, l2)
            out[j] = <cython.floating>w
            nnz += w != 0.0
    return nnz


def count_nonzero_weights(const double[:, ::1] zn, int64_t z_col, const int64_t[::1] rows,
                          bint all_rows, double eta0, double beta, double l1, double l2,
                          bint single):
    """Number of rows of ``zn`` (every row with ``all_rows``, else those in ``rows``, each
    in range) whose weight, from the ``(z, n)`` at columns ``z_col`` and ``z_col + 1``, is
    not 0 as ``lazy_weights`` writes it into float64 (float32 with ``single``), without
    writing them: ``coef_``'s count. One pass counts ``|z| > l1``; a second computes the
    weights only if one could have underflowed to 0 (``none_underflow``)."""
    cdef:
        int64_t j, r, nnz = 0
        int64_t n_rows = zn.shape[0] if all_rows else rows.shape[0]
        double inv_eta0 = 1.0 / eta0
        double excess, n, least_excess = INFINITY, largest_n = 0.0
    with nogil:
        # without a branch (half of the rows may count, in any order): the least excess over
        # the counted rows, the largest n over all (a larger bound is still a bound)
        for j in range(n_rows):
            r = j if all_rows else rows[j]
            excess = fabs(zn[r, z_col]) - l1  # > 0 exactly when |z| > l1 (gradual underflow)
            n = zn[r, z_col + 1]
            nnz += excess > 0.0
            excess = excess if excess > 0.0 else INFINITY
            least_excess = excess if excess < least_excess else least_excess
            largest_n = n if n > largest_n else largest_n
        if nnz and not none_underflow(least_excess, largest_n, inv_eta0, beta, l2, single):
            nnz = 0
            for j in range(n_rows):
                r = j if all_rows else rows[j]
                nnz += weight_survives(zn[r, z_col], zn[r, z_col + 1], inv_eta0, beta, l1, l2,
                                       single)
    return nnz



def distinct_columns(const index_t[::1] indices, int64_t n_cols, uint64_t[::1] bitmap,
                     int64_t[::1] out):
    """Write the distinct values of ``indices`` to ``out`` in increasing order and return
    their number. ``bitmap`` is zeros, with a bit per column of the ``n_cols``; ``out`` has
    room for every distinct value. -1 where an index is not below ``n_cols``, or there are
    more distinct values than room in ``out`` (another thread wrote to the indices after
    they were checked: nothing out of bounds is read or written)."""
    cdef int64_t n
    if n_cols > 64 * bitmap.shape[0]:
        raise ValueError("the bitmap needs a bit per column")  # a backstop
    with nogil:
        n = _distinct(&indices[0] if indices.shape[0] else NULL, indices.shape[0],
                      <uint64_t>max(n_cols, 0), &bitmap[0] if bitmap.shape[0] else NULL,
                      bitmap.shape[0], &out[0] if out.shape[0] else NULL, out.shape[0])
    return n


cdef int64_t _distinct(const index_t *indices, int64_t nnz, uint64_t n_cols, uint64_t *bitmap,
                       int64_t n_words, int64_t *out, int64_t room) noexcept nogil:
    cdef int64_t k, word, c, n = 0
    cdef uint64_t bits
    for k in range(nnz):
        c = indices[k]  # (read once: checked, then used)
        if <uint64_t>c >= n_cols:
            return -1
        bitmap[c >> 6] |= (<uint64_t>1) << (c & 63)
    for word in range(n_words):
        bits = bitmap[word]
        while bits:
            if n == room:
                return -1
            out[n] = 64 * word + sr_lowest_bit(bits)
            n += 1
            bits &= bits - 1
    return n



# ----------------------------------------------------------------------------------------
# One model trained by several threads at once (``n_threads``, Hogwild!): ``ftrl_epoch``'s
# rows on the dense store, without locks. A row computed in vector lanes writes each
# column's update from the numbers read for its prediction, over whatever other threads
# wrote since (their update of that column is then lost); a shorter row reads and writes
# each column in one short step, losing only an update that lands within it (Hogwild!'s
# races, documented as such).
#
# The intercept, in every row, is not in the shared state: each thread keeps its own copy,
# ``own``, and every ``refresh_rows`` rows publishes what it changed and takes in what the
# others published (``refresh_own``), without locks: thread t alone writes ``published[t]``,
# the sum of its changes since the epoch began; ``combine_own`` gives the numbers after.

cdef inline bint same_bits(double a, double b) noexcept nogil:
    return (<uint64_t *>&a)[0] == (<uint64_t *>&b)[0]


cdef void refresh_own(double *own, double *seen, double *taken, double *published,
                      int64_t n_numbers, int64_t stride, int64_t n_threads,
                      int64_t me) noexcept nogil:
    """Publish this thread's change to its copies since the last refresh (``own - seen``) in
    ``published[me]``, and add to its copies what the other threads published since
    (``taken``: their sum as last added). A copy nobody else changed is not rewritten:
    a number one thread alone changes stays that thread's to the bit."""
    cdef int64_t i, u
    cdef double d, others
    cdef double *mine = published + me * stride
    for i in range(n_numbers):
        d = own[i] - seen[i]
        if d != 0.0:
            mine[i] += d
        others = 0.0
        for u in range(n_threads):
            if u != me:
                others = others + published[u * stride + i]
        if not same_bits(others, taken[i]):
            own[i] += others - taken[i]
            taken[i] = others
        seen[i] = own[i]


def combine_own(const double[:, ::1] start, const double[:, :, :] published,
                const double[:, :, ::1] owns, double[:, ::1] out):
    """The shared numbers of the threads' own copies after the threads: ``start`` (their
    numbers before) plus every thread's published change; a number that one thread alone
    changed is that thread's copy, to the bit."""
    cdef int64_t s, j, u, n_threads = published.shape[0], changed_by
    cdef double total
    with nogil:
        for s in range(start.shape[0]):
            for j in range(2):
                total = start[s, j]
                changed_by = -1
                for u in range(n_threads):
                    if published[u, s, j] != 0.0:
                        changed_by = u if changed_by == -1 else -2
                        total = total + published[u, s, j]
                if changed_by >= 0:
                    total = owns[changed_by, s, j]
                out[s, j] = total


cdef extern from "_hot_columns.h" nogil:
    int SR_HOT_SLOT_BITS  # the table's slots, as the C reads them
    int64_t SR_HOT_LOW  # a column's slot: its low SR_HOT_SLOT_BITS bits
    int64_t sr_hot_resolved(int64_t c, int32_t entry, int64_t hot_offset)


cdef inline bint resolve_row(const index_t *cols, int64_t length, const int32_t *hot_table,
                             int64_t hot_offset, int64_t *out, double *state,
                             uint64_t n_cols) noexcept nogil:
    """A row's rows of the state as seen from ``state`` (``_hot_columns.h``): a held
    column's is its copy's, ``hot_offset`` rows on, any other its own; each prefetched.
    (The copies are another array: ``state + DENSE_SLOT * row`` then points outside ``zn``,
    which C leaves undefined but a flat address space, as on every platform the package
    builds for, computes as meant.) Returns whether every column was below ``n_cols``
    (another thread may have written to X since it was checked: a column out of bounds is
    resolved as column 0, never used)."""
    cdef int64_t k, c, r
    cdef bint changed = False
    # (each prefetched as it is resolved: a loop resolving the row, then one prefetching, or
    # the look-up as a function of the header, made two threads' fits 3-5 % slower here)
    for k in range(length):
        c = <int64_t>cols[k]
        if <uint64_t>c >= n_cols:
            changed = True
            c = 0
        r = sr_hot_resolved(c, hot_table[c & SR_HOT_LOW], hot_offset)
        out[k] = r
        sr_prefetch(state + DENSE_SLOT * r)
    return not changed


cdef void refresh_hot(double *state, const int64_t *hot_columns, int64_t n_hot,
                      double *hot_own, double *hot_seen) noexcept nogil:
    """Add this thread's changes to its hot copies since the last refresh to the shared
    state (``sr_add_change``: none is lost, and a number nobody else changed is written as
    this thread holds it, to the bit), and take the shared numbers, the other threads'
    changes in them, as the copies (copy ``i`` is column ``hot_columns[i]``'s)."""
    cdef int64_t i, j
    cdef double *shared
    cdef double *o
    cdef double *s
    for i in range(n_hot):
        if i + 8 < n_hot:  # each column's line is likely the other thread's: ask early
            sr_prefetch(state + DENSE_SLOT * hot_columns[i + 8])
        shared = state + DENSE_SLOT * hot_columns[i]
        o = hot_own + DENSE_SLOT * i
        s = hot_seen + DENSE_SLOT * i
        for j in range(DENSE_SLOT):
            if same_bits(o[j], s[j]):  # unchanged here: take the other threads' changes
                o[j] = shared[j]
            else:
                o[j] = sr_add_change(&shared[j], s[j], o[j])
            s[j] = o[j]


def ftrl_epoch_shared(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    int64_t begin,
    int64_t end,
    double[:, ::1] zn,
    double[:, ::1] own,
    double[:, ::1] seen,
    double[:, ::1] taken,
    double[:, :, ::1] published,
    int64_t me,
    int64_t refresh_rows,
    int64_t hot_refresh_rows,
    const int32_t[::1] hot_table,
    const int64_t[::1] hot_columns,
    double[:, ::1] hot_own,
    double[:, ::1] hot_seen,
    int64_t hot_offset,
    int64_t[:, ::1] ring,
    double[:, ::1] scratch,
    int64_t lanes_from,
    Hyper hp,
    int64_t t0,
):
    """``ftrl_epoch`` over positions ``begin`` to ``end - 1`` of ``order`` (empty: the rows
    in order), ``t0`` samples seen before them, of a dense store that other threads
    running this function update at the same time, without locks (the caller,
    ``sparsereg._hogwild.run_epoch_threads``, documents the scheme). ``own``, ``seen`` and
    ``taken`` are this thread's (``published[me]`` too), one row: the intercept's
    ``(z, n)``; ``refresh_own`` runs every ``refresh_rows`` rows and after the last,
    ``refresh_hot`` every ``hot_refresh_rows`` rows and after the last. The hot columns:
    copy ``i`` is column ``hot_columns[i]``'s; ``hot_table`` (``2**SLOT_BITS`` slots, ``-1``
    where empty) holds column ``c`` at slot ``c % 2**SLOT_BITS`` as ``c`` with its copy's
    number in the low ``SLOT_BITS`` bits (``_hot_columns.h``), or not at all; this thread
    trains its copies in ``hot_own``,
    ``hot_offset`` rows after ``zn[0]``, and ``refresh_hot`` exchanges them with the shared
    state.
    ``ring`` (``PREFETCH_ROWS + 1`` rows of the longest row's length) holds the resolved
    slots of the rows ahead. ``scratch`` is ``ftrl_epoch``'s (rows of ``lanes_from``
    non-zeros or more are computed in vector lanes as there). Returns the sum of the
    sample-weighted progressive losses. Ctrl-C is checked as in ``ftrl_epoch`` (the caller
    asks for it in the main thread only); this thread's changes are published first.
    """
    cdef:
        bint weighted = sample_weight.shape[0] > 0
        bint in_order = order.shape[0] == 0
        int64_t r, row, ahead, k, start, length, now = 0, later
        int64_t t = t0
        int64_t n_numbers = 2 * own.shape[0]
        int64_t stride = 2 * published.shape[1]
        int64_t until_refresh = refresh_rows
        int64_t until_hot = hot_refresh_rows
        int64_t n_hot = hot_columns.shape[0]
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, w0, sq0, loss_sum = 0.0
        double *state = &zn[0, 0]
        double *intercept = &own[0, 0]
        double *buf = &scratch[0, 0]
        double *mine = &hot_own[0, 0]
        double *mine_seen = &hot_seen[0, 0]
        const int32_t *table = &hot_table[0]
        const int64_t *hot = &hot_columns[0] if n_hot else NULL
        int64_t *slots
        int64_t width = scratch.shape[0]
        int64_t ring_rows = ring.shape[0]
        bint in_lanes
        const cython.floating *x
        # (ftrl_epoch's checks, another thread may write to X: each ring row's length as
        # resolved, -1 where its extent or a column was out of bounds; a row is trained only
        # with the length it was resolved with)
        int64_t nnz = min(indices.shape[0], data.shape[0])
        uint64_t n_cols = <uint64_t>zn.shape[0]
        int64_t resolved[RING_ROWS_MOST]
        int64_t longest
        int status = DONE

    if hot_table.shape[0] != 1 << SR_HOT_SLOT_BITS:  # a backstop (HotTable.SLOT_BITS made it)
        raise ValueError(f"the table of hot columns needs {1 << SR_HOT_SLOT_BITS} slots")
    if hot_own.shape[0] < hot_columns.shape[0] or hot_seen.shape[0] < hot_columns.shape[0]:
        raise ValueError("every hot column needs a row of copies")  # a backstop
    if not PREFETCH_ROWS < ring_rows <= RING_ROWS_MOST:
        raise ValueError(f"the ring holds {PREFETCH_ROWS + 1} to {RING_ROWS_MOST} rows")  # a backstop
    longest = min(width, ring.shape[1])  # (a row longer than either is X changed)
    with nogil:
        for r in range(begin, min(begin + PREFETCH_ROWS, end)):  # the first rows' slots
            row = r if in_order else order[r]
            resolved[r - begin] = resolve_checked(&indices[0], indptr[row], indptr[row + 1],
                                                  nnz, longest, table, hot_offset,
                                                  &ring[r - begin, 0], state, n_cols)
        for r in range(begin, end):
            if hp.check_signals and (r - begin) % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                # both exchanges first, then the check: the counters start again from here
                until_refresh = refresh_rows
                until_hot = hot_refresh_rows
                with gil:
                    refresh_own(intercept, &seen[0, 0], &taken[0, 0], &published[0, 0, 0],
                                n_numbers, stride, published.shape[0], me)
                    refresh_hot(state, hot, n_hot, mine, mine_seen)
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            else:
                until_refresh -= 1
                if until_refresh == 0:
                    until_refresh = refresh_rows
                    refresh_own(intercept, &seen[0, 0], &taken[0, 0], &published[0, 0, 0],
                                n_numbers, stride, published.shape[0], me)
                until_hot -= 1
                if until_hot == 0:
                    until_hot = hot_refresh_rows
                    refresh_hot(state, hot, n_hot, mine, mine_seen)
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            later = now + PREFETCH_ROWS
            if later >= ring_rows:
                later -= ring_rows
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, end, nnz)
            if r + PREFETCH_ROWS < end:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                resolved[later] = resolve_checked(&indices[0], indptr[ahead], indptr[ahead + 1],
                                                  nnz, longest, table, hot_offset,
                                                  &ring[later, 0], state, n_cols)
            # (resolved -1: a bad extent or column, never a length, though a length read
            # now can be -1 too)
            if resolved[now] < 0 or length != resolved[now] or start < 0 or start > nnz - length:
                status = X_CHANGED
                break
            slots = &ring[now, 0]
            now += 1
            if now == ring_rows:
                now = 0
            x = &data[0] + start
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t
            w0 = 0.0
            sq0 = 0.0
            if hp.fit_intercept:
                sq0 = sqrt(intercept[1])
                w0 = -intercept[0] / ((beta + sq0) * inv_eta0)
            in_lanes = length >= lanes_from
            if in_lanes:
                p = predict_dense_lanes(state, slots, x, length, buf, width, w0, inv_eta0, beta,
                                        l1, l2)
            else:
                p = predict_dense(state, slots, x, length, buf, w0, inv_eta0, beta, l1, l2)
            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue
            if in_lanes:
                update_dense_lanes(state, slots, x, length, buf, width, g, inv_eta0)
            else:
                update_dense(state, slots, x, length, buf, g, inv_eta0)
            if hp.fit_intercept:
                ftrl_update(intercept, g, sq0, w0, inv_eta0)
        refresh_own(intercept, &seen[0, 0], &taken[0, 0], &published[0, 0, 0], n_numbers,
                    stride, published.shape[0], me)
        refresh_hot(state, hot, n_hot, mine, mine_seen)
    return loss_sum, status


cdef inline int64_t resolve_checked(const index_t *indices, int64_t start, int64_t stop,
                                    int64_t nnz, int64_t width, const int32_t *hot_table,
                                    int64_t hot_offset, int64_t *out,
                                    double *state, uint64_t n_cols) noexcept nogil:
    """``resolve_row`` of the entries ``start:stop`` of X: their number, or -1 where the
    extent lies outside X's ``nnz`` entries or the ring row's ``width``, or a column outside
    the state."""
    if not 0 <= start <= stop <= nnz or stop - start > width:
        return -1
    if not resolve_row(indices + start, stop - start, hot_table, hot_offset, out, state,
                       n_cols):
        return -1
    return stop - start



# ----------------------------------------------------------------------------------------
# A narrow dense store (few columns, e.g. 8 numeric features): ``ftrl_epoch``'s dense path
# with sqrt(n_j) kept from the update that wrote n_j to the next prediction that reads it.
# The loop is then bound by the dependency of each row on the previous row's update of the
# same few slots and by the square root and division unit, not by memory: this drops one of
# the two square roots per coordinate (and the intercept's), and the prefetching of the
# state (a shuffled epoch still fetches X's rows ahead: they are not in the cache). Same
# arithmetic in the same order: sqrt of the same n_j is the same number, to the bit.

cdef inline double update_keep_sqrt(double *slot, double gi, double sqrt_n, double w,
                                    double inv_eta0) noexcept nogil:
    """``ftrl_update``, returning the new ``sqrt(n_i)``."""
    cdef double n_new = slot[1] + gi * gi
    cdef double sqrt_new = sqrt(n_new)
    slot[0] += gi - (sqrt_new - sqrt_n) * inv_eta0 * w  # sigma_i * w_i, as ftrl_update
    slot[1] = n_new
    return sqrt_new


def ftrl_epoch_narrow(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    double[:, ::1] zn,
    double[::1] intercept_zn,
    double[::1] sqrt_n,
    double[::1] scratch,
    Hyper hp,
    int64_t t0,
):
    """``ftrl_epoch`` on a dense store (``DENSE_STORE``), keeping ``sqrt(n_j)`` of every
    column in ``sqrt_n`` (one entry per column, overwritten) between its update and its
    next prediction; ``scratch`` holds at least the longest row's worth of ``w_i``. The
    caller, ``sparsereg._epoch.run_epoch``, picks it for few columns. Returns the sum of
    the sample-weighted progressive losses and the status, ``DONE`` or ``X_CHANGED`` (as
    ``ftrl_epoch``'s; a column found out of bounds in an update leaves that row partly
    applied, never written out of bounds); the state is what ``ftrl_epoch`` leaves, to
    the bit.
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, k, j, start, length
        int64_t t = t0
        int64_t nnz = min(indices.shape[0], data.shape[0]), width = scratch.shape[0]
        uint64_t n_cols = <uint64_t>zn.shape[0]
        int status = DONE
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, w, w0, sq0, loss_sum = 0.0
        double *state = &zn[0, 0]
        double *roots = &sqrt_n[0]
        double *buf = &scratch[0]
        const cython.floating *x
        const index_t *cols

    with nogil:
        for j in range(zn.shape[0]):
            roots[j] = sqrt(state[DENSE_SLOT * j + 1])
        sq0 = sqrt(intercept_zn[1]) if hp.fit_intercept else 0.0
        for r in range(n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            row = r if in_order else order[r]
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, n_rows, nnz)
            start = indptr[row]
            length = indptr[row + 1] - start
            # (ftrl_epoch's checks: another thread may write to X while the GIL is let go)
            if start < 0 or length < 0 or length > width or start > nnz - length:
                status = X_CHANGED
                break
            x = &data[0] + start
            cols = &indices[0] + start
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t

            w0 = 0.0
            if hp.fit_intercept:
                w0 = -intercept_zn[0] / ((beta + sq0) * inv_eta0)
            p = w0
            for k in range(length):
                j = <int64_t>cols[k]
                if <uint64_t>j >= n_cols:
                    status = X_CHANGED
                    break
                w = lazy_weight(state[DENSE_SLOT * j], roots[j], inv_eta0, beta, l1, l2)
                buf[k] = w
                p += w * x[k]
            if status != DONE:
                break

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is
            for k in range(length):
                j = <int64_t>cols[k]
                if <uint64_t>j >= n_cols:  # (read again: changed since the prediction)
                    status = X_CHANGED
                    break
                roots[j] = update_keep_sqrt(state + DENSE_SLOT * j, g * x[k], roots[j], buf[k],
                                            inv_eta0)
            if status != DONE:
                break
            if hp.fit_intercept:
                sq0 = update_keep_sqrt(&intercept_zn[0], g, sq0, w0, inv_eta0)
    return loss_sum, status



cdef extern from *:
    """
    static inline void sr_prefetch_read(const void *p) {
    #if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 0, 3);
    #endif
    }
    """
    void sr_prefetch_read(const void *p) noexcept nogil



cdef extern from "_dense_rows.h" nogil:
    void sr_dense_row_step(int64_t n, int update, double g, const double *xp, const double *wp,
                           const double *x, double inv_eta0, double beta, double l1, double l2,
                           double *z, double *nsum, double *roots, double *w, double *wx)
    int sr_dense_lanes_pay()



cdef inline void copy_row(const cython.floating[:, :] X, int64_t row, double *x) noexcept nogil:
    cdef int64_t j
    for j in range(X.shape[1]):
        x[j] = X[row, j]


cdef double dense_epoch_lanes(
    const cython.floating[:, :] X,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    double[:, ::1] zn,
    double[::1] intercept_zn,
    double[:, ::1] scratch,
    Hyper hp,
    int64_t t0,
):
    """``ftrl_epoch_dense`` with a row's columns in vector lanes: ``sr_dense_row_step``
    (``_dense_rows.h``) on a copy of the state in ``scratch``, written back to ``zn`` at
    the end (and before each check for Ctrl-C); the margin is summed here, in column order.
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        int64_t n_rows = X.shape[0] if in_order else order.shape[0]
        int64_t n_cols = X.shape[1]
        int64_t r, row, j, ahead, after
        int64_t t = t0
        Py_ssize_t stride = X.strides[1] if X.strides[1] >= 0 else -X.strides[1]
        # a row's entries one cache line apart (F order) or 64 bytes' worth per line (C order)
        int64_t col_step = 1 if stride == 0 or stride >= 64 else 64 // stride
        int64_t n_lines = (n_cols + col_step - 1) // col_step
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, w0, sq0, loss_sum = 0.0
        double *state = &zn[0, 0]
        double *z = &scratch[0, 0]
        double *nsum = &scratch[1, 0]
        double *roots = &scratch[2, 0]
        double *w = &scratch[3, 0]
        double *w_next = &scratch[4, 0]
        double *x = &scratch[5, 0]
        double *x_next = &scratch[6, 0]
        double *wx = &scratch[7, 0]
        double *swap

    with nogil:
        for j in range(n_cols):
            z[j] = state[DENSE_SLOT * j]
            nsum[j] = state[DENSE_SLOT * j + 1]
            roots[j] = sqrt(nsum[j])
        sq0 = sqrt(intercept_zn[1]) if hp.fit_intercept else 0.0
        if n_rows > 0:  # the first row's weights; each step then updates and weighs the next
            copy_row(X, 0 if in_order else order[0], x)
            if hp.mean_scaled:
                l1 = hp.l1 * (t + 1)
                l2 = hp.l2 * (t + 1)
            sr_dense_row_step(n_cols, 0, 0.0, x, w_next, x, inv_eta0, beta, l1, l2, z, nsum,
                              roots, w, wx)
        for r in range(n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                for j in range(n_cols):
                    state[DENSE_SLOT * j] = z[j]
                    state[DENSE_SLOT * j + 1] = nsum[j]
                with gil:
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            row = r if in_order else order[r]
            if r + PREFETCH_ROWS < n_rows:  # the row's entries, one cache line each in F order
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                for j in range(n_lines):
                    sr_prefetch_read(&X[ahead, j * col_step])
            t += 1

            w0 = 0.0
            if hp.fit_intercept:
                w0 = -intercept_zn[0] / ((beta + sq0) * inv_eta0)
            p = w0
            for j in range(n_cols):  # -0.0 where x_j is 0: p + -0.0 is p
                p += wx[j]

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            # g = 0: g_i = 0 and sigma_i = 0, the update would leave (z, n) as is
            if r + 1 < n_rows:
                after = r + 1 if in_order else order[r + 1]
                copy_row(X, after, x_next)
                if hp.mean_scaled:
                    l1 = hp.l1 * (t + 1)
                    l2 = hp.l2 * (t + 1)
                sr_dense_row_step(n_cols, g != 0.0, g, x, w, x_next, inv_eta0, beta, l1, l2, z,
                                  nsum, roots, w_next, wx)
            elif g != 0.0:  # the last row: its update only (the weights are not read)
                sr_dense_row_step(n_cols, 1, g, x, w, x, inv_eta0, beta, l1, l2, z, nsum, roots,
                                  w_next, wx)
            swap = x
            x = x_next
            x_next = swap
            swap = w
            w = w_next
            w_next = swap
            if g != 0.0 and hp.fit_intercept:
                sq0 = update_keep_sqrt(&intercept_zn[0], g, sq0, w0, inv_eta0)
        for j in range(n_cols):
            state[DENSE_SLOT * j] = z[j]
            state[DENSE_SLOT * j + 1] = nsum[j]
    return loss_sum


cdef double dense_epoch_scalar(
    const cython.floating[:, :] X,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    double[:, ::1] zn,
    double[::1] intercept_zn,
    double[:, ::1] scratch,
    Hyper hp,
    int64_t t0,
):
    """``ftrl_epoch_dense`` one column at a time (``sqrt(n_j)`` in ``scratch[0]``, the
    weights in ``scratch[1]``), where vectors would not pay."""
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        int64_t n_rows = X.shape[0] if in_order else order.shape[0]
        int64_t n_cols = X.shape[1]
        int64_t r, row, j, ahead
        int64_t t = t0
        Py_ssize_t stride = X.strides[1] if X.strides[1] >= 0 else -X.strides[1]
        # a row's entries one cache line apart (F order) or 64 bytes' worth per line (C order)
        int64_t col_step = 1 if stride == 0 or stride >= 64 else 64 // stride
        int64_t n_lines = (n_cols + col_step - 1) // col_step
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, w, xj, w0, sq0, loss_sum = 0.0
        double *state = &zn[0, 0]
        double *roots = &scratch[0, 0]
        double *buf = &scratch[1, 0]

    with nogil:
        for j in range(n_cols):
            roots[j] = sqrt(state[DENSE_SLOT * j + 1])
        sq0 = sqrt(intercept_zn[1]) if hp.fit_intercept else 0.0
        for r in range(n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            row = r if in_order else order[r]
            if r + PREFETCH_ROWS < n_rows:  # the row's entries, one cache line each in F order
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                for j in range(n_lines):
                    sr_prefetch_read(&X[ahead, j * col_step])
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t

            w0 = 0.0
            if hp.fit_intercept:
                w0 = -intercept_zn[0] / ((beta + sq0) * inv_eta0)
            p = w0
            for j in range(n_cols):
                xj = X[row, j]
                if xj != 0:
                    w = lazy_weight(state[DENSE_SLOT * j], roots[j], inv_eta0, beta, l1, l2)
                    buf[j] = w
                    p += w * xj

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is
            for j in range(n_cols):
                xj = X[row, j]
                if xj != 0:
                    roots[j] = update_keep_sqrt(state + DENSE_SLOT * j, g * xj, roots[j], buf[j],
                                                inv_eta0)
            if hp.fit_intercept:
                sq0 = update_keep_sqrt(&intercept_zn[0], g, sq0, w0, inv_eta0)
    return loss_sum


def ftrl_epoch_dense(
    const cython.floating[:, :] X,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    double[:, ::1] zn,
    double[::1] intercept_zn,
    double[:, ::1] scratch,
    Hyper hp,
    int64_t t0,
    bint lanes,
):
    """``ftrl_epoch_narrow`` reading the rows of a dense 2-D array ``X`` (any strides) as
    they are, without a CSR copy: the entries that are 0 are skipped, as CSR leaves them
    out, and the others are taken in column order, as CSR stores them; the state is what
    ``ftrl_epoch`` leaves on ``scipy.sparse.csr_matrix(X)``, to the bit. ``zn`` has a row
    per column of ``X``; ``scratch`` has ``DENSE_SCRATCH_ROWS`` rows of at least as many
    entries. ``lanes``: compute a row's columns in vector lanes (``dense_lanes_pay()``
    says whether that is faster here), else one at a time; the same bits either way.
    Returns the sum of the sample-weighted progressive losses.
    """
    if lanes:
        return dense_epoch_lanes(X, y, sample_weight, order, zn, intercept_zn, scratch, hp, t0)
    return dense_epoch_scalar(X, y, sample_weight, order, zn, intercept_zn, scratch, hp, t0)


def dense_lanes_pay():
    """Whether ``sr_dense_row_step`` runs here as vectors of at least 4 doubles (AVX2):
    narrower, it computes more than the scalar loop and is slower."""
    return bool(sr_dense_lanes_pay())
