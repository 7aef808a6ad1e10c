/* What the kernel's vector headers (_grid_models.h, _dense_rows.h, _csr_rows.h,
 * _dense_nonzeros.h) share.
 *
 * With GCC on x86-64 glibc, a function marked SR_GRID_CLONES (the training lanes: divisions,
 * square roots and blends, and the check of a row's columns) is compiled for AVX2 and the
 * baseline, one marked SR_SCAN_CLONES (a pass over a dense array) also for AVX-512, and the
 * loader picks the widest the CPU has (target_clones); elsewhere, the baseline only. The
 * training lanes' AVX-512 clone took 1.06-1.08x the AVX2 clone's time for an epoch of 1M CTR
 * rows and 1.14-1.16x for the narrow dense epoch in three alternating runs (0.80-1.16x in
 * three noisier ones) on an Intel Xeon (Emerald Rapids; benchmarks/RESULTS.md, "#16
 * twenty-third session"), where the CSR checks' AVX-512 passes (_csr_checks.h) run up to
 * 1.8x faster than AVX2's.
 * The tests' C checks define both empty to build one variant per instruction set. */
#ifndef SPARSEREG_VECTOR_CLONES_H
#define SPARSEREG_VECTOR_CLONES_H

#if defined(_MSC_VER) && !defined(restrict) /* MSVC's C spells it __restrict */
#define restrict __restrict
#endif

#ifndef SR_GRID_CLONES
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SR_GRID_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SR_GRID_CLONES
#endif
#endif

#ifndef SR_SCAN_CLONES
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SR_SCAN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SR_SCAN_CLONES
#endif
#endif

#endif /* SPARSEREG_VECTOR_CLONES_H */
