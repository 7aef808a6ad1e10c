"""The dense-row kernel's vector code gives the scalar loop's bits on every instruction set.

``tests/dense_rows_lanes.c`` runs ``sr_dense_row_step`` (``sparsereg/_dense_rows.h``: a row's
columns in vector lanes) on 20,000 random cases, 0 to 17 columns wide, against a scalar
transcription of ``lazy_weight``, ``update_keep_sqrt`` and the margin summed in column order;
this test builds it once per instruction set this CPU can run and checks that every build
agrees with the scalar code and that all give the same bits (a checksum of every result).
"""

import pytest

from .lanes import compiler, outputs_per_instruction_set

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_every_instruction_set_gives_the_scalar_bits(tmp_path):
    sums = outputs_per_instruction_set("dense_rows_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums
