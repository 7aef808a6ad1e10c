/* The arithmetic of one dense row's columns (``_ftrl_fast.ftrl_epoch_dense``).
 *
 * The state of a few columns is kept as arrays (z_j, n_j and sqrt(n_j), each contiguous
 * over the columns) so that these loops run as vector instructions, one column per lane:
 * a row's divisions and square roots then share a few vector instructions instead of
 * queueing one by one for the scalar divider, which is what bounds the scalar loop on
 * narrow data. The operations and their order per column are those of ``lazy_weight``
 * (``_ftrl_fast.pxd``) and ``update_keep_sqrt`` (``_ftrl_fast.pyx``); IEEE addition,
 * multiplication, division and square root give the same bits in a vector lane as in a
 * scalar register (the module is built with -ffp-contract=off), so the model is the scalar
 * loop's to the bit.
 *
 * With GCC on x86-64 glibc each function is compiled for AVX2 and the baseline, and the
 * loader picks the widest the CPU has (target_clones: SR_GRID_CLONES, _vector_clones.h says
 * why not AVX-512); elsewhere, the baseline only. Vectors of 2 doubles (the baseline's SSE2)
 * compute every column of every row, zeros included, and lose to the scalar loop, which the
 * kernel then keeps: ``sr_dense_lanes_pay``.
 */
#ifndef SPARSEREG_DENSE_ROWS_H
#define SPARSEREG_DENSE_ROWS_H

#include <math.h>
#include <stdint.h>

#include "_vector_clones.h"

/* Whether sr_dense_row_step runs as vectors of at least 4 doubles: the CPU has AVX2, whose
 * clone the loader picks. */
static int sr_dense_lanes_pay(void)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

/* GCC if-converts the selections below into vector blends only when comparisons may not
 * trap (they raise no exception the kernel reads: it reads no floating-point flags). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

/* One step between two rows, over the ``n`` columns: if ``update``, Algorithm 1's update of
 * every column by the previous row ``xp`` (its weights ``wp``, gradient factor ``g``); then
 * the next row ``x``'s weights ``w`` from the state as updated, and ``wx`` = w * x.
 *
 * Columns where the row is 0 (-0.0 included) are left exactly as they are (not updated with
 * g * 0, which could turn z = -0.0 into +0.0), and get ``wx`` = -0.0, which added to any
 * number gives that number's bits: the margin, summed over ``wx`` in column order, is the
 * sum over the row's non-zeros that CSR gives. Both sides of ``|z| <= lambda1`` are computed
 * and one selected (no branch per column). */
SR_GRID_CLONES static void sr_dense_row_step(int64_t n, int update, double g,
                                             const double *restrict xp,
                                             const double *restrict wp,
                                             const double *restrict x, double inv_eta0,
                                             double beta, double l1, double l2,
                                             double *restrict z, double *restrict nsum,
                                             double *restrict roots, double *restrict w,
                                             double *restrict wx)
{
    if (update) {
        for (int64_t j = 0; j < n; j++) {
            double gi = g * xp[j];
            double n_new = nsum[j] + gi * gi;
            double sqrt_new = sqrt(n_new);
            double z_new = z[j] + (gi - (sqrt_new - roots[j]) * inv_eta0 * wp[j]);
            int keep = xp[j] == 0.0;
            double zj = keep ? z[j] : z_new;
            double sq = keep ? roots[j] : sqrt_new;
            nsum[j] = keep ? nsum[j] : n_new;
            z[j] = zj;
            roots[j] = sq;
            double wj = -(zj - copysign(l1, zj)) / ((beta + sq) * inv_eta0 + l2);
            wj = fabs(zj) <= l1 ? 0.0 : wj; /* lazy_weight's test, NaN included */
            w[j] = wj;
            wx[j] = x[j] != 0.0 ? wj * x[j] : -0.0;
        }
    } else {
        for (int64_t j = 0; j < n; j++) {
            double zj = z[j];
            double wj = -(zj - copysign(l1, zj)) / ((beta + roots[j]) * inv_eta0 + l2);
            wj = fabs(zj) <= l1 ? 0.0 : wj;
            w[j] = wj;
            wx[j] = x[j] != 0.0 ? wj * x[j] : -0.0;
        }
    }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif /* SPARSEREG_DENSE_ROWS_H */
