# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""FTRL-Proximal over CSR rows (McMahan et al., KDD 2013, Algorithm 1).

The caller (``sparsereg._epoch``) validates every array and owns every buffer:
nothing here allocates, checks a shape or raises (but for Ctrl-C, which Cython
raises from ``PyErr_CheckSignals``). One loop serves every loss; a loss is a pair
of small ``nogil`` functions picked by a ``Loss`` code. The codes below
(``Loss``, ``Inclusion``, ``Store``, ``Status``, ``Slot``) are defined here only;
Python reads them from this module.

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
from libc.math cimport copysign, exp, fabs, log, sqrt
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
    /* a == b ? if_equal : otherwise, as a conditional move rather than a branch (about half
       the non-zeros are hot, in no order); GCC's if-conversion of the C expression gave a branch */
    static inline int64_t sr_select_equal(int64_t a, int64_t b, int64_t if_equal,
                                          int64_t otherwise) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        __asm__("cmpq %[b], %[a]; cmoveq %[t], %[r]"
                : [r] "+r"(otherwise) : [a] "r"(a), [b] "r"(b), [t] "r"(if_equal) : "cc");
        return otherwise;
    #else
        int64_t held = -(int64_t)(a == b);
        return otherwise ^ ((otherwise ^ if_equal) & held);
    #endif
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
    int64_t sr_select_equal(int64_t a, int64_t b, int64_t if_equal, int64_t otherwise) noexcept nogil
    int sr_lowest_bit(uint64_t bits) noexcept nogil
    double sr_add_change(double *shared, double seen, double own) noexcept nogil

cdef extern from "_grid_models.h" nogil:
    void sr_grid_predict(int64_t M, const double *zn, double x, const double *lam1,
                         const double *lam2, const double *inv_eta0, double beta, double *bw,
                         double *p)
    void sr_grid_update(int64_t M, double *zn, double x, const double *g, const double *bw,
                        const double *inv_eta0)
    void sr_grid_intercept(int64_t M, const double *zn, double beta, const double *inv_eta0,
                           double *bw, double *p)
    bint sr_grid_squared_error(int64_t M, const double *p, double y, double weight,
                               double *loss_sum, double *loss_squares, double *g)
    bint sr_grid_log_loss(int64_t M, const double *p, double y, double weight, const double *e,
                          double *loss_sum, double *loss_squares, double *g)

cdef extern from "_csr_checks.h" nogil:
    double sr_largest_magnitude_f64(const double *x, int64_t n)
    double sr_largest_magnitude_f32(const float *x, int64_t n)
    bint sr_index_summary_i32(const int32_t *indptr, int64_t n_rows, const int32_t *ix,
                              int64_t nnz, int64_t *out)
    bint sr_index_summary_i64(const int64_t *indptr, int64_t n_rows, const int64_t *ix,
                              int64_t nnz, int64_t *out)

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
    # in a shuffled epoch, rows ahead whose entries of X (and target, weight) are prefetched,
    # so that they are in the cache when the state of their columns is asked for, and whose
    # place in indptr is read (a demand load) before that
    ENTRIES_AHEAD = 16
    INDPTR_AHEAD = 32

cpdef enum HotTable:  # ftrl_epoch_shared's table of the columns each thread holds
    SLOT_BITS = 12  # 4,096 slots: column c at slot c & 4095 (24 KiB: int32 c, int16 copy)

cpdef enum Slot:
    DENSE_SLOT = 2  # numbers per dense slot: (z, n)
    TABLE_SLOT = 3  # numbers per table slot: (column, z, n)

cpdef enum Status:
    DONE = 0
    TABLE_FULL = 1  # the next row might not fit: grow the table, call again from that row

cdef enum:
    TABLE_ZN = 1              # offset of (z, n) in a table slot, after the column's key
    SIGNAL_CHECK_ROWS = 4096  # rows between two checks for Ctrl-C, when asked for
    BLOOM_HASHES = 3          # counters a column increments in the Bloom filter

EMPTY_KEY = -1  # the key of a free table slot
cdef int64_t EMPTY = EMPTY_KEY


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
    void sr_csr_row_weights(int64_t n, const double *x, double inv_eta0, double beta, double l1,
                            double l2, const double *z, const double *nsum, double *roots,
                            double *w, double *wx)
    void sr_csr_row_update(int64_t n, double g, const double *x, const double *w,
                           const double *roots, double inv_eta0, double *z, double *nsum)

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
                                  double l1, double l2) noexcept nogil:
    """As ``predict_dense``; also keeps each column's table row in ``where`` (-1: not held)."""
    cdef int64_t k, s
    cdef const double *slot
    cdef double w
    for k in range(length):
        s = probe(state, mask, cols[k])
        if key_of(state + TABLE_SLOT * s) == EMPTY:
            where[k] = -1  # not in the table: weight 0, sqrt(n) 0
            buf[2 * k] = 0.0
            buf[2 * k + 1] = 0.0
            continue
        where[k] = s
        slot = state + TABLE_SLOT * s + TABLE_ZN
        buf[2 * k + 1] = sqrt(slot[1])
        w = lazy_weight(slot[0], buf[2 * k + 1], inv_eta0, beta, l1, l2)
        buf[2 * k] = w
        p += w * x[k]
    return p


cdef inline void update_sparse(double *state, uint64_t mask, int64_t *held, const Hyper *hp,
                               uint8_t *counters, uint64_t bloom_mask, const index_t *cols,
                               const cython.floating *x, int64_t length, const double *buf,
                               const int64_t *where, double g, double inv_eta0,
                               int64_t t) noexcept nogil:
    """As ``update_dense``; a column not held enters the table if ``admit`` lets it."""
    cdef int64_t k, s
    for k in range(length):
        s = where[k]
        if s < 0:
            if not admit(hp, counters, bloom_mask, cols[k], t):
                continue
            s = probe(state, mask, cols[k])
            (<int64_t *>(state + TABLE_SLOT * s))[0] = cols[k]
            held[0] += 1
        ftrl_update(state + TABLE_SLOT * s + TABLE_ZN, g * x[k], buf[2 * k + 1], buf[2 * k], inv_eta0)


cdef inline void prefetch_shuffled(const cython.floating *data, const index_t *indices,
                                   const index_t *indptr, const double *y,
                                   const double *sample_weight, bint weighted,
                                   const int64_t *order, int64_t r,
                                   int64_t n_rows) noexcept nogil:
    """In a shuffled epoch at position ``r`` (of ``n_rows``): ask for the entries of X, the
    target and the weight of the row ``ENTRIES_AHEAD`` positions on, and read the place in
    ``indptr`` of the row ``INDPTR_AHEAD`` on. Otherwise each row's first reads miss the cache
    one after the other: 1M shuffled CTR rows took 3.6-4x as long as in order."""
    cdef int64_t row, begin, end
    if r + INDPTR_AHEAD < n_rows:
        row = order[r + INDPTR_AHEAD]
        sr_touch(indptr + row)
        sr_touch(indptr + row + 1)
    if r + ENTRIES_AHEAD < n_rows:
        row = order[r + ENTRIES_AHEAD]
        begin = indptr[row]
        end = indptr[row + 1]
        sr_prefetch_span(indices + begin, indices + end)
        sr_prefetch_span(data + begin, data + end)
        sr_prefetch_span(y + row, y + row + 1)
        if weighted:
            sr_prefetch_span(sample_weight + row, sample_weight + row + 1)


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
):
    """Run Algorithm 1 over the rows ``order[start_row:]``, updating the state in place.

    Called only by ``sparsereg._epoch.run_epoch``, which documents the arguments.
    ``store`` says how ``zn`` is laid out: ``DENSE_STORE``, a ``DENSE_SLOT``-wide
    row per column of ``X``; ``TABLE_STORE``, a power-of-two number of
    ``TABLE_SLOT``-wide rows, with ``table = [columns held, most columns allowed]``
    and ``bloom`` the counters of Bloom inclusion (a power-of-two length, or empty).
    ``scratch`` and ``slots`` hold at least the longest row's worth of
    ``(w_i, sqrt(n_i))`` and table rows; ``scratch`` has ``CSR_SCRATCH_COLUMNS`` columns.
    On the dense store, rows of at least ``lanes_from`` non-zeros are computed in vector
    lanes (``_csr_rows.h``; the same bits). An empty ``order`` means every row in
    storage order; an empty ``sample_weight`` means every weight is 1. ``y`` holds the
    targets (regression, or classifier margins' signs in {-1, +1}), or with
    ``hp.one_vs_rest`` labels, the target being +1 where ``y == hp.positive`` and -1
    elsewhere. ``t0`` is the number of samples seen before ``order[0]``.

    Returns ``(sum of sample-weighted progressive losses, next row, status)``, the
    status ``DONE`` or ``TABLE_FULL`` (nothing of the next row was applied).
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        bint in_table = store == TABLE_STORE
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, ahead, k, start, length
        int64_t t = t0 + start_row
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
            if in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, n_rows)
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                if in_table:
                    for k in range(indptr[ahead], indptr[ahead + 1]):
                        # a 24-byte table row may straddle two cache lines: fetch both ends
                        slot = state + TABLE_SLOT * (mix64(<uint64_t>indices[k]) & mask)
                        sr_prefetch(slot)
                        sr_prefetch(slot + TABLE_SLOT - 1)
                else:
                    for k in range(indptr[ahead], indptr[ahead + 1]):
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
                p = predict_sparse(state, mask, cols, x, length, buf, where, w0, inv_eta0, beta,
                                   l1, l2)
            else:
                in_lanes = length >= lanes_from
                if in_lanes:
                    p = predict_dense_lanes(state, cols, x, length, buf, width, w0, inv_eta0,
                                            beta, l1, l2)
                else:
                    p = predict_dense(state, cols, x, length, buf, w0, inv_eta0, beta, l1, l2)

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is
            if in_table:
                update_sparse(state, mask, &table[0], &hp, counters, bloom_mask, cols, x, length,
                              buf, where, g, inv_eta0, t)
            elif in_lanes:
                update_dense_lanes(state, cols, x, length, buf, width, g, inv_eta0)
            else:
                update_dense(state, cols, x, length, buf, g, inv_eta0)
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


cdef inline int64_t listed_row(const int64_t *columns, int64_t n_listed,
                               int64_t column) noexcept nogil:
    """The position of ``column`` in the sorted ``columns`` (binary search), or -1."""
    cdef int64_t lo = 0, hi = n_listed, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if columns[mid] < column:
            lo = mid + 1
        else:
            hi = mid
    if lo == n_listed or columns[lo] != column:
        return -1
    return lo


def shuffle_rows(int64_t[::1] order, uint64_t seed):
    """Fill ``order`` with a permutation of ``0 .. len(order) - 1``: Fisher-Yates, each swap
    drawn from SplitMix64 (``mix64`` of a Weyl sequence started at ``seed``). Half the cost
    of ``RandomState.permutation``, whose Mersenne Twister costs more than a small epoch."""
    cdef int64_t i, j, tmp, n = order.shape[0]
    cdef uint64_t weyl = seed
    cdef double unit = 1.0 / 9007199254740992.0  # 2**-53
    with nogil:
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


def linear_scores(const cython.floating[::1] data, const index_t[::1] indices,
                  const index_t[::1] indptr, const int64_t[::1] columns, bint listed,
                  const weight_t[:, ::1] weights, double[:, ::1] out,
                  int64_t row_begin=0, int64_t row_end=-1):
    """``out[i, m] = sum_k data[k] * weights[row of indices[k], m]`` for the CSR rows ``i``
    (those from ``row_begin`` to ``row_end``, all by default: a caller may score contiguous
    row blocks in several threads, each row by the same loop).

    Without ``listed``, row ``j`` of ``weights`` is column ``j``'s. With it,
    ``weights`` has a row per entry of the sorted ``columns`` (the non-zero weights),
    found by binary search, so that a model over 2**31 columns is applied without a
    dense vector; a column not listed contributes nothing. Both sum each row's
    products in float64 in the order of its entries, so they give the same scores
    for the same weights (a zero weight adds +-0.0, which leaves such a sum as it is).
    """
    cdef:
        int64_t i, k, m, column, n_models = weights.shape[1]
        int64_t n_listed = columns.shape[0]
        double acc
    if row_end < 0:
        row_end = indptr.shape[0] - 1
    if not 0 <= row_begin <= row_end <= indptr.shape[0] - 1 or out.shape[0] < row_end:
        raise ValueError("row range out of bounds")
    with nogil:
        for i in range(row_begin, row_end):
            for m in range(n_models):
                acc = 0.0
                for k in range(indptr[i], indptr[i + 1]):
                    column = indices[k]
                    if listed:
                        column = listed_row(&columns[0], n_listed, column)
                        if column < 0:
                            continue
                    acc += data[k] * <double>weights[column, m]
                out[i, m] = acc


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


def count_nonzero_weights(const double[:, ::1] zn, double l1):
    """Number of ``(z, n)`` rows of ``zn`` (its last two numbers) whose weight is non-zero,
    ``|z| > l1``, without writing them."""
    cdef int64_t j, nnz = 0
    cdef int z_col = zn.shape[1] - 2
    with nogil:
        for j in range(zn.shape[0]):
            nnz += fabs(zn[j, z_col]) > l1
    return nnz


def count_nonzero_weights_of(const double[:, ::1] zn, const int64_t[::1] rows, double l1):
    """``count_nonzero_weights`` over the given rows of ``zn`` only (each in range)."""
    cdef int64_t j, nnz = 0
    cdef int z_col = zn.shape[1] - 2
    with nogil:
        for j in range(rows.shape[0]):
            nnz += fabs(zn[rows[j], z_col]) > l1
    return nnz


def distinct_columns(const index_t[::1] indices, uint64_t[::1] bitmap, int64_t[::1] out):
    """Write the distinct values of ``indices`` to ``out`` in increasing order and return
    their number. ``bitmap`` is zeros, with a bit per column (every index is below
    ``64 * len(bitmap)``); ``out`` has room for every distinct value."""
    cdef int64_t k, word, n = 0
    cdef uint64_t bits
    with nogil:
        for k in range(indices.shape[0]):
            bitmap[indices[k] >> 6] |= (<uint64_t>1) << (indices[k] & 63)
        for word in range(bitmap.shape[0]):
            bits = bitmap[word]
            while bits:
                out[n] = 64 * word + sr_lowest_bit(bits)
                n += 1
                bits &= bits - 1
    return n


cdef bint index_summary(const index_t[::1] indptr, const index_t[::1] indices,
                        int64_t *out) noexcept nogil:
    """``sr_index_summary_*`` (``_csr_checks.h``): returns ``indptr_ok``, and if so
    ``out`` = (smallest, largest, longest row, descents inside rows)."""
    cdef:
        int64_t nnz = indices.shape[0], n_rows = indptr.shape[0] - 1
        const index_t *ix = &indices[0] if nnz else NULL
    if n_rows < 0:
        return False
    if index_t is int32_t:
        return sr_index_summary_i32(&indptr[0], n_rows, ix, nnz, out)
    else:
        return sr_index_summary_i64(&indptr[0], n_rows, ix, nnz, out)


def csr_index_summary(const index_t[::1] indptr, const index_t[::1] indices):
    """The walks of a CSR matrix's index arrays for the validation done in Python.

    Returns ``(indptr_ok, strictly_sorted, smallest, largest, longest_row)``.
    ``indptr_ok``: ``indptr`` starts at 0, never decreases and ends at ``len(indices)``
    (if not, the rest is meaningless). ``strictly_sorted``: every row's indices increase,
    so no row repeats a column. ``smallest`` and ``largest``: of all indices (0 and -1
    when there are none). ``indptr`` and ``indices`` are read once, in blocks of rows: a
    walk of the block's ``indptr``, then a flat vector pass over its ``indices``
    (``_csr_checks.h``).
    """
    cdef int64_t out[4]
    cdef bint ok
    with nogil:
        ok = index_summary(indptr, indices, out)
    if not ok:
        return False, False, 0, -1, 0
    return True, out[3] == 0, out[0], out[1], out[2]


def csr_summary(const cython.floating[::1] data, const index_t[::1] indices,
                const index_t[::1] indptr, int64_t n_cols):
    """The walks of a whole CSR matrix for the per-call fast paths (validation stays in Python).

    Returns ``(plain, longest_row, largest |value|)``. ``plain``: ``indptr`` starts at 0,
    never decreases and ends at ``len(indices) == len(data)``; every row's indices
    increase strictly and lie in ``[0, n_cols)``; every value is finite. Only then are
    the other two meaningful. A matrix that is not plain goes through the full checks,
    which say what is wrong or make it plain.
    """
    cdef:
        int64_t out[4]
        int64_t nnz = indices.shape[0]
        double largest = 0.0
        bint plain
    if data.shape[0] != nnz:
        return False, 0, 0.0
    with nogil:
        plain = index_summary(indptr, indices, out) and out[3] == 0
        plain = plain and (nnz == 0 or (out[0] >= 0 and out[1] < n_cols))
        if plain and nnz:
            largest = _largest_magnitude(data)
    if not plain or not largest <= 1.7976931348623157e308:  # (NaN or infinite)
        return False, 0, 0.0
    return True, out[2], largest


def value_summary(const double[::1] values, const double[::1] allowed):
    """``(n_bad, smallest, largest |value|)`` of a 1-D array, for the fast paths.

    ``n_bad`` counts the values that are NaN or infinite or, when ``allowed`` is not
    empty, not equal to one of its values.
    """
    cdef:
        int64_t i, j, n_bad = 0, n_allowed = allowed.shape[0]
        double v, smallest = 0.0, largest = 0.0
        bint found
    if values.shape[0]:
        smallest = values[0]
    with nogil:
        for i in range(values.shape[0]):
            v = values[i]
            if not fabs(v) <= 1.7976931348623157e308:
                n_bad += 1
                continue
            if n_allowed:
                found = False
                for j in range(n_allowed):
                    if v == allowed[j]:
                        found = True
                        break
                if not found:
                    n_bad += 1
            if v < smallest:
                smallest = v
            if fabs(v) > largest:
                largest = fabs(v)
    return n_bad, smallest, largest


cdef bint dense_scores(const cython.floating *data, const index_t *indices,
                       const index_t *indptr, int64_t nnz, int64_t n_cols, const weight_t *w,
                       double intercept, double *out, int64_t out_stride, bint logistic_pair,
                       int64_t row_begin, int64_t row_end) noexcept nogil:
    """``csr_predict`` for one model whose weights are one per column (``w[j]``, column
    ``j``'s): the same sums in the same order and the same checks, with fewer instructions
    per non-zero (scoring rows already in the cache, the general loop took 1.5x as long).
    Each column is checked before its weight is read. A value's check waits for the row's
    end: a NaN or infinite value makes the sum NaN or infinite (``x * w`` is then NaN or
    infinite whatever ``w``, and a sum stays so), so only the values of a row whose sum is
    not finite are read again."""
    cdef:
        int64_t i, k, start, end, ahead, column, a0, a1, previous
        double acc, p
    for i in range(row_begin, row_end):
        start = indptr[i]
        end = indptr[i + 1]
        if start < 0 or end < start or end > nnz:  # (start: the first row of a block)
            return False
        if i + PREFETCH_ROWS < row_end:
            ahead = i + PREFETCH_ROWS
            a0 = indptr[ahead]
            a1 = indptr[ahead + 1]
            if 0 <= a0 <= a1 <= nnz:
                for k in range(a0, a1):
                    column = indices[k]
                    if <uint64_t>column < <uint64_t>n_cols:
                        sr_prefetch(w + column)
        acc = 0.0
        previous = -1
        for k in range(start, end):
            column = indices[k]
            if <uint64_t>column >= <uint64_t>n_cols or column <= previous:
                return False
            previous = column
            acc += data[k] * <double>w[column]
        if not fabs(acc) <= 1.7976931348623157e308:  # a value, or only the sum, not finite
            for k in range(start, end):
                if not fabs(<double>data[k]) <= 1.7976931348623157e308:
                    return False
        acc = acc + intercept
        if logistic_pair:
            p = 1.0 / (1.0 + exp(-acc))
            out[i * out_stride + 1] = p
            out[i * out_stride] = 1.0 - p
        else:
            out[i * out_stride] = acc
    return True


def csr_predict(const cython.floating[::1] data, const index_t[::1] indices,
                const index_t[::1] indptr, int64_t n_cols, const int64_t[::1] columns,
                bint listed, const int64_t[:, ::1] column_index,
                const weight_t[:, ::1] weights, const double[::1] intercept,
                double[:, ::1] out, bint logistic_pair,
                int64_t row_begin=0, int64_t row_end=-1):
    """:func:`linear_scores` plus the intercept, checking on the way what ``csr_summary``
    checks; returns whether the matrix was plain (when not, ``out`` means nothing and the
    caller runs the full checks). Only rows ``row_begin`` to ``row_end`` (all by default)
    are checked and scored, so that contiguous row blocks can be run in several threads.

    ``out[i, m]`` is row ``i``'s score for model ``m``, the same sum as ``linear_scores``
    plus ``intercept[m]``; with ``logistic_pair`` (one model) it is the pair
    ``(1 - p, p)``, ``p = 1 / (1 + exp(-score))``, which is ``scipy.special.expit``'s
    formula. With ``listed``, a column's row of ``weights`` is looked up in
    ``column_index`` (:func:`build_column_index` of ``columns``), or found by binary search
    in ``columns`` when ``column_index`` has a single row. The weights (or index rows) of
    the rows ahead are prefetched.
    """
    cdef:
        int64_t i, k, m, column, previous, start, end, ahead
        int64_t n_models = weights.shape[1], n_listed = columns.shape[0]
        int64_t nnz = indices.shape[0], n_rows = indptr.shape[0] - 1
        uint64_t mask = <uint64_t>column_index.shape[0] - 1
        bint indexed = column_index.shape[0] > 1
        int64_t s, key
        double acc, p, v
        bint plain = True
    if n_rows < 0 or data.shape[0] != nnz or indptr[0] != 0 or indptr[n_rows] != nnz:
        return False
    if row_end < 0:
        row_end = n_rows
    if not 0 <= row_begin <= row_end <= n_rows or out.shape[0] < row_end:
        raise ValueError("row range out of bounds")
    # backstops: the callers pass consistent arrays
    if n_cols < 0 or (not listed and weights.shape[0] < n_cols):
        raise ValueError("the weights need a row for each of the n_cols >= 0 columns")
    if intercept.shape[0] < n_models or out.shape[1] < (2 if logistic_pair else n_models):
        raise ValueError("intercept and out need a number for each model")
    if not listed and n_models == 1 and row_end > row_begin:
        with nogil:
            plain = dense_scores(&data[0] if nnz else NULL, &indices[0] if nnz else NULL,
                                 &indptr[0], nnz, n_cols, &weights[0, 0], intercept[0],
                                 &out[0, 0], out.shape[1], logistic_pair, row_begin, row_end)
        return plain
    with nogil:
        for i in range(row_begin, row_end):
            start = indptr[i]
            end = indptr[i + 1]
            if start < 0 or end < start or end > nnz:  # (start: the first row of a block)
                plain = False
                break
            if i + PREFETCH_ROWS < row_end:
                ahead = i + PREFETCH_ROWS
                if 0 <= indptr[ahead] <= indptr[ahead + 1] <= nnz:
                    for k in range(indptr[ahead], indptr[ahead + 1]):
                        column = indices[k]
                        if indexed:
                            sr_prefetch(&column_index[mix64(<uint64_t>column) & mask, 0])
                        elif 0 <= column < n_cols:
                            sr_prefetch(&weights[column, 0])
            for m in range(n_models):
                acc = 0.0
                previous = -1
                for k in range(start, end):
                    column = indices[k]
                    v = data[k]
                    if column <= previous or column >= n_cols or not fabs(v) <= 1.7976931348623157e308:
                        plain = False
                        break
                    previous = column
                    if listed and not indexed:
                        column = listed_row(&columns[0], n_listed, column)
                        if column < 0:
                            continue
                    elif listed:
                        s = <int64_t>(mix64(<uint64_t>column) & mask)
                        key = column_index[s, 0]
                        while key != column and key != EMPTY:
                            s = <int64_t>((<uint64_t>s + 1) & mask)
                            key = column_index[s, 0]
                        if key == EMPTY:
                            continue  # not listed: a weight of 0
                        column = column_index[s, 1]
                    acc += v * <double>weights[column, m]
                if not plain:
                    break
                acc = acc + intercept[m]
                if logistic_pair:
                    p = 1.0 / (1.0 + exp(-acc))
                    out[i, 1] = p
                    out[i, 0] = 1.0 - p
                else:
                    out[i, m] = acc
            if not plain:
                break
    return plain


def build_column_index(const int64_t[::1] columns, int64_t[:, ::1] index):
    """Fill ``index`` (a power-of-two number of ``(key, position)`` rows, every key
    ``EMPTY_KEY``, more rows than ``columns``) with each distinct column and its position in
    ``columns``: an open-addressing table with linear probing, as the table store's."""
    cdef:
        int64_t k, s
        uint64_t mask = <uint64_t>index.shape[0] - 1
    with nogil:
        for k in range(columns.shape[0]):
            s = <int64_t>(mix64(<uint64_t>columns[k]) & mask)
            while index[s, 0] != EMPTY:
                s = <int64_t>((<uint64_t>s + 1) & mask)
            index[s, 0] = columns[k]
            index[s, 1] = k


cdef double _largest_magnitude(const cython.floating[::1] values) noexcept nogil:
    cdef int64_t n = values.shape[0]
    if n == 0:
        return 0.0
    if cython.floating is double:
        return sr_largest_magnitude_f64(&values[0], n)
    else:
        return sr_largest_magnitude_f32(&values[0], n)


def largest_magnitude(const cython.floating[::1] values):
    """The largest ``|value|`` (0.0 for none; infinity if one is infinite), NaN if any value
    is NaN, in one single-threaded vector pass (``_csr_checks.h``).

    (``np.dot(x, x)`` bounds it as fast, but a threaded BLAS leaves workers spinning on the
    other cores after the call, which slowed the epoch that followed by up to 30 % here.)
    """
    cdef double largest
    with nogil:
        largest = _largest_magnitude(values)
    return largest


def dense_row_counts(const cython.floating[:, ::1] X, int64_t[::1] indptr):
    """Write into ``indptr`` (``n_rows + 1`` entries) the CSR row pointers of the entries of
    ``X`` that are not 0 (NaN counts: it is not 0, as for scipy); return their number."""
    cdef int64_t i, j, nnz = 0
    with nogil:
        indptr[0] = 0
        for i in range(X.shape[0]):
            for j in range(X.shape[1]):
                nnz += X[i, j] != 0
            indptr[i + 1] = nnz
    return nnz


def dense_to_csr(const cython.floating[:, ::1] X, index_t[::1] indices,
                 cython.floating[::1] data):
    """Copy the entries of ``X`` that are not 0, row by row in column order, into ``indices``
    and ``data`` (sized by :func:`dense_row_counts`): ``scipy.sparse.csr_matrix(X)``'s arrays."""
    cdef int64_t i, j, k = 0
    with nogil:
        for i in range(X.shape[0]):
            for j in range(X.shape[1]):
                if X[i, j] != 0:
                    indices[k] = <index_t>j
                    data[k] = X[i, j]
                    k += 1


def state_scores(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    Store store,
    const double[:, ::1] zn,
    const double[::1] intercept_zn,
    double eta0,
    double beta,
    double l1,
    double l2,
    bint fit_intercept,
    double[:, ::1] scratch,
    int64_t[::1] slots,
    double[::1] out,
):
    """``out[i] = w0 + w.x_i`` for the CSR rows ``i``, the weights computed lazily from
    one model's state (``ftrl_epoch``'s layout and prediction, without an update).

    Reads only the rows' columns, so scoring a batch costs its non-zeros, not the width.
    ``scratch`` and ``slots`` hold at least the longest row's worth, as for ``ftrl_epoch``.
    """
    cdef:
        int64_t i, k, start, length, n_rows = indptr.shape[0] - 1
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double inv_eta0 = 1.0 / eta0
        double w0 = 0.0
        const double *state = &zn[0, 0]
        const double *slot
        double *buf = &scratch[0, 0]
        int64_t *where = &slots[0]
        bint in_table = store == TABLE_STORE
    if fit_intercept:
        w0 = -intercept_zn[0] / ((beta + sqrt(intercept_zn[1])) * inv_eta0)
    with nogil:
        for i in range(n_rows):
            if i + PREFETCH_ROWS < n_rows:  # the loop waits on memory: ask for rows ahead
                for k in range(indptr[i + PREFETCH_ROWS], indptr[i + PREFETCH_ROWS + 1]):
                    if in_table:
                        slot = state + TABLE_SLOT * (mix64(<uint64_t>indices[k]) & mask)
                        sr_prefetch(slot)
                        sr_prefetch(slot + TABLE_SLOT - 1)
                    else:
                        sr_prefetch(state + DENSE_SLOT * <int64_t>indices[k])
            start = indptr[i]
            length = indptr[i + 1] - start
            if in_table:
                out[i] = predict_sparse(state, mask, &indices[0] + start, &data[0] + start,
                                        length, buf, where, w0, inv_eta0, beta, l1, l2)
            else:
                out[i] = predict_dense(state, &indices[0] + start, &data[0] + start, length,
                                       buf, w0, inv_eta0, beta, l1, l2)


# ---------------------------------------------------------------------------------------
# Softmax (multinomial) FTRL: one (z, n) per class per coordinate, a column's classes
# contiguous. Dense store: row ``j`` of the state is ``(z_0, n_0, ..., z_K-1, n_K-1)`` of
# column ``j`` (``2 K`` numbers). Table store: row ``s`` is ``(column, z_0, n_0, ...)``
# (``1 + 2 K`` numbers), the column's int64 bits first (``EMPTY`` when free), probed as the
# one-model table. The intercepts are ``intercept_zn[k] = (z, n)`` of class ``k``. Every
# column that occurs in a row whose gradient is not zero enters the table (no inclusion).

cdef inline int64_t probe_wide(const double *table, uint64_t mask, int64_t width,
                               int64_t column) noexcept nogil:
    """``probe`` for table rows of ``width`` numbers."""
    cdef uint64_t s = mix64(<uint64_t>column) & mask
    cdef int64_t key = key_of(table + width * s)
    while key != column and key != EMPTY:
        s = (s + 1) & mask
        key = key_of(table + width * s)
    return <int64_t>s


def softmax_epoch(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const int64_t[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    Store store,
    double[:, ::1] zn,
    int64_t[::1] table,
    double[:, ::1] intercept_zn,
    double[:, ::1] scratch,
    double[:, ::1] classes_buf,
    int64_t[::1] slots,
    Hyper hp,
    int64_t t0,
    int64_t start_row,
):
    """Softmax FTRL-Proximal over the rows ``order[start_row:]``, the state updated in place.

    Called only by ``sparsereg._epoch.run_softmax_epoch``, which validates and sizes every
    array. ``K = intercept_zn.shape[0]`` classes; ``y`` holds each row's class index in
    ``[0, K)``; ``zn`` is laid out as the section's comment says; ``table = [columns held,
    most columns allowed]`` (table store); ``scratch`` holds at least the longest row's worth
    of ``2 K`` numbers ``(w, sqrt(n))`` per class, ``classes_buf`` is ``(4, K)`` (margins,
    intercept weights, their ``sqrt(n)``, gradients) and ``slots`` the longest row's table
    rows. An empty ``order`` means every row in storage order; an empty ``sample_weight``
    every weight 1; ``t0`` the samples seen before ``order[0]``.

    Per row: margins ``m_k = w0_k + sum_i w_ik x_i`` from the lazy weights, ``p = softmax(m)``
    (the largest margin subtracted first), gradient ``g_k = weight (p_k - [y = k])``, and
    Algorithm 1's update of each class's ``(z, n)`` with ``g_k x_i``. Returns ``(sum of the
    sample-weighted progressive losses -log p_y, next row, status)``, the status ``DONE`` or
    ``TABLE_FULL`` (nothing of the next row was applied).
    """
    cdef:
        int64_t K = intercept_zn.shape[0]
        int64_t width = 2 * K if store == DENSE_STORE else 1 + 2 * K
        int64_t zn_at = 0 if store == DENSE_STORE else 1
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        bint in_table = store == TABLE_STORE
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, ahead, j, c, start, length, s, label
        int64_t t = t0 + start_row
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double weight, xv, w, sq, top, total, loss_sum = 0.0
        bint moved
        int status = DONE
        double *state = &zn[0, 0]
        double *base
        double *buf = &scratch[0, 0]
        double *margin = &classes_buf[0, 0]
        double *w0 = &classes_buf[1, 0]
        double *sq0 = &classes_buf[2, 0]
        double *g = &classes_buf[3, 0]
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
            if in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                # (y holds int64 class numbers: 8 bytes each, as a double's)
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], <const double *>&y[0],
                                  &sample_weight[0], weighted, &order[0], r, n_rows)
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                for j in range(indptr[ahead], indptr[ahead + 1]):
                    if in_table:
                        sr_prefetch(state + width * (mix64(<uint64_t>indices[j]) & mask))
                    else:
                        sr_prefetch(state + width * indices[j])
            x = &data[0] + start
            cols = &indices[0] + start
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t

            for c in range(K):
                w0[c] = 0.0
                sq0[c] = 0.0
                if hp.fit_intercept:
                    sq0[c] = sqrt(intercept_zn[c, 1])
                    w0[c] = -intercept_zn[c, 0] / ((beta + sq0[c]) * inv_eta0)
                margin[c] = w0[c]
            # the margins, keeping each class's (w, sqrt(n)) of each column in buf
            for j in range(length):
                if in_table:
                    s = probe_wide(state, mask, width, cols[j])
                    if key_of(state + width * s) == EMPTY:
                        where[j] = -1  # not held: every weight 0, every sqrt(n) 0
                        for c in range(2 * K):
                            buf[2 * K * j + c] = 0.0
                        continue
                    where[j] = s
                    base = state + width * s + zn_at
                else:
                    base = state + width * cols[j]
                xv = x[j]
                for c in range(K):
                    sq = sqrt(base[2 * c + 1])
                    w = lazy_weight(base[2 * c], sq, inv_eta0, beta, l1, l2)
                    buf[2 * K * j + 2 * c] = w
                    buf[2 * K * j + 2 * c + 1] = sq
                    margin[c] += w * xv
            # softmax, the largest margin subtracted first
            top = margin[0]
            for c in range(1, K):
                if margin[c] > top:
                    top = margin[c]
            total = 0.0
            for c in range(K):
                g[c] = exp(margin[c] - top)
                total += g[c]
            label = y[row]
            weight = sample_weight[row] if weighted else 1.0
            loss_sum += weight * (log(total) + top - margin[label])
            moved = False
            for c in range(K):
                g[c] = weight * (g[c] / total - (1.0 if c == label else 0.0))
                moved |= g[c] != 0.0
            if not moved:
                continue  # every g_i = 0 and sigma_i = 0: (z, n) would stay as they are
            for j in range(length):
                if in_table:
                    s = where[j]
                    if s < 0:
                        s = probe_wide(state, mask, width, cols[j])
                        (<int64_t *>(state + width * s))[0] = cols[j]
                        table[0] += 1
                    base = state + width * s + zn_at
                else:
                    base = state + width * cols[j]
                xv = x[j]
                for c in range(K):
                    ftrl_update(base + 2 * c, g[c] * xv, buf[2 * K * j + 2 * c + 1],
                                buf[2 * K * j + 2 * c], inv_eta0)
            if hp.fit_intercept:
                for c in range(K):
                    ftrl_update(&intercept_zn[c, 0], g[c], sq0[c], w0[c], inv_eta0)
        else:
            r = n_rows
    return loss_sum, r, status


