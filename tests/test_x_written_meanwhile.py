"""A CSR matrix another thread writes to while it is scored: X is checked, then read again by
compiled code (the exported model's FTRL scores, the scikit-learn product of a 'blas'
export); an index array changed in between made those reads go past the arrays' ends, a
crash. Now each call returns scores or raises ValueError, never reading out of bounds.

The writer flips one row end of ``indptr`` to 2**30 and back, letting the GIL go in between;
a call refused names X, or its ``indptr`` as the check found it. A call's other rows score as
usual."""

import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import SGDRegressor

from sparsereg import SparseFTRLRegressor
from sparsereg.export import export_model


class OtherCSR(sp.csr_matrix):
    """Not the exact type the per-call path takes: the full checks, then the scoring."""


def _model(kind):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 50))
    source = SparseFTRLRegressor(random_state=0) if kind == "ftrl" else SGDRegressor()
    return export_model(source.fit(X, X[:, 0]))


@pytest.mark.parametrize("kind", ["ftrl", "blas"])
def test_scores_of_a_csr_another_thread_writes_to_never_read_out_of_bounds(kind):
    model = _model(kind)
    rng = np.random.default_rng(0)
    n_rows = 20_000
    X = OtherCSR(sp.random(n_rows, 50, density=0.2, format="csr", random_state=rng))
    expected = model.predict(X)
    middle = n_rows // 2
    end = int(X.indptr[middle + 1])
    stop, refusals, scored = threading.Event(), [], 0

    def write():
        flips = 0
        while not stop.is_set():
            X.indptr[middle + 1] = 2**30
            flips += 1
            if flips % 2:  # the GIL let go with the row end out of range (else never)
                time.sleep(0)
            X.indptr[middle + 1] = end

    writer = threading.Thread(target=write)
    writer.start()
    begin = time.monotonic()
    try:  # (1 s: the reads out of bounds crashed within ~0.1-0.5 s)
        while (len(refusals) < 3 or time.monotonic() < begin + 1) and time.monotonic() < begin + 20:
            try:
                scores = model.predict(X)
            except ValueError as exc:
                refusals.append(str(exc))
            else:
                scored += 1
                # (rows other than the middle one's two are never written)
                rows = np.r_[:middle, middle + 2 : n_rows]
                np.testing.assert_array_equal(scores[rows], expected[rows])
    finally:
        stop.set()
        writer.join()
    assert refusals, "no call overlapped the writer within 20 s"
    assert all("X changed while it was scored" in r or "indptr" in r for r in refusals), refusals
    np.testing.assert_array_equal(model.predict(X), expected)
