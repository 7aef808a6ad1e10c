"""The compiled kernel against the literal NumPy transcription of Algorithm 1."""

import itertools
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sparsereg import SparseFTRLClassifier, SparseFTRLRegressor
from sparsereg._losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

from .conftest import C_LIMIT
from .ftrl_reference import ftrl_reference, weights_from_state
from .state_helpers import dense_state, intercept_state

ETA0, BETA, ALPHA, L1_RATIO = 0.3, 0.7, 0.02, 0.6


def _problem(loss, seed=0, n_rows=40, n_features=15):
    rng = np.random.RandomState(seed)
    X = sp.random(n_rows, n_features, density=0.3, format="csr", random_state=rng)
    X.data = rng.normal(size=X.nnz) * 2.0
    if loss in CLASSIFICATION_LOSSES:
        y = np.where(X @ rng.normal(size=n_features) + 0.3 * rng.normal(size=n_rows) > 0, 1.0, -1.0)
    else:
        y = X @ rng.normal(size=n_features) + 0.5 + 0.1 * rng.normal(size=n_rows)
    return X, y, rng.uniform(0.2, 3.0, size=n_rows)


CASES = list(
    itertools.product(
        REGRESSION_LOSSES + CLASSIFICATION_LOSSES,
        [np.float64, np.float32],
        [np.int32, np.int64],
        [True, False],  # fit_intercept
        [True, False],  # sample weights
        ["mean", "sum"],
    )
)


@pytest.mark.parametrize("loss, dtype, index_dtype, fit_intercept, weighted, scale", CASES)
def test_kernel_matches_algorithm_1(loss, dtype, index_dtype, fit_intercept, weighted, scale):
    X, y, sw = _problem(loss)
    X = X.astype(dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    sw = sw if weighted else None
    Est = SparseFTRLClassifier if loss in CLASSIFICATION_LOSSES else SparseFTRLRegressor
    est = Est(
        loss=loss,
        penalty="elasticnet",
        alpha=ALPHA,
        l1_ratio=L1_RATIO,
        eta0=ETA0,
        beta=BETA,
        penalty_scale=scale,
        fit_intercept=fit_intercept,
        epsilon=0.2,
        shuffle=False,
        max_iter=3,
        tol=None,
    )
    est.fit(X, y, sample_weight=sw)

    lambda1, lambda2 = ALPHA * L1_RATIO, ALPHA * (1 - L1_RATIO)
    z, n, z0, n0, t = ftrl_reference(
        X.astype(np.float64),
        y,
        loss=loss,
        eta0=ETA0,
        beta=BETA,
        lambda1=lambda1,
        lambda2=lambda2,
        mean_scaled=scale == "mean",
        fit_intercept=fit_intercept,
        sample_weight=sw,
        epsilon=0.2,
        epochs=3,
    )
    assert est.t_ == t == 3 * X.shape[0]
    np.testing.assert_allclose(dense_state(est)[0, :, 0], z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense_state(est)[0, :, 1], n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(intercept_state(est)[0], [z0, n0], rtol=1e-10, atol=1e-12)

    scale_t = t if scale == "mean" else 1
    w = weights_from_state(
        z, n, eta0=ETA0, beta=BETA, lambda1=lambda1 * scale_t, lambda2=lambda2 * scale_t
    )
    coef = np.ravel(est.coef_)
    assert coef.dtype == dtype
    tol = 1e-10 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(coef, w, rtol=tol, atol=tol)
    # exact zeros where the reference has them: L1 gives 0.0, not a tiny number
    np.testing.assert_array_equal(coef == 0.0, w == 0.0)


@pytest.mark.parametrize("table", [False, True])
def test_kernel_follows_the_visiting_order(table):
    """The epoch's entry point visits the rows in the order it is given, in either store."""
    from sparsereg._epoch import UNWEIGHTED, Batch, Hyper, run_epoch
    from sparsereg._state import FTRLState

    X, y, _ = _problem("log_loss", seed=3)
    order = np.random.RandomState(7).permutation(X.shape[0]).astype(np.int64)
    params = SparseFTRLClassifier(
        alpha=ALPHA, eta0=ETA0, beta=BETA, penalty_scale="sum"
    ).get_params()
    state = FTRLState(1, X.shape[1], table=table)
    batch = Batch(X, y, UNWEIGHTED, int(np.diff(X.indptr).max()))
    for t0 in (0, X.shape[0]):  # two epochs, the second continuing the first's t
        run_epoch(batch, state, 0, Hyper.from_params(params), order=order, t0=t0)
    z, n, z0, n0, _ = ftrl_reference(
        X,
        y,
        loss="log_loss",
        eta0=ETA0,
        beta=BETA,
        lambda1=ALPHA,
        lambda2=0.0,
        order=np.tile(order, 2),
    )
    columns, zn = state.held(0)
    np.testing.assert_allclose(zn[:, 0], z[columns], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(zn[:, 1], n[columns], rtol=1e-10, atol=1e-12)
    assert not np.delete(n, columns).any()  # a column the table left out was never touched
    np.testing.assert_allclose(state.intercept_zn[0], [z0, n0], rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed to build the C reference")
def test_kernel_matches_the_plain_c_loop(tmp_path):
    """Same model as the plain-C loop ftrl_limit.c (absolute lambdas, rows in file order)."""
    bench = C_LIMIT
    if bench is None or not bench.is_file():
        pytest.skip(
            "the plain-C loop was not found: set SPARSEREG_C_LIMIT to the path of its "
            "ftrl_limit.py" + (f" ({bench} is not a file)" if bench else "")
        )
    rng = np.random.RandomState(0)
    X = sp.random(2000, 256, density=0.05, format="csr", random_state=rng)
    X.data[:] = 1.0
    y = (X @ rng.normal(size=256) > 0.2).astype(np.float64)
    sp.save_npz(tmp_path / "X.npz", X)
    np.save(tmp_path / "y.npy", y)
    out = subprocess.run(
        [
            sys.executable,
            str(bench),
            str(tmp_path / "X.npz"),
            str(tmp_path / "y.npy"),
            "--alpha",
            "0.1",
            "--beta",
            "1",
            "--l1",
            "1",
            "--l2",
            "1",
            "--variants",
            "base",
            "--reps",
            "1",
            "--weights-out",
            str(tmp_path / "w.npy"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    c_weights = np.load(tmp_path / "w.npy")
    est = SparseFTRLClassifier(
        penalty="elasticnet",
        alpha=2.0,
        l1_ratio=0.5,
        penalty_scale="sum",
        eta0=0.1,
        beta=1.0,
        shuffle=False,
        max_iter=1,
        tol=None,
    ).fit(X, y)
    np.testing.assert_allclose(est.coef_[0], c_weights[:-1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.intercept_[0], c_weights[-1], rtol=1e-12, atol=1e-14)
    assert json.loads(out.splitlines()[0])["nnz_weights"] == np.count_nonzero(est.coef_)
