/* The arithmetic of a grid of M FTRL models on one column (``_ftrl_grid.grid_epoch``).
 *
 * A column's state is (z_0 .. z_{M-1}, n_0 .. n_{M-1}): each quantity contiguous over the
 * models, so that these loops run as vector instructions, M models at a time. The operations
 * and their order per model are those of ``lazy_weight`` and ``ftrl_update`` in
 * ``_ftrl_fast.pxd``; IEEE addition, multiplication, division and square root give the same
 * bits in a vector lane as in a scalar register, so model m equals the model trained alone.
 * (Contraction into fused multiply-adds would not: the module is built with
 * -ffp-contract=off.)
 *
 * With GCC on x86-64 glibc each function is compiled for AVX2 and the baseline, and the
 * loader picks the widest the CPU has (target_clones: SR_GRID_CLONES, _vector_clones.h);
 * elsewhere, the baseline only.
 */
#ifndef SPARSEREG_GRID_MODELS_H
#define SPARSEREG_GRID_MODELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_vector_clones.h"

/* GCC if-converts the selections below into vector blends only when comparisons may not
 * trap (they raise no exception the kernel reads: it reads no floating-point flags). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif

/* Every model's weight of one column from its state ``zn`` (2 M numbers), kept in ``bw``
 * (M weights, then M square roots of n), and ``w * x`` added to each model's prediction.
 * Both sides of ``|z| <= lambda1`` are computed and one selected (no branch per model). The
 * square roots are read from ``roots`` (M numbers, ``sqrt`` of the state's n, kept by
 * ``sr_grid_update``) when it is not NULL: the same numbers, one square root per model less
 * (the loop is compiled once for each case: -funswitch-loops, -O3). */
SR_GRID_CLONES static void sr_grid_predict(int64_t M, const double *restrict zn,
                                           const double *restrict roots, double x,
                                           const double *restrict lam1,
                                           const double *restrict lam2,
                                           const double *restrict inv_eta0, double beta,
                                           double *restrict bw, double *restrict p)
{
    for (int64_t m = 0; m < M; m++) {
        double z = zn[m];
        double sq = roots ? roots[m] : sqrt(zn[M + m]);
        double w = -(z - copysign(lam1[m], z)) / ((beta + sq) * inv_eta0[m] + lam2[m]);
        w = fabs(z) <= lam1[m] ? 0.0 : w; /* lazy_weight's test, NaN included */
        bw[m] = w;
        bw[M + m] = sq;
        p[m] += w * x;
    }
}

/* Algorithm 1's update of one column in every model whose gradient factor ``g[m]`` is not
 * zero (the others keep their state: the update is computed and not stored), each new
 * sqrt(n) kept in ``roots`` when it is not NULL (without a gradient n + 0 = n: the same). */
SR_GRID_CLONES static void sr_grid_update(int64_t M, double *restrict zn,
                                          double *restrict roots, double x,
                                          const double *restrict g,
                                          const double *restrict bw,
                                          const double *restrict inv_eta0)
{
    for (int64_t m = 0; m < M; m++) {
        double z = zn[m], n = zn[M + m];
        double gi = g[m] * x;
        double n_new = n + gi * gi;
        double sqrt_new = sqrt(n_new);
        double z_new = z + (gi - (sqrt_new - bw[M + m]) * inv_eta0[m] * bw[m]);
        int live = g[m] != 0.0;
        zn[m] = live ? z_new : z;
        zn[M + m] = live ? n_new : n;
        if (roots)
            roots[m] = sqrt_new;
    }
}

/* The square roots of the n of ``rows`` rows of a grid's state ``zn`` (``width`` numbers a
 * row, the M n at ``n_at``) into ``roots`` (M a row). */
SR_GRID_CLONES static void sr_grid_roots(int64_t M, int64_t rows, int64_t width, int64_t n_at,
                                         const double *restrict zn, double *restrict roots)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t m = 0; m < M; m++)
            roots[M * r + m] = sqrt(zn[width * r + n_at + m]);
}

/* The intercepts' weights (no lambdas) from their state ``zn`` (M z, then M n), kept in
 * ``bw`` (M weights, then M square roots of n); each model's prediction starts from them.
 * Their update is ``sr_grid_update`` with x = 1 (no roots kept). */
SR_GRID_CLONES static void sr_grid_intercept(int64_t M, const double *restrict zn, double beta,
                                             const double *restrict inv_eta0,
                                             double *restrict bw, double *restrict p)
{
    for (int64_t m = 0; m < M; m++) {
        double sq = sqrt(zn[M + m]);
        double w = -zn[m] / ((beta + sq) * inv_eta0[m]);
        bw[m] = w;
        bw[M + m] = sq;
        p[m] = w;
    }
}

/* Squared error of every model's prediction ``p`` of ``y``: each loss times the row's
 * weight added to ``loss_sum`` and the weight times its square to ``loss_squares`` (the
 * sums of a weighted mean and variance), the gradient factor
 * ``weight * (p - y)`` kept in ``g`` (``loss_and_derivative``'s arithmetic). Returns whether
 * any is not zero. */
SR_GRID_CLONES static int sr_grid_squared_error(int64_t M, const double *restrict p, double y,
                                               double weight, double *restrict loss_sum,
                                               double *restrict loss_squares,
                                               double *restrict g)
{
    int any = 0;
    for (int64_t m = 0; m < M; m++) {
        double loss = 0.5 * (p[m] - y) * (p[m] - y);
        double lv = weight * loss;
        loss_sum[m] += lv;
        loss_squares[m] += lv * loss;
        g[m] = weight * (p[m] - y);
        any |= g[m] != 0.0;
    }
    return any;
}

/* log(v) for finite v >= 1, to about 1e-16 relative: v = f 2**k with f in [sqrt(1/2),
 * sqrt(2)), log f = 2 atanh(s) = 2 (s + s**3/3 + ...) with s = (f - 1) / (f + 1), |s| <= 0.172
 * (ten terms: the first left out is below 1e-17 of the sum). Only integer and IEEE operations,
 * so that it runs as vector instructions (libm's log is one call per model). */
static inline double sr_log_ge1(double v)
{
    uint64_t bits, fraction_bits, exponent_bits;
    double f, k;
    memcpy(&bits, &v, 8);
    exponent_bits = (bits >> 52) | 0x4330000000000000ULL; /* 2**52 + the biased exponent */
    memcpy(&k, &exponent_bits, 8);
    k = k - 4503599627370496.0 - 1023.0;
    fraction_bits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL; /* f in [1, 2) */
    memcpy(&f, &fraction_bits, 8);
    int high = f > 1.4142135623730951;
    f = high ? 0.5 * f : f;
    k = high ? k + 1.0 : k;
    double s = (f - 1.0) / (f + 1.0), s2 = s * s;
    double series =
        1.0 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 +
        s2 * (1.0 / 13 + s2 * (1.0 / 15 + s2 * (1.0 / 17 + s2 * (1.0 / 19)))))))));
    return k * 0.6931471805599453 + 2.0 * s * series;
}

/* Log loss of every model's margin ``p`` for the label ``y`` (+1 or -1), given
 * ``e[m] = exp(-p[m] y)`` wherever ``p[m] y`` is not below -18 (NaN included; libm's, by the
 * caller: the gradient
 * must have the single model's bits): the gradient factor ``weight * d loss / d p`` in ``g``
 * (``loss_and_derivative``'s arithmetic, to the bit), the loss times the weight added to
 * ``loss_sum`` and the weight times its square to ``loss_squares`` (the loss to about 1e-16
 * relative). Returns
 * whether any gradient factor is not zero. */
SR_GRID_CLONES static int sr_grid_log_loss(int64_t M, const double *restrict p, double y,
                                          double weight, const double *restrict e,
                                          double *restrict loss_sum,
                                          double *restrict loss_squares, double *restrict g)
{
    int any = 0;
    for (int64_t m = 0; m < M; m++) {
        double z = p[m] * y;
        double em = e[m];
        double d = z > 18.0 ? -y * em : (z < -18.0 ? -y : -y * em / (1.0 + em));
        double loss = z > 18.0 ? em : (z < -18.0 ? -z : (em != em ? em : sr_log_ge1(1.0 + em)));
        double lv = weight * loss;
        loss_sum[m] += lv;
        loss_squares[m] += lv * loss;
        g[m] = weight * d;
        any |= g[m] != 0.0;
    }
    return any;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

#endif
