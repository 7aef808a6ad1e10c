import os
import shutil
import subprocess
import sysconfig
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# The build runs side by side on every core, in two steps: Cython generates every module's C
# (in processes: Cython is Python, and setuptools' parallel build runs its extensions in threads
# of one process, which ran Cython one module at a time), then gcc compiles them. The kernel is
# three modules (below) so that its compilation, the longest part, is spread over the cores; the
# tests' command builds twice (the editable install, then the wheel in .ci/check_dist.sh). The C
# is generated when an extension is built, not when this file runs: the sdist carries none.
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# Cython's utility code (memoryviews, buffers, fused-type dispatch) is generated once, into a
# module of its own, instead of into each module: ~20,000 lines less in each.
SHARED_UTILITY = "sparsereg._cyutility"

# -g0 after Python's own CFLAGS (which carry -g): the wheel ships no debug sections.
# -fno-fast-math -ffp-contract=off: IEEE arithmetic and no fused multiply-adds whatever the
# CFLAGS and the CPU, so that the grid's vector code (_grid_models.h) gives each model the bits
# of the scalar kernel (tests/test_grid_lanes.py).
KERNEL_FLAGS = [
    "-O3",
    "-fno-fast-math",
    "-fno-math-errno",
    "-ffp-contract=off",
    "-fno-strict-aliasing",  # the kernel reads doubles' bits through int pointers
    "-g0",
]


def kernel_module(name, headers):
    """One of the kernel's three modules, which share sparsereg/_ftrl_fast.pxd."""
    return Extension(
        f"sparsereg.{name}",
        [f"sparsereg/{name}.pyx"],
        depends=["sparsereg/_ftrl_fast.pxd", "sparsereg/_csr_rows.h", *headers],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        extra_compile_args=KERNEL_FLAGS,
    )


FAST_HEADERS = ["sparsereg/_hot_columns.h", "sparsereg/_dense_rows.h", "sparsereg/_vector_clones.h"]
DENSE_TO_CSR_HEADERS = ["sparsereg/_dense_nonzeros.h", "sparsereg/_vector_clones.h"]

# the longest compilations first (12, 11, 9, 7, 4 and 1 s here), for the cores to end together
extensions = [
    kernel_module("_ftrl_fast", FAST_HEADERS),
    kernel_module("_ftrl_scores", ["sparsereg/_csr_checks.h", *DENSE_TO_CSR_HEADERS]),
    kernel_module("_ftrl_grid", ["sparsereg/_grid_models.h", "sparsereg/_vector_clones.h"]),
    # Cython writes this module's C when it is built (its name is SHARED_UTILITY)
    Extension(SHARED_UTILITY, ["sparsereg/_cyutility.c"], extra_compile_args=["-O2", "-g0"]),
    Extension(
        "sparsereg._interrupts", ["sparsereg/_interrupts.pyx"], extra_compile_args=["-O2", "-g0"]
    ),
    Extension("sparsereg._atomic", ["sparsereg/_atomic.pyx"], extra_compile_args=["-O2", "-g0"]),
    Extension("sparsereg._strhash", ["sparsereg/_strhash.pyx"], extra_compile_args=["-O3", "-g0"]),
]


class BuildExtCythonFirst(build_ext):
    """setuptools' build_ext, on every core unless told (``--parallel``), with every module's C
    generated first, in parallel processes."""

    def finalize_options(self):
        super().finalize_options()
        # (not setup()'s `options`: the editable install's build_ext, pip install -e, ignored
        # them and compiled one module at a time)
        if self.parallel is None:
            self.parallel = min(cores, len(self.extensions))

    def build_extensions(self):
        workers = cores if self.parallel is True else int(self.parallel or 0)
        generated = cythonize(
            self.extensions,
            nthreads=workers if workers > 1 else 0,  # (0: no pool of processes)
            compiler_directives={"language_level": "3"},
            shared_utility_qualified_name=SHARED_UTILITY,
            force=self.force,
            quiet=True,
        )
        # build from the C just generated: Cython's build_ext (setuptools' base) would run
        # Cython again on each extension still naming its .pyx, under --force one at a time
        sources = {extension.name: extension.sources for extension in generated}
        for extension in self.extensions:
            extension.sources = sources[extension.name]
        compile_through_ccache(self.compiler)
        super().build_extensions()


def compile_through_ccache(compiler):
    """Prefix the C compiler with ccache where ccache is installed and CC does not name the
    compiler (meson's rule). The tests' command builds the same C twice, the editable install
    then the wheel in .ci/check_dist.sh: the second build takes its objects from the cache (17 s
    of the CI's wall time here); ccache hashes each file and the headers it includes where it is
    built, so a header the sdist lacks still fails the wheel's build (tried)."""
    ccache = shutil.which("ccache") or shutil.which("ccache", path=sysconfig.get_path("scripts"))
    command = getattr(compiler, "compiler_so", None)  # (a Unix compiler's; not MSVC's)
    if ccache is None or "CC" in os.environ or not command or "ccache" in command[0]:
        return
    if cache_runs(ccache):  # (ccache fails a compilation it cannot cache)
        compiler.set_executable("compiler_so", [ccache, *command])


def cache_runs(ccache):
    """Whether ccache runs, and its cache folder can be made and written in."""
    try:
        asked = subprocess.run(
            [ccache, "--get-config", "cache_dir"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    where = asked.stdout.strip()
    if asked.returncode != 0 or not where:  # (a pyenv shim of a Python without it: 127)
        return False
    try:  # (made as ccache would make it)
        os.makedirs(where, exist_ok=True)
        tempfile.TemporaryFile(dir=where).close()
    except (OSError, ValueError):  # (ValueError: no folder named)
        return False
    return True


# The guard: cythonize's worker processes, where Python does not fork them (macOS, and Linux
# from Python 3.14), import this file as their main module, which must not run a build.
if __name__ == "__main__":
    setup(ext_modules=extensions, cmdclass={"build_ext": BuildExtCythonFirst})
