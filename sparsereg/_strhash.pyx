# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""BLAKE2b with an 8-byte digest over many byte strings at once (RFC 7693).

``FeatureCrossHasher`` hashes each distinct string of a column by
``blake2b(utf8, digest_size=8)`` read little-endian (``sparsereg._hashing``).
``hashlib`` costs a Python object, a call and a conversion per string; here one call
hashes a batch's distinct strings laid end to end. The result equals ``hashlib``'s
to the bit (``tests/test_hashing_compiled.py``), so models hashed either way agree.
"""
from libc.stdint cimport int64_t, uint8_t, uint64_t

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    static const uint64_t sr_b2b_iv[8] = {
        0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL,
        0xA54FF53A5F1D36F1ULL, 0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL,
        0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL};

    static const uint8_t sr_b2b_sigma[12][16] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

    #define SR_ROTR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
    #define SR_G(a, b, c, d, x, y) do { \\
        v[a] = v[a] + v[b] + (x); v[d] = SR_ROTR64(v[d] ^ v[a], 32); \\
        v[c] = v[c] + v[d];       v[b] = SR_ROTR64(v[b] ^ v[c], 24); \\
        v[a] = v[a] + v[b] + (y); v[d] = SR_ROTR64(v[d] ^ v[a], 16); \\
        v[c] = v[c] + v[d];       v[b] = SR_ROTR64(v[b] ^ v[c], 63); } while (0)

    static inline uint64_t sr_load64(const uint8_t *p) {
        uint64_t x = 0;
        for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];  /* little-endian on any host */
        return x;
    }

    static void sr_b2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
        uint64_t v[16], m[16];
        for (int i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = sr_b2b_iv[i]; }
        v[12] ^= t;  /* the high word of the 128-bit counter stays 0: inputs < 2**64 bytes */
        if (last) v[14] = ~v[14];
        for (int i = 0; i < 16; i++) m[i] = sr_load64(block + 8 * i);
        for (int r = 0; r < 12; r++) {
            const uint8_t *s = sr_b2b_sigma[r];
            SR_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
            SR_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
            SR_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
            SR_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
            SR_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
            SR_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
            SR_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
            SR_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }

    /* blake2b(data, digest_size=8) read as a little-endian integer: h[0] */
    static uint64_t sr_blake2b_64(const uint8_t *in, uint64_t n) {
        uint64_t h[8], t = 0;
        uint8_t block[128];
        for (int i = 0; i < 8; i++) h[i] = sr_b2b_iv[i];
        h[0] ^= 0x01010000ULL ^ 8ULL;  /* fanout 1, depth 1, no key, 8-byte digest */
        while (n > 128) {
            t += 128;
            sr_b2b_compress(h, in, t, 0);
            in += 128;
            n -= 128;
        }
        memset(block, 0, 128);
        if (n) memcpy(block, in, n);
        t += n;
        sr_b2b_compress(h, block, t, 1);
        return h[0];
    }
    """
    uint64_t sr_blake2b_64(const uint8_t *data, uint64_t n) noexcept nogil


def blake2b_64_many(const uint8_t[::1] data, const int64_t[::1] offsets, uint64_t[::1] out):
    """``out[i] = blake2b(data[offsets[i]:offsets[i + 1]], digest_size=8)`` as a
    little-endian integer. The caller checks that ``offsets`` is non-decreasing, starts at
    0, ends at ``len(data)``, and that ``out`` holds ``len(offsets) - 1`` numbers."""
    cdef int64_t i, n = out.shape[0]
    cdef const uint8_t *base = &data[0] if data.shape[0] > 0 else NULL
    cdef uint8_t empty = 0
    with nogil:
        for i in range(n):
            if offsets[i + 1] == offsets[i]:
                out[i] = sr_blake2b_64(&empty, 0)
            else:
                out[i] = sr_blake2b_64(base + offsets[i], <uint64_t>(offsets[i + 1] - offsets[i]))