def softmax_scores(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    Store store,
    const double[:, ::1] zn,
    const double[:, ::1] intercept_zn,
    double eta0,
    double beta,
    double l1,
    double l2,
    bint fit_intercept,
    double[:, ::1] out,
):
    """``out[i, k] = w0_k + w_k.x_i``: the margins ``softmax_epoch`` computes for row ``i``
    before its update, from the state laid out as it reads it, without training."""
    cdef:
        int64_t K = intercept_zn.shape[0]
        int64_t width = 2 * K if store == DENSE_STORE else 1 + 2 * K
        int64_t zn_at = 0 if store == DENSE_STORE else 1
        int64_t i, j, c, s, n_rows = indptr.shape[0] - 1
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double inv_eta0 = 1.0 / eta0
        double xv
        bint in_table = store == TABLE_STORE
        const double *state = &zn[0, 0]
        const double *base
    with nogil:
        for i in range(n_rows):
            for c in range(K):
                out[i, c] = 0.0
                if fit_intercept:
                    out[i, c] = -intercept_zn[c, 0] / ((beta + sqrt(intercept_zn[c, 1])) * inv_eta0)
            for j in range(indptr[i], indptr[i + 1]):
                if in_table:
                    s = probe_wide(state, mask, width, indices[j])
                    if key_of(state + width * s) == EMPTY:
                        continue
                    base = state + width * s + zn_at
                else:
                    base = state + width * indices[j]
                xv = data[j]
                for c in range(K):
                    out[i, c] += lazy_weight(base[2 * c], sqrt(base[2 * c + 1]), inv_eta0, beta,
                                             l1, l2) * xv


