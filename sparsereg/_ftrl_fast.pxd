# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False

# The kernel's shared declarations, cimported by its three modules: ``_ftrl_fast`` (one
# model's epochs: sparse, dense, narrow, threads), ``_ftrl_grid`` (a column's models side by
# side: the grid and softmax epochs) and ``_ftrl_scores`` (scoring rows and the walks that
# check them). They are compiled apart, side by side (setup.py); what they share is here:
# the codes (the ``cpdef enum``s, which Python reads from ``sparsereg._ftrl_fast``), the
# hyper-parameters' struct, the fused types, and Algorithm 1's per-row arithmetic as inline
# functions, so that each module compiles the same arithmetic into its own loops.

from libc.math cimport INFINITY, copysign, exp, fabs, log, sqrt
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint64_t

cimport cython

ctypedef fused index_t:
    int32_t
    int64_t

# the column numbers the dense rows' helpers read: a CSR's (index_t), or the int64 slots
# the threads' kernel resolves ahead (a distinct fused type, so that both can meet in one call)
ctypedef fused col_t:
    int32_t
    int64_t

ctypedef fused weight_t:
    float
    double

cdef extern from *:
    """
    static inline void sr_prefetch(const void *p) {
    #if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 1, 3);
    #endif
    }
    /* Ask for the cache lines of [begin, end) to be read: a shuffled epoch's rows ahead, whose
       entries lie anywhere in X (the hardware prefetcher follows only runs of lines). */
    static inline void sr_prefetch_span(const void *begin, const void *end) {
    #if defined(__GNUC__) || defined(__clang__)
        const char *p = (const char *)((uintptr_t)begin & ~(uintptr_t)63);
        for (; p < (const char *)end; p += 64)
            __builtin_prefetch(p, 0, 3);
    #endif
    }
    /* Read the byte at p, for its cache line: a load the CPU carries out, where a prefetch of
       the line was measured to be of no use (the place of a shuffled row in indptr) */
    static inline void sr_touch(const void *p) {
        (void)*(volatile const char *)p;
    }
    static inline int sr_lowest_bit(uint64_t bits) {  /* bits != 0 */
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_ctzll(bits);
    #else
        int i = 0;
        while (!(bits & 1)) { bits >>= 1; i++; }
        return i;
    #endif
    }
    /* Make *shared hold this thread's change from seen to own: own itself if *shared still
     * holds seen's bits (nobody else changed it), else *shared plus own - seen; atomic, so
     * that two threads adding at once both count. Returns the number written. */
    static inline double sr_add_change(double *shared, double seen, double own) {
    #if defined(__GNUC__) || defined(__clang__)
        double now = seen, next = own;
        if (__atomic_compare_exchange(shared, &now, &next, 0, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED))
            return own;
        do {
            next = now + (own - seen);
        } while (!__atomic_compare_exchange(shared, &now, &next, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED));
        return next;
    #else
    #error "sr_add_change needs the __atomic builtins of GCC or Clang"
    #endif
    }
    """
    void sr_prefetch(const void *p) noexcept nogil
    void sr_prefetch_span(const void *begin, const void *end) noexcept nogil
    void sr_touch(const void *p) noexcept nogil
    int sr_lowest_bit(uint64_t bits) noexcept nogil
    double sr_add_change(double *shared, double seen, double own) noexcept nogil

cpdef enum Loss:
    SQUARED_ERROR = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    SQUARED_EPSILON_INSENSITIVE = 3
    LOG_LOSS = 4
    HINGE = 5
    MODIFIED_HUBER = 6
    SQUARED_HINGE = 7
    PERCEPTRON = 8

cpdef enum Inclusion:
    INCLUDE_ALL = 0
    INCLUDE_POISSON = 1
    INCLUDE_BLOOM = 2

cpdef enum Store:
    DENSE_STORE = 0  # one slot per column
    TABLE_STORE = 1  # a hash table of the columns held

cpdef enum Ahead:
    PREFETCH_ROWS = 2  # rows ahead whose state is prefetched (and resolved: ftrl_epoch_shared)
    RING_ROWS_MOST = 16  # ftrl_epoch_shared's ring of rows resolved ahead holds at most these
    # in a shuffled epoch, rows ahead whose entries of X (and target, weight) are prefetched,
    # so that they are in the cache when the state of their columns is asked for, and whose
    # place in indptr is read (a demand load) before that
    ENTRIES_AHEAD = 16
    INDPTR_AHEAD = 32

cpdef enum HotTable:  # ftrl_epoch_shared's table of the columns each thread holds
    # 4,096 int32 slots (16 KiB): column c at slot c & 4095 as c with its copy's number in the
    # low 12 bits (_hot_columns.h's SR_HOT_SLOT_BITS)
    SLOT_BITS = 12

cpdef enum Slot:
    DENSE_SLOT = 2  # numbers per dense slot: (z, n)
    TABLE_SLOT = 3  # numbers per table slot: (column, z, n)

cpdef enum Status:
    DONE = 0
    TABLE_FULL = 1  # the next row might not fit: grow the table, call again from that row
    # a row's extent or (dense store) a column was out of bounds as the kernel read it:
    # another thread wrote to X after it was checked; nothing of that row was applied
    X_CHANGED = 2

cdef enum:
    TABLE_ZN = 1              # offset of (z, n) in a table slot, after the column's key
    SIGNAL_CHECK_ROWS = 4096  # rows between two checks for Ctrl-C, when asked for
    BLOOM_HASHES = 3          # counters a column increments in the Bloom filter

    EMPTY = -1                # the key of a free table slot (EMPTY_KEY in Python)



cdef struct Hyper:
    double eta0
    double beta
    double l1          # lambda1, or lambda1 per sample seen when mean_scaled
    double l2          # lambda2, likewise
    double epsilon     # huber / epsilon-insensitive parameter
    int loss           # a Loss
    bint one_vs_rest   # y holds labels: the target is +1 where y == positive, else -1
    double positive
    bint mean_scaled   # lambda_t = l * t (scikit-learn's mean objective)
    bint fit_intercept
    bint check_signals
    int inclusion       # an Inclusion (table store only)
    double inclusion_p  # Poisson: probability of entering on each occurrence
    int inclusion_count # Bloom: occurrences before entering
    uint64_t seed       # of the Poisson draws and the Bloom hashes



cdef inline uint64_t mix64(uint64_t x) noexcept nogil:
    # splitmix64's finaliser: a bijection whose output bits all depend on every input bit
    x ^= x >> 30
    x *= 0xBF58476D1CE4E5B9ULL
    x ^= x >> 27
    x *= 0x94D049BB133111EBULL
    x ^= x >> 31
    return x


cdef inline int64_t key_of(const double *row) noexcept nogil:
    return (<const int64_t *>row)[0]


cdef inline int64_t probe(const double *table, uint64_t mask, int64_t column) noexcept nogil:
    """The table row holding ``column``, or the free row where it would go."""
    cdef uint64_t s = mix64(<uint64_t>column) & mask
    cdef int64_t key = key_of(table + TABLE_SLOT * s)
    while key != column and key != EMPTY:
        s = (s + 1) & mask
        key = key_of(table + TABLE_SLOT * s)
    return <int64_t>s


cdef inline bint admit(const Hyper *hp, uint8_t *bloom, uint64_t bloom_mask, int64_t column,
                       int64_t t) noexcept nogil:
    """Whether a column outside the table enters it on this occurrence (round ``t``)."""
    cdef uint64_t h, s
    cdef int i
    cdef uint8_t least = 255
    if hp.inclusion == INCLUDE_ALL:
        return True
    if hp.inclusion == INCLUDE_POISSON:
        # a counter-based draw: depends only on (seed, t, column), so batching cannot change it
        h = mix64(hp.seed ^ mix64(<uint64_t>t * 0x9E3779B97F4A7C15ULL ^ <uint64_t>column))
        return <double>(h >> 11) * (1.0 / 9007199254740992.0) < hp.inclusion_p
    if bloom == NULL:  # no filter to count in (the caller always gives one; never write through NULL)
        return True
    h = mix64(hp.seed ^ mix64(<uint64_t>column))
    for i in range(BLOOM_HASHES):
        s = mix64(h + <uint64_t>i) & bloom_mask
        if bloom[s] < 255:
            bloom[s] += 1
        if bloom[s] < least:
            least = bloom[s]
    return least >= hp.inclusion_count


cdef inline double loss_value(int loss, double p, double y, double eps) noexcept nogil:
    """Loss of the margin (classifiers, y in {-1, +1}) or prediction p; log loss is in
    ``loss_and_derivative``."""
    cdef double z, r
    if loss == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if loss == HINGE or loss == PERCEPTRON:
        z = (1.0 if loss == HINGE else 0.0) - p * y
        return z if z > 0.0 else 0.0
    if loss == SQUARED_HINGE:
        z = 1.0 - p * y
        return z * z if z > 0.0 else 0.0
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    if loss == HUBER:
        r = fabs(p - y)
        if r <= eps:
            return 0.5 * r * r
        return eps * r - 0.5 * eps * eps
    if loss == EPSILON_INSENSITIVE:
        r = fabs(y - p) - eps
        return r if r > 0.0 else 0.0
    # SQUARED_EPSILON_INSENSITIVE
    r = fabs(y - p) - eps
    return r * r if r > 0.0 else 0.0


cdef inline double loss_derivative(int loss, double p, double y, double eps) noexcept nogil:
    """d loss / d p, the factor that multiplies x_i in the gradient g_i (not log loss)."""
    cdef double z, r
    if loss == SQUARED_ERROR:
        return p - y
    if loss == HINGE or loss == PERCEPTRON:
        z = p * y
        return -y if z <= (1.0 if loss == HINGE else 0.0) else 0.0
    if loss == SQUARED_HINGE:
        z = 1.0 - p * y
        return -2.0 * y * z if z > 0.0 else 0.0
    if loss == MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return -2.0 * (1.0 - z) * y
        return -4.0 * y
    if loss == HUBER:
        r = p - y
        if fabs(r) <= eps:
            return r
        return eps if r > 0.0 else -eps
    if loss == EPSILON_INSENSITIVE:
        r = y - p
        if r > eps:
            return -1.0
        if r < -eps:
            return 1.0
        return 0.0
    # SQUARED_EPSILON_INSENSITIVE
    r = y - p
    if r > eps:
        return -2.0 * (r - eps)
    if r < -eps:
        return 2.0 * (-r - eps)
    return 0.0


cdef inline double loss_and_derivative(int loss, double p, double y, double eps,
                                      double *derivative) noexcept nogil:
    """Loss and d loss / d p together: log loss shares its exponential.

    log(1 + exp(-z)) without overflow: exp(-z) ~ log1p(exp(-z)) for large z."""
    cdef double z, e
    if loss == LOG_LOSS:
        z = p * y
        if z > 18.0:
            e = exp(-z)
            derivative[0] = -y * e
            return e
        if z < -18.0:
            derivative[0] = -y
            return -z
        e = exp(-z)
        derivative[0] = -y * e / (1.0 + e)
        return log(1.0 + e)
    derivative[0] = loss_derivative(loss, p, y, eps)
    return loss_value(loss, p, y, eps)


cdef inline double row_gradient(const Hyper *hp, double p, double label, bint weighted,
                                double weight, double *loss_sum) noexcept nogil:
    """A row's ``g = weight * d loss / d p`` at the prediction ``p``, its sample-weighted loss
    added to ``loss_sum``. ``label`` is the target, or with ``hp.one_vs_rest`` a label whose
    target is +1 where it equals ``hp.positive`` and -1 elsewhere. Unweighted (weight 1),
    nothing is multiplied: 1.0 * v is v, to the bit."""
    cdef double dloss, target = label
    if hp.one_vs_rest:
        target = 1.0 if label == hp.positive else -1.0
    if weighted:
        loss_sum[0] += weight * loss_and_derivative(hp.loss, p, target, hp.epsilon, &dloss)
        return weight * dloss
    loss_sum[0] += loss_and_derivative(hp.loss, p, target, hp.epsilon, &dloss)
    return dloss


cdef inline double lazy_weight(double z, double sqrt_n, double inv_eta0, double beta,
                               double l1, double l2) noexcept nogil:
    # |z| <= lambda1 is the whole sparsity story: the weight is exactly zero.
    if fabs(z) <= l1:
        return 0.0
    return -(z - copysign(l1, z)) / ((beta + sqrt_n) * inv_eta0 + l2)


cdef inline bint weight_survives(double z, double n, double inv_eta0, double beta, double l1,
                                 double l2, bint single) noexcept nogil:
    """Whether the weight of ``(z, n)`` is not 0 as ``lazy_weights`` writes it, into float64
    or, with ``single``, float32: ``|z| > l1``, and neither the division nor the cast
    underflowed to 0 (a z just past l1, or tiny: a float32 coef_ rounds below 1.4e-45 to 0)."""
    cdef double w
    if fabs(z) <= l1:
        return False
    w = lazy_weight(z, sqrt(n), inv_eta0, beta, l1, l2)
    if single:
        return <float>w != 0.0
    return w != 0.0


cdef inline bint none_underflow(double least_excess, double largest_n, double inv_eta0,
                                double beta, double l2, bint single) noexcept nogil:
    """Whether no weight whose ``|z| - l1`` is at least ``least_excess`` and whose ``n`` is at
    most ``largest_n`` can be 0 (``weight_survives``): its denominator is at most that of
    ``largest_n`` (each step of it rounds monotonically), so the weight is at least
    ``least_excess`` over it, which keeps 4 of the smallest numbers of the type. A count
    of ``|z| > l1`` is then ``coef_``'s, without a square root or division per weight."""
    cdef double smallest = 1.401298464324817e-45 if single else 4.9406564584124654e-324
    return least_excess >= 4.0 * smallest * ((beta + sqrt(largest_n)) * inv_eta0 + l2)


cdef inline void ftrl_update(double *slot, double gi, double sqrt_n, double w,
                             double inv_eta0) noexcept nogil:
    """Algorithm 1's update of one coordinate's ``slot = (z, n)`` by its gradient ``gi``."""
    cdef double n_new = slot[1] + gi * gi
    cdef double sqrt_new = sqrt(n_new)
    slot[0] += gi - (sqrt_new - sqrt_n) * inv_eta0 * w  # sigma_i * w_i, sigma from the sqrt(n) step
    slot[1] = n_new

# One row's prediction and update, for each store. The dense and sparse loops are kept
# apart so that neither pays a branch per non-zero for the other.

cdef inline double predict_dense(const double *state, const col_t *cols,
                                 const cython.floating *x, int64_t length, double *buf,
                                 double p, double inv_eta0, double beta, double l1,
                                 double l2) noexcept nogil:
    """``p + w.x`` with the weights computed lazily; keeps ``(w_i, sqrt(n_i))`` in ``buf``."""
    cdef int64_t k
    cdef const double *slot
    cdef double w
    for k in range(length):
        slot = state + DENSE_SLOT * <int64_t>cols[k]
        buf[2 * k + 1] = sqrt(slot[1])
        w = lazy_weight(slot[0], buf[2 * k + 1], inv_eta0, beta, l1, l2)
        buf[2 * k] = w
        p += w * x[k]
    return p


cdef inline void update_dense(double *state, const col_t *cols, const cython.floating *x,
                              int64_t length, const double *buf, double g,
                              double inv_eta0) noexcept nogil:
    cdef int64_t k
    for k in range(length):
        ftrl_update(state + DENSE_SLOT * <int64_t>cols[k], g * x[k], buf[2 * k + 1], buf[2 * k], inv_eta0)

cdef extern from "_csr_rows.h" nogil:
    bint sr_checked_columns_i32(int64_t n, const int32_t *cols, uint64_t n_cols,
                                int64_t *out)
    bint sr_checked_columns_i64(int64_t n, const int64_t *cols, uint64_t n_cols,
                                int64_t *out)
    void sr_csr_row_weights(int64_t n, const double *x, double inv_eta0, double beta, double l1,
                            double l2, const double *z, const double *nsum, double *roots,
                            double *w, double *wx)
    void sr_csr_row_update(int64_t n, double g, const double *x, const double *w,
                           const double *roots, double inv_eta0, double *z, double *nsum)

cdef inline bint checked_columns(int64_t n, const index_t *cols, uint64_t n_cols,
                                 int64_t *out) noexcept nogil:
    """``sr_checked_columns_*`` for ``cols``' index type: the row's columns into ``out``;
    whether one was at or past ``n_cols``."""
    if index_t is int32_t:
        return sr_checked_columns_i32(n, cols, n_cols, out)
    else:
        return sr_checked_columns_i64(n, cols, n_cols, out)

cpdef enum CsrScratch:
    CSR_SCRATCH_COLUMNS = 6  # ftrl_epoch's scratch per non-zero: z, n, x, sqrt(n), w, w*x

cdef inline double predict_dense_lanes(const double *state, const col_t *cols,
                                       const cython.floating *x, int64_t length, double *lane,
                                       int64_t width, double p, double inv_eta0, double beta,
                                       double l1, double l2) noexcept nogil:
    """``predict_dense`` with the row's non-zeros in vector lanes (``_csr_rows.h``): their
    ``(z, n)`` and ``x`` gathered into ``lane`` (6 arrays of ``width``), the margin summed in
    index order."""
    cdef int64_t k, c
    cdef double *zb = lane
    cdef double *nb = lane + width
    cdef double *xb = lane + 2 * width
    cdef double *wx = lane + 5 * width
    for k in range(length):
        c = DENSE_SLOT * <int64_t>cols[k]
        zb[k] = state[c]
        nb[k] = state[c + 1]
        if cython.floating is float:
            xb[k] = x[k]
    if cython.floating is double:
        xb = <double *>x
    sr_csr_row_weights(length, xb, inv_eta0, beta, l1, l2, zb, nb, lane + 3 * width,
                       lane + 4 * width, wx)
    for k in range(length):
        p += wx[k]
    return p


cdef inline void update_dense_lanes(double *state, const col_t *cols,
                                    const cython.floating *x, int64_t length, double *lane,
                                    int64_t width, double g, double inv_eta0) noexcept nogil:
    """``update_dense`` after ``predict_dense_lanes``: the update in lanes, then scattered."""
    cdef int64_t k, c
    cdef double *zb = lane
    cdef double *nb = lane + width
    cdef const double *xb = lane + 2 * width
    if cython.floating is double:
        xb = x
    sr_csr_row_update(length, g, xb, lane + 4 * width, lane + 3 * width, inv_eta0,
                      zb, nb)
    for k in range(length):
        c = DENSE_SLOT * <int64_t>cols[k]
        state[c] = zb[k]
        state[c + 1] = nb[k]


cdef inline double predict_sparse(const double *state, uint64_t mask, const index_t *cols,
                                  const cython.floating *x, int64_t length, double *buf,
                                  int64_t *where, double p, double inv_eta0, double beta,
                                  double l1, double l2, uint64_t n_features,
                                  bint *changed) noexcept nogil:
    """As ``predict_dense``; also keeps each column's table row in ``where``, or ``~column``
    (negative) for a column not held, which ``update_sparse`` inserts. Each column is read
    once, checked against ``n_features`` (``*changed`` set where it is not below: another
    thread wrote to X since it was checked; the caller stops)."""
    cdef int64_t k, s, c
    cdef const double *slot
    cdef double w
    cdef bint bad = False
    for k in range(length):
        c = <int64_t>cols[k]
        if <uint64_t>c >= n_features:
            bad = True
            c = 0
        s = probe(state, mask, c)
        if key_of(state + TABLE_SLOT * s) == EMPTY:
            where[k] = ~c  # not in the table: weight 0, sqrt(n) 0
            buf[2 * k] = 0.0
            buf[2 * k + 1] = 0.0
            continue
        where[k] = s
        slot = state + TABLE_SLOT * s + TABLE_ZN
        buf[2 * k + 1] = sqrt(slot[1])
        w = lazy_weight(slot[0], buf[2 * k + 1], inv_eta0, beta, l1, l2)
        buf[2 * k] = w
        p += w * x[k]
    if bad:
        changed[0] = True
    return p


cdef inline void update_sparse(double *state, uint64_t mask, int64_t *held, const Hyper *hp,
                               uint8_t *counters, uint64_t bloom_mask, const index_t *cols,
                               const cython.floating *x, int64_t length, const double *buf,
                               const int64_t *where, double g, double inv_eta0,
                               int64_t t) noexcept nogil:
    """As ``update_dense``; a column not held (``where[k] == ~column``, the column
    ``predict_sparse`` checked) enters the table if ``admit`` lets it. A stored zero is no
    occurrence (its update would leave the column as it is): it is not counted, drawn for
    nor held, so that X with explicit zeros trains the model X without them does."""
    cdef int64_t k, s, c
    for k in range(length):
        s = where[k]
        if s < 0:
            c = ~s
            if x[k] == 0.0 or not admit(hp, counters, bloom_mask, c, t):
                continue
            s = probe(state, mask, c)
            (<int64_t *>(state + TABLE_SLOT * s))[0] = c
            held[0] += 1
        ftrl_update(state + TABLE_SLOT * s + TABLE_ZN, g * x[k], buf[2 * k + 1], buf[2 * k], inv_eta0)


cdef inline void prefetch_shuffled(const cython.floating *data, const index_t *indices,
                                   const index_t *indptr, const double *y,
                                   const double *sample_weight, bint weighted,
                                   const int64_t *order, int64_t r, int64_t n_rows,
                                   int64_t nnz) noexcept nogil:
    """In a shuffled epoch at position ``r`` (of ``n_rows``): ask for the entries of X, the
    target and the weight of the row ``ENTRIES_AHEAD`` positions on, and read the place in
    ``indptr`` of the row ``INDPTR_AHEAD`` on. Otherwise each row's first reads miss the cache
    one after the other: 1M shuffled CTR rows took 3.6-4x as long as in order. A row whose
    extent as read lies outside X's ``nnz`` entries (another thread wrote to ``indptr``;
    its own row checks it) is not asked for: a row end of 2**50 asked for 2**47 lines of
    each array."""
    cdef int64_t row, begin, end
    if r + INDPTR_AHEAD < n_rows:
        row = order[r + INDPTR_AHEAD]
        sr_touch(indptr + row)
        sr_touch(indptr + row + 1)
    if r + ENTRIES_AHEAD < n_rows:
        row = order[r + ENTRIES_AHEAD]
        begin = indptr[row]
        end = indptr[row + 1]
        if 0 <= begin <= end <= nnz:
            sr_prefetch_span(indices + begin, indices + end)
            sr_prefetch_span(data + begin, data + end)
        sr_prefetch_span(y + row, y + row + 1)
        if weighted:
            sr_prefetch_span(sample_weight + row, sample_weight + row + 1)



cdef inline int64_t probe_wide(const double *table, uint64_t mask, int64_t width,
                               int64_t column) noexcept nogil:
    """``probe`` for table rows of ``width`` numbers."""
    cdef uint64_t s = mix64(<uint64_t>column) & mask
    cdef int64_t key = key_of(table + width * s)
    while key != column and key != EMPTY:
        s = (s + 1) & mask
        key = key_of(table + width * s)
    return <int64_t>s



cpdef enum DenseScratch:
    DENSE_SCRATCH_ROWS = 8  # rows of ftrl_epoch_dense's scratch: z, n, sqrt(n), w x 2, x x 2, w*x
