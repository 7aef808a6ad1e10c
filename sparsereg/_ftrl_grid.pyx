# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Many models of one column side by side, in one pass over the rows: the grid of one-pass
model selection (``grid_epoch``: models that differ in eta0, lambda1, lambda2) and softmax
(``softmax_epoch``: a model per class). The same Algorithm 1 as ``sparsereg._ftrl_fast``, whose
declarations (``_ftrl_fast.pxd``) both modules compile; the callers are
``sparsereg.model_selection`` and ``sparsereg._softmax``, which validate every array.
"""

from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport INFINITY, copysign, exp, fabs, log, sqrt
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint64_t

cimport cython

from sparsereg._ftrl_fast cimport (
    DENSE_STORE, DONE, EMPTY, Hyper, LOG_LOSS, PREFETCH_ROWS, SIGNAL_CHECK_ROWS, SQUARED_ERROR,
    Store, TABLE_FULL, TABLE_STORE, X_CHANGED, ftrl_update, index_t, key_of, lazy_weight,
    loss_and_derivative, mix64, prefetch_shuffled, probe_wide, sr_prefetch, weight_survives,
    none_underflow,
)


cdef extern from "_grid_models.h" nogil:
    void sr_grid_predict(int64_t M, const double *zn, const double *roots, double x,
                         const double *lam1, const double *lam2, const double *inv_eta0,
                         double beta, double *bw, double *p)
    void sr_grid_update(int64_t M, double *zn, double *roots, double x, const double *g,
                        const double *bw, const double *inv_eta0)
    void sr_grid_roots(int64_t M, int64_t rows, int64_t width, int64_t n_at, const double *zn,
                       double *roots)
    void sr_grid_intercept(int64_t M, const double *zn, double beta, const double *inv_eta0,
                           double *bw, double *p)
    bint sr_grid_squared_error(int64_t M, const double *p, double y, double weight,
                               double *loss_sum, double *loss_squares, double *g)
    bint sr_grid_log_loss(int64_t M, const double *p, double y, double weight, const double *e,
                          double *loss_sum, double *loss_squares, double *g)



# ---------------------------------------------------------------------------------------
# Softmax (multinomial) FTRL: one (z, n) per class per coordinate, a column's classes
# contiguous. Dense store: row ``j`` of the state is ``(z_0, n_0, ..., z_K-1, n_K-1)`` of
# column ``j`` (``2 K`` numbers). Table store: row ``s`` is ``(column, z_0, n_0, ...)``
# (``1 + 2 K`` numbers), the column's int64 bits first (``EMPTY`` when free), probed as the
# one-model table. The intercepts are ``intercept_zn[k] = (z, n)`` of class ``k``. Every
# column that occurs in a row whose gradient is not zero enters the table (no inclusion).

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
    int64_t n_features,
):
    """Softmax FTRL-Proximal over the rows ``order[start_row:]``, the state updated in place.

    Called only by ``sparsereg._epoch.run_softmax_epoch``, which validates and sizes every
    array. ``K = intercept_zn.shape[0]`` classes; ``y`` holds each row's class index in
    ``[0, K)``; ``zn`` is laid out as the section's comment says; ``table = [columns held,
    most columns allowed]`` (table store); ``scratch`` holds at least the longest row's worth
    of ``2 K`` numbers ``(w, sqrt(n))`` per class, ``classes_buf`` is ``(4, K)`` (margins,
    intercept weights, their ``sqrt(n)``, gradients) and ``slots`` the longest row's table
    rows. An empty ``order`` means every row in storage order; an empty ``sample_weight``
    every weight 1; ``t0`` the samples seen before ``order[0]``; ``n_features`` X's width
    (the table store's bound on a column).

    Per row: margins ``m_k = w0_k + sum_i w_ik x_i`` from the lazy weights, ``p = softmax(m)``
    (the largest margin subtracted first), gradient ``g_k = weight (p_k - [y = k])``, and
    Algorithm 1's update of each class's ``(z, n)`` with ``g_k x_i``. Returns ``(sum of the
    sample-weighted progressive losses -log p_y, next row, status)``, the status ``DONE``,
    ``TABLE_FULL`` or ``X_CHANGED`` (``ftrl_epoch``'s; nothing of the next row was applied).
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
        # (ftrl_epoch's checks: another thread may write to X while the GIL is let go; the
        # dense store's columns are checked and read once, into where)
        int64_t nnz = min(indices.shape[0], data.shape[0])
        int64_t longest = min(slots.shape[0], scratch.shape[0])
        uint64_t n_cols = <uint64_t>zn.shape[0]
        int64_t begin, end, column
        bint changed

    if scratch.shape[1] < 2 * K:
        raise ValueError("scratch needs 2 K numbers a non-zero")  # a backstop
    with nogil:
        for r in range(start_row, n_rows):
            if hp.check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()  # raises KeyboardInterrupt on Ctrl-C
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            if start < 0 or length < 0 or length > longest or start > nnz - length:
                status = X_CHANGED
                break
            if in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                # (y holds int64 class numbers: 8 bytes each, as a double's)
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], <const double *>&y[0],
                                  &sample_weight[0], weighted, &order[0], r, n_rows, nnz)
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                begin = indptr[ahead]
                end = indptr[ahead + 1]
                if not 0 <= begin <= end <= nnz:
                    end = begin  # (its own row checks it)
                for j in range(begin, end):
                    if in_table:
                        sr_prefetch(state + width * (mix64(<uint64_t>indices[j]) & mask))
                    else:
                        sr_prefetch(state + width * indices[j])
            x = &data[0] + start
            cols = &indices[0] + start
            if not in_table:
                changed = False
                for j in range(length):
                    where[j] = cols[j]
                    changed |= <uint64_t>where[j] >= n_cols
                if changed:
                    status = X_CHANGED
                    break
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
                    column = cols[j]  # (read once: checked, then kept in where)
                    if <uint64_t>column >= <uint64_t>n_features:
                        status = X_CHANGED
                        break
                    s = probe_wide(state, mask, width, column)
                    if key_of(state + width * s) == EMPTY:
                        where[j] = ~column  # not held: every weight 0, every sqrt(n) 0
                        for c in range(2 * K):
                            buf[2 * K * j + c] = 0.0
                        continue
                    where[j] = s
                    base = state + width * s + zn_at
                else:
                    base = state + width * where[j]
                xv = x[j]
                for c in range(K):
                    sq = sqrt(base[2 * c + 1])
                    w = lazy_weight(base[2 * c], sq, inv_eta0, beta, l1, l2)
                    buf[2 * K * j + 2 * c] = w
                    buf[2 * K * j + 2 * c + 1] = sq
                    margin[c] += w * xv
            if status != DONE:
                break
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
                        if x[j] == 0.0:
                            continue  # a stored zero: no occurrence, not held (update_sparse)
                        column = ~s  # (the column checked in the prediction)
                        s = probe_wide(state, mask, width, column)
                        (<int64_t *>(state + width * s))[0] = column
                        table[0] += 1
                    base = state + width * s + zn_at
                else:
                    base = state + width * where[j]
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
    before its update, from the state laid out as it reads it, without training. Returns
    ``DONE``, or ``X_CHANGED`` (``ftrl_epoch``'s: a row's extent or a column out of bounds
    as read; ``out`` then means nothing)."""
    cdef:
        int64_t K = intercept_zn.shape[0]
        int64_t width = 2 * K if store == DENSE_STORE else 1 + 2 * K
        int64_t zn_at = 0 if store == DENSE_STORE else 1
        int64_t i, j, c, s, start, end, column, n_rows = indptr.shape[0] - 1
        int64_t nnz = min(indices.shape[0], data.shape[0])
        uint64_t n_cols = <uint64_t>zn.shape[0]
        uint64_t mask = <uint64_t>zn.shape[0] - 1
        double inv_eta0 = 1.0 / eta0
        double xv
        bint in_table = store == TABLE_STORE
        const double *state = &zn[0, 0]
        const double *base
        int status = DONE
    if out.shape[0] < n_rows or out.shape[1] < K:
        raise ValueError("out needs a row per row of X and a column per class")  # a backstop
    with nogil:
        for i in range(n_rows):
            for c in range(K):
                out[i, c] = 0.0
                if fit_intercept:
                    out[i, c] = -intercept_zn[c, 0] / ((beta + sqrt(intercept_zn[c, 1])) * inv_eta0)
            start = indptr[i]
            end = indptr[i + 1]
            if not 0 <= start <= end <= nnz:
                status = X_CHANGED
                break
            for j in range(start, end):
                column = indices[j]  # (read once: checked, then used)
                if in_table:
                    s = probe_wide(state, mask, width, column)
                    if key_of(state + width * s) == EMPTY:
                        continue
                    base = state + width * s + zn_at
                elif <uint64_t>column < n_cols:
                    base = state + width * column
                else:
                    status = X_CHANGED
                    break
                xv = data[j]
                for c in range(K):
                    out[i, c] += lazy_weight(base[2 * c], sqrt(base[2 * c + 1]), inv_eta0, beta,
                                             l1, l2) * xv
            if status != DONE:
                break
    return status


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
    double[:, ::1] roots,
    double[::1] loss_sum,
    double[::1] loss_squares,
    int64_t t0,
    int64_t start_row,
    int64_t n_features,
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
    of ``zn``; ``models``: ``(GRID_COLUMNS, M)``; ``roots``: ``(zn.shape[0], M)``, in which
    the call keeps every model's ``sqrt(n)`` of each row of ``zn`` (computed at its start)
    from the update that writes ``n`` to the next prediction that reads it (the same numbers:
    one square root per model and non-zero less), or ``(0, M)``: each computed where read.
    ``y``, ``sample_weight``, ``order``, ``one_vs_rest``, ``positive``, ``t0`` as for
    ``ftrl_epoch``; ``n_features`` X's width (the table store's bound on a column).

    Each row is scored by every model, its loss times its weight added to ``loss_sum[m]``
    and its squared loss times its weight to ``loss_squares[m]``, then, with ``train``,
    every model is updated
    from it. Without ``train`` nothing is updated and every row is scored with the
    lambdas after ``t0`` samples (a holdout scored by the models as they stand).

    Returns ``(next row, status)``, the status ``DONE``, ``TABLE_FULL`` (table store: no
    room for the next row's columns; nothing of it was applied) or ``X_CHANGED``
    (``ftrl_epoch``'s).
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
        double target, weight, dloss, lv, lone
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
        # (ftrl_epoch's checks: another thread may write to X while the GIL is let go; a
        # column is checked before its row in ``rows`` is read)
        int64_t nnz = min(indices.shape[0], data.shape[0])
        int64_t longest = min(slots.shape[0], scratch.shape[0])
        uint64_t n_cols = <uint64_t>rows.shape[0]
        int64_t begin, end, column
        bint kept = roots.shape[0] > 0
        double *root_rows = &roots[0, 0] if kept else NULL

    if scratch.shape[1] < 2 * n_models:
        raise ValueError("scratch needs 2 M numbers a non-zero")  # a backstop
    if kept and (roots.shape[0] != zn.shape[0] or roots.shape[1] != n_models):
        raise ValueError("roots needs a row of M numbers per row of zn")  # a backstop
    with nogil:
        if kept:
            sr_grid_roots(n_models, zn.shape[0], width, offset + n_models, state, root_rows)
        for r in range(start_row, n_rows):
            if check_signals and r % SIGNAL_CHECK_ROWS == SIGNAL_CHECK_ROWS - 1:
                with gil:
                    PyErr_CheckSignals()
            row = r if in_order else order[r]
            start = indptr[row]
            length = indptr[row + 1] - start
            if start < 0 or length < 0 or length > longest or start > nnz - length:
                status = X_CHANGED
                break
            if train and in_table and table[0] + length > table[1]:
                status = TABLE_FULL
                break
            if not in_order:
                prefetch_shuffled(&data[0], &indices[0], &indptr[0], &y[0], &sample_weight[0],
                                  weighted, &order[0], r, n_rows, nnz)
            if not in_table and r + 2 * PREFETCH_ROWS < n_rows:
                # the dense store's row numbers, read by the prefetch below two rows later
                ahead = r + 2 * PREFETCH_ROWS if in_order else order[r + 2 * PREFETCH_ROWS]
                begin = indptr[ahead]
                end = indptr[ahead + 1]
                if 0 <= begin <= end <= nnz:
                    for k in range(begin, end):
                        sr_prefetch(row_of + indices[k])
            if r + PREFETCH_ROWS < n_rows:
                ahead = r + PREFETCH_ROWS if in_order else order[r + PREFETCH_ROWS]
                begin = indptr[ahead]
                end = indptr[ahead + 1]
                if not 0 <= begin <= end <= nnz:
                    end = begin  # (its own row checks it)
                for k in range(begin, end, 8):  # shuffled rows: X's values
                    sr_prefetch(&data[0] + k)
                for k in range(begin, end):
                    if in_table:
                        slot = state + width * (mix64(<uint64_t>indices[k]) & mask)
                    else:
                        column = indices[k]  # (read once: checked, then used)
                        if <uint64_t>column >= n_cols:
                            continue
                        slot = state + width * row_of[column]
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
                    column = cols[k]  # (read once: checked, then kept in where)
                    if <uint64_t>column >= <uint64_t>n_features:
                        status = X_CHANGED
                        break
                    s = probe_wide(state, mask, width, column)
                    if key_of(state + width * s) == EMPTY:
                        s = ~column  # not held (negative): update inserts this column
                else:
                    column = cols[k]  # (read once: checked, then used)
                    # (every column of X was given a row before the call: one without is a
                    # column another thread wrote since, as is one past the width)
                    if <uint64_t>column >= n_cols or row_of[column] < 0:
                        status = X_CHANGED
                        break
                    s = row_of[column]
                where[k] = s
                if s < 0:  # not held: weight 0, sqrt(n) 0 in every model
                    for m in range(2 * n_models):
                        bw[m] = 0.0
                    continue
                sr_grid_predict(n_models, state + width * s + offset,
                                root_rows + n_models * s if kept else NULL, x[k], lam1, lam2,
                                ie, beta, bw, p)
            if status != DONE:
                break

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
                    lone = loss_and_derivative(loss, p[m], target, epsilon, &dloss)
                    lv = weight * lone
                    loss_sum[m] += lv
                    loss_squares[m] += lv * lone
                    g[m] = weight * dloss
                    if g[m] != 0.0:
                        any_gradient = True
            if not train or not any_gradient:
                continue

            # update: every model with a gradient, in the same row (ftrl_update's arithmetic)
            for k in range(length):
                s = where[k]
                if in_table and s < 0:  # the column enters the table (dense: every column has a row)
                    if x[k] == 0.0:
                        continue  # a stored zero: no occurrence, not held (update_sparse)
                    column = ~s  # (the column checked in the prediction)
                    s = probe_wide(state, mask, width, column)
                    (<int64_t *>(state + width * s))[0] = column
                    table[0] += 1
                sr_grid_update(n_models, state + width * s + offset,
                               root_rows + n_models * s if kept else NULL, x[k], g,
                               buf + 2 * n_models * k, ie)
            if fit_intercept:
                sr_grid_update(n_models, intercepts, NULL, 1.0, g, w0, ie)
        else:
            r = n_rows
    return r, status


def grid_count_nonzero(const double[:, ::1] zn, int64_t n_rows, int64_t offset,
                       const double[::1] lambda1, const double[::1] inv_eta0,
                       const double[::1] lambda2, double beta, bint single,
                       double[::1] least_excess, double[::1] largest_n, int64_t[::1] counts):
    """Write into ``counts[m]`` (zeros given) the rows among the first ``n_rows`` of a
    grid's ``zn`` whose model ``m`` has a non-zero weight (``z`` at ``offset + m``, ``n`` at
    ``offset + M + m``), as the single estimator's ``coef_`` holds it in float64 or, with
    ``single``, float32 (``count_nonzero_weights``'s two passes; ``least_excess`` and
    ``largest_n``, one number per model, are the first pass's, given as inf and 0)."""
    cdef:
        int64_t r, m
        int64_t n_models = lambda1.shape[0]
        double excess, n
    with nogil:
        for r in range(n_rows):  # without a branch, as count_nonzero_weights
            for m in range(n_models):
                excess = fabs(zn[r, offset + m]) - lambda1[m]
                n = zn[r, offset + n_models + m]
                counts[m] += excess > 0.0
                excess = excess if excess > 0.0 else INFINITY
                least_excess[m] = excess if excess < least_excess[m] else least_excess[m]
                largest_n[m] = n if n > largest_n[m] else largest_n[m]
        for m in range(n_models):
            if counts[m] == 0 or none_underflow(least_excess[m], largest_n[m], inv_eta0[m],
                                                 beta, lambda2[m], single):
                continue
            counts[m] = 0
            for r in range(n_rows):
                counts[m] += weight_survives(zn[r, offset + m], zn[r, offset + n_models + m],
                                             inv_eta0[m], beta, lambda1[m], lambda2[m], single)
