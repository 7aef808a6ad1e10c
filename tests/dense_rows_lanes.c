/* The dense-row kernel's vector code (sparsereg/_dense_rows.h) against the scalar arithmetic
 * of ftrl_epoch_narrow (lazy_weight, update_keep_sqrt and the margin summed over a row's
 * non-zeros in column order, of sparsereg/_ftrl_fast.pxd and .pyx), written out here one column at a
 * time. tests/test_dense_rows_lanes.py builds this file once per instruction set
 * (SR_GRID_CLONES empty) and runs it; it exits 1 at the first number whose bits differ,
 * and prints a checksum of every result so that the builds can be compared with each other
 * too. Widths run from 0 to 17 columns, so that every vector length meets a remainder. */
#define SR_GRID_CLONES
#include <stdio.h>
#include <string.h>

#define LANE_UNIT "column"
#include "lanes_reference.h"
#include "../sparsereg/_dense_rows.h"

#define MAX_COLS 17

/* an entry of a row: zeros of both signs, huge and tiny magnitudes among ordinary ones */
static double entry(void)
{
    double r = uniform();
    return r < 0.15 ? 0.0 : r < 0.25 ? -0.0 : r < 0.3 ? pick(-1e150, 1e150, 0.0)
         : r < 0.35 ? pick(-1e-150, 1e-150, 0.0) : pick(-3.0, 3.0, 0.0);
}

__attribute__((optimize("no-tree-vectorize"))) static double update_keep_sqrt(
    double *z, double *n, double gi, double sqrt_n, double w, double inv_eta0)
{
    double n_new = *n + gi * gi;
    double sqrt_new = sqrt(n_new);
    *z += gi - (sqrt_new - sqrt_n) * inv_eta0 * w;
    *n = n_new;
    return sqrt_new;
}

int main(void)
{
    double z[MAX_COLS], nsum[MAX_COLS], roots[MAX_COLS], w[MAX_COLS], wx[MAX_COLS];
    double xp[MAX_COLS], wp[MAX_COLS], x[MAX_COLS];
    double ref_z[MAX_COLS], ref_n[MAX_COLS], ref_roots[MAX_COLS];
    for (int trial = 0; trial < 20000; trial++) {
        int64_t n = trial % (MAX_COLS + 1);
        int update = trial % 5 != 0;
        double beta = pick(1e-10, 2.0, 0.0), inv_eta0 = 1.0 / pick(0.01, 2.0, 0.0);
        double l1 = pick(0.0, 3.0, 0.3), l2 = pick(0.0, 1.0, 0.3);
        double r = uniform(); /* the gradient factor: ordinary, huge or tiny */
        double g = r < 0.1 ? pick(-1e100, 1e100, 0.0) : r < 0.2 ? pick(-1e-200, 1e-200, 0.0)
                 : pick(-2.0, 2.0, 0.0);
        for (int64_t j = 0; j < n; j++) {
            double s = uniform(); /* z: -0.0 and values within lambda1 too */
            z[j] = s < 0.1 ? -0.0 : s < 0.3 ? pick(-l1, l1, 0.0) : pick(-5.0, 5.0, 0.1);
            nsum[j] = pick(0.0, 50.0, 0.2);
            roots[j] = sqrt(nsum[j]);
            xp[j] = entry();
            x[j] = entry();
            wp[j] = lazy_weight(z[j], roots[j], inv_eta0, beta, l1, l2);
            ref_z[j] = z[j];
            ref_n[j] = nsum[j];
            ref_roots[j] = roots[j];
        }
        sr_dense_row_step(n, update, g, xp, wp, x, inv_eta0, beta, l1, l2, z, nsum, roots, w, wx);
        double p = uniform() < 0.2 ? -0.0 : pick(-1.0, 1.0, 0.2), ref_p = p; /* -0.0: w0 of z0 = 0 */
        for (int64_t j = 0; j < n; j++) {
            if (update && xp[j] != 0.0)
                ref_roots[j] = update_keep_sqrt(&ref_z[j], &ref_n[j], g * xp[j], ref_roots[j],
                                                wp[j], inv_eta0);
            if (!same("z", j, z[j], ref_z[j]) || !same("n", j, nsum[j], ref_n[j]) ||
                !same("sqrt(n)", j, roots[j], ref_roots[j]))
                return 1;
            p += wx[j];
            if (x[j] != 0.0) { /* a weight is read only where the row is not 0 */
                double want = lazy_weight(ref_z[j], ref_roots[j], inv_eta0, beta, l1, l2);
                if (!same("weight", j, w[j], want))
                    return 1;
                ref_p += want * x[j];
            }
            if (!same("margin", j, p, ref_p))
                return 1;
        }
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
