/* The threads' kernel's look-up of the columns a thread holds (``_ftrl_fast.ftrl_epoch_shared``,
 * ``sparsereg/_hogwild.py``): each non-zero's column resolved, a row ahead, to the row of the
 * state its prediction and update read and write.
 *
 * The table has 2**SR_HOT_SLOT_BITS int32 slots; a held column c (below 2**31) sits at slot
 * ``c & SR_HOT_LOW`` as ``(c & ~SR_HOT_LOW) | copy``, its copy's number in the low bits, and
 * an empty slot holds -1, whose high bits no column below 2**31 has. Column c resolves to
 * ``hot_offset + copy`` where its slot holds it, else to c itself; a column at or past the
 * state's rows (X written by another thread after its check) is reported and resolved to 0,
 * never used. One load per non-zero: with AVX2, eight at a time, the table read by a
 * gather (the scalar loop, ~18 instructions a non-zero, made the threads' kernel 1.19x the
 * one-thread kernel's instructions).
 */
#ifndef SPARSEREG_HOT_COLUMNS_H
#define SPARSEREG_HOT_COLUMNS_H

#include <stdint.h>

#define SR_HOT_SLOT_BITS 12
#define SR_HOT_LOW ((int64_t)((1 << SR_HOT_SLOT_BITS) - 1))

/* as the vector clones (_vector_clones.h): GCC on x86-64 glibc, whose libgcc the dispatch's
 * __builtin_cpu_supports reads; elsewhere the scalar loop */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SR_HOT_AVX2 1
#include <immintrin.h>
#endif

static inline int64_t sr_hot_resolved(int64_t c, int32_t entry, int64_t hot_offset)
{
    int64_t held = -(int64_t)((((int64_t)entry ^ c) & ~SR_HOT_LOW) == 0);
    return c ^ ((c ^ (hot_offset + ((int64_t)entry & SR_HOT_LOW))) & held);
}

/* The first ``n`` columns of ``cols`` from ``k``, one at a time; whether one was out of
 * bounds. */
#define SR_RESOLVE_TAIL                                                                   \
    for (; k < n; k++) {                                                                   \
        int64_t c = (int64_t)cols[k];                                                      \
        int out_of_bounds = (uint64_t)c >= n_cols;                                         \
        beyond |= out_of_bounds;                                                           \
        c = out_of_bounds ? 0 : c;                                                         \
        out[k] = sr_hot_resolved(c, table[c & SR_HOT_LOW], hot_offset);                    \
    }

/* the scalar loop over a whole row, for either index type */
#define SR_RESOLVE_SCALAR(name, index_type)                                                \
    static int name(int64_t n, const index_type *cols, uint64_t n_cols, const int32_t *table, \
                    int64_t hot_offset, int64_t *out)                                      \
    {                                                                                      \
        int beyond = 0;                                                                    \
        int64_t k = 0;                                                                     \
        SR_RESOLVE_TAIL                                                                    \
        return beyond;                                                                     \
    }
SR_RESOLVE_SCALAR(sr_resolve_hot_i64, int64_t)
SR_RESOLVE_SCALAR(sr_resolve_hot_i32_scalar, int32_t)

#ifdef SR_HOT_AVX2
/* Eight columns ``c`` resolved: into ``lo`` (the first four) and ``hi``; returns the lanes out
 * of bounds (a sign bit each). */
__attribute__((target("avx2"))) static inline __m256i sr_resolve_hot_8(
    __m256i c, __m256i flipped_bound, const int32_t *table, __m256i offset, __m256i *lo,
    __m256i *hi)
{
    const __m256i sign = _mm256_set1_epi32(INT32_MIN);
    const __m256i low = _mm256_set1_epi32((int32_t)SR_HOT_LOW);
    __m256i inside = _mm256_cmpgt_epi32(flipped_bound, _mm256_xor_si256(c, sign));
    c = _mm256_and_si256(c, inside);
    __m256i entry = _mm256_i32gather_epi32(table, _mm256_and_si256(c, low), 4);
    __m256i held = _mm256_cmpeq_epi32(_mm256_andnot_si256(low, _mm256_xor_si256(entry, c)),
                                      _mm256_setzero_si256());
    /* 32 bits each: the column, or its copy's number (both non-negative) */
    __m256i r = _mm256_blendv_epi8(c, _mm256_and_si256(entry, low), held);
    *lo = _mm256_add_epi64(
        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(r)),
        _mm256_and_si256(offset, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(held))));
    *hi = _mm256_add_epi64(
        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(r, 1)),
        _mm256_and_si256(offset, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(held, 1))));
    return _mm256_andnot_si256(inside, sign);
}

__attribute__((target("avx2"))) static int sr_resolve_hot_i32_avx2(
    int64_t n, const int32_t *cols, uint64_t n_cols, const int32_t *table, int64_t hot_offset,
    int64_t *out)
{
    /* an int32 column is in bounds when it is below min(n_cols, 2**31) as unsigned (a
     * negative one is not): compared as signed after flipping the sign bits */
    const uint32_t bound = n_cols < ((uint64_t)1 << 31) ? (uint32_t)n_cols : (uint32_t)1 << 31;
    const __m256i flipped_bound = _mm256_set1_epi32((int32_t)(bound ^ (uint32_t)INT32_MIN));
    const __m256i offset = _mm256_set1_epi64x(hot_offset);
    __m256i outside = _mm256_setzero_si256(), lo, hi;
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(cols + k));
        outside = _mm256_or_si256(outside,
                                  sr_resolve_hot_8(c, flipped_bound, table, offset, &lo, &hi));
        _mm256_storeu_si256((__m256i *)(out + k), lo);
        _mm256_storeu_si256((__m256i *)(out + k + 4), hi);
    }
    if (k < n) {  /* the last 1-7, a lane each: the other lanes neither read nor written */
        __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(n - k)),
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i c = _mm256_maskload_epi32(cols + k, lanes);
        outside = _mm256_or_si256(
            outside, _mm256_and_si256(
                         lanes, sr_resolve_hot_8(c, flipped_bound, table, offset, &lo, &hi)));
        _mm256_maskstore_epi64((long long *)(out + k),
                               _mm256_cvtepi32_epi64(_mm256_castsi256_si128(lanes)), lo);
        _mm256_maskstore_epi64((long long *)(out + k + 4),
                               _mm256_cvtepi32_epi64(_mm256_extracti128_si256(lanes, 1)), hi);
    }
    return !_mm256_testz_si256(outside, outside);
}
#endif

/* ``n`` columns resolved into ``out``: whether one was at or past ``n_cols``. */
static inline int sr_resolve_hot_i32(int64_t n, const int32_t *cols, uint64_t n_cols,
                                     const int32_t *table, int64_t hot_offset, int64_t *out)
{
#ifdef SR_HOT_AVX2
    if (__builtin_cpu_supports("avx2"))
        return sr_resolve_hot_i32_avx2(n, cols, n_cols, table, hot_offset, out);
#endif
    return sr_resolve_hot_i32_scalar(n, cols, n_cols, table, hot_offset, out);
}

#endif /* SPARSEREG_HOT_COLUMNS_H */
