import os

import Cython  # noqa: F401  (setuptools' build_ext generates each module's C with it)
import numpy
from setuptools import Extension, setup

# The modules are generated (Cython) and compiled (gcc) side by side, one per core: the kernel
# alone takes about 40 s of CPU, the two others 12 s together, and the tests' command builds
# twice (the editable install, then the wheel in .ci/check_dist.sh). With Cython installed,
# setuptools' build_ext generates each module's C when it builds it (with the module's
# `cython_directives`), not when this file runs: building the sdist, which carries no C, generates
# none.
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# -g0 after Python's own CFLAGS (which carry -g): the wheel ships no debug sections.
# -fno-fast-math -ffp-contract=off: IEEE arithmetic and no fused multiply-adds whatever the
# CFLAGS and the CPU, so that the grid's vector code (_grid_models.h) gives each model the bits
# of the scalar kernel (tests/test_grid_lanes.py).
extensions = [
    Extension(
        "sparsereg._ftrl_fast",
        ["sparsereg/_ftrl_fast.pyx"],
        depends=[
            "sparsereg/_grid_models.h",
            "sparsereg/_csr_checks.h",
            "sparsereg/_dense_rows.h",
            "sparsereg/_csr_rows.h",
            "sparsereg/_vector_clones.h",
        ],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        extra_compile_args=[
            "-O3",
            "-fno-fast-math",
            "-fno-math-errno",
            "-ffp-contract=off",
            "-fno-strict-aliasing",  # the kernel reads doubles' bits through int pointers
            "-g0",
        ],
    ),
    Extension(
        "sparsereg._interrupts", ["sparsereg/_interrupts.pyx"], extra_compile_args=["-O2", "-g0"]
    ),
    Extension(
        "sparsereg._strhash",
        ["sparsereg/_strhash.pyx"],
        extra_compile_args=["-O3", "-g0"],
    ),
]

for extension in extensions:
    extension.cython_directives = {"language_level": "3"}

setup(
    ext_modules=extensions,
    options={"build_ext": {"parallel": min(cores, len(extensions))}},
)
