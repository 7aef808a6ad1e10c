# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""FTRL-Proximal over CSR rows (McMahan et al., KDD 2013, Algorithm 1).

The caller (``sparsereg._base``) validates every array and owns every buffer:
nothing here allocates, checks a shape or raises. One loop serves every loss;
a loss is a pair of small ``nogil`` functions picked by an int code.

State layout: ``zn[j, 0]`` is ``z_j`` and ``zn[j, 1]`` is ``n_j``, interleaved so
that one cache line fetch serves both (the loop is bound by memory access,
see ``../shared/PERFORMANCE.md``). The intercept is one more coordinate with its
own ``(z, n)`` in ``intercept_zn`` and no L1/L2.
"""
from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport copysign, exp, fabs, log, sqrt
from libc.stdint cimport int32_t, int64_t

cimport cython

ctypedef fused index_t:
    int32_t
    int64_t

cdef extern from *:
    """
    static inline void sr_prefetch(const void *p) {
    #if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 1, 3);
    #endif
    }
    """
    void sr_prefetch(const void *p) noexcept nogil

# Loss codes: mirrored by LOSS_CODES in sparsereg/_losses.py.
cdef enum:
    SQUARED_ERROR = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    SQUARED_EPSILON_INSENSITIVE = 3
    LOG_LOSS = 4
    HINGE = 5
    MODIFIED_HUBER = 6
    SQUARED_HINGE = 7
    PERCEPTRON = 8

cdef enum:
    SIGNAL_CHECK_ROWS = 4096  # rows between two checks for Ctrl-C, when asked for
    PREFETCH_ROWS = 2         # rows ahead whose state is prefetched


cdef struct Hyper:
    double eta0
    double beta
    double l1          # lambda1, or lambda1 per sample seen when mean_scaled
    double l2          # lambda2, likewise
    double epsilon     # huber / epsilon-insensitive parameter
    int loss
    bint mean_scaled   # lambda_t = l * t (scikit-learn's mean objective)
    bint fit_intercept
    bint check_signals


cdef inline double loss_value(int loss, double p, double y, double eps) noexcept nogil:
    """Loss of the margin (classifiers, y in {-1, +1}) or prediction p."""
    cdef double z, r
    if loss == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if loss == LOG_LOSS:
        z = p * y
        # log(1 + exp(-z)) without overflow; exp(-z) ~ log1p(exp(-z)) for large z
        if z > 18.0:
            return exp(-z)
        if z < -18.0:
            return -z
        return log(1.0 + exp(-z))
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
    """d loss / d p, the factor that multiplies x_i in the gradient g_i."""
    cdef double z, r
    if loss == SQUARED_ERROR:
        return p - y
    if loss == LOG_LOSS:
        z = p * y
        if z > 18.0:
            return -y * exp(-z)
        if z < -18.0:
            return -y
        return -y / (exp(z) + 1.0)
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


cdef inline double lazy_weight(double z, double sqrt_n, double inv_eta0, double beta,
                               double l1, double l2) noexcept nogil:
    # |z| <= lambda1 is the whole sparsity story: the weight is exactly zero.
    if fabs(z) <= l1:
        return 0.0
    return -(z - copysign(l1, z)) / ((beta + sqrt_n) * inv_eta0 + l2)


def ftrl_epoch(
    const cython.floating[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    const double[::1] y,
    const double[::1] sample_weight,
    const int64_t[::1] order,
    double[:, ::1] zn,
    double[::1] intercept_zn,
    double[:, ::1] scratch,
    Hyper hp,
    int64_t t0,
):
    """Run Algorithm 1 once over the rows ``order``, updating ``zn`` and ``intercept_zn``.

    ``scratch`` holds at least the longest row's worth of ``(w_i, sqrt(n_i))``.
    An empty ``order`` means every row in storage order (saves allocating ``arange``).
    Returns ``(sum of sample-weighted progressive losses, rows visited)``; fewer
    rows than ``len(order)`` only when ``hp.check_signals`` and Ctrl-C was hit.
    """
    cdef:
        bint in_order = order.shape[0] == 0
        int64_t n_rows = indptr.shape[0] - 1 if in_order else order.shape[0]
        int64_t r, row, ahead, k, start, end, length
        int64_t t = t0
        double inv_eta0 = 1.0 / hp.eta0
        double beta = hp.beta
        double l1 = hp.l1
        double l2 = hp.l2
        double p, g, gi, w, w0, sq0, n_new, sqrt_new, loss_sum = 0.0
        bint interrupted = False
        # raw pointers: the loop is bound by memory access, keep the address arithmetic minimal
        double *state = &zn[0, 0]
        double *slot
        double *buf = &scratch[0, 0]
        const cython.floating *x
        const index_t *cols

    with nogil:
        for r in range(n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    if PyErr_CheckSignals() != 0:
                        interrupted = True
                if interrupted:
                    break
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                for k in range(indptr[ahead], indptr[ahead + 1]):
                    sr_prefetch(state + 2 * indices[k])

            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            x = &data[0] + start
            cols = &indices[0] + start
            t += 1
            if hp.mean_scaled:
                l1 = hp.l1 * t
                l2 = hp.l2 * t

            # predict with the weights computed lazily from (z, n)
            w0 = 0.0
            sq0 = 0.0
            if hp.fit_intercept:
                sq0 = sqrt(intercept_zn[1])
                w0 = -intercept_zn[0] / ((beta + sq0) * inv_eta0)
            p = w0
            for k in range(length):
                slot = state + 2 * cols[k]
                buf[2 * k + 1] = sqrt(slot[1])
                w = lazy_weight(slot[0], buf[2 * k + 1], inv_eta0, beta, l1, l2)
                buf[2 * k] = w
                p += w * x[k]

            loss_sum += sample_weight[row] * loss_value(hp.loss, p, y[row], hp.epsilon)
            g = sample_weight[row] * loss_derivative(hp.loss, p, y[row], hp.epsilon)
            if g == 0.0:
                continue  # g_i = 0 and sigma_i = 0: the update would leave (z, n) as is

            for k in range(length):
                slot = state + 2 * cols[k]
                gi = g * x[k]
                n_new = slot[1] + gi * gi
                sqrt_new = sqrt(n_new)
                slot[0] += gi - (sqrt_new - buf[2 * k + 1]) * inv_eta0 * buf[2 * k]
                slot[1] = n_new
            if hp.fit_intercept:
                n_new = intercept_zn[1] + g * g
                sqrt_new = sqrt(n_new)
                intercept_zn[0] += g - (sqrt_new - sq0) * inv_eta0 * w0
                intercept_zn[1] = n_new
    return loss_sum, t - t0


def lazy_weights(
    const double[:, ::1] zn,
    cython.floating[::1] out,
    double eta0,
    double beta,
    double l1,
    double l2,
):
    """Write the weights that the state ``zn`` stands for into ``out``; return the non-zero count."""
    cdef:
        int64_t j, n_features = zn.shape[0], nnz = 0
        double inv_eta0 = 1.0 / eta0
        double w
    with nogil:
        for j in range(n_features):
            w = lazy_weight(zn[j, 0], sqrt(zn[j, 1]), inv_eta0, beta, l1, l2)
            out[j] = <cython.floating>w
            nnz += w != 0.0
    return nnz


def count_nonzero_weights(const double[:, ::1] zn, double l1):
    """Number of coordinates whose weight is non-zero, ``|z_j| > l1``, without writing them."""
    cdef int64_t j, nnz = 0
    with nogil:
        for j in range(zn.shape[0]):
            nnz += fabs(zn[j, 0]) > l1
    return nnz


def csr_summary(const index_t[::1] indices, const index_t[::1] indptr):
    """One pass over a CSR matrix's index arrays for the validation done in Python.

    ``indptr`` must have at least one entry (checked by the caller first). Returns
    ``(indptr_ok, min_index, max_index, strictly_sorted, longest_row)``: ``indptr_ok``
    when it never decreases nor points past ``indices``; ``strictly_sorted`` when
    every row's indices increase (so no row repeats a column).
    """
    cdef:
        int64_t r, k, start, end, n_rows = indptr.shape[0] - 1, nnz = indices.shape[0]
        int64_t lo = 0, hi = -1, longest = 0, previous, current
        bint indptr_ok = True, sorted_rows = True
    if nnz > 0:
        lo = hi = indices[0]
    with nogil:
        for r in range(n_rows):
            start = indptr[r]
            end = indptr[r + 1]
            if start < 0 or end < start or end > nnz:
                indptr_ok = False
                break
            if end - start > longest:
                longest = end - start
            previous = -1
            for k in range(start, end):
                current = indices[k]
                lo = current if current < lo else lo
                hi = current if current > hi else hi
                sorted_rows &= current > previous
                previous = current
    return indptr_ok, lo, hi, sorted_rows, longest
