/* The arithmetic of one CSR row's non-zeros on a dense store (``_ftrl_fast.ftrl_epoch``).
 *
 * The kernel gathers a row's (z_i, n_i) by column into contiguous arrays (a canonical CSR
 * row never repeats a column), and these loops then run as vector instructions, one
 * non-zero per lane: a row's divisions and square roots share a few vector instructions
 * instead of queueing one by one for the scalar divider. The operations and their order
 * per non-zero are those of ``lazy_weight`` and ``ftrl_update`` in ``_ftrl_fast.pxd``; IEEE
 * addition, multiplication, division and square root give the same bits in a vector lane
 * as in a scalar register (the module is built with -ffp-contract=off), so the model is the
 * scalar loop's to the bit. Explicit zeros of X are updated with g * 0, as the scalar loop
 * updates them.
 *
 * Compiled for AVX2 and the baseline with GCC on x86-64 glibc (target_clones: SR_GRID_CLONES,
 * _vector_clones.h); ``sr_dense_lanes_pay`` (``_dense_rows.h``) says whether the kernel
 * should call them.
 */
#ifndef SPARSEREG_CSR_ROWS_H
#define SPARSEREG_CSR_ROWS_H

#include <math.h>
#include <stdint.h>

#include "_vector_clones.h"

/* GCC if-converts the selection below into a vector blend only when comparisons may not
 * trap (they raise no exception the kernel reads: it reads no floating-point flags). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

/* A row's ``n`` columns copied to ``out`` as int64, each checked against ``n_cols``: returns
 * whether one was at or past it. X was checked before the kernel, but another thread may
 * write to it while the GIL is let go: the kernel reads each column once, here, and the
 * row's prediction and update use the copy (never a read or write out of the state). One
 * pass in vector lanes (a scalar loop in the kernel cost ~10 % of an epoch). */
#define SR_CHECKED_COLUMNS(name, index_type)                                                 \
    SR_GRID_CLONES static int name(int64_t n, const index_type *restrict cols,                \
                                   uint64_t n_cols, int64_t *restrict out)                   \
    {                                                                                         \
        uint64_t beyond = 0;                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                     \
            int64_t c = (int64_t)cols[k];                                                     \
            beyond |= (uint64_t)((uint64_t)c >= n_cols);                                      \
            out[k] = c;                                                                       \
        }                                                                                     \
        return beyond != 0;                                                                   \
    }
SR_CHECKED_COLUMNS(sr_checked_columns_i32, int32_t)
SR_CHECKED_COLUMNS(sr_checked_columns_i64, int64_t)

/* The weights of a row's ``n`` non-zeros ``x`` from their gathered state ``z``, ``nsum``:
 * ``roots`` = sqrt(n), ``w`` the lazy weights (``lazy_weight``: both sides of
 * ``|z| <= lambda1`` computed, one selected) and ``wx`` = w * x, which the kernel sums in
 * index order. */
SR_GRID_CLONES static void sr_csr_row_weights(int64_t n, const double *restrict x,
                                              double inv_eta0, double beta, double l1,
                                              double l2, const double *restrict z,
                                              const double *restrict nsum,
                                              double *restrict roots, double *restrict w,
                                              double *restrict wx)
{
    for (int64_t k = 0; k < n; k++) {
        double zk = z[k];
        double sq = sqrt(nsum[k]);
        double wk = -(zk - copysign(l1, zk)) / ((beta + sq) * inv_eta0 + l2);
        wk = fabs(zk) <= l1 ? 0.0 : wk; /* lazy_weight's test, NaN included */
        roots[k] = sq;
        w[k] = wk;
        wx[k] = wk * x[k];
    }
}

/* Algorithm 1's update of the gathered ``z``, ``nsum`` of a row's ``n`` non-zeros ``x`` by
 * the gradient factor ``g`` (``ftrl_update``), from the weights ``w`` and square roots
 * ``roots`` of the prediction. */
SR_GRID_CLONES static void sr_csr_row_update(int64_t n, double g, const double *restrict x,
                                             const double *restrict w,
                                             const double *restrict roots, double inv_eta0,
                                             double *restrict z, double *restrict nsum)
{
    for (int64_t k = 0; k < n; k++) {
        double gi = g * x[k];
        double n_new = nsum[k] + gi * gi;
        double sqrt_new = sqrt(n_new);
        z[k] = z[k] + (gi - (sqrt_new - roots[k]) * inv_eta0 * w[k]);
        nsum[k] = n_new;
    }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif /* SPARSEREG_CSR_ROWS_H */
