"""The threads' kernel's look-up of held columns (``sparsereg/_hot_columns.h``) against a
literal one.

``tests/hot_columns_lanes.c`` resolves each column of 200,000 random rows of 0 to 40 columns
(held ones, others of their slots, ordinary ones, and ones out of bounds: negative, at the width
and past it) with ``sr_hot_resolved``, as the kernel's loop does, against tables built as
``sparsereg/_hogwild.py`` builds them, with X's int32 and int64 indices, and checks each
resolved column and the report of a column out of bounds.
"""

import subprocess

import pytest

from .lanes import HERE, KERNEL_FLAGS, compiler

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_the_look_up_resolves_as_the_literal_one(tmp_path):
    binary = str(tmp_path / "hot_columns_lanes")
    subprocess.run(
        [compiler, *KERNEL_FLAGS, "-o", binary, "hot_columns_lanes.c", "-lm"],
        cwd=HERE,
        check=True,
    )
    run = subprocess.run([binary], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    assert run.stdout.split() == ["rows", "200000"]
