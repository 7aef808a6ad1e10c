"""The CV grid's vector code gives every model the scalar kernel's bits on every instruction set.

The compiled module picks one variant of ``sparsereg/_grid_models.h`` when it loads (AVX2 or
the baseline, by GCC's ``target_clones``; AVX-512 is checked too), so the estimator tests only exercise the
one this CPU selects. ``tests/grid_lanes.c`` runs the functions of that header on 20,000
random cases against a scalar transcription of ``lazy_weight``, ``ftrl_update`` and the
squared error; this test builds it once per instruction set this CPU can run, with the
compile flags of the kernel module, and checks that each build agrees with the scalar code
and that all builds give the same bits (a checksum of every result).
"""

import os
import re

import pytest

from .lanes import KERNEL_FLAGS, ROOT, compiler, outputs_per_instruction_set

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_the_kernel_is_built_with_these_flags():
    setup = open(os.path.join(ROOT, "setup.py")).read()
    flags = re.search(r"^KERNEL_FLAGS = \[(.*?)\]", setup, re.S | re.M)
    assert flags is not None
    assert set(KERNEL_FLAGS) <= set(re.findall(r'"([^"]+)"', flags.group(1)))
    # each of the kernel's modules is made by kernel_module, which compiles with them
    maker = re.search(r"^def kernel_module\(.*?^\s+\)$", setup, re.S | re.M)
    assert maker is not None and "extra_compile_args=KERNEL_FLAGS" in maker.group(0)
    made = set(re.findall(r'kernel_module\("(\w+)"', setup))
    assert made == {"_ftrl_fast", "_ftrl_grid", "_ftrl_scores"}


def test_every_instruction_set_gives_the_scalar_bits(tmp_path):
    sums = outputs_per_instruction_set("grid_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums
