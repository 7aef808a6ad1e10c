/* The dense-to-CSR passes (sparsereg/_dense_nonzeros.h) against a plain loop over the
 * entries, written out here. tests/test_dense_nonzeros.py builds this file once per
 * instruction set (baseline, AVX2, AVX-512: one variant each, SR_SCAN_CLONES empty) and runs
 * it, since the compiled module only exercises the variant this CPU selects; it exits 1 at
 * the first array whose arrays differ, and prints a checksum of every result so that the
 * builds can be compared with each other too. Widths run from 0 to 200 columns, so that each
 * word of 64 entries and each vector length meets a remainder; a copy whose array changed
 * after the count must say so and write nothing past the arrays' ends. */
#define SR_SCAN_CLONES
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sparsereg/_dense_nonzeros.h"
#include "lanes_random.h"

#define MAX_ROWS 6
#define MAX_COLS 200
#define MAX_VALUES (MAX_ROWS * MAX_COLS)
#define GUARD 8 /* entries past each array's end that must stay as they were */

/* zeros of both signs often; NaN (not 0, as for scipy), infinities, denormals */
static const double SPECIAL[] = {0.0,   -0.0,     0.0,       -0.0,     1.0,    -2.5, 5e-324,
                                 -1e-310, 1.4e-45, 3.4e38, INFINITY, -INFINITY, NAN, 1e300};
#define N_SPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

/* One random array of type T, counted and copied with indices of type I, against the
 * plain loop; then the same copy after one entry changed from 0 to not 0 or back. */
#define CHECK_CASE(T, I, COUNTS, COPY)                                                      \
    do {                                                                                    \
        static T X[MAX_VALUES];                                                             \
        static I ix[MAX_VALUES + GUARD], want_ix[MAX_VALUES];                               \
        static T data[MAX_VALUES + GUARD], want_data[MAX_VALUES];                           \
        static int64_t indptr[MAX_ROWS + 1], want_indptr[MAX_ROWS + 1];                     \
        int64_t n_rows = below(MAX_ROWS) + 1, n_cols = below(MAX_COLS + 1);                 \
        int64_t density = below(5); /* from all zeros to mostly not 0 */                    \
        for (int64_t v = 0; v < n_rows * n_cols; v++)                                       \
            X[v] = below(4) < density ? (T)SPECIAL[below(N_SPECIAL)] : (T)0.0;              \
        int64_t k = 0;                                                                      \
        want_indptr[0] = 0;                                                                 \
        for (int64_t i = 0; i < n_rows; i++) {                                              \
            for (int64_t j = 0; j < n_cols; j++) {                                          \
                T x = X[i * n_cols + j];                                                    \
                if (x != 0) {                                                               \
                    want_ix[k] = (I)j;                                                      \
                    want_data[k] = x;                                                       \
                    k++;                                                                    \
                }                                                                           \
            }                                                                               \
            want_indptr[i + 1] = k;                                                         \
        }                                                                                   \
        int64_t nnz = COUNTS(X, n_rows, n_cols, indptr);                                    \
        if (nnz != k || memcmp(indptr, want_indptr, (n_rows + 1) * sizeof(int64_t))) {       \
            printf("case %d (" #T "): count %ld, want %ld\n", c, (long)nnz, (long)k);          \
            return 1;                                                                       \
        }                                                                                   \
        for (int g = 0; g < GUARD; g++) {                                                   \
            ix[nnz + g] = (I)-7;                                                            \
            data[nnz + g] = (T)-7.0;                                                        \
        }                                                                                   \
        int ok = COPY(X, n_rows, n_cols, indptr, ix, data);                                 \
        for (int64_t q = 0; q < nnz; q++) {                                                 \
            if (!ok || ix[q] != want_ix[q] || bits((double)data[q]) != bits((double)want_data[q])) { \
                printf("case %d (" #T ", " #I "): entry %ld of %ld\n", c, (long)q, (long)nnz);  \
                return 1;                                                                   \
            }                                                                               \
            mix((uint64_t)ix[q]);                                                           \
            mix(bits((double)data[q]));                                                     \
        }                                                                                   \
        mix((uint64_t)nnz);                                                                 \
        if (n_cols > 0) { /* an entry changed after the count */                            \
            int64_t v = below(n_rows * n_cols);                                             \
            X[v] = X[v] != 0 ? (T)0.0 : (T)3.0;                                             \
            if (COPY(X, n_rows, n_cols, indptr, ix, data)) {                                \
                printf("case %d (" #T "): a changed array copied\n", c);                     \
                return 1;                                                                   \
            }                                                                               \
        }                                                                                   \
        for (int g = 0; g < GUARD; g++) {                                                   \
            if (ix[nnz + g] != (I)-7 || data[nnz + g] != (T)-7.0) {                         \
                printf("case %d (" #T "): written past the end\n", c);                      \
                return 1;                                                                   \
            }                                                                               \
        }                                                                                   \
    } while (0)

int main(void)
{
    for (int c = 0; c < 4000; c++) {
        CHECK_CASE(double, int64_t, sr_dense_counts_f64, sr_dense_copy_f64_i64);
        CHECK_CASE(double, int32_t, sr_dense_counts_f64, sr_dense_copy_f64_i32);
        CHECK_CASE(float, int64_t, sr_dense_counts_f32, sr_dense_copy_f32_i64);
        CHECK_CASE(float, int32_t, sr_dense_counts_f32, sr_dense_copy_f32_i32);
    }
    printf("%016llx\n", (unsigned long long)checksum);
    return 0;
}
