# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Scoring CSR rows with a model's weights or state, and the walks of X that the validation
in Python asks for: ``csr_predict`` (the fused checks and scores of the per-call paths),
``linear_scores``, ``state_scores``, the index and value summaries, dense-to-CSR. Nothing here
trains; it shares ``_ftrl_fast.pxd``'s declarations (the state's layout and its lazy weights)
with the epochs.
"""

from libc.math cimport copysign, exp, fabs, log, sqrt
from libc.stdint cimport INT32_MAX, int16_t, int32_t, int64_t, uint8_t, uint64_t

cimport cython
cimport numpy as cnp
import numpy as np

cnp.import_array()

from sparsereg._ftrl_fast cimport (
    DENSE_SLOT, DONE, EMPTY, PREFETCH_ROWS, Store, TABLE_SLOT, TABLE_STORE, X_CHANGED, index_t,
    checked_columns, mix64, predict_dense, predict_sparse, sr_prefetch, weight_t,
)


cdef extern from "_csr_checks.h" nogil:
    double sr_largest_magnitude_f64(const double *x, int64_t n)
    double sr_largest_magnitude_f32(const float *x, int64_t n)
    bint sr_index_summary_i32(const int32_t *indptr, int64_t n_rows, const int32_t *ix,
                              int64_t nnz, int64_t *out)
    bint sr_index_summary_i64(const int64_t *indptr, int64_t n_rows, const int64_t *ix,
                              int64_t nnz, int64_t *out)



cdef extern from "_dense_nonzeros.h" nogil:
    int64_t sr_dense_counts_f64(const double *X, int64_t n_rows, int64_t n_cols,
                                int64_t *indptr)
    int64_t sr_dense_counts_f32(const float *X, int64_t n_rows, int64_t n_cols,
                                int64_t *indptr)
    int sr_dense_copy_f64_i64(const double *X, int64_t n_rows, int64_t n_cols,
                              const int64_t *indptr, int64_t *indices, double *data)
    int sr_dense_copy_f64_i32(const double *X, int64_t n_rows, int64_t n_cols,
                              const int64_t *indptr, int32_t *indices, double *data)
    int sr_dense_copy_f32_i64(const float *X, int64_t n_rows, int64_t n_cols,
                              const int64_t *indptr, int64_t *indices, float *data)
    int sr_dense_copy_f32_i32(const float *X, int64_t n_rows, int64_t n_cols,
                              const int64_t *indptr, int32_t *indices, float *data)


cdef enum:  # csr_predict's answers
    NOT_PLAIN = 0
    PLAIN = 1
    PLAIN_NAN = 2
# (for Python)
CSR_NOT_PLAIN, CSR_PLAIN, CSR_PLAIN_NAN = NOT_PLAIN, PLAIN, PLAIN_NAN


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
        int64_t i, k, m, column, start, end, n_models = weights.shape[1]
        int64_t n_listed = columns.shape[0], n_weight_rows = weights.shape[0]
        int64_t nnz = min(indices.shape[0], data.shape[0])
        double acc
        bint changed = False
    if row_end < 0:
        row_end = indptr.shape[0] - 1
    if not 0 <= row_begin <= row_end <= indptr.shape[0] - 1 or out.shape[0] < row_end:
        raise ValueError("row range out of bounds")
    # X was validated before, but another thread may write to it meanwhile: each row's
    # bounds are read once and each column checked before its weight is read (never a read
    # out of bounds)
    with nogil:
        for i in range(row_begin, row_end):
            start = indptr[i]
            end = indptr[i + 1]
            if start < 0 or end < start or end > nnz:
                changed = True
                break
            for m in range(n_models):
                acc = 0.0
                for k in range(start, end):
                    column = indices[k]
                    if listed:
                        column = listed_row(&columns[0], n_listed, column)
                        if column < 0:
                            continue
                    elif column < 0 or column >= n_weight_rows:
                        changed = True
                        break
                    acc += data[k] * <double>weights[column, m]
                if changed:
                    break
                out[i, m] = acc
            if changed:
                break
    if changed:
        raise ValueError("X changed while it was scored (another thread wrote to it)")



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

cdef int dense_scores(const cython.floating *data, const index_t *indices,
                      const index_t *indptr, int64_t nnz, int64_t n_cols, const weight_t *w,
                      double intercept, double *out, int64_t out_stride, bint logistic_pair,
                      int64_t row_begin, int64_t row_end) noexcept nogil:
    """``csr_predict`` for one model whose weights are one per column (``w[j]``, column
    ``j``'s): the same sums in the same order and the same checks, with fewer instructions
    per non-zero (scoring rows already in the cache, the general loop took 1.5x as long).
    Each column is checked before its weight is read. A value's check waits for the row's
    end: a NaN or infinite value makes the sum NaN or infinite (``x * w`` is then NaN or
    infinite whatever ``w``, and a sum stays so), so only the values of a row whose sum is
    not finite are read again. Returns ``csr_predict``'s code."""
    cdef:
        int64_t i, k, start, end, ahead, column, a0, a1, previous
        double acc, p
        int code = PLAIN
    for i in range(row_begin, row_end):
        start = indptr[i]
        end = indptr[i + 1]
        if start < 0 or end < start or end > nnz:  # (start: the first row of a block)
            return NOT_PLAIN
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
                return NOT_PLAIN
            previous = column
            acc += data[k] * <double>w[column]
        if not fabs(acc) <= 1.7976931348623157e308:  # a value, or only the sum, not finite
            for k in range(start, end):
                if not fabs(<double>data[k]) <= 1.7976931348623157e308:
                    return NOT_PLAIN
        acc = acc + intercept
        if acc != acc:  # (+inf and -inf met in the row, or the row's sum and the intercept)
            code = PLAIN_NAN
        if logistic_pair:
            p = 1.0 / (1.0 + exp(-acc))
            out[i * out_stride + 1] = p
            out[i * out_stride] = 1.0 - p
        else:
            out[i * out_stride] = acc
    return code


def csr_predict(const cython.floating[::1] data, const index_t[::1] indices,
                const index_t[::1] indptr, int64_t n_cols, const int64_t[::1] columns,
                bint listed, const int64_t[:, ::1] column_index,
                const weight_t[:, ::1] weights, const double[::1] intercept,
                double[:, ::1] out, bint logistic_pair,
                int64_t row_begin=0, int64_t row_end=-1):
    """:func:`linear_scores` plus the intercept, checking on the way what ``csr_summary``
    checks; returns ``NOT_PLAIN`` (0) when the matrix was not plain (``out`` then means
    nothing and the caller runs the full checks), else ``PLAIN`` (1), or ``PLAIN_NAN`` (2)
    when a score is NaN (the products of a row overflowed to ``+inf`` and ``-inf``). Only
    rows ``row_begin`` to ``row_end`` (all by default) are checked and scored, so that
    contiguous row blocks can be run in several threads.

    ``out[i, m]`` is row ``i``'s score for model ``m``, the same sum as ``linear_scores``
    plus ``intercept[m]``; with ``logistic_pair`` (one model) it is the pair
    ``(1 - p, p)``, ``p = 1 / (1 + exp(-score))``, which is ``scipy.special.expit``'s
    formula. With ``listed``, a column's row of ``weights`` is looked up in
    ``column_index`` (:func:`build_column_index` of ``columns``), or found by binary search
    in ``columns`` when ``column_index`` has a single row. The weights (or index rows) of
    the rows ahead are prefetched.
    """
    cdef:
        int64_t i, k, m, column, previous, start, end, ahead, a0, a1
        int64_t n_models = weights.shape[1], n_listed = columns.shape[0]
        int64_t nnz = indices.shape[0], n_rows = indptr.shape[0] - 1
        uint64_t mask = <uint64_t>column_index.shape[0] - 1
        bint indexed = column_index.shape[0] > 1
        int64_t s, key
        double acc, p, v
        bint plain = True
        int code = PLAIN
    if n_rows < 0 or data.shape[0] != nnz or indptr[0] != 0 or indptr[n_rows] != nnz:
        return NOT_PLAIN
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
            code = dense_scores(&data[0] if nnz else NULL, &indices[0] if nnz else NULL,
                                &indptr[0], nnz, n_cols, &weights[0, 0], intercept[0],
                                &out[0, 0], out.shape[1], logistic_pair, row_begin, row_end)
        return code
    with nogil:
        for i in range(row_begin, row_end):
            start = indptr[i]
            end = indptr[i + 1]
            if start < 0 or end < start or end > nnz:  # (start: the first row of a block)
                plain = False
                break
            if i + PREFETCH_ROWS < row_end:
                ahead = i + PREFETCH_ROWS
                a0 = indptr[ahead]  # (each read once: checked, then used)
                a1 = indptr[ahead + 1]
                if 0 <= a0 <= a1 <= nnz:
                    for k in range(a0, a1):
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
                if acc != acc:
                    code = PLAIN_NAN
                if logistic_pair:
                    p = 1.0 / (1.0 + exp(-acc))
                    out[i, 1] = p
                    out[i, 0] = 1.0 - p
                else:
                    out[i, m] = acc
            if not plain:
                break
    return code if plain else NOT_PLAIN


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

INDICES_INT32_WHERE_THEY_FIT = 0  # dense_nonzeros' index_bytes: scipy's choice


def dense_nonzeros(const cython.floating[:, ::1] X, int index_bytes):
    """``(data, indices, indptr)``: the CSR arrays of the entries of ``X`` that are not 0
    (NaN is not 0, as for scipy), row by row in column order: ``scipy.sparse.csr_matrix(X)``'s
    arrays, ``indptr`` int64; the indices int64 (``index_bytes`` 8), int32 (4: the caller
    knows that they fit) or, for ``INDICES_INT32_WHERE_THEY_FIT``, int32 if the non-zeros and
    the columns are at most 2**31 - 1. ``ValueError`` if ``X`` changed between the count and
    the copy (another thread wrote to it)."""
    cdef:
        int64_t n_rows = X.shape[0], n_columns = X.shape[1], nnz = 0
        int copied = 1
        bint int64_indices
        cnp.ndarray indptr = np.zeros(n_rows + 1, dtype=np.int64)
        cnp.ndarray indices, data
        int64_t *pointers = <int64_t *>cnp.PyArray_DATA(indptr)
        void *columns
        void *values
    if n_rows and n_columns:
        with nogil:
            if cython.floating is double:
                nnz = sr_dense_counts_f64(&X[0, 0], n_rows, n_columns, pointers)
            else:
                nnz = sr_dense_counts_f32(&X[0, 0], n_rows, n_columns, pointers)
    if index_bytes == INDICES_INT32_WHERE_THEY_FIT:
        int64_indices = max(nnz, n_columns) > INT32_MAX
    elif index_bytes == 4 or index_bytes == 8:
        int64_indices = index_bytes == 8
    else:
        raise ValueError(f"index_bytes must be 0, 4 or 8; got {index_bytes}")
    data = np.empty(nnz, dtype=np.float64 if cython.floating is double else np.float32)
    indices = np.empty(nnz, dtype=np.int64 if int64_indices else np.int32)
    if nnz:
        columns, values = cnp.PyArray_DATA(indices), cnp.PyArray_DATA(data)
        with nogil:
            if cython.floating is double:
                if int64_indices:
                    copied = sr_dense_copy_f64_i64(&X[0, 0], n_rows, n_columns, pointers,
                                                   <int64_t *>columns, <double *>values)
                else:
                    copied = sr_dense_copy_f64_i32(&X[0, 0], n_rows, n_columns, pointers,
                                                   <int32_t *>columns, <double *>values)
            else:
                if int64_indices:
                    copied = sr_dense_copy_f32_i64(&X[0, 0], n_rows, n_columns, pointers,
                                                   <int64_t *>columns, <float *>values)
                else:
                    copied = sr_dense_copy_f32_i32(&X[0, 0], n_rows, n_columns, pointers,
                                                   <int32_t *>columns, <float *>values)
    if not copied:
        raise ValueError("X changed while its non-zeros were read (another thread wrote to it)")
    return data, indices, indptr


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
    int64_t n_features,
):
    """``out[i] = w0 + w.x_i`` for the CSR rows ``i``, the weights computed lazily from
    one model's state (``ftrl_epoch``'s layout and prediction, without an update).

    Reads only the rows' columns, so scoring a batch costs its non-zeros, not the width.
    ``scratch`` and ``slots`` hold at least the longest row's worth, as for ``ftrl_epoch``.
    Returns ``DONE``, or ``X_CHANGED`` (``ftrl_epoch``'s checks: a row's extent or, in the
    dense store, a column out of bounds as read; ``out`` then means nothing).
    """
    cdef:
        int64_t i, k, start, length, begin, end, n_rows = indptr.shape[0] - 1
        int64_t nnz = min(indices.shape[0], data.shape[0])
        int64_t longest = min(scratch.shape[0], slots.shape[0])
        uint64_t n_cols = <uint64_t>zn.shape[0]
        bint changed
        int status = DONE
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double inv_eta0 = 1.0 / eta0
        double w0 = 0.0
        const double *state = &zn[0, 0]
        const double *slot
        double *buf = &scratch[0, 0]
        int64_t *where = &slots[0]
        bint in_table = store == TABLE_STORE
    if out.shape[0] < n_rows:
        raise ValueError("out needs a number per row of X")  # a backstop
    if fit_intercept:
        w0 = -intercept_zn[0] / ((beta + sqrt(intercept_zn[1])) * inv_eta0)
    with nogil:
        for i in range(n_rows):
            if i + PREFETCH_ROWS < n_rows:  # the loop waits on memory: ask for rows ahead
                begin = indptr[i + PREFETCH_ROWS]
                end = indptr[i + PREFETCH_ROWS + 1]
                if not 0 <= begin <= end <= nnz:
                    end = begin  # (its own row checks it)
                for k in range(begin, end):
                    if in_table:
                        slot = state + TABLE_SLOT * (mix64(<uint64_t>indices[k]) & mask)
                        sr_prefetch(slot)
                        sr_prefetch(slot + TABLE_SLOT - 1)
                    else:
                        sr_prefetch(state + DENSE_SLOT * <int64_t>indices[k])
            start = indptr[i]
            length = indptr[i + 1] - start
            if start < 0 or length < 0 or length > longest or start > nnz - length:
                status = X_CHANGED
                break
            if in_table:
                changed = False
                out[i] = predict_sparse(state, mask, &indices[0] + start, &data[0] + start,
                                        length, buf, where, w0, inv_eta0, beta, l1, l2,
                                        <uint64_t>n_features, &changed)
                if changed:
                    status = X_CHANGED
                    break
            else:  # (ftrl_epoch's: the row's columns read once, checked, into where)
                changed = checked_columns(length, &indices[0] + start, n_cols, where)
                if changed:
                    status = X_CHANGED
                    break
                out[i] = predict_dense(state, where, &data[0] + start, length, buf, w0, inv_eta0,
                                       beta, l1, l2)
    return status

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
