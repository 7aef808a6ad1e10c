/* The arithmetic of the CSR checks made before training (``_validation.check_csr``).
 *
 * Flat loops over whole arrays, without a branch per entry, that GCC runs as vector
 * instructions, so that a check costs about what reading the array from memory costs:
 *
 * - ``sr_largest_magnitude_*``: the largest |x| as the maximum of the values' bits with the
 *   sign bit cleared. For IEEE numbers of one sign the order of the bits (as integers) is the
 *   order of the values, denormals included; above the bits of infinity lie only NaNs. The
 *   maximum read back as a number is therefore the largest |x|, infinity if one is infinite
 *   (and none NaN), NaN if one is NaN.
 * - ``sr_index_summary_*``: ``indptr`` checked, and over ``indices`` as one flat array (in
 *   blocks of rows, ``sr_index_block_*``) the smallest and largest index and the number of
 *   ``k`` with ``indices[k] <= indices[k - 1]`` (descents), less those that fall on a row's
 *   first index: rows are strictly increasing iff none is left.
 *
 * With GCC on x86-64 glibc each loop is compiled for AVX-512, AVX2 and the baseline (whose
 * SSE2 has no 64-bit comparison), and the loader picks the widest the CPU has.
 */
#ifndef SPARSEREG_CSR_CHECKS_H
#define SPARSEREG_CSR_CHECKS_H

#include <stdint.h>
#include <string.h>

#ifndef SR_CSR_CLONES /* defined empty to build one variant */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SR_CSR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SR_CSR_CLONES
#endif
#endif

SR_CSR_CLONES static double sr_largest_magnitude_f64(const double *x, int64_t n)
{
    int64_t largest = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t bits;
        memcpy(&bits, &x[k], sizeof bits);
        bits &= INT64_MAX;
        largest = bits > largest ? bits : largest;
    }
    double v;
    memcpy(&v, &largest, sizeof v);
    return v;
}

SR_CSR_CLONES static double sr_largest_magnitude_f32(const float *x, int64_t n)
{
    int32_t largest = 0;
    for (int64_t k = 0; k < n; k++) {
        int32_t bits;
        memcpy(&bits, &x[k], sizeof bits);
        bits &= INT32_MAX;
        largest = bits > largest ? bits : largest;
    }
    float v;
    memcpy(&v, &largest, sizeof v);
    return (double)v;
}

/* The flat pass over ix[from .. to), from > 0 or *lo and *hi already ix[0]'s: lowers *lo and
 * raises *hi to the smallest and largest index, returns the number of k in [max(from, 1), to)
 * with ix[k] <= ix[k - 1], counted in lanes as wide as an index (C, unsigned, holds any count
 * that the index type can point to). */
#define SR_DEFINE_INDEX_BLOCK(NAME, T, C)                                                   \
    SR_CSR_CLONES static int64_t NAME(const T *ix, int64_t from, int64_t to, T *lo, T *hi)  \
    {                                                                                       \
        T l = *lo, h = *hi;                                                                 \
        C descents = 0;                                                                     \
        for (int64_t k = from > 0 ? from : 1; k < to; k++) {                                \
            T v = ix[k];                                                                    \
            l = v < l ? v : l;                                                              \
            h = v > h ? v : h;                                                              \
            descents += v <= ix[k - 1];                                                     \
        }                                                                                   \
        *lo = l;                                                                            \
        *hi = h;                                                                            \
        return (int64_t)descents;                                                           \
    }

/* Whether indptr (n_rows + 1 entries) starts at 0, never decreases and ends at nnz; if so,
 * out = (smallest index, largest index, longest row, descents inside rows), the indices
 * (0, -1) when nnz == 0. Rows are taken in blocks of about SR_CSR_BLOCK indices: a block's
 * indptr entries are checked before its indices are read, then the flat pass counts every
 * descent in the block and the walk of its rows takes away those at a row's first index
 * (which the flat pass has just brought into the cache). */
#define SR_CSR_BLOCK 4096
#define SR_DEFINE_INDEX_SUMMARY(NAME, BLOCK, T)                                             \
    static int NAME(const T *indptr, int64_t n_rows, const T *ix, int64_t nnz, int64_t *out) \
    {                                                                                       \
        T lo = nnz ? ix[0] : 0, hi = nnz ? ix[0] : -1;                                      \
        int64_t longest = 0, inside = 0, end = 0;                                           \
        if (indptr[0] != 0)                                                                 \
            return 0;                                                                       \
        for (int64_t r0 = 0, r1 = 0; r0 < n_rows; r0 = r1) {                                \
            int64_t begin = end; /* indptr[r0] as checked: X is read again below */          \
            for (; r1 < n_rows && end - begin < SR_CSR_BLOCK; r1++) {                       \
                int64_t next = indptr[r1 + 1];                                              \
                if (next < end || next > nnz)                                               \
                    return 0;                                                               \
                longest = next - end > longest ? next - end : longest;                      \
                end = next;                                                                 \
            }                                                                               \
            inside += BLOCK(ix, begin, end, &lo, &hi);                                      \
            for (int64_t r = r0; r < r1; r++) {                                             \
                /* read again (another thread may write to X meanwhile): bounded */        \
                int64_t start = indptr[r];                                                  \
                if (start > 0 && start < nnz && indptr[r + 1] > start)                      \
                    inside -= ix[start] <= ix[start - 1];                                   \
            }                                                                               \
        }                                                                                   \
        out[0] = lo;                                                                        \
        out[1] = hi;                                                                        \
        out[2] = longest;                                                                   \
        out[3] = inside;                                                                    \
        return end == nnz;                                                                  \
    }

SR_DEFINE_INDEX_BLOCK(sr_index_block_i32, int32_t, uint32_t)
SR_DEFINE_INDEX_BLOCK(sr_index_block_i64, int64_t, uint64_t)
SR_DEFINE_INDEX_SUMMARY(sr_index_summary_i32, sr_index_block_i32, int32_t)
SR_DEFINE_INDEX_SUMMARY(sr_index_summary_i64, sr_index_block_i64, int64_t)

#endif
