/* The CSR checks' vector loops (sparsereg/_csr_checks.h) against their plain definitions,
 * written out here as scalar loops. tests/test_csr_checks.py builds this file once per
 * instruction set (baseline, AVX2, AVX-512: one variant each, SR_CSR_CLONES empty) and runs
 * it, since the compiled module only exercises the variant this CPU selects; it exits 1 at
 * the first case whose summary differs, and prints a checksum of every summary so that the
 * builds can be compared with each other too. */
#define SR_CSR_CLONES
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../sparsereg/_csr_checks.h"
#include "lanes_random.h"

#define MAX_ROWS 400
#define MAX_NNZ (3 * SR_CSR_BLOCK)

static const double SPECIAL[] = {0.0,     -0.0,   1.0,      -2.5,     5e-324, -1e-310,
                                 1e-40,   1e300,  -1e308,   3.4e38,   -1.4e-45, INFINITY,
                                 -INFINITY, NAN,  -NAN};
#define N_SPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

__attribute__((optimize("no-tree-vectorize"))) static double plain_magnitude(const double *x,
                                                                            int64_t n)
{
    double largest = 0.0;
    int nan = 0;
    for (int64_t k = 0; k < n; k++) {
        if (isnan(x[k]))
            nan = 1;
        else if (fabs(x[k]) > largest)
            largest = fabs(x[k]);
    }
    return nan ? NAN : largest;
}

__attribute__((optimize("no-tree-vectorize"))) static double plain_magnitude_f32(const float *x,
                                                                                int64_t n)
{
    double largest = 0.0;
    int nan = 0;
    for (int64_t k = 0; k < n; k++) {
        if (isnan(x[k]))
            nan = 1;
        else if (fabs((double)x[k]) > largest)
            largest = fabs((double)x[k]);
    }
    return nan ? NAN : largest;
}

/* indptr good (0 first, non-decreasing, nnz last); then smallest, largest, longest row and
 * the number of rows that are not strictly increasing, one row at a time */
#define PLAIN_SUMMARY(NAME, T)                                                              \
    __attribute__((optimize("no-tree-vectorize"))) static int NAME(                         \
        const T *indptr, int64_t n_rows, const T *ix, int64_t nnz, int64_t *out)            \
    {                                                                                       \
        if (indptr[0] != 0 || indptr[n_rows] != nnz)                                        \
            return 0;                                                                       \
        for (int64_t r = 0; r < n_rows; r++)                                                \
            if (indptr[r + 1] < indptr[r] || indptr[r + 1] > nnz)                           \
                return 0;                                                                   \
        int64_t lo = 0, hi = -1, longest = 0, unsorted = 0;                                 \
        for (int64_t k = 0; k < nnz; k++) {                                                 \
            lo = k == 0 || ix[k] < lo ? ix[k] : lo;                                         \
            hi = k == 0 || ix[k] > hi ? ix[k] : hi;                                         \
        }                                                                                   \
        for (int64_t r = 0; r < n_rows; r++) {                                              \
            int64_t bad = 0;                                                                \
            if (indptr[r + 1] - indptr[r] > longest)                                        \
                longest = indptr[r + 1] - indptr[r];                                        \
            for (int64_t k = indptr[r] + 1; k < indptr[r + 1]; k++)                         \
                bad |= ix[k] <= ix[k - 1];                                                  \
            unsorted += bad;                                                                \
        }                                                                                   \
        out[0] = lo;                                                                        \
        out[1] = hi;                                                                        \
        out[2] = longest;                                                                   \
        out[3] = unsorted;                                                                  \
        return 1;                                                                           \
    }

PLAIN_SUMMARY(plain_summary_i32, int32_t)
PLAIN_SUMMARY(plain_summary_i64, int64_t)

/* one random CSR of each index type: rows empty, sorted or not; now and then a bad index,
 * a broken indptr entry; values special or not */
#define CHECK_CASE(T, SUMMARY, PLAIN)                                                       \
    do {                                                                                    \
        static T indptr[MAX_ROWS + 1], ix[MAX_NNZ];                                         \
        int64_t n_rows = below(MAX_ROWS) + 1, per_row = below(60) + 1, nnz = 0;             \
        int64_t got[4] = {0}, want[4] = {0};                                                \
        indptr[0] = 0;                                                                      \
        for (int64_t r = 0; r < n_rows; r++) {                                              \
            int64_t len = below(4) == 0 ? 0 : below(per_row);                               \
            if (r == n_rows / 2 && below(3) == 0)                                           \
                len = SR_CSR_BLOCK + below(50); /* a row longer than a block */             \
            if (nnz + len > MAX_NNZ)                                                        \
                len = MAX_NNZ - nnz;                                                        \
            int unsorted = below(8) == 0;                                                   \
            for (int64_t k = 0; k < len; k++)                                               \
                ix[nnz + k] = (T)(unsorted ? below(100) - 2 : 3 * k + below(3));            \
            nnz += len;                                                                     \
            indptr[r + 1] = (T)nnz;                                                         \
        }                                                                                   \
        if (below(10) == 0)                                                                 \
            indptr[below(n_rows + 1)] += (T)(below(2) ? 1 : -1);                            \
        int ok = SUMMARY(indptr, n_rows, ix, nnz, got);                                     \
        int ok_plain = PLAIN(indptr, n_rows, ix, nnz, want);                                \
        if (ok != ok_plain || (ok && (got[0] != want[0] || got[1] != want[1] ||             \
                                      got[2] != want[2] || (got[3] == 0) != (want[3] == 0)))) { \
            printf("case %d (" #T "): ok %d/%d, %ld %ld %ld %ld / %ld %ld %ld %ld\n", c, ok,   \
                   ok_plain, (long)got[0], (long)got[1], (long)got[2], (long)got[3],         \
                   (long)want[0], (long)want[1], (long)want[2], (long)want[3]);             \
            return 1;                                                                       \
        }                                                                                   \
        mix((uint64_t)ok);                                                                  \
        for (int j = 0; j < 4; j++)                                                         \
            mix((uint64_t)got[j]);                                                          \
    } while (0)

int main(void)
{
    static double x[MAX_NNZ];
    static float xf[MAX_NNZ];
    for (int c = 0; c < 3000; c++) {
        int64_t n = below(4) == 0 ? below(20) : below(MAX_NNZ + 1);
        for (int64_t k = 0; k < n; k++) {
            x[k] = below(n + 1) < 3 ? SPECIAL[below(N_SPECIAL)] : (double)below(2001) - 1000.0;
            xf[k] = (float)x[k];
        }
        double got = sr_largest_magnitude_f64(x, n), want = plain_magnitude(x, n);
        double got_f = sr_largest_magnitude_f32(xf, n), want_f = plain_magnitude_f32(xf, n);
        if (bits(got) != bits(want) || bits(got_f) != bits(want_f)) {
            printf("case %d: largest |x| %g / %g, float32 %g / %g\n", c, got, want, got_f,
                   want_f);
            return 1;
        }
        mix(bits(got));
        mix(bits(got_f));
        CHECK_CASE(int32_t, sr_index_summary_i32, plain_summary_i32);
        CHECK_CASE(int64_t, sr_index_summary_i64, plain_summary_i64);
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