def wide_rehash(const double[:, ::1] old_table, double[:, ::1] new_table):
    """Move every held column of a table store whose slots are a key and any number of
    values (softmax, grid) into a larger, empty one."""
    cdef:
        int64_t s, target, key, c
        int64_t width = old_table.shape[1]
        uint64_t mask = <uint64_t>new_table.shape[0] - 1
    with nogil:
        for s in range(old_table.shape[0]):
            key = key_of(&old_table[s, 0])
            if key != EMPTY:
                target = probe_wide(&new_table[0, 0], mask, width, key)
                for c in range(width):
                    new_table[target, c] = old_table[s, c]


def softmax_table_insert(double[:, ::1] table_zn, const int64_t[::1] columns,
                         const double[:, ::1] zn):
    """Put ``columns`` (none held yet, distinct) with their rows of ``2 K`` numbers ``zn``
    into an empty-enough softmax table."""
    cdef:
        int64_t k, s, c
        int64_t width = table_zn.shape[1]
        uint64_t mask = <uint64_t>table_zn.shape[0] - 1
        double *state = &table_zn[0, 0]
    with nogil:
        for k in range(columns.shape[0]):
            s = probe_wide(state, mask, width, columns[k])
            (<int64_t *>(state + width * s))[0] = columns[k]
            for c in range(width - 1):
                state[width * s + 1 + c] = zn[k, c]


