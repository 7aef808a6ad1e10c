/* What the C lanes checks (grid_lanes.c, dense_rows_lanes.c, csr_rows_lanes.c) share: the
 * random numbers (the same on every build), the scalar transcription of ``lazy_weight`` (kept
 * scalar: no-tree-vectorize) and the bitwise comparison that feeds the checksum each build
 * prints. Define LANE_UNIT (what an index counts, for the messages) before including. */
#ifndef SPARSEREG_TESTS_LANES_REFERENCE_H
#define SPARSEREG_TESTS_LANES_REFERENCE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double uniform(void) /* xorshift64*: the same numbers on every build */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

static double pick(double a, double b, double zero_share)
{
    return uniform() < zero_share ? 0.0 : a + (b - a) * uniform();
}

__attribute__((optimize("no-tree-vectorize"))) static double lazy_weight(
    double z, double sqrt_n, double inv_eta0, double beta, double l1, double l2)
{
    if (fabs(z) <= l1)
        return 0.0;
    return -(z - copysign(l1, z)) / ((beta + sqrt_n) * inv_eta0 + l2);
}

static uint64_t checksum = 1469598103934665603ULL;

static int same(const char *what, int64_t index, double got, double want)
{
    uint64_t a, b;
    memcpy(&a, &got, 8);
    memcpy(&b, &want, 8);
    checksum = (checksum ^ a) * 1099511628211ULL;
    if (a != b) {
        printf("%s of " LANE_UNIT " %ld: %.17g (vector) != %.17g (scalar)\n", what, (long)index,
               got, want);
        return 0;
    }
    return 1;
}

#endif
