/* What the kernel's vector headers (_grid_models.h, _dense_rows.h, _csr_rows.h) share.
 *
 * With GCC on x86-64 glibc, a function marked SR_GRID_CLONES is compiled for AVX-512, AVX2 and
 * the baseline, and the loader picks the widest the CPU has (target_clones); elsewhere, the
 * baseline only. The tests' C checks define SR_GRID_CLONES empty to build one variant. */
#ifndef SPARSEREG_VECTOR_CLONES_H
#define SPARSEREG_VECTOR_CLONES_H

#if defined(_MSC_VER) && !defined(restrict) /* MSVC's C spells it __restrict */
#define restrict __restrict
#endif

#ifndef SR_GRID_CLONES
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SR_GRID_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SR_GRID_CLONES
#endif
#endif

#endif /* SPARSEREG_VECTOR_CLONES_H */
