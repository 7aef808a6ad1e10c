/* The threads' kernel's look-up of held columns (sparsereg/_hot_columns.h) against a literal
 * one, written out here: a column c held as copy i where its table slot holds it, resolved to
 * hot_offset + i; any other to c; one at or past n_cols (or negative) reported and resolved
 * to 0. Resolves each column of 200,000 random rows of 0 to 40 columns with sr_hot_resolved, as
 * the kernel's loop does, against tables built as sparsereg/_hogwild.py builds them, widths
 * below and past 2**31, and checks every resolved row and the report; rows of int64 indices
 * too, with a column beyond 2**31 among them. tests/test_hot_columns.py builds and runs it; it
 * exits 1 at the first difference and prints how many rows it resolved. */
#include <stdio.h>

#include "lanes_random.h"
#include "../sparsereg/_hot_columns.h"

#define MAX_NNZ 40
#define SLOTS (1 << SR_HOT_SLOT_BITS)
#define GUARD 8

static int32_t table[SLOTS];
static int64_t held[1024];

/* the kernel's loop over a row (_ftrl_fast.pyx's resolve_row, but for its prefetches), for
 * either index type: whether a column was out of bounds (resolved as column 0) */
#define RESOLVE_ROW(name, index_type)                                                       \
    static int name(int64_t n, const index_type *cols, uint64_t n_cols, int64_t hot_offset, \
                    int64_t *out)                                                           \
    {                                                                                       \
        int beyond = 0;                                                                     \
        for (int64_t k = 0; k < n; k++) {                                                   \
            int64_t c = (int64_t)cols[k];                                                   \
            if ((uint64_t)c >= n_cols) {                                                    \
                beyond = 1;                                                                 \
                c = 0;                                                                      \
            }                                                                               \
            out[k] = sr_hot_resolved(c, table[c & SR_HOT_LOW], hot_offset);                 \
        }                                                                                   \
        return beyond;                                                                      \
    }
RESOLVE_ROW(resolve_i32, int32_t)
RESOLVE_ROW(resolve_i64, int64_t)

/* the literal look-up of one column */
static int64_t literal(int64_t c, uint64_t n_cols, int64_t hot_offset, int *beyond)
{
    if (c < 0 || (uint64_t)c >= n_cols) {
        *beyond = 1;
        return literal(0, n_cols + 1, hot_offset, beyond);
    }
    int32_t entry = table[c % SLOTS];
    if (entry >= 0 && (int64_t)(entry & ~(SLOTS - 1)) + (c % SLOTS) == c)
        return hot_offset + (entry & (SLOTS - 1));
    return c;
}

static int check(const char *name, int64_t n, const int32_t *cols, uint64_t n_cols,
                 int64_t hot_offset)
{
    int64_t out[MAX_NNZ + GUARD];
    for (int k = 0; k < MAX_NNZ + GUARD; k++)
        out[k] = -12345;
    int beyond = 0;
    int reported = resolve_i32(n, cols, n_cols, hot_offset, out);
    for (int64_t k = 0; k < n; k++) {
        int64_t expected = literal(cols[k], n_cols, hot_offset, &beyond);
        if (out[k] != expected) {
            printf("%s: column %d of %lld: %lld resolved to %lld, not %lld\n", name, (int)k,
                   (long long)n, (long long)cols[k], (long long)out[k], (long long)expected);
            return 0;
        }
    }
    for (int64_t k = n; k < MAX_NNZ + GUARD; k++)
        if (out[k] != -12345) {
            printf("%s: wrote past the row's %lld columns, at %d\n", name, (long long)n, (int)k);
            return 0;
        }
    if (!reported != !beyond) {
        printf("%s: a row of %lld reported %d, out of bounds %d\n", name, (long long)n,
               reported, beyond);
        return 0;
    }
    return 1;
}

/* a row of int64 indices gives the int32 row's resolution, and resolves a column
 * beyond 2**31 (held by no table) to itself where the width holds it: one 2**32 past a held
 * column, which a loop reading 32 bits of it would take for that column */
