"""The synthetic CTR-like data set the speed benchmarks share, cached under benchmarks/_work/.

Rows have ~``per_row`` distinct binary non-zeros (1.3 x as many draws, duplicates merged) drawn from a power-law (Zipf, exponent 1.1) column
popularity, with popular columns scattered over the width as a hash would put them; labels
come from a logistic model with sparse true weights (1 % of columns).
"""

import os
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

WORK = Path(__file__).resolve().parent / "_work"


def _write_atomically(path, write):
    """``write(file)`` into a new file beside ``path``, then renamed to ``path``: a reader in
    another process (the test suite's workers share benchmarks/_work/) sees the whole file or
    none."""
    path = Path(path)
    fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(part, 0o644)  # (mkstemp's file is the owner's alone)
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def save_array(path, arr):
    """``np.save`` to ``path``, atomically."""
    _write_atomically(path, lambda f: np.save(f, arr))


def save_csr(path, X):
    """``scipy.sparse.save_npz`` (uncompressed) to ``path``, atomically."""
    _write_atomically(path, lambda f: sp.save_npz(f, X, compressed=False))


def make_ctr(n_rows, n_features, per_row=35, seed=0):
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_features + 1, dtype=np.float64)
    cdf = np.cumsum(ranks**-1.1)
    cdf /= cdf[-1]
    column_of_rank = rng.permutation(n_features)
    draws = int(round(per_row * 1.3))
    cols = column_of_rank[np.searchsorted(cdf, rng.random(n_rows * draws))]
    indptr = np.arange(0, n_rows * draws + 1, draws, dtype=np.int64)
    X = sp.csr_matrix(
        (np.ones(n_rows * draws), cols.astype(np.int32), indptr), shape=(n_rows, n_features)
    )
    X.sum_duplicates()
    X.data[:] = 1.0
    X.indptr = X.indptr.astype(np.int32) if X.nnz < 2**31 else X.indptr
    w_true = np.where(rng.random(n_features) < 0.01, rng.normal(0, 1.5, n_features), 0.0)
    margin = X @ w_true - 1.5
    y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-margin))).astype(np.float64)
    return X, y


def load_ctr(n_rows, n_features, per_row=35, seed=0):
    """The set of that size, made once and kept as raw .npy arrays (loads with no temporaries)."""
    folder = WORK / f"ctr_{n_rows}_{n_features}_{per_row}_{seed}"
    names = ["data", "indices", "indptr", "y"]
    if not all((folder / f"{n}.npy").exists() for n in names):
        folder.mkdir(parents=True, exist_ok=True)
        X, y = make_ctr(n_rows, n_features, per_row, seed)
        for name, arr in zip(names, [X.data, X.indices, X.indptr, y]):
            save_array(folder / f"{name}.npy", arr)
    data, indices, indptr, y = (np.load(folder / f"{n}.npy") for n in names)
    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_features)), y, folder
