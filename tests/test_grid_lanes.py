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
import re

import pytest

from .lanes import KERNEL_FLAGS, ROOT, compiler, outputs_per_instruction_set

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_the_kernel_is_built_with_these_flags():
    setup = open(os.path.join(ROOT, "setup.py")).read()
    kernel = re.search(r'"sparsereg\._ftrl_fast".*?extra_compile_args=\[(.*?)\]', setup, re.S)
    assert kernel is not None
    args = re.findall(r'"([^"]+)"', kernel.group(1))
    assert set(KERNEL_FLAGS) <= set(args)


def test_every_instruction_set_gives_the_scalar_bits(tmp_path):
    sums = outputs_per_instruction_set("grid_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums
