/* The grid kernel's vector code (sparsereg/_grid_models.h) against the scalar arithmetic of
 * the single-model kernel (lazy_weight, ftrl_update, the squared error and log loss of
 * sparsereg/_ftrl_fast.pxd), written out here one model at a time. tests/test_grid_lanes.py
 * builds this file once per instruction set (baseline, AVX2, AVX-512: whatever the compiler
 * vectorises to with those flags, one variant each, SR_GRID_CLONES empty) and runs it; it
 * exits 1 at the first model whose bits differ, and prints a checksum of every result so
 * that the builds can be compared with each other too. */
#define SR_GRID_CLONES
#include <stdio.h>
#include <string.h>

#define LANE_UNIT "model"
#include "lanes_reference.h"
#include "../sparsereg/_grid_models.h"

#define MAX_MODELS 19

__attribute__((optimize("no-tree-vectorize"))) static void ftrl_update(
    double *z, double *n, double gi, double sqrt_n, double w, double inv_eta0)
{
    double n_new = *n + gi * gi;
    double sqrt_new = sqrt(n_new);
    *z += gi - (sqrt_new - sqrt_n) * inv_eta0 * w;
    *n = n_new;
}

int main(void)
{
    double zn[2 * MAX_MODELS], ref_z[MAX_MODELS], ref_n[MAX_MODELS], bw[2 * MAX_MODELS];
    double lam1[MAX_MODELS], lam2[MAX_MODELS], ie[MAX_MODELS], g[MAX_MODELS];
    double p[MAX_MODELS], ref_p[MAX_MODELS], sums[MAX_MODELS], squares[MAX_MODELS];
    for (int trial = 0; trial < 20000; trial++) {
        int64_t M = 1 + trial % MAX_MODELS;
        double beta = pick(1e-10, 2.0, 0.0), x = pick(-3.0, 3.0, 0.05), y = pick(-2.0, 2.0, 0.1);
        double weight = pick(0.1, 3.0, 0.0);
        for (int64_t m = 0; m < M; m++) {
            ref_z[m] = zn[m] = uniform() < 0.01 ? NAN : pick(-5.0, 5.0, 0.2);
            ref_n[m] = zn[M + m] = pick(0.0, 50.0, 0.2);
            lam1[m] = pick(0.0, 3.0, 0.3);
            lam2[m] = pick(0.0, 1.0, 0.3);
            ie[m] = 1.0 / pick(0.01, 2.0, 0.0);
            g[m] = pick(-2.0, 2.0, 0.3); /* some models without a gradient */
            p[m] = ref_p[m] = pick(-1.0, 1.0, 0.1);
        }
        sr_grid_predict(M, zn, NULL, x, lam1, lam2, ie, beta, bw, p);
        for (int64_t m = 0; m < M; m++) {
            double sq = sqrt(ref_n[m]);
            double w = lazy_weight(ref_z[m], sq, ie[m], beta, lam1[m], lam2[m]);
            ref_p[m] += w * x;
            if (!same("weight", m, bw[m], w) || !same("sqrt(n)", m, bw[M + m], sq) ||
                !same("prediction", m, p[m], ref_p[m]))
                return 1;
        }
        sr_grid_update(M, zn, NULL, x, g, bw, ie);
        for (int64_t m = 0; m < M; m++) {
            if (g[m] != 0.0)
                ftrl_update(&ref_z[m], &ref_n[m], g[m] * x, bw[M + m], bw[m], ie[m]);
            if (!same("z", m, zn[m], ref_z[m]) || !same("n", m, zn[M + m], ref_n[m]))
                return 1;
        }
        /* the same column with its square roots kept (a state row of a key then 2 M numbers,
         * as the table store's): read by the prediction, written by the update */
        double row[1 + 2 * MAX_MODELS], roots[MAX_MODELS], kept_p[MAX_MODELS], p0[MAX_MODELS];
        row[0] = 0.0;
        for (int64_t m = 0; m < M; m++) {
            row[1 + m] = ref_z[m];
            row[1 + M + m] = ref_n[m];
            kept_p[m] = p0[m] = pick(-1.0, 1.0, 0.0);
        }
        sr_grid_roots(M, 1, 1 + 2 * M, 1 + M, row, roots);
        sr_grid_predict(M, row + 1, roots, x, lam1, lam2, ie, beta, bw, kept_p);
        for (int64_t m = 0; m < M; m++) {
            double sq = sqrt(ref_n[m]);
            double w = lazy_weight(ref_z[m], sq, ie[m], beta, lam1[m], lam2[m]);
            if (!same("kept root", m, roots[m], sq) || !same("kept weight", m, bw[m], w) ||
                !same("kept prediction", m, kept_p[m], p0[m] + w * x))
                return 1;
        }
        sr_grid_update(M, row + 1, roots, x, g, bw, ie);
        for (int64_t m = 0; m < M; m++) {
            if (g[m] != 0.0)
                ftrl_update(&ref_z[m], &ref_n[m], g[m] * x, bw[M + m], bw[m], ie[m]);
            if (!same("kept z", m, row[1 + m], ref_z[m]) ||
                !same("kept n", m, row[1 + M + m], ref_n[m]) ||
                !same("kept root after", m, roots[m], sqrt(ref_n[m])))
                return 1;
        }
        /* the intercepts: no lambdas, the prediction starts from them, updated with x = 1 */
        sr_grid_intercept(M, zn, beta, ie, bw, p);
        for (int64_t m = 0; m < M; m++) {
            double sq = sqrt(zn[M + m]), w = -zn[m] / ((beta + sq) * ie[m]);
            if (!same("intercept weight", m, bw[m], w) || !same("intercept sqrt(n)", m, bw[M + m], sq) ||
                !same("intercept prediction", m, p[m], w))
                return 1;
            ref_z[m] = zn[m];
            ref_n[m] = zn[M + m];
        }
        sr_grid_update(M, zn, NULL, 1.0, g, bw, ie);
        for (int64_t m = 0; m < M; m++) {
            if (g[m] != 0.0)
                ftrl_update(&ref_z[m], &ref_n[m], g[m], bw[M + m], bw[m], ie[m]);
            if (!same("intercept z", m, zn[m], ref_z[m]) || !same("intercept n", m, zn[M + m], ref_n[m]))
                return 1;
        }
        /* squared error: each loss times the weight, the weight times its square, the
         * gradient factor */
        memset(sums, 0, sizeof sums);
        memset(squares, 0, sizeof squares);
        int any = sr_grid_squared_error(M, p, y, weight, sums, squares, g), ref_any = 0;
        for (int64_t m = 0; m < M; m++) {
            double loss = 0.5 * (p[m] - y) * (p[m] - y), lv = weight * loss;
            double gm = weight * (p[m] - y);
            ref_any |= gm != 0.0;
            if (!same("loss", m, sums[m], lv) || !same("squared loss", m, squares[m], lv * loss) ||
                !same("gradient", m, g[m], gm))
                return 1;
        }
        if (any != ref_any) {
            printf("any gradient: %d (vector) != %d (scalar)\n", any, ref_any);
            return 1;
        }
        /* log loss (labels -1, +1; margins beyond +-18 too): the gradient to the bit, the
         * loss (the grid's own log) to 1e-15 */
        double label = uniform() < 0.5 ? -1.0 : 1.0, e[MAX_MODELS];
        memset(sums, 0, sizeof sums);
        memset(squares, 0, sizeof squares);
        for (int64_t m = 0; m < M; m++) {
            double r = uniform(); /* NaN, infinities, exactly +-18, huge margins too */
            p[m] = r < 0.02 ? NAN : r < 0.04 ? INFINITY : r < 0.06 ? -INFINITY : r < 0.08 ? 18.0
                 : r < 0.10 ? -18.0 : r < 0.12 ? pick(-1e300, 1e300, 0.0) : pick(-25.0, 25.0, 0.05);
            e[m] = p[m] * label < -18.0 ? 0.0 : exp(-(p[m] * label)); /* as grid_epoch */
        }
        any = sr_grid_log_loss(M, p, label, weight, e, sums, squares, g);
        ref_any = 0;
        for (int64_t m = 0; m < M; m++) {
            double z = p[m] * label, ez, d, loss;
            if (z > 18.0) {
                ez = exp(-z);
                d = -label * ez;
                loss = ez;
            } else if (z < -18.0) {
                d = -label;
                loss = -z;
            } else {
                ez = exp(-z);
                d = -label * ez / (1.0 + ez);
                loss = log(1.0 + ez);
            }
            ref_any |= weight * d != 0.0;
            if (!same("log loss gradient", m, g[m], weight * d))
                return 1;
            double want = weight * loss;
            int both_nan = sums[m] != sums[m] && want != want;
            if (!both_nan && sums[m] != want && !(fabs(sums[m] - want) <= 1e-15 * fabs(want))) {
                printf("log loss of model %ld: %.17g != %.17g\n", (long)m, sums[m], weight * loss);
                return 1;
            }
            double want_sq = weight * loss * loss;
            both_nan = squares[m] != squares[m] && want_sq != want_sq;
            if (!both_nan && squares[m] != want_sq &&
                !(fabs(squares[m] - want_sq) <= 3e-15 * fabs(want_sq))) {
                printf("weighted squared log loss of model %ld: %.17g != %.17g\n", (long)m,
                       squares[m], want_sq);
                return 1;
            }
            uint64_t loss_bits; /* the builds must agree on the loss's bits too */
            memcpy(&loss_bits, &sums[m], 8);
            checksum = (checksum ^ loss_bits) * 1099511628211ULL;
        }
        if (any != ref_any)
            return 1;
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
