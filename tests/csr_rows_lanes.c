/* The CSR-row kernel's vector code (sparsereg/_csr_rows.h) against the scalar arithmetic of
 * ftrl_epoch's dense store (lazy_weight, ftrl_update and the margin summed over a row's
 * non-zeros in index order, of sparsereg/_ftrl_fast.pxd and .pyx), written out here one non-zero at a
 * time. tests/test_csr_rows_lanes.py builds this file once per instruction set
 * (SR_GRID_CLONES empty) and runs it; it exits 1 at the first number whose bits differ,
 * and prints a checksum of every result so that the builds can be compared with each other
 * too. Rows hold 0 to 40 non-zeros, so that every vector length meets a remainder; explicit
 * zeros of both signs are among them (the kernel updates them with g * 0). */
#define SR_GRID_CLONES
#include <stdio.h>
#include <string.h>

#define LANE_UNIT "non-zero"
#include "lanes_reference.h"
#include "../sparsereg/_csr_rows.h"

#define MAX_NNZ 40

/* a stored entry: explicit zeros of both signs, huge and tiny magnitudes among ordinary ones */
static double entry(void)
{
    double r = uniform();
    return r < 0.05 ? 0.0 : r < 0.1 ? -0.0 : r < 0.15 ? pick(-1e150, 1e150, 0.0)
         : r < 0.2 ? pick(-1e-150, 1e-150, 0.0) : pick(-3.0, 3.0, 0.0);
}

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
    double z[MAX_NNZ], nsum[MAX_NNZ], roots[MAX_NNZ], w[MAX_NNZ], wx[MAX_NNZ], x[MAX_NNZ];
    double ref_z[MAX_NNZ], ref_n[MAX_NNZ], ref_roots[MAX_NNZ], ref_w[MAX_NNZ];
    for (int trial = 0; trial < 20000; trial++) {
        int64_t n = trial % (MAX_NNZ + 1);
        double beta = pick(1e-10, 2.0, 0.0), inv_eta0 = 1.0 / pick(0.01, 2.0, 0.0);
        double l1 = pick(0.0, 3.0, 0.3), l2 = pick(0.0, 1.0, 0.3);
        double r = uniform(); /* the gradient factor: ordinary, huge, tiny or 0 */
        double g = r < 0.1 ? pick(-1e100, 1e100, 0.0) : r < 0.2 ? pick(-1e-200, 1e-200, 0.0)
                 : pick(-2.0, 2.0, 0.05);
        for (int64_t k = 0; k < n; k++) {
            double s = uniform(); /* z: -0.0 and values within lambda1 too */
            z[k] = s < 0.1 ? -0.0 : s < 0.3 ? pick(-l1, l1, 0.0) : pick(-5.0, 5.0, 0.1);
            nsum[k] = pick(0.0, 50.0, 0.2);
            x[k] = entry();
            ref_z[k] = z[k];
            ref_n[k] = nsum[k];
        }
        double p = uniform() < 0.2 ? -0.0 : pick(-1.0, 1.0, 0.2), ref_p = p; /* -0.0: w0 of z0 = 0 */
        sr_csr_row_weights(n, x, inv_eta0, beta, l1, l2, z, nsum, roots, w, wx);
        for (int64_t k = 0; k < n; k++) {
            ref_roots[k] = sqrt(ref_n[k]);
            ref_w[k] = lazy_weight(ref_z[k], ref_roots[k], inv_eta0, beta, l1, l2);
            p += wx[k];
            ref_p += ref_w[k] * x[k];
            if (!same("sqrt(n)", k, roots[k], ref_roots[k]) || !same("weight", k, w[k], ref_w[k])
                || !same("margin", k, p, ref_p))
                return 1;
        }
        sr_csr_row_update(n, g, x, w, roots, inv_eta0, z, nsum);
        for (int64_t k = 0; k < n; k++) {
            ftrl_update(&ref_z[k], &ref_n[k], g * x[k], ref_roots[k], ref_w[k], inv_eta0);
            if (!same("z", k, z[k], ref_z[k]) || !same("n", k, nsum[k], ref_n[k]))
                return 1;
        }
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
