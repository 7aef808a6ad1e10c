"""The threads' kernel's look-up of held columns (``sparsereg/_hot_columns.h``) against a
literal one.

``tests/hot_columns_lanes.c`` resolves 200,000 random rows of 0 to 40 columns (held ones,
others of their slots, ordinary ones, and ones out of bounds: negative, at the width and past
it) against tables built as ``sparsereg/_hogwild.py`` builds them, with the scalar loop and,
where the CPU has AVX2, the vector loop, and checks each resolved column, the report of a
column out of bounds, and that nothing past a row's end is written (the ring holds the next
row there). The estimators' tests reach only the loop this CPU selects.
"""

import platform
import subprocess

import numpy as np
import pytest

from .lanes import HERE, KERNEL_FLAGS, compiler

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_both_loops_resolve_as_the_literal_look_up(tmp_path):
    binary = str(tmp_path / "hot_columns_lanes")
    subprocess.run(
        [compiler, *KERNEL_FLAGS, "-o", binary, "hot_columns_lanes.c", "-lm"],
        cwd=HERE,
        check=True,
    )
    run = subprocess.run([binary], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    counts = dict(zip(run.stdout.split()[::2], map(int, run.stdout.split()[1::2])))
    assert counts["scalar"] == 200_000
    # the vector loop is built as the header builds it (GCC on x86-64 glibc), not elsewhere
    # (clang, musl), where the kernel has none either
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    built = (
        platform.machine() == "x86_64"
        and platform.libc_ver()[0] == "glibc"
        and "clang" not in version.lower()
    )
    assert ("avx2" in counts) == built, (version, run.stdout)
    if built and np._core._multiarray_umath.__cpu_features__.get("AVX2"):
        assert counts["avx2"] == 200_000
