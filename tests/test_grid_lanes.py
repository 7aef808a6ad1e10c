"""The CV grid's vector code gives every model the scalar kernel's bits on every instruction set.

The compiled module picks one variant of ``sparsereg/_grid_models.h`` when it loads (AVX-512,
AVX2 or the baseline, by GCC's ``target_clones``), so the estimator tests only exercise the
one this CPU selects. ``tests/grid_lanes.c`` runs the functions of that header on 20,000
random cases against a scalar transcription of ``lazy_weight``, ``ftrl_update`` and the
squared error; this test builds it once per instruction set this CPU can run, with the
compile flags of the kernel module, and checks that each build agrees with the scalar code
and that all builds give the same bits (a checksum of every result).
"""

import os
import platform
import re
import shutil
import subprocess

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# the kernel module's floating-point flags (setup.py), without which lanes may not match
KERNEL_FLAGS = ["-O3", "-fno-fast-math", "-fno-math-errno", "-ffp-contract=off"]

compiler = shutil.which("gcc") or shutil.which("cc")
pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def variants():
    if platform.machine() not in ("x86_64", "AMD64"):
        return [[]]
    features = np._core._multiarray_umath.__cpu_features__
    found = [["-march=x86-64"]]
    if features.get("AVX2"):
        found.append(["-mavx2"])
    if features.get("AVX512F"):
        found.append(["-mavx512f"])
    return found


def test_the_kernel_is_built_with_these_flags():
    setup = open(os.path.join(ROOT, "setup.py")).read()
    kernel = re.search(r'"sparsereg\._ftrl_fast".*?extra_compile_args=\[(.*?)\]', setup, re.S)
    assert kernel is not None
    args = re.findall(r'"([^"]+)"', kernel.group(1))
    assert set(KERNEL_FLAGS) <= set(args)


def test_every_instruction_set_gives_the_scalar_bits(tmp_path):
    sums = {}
    for flags in variants():
        binary = tmp_path / ("lanes" + "".join(flags))
        subprocess.run(
            [compiler, *KERNEL_FLAGS, *flags, "-o", str(binary), "grid_lanes.c", "-lm"],
            cwd=HERE,
            check=True,
        )
        run = subprocess.run([str(binary)], capture_output=True, text=True)
        assert run.returncode == 0, f"{flags}: {run.stdout}"
        sums[" ".join(flags) or "native"] = run.stdout.strip()
    assert len(set(sums.values())) == 1, sums
