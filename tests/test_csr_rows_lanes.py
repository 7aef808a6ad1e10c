"""The CSR-row kernel's vector code gives the scalar loop's bits on every instruction set.

``tests/csr_rows_lanes.c`` runs ``sr_csr_row_weights`` and ``sr_csr_row_update``
(``sparsereg/_csr_rows.h``: a row's gathered non-zeros in vector lanes) on 20,000 random
rows of 0 to 40 non-zeros, explicit zeros included, against a scalar transcription of
``lazy_weight``, ``ftrl_update`` and the margin summed in index order; this test builds it
once per instruction set this CPU can run and checks that every build agrees with the
scalar code and that all give the same bits (a checksum of every result).
"""

import pytest

from .lanes import compiler, outputs_per_instruction_set

pytestmark = pytest.mark.skipif(compiler is None, reason="no C compiler to build the check")


def test_every_instruction_set_gives_the_scalar_bits(tmp_path):
    sums = outputs_per_instruction_set("csr_rows_lanes.c", tmp_path)
    assert len(set(sums.values())) == 1, sums