# ---------------------------------------------------------------------------------------
# One pass, many models (McMahan et al. 2013, section 4.3): a grid of M models that differ
# in eta0, lambda1 and lambda2 reads each row once. A column's M models lie side by side:
# in the dense store, row j of ``zn`` is (z_0, ..., z_{M-1}, n_0, ..., n_{M-1}) of column j
# (2 M numbers); in the table store, a slot is (column, z_0, ..., z_{M-1}, n_0, ..., n_{M-1})
# (1 + 2 M numbers), so that one lookup serves every model and the loops over the models
# (``_grid_models.h``) run as vector instructions. Each model's arithmetic is ftrl_epoch's,
# in the same order, so model m of a grid equals the same model trained alone.

cdef enum:
    GRID_P = 0       # rows of ``models``, one number per model: the prediction,
    GRID_G = 1       # the gradient factor of the row,
    GRID_L1 = 2      # the lambdas in force,
    GRID_L2 = 3
    GRID_W0 = 4      # the intercept's weight
    GRID_SQ0 = 5     # and sqrt(n) (right after the weights, as a column's ``bw``)
    GRID_E = 6       # log loss: exp(-margin)
    GRID_COLUMNS = 7


def grid_epoch(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    Store store,
    double[:, ::1] zn,
    int64_t[::1] table,
    int64_t[::1] rows,
    double[:, ::1] intercept_zn,
    const double[::1] inv_eta0,
    const double[::1] lambda1,
    const double[::1] lambda2,
    double beta,
    int loss,
    double epsilon,
    bint one_vs_rest,
    double positive,
    bint mean_scaled,
    bint fit_intercept,
    bint check_signals,
    bint train,
    double[:, ::1] scratch,
    int64_t[::1] slots,
    double[:, ::1] models,
    double[::1] loss_sum,
    double[::1] loss_squares,
    int64_t t0,
    int64_t start_row,
):
    """Run the rows ``order[start_row:]`` through the ``M = len(inv_eta0)`` models of a grid.

    Called only by ``sparsereg.model_selection``, which validates every array and owns
    every buffer. ``zn``: rows of ``M`` z then ``M`` n, after the column's key in the table
    store. Dense store: ``rows[j]`` is column j's row of ``zn``, given to every column of X
    before the call; ``table`` is not read. Table store: ``rows`` is empty, ``zn`` an
    open-addressing table of a power-of-two number of slots and ``table = [columns held,
    most allowed]``.
    ``intercept_zn``: ``(2, M)``, the intercepts' z then n; ``inv_eta0``, ``lambda1``,
    ``lambda2``: each model's ``1 / eta0`` and lambdas (per sample seen when
    ``mean_scaled``); ``scratch``: ``(longest row, 2 M)``; ``slots``: the longest row's rows
    of ``zn``; ``models``: ``(GRID_COLUMNS, M)``. ``y``, ``sample_weight``, ``order``,
    ``one_vs_rest``, ``positive``, ``t0`` as for ``ftrl_epoch``.

    Each row is scored by every model, its sample-weighted loss added to ``loss_sum[m]``
    (its square to ``loss_squares[m]``), then, with ``train``, every model is updated
    from it. Without ``train`` nothing is updated and every row is scored with the
    lambdas after ``t0`` samples (a holdout scored by the models as they stand).

    Returns ``(next row, status)``, the status ``DONE`` or ``TABLE_FULL`` (table store: no
    room for the next row's columns; nothing of it was applied).
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        bint in_table = store == TABLE_STORE
        int64_t n_models = inv_eta0.shape[0]
        int64_t width = zn.shape[1]
        int64_t offset = 1 if in_table else 0
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, ahead, k, m, s, start, length
        int64_t t = t0 + start_row if train else t0
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double target, weight, dloss, lv
        bint any_gradient
        int status = DONE
        double *state = &zn[0, 0]
        double *intercepts = &intercept_zn[0, 0]
        int64_t *row_of = &rows[0] if rows.shape[0] > 0 else NULL
        double *slot
        double *bw          # the row's column k: its M weights, then its M sqrt(n)
        double *buf = &scratch[0, 0]
        # one contiguous array of M numbers per quantity, so the loops over models vectorise
        double *p = &models[GRID_P, 0]
        double *g = &models[GRID_G, 0]
        double *lam1 = &models[GRID_L1, 0]
        double *lam2 = &models[GRID_L2, 0]
        double *w0 = &models[GRID_W0, 0]  # then sqrt(n) at w0 + M
        double *e = &models[GRID_E, 0]
        const double *ie = &inv_eta0[0]
        int64_t *where = &slots[0]
        const cython.floating *x
        const index_t *cols

    with nogil:
        for r in range(start_row, n_rows):
            if check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            if train and in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, n_rows)
            if not in_table and r + 2 * PREFETCH_ROWS < n_rows:
                # the dense store's row numbers, read by the prefetch below two rows later
                ahead = r + 2 * PREFETCH_ROWS if in_order else order[r + 2 * PREFETCH_ROWS]
                for k in range(indptr[ahead], indptr[ahead + 1]):
                    sr_prefetch(row_of + indices[k])
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                for k in range(indptr[ahead], indptr[ahead + 1], 8):  # shuffled rows: X's values
                    sr_prefetch(&data[0] + k)
                for k in range(indptr[ahead], indptr[ahead + 1]):
                    if in_table:
                        slot = state + width * (mix64(<uint64_t>indices[k]) & mask)
                    else:
                        slot = state + width * row_of[indices[k]]
                    for m in range(0, width, 8):  # every cache line of the row, however aligned
                        sr_prefetch(slot + m)
                    sr_prefetch(slot + width - 1)
            x = &data[0] + start
            cols = &indices[0] + start
            if train:
                t += 1
            for m in range(n_models):
                if mean_scaled:
                    lam1[m] = lambda1[m] * t
                    lam2[m] = lambda2[m] * t
                else:
                    lam1[m] = lambda1[m]
                    lam2[m] = lambda2[m]
            if fit_intercept:
                sr_grid_intercept(n_models, intercepts, beta, ie, w0, p)
            else:
                for m in range(2 * n_models):
                    w0[m] = 0.0
                for m in range(n_models):
                    p[m] = 0.0

            # predict: every model's weight of a column from the one row of ``zn``
            for k in range(length):
                bw = buf + 2 * n_models * k
                if in_table:
                    s = probe_wide(state, mask, width, cols[k])
                    if key_of(state + width * s) == EMPTY:
                        s = -1
                else:
                    s = row_of[cols[k]]
                where[k] = s
                if s < 0:  # not held: weight 0, sqrt(n) 0 in every model
                    for m in range(2 * n_models):
                        bw[m] = 0.0
                    continue
                sr_grid_predict(n_models, state + width * s + offset, x[k], lam1, lam2, ie, beta,
                                bw, p)

            target = y[row]
            if one_vs_rest:
                target = 1.0 if target == positive else -1.0
            weight = sample_weight[row] if weighted else 1.0
            if loss == SQUARED_ERROR:
                any_gradient = sr_grid_squared_error(n_models, p, target, weight, &loss_sum[0],
                                                     &loss_squares[0], g)
            elif loss == LOG_LOSS:
                for m in range(n_models):  # libm's exp, as loss_and_derivative's; the rest vectorised
                    e[m] = 0.0 if p[m] * target < -18.0 else exp(-(p[m] * target))  # NaN: NaN
                any_gradient = sr_grid_log_loss(n_models, p, target, weight, e, &loss_sum[0],
                                                &loss_squares[0], g)
            else:
                any_gradient = False
                for m in range(n_models):
                    lv = weight * loss_and_derivative(loss, p[m], target, epsilon, &dloss)
                    loss_sum[m] += lv
                    loss_squares[m] += lv * lv
                    g[m] = weight * dloss
                    if g[m] != 0.0:
                        any_gradient = True
            if not train or not any_gradient:
                continue

            # update: every model with a gradient, in the same row (ftrl_update's arithmetic)
            for k in range(length):
                s = where[k]
                if in_table and s < 0:  # the column enters the table (dense: every column has a row)
                    s = probe_wide(state, mask, width, cols[k])
                    (<int64_t *>(state + width * s))[0] = cols[k]
                    table[0] += 1
                sr_grid_update(n_models, state + width * s + offset, x[k], g,
                               buf + 2 * n_models * k, ie)
            if fit_intercept:
                sr_grid_update(n_models, intercepts, 1.0, g, w0, ie)
        else:
            r = n_rows
    return r, status


def grid_count_nonzero(const double[:, ::1] zn, int64_t n_rows, int64_t offset,
                       const double[::1] lambda1, int64_t[::1] counts):
    """Add to ``counts[m]`` the rows among the first ``n_rows`` of a grid's ``zn`` whose
    model ``m`` has a non-zero weight, ``|z| > lambda1[m]`` (``z`` at ``offset + m``)."""
    cdef:
        int64_t r, m
        int64_t n_models = lambda1.shape[0]
    with nogil:
        for r in range(n_rows):
            for m in range(n_models):
                counts[m] += fabs(zn[r, offset + m]) > lambda1[m]


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


cdef inline void resolve_row(const index_t *cols, int64_t length, const int32_t *hot_table,
                             const int16_t *hot_copy, int64_t hot_offset, int64_t *out,
                             double *state) noexcept nogil:
    """A row's rows of the state as seen from ``state``: a hot column's (``hot_table[c %
    2**SLOT_BITS] == c``) is its copy's, ``hot_offset + hot_copy[c % 2**SLOT_BITS]``, any
    other its own, ``c``; each prefetched. (The copies are another array: ``state +
    DENSE_SLOT * row`` then points outside ``zn``, which C leaves undefined but a flat
    address space, as on every platform the package builds for, computes as meant.)"""
    cdef int64_t k, c, h, r
    for k in range(length):
        c = <int64_t>cols[k]
        h = c & ((1 << SLOT_BITS) - 1)
        r = sr_select_equal(hot_table[h], c, hot_offset + hot_copy[h], c)
        out[k] = r
        sr_prefetch(state + DENSE_SLOT * r)


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
    const int16_t[::1] hot_copy,
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
    where empty) holds column ``c`` at slot ``c % 2**SLOT_BITS`` or not at all, and
    ``hot_copy`` its copy there; this thread trains its copies in ``hot_own``,
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
        const int16_t *copy_of = &hot_copy[0]
        const int64_t *hot = &hot_columns[0] if n_hot else NULL
        int64_t *slots
        int64_t width = scratch.shape[0]
        int64_t ring_rows = ring.shape[0]
        bint in_lanes
        const cython.floating *x

    if hot_table.shape[0] != 1 << SLOT_BITS or hot_copy.shape[0] != 1 << SLOT_BITS:
        raise ValueError(f"the table of hot columns needs {1 << SLOT_BITS} slots")  # a backstop
    if hot_own.shape[0] < hot_columns.shape[0] or hot_seen.shape[0] < hot_columns.shape[0]:
        raise ValueError("every hot column needs a row of copies")  # a backstop
    with nogil:
        for r in range(begin, min(begin + PREFETCH_ROWS, end)):  # the first rows' slots
            row = r if in_order else order[r]
            resolve_row(&indices[0] + indptr[row], indptr[row + 1] - indptr[row], table,
                        copy_of, hot_offset, &ring[r - begin, 0], state)
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
                                  weighted, &order[0], r, end)
            if r + PREFETCH_ROWS < end:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                resolve_row(&indices[0] + indptr[ahead], indptr[ahead + 1] - indptr[ahead],
                            table, copy_of, hot_offset, &ring[later, 0], state)
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
    return loss_sum


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
    the sample-weighted progressive losses; the state is what ``ftrl_epoch`` leaves, to
    the bit.
    """
    cdef:
        bint in_order = order.shape[0] == 0
        bint weighted = sample_weight.shape[0] > 0
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, k, j, start, length
        int64_t t = t0
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
                                  weighted, &order[0], r, n_rows)
            start = indptr[row]
            length = indptr[row + 1] - start
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
                w = lazy_weight(state[DENSE_SLOT * j], roots[j], inv_eta0, beta, l1, l2)
                buf[k] = w
                p += w * x[k]

            g = row_gradient(&hp, p, y[row], weighted, sample_weight[row] if weighted else 1.0,
                             &loss_sum)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is
            for k in range(length):
                j = <int64_t>cols[k]
                roots[j] = update_keep_sqrt(state + DENSE_SLOT * j, g * x[k], roots[j], buf[k],
                                            inv_eta0)
            if hp.fit_intercept:
                sq0 = update_keep_sqrt(&intercept_zn[0], g, sq0, w0, inv_eta0)
    return loss_sum


cdef extern from *:
    """
    static inline void sr_prefetch_read(const void *p) {
    #if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 0, 3);
    #endif
    }
    """
    void sr_prefetch_read(const void *p) noexcept nogil


def dense_summary(const cython.floating[:, :] X):
    """``(entries of X that are not 0, largest |x|)`` of a 2-D array of any strides, the
    largest NaN if any entry is NaN, in one pass (as ``largest_magnitude``) in the order of
    memory (column by column when a column's entries are the closer)."""
    cdef:
        int64_t i, j, nnz = 0
        double v, largest = 0.0
        bint nan = False
        bint by_column = abs(X.strides[0]) < abs(X.strides[1])
    with nogil:
        for i in range(X.shape[1] if by_column else X.shape[0]):
            for j in range(X.shape[0] if by_column else X.shape[1]):
                v = fabs(X[j, i] if by_column else X[i, j])
                nnz += v != 0
                if v > largest:
                    largest = v
                elif v != v:
                    nan = True
    return nnz, float("nan") if nan else largest


cdef extern from "_dense_rows.h" nogil:
    void sr_dense_row_step(int64_t n, int update, double g, const double *xp, const double *wp,
                           const double *x, double inv_eta0, double beta, double l1, double l2,
                           double *z, double *nsum, double *roots, double *w, double *wx)
    int sr_dense_lanes_pay()

cpdef enum DenseScratch:
    DENSE_SCRATCH_ROWS = 8  # rows of ftrl_epoch_dense's scratch: z, n, sqrt(n), w x 2, x x 2, w*x


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
    """Whether ``sr_dense_row_step`` runs here as vectors of at least 4 doubles (AVX2 or
    AVX-512): narrower, it computes more than the scalar loop and is slower."""
    return bool(sr_dense_lanes_pay())