static int wide_agrees(int64_t n, const int32_t *cols, uint64_t n_cols, int64_t hot_offset)
{
    int64_t wide[MAX_NNZ], narrow_out[MAX_NNZ], wide_out[MAX_NNZ];
    for (int64_t k = 0; k < n; k++)
        wide[k] = cols[k];
    int narrow_beyond = resolve_i32(n, cols, n_cols, hot_offset, narrow_out);
    int wide_beyond = resolve_i64(n, wide, n_cols, hot_offset, wide_out);
    for (int64_t k = 0; k < n; k++)
        if (wide_out[k] != narrow_out[k] || !wide_beyond != !narrow_beyond) {
            printf("int64: column %d of %lld: %lld, not %lld\n", (int)k, (long long)n,
                   (long long)wide_out[k], (long long)narrow_out[k]);
            return 0;
        }
    if (n > 0) {
        int64_t low = 0;
        for (int s = 0; s < SLOTS; s++)
            if (table[s] >= 0) {
                low = (int64_t)(table[s] & ~(SLOTS - 1)) + s;
                break;
            }
        wide[n - 1] = ((int64_t)1 << 32) + low;
        int expected_beyond = 0;
        for (int64_t k = 0; k < n; k++)
            (void)literal(wide[k], n_cols, hot_offset, &expected_beyond);
        int beyond = resolve_i64(n, wide, n_cols, hot_offset, wide_out);
        int ignored = 0;
        int64_t expected = literal(wide[n - 1], n_cols, hot_offset, &ignored);
        if (wide_out[n - 1] != expected || !beyond != !expected_beyond) {
            printf("int64: a column beyond 2**31 resolved to %lld, not %lld\n",
                   (long long)wide_out[n - 1], (long long)expected);
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    static const uint64_t widths[] = {1, 4096, 5000, 1 << 20, 2147483647ULL, 2147483648ULL,
                                      1ULL << 40};
    int32_t cols[MAX_NNZ];
    long rows = 0;
    for (int trial = 0; trial < 200000; trial++) {
        uint64_t n_cols = widths[trial % 7];
        if (trial % 1000 == 0) { /* a new table: up to 1,024 columns of distinct slots */
            for (int s = 0; s < SLOTS; s++)
                table[s] = -1;
            int copies = (int)below(1025);
            for (int i = 0; i < copies; i++) {
                int64_t c = below(n_cols < 2147483648ULL ? (int64_t)n_cols : 2147483647LL);
                if (table[c % SLOTS] == -1) {
                    table[c % SLOTS] = (int32_t)(c - c % SLOTS + i);
                    held[i] = c;
                }
            }
        }
        int64_t n = trial % (MAX_NNZ + 1);
        for (int64_t k = 0; k < n; k++) {
            double r = (double)below(1000) / 1000.0;
            int64_t c;
            if (r < 0.4) /* a held column, or a column of a held one's slot */
                c = (int64_t)table[below(SLOTS)];
            else if (r < 0.45) /* out of bounds: negative, at the width, past it */
                c = r < 0.42 ? -1 - below(1 << 30) : (int64_t)(n_cols <= 2147483647ULL ? n_cols : 0);
            else
                c = below(n_cols < 2147483648ULL ? (int64_t)n_cols : 2147483647LL);
            if (c == -1 && r < 0.4)
                c = below(n_cols < 2147483648ULL ? (int64_t)n_cols : 2147483647LL);
            else if (r < 0.4)
                c = (c & ~(int64_t)(SLOTS - 1)) + below(SLOTS);
            if (c > 2147483647LL)
                c = 2147483647LL;
            cols[k] = (int32_t)c;
        }
        int64_t hot_offset = (int64_t)(next() >> 20) - ((int64_t)1 << 43);
        if (!check("int32", n, cols, n_cols, hot_offset))
            return 1;
        if (!wide_agrees(n, cols, n_cols, hot_offset))
            return 1;
        rows++;
    }
    printf("rows %ld\n", rows);
    return 0;
}
