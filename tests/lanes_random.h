/* What the C checks that draw their own cases share (tests/csr_checks_lanes.c,
 * tests/dense_nonzeros_lanes.c): random numbers that are the same on every build, and a
 * checksum of the results in which every NaN counts as one, so that the builds for each
 * instruction set can be compared with each other. */
#ifndef SPARSEREG_TESTS_LANES_RANDOM_H
#define SPARSEREG_TESTS_LANES_RANDOM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }

static uint64_t checksum = 0;

static void mix(uint64_t v) { checksum = (checksum ^ v) * 0x100000001B3ULL; }

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return isnan(v) ? 0x7ff8000000000000ULL : b; /* any NaN: one checksum */
}

#endif /* SPARSEREG_TESTS_LANES_RANDOM_H */
