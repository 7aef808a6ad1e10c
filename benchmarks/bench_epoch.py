"""One epoch of logistic FTRL on a synthetic CTR-like CSR set: sparsereg against its peers.

    python benchmarks/bench_epoch.py [--rows 1000000] [--log2-features 20] [--reps 5] [--quick]

Peers, measured interleaved in the same run on the same arrays (rows in file order, one epoch
each, the same alpha/beta/l1/l2 where the peer has them):
  - the plain-C FTRL loop of ../shared/bench/ (variants 'base' and 'aos+prefetch'), the limit;
  - SGDClassifier(loss='log_loss', penalty='l1') and penalty='elasticnet', max_iter=1.
Each time is the median of --reps runs; ratios are time(peer) / time(sparsereg fit).
sparsereg is timed twice: the whole `fit` call (validation included) and the kernel alone.
`--memory` adds the peak RSS of `fit` in a fresh process, against X + the FTRL state.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import load_ctr  # noqa: E402

C_LIMIT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "ftrl_limit.py"
ETA0, BETA, L1, L2 = 0.1, 1.0, 1.0, 1.0


def sparsereg_estimator():
    from sparsereg import SparseFTRLClassifier

    # penalty_scale='sum' with elasticnet 0.5 gives the C loop's absolute lambda1 = lambda2 = 1
    return SparseFTRLClassifier(penalty="elasticnet", alpha=L1 + L2, l1_ratio=L1 / (L1 + L2),
                                penalty_scale="sum", eta0=ETA0, beta=BETA, max_iter=1, tol=None,
                                shuffle=False)


def time_sparsereg_fit(X, y):
    est = sparsereg_estimator()
    t0 = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t0, est


def time_sparsereg_kernel(X, y):
    from sparsereg._ftrl_fast import ftrl_epoch

    est = sparsereg_estimator()
    hyper = est._hyper()
    zn = np.zeros((X.shape[1], 2))
    izn = np.zeros(2)
    scratch = np.empty((int(np.diff(X.indptr).max()), 2))
    ys = np.where(y > 0, 1.0, -1.0)
    sw = np.ones(X.shape[0])
    order = np.arange(X.shape[0], dtype=np.int64)
    zn[:] = 0.0  # fault the pages in outside the timer, as the C loop does
    t0 = time.perf_counter()
    ftrl_epoch(X.data, X.indices, X.indptr, ys, sw, order, zn, izn, scratch, hyper, 0)
    return time.perf_counter() - t0


def time_sgd(X, y, penalty):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    est = SGDClassifier(loss="log_loss", penalty=penalty, max_iter=1, tol=None, shuffle=False,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X, y)
    return time.perf_counter() - t0


def time_c_limit(folder, variants):
    out = subprocess.run(
        [sys.executable, str(C_LIMIT), str(folder / "X.npz"), str(folder / "y.npy"), "--alpha", str(ETA0),
         "--beta", str(BETA), "--l1", str(L1), "--l2", str(L2), "--variants", variants, "--reps", "1"],
        check=True, capture_output=True, text=True).stdout
    return {rec["variant"]: rec["median_s"] for rec in map(json.loads, out.strip().splitlines())}


def machine():
    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def memory_child(folder, n_features):
    """Run in a fresh process: peak RSS of `fit` against X + state."""
    data, indices, indptr, y = (np.load(folder / f"{n}.npy") for n in ["data", "indices", "indptr", "y"])
    X = sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_features), copy=False)
    import sparsereg  # noqa: F401  (imports before the baseline)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    est = sparsereg_estimator().fit(X, y)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    state_bytes = est._zn.nbytes + est._intercept_zn.nbytes
    print(json.dumps({"fit_peak_increase": peak - before, "rss_before_fit": before,
                      "x_bytes": x_bytes, "state_bytes": state_bytes, "y_bytes": y.nbytes}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--log2-features", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one rep: checks the script runs")
    ap.add_argument("--memory", action="store_true", help="also measure peak RSS of fit")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.quick:
        a.rows, a.log2_features, a.reps = 2000, 12, 1
    n_features = 2**a.log2_features
    if a.memory_child:
        return memory_child(Path(a.memory_child), n_features)

    X, y, folder = load_ctr(a.rows, n_features)
    if not (folder / "X.npz").exists():
        sp.save_npz(folder / "X.npz", X, compressed=False)
        np.save(folder / "y.npy", y)
    have_c = C_LIMIT.exists()
    if not have_c:
        print(f"skipping the plain-C loop: {C_LIMIT} not found")

    times = {k: [] for k in ["sparsereg fit", "sparsereg kernel", "SGD l1", "SGD elasticnet",
                             "C base", "C aos+prefetch"]}
    for _ in range(a.reps):
        if have_c:
            c = time_c_limit(folder, "base,aos+prefetch")
            times["C base"].append(c["base"])
            times["C aos+prefetch"].append(c["aos+prefetch"])
        t, est = time_sparsereg_fit(X, y)
        times["sparsereg fit"].append(t)
        times["sparsereg kernel"].append(time_sparsereg_kernel(X, y))
        times["SGD l1"].append(time_sgd(X, y, "l1"))
        times["SGD elasticnet"].append(time_sgd(X, y, "elasticnet"))

    print(f"# one epoch, {X.shape[0]:,} rows x 2^{a.log2_features} columns, {X.nnz:,} non-zeros "
          f"({X.nnz / X.shape[0]:.1f} per row), logistic; {a.reps} reps; {machine()}")
    ref = np.median(times["sparsereg fit"])
    print(f"{'tool':<20} {'median s':>9} {'M nnz/s':>8} {'k rows/s':>9} {'time / sparsereg fit':>21}")
    for name, ts in times.items():
        if not ts:
            continue
        med = float(np.median(ts))
        print(f"{name:<20} {med:9.3f} {X.nnz / med / 1e6:8.1f} {X.shape[0] / med / 1e3:9.0f} "
              f"{med / ref:21.2f}")
    print(f"non-zero weights (sparsereg): {int(est.count_nonzero()[0]):,}")

    if a.memory:
        out = subprocess.run([sys.executable, __file__, "--rows", str(a.rows), "--log2-features",
                              str(a.log2_features), "--memory-child", str(folder)],
                             check=True, capture_output=True, text=True).stdout
        m = json.loads(out)
        budget = m["x_bytes"] + m["state_bytes"]
        extra = m["fit_peak_increase"] - m["state_bytes"]
        print(f"fit peak RSS increase {m['fit_peak_increase'] / 2**20:.1f} MiB = FTRL state "
              f"{m['state_bytes'] / 2**20:.1f} MiB + {extra / 2**20:.1f} MiB, i.e. "
              f"{100 * extra / budget:.1f} % of X ({m['x_bytes'] / 2**20:.1f} MiB, resident "
              f"before fit) + state: no copy of X")


if __name__ == "__main__":
    main()
